/*
 * xlsx.c — the report as an Excel workbook through libxlsxwriter (report.h).
 *
 * Sheets, in order: 汇总 (the summary across counties), 问题清单 (the problem list in the
 * template's 17 columns), 说明 (method and notes), then per county a group of six:
 * 基本情况, 指标测算, 村退出, 样本户, 问题线索, 填报签字 — named "县名·部分" (or "代码·部分"
 * when two counties share a name; Excel allows 31 UTF-16 units and no []:*?/\ or '): a long
 * name is shortened before the part, never inside a UTF-8 sequence, and names that still
 * collide (case-insensitively, as Excel compares them) get ~CODE, the county's code (sheet_name).
 *
 * Invariants. Numbers are written as numbers — rates as proportions with a percent format
 * (0.0163 shows as 1.63%), counts as integers — never as text, so the office can compute
 * with them; a figure that does not exist (no interval) is a blank cell, never NaN. Every
 * sheet freezes its header rows and sets column widths. Texts from data pass through the
 * masking filter like the HTML's. Nothing about score or rank is written (report.h).
 */
#include "report_int.h"

#include <math.h>
#include <string.h>
#include <time.h>
#include <xlsxwriter.h>

struct xw {
    const struct report *r;
    lxw_workbook *wb;
    lxw_format *title, *note, *hdr, *txt, *pct, *num2, *num4, *intf, *pass, *fail, *close, *box,
        *bold;
    struct strbuf tmp; /* masked text */
    int names_unique;  /* county names are unique: sheets are named by name */
    char (*used)[160]; /* the sheets' names so far (owned) */
    size_t nused, capused;
    lxw_error err;     /* the first libxlsxwriter error */
};

static void check(struct xw *x, lxw_error err)
{
    if (err && !x->err) x->err = err;
}

static void put_text(struct xw *x, lxw_worksheet *ws, int row, int col, const char *s,
                     lxw_format *f)
{
    const char *t = rpt_plain(&x->tmp, x->r, s ? s : "");
    if (!*t)
        check(x, worksheet_write_blank(ws, (lxw_row_t)row, (lxw_col_t)col, f));
    else
        check(x, worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, t, f));
}

static void put_num(struct xw *x, lxw_worksheet *ws, int row, int col, double v, lxw_format *f)
{
    if (!isfinite(v))
        check(x, worksheet_write_blank(ws, (lxw_row_t)row, (lxw_col_t)col, f));
    else
        check(x, worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col, v, f));
}

static void header(struct xw *x, lxw_worksheet *ws, int row, const char *const *cols,
                   const double *widths)
{
    for (int i = 0; cols[i]; i++) {
        put_text(x, ws, row, i, cols[i], x->hdr);
        if (widths) check(x, worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, widths[i], NULL));
    }
    check(x, worksheet_set_row(ws, (lxw_row_t)row, 30, NULL));
}

static lxw_worksheet *sheet(struct xw *x, const char *name)
{
    lxw_worksheet *ws = workbook_add_worksheet(x->wb, name);
    if (!ws) {
        check(x, LXW_ERROR_SHEETNAME_ALREADY_USED);
        return NULL;
    }
    if (x->nused == x->capused) {
        size_t cap = x->capused ? 2 * x->capused : 16;
        char(*p)[160] = mem_realloc(x->used, cap * sizeof *p);
        if (!p) {
            check(x, LXW_ERROR_MEMORY_MALLOC_FAILED);
            return ws;
        }
        x->used = p, x->capused = cap;
    }
    snprintf(x->used[x->nused++], sizeof x->used[0], "%s", name);
    worksheet_set_paper(ws, 9); /* A4 */
    worksheet_set_margins(ws, 0.5, 0.5, 0.6, 0.6);
    return ws;
}

/* Excel's limit on a sheet name, in UTF-16 code units (a character beyond the BMP takes two). */
#define SHEET_UNITS 31

/* The length of the UTF-8 sequence at p (1 for a byte that does not start a well-formed one:
 * it is then replaced, never copied half) and its UTF-16 units in *units. */
static size_t utf8_seq(const unsigned char *p, int *units, int *ok)
{
    size_t n = p[0] < 0x80 ? 1 : p[0] >= 0xc2 && p[0] < 0xe0 ? 2 : p[0] >= 0xe0 && p[0] < 0xf0 ? 3
                           : p[0] >= 0xf0 && p[0] < 0xf5                   ? 4
                                                                          : 0;
    *ok = n > 0;
    for (size_t i = 1; i < n && *ok; i++)
        if ((p[i] & 0xc0) != 0x80) *ok = 0;
    *units = n == 4 ? 2 : 1;
    return *ok ? n : 1;
}

/* UTF-16 units of a well-formed UTF-8 string. */
static int utf16_units(const char *s)
{
    int total = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int u, ok;
        p += utf8_seq(p, &u, &ok);
        total += u;
    }
    return total;
}

/* Appends to o (room for 4·max bytes) the longest prefix of s within max UTF-16 units, the
 * characters Excel forbids ([]:*?/\ and the apostrophe) and broken UTF-8 bytes as '_'. */
static char *clean_prefix(char *o, const char *s, int max)
{
    int used = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int u, ok;
        size_t n = utf8_seq(p, &u, &ok);
        if (!ok) u = 1;
        if (used + u > max) break;
        if (!ok || (n == 1 && strchr("[]:*?/\\'", *p)))
            *o++ = '_';
        else {
            memcpy(o, p, n);
            o += n;
        }
        used += u;
        p += n;
    }
    *o = '\0';
    return o;
}

/* Whether a sheet of that name exists (Excel compares names without regard to case). */
static int sheet_used(const struct xw *x, const char *name)
{
    for (size_t i = 0; i < x->nused; i++)
        if (!strcasecmp(x->used[i], name)) return 1;
    return 0;
}

/* "清丰县·指标测算": the county's name (its code when two counties share a name) and the part,
 * cleaned of what Excel forbids, at most 31 UTF-16 units, and unique in the workbook: a long
 * name is shortened before the part (which is always kept), and when two shortened names
 * collide the later one gets "~CODE" (the county's code; then "~CODE~3", …) before the part. */
static void sheet_name(struct xw *x, const struct report_county *c, const char *part, char *buf,
                       size_t size)
{
    char prefix[160], suffix[64], tag[32];
    if (x->names_unique && c->est.name[0]) snprintf(prefix, sizeof prefix, "%s", c->est.name);
    else snprintf(prefix, sizeof prefix, "%d", c->est.code);
    utf8_trim(prefix);
    snprintf(suffix, sizeof suffix, "·%s", part);
    for (int attempt = 1;; attempt++) {
        char *o;
        int room;
        tag[0] = '\0';
        if (attempt == 2) snprintf(tag, sizeof tag, "~%d", c->est.code);
        else if (attempt > 2) snprintf(tag, sizeof tag, "~%d~%d", c->est.code, attempt);
        room = SHEET_UNITS - utf16_units(suffix) - utf16_units(tag);
        if (size < (size_t)(4 * (room > 0 ? room : 0)) + strlen(suffix) + strlen(tag) + 1) {
            snprintf(buf, size, "%d", attempt); /* never: callers pass 160 bytes */
            return;
        }
        o = clean_prefix(buf, prefix, room > 0 ? room : 0);
        snprintf(o, size - (size_t)(o - buf), "%s%s", tag, suffix);
        if (!sheet_used(x, buf) || attempt > 9999) return;
    }
}

static const char *verdict_official(const struct est *e, const struct verdict *v)
{
    if (!v->applicable || !e->valid) return "";
    return v->official ? "达标" : "未达标";
}

static const char *verdict_interval(const struct est *e, const struct verdict *v)
{
    if (!v->applicable || !e->valid) return "";
    return v->interval == IV_NONE ? "无区间" : interval_verdict_zh(v->interval);
}

static lxw_format *verdict_format(struct xw *x, const struct verdict *v, int official)
{
    if (official) return v->official ? x->pass : x->fail;
    return v->interval == IV_WITHIN ? x->pass : v->interval == IV_OUTSIDE ? x->fail : x->close;
}

static void title_rows(struct xw *x, lxw_worksheet *ws, const char *title)
{
    struct strbuf t = STRBUF_INIT;
    const struct report *r = x->r;
    put_text(x, ws, 0, 0, title, x->title);
    sb_addf(&t, "%s · 方案 %s · 样本 %s · 生成日期 %s · %s%s", r->title_zh ? r->title_zh : "",
            r->plan_id ? r->plan_id : "", r->sample ? r->sample : "",
            r->generated ? r->generated : "",
            r->unmasked ? "含完整姓名和身份证号（个人信息）" : "姓名、身份证号已脱敏",
            !r->scored && !r->ranked ? " · 不打分、不排队" : "");
    put_text(x, ws, 1, 0, t.oom ? "" : t.buf, x->note);
    sb_release(&t);
}

/* ---------------------------------------------------------------- summary sheets */

static void summary_sheet(struct xw *x)
{
    const struct report *r = x->r;
    lxw_worksheet *ws = sheet(x, "汇总");
    int col;
    if (!ws) return;
    title_rows(x, ws, "汇总 Summary");
    put_text(x, ws, 2, 0, "县代码", x->hdr);
    put_text(x, ws, 2, 1, "县", x->hdr);
    put_text(x, ws, 2, 2, "地区", x->hdr);
    put_text(x, ws, 2, 3, "应答率", x->hdr);
    check(x, worksheet_set_column(ws, 0, 0, 9, NULL));
    check(x, worksheet_set_column(ws, 1, 1, 10, NULL));
    check(x, worksheet_set_column(ws, 2, 3, 8, NULL));
    col = 4;
    for (int k = 0; k < IND_COUNT; k++) {
        static const char *const parts[] = {"估计值", "95%下限", "95%上限", "官方判定", "区间判定"};
        for (int j = 0; j < 5; j++) {
            struct strbuf h = STRBUF_INIT;
            sb_addf(&h, "%s%s", indicator_zh((enum indicator)k), parts[j]);
            put_text(x, ws, 2, col + j, h.oom ? "" : h.buf, x->hdr);
            sb_release(&h);
        }
        check(x, worksheet_set_column(ws, (lxw_col_t)col, (lxw_col_t)(col + 4), 10.5, NULL));
        col += 5;
    }
    put_text(x, ws, 2, col, "省报数在区间外", x->hdr);
    put_text(x, ws, 2, col + 1, "问题线索", x->hdr);
    check(x, worksheet_set_column(ws, (lxw_col_t)col, (lxw_col_t)col, 22, NULL));
    check(x, worksheet_set_column(ws, (lxw_col_t)(col + 1), (lxw_col_t)(col + 1), 9, NULL));
    check(x, worksheet_set_row(ws, 2, 30, NULL));
    for (size_t i = 0; i < r->ncounties; i++) {
        const struct report_county *c = &r->counties[i];
        const struct unit_est *u = &c->est;
        int row = 3 + (int)i;
        struct strbuf out = STRBUF_INIT;
        put_num(x, ws, row, 0, u->code, x->intf);
        put_text(x, ws, row, 1, u->name, x->txt);
        put_text(x, ws, row, 2, rpt_region_zh(u->region), x->txt);
        put_num(x, ws, row, 3, u->response, x->pct);
        col = 4;
        for (int k = 0; k < IND_COUNT; k++) {
            const struct est *e = &u->ind[k];
            put_num(x, ws, row, col, e->valid ? e->estimate : NAN, x->pct);
            put_num(x, ws, row, col + 1, e->valid ? e->lower : NAN, x->pct);
            put_num(x, ws, row, col + 2, e->valid ? e->upper : NAN, x->pct);
            put_text(x, ws, row, col + 3, verdict_official(e, &u->v[k]),
                     verdict_format(x, &u->v[k], 1));
            put_text(x, ws, row, col + 4, verdict_interval(e, &u->v[k]),
                     verdict_format(x, &u->v[k], 0));
            if (u->has_reported[k] && u->reported_outside[k])
                sb_addf(&out, "%s%s", out.len ? "、" : "", indicator_zh((enum indicator)k));
            col += 5;
        }
        put_text(x, ws, row, col, out.oom ? "" : out.buf, x->txt);
        put_num(x, ws, row, col + 1, (double)c->nproblems, x->intf);
        sb_release(&out);
    }
    worksheet_freeze_panes(ws, 3, 2);
    worksheet_set_landscape(ws);
}

static const char *const problem_cols[] = {"序号",     "县",       "乡镇",     "村",     "对象",
                                           "问题类型", "问题描述", "证据",     "发现人", "发现日期",
                                           "复核结果", "整改措施", "责任单位", "责任人", "整改时限",
                                           "整改结果", "销号日期", NULL};
static const double problem_widths[] = {6,  10, 10, 10, 30, 20, 44, 30, 16,
                                        11, 12, 20, 14, 10, 11, 14, 11};

static void evidence_text(const struct report_problem *p, struct strbuf *sb)
{
    if (!p->nevidence) sb_adds(sb, "无"); /* as the HTML list: none, said */
    for (size_t i = 0; i < p->nevidence; i++) {
        const struct report_evidence *v = &p->evidence[i];
        if (i) sb_addch(sb, '\n');
        sb_addf(sb, "%s %s", v->media && *v->media ? v->media : "evidence",
                v->href ? v->href : v->sha256);
    }
}

static void problem_type(const struct report_problem *p, struct strbuf *sb)
{
    sb_addf(sb, "%s：%s", rpt_kind_zh(p->kind), rpt_rule_zh(p->rule));
}

static void problems_sheet(struct xw *x)
{
    const struct report *r = x->r;
    lxw_worksheet *ws = sheet(x, "问题清单");
    if (!ws) return;
    put_text(x, ws, 0, 0, "问题清单 Problem list", x->title);
    header(x, ws, 1, problem_cols, problem_widths);
    for (size_t i = 0; i < r->nproblems; i++) {
        const struct report_problem *p = &r->problems[i];
        int row = 2 + (int)i;
        struct strbuf t = STRBUF_INIT;
        put_num(x, ws, row, 0, (double)(i + 1), x->intf);
        put_text(x, ws, row, 1, p->county_name, x->txt);
        put_text(x, ws, row, 2, p->township, x->txt);
        put_text(x, ws, row, 3, p->village, x->txt);
        put_text(x, ws, row, 4, p->object, x->txt);
        problem_type(p, &t);
        put_text(x, ws, row, 5, t.oom ? "" : t.buf, x->txt);
        put_text(x, ws, row, 6, p->description, x->txt);
        sb_reset(&t);
        evidence_text(p, &t);
        put_text(x, ws, row, 7, t.oom ? "" : t.buf, x->txt);
        sb_reset(&t);
        if (p->team)
            sb_addf(&t, "第%d组（%s）", p->team, p->found_by ? p->found_by : "");
        else
            sb_adds(&t, p->found_by ? p->found_by : "");
        put_text(x, ws, row, 8, t.oom ? "" : t.buf, x->txt);
        put_text(x, ws, row, 9, p->found_on, x->txt);
        {
            const char *const tail[7] = {p->verification, p->measures, p->responsible_unit,
                                         p->responsible_person, p->deadline, p->result,
                                         p->closed_on};
            for (int k = 0; k < 7; k++) put_text(x, ws, row, 10 + k, tail[k] ? tail[k] : "", x->txt);
        }
        sb_release(&t);
    }
    worksheet_freeze_panes(ws, 2, 0);
    worksheet_set_landscape(ws);
    check(x, worksheet_repeat_rows(ws, 1, 1));
}

static void method_sheet(struct xw *x)
{
    const struct report *r = x->r;
    lxw_worksheet *ws = sheet(x, "说明");
    struct strbuf t = STRBUF_INIT;
    if (!ws) return;
    title_rows(x, ws, "说明 Method and notes");
    check(x, worksheet_set_column(ws, 0, 0, 110, NULL));
    put_text(x, ws, 2, 0, "抽样设计与权重", x->bold);
    sb_addf(&t,
            "%s设计权重为各阶段入样概率乘积的倒数；未能入户且无备选户替换的户，在同一村同一户"
            "类型内把其权重分给完成调查的户。种子承诺值 %s；方案文件 SHA-256 %s。",
            r->design ? r->design : "", r->commitment ? r->commitment : "",
            r->plan_hash ? r->plan_hash : "");
    put_text(x, ws, 3, 0, t.oom ? "" : t.buf, x->txt);
    check(x, worksheet_set_row(ws, 3, 90, NULL));
    put_text(x, ws, 4, 0, "估计与区间", x->bold);
    put_text(
        x, ws, 5, 0,
        "错退率、漏评率按人计，群众认可度按户计，均为加权总量之比；综合贫困发生率 = (U + "
        "错退率·E + 漏评率·G) / R，作为整体线性化。方差按泰勒线性化，以村为初级抽样单位、方案"
        "的村层为层；95%区间为 Korn–Graubard 区间（R survey 包 svyciprop(method = \"beta\")）。"
        "官方判定以点估计对照标准；区间判定：明确达标 / 难以判定 / 明确未达标。比率列为比例，"
        "以百分比格式显示（0.0163 显示为 1.63%）。",
        x->txt);
    check(x, worksheet_set_row(ws, 5, 90, NULL));
    put_text(x, ws, 6, 0, "样本能判定什么", x->bold);
    put_text(x, ws, 7, 0,
             "每县只有几十户脱贫户时，错退率为 5% 的县与错退率为 0 的县可能得到同样的样本：区间跨越"
             "标准即“难以判定”，这是抽样方案的局限，不是对该县的结论。",
             x->txt);
    check(x, worksheet_set_row(ws, 7, 45, NULL));
    sb_release(&t);
}

/* ---------------------------------------------------------------- county sheets */

static void county_basic(struct xw *x, const struct report_county *c, const char *name)
{
    const struct report *r = x->r;
    const struct unit_est *u = &c->est;
    lxw_worksheet *ws = sheet(x, name);
    struct strbuf t = STRBUF_INIT;
    int row = 2;
    static const char *const cols[] = {"项目", "内容", NULL};
    static const double widths[] = {22, 60};
    if (!ws) return;
    put_text(x, ws, 0, 0, "一、基本情况", x->title);
    header(x, ws, 1, cols, widths);
#define KV_TEXT(k, v)   (put_text(x, ws, row, 0, k, x->txt), put_text(x, ws, row++, 1, v, x->txt))
#define KV_NUM(k, v, f) (put_text(x, ws, row, 0, k, x->txt), put_num(x, ws, row++, 1, v, f))
    sb_addf(&t, "%s（%d）", u->name, u->code);
    KV_TEXT("县（市、区）", t.buf);
    KV_TEXT("所属市", c->city_name);
    sb_reset(&t);
    sb_adds(&t, rpt_county_type_zh(c->type));
    if (c->exit_year) sb_addf(&t, "（%d年摘帽）", c->exit_year);
    if (c->covert) sb_adds(&t, "；暗访县");
    KV_TEXT("县类型", t.buf);
    KV_TEXT("地区", rpt_region_zh(u->region));
    KV_NUM("农村人口（人）", (double)c->rural_population, x->intf);
    KV_NUM("建档立卡户数", (double)c->registered_households, x->intf);
    KV_NUM("建档立卡人口", (double)c->registered_persons, x->intf);
    KV_NUM("未脱贫人口（含返贫）", (double)c->unexited_persons, x->intf);
    KV_NUM("已脱贫人口", (double)c->exited_persons, x->intf);
    if (c->allowance_standard > 0) KV_NUM("农村低保标准（元/年）", c->allowance_standard, x->intf);
    KV_NUM("扶贫标准（元/年）", r->line, x->intf);
    KV_NUM("抽查村数", (double)c->nvillages, x->intf);
    KV_NUM("抽查户数（含全覆盖）", (double)c->households_sampled, x->intf);
    KV_NUM("原抽中户", (double)u->selected, x->intf);
    KV_NUM("入户", (double)u->reached, x->intf);
    KV_NUM("备选户替换", (double)u->replaced, x->intf);
    KV_NUM("全户死亡或查无此户（不在范围）", (double)u->out_of_scope, x->intf);
    KV_NUM("入户应答率", u->response, x->pct);
    for (size_t k = 0; k < c->ncollapses; k++) {
        const struct cell_collapse *cc = &c->collapses[k];
        sb_reset(&t);
        if (cc->within > 0)
            sb_addf(&t, "村 %lld 的 %s 层无完成问卷，并入%s村 %lld", (long long)cc->village,
                    cc->quota, cc->within == 1 ? "同村层" : "本县", (long long)cc->into);
        else
            sb_addf(&t, "村 %lld 的 %s 层无完成问卷，无可并入的格，份额不在估计中",
                    (long long)cc->village, cc->quota);
        KV_TEXT("抽样格合并", t.buf);
    }
    sb_reset(&t);
    if (c->first_date && *c->first_date) sb_addf(&t, "%s 至 %s", c->first_date, c->last_date);
    KV_TEXT("实地核查日期", t.buf);
    sb_reset(&t);
    if (c->team.team)
        sb_addf(&t, "第%d组（派出市 %d），%zu 人", c->team.team, c->team.home_city,
                c->team.nmembers);
    else
        sb_adds(&t, "未组建考核组");
    KV_TEXT("考核组", t.buf);
#undef KV_TEXT
#undef KV_NUM
    if (c->team.nmembers) {
        static const char *const mcols[] = {"角色",     "姓名",     "单位层级", "职务",
                                            "入户小组", "评估经验", NULL};
        row++;
        put_text(x, ws, row++, 0, "考核组成员", x->bold);
        header(x, ws, row++, mcols, NULL);
        for (size_t i = 0; i < c->team.nmembers; i++, row++) {
            const struct report_member *m = &c->team.members[i];
            put_text(x, ws, row, 0, rpt_role_zh(m->role), x->txt);
            put_text(x, ws, row, 1, m->name, x->txt);
            put_text(x, ws, row, 2, rpt_unit_level_zh(m->unit_level), x->txt);
            put_text(x, ws, row, 3, rpt_position_zh(m->position), x->txt);
            if (m->pair)
                put_num(x, ws, row, 4, m->pair, x->intf);
            else
                put_text(x, ws, row, 4, "", x->txt);
            put_text(x, ws, row, 5, m->experienced ? "有" : "无", x->txt);
        }
        check(x, worksheet_set_column(ws, 2, 5, 12, NULL));
    }
    worksheet_freeze_panes(ws, 2, 0);
    sb_release(&t);
}

static void county_indicators(struct xw *x, const struct report_county *c, const char *name)
{
    static const char *const cols[] = {
        "指标",       "估计值",   "95%下限",  "95%上限", "标准误",         "设计效应",
        "有效样本量", "自由度",   "样本户",   "人数",    "标准比较",       "标准值",
        "标准用语",   "官方判定", "区间判定", "省报数",  "省报数在区间外", NULL};
    static const double widths[] = {14, 9, 9, 9, 9, 9, 10, 7, 8, 8, 8, 8, 34, 9, 10, 9, 12};
    const struct unit_est *u = &c->est;
    lxw_worksheet *ws = sheet(x, name);
    struct strbuf t = STRBUF_INIT;
    int row = 2 + IND_COUNT + 1;
    if (!ws) return;
    put_text(x, ws, 0, 0, "二、指标测算", x->title);
    header(x, ws, 1, cols, widths);
    for (int k = 0; k < IND_COUNT; k++) {
        const struct est *e = &u->ind[k];
        const struct verdict *v = &u->v[k];
        int r = 2 + k;
        put_text(x, ws, r, 0, indicator_zh((enum indicator)k), x->txt);
        put_num(x, ws, r, 1, e->valid ? e->estimate : NAN, x->pct);
        put_num(x, ws, r, 2, e->valid ? e->lower : NAN, x->pct);
        put_num(x, ws, r, 3, e->valid ? e->upper : NAN, x->pct);
        put_num(x, ws, r, 4, e->valid ? e->se : NAN, x->pct);
        put_num(x, ws, r, 5, e->valid ? e->deff : NAN, x->num2);
        put_num(x, ws, r, 6, e->valid ? e->n_eff : NAN, x->num2);
        put_num(x, ws, r, 7, e->valid ? e->df : NAN, x->intf);
        put_num(x, ws, r, 8, e->valid ? (double)e->n : NAN, x->intf);
        put_num(x, ws, r, 9, e->valid && k != IND_APPROVAL ? e->persons : NAN, x->intf);
        put_text(x, ws, r, 10, v->applicable ? rpt_op(v->op) : "", x->txt);
        put_num(x, ws, r, 11, v->applicable ? v->threshold : NAN, x->pct);
        put_text(x, ws, r, 12, v->applicable ? v->words : "", x->txt);
        put_text(x, ws, r, 13, verdict_official(e, v), verdict_format(x, v, 1));
        put_text(x, ws, r, 14, verdict_interval(e, v), verdict_format(x, v, 0));
        put_num(x, ws, r, 15, u->has_reported[k] ? u->reported[k] : NAN, x->pct);
        put_text(x, ws, r, 16,
                 !u->has_reported[k]      ? ""
                 : u->reported_outside[k] ? "是"
                                          : "否",
                 u->reported_outside[k] ? x->fail : x->txt);
    }
    for (int k = 0; k < IND_COUNT; k++) {
        sb_reset(&t);
        rpt_close_note(c, (enum indicator)k, &t);
        if (t.len) put_text(x, ws, row++, 0, t.oom ? "" : t.buf, x->note);
    }
    if (u->incidence_assumes)
        put_text(x, ws, row++, 0, "综合贫困发生率假定方案未抽查的其他一般农户均不贫困。", x->note);
    sb_reset(&t);
    sb_addf(&t, "U = %.0f，E = %.0f，G = %.0f，R = %.0f；区间为 95%% Korn–Graubard 区间。", u->U,
            u->E, u->G, u->R);
    put_text(x, ws, row, 0, t.oom ? "" : t.buf, x->note);
    worksheet_freeze_panes(ws, 2, 1);
    worksheet_set_landscape(ws);
    sb_release(&t);
}

static void county_villages(struct xw *x, const struct report_county *c, const char *name)
{
    const struct report *r = x->r;
    const struct report_village *first = NULL;
    lxw_worksheet *ws = sheet(x, name);
    static const char *const cols[] = {"村代码", "村", "乡镇", "类型", "入样概率", NULL};
    static const double widths[] = {14, 10, 10, 9, 9};
    int col;
    if (!ws) return;
    put_text(x, ws, 0, 0, "四、贫困村退出指标", x->title);
    header(x, ws, 1, cols, widths);
    if (!r->village_standard) {
        put_text(x, ws, 2, 0, "本方案不核查贫困村退出指标。", x->note);
        return;
    }
    for (size_t i = 0; i < c->nvillages; i++)
        if (c->villages[i].nitems > (first ? first->nitems : 0)) first = &c->villages[i];
    col = 5;
    for (size_t j = 0; first && j < first->nitems; j++, col += 2) {
        struct strbuf h = STRBUF_INIT;
        sb_addf(&h, "%s测量值", rpt_rule_zh(first->items[j].rule));
        put_text(x, ws, 1, col, h.oom ? "" : h.buf, x->hdr);
        sb_reset(&h);
        sb_addf(&h, "%s结果", rpt_rule_zh(first->items[j].rule));
        put_text(x, ws, 1, col + 1, h.oom ? "" : h.buf, x->hdr);
        check(x, worksheet_set_column(ws, (lxw_col_t)col, (lxw_col_t)(col + 1), 9, NULL));
        sb_release(&h);
    }
    put_text(x, ws, 1, col, "退出标准", x->hdr);
    for (size_t i = 0; i < c->nvillages; i++) {
        const struct report_village *v = &c->villages[i];
        int row = 2 + (int)i, cc = 5;
        char code[24];
        snprintf(code, sizeof code, "%lld", (long long)v->code);
        put_text(x, ws, row, 0, code, x->txt);
        put_text(x, ws, row, 1, v->name, x->txt);
        put_text(x, ws, row, 2, v->township, x->txt);
        put_text(x, ws, row, 3, rpt_vstratum_zh(v->stratum), x->txt);
        put_num(x, ws, row, 4, v->pi, x->num4);
        for (size_t j = 0; first && j < first->nitems; j++, cc += 2) {
            const struct report_item *it = NULL;
            double d;
            for (size_t k = 0; k < v->nitems; k++)
                if (!strcmp(v->items[k].rule, first->items[j].rule)) it = &v->items[k];
            if (!it) {
                put_text(x, ws, row, cc, "", x->txt);
                put_text(x, ws, row, cc + 1, "", x->txt);
                continue;
            }
            if (parse_double(it->value, &d) == 0)
                put_num(x, ws, row, cc, d,
                        !strcmp(it->rule, "village.incidence") ? x->pct : x->num2);
            else {
                char b[96];
                rpt_item_value(it, b, sizeof b);
                put_text(x, ws, row, cc, b, x->txt);
            }
            put_text(x, ws, row, cc + 1, rpt_outcome_zh(it->outcome),
                     !strcmp(it->outcome, "fail") ? x->fail : x->txt);
        }
        put_text(x, ws, row, cc,
                 v->exit_ok == 1   ? "达标"
                 : v->exit_ok == 0 ? "未达标"
                                   : "未研判",
                 v->exit_ok == 0 ? x->fail : x->txt);
    }
    if (first) { /* the bounds, once */
        int row = 3 + (int)c->nvillages;
        put_text(x, ws, row++, 0, "各项标准", x->bold);
        for (size_t j = 0; j < first->nitems; j++, row++) {
            put_text(x, ws, row, 0, rpt_rule_zh(first->items[j].rule), x->txt);
            char bound[400];
            rpt_bound(first->items[j].bound, bound, sizeof bound);
            put_text(x, ws, row, 1, bound, x->txt);
        }
    }
    worksheet_freeze_panes(ws, 2, 2);
    worksheet_set_landscape(ws);
}

static void county_households(struct xw *x, const struct report_county *c, const char *name)
{
    static const char *const cols[] = {"户类型（配额层）",
                                       "层代码",
                                       "抽中",
                                       "其中替补",
                                       "未入户",
                                       "备选户替换",
                                       "完成问卷",
                                       "脱贫户研判",
                                       "错退",
                                       "一般农户研判",
                                       "漏评",
                                       "认可度询问",
                                       "认可",
                                       NULL};
    static const double widths[] = {24, 16, 8, 9, 8, 10, 9, 10, 7, 11, 7, 10, 7};
    lxw_worksheet *ws = sheet(x, name);
    int row = 2;
    if (!ws) return;
    put_text(x, ws, 0, 0, "五、样本户情况（未加权户数）", x->title);
    header(x, ws, 1, cols, widths);
    for (size_t i = 0; i < c->nstrata; i++, row++) {
        const struct report_stratum *s = &c->strata[i];
        const int64_t v[] = {s->selected,  s->substitutes,   s->not_reached, s->reserves_used,
                             s->completed, s->exited_judged, s->wrong_exit,  s->general_judged,
                             s->missed,    s->asked,         s->approving};
        put_text(x, ws, row, 0, s->label ? s->label : s->stratum, x->txt);
        put_text(x, ws, row, 1, s->stratum, x->txt);
        for (int k = 0; k < 11; k++) put_num(x, ws, row, 2 + k, (double)v[k], x->intf);
    }
    if (c->nstrata) { /* totals as formulas over the rows above, with their values cached */
        put_text(x, ws, row, 0, "合计", x->bold);
        for (int k = 0; k < 11; k++) {
            char f[64], a[16], b[16];
            double sum = 0;
            for (size_t i = 0; i < c->nstrata; i++) {
                const struct report_stratum *s = &c->strata[i];
                const int64_t v[] = {s->selected,      s->substitutes,    s->not_reached,
                                     s->reserves_used, s->completed,      s->exited_judged,
                                     s->wrong_exit,    s->general_judged, s->missed,
                                     s->asked,         s->approving};
                sum += (double)v[k];
            }
            lxw_rowcol_to_cell(a, 2, (lxw_col_t)(2 + k));
            lxw_rowcol_to_cell(b, (lxw_row_t)(row - 1), (lxw_col_t)(2 + k));
            snprintf(f, sizeof f, "=SUM(%s:%s)", a, b);
            check(x, worksheet_write_formula_num(ws, (lxw_row_t)row, (lxw_col_t)(2 + k), f, x->intf,
                                                 sum));
        }
    }
    worksheet_freeze_panes(ws, 2, 1);
    worksheet_set_landscape(ws);
}

static void county_problems(struct xw *x, const struct report_county *c, const char *name)
{
    const struct report *r = x->r;
    static const char *const cols[] = {"序号",     "乡镇",     "村",   "对象",
                                       "问题类型", "问题描述", "证据", NULL};
    static const double widths[] = {6, 10, 10, 30, 22, 50, 34};
    lxw_worksheet *ws = sheet(x, name);
    struct strbuf t = STRBUF_INIT;
    if (!ws) return;
    put_text(x, ws, 0, 0, "六、问题线索（待核实）", x->title);
    header(x, ws, 1, cols, widths);
    for (size_t i = 0; i < c->nproblems; i++) {
        const struct report_problem *p = &r->problems[c->problem0 + i];
        int row = 2 + (int)i;
        put_num(x, ws, row, 0, (double)(i + 1), x->intf);
        put_text(x, ws, row, 1, p->township, x->txt);
        put_text(x, ws, row, 2, p->village, x->txt);
        put_text(x, ws, row, 3, p->object, x->txt);
        sb_reset(&t);
        problem_type(p, &t);
        put_text(x, ws, row, 4, t.oom ? "" : t.buf, x->txt);
        put_text(x, ws, row, 5, p->description, x->txt);
        sb_reset(&t);
        evidence_text(p, &t);
        put_text(x, ws, row, 6, t.oom ? "" : t.buf, x->txt);
    }
    worksheet_freeze_panes(ws, 2, 0);
    worksheet_set_landscape(ws);
    sb_release(&t);
}

static void county_fields(struct xw *x, const struct report_county *c, const char *name)
{
    const struct report *r = x->r;
    lxw_worksheet *ws = sheet(x, name);
    struct strbuf t = STRBUF_INIT;
    const char *leader = "", *deputy = "";
    int row = 2;
    static const char *const cols[] = {"序号", "内容（考核组填写）", "意见建议", NULL};
    static const double widths[] = {8, 60, 50};
    if (!ws) return;
    put_text(x, ws, 0, 0, "七、典型经验与突出问题（考核组填写）；八、签字", x->title);
    header(x, ws, 1, cols, widths);
    sb_addf(&t, "（一）典型经验（%d—%d条）", r->experiences_min, r->experiences_max);
    put_text(x, ws, row++, 0, t.buf, x->bold);
    /* the experiences recorded (report experience add), then boxes up to the maximum */
    for (int i = 1; i <= r->experiences_max || i <= (int)c->nexperiences; i++, row++) {
        put_num(x, ws, row, 0, i, x->intf);
        put_text(x, ws, row, 1, i <= (int)c->nexperiences ? c->experiences[i - 1] : "", x->box);
        put_text(x, ws, row, 2, i <= r->experiences_min ? "" : "（可选）", x->note);
        check(x, worksheet_set_row(ws, (lxw_row_t)row, 60, NULL));
    }
    sb_reset(&t);
    sb_addf(&t, "（二）突出问题与薄弱环节及意见建议（至少%d个）", r->problems_min);
    put_text(x, ws, row++, 0, t.buf, x->bold);
    {
        /* the county's problems that count (recorded or later, not dismissed), then boxes */
        int k = 0;
        for (size_t i = 0; i < c->nproblems; i++) {
            const struct report_problem *p = &r->problems[c->problem0 + i];
            if (!rpt_problem_counts(p)) continue;
            sb_reset(&t);
            sb_addf(&t, "%s问题：%s（问题清单第 %lld 号，%s）", rpt_kind_zh(p->kind),
                    p->description, (long long)p->id, p->state_label ? p->state_label : "");
            put_num(x, ws, row, 0, ++k, x->intf);
            put_text(x, ws, row, 1, t.oom ? "" : t.buf, x->box);
            put_text(x, ws, row, 2, "", x->box);
            check(x, worksheet_set_row(ws, (lxw_row_t)row++, 60, NULL));
        }
        for (int i = k + 1; i <= r->problems_min + 2; i++, row++) {
            put_num(x, ws, row, 0, i, x->intf);
            put_text(x, ws, row, 1, "", x->box);
            put_text(x, ws, row, 2, i <= r->problems_min ? "" : "（可选）", x->note);
            check(x, worksheet_set_row(ws, (lxw_row_t)row, 60, NULL));
        }
    }
    for (size_t i = 0; i < c->team.nmembers; i++) {
        if (!strcmp(c->team.members[i].role, "leader") && !*leader)
            leader = c->team.members[i].name;
        if (!strcmp(c->team.members[i].role, "deputy") && !*deputy)
            deputy = c->team.members[i].name;
    }
    row++;
    put_text(x, ws, row++, 0, "八、签字", x->bold);
    sb_reset(&t);
    sb_addf(&t, "组长签字（%s）：", leader);
    put_text(x, ws, row, 1, t.buf, x->box);
    put_text(x, ws, row, 2, "日期：", x->box);
    check(x, worksheet_set_row(ws, (lxw_row_t)row++, 40, NULL));
    sb_reset(&t);
    sb_addf(&t, "副组长签字（%s）：", deputy);
    put_text(x, ws, row, 1, t.buf, x->box);
    put_text(x, ws, row, 2, "日期：", x->box);
    check(x, worksheet_set_row(ws, (lxw_row_t)row++, 40, NULL));
    worksheet_freeze_panes(ws, 2, 0);
    sb_release(&t);
}

/* ---------------------------------------------------------------- the workbook */

static void formats(struct xw *x)
{
    lxw_workbook *wb = x->wb;
    x->title = workbook_add_format(wb);
    format_set_bold(x->title);
    format_set_font_size(x->title, 14);
    x->note = workbook_add_format(wb);
    format_set_font_color(x->note, 0x555555);
    x->bold = workbook_add_format(wb);
    format_set_bold(x->bold);
    x->hdr = workbook_add_format(wb);
    format_set_bold(x->hdr);
    format_set_bg_color(x->hdr, 0xE8E8E8);
    format_set_border(x->hdr, LXW_BORDER_THIN);
    format_set_text_wrap(x->hdr);
    format_set_align(x->hdr, LXW_ALIGN_VERTICAL_TOP);
    x->txt = workbook_add_format(wb);
    format_set_border(x->txt, LXW_BORDER_THIN);
    format_set_text_wrap(x->txt);
    format_set_align(x->txt, LXW_ALIGN_VERTICAL_TOP);
    x->box = workbook_add_format(wb);
    format_set_border(x->box, LXW_BORDER_MEDIUM);
    format_set_text_wrap(x->box);
    format_set_align(x->box, LXW_ALIGN_VERTICAL_TOP);
    x->pct = workbook_add_format(wb);
    format_set_num_format(x->pct, "0.00%");
    format_set_border(x->pct, LXW_BORDER_THIN);
    x->num2 = workbook_add_format(wb);
    format_set_num_format(x->num2, "0.00");
    format_set_border(x->num2, LXW_BORDER_THIN);
    x->num4 = workbook_add_format(wb);
    format_set_num_format(x->num4, "0.0000");
    format_set_border(x->num4, LXW_BORDER_THIN);
    x->intf = workbook_add_format(wb);
    format_set_num_format(x->intf, "#,##0");
    format_set_border(x->intf, LXW_BORDER_THIN);
    x->pass = workbook_add_format(wb);
    format_set_font_color(x->pass, 0x1B5E20);
    format_set_border(x->pass, LXW_BORDER_THIN);
    x->fail = workbook_add_format(wb);
    format_set_font_color(x->fail, 0xB71C1C);
    format_set_bold(x->fail);
    format_set_border(x->fail, LXW_BORDER_THIN);
    x->close = workbook_add_format(wb);
    format_set_font_color(x->close, 0x8D6E00);
    format_set_bold(x->close);
    format_set_border(x->close, LXW_BORDER_THIN);
}

int rpt_xlsx_write(const struct report *r, const char *path, struct error *e)
{
    struct xw x;
    lxw_doc_properties props;
    lxw_error err;
    int rc = 0;
    memset(&x, 0, sizeof x);
    memset(&props, 0, sizeof props);
    x.r = r;
    sb_init(&x.tmp);
    x.names_unique = 1;
    for (size_t i = 0; i < r->ncounties; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(r->counties[i].est.name, r->counties[j].est.name)) x.names_unique = 0;
    if (!(x.wb = workbook_new(path))) {
        rc = error_set(e, ERR_IO, "%s: cannot create the workbook", path);
        goto out;
    }
    props.title = (char *)(r->title_zh ? r->title_zh : "");
    props.subject = (char *)"脱贫攻坚成效第三方评估报告";
    props.author = (char *)"pinggu";
    if (r->generated) { /* the report's date, so the file does not depend on the clock */
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        if (sscanf(r->generated, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) == 3) {
            tm.tm_year -= 1900;
            tm.tm_mon -= 1;
            tm.tm_hour = 12;
            props.created = timegm(&tm);
        }
    }
    check(&x, workbook_set_properties(x.wb, &props));
    formats(&x);
    summary_sheet(&x);
    problems_sheet(&x);
    method_sheet(&x);
    for (size_t i = 0; i < r->ncounties; i++) {
        static const char *const parts[] = {"基本情况", "指标测算", "村退出",
                                            "样本户",   "问题线索", "填报签字"};
        void (*const fn[])(struct xw *, const struct report_county *,
                           const char *) = {county_basic,      county_indicators, county_villages,
                                            county_households, county_problems,   county_fields};
        for (int k = 0; k < 6; k++) {
            char name[160];
            sheet_name(&x, &r->counties[i], parts[k], name, sizeof name);
            fn[k](&x, &r->counties[i], name);
        }
    }
    err = workbook_close(x.wb);
    x.wb = NULL;
    if (x.err)
        rc = error_set(e, x.err == LXW_ERROR_MEMORY_MALLOC_FAILED ? ERR_NOMEM : ERR_INTERNAL,
                       "%s: %s", path, lxw_strerror(x.err));
    else if (err)
        rc = error_set(e, ERR_IO, "%s: %s", path, lxw_strerror(err));
    else if (x.tmp.oom)
        rc = error_set(e, ERR_NOMEM, "out of memory writing %s", path);
out:
    sb_release(&x.tmp);
    mem_free(x.used);
    return rc;
}
