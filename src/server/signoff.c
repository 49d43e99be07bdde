/*
 * signoff.c — the team reports' sign-off from the pages (seed 002 六(五): 经组长和副组长签字后
 * 提交; docs/pages.md "Report sign-off"). The signer's private key never leaves the signer's
 * machine: the leader downloads a team report from the reports route, signs it there with
 * `pinggu report sign --detached` (no store), and pastes the printed public key and signature
 * into the page. Here the server makes the same report again and the library
 * (report_sign_record) checks the signature over that file's SHA-256 with report_sign's message
 * and rules, and records it with its change-log entry under the session's user.
 *
 *   GET  /api/rounds/R/signoff              the team reports this user may sign off, each
 *                                           with its SHA-256 now and its signatures (report_verify)
 *   POST /api/rounds/R/signoff {file, role, signer, public_key, signature}
 *
 * The team reports are those of seed 002 六(五): "13个考核组分别形成市、县两级交叉考核报告(其中
 * 接受县域结对帮扶的20个国家级贫困县还需提交县域结对帮扶工作成效考核报告),经组长和副组长签字后
 * 提交省扶贫办" — the county reports (county-C.html), the city reports (city-CC.html) and the
 * paired-assistance reports (paired-C.html), each signed by the team's 组长 and 副组长 (the
 * library's role and team checks are the same for all three).
 *
 * Invariants: only the signoff resource of the one authz table decides who may (a leader, its
 * own team's counties; the office reads), for every county a report covers (a city report: the
 * round's counties of that city — as the reports route decides downloads); the report is made
 * masked, as the leader downloads it, in a private temporary folder removed before answering;
 * nothing is recorded unless the library's checks pass.
 */
#include "server_int.h"
#include "../report/report.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The level and unit of a team report's file name: county-C.html and paired-C.html (a county,
 * 6 digits), city-CC.html (a city, 4 digits). 0, or -1 if the name is none of them. */
static int report_file(const char *f, enum report_level *level, int *unit)
{
    int code = 0, n = 0;
    if (sscanf(f, "county-%6d.html%n", &code, &n) == 1 && n && !f[n] && code >= 100000)
        *level = RL_COUNTY;
    else if ((n = 0, sscanf(f, "paired-%6d.html%n", &code, &n)) == 1 && n && !f[n] &&
             code >= 100000)
        *level = RL_PAIRED;
    else if ((n = 0, sscanf(f, "city-%4d.html%n", &code, &n)) == 1 && n && !f[n] && code >= 1000)
        *level = RL_CITY;
    else
        return -1;
    *unit = code;
    return 0;
}

/* Does the report of `level` and `unit` cover county k? */
static int covers(enum report_level level, int unit, const struct report_county *k)
{
    if (level == RL_CITY) return k->est.code / 100 == unit;
    if (level == RL_PAIRED) return k->est.code == unit && k->paired_with;
    return k->est.code == unit;
}

/* How many of the round's counties the report covers; with `act` >= 0 the user may `act` the
 * signoff of each (else 0: quietly, for the list), with `refuse` the first refusal answered
 * (ctx_allow: logged) and -1 returned. */
static int covered(struct ctx *c, const struct report *r, enum report_level level, int unit,
                   int released, enum access_action act, int refuse)
{
    int n = 0;
    for (size_t i = 0; i < r->ncounties; i++) {
        struct access_target t;
        if (!covers(level, unit, &r->counties[i])) continue;
        t.round = r->sample, t.county = r->counties[i].est.code, t.released = released, t.sent = 0;
        if (refuse) {
            if (ctx_allow(c, RS_SIGNOFF, act, &t, NULL)) return -1;
        } else if (access_check(&c->user, RS_SIGNOFF, act, &t, NULL, NULL)) {
            return 0;
        }
        n++;
    }
    return n;
}

/* Makes the round's team reports — county, city and paired-assistance (a round may have none
 * of the last) — masked, into a new private folder dir (removed by the caller with
 * tmpdir_remove). *r: the gathered report (report_free). 0, or -1 with the answer set. */
static int make_reports(struct ctx *c, const char *round, char *dir, size_t n, struct report **r)
{
    static const enum report_level levels[] = {RL_COUNTY, RL_CITY, RL_PAIRED};
    struct error e;
    *r = NULL;
    if (tmpdir_make(dir, n, "pinggu-signoff")) {
        dir[0] = '\0';
        return ctx_error(c, 503, "unavailable", "服务暂不可用", "no space for reports", NULL);
    }
    if (report_gather(c->s, round, dir, 0, r, &e)) return ctx_fail(c, &e);
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        (*r)->level = levels[i];
        if (report_emit(*r, dir, NULL, &e) && !(levels[i] != RL_COUNTY && e.code == ERR_NOTFOUND))
            return ctx_fail(c, &e);
    }
    return 0;
}

/* One file of the list: its SHA-256 now, report_verify's findings, whether the user may sign
 * it. 0, or -1 with the answer set. */
static int list_file(struct ctx *c, const struct report *r, const char *dir, const char *name,
                     enum report_level level, int unit, int released, json_t *files)
{
    static const char *const lname[] = {"county", "city", "paired"};
    struct report_verification v;
    struct error e;
    char path[460];
    json_t *o, *sigs;
    int vr;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (access(path, R_OK)) return 0;
    vr = report_verify(c->s, path, &v, &e);
    if (vr && vr != ERR_VERIFY) return ctx_fail(c, &e);
    sigs = json_array();
    for (size_t k = 0; k < v.nsigs; k++)
        json_array_append_new(sigs, json_pack("{s:s, s:s, s:s, s:b, s:s}", "role", v.sigs[k].role,
                                              "signer", v.sigs[k].signer, "at", v.sigs[k].at,
                                              "valid", v.sigs[k].valid, "problem", v.sigs[k].problem));
    o = json_pack("{s:s, s:s, s:i, s:s, s:b, s:b, s:b, s:o, s:b}", "file", name, "level",
                  lname[level], level == RL_CITY ? "city" : "county", unit, "sha256", v.sha256,
                  "leader", v.leader, "deputy", v.deputy, "complete", v.ok, "signatures", sigs,
                  "can_sign", covered(c, r, level, unit, released, AA_WRITE, 0) > 0);
    json_array_append_new(files, o);
    return 0;
}

static int signoff_get(struct ctx *c)
{
    const char *round = c->names[0];
    struct access_target t;
    struct report *r = NULL;
    struct error e;
    char dir[200] = "", name[64];
    char *signers = NULL;
    size_t len = 0;
    int rel = 0, rc = -1, vr;
    json_t *files = NULL;
    FILE *f;
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    t.round = round, t.county = 0, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_SIGNOFF, AA_READ, &t, NULL)) return -1;
    if (make_reports(c, round, dir, sizeof dir, &r)) goto out;
    files = json_array();
    /* each county's report, then its paired-assistance report, then the city reports */
    for (size_t i = 0; i < r->ncounties; i++) {
        int code = r->counties[i].est.code;
        snprintf(name, sizeof name, "county-%d.html", code);
        if (covered(c, r, RL_COUNTY, code, rel > 0, AA_READ, 0) > 0 &&
            list_file(c, r, dir, name, RL_COUNTY, code, rel > 0, files))
            goto out;
        snprintf(name, sizeof name, "paired-%d.html", code);
        if (covered(c, r, RL_PAIRED, code, rel > 0, AA_READ, 0) > 0 &&
            list_file(c, r, dir, name, RL_PAIRED, code, rel > 0, files))
            goto out;
    }
    for (size_t i = 0; i < r->ncities; i++) {
        int code = r->cities[i].code;
        snprintf(name, sizeof name, "city-%d.html", code);
        if (covered(c, r, RL_CITY, code, rel > 0, AA_READ, 0) > 0 &&
            list_file(c, r, dir, name, RL_CITY, code, rel > 0, files))
            goto out;
    }
    f = open_memstream(&signers, &len);
    if (!f) {
        ctx_error(c, 500, "internal", "服务器内部错误", "out of memory", NULL);
        goto out;
    }
    vr = report_signers_print(c->s, round, f, &e);
    fclose(f);
    if (vr) {
        ctx_fail(c, &e);
        goto out;
    }
    c->out = json_pack("{s:s, s:s, s:O}", "round", round, "signers", signers ? signers : "", "files", files);
    rc = 0;
out:
    free(signers);
    json_decref(files);
    if (r) report_free(r);
    if (dir[0]) tmpdir_remove(dir);
    return rc;
}

static int signoff_post(struct ctx *c)
{
    const char *round = c->names[0];
    int bad = 0, unit = 0, rel = 0, rc = -1;
    enum report_level level;
    const char *file = ctx_body_str(c, "file", &bad), *role = ctx_body_str(c, "role", &bad);
    const char *signer = ctx_body_str(c, "signer", &bad), *pk = ctx_body_str(c, "public_key", &bad);
    const char *sig = ctx_body_str(c, "signature", &bad);
    struct report_sign_req q;
    struct report_signature out;
    struct access_target t;
    struct report *r = NULL;
    struct error e;
    char dir[200] = "", path[460];
    int covered_n;
    if (bad || !file || !role || !signer || !pk || !sig)
        return ctx_error(c, 422, "invalid", "须提供 file、role、signer、public_key 与 signature（字符串）",
                         "file, role, signer, public_key and signature (strings) are required", NULL);
    if (report_file(file, &level, &unit))
        return ctx_error(c, 422, "invalid", "只签考核组报告：county-CODE.html、city-CODE.html 或 paired-CODE.html",
                         "file: a team report, county-CODE.html, city-CODE.html or paired-CODE.html", "file");
    memset(&q, 0, sizeof q);
    q.round = round, q.role = report_role_parse(role), q.signer = signer;
    if (q.role < 0)
        return ctx_error(c, 422, "invalid", "签字身份须为 组长 或 副组长", "role: 组长 (leader) or 副组长 (deputy)", "role");
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    /* a county's own reports are refused before any is made; a city's once its counties are
     * known */
    t.round = round, t.county = level == RL_CITY ? 0 : unit, t.released = rel > 0, t.sent = 0;
    if (level != RL_CITY && ctx_allow(c, RS_SIGNOFF, AA_WRITE, &t, NULL)) return -1;
    if (make_reports(c, round, dir, sizeof dir, &r)) goto out;
    if ((covered_n = covered(c, r, level, unit, rel > 0, AA_WRITE, 1)) < 0) goto out;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (!covered_n || access(path, R_OK)) {
        ctx_error(c, 404, "not_found", "本轮无此报告", "no such report in this round", "file");
        goto out;
    }
    q.file = path;
    if (report_sign_record(c->s, &q, file, pk, sig, &out, &e)) {
        if (e.code == ERR_INVALID) ctx_error(c, 422, "invalid", "签名未通过核验，未记录", e.msg, "signature");
        else ctx_fail(c, &e);
        goto out;
    }
    c->status = 201;
    c->out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "round", round, "file", file, "role",
                       q.role == 0 ? "组长" : "副组长", "signer", signer, "sha256", out.sha256,
                       "at", out.at, "by", c->user.name);
    rc = 0;
out:
    if (r) report_free(r);
    if (dir[0]) tmpdir_remove(dir);
    return rc;
}

static const struct route routes[] = {
    {"GET", "/api/rounds/*/signoff", signoff_get, 0},
    {"POST", "/api/rounds/*/signoff", signoff_post, RT_BODY},
};

const struct route *server_signoff_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
