/*
 * reports.c — the round's reports for download (issue 11, docs/api.md): the files `pinggu
 * report` writes (index.html, problems.html, county-C.html, report.xlsx; city-CC.html at the
 * city level, paired-C.html at the paired level), made here by the library (report.h) for
 * each request and served as attachments.
 *
 *   GET /api/rounds/R/reports              the files this user may download
 *   GET /api/rounds/R/reports/FILE[?unmasked=1]
 *
 * Invariants: a file is served only if the user may read the reports (RS_REPORTS) of every
 * county it covers — one county's page its county, a city's page its counties, the round's
 * index, problem list and workbook every county of the round. Names and resident IDs are
 * masked unless ?unmasked=1, which also needs RS_PERSONAL (the office); such a read is written
 * to the change log (who: the session's user, what: round and file, when: the entry's time,
 * from which address) before the file is made. Nothing of a made report stays on disk: it is
 * written to a private temporary folder, opened, and the folder removed.
 */
#include "server_int.h"
#include "../report/report.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The level a file belongs to and the unit it names (0 for the round-wide files); -1 if the
 * name is not one of a report's files. */
static int file_level(const char *f, enum report_level *level, int *unit)
{
    const char *p;
    char *end;
    long v;
    *unit = 0;
    *level = RL_COUNTY;
    if (!strcmp(f, "index.html") || !strcmp(f, "problems.html") || !strcmp(f, "report.xlsx"))
        return 0;
    if (!strncmp(f, "county-", 7)) p = f + 7, *level = RL_COUNTY;
    else if (!strncmp(f, "city-", 5)) p = f + 5, *level = RL_CITY;
    else if (!strncmp(f, "paired-", 7)) p = f + 7, *level = RL_PAIRED;
    else return -1;
    v = strtol(p, &end, 10);
    if (strcmp(end, ".html") || end == p) return -1;
    if (*level == RL_CITY ? (v < 1000 || v > 9999) : (v < 100000 || v > 999999)) return -1;
    *unit = (int)v;
    return 0;
}

/* Does the file cover county `code`? */
static int covers(enum report_level level, int unit, int code)
{
    if (!unit) return 1;
    return level == RL_CITY ? code / 100 == unit : code == unit;
}

/* 0 if the user may read the file for every county it covers (and it covers one at least),
 * else the refusal answered. */
static int allow_file(struct ctx *c, const struct report *r, enum report_level level, int unit,
                      int released, enum access_resource res)
{
    size_t n = 0;
    for (size_t i = 0; i < r->ncounties; i++) {
        const struct report_county *k = &r->counties[i];
        struct access_target t;
        if (!covers(level, unit, k->est.code)) continue;
        if (level == RL_PAIRED && !k->paired_with) continue;
        t.round = r->sample, t.county = k->est.code, t.released = released, t.sent = 0;
        if (ctx_allow(c, res, AA_READ, &t, NULL)) return -1;
        n++;
    }
    if (!n) return ctx_error(c, 404, "not_found", "无此报告文件", "no such report file", NULL);
    return 0;
}

static int note_unmasked(struct ctx *c, const char *round, const char *file, struct error *e)
{
    json_t *d = json_pack("{s:b, s:s, s:s, s:s}", "unmasked", 1, "file", file, "via", "api",
                          "addr", c->addr);
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    int rc;
    json_decref(d);
    if (!text) return error_set(e, ERR_NOMEM, "out of memory");
    rc = store_begin(c->s, e);
    if (!rc) rc = audit_note(c->s, "report download", "samples", round, text, e);
    if (!rc) rc = store_commit(c->s, e);
    else if (store_in_transaction(c->s)) store_rollback(c->s);
    free(text);
    return rc;
}

static int report_get(struct ctx *c)
{
    const char *round = c->names[0], *file = c->names[1], *um = ctx_query(c, "unmasked");
    struct report *r = NULL;
    struct access_target t;
    struct error e;
    enum report_level level;
    int unit, rel = 0, unmasked = um && !strcmp(um, "1"), rc = -1;
    char dir[200], path[460];
    dir[0] = '\0';
    if (file_level(file, &level, &unit))
        return ctx_error(c, 404, "not_found", "无此报告文件", "no such report file", "file");
    if (access_round_exists(c->s, round, &e) || access_round_released(c->s, round, &rel, &e))
        return ctx_fail(c, &e);
    /* the round at all, before anything is gathered */
    t.round = round, t.county = 0, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_REPORTS, AA_READ, &t, NULL)) return -1;
    if (unmasked && ctx_allow(c, RS_PERSONAL, AA_READ, &t, NULL)) return -1;
    if (tmpdir_make(dir, sizeof dir, "pinggu-report")) {
        ctx_error(c, 503, "unavailable", "服务暂不可用", "no space for reports", NULL);
        goto out;
    }
    if (report_gather(c->s, round, dir, unmasked, &r, &e)) {
        ctx_fail(c, &e);
        goto out;
    }
    r->level = level;
    if (allow_file(c, r, level, unit, rel > 0, RS_REPORTS)) goto out;
    if (unmasked && allow_file(c, r, level, unit, rel > 0, RS_PERSONAL)) goto out;
    /* logged before the file is made: an attempt that fails is still on record */
    if (unmasked && note_unmasked(c, round, file, &e)) {
        ctx_fail(c, &e);
        goto out;
    }
    if (report_emit(r, dir, NULL, &e)) {
        ctx_fail(c, &e);
        goto out;
    }
    snprintf(path, sizeof path, "%s/%s", dir, file);
    {
        char name[128];
        snprintf(name, sizeof name, "%s-%s%s", round, unmasked ? "unmasked-" : "", file);
        if (ctx_send_file(c, path,
                          level == RL_COUNTY && !strcmp(file, "report.xlsx")
                              ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                              : "text/html; charset=utf-8",
                          name)) {
            ctx_error(c, 404, "not_found", "无此报告文件", "no such report file in this round", "file");
            goto out;
        }
    }
    rc = 0;
out:
    if (dir[0]) tmpdir_remove(dir);
    if (r) report_free(r);
    return rc;
}

/* The files of the round this user may download (masked), each with its counties. */
static int report_list(struct ctx *c)
{
    const char *round = c->names[0];
    struct report *r = NULL;
    struct access_target t;
    struct error e;
    int rel = 0, personal;
    json_t *files;
    if (access_round_exists(c->s, round, &e) || access_round_released(c->s, round, &rel, &e))
        return ctx_fail(c, &e);
    t.round = round, t.county = 0, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_REPORTS, AA_READ, &t, NULL)) return -1;
    personal = !access_check(&c->user, RS_PERSONAL, AA_READ, &t, NULL, NULL);
    if (report_gather(c->s, round, NULL, 0, &r, &e)) return ctx_fail(c, &e);
    files = json_array();
    {
        /* the round-wide files need every county */
        int all = 1;
        for (size_t i = 0; i < r->ncounties && all; i++) {
            t.county = r->counties[i].est.code;
            all = !access_check(&c->user, RS_REPORTS, AA_READ, &t, NULL, NULL);
        }
        if (all && r->ncounties) {
            const char *wide[] = {"index.html", "problems.html", "report.xlsx"};
            for (size_t k = 0; k < 3; k++)
                json_array_append_new(files, json_pack("{s:s, s:s}", "file", wide[k], "level",
                                                       "round"));
        }
    }
    for (size_t i = 0; i < r->ncounties; i++) {
        const struct report_county *k = &r->counties[i];
        char name[64];
        t.county = k->est.code;
        if (access_check(&c->user, RS_REPORTS, AA_READ, &t, NULL, NULL)) continue;
        snprintf(name, sizeof name, "county-%d.html", k->est.code);
        json_array_append_new(files, json_pack("{s:s, s:s, s:i}", "file", name, "level", "county",
                                               "county", k->est.code));
        if (k->paired_with) {
            snprintf(name, sizeof name, "paired-%d.html", k->est.code);
            json_array_append_new(files, json_pack("{s:s, s:s, s:i}", "file", name, "level",
                                                   "paired", "county", k->est.code));
        }
    }
    for (size_t i = 0; i < r->ncities; i++) {
        int all = 1, any = 0;
        char name[64];
        for (size_t j = 0; j < r->ncounties && all; j++) {
            if (r->counties[j].est.code / 100 != r->cities[i].code) continue;
            t.county = r->counties[j].est.code;
            any = 1;
            all = !access_check(&c->user, RS_REPORTS, AA_READ, &t, NULL, NULL);
        }
        if (!all || !any) continue;
        snprintf(name, sizeof name, "city-%d.html", r->cities[i].code);
        json_array_append_new(files, json_pack("{s:s, s:s, s:i}", "file", name, "level", "city",
                                               "city", r->cities[i].code));
    }
    c->out = json_pack("{s:s, s:b, s:b, s:o}", "round", round, "provisional", rel == 0,
                       "unmasked_allowed", personal, "files", files);
    report_free(r);
    return 0;
}

static const struct route routes[] = {
    {"GET", "/api/rounds/*/reports", report_list, 0},
    {"GET", "/api/rounds/*/reports/*", report_get, 0},
};

const struct route *server_reports_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
