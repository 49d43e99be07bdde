/*
 * frame.c — where a draw gets its units (plan.h: struct frame_source), and the frozen frame.
 *
 * The registry provider answers the draw's questions from the store (counties in scope;
 * the townships, villages and projects of a county; the households of a village, with their
 * persons) and records every unit it serves as a frame row: (level, key, parent, attrs),
 * attrs being canonical JSON (sorted keys, compact) of exactly the attributes the draw
 * reads. frame_freeze stores those rows with the sample; the frozen provider (in this file
 * too) reads them back and serves the same units, so a later registry import cannot change
 * what `sample verify` re-derives.
 *
 * The frame hash is SHA-256 over the rows sorted by (level, key), one line each:
 * "level\tkey\tparent\tattrs\n" — computed the same way at freezing and at verification.
 *
 * Invariant: a provider's arrays stay valid until the next call of the same function; the
 * draw copies what it keeps.
 */
#include "plan_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ frame rows */

static int add_row(struct frame_rows *fr, const char *level, const char *key,
                   const char *parent, json_t *attrs)
{
    char *a = json_dumps(attrs, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    int rc;
    if (!a) return ERR_NOMEM;
    rc = frame_rows_add(fr, level, key, parent, a);
    free(a);
    return rc;
}

int frame_rows_add(struct frame_rows *fr, const char *level, const char *key, const char *parent,
                   const char *attrs)
{
    struct frame_row *r;
    if (fr->n == fr->cap) {
        size_t cap = fr->cap ? fr->cap * 2 : 1024;
        struct frame_row *p = mem_realloc(fr->rows, cap * sizeof *p);
        if (!p) return ERR_NOMEM;
        fr->rows = p, fr->cap = cap;
    }
    r = &fr->rows[fr->n];
    snprintf(r->level, sizeof r->level, "%s", level);
    r->key = arena_strdup(&fr->arena, key);
    r->parent = arena_strdup(&fr->arena, parent);
    r->attrs = arena_strdup(&fr->arena, attrs);
    if (!r->key || !r->parent || !r->attrs) return ERR_NOMEM;
    fr->n++;
    return 0;
}

void frame_rows_init(struct frame_rows *fr)
{
    memset(fr, 0, sizeof *fr);
    arena_init(&fr->arena, 1 << 18);
}

void frame_rows_release(struct frame_rows *fr)
{
    mem_free(fr->rows);
    arena_release(&fr->arena);
    memset(fr, 0, sizeof *fr);
}

static int cmp_rows(const void *a, const void *b)
{
    const struct frame_row *x = a, *y = b;
    int c = strcmp(x->level, y->level);
    return c ? c : strcmp(x->key, y->key);
}

/* Sorts by (level, key) and drops repeats (a unit served twice is one frame row). */
void frame_rows_normalise(struct frame_rows *fr)
{
    size_t w = 0;
    if (!fr->n) return;
    qsort(fr->rows, fr->n, sizeof *fr->rows, cmp_rows);
    for (size_t i = 1; i < fr->n; i++)
        if (cmp_rows(&fr->rows[i], &fr->rows[w])) fr->rows[++w] = fr->rows[i];
    fr->n = w + 1;
}

void frame_rows_hash(const struct frame_rows *fr, char out[65])
{
    struct sha256 h;
    struct strbuf line = STRBUF_INIT;
    sha256_init(&h);
    for (size_t i = 0; i < fr->n; i++) {
        sb_reset(&line);
        sb_addf(&line, "%s\t%s\t%s\t%s\n", fr->rows[i].level, fr->rows[i].key,
                fr->rows[i].parent, fr->rows[i].attrs);
        sha256_update(&h, line.buf, line.len);
    }
    sb_release(&line);
    sha256_final_hex(&h, out);
}

/* ------------------------------------------------------------------ registry provider */

struct frame_registry {
    struct store *s;
    const struct plan *p;
    struct frame_rows rows;
    int counties_recorded;
    struct frame_county *fc;
    size_t nfc;
    struct frame_township *ft;
    struct frame_village *fv;
    struct frame_household *fh;
    struct frame_project *fp;
    size_t cap_t, cap_v, cap_h, cap_p;
    struct stmt *q_town, *q_vill, *q_hh, *q_proj;
};

#define GROW(arr, cap, n)                                                                     \
    do {                                                                                      \
        if ((n) >= (cap)) {                                                                   \
            size_t c2 = (cap) ? (cap) * 2 : 256;                                              \
            void *p2 = mem_realloc((arr), c2 * sizeof *(arr));                                \
            if (!p2) return error_set(e, ERR_NOMEM, "out of memory");                         \
            (arr) = p2;                                                                       \
            (cap) = c2;                                                                       \
        }                                                                                     \
    } while (0)

static int reg_counties(void *ctx, const struct frame_county **out, size_t *n, struct error *e)
{
    struct frame_registry *r = ctx;
    struct stmt *st;
    int rc;
    if (r->fc) {
        *out = r->fc;
        *n = r->nfc;
        return 0;
    }
    rc = store_prepare(r->s, "SELECT code, type, exit_year, paired_with FROM counties ORDER BY code",
                       &st, e);
    if (rc) return rc;
    {
        size_t cap = 0;
        while ((rc = stmt_step(st, e)) == STORE_ROW) {
            struct frame_county *c;
            json_t *a;
            char key[16];
            GROW(r->fc, cap, r->nfc);
            c = &r->fc[r->nfc];
            memset(c, 0, sizeof *c);
            c->code = (int)stmt_int(st, 0);
            c->province = c->code / 10000;
            c->city = c->code / 100;
            snprintf(c->type, sizeof c->type, "%s", stmt_text(st, 1));
            c->exit_year = stmt_type(st, 2) == STORE_NULL ? 0 : (int)stmt_int(st, 2);
            c->paired = stmt_type(st, 3) != STORE_NULL;
            /* only counties in the plan's scope belong to the frame */
            if (r->p->province && c->province != r->p->province) continue;
            if (r->p->county && c->code != r->p->county) continue;
            r->nfc++;
            snprintf(key, sizeof key, "%d", c->code);
            a = json_pack("{s:s, s:i, s:i}", "type", c->type, "exit_year", c->exit_year,
                          "paired", c->paired);
            if (!a || add_row(&r->rows, "county", key, "", a)) {
                json_decref(a);
                stmt_finalize(st);
                return error_set(e, ERR_NOMEM, "out of memory");
            }
            json_decref(a);
        }
    }
    stmt_finalize(st);
    if (rc < 0) return rc;
    *out = r->fc;
    *n = r->nfc;
    return 0;
}

static int reg_townships(void *ctx, int county, const struct frame_township **out, size_t *n,
                         struct error *e)
{
    struct frame_registry *r = ctx;
    int rc;
    size_t k = 0;
    char parent[16];
    snprintf(parent, sizeof parent, "%d", county);
    if (!r->q_town &&
        (rc = store_prepare(r->s, "SELECT code, key_township FROM townships WHERE county = ? "
                                  "ORDER BY code",
                            &r->q_town, e)))
        return rc;
    stmt_reset(r->q_town);
    stmt_bind_int(r->q_town, 1, county);
    while ((rc = stmt_step(r->q_town, e)) == STORE_ROW) {
        json_t *a;
        char key[16];
        GROW(r->ft, r->cap_t, k);
        r->ft[k].code = (int)stmt_int(r->q_town, 0);
        r->ft[k].key = (int)stmt_int(r->q_town, 1);
        snprintf(key, sizeof key, "%d", r->ft[k].code);
        a = json_pack("{s:i}", "key", r->ft[k].key);
        if (!a || add_row(&r->rows, "township", key, parent, a)) {
            json_decref(a);
            return error_set(e, ERR_NOMEM, "out of memory");
        }
        json_decref(a);
        k++;
    }
    if (rc < 0) return rc;
    *out = r->ft;
    *n = k;
    return 0;
}

static int reg_villages(void *ctx, int county, const struct frame_village **out, size_t *n,
                        struct error *e)
{
    struct frame_registry *r = ctx;
    int rc;
    size_t k = 0;
    char parent[16];
    snprintf(parent, sizeof parent, "%d", county);
    if (!r->q_vill &&
        (rc = store_prepare(
             r->s,
             "SELECT v.code, v.township, v.poor, v.groups, v.remoteness, v.population,"
             " t.key_township, coalesce(a.rh, 0), coalesce(a.rp, 0), coalesce(a.up, 0)"
             " FROM villages v JOIN townships t ON t.code = v.township"
             " LEFT JOIN (SELECT h.village AS vc, sum(h.registered) AS rh,"
             "   sum(CASE WHEN h.registered = 1 THEN (SELECT count(*) FROM members m"
             "       WHERE m.household = h.row_no) ELSE 0 END) AS rp,"
             "   sum(CASE WHEN h.registered = 1 AND (h.exit_year IS NULL OR h.returned = 1)"
             "       THEN (SELECT count(*) FROM members m WHERE m.household = h.row_no)"
             "       ELSE 0 END) AS up"
             "   FROM households h WHERE h.village BETWEEN ? AND ? GROUP BY h.village) a"
             "   ON a.vc = v.code"
             " WHERE v.county = ? ORDER BY v.code",
             &r->q_vill, e)))
        return rc;
    stmt_reset(r->q_vill);
    stmt_bind_int(r->q_vill, 1, (int64_t)county * 1000000);
    stmt_bind_int(r->q_vill, 2, (int64_t)county * 1000000 + 999999);
    stmt_bind_int(r->q_vill, 3, county);
    while ((rc = stmt_step(r->q_vill, e)) == STORE_ROW) {
        struct frame_village *v;
        json_t *a;
        char key[24];
        GROW(r->fv, r->cap_v, k);
        v = &r->fv[k];
        v->code = stmt_int(r->q_vill, 0);
        v->township = (int)stmt_int(r->q_vill, 1);
        v->county = county;
        v->poor = (int)stmt_int(r->q_vill, 2);
        v->groups = (int)stmt_int(r->q_vill, 3);
        v->remoteness = stmt_double(r->q_vill, 4);
        v->population = stmt_int(r->q_vill, 5);
        v->key_township = (int)stmt_int(r->q_vill, 6);
        v->registered_households = stmt_int(r->q_vill, 7);
        v->registered_persons = stmt_int(r->q_vill, 8);
        v->unexited_persons = stmt_int(r->q_vill, 9);
        snprintf(key, sizeof key, "%lld", (long long)v->code);
        a = json_pack("{s:i, s:i, s:i, s:i, s:f, s:I, s:I, s:I, s:I}", "township", v->township,
                      "poor", v->poor, "groups", v->groups, "key_township", v->key_township,
                      "remoteness", v->remoteness, "population", (json_int_t)v->population,
                      "registered_households", (json_int_t)v->registered_households,
                      "registered_persons", (json_int_t)v->registered_persons,
                      "unexited_persons", (json_int_t)v->unexited_persons);
        if (!a || add_row(&r->rows, "village", key, parent, a)) {
            json_decref(a);
            return error_set(e, ERR_NOMEM, "out of memory");
        }
        json_decref(a);
        k++;
    }
    if (rc < 0) return rc;
    *out = r->fv;
    *n = k;
    return 0;
}

static int reg_households(void *ctx, int64_t village, const struct frame_household **out,
                          size_t *n, struct error *e)
{
    struct frame_registry *r = ctx;
    int rc;
    size_t k = 0;
    char parent[24];
    snprintf(parent, sizeof parent, "%lld", (long long)village);
    if (!r->q_hh &&
        (rc = store_prepare(r->s,
                            "SELECT household_id, grp, registered, identified_year, exit_year,"
                            " returned, edge, monitored, allowance, hardship, disability, illness,"
                            " unsafe_house, relocated, (SELECT count(*) FROM members m WHERE"
                            " m.household = h.row_no) FROM households h WHERE village = ? ORDER"
                            " BY row_no",
                            &r->q_hh, e)))
        return rc;
    stmt_reset(r->q_hh);
    stmt_bind_int(r->q_hh, 1, village);
    while ((rc = stmt_step(r->q_hh, e)) == STORE_ROW) {
        struct frame_household *h;
        static const unsigned bits[] = {HF_EDGE,     HF_MONITORED,  HF_ALLOWANCE, HF_HARDSHIP,
                                        HF_DISABILITY, HF_ILLNESS,  HF_UNSAFE_HOUSE,
                                        HF_RELOCATED};
        json_t *a;
        GROW(r->fh, r->cap_h, k);
        h = &r->fh[k];
        memset(h, 0, sizeof *h);
        snprintf(h->id, sizeof h->id, "%s", stmt_text(r->q_hh, 0));
        h->village = village;
        h->grp = (int)stmt_int(r->q_hh, 1);
        h->registered = (int)stmt_int(r->q_hh, 2);
        h->identified_year = (int)stmt_int(r->q_hh, 3);
        h->exit_year = (int)stmt_int(r->q_hh, 4);
        h->returned = (int)stmt_int(r->q_hh, 5);
        for (int b = 0; b < 8; b++)
            if (stmt_int(r->q_hh, 6 + b)) h->flags |= bits[b];
        h->persons = (int)stmt_int(r->q_hh, 14);
        a = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "group", h->grp, "registered",
                      h->registered, "identified_year", h->identified_year, "exit_year",
                      h->exit_year, "returned", h->returned, "flags", (int)h->flags, "persons",
                      h->persons);
        if (!a || add_row(&r->rows, "household", h->id, parent, a)) {
            json_decref(a);
            return error_set(e, ERR_NOMEM, "out of memory");
        }
        json_decref(a);
        k++;
    }
    if (rc < 0) return rc;
    *out = r->fh;
    *n = k;
    return 0;
}

static int reg_projects(void *ctx, int county, const struct frame_project **out, size_t *n,
                        struct error *e)
{
    struct frame_registry *r = ctx;
    int rc;
    size_t k = 0;
    char parent[16];
    snprintf(parent, sizeof parent, "%d", county);
    if (!r->q_proj &&
        (rc = store_prepare(r->s, "SELECT project_id, village, paired FROM projects WHERE county"
                                  " = ? ORDER BY row_no",
                            &r->q_proj, e)))
        return rc;
    stmt_reset(r->q_proj);
    stmt_bind_int(r->q_proj, 1, county);
    while ((rc = stmt_step(r->q_proj, e)) == STORE_ROW) {
        struct frame_project *pj;
        json_t *a;
        GROW(r->fp, r->cap_p, k);
        pj = &r->fp[k];
        snprintf(pj->id, sizeof pj->id, "%s", stmt_text(r->q_proj, 0));
        pj->county = county;
        pj->village = stmt_type(r->q_proj, 1) == STORE_NULL ? 0 : stmt_int(r->q_proj, 1);
        pj->paired = (int)stmt_int(r->q_proj, 2);
        a = json_pack("{s:I, s:i}", "village", (json_int_t)pj->village, "paired", pj->paired);
        if (!a || add_row(&r->rows, "project", pj->id, parent, a)) {
            json_decref(a);
            return error_set(e, ERR_NOMEM, "out of memory");
        }
        json_decref(a);
        k++;
    }
    if (rc < 0) return rc;
    *out = r->fp;
    *n = k;
    return 0;
}

int frame_registry_new(struct store *s, const struct plan *p, struct frame_registry **out,
                       struct error *e)
{
    struct frame_registry *r = mem_calloc(1, sizeof *r);
    if (!r) return error_set(e, ERR_NOMEM, "out of memory");
    r->s = s;
    r->p = p;
    frame_rows_init(&r->rows);
    *out = r;
    return 0;
}

void frame_registry_source(struct frame_registry *r, struct frame_source *src)
{
    src->ctx = r;
    src->counties = reg_counties;
    src->townships = reg_townships;
    src->villages = reg_villages;
    src->households = reg_households;
    src->projects = reg_projects;
}

struct frame_rows *frame_registry_rows(struct frame_registry *r)
{
    return &r->rows;
}

void frame_registry_free(struct frame_registry *r)
{
    if (!r) return;
    stmt_finalize(r->q_town);
    stmt_finalize(r->q_vill);
    stmt_finalize(r->q_hh);
    stmt_finalize(r->q_proj);
    mem_free(r->fc);
    mem_free(r->ft);
    mem_free(r->fv);
    mem_free(r->fh);
    mem_free(r->fp);
    frame_rows_release(&r->rows);
    mem_free(r);
}

/* ------------------------------------------------------------------ frozen provider */

/* Serves rows of a struct frame_rows (sorted by level, key) as a frame_source. */
struct frame_frozen {
    const struct frame_rows *rows;
    const struct frame_row **by_parent; /* rows sorted by (level, parent, key) */
    struct frame_county *fc;
    size_t nfc;
    struct frame_township *ft;
    struct frame_village *fv;
    struct frame_household *fh;
    struct frame_project *fp;
    size_t cap_t, cap_v, cap_h, cap_p;
};

/* The rows of `level` under `parent`: [*lo, *hi) of by_parent. */
static void range(const struct frame_frozen *z, const char *level, const char *parent, size_t *lo,
                  size_t *hi)
{
    size_t a = 0, b = z->rows->n;
    while (a < b) { /* first row >= (level, parent) */
        size_t m = (a + b) / 2;
        int c = strcmp(z->by_parent[m]->level, level);
        if (!c) c = strcmp(z->by_parent[m]->parent, parent);
        if (c < 0) a = m + 1;
        else b = m;
    }
    *lo = a;
    for (b = a; b < z->rows->n && !strcmp(z->by_parent[b]->level, level) &&
                !strcmp(z->by_parent[b]->parent, parent);
         b++) {}
    *hi = b;
}

static json_t *attrs_of(const struct frame_row *row)
{
    return json_loads(row->attrs, 0, NULL);
}

static int geti(json_t *a, const char *k)
{
    return (int)json_integer_value(json_object_get(a, k));
}

static int frz_counties(void *ctx, const struct frame_county **out, size_t *n, struct error *e)
{
    struct frame_frozen *z = ctx;
    if (!z->fc) {
        size_t cap = 0;
        for (size_t i = 0; i < z->rows->n; i++) {
            const struct frame_row *row = &z->rows->rows[i];
            struct frame_county *c;
            json_t *a;
            if (strcmp(row->level, "county")) continue;
            GROW(z->fc, cap, z->nfc);
            c = &z->fc[z->nfc++];
            memset(c, 0, sizeof *c);
            a = attrs_of(row);
            c->code = atoi(row->key);
            c->province = c->code / 10000;
            c->city = c->code / 100;
            snprintf(c->type, sizeof c->type, "%s",
                     json_string_value(json_object_get(a, "type")) ? json_string_value(json_object_get(a, "type")) : "");
            c->exit_year = geti(a, "exit_year");
            c->paired = geti(a, "paired");
            json_decref(a);
        }
        if (!z->fc) z->fc = mem_calloc(1, sizeof *z->fc);
        if (!z->fc) return error_set(e, ERR_NOMEM, "out of memory");
    }
    *out = z->fc;
    *n = z->nfc;
    return 0;
}

static int frz_townships(void *ctx, int county, const struct frame_township **out, size_t *n,
                         struct error *e)
{
    struct frame_frozen *z = ctx;
    size_t k = 0;
    char parent[16];
    snprintf(parent, sizeof parent, "%d", county);
    size_t lo, hi;
    range(z, "township", parent, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        const struct frame_row *row = z->by_parent[i];
        json_t *a;
        GROW(z->ft, z->cap_t, k);
        a = attrs_of(row);
        z->ft[k].code = atoi(row->key);
        z->ft[k].key = geti(a, "key");
        json_decref(a);
        k++;
    }
    *out = z->ft;
    *n = k;
    return 0;
}

static int frz_villages(void *ctx, int county, const struct frame_village **out, size_t *n,
                        struct error *e)
{
    struct frame_frozen *z = ctx;
    size_t k = 0;
    char parent[16];
    snprintf(parent, sizeof parent, "%d", county);
    size_t lo, hi;
    range(z, "village", parent, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        const struct frame_row *row = z->by_parent[i];
        struct frame_village *v;
        json_t *a;
        GROW(z->fv, z->cap_v, k);
        v = &z->fv[k++];
        a = attrs_of(row);
        v->code = strtoll(row->key, NULL, 10);
        v->county = county;
        v->township = geti(a, "township");
        v->poor = geti(a, "poor");
        v->groups = geti(a, "groups");
        v->key_township = geti(a, "key_township");
        v->remoteness = json_number_value(json_object_get(a, "remoteness"));
        v->population = json_integer_value(json_object_get(a, "population"));
        v->registered_households = json_integer_value(json_object_get(a, "registered_households"));
        v->registered_persons = json_integer_value(json_object_get(a, "registered_persons"));
        v->unexited_persons = json_integer_value(json_object_get(a, "unexited_persons"));
        json_decref(a);
    }
    *out = z->fv;
    *n = k;
    return 0;
}

static int frz_households(void *ctx, int64_t village, const struct frame_household **out,
                          size_t *n, struct error *e)
{
    struct frame_frozen *z = ctx;
    size_t k = 0;
    char parent[24];
    snprintf(parent, sizeof parent, "%lld", (long long)village);
    size_t lo, hi;
    range(z, "household", parent, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        const struct frame_row *row = z->by_parent[i];
        struct frame_household *h;
        json_t *a;
        GROW(z->fh, z->cap_h, k);
        h = &z->fh[k++];
        memset(h, 0, sizeof *h);
        a = attrs_of(row);
        snprintf(h->id, sizeof h->id, "%s", row->key);
        h->village = village;
        h->grp = geti(a, "group");
        h->registered = geti(a, "registered");
        h->identified_year = geti(a, "identified_year");
        h->exit_year = geti(a, "exit_year");
        h->returned = geti(a, "returned");
        h->flags = (unsigned)geti(a, "flags");
        h->persons = geti(a, "persons");
        json_decref(a);
    }
    *out = z->fh;
    *n = k;
    return 0;
}

static int frz_projects(void *ctx, int county, const struct frame_project **out, size_t *n,
                        struct error *e)
{
    struct frame_frozen *z = ctx;
    size_t k = 0;
    char parent[16];
    snprintf(parent, sizeof parent, "%d", county);
    size_t lo, hi;
    range(z, "project", parent, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        const struct frame_row *row = z->by_parent[i];
        json_t *a;
        GROW(z->fp, z->cap_p, k);
        a = attrs_of(row);
        snprintf(z->fp[k].id, sizeof z->fp[k].id, "%s", row->key);
        z->fp[k].county = county;
        z->fp[k].village = json_integer_value(json_object_get(a, "village"));
        z->fp[k].paired = geti(a, "paired");
        json_decref(a);
        k++;
    }
    *out = z->fp;
    *n = k;
    return 0;
}

static int cmp_parent(const void *a, const void *b)
{
    const struct frame_row *x = *(const struct frame_row *const *)a;
    const struct frame_row *y = *(const struct frame_row *const *)b;
    int c = strcmp(x->level, y->level);
    if (!c) c = strcmp(x->parent, y->parent);
    return c ? c : strcmp(x->key, y->key);
}

int frame_frozen_new(const struct frame_rows *rows, struct frame_frozen **out, struct error *e)
{
    struct frame_frozen *z = mem_calloc(1, sizeof *z);
    if (!z) return error_set(e, ERR_NOMEM, "out of memory");
    z->rows = rows;
    z->by_parent = mem_alloc((rows->n ? rows->n : 1) * sizeof *z->by_parent);
    if (!z->by_parent) {
        mem_free(z);
        return error_set(e, ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < rows->n; i++) z->by_parent[i] = &rows->rows[i];
    qsort(z->by_parent, rows->n, sizeof *z->by_parent, cmp_parent);
    *out = z;
    return 0;
}

void frame_frozen_source(struct frame_frozen *z, struct frame_source *src)
{
    src->ctx = z;
    src->counties = frz_counties;
    src->townships = frz_townships;
    src->villages = frz_villages;
    src->households = frz_households;
    src->projects = frz_projects;
}

void frame_frozen_free(struct frame_frozen *z)
{
    if (!z) return;
    mem_free(z->by_parent);
    mem_free(z->fc);
    mem_free(z->ft);
    mem_free(z->fv);
    mem_free(z->fh);
    mem_free(z->fp);
    mem_free(z);
}
