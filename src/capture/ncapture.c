/* SPDX-License-Identifier: MIT */
/* The capture of native samples: its threads, and taking a sample of one
 * by the way chosen at creation (perf events: perfring.c; ptrace: ptstop.c). */
#include "ncapture.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "capture_impl.h"
#include "error.h"

#define THREADS_MAX 4096        /* threads followed at once; beyond, add_thread says ERR_NOMEM */

int ncapture_new(uint32_t pid, enum ncapture_how how, unsigned hz, struct ncapture **out)
{
#if !defined(__x86_64__)
    (void)pid, (void)how, (void)hz, (void)out;
    return ERR_UNSUPPORTED;
#else
    if (pid == 0 || (int)pid < 0)
        return ERR_NO_PROCESS;
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        return ERR_NO_PROCESS;
    struct ncapture *c = calloc(1, sizeof *c);
    if (!c)
        return ERR_NOMEM;
    c->pid = pid;
    c->how = how;
    c->hz = hz ? hz : 1;
    c->rec = malloc(NCAPTURE_REC_MAX);
    if (!c->rec) {
        free(c);
        return ERR_NOMEM;
    }
    int rc = how == NCAPTURE_PERF ? perfring_probe(c) : ptstop_probe(c);
    if (rc < 0) {
        ncapture_free(c);
        return rc;
    }
    *out = c;
    return 0;
#endif
}

static void release(struct ncapture *c, struct nthread *t)
{
    if (c->how == NCAPTURE_PERF)
        perfring_close(t);
    else
        ptstop_release(c, t);
}

void ncapture_free(struct ncapture *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        release(c, &c->th[i]);
    free(c->th);
    free(c->rec);
    free(c);
}

static struct nthread *find(struct ncapture *c, uint32_t tid)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->th[i].tid == tid)
            return &c->th[i];
    return NULL;
}

int ncapture_add_thread(struct ncapture *c, uint32_t tid)
{
    if (find(c, tid))
        return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        if (cap > THREADS_MAX)
            return ERR_NOMEM;
        struct nthread *grown = realloc(c->th, cap * sizeof *grown);
        if (!grown)
            return ERR_NOMEM;
        c->th = grown;
        c->cap = cap;
    }
    struct nthread *t = &c->th[c->n];
    *t = (struct nthread){.tid = tid, .fd = -1};
    if (c->how == NCAPTURE_PERF) {
        int rc = perfring_open(c, t);
        if (rc < 0)
            return rc;
    } else if (kill((pid_t)tid, 0) != 0 && errno == ESRCH) {
        return ERR_NO_PROCESS;
    }
    c->n++;
    return 0;
}

void ncapture_drop_thread(struct ncapture *c, uint32_t tid)
{
    struct nthread *t = find(c, tid);
    if (!t)
        return;
    release(c, t);
    *t = c->th[--c->n];
}

int ncapture_take(struct ncapture *c, uint32_t tid, struct nsample *out)
{
    struct nthread *t = find(c, tid);
    if (!t)
        return 0;
    int rc = c->how == NCAPTURE_PERF ? perfring_take(c, t, out) : ptstop_take(c, t, out);
    if (rc > 0)
        c->st.samples++;
    return rc;
}

void ncapture_stats(const struct ncapture *c, struct ncapture_stats *out)
{
    *out = c->st;
}
