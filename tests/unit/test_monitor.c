/*
 * test_monitor.c — src/monitor/ at its bounds: monitor_judge (seed 000's four signs and the
 * interview rule, every threshold either side), the distance behind the attendance radius,
 * and rules/monitor.json (the shipped file loads; a bad member is named by its JSON path).
 */
#include "testutil.h"
#include "monitor/monitor.h"

#include <math.h>

static struct post_rules rules(void)
{
    struct post_rules r = {0};
    r.slowing_ratio = 0.5;
    r.slowing_min_remaining = 100;
    r.target_min_share = 1.0;
    r.income_max_share = 0.10;
    r.training_drop_ratio = 0.5;
    r.reassigned_share = 0.25;
    r.transition_years = 3;
    r.school_age_from = 6;
    r.school_age_to = 15;
    r.work_team_min_poor = 100;
    r.interview_min_signs = 2;
    return r;
}

/* A county with no sign: steady reduction, plan met, no income fall, training kept. */
static struct mon_county calm(void)
{
    struct mon_county c = {0};
    c.r2 = 1000, c.r1 = 500, c.r0 = 250;
    c.rate_prev = 0.5, c.rate_now = 0.5;
    c.planned = 250, c.achieved = 250;
    c.inc_compared = 100, c.inc_fell = 0;
    c.train_prev = 10, c.train_now = 10;
    c.team_base = 4, c.team_moved = 0;
    return c;
}

/* 第一: 减贫速度明显放缓 — this year's rate below half of last year's (strictly). */
static void slowing_bounds(void **state)
{
    struct post_rules r = rules();
    struct mon_county c = calm();
    (void)state;
    c.rate_now = 0.25; /* exactly half: not slowing */
    monitor_judge(&r, &c);
    assert_int_equal(c.slowing, 0);
    c.rate_now = 0.2499;
    monitor_judge(&r, &c);
    assert_int_equal(c.slowing, 1);
    c.rate_now = -0.01; /* more poor at the end than at the start */
    monitor_judge(&r, &c);
    assert_int_equal(c.slowing, 1);
    /* the seed's county: 7-8 thousand left, ~1,000 a year, against e.g. 40% the year before */
    c = calm();
    c.r1 = 7500, c.rate_prev = 0.40, c.rate_now = 1000.0 / 7500;
    monitor_judge(&r, &c);
    assert_int_equal(c.slowing, 1);
    /* fewer than 100 poor left: not judged */
    c = calm();
    c.r1 = 99, c.rate_now = 0;
    monitor_judge(&r, &c);
    assert_int_equal(c.slowing, 0);
    c.r1 = 100;
    monitor_judge(&r, &c);
    assert_int_equal(c.slowing, 1);
    /* no snapshot two years back: unknown, not flagged */
    c.r2 = -1;
    monitor_judge(&r, &c);
    assert_int_equal(c.slowing, 0);
}

/* 第二: 当年计划减少三千人,最后完成一千人 — any shortfall; no plan, no flag. */
static void target_bounds(void **state)
{
    struct post_rules r = rules();
    struct mon_county c = calm();
    (void)state;
    c.planned = 3000, c.achieved = 1000;
    monitor_judge(&r, &c);
    assert_int_equal(c.target_missed, 1);
    c.achieved = 2999;
    monitor_judge(&r, &c);
    assert_int_equal(c.target_missed, 1);
    c.achieved = 3000;
    monitor_judge(&r, &c);
    assert_int_equal(c.target_missed, 0);
    c.planned = -1, c.achieved = 0;
    monitor_judge(&r, &c);
    assert_int_equal(c.target_missed, 0);
}

/* 脱贫人口收入不增反降 — county flagged at a share of 10% or more. */
static void income_bounds(void **state)
{
    struct post_rules r = rules();
    struct mon_county c = calm();
    (void)state;
    c.inc_compared = 100, c.inc_fell = 9;
    monitor_judge(&r, &c);
    assert_int_equal(c.income_falling, 0);
    c.inc_fell = 10;
    monitor_judge(&r, &c);
    assert_int_equal(c.income_falling, 1);
    c.inc_compared = 0, c.inc_fell = 0;
    monitor_judge(&r, &c);
    assert_int_equal(c.income_falling, 0);
}

/* 第三/第四: 培训力度大大低于去年 / 2019年没有办过一期培训; 把驻村工作队都变成别的工作队. */
static void slackening_bounds(void **state)
{
    struct post_rules r = rules();
    struct mon_county c = calm();
    (void)state;
    c.train_prev = 10, c.train_now = 5; /* half: not "大大低于" */
    monitor_judge(&r, &c);
    assert_int_equal(c.slack_training, 0);
    c.train_now = 4;
    monitor_judge(&r, &c);
    assert_int_equal(c.slack_training, 1);
    c.train_prev = 0, c.train_now = 0; /* none in the year, whatever the year before */
    monitor_judge(&r, &c);
    assert_int_equal(c.slack_training, 1);
    c.train_prev = -1, c.train_now = -1; /* no training file: unknown */
    monitor_judge(&r, &c);
    assert_int_equal(c.slack_training, 0);
    c = calm();
    c.team_base = 4, c.team_moved = 0;
    monitor_judge(&r, &c);
    assert_int_equal(c.slack_team, 0);
    c.team_base = 5, c.team_moved = 1; /* 20% */
    monitor_judge(&r, &c);
    assert_int_equal(c.slack_team, 0);
    c.team_base = 4, c.team_moved = 1; /* 25% */
    monitor_judge(&r, &c);
    assert_int_equal(c.slack_team, 1);
    assert_int_equal(c.slackening, 1);
}

/* 约谈: two signs, or slackening alone (明显松懈). */
static void interview_rule(void **state)
{
    struct post_rules r = rules();
    struct mon_county c = calm();
    (void)state;
    monitor_judge(&r, &c);
    assert_int_equal(c.signs, 0);
    assert_int_equal(c.interview, 0);
    c.inc_fell = 50; /* one sign */
    monitor_judge(&r, &c);
    assert_int_equal(c.signs, 1);
    assert_int_equal(c.interview, 0);
    c.achieved = 1; /* two */
    monitor_judge(&r, &c);
    assert_int_equal(c.signs, 2);
    assert_int_equal(c.interview, 1);
    c = calm();
    c.train_now = 0; /* slackening alone */
    monitor_judge(&r, &c);
    assert_int_equal(c.signs, 1);
    assert_int_equal(c.interview, 1);
}

static void distances(void **state)
{
    (void)state;
    /* one degree of latitude is 111.19 km on the R = 6371 km sphere */
    assert_true(fabs(geo_km(30, 117, 31, 117) - 111.195) < 0.01);
    /* the t_attendance.sh radius cases: 0.008903 deg = 990 m, 0.009083 deg = 1010 m */
    assert_true(geo_km(30, 117, 30.008903, 117) * 1000 <= 1000);
    assert_true(geo_km(30, 117, 30.009083, 117) * 1000 > 1000);
    assert_true(geo_km(30, 117, 30, 117) == 0);
}

static void rules_file(void **state)
{
    struct monitor_rules mr;
    struct error e;
    char *dir = tu_tmpdir(), path[1100];
    (void)state;
    assert_int_equal(monitor_rules_load("rules/monitor.json", &mr, &e), 0);
    assert_int_equal(mr.att.min_days, 20);
    assert_int_equal(mr.att.morning_end, 12 * 60);
    assert_int_equal(mr.att.evening_start, 18 * 60);
    assert_int_equal(mr.post.work_team_min_poor, 100);
    assert_int_equal(mr.post.transition_years, 3);
    tu_write(dir, "bad.json",
             "{\"attendance\": {\"min_days\": 20, \"morning_end\": \"12:00\","
             " \"evening_start\": \"18:00\", \"day_visit_days\": 5, \"max_kmh\": 150,"
             " \"min_jump_km\": 2, \"default_radius_m\": 1000, \"min_dayz\": 3}}");
    snprintf(path, sizeof path, "%s/bad.json", dir);
    assert_int_equal(monitor_rules_load(path, &mr, &e), ERR_INVALID);
    assert_non_null(strstr(e.msg, "attendance.min_dayz: unknown member"));
    tu_write(dir, "bad2.json", "{\"attendance\": {\"min_days\": 20, \"morning_end\": \"25:00\"}}");
    snprintf(path, sizeof path, "%s/bad2.json", dir);
    assert_int_equal(monitor_rules_load(path, &mr, &e), ERR_INVALID);
    assert_non_null(strstr(e.msg, "attendance.morning_end: must be a time of day"));
    free(dir);
}

/* Builds and writes a small document; 0 or the error code. */
static int build_doc(const char *dir)
{
    static const char *const cols[] = {"a", "b"};
    struct mon_doc *d = NULL;
    struct mon_table *t;
    struct error e;
    int rc = mon_doc_new("标题 title", &d);
    if (rc) return rc;
    mon_doc_para(d, "%d members", 3);
    t = mon_doc_table(d, "sheet", "表 table", cols, 2);
    for (int i = 0; i < 40; i++) mon_table_rowf(t, "%d\t村%d", i, i);
    rc = mon_doc_write(d, dir, "doc", &e);
    mon_doc_free(d);
    return rc;
}

/* Every allocation failing in turn: a clean ERR_NOMEM (ASan checks for leaks), then success;
 * the bulletin's reader and ranking the same way. */
static void allocation_failures(void **state)
{
    char *dir = tu_tmpdir(), sheet[1100];
    struct bulletin_rules br = {0.3, 0.3};
    long n;
    int rc;
    (void)state;
    for (n = 1;; n++) {
        mem_fail_after(n, 1);
        rc = build_doc(dir);
        mem_fail_after(0, 0);
        if (rc == 0) break;
        assert_int_equal(rc, ERR_NOMEM);
        assert_true(n < 10000);
    }
    tu_write(dir, "s.csv",
             "month,unit,kind,score\n2017-07,A,city,1\n2017-08,A,city,2\n"
             "2017-08,B,city,1\n2017-08,C,department,5\n");
    snprintf(sheet, sizeof sheet, "%s/s.csv", dir);
    for (n = 1;; n++) {
        struct bulletin_row *v = NULL;
        size_t nv = 0;
        struct error e;
        mem_fail_after(n, 1);
        rc = bulletin_rank(sheet, 201708, &br, &v, &nv, &e);
        mem_fail_after(0, 0);
        if (rc == 0) {
            assert_int_equal(nv, 3);
            assert_string_equal(v[0].unit, "A");
            assert_int_equal(v[0].movement, 0);
            assert_int_equal(v[1].last, 1);
            mem_free(v);
            break;
        }
        assert_int_equal(rc, ERR_NOMEM);
        assert_true(n < 10000);
    }
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slowing_bounds), cmocka_unit_test(target_bounds),
        cmocka_unit_test(income_bounds),  cmocka_unit_test(slackening_bounds),
        cmocka_unit_test(interview_rule), cmocka_unit_test(distances),
        cmocka_unit_test(rules_file),     cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
