/*
 * engine.c — streams the department files through the registry index and turns matching
 * records into flags (compare_int.h).
 *
 * Work. Each department file is read by exactly one worker thread (files are handed out
 * largest first, so two threads finish together when one file dominates); a file is read
 * row by row with the streaming CSV reader and never held whole. For each row:
 *
 *   1. the resident ID cell goes through ids_parse — the importer's own normalisation and
 *      validation — and an invalid ID is counted by kind and, for the first few, listed
 *      with its line; it can match nothing;
 *   2. every (rule, source) bound to the file evaluates the source's conditions on the row
 *      (typed values — numbers, dates — parsed at most once per row) and, where the record
 *      may become evidence, keeps its text; the slot of the packed ID is prefetched;
 *   3. rows wait in a batch of 32; when it is full, each is looked up in the index (the
 *      prefetches have overlapped the cache misses) and every binding checks its rule's
 *      subject (registered or not, category, age at the reference date, health,
 *      eligibility);
 *   4. an "any" rule that holds adds the record to the aggregate of (rule, unit) in the
 *      file's own map; a "none" rule that holds sets its bit in the member's (or household's)
 *      atomic `seen` word, and one that fails for a subject keeps the record as a near miss.
 *
 * Aggregates keep a count and the first max_evidence records (lines increase within a file,
 * so "first" is by line). Memory is the index plus these aggregates — proportional to the
 * flags, not to the files.
 *
 * Merge. When every file is done, the aggregates of all files are sorted by (key, file) and
 * merged: evidence in (file, line) order, counts summed. "any" aggregates become flags; the
 * "none" rules are decided by one pass over the index (members) and one over the households:
 * a subject whose bit is still clear is flagged, with its near misses as evidence. Flags are
 * finally sorted by (county, household, person, rule), so the output is the same for any
 * number of threads.
 *
 * Errors: every file's header (and the encoding of its first block) is checked before any
 * streaming, so the first bad file in rules order is the one reported; an error later in a
 * file (an undecodable row, a read error) stops the other workers at their next check. On
 * any error nothing is produced.
 */
#include "compare_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One rule's source bound to a file, with its dates resolved for this run. */
struct binding {
    const struct cmp_rule *rule;
    const struct cmp_source *src;
    uint16_t rule_idx;
    int from[CMP_MAX_COND], to[CMP_MAX_COND];
};

/* An aggregate of (rule, unit) within one file. */
struct agg {
    uint64_t key;
    uint32_t count;
    uint32_t nev;
    struct cmp_ev *head, *tail;
    const char *name;
};

/* A row whose ID failed validation only by its check character while its first 17 digits
 * are a roster member's: kept so that `explain` can show why a record is missing. */
struct nearid {
    uint64_t person; /* the member whose body the cell carries */
    uint32_t hh;     /* the member's household */
    uint32_t line;
    uint16_t file;
    const char *detail; /* the columns the file's rules read and show (the file's arena) */
};

struct job {
    size_t fi;  /* file index in the rules */
    char *path; /* owned */
    int64_t size;
    struct binding *b; /* owned */
    size_t nb;
    /* results */
    struct agg *aggs; /* owned */
    size_t naggs, capaggs;
    struct u64map map;   /* key -> index into aggs */
    struct arena *arena; /* borrowed: the outcome's arena for this file */
    int name_field;      /* csv field of the name column, -1 if unmapped */
    unsigned near_cols;  /* columns described for a near-miss row (conditions, show) */
    struct nearid *nears; /* owned */
    size_t nnears, capnears;
    int rc;
    struct error e;
};

struct shared {
    const struct compare_rules *r;
    const struct cmp_index *ix;
    const struct compare_opts *o;
    struct compare_result *res;
    struct job *jobs;
    size_t njobs;
    size_t *order; /* job indexes, largest file first */
    atomic_size_t next;
    atomic_int abort;
    _Atomic uint64_t bytes_done;
    uint64_t bytes_total;
    int ref, today;
    size_t max_listed;
    struct progress prog;
};

/* ------------------------------------------------------------------ subjects */

static int subject_ok(const struct cmp_rule *r, const struct cmp_slot *sl, uint64_t key, int ref)
{
    unsigned a = sl ? sl->attrs : 0;
    switch (r->who) {
    case WHO_REGISTERED:
        if (!sl || !(a & A_REGISTERED)) return 0;
        break;
    case WHO_GENERAL:
        if (!sl || (a & A_REGISTERED)) return 0;
        break;
    case WHO_NOT_REGISTERED:
        if (sl && (a & A_REGISTERED)) return 0;
        break;
    case WHO_ABSENT:
        if (sl) return 0;
        break;
    case WHO_ANY:
        break;
    }
    if (r->cats && !(r->cats & (1u << ((a & A_CAT_MASK) >> A_CAT_SHIFT)))) return 0;
    if (r->health && (!sl || !(r->health & (1u << (a & A_HEALTH_MASK))))) return 0;
    if (r->below_allowance && !(a & A_ELIGIBLE)) return 0;
    if (r->age_min >= 0) {
        int age = date_age((int)((key / 1000) % 100000000), ref);
        if (age < r->age_min || age > r->age_max) return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ rows */

/* The typed values of the current row, parsed on first use. */
struct rowvals {
    const struct cmp_file *f;
    const int *colidx; /* csv field of each column */
    struct csv *c;
    unsigned parsed, ok; /* bit per column */
    double num[CMP_MAX_COLS];
    int date[CMP_MAX_COLS];
    struct compare_file_stats *st;
};

static void trimmed(const char *s, size_t n, const char **out, size_t *len)
{
    while (n && (*s == ' ' || *s == '\t')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    *out = s;
    *len = n;
}

/* 1 and the value if column col holds a number / date, 0 if empty or malformed. */
static int typed(struct rowvals *rv, int col)
{
    unsigned bit = 1u << col;
    const char *s;
    size_t n;
    if (rv->parsed & bit) return (rv->ok & bit) != 0;
    rv->parsed |= bit;
    s = csv_field(rv->c, (size_t)rv->colidx[col]);
    trimmed(s, strlen(s), &s, &n);
    if (!n) return 0;
    if (rv->f->cols[col].type == COLT_NUMBER ? parse_double(s, &rv->num[col]) == 0
                                             : parse_date(s, &rv->date[col]) == 0) {
        rv->ok |= bit;
        return 1;
    }
    if (!rv->st->bad_values++)
        snprintf(rv->st->bad_value_note, sizeof rv->st->bad_value_note,
                 "line %ld, column %s: '%.40s' is not a %s", csv_line(rv->c), rv->f->cols[col].name,
                 s, rv->f->cols[col].type == COLT_NUMBER ? "number" : "date");
    return 0;
}

static int cond_holds(struct rowvals *rv, const struct cmp_cond *cd, int from, int to)
{
    const char *s;
    size_t n;
    switch (cd->op) {
    case CMP_IN:
    case CMP_NOT_IN: {
        int in = 0;
        s = csv_field(rv->c, (size_t)rv->colidx[cd->col]);
        trimmed(s, csv_field_len(rv->c, (size_t)rv->colidx[cd->col]), &s, &n);
        if (!n) return 0;
        for (size_t i = 0; i < cd->nlist && !in; i++)
            in = cd->list[i].n == n && str_ieq(s, n, cd->list[i].s);
        return cd->op == CMP_IN ? in : !in;
    }
    case CMP_GT:
        return typed(rv, cd->col) && rv->num[cd->col] > cd->num;
    case CMP_GE:
        return typed(rv, cd->col) && rv->num[cd->col] >= cd->num;
    case CMP_LT:
        return typed(rv, cd->col) && rv->num[cd->col] < cd->num;
    case CMP_LE:
        return typed(rv, cd->col) && rv->num[cd->col] <= cd->num;
    case CMP_EQ:
        return typed(rv, cd->col) && rv->num[cd->col] == cd->num;
    case CMP_DATE:
        return typed(rv, cd->col) && rv->date[cd->col] >= from && rv->date[cd->col] <= to;
    case CMP_EMPTY:
    case CMP_NOT_EMPTY:
        s = csv_field(rv->c, (size_t)rv->colidx[cd->col]);
        trimmed(s, strlen(s), &s, &n);
        return cd->op == CMP_EMPTY ? n == 0 : n != 0;
    }
    return 0;
}

/* Appends "header=value" for each column of mask (in column order) to out, which holds len
 * bytes (at most size, NUL-terminated); returns the new length. */
static size_t detail_cols(struct rowvals *rv, unsigned mask, char **headers, char *out, size_t len,
                          size_t size)
{
    for (int col = 0; mask; col++, mask >>= 1) {
        const char *s;
        size_t n;
        int w;
        if (!(mask & 1u) || col == rv->f->name_col) continue;
        s = csv_field(rv->c, (size_t)rv->colidx[col]);
        trimmed(s, strlen(s), &s, &n);
        if (n > 60) n = 60;
        w = snprintf(out + len, size - len, "%s%s=%.*s", len ? "; " : "", headers[col], (int)n, s);
        if (w < 0 || (size_t)w >= size - len) break;
        len += (size_t)w;
    }
    return len;
}

/* Writes "header=value; header=value" for the columns a source reads, then the file's
 * "show" columns (plate, school), into out (at most
 * size bytes, NUL-terminated); returns the length. */
static size_t detail_of(struct rowvals *rv, const struct cmp_source *src, char **headers, char *out,
                        size_t size)
{
    size_t len = 0;
    unsigned done = 0;
    out[0] = '\0';
    for (size_t k = 0; k < src->ncond; k++) {
        int col = src->cond[k].col;
        const char *s;
        size_t n;
        int w;
        if ((done & (1u << col)) || col == rv->f->name_col) continue; /* names: never */
        done |= 1u << col;
        s = csv_field(rv->c, (size_t)rv->colidx[col]);
        trimmed(s, strlen(s), &s, &n);
        if (n > 60) n = 60;
        w = snprintf(out + len, size - len, "%s%s=%.*s", len ? "; " : "", headers[col], (int)n, s);
        if (w < 0 || (size_t)w >= size - len) return len;
        len += (size_t)w;
    }
    return detail_cols(rv, rv->f->show & ~done, headers, out, len, size);
}

static struct agg *agg_get(struct job *j, uint64_t key)
{
    uint64_t *v = u64map_get(&j->map, key);
    struct agg *a;
    if (v) return &j->aggs[*v];
    if (j->naggs == j->capaggs) {
        size_t cap = j->capaggs ? j->capaggs * 2 : 256;
        struct agg *p = mem_realloc(j->aggs, cap * sizeof *p);
        if (!p) return NULL;
        j->aggs = p;
        j->capaggs = cap;
    }
    if (u64map_put(&j->map, key, j->naggs, NULL) < 0) return NULL;
    a = &j->aggs[j->naggs++];
    memset(a, 0, sizeof *a);
    a->key = key;
    return a;
}

/* Adds a record (line, its detail; the name for a person absent from the roster) to
 * (rule, unit); detail and name are copied into the file's arena when kept. 0 or
 * ERR_NOMEM. */
static int agg_add(struct job *j, uint16_t rule, uint64_t unit, uint64_t person, int matched,
                   uint32_t line, const char *detail, const char *name, int max_ev)
{
    struct agg *a = agg_get(j, (uint64_t)rule << KEY_RULE_SHIFT | unit);
    if (!a) return ERR_NOMEM;
    a->count++;
    if (name && !a->name) {
        a->name = arena_strdup(j->arena, name);
        if (!a->name) return ERR_NOMEM;
    }
    if (a->nev < (uint32_t)max_ev) {
        struct cmp_ev *ev = arena_alloc(j->arena, sizeof *ev);
        if (!ev) return ERR_NOMEM;
        ev->next = NULL;
        ev->person = person;
        ev->line = line;
        ev->file = (uint16_t)j->fi;
        ev->matched = (uint8_t)matched;
        ev->detail = arena_strdup(j->arena, detail ? detail : "");
        if (!ev->detail) return ERR_NOMEM;
        if (a->tail)
            a->tail->next = ev;
        else
            a->head = ev;
        a->tail = ev;
        a->nev++;
    }
    return 0;
}

/* ------------------------------------------------------------------ headers */

/* Does header cell h (trimmed, ASCII case ignored) equal one of the '|'-separated names? */
static int header_in(const char *h, size_t n, const char *names)
{
    const char *a = names;
    trimmed(h, n, &h, &n);
    while (*a) {
        const char *bar = strchr(a, '|');
        size_t len = bar ? (size_t)(bar - a) : strlen(a);
        if (len == n) {
            size_t i;
            for (i = 0; i < n; i++) {
                char x = h[i], y = a[i];
                if (x >= 'A' && x <= 'Z') x = (char)(x + 32);
                if (y >= 'A' && y <= 'Z') y = (char)(y + 32);
                if (x != y) break;
            }
            if (i == n) return 1;
        }
        if (!bar) break;
        a = bar + 1;
    }
    return 0;
}

/* Maps the header row (the current row of c) onto the file's columns: colidx[k] = field of
 * column k; headers[k] = its header text (arena). A missing or doubled column is an error
 * naming the file, the header and what the rules file maps to it. */
static int map_header(struct job *j, const struct cmp_file *f, struct csv *c, int *colidx,
                      char **headers, struct error *e)
{
    size_t nf = csv_nfields(c);
    for (size_t k = 0; k < f->ncols; k++) colidx[k] = -1;
    for (size_t i = 0; i < nf; i++) {
        const char *h = csv_field(c, i);
        size_t n = csv_field_len(c, i);
        if (i == 0 && n >= 3 && !memcmp(h, "\xEF\xBB\xBF", 3)) h += 3, n -= 3;
        for (size_t k = 0; k < f->ncols; k++) {
            if (!header_in(h, n, f->cols[k].headers)) continue;
            if (colidx[k] >= 0)
                return error_at(e, ERR_INVALID, j->path, csv_line(c), (long)i + 1,
                                "bad header: column %s (mapped as \"%s\") appears twice, also "
                                "as column %d",
                                headers[k], f->cols[k].name, colidx[k] + 1);
            colidx[k] = (int)i;
            trimmed(h, n, &h, &n);
            headers[k] = arena_strndup(j->arena, h, n);
            if (!headers[k]) return error_set(e, ERR_NOMEM, "out of memory");
        }
    }
    for (size_t k = 0; k < f->ncols; k++) {
        struct strbuf have = STRBUF_INIT, want = STRBUF_INIT;
        int rc;
        if (colidx[k] >= 0) continue;
        if ((int)k == f->id_col) {
            /* a first row of data instead of a header? */
            for (size_t i = 0; i < nf; i++) {
                struct rid rid;
                if (ids_parse(csv_field(c, i), csv_field_len(c, i), 0, &rid, NULL, 0) == IDS_OK)
                    return error_at(e, ERR_INVALID, j->path, csv_line(c), (long)i + 1,
                                    "bad header: the first row is data (a resident ID in "
                                    "column %zu), not the header the rules file expects "
                                    "(\"%s\" for the ID)",
                                    i + 1, f->cols[k].headers);
            }
        }
        for (const char *p = f->cols[k].headers; *p; p++) {
            if (*p == '|')
                sb_adds(&want, " or ");
            else
                sb_addch(&want, *p);
        }
        for (size_t i = 0; i < nf && have.len < 300; i++)
            sb_addf(&have, "%s%s", i ? ", " : "", csv_field(c, i));
        rc = error_at(e, ERR_INVALID, j->path, csv_line(c), 0,
                      "unknown mapped column: the header has no %s (the rules file maps column "
                      "\"%s\" of file \"%s\" to it); the header is: %s",
                      want.len ? want.buf : "?", f->cols[k].name, f->id,
                      have.len ? have.buf : "(empty)");
        sb_release(&have);
        sb_release(&want);
        return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------ one file */

/* Rows wait in a small batch for their registry lookup: each row's slot is prefetched when
 * the row is read, and the batch is resolved when it is full, so the cache misses of the
 * lookups (the table is far larger than the caches) overlap instead of stalling one by one.
 * Everything that needs the row's fields — the conditions, the evidence text, the name — is
 * decided when the row is read; only the subject waits for the lookup. */
#define PBATCH     32
#define SCRATCH    (64 * 1024)
#define DETAIL_MAX 520
#define NO_TEXT    UINT32_MAX

struct pend {
    uint64_t key;
    uint32_t line;
    uint32_t name_at; /* offset of the name in scratch, or NO_TEXT */
    uint64_t ok;      /* bit k: binding k's conditions hold */
    uint64_t look;    /* bit k: binding k acts once the subject is known */
};

struct batch {
    struct pend p[PBATCH];
    uint32_t *detail_at; /* owned: [PBATCH][nb] offsets in scratch, or NO_TEXT */
    char scratch[SCRATCH];
    size_t n, len;
};

static int flush_batch(struct shared *sh, struct job *j, struct batch *bt,
                       struct compare_file_stats *st, struct error *e)
{
    const struct cmp_index *ix = sh->ix;
    int max_ev = sh->r->max_evidence;
    for (size_t i = 0; i < bt->n; i++) {
        const struct pend *p = &bt->p[i];
        struct cmp_slot *slot = cmp_index_find(ix, p->key);
        if (slot) st->in_registry++;
        for (uint64_t look = p->look; look; look &= look - 1) {
            int k = __builtin_ctzll(look);
            const struct binding *b = &j->b[k];
            const struct cmp_rule *ru = b->rule;
            uint32_t at = bt->detail_at[i * j->nb + (size_t)k];
            const char *detail = at == NO_TEXT ? NULL : bt->scratch + at;
            int ok = (int)(p->ok >> k & 1), rc = 0;
            if (ru->none && !slot) continue;
            if (!subject_ok(ru, slot, p->key, sh->ref)) continue;
            if (ru->none) {
                uint16_t bit = (uint16_t)(1u << ru->none_bit);
                uint64_t unit = ru->household_scope ? UNIT_HH | slot->hh : p->key;
                _Atomic uint16_t *seen = ru->household_scope ? &ix->hh[slot->hh].seen : &slot->seen;
                if (ok)
                    atomic_fetch_or_explicit(seen, bit, memory_order_relaxed);
                else
                    rc = agg_add(j, b->rule_idx, unit, p->key, 0, p->line, detail, NULL, max_ev);
            } else if (ok) {
                uint64_t unit = ru->household_scope && slot ? UNIT_HH | slot->hh : p->key;
                const char *name = !slot && p->name_at != NO_TEXT ? bt->scratch + p->name_at : NULL;
                rc = agg_add(j, b->rule_idx, unit, p->key, 1, p->line, detail, name, max_ev);
            }
            if (rc) return error_set(e, ERR_NOMEM, "out of memory");
        }
    }
    bt->n = bt->len = 0;
    return 0;
}

/* The packed 17-digit body of a cell that failed only its check character: trimmed of
 * spaces, tabs and Excel's apostrophe, 18 characters, the first 17 ASCII digits. 0 if not. */
static uint64_t near_body(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t')) s++, n--;
    if (n && *s == '\'') s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) n--;
    if (n != 18) return 0;
    for (int i = 0; i < 17; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return ids_pack(s);
}

/* Keeps the current row (its ID invalid by the check character) if its body is a member's. */
static int keep_near(struct shared *sh, struct job *j, struct rowvals *rv, char **headers,
                     const char *cell, size_t len, uint32_t line)
{
    uint64_t key = near_body(cell, len);
    const struct cmp_slot *sl = key ? cmp_index_find(sh->ix, key) : NULL;
    char detail[DETAIL_MAX];
    struct nearid *nm;
    if (!sl) return 0;
    if (j->nnears == j->capnears) {
        size_t cap = j->capnears ? j->capnears * 2 : 64;
        struct nearid *p = mem_realloc(j->nears, cap * sizeof *p);
        if (!p) return ERR_NOMEM;
        j->nears = p;
        j->capnears = cap;
    }
    detail[0] = '\0';
    detail_cols(rv, j->near_cols, headers, detail, 0, sizeof detail);
    nm = &j->nears[j->nnears];
    nm->person = key;
    nm->hh = sl->hh;
    nm->line = line;
    nm->file = (uint16_t)j->fi;
    nm->detail = arena_strdup(j->arena, detail);
    if (!nm->detail) return ERR_NOMEM;
    j->nnears++;
    return 0;
}

static void run_job(struct shared *sh, struct job *j, int worker)
{
    const struct cmp_file *f = &sh->r->files[j->fi];
    const struct cmp_index *ix = sh->ix;
    struct compare_file_stats *st = &sh->res->files[j->fi];
    struct csv *c = NULL;
    struct batch *bt = NULL;
    int colidx[CMP_MAX_COLS];
    char *headers[CMP_MAX_COLS];
    struct rowvals rv;
    uint64_t reported = 0;
    size_t idfield;
    long n = 0;
    int rc;

    bt = mem_alloc(sizeof *bt);
    if (bt) bt->detail_at = mem_alloc(PBATCH * j->nb * sizeof *bt->detail_at);
    if (!bt || !bt->detail_at) {
        rc = error_set(&j->e, ERR_NOMEM, "out of memory");
        goto out;
    }
    bt->n = bt->len = 0;
    rc = csv_open(j->path, &c, &j->e);
    if (rc) goto out;
    st->gb18030 = csv_encoding_of(c) == CSV_GB18030;
    rc = csv_next(c, &j->e);
    if (rc == 0) {
        rc = error_at(&j->e, ERR_INVALID, j->path, 1, 0,
                      "bad header: the file is empty (expected a header row naming %s)",
                      f->cols[f->id_col].headers);
        goto out;
    }
    if (rc < 0) goto out;
    rc = map_header(j, f, c, colidx, headers, &j->e);
    if (rc) goto out;
    idfield = (size_t)colidx[f->id_col];
    j->name_field = f->name_col >= 0 ? colidx[f->name_col] : -1;
    st->bad = mem_calloc(sh->max_listed, sizeof *st->bad);
    if (!st->bad) {
        rc = error_set(&j->e, ERR_NOMEM, "out of memory");
        goto out;
    }
    memset(&rv, 0, sizeof rv);
    rv.f = f;
    rv.colidx = colidx;
    rv.c = c;
    rv.st = st;
    while ((rc = csv_next(c, &j->e)) == 1) {
        struct rid rid;
        struct pend *p;
        enum ids_problem prob;
        int listing, age = -1;
        uint64_t named = 0;
        if (csv_row_blank(c)) continue;
        st->rows++;
        if ((++n & 4095) == 0) {
            uint64_t now = csv_bytes_read(c);
            atomic_fetch_add(&sh->bytes_done, now - reported);
            reported = now;
            if (atomic_load_explicit(&sh->abort, memory_order_relaxed)) {
                rc = 0;
                goto out;
            }
            if (worker == 0) progress_update(&sh->prog, atomic_load(&sh->bytes_done), 0);
        }
        listing = st->nbad < sh->max_listed;
        prob = ids_parse(csv_field(c, idfield), csv_field_len(c, idfield), sh->today, &rid,
                         listing ? st->bad[st->nbad].why : NULL,
                         listing ? sizeof st->bad[st->nbad].why : 0);
        if (prob != IDS_OK) {
            st->invalid++;
            st->by_problem[prob]++;
            if (listing) {
                struct compare_bad_id *b = &st->bad[st->nbad++];
                size_t len = csv_field_len(c, idfield);
                b->line = csv_line(c);
                b->problem = (int)prob;
                if (len > sizeof b->raw - 1) len = sizeof b->raw - 1;
                memcpy(b->raw, csv_field(c, idfield), len);
                b->raw[len] = '\0';
            }
            if (prob == IDS_CHECK &&
                keep_near(sh, j, &rv, headers, csv_field(c, idfield), csv_field_len(c, idfield),
                          (uint32_t)csv_line(c))) {
                rc = error_set(&j->e, ERR_NOMEM, "out of memory");
                goto out;
            }
            continue;
        }
        st->valid++;
        if (bt->len + j->nb * DETAIL_MAX + 80 > SCRATCH) {
            rc = flush_batch(sh, j, bt, st, &j->e);
            if (rc) goto out;
        }
        __builtin_prefetch(&ix->slots[(rid.key * 0x9E3779B97F4A7C15ULL) >> (64 - ix->bits)]);
        p = &bt->p[bt->n];
        p->key = rid.key;
        p->line = (uint32_t)csv_line(c);
        p->ok = p->look = 0;
        p->name_at = NO_TEXT;
        rv.parsed = rv.ok = 0;
        for (size_t k = 0; k < j->nb; k++) {
            const struct binding *b = &j->b[k];
            const struct cmp_rule *ru = b->rule;
            uint32_t *at = &bt->detail_at[bt->n * j->nb + k];
            int ok = 1;
            *at = NO_TEXT;
            if (ru->age_min >= 0) { /* the part of the subject the ID alone decides */
                if (age < 0) age = date_age(rid.birth, sh->ref);
                if (age < ru->age_min || age > ru->age_max) continue;
            }
            for (size_t q = 0; q < b->src->ncond && ok; q++)
                ok = cond_holds(&rv, &b->src->cond[q], b->from[q], b->to[q]);
            if (ok) p->ok |= 1ULL << k;
            if (!ru->none && !ok) continue;
            p->look |= 1ULL << k;
            if (ru->none == ok) continue; /* a satisfied "none" rule keeps no record */
            *at = (uint32_t)bt->len;
            bt->len += detail_of(&rv, b->src, headers, bt->scratch + bt->len, DETAIL_MAX) + 1;
            if (!ru->none) named = 1;
        }
        if (named && j->name_field >= 0) {
            const char *s;
            size_t len;
            trimmed(csv_field(c, (size_t)j->name_field), csv_field_len(c, (size_t)j->name_field),
                    &s, &len);
            if (len > 63) len = 63;
            p->name_at = (uint32_t)bt->len;
            memcpy(bt->scratch + bt->len, s, len);
            bt->scratch[bt->len + len] = '\0';
            bt->len += len + 1;
        }
        if (++bt->n == PBATCH) {
            rc = flush_batch(sh, j, bt, st, &j->e);
            if (rc) goto out;
        }
    }
    if (rc > 0) rc = 0;
    if (!rc) rc = flush_batch(sh, j, bt, st, &j->e);
    atomic_fetch_add(&sh->bytes_done, csv_bytes_read(c) - reported);
out:
    csv_close(c);
    if (bt) mem_free(bt->detail_at);
    mem_free(bt);
    j->rc = rc;
}

struct worker_arg {
    struct shared *sh;
    int id;
};

static void *worker_main(void *arg)
{
    struct worker_arg *w = arg;
    struct shared *sh = w->sh;
    for (;;) {
        size_t k = atomic_fetch_add(&sh->next, 1);
        struct job *j;
        if (k >= sh->njobs || atomic_load(&sh->abort)) break;
        j = &sh->jobs[sh->order[k]];
        run_job(sh, j, w->id);
        if (j->rc) atomic_store(&sh->abort, 1);
    }
    return NULL;
}

/* ------------------------------------------------------------------ merge */

struct aref {
    uint64_t key;
    uint32_t file;
    struct agg *a;
};

static int cmp_aref(const void *x, const void *y)
{
    const struct aref *a = x, *b = y;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return (a->file > b->file) - (a->file < b->file);
}

static int cmp_flag_order(const void *x, const void *y)
{
    const struct cmp_flag *a = x, *b = y;
    uint32_t ha = a->hh ? a->hh : UINT32_MAX, hb = b->hh ? b->hh : UINT32_MAX;
    if (a->county != b->county) return a->county < b->county ? -1 : 1;
    if (ha != hb) return ha < hb ? -1 : 1;
    if (a->person != b->person) return a->person < b->person ? -1 : 1;
    return (a->rule > b->rule) - (a->rule < b->rule);
}

struct flagvec {
    struct cmp_flag *v;
    size_t n, cap;
};

static struct cmp_flag *flag_new(struct flagvec *fv)
{
    if (fv->n == fv->cap) {
        size_t cap = fv->cap ? fv->cap * 2 : 1024;
        struct cmp_flag *p = mem_realloc(fv->v, cap * sizeof *p);
        if (!p) return NULL;
        fv->v = p;
        fv->cap = cap;
    }
    memset(&fv->v[fv->n], 0, sizeof fv->v[0]);
    return &fv->v[fv->n++];
}

/* Fills a flag's place from its unit. */
static void flag_place(struct cmp_flag *fl, const struct cmp_index *ix)
{
    uint64_t unit = fl->key & KEY_UNIT_MASK;
    fl->rule = (uint16_t)(fl->key >> KEY_RULE_SHIFT);
    if (unit & UNIT_HH) {
        fl->hh = (uint32_t)(unit & 0xffffffffu);
        fl->person = 0;
    } else {
        struct cmp_slot *sl = cmp_index_find(ix, unit);
        fl->person = unit;
        fl->hh = sl ? sl->hh : 0;
    }
    fl->county = fl->hh ? cmp_hh_county(ix, fl->hh) : (uint32_t)(unit / 100000000000ULL);
}

/* Merges refs[lo, hi) (one key) into fl: counts, evidence in (file, line) order. */
static void merge_group(struct cmp_flag *fl, struct aref *refs, size_t lo, size_t hi, int max_ev)
{
    struct cmp_ev *tail = NULL;
    fl->key = refs[lo].key;
    for (size_t i = lo; i < hi; i++) {
        struct agg *a = refs[i].a;
        fl->records += a->count;
        if (!fl->name && a->name) fl->name = a->name;
        for (struct cmp_ev *ev = a->head; ev && fl->nev < (uint32_t)max_ev; ev = ev->next) {
            if (tail)
                tail->next = ev;
            else
                fl->ev = ev;
            tail = ev;
            fl->nev++;
        }
    }
    if (tail) tail->next = NULL;
}

static int cmp_nearid(const void *x, const void *y)
{
    const struct nearid *a = x, *b = y;
    if (a->hh != b->hh) return a->hh < b->hh ? -1 : 1;
    if (a->person != b->person) return a->person < b->person ? -1 : 1;
    if (a->file != b->file) return a->file < b->file ? -1 : 1;
    return (a->line > b->line) - (a->line < b->line);
}

/* Adds to each flag of a roster unit the near-miss rows (ID invalid by its check character,
 * body a member's) of the files its rule reads: the member's own for a member flag, any
 * member's for a household flag; at most max_evidence per flag, after its records, in
 * (person, file, line) order. They explain a "none" flag (the school-roll record was there,
 * its ID mistyped) and never change which flags are raised. 0 or ERR_NOMEM. */
static int attach_nears(struct shared *sh, struct cmp_outcome *out, struct cmp_flag *flags,
                        size_t nflags)
{
    const struct compare_rules *r = sh->r;
    struct nearid *all;
    size_t n = 0;
    for (size_t i = 0; i < sh->njobs; i++) n += sh->jobs[i].nnears;
    if (!n) return 0;
    all = mem_alloc(n * sizeof *all);
    if (!all) return ERR_NOMEM;
    n = 0;
    for (size_t i = 0; i < sh->njobs; i++) {
        if (sh->jobs[i].nnears)
            memcpy(all + n, sh->jobs[i].nears, sh->jobs[i].nnears * sizeof *all);
        n += sh->jobs[i].nnears;
    }
    qsort(all, n, sizeof *all, cmp_nearid);
    for (size_t f = 0; f < nflags; f++) {
        struct cmp_flag *fl = &flags[f];
        const struct cmp_rule *ru = &r->rules[fl->rule];
        struct cmp_ev *tail = fl->ev;
        size_t lo = 0, hi = n, kept = 0;
        if (!fl->hh) continue;
        while (lo < hi) { /* first near row of the household */
            size_t mid = lo + (hi - lo) / 2;
            if (all[mid].hh < fl->hh)
                lo = mid + 1;
            else
                hi = mid;
        }
        while (tail && tail->next) tail = tail->next;
        for (size_t k = lo; k < n && all[k].hh == fl->hh && kept < (size_t)r->max_evidence; k++) {
            const struct nearid *nm = &all[k];
            struct cmp_ev *ev;
            int reads = 0;
            if (fl->person && nm->person != fl->person) continue;
            for (size_t q = 0; q < ru->nsrc && !reads; q++) reads = ru->src[q].file == nm->file;
            if (!reads) continue;
            ev = arena_alloc(&out->arenas[nm->file], sizeof *ev);
            if (!ev) {
                mem_free(all);
                return ERR_NOMEM;
            }
            ev->next = NULL;
            ev->person = nm->person;
            ev->line = nm->line;
            ev->file = nm->file;
            ev->matched = EV_ID_INVALID;
            ev->detail = nm->detail;
            if (tail)
                tail->next = ev;
            else
                fl->ev = ev;
            tail = ev;
            kept++;
        }
    }
    mem_free(all);
    return 0;
}

static int merge_and_decide(struct shared *sh, struct cmp_outcome *out, struct error *e)
{
    const struct compare_rules *r = sh->r;
    const struct cmp_index *ix = sh->ix;
    struct aref *refs = NULL;
    struct flagvec fv = {0}, nearv = {0};
    struct u64map near;
    size_t nrefs = 0, total = 0;
    int rc = 0;
    u64map_init(&near);
    for (size_t i = 0; i < sh->njobs; i++) total += sh->jobs[i].naggs;
    refs = mem_alloc((total ? total : 1) * sizeof *refs);
    if (!refs) goto nomem;
    for (size_t i = 0; i < sh->njobs; i++)
        for (size_t k = 0; k < sh->jobs[i].naggs; k++) {
            refs[nrefs].key = sh->jobs[i].aggs[k].key;
            refs[nrefs].file = (uint32_t)sh->jobs[i].fi;
            refs[nrefs++].a = &sh->jobs[i].aggs[k];
        }
    qsort(refs, nrefs, sizeof *refs, cmp_aref);
    for (size_t lo = 0, hi; lo < nrefs; lo = hi) {
        const struct cmp_rule *ru = &r->rules[refs[lo].key >> KEY_RULE_SHIFT];
        struct cmp_flag *fl;
        for (hi = lo + 1; hi < nrefs && refs[hi].key == refs[lo].key; hi++) {
        }
        fl = flag_new(ru->none ? &nearv : &fv);
        if (!fl) goto nomem;
        merge_group(fl, refs, lo, hi, r->max_evidence);
        if (ru->none && u64map_put(&near, fl->key, nearv.n - 1, NULL) < 0) goto nomem;
        if (!ru->none) flag_place(fl, ix);
    }
    if (r->nnone) {
        const struct cmp_rule *mem_rules[CMP_MAX_NONE], *hh_rules[CMP_MAX_NONE];
        uint16_t mem_idx[CMP_MAX_NONE], hh_idx[CMP_MAX_NONE];
        int nm = 0, nh = 0;
        for (size_t i = 0; i < r->nrules; i++) {
            const struct cmp_rule *ru = &r->rules[i];
            if (!ru->none || !sh->res->rules[i].applied) continue;
            if (ru->household_scope)
                hh_rules[nh] = ru, hh_idx[nh++] = (uint16_t)i;
            else
                mem_rules[nm] = ru, mem_idx[nm++] = (uint16_t)i;
        }
        for (size_t s = 0; nm && s < ix->cap; s++) {
            struct cmp_slot *sl = &ix->slots[s];
            uint64_t key = atomic_load_explicit(&sl->key, memory_order_relaxed);
            unsigned seen;
            if (!key) continue;
            seen = atomic_load_explicit(&sl->seen, memory_order_relaxed);
            for (int q = 0; q < nm; q++) {
                struct cmp_flag *fl;
                uint64_t *v;
                if (seen & (1u << mem_rules[q]->none_bit)) continue;
                if (!subject_ok(mem_rules[q], sl, key, sh->ref)) continue;
                if (!(fl = flag_new(&fv))) goto nomem;
                fl->key = (uint64_t)mem_idx[q] << KEY_RULE_SHIFT | key;
                if ((v = u64map_get(&near, fl->key))) *fl = nearv.v[*v];
                flag_place(fl, ix);
            }
        }
        for (size_t h = 1; nh && h < ix->nhh; h++) {
            struct cmp_slot pseudo;
            unsigned seen;
            if (!ix->hh[h].village) continue;
            memset(&pseudo, 0, sizeof pseudo);
            pseudo.attrs = ix->hh[h].attrs;
            seen = atomic_load_explicit(&ix->hh[h].seen, memory_order_relaxed);
            for (int q = 0; q < nh; q++) {
                struct cmp_flag *fl;
                uint64_t *v;
                if (seen & (1u << hh_rules[q]->none_bit)) continue;
                if (!subject_ok(hh_rules[q], &pseudo, 0, sh->ref)) continue;
                if (!(fl = flag_new(&fv))) goto nomem;
                fl->key = (uint64_t)hh_idx[q] << KEY_RULE_SHIFT | UNIT_HH | h;
                if ((v = u64map_get(&near, fl->key))) *fl = nearv.v[*v];
                flag_place(fl, ix);
            }
        }
    }
    if (attach_nears(sh, out, fv.v, fv.n)) goto nomem;
    qsort(fv.v, fv.n, sizeof *fv.v, cmp_flag_order);
    out->flags = fv.v;
    out->nflags = fv.n;
    fv.v = NULL;
    goto out;
nomem:
    rc = error_set(e, ERR_NOMEM, "out of memory");
out:
    mem_free(refs);
    mem_free(fv.v);
    mem_free(nearv.v);
    u64map_release(&near);
    return rc;
}

/* ------------------------------------------------------------------ counts */

static int count_flags(const struct cmp_index *ix, const struct cmp_outcome *oc,
                       struct compare_result *res, struct error *e)
{
    uint32_t last_hh[CMP_MAX_RULES];
    size_t cap = ix->ncounties + 16, n = 0, fi = 0, ci = 0;
    struct compare_county_stats *cs = mem_calloc(cap, sizeof *cs);
    if (!cs) return error_set(e, ERR_NOMEM, "out of memory");
    memset(last_hh, 0, sizeof last_hh);
    res->counties = cs;
    res->flags = (int64_t)oc->nflags;
    /* merge the registry's counties (sorted) with the flags' (sorted by county) */
    while (ci < ix->ncounties || fi < oc->nflags) {
        int code;
        struct compare_county_stats *c;
        if (ci < ix->ncounties &&
            (fi >= oc->nflags || (uint32_t)ix->counties[ci].code <= oc->flags[fi].county))
            code = ix->counties[ci].code;
        else
            code = (int)oc->flags[fi].county;
        if (n == cap) {
            struct compare_county_stats *p = mem_realloc(cs, cap * 2 * sizeof *p);
            if (!p) return error_set(e, ERR_NOMEM, "out of memory");
            memset(p + cap, 0, cap * sizeof *p);
            cs = res->counties = p;
            cap *= 2;
        }
        c = &cs[n++];
        res->ncounties = n;
        c->code = code;
        c->flags = mem_calloc(res->nrules ? res->nrules : 1, sizeof *c->flags);
        if (!c->flags) return error_set(e, ERR_NOMEM, "out of memory");
        if (ci < ix->ncounties && ix->counties[ci].code == code) {
            snprintf(c->name, sizeof c->name, "%s", ix->counties[ci].name);
            ci++;
        }
        for (; fi < oc->nflags && oc->flags[fi].county == (uint32_t)code; fi++) {
            const struct cmp_flag *fl = &oc->flags[fi];
            struct compare_rule_stats *rs = &res->rules[fl->rule];
            c->flags[fl->rule]++;
            c->total++;
            rs->flags++;
            if (!fl->hh)
                rs->absent++;
            else if (fl->hh != last_hh[fl->rule]) {
                rs->households++;
                last_hh[fl->rule] = fl->hh;
            }
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ run */

static int cmp_job_size(const void *x, const void *y, void *ctx)
{
    const struct job *jobs = ctx;
    const struct job *a = &jobs[*(const size_t *)x], *b = &jobs[*(const size_t *)y];
    if (a->size != b->size) return a->size > b->size ? -1 : 1;
    return (a->fi > b->fi) - (a->fi < b->fi);
}

/* Opens each file to check its header (and the encoding of its first block) before any
 * streaming, so a bad file is reported the same way whatever the threads do. */
static int precheck(struct shared *sh, struct job *j, struct error *e)
{
    const struct cmp_file *f = &sh->r->files[j->fi];
    struct csv *c = NULL;
    int colidx[CMP_MAX_COLS];
    char *headers[CMP_MAX_COLS];
    struct arena tmp;
    struct arena *keep = j->arena;
    int rc;
    arena_init(&tmp, 4096);
    j->arena = &tmp;
    rc = csv_open(j->path, &c, e);
    if (!rc) {
        rc = csv_next(c, e);
        if (rc == 0)
            rc = error_at(e, ERR_INVALID, j->path, 1, 0,
                          "bad header: the file is empty (expected a header row naming %s)",
                          f->cols[f->id_col].headers);
        else if (rc > 0)
            rc = map_header(j, f, c, colidx, headers, e);
    }
    csv_close(c);
    j->arena = keep;
    arena_release(&tmp);
    return rc;
}

int cmp_engine_run(const struct compare_rules *r, const struct cmp_index *ix, const char *dept_dir,
                   const struct compare_opts *o, int ref, int today, struct compare_result *res,
                   struct cmp_outcome *out, struct error *e)
{
    struct shared sh;
    struct job *jobs = NULL;
    pthread_t tid[16];
    struct worker_arg wa[16];
    int started[16] = {0};
    int nt, rc = 0;
    int absent[CMP_MAX_FILES] = {0};
    double t0 = clock_seconds();

    memset(&sh, 0, sizeof sh);
    memset(out, 0, sizeof *out);
    sh.r = r;
    sh.ix = ix;
    sh.o = o;
    sh.res = res;
    sh.ref = ref;
    sh.today = today;
    sh.max_listed = o && o->max_listed ? o->max_listed : 20;

    /* which files exist, which rules can be applied */
    for (size_t i = 0; i < r->nfiles; i++) {
        struct compare_file_stats *st = &res->files[i];
        struct stat sb;
        char *path;
        struct strbuf p = STRBUF_INIT;
        sb_addf(&p, "%s/%s", dept_dir, r->files[i].file);
        path = sb_detach(&p, NULL);
        if (!path) return error_set(e, ERR_NOMEM, "out of memory");
        if (stat(path, &sb) || !S_ISREG(sb.st_mode))
            absent[i] = 1;
        else
            st->bytes = (int64_t)sb.st_size;
        st->present = !absent[i];
        mem_free(path);
    }
    for (size_t i = 0; i < r->nrules; i++) {
        res->rules[i].applied = 1;
        for (size_t k = 0; k < r->rules[i].nsrc; k++)
            if (absent[r->rules[i].src[k].file]) res->rules[i].applied = 0;
    }

    jobs = mem_calloc(r->nfiles, sizeof *jobs);
    out->arenas = mem_calloc(r->nfiles, sizeof *out->arenas);
    sh.order = mem_calloc(r->nfiles, sizeof *sh.order);
    if (!jobs || !out->arenas || !sh.order) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    out->narenas = r->nfiles;
    for (size_t i = 0; i < r->nfiles; i++) arena_init(&out->arenas[i], 1 << 16);
    sh.jobs = jobs;
    for (size_t i = 0; i < r->nfiles; i++) {
        struct job *j = &jobs[sh.njobs];
        struct strbuf p = STRBUF_INIT;
        if (absent[i]) continue;
        memset(j, 0, sizeof *j);
        u64map_init(&j->map);
        j->fi = i;
        j->arena = &out->arenas[i];
        j->size = res->files[i].bytes;
        j->name_field = -1;
        for (size_t q = 0; q < r->nrules; q++)
            for (size_t k = 0; k < r->rules[q].nsrc; k++)
                if (res->rules[q].applied && r->rules[q].src[k].file == (int)i) j->nb++;
        if (!j->nb) continue; /* read by no rule that can be applied */
        j->b = mem_calloc(j->nb, sizeof *j->b);
        sb_addf(&p, "%s/%s", dept_dir, r->files[i].file);
        j->path = sb_detach(&p, NULL);
        sh.njobs++;
        if (!j->b || !j->path) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        j->nb = 0;
        for (size_t q = 0; q < r->nrules; q++)
            for (size_t k = 0; k < r->rules[q].nsrc; k++) {
                const struct cmp_source *src = &r->rules[q].src[k];
                struct binding *b;
                if (!res->rules[q].applied || src->file != (int)i) continue;
                b = &j->b[j->nb++];
                b->rule = &r->rules[q];
                b->src = src;
                b->rule_idx = (uint16_t)q;
                for (size_t c = 0; c < src->ncond; c++) {
                    b->from[c] = cmp_date_resolve(&src->cond[c].from, ref, 0);
                    b->to[c] = cmp_date_resolve(&src->cond[c].to, ref, 99991231);
                    j->near_cols |= 1u << src->cond[c].col;
                }
            }
        j->near_cols |= r->files[i].show;
        sh.bytes_total += (uint64_t)j->size;
    }
    for (size_t k = 0; k < sh.njobs; k++) {
        rc = precheck(&sh, &jobs[k], e);
        if (rc) goto out;
    }
    for (size_t k = 0; k < sh.njobs; k++) sh.order[k] = k;
    qsort_r(sh.order, sh.njobs, sizeof *sh.order, cmp_job_size, jobs);

    nt = o && o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (nt < 1) nt = 1;
    if (nt > 16) nt = 16;
    if ((size_t)nt > sh.njobs) nt = sh.njobs ? (int)sh.njobs : 1;
    res->threads = nt;
    progress_init(&sh.prog, "comparing", sh.bytes_total);
    if (!(o && o->progress)) sh.prog.enabled = 0;
    for (int t = 0; t < nt; t++) {
        wa[t].sh = &sh;
        wa[t].id = t;
    }
    for (int t = 1; t < nt; t++) {
        if (pthread_create(&tid[t], NULL, worker_main, &wa[t])) break;
        started[t] = 1;
    }
    worker_main(&wa[0]);
    for (int t = 1; t < nt; t++)
        if (started[t]) pthread_join(tid[t], NULL);
    progress_finish(&sh.prog, 0);
    for (size_t k = 0; k < sh.njobs; k++)
        if (jobs[k].rc) {
            rc = jobs[k].rc;
            *e = jobs[k].e;
            goto out;
        }
    res->seconds_files = clock_seconds() - t0;
    rc = merge_and_decide(&sh, out, e);
    if (!rc) rc = count_flags(ix, out, res, e);
out:
    for (size_t k = 0; jobs && k < r->nfiles; k++) {
        mem_free(jobs[k].path);
        mem_free(jobs[k].b);
        mem_free(jobs[k].aggs);
        mem_free(jobs[k].nears);
        u64map_release(&jobs[k].map);
    }
    mem_free(jobs);
    mem_free(sh.order);
    if (rc) cmp_outcome_release(out);
    return rc;
}

void cmp_outcome_release(struct cmp_outcome *out)
{
    mem_free(out->flags);
    for (size_t i = 0; i < out->narenas; i++) arena_release(&out->arenas[i]);
    mem_free(out->arenas);
    memset(out, 0, sizeof *out);
}
