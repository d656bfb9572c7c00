/* SPDX-License-Identifier: MIT */
/* Where a frame's code comes from, by its file name: the user's code, the
 * standard library, installed packages, the interpreter's own (no file).
 * The live flame graph and the SVG flame graph colour frames by it. */
#ifndef PROFTUI_FAMILY_H
#define PROFTUI_FAMILY_H

enum code_family {
    CODE_FAM_USER,       /* under the target's working directory, or a relative path */
    CODE_FAM_STDLIB,     /* .../lib/pythonX.Y/ outside site-packages */
    CODE_FAM_SITE,       /* site-packages / dist-packages */
    CODE_FAM_BUILTIN,    /* <frozen ...>, <string>, <built-in>...: no file */
    CODE_FAM_OTHER,      /* anything else (and the root) */
    CODE_FAM_COUNT
};

/* The family of a source file name; cwd (may be NULL) is the target's
 * working directory, under which code is the user's own. */
enum code_family code_family_of(const char *file, const char *cwd);

#endif
