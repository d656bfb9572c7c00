/* SPDX-License-Identifier: MIT */
/* Human-readable numbers, durations and paths for the live view. */
#include "ui_fmt.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "table.h"

#define NS_US 1000ULL
#define NS_MS 1000000ULL
#define NS_S 1000000000ULL

char *ui_fmt_duration(char *buf, size_t cap, uint64_t ns)
{
    /* Each unit is used only while its rounded value stays below the next
     * unit, so 999.7 ms reads "1.0s", never "1000ms". */
    uint64_t us = (ns + NS_US / 2) / NS_US;
    uint64_t ms = (ns + NS_MS / 2) / NS_MS;
    uint64_t ds = (ns + NS_S / 20) / (NS_S / 10);    /* tenths of a second */
    uint64_t s = (ns + NS_S / 2) / NS_S;
    uint64_t min = (ns + 30 * NS_S) / (60 * NS_S);
    if (ns == 0)
        snprintf(buf, cap, "0");
    else if (ns < NS_US)
        snprintf(buf, cap, "%lluns", (unsigned long long)ns);
    else if (us < 1000)
        snprintf(buf, cap, "%lluus", (unsigned long long)us);
    else if (ms < 1000)
        snprintf(buf, cap, "%llums", (unsigned long long)ms);
    else if (ds < 600)
        snprintf(buf, cap, "%llu.%llus", (unsigned long long)(ds / 10), (unsigned long long)(ds % 10));
    else if (s < 3600)
        snprintf(buf, cap, "%llu'%02llu\"", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
    else
        snprintf(buf, cap, "%lluh%02llu'", (unsigned long long)(min / 60), (unsigned long long)(min % 60));
    return buf;
}

char *ui_fmt_time(char *buf, size_t cap, uint64_t samples, uint64_t sample_ns)
{
    if (!sample_ns) {
        snprintf(buf, cap, "-");
        return buf;
    }
    return ui_fmt_duration(buf, cap, samples * sample_ns);
}

char *ui_fmt_period(char *buf, size_t cap, uint64_t ns)
{
    static const struct { uint64_t scale; const char *unit; } units[] = {
        {NS_S, "s"}, {NS_MS, "ms"}, {NS_US, "us"},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ns < units[i].scale)
            continue;
        double v = (double)ns / (double)units[i].scale;
        snprintf(buf, cap, v < 9.995 ? "%.2f%s" : v < 99.95 ? "%.1f%s" : "%.0f%s", v, units[i].unit);
        return buf;
    }
    snprintf(buf, cap, "%lluns", (unsigned long long)ns);
    return buf;
}

char *ui_fmt_interval(char *buf, size_t cap, uint64_t ns)
{
    if (ns && ns % NS_S == 0)
        snprintf(buf, cap, "%llus", (unsigned long long)(ns / NS_S));
    else if (ns && ns % NS_MS == 0)
        snprintf(buf, cap, "%llums", (unsigned long long)(ns / NS_MS));
    else if (ns && ns % NS_US == 0)
        snprintf(buf, cap, "%lluus", (unsigned long long)(ns / NS_US));
    else
        snprintf(buf, cap, "%lluns", (unsigned long long)ns);
    return buf;
}

char *ui_fmt_count(char *buf, size_t cap, uint64_t n)
{
    /* Each suffix while its value rounds below 999.95 (one decimal). */
    if (n < 100000)
        snprintf(buf, cap, "%llu", (unsigned long long)n);
    else if (n < 999950)
        snprintf(buf, cap, "%.1fk", (double)n / 1e3);
    else if (n < 999950000ULL)
        snprintf(buf, cap, "%.1fM", (double)n / 1e6);
    else
        snprintf(buf, cap, "%.1fG", (double)n / 1e9);
    return buf;
}

char *ui_fmt_count_full(char *buf, size_t cap, uint64_t n)
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    char out[32];
    int o = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    snprintf(buf, cap, "%s", out);
    return buf;
}

/* part / whole in percent with `decimals` decimals; a non-zero part that
 * would round to 0 as `tiny`; "-" when whole is 0. */
static char *share(char *buf, size_t cap, uint64_t part, uint64_t whole, int decimals, const char *tiny)
{
    if (whole == 0) {
        snprintf(buf, cap, "-");
        return buf;
    }
    double pct = 100.0 * (double)part / (double)whole;
    if (part && pct <= (decimals ? 0.05 : 0.5))        /* printf would round it to 0 */
        snprintf(buf, cap, "%s", tiny);
    else
        snprintf(buf, cap, "%.*f%%", decimals, pct);
    return buf;
}

char *ui_fmt_split(char *buf, size_t cap, uint64_t part, uint64_t whole)
{
    return share(buf, cap, part, whole, 0, "<1%");
}

char *ui_fmt_pct(char *buf, size_t cap, uint64_t part, uint64_t whole)
{
    return share(buf, cap, part, whole, 1, "<0.1%");
}

char *ui_fmt_threshold(char *buf, size_t cap, double pct)
{
    /* %g drops trailing zeros: 0.5 -> "0.5", 5 -> "5". */
    snprintf(buf, cap, "%.3g%%", pct < 0 ? 0.0 : pct);
    return buf;
}

char *ui_fmt_bytes(char *buf, size_t cap, uint64_t bytes)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    if (bytes < 1024) {
        snprintf(buf, cap, "%llu B", (unsigned long long)bytes);
        return buf;
    }
    double v = (double)bytes / 1024.0;
    size_t u = 0;
    while (v >= 1023.95 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024.0;
        u++;
    }
    if (v < 9.995)
        snprintf(buf, cap, "%.2f %s", v, units[u]);
    else if (v < 99.95)
        snprintf(buf, cap, "%.1f %s", v, units[u]);
    else
        snprintf(buf, cap, "%.0f %s", v, units[u]);
    return buf;
}

char *ui_fmt_rate(char *buf, size_t cap, double per_s)
{
    if (!(per_s > 0))
        snprintf(buf, cap, "0/s");
    else if (per_s < 9.95)
        snprintf(buf, cap, "%.1f/s", per_s);
    else if (per_s < 99999.5)
        snprintf(buf, cap, "%.0f/s", per_s);
    else
        snprintf(buf, cap, "%.1fk/s", per_s / 1e3);
    return buf;
}

static const char *signal_name(int sig)
{
    static const struct { int sig; const char *name; } names[] = {
        {SIGHUP, "SIGHUP"}, {SIGINT, "SIGINT"}, {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
        {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"}, {SIGFPE, "SIGFPE"},
        {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
        {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"}, {SIGXCPU, "SIGXCPU"},
        {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].sig == sig)
            return names[i].name;
    return NULL;
}

char *ui_fmt_exit(char *buf, size_t cap, int wait_status)
{
    if (wait_status == -1) {
        snprintf(buf, cap, "status unknown");
    } else if (WIFEXITED(wait_status)) {
        snprintf(buf, cap, "exit %d", WEXITSTATUS(wait_status));
    } else if (WIFSIGNALED(wait_status)) {
        const char *name = signal_name(WTERMSIG(wait_status));
        if (name)
            snprintf(buf, cap, "killed by %s", name);
        else
            snprintf(buf, cap, "killed by signal %d", WTERMSIG(wait_status));
    } else {
        snprintf(buf, cap, "status 0x%x", (unsigned)wait_status);
    }
    return buf;
}

/* The part of file after the first occurrence of marker, or NULL. */
static const char *after(const char *file, const char *marker)
{
    const char *p = strstr(file, marker);
    return p && p[strlen(marker)] ? p + strlen(marker) : NULL;
}

/* The part after ".../lib/pythonX.Y/" (the standard library), or NULL. */
static const char *after_stdlib(const char *file)
{
    for (const char *p = strstr(file, "/lib/python"); p; p = strstr(p + 1, "/lib/python")) {
        const char *q = p + strlen("/lib/python");
        while ((*q >= '0' && *q <= '9') || *q == '.')
            q++;
        if (q > p + strlen("/lib/python") && *q == '/' && q[1])
            return q + 1;
    }
    return NULL;
}

/* The part of file under dir ("dir/x" -> "x"), or NULL. */
static const char *under(const char *file, const char *dir)
{
    size_t n = dir ? strlen(dir) : 0;
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n == 0 || strncmp(file, dir, n) != 0 || file[n] != '/' || !file[n + 1])
        return NULL;
    return file + n + 1;
}

char *ui_fmt_path(char *buf, size_t cap, const char *file, const struct ui_path_ctx *ctx)
{
    const char *rest;
    if (file[0] != '/') {
        snprintf(buf, cap, "%s", file);       /* relative, "<frozen ...>", "<string>" */
    } else if ((rest = after(file, "/site-packages/")) || (rest = after(file, "/dist-packages/"))) {
        snprintf(buf, cap, "%s", rest);
    } else if ((rest = after_stdlib(file))) {
        snprintf(buf, cap, "%s", rest);
    } else if (ctx && (rest = under(file, ctx->cwd))) {
        snprintf(buf, cap, "%s", rest);
    } else if (ctx && (rest = under(file, ctx->home))) {
        snprintf(buf, cap, "~/%s", rest);
    } else {
        snprintf(buf, cap, "%s", file);
    }
    return buf;
}

int ui_fmt_task_name(char *buf, size_t cap, const struct table *t, uint32_t func)
{
    const char *name = table_func_name(t, func);
    size_t pre = sizeof TABLE_TASK_PREFIX - 1, len = strlen(name);
    if (func == TABLE_NONE || len <= pre || strncmp(name, TABLE_TASK_PREFIX, pre) != 0 ||
        name[len - 1] != ']' || *table_func_file(t, func))
        return 0;
    snprintf(buf, cap, "%.*s", (int)(len - pre - 1), name + pre);
    return 1;
}
