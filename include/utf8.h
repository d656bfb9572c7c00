/* SPDX-License-Identifier: MIT */
/* UTF-8 checks for the writers of untrusted names (names, files and
 * thread names come from the target): one well-formed sequence at a time. */
#ifndef PROFTUI_UTF8_H
#define PROFTUI_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length (1..4) of the well-formed UTF-8 sequence at s with its code point
 * in *cp, or 0 when the bytes at s are not well-formed UTF-8 (RFC 3629: no
 * overlongs, no surrogates, nothing above U+10FFFF). s is NUL-terminated;
 * a NUL ends a sequence as invalid before anything past it is read. */
size_t utf8_seq(const unsigned char *s, uint32_t *cp);

/* Characters that end a line for some reader or that a terminal acts on:
 * C0 controls, DEL, C1 controls, U+2028 and U+2029. */
int utf8_is_control(uint32_t cp);

#endif
