/* SPDX-License-Identifier: MIT */
/* Unit tests of the thread-file parsers (src/os/taskread.c) on made-up
 * and real text: schedstat, status, sched (its fields found only below
 * the line of dashes, whatever the thread's name says), syscall. */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "check.h"
#include "error.h"
#include "taskread.h"

#define SCHED_BODY                                                      \
    "-------------------------------------------------------------------\n" \
    "se.exec_start                                :      70636286.893816\n" \
    "se.vruntime                                  :        155809.499674\n" \
    "se.sum_exec_runtime                          :             1.000000\n" \
    "nr_switches                                  :                   12\n" \
    "nr_voluntary_switches                        :                    9\n" \
    "nr_involuntary_switches                      :                    3\n" \
    "se.load.weight                               :              1048576\n"

static void test_schedstat(void)
{
    uint64_t run = 0, arr = 0;
    CHECK_EQ(taskread_parse_schedstat("123 45 6\n", &run, &arr), 0);
    CHECK(run == 123 && arr == 6);
    CHECK_EQ(taskread_parse_schedstat("123 45\n", &run, &arr), ERR_READ);
    CHECK_EQ(taskread_parse_schedstat("99999999999999999999999 1 1\n", &run, &arr), ERR_READ);
    CHECK_EQ(taskread_parse_schedstat("", &run, &arr), ERR_READ);
}

static void test_status(void)
{
    struct task_switches sw;
    const char *s = "Name:\tx\nState:\tR (running)\nvoluntary_ctxt_switches:\t7\n"
                    "nonvoluntary_ctxt_switches:\t2\n";
    CHECK_EQ(taskread_parse_status(s, &sw), 0);
    CHECK(sw.vol == 7 && sw.invol == 2 && sw.state_r == 1 && !sw.have_exec);
    s = "Name:\tx\nState:\tS (sleeping)\nvoluntary_ctxt_switches:\t7\n"
        "nonvoluntary_ctxt_switches:\t2\n";
    CHECK_EQ(taskread_parse_status(s, &sw), 0);
    CHECK_EQ(sw.state_r, 0);
    CHECK_EQ(taskread_parse_status("Name:\tx\nState:\tR (running)\n", &sw), ERR_READ);
}

static void test_sched(void)
{
    struct task_switches sw;
    CHECK_EQ(taskread_parse_sched("python3 (1234, #threads: 3)\n" SCHED_BODY, &sw), 0);
    CHECK(sw.vol == 9 && sw.invol == 3 && sw.state_r == -1 && sw.have_exec);
    CHECK(sw.exec_start == 70636286ULL * 1000000ULL + 893816ULL);
    uint64_t ns = 0;
    CHECK_EQ(taskread_parse_exec_start("t (1, #threads: 1)\n" SCHED_BODY, &ns), 0);
    CHECK(ns == sw.exec_start);
    /* A thread named to look like fields: only what is under the dashes counts. */
    const char *fake = "x\nnr_voluntary_switches : 1\nnr_involuntary_switches : 1\n"
                       "se.exec_start : 1.000000 (1, #threads: 1)\n"
                       "-------------------------------------------------------------------\n"
                       "se.vruntime                                  :        155809.499674\n";
    CHECK_EQ(taskread_parse_sched(fake, &sw), ERR_READ);
    CHECK_EQ(taskread_parse_exec_start(fake, &ns), ERR_READ);
    CHECK_EQ(taskread_parse_sched("no dashes\nnr_voluntary_switches : 1\n", &sw), ERR_READ);
}

static void test_syscall(void)
{
    uint64_t a = 0;
    int running = -1;
    char buf[128];
    CHECK_EQ(taskread_parse_syscall("running\n", &a, &running), 0);
    CHECK_EQ(running, 1);
    snprintf(buf, sizeof buf, "%d 0x7f0012345678 0x80 0x0 0x0 0x0 0x0 0x7ffd 0x7f00\n", SYS_futex);
    CHECK_EQ(taskread_parse_syscall(buf, &a, &running), 1);
    CHECK(running == 0 && a == 0x7f0012345678ULL);
    CHECK_EQ(taskread_parse_syscall("0 0x3 0x0 0x0 0x0 0x0 0x0 0x7ffd 0x7f00\n", &a, &running), 0);
    CHECK_EQ(running, 0);
    CHECK_EQ(taskread_parse_syscall("-1 0x7ffd 0x7f00\n", &a, &running), 0);
    CHECK_EQ(running, 0);
}

/* This process's own files parse (the layouts are the running kernel's). */
static void test_own_files(void)
{
    char path[64];
    uint64_t run, arr;
    struct task_switches sw;
    FILE *f = fopen("/proc/thread-self/schedstat", "re");
    if (f) {
        char buf[128] = "";
        CHECK(fgets(buf, sizeof buf, f) != NULL);
        CHECK_EQ(taskread_parse_schedstat(buf, &run, &arr), 0);
        fclose(f);
    }
    snprintf(path, sizeof path, "/proc/thread-self/status");
    if ((f = fopen(path, "re"))) {
        static char buf[8192];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        CHECK_EQ(taskread_parse_status(buf, &sw), 0);
        CHECK_EQ(sw.state_r, 1);             /* we are running */
        fclose(f);
    }
    if ((f = fopen("/proc/thread-self/sched", "re"))) {   /* CONFIG_SCHED_DEBUG */
        static char buf[8192];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        CHECK_EQ(taskread_parse_sched(buf, &sw), 0);
        CHECK(sw.vol + sw.invol < 1000000);
        fclose(f);
    }
}

int main(void)
{
    test_schedstat();
    test_status();
    test_sched();
    test_syscall();
    test_own_files();
    return check_report("test_taskread");
}
