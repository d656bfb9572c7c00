/* SPDX-License-Identifier: MIT */
/* --push: windows of the profile as pprof, POSTed to a Pyroscope ingest
 * endpoint by a plain HTTP/1.1 client (see include/push.h). */
#include "push.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "array.h"
#include "clock.h"
#include "error.h"
#include "pprof.h"
#include "profile.h"
#include "table.h"
#include "tree.h"
#include "usercode.h"

#define IO_TIMEOUT_MS 5000          /* connect, each send, each receive */
#define BACKOFF_NS 500000000ULL     /* the first retry's wait; doubled each time */

struct url {
    char host[256];
    char port[8];
    char prefix[512];               /* the path before /ingest, without a trailing '/' */
};

struct window {
    unsigned char *body;            /* gzipped pprof */
    size_t len;
    uint64_t from_s, until_s;
};

struct push {
    struct profile *profile;
    struct url url;
    char name[512];
    uint64_t interval_ns;
    struct export_meta meta;
    char python[64], version[32], command[1024], warning[512];
    pthread_t collector, sender;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stopping;                   /* push_stop: the collector's last window, then drain */
    int collected;                  /* the collector has finished */
    uint64_t drain_deadline;        /* clock_now_ns() after which the queue is dropped */
    struct window queue[PUSH_QUEUE_MAX];
    size_t head, count;
    struct push_stats stats;
    /* the collector's own state */
    struct table *replica;
    uint64_t *seen;                 /* per node of the replica: self samples pushed */
    size_t nseen;
    uint64_t from_ns;               /* the current window's start (Unix ns) */
};

/* ---- the URL ---- */

static int parse_url(const char *url, struct url *u, char *why, size_t cap)
{
    *u = (struct url){.port = "80"};
    if (strncmp(url, "https://", 8) == 0)
        return snprintf(why, cap, "https is not built: give an http:// URL"), ERR_USAGE;
    if (strncmp(url, "http://", 7) != 0)
        return snprintf(why, cap, "the URL must start with http://"), ERR_USAGE;
    const char *h = url + 7, *end = h + strcspn(h, "/?#");
    const char *colon = NULL;
    if (*h == '[') {                                   /* [IPv6]:port */
        const char *close = memchr(h, ']', (size_t)(end - h));
        if (!close || close - h - 1 >= (long)sizeof u->host)
            return snprintf(why, cap, "bad host in the URL"), ERR_USAGE;
        memcpy(u->host, h + 1, (size_t)(close - h - 1));
        colon = close[1] == ':' ? close + 1 : NULL;
        if (!colon && close + 1 != end)                /* "[::1]junk" */
            return snprintf(why, cap, "bad host in the URL"), ERR_USAGE;
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
        size_t n = (size_t)((colon ? colon : end) - h);
        if (n == 0 || n >= sizeof u->host)
            return snprintf(why, cap, "bad host in the URL"), ERR_USAGE;
        memcpy(u->host, h, n);
    }
    if (colon) {
        size_t n = (size_t)(end - colon - 1);
        if (n == 0 || n >= sizeof u->port || strspn(colon + 1, "0123456789") < n)
            return snprintf(why, cap, "bad port in the URL"), ERR_USAGE;
        memcpy(u->port, colon + 1, n);
        u->port[n] = '\0';
        long port = strtol(u->port, NULL, 10);
        if (port < 1 || port > 65535)                  /* getaddrinfo takes 99999 as 34463 */
            return snprintf(why, cap, "bad port in the URL (1 to 65535)"), ERR_USAGE;
    }
    size_t plen = strcspn(end, "?#");
    while (plen > 0 && end[plen - 1] == '/')
        plen--;
    if (end[strcspn(end, "?#")] != '\0' || plen >= sizeof u->prefix)
        return snprintf(why, cap, "the URL must not have a query (proftui adds /ingest?...)"),
               ERR_USAGE;
    memcpy(u->prefix, end, plen);
    return 0;
}

int push_check_url(const char *url, char *why, size_t cap)
{
    struct url u;
    return parse_url(url, &u, why, cap);
}

void push_app_name(char *const *argv, int64_t pid, int mode, char *out, size_t cap)
{
    size_t len, n = 0;
    const char *prog = usercode_program(argv, &len);
    for (size_t i = 0; i < len && i < 128 && n + 1 < cap; i++) {
        char c = prog[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-' || c == '.';
        out[n++] = ok ? c : '_';
    }
    snprintf(out + n, cap - n, "{pid=%" PRId64 ",mode=%s}", pid, table_mode_name((enum table_mode)mode));
}

/* ---- HTTP ---- */

static int wait_fd(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    int rc;
    do
        rc = poll(&p, 1, IO_TIMEOUT_MS);
    while (rc < 0 && errno == EINTR);
    return rc == 1 ? 0 : -1;
}

/* A connected, non-blocking socket to u, or -1 (within IO_TIMEOUT_MS per address). */
static int dial(const struct url *u)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(u->host, u->port, &hints, &res) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        int err = 0;
        socklen_t len = sizeof err;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        if (errno != EINPROGRESS || wait_fd(fd, POLLOUT) < 0 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

static int send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        if (wait_fd(fd, POLLOUT) < 0)
            return -1;
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (w <= 0)
            return -1;
        c += w, n -= (size_t)w;
    }
    return 0;
}

/* The status of the response's first line, or -1. */
static int read_status(int fd)
{
    char buf[256];
    size_t len = 0;
    while (len < sizeof buf - 1 && !memchr(buf, '\n', len)) {
        if (wait_fd(fd, POLLIN) < 0)
            return -1;
        ssize_t r = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    int status;
    if (sscanf(buf, "HTTP/1.%*1[01] %3d", &status) != 1)
        return -1;
    return status;
}

/* s percent-encoded for a query (RFC 3986 unreserved characters kept). */
static void query_escape(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    for (const unsigned char *u = (const unsigned char *)s; *u && n + 4 < cap; u++) {
        if ((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') || (*u >= '0' && *u <= '9') ||
            strchr("-._~", *u))
            out[n++] = (char)*u;
        else
            n += (size_t)snprintf(out + n, cap - n, "%%%02X", *u);
    }
    out[n] = '\0';
}

/* POST one window; the HTTP status, or -1 when none came. */
static int post(const struct push *ps, const struct window *w)
{
    char name[1536], head[3072];
    query_escape(name, sizeof name, ps->name);
    uint64_t every = ps->meta.interval_ns;        /* sampling's, not pushing's */
    uint64_t hz = every ? (1000000000 + every / 2) / every : 0;
    int n = snprintf(head, sizeof head,
                     "POST %s/ingest?name=%s&from=%" PRIu64 "&until=%" PRIu64
                     "&format=pprof&sampleRate=%" PRIu64 "&spyName=proftui HTTP/1.1\r\n"
                     "Host: %s%s%s:%s\r\nUser-Agent: proftui/%s\r\n"
                     "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     ps->url.prefix, name, w->from_s, w->until_s, hz,
                     strchr(ps->url.host, ':') ? "[" : "", ps->url.host,
                     strchr(ps->url.host, ':') ? "]" : "", ps->url.port, ps->version, w->len);
    if (n <= 0 || (size_t)n >= sizeof head)
        return -1;
    int fd = dial(&ps->url);
    if (fd < 0)
        return -1;
    int status = -1;
    if (send_all(fd, head, (size_t)n) == 0 && send_all(fd, w->body, w->len) == 0)
        status = read_status(fd);
    close(fd);
    return status;
}

/* ---- windows: what the profile gained since the last push ---- */

struct delta {
    struct push *ps;
    const struct table *src;
    struct table *dt;               /* the window */
    uint32_t *fmap;                 /* src function -> dt function, TABLE_NONE until needed */
    uint32_t thread;                /* in dt */
    struct frame_key *path, *leaf_first;
    size_t cap;
    int rc;
};

static uint32_t map_func(struct delta *d, uint32_t f)
{
    if (f >= table_func_count(d->src))
        return TABLE_NONE;
    if (d->fmap[f] == TABLE_NONE)
        d->fmap[f] = table_intern_func_at(d->dt, table_func_name(d->src, f),
                                          table_func_file(d->src, f),
                                          table_func_first_line(d->src, f));
    return d->fmap[f];
}

/* The samples a node gained since the last window, added to the window. */
static int delta_node(struct delta *d, uint32_t node, size_t depth)
{
    uint64_t self = tree_self(d->src, node), old = d->ps->seen[node];
    d->ps->seen[node] = self;
    if (self <= old)
        return 0;
    for (size_t i = 0; i < depth; i++)
        d->leaf_first[i] = d->path[depth - 1 - i];
    return table_add_stack(d->dt, d->thread, d->leaf_first, (int)depth, self - old);
}

static int delta_enter(void *arg, const struct table *t, uint32_t node, size_t depth)
{
    struct delta *d = arg;
    if (depth > d->cap) {
        size_t cap = d->cap;
        if (array_reserve((void **)&d->path, &cap, depth, sizeof *d->path) < 0 ||
            array_reserve((void **)&d->leaf_first, &d->cap, depth, sizeof *d->leaf_first) < 0)
            return ERR_NOMEM;
    }
    struct frame_key site = tree_site(t, node);
    d->path[depth - 1] = (struct frame_key){map_func(d, site.func), site.line};
    if (d->path[depth - 1].func == TABLE_NONE)
        return ERR_NOMEM;
    return delta_node(d, node, depth);
}

/* The window's table from the replica: every thread's gain. */
static int delta_build(struct push *ps, struct table *dt)
{
    const struct table *t = ps->replica;
    size_t nodes = tree_node_count(t), nf = table_func_count(t);
    if (nodes < ps->nseen)                       /* reset: everything is new */
        memset(ps->seen, 0, ps->nseen * sizeof *ps->seen);
    size_t have = ps->nseen;
    if (array_reserve((void **)&ps->seen, &have, nodes ? nodes : 1, sizeof *ps->seen) < 0)
        return ERR_NOMEM;
    if (nodes > ps->nseen)
        memset(ps->seen + ps->nseen, 0, (nodes - ps->nseen) * sizeof *ps->seen);
    ps->nseen = nodes;
    struct delta d = {.ps = ps, .src = t, .dt = dt, .fmap = malloc((nf ? nf : 1) * sizeof *d.fmap)};
    if (!d.fmap)
        return ERR_NOMEM;
    memset(d.fmap, 0xFF, (nf ? nf : 1) * sizeof *d.fmap);
    struct tree_walk w = {.enter = delta_enter, .arg = &d};
    int rc = 0;
    for (size_t th = 0; rc == 0 && th < table_thread_count(t); th++) {
        uint32_t root = tree_root(t, (uint32_t)th);
        if (root == TABLE_NONE)
            continue;
        d.thread = table_thread_of(dt, table_thread_pid(t, (uint32_t)th),
                                   table_thread_tid(t, (uint32_t)th),
                                table_thread_name(t, (uint32_t)th));
        rc = d.thread == TABLE_NONE ? ERR_NOMEM : delta_node(&d, root, 0);
        if (rc == 0)
            rc = tree_walk(t, root, &w);
    }
    free(d.fmap);
    free(d.path);
    free(d.leaf_first);
    return rc;
}

/* The window from ps->from_ns to now, gzipped, into *w; w->len 0 when it
 * has no sample. */
static int window_make(struct push *ps, struct window *w)
{
    *w = (struct window){.body = NULL};
    uint64_t until = clock_realtime_ns();
    struct table *dt = table_new();
    int rc = dt ? profile_sync(ps->profile, ps->replica, NULL) : ERR_NOMEM;
    if (rc == 0)
        rc = delta_build(ps, dt);
    struct export_meta m = ps->meta;
    m.start_unix_ns = ps->from_ns;
    m.duration_ns = until > ps->from_ns ? until - ps->from_ns : 0;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = rc == 0 && table_samples(dt) ? open_memstream(&buf, &len) : NULL;
    if (f) {
        rc = pprof_write(f, dt, &m);
        if (fclose(f) != 0 && rc == 0)
            rc = ERR_NOMEM;
    }
    if (rc == 0 && buf) {
        *w = (struct window){(unsigned char *)buf, len, ps->from_ns / 1000000000,
                             until / 1000000000};
        if (w->until_s <= w->from_s)
            w->until_s = w->from_s + 1;
        buf = NULL;
    }
    free(buf);
    table_free(dt);
    ps->from_ns = until;
    return rc;
}

/* ---- the queue and the two threads ---- */

/* Wait on ps->cond (locked) until woken or the monotonic time deadline. */
static void wait_until(struct push *ps, uint64_t deadline_ns)
{
    struct timespec ts = {.tv_sec = (time_t)(deadline_ns / 1000000000),
                          .tv_nsec = (long)(deadline_ns % 1000000000)};
    pthread_cond_timedwait(&ps->cond, &ps->lock, &ts);
}

/* Queue w (locked), dropping the oldest window when the queue is full. */
static void enqueue(struct push *ps, struct window *w)
{
    if (!w->len)
        return;
    if (ps->count == PUSH_QUEUE_MAX) {
        free(ps->queue[ps->head].body);
        ps->head = (ps->head + 1) % PUSH_QUEUE_MAX;
        ps->count--;
        ps->stats.dropped++;
    }
    ps->queue[(ps->head + ps->count) % PUSH_QUEUE_MAX] = *w;
    ps->count++;
    pthread_cond_broadcast(&ps->cond);
}

static void *collect_main(void *arg)
{
    struct push *ps = arg;
    uint64_t next = clock_now_ns() + ps->interval_ns;
    pthread_mutex_lock(&ps->lock);
    for (;;) {
        while (!ps->stopping && clock_now_ns() < next)
            wait_until(ps, next);
        int last = ps->stopping;
        pthread_mutex_unlock(&ps->lock);
        struct window w;
        int rc = window_make(ps, &w);       /* without the lock: the sender goes on */
        pthread_mutex_lock(&ps->lock);
        if (rc == 0)
            enqueue(ps, &w);
        else
            ps->stats.dropped++;
        if (last)
            break;
        uint64_t now = clock_now_ns();
        next = next + ps->interval_ns > now ? next + ps->interval_ns : now + ps->interval_ns;
    }
    ps->collected = 1;
    pthread_cond_broadcast(&ps->cond);
    pthread_mutex_unlock(&ps->lock);
    return NULL;
}

/* Post w until it is accepted, refused (4xx) or tried PUSH_TRIES times,
 * waiting BACKOFF_NS, then twice that ... between tries (cut short at
 * the end of the drain). Called without the lock. */
static void send_window(struct push *ps, struct window *w)
{
    uint64_t wait = BACKOFF_NS;
    for (int try = 1;; try++) {
        int status = post(ps, w);
        int ok = status >= 200 && status < 300, refused = status >= 400 && status < 500;
        pthread_mutex_lock(&ps->lock);
        ps->stats.last_status = status > 0 ? status : 0;
        int give_up = ok || refused || try == PUSH_TRIES ||
                      (ps->collected && clock_now_ns() >= ps->drain_deadline);
        if (ok)
            ps->stats.sent++;
        else if (give_up)
            ps->stats.failed++;
        else
            ps->stats.retries++;
        if (!give_up) {
            uint64_t until = clock_now_ns() + wait;
            while (clock_now_ns() < until && !(ps->collected && clock_now_ns() >= ps->drain_deadline))
                wait_until(ps, ps->collected && ps->drain_deadline < until ? ps->drain_deadline : until);
            wait *= 2;
        }
        pthread_mutex_unlock(&ps->lock);
        if (give_up)
            return;
    }
}

static void *send_main(void *arg)
{
    struct push *ps = arg;
    pthread_mutex_lock(&ps->lock);
    for (;;) {
        while (ps->count == 0 && !ps->collected)
            pthread_cond_wait(&ps->cond, &ps->lock);
        if (ps->count == 0)
            break;
        if (ps->collected && clock_now_ns() >= ps->drain_deadline) {
            ps->stats.dropped += ps->count;
            for (; ps->count; ps->count--, ps->head = (ps->head + 1) % PUSH_QUEUE_MAX)
                free(ps->queue[ps->head].body);
            break;
        }
        struct window w = ps->queue[ps->head];
        ps->head = (ps->head + 1) % PUSH_QUEUE_MAX;
        ps->count--;
        pthread_mutex_unlock(&ps->lock);
        send_window(ps, &w);
        free(w.body);
        pthread_mutex_lock(&ps->lock);
    }
    pthread_mutex_unlock(&ps->lock);
    return NULL;
}

/* ---- start and stop ---- */

static void copy_text(char *dst, size_t cap, const char *src, const char **field)
{
    if (!src) {
        *field = NULL;
        return;
    }
    snprintf(dst, cap, "%s", src);
    *field = dst;
}

static void push_free(struct push *ps)
{
    for (; ps->count; ps->count--, ps->head = (ps->head + 1) % PUSH_QUEUE_MAX)
        free(ps->queue[ps->head].body);
    table_free(ps->replica);
    free(ps->seen);
    pthread_cond_destroy(&ps->cond);
    pthread_mutex_destroy(&ps->lock);
    free(ps);
}

static int init_sync(struct push *ps)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return ERR_NOMEM;
    int bad = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
              pthread_cond_init(&ps->cond, &attr) != 0;
    pthread_condattr_destroy(&attr);
    if (bad)
        return ERR_NOMEM;
    if (pthread_mutex_init(&ps->lock, NULL) != 0) {
        pthread_cond_destroy(&ps->cond);
        return ERR_NOMEM;
    }
    return 0;
}

int push_start(struct profile *p, const struct push_config *cfg, struct push **out)
{
    char why[128];
    *out = NULL;
    struct push *ps = calloc(1, sizeof *ps);
    if (!ps)
        return ERR_NOMEM;
    if (parse_url(cfg->url, &ps->url, why, sizeof why) < 0) {
        free(ps);
        return ERR_USAGE;
    }
    if (init_sync(ps) < 0) {
        free(ps);
        return ERR_NOMEM;
    }
    ps->profile = p;
    ps->interval_ns = cfg->interval_ns ? cfg->interval_ns : 10000000000ULL;
    snprintf(ps->name, sizeof ps->name, "%s", cfg->name ? cfg->name : "proftui");
    ps->meta = cfg->meta;
    copy_text(ps->python, sizeof ps->python, cfg->meta.python_version, &ps->meta.python_version);
    copy_text(ps->version, sizeof ps->version, cfg->meta.version ? cfg->meta.version : "unknown",
              &ps->meta.version);
    copy_text(ps->command, sizeof ps->command, cfg->meta.command, &ps->meta.command);
    copy_text(ps->warning, sizeof ps->warning, cfg->meta.warning, &ps->meta.warning);
    ps->meta.only = NULL;
    ps->from_ns = clock_realtime_ns();
    ps->replica = table_new();
    if (ps->replica) {
        table_untrack_flat(ps->replica);
        table_set_mode(ps->replica, (enum table_mode)ps->meta.mode);
    }
    if (!ps->replica || pthread_create(&ps->collector, NULL, collect_main, ps) != 0) {
        push_free(ps);
        return ERR_NOMEM;
    }
    if (pthread_create(&ps->sender, NULL, send_main, ps) != 0) {
        pthread_mutex_lock(&ps->lock);
        ps->stopping = 1;
        pthread_cond_broadcast(&ps->cond);
        pthread_mutex_unlock(&ps->lock);
        pthread_join(ps->collector, NULL);
        push_free(ps);
        return ERR_NOMEM;
    }
    *out = ps;
    return 0;
}

void push_stop(struct push *ps, struct push_stats *st)
{
    if (!ps)
        return;
    pthread_mutex_lock(&ps->lock);
    ps->stopping = 1;
    ps->drain_deadline = clock_now_ns() + PUSH_DRAIN_NS;
    pthread_cond_broadcast(&ps->cond);
    pthread_mutex_unlock(&ps->lock);
    pthread_join(ps->collector, NULL);
    pthread_join(ps->sender, NULL);
    if (st)
        *st = ps->stats;
    push_free(ps);
}
