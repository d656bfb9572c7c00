/* SPDX-License-Identifier: MIT */
/* One run of proftui: the state main.c strings its steps through, and
 * the steps kept in their own files: finding or starting the target
 * (run_target.c), the lens's roots (run_only.c), and the end of a run:
 * stopping the launched program and writing the profile (run_end.c). */
#ifndef PROFTUI_RUN_H
#define PROFTUI_RUN_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli.h"
#include "outputs.h"
#include "usercode.h"

struct profile;
struct push;
struct pytarget;
struct sampler;

struct run {
    struct cli cli;
    pid_t pid;
    int launched;
    struct pytarget *target;
    struct profile *profile;       /* what the sampler writes and the readers read */
    struct sampler *sampler;
    struct outputs out;            /* the -o files */
    uint64_t start_unix_ns;        /* when sampling started */
    char title[1024];
    char why[200];                 /* pytarget_open's reason for ERR_VERSION */
    char **argv;                   /* the launched command */
    char cwd[4096];                /* the target's working directory at start */
    struct usercode code;          /* the user's code, for the lens (--only, key u) */
    char only[1024];               /* the --only roots, for the output's metadata */
    char child_log[4096];          /* live view: the file the program's output goes to */
    int stopped;                   /* we ended the launched program (it did not exit) */
    struct push *push;             /* --push */
    struct profile *baseline;      /* --diff BASELINE, loaded before the run */
};

/* Set (to the signal's number) by SIGINT, SIGTERM and SIGHUP. */
extern volatile sig_atomic_t run_quit;

/* Print "proftui: " and the message on stderr as one line; returns code. */
int run_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The target: attach to -p PID, or start the command (or the bundled
 * demo) and wait until it runs Python. 0, or the exit status after a
 * one-line message. */
int run_attach(struct run *r);
int run_start_target(struct run *r);

/* --only's roots, checked before anything starts; and the user's code of
 * the running target (its directory, the interpreter's prefix). */
int run_resolve_only(struct run *r);
void run_target_usercode(struct run *r, const char *target_cwd);

/* End the launched program (and all it started), with a line for the
 * user unless quiet; *status gets its wait status. */
void run_end_child(struct run *r, int *status, int quiet);
/* After the live view: where the program's output went, and its end when
 * it failed by itself. */
void run_report_child_output(struct run *r, int status);
/* Write the profile to every -o file. 0 or the exit status. */
int run_write_profile(struct run *r);

#endif
