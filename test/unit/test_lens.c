/* SPDX-License-Identifier: MIT */
/* Unit tests of the "your code first" lens: which files are the user's
 * (usercode.c: roots, library markers, the interpreter's prefix, relative
 * names, the script of a command line), and the lensed table (lens.c)
 * against a brute-force model: random stacks of user and library frames
 * fed to a profile over many syncs (incremental, whole, after a reset, a
 * missed sync, the lens dropped), the lensed stacks and flat views
 * compared with a table fed the stacks lensed by hand. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "lens.h"
#include "profile.h"
#include "table.h"
#include "tree.h"
#include "usercode.h"

static uint64_t rng_state = UINT64_C(0x51A5F00D2545F491);

static uint32_t rnd(uint32_t n)
{
    return check_rand(&rng_state, n);
}

static void check_norm(const char *path, const char *base, const char *want)
{
    char out[256];
    int rc = usercode_normalize(path, base, out, sizeof out);
    check(rc == 0 && strcmp(out, want) == 0, "normalize(%s, %s) = %s, want %s", path,
          base ? base : "NULL", rc == 0 ? out : "error", want);
}

static void test_normalize(void)
{
    check_norm("/a/b/c.py", NULL, "/a/b/c.py");
    check_norm("c.py", "/proj", "/proj/c.py");
    check_norm("./pkg//m.py", "/proj/", "/proj/pkg/m.py");
    check_norm("../lib/x.py", "/proj/app", "/proj/lib/x.py");
    check_norm("../../../../x.py", "/a", "/x.py");
    check_norm("/a/./b/../c/", NULL, "/a/c");
    check_norm("", "/proj", "/proj");
    check_norm("..", "/", "/");
    char small[8];
    CHECK_EQ(usercode_normalize("/abcdefgh", NULL, small, sizeof small), ERR_USAGE);
}

static void test_is_user(void)
{
    struct usercode u;
    usercode_init(&u);
    CHECK_EQ(usercode_is_user(&u, "/proj/app.py"), 0);          /* no roots: nothing */
    CHECK_EQ(usercode_add_root(&u, "/proj", NULL, 1), 0);
    CHECK_EQ(usercode_add_root(&u, "/proj/", NULL, 1), 0);      /* the same root once */
    CHECK_EQ(u.nroots, 1);
    CHECK_EQ(usercode_add_root(&u, "tools/run.py", "/home/me", 0), 0);
    CHECK_EQ(usercode_set_cwd(&u, "/proj"), 0);
    CHECK_EQ(usercode_set_prefix(&u, "/usr"), 0);
    CHECK_EQ(usercode_add_alias(&u, "/real/proj", 1), 0);        /* another name: matched, not counted */
    CHECK_EQ(usercode_count(&u, 1), 1);
    CHECK_EQ(usercode_count(&u, 0), 1);
    CHECK(usercode_is_user(&u, "/real/proj/app.py"));
    CHECK(usercode_is_user(&u, "/proj/app.py"));
    CHECK(usercode_is_user(&u, "/proj/pkg/sub/mod.py"));
    CHECK(usercode_is_user(&u, "pkg/mod.py"));                  /* relative to the target's cwd */
    CHECK(usercode_is_user(&u, "./app.py"));
    CHECK(!usercode_is_user(&u, "../other/app.py"));
    CHECK(!usercode_is_user(&u, "/project/app.py"));            /* a prefix of a name is not a dir */
    CHECK(!usercode_is_user(&u, "/proj"));
    CHECK(!usercode_is_user(&u, "/proj/.venv/lib/python3.12/site-packages/requests/api.py"));
    CHECK(!usercode_is_user(&u, "/proj/venv/lib64/python3.11/json/encoder.py"));
    CHECK(!usercode_is_user(&u, "/proj/build/dist-packages/x.py"));
    CHECK(usercode_is_user(&u, "/proj/lib/pythonic.py"));       /* a file, not a lib/pythonX dir */
    CHECK(usercode_is_user(&u, "/proj/lib/helpers/python_tools.py"));
    CHECK(!usercode_is_user(&u, "<frozen runpy>"));
    CHECK(!usercode_is_user(&u, "<string>"));
    CHECK(!usercode_is_user(&u, ""));
    CHECK(!usercode_is_user(&u, NULL));
    CHECK(usercode_is_user(&u, "/home/me/tools/run.py"));       /* a file root: that file only */
    CHECK(!usercode_is_user(&u, "/home/me/tools/other.py"));
    CHECK(!usercode_is_user(&u, "/usr/lib/python3.11/json/__init__.py"));
    usercode_free(&u);

    /* A root under the interpreter's prefix (and even in its library):
     * what the user asked for is theirs; the prefix still excludes the rest. */
    usercode_init(&u);
    CHECK_EQ(usercode_set_prefix(&u, "/usr"), 0);
    CHECK_EQ(usercode_add_root(&u, "/usr/lib/python3.11/json", NULL, 1), 0);
    CHECK_EQ(usercode_add_root(&u, "/", NULL, 1), 0);
    CHECK(usercode_is_user(&u, "/usr/lib/python3.11/json/encoder.py"));
    CHECK(!usercode_is_user(&u, "/usr/lib/python3.11/re/__init__.py"));
    CHECK(!usercode_is_user(&u, "/usr/local/bin/tool.py"));
    CHECK(usercode_is_user(&u, "/srv/app/main.py"));             /* root "/": all but the prefix */
    CHECK(usercode_is_user(&u, "relative.py"));                  /* no cwd: from "/" */
    usercode_free(&u);

    usercode_init(&u);
    for (int i = 0; i < USERCODE_ROOTS_MAX; i++) {
        char p[32];
        snprintf(p, sizeof p, "/r%d", i);
        CHECK_EQ(usercode_add_root(&u, p, NULL, 1), 0);
    }
    CHECK_EQ(usercode_add_root(&u, "/one/more", NULL, 1), ERR_USAGE);
    usercode_free(&u);
}

static void check_script(char *const argv[], const char *want)
{
    const char *got = usercode_script(argv);
    check((!got && !want) || (got && want && strcmp(got, want) == 0), "script of %s ...: %s, want %s",
          argv[0] ? argv[0] : "(none)", got ? got : "NULL", want ? want : "NULL");
}

static void test_script(void)
{
    check_script((char *[]){"python3", "app.py", "-x", NULL}, "app.py");
    check_script((char *[]){"/usr/bin/python3.12", "-u", "-X", "dev", "-Wignore", "d/app.py", NULL}, "d/app.py");
    check_script((char *[]){"python3", "-W", "error", "-OO", "--check-hash-based-pycs", "never", "a.py", NULL},
                 "a.py");
    check_script((char *[]){"python3", "-m", "pkg.mod", NULL}, NULL);
    check_script((char *[]){"python3", "-um", "pkg", NULL}, NULL);
    check_script((char *[]){"python3", "-c", "print(1)", NULL}, NULL);
    check_script((char *[]){"python3", "-", NULL}, NULL);
    check_script((char *[]){"python3", NULL}, NULL);
    check_script((char *[]){"python3", "--", "s.py", NULL}, "s.py");
    check_script((char *[]){"./tools/run.py", "arg", NULL}, "./tools/run.py");
    check_script((char *[]){"pytest", "tests/", NULL}, NULL);
    check_script((char *[]){NULL}, NULL);
    char out[64];
    CHECK(usercode_prefix_of("/usr/bin/python3", out, sizeof out) == 0 && strcmp(out, "/usr") == 0);
    CHECK(usercode_prefix_of("/root/.pyenv/versions/3.13.0/bin/python3.13", out, sizeof out) == 0 &&
          strcmp(out, "/root/.pyenv/versions/3.13.0") == 0);
    CHECK(usercode_prefix_of("/bin/python3", out, sizeof out) == 0 && strcmp(out, "/") == 0);
    CHECK_EQ(usercode_prefix_of("/opt/python3", out, sizeof out), ERR_USAGE);
    CHECK_EQ(usercode_prefix_of("python3", out, sizeof out), ERR_USAGE);
}

/* ---- the lensed table against stacks lensed by hand ---- */

#define NFUNCS 10
#define NTHREADS 3
#define MAXD 14

static const char *const files[NFUNCS] = {
    "/proj/app.py", "/proj/pkg/work.py", "pkg/rel.py", "/proj/app.py",
    "/usr/lib/python3.12/json/encoder.py", "/proj/.venv/lib/python3.12/site-packages/lib.py",
    "<frozen runpy>", "/usr/lib/python3.12/re/_parser.py", "/other/tool.py", "",
};

struct stack {
    uint32_t thread;
    int depth;
    struct frame_key f[MAXD];            /* root first */
    uint64_t w;
};

struct model {
    struct stack *s;
    size_t n, cap;
    uint32_t funcs[NFUNCS];
    int user[NFUNCS];
};

static void model_push(struct model *m, const struct stack *s)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 1024;
        m->s = realloc(m->s, m->cap * sizeof *m->s);
        if (!m->s)
            abort();
    }
    m->s[m->n++] = *s;
}

/* Feed n random stacks to the profile's table and the model. */
static void feed(struct profile *p, struct model *m, size_t n)
{
    profile_lock(p);
    struct table *t = profile_table(p);
    for (size_t i = 0; i < n; i++) {
        struct stack s = {.thread = rnd(NTHREADS), .depth = (int)rnd(MAXD + 1), .w = 1 + rnd(4)};
        struct frame_key leaf_first[MAXD];
        for (int d = 0; d < s.depth; d++) {
            s.f[d] = (struct frame_key){m->funcs[rnd(NFUNCS)], (int32_t)rnd(4) - (rnd(6) == 0)};
            leaf_first[s.depth - 1 - d] = s.f[d];
        }
        CHECK_EQ(table_add_stack(t, s.thread, leaf_first, s.depth, s.w), 0);
        model_push(m, &s);
    }
    profile_unlock(p);
}

/* The model's stacks lensed by hand into a plain table with the same
 * function ids and thread indices. */
static struct table *reference(const struct table *replica, const struct model *m)
{
    struct table *t = table_new();
    for (uint32_t i = 0; i < table_func_count(replica); i++)
        CHECK_EQ(table_intern_func_at(t, table_func_name(replica, i), table_func_file(replica, i),
                                      table_func_first_line(replica, i)), i);
    for (uint32_t i = 0; i < table_thread_count(replica); i++)
        CHECK_EQ(table_thread(t, table_thread_tid(replica, i), NULL), i);
    for (size_t i = 0; i < m->n; i++) {
        const struct stack *s = &m->s[i];
        struct frame_key kept[MAXD];
        int n = 0;
        for (int d = s->depth - 1; d >= 0; d--)          /* leaf first */
            for (int k = 0; k < NFUNCS; k++)
                if (m->funcs[k] == s->f[d].func && m->user[k]) {
                    kept[n++] = s->f[d];
                    break;
                }
        if (n == 0 && s->depth > 0)
            kept[n++] = (struct frame_key){PROFILE_FUNC_OUTSIDE, -1};
        CHECK_EQ(table_add_stack(t, s->thread, kept, n, s->w), 0);
    }
    return t;
}

static int collect(void *arg, uint32_t thread, const struct frame_key *frames, int depth, uint64_t count)
{
    FILE *f = arg;
    fprintf(f, "%u", thread);
    for (int i = 0; i < depth; i++)
        fprintf(f, ";%u:%d", frames[i].func, frames[i].line);
    fprintf(f, " %llu\n", (unsigned long long)count);
    return 0;
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_row(const void *pa, const void *pb)
{
    const struct flat_row *a = pa, *b = pb;
    if (a->func != b->func)
        return (a->func > b->func) - (a->func < b->func);
    return (a->line > b->line) - (a->line < b->line);
}

/* Every distinct stack (sorted: the two tables grew in different orders)
 * and every flat view, as text. */
static char *dump(const struct table *t)
{
    char *text = NULL, *buf = NULL;
    size_t tlen = 0, len = 0;
    FILE *f = open_memstream(&text, &tlen);
    CHECK_EQ(table_foreach_stack(t, collect, f), 0);
    fclose(f);
    char *lines[20000];
    size_t n = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && n < 20000; l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    qsort(lines, n, sizeof *lines, cmp_line);
    f = open_memstream(&buf, &len);
    fprintf(f, "%llu samples\n", (unsigned long long)table_samples(t));
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s\n", lines[i]);
    for (uint32_t i = 0; i <= table_thread_count(t); i++) {
        uint32_t th = i == table_thread_count(t) ? TABLE_NONE : i;
        fprintf(f, "thread %u: %llu\n", th, (unsigned long long)(th == TABLE_NONE ? 0 : table_thread_samples(t, th)));
        for (int by_line = 0; by_line <= 1; by_line++) {
            struct flat_view v;
            CHECK_EQ(table_flat(t, th, by_line, &v), 0);
            if (v.n)
                qsort(v.rows, v.n, sizeof *v.rows, cmp_row);
            for (size_t r = 0; r < v.n; r++)
                fprintf(f, "%d %u:%d:%d %llu %llu\n", by_line, v.rows[r].func, v.rows[r].line, v.rows[r].hot_line,
                        (unsigned long long)v.rows[r].own, (unsigned long long)v.rows[r].total);
            flat_view_free(&v);
        }
    }
    fclose(f);
    free(text);
    return buf;
}

static void check_lens(struct lens *l, const struct table *replica, const struct model *m, int round)
{
    const struct table *lt = lens_table(l);
    CHECK(lt != NULL);
    if (!lt)
        return;
    struct table *ref = reference(replica, m);
    char *a = dump(lt), *b = dump(ref);
    check(strcmp(a, b) == 0, "round %d: the lensed table differs from the stacks lensed by hand", round);
    CHECK_EQ(table_samples(lt), table_samples(replica));
    CHECK_EQ(table_func_count(lt), table_func_count(replica));
    for (uint32_t i = 0; i < table_func_count(replica); i++)     /* first lines carried */
        CHECK_EQ(table_func_first_line(lt, i), table_func_first_line(replica, i));
    free(a);
    free(b);
    table_free(ref);
}

static void test_lensed_table(void)
{
    struct usercode u;
    usercode_init(&u);
    CHECK_EQ(usercode_add_root(&u, "/proj", NULL, 1), 0);
    CHECK_EQ(usercode_set_cwd(&u, "/proj"), 0);
    CHECK_EQ(usercode_set_prefix(&u, "/usr"), 0);
    struct profile *p = profile_new();
    struct model m = {.s = NULL};
    profile_lock(p);
    for (int i = 0; i < NFUNCS; i++) {
        char name[16];
        snprintf(name, sizeof name, "fn%d", i);
        m.funcs[i] = table_intern_func_at(profile_table(p), name, files[i], i % 3 ? 7 * i : -1);
        m.user[i] = i < 4;                               /* by the list above */
        CHECK_EQ(usercode_is_user(&u, files[i]), m.user[i]);
    }
    for (uint64_t i = 0; i < NTHREADS; i++)
        table_thread(profile_table(p), 70 + i, "w");
    profile_unlock(p);
    struct table *replica = table_new(), *other = table_new();
    struct lens *l = lens_new(&u);
    CHECK_EQ(lens_update(l, other), ERR_USAGE);          /* not a profile's table */
    for (int round = 0; round < 24; round++) {
        feed(p, &m, round == 10 ? 2500 : rnd(150));
        if (round == 6) {                                /* a reset: everything again */
            profile_reset(p);
            m.n = 0;
        }
        if (round == 8)                                  /* a second reader: a whole copy next */
            CHECK_EQ(profile_sync(p, other, NULL), 0);
        CHECK_EQ(profile_sync(p, replica, NULL), 0);
        if (round == 13)
            continue;                                    /* a sync the lens missed */
        if (round == 17)
            lens_drop(l);                                /* off, then on again */
        CHECK_EQ(lens_update(l, replica), 0);
        if (round % 5 == 2)
            CHECK_EQ(lens_update(l, replica), 0);        /* twice: nothing new */
        check_lens(l, replica, &m, round);
    }
    for (int i = 0; i < NFUNCS; i++)
        CHECK_EQ(table_func_first_line(replica, m.funcs[i]), i % 3 ? 7 * i : -1);
    CHECK_EQ(table_func_first_line(replica, PROFILE_FUNC_OUTSIDE), -1);
    CHECK_EQ(table_func_first_line(lens_table(l), PROFILE_FUNC_OUTSIDE), -1);
    lens_free(l);
    table_free(replica);
    table_free(other);
    profile_free(p);
    free(m.s);
    usercode_free(&u);
}

/* Stacks that could not be read keep their own frame under the lens (they
 * are not "outside your code") and their counts, through a rebuild and
 * through following the replica's syncs. */
static void test_failed_kept(void)
{
    struct usercode u;
    usercode_init(&u);
    CHECK_EQ(usercode_add_root(&u, "/proj", NULL, 1), 0);
    struct profile *p = profile_new();
    profile_lock(p);
    struct table *t = profile_table(p);
    uint32_t app = table_intern_func(t, "main", "/proj/app.py");
    uint32_t lib = table_intern_func(t, "dumps", "/usr/lib/python3.12/json/__init__.py");
    uint32_t th = table_thread(t, 70, "MainThread");
    struct frame_key st[2] = {{lib, 3}, {app, 9}};           /* leaf first */
    CHECK_EQ(table_add_stack(t, th, st, 2, 5), 0);
    CHECK_EQ(table_add_failed(t, th, WALK_FAIL_TORN), 0);
    CHECK_EQ(table_add_failed(t, th, WALK_FAIL_READ), 0);
    profile_unlock(p);
    struct table *replica = table_new();
    struct lens *l = lens_new(&u);
    for (int round = 0; round < 3; round++) {
        CHECK_EQ(profile_sync(p, replica, NULL), 0);
        CHECK_EQ(lens_update(l, replica), 0);
        const struct table *lt = lens_table(l);
        uint32_t bad = TABLE_NONE;
        for (uint32_t f = 0; f < table_func_count(lt); f++)
            if (strcmp(table_func_name(lt, f), TABLE_UNREADABLE) == 0)
                bad = f;
        struct flat_view v;
        CHECK_EQ(table_flat(lt, th, 0, &v), 0);
        uint64_t unreadable = 0, outside = 0;
        for (size_t i = 0; i < v.n; i++) {
            unreadable += v.rows[i].func == bad ? v.rows[i].own : 0;
            outside += v.rows[i].func == PROFILE_FUNC_OUTSIDE ? v.rows[i].own : 0;
        }
        flat_view_free(&v);
        CHECK_EQ(unreadable, 2 + (uint64_t)round);
        CHECK_EQ(outside, 0);
        CHECK_EQ(table_thread_failed(lt, th, WALK_OK), 2 + (uint64_t)round);
        CHECK_EQ(table_thread_failed(lt, th, WALK_FAIL_READ), 1);
        CHECK_EQ(table_thread_samples(lt, th), 7 + (uint64_t)round);
        profile_lock(p);                                     /* one more for the next round */
        CHECK_EQ(table_add_failed(profile_table(p), th, WALK_FAIL_TORN), 0);
        profile_unlock(p);
    }
    lens_free(l);
    table_free(replica);
    profile_free(p);
    usercode_free(&u);
}

int main(void)
{
    test_normalize();
    test_is_user();
    test_script();
    test_lensed_table();
    test_failed_kept();
    return check_report("lens");
}
