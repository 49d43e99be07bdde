/*
 * accountability.c — Henan's accountability list (问责名单; report.h report_accountability;
 * seed 004, first article, 第七条(二)问责措施 1–2; DESIGN §8) from a round's `score` results,
 * where the round's plan carries the rules (plan.h struct plan_accountability):
 *
 *   通报批评  the last place of its ranking group (the score's `last` flag: "排名倒数第一的乡(镇)
 *             党政主要负责同志和分管负责同志予以通报批评");
 *   降级使用  last here and last in the previous round named by the caller ("连续2次的给予降级
 *             使用,调整职务") — without a previous round this cannot be decided and is said so;
 *   约谈      a unit meeting any of the plan's listed conditions ("发现下列问题之一的,对乡(镇)党政
 *             主要负责同志进行约谈"), each checked from the data the plan names: the round's
 *             accepted problems (confirmed or later, not dismissed) of some kinds in the unit, or
 *             indicator leaves of the unit's score held to the plan's thresholds; a condition the
 *             data cannot show is listed as the office's to decide, with why.
 *
 * Invariants: read-only; the list is printed with its grounds (problem numbers, measured
 * values and the threshold's words), so every entry can be checked; a round without scores, or
 * whose plan has no accountability rules, is refused (ERR_INVALID), never listed empty.
 */
#include "report_int.h"
#include "../problem/problem.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct aunit {
    char unit[32], name[64];
    int county, last, last_before;
    json_t *nodes; /* the score's node values (owned) */
    json_t *hh;    /* households behind each indicator leaf (owned) */
};

static int sample_row(struct store *s, const char *round, int64_t *row, struct error *e)
{
    struct stmt *q = NULL;
    int rc = store_prepare(s, "SELECT row_no FROM samples WHERE name = ?", &q, e);
    if (rc) return rc;
    stmt_bind_text(q, 1, round, strlen(round));
    rc = stmt_step(q, e);
    if (rc == STORE_ROW) *row = stmt_int(q, 0);
    stmt_finalize(q);
    if (rc == STORE_DONE) return error_set(e, ERR_NOTFOUND, "no round (sample) named '%s'", round);
    return rc < 0 ? rc : 0;
}

static int has_flag(const char *flags, const char *flag)
{
    size_t n = strlen(flag);
    for (const char *p = flags; (p = strstr(p, flag)); p += n)
        if ((p == flags || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) return 1;
    return 0;
}

/* The units of `tree` scored in sample srow (with their node values when `nodes`). */
static int load_units(struct store *s, int64_t srow, const char *tree, int nodes,
                      struct aunit **out, size_t *n, struct error *e)
{
    struct stmt *q = NULL;
    struct aunit *v = NULL;
    size_t cap = 0;
    int rc = store_prepare(s, "SELECT unit, name, flags, detail FROM scores WHERE sample = ? AND"
                              " tree = ? ORDER BY row_no",
                           &q, e);
    *out = NULL;
    *n = 0;
    if (rc) return rc;
    stmt_bind_int(q, 1, srow);
    stmt_bind_text(q, 2, tree, strlen(tree));
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        struct aunit *u;
        json_t *d;
        if (*n == cap) {
            size_t c = cap ? cap * 2 : 32;
            struct aunit *nv = mem_realloc(v, c * sizeof *nv);
            if (!nv) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            v = nv;
            cap = c;
        }
        u = &v[(*n)++];
        memset(u, 0, sizeof *u);
        snprintf(u->unit, sizeof u->unit, "%s", stmt_text(q, 0));
        snprintf(u->name, sizeof u->name, "%s", stmt_text(q, 1));
        u->last = has_flag(stmt_text(q, 2), "last");
        d = json_loads(stmt_text(q, 3), 0, NULL);
        if (d) {
            u->county = (int)json_integer_value(json_object_get(d, "county"));
            if (nodes) u->nodes = json_incref(json_object_get(d, "nodes"));
            if (nodes) u->hh = json_incref(json_object_get(d, "households"));
            json_decref(d);
        }
    }
    stmt_finalize(q);
    *out = v;
    return rc < 0 ? rc : 0;
}

static void free_units(struct aunit *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_decref(v[i].nodes);
        json_decref(v[i].hh);
    }
    mem_free(v);
}

/* Accepted problems of the round: row, township code, kind. */
struct aprob {
    int64_t id, township;
    char kind[32];
};

static int load_problems(struct store *s, const char *round, int64_t srow, struct aprob **out,
                         size_t *n, struct error *e)
{
    struct problem_progress *pg = NULL;
    size_t npg = 0, cap = 0;
    struct stmt *q = NULL;
    struct aprob *v = NULL;
    int rc = problem_progress_list(s, round, 0, &pg, &npg, e);
    *out = NULL;
    *n = 0;
    if (rc) return rc;
    rc = store_prepare(s, "SELECT row_no, township, kind FROM problems WHERE sample = ?"
                          " ORDER BY row_no",
                       &q, e);
    if (rc) goto out;
    stmt_bind_int(q, 1, srow);
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        int64_t id = stmt_int(q, 0);
        int ok = 0;
        for (size_t j = 0; j < npg; j++)
            if (pg[j].id == id) ok = pg[j].state >= PS_CONFIRMED && pg[j].state != PS_DISMISSED;
        if (!ok) continue;
        if (*n == cap) {
            size_t c = cap ? cap * 2 : 32;
            struct aprob *nv = mem_realloc(v, c * sizeof *nv);
            if (!nv) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            v = nv;
            cap = c;
        }
        v[*n].id = id;
        v[*n].township = stmt_int(q, 1);
        snprintf(v[*n].kind, sizeof v[*n].kind, "%s", stmt_text(q, 2));
        (*n)++;
    }
    rc = rc < 0 ? rc : 0;
out:
    stmt_finalize(q);
    problem_progress_free(pg, npg);
    if (rc) mem_free(v);
    else *out = v;
    return rc;
}

/* Whether unit u meets condition d; the grounds are appended to g. */
static int condition_met(const struct plan *p, const struct plan_acc_cond *d, const struct aunit *u,
                         const struct aprob *pr, size_t npr, struct strbuf *g)
{
    int met = 0;
    if (d->check == PLAN_ACC_PROBLEMS) {
        long long town = atoll(u->unit);
        for (size_t i = 0; i < npr; i++) {
            int kind = 0;
            for (int k = 0; k < d->nkinds; k++) kind |= !strcmp(pr[i].kind, d->kinds[k]);
            if (!kind || pr[i].township != town) continue;
            sb_addf(g, "%s%lld (%s)", met ? ", " : "problems 问题 ", (long long)pr[i].id,
                    pr[i].kind);
            met = 1;
        }
    } else if (d->check == PLAN_ACC_INDICATORS) {
        for (int k = 0; k < d->nnodes; k++) {
            json_t *x = u->nodes ? json_object_get(u->nodes, d->nodes[k].node) : NULL;
            const struct plan_threshold *t = plan_threshold_for(p, d->nodes[k].indicator, "");
            double v, rate;
            if (!x || !json_is_number(x) || !t) continue;
            v = json_number_value(x);
            if (!isfinite(v)) continue;
            /* accuracy leaves are 100 × (1 − rate); satisfaction is 100 × approval */
            rate = strcmp(d->nodes[k].indicator, "approval") ? 1.0 - v / 100.0 : v / 100.0;
            if (plan_op_holds(t->op, rate, t->value)) continue;
            sb_addf(g, "%s%s %.2f → %s %.2f%% (%lld households), not %s %.0f%% (%s)",
                    met ? "; " : "", d->nodes[k].node, v, d->nodes[k].indicator, 100.0 * rate,
                    (long long)json_integer_value(
                        u->hh ? json_object_get(u->hh, d->nodes[k].node) : NULL),
                    plan_op_text(t->op), 100.0 * t->value, t->words);
            met = 1;
        }
    }
    return met;
}

int report_accountability(struct store *s, const char *round, const char *previous, FILE *f,
                          struct report_acc_stats *st, struct error *e)
{
    struct plan p;
    struct aunit *u = NULL, *pu = NULL;
    struct aprob *pr = NULL;
    size_t nu = 0, npu = 0, npr = 0;
    int64_t srow = 0, prow = 0;
    struct strbuf g = STRBUF_INIT;
    const struct plan_accountability *acc;
    int rc;
    memset(st, 0, sizeof *st);
    memset(&p, 0, sizeof p);
    if ((rc = sample_plan(s, round, &p, NULL, 0, &srow, e))) return rc;
    acc = &p.acc;
    if (!acc->enabled) {
        rc = error_set(e, ERR_INVALID,
                       "the plan of round %s (%s) carries no accountability rules (\"accountability\": "
                       "Henan's 问责措施, seed 004 第七条(二))",
                       round, p.id);
        goto out;
    }
    if ((rc = load_units(s, srow, acc->tree, 1, &u, &nu, e))) goto out;
    if (!nu) {
        rc = error_set(e, ERR_INVALID, "round %s has no %s scores: run pinggu score first", round,
                       acc->tree);
        goto out;
    }
    if (previous) {
        if ((rc = sample_row(s, previous, &prow, e))) goto out;
        if (prow == srow) {
            rc = error_set(e, ERR_INVALID, "--previous names the round itself");
            goto out;
        }
        if ((rc = load_units(s, prow, acc->tree, 0, &pu, &npu, e))) goto out;
        if (!npu) {
            rc = error_set(e, ERR_INVALID, "the previous round %s has no %s scores", previous,
                           acc->tree);
            goto out;
        }
        for (size_t i = 0; i < nu; i++)
            for (size_t j = 0; j < npu; j++)
                if (!strcmp(u[i].unit, pu[j].unit) && pu[j].last) u[i].last_before = 1;
    }
    if ((rc = load_problems(s, round, srow, &pr, &npr, e))) goto out;

    fprintf(f, "问责名单 Accountability list — round %s (plan %s; seed 004 第一篇 第七条(二)1–2), "
               "%zu %s units scored\n",
            round, p.id, nu, acc->tree);
    if (previous)
        fprintf(f, "previous round 上一轮: %s (%s twice in a row 连续2次倒数第一 → %s)\n", previous,
                "last place", acc->last_twice);
    else
        fprintf(f, "previous round 上一轮: not given — %s (连续2次倒数第一) cannot be decided; give "
                   "--previous ROUND\n",
                acc->last_twice);
    fprintf(f, "%-12s %-12s %-10s %s\n", "unit 单位", "name 名称", "measure 措施", "grounds 依据");
    for (size_t i = 0; i < nu; i++) {
        int listed = 0;
        if (u[i].last) {
            fprintf(f, "%-12s %-12s %-10s 排名倒数第一 last place of its group (county %d)\n",
                    u[i].unit, u[i].name, acc->last_place, u[i].county);
            st->last_place++;
            listed = 1;
        }
        if (u[i].last && u[i].last_before) {
            fprintf(f, "%-12s %-12s %-10s 连续2次倒数第一: last here and in round %s\n", u[i].unit,
                    u[i].name, acc->last_twice, previous);
            st->last_twice++;
        }
        for (int k = 0; k < acc->ncond; k++) {
            sb_reset(&g);
            if (!condition_met(&p, &acc->cond[k], &u[i], pr, npr, &g)) continue;
            fprintf(f, "%-12s %-12s %-10s %s: %s\n", u[i].unit, u[i].name, acc->meeting,
                    acc->cond[k].zh, g.oom ? "" : g.buf);
            listed = 1;
        }
        (void)listed;
    }
    for (size_t i = 0; i < nu; i++) {
        int any = 0;
        for (int k = 0; k < acc->ncond && !any; k++) {
            sb_reset(&g);
            any = condition_met(&p, &acc->cond[k], &u[i], pr, npr, &g);
        }
        st->meeting += any;
    }
    {
        int none = 0;
        for (int k = 0; k < acc->ncond; k++)
            if (acc->cond[k].check == PLAN_ACC_NONE) {
                if (!none++)
                    fprintf(f, "conditions the data cannot show (the office decides) "
                               "数据无法判定、由扶贫办认定的条件:\n");
                fprintf(f, "  %s — %s\n", acc->cond[k].zh, acc->cond[k].why);
                st->unchecked++;
            }
    }
    fprintf(f, "%s %zu, %s %zu, %s %zu units\n", acc->last_place, st->last_place, acc->last_twice,
            st->last_twice, acc->meeting, st->meeting);
out:
    sb_release(&g);
    free_units(u, nu);
    free_units(pu, npu);
    mem_free(pr);
    plan_release(&p);
    return rc;
}
