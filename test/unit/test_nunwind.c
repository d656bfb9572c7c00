/* SPDX-License-Identifier: MIT */
/* The native unwinder (nunwind.h) on real stacks: this process's own
 * registers and stack copied in a known chain nu_alpha -> nu_beta ->
 * nu_gamma and unwound as if remote; truncated copies; names of libc
 * functions, of an address past a symbol's end, of anonymous memory; and
 * other processes (a C child and a Python child blocked in read()) whose
 * stacks the test copies with a brief ptrace stop (only here: proftui's
 * capture never stops the target). */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <elf.h>

#include "check.h"
#include "error.h"
#include "nunwind.h"

/* Functions named in the checks: never inlined, nor cloned under another
 * name by gcc (clang has no such clones, nor the attribute). */
#if defined(__clang__)
#define PROFTUI_NOINLINE __attribute__((noinline))
#else
#define PROFTUI_NOINLINE __attribute__((noinline, noclone))
#endif

#if PROFTUI_HAVE_NATIVE

#define DEPTH 64

/* A sample of this thread taken in nu_gamma, and the top of its stack. */
struct capture {
    struct nsample s;
    uint8_t stack[NSAMPLE_STACK_MAX];
    uint64_t top;
    uint64_t beta_local, alpha_local;    /* addresses of a local of nu_beta, nu_alpha */
};

static void fill_regs(struct nsample *s, const ucontext_t *uc)
{
    const greg_t *g = uc->uc_mcontext.gregs;
    uint64_t *r = s->regs;
    r[NREG_RAX] = (uint64_t)g[REG_RAX], r[NREG_RBX] = (uint64_t)g[REG_RBX];
    r[NREG_RCX] = (uint64_t)g[REG_RCX], r[NREG_RDX] = (uint64_t)g[REG_RDX];
    r[NREG_RSI] = (uint64_t)g[REG_RSI], r[NREG_RDI] = (uint64_t)g[REG_RDI];
    r[NREG_RBP] = (uint64_t)g[REG_RBP], r[NREG_RSP] = (uint64_t)g[REG_RSP];
    r[NREG_RIP] = (uint64_t)g[REG_RIP], r[NREG_R8] = (uint64_t)g[REG_R8];
    r[NREG_R9] = (uint64_t)g[REG_R9], r[NREG_R10] = (uint64_t)g[REG_R10];
    r[NREG_R11] = (uint64_t)g[REG_R11], r[NREG_R12] = (uint64_t)g[REG_R12];
    r[NREG_R13] = (uint64_t)g[REG_R13], r[NREG_R14] = (uint64_t)g[REG_R14];
    r[NREG_R15] = (uint64_t)g[REG_R15];
}

/* Copy live stack bytes, redzones included (not a read ASan should check). */
__attribute__((no_sanitize_address, noinline)) static void copy_raw(uint8_t *to, uint64_t from,
                                                                    uint64_t len)
{
    const volatile uint8_t *p = (const volatile uint8_t *)(uintptr_t)from;
    for (uint64_t i = 0; i < len; i++)
        to[i] = p[i];
}

/* The registers as getcontext() left them (the state just after its call
 * returned into nu_gamma) and the stack from there up. */
static PROFTUI_NOINLINE int nu_gamma(struct capture *c)
{
    ucontext_t uc;
    if (getcontext(&uc) != 0)
        return -1;
    fill_regs(&c->s, &uc);
    uint64_t sp = c->s.regs[NREG_RSP];
    uint64_t len = c->top - sp < NSAMPLE_STACK_MAX ? c->top - sp : NSAMPLE_STACK_MAX;
    copy_raw(c->stack, sp, len);
    c->s.stack = c->stack;
    c->s.stack_len = (uint32_t)len;
    c->s.pid = c->s.tid = (uint32_t)getpid();
    return 1;
}

static PROFTUI_NOINLINE int nu_beta(struct capture *c)
{
    volatile int local = 1;
    c->beta_local = (uint64_t)(uintptr_t)&local;
    int r = nu_gamma(c);
    __asm__ volatile("" ::: "memory");
    return r + local;
}

static PROFTUI_NOINLINE int nu_alpha(struct capture *c)
{
    volatile int local = 1;
    c->alpha_local = (uint64_t)(uintptr_t)&local;
    int r = nu_beta(c);
    __asm__ volatile("" ::: "memory");
    return r + local;
}

static void *chain_thread(void *arg)
{
    struct capture *c = arg;
    pthread_attr_t a;
    void *addr;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &a) != 0 || pthread_attr_getstack(&a, &addr, &size))
        return NULL;
    pthread_attr_destroy(&a);
    c->top = (uint64_t)(uintptr_t)addr + size;
    return nu_alpha(c) == 3 ? c : NULL;
}

/* The address naming frame i: a caller's return address minus one, the
 * call instruction (a call to a noreturn function can be the last
 * instruction of its caller: the return address is past its end). */
static uint64_t call_site(const uint64_t *ips, int i)
{
    return i > 0 ? ips[i] - 1 : ips[i];
}

/* Position of name in the names of ips[0..n), or -1. */
static int find_name(struct nunwind *u, const uint64_t *ips, int n, const char *name)
{
    for (int i = 0; i < n; i++) {
        struct nsym sym;
        if (nunwind_symbol(u, call_site(ips, i), &sym) == 0 && sym.name && strcmp(sym.name, name) == 0)
            return i;
    }
    return -1;
}

static void print_stack(struct nunwind *u, const uint64_t *ips, int n)
{
    for (int i = 0; i < n; i++) {
        struct nsym sym;
        nunwind_symbol(u, call_site(ips, i), &sym);
        printf("  #%d %#llx %s+%#llx %s%s\n", i, (unsigned long long)ips[i],
               sym.name ? sym.name : "?", (unsigned long long)sym.offset, sym.module,
               sym.interp ? " [interp]" : "");
    }
}

/* ips[0..n) is a prefix of full[0..nfull). */
static int is_prefix(const uint64_t *ips, int n, const uint64_t *full, int nfull)
{
    return n <= nfull && memcmp(ips, full, (size_t)n * sizeof *ips) == 0;
}

static void test_self_chain(struct nunwind *u)
{
    static struct capture c;
    pthread_t t;
    void *ok = NULL;
    CHECK(pthread_create(&t, NULL, chain_thread, &c) == 0 && pthread_join(t, &ok) == 0 && ok);
    if (!ok)
        return;
    uint64_t full[DEPTH], ips[DEPTH], sps[DEPTH];
    int complete = -1;
    int n = nunwind_stack(u, &c.s, full, sps, DEPTH, &complete);
    print_stack(u, full, n);
    CHECKF(n >= 4, "self chain: %d frames", n);
    CHECK_EQ(full[0], c.s.regs[NREG_RIP]);
    int g = find_name(u, full, n, "nu_gamma"), b = find_name(u, full, n, "nu_beta"),
        a = find_name(u, full, n, "nu_alpha"), th = find_name(u, full, n, "chain_thread");
    CHECKF(g == 0 && b == 1 && a == 2 && th == 3, "gamma %d beta %d alpha %d thread %d", g, b, a,
           th);
    CHECKF(complete == 1, "a whole thread's stack (%u bytes) unwinds to its outermost frame",
           c.s.stack_len);
    /* Each frame's stack pointer: a frame's locals lie in [sps[i], sps[i + 1]). */
    CHECK_EQ(sps[0], c.s.regs[NREG_RSP]);
    for (int i = 1; i < n; i++)
        CHECKF(sps[i] > sps[i - 1], "sps[%d] %#llx above sps[%d]", i, (unsigned long long)sps[i],
               i - 1);
    CHECKF(n > 3 && c.beta_local >= sps[1] && c.beta_local < sps[2] && c.alpha_local >= sps[2] &&
           c.alpha_local < sps[3], "nu_beta's local %#llx, nu_alpha's %#llx in their frames",
           (unsigned long long)c.beta_local, (unsigned long long)c.alpha_local);
    /* Truncated copies: a prefix of the whole unwind, never complete
     * unless all of it was found. */
    struct nsample cut = c.s;
    int tiny_complete = -1;
    for (uint32_t len = 0; len <= c.s.stack_len; len += len < 256 ? 8 : 64) {
        cut.stack_len = len;
        int m = nunwind_stack(u, &cut, ips, NULL, DEPTH, &complete);
        CHECKF(m >= 1 && is_prefix(ips, m, full, n), "cut at %u: %d frames, a prefix", len, m);
        CHECKF(!complete || m == n, "cut at %u: complete with %d of %d frames", len, m, n);
        if (len == 16)
            tiny_complete = complete;
    }
    CHECK(tiny_complete == 0);
    /* max bounds the frames and a bounded walk is not complete. */
    int m = nunwind_stack(u, &c.s, ips, NULL, 2, &complete);
    CHECK(m == 2 && complete == 0 && is_prefix(ips, m, full, n));
}

/* The mapping of /proc/self/maps holding addr: start and file offset. */
static int self_map(uint64_t addr, uint64_t *start, uint64_t *offset)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f)) {
        unsigned long long s, e, off;
        if (sscanf(line, "%llx-%llx %*s %llx", &s, &e, &off) == 3 && addr >= s && addr < e) {
            *start = s;
            *offset = off;
            found = 1;
        }
    }
    if (f)
        fclose(f);
    return found;
}

/* A function whose symbol covers one byte of its code: the bytes after
 * it are in no symbol. */
__asm__(".text\n.p2align 4\n.globl nu_sized\n.type nu_sized,@function\nnu_sized:\n"
        "ret\n.size nu_sized, 1\nnop\nnop\nnop\nnop\nnop\nnop\nnop\nnop\nnop\nnop\n.p2align 4\n");
void nu_sized(void);

static void test_symbols(struct nunwind *u)
{
    struct nsym sym;
    /* Past a symbol's end: no name, the offset in the file. */
    uint64_t at = (uint64_t)(uintptr_t)nu_sized, start, off;
    CHECK(nunwind_symbol(u, at, &sym) == 0 && sym.name && strcmp(sym.name, "nu_sized") == 0 &&
          sym.offset == 0 && sym.interp == 0);
    CHECK(self_map(at + 4, &start, &off));
    CHECK(nunwind_symbol(u, at + 4, &sym) == 0 && sym.name == NULL &&
          sym.offset == at + 4 - start + off && strstr(sym.module, "test_nunwind"));
    /* libc's own functions at known offsets (dladdr1 gives the extent). */
    /* (Looked up in libc itself: under ASan the default ones are its
     * interceptors.) */
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    CHECK(libc != NULL);
    if (!libc)
        return;
    const char *fns[] = {"getpid", "qsort", "fork", "opendir"};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        void *p = dlsym(libc, fns[i]);
        Dl_info info;
        const ElfW(Sym) *es = NULL;
        if (!p || !dladdr1(p, &info, (void **)&es, RTLD_DL_SYMENT) || !es || es->st_size < 2) {
            CHECKF(0, "libc %s: no dladdr1", fns[i]);
            continue;
        }
        uint64_t k = es->st_size / 2;
        CHECKF(nunwind_symbol(u, (uint64_t)(uintptr_t)p + k, &sym) == 0 && sym.name &&
               sym.offset == k && strstr(sym.module, "libc.so") && !sym.interp,
               "libc %s+%llu: %s+%llu in %s", fns[i], (unsigned long long)k,
               sym.name ? sym.name : "?", (unsigned long long)sym.offset, sym.module);
        if (sym.name && strcmp(sym.name, fns[i]) != 0) {
            void *alias = dlsym(libc, sym.name);
            CHECKF(!alias || alias == p, "%s named %s, at another address", fns[i], sym.name);
        }
    }
    /* memcpy resolves to one of libc's implementations: named by the
     * full symbol table when one is installed (libc6-dbg), else by offset. */
    at = (uint64_t)(uintptr_t)dlsym(libc, "memcpy");
    dlclose(libc);
    CHECK(self_map(at, &start, &off));
    CHECK(nunwind_symbol(u, at, &sym) == 0 && strstr(sym.module, "libc.so"));
    CHECKF(sym.name ? strstr(sym.name, "mem") && sym.offset == 0
                    : sym.offset == at - start + off,
           "memcpy: %s+%llu", sym.name ? sym.name : "?", (unsigned long long)sym.offset);
    /* Anonymous memory mapped after the unwinder read the maps. */
    long page = sysconf(_SC_PAGESIZE);
    uint8_t *anon = mmap(NULL, (size_t)page * 3, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
                         -1, 0);
    CHECK(anon != MAP_FAILED);
    if (anon != MAP_FAILED) {
        CHECK(nunwind_symbol(u, (uint64_t)(uintptr_t)anon + 100, &sym) == 0 && !sym.name &&
              sym.module && sym.module[0] == '\0' && !sym.interp);
        munmap(anon, (size_t)page * 3);
    }
    CHECK(nunwind_symbol(u, 16, &sym) == 0 && !sym.name && sym.module[0] == '\0');
}

/* Registers and a copy of the stack of pid, stopped for a moment with
 * PTRACE_SEIZE + PTRACE_INTERRUPT (the test's own ptrace: proftui never
 * stops its target). 0, or -1 (ptrace not allowed: skipped). */
static int ptrace_sample(pid_t pid, struct capture *c)
{
    if (ptrace(PTRACE_SEIZE, pid, 0, 0) != 0)
        return -1;
    int st, rc = -1;
    struct user_regs_struct r;
    struct iovec io = {&r, sizeof r};
    if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) == 0 && waitpid(pid, &st, __WALL) == pid &&
        WIFSTOPPED(st) && ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &io) == 0) {
        uint64_t *g = c->s.regs;
        g[NREG_RAX] = r.rax, g[NREG_RBX] = r.rbx, g[NREG_RCX] = r.rcx, g[NREG_RDX] = r.rdx;
        g[NREG_RSI] = r.rsi, g[NREG_RDI] = r.rdi, g[NREG_RBP] = r.rbp, g[NREG_RSP] = r.rsp;
        g[NREG_RIP] = r.rip, g[NREG_R8] = r.r8, g[NREG_R9] = r.r9, g[NREG_R10] = r.r10;
        g[NREG_R11] = r.r11, g[NREG_R12] = r.r12, g[NREG_R13] = r.r13, g[NREG_R14] = r.r14;
        g[NREG_R15] = r.r15;
        uint64_t len = c->top - r.rsp < NSAMPLE_STACK_MAX ? c->top - r.rsp : NSAMPLE_STACK_MAX;
        struct iovec local = {c->stack, len}, remote = {(void *)(uintptr_t)r.rsp, len};
        if (r.rsp < c->top && process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len) {
            c->s.stack = c->stack;
            c->s.stack_len = (uint32_t)len;
            c->s.pid = c->s.tid = (uint32_t)pid;
            rc = 0;
        }
    }
    ptrace(PTRACE_DETACH, pid, 0, 0);
    return rc;
}

/* The end of pid's [stack] mapping, or 0. */
static uint64_t stack_top(pid_t pid)
{
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    uint64_t top = 0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long long s, e;
        if (strstr(line, "[stack]") && sscanf(line, "%llx-%llx", &s, &e) == 2)
            top = e;
    }
    if (f)
        fclose(f);
    return top;
}

/* Wait (10 s at most) until pid sleeps in read() (syscall 0). */
static int wait_in_read(pid_t pid)
{
    char path[64], buf[64];
    snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
    for (int i = 0; i < 1000; i++) {
        FILE *f = fopen(path, "r");
        int got = f && fgets(buf, sizeof buf, f) != NULL;
        if (f)
            fclose(f);
        if (got && strncmp(buf, "0 ", 2) == 0)
            return 0;
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    return -1;
}

static PROFTUI_NOINLINE int child_b(int fd)
{
    char ch;
    int r = (int)read(fd, &ch, 1);
    __asm__ volatile("" ::: "memory");
    return r + 1;
}

static PROFTUI_NOINLINE int child_a(int fd)
{
    int r = child_b(fd);
    __asm__ volatile("" ::: "memory");
    return r + 1;
}

/* The stack of a child blocked in read(): libc's read, then the C chain
 * or Python's PyEval_EvalCode, and _start last when the copy holds it all. */
static void check_child(struct nunwind *u, const struct capture *c, const char *const *argv)
{
    uint64_t ips[DEPTH];
    int complete = -1, n = nunwind_stack(u, &c->s, ips, NULL, DEPTH, &complete);
    printf("%s child, %u bytes of stack:\n", argv ? argv[0] : "C", c->s.stack_len);
    print_stack(u, ips, n);
    /* read() itself, maybe below libc helpers without a public name. */
    int r = -1;
    for (int i = 0; i < n && i < 4 && r < 0; i++) {
        struct nsym sym;
        if (nunwind_symbol(u, call_site(ips, i), &sym) == 0 && sym.name &&
            strstr(sym.name, "read") &&
            strstr(sym.module, "libc.so"))
            r = i;
    }
    CHECKF(r >= 0, "libc's read in the first frames");
    if (!argv) {
        int b = find_name(u, ips, n, "child_b"), a = find_name(u, ips, n, "child_a"),
            m = find_name(u, ips, n, "main");
        CHECKF(b > r && a == b + 1 && m > a, "child_b %d child_a %d main %d", b, a, m);
    } else {
        /* (_PyEval_EvalFrameDefault is not on the stack of a
         * tail-calling interpreter: Debian's 3.15.) */
        struct nsym sym;
        int e = find_name(u, ips, n, "PyEval_EvalCode");
        CHECKF(e > r && nunwind_symbol(u, call_site(ips, e), &sym) == 0 && sym.interp,
               "python: PyEval_EvalCode at %d", e);
    }
    /* The whole main-thread stack fits the copy: up to _start. */
    if (c->top - c->s.regs[NREG_RSP] <= NSAMPLE_STACK_MAX)
        CHECKF(complete == 1 && find_name(u, ips, n, "_start") == n - 1,
               "complete %d, _start last", complete);
}

/* Unwind a child blocked in read() on a pipe: a C function chain, or
 * Python (argv). Checks names and returns the frames found. */
static void test_child(const char *const *argv)
{
    int fds[2];
    if (pipe(fds) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[1]);
        if (argv) {
            dup2(fds[0], 0);
            execv(argv[0], (char *const *)argv);
            _exit(127);
        }
        _exit(child_a(fds[0]));
    }
    close(fds[0]);
    static struct capture c;
    memset(&c, 0, sizeof c);
    int rc = pid > 0 ? wait_in_read(pid) : -1;
    CHECKF(rc == 0, "%s child blocks in read()", argv ? argv[0] : "C");
    c.top = rc == 0 ? stack_top(pid) : 0;
    if (rc == 0 && ptrace_sample(pid, &c) != 0) {
        printf("SKIP: ptrace of a child not allowed here (%s)\n", strerror(errno));
        rc = -1;
    }
    struct nunwind *u = NULL;
    if (rc == 0 && nunwind_new((uint32_t)pid, &u) == 0) {
        check_child(u, &c, argv);
        nunwind_free(u);
    }
    close(fds[1]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

/* An expat start-element handler: a sample taken inside libexpat's
 * XML_Parse, a library loaded after the unwinder read the maps. */
static PROFTUI_NOINLINE void expat_start(void *data, const char *el,
                                                           const char **attr)
{
    nu_gamma(data);
    __asm__ volatile("" ::: "memory");
}

static PROFTUI_NOINLINE int expat_parse(struct capture *c, void *lib)
{
    void *(*create)(const char *);
    void (*set_data)(void *, void *), (*pfree)(void *);
    void (*set_start)(void *, void (*)(void *, const char *, const char **));
    int (*parse)(void *, const char *, int, int);
    *(void **)&create = dlsym(lib, "XML_ParserCreate");
    *(void **)&set_data = dlsym(lib, "XML_SetUserData");
    *(void **)&set_start = dlsym(lib, "XML_SetStartElementHandler");
    *(void **)&parse = dlsym(lib, "XML_Parse");
    *(void **)&pfree = dlsym(lib, "XML_ParserFree");
    void *p = create && set_data && set_start && parse && pfree ? create(NULL) : NULL;
    if (!p)
        return -1;
    set_data(p, c);
    set_start(p, expat_start);
    int ok = parse(p, "<a/>", 4, 1);
    pfree(p);
    return ok == 1 ? 0 : -1;
}

/* Unwinding through a module mapped after the unwinder was made (the
 * maps read again in the walk): handler, libexpat, the caller. */
static void test_new_module(struct nunwind *u)
{
    void *lib = dlopen("libexpat.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        printf("SKIP: no libexpat.so.1 to load\n");
        return;
    }
    static struct capture c;
    memset(&c, 0, sizeof c);
    c.top = stack_top(getpid());
    CHECK(c.top && expat_parse(&c, lib) == 0 && c.s.stack_len > 0);
    uint64_t ips[DEPTH];
    int complete, n = nunwind_stack(u, &c.s, ips, NULL, DEPTH, &complete);
    printf("inside libexpat's XML_Parse:\n");
    print_stack(u, ips, n);
    int h = find_name(u, ips, n, "expat_start"), p = find_name(u, ips, n, "expat_parse"), x = -1;
    for (int i = h + 1; h >= 0 && i < p && x < 0; i++) {
        struct nsym sym;
        if (nunwind_symbol(u, call_site(ips, i), &sym) == 0 && strstr(sym.module, "libexpat"))
            x = i;
    }
    CHECKF(h == 1 && x > h && p > x, "handler %d, libexpat %d, its caller %d", h, x, p);
    dlclose(lib);
}

static PROFTUI_NOINLINE void spin_b(void)
{
    struct timespec ts;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        __asm__ volatile("" ::: "memory");
    }
}

static PROFTUI_NOINLINE void spin_a(void)
{
    spin_b();
    __asm__ volatile("" ::: "memory");
}

/* The vDSO (no file: read from the target's memory): its names, and a
 * child caught inside clock_gettime there unwound through it. */
static void test_vdso(struct nunwind *self)
{
    uint64_t base = getauxval(AT_SYSINFO_EHDR);
    int named = 0;
    for (uint64_t a = base; base && a < base + 8192 && !named; a += 4) {
        struct nsym sym;
        named = nunwind_symbol(self, a, &sym) == 0 && sym.name &&
                strstr(sym.name, "clock_gettime") && strcmp(sym.module, "[vdso]") == 0;
    }
    CHECKF(named, "clock_gettime named in the vDSO at %#llx", (unsigned long long)base);
    pid_t pid = fork();
    if (pid == 0) {
        spin_a();
        _exit(0);
    }
    static struct capture c;
    memset(&c, 0, sizeof c);
    c.top = stack_top(pid);
    struct nunwind *u = NULL;
    CHECK(pid > 0 && c.top && nunwind_new((uint32_t)pid, &u) == 0);
    int caught = 0, tries = 0;
    for (; u && tries < 300 && !caught; tries++) {
        if (ptrace_sample(pid, &c) != 0)
            break;
        uint64_t ips[DEPTH];
        struct nsym sym;
        int complete = -1, n = nunwind_stack(u, &c.s, ips, NULL, DEPTH, &complete);
        if (n < 1 || nunwind_symbol(u, ips[0], &sym) != 0 || strcmp(sym.module, "[vdso]") != 0)
            continue;
        caught = 1;
        printf("spinning child, caught in the vDSO after %d tries:\n", tries + 1);
        print_stack(u, ips, n);
        int b = find_name(u, ips, n, "spin_b"), a = find_name(u, ips, n, "spin_a");
        CHECKF(b >= 1 && a == b + 1, "spin_b %d spin_a %d", b, a);
        if (c.top - c.s.regs[NREG_RSP] <= NSAMPLE_STACK_MAX)
            CHECKF(complete == 1, "complete %d", complete);
    }
    CHECKF(caught, "a spinning child caught in the vDSO (%d tries)", tries);
    nunwind_free(u);
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
}

/* A Python child for each interpreter: /usr/bin/python3, Debian's 3.14
 * (libpython3.14.so) and 3.15 (static) from $PROFTUI_DEBIAN_PYTHONS when
 * fetched, and any given on the command line. */
static void test_pythons(int argc, char **argv)
{
    const char *dir = getenv("PROFTUI_DEBIAN_PYTHONS");
    char deb[2][4096];
    const char *names[] = {"python3.14-shared", "python3.15"};
    const char *list[2 + 2 + 64];
    int n = 0;
    list[n++] = "/usr/bin/python3";
    for (int i = 0; i < 2 && dir; i++) {
        snprintf(deb[i], sizeof deb[i], "%s/root/usr/bin/%s", dir, names[i]);
        list[n++] = deb[i];
    }
    for (int i = 1; i < argc && n < (int)(sizeof list / sizeof list[0]); i++)
        list[n++] = argv[i];
    for (int i = 0; i < n; i++) {
        const char *py[] = {list[i], "-c", "import os; os.read(0, 1)", NULL};
        if (access(py[0], X_OK) == 0)
            test_child(py);
        else
            printf("SKIP: %s: not there\n", py[0]);
    }
}

int main(int argc, char **argv)
{
    struct nunwind *u = NULL;
    CHECK(nunwind_new(0x7ffffff0u, &u) == ERR_NO_PROCESS && u == NULL);
    CHECK(nunwind_new((uint32_t)getpid(), &u) == 0 && u);
    if (u) {
        test_self_chain(u);
        test_symbols(u);
        test_new_module(u);
    }
    test_child(NULL);
    if (u)
        test_vdso(u);
    test_pythons(argc, argv);
    nunwind_free(u);
    return check_report("nunwind");
}

#else

int main(void)
{
    struct nunwind *u = NULL;
    CHECK(nunwind_new((uint32_t)getpid(), &u) == ERR_UNSUPPORTED && u == NULL);
    return check_report("nunwind");
}

#endif
