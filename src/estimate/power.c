/*
 * power.c — before fieldwork: can this plan decide? (estimate.h plan_power, DESIGN §7).
 *
 * The plan is drawn once on the registry (in memory: nothing is stored) to obtain its
 * structure — per county the sampled villages with their strata and π, and the households
 * of each indicator's denominator with their π and persons. Then, per county and indicator,
 * outcomes are simulated `reps` times at two true rates and estimated exactly as `pinggu
 * indicators` will (weighted ratio, linearised variance over villages, Korn–Graubard):
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
 * Outcomes are clustered: each village draws its own rate from a Beta distribution with
 * mean p and intra-class correlation icc (beta-binomial), then each household its outcome
 * (persons-weighted rates count the household's persons). Deterministic for the plan.
 */
#include "estimate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct prng {
    uint64_t s;
};

static uint64_t nextu(struct prng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double unif(struct prng *r)
{
    return ((double)(nextu(r) >> 11) + 0.5) / 9007199254740992.0;
}

/* Gamma(shape, 1) by Marsaglia–Tsang (shape < 1 boosted). */
static double gamma_draw(struct prng *r, double shape)
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

static double beta_draw(struct prng *r, double a, double b)
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
                     struct prng *rng, struct obs *o, double *village_p, int nvill, struct est *x)
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

int plan_power(struct store *s, const struct plan *p, int reps, double icc,
               struct power_row **rows, size_t *nrows, struct error *e)
{
    struct frame_registry *reg = NULL;
    struct frame_source src;
    struct draw d;
    struct power_row *out = NULL;
    size_t nout = 0, capout = 0;
    int rc;
    draw_init(&d);
    *rows = NULL;
    *nrows = 0;
    if (reps < 10) reps = 10;
    rc = frame_registry_new(s, p, &reg, e);
    if (rc) return rc;
    frame_registry_source(reg, &src);
    rc = sample_draw(p, "power", &src, 0, &d, e);
    if (rc) goto out;
    for (size_t ci = 0; ci < d.nsels; ci++) {
        const struct sel *cs = &d.sels[ci];
        struct ph *h[3] = {NULL, NULL, NULL};
        size_t nh[3] = {0, 0, 0};
        char names[64][32];
        int nnames = 0, nvill = 0;
        int64_t vcodes[512];
        char cname[64] = "", region[16] = "";
        if (strcmp(cs->stage, "county")) continue;
        {
            const struct frame_county *fc;
            size_t n;
            struct stmt *st;
            if (!src.counties(src.ctx, &fc, &n, e) &&
                !store_prepare(s, "SELECT name, region FROM counties WHERE code = ?", &st, e)) {
                stmt_bind_int(st, 1, cs->county);
                if (stmt_step(st, NULL) == STORE_ROW) {
                    snprintf(cname, sizeof cname, "%s", stmt_text(st, 0));
                    snprintf(region, sizeof region, "%s", stmt_text(st, 1));
                }
                stmt_finalize(st);
            }
        }
        for (int k = 0; k < 3; k++) h[k] = mem_alloc(d.nsels * sizeof *h[k]);
        if (!h[0] || !h[1] || !h[2]) {
            for (int k = 0; k < 3; k++) mem_free(h[k]);
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        /* villages of the county: their strata and π */
        for (size_t i = 0; i < d.nsels; i++) {
            const struct sel *v = &d.sels[i];
            int si = -1;
            if (strcmp(v->stage, "village") || v->county != cs->county || nvill >= 512) continue;
            for (int k = 0; k < nnames; k++)
                if (!strcmp(names[k], v->stratum)) si = k;
            if (si < 0 && nnames < 64) {
                snprintf(names[nnames], sizeof names[0], "%s", v->stratum);
                si = nnames++;
            }
            vcodes[nvill++] = v->village;
            /* its households */
            for (size_t j = 0; j < d.nsels; j++) {
                const struct sel *u = &d.sels[j];
                const struct frame_household *fh;
                size_t nfh;
                struct ph x;
                int exited, general, cat;
                if (strcmp(u->stage, "household") || u->reserve || u->village != v->village)
                    continue;
                cat = category_parse(u->category);
                exited = cat == CAT_EXITED_CURRENT || cat == CAT_EXITED_EARLIER ||
                         cat == CAT_EXITED_OTHER;
                general = cat == CAT_GENERAL;
                x.stratum = si;
                x.psu = nvill - 1;
                x.w = 1.0 / (v->pi * u->pi);
                x.persons = 3;
                if (!src.households(src.ctx, v->village, &fh, &nfh, NULL))
                    for (size_t q = 0; q < nfh; q++)
                        if (!strcmp(fh[q].id, u->code)) x.persons = fh[q].persons;
                if (exited) h[0][nh[0]++] = x;
                if (general) h[1][nh[1]++] = x;
                if (exited || general) h[2][nh[2]++] = x;
            }
        }
        for (int k = 0; k < 3; k++) {
            static const enum indicator ind[3] = {IND_WRONG_EXIT, IND_MISSED, IND_APPROVAL};
            const struct plan_threshold *t =
                plan_threshold_for(p, indicator_code(ind[k]), region);
            struct obs *o;
            double *vp, hw = 0, better, detectable_tmp = NAN;
            int good = 0, counted = 0;
            struct prng rng = {(uint64_t)cs->county * 1000003u + (uint64_t)k};
            struct power_row *r;
            if (!t || !nh[k]) continue;
            o = mem_alloc(nh[k] * sizeof *o);
            vp = mem_alloc((size_t)(nvill + 1) * sizeof *vp);
            if (!o || !vp) {
                mem_free(o);
                mem_free(vp);
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            better = t->op == PLAN_LT || t->op == PLAN_LE ? t->value / 2 : 1 - (1 - t->value) / 2;
            for (int rep = 0; rep < reps; rep++) {
                struct est x;
                simulate(h[k], nh[k], t->value, icc, k < 2, &rng, o, vp, nvill, &x);
                if (x.valid && isfinite(x.lower)) hw += (x.upper - x.lower) / 2, counted++;
                simulate(h[k], nh[k], better, icc, k < 2, &rng, o, vp, nvill, &x);
                if (x.valid && isfinite(x.lower) && plan_op_holds(t->op, x.lower, t->value) &&
                    plan_op_holds(t->op, x.upper, t->value))
                    good++;
            }
            /* the other side: how bad must a county be to be called clearly outside? */
            {
                static const double up[] = {1.5, 2, 2.5, 3, 4, 5, 7.5, 10, 15, 20, 25};
                static const double down[] = {0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5};
                int lower_is_better = t->op == PLAN_LT || t->op == PLAN_LE;
                int ng = lower_is_better ? (int)(sizeof up / sizeof up[0])
                                         : (int)(sizeof down / sizeof down[0]);
                double det = NAN;
                for (int g = 0; g < ng && isnan(det); g++) {
                    double pt = lower_is_better ? t->value * up[g] : 1 - (1 - t->value) / down[g];
                    int flagged = 0, rr = reps < 200 ? reps : 200;
                    if (pt > 0.5 && lower_is_better) break;
                    if (!lower_is_better) pt = t->value * down[g] + (1 - down[g]) * 0;
                    for (int rep = 0; rep < rr; rep++) {
                        struct est x;
                        simulate(h[k], nh[k], pt, icc, k < 2, &rng, o, vp, nvill, &x);
                        if (x.valid && isfinite(x.lower) &&
                            !plan_op_holds(t->op, x.lower, t->value) &&
                            !plan_op_holds(t->op, x.upper, t->value))
                            flagged++;
                    }
                    if (flagged >= 0.8 * rr) det = pt;
                }
                detectable_tmp = det;
            }
            mem_free(o);
            mem_free(vp);
            if (nout == capout) {
                size_t c2 = capout ? capout * 2 : 32;
                struct power_row *q = mem_realloc(out, c2 * sizeof *q);
                if (!q) {
                    rc = error_set(e, ERR_NOMEM, "out of memory");
                    break;
                }
                out = q, capout = c2;
            }
            r = &out[nout++];
            memset(r, 0, sizeof *r);
            r->county = cs->county;
            snprintf(r->name, sizeof r->name, "%s", cname);
            r->ind = ind[k];
            r->threshold = t->value;
            r->expected_n = (int64_t)nh[k];
            r->half_width = counted ? hw / counted : NAN;
            r->power = (double)good / reps;
            r->decides = r->power >= 0.8;
            r->detectable = detectable_tmp;
        }
        for (int k = 0; k < 3; k++) mem_free(h[k]);
        if (rc) goto out;
        (void)vcodes;
    }
    qsort(out, nout, sizeof *out, cmp_row);
    *rows = out;
    *nrows = nout;
    out = NULL;
out:
    mem_free(out);
    draw_release(&d);
    frame_registry_free(reg);
    return rc;
}
