/*
 * setup.c — the office's round set-up from the pages (issue 13, docs/pages.md): the same
 * library calls as `pinggu plan check --db`, `pinggu seed commit`, `pinggu sample`, `pinggu
 * sample verify` and `pinggu teams draw`, each answered with the text the CLI prints (the
 * printers of plan.h into a string).
 *
 *   GET  /api/setup/plans?round=R            the shipped plans (data_find("plans"))
 *   POST /api/setup/plan-check {round, plan}  plan_load + plan_check_print on this store
 *   POST /api/setup/commitment {round, seed}  seed_commitment: the hash to publish
 *   POST /api/setup/draw {round, plan, seed}  sample_create (the round R) + sample_draw_print
 *   POST /api/rounds/R/verify {commitment?}   sample_manifest into a private temporary folder,
 *                                              then sample_verify + sample_verify_print
 *   POST /api/rounds/R/teams {seed}           teams_draw (the stored plan) + teams_show
 *
 * Invariants: every request asks access_check first (set-up: sample write, office only and
 * before the release; verify: manifest read); a plan is only ever a file of the shipped plans
 * folder named by a plain file name (letters, digits, '.', '_', '-', ending ".json"), never a
 * path from the client; the writes (the draw, the teams) go through the library, which logs
 * them in the change log under the signed-in user (http.c sets the store's actor).
 */
#include "server_int.h"
#include "../plan/plan.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A shipped plan's file name: letters, digits, '.', '_', '-', not starting with '.', ending
 * in ".json". */
static int plan_name_ok(const char *n)
{
    size_t len = n ? strlen(n) : 0;
    if (len < 6 || len > 100 || n[0] == '.' || strcmp(n + len - 5, ".json")) return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = n[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

/* Text printed into memory: the caller owns *text (free()). */
struct printed {
    char *text;
    size_t len;
    FILE *f;
};
static int printed_open(struct printed *p)
{
    p->text = NULL, p->len = 0;
    p->f = open_memstream(&p->text, &p->len);
    return p->f ? 0 : -1;
}
static void printed_close(struct printed *p)
{
    if (p->f) fclose(p->f);
    p->f = NULL;
}

/* The set-up's permission for round (a round being drawn need not exist yet): 0, or -1 with
 * the refusal answered. */
static int setup_allowed(struct ctx *c, const char *round)
{
    struct access_target t;
    struct error e;
    int rel = 0;
    if (!round || !server_name_ok(round, 63))
        return ctx_error(c, 422, "invalid", "须指定轮次名 round", "round: a sample name (1 to 63 characters, no '/')",
                         "round");
    if (!access_round_exists(c->s, round, &e) && ctx_released(c, round, &rel)) return -1;
    t.round = round, t.county = 0, t.released = rel > 0, t.sent = 0;
    return ctx_allow(c, RS_SAMPLE, AA_WRITE, &t, NULL);
}

/* Loads the shipped plan the body names into *p: 0, or -1 with the answer set (a plan that is
 * not valid: 422 with every problem in "text", as plan check prints them). */
static int body_plan(struct ctx *c, struct plan *p)
{
    int bad = 0, rc;
    const char *name = ctx_body_str(c, "plan", &bad);
    struct strbuf rel = STRBUF_INIT, path = STRBUF_INIT;
    struct errlist errs;
    struct error e;
    memset(p, 0, sizeof *p);
    if (bad || !plan_name_ok(name))
        return ctx_error(c, 422, "invalid", "须选择一个方案文件", "plan: the file name of a shipped plan (plans/*.json)",
                         "plan");
    sb_addf(&rel, "plans/%s", name);
    if (sb_ok(&rel) || data_find(rel.buf, &path) < 0 || sb_ok(&path)) {
        sb_release(&rel);
        sb_release(&path);
        return ctx_error(c, 500, "internal", "服务器内部错误", "out of memory", NULL);
    }
    sb_release(&rel);
    errlist_init(&errs, 50);
    rc = plan_load(path.buf, p, &errs, &e);
    sb_release(&path);
    if (rc == ERR_IO) {
        errlist_release(&errs);
        plan_release(p);
        return ctx_error(c, 404, "not_found", "没有此方案", "no such shipped plan", "plan");
    }
    if (rc) {
        struct printed out;
        if (printed_open(&out) == 0) {
            if (errs.total) errlist_print(out.f, &errs);
            else fprintf(out.f, "%s\n", e.msg);
            printed_close(&out);
        }
        ctx_error(c, 422, "invalid_plan", "方案不合规", "the plan is not valid (see text)", "plan");
        json_object_set_new(c->out, "text", json_string(out.text ? out.text : ""));
        free(out.text);
        errlist_release(&errs);
        plan_release(p);
        return -1;
    }
    errlist_release(&errs);
    return 0;
}

static const char *body_seed(struct ctx *c)
{
    int bad = 0;
    const char *seed = ctx_body_str(c, "seed", &bad);
    if (bad || !seed || !*seed || strlen(seed) > 200) {
        ctx_error(c, 422, "invalid", "须填写种子（1 至 200 个字符）", "seed: 1 to 200 characters", "seed");
        return NULL;
    }
    return seed;
}

static int plans_list(struct ctx *c)
{
    struct strbuf dir = STRBUF_INIT;
    json_t *a;
    DIR *d;
    struct dirent *de;
    if (setup_allowed(c, ctx_query(c, "round"))) return -1;
    a = json_array();
    if (data_find("plans", &dir) == 0 && !sb_ok(&dir) && (d = opendir(dir.buf))) {
        while ((de = readdir(d)))
            if (plan_name_ok(de->d_name)) json_array_append_new(a, json_string(de->d_name));
        closedir(d);
    }
    sb_release(&dir);
    /* a stable order: readdir's is the file system's */
    {
        size_t n = json_array_size(a);
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0; j--) {
                json_t *x = json_array_get(a, j - 1), *y = json_array_get(a, j);
                if (strcmp(json_string_value(x), json_string_value(y)) <= 0) break;
                json_incref(x);
                json_array_set(a, j - 1, y);
                json_array_set_new(a, j, x);
            }
    }
    c->out = json_pack("{s:o}", "plans", a);
    return 0;
}

static int plan_check(struct ctx *c)
{
    int bad = 0, rc;
    const char *round = ctx_body_str(c, "round", &bad), *name;
    struct plan p;
    struct printed out;
    struct error e;
    if (setup_allowed(c, bad ? NULL : round) || body_plan(c, &p)) return -1;
    name = json_string_value(json_object_get(c->body, "plan"));
    if (printed_open(&out)) {
        plan_release(&p);
        return ctx_error(c, 500, "internal", "服务器内部错误", "out of memory", NULL);
    }
    rc = plan_check_print(c->s, name, &p, "this store", out.f, &e);
    printed_close(&out);
    plan_release(&p);
    if (rc) {
        free(out.text);
        return ctx_fail(c, &e);
    }
    c->out = json_pack("{s:s, s:s}", "plan", name, "text", out.text ? out.text : "");
    free(out.text);
    return 0;
}

static int commitment(struct ctx *c)
{
    int bad = 0;
    const char *round = ctx_body_str(c, "round", &bad), *seed;
    char hash[65], line[80];
    if (setup_allowed(c, bad ? NULL : round) || !(seed = body_seed(c))) return -1;
    seed_commitment(seed, hash);
    snprintf(line, sizeof line, "%s\n", hash); /* as `pinggu seed commit` prints it */
    c->out = json_pack("{s:s, s:s}", "commitment", hash, "text", line);
    return 0;
}

static int draw(struct ctx *c)
{
    int bad = 0, rc;
    const char *round = ctx_body_str(c, "round", &bad), *seed;
    struct plan p;
    struct printed out;
    struct error e;
    if (setup_allowed(c, bad ? NULL : round) || !(seed = body_seed(c)) || body_plan(c, &p))
        return -1;
    rc = sample_create(c->s, &p, round, seed, 0, &e);
    plan_release(&p);
    if (rc) return ctx_fail(c, &e); /* ERR_EXISTS: 409, the round is drawn already */
    if (printed_open(&out)) return ctx_error(c, 500, "internal", "服务器内部错误", "out of memory", NULL);
    rc = sample_draw_print(c->s, round, seed, out.f, &e);
    printed_close(&out);
    if (rc) {
        free(out.text);
        return ctx_fail(c, &e);
    }
    c->status = 201;
    c->out = json_pack("{s:s, s:s}", "round", round, "text", out.text ? out.text : "");
    free(out.text);
    return 0;
}

static int verify(struct ctx *c)
{
    const char *round = c->names[0];
    int bad = 0, rel = 0, rc;
    const char *commit = ctx_body_str(c, "commitment", &bad);
    struct access_target t;
    struct verify_report r;
    struct printed out;
    struct error e;
    char dir[160], path[200];
    if (bad || (commit && *commit && strlen(commit) != 64))
        return ctx_error(c, 422, "invalid", "承诺值须为 64 位十六进制", "commitment: 64 hexadecimal digits",
                         "commitment");
    if (commit && !*commit) commit = NULL;
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    t.round = round, t.county = 0, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_MANIFEST, AA_READ, &t, NULL)) return -1;
    /* the manifest the office publishes, written where nobody else reads it, then verified */
    if (tmpdir_make(dir, sizeof dir, "pinggu-verify")) return ctx_error(c, 503, "unavailable", "服务暂不可用", "no space for the manifest", NULL);
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    memset(&r, 0, sizeof r);
    rc = sample_manifest(c->s, round, path, &e);
    if (!rc) rc = sample_verify(c->s, path, commit, &r, &e);
    unlink(path);
    rmdir(dir);
    if (rc && rc != ERR_VERIFY) return ctx_fail(c, &e);
    if (printed_open(&out)) return ctx_error(c, 500, "internal", "服务器内部错误", "out of memory", NULL);
    sample_verify_print(&r, rc == 0, commit != NULL, out.f);
    printed_close(&out);
    c->out = json_pack("{s:s, s:b, s:s}", "round", round, "identical", rc == 0, "text",
                       out.text ? out.text : "");
    free(out.text);
    return 0;
}

static int teams(struct ctx *c)
{
    const char *round = c->names[0], *seed;
    struct printed out;
    struct error e;
    int rc;
    if (setup_allowed(c, round) || !(seed = body_seed(c))) return -1;
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    /* the plan is the one the sample was drawn with, as stored (the CLI insists on it) */
    rc = teams_draw(c->s, round, seed, &e);
    if (rc) return ctx_fail(c, &e); /* a rule the pool cannot satisfy: 422 naming it */
    if (printed_open(&out)) return ctx_error(c, 500, "internal", "服务器内部错误", "out of memory", NULL);
    rc = teams_show(c->s, round, out.f, &e);
    printed_close(&out);
    if (rc) {
        free(out.text);
        return ctx_fail(c, &e);
    }
    c->status = 201;
    c->out = json_pack("{s:s, s:s}", "round", round, "text", out.text ? out.text : "");
    free(out.text);
    return 0;
}

static const struct route routes[] = {
    {"GET", "/api/setup/plans", plans_list, 0},
    {"POST", "/api/setup/plan-check", plan_check, RT_BODY},
    {"POST", "/api/setup/commitment", commitment, RT_BODY},
    {"POST", "/api/setup/draw", draw, RT_BODY},
    {"POST", "/api/rounds/*/verify", verify, RT_BODY},
    {"POST", "/api/rounds/*/teams", teams, RT_BODY},
};

const struct route *server_setup_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
