/* SPDX-License-Identifier: MIT */
/* Unwinding a native sample with libunwind's remote interface: registers
 * and stack from the sample's copy, unwind tables from the modules'
 * .eh_frame_hdr / .eh_frame (nmodule.c), code from read-only file
 * mappings through process_vm_readv. Never stops or writes the target. */
#include <libunwind.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "nunwind_impl.h"
#include "procmem.h"
#include "reader.h"

/* libunwind's binary search of a remote .eh_frame_hdr table (exported by
 * libunwind-x86_64, not declared by its headers). */
int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t as, unw_word_t ip, unw_dyn_info_t *di,
                                       unw_proc_info_t *pi, int need_unwind_info, void *arg);

struct nunwind {
    struct nspace sp;
    struct procmem *pm;
    struct reader *r;
    unw_addr_space_t as_first;           /* the first step: no caching */
    unw_addr_space_t as;                 /* the callers: cached */
    const struct nsample *s;             /* the sample being unwound (or rest) */
    struct nsample rest;                 /* the sample as seen from the first caller */
    int reread;                          /* the maps were read again in this call */
    int moved;                           /* ... and a mapping known before was gone */
    int memfail;                         /* a memory read failed in this step */
    int zeros;                           /* zero words read from the stack copy in this step */
    uint64_t hot_lo, hot_hi;             /* runtime range of the span read last ... */
    const uint8_t *hot;                  /* ... and its bytes (a module's, lives with it) */
};

/* The mapping holding addr, the maps read again (once per call) when none
 * does. */
static const struct nent *find_ent(struct nunwind *u, uint64_t addr)
{
    const struct nent *e = nspace_find(&u->sp, addr);
    if (!e && !u->reread) {
        u->reread = 1;
        int rc = nspace_reread(&u->sp);
        if (rc >= 0)
            e = nspace_find(&u->sp, addr);
        u->moved |= rc > 0;
    }
    return e;
}

/* The .eh_frame_hdr table of the module mapped at ip, for libunwind. */
static int table_of(struct nunwind *u, uint64_t ip, unw_dyn_info_t *di)
{
    const struct nent *e = find_ent(u, ip);
    struct nmod *m = e ? nspace_module(&u->sp, e) : NULL;
    if (!m || !m->has_table || !e->biased)
        return -UNW_ENOINFO;
    memset(di, 0, sizeof *di);
    di->format = UNW_INFO_FORMAT_REMOTE_TABLE;
    di->start_ip = m->text_lo + e->bias;
    di->end_ip = m->text_hi + e->bias;
    di->u.rti.segbase = m->hdr_vaddr + e->bias;
    di->u.rti.table_data = m->table_vaddr + e->bias;
    di->u.rti.table_len = (uint64_t)m->fde_count * 8 / sizeof(unw_word_t);
    return 0;
}

static int find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi, int need,
                          void *arg)
{
    unw_dyn_info_t di;
    int rc = table_of(arg, ip, &di);
    if (rc < 0)
        return rc;
    return _Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi, need, arg);
}

static void put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
    /* libunwind frees what dwarf_search_unwind_table allocated itself. */
}

static int get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
    return -UNW_ENOINFO;
}

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
    struct nunwind *u = arg;
    if (write)
        return -UNW_EINVAL;
    if (addr - u->hot_lo < u->hot_hi - u->hot_lo && u->hot_hi - addr >= 8) {
        memcpy(val, u->hot + (addr - u->hot_lo), 8);   /* most reads: the unwind tables */
        return 0;
    }
    uint64_t sp = u->s->regs[NREG_RSP];
    if (addr >= sp && addr - sp < u->s->stack_len && u->s->stack_len - (addr - sp) >= 8) {
        memcpy(val, u->s->stack + (addr - sp), 8);
        u->zeros += *val == 0;
        return 0;
    }
    const struct nent *e = nspace_find(&u->sp, addr);
    struct nmod *m = e ? nspace_module(&u->sp, e) : NULL;
    const struct nspan *span = m && e->biased ? nmod_span(m, addr - e->bias, 8) : NULL;
    if (span) {
        u->hot_lo = span->lo + e->bias;
        u->hot_hi = span->hi + e->bias;
        u->hot = span->bytes;
        memcpy(val, u->hot + (addr - u->hot_lo), 8);
        return 0;
    }
    /* Code and read-only data of a mapped file do not change; the rest
     * (the stack beyond the copy, heap, writable data) moved on since
     * the sample was taken. */
    if (e && m && !e->write && addr <= e->end - 8 && reader_read(u->r, addr, 8, val) == 0)
        return 0;
    u->memfail = 1;
    return -UNW_EINVAL;
}

/* libunwind's x86-64 register numbers to the sample's. */
static const int8_t reg_of[] = {
    [UNW_X86_64_RAX] = NREG_RAX, [UNW_X86_64_RDX] = NREG_RDX, [UNW_X86_64_RCX] = NREG_RCX,
    [UNW_X86_64_RBX] = NREG_RBX, [UNW_X86_64_RSI] = NREG_RSI, [UNW_X86_64_RDI] = NREG_RDI,
    [UNW_X86_64_RBP] = NREG_RBP, [UNW_X86_64_RSP] = NREG_RSP, [UNW_X86_64_R8] = NREG_R8,
    [UNW_X86_64_R9] = NREG_R9,   [UNW_X86_64_R10] = NREG_R10, [UNW_X86_64_R11] = NREG_R11,
    [UNW_X86_64_R12] = NREG_R12, [UNW_X86_64_R13] = NREG_R13, [UNW_X86_64_R14] = NREG_R14,
    [UNW_X86_64_R15] = NREG_R15, [UNW_X86_64_RIP] = NREG_RIP,
};

static int access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write,
                      void *arg)
{
    struct nunwind *u = arg;
    if (write)
        return -UNW_EREADONLYREG;
    if (reg < 0 || (size_t)reg >= sizeof reg_of / sizeof reg_of[0])
        return -UNW_EBADREG;
    *val = u->s->regs[reg_of[reg]];
    return 0;
}

static int access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write,
                        void *arg)
{
    return -UNW_EBADREG;
}

static int resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
    return -UNW_EINVAL;
}

static int get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf, size_t len,
                         unw_word_t *off, void *arg)
{
    return -UNW_ENOINFO;
}

static unw_accessors_t accessors = {
    .find_proc_info = find_proc_info,
    .put_unwind_info = put_unwind_info,
    .get_dyn_info_list_addr = get_dyn_info_list_addr,
    .access_mem = access_mem,
    .access_reg = access_reg,
    .access_fpreg = access_fpreg,
    .resume = resume,
    .get_proc_name = get_proc_name,
};

int nunwind_new(uint32_t pid, struct nunwind **out)
{
    struct nunwind *u = calloc(1, sizeof *u);
    if (!u)
        return ERR_NOMEM;
    int rc = procmem_open((pid_t)pid, &u->pm);
    if (rc < 0)
        goto fail_free;
    u->r = procmem_reader(u->pm);
    rc = nspace_init(&u->sp, (pid_t)pid, u->r);
    if (rc < 0)
        goto fail_mem;
    /* libunwind caches a frame's register rules by ip alone, but the
     * rules of an ip that is a frame's own (the first frame) are those at
     * ip, and those of a return address the ones at ip - 1: one cache fed
     * with both gives wrong frames (fuzz_nunwind found it). So the first
     * step has an address space without a cache, and the callers one with
     * a cache, started again from the first caller at its return address
     * - 1 (the call: a frame's own ip there, the rules a return address
     * gets). Unwinding without any cache costs ~3x as much. */
    u->as_first = unw_create_addr_space(&accessors, 0);
    u->as = unw_create_addr_space(&accessors, 0);
    rc = ERR_NOMEM;
    if (!u->as_first || !u->as)
        goto fail_space;
    unw_set_caching_policy(u->as_first, UNW_CACHE_NONE);
    unw_set_caching_policy(u->as, UNW_CACHE_GLOBAL);
    *out = u;
    return 0;
fail_space:
    if (u->as_first)
        unw_destroy_addr_space(u->as_first);
    if (u->as)
        unw_destroy_addr_space(u->as);
    nspace_free(&u->sp);
fail_mem:
    procmem_close(u->pm);
fail_free:
    free(u);
    return rc;
}

void nunwind_free(struct nunwind *u)
{
    if (!u)
        return;
    unw_destroy_addr_space(u->as_first);
    unw_destroy_addr_space(u->as);
    nspace_free(&u->sp);
    procmem_close(u->pm);
    free(u);
}

/* Whether the frame at ip (a return address unless it is the first
 * frame) has DWARF unwind information. libunwind also ends a walk (step
 * returns 0) at a frame without it whose rbp is 0, or where the return
 * address it read is 0: neither proves the thread's outermost frame,
 * which glibc marks with an undefined return address (_start, clone3). */
static int has_info(struct nunwind *u, uint64_t ip, int first)
{
    unw_dyn_info_t di;
    unw_proc_info_t pi;
    uint64_t at = first ? ip : ip - 1;
    memset(&pi, 0, sizeof pi);
    return table_of(u, at, &di) == 0 &&
           _Ux86_64_dwarf_search_unwind_table(u->as, at, &di, &pi, 0, u) >= 0;
}

/* Frames n.. of the walk of cursor c (frame n - 1 is where c is), up to
 * max: the new count. */
static int walk(struct nunwind *u, unw_cursor_t *c, uint64_t *ips, uint64_t *sps, int n, int max,
                int *complete)
{
    uint64_t prev_sp = u->s->regs[NREG_RSP];
    while (n < max) {
        u->memfail = u->zeros = 0;
        int r = unw_step(c);
        if (r == 0) {
            *complete = !u->memfail && !u->zeros && has_info(u, ips[n - 1], n == 1);
            break;
        }
        unw_word_t ip, sp;
        if (r < 0 || unw_get_reg(c, UNW_REG_IP, &ip) < 0 || unw_get_reg(c, UNW_REG_SP, &sp) < 0)
            break;
        if (ip == 0 || sp <= prev_sp)
            break;
        const struct nent *e = find_ent(u, ip);
        if (!e || !e->exec)
            break;                       /* not code: a guess of the fallback */
        if (sps)
            sps[n] = sp;
        ips[n++] = ip;
        prev_sp = sp;
    }
    return n;
}

/* u->rest: the registers c found for the first caller (the callee-saved
 * ones, sp, and its return address - 1 as ip) and what is left of s's
 * stack copy above its sp. */
static void make_rest(struct nunwind *u, unw_cursor_t *c, const struct nsample *s, uint64_t ip)
{
    static const int8_t keep[][2] = {
        {UNW_X86_64_RBX, NREG_RBX}, {UNW_X86_64_RBP, NREG_RBP}, {UNW_X86_64_R12, NREG_R12},
        {UNW_X86_64_R13, NREG_R13}, {UNW_X86_64_R14, NREG_R14}, {UNW_X86_64_R15, NREG_R15},
        {UNW_X86_64_RSP, NREG_RSP},
    };
    struct nsample *r = &u->rest;
    *r = (struct nsample){.pid = s->pid, .tid = s->tid, .time_ns = s->time_ns};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        unw_word_t v;
        if (unw_get_reg(c, keep[i][0], &v) == 0)
            r->regs[keep[i][1]] = v;
    }
    r->regs[NREG_RIP] = ip - 1;
    uint64_t off = r->regs[NREG_RSP] - s->regs[NREG_RSP];     /* > 0: walk() checked */
    if (off > s->stack_len)
        off = s->stack_len;
    r->stack = s->stack ? s->stack + off : NULL;
    r->stack_len = s->stack_len - (uint32_t)off;
}

int nunwind_stack(struct nunwind *u, const struct nsample *s, uint64_t *ips, uint64_t *sps,
                  int max, int *complete)
{
    *complete = 0;
    if (max > NUNWIND_MAX_DEPTH)
        max = NUNWIND_MAX_DEPTH;
    if (max < 1 || s->stack_len > NSAMPLE_STACK_MAX || (s->stack_len && !s->stack))
        return ERR_CORRUPT;
    u->s = s;
    u->reread = u->moved = 0;
    u->hot_lo = u->hot_hi = 0;           /* biases may differ after a re-read */
    const struct nent *e = find_ent(u, s->regs[NREG_RIP]);
    if (!e || !e->exec)
        return ERR_CORRUPT;
    ips[0] = s->regs[NREG_RIP];
    if (sps)
        sps[0] = s->regs[NREG_RSP];
    unw_cursor_t c;
    int n = 1;
    if (unw_init_remote(&c, u->as_first, u) == 0)
        n = walk(u, &c, ips, sps, 1, max < 2 ? max : 2, complete);
    if (n == 2 && n < max) {
        make_rest(u, &c, s, ips[1]);
        u->s = &u->rest;
        if (unw_init_remote(&c, u->as, u) == 0)
            n = walk(u, &c, ips, sps, 2, max, complete);
    }
    if (u->moved)
        unw_flush_cache(u->as, 0, 0);    /* cached rules of code that is gone */
    u->s = NULL;
    return n;
}

int nunwind_symbol(struct nunwind *u, uint64_t ip, struct nsym *out)
{
    if (nspace_symbol(&u->sp, ip, out) < 0) {
        int rc = nspace_reread(&u->sp);
        if (rc > 0)
            unw_flush_cache(u->as, 0, 0);
        if (rc >= 0)
            nspace_symbol(&u->sp, ip, out);
    }
    return 0;
}
