/*
 * judge.c — judging a sample's questionnaires and storing the results (judge.h).
 *
 * judge_sample reads every complete questionnaire of the sample with its answers, the
 * registry's facts about the unit (as of now: they are copied into each judgment's detail, so
 * a later registry import does not change what a judgment says it was based on), applies the
 * rules of rules.c, and stores in one transaction: one `judgments` row per rule per unit
 * (outcome, value, and as detail the bound and the deciding answers) and a `problems` row per
 * problem candidate. An earlier judging of the same sample is replaced: its judgment batches
 * are retired in the change log, its candidates that nobody has taken up yet are superseded
 * (kept readable there).
 *
 * Invariant: judgments of a sample are a pure function of its questionnaires, the registry
 * facts recorded with them, and its plan.
 */
#include "judge.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The answers of one questionnaire: top-level name -> value, and the member count. */
struct qanswers {
    const char **names, **values;
    size_t n, cap;
    long members;
    struct arena arena;
};

static const char *qa_get(void *ctx, const char *name)
{
    struct qanswers *q = ctx;
    for (size_t i = 0; i < q->n; i++)
        if (!strcmp(q->names[i], name)) return q->values[i];
    return NULL;
}

static long qa_instances(void *ctx, const char *repeat)
{
    (void)repeat;
    return ((struct qanswers *)ctx)->members;
}

static int qa_add(struct qanswers *q, const char *name, const char *value)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 128;
        const char **a = mem_realloc(q->names, cap * sizeof *a), **b;
        if (!a) return ERR_NOMEM;
        q->names = a;
        b = mem_realloc(q->values, cap * sizeof *b);
        if (!b) return ERR_NOMEM;
        q->values = b;
        q->cap = cap;
    }
    q->names[q->n] = arena_strdup(&q->arena, name);
    q->values[q->n] = arena_strdup(&q->arena, value);
    if (!q->names[q->n] || !q->values[q->n]) return ERR_NOMEM;
    q->n++;
    return 0;
}

static const char *outcome_text(enum judge_outcome o)
{
    return o == JUDGE_PASS ? "pass" : o == JUDGE_FAIL ? "fail" : "na";
}

/* A problem candidate raised by a failing rule, or NULL. kind follows DESIGN §8. */
static const char *problem_kind(const char *rule)
{
    if (!strcmp(rule, "wrong_exit") || !strncmp(rule, "case", 4) ||
        !strcmp(rule, "village.exit"))
        return "exit";
    if (!strcmp(rule, "missed") || !strcmp(rule, "four_kinds")) return "identification";
    if (!strncmp(rule, "data.", 5)) return "data_quality";
    return NULL;
}

static void describe(const struct jrule *j, const struct jresult *r, struct strbuf *sb)
{
    if (!strcmp(j->rule, "wrong_exit")) {
        sb_adds(sb, "错退：脱贫户未达到脱贫标准（");
        for (int i = 0; i < r->n; i++)
            if (!strncmp(r->r[i].rule, "exit.", 5) && strcmp(r->r[i].rule, "exit.standard") &&
                r->r[i].outcome == JUDGE_FAIL)
                sb_addf(sb, "%s %s；", r->r[i].rule + 5, r->r[i].value);
        sb_adds(sb, "）/ wrong exit: the exited household fails the exit standard");
    } else if (!strcmp(j->rule, "missed")) {
        sb_adds(sb, "漏评：一般农户符合贫困标准（");
        for (int i = 0; i < r->n; i++)
            if (!strncmp(r->r[i].rule, "missed.", 7) && r->r[i].outcome == JUDGE_FAIL &&
                strcmp(r->r[i].rule, "missed.team_disagrees"))
                sb_addf(sb, "%s %s；", r->r[i].rule + 7, r->r[i].value);
        sb_adds(sb, "）/ missed: a general household meets the poverty standard");
    } else if (!strcmp(j->rule, "four_kinds")) {
        sb_addf(sb, "疑似错评：%s（四类人员）/ possible wrong identification: %s", j->answers,
                j->answers);
    } else if (!strcmp(j->rule, "village.exit")) {
        sb_adds(sb, "贫困村退出指标未达标：");
        for (int i = 0; i < r->n; i++)
            if (!strncmp(r->r[i].rule, "village.", 8) && strcmp(r->r[i].rule, "village.exit") &&
                r->r[i].outcome == JUDGE_FAIL)
                sb_addf(sb, "%s %s（%s）；", r->r[i].rule + 8, r->r[i].value, r->r[i].bound);
        sb_adds(sb, " / the village fails items of the exit standard");
    } else if (!strncmp(j->rule, "case", 4)) {
        sb_addf(sb, "不得退出情形 %s：%s（%s）/ a no-exit case (seed 001)", j->rule, j->value,
                j->bound);
    } else {
        sb_addf(sb, "建档立卡数据质量 %s：%s，%s / registry data quality", j->rule + 5, j->value,
                j->bound);
    }
}

struct registry_q {
    struct stmt *hh, *county;
};

static int registry_facts(struct registry_q *q, const char *id, int county, struct jregistry *r,
                          struct error *e)
{
    int rc;
    memset(r, 0, sizeof *r);
    r->income = -1;
    stmt_reset(q->hh);
    stmt_bind_text(q->hh, 1, id, strlen(id));
    rc = stmt_step(q->hh, e);
    if (rc == STORE_ROW) {
        r->registered = (int)stmt_int(q->hh, 0);
        r->identified_year = (int)stmt_int(q->hh, 1);
        r->exit_year = (int)stmt_int(q->hh, 2);
        r->returned = (int)stmt_int(q->hh, 3);
        r->allowance = (int)stmt_int(q->hh, 4);
        r->income = stmt_type(q->hh, 5) == STORE_NULL ? -1 : stmt_double(q->hh, 5);
        r->persons = (int)stmt_int(q->hh, 6);
    } else if (rc < 0) {
        return rc;
    }
    stmt_reset(q->county);
    stmt_bind_int(q->county, 1, county);
    if (stmt_step(q->county, e) == STORE_ROW) r->allowance_standard = stmt_double(q->county, 0);
    return 0;
}

static char *detail_json(struct jrule *j, const struct jregistry *reg, int household)
{
    json_t *d;
    utf8_trim(j->value);
    utf8_trim(j->bound);
    utf8_trim(j->answers);
    d = json_pack("{s:s, s:s}", "bound", j->bound, "answers", j->answers);
    if (!d) return NULL;
    char *out;
    if (household && reg)
        json_object_set_new(d, "registry",
                            json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:f}", "registered",
                                      reg->registered, "identified_year", reg->identified_year,
                                      "exit_year", reg->exit_year, "returned", reg->returned,
                                      "allowance", reg->allowance, "persons", reg->persons,
                                      "income", reg->income, "allowance_standard",
                                      reg->allowance_standard));
    out = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    return out;
}

int judge_sample(struct store *s, const char *sample, struct judge_stats *st, struct error *e)
{
    struct plan p;
    int64_t srow;
    struct stmt *qs = NULL, *as = NULL;
    struct registry_q rq = {NULL, NULL};
    struct audit_writer wj, wp;
    struct jparams jp;
    struct qanswers qa;
    int rc, wj_open = 0, wp_open = 0;
    char today[16];
    {
        int d = date_today();
        snprintf(today, sizeof today, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
    }
    memset(st, 0, sizeof *st);
    memset(&qa, 0, sizeof qa);
    arena_init(&qa.arena, 1 << 14);
    rc = sample_plan(s, sample, &p, NULL, 0, &srow, e);
    if (rc) return rc;
    jp.year = p.year;
    jp.line = p.line;
    jp.plan = &p;
    rc = store_prepare(s, "SELECT row_no, unit, unit_kind, form, county, village FROM"
                          " questionnaires WHERE sample = ? AND status = 'complete' ORDER BY"
                          " row_no",
                       &qs, e);
    if (!rc)
        rc = store_prepare(s, "SELECT name, instance, value FROM answers WHERE questionnaire = ?",
                           &as, e);
    if (!rc)
        rc = store_prepare(s, "SELECT h.registered, coalesce(h.identified_year, 0),"
                              " coalesce(h.exit_year, 0), h.returned, h.allowance, h.income,"
                              " (SELECT count(*) FROM members m WHERE m.household = h.row_no)"
                              " FROM households h WHERE h.household_id = ?",
                           &rq.hh, e);
    if (!rc)
        rc = store_prepare(s, "SELECT allowance_standard FROM counties WHERE code = ?", &rq.county,
                           e);
    if (rc) goto out;
    rc = store_begin(s, e);
    if (rc) goto out;
    /* replace an earlier judging of this sample */
    rc = audit_writer_begin(&wj, s, "judgments",
                            "sample, unit, unit_kind, county, village, rule, outcome, value, detail",
                            e);
    if (rc) goto fail;
    wj_open = 1;
    rc = audit_batch_retire_key(&wj.batch, sample, e);
    if (!rc) {
        char del[96];
        snprintf(del, sizeof del, "DELETE FROM judgments WHERE sample = %lld", (long long)srow);
        rc = store_exec(s, del, e);
    }
    if (rc) goto fail;
    stmt_bind_int(qs, 1, srow);
    {
        /* judgments first, collecting the candidates; problems in a second batch */
        struct cand {
            int county;
            int64_t village;
            char unit[48], kind[20], rule[32];
            char *text; /* owned */
        } *cands = NULL;
        size_t ncand = 0, capcand = 0;
        while ((rc = stmt_step(qs, e)) == STORE_ROW) {
            int64_t qrow = stmt_int(qs, 0);
            char unit[48], kind[16], form[64];
            int county = (int)stmt_int(qs, 4), household;
            int64_t village = stmt_int(qs, 5);
            struct jresult r;
            struct jregistry reg;
            struct janswers ja = {&qa, qa_get, qa_instances};
            snprintf(unit, sizeof unit, "%s", stmt_text(qs, 1));
            snprintf(kind, sizeof kind, "%s", stmt_text(qs, 2));
            snprintf(form, sizeof form, "%s", stmt_text(qs, 3));
            household = !strcmp(kind, "household");
            /* the village exit check only; interviews (village, township) are not judged */
            if (!household && (strcmp(kind, "village") || !strstr(form, "exit"))) continue;
            qa.n = 0;
            qa.members = 0;
            arena_release(&qa.arena);
            arena_init(&qa.arena, 1 << 14);
            stmt_reset(as);
            stmt_bind_int(as, 1, qrow);
            while ((rc = stmt_step(as, e)) == STORE_ROW) {
                long inst = (long)stmt_int(as, 1);
                if (inst >= 0) {
                    if (inst + 1 > qa.members) qa.members = inst + 1;
                    continue;
                }
                if (qa_add(&qa, stmt_text(as, 0), stmt_text(as, 2))) {
                    rc = error_set(e, ERR_NOMEM, "out of memory");
                    break;
                }
            }
            if (rc < 0) break;
            rc = 0;
            if (household) {
                int general = strstr(form, "general") != NULL;
                rc = registry_facts(&rq, unit, county, &reg, e);
                if (rc) break;
                judge_household(&jp, &ja, general, &reg, &r);
                st->households++;
                st->wrong_exit += r.wrong_exit == 1;
                st->missed += r.missed == 1;
                st->four_kinds += r.four_kinds == 1;
            } else {
                memset(&reg, 0, sizeof reg);
                judge_village(&jp, &ja, &r);
                st->villages++;
                st->villages_failing += r.village_ok == 0;
            }
            for (int i = 0; i < r.n && !rc; i++) {
                struct jrule *j = &r.r[i];
                const char *o = outcome_text(j->outcome), *pk;
                char *d = detail_json(j, &reg, household);
                if (!d) {
                    rc = error_set(e, ERR_NOMEM, "out of memory");
                    break;
                }
                wj.v[1] = rv_int(srow);
                wj.v[2] = rv_text(unit, strlen(unit));
                wj.v[3] = rv_text(kind, strlen(kind));
                wj.v[4] = rv_int(county);
                wj.v[5] = rv_int(village);
                wj.v[6] = rv_text(j->rule, strlen(j->rule));
                wj.v[7] = rv_text(o, strlen(o));
                wj.v[8] = rv_text(j->value, strlen(j->value));
                wj.v[9] = rv_text(d, strlen(d));
                rc = audit_writer_row(&wj, e);
                free(d);
                st->rules++;
                pk = j->outcome == JUDGE_FAIL ? problem_kind(j->rule) : NULL;
                if (!rc && pk) {
                    struct strbuf sb = STRBUF_INIT;
                    if (ncand == capcand) {
                        size_t c2 = capcand ? capcand * 2 : 128;
                        struct cand *q2 = mem_realloc(cands, c2 * sizeof *q2);
                        if (!q2) {
                            rc = error_set(e, ERR_NOMEM, "out of memory");
                            break;
                        }
                        cands = q2, capcand = c2;
                    }
                    describe(j, &r, &sb);
                    cands[ncand].county = county;
                    cands[ncand].village = village;
                    snprintf(cands[ncand].unit, sizeof cands[ncand].unit, "%s", unit);
                    snprintf(cands[ncand].kind, sizeof cands[ncand].kind, "%s", pk);
                    snprintf(cands[ncand].rule, sizeof cands[ncand].rule, "%s", j->rule);
                    cands[ncand].text = sb_detach(&sb, NULL);
                    if (!cands[ncand].text) {
                        rc = error_set(e, ERR_NOMEM, "out of memory");
                        break;
                    }
                    ncand++;
                }
            }
            if (rc) break;
        }
        if (rc == STORE_DONE) rc = 0;
        if (!rc) {
            wj_open = 0;
            rc = audit_writer_commit(&wj, "judge", sample, NULL, e);
        }
        /* Reconcile the candidates by (sample, unit, rule) (DESIGN §8.1): a pair already
         * raised keeps its problem (and its number) whatever state it has reached; a pair no
         * longer raised is withdrawn only while it is still an untouched candidate; a problem
         * already moved on is left alone. Re-judging therefore never duplicates a problem. */
        if (!rc) rc = audit_writer_begin(&wp, s, "problems",
                                         "sample, county, township, village, unit, kind, rule,"
                                         " description, source, status, found_by, found_on",
                                         e);
        if (!rc) {
            struct stmt *ex = NULL;
            struct strbuf gone = STRBUF_INIT;
            wp_open = 1;
            rc = store_prepare(s,
                               "SELECT p.row_no, p.unit, p.rule, p.status,"
                               " EXISTS (SELECT 1 FROM problem_moves m WHERE m.problem = p.row_no)"
                               " FROM problems p WHERE p.sample = ? AND p.source = 'judgment'",
                               &ex, e);
            if (!rc) {
                stmt_bind_int(ex, 1, srow);
                while ((rc = stmt_step(ex, e)) == STORE_ROW) {
                    const char *u = stmt_text(ex, 1), *ru = stmt_text(ex, 2);
                    int raised = 0;
                    for (size_t i = 0; i < ncand; i++)
                        if (!strcmp(cands[i].unit, u) && !strcmp(cands[i].rule, ru)) {
                            cands[i].county = -1; /* already a problem: not inserted again */
                            raised = 1;
                        }
                    if (!raised && !strcmp(stmt_text(ex, 3), "candidate") && !stmt_int(ex, 4)) {
                        sb_addf(&gone, "%s%lld", gone.len ? "," : "",
                                (long long)stmt_int(ex, 0));
                        st->withdrawn++;
                    }
                }
                if (rc == STORE_DONE) rc = 0;
            }
            stmt_finalize(ex);
            if (!rc && sb_ok(&gone)) rc = error_set(e, ERR_NOMEM, "out of memory");
            if (!rc && gone.len) {
                struct strbuf where = STRBUF_INIT, del = STRBUF_INIT;
                sb_addf(&where, "row_no IN (%s)", gone.buf);
                sb_addf(&del, "DELETE FROM problems WHERE row_no IN (%s)", gone.buf);
                rc = sb_ok(&where) || sb_ok(&del)
                         ? error_set(e, ERR_NOMEM, "out of memory")
                         : audit_batch_supersede(&wp.batch, where.buf, e);
                if (!rc) rc = store_exec(s, del.buf, e);
                sb_release(&where);
                sb_release(&del);
            }
            sb_release(&gone);
        }
        for (size_t i = 0; i < ncand && !rc; i++) {
            struct cand *c = &cands[i];
            if (c->county < 0) {
                st->kept++;
                continue;
            }
            wp.v[1] = rv_int(srow);
            wp.v[2] = rv_int(c->county);
            wp.v[3] = rv_int(c->village / 1000);
            wp.v[4] = rv_int(c->village);
            wp.v[5] = rv_text(c->unit, strlen(c->unit));
            wp.v[6] = rv_text(c->kind, strlen(c->kind));
            wp.v[7] = rv_text(c->rule, strlen(c->rule));
            wp.v[8] = rv_text(c->text, strlen(c->text));
            wp.v[9] = rv_text("judgment", 8);
            wp.v[10] = rv_text("candidate", 9);
            wp.v[11] = rv_text("pinggu judge", 12);
            wp.v[12] = rv_text(today, strlen(today));
            rc = audit_writer_row(&wp, e);
            st->problems++;
        }
        if (!rc && wp_open) {
            wp_open = 0;
            rc = audit_writer_commit(&wp, "judge", sample, NULL, e);
        }
        for (size_t i = 0; i < ncand; i++) mem_free(cands[i].text);
        mem_free(cands);
    }
    if (rc) goto fail;
    rc = store_commit(s, e);
    goto out;
fail:
    if (wj_open) audit_writer_abort(&wj);
    if (wp_open) audit_writer_abort(&wp);
    store_rollback(s);
out:
    stmt_finalize(qs);
    stmt_finalize(as);
    stmt_finalize(rq.hh);
    stmt_finalize(rq.county);
    mem_free(qa.names);
    mem_free(qa.values);
    arena_release(&qa.arena);
    plan_release(&p);
    return rc;
}

int judge_print(struct store *s, const char *sample, int json, FILE *f, struct error *e)
{
    struct plan p;
    int64_t srow;
    struct stmt *st;
    json_t *arr = json ? json_array() : NULL;
    int rc = sample_plan(s, sample, &p, NULL, 0, &srow, e);
    if (rc) return rc;
    plan_release(&p);
    rc = store_prepare(
        s,
        "SELECT county,"
        " sum(rule = 'wrong_exit' AND outcome <> 'na'), sum(rule = 'wrong_exit' AND outcome ="
        "  'fail'),"
        " sum(rule = 'missed' AND outcome <> 'na'), sum(rule = 'missed' AND outcome = 'fail'),"
        " sum(rule = 'approval' AND outcome <> 'na'), sum(rule = 'approval' AND outcome = 'pass'),"
        " sum(rule = 'four_kinds' AND outcome = 'fail'),"
        " sum(rule = 'village.exit'), sum(rule = 'village.exit' AND outcome = 'fail'),"
        " sum(rule LIKE 'case%' AND outcome = 'fail'), sum(rule LIKE 'data.%' AND outcome ="
        "  'fail')"
        " FROM judgments WHERE sample = ? GROUP BY county ORDER BY county",
        &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, srow);
    if (!json)
        fprintf(f, "judgments of sample %s / 研判结果 (unweighted counts; rates with intervals: "
                   "pinggu indicators)\n%-8s %14s %14s %14s %10s %12s %10s %10s\n",
                sample, "county", "exited: wrong", "general: miss", "approve/asked",
                "4 kinds", "villages fail", "no-exit", "data");
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        long long v[12];
        for (int i = 0; i < 12; i++) v[i] = stmt_int(st, i);
        if (json) {
            json_array_append_new(
                arr, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                               "county", v[0], "exited_judged", v[1], "wrong_exit", v[2],
                               "general_judged", v[3], "missed", v[4], "asked", v[5],
                               "approving", v[6], "four_kinds", v[7], "villages", v[8],
                               "villages_failing", v[9], "no_exit_cases", v[10],
                               "data_discrepancies", v[11]));
        } else {
            char a[32], b[32], c[32], d[32];
            snprintf(a, sizeof a, "%lld/%lld", v[2], v[1]);
            snprintf(b, sizeof b, "%lld/%lld", v[4], v[3]);
            snprintf(c, sizeof c, "%lld/%lld", v[6], v[5]);
            snprintf(d, sizeof d, "%lld/%lld", v[9], v[8]);
            fprintf(f, "%-8lld %14s %14s %14s %10lld %12s %10lld %10lld\n", v[0], a, b, c, v[7],
                    d, v[10], v[11]);
        }
    }
    stmt_finalize(st);
    if (json) {
        json_dumpf(arr, f, JSON_INDENT(1));
        fputc('\n', f);
        json_decref(arr);
    }
    return rc < 0 ? rc : 0;
}

int judge_explain(struct store *s, const char *sample, const char *unit, FILE *f, struct error *e)
{
    struct stmt *st;
    int rc, n = 0;
    rc = store_prepare(s, "SELECT j.rule, j.outcome, j.value, j.detail, s.name, j.unit_kind FROM"
                          " judgments j JOIN samples s ON s.row_no = j.sample WHERE j.unit = ?"
                          " AND (? = '' OR s.name = ?) ORDER BY j.row_no",
                       &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, unit, strlen(unit));
    stmt_bind_text(st, 2, sample ? sample : "", sample ? strlen(sample) : 0);
    stmt_bind_text(st, 3, sample ? sample : "", sample ? strlen(sample) : 0);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        json_t *d = json_loads(stmt_text(st, 3), 0, NULL);
        const char *o = stmt_text(st, 1);
        if (!n++) fprintf(f, "%s %s (sample %s)\n", stmt_text(st, 5), unit, stmt_text(st, 4));
        fprintf(f, "  %-26s %-5s %-40s %s\n", stmt_text(st, 0),
                !strcmp(o, "fail") ? "FAIL" : o, stmt_text(st, 2),
                json_string_value(json_object_get(d, "bound"))
                    ? json_string_value(json_object_get(d, "bound"))
                    : "");
        if (json_string_value(json_object_get(d, "answers")) &&
            *json_string_value(json_object_get(d, "answers")))
            fprintf(f, "  %-26s       answers: %s\n", "", json_string_value(json_object_get(d, "answers")));
        json_decref(d);
    }
    stmt_finalize(st);
    if (rc < 0) return rc;
    if (!n) return error_set(e, ERR_NOTFOUND, "no judgments for unit %s (run pinggu judge first)", unit);
    return 0;
}
