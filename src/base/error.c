/*
 * error.c — struct error and struct errlist (base.h).
 *
 * An error carries a code, a message and an optional position; the CLI prints it as
 * "file:line:column: reason". An errlist keeps the first `keep` errors of a long job (an
 * import of a million rows can have a million errors) and counts the rest.
 * Invariant: error_* never allocate and never fail.
 */
#include "base.h"

#include <string.h>

int error_vat(struct error *e, int code, const char *file, long line, long column,
              const char *fmt, va_list ap)
{
    if (!e) return code;
    e->code = code;
    e->line = line;
    e->column = column;
    e->file[0] = '\0';
    if (file) snprintf(e->file, sizeof e->file, "%s", file);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    return code;
}

int error_at(struct error *e, int code, const char *file, long line, long column,
             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vat(e, code, file, line, column, fmt, ap);
    va_end(ap);
    return code;
}

int error_set(struct error *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vat(e, code, NULL, 0, 0, fmt, ap);
    va_end(ap);
    return code;
}

int error_prefix(struct error *e, const char *fmt, ...)
{
    char head[256], old[sizeof e->msg];
    va_list ap;
    if (!e) return ERR_INTERNAL;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    snprintf(e->msg, sizeof e->msg, "%s: %s", head, old);
    return e->code;
}

const char *error_strerror(int code)
{
    switch (code) {
    case ERR_OK: return "ok";
    case ERR_NOMEM: return "out of memory";
    case ERR_IO: return "input/output error";
    case ERR_PARSE: return "malformed input";
    case ERR_INVALID: return "invalid input";
    case ERR_NOTFOUND: return "not found";
    case ERR_EXISTS: return "already exists";
    case ERR_STORE: return "store error";
    case ERR_VERIFY: return "verification failed";
    case ERR_USAGE: return "usage error";
    case ERR_INTERNAL: return "internal error";
    }
    return "unknown error";
}

const char *error_format(const struct error *e, char *buf, size_t size)
{
    size_t n = 0;
    if (size == 0) return buf;
    buf[0] = '\0';
    if (e->file[0]) {
        if (e->line > 0 && e->column > 0)
            n = (size_t)snprintf(buf, size, "%s:%ld:%ld: ", e->file, e->line, e->column);
        else if (e->line > 0)
            n = (size_t)snprintf(buf, size, "%s:%ld: ", e->file, e->line);
        else
            n = (size_t)snprintf(buf, size, "%s: ", e->file);
    }
    if (n < size)
        snprintf(buf + n, size - n, "%s", e->msg[0] ? e->msg : error_strerror(e->code));
    return buf;
}

void error_print(FILE *f, const struct error *e)
{
    char buf[1024];
    fprintf(f, "%s\n", error_format(e, buf, sizeof buf));
}

void errlist_init(struct errlist *l, size_t keep)
{
    memset(l, 0, sizeof *l);
    l->keep = keep ? keep : 50;
}

void errlist_release(struct errlist *l)
{
    mem_free(l->items);
    memset(l, 0, sizeof *l);
}

void errlist_add(struct errlist *l, const struct error *e)
{
    l->total++;
    if (l->n >= l->keep) return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct error *p;
        if (cap > l->keep) cap = l->keep;
        p = mem_realloc(l->items, cap * sizeof *p);
        if (!p) return; /* counted, not kept: the total stays right */
        l->items = p;
        l->cap = cap;
    }
    l->items[l->n++] = *e;
}

void errlist_addf(struct errlist *l, int code, const char *file, long line, long column,
                  const char *fmt, ...)
{
    struct error e;
    va_list ap;
    va_start(ap, fmt);
    error_vat(&e, code, file, line, column, fmt, ap);
    va_end(ap);
    errlist_add(l, &e);
}

void errlist_print(FILE *f, const struct errlist *l)
{
    for (size_t i = 0; i < l->n; i++) error_print(f, &l->items[i]);
    if (l->total > l->n)
        fprintf(f, "... and %zu more (%zu errors in all)\n", l->total - l->n, l->total);
}
