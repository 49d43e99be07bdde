/*
 * field.c — questionnaires of a stored sample (survey.h "fieldwork", docs/fieldwork.md).
 *
 * field_import reads FILE.csv (one questionnaire per row) and FILE.members.csv (repeat
 * instances), and for each questionnaire: checks the unit against the sample (a selected or
 * census unit, or a reserve activated by a non-response earlier in the store or the file) and
 * the form (a registered household's form for a registered household...), validates every
 * answer against the form (survey.h answers_validate: the leading survey servers check only
 * on the device — pinggu checks again, always), adds field-quality warnings (duration), and
 * keeps it in a batch. Only when the whole file is clean is the batch stored (qbatch_store):
 * in one transaction, earlier versions of the same questionnaires are superseded (kept in
 * the change log), then questionnaires, answers, warnings and replacements are written.
 *
 * A non-response row (status nonresponse, reason away/refused/moved/dead/no_such_household)
 * activates the next reserve unit of the same village and stratum in ticket order; its
 * questionnaire may follow in the same file.
 *
 * Invariant: nothing is written for a file with any error.
 */
#include "field_int.h"

#include <jansson.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const field_reasons[5] = {"away", "refused", "moved", "dead", "no_such_household"};

const char *field_reason_parse(const char *s)
{
    static const char *zh[5] = {"外出|不在家|外出务工", "拒访|拒绝", "搬迁|迁出", "死亡|去世",
                                "查无此户|无此户"};
    size_t n = strlen(s);
    for (int i = 0; i < 5; i++)
        if (str_ieq(s, n, field_reasons[i]) || str_in_list(s, n, zh[i])) return field_reasons[i];
    return NULL;
}

/* ------------------------------------------------------------------ sample context */

static int load_state(struct fctx *c, int county, int64_t village, const char *lo,
                      const char *hi, struct error *e);

/* The units field import takes (sample_units.stage), as SQL. */
#define LISTED_STAGES "stage IN ('household', 'village', 'paired_household')"

/* A new, zeroed unit of the context, registered under key (its code's hash) and appended to
 * c->units; the caller fills it in. NULL when out of memory. The unit lives in c->arena. */
static struct sunit *add_unit(struct fctx *c, uint64_t key)
{
    struct sunit *u;
    if (c->nunits == c->capunits) {
        size_t c2 = c->capunits ? c->capunits * 2 : 1024;
        struct sunit **p = mem_realloc(c->units, c2 * sizeof *p);
        if (!p) return NULL;
        c->units = p, c->capunits = c2;
    }
    u = arena_alloc(&c->arena, sizeof *u);
    if (!u) return NULL;
    memset(u, 0, sizeof *u);
    if (u64map_put(&c->byunit, key, c->nunits, NULL) < 0) return NULL;
    c->units[c->nunits++] = u;
    return u;
}

/* Adds the units of the sample's village (of that county; village < 0: every unit of the
 * sample), then their replacements and questionnaires. */
static int load_units(struct fctx *c, int county, int64_t village, struct error *e)
{
    struct stmt *st = NULL;
    int rc;
    size_t first = c->nunits;
    /* one text for every village (bound, not written in): the statement cache keeps it */
    rc = store_prepare(c->s, village >= 0
                                 ? "SELECT code, stage, stratum, category, county, village, rank,"
                                   " reserve FROM sample_units WHERE sample = ?1 AND "
                                   LISTED_STAGES " AND county = ?2 AND village = ?3 ORDER BY row_no"
                                 : "SELECT code, stage, stratum, category, county, village, rank,"
                                   " reserve FROM sample_units WHERE sample = ?1 AND "
                                   LISTED_STAGES " ORDER BY row_no",
                       &st, e);
    if (rc) goto out;
    stmt_bind_int(st, 1, c->sample);
    if (village >= 0) stmt_bind_int(st, 2, county), stmt_bind_int(st, 3, village);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct sunit *u;
        uint64_t key = u64_hash_str(stmt_text(st, 0), stmt_len(st, 0));
        if (u64map_get(&c->byunit, key)) continue; /* a paired household also sampled */
        if (!(u = add_unit(c, key))) goto nomem;
        snprintf(u->code, sizeof u->code, "%s", stmt_text(st, 0));
        snprintf(u->stage, sizeof u->stage, "%s", stmt_text(st, 1));
        snprintf(u->stratum, sizeof u->stratum, "%s", stmt_text(st, 2));
        snprintf(u->category, sizeof u->category, "%s", stmt_text(st, 3));
        u->county = (int)stmt_int(st, 4);
        u->village = stmt_int(st, 5);
        u->rank = (int)stmt_int(st, 6);
        u->reserve = (int)stmt_int(st, 7);
        u->active = !u->reserve;
    }
    if (rc < 0) goto out;
    stmt_finalize(st);
    st = NULL;
    if (c->nunits == first) {
        rc = 0;
        goto out;
    }
    rc = load_state(c, county, village, NULL, NULL, e);
    goto out;
nomem:
    rc = error_set(e, ERR_NOMEM, "out of memory");
out:
    stmt_finalize(st);
    return rc;
}

/* The units of one village joined to table t (?1 the sample, ?2 the county, ?3 the village):
 * the listed units of the village through the (sample, county, village) index, then their
 * rows through t's (sample, unit) index — never a walk of the whole sample once per
 * submission (issue 11). One text for every village, so the statement cache keeps it (the
 * codes written into the text cost a compilation per submission), and a join, not IN (...),
 * which built a temporary table on every run. A unit's rows keep their order (the index's);
 * the units' order does not matter (each row sets its own unit's state). */
#define VILLAGE_JOIN(t) " FROM sample_units su JOIN " t " x ON x.sample = su.sample AND" \
                        " x.unit = su.code WHERE su.sample = ?1 AND su." LISTED_STAGES      \
                        " AND su.county = ?2 AND su.village = ?3"

/* The loaded unit with this code, or NULL. */
static struct sunit *unit_by_code(struct fctx *c, const char *code, size_t n)
{
    uint64_t *k = u64map_get(&c->byunit, u64_hash_str(code, n));
    return k && !strcmp(c->units[*k]->code, code) ? c->units[*k] : NULL;
}

/* Prepares one of load_state's reads: for the units whose codes lie between lo and hi (by_range,
 * when lo is not NULL), for the village (by_village, county and village bound) or for the
 * whole sample (all, village < 0). The caller owns *st (stmt_finalize). */
static int state_stmt(struct fctx *c, int county, int64_t village, const char *lo,
                      const char *hi, const char *by_range, const char *by_village,
                      const char *all, struct stmt **st, struct error *e)
{
    int rc = store_prepare(c->s, lo ? by_range : village >= 0 ? by_village : all, st, e);
    if (rc) return rc;
    stmt_bind_int(*st, 1, c->sample);
    if (lo) stmt_bind_text(*st, 2, lo, -1), stmt_bind_text(*st, 3, hi, -1);
    else if (village >= 0) stmt_bind_int(*st, 2, county), stmt_bind_int(*st, 3, village);
    return 0;
}

/* A row of load_state's reads is for unit u: loaded, and with lo set of the village read. */
static int state_row_ours(const struct sunit *u, int county, int64_t village, const char *lo)
{
    return u && (!lo || (u->county == county && u->village == village));
}

/* The replacements and questionnaires of the units of the village (of that county; village
 * < 0: every unit of the sample) — what changes as fieldwork goes on, read from the store on
 * every call. A row of a unit not loaded is passed over. */
static int load_state(struct fctx *c, int county, int64_t village, const char *lo,
                      const char *hi, struct error *e)
{
    struct stmt *st = NULL;
    int rc;
    /* reserves activated earlier, and units already answered: for the units just added (all
     * of them, or those of one village: through the village's units, or — lo set — as one
     * range of the (sample, unit) index that rows of other villages' units share only
     * sparsely, passed over here) */
    if ((rc = state_stmt(c, county, village, lo, hi,
                         "SELECT unit, replaced_by, reason FROM replacements WHERE sample = ?1"
                         " AND unit BETWEEN ?2 AND ?3",
                         "SELECT x.unit, x.replaced_by, x.reason" VILLAGE_JOIN("replacements"),
                         "SELECT unit, replaced_by, reason FROM replacements WHERE sample = ?1",
                         &st, e)))
        goto out;
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct sunit *u = unit_by_code(c, stmt_text(st, 0), stmt_len(st, 0));
        struct sunit *r;
        if (lo && !state_row_ours(u, county, village, lo)) continue;
        r = unit_by_code(c, stmt_text(st, 1), stmt_len(st, 1));
        if (r) r->active = 1;
        if (u) {
            u->replaced = 1;
            snprintf(u->replaced_by, sizeof u->replaced_by, "%s", stmt_text(st, 1));
            snprintf(u->reason, sizeof u->reason, "%s", stmt_text(st, 2));
        }
    }
    if (rc < 0) goto out;
    stmt_finalize(st);
    st = NULL;
    /* units answered; originals set aside by field resolve (superseded, replaces ''); late
     * interviews (complete, with the reason they were first not reached) */
    if ((rc = state_stmt(c, county, village, lo, hi,
                         "SELECT unit, status, replaces, reason FROM questionnaires WHERE"
                         " sample = ?1 AND unit BETWEEN ?2 AND ?3",
                         "SELECT x.unit, x.status, x.replaces, x.reason" VILLAGE_JOIN("questionnaires"),
                         "SELECT unit, status, replaces, reason FROM questionnaires WHERE sample = ?1",
                         &st, e)))
        goto out;
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct sunit *u = unit_by_code(c, stmt_text(st, 0), stmt_len(st, 0));
        const char *status = stmt_text(st, 1);
        if (!state_row_ours(u, county, village, lo)) continue;
        if (strcmp(status, "superseded")) u->done = 1;
        if (!strcmp(status, "superseded") && !*stmt_text(st, 2)) u->overruled = 1;
        if (!strcmp(status, "complete") && *stmt_text(st, 3))
            snprintf(u->late_reason, sizeof u->late_reason, "%s", stmt_text(st, 3));
    }
    rc = rc < 0 ? rc : 0;
out:
    stmt_finalize(st);
    return rc;
}

/* ------------------------------------------------------------------ the units cache */

/* A sample's units are written once, with the sample (src/plan; nothing updates or deletes
 * samples or sample_units), so a long-running process may keep them (field_unit_cache):
 * keyed by the store's location, samples.row_no and what determines the draw (the seed's
 * commitment, the plan's hash, the frame's hash: the draw is reproducible from them), so
 * another store or another draw never matches. Only the units' fixed columns are kept; replacements and
 * questionnaires are read from the store on every import (load_state). Invariant: an entry is
 * complete before it is published and never changes or moves until field_unit_cache(0). */
struct ucunit {
    char code[48], stage[20], stratum[32], category[20];
    int county, rank, reserve, listed; /* listed: a stage field import takes */
    int64_t village;
};
struct ucache {
    char path[1024];
    int64_t sample;
    char commitment[240]; /* the draw: seed commitment, plan hash, frame hash */
    struct ucunit *u; /* row_no order */
    size_t n;
    size_t *order;           /* indexes by (village, county, row_no) */
    size_t *bycodes;         /* indexes by code (strcmp: SQLite's BINARY order) */
    int strcmp_order;        /* the store orders text as strcmp does (SQLite, not PostgreSQL,
                              * whose order follows the database's collation) */
    struct u64map bycode;    /* hash(code) -> index of its first row */
    struct u64map byvillage; /* village + 1 -> its first position in order */
};
#define UCACHE_SAMPLES 8
static struct ucache *ucaches[UCACHE_SAMPLES];
static size_t nucaches;
static int ucache_on;
static pthread_mutex_t ucache_lock = PTHREAD_MUTEX_INITIALIZER;

static void ucache_free(struct ucache *uc)
{
    if (!uc) return;
    mem_free(uc->u);
    mem_free(uc->order);
    mem_free(uc->bycodes);
    u64map_release(&uc->bycode);
    u64map_release(&uc->byvillage);
    mem_free(uc);
}

void field_unit_cache(int on)
{
    pthread_mutex_lock(&ucache_lock);
    if (!on) {
        for (size_t i = 0; i < nucaches; i++) ucache_free(ucaches[i]);
        nucaches = 0;
    }
    ucache_on = on;
    pthread_mutex_unlock(&ucache_lock);
}

static int by_village(const void *a, const void *b, void *arg)
{
    const struct ucunit *u = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (u[i].village != u[j].village) return u[i].village < u[j].village ? -1 : 1;
    if (u[i].county != u[j].county) return u[i].county < u[j].county ? -1 : 1;
    return i < j ? -1 : i > j;
}

static int by_code(const void *a, const void *b, void *arg)
{
    const struct ucunit *u = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int d = strcmp(u[i].code, u[j].code);
    return d ? d : i < j ? -1 : i > j;
}

/* How many of the sample's units have a code from lo to hi (strcmp order). */
static size_t ucache_in_range(const struct ucache *uc, const char *lo, const char *hi)
{
    size_t a = 0, b = uc->n, first;
    while (a < b) { /* the first code >= lo */
        size_t m = a + (b - a) / 2;
        if (strcmp(uc->u[uc->bycodes[m]].code, lo) < 0) a = m + 1;
        else b = m;
    }
    first = a, b = uc->n;
    while (a < b) { /* the first code > hi */
        size_t m = a + (b - a) / 2;
        if (strcmp(uc->u[uc->bycodes[m]].code, hi) <= 0) a = m + 1;
        else b = m;
    }
    return a - first;
}

/* Reads every unit of the sample. Caller owns *out (ucache_free). */
static int ucache_load(struct store *s, int64_t sample, const char *commitment,
                       struct ucache **out, struct error *e)
{
    struct ucache *uc = mem_calloc(1, sizeof *uc);
    struct stmt *st = NULL;
    size_t cap = 0;
    int rc;
    *out = NULL;
    if (!uc) return error_set(e, ERR_NOMEM, "out of memory");
    snprintf(uc->path, sizeof uc->path, "%s", store_path(s));
    uc->sample = sample;
    uc->strcmp_order = !store_url_is_pg(store_path(s));
    snprintf(uc->commitment, sizeof uc->commitment, "%s", commitment);
    u64map_init(&uc->bycode);
    u64map_init(&uc->byvillage);
    rc = store_prepare(s, "SELECT code, stage, stratum, category, county, village, rank, reserve"
                          " FROM sample_units WHERE sample = ? ORDER BY row_no", &st, e);
    if (rc) goto fail;
    stmt_bind_int(st, 1, sample);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct ucunit *u;
        const char *stage = stmt_text(st, 1);
        if (uc->n == cap) {
            size_t c2 = cap ? cap * 2 : 1024;
            struct ucunit *p = mem_realloc(uc->u, c2 * sizeof *p);
            if (!p) goto nomem;
            uc->u = p, cap = c2;
        }
        u = &uc->u[uc->n];
        memset(u, 0, sizeof *u);
        snprintf(u->code, sizeof u->code, "%s", stmt_text(st, 0));
        snprintf(u->stage, sizeof u->stage, "%s", stage);
        snprintf(u->stratum, sizeof u->stratum, "%s", stmt_text(st, 2));
        snprintf(u->category, sizeof u->category, "%s", stmt_text(st, 3));
        u->county = (int)stmt_int(st, 4);
        u->village = stmt_int(st, 5);
        u->rank = (int)stmt_int(st, 6);
        u->reserve = (int)stmt_int(st, 7);
        u->listed = !strcmp(stage, "household") || !strcmp(stage, "village") ||
                    !strcmp(stage, "paired_household");
        if (u64map_put(&uc->bycode, u64_hash_str(u->code, strlen(u->code)), uc->n, NULL) < 0)
            goto nomem;
        uc->n++;
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) goto fail;
    uc->order = mem_alloc((uc->n + 1) * sizeof *uc->order);
    if (!uc->order) goto nomem;
    for (size_t i = 0; i < uc->n; i++) uc->order[i] = i;
    qsort_r(uc->order, uc->n, sizeof *uc->order, by_village, uc->u);
    if (!(uc->bycodes = mem_alloc((uc->n + 1) * sizeof *uc->bycodes))) goto nomem;
    for (size_t i = 0; i < uc->n; i++) uc->bycodes[i] = i;
    qsort_r(uc->bycodes, uc->n, sizeof *uc->bycodes, by_code, uc->u);
    for (size_t p = 0; p < uc->n; p++)
        if (u64map_put(&uc->byvillage, (uint64_t)uc->u[uc->order[p]].village + 1, p, NULL) < 0)
            goto nomem;
    *out = uc;
    return 0;
nomem:
    rc = error_set(e, ERR_NOMEM, "out of memory");
fail:
    stmt_finalize(st);
    ucache_free(uc);
    return rc;
}

/* The cached units of the sample (loading them on first use), or NULL when the cache is off
 * or full, or the load failed (the caller then reads the store as without a cache). */
static const struct ucache *ucache_get(struct store *s, int64_t sample, const char *commitment)
{
    const struct ucache *found = NULL;
    struct ucache *uc;
    struct error e;
    pthread_mutex_lock(&ucache_lock);
    if (!ucache_on) goto out;
    for (size_t i = 0; i < nucaches; i++)
        if (ucaches[i]->sample == sample && !strcmp(ucaches[i]->commitment, commitment) &&
            !strcmp(ucaches[i]->path, store_path(s))) {
            found = ucaches[i];
            goto out;
        }
    if (nucaches == UCACHE_SAMPLES || ucache_load(s, sample, commitment, &uc, &e)) goto out;
    ucaches[nucaches++] = uc;
    found = uc;
out:
    pthread_mutex_unlock(&ucache_lock);
    return found;
}

/* Adds the village's units of that county from the cache, then their replacements and
 * questionnaires from the store: what load_units(c, county, village) adds. The state is read
 * by the range of the village's codes when that range holds few other units (household codes
 * extend their village's code, so a village's range is usually its own: two index range scans
 * instead of a walk of the village's units with a look-up each — the server reads a village's
 * state once per submission, inside its writer queue; issue 11); otherwise, and on
 * PostgreSQL (whose text order follows the database's collation, not strcmp), through the
 * village's units as without the cache. */
static int load_village_cached(struct fctx *c, int county, int64_t village, struct error *e)
{
    const struct ucache *uc = c->uc;
    uint64_t *pos = u64map_get(&uc->byvillage, (uint64_t)village + 1);
    size_t first = c->nunits, nv = 0;
    const char *lo = NULL, *hi = NULL;
    for (size_t p = pos ? *pos : uc->n; p < uc->n && uc->u[uc->order[p]].village == village; p++) {
        const struct ucunit *x = &uc->u[uc->order[p]];
        uint64_t key = u64_hash_str(x->code, strlen(x->code));
        struct sunit *u;
        if (x->county != county) continue;
        nv++;
        if (!x->listed) continue;
        if (!lo || strcmp(x->code, lo) < 0) lo = x->code;
        if (!hi || strcmp(x->code, hi) > 0) hi = x->code;
        if (u64map_get(&c->byunit, key)) continue; /* a paired household also sampled */
        if (!(u = add_unit(c, key))) goto nomem;
        memcpy(u->code, x->code, sizeof u->code);
        memcpy(u->stage, x->stage, sizeof u->stage);
        memcpy(u->stratum, x->stratum, sizeof u->stratum);
        memcpy(u->category, x->category, sizeof u->category);
        u->county = x->county;
        u->village = x->village;
        u->rank = x->rank;
        u->reserve = x->reserve;
        u->active = !u->reserve;
    }
    if (c->nunits == first) return 0;
    if (!uc->strcmp_order || ucache_in_range(uc, lo, hi) > 2 * nv + 16) lo = hi = NULL;
    return load_state(c, county, village, lo, hi, e);
nomem:
    return error_set(e, ERR_NOMEM, "out of memory");
}

/* fctx_open; with_plan = 0 reads the sample's row only, not its plan (field import needs no
 * plan, and parsing it cost about a tenth of a server submission, issue 11). */
static int open_ctx(struct store *s, const char *sample, struct fctx *c, int with_plan,
                    struct error *e)
{
    int rc;
    memset(c, 0, sizeof *c);
    c->s = s;
    c->lazy = 1;
    snprintf(c->name, sizeof c->name, "%s", sample);
    u64map_init(&c->byunit);
    u64map_init(&c->villages);
    arena_init(&c->arena, 1 << 16);
    if (with_plan) {
        rc = sample_plan(s, sample, &c->plan, NULL, 0, &c->sample, e);
    } else {
        struct stmt *st = NULL;
        rc = store_prepare(s, "SELECT row_no, commitment || ' ' || plan_hash || ' ' || frame_hash"
                              " FROM samples WHERE name = ?", &st, e);
        if (!rc) {
            stmt_bind_text(st, 1, sample, strlen(sample));
            rc = stmt_step(st, e);
            if (rc == STORE_ROW) {
                c->sample = stmt_int(st, 0), rc = 0;
                c->uc = ucache_get(s, c->sample, stmt_text(st, 1));
            } else if (rc == STORE_DONE)
                rc = error_set(e, ERR_NOTFOUND, "no sample named %s", sample);
        }
        stmt_finalize(st);
    }
    if (!rc)
        rc = store_prepare(s, "SELECT village, county FROM sample_units WHERE sample = ? AND code = ?",
                           &c->find, e);
    if (rc) fctx_close(c);
    return rc;
}

int fctx_open(struct store *s, const char *sample, struct fctx *c, struct error *e)
{
    return open_ctx(s, sample, c, 1, e);
}

int fctx_load_all(struct fctx *c, struct error *e)
{
    int rc;
    if (!c->lazy) return 0;
    /* forget what was loaded a village at a time, then load the whole sample in its order */
    c->nunits = 0;
    u64map_release(&c->byunit);
    u64map_init(&c->byunit);
    rc = load_units(c, 0, -1, e);
    if (!rc) c->lazy = 0;
    return rc;
}

void fctx_close(struct fctx *c)
{
    plan_release(&c->plan);
    stmt_finalize(c->find);
    c->find = NULL;
    mem_free(c->units);
    arena_release(&c->arena);
    u64map_release(&c->byunit);
    u64map_release(&c->villages);
    c->units = NULL;
    c->nunits = c->capunits = 0;
}

struct sunit *fctx_unit(struct fctx *c, const char *code)
{
    struct sunit *found = unit_by_code(c, code, strlen(code));
    uint64_t *k;
    int64_t village;
    int county, rc;
    if (found) return found;
    if (!c->lazy || c->failed || !c->find) return NULL;
    if (c->uc) { /* the unit's village from the cache, its state from the store */
        const struct ucunit *x;
        k = u64map_get(&c->uc->bycode, u64_hash_str(code, strlen(code)));
        if (!k || strcmp(c->uc->u[*k].code, code)) return NULL;
        x = &c->uc->u[*k];
        if (u64map_get(&c->villages, (uint64_t)x->village)) return NULL; /* loaded: not ours */
        if (u64map_put(&c->villages, (uint64_t)x->village, 1, NULL) < 0 ||
            load_village_cached(c, x->county, x->village, &c->err)) {
            if (!c->failed && !c->err.code) error_set(&c->err, ERR_NOMEM, "out of memory");
            c->failed = 1;
            return NULL;
        }
        return unit_by_code(c, code, strlen(code));
    }
    /* lazy: the unit's village, once */
    stmt_reset(c->find);
    stmt_bind_int(c->find, 1, c->sample);
    stmt_bind_text(c->find, 2, code, strlen(code));
    rc = stmt_step(c->find, &c->err);
    if (rc != STORE_ROW) {
        if (rc < 0) c->failed = 1;
        return NULL;
    }
    village = stmt_int(c->find, 0);
    /* the village's county narrows the look-up to the (sample, county, village) index:
     * without it a village's units were found by reading every unit of the sample */
    county = (int)stmt_int(c->find, 1);
    stmt_reset(c->find);
    if (u64map_get(&c->villages, (uint64_t)village)) return NULL; /* loaded: not a unit of ours */
    if (u64map_put(&c->villages, (uint64_t)village, 1, NULL) < 0 ||
        load_units(c, county, village, &c->err)) {
        if (!c->failed && !c->err.code) error_set(&c->err, ERR_NOMEM, "out of memory");
        c->failed = 1;
        return NULL;
    }
    return unit_by_code(c, code, strlen(code));
}

struct sunit *fctx_replace(struct fctx *c, struct sunit *u)
{
    struct sunit *best = NULL;
    for (size_t i = 0; i < c->nunits; i++) {
        struct sunit *r = c->units[i];
        if (!r->reserve || r->active || r->village != u->village || strcmp(r->stratum, u->stratum))
            continue;
        if (!best || r->rank < best->rank) best = r;
    }
    if (best) best->active = 1;
    return best;
}

/* ------------------------------------------------------------------ the batch */

void qbatch_init(struct qbatch *b)
{
    memset(b, 0, sizeof *b);
    arena_init(&b->arena, 1 << 16);
}

void qbatch_release(struct qbatch *b)
{
    mem_free(b->q);
    mem_free(b->a);
    mem_free(b->i);
    arena_release(&b->arena);
    memset(b, 0, sizeof *b);
}

#define PUSH(arr, n, cap)                                                                     \
    do {                                                                                      \
        if ((n) == (cap)) {                                                                   \
            size_t c2 = (cap) ? (cap) * 2 : 256;                                              \
            void *p2 = mem_realloc((arr), c2 * sizeof *(arr));                                \
            if (!p2) return ERR_NOMEM;                                                        \
            (arr) = p2;                                                                       \
            (cap) = c2;                                                                       \
        }                                                                                     \
    } while (0)

static const char *dup_str(struct qbatch *b, const char *s)
{
    return arena_strdup(&b->arena, s ? s : "");
}

static const char *kind_name(enum issue_kind k)
{
    static const char *n[] = {"unknown", "no_answer", "type", "choice", "required",
                              "not_relevant", "check", "calculate"};
    return (unsigned)k < sizeof n / sizeof n[0] ? n[k] : "other";
}

long qbatch_add(struct qbatch *b, const struct qrec *q, const struct answers *a,
                const struct issues *is)
{
    struct qrec *r;
    size_t qi = b->nq;
    PUSH(b->q, b->nq, b->capq);
    r = &b->q[b->nq];
    *r = *q;
    r->unit = dup_str(b, q->unit);
    r->unit_kind = dup_str(b, q->unit_kind);
    r->form = dup_str(b, q->form);
    r->pair = dup_str(b, q->pair);
    r->date = dup_str(b, q->date);
    r->reason = dup_str(b, q->reason);
    r->replaces = dup_str(b, q->replaces);
    r->source = dup_str(b, q->source);
    r->withdraw = dup_str(b, q->withdraw);
    if (!r->unit || !r->unit_kind || !r->form || !r->pair || !r->date || !r->reason ||
        !r->replaces || !r->source || !r->withdraw)
        return ERR_NOMEM;
    r->first_answer = b->na;
    r->first_issue = b->ni;
    if (a) {
        const struct form *f = answers_form(a);
        for (size_t row = 0; row < f->nrows; row++) {
            const struct form_row *fr = &f->rows[row];
            long n = 1;
            if (!form_type_answers(fr->type)) continue;
            if (fr->repeat >= 0) n = answers_instances(a, f->rows[fr->repeat].name);
            for (long k = 0; k < n; k++) {
                long inst = fr->repeat >= 0 ? k : -1;
                const char *v = answers_value(a, (int)row, inst);
                struct arec *ar;
                if (!v || !*v) continue;
                PUSH(b->a, b->na, b->capa);
                ar = &b->a[b->na];
                ar->q = qi;
                ar->name = fr->name;
                ar->instance = inst;
                ar->value = dup_str(b, v);
                if (!ar->value) return ERR_NOMEM;
                b->na++;
            }
        }
    }
    if (is) {
        for (size_t k = 0; k < is->n; k++) {
            const struct issue *x = &is->items[k];
            struct irec *ir;
            if (x->severity != FORM_WARNING) continue;
            PUSH(b->i, b->ni, b->capi);
            ir = &b->i[b->ni];
            ir->q = qi;
            ir->name = dup_str(b, x->name);
            ir->instance = x->instance;
            ir->severity = "warning";
            ir->kind = kind_name(x->kind);
            ir->message = arena_printf(&b->arena, "%s / %s", x->zh ? x->zh : "",
                                       x->en ? x->en : "");
            if (!ir->name || !ir->message) return ERR_NOMEM;
            b->ni++;
        }
    }
    r->nanswers = b->na - r->first_answer;
    r->nissues = b->ni - r->first_issue;
    b->nq++;
    return (long)qi;
}

/* Adds a field-quality warning to questionnaire qi. */
static int add_warning(struct qbatch *b, size_t qi, const char *name, const char *kind,
                       const char *message)
{
    struct irec *ir;
    PUSH(b->i, b->ni, b->capi);
    ir = &b->i[b->ni++];
    ir->q = qi;
    ir->name = dup_str(b, name);
    ir->instance = -1;
    ir->severity = "warning";
    ir->kind = kind;
    ir->message = dup_str(b, message);
    b->q[qi].nissues++;
    return ir->name && ir->message ? 0 : ERR_NOMEM;
}

int qbatch_duration_warning(struct qbatch *b, size_t qi)
{
    const struct qrec *q = &b->q[qi];
    char msg[160];
    if (!q->has_duration || q->nonresponse ||
        (q->duration >= FIELD_MIN_MINUTES && q->duration <= FIELD_MAX_MINUTES))
        return 0;
    snprintf(msg, sizeof msg,
             "访谈时长%.0f分钟不合常理 / an interview of %.0f minutes is implausible "
             "(expected %.0f–%.0f)",
             q->duration, q->duration, FIELD_MIN_MINUTES, FIELD_MAX_MINUTES);
    return add_warning(b, qi, "duration_min", "duration", msg);
}

/* Late interviews (qrec.late): removes the non-response records of the household and of
 * every reserve of its chain, and marks the chain's questionnaires superseded, `replaces`
 * naming the household whose interview won. Inside qbatch_store's transaction. */
static int withdraw_chains(struct fctx *c, struct qbatch *b, int64_t first_new,
                           const char *action, const char *key, const char *detail,
                           struct field_stats *st, struct error *e)
{
    struct strbuf units = STRBUF_INIT, chain = STRBUF_INIT, set = STRBUF_INIT,
                  where = STRBUF_INIT;
    int64_t n = 0;
    int rc = 0;
    sb_adds(&set, "status = 'superseded', replaces = CASE unit");
    for (size_t i = 0; i < b->nq; i++) {
        const struct qrec *q = &b->q[i];
        const char *p = q->withdraw;
        if (!q->late) continue;
        if (units.len) sb_addch(&units, ',');
        sql_quote(&units, q->unit);
        while (p && *p) {
            const char *sp = strchr(p, ' ');
            size_t len = sp ? (size_t)(sp - p) : strlen(p);
            char code[48];
            snprintf(code, sizeof code, "%.*s", (int)len, p);
            sb_addch(&units, ',');
            sql_quote(&units, code);
            if (chain.len) sb_addch(&chain, ',');
            sql_quote(&chain, code);
            sb_adds(&set, " WHEN ");
            sql_quote(&set, code);
            sb_adds(&set, " THEN ");
            sql_quote(&set, q->unit);
            if (st) st->withdrawn++;
            p += len;
            while (*p == ' ') p++;
        }
    }
    sb_adds(&set, " END");
    if (!units.len) goto out;
    sb_addf(&where, "sample = %lld AND unit IN (%s)", (long long)c->sample, units.buf);
    rc = sb_ok(&where) || sb_ok(&set) || sb_ok(&chain) || sb_ok(&units)
             ? error_set(e, ERR_NOMEM, "out of memory")
             : audit_delete_where(c->s, "replacements", where.buf, action, key, detail, &n, e);
    if (rc || !chain.len) goto out;
    sb_reset(&where);
    sb_addf(&where,
            "sample = %lld AND status IN ('complete', 'nonresponse') AND unit IN (%s) AND"
            " row_no < %lld",
            (long long)c->sample, chain.buf, (long long)first_new);
    rc = sb_ok(&where) ? error_set(e, ERR_NOMEM, "out of memory")
                       : audit_update_where(c->s, "questionnaires", set.buf, where.buf, action, key,
                                           detail, &n, e);
    if (!rc && st) st->superseded += n;
out:
    sb_release(&units);
    sb_release(&chain);
    sb_release(&set);
    sb_release(&where);
    return rc;
}

int qbatch_store(struct fctx *c, struct qbatch *b, const char *action, const char *key,
                 struct field_stats *st, struct error *e)
{
    struct audit_writer w;
    struct stmt *old = NULL;
    int64_t *rows = NULL;
    struct move {
        int64_t old;
        size_t qi;
    } *moves = NULL;
    size_t nmoves = 0, capmoves = 0;
    int rc;
    char detail[512];
    {   /* built by jansson: a sample name may hold quotes (issue 16 item 18) */
        json_t *d = json_pack("{s:s}", "sample", c->name);
        size_t n = d ? json_dumpb(d, detail, sizeof detail - 1, JSON_COMPACT) : 0;
        json_decref(d);
        if (!n || n >= sizeof detail) return error_set(e, ERR_NOMEM, "audit detail too long");
        detail[n] = 0;
    }
    rc = c->in_tx ? 0 : store_begin(c->s, e);
    if (rc) return rc;
    rc = store_prepare(c->s, "SELECT row_no FROM questionnaires WHERE sample = ? AND unit = ? AND"
                             " form = ?",
                       &old, e);
    if (rc) goto fail;
    /* 1. questionnaires: supersede earlier versions, then insert */
    rc = audit_writer_begin(&w, c->s, "questionnaires",
                            "sample, form, unit, unit_kind, county, village, team, pair,"
                            " survey_date, duration, lat, lon, status, reason, replaces, source,"
                            " warnings",
                            e);
    if (rc) goto fail;
    {
        struct strbuf where = STRBUF_INIT, oldq = STRBUF_INIT;
        for (size_t i = 0; i < b->nq && !rc; i++) {
            struct qrec *q = &b->q[i];
            stmt_reset(old);
            stmt_bind_int(old, 1, c->sample);
            stmt_bind_text(old, 2, q->unit, strlen(q->unit));
            stmt_bind_text(old, 3, q->form, strlen(q->form));
            while ((rc = stmt_step(old, e)) == STORE_ROW) {
                sb_addf(&oldq, "%s%lld", oldq.len ? "," : "", (long long)stmt_int(old, 0));
                if (nmoves == capmoves) {
                    size_t c2 = capmoves ? capmoves * 2 : 64;
                    struct move *p = mem_realloc(moves, c2 * sizeof *p);
                    if (!p) {
                        rc = error_set(e, ERR_NOMEM, "out of memory");
                        break;
                    }
                    moves = p, capmoves = c2;
                }
                moves[nmoves].old = stmt_int(old, 0);
                moves[nmoves++].qi = i;
            }
            rc = rc < 0 ? rc : 0;
        }
        if (!rc && oldq.len) {
            sb_addf(&where, "row_no IN (%s)", oldq.buf);
            rc = sb_ok(&where) ? ERR_NOMEM : audit_batch_supersede(&w.batch, where.buf, e);
            if (!rc) {
                struct strbuf del = STRBUF_INIT;
                sb_addf(&del, "DELETE FROM questionnaires WHERE %s", where.buf);
                rc = sb_ok(&del) ? ERR_NOMEM : store_exec(c->s, del.buf, e);
                sb_release(&del);
            }
            if (st) st->replaced += (int64_t)store_changes(c->s);
        }
        /* old answers and warnings are superseded by the batches below */
        if (!rc) {
            sb_reset(&where);
            if (oldq.len) sb_addf(&where, "questionnaire IN (%s)", oldq.buf);
        }
        rows = mem_calloc(b->nq + 1, sizeof *rows);
        if (!rows) rc = ERR_NOMEM;
        for (size_t i = 0; i < b->nq && !rc; i++) {
            struct qrec *q = &b->q[i];
            w.v[1] = rv_int(c->sample);
            w.v[2] = rv_text(q->form, strlen(q->form));
            w.v[3] = rv_text(q->unit, strlen(q->unit));
            w.v[4] = rv_text(q->unit_kind, strlen(q->unit_kind));
            w.v[5] = rv_int(q->county);
            w.v[6] = rv_int(q->village);
            w.v[7] = rv_int(q->team);
            w.v[8] = rv_text(q->pair, strlen(q->pair));
            w.v[9] = rv_text(q->date, strlen(q->date));
            w.v[10] = q->has_duration ? rv_double(q->duration) : rv_null();
            w.v[11] = q->has_gps ? rv_double(q->lat) : rv_null();
            w.v[12] = q->has_gps ? rv_double(q->lon) : rv_null();
            w.v[13] = rv_text(q->nonresponse ? "nonresponse" : "complete",
                              q->nonresponse ? 11 : 8);
            w.v[14] = rv_text(q->reason, strlen(q->reason));
            w.v[15] = rv_text(q->replaces, strlen(q->replaces));
            w.v[16] = rv_text(q->source, strlen(q->source));
            w.v[17] = rv_int((int64_t)q->nissues);
            rc = audit_writer_row(&w, e);
            q->row = rows[i] = w.last_row;
            if (st) {
                if (q->nonresponse) st->nonresponse++;
                else st->questionnaires++;
                st->warnings += (int64_t)q->nissues;
            }
        }
        if (!rc) rc = audit_writer_commit(&w, action, key, detail, e);
        else audit_writer_abort(&w);
        if (rc) {
            sb_release(&where);
            sb_release(&oldq);
            goto fail;
        }
        /* 2. answers */
        rc = audit_writer_begin_grouped(&w, c->s, "answers", "questionnaire, name, instance,"
                                                         " value", e);
        if (!rc && where.len) {
            rc = audit_batch_supersede(&w.batch, where.buf, e);
            if (!rc) {
                struct strbuf del = STRBUF_INIT;
                sb_addf(&del, "DELETE FROM answers WHERE %s", where.buf);
                rc = sb_ok(&del) ? ERR_NOMEM : store_exec(c->s, del.buf, e);
                sb_release(&del);
            }
        }
        for (size_t i = 0; i < b->na && !rc; i++) {
            struct arec *a = &b->a[i];
            w.v[1] = rv_int(rows[a->q]);
            w.v[2] = rv_text(a->name, strlen(a->name));
            w.v[3] = rv_int(a->instance);
            w.v[4] = rv_text(a->value, strlen(a->value));
            rc = audit_writer_row(&w, e);
        }
        if (!rc) rc = audit_writer_commit(&w, action, key, detail, e);
        else if (w.open || w.ins) audit_writer_abort(&w);
        /* 3. warnings */
        if (!rc) rc = audit_writer_begin_grouped(&w, c->s, "field_issues",
                                         "questionnaire, name, instance, severity, kind, message",
                                         e);
        if (!rc && where.len) {
            rc = audit_batch_supersede(&w.batch, where.buf, e);
            if (!rc) {
                struct strbuf del = STRBUF_INIT;
                sb_addf(&del, "DELETE FROM field_issues WHERE %s", where.buf);
                rc = sb_ok(&del) ? ERR_NOMEM : store_exec(c->s, del.buf, e);
                sb_release(&del);
            }
        }
        for (size_t i = 0; i < b->ni && !rc; i++) {
            struct irec *ir = &b->i[i];
            w.v[1] = rv_int(rows[ir->q]);
            w.v[2] = rv_text(ir->name, strlen(ir->name));
            w.v[3] = rv_int(ir->instance);
            w.v[4] = rv_text(ir->severity, strlen(ir->severity));
            w.v[5] = rv_text(ir->kind, strlen(ir->kind));
            w.v[6] = rv_text(ir->message, strlen(ir->message));
            rc = audit_writer_row(&w, e);
        }
        if (!rc) rc = audit_writer_commit(&w, action, key, detail, e);
        else if (w.open || w.ins) audit_writer_abort(&w);
        sb_release(&where);
        sb_release(&oldq);
    }
    /* 4. evidence linked to an earlier version follows the questionnaire to its new row */
    if (!rc && nmoves) {
        struct strbuf set = STRBUF_INIT, where = STRBUF_INIT;
        sb_adds(&set, "questionnaire = CASE questionnaire");
        sb_adds(&where, "questionnaire IN (");
        for (size_t i = 0; i < nmoves; i++) {
            sb_addf(&set, " WHEN %lld THEN %lld", (long long)moves[i].old,
                    (long long)b->q[moves[i].qi].row);
            sb_addf(&where, "%s%lld", i ? "," : "", (long long)moves[i].old);
        }
        sb_adds(&set, " END");
        sb_adds(&where, ")");
        rc = sb_ok(&set) || sb_ok(&where)
                 ? error_set(e, ERR_NOMEM, "out of memory")
                 : audit_update_where(c->s, "evidence_links", set.buf, where.buf, action, key,
                                     detail, NULL, e);
        sb_release(&set);
        sb_release(&where);
    }
    /* 5. late interviews of households first not reached: the reserves they had activated
     * are withdrawn — their questionnaires kept as superseded, their non-response records
     * (and the household's own) removed through the change log */
    if (!rc) rc = withdraw_chains(c, b, b->nq ? rows[0] : INT64_MAX, action, key, detail, st, e);
    /* 6. replacements */
    if (!rc) {
        size_t nrep = 0;
        for (size_t i = 0; i < b->nq; i++) nrep += b->q[i].nonresponse && !b->q[i].known;
        if (nrep) {
            rc = audit_writer_begin(&w, c->s, "replacements", "sample, unit, reason, replaced_by",
                                    e);
            for (size_t i = 0; i < b->nq && !rc; i++) {
                struct qrec *q = &b->q[i];
                if (!q->nonresponse || q->known) continue;
                w.v[1] = rv_int(c->sample);
                w.v[2] = rv_text(q->unit, strlen(q->unit));
                w.v[3] = rv_text(q->reason, strlen(q->reason));
                w.v[4] = rv_text(q->replaces, strlen(q->replaces)); /* the reserve taken */
                rc = audit_writer_row(&w, e);
                if (st) {
                    if (*q->replaces) st->replacements++;
                    else st->unreplaced++;
                }
            }
            if (!rc) rc = audit_writer_commit(&w, action, key, detail, e);
            else audit_writer_abort(&w);
        }
    }
    /* 7. two-level review (review.c): the new questionnaires are submitted, not approved */
    if (!rc && c->review) rc = review_submit_rows(c->s, c->sample, rows, b->nq, action, key, e);
    if (rc) goto fail;
    stmt_finalize(old);
    mem_free(rows);
    mem_free(moves);
    return c->in_tx ? 0 : store_commit(c->s, e);
fail:
    stmt_finalize(old);
    mem_free(rows);
    mem_free(moves);
    if (!c->in_tx) store_rollback(c->s);
    return rc < 0 ? rc : ERR_STORE;
}

/* ------------------------------------------------------------------ import */

/* The kind of unit a form describes, and whether u fits it. Writes a reason if not. */
static const char *unit_kind_of(const struct form *f)
{
    if (!strcmp(f->unit, "village")) return "village";
    if (!strcmp(f->unit, "township")) return "township";
    if (!strcmp(f->unit, "problem")) return "problem";
    if (str_in_list(f->unit, strlen(f->unit), "project|records|cadre")) return "check";
    return "household";
}

static int unit_fits(const struct form *f, const struct sunit *u, char *why, size_t size)
{
    int general = !strcmp(u->category, "general");
    if (!strcmp(f->unit, "village")) {
        if (strcmp(u->stage, "village")) {
            snprintf(why, size, "%s is a household, not a sampled village", u->code);
            return 0;
        }
        return 1;
    }
    if (!strcmp(u->stage, "village")) {
        snprintf(why, size, "%s is a village: use the village form", u->code);
        return 0;
    }
    if (!strcmp(f->unit, "household_registered") && general) {
        snprintf(why, size, "%s is a general household: use the general-household form", u->code);
        return 0;
    }
    if (!strcmp(f->unit, "household_general") && !general) {
        snprintf(why, size, "%s is a registered household (%s): use the registered-household form",
                 u->code, u->category);
        return 0;
    }
    return 1;
}

static const struct csv_column meta_cols[] = {
    {"unit", "调查对象|对象编码|户编号|村代码|乡镇代码", 1},
    {"team", "考核组|评估组|组别", 0},
    {"pair", "调查员|调查人员|入户小组", 0},
    {"duration_min", "访谈时长|访谈时长(分钟)|时长", 0},
    {"status", "状态|完成情况", 0},
    {"reason", "未访原因|原因", 0},
};
enum { M_UNIT, M_TEAM, M_PAIR, M_DURATION, M_STATUS, M_REASON, M_COUNT };

/* The repeat of a form (its begin_repeat row), or -1. */
static int form_repeat(const struct form *f)
{
    for (size_t r = 0; r < f->nrows; r++)
        if (f->rows[r].type == FORM_BEGIN_REPEAT) return (int)r;
    return -1;
}

/* Members file rows, grouped by unit: a small table read whole (a sample's members). */
struct mrow {
    const char *unit;
    long member, line;
    const char **vals; /* by header column */
};
struct mfile {
    int present;
    char path[1024];
    const char **header;
    size_t ncols;
    int unit_col, member_col;
    struct mrow *rows;
    size_t n, cap;
    struct arena arena;
};

static int load_members(struct mfile *m, const struct field_csv_mem *mem, struct errlist *errs,
                        struct error *e)
{
    struct csv *c;
    struct error ce;
    int rc;
    arena_init(&m->arena, 1 << 16);
    if (mem ? !mem->members : access(m->path, F_OK) != 0) return 0;
    m->present = 1;
    rc = mem ? csv_open_mem(m->path, mem->members, mem->mlen, &c, &ce) : csv_open(m->path, &c, &ce);
    if (rc) {
        errlist_add(errs, &ce);
        return 0;
    }
    rc = csv_next(c, &ce);
    if (rc <= 0) {
        if (rc < 0) errlist_add(errs, &ce);
        csv_close(c);
        return 0;
    }
    m->ncols = csv_nfields(c);
    m->header = arena_alloc(&m->arena, (m->ncols + 1) * sizeof *m->header);
    if (!m->header) {
        csv_close(c);
        return error_set(e, ERR_NOMEM, "out of memory");
    }
    m->unit_col = m->member_col = -1;
    for (size_t k = 0; k < m->ncols; k++) {
        m->header[k] = arena_strdup(&m->arena, csv_field(c, k));
        if (!strcmp(csv_field(c, k), "unit")) m->unit_col = (int)k;
        if (!strcmp(csv_field(c, k), "member")) m->member_col = (int)k;
    }
    if (m->unit_col < 0 || m->member_col < 0) {
        errlist_addf(errs, ERR_INVALID, m->path, 1, 0, "the header needs columns unit and member");
        csv_close(c);
        return 0;
    }
    while ((rc = csv_next(c, &ce)) == 1) {
        struct mrow *r;
        int64_t member;
        if (csv_row_blank(c)) continue;
        if (m->n == m->cap) {
            size_t cap = m->cap ? m->cap * 2 : 256;
            struct mrow *p = mem_realloc(m->rows, cap * sizeof *p);
            if (!p) {
                csv_close(c);
                return error_set(e, ERR_NOMEM, "out of memory");
            }
            m->rows = p, m->cap = cap;
        }
        r = &m->rows[m->n];
        r->line = csv_line(c);
        r->unit = arena_strdup(&m->arena, csv_field(c, (size_t)m->unit_col));
        if (parse_int64(csv_field(c, (size_t)m->member_col), &member) || member < 1) {
            errlist_addf(errs, ERR_INVALID, m->path, r->line, m->member_col + 1,
                         "member: '%s' is not a member number 1, 2, 3...",
                         csv_field(c, (size_t)m->member_col));
            continue;
        }
        r->member = (long)member;
        r->vals = arena_alloc(&m->arena, (m->ncols + 1) * sizeof *r->vals);
        if (!r->unit || !r->vals) {
            csv_close(c);
            return error_set(e, ERR_NOMEM, "out of memory");
        }
        for (size_t k = 0; k < m->ncols; k++) r->vals[k] = arena_strdup(&m->arena, csv_field(c, k));
        m->n++;
    }
    if (rc < 0) errlist_add(errs, &ce);
    csv_close(c);
    return 0;
}

static void release_members(struct mfile *m)
{
    mem_free(m->rows);
    arena_release(&m->arena);
}

/* Reports the validation issues of one questionnaire: errors to errs as file:line: field:
 * reason; returns the number of errors. */
static size_t report_issues(const struct issues *is, const char *file, long line,
                            const struct mfile *m, const char *unit, struct errlist *errs)
{
    size_t n = 0;
    for (size_t k = 0; k < is->n; k++) {
        const struct issue *x = &is->items[k];
        long l = line;
        const char *fname = file;
        if (x->severity != FORM_ERROR) continue;
        if (x->instance >= 0 && m->present) { /* point at the member's own line */
            long seen = 0;
            for (size_t r = 0; r < m->n; r++)
                if (!strcmp(m->rows[r].unit, unit) && seen++ == x->instance) {
                    l = m->rows[r].line;
                    fname = m->path;
                    break;
                }
        }
        if (x->instance >= 0)
            errlist_addf(errs, ERR_INVALID, fname, l, 0, "%s (member %ld): %s", x->name,
                         x->instance + 1, x->en ? x->en : "invalid");
        else
            errlist_addf(errs, ERR_INVALID, fname, l, 0, "%s: %s", x->name, x->en ? x->en : "invalid");
        n++;
    }
    return n;
}

/* ------------------------------------------------------------------ prepare, then store
 *
 * An import is two steps (issue 11: the server runs the first on the request's thread, only
 * the second inside its writer queue). field_import_prepare reads the two files and makes
 * every check that needs no store — a unit twice in the file, team, duration, status and
 * reason, the members' numbering, the answers against the form, household_id — and keeps,
 * row by row, the errors those checks found (not yet reported) and the validated answers (a
 * qbatch). field_import_prepared_tx then walks the rows in the same order with the checks
 * that read the store — the unit is in the sample, active, of the form's kind; village
 * non-response; set aside by resolve; late interviews and replacements — and reports a row's
 * kept errors exactly where the one-pass import reported them: a row a store check refuses
 * reports that reason only, as before. So the messages, their order, the stored rows and the
 * change log are those of the one pass (t_field, t_serve, t_openrosa).
 */

/* A kept error: struct error without its fixed buffers (a file of many bad rows keeps them
 * all until the store's step, so about a tenth of the size); strings in the prepared
 * qbatch's arena. */
struct kerr {
    int code;
    long line, column;
    const char *file, *msg;
};

/* One row of FILE.csv after the checks that need no store. Each stage's kept errors are a
 * range [e, e + n) of field_prepared.kept; a stage with errors ends the row (but for the
 * members' numbering, which the one pass reported without ending the row). */
/* PR_ROW: a row that ends at its team or duration (na), before its status is read */
enum prow_kind { PR_ROW, PR_DUP, PR_NONRESPONSE, PR_COMPLETE, PR_BADSTATUS };
struct prow {
    long line;
    enum prow_kind kind;
    const char *unit; /* arena */
    size_t e0, n0;    /* PR_DUP: the unit twice in the file */
    size_t ea, na;    /* team, duration */
    size_t eb, nb;    /* PR_NONRESPONSE: the reason; PR_BADSTATUS: the status */
    size_t ec, nc;    /* PR_COMPLETE: the members' numbering, the answers, household_id */
    int c_stop;       /* PR_COMPLETE: the answers or household_id are wrong: not stored */
    long qi;          /* PR_COMPLETE, !c_stop: its questionnaire in field_prepared.b */
    struct qrec q;    /* the fields that need no store (strings in b's arena) */
    int64_t members;  /* repeat instances */
};

struct field_prepared {
    const struct form *f; /* borrowed from the caller */
    char path[1024];
    const char *source;   /* arena of b, or NULL */
    const char *kind;
    int rep;
    struct error fatal; /* fatal.code: a form field import does not take */
    struct errlist scratch; /* the errors of the current step, moved to kept by kept_n */
    struct kerr *kept;      /* every error found, in the one pass's order (compact) */
    size_t nkept, capkept;
    int nomem;              /* an error could not be kept */
    size_t npre;         /* kept[0, npre): errors before the rows (files, header) */
    size_t etail, ntail; /* a CSV read error after the rows */
    int rows_read;       /* the rows were read (else the members are not checked) */
    struct mfile m;
    struct u64map seen; /* units of this file: line * 2 (+ 1 once not reached) */
    struct prow *rows;
    size_t n, cap;
    struct qbatch b;
    int stored; /* field_import_prepared_tx ran (it marks the units' state: once only) */
};

void field_prepared_free(struct field_prepared *p)
{
    if (!p) return;
    errlist_release(&p->scratch);
    mem_free(p->kept);
    release_members(&p->m);
    u64map_release(&p->seen);
    mem_free(p->rows);
    qbatch_release(&p->b);
    mem_free(p);
}

/* Moves the errors of p->scratch to p->kept; returns how many are kept. */
static size_t kept_n(struct field_prepared *p)
{
    struct errlist *l = &p->scratch;
    if (l->n != l->total) p->nomem = 1;
    for (size_t i = 0; i < l->n; i++) {
        const struct error *x = &l->items[i];
        struct kerr *k;
        if (p->nkept == p->capkept) {
            size_t cap = p->capkept ? p->capkept * 2 : 16;
            struct kerr *np = mem_realloc(p->kept, cap * sizeof *np);
            if (!np) {
                p->nomem = 1;
                break;
            }
            p->kept = np, p->capkept = cap;
        }
        k = &p->kept[p->nkept];
        k->code = x->code, k->line = x->line, k->column = x->column;
        k->msg = dup_str(&p->b, x->msg);
        k->file = !strcmp(x->file, p->path) ? p->path
                  : !strcmp(x->file, p->m.path) ? p->m.path
                                                : dup_str(&p->b, x->file);
        if (!k->msg || !k->file) {
            p->nomem = 1;
            break;
        }
        p->nkept++;
    }
    l->n = l->total = 0;
    return p->nkept;
}

/* The kept errors added since `from`, as a range. */
#define KEPT_RANGE(p, from, e, n) ((e) = (from), (n) = kept_n(p) - (from))

static int prepare(const struct form *f, const char *path, const struct field_csv_mem *mem,
                   const char *source, int strict, int today, struct field_prepared **out,
                   struct error *e)
{
    struct field_prepared *p = mem_alloc(sizeof *p);
    struct csv *csv = NULL;
    struct answers *a = NULL;
    struct issues is;
    struct error ce;
    struct errlist *errs;
    int idx[M_COUNT], *qcol = NULL, rc = 0;
    size_t nf = 0;
    const char **hdr = NULL;

    *out = NULL;
    if (!p) return error_set(e, ERR_NOMEM, "out of memory");
    memset(p, 0, sizeof *p);
    errlist_init(&p->scratch, SIZE_MAX);
    errs = &p->scratch;
    qbatch_init(&p->b);
    u64map_init(&p->seen);
    issues_init(&is);
    p->f = f;
    p->rep = form_repeat(f);
    p->kind = unit_kind_of(f);
    snprintf(p->path, sizeof p->path, "%s", path);
    if (source && !(p->source = dup_str(&p->b, source))) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    if (!strcmp(p->kind, "check")) { /* the scheme's other checks: src/problem/checks.c */
        error_set(&p->fatal, ERR_INVALID, "%s: a questionnaire of the scheme's checks (unit %s) is "
                                          "imported with `pinggu checks import`",
                  f->id, f->unit);
        goto ok;
    }
    if (!strcmp(p->kind, "problem")) {
        error_set(&p->fatal, ERR_INVALID, "%s: the problem list is kept by the problem workflow, "
                                          "not imported as fieldwork",
                  f->id);
        goto ok;
    }
    /* FILE.members.csv beside FILE.csv */
    {
        size_t n = strlen(path);
        if (n > 4 && !strcmp(path + n - 4, ".csv"))
            snprintf(p->m.path, sizeof p->m.path, "%.*s.members.csv", (int)(n - 4), path);
        else snprintf(p->m.path, sizeof p->m.path, "%s.members.csv", path);
    }
    rc = load_members(&p->m, mem, errs, e);
    if (rc) goto out;
    if (p->m.present && p->rep < 0)
        errlist_addf(errs, ERR_INVALID, p->m.path, 0, 0, "form %s has no repeat: this file is not "
                                                        "expected",
                     f->id);
    rc = mem ? csv_open_mem(path, mem->csv, mem->csvlen, &csv, &ce) : csv_open(path, &csv, &ce);
    if (rc) {
        errlist_add(errs, &ce);
        goto pre;
    }
    rc = csv_next(csv, &ce);
    if (rc <= 0) {
        if (!rc) error_at(&ce, ERR_INVALID, path, 1, 0, "the file is empty");
        errlist_add(errs, &ce);
        goto pre;
    }
    rc = csv_map_header(csv, meta_cols, M_COUNT, idx, NULL, &ce);
    if (rc) {
        errlist_add(errs, &ce);
        goto pre;
    }
    p->npre = kept_n(p);
    p->rows_read = 1;
    nf = csv_nfields(csv);
    qcol = mem_alloc((nf + 1) * sizeof *qcol);
    hdr = mem_alloc((nf + 1) * sizeof *hdr);
    if (!qcol || !hdr) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < nf; k++) {
        int meta = 0;
        for (int mi = 0; mi < M_COUNT; mi++) meta |= idx[mi] == (int)k;
        qcol[k] = meta ? -2 : 0;
        /* keep the header names: answers are set by name */
        hdr[k] = arena_strdup(&p->b.arena, csv_field(csv, k));
        if (!hdr[k]) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    rc = answers_new(f, &a, e);
    if (rc) goto out;
    while ((rc = csv_next(csv, &ce)) == 1) {
        struct prow *pr;
        const char *unit, *status, *reason;
        long line = csv_line(csv);
        char src[160];
        int64_t team = 0;
        double dur = 0;
        size_t from;
        if (csv_row_blank(csv)) continue;
        if (p->n == p->cap) {
            size_t cap = p->cap ? p->cap * 2 : 16;
            struct prow *np = mem_realloc(p->rows, cap * sizeof *np);
            if (!np) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            p->rows = np, p->cap = cap;
        }
        pr = &p->rows[p->n++];
        memset(pr, 0, sizeof *pr);
        pr->line = line;
        pr->qi = -1;
        unit = csv_field(csv, (size_t)idx[M_UNIT]);
        status = idx[M_STATUS] >= 0 ? csv_field(csv, (size_t)idx[M_STATUS]) : "";
        reason = idx[M_REASON] >= 0 ? csv_field(csv, (size_t)idx[M_REASON]) : "";
        if (!(pr->unit = dup_str(&p->b, unit))) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        {
            uint64_t prev, key = u64_hash_str(unit, strlen(unit));
            int put = u64map_put(&p->seen, key, (uint64_t)line * 2, &prev);
            if (put < 0) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            if (!put) { /* one questionnaire per unit and file: never two judged */
                from = kept_n(p);
                errlist_addf(errs, ERR_INVALID, path, line, 0,
                             "unit: %s is in this file twice (first on line %lld)", unit,
                             (long long)(prev / 2));
                KEPT_RANGE(p, from, pr->e0, pr->n0);
                pr->kind = PR_DUP;
                continue;
            }
        }
        from = kept_n(p);
        if (idx[M_TEAM] >= 0 && *csv_field(csv, (size_t)idx[M_TEAM]) &&
            (parse_int64(csv_field(csv, (size_t)idx[M_TEAM]), &team) || team < 0)) {
            errlist_addf(errs, ERR_INVALID, path, line, idx[M_TEAM] + 1,
                         "team: '%s' is not a team number", csv_field(csv, (size_t)idx[M_TEAM]));
        } else if (idx[M_DURATION] >= 0 && *csv_field(csv, (size_t)idx[M_DURATION])) {
            if (parse_double(csv_field(csv, (size_t)idx[M_DURATION]), &dur) || dur < 0) {
                errlist_addf(errs, ERR_INVALID, path, line, idx[M_DURATION] + 1,
                             "duration_min: '%s' is not a number of minutes",
                             csv_field(csv, (size_t)idx[M_DURATION]));
            } else {
                pr->q.has_duration = 1;
                pr->q.duration = dur;
            }
        }
        KEPT_RANGE(p, from, pr->ea, pr->na);
        if (source) snprintf(src, sizeof src, "%s", source);
        else snprintf(src, sizeof src, "%s:%ld", path, line);
        pr->q.unit = pr->unit;
        pr->q.unit_kind = p->kind;
        pr->q.form = f->id;
        pr->q.team = (int)team;
        pr->q.pair = dup_str(&p->b, idx[M_PAIR] >= 0 ? csv_field(csv, (size_t)idx[M_PAIR]) : "");
        pr->q.source = dup_str(&p->b, src);
        pr->q.replaces = "";
        pr->q.reason = "";
        pr->q.date = "";
        if (!pr->q.pair || !pr->q.source) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        if (pr->na) continue; /* the store's checks come first, then this row's error */
        from = kept_n(p);
        if (*status && str_in_list(status, strlen(status), "nonresponse|未访|未访到|无应答")) {
            const char *code = field_reason_parse(reason);
            pr->kind = PR_NONRESPONSE;
            if (!code)
                errlist_addf(errs, ERR_INVALID, path, line, idx[M_REASON] + 1,
                             "reason: '%s' is not one of away, refused, moved, dead, "
                             "no_such_household (外出, 拒访, 搬迁, 死亡, 查无此户)",
                             reason);
            else pr->q.reason = code; /* a static string */
            KEPT_RANGE(p, from, pr->eb, pr->nb);
            continue;
        }
        if (*status && !str_in_list(status, strlen(status), "complete|完成|已访")) {
            errlist_addf(errs, ERR_INVALID, path, line, idx[M_STATUS] + 1,
                         "status: '%s' is not complete or nonresponse", status);
            pr->kind = PR_BADSTATUS;
            KEPT_RANGE(p, from, pr->eb, pr->nb);
            continue;
        }
        pr->kind = PR_COMPLETE;
        /* the answers */
        answers_reset(a);
        issues_reset(&is);
        for (size_t k = 0; k < nf; k++) {
            const char *v = csv_field(csv, k);
            if (qcol[k] == -2 || !*v) continue;
            if (answers_set(a, hdr[k], v)) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
        }
        /* (a missing members file is told once, by the store step: at the first row that
         * passes the store's checks, as the one pass did) */
        if (p->rep >= 0 && p->m.present) {
            long expect = 1;
            const struct mfile *m = &p->m;
            for (size_t r = 0; r < m->n; r++) {
                long inst;
                if (strcmp(m->rows[r].unit, unit)) continue;
                if (m->rows[r].member != expect) {
                    errlist_addf(errs, ERR_INVALID, m->path, m->rows[r].line, m->member_col + 1,
                                 "member: %ld, expected %ld (members are numbered 1, 2, 3 "
                                 "in order)",
                                 m->rows[r].member, expect);
                    break;
                }
                expect++;
                if (answers_add_instance(a, f->rows[p->rep].name, &inst)) {
                    rc = error_set(e, ERR_NOMEM, "out of memory");
                    goto out;
                }
                for (size_t k = 0; k < m->ncols; k++) {
                    if ((int)k == m->unit_col || (int)k == m->member_col || !*m->rows[r].vals[k])
                        continue;
                    if (answers_set_in(a, m->header[k], inst, m->rows[r].vals[k]) == ERR_NOMEM) {
                        rc = error_set(e, ERR_NOMEM, "out of memory");
                        goto out;
                    }
                }
            }
        }
        if (answers_validate(a, strict ? ANSWERS_STRICT : ANSWERS_LENIENT, today, &is, e)) {
            rc = ERR_NOMEM;
            goto out;
        }
        if (report_issues(&is, path, line, &p->m, unit, errs)) {
            pr->c_stop = 1;
            KEPT_RANGE(p, from, pr->ec, pr->nc);
            continue;
        }
        {
            const char *d = answers_get(a, "survey_date");
            const char *g = answers_get(a, "location");
            const char *hid = answers_get(a, !strcmp(p->kind, "village") ? "village_code"
                                                                         : "household_id");
            if (hid && *hid && strcmp(hid, unit)) {
                errlist_addf(errs, ERR_INVALID, path, line, 0, "%s: '%s' differs from the unit %s",
                             !strcmp(p->kind, "village") ? "village_code" : "household_id", hid,
                             unit);
                pr->c_stop = 1;
                KEPT_RANGE(p, from, pr->ec, pr->nc);
                continue;
            }
            KEPT_RANGE(p, from, pr->ec, pr->nc);
            pr->q.date = d ? d : "";
            if (g && sscanf(g, "%lf %lf", &pr->q.lat, &pr->q.lon) == 2) pr->q.has_gps = 1;
            pr->qi = qbatch_add(&p->b, &pr->q, a, &is);
            if (pr->qi < 0) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            pr->q.date = p->b.q[pr->qi].date; /* the arena's copy */
            if (p->rep >= 0) pr->members = answers_instances(a, f->rows[p->rep].name);
        }
    }
    {
        size_t from = kept_n(p);
        if (rc < 0) errlist_add(errs, &ce);
        KEPT_RANGE(p, from, p->etail, p->ntail);
    }
    rc = 0;
    goto kept;
pre:
    p->npre = kept_n(p);
    rc = 0;
kept:
    if (p->nomem) rc = error_set(e, ERR_NOMEM, "out of memory");
ok:
out:
    mem_free(hdr);
    mem_free(qcol);
    csv_close(csv);
    answers_free(a);
    issues_release(&is);
    if (rc) field_prepared_free(p);
    else *out = p;
    return rc;
}

/* Copies questionnaire qi of src (its answers and warnings, their strings borrowed from src's
 * arena) into dst with the fields q, which the store's checks filled in. Index or ERR_NOMEM. */
static long qbatch_copy(struct qbatch *dst, const struct qbatch *src, size_t qi,
                        const struct qrec *q)
{
    const struct qrec *from = &src->q[qi];
    size_t ni = dst->nq;
    PUSH(dst->q, dst->nq, dst->capq);
    dst->q[ni] = *q;
    dst->q[ni].first_answer = dst->na;
    dst->q[ni].first_issue = dst->ni;
    for (size_t k = from->first_answer; k < from->first_answer + from->nanswers; k++) {
        PUSH(dst->a, dst->na, dst->capa);
        dst->a[dst->na] = src->a[k];
        dst->a[dst->na++].q = ni;
    }
    for (size_t k = from->first_issue; k < from->first_issue + from->nissues; k++) {
        PUSH(dst->i, dst->ni, dst->capi);
        dst->i[dst->ni] = src->i[k];
        dst->i[dst->ni++].q = ni;
    }
    dst->q[ni].nanswers = dst->na - dst->q[ni].first_answer;
    dst->q[ni].nissues = dst->ni - dst->q[ni].first_issue;
    dst->nq++;
    return (long)ni;
}

/* Reports kept errors [from, from + n) of p into errs. */
static void report_kept(const struct field_prepared *p, size_t from, size_t n, struct errlist *errs)
{
    for (size_t k = from; k < from + n; k++) {
        const struct kerr *x = &p->kept[k];
        struct error r;
        memset(&r, 0, sizeof r);
        r.code = x->code, r.line = x->line, r.column = x->column;
        snprintf(r.msg, sizeof r.msg, "%s", x->msg);
        snprintf(r.file, sizeof r.file, "%s", x->file);
        errlist_add(errs, &r);
    }
}

/* The store's step: s NULL for field_check (every unit taken as a selected unit of the form's
 * kind). in_tx: the caller's transaction holds the writes. */
static int store_prepared(struct store *s, const char *sample, struct field_prepared *p,
                          int in_tx, struct field_stats *st, struct errlist *errs,
                          struct error *e)
{
    const struct form *f = p->f;
    const char *path = p->path, *kind = p->kind;
    struct fctx c;
    struct qbatch b;
    struct sunit scratch;
    int rc, told_members = 0;
    size_t before = errs->total;

    {
        int review = st->review; /* the one input field */
        memset(st, 0, sizeof *st);
        st->review = review;
    }
    memset(&scratch, 0, sizeof scratch);
    if (s) rc = open_ctx(s, sample, &c, 0, e);
    else {
        memset(&c, 0, sizeof c);
        u64map_init(&c.byunit);
        sample = "(none)";
        rc = 0;
    }
    if (rc) return rc;
    qbatch_init(&b);
    c.review = st->review;
    c.in_tx = in_tx;
    if (p->fatal.code) {
        *e = p->fatal;
        rc = p->fatal.code;
        goto out;
    }
    report_kept(p, 0, p->npre, errs);
    for (size_t i = 0; i < p->n; i++) {
        struct prow *pr = &p->rows[i];
        const char *unit = pr->unit;
        long line = pr->line;
        struct qrec q = pr->q;
        struct sunit *u;
        char why[256], wd[1024]; /* wd: a late interview's withdrawn reserves */
        if (pr->kind == PR_DUP) {
            report_kept(p, pr->e0, pr->n0, errs);
            continue;
        }
        u = fctx_unit(&c, unit);
        if (!u && !s) {
            memset(&scratch, 0, sizeof scratch);
            snprintf(scratch.code, sizeof scratch.code, "%s", unit);
            snprintf(scratch.stage, sizeof scratch.stage, "%s",
                     strcmp(kind, "village") ? "household" : "village");
            snprintf(scratch.category, sizeof scratch.category, "%s",
                     strcmp(f->unit, "household_general") ? "registered" : "general");
            scratch.active = 1;
            u = &scratch;
        }
        if (!u && c.failed) { /* the store failed while loading the unit's village */
            *e = c.err;
            rc = c.err.code ? c.err.code : ERR_STORE;
            goto out;
        }
        if (!u) {
            errlist_addf(errs, ERR_INVALID, path, line, 0, "unit: %s is not in sample %s", unit,
                         sample);
            continue;
        }
        if (!u->active) {
            errlist_addf(errs, ERR_INVALID, path, line, 0,
                         "unit: %s is a reserve of sample %s that no non-response has activated",
                         unit, sample);
            continue;
        }
        if (!unit_fits(f, u, why, sizeof why)) {
            errlist_addf(errs, ERR_INVALID, path, line, 0, "unit: %s", why);
            continue;
        }
        u->line = line;
        if (pr->na) {
            report_kept(p, pr->ea, pr->na, errs);
            continue;
        }
        q.county = u->county;
        q.village = u->village;
        if (pr->kind == PR_NONRESPONSE) {
            struct sunit *r;
            if (pr->nb) {
                report_kept(p, pr->eb, pr->nb, errs);
                continue;
            }
            if (!strcmp(u->stage, "village")) {
                errlist_addf(errs, ERR_INVALID, path, line, 0,
                             "status: only a household can be a non-response");
                continue;
            }
            q.nonresponse = 1;
            {
                uint64_t *v = u64map_get(&p->seen, u64_hash_str(unit, strlen(unit)));
                if (v) *v |= 1;
            }
            if (u->replaced) { /* imported before: the same reserve stays in charge */
                q.known = 1;
                q.replaces = u->replaced_by;
            } else {
                r = fctx_replace(&c, u);
                q.replaces = r ? r->code : "";
                u->replaced = 1;
                snprintf(u->replaced_by, sizeof u->replaced_by, "%s", q.replaces);
            }
            if (qbatch_add(&b, &q, NULL, NULL) < 0) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            continue;
        }
        if (pr->kind == PR_BADSTATUS) {
            report_kept(p, pr->eb, pr->nb, errs);
            continue;
        }
        if (p->rep >= 0 && !p->m.present && !told_members++)
            errlist_addf(errs, ERR_INVALID, path, line, 0,
                         "%s: the members of this household (repeat %s of form %s) go in %s, "
                         "which does not exist: they would be lost",
                         f->rows[p->rep].name, f->rows[p->rep].name, f->id, p->m.path);
        report_kept(p, pr->ec, pr->nc, errs);
        if (pr->c_stop) continue;
        {
            long qi;
            if (u->overruled) {
                errlist_addf(errs, ERR_INVALID, path, line, 0,
                             "unit: the questionnaire of %s was set aside for its reserve by "
                             "`pinggu field resolve`; resolve again (--keep original) to "
                             "change that",
                             unit);
                continue;
            }
            q.reason = u->late_reason; /* a late interview imported again */
            if (u->replaced) {
                /* first recorded as not reached, now interviewed: the household wins and
                 * every reserve of its chain returns to the list (docs/fieldwork.md §3) */
                size_t wl = 0;
                const char *next = u->replaced_by;
                struct sunit *r;
                int bad = 0;
                wd[0] = '\0';
                for (int guard = 0; *next && guard < 256 && (r = fctx_unit(&c, next)); guard++) {
                    if (r->line) {
                        errlist_addf(errs, ERR_INVALID, path, line, 0,
                                     "unit: %s was first recorded as not reached and its "
                                     "reserve %s is in this file too (line %ld): keep one of "
                                     "the two",
                                     unit, r->code, r->line);
                        bad = 1;
                        break;
                    }
                    if (wl + strlen(r->code) + 2 < sizeof wd)
                        wl += (size_t)snprintf(wd + wl, sizeof wd - wl, "%s%s", wl ? " " : "",
                                               r->code);
                    next = r->replaced ? r->replaced_by : "";
                }
                if (bad) continue;
                next = u->replaced_by;
                for (int guard = 0; *next && guard < 256 && (r = fctx_unit(&c, next)); guard++) {
                    r->active = 0;
                    r->replaced = 0;
                    next = r->replaced_by;
                }
                q.late = 1;
                q.reason = u->reason;
                q.withdraw = wd;
                u->replaced = 0;
            }
            /* the strings the store gave (reason, withdraw) into this batch's arena */
            q.reason = dup_str(&b, q.reason);
            q.withdraw = dup_str(&b, q.withdraw);
            if (!q.reason || !q.withdraw) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            qi = qbatch_copy(&b, &p->b, (size_t)pr->qi, &q);
            if (qi < 0) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            st->members += pr->members;
            if (qbatch_duration_warning(&b, (size_t)qi)) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
        }
    }
    if (p->rows_read) {
        report_kept(p, p->etail, p->ntail, errs);
        /* every member row belongs to a household interviewed in this file */
        for (size_t r = 0; p->rep >= 0 && r < p->m.n; r++) {
            const struct mrow *mr = &p->m.rows[r];
            uint64_t *v = u64map_get(&p->seen, u64_hash_str(mr->unit, strlen(mr->unit)));
            if (!v)
                errlist_addf(errs, ERR_INVALID, p->m.path, mr->line, p->m.unit_col + 1,
                             "unit: %s has no questionnaire in %s: this member would be lost",
                             mr->unit, path);
            else if (*v & 1)
                errlist_addf(errs, ERR_INVALID, p->m.path, mr->line, p->m.unit_col + 1,
                             "unit: %s was not reached (%s:%lld): a household not interviewed "
                             "has no members to record",
                             mr->unit, path, (long long)(*v / 2));
        }
    }
    if (errs->total > before) {
        rc = error_set(e, ERR_INVALID, "%zu error%s: nothing was imported", errs->total - before,
                       errs->total - before == 1 ? "" : "s");
        goto out;
    }
    if (!s) { /* field_check: counts only */
        for (size_t i = 0; i < b.nq; i++) {
            if (b.q[i].nonresponse) st->nonresponse++;
            else st->questionnaires++;
            st->warnings += (int64_t)b.q[i].nissues;
        }
        rc = 0;
        goto out;
    }
    {
        char key[256];
        snprintf(key, sizeof key, "%s %s", f->id, p->source ? p->source : path);
        rc = qbatch_store(&c, &b, "field import", key, st, e);
    }
out:
    qbatch_release(&b);
    fctx_close(&c);
    return rc;
}

/* The one pass: prepare, then store. */
static int import(struct store *s, const char *sample, const struct form *f, const char *path,
                  const struct field_csv_mem *mem, const char *source, int in_tx, int strict,
                  int today, struct field_stats *st, struct errlist *errs, struct error *e)
{
    struct field_prepared *p;
    int rc = prepare(f, path, mem, source, strict, today, &p, e);
    if (rc) return rc;
    rc = store_prepared(s, sample, p, in_tx, st, errs, e);
    field_prepared_free(p);
    return rc;
}

int field_import(struct store *s, const char *sample, const struct form *f, const char *path,
                 int strict, int today, struct field_stats *st, struct errlist *errs,
                 struct error *e)
{
    return import(s, sample, f, path, NULL, NULL, 0, strict, today, st, errs, e);
}

int field_import_tx(struct store *s, const char *sample, const struct form *f, const char *path,
                    const char *source, int strict, int today, struct field_stats *st,
                    struct errlist *errs, struct error *e)
{
    if (!store_in_transaction(s))
        return error_set(e, ERR_INTERNAL, "field_import_tx outside a transaction");
    return import(s, sample, f, path, NULL, source, 1, strict, today, st, errs, e);
}

int field_import_mem_tx(struct store *s, const char *sample, const struct form *f,
                        const struct field_csv_mem *in, const char *source, int strict, int today,
                        struct field_stats *st, struct errlist *errs, struct error *e)
{
    if (!store_in_transaction(s))
        return error_set(e, ERR_INTERNAL, "field_import_mem_tx outside a transaction");
    return import(s, sample, f, in->name, in, source, 1, strict, today, st, errs, e);
}

int field_import_prepare(const struct form *f, const struct field_csv_mem *in,
                         const char *source, int strict, int today, struct field_prepared **out,
                         struct error *e)
{
    return prepare(f, in->name, in, source, strict, today, out, e);
}

int field_import_prepared_tx(struct store *s, const char *sample, struct field_prepared *p,
                             struct field_stats *st, struct errlist *errs, struct error *e)
{
    if (!store_in_transaction(s))
        return error_set(e, ERR_INTERNAL, "field_import_prepared_tx outside a transaction");
    if (p->stored) return error_set(e, ERR_INTERNAL, "field_import_prepared_tx: stored already");
    p->stored = 1;
    return store_prepared(s, sample, p, 1, st, errs, e);
}

int field_check(const struct form *f, const char *path, int strict, int today,
                struct field_stats *st, struct errlist *errs, struct error *e)
{
    return import(NULL, NULL, f, path, NULL, NULL, 0, strict, today, st, errs, e);
}
