/* SPDX-License-Identifier: MIT */
/* Address-keyed cache of code objects' names, files and line tables. */
#include "codecache.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"
#include "linetable.h"
#include "opcodes.h"
#include "pyobj.h"
#include "pystr.h"
#include "pytarget.h"
#include "reader.h"

/* Entries (about 160 bytes each) are made as code objects are met, in
 * chunks that never move (an entry handed out stays where it is), up to
 * ENTRIES_MAX; past that, the least recently used of the slots an address
 * may take is replaced. The index (an entry's number per slot) doubles
 * whenever a quarter of it is taken, so an address finds a slot among its
 * PROBE: a program that runs more code objects than a fixed table holds
 * would reload them all the time (10,000 functions in 8,192 slots: 2.5
 * loads per code object in 4 s at 10 kHz). */
#define ENTRIES_MAX 131072
#define CHUNK_BITS 10
#define CHUNKS (ENTRIES_MAX >> CHUNK_BITS)
#define INDEX_MIN_BITS 12
#define INDEX_MAX_BITS 19       /* ENTRIES_MAX at a quarter */
#define NONE UINT32_MAX
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
    uint32_t *index;            /* 2^bits slots: an entry's number, or NONE */
    unsigned bits;
    size_t taken;               /* slots that are not NONE */
    struct code_entry *chunks[CHUNKS];  /* entry n: chunks[n >> CHUNK_BITS][n & (CHUNK - 1)] */
    uint32_t nentries;          /* numbers handed out, [0, nentries) */
    uint32_t *spare;            /* numbers of entries cleared (in no slot), to use again */
    size_t nspare, spare_cap;
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
    c->bits = INDEX_MIN_BITS;
    c->index = malloc(((size_t)1 << c->bits) * sizeof *c->index);
    c->scratch = malloc(LINETABLE_MAX);
    if (!c->index || !c->scratch) {
        free(c->index);
        free(c->scratch);
        free(c);
        return NULL;
    }
    memset(c->index, 0xff, ((size_t)1 << c->bits) * sizeof *c->index);
    return c;
}

static struct code_entry *entry_at(const struct codecache *c, uint32_t n)
{
    return &c->chunks[n >> CHUNK_BITS][n & ((1u << CHUNK_BITS) - 1)];
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
    for (uint32_t n = 0; n < c->nentries; n++)
        entry_clear(entry_at(c, n));
    for (size_t k = 0; k < CHUNKS; k++)
        free(c->chunks[k]);
    free(c->index);
    free(c->spare);
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

/* The first slot addr may use among 2^bits (the top bits of a
 * multiplicative hash). */
static size_t home_of(uint64_t addr, unsigned bits)
{
    return (size_t)((addr >> 4) * 0x9E3779B97F4A7C15ULL >> (64 - bits));
}

/* Put entry n, cleared, among the spare ones. */
static void spare_entry(struct codecache *c, uint32_t n)
{
    entry_clear(entry_at(c, n));
    if (c->nspare < c->spare_cap ||
        array_grow((void **)&c->spare, &c->spare_cap, c->nspare + 1, sizeof *c->spare) == 0)
        c->spare[c->nspare++] = n;      /* else it is lost: memory, not correctness */
}

/* The first free slot of addr's PROBE in index (2^bits slots), or NULL. */
static uint32_t *free_slot_in(uint32_t *index, unsigned bits, uint64_t addr)
{
    size_t home = home_of(addr, bits), mask = ((size_t)1 << bits) - 1;
    for (size_t i = 0; i < PROBE; i++)
        if (index[(home + i) & mask] == NONE)
            return &index[(home + i) & mask];
    return NULL;
}

/* An index of twice the slots with every entry in it (one that finds no
 * free slot, which an index an eighth full makes unlikely, is cleared:
 * it is loaded again when next seen). Entries do not move. Left as it is
 * on ENOMEM. */
static void grow(struct codecache *c)
{
    unsigned bits = c->bits + 1;
    uint32_t *index = malloc(((size_t)1 << bits) * sizeof *index);
    if (!index)
        return;
    memset(index, 0xff, ((size_t)1 << bits) * sizeof *index);
    size_t taken = 0;
    for (size_t i = 0; i < (size_t)1 << c->bits; i++) {
        uint32_t n = c->index[i];
        if (n == NONE)
            continue;
        uint32_t *slot = free_slot_in(index, bits, entry_at(c, n)->addr);
        if (slot) {
            *slot = n;
            taken++;
        } else {
            spare_entry(c, n);
        }
    }
    free(c->index);
    c->index = index;
    c->bits = bits;
    c->taken = taken;
}

/* A cleared entry for a slot: a spare one, else a new one, NULL when
 * ENTRIES_MAX are made (or on ENOMEM). */
static struct code_entry *new_entry(struct codecache *c, uint32_t *n)
{
    if (c->nspare) {
        *n = c->spare[--c->nspare];
        return entry_at(c, *n);
    }
    if (c->nentries >= ENTRIES_MAX)
        return NULL;
    struct code_entry **chunk = &c->chunks[c->nentries >> CHUNK_BITS];
    if (!*chunk && !(*chunk = calloc((size_t)1 << CHUNK_BITS, sizeof **chunk)))
        return NULL;
    *n = c->nentries++;
    return entry_at(c, *n);
}

void codecache_new_round(struct codecache *c)
{
    if (++c->round == 0) {      /* wrapped: no entry counts as used now */
        for (uint32_t n = 0; n < c->nentries; n++)
            entry_at(c, n)->used_round = 0;
        c->round = 1;
    }
}

/* The entry for addr: its own, else a cleared one in a free slot of its
 * PROBE (the index grown first when a quarter of it is taken), else the
 * least recently used entry among those slots that this round has not
 * used; NULL when all of them are in use by this round. Every probed slot
 * is looked at: an entry may lie past a slot freed after it was placed. */
static struct code_entry *find_slot(struct codecache *c, uint64_t addr)
{
    if (c->bits < INDEX_MAX_BITS && (c->taken + 1) * 4 > (size_t)1 << c->bits)
        grow(c);
    size_t home = home_of(addr, c->bits), mask = ((size_t)1 << c->bits) - 1;
    uint32_t *free_slot = NULL;
    struct code_entry *victim = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        uint32_t *slot = &c->index[(home + i) & mask];
        if (*slot == NONE) {
            free_slot = free_slot ? free_slot : slot;
            continue;
        }
        struct code_entry *e = entry_at(c, *slot);
        if (e->addr == addr)
            return e;
        if (e->used_round != c->round && (!victim || e->used_round < victim->used_round))
            victim = e;
    }
    uint32_t n;
    struct code_entry *e = free_slot ? new_entry(c, &n) : NULL;
    if (!e)
        return victim;
    *free_slot = n;
    c->taken++;
    return e;
}

/* Take the entry of addr (just cleared after a failed load) out of its
 * slot, among the spare entries. */
static void drop(struct codecache *c, uint64_t addr, const struct code_entry *e)
{
    size_t home = home_of(addr, c->bits), mask = ((size_t)1 << c->bits) - 1;
    for (size_t i = 0; i < PROBE; i++) {
        uint32_t *slot = &c->index[(home + i) & mask];
        if (*slot != NONE && entry_at(c, *slot) == e) {
            spare_entry(c, *slot);
            *slot = NONE;
            c->taken--;
            return;
        }
    }
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
        drop(c, addr, e);
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

/* The entry cached for addr, or NULL. */
static struct code_entry *cached(const struct codecache *c, uint64_t addr)
{
    size_t home = home_of(addr, c->bits), mask = ((size_t)1 << c->bits) - 1;
    for (size_t i = 0; addr && i < PROBE; i++) {
        uint32_t n = c->index[(home + i) & mask];
        if (n != NONE && entry_at(c, n)->addr == addr)
            return entry_at(c, n);
    }
    return NULL;
}

const struct code_entry *codecache_peek(const struct codecache *c, uint64_t addr)
{
    return cached(c, addr);
}

struct code_entry *codecache_keep(struct codecache *c, uint64_t addr)
{
    struct code_entry *e = cached(c, addr);
    if (!e)
        return NULL;
    e->used_round = c->round;
    c->hits++;
    return e;
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

size_t codecache_entries(const struct codecache *c)
{
    return c->taken;            /* every slot taken names a cached code object */
}
