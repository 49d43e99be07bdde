/*
 * gather.c — report_gather (report.h): everything the reports of a sample need, read once
 * from the store into struct report, so that the writers never touch the store.
 *
 * Sources, all through the store interface and the public functions of earlier stages:
 *   sample_plan (plan.h)        the plan: title, year, line, thresholds, strata, quotas, and
 *                               from its JSON text the schedule and the problem rules (3–5
 *                               typical experiences, at least 3 problems: seed 002 五);
 *   estimate_sample (estimate.h) each county's indicators, intervals, verdicts, response;
 *   counties/households/members the registry's full counts of the county;
 *   sample_units                 villages and households drawn, per stratum, substitutes;
 *   questionnaires/replacements  who was reached, survey dates;
 *   judgments                    village.* items with value and bound (detail JSON), the
 *                                household outcomes behind the per-stratum summary;
 *   problems/evidence_links      the problem candidates and the blobs that back them;
 *   teams/team_members/evaluators the team of the county's city.
 *
 * Invariants. Every string and array of the report lives in its arena (arrays grow by
 * doubling into the arena; the old copy is simply abandoned). Personal data are masked here
 * unless the caller asks for them in full: names by mask_name, resident IDs by mask_id.
 * Evidence links are relative to the output folder when the store's blob folder is near it
 * (at most two levels up from the output folder); otherwise the report cites the SHA-256,
 * which is how `pinggu evidence verify` names a blob anyway.
 */
#include "report_int.h"
#include "../registry/registry.h"
#include "../survey/survey.h"
#include "../problem/problem.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct gather {
    struct store *s;
    struct report *r;
    struct arena *a;
    struct plan plan;
    int have_plan;
    int64_t srow;
    int unmasked;
    char evrel[1400]; /* blob folder relative to the output folder (URL-encoded), or "" */
    int oom;
    struct error *e;
};

/* ---------------------------------------------------------------- arena helpers */

static const char *gdup(struct gather *g, const char *s)
{
    char *p = arena_strdup(g->a, s ? s : "");
    if (!p) g->oom = 1;
    return p ? p : "";
}

static const char *gdupf(struct gather *g, const char *fmt, ...) PG_PRINTF(2, 3);
static const char *gdupf(struct gather *g, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    const char *p;
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    p = sb.oom ? (g->oom = 1, "") : gdup(g, sb.buf);
    sb_release(&sb);
    return p;
}

/* Appends a zeroed element to an arena array; NULL when out of memory. */
static void *push(struct gather *g, void **arr, size_t *n, size_t *cap, size_t size)
{
    void *slot;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 8;
        void *p = arena_alloc(g->a, c * size);
        if (!p) {
            g->oom = 1;
            return NULL;
        }
        if (*n) memcpy(p, *arr, *n * size);
        *arr = p;
        *cap = c;
    }
    slot = (char *)*arr + (*n)++ * size;
    memset(slot, 0, size);
    return slot;
}

/* A person's name for the report: masked unless unmasked. */
static const char *person(struct gather *g, const char *name)
{
    struct strbuf sb = STRBUF_INIT;
    const char *p;
    if (g->unmasked) return gdup(g, name);
    mask_name(&sb, name ? name : "");
    p = sb.oom ? (g->oom = 1, "") : gdup(g, sb.buf);
    sb_release(&sb);
    return p;
}

/* ---------------------------------------------------------------- paths */

/* An absolute, lexically normalised path (no ".", "..", "//"), through realpath where the
 * path or its parent exists. */
static void absolute(const char *path, char *out, size_t size)
{
    char buf[PATH_MAX + 2], tmp[2 * PATH_MAX + 4];
    char *parts[256];
    int np = 0;
    if (realpath(path, buf)) {
        snprintf(out, size, "%s", buf);
        return;
    }
    if (path[0] == '/')
        snprintf(tmp, sizeof tmp, "%s", path);
    else if (getcwd(buf, sizeof buf))
        snprintf(tmp, sizeof tmp, "%s/%s", buf, path);
    else
        snprintf(tmp, sizeof tmp, "/%s", path);
    for (char *p = tmp, *q; p && *p;) {
        while (*p == '/') p++;
        if (!*p) break;
        q = strchr(p, '/');
        if (q) *q++ = '\0';
        if (!strcmp(p, "..")) {
            if (np > 0) np--;
        } else if (strcmp(p, ".") && np < 256)
            parts[np++] = p;
        p = q;
    }
    out[0] = '\0';
    {
        size_t n = 0;
        for (int i = 0; i < np && n + 1 < size; i++)
            n += (size_t)snprintf(out + n, size - n, "/%s", parts[i]);
        if (np == 0) snprintf(out, size, "/");
    }
}

/* Appends s URL-encoded (RFC 3986 unreserved and '/' kept). */
static void add_url(struct strbuf *sb, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p))
            sb_addch(sb, (char)*p);
        else {
            sb_addch(sb, '%');
            sb_addch(sb, hex[*p >> 4]);
            sb_addch(sb, hex[*p & 15]);
        }
    }
}

/* The blob folder relative to the output folder, if at most two levels up (see the top). */
static void evidence_relative(struct gather *g, const char *out_dir)
{
    char *ev = evidence_dir(g->s);
    char a[PATH_MAX + 2], b[PATH_MAX + 2];
    struct strbuf sb = STRBUF_INIT;
    size_t i = 0, common = 0;
    int ups = 0;
    g->evrel[0] = '\0';
    if (!ev || !out_dir) goto out;
    absolute(out_dir, a, sizeof a);
    absolute(ev, b, sizeof b);
    /* common leading components */
    while (a[i] && a[i] == b[i]) {
        if (a[i] == '/') common = i;
        i++;
    }
    if (!a[i] && (b[i] == '/' || !b[i]))
        common = i; /* out is an ancestor of ev */
    else if (!b[i] && a[i] == '/')
        common = i;            /* ev is an ancestor of out */
    if (common == 0) goto out; /* only the root in common */
    for (const char *p = a + common; *p; p++)
        if (*p == '/') ups++;
    if (ups > 2) goto out;
    for (int k = 0; k < ups; k++) sb_adds(&sb, "../");
    add_url(&sb, b[common] == '/' ? b + common + 1 : b + common);
    if (!sb.oom) snprintf(g->evrel, sizeof g->evrel, "%s", sb.buf);
out:
    sb_release(&sb);
    free(ev);
}

/* ---------------------------------------------------------------- the plan */

static int json_int_or(json_t *v, int dflt)
{
    return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

static const char *json_str_or(struct gather *g, json_t *v)
{
    return json_is_string(v) ? gdup(g, json_string_value(v)) : NULL;
}

/* What the plan's JSON says beyond struct plan: the schedule and the problem rules. */
static void plan_extras(struct gather *g)
{
    struct report *r = g->r;
    json_t *root = json_loadb(g->plan.text, g->plan.len, 0, NULL), *sch, *pr, *te;
    r->experiences_min = 3; /* seed 002 五: 3–5 typical experiences, at least 3 problems */
    r->experiences_max = 5;
    r->problems_min = 3;
    if (!root) return;
    if ((sch = json_object_get(root, "schedule"))) {
        json_t *fw = json_object_get(sch, "fieldwork");
        if (json_is_array(fw)) {
            r->fieldwork_from = json_str_or(g, json_array_get(fw, 0));
            r->fieldwork_to = json_str_or(g, json_array_get(fw, json_array_size(fw) - 1));
        }
        r->reports_by = json_str_or(g, json_object_get(sch, "team_reports_by"));
    }
    if ((pr = json_object_get(root, "problems"))) {
        te = json_object_get(pr, "typical_experiences");
        if (json_is_array(te)) {
            r->experiences_min = json_int_or(json_array_get(te, 0), 3);
            r->experiences_max = json_int_or(json_array_get(te, 1), r->experiences_min);
        }
        r->problems_min = json_int_or(json_object_get(pr, "min_problems"), 3);
    }
    if (r->experiences_min < 1) r->experiences_min = 1;
    if (r->experiences_max < r->experiences_min) r->experiences_max = r->experiences_min;
    if (r->experiences_max > 20) r->experiences_max = 20;
    if (r->problems_min < 1) r->problems_min = 1;
    if (r->problems_min > 20) r->problems_min = 20;
    json_decref(root);
}

static const char *measure_zh(const char *m)
{
    if (!strcmp(m, "registered_persons")) return "建档立卡人口";
    if (!strcmp(m, "registered_households")) return "建档立卡户数";
    if (!strcmp(m, "unexited_persons")) return "未脱贫人口";
    if (!strcmp(m, "population")) return "总人口";
    return m;
}

/* The label of a household stratum, with the plan's years. */
static const char *stratum_label(struct gather *g, const char *stratum)
{
    const struct plan *p = &g->plan;
    const struct category_windows *w = &p->win;
    int cat = category_parse(stratum);
    if (!strcmp(stratum, "group")) return "村民小组（全覆盖）";
    if (!strcmp(stratum, "census_returned")) return "返贫户（全覆盖）";
    if (!strcmp(stratum, "census_edge")) return "边缘户（全覆盖）";
    if (!strcmp(stratum, "census_monitored")) return "脱贫监测户（全覆盖）";
    if (cat < 0)
        for (int q = 0; q < p->nquotas; q++) {
            unsigned c = p->quotas[q].cats;
            if (strcmp(p->quotas[q].name, stratum)) continue;
            if (c && !(c & (c - 1))) {
                for (int k = 0; k < CAT_COUNT; k++)
                    if (c == 1u << k) cat = k;
            } else if (c && !(c & ~((1u << CAT_EXITED_CURRENT) | (1u << CAT_EXITED_EARLIER) |
                                    (1u << CAT_EXITED_OTHER))))
                return "脱贫户";
            else if (c && !(c & ~((1u << CAT_UNEXITED) | (1u << CAT_RETURNED) |
                                  (1u << CAT_NEWLY_IDENTIFIED))))
                return "贫困户（未脱贫、返贫、新识别）";
            else if (c == (1u << CAT_GENERAL) || p->quotas[q].flags_any)
                return p->quotas[q].flags_any ? "非建档立卡户（重点边缘户）" : "一般农户";
        }
    switch (cat) {
    case CAT_EXITED_CURRENT:
        return gdupf(g, "%d年脱贫户", w->year ? w->year : p->year);
    case CAT_EXITED_EARLIER:
        return w->earlier_from ? gdupf(g, "%d—%d年脱贫户", w->earlier_from, w->earlier_to)
                               : "往年脱贫户";
    case CAT_NEWLY_IDENTIFIED:
        return w->new_from ? gdupf(g, "%d—%d年新识别贫困户", w->new_from, w->new_to)
                           : "新识别贫困户";
    case -1:
        return gdup(g, stratum);
    default:
        return category_zh((enum hh_category)cat);
    }
}

/* One paragraph: how the plan drew the sample. */
static void design_text(struct gather *g)
{
    const struct plan *p = &g->plan;
    struct strbuf sb = STRBUF_INIT;
    if (p->county_sample)
        sb_addf(&sb, "县：每省按 %.0f%% 随机抽取（每省至少 %d 个）；", 100 * p->county_fraction,
                p->county_min);
    else
        sb_adds(&sb, "县：评估范围内的县全部评估；");
    if (p->by_township)
        sb_addf(&sb, "村：每个乡镇都抽，重点乡镇 %d 个村、其他乡镇 %d 个村；", p->per_key,
                p->per_other);
    else if (p->nvstrata) {
        sb_adds(&sb, "村：每县");
        for (int i = 0; i < p->nvstrata; i++) {
            const struct plan_vstratum *v = &p->vstrata[i];
            sb_addf(&sb, "%s%d 个%s", i ? "、" : "", v->n, rpt_vstratum_zh(v->name));
            if (v->weighted)
                sb_addf(&sb, "（按%s%s加权的随机系统 πps 抽样）", measure_zh(v->measure),
                        v->remoteness > 0 ? "与偏远程度" : "");
        }
        if (p->distinct_townships) sb_adds(&sb, "，分属不同乡镇");
        sb_adds(&sb, "；");
    }
    if (p->nquotas) {
        sb_adds(&sb, "户：每村");
        for (int q = 0; q < p->nquotas; q++)
            sb_addf(&sb, "%s%s %d 户", q ? "、" : "", stratum_label(g, p->quotas[q].name),
                    p->quotas[q].n);
        sb_adds(&sb, "，不足时按方案替补");
        if (p->census_returned) sb_adds(&sb, "；返贫户全覆盖");
        if (p->census_edge) sb_adds(&sb, "；边缘户全覆盖");
        if (p->census_monitored) sb_adds(&sb, "；脱贫监测户全覆盖");
        for (int i = 0; i < p->nvstrata; i++)
            if (p->vstrata[i].group_census) {
                sb_adds(&sb, "；抽中村中各抽 1 个村民小组全覆盖调查");
                break;
            }
        sb_adds(&sb, "。");
    }
    sb_adds(&sb, "每一次随机选择都由公开种子的票号（SHA-256，Rivest 一致抽样）决定：种子在抽样前以"
                 "承诺值公布、实地调查结束后公开，任何人可用 pinggu sample verify 复核样本；"
                 "每个单位的入样概率随样本一并记录。");
    g->r->design = sb.oom ? (g->oom = 1, "") : gdup(g, sb.buf);
    sb_release(&sb);
}

/* ---------------------------------------------------------------- per county */

static int county_registry(struct gather *g, struct report_county *c)
{
    struct stmt *st = NULL;
    int rc = store_prepare(g->s,
                           "SELECT city_name, type, coalesce(exit_year, 0), rural_population,"
                           " allowance_standard FROM counties WHERE code = ?",
                           &st, g->e);
    if (rc) return rc;
    stmt_bind_int(st, 1, c->est.code);
    if ((rc = stmt_step(st, g->e)) == STORE_ROW) {
        c->city_name = gdup(g, stmt_text(st, 0));
        c->type = gdup(g, stmt_text(st, 1));
        c->exit_year = (int)stmt_int(st, 2);
        c->rural_population = stmt_int(st, 3);
        c->allowance_standard = stmt_double(st, 4);
    }
    stmt_finalize(st);
    if (rc < 0) return rc;
    rc = store_prepare(g->s,
                       "SELECT h.registered, h.exit_year IS NOT NULL, h.returned, count(*),"
                       " sum((SELECT count(*) FROM members m WHERE m.household = h.row_no))"
                       " FROM households h WHERE h.village BETWEEN ? AND ? GROUP BY 1, 2, 3",
                       &st, g->e);
    if (rc) return rc;
    stmt_bind_int(st, 1, (int64_t)c->est.code * 1000000);
    stmt_bind_int(st, 2, (int64_t)c->est.code * 1000000 + 999999);
    while ((rc = stmt_step(st, g->e)) == STORE_ROW) {
        int registered = (int)stmt_int(st, 0), exited = (int)stmt_int(st, 1);
        int returned = (int)stmt_int(st, 2);
        int64_t hh = stmt_int(st, 3), persons = stmt_int(st, 4);
        if (!registered) continue;
        c->registered_households += hh;
        c->registered_persons += persons;
        if (!exited || returned)
            c->unexited_persons += persons;
        else
            c->exited_persons += persons;
    }
    stmt_finalize(st);
    if (rc < 0) return rc;
    rc = store_prepare(g->s,
                       "SELECT (SELECT count(*) FROM sample_units u WHERE u.sample = ?1 AND"
                       "  u.stage = 'household' AND u.reserve = 0 AND u.county = ?2),"
                       " (SELECT count(*) FROM sample_units u WHERE u.sample = ?1 AND"
                       "  u.stage = 'covert' AND u.county = ?2),"
                       " (SELECT min(survey_date) FROM questionnaires q WHERE q.sample = ?1 AND"
                       "  q.county = ?2 AND q.survey_date <> ''),"
                       " (SELECT max(survey_date) FROM questionnaires q WHERE q.sample = ?1 AND"
                       "  q.county = ?2 AND q.survey_date <> '')",
                       &st, g->e);
    if (rc) return rc;
    stmt_bind_int(st, 1, g->srow);
    stmt_bind_int(st, 2, c->est.code);
    if ((rc = stmt_step(st, g->e)) == STORE_ROW) {
        c->households_sampled = stmt_int(st, 0);
        c->covert = stmt_int(st, 1) > 0;
        c->first_date = gdup(g, stmt_text(st, 2));
        c->last_date = gdup(g, stmt_text(st, 3));
    }
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

static int county_team(struct gather *g, struct report_county *c)
{
    struct stmt *st = NULL;
    struct report_member *m = NULL;
    size_t n = 0, cap = 0;
    int rc = store_prepare(g->s,
                           "SELECT tc.team, t.home_city FROM team_cities tc JOIN teams t ON"
                           " t.sample = tc.sample AND t.team = tc.team"
                           " WHERE tc.sample = ? AND tc.city = ? LIMIT 1",
                           &st, g->e);
    if (rc) return rc;
    stmt_bind_int(st, 1, g->srow);
    stmt_bind_int(st, 2, c->est.code / 100);
    if ((rc = stmt_step(st, g->e)) == STORE_ROW) {
        c->team.team = (int)stmt_int(st, 0);
        c->team.home_city = (int)stmt_int(st, 1);
    }
    stmt_finalize(st);
    if (rc < 0 || !c->team.team) return rc < 0 ? rc : 0;
    rc = store_prepare(g->s,
                       "SELECT m.role, m.pair, coalesce(e.name, ''), coalesce(e.unit_level, ''),"
                       " coalesce(e.position, ''), coalesce(e.experienced, 0),"
                       " coalesce(e.home_city, 0)"
                       " FROM team_members m LEFT JOIN evaluators e ON e.evaluator_id = m.evaluator"
                       " WHERE m.sample = ? AND m.team = ?"
                       " ORDER BY CASE m.role WHEN 'leader' THEN 0 WHEN 'deputy' THEN 1"
                       " WHEN 'liaison' THEN 2 ELSE 3 END, m.pair, m.row_no",
                       &st, g->e);
    if (rc) return rc;
    stmt_bind_int(st, 1, g->srow);
    stmt_bind_int(st, 2, c->team.team);
    while ((rc = stmt_step(st, g->e)) == STORE_ROW) {
        struct report_member *x = push(g, (void **)&m, &n, &cap, sizeof *m);
        if (!x) break;
        x->role = gdup(g, stmt_text(st, 0));
        x->pair = (int)stmt_int(st, 1);
        x->name = person(g, stmt_text(st, 2));
        x->unit_level = gdup(g, stmt_text(st, 3));
        x->position = gdup(g, stmt_text(st, 4));
        x->experienced = (int)stmt_int(st, 5);
        x->home_city = (int)stmt_int(st, 6);
    }
    stmt_finalize(st);
    c->team.members = m;
    c->team.nmembers = n;
    return rc < 0 ? rc : 0;
}

static int county_villages(struct gather *g, struct report_county *c)
{
    struct stmt *st = NULL, *jt = NULL;
    struct report_village *v = NULL;
    size_t n = 0, cap = 0;
    int rc = store_prepare(
        g->s,
        "SELECT u.village, u.stratum, u.pi, coalesce(v.name, ''), coalesce(t.name, ''),"
        " coalesce((SELECT CAST(gu.code AS INTEGER) FROM sample_units gu WHERE gu.sample ="
        "  u.sample AND gu.stage = 'group' AND gu.village = u.village LIMIT 1), 0),"
        " (SELECT count(*) FROM questionnaires q WHERE q.sample = u.sample AND q.village ="
        "  u.village AND q.unit_kind = 'household' AND q.status = 'complete'),"
        " coalesce((SELECT min(q.survey_date) FROM questionnaires q WHERE q.sample = u.sample"
        "  AND q.village = u.village AND q.survey_date <> ''), '')"
        " FROM sample_units u LEFT JOIN villages v ON v.code = u.village"
        " LEFT JOIN townships t ON t.code = v.township"
        " WHERE u.sample = ? AND u.stage = 'village' AND u.reserve = 0 AND u.county = ?"
        " ORDER BY u.row_no",
        &st, g->e);
    if (!rc)
        rc = store_prepare(g->s,
                           "SELECT rule, outcome, value, detail FROM judgments WHERE sample = ?"
                           " AND unit = ? AND unit_kind = 'village' ORDER BY row_no",
                           &jt, g->e);
    if (rc) goto out;
    stmt_bind_int(st, 1, g->srow);
    stmt_bind_int(st, 2, c->est.code);
    while ((rc = stmt_step(st, g->e)) == STORE_ROW) {
        struct report_village *x = push(g, (void **)&v, &n, &cap, sizeof *v);
        struct report_item *items = NULL;
        size_t ni = 0, ci = 0;
        char code[24];
        if (!x) break;
        x->code = stmt_int(st, 0);
        x->stratum = gdup(g, stmt_text(st, 1));
        x->pi = stmt_double(st, 2);
        x->name = gdup(g, stmt_text(st, 3));
        x->township = gdup(g, stmt_text(st, 4));
        x->group = (int)stmt_int(st, 5);
        x->households = stmt_int(st, 6);
        x->survey_date = gdup(g, stmt_text(st, 7));
        x->exit_ok = -1;
        snprintf(code, sizeof code, "%lld", (long long)x->code);
        stmt_reset(jt);
        stmt_bind_int(jt, 1, g->srow);
        stmt_bind_text(jt, 2, code, strlen(code));
        while ((rc = stmt_step(jt, g->e)) == STORE_ROW) {
            const char *rule = stmt_text(jt, 0), *outcome = stmt_text(jt, 1);
            struct report_item *it;
            json_t *d;
            if (!strcmp(rule, "village.exit")) {
                x->exit_ok = !strcmp(outcome, "pass") ? 1 : !strcmp(outcome, "fail") ? 0 : -1;
                continue;
            }
            if (!(it = push(g, (void **)&items, &ni, &ci, sizeof *items))) break;
            it->rule = gdup(g, rule);
            it->outcome = gdup(g, outcome);
            it->value = gdup(g, stmt_text(jt, 2));
            d = json_loads(stmt_text(jt, 3), 0, NULL);
            it->bound = gdup(g, json_string_value(json_object_get(d, "bound")));
            json_decref(d);
        }
        if (rc < 0) break;
        rc = 0;
        x->items = items;
        x->nitems = ni;
    }
    if (rc > 0) rc = 0;
    c->villages = v;
    c->nvillages = n;
out:
    stmt_finalize(st);
    stmt_finalize(jt);
    return rc < 0 ? rc : 0;
}

static int county_strata(struct gather *g, struct report_county *c)
{
    struct stmt *st = NULL;
    struct report_stratum *v = NULL;
    size_t n = 0, cap = 0;
    int rc =
        store_prepare(g->s,
                      "SELECT u.stratum,"
                      " sum(u.reserve = 0), sum(u.reserve = 0 AND u.substitute_for <> ''),"
                      " sum(u.reserve = 0 AND coalesce(q.status, '') <> 'complete'),"
                      " sum(u.reserve = 1 AND q.status = 'complete'), sum(q.status = 'complete'),"
                      /* judgments of complete questionnaires only: a superseded one's
                       * household does not count */
                      " sum(q.status = 'complete' AND jw.outcome IN ('pass', 'fail')),"
                      " sum(q.status = 'complete' AND jw.outcome = 'fail'),"
                      " sum(q.status = 'complete' AND jm.outcome IN ('pass', 'fail')),"
                      " sum(q.status = 'complete' AND jm.outcome = 'fail'),"
                      " sum(q.status = 'complete' AND ja.outcome IN ('pass', 'fail')),"
                      " sum(q.status = 'complete' AND ja.outcome = 'pass')"
                      " FROM sample_units u"
                      " LEFT JOIN questionnaires q ON q.sample = u.sample AND q.unit = u.code AND"
                      "  q.unit_kind = 'household'"
                      " LEFT JOIN judgments jw ON jw.sample = u.sample AND jw.unit = u.code AND"
                      "  jw.rule = 'wrong_exit'"
                      " LEFT JOIN judgments jm ON jm.sample = u.sample AND jm.unit = u.code AND"
                      "  jm.rule = 'missed'"
                      " LEFT JOIN judgments ja ON ja.sample = u.sample AND ja.unit = u.code AND"
                      "  ja.rule = 'approval'"
                      " WHERE u.sample = ? AND u.stage = 'household' AND u.county = ?"
                      " GROUP BY u.stratum ORDER BY min(u.row_no)",
                      &st, g->e);
    if (rc) return rc;
    stmt_bind_int(st, 1, g->srow);
    stmt_bind_int(st, 2, c->est.code);
    while ((rc = stmt_step(st, g->e)) == STORE_ROW) {
        struct report_stratum *x = push(g, (void **)&v, &n, &cap, sizeof *v);
        if (!x) break;
        x->stratum = gdup(g, stmt_text(st, 0));
        x->label = stratum_label(g, x->stratum);
        x->selected = stmt_int(st, 1);
        x->substitutes = stmt_int(st, 2);
        x->not_reached = stmt_int(st, 3);
        x->reserves_used = stmt_int(st, 4);
        x->completed = stmt_int(st, 5);
        x->exited_judged = stmt_int(st, 6);
        x->wrong_exit = stmt_int(st, 7);
        x->general_judged = stmt_int(st, 8);
        x->missed = stmt_int(st, 9);
        x->asked = stmt_int(st, 10);
        x->approving = stmt_int(st, 11);
    }
    stmt_finalize(st);
    c->strata = v;
    c->nstrata = n;
    return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- problems */

/* 对象: the household with its head (masked), or the village. */
static const char *problem_object(struct gather *g, struct stmt *head, const char *unit,
                                  int64_t village, const char *village_name)
{
    char vcode[24];
    snprintf(vcode, sizeof vcode, "%lld", (long long)village);
    if (!strcmp(unit, vcode) || !*unit) return gdupf(g, "村：%s", village_name);
    stmt_reset(head);
    stmt_bind_text(head, 1, unit, strlen(unit));
    if (stmt_step(head, NULL) == STORE_ROW) {
        char id[19], masked[24];
        const char *name = person(g, stmt_text(head, 0));
        ids_unpack((uint64_t)stmt_int(head, 1), id);
        if (g->unmasked)
            snprintf(masked, sizeof masked, "%s", id);
        else
            mask_id(id, masked, sizeof masked);
        return gdupf(g, "户 %s（户主 %s，%s）", unit, name, masked);
    }
    return gdupf(g, "户 %s", unit);
}

static int problem_evidence(struct gather *g, struct stmt *ev, struct report_problem *p)
{
    struct report_evidence *v = NULL;
    size_t n = 0, cap = 0;
    int rc;
    stmt_reset(ev);
    stmt_bind_text(ev, 1, p->unit, strlen(p->unit));
    stmt_bind_int(ev, 2, p->id);
    while ((rc = stmt_step(ev, g->e)) == STORE_ROW) {
        const char *sha = stmt_text(ev, 0);
        struct report_evidence *x = push(g, (void **)&v, &n, &cap, sizeof *v);
        if (!x) break;
        x->sha256 = gdup(g, sha);
        x->media = gdup(g, stmt_text(ev, 1));
        x->name = gdup(g, stmt_text(ev, 2));
        if (g->evrel[0] && strlen(sha) == 64)
            x->href = gdupf(g, "%s/%.2s/%s", g->evrel, sha, sha + 2);
    }
    p->evidence = v;
    p->nevidence = n;
    return rc < 0 ? rc : 0;
}

static const char *gday(struct gather *g, int d)
{
    char b[16];
    if (!d) return "";
    snprintf(b, sizeof b, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
    return gdup(g, b);
}

/* The problem list's last seven columns from each problem's moves (problem.h). */
static int problem_columns(struct gather *g, struct report_problem *v, size_t n)
{
    struct problem_progress *pp = NULL;
    size_t np = 0, j = 0;
    int64_t linked = 0;
    int rc = problem_progress_list(g->s, g->r->sample, 0, &pp, &np, g->e);
    struct stmt *ls = NULL;
    if (rc) return rc;
    rc = store_prepare(g->s,
                       "SELECT count(*) FROM problem_links WHERE problem = ?1 OR other = ?1", &ls,
                       g->e);
    for (size_t i = 0; i < n && !rc; i++) {
        struct report_problem *x = &v[i];
        const struct problem_progress *p = NULL;
        /* both lists are small; the progress list is in row order */
        for (j = 0; j < np; j++)
            if (pp[j].id == x->id) {
                p = &pp[j];
                break;
            }
        x->state_label = x->verification = x->measures = x->responsible_unit = "";
        x->responsible_person = x->deadline = x->result = x->closed_on = "";
        if (!p) continue;
        x->state_label = problem_state_label(p->state);
        x->state = (int)p->state;
        if (p->state == PS_DISMISSED && p->dismissal) {
            char b[600];
            snprintf(b, sizeof b, "%s（%s）", p->verification, p->dismissal);
            utf8_trim(b);
            x->verification = gdup(g, b);
        } else {
            x->verification = p->verification;
        }
        x->measures = gdup(g, p->measures ? p->measures : "");
        x->responsible_unit = gdup(g, p->responsible_unit ? p->responsible_unit : "");
        x->responsible_person = gdup(g, p->responsible_person ? p->responsible_person : "");
        x->deadline = gday(g, p->deadline);
        x->result = gdup(g, p->result ? p->result : "");
        x->closed_on = gday(g, p->closed_on);
        if (p->state == PS_DISMISSED) {
            /* a dismissed problem is at its end: the rectification columns do not apply, and
             * say so rather than stay empty (issue 10: every column filled as it progresses) */
            x->measures = x->responsible_unit = x->responsible_person = x->deadline =
                x->result = x->closed_on = "不适用（不属实）";
        }
        stmt_reset(ls);
        stmt_bind_int(ls, 1, x->id);
        if (stmt_step(ls, g->e) == STORE_ROW) linked = stmt_int(ls, 0);
        x->linked = linked > 0;
    }
    stmt_finalize(ls);
    problem_progress_free(pp, np);
    return g->oom ? error_set(g->e, ERR_NOMEM, "out of memory") : rc;
}

static int gather_problems(struct gather *g)
{
    struct report *r = g->r;
    struct stmt *st = NULL, *head = NULL, *ev = NULL;
    struct report_problem *v = NULL;
    size_t n = 0, cap = 0;
    int64_t by_problem = 0;
    int rc = store_prepare(
        g->s,
        "SELECT p.row_no, p.county, p.village, p.unit, p.kind, p.rule, p.description,"
        " p.found_by, p.found_on, p.status, coalesce(c.name, ''), coalesce(t.name, ''),"
        " coalesce(v.name, ''),"
        " coalesce((SELECT q.team FROM questionnaires q WHERE q.sample = p.sample AND"
        "  q.unit = p.unit LIMIT 1), 0)"
        " FROM problems p LEFT JOIN counties c ON c.code = p.county"
        " LEFT JOIN townships t ON t.code = p.township LEFT JOIN villages v ON v.code = p.village"
        " WHERE p.sample = ? ORDER BY p.county, p.township, p.village, p.row_no",
        &st, g->e);
    if (!rc)
        rc = store_prepare(g->s,
                           "SELECT m.name, m.resident FROM households h JOIN members m ON"
                           " m.household = h.row_no WHERE h.household_id = ? ORDER BY"
                           " m.relation <> 'head', m.row_no LIMIT 1",
                           &head, g->e);
    if (!rc) /* links to a problem itself are rare and unindexed: look for them only if any */
        rc = store_query_int(g->s, "SELECT count(*) FROM evidence_links WHERE problem <> 0", 0,
                             &by_problem, g->e);
    if (!rc)
        rc = store_prepare(g->s,
                           by_problem ? "SELECT l.evidence, coalesce(e.media, ''),"
                                        " coalesce(e.name, '') FROM evidence_links l LEFT JOIN"
                                        " evidence e ON e.sha256 = l.evidence WHERE l.unit = ?1"
                                        " OR (l.problem <> 0 AND l.problem = ?2) GROUP BY"
                                        " l.evidence, e.media, e.name ORDER BY min(l.row_no)"
                                      : "SELECT l.evidence, coalesce(e.media, ''),"
                                        " coalesce(e.name, '') FROM evidence_links l LEFT JOIN"
                                        " evidence e ON e.sha256 = l.evidence WHERE l.unit = ?1"
                                        " AND ?2 IS NOT NULL GROUP BY l.evidence, e.media, e.name"
                                        " ORDER BY min(l.row_no)",
                           &ev, g->e);
    if (rc) goto out;
    stmt_bind_int(st, 1, g->srow);
    while ((rc = stmt_step(st, g->e)) == STORE_ROW) {
        struct report_problem *x = push(g, (void **)&v, &n, &cap, sizeof *v);
        int64_t village;
        if (!x) break;
        x->id = stmt_int(st, 0);
        x->county = (int)stmt_int(st, 1);
        village = stmt_int(st, 2);
        x->unit = gdup(g, stmt_text(st, 3));
        x->kind = gdup(g, stmt_text(st, 4));
        x->rule = gdup(g, stmt_text(st, 5));
        x->description = gdup(g, stmt_text(st, 6));
        x->found_by = gdup(g, stmt_text(st, 7));
        x->found_on = gdup(g, stmt_text(st, 8));
        x->status = gdup(g, stmt_text(st, 9));
        x->county_name = gdup(g, stmt_text(st, 10));
        x->township = gdup(g, stmt_text(st, 11));
        x->village = gdup(g, stmt_text(st, 12));
        x->team = (int)stmt_int(st, 13);
        x->object = problem_object(g, head, x->unit, village, x->village);
        if ((rc = problem_evidence(g, ev, x))) break;
    }
    if (rc > 0) rc = 0;
    if (!rc) rc = problem_columns(g, v, n);
    r->problems = v;
    r->nproblems = n;
out:
    stmt_finalize(st);
    stmt_finalize(head);
    stmt_finalize(ev);
    return rc < 0 ? rc : 0;
}

/* What the sample can decide in each county (estimate.h sample_power: the stored sample's
 * structure, outcomes simulated at the threshold and at a clearly better rate). Not fatal: a
 * report without it says why. */
#define REPORT_POWER_REPS 200
static void county_power(struct gather *g, struct report_county *c, size_t n)
{
    struct power_row *rows = NULL;
    size_t nrows = 0;
    struct error pe;
    if (sample_power(g->s, g->r->sample, REPORT_POWER_REPS, 0.05, &rows, &nrows, &pe)) {
        char b[300];
        g->r->power_note = gdupf(g, "%s", error_format(&pe, b, sizeof b));
        return;
    }
    g->r->power_reps = REPORT_POWER_REPS;
    for (size_t i = 0; i < n; i++) {
        size_t k0 = 0, k;
        struct power_row *dst;
        while (k0 < nrows && rows[k0].county != c[i].est.code) k0++;
        for (k = k0; k < nrows && rows[k].county == c[i].est.code; k++) {}
        if (k == k0) continue;
        dst = arena_alloc(g->a, (k - k0) * sizeof *dst);
        if (!dst) {
            g->oom = 1;
            break;
        }
        memcpy(dst, rows + k0, (k - k0) * sizeof *dst);
        c[i].power = dst;
        c[i].npower = k - k0;
    }
    mem_free(rows);
}

/* ---------------------------------------------------------------- the report */

int report_gather(struct store *s, const char *sample, const char *out_dir, int unmasked,
                  struct report **out, struct error *e)
{
    struct gather g;
    struct estimates x;
    struct report *r;
    struct report_county *counties = NULL;
    struct stmt *st = NULL;
    char date[16];
    int rc, today = date_today();
    memset(&g, 0, sizeof g);
    memset(&x, 0, sizeof x);
    *out = NULL;
    if (!(r = mem_calloc(1, sizeof *r))) return error_set(e, ERR_NOMEM, "out of memory");
    arena_init(&r->arena, 0);
    g.s = s, g.r = r, g.a = &r->arena, g.unmasked = unmasked, g.e = e;
    if ((rc = sample_plan(s, sample, &g.plan, NULL, 0, &g.srow, e))) goto out;
    g.have_plan = 1;
    if ((rc = estimate_sample(s, sample, "county", &x, e))) goto out;
    r->sample = gdup(&g, sample);
    r->plan_id = gdup(&g, g.plan.id);
    r->title_zh = gdup(&g, g.plan.title_zh);
    r->title_en = gdup(&g, g.plan.title_en);
    r->year = g.plan.year;
    r->line = g.plan.line;
    r->scored = g.plan.scored;
    r->ranked = g.plan.ranked;
    r->plan_hash = gdup(&g, g.plan.hash);
    r->village_standard = g.plan.nitems > 0;
    r->unmasked = unmasked;
    snprintf(date, sizeof date, "%04d-%02d-%02d", today / 10000, today / 100 % 100, today % 100);
    r->generated = gdup(&g, date);
    plan_extras(&g);
    design_text(&g);
    if ((rc = store_prepare(s, "SELECT commitment FROM samples WHERE row_no = ?", &st, e)))
        goto out;
    stmt_bind_int(st, 1, g.srow);
    if ((rc = stmt_step(st, e)) == STORE_ROW) r->commitment = gdup(&g, stmt_text(st, 0));
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) goto out;
    evidence_relative(&g, out_dir);
    {
        char *ev = evidence_dir(s);
        r->evidence_dir = ev ? gdup(&g, ev) : NULL;
        free(ev);
    }
    if (x.n && !(counties = arena_alloc(g.a, x.n * sizeof *counties))) g.oom = 1;
    for (size_t i = 0; counties && i < x.n; i++) {
        struct report_county *c = &counties[i];
        memset(c, 0, sizeof *c);
        c->est = x.u[i];
        for (size_t k = 0; k < x.ncollapses; k++)
            if (x.collapses[k].county == c->est.code) c->ncollapses++;
        if (c->ncollapses) {
            struct cell_collapse *cc = arena_alloc(g.a, c->ncollapses * sizeof *cc);
            size_t m = 0;
            if (!cc) g.oom = 1, c->ncollapses = 0;
            for (size_t k = 0; cc && k < x.ncollapses; k++)
                if (x.collapses[k].county == c->est.code) cc[m++] = x.collapses[k];
            c->collapses = cc;
        }
        if ((rc = county_registry(&g, c)) || (rc = county_team(&g, c)) ||
            (rc = county_villages(&g, c)) || (rc = county_strata(&g, c)))
            goto out;
    }
    r->counties = counties;
    r->ncounties = counties ? x.n : 0;
    /* villages judged against the standard (the plan's, or DESIGN §6.4's defaults) */
    for (size_t i = 0; i < r->ncounties; i++)
        for (size_t j = 0; j < counties[i].nvillages; j++)
            if (counties[i].villages[j].nitems) r->village_standard = 1;
    if ((rc = gather_problems(&g))) goto out;
    county_power(&g, counties, counties ? x.n : 0);
    /* each county's run of problems (both lists are in county-code order) */
    for (size_t i = 0, j = 0; counties && i < x.n; i++) {
        while (j < r->nproblems && r->problems[j].county < counties[i].est.code) j++;
        counties[i].problem0 = j;
        while (j < r->nproblems && r->problems[j].county == counties[i].est.code) j++;
        counties[i].nproblems = j - counties[i].problem0;
    }
    if (!g.oom && (rc = rpt_gather_levels(s, r, g.srow, e))) goto out;
    { /* each side's discipline record (issue 10, DESIGN §8.2): problem/'s section */
        struct strbuf d = STRBUF_INIT, m = STRBUF_INIT;
        if (!(rc = discipline_section_html(s, sample, &d, e))) {
            if (unmasked) sb_adds(&m, d.buf);
            else report_mask_ids(&m, d.buf); /* a reason may name a person */
            r->discipline = gdup(&g, m.buf);
        }
        sb_release(&d);
        sb_release(&m);
        if (rc) goto out;
    }
    if (g.oom) rc = error_set(e, ERR_NOMEM, "out of memory gathering the report");
out:
    stmt_finalize(st);
    estimates_release(&x);
    if (g.have_plan) plan_release(&g.plan);
    if (rc)
        report_free(r);
    else
        *out = r;
    return rc;
}

void report_free(struct report *r)
{
    if (!r) return;
    arena_release(&r->arena);
    mem_free(r);
}
