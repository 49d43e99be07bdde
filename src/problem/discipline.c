/*
 * discipline.c — interference and discipline (DESIGN §8.2; seed 002 八(二)–(三); docs/problems.md
 * "Interference and discipline"): records of a locality's interference with the assessment (or
 * of a team's own breach of discipline) with content-hashed evidence, readable by the office and
 * the discipline supervisor only; the team's logged decision to stop fieldwork in a county; and
 * each side's discipline record per county for the round report.
 *
 * Seed 002 八(三): "考核组如发现被考核市、县(市、区)违反考核纪律,应留存证据并及时向省扶贫办报告;干扰考核评估
 * 情况严重且不及时改正的,考核组可终止实地考核。考核组和被考核地方遵守考核纪律情况将纳入各市、县(市、区)考核综合
 * 评价范围之内".
 *
 * Invariants: records and stops are appended, never updated, each an audited insert in one
 * transaction with its evidence (evidence_add_problem, problem 0, unit "interference:COUNTY");
 * who may read the records is one function (discipline_may_read), which the list calls and the
 * server will call; nothing is written on bad input.
 */
#include "problem_int.h"
#include "../survey/survey.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The kinds of each side, from 八(三)'s prohibitions. */
static const char locality_kinds[] = "coaching|following|asking_progress|other";
static const char team_kinds[] = "gifts|hospitality|leak|extra_forms|other";

int discipline_may_read(enum problem_role role)
{
    return role == PR_OFFICE || role == PR_DISCIPLINE;
}

static void fmt_day(int d, char out[16])
{
    snprintf(out, 16, "%04d-%02d-%02d", d / 10000 % 10000, d / 100 % 100, d % 100);
}

/* The round's sample row and whether it drew the county (any stage). */
static int round_county(struct store *s, const char *round, int county, int64_t *sample,
                        struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s,
                           "SELECT s.row_no, EXISTS (SELECT 1 FROM sample_units u WHERE u.sample ="
                           " s.row_no AND u.county = ?2) FROM samples s WHERE s.name = ?1",
                           &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, round, strlen(round));
    stmt_bind_int(st, 2, county);
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) {
        *sample = stmt_int(st, 0);
        rc = stmt_int(st, 1) ? 0
                             : error_set(e, ERR_NOTFOUND, "county %d is not a county of round %s",
                                         county, round);
    } else if (rc == STORE_DONE) {
        rc = error_set(e, ERR_NOTFOUND, "no round '%s' (a round is named by its sample)", round);
    }
    stmt_finalize(st);
    return rc;
}

int discipline_record(struct store *s, const struct discipline_entry *d, int64_t *id,
                      struct error *e)
{
    struct audit_writer w;
    int64_t sample = 0;
    int rc, in_tx = 0, w_open = 0, day = d->on ? d->on : date_today();
    char(*h)[65] = NULL;
    char unit[48], on[16], at[32], *ev = NULL;
    const char *side = d->side ? d->side : "locality", *actor = d->actor ? d->actor : audit_actor();
    json_t *a = NULL;

    if (strcmp(side, "locality") && strcmp(side, "team"))
        return error_set(e, ERR_INVALID, "unknown side '%s' (locality: 被考核地方; team: 考核组)", side);
    if (!d->kind || !str_in_list(d->kind, strlen(d->kind),
                                 !strcmp(side, "team") ? team_kinds : locality_kinds))
        return error_set(e, ERR_INVALID, "kind '%s' is not one of the %s side's: %s",
                         d->kind ? d->kind : "", side,
                         !strcmp(side, "team") ? team_kinds : locality_kinds);
    if (d->role == PR_COUNTY)
        return error_set(e, ERR_INVALID, "a discipline record is made by the team, the office or "
                                         "the discipline supervisor, not by the county");
    if (!d->note || !*d->note)
        return error_set(e, ERR_INVALID, "a record says what happened (--note)");
    /* 应留存证据: the locality's interference is reported with evidence */
    if (!strcmp(side, "locality") && d->nevidence < 1)
        return error_set(e, ERR_INVALID, "interference is reported with its evidence (--evidence "
                                         "FILE): 应留存证据并及时向省扶贫办报告 (seed 002 八(三))");
    if (day > date_today()) return error_set(e, ERR_INVALID, "the day cannot be in the future");
    for (size_t i = 0; i < d->nevidence; i++) { /* bad input before anything is written */
        FILE *fp = fopen(d->evidence[i], "rb");
        if (!fp) return error_set(e, ERR_INVALID, "evidence file %s cannot be read", d->evidence[i]);
        fclose(fp);
    }
    rc = store_begin(s, e);
    if (rc) return rc;
    in_tx = 1;
    rc = round_county(s, d->round, d->county, &sample, e);
    if (rc) goto out;
    snprintf(unit, sizeof unit, "interference:%d", d->county);
    if (d->nevidence) {
        h = mem_calloc(d->nevidence + 1, 65);
        if (!h) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        rc = evidence_add_problem(s, unit, 0, d->evidence, d->nevidence, h, e);
        if (rc) {
            if (rc == ERR_IO) rc = e->code = ERR_INVALID; /* an unreadable file: bad input */
            goto out;
        }
    }
    a = json_array();
    for (size_t i = 0; a && i < d->nevidence; i++) json_array_append_new(a, json_string(h[i]));
    ev = a ? json_dumps(a, JSON_COMPACT) : NULL;
    if (!ev) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    fmt_day(day, on);
    clock_iso_utc(at); /* base: PINGGU_NOW stands in for the clock */
    rc = audit_writer_begin(&w, s, "discipline_records",
                            "sample, county, side, kind, note, evidence, actor, role, on_day, at",
                            e);
    if (rc) goto out;
    w_open = 1;
#define T(x) rv_text((x), strlen(x))
    w.v[1] = rv_int(sample);
    w.v[2] = rv_int(d->county);
    w.v[3] = T(side);
    w.v[4] = T(d->kind);
    w.v[5] = T(d->note);
    w.v[6] = T(ev);
    w.v[7] = T(actor);
    w.v[8] = T(problem_role_name(d->role));
    w.v[9] = T(on);
    w.v[10] = T(at);
#undef T
    rc = audit_writer_row(&w, e);
    if (rc) goto out;
    *id = w.last_row;
    w_open = 0;
    /* the detail names no note: the change log is read more widely than the records */
    rc = problem_county_commit(&w, "discipline record", d->round, d->county, e, NULL);
    if (rc) goto out;
    in_tx = 0;
    rc = store_commit(s, e);
out:
    if (w_open) audit_writer_abort(&w);
    if (in_tx) store_rollback(s);
    json_decref(a);
    free(ev);
    mem_free(h);
    return rc;
}

int discipline_list(struct store *s, const char *round, int county, enum problem_role role,
                    FILE *f, struct error *e)
{
    struct stmt *st = NULL;
    int64_t n = 0;
    int rc;
    if (!discipline_may_read(role))
        return error_set(e, ERR_INVALID,
                         "interference records are read by the office and the discipline "
                         "supervisor only (--as office or --as discipline), not by the %s "
                         "(DESIGN §8.2)",
                         problem_role_name(role));
    rc = store_prepare(s,
                       "SELECT d.row_no, d.county, d.side, d.kind, d.on_day, d.actor, d.role,"
                       " d.note, d.evidence FROM discipline_records d JOIN samples s ON s.row_no ="
                       " d.sample WHERE s.name = ?1 AND (?2 = 0 OR d.county = ?2) ORDER BY"
                       " d.row_no",
                       &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, round, strlen(round));
    stmt_bind_int(st, 2, county);
    fprintf(f, "干扰考核与纪律 Interference and discipline records — round %s\n", round);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        fprintf(f, "%-4lld %-7lld %-9s %-16s %s  by %s (%s)  %s", (long long)stmt_int(st, 0),
                (long long)stmt_int(st, 1), stmt_text(st, 2), stmt_text(st, 3), stmt_text(st, 4),
                stmt_text(st, 5), stmt_text(st, 6), stmt_text(st, 7));
        if (strcmp(stmt_text(st, 8), "[]")) fprintf(f, "  evidence: %s", stmt_text(st, 8));
        fputc('\n', f);
        n++;
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) return rc;
    fprintf(f, "%lld record(s)\n", (long long)n);
    rc = store_prepare(s,
                       "SELECT f.county, f.on_day, f.actor, f.role, f.reason FROM fieldwork_stops f"
                       " JOIN samples s ON s.row_no = f.sample WHERE s.name = ?1 AND (?2 = 0 OR"
                       " f.county = ?2) ORDER BY f.row_no",
                       &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, round, strlen(round));
    stmt_bind_int(st, 2, county);
    while ((rc = stmt_step(st, e)) == STORE_ROW)
        fprintf(f, "终止实地考核 fieldwork stopped in county %lld on %s by %s (%s): %s\n",
                (long long)stmt_int(st, 0), stmt_text(st, 1), stmt_text(st, 2), stmt_text(st, 3),
                stmt_text(st, 4));
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int fieldwork_stop(struct store *s, const char *round, int county, const char *reason,
                   enum problem_role role, const char *actor, int on, struct error *e)
{
    struct audit_writer w;
    int64_t sample = 0, already = 0;
    int rc, in_tx = 0, w_open = 0, day = on ? on : date_today();
    char d[16], at[32];
    if (role != PR_LEADER && role != PR_OFFICE)
        return error_set(e, ERR_INVALID, "stopping fieldwork is the team leader's decision (or the "
                                         "office's): 考核组可终止实地考核 (seed 002 八(三)), not the %s's",
                         problem_role_name(role));
    if (!reason || !*reason)
        return error_set(e, ERR_INVALID, "a stop states its reason (--reason): 干扰考核评估情况严重且"
                                         "不及时改正的 (seed 002 八(三))");
    if (day > date_today()) return error_set(e, ERR_INVALID, "the day cannot be in the future");
    rc = store_begin(s, e);
    if (rc) return rc;
    in_tx = 1;
    rc = round_county(s, round, county, &sample, e);
    if (rc) goto out;
    rc = problem_count_county(s, "SELECT count(*) FROM fieldwork_stops WHERE sample = ? AND county = ?",
                              sample, county, &already, e);
    if (rc) goto out;
    if (already) {
        rc = error_set(e, ERR_INVALID, "fieldwork in county %d is already stopped", county);
        goto out;
    }
    fmt_day(day, d);
    clock_iso_utc(at);
    rc = audit_writer_begin(&w, s, "fieldwork_stops",
                            "sample, county, reason, actor, role, on_day, at", e);
    if (rc) goto out;
    w_open = 1;
    if (!actor) actor = audit_actor();
    w.v[1] = rv_int(sample);
    w.v[2] = rv_int(county);
    w.v[3] = rv_text(reason, strlen(reason));
    w.v[4] = rv_text(actor, strlen(actor));
    w.v[5] = rv_text(problem_role_name(role), strlen(problem_role_name(role)));
    w.v[6] = rv_text(d, strlen(d));
    w.v[7] = rv_text(at, strlen(at));
    rc = audit_writer_row(&w, e);
    if (rc) goto out;
    w_open = 0;
    rc = problem_county_commit(&w, "fieldwork stop", round, county, e, NULL);
    if (rc) goto out;
    in_tx = 0;
    rc = store_commit(s, e);
out:
    if (w_open) audit_writer_abort(&w);
    if (in_tx) store_rollback(s);
    return rc;
}

void discipline_summary_free(struct discipline_county *v)
{
    mem_free(v);
}

int discipline_summary(struct store *s, const char *round, struct discipline_county **out,
                       size_t *n, struct error *e)
{
    struct stmt *st = NULL;
    struct discipline_county *v = NULL;
    size_t nv = 0, cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    /* a store from before these tables has no records */
    if (store_prepare(s,
                      "SELECT c.county, (SELECT count(*) FROM discipline_records d WHERE d.sample ="
                      " c.sample AND d.county = c.county AND d.side = 'locality'), (SELECT"
                      " count(*) FROM discipline_records d WHERE d.sample = c.sample AND d.county ="
                      " c.county AND d.side = 'team'), (SELECT on_day || ' ' || reason FROM"
                      " fieldwork_stops f WHERE f.sample = c.sample AND f.county = c.county)"
                      " FROM (SELECT sample, county FROM discipline_records UNION SELECT sample,"
                      " county FROM fieldwork_stops) c JOIN samples s ON s.row_no = c.sample"
                      " WHERE s.name = ? ORDER BY c.county",
                      &st, NULL))
        return 0;
    stmt_bind_text(st, 1, round, strlen(round));
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct discipline_county *d;
        if (nv == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct discipline_county *nvp = mem_realloc(v, nc * sizeof *nvp);
            if (!nvp) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            v = nvp, cap = nc;
        }
        d = &v[nv++];
        memset(d, 0, sizeof *d);
        d->county = (int)stmt_int(st, 0);
        d->locality = stmt_int(st, 1);
        d->team = stmt_int(st, 2);
        d->stopped = stmt_type(st, 3) != STORE_NULL;
        snprintf(d->stop, sizeof d->stop, "%s", stmt_text(st, 3));
    }
    stmt_finalize(st);
    if (rc < 0) {
        mem_free(v);
        return rc;
    }
    *out = v;
    *n = nv;
    return 0;
}

int fieldwork_stops_warn(struct store *s, const char *round, FILE *f, struct error *e)
{
    struct discipline_county *v = NULL;
    struct stmt *st = NULL;
    size_t n = 0;
    int rc = discipline_summary(s, round, &v, &n, e);
    if (rc) return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        int64_t q = 0;
        if (!v[i].stopped) continue;
        if (!st)
            rc = store_prepare(s,
                               "SELECT count(*) FROM questionnaires q JOIN samples s ON s.row_no ="
                               " q.sample WHERE s.name = ? AND q.county = ?",
                               &st, e);
        if (rc) break;
        stmt_reset(st);
        stmt_bind_text(st, 1, round, strlen(round));
        stmt_bind_int(st, 2, v[i].county);
        rc = stmt_step(st, e);
        if (rc == STORE_ROW) q = stmt_int(st, 0), rc = 0;
        if (rc) break;
        fprintf(f, "warning: fieldwork in county %d was stopped (%s; 考核组终止实地考核): %lld "
                   "questionnaire(s) of it are stored, whether they count is the office's decision\n",
                v[i].county, v[i].stop, (long long)q);
    }
    stmt_finalize(st);
    discipline_summary_free(v);
    return rc < 0 ? rc : 0;
}

int discipline_section_html(struct store *s, const char *round, struct strbuf *sb,
                            struct error *e)
{
    struct discipline_county *v = NULL;
    size_t n = 0;
    int rc = discipline_summary(s, round, &v, &n, e);
    if (rc) return rc;
    sb_adds(sb, "<h2>考核纪律 Discipline (seed 002 八(三))</h2>\n<p>考核组和被考核地方遵守考核纪律情况将纳入"
                "各市、县(市、区)考核综合评价范围之内。Each side's record: the locality's "
                "interference and the team's own breaches (counts; the records are the office's "
                "and the discipline supervisor's).</p>\n");
    if (!n) {
        sb_adds(sb, "<p>无记录 No interference, breach or stop was recorded.</p>\n");
    } else {
        sb_adds(sb, "<table>\n<tr><th>县 County</th><th>地方干扰 Locality interference</th>"
                    "<th>考核组违纪 Team breaches</th><th>终止实地考核 Fieldwork stopped</th></tr>\n");
        for (size_t i = 0; i < n; i++) {
            sb_addf(sb, "<tr><td>%d</td><td>%lld</td><td>%lld</td><td>", v[i].county,
                    (long long)v[i].locality, (long long)v[i].team);
            if (v[i].stopped) sb_add_html(sb, v[i].stop);
            else sb_adds(sb, "—");
            sb_adds(sb, "</td></tr>\n");
        }
        sb_adds(sb, "</table>\n");
    }
    discipline_summary_free(v);
    return sb_ok(sb) ? error_set(e, ERR_NOMEM, "out of memory") : 0;
}
