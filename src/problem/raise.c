/*
 * raise.c — comparison flags become problem candidates only by the office's explicit decision,
 * per round, rule and county (problem.h problem_raise_flags, DESIGN §8.1).
 *
 * The flags are read through compare/'s own iterator (this stage owns no comparison table).
 * Each flag becomes a `problems` row with source 'comparison', rule = the comparison rule, unit =
 * the household (or, for a person absent from the roster, the person's resident ID, masked
 * wherever a person reads it). A (round, unit, rule) already raised is left alone, so raising
 * twice never duplicates; a household a judgment already raised gets a problem_links row to
 * that problem instead of being counted twice. The decision itself is a change-log entry naming
 * the actor, rule, county and run, in the same transaction as the rows.
 */
#include "problem_int.h"
#include "../compare/compare.h"

#include <jansson.h>
#include <string.h>

struct raise_ctx {
    struct store *s;
    struct audit_writer *w;
    struct stmt *have, *judged;
    int64_t sample;
    const char *actor, *today;
    struct problem_raise_stats *st;
    int64_t *links; /* pairs (new problem, judgment problem) */
    size_t nlinks, caplinks;
    struct error *e;
};

static int one_flag(void *vctx, const struct compare_flag *f)
{
    struct raise_ctx *c = vctx;
    const char *unit = *f->household_id ? f->household_id : f->resident;
    char desc[512];
    int rc;
    int64_t judged = 0;
    c->st->flags++;
    if (!*unit) return 0;
    stmt_reset(c->have);
    stmt_bind_int(c->have, 1, c->sample);
    stmt_bind_text(c->have, 2, unit, strlen(unit));
    stmt_bind_text(c->have, 3, f->rule, strlen(f->rule));
    rc = stmt_step(c->have, c->e);
    if (rc < 0) return rc;
    if (stmt_int(c->have, 0) > 0) {
        c->st->kept++;
        return 0;
    }
    if (*f->household_id) {
        stmt_reset(c->judged);
        stmt_bind_int(c->judged, 1, c->sample);
        stmt_bind_text(c->judged, 2, unit, strlen(unit));
        rc = stmt_step(c->judged, c->e);
        if (rc < 0) return rc;
        if (rc == STORE_ROW) judged = stmt_int(c->judged, 0);
    }
    snprintf(desc, sizeof desc,
             "大数据比对 %s（%s，%lld 条部门记录；比对运行 %lld）/ comparison flag %s (%s, %lld "
             "department records; run %lld): pinggu compare explain shows them",
             f->rule, f->kind, (long long)f->records, (long long)c->st->run, f->rule, f->kind,
             (long long)f->records, (long long)c->st->run);
    utf8_trim(desc);
    {
        int ident = !strcmp(f->kind, "missed") || !strcmp(f->kind, "exclusion");
        struct problem_row r = {c->sample, f->county, 0, unit, ident ? "identification" : "policy",
                                f->rule, desc, "comparison", "candidate", c->actor, c->today};
        rc = problem_row_write(c->w, &r, c->e);
    }
    if (rc) return rc;
    c->st->raised++;
    if (judged) {
        if (c->nlinks == c->caplinks) {
            size_t nc = c->caplinks ? c->caplinks * 2 : 32;
            int64_t *nl = mem_realloc(c->links, nc * 2 * sizeof *nl);
            if (!nl) return error_set(c->e, ERR_NOMEM, "out of memory");
            c->links = nl, c->caplinks = nc;
        }
        c->links[2 * c->nlinks] = c->w->last_row;
        c->links[2 * c->nlinks + 1] = judged;
        c->nlinks++;
        c->st->linked++;
    }
    return 0;
}

int problem_raise_flags(struct store *s, const char *round, const char *rule, int county,
                        int64_t run, const char *actor, struct problem_raise_stats *st,
                        struct error *e)
{
    struct raise_ctx c;
    struct audit_writer w;
    int rc, w_open = 0, in_tx = 0;
    char today[16], key[160], *detail = NULL;
    int d = date_today();
    memset(&c, 0, sizeof c);
    memset(st, 0, sizeof *st);
    snprintf(today, sizeof today, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
    if (!actor) actor = audit_actor();
    rc = store_begin(s, e);
    if (rc) return rc;
    in_tx = 1;
    rc = problem_round_sample(s, round, &c.sample, e);
    if (!rc)
        rc = store_prepare(s, "SELECT count(*) FROM problems WHERE sample = ? AND unit = ? AND rule = ?",
                           &c.have, e);
    if (!rc)
        rc = store_prepare(s,
                           "SELECT min(row_no) FROM problems WHERE sample = ? AND unit = ? AND"
                           " source = 'judgment' HAVING count(*) > 0",
                           &c.judged, e);
    if (!rc)
        rc = audit_writer_begin(&w, s, "problems", PROBLEM_COLUMNS, e);
    if (rc) goto out;
    w_open = 1;
    c.s = s;
    c.w = &w;
    c.actor = actor;
    c.today = today;
    c.st = st;
    c.e = e;
    rc = compare_flags_each(s, run, rule, county, one_flag, &c, &st->run, e);
    if (rc == ERR_NOTFOUND) {
        char why[sizeof e->msg];
        snprintf(why, sizeof why, "%s", e->msg);
        rc = error_set(e, ERR_INVALID, "%s", why);
    }
    if (rc) goto out;
    {
        json_t *o = json_pack("{s:s, s:s, s:i, s:I, s:I, s:I}", "round", round, "rule", rule,
                              "county", county, "run", (json_int_t)st->run, "flags",
                              (json_int_t)st->flags, "raised", (json_int_t)st->raised);
        detail = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(o);
        if (!detail) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    snprintf(key, sizeof key, "%s/%s/%d", round, rule, county);
    w_open = 0;
    rc = audit_writer_commit(&w, "problems raise", key, detail, e);
    if (!rc && c.nlinks) {
        rc = audit_writer_begin(&w, s, "problem_links", "problem, other, why", e);
        if (!rc) w_open = 1;
        for (size_t i = 0; i < c.nlinks && !rc; i++) {
            w.v[1] = rv_int(c.links[2 * i]);
            w.v[2] = rv_int(c.links[2 * i + 1]);
            w.v[3] = rv_text("same household raised by a judgment", 35);
            rc = audit_writer_row(&w, e);
        }
        if (!rc) {
            w_open = 0;
            rc = audit_writer_commit(&w, "problems raise", key, NULL, e);
        }
    }
    if (!rc) {
        in_tx = 0;
        rc = store_commit(s, e);
    }
out:
    if (w_open) audit_writer_abort(&w);
    if (in_tx) store_rollback(s);
    stmt_finalize(c.have);
    stmt_finalize(c.judged);
    mem_free(c.links);
    free(detail);
    return rc;
}
