/* SPDX-License-Identifier: MIT */
/* One native sample of a thread: its user registers and a copy of the top
 * of its user stack at one instant, as the kernel gave them (a perf event
 * with PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER) or as a brief
 * ptrace stop read them. The capture (ncapture.h) makes them, the unwinder
 * (nunwind.h) reads them. x86-64 only. */
#ifndef PROFTUI_NSAMPLE_H
#define PROFTUI_NSAMPLE_H

#include <stdint.h>

/* The user registers a sample carries (the x86-64 general registers and
 * the instruction pointer; perf's PERF_REG_X86_* without the flags and
 * segment registers). */
enum nreg {
    NREG_RAX, NREG_RBX, NREG_RCX, NREG_RDX, NREG_RSI, NREG_RDI, NREG_RBP, NREG_RSP, NREG_RIP,
    NREG_R8, NREG_R9, NREG_R10, NREG_R11, NREG_R12, NREG_R13, NREG_R14, NREG_R15,
    NREG_COUNT
};

/* Bytes of user stack copied per sample, from the stack pointer up (a
 * perf sample record is at most 64 KiB in all). */
#define NSAMPLE_STACK_MAX (32 * 1024)

struct nsample {
    uint32_t pid, tid;
    uint64_t time_ns;            /* CLOCK_MONOTONIC when it was taken */
    uint64_t regs[NREG_COUNT];
    const uint8_t *stack;        /* a copy of [regs[NREG_RSP], + stack_len): owned by whoever
                                  * filled the sample, valid until its next call */
    uint32_t stack_len;          /* <= NSAMPLE_STACK_MAX; shorter near the stack's top end */
};

#endif
