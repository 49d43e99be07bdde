/*
 * rounds.c — the round resources (docs/api.md): the rounds a user may see (GET /api/rounds),
 * their county figures, provisional before the release (GET /api/rounds/R/figures), releases
 * (POST /api/rounds/R/releases, office only, access.h) and the county-facing view of the latest
 * release (GET /api/rounds/R/county-view?county=C), and a county's self-evaluation report
 * (POST /api/rounds/R/self-evaluation?county=C&name=FILE, the file as the body: stored by the
 * report stage with the day it arrived, today, and the days late against the due day).
 */
#include "server_int.h"
#include "../estimate/estimate.h"
#include "../report/report.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int rounds(struct ctx *c)
{
    char **names = NULL;
    int *rel = NULL;
    size_t n = 0;
    struct error e;
    json_t *a;
    if (access_rounds(c->s, &names, &rel, &n, &e)) return ctx_fail(c, &e);
    a = json_array();
    for (size_t i = 0; i < n; i++) {
        struct access_target t = {names[i], 0, rel[i] > 0, 0};
        if (access_check(&c->user, RS_ROUNDS, AA_READ, &t, NULL, NULL)) continue;
        json_array_append_new(a, json_pack("{s:s, s:i, s:s}", "round", names[i], "releases",
                                           rel[i], "state", rel[i] ? "released" : "provisional"));
    }
    access_names_free(names, n);
    mem_free(rel);
    c->out = json_pack("{s:o}", "rounds", a);
    return 0;
}

static int release_create(struct ctx *c)
{
    const char *round = c->names[0];
    struct access_target t;
    struct error e;
    char *snap = NULL, sha[65];
    int rel = 0, number = 0;
    if (ctx_released(c, round, &rel)) return -1;
    t.round = round, t.county = 0, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_RELEASES, AA_WRITE, &t, NULL)) return -1;
    if (access_release_snapshot(c->s, round, &snap, &e)) return ctx_fail(c, &e);
    if (access_release_store(c->s, round, snap, &number, sha, &e)) {
        mem_free(snap);
        return ctx_fail(c, &e);
    }
    mem_free(snap);
    c->status = 201;
    c->out = json_pack("{s:s, s:i, s:s}", "round", round, "number", number, "sha256", sha);
    return 0;
}

/* The round's county figures (as `pinggu indicators --json`), provisional before the release:
 * each county's row only for those who may read that county's figures. */
static int figures(struct ctx *c)
{
    const char *round = c->names[0];
    struct access_target t;
    struct estimates x;
    struct error e;
    char *text = NULL;
    size_t len = 0, i;
    FILE *f;
    int rel = 0;
    json_t *doc, *rows, *keep, *v;
    if (access_round_exists(c->s, round, &e) || access_round_released(c->s, round, &rel, &e))
        return ctx_fail(c, &e);
    t.round = round, t.county = 0, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_FIGURES, AA_READ, &t, NULL)) return -1;
    memset(&x, 0, sizeof x);
    if (estimate_sample(c->s, round, "county", &x, &e)) return ctx_fail(c, &e);
    f = open_memstream(&text, &len);
    if (f) {
        estimates_print(&x, 1, f);
        fclose(f);
    }
    estimates_release(&x);
    doc = text ? json_loadb(text, len, 0, NULL) : NULL;
    free(text);
    if (!doc) return ctx_error(c, 500, "internal", "服务器内部错误", "the figures could not be built", NULL);
    rows = json_object_get(doc, "units");
    keep = json_array();
    json_array_foreach(rows, i, v)
    {
        t.county = (int)json_integer_value(json_object_get(v, "code"));
        if (!access_check(&c->user, RS_FIGURES, AA_READ, &t, NULL, NULL)) json_array_append(keep, v);
    }
    json_object_set_new(doc, "units", keep);
    json_object_set_new(doc, "provisional", json_boolean(rel == 0));
    json_object_set_new(doc, "round", json_string(round));
    c->out = doc;
    return 0;
}

static int county_view(struct ctx *c)
{
    const char *round = c->names[0], *cs = ctx_query(c, "county");
    struct access_target t;
    struct error e;
    char *snap = NULL;
    int number = 0, county;
    json_t *doc, *probs, *figs, *rows, *v;
    size_t i;
    if (!cs || (county = atoi(cs)) < 100000 || county > 999999)
        return ctx_error(c, 422, "invalid", "须指定县代码 county", "the query needs county=CODE (6 digits)",
                         "county");
    if (access_release_latest(c->s, round, &number, &snap, &e)) return ctx_fail(c, &e);
    t.round = round, t.county = county, t.released = number > 0, t.sent = 1;
    if (ctx_allow(c, RS_COUNTY_VIEW, AA_READ, &t, NULL)) {
        mem_free(snap);
        return -1;
    }
    doc = snap ? json_loads(snap, 0, NULL) : NULL;
    mem_free(snap);
    if (!doc) return ctx_error(c, 500, "internal", "服务器内部错误", "the release cannot be read", NULL);
    probs = json_array();
    json_array_foreach(json_object_get(doc, "confirmed_problems"), i, v)
    {
        if (json_integer_value(json_object_get(v, "county")) == county) json_array_append(probs, v);
    }
    /* the county's own figures: the rows of the estimates that name it */
    figs = json_array();
    rows = json_object_get(json_object_get(doc, "figures"), "units");
    json_array_foreach(rows, i, v)
    {
        if (json_integer_value(json_object_get(v, "code")) == county) json_array_append(figs, v);
    }
    c->out = json_pack("{s:s, s:i, s:i, s:o, s:o, s:o}", "round", round, "release", number,
                       "county", county, "figures", figs, "confirmed_problems", probs,
                       "shareable_evidence", json_array());
    json_decref(doc);
    return 0;
}

/* The county liaison's self-evaluation report (seed 002 六(二): 于12月10日前报送): the library
 * stores the file as evidence and records the day it arrived — today, the server's — so the
 * county cannot date it itself. */
static int self_evaluation(struct ctx *c)
{
    const char *round = c->names[0], *cs = ctx_query(c, "county"), *name = ctx_query(c, "name");
    struct access_target t;
    struct strbuf named = STRBUF_INIT;
    struct error e;
    char sha[65], day[16];
    int county, rel = 0, late = 0, today = date_today(), rc;
    if (!cs || (county = atoi(cs)) < 100000 || county > 999999)
        return ctx_error(c, 422, "invalid", "须指定县代码 county", "the query needs county=CODE (6 digits)",
                         "county");
    if (!server_name_ok(name, 100))
        return ctx_error(c, 422, "invalid", "文件名不合法（不得含路径）",
                         "name: a file name without folders, 1-100 bytes", "name");
    if (c->upload_size == 0) return ctx_error(c, 422, "invalid", "文件为空", "the upload is empty", "body");
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    t.round = round, t.county = county, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_REPORTS, AA_WRITE, &t, NULL)) return -1;
    sb_addf(&named, "%s/%s", c->upload_dir, name);
    if (sb_ok(&named) || link(c->upload_path, named.buf)) {
        sb_release(&named);
        return ctx_error(c, 500, "internal", "服务器内部错误", "cannot keep the upload", NULL);
    }
    rc = report_self_evaluation_add(c->s, round, county, today, 0, named.buf, sha, &late, &e);
    unlink(named.buf);
    sb_release(&named);
    if (rc) return ctx_fail(c, &e);
    snprintf(day, sizeof day, "%04d-%02d-%02d", today / 10000, today / 100 % 100, today % 100);
    c->status = 201;
    c->out = json_pack("{s:s, s:i, s:s, s:s, s:s, s:i}", "round", round, "county", county, "name",
                       name, "sha256", sha, "arrived", day, "days_late", late);
    return 0;
}

static const struct route routes[] = {
    {"GET", "/api/rounds", rounds, 0},
    {"GET", "/api/rounds/*/figures", figures, 0},
    {"POST", "/api/rounds/*/releases", release_create, 0},
    {"GET", "/api/rounds/*/county-view", county_view, 0},
    {"POST", "/api/rounds/*/self-evaluation", self_evaluation, RT_UPLOAD},
};

const struct route *server_rounds_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
