/* SPDX-License-Identifier: MIT */
/* The native frames of a sample (nsample.h), and their names: libunwind's
 * remote interface with our own accessors (registers and stack from the
 * sample's copy; unwind tables and code from the target's mapped files,
 * found through /proc/PID/maps), and each address named from the ELF
 * symbol tables of its file (.symtab, .dynsym, and .gnu_debugdata or a
 * separate debug file when present). Nothing here stops or writes the
 * target. Everything read is untrusted: bounded, cycle-checked. */
#ifndef PROFTUI_NUNWIND_H
#define PROFTUI_NUNWIND_H

#include <stdint.h>

#include "nsample.h"

/* The most native frames one stack is unwound to. */
#define NUNWIND_MAX_DEPTH 512

struct nunwind;

/* An unwinder for process pid. Caller owns *out (nunwind_free). 0,
 * ERR_UNSUPPORTED (built without libunwind), ERR_NO_PROCESS, ERR_PERM,
 * ERR_NOMEM. One thread at a time uses an unwinder (it caches modules
 * and unwind rules; the first unwind in a module costs milliseconds, the
 * next ones about half a microsecond per frame). */
int nunwind_new(uint32_t pid, struct nunwind **out);
void nunwind_free(struct nunwind *u);

/* The frames of s, innermost first: ips[0] is the sample's instruction
 * pointer, then each caller's return address (as found: a caller's ip is
 * its return address, not minus one: name it at ips[i] - 1, the call, as
 * a call to a noreturn function can end its caller); when sps is not
 * NULL, sps[i] is frame i's stack pointer (its frame spans [sps[i],
 * sps[i + 1]) of the stack: where its locals are). At most max (<=
 * NUNWIND_MAX_DEPTH).
 * *complete is 1 when the unwind reached the thread's outermost frame,
 * 0 when it stopped before (the stack copy ended, no unwind information,
 * a bad step, max reached). Returns the count (>= 1), or ERR_CORRUPT when
 * not even the first frame is usable, ERR_NOMEM. */
int nunwind_stack(struct nunwind *u, const struct nsample *s, uint64_t *ips, uint64_t *sps, int max,
                  int *complete);

/* The name of a native address. */
struct nsym {
    const char *name;       /* the function (symbol) covering ip, NULL when none does */
    const char *module;     /* path of the file mapped at ip, "" when none (anonymous: JIT) */
    uint64_t offset;        /* ip - the function's start, or with name NULL ip's offset in
                             * the module's file */
    int interp;             /* 1 when module is the interpreter (the python executable or
                             * libpython) */
};

/* Name ip (strings borrowed, valid for the unwinder's life). The target's
 * mappings are read again (at most once per call) when ip is in none of
 * those known. 0 (out of memory, a symbol table is not loaded and ip
 * comes out nameless), or ERR_UNSUPPORTED without libunwind. */
int nunwind_symbol(struct nunwind *u, uint64_t ip, struct nsym *out);

#endif
