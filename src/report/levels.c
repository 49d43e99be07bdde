/*
 * levels.c — reports at every level the Anhui scheme names (report.h; seed 002 三(一)2, 五,
 * 六(二), 六(五); DESIGN §8.1): the county report's typical experiences and problems filled
 * from the store, the city report with the scheme's six city items, the separate report on
 * county paired assistance (县域结对帮扶), the counties' self-evaluation reports with their
 * arrival dates, and the records behind them (report_experiences, self_evaluations: schema v7).
 *
 * Seed 002 五: "每个市、县(市、区)总结3—5条典型经验,查找至少3个以上突出问题与薄弱环节,并根据查找
 * 的突出问题与薄弱环节提出意见建议". A report lists the typical experiences the team recorded
 * for its unit and level, and the unit's problems that count (recorded or later, not
 * dismissed: a candidate nobody took up is not yet a problem, a dismissed one is not one);
 * where there are fewer experiences than 3 or more than 5, or fewer problems than 3 (the
 * plan's problems.typical_experiences / min_problems), the page says so and the command warns.
 *
 * Invariants: the writers read only the gathered struct report (never the store); every text
 * from data goes through rpt_html (resident IDs masked, HTML escaped); the record functions
 * write nothing unless every input passed, and commit with their change-log entry.
 */
#include "report_int.h"
#include "../problem/problem.h"
#include "../survey/survey.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define EXPERIENCE_MAX_BYTES 2000

static const char *level_name(enum report_level l)
{
    return l == RL_CITY ? "city" : l == RL_PAIRED ? "paired" : "county";
}

int rpt_problem_counts(const struct report_problem *p)
{
    return p->state >= PS_RECORDED && p->state != PS_DISMISSED;
}

/* ---------------------------------------------------------------- gathering */

static const char *adup(struct report *r, const char *s, int *oom)
{
    char *p = arena_strdup(&r->arena, s ? s : "");
    if (!p) *oom = 1;
    return p ? p : "";
}

/* The texts of `level` and `unit` recorded for the round, into the report's arena. */
static int load_texts(struct store *s, struct report *r, int64_t srow, const char *level, int unit,
                      const char *const **out, size_t *n, int *oom, struct error *e)
{
    struct stmt *q = NULL;
    const char **v = NULL;
    size_t cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    if (store_schema_version(s) < 7) return 0; /* a store before v7, read-only: none */
    rc = store_prepare(s, "SELECT text FROM report_experiences WHERE sample = ? AND level = ?"
                          " AND unit = ? ORDER BY row_no",
                       &q, e);
    if (rc) return rc;
    stmt_bind_int(q, 1, srow);
    stmt_bind_text(q, 2, level, strlen(level));
    stmt_bind_int(q, 3, unit);
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        if (*n == cap) {
            size_t c = cap ? cap * 2 : 8;
            const char **nv = arena_alloc(&r->arena, c * sizeof *nv);
            if (!nv) {
                *oom = 1;
                break;
            }
            if (*n) memcpy(nv, v, *n * sizeof *nv);
            v = nv;
            cap = c;
        }
        v[(*n)++] = adup(r, stmt_text(q, 0), oom);
    }
    stmt_finalize(q);
    *out = v;
    return rc < 0 ? rc : 0;
}

static void fmt_day(int d, char out[16])
{
    snprintf(out, 16, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
}

int rpt_gather_levels(struct store *s, struct report *r, int64_t srow, struct error *e)
{
    struct stmt *cq = NULL, *uq = NULL, *sq = NULL;
    struct report_county *counties = (struct report_county *)r->counties;
    struct report_city *cities = NULL;
    size_t ncities = 0;
    int rc, oom = 0;
    char due[16];
    /* a store made before schema v7 and opened read-only has no experiences or
     * self-evaluations yet: the reports say none */
    int v7 = store_schema_version(s) >= 7;
    snprintf(due, sizeof due, "%04d-12-10", r->year);
    r->selfeval_due = adup(r, due, &oom);
    rc = store_prepare(s,
                       "SELECT c.city_code, c.city_name, coalesce(c.paired_with, 0),"
                       " coalesce((SELECT p.name FROM counties p WHERE p.code = c.paired_with), '')"
                       " FROM counties c WHERE c.code = ?",
                       &cq, e);
    if (!rc)
        rc = store_prepare(s,
                           "SELECT coalesce(sum(stage = 'paired_household'), 0),"
                           " coalesce(sum(stage = 'paired_project'), 0) FROM sample_units"
                           " WHERE sample = ? AND county = ?",
                           &uq, e);
    if (!rc)
        rc = store_prepare(s,
                           v7 ? "SELECT arrived, due, sha256, name FROM self_evaluations WHERE"
                                " sample = ? AND county = ? ORDER BY row_no DESC LIMIT 1"
                              : "SELECT '', '', '', '' WHERE ? IS NULL AND ? IS NULL",
                           &sq, e);
    if (rc) goto out;
    if (r->ncounties && !(cities = arena_alloc(&r->arena, r->ncounties * sizeof *cities))) {
        oom = 1;
        goto out;
    }
    for (size_t i = 0; i < r->ncounties && !rc && !oom; i++) {
        struct report_county *c = &counties[i];
        const char *city_name = "";
        stmt_reset(cq);
        stmt_bind_int(cq, 1, c->est.code);
        if ((rc = stmt_step(cq, e)) == STORE_ROW) {
            c->city_code = (int)stmt_int(cq, 0);
            city_name = adup(r, stmt_text(cq, 1), &oom);
            c->paired_with = (int)stmt_int(cq, 2);
            c->paired_name = adup(r, stmt_text(cq, 3), &oom);
        }
        if (rc < 0) break;
        stmt_reset(uq);
        stmt_bind_int(uq, 1, srow);
        stmt_bind_int(uq, 2, c->est.code);
        if ((rc = stmt_step(uq, e)) == STORE_ROW) {
            c->paired_households = stmt_int(uq, 0);
            c->paired_projects = stmt_int(uq, 1);
        }
        if (rc < 0) break;
        stmt_reset(sq);
        stmt_bind_int(sq, 1, srow);
        stmt_bind_int(sq, 2, c->est.code);
        c->selfeval.arrived = c->selfeval.due = c->selfeval.sha256 = c->selfeval.name = "";
        if ((rc = stmt_step(sq, e)) == STORE_ROW && v7) {
            int a = 0, d = 0;
            c->selfeval.arrived = adup(r, stmt_text(sq, 0), &oom);
            c->selfeval.due = adup(r, stmt_text(sq, 1), &oom);
            c->selfeval.sha256 = adup(r, stmt_text(sq, 2), &oom);
            c->selfeval.name = adup(r, stmt_text(sq, 3), &oom);
            if (!parse_date(c->selfeval.arrived, &a) && !parse_date(c->selfeval.due, &d) && a > d)
                c->selfeval.days_late = (int)(date_to_days(a) - date_to_days(d));
        }
        if (rc < 0) break;
        rc = load_texts(s, r, srow, "county", c->est.code, &c->experiences, &c->nexperiences, &oom,
                        e);
        if (!rc && c->paired_with)
            rc = load_texts(s, r, srow, "paired", c->est.code, &c->paired_experiences,
                            &c->npaired_experiences, &oom, e);
        if (rc) break;
        {
            size_t k = 0;
            while (k < ncities && cities[k].code != c->city_code) k++;
            if (k == ncities) {
                memset(&cities[k], 0, sizeof cities[k]);
                cities[k].code = c->city_code;
                cities[k].name = city_name;
                rc = load_texts(s, r, srow, "city", c->city_code, &cities[k].experiences,
                                &cities[k].nexperiences, &oom, e);
                ncities++;
            }
        }
    }
    if (rc > 0) rc = 0;
    /* cities in code order (few: insertion sort) */
    for (size_t i = 1; cities && i < ncities; i++)
        for (size_t j = i; j > 0 && cities[j - 1].code > cities[j].code; j--) {
            struct report_city t = cities[j];
            cities[j] = cities[j - 1];
            cities[j - 1] = t;
        }
    r->cities = cities;
    r->ncities = ncities;
out:
    stmt_finalize(cq);
    stmt_finalize(uq);
    stmt_finalize(sq);
    if (!rc && oom) rc = error_set(e, ERR_NOMEM, "out of memory gathering the report");
    return rc;
}

/* ---------------------------------------------------------------- the team's parts */

/* Whether the county (or, with city != 0, any county of that city) owns problem p. */
static int in_unit(const struct report *r, const struct report_problem *p, int county, int city)
{
    if (!city) return p->county == county;
    for (size_t i = 0; i < r->ncounties; i++)
        if (r->counties[i].est.code == p->county) return r->counties[i].city_code == city;
    return 0;
}

static size_t count_problems(const struct report *r, int county, int city)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nproblems; i++)
        if (rpt_problem_counts(&r->problems[i]) && in_unit(r, &r->problems[i], county, city)) n++;
    return n;
}

/* The warning of one unit's report, or nothing; `what` names it ("县级报告 清丰县 (340121)"). */
static void unit_warning(struct strbuf *sb, const struct report *r, const char *what, size_t nexp,
                         size_t nprob)
{
    if ((int)nexp < r->experiences_min || (int)nexp > r->experiences_max)
        sb_addf(sb, "%s: %zu typical experiences (典型经验) recorded, the scheme asks for %d–%d "
                    "(seed 002 五: 总结3—5条典型经验)\n",
                what, nexp, r->experiences_min, r->experiences_max);
    if ((int)nprob < r->problems_min)
        sb_addf(sb, "%s: %zu problems (recorded, not dismissed) in the problem list, the scheme "
                    "asks for at least %d (seed 002 五: 查找至少3个以上突出问题与薄弱环节)\n",
                what, nprob, r->problems_min);
}

void report_level_warnings(const struct report *r, enum report_level level, struct strbuf *sb)
{
    for (size_t i = 0; level != RL_CITY && i < r->ncounties; i++) {
        const struct report_county *c = &r->counties[i];
        struct strbuf w = STRBUF_INIT;
        if (level == RL_PAIRED && !c->paired_with) continue;
        sb_addf(&w, "%s %s (%d)", level == RL_PAIRED ? "paired-assistance report 县域结对帮扶报告"
                                                      : "county report 县级报告",
                c->est.name, c->est.code);
        unit_warning(sb, r, w.oom ? "" : w.buf,
                     level == RL_PAIRED ? c->npaired_experiences : c->nexperiences,
                     count_problems(r, c->est.code, 0));
        sb_release(&w);
    }
    for (size_t i = 0; level == RL_CITY && i < r->ncities; i++) {
        const struct report_city *c = &r->cities[i];
        struct strbuf w = STRBUF_INIT;
        sb_addf(&w, "city report 市级报告 %s (%d)", c->name, c->code);
        unit_warning(sb, r, w.oom ? "" : w.buf, c->nexperiences, count_problems(r, 0, c->code));
        sb_release(&w);
    }
}

static void page_warning(struct strbuf *sb, const struct report *r, size_t nexp, size_t nprob)
{
    struct strbuf w = STRBUF_INIT;
    unit_warning(&w, r, "本报告 this report", nexp, nprob);
    if (w.len && !w.oom) {
        sb_adds(sb, "<div class=\"note\"><b>提示 Warning：</b>");
        rpt_html(sb, r, w.buf);
        sb_adds(sb, "</div>\n");
    }
    sb_release(&w);
}

static void problem_line(struct strbuf *sb, const struct report *r, const struct report_problem *p)
{
    rpt_html(sb, r, rpt_kind_zh(p->kind));
    sb_adds(sb, "问题：");
    rpt_html(sb, r, p->description);
    sb_adds(sb, "（");
    rpt_html(sb, r, p->county_name);
    if (p->township && *p->township) {
        sb_adds(sb, " ");
        rpt_html(sb, r, p->township);
    }
    if (p->village && *p->village) {
        sb_adds(sb, " ");
        rpt_html(sb, r, p->village);
    }
    if (p->object && *p->object) {
        sb_adds(sb, "，");
        rpt_html(sb, r, p->object);
    }
    sb_addf(sb, "；问题清单第 %lld 号，", (long long)p->id);
    rpt_html(sb, r, p->state_label);
    sb_adds(sb, "）");
}

/* Typical experiences and problems with suggestions, numbered as `part` ("七"). */
static void team_fields(struct strbuf *sb, const struct report *r, const char *part,
                        const char *const *exps, size_t nexp, int county, int city)
{
    size_t nprob = count_problems(r, county, city), k = 0;
    sb_addf(sb, "<h2 class=\"pb\">%s、典型经验与突出问题 Typical experiences and problems</h2>\n",
            part);
    page_warning(sb, r, nexp, nprob);
    sb_addf(sb, "<h3>（一）典型经验（%d—%d条，已记录 %zu 条）Typical experiences</h3>\n",
            r->experiences_min, r->experiences_max, nexp);
    for (size_t i = 0; i < nexp; i++) {
        sb_addf(sb, "<div class=\"box\"><span>%zu.</span> ", i + 1);
        rpt_html(sb, r, exps[i]);
        sb_adds(sb, "</div>\n");
    }
    for (int i = (int)nexp + 1; i <= r->experiences_min; i++)
        sb_addf(sb, "<div class=\"box\"><span>%d.（待填写）</span></div>\n", i);
    sb_addf(sb, "<h3>（二）突出问题与薄弱环节及意见建议（至少%d个，问题清单中 %zu 个）Problems and "
                "suggestions</h3>\n<p class=\"meta\">取自问题清单：已记录且未被核销（不属实）的问题；"
                "问题线索须经记录方计入（种子 000：证据不充分的不予采信）。</p>\n",
            r->problems_min, nprob);
    for (size_t i = 0; i < r->nproblems; i++) {
        const struct report_problem *p = &r->problems[i];
        if (!rpt_problem_counts(p) || !in_unit(r, p, county, city)) continue;
        sb_addf(sb, "<div class=\"box\"><span>问题 %zu：</span>", ++k);
        problem_line(sb, r, p);
        sb_adds(sb, "</div><div class=\"box\" style=\"min-height:3em\"><span>意见建议：</span></div>\n");
    }
    for (int i = (int)k + 1; i <= r->problems_min; i++)
        sb_addf(sb, "<div class=\"box\"><span>问题 %d（待填写）：</span></div>"
                    "<div class=\"box\" style=\"min-height:3em\"><span>意见建议：</span></div>\n",
                i);
}

static void signatures(struct strbuf *sb, const struct report *r, const char *part,
                       const struct report_team *team)
{
    const char *leader = NULL, *deputy = NULL;
    for (size_t i = 0; team && i < team->nmembers; i++) {
        if (!strcmp(team->members[i].role, "leader") && !leader) leader = team->members[i].name;
        if (!strcmp(team->members[i].role, "deputy") && !deputy) deputy = team->members[i].name;
    }
    sb_addf(sb, "<h2>%s、签字 Signatures</h2>\n<table class=\"sig\">\n<tr><th>组长签字</th><td>",
            part);
    if (leader) {
        sb_adds(sb, "<span class=\"muted\">（");
        rpt_html(sb, r, leader);
        sb_adds(sb, "）</span>");
    }
    sb_adds(sb, "</td><th>日期</th><td></td></tr>\n<tr><th>副组长签字</th><td>");
    if (deputy) {
        sb_adds(sb, "<span class=\"muted\">（");
        rpt_html(sb, r, deputy);
        sb_adds(sb, "）</span>");
    }
    sb_adds(sb, "</td><th>日期</th><td></td></tr>\n</table>\n"
                "<p class=\"meta\">考核报告经组长和副组长签字后提交省扶贫办（种子 002 六(五)）");
    if (r->reports_by && *r->reports_by) {
        sb_adds(sb, "，方案要求于 ");
        rpt_html(sb, r, r->reports_by);
        sb_adds(sb, " 前提交");
    }
    sb_adds(sb, "；电子签字：<code>pinggu report sign --as 组长|副组长</code>，核验："
                "<code>pinggu report verify</code>。</p>\n");
}

void rpt_html_county_fields(struct strbuf *sb, const struct report *r,
                            const struct report_county *c)
{
    team_fields(sb, r, "七", c->experiences, c->nexperiences, c->est.code, 0);
    signatures(sb, r, "八", &c->team);
}

void rpt_html_selfevals(struct strbuf *sb, const struct report *r)
{
    static const char *const cols[] = {"县", "报送日期", "截止日期", "是否按时", "文件", "SHA-256",
                                       NULL};
    sb_addf(sb, "<h2>七、县级自评报告 Self-evaluation reports</h2>\n<p class=\"meta\">各县对照考核"
                "内容形成自评报告，于12月10日前报送省扶贫办（种子 002 六(二)），截止日 %s；报告文件按"
                "内容哈希存证（<code>pinggu report self-evaluation</code>）。</p>\n<table>\n",
            r->selfeval_due ? r->selfeval_due : "");
    rpt_th_row(sb, cols);
    for (size_t i = 0; i < r->ncounties; i++) {
        const struct report_county *c = &r->counties[i];
        sb_adds(sb, "<tr>");
        rpt_td_text(sb, r, c->est.name);
        if (!c->selfeval.arrived || !*c->selfeval.arrived) {
            sb_adds(sb, "<td class=\"fail\">未报送 not received</td>");
            rpt_td_text(sb, r, r->selfeval_due);
            sb_adds(sb, "<td class=\"fail\">未报送</td><td>—</td><td>—</td></tr>\n");
            continue;
        }
        rpt_td_text(sb, r, c->selfeval.arrived);
        rpt_td_text(sb, r, c->selfeval.due);
        if (c->selfeval.days_late)
            sb_addf(sb, "<td class=\"fail\">逾期 %d 天 late</td>", c->selfeval.days_late);
        else
            sb_adds(sb, "<td class=\"pass\">按时 in time</td>");
        rpt_td_text(sb, r, c->selfeval.name);
        sb_adds(sb, "<td><code>");
        rpt_html(sb, r, c->selfeval.sha256);
        sb_adds(sb, "</code></td></tr>\n");
    }
    sb_adds(sb, "</table>\n");
}

/* ---------------------------------------------------------------- city and paired pages */

static void county_table(struct strbuf *sb, const struct report *r, int city)
{
    static const char *const cols[] = {"县", "类型", "错退率", "漏评率", "综合贫困发生率", "认可度",
                                       "问题（计入）", NULL};
    char b[64];
    sb_adds(sb, "<table>\n");
    rpt_th_row(sb, cols);
    for (size_t i = 0; i < r->ncounties; i++) {
        const struct report_county *c = &r->counties[i];
        if (c->city_code != city) continue;
        sb_addf(sb, "<tr><td><a href=\"county-%d.html\">", c->est.code);
        rpt_html(sb, r, c->est.name);
        sb_adds(sb, "</a></td>");
        rpt_td_text(sb, r, rpt_county_type_zh(c->type));
        for (int k = 0; k < IND_COUNT; k++) {
            rpt_pct(c->est.ind[k].valid ? c->est.ind[k].estimate : NAN, b, sizeof b);
            sb_addf(sb, "<td class=\"n\">%s</td>", b);
        }
        sb_addf(sb, "<td class=\"n\">%zu</td></tr>\n", count_problems(r, c->est.code, 0));
    }
    sb_adds(sb, "</table>\n");
}

/* One of the scheme's items with the problems whose kinds bear on it. */
static void item_block(struct strbuf *sb, const struct report *r, int n, const char *item,
                       const char *const *kinds, int rectification, int county, int city)
{
    size_t k = 0;
    sb_addf(sb, "<h3>%d. %s</h3>\n", n, item);
    for (size_t i = 0; i < r->nproblems; i++) {
        const struct report_problem *p = &r->problems[i];
        int hit = 0;
        if (!rpt_problem_counts(p) || !in_unit(r, p, county, city)) continue;
        if (rectification) hit = p->state >= PS_FED_BACK;
        for (size_t j = 0; kinds && kinds[j] && !hit; j++) hit = !strcmp(p->kind, kinds[j]);
        if (!hit) continue;
        sb_adds(sb, k++ ? "<br>" : "<p>");
        sb_addf(sb, "（%zu）", k);
        problem_line(sb, r, p);
        if (rectification && p->deadline && *p->deadline) {
            sb_adds(sb, "；整改时限 ");
            rpt_html(sb, r, p->deadline);
        }
    }
    if (k) sb_adds(sb, "</p>\n");
    else sb_adds(sb, "<p class=\"muted\">问题清单中暂无与本项相关的问题。</p>\n");
    sb_adds(sb, "<div class=\"box\" style=\"min-height:3em\"><span>考核组评价：</span></div>\n");
}

int rpt_html_city(const struct report *r, const struct report_city *city, struct strbuf *sb)
{
    /* seed 002 三(一)2: 市级重点考核问题整改、责任落实、政策落实、工作落实、资金安排、项目管理6项内容 */
    static const char *const k_resp[] = {"discipline", NULL};
    static const char *const k_policy[] = {"policy", "assistance", NULL};
    static const char *const k_work[] = {"identification", "exit", "data_quality", NULL};
    static const char *const k_funds[] = {"funds", NULL};
    static const char *const k_project[] = {"project", NULL};
    const struct report_team *team = NULL;
    struct strbuf t = STRBUF_INIT;
    for (size_t i = 0; i < r->ncounties && !team; i++)
        if (r->counties[i].city_code == city->code && r->counties[i].team.nmembers)
            team = &r->counties[i].team;
    sb_addf(&t, "%s 市级报告", city->name);
    rpt_page_begin(sb, r, t.oom ? "" : t.buf, 0);
    sb_release(&t);
    sb_adds(sb, "<nav><a href=\"index.html\">← 汇总 Summary</a><a href=\"problems.html\">问题清单 "
                "Problem list</a></nav>\n<h1>");
    rpt_html(sb, r, city->name);
    sb_adds(sb, " 脱贫攻坚交叉考核市级报告 City report</h1>\n");
    rpt_page_meta(sb, r);
    sb_adds(sb, "<h2>一、基本情况 Basic situation</h2>\n<p>本市参评县（市、区）及其指标（点估计；"
                "区间与判定见各县报告）：</p>\n");
    county_table(sb, r, city->code);
    sb_adds(sb, "<h2>二、市级考核内容 The six city items</h2>\n<p class=\"meta\">种子 002 三(一)2："
                "“市级重点考核问题整改、责任落实、政策落实、工作落实、资金安排、项目管理6项内容”。各项"
                "下列出问题清单中本市各县与之相关的问题（按问题类型归项：作风纪律→责任落实，政策落实与"
                "帮扶→政策落实，识别、退出与数据质量→工作落实，资金→资金安排，项目→项目管理；已反馈"
                "整改的问题→问题整改），由考核组评价。</p>\n");
    item_block(sb, r, 1, "问题整改", NULL, 1, 0, city->code);
    item_block(sb, r, 2, "责任落实", k_resp, 0, 0, city->code);
    item_block(sb, r, 3, "政策落实", k_policy, 0, 0, city->code);
    item_block(sb, r, 4, "工作落实", k_work, 0, 0, city->code);
    item_block(sb, r, 5, "资金安排", k_funds, 0, 0, city->code);
    item_block(sb, r, 6, "项目管理", k_project, 0, 0, city->code);
    team_fields(sb, r, "三", city->experiences, city->nexperiences, 0, city->code);
    signatures(sb, r, "四", team);
    rpt_page_end(sb);
    return sb_ok(sb);
}

int rpt_html_paired(const struct report *r, const struct report_county *c, struct strbuf *sb)
{
    /* seed 002 三(二): 重点考核组织领导、产业合作、劳务协作、人才交流、资金支持和携手奔小康行动6项内容 */
    static const char *const items[] = {"组织领导", "产业合作", "劳务协作",
                                        "人才交流", "资金支持", "携手奔小康行动"};
    struct strbuf t = STRBUF_INIT;
    sb_addf(&t, "%s 县域结对帮扶工作成效考核报告", c->est.name);
    rpt_page_begin(sb, r, t.oom ? "" : t.buf, 0);
    sb_release(&t);
    sb_addf(sb, "<nav><a href=\"county-%d.html\">← 县级报告 County report</a></nav>\n<h1>",
            c->est.code);
    rpt_html(sb, r, c->est.name);
    sb_adds(sb, " 县域结对帮扶工作成效考核报告 Paired-assistance report</h1>\n");
    rpt_page_meta(sb, r);
    sb_adds(sb, "<h2>一、基本情况 Basic situation</h2>\n<table class=\"kv\">\n<tr><th>受帮扶县</th>");
    rpt_td_text(sb, r, c->est.name);
    sb_adds(sb, "</tr>\n<tr><th>结对帮扶县</th>");
    rpt_td_text(sb, r, c->paired_name && *c->paired_name ? c->paired_name : "—");
    sb_addf(sb, "</tr>\n<tr><th>抽查合作项目</th><td class=\"n\">%lld</td></tr>\n"
                "<tr><th>合作项目抽查户</th><td class=\"n\">%lld</td></tr>\n</table>\n"
                "<p class=\"meta\">种子 002 五(四)(五)：县域结对帮扶工作成效考核对每个合作项目随机"
                "抽查2—3户；对接受县域结对帮扶的国家级贫困县再随机抽查4个合作项目。</p>\n",
            (long long)c->paired_projects, (long long)c->paired_households);
    sb_adds(sb, "<h2>二、考核内容 The six items</h2>\n<p class=\"meta\">种子 002 三(二)：“重点考核组织"
                "领导、产业合作、劳务协作、人才交流、资金支持和携手奔小康行动6项内容”。</p>\n");
    for (int i = 0; i < 6; i++)
        sb_addf(sb, "<h3>%d. %s</h3>\n<div class=\"box\" style=\"min-height:3em\"><span>考核组评价："
                    "</span></div>\n",
                i + 1, items[i]);
    team_fields(sb, r, "三", c->paired_experiences, c->npaired_experiences, c->est.code, 0);
    signatures(sb, r, "四", &c->team);
    rpt_page_end(sb);
    return sb_ok(sb);
}

/* ---------------------------------------------------------------- records */

static int round_row(struct store *s, const char *round, int64_t *row, int *year, struct error *e)
{
    struct stmt *q = NULL;
    int rc = store_prepare(s, "SELECT row_no, plan_text FROM samples WHERE name = ?", &q, e);
    if (rc) return rc;
    stmt_bind_text(q, 1, round, strlen(round));
    rc = stmt_step(q, e);
    if (rc == STORE_ROW) {
        json_t *root = json_loads(stmt_text(q, 1), 0, NULL);
        *row = stmt_int(q, 0);
        *year = root ? (int)json_integer_value(json_object_get(root, "year")) : 0;
        json_decref(root);
        rc = 0;
    } else if (rc == STORE_DONE) {
        rc = error_set(e, ERR_NOTFOUND, "no round (sample) named '%s'", round);
    }
    stmt_finalize(q);
    return rc;
}

/* Whether `county` was assessed in the round (a county unit of its sample). */
static int assessed(struct store *s, int64_t srow, int county, int64_t *n, struct error *e)
{
    struct stmt *q = NULL;
    int rc = store_prepare(s, "SELECT count(*) FROM sample_units WHERE sample = ? AND"
                              " stage = 'county' AND county = ?",
                           &q, e);
    *n = 0;
    if (rc) return rc;
    stmt_bind_int(q, 1, srow);
    stmt_bind_int(q, 2, county);
    rc = stmt_step(q, e);
    if (rc == STORE_ROW) *n = stmt_int(q, 0);
    stmt_finalize(q);
    return rc < 0 ? rc : 0;
}

static int check_unit(struct store *s, int64_t srow, enum report_level level, int unit,
                      struct error *e)
{
    struct stmt *q = NULL;
    int64_t n = 0;
    int rc;
    if (level == RL_CITY) {
        rc = store_prepare(s, "SELECT count(*) FROM sample_units u JOIN counties c ON c.code ="
                              " u.county WHERE u.sample = ? AND u.stage = 'county' AND"
                              " c.city_code = ?",
                           &q, e);
        if (rc) return rc;
        stmt_bind_int(q, 1, srow);
        stmt_bind_int(q, 2, unit);
        rc = stmt_step(q, e);
        if (rc == STORE_ROW) n = stmt_int(q, 0);
        stmt_finalize(q);
        if (rc < 0) return rc;
        if (!n)
            return error_set(e, ERR_INVALID, "unit %d: no county of city %d is assessed in this "
                                             "round (a city report's unit is a city code)",
                             unit, unit);
        return 0;
    }
    if ((rc = assessed(s, srow, unit, &n, e))) return rc;
    if (!n)
        return error_set(e, ERR_INVALID, "unit %d is not a county assessed in this round", unit);
    if (level == RL_PAIRED) {
        rc = store_prepare(s, "SELECT count(*) FROM counties WHERE code = ? AND"
                              " coalesce(paired_with, 0) <> 0",
                           &q, e);
        if (rc) return rc;
        stmt_bind_int(q, 1, unit);
        rc = stmt_step(q, e);
        n = rc == STORE_ROW ? stmt_int(q, 0) : 0;
        stmt_finalize(q);
        if (rc < 0) return rc;
        if (!n)
            return error_set(e, ERR_INVALID, "county %d receives no paired assistance "
                                             "(县域结对帮扶: counties.paired_with is empty)",
                             unit);
    }
    return 0;
}

static void now_iso(char out[32])
{
    const char *env = getenv("PINGGU_NOW");
    time_t t = time(NULL);
    struct tm tm;
    if (env && strlen(env) == 20) {
        snprintf(out, 32, "%s", env);
        return;
    }
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int report_experience_add(struct store *s, const char *round, enum report_level level, int unit,
                          const char *const *texts, size_t n, const char *source,
                          struct error *e)
{
    struct audit_writer w;
    int64_t srow = 0;
    int year = 0, rc, w_open = 0;
    char at[32], key[160];
    const char *lv = level_name(level), *src = source ? source : "";
    if (!n) return error_set(e, ERR_INVALID, "no typical experience given");
    for (size_t i = 0; i < n; i++) {
        const char *t = texts[i];
        while (*t == ' ' || *t == '\t') t++;
        if (!*t) return error_set(e, ERR_INVALID, "typical experience %zu is empty", i + 1);
        if (strlen(texts[i]) > EXPERIENCE_MAX_BYTES)
            return error_set(e, ERR_INVALID, "typical experience %zu is longer than %d bytes",
                             i + 1, EXPERIENCE_MAX_BYTES);
    }
    if ((rc = round_row(s, round, &srow, &year, e))) return rc;
    if ((rc = check_unit(s, srow, level, unit, e))) return rc;
    now_iso(at);
    snprintf(key, sizeof key, "%s %s %d", round, lv, unit);
    if ((rc = store_begin(s, e))) return rc;
    rc = audit_writer_begin(&w, s, "report_experiences", "sample, level, unit, text, source, at", e);
    if (rc) goto out;
    w_open = 1;
    for (size_t i = 0; i < n && !rc; i++) {
        w.v[1] = rv_int(srow);
        w.v[2] = rv_text(lv, strlen(lv));
        w.v[3] = rv_int(unit);
        w.v[4] = rv_text(texts[i], strlen(texts[i]));
        w.v[5] = rv_text(src, strlen(src));
        w.v[6] = rv_text(at, strlen(at));
        rc = audit_writer_row(&w, e);
    }
    if (rc) goto out;
    rc = audit_writer_commit(&w, "report experience", key, NULL, e);
    w_open = 0;
    if (!rc) rc = store_commit(s, e);
out:
    if (w_open) audit_writer_abort(&w);
    if (rc && store_in_transaction(s)) store_rollback(s);
    return rc;
}

int report_experience_read(const char *path, char ***out, size_t *n, struct error *e)
{
    FILE *f = fopen(path, "r");
    char **v = NULL;
    size_t cap = 0, len = 0;
    long line = 0;
    struct strbuf sb = STRBUF_INIT;
    int rc = 0, ch;
    *out = NULL;
    *n = 0;
    if (!f) return error_set(e, ERR_INVALID, "%s: %s", path, strerror(errno));
    do {
        ch = fgetc(f);
        if (ch != EOF && ch != '\n') {
            if (ch != '\r') sb_addch(&sb, (char)ch);
            continue;
        }
        line++;
        if (sb.oom) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            break;
        }
        {
            const char *t = sb.len ? sb.buf : "";
            /* a UTF-8 BOM on the first line, leading blanks */
            if (line == 1 && !strncmp(t, "\xEF\xBB\xBF", 3)) t += 3;
            while (*t == ' ' || *t == '\t') t++;
            if (*t) {
                if (strlen(t) > EXPERIENCE_MAX_BYTES) {
                    rc = error_set(e, ERR_PARSE, "%s:%ld: a typical experience longer than %d "
                                                 "bytes (one experience per line)",
                                   path, line, EXPERIENCE_MAX_BYTES);
                    break;
                }
                if (len == cap) {
                    size_t c = cap ? cap * 2 : 8;
                    char **nv = mem_realloc(v, c * sizeof *nv);
                    if (!nv) {
                        rc = error_set(e, ERR_NOMEM, "out of memory");
                        break;
                    }
                    v = nv;
                    cap = c;
                }
                if (!(v[len] = mem_strdup(t))) {
                    rc = error_set(e, ERR_NOMEM, "out of memory");
                    break;
                }
                len++;
            }
        }
        sb_reset(&sb);
    } while (ch != EOF);
    fclose(f);
    sb_release(&sb);
    if (!rc && !len) rc = error_set(e, ERR_PARSE, "%s: no typical experience in it", path);
    if (rc) {
        for (size_t i = 0; i < len; i++) mem_free(v[i]);
        mem_free(v);
        return rc;
    }
    *out = v;
    *n = len;
    return 0;
}

int report_self_evaluation_add(struct store *s, const char *round, int county, int arrived,
                               int due, const char *file, char sha256[65], int *days_late,
                               struct error *e)
{
    struct audit_writer w;
    struct stat sb;
    int64_t srow = 0, n = 0;
    int year = 0, rc, w_open = 0;
    char a[16], d[16], unit[32], h[1][65];
    const char *name = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    const char *files[1] = {file};
    if (!date_valid(arrived)) return error_set(e, ERR_INVALID, "--arrived is not a date");
    if (stat(file, &sb) || !S_ISREG(sb.st_mode))
        return error_set(e, ERR_INVALID, "self-evaluation report %s: %s", file,
                         errno ? strerror(errno) : "not a regular file");
    if ((rc = round_row(s, round, &srow, &year, e))) return rc;
    if ((rc = assessed(s, srow, county, &n, e))) return rc;
    if (!n) return error_set(e, ERR_INVALID, "county %d is not assessed in round %s", county, round);
    if (!due) due = year * 10000 + 1210; /* seed 002 六(二): 于12月10日前报送 */
    if (!date_valid(due)) return error_set(e, ERR_INVALID, "the due day is not a date");
    fmt_day(arrived, a);
    fmt_day(due, d);
    *days_late = arrived > due ? (int)(date_to_days(arrived) - date_to_days(due)) : 0;
    snprintf(unit, sizeof unit, "%d", county);
    if ((rc = store_begin(s, e))) return rc;
    rc = evidence_add_problem(s, unit, 0, files, 1, h, e);
    if (rc) goto out;
    memcpy(sha256, h[0], 65);
    rc = audit_writer_begin(&w, s, "self_evaluations", "sample, county, sha256, name, arrived, due",
                            e);
    if (rc) goto out;
    w_open = 1;
    w.v[1] = rv_int(srow);
    w.v[2] = rv_int(county);
    w.v[3] = rv_text(h[0], 64);
    w.v[4] = rv_text(name, strlen(name));
    w.v[5] = rv_text(a, strlen(a));
    w.v[6] = rv_text(d, strlen(d));
    rc = audit_writer_row(&w, e);
    if (rc) goto out;
    rc = audit_writer_commit(&w, "report self-evaluation", round, NULL, e);
    w_open = 0;
    if (!rc) rc = store_commit(s, e);
out:
    if (w_open) audit_writer_abort(&w);
    if (rc && store_in_transaction(s)) store_rollback(s);
    return rc;
}
