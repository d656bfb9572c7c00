/* SPDX-License-Identifier: MIT */
/* What the drawing modules read: one bundle of borrowed pointers that the
 * loop fills before drawing. Types only. */
#ifndef PROFTUI_UI_SCENE_H
#define PROFTUI_UI_SCENE_H

#include <stdint.h>

struct ui_options;
struct ui_view;
struct ui_model;
struct ui_snap;
struct ui_theme;
struct ui_path_ctx;
struct procstat_sample;

struct ui_scene {
    const struct ui_options *opt;        /* title, Python version, pid, mode */
    const struct ui_view *view;          /* settings */
    const struct ui_model *model;        /* rows in order, selection */
    const struct ui_snap *snap;          /* counters, threads */
    const struct ui_theme *theme;
    const struct ui_path_ctx *paths;     /* for short paths */
    const struct procstat_sample *proc;  /* target CPU / memory, NULL when unknown */
    uint64_t sample_ns;                  /* time one sample stands for: elapsed / rounds */
};

#endif
