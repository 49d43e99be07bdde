/*
 * test_compare.c — the registry × department data comparison (src/compare/, docs/compare.md):
 *
 *   - the shipped rules file loads; broken rules files are rejected with their JSON paths;
 *   - relative dates ("ref-2y") shift as documented, leap days and month ends included;
 *   - on the hand-made mini registry (tests/data/mini) and a few hand-made department files,
 *     exactly the expected flags — one per rule and subject, boundaries respected (a car of
 *     exactly 50,000 is not "above 50,000", a diagnosis exactly two years back is "within
 *     two years"), IDs normalised as import does (apostrophe, lowercase x), an Excel-mangled
 *     ID counted and listed, a duplicate line giving one flag with two records — and
 *     `explain` shows each record's file and line, masked;
 *   - a bad header, an unknown mapped column and an undecodable file fail naming the file,
 *     and nothing is written (store, change log, CSV);
 *   - every allocation failure is ERR_NOMEM without a leak, for the rules, a run and the
 *     department generator (src/synth/departments.c, which leaves no file behind);
 *   - on a synthetic county with its synthetic departments, the flags equal
 *     departments-truth.csv exactly (precision and recall both 100%), the invalid IDs
 *     counted per file equal an independent recount, and one or two threads give
 *     byte-identical output.
 */
#include "testutil.h"

#include "compare/compare.h"
#include "compare/compare_int.h"
#include "registry/registry.h"
#include "synth/synth.h"
#include "store/store.h"

#define MINI  "tests/data/mini"
#define RULES "rules/compare.json"

static const char *mini_files[] = {"counties.csv",   "townships.csv", "villages.csv",
                                   "households.csv", "members.csv",   "projects.csv",
                                   "evaluators.csv"};

/* ------------------------------------------------------------------ helpers */

static void copy_file(const char *from_dir, const char *name, const char *to_dir)
{
    char *t = tu_read(from_dir, name);
    tu_write(to_dir, name, t);
    free(t);
}

static struct store *import_dir(const char *dir, const char *reg, char *db, size_t dbsize)
{
    struct import_opts o = {20261101, 0, 50};
    struct import_stats st;
    struct errlist errs;
    struct store *s;
    struct error e;
    snprintf(db, dbsize, "%s/t.db", dir);
    unlink(db);
    assert_int_equal(store_open(db, STORE_CREATE, &s, &e), 0);
    errlist_init(&errs, 50);
    if (registry_import(s, reg, &o, &st, &errs, &e)) {
        errlist_print(stderr, &errs);
        fail_msg("import: %s", e.msg);
    }
    errlist_release(&errs);
    return s;
}

static int64_t count(struct store *s, const char *sql)
{
    int64_t n = -1;
    struct error e;
    if (store_query_int(s, sql, 0, &n, &e)) return -1;
    return n;
}

/* "rule,household_id,resident_id" of each data row of a flags CSV (or of a truth file with
 * columns rule_col, hid_col, rid_col), sorted. Caller frees each and the array. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **read_triples(const char *path, int rule_col, int hid_col, int rid_col, size_t *n)
{
    struct csv *c;
    struct error e;
    char **v = NULL;
    size_t cap = 0;
    int rc;
    *n = 0;
    assert_int_equal(csv_open(path, &c, &e), 0);
    assert_int_equal(csv_next(c, &e), 1); /* header */
    while ((rc = csv_next(c, &e)) == 1) {
        char buf[256];
        if (*n == cap) {
            cap = cap ? cap * 2 : 1024;
            v = realloc(v, cap * sizeof *v);
            assert_non_null(v);
        }
        snprintf(buf, sizeof buf, "%s,%s,%s", csv_field(c, (size_t)rule_col),
                 csv_field(c, (size_t)hid_col), csv_field(c, (size_t)rid_col));
        v[(*n)++] = strdup(buf);
    }
    assert_int_equal(rc, 0);
    csv_close(c);
    qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

static void free_triples(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static char *explain_text(struct store *s, const char *hid, const char *rid, int expect_rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct error e;
    assert_non_null(f);
    assert_int_equal(compare_explain(s, hid, rid, 0, 0, f, &e), expect_rc);
    fclose(f);
    return buf;
}

/* ------------------------------------------------------------------ rules */

static void test_rules_shipped(void **state)
{
    struct compare_rules *r;
    struct errlist errs;
    struct error e;
    (void)state;
    errlist_init(&errs, 50);
    if (compare_rules_load(RULES, &r, &errs, &e)) {
        errlist_print(stderr, &errs);
        fail_msg("%s", e.msg);
    }
    assert_int_equal(compare_rules_reference_date(r), 20191231);
    assert_int_equal(compare_rules_count(r), 20);
    assert_int_equal(compare_rules_file_count(r), 16);
    assert_string_equal(compare_rule_id(r, 0), "payroll");
    assert_string_equal(compare_rules_file_name(r, 8), "vehicles.csv");
    assert_int_equal(r->nnone, 5);
    compare_rules_free(r);
    errlist_release(&errs);
}

#define HEAD "{\"format\":1,\"id\":\"t\",\"reference_date\":\"2019-12-31\","
#define FILES                                                                                      \
    "\"files\":[{\"id\":\"f\",\"file\":\"f.csv\",\"department\":{\"zh\":\"部门\",\"en\":\"d\"}," \
    "\"title\":{\"zh\":\"名册\",\"en\":\"r\"},\"columns\":{\"id\":\"身份证号\",\"value\":"   \
    "\"金额\","                                                                                  \
    "\"status\":\"状态\",\"day\":\"日期\"}}],"
#define RULE(subject, extra, when)                                                                 \
    "\"rules\":[{\"id\":\"r\",\"kind\":\"exclusion\",\"severity\":\"high\",\"zh\":\"规则\","     \
    "\"en\":\"rule\",\"seed\":\"003\",\"subject\":" subject extra ",\"sources\":[{\"file\":\"f\"," \
    "\"when\":[" when "]}]}]}"

static void expect_rules_error(const char *text, const char *want)
{
    struct compare_rules *r = NULL;
    struct errlist errs;
    struct error e;
    int rc, found = 0;
    errlist_init(&errs, 50);
    rc = compare_rules_parse("t.json", text, strlen(text), &r, &errs, &e);
    assert_true(rc == ERR_INVALID || rc == ERR_PARSE);
    assert_null(r);
    for (size_t i = 0; i < errs.n; i++)
        if (strstr(errs.items[i].msg, want)) found = 1;
    if (!found) {
        errlist_print(stderr, &errs);
        fail_msg("no error mentioning '%s'", want);
    }
    errlist_release(&errs);
}

static void test_rules_errors(void **state)
{
    struct compare_rules *r;
    struct error e;
    const char *ok = HEAD FILES RULE("{\"who\":\"registered\"}", "",
                                     "{\"column\":\"value\",\">\":5},{\"column\":\"day\","
                                     "\"from\":\"ref-2y\",\"to\":\"ref\"}");
    (void)state;
    assert_int_equal(compare_rules_parse("t.json", ok, strlen(ok), &r, NULL, &e), 0);
    assert_int_equal(r->files[0].cols[1].type, COLT_NUMBER);
    assert_int_equal(r->files[0].cols[3].type, COLT_DATE);
    compare_rules_free(r);

    expect_rules_error("{\"format\": 1,", "not valid JSON");
    expect_rules_error(
        HEAD FILES RULE("{\"who\":\"registered\"}", "", "{\"column\":\"valu\",\">\":5}"),
        "rules[0].sources[0].when[0].column: \"valu\" is not a column of file "
        "\"f\" (columns: value, status, day)");
    expect_rules_error(HEAD FILES RULE("{\"who\":\"absent\"}", ",\"match\":\"none\"",
                                       "{\"column\":\"status\",\"in\":[\"a\"]}"),
                       "rules[0].match: a \"none\" rule needs subjects the registry lists");
    expect_rules_error(HEAD FILES RULE("{\"who\":\"registered\"}", ",\"severty\":\"high\"",
                                       "{\"column\":\"status\",\"in\":[\"a\"]}"),
                       "rules[0].severty: unknown key");
    expect_rules_error(
        HEAD FILES RULE("{\"who\":\"someone\"}", "", "{\"column\":\"status\",\"in\":[\"a\"]}"),
        "rules[0].subject.who: \"someone\" is not one of");
    expect_rules_error(HEAD FILES RULE("{\"who\":\"registered\"}", "",
                                       "{\"column\":\"value\",\">\":5},{\"column\":\"value\","
                                       "\"from\":\"2019-01-01\"}"),
                       "column \"value\" of file \"f\" is compared as a number elsewhere");
    expect_rules_error(
        HEAD FILES RULE("{\"who\":\"registered\"}", "", "{\"column\":\"day\",\"from\":\"ref-2q\"}"),
        "rules[0].sources[0].when[0].from: expected a date");
    expect_rules_error(HEAD FILES RULE("{\"who\":\"registered\"}", "",
                                       "{\"column\":\"status\",\"in\":[\"a\"],\">\":3}"),
                       "give one test per condition");
    expect_rules_error(HEAD FILES RULE("{\"who\":\"registered\",\"age\":[15,6]}", "",
                                       "{\"column\":\"status\",\"in\":[\"a\"]}"),
                       "rules[0].subject.age: expected [min, max]");
    expect_rules_error(HEAD "\"files\":[{\"id\":\"f\",\"file\":\"../f.csv\",\"department\":"
                            "{\"zh\":\"a\",\"en\":\"b\"},\"title\":{\"zh\":\"a\",\"en\":\"b\"},"
                            "\"columns\":{\"name\":\"姓名\"}}],"
                            "\"rules\":[]}",
                       "files[0].columns: no \"id\"");
    expect_rules_error(HEAD "\"files\":[{\"id\":\"f\",\"file\":\"../f.csv\",\"department\":"
                            "{\"zh\":\"a\",\"en\":\"b\"},\"title\":{\"zh\":\"a\",\"en\":\"b\"},"
                            "\"columns\":{\"id\":\"x\"}}],\"rules\":[]}",
                       "files[0].file: \"../f.csv\": a file name inside the department folder");
    /* "show": identifying columns must be mapped, and neither the ID nor the name */
    expect_rules_error(HEAD "\"files\":[{\"id\":\"f\",\"file\":\"f.csv\",\"department\":"
                            "{\"zh\":\"a\",\"en\":\"b\"},\"title\":{\"zh\":\"a\",\"en\":\"b\"},"
                            "\"columns\":{\"id\":\"x\",\"name\":\"n\"},\"show\":[\"plate\"]}],"
                            "\"rules\":[]}",
                       "files[0].show[0]: \"plate\" is not a column of file \"f\"");
    expect_rules_error(HEAD "\"files\":[{\"id\":\"f\",\"file\":\"f.csv\",\"department\":"
                            "{\"zh\":\"a\",\"en\":\"b\"},\"title\":{\"zh\":\"a\",\"en\":\"b\"},"
                            "\"columns\":{\"id\":\"x\",\"name\":\"n\"},\"show\":[\"name\"]}],"
                            "\"rules\":[]}",
                       "files[0].show[0]: \"name\": the ID is always shown, the name never");
}

static void test_dates(void **state)
{
    struct cmp_date d;
    (void)state;
    assert_int_equal(cmp_date_shift(20191231, -2, 'y'), 20171231);
    assert_int_equal(cmp_date_shift(20200229, -1, 'y'), 20190228);
    assert_int_equal(cmp_date_shift(20190331, -1, 'm'), 20190228);
    assert_int_equal(cmp_date_shift(20200131, 1, 'm'), 20200229);
    assert_int_equal(cmp_date_shift(20200301, -1, 'd'), 20200229);
    assert_int_equal(cmp_date_shift(20191231, 1, 'd'), 20200101);
    assert_int_equal(cmp_date_shift(20190115, -13, 'm'), 20171215);
    memset(&d, 0, sizeof d);
    assert_int_equal(cmp_date_resolve(&d, 20191231, 99991231), 99991231);
    d.set = d.rel = 1, d.n = -5, d.unit = 'y';
    assert_int_equal(cmp_date_resolve(&d, 20191231, 0), 20141231);
}

/* ------------------------------------------------------------------ the mini registry */

/* The mini registry: H1 (registered, exited; 王大山, 李秀英 with an X, 王小明 aged 9), H2
 * (registered, unexited, allowance, income 2600 < 4200: 赵老汉 disabled, 钱桂花), H3
 * (general: 孙建国, 周丽), H4 (registered, returned, income 3100 < 4200: 吴长林 seriously
 * ill, 郑玉兰, 吴刚). */
static void write_mini_departments(const char *dept)
{
    tu_write(dept, "payroll.csv",
             "单位名称,姓名,身份证号,人员类别,人员状态\n"
             "县教育局,王大山,340123197003150013,事业编制,在职\n"
             "县医院,孙建国,340123198008080071,事业编制,在职\n"
             "镇政府,吴刚,340123199207070110,公务员,离职\n");
    tu_write(dept, "vehicles.csv",
             "号牌号码,车辆类型,所有人,身份证明号码,初次登记日期,车辆价值(元),机动车状态\n"
             "皖A10001,三轮汽车,吴刚,340123199207070110,2015-01-01,50000,正常\n"
             "皖A10002,小型轿车,吴长林,340123196505050093,2016-01-01,50001,正常\n"
             "皖A10003,小型轿车,王大山,'340123197003150013,2012-01-01,120000,注销\n"
             "皖A10004,小型轿车,李秀英, 34012319720611002x ,2018-01-01,80000,正常\n"
             "皖A10005,小型轿车,某人,3.40123E+17,2018-01-01,90000,正常\n");
    tu_write(dept, "civil_allowance.csv",
             "序号,姓名,身份证号码,与户主关系,保障类型,月保障金额,保障起始日期,保障状态\n"
             "1,孙建国,340123198008080071,户主,农村低保,300,2018-01-01,在保\n"
             "2,陈某某,340123199001011238,户主,农村低保,300,2018-01-01,在保\n"
             "3,赵老汉,340123195001010050,户主,农村低保,300,2016-01-01,在保\n"
             "4,吴刚,340123199207070110,户主,城市低保,300,2016-01-01,在保\n"
             "2,陈某某,340123199001011238,户主,农村低保,300,2018-01-01,在保\n");
    tu_write(dept, "civil_hardship.csv", "姓名,身份证号,人员类别,供养方式,供养起始日期,人员状态\n");
    tu_write(dept, "school_roll.csv",
             "学籍号,学生姓名,身份证件号,学校名称,学段,年级,学籍状态\n"
             "G1,王小明,340123201009040033,东山小学,小学,四年级,辍学\n");
    /* no_illness_insurance — seed 004: "家庭成员是否都参加基本医保和大病保险?"; seed 001:
     * "没有基本医疗保障的……贫困户,一律不得退出". 赵老汉 is insured without 大病保险 (flagged),
     * 孙建国 too but his household is general (not flagged); 郑玉兰's only row has a mistyped
     * check character (…0001 for …0009): both insurance rules flag her, and explain shows the
     * row as a near miss whose first 17 digits are hers. */
    tu_write(dept, "medical_insurance.csv",
             "个人编号,姓名,公民身份号码,参保险种,参保状态,大病保险,参保年度\n"
             "1,王大山,340123197003150013,城乡居民,正常参保,已参保,2019\n"
             "1,王大山,340123197003150013,城乡居民,正常参保,已参保,2019\n"
             "2,李秀英,34012319720611002X,城乡居民,正常参保,已参保,2019\n"
             "3,王小明,340123201009040033,城乡居民,正常参保,已参保,2019\n"
             "4,赵老汉,340123195001010050,城乡居民,正常参保,未参保,2019\n"
             "5,钱桂花,340123195302020068,城乡居民,终止参保,未参保,2019\n"
             "6,孙建国,340123198008080071,城乡居民,正常参保,未参保,2019\n"
             "7,吴长林,340123196505050093,城乡居民,正常参保,已参保,2019\n"
             "8,郑玉兰,340123196806060001,城乡居民,正常参保,已参保,2019\n"
             "9,吴刚,340123199207070110,城乡居民,正常参保,已参保,2019\n");
    /* registered_unsafe_house — seed 001 (湖南, the eight no-exit cases): "没有安全住房保障的
     * ……贫困户,一律不得退出". H1 (registered) in a C-grade house not renovated: flagged; H4's
     * D-grade house is renovated (已改造) and H3's is B-grade: not. */
    tu_write(dept, "unsafe_housing.csv",
             "户主姓名,户主身份证号,鉴定等级,鉴定日期,改造状态\n"
             "王大山,340123197003150013,C级,2018-05-01,未改造\n"
             "吴长林,340123196505050093,D级,2017-05-01,已改造\n"
             "孙建国,340123198008080071,B级,2018-05-01,未改造\n");
    /* missed_disaster — seed 001: "对符合条件的低保户、残疾人户、重灾户、移民户、大病重病户等
     * 几类人群按照标准和程序应纳尽纳". Hard hit (重灾), rural, within a year of the reference
     * date (2018-12-31 counts, 2018-12-30 does not); a registered household, a 一般 degree and
     * an urban (城镇) household are not flagged. */
    tu_write(dept, "disaster_households.csv",
             "户主姓名,户主身份证号,灾害类型,受灾日期,受灾程度,户籍性质,救助状态\n"
             "孙建国,340123198008080071,洪涝,2018-12-31,重灾,农村,已救助\n"
             "吴刚,340123199207070110,洪涝,2019-06-01,重灾,农村,已救助\n"
             "甲某,340123196001011015,风雹,2019-07-01,重灾,农村,救助中\n"
             "乙某,340123196102021028,风雹,2019-07-01,一般,农村,救助中\n"
             "丙某,340123196203031030,风雹,2019-07-01,重灾,城镇,救助中\n"
             "丁某,340123196304041043,干旱,2018-12-30,重灾,农村,已救助\n");
    /* missed_resettled — the same sentence of seed 001 (移民户): a rural reservoir resettler on
     * post-relocation support (扶持中) outside registered households; not a registered one, an
     * urban resettler (城(集)镇移民) or one whose support ended (已核减). */
    tu_write(dept, "reservoir_resettlers.csv",
             "姓名,身份证号,移民类别,水库名称,搬迁年份,扶持状态\n"
             "周丽,340123198209090081,农村移民,东江水库,1986,扶持中\n"
             "郑玉兰,340123196806060009,农村移民,东江水库,1986,扶持中\n"
             "戊某,340123196405051056,城(集)镇移民,东江水库,1986,扶持中\n"
             "己某,340123196506061069,农村移民,东江水库,1986,已核减\n");
    tu_write(dept, "disabled_persons.csv",
             "姓名,性别,身份证号,残疾人证号,残疾类别,残疾等级,户口性质,证件状态\n"
             "赵老汉,男,340123195001010050,3401231950010100501,肢体残疾,二级,农业户口,过期\n");
    tu_write(dept, "serious_illness.csv",
             "患者姓名,身份证号,户籍性质,病种,确诊日期,救治状态\n"
             "周丽,340123198209090081,农村,尿毒症,2017-12-31,救治中\n"
             "吴长林,340123196505050093,农村,恶性肿瘤,2019-03-01,已救治\n"
             "孙建国,340123198008080071,农村,白血病,2017-12-30,已救治\n");
    tu_write(dept, "notes.txt", "not a department file\n");
}

static const char *const mini_expected[] = {
    "allowance_not_received,3401231012020002,",
    "disability_no_certificate,3401231012010002,340123195001010050",
    "missed_allowance,,340123199001011238",
    "missed_allowance,3401231012020001,",
    "missed_disaster,,340123196001011015",
    "missed_disaster,3401231012020001,",
    "missed_illness,3401231012020001,",
    "missed_resettled,3401231012020001,",
    "no_illness_insurance,3401231012010002,340123195001010050",
    "no_illness_insurance,3401231012010002,340123195302020068",
    "no_illness_insurance,3401231012020002,340123196806060009",
    "no_medical_insurance,3401231012010002,340123195302020068",
    "no_medical_insurance,3401231012020002,340123196806060009",
    "payroll,3401231012010001,340123197003150013",
    "registered_unsafe_house,3401231012010001,",
    "school_dropout,3401231012010001,340123201009040033",
    "vehicle,3401231012010001,34012319720611002X",
    "vehicle,3401231012020002,340123196505050093",
};
#define NEXPECTED (sizeof mini_expected / sizeof mini_expected[0])

struct mini {
    char *dir;
    char reg[1024], dept[1024], db[1024], csv[1024];
    struct store *s;
    struct compare_rules *r;
};

static void mini_setup(struct mini *m)
{
    struct error e;
    memset(m, 0, sizeof *m);
    m->dir = tu_tmpdir();
    snprintf(m->reg, sizeof m->reg, "%s/reg", m->dir);
    snprintf(m->dept, sizeof m->dept, "%s/dept", m->dir);
    snprintf(m->csv, sizeof m->csv, "%s/flags.csv", m->dir);
    mkdir(m->reg, 0777);
    mkdir(m->dept, 0777);
    for (size_t i = 0; i < sizeof mini_files / sizeof mini_files[0]; i++)
        copy_file(MINI, mini_files[i], m->reg);
    write_mini_departments(m->dept);
    m->s = import_dir(m->dir, m->reg, m->db, sizeof m->db);
    assert_int_equal(compare_rules_load(RULES, &m->r, NULL, &e), 0);
}

static void mini_teardown(struct mini *m)
{
    compare_rules_free(m->r);
    store_close(m->s);
    tu_rmrf(m->dir);
    free(m->dir);
}

static const struct compare_file_stats *file_stats(const struct compare_result *res,
                                                   const char *name)
{
    for (size_t i = 0; i < res->nfiles; i++)
        if (!strcmp(res->files[i].name, name)) return &res->files[i];
    fail_msg("no file %s", name);
    return NULL;
}

static const struct compare_rule_stats *rule_stats(const struct compare_result *res, const char *id)
{
    for (size_t i = 0; i < res->nrules; i++)
        if (!strcmp(res->rules[i].id, id)) return &res->rules[i];
    fail_msg("no rule %s", id);
    return NULL;
}

static void test_mini_flags(void **state)
{
    struct mini m;
    struct compare_opts o;
    struct compare_result res;
    struct error e;
    const struct compare_file_stats *fs;
    char **got;
    size_t n;
    char *text;
    (void)state;
    mini_setup(&m);
    memset(&o, 0, sizeof o);
    o.threads = 1;
    o.today = 20261101;
    o.csv_path = m.csv;
    if (compare_run(m.s, m.r, m.dept, &o, &res, &e)) fail_msg("compare: %s", e.msg);

    got = read_triples(m.csv, 1, 8, 10, &n);
    for (size_t i = 0; i < n && i < NEXPECTED; i++) assert_string_equal(got[i], mini_expected[i]);
    assert_int_equal(n, NEXPECTED);
    free_triples(got, n);

    assert_int_equal(res.flags, (int64_t)NEXPECTED);
    assert_int_equal(res.members, 10);
    assert_int_equal(res.households, 4);
    fs = file_stats(&res, "vehicles.csv");
    assert_int_equal(fs->rows, 5);
    assert_int_equal(fs->invalid, 1);
    assert_int_equal(fs->by_problem[IDS_EXCEL_SCI], 1);
    assert_int_equal(fs->nbad, 1);
    assert_int_equal(fs->bad[0].line, 6);
    fs = file_stats(&res, "civil_allowance.csv");
    assert_int_equal(fs->in_registry, 3);
    fs = file_stats(&res, "medical_insurance.csv");
    assert_int_equal(fs->invalid, 1);
    assert_int_equal(fs->by_problem[IDS_CHECK], 1);
    assert_false(file_stats(&res, "consumption.csv")->present);
    assert_false(rule_stats(&res, "consumption")->applied);
    assert_true(rule_stats(&res, "missed_hardship")->applied);
    assert_int_equal(rule_stats(&res, "missed_allowance")->absent, 1);
    assert_int_equal(rule_stats(&res, "vehicle")->households, 2);
    assert_string_equal(res.ignored, "notes.txt");
    assert_true(res.run > 0);

    /* stored through the change log */
    assert_int_equal(count(m.s, "SELECT count(*) FROM compare_flags"), (int64_t)NEXPECTED);
    assert_int_equal(count(m.s, "SELECT count(*) FROM compare_runs"), 1);
    {
        struct audit_report ar;
        assert_int_equal(audit_verify(m.s, &ar, &e), 0);
    }

    /* explain: each record with file and line; IDs and names masked */
    text = explain_text(m.s, "3401231012020001", NULL, 0);
    assert_non_null(strstr(text, "missed_allowance"));
    assert_non_null(strstr(text, "civil_allowance.csv line 2:"));
    assert_non_null(strstr(text, "serious_illness.csv line 2:"));
    assert_null(strstr(text, "serious_illness.csv line 4")); /* a day too early */
    assert_null(strstr(text, "340123198008080071"));
    assert_non_null(strstr(text, "340123********0071"));
    free(text);
    text = explain_text(m.s, "3401231012010001", NULL, 0);
    assert_non_null(strstr(text, "school_roll.csv line 2: 学籍状态=辍学; 学校名称=东山小学"));
    assert_non_null(strstr(text, "payroll.csv line 2: 人员状态=在职; 单位名称=县教育局"));
    /* the department's identifying fields: the plate */
    assert_non_null(strstr(text, "vehicles.csv line 5: 车辆价值(元)=80000; 机动车状态=正常; "
                                 "号牌号码=皖A10004"));
    assert_non_null(strstr(text, "王**"));
    assert_null(strstr(text, "王大山"));
    /* the category the decision read, and the member behind a household flag */
    assert_non_null(strstr(text, "类别 category: 已脱贫户 exited"));
    assert_non_null(strstr(text, "registered_unsafe_house"));
    assert_non_null(strstr(text, "unsafe_housing.csv line 2: 鉴定等级=C级; 改造状态=未改造; "
                                 "鉴定日期=2018-05-01"));
    assert_non_null(strstr(text, "成员 member 王** (户主)"));
    free(text);
    /* income against the county's standard where the rule reads it; a near-miss row whose ID
     * failed its check character */
    text = explain_text(m.s, "3401231012020002", NULL, 0);
    assert_non_null(strstr(text, "类别 category 返贫户 returned (the rule takes: 未脱贫户 "
                                 "unexited, 返贫户 returned); 人均纯收入 income 3100.00 < "
                                 "县低保标准 county allowance standard 4200.00"));
    assert_non_null(strstr(text, "medical_insurance.csv line 10: 参保险种=城乡居民; "
                                 "参保状态=正常参保; 大病保险=已参保   [证件号校验失败"));
    assert_null(strstr(text, "340123196806060001"));
    free(text);
    {
        char *csv = tu_read(m.dir, "flags.csv");
        assert_non_null(strstr(csv, "medical_insurance.csv:10 (ID invalid)"));
        free(csv);
    }
    /* --unmasked: names and IDs in full, and the change log records who asked */
    {
        int64_t notes = count(m.s, "SELECT count(*) FROM audit_log WHERE action = 'compare "
                                   "explain'");
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        assert_int_equal(compare_explain(m.s, "3401231012020002", NULL, 0, 1, f, &e), 0);
        fclose(f);
        assert_non_null(strstr(buf, "340123196806060009 郑玉兰"));
        assert_non_null(strstr(buf, "--unmasked, logged for"));
        free(buf);
        assert_int_equal(count(m.s, "SELECT count(*) FROM audit_log WHERE action = 'compare "
                                    "explain' AND detail LIKE '%3401231012020002%' AND "
                                    "detail LIKE '%\"unmasked\":true%'"),
                         notes + 1);
    }
    text = explain_text(m.s, "3401231012020001", NULL, 0);
    assert_non_null(strstr(text, "disaster_households.csv line 2: 受灾程度=重灾; 户籍性质=农村; "
                                 "受灾日期=2018-12-31; 灾害类型=洪涝"));
    assert_non_null(strstr(text, "reservoir_resettlers.csv line 2"));
    assert_non_null(strstr(text, "成员 member 周* (配偶)"));
    free(text);
    text = explain_text(m.s, NULL, "340123199001011238", 0);
    assert_non_null(strstr(text, "civil_allowance.csv line 3"));
    assert_non_null(strstr(text, "civil_allowance.csv line 6"));
    assert_non_null(strstr(text, "陈**"));
    free(text);
    text = explain_text(m.s, "3401231012010009", NULL, ERR_NOTFOUND);
    free(text);

    compare_result_release(&res);
    mini_teardown(&m);
}

/* A broken department file: the run fails naming it, and nothing is written. */
static void expect_file_error(struct mini *m, const char *file, const char *content, size_t len,
                              const char *want)
{
    struct compare_opts o;
    struct compare_result res;
    struct error e;
    char path[1100];
    char *saved = tu_read(m->dept, file);
    int64_t log_before = count(m->s, "SELECT count(*) FROM audit_log");
    FILE *f;
    int rc;
    snprintf(path, sizeof path, "%s/%s", m->dept, file);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    fclose(f);
    memset(&o, 0, sizeof o);
    o.threads = 2;
    o.today = 20261101;
    o.csv_path = m->csv;
    unlink(m->csv);
    rc = compare_run(m->s, m->r, m->dept, &o, &res, &e);
    assert_true(rc == ERR_INVALID || rc == ERR_PARSE);
    if (!strstr(e.file, file) && !strstr(e.msg, file))
        fail_msg("'%s' does not name %s", e.msg, file);
    if (!strstr(e.msg, want)) fail_msg("'%s' does not say '%s'", e.msg, want);
    assert_int_equal(count(m->s, "SELECT count(*) FROM audit_log"), log_before);
    assert_int_equal(access(m->csv, F_OK), -1);
    tu_write(m->dept, file, saved);
    free(saved);
}

static void test_bad_files(void **state)
{
    struct mini m;
    static const char gb_bad[] = "\xd0\xd5\xc3\xfb,\xff\xff\xff\n"; /* 0xFF: in no encoding */
    static const char bad_header[] = "单位名称,姓名,证件号,人员类别,人员状态\n县局,王大山,"
                                     "340123197003150013,公务员,在职\n";
    static const char no_value[] = "号牌号码,车辆类型,所有人,身份证明号码,初次登记日期,车辆估值,"
                                   "机动车状态\n";
    static const char data_first[] = "县局,王大山,340123197003150013,公务员,在职\n";
    (void)state;
    mini_setup(&m);
    expect_file_error(&m, "payroll.csv", bad_header, strlen(bad_header),
                      "unknown mapped column: the header has no 身份证号");
    expect_file_error(&m, "vehicles.csv", no_value, strlen(no_value),
                      "(the rules file maps column \"value\" of file \"vehicles\" to it)");
    expect_file_error(&m, "payroll.csv", data_first, strlen(data_first),
                      "bad header: the first row is data");
    expect_file_error(&m, "payroll.csv", "", 0, "bad header: the file is empty");
    expect_file_error(&m, "school_roll.csv", gb_bad, sizeof gb_bad - 1,
                      "neither UTF-8 nor GB18030");
    assert_int_equal(count(m.s, "SELECT count(*) FROM audit_log WHERE tbl LIKE 'compare%'"), 0);
    mini_teardown(&m);
}

static void test_alloc_failures(void **state)
{
    struct mini m;
    char *text = tu_read(".", RULES);
    long n;
    (void)state;
    for (n = 1;; n++) {
        struct compare_rules *r = NULL;
        struct error e;
        int rc;
        mem_fail_after(n, 0);
        rc = compare_rules_parse("r.json", text, strlen(text), &r, NULL, &e);
        mem_fail_after(0, 0);
        if (rc == 0) {
            compare_rules_free(r);
            break;
        }
        assert_int_equal(rc, ERR_NOMEM);
        assert_null(r);
    }
    assert_true(n > 3);
    free(text);

    mini_setup(&m);
    for (n = 1;; n++) {
        struct compare_opts o;
        struct compare_result res;
        struct error e;
        int rc;
        memset(&o, 0, sizeof o);
        o.threads = 1;
        o.today = 20261101;
        o.csv_path = m.csv;
        mem_fail_after(n, 0);
        rc = compare_run(m.s, m.r, m.dept, &o, &res, &e);
        mem_fail_after(0, 0);
        if (rc == 0) {
            compare_result_release(&res);
            break;
        }
        if (rc != ERR_NOMEM && rc != ERR_STORE) fail_msg("allocation %ld: %d %s", n, rc, e.msg);
        assert_int_equal(count(m.s, "SELECT count(*) FROM audit_log WHERE tbl LIKE 'compare%'"), 0);
    }
    assert_true(n > 20);
    assert_int_equal(count(m.s, "SELECT count(*) FROM compare_flags"), (int64_t)NEXPECTED);
    mini_teardown(&m);
}

/* The generator on the mini registry: allocation failures leave nothing behind, output is
 * deterministic, and a registry out of order is refused. */
static void test_synth_departments_mini(void **state)
{
    char *dir = tu_tmpdir();
    char path[1100];
    struct error e;
    char *a, *b;
    long n;
    (void)state;
    for (size_t i = 0; i < sizeof mini_files / sizeof mini_files[0]; i++)
        copy_file(MINI, mini_files[i], dir);
    tu_write(dir, "truth.csv",
             "household_id,poor\n3401231012010001,0\n3401231012010002,1\n3401231012020001,0\n"
             "3401231012020002,1\n");
    snprintf(path, sizeof path, "%s/departments-truth.csv", dir);
    for (n = 1;; n++) {
        int rc;
        mem_fail_after(n, 0);
        rc = synth_departments(dir, 3, 2019, &e);
        mem_fail_after(0, 0);
        if (rc == 0) break;
        assert_int_equal(rc, ERR_NOMEM);
        assert_int_equal(access(path, F_OK), -1);
    }
    assert_true(n > 20);
    a = tu_read(dir, "departments/civil_allowance.csv");
    assert_non_null(strstr(a, "序号,姓名,身份证号码"));
    assert_int_equal(synth_departments(dir, 3, 2019, &e), 0);
    b = tu_read(dir, "departments/civil_allowance.csv");
    assert_string_equal(a, b);
    free(a);
    free(b);
    tu_write(dir, "truth.csv", "household_id,income\n3401231012010002,1\n3401231012010001,1\n");
    assert_int_equal(synth_departments(dir, 3, 2019, &e), ERR_INVALID);
    assert_non_null(strstr(e.msg, "truth.csv is not in the order of households.csv"));
    tu_rmrf(dir);
    free(dir);
}

/* ------------------------------------------------------------------ synthetic county */

static void test_synthetic_truth(void **state)
{
    char *dir = tu_tmpdir();
    char dept[1100], truth[1100], csv1[1100], csv2[1100], db[1100];
    struct synth_opts so;
    struct compare_rules *r;
    struct compare_opts o;
    struct compare_result res;
    struct store *s;
    struct error e;
    char **got, **want;
    size_t ngot, nwant, tp = 0, i = 0, k = 0;
    int gb = 0;
    (void)state;
    memset(&so, 0, sizeof so);
    so.out = dir;
    so.seed = 11;
    so.province = 34;
    so.counties = 1;
    so.year = 2019;
    assert_int_equal(synth_province(&so, &e), 0);
    assert_int_equal(synth_departments(dir, 11, 2019, &e), 0);
    snprintf(dept, sizeof dept, "%s/departments", dir);
    snprintf(truth, sizeof truth, "%s/departments-truth.csv", dir);
    snprintf(csv1, sizeof csv1, "%s/flags1.csv", dir);
    snprintf(csv2, sizeof csv2, "%s/flags2.csv", dir);
    s = import_dir(dir, dir, db, sizeof db);
    assert_int_equal(compare_rules_load(RULES, &r, NULL, &e), 0);

    memset(&o, 0, sizeof o);
    o.threads = 2;
    o.today = 20261101;
    o.db_url = db;
    o.csv_path = csv2;
    if (compare_run(s, r, dept, &o, &res, &e)) fail_msg("compare: %s", e.msg);

    /* precision and recall against the truth */
    got = read_triples(csv2, 1, 8, 10, &ngot);
    want = read_triples(truth, 0, 1, 2, &nwant);
    while (i < ngot && k < nwant) {
        int c = strcmp(got[i], want[k]);
        if (!c)
            tp++, i++, k++;
        else if (c < 0)
            print_error("false positive: %s\n", got[i++]);
        else
            print_error("missed: %s\n", want[k++]);
    }
    assert_true(nwant > 1000);
    assert_int_equal(tp, ngot);  /* precision 100% */
    assert_int_equal(tp, nwant); /* recall 100% */
    free_triples(got, ngot);
    free_triples(want, nwant);
    for (size_t q = 0; q < res.nrules; q++)
        if (res.rules[q].flags == 0) fail_msg("rule %s raised no flag", res.rules[q].id);

    /* invalid IDs per file: recounted independently */
    for (size_t f = 0; f < res.nfiles; f++) {
        struct csv *c;
        char path[1300];
        int64_t invalid = 0, rows = 0;
        int idcol = -1, rc;
        snprintf(path, sizeof path, "%s/%s", dept, res.files[f].name);
        assert_int_equal(csv_open(path, &c, &e), 0);
        gb += csv_encoding_of(c) == CSV_GB18030;
        assert_int_equal(csv_next(c, &e), 1);
        for (size_t q = 0; q < csv_nfields(c); q++) {
            const char *h = csv_field(c, q);
            if (strstr(h, "身份证") || strstr(h, "证件号码") || !strcmp(h, "公民身份号码") ||
                !strcmp(h, "身份证明号码"))
                idcol = (int)q;
        }
        assert_true(idcol >= 0);
        while ((rc = csv_next(c, &e)) == 1) {
            struct rid rid;
            rows++;
            invalid += ids_parse(csv_field(c, (size_t)idcol), csv_field_len(c, (size_t)idcol),
                                 20261101, &rid, NULL, 0) != IDS_OK;
        }
        assert_int_equal(rc, 0);
        csv_close(c);
        assert_int_equal(res.files[f].rows, rows);
        assert_int_equal(res.files[f].invalid, invalid);
    }
    assert_int_equal(gb, 2);
    assert_true(file_stats(&res, "vehicles.csv")->by_problem[IDS_EXCEL_SCI] > 0);
    assert_true(file_stats(&res, "consumption.csv")->by_problem[IDS_EXCEL_ZEROS] > 0);
    assert_true(file_stats(&res, "medical_insurance.csv")->by_problem[IDS_CHECK] > 0);
    compare_result_release(&res);

    /* one thread, no store: the same bytes */
    o.threads = 1;
    o.db_url = NULL;
    o.no_store = 1;
    o.csv_path = csv1;
    assert_int_equal(compare_run(s, r, dept, &o, &res, &e), 0);
    compare_result_release(&res);
    {
        char *a = tu_read(dir, "flags1.csv"), *b = tu_read(dir, "flags2.csv");
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    assert_int_equal(count(s, "SELECT count(*) FROM compare_runs"), 1);

    compare_rules_free(r);
    store_close(s);
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_shipped),
        cmocka_unit_test(test_rules_errors),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_mini_flags),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_synth_departments_mini),
        cmocka_unit_test(test_synthetic_truth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
