/* SPDX-License-Identifier: MIT */
/* 3.14+: the tasks of an interpreter from its thread states' task lists. */
#include "taskwalk_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfsym.h"
#include "error.h"
#include "maps.h"
#include "pylayout.h"
#include "pytarget.h"
#include "reader.h"
#include "walker.h"

/* Modules/_asynciomodule.c (3.14+) links every Task into a circular list
 * (struct llist_node {next, prev}, Include/internal/pycore_llist.h) whose
 * head is in the _PyThreadStateImpl of the thread that created it
 * (asyncio_tasks_head); when a thread ends its tasks move to the
 * interpreter's list. The thread state also holds the loop it runs and
 * the task it runs at this moment (asyncio_running_loop/_task). */

/* Following the list costs a read per task, a system call each: 100,000
 * tasks took some 250 ms, a stretch in which the sampler missed every
 * round. Tasks made one after the other mostly sit one after the other in
 * memory, so the next pointer is read through a window of WINDOW bytes
 * copied at once, addr's page in its middle (the list may run up or down
 * through memory). Where WINDOW_TRIAL windows in a row served fewer than
 * WINDOW_MIN nodes each on average (tasks scattered over the heap), the
 * next WINDOW_PAUSE nodes are read alone, then windows are tried again
 * (the first tasks of a program are often scattered, the many it makes
 * later in a row). A window is a copy of one moment like any single read:
 * the list may change while it is followed either way. */
#define WINDOW (64 * 1024)
#define WINDOW_MIN 4
#define WINDOW_TRIAL 16
#define WINDOW_PAUSE 256

struct lister {
    struct reader *r;
    const struct task_layout *tl;
    struct task_ref *out;
    int cap, n;
    unsigned cut;
    uint8_t *win;               /* WINDOW bytes, or NULL: one read a node */
    uint64_t win_at;            /* what win holds: [win_at, win_at + win_len) */
    size_t win_len;
    int windows, win_served;    /* windows read, nodes they served */
    int pause;                  /* nodes still to read alone */
};

/* The pointer at addr: from the window when it holds it, else (unless
 * windows pause) from a new window around addr's page, else read alone. */
static int next_ptr(struct lister *ls, uint64_t addr, uint64_t *out)
{
    if (ls->win && ls->win_len >= 8 && addr >= ls->win_at && addr - ls->win_at <= ls->win_len - 8) {
        memcpy(out, ls->win + (addr - ls->win_at), 8);
        ls->win_served++;
        return 0;
    }
    if (ls->win && !ls->pause && ls->windows >= WINDOW_TRIAL) {
        /* scattered: windows do not pay for the next WINDOW_PAUSE nodes */
        ls->pause = ls->win_served < WINDOW_MIN * ls->windows ? WINDOW_PAUSE : 0;
        ls->windows = ls->win_served = 0;
    }
    if (ls->pause) {
        ls->pause--;
    } else if (ls->win) {
        /* a window past the start or end of a mapping fails: then addr's
         * page alone */
        uint64_t page = addr & ~(uint64_t)4095;
        ls->win_len = 0;
        static const size_t lens[] = {WINDOW, 4096};
        for (int k = 0; k < 2; k++) {
            size_t len = lens[k];
            uint64_t at = len > 4096 && page >= len / 2 ? page - len / 2 : page;
            if (addr - at <= len - 8 && reader_read(ls->r, at, len, ls->win) == 0) {
                ls->win_at = at;
                ls->win_len = len;
                memcpy(out, ls->win + (addr - at), 8);
                ls->win_served++;
                ls->windows++;
                return 0;
            }
        }
    }
    return reader_read_ptr(ls->r, addr, out);
}

/* The tasks of the list whose head node is at head. */
static int list_tasks(struct lister *ls, uint64_t head, uint64_t ident)
{
    uint64_t node;
    int rc = reader_read_ptr(ls->r, head, &node);
    if (rc < 0)
        return rc;
    for (int steps = 0; node != head; steps++) {
        if (steps >= 2 * TASKWALK_MAX_TASKS || !reader_addr_ok(node, 8))
            return steps >= 2 * TASKWALK_MAX_TASKS ? 0 : ERR_CORRUPT;   /* a cycle not through head */
        if (ls->n < ls->cap)
            ls->out[ls->n++] = (struct task_ref){.task = node - (uint64_t)ls->tl->task_node,
                                                 .thread_ident = ident};
        else
            ls->cut++;
        if ((rc = next_ptr(ls, node, &node)) < 0)
            return rc;
    }
    return 0;
}

/* Each thread state of interp in turn: fn(arg, tstate, ident). */
static int foreach_tstate(struct taskread_ctx *x, uint64_t interp,
                          int (*fn)(void *arg, uint64_t tstate, uint64_t ident), void *arg)
{
    const struct py_layout *l = &x->t->layout;
    uint64_t ts, ident;
    int rc = reader_read_ptr(x->t->r, interp + (uint64_t)l->interp_threads_head, &ts);
    for (int i = 0; rc == 0 && ts && i < WALK_MAX_THREADS; i++) {
        if (!reader_addr_ok(ts, 8))
            return ERR_CORRUPT;
        if ((rc = reader_read_ptr(x->t->r, ts + (uint64_t)l->tstate_thread_id, &ident)) < 0 ||
            (rc = fn(arg, ts, ident)) < 0)
            break;
        rc = reader_read_ptr(x->t->r, ts + (uint64_t)l->tstate_next, &ts);
    }
    return rc;
}

static int list_thread(void *arg, uint64_t ts, uint64_t ident)
{
    struct lister *ls = arg;
    return list_tasks(ls, ts + (uint64_t)ls->tl->tstate_tasks_head, ident);
}

int tasklist_threads(struct taskread_ctx *x, uint64_t interp, struct task_ref *out, int cap,
                     int *n, unsigned *cut)
{
    const struct task_layout *tl = x->tl;
    struct lister ls = {.r = x->t->r, .tl = tl, .out = out, .cap = cap, .win = malloc(WINDOW)};
    *n = 0;
    *cut = 0;
    if (tl->tstate_tasks_head < 0 || tl->interp_tasks_head < 0 || tl->task_node < 0) {
        free(ls.win);
        return ERR_VERSION;
    }
    int rc = foreach_tstate(x, interp, list_thread, &ls);
    if (rc == 0)
        rc = list_tasks(&ls, interp + (uint64_t)tl->interp_tasks_head, 0);
    free(ls.win);
    *n = ls.n;
    *cut = ls.cut;
    return rc;
}

static int running_thread(void *arg, uint64_t ts, uint64_t ident)
{
    struct lister *ls = arg;
    uint64_t task;
    int rc = reader_read_ptr(ls->r, ts + (uint64_t)ls->tl->tstate_running_task, &task);
    if (rc < 0 || !task || ls->n >= ls->cap)
        return rc;
    ls->out[ls->n++] = (struct task_ref){.task = task, .thread_ident = ident, .running = 1};
    return 0;
}

int tasklist_threads_running(struct taskread_ctx *x, uint64_t interp, struct task_ref *out,
                             int cap)
{
    struct lister ls = {.r = x->t->r, .tl = x->tl, .out = out, .cap = cap};
    if (x->tl->tstate_running_task < 0)
        return ERR_VERSION;
    int rc = foreach_tstate(x, interp, running_thread, &ls);
    return rc < 0 ? rc : ls.n;
}

/* ---------------------------------------------------------------- debug offsets */

#define DEBUG_WORDS 13

/* The .AsyncioDebug section of the mapped file path, read from the target. */
static int debug_from_file(struct pytarget *t, const struct maps *m, const char *path,
                           uint64_t words[DEBUG_WORDS])
{
    const struct map_entry *base = maps_file_base(m, path);
    if (!base)
        return ERR_NOT_READY;
    char full[600];
    snprintf(full, sizeof full, "/proc/%d/root%s", (int)t->pid, path);
    struct elfsym_query q[2] = {{.name = ".AsyncioDebug", .is_section = 1}, {.name = "_AsyncioDebug"}};
    uint64_t load = 0;
    if (elfsym_lookup(full, q, 2, &load) < 0 && elfsym_lookup(path, q, 2, &load) < 0)
        return ERR_NOT_READY;
    uint64_t at = q[1].value ? q[1].value : q[0].value;
    if (!at || (q[0].value && q[0].size < DEBUG_WORDS * 8))
        return ERR_NOT_READY;
    return reader_read(t->r, at - load + base->start, DEBUG_WORDS * 8, words);
}

int tasklist_debug_offsets(struct pytarget *t, struct task_layout *tl)
{
    struct maps m;
    uint64_t words[DEBUG_WORDS];
    if (t->pid <= 0 || maps_read(t->pid, &m) < 0)
        return ERR_NOT_READY;
    /* _asyncio is built into the executable or libpython, or an extension */
    int rc = debug_from_file(t, &m, t->binary, words);
    if (rc < 0) {
        const struct map_entry *ext = maps_find_file(&m, "_asyncio.");
        rc = ext ? debug_from_file(t, &m, ext->path, words) : ERR_NOT_READY;
    }
    maps_free(&m);
    if (rc < 0)
        return rc == ERR_EXITED ? rc : ERR_NOT_READY;
    struct task_layout copy = *tl;
    if (tasklayout_from_debug(words, &copy) < 0)
        return ERR_CORRUPT;
    *tl = copy;
    return 0;
}
