/* SPDX-License-Identifier: MIT */
/* Fuzz target: the native unwinder (nunwind.h) on random samples of this
 * very process (its own maps, modules and unwind tables are the target's).
 * The input is:
 *   byte 0      the frame bound (1 + b % 64)
 *   byte 1      where rip points: an offset into one of a few real
 *               functions (ours, libc's) chosen by byte 1, the offset from
 *               bytes 2-3; when byte 1 is 0xff, the raw rip among the
 *               registers; when 0xfe, the rest of the input is XORed into
 *               a real sample of this process taken once (registers, then
 *               stack), so that mutations of real deep stacks are tried
 *   bytes 4-139 the 17 registers (rsp only names the copy's address)
 *   the rest    the stack copy, in which each 8-byte word whose top byte
 *               is 0xaa becomes a return address into one of those
 *               functions (low byte: which, next two: the offset).
 * Checked: the count is ERR_CORRUPT or 1..bound, ips[0] is rip, every
 * caller is in an executable mapping with a bounded name, complete only
 * below the bound, and the same sample unwound again gives the same
 * frames (warm caches change nothing). Every address is named too.
 * Violations abort. */
#include <stdio.h>
#include <ucontext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "nunwind.h"

#define MAX_FRAMES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void violation(const char *what)
{
    fprintf(stderr, "fuzz_nunwind: invariant broken: %s\n", what);
    abort();
}

/* Code to point into: a few real functions of the process. */
static uint64_t code_at(unsigned which, unsigned off)
{
    const uintptr_t fns[] = {(uintptr_t)LLVMFuzzerTestOneInput, (uintptr_t)violation,
                             (uintptr_t)nunwind_stack, (uintptr_t)nunwind_symbol,
                             (uintptr_t)memcpy, (uintptr_t)qsort, (uintptr_t)fopen,
                             (uintptr_t)abort, (uintptr_t)read, (uintptr_t)malloc};
    unsigned n = sizeof fns / sizeof fns[0];
    return (uint64_t)fns[which % n] + off % 2048;
}

/* Executable mappings of this process, read again when ip is in none. */
static int in_exec_map(uint64_t ip)
{
    static uint64_t lo[4096], hi[4096];
    static int n = -1;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < n; i++)
            if (ip >= lo[i] && ip < hi[i])
                return 1;
        FILE *f = fopen("/proc/self/maps", "r");
        char line[4096];
        n = 0;
        while (f && n < 4096 && fgets(line, sizeof line, f)) {
            unsigned long long a, b;
            char perms[8];
            if (sscanf(line, "%llx-%llx %7s", &a, &b, perms) == 3 && perms[2] == 'x') {
                lo[n] = a;
                hi[n++] = b;
            }
        }
        if (f)
            fclose(f);
    }
    return 0;
}

static void check_name(struct nunwind *u, uint64_t ip, int must_be_code)
{
    if (must_be_code && !in_exec_map(ip))
        violation("a frame outside executable memory");
    struct nsym s;
    if (nunwind_symbol(u, ip, &s) != 0 || !s.module)
        violation("nunwind_symbol failed");
    if (strnlen(s.module, 8192) == 8192 || (s.name && strnlen(s.name, 8192) == 8192))
        violation("unbounded name");
    if (s.name && s.offset > (1ull << 32))
        violation("a symbol's offset beyond any function");
}

static struct nsample real;
static uint8_t real_stack[NSAMPLE_STACK_MAX];

/* The end of this process's main stack mapping, or 0. */
__attribute__((noinline)) static uint64_t stack_end(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    unsigned long long a, b, end = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "[stack]") && sscanf(line, "%llx-%llx", &a, &b) == 2)
            end = b;
    if (f)
        fclose(f);
    return end;
}

/* Copy live stack bytes (redzones included: not a read for ASan). */
__attribute__((no_sanitize_address, noinline)) static void copy_raw(uint8_t *to, uint64_t from,
                                                                    uint64_t len)
{
    const volatile uint8_t *p = (const volatile uint8_t *)(uintptr_t)from;
    for (uint64_t i = 0; i < len; i++)
        to[i] = p[i];
}

/* A sample of this thread here and now: the registers getcontext() saw
 * and the stack above them. */
__attribute__((noinline)) static void take_real(void)
{
    ucontext_t uc;
    uint64_t end = stack_end();
    if (!end || getcontext(&uc) != 0)
        return;
    const greg_t *g = uc.uc_mcontext.gregs;
    const int map[NREG_COUNT] = {REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI,
                                 REG_RBP, REG_RSP, REG_RIP, REG_R8, REG_R9, REG_R10,
                                 REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};
    for (int i = 0; i < NREG_COUNT; i++)
        real.regs[i] = (uint64_t)g[map[i]];
    uint64_t sp = real.regs[NREG_RSP];
    if (sp >= end)
        return;
    real.stack_len = end - sp < NSAMPLE_STACK_MAX ? (uint32_t)(end - sp) : NSAMPLE_STACK_MAX;
    copy_raw(real_stack, sp, real.stack_len);
}

/* The real sample with data XORed into its registers and stack. */
static void mutate_real(const uint8_t *data, size_t size, struct nsample *s, uint8_t *stack)
{
    *s = real;
    uint8_t *regs = (uint8_t *)s->regs;
    for (size_t i = 0; i < size; i++) {
        if (i < sizeof s->regs)
            regs[i] ^= data[i];
        else if (i - sizeof s->regs < real.stack_len)
            real_stack[i - sizeof s->regs] ^= data[i];
    }
    memcpy(stack, real_stack, real.stack_len);
    for (size_t i = sizeof s->regs; i < size && i - sizeof s->regs < real.stack_len; i++)
        real_stack[i - sizeof s->regs] ^= data[i];   /* back as it was */
    s->pid = s->tid = (uint32_t)getpid();
    s->stack = stack;
}

/* The input's sample; stack words tagged 0xaa become code addresses. */
static size_t make_sample(const uint8_t *data, size_t size, struct nsample *s, uint8_t *stack)
{
    memset(s, 0, sizeof *s);
    memcpy(s->regs, data + 4, sizeof s->regs);
    if (data[1] != 0xff)
        s->regs[NREG_RIP] = code_at(data[1], (unsigned)data[2] | (unsigned)data[3] << 8);
    size_t len = size - 4 - sizeof s->regs;
    if (len > NSAMPLE_STACK_MAX)
        len = NSAMPLE_STACK_MAX;
    memcpy(stack, data + 4 + sizeof s->regs, len);
    for (size_t i = 0; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, stack + i, 8);
        if (w >> 56 == 0xaa) {
            w = code_at((unsigned)(w & 0xff), (unsigned)(w >> 8) & 0xffff);
            memcpy(stack + i, &w, 8);
        }
    }
    s->pid = s->tid = (uint32_t)getpid();
    s->stack = stack;
    s->stack_len = (uint32_t)len;
    return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nunwind *u;
    static int tried;
    static uint8_t stack[NSAMPLE_STACK_MAX];
    if (!tried) {
        tried = 1;
        int rc = nunwind_new((uint32_t)getpid(), &u);
        if (rc < 0 && rc != ERR_UNSUPPORTED)
            violation("cannot unwind this process");
        take_real();
    }
    if (!u || size < 4 + sizeof(uint64_t) * NREG_COUNT)
        return 0;
    struct nsample s;
    if (data[1] == 0xfe)
        mutate_real(data + 4, size - 4, &s, stack);
    else
        make_sample(data, size, &s, stack);
    int max = 1 + data[0] % MAX_FRAMES, complete = -1, again_complete = -1;
    uint64_t ips[MAX_FRAMES], again[MAX_FRAMES], sps[MAX_FRAMES], again_sps[MAX_FRAMES];
    int n = nunwind_stack(u, &s, ips, sps, max, &complete);
    if (n == ERR_CORRUPT)
        return 0;
    if (n < 1 || n > max || (complete != 0 && complete != 1))
        violation("frame count out of bounds");
    if (ips[0] != s.regs[NREG_RIP])
        violation("the first frame is not rip");
    if (complete && n == max)
        violation("complete at the bound");
    for (int i = 0; i < n; i++) {
        check_name(u, ips[i], i > 0);
        if (i ? sps[i] <= sps[i - 1] : sps[0] != s.regs[NREG_RSP])
            violation("stack pointers not growing from rsp");
    }
    int m = nunwind_stack(u, &s, again, again_sps, max, &again_complete);
    if (m != n || memcmp(again, ips, (size_t)n * sizeof *ips) != 0 ||
        memcmp(again_sps, sps, (size_t)n * sizeof *sps) != 0 || again_complete != complete) {
        fprintf(stderr, "first %d (complete %d), then %d (complete %d):\n", n, complete, m,
                again_complete);
        for (int i = 0; i < n || i < m; i++)
            fprintf(stderr, "  %#llx %#llx\n", i < n ? (unsigned long long)ips[i] : 0ull,
                    i < m ? (unsigned long long)again[i] : 0ull);
        violation("a second unwind of the same sample differs");
    }
    for (int i = 0; i < NREG_COUNT; i++)
        check_name(u, s.regs[i], 0);
    return 0;
}
