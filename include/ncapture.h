/* SPDX-License-Identifier: MIT */
/* Native samples of the threads of one process (nsample.h): by default
 * without stopping anyone, from perf events the kernel samples each
 * followed thread with while it runs on a CPU (a task-clock event per
 * thread, PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER, read from its
 * mmap ring); or, only when the user asked for it, by stopping one thread
 * at a time with ptrace just long enough to read its registers and stack
 * (never leaving a thread stopped, on every path).
 *
 * ptrace: each take seizes the thread, interrupts it, reads it and
 * detaches it again, so the target shows a TracerPid (proftui's) only
 * during a take, no signal sent to the target between takes stops it (or
 * is reported to proftui's waitpid() on its child), and a proftui that
 * dies leaves nothing stopped. Every call on one capture must come from
 * the same thread (ptrace's tracer is a thread). A thread that cannot
 * stop within 50 ms (an uninterruptible sleep) gives no sample and stays
 * attached until its stop comes (looked for without waiting at the next
 * take) or ncapture_free (which waits up to a second, then leaves it to
 * the kernel, which detaches it when proftui ends). */
#ifndef PROFTUI_NCAPTURE_H
#define PROFTUI_NCAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "nsample.h"

enum ncapture_how {
    NCAPTURE_PERF,      /* perf events: the target is never stopped or traced */
    NCAPTURE_PTRACE     /* ptrace: each sample stops its thread briefly */
};

struct ncapture;

/* A capture of process pid's threads at about hz samples per second per
 * thread on a CPU (perf) or per ncapture_take (ptrace). Caller owns *out
 * (ncapture_free). 0, or ERR_PERM (perf events or ptrace not permitted:
 * the caller says why, e.g. kernel.perf_event_paranoid), ERR_NO_PROCESS,
 * ERR_UNSUPPORTED (no perf events on this kernel/arch), ERR_NOMEM, ERR_IO. */
int ncapture_new(uint32_t pid, enum ncapture_how how, unsigned hz, struct ncapture **out);
/* Close every event and detach every thread (none is left stopped). */
void ncapture_free(struct ncapture *c);

/* Follow thread tid of the process (again: no-op). 0, ERR_NO_PROCESS (it
 * ended), ERR_PERM, ERR_NOMEM, ERR_IO. */
int ncapture_add_thread(struct ncapture *c, uint32_t tid);
/* Stop following thread tid (it ended). */
void ncapture_drop_thread(struct ncapture *c, uint32_t tid);

/* Thread tid's sample for this round. Perf: the newest sample the kernel
 * took of it since the last call for tid (older ones are counted as
 * superseded; none when it did not run on a CPU since). Ptrace: one taken
 * now (stop, read registers and stack, resume). Returns 1 with *out filled
 * (its stack valid until the next call on c), 0 when there is none, or a
 * negative enum err. */
int ncapture_take(struct ncapture *c, uint32_t tid, struct nsample *out);

struct ncapture_stats {
    uint64_t samples;       /* samples handed out by ncapture_take */
    uint64_t superseded;    /* perf samples a newer one of the same thread replaced */
    uint64_t lost;          /* perf samples written over before a take saw them (the ring
                             * keeps the newest; estimated from the bytes written) */
    uint64_t malformed;     /* records that failed decoding (counted, skipped) */
    uint64_t stops;         /* ptrace stops */
};
void ncapture_stats(const struct ncapture *c, struct ncapture_stats *out);

/* Decode one perf sample record (the bytes after its perf_event_header,
 * len of them) as the capture's events write them, into *out (its stack
 * points into rec). 0, or ERR_CORRUPT for a record that does not decode:
 * every length is checked against len. Public for tests and fuzzing. */
int ncapture_decode(const uint8_t *rec, size_t len, struct nsample *out);

#endif
