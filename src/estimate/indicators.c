/*
 * indicators.c — the indicators of a sample per county, city or province (estimate.h
 * estimate_sample, DESIGN §6.3 and §7).
 *
 * Data. Each surveyed household contributes one row: its county, village (the first-stage
 * unit of a county), village stratum, inclusion probabilities (county within province,
 * village within county, household within village: sample_units.pi), persons (the registry's,
 * as recorded with its judgments), and outcomes (judgments: wrong_exit, missed, approval).
 * Only questionnaires whose status is 'complete' count (a superseded or any other status does
 * not). Non-response: within each quota cell (village × stratum) the weights of the completed
 * questionnaires — originals and the reserves that replaced non-respondents — are multiplied
 * by s(s + r − k)/((s + r)c): s originals, r reserves fielded, k of them out of scope (dead,
 * no such household: removed from the population, DESIGN §7), c completed. A cell with an
 * in-scope share and no completed questionnaire is collapsed into the nearest cell of the same
 * quota stratum (same village stratum first, then the county), which takes its share; the
 * collapses are reported (load_cells, est_load_collapses).
 *
 * Levels. A county's first-stage units are its villages, stratified by the plan's village
 * strata. Above a county: when every county was assessed, the strata are county × village
 * stratum and the units villages; when counties were sampled, the units are counties within
 * provinces (ultimate clusters) — a county taken with certainty (π = 1) being its own strata,
 * county × village stratum, with villages as units — and the weights include 1/π of the
 * county. Every rate is a
 * domain of the full design (core.c): households outside the unit or the rate's population
 * keep their PSU and stratum with weight 0. Registry totals (U, E, G, R) are summed over the
 * sample's counties — surveyed or not — Horvitz–Thompson weighted when counties were sampled.
 *
 * Totals from the registry: R rural population; U registered unexited persons (returned
 * households included: they are poor again); E persons of exited households of the
 * categories the plan's quotas sample; G persons of the general households the plan's
 * general quota samples (all of them, or only the vulnerable kinds: then the figure assumes
 * the others are not poor, and says so).
 */
#include "estimate_int.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int name_index(struct names *t, const char *s)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->s[i], s)) return (int)i;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char(*p)[48] = mem_realloc(t->s, cap * sizeof *p);
        if (!p) return -1;
        t->s = p, t->cap = cap;
    }
    snprintf(t->s[t->n], sizeof t->s[0], "%s", s);
    return (int)t->n++;
}

static int outcome_of(const char *o, int fail_is)
{
    if (!o || !*o || !strcmp(o, "na")) return -1;
    return !strcmp(o, "fail") ? fail_is : !fail_is;
}

/* ---------------------------------------------------------------- quota cells */

/* One quota cell (village × the stratum its households were drawn in). */
struct qcell {
    int county;
    int64_t village;
    char quota[32], vstratum[48];
    int64_t s, r, k, c; /* originals, fielded reserves, out of scope, complete */
    double base;        /* Σ 1/(π_v π_h) over the originals */
    double adj;         /* the factor of its complete questionnaires */
    int64_t into;       /* collapsed into the cell of this village (0: not collapsed) */
    int within;         /* 1 same village stratum, 2 same county; -1 no cell to take it */
};

static int cmp_qcell(const void *a, const void *b)
{
    const struct qcell *x = a, *y = b;
    if (x->village != y->village) return x->village < y->village ? -1 : 1;
    return strcmp(x->quota, y->quota);
}

/* The in-scope population share of a cell, in base-weight units: the originals' base weight
 * times the share of its fielded units (originals and reserves with a record) found in scope. */
static double cell_share(const struct qcell *q)
{
    return q->s + q->r > 0 ? q->base * (double)(q->s + q->r - q->k) / (double)(q->s + q->r) : 0;
}

/* The quota cells of sample row srow with their non-response factors, collapses applied
 * (docs/estimation.md §1), sorted by (village, quota). Only questionnaires whose status is
 * 'complete' count as completed and only 'complete' or 'nonresponse' as fielded, so any other
 * status (a superseded reserve's questionnaire) drops out. Caller owns *out. */
static int load_cells(struct store *s, int64_t srow, struct qcell **out, size_t *nout,
                      struct error *e)
{
    struct stmt *st = NULL;
    struct qcell *q = NULL;
    size_t n = 0, cap = 0;
    int rc = store_prepare(
        s,
        "WITH st AS (SELECT u.code, u.county, u.village, u.stratum AS quota, u.reserve,"
        "  u.pi AS pi_h, v.pi AS pi_v, v.stratum AS vstratum,"
        "  EXISTS (SELECT 1 FROM questionnaires q WHERE q.sample = u.sample AND q.unit = u.code"
        "   AND q.status = 'complete') AS done,"
        "  EXISTS (SELECT 1 FROM questionnaires q WHERE q.sample = u.sample AND q.unit = u.code"
        "   AND q.status IN ('complete', 'nonresponse')) AS fielded,"
        "  EXISTS (SELECT 1 FROM questionnaires q WHERE q.sample = u.sample AND q.unit = u.code"
        "   AND q.status = 'nonresponse' AND q.reason IN ('dead', 'no_such_household')) AS oos"
        "  FROM sample_units u JOIN sample_units v ON v.sample = u.sample AND v.stage = 'village'"
        "   AND v.village = u.village"
        "  WHERE u.sample = ? AND u.stage = 'household')"
        " SELECT county, village, quota, min(vstratum), sum(reserve = 0), sum(reserve <> 0 AND"
        "  fielded), sum((reserve = 0 OR fielded) AND oos AND NOT done), sum(done),"
        "  sum(CASE WHEN reserve = 0 AND pi_h > 0 AND pi_v > 0 THEN 1.0 / (pi_h * pi_v) ELSE 0"
        "  END)"
        " FROM st GROUP BY village, quota, county ORDER BY village, quota",
        &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, srow);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct qcell *c;
        if (n == cap) {
            size_t c2 = cap ? cap * 2 : 256;
            struct qcell *p = mem_realloc(q, c2 * sizeof *p);
            if (!p) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            q = p, cap = c2;
        }
        c = &q[n++];
        memset(c, 0, sizeof *c);
        c->county = (int)stmt_int(st, 0);
        c->village = stmt_int(st, 1);
        snprintf(c->quota, sizeof c->quota, "%s", stmt_text(st, 2));
        snprintf(c->vstratum, sizeof c->vstratum, "%s", stmt_text(st, 3));
        c->s = stmt_int(st, 4);
        c->r = stmt_int(st, 5);
        c->k = stmt_int(st, 6);
        c->c = stmt_int(st, 7);
        c->base = stmt_double(st, 8);
    }
    stmt_finalize(st);
    if (rc < 0) {
        mem_free(q);
        return rc;
    }
    /* own factors: s·(s + r − k)/((s + r)·c); without out-of-scope units s/c */
    for (size_t i = 0; i < n; i++) {
        struct qcell *c = &q[i];
        c->adj = c->c > 0 && c->s + c->r > 0
                     ? (double)c->s * (double)(c->s + c->r - c->k) / ((double)(c->s + c->r) *
                                                                      (double)c->c)
                     : 1;
    }
    /* collapses: a cell with an in-scope share but no complete questionnaire goes to the
     * nearest cell (by village code: same township first) of the same quota stratum and
     * county with one, in a village of the same village stratum if there is one */
    for (size_t i = 0; i < n; i++) {
        struct qcell *a = &q[i];
        size_t best = n;
        int within = 0;
        if (a->c > 0 || !(cell_share(a) > 0)) continue;
        for (int pass = 1; pass <= 2 && best == n; pass++)
            for (size_t j = 0; j < n; j++) {
                const struct qcell *b = &q[j];
                int64_t d, db;
                if (j == i || b->c == 0 || b->county != a->county || strcmp(b->quota, a->quota) ||
                    !(cell_share(b) > 0))
                    continue;
                if (pass == 1 && strcmp(b->vstratum, a->vstratum)) continue;
                d = b->village > a->village ? b->village - a->village : a->village - b->village;
                if (best < n) {
                    db = q[best].village > a->village ? q[best].village - a->village
                                                      : a->village - q[best].village;
                    if (d > db || (d == db && b->village > q[best].village)) continue;
                }
                best = j;
                within = pass;
            }
        a->within = best < n ? within : -1;
        a->into = best < n ? q[best].village : 0;
    }
    /* the receiving cells' factors grow by the shares they take */
    for (size_t i = 0; i < n; i++) {
        struct qcell *b = &q[i];
        double share = cell_share(b), extra = 0;
        if (b->c == 0 || !(share > 0)) continue;
        for (size_t j = 0; j < n; j++)
            if (q[j].into == b->village && q[j].within > 0 && q[j].county == b->county &&
                !strcmp(q[j].quota, b->quota))
                extra += cell_share(&q[j]);
        if (extra > 0) b->adj *= (share + extra) / share;
    }
    *out = q;
    *nout = n;
    return 0;
}

static const struct qcell *cell_find(const struct qcell *q, size_t n, int64_t village,
                                     const char *quota)
{
    struct qcell key;
    key.village = village;
    snprintf(key.quota, sizeof key.quota, "%s", quota);
    return bsearch(&key, q, n, sizeof *q, cmp_qcell);
}

int est_load_collapses(struct store *s, int64_t srow, struct cell_collapse **out, size_t *nout,
                       struct error *e)
{
    struct qcell *q = NULL;
    struct cell_collapse *c = NULL;
    size_t n = 0, m = 0;
    int rc = load_cells(s, srow, &q, &n, e);
    *out = NULL;
    *nout = 0;
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) m += q[i].within != 0;
    if (m) {
        c = mem_calloc(m, sizeof *c);
        if (!c) {
            mem_free(q);
            return error_set(e, ERR_NOMEM, "out of memory");
        }
        m = 0;
        for (size_t i = 0; i < n; i++) {
            struct cell_collapse *x;
            if (!q[i].within) continue;
            x = &c[m++];
            x->county = q[i].county;
            x->village = q[i].village;
            snprintf(x->quota, sizeof x->quota, "%s", q[i].quota);
            snprintf(x->vstratum, sizeof x->vstratum, "%s", q[i].vstratum);
            x->selected = q[i].s;
            x->out_of_scope = q[i].k;
            x->into = q[i].into;
            x->within = q[i].within;
        }
    }
    mem_free(q);
    *out = c;
    *nout = m;
    return 0;
}

/* Households with complete questionnaires, weights adjusted for non-response within their
 * quota cells (load_cells: out-of-scope units removed, empty cells collapsed). */
int est_load_households(struct store *s, int64_t srow, struct hrec **out, size_t *nout,
                        struct names *strata, struct error *e)
{
    struct stmt *st = NULL;
    struct hrec *h = NULL;
    struct qcell *cells = NULL;
    size_t n = 0, cap = 0, ncells = 0;
    int rc = load_cells(s, srow, &cells, &ncells, e);
    if (rc) return rc;
    rc = store_prepare(
        s,
        "SELECT u.county, u.village, u.pi, v.stratum, v.pi, c.pi, u.stratum,"
        " (SELECT outcome FROM judgments j WHERE j.sample = q.sample AND j.unit = q.unit AND"
        "  j.rule = 'wrong_exit'),"
        " (SELECT outcome FROM judgments j WHERE j.sample = q.sample AND j.unit = q.unit AND"
        "  j.rule = 'missed'),"
        " (SELECT outcome FROM judgments j WHERE j.sample = q.sample AND j.unit = q.unit AND"
        "  j.rule = 'approval'),"
        " (SELECT detail FROM judgments j WHERE j.sample = q.sample AND j.unit = q.unit AND"
        "  j.rule IN ('exit.standard', 'missed') LIMIT 1),"
        " 0, 0, q.unit, u.category,"
        " (SELECT outcome FROM judgments j WHERE j.sample = q.sample AND j.unit = q.unit AND"
        "  j.rule = 'four_kinds')"
        " FROM questionnaires q"
        " JOIN sample_units u ON u.sample = q.sample AND u.code = q.unit AND u.stage = 'household'"
        " JOIN sample_units v ON v.sample = q.sample AND v.stage = 'village' AND v.village ="
        "  u.village"
        " JOIN sample_units c ON c.sample = q.sample AND c.stage = 'county' AND c.county ="
        "  u.county"
        " WHERE q.sample = ? AND q.status = 'complete' AND q.unit_kind = 'household'"
        " ORDER BY u.county, u.village, q.unit",
        &st, e);
    if (rc) {
        mem_free(cells);
        return rc;
    }
    stmt_bind_int(st, 1, srow);

    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct hrec *r;
        json_t *d;
        if (n == cap) {
            size_t c2 = cap ? cap * 2 : 1024;
            struct hrec *p = mem_realloc(h, c2 * sizeof *p);
            if (!p) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            h = p, cap = c2;
        }
        r = &h[n];
        memset(r, 0, sizeof *r);
        r->county = (int)stmt_int(st, 0);
        r->city = r->county / 100;
        r->province = r->county / 10000;
        r->village = stmt_int(st, 1);
        r->pi_h = stmt_double(st, 2);
        r->vstratum = name_index(strata, stmt_text(st, 3));
        if (r->vstratum < 0) { /* out of memory, not a household to skip */
            rc = error_set(e, ERR_NOMEM, "out of memory");
            break;
        }
        r->pi_v = stmt_double(st, 4);
        r->pi_c = stmt_double(st, 5);
        r->wrong_exit = outcome_of(stmt_text(st, 7), 1);
        r->missed = outcome_of(stmt_text(st, 8), 1);
        r->approval = outcome_of(stmt_text(st, 9), 0);
        r->four_kinds = outcome_of(stmt_text(st, 15), 1);
        snprintf(r->unit, sizeof r->unit, "%s", stmt_text(st, 13));
        snprintf(r->quota, sizeof r->quota, "%s", stmt_text(st, 6));
        r->category = category_parse(stmt_text(st, 14));
        d = json_loads(stmt_text(st, 10), 0, NULL);
        {
            json_t *reg = json_object_get(d, "registry");
            r->persons = (double)json_integer_value(json_object_get(reg, "persons"));
            r->exited = json_integer_value(json_object_get(reg, "registered")) &&
                        json_integer_value(json_object_get(reg, "exit_year")) &&
                        !json_integer_value(json_object_get(reg, "returned"));
        }
        json_decref(d);
        if (r->persons <= 0) r->persons = 1;
        {
            const struct qcell *qc = cell_find(cells, ncells, r->village, r->quota);
            r->adj = qc ? qc->adj : 1;
        }
        if (r->vstratum < 0 || r->pi_h <= 0 || r->pi_v <= 0 || r->pi_c <= 0) continue;
        n++;
    }
    stmt_finalize(st);
    mem_free(cells);
    if (rc < 0) {
        mem_free(h);
        return rc;
    }
    *out = h;
    *nout = n;
    return 0;
}

/* The plan's quota categories: which exited and general households the sample covers. */
static void covered(const struct plan *p, unsigned *cats, unsigned *gen_flags, int *gen_all)
{
    *cats = 0;
    *gen_flags = 0;
    *gen_all = 0;
    for (int q = 0; q < p->nquotas; q++) {
        *cats |= p->quotas[q].cats;
        if (p->quotas[q].cats & (1u << CAT_GENERAL)) {
            if (p->quotas[q].flags_any) *gen_flags |= p->quotas[q].flags_any;
            else *gen_all = 1;
        }
    }
}

int est_load_counties(struct store *s, int64_t srow, const struct plan *p, struct crec **out,
                      size_t *nout, struct error *e)
{
    struct stmt *st = NULL, *hh = NULL, *resp = NULL;
    struct crec *c = NULL;
    size_t n = 0, cap = 0;
    unsigned cats, gflags;
    int gall, rc;
    covered(p, &cats, &gflags, &gall);
    rc = store_prepare(s,
                       "SELECT u.county, u.pi, coalesce(c.name, ''), coalesce(c.region, ''),"
                       " coalesce(c.rural_population, 0), c.reported_wrong_exit,"
                       " c.reported_missed, c.reported_incidence, c.reported_approval"
                       " FROM sample_units u LEFT JOIN counties c ON c.code = u.county"
                       " WHERE u.sample = ? AND u.stage = 'county' ORDER BY u.county",
                       &st, e);
    if (!rc)
        rc = store_prepare(
            s,
            "SELECT h.registered, coalesce(h.identified_year, 0), coalesce(h.exit_year, 0),"
            " h.returned, h.allowance, h.hardship, h.disability, h.illness, h.unsafe_house,"
            " h.relocated, h.edge, h.monitored,"
            " (SELECT count(*) FROM members m WHERE m.household = h.row_no)"
            " FROM households h WHERE h.village BETWEEN ? AND ?",
            &hh, e);
    if (!rc)
        rc = store_prepare(
            s,
            "SELECT count(*),"
            " sum(EXISTS (SELECT 1 FROM questionnaires q WHERE q.sample = u.sample AND q.unit ="
            "  u.code AND q.status = 'complete')),"
            /* replaced: a complete questionnaire anywhere along the household's chain of
             * reserves (U -> R1 not reached -> R2 interviewed), as `field status` counts it */
            " sum(EXISTS (WITH RECURSIVE chain(unit) AS (SELECT r.replaced_by FROM replacements r"
            "  WHERE r.sample = u.sample AND r.unit = u.code UNION SELECT r.replaced_by FROM"
            "  replacements r JOIN chain ON r.unit = chain.unit WHERE r.sample = u.sample)"
            "  SELECT 1 FROM chain JOIN questionnaires q ON q.sample = u.sample AND q.unit ="
            "  chain.unit AND q.status = 'complete')),"
            " sum(EXISTS (SELECT 1 FROM questionnaires q WHERE q.sample = u.sample AND q.unit ="
            "  u.code AND q.status = 'nonresponse' AND q.reason IN ('dead', 'no_such_household'))"
            "  AND NOT EXISTS (SELECT 1 FROM questionnaires q WHERE q.sample = u.sample AND"
            "  q.unit = u.code AND q.status = 'complete')),"
            " (SELECT count(*) FROM sample_units v WHERE v.sample = ?1 AND v.stage ="
            "  'village' AND v.county = ?2)"
            " FROM sample_units u WHERE u.sample = ?1 AND u.stage = 'household' AND u.reserve = 0"
            " AND u.county = ?2",
            &resp, e);
    if (rc) goto out;
    stmt_bind_int(st, 1, srow);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct crec *r;
        if (n == cap) {
            size_t c2 = cap ? cap * 2 : 32;
            struct crec *q = mem_realloc(c, c2 * sizeof *q);
            if (!q) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            c = q, cap = c2;
        }
        r = &c[n++];
        memset(r, 0, sizeof *r);
        r->code = (int)stmt_int(st, 0);
        r->pi = stmt_double(st, 1);
        snprintf(r->name, sizeof r->name, "%s", stmt_text(st, 2));
        utf8_trim(r->name); /* a long name is cut at a character, never inside one */
        snprintf(r->region, sizeof r->region, "%s", stmt_text(st, 3));
        r->R = (double)stmt_int(st, 4);
        for (int i = 0; i < IND_COUNT; i++) {
            static const int col[IND_COUNT] = {5, 6, 7, 8};
            r->has_reported[i] = stmt_type(st, col[i]) != STORE_NULL;
            r->reported[i] = stmt_double(st, col[i]);
        }
        /* registry totals */
        stmt_reset(hh);
        stmt_bind_int(hh, 1, (int64_t)r->code * 1000000);
        stmt_bind_int(hh, 2, (int64_t)r->code * 1000000 + 999999);
        while ((rc = stmt_step(hh, e)) == STORE_ROW) {
            struct hh_facts f = {(int)stmt_int(hh, 0), (int)stmt_int(hh, 1), (int)stmt_int(hh, 2),
                                 (int)stmt_int(hh, 3)};
            double persons = (double)stmt_int(hh, 12);
            enum hh_category k = household_category(&f, &p->win);
            unsigned flags = 0;
            for (int b = 0; b < 8; b++) {
                static const unsigned bit[8] = {HF_ALLOWANCE, HF_HARDSHIP, HF_DISABILITY,
                                                HF_ILLNESS,   HF_UNSAFE_HOUSE, HF_RELOCATED,
                                                HF_EDGE,      HF_MONITORED};
                if (stmt_int(hh, 4 + b)) flags |= bit[b];
            }
            if (f.registered && (!f.exit_year || f.returned)) r->U += persons;
            else if (f.registered && (cats & (1u << k))) r->E += persons;
            if (!f.registered && (gall || (flags & gflags))) r->G += persons;
        }
        if (rc < 0) goto out;
        stmt_reset(resp);
        stmt_bind_int(resp, 1, srow);
        stmt_bind_int(resp, 2, r->code);
        if ((rc = stmt_step(resp, e)) == STORE_ROW) {
            r->selected = stmt_int(resp, 0);
            r->reached = stmt_int(resp, 1);
            r->replaced = stmt_int(resp, 2);
            r->out_of_scope = stmt_int(resp, 3);
            r->villages = stmt_int(resp, 4);
        }
        if (rc < 0) goto out;
        rc = 0;
    }
    if (rc < 0) goto out;
    rc = 0;
    *out = c;
    *nout = n;
    c = NULL;
out:
    stmt_finalize(st);
    stmt_finalize(hh);
    stmt_finalize(resp);
    mem_free(c);
    return rc;
}

/* Key of a record in the level: the county, city or province code. */
static int level_key(const char *level, int county)
{
    if (!strcmp(level, "city")) return county / 100;
    if (!strcmp(level, "province")) return county / 10000;
    return county;
}

/* The figures of one unit: the households h[0..n) of its design (its own, and when counties
 * were sampled above a county those of its provinces: the strata are provinces), of which
 * those with level key `key` are the unit's, and its counties c[0..nc). Every rate is a domain
 * of that design: a household outside the unit or the rate's population keeps its PSU and
 * stratum with weight 0 (core.c). */
static void estimate_unit(const struct plan *p, const char *level, int key, const struct hrec *h,
                          size_t n, const struct crec *c, size_t nc, struct unit_est *u)
{
    struct obs *oe = mem_alloc((n + 1) * sizeof *oe), *om = mem_alloc((n + 1) * sizeof *om);
    struct obs *oa = mem_alloc((n + 1) * sizeof *oa);
    double *ze = mem_alloc((n + 1) * sizeof *ze), *zm = mem_alloc((n + 1) * sizeof *zm);
    size_t ne = 0, nm = 0, na = 0;
    int upper = strcmp(level, "county") != 0, sampled = p->county_sample && upper;
    if (!oe || !om || !oa || !ze || !zm) goto out;
    /* registry totals of the unit */
    for (size_t i = 0; i < nc; i++) {
        double w = sampled ? 1.0 / c[i].pi : 1.0;
        u->R += w * c[i].R;
        u->U += w * c[i].U;
        u->E += w * c[i].E;
        u->G += w * c[i].G;
        u->selected += c[i].selected;
        u->out_of_scope += c[i].out_of_scope;
        u->reached += c[i].reached;
        u->replaced += c[i].replaced;
        u->villages += c[i].villages;
    }
    u->counties = (int)nc;
    u->response = u->selected - u->out_of_scope > 0
                      ? (double)u->reached / (double)(u->selected - u->out_of_scope)
                      : 0;
    for (size_t i = 0; i < n; i++) {
        const struct hrec *r = &h[i];
        int mine = level_key(level, r->county) == key;
        struct obs o;
        /* first-stage units and strata of the level (DESIGN §7: where counties were sampled
         * they are the PSUs within provinces; a county taken with certainty, π = 1, is its own
         * strata — county × village stratum — with its villages as PSUs) */
        if (sampled && r->pi_c < 1) {
            o.stratum = r->province;
            o.psu = r->county;
        } else {
            o.stratum = upper ? r->county * 64 + r->vstratum : r->vstratum;
            o.psu = (int)(r->village % 1000000000);
        }
        o.w = hrec_weight(r, sampled);
        o.y = o.x = 0;
        oe[ne] = om[nm] = oa[na] = o;
        /* outside the rate's population (or the unit): weight 0, still in its village (the
         * domain design); the pair itself is the one definition shared with score.c */
        if (!(mine && hrec_person_pair(r, r->wrong_exit, &oe[ne].y, &oe[ne].x))) oe[ne].w = 0;
        if (!(mine && hrec_person_pair(r, r->missed, &om[nm].y, &om[nm].x))) om[nm].w = 0;
        if (mine && r->approval >= 0) {
            oa[na].y = r->approval;
            oa[na].x = 1;
        } else {
            oa[na].w = 0;
        }
        ne++, nm++, na++;
    }
    ratio_estimate(oe, ne, &u->ind[IND_WRONG_EXIT], ze);
    ratio_estimate(om, nm, &u->ind[IND_MISSED], zm);
    ratio_estimate(oa, na, &u->ind[IND_APPROVAL], NULL);
    for (int k = 0; k < IND_COUNT; k++) {
        struct est *x = &u->ind[k];
        if (k == IND_INCIDENCE || !x->valid) continue;
        kg_interval(x->estimate, x->se * x->se, x->n, x->df, 0.05, &x->lower, &x->upper,
                    &x->n_eff);
    }
    incidence_estimate(oe, ze, ne, &u->ind[IND_WRONG_EXIT], om, zm, nm, &u->ind[IND_MISSED], u->U,
                       u->E, u->G, u->R, &u->ind[IND_INCIDENCE]);
    for (int k = 0; k < IND_COUNT; k++)
        verdict_of(&u->ind[k], plan_threshold_for(p, indicator_code((enum indicator)k), u->region),
                   &u->v[k]);
out:
    mem_free(oe);
    mem_free(om);
    mem_free(oa);
    mem_free(ze);
    mem_free(zm);
}

int estimate_sample(struct store *s, const char *sample, const char *level,
                    struct estimates *x, struct error *e)
{
    struct plan p;
    int64_t srow;
    struct hrec *h = NULL;
    struct crec *c = NULL;
    size_t nh = 0, nc = 0;
    struct names strata = {0};
    int rc;
    memset(x, 0, sizeof *x);
    if (strcmp(level, "county") && strcmp(level, "city") && strcmp(level, "province"))
        return error_set(e, ERR_USAGE, "--level is county, city or province, not %s", level);
    rc = sample_plan(s, sample, &p, NULL, 0, &srow, e);
    if (rc) return rc;
    snprintf(x->sample, sizeof x->sample, "%s", sample);
    snprintf(x->plan_id, sizeof x->plan_id, "%s", p.id);
    snprintf(x->level, sizeof x->level, "%s", level);
    x->year = p.year;
    x->line = p.line;
    x->scored = p.scored;
    x->ranked = p.ranked;
    rc = est_load_households(s, srow, &h, &nh, &strata, e);
    if (!rc) rc = est_load_counties(s, srow, &p, &c, &nc, e);
    if (!rc) rc = est_load_collapses(s, srow, &x->collapses, &x->ncollapses, e);
    if (rc) goto out;
    x->u = mem_calloc(nc + 1, sizeof *x->u);
    if (!x->u) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    /* units of the level, in code order (counties are sorted) */
    for (size_t i = 0; i < nc;) {
        int key = level_key(level, c[i].code);
        size_t j = i, h0 = 0, h1;
        struct unit_est *u = &x->u[x->n++];
        unsigned cats, gflags;
        int gall;
        while (j < nc && level_key(level, c[j].code) == key) j++;
        while (h0 < nh && level_key(level, h[h0].county) != key) h0++;
        for (h1 = h0; h1 < nh && level_key(level, h[h1].county) == key; h1++) {}
        u->code = key;
        if (!strcmp(level, "county")) snprintf(u->name, sizeof u->name, "%s", c[i].name);
        else if (!strcmp(level, "province"))
            snprintf(u->name, sizeof u->name, "%s", province_name(key) ? province_name(key) : "");
        snprintf(u->region, sizeof u->region, "%s", c[i].region);
        covered(&p, &cats, &gflags, &gall);
        u->incidence_assumes = !gall && gflags;
        if (p.county_sample && strcmp(level, "county")) {
            /* counties sampled: the strata are provinces, so the unit's design is that of its
             * province (a city is a domain of it) */
            int prov = h0 < nh ? h[h0].province : 0;
            while (h0 > 0 && h[h0 - 1].province == prov) h0--;
            while (h1 < nh && h[h1].province == prov) h1++;
        }
        estimate_unit(&p, level, key, h + h0, h1 - h0, c + i, j - i, u);
        if (!strcmp(level, "county"))
            for (int k = 0; k < IND_COUNT; k++) {
                u->has_reported[k] = c[i].has_reported[k];
                u->reported[k] = c[i].reported[k];
                u->reported_outside[k] = u->has_reported[k] && u->ind[k].valid &&
                                         (u->reported[k] < u->ind[k].lower ||
                                          u->reported[k] > u->ind[k].upper);
            }
        i = j;
    }
out:
    mem_free(h);
    mem_free(c);
    mem_free(strata.s);
    plan_release(&p);
    if (rc) estimates_release(x);
    return rc;
}

void estimates_release(struct estimates *x)
{
    mem_free(x->u);
    mem_free(x->collapses);
    x->u = NULL;
    x->collapses = NULL;
    x->n = x->ncollapses = 0;
}

/* Whether collapse c belongs to unit code of level. */
static int collapse_in(const struct estimates *x, const struct cell_collapse *c, int code)
{
    return level_key(x->level, c->county) == code;
}

static const char *within_en(int w)
{
    return w == 1 ? "same village stratum" : w == 2 ? "same county" : "lost";
}

static const char *within_zh(int w)
{
    return w == 1 ? "同村层" : w == 2 ? "同县" : "无可合并的格，份额丢失";
}

static void pct(char *buf, size_t size, const struct est *x)
{
    if (!x->valid) snprintf(buf, size, "—");
    else if (!isfinite(x->lower)) snprintf(buf, size, "%5.2f%% [no interval: df 0]", 100 * x->estimate);
    else snprintf(buf, size, "%5.2f%% [%5.2f, %5.2f]", 100 * x->estimate, 100 * x->lower,
                  100 * x->upper);
}

void estimates_print(const struct estimates *x, int json, FILE *f)
{
    if (json) {
        json_t *root = json_object(), *units = json_array();
        json_object_set_new(root, "sample", json_string(x->sample));
        json_object_set_new(root, "plan", json_string(x->plan_id));
        json_object_set_new(root, "level", json_string(x->level));
        json_object_set_new(root, "scored", json_boolean(x->scored));
        for (size_t i = 0; i < x->n; i++) {
            const struct unit_est *u = &x->u[i];
            json_t *o = json_pack("{s:i, s:s, s:s, s:i, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:f}",
                                  "code", u->code, "name", u->name, "region", u->region,
                                  "counties", u->counties, "R", u->R, "U", u->U, "E", u->E, "G",
                                  u->G, "selected", (json_int_t)u->selected, "reached",
                                  (json_int_t)u->reached, "replaced", (json_int_t)u->replaced,
                                  "response", u->response);
            for (int k = 0; k < IND_COUNT; k++) {
                const struct est *t = &u->ind[k];
                const struct verdict *v = &u->v[k];
                json_t *ind = json_pack("{s:b}", "valid", t->valid);
                if (t->valid) {
                    json_object_set_new(ind, "estimate", json_real(t->estimate));
                    json_object_set_new(ind, "se", isfinite(t->se) ? json_real(t->se) : json_null());
                    json_object_set_new(ind, "lower", isfinite(t->lower) ? json_real(t->lower)
                                                                         : json_null());
                    json_object_set_new(ind, "upper", isfinite(t->upper) ? json_real(t->upper)
                                                                         : json_null());
                    json_object_set_new(ind, "deff", isfinite(t->deff) ? json_real(t->deff)
                                                                       : json_null());
                    json_object_set_new(ind, "n_eff", json_real(t->n_eff));
                    json_object_set_new(ind, "df", json_integer(t->df));
                    json_object_set_new(ind, "households", json_integer(t->n));
                    json_object_set_new(ind, "persons", json_real(t->persons));
                    json_object_set_new(ind, "psus", json_integer(t->psus));
                    json_object_set_new(ind, "strata", json_integer(t->strata));
                    json_object_set_new(ind, "single_psu_strata", json_integer(t->lonely));
                    json_object_set_new(ind, "interval", json_boolean(isfinite(t->lower)));
                }
                if (v->applicable) {
                    json_object_set_new(ind, "threshold",
                                        json_pack("{s:s, s:f, s:s}", "op", plan_op_text(v->op),
                                                  "value", v->threshold, "words", v->words));
                    json_object_set_new(ind, "official", json_boolean(v->official));
                    json_object_set_new(ind, "interval_verdict",
                                        json_string(interval_verdict_en(v->interval)));
                }
                if (u->has_reported[k]) {
                    json_object_set_new(ind, "reported", json_real(u->reported[k]));
                    json_object_set_new(ind, "reported_outside_interval",
                                        json_boolean(u->reported_outside[k]));
                }
                json_object_set_new(o, indicator_code((enum indicator)k), ind);
            }
            {
                json_t *cc = json_array();
                for (size_t k = 0; k < x->ncollapses; k++) {
                    const struct cell_collapse *c = &x->collapses[k];
                    if (!collapse_in(x, c, u->code)) continue;
                    json_array_append_new(
                        cc, json_pack("{s:i, s:I, s:s, s:s, s:I, s:I, s:o, s:s}", "county",
                                      c->county, "village", (json_int_t)c->village, "quota",
                                      c->quota, "village_stratum", c->vstratum, "selected",
                                      (json_int_t)c->selected, "out_of_scope",
                                      (json_int_t)c->out_of_scope, "into",
                                      c->into ? json_integer(c->into) : json_null(), "within",
                                      c->within == 1   ? "village_stratum"
                                      : c->within == 2 ? "county"
                                                       : "lost"));
                }
                json_object_set_new(o, "out_of_scope", json_integer(u->out_of_scope));
                json_object_set_new(o, "collapsed_cells", cc);
            }
            json_array_append_new(units, o);
        }
        json_object_set_new(root, "units", units);
        json_dumpf(root, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        fputc('\n', f);
        json_decref(root);
        return;
    }
    fprintf(f, "indicators of sample %s (plan %s, %d, line %.0f yuan), level %s\n"
               "95%% intervals: Korn–Graubard; verdict: official (point estimate) / interval\n\n",
            x->sample, x->plan_id, x->year, x->line, x->level);
    for (size_t i = 0; i < x->n; i++) {
        const struct unit_est *u = &x->u[i];
        fprintf(f, "%d %s  (response %.1f%%: %lld of %lld in scope reached, %lld replaced", u->code,
                u->name, 100 * u->response, (long long)u->reached,
                (long long)(u->selected - u->out_of_scope), (long long)u->replaced);
        if (u->out_of_scope)
            fprintf(f, "; %lld out of scope 不在调查范围 (dead / no such household)",
                    (long long)u->out_of_scope);
        fprintf(f, ")\n");
        for (int k = 0; k < IND_COUNT; k++) {
            const struct est *t = &u->ind[k];
            const struct verdict *v = &u->v[k];
            char b[80];
            pct(b, sizeof b, t);
            fprintf(f, "  %-14s %-30s", indicator_zh((enum indicator)k), b);
            if (t->valid) {
                if (isfinite(t->se)) fprintf(f, " se %.4f", t->se);
                else fprintf(f, " se —");
                if (isfinite(t->deff)) fprintf(f, " deff %.2f", t->deff);
                else if (k != IND_INCIDENCE) fprintf(f, " deff —"); /* df 0: none */
                fprintf(f, " n %lld", (long long)t->n);
            }
            if (v->applicable && t->valid)
                fprintf(f, "  %s %.0f%%: %s / %s", plan_op_text(v->op), 100 * v->threshold,
                        v->official ? "达标" : "未达标",
                        v->interval != IV_NONE ? interval_verdict_zh(v->interval)
                                               : "无区间，不作区间判定 no interval (df 0)");
            if (u->has_reported[k])
                fprintf(f, "  reported %.2f%%%s", 100 * u->reported[k],
                        u->reported_outside[k] ? " OUTSIDE the interval" : "");
            if (t->valid && t->lonely)
                fprintf(f, "  [单一初级单位层 %d single-PSU stratum%s]", t->lonely,
                        t->lonely > 1 ? "s" : "");
            fputc('\n', f);
        }
        {
            int lonely = 0;
            for (int k = 0; k < IND_COUNT; k++) lonely |= u->ind[k].valid && u->ind[k].lonely;
            if (lonely)
                fprintf(f, "  (单一初级单位层: a stratum with one sampled first-stage unit has no "
                           "variance of its own; it is centred at the mean of all units, R's "
                           "lonely.psu = \"adjust\" — its interval rests on that assumption)\n");
        }
        for (size_t k = 0; k < x->ncollapses; k++) {
            const struct cell_collapse *c = &x->collapses[k];
            if (!collapse_in(x, c, u->code)) continue;
            if (c->within > 0)
                fprintf(f, "  quota cell collapsed 无完成问卷的格已合并: village %lld %s (%lld "
                           "selected, %lld out of scope) into village %lld (%s %s)\n",
                        (long long)c->village, c->quota, (long long)c->selected,
                        (long long)c->out_of_scope, (long long)c->into, within_zh(c->within),
                        within_en(c->within));
            else
                fprintf(f, "  quota cell LOST 无完成问卷的格无法合并: village %lld %s (%lld "
                           "selected): no cell of that stratum in the county has a complete "
                           "questionnaire; its share is missing from the estimates\n",
                        (long long)c->village, c->quota, (long long)c->selected);
        }
        if (u->incidence_assumes)
            fprintf(f, "  (the incidence assumes general households of kinds the plan does not "
                       "sample are not poor)\n");
    }
    if (!x->scored) fprintf(f, "\n不打分、不排队: results are pass/fail against the standards, "
                               "not scored and not ranked.\n");
}
