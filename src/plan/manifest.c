/*
 * manifest.c — the sample manifest and its verification (plan.h, DESIGN §5).
 *
 * The manifest is what an office publishes once fieldwork is over: the seed and its
 * commitment (published before the draw), the plan's hash, the frozen frame's hash and row
 * count, the algorithm version, every stratum's note, and every unit drawn — selected,
 * census and reserve, each with its stage, stratum, rank, ticket, substitution and π — in
 * draw order, so each stratum's ranked list up to quota plus reserve reads off directly.
 *
 * sample_verify re-derives the sample from the stored frozen frame and plan with the
 * manifest's seed and reports the FIRST difference, checking in this order: the seed
 * against the commitment, the plan against its hash, the frozen frame against its hash,
 * then every unit of the re-derivation against the manifest and against the store.
 */
#include "plan_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *sel_json(const struct sel *u)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:i, s:i, s:s, s:s, s:b, s:b, s:f,"
                     " s:f, s:s, s:b}",
                     "stage", u->stage, "stratum", u->stratum, "parent", u->parent, "unit",
                     u->unit, "code", u->code, "county", u->county, "village",
                     (json_int_t)u->village, "quota", u->quota, "rank", u->rank, "ticket",
                     u->ticket, "substitute_for", u->substitute_for, "reserve", u->reserve,
                     "certainty", u->certainty, "pi", u->pi, "pi_se", u->pi_se, "category",
                     u->category, "village_group", u->group);
}

/* Loads the stored units of a sample into a draw (for the manifest and comparisons). */
static int load_units(struct store *s, int64_t sample, struct draw *d, struct error *e)
{
    struct stmt *st;
    int rc = store_prepare(s, "SELECT stage, stratum, parent, unit, code, county, village, quota,"
                              " rank, ticket, substitute_for, reserve, certainty, pi, pi_se,"
                              " category, grp FROM sample_units WHERE sample = ? ORDER BY row_no",
                           &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, sample);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct sel *u;
        if (d->nsels == d->capsels) {
            size_t cap = d->capsels ? d->capsels * 2 : 256;
            struct sel *p = mem_realloc(d->sels, cap * sizeof *p);
            if (!p) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            d->sels = p, d->capsels = cap;
        }
        u = &d->sels[d->nsels++];
        memset(u, 0, sizeof *u);
        snprintf(u->stage, sizeof u->stage, "%s", stmt_text(st, 0));
        snprintf(u->stratum, sizeof u->stratum, "%s", stmt_text(st, 1));
        snprintf(u->parent, sizeof u->parent, "%s", stmt_text(st, 2));
        snprintf(u->unit, sizeof u->unit, "%s", stmt_text(st, 3));
        snprintf(u->code, sizeof u->code, "%s", stmt_text(st, 4));
        u->county = (int)stmt_int(st, 5);
        u->village = stmt_int(st, 6);
        u->quota = (int)stmt_int(st, 7);
        u->rank = (int)stmt_int(st, 8);
        snprintf(u->ticket, sizeof u->ticket, "%s", stmt_text(st, 9));
        snprintf(u->substitute_for, sizeof u->substitute_for, "%s", stmt_text(st, 10));
        u->reserve = (int)stmt_int(st, 11);
        u->certainty = (int)stmt_int(st, 12);
        u->pi = stmt_double(st, 13);
        u->pi_se = stmt_double(st, 14);
        snprintf(u->category, sizeof u->category, "%s", stmt_text(st, 15));
        u->group = (int)stmt_int(st, 16);
    }
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

struct sample_head {
    int64_t row;
    char plan_id[64], plan_hash[65], seed[256], commitment[65], frame_hash[65], created[32];
    char algorithm[128];
    int64_t frame_rows;
    char *plan_text; /* owned */
    size_t plan_len;
};

static int load_head(struct store *s, const char *name, struct sample_head *h, struct error *e)
{
    struct stmt *st;
    int rc = store_prepare(s, "SELECT row_no, plan_id, plan_hash, seed, commitment, frame_hash,"
                              " frame_rows, created, plan_text, algorithm FROM samples WHERE name"
                              " = ?",
                           &st, e);
    memset(h, 0, sizeof *h);
    if (rc) return rc;
    stmt_bind_text(st, 1, name, strlen(name));
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) {
        h->row = stmt_int(st, 0);
        snprintf(h->plan_id, sizeof h->plan_id, "%s", stmt_text(st, 1));
        snprintf(h->plan_hash, sizeof h->plan_hash, "%s", stmt_text(st, 2));
        snprintf(h->seed, sizeof h->seed, "%s", stmt_text(st, 3));
        snprintf(h->commitment, sizeof h->commitment, "%s", stmt_text(st, 4));
        snprintf(h->frame_hash, sizeof h->frame_hash, "%s", stmt_text(st, 5));
        h->frame_rows = stmt_int(st, 6);
        snprintf(h->created, sizeof h->created, "%s", stmt_text(st, 7));
        h->plan_text = mem_strndup(stmt_text(st, 8), stmt_len(st, 8));
        h->plan_len = stmt_len(st, 8);
        snprintf(h->algorithm, sizeof h->algorithm, "%s", stmt_text(st, 9));
        rc = h->plan_text ? 0 : error_set(e, ERR_NOMEM, "out of memory");
    } else if (rc == STORE_DONE) {
        rc = error_set(e, ERR_NOTFOUND, "no sample named %s in the store", name);
    }
    stmt_finalize(st);
    return rc;
}

int sample_manifest(struct store *s, const char *name, const char *path, struct error *e)
{
    struct sample_head h;
    struct draw d;
    struct stmt *st = NULL;
    json_t *root = NULL, *units, *strata;
    int rc;
    draw_init(&d);
    rc = load_head(s, name, &h, e);
    if (rc) return rc;
    rc = load_units(s, h.row, &d, e);
    if (rc) goto out;
    root = json_object();
    json_object_set_new(root, "format", json_string("pinggu-sample-manifest/1"));
    json_object_set_new(root, "algorithm", json_string(h.algorithm));
    json_object_set_new(root, "sample", json_string(name));
    json_object_set_new(root, "plan_id", json_string(h.plan_id));
    json_object_set_new(root, "plan_hash", json_string(h.plan_hash));
    json_object_set_new(root, "seed", json_string(h.seed));
    json_object_set_new(root, "seed_commitment", json_string(h.commitment));
    json_object_set_new(root, "frame_hash", json_string(h.frame_hash));
    json_object_set_new(root, "frame_rows", json_integer(h.frame_rows));
    json_object_set_new(root, "created", json_string(h.created));
    strata = json_array();
    rc = store_prepare(s, "SELECT stage, stratum, parent, county, frame, quota, taken, shortfall,"
                          " lent FROM sample_strata WHERE sample = ? ORDER BY row_no",
                       &st, e);
    if (rc) {
        json_decref(strata);
        goto out;
    }
    stmt_bind_int(st, 1, h.row);
    while ((rc = stmt_step(st, e)) == STORE_ROW)
        json_array_append_new(
            strata, json_pack("{s:s, s:s, s:s, s:i, s:I, s:i, s:i, s:i, s:i}", "stage",
                              stmt_text(st, 0), "stratum", stmt_text(st, 1), "parent",
                              stmt_text(st, 2), "county", (int)stmt_int(st, 3), "frame",
                              (json_int_t)stmt_int(st, 4), "quota", (int)stmt_int(st, 5), "taken",
                              (int)stmt_int(st, 6), "shortfall", (int)stmt_int(st, 7), "lent",
                              (int)stmt_int(st, 8)));
    json_object_set_new(root, "strata", strata);
    if (rc < 0) goto out;
    units = json_array();
    for (size_t i = 0; i < d.nsels; i++) json_array_append_new(units, sel_json(&d.sels[i]));
    json_object_set_new(root, "units", units);
    if (json_dump_file(root, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER))
        rc = error_set(e, ERR_IO, "%s: cannot write the manifest", path);
    else rc = 0;
out:
    stmt_finalize(st);
    json_decref(root);
    draw_release(&d);
    mem_free(h.plan_text);
    return rc;
}

static int load_frame(struct store *s, int64_t sample, struct frame_rows *fr, struct error *e)
{
    struct stmt *st;
    int rc = store_prepare(s, "SELECT level, key, parent, attrs FROM sample_frame WHERE sample ="
                              " ? ORDER BY row_no",
                           &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, sample);
    while ((rc = stmt_step(st, e)) == STORE_ROW)
        if (frame_rows_add(fr, stmt_text(st, 0), stmt_text(st, 1), stmt_text(st, 2),
                           stmt_text(st, 3))) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            break;
        }
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* Compares two units; writes the first differing field into why. 0 if equal. */
static int sel_differs(const struct sel *a, const struct sel *b, char *why, size_t size)
{
#define S(f)                                                                                  \
    if (strcmp(a->f, b->f)) {                                                                 \
        snprintf(why, size, #f " is \"%s\", re-derived \"%s\"", a->f, b->f);                  \
        return 1;                                                                             \
    }
#define I(f)                                                                                  \
    if (a->f != b->f) {                                                                       \
        snprintf(why, size, #f " is %lld, re-derived %lld", (long long)a->f, (long long)b->f); \
        return 1;                                                                             \
    }
    S(stage) S(stratum) S(parent) S(unit) S(code) S(ticket) S(substitute_for) S(category)
    I(county) I(village) I(quota) I(rank) I(reserve) I(certainty) I(group)
    if (a->pi != b->pi || a->pi_se != b->pi_se) {
        snprintf(why, size, "pi is %.17g (± %.3g), re-derived %.17g (± %.3g)", a->pi, a->pi_se,
                 b->pi, b->pi_se);
        return 1;
    }
#undef S
#undef I
    return 0;
}

static void sel_from_json(json_t *o, struct sel *u)
{
#define STR(f, k) snprintf(u->f, sizeof u->f, "%s", json_string_value(json_object_get(o, k)) ? json_string_value(json_object_get(o, k)) : "")
    memset(u, 0, sizeof *u);
    STR(stage, "stage");
    STR(stratum, "stratum");
    STR(parent, "parent");
    STR(unit, "unit");
    STR(code, "code");
    STR(ticket, "ticket");
    STR(substitute_for, "substitute_for");
    STR(category, "category");
#undef STR
    u->county = (int)json_integer_value(json_object_get(o, "county"));
    u->village = json_integer_value(json_object_get(o, "village"));
    u->quota = (int)json_integer_value(json_object_get(o, "quota"));
    u->rank = (int)json_integer_value(json_object_get(o, "rank"));
    u->reserve = json_is_true(json_object_get(o, "reserve"));
    u->certainty = json_is_true(json_object_get(o, "certainty"));
    u->group = json_is_true(json_object_get(o, "village_group"));
    u->pi = json_number_value(json_object_get(o, "pi"));
    u->pi_se = json_number_value(json_object_get(o, "pi_se"));
}

static int differ(struct verify_report *r, const char *fmt, ...) PG_PRINTF(2, 3);
static int differ(struct verify_report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->first, sizeof r->first, fmt, ap);
    va_end(ap);
    r->ok = 0;
    return ERR_VERIFY;
}

int sample_verify(struct store *s, const char *manifest_path, const char *commitment,
                  struct verify_report *r, struct error *e)
{
    json_error_t jerr;
    json_t *m = json_load_file(manifest_path, 0, &jerr), *units;
    struct sample_head h = {0};
    struct frame_rows fr;
    struct frame_frozen *z = NULL;
    struct frame_source src;
    struct plan p;
    struct errlist errs;
    struct draw d, stored;
    const char *seed, *mcommit, *name;
    char hash[65];
    int rc;

    memset(r, 0, sizeof *r);
    memset(&p, 0, sizeof p);
    r->ok = 1;
    frame_rows_init(&fr);
    draw_init(&d);
    draw_init(&stored);
    errlist_init(&errs, 5);
    if (!m) {
        rc = error_at(e, ERR_PARSE, manifest_path, jerr.line, jerr.column, "not JSON: %s",
                      jerr.text);
        goto out;
    }
    name = json_string_value(json_object_get(m, "sample"));
    seed = json_string_value(json_object_get(m, "seed"));
    mcommit = json_string_value(json_object_get(m, "seed_commitment"));
    units = json_object_get(m, "units");
    if (!name || !seed || !mcommit || !json_is_array(units)) {
        rc = error_set(e, ERR_PARSE, "%s: not a pinggu sample manifest (sample, seed, "
                                     "seed_commitment, units)",
                       manifest_path);
        goto out;
    }
    snprintf(r->sample, sizeof r->sample, "%s", name);
    rc = load_head(s, name, &h, e);
    if (rc) goto out;

    /* 1. the seed against the commitments */
    seed_commitment(seed, hash);
    if (commitment && strcmp(commitment, hash)) {
        rc = differ(r, "wrong seed: SHA-256 of the manifest's seed is %.16s…, not the published "
                       "commitment %.16s…",
                    hash, commitment);
        goto out;
    }
    if (commitment && strcmp(commitment, mcommit)) {
        rc = differ(r, "the manifest records commitment %.16s…, not the published %.16s…",
                    mcommit, commitment);
        goto out;
    }
    if (strcmp(hash, mcommit)) {
        rc = differ(r, "wrong seed: the manifest's seed does not match its own commitment");
        goto out;
    }
    if (strcmp(mcommit, h.commitment)) {
        rc = differ(r, "the manifest's seed is not the seed the stored sample was drawn with");
        goto out;
    }
    /* 2. the plan */
    hash_sha256_hex(h.plan_text, h.plan_len, hash);
    if (strcmp(hash, h.plan_hash)) {
        rc = differ(r, "the stored plan was changed after the draw (its hash no longer matches)");
        goto out;
    }
    if (!json_is_string(json_object_get(m, "plan_hash")) ||
        strcmp(json_string_value(json_object_get(m, "plan_hash")), h.plan_hash)) {
        rc = differ(r, "the manifest names another plan (plan_hash differs from the stored one)");
        goto out;
    }
    /* 3. the frozen frame */
    rc = load_frame(s, h.row, &fr, e);
    if (rc) goto out;
    r->frame_rows = (int64_t)fr.n;
    frame_rows_normalise(&fr);
    frame_rows_hash(&fr, hash);
    if (strcmp(hash, h.frame_hash) || (int64_t)fr.n != h.frame_rows) {
        rc = differ(r, "changed frame: the frozen frame (%zu rows) no longer matches the hash "
                       "recorded at the draw (%lld rows): a frame row was changed, added or "
                       "removed",
                    fr.n, (long long)h.frame_rows);
        goto out;
    }
    if (!json_is_string(json_object_get(m, "frame_hash")) ||
        strcmp(json_string_value(json_object_get(m, "frame_hash")), h.frame_hash)) {
        rc = differ(r, "the manifest's frame_hash differs from the stored frame's");
        goto out;
    }
    /* 4. re-derive, then compare with the manifest and with the store */
    rc = plan_parse("stored plan", h.plan_text, h.plan_len, &p, &errs, e);
    if (rc) goto out;
    rc = frame_frozen_new(&fr, &z, e);
    if (rc) goto out;
    frame_frozen_source(z, &src);
    rc = sample_draw(&p, seed, &src, 0, &d, e);
    if (rc) goto out;
    r->selections = (int64_t)d.nsels;
    for (size_t i = 0; i < d.nsels || i < json_array_size(units); i++) {
        struct sel mu;
        char why[400];
        if (i >= json_array_size(units)) {
            rc = differ(r, "the manifest lacks unit %zu (%s)", i + 1, d.sels[i].unit);
            goto out;
        }
        sel_from_json(json_array_get(units, i), &mu);
        if (i >= d.nsels) {
            rc = differ(r, "tampered selection: manifest unit %zu (%s) is not in the "
                           "re-derivation",
                        i + 1, mu.unit);
            goto out;
        }
        if (sel_differs(&mu, &d.sels[i], why, sizeof why)) {
            rc = differ(r, "tampered selection: manifest unit %zu (%s): %s", i + 1, mu.unit, why);
            goto out;
        }
    }
    rc = load_units(s, h.row, &stored, e);
    if (rc) goto out;
    for (size_t i = 0; i < d.nsels || i < stored.nsels; i++) {
        char why[400];
        if (i >= stored.nsels || i >= d.nsels) {
            rc = differ(r, "the store holds %zu units, the re-derivation %zu", stored.nsels,
                        d.nsels);
            goto out;
        }
        if (sel_differs(&stored.sels[i], &d.sels[i], why, sizeof why)) {
            rc = differ(r, "tampered selection in the store: unit %zu (%s): %s", i + 1,
                        stored.sels[i].unit, why);
            goto out;
        }
    }
    rc = 0;
out:
    json_decref(m);
    plan_release(&p);
    errlist_release(&errs);
    frame_frozen_free(z);
    frame_rows_release(&fr);
    draw_release(&d);
    draw_release(&stored);
    mem_free(h.plan_text);
    return rc;
}
