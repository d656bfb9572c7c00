/* SPDX-License-Identifier: MIT */
/* Copies str and bytes objects out of the target as bounded UTF-8/bytes. */
#include "pystr.h"

#include <string.h>

#include "error.h"
#include "pylayout.h"
#include "pyobj.h"
#include "reader.h"

#define HEADER_MAX 128

static size_t utf8_put(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xc0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c >= 0xd800 && c <= 0xdfff)
        c = 0xfffd;         /* lone surrogate: not encodable */
    if (c < 0x10000) {
        out[0] = (char)(0xe0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        out[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    if (c > 0x10ffff)
        c = 0xfffd;
    if (c < 0x10000)
        return utf8_put(c, out);
    out[0] = (char)(0xf0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
    out[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

static uint32_t char_at(const uint8_t *data, unsigned kind, size_t i)
{
    if (kind == 1)
        return data[i];
    if (kind == 2) {
        uint16_t v;
        memcpy(&v, data + 2 * i, 2);
        return v;
    }
    uint32_t v;
    memcpy(&v, data + 4 * i, 4);
    return v;
}

/* Encode n characters of the given kind as UTF-8; cut with "..." when the
 * text does not fit (cap includes the NUL). */
static int encode(const uint8_t *data, unsigned kind, size_t n, int cut, char *buf, size_t cap)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        char tmp[4];
        uint32_t c = char_at(data, kind, i);
        /* An embedded NUL would silently cut the C string: show U+FFFD. */
        size_t k = utf8_put(c ? c : 0xfffd, tmp);
        if (len + k + 4 > cap) {
            cut = 1;
            break;
        }
        memcpy(buf + len, tmp, k);
        len += k;
    }
    if (cut) {
        memcpy(buf + len, "...", 3);
        len += 3;
    }
    buf[len] = '\0';
    return (int)len;
}

int pystr_read(struct reader *r, const struct py_layout *l, uint64_t addr, char *buf, size_t cap)
{
    uint8_t hdr[HEADER_MAX];
    if (cap < 8 || l->unicode_compact_size <= 0 || l->unicode_compact_size > HEADER_MAX)
        return ERR_CORRUPT;
    if (!reader_addr_ok(addr, 8))
        return ERR_READ;
    int rc = reader_read(r, addr, (size_t)l->unicode_ascii_size, hdr);
    if (rc < 0)
        return rc;
    uint64_t refcnt;
    memcpy(&refcnt, hdr, sizeof refcnt);
    if (pyobj_freed(refcnt, addr))
        return ERR_CORRUPT;
    int64_t length;
    uint32_t state;
    memcpy(&length, hdr + l->unicode_length, sizeof length);
    memcpy(&state, hdr + l->unicode_state, sizeof state);
    unsigned kind = (state >> l->unicode_kind_shift) & 7;
    int compact = (state >> l->unicode_compact_bit) & 1;
    int ascii = (state >> l->unicode_ascii_bit) & 1;
    if (length < 0 || !compact || (kind != 1 && kind != 2 && kind != 4) || (ascii && kind != 1))
        return ERR_CORRUPT;
    /* Copy at most what can be shown: each character yields >= 1 byte. */
    size_t n = (size_t)length, want = cap - 1;
    int cut = 0;
    if (n > want) {
        n = want;
        cut = 1;
    }
    uint8_t data[4 * PYSTR_MAX];
    if (n * kind > sizeof data) {
        n = sizeof data / kind;
        cut = 1;
    }
    uint64_t off = ascii ? (uint64_t)l->unicode_ascii_size : (uint64_t)l->unicode_compact_size;
    rc = reader_read(r, addr + off, n * kind, data);
    if (rc < 0)
        return rc;
    return encode(data, kind, n, cut, buf, cap);
}

int pybytes_read(struct reader *r, const struct py_layout *l, uint64_t addr, uint8_t *buf, size_t cap)
{
    uint8_t hdr[HEADER_MAX];
    int64_t size;
    uint64_t refcnt;
    if (l->bytes_size < 0 || l->bytes_sval < l->bytes_size + 8 || l->bytes_sval > HEADER_MAX)
        return ERR_CORRUPT;
    if (!reader_addr_ok(addr, 8))
        return ERR_READ;
    int rc = reader_read(r, addr, (size_t)l->bytes_sval, hdr);
    if (rc < 0)
        return rc;
    memcpy(&refcnt, hdr, sizeof refcnt);
    memcpy(&size, hdr + l->bytes_size, sizeof size);
    if (pyobj_freed(refcnt, addr) || size < 0 || (uint64_t)size > cap)
        return ERR_CORRUPT;
    rc = reader_read(r, addr + (uint64_t)l->bytes_sval, (size_t)size, buf);
    return rc < 0 ? rc : (int)size;
}
