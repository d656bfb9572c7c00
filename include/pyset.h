/* SPDX-License-Identifier: MIT */
/* Reading set and list objects out of the target (asyncio's task
 * registries: a WeakSet's set of weak references, a gather's list of
 * children). Every size read from the target is bounded before use. */
#ifndef PROFTUI_PYSET_H
#define PROFTUI_PYSET_H

#include <stdint.h>

struct reader;
struct py_layout;

/* Sets with more slots than this are refused (ERR_CORRUPT). */
#define PYSET_MAX_SLOTS (1u << 22)

/* Called once per live key, with the hash stored beside it. Return 0 to
 * go on, anything else to stop: pyset_foreach() then returns that value. */
typedef int (*pyset_cb)(void *arg, uint64_t key, int64_t hash);

/* Visit the keys of the set (or frozenset) object at set_addr, in table
 * order. Returns 0, the callback's non-zero value, ERR_READ, or
 * ERR_CORRUPT when the header fails validation. Empty and deleted slots
 * are skipped. */
int pyset_foreach(struct reader *r, const struct py_layout *l, uint64_t set_addr, pyset_cb cb,
                  void *arg);

/* The items of the list object at list_addr: at most cap into out. Returns
 * how many there are (which may be more than cap), ERR_READ or ERR_CORRUPT
 * (a size that is negative or over PYSET_MAX_SLOTS). */
int pylist_items(struct reader *r, const struct py_layout *l, uint64_t list_addr, uint64_t *out,
                 int cap);

#endif
