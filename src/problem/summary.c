/*
 * summary.c — each team's day of problems (problem.h problem_day_summary; DESIGN §8.1).
 *
 * Which steps a round uses, and when, is plan data (plan.h struct plan_problem_steps): the
 * district plan's day's list is due by 20:00 (seed 004, third article, 三.1: "各组当天发现的问题
 * 要及时汇总,由区脱贫指挥部联络员负责在当天晚上8点前,将当天汇总问题清单…报至…邮箱"); Anhui
 * verifies with the county the next day (seed 002 五(六): "集中对发现问题进行汇总和研判…并于次日
 * 与当地有关部门共同核实") and names no hour. A problem belongs to the team that surveyed its unit (the round's questionnaires); a
 * problem whose unit no team surveyed is listed under team 0.
 *
 * Times: a move's day is its on_day; its hour is its `at` (UTC) read in China Standard Time
 * (UTC+8) and used only when that falls on the same day (a move entered later with --on for an
 * earlier day carries no hour of that day). A summary on a later day than the recording is late
 * whatever the hour; on the same day it is late after the plan's hour.
 */
#include "problem.h"
#include "../plan/plan.h"

#include <stdlib.h>
#include <string.h>

struct team_day {
    int team;
    int64_t recorded, summarised, late, missing, sent, due_verify;
};

static struct team_day *team_of(struct team_day **t, size_t *n, size_t *cap, int team)
{
    for (size_t i = 0; i < *n; i++)
        if ((*t)[i].team == team) return &(*t)[i];
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct team_day *nt = mem_realloc(*t, nc * sizeof *nt);
        if (!nt) return NULL;
        *t = nt, *cap = nc;
    }
    memset(&(*t)[*n], 0, sizeof **t);
    (*t)[*n].team = team;
    return &(*t)[(*n)++];
}

/* The minute of the day (CST) of an ISO UTC time, if it falls on `day`; else -1. */
static int cst_minute_on(const char *at, int day)
{
    int y, mo, d, h, mi;
    long z;
    if (sscanf(at, "%4d-%2d-%2dT%2d:%2d", &y, &mo, &d, &h, &mi) != 5) return -1;
    z = date_to_days(y * 10000 + mo * 100 + d);
    h += 8;
    if (h >= 24) h -= 24, z++;
    return date_from_days(z) == day ? h * 60 + mi : -1;
}

static int cmp_team(const void *a, const void *b)
{
    const struct team_day *x = a, *y = b;
    return (x->team > y->team) - (x->team < y->team);
}

/* What one problem's moves say up to `limit` (a day, YYYYMMDD): the day it was recorded (its
 * finding day for an evaluator's own finding), the day and CST minute of its first summary,
 * the day it was first sent to the county, and its state on that day (`stored` if no move was
 * made by then). */
struct problem_days {
    int rec_day, sum_day, sum_min, sent_day;
    enum problem_state state;
};

static int problem_days_of(struct stmt *ms, int64_t id, const char *source, const char *found_on,
                           const char *stored, int limit, struct problem_days *d, struct error *e)
{
    int found, rc, st0 = problem_state_parse(stored);
    memset(d, 0, sizeof *d);
    d->sum_min = -1;
    d->state = st0 < 0 ? PS_CANDIDATE : (enum problem_state)st0;
    if (parse_date(found_on, &found)) found = 0;
    if (!strcmp(source, "finding")) d->rec_day = found;
    stmt_reset(ms);
    stmt_bind_int(ms, 1, id);
    while ((rc = stmt_step(ms, e)) == STORE_ROW) {
        int st = problem_state_parse(stmt_text(ms, 0)), on;
        if (parse_date(stmt_text(ms, 1), &on)) continue;
        if (on > limit) continue; /* not yet made on that day */
        if (st >= 0) d->state = (enum problem_state)st;
        if (st == PS_RECORDED && !d->rec_day) d->rec_day = on;
        if (st == PS_SUMMARISED && !d->sum_day) {
            d->sum_day = on;
            d->sum_min = cst_minute_on(stmt_text(ms, 2), on);
        }
        if (st == PS_SENT && !d->sent_day) d->sent_day = on;
    }
    return rc < 0 ? rc : 0;
}

/* The one lateness rule of the day's summary: a summary on a later day than the recording is
 * late whatever the hour; on the same day it is late after the plan's hour, if it sets one. */
static int summary_late(const struct plan *p, const struct problem_days *d)
{
    return d->sum_day && (d->sum_day > d->rec_day ||
                          (p->steps.summary_due >= 0 && d->sum_min > p->steps.summary_due));
}

static const char problems_sql[] =
    "SELECT p.row_no, p.source, p.found_on,"
    " coalesce((SELECT q.team FROM questionnaires q WHERE q.sample = p.sample"
    " AND q.unit = p.unit LIMIT 1), 0), p.county, p.status"
    " FROM problems p WHERE p.sample = ? ORDER BY p.row_no";
static const char moves_sql[] =
    "SELECT to_state, on_day, at FROM problem_moves WHERE problem = ? ORDER BY row_no";

int problem_day_summary(struct store *s, const char *round, int day, FILE *f, struct error *e)
{
    struct plan p;
    int64_t srow;
    struct stmt *ps = NULL, *ms = NULL;
    struct team_day *t = NULL;
    size_t nt = 0, ct = 0;
    char dstr[16], tb[12];
    int rc = sample_plan(s, round, &p, NULL, 0, &srow, e);
    if (rc) return rc;
    snprintf(dstr, sizeof dstr, "%04d-%02d-%02d", day / 10000, day / 100 % 100, day % 100);
    rc = store_prepare(s, problems_sql, &ps, e);
    if (!rc) rc = store_prepare(s, moves_sql, &ms, e);
    if (rc) goto out;
    stmt_bind_int(ps, 1, srow);
    while ((rc = stmt_step(ps, e)) == STORE_ROW) {
        struct problem_days d;
        struct team_day *td;
        rc = problem_days_of(ms, stmt_int(ps, 0), stmt_text(ps, 1), stmt_text(ps, 2),
                             stmt_text(ps, 5), day, &d, e);
        if (rc) goto out;
        if (!d.rec_day) continue; /* never taken up by that day */
        td = team_of(&t, &nt, &ct, (int)stmt_int(ps, 3));
        if (!td) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        if (d.rec_day == day) {
            td->recorded++;
            if (!d.sum_day) td->missing++;
        }
        if (d.sum_day == day) {
            td->summarised++;
            td->late += summary_late(&p, &d);
        }
        if (d.sent_day == day) td->sent++;
        /* Anhui: what was summarised the day before is verified with the county today */
        if (p.steps.verify_next_day && d.sum_day && d.sum_day < day && !d.sent_day &&
            date_to_days(d.sum_day) == date_to_days(day) - 1)
            td->due_verify++;
    }
    if (rc < 0) goto out;
    rc = 0;
    if (nt) qsort(t, nt, sizeof *t, cmp_team);
    fprintf(f, "当日问题汇总 The day's problems — round %s, %s\n", round, dstr);
    if (p.steps.summary_due >= 0)
        fprintf(f, "plan: the day's list due by %02d:%02d (China Standard Time)\n",
                p.steps.summary_due / 60, p.steps.summary_due % 60);
    else
        fprintf(f, "plan: no hour set for the day's summary\n");
    if (p.steps.verify_next_day)
        fprintf(f, "plan: verified jointly with the county the next day\n");
    if (p.steps.verify_at_end) fprintf(f, "plan: fed back at the end, no county verification\n");
    fprintf(f, "%-8s %8s %8s %8s %8s %8s %8s\n", "team", "记录", "汇总", "迟交", "未汇总",
            "送县核实", "今日应核实");
    fprintf(f, "%-8s %8s %8s %8s %8s %8s %8s\n", "", "recorded", "summed", "late", "missing",
            "sent", "due");
    for (size_t i = 0; i < nt; i++)
        fprintf(f, "%-8s %8lld %8lld %8lld %8lld %8lld %8lld\n", teams_label(t[i].team, tb),
                (long long)t[i].recorded, (long long)t[i].summarised, (long long)t[i].late,
                (long long)t[i].missing, (long long)t[i].sent, (long long)t[i].due_verify);
    if (!nt) fprintf(f, "(no problem was taken up by that day)\n");
out:
    stmt_finalize(ps);
    stmt_finalize(ms);
    mem_free(t);
    plan_release(&p);
    return rc;
}

/* ------------------------------------------------------------------ counts for the progress page */

static struct problem_count_row *count_row(struct problem_counts *c, size_t *cap, int county,
                                           int team)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->rows[i].county == county && c->rows[i].team == team) return &c->rows[i];
    if (c->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct problem_count_row *nr = mem_realloc(c->rows, nc * sizeof *nr);
        if (!nr) return NULL;
        c->rows = nr, *cap = nc;
    }
    memset(&c->rows[c->n], 0, sizeof c->rows[0]);
    c->rows[c->n].county = county;
    c->rows[c->n].team = team;
    return &c->rows[c->n++];
}

static int cmp_row(const void *a, const void *b)
{
    const struct problem_count_row *x = a, *y = b;
    if (x->county != y->county) return (x->county > y->county) - (x->county < y->county);
    return (x->team > y->team) - (x->team < y->team);
}

void problem_counts_release(struct problem_counts *c)
{
    mem_free(c->rows);
    memset(c, 0, sizeof *c);
}

int problem_counts(struct store *s, const char *round, int asof, struct problem_counts *out,
                   struct error *e)
{
    struct plan p;
    int64_t srow;
    struct stmt *ps = NULL, *ms = NULL;
    size_t cap = 0;
    int rc;
    memset(out, 0, sizeof *out);
    if (!asof) asof = date_today();
    rc = sample_plan(s, round, &p, NULL, 0, &srow, e);
    if (rc) return rc;
    out->summary_due = p.steps.summary_due;
    out->verify_next_day = p.steps.verify_next_day;
    out->asof = asof;
    rc = store_prepare(s, problems_sql, &ps, e);
    if (!rc) rc = store_prepare(s, moves_sql, &ms, e);
    if (rc) goto out;
    stmt_bind_int(ps, 1, srow);
    while ((rc = stmt_step(ps, e)) == STORE_ROW) {
        struct problem_days d;
        struct problem_count_row *r;
        int found;
        if (parse_date(stmt_text(ps, 2), &found)) found = 0;
        if (found > asof) continue; /* not yet found on the asof day */
        rc = problem_days_of(ms, stmt_int(ps, 0), stmt_text(ps, 1), stmt_text(ps, 2),
                             stmt_text(ps, 5), asof, &d, e);
        if (rc) goto out;
        r = count_row(out, &cap, (int)stmt_int(ps, 4), (int)stmt_int(ps, 3));
        if (!r) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        r->problems++;
        r->state[d.state]++;
        if (d.rec_day) {
            if (d.sum_day) r->summarised++;
            else if (d.state < PS_SUMMARISED) r->unsummarised++;
            r->late_summaries += summary_late(&p, &d);
        }
    }
    if (rc < 0) goto out;
    rc = 0;
    if (out->n) qsort(out->rows, out->n, sizeof out->rows[0], cmp_row);
out:
    if (rc) problem_counts_release(out);
    stmt_finalize(ps);
    stmt_finalize(ms);
    plan_release(&p);
    return rc;
}
