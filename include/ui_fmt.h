/* SPDX-License-Identifier: MIT */
/* Text for the live view's numbers: durations, counts, shares, sizes,
 * rates, exit statuses and shortened paths. Pure functions, no curses;
 * every function writes a NUL-terminated string of at most cap - 1 bytes
 * and returns buf. */
#ifndef PROFTUI_UI_FMT_H
#define PROFTUI_UI_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Longest result of the fixed-width formatters below, NUL excluded. */
#define UI_FMT_CELL 8

/* A duration in at most 6 columns: "0", "420us", "850ms", "12.4s",
 * "2'31\"" (minutes and seconds), "1h02'" (hours and minutes). */
char *ui_fmt_duration(char *buf, size_t cap, uint64_t ns);
/* samples as time, each sample_ns long; "-" when that is unknown (0: a
 * saved profile without an interval, such as flamegraph.pl input). */
char *ui_fmt_time(char *buf, size_t cap, uint64_t samples, uint64_t sample_ns);

/* A short period with 3 significant digits: "1.44ms", "998us", "12.5ms", "1.20s". */
char *ui_fmt_period(char *buf, size_t cap, uint64_t ns);

/* A sampling interval exactly as it was asked: "1ms", "100us", "2s", "1500us". */
char *ui_fmt_interval(char *buf, size_t cap, uint64_t ns);

/* A count in at most 6 columns: "12345", "123.4k", "12.3M", "4.5G". */
char *ui_fmt_count(char *buf, size_t cap, uint64_t n);

/* A count with thousands separators: "12,345,678". */
char *ui_fmt_count_full(char *buf, size_t cap, uint64_t n);

/* part / whole as a share in at most 6 columns: "100.0%", "12.3%",
 * "<0.1%" for a non-zero part that would round to 0, "0.0%"; "-" when
 * whole is 0. */
char *ui_fmt_pct(char *buf, size_t cap, uint64_t part, uint64_t whole);
/* A share as a whole percentage ("83%", "<1%" for a part under half a
 * percent, "-" when whole is 0): the split columns, 5 wide. */
char *ui_fmt_split(char *buf, size_t cap, uint64_t part, uint64_t whole);

/* A threshold percentage as typed: "0%", "0.1%", "5%", "12.5%". */
char *ui_fmt_threshold(char *buf, size_t cap, double pct);

/* A size in IEC units: "812 B", "640 KiB", "45.2 MiB", "1.21 GiB". */
char *ui_fmt_bytes(char *buf, size_t cap, uint64_t bytes);

/* An event rate: "998/s", "12.5k/s", "0.5/s". */
char *ui_fmt_rate(char *buf, size_t cap, double per_s);

/* How a process ended, from a wait status: "exit 0", "exit 3",
 * "killed by SIGTERM", "killed by signal 42", or "status unknown" for -1. */
char *ui_fmt_exit(char *buf, size_t cap, int wait_status);

/* Places a short path is made relative to (borrowed strings, or NULL). */
struct ui_path_ctx {
    const char *cwd;     /* the target's working directory */
    const char *home;    /* $HOME */
};

/* The short form of a source file name: the part after site-packages/ or
 * dist-packages/, after the standard library directory (lib/pythonX.Y/),
 * relative to the target's cwd, or under ~; pseudo-files such as
 * "<frozen ...>" and anything else unchanged. */
char *ui_fmt_path(char *buf, size_t cap, const char *file, const struct ui_path_ctx *ctx);

/* What follows a native (C) function's module where the views show its
 * location (--native). */
#define UI_NATIVE_MARK "[native]"

struct table;
/* The NAME of function func when it is an asyncio task's "[task NAME]"
 * frame: written to buf (cap > 0) and 1; else 0. */
int ui_fmt_task_name(char *buf, size_t cap, const struct table *t, uint32_t func);

#endif
