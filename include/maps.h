/* SPDX-License-Identifier: MIT */
/* /proc/PID/maps, parsed. */
#ifndef PROFTUI_MAPS_H
#define PROFTUI_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct map_entry {
    uint64_t start, end, offset;
    char perms[5];
    char *path;          /* owned by the struct maps; "" for anonymous maps */
};

struct maps {
    struct map_entry *v; /* owned */
    size_t n;
};

/* Parse /proc/pid/maps into *out (caller frees with maps_free).
 * Returns 0, ERR_NO_PROCESS, ERR_PERM or ERR_NOMEM. */
int maps_read(pid_t pid, struct maps *out);
void maps_free(struct maps *m);

/* The first mapping of a file whose base name starts with prefix (e.g.
 * "libpython3."), or NULL. */
const struct map_entry *maps_find_file(const struct maps *m, const char *prefix);

/* The mapping of path with file offset 0 (where the ELF header is), or NULL. */
const struct map_entry *maps_file_base(const struct maps *m, const char *path);

#endif
