/* SPDX-License-Identifier: MIT */
/* The asyncio task walker's round: list, pick in turn, read, name, link. */
#include "taskwalk.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "error.h"
#include "pylayout.h"
#include "pytarget.h"
#include "reader.h"
#include "taskwalk_impl.h"

#define RUNNING_MAX 64                  /* running tasks (one per thread with a loop) */
#define FRAME_POOL (TASKWALK_PER_ROUND * 16)    /* chain frames of one round */
#define CHILDREN_MAX 64                 /* a gather's children linked per read */
/* A waiting task costs a read of the target per object of its chain
 * (~1 us each) the first time, and one batched read of them all (its hint)
 * then: with thousands of tasks, reading TASKWALK_PER_ROUND a round would
 * cost many times the thread walk. After the running tasks (always read),
 * the others are read in turn until the round has spent READ_BUDGET reads
 * on them (round_cost; at least one task a round), so 10,000 idle tasks
 * cost about as much as the thread walk (README "How asyncio tasks are
 * found"). */
#define READ_BUDGET 24
#define WEIGHT_MAX 1000000      /* rounds one read stands for at most */
#define AWAITERS_MAX 32         /* awaiters read out of turn in one round */
/* Tasks that ran lately are read again as soon as they wait, before the
 * others in turn: where a busy task (a request being served) waits between
 * its runs is what its waiting time is, and among 100,000 idle tasks its
 * turn would come too late. At most HOT_MAX such tasks are remembered. */
#define HOT_MAX 16
/* Listing every task costs a read per task on 3.14+ (a linked list) and
 * a read per 512 slots of a set on 3.11-3.13: list again as soon as that
 * keeps the listing's CPU time under 1/RELIST_SHARE of the time (every
 * round for a few dozen tasks), and at least every RELIST_MAX_NS. */
#define RELIST_MAX_NS 5000000000ULL
#define RELIST_SHARE 200

/* A listed task and what is remembered of it between rounds. */
struct task_rec {
    uint64_t task;
    uint64_t thread_ident;
    uint64_t name_obj;          /* the name object name[] was read from, 0 none */
    uint64_t parent;            /* 3.11-3.13: a task seen awaiting it */
    uint32_t parent_stamp;      /* the parent's reads when it was seen so */
    uint32_t reads;             /* times this task was read */
    uint64_t last_round;        /* the round of its last read (or of its listing) */
    struct task_hint hint;      /* the objects its last read went through */
    uint64_t owed;              /* waiting rounds seen only by a running read, for the next waiting one */
    uint64_t mark;              /* the caller's word (task_sample.mark) */
    char name[TASKWALK_NAME_MAX];
};

struct taskwalk {
    struct pytarget *t;
    struct task_layout tl;
    int tl_final;               /* 3.14+: tl is from _AsyncioDebug (or given up on) */
    struct task_types types;
    struct taskread_ctx x;
    struct task_ref *refs;      /* owned: room for a listing (TASKWALK_MAX_TASKS) */
    struct task_rec *recs;      /* owned: the last listing */
    int nrecs;
    uint32_t *index;            /* owned: open addressing, rec index + 1, 0 empty */
    uint32_t index_mask;
    int cursor;                 /* the next listed task to read in turn */
    uint64_t round;             /* rounds so far, quiet ones included */
    unsigned cut;
    uint64_t next_list_ns;
    struct task_ref running[RUNNING_MAX];
    uint64_t hot[HOT_MAX];      /* tasks read running that owe waiting rounds, oldest first */
    int nhot;
    struct task_sample samples[TASKWALK_PER_ROUND];
    int recno[TASKWALK_PER_ROUND];  /* each sample's rec, -1 none */
    int n;
    struct walk_frame frames[FRAME_POOL];
    struct taskwalk_stats stats;
};

int taskwalk_new(struct pytarget *t, struct codecache *c, struct taskwalk **out)
{
    const struct task_layout *tl = tasklayout_for(t->layout.minor);
    *out = NULL;
    if (t->layout.major != 3 || !tl || t->layout.free_threaded ||
        t->layout.frame_model != FRAME_MODEL_INTERP)
        return ERR_VERSION;
    struct taskwalk *tw = calloc(1, sizeof *tw);
    if (!tw)
        return ERR_NOMEM;
    tw->t = t;
    tw->tl = *tl;
    tw->tl_final = tl->minor < 14;
    tw->x = (struct taskread_ctx){.t = t, .c = c, .tl = &tw->tl, .types = &tw->types};
    *out = tw;
    return 0;
}

void taskwalk_free(struct taskwalk *tw)
{
    if (!tw)
        return;
    free(tw->refs);
    free(tw->recs);
    free(tw->index);
    free(tw);
}

static uint32_t slot_of(uint64_t task, uint32_t mask)
{
    return (uint32_t)((task >> 4) * 0x9E3779B97F4A7C15ULL >> 32) & mask;
}

static int rec_find(const struct taskwalk *tw, uint64_t task)
{
    if (!tw->index)
        return -1;
    for (uint32_t s = slot_of(task, tw->index_mask), k = 0; k <= tw->index_mask; k++) {
        uint32_t v = tw->index[s];
        if (!v)
            return -1;
        if (tw->recs[v - 1].task == task)
            return (int)v - 1;
        s = (s + 1) & tw->index_mask;
    }
    return -1;
}

/* Make recs/index from the listing in refs (n), keeping what is known of
 * tasks listed before. */
static int take_listing(struct taskwalk *tw, const struct task_ref *refs, int n)
{
    uint32_t cap = 16;
    while (cap < 2u * (uint32_t)n)
        cap <<= 1;
    struct task_rec *recs = calloc(n > 0 ? (size_t)n : 1, sizeof *recs);
    uint32_t *index = calloc(cap, sizeof *index);
    if (!recs || !index) {
        free(recs);
        free(index);
        return ERR_NOMEM;
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
        uint32_t s = slot_of(refs[i].task, cap - 1);
        while (index[s] && recs[index[s] - 1].task != refs[i].task)
            s = (s + 1) & (cap - 1);
        if (index[s])
            continue;                   /* listed twice (in two registries) */
        int old = rec_find(tw, refs[i].task);
        recs[m] = old >= 0 ? tw->recs[old]
                           : (struct task_rec){.task = refs[i].task, .last_round = tw->round - 1};
        recs[m].thread_ident = refs[i].thread_ident;
        index[s] = (uint32_t)++m;
    }
    free(tw->recs);
    free(tw->index);
    tw->recs = recs;
    tw->nrecs = m;
    tw->index = index;
    tw->index_mask = cap - 1;
    if (tw->cursor >= m)
        tw->cursor = 0;
    return 0;
}

static uint64_t first_interp(struct taskwalk *tw)
{
    uint64_t interp = 0;
    const struct py_layout *l = &tw->t->layout;
    if (reader_read_ptr(tw->t->r, tw->t->runtime + (uint64_t)l->runtime_interpreters_head, &interp) < 0 ||
        !reader_addr_ok(interp, 8))
        return 0;
    return interp;
}

/* List the tasks again when it is time. */
static int relist(struct taskwalk *tw, uint64_t interp)
{
    uint64_t t0 = clock_now_ns(), cpu0 = clock_thread_cpu_ns();
    if (t0 - tw->x.loops_since >= TASKLOOPS_KEEP_NS) {
        tw->x.loops.n = 0;
        tw->x.loops_since = t0;
    }
    if (t0 < tw->next_list_ns)
        return 0;
    if (!tw->tl_final) {
        int rc = tasklist_debug_offsets(tw->t, &tw->tl);
        tw->tl_final = rc != ERR_NOT_READY;    /* found, or implausible: the built-in table */
    }
    int n = 0;
    unsigned cut = 0;
    if (!tw->refs && !(tw->refs = malloc(TASKWALK_MAX_TASKS * sizeof *tw->refs)))
        return ERR_NOMEM;
    struct task_ref *refs = tw->refs;
    int rc = tw->tl.minor < 14 ? tasklist_registry(&tw->x, interp, refs, TASKWALK_MAX_TASKS, &n, &cut)
                               : tasklist_threads(&tw->x, interp, refs, TASKWALK_MAX_TASKS, &n, &cut);
    if (rc == ERR_EXITED)
        return rc;
    if (rc < 0)
        n = 0, cut = 0;                 /* asyncio not imported yet, or a torn list: none */
    tw->cut = cut;
    if ((rc = take_listing(tw, refs, n)) < 0)
        return rc;
    uint64_t cost = clock_thread_cpu_ns() - cpu0, wait = cost * RELIST_SHARE;
    wait = wait > RELIST_MAX_NS ? RELIST_MAX_NS : wait;
    tw->next_list_ns = t0 + wait;
    return 0;
}

/* Task.get_name(), from the listing's cache while the name object is the
 * same one. */
static int name_task(struct taskwalk *tw, struct task_sample *s, int rec, uint64_t name_obj)
{
    struct task_rec *r = rec >= 0 ? &tw->recs[rec] : NULL;
    if (r && r->name_obj == name_obj && name_obj) {
        memcpy(s->name, r->name, sizeof s->name);
        return 0;
    }
    if (taskread_name(&tw->x, name_obj, s->name, sizeof s->name) < 0 || !s->name[0])
        return ERR_CORRUPT;
    if (r) {
        memcpy(r->name, s->name, sizeof r->name);
        r->name_obj = name_obj;
    }
    return 0;
}

/* 3.11-3.13: the task at rec (just read) awaits fut: its children (the
 * task itself, or a gather's) are awaited by it. */
static void note_children(struct taskwalk *tw, int rec, uint64_t fut, enum task_kind kind)
{
    uint64_t kids[CHILDREN_MAX];
    int n = fut ? taskread_children(&tw->x, fut, kind, kids, CHILDREN_MAX) : 0;
    for (int i = 0; i < n; i++) {
        int k = rec_find(tw, kids[i]);
        if (k >= 0 && k != rec) {
            tw->recs[k].parent = tw->recs[rec].task;
            tw->recs[k].parent_stamp = tw->recs[rec].reads;
        }
    }
}

/* Remember task (read running, owing waiting rounds) to read it as soon
 * as it waits. */
static void note_hot(struct taskwalk *tw, uint64_t task)
{
    for (int i = 0; i < tw->nhot; i++)
        if (tw->hot[i] == task)
            return;
    if (tw->nhot == HOT_MAX) {
        memmove(tw->hot, tw->hot + 1, (HOT_MAX - 1) * sizeof *tw->hot);
        tw->nhot--;
    }
    tw->hot[tw->nhot++] = task;
}

/* Read one picked task into the next sample; 0, or ERR_EXITED. */
static int read_one(struct taskwalk *tw, const struct task_ref *ref, int rec, int *pool_used)
{
    struct task_sample *s = &tw->samples[tw->n];
    struct taskread_more more;
    int room = FRAME_POOL - *pool_used;
    *s = (struct task_sample){.task = ref->task, .thread_ident = ref->thread_ident,
                              .running = ref->running};
    int rc = taskread_task(&tw->x, s, tw->frames + *pool_used,
                           room < TASKWALK_MAX_CHAIN ? room : TASKWALK_MAX_CHAIN, &more,
                           rec >= 0 ? &tw->recs[rec].hint : NULL);
    if (rc == ERR_EXITED)
        return rc;
    /* not a task (any more), or done: it ended since the listing; a task
     * without a name cannot be shown: dropped too */
    if (rc == ERR_CORRUPT || (rc == 0 && name_task(tw, s, rec, more.name_obj) < 0))
        return 0;
    if (rc < 0)
        return 0;                       /* its object could not be read: gone */
    if (s->depth == room && room < TASKWALK_MAX_CHAIN)
        s->truncated = 1;
    *pool_used += s->depth;
    /* weight: the rounds since its last read, in which it was waiting
     * (running tasks are read every round). A running read stands for its
     * own round: the waiting rounds before it are owed to the next waiting
     * read, whose await stands for them (CPU time stays exact) */
    s->weight = 1;
    if (rec >= 0) {
        struct task_rec *r = &tw->recs[rec];
        uint64_t since = tw->round - r->last_round;
        if (s->running) {
            r->owed += since > 1 ? since - 1 : 0;
            if (r->owed)
                note_hot(tw, r->task);
        } else if (since + r->owed > 1) {
            since += r->owed;
            s->weight = since > WEIGHT_MAX ? WEIGHT_MAX : (uint32_t)since;
            r->owed = 0;
        }
        r->last_round = tw->round;
        r->reads++;
    }
    if (reader_addr_ok(more.loop, 8))
        s->loop = more.loop;
    s->mark = rec >= 0 ? &tw->recs[rec].mark : NULL;
    if (tw->tl.minor < 14 && !s->thread_ident && s->loop)
        s->thread_ident = taskread_loop_thread(&tw->x, s->loop);
    if (tw->tl.minor >= 14)
        s->awaited_by = taskread_awaited_by(&tw->x, s->task);
    else if (rec >= 0 && !s->running)
        note_children(tw, rec, more.fut_waiter,
                      more.fut_waiter == more.awaited ? more.awaited_kind : TK_OTHER);
    tw->recno[tw->n++] = rec;
    return 0;
}

/* 3.11-3.13: sample i's awaited_by from the link noted by its parent's
 * last read. */
static void link_parent(struct taskwalk *tw, int i)
{
    int rec = tw->recno[i];
    if (rec < 0 || !tw->recs[rec].parent)
        return;
    int p = rec_find(tw, tw->recs[rec].parent);
    if (p >= 0 && tw->recs[p].reads == tw->recs[rec].parent_stamp)
        tw->samples[i].awaited_by = tw->recs[rec].parent;
}

static int in_round(const struct taskwalk *tw, uint64_t task)
{
    for (int i = 0; i < tw->n; i++)
        if (tw->samples[i].task == task)
            return 1;
    return 0;
}

/* The awaiters of the tasks read are read in the same round (out of turn,
 * their weight is the rounds since their last read all the same): a task
 * is shown under the stack of the task awaiting it, which must be of the
 * same round. At most AWAITERS_MAX more reads. */
static int add_awaiters(struct taskwalk *tw, int *pool_used)
{
    int extra = 0;
    for (int i = 0; i < tw->n; i++) {
        if (tw->tl.minor < 14)
            link_parent(tw, i);
        uint64_t up = tw->samples[i].awaited_by;
        if (!up || in_round(tw, up) || tw->n >= TASKWALK_PER_ROUND || extra >= AWAITERS_MAX)
            continue;
        int rec = rec_find(tw, up);
        struct task_ref ref = {.task = up, .thread_ident = rec >= 0 ? tw->recs[rec].thread_ident : 0};
        int rc = read_one(tw, &ref, rec, pool_used);
        if (rc < 0)
            return rc;
        extra++;
    }
    return 0;
}

/* What the reads so far cost, in reads: a piece of a batched read counts
 * as one more (its pages are looked up and pinned all the same, and it is
 * copied). */
static unsigned long round_cost(const struct taskwalk *tw)
{
    return tw->t->r->reads + tw->x.pieces;
}

static int is_running(const struct task_ref *run, int nrun, uint64_t task)
{
    for (int i = 0; i < nrun; i++)
        if (run[i].task == task)
            return 1;
    return 0;
}

/* The tasks that ran lately and wait now (note_hot), out of turn; those
 * still running or gone are kept or dropped. 0, or ERR_EXITED. */
static int read_hot(struct taskwalk *tw, int nrun, int *pool_used)
{
    uint64_t hot[HOT_MAX];
    int n = tw->nhot, rc;
    memcpy(hot, tw->hot, (size_t)n * sizeof *hot);
    tw->nhot = 0;
    for (int i = 0; i < n; i++) {
        int rec = rec_find(tw, hot[i]);
        if (rec < 0)
            continue;                   /* no longer listed: done */
        if (is_running(tw->running, nrun, hot[i]) || tw->n >= TASKWALK_PER_ROUND ||
            tw->recs[rec].last_round == tw->round) {
            note_hot(tw, hot[i]);       /* still running (or no room): later */
            continue;
        }
        struct task_ref ref = {.task = hot[i], .thread_ident = tw->recs[rec].thread_ident};
        if ((rc = read_one(tw, &ref, rec, pool_used)) < 0)
            return rc;
    }
    return 0;
}

int taskwalk_round(struct taskwalk *tw)
{
    uint64_t interp = first_interp(tw);
    int pool_used = 0, rc, nrun;
    tw->n = 0;
    tw->round++;
    tw->stats = (struct taskwalk_stats){0};
    taskread_new_round(&tw->x);
    if (!interp)
        return reader_read_ptr(tw->t->r, tw->t->runtime, &(uint64_t){0}) == ERR_EXITED ? ERR_EXITED : 0;
    if ((rc = relist(tw, interp)) < 0)
        return rc;
    nrun = tw->tl.minor < 14 ? tasklist_registry_running(&tw->x, interp, tw->running, RUNNING_MAX)
                             : tasklist_threads_running(&tw->x, interp, tw->running, RUNNING_MAX);
    if (nrun == ERR_EXITED)
        return nrun;
    nrun = nrun < 0 ? 0 : nrun;
    for (int i = 0; i < nrun && tw->n < TASKWALK_PER_ROUND; i++)
        if (!is_running(tw->running, i, tw->running[i].task) &&
            (rc = read_one(tw, &tw->running[i], rec_find(tw, tw->running[i].task), &pool_used)) < 0)
            return rc;
    if ((rc = read_hot(tw, nrun, &pool_used)) < 0)
        return rc;
    int picked = 0;
    unsigned long cost0 = round_cost(tw);
    for (int k = 0; k < tw->nrecs && tw->n < TASKWALK_PER_ROUND; k++) {
        if (picked && round_cost(tw) - cost0 >= READ_BUDGET)
            break;
        int rec = tw->cursor;
        tw->cursor = (tw->cursor + 1) % tw->nrecs;
        picked++;
        if (is_running(tw->running, nrun, tw->recs[rec].task) || tw->recs[rec].last_round == tw->round)
            continue;                   /* read this round already (running or out of turn) */
        struct task_ref ref = {.task = tw->recs[rec].task, .thread_ident = tw->recs[rec].thread_ident};
        if ((rc = read_one(tw, &ref, rec, &pool_used)) < 0)
            return rc;
    }
    if ((rc = add_awaiters(tw, &pool_used)) < 0)
        return rc;
    int listed_read = 0;
    for (int i = 0; i < tw->n; i++)
        listed_read += tw->recno[i] >= 0;
    tw->stats = (struct taskwalk_stats){.listed = (unsigned)tw->nrecs, .read = (unsigned)tw->n,
                                        .skipped = (unsigned)(tw->nrecs - listed_read), .cut = tw->cut};
    return tw->n;
}

const struct task_sample *taskwalk_task(const struct taskwalk *tw, int i)
{
    return i >= 0 && i < tw->n ? &tw->samples[i] : NULL;
}

void taskwalk_stats(const struct taskwalk *tw, struct taskwalk_stats *out)
{
    *out = tw->stats;
}

void taskwalk_flush(struct taskwalk *tw, taskwalk_owed_fn owed, void *arg)
{
    for (int i = 0; i < tw->nrecs; i++) {
        struct task_rec *r = &tw->recs[i];
        uint64_t rounds = r->owed + (tw->round - r->last_round);
        if (!r->mark || !rounds)
            continue;
        if (owed(arg, r->mark, rounds > WEIGHT_MAX ? WEIGHT_MAX : rounds) > 0) {
            r->last_round = tw->round;
            r->owed = 0;
        }
    }
}

void taskwalk_quiet_round(struct taskwalk *tw)
{
    tw->n = 0;
    tw->round++;            /* nothing ran: each task's next read stands for this round too */
}
