/* SPDX-License-Identifier: MIT */
/* The /proc/PID/stat parser; CPU % and resident memory of the target. */
#include "procstat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

#define STAT_MAX 1024             /* /proc/PID/stat is ~300 bytes; comm <= 64 */
#define FIELD_FLAGS 9             /* 1-based field numbers of proc_pid_stat(5) */
#define FIELD_UTIME 14
#define FIELD_STIME 15
#define FIELD_THREADS 20
#define FIELD_STARTTIME 22
#define FIELD_CPU 39

/* Parse an unsigned decimal at *p, advancing it; 0 or ERR_CORRUPT. */
static int parse_u64(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (s >= end || *s < '0' || *s > '9')
        return ERR_CORRUPT;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10)
            return ERR_CORRUPT;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *p = s;
    *out = v;
    return 0;
}

/* Advance *p past the current space-separated token and the spaces after it. */
static void skip_token(const char **p, const char *end)
{
    const char *s = *p;
    while (s < end && *s != ' ')
        s++;
    while (s < end && *s == ' ')
        s++;
    *p = s;
}

/* Where the fields after the command name start (field 3), or NULL. */
static const char *after_name(const char *buf, const char *end)
{
    const char *p = NULL;
    /* comm (field 2) is "(name)" and the name may contain ") ": the fields
     * resume after the LAST ')'. */
    for (const char *s = buf; s < end; s++)
        if (*s == ')')
            p = s;
    if (!p || p + 2 > end || p[1] != ' ')
        return NULL;
    return p + 2;
}

/* The numeric field number `field` goes to: NULL when we skip it. */
static uint64_t *field_slot(int field, uint64_t v[4])
{
    switch (field) {
    case FIELD_FLAGS: return &v[0];
    case FIELD_UTIME: return &v[1];
    case FIELD_STIME: return &v[2];
    case FIELD_THREADS: return &v[3];
    default: return NULL;
    }
}

int procstat_parse_stat(const char *buf, size_t len, struct procstat_stat *out)
{
    const char *end = buf + len;
    const char *p = after_name(buf, end);
    if (!p || p >= end || *p == ' ')
        return ERR_CORRUPT;
    char state = *p;
    uint64_t v[4] = {0, 0, 0, 0}, cpu = 0, start = 0;
    skip_token(&p, end);
    for (int field = 4; field <= FIELD_THREADS; field++) {
        uint64_t *dst = field_slot(field, v);
        if (p >= end)
            return ERR_CORRUPT;
        if (dst && parse_u64(&p, end, dst) < 0)
            return ERR_CORRUPT;
        skip_token(&p, end);
    }
    for (int field = FIELD_THREADS + 1; field < FIELD_CPU && p < end; field++) {
        if (field == FIELD_STARTTIME && parse_u64(&p, end, &start) < 0)
            start = 0;
        skip_token(&p, end);
    }
    int has_cpu = p < end && parse_u64(&p, end, &cpu) == 0 && cpu < 1u << 20;
    if (v[1] > UINT64_MAX - v[2] || v[3] > 1u << 22)
        return ERR_CORRUPT;
    *out = (struct procstat_stat){
        .state = state, .flags = v[0], .ticks = v[1] + v[2], .stime = v[2], .threads = (unsigned)v[3],
        .cpu = has_cpu ? (int)cpu : -1, .starttime = start,
    };
    return 0;
}

int procstat_parse_statm(const char *buf, size_t len, uint64_t *resident_pages)
{
    const char *p = buf, *end = buf + len;
    uint64_t size;
    if (parse_u64(&p, end, &size) < 0 || p >= end || *p != ' ')
        return ERR_CORRUPT;
    p++;
    return parse_u64(&p, end, resident_pages);
}

/* Read a small /proc file of pid (of its task tid when tid != 0) into
 * buf; returns its length or a negative enum err. */
static ssize_t read_file(pid_t pid, pid_t tid, const char *name, char *buf, size_t cap)
{
    char path[96];
    if (tid)
        snprintf(path, sizeof path, "/proc/%d/task/%d/%s", (int)pid, (int)tid, name);
    else
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ESRCH ? ERR_NO_PROCESS : ERR_READ;
    ssize_t n;
    do
        n = read(fd, buf, cap);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n < 0)
        return errno == ESRCH ? ERR_NO_PROCESS : ERR_READ;
    return n;
}

void procstat_init(struct procstat *ps, pid_t pid, uint64_t now_ns)
{
    long hz = sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    *ps = (struct procstat){
        .pid = pid,
        .ticks_per_s = hz > 0 ? hz : 100,
        .page_size = page > 0 ? page : 4096,
    };
    struct procstat_sample first;
    procstat_read(ps, now_ns, &first);
}

int procstat_read(struct procstat *ps, uint64_t now_ns, struct procstat_sample *out)
{
    char buf[STAT_MAX];
    uint64_t pages;
    struct procstat_stat st;
    int rc = procstat_read_stat(ps->pid, 0, &st);
    if (rc < 0)
        return rc;
    uint64_t ticks = st.ticks;
    unsigned threads = st.threads;
    ssize_t n = read_file(ps->pid, 0, "statm", buf, sizeof buf);
    if (n < 0)
        return (int)n;
    if (procstat_parse_statm(buf, (size_t)n, &pages) < 0 || pages > UINT64_MAX / (uint64_t)ps->page_size)
        return ERR_CORRUPT;
    double pct = -1.0;
    if (ps->primed && now_ns > ps->prev_ns && ticks >= ps->prev_ticks) {
        double cpu_s = (double)(ticks - ps->prev_ticks) / (double)ps->ticks_per_s;
        pct = 100.0 * cpu_s / ((double)(now_ns - ps->prev_ns) / 1e9);
    }
    ps->prev_ticks = ticks;
    ps->prev_ns = now_ns;
    ps->primed = 1;
    *out = (struct procstat_sample){
        .cpu_pct = pct,
        .rss_bytes = pages * (uint64_t)ps->page_size,
        .os_threads = threads,
    };
    return 0;
}

int procstat_read_stat(pid_t pid, pid_t tid, struct procstat_stat *out)
{
    char buf[STAT_MAX];
    ssize_t n = read_file(pid, tid, "stat", buf, sizeof buf);
    if (n < 0)
        return (int)n;
    return procstat_parse_stat(buf, (size_t)n, out);
}

int procstat_pread_stat(int fd, struct procstat_stat *out)
{
    char buf[STAT_MAX];
    ssize_t n = pread(fd, buf, sizeof buf, 0);
    if (n <= 0)
        return ERR_READ;
    return procstat_parse_stat(buf, (size_t)n, out);
}

int procstat_cwd(pid_t pid, char *buf, size_t cap)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/cwd", (int)pid);
    ssize_t n = cap > 0 ? readlink(link, buf, cap - 1) : -1;
    if (cap > 0)
        buf[n > 0 ? n : 0] = '\0';
    return n > 0 ? 0 : ERR_READ;
}

int procstat_cmdline(pid_t pid, char *buf, size_t cap, char **argv, size_t max)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    if (cap < 2 || max < 2)
        return ERR_READ;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, cap - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return ERR_READ;
    buf[n] = '\0';                   /* a cut last argument still ends */
    size_t argc = 0;
    for (size_t at = 0; at < (size_t)n && argc + 1 < max; at += strlen(buf + at) + 1)
        argv[argc++] = buf + at;
    argv[argc] = NULL;
    return (int)argc;
}
