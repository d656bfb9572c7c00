/* SPDX-License-Identifier: MIT */
/* A CPython process we sample: its memory reader, where its _PyRuntime is,
 * its version and the struct layout that goes with it. */
#ifndef PROFTUI_PYTARGET_H
#define PROFTUI_PYTARGET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pylayout.h"

struct procmem;
struct reader;

struct pytarget {
    pid_t pid;
    struct procmem *mem;        /* owned */
    struct reader *r;           /* borrowed from mem */
    struct py_layout layout;    /* chosen once at attach */
    uint64_t runtime;           /* address of _PyRuntime in the target */
    uint32_t hexversion;        /* PY_VERSION_HEX style, 0 if only major.minor is known */
    char version[24];           /* "3.11.7" or "3.9" */
    char binary[512];           /* the file that holds _PyRuntime */
    int32_t pthread_tid_off;    /* <= 3.10: offset of the OS tid in glibc's struct pthread; -1 unknown */
    uint64_t code_type;         /* address of PyCode_Type (from the binary's symbols), 0 if unknown */
    uint64_t frame_type;        /* address of PyFrame_Type, likewise */
    char warning[200];          /* "" or why the layout is less sure than usual (a newer version) */
    char why[200];              /* after ERR_VERSION: why the version cannot be sampled */
};

/* Find the interpreter in process pid (caller owns *out; pytarget_free).
 * Returns 0, ERR_NO_PROCESS, ERR_PERM, ERR_NOT_PYTHON (no CPython binary
 * mapped, e.g. not exec'd into Python yet), ERR_VERSION or ERR_NOMEM. On
 * ERR_VERSION, why (why_cap bytes, may be 0) gets one line naming the
 * version and the reason, e.g. "Python 3.6, which proftui does not support
 * (it needs 3.8 or newer)"; "" when there is none. */
int pytarget_open(pid_t pid, struct pytarget **out, char *why, size_t why_cap);
void pytarget_free(struct pytarget *t);

/* The Python version a process seems to run, from the names of its
 * libpython or executable ("2.7", "3.6"...), for messages about versions we
 * cannot sample. Returns 0 with buf filled, or ERR_NOT_PYTHON. */
int pytarget_guess_version(pid_t pid, char *buf, size_t cap);

/* 0 when the interpreter has a thread state with a Python frame, i.e. there
 * is something to sample; ERR_NOT_READY before that; ERR_EXITED/ERR_READ
 * when the target is gone. */
int pytarget_ready(struct pytarget *t);

/* Pick the layout for 3.minor into t->layout (t->r, t->runtime, t->version
 * and t->binary set), keyed by (minor, free-threaded): the built-in table,
 * refreshed from _Py_DebugOffsets on 3.13+; a minor newer than every table
 * gets the newest table refreshed that way, with t->warning set. Returns 0,
 * ERR_VERSION (t->why says why: too old, free-threaded, or a newer version
 * whose debug offsets cannot be read), or ERR_EXITED. */
int pytarget_choose_layout(struct pytarget *t, int minor);

/* Before 3.11 (no Py_Version) only major.minor is known at attach: once the
 * interpreter runs, complete t->version from sys.version. Best effort. */
void pytarget_refine_version(struct pytarget *t);

/* The OS thread id of a thread state: native_thread_id on 3.11+, or read
 * from glibc's struct pthread on older versions. 0 when unknown. */
uint64_t pytarget_tid(struct pytarget *t, uint64_t pthread_ident, uint64_t native_tid);

#endif
