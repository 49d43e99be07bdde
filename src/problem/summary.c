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

int problem_day_summary(struct store *s, const char *round, int day, FILE *f, struct error *e)
{
    struct plan p;
    int64_t srow;
    struct stmt *ps = NULL, *ms = NULL;
    struct team_day *t = NULL;
    size_t nt = 0, ct = 0;
    char dstr[16];
    int rc = sample_plan(s, round, &p, NULL, 0, &srow, e);
    if (rc) return rc;
    snprintf(dstr, sizeof dstr, "%04d-%02d-%02d", day / 10000, day / 100 % 100, day % 100);
    rc = store_prepare(s,
                       "SELECT p.row_no, p.source, p.found_on,"
                       " coalesce((SELECT q.team FROM questionnaires q WHERE q.sample = p.sample"
                       " AND q.unit = p.unit LIMIT 1), 0)"
                       " FROM problems p WHERE p.sample = ? ORDER BY p.row_no",
                       &ps, e);
    if (!rc)
        rc = store_prepare(s,
                           "SELECT to_state, on_day, at FROM problem_moves WHERE problem = ?"
                           " ORDER BY row_no",
                           &ms, e);
    if (rc) goto out;
    stmt_bind_int(ps, 1, srow);
    while ((rc = stmt_step(ps, e)) == STORE_ROW) {
        int rec_day = 0, sum_day = 0, sum_min = -1, sent_day = 0, found;
        struct team_day *td;
        if (parse_date(stmt_text(ps, 2), &found)) found = 0;
        if (!strcmp(stmt_text(ps, 1), "finding")) rec_day = found;
        stmt_reset(ms);
        stmt_bind_int(ms, 1, stmt_int(ps, 0));
        while ((rc = stmt_step(ms, e)) == STORE_ROW) {
            int st = problem_state_parse(stmt_text(ms, 0)), on;
            if (parse_date(stmt_text(ms, 1), &on)) continue;
            if (on > day) continue; /* not yet made on that day */
            if (st == PS_RECORDED && !rec_day) rec_day = on;
            if (st == PS_SUMMARISED && !sum_day) {
                sum_day = on;
                sum_min = cst_minute_on(stmt_text(ms, 2), on);
            }
            if (st == PS_SENT && !sent_day) sent_day = on;
        }
        if (rc < 0) goto out;
        rc = 0;
        if (!rec_day) continue; /* never taken up by that day */
        td = team_of(&t, &nt, &ct, (int)stmt_int(ps, 3));
        if (!td) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        if (rec_day == day) {
            td->recorded++;
            if (!sum_day) td->missing++;
        }
        if (sum_day == day) {
            td->summarised++;
            if (sum_day > rec_day || (p.steps.summary_due >= 0 && sum_min > p.steps.summary_due))
                td->late++;
        }
        if (sent_day == day) td->sent++;
        /* Anhui: what was summarised the day before is verified with the county today */
        if (p.steps.verify_next_day && sum_day && sum_day < day && !sent_day &&
            date_to_days(sum_day) == date_to_days(day) - 1)
            td->due_verify++;
    }
    if (rc < 0) goto out;
    rc = 0;
    qsort(t, nt, sizeof *t, cmp_team);
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
        fprintf(f, "%-8d %8lld %8lld %8lld %8lld %8lld %8lld\n", t[i].team,
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
