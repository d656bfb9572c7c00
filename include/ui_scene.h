/* SPDX-License-Identifier: MIT */
/* What the drawing modules and the views read: one bundle of borrowed
 * pointers that the loop fills before updating or drawing. Types only. */
#ifndef PROFTUI_UI_SCENE_H
#define PROFTUI_UI_SCENE_H

#include <stdint.h>

struct ui_options;
struct ui_state;
struct ui_data;
struct ui_theme;
struct ui_path_ctx;
struct ui_view_ops;

struct ui_scene {
    const struct ui_options *opt;        /* title, Python version, pid, mode */
    const struct ui_state *state;        /* shared settings */
    const struct ui_data *data;          /* replica, counters, threads */
    const struct ui_view_ops *ops;       /* the active view ... */
    const void *view;                    /* ... and its state */
    const struct ui_theme *theme;
    const struct ui_path_ctx *paths;     /* for short paths */
    uint64_t sample_ns;                  /* time one sample stands for: elapsed / rounds */
};

#endif
