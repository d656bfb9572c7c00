/* SPDX-License-Identifier: MIT */
/* Fuzz target: the native capture's perf decoding. The first byte
 * chooses:
 *   even: one sample record (ncapture_decode) from the rest of the input:
 *     a record that decodes has its stack copy inside the record, at most
 *     NSAMPLE_STACK_MAX long (every byte of it is read);
 *   odd: a whole mmap ring as the kernel leaves it (written backward,
 *     overwritten): a byte for its data pages (1 << byte % 4), a flags
 *     byte, data_head and the head at the last take (8 bytes each), with
 *     flags bit 0 data_offset, bit 1 data_size (8 bytes each; else the
 *     usual ones), then the data pages; read as ncapture_take reads it: a
 *     sample handed out decodes as above and lies in the capture's buffer,
 *     and the next take starts from this one's head.
 * Violations abort. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/perf_event.h>

#include "../../src/capture/capture_impl.h"
#include "error.h"
#include "ncapture.h"

#define PAGE 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void violation(const char *what)
{
    fprintf(stderr, "fuzz_ncapture: invariant broken: %s\n", what);
    abort();
}

static unsigned touch(const struct nsample *s)
{
    unsigned sum = 0;
    for (uint32_t i = 0; i < s->stack_len; i++)
        sum += s->stack[i];
    return sum;
}

static void one_record(const uint8_t *rec, size_t len)
{
    struct nsample s;
    if (ncapture_decode(rec, len, &s) != 0)
        return;
    if (s.stack_len > NSAMPLE_STACK_MAX || s.stack < rec || s.stack > rec + len ||
        s.stack_len > (size_t)(rec + len - s.stack))
        violation("a decoded stack outside its record");
    touch(&s);
}

static uint64_t take64(const uint8_t **p, size_t *left)
{
    uint64_t v = 0;
    size_t n = *left < 8 ? *left : 8;
    memcpy(&v, *p, n);
    *p += n;
    *left -= n;
    return v;
}

/* A ring of 1 control page and 1, 2, 4 or 8 data pages. */
static void one_ring(const uint8_t *p, size_t left)
{
    unsigned pages = 1u << (left ? p[0] % 4 : 0);         /* 1, 2, 4, 8 data pages */
    p += left ? 1 : 0;
    left -= left ? 1 : 0;
    size_t ring_len = (size_t)PAGE * (1 + pages);
    uint8_t *ring = calloc(1, ring_len);
    struct ncapture *c = calloc(1, sizeof *c);
    uint8_t *rec = malloc(NCAPTURE_REC_MAX);
    if (!ring || !c || !rec)
        abort();
    struct perf_event_mmap_page *ctl = (struct perf_event_mmap_page *)ring;
    unsigned flags = left ? p[0] : 0;
    p += left ? 1 : 0;
    left -= left ? 1 : 0;
    ctl->data_head = take64(&p, &left);
    uint64_t last = take64(&p, &left);
    ctl->data_offset = flags & 1 ? take64(&p, &left) : PAGE;
    ctl->data_size = flags & 2 ? take64(&p, &left) : (uint64_t)PAGE * pages;
    size_t n = left < (size_t)PAGE * pages ? left : (size_t)PAGE * pages;
    memcpy(ring + PAGE, p, n);
    c->rec = rec;
    c->how = NCAPTURE_PERF;
    struct nthread t = {.tid = 0, .fd = -1, .ring = ring, .ring_len = ring_len, .last_head = last};
    struct nsample s;
    uint64_t head = ctl->data_head;
    int rc = perfring_take(c, &t, &s);
    if (rc != 0 && rc != 1)
        violation("perfring_take: neither a sample nor none");
    if (rc == 1 && (s.stack_len > NSAMPLE_STACK_MAX || s.stack < rec ||
                    s.stack + s.stack_len > rec + NCAPTURE_REC_MAX))
        violation("a sample's stack outside the capture's buffer");
    if (rc == 1)
        touch(&s);
    if (t.last_head != head && ctl->data_offset == PAGE && ctl->data_size == (uint64_t)PAGE * pages)
        violation("the next take does not start from this one's head");
    free(rec);
    free(c);
    free(ring);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] & 1)
        one_ring(data + 1, size - 1);
    else
        one_record(data + 1, size - 1);
    return 0;
}
