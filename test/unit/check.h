/* SPDX-License-Identifier: MIT */
/* The unit tests' one way to check and report: counts every check, prints
 * the first failures in full and the rest as a count. */
#ifndef PROFTUI_TEST_CHECK_H
#define PROFTUI_TEST_CHECK_H

#include <stdint.h>

/* Checks made and failed so far. */
extern int check_count, check_failed;

/* Record one check; when !ok, print "FAIL: " and the message. */
void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record that a == b, printing both values when they differ. */
void check_eq(unsigned long long a, unsigned long long b, const char *as, const char *bs,
              const char *file, int line);

/* Record one check made at file:line; when !ok, print the context (if
 * any), the place and the message. */
void check_at(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A prefix for the failures reported from now on (e.g. the layout under
 * test, "3.11"); NULL or "" for none. The string is copied. */
void check_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "<name>: N checks, M failed" and return the exit status. */
int check_report(const char *name);

/* The next value below n (n > 0) of a deterministic xorshift64*
 * generator whose state is *state (any non-zero start), so that every run
 * of a randomized test feeds the same data. */
uint32_t check_rand(uint64_t *state, uint32_t n);

#define CHECK(cond) check((cond), "%s:%d: %s", __FILE__, __LINE__, #cond)
#define CHECKF(cond, ...) check_at((cond), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_EQ(a, b) \
    check_eq((unsigned long long)(a), (unsigned long long)(b), #a, #b, __FILE__, __LINE__)

#endif
