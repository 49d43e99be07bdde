/*
 * test_estimate.c — the estimators on hand-built samples, against values computed by hand
 * (and, for the Beta and t quantiles, by an independent implementation: a Lentz continued
 * fraction for the incomplete beta function inverted by bisection, in Python, not GSL):
 * the ratio and its linearised variance, Korn–Graubard intervals (n_eff, the cap at n, the
 * p = 0 rule), the Clopper–Pearson interval [0.48%, 1.83%] for 10 in 1000 at design effect
 * 1, the incidence linearised as a whole, and verdicts.
 */
#include "testutil.h"

#include <math.h>

#include "estimate/estimate.h"

#define CLOSE(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* Two strata of two villages each: by hand, Y = 6, X = 32, R = 0.1875; PSU totals of z are
 * 0.0390625, -0.0234375 | 0.0546875, -0.0703125; v = 2·0.001953125 + 2·0.0078125. */
static const struct obs hand[] = {
    {1, 1, 2, 1, 1}, {1, 1, 2, 0, 1}, {1, 2, 2, 0, 1}, {1, 2, 2, 0, 1},
    {2, 3, 4, 1, 2}, {2, 3, 4, 0, 1}, {2, 4, 4, 0, 3},
};

static void ratio_and_variance(void **state)
{
    struct est x;
    (void)state;
    ratio_estimate(hand, 7, &x, NULL);
    assert_true(x.valid);
    CLOSE(x.estimate, 0.1875, 1e-15);
    CLOSE(x.se * x.se, 0.01953125, 1e-15);
    assert_int_equal(x.df, 2);
    assert_int_equal(x.psus, 4);
    assert_int_equal(x.strata, 2);
    assert_int_equal(x.n, 7);
    CLOSE(x.persons, 10, 1e-12);
}

/* DESIGN §7: "a rate's design is the domain (subset) of its population inside the full design
 * — a sampled village with no household of that population still counts as a first-stage unit
 * contributing zero, as `svyratio` on `subset()` of the full design computes it". Weight 0
 * marks a household of the design outside the domain. By hand: R = 6/14; PSU totals of z are
 * 1/49, -3/49 and 0 (PSU 3: no domain household) in stratum 1, 2/49 and 0 (PSU 5) in stratum
 * 2; v = 3/2 · 78/147² + 2 · 2/49² = 17/2401; df = 3 domain PSUs − 2 domain strata (R's
 * degf of the subset); stratum 3 has no domain household and is not in the domain's design. */
static void domain_estimation(void **state)
{
    static const struct obs o[] = {
        {1, 1, 2, 1, 1}, {1, 1, 2, 0, 1}, {1, 2, 2, 0, 1}, {1, 3, 0, 5, 5},
        {2, 4, 4, 1, 2}, {2, 5, 0, 3, 3}, {3, 6, 0, 1, 1},
    };
    static const struct obs lone[] = {
        {1, 1, 2, 1, 1}, {1, 1, 2, 0, 1}, {1, 2, 2, 0, 1}, {1, 3, 0, 5, 5},
        {2, 4, 4, 1, 2}, {2, 5, 0, 3, 3}, {3, 6, 1, 0, 1},
    };
    static const struct obs one[] = {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 1}, {1, 2, 0, 1, 1}};
    struct est x;
    double z[7];
    (void)state;
    ratio_estimate(o, 7, &x, z);
    assert_true(x.valid);
    CLOSE(x.estimate, 6.0 / 14, 1e-15);
    CLOSE(x.se * x.se, 17.0 / 2401, 1e-15);
    assert_int_equal(x.n, 4);
    CLOSE(x.persons, 5, 0);
    assert_int_equal(x.psus, 3);
    assert_int_equal(x.strata, 2);
    assert_int_equal(x.df, 1);
    assert_int_equal(x.lonely, 0);
    assert_true(z[3] == 0 && z[5] == 0 && z[6] == 0);
    /* a domain household in stratum 3, whose design has one PSU: flagged */
    ratio_estimate(lone, 7, &x, NULL);
    assert_int_equal(x.lonely, 1);
    assert_int_equal(x.df, 1);
    assert_int_equal(x.strata, 3);
    /* one PSU in the domain: df 0, no standard error and no design effect (was "deff 0.00") */
    ratio_estimate(one, 3, &x, NULL);
    assert_true(x.valid);
    assert_int_equal(x.df, 0);
    assert_true(isnan(x.se) && isnan(x.deff));
    assert_int_equal(x.lonely, 0); /* PSU 2 is in the design: the stratum has two */
}

static void korn_graubard(void **state)
{
    double lo, hi, ne;
    (void)state;
    /* n_eff = p(1-p)/v (t6/t2)^2, not capped; Clopper-Pearson on it */
    kg_interval(0.1875, 0.01953125, 7, 2, 0.05, &lo, &hi, &ne);
    CLOSE(ne, 2.522659651153, 1e-9);
    CLOSE(lo, 0.000113441247, 1e-9);
    CLOSE(hi, 0.874570502207, 1e-9);
    /* design effect 1: 10 cases in 1000 -> Clopper-Pearson [0.48%, 1.83%] */
    kg_interval(0.01, 0.01 * 0.99 / 1000, 1000, 100000, 0.05, &lo, &hi, &ne);
    CLOSE(ne, 1000, 1e-9); /* capped at n */
    CLOSE(lo, 0.004805510691049645, 1e-10);
    CLOSE(hi, 0.018313243055111006, 1e-10);
    assert_true(round(lo * 10000) == 48 && round(hi * 10000) == 183);
    /* the same from observations: 1000 households, each its own first-stage unit */
    {
        static struct obs o[1000];
        struct est x;
        for (int i = 0; i < 1000; i++) o[i] = (struct obs){1, i, 1, i < 10, 1};
        ratio_estimate(o, 1000, &x, NULL);
        CLOSE(x.deff, 1, 1e-9);
        kg_interval(x.estimate, x.se * x.se, x.n, x.df, 0.05, &lo, &hi, &ne);
        assert_true(round(lo * 10000) == 48 && round(hi * 10000) == 183);
    }
    /* p = 0: n_eff = n, a non-empty interval starting at 0: 1 - 0.025^(1/56) */
    kg_interval(0, 0, 56, 10, 0.05, &lo, &hi, &ne);
    assert_true(lo == 0);
    CLOSE(hi, 0.0637500966623622, 1e-12);
    CLOSE(ne, 56, 0);
    /* no degrees of freedom: no interval */
    kg_interval(0.1, 0.001, 20, 0, 0.05, &lo, &hi, &ne);
    assert_true(isnan(lo) && isnan(hi));
}

static void incidence_as_a_whole(void **state)
{
    /* exited and general households in the same four villages (values by hand in Python) */
    static const struct obs oe[] = {{1, 1, 2, 3, 3}, {1, 1, 2, 0, 4}, {1, 2, 2, 0, 2},
                                    {2, 3, 5, 0, 3}, {2, 4, 5, 2, 2}, {2, 4, 5, 0, 5}};
    static const struct obs om[] = {
        {1, 1, 3, 0, 4}, {1, 2, 3, 4, 4}, {1, 2, 3, 0, 2}, {2, 3, 6, 0, 3}, {2, 4, 6, 0, 5}};
    double ze[6], zm[5];
    struct est e, m, I;
    (void)state;
    ratio_estimate(oe, 6, &e, ze);
    ratio_estimate(om, 5, &m, zm);
    CLOSE(e.estimate, 0.235294117647059, 1e-14);
    CLOSE(e.se * e.se, 8.937871912453150e-03, 1e-15);
    CLOSE(m.estimate, 0.153846153846154, 1e-14);
    CLOSE(m.se * m.se, 2.072756556142992e-02, 1e-15);
    incidence_estimate(oe, ze, 6, &e, om, zm, 5, &m, 120, 2000, 6000, 10000, &I);
    assert_true(I.valid);
    CLOSE(I.estimate, 0.151366515837104, 1e-14);
    /* the covariance of e and m is in: v is not Var(e)(E/R)^2 + Var(m)(G/R)^2 */
    CLOSE(I.se * I.se, 5.549214691221156e-03, 1e-15);
    assert_true(fabs(I.se * I.se - (e.se * e.se * 0.04 + m.se * m.se * 0.36)) > 1e-4);
    assert_int_equal(I.df, 2);
    assert_int_equal(I.n, 11);
    CLOSE(I.n_eff, 4.449379094712, 1e-9);
    CLOSE(I.lower, 0.013363348588, 1e-9);
    CLOSE(I.upper, 0.592720014645, 1e-9);
}

static void verdicts(void **state)
{
    struct plan_threshold t = {"wrong_exit", "", PLAN_LT, 0.02, "低于2%"};
    struct est x = {0};
    struct verdict v;
    (void)state;
    x.valid = 1;
    x.estimate = 0.01, x.lower = 0.002, x.upper = 0.019;
    verdict_of(&x, &t, &v);
    assert_true(v.official);
    assert_int_equal(v.interval, IV_WITHIN);
    x.upper = 0.03;
    verdict_of(&x, &t, &v);
    assert_int_equal(v.interval, IV_CLOSE);
    x.estimate = 0.05, x.lower = 0.02, x.upper = 0.09; /* 低于: 0.02 itself fails */
    verdict_of(&x, &t, &v);
    assert_false(v.official);
    assert_int_equal(v.interval, IV_OUTSIDE);
    t = (struct plan_threshold){"approval", "", PLAN_GE, 0.9, "达到90%"};
    x.estimate = 0.9, x.lower = 0.85, x.upper = 0.95; /* 达到: 0.9 itself passes */
    verdict_of(&x, &t, &v);
    assert_true(v.official);
    assert_int_equal(v.interval, IV_CLOSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ratio_and_variance),
        cmocka_unit_test(domain_estimation),
        cmocka_unit_test(korn_graubard),
        cmocka_unit_test(incidence_as_a_whole),
        cmocka_unit_test(verdicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
