/* SPDX-License-Identifier: MIT */
/* sys.modules look-ups in the target. */
#include "pymodule.h"

#include <string.h>

#include "error.h"
#include "pydict.h"
#include "pylayout.h"
#include "pyobj.h"
#include "reader.h"

/* interp->modules is the dict behind sys.modules (imports.modules from
 * 3.12, pycore_interp.h). */
int pymodule_dict(struct reader *r, const struct py_layout *l, uint64_t interp,
                  const char *name, uint64_t *dict)
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
    rc = pydict_lookup_str(r, l, modules, name, &module);
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
