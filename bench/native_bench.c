/* SPDX-License-Identifier: MIT */
/* The native unwinder's cost: CPU microseconds per unwind of a sample,
 * and per unwind plus naming every frame, of this process's own stack
 * taken at depth 30 (a recursive chain in a thread) and unwound as if
 * remote; or of a Python child (PYTHON given) blocked in os.read() under
 * 30 Python calls, its stack copied once with a brief ptrace stop (the
 * bench's own: proftui never stops its target). The first unwind
 * (modules opened, tables copied, symbols sorted) is reported apart.
 * Not a test. Run:
 *   build/bench/native_bench [iterations [PYTHON]]   (default 20000) */
#include <elf.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "benchlib.h"
#include "nunwind.h"

/* Functions named in the checks: never inlined, nor cloned under another
 * name by gcc (clang has no such clones, nor the attribute). */
#if defined(__clang__)
#define PROFTUI_NOINLINE __attribute__((noinline))
#else
#define PROFTUI_NOINLINE __attribute__((noinline, noclone))
#endif

#define DEPTH 30

static struct nsample sample;
static uint8_t copy[NSAMPLE_STACK_MAX];
static uint64_t top;

__attribute__((no_sanitize_address, noinline)) static void copy_raw(uint64_t from, uint64_t len)
{
    const volatile uint8_t *p = (const volatile uint8_t *)(uintptr_t)from;
    for (uint64_t i = 0; i < len; i++)
        copy[i] = p[i];
}

__attribute__((noinline)) static int take(void)
{
    ucontext_t uc;
    if (getcontext(&uc) != 0)
        return -1;
    const greg_t *g = uc.uc_mcontext.gregs;
    const int map[NREG_COUNT] = {REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI,
                                 REG_RBP, REG_RSP, REG_RIP, REG_R8, REG_R9, REG_R10,
                                 REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};
    for (int i = 0; i < NREG_COUNT; i++)
        sample.regs[i] = (uint64_t)g[map[i]];
    uint64_t sp = sample.regs[NREG_RSP];
    sample.stack_len = top - sp < NSAMPLE_STACK_MAX ? (uint32_t)(top - sp) : NSAMPLE_STACK_MAX;
    copy_raw(sp, sample.stack_len);
    sample.stack = copy;
    sample.pid = sample.tid = (uint32_t)getpid();
    return 0;
}

PROFTUI_NOINLINE static int descend(int depth)
{
    int r = depth > 1 ? descend(depth - 1) : take();
    __asm__ volatile("" ::: "memory");
    return r;
}

static void *thread_main(void *arg)
{
    pthread_attr_t a;
    void *addr;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &a) != 0 || pthread_attr_getstack(&a, &addr, &size))
        return NULL;
    pthread_attr_destroy(&a);
    top = (uint64_t)(uintptr_t)addr + size;
    return descend(DEPTH) == 0 ? arg : NULL;
}

static const char script[] =
    "import os\n"
    "def f(n):\n"
    "    return f(n - 1) if n else os.read(0, 1)\n"
    "f(30)\n";

/* Registers and stack of pid, stopped for a moment. */
static int copy_child(pid_t pid)
{
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long long a, b;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "[stack]") && sscanf(line, "%llx-%llx", &a, &b) == 2)
            top = b;
    if (f)
        fclose(f);
    struct user_regs_struct r;
    struct iovec io = {&r, sizeof r};
    int st, rc = -1;
    if (!top || ptrace(PTRACE_SEIZE, pid, 0, 0) != 0)
        return -1;
    if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) == 0 && waitpid(pid, &st, __WALL) == pid &&
        ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &io) == 0 && r.rsp < top) {
        const uint64_t v[NREG_COUNT] = {r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp,
                                        r.rsp, r.rip, r.r8, r.r9, r.r10, r.r11, r.r12,
                                        r.r13, r.r14, r.r15};
        memcpy(sample.regs, v, sizeof v);
        sample.stack_len = top - r.rsp < NSAMPLE_STACK_MAX ? (uint32_t)(top - r.rsp)
                                                           : NSAMPLE_STACK_MAX;
        struct iovec local = {copy, sample.stack_len};
        struct iovec remote = {(void *)(uintptr_t)r.rsp, sample.stack_len};
        if (process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)sample.stack_len)
            rc = 0;
    }
    ptrace(PTRACE_DETACH, pid, 0, 0);
    sample.stack = copy;
    sample.pid = sample.tid = (uint32_t)pid;
    return rc;
}

/* A Python child blocked in os.read() on a pipe under 30 calls. */
static pid_t python_child(const char *python, int *wfd)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[0], 0);
        close(fds[1]);
        execl(python, python, "-c", script, (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    *wfd = fds[1];
    char path[64], buf[64];
    snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
    for (int i = 0; pid > 0 && i < 1000; i++) {     /* until it sleeps in read() */
        FILE *f = fopen(path, "r");
        int in_read = f && fgets(buf, sizeof buf, f) && strncmp(buf, "0 ", 2) == 0;
        if (f)
            fclose(f);
        if (in_read)
            return copy_child(pid) == 0 ? pid : -1;
        usleep(10000);
    }
    return -1;
}

/* One unwind, and with names when name is set: the frame count. */
static int once(struct nunwind *u, int name, int *complete)
{
    uint64_t ips[64];
    int n = nunwind_stack(u, &sample, ips, NULL, 64, complete);
    for (int i = 0; name && i < n; i++) {
        struct nsym s;
        nunwind_symbol(u, i ? ips[i] - 1 : ips[i], &s);
    }
    return n;
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 20000;
    pthread_t t;
    void *ok = NULL;
    struct nunwind *u;
    int wfd = -1;
    pid_t child = argc > 2 ? python_child(argv[2], &wfd) : 0;
    if (child == 0 && pthread_create(&t, NULL, thread_main, &sample) == 0 &&
        pthread_join(t, &ok) == 0 && !ok)
        child = -1;
    if (child < 0 || nunwind_new(child ? (uint32_t)child : (uint32_t)getpid(), &u) < 0) {
        fprintf(stderr, "native_bench: no sample or no unwinder (built without libunwind?)\n");
        return 1;
    }
    int complete;
    double t0 = bench_cpu(CLOCK_THREAD_CPUTIME_ID);
    int n = once(u, 1, &complete);
    double cold = bench_cpu(CLOCK_THREAD_CPUTIME_ID) - t0;
    t0 = bench_cpu(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < iters; i++)
        once(u, 0, &complete);
    double bare = bench_cpu(CLOCK_THREAD_CPUTIME_ID) - t0;
    t0 = bench_cpu(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < iters; i++)
        once(u, 1, &complete);
    double named = bench_cpu(CLOCK_THREAD_CPUTIME_ID) - t0;
    printf("native_bench: %s, ", child ? argv[2] : "own chain");
    printf("%d frames (complete %d), %u bytes of stack\n", n, complete,
           sample.stack_len);
    printf("  first unwind + names (modules opened): %.0f us\n", cold * 1e6);
    printf("  unwind:          %.2f us  (%.3f us/frame)\n", bare * 1e6 / iters,
           bare * 1e6 / iters / n);
    printf("  unwind + names:  %.2f us  (%.3f us/frame)\n", named * 1e6 / iters,
           named * 1e6 / iters / n);
    nunwind_free(u);
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    return 0;
}
