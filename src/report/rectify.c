/*
 * rectify.c — the rectification report (整改报告, report.h report_rectification; DESIGN §8),
 * laid out as seed 004's two example reports (articles 4 and 5, "国家及省级脱贫攻坚第三方成效评估
 * 检查反馈问题的整改报告"): 一、整改内容及结果, with the problems grouped by kind under （一）共性
 * 问题 and （二）个性问题, each kind headed "N.关于…方面存在的问题" and followed by 具体表现 (what
 * was found, with examples: "例如龙潭等村"), 整改措施 and 整改结果 (with dates: "于5月15日前…");
 * then the seed's 二、主要做法 and 三、下一步工作安排 as boxes for the county, and the progress per
 * county. HTML and XLSX (one row per problem, for the office to sort).
 *
 * Which problems: those accepted — confirmed or later (fed back, rectifying, rectified, closed,
 * rechecked); candidates, problems still being verified and dismissed ones are not in it (seed
 * 000: 凡没有核准、核实,或证据不充分的,将不作为问题予以采信).
 *
 * 共性 or 个性 (common or individual): a kind of problem is common when the round's accepted
 * problems of that kind lie in at least `common_min` counties (default 2), individual when they
 * lie in fewer. The seed's reports receive "共性问题" from the assessment teams — problems the
 * assessment found across the places it assessed — beside the place's own; pinggu holds the
 * whole round, so it can say which kinds recur across counties. The county is the unit because
 * the report is per county (the seed's is a township's, under its county's plan) and
 * rectification is organised per county; with --county the classification is still the
 * round's, so a kind the county shares with others is common for it too. A round of one
 * county has only individual problems.
 *
 * Invariants: read-only on the store; resident IDs in any text are masked; files are staged
 * and renamed together (report.h invariant 3).
 */
#include "report_int.h"
#include "../problem/problem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xlsxwriter.h>

struct ritem {
    int64_t id;
    int county;
    char *county_name, *township, *village, *unit, *kind, *description;
    int found_on;
    const struct problem_progress *pg;
    int common;
};

struct rdata {
    struct ritem *v;
    size_t n;
    struct problem_progress *pg;
    size_t npg;
    const char *round;
    int county, asof, common_min;
    char county_name[128];
    const char **kinds; /* distinct kinds in order of first appearance (borrowed) */
    size_t nkinds;
    int *kind_common, *kind_counties;
};

static void rdata_free(struct rdata *d)
{
    for (size_t i = 0; i < d->n; i++) {
        mem_free(d->v[i].county_name);
        mem_free(d->v[i].township);
        mem_free(d->v[i].village);
        mem_free(d->v[i].unit);
        mem_free(d->v[i].kind);
        mem_free(d->v[i].description);
    }
    mem_free(d->v);
    mem_free(d->kinds);
    mem_free(d->kind_common);
    mem_free(d->kind_counties);
    problem_progress_free(d->pg, d->npg);
}

static int accepted(enum problem_state s)
{
    return s >= PS_CONFIRMED && s != PS_DISMISSED;
}

static void day(int d, char out[16])
{
    if (d <= 0) snprintf(out, 16, "%s", "");
    else snprintf(out, 16, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
}

/* "2020年5月15日" */
static void day_zh(int d, char out[32])
{
    snprintf(out, 32, "%d年%d月%d日", d / 10000, d / 100 % 100, d % 100);
}

static int load(struct store *s, struct rdata *d, struct error *e)
{
    struct stmt *q = NULL;
    size_t cap = 0;
    int64_t srow = 0;
    int rc = store_prepare(s, "SELECT row_no FROM samples WHERE name = ?", &q, e);
    if (rc) return rc;
    stmt_bind_text(q, 1, d->round, strlen(d->round));
    rc = stmt_step(q, e);
    if (rc == STORE_ROW) srow = stmt_int(q, 0);
    stmt_finalize(q);
    if (rc == STORE_DONE) return error_set(e, ERR_NOTFOUND, "no round (sample) named '%s'", d->round);
    if (rc < 0) return rc;
    if (d->county) {
        rc = store_prepare(s, "SELECT name FROM counties WHERE code = ?", &q, e);
        if (rc) return rc;
        stmt_bind_int(q, 1, d->county);
        rc = stmt_step(q, e);
        if (rc == STORE_ROW) snprintf(d->county_name, sizeof d->county_name, "%s", stmt_text(q, 0));
        stmt_finalize(q);
        if (rc == STORE_DONE) return error_set(e, ERR_INVALID, "no county %d", d->county);
        if (rc < 0) return rc;
    }
    rc = problem_progress_list(s, d->round, d->asof, &d->pg, &d->npg, e);
    if (rc) return rc;
    rc = store_prepare(s,
                       "SELECT p.row_no, p.county, coalesce(c.name, ''), coalesce(t.name, ''),"
                       " coalesce(v.name, ''), p.unit, p.kind, p.description, p.found_on"
                       " FROM problems p LEFT JOIN counties c ON c.code = p.county"
                       " LEFT JOIN townships t ON t.code = p.township"
                       " LEFT JOIN villages v ON v.code = p.village"
                       " WHERE p.sample = ? ORDER BY p.county, p.row_no",
                       &q, e);
    if (rc) return rc;
    stmt_bind_int(q, 1, srow);
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        int64_t id = stmt_int(q, 0);
        const struct problem_progress *pg = NULL;
        struct ritem *x;
        for (size_t j = 0; j < d->npg; j++)
            if (d->pg[j].id == id) pg = &d->pg[j];
        if (!pg || !accepted(pg->state)) continue;
        if (d->n == cap) {
            size_t c = cap ? cap * 2 : 16;
            struct ritem *nv = mem_realloc(d->v, c * sizeof *nv);
            if (!nv) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            d->v = nv;
            cap = c;
        }
        x = &d->v[d->n++];
        memset(x, 0, sizeof *x);
        x->id = id;
        x->county = (int)stmt_int(q, 1);
        x->county_name = mem_strdup(stmt_text(q, 2));
        x->township = mem_strdup(stmt_text(q, 3));
        x->village = mem_strdup(stmt_text(q, 4));
        x->unit = mem_strdup(stmt_text(q, 5));
        x->kind = mem_strdup(stmt_text(q, 6));
        x->description = mem_strdup(stmt_text(q, 7));
        if (parse_date(stmt_text(q, 8), &x->found_on)) x->found_on = 0;
        x->pg = pg;
        if (!x->county_name || !x->township || !x->village || !x->unit || !x->kind ||
            !x->description) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            break;
        }
    }
    stmt_finalize(q);
    if (rc < 0) return rc;
    /* kinds, and in how many counties each lies (the whole round) */
    d->kinds = mem_calloc(d->n + 1, sizeof *d->kinds);
    d->kind_common = mem_calloc(d->n + 1, sizeof *d->kind_common);
    d->kind_counties = mem_calloc(d->n + 1, sizeof *d->kind_counties);
    if (!d->kinds || !d->kind_common || !d->kind_counties)
        return error_set(e, ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < d->n; i++) {
        size_t k = 0;
        while (k < d->nkinds && strcmp(d->kinds[k], d->v[i].kind)) k++;
        if (k == d->nkinds) d->kinds[d->nkinds++] = d->v[i].kind;
        {
            int seen = 0; /* items are in county order: a county is new at its first item */
            for (size_t j = 0; j < i && !seen; j++)
                seen = d->v[j].county == d->v[i].county && !strcmp(d->v[j].kind, d->v[i].kind);
            if (!seen) d->kind_counties[k]++;
        }
    }
    for (size_t k = 0; k < d->nkinds; k++) d->kind_common[k] = d->kind_counties[k] >= d->common_min;
    for (size_t i = 0; i < d->n; i++)
        for (size_t k = 0; k < d->nkinds; k++)
            if (!strcmp(d->kinds[k], d->v[i].kind)) d->v[i].common = d->kind_common[k];
    return 0;
}

static int shown(const struct rdata *d, const struct ritem *x)
{
    return !d->county || x->county == d->county;
}

/* Where a problem was found, for 具体表现's examples: "清丰县丰青镇松和村（户 3401…）". */
static void where(struct strbuf *sb, const struct ritem *x)
{
    sb_adds(sb, x->county_name);
    sb_adds(sb, x->township);
    sb_adds(sb, x->village);
    if (x->unit && strlen(x->unit) > 12) {
        sb_adds(sb, "（户 ");
        sb_adds(sb, x->unit);
        sb_adds(sb, "）");
    }
}

/* 整改结果 of one problem, with its dates. */
static void result_text(struct strbuf *sb, const struct rdata *d, const struct ritem *x)
{
    const struct problem_progress *p = x->pg;
    char b[32];
    if (p->rectified_on && p->result && *p->result) {
        day_zh(p->rectified_on, b);
        sb_addf(sb, "于%s整改完成：", b);
        sb_adds(sb, p->result);
        if (p->late) sb_adds(sb, "（超过整改时限）");
        if (p->closed_on) {
            day_zh(p->closed_on, b);
            sb_addf(sb, "；%s销号", b);
        }
        if (p->rechecked_on) {
            day_zh(p->rechecked_on, b);
            sb_addf(sb, "；%s复查属实", b);
        }
        if (p->state == PS_RECTIFYING) sb_adds(sb, "；已退回重新整改");
        sb_adds(sb, "。");
        return;
    }
    if (p->state == PS_CONFIRMED) {
        sb_adds(sb, "问题已核实属实，待一对一反馈。");
        return;
    }
    if (p->state == PS_FED_BACK) {
        sb_adds(sb, "已反馈，待制定整改措施。");
        return;
    }
    if (p->deadline) {
        day_zh(p->deadline, b);
        sb_addf(sb, "整改中，整改时限%s", b);
        if (p->overdue) {
            char a[32];
            day_zh(d->asof, a);
            sb_addf(sb, "，截至%s已逾期", a);
        }
        sb_adds(sb, "。");
    } else {
        sb_adds(sb, "整改中。");
    }
}

/* 整改措施 of one problem with who and by when. */
static void measures_text(struct strbuf *sb, const struct ritem *x)
{
    const struct problem_progress *p = x->pg;
    char b[32];
    if (!p->measures || !*p->measures) {
        sb_adds(sb, "尚未制定。");
        return;
    }
    sb_adds(sb, p->measures);
    sb_adds(sb, "（责任单位：");
    sb_adds(sb, p->responsible_unit ? p->responsible_unit : "");
    sb_adds(sb, "，责任人：");
    sb_adds(sb, p->responsible_person ? p->responsible_person : "");
    if (p->deadline) {
        day_zh(p->deadline, b);
        sb_addf(sb, "，整改时限：%s前", b);
    }
    sb_adds(sb, "）");
}

static const char *const cn_num[] = {"一", "二", "三", "四"};

static void html_group(struct strbuf *sb, const struct report *r, const struct rdata *d,
                       int common, int part)
{
    struct strbuf t = STRBUF_INIT;
    size_t nk = 0, np = 0, kn = 0;
    for (size_t k = 0; k < d->nkinds; k++) {
        size_t m = 0;
        if (d->kind_common[k] != common) continue;
        for (size_t i = 0; i < d->n; i++)
            if (shown(d, &d->v[i]) && !strcmp(d->v[i].kind, d->kinds[k])) m++;
        if (m) nk++, np += m;
    }
    sb_addf(sb, "<h3>（%s）%s（%zu类，%zu个）</h3>\n", cn_num[part],
            common ? "共性问题 Common problems" : "个性问题 Individual problems", nk, np);
    if (!nk) sb_adds(sb, "<p class=\"muted\">无。</p>\n");
    for (size_t k = 0; k < d->nkinds; k++) {
        size_t m = 0, ex = 0, counted = 0;
        if (d->kind_common[k] != common) continue;
        for (size_t i = 0; i < d->n; i++)
            if (shown(d, &d->v[i]) && !strcmp(d->v[i].kind, d->kinds[k])) m++;
        if (!m) continue;
        sb_addf(sb, "<h4>%zu.关于", ++kn);
        rpt_html(sb, r, rpt_kind_zh(d->kinds[k]));
        sb_addf(sb, "方面存在的问题（%zu个，全轮涉及 %d 个县）</h4>\n", m, d->kind_counties[k]);
        /* 具体表现 with examples */
        sb_adds(sb, "<p><b>具体表现：</b>");
        for (size_t i = 0; i < d->n; i++) {
            const struct ritem *x = &d->v[i];
            if (!shown(d, x) || strcmp(x->kind, d->kinds[k])) continue;
            sb_reset(&t);
            counted++;
            sb_addf(&t, "%s%zu.", counted > 1 ? "；" : "", counted);
            sb_adds(&t, x->description);
            rpt_html(sb, r, t.oom ? "" : t.buf);
        }
        sb_adds(sb, "。例如");
        for (size_t i = 0; i < d->n && ex < 3; i++) {
            const struct ritem *x = &d->v[i];
            if (!shown(d, x) || strcmp(x->kind, d->kinds[k])) continue;
            sb_reset(&t);
            if (ex++) sb_adds(&t, "、");
            where(&t, x);
            rpt_html(sb, r, t.oom ? "" : t.buf);
        }
        sb_addf(sb, "%s。</p>\n", m > 3 ? "等" : "");
        /* 整改措施 and 整改结果, one numbered entry per problem */
        for (int pass = 0; pass < 2; pass++) {
            size_t j = 0;
            sb_adds(sb, pass ? "<p><b>整改结果：</b>" : "<p><b>整改措施：</b>");
            for (size_t i = 0; i < d->n; i++) {
                const struct ritem *x = &d->v[i];
                if (!shown(d, x) || strcmp(x->kind, d->kinds[k])) continue;
                sb_reset(&t);
                j++;
                sb_addf(&t, "%zu.", j);
                if (pass) result_text(&t, d, x);
                else measures_text(&t, x);
                if (j > 1) sb_adds(sb, "<br>");
                rpt_html(sb, r, t.oom ? "" : t.buf);
                sb_addf(sb, " <span class=\"muted\">[问题清单第 %lld 号]</span>", (long long)x->id);
            }
            sb_adds(sb, "</p>\n");
        }
    }
    sb_release(&t);
}

static void html_progress(struct strbuf *sb, const struct report *r, const struct rdata *d)
{
    static const char *const cols[] = {"县", "问题", "待反馈", "整改中", "逾期", "已整改",
                                       "已销号", "已复查", NULL};
    int counties[512];
    size_t nc = 0;
    for (size_t i = 0; i < d->n && nc < 512; i++)
        if (shown(d, &d->v[i]) && (!nc || counties[nc - 1] != d->v[i].county))
            counties[nc++] = d->v[i].county;
    sb_adds(sb, "<h2>附：整改进度 Progress by county</h2>\n<table>\n");
    rpt_th_row(sb, cols);
    for (size_t c = 0; c < nc; c++) {
        int n = 0, waiting = 0, doing = 0, overdue = 0, done = 0, closed = 0, rechecked = 0;
        const char *name = "";
        for (size_t i = 0; i < d->n; i++) {
            const struct ritem *x = &d->v[i];
            if (x->county != counties[c]) continue;
            name = x->county_name;
            n++;
            switch (x->pg->state) {
            case PS_CONFIRMED:
            case PS_FED_BACK: waiting++; break;
            case PS_RECTIFYING: doing++; break;
            case PS_RECTIFIED: done++; break;
            case PS_CLOSED: closed++; break;
            case PS_RECHECKED: rechecked++; break;
            default: break;
            }
            if (x->pg->overdue) overdue++;
        }
        sb_adds(sb, "<tr>");
        rpt_td_text(sb, r, name);
        sb_addf(sb, "<td class=\"n\">%d</td><td class=\"n\">%d</td><td class=\"n\">%d</td>"
                    "<td class=\"n%s\">%d</td><td class=\"n\">%d</td><td class=\"n\">%d</td>"
                    "<td class=\"n\">%d</td></tr>\n",
                n, waiting, doing, overdue ? " fail" : "", overdue, done, closed, rechecked);
    }
    sb_adds(sb, "</table>\n");
}

static int write_html(const struct report *r, const struct rdata *d, struct strbuf *sb)
{
    char a[32];
    struct strbuf t = STRBUF_INIT;
    sb_addf(&t, "%s脱贫攻坚第三方评估反馈问题整改报告", d->county ? d->county_name : "");
    rpt_page_begin(sb, r, t.oom ? "" : t.buf, 0);
    sb_adds(sb, "<h1>");
    rpt_html(sb, r, t.oom ? "" : t.buf);
    sb_adds(sb, "</h1>\n");
    sb_release(&t);
    day_zh(d->asof, a);
    sb_adds(sb, "<p class=\"meta\">评估轮次 round <code>");
    rpt_html(sb, r, d->round);
    sb_addf(sb, "</code> · 截至 %s · 版式依种子 004 第四、五篇整改报告范文 · 身份证号已脱敏</p>\n"
                "<p class=\"note\">共性问题：本轮已核实的同类问题分布在 %d 个及以上县；个性问题："
                "只在少于 %d 个县发现的类别（见 docs/reports.md）。只列已核实属实的问题（含已反馈、"
                "整改中、已整改、已销号、已复查）；待核实和核销的问题不列入（种子 000：凡没有核准、"
                "核实,或证据不充分的,将不作为问题予以采信）。</p>\n",
            a, d->common_min, d->common_min);
    sb_adds(sb, "<h2>一、整改内容及结果 Problems, measures and results</h2>\n");
    html_group(sb, r, d, 1, 0);
    html_group(sb, r, d, 0, 1);
    /* the seed's reports go on with the place's own account: 二、主要做法, 三、下一步工作安排 */
    sb_adds(sb, "<h2>二、主要做法 What was done（县填写）</h2>\n<div class=\"box\"><span>"
                "对照梳理、制定整改清单，明确责任人、牵头单位和整改时限，实行盘点销号……</span></div>\n"
                "<h2>三、下一步工作安排 Next steps（县填写）</h2>\n<div class=\"box\"></div>\n");
    html_progress(sb, r, d);
    rpt_page_end(sb);
    return sb_ok(sb);
}

/* ---------------------------------------------------------------- workbook */

static int write_xlsx(const struct report *r, const struct rdata *d, const char *path,
                      struct error *e)
{
    static const char *const cols[] = {"类别",     "问题类型", "问题编号", "县",       "乡镇",
                                       "村",       "对象",     "具体表现", "整改措施", "责任单位",
                                       "责任人",   "整改时限", "整改结果", "整改完成日期",
                                       "销号日期", "复查日期", "状态",     NULL};
    static const double widths[] = {10, 12, 9, 10, 10, 10, 18, 50, 40, 14, 10, 12, 40, 12, 12, 12, 10};
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws, *ns;
    lxw_format *hdr, *wrap;
    struct strbuf t = STRBUF_INIT, m = STRBUF_INIT;
    lxw_error err = LXW_NO_ERROR;
    int row = 1, rc = 0;
    if (!wb) return error_set(e, ERR_IO, "%s: cannot create the workbook", path);
    hdr = workbook_add_format(wb);
    wrap = workbook_add_format(wb);
    format_set_bold(hdr);
    format_set_text_wrap(hdr);
    format_set_bg_color(hdr, 0xEEEEEE);
    format_set_border(hdr, LXW_BORDER_THIN);
    format_set_text_wrap(wrap);
    format_set_align(wrap, LXW_ALIGN_VERTICAL_TOP);
    format_set_border(wrap, LXW_BORDER_THIN);
    ws = workbook_add_worksheet(wb, "整改报告");
    ns = workbook_add_worksheet(wb, "说明");
    if (!ws || !ns) {
        workbook_close(wb);
        return error_set(e, ERR_NOMEM, "%s: cannot add a sheet", path);
    }
    for (int i = 0; cols[i]; i++) {
        worksheet_write_string(ws, 0, (lxw_col_t)i, cols[i], hdr);
        worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, widths[i], NULL);
    }
    worksheet_freeze_panes(ws, 1, 0);
    worksheet_set_landscape(ws);
    worksheet_set_paper(ws, 9);
    for (int common = 1; common >= 0; common--)
        for (size_t k = 0; k < d->nkinds; k++) {
            if (d->kind_common[k] != common) continue;
            for (size_t i = 0; i < d->n; i++) {
                const struct ritem *x = &d->v[i];
                const struct problem_progress *p = x->pg;
                const char *cells[17];
                char dl[16], ro[16], co[16], rc_[16];
                if (!shown(d, x) || strcmp(x->kind, d->kinds[k])) continue;
                sb_reset(&t);
                report_mask_ids(&t, x->description);
                sb_reset(&m);
                measures_text(&m, x);
                day(p->deadline, dl);
                day(p->rectified_on, ro);
                day(p->closed_on, co);
                day(p->rechecked_on, rc_);
                cells[0] = common ? "共性问题" : "个性问题";
                cells[1] = rpt_kind_zh(x->kind);
                cells[3] = x->county_name;
                cells[4] = x->township;
                cells[5] = x->village;
                cells[6] = x->unit;
                cells[7] = t.oom ? "" : t.buf;
                cells[8] = p->measures ? p->measures : "";
                cells[9] = p->responsible_unit ? p->responsible_unit : "";
                cells[10] = p->responsible_person ? p->responsible_person : "";
                cells[11] = dl;
                cells[13] = ro;
                cells[14] = co;
                cells[15] = rc_;
                cells[16] = problem_state_label(p->state);
                for (int c = 0; c < 17; c++) {
                    if (c == 2) {
                        worksheet_write_number(ws, (lxw_row_t)row, 2, (double)x->id, wrap);
                        continue;
                    }
                    if (c == 12) {
                        sb_reset(&m);
                        result_text(&m, d, x);
                        sb_reset(&t);
                        report_mask_ids(&t, m.oom ? "" : m.buf);
                        err = worksheet_write_string(ws, (lxw_row_t)row, 12, t.oom ? "" : t.buf,
                                                     wrap);
                        continue;
                    }
                    if (c == 7) {
                        err = worksheet_write_string(ws, (lxw_row_t)row, 7, cells[7], wrap);
                        continue;
                    }
                    if (cells[c] && *cells[c])
                        err = worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)c, cells[c],
                                                     wrap);
                    else
                        err = worksheet_write_blank(ws, (lxw_row_t)row, (lxw_col_t)c, wrap);
                    if (err) break;
                }
                if (err) break;
                row++;
            }
        }
    worksheet_set_column(ns, 0, 0, 100, NULL);
    sb_reset(&t);
    sb_addf(&t, "共性问题：本轮已核实属实的同类问题分布在 %d 个及以上县；个性问题：少于 %d 个县。"
                "只列已核实属实（含已反馈、整改中、已整改、已销号、已复查）的问题。版式依种子 004 "
                "第四、五篇整改报告范文：具体表现、整改措施、整改结果（含日期）。",
            d->common_min, d->common_min);
    worksheet_write_string(ns, 0, 0, t.oom ? "" : t.buf, wrap);
    {
        lxw_error cerr = workbook_close(wb);
        if (err) rc = error_set(e, ERR_INTERNAL, "%s: %s", path, lxw_strerror(err));
        else if (cerr) rc = error_set(e, ERR_IO, "%s: %s", path, lxw_strerror(cerr));
        else if (t.oom || m.oom) rc = error_set(e, ERR_NOMEM, "out of memory writing %s", path);
    }
    sb_release(&t);
    sb_release(&m);
    (void)r;
    return rc;
}

int report_rectification(struct store *s, const char *round, int county, int asof, int common_min,
                         const char *dir, struct report_rect_stats *st, struct error *e)
{
    struct rdata d;
    struct report r;
    struct stage sg;
    struct strbuf sb = STRBUF_INIT;
    char html[64], xlsx[64], path[1200];
    int rc;
    memset(&d, 0, sizeof d);
    memset(&r, 0, sizeof r);
    memset(st, 0, sizeof *st);
    d.round = round;
    d.county = county;
    d.asof = asof ? asof : date_today();
    d.common_min = common_min > 0 ? common_min : 2;
    stage_init(&sg, dir);
    if ((rc = load(s, &d, e))) goto out;
    if (county) {
        snprintf(html, sizeof html, "rectification-%d.html", county);
        snprintf(xlsx, sizeof xlsx, "rectification-%d.xlsx", county);
    } else {
        snprintf(html, sizeof html, "rectification.html");
        snprintf(xlsx, sizeof xlsx, "rectification.xlsx");
    }
    if ((rc = rpt_make_dirs(dir, e))) goto out;
    if (write_html(&r, &d, &sb)) {
        rc = error_set(e, ERR_NOMEM, "out of memory writing %s", html);
        goto out;
    }
    if ((rc = stage_write(&sg, html, sb.buf, sb.len, e))) goto out;
    if ((rc = stage_add(&sg, xlsx, e))) goto out;
    stage_tmp_path(&sg, xlsx, path, sizeof path);
    if ((rc = write_xlsx(&r, &d, path, e))) goto out;
    if ((rc = stage_commit(&sg, e))) goto out;
    for (size_t i = 0; i < d.n; i++)
        if (shown(&d, &d.v[i])) {
            st->problems++;
            if (d.v[i].pg->overdue) st->overdue++;
        }
    for (size_t k = 0; k < d.nkinds; k++) {
        size_t m = 0;
        for (size_t i = 0; i < d.n; i++)
            if (shown(&d, &d.v[i]) && !strcmp(d.v[i].kind, d.kinds[k])) m++;
        if (!m) continue;
        if (d.kind_common[k]) st->common_kinds++;
        else st->individual_kinds++;
    }
    snprintf(st->html, sizeof st->html, "%s", html);
    snprintf(st->xlsx, sizeof st->xlsx, "%s", xlsx);
out:
    stage_release(&sg);
    sb_release(&sb);
    rdata_free(&d);
    return rc;
}
