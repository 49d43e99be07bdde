/*
 * html.c — the HTML pages of a report (report.h): index.html (summary across counties),
 * county-CODE.html (the eight parts of a county report) and problems.html (the problem list
 * in the template's columns).
 *
 * Every page is self-contained and prints on A4: one inline <style> (system CJK fonts by
 * name only, nothing fetched), inline SVG charts (svg.c), no script; links are relative.
 * Every text that comes from data goes through rpt_html (masking of resident IDs, then HTML
 * escaping); only static labels of this file are written as they are.
 *
 * Score and rank: nothing here computes or prints either; a plan that is not scored and not
 * ranked (不打分、不排队) gets that sentence, and no sampling rank is shown either, so that
 * "排名"/"rank" never appears in its reports.
 */
#include "report_int.h"

#include <math.h>
#include <string.h>

static const char css[] =
    "body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"PingFang SC\","
    "\"Microsoft YaHei\",\"WenQuanYi Micro Hei\",SimSun,sans-serif;font-size:14px;"
    "line-height:1.5;color:#111;max-width:1120px;margin:20px auto;padding:0 16px}"
    "h1{font-size:22px;margin:8px 0 4px}h2{font-size:17px;border-bottom:2px solid #333;"
    "margin:26px 0 8px}h3{font-size:15px;margin:14px 0 6px}"
    "table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:13px}"
    "th,td{border:1px solid #999;padding:3px 6px;vertical-align:top;text-align:left}"
    "th{background:#eee}td.n{text-align:right;white-space:nowrap;"
    "font-variant-numeric:tabular-nums}td.c{text-align:center}"
    "table.kv th{width:13em}tr.total td{font-weight:bold;background:#f6f6f6}"
    ".pass{color:#1b5e20}.fail{color:#b71c1c;font-weight:bold}"
    ".close{color:#8d6e00;font-weight:bold}.muted{color:#777}"
    ".note{font-size:13px;background:#fffbe6;border-left:4px solid #f9a825;"
    "padding:4px 10px;margin:6px 0}.meta{color:#444;font-size:13px;margin:2px 0}"
    ".box{border:1px solid #555;min-height:5em;margin:4px 0 10px;padding:4px 8px}"
    ".box span{color:#777;font-size:12px}"
    "table.sig td{border:none;border-bottom:1px solid #333;height:3.4em;vertical-align:bottom}"
    "table.sig th{border:none;background:none;width:8em;vertical-align:bottom}"
    "nav{font-size:13px;margin-bottom:6px}nav a{margin-right:1.2em}"
    "svg.chart{max-width:100%;height:auto;display:block;margin:6px 0}"
    "table.wide{font-size:11px}table.wide td,table.wide th{padding:2px 3px}"
    "code{font-size:11px;word-break:break-all}"
    "@page{size:A4;margin:14mm 12mm}"
    "@media print{body{margin:0;max-width:none;font-size:10.5pt}nav{display:none}"
    "h2{page-break-after:avoid}tr,.box,table.sig,svg{page-break-inside:avoid}"
    ".pb{page-break-before:always}a{color:inherit;text-decoration:none}}";

static void page_begin(struct strbuf *sb, const struct report *r, const char *title, int landscape)
{
    sb_adds(sb, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<title>");
    rpt_html(sb, r, title);
    sb_adds(sb, "</title>\n<style>");
    sb_adds(sb, css);
    if (landscape) sb_adds(sb, "@page{size:A4 landscape;margin:10mm}");
    sb_adds(sb, "</style>\n</head>\n<body>\n");
}

static void page_end(struct strbuf *sb)
{
    sb_adds(sb, "\n</body>\n</html>\n");
}

/* The lines under a page's title: plan, sample, dates, masking. */
static void page_meta(struct strbuf *sb, const struct report *r)
{
    sb_adds(sb, "<p class=\"meta\">方案 Plan：");
    rpt_html(sb, r, r->title_zh);
    if (r->title_en && *r->title_en) {
        sb_adds(sb, "（");
        rpt_html(sb, r, r->title_en);
        sb_adds(sb, "）");
    }
    sb_adds(sb, " · <code>");
    rpt_html(sb, r, r->plan_id);
    sb_adds(sb, "</code> · 样本 sample <code>");
    rpt_html(sb, r, r->sample);
    sb_addf(sb, "</code> · 评估年度 %d · 扶贫标准 %.0f 元/人·年 · 生成日期 ", r->year, r->line);
    rpt_html(sb, r, r->generated);
    sb_adds(sb, "</p>\n<p class=\"meta\">");
    if (r->unmasked)
        sb_adds(sb, "<strong>本报告含完整姓名和身份证号（--unmasked），属个人信息，"
                    "仅限评估工作使用。</strong> Names and resident IDs in full.");
    else
        sb_adds(sb, "姓名、身份证号已脱敏 / names and resident IDs are masked.");
    if (!r->scored && !r->ranked)
        sb_adds(sb, " 不打分、不排队：结果只对照标准判定达标与否 / pass or fail against the "
                    "standards only.");
    sb_adds(sb, "</p>\n");
}

static void td_text(struct strbuf *sb, const struct report *r, const char *cls, const char *s)
{
    if (cls)
        sb_addf(sb, "<td class=\"%s\">", cls);
    else
        sb_adds(sb, "<td>");
    rpt_html(sb, r, s);
    sb_adds(sb, "</td>");
}

static void td_int(struct strbuf *sb, long long v)
{
    sb_adds(sb, "<td class=\"n\">");
    sb_add_thousands(sb, v);
    sb_adds(sb, "</td>");
}

static void td_pct(struct strbuf *sb, double v)
{
    char b[32];
    rpt_pct(v, b, sizeof b);
    sb_addf(sb, "<td class=\"n\">%s</td>", b);
}

static void th_row(struct strbuf *sb, const char *const *cols)
{
    sb_adds(sb, "<tr>");
    for (; *cols; cols++) sb_addf(sb, "<th>%s</th>", *cols);
    sb_adds(sb, "</tr>\n");
}

static const char *official_class(const struct verdict *v)
{
    return v->official ? "pass" : "fail";
}

static const char *interval_class(const struct verdict *v)
{
    return v->interval == IV_WITHIN ? "pass" : v->interval == IV_OUTSIDE ? "fail" : "close";
}

/* The two verdicts, "达标 / 难以判定", with classes. */
static void verdict_cells(struct strbuf *sb, const struct est *x, const struct verdict *v)
{
    if (!v->applicable || !x->valid) {
        sb_adds(sb, "<td class=\"muted\">—</td><td class=\"muted\">—</td>");
        return;
    }
    sb_addf(sb, "<td class=\"%s\">%s</td>", official_class(v), v->official ? "达标" : "未达标");
    if (v->interval == IV_NONE)
        sb_adds(sb, "<td class=\"muted\">无区间</td>");
    else
        sb_addf(sb, "<td class=\"%s\">%s</td>", interval_class(v),
                interval_verdict_zh(v->interval));
}

static void bar_of(const struct report_county *c, enum indicator k, const char *label,
                   const char *href, struct report_bar *b)
{
    const struct est *x = &c->est.ind[k];
    const struct verdict *v = &c->est.v[k];
    memset(b, 0, sizeof *b);
    b->label = label;
    b->href = href;
    b->valid = x->valid;
    b->estimate = x->estimate;
    b->lower = x->lower;
    b->upper = x->upper;
    b->has_threshold = v->applicable;
    b->op = v->op;
    b->threshold = v->threshold;
    b->verdict = v->interval;
}

/* ---------------------------------------------------------------- county page */

static void county_basic(struct strbuf *sb, const struct report *r, const struct report_county *c)
{
    const struct unit_est *u = &c->est;
    int poor = 0, other = 0;
    sb_adds(sb, "<h2>一、基本情况 Basic situation</h2>\n<table class=\"kv\">\n");
    sb_adds(sb, "<tr><th>县（市、区）</th><td>");
    rpt_html(sb, r, u->name);
    sb_addf(sb, "（%d）", u->code);
    if (c->city_name && *c->city_name) {
        sb_adds(sb, "，");
        rpt_html(sb, r, c->city_name);
    }
    sb_adds(sb, "</td></tr>\n<tr><th>县类型 / 地区</th><td>");
    sb_add_html(sb, rpt_county_type_zh(c->type));
    if (c->exit_year) sb_addf(sb, "（%d年摘帽）", c->exit_year);
    sb_adds(sb, " · ");
    sb_add_html(sb, rpt_region_zh(u->region));
    if (c->covert) sb_adds(sb, " · 暗访县 covert visit");
    sb_adds(sb, "</td></tr>\n<tr><th>农村人口</th><td>");
    sb_add_thousands(sb, c->rural_population);
    sb_adds(sb, " 人</td></tr>\n<tr><th>建档立卡（系统数据）</th><td>");
    sb_add_thousands(sb, c->registered_households);
    sb_adds(sb, " 户 ");
    sb_add_thousands(sb, c->registered_persons);
    sb_adds(sb, " 人；其中未脱贫（含返贫） ");
    sb_add_thousands(sb, c->unexited_persons);
    sb_adds(sb, " 人，已脱贫 ");
    sb_add_thousands(sb, c->exited_persons);
    sb_adds(sb, " 人</td></tr>\n");
    if (c->allowance_standard > 0)
        sb_addf(sb, "<tr><th>农村低保标准</th><td>%.0f 元/人·年（扶贫标准 %.0f 元）</td></tr>\n",
                c->allowance_standard, r->line);
    for (size_t i = 0; i < c->nvillages; i++) {
        if (c->villages[i].stratum && !strcmp(c->villages[i].stratum, "poor"))
            poor++;
        else
            other++;
    }
    sb_addf(sb, "<tr><th>抽查村</th><td>%zu 个（贫困村 %d 个、非贫困村 %d 个）：", c->nvillages,
            poor, other);
    for (size_t i = 0; i < c->nvillages; i++) {
        if (i) sb_adds(sb, "、");
        rpt_html(sb, r, c->villages[i].township);
        rpt_html(sb, r, c->villages[i].name);
    }
    sb_adds(sb, "</td></tr>\n<tr><th>抽查户</th><td>");
    sb_add_thousands(sb, c->households_sampled);
    sb_addf(sb,
            " 户（含全覆盖调查户）；入户应答率 %.1f%%：原抽中 %lld 户中入户 %lld 户，"
            "%lld 户由备选户替换",
            100 * u->response, (long long)u->selected, (long long)u->reached,
            (long long)u->replaced);
    if (u->out_of_scope)
        sb_addf(sb, "；%lld 户全户死亡或查无此户，不在调查范围（不计入应答率分母，从总体中剔除"
                    "而非加权补足）",
                (long long)u->out_of_scope);
    sb_adds(sb, "</td></tr>\n");
    sb_adds(sb, "<tr><th>实地核查日期</th><td>");
    if (c->first_date && *c->first_date) {
        rpt_html(sb, r, c->first_date);
        sb_adds(sb, " 至 ");
        rpt_html(sb, r, c->last_date);
    } else
        sb_adds(sb, "—");
    if (r->fieldwork_from && *r->fieldwork_from) {
        sb_adds(sb, "（方案安排 ");
        rpt_html(sb, r, r->fieldwork_from);
        sb_adds(sb, " 至 ");
        rpt_html(sb, r, r->fieldwork_to);
        sb_adds(sb, "）");
    }
    sb_adds(sb, "</td></tr>\n<tr><th>考核组</th><td>");
    if (!c->team.team)
        sb_adds(sb, "未组建考核组（本方案无组队抽签）");
    else {
        sb_addf(sb, "第%d组（派出市 %d）", c->team.team, c->team.home_city);
        for (size_t i = 0; i < c->team.nmembers; i++) {
            const struct report_member *m = &c->team.members[i];
            if (strcmp(m->role, "leader") && strcmp(m->role, "deputy")) continue;
            sb_adds(sb, "；");
            sb_add_html(sb, rpt_role_zh(m->role));
            sb_adds(sb, " ");
            rpt_html(sb, r, m->name);
        }
        sb_addf(sb, "；共 %zu 人", c->team.nmembers);
    }
    sb_adds(sb, "</td></tr>\n</table>\n");
    if (c->team.nmembers) {
        static const char *const cols[] = {"角色",     "姓名",     "单位层级", "职务",
                                           "入户小组", "评估经验", NULL};
        sb_adds(sb, "<h3>考核组成员 Team members</h3>\n<table>\n");
        th_row(sb, cols);
        for (size_t i = 0; i < c->team.nmembers; i++) {
            const struct report_member *m = &c->team.members[i];
            sb_adds(sb, "<tr>");
            td_text(sb, r, NULL, rpt_role_zh(m->role));
            td_text(sb, r, NULL, m->name);
            td_text(sb, r, NULL, rpt_unit_level_zh(m->unit_level));
            td_text(sb, r, NULL, rpt_position_zh(m->position));
            if (m->pair)
                sb_addf(sb, "<td class=\"n\">%d</td>", m->pair);
            else
                sb_adds(sb, "<td class=\"muted\">—</td>");
            sb_addf(sb, "<td>%s</td></tr>\n", m->experienced ? "有" : "无");
        }
        sb_adds(sb, "</table>\n");
    }
}

/* What the plan can decide in this county: the plan-power rows (estimate.h). */
static void county_power_table(struct strbuf *sb, const struct report *r,
                               const struct report_county *c)
{
    static const char *const cols[] = {"指标", "标准", "预计样本户", "标准处的区间半宽",
                                       "判定力", "能否判定", "判为未达标所需真实值", NULL};
    int undecided = 0;
    char b[64];
    if (!c->npower) {
        if (r->power_note) {
            sb_adds(sb, "<p class=\"note\">未能进行方案检验 / no plan power: ");
            rpt_html(sb, r, r->power_note);
            sb_adds(sb, "</p>\n");
        }
        return;
    }
    sb_adds(sb, "<h3>样本能判定什么 What this sample can decide (plan power)</h3>\n<table>\n");
    th_row(sb, cols);
    for (size_t i = 0; i < c->npower; i++) {
        const struct power_row *p = &c->power[i];
        sb_adds(sb, "<tr>");
        td_text(sb, r, NULL, indicator_zh(p->ind));
        td_pct(sb, p->threshold);
        td_int(sb, (long long)p->expected_n);
        sb_addf(sb, "<td class=\"n\">±%.1f%%</td>", 100 * p->half_width);
        sb_addf(sb, "<td class=\"n\">%.0f%%</td>", 100 * p->power);
        sb_addf(sb, "<td class=\"%s\">%s</td>", p->decides ? "pass" : "close",
                p->decides ? "能 decides" : "不能 cannot decide");
        if (isfinite(p->detectable)) {
            snprintf(b, sizeof b, "%.1f%%", 100 * p->detectable);
            sb_addf(sb, "<td class=\"n\">%s</td>", b);
        } else
            sb_adds(sb, "<td class=\"muted\">无 none</td>");
        sb_adds(sb, "</tr>\n");
        undecided += !p->decides;
    }
    sb_adds(sb, "</table>\n");
    sb_addf(sb,
            "<p class=\"note\">方案检验（抽查前即可做）：按本方案在当前建档立卡数据上重新抽样，"
            "在真实值恰为标准和明显优于标准（错退率、漏评率为标准的一半；认可度为差距的一半）时"
            "各模拟 %d 次，按与上表相同的估计方法计算区间。判定力 = 明显优于标准的县被判为"
            "“明确达标”的比例，低于 80%% 即“不能判定”；最后一列是 80%% 的样本会把该县判为"
            "“明确未达标”所需的真实值。%s / Plan power: the plan re-drawn on the registry and "
            "outcomes simulated %d times; below 80%% power the sample cannot tell a county at "
            "the threshold from a clearly better one.</p>\n",
            r->power_reps,
            undecided ? "本县有指标不能判定：这些指标的区间跨越标准是样本量所致，不是对该县的结论。"
                      : "",
            r->power_reps);
}

static void county_indicators(struct strbuf *sb, const struct report *r,
                              const struct report_county *c)
{
    static const char *const cols[] = {"指标",   "估计值",       "95%区间", "标准误",   "设计效应",
                                       "样本户", "人数",         "标准",    "官方判定", "区间判定",
                                       "省报数", "省报数与区间", NULL};
    const struct unit_est *u = &c->est;
    struct strbuf note = STRBUF_INIT;
    char b[256];
    sb_adds(sb, "<h2>二、指标测算 Indicators</h2>\n<table>\n");
    th_row(sb, cols);
    for (int k = 0; k < IND_COUNT; k++) {
        const struct est *x = &u->ind[k];
        const struct verdict *v = &u->v[k];
        sb_adds(sb, "<tr>");
        td_text(sb, r, NULL, indicator_zh((enum indicator)k));
        if (!x->valid) {
            sb_adds(sb, "<td class=\"muted\" colspan=\"6\">无样本（分母为零）</td>");
        } else {
            td_pct(sb, x->estimate);
            rpt_interval(x, b, sizeof b);
            sb_addf(sb, "<td class=\"n\">%s</td>", b);
            rpt_num(100 * x->se, 2, b, sizeof b);
            sb_addf(sb, "<td class=\"n\">%s%s</td>", b, isfinite(x->se) ? "%" : "");
            rpt_num(x->deff, 2, b, sizeof b);
            sb_addf(sb, "<td class=\"n\">%s</td>", b);
            td_int(sb, (long long)x->n);
            if (k == IND_APPROVAL)
                sb_adds(sb, "<td class=\"muted\">—</td>");
            else
                td_int(sb, (long long)llround(x->persons));
        }
        rpt_threshold_text(v, b, sizeof b);
        td_text(sb, r, NULL, v->applicable ? b : "—");
        verdict_cells(sb, x, v);
        if (u->has_reported[k]) {
            td_pct(sb, u->reported[k]);
            sb_addf(sb, "<td class=\"%s\">%s</td>", u->reported_outside[k] ? "fail" : "pass",
                    u->reported_outside[k] ? "在区间外：差异超出抽样误差" : "在区间内");
        } else
            sb_adds(sb, "<td class=\"muted\">—</td><td class=\"muted\">—</td>");
        sb_adds(sb, "</tr>\n");
    }
    sb_adds(sb, "</table>\n");
    for (int k = 0; k < IND_COUNT; k++) {
        sb_reset(&note);
        rpt_close_note(c, (enum indicator)k, &note);
        if (note.len) {
            sb_adds(sb, "<p class=\"note\">");
            rpt_html(sb, r, note.oom ? "" : note.buf);
            sb_adds(sb, "</p>\n");
        }
    }
    sb_release(&note);
    if (u->incidence_assumes)
        sb_adds(sb, "<p class=\"note\">综合贫困发生率假定方案未抽查的其他一般农户均不贫困 / the "
                    "incidence assumes the general households the plan does not sample are not "
                    "poor.</p>\n");
    for (size_t k = 0; k < c->ncollapses; k++) {
        const struct cell_collapse *cc = &c->collapses[k];
        if (cc->within > 0)
            sb_addf(sb,
                    "<p class=\"note\">抽样格合并：村 %lld 的 %s 层（原抽中 %lld 户）无完成问卷，"
                    "其总体份额并入%s最近的村 %lld 的同层 / quota cell collapsed into village "
                    "%lld (%s).</p>\n",
                    (long long)cc->village, cc->quota, (long long)cc->selected,
                    cc->within == 1 ? "同村层" : "本县", (long long)cc->into,
                    (long long)cc->into,
                    cc->within == 1 ? "same village stratum" : "same county");
        else
            sb_addf(sb,
                    "<p class=\"note\">抽样格无法合并：村 %lld 的 %s 层（原抽中 %lld 户）无完成"
                    "问卷，本县也没有同层的其他格，其总体份额不在估计中 / quota cell lost.</p>\n",
                    (long long)cc->village, cc->quota, (long long)cc->selected);
    }
    for (int k = 0; k < IND_COUNT; k++)
        if (u->ind[k].valid && u->ind[k].lonely) {
            sb_adds(sb, "<p class=\"note\">有的村层只抽到一个村：其方差按全体村的均值中心化"
                        "（R survey 的 lonely.psu = \"adjust\"）。</p>\n");
            break;
        }
    sb_addf(sb,
            "<p class=\"meta\">估计值为设计加权比率估计（错退率、漏评率按人计，认可度按户计）；"
            "标准误按村（初级抽样单位）泰勒线性化，自由度 %d；95%%区间为 Korn–Graubard 区间。"
            "官方判定以点估计对照标准；区间判定：区间全部达标为“明确达标”，全部未达标为"
            "“明确未达标”，跨越标准为“难以判定”。综合贫困发生率 = (未脱贫人口 U + 错退率 × "
            "脱贫人口 E + 漏评率 × 一般农户人口 G) / 农村人口 R，U = %.0f，E = %.0f，G = %.0f，"
            "R = %.0f。</p>\n",
            u->ind[IND_WRONG_EXIT].df, u->U, u->E, u->G, u->R);
    county_power_table(sb, r, c);
}

static void county_charts(struct strbuf *sb, const struct report *r, const struct report_county *c)
{
    struct report_bar bars[3], ap;
    (void)r;
    sb_adds(sb, "<h2>三、指标与标准对照 Indicators against thresholds</h2>\n");
    bar_of(c, IND_WRONG_EXIT, indicator_zh(IND_WRONG_EXIT), NULL, &bars[0]);
    bar_of(c, IND_MISSED, indicator_zh(IND_MISSED), NULL, &bars[1]);
    bar_of(c, IND_INCIDENCE, indicator_zh(IND_INCIDENCE), NULL, &bars[2]);
    report_chart_svg(sb, "错退率、漏评率、综合贫困发生率（标准：低于）", bars, 3);
    bar_of(c, IND_APPROVAL, indicator_zh(IND_APPROVAL), NULL, &ap);
    report_chart_svg(sb, "群众认可度（标准：达到）", &ap, 1);
    sb_adds(sb, "<p class=\"meta\">圆点为点估计，横条为95%区间，竖线为标准。横条跨越竖线即"
                "“难以判定”：样本不足以区分达标与未达标。</p>\n");
}

static void county_villages(struct strbuf *sb, const struct report *r,
                            const struct report_county *c)
{
    const struct report_village *first = NULL;
    char b[96], bound[400];
    sb_adds(sb, "<h2>四、贫困村退出指标 Village exit standard</h2>\n");
    if (!r->village_standard) {
        sb_adds(sb, "<p>本方案不核查贫困村退出指标。</p>\n");
        return;
    }
    for (size_t i = 0; i < c->nvillages; i++)
        if (c->villages[i].nitems > (first ? first->nitems : 0)) first = &c->villages[i];
    if (!first) {
        sb_adds(sb, "<p>没有已研判的村级问卷。</p>\n");
        return;
    }
    sb_adds(sb, "<table class=\"wide\">\n<tr><th>村</th><th>类型</th>");
    for (size_t j = 0; j < first->nitems; j++) {
        sb_adds(sb, "<th>");
        sb_add_html(sb, rpt_rule_zh(first->items[j].rule));
        sb_adds(sb, "</th>");
    }
    sb_adds(sb, "<th>退出标准</th></tr>\n");
    for (size_t i = 0; i < c->nvillages; i++) {
        const struct report_village *v = &c->villages[i];
        sb_adds(sb, "<tr><td>");
        rpt_html(sb, r, v->township);
        rpt_html(sb, r, v->name);
        sb_adds(sb, "</td>");
        td_text(sb, r, NULL, rpt_vstratum_zh(v->stratum));
        for (size_t j = 0; j < first->nitems; j++) {
            const struct report_item *it = NULL;
            for (size_t k = 0; k < v->nitems; k++)
                if (!strcmp(v->items[k].rule, first->items[j].rule)) it = &v->items[k];
            if (!it) {
                sb_adds(sb, "<td class=\"muted\">—</td>");
                continue;
            }
            rpt_item_value(it, b, sizeof b);
            sb_addf(sb, "<td class=\"%s\" title=\"",
                    !strcmp(it->outcome, "fail")   ? "fail"
                    : !strcmp(it->outcome, "pass") ? "pass"
                                                   : "muted");
            rpt_bound(it->bound, bound, sizeof bound);
            rpt_html(sb, r, bound);
            sb_adds(sb, "\">");
            rpt_html(sb, r, b);
            sb_adds(sb, !strcmp(it->outcome, "fail")   ? " ✗"
                        : !strcmp(it->outcome, "pass") ? " ✓"
                                                       : "");
            sb_adds(sb, "</td>");
        }
        sb_addf(sb, "<td class=\"%s\">%s</td></tr>\n",
                v->exit_ok == 1   ? "pass"
                : v->exit_ok == 0 ? "fail"
                                  : "muted",
                v->exit_ok == 1   ? "达标"
                : v->exit_ok == 0 ? "未达标"
                                  : "未研判");
    }
    sb_adds(sb, "</table>\n<p class=\"meta\">✓ 达标，✗ 未达标，“—”不适用或未填。各项标准"
                "（悬停单元格可见该村适用的标准）：");
    for (size_t j = 0; j < first->nitems; j++) {
        if (j) sb_adds(sb, "；");
        sb_add_html(sb, rpt_rule_zh(first->items[j].rule));
        sb_adds(sb, " ");
        rpt_bound(first->items[j].bound, bound, sizeof bound);
        rpt_html(sb, r, bound);
    }
    sb_adds(sb, "。</p>\n");
}

static void county_households(struct strbuf *sb, const struct report *r,
                              const struct report_county *c)
{
    static const char *const cols[] = {
        "户类型（配额层）", "抽中",       "其中替补", "未入户",       "备选户替换",
        "完成问卷",         "脱贫户研判", "错退",     "一般农户研判", "漏评",
        "认可度询问",       "认可",       NULL};
    struct report_stratum t;
    memset(&t, 0, sizeof t);
    sb_adds(sb, "<h2>五、样本户情况 Sampled households</h2>\n<table>\n");
    th_row(sb, cols);
    for (size_t i = 0; i < c->nstrata; i++) {
        const struct report_stratum *s = &c->strata[i];
        sb_adds(sb, "<tr>");
        td_text(sb, r, NULL, s->label ? s->label : s->stratum);
        td_int(sb, s->selected);
        td_int(sb, s->substitutes);
        td_int(sb, s->not_reached);
        td_int(sb, s->reserves_used);
        td_int(sb, s->completed);
        td_int(sb, s->exited_judged);
        td_int(sb, s->wrong_exit);
        td_int(sb, s->general_judged);
        td_int(sb, s->missed);
        td_int(sb, s->asked);
        td_int(sb, s->approving);
        sb_adds(sb, "</tr>\n");
        t.selected += s->selected, t.substitutes += s->substitutes;
        t.not_reached += s->not_reached, t.reserves_used += s->reserves_used;
        t.completed += s->completed, t.exited_judged += s->exited_judged;
        t.wrong_exit += s->wrong_exit, t.general_judged += s->general_judged;
        t.missed += s->missed, t.asked += s->asked, t.approving += s->approving;
    }
    sb_adds(sb, "<tr class=\"total\"><td>合计</td>");
    td_int(sb, t.selected);
    td_int(sb, t.substitutes);
    td_int(sb, t.not_reached);
    td_int(sb, t.reserves_used);
    td_int(sb, t.completed);
    td_int(sb, t.exited_judged);
    td_int(sb, t.wrong_exit);
    td_int(sb, t.general_judged);
    td_int(sb, t.missed);
    td_int(sb, t.asked);
    td_int(sb, t.approving);
    sb_adds(sb, "</tr>\n</table>\n<p class=\"meta\">未加权户数。“其中替补”为配额不足时按方案"
                "从其他户类型替补的户；“备选户替换”为未能入户（外出、拒访、迁出、死亡、查无此户）"
                "后由备选名单替换的户。比率以指标测算表的加权估计为准。</p>\n");
}

static void evidence_cell(struct strbuf *sb, const struct report *r, const struct report_problem *p)
{
    sb_adds(sb, "<td>");
    for (size_t i = 0; i < p->nevidence; i++) {
        const struct report_evidence *v = &p->evidence[i];
        if (i) sb_adds(sb, "<br>");
        rpt_html(sb, r, v->media && *v->media ? v->media : "evidence");
        sb_adds(sb, " ");
        if (v->href) {
            sb_adds(sb, "<a href=\"");
            sb_add_html(sb, v->href);
            sb_adds(sb, "\" title=\"SHA-256 ");
            sb_add_html(sb, v->sha256);
            sb_adds(sb, "\"><code>");
            sb_add(sb, v->sha256, strlen(v->sha256) > 12 ? 12 : strlen(v->sha256));
            sb_adds(sb, "…</code></a>");
        } else {
            sb_adds(sb, "SHA-256 <code>");
            sb_add_html(sb, v->sha256);
            sb_adds(sb, "</code>");
        }
    }
    if (!p->nevidence) sb_adds(sb, "<span class=\"muted\">无</span>");
    sb_adds(sb, "</td>");
}

static void problem_type(struct strbuf *sb, const struct report *r, const struct report_problem *p)
{
    rpt_html(sb, r, rpt_kind_zh(p->kind));
    sb_adds(sb, "：");
    rpt_html(sb, r, rpt_rule_zh(p->rule));
}

static void county_problems(struct strbuf *sb, const struct report *r,
                            const struct report_county *c)
{
    static const char *const cols[] = {"序号",     "乡镇",     "村",   "对象",
                                       "问题类型", "问题描述", "证据", NULL};
    sb_adds(sb, "<h2>六、问题线索 Problem candidates</h2>\n");
    if (!c->nproblems) {
        sb_adds(sb, "<p>研判未发现问题线索。</p>\n");
        return;
    }
    sb_adds(sb, "<p class=\"meta\">由问卷研判自动生成的问题线索，须经考核组汇总研判、次日与县里"
                "共同核实，证据充分的方可认定（种子 002 五(六)）。证据为按内容哈希存储、不可更改的"
                "照片、录音和文件。</p>\n<table>\n");
    th_row(sb, cols);
    for (size_t i = 0; i < c->nproblems; i++) {
        const struct report_problem *p = &r->problems[c->problem0 + i];
        sb_addf(sb, "<tr><td class=\"n\">%zu</td>", i + 1);
        td_text(sb, r, NULL, p->township);
        td_text(sb, r, NULL, p->village);
        td_text(sb, r, NULL, p->object);
        sb_adds(sb, "<td>");
        problem_type(sb, r, p);
        sb_adds(sb, "</td>");
        td_text(sb, r, NULL, p->description);
        evidence_cell(sb, r, p);
        sb_adds(sb, "</tr>\n");
    }
    sb_adds(sb, "</table>\n");
}

int rpt_html_county(const struct report *r, const struct report_county *c, struct strbuf *sb)
{
    struct strbuf t = STRBUF_INIT;
    sb_addf(&t, "%s 评估报告", c->est.name);
    page_begin(sb, r, t.oom ? "" : t.buf, 0);
    sb_release(&t);
    sb_adds(sb, "<nav><a href=\"index.html\">← 汇总 Summary</a><a href=\"problems.html\">问题清单 "
                "Problem list</a></nav>\n<h1>");
    rpt_html(sb, r, c->est.name);
    sb_adds(sb, " 脱贫攻坚成效第三方评估县级报告</h1>\n");
    page_meta(sb, r);
    county_basic(sb, r, c);
    county_indicators(sb, r, c);
    county_charts(sb, r, c);
    county_villages(sb, r, c);
    county_households(sb, r, c);
    county_problems(sb, r, c);
    rpt_html_county_fields(sb, r, c);
    page_end(sb);
    return sb_ok(sb);
}

/* ---------------------------------------------------------------- shared with levels.c */

void rpt_page_begin(struct strbuf *sb, const struct report *r, const char *title, int landscape)
{
    page_begin(sb, r, title, landscape);
}
void rpt_page_end(struct strbuf *sb) { page_end(sb); }
void rpt_page_meta(struct strbuf *sb, const struct report *r) { page_meta(sb, r); }
void rpt_th_row(struct strbuf *sb, const char *const *cols) { th_row(sb, cols); }
void rpt_td_text(struct strbuf *sb, const struct report *r, const char *s)
{
    td_text(sb, r, NULL, s);
}

/* ---------------------------------------------------------------- problem list */

/* DESIGN §8: the template's columns; the candidates fill the first ten. */
static const char *const problem_cols[] = {"序号",     "县",       "乡镇",     "村",     "对象",
                                           "问题类型", "问题描述", "证据",     "发现人", "发现日期",
                                           "复核结果", "整改措施", "责任单位", "责任人", "整改时限",
                                           "整改结果", "销号日期", NULL};

int rpt_html_problems(const struct report *r, struct strbuf *sb)
{
    page_begin(sb, r, "问题清单", 1);
    sb_adds(sb, "<nav><a href=\"index.html\">← 汇总 Summary</a></nav>\n"
                "<h1>问题清单 Problem list</h1>\n");
    page_meta(sb, r);
    sb_addf(sb,
            "<p class=\"meta\">共 %zu 条问题线索。前十列由研判、比对与记录生成；复核结果、整改措施、"
            "责任单位、责任人、整改时限、整改结果、销号日期随核实与整改逐步填写，取自每条问题的"
            "流转记录（问题清单模板，种子 004 第三篇附件6；DESIGN §8.1）。</p>\n"
            "<table class=\"wide\">\n",
            r->nproblems);
    th_row(sb, problem_cols);
    for (size_t i = 0; i < r->nproblems; i++) {
        const struct report_problem *p = &r->problems[i];
        sb_addf(sb, "<tr><td class=\"n\">%zu</td>", i + 1);
        sb_addf(sb, "<td><a href=\"county-%d.html\">", p->county);
        rpt_html(sb, r, p->county_name);
        sb_adds(sb, "</a></td>");
        td_text(sb, r, NULL, p->township);
        td_text(sb, r, NULL, p->village);
        td_text(sb, r, NULL, p->object);
        sb_adds(sb, "<td>");
        problem_type(sb, r, p);
        sb_adds(sb, "</td>");
        td_text(sb, r, NULL, p->description);
        evidence_cell(sb, r, p);
        sb_adds(sb, "<td>");
        if (p->team) sb_addf(sb, "第%d组（", p->team);
        rpt_html(sb, r, p->found_by);
        if (p->team) sb_adds(sb, "）");
        sb_adds(sb, "</td>");
        td_text(sb, r, NULL, p->found_on);
        td_text(sb, r, NULL, p->verification);
        td_text(sb, r, NULL, p->measures);
        td_text(sb, r, NULL, p->responsible_unit);
        td_text(sb, r, NULL, p->responsible_person);
        td_text(sb, r, NULL, p->deadline);
        td_text(sb, r, NULL, p->result);
        td_text(sb, r, NULL, p->closed_on);
        sb_adds(sb, "</tr>\n");
    }
    sb_adds(sb, "</table>\n");
    page_end(sb);
    return sb_ok(sb);
}

/* ---------------------------------------------------------------- summary */

static void summary_table(struct strbuf *sb, const struct report *r)
{
    char b[96];
    sb_adds(sb, "<h2>二、各县指标 Indicators by county</h2>\n<table class=\"wide\">\n<tr>"
                "<th rowspan=\"2\">县</th><th rowspan=\"2\">地区</th>"
                "<th rowspan=\"2\">应答率</th>");
    for (int k = 0; k < IND_COUNT; k++)
        sb_addf(sb, "<th colspan=\"3\">%s</th>", indicator_zh((enum indicator)k));
    sb_adds(sb, "<th rowspan=\"2\">问题线索</th></tr>\n<tr>");
    for (int k = 0; k < IND_COUNT; k++)
        sb_adds(sb, "<th>估计值 [95%区间]</th><th>官方</th><th>区间</th>");
    sb_adds(sb, "</tr>\n");
    for (size_t i = 0; i < r->ncounties; i++) {
        const struct report_county *c = &r->counties[i];
        const struct unit_est *u = &c->est;
        sb_addf(sb, "<tr><td><a href=\"county-%d.html\">", u->code);
        rpt_html(sb, r, u->name);
        sb_addf(sb, "</a> <span class=\"muted\">%d</span></td>", u->code);
        td_text(sb, r, NULL, rpt_region_zh(u->region));
        td_pct(sb, u->response);
        for (int k = 0; k < IND_COUNT; k++) {
            const struct est *x = &u->ind[k];
            char iv[64];
            if (!x->valid) {
                sb_adds(sb, "<td class=\"muted\">—</td>");
            } else {
                rpt_pct(x->estimate, b, sizeof b);
                rpt_interval(x, iv, sizeof iv);
                sb_addf(sb, "<td class=\"n\">%s %s", b, iv);
                if (u->has_reported[k] && u->reported_outside[k]) {
                    rpt_pct(u->reported[k], b, sizeof b);
                    sb_addf(sb, "<br><span class=\"fail\">省报 %s 在区间外</span>", b);
                }
                sb_adds(sb, "</td>");
            }
            verdict_cells(sb, x, &u->v[k]);
        }
        td_int(sb, (long long)c->nproblems);
        sb_adds(sb, "</tr>\n");
    }
    sb_adds(sb,
            "</table>\n<p class=\"meta\">官方判定以点估计对照标准；区间判定：明确达标 / 难以判定"
            " / 明确未达标（95% Korn–Graubard 区间与标准比较）。“省报在区间外”：省里上报的数"
            "与抽查结果之差超出抽样误差。</p>\n");
}

static void summary_charts(struct strbuf *sb, const struct report *r)
{
    struct report_bar *bars = mem_calloc(r->ncounties + 1, sizeof *bars);
    char(*hrefs)[32] = mem_calloc(r->ncounties + 1, sizeof *hrefs);
    sb_adds(sb, "<h2>三、各县指标与标准对照 Each county's interval against the threshold</h2>\n");
    if (!bars || !hrefs) {
        sb->oom = 1;
        goto out;
    }
    for (int k = 0; k < IND_COUNT; k++) {
        struct strbuf t = STRBUF_INIT;
        for (size_t i = 0; i < r->ncounties; i++) {
            snprintf(hrefs[i], sizeof hrefs[i], "county-%d.html", r->counties[i].est.code);
            bar_of(&r->counties[i], (enum indicator)k, r->counties[i].est.name, hrefs[i], &bars[i]);
        }
        sb_addf(&t, "%s", indicator_zh((enum indicator)k));
        if (r->ncounties && r->counties[0].est.v[k].applicable) {
            char th[256];
            rpt_threshold_text(&r->counties[0].est.v[k], th, sizeof th);
            sb_addf(&t, "（标准 %s）", th);
        }
        report_chart_svg(sb, t.oom ? "" : t.buf, bars, r->ncounties);
        sb_release(&t);
    }
out:
    mem_free(bars);
    mem_free(hrefs);
}

/* The plan power across counties, per indicator: how many counties the plan cannot decide,
 * the range of expected half-widths and of the rate a county must reach to be flagged. */
static void summary_power(struct strbuf *sb, const struct report *r)
{
    if (!r->power_reps) return;
    sb_adds(sb, "<p>方案检验（抽查前即可做，见各县报告）：");
    for (int k = 0, first = 1; k < IND_COUNT; k++) {
        int n = 0, undecided = 0;
        double hw0 = INFINITY, hw1 = 0, d0 = INFINITY, d1 = 0;
        for (size_t i = 0; i < r->ncounties; i++)
            for (size_t j = 0; j < r->counties[i].npower; j++) {
                const struct power_row *p = &r->counties[i].power[j];
                if ((int)p->ind != k) continue;
                n++;
                undecided += !p->decides;
                hw0 = fmin(hw0, p->half_width), hw1 = fmax(hw1, p->half_width);
                if (isfinite(p->detectable)) d0 = fmin(d0, p->detectable), d1 = fmax(d1, p->detectable);
            }
        if (!n) continue;
        sb_addf(sb, "%s%s：%d 个县中 %d 个不能判定，标准处区间半宽 ±%.1f%%–±%.1f%%", first ? "" : "；",
                indicator_zh((enum indicator)k), n, undecided, 100 * hw0, 100 * hw1);
        if (d1 > 0)
            sb_addf(sb, "，真实值须达 %.1f%%–%.1f%% 才会被判为明确未达标", 100 * d0, 100 * d1);
        first = 0;
    }
    sb_adds(sb, "。</p>\n");
}

static void summary_close(struct strbuf *sb, const struct report *r)
{
    int close[IND_COUNT] = {0}, any = 0;
    for (size_t i = 0; i < r->ncounties; i++)
        for (int k = 0; k < IND_COUNT; k++)
            if (r->counties[i].est.v[k].applicable && r->counties[i].est.ind[k].valid &&
                r->counties[i].est.v[k].interval == IV_CLOSE)
                close[k]++, any = 1;
    sb_adds(sb, "<h2>四、样本能判定什么 What the sample can decide</h2>\n");
    if (!any) {
        sb_adds(sb, "<p>每个县每项指标的区间都落在标准的同一侧：判定不受抽样误差影响。</p>\n");
        summary_power(sb, r);
        return;
    }
    sb_adds(sb, "<p>区间跨越标准（难以判定）的县数：");
    for (int k = 0, first = 1; k < IND_COUNT; k++) {
        if (!close[k]) continue;
        sb_addf(sb, "%s%s %d 个", first ? "" : "，", indicator_zh((enum indicator)k), close[k]);
        first = 0;
    }
    sb_addf(sb, "（共 %zu 个县）。</p>\n", r->ncounties);
    summary_power(sb, r);
    sb_adds(sb,
            "<p class=\"note\">难以判定不是对这些县的结论，而是样本量的局限。官方判定仍按点估计"
            "作出；对难以判定的县，应以问题线索和核实结果为据，必要时扩大样本。/ A bar across "
            "the threshold is a limit of the sample, not a finding about the county.</p>\n");
}

static void summary_method(struct strbuf *sb, const struct report *r)
{
    sb_adds(sb, "<h2>五、方法 Method</h2>\n<p><strong>抽样设计与权重。</strong>");
    rpt_html(sb, r, r->design);
    sb_adds(sb, "设计权重为各阶段入样概率（县、村、户）乘积的倒数；未能入户且无备选户替换的户，"
                "在同一村同一户类型（配额单元）内把其权重分给完成调查的户（无回答调整）。");
    if (r->commitment && *r->commitment) {
        sb_adds(sb, "种子承诺值 <code>");
        rpt_html(sb, r, r->commitment);
        sb_adds(sb, "</code>；");
    }
    sb_adds(sb, "方案文件 SHA-256 <code>");
    rpt_html(sb, r, r->plan_hash);
    sb_adds(sb, "</code>。</p>\n<p><strong>估计与区间。</strong>错退率 = 加权错退人口 / 加权脱贫"
                "人口，漏评率 = 加权漏评人口 / 加权一般农户人口，群众认可度 = 加权认可户 / 加权受访"
                "户（未脱贫户不询问、不计入），均为加权总量之比；综合贫困发生率 = (U + 错退率·E + "
                "漏评率·G) / R，作为整体线性化，错退率与漏评率的协方差计入其中。方差按泰勒线性化，"
                "以县内的村为初级抽样单位、方案的村层为层，按有放回近似计算，自由度 = 村数 − 层数。"
                "95%区间为 Korn–Graubard 区间（与 R survey 包 svyciprop(method = \"beta\") 相同）："
                "有效样本量 n_eff = p(1−p)/v·(t<sub>n−1</sub>/t<sub>df</sub>)²，不超过样本户数 n，"
                "p = 0 时取 n，再求 Clopper–Pearson 区间；小比例从不使用 Wald 区间。判定先以点估计"
                "对照方案标准（官方判定，标准的边界按“低于/不低于/达到”等用语确定），再以区间对照"
                "（明确达标 / 难以判定 / 明确未达标）。</p>\n");
}

int rpt_html_index(const struct report *r, struct strbuf *sb)
{
    int64_t villages = 0, sampled = 0, selected = 0, reached = 0;
    page_begin(sb, r, r->title_zh && *r->title_zh ? r->title_zh : "评估报告", 0);
    sb_adds(sb, "<nav><a href=\"problems.html\">问题清单 Problem list</a>"
                "<a href=\"report.xlsx\">Excel 工作簿 report.xlsx</a></nav>\n<h1>");
    rpt_html(sb, r, r->title_zh);
    sb_adds(sb, " 汇总报告</h1>\n");
    page_meta(sb, r);
    for (size_t i = 0; i < r->ncounties; i++) {
        villages += (int64_t)r->counties[i].nvillages;
        sampled += r->counties[i].households_sampled;
        selected += r->counties[i].est.selected;
        reached += r->counties[i].est.reached;
    }
    sb_addf(sb,
            "<h2>一、概况 Overview</h2>\n<p>评估 %zu 个县、%lld 个村、抽查 %lld 户"
            "（含全覆盖调查户）；原抽中户 %lld 户中入户 %lld 户，应答率 %.1f%%；问题线索 %zu 条。"
            "</p>\n",
            r->ncounties, (long long)villages, (long long)sampled, (long long)selected,
            (long long)reached, selected ? 100.0 * (double)reached / (double)selected : 0.0,
            r->nproblems);
    summary_table(sb, r);
    summary_charts(sb, r);
    summary_close(sb, r);
    summary_method(sb, r);
    if (r->discipline) sb_adds(sb, r->discipline); /* issue 10: discipline (problem/) */
    sb_adds(sb, "<h2>六、县级报告与问题清单 County reports and the problem list</h2>\n<ul>\n");
    for (size_t i = 0; i < r->ncounties; i++) {
        sb_addf(sb, "<li><a href=\"county-%d.html\">", r->counties[i].est.code);
        rpt_html(sb, r, r->counties[i].est.name);
        sb_addf(sb, "（%d）县级报告</a>，问题线索 %zu 条</li>\n", r->counties[i].est.code,
                r->counties[i].nproblems);
    }
    sb_addf(sb,
            "<li><a href=\"problems.html\">问题清单</a>（%zu 条，模板 17 列）</li>\n"
            "<li><a href=\"report.xlsx\">report.xlsx</a>：汇总、问题清单及各县分表</li>\n</ul>\n",
            r->nproblems);
    rpt_html_selfevals(sb, r);
    page_end(sb);
    return sb_ok(sb);
}
