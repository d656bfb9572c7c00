/* SPDX-License-Identifier: MIT */
/* Fuzz images: the memory proftui reads from a CPython process, as a file.
 * The snapshot tool writes them from live interpreters (the seeds), the
 * fuzzer mutates them, and every harness and the seed check load them back
 * into a memimage behind a struct pytarget, then run the whole read path
 * (discovery, thread list, frame walk with a code cache, thread names) with
 * invariant checks that abort on any violation.
 *
 * File format (little-endian):
 *   0  char[8]  "PTFZIMG1"
 *   8  u8 major, u8 minor, u16 reserved
 *  12  u32 hexversion (PY_VERSION_HEX, 0 when unknown)
 *  16  u64 address of _PyRuntime
 *  24  i32 glibc struct pthread tid offset (-1 when unknown)
 *  28  u32 number of segments (informational)
 *  32  segments until the end: u64 address, u32 length, u32 reserved, bytes.
 * A truncated last segment is cut to what is there; overlapping segments
 * are skipped, so every mutation of a file is still a valid image. */
#ifndef PROFTUI_TEST_FUZZIMG_H
#define PROFTUI_TEST_FUZZIMG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "memimage.h"
#include "pytarget.h"
#include "reader.h"

#define FUZZIMG_MAGIC "PTFZIMG1"
#define FUZZIMG_HEADER 32
#define FUZZIMG_SEG_HEADER 16

/* Most threads and names one walk looks at (the image decides how many exist). */
#define FUZZIMG_MAX_THREADS 64

struct fuzzimg {
    struct memimage *m;        /* owned */
    struct reader reader;      /* over m */
    struct pytarget target;    /* target.r points at reader; target.mem is NULL */
    int layout_rc;             /* 0 when a usable layout was chosen */
};

/* Load an image file from memory into img (which owns what it allocates;
 * release with fuzzimg_free, also after a failure). Returns 0,
 * ERR_CORRUPT when the data is not an image, or ERR_NOMEM. A layout that
 * cannot be chosen (unknown version, bad _Py_DebugOffsets) is not a load
 * failure: it is reported in img->layout_rc. */
int fuzzimg_load(const uint8_t *data, size_t size, struct fuzzimg *img);

/* Release what fuzzimg_load took. */
void fuzzimg_free(struct fuzzimg *img);

/* Choose t->layout for CPython 3.minor the way attaching does: the
 * built-in table, refreshed from _Py_DebugOffsets (read through t->r) on
 * 3.13+. Returns 0, ERR_VERSION or ERR_CORRUPT. */
int fuzzimg_choose_layout(struct pytarget *t, int minor);

/* Run the read path over t: readiness, then two walker rounds (the second
 * from warm caches must find exactly what the first found), then the
 * thread names of every interpreter seen. Aborts the process with a message
 * when a result breaks an invariant (a frame without a name, text that is
 * not valid UTF-8 or not bounded, a failed stack with frames, rounds that
 * disagree ...). When out is not NULL, writes a textual description of
 * everything read. */
void fuzzimg_walk(struct pytarget *t, FILE *out);

/* 1 when s[0..len) is well-formed UTF-8 (RFC 3629) without NUL bytes. */
int fuzzimg_utf8_ok(const char *s, size_t len);

/* The file header for target t, written to f. 0 or ERR_IO. */
int fuzzimg_write_header(FILE *f, const struct pytarget *t, uint32_t nsegs);

/* One segment, written to f. 0 or ERR_IO. */
int fuzzimg_write_segment(FILE *f, uint64_t addr, const void *bytes, uint32_t len);

#endif
