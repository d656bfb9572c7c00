/* SPDX-License-Identifier: MIT */
/* Unit tests of nmerge (native and Python frames into one stack) on
 * synthetic stacks shaped like the real ones (gdb backtraces of 3.8-3.15):
 * <= 3.10 one Python frame per evaluation-loop frame, 3.11+ runs of
 * frames; the call machinery left out; the frames outside the Python root
 * left out; a copy of the stack that ended early; counts that disagree
 * either way; no evaluation loop at all; a cut Python stack; nameless
 * frames kept; 3.12+ runs placed by the address of their C-stack entry
 * frame (a nameless evaluation loop too) and what that refuses; the
 * bound on the output. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "codecache.h"
#include "error.h"
#include "nmerge.h"
#include "walker.h"

#define MAXN 64
#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"
#define EXE "/usr/bin/python3"

/* Stack pointer of native frame i in the tests: the stack grows down, so
 * outer frames are higher. */
#define SP(i) (0x7ffd00000000ull + 0x100ull * (uint64_t)(i))

/* A native stack from "name,name,..." innermost first: "E" is
 * _PyEval_EvalFrameDefault, "?" a nameless frame of the interpreter, a
 * name starting with "libc:" one of libc, any other a function of the
 * interpreter; frame i's stack pointer is SP(i). */
static int natives(const char *spec, struct nsym *out, char names[][64])
{
    int n = 0;
    for (const char *p = spec; *p && n < MAXN; n++) {
        size_t len = strcspn(p, ",");
        snprintf(names[n], 64, "%.*s", (int)len, p);
        const char *name = names[n];
        int libc = strncmp(name, "libc:", 5) == 0;
        out[n] = (struct nsym){.name = libc ? name + 5 : name, .module = libc ? LIBC : EXE,
                               .interp = !libc, .offset = 0x40};
        if (strcmp(name, "E") == 0)
            out[n].name = "_PyEval_EvalFrameDefault";
        else if (strcmp(name, "?") == 0)
            out[n].name = NULL;
        p += len + (p[len] == ',');
    }
    return n;
}

static struct code_entry codes[MAXN];
static char code_names[MAXN][32];

/* A Python stack from "name,name*,name*@N,..." leaf first; "*" marks an
 * entry, "@N" its C-stack entry frame inside native frame N (SP(N) +
 * 0x10; N -1: below the leaf's stack pointer). */
static void python(const char *spec, struct walk_stack *ws, struct walk_frame *fr)
{
    *ws = (struct walk_stack){.tid = 1, .frames = fr};
    for (const char *p = spec; *p && ws->depth < MAXN;) {
        size_t len = strcspn(p, ","), name = strcspn(p, "*,");
        int entry = name < len, d = ws->depth++, at;
        snprintf(code_names[d], sizeof code_names[d], "%.*s", (int)name, p);
        codes[d] = (struct code_entry){.name = code_names[d], .file = "app.py"};
        fr[d] = (struct walk_frame){.code = &codes[d], .line = d + 1, .entry = (uint8_t)entry};
        if (entry && p[name + 1] == '@' && sscanf(p + name + 2, "%d", &at) == 1)
            fr[d].cstack = at < 0 ? SP(0) - 0x10 : SP(at) + 0x10;
        p += len + (p[len] == ',');
    }
}

/* The merged stack as "a;[py];b..." (Python frames in brackets), or the
 * error. */
static void render(int n, const struct nmerge_item *it, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    if (n < 0) {
        snprintf(buf, cap, "error %d", n);
        return;
    }
    for (int i = 0; i < n && len < cap; i++) {
        const char *sep = i ? ";" : "";
        if (it[i].py)
            len += (size_t)snprintf(buf + len, cap - len, "%s[%s]", sep, it[i].py->code->name);
        else if (it[i].native.name)
            len += (size_t)snprintf(buf + len, cap - len, "%s%s", sep, it[i].native.name);
        else
            len += (size_t)snprintf(buf + len, cap - len, "%s(null)", sep);
    }
}

/* nmerge_stack of the two specs (with the native frames' stack pointers
 * when by_address) compared with want. */
static void merge_case(const char *nat_spec, int complete, const char *py_spec, int truncated,
                       int by_address, const char *want, int line)
{
    static char names[MAXN][64];
    struct nsym nat[MAXN];
    uint64_t sps[MAXN];
    struct walk_frame fr[MAXN];
    struct walk_stack ws;
    struct nmerge_item out[2 * MAXN];
    char got[2048];
    int nn = natives(nat_spec, nat, names);
    for (int i = 0; i < nn; i++)
        sps[i] = SP(i);
    python(py_spec, &ws, fr);
    ws.truncated = truncated;
    int n = nmerge_stack(nat, by_address ? sps : NULL, nn, complete, &ws, out, 2 * MAXN);
    render(n, out, got, sizeof got);
    check_at(strcmp(got, want) == 0, __FILE__, line, "got  %s\nwant %s", got, want);
    for (int i = 0; i < n; i++)     /* Python items point into ws */
        check_at(!out[i].py || (out[i].py >= fr && out[i].py < fr + ws.depth), __FILE__, line,
                 "item %d is not a frame of the stack", i);
}

#define MERGE(nat, complete, py, truncated, want) \
    merge_case((nat), (complete), (py), (truncated), 0, (want), __LINE__)
#define MERGE_SP(nat, complete, py, truncated, want) \
    merge_case((nat), (complete), (py), (truncated), 1, (want), __LINE__)

/* Up to 3.10 each Python frame runs in an evaluation call of its own. */
static void test_up_to_310(void)
{
    const char *nat = "libc:read,_Py_read,_io_FileIO_readinto,method_vectorcall_O,"
                      "_PyObject_Vectorcall,call_function,E,function_code_fastcall,"
                      "_PyObject_Vectorcall,call_function,E,_PyEval_EvalCodeWithName,"
                      "PyEval_EvalCodeEx,PyEval_EvalCode,run_mod,Py_RunMain,main,"
                      "libc:__libc_start_main,_start";
    MERGE(nat, 1, "leaf*,<module>*", 0, "read;_Py_read;_io_FileIO_readinto;[leaf];[<module>]");
    /* sorted(key=f): the C functions between the two calls stay */
    MERGE("E,_PyEval_EvalFrame,_PyEval_Vector,_PyObject_VectorcallTstate,PyObject_CallOneArg,"
          "list_sort_impl,list_sort,cfunction_vectorcall_FASTCALL_KEYWORDS,"
          "_PyObject_VectorcallTstate,PyObject_Vectorcall,builtin_sorted,"
          "cfunction_vectorcall_FASTCALL_KEYWORDS,PyObject_Vectorcall,call_function,E,"
          "_PyEval_EvalFrame,_PyEval_Vector,PyEval_EvalCode,run_eval_code_obj,main",
          1, "f*,<module>*", 0, "[f];list_sort_impl;list_sort;builtin_sorted;[<module>]");
    MERGE(nat, 1, "leaf*,mid*,<module>*", 0, "error -8");
}

/* 3.11+: a run of Python frames per evaluation call. */
static void test_runs(void)
{
    const char *nat = "libc:clock_nanosleep,pysleep,time_sleep,cfunction_vectorcall_O,"
                      "PyObject_Vectorcall,E,_PyEval_Vector,_PyObject_VectorcallTstate,"
                      "PyObject_CallOneArg,list_sort_impl,list_sort,"
                      "cfunction_vectorcall_FASTCALL_KEYWORDS,_PyObject_VectorcallTstate,"
                      "PyObject_Vectorcall,builtin_sorted,E,_PyEval_EvalFrame,_PyEval_Vector,"
                      "PyEval_EvalCode,run_eval_code_obj,run_mod,Py_RunMain,main";
    MERGE(nat, 1, "g,key*,red,<module>*", 0,
          "clock_nanosleep;pysleep;time_sleep;[g];[key];list_sort_impl;list_sort;builtin_sorted;"
          "[red];[<module>]");
    /* 3.12+ __init__ by type_call/slot_tp_init, 3.15's instrumentation step */
    MERGE("?,_Py_VectorCallInstrumentation_StackRefSteal,E,_PyObject_VectorcallDictTstate,"
          "_PyObject_Call_Prepend,slot_tp_init,type_call,_PyObject_MakeTpCall,E,main",
          1, "leaf,__init__*,m,<module>*", 0, "(null);[leaf];[__init__];[m];[<module>]");
    /* a generator resumed by list() */
    MERGE("E,_PyEval_EvalFrame,gen_send_ex2,gen_iternext,list_extend,list___init___impl,"
          "list_vectorcall,_PyObject_VectorcallTstate,PyObject_Vectorcall,E,PyEval_EvalCode",
          1, "leaf,gen*,<module>*", 0, "[leaf];[gen];list_extend;list___init___impl;"
          "list_vectorcall;[<module>]");
}

/* The copy of the stack ended before its root. */
static void test_incomplete(void)
{
    /* the innermost run in place, the outer ones root-ward */
    MERGE("time_sleep,cfunction_vectorcall_O,E,_PyEval_Vector,list_sort_impl", 0,
          "g,key*,red,<module>*", 0, "time_sleep;[g];[key];[native stack cut];[red];[<module>]");
    MERGE("time_sleep,E,_PyEval_Vector,list_sort_impl,E", 0, "g,key*,red,<module>*", 0,
          "time_sleep;[g];[key];list_sort_impl;[red];[<module>]");
    /* no evaluation frame in the copy: its frames, then the whole Python stack */
    MERGE("libc:read,_Py_read,cfunction_vectorcall_O", 0, "g,<module>*", 0,
          "read;_Py_read;[native stack cut];[g];[<module>]");
    /* more evaluation frames than runs is a mismatch all the same */
    MERGE("time_sleep,E,list_sort_impl,E", 0, "g,<module>*", 0, "error -8");
}

/* Evaluation frames and runs that disagree on a complete stack. */
static void test_mismatch(void)
{
    /* one more: a call of the loop that has not linked its frame yet */
    MERGE("E,_PyEval_Vector,builtin_sorted,E,main", 1, "<module>*", 0, "error -8");
    /* one fewer: the Python stack moved on */
    MERGE("time_sleep,E,main", 1, "g,key*,<module>*", 0, "error -8");
    /* no evaluation frame at all, but Python frames */
    MERGE("libc:read,_Py_read,main", 1, "g,<module>*", 0, "error -8");
    /* neither: the native frames, machinery left out */
    MERGE("libc:read,PyObject_Call,thread_run,libc:start_thread", 1, "", 0,
          "read;thread_run;start_thread");
    /* a failed Python stack is nothing to merge */
    struct nsym nat[1] = {{.name = "main", .module = EXE, .interp = 1}};
    struct walk_stack ws = {.failed = 1, .why = WALK_FAIL_TORN};
    struct nmerge_item out[4];
    CHECK_EQ(nmerge_stack(nat, NULL, 1, 1, &ws, out, 4), ERR_CORRUPT);
}

/* A Python stack cut at its root (walk_stack.truncated). */
static void test_truncated(void)
{
    /* runs missing root-ward: the stack ends at the last run that is there */
    MERGE("time_sleep,E,builtin_sorted,E,PyEval_EvalCode,main", 1, "g,key*,rec", 1,
          "time_sleep;[g];[key];builtin_sorted;[rec]");
    MERGE("time_sleep,E,builtin_sorted,E,main", 1, "g", 1, "time_sleep;[g]");
    MERGE("time_sleep,E,main", 1, "g,key*,rec", 1, "error -8");
    MERGE("time_sleep,E,list_sort_impl", 0, "g,key*,rec", 1, "time_sleep;[g];[key];[native stack cut];[rec]");
}

/* What is the evaluation loop, what the machinery, what neither. */
static void test_classify(void)
{
    struct nsym s = {.module = EXE, .interp = 1};
    static const char *const eval[] = {"_PyEval_EvalFrameDefault", "_PyEval_EvalFrameDefault.cold",
                                       "_PyEval_EvalFrameDefault.part.0"};
    static const char *const plumbing[] = {
        "_PyEval_Vector", "_PyEval_EvalFrame", "PyEval_EvalFrameEx", "function_code_fastcall",
        "call_function", "_PyFunction_Vectorcall", "PyObject_Vectorcall",
        "_PyObject_VectorcallTstate", "_PyObject_FastCallDictTstate", "_PyObject_Call_Prepend",
        "PyObject_Call", "PyObject_CallOneArg", "PyObject_CallMethodObjArgs",
        "_PyObject_MakeTpCall", "object_vacall", "cfunction_vectorcall_O", "cfunction_call",
        "method_vectorcall_FASTCALL_KEYWORDS", "slot_tp_call", "slot_tp_init", "type_call",
        "call_unbound_noarg", "PyVectorcall_Call", "_PyEval_EvalCodeWithName", "PyEval_EvalCode",
        "gen_send_ex2", "gen_iternext", "_Py_VectorCallInstrumentation_StackRefSteal",
        "_PyCallMethodDescriptorFast_StackRef", "_TAIL_CALL_CALL_PY_EXACT_ARGS"};
    static const char *const native[] = {"builtin_sorted", "list_sort_impl", "time_sleep",
                                         "PyObject_Repr", "slot_tp_repr", "map_next", "main",
                                         "_PyEval_EvalFrameDefaultX", "Py_RunMain"};
    for (size_t i = 0; i < sizeof eval / sizeof eval[0]; i++) {
        s.name = eval[i];
        CHECKF(nmerge_classify(&s) == NMERGE_EVAL, "%s", s.name);
    }
    for (size_t i = 0; i < sizeof plumbing / sizeof plumbing[0]; i++) {
        s.name = plumbing[i];
        CHECKF(nmerge_classify(&s) == NMERGE_PLUMBING, "%s", s.name);
    }
    for (size_t i = 0; i < sizeof native / sizeof native[0]; i++) {
        s.name = native[i];
        CHECKF(nmerge_classify(&s) == NMERGE_NATIVE, "%s", s.name);
    }
    /* the innermost C frames up to the first evaluation call */
    struct nsym leaf[3] = {{.name = "_PyObject_Vectorcall", .module = EXE, .interp = 1},
                           {.name = "_PyEval_EvalFrameDefault", .module = EXE, .interp = 1},
                           {.name = "main", .module = EXE, .interp = 1}};
    CHECK(nmerge_leaf_in_eval(leaf, 3));            /* plumbing, then the loop */
    CHECK(nmerge_leaf_in_eval(leaf + 1, 2));
    CHECK(!nmerge_leaf_in_eval(leaf + 2, 1));       /* a C frame, no loop */
    leaf[0].name = "deflate";
    leaf[0].interp = 0;
    CHECK(!nmerge_leaf_in_eval(leaf, 3));           /* C code above the loop */
    CHECK(!nmerge_leaf_in_eval(leaf, 0) && !nmerge_leaf_in_eval(NULL, 3));
    /* the interpreter's names only */
    s = (struct nsym){.name = "_PyEval_EvalFrameDefault", .module = "/opt/other.so"};
    CHECK(nmerge_classify(&s) == NMERGE_NATIVE);
    s.name = "PyObject_Call";
    CHECK(nmerge_classify(&s) == NMERGE_NATIVE);
    s = (struct nsym){.name = NULL, .module = EXE, .interp = 1};
    CHECK(nmerge_classify(&s) == NMERGE_NATIVE);
    CHECK(nmerge_classify(NULL) == NMERGE_NATIVE);
    /* a split part right inside the function is one call with it */
    MERGE("time_sleep,_PyEval_EvalFrameDefault.part.0,E,main", 1, "g,<module>*", 0,
          "time_sleep;[g];[<module>]");
    MERGE("time_sleep,_PyEval_EvalFrameDefault.cold,main", 1, "g,<module>*", 0,
          "time_sleep;[g];[<module>]");
}

/* 3.12+ by address: each run goes where its C-stack entry frame is, names
 * or not. */
static void test_by_address(void)
{
    /* Debian's static 3.15: the evaluation loop's body is nameless */
    const char *nameless = "libc:read,?,PyObject_Vectorcall,?,?,_PyObject_MakeTpCall,?,"
                           "PyEval_EvalCode,Py_RunMain,main";
    MERGE_SP(nameless, 1, "leaf,__init__*@3,m,<module>*@6", 0,
             "read;(null);[leaf];[__init__];(null);[m];[<module>]");
    /* by name the same stack has no evaluation frame: refused */
    MERGE(nameless, 1, "leaf,__init__*,m,<module>*", 0, "error -8");
    /* named (pyenv 3.12): as by name */
    MERGE_SP("time_sleep,cfunction_vectorcall_O,E,_PyEval_Vector,list_sort_impl,builtin_sorted,E,"
             "_PyEval_Vector,PyEval_EvalCode,main", 1, "g,key*@2,red,<module>*@6", 0,
             "time_sleep;[g];[key];list_sort_impl;builtin_sorted;[red];[<module>]");
    /* a split part holds the locals, the named stub right outside it */
    MERGE_SP("time_sleep,?,E,main", 1, "g,<module>*@1", 0, "time_sleep;[g];[<module>]");
    /* runs past the end of a copy that ended: root-ward */
    MERGE_SP("time_sleep,E,_PyEval_Vector,list_sort_impl", 0, "g,key*@1,red,<module>*@9", 0,
             "time_sleep;[g];[key];[native stack cut];[red];[<module>]");
    MERGE_SP("time_sleep,E,list_sort_impl,E,_PyEval_Vector", 0, "g,key*@1,red,<module>*@3", 0,
             "time_sleep;[g];[key];list_sort_impl;[red];[<module>]");
    /* in the last frame of the copy: its end is not known, nor the run's frame */
    MERGE_SP("time_sleep,E,list_sort_impl,E", 0, "g,key*@1,red,<module>*@3", 0,
             "time_sleep;[g];[key];[native stack cut];[red];[<module>]");
    /* a cut stack: its last run has no address, it ends the stack */
    MERGE_SP("time_sleep,E,builtin_sorted,?,main", 1, "g,key*@1,rec", 1,
             "time_sleep;[g];[key];[native stack cut];[rec]");
    /* refused: above the leaf (returned), two runs in one frame, out of
     * order, in libc, a complete stack's run in no frame of the
     * interpreter, an evaluation frame without a run */
    MERGE_SP("time_sleep,E,main", 1, "g*@-1,<module>*@1", 0, "error -8");
    MERGE_SP("time_sleep,E,main", 1, "g*@1,<module>*@1", 0, "error -8");
    MERGE_SP("time_sleep,E,?,E,main", 1, "g*@3,<module>*@1", 0, "error -8");
    MERGE_SP("libc:read,E,libc:qsort,E,main", 1, "g*@2,<module>*@3", 0, "error -8");
    MERGE_SP("time_sleep,E,libc:_start", 1, "g*@1,<module>*@2", 0, "error -8");
    MERGE_SP("E,builtin_sorted,E,main", 1, "<module>*@2", 0, "error -8");
    /* 3.11: no addresses, by name */
    MERGE_SP("time_sleep,E,main", 1, "g,<module>*", 0, "time_sleep;[g];[<module>]");
    /* stack pointers that go up and down are no stack */
    static char names[MAXN][64];
    struct nsym nat[MAXN];
    struct walk_frame fr[MAXN];
    struct walk_stack ws;
    struct nmerge_item out[8];
    int nn = natives("a,E,b,E", nat, names);
    uint64_t sps[4] = {SP(0), SP(2), SP(1), SP(3)};
    python("f*@1,g*@3", &ws, fr);
    fr[0].cstack = SP(2) + 0x10;
    fr[1].cstack = SP(3) + 0x10;
    CHECK_EQ(nmerge_stack(nat, sps, nn, 1, &ws, out, 8), ERR_CORRUPT);
}

/* The output never goes past max: the root end is left out. */
static void test_bound(void)
{
    static char names[MAXN][64];
    struct nsym nat[MAXN];
    struct walk_frame fr[MAXN];
    struct walk_stack ws;
    struct nmerge_item out[8];
    int nn = natives("a,b,E,c,E,main", nat, names);
    python("f*,g*", &ws, fr);
    memset(out, 0x5a, sizeof out);
    CHECK_EQ(nmerge_stack(nat, NULL, nn, 1, &ws, out, 3), 3);
    CHECK(out[2].py == &fr[0]);
    unsigned char *canary = (unsigned char *)&out[3];
    CHECK(canary[0] == 0x5a && canary[sizeof out[3] - 1] == 0x5a);
    CHECK_EQ(nmerge_stack(nat, NULL, nn, 1, &ws, out, 0), 0);
    CHECK_EQ(nmerge_stack(nat, NULL, nn, 1, &ws, out, 8), 5);
}

/* 3.12+: each run's entry frame, in the sample's copy of the C stack,
 * points at the frame that called into C; the walk's frame after the run
 * must be that one. */
static void test_links(void)
{
    uint8_t stack[512] = {0};
    struct nsample s = {.stack = stack, .stack_len = sizeof stack};
    s.regs[NREG_RSP] = 0x7000;
    enum { PREV = 8 };                  /* the previous field's offset */
    struct walk_frame fr[4] = {
        {.frame = 0xA0},                                        /* leaf run */
        {.frame = 0xB0, .entry = 1, .cstack = 0x7010},          /* its outermost frame */
        {.frame = 0xC0, .entry = 1, .cstack = 0x7100},          /* outer run: one frame */
        {.frame = 0xD0, .entry = 1, .cstack = 0x9000},          /* root: shim past the copy */
    };
    struct walk_stack ws = {.frames = fr, .depth = 4};
    uint64_t c0 = 0xC0, d0 = 0xD0, other = 0xE0;
    memcpy(stack + 0x10 + PREV, &c0, 8);
    memcpy(stack + 0x100 + PREV, &d0, 8);
    CHECK_EQ(nmerge_check_links(&s, &ws, 0, PREV, -1), 2);
    memcpy(stack + 0x100 + PREV, &other, 8);           /* the sample saw another caller */
    CHECK_EQ(nmerge_check_links(&s, &ws, 0, PREV, -1), ERR_CORRUPT);
    s.stack_len = 0x100;                                /* that entry frame not in the copy */
    CHECK_EQ(nmerge_check_links(&s, &ws, 0, PREV, -1), 1);
    fr[1].cstack = 0;                                   /* before 3.12: nothing to check */
    fr[2].cstack = 0;
    CHECK_EQ(nmerge_check_links(&s, &ws, 0, PREV, -1), 0);
    fr[1].cstack = UINT64_MAX - 2;                      /* no wrap past the end */
    CHECK_EQ(nmerge_check_links(&s, &ws, 0, PREV, -1), 0);
    ws.failed = 1;
    CHECK_EQ(nmerge_check_links(&s, &ws, 0, PREV, -1), 0);
}

/* 3.11/3.12: each evaluation call's _PyCFrame on the C stack, from the
 * innermost (walk_stack.cframe) along its previous, points at its run's
 * innermost frame as the sample saw it. */
static void test_cframes(void)
{
    uint8_t stack[512] = {0};
    struct nsample s = {.stack = stack, .stack_len = sizeof stack};
    s.regs[NREG_RSP] = 0x7000;
    enum { CUR = 8 };                   /* current_frame's offset; previous 8 after */
    struct walk_frame fr[4] = {
        {.frame = 0xA0}, {.frame = 0xB0, .entry = 1},       /* run 0: A0 innermost */
        {.frame = 0xC0}, {.frame = 0xD0, .entry = 1},       /* run 1: C0 innermost */
    };
    struct walk_stack ws = {.frames = fr, .depth = 4, .cframe = 0x7020};
    uint64_t a = 0xA0, c = 0xC0, outer = 0x7100, root = 0x5000;   /* root's: in the thread state */
    memcpy(stack + 0x20 + CUR, &a, 8);
    memcpy(stack + 0x20 + CUR + 8, &outer, 8);
    memcpy(stack + 0x100 + CUR, &c, 8);
    memcpy(stack + 0x100 + CUR + 8, &root, 8);
    CHECK_EQ(nmerge_check_links(&s, &ws, 0, -1, CUR), 2);
    uint64_t b = 0xB0;                  /* the sample was in the run's outer frame */
    memcpy(stack + 0x20 + CUR, &b, 8);
    CHECK_EQ(nmerge_check_links(&s, &ws, 0, -1, CUR), ERR_CORRUPT);
    /* ... which misplaces nothing when no C frame stands above the run */
    CHECK_EQ(nmerge_check_links(&s, &ws, 1, -1, CUR), 2);
    memcpy(stack + 0x20 + CUR, &a, 8);
    uint64_t e = 0xE0;                  /* the outer call ran another frame */
    memcpy(stack + 0x100 + CUR, &e, 8);
    CHECK_EQ(nmerge_check_links(&s, &ws, 0, -1, CUR), ERR_CORRUPT);
    CHECK_EQ(nmerge_check_links(&s, &ws, 1, -1, CUR), ERR_CORRUPT);   /* an outer run: always asked */
    CHECK_EQ(nmerge_check_links(&s, &ws, 0, -1, -1), 0);     /* not that version */
    ws.cframe = 0x9000;                 /* outside the copy: nothing said */
    CHECK_EQ(nmerge_check_links(&s, &ws, 0, -1, CUR), 0);
    ws.cframe = 0x6ff0;                 /* below the stack pointer: that call returned */
    CHECK_EQ(nmerge_check_links(&s, &ws, 0, -1, CUR), ERR_CORRUPT);
    /* 3.11: the runs' _PyCFrame addresses, for the merge by address */
    memcpy(stack + 0x100 + CUR, &c, 8);
    ws.cframe = 0x7020;
    uint64_t at[WALK_MAX_DEPTH];
    CHECK_EQ(nmerge_cframe_runs(&s, &ws, CUR, at), 2);
    CHECK(at[0] == 0x7020 && at[1] == 0x7100);
    memcpy(stack + 0x20 + CUR + 8, &root, 8);     /* the chain leaves the copy after one */
    CHECK_EQ(nmerge_cframe_runs(&s, &ws, CUR, at), 1);
    CHECK(at[0] == 0x7020 && at[1] == 0);
    CHECK_EQ(nmerge_cframe_runs(&s, &ws, -1, at), 0);
}

int main(void)
{
    test_links();
    test_cframes();
    test_up_to_310();
    test_runs();
    test_incomplete();
    test_mismatch();
    test_truncated();
    test_classify();
    test_by_address();
    test_bound();
    return check_report("test_nmerge");
}
