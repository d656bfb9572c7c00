/* SPDX-License-Identifier: MIT */
/* Parser for /proc/PID/maps. */
#include "maps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* A process with more mappings than this is not one we can make sense of. */
#define MAPS_MAX 1000000

static int parse_line(const char *line, struct map_entry *e)
{
    unsigned long long start, end, off;
    char perms[8];
    int pathpos = 0;
    if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &off, &pathpos) < 4)
        return -1;
    const char *p = pathpos ? line + pathpos : "";
    size_t len = strcspn(p, "\n");
    e->path = strndup(p, len);
    if (!e->path)
        return ERR_NOMEM;
    e->start = start;
    e->end = end;
    e->offset = off;
    memcpy(e->perms, perms, 4);
    e->perms[4] = '\0';
    return 0;
}

static int open_err(void)
{
    return errno == ENOENT || errno == ESRCH ? ERR_NO_PROCESS : ERR_PERM;
}

int maps_read(pid_t pid, struct maps *out)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return open_err();
    struct maps m = {0};
    size_t cap = 0;
    char *line = NULL;
    size_t linecap = 0;
    int rc = 0;
    while (getline(&line, &linecap, f) > 0 && m.n < MAPS_MAX) {
        if (m.n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            struct map_entry *nv = realloc(m.v, ncap * sizeof *nv);
            if (!nv) {
                rc = ERR_NOMEM;
                break;
            }
            m.v = nv;
            cap = ncap;
        }
        int prc = parse_line(line, &m.v[m.n]);
        if (prc == ERR_NOMEM) {
            rc = prc;
            break;
        }
        if (prc == 0)
            m.n++;
    }
    free(line);
    fclose(f);
    if (rc == 0 && m.n == 0)
        rc = ERR_NO_PROCESS;   /* zombies and exited processes have no maps */
    if (rc < 0) {
        maps_free(&m);
        return rc;
    }
    *out = m;
    return 0;
}

void maps_free(struct maps *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].path);
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

const struct map_entry *maps_find_file(const struct maps *m, const char *prefix)
{
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].path[0] == '/' && strncmp(base_name(m->v[i].path), prefix, plen) == 0)
            return &m->v[i];
    return NULL;
}

const struct map_entry *maps_file_base(const struct maps *m, const char *path)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].offset == 0 && strcmp(m->v[i].path, path) == 0)
            return &m->v[i];
    return NULL;
}
