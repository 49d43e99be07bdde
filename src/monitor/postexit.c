/*
 * postexit.c — post-exit monitoring of exited counties (monitor.h; seed 000's four signs of
 * 松劲懈怠, seed 003's transition, seed 001's Hunan 四 work-team rule; docs/monitoring.md).
 *
 * Year Y is compared with Y-1 (and Y-2 for the slowing sign) through the snapshots taken by
 * `import --snapshot`; the office files (plans, training) and the work-team roster (imported
 * by `attendance import`) add what the registry does not hold. The figures are gathered per
 * exited county first (SQL over this stage's tables), then judged by one pure function,
 * monitor_judge, which the unit tests drive at every bound. Listed households and villages
 * are gathered alongside. Nothing here writes to the store except monitor_office_import,
 * which replaces the plans and training tables in one transaction after checking every row.
 */
#include "monitor.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- office files */

static const struct csv_column pcols[] = {
    {"county", "县代码|县编码", 1},
    {"year", "年度|年份", 1},
    {"planned", "计划减贫人数|计划脱贫人数|计划", 1},
};
static const struct csv_column tcols[] = {
    {"county", "县代码|县编码", 1},
    {"date", "日期|培训日期", 1},
    {"title", "培训名称|名称|主题", 1},
    {"participants", "参训人数|人数", 0},
};

struct orow {
    int county, year;
    long n;
    char day[11];
    char title[128];
};

static int read_office(const char *path, int training, struct orow **out, size_t *n,
                       struct error *e)
{
    struct csv *c = NULL;
    size_t cap = 0;
    int idx[4], rc;
    int64_t v;
    *out = NULL;
    *n = 0;
    if ((rc = csv_open(path, &c, e))) return rc;
    if ((rc = csv_next(c, e)) <= 0) {
        if (!rc) rc = error_at(e, ERR_PARSE, path, 1, 0, "empty file (no header)");
        goto out;
    }
    if ((rc = csv_map_header(c, training ? tcols : pcols, training ? 4 : 3, idx, NULL, e)))
        goto out;
    while ((rc = csv_next(c, e)) == 1) {
        struct orow *x;
        long line = csv_line(c);
        const char *s;
        if (csv_row_blank(c)) continue;
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct orow *p = mem_realloc(*out, nc * sizeof *p);
            if (!p) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            *out = p, cap = nc;
        }
        x = &(*out)[*n];
        memset(x, 0, sizeof *x);
        s = csv_field(c, (size_t)idx[0]);
        if (parse_int64(s, &v) || v < 110000 || v > 829999) {
            rc = error_at(e, ERR_PARSE, path, line, idx[0] + 1,
                          "county '%s' is not a 6-digit county code", s);
            goto out;
        }
        x->county = (int)v;
        if (!training) {
            s = csv_field(c, (size_t)idx[1]);
            if (parse_int64(s, &v) || v < 2000 || v > 2100) {
                rc = error_at(e, ERR_PARSE, path, line, idx[1] + 1, "year '%s' is not a year", s);
                goto out;
            }
            x->year = (int)v;
            s = csv_field(c, (size_t)idx[2]);
            if (parse_int64(s, &v) || v < 0 || v > 100000000) {
                rc = error_at(e, ERR_PARSE, path, line, idx[2] + 1,
                              "planned '%s' is not a number of persons", s);
                goto out;
            }
            x->n = (long)v;
            for (size_t i = 0; i < *n; i++)
                if ((*out)[i].county == x->county && (*out)[i].year == x->year) {
                    rc = error_at(e, ERR_INVALID, path, line, idx[1] + 1,
                                  "county %d has two plans for %d", x->county, x->year);
                    goto out;
                }
        } else {
            int d;
            s = csv_field(c, (size_t)idx[1]);
            if (parse_date(s, &d)) {
                rc = error_at(e, ERR_PARSE, path, line, idx[1] + 1,
                              "date '%s' is not a date (YYYY-MM-DD)", s);
                goto out;
            }
            snprintf(x->day, sizeof x->day, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
            snprintf(x->title, sizeof x->title, "%s", csv_field(c, (size_t)idx[2]));
            utf8_trim(x->title);
            if (!x->title[0]) {
                rc = error_at(e, ERR_PARSE, path, line, idx[2] + 1, "the session has no title");
                goto out;
            }
            s = idx[3] >= 0 ? csv_field(c, (size_t)idx[3]) : "";
            if (*s && (parse_int64(s, &v) || v < 0 || v > 1000000)) {
                rc = error_at(e, ERR_PARSE, path, line, idx[3] + 1,
                              "participants '%s' is not a number", s);
                goto out;
            }
            x->n = *s ? (long)v : 0;
        }
        (*n)++;
    }
    if (rc < 0) goto out;
    rc = 0;
out:
    csv_close(c);
    return rc;
}

static int replace_table(struct store *s, const char *table, const char *cols, const struct orow *v,
                         size_t n, int training, const char *key, struct error *e)
{
    struct audit_writer w;
    char del[64];
    int rc = audit_writer_begin(&w, s, table, cols, e);
    if (rc) return rc;
    rc = audit_batch_retire_all(&w.batch, e);
    snprintf(del, sizeof del, "DELETE FROM %s", table);
    if (!rc) rc = store_exec(s, del, e);
    for (size_t i = 0; i < n && !rc; i++) {
        w.v[1] = rv_int(v[i].county);
        if (training) {
            w.v[2] = rv_text(v[i].day, strlen(v[i].day));
            w.v[3] = rv_text(v[i].title, strlen(v[i].title));
            w.v[4] = rv_int(v[i].n);
        } else {
            w.v[2] = rv_int(v[i].year);
            w.v[3] = rv_int(v[i].n);
        }
        rc = audit_writer_row(&w, e);
    }
    if (rc) {
        audit_writer_abort(&w);
        return rc;
    }
    return audit_writer_commit(&w, "monitor import", key, NULL, e);
}

int monitor_office_import(struct store *s, const char *plans, const char *training, long *nplans,
                          long *ntraining, struct error *e)
{
    struct orow *p = NULL, *t = NULL;
    size_t np = 0, nt = 0;
    int rc, tx = 0;
    *nplans = *ntraining = 0;
    if (plans && (rc = read_office(plans, 0, &p, &np, e))) goto out;
    if (training && (rc = read_office(training, 1, &t, &nt, e))) goto out;
    if ((rc = store_begin(s, e))) goto out;
    tx = 1;
    if (plans && (rc = replace_table(s, "mon_plans", "county, year, planned", p, np, 0, plans, e)))
        goto out;
    if (training && (rc = replace_table(s, "mon_training", "county, day, title, participants", t,
                                        nt, 1, training, e)))
        goto out;
    rc = store_commit(s, e);
    tx = 0;
    if (!rc) *nplans = (long)np, *ntraining = (long)nt;
out:
    if (tx) store_rollback(s);
    mem_free(p);
    mem_free(t);
    return rc;
}

/* ---------------------------------------------------------------- the judgment */

void monitor_judge(const struct post_rules *r, struct mon_county *c)
{
    /* rates are known when their year's start count is (r2 > 0, r1 > 0); this year's may be
     * negative (more poor at the end than at the start: returns outnumber exits) */
    c->slowing = c->r2 > 0 && c->r1 > 0 && c->rate_prev > 0 && c->r1 >= r->slowing_min_remaining &&
                 c->rate_now < r->slowing_ratio * c->rate_prev;
    c->target_missed =
        c->planned > 0 && (double)c->achieved < r->target_min_share * (double)c->planned;
    c->income_falling =
        c->inc_compared > 0 && (double)c->inc_fell >= r->income_max_share * (double)c->inc_compared;
    c->slack_training = c->train_now >= 0 &&
                        (c->train_now == 0 ||
                         (double)c->train_now < r->training_drop_ratio * (double)c->train_prev);
    c->slack_team =
        c->team_base > 0 && (double)c->team_moved >= r->reassigned_share * (double)c->team_base;
    c->slackening = c->slack_training || c->slack_team;
    c->signs = c->slowing + c->target_missed + c->income_falling + c->slackening;
    c->interview = c->signs >= r->interview_min_signs || c->slackening;
}

/* ---------------------------------------------------------------- gathering */

void monitor_result_release(struct monitor_result *m)
{
    mem_free(m->c);
    mem_free(m->fell);
    mem_free(m->trans);
    mem_free(m->v);
    memset(m, 0, sizeof *m);
}

static struct mon_county *county_of(struct monitor_result *m, int code)
{
    for (size_t i = 0; i < m->nc; i++)
        if (m->c[i].county == code) return &m->c[i];
    return NULL;
}

/* The latest snapshot date in `year` into out ("" if none). */
static int snap_of_year(struct store *s, int year, char out[11], struct error *e)
{
    struct stmt *q = NULL;
    char lo[12], hi[12];
    int rc = store_prepare(s,
                           "SELECT max(snapshot) FROM mon_snap_counties WHERE snapshot >= ?"
                           " AND snapshot <= ?",
                           &q, e);
    out[0] = 0;
    if (rc) return rc;
    snprintf(lo, sizeof lo, "%04d-01-01", year);
    snprintf(hi, sizeof hi, "%04d-12-31", year);
    stmt_bind_text(q, 1, lo, 10);
    stmt_bind_text(q, 2, hi, 10);
    if ((rc = stmt_step(q, e)) == STORE_ROW) {
        snprintf(out, 11, "%s", stmt_text(q, 0));
        rc = 0;
    }
    stmt_finalize(q);
    return rc < 0 ? rc : 0;
}

static int remaining(struct store *s, struct monitor_result *m, const char *snap, int which,
                     struct error *e)
{
    struct stmt *q = NULL;
    int rc;
    if (!snap[0]) return 0;
    rc = store_prepare(s,
                       "SELECT village / 1000000, sum(persons) FROM mon_snap_households"
                       " WHERE snapshot = ? AND registered = 1 AND (exit_year IS NULL OR"
                       " returned = 1) GROUP BY village / 1000000",
                       &q, e);
    if (rc) return rc;
    stmt_bind_text(q, 1, snap, strlen(snap));
    for (size_t i = 0; i < m->nc; i++) {
        long *r = which == 0 ? &m->c[i].r0 : which == 1 ? &m->c[i].r1 : &m->c[i].r2;
        *r = 0; /* a county in the snapshot with no poor left */
    }
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        struct mon_county *c = county_of(m, (int)stmt_int(q, 0));
        if (!c) continue;
        if (which == 0)
            c->r0 = (long)stmt_int(q, 1);
        else if (which == 1)
            c->r1 = (long)stmt_int(q, 1);
        else
            c->r2 = (long)stmt_int(q, 1);
    }
    stmt_finalize(q);
    return rc < 0 ? rc : 0;
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 64;
    void *p = mem_realloc(*v, nc * size);
    if (!p) return ERR_NOMEM;
    *v = p;
    *cap = nc;
    return 0;
}

/* Runs `sql` with text/int parameters given as a format: 't' text, 'i' int. */
static int prep(struct store *s, const char *sql, struct stmt **q, struct error *e,
                const char *types, ...)
{
    va_list ap;
    int rc = store_prepare(s, sql, q, e);
    if (rc) return rc;
    va_start(ap, types);
    for (int i = 0; types[i]; i++) {
        if (types[i] == 't') {
            const char *t = va_arg(ap, const char *);
            stmt_bind_text(*q, i + 1, t, strlen(t));
        } else
            stmt_bind_int(*q, i + 1, va_arg(ap, int64_t));
    }
    va_end(ap);
    return 0;
}

int monitor_run(struct store *s, const struct post_rules *r, int year, struct monitor_result *m,
                struct error *e)
{
    struct stmt *q = NULL;
    size_t cap = 0, capf = 0, capt = 0, capv = 0;
    char jan1[11], dec31[11];
    int rc;
    int64_t latest = 0;
    memset(m, 0, sizeof *m);
    if (!year) {
        if ((rc = store_query_int(s, "SELECT max(substr(snapshot, 1, 4)) FROM mon_snap_counties", 0,
                                  &latest, e)))
            return rc;
        if (!latest)
            return error_set(e, ERR_NOTFOUND,
                             "no registry snapshot in the store: import one "
                             "with `pinggu import --snapshot YYYY-12-31`");
        year = (int)latest;
    }
    m->year = year;
    if ((rc = snap_of_year(s, year, m->snap_now, e)) ||
        (rc = snap_of_year(s, year - 1, m->snap_prev, e)) ||
        (rc = snap_of_year(s, year - 2, m->snap_prev2, e)))
        goto out;
    if (!m->snap_now[0] || !m->snap_prev[0]) {
        rc = error_set(e, ERR_NOTFOUND,
                       "monitoring %d needs a registry snapshot of %d and one of %d (have: %s, "
                       "%s)",
                       year, year, year - 1, m->snap_now[0] ? m->snap_now : "none",
                       m->snap_prev[0] ? m->snap_prev : "none");
        goto out;
    }
    snprintf(jan1, sizeof jan1, "%04d-01-01", year);
    snprintf(dec31, sizeof dec31, "%04d-12-31", year);

    /* exited counties of the year's snapshot */
    if ((rc = prep(s,
                   "SELECT county, name, exit_year FROM mon_snap_counties WHERE snapshot = ?"
                   " AND exit_year IS NOT NULL AND exit_year <= ? ORDER BY county",
                   &q, e, "ti", m->snap_now, (int64_t)year)))
        goto out;
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        struct mon_county *c;
        if (grow((void **)&m->c, &cap, m->nc, sizeof *m->c)) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        c = &m->c[m->nc++];
        memset(c, 0, sizeof *c);
        c->county = (int)stmt_int(q, 0);
        snprintf(c->name, sizeof c->name, "%s", stmt_text(q, 1));
        utf8_trim(c->name);
        c->exit_year = (int)stmt_int(q, 2);
        c->r0 = c->r1 = c->r2 = -1;
        c->planned = -1;
    }
    stmt_finalize(q);
    q = NULL;
    if (rc < 0) goto out;

    /* 1. reduction slowing */
    if ((rc = remaining(s, m, m->snap_now, 0, e)) || (rc = remaining(s, m, m->snap_prev, 1, e)) ||
        (rc = remaining(s, m, m->snap_prev2, 2, e)))
        goto out;
    for (size_t i = 0; i < m->nc; i++) {
        struct mon_county *c = &m->c[i];
        c->rate_now = c->r1 > 0 && c->r0 >= 0 ? (double)(c->r1 - c->r0) / (double)c->r1 : 0;
        c->rate_prev = c->r2 > 0 ? (double)(c->r2 - c->r1) / (double)c->r2 : 0;
    }

    /* 2. target: persons exited in Y against the plan */
    if ((rc = prep(s,
                   "SELECT village / 1000000, sum(persons) FROM mon_snap_households WHERE"
                   " snapshot = ? AND registered = 1 AND exit_year = ? AND returned = 0"
                   " GROUP BY village / 1000000",
                   &q, e, "ti", m->snap_now, (int64_t)year)))
        goto out;
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        struct mon_county *c = county_of(m, (int)stmt_int(q, 0));
        if (c) c->achieved = (long)stmt_int(q, 1);
    }
    stmt_finalize(q);
    q = NULL;
    if (rc < 0) goto out;
    if ((rc = prep(s, "SELECT county, planned FROM mon_plans WHERE year = ?", &q, e, "i",
                   (int64_t)year)))
        goto out;
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        struct mon_county *c = county_of(m, (int)stmt_int(q, 0));
        if (c) c->planned = (long)stmt_int(q, 1);
    }
    stmt_finalize(q);
    q = NULL;
    if (rc < 0) goto out;

    /* 3. incomes of exited households, year on year */
    if ((rc = prep(s,
                   "SELECT a.household_id, a.village / 1000000, a.exit_year, b.income, a.income"
                   " FROM mon_snap_households a JOIN mon_snap_households b ON b.snapshot = ?"
                   " AND b.household_id = a.household_id WHERE a.snapshot = ? AND"
                   " a.registered = 1 AND b.registered = 1 AND a.returned = 0 AND"
                   " a.exit_year IS NOT NULL AND a.exit_year < ? AND a.income IS NOT NULL"
                   " AND b.income IS NOT NULL ORDER BY a.household_id",
                   &q, e, "tti", m->snap_prev, m->snap_now, (int64_t)year)))
        goto out;
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        struct mon_county *c = county_of(m, (int)stmt_int(q, 1));
        double before = stmt_double(q, 3), after = stmt_double(q, 4);
        if (!c) continue;
        c->inc_compared++;
        if (after < before) {
            struct mon_household *h;
            c->inc_fell++;
            if (grow((void **)&m->fell, &capf, m->nfell, sizeof *m->fell)) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            h = &m->fell[m->nfell++];
            memset(h, 0, sizeof *h);
            snprintf(h->household_id, sizeof h->household_id, "%s", stmt_text(q, 0));
            h->county = c->county;
            h->exit_year = (int)stmt_int(q, 2);
            h->before = before;
            h->after = after;
        }
    }
    stmt_finalize(q);
    q = NULL;
    if (rc < 0) goto out;

    /* 4. slackening: training sessions per year, work-team members moved away */
    if ((rc = prep(s,
                   "SELECT county, substr(day, 1, 4), count(*) FROM mon_training"
                   " GROUP BY county, substr(day, 1, 4)",
                   &q, e, "")))
        goto out;
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        struct mon_county *c = county_of(m, (int)stmt_int(q, 0));
        int y = atoi(stmt_text(q, 1));
        if (!c) continue;
        if (y == year)
            c->train_now = (long)stmt_int(q, 2);
        else if (y == year - 1)
            c->train_prev = (long)stmt_int(q, 2);
    }
    stmt_finalize(q);
    q = NULL;
    if (rc < 0) goto out;
    if ((rc = prep(s,
                   "SELECT village / 1000000, count(*), sum(CASE WHEN to_day <> '' AND"
                   " to_day <= ? AND left_for <> '' THEN 1 ELSE 0 END) FROM mon_roster"
                   " WHERE from_day <= ? AND (to_day = '' OR to_day >= ?)"
                   " GROUP BY village / 1000000",
                   &q, e, "ttt", dec31, jan1, jan1)))
        goto out;
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        struct mon_county *c = county_of(m, (int)stmt_int(q, 0));
        if (!c) continue;
        c->team_base = (long)stmt_int(q, 1);
        c->team_moved = (long)stmt_int(q, 2);
    }
    stmt_finalize(q);
    q = NULL;
    if (rc < 0) goto out;
    {
        int64_t ntrain = 0;
        if ((rc = store_query_int(s, "SELECT count(*) FROM mon_training", 0, &ntrain, e))) goto out;
        for (size_t i = 0; i < m->nc; i++) {
            if (!ntrain) m->c[i].train_now = m->c[i].train_prev = -1; /* no file: unknown */
            monitor_judge(r, &m->c[i]);
        }
    }

    /* seed 003: support stopped within the transition years after exit */
    if ((rc = prep(s,
                   "SELECT a.household_id, a.village / 1000000, a.exit_year, ma.resident,"
                   " mb.medical_insurance, ma.medical_insurance, mb.in_school, ma.in_school"
                   " FROM mon_snap_households a"
                   " JOIN mon_snap_members ma ON ma.snapshot = a.snapshot AND"
                   " ma.household_id = a.household_id"
                   " JOIN mon_snap_members mb ON mb.snapshot = ? AND mb.resident = ma.resident"
                   " WHERE a.snapshot = ? AND a.registered = 1 AND a.returned = 0 AND"
                   " a.exit_year IS NOT NULL AND a.exit_year <= ? AND a.exit_year >= ? AND"
                   " ((mb.medical_insurance = 1 AND ma.medical_insurance = 0) OR"
                   " (mb.in_school = 1 AND ma.in_school = 0))"
                   " ORDER BY a.household_id, ma.resident",
                   &q, e, "ttii", m->snap_prev, m->snap_now, (int64_t)year,
                   (int64_t)(year - r->transition_years))))
        goto out;
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        const char *hid = stmt_text(q, 0);
        struct mon_household *h = m->ntrans ? &m->trans[m->ntrans - 1] : NULL;
        int med = stmt_int(q, 4) == 1 && stmt_int(q, 5) == 0, school = 0;
        char id[19];
        if (stmt_int(q, 6) == 1 && stmt_int(q, 7) == 0) {
            int birth, age;
            ids_unpack((uint64_t)stmt_int(q, 3), id);
            char b[9];
            memcpy(b, id + 6, 8);
            b[8] = 0;
            birth = atoi(b);
            age = date_age(birth, year * 10000 + 1231);
            school = age >= r->school_age_from && age <= r->school_age_to;
        }
        if (!med && !school) continue;
        if (!h || strcmp(h->household_id, hid)) {
            if (grow((void **)&m->trans, &capt, m->ntrans, sizeof *m->trans)) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            h = &m->trans[m->ntrans++];
            memset(h, 0, sizeof *h);
            snprintf(h->household_id, sizeof h->household_id, "%s", hid);
            h->county = (int)stmt_int(q, 1);
            h->exit_year = (int)stmt_int(q, 2);
        }
        if (med && !strstr(h->why, "医保"))
            snprintf(h->why + strlen(h->why), sizeof h->why - strlen(h->why), "%s医保停 medical",
                     h->why[0] ? "; " : "");
        if (school && !strstr(h->why, "教育"))
            snprintf(h->why + strlen(h->why), sizeof h->why - strlen(h->why), "%s教育停 school",
                     h->why[0] ? "; " : "");
    }
    stmt_finalize(q);
    q = NULL;
    if (rc < 0) goto out;

    /* seed 001 (Hunan 四): non-poor villages with many poor persons and no work team */
    if ((rc = prep(s,
                   "SELECT p.village, v.name, p.n FROM (SELECT village, sum(persons) AS n"
                   " FROM mon_snap_households WHERE snapshot = ? AND registered = 1 AND"
                   " (exit_year IS NULL OR returned = 1) GROUP BY village) p"
                   " JOIN mon_snap_villages v ON v.snapshot = ? AND v.village = p.village"
                   " WHERE v.poor = 0 AND p.n >= ? AND NOT EXISTS (SELECT 1 FROM mon_roster r"
                   " WHERE r.village = p.village AND r.from_day <= ? AND (r.to_day = '' OR"
                   " r.to_day >= ?)) ORDER BY p.village",
                   &q, e, "ttitt", m->snap_now, m->snap_now, (int64_t)r->work_team_min_poor,
                   m->snap_now, m->snap_now)))
        goto out;
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        struct mon_village *v;
        if (grow((void **)&m->v, &capv, m->nv, sizeof *m->v)) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        v = &m->v[m->nv++];
        v->village = stmt_int(q, 0);
        snprintf(v->name, sizeof v->name, "%s", stmt_text(q, 1));
        utf8_trim(v->name);
        v->poor = (long)stmt_int(q, 2);
    }
    if (rc < 0) goto out;
    rc = 0;
out:
    stmt_finalize(q);
    if (rc) monitor_result_release(m);
    return rc;
}

/* ---------------------------------------------------------------- the report */

static const char *yn(int v)
{
    return v ? "是 yes" : "";
}

static void rate_text(long start, double v, char *buf, size_t n)
{
    if (start <= 0)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.4f", v);
}

const char *monitor_evidence(const struct mon_county *c, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s%s%s%s", c->slowing ? "减贫放缓 slowing; " : "",
             c->target_missed ? "未完成减贫任务 target missed; " : "",
             c->income_falling ? "收入下降 incomes falling; " : "",
             c->slack_training ? "培训大减 training down; " : "",
             c->slack_team ? "驻村工作队调离 teams moved away" : "");
    return buf;
}

int monitor_doc(const struct monitor_result *m, const struct post_rules *r, struct mon_doc **out)
{
    static const char *const ccols[] = {"县 county",
                                        "县名 name",
                                        "摘帽年 exit",
                                        "剩余贫困人口 Y-2",
                                        "Y-1",
                                        "Y",
                                        "减贫率 rate Y-1",
                                        "减贫率 rate Y",
                                        "放缓 slowing",
                                        "计划 planned",
                                        "完成 achieved",
                                        "未完成 missed",
                                        "比较户 compared",
                                        "收入下降户 fell",
                                        "占比 share",
                                        "收入下降 falling",
                                        "培训 Y-1",
                                        "培训 Y",
                                        "在岗队员 team 1 Jan",
                                        "调离 moved",
                                        "懈怠 slackening",
                                        "信号数 signs",
                                        "约谈 interview"};
    static const char *const icols[] = {"县 county", "县名 name", "信号数 signs", "依据 evidence"};
    static const char *const fcols[] = {"县 county", "户 household", "脱贫年 exit",
                                        "上年收入 before", "本年收入 after"};
    static const char *const trcols[] = {"县 county", "户 household", "脱贫年 exit",
                                         "停止的帮扶 support stopped"};
    static const char *const vcols[] = {"村 village", "村名 name", "贫困人口 poor persons"};
    struct mon_doc *d = NULL;
    struct mon_table *ti, *tc, *tf, *tt, *tv;
    char title[128], ev[160];
    int rc;
    long ninterview = 0;
    *out = NULL;
    snprintf(title, sizeof title, "脱贫摘帽县监测 Post-exit monitoring %d", m->year);
    if ((rc = mon_doc_new(title, &d))) return rc;
    for (size_t i = 0; i < m->nc; i++) ninterview += m->c[i].interview;
    mon_doc_para(d,
                 "Snapshots compared: %s, %s%s%s. %zu exited counties; %ld warrant an "
                 "interview (约谈).",
                 m->snap_now, m->snap_prev, m->snap_prev2[0] ? ", " : "", m->snap_prev2, m->nc,
                 ninterview);
    mon_doc_para(d,
                 "Seed 000: 第一,减贫速度明显放缓 (rate below %.2f x last year's, at least "
                 "%ld poor left); 第二,当年没有完成减贫任务 (achieved below %.2f x planned); "
                 "脱贫人口收入不增反降 (share of exited households whose income fell at or "
                 "above %.2f); 第三,培训力度大大低于去年 (below %.2f x last year's, or none); "
                 "第四,换频道 (at least %.2f of the work-team members moved away). 约谈: %d "
                 "signs, or slackening.",
                 r->slowing_ratio, r->slowing_min_remaining, r->target_min_share,
                 r->income_max_share, r->training_drop_ratio, r->reassigned_share,
                 r->interview_min_signs);
    ti =
        mon_doc_table(d, "约谈 interview", "约谈的县 Counties that warrant an interview", icols, 4);
    tc = mon_doc_table(d, "信号 signs", "每个摘帽县 Every exited county", ccols, 23);
    tf = mon_doc_table(d, "收入下降 incomes",
                       "收入不增反降的脱贫户 Exited households whose income fell", fcols, 5);
    tt = mon_doc_table(d, "过渡期 transition",
                       "过渡期内停止帮扶 Support stopped within the transition (seed 003)", trcols,
                       4);
    tv = mon_doc_table(
        d, "驻村工作队 teams",
        "贫困人口100人以上的非贫困村未派驻村工作队 Villages without a work team (seed 001)", vcols,
        3);
    for (size_t i = 0; i < m->nc; i++) {
        const struct mon_county *c = &m->c[i];
        char a[16], b[16];
        rate_text(c->r2, c->rate_prev, a, sizeof a);
        rate_text(c->r1, c->rate_now, b, sizeof b);
        mon_table_rowf(
            tc,
            "%d\t%s\t%d\t%ld\t%ld\t%ld\t%s\t%s\t%s\t%ld\t%ld\t%s\t%ld\t%ld\t%.4f\t%s\t%ld"
            "\t%ld\t%ld\t%ld\t%s\t%d\t%s",
            c->county, c->name, c->exit_year, c->r2, c->r1, c->r0, a, b, yn(c->slowing), c->planned,
            c->achieved, yn(c->target_missed), c->inc_compared, c->inc_fell,
            c->inc_compared ? (double)c->inc_fell / (double)c->inc_compared : 0.0,
            yn(c->income_falling), c->train_prev, c->train_now, c->team_base, c->team_moved,
            yn(c->slackening), c->signs, yn(c->interview));
        if (c->interview)
            mon_table_rowf(ti, "%d\t%s\t%d\t%s", c->county, c->name, c->signs,
                           monitor_evidence(c, ev, sizeof ev));
    }
    for (size_t i = 0; i < m->nfell; i++)
        mon_table_rowf(tf, "%d\t%s\t%d\t%.2f\t%.2f", m->fell[i].county, m->fell[i].household_id,
                       m->fell[i].exit_year, m->fell[i].before, m->fell[i].after);
    for (size_t i = 0; i < m->ntrans; i++)
        mon_table_rowf(tt, "%d\t%s\t%d\t%s", m->trans[i].county, m->trans[i].household_id,
                       m->trans[i].exit_year, m->trans[i].why);
    for (size_t i = 0; i < m->nv; i++)
        mon_table_rowf(tv, "%lld\t%s\t%ld", (long long)m->v[i].village, m->v[i].name, m->v[i].poor);
    *out = d;
    return 0;
}

int monitor_write(const struct monitor_result *m, const struct post_rules *r, const char *dir,
                  struct error *e)
{
    struct mon_doc *d = NULL;
    char base[32];
    int rc;
    snprintf(base, sizeof base, "monitor-%d", m->year);
    if (monitor_doc(m, r, &d)) return error_set(e, ERR_NOMEM, "out of memory");
    rc = mon_doc_write(d, dir, base, e);
    mon_doc_free(d);
    return rc;
}
