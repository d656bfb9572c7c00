/* SPDX-License-Identifier: MIT */
/* Reading a saved profile into a profile object (profile.h): the format is
 * detected from the content, never from the file's name:
 *   - gzip (1f 8b): inflated (bounded, see IMPORT_INFLATE_*), then detected again;
 *   - '{' then '"' or '}': JSON, read as speedscope's file format (sampled
 *     and evented profiles);
 *   - marshal dict bytes (0xfb or '{' + a tuple): pstats, refused: pstats
 *     keeps caller->callee pairs, not stacks;
 *   - "<svg" / "<?xml": an SVG flame graph, refused: a drawing, not stacks;
 *   - text (UTF-8 without C0 controls but tab, CR, LF): collapsed stacks, of
 *     proftui, py-spy --format raw, Austin 3, CPython's profiling.sampling
 *     --collapsed or any flamegraph.pl input (import_folded);
 *   - anything else: a protobuf profile.proto message (pprof, plain).
 * Every file is hostile: every length, count, depth and loop is bounded;
 * a malformed file gives ERR_INPUT and a one-line message naming the file
 * and the line or byte offset. */
#ifndef PROFTUI_IMPORT_H
#define PROFTUI_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "table.h"      /* struct frame_key */

struct profile;
struct profile_meta;

#define IMPORT_FILE_MAX (1ULL << 30)          /* bytes read from a file (1 GiB) */
/* A gzip member inflates to at most max(64 MiB, 100 x its size), and never
 * more than 1 GiB: past that it is refused as a gzip bomb. */
#define IMPORT_INFLATE_MIN (64ULL << 20)
#define IMPORT_INFLATE_RATIO 100
#define IMPORT_INFLATE_MAX (1ULL << 30)
#define IMPORT_DEPTH_MAX 16384                /* frames in one stack */
#define IMPORT_COUNT_MAX (1ULL << 62)         /* samples in one profile, all stacks */
#define IMPORT_NAME_MAX 4096                  /* bytes of one name, file or thread name */
#define IMPORT_ERR_MAX 512                    /* a message's size */
/* The frame the writers give a sample without a Python frame: read back as
 * a sample of depth 0. */
#define IMPORT_NO_FRAME "[no Python frame]"

/* Read the file at path ("-": standard input) into p (from profile_new(), nothing recorded yet)
 * and set p's metadata (saved, source, format and whatever the file
 * holds). Returns 0, ERR_INPUT (malformed or not a profile), ERR_USAGE (a
 * format that holds no stacks: pstats, svg), ERR_IO (cannot read it) or
 * ERR_NOMEM; err (cap bytes) then holds one line: "FILE: what, where". */
int import_file(const char *path, struct profile *p, char *err, size_t cap);

/* The same for n bytes in memory; name is used in messages and as the
 * source. */
int import_buffer(const uint8_t *data, size_t n, const char *name, struct profile *p, char *err,
                  size_t cap);

/* import_file() / import_buffer() for a converter that writes every mode
 * (open.c): a pprof file proftui wrote with every thread state (its
 * sample types samples, cpu, gil and idle, and alloc_space, freed_space)
 * is read state by state (table_add_stack_as), so that a replica in each
 * mode counts what the file's type of that mode counts, and *states is
 * set to 1; then a replica in wall mode counts every sample, not the
 * file's mode (read it in the profile's mode). Any other file is read as
 * import_file() reads it, *states 0. */
int import_file_states(const char *path, struct profile *p, char *err, size_t cap, int *states);
int import_buffer_states(const uint8_t *data, size_t n, const char *name, struct profile *p,
                         char *err, size_t cap, int *states);

/* --- For the loaders (src/import/) and their fuzz targets. --- */

/* One load: the table being filled, the metadata found so far and the
 * message of the first error. */
struct import_ctx {
    struct table *t;                 /* the profile's table (locked by the caller) */
    struct profile_meta *meta;
    const char *name;                /* for messages */
    char *err;
    size_t cap;
    uint64_t total;                  /* samples added so far */
    uint64_t bytes;                  /* bytes added so far (import_add_as) */
    struct frame_key *frames;        /* IMPORT_DEPTH_MAX of them, for one stack */
    struct import_reasons *reasons;  /* failures by reason the file states, per thread */
    size_t nreasons, capreasons;
    uint64_t restored;               /* failures given back their reason so far */
    int states;                      /* read a proftui pprof's every state (import_file_states) */
    int got_states;                  /* ... and it did */
};

#define IMPORT_ANY_THREAD UINT64_MAX         /* reasons known only for all threads together */
#define IMPORT_REASONS_MAX 65536             /* threads with reasons */
#define IMPORT_RESTORE_MAX (1u << 22)        /* failures given back their reasons, per file */

/* Failures of one thread by reason (table.h's enum walk_fail), as a file
 * states them, still to be given to its [unreadable] samples. */
struct import_reasons {
    uint64_t tid;                    /* or IMPORT_ANY_THREAD */
    uint64_t why[WALK_FAIL_COUNT];
};

/* Record ERR_INPUT's message "name: " + fmt and return ERR_INPUT. */
int import_fail(struct import_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Note that thread tid (or IMPORT_ANY_THREAD) had why[r] failures of each
 * reason r: its lone [unreadable] samples added later get them back
 * (table_add_failed), up to IMPORT_RESTORE_MAX per file. 0 or ERR_NOMEM;
 * past IMPORT_REASONS_MAX threads the reasons are dropped. */
int import_reasons(struct import_ctx *c, uint64_t tid, const uint64_t why[WALK_FAIL_COUNT]);

/* The thread's process as table_thread_of() keys it: pid as the file
 * names it, else 0 when it is the profile's own (meta->pid, which the
 * caller sets first), 0, or no pid (over 32 bits). */
uint32_t import_thread_pid(const struct import_ctx *c, uint64_t pid);

/* Free what a load kept in c (not c itself, not c->frames). */
void import_ctx_release(struct import_ctx *c);

/* Add frames[0..depth) (LEAF FIRST) as `weight` samples of thread (a
 * lone IMPORT_NO_FRAME frame without a file: a sample with no frame; a
 * lone [unreadable] frame without a file: failures with their reasons when
 * import_reasons() gave them).
 * Keeps the total under IMPORT_COUNT_MAX (ERR_INPUT beyond). */
int import_add(struct import_ctx *c, uint32_t thread, const struct frame_key *frames, int depth,
               uint64_t weight);
/* The same counted in `metric` (table_add_stack_as): a state's samples, or
 * bytes (the failures' reasons are given to samples only; the bytes are
 * kept under IMPORT_COUNT_MAX apart from the samples). */
int import_add_as(struct import_ctx *c, uint32_t thread, const struct frame_key *frames, int depth,
                  uint64_t weight, enum table_metric metric);

/* Intern a function; name/file need not be NUL-terminated (n bytes each)
 * and are cut at IMPORT_NAME_MAX. TABLE_NONE on ENOMEM. */
uint32_t import_func(struct import_ctx *c, const char *name, size_t nlen, const char *file,
                     size_t flen);
/* The same with the function's first line (-1: unknown). */
uint32_t import_func_at(struct import_ctx *c, const char *name, size_t nlen, const char *file,
                        size_t flen, int32_t first_line);
/* The same for a native (C) function and its module (table_intern_native). */
uint32_t import_native(struct import_ctx *c, const char *name, size_t nlen, const char *module,
                       size_t mlen);

/* The offset of the first byte of s[0..n) that is not valid UTF-8
 * (overlong, surrogate, past U+10FFFF, truncated), or n. */
size_t import_utf8_check(const unsigned char *s, size_t n);

/* One "key: value" metadata text as proftui writes it (collapsed.h's '#'
 * lines, pprof's comments) into c->meta; unknown keys are ignored.
 * 0 or ERR_NOMEM. */
int import_meta_text(struct import_ctx *c, const char *text, size_t n);

/* The loaders: 0, ERR_INPUT (message set) or ERR_NOMEM. */
int import_folded(struct import_ctx *c, const char *text, size_t n);
int import_speedscope(struct import_ctx *c, const char *text, size_t n);
int import_pprof(struct import_ctx *c, const uint8_t *data, size_t n);

#endif
