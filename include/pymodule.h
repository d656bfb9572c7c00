/* SPDX-License-Identifier: MIT */
/* Finding an imported module's namespace in the target (sys.modules). */
#ifndef PROFTUI_PYMODULE_H
#define PROFTUI_PYMODULE_H

#include <stdint.h>

struct reader;
struct py_layout;

/* The __dict__ of sys.modules[name] for the interpreter at interp.
 * Returns 0 and *dict, ERR_NOT_READY when the module is not imported (or
 * the interpreter is starting or finalising), ERR_CORRUPT when the entry
 * is not a module object, or ERR_READ. */
int pymodule_dict(struct reader *r, const struct py_layout *l, uint64_t interp,
                  const char *name, uint64_t *dict);

#endif
