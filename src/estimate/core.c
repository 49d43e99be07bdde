/*
 * core.c — the estimators themselves (estimate.h): ratio of weighted totals, its Taylor-
 * linearised variance over first-stage units within strata, the Korn–Graubard interval, and
 * verdicts against a plan's threshold.
 *
 * Linearisation. For R = Y/X with Y = Σ w y, X = Σ w x, the influence of observation i is
 * z_i = w_i (y_i − R x_i) / X. Summing z over each first-stage unit (PSU) j of stratum h gives
 * z_hj; with n_h PSUs in h, the with-replacement variance is
 *     v = Σ_h n_h/(n_h − 1) Σ_j (z_hj − z̄_h)²,
 * as R's survey package computes it. A stratum with a single PSU contributes (z_hj − z̄)²
 * about the mean of all PSU totals (survey.lonely.psu = "adjust") and is flagged.
 *
 * Domains (DESIGN §7). A rate's observations are every household of the design; those
 * outside the rate's population carry weight 0 (R's convention for a subset that keeps its
 * design: prob = Inf). They contribute z = 0, so a sampled PSU without a household of the
 * population still counts in its stratum's n_h with a total of 0, as svyratio on subset()
 * computes it; strata without any domain observation drop out; df = PSUs − strata counted
 * over the domain's observations, as R's degf() of the subset.
 *
 * Korn–Graubard (svyciprop(method = "beta")): n_eff = p(1 − p)/v · (t_{n−1,α/2}/t_{df,α/2})²,
 * capped at n (households in the denominator), n_eff = n when p = 0 or v = 0; the interval is
 * Clopper–Pearson with x = n_eff·p successes of n_eff trials: [B(α/2; x, n_eff − x + 1),
 * B(1 − α/2; x + 1, n_eff − x)] with B the Beta quantile — never a Wald interval.
 */
#include "estimate.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* GSL's default error handler aborts the process; pinggu checks results instead. */
static pthread_once_t gsl_once = PTHREAD_ONCE_INIT;
static void gsl_quiet(void)
{
    gsl_set_error_handler_off();
}

double t_quantile(double prob, double df)
{
    pthread_once(&gsl_once, gsl_quiet);
    if (df <= 0) df = 1;
    return gsl_cdf_tdist_Pinv(prob, df);
}

/* The p-quantile of Beta(a, b): GSL's inverse, and where it does not converge (extreme
 * shapes), bisection on GSL's distribution function, which always does. */
static double beta_quantile(double p, double a, double b)
{
    double x, lo = 0, hi = 1;
    pthread_once(&gsl_once, gsl_quiet);
    x = gsl_cdf_beta_Pinv(p, a, b);
    if (isfinite(x) && x >= 0 && x <= 1 && fabs(gsl_cdf_beta_P(x, a, b) - p) < 1e-9) return x;
    for (int i = 0; i < 200; i++) {
        double mid = (lo + hi) / 2;
        if (gsl_cdf_beta_P(mid, a, b) < p) lo = mid;
        else hi = mid;
    }
    return (lo + hi) / 2;
}

struct zrow {
    int stratum, psu, in; /* in: the observation is in the rate's domain (w > 0) */
    double z;
};

static int cmp_zrow(const void *a, const void *b)
{
    const struct zrow *x = a, *y = b;
    if (x->stratum != y->stratum) return x->stratum < y->stratum ? -1 : 1;
    return (x->psu > y->psu) - (x->psu < y->psu);
}

double linearised_variance(const struct obs *o, const double *z, size_t n, int *df, int *psus,
                           int *strata, int *lonely)
{
    struct zrow *r = mem_alloc((n ? n : 1) * sizeof *r);
    double *tot, grand = 0, v = 0;
    int *tst, *tin;
    size_t np = 0, ngrand = 0;
    int ns = 0, nin = 0;
    *df = *psus = *strata = *lonely = 0;
    if (!r) return NAN;
    for (size_t i = 0; i < n; i++) r[i] = (struct zrow){o[i].stratum, o[i].psu, o[i].w > 0, z[i]};
    qsort(r, n, sizeof *r, cmp_zrow);
    tot = mem_alloc((n ? n : 1) * sizeof *tot);
    tst = mem_alloc((n ? n : 1) * sizeof *tst);
    tin = mem_alloc((n ? n : 1) * sizeof *tin);
    if (!tot || !tst || !tin) {
        mem_free(r);
        mem_free(tot);
        mem_free(tst);
        mem_free(tin);
        return NAN;
    }
    /* PSU totals (a PSU without a domain observation has total 0) */
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double s = 0;
        int in = 0;
        while (j < n && r[j].stratum == r[i].stratum && r[j].psu == r[i].psu) {
            in |= r[j].in;
            s += r[j++].z;
        }
        tot[np] = s;
        tin[np] = in;
        tst[np++] = r[i].stratum;
        i = j;
    }
    /* the grand mean (lonely strata): over the PSUs of the strata the domain reaches, as
     * survey's onestage recentres (colSums of the domain over their PSU count) */
    for (size_t i = 0; i < np;) {
        size_t j = i;
        int in = 0;
        double s = 0;
        while (j < np && tst[j] == tst[i]) in |= tin[j], s += tot[j++];
        if (in) grand += s, ngrand += j - i;
        i = j;
    }
    if (ngrand) grand /= (double)ngrand;
    /* per stratum: strata without a domain observation are not in the domain's design */
    for (size_t i = 0; i < np;) {
        size_t j = i;
        double mean = 0, ss = 0;
        int in = 0;
        while (j < np && tst[j] == tst[i]) {
            in |= tin[j];
            nin += tin[j];
            mean += tot[j++];
        }
        if (!in) {
            i = j;
            continue;
        }
        mean /= (double)(j - i);
        ns++;
        if (j - i == 1) {
            ss = (tot[i] - grand) * (tot[i] - grand);
            (*lonely)++;
            v += ss;
        } else {
            for (size_t k = i; k < j; k++) ss += (tot[k] - mean) * (tot[k] - mean);
            v += (double)(j - i) / (double)(j - i - 1) * ss;
        }
        i = j;
    }
    /* degrees of freedom as R's degf() of the subset: PSUs and strata with a domain
     * observation */
    *psus = nin;
    *strata = ns;
    *df = nin - ns;
    mem_free(r);
    mem_free(tot);
    mem_free(tst);
    mem_free(tin);
    return v;
}

void ratio_estimate(const struct obs *o, size_t n, struct est *out, double *zvals)
{
    double Y = 0, X = 0, W = 0, R, v, srs = 0;
    double *z = zvals ? zvals : mem_alloc((n ? n : 1) * sizeof *z);
    int64_t nd = 0;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        if (zvals) zvals[i] = 0;
        if (!(o[i].w > 0)) continue; /* in the design, outside the domain */
        Y += o[i].w * o[i].y;
        X += o[i].w * o[i].x;
        W += o[i].w;
        out->persons += o[i].x;
        nd++;
    }
    out->n = nd;
    if (!z || nd == 0 || X <= 0) {
        if (!zvals) mem_free(z);
        return;
    }
    R = Y / X;
    for (size_t i = 0; i < n; i++) {
        double d;
        z[i] = 0;
        if (!(o[i].w > 0)) continue;
        d = o[i].y - R * o[i].x;
        z[i] = o[i].w * d / X;
        srs += o[i].w * d * d;
    }
    v = linearised_variance(o, z, n, &out->df, &out->psus, &out->strata, &out->lonely);
    out->valid = 1;
    out->estimate = R;
    /* one first-stage unit, or one per stratum: the variance cannot be estimated, and
     * neither can a design effect */
    out->se = out->df > 0 ? sqrt(v) : NAN;
    /* SRS with replacement of the domain's nd observations: the same ratio's variance */
    if (out->df > 0 && nd > 1 && W > 0) {
        double xbar = X / W, s2 = srs / W * (double)nd / (double)(nd - 1);
        double vsrs = s2 / ((double)nd * xbar * xbar);
        out->deff = vsrs > 0 ? v / vsrs : NAN;
    } else {
        out->deff = NAN;
    }
    if (!zvals) mem_free(z);
}

void kg_interval(double p, double v, int64_t n, int df, double alpha, double *lower,
                 double *upper, double *n_eff)
{
    double ne, x;
    if (n <= 0 || df <= 0 || !isfinite(v)) { /* no variance, no interval */
        *lower = *upper = NAN;
        *n_eff = 0;
        return;
    }
    if (p <= 0 || v <= 0) {
        ne = (double)n;
    } else {
        double ratio = 1;
        if (df >= 1 && n > 1) {
            double tn = t_quantile(alpha / 2, (double)(n - 1)), td = t_quantile(alpha / 2, df);
            ratio = (tn / td) * (tn / td);
        }
        ne = p * (1 - p) / v * ratio;
        if (ne > (double)n) ne = (double)n;
        if (ne < 1) ne = 1;
    }
    if (p < 0) p = 0;
    if (p > 1) p = 1;
    x = ne * p;
    *lower = x > 0 ? beta_quantile(alpha / 2, x, ne - x + 1) : 0;
    *upper = x < ne ? beta_quantile(1 - alpha / 2, x + 1, ne - x) : 1;
    *n_eff = ne;
}

const char *interval_verdict_zh(enum interval_verdict v)
{
    static const char *t[] = {"", "明确达标", "难以判定", "明确未达标"};
    return t[v];
}

const char *interval_verdict_en(enum interval_verdict v)
{
    static const char *t[] = {"", "clearly within", "too close to call", "clearly outside"};
    return t[v];
}

void verdict_of(const struct est *e, const struct plan_threshold *t, struct verdict *v)
{
    memset(v, 0, sizeof *v);
    if (!t) return;
    v->applicable = 1;
    v->op = t->op;
    v->threshold = t->value;
    snprintf(v->words, sizeof v->words, "%s", t->words);
    if (!e->valid) return;
    v->official = plan_op_holds(t->op, e->estimate, t->value);
    if (!isfinite(e->lower) || !isfinite(e->upper)) return; /* no interval: no verdict on it */
    {
        int lo = plan_op_holds(t->op, e->lower, t->value);
        int hi = plan_op_holds(t->op, e->upper, t->value);
        v->interval = lo && hi ? IV_WITHIN : !lo && !hi ? IV_OUTSIDE : IV_CLOSE;
    }
}

const char *indicator_code(enum indicator i)
{
    static const char *c[IND_COUNT] = {"wrong_exit", "missed", "incidence", "approval"};
    return (unsigned)i < IND_COUNT ? c[i] : "?";
}

const char *indicator_zh(enum indicator i)
{
    static const char *c[IND_COUNT] = {"错退率", "漏评率", "综合贫困发生率", "群众认可度"};
    return (unsigned)i < IND_COUNT ? c[i] : "?";
}

void incidence_estimate(const struct obs *oe, const double *ze, size_t ne, const struct est *ee,
                        const struct obs *om, const double *zm, size_t nm, const struct est *em,
                        double U, double E, double G, double R, struct est *I)
{
    struct obs *oc;
    double *zc, e, m, v, q, vq, ql, qu, eg = E + G;
    size_t k = 0;
    memset(I, 0, sizeof *I);
    if (R <= 0 || (!ee->valid && E > 0) || (!em->valid && G > 0)) return;
    oc = mem_alloc((ne + nm + 1) * sizeof *oc);
    zc = mem_alloc((ne + nm + 1) * sizeof *zc);
    if (!oc || !zc) {
        mem_free(oc);
        mem_free(zc);
        return;
    }
    e = ee->valid ? ee->estimate : 0;
    m = em->valid ? em->estimate : 0;
    for (size_t i = 0; i < ne; i++, k++) {
        oc[k] = oe[i];
        zc[k] = E * ze[i] / R;
    }
    for (size_t i = 0; i < nm; i++, k++) {
        oc[k] = om[i];
        zc[k] = G * zm[i] / R;
    }
    v = linearised_variance(oc, zc, k, &I->df, &I->psus, &I->strata, &I->lonely);
    I->valid = 1;
    I->n = 0; /* households of either domain (a household is in at most one) */
    for (size_t i = 0; i < k; i++) I->n += oc[i].w > 0;
    I->persons = ee->persons + em->persons;
    I->estimate = (U + e * E + m * G) / R;
    I->se = I->df > 0 ? sqrt(v) : NAN;
    I->deff = NAN;
    q = eg > 0 ? (e * E + m * G) / eg : 0;
    vq = eg > 0 ? v * (R / eg) * (R / eg) : 0;
    kg_interval(q, I->df > 0 ? vq : NAN, I->n, I->df, 0.05, &ql, &qu, &I->n_eff);
    I->lower = (U + ql * eg) / R;
    I->upper = (U + qu * eg) / R;
    mem_free(oc);
    mem_free(zc);
}
