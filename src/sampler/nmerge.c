/* SPDX-License-Identifier: MIT */
/* One mixed stack from a thread's native frames and its Python frames.
 *
 * Which native frames are what (names from the interpreter's module only,
 * nsym.interp; the lists come from gdb backtraces of 3.8-3.13 pyenv
 * builds, Debian's 3.11 and 3.14/3.15, with Python calls made by the loop,
 * by sorted(), functools.reduce(), map(), list() of a generator, a
 * property, __init__, __call__ and __repr__):
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
 *   gen_iternext), 3.15's _Py_VectorCallInstrumentation_*, and the
 *   handlers of a tail-calling interpreter (_TAIL_CALL_*), which run
 *   inside the evaluation call below them.
 * Everything else is NATIVE, an unnamed frame too (stripped
 * interpreters name only their exported functions: Debian's hide
 * cfunction_*, builtin_sorted and the like as "python3.14+0x...").
 *
 * Python frames come in runs, each run one call of the evaluation loop
 * (walk_frame.entry marks its outermost frame); the count check and the
 * placement are those of nmerge.h. */
#include "nmerge.h"

#include <string.h>

#include "error.h"

#define EVAL_NAME "_PyEval_EvalFrameDefault"

static const char *const plumbing_exact[] = {
    "_PyEval_Vector", "_PyEval_EvalFrame", "PyEval_EvalFrame", "PyEval_EvalFrameEx",
    "function_code_fastcall", "call_function", "object_vacall", "slot_tp_call", "slot_tp_init",
    "type_call", "gen_send_ex", "gen_send_ex2", "gen_iternext", "_PyGen_Send", "PyIter_Send",
};

static const char *const plumbing_prefix[] = {
    "_PyObject_Vectorcall", "PyObject_Vectorcall", "_PyObject_FastCall", "_PyObject_Call",
    "PyObject_Call", "_PyObject_MakeTpCall", "PyVectorcall_", "_PyVectorcall_", "_PyFunction_",
    "_PyEval_EvalCode", "PyEval_EvalCode", "cfunction_", "method_vectorcall", "call_unbound",
    "vectorcall_method", "vectorcall_unbound", "_Py_VectorCall", "_TAIL_CALL_",
};

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

static int is_eval(const char *name)
{
    size_t n = sizeof EVAL_NAME - 1;
    return strncmp(name, EVAL_NAME, n) == 0 && (name[n] == '\0' || name[n] == '.');
}

enum nmerge_kind nmerge_classify(const struct nsym *s)
{
    if (!s || !s->interp || !s->name)
        return NMERGE_NATIVE;
    if (is_eval(s->name))
        return NMERGE_EVAL;
    for (size_t i = 0; i < COUNT(plumbing_exact); i++)
        if (strcmp(s->name, plumbing_exact[i]) == 0)
            return NMERGE_PLUMBING;
    for (size_t i = 0; i < COUNT(plumbing_prefix); i++)
        if (strncmp(s->name, plumbing_prefix[i], strlen(plumbing_prefix[i])) == 0)
            return NMERGE_PLUMBING;
    return NMERGE_NATIVE;
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

/* The evaluation-loop frames of nat. */
static int eval_count(const struct nsym *nat, int nn)
{
    int k = 0;
    for (int i = 0; i < nn; i++)
        k += kind_at(nat, nn, i) == NMERGE_EVAL;
    return k;
}

/* Whether k evaluation-loop frames and g runs agree (nmerge.h). */
static int counts_agree(int k, int g, int complete, int truncated)
{
    if (truncated)             /* runs are missing root-ward: fewer is fine */
        return complete ? k >= g : 1;
    return complete ? k == g : k <= g;
}

/* Append run r of ws at out[n] (up to max). The new count. */
static int put_run(const struct walk_stack *ws, const int *start, int r, struct nmerge_item *out,
                   int n, int max)
{
    for (int d = start[r]; d < start[r + 1] && n < max; d++)
        out[n++] = (struct nmerge_item){.py = &ws->frames[d]};
    return n;
}

int nmerge_stack(const struct nsym *nat, int nn, int complete, const struct walk_stack *ws,
                 struct nmerge_item *out, int max)
{
    int start[WALK_MAX_DEPTH + 1];
    if (!ws || ws->failed || ws->depth < 0 || ws->depth > WALK_MAX_DEPTH ||
        (ws->depth && !ws->frames) || nn < 0 || (nn && !nat) || max < 0 || (max && !out))
        return ERR_CORRUPT;
    int g = python_runs(ws, start), k = eval_count(nat, nn);
    if (!counts_agree(k, g, complete, ws->truncated))
        return ERR_CORRUPT;
    int place = k < g ? k : g, r = 0, n = 0;
    for (int i = 0; i < nn && n < max && (k == 0 || r < place); i++) {
        enum nmerge_kind kind = kind_at(nat, nn, i);
        if (kind == NMERGE_NATIVE)
            out[n++] = (struct nmerge_item){.native = nat[i]};
        else if (kind == NMERGE_EVAL)
            n = put_run(ws, start, r++, out, n, max);
    }
    while (r < g && n < max)   /* the copy ended first: the outer runs */
        n = put_run(ws, start, r++, out, n, max);
    return n;
}
