/*
 * strbuf.c — growable strings (base.h), the only way pinggu builds text.
 *
 * Invariants: buf is always NUL-terminated; cap == 0 means buf is the shared static "" and
 * must not be written or freed; once `oom` is set, additions are no-ops, so a caller can
 * build a whole message and check sb_ok() once.
 */
#include "base.h"

#include <string.h>

static char empty[1];

void sb_init(struct strbuf *sb)
{
    sb->buf = empty;
    sb->len = sb->cap = 0;
    sb->oom = 0;
}

void sb_release(struct strbuf *sb)
{
    if (sb->cap) mem_free(sb->buf);
    sb_init(sb);
}

void sb_reset(struct strbuf *sb)
{
    sb->len = 0;
    sb->oom = 0;
    if (sb->cap) sb->buf[0] = '\0';
}

int sb_grow(struct strbuf *sb, size_t extra)
{
    size_t need, cap;
    char *p;
    if (sb->oom) return ERR_NOMEM;
    need = sb->len + extra + 1;
    if (need <= sb->cap) return 0;
    cap = sb->cap ? sb->cap : 64;
    while (cap < need) cap *= 2;
    p = mem_realloc(sb->cap ? sb->buf : NULL, cap);
    if (!p) {
        sb->oom = 1;
        return ERR_NOMEM;
    }
    if (!sb->cap) p[0] = '\0';
    sb->buf = p;
    sb->cap = cap;
    return 0;
}

void sb_add(struct strbuf *sb, const void *p, size_t n)
{
    if (sb_grow(sb, n)) return;
    memcpy(sb->buf + sb->len, p, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void sb_adds(struct strbuf *sb, const char *s)
{
    sb_add(sb, s, strlen(s));
}

void sb_addch(struct strbuf *sb, char c)
{
    if (sb_grow(sb, 1)) return;
    sb->buf[sb->len++] = c;
    sb->buf[sb->len] = '\0';
}

void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
    va_list cp;
    int n;
    if (sb->oom) return;
    va_copy(cp, ap);
    n = vsnprintf(sb->cap ? sb->buf + sb->len : NULL, sb->cap ? sb->cap - sb->len : 0, fmt, cp);
    va_end(cp);
    if (n < 0) return;
    if (sb->cap && (size_t)n < sb->cap - sb->len) {
        sb->len += (size_t)n;
        return;
    }
    if (sb_grow(sb, (size_t)n)) return;
    vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
    sb->len += (size_t)n;
}

void sb_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(sb, fmt, ap);
    va_end(ap);
}

void sb_add_csv(struct strbuf *sb, const char *s, size_t n)
{
    int quote = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') {
            quote = 1;
            break;
        }
    if (!quote) {
        sb_add(sb, s, n);
        return;
    }
    sb_addch(sb, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') sb_addch(sb, '"');
        sb_addch(sb, s[i]);
    }
    sb_addch(sb, '"');
}

void sb_add_html(struct strbuf *sb, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': sb_adds(sb, "&lt;"); break;
        case '>': sb_adds(sb, "&gt;"); break;
        case '&': sb_adds(sb, "&amp;"); break;
        case '"': sb_adds(sb, "&quot;"); break;
        case '\'': sb_adds(sb, "&#39;"); break;
        default: sb_addch(sb, *s);
        }
    }
}

void sb_add_thousands(struct strbuf *sb, long long v)
{
    char digits[32];
    int n, lead;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    if (v < 0) sb_addch(sb, '-');
    n = snprintf(digits, sizeof digits, "%llu", u);
    lead = n % 3 ? n % 3 : 3;
    sb_add(sb, digits, (size_t)lead);
    for (int i = lead; i < n; i += 3) {
        sb_addch(sb, ',');
        sb_add(sb, digits + i, 3);
    }
}

void sb_truncate(struct strbuf *sb, size_t len)
{
    if (len >= sb->len) return;
    sb->len = len;
    if (sb->cap) sb->buf[len] = '\0';
}

int sb_ok(const struct strbuf *sb)
{
    return sb->oom ? ERR_NOMEM : 0;
}

char *sb_detach(struct strbuf *sb, size_t *len)
{
    char *p;
    if (sb->oom) {
        sb_release(sb);
        return NULL;
    }
    p = sb->cap ? sb->buf : mem_strdup("");
    if (len) *len = sb->len;
    sb_init(sb);
    return p;
}
