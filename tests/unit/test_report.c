/*
 * test_report.c — the report stage on a report built by hand (no store): the SVG chart of a
 * value against its threshold (the bar, the dot, the line, and the "too close to call" case
 * drawn so), resident IDs masked in free text (and left alone in household ids, tickets and
 * hashes), HTML escaping of data, the pages and the workbook written whole under their final
 * names with no temporary left, a failure leaving no file, and a plan that is not scored and
 * not ranked getting no score or rank words. The workbook's cells are checked by the CLI test
 * (unzip); here it must exist, be a zip, and be non-empty.
 */
#include "testutil.h"

#include <math.h>

#include "report/report.h"
#include "problem/problem.h"

static struct report_bar bar(const char *label, double est, double lo, double hi, double t,
                             enum interval_verdict v)
{
    struct report_bar b;
    memset(&b, 0, sizeof b);
    b.label = label;
    b.valid = 1;
    b.estimate = est;
    b.lower = lo;
    b.upper = hi;
    b.has_threshold = 1;
    b.op = PLAN_LT;
    b.threshold = t;
    b.verdict = v;
    return b;
}

/* The x coordinate of the first `<tag ... attr="N"` after `from`. */
static double attr_after(const char *from, const char *tag, const char *attr)
{
    const char *p = strstr(from, tag), *a;
    char key[32];
    assert_non_null(p);
    snprintf(key, sizeof key, " %s=\"", attr);
    a = strstr(p, key);
    assert_non_null(a);
    return atof(a + strlen(key));
}

static void chart_against_threshold(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    struct report_bar rows[3];
    double thr, x_lo, width, dot;
    (void)state;
    rows[0] = bar("清楚达标 <A&B>", 0.005, 0.001, 0.015, 0.02, IV_WITHIN);
    rows[1] = bar("close", 0.0, 0.0, 0.084, 0.02, IV_CLOSE);
    rows[2] = bar("outside", 0.16, 0.077, 0.287, 0.02, IV_OUTSIDE);
    report_chart_svg(&sb, "错退率 < 2%", rows, 3);
    assert_int_equal(sb_ok(&sb), 0);
    /* inline SVG, nothing external, data escaped */
    assert_non_null(strstr(sb.buf, "<svg class=\"chart\" viewBox="));
    assert_non_null(strstr(sb.buf, "</svg>"));
    assert_null(strstr(sb.buf, "http"));
    assert_null(strstr(sb.buf, "<A&B>"));
    assert_non_null(strstr(sb.buf, "清楚达标 &lt;A&amp;B&gt;"));
    /* the within bar lies left of the threshold line and the dot inside the bar */
    thr = attr_after(sb.buf, "class=\"threshold\"", "x1");
    x_lo = attr_after(sb.buf, "class=\"iv1\"", "x");
    width = attr_after(sb.buf, "class=\"iv1\"", "width");
    dot = attr_after(sb.buf, "class=\"estimate\"", "cx");
    assert_true(x_lo + width < thr);
    assert_true(dot >= x_lo && dot <= x_lo + width);
    /* the close bar crosses the line and is dashed; its words say so */
    {
        const char *c = strstr(sb.buf, "class=\"iv2\"");
        double xa, w;
        assert_non_null(c);
        xa = attr_after(c, "class=\"iv2\"", "x");
        w = attr_after(c, "class=\"iv2\"", "width");
        assert_true(xa < thr && xa + w > thr);
        assert_non_null(strstr(c, "stroke-dasharray"));
        assert_non_null(strstr(sb.buf, "难以判定"));
    }
    /* the outside bar starts right of the line */
    assert_true(attr_after(sb.buf, "class=\"iv3\"", "x") > thr);
    assert_non_null(strstr(sb.buf, "明确未达标"));
    assert_non_null(strstr(sb.buf, "明确达标"));
    /* the axis reaches the highest upper bound (28.7%): a 30% tick */
    assert_non_null(strstr(sb.buf, ">30%</text>"));
    sb_release(&sb);

    /* approval: the axis zooms in above 50% and still reaches 100% */
    rows[0] = bar("approval", 0.95, 0.88, 0.99, 0.90, IV_CLOSE);
    rows[0].op = PLAN_GE;
    report_chart_svg(&sb, NULL, rows, 1);
    assert_non_null(strstr(sb.buf, ">100%</text>"));
    assert_null(strstr(sb.buf, ">0%</text>"));
    sb_release(&sb);

    /* no interval (df 0): the dot only, and the words say there is none */
    rows[0] = bar("df0", 0.01, NAN, NAN, 0.02, IV_NONE);
    report_chart_svg(&sb, "x", rows, 1);
    assert_null(strstr(sb.buf, "class=\"iv"));
    assert_non_null(strstr(sb.buf, "无区间"));
    assert_null(strstr(sb.buf, "nan"));
    sb_release(&sb);
}

static void mask_ids_in_text(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    (void)state;
    report_mask_ids(&sb, "户主身份证 34012119590922477X，配偶 340121195812104648。");
    assert_string_equal(sb.buf, "户主身份证 340121********477X，配偶 340121********4648。");
    sb_reset(&sb);
    /* household ids (16 digits), village codes, tickets, hashes and 19-digit runs stay */
    report_mask_ids(&sb, "户 3401211012010001 村 340121101201 票 0.2629971412283800841650754 "
                         "af3fa66fed764223529c5c7b47e180e37e14609f2081d560e926671e1fdd221b "
                         "3401211959092247771 a340121195909224777");
    assert_string_equal(sb.buf,
                        "户 3401211012010001 村 340121101201 票 0.2629971412283800841650754 "
                        "af3fa66fed764223529c5c7b47e180e37e14609f2081d560e926671e1fdd221b "
                        "3401211959092247771 a340121195909224777");
    sb_reset(&sb);
    report_mask_ids(&sb, NULL);
    assert_string_equal(sb.buf, "");
    report_mask_ids(&sb, "340121195909224777");
    assert_string_equal(sb.buf, "340121********4777");
    sb_release(&sb);
}

/* ---------------------------------------------------------------- a report by hand */

static const struct report_member members[] = {
    {"leader", "刘*", "city", "director", 0, 0, 3402},
    {"deputy", "朱**", "province", "division", 0, 1, 3401},
    {"member", "王**", "county", "cadre", 1, 1, 3402},
};
static const struct report_item items[] = {
    {"village.incidence", "fail", "0.0264725", "<= 0.02 (贫困发生率降至2%以下)"},
    {"village.road", "pass", "6", ">= 3.5 (路面宽度原则上不低于3.5米)"},
};
static const struct report_village villages[] = {
    {340121109208, "青潜村", "宁花镇", "poor", 0.0915, 8, 16, "2019-11-25", 0, items, 2},
};
static const struct report_stratum strata[] = {
    {"exited_current", "2019年脱贫户", 4, 0, 1, 1, 4, 4, 1, 0, 0, 4, 3},
    {"general", "一般农户", 4, 0, 0, 0, 4, 0, 0, 4, 1, 4, 4},
};
static const struct report_evidence evidence[] = {
    {"af3fa66fed764223529c5c7b47e180e37e14609f2081d560e926671e1fdd221b", "photo", "house.jpg",
     "../r.db.evidence/af/3fa66fed764223529c5c7b47e180e37e14609f2081d560e926671e1fdd221b"},
    {"c860b7396a5e1c91e7a70e0d3808e0d57939a6b20053866712965a6bc354eb02", "audio", "a.m4a", NULL},
};
static const struct report_problem problems[] = {
    {1, 340121, "清丰县", "宁花镇", "青潜村", "3401211092080049",
     "户 3401211092080049（户主 张*，340121********4777）", "exit", "wrong_exit",
     "错退：住房不安全 <script>alert(1)</script>；身份证 340121195909224777", "pinggu judge",
     "2019-11-25", "confirmed", 1, evidence, 2, .state = PS_CONFIRMED},
};

static void hand_report(struct report *r, struct report_county *c)
{
    memset(r, 0, sizeof *r);
    memset(c, 0, sizeof *c);
    r->sample = "a";
    r->plan_id = "national-spotcheck-2019";
    r->title_zh = "2019年贫困县退出抽查";
    r->title_en = "National spot check";
    r->year = 2019;
    r->line = 3218;
    r->commitment = "5c6b4908d98cf8bf1f920cff49ac6f31943569e53b84ea30155bb4ee9ce3eb9d";
    r->plan_hash = "e1f3721cbe110c55f56efa816397329c22710a112a493278a80dcac9fdbe82a8";
    r->experiences_min = 3, r->experiences_max = 5, r->problems_min = 3;
    r->design = "县：每省按 20% 随机抽取；";
    r->village_standard = 1;
    r->generated = "2026-11-01";
    c->est.code = 340121;
    snprintf(c->est.name, sizeof c->est.name, "%s", "清丰<县>");
    snprintf(c->est.region, sizeof c->est.region, "%s", "central");
    c->est.selected = 129, c->est.reached = 120, c->est.replaced = 3, c->est.response = 0.93;
    for (int k = 0; k < IND_COUNT; k++) {
        struct est *x = &c->est.ind[k];
        struct verdict *v = &c->est.v[k];
        x->valid = 1, x->n = 42, x->persons = 150, x->df = 2;
        x->estimate = 0, x->lower = 0, x->upper = 0.084, x->se = 0, x->deff = NAN;
        v->applicable = 1, v->op = PLAN_LT, v->threshold = 0.02, v->official = 1;
        v->interval = IV_CLOSE;
        snprintf(v->words, sizeof v->words, "%s", "低于2%");
    }
    c->est.ind[IND_APPROVAL].estimate = 0.95, c->est.ind[IND_APPROVAL].lower = 0.91;
    c->est.ind[IND_APPROVAL].upper = 0.98, c->est.v[IND_APPROVAL].op = PLAN_GE;
    c->est.v[IND_APPROVAL].threshold = 0.9, c->est.v[IND_APPROVAL].interval = IV_WITHIN;
    c->est.has_reported[IND_WRONG_EXIT] = 1, c->est.reported[IND_WRONG_EXIT] = 0.1;
    c->est.reported_outside[IND_WRONG_EXIT] = 1;
    c->city_name = "寨丰市", c->type = "exited", c->exit_year = 2018;
    c->rural_population = 133631, c->registered_households = 10961;
    c->registered_persons = 36367, c->unexited_persons = 2399, c->exited_persons = 33968;
    c->households_sampled = 129, c->first_date = "2019-11-25", c->last_date = "2019-11-27";
    c->team.team = 1, c->team.home_city = 3402, c->team.members = members, c->team.nmembers = 3;
    c->villages = villages, c->nvillages = 1, c->strata = strata, c->nstrata = 2;
    c->problem0 = 0, c->nproblems = 1;
    c->city_code = 3401, c->paired_with = 340221, c->paired_name = "凤康县";
    {
        static const char *const exps[] = {"产业扶贫带贫机制健全"};
        c->experiences = exps, c->nexperiences = 1;
    }
    r->counties = c, r->ncounties = 1, r->problems = problems, r->nproblems = 1;
    {
        static struct report_city city;
        city.code = 3401, city.name = "寨丰市";
        r->cities = &city, r->ncities = 1;
    }
    r->selfeval_due = "2019-12-10";
}

static long file_size(const char *dir, const char *name)
{
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void pages_and_workbook(void **state)
{
    struct report r;
    struct report_county c;
    struct error e;
    size_t n = 0;
    char *dir = tu_tmpdir(), *html, *idx, *list, *xlsx, out[1100];
    (void)state;
    hand_report(&r, &c);
    snprintf(out, sizeof out, "%s/deep/er", dir); /* created */
    assert_int_equal(report_emit(&r, out, &n, &e), 0);
    assert_int_equal(n, 4);
    html = tu_read(out, "county-340121.html");
    idx = tu_read(out, "index.html");
    list = tu_read(out, "problems.html");
    /* the eight parts */
    for (const char *const *h =
             (const char *const[]){"一、基本情况", "二、指标测算", "三、指标与标准对照",
                                   "四、贫困村退出指标", "五、样本户情况", "六、问题线索",
                                   "七、典型经验与突出问题", "八、签字", NULL};
         *h; h++)
        assert_non_null(strstr(html, *h));
    /* escaping: the county name and the description's markup */
    assert_non_null(strstr(html, "清丰&lt;县&gt;"));
    assert_null(strstr(html, "<script>"));
    assert_non_null(strstr(html, "&lt;script&gt;"));
    /* masking: the ID typed into the description is masked everywhere */
    assert_null(strstr(html, "340121195909224777"));
    assert_null(strstr(list, "340121195909224777"));
    assert_non_null(strstr(list, "340121********4777"));
    /* the honest note for a close call with few households */
    assert_non_null(strstr(html, "真实值为 0 的县与真实值为 5% 的县都与这一结果相容"));
    /* evidence: a relative link, or the SHA-256 */
    assert_non_null(strstr(html, "href=\"../r.db.evidence/af/3fa66fed"));
    assert_non_null(strstr(html, "SHA-256 <code>c860b7396a5e1c91e7a70e0d3808e0d57939a6b2"));
    /* the team's part (seed 002 五: 3—5条典型经验, 至少3个突出问题): the recorded experience, boxes
     * up to the minimum, the problems that count (confirmed), a warning where short */
    assert_non_null(strstr(html, "<span>1.</span> 产业扶贫带贫机制健全"));
    assert_non_null(strstr(html, "<span>3.（待填写）</span>"));
    assert_null(strstr(html, "<span>4.（待填写）</span>"));
    assert_non_null(strstr(html, "<span>问题 1：</span>"));
    assert_non_null(strstr(html, "<span>问题 3（待填写）：</span>"));
    assert_non_null(strstr(html, "提示 Warning"));
    assert_non_null(strstr(html, "1 typical experiences (典型经验) recorded, the scheme asks for 3–5"));
    assert_non_null(strstr(html, "1 problems (recorded, not dismissed)"));
    /* the self-evaluation reports on the summary: none received */
    assert_non_null(strstr(idx, "七、县级自评报告"));
    assert_non_null(strstr(idx, "未报送 not received"));
    assert_non_null(strstr(html, "组长签字"));
    assert_non_null(strstr(html, "副组长签字"));
    assert_non_null(strstr(html, "（朱**）"));
    /* the village table: measured value, bound, pass/fail */
    assert_non_null(strstr(html, "2.65% ✗"));
    assert_non_null(strstr(html, "≤ 0.02"));
    /* the problem list's 17 columns, first and last */
    assert_non_null(strstr(list, "<th>序号</th><th>县</th>"));
    assert_non_null(strstr(list, "<th>整改结果</th><th>销号日期</th>"));
    /* offline: no fetched resource, no script */
    assert_null(strstr(html, "http"));
    assert_null(strstr(idx, "http"));
    assert_null(strstr(list, "<script"));
    /* not scored, not ranked: no score or rank words */
    assert_null(strstr(idx, "得分"));
    assert_null(strstr(idx, "排名"));
    assert_null(strstr(html, "rank"));
    assert_null(strstr(idx, "score"));
    assert_non_null(strstr(idx, "不打分、不排队"));
    /* the workbook: a zip, non-empty; no temporary left */
    assert_true(file_size(out, "report.xlsx") > 2000);
    xlsx = tu_read(out, "report.xlsx");
    assert_int_equal(memcmp(xlsx, "PK", 2), 0);
    assert_int_equal(file_size(out, ".report.xlsx.tmp"), -1);
    assert_int_equal(file_size(out, ".index.html.tmp"), -1);
    /* the city and paired-assistance levels (seed 002 三(一)2, 三(二), 六(五)) */
    {
        char *city, *paired;
        struct strbuf w = STRBUF_INIT;
        r.level = RL_CITY;
        assert_int_equal(report_emit(&r, out, &n, &e), 0);
        assert_int_equal(n, 1);
        city = tu_read(out, "city-3401.html");
        for (const char *const *h = (const char *const[]){"1. 问题整改", "2. 责任落实",
                                                          "3. 政策落实", "4. 工作落实",
                                                          "5. 资金安排", "6. 项目管理", NULL};
             *h; h++)
            assert_non_null(strstr(city, *h));
        assert_non_null(strstr(city, "清丰&lt;县&gt;"));
        r.level = RL_PAIRED;
        assert_int_equal(report_emit(&r, out, &n, &e), 0);
        paired = tu_read(out, "paired-340121.html");
        assert_non_null(strstr(paired, "携手奔小康行动"));
        assert_non_null(strstr(paired, "凤康县"));
        report_level_warnings(&r, RL_CITY, &w);
        assert_non_null(strstr(w.buf, "city report 市级报告 寨丰市 (3401): 0 typical experiences"));
        sb_release(&w);
        c.paired_with = 0;
        assert_int_equal(report_emit(&r, out, &n, &e), ERR_NOTFOUND);
        r.level = RL_COUNTY;
        free(city);
        free(paired);
    }
    free(html);
    free(idx);
    free(list);
    free(xlsx);
    tu_rmrf(dir);
    free(dir);
}

/* A folder that cannot be written: an error, and no file (no temporary) left behind. */
static void failure_leaves_nothing(void **state)
{
    struct report r;
    struct report_county c;
    struct error e;
    char *dir = tu_tmpdir(), out[1100], cmd[1200];
    (void)state;
    hand_report(&r, &c);
    snprintf(out, sizeof out, "%s/file", dir);
    tu_write(dir, "file", "not a folder");
    assert_int_not_equal(report_emit(&r, out, NULL, &e), 0);
    /* the output is there but read-only to xlsx: make the xlsx temporary a folder */
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/.report.xlsx.tmp/x'", out);
    assert_int_equal(system(cmd), 0);
    assert_int_not_equal(report_emit(&r, out, NULL, &e), 0);
    assert_int_equal(file_size(out, "index.html"), -1);
    assert_int_equal(file_size(out, "county-340121.html"), -1);
    assert_int_equal(file_size(out, ".county-340121.html.tmp"), -1);
    assert_int_equal(file_size(out, ".problems.html.tmp"), -1);
    tu_rmrf(dir);
    free(dir);
}

/* Out of memory at every allocation of an emit: an error or success, never a crash or leak. */
static void out_of_memory(void **state)
{
    struct report r;
    struct report_county c;
    struct error e;
    char *dir = tu_tmpdir();
    long total;
    (void)state;
    hand_report(&r, &c);
    mem_fail_after(0, 0);
    assert_int_equal(report_emit(&r, dir, NULL, &e), 0);
    total = mem_fail_after(0, 0);
    for (long i = 1; i <= total; i++) {
        mem_fail_after(i, 1);
        int rc = report_emit(&r, dir, NULL, &e);
        mem_fail_after(0, 0);
        assert_true(rc == 0 || rc == ERR_NOMEM);
    }
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chart_against_threshold), cmocka_unit_test(mask_ids_in_text),
        cmocka_unit_test(pages_and_workbook),      cmocka_unit_test(failure_leaves_nothing),
        cmocka_unit_test(out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
