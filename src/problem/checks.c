/*
 * checks.c — the scheme's other checks as questionnaires (seed 002 五(二) 查阅资料, 五(三) 干部
 * 访谈, 五(五) 项目核查; docs/problems.md "The scheme's other checks"): importing the shipped
 * forms' questionnaires (forms/project-check.json, document-review.json, cadre-interview.json)
 * for a round, and counting them against what the round requires — the plan's cadre-interview
 * quotas per city, county (more in paired counties) and village, one document review per city,
 * county and sampled village, one project check per sampled project.
 *
 * Invariants: an import is all or nothing — every row is validated against the form (survey/'s
 * answers_validate) and its unit against the round (a sampled project; the city of a sampled
 * county, a sampled county, a sampled village) before anything is written, and every error is
 * listed with file:line; the rows are written in one audited batch (check_questionnaires, schema
 * v8) with the normalised answers as a JSON object. A unit (a project, the records of a unit, a
 * cadre of a unit by role and name) is checked once: a second questionnaire for it is refused.
 */
#include "problem_int.h"
#include "../plan/plan.h"
#include "../survey/survey.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Units of the round a check may be about. */
struct runits {
    int64_t sample;
    struct cu {
        int code, city, paired;
        char name[64];
    } *counties;
    size_t ncounties;
    int64_t *villages;
    int *vcounty;
    size_t nvillages;
    struct pu {
        char id[48];
        int county;
        int paired; /* a paired-assistance cooperation project (合作项目) */
    } *projects;
    size_t nprojects;
};

static void runits_free(struct runits *u)
{
    mem_free(u->counties);
    mem_free(u->villages);
    mem_free(u->vcounty);
    mem_free(u->projects);
    memset(u, 0, sizeof *u);
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 32;
    void *nv = mem_realloc(*v, nc * size);
    if (!nv) return ERR_NOMEM;
    *v = nv;
    *cap = nc;
    return 0;
}

static int runits_load(struct store *s, const char *round, struct runits *u, struct error *e)
{
    struct stmt *st = NULL;
    size_t cc = 0, cv = 0, cv2 = 0, cp = 0;
    int rc;
    memset(u, 0, sizeof *u);
    rc = problem_round_sample(s, round, &u->sample, e);
    if (rc) return rc;
    /* the counties with sampled villages: where the teams work */
    rc = store_prepare(s,
                       "SELECT c.code, c.city_code, c.paired_with IS NOT NULL, c.name FROM counties c"
                       " WHERE c.code IN (SELECT county FROM sample_units WHERE sample = ?1 AND"
                       " stage = 'village' AND reserve = 0) ORDER BY c.code",
                       &st, e);
    if (rc) goto out;
    stmt_bind_int(st, 1, u->sample);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct cu *c;
        if (grow((void **)&u->counties, &cc, u->ncounties, sizeof *u->counties)) goto oom;
        c = &u->counties[u->ncounties++];
        c->code = (int)stmt_int(st, 0);
        c->city = (int)stmt_int(st, 1);
        c->paired = (int)stmt_int(st, 2);
        snprintf(c->name, sizeof c->name, "%s", stmt_text(st, 3));
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) goto out;
    rc = store_prepare(s,
                       "SELECT DISTINCT village, county FROM sample_units WHERE sample = ? AND"
                       " stage = 'village' AND reserve = 0 ORDER BY village",
                       &st, e);
    if (rc) goto out;
    stmt_bind_int(st, 1, u->sample);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        size_t c1 = cv, c2 = cv2;
        if (grow((void **)&u->villages, &c1, u->nvillages, sizeof *u->villages) ||
            grow((void **)&u->vcounty, &c2, u->nvillages, sizeof *u->vcounty))
            goto oom;
        cv = c1, cv2 = c2;
        u->villages[u->nvillages] = stmt_int(st, 0);
        u->vcounty[u->nvillages++] = (int)stmt_int(st, 1);
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) goto out;
    rc = store_prepare(s,
                       /* a project drawn both as a project and as a paired-assistance
                        * project is one unit, paired */
                       "SELECT code, county, max(stage = 'paired_project') FROM sample_units"
                       " WHERE sample = ? AND stage IN ('project', 'paired_project') AND"
                       " reserve = 0 GROUP BY code, county ORDER BY county, code",
                       &st, e);
    if (rc) goto out;
    stmt_bind_int(st, 1, u->sample);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct pu *p;
        if (grow((void **)&u->projects, &cp, u->nprojects, sizeof *u->projects)) goto oom;
        p = &u->projects[u->nprojects++];
        snprintf(p->id, sizeof p->id, "%s", stmt_text(st, 0));
        p->county = (int)stmt_int(st, 1);
        p->paired = (int)stmt_int(st, 2);
    }
    stmt_finalize(st);
    st = NULL;
    rc = rc < 0 ? rc : 0;
    goto out;
oom:
    rc = error_set(e, ERR_NOMEM, "out of memory");
out:
    stmt_finalize(st);
    if (rc) runits_free(u);
    return rc;
}

/* The county a unit of `level` belongs to (the city code for a city), or 0 if the unit is not
 * one of the round's. */
static int unit_of_round(const struct runits *u, const char *level, const char *code)
{
    int64_t v;
    if (parse_int64(code, &v) || v <= 0) return 0;
    if (!strcmp(level, "city")) {
        for (size_t i = 0; i < u->ncounties; i++)
            if (u->counties[i].city == v) return (int)v;
    } else if (!strcmp(level, "county")) {
        for (size_t i = 0; i < u->ncounties; i++)
            if (u->counties[i].code == v) return (int)v;
    } else if (!strcmp(level, "village")) {
        for (size_t i = 0; i < u->nvillages; i++)
            if (u->villages[i] == v) return u->vcounty[i];
    }
    return 0;
}

/* One validated row, ready to write. */
struct crow {
    char level[16], unit[64], role[32], mode[16], key[192], interviewee[64];
    int county;
    int64_t team;
    long line;
    char *answers; /* JSON, owned */
    int64_t warnings;
};

static char *answers_json(const struct form *f, struct answers *a)
{
    json_t *o = json_object();
    char *out;
    for (size_t r = 0; o && r < f->nrows; r++) {
        const char *v;
        if (!form_type_answers(f->rows[r].type) || f->rows[r].repeat >= 0) continue;
        v = answers_value(a, (int)r, -1);
        if (v) json_object_set_new(o, f->rows[r].name, json_string(v));
    }
    out = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return out;
}

/* 1 if a questionnaire with this key is already stored for the round. */
static int stored_key(struct store *s, int64_t sample, const char *form, const char *key,
                      int *found, struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s,
                           "SELECT count(*) FROM check_questionnaires WHERE sample = ? AND form = ?"
                           " AND key = ?",
                           &st, e);
    *found = 0;
    if (rc) return rc;
    stmt_bind_int(st, 1, sample);
    stmt_bind_text(st, 2, form, strlen(form));
    stmt_bind_text(st, 3, key, strlen(key));
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) *found = stmt_int(st, 0) > 0, rc = 0;
    stmt_finalize(st);
    return rc;
}

int checks_import(struct store *s, const char *round, const struct form *f, const char *path,
                  int today, struct checks_import_stats *stats, struct errlist *errs,
                  struct error *e)
{
    struct runits u;
    struct csv *csv = NULL;
    struct answers *a = NULL;
    struct issues is;
    struct crow *rows = NULL;
    size_t nrows = 0, caprows = 0, nf = 0, before = errs->total;
    int *isq = NULL, team_col = -1, rc, in_tx = 0, w_open = 0;
    char **hdr = NULL;
    struct audit_writer w;
    struct error ce;
    int kind_project = !strcmp(f->unit, "project"), kind_cadre = !strcmp(f->unit, "cadre");

    memset(stats, 0, sizeof *stats);
    if (!kind_project && !kind_cadre && strcmp(f->unit, "records"))
        return error_set(e, ERR_INVALID,
                         "%s: form unit '%s' is not one of the scheme's checks (project, records, "
                         "cadre); household and village questionnaires go through `field import`",
                         f->id, f->unit);
    issues_init(&is);
    rc = runits_load(s, round, &u, e);
    if (rc) {
        issues_release(&is);
        return rc;
    }
    rc = answers_new(f, &a, e);
    if (rc) goto out;
    rc = csv_open(path, &csv, e);
    if (rc) goto out;
    rc = csv_next(csv, &ce);
    if (rc <= 0) {
        if (rc < 0) errlist_add(errs, &ce);
        else errlist_addf(errs, ERR_INVALID, path, 1, 0, "the file is empty (a header is needed)");
        rc = 0;
        goto check;
    }
    nf = csv_nfields(csv);
    hdr = mem_calloc(nf + 1, sizeof *hdr);
    isq = mem_calloc(nf + 1, sizeof *isq);
    if (!hdr || !isq) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < nf; k++) {
        const char *h = csv_field(csv, k);
        int row = form_find(f, h);
        hdr[k] = mem_strdup(h);
        if (!hdr[k]) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        if (!strcmp(h, "team")) team_col = (int)k;
        else if (row < 0 || !form_type_answers(f->rows[row].type))
            errlist_addf(errs, ERR_INVALID, path, 1, (long)k + 1,
                         "column '%s' is not a question of form %s", h, f->id);
        else isq[k] = 1;
    }
    while ((rc = csv_next(csv, &ce)) == 1) {
        long line = csv_line(csv);
        struct crow *r;
        const char *level, *code;
        int64_t team = 0;
        size_t errs_before = errs->total;
        if (csv_row_blank(csv)) continue;
        answers_reset(a);
        issues_reset(&is);
        for (size_t k = 0; k < nf; k++)
            if (isq[k] && *csv_field(csv, k) && answers_set(a, hdr[k], csv_field(csv, k))) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
        if (team_col >= 0 && *csv_field(csv, (size_t)team_col) &&
            (parse_int64(csv_field(csv, (size_t)team_col), &team) || team < 0))
            errlist_addf(errs, ERR_INVALID, path, line, team_col + 1,
                         "team: '%s' is not a team number", csv_field(csv, (size_t)team_col));
        rc = answers_validate(a, ANSWERS_STRICT, today, &is, e);
        if (rc) goto out;
        for (size_t i = 0; i < is.n; i++)
            if (is.items[i].severity == FORM_ERROR)
                errlist_addf(errs, ERR_INVALID, path, line, 0, "%s: %s (%s)", is.items[i].name,
                             is.items[i].zh ? is.items[i].zh : "",
                             is.items[i].en ? is.items[i].en : "");
        if (errs->total > errs_before) continue;
        if (grow((void **)&rows, &caprows, nrows, sizeof *rows)) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        r = &rows[nrows];
        memset(r, 0, sizeof *r);
        r->line = line;
        r->team = team;
        r->warnings = (int64_t)is.warnings;
        if (kind_project) {
            code = answers_get(a, "project_id");
            snprintf(r->level, sizeof r->level, "project");
            snprintf(r->unit, sizeof r->unit, "%s", code ? code : "");
            for (size_t i = 0; i < u.nprojects; i++)
                if (!strcmp(u.projects[i].id, r->unit)) r->county = u.projects[i].county;
            if (!r->county) {
                errlist_addf(errs, ERR_INVALID, path, line, 0,
                             "project_id: %s is not a project of round %s's sample", r->unit,
                             round);
                continue;
            }
            snprintf(r->key, sizeof r->key, "%s", r->unit);
        } else {
            level = answers_get(a, "level");
            code = answers_get(a, "unit_code");
            snprintf(r->level, sizeof r->level, "%s", level ? level : "");
            snprintf(r->unit, sizeof r->unit, "%s", code ? code : "");
            r->county = unit_of_round(&u, r->level, r->unit);
            if (!r->county) {
                errlist_addf(errs, ERR_INVALID, path, line, 0,
                             "unit_code: %s is not a %s of round %s (%s)", r->unit, r->level,
                             round,
                             !strcmp(r->level, "city")     ? "the city of a sampled county"
                             : !strcmp(r->level, "county") ? "a county with sampled villages"
                                                            : "a sampled village");
                continue;
            }
            if (kind_cadre) {
                const char *role = answers_get(a, "role"), *mode = answers_get(a, "mode"),
                           *who = answers_get(a, "interviewee");
                snprintf(r->role, sizeof r->role, "%s", role ? role : "");
                snprintf(r->mode, sizeof r->mode, "%s", mode ? mode : "");
                snprintf(r->interviewee, sizeof r->interviewee, "%s", who ? who : "");
                snprintf(r->key, sizeof r->key, "%s|%s|%s|%s", r->level, r->unit, r->role,
                         r->interviewee);
            } else {
                snprintf(r->key, sizeof r->key, "%s|%s", r->level, r->unit);
            }
        }
        /* once per unit: in this file, and in the store */
        {
            int dup = 0;
            for (size_t i = 0; i < nrows && !dup; i++)
                if (!strcmp(rows[i].key, r->key)) {
                    errlist_addf(errs, ERR_INVALID, path, line, 0,
                                 "%s is in this file twice (first on line %ld)", r->key,
                                 rows[i].line);
                    dup = 1;
                }
            if (!dup) {
                rc = stored_key(s, u.sample, f->id, r->key, &dup, e);
                if (rc) goto out;
                if (dup)
                    errlist_addf(errs, ERR_INVALID, path, line, 0,
                                 "%s already has a %s questionnaire in round %s", r->key, f->id,
                                 round);
            }
            if (dup) continue;
        }
        r->answers = answers_json(f, a);
        if (!r->answers) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        nrows++;
    }
    if (rc < 0) {
        errlist_add(errs, &ce);
        rc = 0;
    }
check:
    if (errs->total > before) {
        rc = error_set(e, ERR_INVALID, "%s: %zu error(s); nothing imported", path,
                       errs->total - before);
        goto out;
    }
    if (!nrows) {
        rc = error_set(e, ERR_INVALID, "%s: no questionnaire in the file", path);
        goto out;
    }
    rc = store_begin(s, e);
    if (rc) goto out;
    in_tx = 1;
    rc = audit_writer_begin(&w, s, "check_questionnaires",
                            "sample, form, level, unit, county, role, mode, key, team, source,"
                            " answers, warnings",
                            e);
    if (rc) goto out;
    w_open = 1;
    for (size_t i = 0; i < nrows && !rc; i++) {
        struct crow *r = &rows[i];
        char src[320];
        snprintf(src, sizeof src, "%s:%ld", path, r->line);
#define T(x) rv_text((x), strlen(x))
        w.v[1] = rv_int(u.sample);
        w.v[2] = T(f->id);
        w.v[3] = T(r->level);
        w.v[4] = T(r->unit);
        w.v[5] = rv_int(r->county);
        w.v[6] = T(r->role);
        w.v[7] = T(r->mode);
        w.v[8] = T(r->key);
        w.v[9] = rv_int(r->team);
        w.v[10] = T(src);
        w.v[11] = T(r->answers);
        w.v[12] = rv_int(r->warnings);
#undef T
        rc = audit_writer_row(&w, e);
        stats->warnings += r->warnings;
    }
    if (rc) goto out;
    w_open = 0;
    rc = audit_writer_commit(&w, "checks import", f->id, NULL, e);
    if (rc) goto out;
    in_tx = 0;
    rc = store_commit(s, e);
    if (!rc) stats->questionnaires = (int64_t)nrows;
out:
    if (w_open) audit_writer_abort(&w);
    if (in_tx) store_rollback(s);
    for (size_t i = 0; i < nrows; i++) free(rows[i].answers);
    mem_free(rows);
    for (size_t k = 0; hdr && k < nf; k++) mem_free(hdr[k]);
    mem_free(hdr);
    mem_free(isq);
    csv_close(csv);
    answers_free(a);
    issues_release(&is);
    runits_free(&u);
    return rc;
}

/* Questionnaires stored for (form, level, unit[, role]). */
static int count_done(struct stmt *st, int64_t sample, const char *form, const char *level,
                      const char *unit, const char *role, int64_t *n, struct error *e)
{
    int rc;
    stmt_reset(st);
    stmt_bind_int(st, 1, sample);
    stmt_bind_text(st, 2, form, strlen(form));
    stmt_bind_text(st, 3, level, strlen(level));
    stmt_bind_text(st, 4, unit, strlen(unit));
    stmt_bind_text(st, 5, role, strlen(role));
    rc = stmt_step(st, e);
    *n = rc == STORE_ROW ? stmt_int(st, 0) : 0;
    return rc < 0 ? rc : 0;
}

/* One unit's line: each quota of its level (and paired_county's where paired), required vs
 * done, then its document review. Adds its shortfall to *short_units. */
static int unit_line(struct stmt *st, const struct plan *p, int64_t sample,
                     const char *level, const char *unit, const char *name, int paired, FILE *f,
                     struct checks_quota_stats *qs, struct error *e)
{
    int64_t got, missing = 0, docs;
    int rc;
    fprintf(f, "%-8s %-14s %-10s", level, unit, name);
    for (int i = 0; i < p->ninterviews; i++) {
        const struct plan_interview_quota *q = &p->interviews[i];
        if (strcmp(q->level, level) && !(paired && !strcmp(level, "county") &&
                                         !strcmp(q->level, "paired_county")))
            continue;
        rc = count_done(st, sample, "cadre-interview", level, unit, q->role, &got, e);
        if (rc) return rc;
        fprintf(f, " %s %lld/%d", q->role, (long long)got, q->n);
        if (got < q->n) missing += q->n - got;
        qs->interviews_required += q->n;
        qs->interviews_done += got < q->n ? got : q->n;
    }
    rc = count_done(st, sample, "document-review", level, unit, "", &docs, e);
    if (rc) return rc;
    qs->reviews_required++;
    qs->reviews_done += docs > 0;
    fprintf(f, " | 查阅资料 records %s", docs ? "done" : "missing 未查");
    if (missing) fprintf(f, " | 缺 short %lld interview(s)", (long long)missing);
    fputc('\n', f);
    if (missing || !docs) qs->units_short++;
    return 0;
}

int checks_quotas(struct store *s, const char *round, FILE *f, struct checks_quota_stats *qs,
                  struct error *e)
{
    struct runits u;
    struct plan p;
    struct stmt *st = NULL, *ps = NULL;
    char seed[256];
    int64_t row = 0;
    int rc;
    memset(qs, 0, sizeof *qs);
    memset(&p, 0, sizeof p);
    rc = runits_load(s, round, &u, e);
    if (rc) return rc;
    rc = sample_plan(s, round, &p, seed, sizeof seed, &row, e);
    if (rc) goto out;
    rc = store_prepare(s,
                       "SELECT count(*) FROM check_questionnaires WHERE sample = ? AND form = ? AND"
                       " level = ? AND unit = ? AND role = ?",
                       &st, e);
    if (!rc)
        rc = store_prepare(s,
                           "SELECT count(*) FROM check_questionnaires WHERE sample = ? AND"
                           " form = 'project-check' AND unit = ?",
                           &ps, e);
    if (rc) goto out;
    fprintf(f, "核查完成情况 Checks of round %s (plan %s) — completed/required\n", round, p.id);
    if (!p.ninterviews)
        fprintf(f, "the plan sets no cadre-interview quotas (its \"interviews\" section): only the "
                   "document reviews and project checks are counted\n");
    fprintf(f, "\n干部访谈与查阅资料 Cadre interviews (seed 002 五(三)) and document review (五(二))\n");
    /* cities: each city of the round's counties once */
    for (size_t i = 0; i < u.ncounties && !rc; i++) {
        int seen = 0;
        char code[16];
        for (size_t j = 0; j < i; j++) seen |= u.counties[j].city == u.counties[i].city;
        if (seen) continue;
        snprintf(code, sizeof code, "%d", u.counties[i].city);
        rc = unit_line(st, &p, u.sample, "city", code, "", 0, f, qs, e);
    }
    for (size_t i = 0; i < u.ncounties && !rc; i++) {
        char code[16];
        snprintf(code, sizeof code, "%d", u.counties[i].code);
        rc = unit_line(st, &p, u.sample, "county", code,
                       u.counties[i].paired ? "结对 paired" : "", u.counties[i].paired, f, qs, e);
    }
    for (size_t i = 0; i < u.nvillages && !rc; i++) {
        char code[24];
        snprintf(code, sizeof code, "%lld", (long long)u.villages[i]);
        rc = unit_line(st, &p, u.sample, "village", code, "", 0, f, qs, e);
    }
    if (rc) goto out;
    fprintf(f, "\n项目核查 Project checks (seed 002 五(五))\n");
    for (size_t i = 0; i < u.nprojects; i++) {
        int64_t got = 0;
        stmt_reset(ps);
        stmt_bind_int(ps, 1, u.sample);
        stmt_bind_text(ps, 2, u.projects[i].id, strlen(u.projects[i].id));
        rc = stmt_step(ps, e);
        if (rc < 0) goto out;
        got = rc == STORE_ROW ? stmt_int(ps, 0) : 0;
        rc = 0;
        qs->projects_required++;
        qs->projects_done += got > 0;
        if (!got) qs->units_short++;
        fprintf(f, "%-8d %-40s %s\n", u.projects[i].county, u.projects[i].id,
                got ? "done 已核查" : "missing 未核查");
    }
    fprintf(f, "\n合计 Total: cadre interviews %lld/%lld, document reviews %lld/%lld, project checks "
               "%lld/%lld; %lld unit(s) short\n",
            (long long)qs->interviews_done, (long long)qs->interviews_required,
            (long long)qs->reviews_done, (long long)qs->reviews_required,
            (long long)qs->projects_done, (long long)qs->projects_required,
            (long long)qs->units_short);
out:
    stmt_finalize(st);
    stmt_finalize(ps);
    plan_release(&p);
    runits_free(&u);
    return rc;
}

/* ---------------------------------------------------------------- simulation (the demo) */

/* Opens DIR/NAME.csv for writing into *f; the path goes to path. */
static int open_out(const char *dir, const char *name, struct strbuf *path, FILE **f,
                    struct error *e)
{
    sb_reset(path);
    sb_addf(path, "%s/%s.csv", dir, name);
    if (sb_ok(path)) return error_set(e, ERR_NOMEM, "out of memory");
    *f = fopen(path->buf, "w");
    return *f ? 0 : error_set(e, ERR_IO, "cannot write %s", path->buf);
}

static int import_file(struct store *s, const char *round, const char *forms_dir,
                       const char *form_id, const char *csv, int today, int64_t *n,
                       struct error *e)
{
    struct strbuf fp = STRBUF_INIT;
    struct form *f = NULL;
    struct errlist errs;
    struct checks_import_stats st;
    int rc;
    errlist_init(&errs, 5);
    sb_addf(&fp, "%s/%s.json", forms_dir, form_id);
    rc = sb_ok(&fp) ? error_set(e, ERR_NOMEM, "out of memory")
                    : form_load(fp.buf, &f, &errs, NULL, e);
    if (!rc) rc = checks_import(s, round, f, csv, today, &st, &errs, e);
    if (rc && errs.total) { /* a simulation the forms refuse is a bug: say where */
        char buf[700];
        error_prefix(e, "%s", error_format(&errs.items[0], buf, sizeof buf));
    }
    if (!rc) *n = st.questionnaires;
    form_free(f);
    errlist_release(&errs);
    sb_release(&fp);
    return rc;
}

/* The k-th unit of a round's synthetic checks, k < 2 * ncounties + nvillages: first the
 * cities (each once: 0 for a city already met), then the counties, then the villages. Fills
 * level, code and whether a county is paired; 1 if the unit is to be written. */
static int unit_at(const struct runits *u, size_t k, const char **level, char code[24],
                   int *paired)
{
    *paired = 0;
    if (k < u->ncounties) {
        for (size_t j = 0; j < k; j++)
            if (u->counties[j].city == u->counties[k].city) return 0;
        *level = "city";
        snprintf(code, 24, "%d", u->counties[k].city);
    } else if (k < 2 * u->ncounties) {
        *level = "county";
        snprintf(code, 24, "%d", u->counties[k - u->ncounties].code);
        *paired = u->counties[k - u->ncounties].paired;
    } else {
        *level = "village";
        snprintf(code, 24, "%lld", (long long)u->villages[k - 2 * u->ncounties]);
    }
    return 1;
}

int checks_simulate(struct store *s, const char *round, const char *forms_dir,
                    const char *out_dir, uint64_t seed, double missing,
                    struct checks_sim_stats *st, struct error *e)
{
    struct runits u;
    struct plan p;
    struct strbuf path = STRBUF_INIT;
    FILE *f = NULL;
    char sd[64], date[16];
    int64_t row = 0;
    int rc, today = date_today();
    struct rng r;
    memset(st, 0, sizeof *st);
    memset(&p, 0, sizeof p);
    if (missing < 0 || missing >= 1)
        return error_set(e, ERR_INVALID, "the share of missing checks must be in [0, 1)");
    rc = runits_load(s, round, &u, e);
    if (rc) return rc;
    rc = sample_plan(s, round, &p, sd, sizeof sd, &row, e);
    if (rc) goto out;
    snprintf(date, sizeof date, "%04d-%02d-%02d", today / 10000, today / 100 % 100, today % 100);

    /* cadre interviews: every quota of every unit, each interview missing with p = missing */
    rc = open_out(out_dir, "cadre-interview", &path, &f, e);
    if (rc) goto out;
    fprintf(f, "level,unit_code,role,mode,interviewee,post,interviewer,interview_date,"
               "responsibility,policy,work,projects_funds,agrees_with_records,discrepancy,"
               "paired_visits,paired_funds,paired_exchange\n");
    {
        size_t nunits = u.ncounties * 2 + u.nvillages;
        for (size_t k = 0; k < nunits; k++) {
            const char *level;
            char code[24];
            int paired;
            if (!unit_at(&u, k, &level, code, &paired)) continue;
            for (int q = 0; q < p.ninterviews; q++) {
                const struct plan_interview_quota *iq = &p.interviews[q];
                if (strcmp(iq->level, level) &&
                    !(paired && !strcmp(level, "county") && !strcmp(iq->level, "paired_county")))
                    continue;
                for (int i = 0; i < iq->n; i++) {
                    int differs, pr = !strncmp(iq->role, "paired_", 7);
                    rng_stream(&r, seed, 'c', k * 1000 + (uint64_t)q * 100 + (uint64_t)i);
                    if (rng_bern(&r, missing)) continue;
                    differs = rng_bern(&r, 0.1);
                    fprintf(f, "%s,%s,%s,%s,%s-%s-%d,职务,评估员%d,%s,责任已落实,政策已落实,工作已落实,"
                               "项目资金规范,%s,%s,%s\n",
                            level, code, iq->role, iq->phone ? "phone" : "onsite", code, iq->role,
                            i + 1, rng_int(&r, 1, 40), date, differs ? "no" : "yes",
                            differs ? "所谈项目进度与台账不一致" : "",
                            /* paired_visits, paired_funds, paired_exchange: the paired roles' */
                            pr ? "双方互访2次" ",帮扶资金用于贫困村" ",选派挂职干部1人" : ",,");
                    st->interviews++;
                }
            }
        }
    }
    if (fclose(f)) rc = error_set(e, ERR_IO, "cannot write %s", path.buf);
    f = NULL;
    if (!rc && st->interviews)
        rc = import_file(s, round, forms_dir, "cadre-interview", path.buf, today, &st->interviews,
                         e);
    if (rc) goto out;

    /* document reviews: the county and village lists (the city list likewise) */
    rc = open_out(out_dir, "document-review", &path, &f, e);
    if (rc) goto out;
    {
        static const char *const ci[] = {"plan", "two_three", "rectification", "policies",
                                         "responsibility", "funds", "safeguards"};
        static const char *const co[] = {"plan", "two_three", "rectification", "policies",
                                         "responsibility", "dynamic", "assistance",
                                         "policy_delivery", "key_work", "projects", "funds",
                                         "safeguards"};
        static const char *const pa[] = {"visits", "funds", "exchange"};
        static const char *const vi[] = {"plan", "two_three", "rectification", "responsibility",
                                         "dynamic", "assistance", "policy_delivery", "key_work",
                                         "projects", "funds"};
        /* one file, one column per item of every level (blank where not relevant) */
        struct {
            const char *prefix;
            const char *const *items;
            size_t n;
        } lv[] = {{"city", ci, 7}, {"county", co, 12}, {"paired", pa, 3}, {"village", vi, 10}};
        size_t nunits = u.ncounties * 2 + u.nvillages;
        fputs("level,unit_code,paired,reviewer,review_date,extra_forms", f);
        for (size_t l = 0; l < 4; l++)
            for (size_t i = 0; i < lv[l].n; i++)
                fprintf(f, ",%s_%s,%s_%s_note", lv[l].prefix, lv[l].items[i], lv[l].prefix,
                        lv[l].items[i]);
        fputc('\n', f);
        for (size_t k = 0; k < nunits; k++) {
            const char *level;
            char code[24];
            int paired;
            if (!unit_at(&u, k, &level, code, &paired)) continue;
            rng_stream(&r, seed, 'd', k);
            if (rng_bern(&r, missing)) continue;
            fprintf(f, "%s,%s,%s,评估员%d,%s,no", level, code,
                    !strcmp(level, "county") ? (paired ? "yes" : "no") : "", rng_int(&r, 1, 40),
                    date);
            for (size_t l = 0; l < 4; l++) {
                int on = !strcmp(lv[l].prefix, level) ||
                         (paired && !strcmp(lv[l].prefix, "paired"));
                for (size_t i = 0; i < lv[l].n; i++) {
                    int bad = on && rng_bern(&r, 0.08);
                    fprintf(f, ",%s,%s", on ? (bad ? "incomplete" : "complete") : "",
                            bad ? "台账不完整" : "");
                }
            }
            fputc('\n', f);
            st->reviews++;
        }
    }
    if (fclose(f)) rc = error_set(e, ERR_IO, "cannot write %s", path.buf);
    f = NULL;
    if (!rc && st->reviews)
        rc = import_file(s, round, forms_dir, "document-review", path.buf, today, &st->reviews, e);
    if (rc) goto out;

    /* project checks: every sampled project */
    rc = open_out(out_dir, "project-check", &path, &f, e);
    if (rc) goto out;
    fprintf(f, "project_id,project_kind,checker,check_date,status,progress_pct,planned_end,"
               "progress_note,funds_planned,funds_paid,funds_compliant,funds_issue,beneficiaries,"
               "poor_beneficiaries,effect_rating,effect_note,compare_briefing,compare_cadres,"
               "compare_households,discrepancy\n");
    for (size_t k = 0; k < u.nprojects; k++) {
        int done, pct, planned, benef, poor, stalled, ok, differs;
        rng_stream(&r, seed, 'p', k);
        if (rng_bern(&r, missing)) continue;
        done = rng_bern(&r, 0.7);
        stalled = !done && rng_bern(&r, 0.3);
        pct = done ? 100 : rng_int(&r, 10, 90);
        planned = rng_int(&r, 20, 300);
        benef = rng_int(&r, 10, 200);
        poor = rng_int(&r, 0, benef);
        ok = !rng_bern(&r, 0.1);
        differs = rng_bern(&r, 0.15);
        fprintf(f, "%s,%s,评估员%d,%s,%s,%d,,%s,%d,%d,%s,%s,%d,%d,%s,受益户收入增加,yes,yes,%s,%s\n",
                u.projects[k].id, u.projects[k].paired ? "cooperation" : "village_project",
                rng_int(&r, 1, 40), date, done ? "completed" : stalled ? "stalled" : "in_progress",
                pct, stalled ? "资金未及时拨付" : "", planned, done ? planned : planned * pct / 100,
                ok ? "yes" : "no", ok ? "" : "部分资金用于非扶贫支出", benef, poor,
                done ? "good" : "fair", differs ? "no" : "yes",
                differs ? "农户反映项目分红未到位" : "");
        st->projects++;
    }
    if (fclose(f)) rc = error_set(e, ERR_IO, "cannot write %s", path.buf);
    f = NULL;
    if (!rc && st->projects)
        rc = import_file(s, round, forms_dir, "project-check", path.buf, today, &st->projects, e);
out:
    if (f) fclose(f);
    sb_release(&path);
    plan_release(&p);
    runits_free(&u);
    return rc;
}
