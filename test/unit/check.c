/* SPDX-License-Identifier: MIT */
/* Shared check/report helpers of the unit tests. */
#include "check.h"

#include <stdarg.h>
#include <stdio.h>

#define MAX_REPORTED 25     /* failures printed in full; the rest are counted */

int check_count, check_failed;
static char context[64];

static void report(int ok, const char *file, int line, const char *fmt, va_list ap)
{
    check_count++;
    if (ok || check_failed++ >= MAX_REPORTED)
        return;
    printf("FAIL: %s%s", context, context[0] ? " " : "");
    if (file)
        printf("%s:%d: ", file, line);
    vprintf(fmt, ap);
    fputc('\n', stdout);
}

void check(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(ok, NULL, 0, fmt, ap);
    va_end(ap);
}

void check_at(int ok, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(ok, file, line, fmt, ap);
    va_end(ap);
}

void check_context(const char *fmt, ...)
{
    context[0] = '\0';
    if (!fmt)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(context, sizeof context, fmt, ap);
    va_end(ap);
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

uint32_t check_rand(uint64_t *state, uint32_t n)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (uint32_t)((*state * UINT64_C(0x2545F4914F6CDD1D)) >> 32) % n;
}
