/*
 * power.c — before fieldwork: can this plan decide? (estimate.h plan_power, DESIGN §7).
 *
 * The plan is drawn POWER_DRAWS times on the registry (in memory: nothing is stored) to obtain
 * its structure — per county the sampled villages with their strata and π, and the households
 * of each indicator's denominator with their π and persons. The counties are those of the
 * first draw (seed power|1); each county is drawn again with seeds power|2 … power|10 (the
 * plan restricted to it: every stage below the county has its own tickets, so this is the
 * county's part of the whole plan's draw with that seed). A plan's structure varies from draw
 * to draw (a village-group census adds a whole group's households, 49 in one draw and 231 in
 * another), so the figures are averaged over the draws as well as over the outcomes, as the
 * simulation study (bench/estimation.sh) does. Then, per county and indicator, outcomes are
 * simulated `reps` times at two true rates — replicate r on draw r mod 10 — and estimated
 * exactly as `pinggu indicators` will (weighted ratio, linearised variance over villages,
 * Korn–Graubard):
 *   at p = threshold: the expected half-width of the 95% interval;
 *   at p = the "clearly better" rate — half the threshold for a rate that must stay below it
 *     (wrong exit, missed), half the shortfall for a rate that must reach it (approval 90% →
 *     95%): the power = the share of replicates whose interval lies wholly on the right side
 *     of the threshold ("clearly within").
 * A county where that power is below 80% cannot be told apart from one at the threshold.
 * And the other side: the least-favourable true rate on a grid (1.5, 2, 2.5 … 25 times the
 * threshold; for approval 95% … 50% of it) that the plan calls clearly outside in 80% of
 * samples — "a county would have to be at 15% before this plan flags it".
 *
 * sample_power does the same for a stored sample (the report's "what this sample can decide"):
 * its recorded selections and π, the one draw that was made (nothing to average over).
 *
 * Outcomes are clustered: each village draws its own rate from a Beta distribution with
 * mean p and intra-class correlation icc (beta-binomial), then each household its outcome
 * (persons-weighted rates count the household's persons). Deterministic for the plan.
 */
#include "estimate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Uniform in (0, 1): never 0, for the logarithms below. */
static double unif(struct rng *r)
{
    return ((double)(rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

/* Gamma(shape, 1) by Marsaglia–Tsang (shape < 1 boosted). */
static double gamma_draw(struct rng *r, double shape)
{
    double d, c, x, v, u;
    if (shape < 1) return gamma_draw(r, shape + 1) * pow(unif(r), 1 / shape);
    d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        do {
            double u1 = unif(r), u2 = unif(r);
            x = sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
            v = 1 + c * x;
        } while (v <= 0);
        v = v * v * v;
        u = unif(r);
        if (u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)))
            return d * v;
    }
}

static double beta_draw(struct rng *r, double a, double b)
{
    double x = gamma_draw(r, a), y = gamma_draw(r, b);
    return x / (x + y);
}

/* A household of an indicator's denominator in the drawn sample. */
struct ph {
    int stratum, psu;
    double w, persons;
};

static void simulate(const struct ph *h, size_t n, double p, double icc, int person_rate,
                     struct rng *rng, struct obs *o, double *village_p, int nvill, struct est *x)
{
    double a = p * (1 - icc) / icc, b = (1 - p) * (1 - icc) / icc;
    for (int v = 0; v < nvill; v++) village_p[v] = icc > 0 && p > 0 && p < 1 ? beta_draw(rng, a, b) : p;
    for (size_t i = 0; i < n; i++) {
        int y = unif(rng) < village_p[h[i].psu];
        o[i].stratum = h[i].stratum;
        o[i].psu = h[i].psu;
        o[i].w = h[i].w;
        o[i].x = person_rate ? h[i].persons : 1;
        o[i].y = y * o[i].x;
    }
    ratio_estimate(o, n, x, NULL);
    if (x->valid)
        kg_interval(x->estimate, isfinite(x->se) ? x->se * x->se : NAN, x->n, x->df, 0.05,
                    &x->lower, &x->upper, &x->n_eff);
}

static int cmp_row(const void *a, const void *b)
{
    const struct power_row *x = a, *y = b;
    if (x->county != y->county) return x->county < y->county ? -1 : 1;
    return (x->ind > y->ind) - (x->ind < y->ind);
}

/* A village of the county being simulated, and a household with its place in the draw. */
struct pvill {
    int64_t code;
    int stratum;
    double pi;
};
struct pord {
    struct ph h;
    size_t at; /* position in the draw: households keep their order within a village */
    int kind;  /* bit 0 exited, bit 1 general */
};

static int cmp_pord(const void *a, const void *b)
{
    const struct pord *x = a, *y = b;
    if (x->h.psu != y->h.psu) return x->h.psu < y->h.psu ? -1 : 1;
    return (x->at > y->at) - (x->at < y->at);
}

/* Households' persons: from the frame of a fresh draw, or from the registry for a stored one. */
typedef double (*persons_fn)(void *ctx, const struct sel *u);

struct rows {
    struct power_row *r;
    size_t n, cap;
};

/* The households of one county in one draw, per indicator (0 wrong exit: exited; 1 missed:
 * general; 2 approval: both), in village order then draw order; nvill villages. Caller frees
 * h[0..3) (NULL on error). */
static int gather_county(const struct draw *d, int county, persons_fn persons, void *pctx,
                         struct ph *h[3], size_t nh[3], int *nvill_out, struct error *e)
{
    char names[64][32];
    int nnames = 0, nvill = 0, rc = 0;
    struct pvill *vill = mem_alloc((d->nsels + 1) * sizeof *vill);
    struct pord *hs = mem_alloc((d->nsels + 1) * sizeof *hs);
    size_t nhs = 0;
    for (int k = 0; k < 3; k++) h[k] = mem_alloc((d->nsels + 1) * sizeof *h[k]), nh[k] = 0;
    if (!h[0] || !h[1] || !h[2] || !vill || !hs) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    /* villages of the county: their strata and π */
    for (size_t i = 0; i < d->nsels; i++) {
        const struct sel *v = &d->sels[i];
        int si = -1;
        if (strcmp(v->stage, "village") || v->county != county) continue;
        for (int k = 0; k < nnames; k++)
            if (!strcmp(names[k], v->stratum)) si = k;
        if (si < 0 && nnames < 64) {
            snprintf(names[nnames], sizeof names[0], "%s", v->stratum);
            si = nnames++;
        }
        vill[nvill].code = v->village;
        vill[nvill].stratum = si < 0 ? 0 : si;
        vill[nvill].pi = v->pi;
        nvill++;
    }
    /* their households, in one pass over the draw */
    for (size_t j = 0; j < d->nsels; j++) {
        const struct sel *u = &d->sels[j];
        int cat, kind, vi;
        if (strcmp(u->stage, "household") || u->reserve || u->county != county) continue;
        for (vi = 0; vi < nvill && vill[vi].code != u->village; vi++) {}
        if (vi == nvill) continue;
        cat = category_parse(u->category);
        kind = (cat == CAT_EXITED_CURRENT || cat == CAT_EXITED_EARLIER ||
                cat == CAT_EXITED_OTHER) |
               (cat == CAT_GENERAL) << 1;
        if (!kind) continue;
        hs[nhs].h.stratum = vill[vi].stratum;
        hs[nhs].h.psu = vi;
        hs[nhs].h.w = 1.0 / (vill[vi].pi * u->pi);
        hs[nhs].h.persons = persons(pctx, u);
        hs[nhs].at = j;
        hs[nhs].kind = kind;
        nhs++;
    }
    qsort(hs, nhs, sizeof *hs, cmp_pord); /* village order, then draw order */
    for (size_t j = 0; j < nhs; j++) {
        if (hs[j].kind & 1) h[0][nh[0]++] = hs[j].h;
        if (hs[j].kind & 2) h[1][nh[1]++] = hs[j].h;
        h[2][nh[2]++] = hs[j].h;
    }
    *nvill_out = nvill;
out:
    mem_free(vill);
    mem_free(hs);
    if (rc)
        for (int k = 0; k < 3; k++) mem_free(h[k]), h[k] = NULL;
    return rc;
}

/* One county's structure in nd draws: per draw and indicator its households. */
struct pdraws {
    int nd;
    struct ph *h[POWER_DRAWS][3];
    size_t nh[POWER_DRAWS][3];
    int nvill[POWER_DRAWS];
};

static void pdraws_free(struct pdraws *x)
{
    for (int i = 0; i < x->nd; i++)
        for (int k = 0; k < 3; k++) mem_free(x->h[i][k]);
    x->nd = 0;
}

/* Simulates one county (its structure in x->nd draws) for each indicator: replicate r uses
 * draw r mod (the draws with households in the indicator's denominator), so every figure is
 * averaged over the draw as well as over the outcomes. */
static int power_county(const struct plan *p, const struct pdraws *x, int county,
                        const char *cname, const char *region, int reps, double icc,
                        struct rows *out, struct error *e)
{
    int rc = 0, maxvill = 0;
    for (int i = 0; i < x->nd; i++)
        if (x->nvill[i] > maxvill) maxvill = x->nvill[i];
    for (int k = 0; k < 3; k++) {
        static const enum indicator ind[3] = {IND_WRONG_EXIT, IND_MISSED, IND_APPROVAL};
        const struct plan_threshold *t = plan_threshold_for(p, indicator_code(ind[k]), region);
        struct obs *o;
        double *vp, hw = 0, better, det = NAN, nsum = 0;
        int good = 0, counted = 0, use[POWER_DRAWS], nuse = 0;
        size_t maxn = 0;
        struct rng rng = {(uint64_t)county * 1000003u + (uint64_t)k};
        struct power_row *r;
        int lower_is_better;
        if (!t) continue;
        for (int i = 0; i < x->nd; i++)
            if (x->nh[i][k]) {
                use[nuse++] = i;
                nsum += (double)x->nh[i][k];
                if (x->nh[i][k] > maxn) maxn = x->nh[i][k];
            }
        if (!nuse) continue;
        lower_is_better = t->op == PLAN_LT || t->op == PLAN_LE;
        o = mem_alloc(maxn * sizeof *o);
        vp = mem_alloc((size_t)(maxvill + 1) * sizeof *vp);
        if (!o || !vp) {
            mem_free(o);
            mem_free(vp);
            rc = error_set(e, ERR_NOMEM, "out of memory");
            break;
        }
        better = lower_is_better ? t->value / 2 : 1 - (1 - t->value) / 2;
        for (int rep = 0; rep < reps; rep++) {
            int di = use[rep % nuse];
            const struct ph *hh = x->h[di][k];
            size_t n = x->nh[di][k];
            struct est est;
            simulate(hh, n, t->value, icc, k < 2, &rng, o, vp, x->nvill[di], &est);
            if (est.valid && isfinite(est.lower)) hw += (est.upper - est.lower) / 2, counted++;
            simulate(hh, n, better, icc, k < 2, &rng, o, vp, x->nvill[di], &est);
            if (est.valid && isfinite(est.lower) && plan_op_holds(t->op, est.lower, t->value) &&
                plan_op_holds(t->op, est.upper, t->value))
                good++;
        }
        /* the other side: how bad must a county be to be called clearly outside? A rate that
         * must stay below its threshold: 1.5 … 25 times it (up to 50%); approval: 95% … 50% of
         * its threshold */
        {
            static const double up[] = {1.5, 2, 2.5, 3, 4, 5, 7.5, 10, 15, 20, 25};
            static const double down[] = {0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5};
            int ng = lower_is_better ? (int)(sizeof up / sizeof up[0])
                                     : (int)(sizeof down / sizeof down[0]);
            for (int g = 0; g < ng && isnan(det); g++) {
                double pt = lower_is_better ? t->value * up[g] : t->value * down[g];
                int flagged = 0, rr = reps < 200 ? reps : 200;
                if (pt > 0.5 && lower_is_better) break;
                for (int rep = 0; rep < rr; rep++) {
                    int di = use[rep % nuse];
                    struct est est;
                    simulate(x->h[di][k], x->nh[di][k], pt, icc, k < 2, &rng, o, vp,
                             x->nvill[di], &est);
                    if (est.valid && isfinite(est.lower) &&
                        !plan_op_holds(t->op, est.lower, t->value) &&
                        !plan_op_holds(t->op, est.upper, t->value))
                        flagged++;
                }
                if (flagged >= 0.8 * rr) det = pt;
            }
        }
        mem_free(o);
        mem_free(vp);
        if (out->n == out->cap) {
            size_t c2 = out->cap ? out->cap * 2 : 32;
            struct power_row *q = mem_realloc(out->r, c2 * sizeof *q);
            if (!q) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            out->r = q, out->cap = c2;
        }
        r = &out->r[out->n++];
        memset(r, 0, sizeof *r);
        r->county = county;
        snprintf(r->name, sizeof r->name, "%s", cname);
        r->ind = ind[k];
        r->threshold = t->value;
        r->draws = x->nd;
        r->mean_n = nsum / x->nd; /* a draw without such households counts 0 */
        r->expected_n = (int64_t)floor(r->mean_n + 0.5);
        r->half_width = counted ? hw / counted : NAN;
        r->power = (double)good / reps;
        r->decides = r->power >= 0.8;
        r->detectable = det;
    }
    return rc;
}

/* Further draws of one county for plan_power (NULL for a stored sample): fills x->h[1..]. */
typedef int (*more_fn)(void *ctx, int county, struct pdraws *x, struct error *e);

/* Every county of draw d (with more's further draws of it); rows sorted by county and
 * indicator. */
static int power_draw(struct store *s, const struct plan *p, const struct draw *d,
                      persons_fn persons, void *pctx, more_fn more, void *mctx, int reps,
                      double icc, struct power_row **rows, size_t *nrows, struct error *e)
{
    struct rows out = {0};
    struct stmt *st = NULL;
    int rc = store_prepare(s, "SELECT name, region FROM counties WHERE code = ?", &st, e);
    if (reps < 10) reps = 10;
    for (size_t ci = 0; !rc && ci < d->nsels; ci++) {
        const struct sel *cs = &d->sels[ci];
        char cname[64] = "", region[16] = "";
        struct pdraws x;
        if (strcmp(cs->stage, "county")) continue;
        stmt_reset(st);
        stmt_bind_int(st, 1, cs->county);
        if (stmt_step(st, NULL) == STORE_ROW) {
            snprintf(cname, sizeof cname, "%s", stmt_text(st, 0));
            snprintf(region, sizeof region, "%s", stmt_text(st, 1));
        }
        memset(&x, 0, sizeof x);
        rc = gather_county(d, cs->county, persons, pctx, x.h[0], x.nh[0], &x.nvill[0], e);
        if (rc) break;
        x.nd = 1;
        if (more) rc = more(mctx, cs->county, &x, e);
        if (!rc) rc = power_county(p, &x, cs->county, cname, region, reps, icc, &out, e);
        pdraws_free(&x);
    }
    stmt_finalize(st);
    if (rc) {
        mem_free(out.r);
        return rc;
    }
    if (out.n) qsort(out.r, out.n, sizeof *out.r, cmp_row);
    *rows = out.r;
    *nrows = out.n;
    return 0;
}

/* Households' persons from a registry provider, one village's households held at a time (the
 * draw lists a village's households together). */
struct pcache {
    const struct frame_source *src;
    int64_t village;
    struct frame_household *fh; /* owned */
    size_t n;
    int loaded;
};

static double frame_persons(void *ctx, const struct sel *u)
{
    struct pcache *c = ctx;
    if (!c->loaded || c->village != u->village) {
        const struct frame_household *fh;
        size_t nfh;
        struct frame_household *copy;
        c->loaded = 0;
        if (c->src->households(c->src->ctx, u->village, &fh, &nfh, NULL)) return 3;
        copy = mem_realloc(c->fh, (nfh ? nfh : 1) * sizeof *copy);
        if (!copy) return 3;
        memcpy(copy, fh, nfh * sizeof *copy);
        c->fh = copy, c->n = nfh, c->village = u->village, c->loaded = 1;
    }
    for (size_t q = 0; q < c->n; q++)
        if (!strcmp(c->fh[q].id, u->code)) return c->fh[q].persons;
    return 3;
}

/* plan_power's further draws of a county: the plan restricted to that county (every eligible
 * county's villages and households are drawn with their own tickets, so the county's draw is
 * the same as in a draw of the whole plan with that seed), seeds power|2 … power|D. */
struct more_ctx {
    struct store *s;
    struct plan one; /* shallow copy of the plan: never released */
};

static int more_draws(void *ctx, int county, struct pdraws *x, struct error *e)
{
    struct more_ctx *m = ctx;
    int rc = 0;
    m->one.county = county;
    for (int k = 2; k <= POWER_DRAWS && !rc; k++) {
        struct frame_registry *reg = NULL;
        struct frame_source src;
        struct pcache pc = {0};
        struct draw d;
        char seed[32];
        snprintf(seed, sizeof seed, "power|%d", k);
        rc = frame_registry_new(m->s, &m->one, &reg, e);
        if (rc) break;
        frame_registry_source(reg, &src);
        pc.src = &src;
        draw_init(&d);
        rc = sample_draw(&m->one, seed, &src, 0, &d, e);
        if (!rc)
            rc = gather_county(&d, county, frame_persons, &pc, x->h[x->nd], x->nh[x->nd],
                               &x->nvill[x->nd], e);
        if (!rc) x->nd++;
        draw_release(&d);
        mem_free(pc.fh);
        frame_registry_free(reg);
    }
    return rc;
}

int plan_power(struct store *s, const struct plan *p, int reps, double icc,
               struct power_row **rows, size_t *nrows, struct error *e)
{
    struct frame_registry *reg = NULL;
    struct frame_source src;
    struct pcache pc = {0};
    struct more_ctx m;
    struct draw d;
    int rc;
    draw_init(&d);
    *rows = NULL;
    *nrows = 0;
    rc = frame_registry_new(s, p, &reg, e);
    if (rc) return rc;
    frame_registry_source(reg, &src);
    pc.src = &src;
    m.s = s;
    m.one = *p;
    m.one.county_sample = 0; /* the county is given: draw it */
    m.one.covert_max = 0;
    m.one.projects_per_county = m.one.projects_per_village = m.one.paired_projects = 0;
    rc = sample_draw(p, "power|1", &src, 0, &d, e);
    if (!rc)
        rc = power_draw(s, p, &d, frame_persons, &pc, more_draws, &m, reps, icc, rows, nrows, e);
    draw_release(&d);
    mem_free(pc.fh);
    frame_registry_free(reg);
    return rc;
}

/* A stored sample's selections are read back as the draw that made them (the fields power
 * reads); each household's persons come from the registry. */
static double stored_persons(void *ctx, const struct sel *u)
{
    const double *pers = ctx;
    return pers[u->rank]; /* rank holds the index into pers (set by sample_power) */
}

int sample_power(struct store *s, const char *sample, int reps, double icc,
                 struct power_row **rows, size_t *nrows, struct error *e)
{
    struct plan p;
    int64_t srow;
    struct draw d;
    struct stmt *st = NULL;
    double *pers = NULL;
    size_t cap = 0;
    int rc;
    draw_init(&d);
    *rows = NULL;
    *nrows = 0;
    rc = sample_plan(s, sample, &p, NULL, 0, &srow, e);
    if (rc) return rc;
    rc = store_prepare(s,
                       "SELECT u.stage, u.stratum, u.county, u.village, u.code, u.reserve, u.pi,"
                       " u.category, (SELECT count(*) FROM households h JOIN members m ON"
                       " m.household = h.row_no WHERE u.stage = 'household' AND"
                       " h.household_id = u.code)"
                       " FROM sample_units u WHERE u.sample = ? AND u.stage IN"
                       " ('county', 'village', 'household') ORDER BY u.row_no",
                       &st, e);
    if (rc) goto out;
    stmt_bind_int(st, 1, srow);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct sel *x;
        if (d.nsels == d.capsels) {
            size_t c2 = d.capsels ? d.capsels * 2 : 256;
            void *q = mem_realloc(d.sels, c2 * sizeof *d.sels);
            if (!q) break;
            d.sels = q, d.capsels = c2;
        }
        if (d.nsels == cap) {
            size_t c2 = cap ? cap * 2 : 256;
            void *q = mem_realloc(pers, c2 * sizeof *pers);
            if (!q) break;
            pers = q, cap = c2;
        }
        x = &d.sels[d.nsels];
        memset(x, 0, sizeof *x);
        snprintf(x->stage, sizeof x->stage, "%s", stmt_text(st, 0));
        snprintf(x->stratum, sizeof x->stratum, "%s", stmt_text(st, 1));
        x->county = (int)stmt_int(st, 2);
        x->village = stmt_int(st, 3);
        snprintf(x->code, sizeof x->code, "%s", stmt_text(st, 4));
        x->reserve = (int)stmt_int(st, 5);
        x->pi = stmt_double(st, 6);
        snprintf(x->category, sizeof x->category, "%s", stmt_text(st, 7));
        pers[d.nsels] = stmt_int(st, 8) > 0 ? (double)stmt_int(st, 8) : 3;
        x->rank = (int)d.nsels;
        d.nsels++;
    }
    if (rc == STORE_ROW) rc = error_set(e, ERR_NOMEM, "out of memory");
    stmt_finalize(st);
    if (rc < 0) goto out;
    rc = power_draw(s, &p, &d, stored_persons, pers, NULL, NULL, reps, icc, rows, nrows, e);
out:
    mem_free(pers);
    draw_release(&d);
    plan_release(&p);
    return rc;
}
