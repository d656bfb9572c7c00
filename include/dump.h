/* SPDX-License-Identifier: MIT */
/* One-shot dump (--dump -p PID): every thread's current Python stack read
 * once, while the target runs (process_vm_readv only: it is never
 * stopped), printed innermost frame first, like py-spy dump:
 *
 *     Process 1234: python3 app.py
 *     Python v3.12.1 (/usr/bin/python3.12)
 *
 *     Thread 1234 (idle): "MainThread"
 *         wait (/usr/lib/python3.12/threading.py:355)
 *         main (app.py:40)
 *
 * or, with --json, one JSON object for scripts (see dump_print). A thread
 * is active when it ran in the DUMP_CPU_LOOKS * DUMP_CPU_EVERY_NS (0.2 s)
 * after the stacks were read: it was on a CPU at one of the looks
 * (taskstat.h, as --cpu measures it) or its CPU time grew meanwhile; idle
 * otherwise. After it, what the interpreter says of the thread in the
 * round its stack was read: "holds GIL", "waits for GIL", "in GC" (e.g.
 * "Thread 1235 (active, holds GIL, in GC)"), each only when known and
 * true (walker.h: walk_stack gil, gil_wait, gc; before 3.15, where the
 * interpreter does not say who waits, "waits for GIL" is a thread asleep
 * on the GIL's lock, read from the kernel just after its stack: taskstat_futex).
 * A stack that cannot be read
 * consistently is read again in fresh rounds, DUMP_TRIES in all, and
 * then reported as unreadable with the reason. Everything read from the
 * target is escaped: control characters and invalid UTF-8 cannot reach
 * the terminal or break the JSON. */
#ifndef PROFTUI_DUMP_H
#define PROFTUI_DUMP_H

#include <stdio.h>

struct pytarget;

#define DUMP_TRIES 5             /* rounds for a stack that cannot be read */
#define DUMP_CPU_LOOKS 40        /* on-CPU checks per thread ... */
#define DUMP_CPU_EVERY_NS 5000000ULL   /* ... this far apart */

/* Dump the threads of t (attached, ready: pytarget_ready() was 0) to out:
 * text, or when json one object
 *   {"pid", "command", "python_version", "executable", "proftui_version",
 *    "threads": [{"tid", "name", "active", "gil", "gil_wait", "gc",
 *                 "truncated", "error", "frames": [{"name", "file", "line"}]}]}
 * where "gil", "gil_wait" and "gc" are true, false or null (unknown for
 * this interpreter or not readable),
 * "error" is null or why the stack could not be read ("torn",
 * "cycle", "corrupt", "read"), "line" is null when unknown, and frames
 * are innermost first. Returns 0, ERR_NOMEM, ERR_IO (writing out), or
 * the walker's error when no thread list could be read in DUMP_TRIES
 * rounds (ERR_EXITED, ERR_READ ...). */
int dump_print(struct pytarget *t, int json, FILE *out);

/* dump_print, and when tasks (--async) the asyncio tasks after the
 * threads: each task's name (Task.get_name()), its thread, running or
 * waiting, its frames innermost first (a running task: its thread's stack
 * down to its coroutine's frame; a waiting one: its coroutine chain down
 * to the await it is parked on) and the task that awaits it. In text a
 * "Tasks: N" section; in JSON the object gains
 *   "tasks": [{"id", "name", "tid", "running", "truncated", "error",
 *              "awaited_by", "awaited_by_name", "frames": [...]}],
 *   "tasks_cut": N
 * where "id" and "awaited_by" are task addresses ("0x..."), "tid" and
 * "awaited_by*" null when unknown, "error" as a thread's, and tasks_cut
 * the tasks beyond TASKWALK_MAX_TASKS that were not read. Returns what
 * dump_print returns, or ERR_VERSION (nothing printed) when tasks is set
 * and the target's CPython is older than 3.11. */
int dump_print_async(struct pytarget *t, int json, int tasks, FILE *out);

/* dump_print_async, and with json and open the object is left open (no
 * closing brace and newline), for dump_print_tree to add to it. */
int dump_print_one(struct pytarget *t, int json, int tasks, int open, FILE *out);

#define DUMP_PROCS_MAX 256       /* descendants looked at */

/* dump_print_async of t, then (follow) of every descendant process that
 * runs CPython, parents before children, each as its own block in text
 * ("Process PID: ..." headed "Subprocess of PID ROOT"); in JSON the root
 * object gains
 *   "subprocesses": [OBJECT, ...]
 * each an object as the root's (without subprocesses), or for a
 * descendant that runs CPython but cannot be read {"pid", "command",
 * "error"} (a version proftui refuses, not permitted, no Python thread
 * yet: error says so; in text one line). Descendants that run no CPython
 * (a shell, a compiler) are left out. --async lists the tasks of those
 * that have them (3.11+). Returns what dump_print_async returns for t;
 * a descendant that cannot be read does not fail the dump. */
int dump_print_tree(struct pytarget *t, int json, int tasks, int follow, FILE *out);

/* Write s as a JSON string (quotes included): '"', '\\', control
 * characters (C0, DEL, C1, U+2028, U+2029) escaped, each invalid UTF-8
 * byte as U+FFFD, as the speedscope writer does. */
void dump_json_string(FILE *out, const char *s);

/* Write s for a terminal: '"' and '\\' escaped when quoted, control
 * characters and each invalid UTF-8 byte as \xNN, C1 controls, line
 * separators and bidirectional controls as \uXXXX; other UTF-8 kept. */
void dump_text_string(FILE *out, const char *s, int quoted);

#endif
