/*
 * util.c — small text helpers shared by every parser (base.h): numbers, booleans and dates
 * as offices write them (是/否, 2019-12-31, 2019/12/31, 20191231), UTF-8 checks, and the
 * masking of personal data (DESIGN §3: names and IDs are masked in people-facing output).
 */
#include "base.h"

#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    return s;
}

static int only_ws(const char *s)
{
    return *skip_ws(s) == '\0';
}

int parse_int64(const char *s, int64_t *out)
{
    char *end;
    long long v;
    s = skip_ws(s);
    if (!*s) return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || !only_ws(end)) return -1;
    *out = v;
    return 0;
}

int parse_double(const char *s, double *out)
{
    char *end;
    double v;
    s = skip_ws(s);
    if (!*s) return -1;
    /* strtod would accept "nan", "inf" and hex floats; office data never means those */
    for (const char *p = s; *p && *p != ' ' && *p != '\t'; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '+' || *p == 'e' ||
              *p == 'E'))
            return -1;
    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || !only_ws(end) || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int parse_bool(const char *s)
{
    size_t n;
    s = skip_ws(s);
    n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    if (str_in_list(s, n, "1|y|yes|true|t|是|有|√")) return 1;
    if (str_in_list(s, n, "0|n|no|false|f|否|无|×")) return 0;
    return -1;
}

/* Reads 1..max digits at *s into *v; returns the count. */
static int digits(const char **s, int max, int *v)
{
    int n = 0;
    *v = 0;
    while (n < max && **s >= '0' && **s <= '9') {
        *v = *v * 10 + (**s - '0');
        (*s)++;
        n++;
    }
    return n;
}

int parse_date(const char *s, int *yyyymmdd)
{
    int y, m, d;
    s = skip_ws(s);
    if (digits(&s, 8, &y) == 8) { /* 20191231 */
        d = y % 100;
        m = y / 100 % 100;
        y /= 10000;
    } else {
        /* 2019-12-31, 2019/12/31, 2019.12.31 or 2019年12月31日 */
        const char *p = s;
        p = skip_ws(p);
        if (y < 1000 || y > 9999) return -1;
        if (*p == '-' || *p == '/' || *p == '.') p++;
        else if (!strncmp(p, "年", 3)) p += 3;
        else return -1;
        if (!digits(&p, 2, &m)) return -1;
        if (*p == '-' || *p == '/' || *p == '.') p++;
        else if (!strncmp(p, "月", 3)) p += 3;
        else return -1;
        if (!digits(&p, 2, &d)) return -1;
        if (!strncmp(p, "日", 3)) p += 3;
        s = p;
    }
    if (!only_ws(s) || !date_valid(y * 10000 + m * 100 + d)) return -1;
    *yyyymmdd = y * 10000 + m * 100 + d;
    return 0;
}

int str_ieq(const char *s, size_t n, const char *t)
{
    size_t i;
    for (i = 0; i < n && t[i]; i++) {
        char a = s[i], b = t[i];
        if (a >= 'A' && a <= 'Z') a = (char)(a + 32);
        if (b >= 'A' && b <= 'Z') b = (char)(b + 32);
        if (a != b) return 0;
    }
    return i == n && t[i] == '\0';
}

int str_in_list(const char *s, size_t n, const char *alts)
{
    while (alts && *alts) {
        const char *bar = strchr(alts, '|');
        size_t len = bar ? (size_t)(bar - alts) : strlen(alts);
        if (len == n) {
            char tmp[128];
            if (len < sizeof tmp) {
                memcpy(tmp, alts, len);
                tmp[len] = '\0';
                if (str_ieq(s, n, tmp)) return 1;
            }
        }
        if (!bar) break;
        alts = bar + 1;
    }
    return 0;
}

size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

void utf8_trim(char *s)
{
    size_t n = strlen(s), k = n, back = 0;
    while (k > 0 && back < 3 && ((unsigned char)s[k - 1] & 0xC0) == 0x80) k--, back++;
    if (k > 0 && (unsigned char)s[k - 1] >= 0xC0) {
        unsigned char b = (unsigned char)s[k - 1];
        size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
        if (n - (k - 1) < need) s[k - 1] = '\0';
    }
}

int utf8_valid(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;
    while (i < n) {
        /* fast path: 8 ASCII bytes at a time */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ULL) break;
            i += 8;
        }
        if (i >= n) break;
        unsigned char b = s[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        if (b >= 0xC2 && b <= 0xDF) {
            if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80) return 0;
            i += 2;
        } else if (b >= 0xE0 && b <= 0xEF) {
            if (i + 2 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return 0;
            if (b == 0xE0 && s[i + 1] < 0xA0) return 0; /* overlong */
            if (b == 0xED && s[i + 1] > 0x9F) return 0; /* surrogates */
            i += 3;
        } else if (b >= 0xF0 && b <= 0xF4) {
            if (i + 3 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 ||
                (s[i + 3] & 0xC0) != 0x80)
                return 0;
            if (b == 0xF0 && s[i + 1] < 0x90) return 0;
            if (b == 0xF4 && s[i + 1] > 0x8F) return 0;
            i += 4;
        } else {
            return 0;
        }
    }
    return 1;
}

void mask_id(const char *id, char *out, size_t size)
{
    size_t n = strlen(id);
    if (size < 19) {
        if (size) out[0] = '\0';
        return;
    }
    if (n == 18 || n == 15) {
        memcpy(out, id, 6);
        memset(out + 6, '*', n - 10);
        memcpy(out + n - 4, id + n - 4, 4);
        out[n] = '\0';
        return;
    }
    n = n > 18 ? 18 : n;
    memset(out, '*', n);
    out[n] = '\0';
}

void mask_name(struct strbuf *sb, const char *name)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t first;
    if (!*s) return;
    first = *s < 0x80 ? 1 : *s >= 0xF0 ? 4 : *s >= 0xE0 ? 3 : 2;
    for (size_t i = 0; i < first && s[i]; i++) sb_addch(sb, (char)s[i]);
    for (size_t i = utf8_len(name); i > 1; i--) sb_addch(sb, '*');
}

int file_write_atomic(const char *path, const void *data, size_t len, struct error *e)
{
    struct strbuf tmp = STRBUF_INIT;
    FILE *f;
    int rc = 0;
    sb_addf(&tmp, "%s.tmp", path);
    if (sb_ok(&tmp)) {
        sb_release(&tmp);
        return error_set(e, ERR_NOMEM, "out of memory");
    }
    f = fopen(tmp.buf, "wb");
    if (!f) {
        rc = error_set(e, ERR_IO, "%s: %s", tmp.buf, strerror(errno));
        goto out;
    }
    if (fwrite(data, 1, len, f) != len || fflush(f) != 0) {
        rc = error_set(e, ERR_IO, "%s: %s", tmp.buf, strerror(errno));
        fclose(f);
        remove(tmp.buf);
        goto out;
    }
    if (fclose(f) != 0 || rename(tmp.buf, path) != 0) {
        rc = error_set(e, ERR_IO, "%s: %s", path, strerror(errno));
        remove(tmp.buf);
    }
out:
    sb_release(&tmp);
    return rc;
}

int file_read_all(const char *path, size_t max, char **out, size_t *len, struct error *e)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    *out = NULL;
    *len = 0;
    if (!f) return error_set(e, ERR_IO, "%s: %s", path, strerror(errno));
    for (;;) {
        size_t got;
        if (cap - n < 65536 + 1) {
            size_t c2 = cap ? cap * 2 : 65536 * 2;
            char *b2 = mem_realloc(buf, c2);
            if (!b2) {
                mem_free(buf);
                fclose(f);
                return error_set(e, ERR_NOMEM, "out of memory");
            }
            buf = b2, cap = c2;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n > max) {
            mem_free(buf);
            fclose(f);
            return error_set(e, ERR_INVALID, "%s: larger than %zu bytes", path, max);
        }
        if (got == 0) break;
    }
    if (ferror(f)) {
        mem_free(buf);
        fclose(f);
        return error_set(e, ERR_IO, "%s: read error", path);
    }
    fclose(f);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

void clock_iso_utc(char out[32])
{
    const char *env = getenv("PINGGU_NOW");
    time_t t = time(NULL);
    struct tm tm;
    int y, mo, d, h, mi, se;
    if (env && sscanf(env, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &se) == 6) {
        snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, se);
        return;
    }
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
