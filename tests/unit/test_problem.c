/*
 * test_problem.c — the problem stage without a store: every (from, to, role) triple of the
 * life cycle against the table, each move's requirements, and the working-day calendar
 * (date arithmetic; deadlines across Spring Festival 2020 with its extension, Labour Day 2019
 * as amended, National Day with its 调休 weekends; province overrides; malformed files).
 */
#include "testutil.h"

#include "problem/problem.h"

/* ---------------------------------------------------------------- life cycle */

/* The expected table, written out independently of lifecycle.c: from, to, roles, needs. */
struct want {
    const char *from, *to, *roles;
    unsigned needs;
};
static const struct want legal[] = {
    {"candidate", "recorded", "evaluator leader", PM_EVIDENCE},
    {"candidate", "dismissed", "office leader", PM_REASON},
    {"recorded", "summarised", "office leader", 0},
    {"recorded", "dismissed", "office leader", PM_REASON},
    {"summarised", "sent_for_verification", "office leader", 0},
    {"summarised", "confirmed", "office leader", PM_EVIDENCE},
    {"summarised", "dismissed", "office leader", PM_REASON},
    {"sent_for_verification", "explained", "county", PM_NOTE},
    {"sent_for_verification", "confirmed", "office leader", PM_EVIDENCE},
    {"sent_for_verification", "dismissed", "office leader", PM_REASON},
    {"explained", "confirmed", "office leader", PM_EVIDENCE},
    {"explained", "dismissed", "office leader", PM_REASON},
    {"confirmed", "fed_back", "office", 0},
    {"fed_back", "rectifying", "county office", PM_MEASURES | PM_DEADLINE},
    {"rectifying", "rectified", "county", PM_RESULT | PM_EVIDENCE},
    {"rectified", "closed", "office", 0},
    {"rectified", "rectifying", "office", PM_REASON | PM_DEADLINE},
    {"closed", "rechecked", "office leader evaluator", PM_EVIDENCE},
    {"closed", "rectifying", "office", PM_REASON | PM_DEADLINE},
};

static const struct want *find_legal(int from, int to)
{
    for (size_t i = 0; i < sizeof legal / sizeof legal[0]; i++)
        if (problem_state_parse(legal[i].from) == from && problem_state_parse(legal[i].to) == to)
            return &legal[i];
    return NULL;
}

static int role_in(const char *roles, int role)
{
    const char *name = problem_role_name((enum problem_role)role);
    const char *p = strstr(roles, name);
    return p != NULL;
}

/* A move carrying everything any move could need. */
static struct problem_move full_move(int to, int role)
{
    static const char *const ev[] = {"x.jpg"};
    struct problem_move m = {0};
    m.to = (enum problem_state)to;
    m.role = (enum problem_role)role;
    m.note = "reason";
    m.evidence = ev;
    m.nevidence = 1;
    m.deadline = 20200601;
    m.measures = "measures";
    m.responsible_unit = "unit";
    m.responsible_person = "person";
    m.result = "done";
    m.on = 20200501;
    return m;
}

static void every_move_against_the_table(void **state)
{
    size_t n, legal_seen = 0;
    (void)state;
    problem_moves_table(&n);
    assert_int_equal(n, sizeof legal / sizeof legal[0]);
    for (int from = 0; from < PS_NSTATES; from++)
        for (int to = 0; to < PS_NSTATES; to++)
            for (int role = 0; role < PR_NROLES; role++) {
                const struct want *w = find_legal(from, to);
                struct problem_move m = full_move(to, role);
                struct error e;
                int rc = problem_move_check((enum problem_state)from, &m, 20200420, &e);
                int ok = w && role_in(w->roles, role);
                if (ok != (rc == 0))
                    fail_msg("%s -> %s as %s: expected %s, got %d (%s)",
                             problem_state_name(from), problem_state_name(to),
                             problem_role_name(role), ok ? "legal" : "refused", rc, e.msg);
                if (!w) {
                    /* an illegal move names the legal ones (or says the state is final) */
                    assert_int_equal(rc, ERR_INVALID);
                    assert_true(strstr(e.msg, "legal moves") != NULL);
                } else if (ok) {
                    const struct problem_move_rule *r =
                        problem_move_rule((enum problem_state)from, (enum problem_state)to);
                    assert_non_null(r);
                    assert_int_equal(r->needs, w->needs);
                    legal_seen++;
                }
            }
    assert_true(legal_seen >= n);
    /* the final states have no way out */
    for (int to = 0; to < PS_NSTATES; to++) {
        assert_null(problem_move_rule(PS_DISMISSED, (enum problem_state)to));
        assert_null(problem_move_rule(PS_RECHECKED, (enum problem_state)to));
    }
}

static void requirements_refused_when_missing(void **state)
{
    struct error e;
    struct problem_move m;
    (void)state;
    /* a dismissal needs its reason */
    m = full_move(PS_DISMISSED, PR_LEADER);
    m.note = "  ";
    assert_int_equal(problem_move_check(PS_EXPLAINED, &m, 20200420, &e), ERR_INVALID);
    assert_true(strstr(e.msg, "reason") != NULL);
    /* the county's explanation needs its text */
    m = full_move(PS_EXPLAINED, PR_COUNTY);
    m.note = NULL;
    assert_int_equal(problem_move_check(PS_SENT, &m, 20200420, &e), ERR_INVALID);
    /* rectification needs measures, responsible unit and person, and a deadline */
    m = full_move(PS_RECTIFYING, PR_COUNTY);
    m.responsible_person = "";
    assert_int_equal(problem_move_check(PS_FED_BACK, &m, 20200420, &e), ERR_INVALID);
    assert_true(strstr(e.msg, "责任人") != NULL);
    m = full_move(PS_RECTIFYING, PR_COUNTY);
    m.deadline = 0;
    assert_int_equal(problem_move_check(PS_FED_BACK, &m, 20200420, &e), ERR_INVALID);
    /* a deadline before the finding */
    m = full_move(PS_RECTIFYING, PR_COUNTY);
    m.deadline = 20200419;
    assert_int_equal(problem_move_check(PS_FED_BACK, &m, 20200420, &e), ERR_INVALID);
    assert_true(strstr(e.msg, "before the day the problem was found") != NULL);
    m.deadline = 20200420; /* the day itself is allowed */
    assert_int_equal(problem_move_check(PS_FED_BACK, &m, 20200420, &e), 0);
    /* a rectification result */
    m = full_move(PS_RECTIFIED, PR_COUNTY);
    m.result = NULL;
    assert_int_equal(problem_move_check(PS_RECTIFYING, &m, 20200420, &e), ERR_INVALID);
    /* a reopening needs a reason and a new deadline */
    m = full_move(PS_RECTIFYING, PR_OFFICE);
    m.deadline = 0;
    assert_int_equal(problem_move_check(PS_CLOSED, &m, 20200420, &e), ERR_INVALID);
    /* the wrong role is told who makes the move */
    m = full_move(PS_CLOSED, PR_COUNTY);
    assert_int_equal(problem_move_check(PS_RECTIFIED, &m, 20200420, &e), ERR_INVALID);
    assert_true(strstr(e.msg, "office") != NULL);
}

static void names_round_trip(void **state)
{
    (void)state;
    for (int s = 0; s < PS_NSTATES; s++) {
        assert_int_equal(problem_state_parse(problem_state_name((enum problem_state)s)), s);
        assert_int_equal(problem_state_parse(problem_state_label((enum problem_state)s)), s);
    }
    for (int r = 0; r < PR_NROLES; r++)
        assert_int_equal(problem_role_parse(problem_role_name((enum problem_role)r)), r);
    assert_int_equal(problem_state_parse("nosuch"), -1);
}

/* ---------------------------------------------------------------- issue 10's other parts */

/* DESIGN §8.2: interference records "go to the provincial office and the discipline supervisor
 * only" — one rule, the same for the CLI and the server; and the rules checked before the store
 * is touched (a NULL store proves nothing was read or written). */
static void who_may_do_what(void **state)
{
    struct error e;
    int64_t id = 0, v = 0;
    struct problem_recheck_result r;
    static const char *const ev[] = {"x.mp3"};
    (void)state;
    for (int role = 0; role < PR_NROLES; role++)
        assert_int_equal(discipline_may_read((enum problem_role)role),
                         role == PR_OFFICE || role == PR_DISCIPLINE);
    assert_int_equal(problem_role_parse("discipline"), PR_DISCIPLINE);
    /* the discipline supervisor makes no move of the life cycle */
    for (int from = 0; from < PS_NSTATES; from++)
        for (int to = 0; to < PS_NSTATES; to++) {
            const struct problem_move_rule *rule =
                problem_move_rule((enum problem_state)from, (enum problem_state)to);
            if (rule) assert_false(rule->roles & (1u << PR_DISCIPLINE));
        }
    /* seed 000: 综合研判提出最终的贫困县抽查结果 — the office's judgment, with reasons */
    for (int role = 0; role < PR_NROLES; role++)
        if (role != PR_OFFICE)
            assert_int_equal(synthesis_record(NULL, "a", 340122, "j", "r", (enum problem_role)role,
                                              "t", &v, &e),
                             ERR_INVALID);
    assert_int_equal(synthesis_record(NULL, "a", 340122, "j", "", PR_OFFICE, "t", &v, &e),
                     ERR_INVALID);
    /* seed 002 八(三): 考核组可终止实地考核 — the leader (or the office), with a reason */
    assert_int_equal(fieldwork_stop(NULL, "a", 340122, "r", PR_EVALUATOR, "t", 0, &e), ERR_INVALID);
    assert_int_equal(fieldwork_stop(NULL, "a", 340122, "r", PR_COUNTY, "t", 0, &e), ERR_INVALID);
    assert_int_equal(fieldwork_stop(NULL, "a", 340122, "", PR_LEADER, "t", 0, &e), ERR_INVALID);
    /* 应留存证据: a locality's interference needs evidence; kinds are the side's */
    {
        struct discipline_entry d = {"a", 340122, NULL, "coaching", "note", NULL, 0,
                                     PR_EVALUATOR, "t", 0};
        assert_int_equal(discipline_record(NULL, &d, &id, &e), ERR_INVALID);
        d.evidence = ev, d.nevidence = 1, d.kind = "gifts"; /* a team kind on the locality side */
        assert_int_equal(discipline_record(NULL, &d, &id, &e), ERR_INVALID);
        d.side = "team", d.kind = "coaching";
        assert_int_equal(discipline_record(NULL, &d, &id, &e), ERR_INVALID);
        d.side = "nobody", d.kind = "gifts";
        assert_int_equal(discipline_record(NULL, &d, &id, &e), ERR_INVALID);
        d.side = "team", d.role = PR_COUNTY;
        assert_int_equal(discipline_record(NULL, &d, &id, &e), ERR_INVALID);
    }
    /* the recheck seed is the published hexadecimal seed; N at least 1 */
    assert_int_equal(problem_recheck_draw(NULL, "a", 0, "xyz", 2, "t", &r, &e), ERR_INVALID);
    assert_int_equal(problem_recheck_draw(NULL, "a", 0, "", 2, "t", &r, &e), ERR_INVALID);
    assert_int_equal(problem_recheck_draw(NULL, "a", 0, "5eed", 0, "t", &r, &e), ERR_INVALID);
}

/* ---------------------------------------------------------------- calendar */

static void date_arithmetic(void **state)
{
    (void)state;
    assert_int_equal(date_to_days(19700101), 0);
    assert_int_equal(date_from_days(0), 19700101);
    assert_int_equal(date_weekday(20190930), 0); /* Monday */
    assert_int_equal(date_weekday(20190505), 6); /* Sunday */
    assert_int_equal(date_weekday(20000229), 1); /* Tuesday, a leap day */
    for (long z = date_to_days(19000101); z < date_to_days(21000101); z += 13) {
        int d = date_from_days(z);
        assert_true(date_valid(d));
        assert_int_equal(date_to_days(d), z);
    }
}

static struct calendar *shipped(void)
{
    struct calendar *c = NULL;
    struct error e;
    if (calendar_load("calendars/cn.csv", NULL, &c, &e)) fail_msg("%s", e.msg);
    return c;
}

static int add(struct calendar *c, int from, int n)
{
    int out = 0;
    struct error e;
    if (calendar_add_days(c, from, n, &out, &e)) fail_msg("%s", e.msg);
    return out;
}

static void shipped_calendar_deadlines(void **state)
{
    struct calendar *c = shipped();
    int w, first, last;
    struct error e;
    (void)state;
    calendar_years(c, &first, &last);
    assert_int_equal(first, 2016);
    assert_int_equal(last, 2026);
    /* DESIGN §8.1's example: National Day 2019 (Oct 1–7 off, Sep 29 and Oct 12 worked) */
    assert_int_equal(add(c, 20190930, 1), 20191008);
    assert_int_equal(add(c, 20190927, 1), 20190929); /* Sunday 29 September was a workday */
    assert_int_equal(add(c, 20191011, 1), 20191012); /* Saturday 12 October was a workday */
    /* Labour Day 2019 as amended on 2019-03-22 (May 1–4 off; Apr 28 and May 5 worked): the
     * original notice gave May 1 only, so the amendment must win */
    assert_int_equal(add(c, 20190430, 1), 20190505);
    assert_int_equal(add(c, 20190505, 1), 20190506);
    assert_int_equal(calendar_is_working(c, 20190502, &w, NULL, &e), 0);
    assert_int_equal(w, 0);
    assert_int_equal(calendar_is_working(c, 20190428, &w, NULL, &e), 0);
    assert_int_equal(w, 1);
    /* Spring Festival 2020, extended to Feb 2 on 2020-01-26: Feb 1 (a Saturday first listed as
     * a workday) became a day off; work resumed Monday Feb 3 */
    assert_int_equal(calendar_is_working(c, 20200201, &w, NULL, &e), 0);
    assert_int_equal(w, 0);
    assert_int_equal(add(c, 20200123, 1), 20200203);
    assert_int_equal(add(c, 20200119, -1), 20200117);
    /* the funds rule's arithmetic (seed 001: within 20 working days): 20 working days after
     * 2020-04-20 cross Labour Day 2020 (May 1–5 off, Apr 26 and May 9 worked) */
    assert_int_equal(add(c, 20200420, 20), 20200519);
    {
        int n;
        assert_int_equal(calendar_working_days(c, 20200420, 20200519, &n, &e), 0);
        assert_int_equal(n, 20); /* the 20th working day: in time (以内 includes the bound) */
        assert_int_equal(calendar_working_days(c, 20200420, 20200520, &n, &e), 0);
        assert_int_equal(n, 21); /* the 21st: late */
    }
    /* outside the calendar's years: refused, never guessed */
    assert_int_equal(calendar_add_days(c, 20151231, 1, &w, &e), ERR_INVALID);
    assert_int_equal(calendar_add_days(c, 20261230, 5, &w, &e), ERR_INVALID);
    calendar_free(c);
}

static void province_overrides_and_bad_files(void **state)
{
    char *dir = tu_tmpdir(), path[1200];
    struct calendar *c = NULL;
    struct error e;
    int w;
    (void)state;
    tu_write(dir, "cal.csv",
             "date,kind,name,province,issued,notice\n"
             "2020-10-01,holiday,国庆节,,2019-11-21,national notice\n"
             "2020-10-09,holiday,地方节日,65,2020-01-01,province notice\n"
             "2020-10-09,holiday,地方节日,54,2020-01-01,another province\n");
    snprintf(path, sizeof path, "%s/cal.csv", dir);
    assert_int_equal(calendar_load(path, "65", &c, &e), 0);
    assert_int_equal(calendar_is_working(c, 20201009, &w, NULL, &e), 0);
    assert_int_equal(w, 0);
    calendar_free(c);
    assert_int_equal(calendar_load(path, NULL, &c, &e), 0);
    assert_int_equal(calendar_is_working(c, 20201009, &w, NULL, &e), 0);
    assert_int_equal(w, 1); /* national: an ordinary Friday */
    calendar_free(c);
    /* malformed date, with its line */
    tu_write(dir, "bad.csv",
             "date,kind,name,province,issued,notice\n"
             "2020-10-01,holiday,国庆节,,2019-11-21,n\n"
             "2020-13-01,holiday,国庆节,,2019-11-21,n\n");
    snprintf(path, sizeof path, "%s/bad.csv", dir);
    assert_int_equal(calendar_load(path, NULL, &c, &e), ERR_PARSE);
    assert_int_equal(e.line, 3);
    assert_null(c);
    /* a 调休 workday on a weekday is a contradiction */
    tu_write(dir, "bad2.csv",
             "date,kind,name,province,issued,notice\n"
             "2020-10-05,workday,国庆节,,2019-11-21,n\n");
    snprintf(path, sizeof path, "%s/bad2.csv", dir);
    assert_int_equal(calendar_load(path, NULL, &c, &e), ERR_INVALID);
    /* the same day twice from the same notice */
    tu_write(dir, "bad3.csv",
             "date,kind,name,province,issued,notice\n"
             "2020-10-01,holiday,国庆节,,2019-11-21,n\n"
             "2020-10-01,holiday,国庆节,,2019-11-21,n\n");
    snprintf(path, sizeof path, "%s/bad3.csv", dir);
    assert_int_equal(calendar_load(path, NULL, &c, &e), ERR_INVALID);
    /* a row without its notice */
    tu_write(dir, "bad4.csv",
             "date,kind,name,province,issued,notice\n"
             "2020-10-01,holiday,国庆节,,2019-11-21,\n");
    snprintf(path, sizeof path, "%s/bad4.csv", dir);
    assert_int_equal(calendar_load(path, NULL, &c, &e), ERR_INVALID);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_move_against_the_table),
        cmocka_unit_test(requirements_refused_when_missing),
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(who_may_do_what),
        cmocka_unit_test(date_arithmetic),
        cmocka_unit_test(shipped_calendar_deadlines),
        cmocka_unit_test(province_overrides_and_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
