/*
 * monitor.c — the between-rounds pages' endpoints (issue 15 on the pages, docs/api.md
 * "Monitoring"): what src/monitor/ computes, carried to the office and the liaisons.
 *
 *   GET  /api/rounds/R/schedule[?date=D]        a round's milestones (`pinggu round status`)
 *   GET  /api/monitor/postexit?round=R[&year=Y][&county=C]   post-exit monitoring (`pinggu
 *        monitor`): every exited county's four signs with their evidence, the interviews
 *        (约谈), the transition check, the villages without a work team
 *   GET  /api/monitor/attendance?round=R&month=YYYY-MM[&county=C]   work-team attendance
 *        (`pinggu attendance summary|recall`)
 *        (without month: the rule alone, for the page's form)
 *   GET  /api/monitor/bulletin?round=R          the band rule
 *   POST /api/monitor/bulletin?round=R&month=YYYY-MM   the month's score sheet as the body (CSV,
 *        as `pinggu bulletin --inputs`): rank, band, movement, 表态发言 (nothing is stored)
 * Each takes format=xlsx or format=csv for a file made here by the library (mon_doc: the
 * same tables as the CLI's --out workbook), from the rows the user may see.
 *
 * Invariants: no SQL and no rule here — every number, flag and band comes from src/monitor/
 * (rules/monitor.json); access_check (the one matrix) decides: the round names the grant
 * (monitoring data is not a round's, but grants are per round), a request for a county the
 * user may not read is refused and logged (ctx_allow), and a list holds only the rows of
 * counties the user may read (access_check per row, not logged: filtering is not a refusal).
 * A download is built from the same filtered result as the page.
 */
#include "server_int.h"
#include "../monitor/monitor.h"
#include "../problem/problem.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ common */

/* The target of a request: its round (the query's round=, or the path's), which must exist,
 * and the user allowed `res` in it (county 0 = the list; a county= query asks for that
 * county, refused and logged if not the user's). 0, or -1 with the answer set. */
static int mon_allow(struct ctx *c, const char *round, enum access_resource res,
                     struct access_target *t)
{
    const char *cq = ctx_query(c, "county");
    struct error e;
    int rel = 0;
    if (!round || !*round || !server_name_ok(round, 64))
        return ctx_error(c, 422, "invalid", "须指定轮次 round", "the query needs round=NAME",
                         "round");
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    t->round = round, t->county = 0, t->released = rel > 0, t->sent = 0;
    if (ctx_allow(c, res, AA_READ, t, NULL)) return -1;
    if (cq && *cq) {
        int64_t v;
        if (parse_int64(cq, &v) || v < 110000 || v > 829999)
            return ctx_error(c, 422, "invalid", "县代码须为 6 位", "county: a 6-digit county code",
                             "county");
        t->county = (int)v;
        if (ctx_allow(c, res, AA_READ, t, NULL)) return -1;
    }
    return 0;
}

/* May the user read row `county` (and is it the county asked for, if any)? */
static int row_ok(struct ctx *c, enum access_resource res, const struct access_target *asked,
                  int county)
{
    struct access_target t = *asked;
    if (asked->county && county != asked->county) return 0;
    t.county = county;
    return access_check(&c->user, res, AA_READ, &t, NULL, NULL) == 0;
}

static int load_rules(struct ctx *c, struct monitor_rules *mr)
{
    struct strbuf path = STRBUF_INIT;
    struct error e;
    int rc;
    if (data_find("rules/monitor.json", &path) < 0 || sb_ok(&path)) {
        sb_release(&path);
        return ctx_error(c, 500, "internal", "服务器内部错误", "rules/monitor.json not found",
                         NULL);
    }
    rc = monitor_rules_load(path.buf, mr, &e);
    sb_release(&path);
    return rc ? ctx_fail(c, &e) : 0;
}

/* "YYYY-MM" into YYYYMM: 0, or -1 with the answer set. */
static int query_month(struct ctx *c, int *out)
{
    const char *s = ctx_query(c, "month");
    int64_t y, m;
    char yb[5];
    if (!s || strlen(s) != 7 || s[4] != '-' || (memcpy(yb, s, 4), yb[4] = 0, parse_int64(yb, &y)) ||
        parse_int64(s + 5, &m) || y < 2000 || y > 2100 || m < 1 || m > 12)
        return ctx_error(c, 422, "invalid", "月份须为 YYYY-MM", "month: YYYY-MM", "month");
    *out = (int)(y * 100 + m);
    return 0;
}

/* format= : 0 JSON, 1 XLSX, 2 CSV; -1 with the answer set. */
static int query_format(struct ctx *c)
{
    const char *f = ctx_query(c, "format");
    if (!f || !*f || !strcmp(f, "json")) return 0;
    if (!strcmp(f, "xlsx")) return 1;
    if (!strcmp(f, "csv")) return 2;
    return ctx_error(c, 422, "invalid", "格式须为 csv 或 xlsx", "format must be csv or xlsx",
                     "format");
}

/* Answers with the document as an XLSX (format 1) or CSV (2) file named NAME.xlsx|csv, made
 * by the library in a private temporary folder (the open descriptor outlives its name).
 * Takes d (frees it). 0, or -1 with the answer set. */
static int send_doc(struct ctx *c, struct mon_doc *d, int format, const char *name)
{
    char dir[160] = "", path[200] = "";
    struct error e;
    int rc = -1;
    if (!d) return ctx_error(c, 500, "internal", "服务器内部错误", "out of memory", NULL);
    if (tmpdir_make(dir, sizeof dir, "pinggu-monitor")) {
        mon_doc_free(d);
        return ctx_error(c, 503, "unavailable", "服务暂不可用", "no space for the download", NULL);
    }
    snprintf(path, sizeof path, "%s/t", dir);
    if (format == 1) {
        if (mon_doc_write_xlsx(d, path, &e)) goto fail;
    } else {
        FILE *f = fopen(path, "wb");
        if (!f) goto fail;
        if (mon_doc_write_csv(d, f, &e)) {
            fclose(f);
            goto fail;
        }
        if (fclose(f)) goto fail;
    }
    {
        char file[128];
        snprintf(file, sizeof file, "%s.%s", name, format == 1 ? "xlsx" : "csv");
        if (ctx_send_file(c, path,
                          format == 1 ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                                      : "text/csv; charset=utf-8",
                          file))
            goto fail;
    }
    rc = 0;
    goto out;
fail:
    ctx_error(c, 500, "internal", "服务器内部错误", "the download could not be written", NULL);
out:
    mon_doc_free(d);
    unlink(path);
    rmdir(dir);
    return rc;
}

static char *ymd(int d, char buf[11])
{
    snprintf(buf, 11, "%04d-%02d-%02d", d / 10000 % 10000, d / 100 % 100, d % 100);
    return buf;
}

/* ------------------------------------------------------------------ schedule */

static const char *ms_code(enum ms_state st)
{
    switch (st) {
    case MS_DONE:
        return "done";
    case MS_LATE:
        return "late";
    case MS_NOT_STARTED:
        return "not_started";
    case MS_OPEN:
        return "open";
    case MS_OVERDUE:
        return "overdue";
    }
    return "?";
}

static int schedule(struct ctx *c)
{
    const char *round = c->names[0], *date_s = ctx_query(c, "date");
    struct access_target t;
    struct strbuf path = STRBUF_INIT;
    struct calendar *cal = NULL;
    struct milestone *v = NULL;
    struct error e;
    size_t n = 0;
    int asof = 0, rc, format;
    long late = 0;
    char b1[11], b2[11], b3[11];
    json_t *a;
    if (mon_allow(c, round, RS_SCHEDULE, &t)) return -1;
    if ((format = query_format(c)) < 0) return -1;
    if (date_s && *date_s && parse_date(date_s, &asof))
        return ctx_error(c, 422, "invalid", "日期须为 YYYY-MM-DD", "date: YYYY-MM-DD", "date");
    if (!asof) asof = date_today();
    if (data_find("calendars/cn.csv", &path) < 0 || sb_ok(&path)) {
        sb_release(&path);
        return ctx_error(c, 500, "internal", "服务器内部错误", "calendars/cn.csv not found", NULL);
    }
    rc = calendar_load(path.buf, NULL, &cal, &e);
    sb_release(&path);
    if (rc) return ctx_fail(c, &e);
    rc = round_status(c->s, round, NULL, NULL, cal, asof, &v, &n, &e);
    calendar_free(cal);
    if (rc) return ctx_fail(c, &e);
    if (format) {
        struct mon_doc *d = NULL;
        char name[96];
        snprintf(name, sizeof name, "round-%s-%s", round, ymd(asof, b1));
        round_status_doc(round, asof, v, n, &d);
        mem_free(v);
        return send_doc(c, d, format, name);
    }
    a = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct milestone *m = &v[i];
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:s?, s:s, s:b, s:s, s:s, s:s?, s:s?, s:i, s:b}", "id",
                         m->id, "name", m->name, "seed", m->seed, "from",
                         m->from ? ymd(m->from, b1) : NULL, "by", ymd(m->by, b2), "rest_day",
                         m->rest_day, "state", ms_code(m->state), "state_name",
                         milestone_state_name(m->state), "done", m->done ? ymd(m->done, b3) : NULL,
                         "done_from", m->done ? m->done_from : NULL, "working_days", m->wdays,
                         "late", m->state == MS_LATE || m->state == MS_OVERDUE));
        late += m->state == MS_LATE || m->state == MS_OVERDUE;
    }
    mem_free(v);
    c->out = json_pack("{s:s, s:s, s:o, s:I}", "round", round, "date", ymd(asof, b1), "milestones",
                       a, "late", (json_int_t)late);
    return 0;
}

/* ------------------------------------------------------------------ post-exit monitoring */

/* Keeps the rows of m the user may read (in place). */
static void postexit_filter(struct ctx *c, const struct access_target *t, struct monitor_result *m)
{
    size_t k = 0;
    for (size_t i = 0; i < m->nc; i++)
        if (row_ok(c, RS_MONITORING, t, m->c[i].county)) m->c[k++] = m->c[i];
    m->nc = k;
    k = 0;
    for (size_t i = 0; i < m->nfell; i++)
        if (row_ok(c, RS_MONITORING, t, m->fell[i].county)) m->fell[k++] = m->fell[i];
    m->nfell = k;
    k = 0;
    for (size_t i = 0; i < m->ntrans; i++)
        if (row_ok(c, RS_MONITORING, t, m->trans[i].county)) m->trans[k++] = m->trans[i];
    m->ntrans = k;
    k = 0;
    for (size_t i = 0; i < m->nv; i++) /* a village code's first 6 digits are its county */
        if (row_ok(c, RS_MONITORING, t, (int)(m->v[i].village / 1000000))) m->v[k++] = m->v[i];
    m->nv = k;
}

static json_t *rate_json(long before, double rate)
{
    return before > 0 ? json_real(rate) : json_null();
}

static int postexit(struct ctx *c)
{
    const char *ys = ctx_query(c, "year");
    struct access_target t;
    struct monitor_rules mr;
    struct monitor_result m;
    struct error e;
    int year = 0, format;
    char ev[200];
    json_t *cs, *iv, *fl, *tr, *vs;
    if (mon_allow(c, ctx_query(c, "round"), RS_MONITORING, &t)) return -1;
    if ((format = query_format(c)) < 0) return -1;
    if (ys && *ys) {
        int64_t y;
        if (parse_int64(ys, &y) || y < 2000 || y > 2100)
            return ctx_error(c, 422, "invalid", "年度须为四位年份", "year: YYYY", "year");
        year = (int)y;
    }
    if (load_rules(c, &mr)) return -1;
    memset(&m, 0, sizeof m);
    if (monitor_run(c->s, &mr.post, year, &m, &e)) return ctx_fail(c, &e);
    postexit_filter(c, &t, &m);
    if (format) {
        struct mon_doc *d = NULL;
        char name[32];
        snprintf(name, sizeof name, "monitor-%d", m.year);
        monitor_doc(&m, &mr.post, &d);
        monitor_result_release(&m);
        return send_doc(c, d, format, name);
    }
    cs = json_array(), iv = json_array(), fl = json_array(), tr = json_array(), vs = json_array();
    for (size_t i = 0; i < m.nc; i++) {
        const struct mon_county *k = &m.c[i];
        json_t *o = json_pack(
            "{s:i, s:s, s:i, s:I, s:I, s:I, s:o, s:o, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I, "
            "s:I, s:{s:b, s:b, s:b, s:b, s:b, s:b}, s:i, s:b, s:s}",
            "county", k->county, "name", k->name, "exit_year", k->exit_year, "remaining_y2",
            (json_int_t)k->r2, "remaining_y1", (json_int_t)k->r1, "remaining_y", (json_int_t)k->r0,
            "rate_prev", rate_json(k->r2, k->rate_prev), "rate_now", rate_json(k->r1, k->rate_now),
            "planned", (json_int_t)k->planned, "achieved", (json_int_t)k->achieved,
            "income_compared", (json_int_t)k->inc_compared, "income_fell", (json_int_t)k->inc_fell,
            "income_share",
            k->inc_compared ? json_real((double)k->inc_fell / (double)k->inc_compared)
                            : json_null(),
            "training_prev", (json_int_t)k->train_prev, "training_now", (json_int_t)k->train_now,
            "team_base", (json_int_t)k->team_base, "team_moved", (json_int_t)k->team_moved, "signs",
            "slowing", k->slowing, "target_missed", k->target_missed, "income_falling",
            k->income_falling, "slack_training", k->slack_training, "slack_team", k->slack_team,
            "slackening", k->slackening, "nsigns", k->signs, "interview", k->interview, "evidence",
            monitor_evidence(k, ev, sizeof ev));
        json_array_append_new(cs, o);
        if (k->interview)
            json_array_append_new(iv, json_pack("{s:i, s:s, s:i, s:s}", "county", k->county, "name",
                                                k->name, "nsigns", k->signs, "evidence", ev));
    }
    for (size_t i = 0; i < m.nfell; i++)
        json_array_append_new(fl, json_pack("{s:i, s:s, s:i, s:f, s:f}", "county", m.fell[i].county,
                                            "household", m.fell[i].household_id, "exit_year",
                                            m.fell[i].exit_year, "before", m.fell[i].before,
                                            "after", m.fell[i].after));
    for (size_t i = 0; i < m.ntrans; i++)
        json_array_append_new(tr, json_pack("{s:i, s:s, s:i, s:s}", "county", m.trans[i].county,
                                            "household", m.trans[i].household_id, "exit_year",
                                            m.trans[i].exit_year, "why", m.trans[i].why));
    for (size_t i = 0; i < m.nv; i++)
        json_array_append_new(vs, json_pack("{s:I, s:i, s:s, s:I}", "village",
                                            (json_int_t)m.v[i].village, "county",
                                            (int)(m.v[i].village / 1000000), "name", m.v[i].name,
                                            "poor", (json_int_t)m.v[i].poor));
    c->out = json_pack(
        "{s:i, s:{s:s, s:s, s:s}, s:{s:f, s:I, s:f, s:f, s:f, s:f, s:i, s:I, s:i}, s:o, s:o, "
        "s:o, s:o, s:o}",
        "year", m.year, "snapshots", "now", m.snap_now, "prev", m.snap_prev, "prev2", m.snap_prev2,
        "rules", "slowing_ratio", mr.post.slowing_ratio, "slowing_min_remaining",
        (json_int_t)mr.post.slowing_min_remaining, "target_min_share", mr.post.target_min_share,
        "income_max_share", mr.post.income_max_share, "training_drop_ratio",
        mr.post.training_drop_ratio, "reassigned_share", mr.post.reassigned_share,
        "transition_years", mr.post.transition_years, "work_team_min_poor",
        (json_int_t)mr.post.work_team_min_poor, "interview_min_signs", mr.post.interview_min_signs,
        "counties", cs, "interviews", iv, "incomes_fell", fl, "transition", tr,
        "villages_without_team", vs);
    monitor_result_release(&m);
    return 0;
}

/* ------------------------------------------------------------------ attendance */

static int attendance(struct ctx *c)
{
    struct access_target t;
    struct monitor_rules mr;
    struct att_month am;
    struct error e;
    int month, format;
    size_t k = 0;
    char buf[160];
    json_t *ms, *rc_list, *counties, *jumps;
    if (mon_allow(c, ctx_query(c, "round"), RS_ATTENDANCE, &t)) return -1;
    if ((format = query_format(c)) < 0) return -1;
    if (load_rules(c, &mr)) return -1;
    if (!ctx_query(c, "month") && !format) { /* no month yet: the rule, for the page's form */
        c->out = json_pack("{s:n, s:{s:i, s:i, s:i, s:i, s:f}}", "month", "rules", "min_days",
                           mr.att.min_days, "morning_end", mr.att.morning_end, "evening_start",
                           mr.att.evening_start, "day_visit_days", mr.att.day_visit_days, "max_kmh",
                           mr.att.max_kmh);
        return 0;
    }
    if (query_month(c, &month)) return -1;
    memset(&am, 0, sizeof am);
    if (attendance_month(c->s, &mr.att, month, &am, &e)) return ctx_fail(c, &e);
    for (size_t i = 0; i < am.n; i++)
        if (row_ok(c, RS_ATTENDANCE, &t, am.m[i].county)) am.m[k++] = am.m[i];
    am.n = k;
    if (format) {
        struct mon_doc *d = NULL;
        char name[40];
        snprintf(name, sizeof name, "attendance-%04d-%02d", month / 100, month % 100);
        attendance_doc(&am, &mr.att, &d);
        att_month_release(&am);
        return send_doc(c, d, format, name);
    }
    ms = json_array(), rc_list = json_array(), counties = json_array(), jumps = json_array();
    for (size_t i = 0; i < am.n; i++) {
        const struct att_member *m = &am.m[i];
        json_array_append_new(
            ms,
            json_pack("{s:i, s:I, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:b, s:b, "
                      "s:b, s:s}",
                      "county", m->county, "village", (json_int_t)m->village, "village_name",
                      m->village_name, "member", m->member, "name", m->name, "role", m->role,
                      "days", m->days, "visit_days", m->visit_days, "checkins", m->checkins,
                      "inside", m->inside, "jumps", m->jumps, "under", m->under, "ghost", m->ghost,
                      "day_visitor", m->day_visitor, "signs", att_signs(m, buf, sizeof buf)));
        if (m->under)
            json_array_append_new(
                rc_list, json_pack("{s:i, s:I, s:s, s:s, s:s, s:i, s:s}", "county", m->county,
                                   "village", (json_int_t)m->village, "village_name",
                                   m->village_name, "member", m->member, "name", m->name, "days",
                                   m->days, "reason", att_recall_reason(m)));
        if (m->jumps)
            json_array_append_new(jumps,
                                  json_pack("{s:i, s:s, s:s, s:s, s:f, s:o, s:i}", "county",
                                            m->county, "member", m->member, "name", m->name,
                                            "first_at", m->jump_at, "km", m->jump_km, "kmh",
                                            m->jump_kmh < 0 ? json_null() : json_real(m->jump_kmh),
                                            "count", m->jumps));
    }
    for (size_t i = 0; i < am.n;) {
        int county = am.m[i].county;
        long n = 0, u = 0, g = 0, v = 0, j = 0;
        for (; i < am.n && am.m[i].county == county; i++, n++) {
            u += am.m[i].under;
            g += am.m[i].ghost;
            v += am.m[i].day_visitor;
            j += am.m[i].jumps > 0;
        }
        json_array_append_new(
            counties, json_pack("{s:i, s:I, s:I, s:I, s:I, s:I}", "county", county, "assessed",
                                (json_int_t)n, "under", (json_int_t)u, "ghost", (json_int_t)g,
                                "day_visitor", (json_int_t)v, "movement", (json_int_t)j));
    }
    snprintf(buf, sizeof buf, "%04d-%02d", month / 100, month % 100);
    c->out =
        json_pack("{s:s, s:{s:i, s:i, s:i, s:i, s:f}, s:I, s:o, s:o, s:o, s:o}", "month", buf,
                  "rules", "min_days", mr.att.min_days, "morning_end", mr.att.morning_end,
                  "evening_start", mr.att.evening_start, "day_visit_days", mr.att.day_visit_days,
                  "max_kmh", mr.att.max_kmh, "part_month", (json_int_t)am.part_month, "counties",
                  counties, "recall", rc_list, "members", ms, "movement", jumps);
    att_month_release(&am);
    return 0;
}

/* ------------------------------------------------------------------ bulletin */

static int bulletin(struct ctx *c)
{
    struct access_target t;
    struct monitor_rules mr;
    struct bulletin_row *v = NULL;
    struct strbuf named = STRBUF_INIT;
    struct error e;
    size_t n = 0;
    int month, format, rc;
    char ms[8];
    json_t *rows;
    if (mon_allow(c, ctx_query(c, "round"), RS_BULLETIN, &t)) return -1;
    if ((format = query_format(c)) < 0) return -1;
    if (query_month(c, &month)) return -1;
    if (c->upload_size == 0)
        return ctx_error(c, 422, "invalid", "请上传月度得分表（CSV）",
                         "the body must be the month's score sheet (CSV)", "body");
    if (load_rules(c, &mr)) return -1;
    /* the sheet under a plain name: the library's file:line:column errors then name it */
    sb_addf(&named, "%s/sheet.csv", c->upload_dir);
    if (sb_ok(&named) || link(c->upload_path, named.buf)) {
        sb_release(&named);
        return ctx_error(c, 500, "internal", "服务器内部错误", "cannot read the upload", NULL);
    }
    rc = bulletin_rank(named.buf, month, &mr.bulletin, &v, &n, &e);
    unlink(named.buf);
    if (rc) {
        /* the folder is the server's: the user sees "sheet.csv:LINE:COL: reason" */
        if (!strncmp(e.file, c->upload_dir, strlen(c->upload_dir)))
            snprintf(e.file, sizeof e.file, "sheet.csv");
        sb_release(&named);
        return ctx_fail(c, &e);
    }
    sb_release(&named);
    if (format) {
        struct mon_doc *d = NULL;
        char name[32];
        snprintf(name, sizeof name, "bulletin-%04d-%02d", month / 100, month % 100);
        bulletin_doc(v, n, month, &mr.bulletin, &d);
        mem_free(v);
        return send_doc(c, d, format, name);
    }
    rows = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct bulletin_row *b = &v[i];
        json_array_append_new(
            rows,
            json_pack("{s:s, s:s, s:f, s:i, s:i, s:s, s:o, s:o, s:b, s:i}", "unit", b->unit, "kind",
                      b->kind, "score", b->score, "rank", b->rank, "n", b->n, "band", b->band,
                      "prev_rank", b->prev_rank ? json_integer(b->prev_rank) : json_null(),
                      "movement", b->prev_rank ? json_integer(b->movement) : json_null(), "last",
                      b->last, "last_run", b->last_run));
    }
    mem_free(v);
    snprintf(ms, sizeof ms, "%04d-%02d", month / 100, month % 100);
    c->out = json_pack("{s:s, s:{s:f, s:f}, s:o}", "month", ms, "rules", "good_share",
                       mr.bulletin.good_share, "poor_share", mr.bulletin.poor_share, "units", rows);
    return 0;
}

/* GET: the band rule, before a sheet is sent (and the check that the user may rank at all). */
static int bulletin_rule(struct ctx *c)
{
    struct access_target t;
    struct monitor_rules mr;
    if (mon_allow(c, ctx_query(c, "round"), RS_BULLETIN, &t)) return -1;
    if (load_rules(c, &mr)) return -1;
    c->out = json_pack("{s:{s:f, s:f}}", "rules", "good_share", mr.bulletin.good_share,
                       "poor_share", mr.bulletin.poor_share);
    return 0;
}

static const struct route routes[] = {
    {"GET", "/api/rounds/*/schedule", schedule, 0},
    {"GET", "/api/monitor/postexit", postexit, 0},
    {"GET", "/api/monitor/attendance", attendance, 0},
    {"GET", "/api/monitor/bulletin", bulletin_rule, 0},
    {"POST", "/api/monitor/bulletin", bulletin, RT_UPLOAD},
};

const struct route *server_monitor_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
