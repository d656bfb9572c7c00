/* SPDX-License-Identifier: MIT */
/* One mixed stack from a thread's native frames and its Python frames.
 *
 * Which native frames are what (names from the interpreter's module only,
 * nsym.interp; the lists come from gdb backtraces of 3.8-3.13 pyenv
 * builds, Debian's 3.11 and 3.14/3.15 (test_walkentry_live merges them)
 * with Python called by the loop, by sorted(), functools.reduce(), map(),
 * list() of a generator, a property, __init__, __call__ and __repr__):
 * - EVAL: _PyEval_EvalFrameDefault, and its compiler-split parts
 *   ("_PyEval_EvalFrameDefault.cold", ".part.0"; a part called by the
 *   function itself is one call with it, not two).
 * - PLUMBING: what runs between a Python frame and the next C function
 *   that does work: the call protocol (vectorcall, tp_call, the
 *   PyObject_Call* and _PyObject_Call* family, _PyObject_MakeTpCall,
 *   object_vacall), the way into a Python function (_PyFunction_*,
 *   _PyEval_Vector, _PyEval_EvalFrame, PyEval_EvalCode*, 3.8-3.10
 *   call_function and function_code_fastcall), the way into a C function
 *   (cfunction_*, method_vectorcall*), into a method of a class written
 *   in Python (slot_tp_call, slot_tp_init, type_call, call_unbound*,
 *   vectorcall_method...), a generator's resumption (gen_send_ex*,
 *   gen_iternext), 3.15's _Py_VectorCallInstrumentation_* and
 *   _PyCallMethodDescriptorFast_StackRef, and the handlers of a
 *   tail-calling interpreter (_TAIL_CALL_*), which run inside the
 *   evaluation call below them.
 * Everything else is NATIVE, an unnamed frame too (stripped
 * interpreters name only their exported functions: Debian's hide
 * cfunction_*, builtin_sorted and the like as "python3.14+0x...").
 *
 * Python frames come in runs, each run one call of the evaluation loop
 * (walk_frame.entry marks its outermost frame). Each run goes where the
 * native frame of its call is: found by the address of the call's C-stack
 * entry frame (3.12+, stack pointers given), else by name and count
 * (nmerge.h). */
#include "nmerge.h"

#include <string.h>

#include "error.h"

#define EVAL_NAME "_PyEval_EvalFrameDefault"

/* The machinery's names: whole (exact) or a prefix. */
struct plumbing {
    const char *name;
    unsigned char len;
    unsigned char exact;
};

#define EXACT(s) {s, sizeof s - 1, 1}
#define PREFIX(s) {s, sizeof s - 1, 0}

static const struct plumbing plumbing[] = {
    EXACT("_PyEval_Vector"), EXACT("_PyEval_EvalFrame"), EXACT("PyEval_EvalFrame"),
    EXACT("PyEval_EvalFrameEx"), EXACT("function_code_fastcall"), EXACT("call_function"),
    EXACT("object_vacall"), EXACT("slot_tp_call"), EXACT("slot_tp_init"), EXACT("type_call"),
    EXACT("gen_send_ex"), EXACT("gen_send_ex2"), EXACT("gen_iternext"), EXACT("_PyGen_Send"),
    EXACT("PyIter_Send"),
    PREFIX("_PyObject_Vectorcall"), PREFIX("PyObject_Vectorcall"), PREFIX("_PyObject_FastCall"),
    PREFIX("_PyObject_Call"), PREFIX("PyObject_Call"), PREFIX("_PyObject_MakeTpCall"),
    PREFIX("PyVectorcall_"), PREFIX("_PyVectorcall_"), PREFIX("_PyFunction_"),
    PREFIX("_PyEval_EvalCode"), PREFIX("PyEval_EvalCode"), PREFIX("cfunction_"),
    PREFIX("method_vectorcall"), PREFIX("call_unbound"), PREFIX("vectorcall_method"),
    PREFIX("vectorcall_unbound"), PREFIX("_Py_VectorCall"), PREFIX("_PyCallMethodDescriptor"),
    PREFIX("_TAIL_CALL_"),
};

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

static int is_eval(const char *name)
{
    size_t n = sizeof EVAL_NAME - 1;
    return strncmp(name, EVAL_NAME, n) == 0 && (name[n] == '\0' || name[n] == '.');
}

static int is_plumbing(const char *name)
{
    for (size_t i = 0; i < COUNT(plumbing); i++) {
        const struct plumbing *p = &plumbing[i];
        /* the first two bytes first: most names differ there */
        if (name[0] == p->name[0] && name[0] && name[1] == p->name[1] &&
            strncmp(name, p->name, p->len) == 0 && (!p->exact || name[p->len] == '\0'))
            return 1;
    }
    return 0;
}

enum nmerge_kind nmerge_classify(const struct nsym *s)
{
    if (!s || !s->interp || !s->name)
        return NMERGE_NATIVE;
    if (is_eval(s->name))
        return NMERGE_EVAL;
    return is_plumbing(s->name) ? NMERGE_PLUMBING : NMERGE_NATIVE;
}

/* The kind of nat[i] in its stack: a split part of the evaluation loop
 * right inside the loop's own frame is part of that one call. */
static enum nmerge_kind kind_at(const struct nsym *nat, int nn, int i)
{
    enum nmerge_kind k = nmerge_classify(&nat[i]);
    if (k == NMERGE_EVAL && nat[i].name[sizeof EVAL_NAME - 1] == '.' && i + 1 < nn &&
        nmerge_classify(&nat[i + 1]) == NMERGE_EVAL)
        return NMERGE_PLUMBING;
    return k;
}

/* The Python runs of ws, innermost first: run r is frames
 * [start[r], start[r + 1]). Returns their count. */
static int python_runs(const struct walk_stack *ws, int *start)
{
    int g = 0;
    for (int d = 0; d < ws->depth; d++) {
        if (d == 0 || ws->frames[d - 1].entry)
            start[g++] = d;
    }
    start[g] = ws->depth;
    return g;
}

/* One merge: its inputs, the Python runs and the output. */
struct merge {
    const struct nsym *nat;
    const uint64_t *sps;
    const uint64_t *runaddr;    /* each run's evaluation call's C-stack address, or NULL:
                                 * its outermost frame's cstack */
    int nn, complete;
    const struct walk_stack *ws;
    int g;                      /* runs: run r is frames [start[r], start[r + 1]) */
    int start[WALK_MAX_DEPTH + 1];
    int at[WALK_MAX_DEPTH];     /* by address: the native frame holding run r */
    uint8_t kind[NUNWIND_MAX_DEPTH];    /* kind_at of each native frame */
    struct nmerge_item *out;
    int n, max;
};

/* Append run r at the end of the output (up to max). */
static void put_run(struct merge *m, int r)
{
    for (int d = m->start[r]; d < m->start[r + 1] && m->n < m->max; d++)
        m->out[m->n++] = (struct nmerge_item){.py = &m->ws->frames[d]};
}

static void put_native(struct merge *m, int i)
{
    if (m->n < m->max)
        m->out[m->n++] = (struct nmerge_item){.native = m->nat[i]};
}

/* Runs r.. past the native frames read, root-ward, after the NMERGE_CUT
 * marker when some were merged with native frames. */
static void put_outer(struct merge *m, int r)
{
    if (r < m->g && m->n > 0 && m->n + 1 < m->max)     /* room for it and a frame */
        m->out[m->n++] = (struct nmerge_item){.native = {.name = NMERGE_CUT, .module = NULL}};
    while (r < m->g)
        put_run(m, r++);
}

/* ------------------------------------------------------------ by name */

/* Whether k evaluation-loop frames and g runs agree (nmerge.h). */
static int counts_agree(int k, int g, int complete, int truncated)
{
    if (truncated)             /* runs are missing root-ward: fewer is fine */
        return complete ? k >= g : 1;
    return complete ? k == g : k <= g;
}

/* Run i (from the leaf) in place of evaluation frame i. */
static int merge_by_name(struct merge *m)
{
    int k = 0;
    for (int i = 0; i < m->nn; i++)
        k += m->kind[i] == NMERGE_EVAL;
    if (!counts_agree(k, m->g, m->complete, m->ws->truncated))
        return ERR_CORRUPT;
    int place = k < m->g ? k : m->g, r = 0;
    for (int i = 0; i < m->nn && (k == 0 || r < place); i++) {
        enum nmerge_kind kind = m->kind[i];
        if (kind == NMERGE_NATIVE)
            put_native(m, i);
        else if (kind == NMERGE_EVAL)
            put_run(m, r++);
    }
    put_outer(m, r);           /* the copy ended first: the outer runs */
    return m->n;
}

/* ------------------------------------------------------------ by address */

/* The C-stack address of run r's evaluation call, 0 when not known. */
static uint64_t run_cstack(const struct merge *m, int r)
{
    if (m->runaddr)
        return m->runaddr[r];
    const struct walk_frame *f = &m->ws->frames[m->start[r + 1] - 1];
    return f->entry ? f->cstack : 0;
}

/* Runs whose evaluation call is known by address: all of them (the last
 * one of a cut stack may not be), else 0 (then by name). */
static int runs_by_address(const struct merge *m)
{
    int known = 0;
    while (known < m->g && run_cstack(m, known))
        known++;
    if (known == m->g || (known == m->g - 1 && m->ws->truncated))
        return known;
    return 0;
}

/* The native frame holding each of the first `known` runs' evaluation
 * calls, into m->at[0..found): the frame whose stack range [sps[i],
 * sps[i + 1]) holds the address, a frame of the interpreter, one per run,
 * inner runs in inner frames. A run at or past the start of the last frame
 * of a copy that ended is not found (nor are those outside it). Returns
 * found, or ERR_CORRUPT. */
static int locate_runs(struct merge *m, int known)
{
    const uint64_t *sps = m->sps;
    for (int i = 1; i < m->nn; i++)
        if (sps[i] < sps[i - 1])
            return ERR_CORRUPT;
    int i = 0, found = 0;
    for (int r = 0; r < known; r++) {
        uint64_t c = run_cstack(m, r);
        while (i + 1 < m->nn && sps[i + 1] <= c)
            i++;
        if (m->nn == 0 || c < sps[i])
            return ERR_CORRUPT;         /* above the leaf (that call returned), or out of order */
        if (i == m->nn - 1 && !m->complete)
            continue;                   /* at or past the copy's end: not known */
        if ((found && m->at[found - 1] == i) || !m->nat[i].interp)
            return ERR_CORRUPT;
        m->at[found++] = i;
    }
    return found;
}

/* Every evaluation frame by name holds a run (the outermost frame of a
 * copy that ended may be one whose run is not known), or is the frame
 * right outside one that does (a split part holds the locals). */
static int evals_held(const struct merge *m, int found)
{
    int r = 0;
    for (int i = 0; i < m->nn; i++) {
        int held = r < found && m->at[r] == i;
        r += held;
        if (held || m->kind[i] != NMERGE_EVAL)
            continue;
        int stub = r > 0 && m->at[r - 1] == i - 1;
        int last = i == m->nn - 1 && !m->complete;
        if (!stub && !last)
            return 0;
    }
    return 1;
}

/* 3.12+: each run in place of the native frame that holds its
 * evaluation call's C-stack entry frame (names play no part: a stripped
 * interpreter whose evaluation loop is nameless merges the same). */
static int merge_by_address(struct merge *m, int known)
{
    int found = locate_runs(m, known);
    if (found < 0 || (found < known && m->complete) || !evals_held(m, found))
        return ERR_CORRUPT;
    int r = 0;
    for (int i = 0; i < m->nn && (found == 0 || r < found); i++) {
        if (r < found && m->at[r] == i)
            put_run(m, r++);
        else if (m->kind[i] == NMERGE_NATIVE)
            put_native(m, i);
    }
    put_outer(m, r);           /* past the copy's end, or a cut stack's last */
    return m->n;
}

int nmerge_stack(const struct nsym *nat, const uint64_t *sps, int nn, int complete,
                 const struct walk_stack *ws, struct nmerge_item *out, int max)
{
    return nmerge_stack_at(nat, sps, nn, complete, ws, NULL, out, max);
}

int nmerge_stack_at(const struct nsym *nat, const uint64_t *sps, int nn, int complete,
                    const struct walk_stack *ws, const uint64_t *runaddr, struct nmerge_item *out,
                    int max)
{
    struct merge m;             /* 17 KiB */
    if (!ws || ws->failed || ws->depth < 0 || ws->depth > WALK_MAX_DEPTH ||
        (ws->depth && !ws->frames) || nn < 0 || nn > NUNWIND_MAX_DEPTH || (nn && !nat) ||
        max < 0 || (max && !out))
        return ERR_CORRUPT;
    m.nat = nat;
    m.sps = sps;
    m.runaddr = runaddr;
    m.nn = nn;
    m.complete = complete;
    m.ws = ws;
    m.out = out;
    m.n = 0;
    m.max = max;
    m.g = python_runs(ws, m.start);
    for (int i = 0; i < nn; i++)
        m.kind[i] = (uint8_t)kind_at(nat, nn, i);
    int known = sps ? runs_by_address(&m) : 0;
    return known > 0 ? merge_by_address(&m, known) : merge_by_name(&m);
}

/* The 8 bytes at addr in the copy of s: 1 with *v, 0 when outside it. */
static int copy_word(const struct nsample *s, uint64_t addr, uint64_t *v)
{
    uint64_t lo = s->regs[NREG_RSP], hi = lo + s->stack_len;
    if (addr < lo || addr > UINT64_MAX - 8 || addr + 8 > hi)
        return 0;
    memcpy(v, s->stack + (addr - lo), sizeof *v);
    return 1;
}

int nmerge_leaf_in_eval(const struct nsym *nat, int nn)
{
    for (int i = 0; nat && i < nn; i++) {
        enum nmerge_kind k = kind_at(nat, nn, i);
        if (k != NMERGE_PLUMBING)
            return k == NMERGE_EVAL;
    }
    return 0;
}

/* 3.11/3.12: the _PyCFrame chain against the runs (nmerge.h). */
static int check_cframes(const struct nsample *s, const struct walk_stack *ws, int leaf_in_eval,
                         int32_t off)
{
    int start[WALK_MAX_DEPTH + 1], g = python_runs(ws, start), checked = 0;
    uint64_t c = ws->cframe, cur, prev;
    for (int r = 0; r < g && c; r++) {
        if (c < s->regs[NREG_RSP])
            return ERR_CORRUPT;         /* below the sample's stack pointer: that call had returned */
        if (c > UINT64_MAX - (uint64_t)off - 16 || !copy_word(s, c + (uint64_t)off, &cur) ||
            !copy_word(s, c + (uint64_t)off + 8, &prev))
            break;                      /* not in the copy (the root's is in the thread state) */
        if (cur != ws->frames[start[r]].frame && !(r == 0 && leaf_in_eval))
            return ERR_CORRUPT;
        checked++;
        c = prev;
    }
    return checked;
}

int nmerge_check_links(const struct nsample *s, const struct walk_stack *ws, int leaf_in_eval,
                       int32_t off_previous, int32_t off_cframe)
{
    int checked = 0;
    if (!s || !ws || ws->failed || !s->stack)
        return 0;
    if (off_cframe >= 0 && ws->cframe && (checked = check_cframes(s, ws, leaf_in_eval, off_cframe)) < 0)
        return checked;
    for (int k = 0; off_previous >= 0 && k + 1 < ws->depth; k++) {
        uint64_t at = ws->frames[k].cstack, prev;
        if (!ws->frames[k].entry || !at || at > UINT64_MAX - (uint64_t)off_previous ||
            !copy_word(s, at + (uint64_t)off_previous, &prev))
            continue;
        if (prev != ws->frames[k + 1].frame)
            return ERR_CORRUPT;
        checked++;
    }
    return checked;
}

int nmerge_cframe_runs(const struct nsample *s, const struct walk_stack *ws, int32_t off_cframe,
                       uint64_t *runaddr)
{
    int start[WALK_MAX_DEPTH + 1], g = python_runs(ws, start), known = 0;
    uint64_t c = ws->cframe, cur, prev;
    for (int r = 0; r < g; r++)
        runaddr[r] = 0;
    if (!s || !s->stack || off_cframe < 0 || ws->failed)
        return 0;
    while (known < g && c && c <= UINT64_MAX - (uint64_t)off_cframe - 16 &&
           copy_word(s, c + (uint64_t)off_cframe, &cur) &&
           copy_word(s, c + (uint64_t)off_cframe + 8, &prev)) {
        runaddr[known++] = c;
        c = prev;
    }
    return known;
}
