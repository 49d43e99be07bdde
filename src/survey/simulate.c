/*
 * simulate.c — fieldwork without a field team (survey.h field_simulate, docs/fieldwork.md):
 * a questionnaire for every sampled household and village, its answers derived from synth's
 * truth.csv and the registry, so the whole round runs end to end in demos, tests and the
 * estimation study. Real offices have no truth: this file is the only reader of truth.csv.
 *
 * Answers. Every answerable question of the form gets a value: a truth- or registry-derived
 * one for the questions judgments read (income, 两不愁三保障 items, approval, the four kinds of
 * persons, household size and members, the village's measured indicators), a neutral default
 * for the rest ("no" for a gap, "yes" for a policy that worked, the first choice otherwise);
 * the form's own skip logic then drops what is not relevant (lenient validation). A simulated
 * questionnaire that fails validation is a bug in this file and stops the simulation.
 *
 * Noise. With probability error_rate an enumerator's error reverses the household's decisive
 * finding (a wrong exit recorded as sound or the reverse; a missed poor household recorded as
 * not poor or the reverse), so judgments disagree with the truth at that rate. With
 * probability nonresponse a household is not reached (reason drawn from the five codes) and
 * its reserve is tried the same way. Durations, GPS and evidence get a few implausible values
 * so field-quality checks have something to find.
 *
 * Determinism: every random draw comes from a generator seeded by (seed, unit code), so the
 * result does not depend on the order units are visited.
 */
#include "field_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------ randomness */

static double rng_normal(struct rng *r)
{
    double u = rng_u(r), v = rng_u(r);
    if (u < 1e-300) u = 1e-300;
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static void rng_for(struct rng *r, uint64_t seed, const char *unit, const char *what)
{
    char buf[160];
    snprintf(buf, sizeof buf, "%s|%s", unit, what);
    r->s = seed ^ u64_hash_str(buf, strlen(buf));
}

/* ------------------------------------------------------------------ truth */

struct truth {
    double income;
    int stable, food, water, education, medical, housing, policy, poor;
    int payroll, vehicle, house, business;
    int knows_exit, approves; /* -1: not asked */
};

/* Reads truth.csv, keeping only the households of the sample (hash of id -> truth index). */
static int load_truth(struct fctx *c, const char *path, struct truth **out, struct u64map *map,
                      struct error *e)
{
    static const struct csv_column cols[] = {
        {"household_id", NULL, 1}, {"income", NULL, 1},       {"stable_income", NULL, 1},
        {"food_clothing", NULL, 1}, {"water", NULL, 1},       {"education", NULL, 1},
        {"medical", NULL, 1},       {"housing", NULL, 1},     {"policy_effect", NULL, 1},
        {"poor", NULL, 1},          {"payroll", NULL, 1},     {"vehicle", NULL, 1},
        {"commercial_housing", NULL, 1}, {"business", NULL, 1}, {"knows_exit", NULL, 1},
        {"approves", NULL, 1}};
    int idx[16];
    struct csv *csv;
    struct truth *t = mem_calloc(c->nunits + 1, sizeof *t);
    size_t n = 0;
    int rc;
    u64map_init(map);
    if (!t) return error_set(e, ERR_NOMEM, "out of memory");
    rc = csv_open(path, &csv, e);
    if (rc) {
        mem_free(t);
        return rc;
    }
    rc = csv_next(csv, e);
    if (rc == 1) rc = csv_map_header(csv, cols, 16, idx, NULL, e);
    else if (rc == 0) rc = error_set(e, ERR_INVALID, "%s: empty", path);
    while (rc == 0 && (rc = csv_next(csv, e)) == 1) {
        rc = 0;
        const char *id = csv_field(csv, (size_t)idx[0]);
        struct sunit *u = fctx_unit(c, id);
        struct truth *x;
        double d;
        if (!u || strcmp(u->stage, "village") == 0) continue;
        if (n >= c->nunits) break;
        x = &t[n];
        parse_double(csv_field(csv, (size_t)idx[1]), &d);
        x->income = d;
#define B(f, k) x->f = *csv_field(csv, (size_t)idx[k]) ? atoi(csv_field(csv, (size_t)idx[k])) : -1
        B(stable, 2);
        B(food, 3);
        B(water, 4);
        B(education, 5);
        B(medical, 6);
        B(housing, 7);
        B(policy, 8);
        B(poor, 9);
        B(payroll, 10);
        B(vehicle, 11);
        B(house, 12);
        B(business, 13);
        B(knows_exit, 14);
        B(approves, 15);
#undef B
        if (u64map_put(map, u64_hash_str(id, strlen(id)), n, NULL) < 0) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            break;
        }
        n++;
    }
    csv_close(csv);
    if (rc < 0) {
        mem_free(t);
        u64map_release(map);
        return rc;
    }
    *out = t;
    return 0;
}

/* ------------------------------------------------------------------ registry facts */

struct member {
    char name[64], relation[16];
    int age, in_school, insured;
};

struct hhfacts {
    int registered, exit_year, returned, identified_year;
    unsigned flags;
    struct member m[24];
    int nm;
};

static int load_household(struct store *s, const char *id, int ref_date, struct hhfacts *h,
                          struct error *e)
{
    struct stmt *st;
    int rc;
    memset(h, 0, sizeof *h);
    rc = store_prepare(s, "SELECT h.registered, coalesce(h.exit_year, 0), h.returned,"
                          " coalesce(h.identified_year, 0), h.allowance, h.hardship, h.disability,"
                          " h.illness, h.unsafe_house, m.name, m.relation, m.resident,"
                          " m.in_school, m.medical_insurance FROM households h JOIN members m ON"
                          " m.household = h.row_no WHERE h.household_id = ? ORDER BY m.row_no",
                       &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, id, strlen(id));
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct member *m;
        char rid[19];
        h->registered = (int)stmt_int(st, 0);
        h->exit_year = (int)stmt_int(st, 1);
        h->returned = (int)stmt_int(st, 2);
        h->identified_year = (int)stmt_int(st, 3);
        h->flags = (stmt_int(st, 4) ? 1u : 0) | (stmt_int(st, 5) ? 2u : 0) |
                   (stmt_int(st, 6) ? 4u : 0) | (stmt_int(st, 7) ? 8u : 0) |
                   (stmt_int(st, 8) ? 16u : 0);
        if (h->nm >= 24) continue;
        m = &h->m[h->nm++];
        snprintf(m->name, sizeof m->name, "%s", stmt_text(st, 9));
        snprintf(m->relation, sizeof m->relation, "%s", stmt_text(st, 10));
        ids_unpack((uint64_t)stmt_int(st, 11), rid);
        m->age = date_age(atoi((char[9]){rid[6], rid[7], rid[8], rid[9], rid[10], rid[11],
                                          rid[12], rid[13], 0}),
                          ref_date);
        if (m->age < 0) m->age = 0;
        m->in_school = (int)stmt_int(st, 12);
        m->insured = (int)stmt_int(st, 13);
    }
    stmt_finalize(st);
    if (rc < 0) return rc;
    if (!h->nm) return error_set(e, ERR_NOTFOUND, "household %s is not in the registry", id);
    return 0;
}

/* ------------------------------------------------------------------ answers */

/* yes_no questions whose sound answer is yes (the rest default to no: a gap, a problem). */
static const char positive[] =
    "water_ok|edu_policy_ok|other_stage_policy_ok|insured_all|premium_subsidy|chronic_contracted|"
    "doctor_service|chronic_card|chronic_drug_subsidy|one_stop|renovation_compliant|"
    "rebuild_area_ok|renovation_quality_ok|old_house_demolished|renovation_subsidy_ok|"
    "housing_safe|industry_eligible|project_running|project_income|industry_targeted|"
    "employment_eligible|training_fit|loan_obtained|loan_terms_ok|loan_use_ok|allowance_accurate|"
    "pension_contrib_all|pension_benefit_paid|hardship_accurate|income_above_line_last|"
    "income_above_line_next|income_stable|meets_standard|knows_exit|exit_sustainable|"
    "food_clothing_ok|policy_effect|persuaded_back|has_work_team|road_hardened|"
    "water_quality_ok|doctor_licensed|fibre|bus_feasible";

struct over {
    const char *name;
    char value[64];
};

struct sim {
    struct over o[64];
    int n;
};

static void put(struct sim *s, const char *name, const char *fmt, ...) PG_PRINTF(3, 4);
static void put(struct sim *s, const char *name, const char *fmt, ...)
{
    va_list ap;
    int i;
    for (i = 0; i < s->n && strcmp(s->o[i].name, name); i++) {}
    if (i == s->n) {
        if (s->n == 64) return;
        s->o[s->n++].name = name;
    }
    va_start(ap, fmt);
    vsnprintf(s->o[i].value, sizeof s->o[i].value, fmt, ap);
    va_end(ap);
}

static const char *get(const struct sim *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->o[i].name, name)) return s->o[i].value;
    return NULL;
}

/* A neutral answer for row r of f. */
static const char *fallback(const struct form *f, int r, const char *date, const char *gps,
                            char *buf, size_t size)
{
    const struct form_row *row = &f->rows[r];
    const struct form_list *l;
    switch (row->type) {
    case FORM_SELECT_ONE:
    case FORM_SELECT_MULTIPLE:
        l = form_row_list(f, r);
        if (!l || !l->n) return NULL;
        if (!strcmp(l->name, "yes_no") || !strcmp(l->name, "have"))
            return str_in_list(row->name, strlen(row->name), positive) ? "yes" : "no";
        if (!strcmp(l->name, "secured")) return "secure";
        if (!strcmp(l->name, "worry")) return "no_worry";
        if (!strcmp(l->name, "problem")) return "no_problem";
        if (!strcmp(l->name, "effect")) return "good";
        if (!strcmp(l->name, "household_type")) return "normal";
        return l->choices[0].name;
    case FORM_INTEGER: snprintf(buf, size, "0"); return buf;
    case FORM_DECIMAL: snprintf(buf, size, "0"); return buf;
    case FORM_TEXT: return "无";
    case FORM_DATE: return date;
    case FORM_GEOPOINT: return gps;
    default: return NULL;
    }
}

/* Fills every answerable top-level row (the repeat is filled by the caller). */
static int fill(struct answers *a, const struct form *f, const struct sim *s, const char *date,
                const char *gps)
{
    for (size_t r = 0; r < f->nrows; r++) {
        const struct form_row *row = &f->rows[r];
        const char *v;
        char buf[32];
        if (!form_type_answers(row->type) || row->type == FORM_CALCULATE || row->repeat >= 0)
            continue;
        v = get(s, row->name);
        if (!v) v = fallback(f, (int)r, date, gps, buf, sizeof buf);
        if (v && answers_set(a, row->name, v)) return ERR_NOMEM;
    }
    return 0;
}

struct simctx {
    struct fctx *c;
    uint64_t seed;
    double error_rate, nonresponse;
    const struct form *reg, *gen, *vil;
    struct answers *areg, *agen, *avil;
    struct truth *truth;
    struct u64map tmap;
    struct qbatch b;
    struct issues is;
    int today, survey_date;
    char date[16];
    struct field_stats *st;
    struct error *e;
    struct stmt *team_of; /* team of a county's city */
    int64_t *evidence_q; /* questionnaires that get evidence (indices into b.q) */
    size_t nev, capev;
};

static int team_of(struct simctx *x, int county)
{
    int team = 0;
    if (!x->team_of) return 0;
    stmt_reset(x->team_of);
    stmt_bind_int(x->team_of, 1, x->c->sample);
    stmt_bind_int(x->team_of, 2, county / 100);
    if (stmt_step(x->team_of, NULL) == STORE_ROW) team = (int)stmt_int(x->team_of, 0);
    return team;
}

/* Synthetic coordinates of a village, and a household near it (some far: a GPS problem). */
static void village_xy(int64_t village, double *lat, double *lon)
{
    uint64_t h = u64_hash_str((const char *)&village, sizeof village);
    *lat = 29.5 + (double)(h % 100000) / 100000.0 * 4.0;
    *lon = 114.9 + (double)((h >> 20) % 100000) / 100000.0 * 4.0;
}

static int add_questionnaire(struct simctx *x, struct qrec *q, struct answers *a, int evidence)
{
    long qi;
    issues_reset(&x->is);
    if (answers_validate(a, ANSWERS_LENIENT, x->today, &x->is, x->e)) return ERR_NOMEM;
    if (x->is.errors) {
        for (size_t k = 0; k < x->is.n; k++)
            if (x->is.items[k].severity == FORM_ERROR)
                return error_set(x->e, ERR_INTERNAL,
                                 "simulated questionnaire of %s does not validate: %s: %s (a bug "
                                 "in simulate.c)",
                                 q->unit, x->is.items[k].name, x->is.items[k].en);
    }
    qi = qbatch_add(&x->b, q, a, &x->is);
    if (qi < 0 || qbatch_duration_warning(&x->b, (size_t)qi))
        return error_set(x->e, ERR_NOMEM, "out of memory");
    if (evidence) {
        if (x->nev == x->capev) {
            size_t cap = x->capev ? x->capev * 2 : 256;
            int64_t *p = mem_realloc(x->evidence_q, cap * sizeof *p);
            if (!p) return error_set(x->e, ERR_NOMEM, "out of memory");
            x->evidence_q = p, x->capev = cap;
        }
        x->evidence_q[x->nev++] = qi;
    }
    return 0;
}

static void common_meta(struct simctx *x, struct rng *r, struct qrec *q, const struct sunit *u,
                        char *gps, size_t gsize)
{
    double lat, lon, dur;
    int far = rng_u(r) < 0.02, quick = rng_u(r) < 0.02;
    village_xy(u->village, &lat, &lon);
    lat += (far ? 0.05 + rng_u(r) * 0.1 : rng_normal(r) * 0.003);
    lon += (far ? 0.05 + rng_u(r) * 0.1 : rng_normal(r) * 0.003);
    snprintf(gps, gsize, "%.6f %.6f", lat, lon);
    dur = quick ? 3 + rng_u(r) * 5 : 45 + rng_normal(r) * 10;
    if (!quick && dur < 15) dur = 15;
    q->has_duration = 1;
    q->duration = floor(dur + 0.5);
    q->has_gps = 1;
    q->lat = lat;
    q->lon = lon;
    q->team = team_of(x, u->county);
    q->pair = "";
    q->date = x->date;
    q->county = u->county;
    q->village = u->village;
    q->unit = u->code;
    q->replaces = "";
    q->reason = "";
    q->source = "simulated";
}

/* One household: reached or not; if not, its reserve is tried. */
static int sim_household(struct simctx *x, struct sunit *u)
{
    struct rng r;
    struct hhfacts h;
    const struct truth *t;
    uint64_t *ti;
    struct sim s;
    struct qrec q;
    char gps[48], pair[64];
    int general = !strcmp(u->category, "general"), exited, rc, flip;
    struct answers *a;
    const struct form *f;
    rng_for(&r, x->seed, u->code, "household");
    memset(&q, 0, sizeof q);
    if (rng_u(&r) < x->nonresponse) {
        struct sunit *rep = fctx_replace(x->c, u);
        common_meta(x, &r, &q, u, gps, sizeof gps);
        q.unit_kind = "household";
        q.form = general ? x->gen->id : x->reg->id;
        q.nonresponse = 1;
        q.reason = field_reasons[rng_next(&r) % 5];
        q.replaces = rep ? rep->code : "";
        q.has_gps = 0;
        q.has_duration = 0;
        if (qbatch_add(&x->b, &q, NULL, NULL) < 0) return error_set(x->e, ERR_NOMEM, "oom");
        return rep ? sim_household(x, rep) : 0;
    }
    ti = u64map_get(&x->tmap, u64_hash_str(u->code, strlen(u->code)));
    if (!ti) return error_set(x->e, ERR_NOTFOUND, "household %s is not in the truth file", u->code);
    t = &x->truth[*ti];
    rc = load_household(x->c->s, u->code, x->survey_date, &h, x->e);
    if (rc) return rc;
    memset(&s, 0, sizeof s);
    exited = h.registered && h.exit_year && !h.returned;
    flip = rng_u(&r) < x->error_rate;
    /* the truth, possibly misrecorded: the decisive finding reversed */
    {
        int food = t->food, water = t->water, edu = t->education, med = t->medical;
        int housing = t->housing, stable = t->stable;
        double income = t->income;
        int poor = t->poor;
        if (flip && (exited || general)) {
            if (poor) { /* a problem the enumerator missed */
                food = water = edu = med = housing = stable = 1;
                if (income <= x->c->plan.line) income = x->c->plan.line * 1.2 + 100;
            } else { /* a problem the enumerator saw where there is none */
                housing = 0;
            }
        }
        /* can a dropout be recorded? only with a compulsory-age child */
        {
            int child = 0;
            for (int i = 0; i < h.nm; i++) child |= h.m[i].age >= 6 && h.m[i].age <= 15;
            if (!child) edu = 1;
            put(&s, "has_compulsory_student", "%s", child ? "yes" : "no");
        }
        pair[0] = '\0';
        put(&s, "household_id", "%s", u->code);
        put(&s, "head_name", "%s", h.nm ? h.m[0].name : "");
        put(&s, "income_per_capita", "%.0f", income);
        if (!general) {
            put(&s, "household_size", "%d", h.nm);
            put(&s, "household_status", "%s", exited ? "exited" : "poor");
            put(&s, "returned", "%s", h.returned ? "yes" : "no");
            put(&s, "water_ok", "%s", water ? "yes" : "no");
            put(&s, "water_problem", "quality");
            put(&s, "dropout", "%s", edu ? "no" : "yes");
            put(&s, "dropout_reason", "hardship");
            put(&s, "insured_all", "%s", med ? "yes" : "no");
            put(&s, "medical_policy_gap", "%s", med ? "no" : "yes");
            put(&s, "housing_safe", "%s", housing ? "yes" : "no");
            put(&s, "food_clothing_ok", "%s", food ? "yes" : "no");
            put(&s, "income_above_line_last", "%s", income > x->c->plan.line ? "yes" : "no");
            put(&s, "income_above_line_next", "%s", income > x->c->plan.line ? "yes" : "no");
            put(&s, "income_stable", "%s", stable ? "yes" : "no");
            put(&s, "policy_effect", "%s", t->policy == 0 ? "no" : "yes");
            put(&s, "meets_standard", "%s",
                food && water && edu && med && housing && stable && income > x->c->plan.line
                    ? "yes"
                    : "no");
            put(&s, "knows_exit", "%s", t->knows_exit == 0 ? "no" : "yes");
            put(&s, "newly_included_this_year", "%s",
                h.identified_year == x->c->plan.year ? "yes" : "no");
            put(&s, "payroll", "%s", t->payroll == 1 ? "yes" : "no");
            put(&s, "vehicle", "%s", t->vehicle == 1 ? "yes" : "no");
            put(&s, "commercial_housing", "%s", t->house == 1 ? "yes" : "no");
            put(&s, "business", "%s", t->business == 1 ? "yes" : "no");
            put(&s, "receives_allowance", "%s", h.flags & 1 ? "yes" : "no");
            put(&s, "receives_hardship", "%s", h.flags & 2 ? "yes" : "no");
        } else {
            int problem = !(food && water && edu && med && housing);
            char types[96] = "";
            static const char *tn[] = {"allowance", "hardship", "disabled", "illness",
                                       "unsafe_house"};
            for (int b = 0; b < 5; b++)
                if (h.flags & (1u << b))
                    snprintf(types + strlen(types), sizeof types - strlen(types), "%s%s",
                             types[0] ? " " : "", tn[b]);
            put(&s, "household_type", "%s", types[0] ? types : "normal");
            put(&s, "registered_size", "%d", h.nm);
            put(&s, "sharing_size", "%d", h.nm);
            put(&s, "support_capable", "yes");
            put(&s, "food_clothing_worry", "%s", food ? "no_worry" : "worry");
            put(&s, "water_secure", "%s", water ? "secure" : "insecure");
            put(&s, "dropout", "%s", edu ? "no" : "yes");
            put(&s, "dropout_reason", "hardship");
            put(&s, "serious_patient", "%s", med ? "no" : "yes");
            put(&s, "medical_burden_heavy", "yes");
            put(&s, "basic_living_secure", "%s", med ? "secure" : "insecure");
            put(&s, "housing_secure", "%s", housing ? "secure" : "insecure");
            put(&s, "overall_problem", "%s", problem ? "problem" : "no_problem");
            put(&s, "workers", "%d", h.nm > 1 ? 1 : 0);
            put(&s, "wage_income", "%.0f", h.nm > 1 ? income * h.nm * 0.6 : 0);
            put(&s, "missed", "%s", problem || income <= x->c->plan.line ? "yes" : "no");
            put(&s, "missed_persons", "%d", h.nm);
            put(&s, "infra_improved", "some");
            put(&s, "approves", "%s", t->approves == 0 ? "disapprove" : "approve");
        }
        put(&s, "enumerator", "simulated");
        put(&s, "survey_date", "%s", x->date);
    }
    common_meta(x, &r, &q, u, gps, sizeof gps);
    if (q.team) { /* one of the team's household pairs */
        snprintf(pair, sizeof pair, "%d-%d", q.team, 1 + (int)(rng_next(&r) % 6));
        q.pair = pair;
    }
    put(&s, "location", "%s", gps);
    f = general ? x->gen : x->reg;
    a = general ? x->agen : x->areg;
    answers_reset(a);
    rc = fill(a, f, &s, x->date, gps);
    if (!rc && !general) {
        for (int i = 0; i < h.nm && !rc; i++) {
            long inst;
            char age[8];
            rc = answers_add_instance(a, "member", &inst);
            snprintf(age, sizeof age, "%d", h.m[i].age);
            if (!rc) rc = answers_set_in(a, "name", inst, h.m[i].name);
            if (!rc) rc = answers_set_in(a, "relation", inst, h.m[i].relation);
            if (!rc) rc = answers_set_in(a, "age", inst, age);
            if (!rc) rc = answers_set_in(a, "in_school", inst, h.m[i].in_school ? "yes" : "no");
            if (!rc) rc = answers_set_in(a, "medical_insured", inst, h.m[i].insured ? "yes" : "no");
        }
        if (!rc) x->st->members += h.nm;
    }
    if (rc) return error_set(x->e, ERR_NOMEM, "out of memory");
    q.unit_kind = "household";
    q.form = f->id;
    return add_questionnaire(x, &q, a, rng_u(&r) >= 0.03);
}

static int sim_village(struct simctx *x, struct sunit *u)
{
    struct stmt *st;
    struct sim s;
    struct qrec q;
    struct rng r;
    char gps[48];
    int rc;
    static const char *culture[7] = {"room", "square", "stage", "board", "culture_kit",
                                     "broadcast_kit", "sports_kit"};
    static const char *rooms[4] = {"consulting", "treatment", "public_health", "pharmacy"};
    rng_for(&r, x->seed, u->code, "village");
    memset(&s, 0, sizeof s);
    memset(&q, 0, sizeof q);
    rc = store_prepare(
        x->c->s,
        "SELECT v.name, v.poor, v.population, coalesce(v.road_hardened, 1), coalesce(v.road_width,"
        " 4.5), v.narrow_road_exception, coalesce(v.bus_feasible, 1), coalesce(v.bus_distance, 1),"
        " coalesce(v.water_quality, 1), coalesce(v.water_litres, 60), coalesce(v.water_minutes,"
        " 5), coalesce(v.water_guarantee, 98), coalesce(v.power_production, 100),"
        " coalesce(v.power_household, 100), coalesce(v.tv_household, 100),"
        " coalesce(v.culture_items, 7), coalesce(v.clinic_area, 80), coalesce(v.clinic_rooms, 4),"
        " coalesce(v.clinic_staff, 2), coalesce(v.village_doctor, 1), coalesce(v.fibre, 1),"
        " coalesce(v.broadband, 100), coalesce(v.collective_income, 50000), t.name,"
        " (SELECT count(*) FROM members m JOIN households h ON h.row_no = m.household WHERE"
        "  h.village = v.code AND h.registered = 1 AND (h.exit_year IS NULL OR h.returned = 1))"
        " FROM villages v JOIN townships t ON t.code = v.township WHERE v.code = ?",
        &st, x->e);
    if (rc) return rc;
    stmt_bind_int(st, 1, u->village);
    rc = stmt_step(st, x->e);
    if (rc != STORE_ROW) {
        stmt_finalize(st);
        return rc < 0 ? rc : error_set(x->e, ERR_NOTFOUND, "village %s not in the registry", u->code);
    }
    {
        char list[160] = "";
        int k = (int)stmt_int(st, 15);
        put(&s, "township", "%s", stmt_text(st, 23));
        put(&s, "village", "%s", stmt_text(st, 0));
        put(&s, "village_code", "%s", u->code);
        put(&s, "village_type", "%s", stmt_int(st, 1) ? "poor" : "non_poor");
        put(&s, "unexited_persons", "%lld", (long long)stmt_int(st, 24));
        put(&s, "population", "%lld", (long long)(stmt_int(st, 2) > 0 ? stmt_int(st, 2) : 1));
        put(&s, "road_hardened", "%s", stmt_int(st, 3) ? "yes" : "no");
        put(&s, "road_width", "%g", stmt_double(st, 4));
        put(&s, "narrow_exception", "%s", stmt_int(st, 5) ? "yes" : "no");
        put(&s, "bus_feasible", "%s", stmt_int(st, 6) ? "yes" : "no");
        put(&s, "bus_distance", "%g", stmt_double(st, 7));
        put(&s, "water_quality_ok", "%s", stmt_int(st, 8) ? "yes" : "no");
        put(&s, "water_litres", "%g", stmt_double(st, 9));
        put(&s, "water_minutes", "%g", stmt_double(st, 10));
        put(&s, "water_guarantee", "%g", stmt_double(st, 11));
        put(&s, "power_production", "%g", stmt_double(st, 12));
        put(&s, "power_household", "%g", stmt_double(st, 13));
        put(&s, "tv_household", "%g", stmt_double(st, 14));
        for (int i = 0; i < k && i < 7; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? " " : "",
                     culture[i]);
        put(&s, "culture_items", "%s", k ? list : "");
        put(&s, "clinic_area", "%g", stmt_double(st, 16));
        list[0] = '\0';
        k = (int)stmt_int(st, 17);
        for (int i = 0; i < k && i < 4; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? " " : "",
                     rooms[i]);
        put(&s, "clinic_rooms", "%s", k ? list : "");
        put(&s, "clinic_staff", "%lld", (long long)stmt_int(st, 18));
        put(&s, "served_population", "%lld", (long long)(stmt_int(st, 2) > 0 ? stmt_int(st, 2) : 1));
        put(&s, "doctor_licensed", "%s", stmt_int(st, 19) ? "yes" : "no");
        put(&s, "fibre", "%s", stmt_int(st, 20) ? "yes" : "no");
        put(&s, "broadband", "%g", stmt_double(st, 21));
        put(&s, "collective_income", "%.0f", stmt_double(st, 22));
        put(&s, "industry", "种养殖");
        put(&s, "checked_by", "simulated");
        put(&s, "check_date", "%s", x->date);
    }
    stmt_finalize(st);
    common_meta(x, &r, &q, u, gps, sizeof gps);
    answers_reset(x->avil);
    if (fill(x->avil, x->vil, &s, x->date, gps)) return error_set(x->e, ERR_NOMEM, "oom");
    q.unit_kind = "village";
    q.form = x->vil->id;
    q.has_gps = 0;
    return add_questionnaire(x, &q, x->avil, 1);
}

/* ------------------------------------------------------------------ CSV output */

static int write_csv(struct simctx *x, const char *dir, const char *form_id, const struct form *f,
                     struct error *e)
{
    struct strbuf path = STRBUF_INIT, line = STRBUF_INIT, mline = STRBUF_INIT;
    FILE *out = NULL, *mout = NULL;
    int rep = -1, rc = 0, any = 0;
    for (size_t r = 0; r < f->nrows; r++)
        if (f->rows[r].type == FORM_BEGIN_REPEAT) rep = (int)r;
    for (size_t i = 0; i < x->b.nq; i++) any |= !strcmp(x->b.q[i].form, form_id);
    if (!any) return 0;
    sb_addf(&path, "%s/%s.csv", dir, form_id);
    out = sb_ok(&path) ? NULL : fopen(path.buf, "w");
    if (rep >= 0) {
        sb_reset(&path);
        sb_addf(&path, "%s/%s.members.csv", dir, form_id);
        mout = sb_ok(&path) ? NULL : fopen(path.buf, "w");
    }
    if (!out || (rep >= 0 && !mout)) {
        rc = error_set(e, ERR_IO, "%s: cannot write: %s", path.buf, strerror(errno));
        goto out;
    }
    sb_adds(&line, "unit,team,pair,duration_min,status,reason");
    for (size_t r = 0; r < f->nrows; r++)
        if (form_type_answers(f->rows[r].type) && f->rows[r].repeat < 0 &&
            f->rows[r].type != FORM_CALCULATE)
            sb_addf(&line, ",%s", f->rows[r].name);
    sb_addch(&line, '\n');
    if (rep >= 0) {
        sb_adds(&mline, "unit,member");
        for (size_t r = 0; r < f->nrows; r++)
            if (form_type_answers(f->rows[r].type) && f->rows[r].repeat == rep)
                sb_addf(&mline, ",%s", f->rows[r].name);
        sb_addch(&mline, '\n');
    }
    for (size_t i = 0; i < x->b.nq; i++) {
        const struct qrec *q = &x->b.q[i];
        long maxinst = -1;
        if (strcmp(q->form, form_id)) continue;
        sb_add_csv(&line, q->unit, strlen(q->unit));
        sb_addf(&line, ",%d,%s,", q->team, q->pair);
        if (q->has_duration) sb_addf(&line, "%g", q->duration);
        sb_addf(&line, ",%s,%s", q->nonresponse ? "nonresponse" : "complete", q->reason);
        for (size_t r = 0; r < f->nrows; r++) {
            const char *v = "";
            if (!form_type_answers(f->rows[r].type) || f->rows[r].repeat >= 0 ||
                f->rows[r].type == FORM_CALCULATE)
                continue;
            for (size_t k = q->first_answer; k < q->first_answer + q->nanswers; k++)
                if (x->b.a[k].instance < 0 && !strcmp(x->b.a[k].name, f->rows[r].name))
                    v = x->b.a[k].value;
            sb_addch(&line, ',');
            sb_add_csv(&line, v, strlen(v));
        }
        sb_addch(&line, '\n');
        for (size_t k = q->first_answer; k < q->first_answer + q->nanswers; k++)
            if (x->b.a[k].instance > maxinst) maxinst = x->b.a[k].instance;
        for (long inst = 0; inst <= maxinst && rep >= 0; inst++) {
            sb_add_csv(&mline, q->unit, strlen(q->unit));
            sb_addf(&mline, ",%ld", inst + 1);
            for (size_t r = 0; r < f->nrows; r++) {
                const char *v = "";
                if (!form_type_answers(f->rows[r].type) || f->rows[r].repeat != rep) continue;
                for (size_t k = q->first_answer; k < q->first_answer + q->nanswers; k++)
                    if (x->b.a[k].instance == inst && !strcmp(x->b.a[k].name, f->rows[r].name))
                        v = x->b.a[k].value;
                sb_addch(&mline, ',');
                sb_add_csv(&mline, v, strlen(v));
            }
            sb_addch(&mline, '\n');
        }
    }
    if (sb_ok(&line) || sb_ok(&mline)) rc = error_set(e, ERR_NOMEM, "out of memory");
    else if (fwrite(line.buf, 1, line.len, out) != line.len ||
             (mout && fwrite(mline.buf, 1, mline.len, mout) != mline.len))
        rc = error_set(e, ERR_IO, "%s: write failed", dir);
out:
    if (out) fclose(out);
    if (mout) fclose(mout);
    sb_release(&path);
    sb_release(&line);
    sb_release(&mline);
    return rc;
}

/* A placeholder photo for each questionnaire that has evidence (most: the rest let the
 * field-quality check find questionnaires without it). */
static int attach_evidence(struct simctx *x, struct error *e)
{
    const char **units = mem_calloc(x->nev, sizeof *units);
    const char **names = mem_calloc(x->nev, sizeof *names);
    const void **data = mem_calloc(x->nev, sizeof *data);
    size_t *lens = mem_calloc(x->nev, sizeof *lens);
    int64_t *qs = mem_calloc(x->nev, sizeof *qs);
    struct arena a;
    int rc = 0;
    arena_init(&a, 1 << 16);
    if (!units || !names || !data || !lens || !qs) rc = error_set(e, ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < x->nev && !rc; i++) {
        const struct qrec *q = &x->b.q[x->evidence_q[i]];
        char *svg = arena_printf(&a,
                                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"320\" "
                                 "height=\"60\"><text x=\"8\" y=\"36\">%s %s %s</text></svg>\n",
                                 q->unit, q->form, q->date);
        if (!svg) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            break;
        }
        units[i] = q->unit;
        qs[i] = q->row;
        names[i] = !strcmp(q->unit_kind, "village") ? "village.svg" : "household.svg";
        data[i] = svg;
        lens[i] = strlen(svg);
    }
    if (!rc) rc = evidence_add_blobs(x->c->s, x->nev, units, qs, names, data, lens, e);
    if (!rc) x->st->evidence = (int64_t)x->nev;
    arena_release(&a);
    mem_free(units);
    mem_free(names);
    mem_free(data);
    mem_free(lens);
    mem_free(qs);
    return rc;
}

/* ------------------------------------------------------------------ the simulation */

static int load_form(const char *dir, const char *file, struct form **out, struct error *e)
{
    struct strbuf path = STRBUF_INIT;
    struct errlist errs;
    int rc;
    errlist_init(&errs, 5);
    sb_addf(&path, "%s/%s", dir, file);
    rc = sb_ok(&path) ? error_set(e, ERR_NOMEM, "oom") : form_load(path.buf, out, &errs, NULL, e);
    errlist_release(&errs);
    sb_release(&path);
    return rc;
}

int field_simulate(struct store *s, const char *sample, const char *truth_csv, uint64_t seed,
                   double error_rate, double nonresponse, const char *forms_dir,
                   const char *out_dir, struct field_stats *st, struct error *e)
{
    struct fctx c;
    struct simctx x;
    struct form *reg = NULL, *gen = NULL, *vil = NULL;
    size_t nbefore;
    int rc;
    {
        int review = st->review; /* the one input field */
        memset(st, 0, sizeof *st);
        st->review = review;
    }
    memset(&x, 0, sizeof x);
    rc = fctx_open(s, sample, &c, e);
    if (!rc && (rc = fctx_load_all(&c, e))) fctx_close(&c); /* it visits every unit */
    if (rc) return rc;
    c.review = st->review;
    x.c = &c;
    x.seed = seed;
    x.error_rate = error_rate;
    x.nonresponse = nonresponse;
    x.st = st;
    x.e = e;
    x.today = date_today();
    /* fieldwork in late November of the plan's year, or today if that is earlier */
    x.survey_date = c.plan.year * 10000 + 1125;
    if (x.survey_date > x.today) x.survey_date = x.today;
    snprintf(x.date, sizeof x.date, "%04d-%02d-%02d", x.survey_date / 10000,
             x.survey_date / 100 % 100, x.survey_date % 100);
    qbatch_init(&x.b);
    issues_init(&x.is);
    u64map_init(&x.tmap);
    rc = load_form(forms_dir, "registered-household.json", &reg, e);
    if (!rc) rc = load_form(forms_dir, "general-household.json", &gen, e);
    if (!rc) rc = load_form(forms_dir, "village-exit.json", &vil, e);
    if (rc) goto out;
    x.reg = reg, x.gen = gen, x.vil = vil;
    rc = answers_new(reg, &x.areg, e);
    if (!rc) rc = answers_new(gen, &x.agen, e);
    if (!rc) rc = answers_new(vil, &x.avil, e);
    if (!rc) rc = load_truth(&c, truth_csv, &x.truth, &x.tmap, e);
    if (rc) goto out;
    if (store_prepare(s, "SELECT team FROM team_cities WHERE sample = ? AND city = ?", &x.team_of,
                      NULL))
        x.team_of = NULL;
    nbefore = c.nunits; /* reserves activated on the way are visited by sim_household itself */
    for (size_t i = 0; i < nbefore && !rc; i++) {
        struct sunit *u = c.units[i];
        if (u->reserve || u->done) continue;
        if (!strcmp(u->stage, "village")) rc = sim_village(&x, u);
        else rc = sim_household(&x, u);
    }
    if (rc) goto out;
    if (out_dir) {
        if (mkdir(out_dir, 0777) && errno != EEXIST) {
            rc = error_set(e, ERR_IO, "%s: cannot create: %s", out_dir, strerror(errno));
            goto out;
        }
        rc = write_csv(&x, out_dir, reg->id, reg, e);
        if (!rc) rc = write_csv(&x, out_dir, gen->id, gen, e);
        if (!rc) rc = write_csv(&x, out_dir, vil->id, vil, e);
        if (rc) goto out;
    }
    {
        char key[160];
        snprintf(key, sizeof key, "simulated seed %llu", (unsigned long long)seed);
        rc = qbatch_store(&c, &x.b, "field simulate", key, st, e);
    }
    if (!rc && x.nev) rc = attach_evidence(&x, e);
out:
    stmt_finalize(x.team_of);
    answers_free(x.areg);
    answers_free(x.agen);
    answers_free(x.avil);
    form_free(reg);
    form_free(gen);
    form_free(vil);
    mem_free(x.truth);
    mem_free(x.evidence_q);
    u64map_release(&x.tmap);
    issues_release(&x.is);
    qbatch_release(&x.b);
    fctx_close(&c);
    return rc;
}
