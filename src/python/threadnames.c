/* SPDX-License-Identifier: MIT */
/* Thread names from sys.modules["threading"]._active in the target. */
#include "threadnames.h"

#include <string.h>

#include "error.h"
#include "pydict.h"
#include "pymodule.h"
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

int threadnames_read(struct reader *r, const struct py_layout *l, uint64_t interp_addr,
                     struct thread_name *out, int max, int *n)
{
    uint64_t dict, active;
    *n = 0;
    int rc = pymodule_dict(r, l, interp_addr, "threading", &dict);
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
