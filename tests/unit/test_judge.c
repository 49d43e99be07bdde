/*
 * test_judge.c — the judgment rules at their bounds (DESIGN §6.4): each of the eight no-exit
 * cases, the household exit standard, missed households, approval, and every village item
 * one step either side of its threshold (road 3.49 fails, 3.50 passes, 3.0 passes under the
 * exception; water 39 L fails, 40 L passes; ...).
 */
#include "testutil.h"

#include "judge/judge.h"

/* Answers as "name=value" pairs. */
struct kv {
    const char *pairs[64];
    int n;
    long members;
};

static const char *kv_get(void *ctx, const char *name)
{
    struct kv *k = ctx;
    size_t len = strlen(name);
    for (int i = 0; i < k->n; i++)
        if (!strncmp(k->pairs[i], name, len) && k->pairs[i][len] == '=') return k->pairs[i] + len + 1;
    return NULL;
}

static long kv_instances(void *ctx, const char *repeat)
{
    (void)repeat;
    return ((struct kv *)ctx)->members;
}

static void kv_set(struct kv *k, const char *pair)
{
    const char *eq = strchr(pair, '=');
    for (int i = 0; i < k->n; i++)
        if (!strncmp(k->pairs[i], pair, (size_t)(eq - pair) + 1)) {
            k->pairs[i] = pair;
            return;
        }
    k->pairs[k->n++] = pair;
}

static const struct jrule *rule(const struct jresult *r, const char *name)
{
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->r[i].rule, name)) return &r->r[i];
    fail_msg("no rule %s", name);
    return NULL;
}

/* A sound household exited in 2019: every item passes. */
static void sound(struct kv *k)
{
    static const char *base[] = {
        "income_per_capita=5000", "income_stable=yes",  "food_clothing_ok=yes",
        "water_ok=yes",           "has_compulsory_student=yes", "dropout=no",
        "insured_all=yes",        "medical_policy_gap=no", "housing_safe=yes",
        "policy_effect=yes",      "knows_exit=yes",     "payroll=no",
        "vehicle=no",             "commercial_housing=no", "business=no",
        "household_size=3",       "household_status=exited"};
    memset(k, 0, sizeof *k);
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) kv_set(k, base[i]);
    k->members = 3;
}

static const struct jparams params = {2019, 3218, NULL};

static void judge(struct kv *k, const struct jregistry *reg, int general, struct jresult *r)
{
    struct janswers a = {k, kv_get, kv_instances};
    judge_household(&params, &a, general, reg, r);
}

static const struct jregistry exited2019 = {1, 2014, 2019, 0, 0, 3, 5100, 4500};

static void exit_standard_and_cases(void **state)
{
    struct kv k;
    struct jresult r;
    struct jregistry reg = exited2019;
    (void)state;
    sound(&k);
    judge(&k, &reg, 0, &r);
    assert_int_equal(r.exited, 1);
    assert_int_equal(r.wrong_exit, 0);
    assert_int_equal(r.approval, 1);
    assert_int_equal(r.four_kinds, 0);
    assert_int_equal(rule(&r, "case6.policy_effect")->outcome, JUDGE_PASS);
    assert_int_equal(rule(&r, "case7.newly_included")->outcome, JUDGE_PASS);
    assert_int_equal(rule(&r, "case8.allowance_standard")->outcome, JUDGE_PASS);
    /* income must exceed (超过) the line: equal fails, one yuan more passes */
    kv_set(&k, "income_per_capita=3218");
    judge(&k, &reg, 0, &r);
    assert_int_equal(rule(&r, "exit.income")->outcome, JUDGE_FAIL);
    assert_int_equal(r.wrong_exit, 1);
    kv_set(&k, "income_per_capita=3219");
    judge(&k, &reg, 0, &r);
    assert_int_equal(r.wrong_exit, 0);
    /* cases 1-5, each alone */
    {
        static const char *bad[] = {"food_clothing_ok=no", "water_ok=no", "dropout=yes",
                                    "insured_all=no", "housing_safe=no"};
        static const char *rules[] = {"exit.food_clothing", "exit.water", "exit.education",
                                      "exit.medical", "exit.housing"};
        for (int i = 0; i < 5; i++) {
            sound(&k);
            kv_set(&k, bad[i]);
            judge(&k, &reg, 0, &r);
            assert_int_equal(rule(&r, rules[i])->outcome, JUDGE_FAIL);
            assert_int_equal(r.wrong_exit, 1);
        }
    }
    /* medical: insured but a policy gap still fails */
    sound(&k);
    kv_set(&k, "medical_policy_gap=yes");
    judge(&k, &reg, 0, &r);
    assert_int_equal(rule(&r, "exit.medical")->outcome, JUDGE_FAIL);
    /* no compulsory-age child: education passes whatever dropout says */
    sound(&k);
    kv_set(&k, "has_compulsory_student=no");
    kv_set(&k, "dropout=yes");
    judge(&k, &reg, 0, &r);
    assert_int_equal(rule(&r, "exit.education")->outcome, JUDGE_PASS);
    /* case 6: policies without clear effect */
    sound(&k);
    kv_set(&k, "policy_effect=no");
    judge(&k, &reg, 0, &r);
    assert_int_equal(rule(&r, "case6.policy_effect")->outcome, JUDGE_FAIL);
    /* case 7: newly included in the year it exited */
    sound(&k);
    reg.identified_year = 2019;
    judge(&k, &reg, 0, &r);
    assert_int_equal(rule(&r, "case7.newly_included")->outcome, JUDGE_FAIL);
    reg = exited2019;
    /* case 8: an allowance household whose local standard does not exceed (未超过) the line */
    reg.allowance = 1;
    reg.allowance_standard = 3218;
    judge(&k, &reg, 0, &r);
    assert_int_equal(rule(&r, "case8.allowance_standard")->outcome, JUDGE_FAIL);
    reg.allowance_standard = 3219;
    judge(&k, &reg, 0, &r);
    assert_int_equal(rule(&r, "case8.allowance_standard")->outcome, JUDGE_PASS);
    reg.allowance = 0;
    reg.allowance_standard = 3000; /* not an allowance household: case 8 does not apply */
    judge(&k, &reg, 0, &r);
    assert_int_equal(rule(&r, "case8.allowance_standard")->outcome, JUDGE_PASS);
    /* an earlier exit: the exit standard applies, cases 6-8 (this year's exits) do not */
    reg = exited2019;
    reg.exit_year = 2017;
    judge(&k, &reg, 0, &r);
    for (int i = 0; i < r.n; i++) assert_true(strncmp(r.r[i].rule, "case", 4) != 0);
    /* an unanswered item leaves the finding undecided, not passed */
    sound(&k);
    kv_set(&k, "housing_safe=");
    judge(&k, &exited2019, 0, &r);
    assert_int_equal(rule(&r, "exit.housing")->outcome, JUDGE_NA);
    assert_int_equal(r.wrong_exit, -1);
}

static void unexited_and_data_quality(void **state)
{
    struct kv k;
    struct jresult r;
    struct jregistry reg = {1, 2014, 0, 0, 0, 4, 2000, 4500};
    (void)state;
    sound(&k);
    kv_set(&k, "household_status=poor");
    judge(&k, &reg, 0, &r);
    assert_int_equal(r.exited, 0);
    assert_int_equal(r.wrong_exit, -1); /* unexited: no wrong exit */
    assert_int_equal(r.approval, -1);   /* unexited households are not asked */
    assert_int_equal(rule(&r, "data.household_size")->outcome, JUDGE_FAIL); /* 3 vs 4 */
    assert_int_equal(rule(&r, "data.members")->outcome, JUDGE_FAIL);
    assert_int_equal(rule(&r, "data.income")->outcome, JUDGE_FAIL); /* 5000 vs 2000 */
    kv_set(&k, "payroll=yes");
    judge(&k, &reg, 0, &r);
    assert_int_equal(r.four_kinds, 1);
}

static void missed_households(void **state)
{
    static const char *ok[] = {"income_per_capita=6000", "food_clothing_worry=no_worry",
                               "water_secure=secure",    "dropout=no",
                               "serious_patient=no",     "housing_secure=secure",
                               "approves=approve",       "missed=no"};
    struct kv k;
    struct jresult r;
    struct jregistry reg = {0, 0, 0, 0, 0, 3, -1, 4500};
    (void)state;
    memset(&k, 0, sizeof k);
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) kv_set(&k, ok[i]);
    judge(&k, &reg, 1, &r);
    assert_int_equal(r.missed, 0);
    assert_int_equal(r.approval, 1);
    /* at or below (≤) the line: missed */
    kv_set(&k, "income_per_capita=3218");
    judge(&k, &reg, 1, &r);
    assert_int_equal(r.missed, 1);
    assert_int_equal(rule(&r, "missed.team_disagrees")->outcome, JUDGE_FAIL);
    kv_set(&k, "income_per_capita=6000");
    kv_set(&k, "serious_patient=yes");
    kv_set(&k, "basic_living_secure=insecure");
    judge(&k, &reg, 1, &r);
    assert_int_equal(rule(&r, "missed.medical")->outcome, JUDGE_FAIL);
    assert_int_equal(r.missed, 1);
    kv_set(&k, "basic_living_secure=secure");
    kv_set(&k, "approves=disapprove");
    judge(&k, &reg, 1, &r);
    assert_int_equal(r.missed, 0);
    assert_int_equal(r.approval, 0);
}

/* A village meeting every item exactly at its bound. */
static void village_at_bounds(struct kv *k)
{
    static const char *base[] = {
        "unexited_persons=2",  "population=100",        "road_hardened=yes",
        "road_width=3.5",      "narrow_exception=no",   "bus_feasible=yes",
        "bus_distance=2",      "water_quality_ok=yes",  "water_litres=40",
        "water_minutes=10",    "water_guarantee=95",    "power_production=100",
        "power_household=100", "tv_household=100",
        "culture_items=room square stage board culture_kit broadcast_kit sports_kit",
        "clinic_area=60",      "clinic_rooms=consulting treatment public_health pharmacy",
        "clinic_staff=1",      "served_population=1000", "doctor_licensed=yes",
        "fibre=yes",           "broadband=50",          "collective_income=10000"};
    memset(k, 0, sizeof *k);
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) kv_set(k, base[i]);
}

static enum judge_outcome village_rule(const char *change, const char *name)
{
    struct kv k;
    struct jresult r;
    struct janswers a = {&k, kv_get, kv_instances};
    village_at_bounds(&k);
    if (change) kv_set(&k, change);
    judge_village(&params, &a, &r);
    return rule(&r, name)->outcome;
}

static void village_items(void **state)
{
    struct kv k;
    struct jresult r;
    struct janswers a = {&k, kv_get, kv_instances};
    (void)state;
    village_at_bounds(&k);
    judge_village(&params, &a, &r);
    assert_int_equal(r.village_ok, 1); /* every bound is inclusive where the words say so */
    /* one step outside each bound fails */
    assert_int_equal(village_rule("unexited_persons=3", "village.incidence"), JUDGE_FAIL);
    assert_int_equal(village_rule("road_width=3.49", "village.road"), JUDGE_FAIL);
    assert_int_equal(village_rule("road_width=3.50", "village.road"), JUDGE_PASS);
    assert_int_equal(village_rule("road_width=3.0", "village.road"), JUDGE_FAIL);
    {
        village_at_bounds(&k);
        kv_set(&k, "road_width=3.0");
        kv_set(&k, "narrow_exception=yes");
        judge_village(&params, &a, &r);
        assert_int_equal(rule(&r, "village.road")->outcome, JUDGE_PASS);
        kv_set(&k, "road_width=2.99");
        judge_village(&params, &a, &r);
        assert_int_equal(rule(&r, "village.road")->outcome, JUDGE_FAIL);
    }
    assert_int_equal(village_rule("road_hardened=no", "village.road"), JUDGE_FAIL);
    assert_int_equal(village_rule("bus_distance=2.01", "village.bus"), JUDGE_FAIL);
    assert_int_equal(village_rule("bus_feasible=no", "village.bus"), JUDGE_NA);
    assert_int_equal(village_rule("water_litres=39", "village.water_litres"), JUDGE_FAIL);
    assert_int_equal(village_rule("water_litres=40", "village.water_litres"), JUDGE_PASS);
    assert_int_equal(village_rule("water_minutes=10.5", "village.water_minutes"), JUDGE_FAIL);
    assert_int_equal(village_rule("water_guarantee=94.9", "village.water_guarantee"), JUDGE_FAIL);
    assert_int_equal(village_rule("water_quality_ok=no", "village.water_quality"), JUDGE_FAIL);
    assert_int_equal(village_rule("power_production=99.9", "village.power_production"),
                     JUDGE_FAIL);
    assert_int_equal(village_rule("power_household=99", "village.power_household"), JUDGE_FAIL);
    assert_int_equal(village_rule("tv_household=98", "village.tv"), JUDGE_FAIL);
    assert_int_equal(village_rule("culture_items=room square stage board culture_kit "
                                  "broadcast_kit",
                                  "village.culture"),
                     JUDGE_FAIL);
    assert_int_equal(village_rule("clinic_area=59.9", "village.clinic_area"), JUDGE_FAIL);
    assert_int_equal(village_rule("clinic_rooms=consulting treatment public_health",
                                  "village.clinic_rooms"),
                     JUDGE_FAIL);
    assert_int_equal(village_rule("served_population=1001", "village.clinic_staff"), JUDGE_FAIL);
    assert_int_equal(village_rule("doctor_licensed=no", "village.doctor"), JUDGE_FAIL);
    assert_int_equal(village_rule("broadband=49", "village.broadband"), JUDGE_FAIL);
    assert_int_equal(village_rule("fibre=no", "village.broadband"), JUDGE_FAIL);
    /* an unanswered measure is undecided, and so is the village: never a silent pass */
    assert_int_equal(village_rule("water_litres=", "village.water_litres"), JUDGE_NA);
    assert_int_equal(village_rule("water_litres=", "village.exit"), JUDGE_NA);
    assert_int_equal(village_rule("doctor_licensed=", "village.exit"), JUDGE_NA);
    {
        village_at_bounds(&k);
        kv_set(&k, "water_litres=");
        judge_village(&params, &a, &r);
        assert_int_equal(r.village_ok, -1);
        kv_set(&k, "water_minutes=11"); /* a failing item decides it whatever is missing */
        judge_village(&params, &a, &r);
        assert_int_equal(r.village_ok, 0);
        assert_int_equal(rule(&r, "village.exit")->outcome, JUDGE_FAIL);
    }
    /* not applicable is not unanswered: a village where buses are not feasible still passes */
    assert_int_equal(village_rule("bus_feasible=no", "village.exit"), JUDGE_PASS);
    assert_int_equal(village_rule(NULL, "village.exit"), JUDGE_PASS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exit_standard_and_cases),
        cmocka_unit_test(unexited_and_data_quality),
        cmocka_unit_test(missed_households),
        cmocka_unit_test(village_items),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
