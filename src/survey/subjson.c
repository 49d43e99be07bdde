/*
 * subjson.c — a questionnaire submitted as JSON (docs/api.md: {"form": NAME, "questionnaire":
 * {KEY: ANSWER, …}, "members": [{…}, …]}) turned into the two CSV files field import reads
 * (survey.h submission_json), in one pass of yajl's event parser: no tree of the body is
 * built, and no object is hashed twice. The server's JSON route reads every submission so
 * (issue 11: jansson's tree parser took 51 µs of a submission's ~420 µs for the 3.5 KB body;
 * yajl's events take about 6, 11 with the CSV written and the strict checks).
 *
 * What comes out is byte for byte what the server wrote before from jansson's tree (the union
 * of each table's keys in first-seen order, strings as they are, integers "%lld", reals
 * "%.17g", true 1, false 0, null an empty cell) and the same bodies are refused: not JSON, a
 * key twice in one object (at any depth), a NUL or a lone surrogate in a string, an integer
 * or real out of range, nesting deeper than 2048, a top level that is not an object
 * (tests/unit/test_subjson.c and fuzz/fuzz_subjson.c hold it to jansson).
 *
 * Invariants: every key is checked against the keys of its own object before it is used; a
 * table's column is found by its key (a hash look-up, checked against the key's bytes: a
 * collision of the hash costs a scan, never a wrong column); text that does not stay in the
 * body (decoded escapes, numbers) is copied into the result's arena.
 */
#include "survey.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#define MAX_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */

enum role { R_ROOT, R_Q, R_MEMBERS, R_MROW, R_OTHER };
enum rootkey { K_NONE, K_FORM, K_Q, K_MEMBERS };

struct key {       /* a key seen in some object (or a column of a table) */
    uint32_t ns;   /* whose: a table (1 questionnaire, 2 members) or an object's number */
    uint32_t len;
    uint32_t col;  /* a table's key: its column */
    const char *s; /* in the body or the arena (not NUL-terminated) */
};

struct cell {
    uint32_t row, col, len;
    int bad; /* the answer is an array or an object */
    const char *s;
};

struct table {
    size_t *cols; /* column -> index into keys */
    size_t ncols, capcols;
    uint32_t *seen; /* column -> 1 + the last row that had it (a key twice in one row) */
    struct cell *cells;
    size_t ncells, capcells;
    uint32_t nrows;
};

struct frame {
    unsigned char role, map;
    uint32_t ns;    /* an object's number (for its keys), ROOT and OTHER */
    int64_t col;    /* Q and MROW: the pending key's column (-1 none) */
    enum rootkey k; /* ROOT: the pending key */
};

struct parser {
    const char *body;
    size_t len;
    struct json_submission *out;
    struct key *keys;
    size_t nkeys, capkeys;
    struct u64map idx; /* hash(ns, key) -> index into keys */
    struct frame *st;
    size_t depth, capst;
    uint32_t next_ns;
    struct table t[2]; /* the questionnaire, the members */
    int top_map;       /* the top-level value is an object */
    yajl_handle h;
    size_t end;        /* where the top-level value ends (after its last byte) */
    const char *fail;  /* why a callback stopped the parse (NULL: yajl's own message) */
};

/* Text that yajl hands over: kept where it is when it lies in the body, else copied. */
static const char *keep(struct parser *p, const unsigned char *s, size_t n)
{
    const char *c = (const char *)s;
    if (c >= p->body && c + n <= p->body + p->len) return c;
    return arena_strndup(&p->out->arena, c, n);
}

/* A key's hash within namespace ns (a collision only costs a comparison, never a wrong answer:
 * key_find_add checks the bytes). */
static uint64_t key_hash(uint32_t ns, const unsigned char *s, size_t n)
{
    uint64_t h = u64_hash_str((const char *)s, n) ^ ((uint64_t)ns * 0x9e3779b97f4a7c15ULL);
    return h ? h : 1;
}

/* The index of key s in namespace ns: found (*added = 0) or added (*added = 1). -1 when out
 * of memory. */
static int64_t key_find_add(struct parser *p, uint32_t ns, const unsigned char *s, size_t n,
                            int *added)
{
    uint64_t h = key_hash(ns, s, n), *v = u64map_get(&p->idx, h);
    size_t i;
    *added = 0;
    if (v) {
        const struct key *k = &p->keys[*v];
        if (k->ns == ns && k->len == n && !memcmp(k->s, s, n)) return (int64_t)*v;
        /* another key with this hash: the authoritative list decides */
        for (i = 0; i < p->nkeys; i++)
            if (p->keys[i].ns == ns && p->keys[i].len == n && !memcmp(p->keys[i].s, s, n))
                return (int64_t)i;
    }
    if (p->nkeys == p->capkeys) {
        size_t c = p->capkeys ? p->capkeys * 2 : 256;
        struct key *nk = mem_realloc(p->keys, c * sizeof *nk);
        if (!nk) return -1;
        p->keys = nk, p->capkeys = c;
    }
    p->keys[p->nkeys].ns = ns, p->keys[p->nkeys].len = (uint32_t)n;
    if (!(p->keys[p->nkeys].s = keep(p, s, n))) return -1;
    if (!v && u64map_put(&p->idx, h, p->nkeys, NULL) < 0) return -1;
    *added = 1;
    return (int64_t)p->nkeys++;
}

static struct frame *top(struct parser *p)
{
    return p->depth ? &p->st[p->depth - 1] : NULL;
}

static int push(struct parser *p, enum role r, int map)
{
    struct frame *f;
    if (p->depth >= MAX_DEPTH) {
        p->fail = "maximum parsing depth reached";
        return 0;
    }
    if (p->depth == p->capst) {
        size_t c = p->capst ? p->capst * 2 : 16;
        struct frame *ns = mem_realloc(p->st, c * sizeof *ns);
        if (!ns) return 0;
        p->st = ns, p->capst = c;
    }
    f = &p->st[p->depth++];
    f->role = (unsigned char)r, f->map = (unsigned char)map;
    f->ns = map && (r == R_ROOT || r == R_OTHER) ? p->next_ns++ : 0;
    f->col = -1, f->k = K_NONE;
    if (r == R_MROW) p->t[1].nrows++;
    return 1;
}

/* A cell of table t (row: its last) in column col. */
static int add_cell(struct table *t, int64_t col, const char *s, size_t n, int bad)
{
    struct cell *c;
    if (t->ncells == t->capcells) {
        size_t cap = t->capcells ? t->capcells * 2 : 128;
        struct cell *nc = mem_realloc(t->cells, cap * sizeof *nc);
        if (!nc) return 0;
        t->cells = nc, t->capcells = cap;
    }
    c = &t->cells[t->ncells++];
    c->row = t->nrows ? t->nrows - 1 : 0, c->col = (uint32_t)col, c->len = (uint32_t)n;
    c->s = s, c->bad = bad;
    return 1;
}

/* A value arrives (a scalar with its CSV text s, or the start of an array or object:
 * s NULL): placed by the frame it is in. 1 to go on, 0 to stop. */
static int value(struct parser *p, const char *s, size_t n, int scalar, int is_string, int opens_map)
{
    struct frame *f = top(p);
    if (!f) { /* the top level */
        p->top_map = opens_map;
        if (opens_map) return push(p, R_ROOT, 1);
        return scalar ? 1 : push(p, R_OTHER, 0);
    }
    switch (f->role) {
    case R_ROOT: {
        enum rootkey k = f->k;
        f->k = K_NONE;
        if (k == K_FORM && is_string && !(p->out->form = arena_strndup(&p->out->arena, s, n)))
            return 0;
        if (k == K_Q) {
            if (opens_map) {
                p->out->questionnaire = 1;
                p->t[0].nrows = 1;
                return push(p, R_Q, 1);
            }
        }
        if (k == K_MEMBERS) {
            if (!scalar && !opens_map) {
                p->out->members = 1;
                return push(p, R_MEMBERS, 0);
            }
            p->out->members = -1;
        }
        break;
    }
    case R_Q:
    case R_MROW: {
        struct table *t = &p->t[f->role == R_Q ? 0 : 1];
        int64_t col = f->col;
        f->col = -1;
        if (!add_cell(t, col, scalar ? s : NULL, scalar ? n : 0, !scalar)) return 0;
        if (f->role == R_Q && is_string && p->keys[t->cols[col]].len == 4 &&
            !memcmp(p->keys[t->cols[col]].s, "unit", 4) &&
            !(p->out->unit = arena_strndup(&p->out->arena, s, n)))
            return 0;
        break;
    }
    case R_MEMBERS:
        if (opens_map) return push(p, R_MROW, 1);
        p->out->member_not_object = 1;
        break;
    default:
        break;
    }
    return scalar ? 1 : push(p, R_OTHER, opens_map);
}

static int on_null(void *ctx)
{
    return value(ctx, "", 0, 1, 0, 0);
}

static int on_boolean(void *ctx, int b)
{
    return value(ctx, b ? "1" : "0", 1, 1, 0, 0);
}

/* A number as jansson reads it: an integer (no '.', 'e' or 'E') within long long, "%lld"; a
 * real that does not overflow, "%.17g". */
static int on_number(void *ctx, const char *s, size_t n)
{
    struct parser *p = ctx;
    char buf[64], *text;
    if (n >= sizeof buf) { /* longer than any number jansson keeps exactly: read it anyway */
        text = arena_strndup(&p->out->arena, s, n);
        if (!text) return 0;
    } else {
        memcpy(buf, s, n);
        buf[n] = '\0';
        text = buf;
    }
    errno = 0;
    if (!memchr(s, '.', n) && !memchr(s, 'e', n) && !memchr(s, 'E', n)) {
        long long v = strtoll(text, NULL, 10);
        if (errno == ERANGE) {
            p->fail = v < 0 ? "too big negative integer" : "too big integer";
            return 0;
        }
        text = arena_printf(&p->out->arena, "%lld", v);
    } else {
        double d = strtod(text, NULL);
        if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL)) {
            p->fail = "real number overflow";
            return 0;
        }
        text = arena_printf(&p->out->arena, "%.17g", d);
    }
    return text ? value(p, text, strlen(text), 1, 0, 0) : 0;
}

static int hex4(const unsigned char *q, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = q[i];
        unsigned d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 16;
        if (d > 15) return 0;
        *v = *v << 4 | d;
    }
    return 1;
}

/* The offset of the first character of b that is not UTF-8 (utf8_valid's rule: jansson's
 * strict sense — no overlong forms, surrogates or code points beyond U+10FFFF). Called only
 * once utf8_valid(b, n) has failed, for the message's position. */
static size_t utf8_bad_at(const char *b, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)b[i];
        size_t k = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (k > n - i || !utf8_valid(b + i, k)) return i;
        i += k;
    }
    return n;
}

/* What jansson refuses and yajl lets through, checked on the raw body before yajl reads it:
 * bytes that are not UTF-8 in jansson's strict sense (base.h utf8_valid), a vertical tab or
 * form feed (white space to yajl; in a string every control character is refused anyway), a
 * \u0000 escape, and a \u escape of half a surrogate pair (yajl decodes the first and turns
 * the others into '?' or bytes that are not UTF-8). Escapes are only legal inside strings,
 * and there a backslash always starts one. NULL, or the reason with *at its offset. What is
 * broken otherwise is left to yajl. */
static const char *prescan(const char *b, size_t n, size_t *at)
{
    const char *end = b + n, *q = b;
    const char *vt = memchr(b, 0x0B, n), *ff = memchr(b, 0x0C, n);
    if (!utf8_valid(b, n)) {
        *at = utf8_bad_at(b, n);
        return "invalid UTF-8";
    }
    if (vt || ff) {
        *at = (size_t)((vt && (!ff || vt < ff) ? vt : ff) - b);
        return "invalid token (a form feed or vertical tab)";
    }
    while ((q = memchr(q, '\\', (size_t)(end - q)))) {
        unsigned v, lo;
        *at = (size_t)(q - b);
        if (end - q < 2) return NULL;
        if (q[1] != 'u') {
            q += 2;
            continue;
        }
        if (end - q < 6 || !hex4((const unsigned char *)q + 2, &v)) return NULL;
        q += 6;
        if (v == 0) return "\\u0000 is not allowed without JSON_ALLOW_NUL";
        if (v >= 0xDC00 && v <= 0xDFFF) return "invalid Unicode escape: a lone low surrogate";
        if (v >= 0xD800 && v <= 0xDBFF) {
            if (end - q < 6 || q[0] != '\\' || q[1] != 'u' ||
                !hex4((const unsigned char *)q + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                return "invalid Unicode escape: a high surrogate without its low one";
            q += 6;
        }
    }
    return NULL;
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
    struct parser *p = ctx;
    const char *k = keep(p, s, n);
    return k ? value(p, k, n, 1, 1, 0) : 0;
}

static int on_start_map(void *ctx)
{
    return value(ctx, NULL, 0, 0, 0, 1);
}

static int on_start_array(void *ctx)
{
    return value(ctx, NULL, 0, 0, 0, 0);
}

static int on_end(void *ctx)
{
    struct parser *p = ctx;
    if (!--p->depth) p->end = yajl_get_bytes_consumed(p->h);
    return 1;
}

static int on_key(void *ctx, const unsigned char *s, size_t n)
{
    struct parser *p = ctx;
    struct frame *f = top(p);
    int added = 0;
    if (f->role == R_Q || f->role == R_MROW) {
        struct table *t = &p->t[f->role == R_Q ? 0 : 1];
        int64_t ki = key_find_add(p, f->role == R_Q ? 1 : 2, s, n, &added), col;
        if (ki < 0) return 0;
        if (added) { /* a new column of the table */
            if (t->ncols == t->capcols) {
                size_t c = t->capcols ? t->capcols * 2 : 128;
                size_t *nc = mem_realloc(t->cols, c * sizeof *nc);
                uint32_t *ns = mem_realloc(t->seen, c * sizeof *ns);
                if (nc) t->cols = nc;
                if (ns) t->seen = ns;
                if (!nc || !ns) return 0;
                t->capcols = c;
            }
            t->cols[t->ncols] = (size_t)ki, t->seen[t->ncols] = 0;
            p->keys[ki].col = (uint32_t)t->ncols;
            col = (int64_t)t->ncols++;
        } else {
            col = p->keys[ki].col;
        }
        if (t->seen[col] == t->nrows) {
            p->fail = "duplicate object key";
            return 0;
        }
        t->seen[col] = t->nrows;
        f->col = col;
        return 1;
    }
    if (key_find_add(p, f->ns, s, n, &added) < 0) return 0;
    if (!added) {
        p->fail = "duplicate object key";
        return 0;
    }
    if (f->role == R_ROOT) {
        f->k = n == 4 && !memcmp(s, "form", 4)             ? K_FORM
               : n == 13 && !memcmp(s, "questionnaire", 13) ? K_Q
               : n == 7 && !memcmp(s, "members", 7)         ? K_MEMBERS
                                                            : K_NONE;
    }
    return 1;
}

static const yajl_callbacks callbacks = {
    on_null, on_boolean, NULL, NULL, on_number, on_string, on_start_map, on_key, on_end,
    on_start_array, on_end,
};

/* Writes table t as CSV into sb (header, then a line per row); the first answer that is an
 * array or an object, row by row and in column order, into *bad (its key). 0, or -1 when out
 * of memory. */
static int write_table(struct parser *p, const struct table *t, struct strbuf *sb, const char **bad)
{
    size_t k, c = 0;
    int64_t *slot = NULL;
    for (k = 0; k < t->ncols; k++) {
        if (k) sb_addch(sb, ',');
        sb_add_csv(sb, p->keys[t->cols[k]].s, p->keys[t->cols[k]].len);
    }
    sb_addch(sb, '\n');
    if (t->ncols && !(slot = mem_alloc(t->ncols * sizeof *slot))) return -1;
    for (uint32_t r = 0; r < t->nrows; r++) {
        for (k = 0; k < t->ncols; k++) slot[k] = -1;
        for (; c < t->ncells && t->cells[c].row == r; c++) slot[t->cells[c].col] = (int64_t)c;
        for (k = 0; k < t->ncols; k++) {
            const struct cell *x = slot[k] < 0 ? NULL : &t->cells[slot[k]];
            if (k) sb_addch(sb, ',');
            if (x && x->bad) {
                const struct key *key = &p->keys[t->cols[k]];
                if (!*bad && !(*bad = arena_strndup(&p->out->arena, key->s, key->len))) {
                    mem_free(slot);
                    return -1;
                }
                continue;
            }
            if (x) sb_add_csv(sb, x->s, x->len);
        }
        sb_addch(sb, '\n');
    }
    mem_free(slot);
    return sb_ok(sb) ? -1 : 0;
}

/* Line and column (from 1, in bytes) of offset off of the body. */
static void position(const char *b, size_t off, long *line, long *col)
{
    *line = 1, *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (b[i] == '\n') ++*line, *col = 1;
        else ++*col;
    }
}

int submission_json(const char *body, size_t len, struct json_submission *out, struct error *e)
{
    struct parser p;
    yajl_handle h;
    yajl_status ys;
    const char *why;
    size_t at = 0;
    int rc = 0;
    memset(out, 0, sizeof *out);
    arena_init(&out->arena, 0);
    memset(&p, 0, sizeof p);
    p.body = body, p.len = len, p.out = out, p.next_ns = 3;
    u64map_init(&p.idx);
    /* room for a questionnaire's keys and the members' without growing; the CSV text is about
     * as long as the body */
    if (u64map_reserve(&p.idx, 256) || sb_grow(&out->csv, len / 2 + 256) ||
        sb_grow(&out->members_csv, len / 2 + 256)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((why = prescan(body, len, &at))) {
        position(body, at, &out->line, &out->column);
        rc = error_set(e, ERR_INVALID, "malformed JSON body at line %ld, column %ld: %s",
                       out->line, out->column, why);
        goto out;
    }
    if (!(h = p.h = yajl_alloc(&callbacks, NULL, &p))) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    ys = yajl_parse(h, (const unsigned char *)body, len);
    if (ys == yajl_status_ok) ys = yajl_complete_parse(h);
    if (ys != yajl_status_ok) {
        size_t off = yajl_get_bytes_consumed(h);
        unsigned char *msg = p.fail || ys == yajl_status_client_canceled
                                 ? NULL
                                 : yajl_get_error(h, 0, (const unsigned char *)body, len);
        if (ys == yajl_status_client_canceled && !p.fail) {
            yajl_free(h);
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        position(body, off > len ? len : off, &out->line, &out->column);
        rc = error_set(e, ERR_INVALID, "malformed JSON body at line %ld, column %ld: %s",
                       out->line, out->column, p.fail ? p.fail : msg ? (char *)msg : "invalid JSON");
        if (msg) yajl_free_error(h, msg);
        yajl_free(h);
        goto out;
    }
    yajl_free(h);
    /* yajl lets an unfinished string after the value pass ({} "x): nothing but white space
     * may follow it */
    while (p.end < len && strchr(" \t\n\r", body[p.end]) && body[p.end]) p.end++;
    if (p.top_map && p.end < len) {
        position(body, p.end, &out->line, &out->column);
        rc = error_set(e, ERR_INVALID, "malformed JSON body at line %ld, column %ld: end of file expected",
                       out->line, out->column);
        goto out;
    }
    if (!p.top_map) {
        out->line = out->column = 1;
        rc = error_set(e, ERR_INVALID, "malformed JSON body at line 1, column 1: expected an object");
        goto out;
    }
    out->malformed = 0;
    if ((out->questionnaire && write_table(&p, &p.t[0], &out->csv, &out->bad_answer)) ||
        (out->members > 0 && p.t[1].nrows && !out->member_not_object &&
         write_table(&p, &p.t[1], &out->members_csv, &out->bad_member_answer)))
        rc = error_set(e, ERR_NOMEM, "out of memory");
out:
    if (rc == ERR_INVALID) out->malformed = 1;
    for (int i = 0; i < 2; i++) {
        mem_free(p.t[i].cols);
        mem_free(p.t[i].seen);
        mem_free(p.t[i].cells);
    }
    mem_free(p.keys);
    mem_free(p.st);
    u64map_release(&p.idx);
    return rc;
}

void submission_json_release(struct json_submission *s)
{
    if (!s) return;
    sb_release(&s->csv);
    sb_release(&s->members_csv);
    arena_release(&s->arena);
    memset(s, 0, sizeof *s);
}
