/* SPDX-License-Identifier: MIT */
/* Tests linetable.c against every offset of real code objects from each
 * interpreter (fixtures from tools/gen_linetable_fixtures.py), against
 * encoders that follow CPython's compilers, hand-written edge cases and
 * random garbage. Usage: test_linetable FIXTURE_DIR */
#include "check.h"
#include "linetable.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYNTH_BUF 16384        /* bytes of one synthetic table */
#define SYNTH_UNITS 32768      /* code units of one synthetic code object */
#define SYNTH_ENTRIES 8192

/* Fixed-seed xorshift64*, so every run sees the same "random" tables. */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint32_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Du) >> 32);
}

static int rng_below(int n)
{
    return (int)(rng() % (uint32_t)n);
}

/* Copies a table into a buffer of exactly its size, so that ASan flags any
 * read past the end. NULL for an empty table. */
static uint8_t *exact_copy(const uint8_t *src, size_t len)
{
    uint8_t *p;

    if (len == 0)
        return NULL;
    p = malloc(len);
    if (p == NULL) {
        perror("malloc");
        exit(2);
    }
    memcpy(p, src, len);
    return p;
}

/* ---- fixtures written by real interpreters ---- */

static const char *format_name(enum py_linetable_format fmt)
{
    return fmt == LINETABLE_LNOTAB ? "lnotab" : fmt == LINETABLE_PEP626 ? "pep626" : "locations";
}

static int format_for_version(const char *version, enum py_linetable_format *fmt)
{
    int major, minor;

    if (sscanf(version, "%d.%d", &major, &minor) != 2 || major != 3 || minor < 8)
        return -1;
    *fmt = minor <= 9 ? LINETABLE_LNOTAB : minor == 10 ? LINETABLE_PEP626 : LINETABLE_LOCATIONS;
    return 0;
}

static int parse_int(const char *s, long *out)
{
    char *end;

    if (s == NULL)
        return -1;
    *out = strtol(s, &end, 10);
    return end != s && *end == '\0' ? 0 : -1;
}

static int hex_decode(const char *hex, uint8_t **out, size_t *len)
{
    size_t n = strlen(hex);

    *out = NULL;
    *len = 0;
    if (strcmp(hex, "-") == 0)
        return 0;
    if (n % 2 != 0 || (*out = malloc(n / 2)) == NULL)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned int b;
        if (sscanf(hex + 2 * i, "%2x", &b) != 1)
            return -1;
        (*out)[i] = (uint8_t)b;
    }
    *len = n / 2;
    return 0;
}

struct record {
    const char *name;
    long first, codelen, past;
    uint8_t *table;
    size_t len;
};

/* Checks the run-length encoded expected lines (LINE or LINE*COUNT) against
 * the decoder, offset by offset. Returns the offsets checked, -1 if malformed. */
static long check_record_lines(const struct record *r, enum py_linetable_format fmt,
                               char **save)
{
    long off = 0;
    char *tok;

    while ((tok = strtok_r(NULL, " \n", save)) != NULL) {
        char *star = strchr(tok, '*');
        long line, count = 1;

        if (star != NULL) {
            *star = '\0';
            if (parse_int(star + 1, &count) < 0 || count < 1)
                return -1;
        }
        if (parse_int(tok, &line) < 0)
            return -1;
        for (long k = 0; k < count; k++, off += 2) {
            int got = linetable_line(fmt, r->table, r->len, (int)r->first, (int)off);
            check(got == line, "%s: offset %ld: line %d, interpreter says %ld",
                  r->name, off, got, line);
        }
    }
    return off == r->codelen ? off / 2 : -1;
}

/* One "code NAME FIRST CODELEN PAST HEX LINES..." record. */
static long check_record(char *text, enum py_linetable_format fmt)
{
    struct record r = { 0 };
    char *save = NULL, *hex;
    long offsets = -1;

    r.name = strtok_r(text, " \n", &save);
    if (r.name == NULL || parse_int(strtok_r(NULL, " \n", &save), &r.first) < 0 ||
        parse_int(strtok_r(NULL, " \n", &save), &r.codelen) < 0 ||
        parse_int(strtok_r(NULL, " \n", &save), &r.past) < 0 ||
        r.first < 0 || r.first > INT_MAX || r.codelen < 0 || r.codelen % 2 != 0 ||
        r.codelen > INT_MAX)
        return -1;
    hex = strtok_r(NULL, " \n", &save);
    if (hex == NULL || hex_decode(hex, &r.table, &r.len) < 0)
        goto cleanup;
    offsets = check_record_lines(&r, fmt, &save);
    if (fmt != LINETABLE_LNOTAB)
        check(linetable_span(fmt, r.table, r.len) == r.codelen,
              "%s: the table spans %ld bytes of %ld", r.name,
              linetable_span(fmt, r.table, r.len), r.codelen);
    check(linetable_line(fmt, r.table, r.len, (int)r.first, -2) == r.first,
          "%s: negative offset is not firstlineno", r.name);
    check(linetable_line(fmt, r.table, r.len, (int)r.first, (int)r.codelen) == r.past,
          "%s: offset past the end is not %ld", r.name, r.past);
    check(linetable_line(fmt, r.table, r.len, (int)r.first, INT_MAX) == r.past,
          "%s: offset INT_MAX is not %ld", r.name, r.past);
cleanup:
    free(r.table);
    return offsets;
}

/* Checks one fixture file; adds its code objects to *objects. */
static int check_fixture_file(const char *path, long *objects,
                              enum py_linetable_format *fmt_seen)
{
    FILE *f = fopen(path, "r");
    char *text = NULL, version[32] = "";
    size_t cap = 0;
    long n_objects = 0, n_offsets = 0;
    enum py_linetable_format fmt = LINETABLE_LNOTAB;
    int ret = -1;

    if (f == NULL) {
        perror(path);
        return -1;
    }
    while (getline(&text, &cap, f) > 0) {
        long offsets;

        if (strncmp(text, "python ", 7) == 0) {
            if (sscanf(text + 7, "%31s", version) != 1 || format_for_version(version, &fmt) < 0)
                goto cleanup;
        } else if (strncmp(text, "code ", 5) == 0) {
            if (version[0] == '\0' || (offsets = check_record(text + 5, fmt)) < 0)
                goto cleanup;
            n_objects++;
            n_offsets += offsets;
        } else if (text[0] != '#' && text[0] != '\n') {
            goto cleanup;
        }
    }
    if (n_objects > 0) {
        printf("linetable: %s (%s): %ld code objects, %ld offsets checked\n",
               version, format_name(fmt), n_objects, n_offsets);
        *objects += n_objects;
        *fmt_seen = fmt;
        ret = 0;
    }
cleanup:
    if (ret < 0)
        printf("FAIL: %s: malformed fixture or no code objects\n", path);
    free(text);
    fclose(f);
    return ret;
}

static int is_fixture(const struct dirent *d)
{
    size_t n = strlen(d->d_name);

    return n > 4 && strcmp(d->d_name + n - 4, ".txt") == 0;
}

/* Every fixture in dir must pass, and together they must cover all formats. */
static void check_fixture_dir(const char *dir)
{
    struct dirent **list = NULL;
    int n = scandir(dir, &list, is_fixture, versionsort);
    int covered[4] = { 0 };
    long objects = 0;

    check(n > 0, "no fixtures (*.txt) in %s", dir);
    for (int i = 0; i < n; i++) {
        char path[4096];
        enum py_linetable_format fmt;

        snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
        if (check_fixture_file(path, &objects, &fmt) == 0)
            covered[fmt] = 1;
        else
            check_failed++;
        free(list[i]);
    }
    free(list);
    check(covered[LINETABLE_LNOTAB] && covered[LINETABLE_PEP626] &&
          covered[LINETABLE_LOCATIONS], "fixtures do not cover all three formats");
}

/* ---- synthetic tables from encoders that follow CPython's compilers ---- */

struct synth {
    uint8_t buf[SYNTH_BUF];
    size_t len;
    int first;
    int expect[SYNTH_UNITS];           /* line of each code unit, -1 for none */
    int units;
    size_t entry_bytes[SYNTH_ENTRIES]; /* table length once entry k is written */
    int entry_addr[SYNTH_ENTRIES];     /* byte address where entry k ends */
    int entries;
};

static void emit(struct synth *s, unsigned int byte)
{
    if (s->len >= SYNTH_BUF) {
        fputs("synthetic table overflow\n", stderr);
        exit(2);
    }
    s->buf[s->len++] = (uint8_t)byte;
}

static void end_entry(struct synth *s, int addr)
{
    if (s->entries < SYNTH_ENTRIES) {
        s->entry_bytes[s->entries] = s->len;
        s->entry_addr[s->entries++] = addr;
    }
}

static void emit_varint(struct synth *s, uint64_t v)
{
    for (; v >= 64; v >>= 6)
        emit(s, 64 | (v & 63));
    emit(s, (unsigned int)v);
}

static void emit_svarint(struct synth *s, int64_t v)
{
    emit_varint(s, v < 0 ? ((uint64_t)(-v) << 1) | 1 : (uint64_t)v << 1);
}

/* 3.8 compile.c assemble_lnotab: address steps > 255 become (255, 0) pairs
 * first; line steps beyond a signed byte are split after that. */
static void lnotab_pair(struct synth *s, int daddr, int dline)
{
    for (; daddr > 255; daddr -= 255) {
        emit(s, 255);
        emit(s, 0);
    }
    for (; dline > 127; dline -= 127, daddr = 0) {
        emit(s, (unsigned int)daddr);
        emit(s, 127);
    }
    for (; dline < -128; dline += 128, daddr = 0) {
        emit(s, (unsigned int)daddr);
        emit(s, 0x80);
    }
    emit(s, (unsigned int)daddr);
    emit(s, (unsigned int)dline & 0xff);
}

/* 3.10 compile.c assemble_line_range: line steps beyond +-127 become (0,
 * +-127) pairs, then lengths > 254 become (254, delta) pairs. */
static void pep626_range(struct synth *s, int bytes, int line, int *prev, int addr_end)
{
    int dline = -128;

    if (line >= 0) {
        dline = line - *prev;
        *prev = line;
        for (; dline > 127; dline -= 127) {
            emit(s, 0);
            emit(s, 127);
            end_entry(s, addr_end - bytes);
        }
        for (; dline < -127; dline += 127) {
            emit(s, 0);
            emit(s, 0x81);
            end_entry(s, addr_end - bytes);
        }
    }
    for (; bytes > 254; bytes -= 254) {
        emit(s, 254);
        emit(s, (unsigned int)dline & 0xff);
        end_entry(s, addr_end - bytes + 254);
        dline = line < 0 ? -128 : 0;
    }
    emit(s, (unsigned int)bytes);
    emit(s, (unsigned int)dline & 0xff);
    end_entry(s, addr_end);
}

/* One 3.11+ location entry of 1..8 code units, in a random form valid for
 * the line delta (compile.c write_location_info_entry's choices). */
static void location_entry(struct synth *s, int units, int line, int64_t dline)
{
    int form = rng_below(4);

    if (line < 0) {
        emit(s, 0x80 | 15 << 3 | (unsigned int)(units - 1));
    } else if (form == 0 && dline >= 0 && dline <= 2) {
        emit(s, 0x80 | (unsigned int)(10 + dline) << 3 | (unsigned int)(units - 1));
        emit(s, (unsigned int)rng_below(128));
        emit(s, (unsigned int)rng_below(128));
    } else if (form == 1 && dline == 0) {
        emit(s, 0x80 | (unsigned int)rng_below(10) << 3 | (unsigned int)(units - 1));
        emit(s, (unsigned int)rng_below(128));
    } else if (form == 2) {
        emit(s, 0x80 | 13 << 3 | (unsigned int)(units - 1));
        emit_svarint(s, dline);
    } else {
        emit(s, 0x80 | 14 << 3 | (unsigned int)(units - 1));
        emit_svarint(s, dline);
        emit_varint(s, (uint64_t)rng_below(4));
        emit_varint(s, (uint64_t)rng_below(100000));
        emit_varint(s, (uint64_t)rng_below(100000));
    }
}

static int next_line(int prev, int giant)
{
    int64_t line = prev;

    switch (rng_below(8)) {
    case 0: case 1: break;
    case 2: case 3: line += rng_below(7) - 3; break;
    case 4: line += rng_below(600) - 300; break;
    case 5: line += rng_below(10000) - 5000; break;
    case 6: line = giant ? (int64_t)(rng() & INT_MAX) : line + rng_below(200) - 100; break;
    default: line += rng_below(64); break;
    }
    return line < 0 ? 0 : line > INT_MAX ? INT_MAX : (int)line;
}

/* Builds a random code object's table in format fmt, with the expected line
 * of every code unit. */
static void synth_build(struct synth *s, enum py_linetable_format fmt)
{
    int giant = fmt == LINETABLE_LOCATIONS;
    int spans = 1 + rng_below(40), prev, line, last_start = 0;

    s->len = 0;
    s->units = 0;
    s->entries = 0;
    s->first = rng_below(8) == 0 && giant ? (int)(rng() & INT_MAX) : rng_below(1000);
    prev = line = s->first;
    for (int k = 0; k < spans; k++) {
        int units = rng_below(4) == 0 ? 1 + rng_below(giant ? 20 : 600) : 1 + rng_below(4);
        int start = s->units;

        line = next_line(line < 0 ? prev : line, giant);
        if (fmt != LINETABLE_LNOTAB && rng_below(8) == 0)
            line = -1;
        for (int u = 0; u < units; u++)
            s->expect[s->units++] = line;
        if (fmt == LINETABLE_LNOTAB) {
            lnotab_pair(s, 2 * (start - last_start), line - prev);
            last_start = start;
            prev = line;
        } else if (fmt == LINETABLE_PEP626) {
            pep626_range(s, 2 * units, line, &prev, 2 * s->units);
        } else {
            for (int done = 0; done < units; ) {
                int n = units - done < 8 ? units - done : 1 + rng_below(8);
                int64_t dline = done == 0 && line >= 0 ? (int64_t)line - prev : 0;

                location_entry(s, n, line, dline);
                done += n;
                end_entry(s, 2 * (start + done));
            }
            if (line >= 0)
                prev = line;
        }
    }
}

/* A table cut short at `cut` bytes must still answer exactly for every
 * offset covered by entries wholly inside the cut, and -1 or the right line
 * (never anything else) for the rest. */
static void synth_check_truncated(const struct synth *s, enum py_linetable_format fmt, size_t cut)
{
    uint8_t *t = exact_copy(s->buf, cut);
    int exact_below = 0;

    for (int k = 0; k < s->entries && s->entry_bytes[k] <= cut; k++)
        exact_below = s->entry_addr[k];
    if (fmt == LINETABLE_PEP626 && cut % 2 != 0)
        exact_below = 0;           /* a torn pair condemns the whole table */
    for (int u = 0; u < s->units; u++) {
        int got = linetable_line(fmt, t, cut, s->first, 2 * u);
        int want = s->expect[u];

        if (2 * u < exact_below)
            check(got == want, "%s cut at %zu: offset %d: %d, want %d",
                  format_name(fmt), cut, 2 * u, got, want);
        else
            check(got == want || got == -1, "%s cut at %zu: offset %d: %d, want %d or -1",
                  format_name(fmt), cut, 2 * u, got, want);
    }
    free(t);
}

static long synth_check(const struct synth *s, enum py_linetable_format fmt)
{
    uint8_t *t = exact_copy(s->buf, s->len);
    int past = fmt == LINETABLE_LNOTAB ? s->expect[s->units - 1] : -1;

    for (int u = 0; u < s->units; u++) {
        int got = linetable_line(fmt, t, s->len, s->first, 2 * u);
        check(got == s->expect[u], "synthetic %s: offset %d: %d, want %d",
              format_name(fmt), 2 * u, got, s->expect[u]);
    }
    check(linetable_line(fmt, t, s->len, s->first, 2 * s->units) == past,
          "synthetic %s: past the end", format_name(fmt));
    check(linetable_line(fmt, t, s->len, s->first, INT_MAX) == past,
          "synthetic %s: INT_MAX", format_name(fmt));
    check(linetable_line(fmt, t, s->len, s->first, -1) == s->first,
          "synthetic %s: negative offset", format_name(fmt));
    check(linetable_span(fmt, t, s->len) == (fmt == LINETABLE_LNOTAB ? -1 : 2L * s->units),
          "synthetic %s: span %ld of %d units", format_name(fmt), linetable_span(fmt, t, s->len),
          s->units);
    free(t);
    if (fmt != LINETABLE_LNOTAB && s->len > 0)
        for (int i = 0; i < 4; i++)
            synth_check_truncated(s, fmt, (size_t)rng_below((int)s->len));
    return s->units;
}

static void check_synthetic(void)
{
    static struct synth s;
    static const enum py_linetable_format fmts[] = {
        LINETABLE_LNOTAB, LINETABLE_PEP626, LINETABLE_LOCATIONS,
    };

    for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
        long offsets = 0;
        int tables = 300;

        for (int i = 0; i < tables; i++) {
            synth_build(&s, fmts[f]);
            offsets += synth_check(&s, fmts[f]);
        }
        printf("linetable: synthetic %s: %d tables, %ld offsets checked\n",
               format_name(fmts[f]), tables, offsets);
    }
}

/* ---- hand-written edge cases, expected values worked out from the specs ---- */

struct hand_case {
    const char *what;
    enum py_linetable_format fmt;
    uint8_t table[16];
    size_t len;
    int first, addr, want;
};

static const struct hand_case hand_cases[] = {
    { "lnotab empty", LINETABLE_LNOTAB, { 0 }, 0, 10, 0, 10 },
    { "lnotab empty, far", LINETABLE_LNOTAB, { 0 }, 0, 10, 100, 10 },
    { "lnotab negative addr", LINETABLE_LNOTAB, { 6, 1 }, 2, 10, -2, 10 },
    { "lnotab before first step", LINETABLE_LNOTAB, { 6, 1, 8, 0xff }, 4, 10, 4, 10 },
    { "lnotab at first step", LINETABLE_LNOTAB, { 6, 1, 8, 0xff }, 4, 10, 6, 11 },
    { "lnotab signed step", LINETABLE_LNOTAB, { 6, 1, 8, 0xff }, 4, 10, 14, 10 },
    { "lnotab past end keeps last", LINETABLE_LNOTAB, { 6, 1, 8, 0xff }, 4, 10, 1000, 10 },
    { "lnotab -128 step", LINETABLE_LNOTAB, { 0, 0x80 }, 2, 200, 0, 72 },
    { "lnotab odd length", LINETABLE_LNOTAB, { 2 }, 1, 10, 0, -1 },
    { "lnotab overflow", LINETABLE_LNOTAB, { 0, 1 }, 2, INT_MAX, 0, -1 },
    { "lnotab negative line", LINETABLE_LNOTAB, { 0, 0xff }, 2, 0, 0, -1 },
    { "pep626 empty", LINETABLE_PEP626, { 0 }, 0, 10, 0, -1 },
    { "pep626 negative addr", LINETABLE_PEP626, { 0 }, 0, 10, -2, 10 },
    { "pep626 first range", LINETABLE_PEP626, { 4, 1, 2, 0x80, 4, 2 }, 6, 10, 2, 11 },
    { "pep626 no line", LINETABLE_PEP626, { 4, 1, 2, 0x80, 4, 2 }, 6, 10, 4, -1 },
    { "pep626 after no line", LINETABLE_PEP626, { 4, 1, 2, 0x80, 4, 2 }, 6, 10, 6, 13 },
    { "pep626 past end", LINETABLE_PEP626, { 4, 1, 2, 0x80, 4, 2 }, 6, 10, 10, -1 },
    { "pep626 split pairs", LINETABLE_PEP626, { 0, 127, 254, 127, 4, 0 }, 6, 1, 256, 255 },
    { "pep626 odd length", LINETABLE_PEP626, { 4, 1, 2 }, 3, 10, 0, -1 },
    { "loc empty", LINETABLE_LOCATIONS, { 0 }, 0, 10, 0, -1 },
    { "loc negative addr", LINETABLE_LOCATIONS, { 0 }, 0, 10, -2, 10 },
    { "loc no header bit", LINETABLE_LOCATIONS, { 0x01 }, 1, 10, 0, -1 },
    { "loc short form length", LINETABLE_LOCATIONS, { 0x83, 0x12 }, 2, 7, 6, 7 },
    { "loc short form end", LINETABLE_LOCATIONS, { 0x83, 0x12 }, 2, 7, 8, -1 },
    { "loc no location", LINETABLE_LOCATIONS, { 0xf8, 0xd8, 1, 2 }, 4, 5, 0, -1 },
    { "loc one-line +1 after none", LINETABLE_LOCATIONS, { 0xf8, 0xd8, 1, 2 }, 4, 5, 2, 6 },
    { "loc long form 2-chunk delta", LINETABLE_LOCATIONS, { 0xf0, 0x58, 0x09, 0, 5, 6 }, 6, 1, 0, 301 },
    { "loc no-column negative", LINETABLE_LOCATIONS, { 0xe8, 0x0b }, 2, 10, 0, 5 },
    { "loc line below zero", LINETABLE_LOCATIONS, { 0xe8, 0x0b }, 2, 3, 0, -1 },
    { "loc truncated svarint", LINETABLE_LOCATIONS, { 0xe8 }, 1, 3, 0, -1 },
    { "loc svarint runs off end", LINETABLE_LOCATIONS, { 0xe8, 0x41 }, 2, 3, 0, -1 },
    { "loc svarint into header", LINETABLE_LOCATIONS, { 0xe8, 0x41, 0x80 }, 3, 3, 0, -1 },
    { "loc 6-chunk svarint ok", LINETABLE_LOCATIONS, { 0xe8, 0x40, 0x40, 0x40, 0x40, 0x40, 0 },
      7, 3, 0, 3 },
    { "loc 7-chunk svarint", LINETABLE_LOCATIONS, { 0xe8, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0 },
      8, 3, 0, -1 },
    { "loc giant svarint", LINETABLE_LOCATIONS, { 0xe8, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x3f },
      7, 3, 0, -1 },
    { "loc up to INT_MAX", LINETABLE_LOCATIONS, { 0xd8, 1, 2, 0xe0, 1, 2 }, 6, INT_MAX - 1, 0,
      INT_MAX },
    { "loc over INT_MAX", LINETABLE_LOCATIONS, { 0xd8, 1, 2, 0xe0, 1, 2 }, 6, INT_MAX - 1, 2, -1 },
    { "loc INT_MAX addr", LINETABLE_LOCATIONS, { 0x87, 0x12 }, 2, 7, INT_MAX, -1 },
    { "unknown format", (enum py_linetable_format)0, { 6, 1 }, 2, 10, 0, -1 },
};

static void check_hand_cases(void)
{
    size_t n = sizeof(hand_cases) / sizeof(hand_cases[0]);

    for (size_t i = 0; i < n; i++) {
        const struct hand_case *c = &hand_cases[i];
        uint8_t *t = exact_copy(c->table, c->len);
        int got = linetable_line(c->fmt, t, c->len, c->first, c->addr);

        check(got == c->want, "%s: %d, want %d", c->what, got, c->want);
        free(t);
    }
    check(linetable_line(LINETABLE_LOCATIONS, NULL, 4, 1, 0) == -1, "NULL table with a length");
    printf("linetable: %zu hand-written cases\n", n + 1);
}

/* Random bytes must never crash or read out of bounds (ASan checks the
 * latter: each buffer is allocated at exactly its length), and every answer
 * must keep the contract: -1 or a line >= 0, firstlineno for addr < 0. */
static void check_garbage(void)
{
    static const enum py_linetable_format fmts[] = {
        LINETABLE_LNOTAB, LINETABLE_PEP626, LINETABLE_LOCATIONS,
    };
    uint8_t raw[1024];
    int buffers = 5000;

    for (int i = 0; i < buffers; i++) {
        size_t len = (size_t)(i % 10 == 0 ? rng_below(1024) : rng_below(48));
        int first = rng_below(4) == 0 ? (int)(rng() & INT_MAX) : rng_below(1000);
        int addrs[] = { 0, 2, rng_below(64), rng_below(4096), INT_MAX };
        uint8_t *t;

        for (size_t k = 0; k < len; k++)
            raw[k] = (uint8_t)(rng() | (i % 3 == 0 && k % 3 == 0 ? 0x80 : 0));
        t = exact_copy(raw, len);
        for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
            check(linetable_line(fmts[f], t, len, first, -2) == first,
                  "garbage %d: negative addr", i);
            for (size_t a = 0; a < sizeof(addrs) / sizeof(addrs[0]); a++) {
                int got = linetable_line(fmts[f], t, len, first, addrs[a]);
                check(got >= -1, "garbage %d: %s returned %d", i, format_name(fmts[f]), got);
            }
        }
        free(t);
    }
    printf("linetable: %d random buffers decoded without incident\n", buffers);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    check_fixture_dir(argv[1]);
    check_synthetic();
    check_hand_cases();
    check_garbage();
    if (check_failed > 0) {
        printf("linetable: %d failure(s)\n", check_failed);
        return 1;
    }
    return 0;
}
