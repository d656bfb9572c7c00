/* SPDX-License-Identifier: MIT */
/* Attach-time discovery: the CPython binary in /proc/PID/maps, _PyRuntime,
 * the version and the layout table. */
#include "pytarget.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfsym.h"
#include "error.h"
#include "maps.h"
#include "procmem.h"
#include "pydict.h"
#include "pymodule.h"
#include "pystr.h"
#include "reader.h"

/* glibc (x86-64, 2.26 and later) keeps `pid_t tid` here in struct pthread;
 * checked against the live target before use, with a scan as fallback. */
#define GLIBC_TID_OFFSET 0x2d0
#define PTHREAD_SCAN_BYTES 2048

enum { Q_RUNTIME, Q_VERSION, Q_SECTION, Q_CODE_TYPE, Q_FRAME_TYPE, Q_COUNT };

/* Parse "X.Y" after prefix in a file's base name, e.g. libpython3.11.so. */
static int name_version(const char *path, const char *prefix, int *major, int *minor)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(prefix);
    if (strncmp(base, prefix, n) != 0)
        return -1;
    if (sscanf(base + n, "%d.%d", major, minor) != 2 || *major < 2 || *major > 3 ||
        *minor < 0 || *minor > 99)
        return -1;
    return 0;
}

static int version_from_name(const char *path, const char *prefix, int *minor)
{
    int major;
    if (name_version(path, prefix, &major, minor) < 0 || major != 3)
        return -1;
    return 0;
}

/* Look for _PyRuntime in one mapped file; on success fill t->runtime,
 * t->binary and (when Py_Version exists) t->hexversion. */
static int probe_binary(struct pytarget *t, const struct maps *m, const char *path)
{
    const struct map_entry *base = maps_file_base(m, path);
    if (!base)
        return ERR_NOT_PYTHON;
    char full[600];
    snprintf(full, sizeof full, "/proc/%d/root%s", (int)t->pid, path);
    struct elfsym_query q[Q_COUNT] = {
        [Q_RUNTIME] = {.name = "_PyRuntime"},
        [Q_VERSION] = {.name = "Py_Version"},
        [Q_SECTION] = {.name = ".PyRuntime", .is_section = 1},
        [Q_CODE_TYPE] = {.name = "PyCode_Type"},
        [Q_FRAME_TYPE] = {.name = "PyFrame_Type"},
    };
    uint64_t load = 0;
    if (elfsym_lookup(full, q, Q_COUNT, &load) < 0 && elfsym_lookup(path, q, Q_COUNT, &load) < 0)
        return ERR_NOT_PYTHON;
    uint64_t rt = q[Q_RUNTIME].value ? q[Q_RUNTIME].value : q[Q_SECTION].value;
    if (!rt)
        return ERR_NOT_PYTHON;
    t->runtime = rt - load + base->start;
    /* Every code object's ob_type must be this: a cheap check against torn
     * frames and freed code objects. */
    if (q[Q_CODE_TYPE].value)
        t->code_type = q[Q_CODE_TYPE].value - load + base->start;
    /* <= 3.10: every frame on a stack is a PyFrameObject (see framewalk.c). */
    if (q[Q_FRAME_TYPE].value)
        t->frame_type = q[Q_FRAME_TYPE].value - load + base->start;
    snprintf(t->binary, sizeof t->binary, "%s", path);
    if (q[Q_VERSION].value) {
        uint32_t hex = 0;
        if (reader_read(t->r, q[Q_VERSION].value - load + base->start, sizeof hex, &hex) == 0)
            t->hexversion = hex;
    }
    return 0;
}

static int find_runtime(struct pytarget *t, const struct maps *m)
{
    const struct map_entry *lib = maps_find_file(m, "libpython3.");
    if (lib && probe_binary(t, m, lib->path) == 0)
        return 0;
    char exe[64], path[512];
    snprintf(exe, sizeof exe, "/proc/%d/exe", (int)t->pid);
    ssize_t n = readlink(exe, path, sizeof path - 1);
    if (n <= 0)
        return ERR_NOT_PYTHON;
    path[n] = '\0';
    return probe_binary(t, m, path);
}

/* A free-threaded build's file name ends its version with 't':
 * python3.13t, libpython3.13t.so.1.0 (what Py_GIL_DISABLED builds install). */
static int name_free_threaded(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *v = strstr(base, "python3.");
    if (!v)
        return 0;
    v += strlen("python3.");
    while (*v >= '0' && *v <= '9')
        v++;
    return *v == 't';
}

/* Say in t->why why the target cannot be sampled; returns ERR_VERSION. */
__attribute__((format(printf, 2, 3)))
static int refuse(struct pytarget *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->why, sizeof t->why, fmt, ap);
    va_end(ap);
    return ERR_VERSION;
}

/* 3.13+: the table refreshed from the target's _Py_DebugOffsets. A failure
 * leaves a known version on its built-in table (with a warning) and
 * refuses a version newer than every table. */
static int refresh_layout(struct pytarget *t, const struct py_layout *table, int minor)
{
    struct pylayout_debug_info info;
    int rc = pylayout_from_debug_offsets(t->r, t->runtime, &t->layout, &info);
    if (rc == ERR_EXITED)
        return rc;
    if (rc == 0 && info.newer)
        snprintf(t->warning, sizeof t->warning, "Python %s is newer than proftui knows (3.%d-3.%d); "
                 "layout from its debug offsets and the 3.%d table", t->version,
                 pylayout_min_minor(), table->minor, table->minor);
    if (rc == 0)
        return 0;
    if (table->minor != minor)
        return refuse(t, "Python %s, newer than proftui knows (3.%d-3.%d), whose layout cannot "
                      "be read: %s", t->version, pylayout_min_minor(), table->minor,
                      info.why ? info.why : err_str(rc));
    snprintf(t->warning, sizeof t->warning, "Python %s: %s; using the built-in 3.%d table",
             t->version, info.why ? info.why : err_str(rc), minor);
    return 0;
}

int pytarget_choose_layout(struct pytarget *t, int minor)
{
    struct pylayout_debug_header h;
    int rc = minor >= 13 ? pylayout_debug_header(t->r, t->runtime, &h) : ERR_VERSION;
    if (rc == ERR_EXITED)
        return rc;
    /* Free-threaded builds (3.13t+) say so in _Py_DebugOffsets; their file
     * names say it too, for a block we cannot read. */
    int ft = rc == 0 ? h.free_threaded : name_free_threaded(t->binary);
    t->why[0] = t->warning[0] = '\0';
    const struct py_layout *l = pylayout_closest(minor, ft);
    if (!l && ft)
        return refuse(t, "Python %s (free-threaded): free-threaded builds (3.13t+) are not "
                      "supported yet", t->version);
    if (!l)
        return refuse(t, "Python %s, which proftui does not support (it needs 3.%d or newer)",
                      t->version, pylayout_min_minor());
    t->layout = *l;
    if (minor >= 13 && (rc = refresh_layout(t, l, minor)) < 0)
        return rc;
    if (pylayout_check(&t->layout) < 0)
        return refuse(t, "Python %s, whose layout fails proftui's checks", t->version);
    return 0;
}

static int choose_version(struct pytarget *t, const struct maps *m)
{
    int minor = -1;
    if (t->hexversion >> 24 == 3)
        minor = (int)(t->hexversion >> 16) & 0xff;
    else if (version_from_name(t->binary, "libpython", &minor) < 0 &&
             version_from_name(t->binary, "python", &minor) < 0)
        return ERR_VERSION;
    if (t->hexversion >> 24 == 3)
        snprintf(t->version, sizeof t->version, "3.%d.%d", minor, (int)(t->hexversion >> 8) & 0xff);
    else
        snprintf(t->version, sizeof t->version, "3.%d", minor);
    (void)m;
    return pytarget_choose_layout(t, minor);
}

int pytarget_open(pid_t pid, struct pytarget **out, char *why, size_t why_cap)
{
    if (why_cap)
        why[0] = '\0';
    struct pytarget *t = calloc(1, sizeof *t);
    if (!t)
        return ERR_NOMEM;
    t->pid = pid;
    t->pthread_tid_off = -1;
    struct maps m = {0};
    int rc = procmem_open(pid, &t->mem);
    if (rc < 0)
        goto fail;
    t->r = procmem_reader(t->mem);
    rc = maps_read(pid, &m);
    if (rc < 0)
        goto fail;
    rc = find_runtime(t, &m);
    if (rc < 0) {
        /* Python before 3.7 has no _PyRuntime: say "unsupported", not "not
         * Python". A newer version in the name of a file without _PyRuntime
         * is only a name (any program can be called python3.12). */
        char v[16];
        int major = 0, minor = 0;
        if (pytarget_guess_version(pid, v, sizeof v) == 0 && sscanf(v, "%d.%d", &major, &minor) == 2 &&
            (major == 2 || (major == 3 && minor < 7))) {
            rc = ERR_VERSION;
            snprintf(t->version, sizeof t->version, "%s", v);
            refuse(t, "Python %s, which proftui does not support (it needs 3.%d or newer)",
                   t->version, pylayout_min_minor());
        }
        goto fail;
    }
    rc = choose_version(t, &m);
    if (rc < 0)
        goto fail;
    maps_free(&m);
    *out = t;
    return 0;
fail:
    if (rc == ERR_VERSION && why_cap)
        snprintf(why, why_cap, "%s", t->why);
    maps_free(&m);
    pytarget_free(t);
    return rc;
}

int pytarget_guess_version(pid_t pid, char *buf, size_t cap)
{
    struct maps m = {0};
    char exe[64], path[512];
    int major = 0, minor = 0, found = -1;
    if (maps_read(pid, &m) == 0) {
        const struct map_entry *lib = maps_find_file(&m, "libpython");
        if (lib)
            found = name_version(lib->path, "libpython", &major, &minor);
        maps_free(&m);
    }
    snprintf(exe, sizeof exe, "/proc/%d/exe", (int)pid);
    ssize_t n = found < 0 ? readlink(exe, path, sizeof path - 1) : -1;
    if (n > 0) {
        path[n] = '\0';
        found = name_version(path, "python", &major, &minor);
    }
    if (found < 0)
        return ERR_NOT_PYTHON;
    snprintf(buf, cap, "%d.%d", major, minor);
    return 0;
}

void pytarget_free(struct pytarget *t)
{
    if (!t)
        return;
    procmem_close(t->mem);
    free(t);
}

static int read_ptr(struct pytarget *t, uint64_t base, int32_t off, uint64_t *v)
{
    if (off < 0)
        return ERR_CORRUPT;
    return reader_read_ptr(t->r, base + (uint64_t)off, v);
}

int pytarget_ready(struct pytarget *t)
{
    const struct py_layout *l = &t->layout;
    uint64_t interp = 0, tstate = 0, frame = 0;
    int rc = read_ptr(t, t->runtime, l->runtime_interpreters_head, &interp);
    if (rc < 0)
        return rc;
    if (!reader_addr_ok(interp, 8))
        return ERR_NOT_READY;
    rc = read_ptr(t, interp, l->interp_threads_head, &tstate);
    if (rc < 0 || !reader_addr_ok(tstate, 8))
        return ERR_NOT_READY;
    rc = read_ptr(t, tstate, l->tstate_frame, &frame);
    if (rc < 0 || !reader_addr_ok(frame, 8))
        return ERR_NOT_READY;
    if (l->cframe_current_frame >= 0) {
        rc = read_ptr(t, frame, l->cframe_current_frame, &frame);
        if (rc < 0 || !reader_addr_ok(frame, 8))
            return ERR_NOT_READY;
    }
    return 0;
}

static int task_exists(pid_t pid, int32_t tid)
{
    char path[64];
    if (tid <= 0)
        return 0;
    snprintf(path, sizeof path, "/proc/%d/task/%d", (int)pid, (int)tid);
    return access(path, F_OK) == 0;
}

/* Find where glibc keeps the tid in struct pthread, using a thread whose
 * struct we can read: the offset must hold one of the target's tasks. */
static void learn_tid_offset(struct pytarget *t, uint64_t ident)
{
    int32_t v;
    if (reader_read(t->r, ident + GLIBC_TID_OFFSET, sizeof v, &v) == 0 && task_exists(t->pid, v)) {
        t->pthread_tid_off = GLIBC_TID_OFFSET;
        return;
    }
    int32_t buf[PTHREAD_SCAN_BYTES / 4];
    if (reader_read(t->r, ident, sizeof buf, buf) < 0)
        return;
    for (size_t i = 0; i < PTHREAD_SCAN_BYTES / 4; i++)
        if (buf[i] == t->pid) {        /* the main thread's tid is the pid */
            t->pthread_tid_off = (int32_t)(i * 4);
            return;
        }
}

uint64_t pytarget_tid(struct pytarget *t, uint64_t pthread_ident, uint64_t native_tid)
{
    if (t->layout.tstate_native_thread_id >= 0)
        return native_tid;
    if (!reader_addr_ok(pthread_ident, 8))
        return 0;
    if (t->pthread_tid_off < 0)
        learn_tid_offset(t, pthread_ident);
    if (t->pthread_tid_off < 0)
        return 0;
    int32_t tid;
    if (reader_read(t->r, pthread_ident + (uint64_t)t->pthread_tid_off, sizeof tid, &tid) < 0 || tid <= 0)
        return 0;
    return (uint64_t)tid;
}

void pytarget_refine_version(struct pytarget *t)
{
    uint64_t interp = 0, sysdict = 0, version = 0;
    char text[64];
    int major = 0, minor = 0, micro = 0;
    if (t->hexversion || reader_read_ptr(t->r, t->runtime + (uint64_t)t->layout.runtime_interpreters_head, &interp) < 0)
        return;
    if (pymodule_dict(t->r, &t->layout, interp, "sys", &sysdict) < 0 ||
        pydict_lookup_str(t->r, &t->layout, sysdict, "version", &version) < 0 || !version ||
        pystr_read(t->r, &t->layout, version, text, sizeof text) < 0)
        return;
    /* sys.version starts "3.8.18 (default, ...)"; trust it only when it
     * agrees with the minor version we attached with. */
    if (sscanf(text, "%d.%d.%d", &major, &minor, &micro) == 3 && major == 3 &&
        minor == t->layout.minor && micro >= 0 && micro < 100)
        snprintf(t->version, sizeof t->version, "3.%d.%d", minor, micro);
}
