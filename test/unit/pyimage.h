/* SPDX-License-Identifier: MIT */
/* Test helper: builds CPython objects (str, int, dict, module, classes and
 * instances) for a given struct py_layout inside a memimage, so decoders can
 * be run on synthetic memory for every supported version. Each object gets
 * its own segment with an unmapped gap after it: reading past an object's
 * end fails, as it may in a live process. */
#ifndef PROFTUI_TEST_PYIMAGE_H
#define PROFTUI_TEST_PYIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "memimage.h"
#include "pylayout.h"
#include "reader.h"

/* dk_kind (3.11+); ignored by the 3.8-3.10 key-table format. */
enum { PYIMAGE_GENERAL = 0, PYIMAGE_UNICODE = 1, PYIMAGE_SPLIT = 2 };

/* Where an instance keeps its attributes. */
enum pyimage_storage {
    PYIMAGE_DICT,          /* a dict: at tp_dictoffset, or the managed dict pointer (3.11+) */
    PYIMAGE_VALUES,        /* split values keyed by the class's cached keys (3.11+) */
    PYIMAGE_STALE_VALUES,  /* 3.13+: inline values marked invalid, with stale
                            * pointers, plus the dict that replaced them */
};

struct pyimage {
    struct memimage *m;
    const struct py_layout *l;
    uint64_t next;         /* bump allocator */
    int failed;            /* a build step failed (out of memory) */
    uint64_t str_type, int_type, dict_type, module_type;
};

struct pyitem {
    uint64_t key, value;
    int64_t hash;          /* stored only in 24-byte entries */
};

/* Start an empty image for layout l with the basic types. 0 or ERR_NOMEM. */
int pyimage_init(struct pyimage *g, const struct py_layout *l);
void pyimage_free(struct pyimage *g);

/* A reader over the image (valid until pyimage_free). */
struct reader pyimage_reader(struct pyimage *g);

/* Copy len bytes into a fresh segment. The returned address is pre bytes
 * into it (room for what CPython keeps before an object). */
uint64_t pyimage_put(struct pyimage *g, const void *bytes, size_t len, size_t pre);

/* A NUL-terminated C string that may be read up to the end of its page. */
uint64_t pyimage_cstring(struct pyimage *g, const char *s);

/* A compact str: ASCII, or UCS1/UCS2/UCS4 chosen from the UTF-8 input. */
uint64_t pyimage_str(struct pyimage *g, const char *utf8);

/* An int with value v; pyimage_long_raw sets the size word and digits as given. */
uint64_t pyimage_long(struct pyimage *g, uint64_t v);
uint64_t pyimage_long_raw(struct pyimage *g, uint64_t size_word, const uint32_t *digits, int n);

/* A key table holding items in entry order. The _bytes form returns a
 * malloc'd copy (caller frees) so tests can corrupt it before pyimage_put. */
uint8_t *pyimage_keys_bytes(struct pyimage *g, const struct pyitem *items, int n, int kind,
                            size_t *len);
uint64_t pyimage_keys(struct pyimage *g, const struct pyitem *items, int n, int kind);

/* A dict object over the key table at keys (values: split values, or 0). */
uint64_t pyimage_dict(struct pyimage *g, uint64_t keys, uint64_t values, int64_t used);

/* A dict mapping names[i] (str) to values[i]; NULL values make deleted entries. */
uint64_t pyimage_str_dict(struct pyimage *g, const char *const *names, const uint64_t *values,
                          int n);

/* A type object named name. Classes (heap types) get the managed-dict flags
 * of the version, or tp_dictoffset 16 before 3.11; cached_keys is stored in
 * ht_cached_keys where the version has it. */
uint64_t pyimage_type(struct pyimage *g, const char *name, int heap, uint64_t cached_keys);

/* A module object of the module type with md_dict dict. */
uint64_t pyimage_module(struct pyimage *g, uint64_t dict);

/* An instance of class `type` (from pyimage_type with heap = 1) whose
 * attributes names[i] = values[i] are kept as `storage` says. With split
 * storage, names must be the class's cached keys in order. */
uint64_t pyimage_instance(struct pyimage *g, uint64_t type, enum pyimage_storage storage,
                          const char *const *names, const uint64_t *values, int n);

#endif
