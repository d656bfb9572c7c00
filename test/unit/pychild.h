/* SPDX-License-Identifier: MIT */
/* For the unit tests that read a live interpreter: a Python child running
 * a script given with -c, talked to through its stdin and stdout. */
#ifndef PROFTUI_TEST_PYCHILD_H
#define PROFTUI_TEST_PYCHILD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pychild {
    pid_t pid;
    int in;                   /* its stdin */
    int out;                  /* its stdout */
    char buf[65536];
    size_t len;
};

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t pychild_now_ms(void);

/* Start `python -I -S -c script` with pipes for its stdin and stdout.
 * 0, or -1 when it could not be started. */
int pychild_spawn(const char *python, const char *script, struct pychild *c);

/* Its next line of output (without the newline, cut to cap - 1 bytes),
 * waiting until deadline (pychild_now_ms). 0, or -1 on timeout or end. */
int pychild_read_line(struct pychild *c, char *line, size_t cap, int64_t deadline);

/* End its input (which makes the scripts stop) and reap it, killing it
 * when it has not ended within timeout_ms. */
void pychild_finish(struct pychild *c, int64_t timeout_ms);

/* The main() of a live test whose script prints "version MAJOR MINOR"
 * first: argv[1] is the python; run(c, minor, arg) does the test (0, or
 * PYCHILD_SKIP / another exit status); then name's check report.
 * PYCHILD_SKIP (77) when the script gave no version. */
#define PYCHILD_SKIP 77
int pychild_versioned_main(int argc, char **argv, const char *script, const char *name,
                           int (*run)(struct pychild *c, int minor, void *arg), void *arg);

struct pytarget;
/* The child opened as a target: 0 (*t set; pytarget_free it),
 * PYCHILD_SKIP when its version has no layout table, 1 when it cannot be
 * opened (a failed check). */
int pychild_target(struct pychild *c, struct pytarget **t);

struct walker;
/* pychild_versioned_main for a test of a walker: run(c, minor, w) gets a
 * walker over the child (opened before, freed after). PYCHILD_SKIP when
 * its version has no layout table; a walker that cannot be made is a
 * failed check. */
int pychild_walker_main(int argc, char **argv, const char *script, const char *name,
                        int (*run)(struct pychild *c, int minor, struct walker *w));

#endif
