/*
 * dayplan.c — the leader's day plan on the pages (issue 13: "the team's assignments per pair
 * and day"; survey.h dayplan_*):
 *
 *   GET  /api/rounds/R/dayplan[?day=YYYY-MM-DD]  the plan in force (of one day, or all), each
 *        item only for whom may read the assignments of its county; "mine" marks the items of
 *        the signed-in user's pair; "today" is the server's date
 *   POST /api/rounds/R/dayplan {unit, day, pair}  a leader sets a unit of its counties for a day
 *        and a pair (before the release); each member of the pair must be a user who may read
 *        that county's assignments (else they would never see it)
 *
 * Invariants: who may is decided only by the authz table (assignments read, and write: the
 * leader's row); what is legal (a unit of the sample, no unactivated reserve, a day, a pair of
 * names) only by the library; every write is the library's, change-logged with the user.
 */
#include "server_int.h"
#include "../survey/survey.h"

#include <stdlib.h>
#include <string.h>

static void iso(int d, char b[16])
{
    snprintf(b, 16, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
}

static int dayplan_get(struct ctx *c)
{
    const char *round = c->names[0], *dq = ctx_query(c, "day");
    struct day_assignment *a = NULL;
    struct access_target t;
    struct error e;
    size_t n = 0;
    int rel = 0, day = 0;
    char b[16];
    json_t *items;
    if (dq && *dq && parse_date(dq, &day))
        return ctx_error(c, 422, "invalid", "日期格式为 YYYY-MM-DD", "day: YYYY-MM-DD", "day");
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    t.round = round, t.county = 0, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_ASSIGNMENTS, AA_READ, &t, NULL)) return -1;
    if (dayplan_list(c->s, round, &a, &n, &e)) return ctx_fail(c, &e);
    items = json_array();
    for (size_t i = 0; i < n; i++) {
        if (day && a[i].day != day) continue;
        t.county = a[i].county;
        if (access_check(&c->user, RS_ASSIGNMENTS, AA_READ, &t, NULL, NULL)) continue;
        iso(a[i].day, b);
        json_array_append_new(items, json_pack("{s:s, s:i, s:s, s:s, s:s, s:b}", "unit", a[i].unit,
                                               "county", a[i].county, "day", b, "pair", a[i].pair,
                                               "set_by", a[i].set_by, "mine",
                                               dayplan_in_pair(&a[i], c->user.name)));
    }
    mem_free(a);
    iso(date_today(), b);
    t.county = 0; /* may the user plan at all in the round (the page's form) */
    c->out = json_pack("{s:s, s:s, s:b, s:o}", "round", round, "today", b, "can_plan",
                       !access_check(&c->user, RS_ASSIGNMENTS, AA_WRITE, &t, NULL, NULL), "items",
                       items);
    return 0;
}

static int dayplan_post(struct ctx *c)
{
    const char *round = c->names[0];
    int bad = 0, rel = 0, county = 0, day = 0;
    const char *unit = ctx_body_str(c, "unit", &bad), *ds = ctx_body_str(c, "day", &bad);
    const char *pair = ctx_body_str(c, "pair", &bad);
    struct access_target t;
    struct error e;
    char names[160], *tok, *save = NULL;
    if (bad || !unit || !ds || !pair)
        return ctx_error(c, 422, "invalid", "须提供 unit、day 与 pair（字符串）", "unit, day and pair (strings) are required", NULL);
    if (parse_date(ds, &day)) return ctx_error(c, 422, "invalid", "日期格式为 YYYY-MM-DD", "day: YYYY-MM-DD", "day");
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    if (access_unit_county(c->s, round, unit, &county, &e)) {
        if (e.code == ERR_NOTFOUND) return ctx_error(c, 422, "invalid", "样本中无此单位", e.msg, "unit");
        return ctx_fail(c, &e);
    }
    t.round = round, t.county = county, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_ASSIGNMENTS, AA_WRITE, &t, NULL)) return -1;
    /* each member must be a user who can see the unit among its assignments */
    snprintf(names, sizeof names, "%s", pair);
    for (tok = strtok_r(names, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
        struct access_user u;
        int disabled = 0, ok;
        if (access_user_load(c->s, tok, &u, &disabled, &e)) {
            if (e.code == ERR_NOTFOUND)
                return ctx_error(c, 422, "invalid", "无此用户", e.msg, "pair");
            return ctx_fail(c, &e);
        }
        ok = !disabled && !access_check(&u, RS_ASSIGNMENTS, AA_READ, &t, NULL, NULL);
        access_user_release(&u);
        if (!ok)
            return ctx_error(c, 422, "invalid", "该用户无权查看此单位的调查任务",
                             "a member of the pair may not read this county's assignments (or is disabled)", "pair");
    }
    if (dayplan_set(c->s, round, unit, day, pair, c->user.name, NULL, &e)) {
        if (e.code == ERR_INVALID) return ctx_error(c, 422, "invalid", "安排不合规", e.msg, NULL);
        return ctx_fail(c, &e);
    }
    c->status = 201;
    c->out = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "round", round, "unit", unit, "county",
                       county, "day", ds, "pair", pair, "by", c->user.name);
    return 0;
}

static const struct route routes[] = {
    {"GET", "/api/rounds/*/dayplan", dayplan_get, 0},
    {"POST", "/api/rounds/*/dayplan", dayplan_post, RT_BODY},
};

const struct route *server_dayplan_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
