/* SPDX-License-Identifier: MIT */
/* Shared check/report helpers of the unit tests. */
#include "check.h"

#include <stdarg.h>
#include <stdio.h>

#define MAX_REPORTED 25     /* failures printed in full; the rest are counted */

int check_count, check_failed;

void check(int ok, const char *fmt, ...)
{
    check_count++;
    if (ok)
        return;
    if (check_failed++ >= MAX_REPORTED)
        return;
    va_list ap;
    fputs("FAIL: ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

void check_eq(unsigned long long a, unsigned long long b, const char *as, const char *bs,
              const char *file, int line)
{
    check(a == b, "%s:%d: %s == %llu, expected %s == %llu", file, line, as, a, bs, b);
}

int check_report(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failed);
    fflush(stdout);
    return check_failed ? 1 : 0;
}
