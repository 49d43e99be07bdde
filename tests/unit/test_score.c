/*
 * test_score.c — issue 16 items 8 and 9 at the level of the library: the shipped plans'
 * incidence thresholds include their bound (seed 000: "查综合贫困发生率中部地区是否降至2%以下、
 * 西部降至3%以下"; 以下 includes the bound, DESIGN §6.4), and the t quantiles the rank
 * separation uses are wider than the normal quantile at 1–2 degrees of freedom.
 */
#include "testutil.h"

#include <math.h>

#include "estimate/estimate.h"

static const char *plans[] = {"plans/anhui-cross-2019.json", "plans/district-2020h1.json",
                              "plans/national-spotcheck-2019.json",
                              "plans/shaanxi-four-rates-2017.json"};

/* A county at exactly 2% (central) or 3% (west) meets the standard; a hair above does not. */
static void incidence_bound_included(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
        struct plan p;
        struct errlist errs;
        struct error e;
        errlist_init(&errs, 20);
        assert_int_equal(plan_load(plans[i], &p, &errs, &e), 0);
        errlist_release(&errs);
        for (int r = 0; r < 2; r++) {
            const char *region = r ? "west" : "central";
            double bound = r ? 0.03 : 0.02;
            const struct plan_threshold *t = plan_threshold_for(&p, "incidence", region);
            struct est x = {0};
            struct verdict v;
            assert_non_null(t);
            assert_int_equal(t->op, PLAN_LE);
            assert_non_null(strstr(t->words, "以下"));
            assert_null(strstr(t->words, "低于"));
            x.valid = 1;
            x.estimate = bound, x.lower = bound - 0.01, x.upper = bound;
            verdict_of(&x, t, &v);
            assert_true(v.official);
            assert_int_equal(v.interval, IV_WITHIN);
            x.estimate = bound + 1e-12;
            verdict_of(&x, t, &v);
            assert_false(v.official);
        }
        plan_release(&p);
    }
}

/* The gap test's quantiles: t with 1 and 2 df (12.706, 4.303), not 1.96. */
static void t_quantiles(void **state)
{
    (void)state;
    assert_true(fabs(t_quantile(0.975, 1) - 12.7062047) < 1e-6);
    assert_true(fabs(t_quantile(0.975, 2) - 4.3026527) < 1e-6);
    assert_true(t_quantile(0.975, 1e6) < 1.9601);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(incidence_bound_included),
        cmocka_unit_test(t_quantiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
