/* SPDX-License-Identifier: MIT */
/* Private to the pylayout module: the built-in tables defined in the
 * generated layout_tables.c and looked up by layout.c. Everyone else goes
 * through pylayout_for_version() in include/pylayout.h. */
#ifndef PROFTUI_LAYOUT_TABLES_H
#define PROFTUI_LAYOUT_TABLES_H

#include <stddef.h>
#include "pylayout.h"

/* Every built-in table, ordered by minor version, oldest first. */
extern const struct py_layout *const pylayout_tables[];

/* Number of entries in pylayout_tables. */
extern const size_t pylayout_ntables;

#endif
