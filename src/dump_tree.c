/* SPDX-License-Identifier: MIT */
/* --dump of a process tree: the target, then every descendant that runs
 * CPython (worker processes, subprocesses, a Python behind a shell), each
 * read once as the target is (dump.h). */
#include "dump.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "error.h"
#include "procstat.h"
#include "proctree.h"
#include "pytarget.h"

#define COMMAND_MAX 4096

/* The command line of pid, its arguments joined by spaces ("" when gone). */
static void command_of(pid_t pid, char *out, size_t cap)
{
    char buf[COMMAND_MAX], *argv[256];
    int argc = procstat_cmdline(pid, buf, sizeof buf, argv, 256);
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < argc && len + 1 < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? " " : "", argv[i]);
}

/* A descendant that runs CPython but cannot be read: one line, or an
 * object of the subprocesses' array. */
static void print_unreadable(FILE *out, pid_t pid, const char *why, int json, int first)
{
    char cmd[COMMAND_MAX];
    command_of(pid, cmd, sizeof cmd);
    if (json) {
        fprintf(out, "%s{\"pid\":%d,\"command\":", first ? "" : ",", (int)pid);
        dump_json_string(out, cmd);
        fputs(",\"error\":", out);
        dump_json_string(out, why);
        fputc('}', out);
        return;
    }
    fprintf(out, "\nProcess %d: ", (int)pid);
    dump_text_string(out, cmd, 0);
    fputs("\n    cannot read its stacks: ", out);
    dump_text_string(out, why, 0);
    fputc('\n', out);
}

/* Why a descendant running CPython cannot be read, or NULL when it runs
 * none (it is then left out). */
static const char *open_error(int rc, const char *version_why)
{
    switch (rc) {
    case ERR_NOT_PYTHON:
    case ERR_NO_PROCESS:
        return NULL;
    case ERR_VERSION:
        return *version_why ? version_why : "a Python version proftui does not support";
    case ERR_PERM:
        return "not permitted to read its memory";
    default:
        return err_str(rc);
    }
}

/* Descendant pid: its block, or why it cannot be read. 1 when something
 * was printed, 0 when it runs no CPython, ERR_IO when writing failed. */
static int dump_child(pid_t pid, pid_t root, int json, int tasks, int first, FILE *out)
{
    struct pytarget *t = NULL;
    char why[200] = "";
    int rc = pytarget_open(pid, &t, why, sizeof why);
    const char *err = rc < 0 ? open_error(rc, why) : NULL;
    if (rc < 0) {
        if (err)
            print_unreadable(out, pid, err, json, first);
        return err ? 1 : 0;
    }
    rc = pytarget_ready(t);
    if (rc < 0) {
        print_unreadable(out, pid, rc == ERR_NOT_READY ? "no Python thread running yet" : err_str(rc), json,
                         first);
        pytarget_free(t);
        return 1;
    }
    pytarget_refine_version(t);
    if (json)
        fputs(first ? "" : ",", out);
    else
        fprintf(out, "\nSubprocess of PID %d\n", (int)root);
    /* --async: the tasks of those that have them (3.11+: before, nothing
     * is printed and ERR_VERSION says so) */
    rc = dump_print_one(t, json, tasks, 1, out);
    if (rc == ERR_VERSION)
        rc = dump_print_one(t, json, 0, 1, out);
    if (json && rc == 0)
        fputc('}', out);
    if (rc < 0 && rc != ERR_IO)
        print_unreadable(out, pid, err_str(rc), json, 1);
    pytarget_free(t);
    return rc == ERR_IO ? ERR_IO : 1;
}

int dump_print_tree(struct pytarget *t, int json, int tasks, int follow, FILE *out)
{
    if (!follow)
        return dump_print_async(t, json, tasks, out);
    int rc = dump_print_one(t, json, tasks, json, out);
    if (rc < 0)
        return rc;
    pid_t *pids = malloc(DUMP_PROCS_MAX * sizeof *pids);
    int nomem = !pids;
    size_t n = pids ? proctree_descendants(t->pid, pids, DUMP_PROCS_MAX) : 0;
    if (json)
        fputs(",\"subprocesses\":[", out);
    int first = 1;
    for (size_t i = 0; i < n && rc >= 0; i++) {
        rc = dump_child(pids[i], t->pid, json, tasks, first, out);
        first &= rc <= 0;
    }
    free(pids);
    if (json)
        fputs("]}\n", out);
    if (rc == ERR_IO || fflush(out) != 0 || ferror(out))
        return ERR_IO;
    return nomem ? ERR_NOMEM : 0;
}
