/* SPDX-License-Identifier: MIT */
/* The profile in every mode at once, for the outputs that carry every
 * thread state (pprof's sample types, export_meta.by_mode): one replica
 * per mode (table_set_mode), each with the stacks a model table shows
 * (table_get_tasks, table_get_native), seen through its own lens when the
 * user's code is given (lens.h), all copied under one hold of the
 * profile's lock so that the modes count the same samples. */
#ifndef PROFTUI_MODESET_H
#define PROFTUI_MODESET_H

#include "table.h"

struct profile;
struct usercode;
struct modeset;

/* An empty set (caller owns; modeset_free). NULL on ENOMEM. */
struct modeset *modeset_new(void);
void modeset_free(struct modeset *s);

/* Bring every mode's table up to date with p: replicas showing what
 * `like` shows (its task or mixed native stacks), lensed by `code` when
 * it is not NULL (borrowed; it must outlive the set). 0, or ERR_NOMEM
 * (the set then holds no table). */
int modeset_sync(struct modeset *s, struct profile *p, const struct table *like,
                 const struct usercode *code);

/* The table of mode m as of the last successful sync (owned by the set),
 * NULL before one or for an unknown mode. */
const struct table *modeset_table(const struct modeset *s, enum table_mode m);

#endif
