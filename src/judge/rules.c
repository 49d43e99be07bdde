/*
 * rules.c — the judgment rules as pure functions (judge.h): answers and registry facts in,
 * rules with their outcome, value, bound and deciding answers out. No store, no clock.
 *
 * Bounds follow DESIGN §6.4 (the seeds' words fix them): income 超过 the line (>), the
 * allowance standard 未超过 the line (≤: no-exit case 8), village incidence 降至2%以下 (≤),
 * road 不低于3.5米 (≥, 3.0 m under the exception), bus 两公里以内 (≤), water 不低于40升 (≥),
 * 不超过10分钟 (≤), 不低于95% (≥), clinic 不低于60平方米 (≥), broadband 50兆以上 (≥). Village
 * bounds come from the plan's village_standard where it has the item, else from these
 * defaults.
 *
 * Invariant: a rule with an unanswered input is JUDGE_NA, never a silent pass or fail.
 */
#include "judge.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static struct jrule *add(struct jresult *r, const char *rule, enum judge_outcome o)
{
    struct jrule *j;
    if (r->n >= JUDGE_MAX_RULES) return &r->r[JUDGE_MAX_RULES - 1];
    j = &r->r[r->n++];
    memset(j, 0, sizeof *j);
    snprintf(j->rule, sizeof j->rule, "%s", rule);
    j->outcome = o;
    return j;
}

static const char *ans(const struct janswers *a, const char *name)
{
    const char *v = a->get(a->ctx, name);
    return v && *v ? v : NULL;
}

static int is(const struct janswers *a, const char *name, const char *value)
{
    const char *v = ans(a, name);
    return v && !strcmp(v, value);
}

/* "name=value name2=value2" of the answers named (unanswered shown as name=∅). */
static void cite(const struct janswers *a, char *out, size_t size, const char *names)
{
    char buf[256];
    const char *p = names;
    size_t len = 0;
    out[0] = '\0';
    while (*p) {
        const char *sp = strchr(p, ' ');
        size_t n = sp ? (size_t)(sp - p) : strlen(p);
        const char *v;
        if (n >= sizeof buf) n = sizeof buf - 1;
        memcpy(buf, p, n);
        buf[n] = '\0';
        v = ans(a, buf);
        len += (size_t)snprintf(out + len, len < size ? size - len : 0, "%s%s=%s",
                                len ? " " : "", buf, v ? v : "∅");
        if (len >= size) break;
        p += n;
        while (*p == ' ') p++;
    }
}

/* A yes/no item that passes on `good`. */
static int item(struct jresult *r, const struct janswers *a, const char *rule, const char *q,
                const char *good, const char *bound)
{
    const char *v = ans(a, q);
    struct jrule *j = add(r, rule, !v ? JUDGE_NA : strcmp(v, good) ? JUDGE_FAIL : JUDGE_PASS);
    snprintf(j->value, sizeof j->value, "%s", v ? v : "unanswered");
    snprintf(j->bound, sizeof j->bound, "%s", bound);
    cite(a, j->answers, sizeof j->answers, q);
    return j->outcome;
}

static int number(const struct janswers *a, const char *q, double *out)
{
    const char *v = ans(a, q);
    return v && parse_double(v, out) == 0;
}

void judge_household(const struct jparams *p, const struct janswers *a, int general,
                     const struct jregistry *reg, struct jresult *r)
{
    double income = 0;
    int have_income;
    memset(r, 0, sizeof *r);
    r->wrong_exit = r->missed = r->approval = r->four_kinds = r->village_ok = -1;
    r->exited = reg->registered && reg->exit_year && !reg->returned;
    r->persons = reg->persons;
    have_income = number(a, "income_per_capita", &income);

    if (general) {
        /* missed: income at or below the line, or an item the household cannot meet itself */
        int fail = 0, na = 0, o;
        struct jrule *j = add(r, "missed.income", JUDGE_NA);
        if (have_income) {
            j->outcome = income <= p->line ? JUDGE_FAIL : JUDGE_PASS;
            snprintf(j->value, sizeof j->value, "%.0f", income);
        } else {
            snprintf(j->value, sizeof j->value, "unanswered");
        }
        snprintf(j->bound, sizeof j->bound, "> %.0f (超过扶贫标准)", p->line);
        cite(a, j->answers, sizeof j->answers, "income_per_capita");
        fail += j->outcome == JUDGE_FAIL, na += j->outcome == JUDGE_NA;
        o = item(r, a, "missed.food_clothing", "food_clothing_worry", "no_worry", "不愁吃穿");
        fail += o == JUDGE_FAIL, na += o == JUDGE_NA;
        o = item(r, a, "missed.water", "water_secure", "secure", "饮水安全有保障");
        fail += o == JUDGE_FAIL, na += o == JUDGE_NA;
        o = item(r, a, "missed.education", "dropout", "no", "无义务教育阶段辍学");
        fail += o == JUDGE_FAIL, na += o == JUDGE_NA;
        if (is(a, "serious_patient", "yes"))
            o = item(r, a, "missed.medical", "basic_living_secure", "secure",
                     "大病后基本生活有保障");
        else
            o = item(r, a, "missed.medical", "serious_patient", "no", "无未保障的大病重病");
        fail += o == JUDGE_FAIL, na += o == JUDGE_NA;
        o = item(r, a, "missed.housing", "housing_secure", "secure", "住房安全有保障");
        fail += o == JUDGE_FAIL, na += o == JUDGE_NA;
        r->missed = fail ? 1 : na ? -1 : 0;
        j = add(r, "missed", r->missed < 0 ? JUDGE_NA : r->missed ? JUDGE_FAIL : JUDGE_PASS);
        snprintf(j->value, sizeof j->value, "%s",
                 r->missed < 0 ? "undecided" : r->missed ? "missed poor household (漏评)"
                                                         : "not poor");
        snprintf(j->bound, sizeof j->bound, "income ≤ %.0f or a 两不愁三保障 item failing",
                 p->line);
        cite(a, j->answers, sizeof j->answers, "missed missed_persons");
        {
            /* the team's own judgment, recorded beside the rule's */
            const char *t = ans(a, "missed");
            if (t && r->missed >= 0 && (strcmp(t, "yes") == 0) != (r->missed == 1)) {
                struct jrule *k = add(r, "missed.team_disagrees", JUDGE_FAIL);
                snprintf(k->value, sizeof k->value, "team says %s", t);
                snprintf(k->bound, sizeof k->bound, "the rule says %s",
                         r->missed ? "missed" : "not missed");
                cite(a, k->answers, sizeof k->answers, "missed");
            }
        }
        {
            double mp;
            if (number(a, "missed_persons", &mp) && r->missed == 1 && mp >= 1)
                r->persons = reg->persons > 0 ? reg->persons : (int)mp;
        }
        /* approval of the village's poverty work */
        {
            const char *v = ans(a, "approves");
            struct jrule *k = add(r, "approval", v ? (!strcmp(v, "approve") ? JUDGE_PASS
                                                                             : JUDGE_FAIL)
                                                   : JUDGE_NA);
            r->approval = v ? !strcmp(v, "approve") : -1;
            snprintf(k->value, sizeof k->value, "%s", v ? v : "unanswered");
            snprintf(k->bound, sizeof k->bound, "认可本村脱贫攻坚工作");
            cite(a, k->answers, sizeof k->answers, "approves");
        }
        return;
    }

    /* registered household: the exit standard */
    {
        int fail = 0, na = 0, o;
        struct jrule *j = add(r, "exit.income", JUDGE_NA);
        if (have_income) {
            j->outcome = income > p->line ? JUDGE_PASS : JUDGE_FAIL;
            snprintf(j->value, sizeof j->value, "%.0f", income);
            cite(a, j->answers, sizeof j->answers, "income_per_capita income_above_line_last");
        } else { /* the seed's own question: above the line, yes or no */
            const char *v = ans(a, "income_above_line_last");
            j->outcome = !v ? JUDGE_NA : !strcmp(v, "yes") ? JUDGE_PASS : JUDGE_FAIL;
            snprintf(j->value, sizeof j->value, "%s", v ? v : "unanswered");
            cite(a, j->answers, sizeof j->answers, "income_above_line_last");
        }
        snprintf(j->bound, sizeof j->bound, "> %.0f (人均纯收入超过扶贫标准)", p->line);
        fail += j->outcome == JUDGE_FAIL, na += j->outcome == JUDGE_NA;
        o = item(r, a, "exit.income_stable", "income_stable", "yes", "收入稳定可持续");
        fail += o == JUDGE_FAIL, na += o == JUDGE_NA;
        o = item(r, a, "exit.food_clothing", "food_clothing_ok", "yes", "吃穿不愁 (case 1)");
        fail += o == JUDGE_FAIL, na += o == JUDGE_NA;
        o = item(r, a, "exit.water", "water_ok", "yes", "安全饮水 (case 2)");
        fail += o == JUDGE_FAIL, na += o == JUDGE_NA;
        if (is(a, "has_compulsory_student", "yes"))
            o = item(r, a, "exit.education", "dropout", "no", "义务教育有保障 (case 3)");
        else
            o = item(r, a, "exit.education", "has_compulsory_student", "no",
                     "无义务教育阶段学生 (case 3)");
        fail += o == JUDGE_FAIL, na += o == JUDGE_NA;
        o = item(r, a, "exit.medical", "insured_all", "yes", "基本医疗有保障 (case 4)");
        if (o == JUDGE_PASS && is(a, "medical_policy_gap", "yes")) {
            r->r[r->n - 1].outcome = JUDGE_FAIL;
            cite(a, r->r[r->n - 1].answers, sizeof r->r[r->n - 1].answers,
                 "insured_all medical_policy_gap");
            o = JUDGE_FAIL;
        }
        fail += o == JUDGE_FAIL, na += o == JUDGE_NA;
        o = item(r, a, "exit.housing", "housing_safe", "yes", "住房安全有保障 (case 5)");
        fail += o == JUDGE_FAIL, na += o == JUDGE_NA;
        j = add(r, "exit.standard", fail ? JUDGE_FAIL : na ? JUDGE_NA : JUDGE_PASS);
        snprintf(j->value, sizeof j->value, "%d failing, %d unanswered", fail, na);
        snprintf(j->bound, sizeof j->bound, "every item of the exit standard");
        if (r->exited) {
            r->wrong_exit = fail ? 1 : na ? -1 : 0;
            j = add(r, "wrong_exit", r->wrong_exit < 0 ? JUDGE_NA
                                     : r->wrong_exit ? JUDGE_FAIL : JUDGE_PASS);
            snprintf(j->value, sizeof j->value, "%s",
                     r->wrong_exit < 0 ? "undecided"
                     : r->wrong_exit ? "wrong exit (错退): exited without meeting the standard"
                                     : "sound exit");
            snprintf(j->bound, sizeof j->bound, "exited in %d, the exit standard", reg->exit_year);
        }
    }
    /* the eight no-exit cases: 1-5 are the items above; 6-8 for the year's exits */
    if (r->exited && reg->exit_year == p->year) {
        struct jrule *j;
        item(r, a, "case6.policy_effect", "policy_effect", "yes",
             "享受政策且当年扶贫成效明显 (case 6)");
        j = add(r, "case7.newly_included",
                reg->identified_year == p->year ? JUDGE_FAIL : JUDGE_PASS);
        snprintf(j->value, sizeof j->value, "identified %d, exited %d", reg->identified_year,
                 reg->exit_year);
        snprintf(j->bound, sizeof j->bound, "not newly included in %d (case 7)", p->year);
        snprintf(j->answers, sizeof j->answers, "registry identified_year=%d exit_year=%d",
                 reg->identified_year, reg->exit_year);
        j = add(r, "case8.allowance_standard",
                reg->allowance && plan_op_holds(PLAN_LE, reg->allowance_standard, p->line)
                    ? JUDGE_FAIL
                    : JUDGE_PASS);
        snprintf(j->value, sizeof j->value, "%s, local standard %.0f",
                 reg->allowance ? "allowance household" : "not an allowance household",
                 reg->allowance_standard);
        snprintf(j->bound, sizeof j->bound, "standard > %.0f for an allowance household (未超过: "
                                            "case 8)",
                 p->line);
        snprintf(j->answers, sizeof j->answers, "registry allowance=%d county standard=%.0f",
                 reg->allowance, reg->allowance_standard);
    }
    /* approval: exited households are asked whether they know and accept their exit */
    if (r->exited) {
        const char *v = ans(a, "knows_exit");
        struct jrule *j = add(r, "approval", v ? (!strcmp(v, "yes") ? JUDGE_PASS : JUDGE_FAIL)
                                               : JUDGE_NA);
        r->approval = v ? !strcmp(v, "yes") : -1;
        snprintf(j->value, sizeof j->value, "%s", v ? v : "unanswered");
        snprintf(j->bound, sizeof j->bound, "对自己脱贫知晓认可");
        cite(a, j->answers, sizeof j->answers, "knows_exit");
    }
    /* signs of wrong identification: the four kinds of persons */
    {
        static const char *k[4] = {"payroll", "vehicle", "commercial_housing", "business"};
        int yes = 0, na = 0;
        struct jrule *j;
        for (int i = 0; i < 4; i++) {
            const char *v = ans(a, k[i]);
            if (!v) na++;
            else if (!strcmp(v, "yes")) yes++;
        }
        r->four_kinds = yes ? 1 : na == 4 ? -1 : 0;
        j = add(r, "four_kinds", yes ? JUDGE_FAIL : na == 4 ? JUDGE_NA : JUDGE_PASS);
        snprintf(j->value, sizeof j->value, "%d of 4", yes);
        snprintf(j->bound, sizeof j->bound, "no member on the public payroll, with a good car, "
                                            "commercial housing or a business (四类人员)");
        cite(a, j->answers, sizeof j->answers, "payroll vehicle commercial_housing business");
    }
    /* registry data quality: what the team found against what the registry says */
    {
        double size;
        struct jrule *j;
        if (number(a, "household_size", &size)) {
            j = add(r, "data.household_size",
                    (int)size == reg->persons ? JUDGE_PASS : JUDGE_FAIL);
            snprintf(j->value, sizeof j->value, "team %.0f", size);
            snprintf(j->bound, sizeof j->bound, "registry %d", reg->persons);
            cite(a, j->answers, sizeof j->answers, "household_size");
        }
        if (a->instances) {
            long m = a->instances(a->ctx, "member");
            if (m > 0) {
                j = add(r, "data.members", m == reg->persons ? JUDGE_PASS : JUDGE_FAIL);
                snprintf(j->value, sizeof j->value, "%ld members listed", m);
                snprintf(j->bound, sizeof j->bound, "registry %d", reg->persons);
            }
        }
        if (ans(a, "household_status")) {
            int says_exited = is(a, "household_status", "exited");
            j = add(r, "data.status", says_exited == r->exited ? JUDGE_PASS : JUDGE_FAIL);
            snprintf(j->value, sizeof j->value, "team: %s", ans(a, "household_status"));
            snprintf(j->bound, sizeof j->bound, "registry: %s", r->exited ? "exited" : "poor");
            cite(a, j->answers, sizeof j->answers, "household_status returned");
        }
        if (have_income && reg->income > 0) {
            double rel = fabs(income - reg->income) / reg->income;
            j = add(r, "data.income", rel <= 0.5 ? JUDGE_PASS : JUDGE_FAIL);
            snprintf(j->value, sizeof j->value, "team %.0f", income);
            snprintf(j->bound, sizeof j->bound, "registry %.0f (within 50%%)", reg->income);
            cite(a, j->answers, sizeof j->answers, "income_per_capita");
        }
    }
}

/* ------------------------------------------------------------------ villages */

struct vdefault {
    const char *name;
    enum plan_op op;
    double value, exception;
    const char *words;
};

/* DESIGN §6.2 / §6.4 defaults, used where the plan has no village_standard entry. */
static const struct vdefault vdefaults[] = {
    {"incidence", PLAN_LE, 0.02, 0, "降至2%以下"},
    {"road_width", PLAN_GE, 3.5, 3.0, "不低于3.5米"},
    {"bus_distance", PLAN_LE, 2, 0, "两公里以内"},
    {"water_litres", PLAN_GE, 40, 0, "不低于40升"},
    {"water_minutes", PLAN_LE, 10, 0, "不超过10分钟"},
    {"water_guarantee", PLAN_GE, 95, 0, "不低于95%"},
    {"power_production", PLAN_GE, 100, 0, "达到100%"},
    {"power_household", PLAN_GE, 100, 0, "达到100%"},
    {"tv_household", PLAN_GE, 100, 0, "户户通"},
    {"culture_items", PLAN_GE, 7, 0, "7项齐全"},
    {"clinic_area", PLAN_GE, 60, 0, "不低于60平方米"},
    {"clinic_rooms", PLAN_GE, 4, 0, "4室齐全"},
    {"clinic_staff_per_1000", PLAN_GE, 1, 0, "每千人不低于1名"},
    {"village_doctor", PLAN_GE, 1, 0, "至少一名合格村医"},
    {"broadband", PLAN_GE, 50, 0, "50兆以上"},
};

static struct vdefault bound_of(const struct jparams *p, const char *name)
{
    struct vdefault d = {name, PLAN_GE, 0, 0, ""};
    const struct plan_item *it = p->plan ? plan_item_for(p->plan, name) : NULL;
    for (size_t i = 0; i < sizeof vdefaults / sizeof vdefaults[0]; i++)
        if (!strcmp(vdefaults[i].name, name)) d = vdefaults[i];
    if (it) {
        d.op = it->op;
        d.value = it->value;
        d.exception = it->exception;
        d.words = it->words;
    }
    return d;
}

/* A measured item against its bound; returns its outcome. */
static int measure(struct jresult *r, const struct jparams *p, const char *rule,
                   const char *item_name, int have, double v, double bound_override,
                   const char *answers)
{
    struct vdefault d = bound_of(p, item_name);
    double bound = bound_override > 0 ? bound_override : d.value;
    struct jrule *j = add(r, rule, !have ? JUDGE_NA
                                   : plan_op_holds(d.op, v, bound) ? JUDGE_PASS : JUDGE_FAIL);
    if (have) snprintf(j->value, sizeof j->value, "%g", v);
    else snprintf(j->value, sizeof j->value, "unanswered");
    snprintf(j->bound, sizeof j->bound, "%s %g (%s)", plan_op_text(d.op), bound, d.words);
    snprintf(j->answers, sizeof j->answers, "%s", answers);
    return j->outcome;
}

/* A measured answer (question q) against the bound of item_name. */
static int measure_q(struct jresult *r, const struct jparams *p, const struct janswers *a,
                     const char *rule, const char *item_name, const char *q, const char *answers)
{
    double x = 0;
    int have = number(a, q, &x);
    return measure(r, p, rule, item_name, have, x, 0, answers);
}

static int count_tokens(const char *v)
{
    int n = 0, in = 0;
    for (; v && *v; v++) {
        if (*v == ' ') in = 0;
        else if (!in) in = 1, n++;
    }
    return n;
}

void judge_village(const struct jparams *p, const struct janswers *a, struct jresult *r)
{
    char buf[256];
    double x, y;
    int fail = 0, o;
    memset(r, 0, sizeof *r);
    r->wrong_exit = r->missed = r->approval = r->four_kinds = -1;
    r->exited = 0;

    /* (一) incidence: registered unexited persons / population */
    {
        int have = number(a, "unexited_persons", &x) && number(a, "population", &y) && y > 0;
        cite(a, buf, sizeof buf, "unexited_persons population");
        o = measure(r, p, "village.incidence", "incidence", have, have ? x / y : 0, 0, buf);
        fail += o == JUDGE_FAIL;
    }
    /* (二) a hardened road, wide enough (3.0 m where the exception applies) */
    {
        struct vdefault d = bound_of(p, "road_width");
        int hard = is(a, "road_hardened", "yes"), have = number(a, "road_width", &x);
        double bound = is(a, "narrow_exception", "yes") && d.exception > 0 ? d.exception : d.value;
        cite(a, buf, sizeof buf, "road_hardened road_width narrow_exception");
        if (ans(a, "road_hardened") && !hard) {
            struct jrule *j = add(r, "village.road", JUDGE_FAIL);
            snprintf(j->value, sizeof j->value, "not hardened");
            snprintf(j->bound, sizeof j->bound, "一条通村公路实现硬化");
            snprintf(j->answers, sizeof j->answers, "%s", buf);
            o = JUDGE_FAIL;
        } else {
            o = measure(r, p, "village.road", "road_width", have, x, bound, buf);
        }
        fail += o == JUDGE_FAIL;
    }
    /* (三) a bus stop within 2 km, where buses are feasible */
    if (is(a, "bus_feasible", "no")) {
        struct jrule *j = add(r, "village.bus", JUDGE_NA);
        snprintf(j->value, sizeof j->value, "not feasible (不具备条件)");
        snprintf(j->bound, sizeof j->bound, "具备条件的村");
        cite(a, j->answers, sizeof j->answers, "bus_feasible");
    } else {
        cite(a, buf, sizeof buf, "bus_feasible bus_distance");
        o = measure_q(r, p, a, "village.bus", "bus_distance", "bus_distance", buf);
        fail += o == JUDGE_FAIL;
    }
    /* (四) drinking water: quality, quantity, time, guarantee */
    o = item(r, a, "village.water_quality", "water_quality_ok", "yes", "水质达标");
    fail += o == JUDGE_FAIL;
    cite(a, buf, sizeof buf, "water_litres");
    fail += measure_q(r, p, a, "village.water_litres", "water_litres", "water_litres", buf) == JUDGE_FAIL;
    cite(a, buf, sizeof buf, "water_minutes");
    fail += measure_q(r, p, a, "village.water_minutes", "water_minutes", "water_minutes", buf) == JUDGE_FAIL;
    cite(a, buf, sizeof buf, "water_guarantee");
    fail += measure_q(r, p, a, "village.water_guarantee", "water_guarantee", "water_guarantee", buf) == JUDGE_FAIL;
    /* (五) power, (六) broadcast TV */
    cite(a, buf, sizeof buf, "power_production");
    fail += measure_q(r, p, a, "village.power_production", "power_production", "power_production", buf) == JUDGE_FAIL;
    cite(a, buf, sizeof buf, "power_household");
    fail += measure_q(r, p, a, "village.power_household", "power_household", "power_household", buf) == JUDGE_FAIL;
    cite(a, buf, sizeof buf, "tv_household");
    fail += measure_q(r, p, a, "village.tv", "tv_household", "tv_household", buf) == JUDGE_FAIL;
    /* (七) the cultural service centre's 7 items */
    cite(a, buf, sizeof buf, "culture_items");
    fail += measure(r, p, "village.culture", "culture_items", ans(a, "culture_items") != NULL,
                    count_tokens(ans(a, "culture_items")), 0, buf) == JUDGE_FAIL;
    /* (八) a standard clinic: area, rooms, staff per 1000 served */
    cite(a, buf, sizeof buf, "clinic_area");
    fail += measure_q(r, p, a, "village.clinic_area", "clinic_area", "clinic_area", buf) == JUDGE_FAIL;
    cite(a, buf, sizeof buf, "clinic_rooms");
    fail += measure(r, p, "village.clinic_rooms", "clinic_rooms", ans(a, "clinic_rooms") != NULL,
                    count_tokens(ans(a, "clinic_rooms")), 0, buf) == JUDGE_FAIL;
    {
        int have = number(a, "clinic_staff", &x) && number(a, "served_population", &y) && y > 0;
        cite(a, buf, sizeof buf, "clinic_staff served_population");
        fail += measure(r, p, "village.clinic_staff", "clinic_staff_per_1000", have,
                        have ? x * 1000.0 / y : 0, 0, buf) == JUDGE_FAIL;
    }
    /* (九) a qualified village doctor */
    o = item(r, a, "village.doctor", "doctor_licensed", "yes", "至少一名合格村医");
    fail += o == JUDGE_FAIL;
    /* (十) fibre able to give 50 Mbps */
    if (ans(a, "fibre") && !is(a, "fibre", "yes")) {
        struct jrule *j = add(r, "village.broadband", JUDGE_FAIL);
        snprintf(j->value, sizeof j->value, "no fibre");
        snprintf(j->bound, sizeof j->bound, "光纤通达");
        cite(a, j->answers, sizeof j->answers, "fibre");
        fail++;
    } else {
        cite(a, buf, sizeof buf, "fibre broadband");
        fail += measure_q(r, p, a, "village.broadband", "broadband", "broadband", buf) == JUDGE_FAIL;
    }
    /* (十一) industry and collective income: considered, no bound */
    {
        struct jrule *j = add(r, "village.economy", JUDGE_NA);
        snprintf(j->value, sizeof j->value, "%s yuan", ans(a, "collective_income") ? ans(a, "collective_income") : "?");
        snprintf(j->bound, sizeof j->bound, "统筹考虑 (considered, no bound)");
        cite(a, j->answers, sizeof j->answers, "industry collective_income");
    }
    {
        /* an unanswered item leaves the village undecided unless another item already fails:
         * never a silent pass (a bus "not feasible" is not applicable, not unanswered) */
        int missing = 0;
        struct jrule *j;
        for (int i = 0; i < r->n; i++)
            if (r->r[i].outcome == JUDGE_NA && !strcmp(r->r[i].value, "unanswered") &&
                strcmp(r->r[i].rule, "village.economy"))
                missing++;
        r->village_ok = fail ? 0 : missing ? -1 : 1;
        j = add(r, "village.exit", fail ? JUDGE_FAIL : missing ? JUDGE_NA : JUDGE_PASS);
        snprintf(j->value, sizeof j->value, "%d item%s failing, %d unanswered", fail,
                 fail == 1 ? "" : "s", missing);
        snprintf(j->bound, sizeof j->bound, "every item of the village exit standard");
    }
}
