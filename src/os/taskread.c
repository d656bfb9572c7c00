/* SPDX-License-Identifier: MIT */
/* Parsers of a thread's schedstat, status, sched and syscall files
 * (taskread.h), read through open descriptors with pread. */
#include "taskread.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"

#define STATUS_MAX 8192          /* /proc/.../status is ~1.5 KB; long CPU masks make it more */
#define SCHED_MAX 8192           /* /proc/.../sched is ~2 KB */
#define DASHES "\n--------------------------------"

/* The whole of a small /proc file through its open fd, NUL-terminated
 * (cap includes the NUL). 0 or ERR_READ. */
static int pread_text(int fd, char *buf, size_t cap)
{
    ssize_t n = pread(fd, buf, cap - 1, 0);
    if (n <= 0)
        return ERR_READ;
    buf[n] = '\0';
    return 0;
}

/* The unsigned decimal at *p (advanced past it and the blank after it);
 * -1 when there is none or it overflows. */
static int parse_u64(const char **p, uint64_t *out)
{
    const char *c = *p;
    uint64_t v = 0;
    if (*c < '0' || *c > '9')
        return -1;
    for (; *c >= '0' && *c <= '9'; c++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*c - '0');
    }
    *p = c + (*c == ' ');
    *out = v;
    return 0;
}

/* Parsed by hand: this is read for every thread every round. */
int taskread_parse_schedstat(const char *buf, uint64_t *run, uint64_t *arrivals)
{
    const char *p = buf;
    uint64_t wait;
    if (parse_u64(&p, run) < 0 || parse_u64(&p, &wait) < 0 || parse_u64(&p, arrivals) < 0)
        return ERR_READ;
    return 0;
}

int taskread_schedstat(int fd, uint64_t *run, uint64_t *arrivals)
{
    char buf[128];
    return pread_text(fd, buf, sizeof buf) < 0 ? ERR_READ
                                               : taskread_parse_schedstat(buf, run, arrivals);
}

/* The number after "\n<key>" in a status file, or -1. */
static long long status_field(const char *buf, const char *key)
{
    const char *p = strstr(buf, key);
    if (!p)
        return -1;
    char *end;
    long long v = strtoll(p + strlen(key), &end, 10);
    return end == p + strlen(key) || v < 0 ? -1 : v;
}

int taskread_parse_status(const char *buf, struct task_switches *sw)
{
    const char *st = strstr(buf, "\nState:\t");
    long long vol = status_field(buf, "\nvoluntary_ctxt_switches:\t");
    long long invol = status_field(buf, "\nnonvoluntary_ctxt_switches:\t");
    if (!st || !st[8] || vol < 0 || invol < 0)
        return ERR_READ;
    *sw = (struct task_switches){.vol = (uint64_t)vol, .invol = (uint64_t)invol,
                                 .state_r = st[8] == 'R'};
    return 0;
}

int taskread_status(int fd, struct task_switches *sw)
{
    char buf[STATUS_MAX];
    return pread_text(fd, buf, sizeof buf) < 0 ? ERR_READ : taskread_parse_status(buf, sw);
}

/* se.exec_start ("MS.NNNNNN") from p on. */
static int exec_start_in(const char *p, uint64_t *ns)
{
    p = p ? strstr(p, "\nse.exec_start") : NULL;
    p = p ? strchr(p, ':') : NULL;
    unsigned long long ms;
    unsigned frac;
    int len = 0;
    if (!p || sscanf(p + 1, " %llu.%6u%n", &ms, &frac, &len) != 2 || len == 0 ||
        ms > UINT64_MAX / 1000000ULL - 1)
        return ERR_READ;
    *ns = ms * 1000000ULL + frac;
    return 0;
}

int taskread_parse_exec_start(const char *buf, uint64_t *ns)
{
    return exec_start_in(strstr(buf, DASHES), ns);
}

int taskread_exec_start(int fd, uint64_t *ns)
{
    char buf[SCHED_MAX];
    return pread_text(fd, buf, sizeof buf) < 0 ? ERR_READ : taskread_parse_exec_start(buf, ns);
}

/* The value of "\n<key>   : VALUE" in a sched file, from p on; -1 when
 * there is none. */
static int sched_u64(const char *p, const char *key, uint64_t *out)
{
    p = strstr(p, key);
    p = p ? p + strlen(key) : NULL;
    while (p && *p == ' ')
        p++;
    if (!p || *p != ':')
        return -1;
    for (p++; *p == ' '; p++)
        ;
    return parse_u64(&p, out);
}

int taskread_parse_sched(const char *buf, struct task_switches *sw)
{
    const char *p = strstr(buf, DASHES);
    struct task_switches v = {.state_r = -1, .have_exec = 1};
    if (!p || sched_u64(p, "\nnr_voluntary_switches", &v.vol) < 0 ||
        sched_u64(p, "\nnr_involuntary_switches", &v.invol) < 0 ||
        exec_start_in(p, &v.exec_start) < 0)
        return ERR_READ;
    *sw = v;
    return 0;
}

int taskread_sched(int fd, struct task_switches *sw)
{
    char buf[SCHED_MAX];
    return pread_text(fd, buf, sizeof buf) < 0 ? ERR_READ : taskread_parse_sched(buf, sw);
}

int taskread_parse_syscall(const char *buf, uint64_t *uaddr, int *running)
{
    if (running)
        *running = strncmp(buf, "running", 7) == 0;
    char *end;
    errno = 0;
    long nr = strtol(buf, &end, 10);
    if (end == buf || errno || nr != SYS_futex || *end != ' ')
        return 0;
    errno = 0;
    unsigned long long a = strtoull(end + 1, &end, 16);
    if (errno || (*end != ' ' && *end != '\n'))
        return 0;
    *uaddr = a;
    return 1;
}

int taskread_syscall(int fd, uint64_t *uaddr, int *running)
{
    char buf[256];
    return pread_text(fd, buf, sizeof buf) < 0 ? ERR_READ
                                               : taskread_parse_syscall(buf, uaddr, running);
}
