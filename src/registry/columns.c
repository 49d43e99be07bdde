/*
 * columns.c — the registry's file formats and code lists, as data (registry.h).
 *
 * These tables drive the importer (header aliases, types, bounds), the exporter (column
 * order, Chinese headers) and docs/formats.md (registry_formats_markdown), so the three can
 * never disagree. Sources: DESIGN §3; the categories of households and members follow the
 * national registry (全国扶贫开发信息系统) as the seeds describe it (seed 002 "建档立卡数据
 * 质量", seed 004 annexes 2 and 3).
 *
 * Invariant: for every file, the column order here is the export order, and — apart from the
 * columns marked "not stored" and the members' household_id/resident_id mapping — equals the
 * order of the store table's columns after row_no.
 */
#include "registry.h"

#include <string.h>

#define END {NULL, NULL, NULL, NULL}

const struct code codes_region[] = {
    {"east", "东部", "eastern region", "东部地区"},
    {"central", "中部", "central region", "中部地区"},
    {"west", "西部", "western region", "西部地区"},
    END};

const struct code codes_county_type[] = {
    {"deep", "深度贫困县", "deep-poverty county", "深度贫困"},
    {"planned_exit", "拟摘帽县", "county planned to exit this year", "拟摘帽|今年拟摘帽"},
    {"exited", "已摘帽县", "exited county", "已摘帽|摘帽县|已脱贫摘帽县"},
    {"non_key", "非重点县", "non-key county", "非重点"},
    END};

const struct code codes_relation[] = {
    {"head", "户主", "head of household", "本人"},
    {"spouse", "配偶", "spouse", "妻|夫"},
    {"child", "子女", "child", "之子|之女|儿子|女儿|子|女"},
    {"child_in_law", "儿媳/女婿", "child-in-law", "儿媳|女婿|之儿媳|之女婿"},
    {"grandchild", "孙子女", "grandchild", "之孙子|之孙女|孙子|孙女|外孙子女"},
    {"parent", "父母", "parent", "之父|之母|父亲|母亲"},
    {"grandparent", "祖父母", "grandparent", "祖父|祖母"},
    {"sibling", "兄弟姐妹", "sibling", "兄弟|姐妹"},
    {"other", "其他", "other relation", NULL},
    END};

const struct code codes_education[] = {
    {"none", "文盲或半文盲", "none / not yet in school", "无|文盲|学龄前儿童"},
    {"preschool", "学前教育", "pre-school", "学前|幼儿园"},
    {"primary", "小学", "primary school", NULL},
    {"junior", "初中", "junior secondary", NULL},
    {"senior", "高中", "senior secondary", "高中或中专"},
    {"vocational", "中职", "secondary vocational", "中专|技校|职高"},
    {"college", "大专及以上", "college or university", "大专|本科|大学"},
    END};

const struct code codes_health[] = {
    {"healthy", "健康", "healthy", NULL},
    {"chronic", "长期慢性病", "long-term chronic illness", "慢性病"},
    {"serious", "患有大病", "serious illness", "大病|重病"},
    {"disabled", "残疾", "disabled", "残疾人"},
    END};

const struct code codes_labour[] = {
    {"normal", "普通劳动力", "ordinary labour", NULL},
    {"skilled", "技能劳动力", "skilled labour", NULL},
    {"weak", "弱劳动力或半劳动力", "weak or half labour", "弱劳动力|半劳动力"},
    {"lost", "丧失劳动力", "lost labour capacity", NULL},
    {"none", "无劳动力", "no labour (child, student, elderly)", NULL},
    END};

const struct code codes_project_kind[] = {
    {"industry", "产业扶贫", "industry", "产业"},
    {"infrastructure", "基础设施", "infrastructure", "基础设施建设"},
    {"housing", "住房安全", "housing", "危房改造"},
    {"water", "饮水安全", "drinking water", "饮水"},
    {"education", "教育扶贫", "education", "教育"},
    {"health", "健康扶贫", "health", "健康"},
    {"employment", "就业扶贫", "employment", "就业"},
    {"finance", "金融扶贫", "finance (micro-credit)", "金融|小额信贷"},
    {"other", "其他", "other", NULL},
    END};

const struct code codes_project_status[] = {
    {"planned", "未开工", "planned", "计划"},
    {"ongoing", "在建", "under way", "实施中"},
    {"completed", "已完工", "completed", "完工|已完成"},
    {"suspended", "停工", "suspended", "暂停"},
    END};

const struct code codes_unit_level[] = {
    {"province", "省直部门", "provincial department", "省级|省直"},
    {"city", "市级", "city", "市直"},
    {"county", "县级", "county", "县直"},
    {"township", "乡镇", "township", "乡镇级"},
    {"village", "村级", "village", "村"},
    {"institute", "高校科研院所", "university or institute", "高校|科研院所|第三方机构"},
    END};

const struct code codes_position[] = {
    {"director", "扶贫办主任", "poverty-office director", "主任"},
    {"division", "处级干部", "division-level cadre", "处级"},
    {"cadre", "干部", "cadre", "工作人员|扶贫干部"},
    {"expert", "专家", "expert", "评估专家"},
    {"student", "学生", "student", "研究生"},
    END};

const char *code_parse(const struct code *list, const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    /* fast path: the canonical code as written (what export and synth write). The same
     * answer as the loop below: no entry's other names equal another entry's code
     * (test_registry checks code_parse(code) == code for every list) */
    for (const struct code *l = list; l->code; l++)
        if (strlen(l->code) == n && !memcmp(l->code, s, n)) return l->code;
    for (; list->code; list++) {
        if (str_ieq(s, n, list->code) || str_ieq(s, n, list->zh) || str_ieq(s, n, list->en) ||
            (list->aliases && str_in_list(s, n, list->aliases)))
            return list->code;
    }
    return NULL;
}

const char *code_zh(const struct code *list, const char *code)
{
    for (; list->code; list++)
        if (!strcmp(list->code, code)) return list->zh;
    return code;
}

const char *code_list(const struct code *list)
{
    /* one buffer per list: the lists are few and static */
    static struct {
        const struct code *list;
        char buf[512];
    } cache[16];
    size_t i;
    for (i = 0; i < 16 && cache[i].list; i++)
        if (cache[i].list == list) return cache[i].buf;
    if (i == 16) i = 15;
    cache[i].list = list;
    cache[i].buf[0] = '\0';
    for (const struct code *c = list; c->code; c++) {
        size_t len = strlen(cache[i].buf);
        snprintf(cache[i].buf + len, sizeof cache[i].buf - len, "%s%s",
                 c == list ? "" : ", ", c->code);
    }
    return cache[i].buf;
}

const char *province_name(int code)
{
    static const struct {
        int code;
        const char *name;
    } p[] = {{11, "北京市"}, {12, "天津市"}, {13, "河北省"}, {14, "山西省"},
             {15, "内蒙古自治区"}, {21, "辽宁省"}, {22, "吉林省"}, {23, "黑龙江省"},
             {31, "上海市"}, {32, "江苏省"}, {33, "浙江省"}, {34, "安徽省"},
             {35, "福建省"}, {36, "江西省"}, {37, "山东省"}, {41, "河南省"},
             {42, "湖北省"}, {43, "湖南省"}, {44, "广东省"}, {45, "广西壮族自治区"},
             {46, "海南省"}, {50, "重庆市"}, {51, "四川省"}, {52, "贵州省"},
             {53, "云南省"}, {54, "西藏自治区"}, {61, "陕西省"}, {62, "甘肃省"},
             {63, "青海省"}, {64, "宁夏回族自治区"}, {65, "新疆维吾尔自治区"},
             {71, "台湾省"}, {81, "香港特别行政区"}, {82, "澳门特别行政区"}};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
        if (p[i].code == code) return p[i].name;
    return NULL;
}

/* ------------------------------------------------------------------ files */

#define NOB 0, 0
/* Longest text values, in characters (issue 9 item 7: a 10 MB name was accepted). A place
 * name: the longest division names are under 20 characters (e.g. 克孜勒苏柯尔克孜自治州);
 * a person's name: the resident ID card prints up to 15 characters and minority names
 * written in full in the household register run longer, so 50; ids: 40, as the store's
 * household numbers have always been limited. */
#define PLACE_MAX 50
#define PERSON_MAX 50
#define ID_MAX 40
static const struct col_spec counties_cols[] = {
    {"code", "县代码|县编码|区划代码|行政区划代码", COL_INT, 1, 110000, 829999, NULL, "县代码",
     "6-digit county code (province 2, city 2, county 2)"},
    {"name", "县名称|县名|县(市、区)", COL_TEXT, 1, 0, PLACE_MAX, NULL, "县名称", "county name"},
    {"city_code", "市代码|市编码", COL_INT, 1, 1100, 8299, NULL, "市代码",
     "4-digit city code; must be the county code's first 4 digits"},
    {"city_name", "市名称|市名|市", COL_TEXT, 1, 0, PLACE_MAX, NULL, "市名称", "city name"},
    {"region", "区域|地区|东中西部", COL_CODE, 1, NOB, codes_region, "区域",
     "east / central / west: thresholds depend on it (seed 000)"},
    {"type", "县类型|类型|县属性", COL_CODE, 1, NOB, codes_county_type, "县类型",
     "deep / planned_exit / exited / non_key (seed 002)"},
    {"exit_year", "摘帽年份|退出年份", COL_YEAR, 0, NOB, NULL, "摘帽年份",
     "year the county exited (type exited); empty otherwise"},
    {"rural_population", "农村人口|乡村人口|农业人口", COL_INT, 1, 0, 1e8, NULL, "农村人口",
     "rural population R of the incidence formula (DESIGN §6.3)"},
    {"allowance_standard", "低保标准|农村低保标准", COL_REAL, 1, 0, 1e6, NULL, "低保标准",
     "local rural minimum-allowance standard, yuan per person per year (seed 001 case 8)"},
    {"paired_with", "结对帮扶县|帮扶县代码", COL_INT, 0, 110000, 829999, NULL, "结对帮扶县",
     "county giving this county paired assistance (seed 002), or empty"},
    {"reported_incidence", "上报综合贫困发生率|自评贫困发生率", COL_REAL, 0, 0, 1, NULL,
     "上报综合贫困发生率", "the province's own reported comprehensive incidence (0..1)"},
    {"reported_wrong_exit", "上报错退率", COL_REAL, 0, 0, 1, NULL, "上报错退率",
     "reported wrong-exit rate (0..1)"},
    {"reported_missed", "上报漏评率", COL_REAL, 0, 0, 1, NULL, "上报漏评率",
     "reported missed rate (0..1)"},
    {"reported_approval", "上报群众认可度", COL_REAL, 0, 0, 1, NULL, "上报群众认可度",
     "reported approval rate (0..1)"},
};

static const struct col_spec townships_cols[] = {
    {"code", "乡镇代码|乡镇编码", COL_INT, 1, 110000000, 829999999, NULL, "乡镇代码",
     "9-digit township code; its first 6 digits are a county of counties.csv"},
    {"name", "乡镇名称|乡镇|乡(镇)", COL_TEXT, 1, 0, PLACE_MAX, NULL, "乡镇名称", "township name"},
    {"key_township", "重点乡镇|是否重点乡镇", COL_BOOL, 1, NOB, NULL, "重点乡镇",
     "1 for a key township (重点乡镇, seed 004 third article)"},
};

static const struct col_spec villages_cols[] = {
    {"code", "村代码|行政村代码|村编码", COL_INT, 1, 110000000000.0, 829999999999.0, NULL,
     "村代码", "12-digit village code; its first 9 digits are a township"},
    {"name", "村名称|行政村|村名", COL_TEXT, 1, 0, PLACE_MAX, NULL, "村名称", "village name"},
    {"poor", "贫困村|是否贫困村", COL_BOOL, 1, NOB, NULL, "贫困村",
     "1 for a registered poor village (建档立卡贫困村)"},
    {"exit_year", "出列年份|退出年份", COL_YEAR, 0, NOB, NULL, "出列年份",
     "year a poor village exited (出列), empty if not"},
    {"population", "总人口|户籍人口|村人口", COL_INT, 1, 0, 1e6, NULL, "总人口",
     "village population: the denominator of the village incidence (annex 1 item 1)"},
    {"groups", "村民小组数|组数", COL_INT, 1, 1, 200, NULL, "村民小组数",
     "number of village groups (村民小组); households.csv group is 1..groups"},
    {"general_households", "一般农户数", COL_INT, 0, 0, 1e5, NULL, "一般农户数",
     "only where the roster lacks general households: their count"},
    {"remoteness", "偏远程度|偏远指数", COL_REAL, 1, 0, 1, NULL, "偏远程度",
     "0 (by the township seat) .. 1 (most remote, poorest services): sampling tilts to it"},
    {"road_hardened", "通硬化路|道路硬化", COL_BOOL, 0, NOB, NULL, "通硬化路",
     "annex 1 item 2: a hardened road links the village"},
    {"road_width", "路面宽度|路宽", COL_REAL, 0, 0, 100, NULL, "路面宽度(米)",
     "width of that road, metres (>= 3.5, or >= 3.0 under the exception)"},
    {"narrow_road_exception", "窄路例外|适用3米标准", COL_BOOL, 1, NOB, NULL, "适用3.0米标准",
     "1 where annex 1's 3.0 m exception applies (hard terrain, few people)"},
    {"bus_feasible", "具备通客车条件", COL_BOOL, 0, NOB, NULL, "具备通客车条件",
     "annex 1 item 3: the village is one where buses are feasible"},
    {"bus_distance", "客车站点距离|距班车站点距离", COL_REAL, 0, 0, 1000, NULL,
     "客车站点距离(公里)", "distance to the nearest bus stop, km (<= 2)"},
    {"water_quality", "水质达标", COL_BOOL, 0, NOB, NULL, "水质达标",
     "annex 1 item 4: water quality meets the rural standard"},
    {"water_litres", "人均日供水量|供水量", COL_REAL, 0, 0, 10000, NULL, "人均日供水量(升)",
     "litres per person per day (>= 40)"},
    {"water_minutes", "取水往返时间", COL_REAL, 0, 0, 1000, NULL, "取水往返时间(分钟)",
     "minutes for a water-fetching round trip (<= 10)"},
    {"water_guarantee", "供水保证率", COL_REAL, 0, 0, 100, NULL, "供水保证率(%)",
     "supply guarantee rate, percent (>= 95)"},
    {"power_production", "动力电通电率|通动力电率", COL_REAL, 0, 0, 100, NULL, "通动力电率(%)",
     "annex 1 item 5: production power coverage, percent (100)"},
    {"power_household", "户户通电率|通电率", COL_REAL, 0, 0, 100, NULL, "户户通电率(%)",
     "household power coverage, percent (100)"},
    {"tv_household", "广播电视户户通率|广播电视覆盖率", COL_REAL, 0, 0, 100, NULL,
     "广播电视户户通率(%)", "annex 1 item 6: broadcast TV coverage, percent (100)"},
    {"culture_items", "文化服务中心项数|综合文化服务中心", COL_INT, 0, 0, 7, NULL,
     "文化服务中心项数", "annex 1 item 7: how many of the centre's 7 items exist (7)"},
    {"clinic_area", "卫生室面积", COL_REAL, 0, 0, 100000, NULL, "卫生室面积(平方米)",
     "annex 1 item 8: clinic floor area, m2 (>= 60)"},
    {"clinic_rooms", "卫生室功能间数", COL_INT, 0, 0, 4, NULL, "卫生室功能间数",
     "how many of consulting, treatment, public-health and pharmacy rooms exist (4)"},
    {"clinic_staff", "卫生室人员数|村医人数", COL_INT, 0, 0, 1000, NULL, "卫生室人员数",
     "clinic staff (>= 1 per 1000 served)"},
    {"village_doctor", "合格村医|有合格乡村医生", COL_BOOL, 0, NOB, NULL, "有合格乡村医生",
     "annex 1 item 9: a doctor with a licence"},
    {"fibre", "光纤通达|通光纤", COL_BOOL, 0, NOB, NULL, "光纤通达",
     "annex 1 item 10: fibre reaches the village"},
    {"broadband", "宽带接入能力|宽带速率", COL_REAL, 0, 0, 100000, NULL, "宽带接入能力(兆)",
     "broadband the network can give a household, Mbps (>= 50)"},
    {"collective_income", "村集体经济收入|集体经济收入", COL_REAL, 0, 0, 1e9, NULL,
     "村集体经济收入(元)", "annex 1 item 11: village collective income, yuan per year"},
};

static const struct col_spec households_cols[] = {
    {"household_id", "户编号|户主编号|户号|家庭编号", COL_TEXT, 1, 0, ID_MAX, NULL, "户编号",
     "the household's number in the registry, unique"},
    {"village", "村代码|行政村代码", COL_INT, 1, 110000000000.0, 829999999999.0, NULL,
     "村代码", "12-digit code of its village in villages.csv"},
    {"group", "村民小组|组别|组", COL_INT, 1, 1, 200, NULL, "村民小组",
     "village group number, 1..the village's groups", "grp"},
    {"registered", "建档立卡户|是否建档立卡", COL_BOOL, 1, NOB, NULL, "建档立卡户",
     "1 for a registered (建档立卡) household, 0 for a general household"},
    {"identified_year", "识别年份|纳入年份|识别标准年份", COL_YEAR, 0, NOB, NULL, "识别年份",
     "year it was identified as poor (registered only)"},
    {"exit_year", "脱贫年份|退出年份|计划脱贫年份", COL_YEAR, 0, NOB, NULL, "脱贫年份",
     "year it exited, empty if not exited; not before identified_year"},
    {"returned", "返贫户|是否返贫", COL_BOOL, 1, NOB, NULL, "返贫户",
     "1 if it exited and fell back into poverty (返贫)"},
    {"return_year", "返贫年份", COL_YEAR, 0, NOB, NULL, "返贫年份",
     "year it fell back (returned households only)"},
    {"edge", "边缘户|是否边缘户", COL_BOOL, 1, NOB, NULL, "边缘户",
     "1 for an edge (near-poor) household: general households only"},
    {"monitored", "脱贫监测户|监测户", COL_BOOL, 1, NOB, NULL, "脱贫监测户",
     "1 for an exited household under monitoring"},
    {"allowance", "低保户|是否低保户", COL_BOOL, 1, NOB, NULL, "低保户",
     "1 if it receives the minimum allowance (低保)"},
    {"hardship", "特困供养户|特困户|五保户", COL_BOOL, 1, NOB, NULL, "特困供养户",
     "1 for extreme-hardship support (特困供养, formerly 五保)"},
    {"disability", "残疾人户", COL_BOOL, 1, NOB, NULL, "残疾人户",
     "1 if a member is disabled"},
    {"illness", "大病重病户|大病户", COL_BOOL, 1, NOB, NULL, "大病重病户",
     "1 if a member has a serious illness"},
    {"unsafe_house", "危房户", COL_BOOL, 1, NOB, NULL, "危房户",
     "1 if the house is rated unsafe (C or D)"},
    {"relocated", "易地搬迁户|搬迁户", COL_BOOL, 1, NOB, NULL, "易地搬迁户",
     "1 if relocated from inhospitable areas (易地扶贫搬迁)"},
    {"income", "人均纯收入|年人均纯收入", COL_REAL, 0, -1e6, 1e8, NULL, "人均纯收入(元)",
     "registered per-capita net income, yuan per year (registered households)"},
};

static const struct col_spec members_cols[] = {
    {"resident_id", "身份证号|身份证号码|证件号码|公民身份号码", COL_RID, 1, NOB, NULL,
     "身份证号", "18-character resident ID (GB 11643-1999); 15-digit IDs are upgraded", "resident"},
    {"household_id", "户编号|户号|家庭编号", COL_TEXT, 1, 0, ID_MAX, NULL, "户编号",
     "the household of households.csv this member belongs to", "household"},
    {"name", "姓名", COL_TEXT, 1, 0, PERSON_MAX, NULL, "姓名", "name"},
    {"relation", "与户主关系|关系", COL_CODE, 1, NOB, codes_relation, "与户主关系",
     "relation to the head; exactly one head per household"},
    {"sex", "性别", COL_TEXT, 0, 0, 10, NULL, "性别",
     "optional, not stored: checked against the ID (男/女, 1/2, male/female)", ""},
    {"birth_date", "出生日期|出生年月", COL_DATE, 0, NOB, NULL, "出生日期",
     "optional, not stored: checked against the ID", ""},
    {"education", "文化程度|在校生状况", COL_CODE, 1, NOB, codes_education, "文化程度",
     "highest (or current) stage of schooling"},
    {"in_school", "在校生|是否在校", COL_BOOL, 1, NOB, NULL, "在校生",
     "1 if enrolled in school now"},
    {"health", "健康状况", COL_CODE, 1, NOB, codes_health, "健康状况", "health status"},
    {"labour", "劳动技能|劳动能力", COL_CODE, 1, NOB, codes_labour, "劳动技能",
     "labour capacity"},
    {"medical_insurance", "参加基本医疗保险|基本医疗保险|参加城乡居民基本医疗保险", COL_BOOL, 1,
     NOB, NULL, "参加基本医疗保险", "1 if enrolled in basic medical insurance"},
    {"illness_insurance", "参加大病保险|大病保险", COL_BOOL, 1, NOB, NULL, "参加大病保险",
     "1 if covered by serious-illness insurance"},
    {"pension_insurance", "参加养老保险|基本养老保险|参加城乡居民基本养老保险", COL_BOOL, 1, NOB,
     NULL, "参加养老保险", "1 if enrolled in basic pension insurance"},
    {"disability_cert", "残疾证等级|残疾等级", COL_INT, 1, 0, 4, NULL, "残疾证等级",
     "disability certificate grade 1..4, 0 if none"},
};

static const struct col_spec projects_cols[] = {
    {"project_id", "项目编号", COL_TEXT, 1, 0, ID_MAX, NULL, "项目编号", "project number, unique"},
    {"county", "县代码", COL_INT, 1, 110000, 829999, NULL, "县代码", "county code"},
    {"village", "村代码", COL_INT, 0, 110000000000.0, 829999999999.0, NULL, "村代码",
     "village code for a village project; empty for a county-level one"},
    {"name", "项目名称", COL_TEXT, 1, 0, 200, NULL, "项目名称", "project name"},
    {"kind", "项目类型|项目类别", COL_CODE, 1, NOB, codes_project_kind, "项目类型", "kind"},
    {"funds", "资金规模|投资金额|资金(万元)", COL_REAL, 1, 0, 1e12, NULL, "资金规模(元)",
     "funds, yuan"},
    {"year", "年度|实施年度", COL_YEAR, 1, NOB, NULL, "年度", "year of the plan"},
    {"status", "项目状态|实施状态", COL_CODE, 1, NOB, codes_project_status, "项目状态",
     "status"},
    {"paired", "结对帮扶合作项目|合作项目", COL_BOOL, 1, NOB, NULL, "结对帮扶合作项目",
     "1 for a cooperation project of county paired assistance (seed 002)"},
};

static const struct col_spec evaluators_cols[] = {
    {"evaluator_id", "人员编号|编号", COL_TEXT, 1, 0, ID_MAX, NULL, "人员编号", "evaluator number"},
    {"name", "姓名", COL_TEXT, 1, 0, PERSON_MAX, NULL, "姓名", "name"},
    {"home_city", "所在市代码|来源市|所属市", COL_INT, 1, 1100, 8299, NULL, "所在市代码",
     "4-digit code of the city the evaluator comes from: never assesses it"},
    {"unit_level", "单位层级|单位级别", COL_CODE, 1, NOB, codes_unit_level, "单位层级",
     "level of the evaluator's unit (60% must be county/township/village)"},
    {"position", "职务|身份", COL_CODE, 1, NOB, codes_position, "职务",
     "director (team leader), division (provincial deputy), cadre, expert, student"},
    {"experienced", "参加过第三方评估|有评估经验", COL_BOOL, 1, NOB, NULL, "有评估经验",
     "1 if the evaluator has done a third-party assessment before"},
    {"exam_score", "考试成绩|考核成绩", COL_REAL, 1, 0, 100, NULL, "考试成绩",
     "training exam score, 0..100 (seed 000: only those who pass take part)"},
};

#define N(a) (sizeof a / sizeof a[0])
const struct file_spec registry_files[] = {
    {"counties.csv", "counties", counties_cols, N(counties_cols), 1,
     "One row per county (县) in scope."},
    {"townships.csv", "townships", townships_cols, N(townships_cols), 1,
     "One row per township (乡镇)."},
    {"villages.csv", "villages", villages_cols, N(villages_cols), 1,
     "One row per administrative village (行政村) with the exit indicators of seed 004 "
     "annex 1 as the registry records them."},
    {"households.csv", "households", households_cols, N(households_cols), 1,
     "The full village roster: every household, registered (建档立卡) and general."},
    {"members.csv", "members", members_cols, N(members_cols), 1,
     "Every member of every household in households.csv, with a resident ID."},
    {"projects.csv", "projects", projects_cols, N(projects_cols), 0,
     "Poverty-alleviation projects (扶贫项目), sampled by plans. Optional: if absent, the "
     "store's projects are kept."},
    {"evaluators.csv", "evaluators", evaluators_cols, N(evaluators_cols), 0,
     "The qualified pool (人才库) from which teams are drawn. Optional like projects.csv."},
};
const size_t registry_nfiles = N(registry_files);

static const char *type_doc(const struct col_spec *c)
{
    switch (c->type) {
    case COL_INT: return "integer";
    case COL_REAL: return "number";
    case COL_TEXT: return "text";
    case COL_BOOL: return "0/1";
    case COL_CODE: return "code";
    case COL_YEAR: return "year";
    case COL_RID: return "resident ID";
    case COL_DATE: return "date";
    }
    return "";
}

void registry_formats_markdown(struct strbuf *sb)
{
    sb_adds(sb,
            "## Errors and limits\n\n"
            "- **Header.** Every required column must be there, once: `members.csv:1: missing "
            "column relation (the header is: …); accepted names: relation, 与户主关系, 关系`. "
            "A column named twice (by any of its names) is an error at its field.\n"
            "- **Rows.** A row with more fields than the header is an error at its line (a "
            "value with a comma must be quoted); a row with fewer reads the missing fields as "
            "empty.\n"
            "- **Text.** Text values have a maximum length in characters (not bytes), given "
            "below with each column: 50 for names of places and people, 40 for ids, 200 for "
            "a project's name, 10 for `sex`.\n"
            "- **Encoding.** A UTF-8 file with a stray byte (say one GBK name pasted in) is "
            "reported at the line and field of that byte, wherever it is; a file that is "
            "mostly not UTF-8 is read as GB18030.\n"
            "- **Follow-on errors.** A file that cannot be read (missing, a header without a "
            "required column, a broken encoding or quote) is reported once, and the checks "
            "of other files against it are skipped; a row with a bad value still counts for "
            "what parsed (a village with a bad `remoteness` still holds its households). At "
            "most 20 errors of one kind are printed, then `… and N more of this kind (the "
            "message)`; `pinggu import --errors FILE` writes every error, one per line.\n\n");
    for (size_t f = 0; f < registry_nfiles; f++) {
        const struct file_spec *fs = &registry_files[f];
        sb_addf(sb, "## %s%s\n\n%s\n\n", fs->file, fs->required ? "" : " (optional)", fs->doc);
        sb_adds(sb, "| column | 中文 (accepted headers) | type | required | meaning |\n");
        sb_adds(sb, "|---|---|---|---|---|\n");
        for (size_t k = 0; k < fs->ncols; k++) {
            const struct col_spec *c = &fs->cols[k];
            sb_addf(sb, "| `%s` | %s | %s", c->name, c->aliases, type_doc(c));
            if (c->type == COL_TEXT && c->max > 0)
                sb_addf(sb, ", at most %.0f characters", c->max);
            else if (c->min != c->max)
                sb_addf(sb, " %g..%g", c->min, c->max);
            if (c->type == COL_CODE) sb_addf(sb, ": %s", code_list(c->codes));
            sb_addf(sb, " | %s | %s |\n", c->required ? "yes" : "no", c->doc);
        }
        sb_adds(sb, "\n");
    }
}
