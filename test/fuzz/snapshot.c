/* SPDX-License-Identifier: MIT */
/* Takes a fuzz seed from a live CPython process: stops it (SIGSTOP, not
 * ptrace), runs proftui's whole read path on it through a reader that
 * records every range read, writes those ranges (padded a little, so
 * mutations that move pointers nearby still find memory) as a fuzz image,
 * and writes what the read path found as the image's .expect file. The
 * process is continued on every path. The captured memory is exactly what
 * proftui reads: the head of _PyRuntime with _Py_DebugOffsets, interpreter
 * and thread states, frames and the data-stack chunk, code objects, their
 * strings and line tables, and the threading module's dicts.
 * Usage: fuzz_snapshot PID IMAGE EXPECT */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "fuzzimg.h"
#include "pytarget.h"
#include "reader.h"
#include "taskstat.h"

#define PAD 64                  /* bytes kept around each range read */
#define RUNTIME_HEAD 4096       /* bytes of _PyRuntime always kept */
#define SEED_BUDGET (1u << 20)  /* seeds must stay well under this */

struct range {
    uint64_t addr, end;
};

struct recorder {
    struct reader *inner;
    struct range *r;
    size_t n, cap;
};

static void note(struct recorder *rec, uint64_t addr, size_t len)
{
    if (rec->n == rec->cap) {
        rec->cap = rec->cap ? rec->cap * 2 : 1024;
        rec->r = realloc(rec->r, rec->cap * sizeof *rec->r);
        if (!rec->r)
            abort();
    }
    rec->r[rec->n++] = (struct range){addr, addr + len};
}

static int rec_read(void *ctx, uint64_t addr, size_t len, void *buf)
{
    struct recorder *rec = ctx;
    int rc = reader_read(rec->inner, addr, len, buf);
    if (rc == 0)
        note(rec, addr, len);
    return rc;
}

static int rec_readv(void *ctx, const struct read_req *reqs, int n)
{
    struct recorder *rec = ctx;
    int rc = reader_readv(rec->inner, reqs, n);
    for (int i = 0; rc == 0 && i < n; i++)
        note(rec, reqs[i].addr, reqs[i].len);
    return rc;
}

static const struct reader_ops rec_ops = {.read = rec_read, .readv = rec_readv};

static int by_addr(const void *a, const void *b)
{
    const struct range *x = a, *y = b;
    return (x->addr > y->addr) - (x->addr < y->addr);
}

/* Pad every range where the padding is readable, then sort and merge. */
static void normalise(struct recorder *rec)
{
    static uint8_t probe[1 << 16];
    for (size_t i = 0; i < rec->n; i++) {
        struct range *g = &rec->r[i];
        uint64_t lo = g->addr >= PAD ? (g->addr - PAD) & ~(uint64_t)(PAD - 1) : g->addr;
        uint64_t hi = (g->end + 2 * PAD - 1) & ~(uint64_t)(PAD - 1);
        if (reader_read(rec->inner, lo, (size_t)(g->addr - lo), probe) == 0)
            g->addr = lo;
        if (hi - g->end <= sizeof probe && reader_read(rec->inner, g->end, (size_t)(hi - g->end), probe) == 0)
            g->end = hi;
    }
    qsort(rec->r, rec->n, sizeof *rec->r, by_addr);
    size_t k = 0;
    for (size_t i = 0; i < rec->n; i++) {
        if (k && rec->r[i].addr <= rec->r[k - 1].end) {
            if (rec->r[i].end > rec->r[k - 1].end)
                rec->r[k - 1].end = rec->r[i].end;
        } else {
            rec->r[k++] = rec->r[i];
        }
    }
    rec->n = k;
}

static int write_image(struct recorder *rec, const struct pytarget *t, const char *path,
                       size_t *total)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return ERR_IO;
    int rc = fuzzimg_write_header(f, t, (uint32_t)rec->n);
    *total = FUZZIMG_HEADER;
    for (size_t i = 0; rc == 0 && i < rec->n; i++) {
        size_t len = (size_t)(rec->r[i].end - rec->r[i].addr);
        uint8_t *buf = malloc(len);
        if (!buf || reader_read(rec->inner, rec->r[i].addr, len, buf) < 0)
            rc = buf ? ERR_READ : ERR_NOMEM;
        else
            rc = fuzzimg_write_segment(f, rec->r[i].addr, buf, (uint32_t)len);
        *total += FUZZIMG_SEG_HEADER + len;
        free(buf);
    }
    if (fclose(f) != 0 && rc == 0)
        rc = ERR_IO;
    return rc;
}

/* Wait until the stopped process shows state T. */
static int wait_stopped(pid_t pid)
{
    for (int i = 0; i < 500; i++) {
        char st = taskstat_process_state(pid);
        if (st == 'T' || st == 't')
            return 0;
        if (st == 0 || st == 'Z')
            return ERR_EXITED;
        nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
    }
    return ERR_IO;
}

static int snapshot(pid_t pid, const char *image, const char *expect)
{
    struct pytarget *t = NULL;
    struct recorder rec = {0};
    struct reader rec_reader = {.ops = &rec_ops, .ctx = &rec};
    FILE *out = NULL;
    size_t total = 0;
    int rc = pytarget_open(pid, &t, NULL, 0);
    if (rc < 0)
        goto done;
    rec.inner = t->r;
    t->r = &rec_reader;
    int minor = t->hexversion >> 24 == 3 ? (int)(t->hexversion >> 16) & 0xff : t->layout.minor;
    if ((rc = fuzzimg_choose_layout(t, minor)) < 0)
        goto done;
    uint8_t head[RUNTIME_HEAD];
    (void)reader_read(t->r, t->runtime, sizeof head, head);
    if (!(out = fopen(expect, "w"))) {
        rc = ERR_IO;
        goto done;
    }
    fuzzimg_walk(t, out);
    if (fclose(out) != 0)
        rc = ERR_IO;
    out = NULL;
    t->r = rec.inner;
    normalise(&rec);
    if (rc == 0)
        rc = write_image(&rec, t, image, &total);
    if (rc == 0)
        printf("%s: Python %s, %zu segments, %zu bytes\n", image, t->version, rec.n, total);
    if (rc == 0 && total > SEED_BUDGET)
        fprintf(stderr, "warning: %s is larger than %u bytes\n", image, SEED_BUDGET);
done:
    if (t)
        t->r = rec.inner ? rec.inner : t->r;
    pytarget_free(t);
    free(rec.r);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s PID IMAGE EXPECT\n", argv[0]);
        return 2;
    }
    pid_t pid = (pid_t)strtol(argv[1], NULL, 10);
    if (pid <= 0 || kill(pid, SIGSTOP) < 0) {
        perror("cannot stop the target");
        return 1;
    }
    int rc = wait_stopped(pid);
    if (rc == 0)
        rc = snapshot(pid, argv[2], argv[3]);
    kill(pid, SIGCONT);
    if (rc < 0)
        fprintf(stderr, "snapshot of PID %d failed: %s\n", (int)pid, err_str(rc));
    return rc < 0;
}
