/* SPDX-License-Identifier: MIT */
/* The opcode tables (opcodes.h) against a real interpreter: the python given
 * on the command line runs opcodes_live.py and reports its own opcode
 * numbers and names, cache sizes and real code objects. Checks, with a rule
 * of its own (by name, not the generator's by base instruction): every name
 * of the call family has the number the table says and no other number is
 * a call; EXTENDED_ARG and the hiding opcodes likewise; every other defined
 * number is another instruction and an undefined one undefined; each base
 * instruction's cache units; and opcodes_scan_calls over every code object
 * (3.11+ its quickened copy, with specialized calls; 3.12+ one instrumented
 * too) marks exactly the units of the call instructions dis lists. Exit 77
 * (skip) for a version without a table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "opcodes.h"
#include "pychild.h"

#define SKIP 77
#define DEADLINE_MS 60000
#define LINE_CAP 65536
#define UNITS_MAX 4096           /* the script sends code of at most 8000 bytes */
#define INSTR_MAX UNITS_MAX

static int minor;
static char *names[256];         /* the interpreter's names of each opcode number */

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The family by name: 3.8-3.10 the four call instructions; 3.11+ every
 * PRECALL*, CALL* (specialized and adaptive forms included) and
 * INSTRUMENTED_CALL*, but not CALL_INTRINSIC_*, which calls no callable. */
static int family_name(const char *n)
{
    if (minor <= 10)
        return !strcmp(n, "CALL_FUNCTION") || !strcmp(n, "CALL_FUNCTION_KW") ||
               !strcmp(n, "CALL_FUNCTION_EX") || !strcmp(n, "CALL_METHOD");
    return (starts(n, "CALL") || starts(n, "PRECALL") || starts(n, "INSTRUMENTED_CALL")) &&
           !starts(n, "CALL_INTRINSIC");
}

static enum opcode_kind expect_kind(const char *n)
{
    if (!n)
        return OPK_UNDEF;
    if (!strcmp(n, "INSTRUMENTED_LINE") || !strcmp(n, "INSTRUMENTED_INSTRUCTION") ||
        !strcmp(n, "ENTER_EXECUTOR"))
        return OPK_HIDDEN;
    if (!strcmp(n, "EXTENDED_ARG") || !strcmp(n, "EXTENDED_ARG_QUICK"))
        return OPK_EXTARG;
    return family_name(n) ? OPK_CALL : OPK_OTHER;
}

static void check_kinds(const uint8_t *tab)
{
    int calls = 0;
    for (unsigned op = 0; op < 256; op++) {
        enum opcode_kind want = expect_kind(names[op]);
        calls += want == OPK_CALL;
        CHECKF(opcodes_kind(tab, op) == want, "opcode %u (%s): kind %d, expected %d", op,
               names[op] ? names[op] : "undefined", (int)opcodes_kind(tab, op), (int)want);
    }
    CHECKF(calls >= 4, "%d call opcodes", calls);
}

static int number_of(const char *name)
{
    for (int op = 0; op < 256; op++)
        if (names[op] && !strcmp(names[op], name))
            return op;
    return -1;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Counts over all code objects, so the test can tell it saw what it meant to. */
struct seen {
    int codes, calls, specialized, instrumented, extarg_calls;
};

/* Whether instruction k is a call, or (<= 3.10) an EXTENDED_ARG chain
 * leading to one. */
static int expect_call(const int *op, int n, int k, struct seen *s)
{
    int j = k;
    while (minor <= 10 && j + 1 < n && names[op[j]] && expect_kind(names[op[j]]) == OPK_EXTARG)
        j++;
    int call = names[op[j]] && family_name(names[op[j]]);
    if (call && j > k)
        s->extarg_calls++;
    return call;
}

/* One "code HEX OFF:OP,..." line. */
static void check_code(const uint8_t *tab, char *line, struct seen *s)
{
    static uint8_t code[2 * UNITS_MAX], bits[UNITS_MAX / 8 + 1];
    static int off[INSTR_MAX], op[INSTR_MAX];
    char *hex = line + 5, *sp = strchr(hex, ' ');
    if (!sp || (size_t)(sp - hex) % 4 || (size_t)(sp - hex) / 2 > sizeof code) {
        CHECKF(0, "malformed code line");
        return;
    }
    size_t nbytes = (size_t)(sp - hex) / 2, nunits = nbytes / 2;
    for (size_t i = 0; i < nbytes; i++)
        code[i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
    int n = 0;
    for (char *p = sp + 1; *p && n < INSTR_MAX; n++) {
        off[n] = (int)strtol(p, &p, 10);
        op[n] = (int)strtol(p + 1, &p, 10) & 0xff;
        if (*p == ',')
            p++;
    }
    size_t known = opcodes_scan_calls(tab, minor <= 10, code, nunits, bits);
    CHECKF(known == nunits, "code %d: %zu of %zu units classified", s->codes, known, nunits);
    s->codes++;
    for (int k = 0; k < n; k++) {
        int want = expect_call(op, n, k, s);
        size_t end = k + 1 < n ? (size_t)off[k + 1] / 2 : nunits;
        unsigned raw = code[off[k]];
        if (want && raw != (unsigned)op[k] && names[raw])
            (starts(names[raw], "INSTRUMENTED_") ? &s->instrumented : &s->specialized)[0]++;
        s->calls += want && family_name(names[op[k]] ? names[op[k]] : "");
        for (size_t u = (size_t)off[k] / 2; u < end && u < known; u++)
            CHECKF((bits[u / 8] >> (u % 8) & 1) == want, "code %d: unit %zu (instruction at %d, %s, raw %s): "
                   "bit %d", s->codes, u, off[k], names[op[k]] ? names[op[k]] : "?",
                   names[raw] ? names[raw] : "?", !want);
    }
}

static int run(struct pychild *c, const char *python)
{
    static char line[LINE_CAP];
    int64_t deadline = pychild_now_ms() + DEADLINE_MS;
    int major = 0;
    if (pychild_read_line(c, line, sizeof line, deadline) < 0 ||
        sscanf(line, "version %d %d", &major, &minor) != 2) {
        fprintf(stderr, "FAIL: %s gave no version\n", python);
        return 1;
    }
    const uint8_t *tab = opcodes_table(major, minor);
    if (!tab) {
        fprintf(stderr, "SKIP: no opcode table for %d.%d\n", major, minor);
        return SKIP;
    }
    check_context("%d.%d", major, minor);
    struct seen s = {0};
    int kinds_done = 0;
    while (pychild_read_line(c, line, sizeof line, deadline) == 0 && strcmp(line, "end") != 0) {
        int num, ncache;
        char name[128];
        if (sscanf(line, "op %d %127s", &num, name) == 2 && num >= 0 && num < 256) {
            if (!names[num])
                names[num] = strdup(name);
            continue;
        }
        if (!kinds_done) {
            check_kinds(tab);
            kinds_done = 1;
        }
        if (sscanf(line, "cache %127s %d", name, &ncache) == 2) {
            int op = number_of(name);
            CHECKF(op >= 0 && opcodes_caches(tab, (unsigned)op) == (unsigned)ncache,
                   "%s (%d): %u cache units, expected %d", name, op,
                   op >= 0 ? opcodes_caches(tab, (unsigned)op) : 0, ncache);
        } else if (starts(line, "code ")) {
            check_code(tab, line, &s);
        }
    }
    CHECKF(!strcmp(line, "end"), "the script did not finish");
    CHECKF(s.codes >= 200 && s.calls >= 500, "%d code objects, %d calls", s.codes, s.calls);
    CHECKF(minor < 11 || s.specialized > 0, "no specialized call seen");
    CHECKF(minor < 12 || s.instrumented > 0, "no instrumented call seen");
    CHECKF(minor > 9 || s.extarg_calls > 0, "no call under EXTENDED_ARG seen");
    printf("%d.%d: %d code objects, %d calls (%d specialized, %d instrumented, %d under EXTENDED_ARG)\n",
           major, minor, s.codes, s.calls, s.specialized, s.instrumented, s.extarg_calls);
    return check_report("opcodes_live");
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PYTHON opcodes_live.py\n", argv[0]);
        return 2;
    }
    static char script[1 << 16];
    FILE *f = fopen(argv[2], "r");
    size_t n = f ? fread(script, 1, sizeof script - 1, f) : 0;
    if (f)
        fclose(f);
    if (!n) {
        fprintf(stderr, "FAIL: cannot read %s\n", argv[2]);
        return 1;
    }
    script[n] = '\0';
    struct pychild c;
    if (pychild_spawn(argv[1], script, &c) < 0) {
        fprintf(stderr, "FAIL: cannot start %s\n", argv[1]);
        return 1;
    }
    int rc = run(&c, argv[1]);
    pychild_finish(&c, 5000);
    for (int i = 0; i < 256; i++)
        free(names[i]);
    return rc;
}
