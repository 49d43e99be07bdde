/*
 * problems.c — the problem resources (docs/api.md): the round's problems as the user may see
 * them (GET /api/problems?round=R, each item checked), one problem with its history and legal
 * moves (GET /api/problems/ID), and a move (POST /api/problems/ID/moves) made in the role the
 * authorisation matrix allows, whose legality the problem library's table decides (problem.h);
 * the same move with one uploaded evidence file as its body (POST /api/problems/ID/moves/evidence,
 * the fields in the query): the move's own permission covers its evidence, which the library
 * stores and links to the problem in the move's transaction. Interference records (POST and
 * GET /api/rounds/R/interference): recorded by a leader or evaluator with evidence, read only
 * by the office and the supervisor (the matrix, then discipline_may_read).
 */
#include "server_int.h"
#include "../problem/problem.h"
#include "../survey/survey.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Items a locality sees are those sent to it (DESIGN §10): sent for verification and explained
 * (its own part), then from the feedback on (fed back, rectifying, rectified, closed,
 * rechecked). Never a dismissed one, and not a confirmation before it is fed back: that is a
 * result, and localities see no results before they are fed back (DESIGN §8). */
static int sent_state(enum problem_state st)
{
    return st == PS_SENT || st == PS_EXPLAINED || st >= PS_FED_BACK;
}

static json_t *progress_json(const struct problem_progress *p, int locality)
{
    json_t *o = json_pack("{s:I, s:i, s:s, s:s, s:s}", "id", (json_int_t)p->id, "county",
                          p->county, "state", problem_state_name(p->state), "state_zh",
                          problem_state_label(p->state), "verification", p->verification);
    char d[16];
    if (p->deadline) {
        snprintf(d, sizeof d, "%04d-%02d-%02d", p->deadline / 10000, p->deadline / 100 % 100,
                 p->deadline % 100);
        json_object_set_new(o, "deadline", json_string(d));
    }
    json_object_set_new(o, "overdue", json_boolean(p->overdue));
    if (p->measures && *p->measures) json_object_set_new(o, "measures", json_string(p->measures));
    if (p->responsible_unit && *p->responsible_unit)
        json_object_set_new(o, "responsible_unit", json_string(p->responsible_unit));
    if (p->responsible_person && *p->responsible_person)
        json_object_set_new(o, "responsible_person", json_string(p->responsible_person));
    if (p->result && *p->result) json_object_set_new(o, "result", json_string(p->result));
    if (!locality && p->dismissal && *p->dismissal)
        json_object_set_new(o, "dismissal", json_string(p->dismissal));
    return o;
}

static int problems_list(struct ctx *c)
{
    const char *round = ctx_query(c, "round");
    struct problem_progress *p = NULL;
    size_t n = 0;
    struct error e;
    int rel = 0;
    json_t *a;
    if (!round || !*round)
        return ctx_error(c, 422, "invalid", "须指定轮次 round", "the query needs round=NAME", "round");
    if (ctx_released(c, round, &rel)) return -1;
    {
        struct access_target t = {round, 0, rel > 0, 0};
        if (ctx_allow(c, RS_PROBLEMS, AA_READ, &t, NULL)) return -1;
    }
    if (problem_progress_list(c->s, round, 0, &p, &n, &e)) return ctx_fail(c, &e);
    a = json_array();
    for (size_t i = 0; i < n; i++) {
        struct access_target t = {round, p[i].county, rel > 0, sent_state(p[i].state)};
        enum access_role role;
        if (access_check(&c->user, RS_PROBLEMS, AA_READ, &t, &role, NULL)) continue;
        json_array_append_new(a, progress_json(&p[i], role == AR_CITY || role == AR_COUNTY));
    }
    problem_progress_free(p, n);
    c->out = json_pack("{s:s, s:o}", "round", round, "problems", a);
    return 0;
}

/* The legal moves from state `from`, as JSON. */
static json_t *legal_json(enum problem_state from)
{
    size_t n;
    const struct problem_move_rule *t = problem_moves_table(&n);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        if (t[i].from != from) continue;
        json_t *who = json_array();
        for (int r = 0; r < PR_NROLES; r++)
            if (t[i].roles & (1u << r))
                json_array_append_new(who, json_string(problem_role_name((enum problem_role)r)));
        json_array_append_new(a, json_pack("{s:s, s:o, s:s}", "to", problem_state_name(t[i].to),
                                           "by", who, "what", t[i].what));
    }
    return a;
}

/* Loads problem ID's target and checks `action` on it. */
static int problem_target(struct ctx *c, int64_t id, enum access_action act, char *round,
                          size_t rsize, struct access_target *t, enum problem_state *st,
                          enum access_role *role)
{
    char state[40];
    struct error e;
    int county = 0, rel = 0, s;
    if (access_problem_target(c->s, id, round, rsize, &county, state, sizeof state, &e))
        return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    s = problem_state_parse(state);
    *st = s < 0 ? PS_CANDIDATE : (enum problem_state)s;
    t->round = round, t->county = county, t->released = rel > 0, t->sent = sent_state(*st);
    return ctx_allow(c, RS_PROBLEMS, act, t, role);
}

static int problem_get(struct ctx *c)
{
    char round[64];
    struct access_target t;
    enum problem_state st;
    enum access_role role;
    struct problem_progress *p = NULL;
    size_t n = 0;
    struct error e;
    if (problem_target(c, c->nums[0], AA_READ, round, sizeof round, &t, &st, &role)) return -1;
    if (problem_progress_list(c->s, round, 0, &p, &n, &e)) return ctx_fail(c, &e);
    for (size_t i = 0; i < n; i++)
        if (p[i].id == c->nums[0]) c->out = progress_json(&p[i], role == AR_CITY || role == AR_COUNTY);
    problem_progress_free(p, n);
    if (!c->out) return ctx_error(c, 404, "not_found", "无此问题", "no such problem", NULL);
    json_object_set_new(c->out, "round", json_string(round));
    if (role != AR_CITY && role != AR_COUNTY) {
        /* the history (who found it, every move): team and office only, never a locality */
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (f) {
            int rc = problem_show(c->s, c->nums[0], f, &e);
            fclose(f);
            if (!rc) json_object_set_new(c->out, "history", json_stringn(text, len));
            free(text);
            if (rc) return ctx_fail(c, &e);
        }
    }
    json_object_set_new(c->out, "legal_moves", legal_json(st));
    return 0;
}

/* The body's "evidence": SHA-256 hashes of evidence already uploaded (POST /api/evidence) that
 * the user may read, as the paths of their blobs for problem_apply (which links them to the
 * problem, content-addressed, so nothing is copied twice). Caller frees each path and the array. */
static int evidence_paths(struct ctx *c, char ***out, size_t *n)
{
    json_t *a = json_object_get(c->body, "evidence"), *v;
    char *dir = NULL;
    size_t i;
    *out = NULL, *n = 0;
    if (!a) return 0;
    if (!json_is_array(a) || json_array_size(a) > 20)
        return ctx_error(c, 422, "invalid", "evidence 须为证据哈希数组",
                         "\"evidence\" is an array of at most 20 SHA-256 hashes", "evidence");
    *out = mem_calloc(json_array_size(a) + 1, sizeof **out);
    dir = evidence_dir(c->s);
    if (!*out || !dir) {
        mem_free(dir);
        return ctx_error(c, 500, "internal", "内存不足", "out of memory", NULL);
    }
    json_array_foreach(a, i, v)
    {
        const char *sha = json_string_value(v);
        char round[64], name[128];
        int county = 0, rel = 0;
        int64_t size;
        struct error e;
        struct strbuf p = STRBUF_INIT;
        if (!sha || strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64 ||
            access_evidence_target(c->s, sha, round, sizeof round, &county, name, sizeof name,
                                   &size, &e)) {
            ctx_error(c, 422, "invalid", "证据不存在（须先上传）",
                      "each evidence item is the SHA-256 of an uploaded file", "evidence");
            goto fail;
        }
        if (round[0] && access_round_released(c->s, round, &rel, &e)) {
            ctx_fail(c, &e);
            goto fail;
        }
        {
            struct access_target t = {round, county ? county : -1, rel > 0, 0};
            if (access_check(&c->user, RS_EVIDENCE, AA_READ, &t, NULL, NULL) &&
                ctx_allow(c, RS_EVIDENCE, AA_WRITE, &t, NULL))
                goto fail;
        }
        sb_addf(&p, "%s/%.2s/%s", dir, sha, sha + 2);
        if (sb_ok(&p)) {
            ctx_error(c, 500, "internal", "内存不足", "out of memory", NULL);
            goto fail;
        }
        (*out)[(*n)++] = sb_detach(&p, NULL);
    }
    mem_free(dir);
    return 0;
fail:
    mem_free(dir);
    for (size_t k = 0; k < *n; k++) mem_free((*out)[k]);
    mem_free(*out);
    *out = NULL, *n = 0;
    return -1;
}

enum problem_role server_problem_role(enum access_role r)
{
    switch (r) {
    case AR_OFFICE: return PR_OFFICE;
    case AR_LEADER: return PR_LEADER;
    case AR_EVALUATOR: return PR_EVALUATOR;
    case AR_CITY:
    case AR_COUNTY: return PR_COUNTY;
    default: return PR_NROLES;
    }
}

/* A field of the move: the JSON body's member, or (an upload, whose body is the file) the
 * query's value. NULL if absent; *bad set if present but not a string. */
static const char *move_field(struct ctx *c, const char *name, int *bad)
{
    return c->body ? ctx_body_str(c, name, bad) : ctx_query(c, name);
}

/* One move; upload (may be NULL) is one more evidence file, the request's streamed body. */
static int move(struct ctx *c, const char *upload)
{
    char round[64];
    struct access_target t;
    enum problem_state st;
    enum access_role role;
    struct problem_move m;
    struct error e;
    char **paths = NULL;
    size_t npaths = 0;
    int bad = 0, to, rc;
    const char *tos = move_field(c, "to", &bad), *as = move_field(c, "as", &bad),
               *deadline = move_field(c, "deadline", &bad), *on = move_field(c, "on", &bad);
    memset(&m, 0, sizeof m);
    m.note = move_field(c, "note", &bad);
    m.measures = move_field(c, "measures", &bad);
    m.responsible_unit = move_field(c, "responsible_unit", &bad);
    m.responsible_person = move_field(c, "responsible_person", &bad);
    m.result = move_field(c, "result", &bad);
    /* a form left empty is no value (an upload's query carries every field of the form) */
    if (!c->body) {
        const char **f[] = {&m.note, &m.measures, &m.responsible_unit, &m.responsible_person,
                            &m.result, &deadline, &on, &as};
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
            if (*f[i] && !**f[i]) *f[i] = NULL;
    }
    if (bad) return ctx_error(c, 422, "invalid", "字段须为字符串", "every field is a string", NULL);
    if (!tos || (to = problem_state_parse(tos)) < 0)
        return ctx_error(c, 422, "invalid", "目标状态不存在", "\"to\" must name a state", "to");
    if (deadline && parse_date(deadline, &m.deadline))
        return ctx_error(c, 422, "invalid", "整改时限须为日期", "deadline: YYYY-MM-DD", "deadline");
    if (on && parse_date(on, &m.on))
        return ctx_error(c, 422, "invalid", "日期格式错误", "on: YYYY-MM-DD", "on");
    if (problem_target(c, c->nums[0], AA_WRITE, round, sizeof round, &t, &st, &role)) return -1;
    if (as) {
        int r = access_role_parse(as);
        struct strbuf why = STRBUF_INIT;
        if (r < 0) return ctx_error(c, 422, "invalid", "角色不存在", "\"as\" must name a role", "as");
        if (access_check_as(&c->user, (enum access_role)r, RS_PROBLEMS, AA_WRITE, &t, &why)) {
            access_security_log(c->s, "forbidden", c->addr, c->user.name, "problem move as", NULL);
            ctx_error(c, 403, "forbidden", "无此角色的权限", sb_ok(&why) ? "forbidden" : why.buf, "as");
            sb_release(&why);
            return -1;
        }
        sb_release(&why);
        role = (enum access_role)r;
    }
    if (server_problem_role(role) == PR_NROLES)
        return ctx_error(c, 403, "forbidden", "该角色不能处理问题", "this role moves no problem", "as");
    if (evidence_paths(c, &paths, &npaths)) return -1;
    if (upload) {
        char **more = mem_realloc(paths, (npaths + 2) * sizeof *paths);
        char *dup = mem_strdup(upload);
        if (!more || !dup) {
            mem_free(dup);
            for (size_t i = 0; i < npaths; i++) mem_free(paths[i]);
            mem_free(more ? more : paths);
            return ctx_error(c, 500, "internal", "内存不足", "out of memory", NULL);
        }
        paths = more;
        paths[npaths++] = dup;
    }
    m.to = (enum problem_state)to;
    m.role = server_problem_role(role);
    m.actor = c->user.name;
    m.evidence = (const char *const *)paths;
    m.nevidence = npaths;
    rc = problem_apply(c->s, c->nums[0], &m, &e);
    for (size_t i = 0; i < npaths; i++) mem_free(paths[i]);
    mem_free(paths);
    if (rc) {
        if (e.code == ERR_INVALID) {
            char buf[1200];
            ctx_error(c, 422, "illegal_move", "不允许的状态变更", error_format(&e, buf, sizeof buf), "to");
            json_object_set_new(json_object_get(c->out, "error"), "legal_moves", legal_json(st));
            return -1;
        }
        return ctx_fail(c, &e);
    }
    c->status = 201;
    c->out = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)c->nums[0], "from",
                       problem_state_name(st), "state", problem_state_name(m.to), "by",
                       c->user.name, "as", access_role_name(role));
    return 0;
}

static int problem_move(struct ctx *c)
{
    return move(c, NULL);
}

/* POST /api/problems/ID/moves/evidence?to=S&name=FILE&note=…: the move with the body as one
 * evidence file (a county's explanation or rectification with its evidence). The file keeps
 * its name: a link of the streamed body under it in the request's private folder. */
static int problem_move_upload(struct ctx *c)
{
    const char *name = ctx_query(c, "name");
    struct strbuf named = STRBUF_INIT;
    int rc;
    if (!server_name_ok(name, 100))
        return ctx_error(c, 422, "invalid", "文件名不合法（不得含路径）",
                         "name: a file name without folders, 1-100 bytes", "name");
    if (c->upload_size == 0) return ctx_error(c, 422, "invalid", "文件为空", "the upload is empty", "body");
    sb_addf(&named, "%s/%s", c->upload_dir, name);
    if (sb_ok(&named) || link(c->upload_path, named.buf)) {
        sb_release(&named);
        return ctx_error(c, 500, "internal", "服务器内部错误", "cannot keep the upload", NULL);
    }
    rc = move(c, named.buf);
    unlink(named.buf);
    sb_release(&named);
    return rc;
}

/* ------------------------------------------------------------------ interference */

/* POST /api/rounds/R/interference?county=C&side=locality|team&kind=K&note=T&on=D&name=F, the
 * evidence file as the body (the locality's interference needs it: 应留存证据): one record by
 * discipline_record, in the role the matrix allows for interference write in that county. */
static int interference_post(struct ctx *c)
{
    const char *round = c->names[0], *cs = ctx_query(c, "county"), *name = ctx_query(c, "name");
    const char *on = ctx_query(c, "on"), *side = ctx_query(c, "side");
    struct discipline_entry d;
    struct access_target t;
    enum access_role role;
    struct strbuf named = STRBUF_INIT;
    const char *files[1];
    struct error e;
    int64_t id = 0;
    int county, rel = 0, rc;
    if (!cs || (county = atoi(cs)) < 100000 || county > 999999)
        return ctx_error(c, 422, "invalid", "须指定县代码 county", "the query needs county=CODE (6 digits)",
                         "county");
    memset(&d, 0, sizeof d);
    if (on && *on && parse_date(on, &d.on))
        return ctx_error(c, 422, "invalid", "日期格式错误", "on: YYYY-MM-DD", "on");
    if (c->upload_size && !server_name_ok(name, 100))
        return ctx_error(c, 422, "invalid", "文件名不合法（不得含路径）",
                         "name: a file name without folders, 1-100 bytes", "name");
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    t.round = round, t.county = county, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_INTERFERENCE, AA_WRITE, &t, &role)) return -1;
    if (server_problem_role(role) == PR_NROLES)
        return ctx_error(c, 403, "forbidden", "该角色不能记录干扰", "this role records no interference", NULL);
    d.round = round, d.county = county, d.side = side && *side ? side : NULL;
    d.kind = ctx_query(c, "kind"), d.note = ctx_query(c, "note");
    d.role = server_problem_role(role), d.actor = c->user.name;
    if (c->upload_size) {
        sb_addf(&named, "%s/%s", c->upload_dir, name);
        if (sb_ok(&named) || link(c->upload_path, named.buf)) {
            sb_release(&named);
            return ctx_error(c, 500, "internal", "服务器内部错误", "cannot keep the upload", NULL);
        }
        files[0] = named.buf;
        d.evidence = files, d.nevidence = 1;
    }
    rc = discipline_record(c->s, &d, &id, &e);
    if (c->upload_size) unlink(named.buf);
    sb_release(&named);
    if (rc) return ctx_fail(c, &e);
    c->status = 201;
    c->out = json_pack("{s:I, s:s, s:i, s:s, s:s}", "id", (json_int_t)id, "round", round, "county",
                       county, "by", c->user.name, "as", access_role_name(role));
    return 0;
}

/* GET /api/rounds/R/interference[?county=C]: the records as `pinggu interference list`
 * prints them, for whom the matrix lets read interference (office, supervisor) — and the
 * library's own rule (discipline_may_read) decides again. */
static int interference_get(struct ctx *c)
{
    const char *round = c->names[0], *cs = ctx_query(c, "county");
    struct access_target t;
    enum access_role role;
    struct error e;
    char *text = NULL;
    size_t len = 0;
    int county = cs && *cs ? atoi(cs) : 0, rel = 0, rc;
    FILE *f;
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    t.round = round, t.county = county, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_INTERFERENCE, AA_READ, &t, &role)) return -1;
    f = open_memstream(&text, &len);
    if (!f) return ctx_error(c, 500, "internal", "服务器内部错误", "out of memory", NULL);
    rc = discipline_list(c->s, round, county, role == AR_SUPERVISOR ? PR_DISCIPLINE : server_problem_role(role),
                         f, &e);
    fclose(f);
    if (rc) {
        free(text);
        return ctx_fail(c, &e);
    }
    c->out = json_pack("{s:s, s:s}", "round", round, "records", text ? text : "");
    free(text);
    return 0;
}

/* GET /api/rounds/R/problem-summary?date=YYYY-MM-DD: each team's day of problems as `pinggu
 * problems summary` prints it (recorded, summarised, late against the plan's hour, missing,
 * sent). The text covers every team of the round, so it is given only to whom may read the
 * problems of every county of the round (asked county by county, as the progress is). */
static int problem_summary(struct ctx *c)
{
    const char *round = c->names[0], *ds = ctx_query(c, "date");
    struct problem_progress *p = NULL;
    struct access_target t;
    struct error e;
    size_t n = 0;
    char *text = NULL;
    size_t len = 0;
    int day = 0, rel = 0, rc;
    FILE *f;
    if (!ds || parse_date(ds, &day))
        return ctx_error(c, 422, "invalid", "须指定日期 date", "the query needs date=YYYY-MM-DD", "date");
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    t.round = round, t.county = 0, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_PROBLEMS, AA_READ, &t, NULL)) return -1;
    if (problem_progress_list(c->s, round, 0, &p, &n, &e)) return ctx_fail(c, &e);
    for (size_t i = 0; i < n; i++) {
        t.county = p[i].county;
        if (ctx_allow(c, RS_PROBLEMS, AA_READ, &t, NULL)) {
            problem_progress_free(p, n);
            return -1;
        }
    }
    problem_progress_free(p, n);
    f = open_memstream(&text, &len);
    if (!f) return ctx_error(c, 500, "internal", "服务器内部错误", "out of memory", NULL);
    rc = problem_day_summary(c->s, round, day, f, &e);
    fclose(f);
    if (rc) {
        free(text);
        return ctx_fail(c, &e);
    }
    c->out = json_pack("{s:s, s:s, s:s}", "round", round, "date", ds, "summary", text ? text : "");
    free(text);
    return 0;
}

static const struct route routes[] = {
    {"GET", "/api/problems", problems_list, 0},
    {"GET", "/api/problems/#", problem_get, 0},
    {"POST", "/api/problems/#/moves", problem_move, RT_BODY},
    {"POST", "/api/problems/#/moves/evidence", problem_move_upload, RT_UPLOAD},
    {"POST", "/api/rounds/*/interference", interference_post, RT_UPLOAD},
    {"GET", "/api/rounds/*/interference", interference_get, 0},
    {"GET", "/api/rounds/*/problem-summary", problem_summary, 0},
};

const struct route *server_problems_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
