/*
 * manifest.c — the sample manifest, its parser and its verification (plan.h, DESIGN §5).
 *
 * The manifest is what an office publishes once fieldwork is over: the seed and its
 * commitment (published before the draw), the plan's id and hash, the frozen frame's hash and
 * row count, the algorithm version, the time of the draw, every stratum's note (frame size,
 * quota, taken, shortfall, lent), and every unit drawn — selected, census and reserve, each
 * with its stage, stratum, rank, ticket, substitution and π — in draw order, so each
 * stratum's ranked list up to quota plus reserve reads off directly.
 *
 * Invariant: every field of a manifest is checked by sample_verify — re-derived (seed
 * commitment, frame hash and rows, stratum notes, units), covered by a hash that is (plan_id
 * by plan_hash: the stored plan text's id must equal it), or, for what the draw cannot
 * re-derive (created, algorithm, sample), compared with the stored sample's record, which
 * the change log covers. A manifest holds no other field: manifest_parse refuses unknown
 * members, missing ones, wrong types, out-of-range numbers and strings longer than their
 * field (never cut), with the JSON path of the fault. It needs no store (fuzz_manifest.c).
 *
 * sample_verify reports the FIRST difference, naming its field, in this order: the seed
 * against the commitments, the plan against its hash, the frozen frame against its hash,
 * the header fields, every stratum note and unit of the manifest against the store, and
 * finally the store against a re-derivation from the frozen frame with the manifest's seed.
 */
#include "plan_int.h"

#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
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

/* The stored sample's header row. Strings are owned (never cut to a buffer's size, so a
 * stored value is compared whole). */
struct sample_head {
    int64_t row;
    char *plan_id, *plan_hash, *seed, *commitment, *frame_hash, *created, *algorithm;
    int64_t frame_rows;
    char *plan_text; /* owned */
    size_t plan_len;
};

static void head_release(struct sample_head *h)
{
    mem_free(h->plan_id);
    mem_free(h->plan_hash);
    mem_free(h->seed);
    mem_free(h->commitment);
    mem_free(h->frame_hash);
    mem_free(h->created);
    mem_free(h->algorithm);
    mem_free(h->plan_text);
    memset(h, 0, sizeof *h);
}

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
        h->plan_id = mem_strndup(stmt_text(st, 1), stmt_len(st, 1));
        h->plan_hash = mem_strndup(stmt_text(st, 2), stmt_len(st, 2));
        h->seed = mem_strndup(stmt_text(st, 3), stmt_len(st, 3));
        h->commitment = mem_strndup(stmt_text(st, 4), stmt_len(st, 4));
        h->frame_hash = mem_strndup(stmt_text(st, 5), stmt_len(st, 5));
        h->frame_rows = stmt_int(st, 6);
        h->created = mem_strndup(stmt_text(st, 7), stmt_len(st, 7));
        h->plan_text = mem_strndup(stmt_text(st, 8), stmt_len(st, 8));
        h->plan_len = stmt_len(st, 8);
        h->algorithm = mem_strndup(stmt_text(st, 9), stmt_len(st, 9));
        rc = h->plan_id && h->plan_hash && h->seed && h->commitment && h->frame_hash &&
                     h->created && h->plan_text && h->algorithm
                 ? 0
                 : error_set(e, ERR_NOMEM, "out of memory");
    } else if (rc == STORE_DONE) {
        rc = error_set(e, ERR_NOTFOUND, "no sample named %s in the store", name);
    }
    stmt_finalize(st);
    if (rc) head_release(h);
    return rc;
}

/* Loads the stored stratum notes of a sample into d->notes, in draw order. */
static int load_notes(struct store *s, int64_t sample, struct draw *d, struct error *e)
{
    struct stmt *st;
    int rc = store_prepare(s, "SELECT stage, stratum, parent, county, frame, quota, taken,"
                              " shortfall, lent FROM sample_strata WHERE sample = ? ORDER BY"
                              " row_no",
                           &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, sample);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct stratum_note *n;
        if (d->nnotes == d->capnotes) {
            size_t cap = d->capnotes ? d->capnotes * 2 : 64;
            struct stratum_note *p = mem_realloc(d->notes, cap * sizeof *p);
            if (!p) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            d->notes = p, d->capnotes = cap;
        }
        n = &d->notes[d->nnotes++];
        memset(n, 0, sizeof *n);
        snprintf(n->stage, sizeof n->stage, "%s", stmt_text(st, 0));
        snprintf(n->stratum, sizeof n->stratum, "%s", stmt_text(st, 1));
        snprintf(n->parent, sizeof n->parent, "%s", stmt_text(st, 2));
        n->county = (int)stmt_int(st, 3);
        n->frame = stmt_int(st, 4);
        n->quota = (int)stmt_int(st, 5);
        n->taken = (int)stmt_int(st, 6);
        n->shortfall = (int)stmt_int(st, 7);
        n->lent = (int)stmt_int(st, 8);
    }
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

static json_t *note_json(const struct stratum_note *n)
{
    return json_pack("{s:s, s:s, s:s, s:i, s:I, s:i, s:i, s:i, s:i}", "stage", n->stage,
                     "stratum", n->stratum, "parent", n->parent, "county", n->county, "frame",
                     (json_int_t)n->frame, "quota", n->quota, "taken", n->taken, "shortfall",
                     n->shortfall, "lent", n->lent);
}

int sample_manifest(struct store *s, const char *name, const char *path, struct error *e)
{
    struct sample_head h;
    struct draw d;
    json_t *root = NULL, *units, *strata;
    int rc;
    draw_init(&d);
    rc = load_head(s, name, &h, e);
    if (rc) return rc;
    rc = load_units(s, h.row, &d, e);
    if (!rc) rc = load_notes(s, h.row, &d, e);
    if (rc) goto out;
    root = json_object();
    json_object_set_new(root, "format", json_string(MANIFEST_FORMAT));
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
    for (size_t i = 0; i < d.nnotes; i++) json_array_append_new(strata, note_json(&d.notes[i]));
    json_object_set_new(root, "strata", strata);
    units = json_array();
    for (size_t i = 0; i < d.nsels; i++) json_array_append_new(units, sel_json(&d.sels[i]));
    json_object_set_new(root, "units", units);
    if (json_dump_file(root, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER))
        rc = error_set(e, ERR_IO, "%s: cannot write the manifest", path);
    else rc = 0;
out:
    json_decref(root);
    draw_release(&d);
    head_release(&h);
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

/* ------------------------------------------------------------------ parsing */

/* Parser state: the file's name and the JSON path of the member being read. */
struct mparse {
    const char *name;
    struct error *e;
    char path[80];
};

static int mp_fail(struct mparse *c, const char *key, const char *fmt, ...) PG_PRINTF(3, 4);
static int mp_fail(struct mparse *c, const char *key, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!c->path[0] && !key) return error_set(c->e, ERR_PARSE, "%s: %s", c->name, msg);
    return error_set(c->e, ERR_PARSE, "%s: %s%s%s: %s", c->name, c->path,
                     c->path[0] && key ? "." : "", key ? key : "", msg);
}

/* Every member of o must be one of the `n` names in keys, and each of them present. */
static int mp_keys(struct mparse *c, json_t *o, const char *const *keys, size_t n)
{
    const char *k;
    json_t *v;
    if (!json_is_object(o))
        return mp_fail(c, NULL, c->path[0] ? "expected an object" : "expected a JSON object "
                                                                   "(a pinggu sample manifest)");
    json_object_foreach(o, k, v) {
        size_t i = 0;
        while (i < n && strcmp(keys[i], k)) i++;
        if (i == n)
            return mp_fail(c, k, "unknown member (a manifest holds only what verify checks)");
    }
    for (size_t i = 0; i < n; i++)
        if (!json_object_get(o, keys[i])) return mp_fail(c, keys[i], "missing");
    return 0;
}

/* A string member that fits out[size] whole. */
static int mp_str(struct mparse *c, json_t *o, const char *key, char *out, size_t size)
{
    json_t *v = json_object_get(o, key);
    size_t len;
    if (!json_is_string(v)) return mp_fail(c, key, "expected a string");
    len = json_string_length(v);
    if (len >= size) return mp_fail(c, key, "longer than %zu bytes", size - 1);
    memcpy(out, json_string_value(v), len + 1);
    return 0;
}

/* A string member of any length (owned copy). */
static int mp_strdup(struct mparse *c, json_t *o, const char *key, char **out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) return mp_fail(c, key, "expected a string");
    *out = mem_strndup(json_string_value(v), json_string_length(v));
    return *out ? 0 : error_set(c->e, ERR_NOMEM, "out of memory");
}

/* 64 lowercase hexadecimal digits (a SHA-256). */
static int mp_hex(struct mparse *c, json_t *o, const char *key, char out[65])
{
    int rc = mp_str(c, o, key, out, 65);
    if (rc) return rc;
    if (strlen(out) != 64 || strspn(out, "0123456789abcdef") != 64)
        return mp_fail(c, key, "expected 64 lowercase hexadecimal digits (a SHA-256)");
    return 0;
}

static int mp_int(struct mparse *c, json_t *o, const char *key, int64_t lo, int64_t hi,
                  int64_t *out)
{
    json_t *v = json_object_get(o, key);
    json_int_t x;
    if (!json_is_integer(v)) return mp_fail(c, key, "expected an integer");
    x = json_integer_value(v);
    if (x < lo || x > hi)
        return mp_fail(c, key, "%lld is out of range (%lld to %lld)", (long long)x, (long long)lo,
                       (long long)hi);
    *out = (int64_t)x;
    return 0;
}

static int mp_int32(struct mparse *c, json_t *o, const char *key, int lo, int *out)
{
    int64_t x = 0;
    int rc = mp_int(c, o, key, lo, INT_MAX, &x);
    if (!rc) *out = (int)x;
    return rc;
}

static int mp_bool(struct mparse *c, json_t *o, const char *key, int *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_boolean(v)) return mp_fail(c, key, "expected true or false");
    *out = json_is_true(v);
    return 0;
}

/* A probability (or its standard error): a number in [0, 1]. */
static int mp_prob(struct mparse *c, json_t *o, const char *key, double *out)
{
    json_t *v = json_object_get(o, key);
    double x;
    if (!json_is_number(v)) return mp_fail(c, key, "expected a number");
    x = json_number_value(v);
    if (!(x >= 0 && x <= 1)) return mp_fail(c, key, "%g is not between 0 and 1", x);
    *out = x;
    return 0;
}

static int mp_note(struct mparse *c, json_t *o, struct stratum_note *n)
{
    static const char *const keys[] = {"stage", "stratum", "parent", "county", "frame",
                                       "quota", "taken", "shortfall", "lent"};
    int rc;
    memset(n, 0, sizeof *n);
    if ((rc = mp_keys(c, o, keys, sizeof keys / sizeof *keys))) return rc;
    if ((rc = mp_str(c, o, "stage", n->stage, sizeof n->stage))) return rc;
    if ((rc = mp_str(c, o, "stratum", n->stratum, sizeof n->stratum))) return rc;
    if ((rc = mp_str(c, o, "parent", n->parent, sizeof n->parent))) return rc;
    if ((rc = mp_int32(c, o, "county", 0, &n->county))) return rc;
    if ((rc = mp_int(c, o, "frame", 0, INT64_MAX, &n->frame))) return rc;
    if ((rc = mp_int32(c, o, "quota", INT_MIN, &n->quota))) return rc;
    if ((rc = mp_int32(c, o, "taken", INT_MIN, &n->taken))) return rc;
    if ((rc = mp_int32(c, o, "shortfall", INT_MIN, &n->shortfall))) return rc;
    return mp_int32(c, o, "lent", INT_MIN, &n->lent);
}

static int mp_sel(struct mparse *c, json_t *o, struct sel *u)
{
    static const char *const keys[] = {
        "stage", "stratum", "parent", "unit", "code", "county", "village", "quota", "rank",
        "ticket", "substitute_for", "reserve", "certainty", "pi", "pi_se", "category",
        "village_group"};
    int rc;
    memset(u, 0, sizeof *u);
    if ((rc = mp_keys(c, o, keys, sizeof keys / sizeof *keys))) return rc;
    if ((rc = mp_str(c, o, "stage", u->stage, sizeof u->stage))) return rc;
    if ((rc = mp_str(c, o, "stratum", u->stratum, sizeof u->stratum))) return rc;
    if ((rc = mp_str(c, o, "parent", u->parent, sizeof u->parent))) return rc;
    if ((rc = mp_str(c, o, "unit", u->unit, sizeof u->unit))) return rc;
    if ((rc = mp_str(c, o, "code", u->code, sizeof u->code))) return rc;
    if ((rc = mp_int32(c, o, "county", 0, &u->county))) return rc;
    if ((rc = mp_int(c, o, "village", 0, INT64_MAX, &u->village))) return rc;
    if ((rc = mp_int32(c, o, "quota", INT_MIN, &u->quota))) return rc;
    if ((rc = mp_int32(c, o, "rank", 0, &u->rank))) return rc;
    if ((rc = mp_str(c, o, "ticket", u->ticket, sizeof u->ticket))) return rc;
    if ((rc = mp_str(c, o, "substitute_for", u->substitute_for, sizeof u->substitute_for)))
        return rc;
    if ((rc = mp_bool(c, o, "reserve", &u->reserve))) return rc;
    if ((rc = mp_bool(c, o, "certainty", &u->certainty))) return rc;
    if ((rc = mp_prob(c, o, "pi", &u->pi))) return rc;
    if ((rc = mp_prob(c, o, "pi_se", &u->pi_se))) return rc;
    if ((rc = mp_str(c, o, "category", u->category, sizeof u->category))) return rc;
    return mp_bool(c, o, "village_group", &u->group);
}

void manifest_release(struct manifest *m)
{
    mem_free(m->sample);
    mem_free(m->seed);
    mem_free(m->strata);
    mem_free(m->units);
    memset(m, 0, sizeof *m);
}

int manifest_parse(const char *name, const char *text, size_t len, struct manifest *m,
                   struct error *e)
{
    static const char *const keys[] = {"format", "algorithm", "sample", "plan_id", "plan_hash",
                                       "seed", "seed_commitment", "frame_hash", "frame_rows",
                                       "created", "strata", "units"};
    struct mparse c = {name, e, ""};
    json_error_t jerr;
    json_t *root, *a;
    int rc;
    memset(m, 0, sizeof *m);
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return error_at(e, ERR_PARSE, name, jerr.line, jerr.column, "not JSON: %s", jerr.text);
    if ((rc = mp_keys(&c, root, keys, sizeof keys / sizeof *keys))) goto out;
    if ((rc = mp_str(&c, root, "format", m->format, sizeof m->format))) goto out;
    if (strcmp(m->format, MANIFEST_FORMAT)) {
        rc = mp_fail(&c, "format", "\"%s\" is not a pinggu sample manifest (%s)", m->format,
                     MANIFEST_FORMAT);
        goto out;
    }
    if ((rc = mp_str(&c, root, "algorithm", m->algorithm, sizeof m->algorithm))) goto out;
    if ((rc = mp_strdup(&c, root, "sample", &m->sample))) goto out;
    if (!*m->sample) {
        rc = mp_fail(&c, "sample", "empty");
        goto out;
    }
    if ((rc = mp_str(&c, root, "plan_id", m->plan_id, sizeof m->plan_id))) goto out;
    if ((rc = mp_hex(&c, root, "plan_hash", m->plan_hash))) goto out;
    if ((rc = mp_strdup(&c, root, "seed", &m->seed))) goto out;
    if ((rc = mp_hex(&c, root, "seed_commitment", m->seed_commitment))) goto out;
    if ((rc = mp_hex(&c, root, "frame_hash", m->frame_hash))) goto out;
    if ((rc = mp_int(&c, root, "frame_rows", 0, INT64_MAX, &m->frame_rows))) goto out;
    if ((rc = mp_str(&c, root, "created", m->created, sizeof m->created))) goto out;
    a = json_object_get(root, "strata");
    if (!json_is_array(a)) {
        rc = mp_fail(&c, "strata", "expected an array");
        goto out;
    }
    m->strata = mem_calloc(json_array_size(a) ? json_array_size(a) : 1, sizeof *m->strata);
    if (!m->strata) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(a); i++) {
        snprintf(c.path, sizeof c.path, "strata[%zu]", i);
        if ((rc = mp_note(&c, json_array_get(a, i), &m->strata[i]))) goto out;
        m->nstrata++;
    }
    c.path[0] = '\0';
    a = json_object_get(root, "units");
    if (!json_is_array(a)) {
        rc = mp_fail(&c, "units", "expected an array");
        goto out;
    }
    m->units = mem_calloc(json_array_size(a) ? json_array_size(a) : 1, sizeof *m->units);
    if (!m->units) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(a); i++) {
        snprintf(c.path, sizeof c.path, "units[%zu]", i);
        if ((rc = mp_sel(&c, json_array_get(a, i), &m->units[i]))) goto out;
        m->nunits++;
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

/* ------------------------------------------------------------------ verification */

/* Compares two units; writes the first differing field (named as in the manifest) into why,
 * with la and lb saying where each value comes from. 0 if equal. */
static int sel_differs(const struct sel *a, const struct sel *b, const char *la, const char *lb,
                       char *why, size_t size)
{
#define S(f, k)                                                                               \
    if (strcmp(a->f, b->f)) {                                                                 \
        snprintf(why, size, k " is \"%s\" %s, \"%s\" %s", a->f, la, b->f, lb);                \
        return 1;                                                                             \
    }
#define I(f, k)                                                                               \
    if (a->f != b->f) {                                                                       \
        snprintf(why, size, k " is %lld %s, %lld %s", (long long)a->f, la, (long long)b->f,    \
                 lb);                                                                         \
        return 1;                                                                             \
    }
#define D(f, k)                                                                               \
    if (a->f != b->f) {                                                                       \
        snprintf(why, size, k " is %.17g %s, %.17g %s", a->f, la, b->f, lb);                  \
        return 1;                                                                             \
    }
    S(stage, "stage") S(stratum, "stratum") S(parent, "parent") S(unit, "unit") S(code, "code")
    I(county, "county") I(village, "village") I(quota, "quota") I(rank, "rank")
    S(ticket, "ticket") S(substitute_for, "substitute_for") I(reserve, "reserve")
    I(certainty, "certainty") D(pi, "pi") D(pi_se, "pi_se") S(category, "category")
    I(group, "village_group")
    return 0;
}

/* The same for stratum notes. */
static int note_differs(const struct stratum_note *a, const struct stratum_note *b,
                        const char *la, const char *lb, char *why, size_t size)
{
    S(stage, "stage") S(stratum, "stratum") S(parent, "parent") I(county, "county")
    I(frame, "frame") I(quota, "quota") I(taken, "taken") I(shortfall, "shortfall")
    I(lent, "lent")
    return 0;
#undef S
#undef I
#undef D
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

/* A header field of the manifest against the stored sample's. */
static int differ_field(struct verify_report *r, const char *key, const char *manifest,
                        const char *stored)
{
    if (!strcmp(manifest, stored)) return 0;
    return differ(r, "%s: the manifest has \"%.80s\", the stored sample \"%.80s\"", key, manifest,
                  stored);
}

/* Stratum notes a[na] (from `la`) against b[nb] (from `lb`); `what` starts the message. */
static int compare_notes(struct verify_report *r, const char *what,
                         const struct stratum_note *a, size_t na, const char *la,
                         const struct stratum_note *b, size_t nb, const char *lb)
{
    char why[400];
    for (size_t i = 0; i < na || i < nb; i++) {
        if (i >= na || i >= nb)
            return differ(r, "%s: strata: %zu stratum notes %s, %zu %s (strata[%zu] %s)", what,
                          na, la, nb, lb, i, i >= na ? "is missing" : "is extra");
        if (note_differs(&a[i], &b[i], la, lb, why, sizeof why))
            return differ(r, "%s: strata[%zu] (%s %s of %s): %s%s", what, i, b[i].stage,
                          b[i].stratum, b[i].parent, why,
                          na != nb ? " (a stratum note was removed or added)" : "");
    }
    return 0;
}

static int compare_units(struct verify_report *r, const char *what, const struct sel *a,
                         size_t na, const char *la, const struct sel *b, size_t nb,
                         const char *lb)
{
    char why[600];
    for (size_t i = 0; i < na || i < nb; i++) {
        if (i >= na || i >= nb)
            return differ(r, "%s: units: %zu units %s, %zu %s (units[%zu] %s: %s)", what, na, la,
                          nb, lb, i, i >= na ? "is missing" : "is extra",
                          i >= na ? b[i].unit : a[i].unit);
        if (sel_differs(&a[i], &b[i], la, lb, why, sizeof why))
            return differ(r, "%s: units[%zu] (%s): %s", what, i, b[i].unit, why);
    }
    return 0;
}

static int read_text(const char *path, struct strbuf *sb, struct error *e)
{
    FILE *f = fopen(path, "rb");
    char buf[65536];
    size_t n;
    int bad;
    if (!f) return error_set(e, ERR_PARSE, "%s: cannot open the manifest", path);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sb_add(sb, buf, n);
    bad = ferror(f);
    fclose(f);
    if (bad) return error_set(e, ERR_PARSE, "%s: cannot read the manifest (a folder?)", path);
    if (sb_ok(sb)) return error_set(e, ERR_NOMEM, "out of memory");
    return 0;
}

int sample_verify(struct store *s, const char *manifest_path, const char *commitment,
                  struct verify_report *r, struct error *e)
{
    struct strbuf text = STRBUF_INIT;
    struct manifest m;
    struct sample_head h = {0};
    struct frame_rows fr;
    struct frame_frozen *z = NULL;
    struct frame_source src;
    struct plan p;
    struct errlist errs;
    struct draw d, stored;
    char hash[65];
    int rc;

    memset(r, 0, sizeof *r);
    memset(&p, 0, sizeof p);
    memset(&m, 0, sizeof m);
    r->ok = 1;
    frame_rows_init(&fr);
    draw_init(&d);
    draw_init(&stored);
    errlist_init(&errs, 5);
    rc = read_text(manifest_path, &text, e);
    if (!rc) rc = manifest_parse(manifest_path, text.buf, text.len, &m, e);
    if (rc) goto out;
    snprintf(r->sample, sizeof r->sample, "%s", m.sample);
    rc = load_head(s, m.sample, &h, e);
    if (rc == ERR_NOTFOUND)
        rc = error_set(e, ERR_NOTFOUND, "%s: sample: no sample named \"%s\" in the store",
                       manifest_path, m.sample);
    if (rc) goto out;

    /* 1. the seed against the commitments */
    seed_commitment(m.seed, hash);
    if (commitment && strcmp(commitment, hash)) {
        rc = differ(r, "seed: wrong seed: SHA-256 of the manifest's seed is %.16s…, not the "
                       "published commitment %.16s…",
                    hash, commitment);
        goto out;
    }
    if (commitment && strcmp(commitment, m.seed_commitment)) {
        rc = differ(r, "seed_commitment: the manifest records commitment %.16s…, not the "
                       "published %.16s…",
                    m.seed_commitment, commitment);
        goto out;
    }
    if (strcmp(hash, m.seed_commitment)) {
        rc = differ(r, "seed, seed_commitment: wrong seed: the manifest's seed does not match its "
                       "own seed_commitment");
        goto out;
    }
    if (strcmp(m.seed_commitment, h.commitment) || strcmp(m.seed, h.seed)) {
        rc = differ(r, "seed: the manifest's seed is not the seed the stored sample was drawn "
                       "with");
        goto out;
    }
    /* 2. the plan */
    hash_sha256_hex(h.plan_text, h.plan_len, hash);
    if (strcmp(hash, h.plan_hash)) {
        rc = differ(r, "plan_hash: the stored plan was changed after the draw (its hash no "
                       "longer matches)");
        goto out;
    }
    if (strcmp(m.plan_hash, h.plan_hash)) {
        rc = differ(r, "plan_hash: the manifest names another plan (%.16s…, the stored sample's "
                       "is %.16s…)",
                    m.plan_hash, h.plan_hash);
        goto out;
    }
    if ((rc = differ_field(r, "plan_id", m.plan_id, h.plan_id))) goto out;
    /* 3. the frozen frame */
    rc = load_frame(s, h.row, &fr, e);
    if (rc) goto out;
    r->frame_rows = (int64_t)fr.n;
    frame_rows_normalise(&fr);
    frame_rows_hash(&fr, hash);
    if (strcmp(hash, h.frame_hash) || (int64_t)fr.n != h.frame_rows) {
        rc = differ(r, "frame_hash: changed frame: the frozen frame (%zu rows) no longer matches "
                       "the hash recorded at the draw (%lld rows): a frame row was changed, "
                       "added or removed",
                    fr.n, (long long)h.frame_rows);
        goto out;
    }
    if (strcmp(m.frame_hash, h.frame_hash)) {
        rc = differ(r, "frame_hash: the manifest's frame_hash %.16s… differs from the stored "
                       "frame's %.16s…",
                    m.frame_hash, h.frame_hash);
        goto out;
    }
    if (m.frame_rows != (int64_t)fr.n) {
        rc = differ(r, "frame_rows: the manifest has %lld, the frozen frame %zu rows",
                    (long long)m.frame_rows, fr.n);
        goto out;
    }
    /* 4. what the draw was made with, and when (the store's record, in the change log) */
    if (strcmp(h.algorithm, SAMPLING_ALGORITHM)) {
        rc = differ(r, "algorithm: the stored sample was drawn with \"%.80s\"; this build "
                       "re-derives \"%s\" only",
                    h.algorithm, SAMPLING_ALGORITHM);
        goto out;
    }
    if ((rc = differ_field(r, "algorithm", m.algorithm, h.algorithm))) goto out;
    if ((rc = differ_field(r, "created", m.created, h.created))) goto out;
    /* 5. every stratum note and unit of the manifest against the store */
    rc = load_notes(s, h.row, &stored, e);
    if (!rc) rc = load_units(s, h.row, &stored, e);
    if (rc) goto out;
    rc = compare_notes(r, "tampered stratum note", m.strata, m.nstrata, "in the manifest",
                       stored.notes, stored.nnotes, "in the stored sample");
    if (!rc)
        rc = compare_units(r, "tampered selection", m.units, m.nunits, "in the manifest",
                           stored.sels, stored.nsels, "in the stored sample");
    if (rc) goto out;
    /* 6. re-derive, then compare the store (now known equal to the manifest) with it */
    rc = plan_parse("stored plan", h.plan_text, h.plan_len, &p, &errs, e);
    if (rc) goto out;
    if (strcmp(p.id, h.plan_id)) {
        rc = differ(r, "plan_id: the stored sample records \"%.60s\", its plan file says "
                       "\"%s\"",
                    h.plan_id, p.id);
        goto out;
    }
    rc = frame_frozen_new(&fr, &z, e);
    if (rc) goto out;
    frame_frozen_source(z, &src);
    rc = sample_draw(&p, m.seed, &src, 0, &d, e);
    if (rc) goto out;
    r->selections = (int64_t)d.nsels;
    rc = compare_notes(r, "tampered stratum note in the store", stored.notes, stored.nnotes,
                       "in the store", d.notes, d.nnotes, "re-derived");
    if (!rc)
        rc = compare_units(r, "tampered selection in the store", stored.sels, stored.nsels,
                           "in the store", d.sels, d.nsels, "re-derived");
    if (rc) goto out;
    rc = 0;
out:
    sb_release(&text);
    manifest_release(&m);
    plan_release(&p);
    errlist_release(&errs);
    frame_frozen_free(z);
    frame_rows_release(&fr);
    draw_release(&d);
    draw_release(&stored);
    head_release(&h);
    return rc;
}
