/*
 * score.c — scored schemes: the plan's weighted indicator trees per unit, bonus items,
 * one-vote vetoes, conditions and the ranking (estimate.h score_sample; DESIGN §4 Henan,
 * Shaanxi; docs/plans.md "Scoring").
 *
 * Henan's method (seed 004, first article): townships 80% poverty work (content areas 1–7) /
 * 20% economic and social development; county departments 40% poverty work; bonus items by
 * kind of unit (townships 8. 加分因素 ①–③, departments 另行加分 and 较上年增加); 一票否决 for
 * the departments with third-party assessment tasks that 失分严重; the top 20% rewarded
 * (townships: 位居全市综合排序前20% and 通过验收实现整体脱贫; departments: 位居各个县前20%),
 * 各个县前十名 of the townships, the township last place criticised and last twice in a row
 * demoted. Shaanxi (seed 001): the four rates and one degree, all meeting the standard,
 * ranked with bands 好中差. What applies to which tree is plan data (plan.h plan_rank, the
 * items' unit); this file applies it.
 *
 * Where the numbers come from:
 *   - indicator leaves are measured by the survey over the unit's surveyed households, with
 *     the same design weights as `pinggu indicators` (estimate_int.h hrec_weight):
 *       exit_accuracy           100 × (1 − wrong-exit rate over persons, the very pair
 *                               indicators.c uses: estimate_int.h hrec_person_pair)
 *       identification_accuracy 100 × (1 − share of households missed or one of the four kinds)
 *       satisfaction            100 × approval rate;
 *   - "rank" leaves: the sheet gives a result, the leaf scores its place in the group (驻村
 *     工作队 根据综合排序确定分值); "share" leaves: the sheet gives got/full, full marks count
 *     100 (满分的按满分计算);
 *   - every other leaf, the bonus, veto and condition items come from the team's score sheet.
 * A node is the weighted mean of its measured children (weights normalised among siblings;
 * an unmeasured indicator leaf's weight is spread over its siblings, and the unit says so).
 *
 * Ranking: by total (base + bonus) within the tree's group, ties sharing a rank; a vetoed
 * unit keeps its place (its score is what it is) but is never flagged 前列 or 前十名; the
 * last place goes to the lowest total. The top share is counted in the tree's top scope.
 *
 * Honesty about ranks: a township's score rests on 2–3 sampled villages. Its standard error is
 * the delete-one-village jackknife of the whole score (the score sheet held fixed) with
 * villages − 1 degrees of freedom, and each unit carries z_next, the gap to the next unit down
 * over the standard error of the gap, and crit_next, the 97.5% t quantile at the gap's
 * Welch–Satterthwaite degrees of freedom; a last place or a top-share boundary with
 * |z_next| < crit_next is printed as within sampling error.
 *
 * Invariants: nothing is stored unless the whole sheet is valid and every unit has every
 * input leaf; a re-scoring of a sample replaces the earlier one through the change log
 * (retire by the sample's name). Rounds are ordered by the samples' creation (row_no): the
 * previous round of a tree is the latest earlier sample, of any plan, with scores for units
 * of this round (the half-year rounds 7月底 and 次年2月底 are separate samples).
 */
#include "estimate_int.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { IND_EXIT, IND_IDENT, IND_SAT };

/* What the score sheet said for one unit of one tree. */
struct sheet {
    double *leaf;  /* [nnodes] NaN = not given */
    long *line;    /* [nnodes] line that gave it */
    double bonus[8];
    long bonus_line[8];
    double veto[8]; /* 0 or 1 */
    long veto_line[8];
    double cond[8]; /* 0 or 1 */
    long cond_line[8];
    int county; /* departments: the county column (0: not given) */
    long county_line;
    double *raw; /* [nnodes] "rank" leaves: the result the sheet gave (NULL: none) */
};

struct work_unit {
    struct score_unit *u;
    struct sheet sh;
    size_t *hh; /* indices into the households */
    size_t nhh;
};

struct tree_work {
    struct work_unit *w;
    size_t n, cap;
    int has_indicator;
};

static const char *tree_zh_unit(const char *unit)
{
    if (!strcmp(unit, "township")) return "乡镇";
    if (!strcmp(unit, "county")) return "县";
    if (!strcmp(unit, "city")) return "市";
    return "县直单位";
}

static int64_t hh_key(const char *unit, const struct hrec *h)
{
    if (!strcmp(unit, "township")) return h->village / 1000;
    if (!strcmp(unit, "county")) return h->county;
    return h->county / 100; /* city */
}

static int ind_of(const char *name)
{
    if (!strcmp(name, "exit_accuracy")) return IND_EXIT;
    if (!strcmp(name, "identification_accuracy")) return IND_IDENT;
    return IND_SAT;
}

/* The indicator of households hh[0..n) leaving out village `skip` (-1: none), 0..100; NaN
 * when no household answers it. *used gets the households behind it. */
static double indicator(const struct hrec *h, const size_t *hh, size_t n, int which,
                        int64_t skip, int64_t *used)
{
    double num = 0, den = 0;
    int64_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct hrec *r = &h[hh[i]];
        double w = hrec_weight(r, 0);
        int y;
        if (r->village == skip || !(w > 0) || !isfinite(w)) continue;
        if (which == IND_EXIT) { /* over persons, as `pinggu indicators` (seed 000 错退率) */
            double py, px;
            if (!hrec_person_pair(r, r->wrong_exit, &py, &px)) continue;
            num += w * py;
            den += w * px;
            k++;
            continue;
        }
        if (which == IND_SAT) y = r->approval;
        else if (r->missed < 0 && r->four_kinds < 0) y = -1;
        else y = r->missed == 1 || r->four_kinds == 1;
        if (y < 0) continue;
        num += w * y;
        den += w;
        k++;
    }
    if (used) *used = k;
    if (den <= 0) return NAN;
    return which == IND_SAT ? 100 * num / den : 100 * (1 - num / den);
}

/* Fills node[] bottom-up from the leaves already in it; returns the tree's base score. */
static double tree_eval(const struct plan_scoring *sc, int tree, double *node)
{
    double sw = 0, sv = 0;
    for (int k = sc->nnodes - 1; k >= 0; k--) {
        const struct plan_node *nd = &sc->nodes[k];
        double w = 0, v = 0;
        if (nd->tree != tree || nd->leaf) continue;
        for (int c = k + 1; c < sc->nnodes; c++)
            if (sc->nodes[c].parent == k && !isnan(node[c])) {
                w += sc->nodes[c].weight;
                v += sc->nodes[c].weight * node[c];
            }
        node[k] = w > 0 ? v / w : NAN;
    }
    for (int k = 0; k < sc->nnodes; k++)
        if (sc->nodes[k].tree == tree && sc->nodes[k].parent < 0 && !isnan(node[k])) {
            sw += sc->nodes[k].weight;
            sv += sc->nodes[k].weight * node[k];
        }
    return sw > 0 ? sv / sw : NAN;
}

/* Indicator leaves of one unit, leaving out village `skip`. */
static void fill_indicators(const struct plan_scoring *sc, int tree, const struct hrec *h,
                            const struct work_unit *wu, int64_t skip, double *node, int64_t *n)
{
    for (int k = 0; k < sc->nnodes; k++) {
        const struct plan_node *nd = &sc->nodes[k];
        if (nd->tree != tree || !nd->leaf) continue;
        if (!strcmp(nd->source, "indicator"))
            node[k] = indicator(h, wu->hh, wu->nhh, ind_of(nd->indicator), skip, n ? &n[k] : NULL);
        else node[k] = wu->sh.leaf[k];
    }
}

static int add_unit(struct tree_work *tw, const char *key, const char *name, int nnodes)
{
    struct work_unit *wu;
    if (tw->n == tw->cap) {
        size_t nc = tw->cap ? tw->cap * 2 : 16;
        void *p = mem_realloc(tw->w, nc * sizeof *tw->w);
        if (!p) return -1;
        tw->w = p;
        tw->cap = nc;
    }
    wu = &tw->w[tw->n];
    memset(wu, 0, sizeof *wu);
    wu->u = mem_calloc(1, sizeof *wu->u);
    wu->sh.leaf = mem_calloc((size_t)nnodes + 1, sizeof *wu->sh.leaf);
    wu->sh.line = mem_calloc((size_t)nnodes + 1, sizeof *wu->sh.line);
    if (!wu->u || !wu->sh.leaf || !wu->sh.line) {
        mem_free(wu->u);
        mem_free(wu->sh.leaf);
        mem_free(wu->sh.line);
        return -1;
    }
    wu->u->node = mem_calloc((size_t)nnodes + 1, sizeof *wu->u->node);
    wu->u->n = mem_calloc((size_t)nnodes + 1, sizeof *wu->u->n);
    if (!wu->u->node || !wu->u->n) {
        mem_free(wu->u->node);
        mem_free(wu->u->n);
        mem_free(wu->u);
        mem_free(wu->sh.leaf);
        mem_free(wu->sh.line);
        return -1;
    }
    for (int k = 0; k < nnodes; k++) wu->sh.leaf[k] = NAN;
    for (int k = 0; k < 8; k++) wu->sh.bonus[k] = 0;
    snprintf(wu->u->key, sizeof wu->u->key, "%s", key);
    snprintf(wu->u->name, sizeof wu->u->name, "%s", name);
    tw->n++;
    return 0;
}

static void work_release(struct tree_work *tw)
{
    for (size_t i = 0; i < tw->n; i++) {
        mem_free(tw->w[i].sh.leaf);
        mem_free(tw->w[i].sh.line);
        mem_free(tw->w[i].sh.raw);
        mem_free(tw->w[i].hh);
        if (tw->w[i].u) { /* not handed over to the result */
            mem_free(tw->w[i].u->node);
            mem_free(tw->w[i].u->n);
            mem_free(tw->w[i].u);
        }
    }
    mem_free(tw->w);
    memset(tw, 0, sizeof *tw);
}

static struct work_unit *find_unit(struct tree_work *tw, const char *key)
{
    for (size_t i = 0; i < tw->n; i++)
        if (!strcmp(tw->w[i].u->key, key)) return &tw->w[i];
    return NULL;
}

/* The surveyed units of a tree: the sample's townships, counties or cities, with names. */
static int load_units(struct store *s, int64_t srow, const char *unit, struct tree_work *tw,
                      int nnodes, struct error *e)
{
    struct stmt *st = NULL;
    const char *sql;
    int rc;
    if (!strcmp(unit, "township"))
        sql = "SELECT DISTINCT u.village / 1000, coalesce(t.name, '') FROM sample_units u"
              " LEFT JOIN townships t ON t.code = u.village / 1000"
              " WHERE u.sample = ? AND u.stage = 'village' ORDER BY 1";
    else if (!strcmp(unit, "county"))
        sql = "SELECT DISTINCT u.county, coalesce(c.name, '') FROM sample_units u"
              " LEFT JOIN counties c ON c.code = u.county"
              " WHERE u.sample = ? AND u.stage = 'county' ORDER BY 1";
    else
        sql = "SELECT c.city_code, min(c.city_name) FROM sample_units u"
              " JOIN counties c ON c.code = u.county"
              " WHERE u.sample = ? AND u.stage = 'county' GROUP BY c.city_code ORDER BY 1";
    rc = store_prepare(s, sql, &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, srow);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)stmt_int(st, 0));
        if (add_unit(tw, key, stmt_text(st, 1), nnodes)) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            break;
        }
    }
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* Which tree a sheet row names: the tree's unit word or its Chinese name. */
static int tree_of(const struct plan_scoring *sc, const char *t)
{
    for (int i = 0; i < sc->ntrees; i++)
        if (!strcmp(t, sc->trees[i].unit) || (sc->trees[i].zh[0] && !strcmp(t, sc->trees[i].zh)) ||
            !strcmp(t, tree_zh_unit(sc->trees[i].unit)))
            return i;
    return -1;
}

static int parse_value(const char *v, double *out)
{
    char *end;
    if (!strcmp(v, "是")) v = "1";
    else if (!strcmp(v, "否")) v = "0";
    if (!*v) return -1;
    *out = strtod(v, &end);
    while (*end == ' ') end++;
    return *end || !isfinite(*out) ? -1 : 0;
}

static void file_sha256(const char *path, char out[65])
{
    struct sha256 h;
    unsigned char buf[65536];
    size_t k;
    FILE *f = fopen(path, "rb");
    out[0] = 0;
    if (!f) return;
    sha256_init(&h);
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) sha256_update(&h, buf, k);
    fclose(f);
    sha256_final_hex(&h, out);
}

/* Where a sheet value comes from, for its messages. */
struct sheet_at {
    struct errlist *errs;
    const char *path;
    long line;
    const char *item, *tree, *key;
};

/* Stores a sheet value in its slot, once: a second value for the same unit and item is an
 * error naming the first line. */
static void take(const struct sheet_at *a, double v, double *slot, long *first)
{
    if (*first)
        errlist_addf(a->errs, ERR_INVALID, a->path, a->line, 0,
                     "%s of %s %s given twice (first on line %ld)", a->item, a->tree, a->key,
                     *first);
    else {
        *slot = v;
        *first = a->line;
    }
}

static const struct csv_column sheet_cols[] = {
    {"tree", "类型|对象类型|被评估对象", 1},
    {"unit", "单位|单位代码|代码", 1},
    {"item", "指标|项目|指标代码", 1},
    {"value", "得分|分值|分数", 1},
    {"name", "名称|单位名称", 0},
    {"county", "县|区县|县代码", 0},
};

/* "got/full" or "got" (out of 100) of a share leaf: 100 × got / full, exactly 100 at full
 * marks (满分的按满分计算); -1 if malformed or got is outside 0..full. */
static double parse_share(const char *v)
{
    char *end;
    double got, full = 100;
    if (!*v) return -1;
    got = strtod(v, &end);
    if (end == v || !isfinite(got)) return -1;
    if (*end == '/') {
        const char *f = end + 1;
        full = strtod(f, &end);
        if (end == f || !isfinite(full)) return -1;
    }
    while (*end == ' ') end++;
    if (*end || !(full > 0) || got < 0 || got > full) return -1;
    return got == full ? 100.0 : 100.0 * got / full;
}

/* Whether a bonus, veto or condition item belongs to tree t ("" = every tree). */
static int item_fits(const struct plan_scoring *sc, const struct plan_sheet_item *it, int t)
{
    return !it->unit[0] || !strcmp(it->unit, sc->trees[t].unit);
}

/* A bonus, veto or condition item of the sheet (kind: 0 bonus, 1 veto, 2 condition). */
static int sheet_item(const struct plan_scoring *sc, int t, const struct sheet_at *at,
                      const char *val, double v, struct work_unit *wu)
{
    static const char *kind[] = {"bonus", "veto", "condition"};
    const struct plan_sheet_item *lists[] = {sc->bonus, sc->veto, sc->cond};
    int counts[] = {sc->nbonus, sc->nveto, sc->ncond};
    double *slots[] = {wu->sh.bonus, wu->sh.veto, wu->sh.cond};
    long *lines[] = {wu->sh.bonus_line, wu->sh.veto_line, wu->sh.cond_line};
    for (int l = 0; l < 3; l++)
        for (int k = 0; k < counts[l]; k++) {
            const struct plan_sheet_item *it = &lists[l][k];
            if (strcmp(it->id, at->item)) continue;
            if (!item_fits(sc, it, t))
                errlist_addf(at->errs, ERR_INVALID, at->path, at->line, 0,
                             "%s %s (%s) is for the %s tree, not %s", kind[l], it->id, it->zh,
                             it->unit, sc->trees[t].unit);
            else if (l == 0 && (v < 0 || v > it->max))
                errlist_addf(at->errs, ERR_INVALID, at->path, at->line, 0,
                             "bonus %s (%s): %g is outside 0..%g", it->id, it->zh, v, it->max);
            else if (l > 0 && v != 0 && v != 1)
                errlist_addf(at->errs, ERR_INVALID, at->path, at->line, 0,
                             "%s %s (%s): 1 (是) or 0 (否), not %s", kind[l], it->id, it->zh, val);
            else take(at, v, &slots[l][k], &lines[l][k]);
            return 1;
        }
    return 0;
}

/* Reads the score sheet into the trees' units (department units are created by it). */
static int read_sheet(const char *path, const struct plan_scoring *sc, struct tree_work *tw,
                      struct errlist *errs, struct error *e)
{
    struct csv *c = NULL;
    int idx[6], rc;
    rc = csv_open(path, &c, e);
    if (rc) return rc;
    rc = csv_next(c, e);
    if (rc == 0) rc = error_set(e, ERR_INVALID, "%s: empty file (expected a header)", path);
    if (rc < 0) goto out;
    rc = csv_map_header(c, sheet_cols, 6, idx, NULL, e);
    if (rc) goto out;
    while ((rc = csv_next(c, e)) == 1) {
        const char *tname = csv_field(c, (size_t)idx[0]), *key = csv_field(c, (size_t)idx[1]);
        const char *item = csv_field(c, (size_t)idx[2]), *val = csv_field(c, (size_t)idx[3]);
        const char *name = idx[4] >= 0 ? csv_field(c, (size_t)idx[4]) : "";
        const char *cty = idx[5] >= 0 ? csv_field(c, (size_t)idx[5]) : "";
        long line = csv_line(c);
        int t, k, found = 0, county = 0;
        double v = 0;
        struct work_unit *wu;
        struct sheet_at at = {errs, path, line, item, "", key};
        if (csv_row_blank(c)) continue;
        t = tree_of(sc, tname);
        if (t < 0) {
            errlist_addf(errs, ERR_INVALID, path, line, 0,
                         "tree \"%s\" is not one of the plan's scoring trees", tname);
            continue;
        }
        if (!*key) {
            errlist_addf(errs, ERR_INVALID, path, line, 0, "unit: empty");
            continue;
        }
        if (*cty) {
            char *end;
            long long cc = strtoll(cty, &end, 10);
            if (*end || cc < 100000 || cc > 999999) {
                errlist_addf(errs, ERR_INVALID, path, line, 0,
                             "county \"%s\" is not a 6-digit county code", cty);
                continue;
            }
            county = (int)cc;
        }
        wu = find_unit(&tw[t], key);
        if (!wu && !strcmp(sc->trees[t].unit, "department")) {
            if (add_unit(&tw[t], key, *name ? name : key, sc->nnodes)) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            wu = &tw[t].w[tw[t].n - 1];
        }
        if (!wu) {
            errlist_addf(errs, ERR_INVALID, path, line, 0, "%s %s is not in this sample",
                         sc->trees[t].unit, key);
            continue;
        }
        at.tree = sc->trees[t].unit;
        if (county && !strcmp(sc->trees[t].unit, "department")) {
            if (wu->sh.county && wu->sh.county != county)
                errlist_addf(errs, ERR_INVALID, path, line, 0,
                             "department %s: county %d, but %d on line %ld", key, county,
                             wu->sh.county, wu->sh.county_line);
            else if (!wu->sh.county) {
                wu->sh.county = county;
                wu->sh.county_line = line;
            }
        } else if (county && wu->u->county && county != wu->u->county)
            errlist_addf(errs, ERR_INVALID, path, line, 0, "%s %s is in county %d, not %d",
                         sc->trees[t].unit, key, wu->u->county, county);
        for (k = 0; k < sc->nnodes && !found; k++) {
            const struct plan_node *nd = &sc->nodes[k];
            if (nd->tree != t || strcmp(nd->id, item)) continue;
            found = 1;
            if (!nd->leaf)
                errlist_addf(errs, ERR_INVALID, path, line, 0,
                             "%s (%s) is made of its children; score those instead", item,
                             nd->zh);
            else if (!strcmp(nd->source, "indicator"))
                errlist_addf(errs, ERR_INVALID, path, line, 0,
                             "%s (%s) is measured by the survey, not given on the sheet", item,
                             nd->zh);
            else if (!strcmp(nd->source, "share")) {
                double sh = parse_share(val);
                if (sh < 0)
                    errlist_addf(errs, ERR_INVALID, path, line, 0,
                                 "%s (%s): \"%s\" is not got/full (e.g. 18/20; full marks "
                                 "count 100: 满分的按满分计算) with 0 <= got <= full",
                                 item, nd->zh, val);
                else take(&at, sh, &wu->sh.leaf[k], &wu->sh.line[k]);
            } else if (parse_value(val, &v))
                errlist_addf(errs, ERR_INVALID, path, line, 0, "value \"%s\" is not a number",
                             val);
            else if (v < 0 || v > 100)
                errlist_addf(errs, ERR_INVALID, path, line, 0, "%s: %g is outside 0..100",
                             item, v);
            else take(&at, v, &wu->sh.leaf[k], &wu->sh.line[k]);
        }
        if (found) continue;
        if (parse_value(val, &v)) {
            errlist_addf(errs, ERR_INVALID, path, line, 0, "value \"%s\" is not a number", val);
            continue;
        }
        if (!sheet_item(sc, t, &at, val, v, wu))
            errlist_addf(errs, ERR_INVALID, path, line, 0,
                         "item \"%s\" is not a leaf, bonus, veto or condition item of the %s tree",
                         item, sc->trees[t].unit);
    }
out:
    csv_close(c);
    return rc < 0 ? rc : 0;
}

/* Store-free reading of a score sheet (estimate.h; the fuzz target fuzz/fuzz_sheet.c): the
 * sheet read against the plan's trees by read_sheet, as score_sample reads it, with every
 * unit named on the sheet taken as surveyed. Separate from the scoring on purpose. */
int score_sheet_check(const struct plan *p, const char *path, struct errlist *errs,
                      struct error *e)
{
    struct tree_work tw[4];
    struct csv *c = NULL;
    struct error ce;
    int idx[5], rc;
    memset(tw, 0, sizeof tw);
    if (!p->scored || !p->scoring.enabled || p->scoring.ntrees > 4)
        return error_set(e, ERR_INVALID, "plan %s is not scored", p->id);
    rc = csv_open(path, &c, &ce);
    if (!rc && csv_next(c, &ce) == 1 && !csv_map_header(c, sheet_cols, 5, idx, NULL, &ce))
        while (!rc && csv_next(c, &ce) == 1) {
            int t = tree_of(&p->scoring, csv_field(c, (size_t)idx[0]));
            const char *key = csv_field(c, (size_t)idx[1]);
            if (t < 0 || !*key || !strcmp(p->scoring.trees[t].unit, "department") ||
                find_unit(&tw[t], key))
                continue;
            if (add_unit(&tw[t], key, key, p->scoring.nnodes))
                rc = error_set(e, ERR_NOMEM, "out of memory");
        }
    csv_close(c);
    if (!rc) rc = read_sheet(path, &p->scoring, tw, errs, e);
    for (int t = 0; t < 4; t++) work_release(&tw[t]);
    return rc < 0 ? rc : 0;
}

/* The unit's county and city, and its ranking group and top-share scope (plan_rank). */
static int place_key(const char *scope, const struct score_unit *u)
{
    if (!strcmp(scope, "county")) return u->county;
    if (!strcmp(scope, "city")) return u->city;
    return 0;
}

/* The county of every unit of tree t; departments from the sheet's county column (or the
 * sample's only county). Problems go to errs. */
static void place_units(const struct plan_scoring *sc, int t, struct tree_work *tw,
                        int only_county, const char *path, struct errlist *errs)
{
    const char *unit = sc->trees[t].unit;
    for (size_t i = 0; i < tw->n; i++) {
        struct score_unit *u = tw->w[i].u;
        long long key = strtoll(u->key, NULL, 10);
        if (!strcmp(unit, "township")) u->county = (int)(key / 1000), u->city = u->county / 100;
        else if (!strcmp(unit, "county")) u->county = (int)key, u->city = u->county / 100;
        else if (!strcmp(unit, "city")) u->city = (int)key;
        else {
            u->county = tw->w[i].sh.county ? tw->w[i].sh.county : only_county;
            u->city = u->county / 100;
            if (errs && !u->county && strcmp(sc->trees[t].rank.group, "all"))
                errlist_addf(errs, ERR_INVALID, path, 0, 0,
                             "department %s: which county? give the county column (县): the "
                             "plan ranks departments within each county",
                             u->key);
        }
        u->group = place_key(sc->trees[t].rank.group, u);
        u->scope = place_key(sc->trees[t].rank.top_scope, u);
    }
}

/* Scores "rank" leaves: the sheet's result placed among the group's units, best for the
 * first, worst for the last, linear between, ties sharing a place (根据综合排序确定分值). */
static void derive_rank_leaves(const struct plan_scoring *sc, int t, struct tree_work *tw)
{
    for (int k = 0; k < sc->nnodes; k++) {
        const struct plan_node *nd = &sc->nodes[k];
        double *place;
        if (nd->tree != t || !nd->leaf || strcmp(nd->source, "rank")) continue;
        place = mem_calloc(tw->n + 1, sizeof *place);
        if (!place) continue; /* leaves NaN: the unit says unmeasured */
        for (size_t i = 0; i < tw->n; i++) {
            int pos = 1, n = 0;
            double v = tw->w[i].sh.leaf[k];
            for (size_t j = 0; j < tw->n; j++) {
                if (tw->w[j].u->group != tw->w[i].u->group) continue;
                n++;
                if (tw->w[j].sh.leaf[k] > v + 1e-9) pos++;
            }
            place[i] = n < 2 ? nd->best
                             : nd->best - (nd->best - nd->worst) * (pos - 1) / (double)(n - 1);
        }
        for (size_t i = 0; i < tw->n; i++) {
            struct sheet *sh = &tw->w[i].sh;
            if (!sh->raw) sh->raw = mem_calloc((size_t)sc->nnodes + 1, sizeof *sh->raw);
            if (sh->raw) sh->raw[k] = sh->leaf[k];
            sh->leaf[k] = place[i];
        }
        mem_free(place);
    }
}

static int cmp_rank(const void *a, const void *b)
{
    const struct work_unit *x = a, *y = b;
    if (x->u->group != y->u->group) return x->u->group < y->u->group ? -1 : 1;
    if (x->u->total > y->u->total + 1e-9) return -1;
    if (x->u->total < y->u->total - 1e-9) return 1;
    return strcmp(x->u->key, y->u->key);
}

/* The previous round of this tree: the latest earlier sample (any plan: the half-year rounds
 * are separate samples, possibly of separate plan files) with scores for units of this round;
 * the units flagged last there and last here are flagged twice_last. */
static int previous_last(struct store *s, int64_t srow, const char *tree, struct score_tree *st,
                         struct error *e)
{
    struct stmt *q = NULL;
    int64_t prow = 0;
    int rc = store_prepare(s,
                           "SELECT c.sample, s.name, c.unit FROM scores c JOIN samples s ON"
                           " s.row_no = c.sample WHERE c.sample < ? AND c.tree = ?"
                           " ORDER BY c.sample DESC",
                           &q, e);
    if (rc) return rc;
    stmt_bind_int(q, 1, srow);
    stmt_bind_text(q, 2, tree, strlen(tree));
    while (!prow && (rc = stmt_step(q, e)) == STORE_ROW)
        for (size_t i = 0; i < st->n && !prow; i++)
            if (!strcmp(st->u[i].key, stmt_text(q, 2))) {
                prow = stmt_int(q, 0);
                snprintf(st->previous, sizeof st->previous, "%s", stmt_text(q, 1));
            }
    stmt_finalize(q);
    if (rc < 0) return rc;
    if (!prow) return 0;
    rc = store_prepare(s,
                       "SELECT unit FROM scores WHERE sample = ? AND tree = ? AND"
                       " ',' || flags || ',' LIKE '%,last,%'",
                       &q, e);
    if (rc) return rc;
    stmt_bind_int(q, 1, prow);
    stmt_bind_text(q, 2, tree, strlen(tree));
    while ((rc = stmt_step(q, e)) == STORE_ROW)
        for (size_t i = 0; i < st->n; i++)
            if (st->u[i].last && !strcmp(st->u[i].key, stmt_text(q, 0))) st->u[i].twice_last = 1;
    stmt_finalize(q);
    return rc < 0 ? rc : 0;
}

/* The 97.5% t quantile for the gap between two jackknifed scores: Welch–Satterthwaite degrees
 * of freedom from each score's variance and df (villages − 1); NaN when either is unknown. */
static double gap_crit(const struct score_unit *a, const struct score_unit *b)
{
    double va = a->se * a->se, vb = b->se * b->se, den, df;
    if (!isfinite(va) || !isfinite(vb) || a->df < 1 || b->df < 1 || !(va + vb > 0)) return NAN;
    den = va * va / a->df + vb * vb / b->df;
    df = den > 0 ? (va + vb) * (va + vb) / den : (double)(a->df + b->df);
    return t_quantile(0.975, df);
}

/* Scores the units of tree t (indicators, totals, jackknife), then ranks them. */
static void score_tree(const struct plan_scoring *sc, int t, const struct hrec *h,
                       struct tree_work *tw)
{
    int64_t *scratch_n = NULL;
    for (size_t i = 0; i < tw->n; i++) {
        struct work_unit *wu = &tw->w[i];
        struct score_unit *u = wu->u;
        double *tmp;
        u->bonus = 0;
        u->cond_ok = 1;
        for (int k = 0; k < sc->nbonus; k++)
            if (item_fits(sc, &sc->bonus[k], t)) u->bonus += wu->sh.bonus[k];
        for (int k = 0; k < sc->nveto; k++)
            if (item_fits(sc, &sc->veto[k], t)) u->vetoed |= wu->sh.veto[k] != 0;
        for (int k = 0; k < sc->ncond; k++)
            if (item_fits(sc, &sc->cond[k], t) && wu->sh.cond[k] != 1) u->cond_ok = 0;
        fill_indicators(sc, t, h, wu, -1, u->node, u->n);
        u->base = tree_eval(sc, t, u->node);
        u->total = (isnan(u->base) ? 0 : u->base) + u->bonus;
        for (int k = 0; k < sc->nnodes; k++) {
            const struct plan_node *nd = &sc->nodes[k];
            if (nd->tree != t || !nd->leaf) continue;
            if (isnan(u->node[k])) u->unmeasured++;
            else if (nd->standard >= 0 && u->node[k] < nd->standard - 1e-9) u->below++;
        }
        /* villages of the unit (households are in village order) */
        u->villages = 0;
        for (size_t j = 0; j < wu->nhh; j++)
            if (j == 0 || h[wu->hh[j]].village != h[wu->hh[j - 1]].village) u->villages++;
        u->se = NAN;
        u->df = 0;
        if (!tw->has_indicator || u->villages < 2) continue;
        tmp = mem_calloc((size_t)sc->nnodes + 1, sizeof *tmp);
        if (!tmp) continue; /* no standard error rather than a wrong one */
        {
            double sum = 0, sum2 = 0;
            int k = 0;
            for (size_t j = 0; j < wu->nhh; j++) {
                int64_t v = h[wu->hh[j]].village;
                double th;
                if (j > 0 && v == h[wu->hh[j - 1]].village) continue;
                fill_indicators(sc, t, h, wu, v, tmp, scratch_n);
                th = tree_eval(sc, t, tmp);
                if (isnan(th)) continue;
                sum += th;
                sum2 += th * th;
                k++;
            }
            if (k >= 2) {
                double mean = sum / k, ss = sum2 - k * mean * mean;
                u->se = sqrt((double)(k - 1) / k * (ss > 0 ? ss : 0));
                u->df = k - 1;
            }
        }
        mem_free(tmp);
    }
    qsort(tw->w, tw->n, sizeof *tw->w, cmp_rank);
    for (size_t i = 0, g0 = 0; i < tw->n; i++) {
        struct score_unit *u = tw->w[i].u, *prev = i ? tw->w[i - 1].u : NULL;
        size_t g1 = i;
        if (prev && prev->group != u->group) g0 = i;
        while (g1 < tw->n && tw->w[g1].u->group == u->group) g1++;
        u->group_n = (int)(g1 - g0);
        if (i > g0 && fabs(prev->total - u->total) <= 1e-9) u->rank = prev->rank;
        else u->rank = (int)(i - g0) + 1;
        u->z_next = u->crit_next = NAN;
        if (i + 1 < g1) {
            struct score_unit *nx = tw->w[i + 1].u;
            double sd = sqrt(u->se * u->se + nx->se * nx->se);
            if (isfinite(sd) && sd > 0) {
                u->z_next = (u->total - nx->total) / sd;
                u->crit_next = gap_crit(u, nx);
            }
        }
    }
}

/* The flags of tree t's ranked units (plan_rank): the top share within the top scope (never
 * a vetoed unit nor one failing a condition), the first top_count of the group, the last
 * place (the lowest total, vetoed or not), the bands 好中差. */
static void rank_flags(const struct plan_scoring *sc, int t, struct tree_work *tw)
{
    const struct plan_rank *r = &sc->trees[t].rank;
    for (size_t i = 0; i < tw->n; i++) {
        struct score_unit *u = tw->w[i].u;
        int worst = 0;
        u->scope_n = 0;
        u->scope_rank = 1;
        for (size_t j = 0; j < tw->n; j++) {
            const struct score_unit *o = tw->w[j].u;
            if (o->group == u->group && o->rank > worst) worst = o->rank;
            if (o->scope != u->scope) continue;
            u->scope_n++;
            if (o->total > u->total + 1e-9) u->scope_rank++;
        }
        u->top_n = (int)floor(r->top_share * (double)u->scope_n + 1e-9);
        u->top = u->scope_rank <= u->top_n && !u->vetoed && u->cond_ok;
        u->z_top = u->crit_top = NAN;
        if (u->top_n && u->scope_rank == u->top_n) { /* the boundary: the next one down */
            const struct score_unit *nx = NULL;
            for (size_t j = 0; j < tw->n; j++) {
                const struct score_unit *o = tw->w[j].u;
                if (o->scope == u->scope && o->total < u->total - 1e-9 &&
                    (!nx || o->total > nx->total))
                    nx = o;
            }
            if (nx) {
                double sd = sqrt(u->se * u->se + nx->se * nx->se);
                if (isfinite(sd) && sd > 0) {
                    u->z_top = (u->total - nx->total) / sd;
                    u->crit_top = gap_crit(u, nx);
                }
            }
        }
        u->top_count = r->top_count > 0 && u->rank <= r->top_count && !u->vetoed;
        u->last = r->flag_last && u->group_n >= 2 && u->rank == worst;
        u->twice_last = 0;
        u->band = -1;
        if (r->nbands) {
            double cum = 0;
            for (int b = 0; b < r->nbands && u->band < 0; b++) {
                cum += r->bands[b].share;
                if (u->rank - 1 < cum * u->group_n - 1e-9 || b == r->nbands - 1) u->band = b;
            }
            if (u->below && r->below_band > u->band) u->band = r->below_band;
        }
    }
}

static void put_flags(struct strbuf *b, const struct plan_rank *r, const struct score_unit *u)
{
    sb_reset(b);
    if (u->top) sb_adds(b, "top,");
    if (u->top_count) sb_adds(b, "top_count,");
    if (!u->cond_ok) sb_adds(b, "condition_unmet,");
    if (u->band >= 0) sb_addf(b, "band_%s,", r->bands[u->band].en[0] ? r->bands[u->band].en
                                                                       : r->bands[u->band].zh);
    if (u->last) sb_adds(b, "last,");
    if (u->twice_last) sb_adds(b, "twice_last,");
    if (u->vetoed) sb_adds(b, "vetoed,");
    if (u->below) sb_adds(b, "below_standard,");
    if (u->unmeasured) sb_adds(b, "unmeasured,");
    if (b->len) sb_truncate(b, b->len - 1);
}

static char *detail_json(const struct plan_scoring *sc, int t, const struct work_unit *wu)
{
    json_t *d = json_object(), *nodes = json_object(), *n = json_object(), *bonus = json_object(),
           *veto = json_array();
    const struct score_unit *u = wu->u;
    char *out;
    for (int k = 0; k < sc->nnodes; k++) {
        if (sc->nodes[k].tree != t) continue;
        json_object_set_new(nodes, sc->nodes[k].id,
                            isnan(u->node[k]) ? json_null() : json_real(u->node[k]));
        if (u->n[k]) json_object_set_new(n, sc->nodes[k].id, json_integer(u->n[k]));
    }
    for (int k = 0; k < sc->nbonus; k++)
        if (wu->sh.bonus_line[k])
            json_object_set_new(bonus, sc->bonus[k].id, json_real(wu->sh.bonus[k]));
    for (int k = 0; k < sc->nveto; k++)
        if (wu->sh.veto[k] != 0) json_array_append_new(veto, json_string(sc->veto[k].id));
    if (wu->sh.raw) {
        json_t *res = json_object();
        for (int k = 0; k < sc->nnodes; k++)
            if (sc->nodes[k].tree == t && !strcmp(sc->nodes[k].source, "rank"))
                json_object_set_new(res, sc->nodes[k].id, json_real(wu->sh.raw[k]));
        json_object_set_new(d, "rank_results", res);
    }
    json_object_set_new(d, "county", json_integer(u->county));
    json_object_set_new(d, "scope_rank", json_integer(u->scope_rank));
    json_object_set_new(d, "scope_units", json_integer(u->scope_n));
    json_object_set_new(d, "df", json_integer(u->df));
    json_object_set_new(d, "crit_next",
                        isfinite(u->crit_next) ? json_real(u->crit_next) : json_null());
    json_object_set_new(d, "base", isnan(u->base) ? json_null() : json_real(u->base));
    json_object_set_new(d, "nodes", nodes);
    json_object_set_new(d, "households", n);
    json_object_set_new(d, "bonus", bonus);
    json_object_set_new(d, "veto", veto);
    json_object_set_new(d, "villages", json_integer(u->villages));
    json_object_set_new(d, "group", json_integer(u->group));
    json_object_set_new(d, "z_next", isfinite(u->z_next) ? json_real(u->z_next) : json_null());
    out = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    return out;
}

static int store_scores(struct store *s, int64_t srow, const char *sample, const char *inputs,
                        const char *inputs_sha, struct scores *x, struct tree_work *tw,
                        struct error *e)
{
    struct audit_writer w;
    struct strbuf fl = STRBUF_INIT;
    char del[96], *detail = NULL;
    int rc, open = 0;
    memset(&w, 0, sizeof w);
    rc = store_begin(s, e);
    if (rc) return rc;
    rc = audit_writer_begin(&w, s, "scores",
                            "sample, tree, unit, name, total, se, bonus, vetoed, below_standard,"
                            " rank, units, flags, detail",
                            e);
    if (rc) goto fail;
    open = 1;
    rc = audit_batch_retire_key(&w.batch, sample, e);
    if (!rc) {
        snprintf(del, sizeof del, "DELETE FROM scores WHERE sample = %lld", (long long)srow);
        rc = store_exec(s, del, e);
    }
    for (int t = 0; t < x->ntrees && !rc; t++)
        for (size_t i = 0; i < tw[t].n && !rc; i++) {
            const struct score_unit *u = tw[t].w[i].u;
            char *dj = detail_json(&x->sc, t, &tw[t].w[i]);
            put_flags(&fl, &x->sc.trees[t].rank, u);
            if (!dj || sb_ok(&fl)) {
                mem_free(dj);
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            w.v[1] = rv_int(srow);
            w.v[2] = rv_text(x->sc.trees[t].unit, strlen(x->sc.trees[t].unit));
            w.v[3] = rv_text(u->key, strlen(u->key));
            w.v[4] = rv_text(u->name, strlen(u->name));
            w.v[5] = rv_double(u->total);
            w.v[6] = isfinite(u->se) ? rv_double(u->se) : rv_null();
            w.v[7] = rv_double(u->bonus);
            w.v[8] = rv_int(u->vetoed);
            w.v[9] = rv_int(u->below);
            w.v[10] = rv_int(u->rank);
            w.v[11] = rv_int((int64_t)tw[t].n);
            w.v[12] = rv_text(fl.buf, fl.len);
            w.v[13] = rv_text(dj, strlen(dj));
            rc = audit_writer_row(&w, e);
            free(dj); /* jansson's allocator */
        }
    if (rc) goto fail;
    {
        json_t *d = json_pack("{s:s, s:s}", "inputs", inputs ? inputs : "",
                              "inputs_sha256", inputs_sha);
        detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
        json_decref(d);
    }
    open = 0;
    rc = audit_writer_commit(&w, "score", sample, detail, e);
    free(detail);
    if (!rc) rc = store_commit(s, e);
    if (rc) goto fail;
    sb_release(&fl);
    return 0;
fail:
    if (open) audit_writer_abort(&w);
    store_rollback(s);
    sb_release(&fl);
    return rc;
}

/* The sample's counties, in code order (departments' counties, the template's example departments). */
static int sample_counties(struct store *s, int64_t srow, int **out, size_t *n, struct error *e)
{
    struct stmt *q = NULL;
    int rc = store_prepare(s,
                           "SELECT DISTINCT county FROM sample_units WHERE sample = ? AND"
                           " stage = 'county' ORDER BY 1",
                           &q, e);
    *out = NULL;
    *n = 0;
    if (rc) return rc;
    stmt_bind_int(q, 1, srow);
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        int *p2 = mem_realloc(*out, (*n + 1) * sizeof **out);
        if (!p2) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            break;
        }
        *out = p2;
        (*out)[(*n)++] = (int)stmt_int(q, 0);
    }
    stmt_finalize(q);
    return rc < 0 ? rc : 0;
}

/* The plan of a stored sample, refused unless it is scored (the caller releases it). */
static int scored_plan(struct store *s, const char *sample, struct plan *p, int64_t *srow,
                       struct error *e)
{
    int rc = sample_plan(s, sample, p, NULL, 0, srow, e);
    if (rc) return rc;
    if (p->scored && p->scoring.enabled) return 0;
    rc = error_set(e, ERR_INVALID,
                   "plan %s is not scored: 不打分、不排队 (not scored, not ranked; seed 000)",
                   p->id);
    plan_release(p);
    return rc;
}

int score_sample(struct store *s, const char *sample, const char *inputs, struct scores *x,
                 struct errlist *errs, struct error *e)
{
    struct plan p;
    int64_t srow;
    struct hrec *h = NULL;
    size_t nh = 0;
    struct names strata = {0};
    struct tree_work tw[4];
    int rc, needs_sheet = 0, one = 0, *cty = NULL;
    size_t ncty = 0;
    memset(x, 0, sizeof *x);
    memset(tw, 0, sizeof tw);
    rc = scored_plan(s, sample, &p, &srow, e);
    if (rc) return rc;
    snprintf(x->sample, sizeof x->sample, "%s", sample);
    snprintf(x->plan_id, sizeof x->plan_id, "%s", p.id);
    x->sc = p.scoring;
    x->ntrees = p.scoring.ntrees;
    for (int k = 0; k < x->sc.nnodes; k++) {
        const struct plan_node *nd = &x->sc.nodes[k];
        if (nd->leaf && !strcmp(nd->source, "indicator")) tw[nd->tree].has_indicator = 1;
        if (nd->leaf && strcmp(nd->source, "indicator")) needs_sheet = 1;
    }
    if (needs_sheet && !inputs) {
        rc = error_set(e, ERR_USAGE,
                       "plan %s scores items from the team's score sheet: give --inputs FILE.csv"
                       " (columns tree,unit,item,value; `pinggu score --template` writes one)",
                       p.id);
        goto out;
    }
    rc = est_load_households(s, srow, &h, &nh, &strata, e);
    for (int t = 0; t < x->ntrees && !rc; t++)
        if (strcmp(x->sc.trees[t].unit, "department"))
            rc = load_units(s, srow, x->sc.trees[t].unit, &tw[t], x->sc.nnodes, e);
    if (!rc) rc = sample_counties(s, srow, &cty, &ncty, e);
    if (rc) goto out;
    if (ncty == 1) one = cty[0]; /* departments need not name the only county */
    for (int t = 0; t < x->ntrees; t++) place_units(&x->sc, t, &tw[t], one, "", errs);
    if (inputs) {
        rc = read_sheet(inputs, &x->sc, tw, errs, e);
        if (rc) goto out;
        file_sha256(inputs, x->inputs_sha256);
        for (int t = 0; t < x->ntrees; t++) {
            if (strcmp(x->sc.trees[t].unit, "department")) continue;
            place_units(&x->sc, t, &tw[t], one, inputs, errs);
            for (size_t i = 0; i < tw[t].n; i++) {
                const struct work_unit *wu = &tw[t].w[i];
                size_t k = 0;
                while (k < ncty && cty[k] != wu->sh.county) k++;
                if (wu->sh.county && k == ncty)
                    errlist_addf(errs, ERR_INVALID, inputs, wu->sh.county_line, 0,
                                 "department %s: county %d is not in this sample", wu->u->key,
                                 wu->sh.county);
            }
        }
    }
    /* every unit needs every score-sheet leaf */
    for (int t = 0; t < x->ntrees; t++)
        for (size_t i = 0; i < tw[t].n; i++)
            for (int k = 0; k < x->sc.nnodes; k++) {
                const struct plan_node *nd = &x->sc.nodes[k];
                if (nd->tree != t || !nd->leaf || !strcmp(nd->source, "indicator")) continue;
                if (!tw[t].w[i].sh.line[k])
                    errlist_addf(errs, ERR_INVALID, inputs ? inputs : "score sheet", 0, 0,
                                 "%s %s (%s): no score for %s (%s)", x->sc.trees[t].unit,
                                 tw[t].w[i].u->key, tw[t].w[i].u->name, nd->id, nd->zh);
            }
    /* and every condition of its tree answered: an unanswered condition is not a "no" */
    for (int t = 0; t < x->ntrees; t++)
        for (size_t i = 0; i < tw[t].n; i++)
            for (int k = 0; k < x->sc.ncond; k++)
                if (item_fits(&x->sc, &x->sc.cond[k], t) && !tw[t].w[i].sh.cond_line[k])
                    errlist_addf(errs, ERR_INVALID, inputs ? inputs : "score sheet", 0, 0,
                                 "%s %s (%s): no answer for condition %s (%s): 1 (是) or 0 (否)",
                                 x->sc.trees[t].unit, tw[t].w[i].u->key, tw[t].w[i].u->name,
                                 x->sc.cond[k].id, x->sc.cond[k].zh);
    if (errs->total) {
        rc = error_set(e, ERR_INVALID, "%zu problem(s) in the score sheet; nothing was stored",
                       errs->total);
        goto out;
    }
    /* households to units */
    for (int t = 0; t < x->ntrees; t++) {
        if (!strcmp(x->sc.trees[t].unit, "department")) continue;
        for (size_t j = 0; j < nh; j++) {
            char key[32];
            struct work_unit *wu;
            size_t *p2;
            snprintf(key, sizeof key, "%lld", (long long)hh_key(x->sc.trees[t].unit, &h[j]));
            wu = find_unit(&tw[t], key);
            if (!wu) continue;
            p2 = mem_realloc(wu->hh, (wu->nhh + 1) * sizeof *wu->hh);
            if (!p2) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            wu->hh = p2;
            wu->hh[wu->nhh++] = j;
        }
    }
    for (int t = 0; t < x->ntrees; t++) {
        struct score_tree *st = &x->t[t];
        derive_rank_leaves(&x->sc, t, &tw[t]);
        score_tree(&x->sc, t, h, &tw[t]);
        rank_flags(&x->sc, t, &tw[t]);
        memcpy(st->unit, x->sc.trees[t].unit, sizeof st->unit); /* same sizes, NUL-ended */
        memcpy(st->zh, x->sc.trees[t].zh, sizeof st->zh);
        st->u = mem_calloc(tw[t].n + 1, sizeof *st->u);
        if (!st->u) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        st->n = tw[t].n;
    }
    /* previous rounds (before storing this one), then store */
    for (int t = 0; t < x->ntrees && !rc; t++) {
        for (size_t i = 0; i < tw[t].n; i++) x->t[t].u[i] = *tw[t].w[i].u;
        if (x->sc.trees[t].rank.twice_last)
            rc = previous_last(s, srow, x->sc.trees[t].unit, &x->t[t], e);
        for (size_t i = 0; i < tw[t].n; i++) tw[t].w[i].u->twice_last = x->t[t].u[i].twice_last;
    }
    if (!rc) rc = store_scores(s, srow, sample, inputs, x->inputs_sha256, x, tw, e);
    if (!rc)
        for (int t = 0; t < x->ntrees; t++)
            for (size_t i = 0; i < tw[t].n; i++) { /* the node arrays now belong to x */
                mem_free(tw[t].w[i].u);
                tw[t].w[i].u = NULL;
            }
out:
    if (rc)
        for (int t = 0; t < 4; t++) { /* copies in x share the arrays: work_release frees them */
            mem_free(x->t[t].u);
            x->t[t].u = NULL;
            x->t[t].n = 0;
        }
    for (int t = 0; t < 4; t++) work_release(&tw[t]);
    mem_free(cty);
    mem_free(h);
    mem_free(strata.s);
    plan_release(&p);
    return rc;
}

void scores_release(struct scores *x)
{
    for (int t = 0; t < 4; t++) {
        for (size_t i = 0; i < x->t[t].n; i++) {
            mem_free(x->t[t].u[i].node);
            mem_free(x->t[t].u[i].n);
        }
        mem_free(x->t[t].u);
    }
    memset(x, 0, sizeof *x);
}

static void flags_zh(char *out, size_t size, const struct plan_rank *r,
                     const struct score_unit *u, int boundary)
{
    size_t k = 0;
    out[0] = 0;
#define ADD(s)                                                                                 \
    do {                                                                                       \
        int m = snprintf(out + k, size - k, "%s%s", k ? " " : "", s);                        \
        if (m > 0 && (size_t)m < size - k) k += (size_t)m;                                    \
    } while (0)
    if (u->band >= 0) {
        char band[48];
        snprintf(band, sizeof band, "%s(%s)", r->bands[u->band].zh, r->bands[u->band].en);
        ADD(band);
    }
    if (u->top) ADD("前列(top)");
    if (u->top_count) ADD("前十名(first ten)");
    if (!u->cond_ok) ADD("未满足前列条件(condition unmet)");
    if (u->last) ADD("倒数第一(last)");
    if (u->twice_last) ADD("连续两次倒数第一(last twice)");
    if (u->vetoed) ADD("一票否决(veto)");
    if (u->below) ADD("未全面达标(below standard)");
    if (u->unmeasured) ADD("有指标未测得(unmeasured)");
    if (boundary && u->last) ADD("与上一名差距在抽样误差内(within sampling error of the next up)");
    else if (boundary)
        ADD("前列边界: 与范围内下一名差距在抽样误差内(top-share boundary within sampling error "
            "of the next down in the top scope)");
#undef ADD
}

void scores_print(const struct scores *x, int json, FILE *f)
{
    const struct plan_scoring *sc = &x->sc;
    if (json) {
        json_t *o = json_object(), *trees = json_array();
        char *txt;
        json_object_set_new(o, "sample", json_string(x->sample));
        json_object_set_new(o, "plan", json_string(x->plan_id));
        json_object_set_new(o, "scheme", json_string(sc->scheme));
        for (int t = 0; t < x->ntrees; t++) {
            const struct score_tree *st = &x->t[t];
            const struct plan_rank *st_rank = &sc->trees[t].rank;
            json_t *to = json_object(), *units = json_array();
            json_object_set_new(to, "unit", json_string(st->unit));
            json_object_set_new(to, "rank_group", json_string(st_rank->group));
            json_object_set_new(to, "top_scope", json_string(st_rank->top_scope));
            json_object_set_new(to, "previous", json_string(st->previous));
            for (size_t i = 0; i < st->n; i++) {
                const struct score_unit *u = &st->u[i];
                json_t *uo = json_object(), *nodes = json_object();
                for (int k = 0; k < sc->nnodes; k++)
                    if (sc->nodes[k].tree == t)
                        json_object_set_new(nodes, sc->nodes[k].id,
                                            isnan(u->node[k]) ? json_null()
                                                              : json_real(u->node[k]));
                json_object_set_new(uo, "unit", json_string(u->key));
                json_object_set_new(uo, "name", json_string(u->name));
                json_object_set_new(uo, "county", json_integer(u->county));
                json_object_set_new(uo, "city", json_integer(u->city));
                json_object_set_new(uo, "group", json_integer(u->group));
                json_object_set_new(uo, "group_units", json_integer(u->group_n));
                json_object_set_new(uo, "top_scope", json_integer(u->scope));
                json_object_set_new(uo, "top_scope_units", json_integer(u->scope_n));
                json_object_set_new(uo, "top_scope_rank", json_integer(u->scope_rank));
                json_object_set_new(uo, "top_n", json_integer(u->top_n));
                json_object_set_new(uo, "rank", json_integer(u->rank));
                json_object_set_new(uo, "total", json_real(u->total));
                json_object_set_new(uo, "se", isfinite(u->se) ? json_real(u->se) : json_null());
                json_object_set_new(uo, "df", json_integer(u->df));
                json_object_set_new(uo, "base", isnan(u->base) ? json_null() : json_real(u->base));
                json_object_set_new(uo, "bonus", json_real(u->bonus));
                json_object_set_new(uo, "vetoed", json_boolean(u->vetoed));
                json_object_set_new(uo, "below_standard", json_integer(u->below));
                json_object_set_new(uo, "conditions_met", json_boolean(u->cond_ok));
                json_object_set_new(uo, "top", json_boolean(u->top));
                json_object_set_new(uo, "top_count", json_boolean(u->top_count));
                json_object_set_new(uo, "band",
                                    u->band >= 0 ? json_string(st_rank->bands[u->band].zh)
                                                 : json_null());
                json_object_set_new(uo, "last", json_boolean(u->last));
                json_object_set_new(uo, "twice_last", json_boolean(u->twice_last));
                json_object_set_new(uo, "z_next",
                                    isfinite(u->z_next) ? json_real(u->z_next) : json_null());
                json_object_set_new(uo, "z_top",
                                    isfinite(u->z_top) ? json_real(u->z_top) : json_null());
                json_object_set_new(uo, "crit_top",
                                    isfinite(u->crit_top) ? json_real(u->crit_top) : json_null());
                json_object_set_new(uo, "crit_next", isfinite(u->crit_next)
                                                         ? json_real(u->crit_next)
                                                         : json_null());
                json_object_set_new(uo, "nodes", nodes);
                json_array_append_new(units, uo);
            }
            json_object_set_new(to, "units", units);
            json_array_append_new(trees, to);
        }
        json_object_set_new(o, "trees", trees);
        txt = json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        if (txt) fprintf(f, "%s\n", txt);
        free(txt);
        json_decref(o);
        return;
    }
    fprintf(f, "评分排名 scores and ranking — sample %s, plan %s (%s)\n", x->sample, x->plan_id,
            sc->scheme);
    if (x->inputs_sha256[0]) fprintf(f, "score sheet SHA-256 %s\n", x->inputs_sha256);
    for (int t = 0; t < x->ntrees; t++) {
        const struct score_tree *st = &x->t[t];
        const struct plan_rank *rk = &sc->trees[t].rank;
        int roots[PLAN_MAX_NODES], nr = 0, any_se = 0;
        for (int k = 0; k < sc->nnodes; k++)
            if (sc->nodes[k].tree == t && (sc->nodes[k].parent < 0 ||
                                           !strcmp(sc->nodes[k].source, "indicator")))
                roots[nr++] = k;
        fprintf(f, "\n%s (%s): %zu units", st->zh, st->unit, st->n);
        if (strcmp(rk->group, "all")) fprintf(f, ", ranked within their %s", rk->group);
        if (rk->top_share > 0 && strcmp(rk->top_scope, rk->group))
            fprintf(f, "; the top %.0f%% counted across the %s", 100 * rk->top_share,
                    !strcmp(rk->top_scope, "all") ? "sample" : rk->top_scope);
        if (st->previous[0]) fprintf(f, "; previous round: %s", st->previous);
        fprintf(f, "\n");
        if (!st->n) {
            fprintf(f, "  (no units: none on the score sheet)\n");
            continue;
        }
        fprintf(f, "  %-4s %-12s %-18s %7s %6s %7s %5s", "名次", "unit", "name", "总分", "s.e.",
                "基础分", "加分");
        for (int r = 0; r < nr; r++) fprintf(f, " %10.10s", sc->nodes[roots[r]].id);
        fprintf(f, "  标记 flags\n");
        for (size_t i = 0; i < st->n; i++) {
            const struct score_unit *u = &st->u[i];
            char fz[400], se[16];
            /* the top share's last unit against the first outside it; the last place
             * against the unit above it */
            int boundary = (isfinite(u->z_top) && fabs(u->z_top) < u->crit_top) ||
                           (u->last && i > 0 && isfinite(st->u[i - 1].z_next) &&
                            fabs(st->u[i - 1].z_next) < st->u[i - 1].crit_next);
            if (isfinite(u->se)) snprintf(se, sizeof se, "%.1f", u->se), any_se = 1;
            else snprintf(se, sizeof se, "—");
            flags_zh(fz, sizeof fz, rk, u, boundary);
            if (i == 0 || st->u[i - 1].group != u->group) {
                if (!strcmp(rk->group, "county"))
                    fprintf(f, "  县 county %d: %d units", u->group, u->group_n);
                else if (!strcmp(rk->group, "city"))
                    fprintf(f, "  市 city %d: %d units", u->group, u->group_n);
                else fprintf(f, "  %d units", u->group_n);
                if (u->top_n)
                    fprintf(f, "; top %.0f%% = %d of %d%s", 100 * rk->top_share, u->top_n,
                            u->scope_n, strcmp(rk->top_scope, rk->group) ? " (top scope)" : "");
                fprintf(f, "\n");
            }
            fprintf(f, "  %-4d %-12s %-18.18s %7.2f %6s %7.2f %5.1f", u->rank, u->key, u->name,
                    u->total, se, isnan(u->base) ? 0.0 : u->base, u->bonus);
            for (int r = 0; r < nr; r++) {
                double v = u->node[roots[r]];
                if (isnan(v)) fprintf(f, " %10s", "—");
                else fprintf(f, " %10.1f", v);
            }
            fprintf(f, "  %s\n", fz);
        }
        fprintf(f, "  columns: ");
        for (int r = 0; r < nr; r++)
            fprintf(f, "%s%s=%s", r ? ", " : "", sc->nodes[roots[r]].id, sc->nodes[roots[r]].zh);
        fprintf(f, "\n");
        if (any_se)
            fprintf(f, "  s.e.: delete-one-village jackknife of the score (score sheet fixed), "
                       "villages − 1 degrees of freedom; \"within sampling error\" marks a last "
                       "place or top-share boundary whose gap to the next unit is under the "
                       "97.5%% t quantile (Welch–Satterthwaite degrees of freedom) in standard "
                       "errors: the survey cannot tell those two apart.\n");
    }
}

int score_template(struct store *s, const char *sample, FILE *f, struct error *e)
{
    struct plan p;
    int64_t srow;
    struct tree_work tw[4];
    struct strbuf b = STRBUF_INIT;
    int rc, *cty = NULL;
    size_t ncty = 0;
    memset(tw, 0, sizeof tw);
    rc = scored_plan(s, sample, &p, &srow, e);
    if (rc) return rc;
    rc = sample_counties(s, srow, &cty, &ncty, e);
    for (int t = 0; t < p.scoring.ntrees && !rc; t++)
        if (strcmp(p.scoring.trees[t].unit, "department")) {
            rc = load_units(s, srow, p.scoring.trees[t].unit, &tw[t], p.scoring.nnodes, e);
            place_units(&p.scoring, t, &tw[t], 0, "", NULL);
        } else
            for (size_t c = 0; c < ncty && !rc; c++) {
                char key[48];
                snprintf(key, sizeof key, "%d-部门1", cty[c]);
                if (add_unit(&tw[t], key, "部门1", p.scoring.nnodes))
                    rc = error_set(e, ERR_NOMEM, "out of memory");
                else tw[t].w[tw[t].n - 1].u->county = cty[c];
            }
    if (rc) goto out;
    sb_adds(&b, "tree,unit,name,county,item,item_name,value\n");
    for (int t = 0; t < p.scoring.ntrees; t++)
        for (size_t i = 0; i < tw[t].n; i++) {
            const struct score_unit *u = tw[t].w[i].u;
            char county[16] = "";
            if (u->county) snprintf(county, sizeof county, "%d", u->county);
#define ROW(id, zh, val)                                                                      \
    do {                                                                                       \
        sb_add_csv(&b, p.scoring.trees[t].unit, strlen(p.scoring.trees[t].unit));             \
        sb_addch(&b, ',');                                                                     \
        sb_add_csv(&b, u->key, strlen(u->key));                                                \
        sb_addch(&b, ',');                                                                     \
        sb_add_csv(&b, u->name, strlen(u->name));                                              \
        sb_addf(&b, ",%s,", county);                                                           \
        sb_add_csv(&b, id, strlen(id));                                                        \
        sb_addch(&b, ',');                                                                     \
        sb_add_csv(&b, zh, strlen(zh));                                                        \
        sb_addf(&b, ",%s\n", val);                                                             \
    } while (0)
            for (int k = 0; k < p.scoring.nnodes; k++) {
                const struct plan_node *nd = &p.scoring.nodes[k];
                char zh[160];
                if (nd->tree != t || !nd->leaf || !strcmp(nd->source, "indicator")) continue;
                if (!strcmp(nd->source, "rank"))
                    snprintf(zh, sizeof zh, "%s: 评估结果 (result; scored by its place)", nd->zh);
                else if (!strcmp(nd->source, "share"))
                    snprintf(zh, sizeof zh, "%s: 得分/满分 (got/full)", nd->zh);
                else snprintf(zh, sizeof zh, "%s", nd->zh);
                ROW(nd->id, zh, "");
            }
            for (int k = 0; k < p.scoring.nbonus; k++)
                if (item_fits(&p.scoring, &p.scoring.bonus[k], t))
                    ROW(p.scoring.bonus[k].id, p.scoring.bonus[k].zh, "0");
            for (int k = 0; k < p.scoring.nveto; k++)
                if (item_fits(&p.scoring, &p.scoring.veto[k], t))
                    ROW(p.scoring.veto[k].id, p.scoring.veto[k].zh, "0");
            for (int k = 0; k < p.scoring.ncond; k++)
                if (item_fits(&p.scoring, &p.scoring.cond[k], t))
                    ROW(p.scoring.cond[k].id, p.scoring.cond[k].zh, "");
#undef ROW
        }
    if (sb_ok(&b)) rc = error_set(e, ERR_NOMEM, "out of memory");
    else if (fwrite(b.buf, 1, b.len, f) != b.len) rc = error_set(e, ERR_IO, "write failed");
out:
    for (int t = 0; t < 4; t++) work_release(&tw[t]);
    mem_free(cty);
    sb_release(&b);
    plan_release(&p);
    return rc;
}
