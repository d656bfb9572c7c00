/* SPDX-License-Identifier: MIT */
/* The profile in every mode at once: a replica (and a lens) per mode. */
#include "modeset.h"

#include <stdlib.h>

#include "error.h"
#include "lens.h"
#include "profile.h"

struct modeset {
    struct table *replica[TABLE_MODES];
    struct lens *lens[TABLE_MODES];        /* NULL without the user's code */
    int synced;
};

struct modeset *modeset_new(void)
{
    return calloc(1, sizeof(struct modeset));
}

void modeset_free(struct modeset *s)
{
    if (!s)
        return;
    for (int m = 0; m < TABLE_MODES; m++) {
        lens_free(s->lens[m]);
        table_free(s->replica[m]);
    }
    free(s);
}

/* Each mode's replica (and lens), set up as `like` and code ask. */
static int prepare(struct modeset *s, const struct table *like, const struct usercode *code)
{
    for (int m = 0; m < TABLE_MODES; m++) {
        if (!s->replica[m] && !(s->replica[m] = table_new()))
            return ERR_NOMEM;
        table_untrack_flat(s->replica[m]);         /* outputs read stacks, not flat views */
        table_set_mode(s->replica[m], (enum table_mode)m);
        table_set_tasks(s->replica[m], table_get_tasks(like));
        table_set_native(s->replica[m], table_get_native(like));
        if (code && !s->lens[m] && !(s->lens[m] = lens_new(code)))
            return ERR_NOMEM;
    }
    return 0;
}

int modeset_sync(struct modeset *s, struct profile *p, const struct table *like,
                 const struct usercode *code)
{
    s->synced = 0;
    int rc = prepare(s, like, code);
    if (rc < 0)
        return rc;
    profile_lock(p);                           /* one hold: every mode counts the same samples */
    for (int m = 0; m < TABLE_MODES && rc == 0; m++)
        rc = table_sync_copy(s->replica[m], profile_table(p));
    profile_unlock(p);
    for (int m = 0; m < TABLE_MODES && rc == 0; m++) {
        table_sync_apply(s->replica[m]);
        if (s->lens[m])
            rc = lens_update(s->lens[m], s->replica[m]);
    }
    s->synced = rc == 0;
    return rc;
}

const struct table *modeset_table(const struct modeset *s, enum table_mode m)
{
    if (!s || !s->synced || m < 0 || m >= TABLE_MODES)
        return NULL;
    return s->lens[m] ? lens_table(s->lens[m]) : s->replica[m];
}
