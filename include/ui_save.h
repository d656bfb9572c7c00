/* SPDX-License-Identifier: MIT */
/* The live view's save key (s): a prompt for the file name (ui_prompt.h)
 * with a default name in proftui's current directory,
 * proftui-<program>-<pid>-<yyyymmdd-hhmmss>.json, then the profile the
 * view shows written atomically (outfile.h) in the format the name's
 * ending asks for (export.h), and the full path or the error on the
 * footer. What is written is the view's current replica of the profile:
 * every thread, with the lens applied while it is on (what the user
 * sees), not paused or filtered away by the display (the filter and the
 * threshold hide rows, not samples). The sampler keeps sampling
 * meanwhile: it never waits for the view. */
#ifndef PROFTUI_UI_SAVE_H
#define PROFTUI_UI_SAVE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ui_state;
struct ui_data;
struct ui_options;
struct profile;
struct sampler;

/* The default file name for a profile of `program` (a path or a command
 * name: its base name, without a ".py" ending, with every character but
 * [A-Za-z0-9._-] replaced by '_'; "python" when empty) of process pid (left out
 * when not above 0: a saved profile that names no process),
 * taken at `when` (local time), with the given ending (".json"), into
 * out (cap bytes; cut to fit). */
void ui_save_default_name(char *out, size_t cap, const char *program, int64_t pid, time_t when,
                          const char *ending);

/* Carry out the save key's reactions (enum ui_react's UI_REACT_SAVE_ASK:
 * open the prompt with the default name; UI_REACT_SAVE: write the file
 * the prompt names, then close it, or keep it open with the error on the
 * footer). d is what the view shows, a replica of p (borrowed; pprof and
 * pstats files get every thread state from it, modeset.h); s (may be
 * NULL) gives the time sampling started. */
void ui_save_react(struct ui_state *st, unsigned react, const struct ui_data *d,
                   const struct ui_options *o, struct profile *p, struct sampler *s);

#endif
