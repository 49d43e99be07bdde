/*
 * departments.c — synthetic department files for the comparison (synth.h,
 * synth_departments; docs/compare.md §Synthetic departments).
 *
 * Input: the synthetic registry `pinggu synth` wrote (counties.csv, households.csv,
 * members.csv, truth.csv), streamed in lockstep — households.csv and truth.csv row by row,
 * members.csv grouped by household, all in the same order. (truth.csv needs only
 * household_id; without its `poor` and four-kinds columns the generator draws the four kinds
 * itself, in 1.5% of registered households.) Output: DIR/departments/ with
 * the fourteen files rules/compare.json maps, and DIR/departments-truth.csv: every flag the
 * shipped rules must raise, and no other.
 *
 * How the truth is made. For each household the generator decides, from its own random
 * stream (seed, 'D', household number), which department records exist for its members —
 * mostly what the registry says (an allowance household is on the allowance roll, an insured
 * member in the medical roll, a child in school in the school roll), plus injected anomalies
 * at known rates (registered members on the payroll, with good cars, commercial housing,
 * businesses — exactly the households truth.csv marks with the four kinds —, studying
 * abroad, with high consumption, named in verified reports), plus near misses that must NOT
 * be flagged (a cheap tricycle, a car of exactly 50,000 yuan, a sold flat, a dissolved
 * company, a report found untrue, an illness diagnosed too long ago, a stopped allowance).
 * Every record is written with realistic noise on its ID cell (lowercase x, an apostrophe,
 * spaces, full-width digits, a legacy 15-digit ID: all still valid; a wrong check digit,
 * Excel's scientific notation or its trailing 000: invalid, the record is lost) and some
 * records twice. The truth is then decided from the records *as written*: a record counts
 * only if its cell normalises (ids_parse) to the person's ID, so a lost record of a child's
 * school enrolment really does make the child look out of school — that is what the
 * comparison must find, and the invalid-ID lists explain it.
 *
 * The conditions checked here mirror rules/compare.json as shipped (thresholds: vehicle
 * value > 50,000 yuan, consumption > 100,000 yuan, study abroad within 5 years, illness
 * within 2 years of the reference date, compulsory age 6–15): change one and the truth no
 * longer applies.
 *
 * Persons outside the roster: per county, "absent" rural persons (region = the county's
 * code, an ID that no member has) on the allowance, hardship, disability, illness and
 * unsafe-house rolls — possible missed households — and urban residents (region = a city
 * district code that is no county of the registry) in most files, never flagged because the
 * rules ask for rural allowance, rural hukou, and so on.
 *
 * Invariants: deterministic for (registry, seed, year); memory bounded by one county (the
 * IDs of its members, for the uniqueness of absent persons) plus fixed buffers; every file
 * is written as .NAME.tmp and renamed only when all are complete.
 */
#include "synth.h"
#include "../registry/registry.h" /* registry_files: the column names of the files read */
/* compare's private header, for three things only: cmp_date_shift (the engine's date
 * arithmetic, so "within 2 years" means here what the rules mean) and the HH_CAT_* and
 * HEALTH_* codes. synth depends on compare, never the other way round. */
#include "../compare/compare_int.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ random numbers */

/* base.h's splitmix64; the salt keeps these streams apart from the registry generator's. */
static void rng_init(struct rng *r, uint64_t seed, uint64_t stream, uint64_t index)
{
    rng_stream(r, seed + 0x2545f4914f6cdd1dULL, stream, index);
}

/* ------------------------------------------------------------------ files */

enum {
    D_ALLOWANCE,
    D_HARDSHIP,
    D_MEDICAL,
    D_SCHOOL,
    D_DISABLED,
    D_ILLNESS,
    D_UNSAFE,
    D_HOUSING,
    D_VEHICLES,
    D_PAYROLL,
    D_BUSINESS,
    D_ABROAD,
    D_CONSUMPTION,
    D_REPORTS,
    D_DISASTER,
    D_RESETTLE,
    D_TRUTH,
    D_N
};

static const struct {
    const char *name;
    const char *header;
    int gb18030; /* written in GB18030, as Chinese Excel saves CSV */
    int excel;   /* passed through Excel: scientific notation and trailing 000 happen */
    int legacy;  /* some old 15-digit IDs */
    int dup;     /* per mille of records written twice */
} dfiles[D_N] = {
    {"civil_allowance.csv",
     "序号,姓名,身份证号码,与户主关系,保障类型,月保障金额,保障起始日期,保障状态,所属区县", 0, 0, 0,
     3},
    {"civil_hardship.csv", "姓名,身份证号,人员类别,供养方式,供养起始日期,人员状态", 1, 0, 0, 0},
    {"medical_insurance.csv", "个人编号,姓名,公民身份号码,参保险种,参保状态,大病保险,参保年度", 0, 0,
     0, 5},
    {"school_roll.csv", "学籍号,学生姓名,身份证件号,学校名称,学段,年级,学籍状态", 0, 0, 0, 3},
    {"disabled_persons.csv", "姓名,性别,身份证号,残疾人证号,残疾类别,残疾等级,户口性质,证件状态", 0,
     0, 0, 2},
    {"serious_illness.csv", "患者姓名,身份证号,户籍性质,病种,确诊日期,救治状态", 0, 0, 0, 2},
    {"unsafe_housing.csv", "户主姓名,户主身份证号,鉴定等级,鉴定日期,改造状态", 0, 0, 0, 0},
    {"housing_property.csv", "权利人,证件号码,坐落,房屋性质,规划用途,建筑面积,登记日期,登记状态", 0,
     0, 1, 2},
    {"vehicles.csv", "号牌号码,车辆类型,所有人,身份证明号码,初次登记日期,车辆价值(元),机动车状态",
     0, 1, 0, 0},
    {"payroll.csv", "单位名称,姓名,身份证号,人员类别,人员状态", 0, 0, 1, 0},
    {"business_registry.csv",
     "企业名称,统一社会信用代码,姓名,证件号码,人员类型,认缴出资额(万元),登记状态", 0, 0, 0, 0},
    {"study_abroad.csv", "姓名,身份证号,留学国家(地区),出境日期,留学状态", 0, 0, 0, 0},
    {"consumption.csv", "姓名,身份证号,统计年度,年度消费金额(元)", 0, 1, 0, 3},
    {"verified_reports.csv", "被举报人姓名,被举报人身份证号,举报事项,核查结论,办结日期", 1, 0, 0,
     0},
    {"disaster_households.csv", "户主姓名,户主身份证号,灾害类型,受灾日期,受灾程度,户籍性质,救助状态",
     0, 0, 0, 2},
    {"reservoir_resettlers.csv", "姓名,身份证号,移民类别,水库名称,搬迁年份,扶持状态", 0, 0, 1, 2},
    {"departments-truth.csv", "rule,household_id,resident_id,county", 0, 0, 0, 0},
};

/* Rules of rules/compare.json, for the truth. */
enum {
    R_PAYROLL,
    R_VEHICLE,
    R_HOUSING,
    R_BUSINESS,
    R_ABROAD,
    R_CONSUMPTION,
    R_REPORT,
    R_M_ALLOWANCE,
    R_M_HARDSHIP,
    R_M_DISABLED,
    R_M_ILLNESS,
    R_M_UNSAFE,
    R_SCHOOL,
    R_MEDICAL,
    R_DISCERT,
    R_ALLOWANCE_NR,
    R_REG_UNSAFE,
    R_ILLNESS_INS,
    R_M_DISASTER,
    R_M_RESETTLED,
    R_N
};
static const char *const rule_ids[R_N] = {"payroll",
                                          "vehicle",
                                          "commercial_housing",
                                          "business",
                                          "study_abroad",
                                          "consumption",
                                          "verified_report",
                                          "missed_allowance",
                                          "missed_hardship",
                                          "missed_disabled",
                                          "missed_illness",
                                          "missed_unsafe_house",
                                          "school_dropout",
                                          "no_medical_insurance",
                                          "disability_no_certificate",
                                          "allowance_not_received",
                                          "registered_unsafe_house",
                                          "no_illness_insurance",
                                          "missed_disaster",
                                          "missed_resettled"};
#define B(r)     (1u << (r))
#define RECEIVED B(R_ALLOWANCE_NR) /* household: a valid allowance or hardship record */

/* Thresholds of rules/compare.json as shipped. */
#define VEHICLE_MIN     50000  /* value > */
#define CONSUMPTION_MIN 100000 /* amount > */

#define OUTBUF (1 << 20)
#define ROWMAX 4096

struct out {
    FILE *f;
    char *buf; /* OUTBUF bytes */
    size_t len;
    char *conv; /* GB18030 files: the converted buffer */
    iconv_t cd;
    char *tmp, *fin;
    int err;
    size_t row_start;
    int64_t serial;
};

static void out_flush(struct out *o)
{
    if (o->len && !o->err) {
        const char *p = o->buf;
        size_t n = o->len;
        if (o->conv) {
            char *in = o->buf, *outp = o->conv;
            size_t inleft = o->len, outleft = OUTBUF;
            if (iconv(o->cd, &in, &inleft, &outp, &outleft) == (size_t)-1) o->err = EILSEQ;
            p = o->conv;
            n = (size_t)(outp - o->conv);
        }
        if (!o->err && fwrite(p, 1, n, o->f) != n) o->err = errno ? errno : EIO;
    }
    o->len = 0;
}

static void out_row(struct out *o)
{
    if (o->len > OUTBUF - 2 * ROWMAX) out_flush(o);
    o->row_start = o->len;
}

static void out_mem(struct out *o, const char *s, size_t n)
{
    if (n > ROWMAX / 4) n = ROWMAX / 4;
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void out_str(struct out *o, const char *s)
{
    out_mem(o, s, strlen(s));
}

static void out_ch(struct out *o, char c)
{
    o->buf[o->len++] = c;
}

static void out_u64(struct out *o, uint64_t v)
{
    char t[24];
    int n = 0;
    do t[n++] = (char)('0' + v % 10), v /= 10;
    while (v);
    while (n) o->buf[o->len++] = t[--n];
}

static void out_date(struct out *o, int d)
{
    char t[11];
    t[0] = (char)('0' + d / 10000000 % 10), t[1] = (char)('0' + d / 1000000 % 10);
    t[2] = (char)('0' + d / 100000 % 10), t[3] = (char)('0' + d / 10000 % 10);
    t[4] = '-';
    t[5] = (char)('0' + d / 1000 % 10), t[6] = (char)('0' + d / 100 % 10);
    t[7] = '-';
    t[8] = (char)('0' + d / 10 % 10), t[9] = (char)('0' + d % 10);
    out_mem(o, t, 10);
}

/* Ends the row; writes it a second time with probability dup per mille. */
static void out_end(struct out *o, struct rng *r, int dup)
{
    out_ch(o, '\n');
    if (dup && rng_int(r, 1, 1000) <= dup) {
        size_t n = o->len - o->row_start;
        memcpy(o->buf + o->len, o->buf + o->row_start, n);
        o->len += n;
    }
}

/* ------------------------------------------------------------------ registry rows */

#define MAXM 64

struct member {
    char id[19];
    uint64_t key;
    char name[64];
    const char *rel_zh; /* static */
    int rel_head;
    int age, birth, sex;
    int health; /* HEALTH_* */
    int in_school;
    char edu[16];
    int med, cert;
    unsigned hit; /* rules satisfied by this member's valid records */
};

struct household {
    char id[48];
    int64_t village;
    int county;
    int registered, cat, exited, returned;
    int allowance, hardship, unsafe, relocated;
    int has_income;
    double income;
    int poor, four[4]; /* truth: payroll, vehicle, commercial housing, business */
    int four_known;    /* truth.csv has the four columns; else drawn here */
    int n;
    struct member m[MAXM];
    unsigned hit;
};

struct county_info {
    int code;
    double standard;
    char name[64];
};

struct gen {
    const char *dir;
    uint64_t seed;
    int ref, year;
    int province;
    struct out out[D_N];
    struct csv *hh_csv, *mem_csv, *truth_csv;
    int hcol[16], mcol[16], tcol[8];
    struct county_info *counties; /* owned */
    size_t ncounties;
    int urban_region[3];
    /* the current county */
    int county, county_index;
    int64_t county_members;
    struct u64map county_ids; /* members and extra persons of the county */
    int done_counties[4096];
    size_t ndone;
    /* pending member row (read ahead) */
    int pending;
    char pend_hid[48];
    struct member pend;
    int64_t household_no;
    struct household h;
};

static const struct county_info *county_of(const struct gen *g, int code)
{
    for (size_t i = 0; i < g->ncounties; i++)
        if (g->counties[i].code == code) return &g->counties[i];
    return NULL;
}

static const char *field(struct csv *c, const int *cols, int k)
{
    return cols[k] >= 0 ? csv_field(c, (size_t)cols[k]) : "";
}

static int map_cols(struct csv *c, const char *file, const char *const *names, size_t n, int *cols,
                    int nrequired, struct error *e)
{
    struct csv_column cc[16];
    const struct file_spec *fs = NULL;
    for (size_t f = 0; f < registry_nfiles; f++)
        if (!strcmp(registry_files[f].file, file)) fs = &registry_files[f];
    for (size_t k = 0; k < n; k++) {
        cc[k].name = names[k];
        cc[k].aliases = NULL;
        cc[k].required = (int)k < nrequired;
        for (size_t q = 0; fs && q < fs->ncols; q++)
            if (!strcmp(fs->cols[q].name, names[k])) cc[k].aliases = fs->cols[q].aliases;
    }
    return csv_map_header(c, cc, n, cols, NULL, e);
}

static const char *const hh_names[] = {"household_id", "village",   "registered", "exit_year",
                                       "returned",     "allowance", "hardship",   "unsafe_house",
                                       "relocated",    "income"};
static const char *const mem_names[] = {"resident_id", "household_id",      "name",
                                        "relation",    "education",         "in_school",
                                        "health",      "medical_insurance", "disability_cert"};
static const char *const truth_names[] = {"household_id",       "poor",    "payroll", "vehicle",
                                          "commercial_housing", "business"};

static int read_member(struct gen *g, struct error *e)
{
    struct csv *c = g->mem_csv;
    struct member *m = &g->pend;
    struct rid rid;
    const char *rel;
    int rc = csv_next(c, e);
    if (rc <= 0) {
        g->pending = 0;
        return rc;
    }
    memset(m, 0, sizeof *m);
    if (ids_parse(field(c, g->mcol, 0), strlen(field(c, g->mcol, 0)), 0, &rid, NULL, 0) != IDS_OK)
        return error_at(e, ERR_INVALID, csv_name(c), csv_line(c), 1,
                        "invalid resident ID: the generator needs a registry that imports");
    memcpy(m->id, rid.s, 19);
    m->key = rid.key;
    m->birth = rid.birth;
    m->sex = rid.sex;
    m->age = date_age(rid.birth, g->ref);
    snprintf(g->pend_hid, sizeof g->pend_hid, "%s", field(c, g->mcol, 1));
    snprintf(m->name, sizeof m->name, "%s", field(c, g->mcol, 2));
    rel = code_parse(codes_relation, field(c, g->mcol, 3), strlen(field(c, g->mcol, 3)));
    m->rel_zh = rel ? code_zh(codes_relation, rel) : "其他";
    m->rel_head = rel && !strcmp(rel, "head");
    snprintf(m->edu, sizeof m->edu, "%s", field(c, g->mcol, 4));
    m->in_school = parse_bool(field(c, g->mcol, 5)) == 1;
    switch (field(c, g->mcol, 6)[0]) {
    case 'c':
        m->health = HEALTH_CHRONIC;
        break;
    case 's':
        m->health = HEALTH_SERIOUS;
        break;
    case 'd':
        m->health = HEALTH_DISABLED;
        break;
    default:
        m->health = HEALTH_HEALTHY;
    }
    m->med = parse_bool(field(c, g->mcol, 7)) == 1;
    m->cert = atoi(field(c, g->mcol, 8));
    g->pending = 1;
    return 1;
}

/* Reads the next household with its truth and members: 1, 0 at the end, or an error. */
static int read_household(struct gen *g, struct error *e)
{
    struct household *h = &g->h;
    struct csv *c = g->hh_csv, *t = g->truth_csv;
    const char *s;
    int rc = csv_next(c, e);
    if (rc <= 0) return rc;
    memset(h, 0, sizeof *h);
    snprintf(h->id, sizeof h->id, "%s", field(c, g->hcol, 0));
    h->village = atoll(field(c, g->hcol, 1));
    h->county = (int)(h->village / 1000000);
    h->registered = parse_bool(field(c, g->hcol, 2)) == 1;
    s = field(c, g->hcol, 3);
    h->exited = s[0] != '\0';
    h->returned = parse_bool(field(c, g->hcol, 4)) == 1;
    h->cat = !h->registered ? HH_CAT_GENERAL
             : h->returned  ? HH_CAT_RETURNED
             : h->exited    ? HH_CAT_EXITED
                            : HH_CAT_UNEXITED;
    h->allowance = parse_bool(field(c, g->hcol, 5)) == 1;
    h->hardship = parse_bool(field(c, g->hcol, 6)) == 1;
    h->unsafe = parse_bool(field(c, g->hcol, 7)) == 1;
    h->relocated = parse_bool(field(c, g->hcol, 8)) == 1;
    h->has_income = parse_double(field(c, g->hcol, 9), &h->income) == 0;
    rc = csv_next(t, e);
    if (rc < 0) return rc;
    if (rc == 0 || strcmp(field(t, g->tcol, 0), h->id))
        return error_at(e, ERR_INVALID, csv_name(t), csv_line(t), 1,
                        "truth.csv is not in the order of households.csv (expected %s)", h->id);
    h->poor = parse_bool(field(t, g->tcol, 1)) == 1;
    for (int k = 0; k < 4; k++) h->four[k] = parse_bool(field(t, g->tcol, 2 + k)) == 1;
    h->four_known = g->tcol[2] >= 0 && g->tcol[3] >= 0 && g->tcol[4] >= 0 && g->tcol[5] >= 0;
    while (g->pending && !strcmp(g->pend_hid, h->id)) {
        if (h->n == MAXM)
            return error_at(e, ERR_INVALID, csv_name(g->mem_csv), csv_line(g->mem_csv), 2,
                            "more than %d members in household %s", MAXM, h->id);
        h->m[h->n++] = g->pend;
        rc = read_member(g, e);
        if (rc < 0) return rc;
    }
    if (!h->n)
        return error_at(e, ERR_INVALID, csv_name(g->mem_csv), csv_line(g->mem_csv), 2,
                        "members.csv is not grouped in the order of households.csv (no member "
                        "for %s here)",
                        h->id);
    return 1;
}

/* ------------------------------------------------------------------ ID cells */

/* Writes the ID cell of a record, with the file's noise; returns 1 if the cell normalises
 * to the person's ID (the record counts), 0 if it is invalid (the record is lost). */
static int out_id(struct gen *g, struct out *o, int file, const char *id, uint64_t key,
                  struct rng *r)
{
    char cell[64];
    size_t n = 18;
    int digit_end = id[17] != 'X';
    double u = rng_u(r);
    struct rid rid;
    (void)g;
    memcpy(cell, id, 18);
    cell[18] = '\0';
    if (u < 0.0004) { /* wrong check character */
        char c = cell[17] == '9' ? '1' : cell[17] == 'X' ? '5' : (char)(cell[17] + 1);
        cell[17] = c;
    } else if (dfiles[file].excel && digit_end && u < 0.0012) {
        /* Excel: a number column, shown in scientific notation */
        char t[24];
        memcpy(t, id, 1);
        t[1] = '.';
        memcpy(t + 2, id + 1, 5);
        memcpy(t + 7, "E+17", 5);
        n = strlen(t);
        memcpy(cell, t, n + 1);
    } else if (dfiles[file].excel && digit_end && u >= 0.0012 && u < 0.0020) {
        memcpy(cell + 15, "000", 3); /* Excel kept 15 significant digits */
    } else if (file == D_MEDICAL && u >= 0.0020 && u < 0.0022) {
        n = 0; /* an empty cell */
        cell[0] = '\0';
    } else if (dfiles[file].legacy && u >= 0.0022 && u < 0.0050 && id[6] == '1' && id[7] == '9') {
        memcpy(cell, id, 6); /* an old 15-digit card */
        memcpy(cell + 6, id + 8, 9);
        n = 15;
        cell[15] = '\0';
    } else if (u >= 0.0050 && u < 0.0080) {
        memmove(cell + 1, cell, n + 1); /* Excel's text marker */
        cell[0] = '\'';
        n++;
    } else if (u >= 0.0080 && u < 0.0110) {
        memmove(cell + 1, cell, n + 1);
        cell[0] = ' ';
        cell[n + 1] = ' ';
        cell[n + 2] = '\0';
        n += 2;
    } else if (file == D_ALLOWANCE && u >= 0.0110 && u < 0.0115) {
        /* typed with a Chinese input method: full-width digits */
        size_t w = 0;
        char t[64];
        for (size_t i = 0; i < 18; i++) {
            if (id[i] >= '0' && id[i] <= '9') {
                t[w++] = (char)0xEF, t[w++] = (char)0xBC, t[w++] = (char)(0x90 + id[i] - '0');
            } else {
                t[w++] = id[i];
            }
        }
        memcpy(cell, t, w);
        cell[w] = '\0';
        n = w;
    } else if (!digit_end && u < 0.3) {
        cell[17] = 'x'; /* lowercase x: common, harmless */
    } else {
        out_mem(o, id, 18);
        return 1;
    }
    if (ids_parse(cell, n, 0, &rid, NULL, 0) == IDS_OK) {
        if (rid.key != key) { /* the damage made another valid ID: write the clean one */
            out_mem(o, id, 18);
            return 1;
        }
        out_mem(o, cell, n);
        return 1;
    }
    out_mem(o, cell, n);
    return 0;
}

/* ------------------------------------------------------------------ records */

static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴",
                                       "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林"};
static const char *const givens[] = {"伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋",
                                     "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞"};

static void random_name(struct rng *r, char *out, size_t size)
{
    snprintf(out, size, "%s%s%s", surnames[rng_int(r, 0, 17)], givens[rng_int(r, 0, 17)],
             rng_bern(r, 0.6) ? givens[rng_int(r, 0, 17)] : "");
}

static const char *grade_zh(int g)
{
    static const char *z[] = {"", "一级", "二级", "三级", "四级"};
    return g >= 1 && g <= 4 ? z[g] : "四级";
}

/* A date uniform in [lo, hi] (YYYYMMDD, lo <= hi). */
static int rand_date(struct rng *r, int lo, int hi)
{
    int y0 = lo / 10000, y1 = hi / 10000;
    for (;;) {
        int y = rng_int(r, y0, y1), m = rng_int(r, 1, 12), d = rng_int(r, 1, 28);
        int v = y * 10000 + m * 100 + d;
        if (v >= lo && v <= hi) return v;
    }
}

static int w_allowance(struct gen *g, struct rng *r, const struct member *m, const char *type,
                       const char *status, const char *county_name)
{
    struct out *o = &g->out[D_ALLOWANCE];
    int ok;
    out_row(o);
    out_u64(o, (uint64_t)++o->serial);
    out_ch(o, ',');
    out_str(o, m->name);
    out_ch(o, ',');
    ok = out_id(g, o, D_ALLOWANCE, m->id, m->key, r);
    out_ch(o, ',');
    out_str(o, m->rel_zh);
    out_ch(o, ',');
    out_str(o, type);
    out_ch(o, ',');
    out_u64(o, (uint64_t)rng_int(r, 12, 60) * 10);
    out_ch(o, ',');
    out_date(o, rand_date(r, 20140101, g->ref));
    out_ch(o, ',');
    out_str(o, status);
    out_ch(o, ',');
    out_str(o, county_name);
    out_end(o, r, dfiles[D_ALLOWANCE].dup);
    return ok;
}

static int w_hardship(struct gen *g, struct rng *r, const struct member *m, const char *type,
                      const char *status)
{
    struct out *o = &g->out[D_HARDSHIP];
    int ok;
    out_row(o);
    out_str(o, m->name);
    out_ch(o, ',');
    ok = out_id(g, o, D_HARDSHIP, m->id, m->key, r);
    out_ch(o, ',');
    out_str(o, type);
    out_ch(o, ',');
    out_str(o, rng_bern(r, 0.3) ? "集中供养" : "分散供养");
    out_ch(o, ',');
    out_date(o, rand_date(r, 20140101, g->ref));
    out_ch(o, ',');
    out_str(o, status);
    out_end(o, r, dfiles[D_HARDSHIP].dup);
    return ok;
}

static int w_medical(struct gen *g, struct rng *r, const struct member *m, const char *scheme,
                     const char *status, const char *illness)
{
    struct out *o = &g->out[D_MEDICAL];
    int ok;
    out_row(o);
    out_u64(o, 100000000000ULL + (uint64_t)++o->serial);
    out_ch(o, ',');
    out_str(o, m->name);
    out_ch(o, ',');
    ok = out_id(g, o, D_MEDICAL, m->id, m->key, r);
    out_ch(o, ',');
    out_str(o, scheme);
    out_ch(o, ',');
    out_str(o, status);
    out_ch(o, ',');
    out_str(o, illness);
    out_ch(o, ',');
    out_u64(o, (uint64_t)g->year);
    out_end(o, r, dfiles[D_MEDICAL].dup);
    return ok;
}

static int w_school(struct gen *g, struct rng *r, const struct member *m, const char *stage,
                    int grade, const char *status)
{
    static const char *const grades[] = {"一年级", "二年级", "三年级", "四年级", "五年级", "六年级",
                                         "七年级", "八年级", "九年级", "高一",   "高二",   "高三"};
    struct out *o = &g->out[D_SCHOOL];
    int ok;
    out_row(o);
    out_ch(o, 'G');
    out_mem(o, m->id, 17);
    out_ch(o, ',');
    out_str(o, m->name);
    out_ch(o, ',');
    ok = out_id(g, o, D_SCHOOL, m->id, m->key, r);
    out_ch(o, ',');
    out_mem(o, m->name, 3);
    out_str(o, !strcmp(stage, "小学")   ? "庄小学"
               : !strcmp(stage, "初中") ? "集初级中学"
                                        : "县中学");
    out_ch(o, ',');
    out_str(o, stage);
    out_ch(o, ',');
    out_str(o, grades[grade < 0 ? 0 : grade > 11 ? 11 : grade]);
    out_ch(o, ',');
    out_str(o, status);
    out_end(o, r, dfiles[D_SCHOOL].dup);
    return ok;
}

static int w_disabled(struct gen *g, struct rng *r, const struct member *m, int grade,
                      const char *hukou, const char *status)
{
    static const char *const kinds[] = {"肢体残疾", "视力残疾", "听力残疾",
                                        "智力残疾", "精神残疾", "言语残疾"};
    struct out *o = &g->out[D_DISABLED];
    int kind = rng_int(r, 0, 5), ok;
    out_row(o);
    out_str(o, m->name);
    out_ch(o, ',');
    out_str(o, m->sex == 1 ? "男" : "女");
    out_ch(o, ',');
    ok = out_id(g, o, D_DISABLED, m->id, m->key, r);
    out_ch(o, ',');
    out_mem(o, m->id, 18);
    out_u64(o, (uint64_t)(kind + 1));
    out_u64(o, (uint64_t)grade);
    out_ch(o, ',');
    out_str(o, kinds[kind]);
    out_ch(o, ',');
    out_str(o, grade_zh(grade));
    out_ch(o, ',');
    out_str(o, hukou);
    out_ch(o, ',');
    out_str(o, status);
    out_end(o, r, dfiles[D_DISABLED].dup);
    return ok;
}

static int w_illness(struct gen *g, struct rng *r, const struct member *m, const char *hukou,
                     int diagnosed)
{
    static const char *const kinds[] = {"恶性肿瘤",     "尿毒症",     "白血病",
                                        "先天性心脏病", "重性精神病", "耐多药肺结核"};
    struct out *o = &g->out[D_ILLNESS];
    int ok;
    out_row(o);
    out_str(o, m->name);
    out_ch(o, ',');
    ok = out_id(g, o, D_ILLNESS, m->id, m->key, r);
    out_ch(o, ',');
    out_str(o, hukou);
    out_ch(o, ',');
    out_str(o, kinds[rng_int(r, 0, 5)]);
    out_ch(o, ',');
    out_date(o, diagnosed);
    out_ch(o, ',');
    out_str(o, rng_bern(r, 0.7) ? "已救治" : "救治中");
    out_end(o, r, dfiles[D_ILLNESS].dup);
    return ok;
}

static int w_unsafe(struct gen *g, struct rng *r, const struct member *m, const char *grade,
                    const char *status)
{
    struct out *o = &g->out[D_UNSAFE];
    int ok;
    out_row(o);
    out_str(o, m->name);
    out_ch(o, ',');
    ok = out_id(g, o, D_UNSAFE, m->id, m->key, r);
    out_ch(o, ',');
    out_str(o, grade);
    out_ch(o, ',');
    out_date(o, rand_date(r, 20150101, g->ref));
    out_ch(o, ',');
    out_str(o, status);
    out_end(o, r, dfiles[D_UNSAFE].dup);
    return ok;
}

static int w_housing(struct gen *g, struct rng *r, const struct member *m, const char *where,
                     const char *nature, const char *status)
{
    struct out *o = &g->out[D_HOUSING];
    int ok;
    out_row(o);
    out_str(o, m->name);
    out_ch(o, ',');
    ok = out_id(g, o, D_HOUSING, m->id, m->key, r);
    out_ch(o, ',');
    out_str(o, where);
    out_u64(o, (uint64_t)rng_int(r, 1, 99));
    out_str(o, "号");
    out_ch(o, ',');
    out_str(o, nature);
    out_ch(o, ',');
    out_str(o, !strcmp(nature, "商品房") && rng_bern(r, 0.1) ? "商业" : "住宅");
    out_ch(o, ',');
    out_u64(o, (uint64_t)rng_int(r, 45, 220));
    out_ch(o, ',');
    out_date(o, rand_date(r, 20000101, g->ref));
    out_ch(o, ',');
    out_str(o, status);
    out_end(o, r, dfiles[D_HOUSING].dup);
    return ok;
}

static int w_vehicle(struct gen *g, struct rng *r, const struct member *m, const char *type,
                     int value, const char *status)
{
    static const char *const letters = "ABCDEFGHJKLMNPQRS";
    struct out *o = &g->out[D_VEHICLES];
    int ok;
    out_row(o);
    out_str(o, "皖");
    out_ch(o, letters[rng_int(r, 0, 16)]);
    out_u64(o, (uint64_t)rng_int(r, 10000, 99999));
    out_ch(o, ',');
    out_str(o, type);
    out_ch(o, ',');
    out_str(o, m->name);
    out_ch(o, ',');
    ok = out_id(g, o, D_VEHICLES, m->id, m->key, r);
    out_ch(o, ',');
    out_date(o, rand_date(r, 20080101, g->ref));
    out_ch(o, ',');
    out_u64(o, (uint64_t)value);
    out_ch(o, ',');
    out_str(o, status);
    out_end(o, r, dfiles[D_VEHICLES].dup);
    return ok;
}

static int w_payroll(struct gen *g, struct rng *r, const struct member *m, const char *status)
{
    static const char *const units[] = {"县教育局", "县人民医院", "镇人民政府",
                                        "县财政局", "县第一中学", "县农业农村局"};
    static const char *const cats[] = {"公务员", "参照公务员法管理", "事业编制", "事业编制"};
    struct out *o = &g->out[D_PAYROLL];
    int ok;
    out_row(o);
    out_str(o, units[rng_int(r, 0, 5)]);
    out_ch(o, ',');
    out_str(o, m->name);
    out_ch(o, ',');
    ok = out_id(g, o, D_PAYROLL, m->id, m->key, r);
    out_ch(o, ',');
    out_str(o, cats[rng_int(r, 0, 3)]);
    out_ch(o, ',');
    out_str(o, status);
    out_end(o, r, dfiles[D_PAYROLL].dup);
    return ok;
}

static int w_business(struct gen *g, struct rng *r, const struct member *m, const char *role,
                      const char *status)
{
    static const char *const kinds[] = {"农业科技有限公司", "商贸有限公司", "建材经营部",
                                        "养殖专业合作社", "运输有限公司"};
    struct out *o = &g->out[D_BUSINESS];
    int ok;
    out_row(o);
    out_mem(o, m->name, 3);
    out_str(o, kinds[rng_int(r, 0, 4)]);
    out_ch(o, ',');
    out_str(o, "91");
    out_u64(o, 3400000000000000ULL + (uint64_t)rng_int(r, 0, 999999999));
    out_ch(o, ',');
    out_str(o, m->name);
    out_ch(o, ',');
    ok = out_id(g, o, D_BUSINESS, m->id, m->key, r);
    out_ch(o, ',');
    out_str(o, role);
    out_ch(o, ',');
    out_u64(o, (uint64_t)rng_int(r, 1, 500));
    out_ch(o, ',');
    out_str(o, status);
    out_end(o, r, dfiles[D_BUSINESS].dup);
    return ok;
}

static int w_abroad(struct gen *g, struct rng *r, const struct member *m, int departed,
                    const char *status)
{
    static const char *const countries[] = {"英国", "澳大利亚", "美国", "日本", "加拿大", "新西兰"};
    struct out *o = &g->out[D_ABROAD];
    int ok;
    out_row(o);
    out_str(o, m->name);
    out_ch(o, ',');
    ok = out_id(g, o, D_ABROAD, m->id, m->key, r);
    out_ch(o, ',');
    out_str(o, countries[rng_int(r, 0, 5)]);
    out_ch(o, ',');
    out_date(o, departed);
    out_ch(o, ',');
    out_str(o, status);
    out_end(o, r, dfiles[D_ABROAD].dup);
    return ok;
}

static int w_consumption(struct gen *g, struct rng *r, const struct member *m, int amount)
{
    struct out *o = &g->out[D_CONSUMPTION];
    int ok;
    out_row(o);
    out_str(o, m->name);
    out_ch(o, ',');
    ok = out_id(g, o, D_CONSUMPTION, m->id, m->key, r);
    out_ch(o, ',');
    out_u64(o, (uint64_t)g->year);
    out_ch(o, ',');
    out_u64(o, (uint64_t)amount);
    out_end(o, r, dfiles[D_CONSUMPTION].dup);
    return ok;
}

static int w_report(struct gen *g, struct rng *r, const struct member *m, const char *verdict)
{
    static const char *const items[] = {"优亲厚友纳入贫困户", "隐瞒家庭收入", "有车有房仍享受政策",
                                        "子女为公职人员"};
    struct out *o = &g->out[D_REPORTS];
    int ok;
    out_row(o);
    out_str(o, m->name);
    out_ch(o, ',');
    ok = out_id(g, o, D_REPORTS, m->id, m->key, r);
    out_ch(o, ',');
    out_str(o, items[rng_int(r, 0, 3)]);
    out_ch(o, ',');
    out_str(o, verdict);
    out_ch(o, ',');
    out_date(o, rand_date(r, g->ref - 20000, g->ref));
    out_end(o, r, dfiles[D_REPORTS].dup);
    return ok;
}

static int w_disaster(struct gen *g, struct rng *r, const struct member *m, int date,
                      const char *degree, const char *hukou)
{
    static const char *const hazards[] = {"洪涝", "干旱", "风雹", "地质灾害", "低温冷冻和雪灾"};
    struct out *o = &g->out[D_DISASTER];
    int ok;
    out_row(o);
    out_str(o, m->name);
    out_ch(o, ',');
    ok = out_id(g, o, D_DISASTER, m->id, m->key, r);
    out_ch(o, ',');
    out_str(o, hazards[rng_int(r, 0, 4)]);
    out_ch(o, ',');
    out_date(o, date);
    out_ch(o, ',');
    out_str(o, degree);
    out_ch(o, ',');
    out_str(o, hukou);
    out_ch(o, ',');
    out_str(o, rng_bern(r, 0.6) ? "已救助" : "救助中");
    out_end(o, r, dfiles[D_DISASTER].dup);
    return ok;
}

static int w_resettler(struct gen *g, struct rng *r, const struct member *m, const char *kind,
                       const char *reservoir, int year, const char *status)
{
    struct out *o = &g->out[D_RESETTLE];
    int ok;
    out_row(o);
    out_str(o, m->name);
    out_ch(o, ',');
    ok = out_id(g, o, D_RESETTLE, m->id, m->key, r);
    out_ch(o, ',');
    out_str(o, kind);
    out_ch(o, ',');
    out_str(o, reservoir);
    out_ch(o, ',');
    out_u64(o, (uint64_t)year);
    out_ch(o, ',');
    out_str(o, status);
    out_end(o, r, dfiles[D_RESETTLE].dup);
    return ok;
}

static const char *const reservoirs[] = {"柘林水库", "东江水库", "三峡水库", "五强溪水库",
                                         "丹江口水库", "响洪甸水库"};

static void w_truth(struct gen *g, int rule, const char *hid, const char *rid, int county)
{
    struct out *o = &g->out[D_TRUTH];
    out_row(o);
    out_str(o, rule_ids[rule]);
    out_ch(o, ',');
    out_str(o, hid);
    out_ch(o, ',');
    out_str(o, rid);
    out_ch(o, ',');
    out_u64(o, (uint64_t)county);
    out_ch(o, '\n');
}

/* An adult member (18+), preferring the head and spouse; -1 if none. */
static int pick_adult(struct rng *r, const struct household *h, int lo, int hi)
{
    int cand[MAXM], n = 0;
    for (int i = 0; i < h->n; i++)
        if (h->m[i].age >= lo && h->m[i].age <= hi) cand[n++] = i;
    if (!n) return -1;
    if (rng_bern(r, 0.6))
        for (int k = 0; k < n; k++)
            if (h->m[cand[k]].rel_head) return cand[k];
    return cand[rng_int(r, 0, n - 1)];
}

static int head_of(const struct household *h)
{
    for (int i = 0; i < h->n; i++)
        if (h->m[i].rel_head) return i;
    return 0;
}

/* ------------------------------------------------------------------ one household */

static int ill_date(struct gen *g, struct rng *r)
{
    int lo = cmp_date_shift(g->ref, -2, 'y');
    double u = rng_u(r);
    if (u < 0.03) return lo;                          /* on the bound: counts */
    if (u < 0.06) return cmp_date_shift(lo, -1, 'd'); /* a day too early: does not */
    if (u < 0.80) return rand_date(r, lo, g->ref);
    return rand_date(r, cmp_date_shift(g->ref, -6, 'y'), cmp_date_shift(lo, -1, 'd'));
}

/* A disaster date: 3% exactly a year back (counts), 3% a day earlier (does not), most within
 * the year, the rest up to three years back. */
static int disaster_date(struct gen *g, struct rng *r)
{
    int lo = cmp_date_shift(g->ref, -1, 'y');
    double u = rng_u(r);
    if (u < 0.03) return lo;
    if (u < 0.06) return cmp_date_shift(lo, -1, 'd');
    if (u < 0.80) return rand_date(r, lo, g->ref);
    return rand_date(r, cmp_date_shift(g->ref, -3, 'y'), cmp_date_shift(lo, -1, 'd'));
}

static void household_records(struct gen *g, const struct county_info *ci)
{
    struct household *h = &g->h;
    struct rng rr, *r = &rr, rr2, *r2 = &rr2;
    int reg = h->registered;
    int head = head_of(h);
    rng_init(r, g->seed, 'D', (uint64_t)g->household_no);
    /* the draws of the rules added later (serious-illness insurance, disasters, reservoir
     * resettlers) come from a stream of their own, so the older files keep their records */
    rng_init(r2, g->seed, 'N', (uint64_t)g->household_no);
    if (reg && !h->four_known && !h->poor && rng_bern(r, 0.015))
        h->four[rng_int(r, 0, 3)] = 1; /* no fieldwork truth to agree with: draw one */

    /* civil affairs: allowance and hardship rolls */
    if (h->allowance) {
        for (int i = 0; i < h->n; i++) {
            int active = rng_bern(r, 0.97);
            if (w_allowance(g, r, &h->m[i], "农村低保", active ? "在保" : "停保", ci->name) &&
                active)
                h->hit |= reg ? RECEIVED : B(R_M_ALLOWANCE);
        }
    } else if (rng_bern(r, 0.004)) { /* a former allowance household: stopped */
        for (int i = 0; i < h->n; i++) w_allowance(g, r, &h->m[i], "农村低保", "停保", ci->name);
    }
    if (h->hardship) {
        for (int i = 0; i < h->n; i++) {
            int active = rng_bern(r, 0.96);
            if (w_hardship(g, r, &h->m[i], "农村特困", active ? "在册" : "终止") && active)
                h->hit |= reg ? RECEIVED : B(R_M_HARDSHIP);
        }
    }
    /* medical insurance, school roll, disabled persons, serious illness */
    for (int i = 0; i < h->n; i++) {
        struct member *m = &h->m[i];
        if (m->med) {
            int ill = rng_bern(r2, 0.99); /* 1%: basic insurance without 大病保险 */
            if (w_medical(g, r, m, "城乡居民基本医疗保险", "正常参保", ill ? "已参保" : "未参保"))
                m->hit |= B(R_MEDICAL) | (ill ? B(R_ILLNESS_INS) : 0);
        } else if (rng_bern(r, 0.4)) {
            w_medical(g, r, m, "城乡居民基本医疗保险", rng_bern(r, 0.5) ? "终止参保" : "暂停参保",
                      "未参保");
        }
        if (m->in_school && m->age >= 6 && m->age <= 18 &&
            str_in_list(m->edu, strlen(m->edu), "primary|junior|senior|vocational")) {
            const char *stage = !strcmp(m->edu, "primary")  ? "小学"
                                : !strcmp(m->edu, "junior") ? "初中"
                                : !strcmp(m->edu, "senior") ? "高中"
                                                            : "中职";
            if (rng_bern(r, 0.005)) w_school(g, r, m, stage, m->age - 6, "转出");
            if (w_school(g, r, m, stage, m->age - 6, "在读")) m->hit |= B(R_SCHOOL);
        } else if (!m->in_school && m->age >= 6 && m->age <= 15 && rng_bern(r, 0.5)) {
            w_school(g, r, m, m->age <= 12 ? "小学" : "初中", m->age - 7,
                     rng_bern(r, 0.7) ? "辍学" : "休学");
        }
        if (m->health == HEALTH_DISABLED) {
            int grade = m->cert, active;
            if (grade > 0 ? rng_bern(r, 0.97) : rng_bern(r, 0.2)) {
                if (!grade) grade = rng_int(r, 3, 4);
                active = rng_bern(r, 0.95);
                if (w_disabled(g, r, m, grade, "农业户口", active ? "有效" : "过期") && active) {
                    m->hit |= B(R_DISCERT);
                    if (!reg && grade <= 2) h->hit |= B(R_M_DISABLED);
                }
            }
        }
        if (m->health == HEALTH_SERIOUS) {
            int d = ill_date(g, r);
            if (w_illness(g, r, m, "农村", d) && d >= cmp_date_shift(g->ref, -2, 'y') &&
                d <= g->ref && !reg)
                h->hit |= B(R_M_ILLNESS);
        }
    }
    /* housing safety */
    if (h->unsafe) {
        int active = rng_bern(r, 0.8);
        if (w_unsafe(g, r, &h->m[head], rng_bern(r, 0.6) ? "C级" : "D级",
                     active ? "未改造" : "改造中"))
            h->hit |= reg ? B(R_REG_UNSAFE) : B(R_M_UNSAFE);
    } else if (rng_bern(r, 0.03)) {
        int ab = rng_bern(r, 0.7);
        w_unsafe(g, r, &h->m[head], ab ? (rng_bern(r, 0.5) ? "A级" : "B级") : "C级",
                 ab ? "未改造" : "已改造");
    }
    /* property */
    if (rng_bern(r, 0.35)) w_housing(g, r, &h->m[head], "村民组", "自建房", "现势");
    if (h->relocated) w_housing(g, r, &h->m[head], "安置点", "安置房", "现势");
    if (reg && h->four[2]) {
        int i = pick_adult(r, h, 18, 120);
        if (i < 0) i = head;
        if (w_housing(g, r, &h->m[i], "城区", "商品房", "现势")) h->m[i].hit |= B(R_HOUSING);
    } else if (reg && rng_bern(r, 0.008)) {
        w_housing(g, r, &h->m[head], "城区", "商品房", rng_bern(r, 0.5) ? "注销" : "历史");
    } else if (!reg && rng_bern(r, 0.06)) {
        int i = pick_adult(r, h, 18, 120);
        if (i >= 0) w_housing(g, r, &h->m[i], "城区", "商品房", "现势");
    }
    /* vehicles */
    if (reg && h->four[1]) {
        int i = pick_adult(r, h, 18, 75);
        if (i < 0) i = head;
        if (w_vehicle(g, r, &h->m[i], "小型轿车", rng_int(r, 80, 400) * 1000, "正常"))
            h->m[i].hit |= B(R_VEHICLE);
    } else if (reg && rng_bern(r, 0.06)) {
        static const char *const cheap[] = {"三轮汽车", "低速货车", "普通二轮摩托车"};
        int value = rng_bern(r, 0.1) ? VEHICLE_MIN : rng_int(r, 2, 49) * 1000;
        w_vehicle(g, r, &h->m[head], cheap[rng_int(r, 0, 2)], value, "正常");
    } else if (reg && rng_bern(r, 0.004)) {
        w_vehicle(g, r, &h->m[head], "小型轿车", rng_int(r, 60, 150) * 1000,
                  rng_bern(r, 0.5) ? "注销" : "报废");
    } else if (!reg && rng_bern(r, 0.25)) {
        int i = pick_adult(r, h, 18, 75);
        if (i >= 0)
            w_vehicle(g, r, &h->m[i], rng_bern(r, 0.6) ? "小型轿车" : "轻型货车",
                      rng_int(r, 5, 300) * 1000, "正常");
    }
    /* public payroll */
    if (reg && h->four[0]) {
        int i = pick_adult(r, h, 22, 59);
        if (i < 0) i = head;
        if (w_payroll(g, r, &h->m[i], h->m[i].age >= 60 ? "退休" : "在职"))
            h->m[i].hit |= B(R_PAYROLL);
    } else if (reg && rng_bern(r, 0.003)) {
        w_payroll(g, r, &h->m[head], rng_bern(r, 0.5) ? "离职" : "死亡");
    } else if (!reg && rng_bern(r, 0.03)) {
        int i = pick_adult(r, h, 22, 70);
        if (i >= 0) w_payroll(g, r, &h->m[i], h->m[i].age >= 60 ? "退休" : "在职");
    }
    /* business registry */
    if (reg && h->four[3]) {
        static const char *const roles[] = {"法定代表人", "股东", "经营者"};
        static const char *const live[] = {"存续", "在业"};
        int i = pick_adult(r, h, 18, 80);
        if (i < 0) i = head;
        if (w_business(g, r, &h->m[i], roles[rng_int(r, 0, 2)], live[rng_int(r, 0, 1)]))
            h->m[i].hit |= B(R_BUSINESS);
    } else if (reg && rng_bern(r, 0.006)) {
        if (rng_bern(r, 0.5))
            w_business(g, r, &h->m[head], "监事", "存续");
        else
            w_business(g, r, &h->m[head], "股东", rng_bern(r, 0.5) ? "注销" : "吊销");
    } else if (!reg && rng_bern(r, 0.06)) {
        int i = pick_adult(r, h, 18, 80);
        if (i >= 0) w_business(g, r, &h->m[i], rng_bern(r, 0.5) ? "经营者" : "股东", "存续");
    }
    /* study abroad */
    if (reg && !h->poor && rng_bern(r, 0.0015)) {
        int i = pick_adult(r, h, 18, 30);
        if (i >= 0 &&
            w_abroad(g, r, &h->m[i], rand_date(r, cmp_date_shift(g->ref, -5, 'y'), g->ref), "在读"))
            h->m[i].hit |= B(R_ABROAD);
    } else if (rng_bern(r, reg ? 0.0005 : 0.003)) {
        int i = pick_adult(r, h, 18, 30);
        if (i >= 0) {
            if (!reg)
                w_abroad(g, r, &h->m[i], rand_date(r, cmp_date_shift(g->ref, -5, 'y'), g->ref),
                         "在读");
            else if (rng_bern(r, 0.5))
                w_abroad(g, r, &h->m[i], rand_date(r, 20100101, g->ref), "已回国");
            else /* left more than five years ago: a day before the window */
                w_abroad(g, r, &h->m[i], cmp_date_shift(cmp_date_shift(g->ref, -5, 'y'), -1, 'd'),
                         "在读");
        }
    }
    /* consumption: every adult with a bank card */
    {
        int inject = reg && !h->poor && rng_bern(r, 0.004) ? pick_adult(r, h, 18, 120) : -1;
        for (int i = 0; i < h->n; i++) {
            struct member *m = &h->m[i];
            int amount;
            if (m->age < 18 || (i != inject && !rng_bern(r, 0.88))) continue;
            if (i == inject)
                amount = rng_int(r, 110, 600) * 1000;
            else if (reg)
                amount = rng_bern(r, 0.002) ? CONSUMPTION_MIN
                                            : rng_int(r, 3, 60) * 1000 + rng_int(r, 0, 999);
            else
                amount = rng_bern(r, 0.06) ? rng_int(r, 100, 500) * 1000
                                           : rng_int(r, 5, 99) * 1000 + rng_int(r, 0, 999);
            if (w_consumption(g, r, m, amount) && reg && amount > CONSUMPTION_MIN)
                m->hit |= B(R_CONSUMPTION);
        }
    }
    /* verified reports */
    if (reg && rng_bern(r, 0.002)) {
        if (w_report(g, r, &h->m[head], "属实")) h->m[head].hit |= B(R_REPORT);
    } else if (reg && rng_bern(r, 0.003)) {
        w_report(g, r, &h->m[head], rng_bern(r, 0.5) ? "不属实" : "部分属实");
    } else if (!reg && rng_bern(r, 0.0005)) {
        w_report(g, r, &h->m[head], "属实");
    }
    /* natural disasters: 0.6% of households, half of them hard hit (重灾) */
    if (rng_bern(r2, 0.006)) {
        int hard = rng_bern(r2, 0.5), d = disaster_date(g, r2);
        if (w_disaster(g, r2, &h->m[head], d, hard ? "重灾" : "一般", "农村") && hard && !reg &&
            d >= cmp_date_shift(g->ref, -1, 'y') && d <= g->ref)
            h->hit |= B(R_M_DISASTER);
    }
    /* reservoir resettlers: 0.8% of households, every member listed, 5% support ended */
    if (rng_bern(r2, 0.008)) {
        const char *res = reservoirs[rng_int(r2, 0, 5)];
        int year = rng_int(r2, 1970, 2010);
        for (int i = 0; i < h->n; i++) {
            int active = rng_bern(r2, 0.95);
            if (w_resettler(g, r2, &h->m[i], "农村移民", res, year, active ? "扶持中" : "已核减") &&
                active && !reg)
                h->hit |= B(R_M_RESETTLED);
        }
    }
}

/* The flags the shipped rules must raise for the current household. */
static void household_truth(struct gen *g, const struct county_info *ci)
{
    struct household *h = &g->h;
    int county = h->county;
    if (h->registered) {
        int eligible = (h->cat == HH_CAT_UNEXITED || h->cat == HH_CAT_RETURNED) && h->has_income &&
                       ci && h->income < ci->standard;
        for (int i = 0; i < h->n; i++) {
            const struct member *m = &h->m[i];
            for (int rl = R_PAYROLL; rl <= R_REPORT; rl++)
                if (m->hit & B(rl)) w_truth(g, rl, h->id, m->id, county);
            if (m->age >= 6 && m->age <= 15 && !(m->hit & B(R_SCHOOL)))
                w_truth(g, R_SCHOOL, h->id, m->id, county);
            if (!(m->hit & B(R_MEDICAL))) w_truth(g, R_MEDICAL, h->id, m->id, county);
            if (!(m->hit & B(R_ILLNESS_INS))) w_truth(g, R_ILLNESS_INS, h->id, m->id, county);
            if (m->health == HEALTH_DISABLED && !(m->hit & B(R_DISCERT)))
                w_truth(g, R_DISCERT, h->id, m->id, county);
        }
        if (eligible && !(h->hit & RECEIVED)) w_truth(g, R_ALLOWANCE_NR, h->id, "", county);
        if (h->hit & B(R_REG_UNSAFE)) w_truth(g, R_REG_UNSAFE, h->id, "", county);
    } else {
        for (int rl = R_M_ALLOWANCE; rl <= R_M_UNSAFE; rl++)
            if (h->hit & B(rl)) w_truth(g, rl, h->id, "", county);
        if (h->hit & B(R_M_DISASTER)) w_truth(g, R_M_DISASTER, h->id, "", county);
        if (h->hit & B(R_M_RESETTLED)) w_truth(g, R_M_RESETTLED, h->id, "", county);
    }
}

/* ------------------------------------------------------------------ persons outside the roster */

/* A new ID in region `region`, age drawn in [lo, hi], unique in the county's set. */
static int new_person(struct gen *g, struct rng *r, int region, int lo, int hi, struct member *m)
{
    for (int tries = 0; tries < 100; tries++) {
        int age = rng_int(r, lo, hi), y = g->year - age;
        int birth = y * 10000 + rng_int(r, 1, 12) * 100 + rng_int(r, 1, 28);
        int seq = rng_int(r, 0, 999);
        char d[19];
        uint64_t key;
        snprintf(d, sizeof d, "%06d%08d%03d", region, birth, seq);
        key = ids_pack(d);
        if (u64map_get(&g->county_ids, key)) continue;
        if (u64map_put(&g->county_ids, key, 1, NULL) < 0) return ERR_NOMEM;
        memset(m, 0, sizeof *m);
        memcpy(m->id, d, 17);
        m->id[17] = ids_check_char(d);
        m->id[18] = '\0';
        m->key = key;
        m->birth = birth;
        m->age = date_age(birth, g->ref);
        m->sex = (seq % 2) ? 1 : 2;
        m->rel_zh = "户主";
        m->rel_head = 1;
        random_name(r, m->name, sizeof m->name);
        return 0;
    }
    return ERR_INTERNAL;
}

/* Persons outside the roster for the rules added later (disasters, reservoir resettlers),
 * from a stream of their own: absent rural persons (possibly missed) and urban ones (never
 * flagged: 城镇 hukou, 城镇移民). */
static int county_extras_later(struct gen *g, const char *cname)
{
    struct rng rr, *r = &rr;
    struct member m;
    int64_t n = g->county_members;
    int lo = cmp_date_shift(g->ref, -1, 'y');
    int rc;
    (void)cname;
    rng_init(r, g->seed, 'Y', (uint64_t)g->county_index);
    for (int64_t k = 0; k < n * 2 / 10000 + 1; k++) { /* hard-hit rural 0.02% */
        int d = rand_date(r, lo, g->ref);
        if ((rc = new_person(g, r, g->county, 25, 85, &m))) return rc;
        if (w_disaster(g, r, &m, d, "重灾", "农村")) w_truth(g, R_M_DISASTER, "", m.id, g->county);
    }
    for (int64_t k = 0; k < n * 2 / 10000 + 1; k++) { /* rural resettlers 0.02% */
        if ((rc = new_person(g, r, g->county, 20, 85, &m))) return rc;
        if (w_resettler(g, r, &m, "农村移民", reservoirs[rng_int(r, 0, 5)], rng_int(r, 1970, 2010),
                        "扶持中"))
            w_truth(g, R_M_RESETTLED, "", m.id, g->county);
    }
    for (int64_t k = 0; k < n * 5 / 10000; k++) { /* urban: 城镇 hukou, 城镇移民 */
        int region = g->urban_region[rng_int(r, 0, 2)];
        if ((rc = new_person(g, r, region, 20, 85, &m))) return rc;
        if (rng_bern(r, 0.6))
            w_disaster(g, r, &m, rand_date(r, lo, g->ref), "重灾", "城镇");
        else
            w_resettler(g, r, &m, "城(集)镇移民", reservoirs[rng_int(r, 0, 5)],
                        rng_int(r, 1970, 2010), "扶持中");
    }
    return 0;
}

static int county_extras(struct gen *g)
{
    const struct county_info *ci = county_of(g, g->county);
    const char *cname = ci ? ci->name : "";
    struct rng rr, *r = &rr;
    struct member m;
    int64_t n = g->county_members;
    int rc;
    rng_init(r, g->seed, 'X', (uint64_t)g->county_index);
    /* absent rural persons: possible missed households */
    for (int64_t k = 0; k < n * 15 / 10000 + 1; k++) { /* allowance 0.15% */
        if ((rc = new_person(g, r, g->county, 20, 85, &m))) return rc;
        if (w_allowance(g, r, &m, "农村低保", "在保", cname))
            w_truth(g, R_M_ALLOWANCE, "", m.id, g->county);
        w_medical(g, r, &m, "城乡居民基本医疗保险", "正常参保", "已参保");
    }
    for (int64_t k = 0; k < n * 3 / 10000; k++) { /* stopped allowance: not flagged */
        if ((rc = new_person(g, r, g->county, 20, 85, &m))) return rc;
        w_allowance(g, r, &m, "农村低保", "停保", cname);
    }
    for (int64_t k = 0; k < n * 2 / 10000 + 1; k++) { /* hardship 0.02% */
        if ((rc = new_person(g, r, g->county, 60, 90, &m))) return rc;
        if (w_hardship(g, r, &m, "农村特困", "在册")) w_truth(g, R_M_HARDSHIP, "", m.id, g->county);
    }
    for (int64_t k = 0; k < n * 4 / 10000 + 1; k++) { /* severely disabled 0.04% */
        int grade = rng_int(r, 1, 2);
        if ((rc = new_person(g, r, g->county, 5, 85, &m))) return rc;
        if (w_disabled(g, r, &m, grade, "农业户口", "有效"))
            w_truth(g, R_M_DISABLED, "", m.id, g->county);
    }
    for (int64_t k = 0; k < n * 3 / 10000; k++) { /* grade 3-4: not flagged */
        if ((rc = new_person(g, r, g->county, 5, 85, &m))) return rc;
        w_disabled(g, r, &m, rng_int(r, 3, 4), "农业户口", "有效");
    }
    for (int64_t k = 0; k < n * 4 / 10000 + 1; k++) { /* serious illness 0.04% */
        int d = ill_date(g, r);
        if ((rc = new_person(g, r, g->county, 1, 85, &m))) return rc;
        if (w_illness(g, r, &m, "农村", d) && d >= cmp_date_shift(g->ref, -2, 'y') && d <= g->ref)
            w_truth(g, R_M_ILLNESS, "", m.id, g->county);
    }
    for (int64_t k = 0; k < n * 2 / 10000 + 1; k++) { /* unsafe house 0.02% */
        if ((rc = new_person(g, r, g->county, 30, 85, &m))) return rc;
        if (w_unsafe(g, r, &m, rng_bern(r, 0.5) ? "C级" : "D级", "未改造"))
            w_truth(g, R_M_UNSAFE, "", m.id, g->county);
    }
    /* urban residents of the county's city: everywhere, never flagged */
    for (int64_t k = 0; k < n * 12 / 100; k++) {
        int region = g->urban_region[rng_int(r, 0, 2)];
        if ((rc = new_person(g, r, region, 0, 85, &m))) return rc;
        if (rng_bern(r, 0.95))
        {
            int staff = rng_bern(r, 0.6); /* employees' insurance has no 大病保险 column value */
            w_medical(g, r, &m, staff ? "城镇职工基本医疗保险" : "城乡居民基本医疗保险", "正常参保",
                      staff ? "" : "已参保");
        }
        if (m.age >= 6 && m.age <= 18)
            w_school(g, r, &m,
                     m.age <= 11   ? "小学"
                     : m.age <= 14 ? "初中"
                                   : "高中",
                     m.age - 6, "在读");
        if (m.age < 18) continue;
        if (rng_bern(r, 0.9))
            w_consumption(g, r, &m,
                          rng_bern(r, 0.12) ? rng_int(r, 100, 900) * 1000
                                            : rng_int(r, 10, 99) * 1000 + rng_int(r, 0, 999));
        if (rng_bern(r, 0.35)) w_vehicle(g, r, &m, "小型轿车", rng_int(r, 30, 500) * 1000, "正常");
        if (rng_bern(r, 0.4)) w_housing(g, r, &m, "城区", "商品房", "现势");
        if (m.age >= 22 && m.age < 60 && rng_bern(r, 0.12)) w_payroll(g, r, &m, "在职");
        if (rng_bern(r, 0.08))
            w_business(g, r, &m, rng_bern(r, 0.5) ? "股东" : "法定代表人", "存续");
        if (rng_bern(r, 0.015)) w_allowance(g, r, &m, "城市低保", "在保", cname);
        if (rng_bern(r, 0.001)) w_hardship(g, r, &m, "城市特困", "在册");
        if (rng_bern(r, 0.03)) w_disabled(g, r, &m, rng_int(r, 1, 4), "非农业户口", "有效");
        if (rng_bern(r, 0.01)) w_illness(g, r, &m, "城镇", ill_date(g, r));
        if (m.age <= 30 && rng_bern(r, 0.01))
            w_abroad(g, r, &m, rand_date(r, cmp_date_shift(g->ref, -5, 'y'), g->ref), "在读");
    }
    return county_extras_later(g, cname);
}

/* ------------------------------------------------------------------ setup and the loop */

static int load_counties(struct gen *g, struct error *e)
{
    static const char *const names[] = {"code", "name", "allowance_standard"};
    struct strbuf p = STRBUF_INIT;
    struct csv *c = NULL;
    int cols[3], rc;
    size_t cap = 64;
    sb_addf(&p, "%s/counties.csv", g->dir);
    if (sb_ok(&p)) return error_set(e, ERR_NOMEM, "out of memory");
    rc = csv_open(p.buf, &c, e);
    sb_release(&p);
    if (rc) return rc;
    g->counties = mem_calloc(cap, sizeof *g->counties);
    if (!g->counties) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = csv_next(c, e);
    if (rc <= 0) {
        if (!rc) rc = error_at(e, ERR_INVALID, csv_name(c), 1, 0, "empty file");
        goto out;
    }
    rc = map_cols(c, "counties.csv", names, 3, cols, 3, e);
    if (rc) goto out;
    while ((rc = csv_next(c, e)) == 1) {
        struct county_info *ci;
        if (g->ncounties == cap) {
            struct county_info *q = mem_realloc(g->counties, cap * 2 * sizeof *q);
            if (!q) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            g->counties = q;
            cap *= 2;
        }
        ci = &g->counties[g->ncounties++];
        memset(ci, 0, sizeof *ci);
        ci->code = atoi(field(c, cols, 0));
        snprintf(ci->name, sizeof ci->name, "%s", field(c, cols, 1));
        parse_double(field(c, cols, 2), &ci->standard);
    }
    if (rc > 0) rc = 0;
    if (!rc && !g->ncounties) rc = error_at(e, ERR_INVALID, csv_name(c), 0, 0, "no county");
out:
    csv_close(c);
    return rc;
}

/* Three urban district codes of the county's city that are no county of the registry. */
static void urban_regions(struct gen *g, int county)
{
    int city = county / 100, n = 0;
    for (int d = 1; d <= 20 && n < 3; d++)
        if (!county_of(g, city * 100 + d)) g->urban_region[n++] = city * 100 + d;
    while (n < 3) g->urban_region[n++] = city * 100; /* cannot happen with synth's layout */
}

static int open_input(struct gen *g, const char *name, struct csv **c, const char *const *cols,
                      size_t n, int *idx, int nreq, struct error *e)
{
    struct strbuf p = STRBUF_INIT;
    int rc;
    sb_addf(&p, "%s/%s", g->dir, name);
    if (sb_ok(&p)) return error_set(e, ERR_NOMEM, "out of memory");
    rc = csv_open(p.buf, c, e);
    sb_release(&p);
    if (rc) return rc;
    rc = csv_next(*c, e);
    if (rc == 0) return error_at(e, ERR_INVALID, csv_name(*c), 1, 0, "empty file");
    if (rc < 0) return rc;
    return map_cols(*c, name, cols, n, idx, nreq, e);
}

static int open_outputs(struct gen *g, struct error *e)
{
    struct strbuf p = STRBUF_INIT;
    sb_addf(&p, "%s/departments", g->dir);
    if (sb_ok(&p)) return error_set(e, ERR_NOMEM, "out of memory");
    if (mkdir(p.buf, 0777) && errno != EEXIST) {
        int rc = error_set(e, ERR_IO, "%s: cannot create: %s", p.buf, strerror(errno));
        sb_release(&p);
        return rc;
    }
    sb_release(&p);
    for (int f = 0; f < D_N; f++) {
        struct out *o = &g->out[f];
        struct strbuf t = STRBUF_INIT, fin = STRBUF_INIT;
        const char *sub = f == D_TRUTH ? "" : "departments/";
        sb_addf(&t, "%s/%s.%s.tmp", g->dir, sub, dfiles[f].name);
        sb_addf(&fin, "%s/%s%s", g->dir, sub, dfiles[f].name);
        o->tmp = sb_detach(&t, NULL);
        o->fin = sb_detach(&fin, NULL);
        o->buf = mem_alloc(OUTBUF);
        if (!o->tmp || !o->fin || !o->buf) return error_set(e, ERR_NOMEM, "out of memory");
        if (dfiles[f].gb18030) {
            o->conv = mem_alloc(OUTBUF);
            o->cd = iconv_open("GB18030", "UTF-8");
            if (!o->conv) return error_set(e, ERR_NOMEM, "out of memory");
            if (o->cd == (iconv_t)-1)
                return error_set(e, ERR_IO, "iconv cannot write GB18030: %s", strerror(errno));
        }
        o->f = fopen(o->tmp, "wb");
        if (!o->f) return error_set(e, ERR_IO, "%s: cannot write: %s", o->tmp, strerror(errno));
        out_str(o, dfiles[f].header);
        out_ch(o, '\n');
    }
    return 0;
}

static int finish_county(struct gen *g, struct error *e)
{
    int rc;
    if (!g->county) return 0;
    rc = county_extras(g);
    if (rc == ERR_NOMEM) return error_set(e, ERR_NOMEM, "out of memory");
    if (rc)
        return error_set(e, ERR_INTERNAL,
                         "county %d: no free resident ID for a person "
                         "outside the roster",
                         g->county);
    return 0;
}

int synth_departments(const char *dir, uint64_t seed, int year, struct error *e)
{
    struct gen *g = mem_calloc(1, sizeof *g);
    struct error etmp;
    int rc, ok = 0;
    if (!e) e = &etmp;
    if (!g) return error_set(e, ERR_NOMEM, "out of memory");
    if (year < 2014 || year > 2100) {
        mem_free(g);
        return error_set(e, ERR_USAGE, "year %d out of range", year);
    }
    g->dir = dir;
    g->seed = seed;
    g->year = year;
    g->ref = year * 10000 + 1231;
    for (int f = 0; f < D_N; f++) g->out[f].cd = (iconv_t)-1;
    u64map_init(&g->county_ids);
    rc = load_counties(g, e);
    if (!rc) rc = open_input(g, "households.csv", &g->hh_csv, hh_names, 10, g->hcol, 9, e);
    if (!rc) rc = open_input(g, "members.csv", &g->mem_csv, mem_names, 9, g->mcol, 9, e);
    if (!rc) rc = open_input(g, "truth.csv", &g->truth_csv, truth_names, 6, g->tcol, 1, e);
    if (!rc) rc = open_outputs(g, e);
    if (!rc && (rc = read_member(g, e)) > 0) rc = 0;
    while (!rc) {
        const struct county_info *ci;
        rc = read_household(g, e);
        if (rc <= 0) break;
        rc = 0;
        if (g->h.county != g->county) {
            rc = finish_county(g, e);
            if (rc) break;
            for (size_t i = 0; i < g->ndone; i++)
                if (g->done_counties[i] == g->h.county) {
                    rc = error_at(e, ERR_INVALID, csv_name(g->hh_csv), csv_line(g->hh_csv), 2,
                                  "households.csv is not grouped by county (county %d again)",
                                  g->h.county);
                    break;
                }
            if (rc) break;
            if (g->ndone < sizeof g->done_counties / sizeof g->done_counties[0])
                g->done_counties[g->ndone++] = g->h.county;
            g->county = g->h.county;
            g->county_index++;
            g->county_members = 0;
            u64map_release(&g->county_ids);
            u64map_init(&g->county_ids);
            urban_regions(g, g->county);
        }
        ci = county_of(g, g->county);
        if (!ci) {
            rc = error_at(e, ERR_INVALID, csv_name(g->hh_csv), csv_line(g->hh_csv), 2,
                          "household in county %d, which counties.csv does not list", g->county);
            break;
        }
        for (int i = 0; i < g->h.n; i++)
            if (u64map_put(&g->county_ids, g->h.m[i].key, 1, NULL) < 0) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
        if (rc) break;
        g->county_members += g->h.n;
        g->household_no++;
        household_records(g, ci);
        household_truth(g, ci);
    }
    if (rc == 0 && !g->pending)
        rc = finish_county(g, e);
    else if (rc == 0)
        rc = error_at(e, ERR_INVALID, csv_name(g->mem_csv), csv_line(g->mem_csv), 2,
                      "member of household %s, which households.csv does not list here",
                      g->pend_hid);
    if (!rc) {
        for (int f = 0; f < D_N; f++) {
            struct out *o = &g->out[f];
            out_flush(o);
            if (o->err || fflush(o->f) || ferror(o->f)) {
                rc = error_set(e, ERR_IO, "%s: write failed: %s", o->tmp,
                               strerror(o->err ? o->err : EIO));
                break;
            }
        }
    }
    for (int f = 0; f < D_N; f++) {
        struct out *o = &g->out[f];
        if (o->f && fclose(o->f) && !rc) rc = error_set(e, ERR_IO, "%s: write failed", o->tmp);
        o->f = NULL;
    }
    if (!rc) {
        ok = 1;
        for (int f = 0; f < D_N && !rc; f++)
            if (rename(g->out[f].tmp, g->out[f].fin))
                rc = error_set(e, ERR_IO, "%s: cannot rename: %s", g->out[f].fin, strerror(errno));
    }
    for (int f = 0; f < D_N; f++) {
        struct out *o = &g->out[f];
        if (o->tmp && !ok) unlink(o->tmp);
        if (o->cd != (iconv_t)-1) iconv_close(o->cd);
        mem_free(o->tmp);
        mem_free(o->fin);
        mem_free(o->buf);
        mem_free(o->conv);
    }
    csv_close(g->hh_csv);
    csv_close(g->mem_csv);
    csv_close(g->truth_csv);
    u64map_release(&g->county_ids);
    mem_free(g->counties);
    mem_free(g);
    return rc;
}
