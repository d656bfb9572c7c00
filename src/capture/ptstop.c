/* SPDX-License-Identifier: MIT */
/* Native samples by ptrace, only when asked for (--native-ptrace): a
 * thread is seized, interrupted, its registers and the top of its stack
 * read while it stands, and it is detached again, every take: between
 * takes no thread is traced, so no signal meant for the target ever stops
 * it while we are not looking, and nothing is left stopped when proftui
 * ends, however it ends (the kernel detaches a dead tracer's tracees). */
#include "capture_impl.h"

#include <elf.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "clock.h"
#include "error.h"

#define STOP_WAIT_NS 50000000ULL        /* a take waits this long for its thread to stop */
#define RELEASE_WAIT_NS 1000000000ULL   /* and ncapture_free for a stop that had not come */
#define POLL_NS 100000ULL
#define SPIN_POLLS 200
#define IOV_MAX_PAGES (NSAMPLE_STACK_MAX / 4096 + 1)

/* Wait for tid's stop: 1 stopped (*sig: the signal it stopped to take, to
 * be passed on, or 0), 0 not yet by the deadline, -1 gone. The end of
 * the main thread (leader) is looked at without being collected: when the
 * target is proftui's child, its exit status is the sampler's to reap. */
static int wait_stop(uint32_t tid, int leader, uint64_t wait_ns, int *sig)
{
    uint64_t end = clock_now_ns() + wait_ns;
    unsigned polls = 0;
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        int r = waitid(P_PID, (id_t)tid, &si, WSTOPPED | WEXITED | WNOHANG | WNOWAIT | __WALL);
        if (r < 0 && errno != EINTR)
            return -1;
        if (r == 0 && si.si_pid == (pid_t)tid) {
            if (si.si_code == CLD_EXITED || si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED) {
                if (!leader)
                    waitpid((pid_t)tid, NULL, __WALL | WNOHANG);
                return -1;
            }
            int st;
            /* PTRACE_EVENT_STOP: our interrupt, or a group stop (which
             * detaching leaves in place); event 0: a signal arrived before
             * the interrupt: it is delivered on detach. */
            if (waitpid((pid_t)tid, &st, __WALL | WNOHANG) == (pid_t)tid && WIFSTOPPED(st)) {
                *sig = (st >> 16) == 0 ? WSTOPSIG(st) : 0;
                return 1;
            }
            continue;
        }
        if (clock_now_ns() >= end)
            return 0;
        /* A running thread stops within microseconds of the interrupt
         * (and is stopped while we wait): yield first, sleep later. */
        if (++polls <= SPIN_POLLS)
            sched_yield();
        else
            clock_sleep_ns(POLL_NS);
    }
}

static int seize(const struct ncapture *c, struct nthread *t)
{
    if (ptrace(PTRACE_SEIZE, (pid_t)t->tid, NULL, NULL) != 0)
        return errno == ESRCH ? ERR_NO_PROCESS : errno == EPERM || errno == EBUSY ? ERR_PERM
                                                                                   : ERR_IO;
    t->attached = 1;
    if (ptrace(PTRACE_INTERRUPT, (pid_t)t->tid, NULL, NULL) != 0) {
        int sig = 0;
        wait_stop(t->tid, t->tid == c->pid, 0, &sig);    /* gone at once: reap a thread's exit */
        t->attached = 0;
        return ERR_NO_PROCESS;
    }
    return 0;
}

/* The stack from sp up, page by page so that a read stops at the end of
 * the stack's mapping instead of failing. Returns the bytes read. */
static uint32_t read_stack(uint32_t pid, uint64_t sp, uint8_t *buf)
{
    struct iovec local = {.iov_base = buf, .iov_len = NSAMPLE_STACK_MAX};
    struct iovec remote[IOV_MAX_PAGES];
    size_t n = 0, want = NSAMPLE_STACK_MAX;
    uint64_t at = sp;
    while (want > 0 && n < IOV_MAX_PAGES) {
        size_t len = (size_t)(4096 - (at & 4095));
        len = len < want ? len : want;
        remote[n++] = (struct iovec){.iov_base = (void *)(uintptr_t)at, .iov_len = len};
        at += len;
        want -= len;
    }
    local.iov_len = NSAMPLE_STACK_MAX - want;
    ssize_t got = process_vm_readv((pid_t)pid, &local, 1, remote, n, 0);
    return got > 0 ? (uint32_t)got : 0;
}

/* tid's registers and stack while it stands. 1, or 0 when they could not be read. */
static int read_sample(struct ncapture *c, const struct nthread *t, struct nsample *out)
{
    struct user_regs_struct u;
    struct iovec io = {.iov_base = &u, .iov_len = sizeof u};
    memset(out, 0, sizeof *out);
    if (ptrace(PTRACE_GETREGSET, (pid_t)t->tid, (void *)NT_PRSTATUS, &io) != 0)
        return 0;
    const uint64_t regs[NREG_COUNT] = {
        [NREG_RAX] = u.rax, [NREG_RBX] = u.rbx, [NREG_RCX] = u.rcx, [NREG_RDX] = u.rdx,
        [NREG_RSI] = u.rsi, [NREG_RDI] = u.rdi, [NREG_RBP] = u.rbp, [NREG_RSP] = u.rsp,
        [NREG_RIP] = u.rip, [NREG_R8] = u.r8, [NREG_R9] = u.r9, [NREG_R10] = u.r10,
        [NREG_R11] = u.r11, [NREG_R12] = u.r12, [NREG_R13] = u.r13, [NREG_R14] = u.r14,
        [NREG_R15] = u.r15,
    };
    memcpy(out->regs, regs, sizeof regs);
    out->pid = c->pid;
    out->tid = t->tid;
    out->time_ns = clock_now_ns();
    out->stack = c->rec;
    out->stack_len = read_stack(t->tid, u.rsp, c->rec);
    return 1;
}

/* Let a stopped thread go (with the signal it stopped for). */
static void detach(struct nthread *t, int sig)
{
    ptrace(PTRACE_DETACH, (pid_t)t->tid, NULL, (void *)(uintptr_t)sig);
    t->attached = 0;
}

int ptstop_take(struct ncapture *c, struct nthread *t, struct nsample *out)
{
    /* Still attached: an earlier take's stop did not come in time; it is
     * looked for without waiting, so that a thread that cannot stop (in
     * an uninterruptible sleep) does not slow every round down. */
    uint64_t wait_ns = t->attached ? 0 : STOP_WAIT_NS;
    if (!t->attached) {
        int rc = seize(c, t);
        if (rc < 0)
            return rc;
    }
    int sig = 0;
    int rc = wait_stop(t->tid, t->tid == c->pid, wait_ns, &sig);
    if (rc == 0)
        return 0;
    if (rc < 0) {
        t->attached = 0;
        return ERR_NO_PROCESS;
    }
    c->st.stops++;
    int got = read_sample(c, t, out);
    detach(t, sig);
    return got;
}

void ptstop_release(const struct ncapture *c, struct nthread *t)
{
    if (!t->attached)
        return;
    int sig = 0;
    ptrace(PTRACE_INTERRUPT, (pid_t)t->tid, NULL, NULL);
    if (wait_stop(t->tid, t->tid == c->pid, RELEASE_WAIT_NS, &sig) == 1)
        detach(t, sig);
    /* else gone, or it never stopped: the kernel lets it go when we end */
    t->attached = 0;
}

int ptstop_probe(struct ncapture *c)
{
    struct nthread t = {.tid = c->pid, .fd = -1};
    struct nsample s;
    int rc = ptstop_take(c, &t, &s);
    ptstop_release(c, &t);
    /* A main thread that ended while others run: the threads are tried one by one. */
    return rc == ERR_NO_PROCESS && kill((pid_t)c->pid, 0) == 0 ? 0 : rc < 0 ? rc : 0;
}
