/*
 * synthesis.c — the county synthesis (综合研判, seed 000; docs/problems.md "County synthesis"):
 * "抽查工作组按照定性和定量相结合,数据分析和实地调查相结合,第三方评估与暗访、部门平时掌握情况相结合的原则,综合研判
 * 提出最终的贫困县抽查结果". Per county of a round it puts side by side the third-party
 * indicators (estimate/), the covert-visit findings (problems with source `covert`), the
 * departments' information (the latest comparison run's flags per rule for the county, and how
 * many of them the office raised as problems), and records the office's final judgment with its
 * reasons.
 *
 * Invariants: a judgment is appended, never updated — each record is a new version
 * (synthesis_judgments, schema v8) with actor, role and time, in one audited insert; only the
 * office records one (the server will enforce the role; the rule lives here); show reads only.
 */
#include "problem_int.h"
#include "../estimate/estimate.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The county's name if the registry has it and the round drew it (any stage), else ERR_NOTFOUND. */
static int county_of_round(struct store *s, int64_t sample, int county, char *name, size_t size,
                           struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s,
                           "SELECT c.name FROM counties c WHERE c.code = ?2 AND EXISTS (SELECT 1"
                           " FROM sample_units u WHERE u.sample = ?1 AND u.county = ?2)",
                           &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, sample);
    stmt_bind_int(st, 2, county);
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) snprintf(name, size, "%s", stmt_text(st, 0)), rc = 0;
    else if (rc == STORE_DONE)
        rc = error_set(e, ERR_NOTFOUND, "county %d is not a county of the round", county);
    stmt_finalize(st);
    return rc;
}

int synthesis_record(struct store *s, const char *round, int county, const char *judgment,
                     const char *reason, enum problem_role role, const char *actor,
                     int64_t *version, struct error *e)
{
    struct audit_writer w;
    int64_t sample = 0, prev = 0;
    int rc, in_tx = 0, w_open = 0;
    char name[64], at[32];
    time_t t = time(NULL);
    struct tm tm;
    if (role != PR_OFFICE)
        return error_set(e, ERR_INVALID,
                         "the county synthesis' final judgment is the office's (--as office), not "
                         "the %s's: 综合研判提出最终的贫困县抽查结果 (seed 000)",
                         problem_role_name(role));
    if (!judgment || !*judgment)
        return error_set(e, ERR_INVALID, "a judgment needs its text (--judgment)");
    if (!reason || !*reason)
        return error_set(e, ERR_INVALID, "a judgment states its reasons (--reason)");
    rc = store_begin(s, e);
    if (rc) return rc;
    in_tx = 1;
    rc = problem_round_sample(s, round, &sample, e);
    if (!rc) rc = county_of_round(s, sample, county, name, sizeof name, e);
    if (rc) goto out;
    {
        struct stmt *st = NULL;
        rc = store_prepare(s,
                           "SELECT max(version) FROM synthesis_judgments WHERE sample = ? AND"
                           " county = ?",
                           &st, e);
        if (!rc) {
            stmt_bind_int(st, 1, sample);
            stmt_bind_int(st, 2, county);
            rc = stmt_step(st, e);
            if (rc == STORE_ROW) prev = stmt_int(st, 0), rc = 0;
        }
        stmt_finalize(st);
        if (rc) goto out;
    }
    gmtime_r(&t, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    rc = audit_writer_begin(&w, s, "synthesis_judgments",
                            "sample, county, version, judgment, reason, actor, role, at", e);
    if (rc) goto out;
    w_open = 1;
    if (!actor) actor = audit_actor();
    w.v[1] = rv_int(sample);
    w.v[2] = rv_int(county);
    w.v[3] = rv_int(prev + 1);
    w.v[4] = rv_text(judgment, strlen(judgment));
    w.v[5] = rv_text(reason, strlen(reason));
    w.v[6] = rv_text(actor, strlen(actor));
    w.v[7] = rv_text(problem_role_name(role), strlen(problem_role_name(role)));
    w.v[8] = rv_text(at, strlen(at));
    rc = audit_writer_row(&w, e);
    if (rc) goto out;
    w_open = 0;
    rc = problem_county_commit(&w, "synthesis record", round, county, e, "{s:s, s:i, s:I}", "round",
                               round, "county", county, "version", (json_int_t)(prev + 1));
    if (rc) goto out;
    in_tx = 0;
    rc = store_commit(s, e);
    if (!rc) *version = prev + 1;
out:
    if (w_open) audit_writer_abort(&w);
    if (in_tx) store_rollback(s);
    return rc;
}

static void pct(FILE *f, double x)
{
    fprintf(f, "%6.2f%%", 100 * x);
}

/* 第三方评估: the county's indicators, if the round estimated it. */
static void show_indicators(struct store *s, const char *round, int county, FILE *f)
{
    struct estimates x;
    struct error e;
    const struct unit_est *u = NULL;
    memset(&x, 0, sizeof x);
    fprintf(f, "\n一、第三方评估 Third-party assessment (indicators, 95%% intervals)\n");
    if (estimate_sample(s, round, "county", &x, &e)) {
        fprintf(f, "  (no estimate: %s)\n", e.msg);
        estimates_release(&x);
        return;
    }
    for (size_t i = 0; i < x.n; i++)
        if (x.u[i].code == county) u = &x.u[i];
    if (!u) {
        fprintf(f, "  (the round surveyed no household of this county: none — a county visited "
                   "covertly has only the covert findings)\n");
        estimates_release(&x);
        return;
    }
    for (int k = 0; k < IND_COUNT; k++) {
        const struct est *es = &u->ind[k];
        const struct verdict *v = &u->v[k];
        fprintf(f, "  %-14s ", indicator_zh((enum indicator)k));
        if (!es->valid) {
            fprintf(f, "(no denominator)\n");
            continue;
        }
        pct(f, es->estimate);
        fprintf(f, " [");
        pct(f, es->lower);
        fprintf(f, ", ");
        pct(f, es->upper);
        fprintf(f, "]  n %lld", (long long)es->n);
        if (v->applicable)
            fprintf(f, "  %s %s: %s / %s", plan_op_text(v->op), v->words,
                    v->official ? "达标 meets" : "未达标 fails", interval_verdict_zh(v->interval));
        if (u->has_reported[k]) {
            fprintf(f, "  reported 上报 ");
            pct(f, u->reported[k]);
            if (u->reported_outside[k]) fprintf(f, " (outside the interval 超出区间)");
        }
        fputc('\n', f);
    }
    fprintf(f, "  response 应答率 %.1f%% (%lld of the households selected reached)\n",
            100 * u->response, (long long)u->reached);
    estimates_release(&x);
}

/* 暗访: problems of the county with source covert. */
static int show_covert(struct store *s, int64_t sample, int county, FILE *f, struct error *e)
{
    struct stmt *st = NULL;
    int rc, covert_unit = 0;
    int64_t n = 0;
    rc = store_prepare(s,
                       "SELECT count(*) FROM sample_units WHERE sample = ? AND county = ? AND"
                       " stage = 'covert'",
                       &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, sample);
    stmt_bind_int(st, 2, county);
    if ((rc = stmt_step(st, e)) == STORE_ROW) covert_unit = stmt_int(st, 0) > 0;
    stmt_finalize(st);
    if (rc < 0) return rc;
    fprintf(f, "\n二、暗访 Covert visits%s\n",
            covert_unit ? " (the county was drawn for a covert visit 暗访县)" : "");
    rc = store_prepare(s,
                       "SELECT p.row_no, p.unit, p.kind, p.found_on, coalesce((SELECT m.to_state"
                       " FROM problem_moves m WHERE m.problem = p.row_no ORDER BY m.row_no DESC"
                       " LIMIT 1), p.status), p.description FROM problems p WHERE p.sample = ? AND"
                       " p.county = ? AND p.source = 'covert' ORDER BY p.row_no",
                       &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, sample);
    stmt_bind_int(st, 2, county);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        int ps = problem_state_parse(stmt_text(st, 4));
        fprintf(f, "  problem %lld  %s  %s  found %s  %s (%s)  %s\n", (long long)stmt_int(st, 0),
                stmt_text(st, 1), stmt_text(st, 2), stmt_text(st, 3),
                ps >= 0 ? problem_state_label((enum problem_state)ps) : "?", stmt_text(st, 4),
                stmt_text(st, 5));
        n++;
    }
    stmt_finalize(st);
    if (rc < 0) return rc;
    fprintf(f, "  %lld covert-visit finding(s)\n", (long long)n);
    return 0;
}

/* 部门平时掌握情况: the latest comparison run's flags of the county per rule, and how many the
 * office raised as problems of the round. */
static int show_departments(struct store *s, int64_t sample, int county, FILE *f,
                            struct error *e)
{
    struct stmt *st = NULL;
    int64_t run = 0, n = 0;
    int rc = store_query_int(s, "SELECT max(row_no) FROM compare_runs", 0, &run, e);
    if (rc) return rc;
    fprintf(f, "\n三、部门掌握情况 Departments' information (comparison");
    if (!run) {
        fprintf(f, ")\n  (no comparison run in the store)\n");
        return 0;
    }
    fprintf(f, " run %lld: flags per rule)\n", (long long)run);
    rc = store_prepare(s,
                       "SELECT f.rule, f.severity, count(*), (SELECT count(*) FROM problems p WHERE"
                       " p.sample = ?3 AND p.county = ?2 AND p.source = 'comparison' AND p.rule ="
                       " f.rule) FROM compare_flags f WHERE f.run = ?1 AND f.county = ?2 GROUP BY"
                       " f.rule, f.severity ORDER BY f.rule",
                       &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, run);
    stmt_bind_int(st, 2, county);
    stmt_bind_int(st, 3, sample);
    fprintf(f, "  %-28s %-10s %8s %8s\n", "rule 规则", "severity", "flags", "raised");
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        fprintf(f, "  %-28s %-10s %8lld %8lld\n", stmt_text(st, 0), stmt_text(st, 1),
                (long long)stmt_int(st, 2), (long long)stmt_int(st, 3));
        n += stmt_int(st, 2);
    }
    stmt_finalize(st);
    if (rc < 0) return rc;
    fprintf(f, "  %lld flag(s) in the county; raised: the office's decision per rule (problems "
               "raise)\n",
            (long long)n);
    return 0;
}

int synthesis_show(struct store *s, const char *round, int county, FILE *f, struct error *e)
{
    struct stmt *st = NULL;
    int64_t sample = 0, n = 0;
    char name[64];
    int rc = problem_round_sample(s, round, &sample, e);
    if (!rc) rc = county_of_round(s, sample, county, name, sizeof name, e);
    if (rc) return rc;
    fprintf(f, "综合研判 County synthesis — %d %s, round %s\n", county, name, round);
    fprintf(f, "第三方评估与暗访、部门平时掌握情况相结合 … 综合研判提出最终的贫困县抽查结果 (seed 000)\n");
    show_indicators(s, round, county, f);
    rc = show_covert(s, sample, county, f, e);
    if (!rc) rc = show_departments(s, sample, county, f, e);
    if (rc) return rc;
    /* the problems of the county by where they stand: what the evidence has settled */
    rc = store_prepare(s,
                       "SELECT p.source, count(*), sum(coalesce((SELECT m.to_state FROM"
                       " problem_moves m WHERE m.problem = p.row_no ORDER BY m.row_no DESC LIMIT"
                       " 1), p.status) NOT IN ('candidate', 'recorded', 'summarised',"
                       " 'sent_for_verification', 'explained', 'dismissed')), sum(coalesce((SELECT"
                       " m.to_state FROM problem_moves m WHERE m.problem = p.row_no ORDER BY"
                       " m.row_no DESC LIMIT 1), p.status) = 'dismissed') FROM problems p WHERE"
                       " p.sample = ? AND p.county = ? GROUP BY p.source ORDER BY p.source",
                       &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, sample);
    stmt_bind_int(st, 2, county);
    fprintf(f, "\n四、问题核实 Problems of the county by source (凡没有核准、核实,或证据不充分的,将不作为问题"
               "予以采信)\n  %-12s %8s %10s %10s\n",
            "source", "problems", "confirmed", "dismissed");
    while ((rc = stmt_step(st, e)) == STORE_ROW)
        fprintf(f, "  %-12s %8lld %10lld %10lld\n", stmt_text(st, 0), (long long)stmt_int(st, 1),
                (long long)stmt_int(st, 2), (long long)stmt_int(st, 3));
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) return rc;
    fprintf(f, "\n五、综合研判结论 The office's final judgment\n");
    rc = store_prepare(s,
                       "SELECT version, judgment, reason, actor, role, at FROM synthesis_judgments"
                       " WHERE sample = ? AND county = ? ORDER BY version DESC",
                       &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, sample);
    stmt_bind_int(st, 2, county);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        if (!n)
            fprintf(f, "  结论 judgment (version %lld): %s\n  理由 reasons: %s\n  by %s (%s) at %s\n",
                    (long long)stmt_int(st, 0), stmt_text(st, 1), stmt_text(st, 2),
                    stmt_text(st, 3), stmt_text(st, 4), stmt_text(st, 5));
        else
            fprintf(f, "  earlier version %lld by %s at %s: %s — %s\n", (long long)stmt_int(st, 0),
                    stmt_text(st, 3), stmt_text(st, 5), stmt_text(st, 1), stmt_text(st, 2));
        n++;
    }
    stmt_finalize(st);
    if (rc < 0) return rc;
    if (!n) fprintf(f, "  (not yet recorded: pinggu synthesis record … --as office)\n");
    return 0;
}
