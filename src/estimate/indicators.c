/*
 * indicators.c — the indicators of a sample per county, city or province (estimate.h
 * estimate_sample, DESIGN §6.3 and §7).
 *
 * Data. Each surveyed household contributes one row: its county, village (the first-stage
 * unit of a county), village stratum, inclusion probabilities (county within province,
 * village within county, household within village: sample_units.pi), persons (the registry's,
 * as recorded with its judgments), and outcomes (judgments: wrong_exit, missed, approval).
 * Non-response: within each quota cell (village × stratum) the weights of the completed
 * questionnaires — originals and the reserves that replaced non-respondents — are multiplied
 * by selected / completed.
 *
 * Levels. A county's first-stage units are its villages, stratified by the plan's village
 * strata. Above a county: when every county was assessed, the strata are county × village
 * stratum and the units villages; when counties were sampled, the units are counties within
 * provinces (ultimate clusters) and the weights include 1/π of the county. Registry totals
 * (U, E, G, R) are summed over counties, Horvitz–Thompson weighted when counties were sampled.
 *
 * Totals from the registry: R rural population; U registered unexited persons (returned
 * households included: they are poor again); E persons of exited households of the
 * categories the plan's quotas sample; G persons of the general households the plan's
 * general quota samples (all of them, or only the vulnerable kinds: then the figure assumes
 * the others are not poor, and says so).
 */
#include "estimate_int.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int name_index(struct names *t, const char *s)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->s[i], s)) return (int)i;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char(*p)[48] = mem_realloc(t->s, cap * sizeof *p);
        if (!p) return -1;
        t->s = p, t->cap = cap;
    }
    snprintf(t->s[t->n], sizeof t->s[0], "%s", s);
    return (int)t->n++;
}

static int outcome_of(const char *o, int fail_is)
{
    if (!o || !*o || !strcmp(o, "na")) return -1;
    return !strcmp(o, "fail") ? fail_is : !fail_is;
}

/* Households with complete questionnaires, weights adjusted for non-response (estimate_int.h).
 * The quota cells' selected and completed counts are grouped once (sel, done), not counted
 * again for every household. */
int est_load_households(struct store *s, int64_t srow, struct hrec **out, size_t *nout,
                        struct names *strata, struct error *e)
{
    struct stmt *st = NULL;
    struct hrec *h = NULL;
    size_t n = 0, cap = 0;
    int rc = store_prepare(
        s,
        "WITH sel AS (SELECT village, stratum, count(*) AS n FROM sample_units WHERE sample = ?"
        "  AND stage = 'household' AND reserve = 0 GROUP BY village, stratum),"
        " done AS (SELECT o.village, o.stratum, count(*) AS n FROM questionnaires q2 JOIN"
        "  sample_units o ON o.sample = q2.sample AND o.code = q2.unit AND o.stage = 'household'"
        "  WHERE q2.sample = ? AND q2.status = 'complete' GROUP BY o.village, o.stratum)"
        " SELECT u.county, u.village, u.pi, v.stratum, v.pi, c.pi, u.stratum,"
        " (SELECT outcome FROM judgments j WHERE j.sample = q.sample AND j.unit = q.unit AND"
        "  j.rule = 'wrong_exit'),"
        " (SELECT outcome FROM judgments j WHERE j.sample = q.sample AND j.unit = q.unit AND"
        "  j.rule = 'missed'),"
        " (SELECT outcome FROM judgments j WHERE j.sample = q.sample AND j.unit = q.unit AND"
        "  j.rule = 'approval'),"
        " (SELECT detail FROM judgments j WHERE j.sample = q.sample AND j.unit = q.unit AND"
        "  j.rule IN ('exit.standard', 'missed') LIMIT 1),"
        " coalesce(sel.n, 0), coalesce(done.n, 0), q.unit, u.category,"
        " (SELECT outcome FROM judgments j WHERE j.sample = q.sample AND j.unit = q.unit AND"
        "  j.rule = 'four_kinds')"
        " FROM questionnaires q"
        " JOIN sample_units u ON u.sample = q.sample AND u.code = q.unit AND u.stage = 'household'"
        " JOIN sample_units v ON v.sample = q.sample AND v.stage = 'village' AND v.village ="
        "  u.village"
        " JOIN sample_units c ON c.sample = q.sample AND c.stage = 'county' AND c.county ="
        "  u.county"
        " LEFT JOIN sel ON sel.village = u.village AND sel.stratum = u.stratum"
        " LEFT JOIN done ON done.village = u.village AND done.stratum = u.stratum"
        " WHERE q.sample = ? AND q.status = 'complete' AND q.unit_kind = 'household'"
        " ORDER BY u.county, u.village, q.unit",
        &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 2, srow);
    stmt_bind_int(st, 3, srow);
    stmt_bind_int(st, 1, srow);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct hrec *r;
        json_t *d;
        if (n == cap) {
            size_t c2 = cap ? cap * 2 : 1024;
            struct hrec *p = mem_realloc(h, c2 * sizeof *p);
            if (!p) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            h = p, cap = c2;
        }
        r = &h[n];
        memset(r, 0, sizeof *r);
        r->county = (int)stmt_int(st, 0);
        r->city = r->county / 100;
        r->province = r->county / 10000;
        r->village = stmt_int(st, 1);
        r->pi_h = stmt_double(st, 2);
        r->vstratum = name_index(strata, stmt_text(st, 3));
        if (r->vstratum < 0) { /* out of memory, not a household to skip */
            rc = error_set(e, ERR_NOMEM, "out of memory");
            break;
        }
        r->pi_v = stmt_double(st, 4);
        r->pi_c = stmt_double(st, 5);
        r->wrong_exit = outcome_of(stmt_text(st, 7), 1);
        r->missed = outcome_of(stmt_text(st, 8), 1);
        r->approval = outcome_of(stmt_text(st, 9), 0);
        r->four_kinds = outcome_of(stmt_text(st, 15), 1);
        snprintf(r->unit, sizeof r->unit, "%s", stmt_text(st, 13));
        snprintf(r->quota, sizeof r->quota, "%s", stmt_text(st, 6));
        r->category = category_parse(stmt_text(st, 14));
        d = json_loads(stmt_text(st, 10), 0, NULL);
        {
            json_t *reg = json_object_get(d, "registry");
            r->persons = (double)json_integer_value(json_object_get(reg, "persons"));
            r->exited = json_integer_value(json_object_get(reg, "registered")) &&
                        json_integer_value(json_object_get(reg, "exit_year")) &&
                        !json_integer_value(json_object_get(reg, "returned"));
        }
        json_decref(d);
        if (r->persons <= 0) r->persons = 1;
        {
            double sel = (double)stmt_int(st, 11), done = (double)stmt_int(st, 12);
            r->adj = sel > 0 && done > 0 && sel > done ? sel / done : 1;
        }
        if (r->vstratum < 0 || r->pi_h <= 0 || r->pi_v <= 0 || r->pi_c <= 0) continue;
        n++;
    }
    stmt_finalize(st);
    if (rc < 0) {
        mem_free(h);
        return rc;
    }
    *out = h;
    *nout = n;
    return 0;
}

/* The plan's quota categories: which exited and general households the sample covers. */
static void covered(const struct plan *p, unsigned *cats, unsigned *gen_flags, int *gen_all)
{
    *cats = 0;
    *gen_flags = 0;
    *gen_all = 0;
    for (int q = 0; q < p->nquotas; q++) {
        *cats |= p->quotas[q].cats;
        if (p->quotas[q].cats & (1u << CAT_GENERAL)) {
            if (p->quotas[q].flags_any) *gen_flags |= p->quotas[q].flags_any;
            else *gen_all = 1;
        }
    }
}

int est_load_counties(struct store *s, int64_t srow, const struct plan *p, struct crec **out,
                      size_t *nout, struct error *e)
{
    struct stmt *st = NULL, *hh = NULL, *resp = NULL;
    struct crec *c = NULL;
    size_t n = 0, cap = 0;
    unsigned cats, gflags;
    int gall, rc;
    covered(p, &cats, &gflags, &gall);
    rc = store_prepare(s,
                       "SELECT u.county, u.pi, coalesce(c.name, ''), coalesce(c.region, ''),"
                       " coalesce(c.rural_population, 0), c.reported_wrong_exit,"
                       " c.reported_missed, c.reported_incidence, c.reported_approval"
                       " FROM sample_units u LEFT JOIN counties c ON c.code = u.county"
                       " WHERE u.sample = ? AND u.stage = 'county' ORDER BY u.county",
                       &st, e);
    if (!rc)
        rc = store_prepare(
            s,
            "SELECT h.registered, coalesce(h.identified_year, 0), coalesce(h.exit_year, 0),"
            " h.returned, h.allowance, h.hardship, h.disability, h.illness, h.unsafe_house,"
            " h.relocated, h.edge, h.monitored,"
            " (SELECT count(*) FROM members m WHERE m.household = h.row_no)"
            " FROM households h WHERE h.village BETWEEN ? AND ?",
            &hh, e);
    if (!rc)
        rc = store_prepare(
            s,
            "SELECT count(*),"
            " sum(EXISTS (SELECT 1 FROM questionnaires q WHERE q.sample = u.sample AND q.unit ="
            "  u.code AND q.status = 'complete')),"
            " sum(EXISTS (SELECT 1 FROM replacements r JOIN questionnaires q ON q.sample ="
            "  r.sample AND q.unit = r.replaced_by AND q.status = 'complete' WHERE r.sample ="
            "  u.sample AND r.unit = u.code)),"
            " (SELECT count(*) FROM sample_units v WHERE v.sample = u.sample AND v.stage ="
            "  'village' AND v.county = u.county)"
            " FROM sample_units u WHERE u.sample = ? AND u.stage = 'household' AND u.reserve = 0"
            " AND u.county = ?",
            &resp, e);
    if (rc) goto out;
    stmt_bind_int(st, 1, srow);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct crec *r;
        if (n == cap) {
            size_t c2 = cap ? cap * 2 : 32;
            struct crec *q = mem_realloc(c, c2 * sizeof *q);
            if (!q) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            c = q, cap = c2;
        }
        r = &c[n++];
        memset(r, 0, sizeof *r);
        r->code = (int)stmt_int(st, 0);
        r->pi = stmt_double(st, 1);
        snprintf(r->name, sizeof r->name, "%s", stmt_text(st, 2));
        snprintf(r->region, sizeof r->region, "%s", stmt_text(st, 3));
        r->R = (double)stmt_int(st, 4);
        for (int i = 0; i < IND_COUNT; i++) {
            static const int col[IND_COUNT] = {5, 6, 7, 8};
            r->has_reported[i] = stmt_type(st, col[i]) != STORE_NULL;
            r->reported[i] = stmt_double(st, col[i]);
        }
        /* registry totals */
        stmt_reset(hh);
        stmt_bind_int(hh, 1, (int64_t)r->code * 1000000);
        stmt_bind_int(hh, 2, (int64_t)r->code * 1000000 + 999999);
        while ((rc = stmt_step(hh, e)) == STORE_ROW) {
            struct hh_facts f = {(int)stmt_int(hh, 0), (int)stmt_int(hh, 1), (int)stmt_int(hh, 2),
                                 (int)stmt_int(hh, 3)};
            double persons = (double)stmt_int(hh, 12);
            enum hh_category k = household_category(&f, &p->win);
            unsigned flags = 0;
            for (int b = 0; b < 8; b++) {
                static const unsigned bit[8] = {HF_ALLOWANCE, HF_HARDSHIP, HF_DISABILITY,
                                                HF_ILLNESS,   HF_UNSAFE_HOUSE, HF_RELOCATED,
                                                HF_EDGE,      HF_MONITORED};
                if (stmt_int(hh, 4 + b)) flags |= bit[b];
            }
            if (f.registered && (!f.exit_year || f.returned)) r->U += persons;
            else if (f.registered && (cats & (1u << k))) r->E += persons;
            if (!f.registered && (gall || (flags & gflags))) r->G += persons;
        }
        if (rc < 0) goto out;
        stmt_reset(resp);
        stmt_bind_int(resp, 1, srow);
        stmt_bind_int(resp, 2, r->code);
        if ((rc = stmt_step(resp, e)) == STORE_ROW) {
            r->selected = stmt_int(resp, 0);
            r->reached = stmt_int(resp, 1);
            r->replaced = stmt_int(resp, 2);
            r->villages = stmt_int(resp, 3);
        }
        if (rc < 0) goto out;
        rc = 0;
    }
    if (rc < 0) goto out;
    rc = 0;
    *out = c;
    *nout = n;
    c = NULL;
out:
    stmt_finalize(st);
    stmt_finalize(hh);
    stmt_finalize(resp);
    mem_free(c);
    return rc;
}

/* Key of a record in the level: the county, city or province code. */
static int level_key(const char *level, int county)
{
    if (!strcmp(level, "city")) return county / 100;
    if (!strcmp(level, "province")) return county / 10000;
    return county;
}

/* The figures of one unit: households h[0..n) and counties c[0..nc) belonging to it. */
static void estimate_unit(const struct plan *p, const char *level, const struct hrec *h,
                          size_t n, const struct crec *c, size_t nc, int nstrata,
                          struct unit_est *u)
{
    struct obs *oe = mem_alloc((n + 1) * sizeof *oe), *om = mem_alloc((n + 1) * sizeof *om);
    struct obs *oa = mem_alloc((n + 1) * sizeof *oa);
    double *ze = mem_alloc((n + 1) * sizeof *ze), *zm = mem_alloc((n + 1) * sizeof *zm);
    size_t ne = 0, nm = 0, na = 0;
    int upper = strcmp(level, "county") != 0, sampled = p->county_sample && upper;
    if (!oe || !om || !oa || !ze || !zm) goto out;
    /* registry totals of the unit */
    for (size_t i = 0; i < nc; i++) {
        double w = sampled ? 1.0 / c[i].pi : 1.0;
        u->R += w * c[i].R;
        u->U += w * c[i].U;
        u->E += w * c[i].E;
        u->G += w * c[i].G;
        u->selected += c[i].selected;
        u->reached += c[i].reached;
        u->replaced += c[i].replaced;
        u->villages += c[i].villages;
    }
    u->counties = (int)nc;
    u->response = u->selected ? (double)u->reached / (double)u->selected : 0;
    for (size_t i = 0; i < n; i++) {
        const struct hrec *r = &h[i];
        struct obs o;
        /* first-stage units and strata of the level */
        if (sampled) {
            o.stratum = r->province;
            o.psu = r->county;
        } else {
            o.stratum = upper ? r->county * 64 + r->vstratum : r->vstratum;
            o.psu = (int)(r->village % 1000000000);
        }
        (void)nstrata;
        o.w = hrec_weight(r, sampled);
        oe[ne] = o;
        if (hrec_person_pair(r, r->wrong_exit, &oe[ne].y, &oe[ne].x)) ne++;
        om[nm] = o;
        if (hrec_person_pair(r, r->missed, &om[nm].y, &om[nm].x)) nm++;
        if (r->approval >= 0) {
            oa[na] = o;
            oa[na].y = r->approval;
            oa[na++].x = 1;
        }
    }
    ratio_estimate(oe, ne, &u->ind[IND_WRONG_EXIT], ze);
    ratio_estimate(om, nm, &u->ind[IND_MISSED], zm);
    ratio_estimate(oa, na, &u->ind[IND_APPROVAL], NULL);
    for (int k = 0; k < IND_COUNT; k++) {
        struct est *x = &u->ind[k];
        if (k == IND_INCIDENCE || !x->valid) continue;
        kg_interval(x->estimate, x->se * x->se, x->n, x->df, 0.05, &x->lower, &x->upper,
                    &x->n_eff);
    }
    incidence_estimate(oe, ze, ne, &u->ind[IND_WRONG_EXIT], om, zm, nm, &u->ind[IND_MISSED], u->U,
                       u->E, u->G, u->R, &u->ind[IND_INCIDENCE]);
    for (int k = 0; k < IND_COUNT; k++)
        verdict_of(&u->ind[k], plan_threshold_for(p, indicator_code((enum indicator)k), u->region),
                   &u->v[k]);
out:
    mem_free(oe);
    mem_free(om);
    mem_free(oa);
    mem_free(ze);
    mem_free(zm);
}

int estimate_sample(struct store *s, const char *sample, const char *level,
                    struct estimates *x, struct error *e)
{
    struct plan p;
    int64_t srow;
    struct hrec *h = NULL;
    struct crec *c = NULL;
    size_t nh = 0, nc = 0;
    struct names strata = {0};
    int rc;
    memset(x, 0, sizeof *x);
    if (strcmp(level, "county") && strcmp(level, "city") && strcmp(level, "province"))
        return error_set(e, ERR_USAGE, "--level is county, city or province, not %s", level);
    rc = sample_plan(s, sample, &p, NULL, 0, &srow, e);
    if (rc) return rc;
    snprintf(x->sample, sizeof x->sample, "%s", sample);
    snprintf(x->plan_id, sizeof x->plan_id, "%s", p.id);
    snprintf(x->level, sizeof x->level, "%s", level);
    x->year = p.year;
    x->line = p.line;
    x->scored = p.scored;
    x->ranked = p.ranked;
    rc = est_load_households(s, srow, &h, &nh, &strata, e);
    if (!rc) rc = est_load_counties(s, srow, &p, &c, &nc, e);
    if (rc) goto out;
    x->u = mem_calloc(nc + 1, sizeof *x->u);
    if (!x->u) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    /* units of the level, in code order (counties are sorted) */
    for (size_t i = 0; i < nc;) {
        int key = level_key(level, c[i].code);
        size_t j = i, h0 = 0, h1;
        struct unit_est *u = &x->u[x->n++];
        unsigned cats, gflags;
        int gall;
        while (j < nc && level_key(level, c[j].code) == key) j++;
        while (h0 < nh && level_key(level, h[h0].county) != key) h0++;
        for (h1 = h0; h1 < nh && level_key(level, h[h1].county) == key; h1++) {}
        u->code = key;
        if (!strcmp(level, "county")) snprintf(u->name, sizeof u->name, "%s", c[i].name);
        else if (!strcmp(level, "province"))
            snprintf(u->name, sizeof u->name, "%s", province_name(key) ? province_name(key) : "");
        snprintf(u->region, sizeof u->region, "%s", c[i].region);
        covered(&p, &cats, &gflags, &gall);
        u->incidence_assumes = !gall && gflags;
        estimate_unit(&p, level, h + h0, h1 - h0, c + i, j - i, (int)strata.n, u);
        if (!strcmp(level, "county"))
            for (int k = 0; k < IND_COUNT; k++) {
                u->has_reported[k] = c[i].has_reported[k];
                u->reported[k] = c[i].reported[k];
                u->reported_outside[k] = u->has_reported[k] && u->ind[k].valid &&
                                         (u->reported[k] < u->ind[k].lower ||
                                          u->reported[k] > u->ind[k].upper);
            }
        i = j;
    }
out:
    mem_free(h);
    mem_free(c);
    mem_free(strata.s);
    plan_release(&p);
    if (rc) estimates_release(x);
    return rc;
}

void estimates_release(struct estimates *x)
{
    mem_free(x->u);
    x->u = NULL;
    x->n = 0;
}

static void pct(char *buf, size_t size, const struct est *x)
{
    if (!x->valid) snprintf(buf, size, "—");
    else if (!isfinite(x->lower)) snprintf(buf, size, "%5.2f%% [no interval: df 0]", 100 * x->estimate);
    else snprintf(buf, size, "%5.2f%% [%5.2f, %5.2f]", 100 * x->estimate, 100 * x->lower,
                  100 * x->upper);
}

void estimates_print(const struct estimates *x, int json, FILE *f)
{
    if (json) {
        json_t *root = json_object(), *units = json_array();
        json_object_set_new(root, "sample", json_string(x->sample));
        json_object_set_new(root, "plan", json_string(x->plan_id));
        json_object_set_new(root, "level", json_string(x->level));
        json_object_set_new(root, "scored", json_boolean(x->scored));
        for (size_t i = 0; i < x->n; i++) {
            const struct unit_est *u = &x->u[i];
            json_t *o = json_pack("{s:i, s:s, s:s, s:i, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:f}",
                                  "code", u->code, "name", u->name, "region", u->region,
                                  "counties", u->counties, "R", u->R, "U", u->U, "E", u->E, "G",
                                  u->G, "selected", (json_int_t)u->selected, "reached",
                                  (json_int_t)u->reached, "replaced", (json_int_t)u->replaced,
                                  "response", u->response);
            for (int k = 0; k < IND_COUNT; k++) {
                const struct est *t = &u->ind[k];
                const struct verdict *v = &u->v[k];
                json_t *ind = json_pack("{s:b}", "valid", t->valid);
                if (t->valid) {
                    json_object_set_new(ind, "estimate", json_real(t->estimate));
                    json_object_set_new(ind, "se", isfinite(t->se) ? json_real(t->se) : json_null());
                    json_object_set_new(ind, "lower", isfinite(t->lower) ? json_real(t->lower)
                                                                         : json_null());
                    json_object_set_new(ind, "upper", isfinite(t->upper) ? json_real(t->upper)
                                                                         : json_null());
                    json_object_set_new(ind, "deff", isfinite(t->deff) ? json_real(t->deff)
                                                                       : json_null());
                    json_object_set_new(ind, "n_eff", json_real(t->n_eff));
                    json_object_set_new(ind, "df", json_integer(t->df));
                    json_object_set_new(ind, "households", json_integer(t->n));
                    json_object_set_new(ind, "persons", json_real(t->persons));
                }
                if (v->applicable) {
                    json_object_set_new(ind, "threshold",
                                        json_pack("{s:s, s:f, s:s}", "op", plan_op_text(v->op),
                                                  "value", v->threshold, "words", v->words));
                    json_object_set_new(ind, "official", json_boolean(v->official));
                    json_object_set_new(ind, "interval_verdict",
                                        json_string(interval_verdict_en(v->interval)));
                }
                if (u->has_reported[k]) {
                    json_object_set_new(ind, "reported", json_real(u->reported[k]));
                    json_object_set_new(ind, "reported_outside_interval",
                                        json_boolean(u->reported_outside[k]));
                }
                json_object_set_new(o, indicator_code((enum indicator)k), ind);
            }
            json_array_append_new(units, o);
        }
        json_object_set_new(root, "units", units);
        json_dumpf(root, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        fputc('\n', f);
        json_decref(root);
        return;
    }
    fprintf(f, "indicators of sample %s (plan %s, %d, line %.0f yuan), level %s\n"
               "95%% intervals: Korn–Graubard; verdict: official (point estimate) / interval\n\n",
            x->sample, x->plan_id, x->year, x->line, x->level);
    for (size_t i = 0; i < x->n; i++) {
        const struct unit_est *u = &x->u[i];
        fprintf(f, "%d %s  (response %.1f%%: %lld of %lld reached, %lld replaced)\n", u->code,
                u->name, 100 * u->response, (long long)u->reached, (long long)u->selected,
                (long long)u->replaced);
        for (int k = 0; k < IND_COUNT; k++) {
            const struct est *t = &u->ind[k];
            const struct verdict *v = &u->v[k];
            char b[80];
            pct(b, sizeof b, t);
            fprintf(f, "  %-14s %-30s", indicator_zh((enum indicator)k), b);
            if (t->valid) {
                if (isfinite(t->se)) fprintf(f, " se %.4f", t->se);
                else fprintf(f, " se —");
                if (isfinite(t->deff)) fprintf(f, " deff %.2f", t->deff);
                fprintf(f, " n %lld", (long long)t->n);
            }
            if (v->applicable && t->valid)
                fprintf(f, "  %s %s%.0f%%: %s / %s", plan_op_text(v->op),
                        "", 100 * v->threshold, v->official ? "达标" : "未达标",
                        interval_verdict_zh(v->interval));
            if (u->has_reported[k])
                fprintf(f, "  reported %.2f%%%s", 100 * u->reported[k],
                        u->reported_outside[k] ? " OUTSIDE the interval" : "");
            fputc('\n', f);
        }
        if (u->incidence_assumes)
            fprintf(f, "  (the incidence assumes general households of kinds the plan does not "
                       "sample are not poor)\n");
    }
    if (!x->scored) fprintf(f, "\n不打分、不排队: results are pass/fail against the standards, "
                               "not scored and not ranked.\n");
}
