/*
 * bulletin.c — the monthly ranking bulletin (monitor.h; seed 001, Shaanxi: "每个月对各市(区)和
 * 省直责任部门扶贫工作进行排名通报,排出好中差,倒数第一的主要领导表态发言"; docs/monitoring.md §4).
 *
 * The score sheet holds one row per unit and month (month, unit, kind, score); cities and
 * provincial departments are ranked apart. Within a kind and month: higher score, better
 * rank; equal scores share a rank (competition ranking 1, 2, 2, 4), so a tie at the bottom
 * flags every unit in it as 倒数第一 (the seed's statement is per unit's leader; pinggu does
 * not break a tie it cannot justify). Bands: the seed says 好中差 without a rule, so the rule is
 * data (rules/monitor.json or the plan): a unit whose rank is within the top round(n x good)
 * is 好, one whose rank counted from the bottom (1 + units scoring lower) is within the bottom
 * round(n x poor) is 差, the rest 中 — ranks counted from both ends, so a tie never splits a
 * band and units tied for last are always 差. Counts are rounded half away from zero.
 * Movement compares with the same kind's ranks of the month before; the run of last places
 * counts back month by month while the unit was last.
 */
#include "monitor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct srow {
    int month; /* YYYYMM */
    char unit[96];
    char kind[16];
    double score;
    int rank, n, last;
    int from_bottom; /* 1 + units of its kind and month with a lower score */
};

static const struct csv_column cols[] = {
    {"month", "月份|月度", 1},
    {"unit", "单位|市(区)|部门|名称", 1},
    {"kind", "类别|类型", 1},
    {"score", "得分|分数|综合得分", 1},
};

static int read_sheet(const char *path, struct srow **out, size_t *n, struct error *e)
{
    struct csv *c = NULL;
    size_t cap = 0;
    int idx[4], rc;
    *out = NULL;
    *n = 0;
    if ((rc = csv_open(path, &c, e))) return rc;
    if ((rc = csv_next(c, e)) <= 0) {
        if (!rc) rc = error_at(e, ERR_PARSE, path, 1, 0, "empty file (no header)");
        goto out;
    }
    if ((rc = csv_map_header(c, cols, 4, idx, NULL, e))) goto out;
    while ((rc = csv_next(c, e)) == 1) {
        struct srow *x;
        long line = csv_line(c);
        const char *m = csv_field(c, (size_t)idx[0]), *k = csv_field(c, (size_t)idx[2]);
        const char *sc = csv_field(c, (size_t)idx[3]);
        int64_t y, mo;
        char yb[5];
        if (csv_row_blank(c)) continue;
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct srow *p = mem_realloc(*out, nc * sizeof *p);
            if (!p) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            *out = p, cap = nc;
        }
        x = &(*out)[*n];
        memset(x, 0, sizeof *x);
        if (strlen(m) != 7 || m[4] != '-' || (memcpy(yb, m, 4), yb[4] = 0, parse_int64(yb, &y)) ||
            parse_int64(m + 5, &mo) || mo < 1 || mo > 12 || y < 2000 || y > 2100) {
            rc = error_at(e, ERR_PARSE, path, line, idx[0] + 1, "month '%s' is not YYYY-MM", m);
            goto out;
        }
        x->month = (int)(y * 100 + mo);
        snprintf(x->unit, sizeof x->unit, "%s", csv_field(c, (size_t)idx[1]));
        utf8_trim(x->unit);
        if (!x->unit[0]) {
            rc = error_at(e, ERR_PARSE, path, line, idx[1] + 1, "the unit has no name");
            goto out;
        }
        if (str_in_list(k, strlen(k), "city|市|市(区)|市区"))
            snprintf(x->kind, sizeof x->kind, "city");
        else if (str_in_list(k, strlen(k), "department|部门|省直部门|省直责任部门"))
            snprintf(x->kind, sizeof x->kind, "department");
        else {
            rc = error_at(e, ERR_PARSE, path, line, idx[2] + 1,
                          "kind '%s' is neither city (市(区)) nor department (省直责任部门)", k);
            goto out;
        }
        if (parse_double(sc, &x->score) || !isfinite(x->score)) {
            rc = error_at(e, ERR_PARSE, path, line, idx[3] + 1, "score '%s' is not a number", sc);
            goto out;
        }
        for (size_t i = 0; i < *n; i++)
            if ((*out)[i].month == x->month && !strcmp((*out)[i].unit, x->unit) &&
                !strcmp((*out)[i].kind, x->kind)) {
                rc = error_at(e, ERR_INVALID, path, line, idx[1] + 1, "%s has two scores for %s",
                              x->unit, m);
                goto out;
            }
        (*n)++;
    }
    if (rc < 0) goto out;
    rc = 0;
out:
    csv_close(c);
    return rc;
}

/* Ranks every (month, kind) group in place. */
static void rank_all(struct srow *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int better = 0, count = 0, lower = 0;
        for (size_t j = 0; j < n; j++) {
            if (v[j].month != v[i].month || strcmp(v[j].kind, v[i].kind)) continue;
            count++;
            better += v[j].score > v[i].score;
            lower += v[j].score < v[i].score;
        }
        v[i].rank = better + 1;
        v[i].from_bottom = lower + 1;
        v[i].n = count;
        v[i].last = lower == 0 && count > 1;
    }
}

static const struct srow *find(const struct srow *v, size_t n, int month, const char *unit,
                               const char *kind)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].month == month && !strcmp(v[i].unit, unit) && !strcmp(v[i].kind, kind))
            return &v[i];
    return NULL;
}

static int prev_month(int m)
{
    return m % 100 == 1 ? (m / 100 - 1) * 100 + 12 : m - 1;
}

static int cmp_row(const void *a, const void *b)
{
    const struct bulletin_row *x = a, *y = b;
    int k = strcmp(x->kind, y->kind);
    if (k) return k;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    return strcmp(x->unit, y->unit);
}

int bulletin_rank(const char *path, int yyyymm, const struct bulletin_rules *r,
                  struct bulletin_row **out, size_t *n, struct error *e)
{
    struct srow *v = NULL;
    struct bulletin_row *o = NULL;
    size_t nv = 0, no = 0;
    int rc;
    *out = NULL;
    *n = 0;
    if ((rc = read_sheet(path, &v, &nv, e))) goto out;
    rank_all(v, nv);
    if (!(o = mem_calloc(nv ? nv : 1, sizeof *o))) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nv; i++) {
        struct bulletin_row *b;
        const struct srow *p;
        long good, poor;
        if (v[i].month != yyyymm) continue;
        b = &o[no++];
        snprintf(b->unit, sizeof b->unit, "%s", v[i].unit);
        snprintf(b->kind, sizeof b->kind, "%s", v[i].kind);
        b->score = v[i].score;
        b->rank = v[i].rank;
        b->n = v[i].n;
        good = lround(b->n * r->good_share);
        poor = lround(b->n * r->poor_share);
        snprintf(b->band, sizeof b->band, "%s",
                 b->rank <= good            ? "好 good"
                 : v[i].from_bottom <= poor ? "差 poor"
                                            : "中 middle");
        p = find(v, nv, prev_month(yyyymm), b->unit, b->kind);
        b->prev_rank = p ? p->rank : 0;
        b->movement = p ? p->rank - b->rank : 0;
        b->last = v[i].last;
        for (int m = yyyymm; (p = find(v, nv, m, b->unit, b->kind)) && p->last; m = prev_month(m))
            b->last_run++;
    }
    if (!no) {
        rc = error_set(e, ERR_NOTFOUND, "%s: no scores for %04d-%02d", path, yyyymm / 100,
                       yyyymm % 100);
        goto out;
    }
    qsort(o, no, sizeof *o, cmp_row);
    *out = o;
    *n = no;
    o = NULL;
    rc = 0;
out:
    mem_free(v);
    mem_free(o);
    return rc;
}

int bulletin_doc(const struct bulletin_row *v, size_t n, int yyyymm,
                 const struct bulletin_rules *r, struct mon_doc **out)
{
    static const char *const c[] = {
        "名次 rank",       "单位 unit",     "得分 score",         "等次 band",
        "上月 last month", "升降 movement", "表态发言 statement", "连续倒数第一 months last"};
    struct mon_doc *d = NULL;
    struct mon_table *tc, *td;
    char title[128];
    int rc;
    *out = NULL;
    snprintf(title, sizeof title, "脱贫攻坚工作月度排名通报 Monthly ranking %04d-%02d",
             yyyymm / 100, yyyymm % 100);
    if ((rc = mon_doc_new(title, &d))) return rc;
    mon_doc_para(
        d,
        "陕西:\"每个月对各市(区)和省直责任部门扶贫工作进行排名通报,排出好中差,倒数第一的主要"
        "领导表态发言\" (seed 001). Bands: the top %.0f%% of each kind 好, the bottom "
        "%.0f%% 差, the rest 中; equal scores share a rank.",
        r->good_share * 100, r->poor_share * 100);
    tc = mon_doc_table(d, "各市(区) cities", "各市(区) Cities and districts", c, 8);
    td = mon_doc_table(d, "省直部门 departments", "省直责任部门 Provincial departments", c, 8);
    for (size_t i = 0; i < n; i++) {
        const struct bulletin_row *b = &v[i];
        char prev[16], mv[24];
        if (b->prev_rank) {
            snprintf(prev, sizeof prev, "%d", b->prev_rank);
            snprintf(mv, sizeof mv, "%s%d",
                     b->movement > 0   ? "↑"
                     : b->movement < 0 ? "↓"
                                       : "=",
                     abs(b->movement));
        } else {
            snprintf(prev, sizeof prev, "-");
            snprintf(mv, sizeof mv, "新 new");
        }
        mon_table_rowf(strcmp(b->kind, "city") ? td : tc, "%d\t%s\t%g\t%s\t%s\t%s\t%s\t%d", b->rank,
                       b->unit, b->score, b->band, prev, mv, b->last ? "倒数第一 表态发言" : "",
                       b->last_run);
    }
    *out = d;
    return 0;
}

int bulletin_write(const struct bulletin_row *v, size_t n, int yyyymm,
                   const struct bulletin_rules *r, const char *dir, struct error *e)
{
    struct mon_doc *d = NULL;
    char base[48];
    int rc;
    snprintf(base, sizeof base, "bulletin-%04d-%02d", yyyymm / 100, yyyymm % 100);
    if (bulletin_doc(v, n, yyyymm, r, &d)) return error_set(e, ERR_NOMEM, "out of memory");
    rc = mon_doc_write(d, dir, base, e);
    mon_doc_free(d);
    return rc;
}
