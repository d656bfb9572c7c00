/* SPDX-License-Identifier: MIT */
/* Address-keyed cache of code objects' names, files and line tables. */
#include "codecache.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "linetable.h"
#include "opcodes.h"
#include "pyobj.h"
#include "pystr.h"
#include "pytarget.h"
#include "reader.h"

#define SLOTS 8192              /* power of two */
#define PROBE 16
#define LINETABLE_MAX (1u << 20)
#define BYTECODE_MAX (1u << 20)  /* bytes of bytecode scanned for calls; larger: unknown */
#define HEADER_MAX 512
_Static_assert(BYTECODE_MAX <= LINETABLE_MAX, "bytecode is read into the line-table scratch");
/* <= 3.10: PyCodeObject.co_code (a bytes object), after seven ints from
 * co_argcount to co_firstlineno (Include/cpython/code.h 3.8-3.10); taken
 * only when the layout has co_firstlineno where that struct does. */
#define OLD_CO_CODE 48
#define OLD_FIRSTLINENO 40

struct codecache {
    struct code_entry slots[SLOTS];
    uint8_t *scratch;           /* LINETABLE_MAX (= BYTECODE_MAX) bytes for reading line
                                 * tables and bytecode */
    uint64_t hits, loads;
    uint32_t round;             /* current round; entries used in it are never evicted */
};

struct codecache *codecache_new(void)
{
    struct codecache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->scratch = malloc(LINETABLE_MAX);
    if (!c->scratch) {
        free(c);
        return NULL;
    }
    return c;
}

static void entry_clear(struct code_entry *e)
{
    free(e->name);
    free(e->file);
    free(e->linetable);
    free(e->calls);
    memset(e, 0, sizeof *e);
}

void codecache_free(struct codecache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < SLOTS; i++)
        entry_clear(&c->slots[i]);
    free(c->scratch);
    free(c);
}

static size_t field_end(int32_t off, size_t width, size_t cur)
{
    return off >= 0 && (size_t)off + width > cur ? (size_t)off + width : cur;
}

size_t codecache_header_size(const struct pytarget *t)
{
    const struct py_layout *l = &t->layout;
    size_t n = field_end(l->ob_type, 8, 0);
    n = field_end(l->code_filename, 8, n);
    n = field_end(l->code_name, 8, n);
    n = field_end(l->code_qualname, 8, n);
    n = field_end(l->code_linetable, 8, n);
    n = field_end(l->code_firstlineno, 4, n);
    n = field_end(l->var_ob_size, 8, n);
    n = field_end(l->code_flags, 4, n);
    n = field_end(l->code_framesize, 4, n);
    if (l->code_code_adaptive < 0 && l->code_firstlineno == OLD_FIRSTLINENO)
        n = field_end(OLD_CO_CODE, 8, n);
    return n;
}

static uint64_t get_ptr(const uint8_t *h, int32_t off)
{
    uint64_t v = 0;
    if (off >= 0)
        memcpy(&v, h + off, sizeof v);
    return v;
}

/* The identity of a code object as read from its header. */
static void identity(const struct py_layout *l, const uint8_t *h, uint64_t id[4], int32_t *first)
{
    id[0] = get_ptr(h, l->code_filename);
    id[1] = get_ptr(h, l->code_name);
    id[2] = get_ptr(h, l->code_qualname);
    id[3] = get_ptr(h, l->code_linetable);
    memcpy(first, h + l->code_firstlineno, sizeof *first);
}

static int load_strings(struct pytarget *t, struct code_entry *e)
{
    char buf[PYSTR_MAX];
    uint64_t name_addr = e->id_fields[2] ? e->id_fields[2] : e->id_fields[1];
    int rc = pystr_read(t->r, &t->layout, name_addr, buf, sizeof buf);
    if (rc < 0)
        return rc;
    e->name = strdup(buf);
    rc = pystr_read(t->r, &t->layout, e->id_fields[0], buf, sizeof buf);
    if (rc < 0)
        return rc;
    e->file = strdup(buf);
    return e->name && e->file ? 0 : ERR_NOMEM;
}

/* The strings at the entry's addresses still say what we copied. pymalloc
 * hands freed blocks out again last-in first-out, so a code object compiled
 * right after another one died can sit at the same address with its name
 * and file at the old strings' addresses: the header check cannot see that,
 * but the copy of a name taken before the switch and a file taken after it
 * would mix two functions. Reading both again catches a switch during load. */
static int strings_unchanged(struct pytarget *t, const struct code_entry *e)
{
    char buf[PYSTR_MAX];
    uint64_t name_addr = e->id_fields[2] ? e->id_fields[2] : e->id_fields[1];
    if (pystr_read(t->r, &t->layout, name_addr, buf, sizeof buf) < 0 || strcmp(buf, e->name) != 0)
        return ERR_CORRUPT;
    if (pystr_read(t->r, &t->layout, e->id_fields[0], buf, sizeof buf) < 0 || strcmp(buf, e->file) != 0)
        return ERR_CORRUPT;
    return 0;
}

/* The bytecode of the code object at e->addr (3.11+: its inline
 * co_code_adaptive, Py_SIZE code units; <= 3.10: the co_code bytes
 * object), scanned once for call instructions into e->calls. Best effort:
 * bytecode that cannot be read, is larger than BYTECODE_MAX or has no
 * opcode table leaves every offset unknown; only ERR_NOMEM fails. A read
 * torn by the interpreter quickening or instrumenting the code meanwhile
 * still sees each unit old or new, both of the same family (see
 * code_entry.calls); a code object freed meanwhile fails unchanged(). */
static int load_calls(struct codecache *c, struct pytarget *t, struct code_entry *e,
                      const uint8_t *header, const struct code_facts *f)
{
    const struct py_layout *l = &t->layout;
    const uint8_t *tab = opcodes_table(l->major, l->minor);
    size_t len = 0;
    if (!tab)
        return 0;
    if (l->code_code_adaptive >= 0) {
        len = 2 * (size_t)f->ncodeunits;
        if (!len || len > BYTECODE_MAX ||
            reader_read(t->r, e->addr + (uint64_t)l->code_code_adaptive, len, c->scratch) < 0)
            return 0;
    } else if (l->code_firstlineno == OLD_FIRSTLINENO) {
        int rc = pybytes_read(t->r, l, get_ptr(header, OLD_CO_CODE), c->scratch, BYTECODE_MAX);
        if (rc <= 0)
            return 0;
        len = (size_t)rc;
    } else {
        return 0;
    }
    size_t units = len / 2;
    e->calls = calloc((units + 7) / 8, 1);
    if (!e->calls)
        return ERR_NOMEM;
    e->calls_known = (uint32_t)opcodes_scan_calls(tab, l->minor <= 10, c->scratch, units, e->calls);
    return 0;
}

/* The strings and the line table, each refused when it reads as freed
 * (pystr_read, pybytes_read). That is what catches a header whose fields
 * are stale: a code object freed and its block handed out again (to a
 * code object not yet filled in, whose type and refcount are already
 * written) still names the dead object's strings and line table, and
 * those blocks are free or taken by other objects by then. Seen on 3.14
 * under load: a dead function's name (an immortal interned str) with a
 * file name block reused by the next generation's name and a freed line
 * table; the two later reads of header and strings agreed, as the target
 * was not running meanwhile. A line table block reused by another live
 * object passes that test; on 3.11+ such a table almost never spans the
 * code object's size (codecache_get checks). */
static int load(struct codecache *c, struct pytarget *t, struct code_entry *e)
{
    int rc = load_strings(t, e);
    if (rc < 0)
        return rc;
    rc = pybytes_read(t->r, &t->layout, e->id_fields[3], c->scratch, LINETABLE_MAX);
    if (rc < 0)
        return rc;
    e->linetable = malloc(rc ? (size_t)rc : 1);
    if (!e->linetable)
        return ERR_NOMEM;
    memcpy(e->linetable, c->scratch, (size_t)rc);
    e->linetable_len = (uint32_t)rc;
    for (int i = 0; i < CODECACHE_MEMO; i++)
        e->memo_addr[i] = INT32_MIN;
    e->user = UINT32_MAX;
    return 0;
}

void codecache_new_round(struct codecache *c)
{
    if (++c->round == 0) {      /* wrapped: no entry counts as used now */
        for (size_t i = 0; i < SLOTS; i++)
            c->slots[i].used_round = 0;
        c->round = 1;
    }
}

/* The slot for addr: its entry, a free slot, or the least recently used
 * entry among the probed ones that this round has not used; NULL when
 * all of them are in use by this round. */
static struct code_entry *find_slot(struct codecache *c, uint64_t addr)
{
    size_t home = (size_t)((addr >> 4) * 0x9E3779B97F4A7C15ULL >> 51) & (SLOTS - 1);
    struct code_entry *victim = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        struct code_entry *e = &c->slots[(home + i) & (SLOTS - 1)];
        if (e->addr == addr || e->addr == 0)
            return e;
        if (e->used_round != c->round && (!victim || e->used_round < victim->used_round))
            victim = e;
    }
    return victim;
}

/* A freed code object keeps its old name and file pointers while those
 * strings are freed and reused (pyobj_freed). */
static int freed(const uint8_t *h, uint64_t addr)
{
    return pyobj_freed(get_ptr(h, 0), addr);
}

static int plausible(const struct pytarget *t, uint64_t addr, const uint8_t *h, const uint64_t id[4])
{
    uint64_t type = get_ptr(h, t->layout.ob_type);
    if ((t->code_type && type != t->code_type) || freed(h, addr))
        return 0;
    return reader_addr_ok(id[0], 8) && reader_addr_ok(id[1], 8) && reader_addr_ok(id[3], 8) &&
           (t->layout.code_qualname < 0 || reader_addr_ok(id[2], 8));
}

static int32_t get_i32(const uint8_t *h, int32_t off)
{
    int32_t v = 0;
    if (off > 0)
        memcpy(&v, h + off, sizeof v);
    return v;
}

int codecache_facts(const struct pytarget *t, uint64_t addr, const uint8_t *header,
                    struct code_facts *out)
{
    const struct py_layout *l = &t->layout;
    uint64_t id[4];
    int32_t first;
    identity(l, header, id, &first);
    if (!plausible(t, addr, header, id))
        return ERR_CORRUPT;
    int64_t units = l->code_code_adaptive >= 0 ? (int64_t)get_ptr(header, l->var_ob_size) : 0;
    int32_t framesize = get_i32(header, l->code_framesize);
    if (units < 0 || units > (1 << 26) || framesize < 0 || framesize > (1 << 20))
        return ERR_CORRUPT;
    *out = (struct code_facts){.ncodeunits = (int32_t)units, .framesize = framesize,
                               .flags = get_i32(header, l->code_flags)};
    return 0;
}

/* The code object at addr still has the identity its entry was loaded
 * with. The target runs while we copy the strings: a code object freed and
 * replaced in the meantime would leave an entry that mixes two functions'
 * names, files and lines, cached for as long as the new object lives. */
static int unchanged(struct pytarget *t, uint64_t addr, const struct code_entry *e)
{
    uint8_t buf[HEADER_MAX];
    uint64_t id[4];
    int32_t first;
    int rc = reader_read(t->r, addr, codecache_header_size(t), buf);
    if (rc < 0)
        return rc;
    identity(&t->layout, buf, id, &first);
    if (freed(buf, addr))
        return ERR_CORRUPT;
    return first == e->firstlineno && memcmp(id, e->id_fields, sizeof id) == 0 ? 0 : ERR_CORRUPT;
}

int codecache_get(struct codecache *c, struct pytarget *t, uint64_t addr,
                  const uint8_t *header, size_t hdr_len, struct code_entry **out)
{
    uint8_t buf[HEADER_MAX];
    size_t need = codecache_header_size(t);
    if (need > sizeof buf)
        return ERR_CORRUPT;     /* a layout from _Py_DebugOffsets may ask for more */
    if (!header || hdr_len < need) {
        int rc = reader_read(t->r, addr, need, buf);
        if (rc < 0)
            return rc;
        header = buf;
    }
    uint64_t id[4];
    int32_t first;
    struct code_facts facts;
    identity(&t->layout, header, id, &first);
    if (codecache_facts(t, addr, header, &facts) < 0)
        return ERR_CORRUPT;
    struct code_entry *e = find_slot(c, addr);
    if (!e)
        return ERR_NOMEM;
    if (e->addr == addr && e->firstlineno == first && memcmp(e->id_fields, id, sizeof id) == 0) {
        e->facts = facts;
        c->hits++;
        e->used_round = c->round;
        *out = e;
        return 0;
    }
    entry_clear(e);
    e->addr = addr;
    memcpy(e->id_fields, id, sizeof id);
    e->firstlineno = first;
    int rc = load(c, t, e);
    if (rc == 0 && facts.ncodeunits > 0 && !codecache_is_shim(e) &&
        linetable_span(t->layout.linetable, e->linetable, e->linetable_len) != 2 * (long)facts.ncodeunits)
        rc = ERR_CORRUPT;      /* a stale co_linetable: see load(); shims' tables are hand-made */
    if (rc == 0)
        rc = load_calls(c, t, e, header, &facts);
    if (rc == 0)
        rc = unchanged(t, addr, e);
    if (rc == 0)
        rc = strings_unchanged(t, e);
    if (rc < 0) {
        entry_clear(e);
        return rc == ERR_NOMEM ? rc : ERR_CORRUPT;
    }
    e->facts = facts;
    e->used_round = c->round;
    c->loads++;
    *out = e;
    return 0;
}

int codecache_is_shim(const struct code_entry *e)
{
    return e->id_fields[0] == e->id_fields[1] || strcmp(e->file, "<shim>") == 0;
}

/* The slot of the entry cached for addr (never a free one), or -1. */
static long cached(const struct codecache *c, uint64_t addr)
{
    size_t home = (size_t)((addr >> 4) * 0x9E3779B97F4A7C15ULL >> 51) & (SLOTS - 1);
    for (size_t i = 0; addr && i < PROBE; i++)
        if (c->slots[(home + i) & (SLOTS - 1)].addr == addr)
            return (long)((home + i) & (SLOTS - 1));
    return -1;
}

const struct code_entry *codecache_peek(const struct codecache *c, uint64_t addr)
{
    long i = cached(c, addr);
    return i >= 0 ? &c->slots[i] : NULL;
}

struct code_entry *codecache_keep(struct codecache *c, uint64_t addr)
{
    long i = cached(c, addr);
    if (i < 0)
        return NULL;
    c->slots[i].used_round = c->round;
    c->hits++;
    return &c->slots[i];
}

int codecache_line(const struct pytarget *t, struct code_entry *e, int addr)
{
    /* A recursive function sits at a few call sites at once, and a busy
     * leaf cycles through a few lines: remember several. */
    for (int i = 0; i < CODECACHE_MEMO; i++)
        if (e->memo_addr[i] == addr)
            return e->memo_line[i];
    int line = linetable_line(t->layout.linetable, e->linetable, e->linetable_len, e->firstlineno, addr);
    uint32_t slot = e->memo_next++ % CODECACHE_MEMO;
    e->memo_addr[slot] = addr;
    e->memo_line[slot] = line;
    return line;
}

int codecache_in_call(const struct code_entry *e, int pos)
{
    if (pos < 0)
        return 0;
    if (pos & 1 || (uint32_t)pos / 2 >= e->calls_known)
        return -1;
    return e->calls[pos / 2 / 8] >> (pos / 2 % 8) & 1;
}

void codecache_stats(const struct codecache *c, uint64_t *hits, uint64_t *loads)
{
    *hits = c->hits;
    *loads = c->loads;
}
