/*
 * pages.c — what the pages (issue 13, web/) need from pinggu serve beside the JSON API:
 *
 *   - the built page files (web/dist: index.html, entry.html, assets/…), served for GET/HEAD
 *     on any path outside /api/ that names such a file ("/" is index.html). A path is taken
 *     only if every segment is letters, digits, '.', '_' or '-' and none starts with '.', and
 *     the file is opened without following symbolic links, so nothing outside the folder is
 *     ever served. The pages hold no data and no rules; every datum comes from /api/.
 *   - GET /api/nav?round=R: the pages this user may open in the round, decided by
 *     access_check (the one matrix) — the pages never decide navigation themselves.
 *   - GET /api/rounds/R/progress: `pinggu field status` as the CLI prints it (response and
 *     replacement per county and stratum, questionnaires by review state, field quality per
 *     team). The text covers every county of the round, so it is given only to a user who may
 *     read the progress of each of them (access_check asked once per county).
 *   - GET /api/rounds/R/progress/table: the same as figures (field_progress): per county,
 *     households due and done, not reached, replaced, response and replacement rates; per
 *     county and team, questionnaires by review state — each county's rows only for whom may
 *     read that county's progress.
 *   - GET /api/rounds/R/releases: the number of releases, for whom may read releases.
 *   - GET /api/rounds/R/review[?state=S]: the round's current questionnaires with their review
 *     state, who moved them last and the comments (`pinggu field review --list --json`), each
 *     item only for whom access_check allows reading questionnaires and the sample of its
 *     county (the list names sampled units, so the home-city rule applies); with
 *     "can_review" when the user may review (write, as leader or office).
 *     POST /api/rounds/R/review {unit, form?, to, note?, comments: {QUESTION: TEXT}}: one move
 *     of the two-level review by review_move (survey.h), which decides whether it is legal.
 *   - GET /api/office/audit, /api/office/security, /api/office/users: `pinggu audit verify`
 *     with the change log's tail, the security log and the user list as the CLI prints them.
 *   - POST /api/office/users {name, password, role, round?, scope?, home?}, POST
 *     /api/office/users/NAME/grants {role, round?, scope?}, POST /api/office/users/NAME/disable:
 *     accounts and grants by access.h (the password rules, the change log, must_change).
 *   - GET /api/office/tokens: every field-app token as `pinggu user token list` prints it (no
 *     secret); POST /api/office/users/NAME/tokens/revoke {round?, id?}: the office revokes.
 *   - GET /api/download?table=T&round=R&format=csv|xlsx: a table of the API (problems,
 *     assignments, figures) as a file made here on the server, built by calling the same
 *     route as the page does — so the same authorisation, per-item filtering and security
 *     log apply to a download as to the page.
 */
#include "server_int.h"
#include "../estimate/estimate.h"
#include "../problem/problem.h"
#include "../survey/survey.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

/* ------------------------------------------------------------------ page files */

static int path_ok(const char *url)
{
    size_t n = strlen(url), seg = 0;
    if (url[0] != '/' || n > 200) return 0;
    for (size_t i = 1; i <= n; i++) {
        char ch = url[i];
        if (ch == '/' || ch == '\0') {
            if (seg == 0 && ch == '/') return 0; /* an empty segment */
            seg = 0;
            continue;
        }
        if (seg == 0 && ch == '.') return 0;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return 0;
        seg++;
    }
    return 1;
}

static const char *file_type(const char *path)
{
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"}, {".png", "image/png"}, {".ico", "image/x-icon"},
        {".woff2", "font/woff2"}, {".woff", "font/woff"}, {".ttf", "font/ttf"},
        {".json", "application/json"}, {".wasm", "application/wasm"}};
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t k = strlen(types[i].ext);
        if (n > k && !strcmp(path + n - k, types[i].ext)) return types[i].type;
    }
    return "application/octet-stream";
}

int server_pages_send(void *connection, const char *web_dir, const char *url, int *handled)
{
    struct MHD_Connection *conn = connection;
    struct strbuf dir = STRBUF_INIT, path = STRBUF_INIT;
    struct MHD_Response *r;
    struct stat st;
    const char *rel = url;
    int fd = -1, ret = MHD_NO;
    *handled = 0;
    if (!strncmp(url, "/api/", 5) || !strcmp(url, "/api")) return MHD_NO;
    if (!strcmp(url, "/")) rel = "/index.html";
    if (!path_ok(rel)) return MHD_NO;
    if (web_dir) sb_adds(&dir, web_dir);
    else if (data_find("web/dist", &dir) != 0) goto out;
    if (sb_ok(&dir)) goto out;
    sb_addf(&path, "%s%s", dir.buf, rel);
    if (sb_ok(&path)) goto out;
    fd = open(path.buf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) goto out;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) goto out;
    r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!r) goto out;
    fd = -1; /* the response owns it */
    MHD_add_response_header(r, "Content-Type", file_type(rel));
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    /* scripts only from this site; the chart library and the form engine set inline styles */
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                            "img-src 'self' data: blob:; frame-ancestors 'none'");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    ret = server_answer(conn, 200, r); /* takes r (http.c: a worker's answer waits in its request) */
    *handled = 1;
out:
    if (fd >= 0) close(fd);
    sb_release(&dir);
    sb_release(&path);
    return ret;
}

/* ------------------------------------------------------------------ navigation */

/* The pages and what each needs; a page is listed when access_check allows it in the round. */
static const struct page {
    const char *id, *zh, *en;
    enum access_resource res;
    enum access_action act;
    int after; /* 1: only once the round is released (the county-facing view) */
} pages[] = {
    {"progress", "进度", "Progress", RS_PROGRESS, AA_READ, 0},
    {"figures", "指标测算", "Indicators", RS_FIGURES, AA_READ, 0},
    {"problems", "问题清单", "Problems", RS_PROBLEMS, AA_READ, 0},
    {"ledger", "整改台账", "Rectification ledger", RS_PROBLEMS, AA_READ, 0},
    {"problem-summary", "当日问题汇总", "Day's problem summary", RS_PROGRESS, AA_READ, 0},
    {"assignments", "调查任务", "Assignments", RS_ASSIGNMENTS, AA_READ, 0},
    {"dayplan", "每日安排", "Day plan", RS_ASSIGNMENTS, AA_WRITE, 0},
    {"review", "问卷审核", "Questionnaire review", RS_QUESTIONNAIRES, AA_READ, 0},
    {"entry", "问卷填报", "Questionnaire entry", RS_QUESTIONNAIRES, AA_WRITE, 0},
    {"odk", "ODK Collect 设置", "ODK Collect set-up", RS_QUESTIONNAIRES, AA_WRITE, 0},
    {"county-view", "反馈县级视图", "County view", RS_COUNTY_VIEW, AA_READ, 1},
    {"self-evaluation", "自评报告", "Self-evaluation report", RS_REPORTS, AA_WRITE, 0},
    {"setup", "轮次设置", "Round set-up", RS_SAMPLE, AA_WRITE, 0},
    {"releases", "发布", "Releases", RS_RELEASES, AA_WRITE, 0},
    {"signoff", "报告签字", "Report sign-off", RS_SIGNOFF, AA_READ, 0},
    {"synthesis", "综合研判", "County synthesis", RS_SYNTHESIS, AA_READ, 0},
    {"users", "用户与权限", "Users and grants", RS_USERS, AA_READ, 0},
    {"interference", "干扰记录", "Interference", RS_INTERFERENCE, AA_READ, 0},
    {"interference-record", "记录干扰", "Record interference", RS_INTERFERENCE, AA_WRITE, 0},
    {"audit", "变更日志", "Audit log", RS_AUDIT, AA_READ, 0},
    {"security", "安全日志", "Security log", RS_SECURITY, AA_READ, 0},
    /* between rounds (issue 15): web/src/pages/monitor.js, src/server/monitor.c */
    {"schedule", "日程", "Schedule", RS_SCHEDULE, AA_READ, 0},
    {"postexit", "摘帽县监测", "Post-exit monitoring", RS_MONITORING, AA_READ, 0},
    {"attendance", "驻村考勤", "Attendance", RS_ATTENDANCE, AA_READ, 0},
    {"bulletin", "月度通报", "Monthly bulletin", RS_BULLETIN, AA_READ, 0},
};

static int ledger_allow(struct ctx *c, struct access_target *t, int log);

static int nav(struct ctx *c)
{
    const char *round = ctx_query(c, "round");
    struct access_target t;
    struct error e;
    int rel = 0;
    json_t *a;
    if (!round || !*round)
        return ctx_error(c, 422, "invalid", "须指定轮次 round", "the query needs round=NAME", "round");
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    t.round = round, t.county = 0, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_ROUNDS, AA_READ, &t, NULL)) return -1;
    a = json_array();
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        if (pages[i].after && !rel) continue;
        if (access_check(&c->user, pages[i].res, pages[i].act, &t, NULL, NULL)) continue;
        if (!strcmp(pages[i].id, "ledger") && ledger_allow(c, &t, 0)) continue;
        json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "id", pages[i].id, "title_zh",
                                           pages[i].zh, "title_en", pages[i].en));
    }
    c->out = json_pack("{s:s, s:s, s:i, s:s, s:o}", "user", c->user.name, "round", round,
                       "releases", rel, "state", rel ? "released" : "provisional", "pages", a);
    return 0;
}

/* ------------------------------------------------------------------ office texts */

/* Runs a printer into a string (owned by the caller, free()), or NULL. */
static char *printed(int (*fn)(struct store *, FILE *, struct error *), struct store *s,
                     struct error *e)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    if (fn(s, f, e)) {
        fclose(f);
        free(text);
        return NULL;
    }
    fclose(f);
    return text;
}

static int audit_tail(struct store *s, FILE *f, struct error *e)
{
    return audit_log_print(s, f, 200, e);
}

static int office_text(struct ctx *c, enum access_resource r,
                       int (*fn)(struct store *, FILE *, struct error *), const char *key)
{
    struct access_target t = {NULL, 0, 0, 0};
    struct error e;
    char *text;
    if (ctx_allow(c, r, AA_READ, &t, NULL)) return -1;
    text = printed(fn, c->s, &e);
    if (!text) return ctx_fail(c, &e);
    c->out = json_pack("{s:s}", key, text);
    free(text);
    return 0;
}

static int office_audit(struct ctx *c)
{
    struct audit_report rep;
    struct error e;
    int rc;
    if (office_text(c, RS_AUDIT, audit_tail, "log")) return -1;
    memset(&rep, 0, sizeof rep);
    rc = audit_verify(c->s, &rep, &e);
    if (rc && rc != ERR_VERIFY) return ctx_fail(c, &e);
    json_object_set_new(c->out, "verify",
                        json_pack("{s:b, s:I, s:I, s:I, s:s}", "ok", rc == 0, "entries",
                                  (json_int_t)rep.entries, "rows", (json_int_t)rep.rows,
                                  "problems", (json_int_t)rep.problems, "first",
                                  rc ? rep.first.what : ""));
    return 0;
}

static int progress(struct ctx *c)
{
    const char *round = c->names[0];
    struct access_target t;
    struct estimates x;
    struct error e;
    char *text = NULL;
    size_t len = 0;
    int rel = 0, rc;
    FILE *f;
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    t.round = round, t.county = 0, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_PROGRESS, AA_READ, &t, NULL)) return -1;
    memset(&x, 0, sizeof x);
    if (estimate_sample(c->s, round, "county", &x, &e)) return ctx_fail(c, &e);
    for (size_t i = 0; i < x.n; i++) {
        t.county = x.u[i].code;
        if (ctx_allow(c, RS_PROGRESS, AA_READ, &t, NULL)) {
            estimates_release(&x);
            return -1;
        }
    }
    estimates_release(&x);
    f = open_memstream(&text, &len);
    if (!f) return ctx_error(c, 500, "internal", "服务器内部错误", "out of memory", NULL);
    rc = field_status(c->s, round, f, &e);
    fclose(f);
    if (rc) {
        free(text);
        return ctx_fail(c, &e);
    }
    c->out = json_pack("{s:s, s:s}", "round", round, "status", text ? text : "");
    free(text);
    return 0;
}

/* A team number for the JSON: null for 0, a round that drew no teams (plan.h teams_label). */
static json_t *team_json(int team)
{
    return team ? json_integer(team) : json_null();
}

/* GET /api/rounds/R/progress/table: field_progress's figures, each county's row (and its
 * teams' rows) only for whom may read that county's progress — so a leader sees its own
 * counties, and nobody their home city's before the release. */
static int progress_table(struct ctx *c)
{
    const char *round = c->names[0];
    struct access_target t;
    struct field_progress fp;
    struct error e;
    json_t *counties, *teams;
    int rel = 0;
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    t.round = round, t.county = 0, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_PROGRESS, AA_READ, &t, NULL)) return -1;
    if (field_progress(c->s, round, &fp, &e)) return ctx_fail(c, &e);
    counties = json_array();
    teams = json_array();
    for (size_t i = 0; i < fp.ncounties; i++) {
        const struct field_county_progress *p = &fp.counties[i];
        t.county = p->county;
        if (access_check(&c->user, RS_PROGRESS, AA_READ, &t, NULL, NULL)) continue;
        json_array_append_new(counties, json_pack("{s:i, s:I, s:I, s:I, s:I, s:f, s:f}", "county",
                                                  p->county, "selected", (json_int_t)p->selected,
                                                  "reached", (json_int_t)p->reached, "not_reached",
                                                  (json_int_t)p->not_reached, "replaced",
                                                  (json_int_t)p->replaced, "response_rate",
                                                  p->response_rate, "replacement_rate",
                                                  p->replacement_rate));
    }
    for (size_t i = 0; i < fp.nteams; i++) {
        const struct field_team_progress *p = &fp.teams[i];
        json_t *o;
        t.county = p->county;
        if (access_check(&c->user, RS_PROGRESS, AA_READ, &t, NULL, NULL)) continue;
        o = json_pack("{s:i, s:o, s:I}", "county", p->county, "team", team_json(p->team),
                      "questionnaires", (json_int_t)p->questionnaires);
        for (int k = 0; k < FIELD_REVIEW_STATES; k++)
            json_object_set_new(o, field_review_states[k], json_integer(p->state[k]));
        json_array_append_new(teams, o);
    }
    field_progress_release(&fp);
    c->out = json_pack("{s:s, s:o, s:o}", "round", round, "counties", counties, "teams", teams);
    return 0;
}

/* A YYYYMMDD day as 2020-04-22, or "" for 0, into b (16 bytes). */
static const char *iso_day(int d, char *b)
{
    if (d) snprintf(b, 16, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
    else b[0] = '\0';
    return b;
}

/* GET /api/rounds/R/progress/problems: the round's problems by state and the day's summaries
 * (how many were summarised, not yet, and late by the plan's rule) per county and team, as the
 * problem stage counts them (problem_counts) — each county's rows only for whom may read both
 * its progress and its problems (a liaison reads neither: problems not sent to it are in the
 * counts). */
static int progress_problems(struct ctx *c)
{
    const char *round = c->names[0];
    struct access_target t;
    struct problem_counts pc;
    struct error e;
    char due[8], day[16];
    json_t *rows, *states;
    int rel = 0;
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    t.round = round, t.county = 0, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_PROGRESS, AA_READ, &t, NULL) || ctx_allow(c, RS_PROBLEMS, AA_READ, &t, NULL))
        return -1;
    if (problem_counts(c->s, round, 0, &pc, &e)) return ctx_fail(c, &e);
    rows = json_array();
    for (size_t i = 0; i < pc.n; i++) {
        const struct problem_count_row *r = &pc.rows[i];
        json_t *o;
        t.county = r->county;
        if (access_check(&c->user, RS_PROGRESS, AA_READ, &t, NULL, NULL) ||
            access_check(&c->user, RS_PROBLEMS, AA_READ, &t, NULL, NULL))
            continue;
        o = json_pack("{s:i, s:o, s:I}", "county", r->county, "team", team_json(r->team),
                      "problems", (json_int_t)r->problems);
        for (int k = 0; k < PS_NSTATES; k++)
            json_object_set_new(o, problem_state_name((enum problem_state)k),
                                json_integer(r->state[k]));
        json_object_set_new(o, "in_summary", json_integer(r->summarised));
        json_object_set_new(o, "not_in_summary", json_integer(r->unsummarised));
        json_object_set_new(o, "late_summaries", json_integer(r->late_summaries));
        json_array_append_new(rows, o);
    }
    states = json_array(); /* the life cycle's states in order, with their Chinese labels */
    for (int k = 0; k < PS_NSTATES; k++)
        json_array_append_new(states, json_pack("{s:s, s:s}", "state", problem_state_name((enum problem_state)k),
                                                "zh", problem_state_label((enum problem_state)k)));
    if (pc.summary_due >= 0) snprintf(due, sizeof due, "%02d:%02d", pc.summary_due / 60, pc.summary_due % 60);
    c->out = json_pack("{s:s, s:s, s:o, s:b, s:o, s:o}", "round", round, "asof", iso_day(pc.asof, day),
                       "summary_due", pc.summary_due >= 0 ? json_string(due) : json_null(),
                       "verify_next_day", pc.verify_next_day, "states", states, "rows", rows);
    problem_counts_release(&pc);
    return 0;
}

/* May the user read the ledger item of county (0: the round) as role *role? A locality (city
 * or county liaison) reads its rectification only through the county-facing view, that is
 * after the release (DESIGN §10); every other role as it reads the problems. `log`: refuse
 * through ctx_allow (logged, answered); else access_check quietly. 0 if allowed. */
static int ledger_allow(struct ctx *c, struct access_target *t, int log)
{
    enum access_role role;
    if (log && ctx_allow(c, RS_PROBLEMS, AA_READ, t, &role)) return -1;
    if (!log && access_check(&c->user, RS_PROBLEMS, AA_READ, t, &role, NULL)) return -1;
    if (role != AR_CITY && role != AR_COUNTY) return 0;
    if (log) return ctx_allow(c, RS_COUNTY_VIEW, AA_READ, t, NULL);
    return access_check(&c->user, RS_COUNTY_VIEW, AA_READ, t, NULL, NULL) ? -1 : 0;
}

/* GET /api/rounds/R/ledger[?county=C]: the rectification ledger (整改台账) as the problem stage
 * builds it (problem_progress_list, problem_in_ledger, problem_ledger_timing) as of today —
 * every problem fed back or later with its measures, responsible unit and person, deadline,
 * dates and timing; each item only for whom ledger_allow lets read it. */
static int ledger_get(struct ctx *c)
{
    const char *round = c->names[0], *cq = ctx_query(c, "county");
    struct access_target t;
    struct problem_progress *p = NULL;
    size_t n = 0;
    struct error e;
    char day[16];
    int rel = 0, county = 0;
    json_t *a;
    if (cq && *cq) {
        char *end;
        long v = strtol(cq, &end, 10);
        if (*end || v < 100000 || v > 999999)
            return ctx_error(c, 422, "invalid", "县代码须为 6 位数字", "county: a 6-digit county code", "county");
        county = (int)v;
    }
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    t.round = round, t.county = county, t.released = rel > 0, t.sent = 1;
    if (ledger_allow(c, &t, 1)) return -1;
    if (problem_progress_list(c->s, round, 0, &p, &n, &e)) return ctx_fail(c, &e);
    a = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *en, *zh;
        json_t *o;
        if (!problem_in_ledger(&p[i]) || (county && p[i].county != county)) continue;
        t.county = p[i].county;
        if (ledger_allow(c, &t, 0)) continue;
        zh = problem_ledger_timing(&p[i], &en);
        o = json_pack("{s:I, s:i, s:s, s:s}", "id", (json_int_t)p[i].id, "county", p[i].county,
                      "state", problem_state_name(p[i].state), "state_zh",
                      problem_state_label(p[i].state));
        json_object_set_new(o, "measures", json_string(p[i].measures ? p[i].measures : ""));
        json_object_set_new(o, "responsible_unit", json_string(p[i].responsible_unit ? p[i].responsible_unit : ""));
        json_object_set_new(o, "responsible_person", json_string(p[i].responsible_person ? p[i].responsible_person : ""));
        json_object_set_new(o, "deadline", json_string(iso_day(p[i].deadline, day)));
        json_object_set_new(o, "rectified_on", json_string(iso_day(p[i].rectified_on, day)));
        json_object_set_new(o, "result", json_string(p[i].result ? p[i].result : ""));
        json_object_set_new(o, "closed_on", json_string(iso_day(p[i].closed_on, day)));
        json_object_set_new(o, "timing", json_string(zh));
        json_object_set_new(o, "timing_en", json_string(en));
        json_object_set_new(o, "overdue", json_boolean(p[i].overdue));
        json_object_set_new(o, "late", json_boolean(p[i].late));
        json_array_append_new(a, o);
    }
    problem_progress_free(p, n);
    c->out = json_pack("{s:s, s:s, s:o}", "round", round, "asof", iso_day(date_today(), day), "problems", a);
    if (county) json_object_set_new(c->out, "county", json_integer(county));
    return 0;
}

/* The role (leader, then office) in which the user may write questionnaires of county, or
 * NULL. */
static const char *review_role(struct ctx *c, const struct access_target *t)
{
    if (!access_check_as(&c->user, AR_LEADER, RS_QUESTIONNAIRES, AA_WRITE, t, NULL)) return "leader";
    if (!access_check_as(&c->user, AR_OFFICE, RS_QUESTIONNAIRES, AA_WRITE, t, NULL)) return "office";
    return NULL;
}

static int review_get(struct ctx *c)
{
    const char *round = c->names[0], *st = ctx_query(c, "state");
    struct access_target t;
    struct error e;
    char *text = NULL;
    size_t len = 0, i;
    int rel = 0, rc, can = 0;
    FILE *f;
    json_t *all, *keep, *v;
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    t.round = round, t.county = 0, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_QUESTIONNAIRES, AA_READ, &t, NULL)) return -1;
    f = open_memstream(&text, &len);
    if (!f) return ctx_error(c, 500, "internal", "服务器内部错误", "out of memory", NULL);
    rc = review_list(c->s, round, st && *st ? st : NULL, 1, 0, f, &e);
    fclose(f);
    if (rc) {
        free(text);
        return ctx_fail(c, &e);
    }
    all = text ? json_loadb(text, len, 0, NULL) : NULL;
    free(text);
    if (!json_is_array(all)) {
        json_decref(all);
        return ctx_error(c, 500, "internal", "服务器内部错误", "the review list could not be read", NULL);
    }
    keep = json_array();
    json_array_foreach(all, i, v)
    {
        int county = 0;
        const char *unit = json_string_value(json_object_get(v, "unit"));
        if (!unit || access_unit_county(c->s, round, unit, &county, &e)) continue;
        t.county = county;
        if (access_check(&c->user, RS_QUESTIONNAIRES, AA_READ, &t, NULL, NULL)) continue;
        /* the list names sampled units: the sample's rule (home city) applies as well */
        if (access_check(&c->user, RS_SAMPLE, AA_READ, &t, NULL, NULL)) continue;
        json_object_set_new(v, "county", json_integer(county));
        if (review_role(c, &t)) can = 1;
        json_array_append(keep, v);
    }
    json_decref(all);
    c->out = json_pack("{s:s, s:b, s:o}", "round", round, "can_review", can, "questionnaires", keep);
    return 0;
}

/* The target of a request about one unit's questionnaire: the round (which must exist), the
 * unit's county, and the user allowed `act` on its questionnaires and read of its sample (the
 * list names sampled units, so the home-city rule covers it). 0, or -1 with the answer set. */
static int questionnaire_allow(struct ctx *c, const char *round, const char *unit,
                               enum access_action act, struct access_target *t)
{
    struct error e;
    int rel = 0, county = 0;
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    if (access_unit_county(c->s, round, unit, &county, &e)) {
        if (e.code == ERR_NOTFOUND) return ctx_error(c, 422, "invalid", "样本中无此单位", e.msg, "unit");
        return ctx_fail(c, &e);
    }
    t->round = round, t->county = county, t->released = rel > 0, t->sent = 0;
    if (ctx_allow(c, RS_QUESTIONNAIRES, act, t, NULL) || ctx_allow(c, RS_SAMPLE, AA_READ, t, NULL))
        return -1;
    return 0;
}

/* GET /api/rounds/R/review/answers?unit=U&form=F[&unmasked=1]: the answers of a
 * questionnaire beside the review form, as the library gives them (review_answers): whoever
 * may read the questionnaire and its unit (the home-city rule) reads them, personal answers
 * masked; the office may ask them unmasked (RS_PERSONAL), and that read is logged. */
static int review_answers_get(struct ctx *c)
{
    const char *round = c->names[0], *unit = ctx_query(c, "unit"), *form = ctx_query(c, "form");
    const char *um = ctx_query(c, "unmasked");
    int unmasked = um && !strcmp(um, "1");
    const struct form *f;
    struct access_target t;
    struct error e;
    char via[96];
    json_t *a = NULL;
    if (!unit || !*unit) return ctx_error(c, 422, "invalid", "须指定 unit", "the query needs unit=CODE", "unit");
    if (!(f = server_form(c->cfg, form)))
        return ctx_error(c, 422, "invalid", "无此问卷", "no such questionnaire form", "form");
    if (questionnaire_allow(c, round, unit, AA_READ, &t)) return -1;
    if (unmasked && ctx_allow(c, RS_PERSONAL, AA_READ, &t, NULL)) return -1;
    snprintf(via, sizeof via, "api %s", c->addr ? c->addr : "?");
    if (review_answers(c->s, round, unit, f, unmasked ? via : NULL, &a, &e)) return ctx_fail(c, &e);
    c->out = json_pack("{s:s, s:s, s:s, s:b, s:o}", "round", round, "unit", unit, "form", f->id,
                       "unmasked", unmasked, "answers", a);
    return 0;
}

static int review_post(struct ctx *c)
{
    const char *round = c->names[0];
    int bad = 0, rc;
    const char *unit = ctx_body_str(c, "unit", &bad), *form = ctx_body_str(c, "form", &bad);
    const char *to = ctx_body_str(c, "to", &bad), *note = ctx_body_str(c, "note", &bad);
    json_t *cm = json_object_get(c->body, "comments"), *v;
    const char *q, *comments[64];
    char *owned[64];
    size_t nc = 0;
    struct access_target t;
    struct review_req r;
    struct strbuf legal = STRBUF_INIT;
    struct error e;
    if (bad || !unit || !to)
        return ctx_error(c, 422, "invalid", "须提供 unit 与 to（字符串）", "unit and to (strings) are required",
                         !unit ? "unit" : "to");
    if (cm && !json_is_object(cm))
        return ctx_error(c, 422, "invalid", "comments 须为 {问题: 意见}", "comments must be an object {question: text}",
                         "comments");
    if (questionnaire_allow(c, round, unit, AA_WRITE, &t)) return -1;
    memset(&r, 0, sizeof r);
    r.role = review_role(c, &t);
    if (!r.role)
        return ctx_error(c, 403, "forbidden", "无审核权限", "only a team leader or the office reviews", NULL);
    json_object_foreach(cm, q, v)
    {
        struct strbuf b = STRBUF_INIT;
        if (!json_is_string(v) || nc == sizeof comments / sizeof comments[0]) {
            for (size_t k = 0; k < nc; k++) mem_free(owned[k]);
            return ctx_error(c, 422, "invalid", "每条意见须为文字（至多 64 条）",
                             "each comment must be a string (at most 64)", "comments");
        }
        sb_addf(&b, "%s=%s", q, json_string_value(v));
        owned[nc] = sb_ok(&b) ? NULL : b.buf;
        if (!owned[nc]) {
            sb_release(&b);
            continue;
        }
        comments[nc] = owned[nc];
        nc++;
    }
    r.sample = round, r.unit = unit, r.form = form, r.to = to, r.actor = c->user.name;
    r.note = note, r.comments = comments, r.ncomments = nc;
    rc = review_move(c->s, &r, &legal, &e);
    for (size_t k = 0; k < nc; k++) mem_free(owned[k]);
    if (rc) {
        sb_release(&legal);
        if (rc == ERR_INVALID || rc == ERR_PARSE)
            return ctx_error(c, 422, "illegal_move", "审核流转不合规", e.msg, "to");
        return ctx_fail(c, &e);
    }
    sb_release(&legal);
    c->status = 201;
    c->out = json_pack("{s:s, s:s, s:s, s:s}", "unit", unit, "review", to, "by", c->user.name,
                       "as", r.role);
    return 0;
}

/* The round's releases so far (their number), for whom may read releases. */
static int releases_get(struct ctx *c)
{
    const char *round = c->names[0];
    struct access_target t;
    struct error e;
    int rel = 0;
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    t.round = round, t.county = 0, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_RELEASES, AA_READ, &t, NULL)) return -1;
    c->out = json_pack("{s:s, s:i, s:s}", "round", round, "releases", rel, "state",
                       rel ? "released" : "provisional");
    return 0;
}

static int office_security(struct ctx *c)
{
    return office_text(c, RS_SECURITY, access_security_print, "log");
}

static int office_users(struct ctx *c)
{
    return office_text(c, RS_USERS, access_user_list, "users");
}

/* A grant from the body's role, round and scope: 0, or -1 with the answer set. */
static int body_grant(struct ctx *c, struct access_grant *g)
{
    int bad = 0, role;
    const char *rs = ctx_body_str(c, "role", &bad), *round = ctx_body_str(c, "round", &bad);
    json_t *sc = json_object_get(c->body, "scope");
    memset(g, 0, sizeof *g);
    if (bad || !rs || (role = access_role_parse(rs)) < 0)
        return ctx_error(c, 422, "invalid", "角色不正确", "role must be office, leader, evaluator, city, county, supervisor or observer",
                         "role");
    if (round && (!*round || strlen(round) >= sizeof g->round || !server_name_ok(round, 63)))
        return ctx_error(c, 422, "invalid", "轮次名不正确", "round: a sample name", "round");
    if (sc && !json_is_null(sc)) {
        json_int_t v = json_is_integer(sc) ? json_integer_value(sc) : -1;
        if (!((v >= 1000 && v <= 9999) || (v >= 100000 && v <= 999999)))
            return ctx_error(c, 422, "invalid", "单位须为 4 位市代码或 6 位县代码",
                             "scope: a city (4 digits) or county (6 digits) code", "scope");
        g->scope = (int)v;
    }
    g->role = (enum access_role)role;
    if (round) snprintf(g->round, sizeof g->round, "%s", round);
    return 0;
}

static int users_write_allowed(struct ctx *c)
{
    struct access_target t = {NULL, 0, 0, 0};
    return ctx_allow(c, RS_USERS, AA_WRITE, &t, NULL);
}

static int user_add(struct ctx *c)
{
    int bad = 0, home = 0;
    const char *name = ctx_body_str(c, "name", &bad), *pw = ctx_body_str(c, "password", &bad);
    json_t *h = json_object_get(c->body, "home");
    struct access_grant g;
    struct error e;
    if (users_write_allowed(c)) return -1;
    if (bad || !name || !pw)
        return ctx_error(c, 422, "invalid", "须提供用户名和初始密码", "name and password (strings) are required",
                         !name ? "name" : "password");
    if (body_grant(c, &g)) return -1;
    if (h && !json_is_null(h)) {
        json_int_t v = json_is_integer(h) ? json_integer_value(h) : -1;
        if (!((v >= 1000 && v <= 9999) || (v >= 100000 && v <= 999999)))
            return ctx_error(c, 422, "invalid", "籍贯单位须为 4 位市代码或 6 位县代码",
                             "home: a city (4 digits) or county (6 digits) code", "home");
        home = (int)v;
    }
    if (access_name_ok(name, &e) || access_password_ok(name, pw, &e))
        return ctx_error(c, 422, "invalid", "用户名或密码不符合规则", e.msg, NULL);
    if (access_user_add(c->s, name, pw, home, &g, 1, &e)) return ctx_fail(c, &e);
    c->status = 201;
    c->out = json_pack("{s:s, s:s, s:b}", "user", name, "role", access_role_name(g.role),
                       "must_change", 1);
    return 0;
}

static int user_grant(struct ctx *c)
{
    struct access_grant g;
    struct error e;
    if (users_write_allowed(c)) return -1;
    if (body_grant(c, &g)) return -1;
    if (access_grant_add(c->s, c->names[0], &g, &e)) return ctx_fail(c, &e);
    c->status = 201;
    c->out = json_pack("{s:s, s:s}", "user", c->names[0], "role", access_role_name(g.role));
    return 0;
}

static int user_disable(struct ctx *c)
{
    struct error e;
    if (users_write_allowed(c)) return -1;
    if (!strcmp(c->names[0], c->user.name))
        return ctx_error(c, 422, "invalid", "不能停用自己的账户", "you cannot disable your own account", NULL);
    if (access_user_disable(c->s, c->names[0], &e)) return ctx_fail(c, &e);
    c->out = json_pack("{s:s, s:b}", "user", c->names[0], "disabled", 1);
    return 0;
}

static int all_tokens(struct store *s, FILE *f, struct error *e)
{
    return access_token_list(s, NULL, f, e);
}

/* Every user's field-app tokens (id, user, round, dates, state; never a secret), for the
 * office's users page. */
static int office_tokens(struct ctx *c)
{
    return office_text(c, RS_USERS, all_tokens, "tokens");
}

/* The office revokes a user's tokens: {round?} all of that round, {id?} one, {} every one. */
static int user_tokens_revoke(struct ctx *c)
{
    int bad = 0;
    const char *round = ctx_body_str(c, "round", &bad), *id = ctx_body_str(c, "id", &bad);
    int64_t n = 0;
    struct access_user u;
    int disabled = 0;
    struct error e;
    if (users_write_allowed(c)) return -1;
    if (bad) return ctx_error(c, 422, "invalid", "round 与 id 须为字符串", "round and id are strings", NULL);
    if (access_user_load(c->s, c->names[0], &u, &disabled, &e)) return ctx_fail(c, &e);
    access_user_release(&u);
    if (access_token_revoke(c->s, c->names[0], round && *round ? round : NULL, id && *id ? id : NULL,
                            &n, &e))
        return ctx_fail(c, &e);
    c->out = json_pack("{s:s, s:I}", "user", c->names[0], "revoked", (json_int_t)n);
    return 0;
}

/* ------------------------------------------------------------------ downloads */

/* The tables a download may name: the API route that builds it and the member holding rows. */
static const struct table {
    const char *name, *zh, *pattern, *member;
    const struct route *(*routes)(size_t *);
    int round_in_path; /* the route is /api/rounds/R/... */
} tables[] = {
    {"problems", "问题清单", "/api/problems", "problems", server_problems_routes, 0},
    {"assignments", "调查任务", "/api/assignments", "assignments", server_fieldwork_routes, 0},
    {"figures", "指标测算", "/api/rounds/*/figures", "units", server_rounds_routes, 1},
    {"review", "问卷审核", "/api/rounds/*/review", "questionnaires", server_pages_routes, 1},
    {"progress-counties", "各县进度", "/api/rounds/*/progress/table", "counties", server_pages_routes, 1},
    {"progress-teams", "各组问卷审核", "/api/rounds/*/progress/table", "teams", server_pages_routes, 1},
    {"progress-problems", "各组问题状态", "/api/rounds/*/progress/problems", "rows", server_pages_routes, 1},
    {"ledger", "整改台账", "/api/rounds/*/ledger", "problems", server_pages_routes, 1},
    {"answers", "答卷", "/api/rounds/*/review/answers", "answers", server_pages_routes, 1},
    {"dayplan", "每日安排", "/api/rounds/*/dayplan", "items", server_dayplan_routes, 1},
};

/* A cell's text (owned by the caller, mem_free): strings as they are, numbers and booleans
 * printed, objects as JSON. */
static char *cell_text(json_t *v)
{
    if (!v || json_is_null(v)) return mem_strdup("");
    if (json_is_string(v)) return mem_strdup(json_string_value(v));
    if (json_is_true(v)) return mem_strdup("true");
    if (json_is_false(v)) return mem_strdup("false");
    if (json_is_integer(v)) {
        char b[32];
        snprintf(b, sizeof b, "%lld", (long long)json_integer_value(v));
        return mem_strdup(b);
    }
    if (json_is_real(v)) {
        char b[40];
        snprintf(b, sizeof b, "%.17g", json_real_value(v));
        return mem_strdup(b);
    }
    {
        char *d = json_dumps(v, JSON_COMPACT), *r = mem_strdup(d ? d : "");
        free(d);
        return r;
    }
}

/* The columns: every key of every row, in first-seen order. */
static json_t *columns_of(json_t *rows)
{
    json_t *cols = json_array(), *seen = json_object(), *row, *v;
    size_t i;
    const char *k;
    json_array_foreach(rows, i, row)
    {
        json_object_foreach(row, k, v)
        {
            if (json_object_get(seen, k)) continue;
            json_object_set_new(seen, k, json_true());
            json_array_append_new(cols, json_string(k));
        }
    }
    json_decref(seen);
    return cols;
}

static int write_csv(FILE *f, json_t *cols, json_t *rows)
{
    size_t i, j;
    json_t *row, *col;
    fputs("\xEF\xBB\xBF", f); /* a BOM: Excel then reads the Chinese as UTF-8 */
    json_array_foreach(cols, j, col) fprintf(f, "%s%s", j ? "," : "", json_string_value(col));
    fputs("\r\n", f);
    json_array_foreach(rows, i, row)
    {
        json_array_foreach(cols, j, col)
        {
            char *t = cell_text(json_object_get(row, json_string_value(col)));
            const char *p = t ? t : "";
            /* a leading = + - @ would be a formula in Excel: quoted with a ' before it */
            int formula = strchr("=+-@", p[0]) && p[0] && !(p[0] == '-' && p[1] >= '0' && p[1] <= '9');
            if (j) fputc(',', f);
            fputc('"', f);
            if (formula) fputc('\'', f);
            for (; *p; p++) {
                if (*p == '"') fputc('"', f);
                fputc(*p, f);
            }
            fputc('"', f);
            mem_free(t);
        }
        fputs("\r\n", f);
    }
    return ferror(f) ? -1 : 0;
}

static int write_xlsx(const char *path, const char *sheet, json_t *cols, json_t *rows)
{
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws;
    size_t i, j;
    json_t *row, *col;
    if (!wb) return -1;
    ws = workbook_add_worksheet(wb, sheet);
    json_array_foreach(cols, j, col) worksheet_write_string(ws, 0, (lxw_col_t)j, json_string_value(col), NULL);
    json_array_foreach(rows, i, row)
    {
        json_array_foreach(cols, j, col)
        {
            json_t *v = json_object_get(row, json_string_value(col));
            if (json_is_number(v))
                worksheet_write_number(ws, (lxw_row_t)(i + 1), (lxw_col_t)j, json_number_value(v), NULL);
            else {
                char *t = cell_text(v);
                worksheet_write_string(ws, (lxw_row_t)(i + 1), (lxw_col_t)j, t ? t : "", NULL);
                mem_free(t);
            }
        }
    }
    return workbook_close(wb) == LXW_NO_ERROR ? 0 : -1;
}

static int download(struct ctx *c)
{
    const char *name = ctx_query(c, "table"), *round = ctx_query(c, "round");
    const char *format = ctx_query(c, "format");
    const struct table *tb = NULL;
    const struct route *rs;
    size_t n;
    json_t *rows, *cols = NULL;
    int xlsx, rc = -1;
    char dir[160] = "", path[200] = "";
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (name && !strcmp(name, tables[i].name)) tb = &tables[i];
    if (!tb)
        return ctx_error(c, 422, "invalid", "未知的表 table", "table must be problems, assignments, figures, review, progress-counties, progress-teams, progress-problems, ledger, answers or dayplan",
                         "table");
    if (!round || !server_name_ok(round, 64))
        return ctx_error(c, 422, "invalid", "须指定轮次 round", "the query needs round=NAME", "round");
    if (format && strcmp(format, "csv") && strcmp(format, "xlsx"))
        return ctx_error(c, 422, "invalid", "格式须为 csv 或 xlsx", "format must be csv or xlsx", "format");
    xlsx = format && !strcmp(format, "xlsx");
    /* the table is built by the page's own route: the same checks, the same filtering */
    rs = tb->routes(&n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rs[i].method, "GET") || strcmp(rs[i].pattern, tb->pattern)) continue;
        if (tb->round_in_path) snprintf(c->names[0], sizeof c->names[0], "%s", round);
        if (rs[i].fn(c)) return -1; /* its refusal is the answer */
        break;
    }
    rows = json_object_get(c->out, tb->member);
    if (!json_is_array(rows))
        return ctx_error(c, 500, "internal", "服务器内部错误", "the table could not be built", NULL);
    cols = columns_of(rows);
    if (tmpdir_make(dir, sizeof dir, "pinggu-download")) {
        ctx_error(c, 503, "unavailable", "服务暂不可用", "no space for the download", NULL);
        goto out;
    }
    snprintf(path, sizeof path, "%s/t", dir);
    if (xlsx) {
        if (write_xlsx(path, tb->name, cols, rows)) goto fail;
    } else {
        FILE *f = fopen(path, "wb");
        if (!f) goto fail;
        if (write_csv(f, cols, rows)) {
            fclose(f);
            goto fail;
        }
        if (fclose(f)) goto fail;
    }
    {
        char file[128];
        snprintf(file, sizeof file, "%s-%s.%s", round, tb->zh, xlsx ? "xlsx" : "csv");
        if (ctx_send_file(c, path,
                          xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                               : "text/csv; charset=utf-8",
                          file))
            goto fail;
    }
    rc = 0;
    goto out;
fail:
    ctx_error(c, 500, "internal", "服务器内部错误", "the download could not be written", NULL);
out:
    json_decref(cols);
    /* the open descriptor keeps the file readable after its name is gone */
    if (path[0]) unlink(path);
    if (dir[0]) rmdir(dir);
    return rc;
}

static const struct route routes[] = {
    {"GET", "/api/nav", nav, 0},
    {"GET", "/api/rounds/*/progress", progress, 0},
    {"GET", "/api/rounds/*/progress/table", progress_table, 0},
    {"GET", "/api/rounds/*/progress/problems", progress_problems, 0},
    {"GET", "/api/rounds/*/ledger", ledger_get, 0},
    {"GET", "/api/rounds/*/releases", releases_get, 0},
    {"GET", "/api/rounds/*/review", review_get, 0},
    {"POST", "/api/rounds/*/review", review_post, RT_BODY},
    {"GET", "/api/rounds/*/review/answers", review_answers_get, 0},
    {"GET", "/api/office/audit", office_audit, 0},
    {"GET", "/api/office/security", office_security, 0},
    {"GET", "/api/office/users", office_users, 0},
    {"POST", "/api/office/users", user_add, RT_BODY},
    {"POST", "/api/office/users/*/grants", user_grant, RT_BODY},
    {"POST", "/api/office/users/*/disable", user_disable, 0},
    {"GET", "/api/office/tokens", office_tokens, 0},
    {"POST", "/api/office/users/*/tokens/revoke", user_tokens_revoke, RT_BODY},
    {"GET", "/api/download", download, 0},
};

const struct route *server_pages_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
