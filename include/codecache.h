/* SPDX-License-Identifier: MIT */
/* Cache of the immutable parts of code objects (names, file, line table),
 * keyed by address. Every hit is validated against identity fields read
 * from the code object, so a freed-and-reused address never yields the old
 * function's name. */
#ifndef PROFTUI_CODECACHE_H
#define PROFTUI_CODECACHE_H

#include <stddef.h>
#include <stdint.h>

struct pytarget;
struct codecache;

#define CODECACHE_MEMO 4       /* instruction offsets remembered per code object */

/* What the frame walk needs to know of a code object, from its header. */
struct code_facts {
    int32_t ncodeunits;        /* 3.11+: 16-bit code units of inline bytecode (Py_SIZE), else 0 */
    int32_t framesize;         /* 3.12+: co_framesize in words, 0 when unknown */
    int32_t flags;             /* co_flags */
};

struct code_entry {
    uint64_t addr;             /* code object address; 0 = free slot */
    uint64_t id_fields[4];     /* filename, name, qualname, linetable pointers */
    int32_t firstlineno;
    char *name;                /* qualified name where the version has it (owned) */
    char *file;                /* co_filename (owned) */
    uint8_t *linetable;        /* copy of the line table bytes (owned) */
    uint32_t linetable_len;
    uint32_t user;             /* free for the caller (the sampler keeps a table id here); reset on reload */
    uint32_t used_round;       /* last round that used the entry (eviction order) */
    uint32_t memo_next;        /* memo slot to replace next */
    int32_t memo_addr[CODECACHE_MEMO], memo_line[CODECACHE_MEMO]; /* recent lookups */
    struct code_facts facts;   /* from the header the entry was last validated with */
    /* Which code units belong to a call instruction (opcodes_scan_calls),
     * one bit each, for units [0, calls_known); beyond them unknown. Read
     * once at load: a quickened or instrumented form of an instruction
     * stays in its family and keeps its cache units, so the copy stays
     * valid for the code object's life. NULL (calls_known 0) when unknown. */
    uint8_t *calls;
    uint32_t calls_known;
};

/* A new cache (caller owns; codecache_free). NULL on ENOMEM. */
struct codecache *codecache_new(void);
void codecache_free(struct codecache *c);

/* Start a round: entries returned from now on stay valid until the next
 * codecache_new_round (a round never evicts what it used). */
void codecache_new_round(struct codecache *c);

/* Entry for the code object at addr in target t, loading or reloading it
 * when needed. *header, when not NULL, is the code object's first bytes
 * already read by the caller (hdr_len of them), saving a read; the entry
 * is always checked against these freshly read identity fields.
 * Returns 0 and *out, or ERR_READ / ERR_CORRUPT, or ERR_NOMEM (also when
 * every candidate slot is in use by this round). */
int codecache_get(struct codecache *c, struct pytarget *t, uint64_t addr,
                  const uint8_t *header, size_t hdr_len, struct code_entry **out);

/* Bytes of a code object needed to validate an entry (from its start). */
size_t codecache_header_size(const struct pytarget *t);

/* Facts about the code object at addr from its header (codecache_header_size
 * bytes): 0, or ERR_CORRUPT when the header is not that of a live code
 * object (wrong type, freed, implausible pointers). */
int codecache_facts(const struct pytarget *t, uint64_t addr, const uint8_t *header,
                    struct code_facts *out);

/* Code objects of interpreter shims, not user code. 3.13+ push a frame of
 * the static _Py_InitCleanup (Python/specialize.c) under the __init__ of a
 * class called through CALL_ALLOC_AND_ENTER_INIT: its co_filename, co_name
 * and co_qualname are the same str, "__init__", which no real code object
 * has. 3.12's C-stack entry frame runs the "<interpreter trampoline>" made
 * by _Py_MakeShimCode (Python/pylifecycle.c), file "<shim>": its frame is
 * skipped by its owner, but a read of the C stack after the evaluation
 * loop returned can find the owner overwritten and the code still there. */
int codecache_is_shim(const struct code_entry *e);

/* The entry cached for addr, without reading or validating anything (its
 * facts are those of the code object last seen there), or NULL. */
const struct code_entry *codecache_peek(const struct codecache *c, uint64_t addr);

/* The entry cached for addr, kept for this round as codecache_get()'s are
 * (a round never evicts it), without reading anything: for a code object
 * known to be the one validated there last (a frame of a thread that has
 * not run since holds it, so it was not freed). NULL when not cached. */
struct code_entry *codecache_keep(struct codecache *c, uint64_t addr);

/* Line executing at byte offset addr in the code of entry e (memoised). */
int codecache_line(const struct pytarget *t, struct code_entry *e, int addr);

/* Whether the instruction at byte offset pos of entry e's bytecode (the
 * frame's instruction offset, as for codecache_line) is a call: 1 it is, 0
 * it is not (also before the first instruction, pos < 0), -1 unknown. */
int codecache_in_call(const struct code_entry *e, int pos);

/* Entries loaded (misses) and hits, for statistics. */
void codecache_stats(const struct codecache *c, uint64_t *hits, uint64_t *loads);

/* The code objects cached now. */
size_t codecache_entries(const struct codecache *c);

#endif
