/* SPDX-License-Identifier: MIT */
/* The profile inside proftui's SVG flame graphs: the collapsed stacks
 * (collapsed.h, with their metadata) in one <metadata> element as CDATA,
 * so that `--open flame.svg` gives back the profile the drawing was made
 * from. CDATA cannot hold "]]>": each one is written as "]]" + "]]>" +
 * "<![CDATA[" + ">" (the usual split); U+FFFE and U+FFFF, which XML does
 * not allow anywhere, become '?' (the collapsed format passes them). */
#ifndef PROFTUI_SVGDATA_H
#define PROFTUI_SVGDATA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "export.h"

struct table;

#define SVGDATA_OPEN "<metadata id=\"proftui-profile\"><![CDATA["
#define SVGDATA_CLOSE "]]></metadata>"

/* Write the element for t and meta to f. 0, ERR_NOMEM or ERR_IO. */
int svgdata_write(FILE *f, const struct table *t, const struct export_meta *meta);

/* Find the element in an SVG file d[0..n) and copy its text, unsplit, to
 * a new buffer (*out, caller frees; NUL-terminated, *outn bytes). Returns
 * 0, ERR_INPUT when there is none or it is not closed, or ERR_NOMEM. */
int svgdata_find(const uint8_t *d, size_t n, char **out, size_t *outn);

#endif
