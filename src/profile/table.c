/* SPDX-License-Identifier: MIT */
/* The profile's table: interning of functions, sites and threads, and the
 * per-thread call trees that table_add_stack() feeds on the hot path. */
#include "table.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "table_impl.h"

struct table *table_new(void)
{
    struct table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    strpool_init(&t->strings);
    idmap_init(&t->func_map);
    idmap_init(&t->thread_map);
    idmap_init(&t->child_map);
    flat_init(&t->flat);
    t->task_focus = t->copied_focus = t->last_leaf = TABLE_NONE;
    return t;
}

void table_free(struct table *t)
{
    if (!t)
        return;
    strpool_free(&t->strings);
    idmap_free(&t->func_map);
    free(t->site_slots);
    idmap_free(&t->thread_map);
    idmap_free(&t->child_map);
    free(t->funcs);
    free(t->sites);
    free(t->threads);
    free(t->pnames);
    free(t->nodes);
    free(t->log);
    free(t->inner);
    free(t->task_sum);
    free(t->pending);
    flat_free(&t->flat);
    table_mc_free(t);
    free(t->wc);
    free(t);
}

/* Drop the trees (and the child index), keep every id: the UI holds
 * function ids and thread indices across a reset. */
void table_reset(struct table *t)
{
    if (t->origin)
        return;
    t->nnodes = 0;
    idmap_clear(&t->child_map);
    for (uint32_t i = 0; i < t->nthreads; i++) {
        t->threads[i].root = TABLE_NONE;
        t->threads[i].samples = 0;
        memset(t->threads[i].failed, 0, sizeof t->threads[i].failed);
        memset(t->threads[i].metric, 0, sizeof t->threads[i].metric);
        memset(t->threads[i].failed_m, 0, sizeof t->threads[i].failed_m);
        t->threads[i].gil_waits = 0;
    }
    t->samples = 0;
    t->nwc = 0;
    t->nmc = 0;                /* the nodes' counts went with them */
    t->epoch++;
    flat_clear(&t->flat);
}

/* Ids are 32-bit with TABLE_NONE reserved, which bounds every array below
 * it. The array is unchanged on failure. */
int table_grow(void **arr, uint32_t *cap, size_t need, size_t elsize)
{
    if (need <= *cap)
        return 0;
    if (need >= TABLE_NONE)
        return ERR_NOMEM;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    if (n >= TABLE_NONE)
        n = TABLE_NONE - 1;
    if (n > SIZE_MAX / elsize)
        return ERR_NOMEM;
    void *p = realloc(*arr, n * elsize);
    if (!p)
        return ERR_NOMEM;
    *arr = p;
    *cap = (uint32_t)n;
    return 0;
}

uint32_t table_intern_func(struct table *t, const char *name, const char *file)
{
    return table_intern_func_at(t, name, file, -1);
}

/* The func map's second key of a native function (no first line is). */
#define NATIVE_AUX 0xfffffffeu

static uint32_t intern(struct table *t, const char *name, const char *file, int32_t first_line,
                       int native)
{
    if (t->origin || t->names)
        return TABLE_NONE;       /* a replica is read only; borrowed names too */
    if (!name)
        name = "";
    if (!file)
        file = "";
    uint32_t n = strpool_intern(&t->strings, name, strlen(name));
    uint32_t f = strpool_intern(&t->strings, file, strlen(file));
    if (n == TABLE_NONE || f == TABLE_NONE)
        return TABLE_NONE;
    if (first_line < 1 || first_line >= TABLE_LINE_MAX)
        first_line = -1;
    uint64_t key = (uint64_t)n << 32 | f;
    uint32_t aux = native ? NATIVE_AUX : (uint32_t)first_line;
    uint32_t id = idmap_get(&t->func_map, key, aux);
    if (id != TABLE_NONE)
        return id;
    if (table_grow((void **)&t->funcs, &t->funcs_cap, (size_t)t->nfuncs + 1, sizeof *t->funcs) < 0 ||
        idmap_reserve(&t->func_map, 1) < 0)
        return TABLE_NONE;
    id = t->nfuncs++;
    t->funcs[id] = (struct func){ .name = n, .file = f, .first_line = first_line,
                                  .native = native != 0 };
    idmap_put(&t->func_map, key, aux, id);
    return id;
}

uint32_t table_intern_func_at(struct table *t, const char *name, const char *file, int32_t first_line)
{
    return intern(t, name, file, first_line, 0);
}

uint32_t table_intern_native(struct table *t, const char *name, const char *module)
{
    return intern(t, name, module, -1, 1);
}

int table_func_is_native(const struct table *t, uint32_t func)
{
    return func < t->nfuncs && t->funcs[func].native;
}

/* String id of the table's strings, or of the table it borrows them from
 * (checked: the lender may have been emptied since). */
static const char *string_of(const struct table *t, uint32_t id, const char *none)
{
    const struct strpool *p = t->names ? &t->names->strings : &t->strings;
    return id < p->n ? strpool_str(p, id) : none;
}

const char *table_func_name(const struct table *t, uint32_t func)
{
    return func < t->nfuncs ? string_of(t, t->funcs[func].name, "?") : "?";
}

const char *table_func_file(const struct table *t, uint32_t func)
{
    return func < t->nfuncs ? string_of(t, t->funcs[func].file, "?") : "?";
}

int32_t table_func_first_line(const struct table *t, uint32_t func)
{
    return func < t->nfuncs ? t->funcs[func].first_line : -1;
}

size_t table_func_count(const struct table *t)
{
    return t->nfuncs;
}

/* Rename thread i when name differs. Renaming is best effort: on ENOMEM
 * the old name stays, the thread itself is still valid. */
static void thread_rename(struct table *t, uint32_t i, const char *name)
{
    struct thread *th = &t->threads[i];
    if (th->name != TABLE_NONE && strcmp(strpool_str(&t->strings, th->name), name) == 0)
        return;
    uint32_t id = strpool_intern(&t->strings, name, strlen(name));
    if (id != TABLE_NONE)
        th->name = id;
}

uint32_t table_thread(struct table *t, uint64_t tid, const char *name)
{
    return table_thread_of(t, 0, tid, name);
}

/* The thread map's key of a thread's task stacks: its tid with the top
 * bit set; of its mixed native stacks: the next bit (no OS thread id or
 * pthread ident has them). */
#define TASKS_KEY (1ULL << 63)
#define NATIVE_KEY (1ULL << 62)

static uint64_t kind_key(uint64_t tid, int kind)
{
    return kind == KIND_TASKS ? tid | TASKS_KEY : kind == KIND_NATIVE ? tid | NATIVE_KEY : tid;
}

static uint32_t thread_of(struct table *t, uint32_t pid, uint64_t tid, int kind, const char *name)
{
    if (t->origin || t->names || (tid & (TASKS_KEY | NATIVE_KEY)))
        return TABLE_NONE;
    uint64_t key = kind_key(tid, kind);
    uint32_t i = idmap_get(&t->thread_map, key, pid);
    if (i == TABLE_NONE) {
        if (table_grow((void **)&t->threads, &t->threads_cap, (size_t)t->nthreads + 1,
                 sizeof *t->threads) < 0 ||
            idmap_reserve(&t->thread_map, 1) < 0)
            return TABLE_NONE;
        i = t->nthreads++;
        t->threads[i] = (struct thread){ .tid = tid, .pid = pid, .name = TABLE_NONE,
                                         .root = TABLE_NONE, .kind = kind };
        t->ntask_threads += kind == KIND_TASKS;
        t->nnative_threads += kind == KIND_NATIVE;
        idmap_put(&t->thread_map, key, pid, i);
    }
    if (name)
        thread_rename(t, i, name);
    return i;
}

uint32_t table_thread_of(struct table *t, uint32_t pid, uint64_t tid, const char *name)
{
    return thread_of(t, pid, tid, KIND_OWN, name);
}

uint32_t table_task_thread_of(struct table *t, uint32_t pid, uint64_t tid, const char *name)
{
    return thread_of(t, pid, tid, KIND_TASKS, name);
}

int table_thread_is_tasks(const struct table *t, uint32_t thread)
{
    return thread < t->nthreads && t->threads[thread].kind == KIND_TASKS;
}

uint32_t table_native_thread_of(struct table *t, uint32_t pid, uint64_t tid, const char *name)
{
    return thread_of(t, pid, tid, KIND_NATIVE, name);
}

int table_thread_is_native(const struct table *t, uint32_t thread)
{
    return thread < t->nthreads && t->threads[thread].kind == KIND_NATIVE;
}

int table_has_native(const struct table *t)
{
    return t->nnative_threads > 0;
}

int table_has_tasks(const struct table *t)
{
    return t->ntask_threads > 0;
}

size_t table_thread_count(const struct table *t)
{
    return t->nthreads;
}

uint64_t table_thread_tid(const struct table *t, uint32_t thread)
{
    return thread < t->nthreads ? t->threads[thread].tid : 0;
}

uint32_t table_thread_pid(const struct table *t, uint32_t thread)
{
    return thread < t->nthreads ? t->threads[thread].pid : 0;
}

const char *table_thread_name(const struct table *t, uint32_t thread)
{
    if (thread >= t->nthreads || t->threads[thread].name == TABLE_NONE)
        return "";
    return string_of(t, t->threads[thread].name, "");
}

uint64_t table_thread_samples(const struct table *t, uint32_t thread)
{
    return thread < t->nthreads ? t->threads[thread].samples : 0;
}

uint32_t table_thread_find(const struct table *t, uint64_t tid)
{
    return table_thread_find_of(t, 0, tid);
}

uint32_t table_thread_find_of(const struct table *t, uint32_t pid, uint64_t tid)
{
    int kind = shown_kind(t);
    uint32_t i = idmap_get(&t->thread_map, kind_key(tid, kind), pid);
    /* A replica does not index its threads (sync.c copies the records). */
    for (uint32_t j = 0; i == TABLE_NONE && t->origin && j < t->nthreads; j++)
        if (t->threads[j].tid == tid && t->threads[j].pid == pid &&
            t->threads[j].kind == kind)
            i = j;
    return i;
}

struct tid_index {
    uint64_t tid;
    uint32_t pid;
    uint32_t index;
};

static int by_tid(const void *pa, const void *pb)
{
    const struct tid_index *a = pa, *b = pb;
    if (a->pid != b->pid)
        return (a->pid > b->pid) - (a->pid < b->pid);
    if (a->tid != b->tid)
        return (a->tid > b->tid) - (a->tid < b->tid);
    return (a->index > b->index) - (a->index < b->index);
}

int table_threads_by_tid(const struct table *t, uint32_t **out, size_t *n)
{
    size_t k = 0;
    *out = NULL;
    *n = 0;
    if (t->nthreads == 0)
        return 0;
    struct tid_index *refs = malloc(t->nthreads * sizeof *refs);
    uint32_t *idx = malloc(t->nthreads * sizeof *idx);
    if (!refs || !idx) {
        free(refs);
        free(idx);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < t->nthreads; i++)
        if (t->threads[i].samples)
            refs[k++] = (struct tid_index){t->threads[i].tid, t->threads[i].pid, (uint32_t)i};
    if (k > 1)
        qsort(refs, k, sizeof *refs, by_tid);
    for (size_t i = 0; i < k; i++)
        idx[i] = refs[i].index;
    free(refs);
    if (k == 0) {
        free(idx);
        idx = NULL;
    }
    *out = idx;
    *n = k;
    return 0;
}

size_t table_pid_count(const struct table *t)
{
    size_t n = 0;
    for (uint32_t i = 0; i < t->nthreads; i++) {
        if (!t->threads[i].samples)
            continue;
        uint32_t j = 0;
        while (j < i && !(t->threads[j].samples && t->threads[j].pid == t->threads[i].pid))
            j++;
        n += j == i;
    }
    return n;
}

uint64_t table_thread_failed(const struct table *t, uint32_t thread, enum walk_fail why)
{
    if (thread >= t->nthreads || why < WALK_OK || why >= WALK_FAIL_COUNT)
        return 0;
    const uint64_t *f = t->threads[thread].failed;
    if (why != WALK_OK)
        return f[why];
    uint64_t sum = 0;
    for (int i = WALK_OK + 1; i < WALK_FAIL_COUNT; i++)
        sum += f[i];
    return sum;
}

const char *table_fail_name(enum walk_fail why)
{
    static const char *const names[WALK_FAIL_COUNT] = {
        [WALK_FAIL_TORN] = "torn",
        [WALK_FAIL_CYCLE] = "cycle",
        [WALK_FAIL_CORRUPT] = "corrupt",
        [WALK_FAIL_READ] = "read",
    };
    return why > WALK_OK && why < WALK_FAIL_COUNT && names[why] ? names[why] : "";
}

uint64_t table_samples(const struct table *t)
{
    return t->samples;
}

/* The first slot to look at for site (func, line) among cap slots. */
static size_t site_home(uint32_t func, int32_t line, size_t cap)
{
    uint64_t k = ((uint64_t)func << 32 | (uint32_t)line) * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(k ^ k >> 29 ^ k >> 47) & (cap - 1);
}

/* Room in site_slots for `extra` more sites, load at most 3/4: a larger
 * table is made and every site placed in it again from sites[] (the
 * slots hold nothing else). 0 or ERR_NOMEM (unchanged then). */
static int site_reserve(struct table *t, size_t extra)
{
    size_t need = ((size_t)t->nsites + extra) * 4 / 3 + 1;
    if (need <= t->site_slots_cap)
        return 0;
    size_t cap = t->site_slots_cap ? t->site_slots_cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2 / sizeof *t->site_slots)
            return ERR_NOMEM;
        cap *= 2;
    }
    uint32_t *slots = malloc(cap * sizeof *slots);
    if (!slots)
        return ERR_NOMEM;
    memset(slots, 0xff, cap * sizeof *slots);      /* TABLE_NONE */
    for (uint32_t id = 0; id < t->nsites; id++) {
        size_t i = site_home(t->sites[id].func, t->sites[id].line, cap);
        while (slots[i] != TABLE_NONE)
            i = (i + 1) & (cap - 1);
        slots[i] = id;
    }
    free(t->site_slots);
    t->site_slots = slots;
    t->site_slots_cap = cap;
    return 0;
}

/* Make room for a path of `depth` new sites and depth + 1 new nodes (the
 * root may be new too), so that the walk in table_add_stack() cannot fail
 * halfway and leave counts half-added. Amortised: no work once warm. */
static int reserve_path(struct table *t, size_t depth)
{
    if (table_grow((void **)&t->nodes, &t->nodes_cap, (size_t)t->nnodes + depth + 1,
             sizeof *t->nodes) < 0 ||
        table_grow((void **)&t->sites, &t->sites_cap, (size_t)t->nsites + depth,
             sizeof *t->sites) < 0 ||
        idmap_reserve(&t->child_map, depth + 1) < 0 || site_reserve(t, depth) < 0)
        return ERR_NOMEM;
    return 0;
}

static uint32_t new_node(struct table *t, uint32_t parent, uint32_t site)
{
    uint32_t id = t->nnodes++;
    struct node *n = &t->nodes[id];
    *n = (struct node){ .parent = parent, .site = site, .first_child = TABLE_NONE,
                        .next_sibling = TABLE_NONE };
    table_mc_new_node(t, id);
    if (parent != TABLE_NONE) {
        n->next_sibling = t->nodes[parent].first_child;
        t->nodes[parent].first_child = id;
    }
    return id;
}

/* The site of (func, line), created when new; room reserved by the
 * caller (sites and site_slots). */
static uint32_t site_get(struct table *t, uint32_t func, int32_t line)
{
    size_t mask = t->site_slots_cap - 1;
    size_t i = site_home(func, line, t->site_slots_cap);
    for (; t->site_slots[i] != TABLE_NONE; i = (i + 1) & mask) {
        const struct site *s = &t->sites[t->site_slots[i]];
        if (s->func == func && s->line == line)
            return t->site_slots[i];
    }
    uint32_t id = t->nsites++;
    t->sites[id] = (struct site){ .func = func, .line = line };
    t->site_slots[i] = id;
    return id;
}

/* A new child of parent for frame f (room reserved by the caller). Out
 * of line: inlined into child_get(), its site look-up made the hit path,
 * run for every frame, save and reload registers around the probe. */
__attribute__((noinline)) static uint32_t child_new(struct table *t, uint32_t parent, struct frame_key f)
{
    uint32_t id = new_node(t, parent, site_get(t, f.func, f.line));
    idmap_put(&t->child_map, (uint64_t)parent << 32 | f.func, (uint32_t)f.line, id);
    return id;
}

/* The child of parent for frame f, created when new; room reserved by the
 * caller. Children are keyed by (parent, func, line) rather than by site so
 * that the steady state costs one probe per frame; the site is looked up
 * only when a node is created. */
static uint32_t child_get(struct table *t, uint32_t parent, struct frame_key f)
{
    uint64_t key = (uint64_t)parent << 32 | f.func;
    uint32_t id = idmap_get(&t->child_map, key, (uint32_t)f.line);
    return id != TABLE_NONE ? id : child_new(t, parent, f);
}

int table_add_stack(struct table *t, uint32_t thread, const struct frame_key *frames,
                    int depth, uint64_t weight)
{
    return table_add_stack_as(t, thread, frames, depth, weight, TABLE_M_ANY);
}

/* Whether node leaf is the path of frames[0..depth) (leaf first) under
 * root: each node's site is its frame and the last parent is root. Any
 * leaf may be asked (a stale hint is simply not it). */
static int path_is(const struct table *t, uint32_t root, uint32_t leaf,
                   const struct frame_key *frames, int depth)
{
    uint32_t n = leaf;
    for (int i = 0; i < depth; i++) {
        if (n >= t->nnodes || t->nodes[n].site >= t->nsites)
            return 0;
        const struct site *s = &t->sites[t->nodes[n].site];
        if (s->func != frames[i].func || s->line != frames[i].line)
            return 0;
        n = t->nodes[n].parent;
    }
    return n == root && n < t->nnodes;
}

int table_add_stack_as(struct table *t, uint32_t thread, const struct frame_key *frames,
                       int depth, uint64_t weight, enum table_metric metric)
{
    if (thread >= t->nthreads || depth < 0 || (depth > 0 && !frames) || t->origin ||
        metric < 0 || metric >= TABLE_METRICS)
        return ERR_USAGE;
    for (int i = 0; i < depth; i++)
        if (frames[i].func >= t->nfuncs)
            return ERR_USAGE;
    int rc = reserve_path(t, (size_t)depth);
    if (rc == 0 && metric != TABLE_M_ANY)
        rc = table_mc_reserve(t, metric);
    if (rc < 0)
        return rc;

    /* A sample counts in the plain counts (wall) and in its metric's;
     * bytes only in their metric's. */
    uint64_t plain = metric < TABLE_M_ALLOC ? weight : 0;
    struct thread *th = &t->threads[thread];
    if (th->root == TABLE_NONE)
        th->root = new_node(t, TABLE_NONE, TABLE_NONE);
    uint32_t node = th->root;
    if (path_is(t, th->root, th->leaf, frames, depth)) {
        /* the thread's last stack again (a thread that did not run): up
         * its path from the leaf, no look-ups */
        node = th->leaf;
        for (uint32_t n = node, hops = 0; hops <= (uint32_t)depth; n = t->nodes[n].parent, hops++)
            t->nodes[n].total += plain;
    } else {
        t->nodes[node].total += plain;
        /* frames[] is leaf first; the tree grows from the root. */
        for (int i = depth - 1; i >= 0; i--) {
            node = child_get(t, node, frames[i]);
            t->nodes[node].total += plain;
        }
        th->leaf = node;
    }
    t->nodes[node].self += plain;
    if (metric != TABLE_M_ANY)               /* room reserved by the caller */
        table_mc_add(t, node, metric, weight);
    th->metric[metric] += weight;
    th->samples += plain;
    t->samples += plain;
    t->last_leaf = node;
    if (t->log_on)
        table_log_add(t, node, weight, metric);
    if (t->flat.on && plain)
        flat_added(t, node, weight);
    return 0;
}

/* Count weight samples (bytes) of metric ending at node of thread: its
 * own count, the totals up its path, the thread's and the table's, the
 * sync log and the flat counts (the metric's counts have room). */
static void count_up(struct table *t, uint32_t thread, uint32_t node, uint64_t weight,
                     enum table_metric metric)
{
    uint64_t plain = metric < TABLE_M_ALLOC ? weight : 0;
    for (uint32_t n = node, hops = 0; n != TABLE_NONE && hops <= t->nnodes; hops++) {
        t->nodes[n].total += plain;
        n = t->nodes[n].parent;
    }
    t->nodes[node].self += plain;
    if (metric != TABLE_M_ANY)               /* room reserved by the caller */
        table_mc_add(t, node, metric, weight);
    struct thread *th = &t->threads[thread];
    th->metric[metric] += weight;
    th->samples += plain;
    t->samples += plain;
    if (t->log_on)
        table_log_add(t, node, weight, metric);
    if (t->flat.on && plain)
        flat_added(t, node, weight);
}

uint32_t table_last_leaf(const struct table *t)
{
    return t->last_leaf;
}

uint64_t table_epoch(const struct table *t)
{
    return t->epoch;
}

int table_add_at(struct table *t, uint32_t thread, uint32_t node, uint64_t weight,
                 enum table_metric metric)
{
    if (thread >= t->nthreads || node >= t->nnodes || t->origin || metric < 0 ||
        metric >= TABLE_METRICS)
        return ERR_USAGE;
    uint32_t root = node;
    for (uint32_t hops = 0; t->nodes[root].parent != TABLE_NONE && hops <= t->nnodes; hops++)
        root = t->nodes[root].parent;
    if (root != t->threads[thread].root)
        return ERR_USAGE;
    if (metric != TABLE_M_ANY && table_mc_reserve(t, metric) < 0)
        return ERR_NOMEM;
    count_up(t, thread, node, weight, metric);
    return 0;
}

uint32_t table_thread_root(struct table *t, uint32_t thread)
{
    if (thread >= t->nthreads)
        return TABLE_NONE;
    struct thread *th = &t->threads[thread];
    if (th->root == TABLE_NONE && reserve_path(t, 0) == 0)
        th->root = new_node(t, TABLE_NONE, TABLE_NONE);
    return th->root;
}

uint32_t table_root_thread(const struct table *t, uint32_t root)
{
    for (uint32_t i = 0; i < t->nthreads; i++)
        if (t->threads[i].root == root)
            return i;
    return TABLE_NONE;
}

uint32_t table_child(struct table *t, uint32_t parent, uint32_t func, int32_t line)
{
    if (parent >= t->nnodes || func >= t->nfuncs || reserve_path(t, 1) < 0)
        return TABLE_NONE;
    return child_get(t, parent, (struct frame_key){.func = func, .line = line});
}

void table_count_at(struct table *t, uint32_t thread, uint32_t node, uint64_t weight)
{
    if (thread >= t->nthreads || node >= t->nnodes)
        return;
    count_up(t, thread, node, weight, TABLE_M_ANY);
}

int table_add_failed(struct table *t, uint32_t thread, enum walk_fail why)
{
    return table_add_failed_as(t, thread, why, TABLE_M_ANY);
}

int table_add_failed_as(struct table *t, uint32_t thread, enum walk_fail why,
                        enum table_metric metric)
{
    return table_add_failed_weighted(t, thread, why, metric, 1);
}

int table_add_failed_weighted(struct table *t, uint32_t thread, enum walk_fail why,
                              enum table_metric metric, uint64_t weight)
{
    if (thread >= t->nthreads || why <= WALK_OK || why >= WALK_FAIL_COUNT || t->origin ||
        metric < 0 || metric >= TABLE_M_ALLOC)
        return ERR_USAGE;
    uint32_t marker = table_intern_func(t, TABLE_UNREADABLE, "");
    if (marker == TABLE_NONE)
        return ERR_NOMEM;
    struct frame_key f = {.func = marker, .line = -1};
    int rc = weight ? table_add_stack_as(t, thread, &f, 1, weight, metric) : 0;
    if (rc == 0) {
        t->threads[thread].failed[why] += weight;
        t->threads[thread].failed_m[metric][why] += weight;
    }
    return rc;
}
