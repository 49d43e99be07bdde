/*
 * synthesis.c — the county synthesis (综合研判, seed 000; docs/problems.md) on the pages
 * (issue 13): the same library calls as `pinggu synthesis show|record`.
 *
 *   GET  /api/rounds/R/synthesis?county=C   {round, county, text, can_record}: synthesis_show's
 *        text (can_record: whether the matrix lets the user record here, for the form), as
 *        the CLI prints it (third-party figures, covert visits, departments' flags, problems
 *        per source, the judgment and its earlier versions)
 *   POST /api/rounds/R/synthesis {county, judgment, reason}   synthesis_record: a new version
 *        of the office's judgment, 201 {round, county, version, by}; the library's refusals
 *        (no judgment, no reason, not the office) 422 with its message
 *
 * Invariants: who may is decided only by the authz table (synthesis read: the office, a
 * leader its team's counties; write: the office; the home-city rule before the release); what
 * is legal only by the library (synthesis_record), which writes the version and its change-log
 * entry under the signed-in user. No SQL here.
 */
#include "server_int.h"
#include "../problem/problem.h"

#include <stdlib.h>
#include <string.h>

/* A county code from text: 6 digits (100000..999999), else 0. */
static int county_code(const char *s)
{
    int v = 0;
    if (!s || strlen(s) != 6) return 0;
    for (int i = 0; i < 6; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v >= 100000 ? v : 0;
}

/* Asks the authz table for action on county of round (*t gets the target asked about): 0, or -1
 * with the answer set. */
static int synthesis_allowed(struct ctx *c, const char *round, int county, enum access_action a,
                             struct access_target *t, enum access_role *role)
{
    struct error e;
    int rel = 0;
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    t->round = round, t->county = county, t->released = rel > 0, t->sent = 0;
    return ctx_allow(c, RS_SYNTHESIS, a, t, role);
}

static int synthesis_get(struct ctx *c)
{
    const char *round = c->names[0];
    int county = county_code(ctx_query(c, "county"));
    char *text = NULL;
    size_t len = 0;
    FILE *f;
    struct access_target t;
    struct error e;
    int rc;
    if (!county)
        return ctx_error(c, 422, "invalid", "须指定六位县级代码 county", "county: a six-digit county code",
                         "county");
    if (synthesis_allowed(c, round, county, AA_READ, &t, NULL)) return -1;
    if (!(f = open_memstream(&text, &len)))
        return ctx_error(c, 500, "internal", "服务器内部错误", "out of memory", NULL);
    rc = synthesis_show(c->s, round, county, f, &e);
    fclose(f);
    if (rc) {
        free(text);
        return ctx_fail(c, &e); /* a county the round did not draw: 404 */
    }
    /* can_record: may the user record a judgment here (the page's form; the POST asks again) */
    c->out = json_pack("{s:s, s:i, s:s, s:b}", "round", round, "county", county, "text",
                       text ? text : "", "can_record",
                       !access_check(&c->user, RS_SYNTHESIS, AA_WRITE, &t, NULL, NULL));
    free(text);
    return 0;
}

static int synthesis_post(struct ctx *c)
{
    const char *round = c->names[0];
    int bad = 0, county = 0;
    json_t *cj = json_object_get(c->body, "county");
    const char *judgment = ctx_body_str(c, "judgment", &bad), *reason = ctx_body_str(c, "reason", &bad);
    enum access_role role = AR_OFFICE;
    struct access_target t;
    int64_t version = 0;
    struct error e;
    if (json_is_string(cj)) county = county_code(json_string_value(cj));
    else if (json_is_integer(cj) && json_integer_value(cj) >= 100000 && json_integer_value(cj) <= 999999)
        county = (int)json_integer_value(cj);
    if (!county)
        return ctx_error(c, 422, "invalid", "须指定六位县级代码 county", "county: a six-digit county code",
                         "county");
    if (bad)
        return ctx_error(c, 422, "invalid", "judgment 与 reason 须为字符串", "judgment and reason must be strings",
                         NULL);
    if (synthesis_allowed(c, round, county, AA_WRITE, &t, &role)) return -1;
    if (synthesis_record(c->s, round, county, judgment, reason, server_problem_role(role), c->user.name,
                         &version, &e)) {
        if (e.code == ERR_INVALID) return ctx_error(c, 422, "invalid", "研判结论不合规", e.msg, NULL);
        return ctx_fail(c, &e);
    }
    c->status = 201;
    c->out = json_pack("{s:s, s:i, s:I, s:s}", "round", round, "county", county, "version",
                       (json_int_t)version, "by", c->user.name);
    return 0;
}

static const struct route routes[] = {
    {"GET", "/api/rounds/*/synthesis", synthesis_get, 0},
    {"POST", "/api/rounds/*/synthesis", synthesis_post, RT_BODY},
};

const struct route *server_synthesis_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
