/* SPDX-License-Identifier: MIT */
/* Thread names from sys.modules["threading"]._active in the target. */
#include "threadnames.h"

#include <string.h>

#include "error.h"
#include "pydict.h"
#include "pylayout.h"
#include "pylong.h"
#include "pyobj.h"
#include "pystr.h"
#include "reader.h"

/* hash() of a non-negative int is its value modulo _PyHASH_MODULUS
 * (2**61 - 1 on 64-bit builds, Include/cpython/pyhash.h). */
#define HASH_MODULUS ((UINT64_C(1) << 61) - 1)

struct collect {
    struct reader *r;
    const struct py_layout *l;
    struct thread_name *out;
    int max;
    int n;
};

/* pydict_cb over _active: ident (int) -> Thread. Entries that do not read
 * back consistently are skipped: threads come and go while we read. */
static int collect_one(void *arg, const struct pydict_item *it)
{
    struct collect *c = arg;
    struct thread_name *t = &c->out[c->n];
    uint64_t name;
    if (pylong_read_u64(c->r, c->l, it->key, &t->ident) < 0)
        return 0;
    if (it->has_hash && (uint64_t)it->hash != t->ident % HASH_MODULUS)
        return 0;
    /* Thread.name is a property over the instance attribute _name
     * (Lib/threading.py, unchanged from 3.8 to 3.13). */
    if (pyobj_lookup_attr(c->r, c->l, it->value, "_name", &name) < 0 || !name)
        return 0;
    if (pystr_read(c->r, c->l, name, t->name, sizeof t->name) < 0)
        return 0;
    c->n++;
    return c->n >= c->max;
}

/* The module dict of sys.modules["threading"] (interp->modules is the
 * dict behind sys.modules; imports.modules from 3.12). */
static int threading_dict(struct reader *r, const struct py_layout *l, uint64_t interp,
                          uint64_t *dict)
{
    uint64_t modules, module;
    char type[16];
    if (l->interp_modules < 0 || l->module_dict < 0 || !reader_addr_ok(interp, 8))
        return ERR_CORRUPT;
    int rc = reader_read_ptr(r, interp + (uint64_t)l->interp_modules, &modules);
    if (rc < 0)
        return rc;
    if (!modules)
        return ERR_NOT_READY;     /* interpreter still starting, or finalising */
    rc = pydict_lookup_str(r, l, modules, "threading", &module);
    if (rc < 0)
        return rc;
    if (!module)
        return ERR_NOT_READY;
    rc = pyobj_type_name(r, l, module, type, sizeof type);
    if (rc < 0)
        return rc;
    /* md_dict is only where we look for it in a real module object. */
    if (strcmp(type, "module") != 0)
        return ERR_CORRUPT;
    rc = reader_read_ptr(r, module + (uint64_t)l->module_dict, dict);
    if (rc < 0)
        return rc;
    return *dict ? 0 : ERR_NOT_READY;
}

int threadnames_read(struct reader *r, const struct py_layout *l, uint64_t interp_addr,
                     struct thread_name *out, int max, int *n)
{
    uint64_t dict, active;
    *n = 0;
    int rc = threading_dict(r, l, interp_addr, &dict);
    if (rc < 0)
        return rc;
    rc = pydict_lookup_str(r, l, dict, "_active", &active);
    if (rc < 0)
        return rc;
    if (!active)
        return ERR_NOT_READY;     /* threading is still being imported */
    if (max <= 0)
        return 0;
    struct collect c = {.r = r, .l = l, .out = out, .max = max};
    rc = pydict_foreach(r, l, active, collect_one, &c);
    if (rc < 0)
        return rc;
    *n = c.n;
    return 0;
}
