/* SPDX-License-Identifier: MIT */
/* The code objects a round's frames name: facts for the frame walk while
 * it runs, then each validated against its header (most of them read in
 * the round's batch) and resolved to its code-cache entry and line. */
#include <string.h>

#include "error.h"
#include "pytarget.h"
#include "reader.h"
#include "walker_impl.h"

/* Index of code in this round's map of code objects, added when new;
 * -1 when the round has too many. */
int walkcode_index(struct walker *w, uint64_t code)
{
    size_t h = (size_t)((code >> 4) * 0x9E3779B97F4A7C15ULL >> 40) & (UMAP_SIZE - 1);
    for (;; h = (h + 1) & (UMAP_SIZE - 1)) {
        struct ucode *u = &w->umap[h];
        if (u->stamp == w->round && u->addr == code)
            return (int)h;
        if (u->stamp != w->round) {
            if (w->nucodes == UCODES_MAX)
                return -1;
            *u = (struct ucode){.addr = code, .stamp = w->round};
            w->ulist[w->nucodes++] = (int32_t)h;
            return (int)h;
        }
    }
}

/* Facts about a code object for the frame walk. With its header in this
 * round's bytes the code object is validated and resolved to its cache
 * entry at once (u, when the round's map has room); else the facts come
 * from the code cache (an entry validated in an earlier round: co_flags,
 * co_framesize and the size do not change), and the round validates the
 * header it reads later with the others; else from a read of the header. */
static int code_facts(struct walker *w, struct ucode *u, uint64_t code, struct code_facts *out)
{
    const uint8_t *h = readbatch_find(w->cur, G_CODES, code, w->hsize);
    if (!h && w->cur != &w->batch)
        h = readbatch_find(&w->batch, G_CODES, code, w->hsize);
    if (!h) {
        const struct code_entry *e = codecache_peek(w->codes, code);
        if (e) {
            *out = e->facts;
            return 0;
        }
        int rc = 0;
        if (!(h = walkread_fetch(w, G_CODES, code, w->hsize, w->hdrbuf, &rc)))
            return rc;
    }
    if (!u)
        return codecache_facts(w->t, code, h, out);
    int rc = codecache_get(w->codes, w->t, code, h, w->hsize, &u->e);
    u->state = rc < 0 ? rc : 1;
    if (rc == 0)
        *out = u->e->facts;
    /* A full cache fails the stack when the round resolves it, not here. */
    return rc == ERR_NOMEM ? codecache_facts(w->t, code, h, out) : rc;
}

int walkcode_facts(void *ctx, uint64_t code, struct code_facts *out)
{
    struct walker *w = ctx;
    int i = walkcode_index(w, code);
    struct ucode *u = i >= 0 ? &w->umap[i] : NULL;
    if (u)
        u->live = 1;            /* a frame read this round names it, kept or not */
    if (u && u->state > 0) {
        *out = u->e->facts;
        return 0;
    }
    if (u && u->state < 0 && u->state != ERR_NOMEM)
        return u->state;
    if (u && u->facts_rc > 0) {
        *out = u->facts;
        return 0;
    }
    int rc = code_facts(w, u, code, out);
    if (u && rc == 0 && !u->state) {
        u->facts = *out;
        u->facts_rc = 1;
    }
    return rc;
}

/* Validate code objects against their headers, which this round read:
 * the batch has most; the rest are read in batches of HDR_BATCH. A code
 * object only copied stacks have (walker_still) is alive (their frames
 * hold it), so its cache entry stands without a read, and it is not
 * planned for the next round. */
int walkcode_resolve_codes(struct walker *w)
{
    size_t hsize = w->hsize;
    for (int i = 0; i < w->nucodes;) {
        struct read_req reqs[HDR_BATCH];
        int batch[HDR_BATCH], nb = 0;
        for (; i < w->nucodes && nb < HDR_BATCH; i++) {
            struct ucode *u = &w->umap[w->ulist[i]];
            if (u->state)
                continue;       /* resolved by the walk */
            const uint8_t *h = readbatch_find(&w->batch, G_CODES, u->addr, hsize);
            if (h) {
                u->state = codecache_get(w->codes, w->t, u->addr, h, hsize, &u->e);
                u->state = u->state < 0 ? u->state : 1;
                continue;
            }
            if (!u->live && (u->e = codecache_keep(w->codes, u->addr))) {
                u->state = 1;
                continue;
            }
            reqs[nb] = (struct read_req){.addr = u->addr, .len = hsize, .buf = w->hdrs[nb]};
            batch[nb++] = w->ulist[i];
        }
        int rc = reader_readv(w->t->r, reqs, nb);
        if (rc == ERR_EXITED)
            return rc;
        for (int k = 0; k < nb; k++) {
            struct ucode *u = &w->umap[batch[k]];
            u->state = rc < 0 ? rc : codecache_get(w->codes, w->t, u->addr, w->hdrs[k], hsize, &u->e);
            u->state = u->state < 0 ? u->state : 1;
        }
        w->bytes += rc < 0 ? 0 : (unsigned long)nb * hsize;
    }
    for (int i = 0; i < w->nucodes; i++) {
        struct ucode *u = &w->umap[w->ulist[i]];
        if (u->state > 0) {
            u->shim = codecache_is_shim(u->e);
            if (u->live)
                walkread_plan(w, G_CODES, u->addr, hsize);
        }
    }
    return 0;
}


/* Map every frame to its code entry and line; a stack with a code object
 * that failed validation fails as a whole. Shim frames are left out. */
int walkcode_resolve_frames(struct walker *w)
{
    int rc = walker_grow(&w->frames, &w->cap_frames, sizeof *w->frames, w->nframes, WALK_MAX_ROUND_FRAMES);
    if (rc < 0)
        return rc;
    for (int s = 0; s < w->nstacks; s++) {
        struct walk_stack *st = &w->stacks[s];
        const struct rframe *rf = w->raw ? w->raw + w->first[s] : NULL;
        int kept = 0;
        st->frames = w->frames ? w->frames + w->first[s] : NULL;   /* none yet: no frame anywhere */
        for (int d = 0; d < st->depth; d++) {
            const struct ucode *u = rf[d].ucode >= 0 ? &w->umap[rf[d].ucode] : NULL;
            if (!u || u->state <= 0) {
                st->failed = 1;
                st->why = u && u->state == ERR_READ ? WALK_FAIL_READ : WALK_FAIL_CORRUPT;
                break;
            }
            if (u->shim)
                continue;
            st->frames[kept++] = (struct walk_frame){
                .frame = rf[d].frame, .code = u->e, .line = codecache_line(w->t, u->e, rf[d].pos),
                .in_call = (int8_t)codecache_in_call(u->e, rf[d].pos),
                .entry = rf[d].entry, .cstack = rf[d].cstack};
        }
        st->depth = kept;
        if (st->failed)
            st->depth = st->truncated = 0;
    }
    return 0;
}
