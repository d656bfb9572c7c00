/* SPDX-License-Identifier: MIT */
/* The asyncio task walker's cost: CPU time per sampling round of the
 * thread walk alone and of the thread walk plus the task walk, on a live
 * target (e.g. bench/targets/tasks.py N LIFETIME, which bench/tasks.py runs). The issue's
 * goal: a program with 10,000 idle tasks costs at most twice the CPU per
 * round of the same program without them. Not a test. Run:
 *   build/bench/taskwalk_bench PID [seconds] [hz]   (default 3 s at 100 Hz) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "benchlib.h"
#include "clock.h"
#include "codecache.h"
#include "pytarget.h"
#include "reader.h"
#include "taskwalk.h"
#include "walker.h"

static unsigned long task_reads;
static struct pytarget *target;

static double run(struct walker *w, struct taskwalk *tw, double secs, int hz, unsigned *tasks)
{
    uint64_t period = 1000000000ULL / (uint64_t)hz, next = clock_now_ns();
    int rounds = (int)(secs * hz);
    double cpu = 0;
    for (int i = 0; i < rounds; i++) {
        double t0 = bench_cpu(CLOCK_THREAD_CPUTIME_ID);
        walker_round(w);
        if (tw) {
            unsigned long r0 = target->r->reads;
            int n = taskwalk_round(tw);
            task_reads += target->r->reads - r0;
            *tasks += n > 0 ? (unsigned)n : 0;
        }
        cpu += bench_cpu(CLOCK_THREAD_CPUTIME_ID) - t0;
        next += period;
        clock_sleep_until(next);
    }
    return cpu / rounds;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: taskwalk_bench PID [seconds] [hz]\n");
        return 2;
    }
    double secs = argc > 2 ? atof(argv[2]) : 3.0;
    int hz = argc > 3 ? atoi(argv[3]) : 100;
    struct pytarget *t;
    struct codecache *c = codecache_new();
    struct walker *w;
    struct taskwalk *tw;
    if (pytarget_open((pid_t)atoi(argv[1]), &t, NULL, 0) < 0 || !c || walker_new(t, c, &w) < 0 ||
        taskwalk_new(t, c, &tw) < 0) {
        fprintf(stderr, "taskwalk_bench: cannot attach\n");
        return 1;
    }
    unsigned tasks = 0;
    target = t;
    double base = run(w, NULL, secs, hz, &tasks);
    double both = run(w, tw, secs, hz, &tasks);
    struct taskwalk_stats st;
    taskwalk_stats(tw, &st);
    printf("threads only: %.1f us/round; threads + tasks: %.1f us/round (%.2fx); "
           "%u tasks listed, %.1f read per round, %.1f reads per round\n", base * 1e6, both * 1e6,
           both / base, st.listed, (double)tasks / (secs * hz), (double)task_reads / (secs * hz));
    taskwalk_free(tw);
    walker_free(w);
    codecache_free(c);
    pytarget_free(t);
    return 0;
}
