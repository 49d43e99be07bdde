/*
 * signoff.c — the team reports' sign-off from the pages (seed 002 六(五): 经组长和副组长签字后
 * 提交; docs/pages.md "Report sign-off"). The signer's private key never leaves the signer's
 * machine: the leader downloads the county report from the reports route, signs it there with
 * `pinggu report sign --detached` (no store), and pastes the printed public key and signature
 * into the page. Here the server makes the same report again and the library
 * (report_sign_record) checks the signature over that file's SHA-256 with report_sign's message
 * and rules, and records it with its change-log entry under the session's user.
 *
 *   GET  /api/rounds/R/signoff              the county reports this user may sign off, each
 *                                           with its SHA-256 now and its signatures (report_verify)
 *   POST /api/rounds/R/signoff {file, role, signer, public_key, signature}
 *
 * Invariants: only the signoff resource of the one authz table decides who may (a leader, its
 * own team's counties; the office reads); the report is made masked, as the leader downloads
 * it, in a private temporary folder removed before answering; nothing is recorded unless the
 * library's checks pass.
 */
#include "server_int.h"
#include "../report/report.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The county of a county report's file name ("county-340122.html"), or 0. */
static int county_file(const char *f)
{
    int code = 0, n = 0;
    if (sscanf(f, "county-%6d.html%n", &code, &n) != 1 || f[n] || code < 100000) return 0;
    return code;
}

/* Makes the round's county reports, masked, into a new private folder dir (removed by the
 * caller with tmpdir_remove). *r: the gathered report (report_free). 0, or -1 with
 * the answer set. */
static int make_reports(struct ctx *c, const char *round, char *dir, size_t n, struct report **r)
{
    struct error e;
    *r = NULL;
    if (tmpdir_make(dir, n, "pinggu-signoff")) {
        dir[0] = '\0';
        return ctx_error(c, 503, "unavailable", "服务暂不可用", "no space for reports", NULL);
    }
    if (report_gather(c->s, round, dir, 0, r, &e)) return ctx_fail(c, &e);
    (*r)->level = RL_COUNTY;
    if (report_emit(*r, dir, NULL, &e)) return ctx_fail(c, &e);
    return 0;
}

static int signoff_get(struct ctx *c)
{
    const char *round = c->names[0];
    struct access_target t;
    struct report *r = NULL;
    struct error e;
    char dir[200] = "", path[460];
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
    for (size_t i = 0; i < r->ncounties; i++) {
        struct report_verification v;
        json_t *o, *sigs;
        int code = r->counties[i].est.code;
        t.county = code;
        if (access_check(&c->user, RS_SIGNOFF, AA_READ, &t, NULL, NULL)) continue;
        snprintf(path, sizeof path, "%s/county-%d.html", dir, code);
        vr = report_verify(c->s, path, &v, &e);
        if (vr && vr != ERR_VERIFY) {
            ctx_fail(c, &e);
            goto out;
        }
        sigs = json_array();
        for (size_t k = 0; k < v.nsigs; k++)
            json_array_append_new(sigs, json_pack("{s:s, s:s, s:s, s:b, s:s}", "role", v.sigs[k].role,
                                                  "signer", v.sigs[k].signer, "at", v.sigs[k].at,
                                                  "valid", v.sigs[k].valid, "problem", v.sigs[k].problem));
        o = json_pack("{s:s, s:i, s:s, s:b, s:b, s:b, s:o, s:b}", "file", path + strlen(dir) + 1,
                      "county", code, "sha256", v.sha256, "leader", v.leader, "deputy", v.deputy,
                      "complete", v.ok, "signatures", sigs, "can_sign",
                      !access_check(&c->user, RS_SIGNOFF, AA_WRITE, &t, NULL, NULL));
        json_array_append_new(files, o);
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
    int bad = 0, county, rel = 0, rc = -1;
    const char *file = ctx_body_str(c, "file", &bad), *role = ctx_body_str(c, "role", &bad);
    const char *signer = ctx_body_str(c, "signer", &bad), *pk = ctx_body_str(c, "public_key", &bad);
    const char *sig = ctx_body_str(c, "signature", &bad);
    struct report_sign_req q;
    struct report_signature out;
    struct access_target t;
    struct report *r = NULL;
    struct error e;
    char dir[200] = "", path[460];
    if (bad || !file || !role || !signer || !pk || !sig)
        return ctx_error(c, 422, "invalid", "须提供 file、role、signer、public_key 与 signature（字符串）",
                         "file, role, signer, public_key and signature (strings) are required", NULL);
    if (!(county = county_file(file)))
        return ctx_error(c, 422, "invalid", "只签县级报告 county-CODE.html", "file: a county report, county-CODE.html", "file");
    memset(&q, 0, sizeof q);
    q.round = round, q.role = report_role_parse(role), q.signer = signer;
    if (q.role < 0)
        return ctx_error(c, 422, "invalid", "签字身份须为 组长 或 副组长", "role: 组长 (leader) or 副组长 (deputy)", "role");
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    t.round = round, t.county = county, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_SIGNOFF, AA_WRITE, &t, NULL)) return -1;
    if (make_reports(c, round, dir, sizeof dir, &r)) goto out;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (access(path, R_OK)) {
        ctx_error(c, 404, "not_found", "本轮无此县级报告", "no such county report in this round", "file");
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
