/* SPDX-License-Identifier: MIT */
/* Generic object access in the target: the type's name and instance
 * attributes, wherever the running CPython version keeps them. */
#ifndef PROFTUI_PYOBJ_H
#define PROFTUI_PYOBJ_H

#include <stddef.h>
#include <stdint.h>

struct reader;
struct py_layout;

/* Find the instance attribute `name` (ASCII, at most PYDICT_KEY_MAX bytes)
 * of the object at obj_addr, in whichever storage its type uses: a dict at
 * tp_dictoffset (3.8-3.10, and types without a managed dict), a managed
 * dict or split values before the object (3.11, 3.12), inline values after
 * it (3.13+). Only the instance's own attributes are searched, not its
 * class. *value gets the attribute's address, or 0 when it is absent.
 * Returns 0, ERR_READ or ERR_CORRUPT. */
int pyobj_lookup_attr(struct reader *r, const struct py_layout *l, uint64_t obj_addr,
                      const char *name, uint64_t *value);

/* Copy the tp_name of the object's type into buf as a NUL-terminated
 * string, cut to cap - 1 bytes (cap >= 2). Returns its length, ERR_READ or
 * ERR_CORRUPT. */
int pyobj_type_name(struct reader *r, const struct py_layout *l, uint64_t obj_addr,
                    char *buf, size_t cap);

/* Whether an object whose first word (ob_refcnt) reads `first` sits in a
 * freed block at addr. pymalloc (Objects/obmalloc.c) writes the pool's next
 * free block, or NULL, into a freed block's first word; a live object's
 * reference count is neither 0 nor a pointer into its own 16 KiB pool.
 * (3.14 keeps flags in the word's top 16 bits: an immortal str reads
 * 0x00010000c0000000, still no pointer into its pool.) The memory of a
 * dead object is read by a sampler whenever the target freed it between
 * our reads of a pointer to it and of the object. */
static inline int pyobj_freed(uint64_t first, uint64_t addr)
{
    return first == 0 || first >> 14 == addr >> 14;
}

#endif
