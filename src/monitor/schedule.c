/*
 * schedule.c — a round's milestones and progress against them (monitor.h; seed 002's Anhui
 * timetable; docs/monitoring.md §3).
 *
 * The milestones are the plan's `milestones.items` (id, name, by, optional from, the seed's
 * words, optional evidence). A milestone is done on the earliest of: the date of the first
 * change-log entry with its evidence action for this round (key = the round's name), or the
 * date a --done file gives — if that is on or before the status date D (default today): the
 * status is as of D, so a past date replays the round as it stood then. On D it is:
 *   done on time    done on or before `by` ("X日前": by the end of day X);
 *   done late       done after `by`, by N working days;
 *   not started     a window (`from`) not yet begun, starting in N working days;
 *   open            not done, D <= by, due in N working days (0: due today);
 *   overdue         not done, D > by, by N working days.
 * Working days are the calendar's (src/problem/: holidays and 调休); a deadline that falls
 * on a rest day is kept (the seed names the date) and marked.
 */
#include "monitor.h"
#include "../problem/problem.h"

#include <jansson.h>
#include <string.h>

static int jdate(json_t *o, const char *key, int *out)
{
    const char *s = json_string_value(json_object_get(o, key));
    *out = 0;
    if (!json_object_get(o, key)) return 0;
    if (!s || strlen(s) != 10 || parse_date(s, out)) return -1;
    return 0;
}

static int parse_milestones(const char *text, const char *name, struct milestone **out, size_t *n,
                            struct error *e)
{
    json_error_t je;
    json_t *root = json_loads(text, 0, &je), *items;
    int rc = 0;
    *out = NULL;
    *n = 0;
    if (!root) return error_at(e, ERR_PARSE, name, je.line, je.column, "%s", je.text);
    items = json_object_get(json_object_get(root, "milestones"), "items");
    if (!json_is_array(items) || !json_array_size(items)) {
        rc = error_set(e, ERR_NOTFOUND, "%s: the plan has no milestones.items", name);
        goto out;
    }
    if (!(*out = mem_calloc(json_array_size(items), sizeof **out))) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i);
        struct milestone *m = &(*out)[i];
        const char *id = json_string_value(json_object_get(it, "id"));
        const char *nm = json_string_value(json_object_get(it, "name"));
        const char *sd = json_string_value(json_object_get(it, "seed"));
        const char *ev = json_string_value(json_object_get(it, "evidence"));
        if (!id || !*id || !nm) {
            rc = error_set(e, ERR_INVALID, "%s: milestones.items[%zu]: needs an id and a name",
                           name, i);
            goto out;
        }
        if (jdate(it, "by", &m->by) || !m->by) {
            rc = error_set(e, ERR_INVALID, "%s: milestones.items[%zu].by: not a date (YYYY-MM-DD)",
                           name, i);
            goto out;
        }
        if (jdate(it, "from", &m->from) || (m->from && m->from > m->by)) {
            rc = error_set(e, ERR_INVALID,
                           "%s: milestones.items[%zu].from: not a date on or before `by`", name, i);
            goto out;
        }
        snprintf(m->id, sizeof m->id, "%s", id);
        snprintf(m->name, sizeof m->name, "%s", nm);
        utf8_trim(m->name);
        snprintf(m->seed, sizeof m->seed, "%s", sd ? sd : "");
        utf8_trim(m->seed);
        snprintf(m->evidence, sizeof m->evidence, "%s", ev ? ev : "");
        for (size_t k = 0; k < i; k++)
            if (!strcmp((*out)[k].id, m->id)) {
                rc = error_set(e, ERR_INVALID, "%s: milestones.items[%zu].id: '%s' twice", name, i,
                               m->id);
                goto out;
            }
        (*n)++;
    }
out:
    json_decref(root);
    if (rc) {
        mem_free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static int read_done(const char *path, struct milestone *v, size_t n, struct error *e)
{
    static const struct csv_column cols[] = {
        {"milestone", "节点|里程碑", 1}, {"done", "完成日期|完成", 1}, {"note", "备注", 0}};
    struct csv *c = NULL;
    int idx[3], rc;
    if ((rc = csv_open(path, &c, e))) return rc;
    if ((rc = csv_next(c, e)) <= 0) {
        if (!rc) rc = error_at(e, ERR_PARSE, path, 1, 0, "empty file (no header)");
        goto out;
    }
    if ((rc = csv_map_header(c, cols, 3, idx, NULL, e))) goto out;
    while ((rc = csv_next(c, e)) == 1) {
        const char *id = csv_field(c, (size_t)idx[0]), *d = csv_field(c, (size_t)idx[1]);
        struct milestone *m = NULL;
        int day;
        if (csv_row_blank(c)) continue;
        for (size_t i = 0; i < n; i++)
            if (!strcmp(v[i].id, id)) m = &v[i];
        if (!m) {
            rc = error_at(e, ERR_INVALID, path, csv_line(c), idx[0] + 1,
                          "milestone '%s' is not in the plan", id);
            goto out;
        }
        if (parse_date(d, &day)) {
            rc = error_at(e, ERR_PARSE, path, csv_line(c), idx[1] + 1,
                          "done '%s' is not a date (YYYY-MM-DD)", d);
            goto out;
        }
        if (!m->done || day < m->done) {
            m->done = day;
            snprintf(m->done_from, sizeof m->done_from, "file");
        }
    }
    if (rc < 0) goto out;
    rc = 0;
out:
    csv_close(c);
    return rc;
}

static int from_log(struct store *s, const char *round, struct milestone *v, size_t n,
                    struct error *e)
{
    struct stmt *q = NULL;
    int rc = store_prepare(s,
                           "SELECT min(substr(at, 1, 10)) FROM audit_log WHERE action = ? AND"
                           " key = ?",
                           &q, e);
    if (rc) return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        int day;
        if (!v[i].evidence[0]) continue;
        stmt_reset(q);
        stmt_bind_text(q, 1, v[i].evidence, strlen(v[i].evidence));
        stmt_bind_text(q, 2, round, strlen(round));
        if ((rc = stmt_step(q, e)) != STORE_ROW) break;
        rc = 0;
        if (stmt_type(q, 0) == STORE_NULL || parse_date(stmt_text(q, 0), &day)) continue;
        v[i].done = day;
        snprintf(v[i].done_from, sizeof v[i].done_from, "log");
    }
    stmt_finalize(q);
    return rc < 0 ? rc : 0;
}

int round_status(struct store *s, const char *round, const char *plan_path, const char *done_file,
                 const struct calendar *cal, int asof, struct milestone **out, size_t *n,
                 struct error *e)
{
    struct strbuf text = STRBUF_INIT;
    struct milestone *v = NULL;
    size_t nv = 0;
    int rc;
    *out = NULL;
    *n = 0;
    if (!asof) asof = date_today();
    if (plan_path) {
        FILE *f = fopen(plan_path, "rb");
        char buf[8192];
        size_t k;
        if (!f) return error_set(e, ERR_IO, "%s: cannot read the plan", plan_path);
        while ((k = fread(buf, 1, sizeof buf, f)) > 0) sb_add(&text, buf, k);
        fclose(f);
    } else {
        struct stmt *q = NULL;
        if ((rc = store_prepare(s, "SELECT plan_text FROM samples WHERE name = ?", &q, e)))
            return rc;
        stmt_bind_text(q, 1, round, strlen(round));
        rc = stmt_step(q, e);
        if (rc == STORE_ROW) sb_adds(&text, stmt_text(q, 0));
        stmt_finalize(q);
        if (rc == STORE_DONE)
            rc = error_set(e, ERR_NOTFOUND,
                           "no round named '%s' in the store (a sample's name); or give --plan",
                           round);
        if (rc < 0) goto out;
    }
    if (sb_ok(&text)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = parse_milestones(text.buf, plan_path ? plan_path : round, &v, &nv, e))) goto out;
    if ((rc = from_log(s, round, v, nv, e))) goto out;
    if (done_file && (rc = read_done(done_file, v, nv, e))) goto out;
    for (size_t i = 0; i < nv; i++) {
        struct milestone *m = &v[i];
        int working = 1;
        if ((rc = calendar_is_working(cal, m->by, &working, NULL, e))) goto out;
        m->rest_day = !working;
        if (m->done > asof) m->done = 0, m->done_from[0] = 0; /* not yet done on that date */
        if (m->done) {
            m->state = m->done <= m->by ? MS_DONE : MS_LATE;
            if (m->state == MS_LATE &&
                (rc = calendar_working_days(cal, m->by, m->done, &m->wdays, e)))
                goto out;
        } else if (m->from && asof < m->from) {
            m->state = MS_NOT_STARTED;
            if ((rc = calendar_working_days(cal, asof, m->from, &m->wdays, e))) goto out;
        } else if (asof <= m->by) {
            m->state = MS_OPEN;
            if ((rc = calendar_working_days(cal, asof, m->by, &m->wdays, e))) goto out;
        } else {
            m->state = MS_OVERDUE;
            if ((rc = calendar_working_days(cal, m->by, asof, &m->wdays, e))) goto out;
        }
    }
    *out = v;
    *n = nv;
    v = NULL;
    rc = 0;
out:
    mem_free(v);
    sb_release(&text);
    return rc;
}

const char *milestone_state_name(enum ms_state st)
{
    switch (st) {
    case MS_DONE:
        return "按时完成 done on time";
    case MS_LATE:
        return "逾期完成 done late";
    case MS_NOT_STARTED:
        return "未开始 not started";
    case MS_OPEN:
        return "进行中 open";
    case MS_OVERDUE:
        return "已逾期 overdue";
    }
    return "?";
}

int round_status_doc(const char *round, int asof, const struct milestone *v, size_t n,
                     struct mon_doc **out)
{
    static const char *const cols[] = {
        "节点 milestone", "名称 name", "开始 from",           "期限 by",
        "状态 state",     "完成 done", "工作日 working days", "依据 seed"};
    struct mon_doc *d = NULL;
    struct mon_table *t;
    char title[160];
    int rc;
    *out = NULL;
    snprintf(title, sizeof title, "考核进度 Round %s schedule", round);
    if ((rc = mon_doc_new(title, &d))) return rc;
    mon_doc_para(d, "On %04d-%02d-%02d; working days from the calendar (holidays, 调休).",
                 asof / 10000, asof / 100 % 100, asof % 100);
    t = mon_doc_table(d, "进度 schedule", "节点 Milestones", cols, 8);
    for (size_t i = 0; i < n; i++) {
        const struct milestone *m = &v[i];
        char from[16] = "", done[32] = "";
        if (m->from)
            snprintf(from, sizeof from, "%04d-%02d-%02d", m->from / 10000, m->from / 100 % 100,
                     m->from % 100);
        if (m->done)
            snprintf(done, sizeof done, "%04d-%02d-%02d (%s)", m->done / 10000,
                     m->done / 100 % 100, m->done % 100, m->done_from);
        mon_table_rowf(t, "%s\t%s\t%s\t%04d-%02d-%02d%s\t%s\t%s\t%d\t%s", m->id, m->name, from,
                       m->by / 10000, m->by / 100 % 100, m->by % 100,
                       m->rest_day ? " (rest day)" : "", milestone_state_name(m->state), done,
                       m->wdays, m->seed);
    }
    *out = d;
    return 0;
}
