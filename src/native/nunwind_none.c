/* SPDX-License-Identifier: MIT */
/* The native unwinder in a build without libunwind (or not on x86-64):
 * there is none, and nunwind_new() says so. */
#include <stddef.h>

#include "error.h"
#include "nunwind.h"

int nunwind_new(uint32_t pid, struct nunwind **out)
{
    (void)pid;
    *out = NULL;
    return ERR_UNSUPPORTED;
}

void nunwind_free(struct nunwind *u)
{
    (void)u;
}

int nunwind_stack(struct nunwind *u, const struct nsample *s, uint64_t *ips, uint64_t *sps,
                  int max, int *complete)
{
    *complete = 0;
    return ERR_UNSUPPORTED;
}

int nunwind_symbol(struct nunwind *u, uint64_t ip, struct nsym *out)
{
    *out = (struct nsym){.module = ""};
    return ERR_UNSUPPORTED;
}
