/* SPDX-License-Identifier: MIT */
/* Continuous profiling (--push URL): every interval, the samples taken
 * since the last push, as a gzipped pprof profile (pprof.h), POSTed to a
 * Pyroscope-compatible ingest endpoint:
 *
 *   POST <prefix>/ingest?name=NAME&from=S&until=S&format=pprof
 *        &sampleRate=HZ&spyName=proftui HTTP/1.1
 *   Content-Type: application/octet-stream      (the body: the .pb.gz bytes)
 *
 * from/until are Unix seconds of the window. A plain HTTP/1.1 client over
 * a socket: http:// URLs only (https is not built). Two threads: the
 * collector copies the profile (profile_sync: the sampler's lock only
 * while it copies) and encodes the window into a bounded queue, dropping
 * the oldest window when the queue is full (counted); the sender posts
 * them in order, retrying a failed post (connection error, timeout, 5xx)
 * with back-off, giving it up after PUSH_TRIES tries (counted). Neither
 * ever blocks the sampler. */
#ifndef PROFTUI_PUSH_H
#define PROFTUI_PUSH_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"     /* struct export_meta */

#define PUSH_QUEUE_MAX 4            /* windows waiting to be sent */
#define PUSH_TRIES 3                /* posts of one window before it is given up */
#define PUSH_DRAIN_NS 5000000000ULL /* at the end, the time left to send what is queued */

struct profile;
struct push;

struct push_config {
    const char *url;                /* http://HOST[:PORT][/PREFIX] (copied) */
    uint64_t interval_ns;           /* between pushes */
    const char *name;               /* the application name, e.g. "app.wall{pid=12}" (copied) */
    struct export_meta meta;        /* pid, versions, mode, interval, command (strings copied) */
};

struct push_stats {
    uint64_t sent;                  /* windows the server accepted (2xx) */
    uint64_t failed;                /* windows given up after PUSH_TRIES tries or a 4xx */
    uint64_t dropped;               /* windows dropped because the queue was full, or
                                     * still queued when the drain time ran out */
    uint64_t retries;               /* posts repeated after a failure */
    int last_status;                /* the last HTTP status, 0 when none came */
};

/* Whether url is one push can send to: 0, or ERR_USAGE with the reason
 * in why ("https is not built", ...). */
int push_check_url(const char *url, char *why, size_t cap);

/* The application name for a run, "PROGRAM{pid=PID,mode=MODE}":
 * PROGRAM is the launched script's name without ".py" (the first
 * argument ending in .py), the module of "-m MODULE", else the
 * command's base name, or "python" when attached (argv NULL); characters
 * other than letters, digits, '_', '-' and '.' become '_'. */
void push_app_name(char *const *argv, int64_t pid, int mode, char *out, size_t cap);

/* Start pushing windows of p (borrowed; must outlive push_stop) from now.
 * Returns 0, ERR_USAGE (a bad URL), or ERR_NOMEM. */
int push_start(struct profile *p, const struct push_config *cfg, struct push **out);

/* Push the last window, send what is queued within PUSH_DRAIN_NS, stop
 * both threads, fill *st (may be NULL) and free ps. */
void push_stop(struct push *ps, struct push_stats *st);

#endif
