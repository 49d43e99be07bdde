/*
 * province.c — the synthetic province (synth.h, docs/synthetic.md): seven registry files in
 * the exact canonical format of `pinggu export`, plus the ground truth every later stage is
 * tested against (truth.csv per household, truth-counties.csv per county).
 *
 * Shape. A province is a sequence of counties 0, 1, 2, ... Each county is generated alone,
 * from its own random streams derived from (seed, stream, county index), so county k is the
 * same whatever the number of counties: `--counties 2` is a prefix of `--counties 3`, and
 * `--members N` simply keeps adding counties until N members are written. Inside a county:
 *
 *     county header (stream 'C': type, exit year, truth parameters, names, standards)
 *       └ townships (all written at once)          ┐
 *          └ villages, one at a time               │ stream 'B' of the county, consumed in
 *             └ households, one at a time          │ this fixed order
 *                └ members (≤ 7, in a small array) ┘
 *       county row, projects, truth-counties row at its end (they need its totals)
 *
 * Cities are laid out from stream 'L' (2–5 counties per city in a first pass, then one more
 * per city in round-robin passes), so a county's code depends only on its index. Evaluators
 * (stream 'E') are written per city when its first county appears, the provincial cadres at
 * the start.
 *
 * Invariants.
 *  1. Determinism: output depends only on the options (seed, province, counties/members,
 *     year); no clock, no rand(), no libm transcendental function (only + - * / and sqrt,
 *     which IEEE 754 rounds exactly), no uninitialised byte.
 *  2. Bounded memory: nothing grows with the number of households or members. The largest
 *     allocations are the nine 1 MiB output buffers, the per-county village plan (≤ 500
 *     villages) and the ID sequence counters (one uint16 per birth date and sex, reset per
 *     county): about 10 MiB in all, for any size.
 *  3. Canonical format: every value is written as export.c writes it after an import (integers
 *     in decimal, numbers as %.15g would print them, booleans 0/1, codes canonical, empty for
 *     NULL), so synth → import → export reproduces the seven files byte for byte. Hot-path
 *     numbers are fixed-point integers printed by hand with trailing zeros stripped, which is
 *     exactly what %.15g prints for them.
 *  4. Truth by construction: a household's `poor` is computed from its true income and five
 *     items, never set separately, and every failing item is backed by its members' rows
 *     (education 0 ⇔ a child aged 8–15 out of school; medical 0 ⇔ a member without basic
 *     medical and serious-illness insurance; unsafe_house 1 ⇒ housing 0). The county rates
 *     of truth-counties.csv are counted from those same households.
 *  5. Atomicity: every file is written as DIR/.NAME.tmp and renamed only when all are
 *     complete; on any failure the temporaries are removed and DIR keeps what it had.
 *  6. Every row is shorter than ROWMAX bytes, so one flush check per row keeps a buffer from
 *     overflowing.
 */
#include "synth.h"
#include "../registry/registry.h" /* registry_files: the canonical column order written */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ random numbers */

/* base.h's splitmix64; the salt keeps this generator's streams apart from the others'. */
static void rng_init(struct rng *r, uint64_t seed, uint64_t stream, uint64_t index)
{
    rng_stream(r, seed + 0x5851f42d4c957f2dULL, stream, index);
}

static double rng_range(struct rng *r, double a, double b)
{
    return a + (b - a) * rng_u(r);
}

/* Approximately standard normal (Irwin–Hall sum of 12 uniforms): no libm needed. */
static double rng_normal(struct rng *r)
{
    double s = 0;
    for (int i = 0; i < 12; i++) s += rng_u(r);
    return s - 6.0;
}

/* Index drawn with probability proportional to w[i] (w non-negative, not all 0). */
static int rng_pick(struct rng *r, const double *w, int n)
{
    double total = 0, x;
    for (int i = 0; i < n; i++) total += w[i];
    x = rng_u(r) * total;
    for (int i = 0; i < n; i++) {
        if (x < w[i]) return i;
        x -= w[i];
    }
    for (int i = n - 1; i > 0; i--)
        if (w[i] > 0) return i;
    return 0;
}

/* x rounded to `dec` decimals, as a double (so it prints with %.15g as those decimals). */
static double round_dec(double x, int dec)
{
    double f = 1;
    for (int i = 0; i < dec; i++) f *= 10;
    return (double)(int64_t)(x * f + (x < 0 ? -0.5 : 0.5)) / f;
}

/* ------------------------------------------------------------------ buffered output */

#define OUTBUF (1 << 20)
#define ROWMAX 8192

struct out {
    FILE *f;
    char *buf;  /* owned, OUTBUF bytes */
    size_t len; /* bytes pending in buf */
    char *tmp;  /* owned: DIR/.NAME.tmp */
    char *fin;  /* owned: DIR/NAME */
    int err;    /* errno of the first failed write, 0 if none */
};

static void out_flush(struct out *o)
{
    if (o->len && !o->err && fwrite(o->buf, 1, o->len, o->f) != o->len)
        o->err = errno ? errno : EIO;
    o->len = 0;
}

static void out_mem(struct out *o, const char *s, size_t n)
{
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
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) o->buf[o->len++] = tmp[--n];
}

static void out_i64(struct out *o, int64_t v)
{
    if (v < 0) {
        out_ch(o, '-');
        out_u64(o, (uint64_t)0 - (uint64_t)v);
    } else {
        out_u64(o, (uint64_t)v);
    }
}

/* v / 10^dec, printed as %.15g prints it (v small enough: no exponent), e.g. 350,2 → 3.5. */
static void out_fixed(struct out *o, int64_t v, int dec)
{
    int64_t f = 1;
    int64_t ip, fp;
    char digs[8];
    int nd = dec;
    for (int i = 0; i < dec; i++) f *= 10;
    if (v < 0) {
        out_ch(o, '-');
        v = -v;
    }
    ip = v / f;
    fp = v % f;
    out_u64(o, (uint64_t)ip);
    if (!fp) return;
    for (int i = dec - 1; i >= 0; i--) {
        digs[i] = (char)('0' + fp % 10);
        fp /= 10;
    }
    while (nd > 0 && digs[nd - 1] == '0') nd--;
    out_ch(o, '.');
    out_mem(o, digs, (size_t)nd);
}

static void out_double(struct out *o, double v)
{
    char buf[40];
    int n = snprintf(buf, sizeof buf, "%.15g", v);
    out_mem(o, buf, (size_t)n);
}

static void out_int_or_empty(struct out *o, int64_t v)
{
    if (v) out_i64(o, v);
}

static void out_bool(struct out *o, int b)
{
    out_ch(o, b ? '1' : '0');
}

/* -1 empty, else 0/1. */
static void out_tri(struct out *o, int b)
{
    if (b >= 0) out_bool(o, b);
}

static void out_sep(struct out *o)
{
    out_ch(o, ',');
}

static void out_end(struct out *o)
{
    out_ch(o, '\n');
    if (o->len > OUTBUF - ROWMAX) out_flush(o);
}

/* ------------------------------------------------------------------ files */

enum {
    F_COUNTIES,
    F_TOWNSHIPS,
    F_VILLAGES,
    F_HOUSEHOLDS,
    F_MEMBERS,
    F_PROJECTS,
    F_EVALUATORS,
    F_TRUTH,
    F_TRUTH_COUNTIES,
    F_N
};

static const char *const file_names[F_N] = {
    "counties.csv", "townships.csv",  "villages.csv", "households.csv",    "members.csv",
    "projects.csv", "evaluators.csv", "truth.csv",    "truth-counties.csv"};

static const char truth_header[] =
    "household_id,income,stable_income,food_clothing,water,education,medical,housing,"
    "policy_effect,poor,payroll,vehicle,commercial_housing,business,knows_exit,approves";
static const char truth_counties_header[] =
    "county,wrong_exit_param,missed_param,wrong_exit_true,missed_true,approval_exited_true,"
    "approval_general_true,line";

/* ------------------------------------------------------------------ names */

/* Concatenated 3-byte UTF-8 characters (all in the BMP CJK block). */
static const char surnames[] =
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜"
    "叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛段雷龙黎史陶贺"
    "毛郝顾龚邵万武钱戴严莫孔向常汤康易乔赖文施洪";
static const char given_male[] =
    "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林洋建国志文海峰东春德成兵亮"
    "新金福生才荣贵山民永保忠庆祥发";
static const char given_female[] =
    "芳娜敏静丽艳娟霞秀英华玲桂兰萍红梅琳燕雪婷慧倩颖洁佳丹莉淑凤珍云月琴美翠荣巧欣怡梦晨"
    "悦思雨香";
static const char place_syll[] =
    "安宁平阳山河城江泉丰庆兴和东西南长永新金石桥清云凤龙溪岳林湖源华定远昌康泰寿宣霍怀宿"
    "舒潜望颍涡蒙利临太广德泾旌绩祁休池青繁含巢庐岗集店圩埠庄湾坪岭沟坝堡营寨桃柳杨梅竹松"
    "柏花茶谷";

#define NCHARS(s) ((int)((sizeof(s) - 1) / 3))

static void add_char(char *buf, size_t *len, const char *set, int i)
{
    memcpy(buf + *len, set + 3 * i, 3);
    *len += 3;
}

/* Two place syllables (not the same twice) + suffix into buf (>= 32 bytes). */
static void place_name(struct rng *r, char *buf, const char *suffix)
{
    size_t len = 0;
    int a = rng_int(r, 0, NCHARS(place_syll) - 1), b = rng_int(r, 0, NCHARS(place_syll) - 2);
    if (b >= a) b++;
    add_char(buf, &len, place_syll, a);
    add_char(buf, &len, place_syll, b);
    snprintf(buf + len, 32 - len, "%s", suffix);
}

/* Surname index biased towards the common ones (the list is in frequency order). */
static int draw_surname(struct rng *r)
{
    double u = rng_u(r);
    return (int)(u * u * NCHARS(surnames));
}

/* ------------------------------------------------------------------ calendar and the line */

/* The national rural poverty line in current prices, yuan per person per year (the 2010
 * constant-price standard of 2300 yuan, as announced each year); 4000 from 2020 on, the
 * figure the district questionnaire of seed 004 uses. */
static int income_line(int year)
{
    static const int line[] = {2800, 2855, 2952, 2952, 2995, 3218}; /* 2014..2019 */
    if (year <= 2014) return line[0];
    if (year <= 2019) return line[year - 2014];
    return 4000;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Day of year 0..364/365 → month*100 + day. */
static int month_day(int y, int doy)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int m = 0; m < 12; m++) {
        int d = mdays[m] + (m == 1 && is_leap(y));
        if (doy < d) return (m + 1) * 100 + doy + 1;
        doy -= d;
    }
    return 1231;
}

/* ------------------------------------------------------------------ layout of cities */

#define NCITY        97  /* city codes 01..99 without 09 and 14 (as Anhui) */
#define COUNTY_SLOTS 99  /* county numbers 21..99, then 01..20 */
#define AGE_SPAN     111 /* birth years year-110 .. year */
#define DATE_SLOTS   (AGE_SPAN * 372)

static int city_code_at(int i)
{
    int c = i + 1;
    if (c >= 9) c++;
    if (c >= 14) c++;
    return c;
}

/* County number (2 digits) of a city's idx-th county (0-based). */
static int county_number(int idx)
{
    return idx < 79 ? 21 + idx : idx - 79 + 1;
}

/* Where county k lies: city index and the county's index within the city. -1 if the
 * province has no room left (97 cities × 99 counties). */
static int layout_county(const int *ncity, int k, int *city, int *idx)
{
    int rest = k;
    for (int c = 0; c < NCITY; c++) {
        if (rest < ncity[c]) {
            *city = c, *idx = rest;
            return 0;
        }
        rest -= ncity[c];
    }
    for (int round = 1; round <= COUNTY_SLOTS; round++) {
        int any = 0;
        for (int c = 0; c < NCITY; c++) {
            if (ncity[c] + round > COUNTY_SLOTS) continue;
            any = 1;
            if (rest == 0) {
                *city = c, *idx = ncity[c] + round - 1;
                return 0;
            }
            rest--;
        }
        if (!any) break;
    }
    return -1;
}

/* ------------------------------------------------------------------ the model */

enum { T_DEEP, T_PLANNED, T_EXITED, T_NONKEY };
static const char *const type_codes[] = {"deep", "planned_exit", "exited", "non_key"};

enum { R_EAST, R_CENTRAL, R_WEST };
static const char *const region_codes[] = {"east", "central", "west"};

enum { REL_HEAD, REL_SPOUSE, REL_CHILD, REL_CHILD_IN_LAW, REL_GRANDCHILD, REL_PARENT };
static const char *const rel_codes[] = {"head",         "spouse",     "child",
                                        "child_in_law", "grandchild", "parent"};
enum { ED_NONE, ED_PRE, ED_PRIMARY, ED_JUNIOR, ED_SENIOR, ED_VOC, ED_COLLEGE };
static const char *const edu_codes[] = {"none",   "preschool",  "primary", "junior",
                                        "senior", "vocational", "college"};
enum { H_HEALTHY, H_CHRONIC, H_SERIOUS, H_DISABLED };
static const char *const health_codes[] = {"healthy", "chronic", "serious", "disabled"};
enum { L_NORMAL, L_SKILLED, L_WEAK, L_LOST, L_NONE };
static const char *const labour_codes[] = {"normal", "skilled", "weak", "lost", "none"};

/* West: the twelve western provinces (Inner Mongolia and Guangxi included); central: the
 * eight central ones (with Jilin and Heilongjiang, as the assessment's thresholds treat
 * them); east otherwise. */
static int region_of(int province)
{
    static const int west[] = {15, 45, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65};
    static const int central[] = {14, 22, 23, 34, 36, 41, 42, 43};
    for (size_t i = 0; i < sizeof west / sizeof west[0]; i++)
        if (west[i] == province) return R_WEST;
    for (size_t i = 0; i < sizeof central / sizeof central[0]; i++)
        if (central[i] == province) return R_CENTRAL;
    return R_EAST;
}

/* What is fixed about a county before its body is generated (stream 'C'). */
struct county {
    int index;
    int code;       /* 6 digits */
    int city_index; /* 0..NCITY-1 */
    int city_code;  /* 4 digits */
    char name[32], city_name[32];
    int type;         /* T_* */
    int exit_year;    /* 0 unless exited */
    int paired_with;  /* county code or 0 */
    double allowance; /* yuan per person per year */
    double rep_incidence, rep_wrong, rep_missed, rep_approval;
    /* truth parameters */
    double wrong_p, missed_p, knows_p, approve_p, edge_p, monitored_p;
    double reg_share; /* registered share of households (before village factors) */
    double poor_village_share;
    double exit_share; /* share of registered households exited by the year */
};

/* Counters of one county, for its row and truth-counties.csv. */
struct cstat {
    int64_t members;
    int64_t exited_persons, wrong_persons, general_persons, missed_persons;
    int64_t asked_exited, knows, asked_general, approves;
};

/* A village of the county plan (names and codes are needed again for projects). */
struct vplan {
    int64_t code;
    char name[32];
    int poor, exit_year, groups, nhh;
    double remoteness;
    int water_bad; /* a water indicator fails: poor households lean to the water item */
};

struct tplan {
    int code;
    char name[32];
    int key;
    int nvil;
};

#define MAXTOWN 25
#define MAXVIL  (MAXTOWN * 20)
#define MAXM    8

struct person {
    int age, sex, rel, birth; /* sex 1 male 2 female; birth YYYYMMDD */
    int sur, g1, g2;          /* name: surname and given characters (g2 < 0: one) */
    int edu, in_school, health, labour, med, ill, pension, cert;
    char id[19];
};

struct hh {
    int n;
    struct person m[MAXM];
    int registered, iy, ey, returned, ry, edge, monitored;
    int allowance, hardship, disability, illness, unsafe, relocated;
    int64_t reg_cents;  /* registry income in cents, -1 = empty */
    int64_t true_cents; /* true income in cents */
    int stable, food, water, edu, med, housing, policy, poor;
    int payroll, vehicle, commercial, business, knows, approves; /* -1 = empty */
};

struct synth {
    const struct synth_opts *o;
    int year, line, region;
    struct out out[F_N];
    uint16_t *seq; /* owned: DATE_SLOTS * 2 ID sequence counters of the current county */
    int ncity[NCITY];
    int cities_written; /* cities whose evaluators are written (a prefix, by index) */
    uint64_t members_total;
    struct progress prog;
    struct tplan town[MAXTOWN];
    struct vplan vil[MAXVIL];
    int ntown, nvil;
    struct hh h; /* the current household */
};

/* ------------------------------------------------------------------ county header */

static void city_name(const struct synth *s, int city, char *buf)
{
    struct rng r;
    rng_init(&r, s->o->seed, 'Y', (uint64_t)city);
    place_name(&r, buf, "市");
}

static int county_code_of(const struct synth *s, int k, int *city)
{
    int c, idx;
    if (layout_county(s->ncity, k, &c, &idx)) return -1;
    if (city) *city = c;
    return s->o->province * 10000 + city_code_at(c) * 100 + county_number(idx);
}

static void county_header(const struct synth *s, int k, struct county *c)
{
    struct rng r;
    int Y = s->year, latest_exit = Y - 1 > 2020 ? 2020 : Y - 1;
    double u;
    memset(c, 0, sizeof *c);
    rng_init(&r, s->o->seed, 'C', (uint64_t)k);
    c->index = k;
    c->code = county_code_of(s, k, &c->city_index);
    c->city_code = c->code / 100;
    city_name(s, c->city_index, c->city_name);
    place_name(&r, c->name, "县");

    /* type: counties 0 and 1 exited last year (the national plan's frame); 2..5 are
     * planned_exit, exited earlier, deep and non_key, so the default demo of six has every
     * type; later counties at random (55% exited, 20% planned_exit, 10% deep, 15% non_key) */
    u = k == 2 ? 0.6 : k == 3 ? 0.1 : k == 4 ? 0.8 : k == 5 ? 0.9 : rng_u(&r);
    if (k <= 1 || u < 0.55) {
        c->type = T_EXITED;
        if (k <= 1 || (k != 3 && rng_bern(&r, 0.45)))
            c->exit_year = latest_exit;
        else
            c->exit_year = rng_int(&r, 2016, latest_exit - 1 < 2016 ? 2016 : latest_exit - 1);
    } else if (u < 0.75) {
        c->type = T_PLANNED;
    } else if (u < 0.85) {
        c->type = T_DEEP;
    } else {
        c->type = T_NONKEY;
    }
    if (c->type == T_EXITED && latest_exit < 2016) c->type = T_PLANNED, c->exit_year = 0;
    if ((c->type == T_PLANNED || c->type == T_DEEP) && Y > 2020)
        c->type = T_EXITED, c->exit_year = 2020; /* every poor county had exited by 2020 */

    if (c->type == T_NONKEY) {
        c->reg_share = rng_range(&r, 0.03, 0.10);
        c->poor_village_share = rng_range(&r, 0.05, 0.12);
    } else {
        c->reg_share = rng_range(&r, 0.10, 0.30);
        c->poor_village_share = rng_range(&r, 0.25, 0.35);
    }
    c->exit_share = c->type == T_EXITED    ? rng_range(&r, 0.95, 0.98)
                    : c->type == T_PLANNED ? rng_range(&r, 0.92, 0.96)
                    : c->type == T_DEEP    ? rng_range(&r, 0.65, 0.80)
                                           : rng_range(&r, 0.88, 0.95);

    /* truth parameters: ~1 in 4 counties with a wrong-exit problem, ~1 in 5 with missed */
    u = rng_u(&r);
    c->wrong_p = u < 0.25 ? rng_range(&r, 0.03, 0.07) : rng_range(&r, 0.002, 0.015);
    u = rng_u(&r);
    c->missed_p = u < 0.20 ? rng_range(&r, 0.03, 0.06) : rng_range(&r, 0.002, 0.015);
    if (k == 0) c->wrong_p = 0.05, c->missed_p = 0.008;
    if (k == 1) c->wrong_p = 0.005, c->missed_p = 0.005;
    if (k == 2) c->wrong_p = 0.01, c->missed_p = 0.04;
    c->wrong_p = round_dec(c->wrong_p, 4);
    c->missed_p = round_dec(c->missed_p, 4);
    c->knows_p = round_dec(rng_range(&r, 0.88, 0.99), 3);
    c->approve_p = round_dec(rng_range(&r, 0.88, 0.98), 3);
    c->edge_p = rng_range(&r, 0.01, 0.03);
    c->monitored_p = rng_range(&r, 0.02, 0.05);

    /* local allowance standard: ~1 in 10 at or below the line (no-exit case 8) */
    u = rng_u(&r);
    if (k == 2 || u < 0.05)
        c->allowance = s->line;
    else if (u < 0.10)
        c->allowance = s->line - 10 * rng_int(&r, 5, 30);
    else
        c->allowance = 10 * (int)(s->line * rng_range(&r, 1.1, 1.7) / 10);

    c->rep_incidence = round_dec(rng_range(&r, 0.003, s->region == R_WEST ? 0.028 : 0.019), 4);
    c->rep_wrong = round_dec(rng_range(&r, 0, 0.015), 4);
    c->rep_missed = round_dec(rng_range(&r, 0, 0.015), 4);
    c->rep_approval = round_dec(rng_range(&r, 0.92, 0.99), 4);

    if (k >= 1 && c->type != T_NONKEY && rng_bern(&r, 0.3))
        c->paired_with = county_code_of(s, rng_int(&r, 0, k - 1), NULL);
}

/* ------------------------------------------------------------------ evaluators */

static void write_name(struct out *o, struct rng *r, int sex)
{
    char buf[16];
    size_t len = 0;
    const char *set = sex == 1 ? given_male : given_female;
    int n = sex == 1 ? NCHARS(given_male) : NCHARS(given_female);
    add_char(buf, &len, surnames, draw_surname(r));
    add_char(buf, &len, set, rng_int(r, 0, n - 1));
    if (rng_bern(r, 0.7)) add_char(buf, &len, set, rng_int(r, 0, n - 1));
    out_mem(o, buf, len);
}

static void evaluator_row(struct synth *s, struct rng *r, int city4, int no, const char *level,
                          const char *position)
{
    struct out *o = &s->out[F_EVALUATORS];
    double score = 80 + 15.6 * rng_normal(r);
    if (score < 0) score = 0;
    if (score > 100) score = 100;
    out_ch(o, 'E');
    out_u64(o, (uint64_t)city4);
    out_ch(o, '-');
    if (no < 10) out_ch(o, '0');
    out_u64(o, (uint64_t)no);
    out_sep(o);
    write_name(o, r, rng_bern(r, 0.7) ? 1 : 2);
    out_sep(o);
    out_u64(o, (uint64_t)(city4 % 100 ? city4 : s->o->province * 100 + city_code_at(0)));
    out_sep(o);
    out_str(o, level);
    out_sep(o);
    out_str(o, position);
    out_sep(o);
    out_bool(o, rng_bern(r, 0.5));
    out_sep(o);
    out_fixed(o, (int64_t)(score * 10 + 0.5), 1);
    out_end(o);
}

/* The provincial departments' division cadres (deputies); home city: the capital (PP01). */
static void evaluators_province(struct synth *s)
{
    struct rng r;
    rng_init(&r, s->o->seed, 'E', 0);
    for (int i = 1; i <= 20; i++)
        evaluator_row(s, &r, s->o->province * 100, i, "province", "division");
}

/* A city's 34: 1–2 directors, city cadres, county/township/village cadres (≥ 60%),
 * experts and students of institutes. */
static void evaluators_city(struct synth *s, int city)
{
    struct rng r;
    int city4 = s->o->province * 100 + city_code_at(city), no = 1;
    int nd, nexp, nstu, ncity, nlocal;
    rng_init(&r, s->o->seed, 'E', (uint64_t)city + 1);
    nd = rng_int(&r, 1, 2);
    nexp = rng_int(&r, 2, 4);
    nstu = rng_int(&r, 1, 3);
    ncity = rng_int(&r, 2, 3);
    nlocal = 34 - nd - nexp - nstu - ncity;
    for (int i = 0; i < nd; i++) evaluator_row(s, &r, city4, no++, "city", "director");
    for (int i = 0; i < ncity; i++) evaluator_row(s, &r, city4, no++, "city", "cadre");
    for (int i = 0; i < nlocal; i++) {
        double u = rng_u(&r);
        evaluator_row(s, &r, city4, no++,
                      u < 0.5    ? "county"
                      : u < 0.85 ? "township"
                                 : "village",
                      "cadre");
    }
    for (int i = 0; i < nexp; i++) evaluator_row(s, &r, city4, no++, "institute", "expert");
    for (int i = 0; i < nstu; i++) evaluator_row(s, &r, city4, no++, "institute", "student");
}

/* ------------------------------------------------------------------ county plan */

static void plan_county(struct synth *s, const struct county *c, struct rng *r)
{
    int Y = s->year;
    double u;
    s->ntown = 10 + (int)(16 * (u = rng_u(r), u * u * u));
    if (s->ntown > MAXTOWN) s->ntown = MAXTOWN;
    s->nvil = 0;
    for (int t = 0; t < s->ntown; t++) {
        struct tplan *tp = &s->town[t];
        tp->code = c->code * 1000 + 101 + t;
        place_name(r, tp->name, rng_bern(r, 0.6) ? "镇" : "乡");
        tp->key = rng_bern(r, 0.3);
        tp->nvil = 8 + (int)(13 * (u = rng_u(r), u * u));
        if (tp->nvil > 20) tp->nvil = 20;
        for (int j = 0; j < tp->nvil; j++) {
            struct vplan *v = &s->vil[s->nvil++];
            double u1 = rng_u(r), u2 = rng_u(r);
            v->code = (int64_t)tp->code * 1000 + 201 + j;
            place_name(r, v->name, "村");
            /* key townships lie further out */
            v->remoteness = round_dec(tp->key ? (u1 > u2 ? u1 : u2) : u1, 3);
            v->poor = rng_bern(r, c->poor_village_share * (0.6 + 0.8 * v->remoteness));
            v->exit_year = 0;
            if (v->poor && Y >= 2016) {
                int last = c->type == T_EXITED ? c->exit_year : Y;
                double pe = c->type == T_EXITED    ? 1.0
                            : c->type == T_PLANNED ? 0.9
                            : c->type == T_DEEP    ? 0.6
                                                   : 0.9;
                if (last > 2020) last = 2020 > Y ? Y : 2020;
                if (rng_bern(r, pe)) v->exit_year = rng_int(r, 2016, last < 2016 ? 2016 : last);
            }
            v->groups = rng_int(r, 3, 12);
            v->nhh = 200 + (int)(401 * (u = rng_u(r), u * u * u * u));
            if (v->nhh > 600) v->nhh = 600;
            v->water_bad = 0;
        }
    }
}

static void write_townships(struct synth *s)
{
    struct out *o = &s->out[F_TOWNSHIPS];
    for (int t = 0; t < s->ntown; t++) {
        out_u64(o, (uint64_t)s->town[t].code);
        out_sep(o);
        out_str(o, s->town[t].name);
        out_sep(o);
        out_bool(o, s->town[t].key);
        out_end(o);
    }
}

/* ------------------------------------------------------------------ households */

/* Registry history: identified year, exit year, return. */
static void draw_history(struct synth *s, const struct county *c, struct rng *r, struct hh *h)
{
    int Y = s->year;
    h->iy = (Y <= 2014 || rng_bern(r, 0.86)) ? 2014 : rng_int(r, 2015, Y);
    h->ey = 0;
    if (h->iy == Y ? rng_bern(r, 0.1) : rng_bern(r, c->exit_share)) {
        static const double base[] = {0.5, 0.9, 1.3, 1.4, 1.3, 1.0, 0.8}; /* 2014..2020 */
        double w[128];
        int n = 0, from = h->iy;
        for (int y = from; y <= Y && n < 128; y++, n++) {
            w[n] = y - 2014 < 7 ? base[y - 2014] : 0.1;
            if (c->type == T_EXITED && y > c->exit_year) w[n] *= 0.6;
            if (c->type == T_DEEP && y == Y) w[n] *= 1.5;
        }
        h->ey = from + rng_pick(r, w, n);
    }
    h->returned = 0;
    h->ry = 0;
    if (h->ey && h->ey < Y && rng_bern(r, 0.008)) {
        h->returned = 1;
        h->ry = rng_int(r, h->ey + 1, Y);
    }
}

static int clamp_age(int a)
{
    return a < 0 ? 0 : a > 100 ? 100 : a;
}

static void add_person(struct hh *h, int rel, int age, int sex, int sur)
{
    struct person *p = &h->m[h->n++];
    memset(p, 0, sizeof *p);
    p->rel = rel;
    p->age = clamp_age(age);
    p->sex = sex;
    p->sur = sur;
}

/* Members' relations, ages, sexes and surnames for a household of n (1..7). */
static void make_family(struct rng *r, struct hh *h, int n)
{
    int sur = draw_surname(r), other = draw_surname(r);
    int hsex = rng_bern(r, 0.88) ? 1 : 2;
    h->n = 0;
    if (n == 1) {
        double a = rng_u(r), b = rng_u(r);
        add_person(h, REL_HEAD, 35 + (int)(58 * (a > b ? a : b)), rng_bern(r, 0.6) ? 1 : 2, sur);
        return;
    }
    if (n >= 4 && rng_bern(r, 0.35)) { /* three generations under an older head */
        int head = rng_int(r, 52, 78);
        int child = head - rng_int(r, 22, 32);
        int csex = rng_bern(r, 0.75) ? 1 : 2;
        int gmax = child - 20 > 17 ? 17 : child - 20;
        add_person(h, REL_HEAD, head, hsex, sur);
        add_person(h, REL_SPOUSE, head + rng_int(r, -5, 3), 3 - hsex, other);
        add_person(h, REL_CHILD, child, csex, sur);
        add_person(h, REL_CHILD_IN_LAW, child + rng_int(r, -3, 3), 3 - csex, draw_surname(r));
        while (h->n < n)
            add_person(h, REL_GRANDCHILD, rng_int(r, 0, gmax < 0 ? 0 : gmax),
                       rng_bern(r, 0.52) ? 1 : 2, csex == 1 ? sur : other);
        return;
    }
    {
        int spouse = !(rng_bern(r, 0.1));
        int head, slots, cmax;
        if (n == 2) {
            double a = rng_u(r), b = rng_u(r);
            head = 30 + (int)(55 * (a > b ? a : b));
        } else {
            head = rng_int(r, 28, 60);
        }
        add_person(h, REL_HEAD, head, hsex, sur);
        if (spouse) add_person(h, REL_SPOUSE, head + rng_int(r, -5, 3), 3 - hsex, other);
        slots = n - h->n;
        if (slots >= 2 && head <= 58 && rng_bern(r, 0.3)) {
            int np = slots >= 3 && rng_bern(r, 0.5) ? 2 : 1;
            int pa = head + rng_int(r, 22, 32);
            add_person(h, REL_PARENT, pa, 1, sur);
            if (np == 2)
                add_person(h, REL_PARENT, pa + rng_int(r, -4, 2), 2, draw_surname(r));
            else
                h->m[h->n - 1].sex = rng_bern(r, 0.4) ? 1 : 2;
            if (h->m[h->n - 1].sex == 2 && np == 1) h->m[h->n - 1].sur = draw_surname(r);
        }
        /* children born when the head was 20..40 */
        cmax = head - 20 < 0 ? 0 : head - 20;
        while (h->n < n)
            add_person(h, REL_CHILD, rng_int(r, head - 40 < 0 ? 0 : head - 40, cmax),
                       rng_bern(r, 0.52) ? 1 : 2, hsex == 1 ? sur : other);
    }
}

static int draw_size(struct rng *r)
{
    static const double w[7] = {0.12, 0.22, 0.24, 0.21, 0.12, 0.06, 0.03};
    return 1 + rng_pick(r, w, 7);
}

static void person_health(struct rng *r, struct person *p, int registered)
{
    double dis, ser, chr, u = rng_u(r);
    if (p->age < 16) {
        dis = 0.008, ser = 0.003, chr = 0.01;
    } else {
        dis = registered ? 0.07 : 0.03;
        ser = registered ? 0.025 : 0.01;
        chr = p->age < 40 ? 0.03 : p->age < 60 ? 0.12 : 0.30;
        if (registered) chr += 0.05;
    }
    p->health = u < dis               ? H_DISABLED
                : u < dis + ser       ? H_SERIOUS
                : u < dis + ser + chr ? H_CHRONIC
                                      : H_HEALTHY;
}

/* Schooling, labour, insurance and certificate from age and health (everyone insured here;
 * the medical failure, if any, is applied afterwards). */
static void person_attributes(struct rng *r, struct person *p)
{
    int a = p->age;
    double u = rng_u(r);
    if (a < 3)
        p->edu = ED_NONE, p->in_school = 0;
    else if (a < 6)
        p->in_school = rng_bern(r, 0.85), p->edu = p->in_school ? ED_PRE : ED_NONE;
    else if (a < 12)
        p->edu = ED_PRIMARY, p->in_school = 1;
    else if (a < 15)
        p->edu = ED_JUNIOR, p->in_school = 1;
    else if (a == 15)
        p->in_school = 1, p->edu = rng_bern(r, 0.7) ? ED_JUNIOR : ED_SENIOR;
    else if (a < 19) {
        p->in_school = rng_bern(r, 0.75);
        p->edu = p->in_school ? (rng_bern(r, 0.6) ? ED_SENIOR : ED_VOC) : ED_JUNIOR;
    } else if (a < 23) {
        p->in_school = rng_bern(r, 0.25);
        p->edu = p->in_school ? ED_COLLEGE : rng_bern(r, 0.6) ? ED_JUNIOR : ED_SENIOR;
    } else if (a < 60) {
        static const double w[7] = {0.05, 0, 0.25, 0.45, 0.12, 0.06, 0.07};
        p->in_school = 0;
        p->edu = rng_pick(r, w, 7);
    } else {
        static const double w[7] = {0.35, 0, 0.45, 0.15, 0.05, 0, 0};
        p->in_school = 0;
        p->edu = rng_pick(r, w, 7);
    }
    if (a < 16 || p->in_school)
        p->labour = L_NONE;
    else if (p->health == H_DISABLED)
        p->labour = u < 0.4 ? L_LOST : u < 0.8 ? L_WEAK : L_NORMAL;
    else if (p->health == H_SERIOUS)
        p->labour = u < 0.5 ? L_LOST : L_WEAK;
    else if (a >= 70)
        p->labour = u < 0.5 ? L_NONE : u < 0.85 ? L_WEAK : L_LOST;
    else if (a >= 60)
        p->labour = u < 0.5 ? L_WEAK : L_NORMAL;
    else if (p->health == H_CHRONIC)
        p->labour = u < 0.5 ? L_WEAK : L_NORMAL;
    else
        p->labour = u < 0.75 ? L_NORMAL : L_SKILLED;
    p->med = 1;
    p->ill = 1;
    p->pension = a >= 16 && a < 60 && !p->in_school && rng_bern(r, 0.9);
    p->cert = p->health == H_DISABLED && rng_bern(r, 0.85) ? rng_int(r, 1, 4) : 0;
}

/* Birth date, resident ID and name of every member. Returns -1 if the county ran out of ID
 * sequence numbers (it cannot at the sizes generated: 500 per birth date and sex). */
static int person_ids(struct synth *s, const struct county *c, struct rng *r, struct hh *h)
{
    for (int i = 0; i < h->n; i++) {
        struct person *p = &h->m[i];
        int by = s->year - p->age, ndays = is_leap(by) ? 366 : 365;
        int doy = rng_int(r, 0, ndays - 1), tries;
        int md = 0, slot = 0, cnt = 0, cap = p->sex == 1 ? 500 : 499, seq;
        char d[18];
        for (tries = 0; tries < ndays; tries++) {
            md = month_day(by, (doy + tries) % ndays);
            slot =
                ((by - (s->year - (AGE_SPAN - 1))) * 372 + (md / 100 - 1) * 31 + md % 100 - 1) * 2 +
                (p->sex - 1);
            cnt = s->seq[slot];
            if (cnt < cap) break;
        }
        if (tries == ndays) return -1;
        s->seq[slot] = (uint16_t)(cnt + 1);
        /* a bijection of the counter onto the sequence numbers of that sex */
        seq = p->sex == 1 ? 2 * ((cnt * 193 + slot) % 500) + 1 : 2 * ((cnt * 193 + slot) % 499) + 2;
        p->birth = by * 10000 + md;
        snprintf(d, sizeof d, "%06d%08d%03d", c->code, p->birth, seq);
        memcpy(p->id, d, 17);
        p->id[17] = ids_check_char(d);
        p->id[18] = '\0';
        {
            int ng = p->sex == 1 ? NCHARS(given_male) : NCHARS(given_female);
            p->g1 = rng_int(r, 0, ng - 1);
            p->g2 = rng_bern(r, 0.65) ? rng_int(r, 0, ng - 1) : -1;
        }
    }
    return 0;
}

enum { IT_FOOD, IT_WATER, IT_EDU, IT_MED, IT_HOUSING, IT_N };

/* Applies one failing item to the household and its members. */
static void fail_item(struct rng *r, struct hh *h, int item, double unsafe_p)
{
    switch (item) {
    case IT_FOOD:
        h->food = 0;
        break;
    case IT_WATER:
        h->water = 0;
        break;
    case IT_EDU: {
        int idx[MAXM], k = 0;
        for (int i = 0; i < h->n; i++)
            if (h->m[i].age >= 8 && h->m[i].age <= 15) idx[k++] = i;
        if (k) {
            struct person *p = &h->m[idx[rng_int(r, 0, k - 1)]];
            p->in_school = 0;
            p->edu = p->age <= 12 ? ED_PRIMARY : ED_JUNIOR;
            h->edu = 0;
        }
        break;
    }
    case IT_MED: {
        int k = rng_bern(r, 0.7) ? 1 : 2;
        for (int j = 0; j < k; j++) {
            struct person *p = &h->m[rng_int(r, 0, h->n - 1)];
            p->med = 0;
            p->ill = 0;
        }
        h->med = 0;
        break;
    }
    case IT_HOUSING:
        h->housing = 0;
        h->unsafe = rng_bern(r, unsafe_p);
        break;
    }
}

static int has_school_child(const struct hh *h)
{
    for (int i = 0; i < h->n; i++)
        if (h->m[i].age >= 8 && h->m[i].age <= 15) return 1;
    return 0;
}

static void fail_items(struct rng *r, struct hh *h, int water_bad, double unsafe_p)
{
    double w[IT_N] = {0.10, water_bad ? 0.40 : 0.20, has_school_child(h) ? 0.15 : 0, 0.25, 0.30};
    int a = rng_pick(r, w, IT_N);
    fail_item(r, h, a, unsafe_p);
    if (rng_bern(r, 0.15)) {
        w[a] = 0;
        fail_item(r, h, rng_pick(r, w, IT_N), unsafe_p);
    }
}

static int64_t cents(double yuan)
{
    return (int64_t)(yuan * 100 + 0.5);
}

/* One household: history, members, truth. Fills s->h. */
static int make_household(struct synth *s, const struct county *c, const struct vplan *v,
                          struct rng *r)
{
    struct hh *h = &s->h;
    double L = s->line, reg_p;
    int64_t Lc = (int64_t)s->line * 100;
    int n = draw_size(r);
    enum { K_GENERAL, K_EXITED, K_WRONG, K_RETURNED, K_UNEXITED_POOR, K_UNEXITED_OK } kind;
    enum { V_NONE, V_EDGE, V_ALLOWANCE, V_ILLNESS, V_DISABILITY } vuln = V_NONE;
    int income_fail = 0, items_fail = 0;

    memset(h, 0, sizeof *h);
    h->reg_cents = -1;
    h->policy = h->knows = h->approves = -1;
    h->food = h->water = h->edu = h->med = h->housing = 1;

    reg_p = c->reg_share * (v->poor ? 1.5 : 0.85) * (0.7 + 0.6 * v->remoteness);
    h->registered = rng_bern(r, reg_p > 0.6 ? 0.6 : reg_p);
    if (h->registered) {
        draw_history(s, c, r, h);
        if (h->returned)
            kind = K_RETURNED;
        else if (h->ey)
            kind = rng_bern(r, c->wrong_p) ? K_WRONG : K_EXITED;
        else
            kind = rng_bern(r, 0.9) ? K_UNEXITED_POOR : K_UNEXITED_OK;
    } else {
        kind = K_GENERAL;
        if (rng_bern(r, c->missed_p)) {
            /* none, edge, allowance, illness, disability: missed prefer the vulnerable */
            static const double w[5] = {0.25, 0.25, 0.20, 0.15, 0.15};
            vuln = rng_pick(r, w, 5);
            kind = K_WRONG; /* "poor but not registered as such": reuse the failure draw */
        }
    }

    make_family(r, h, n);
    for (int i = 0; i < h->n; i++) person_health(r, &h->m[i], h->registered);
    if (vuln == V_ILLNESS || vuln == V_DISABILITY) {
        int i = rng_int(r, 0, h->n - 1);
        h->m[i].health = vuln == V_ILLNESS ? H_SERIOUS : H_DISABLED;
    }
    for (int i = 0; i < h->n; i++) person_attributes(r, &h->m[i]);

    /* failing items and income */
    if (kind == K_WRONG) { /* wrong exit, or missed when general */
        double u = rng_u(r);
        income_fail = u < 0.45 || u >= 0.80;
        items_fail = u >= 0.45;
    } else if (kind == K_RETURNED || kind == K_UNEXITED_POOR) {
        income_fail = rng_bern(r, 0.85);
        items_fail = !income_fail || rng_bern(r, 0.25);
    }
    if (items_fail)
        fail_items(r, h, v->water_bad, !h->registered ? 0.6 : kind == K_WRONG ? 0.3 : 0.8);

    if (income_fail)
        h->true_cents = rng_bern(r, 0.02) ? Lc : cents(L * rng_range(r, 0.5, 1.0));
    else if (kind == K_GENERAL && !h->registered)
        h->true_cents = cents(L * (1.5 + 6 * (rng_u(r) * rng_u(r))));
    else if (!h->registered) /* missed through an item only */
        h->true_cents = cents(L * rng_range(r, 1.05, 1.6));
    else if (kind == K_UNEXITED_OK)
        h->true_cents = cents(L * rng_range(r, 1.2, 2.5));
    else if (kind == K_RETURNED || kind == K_UNEXITED_POOR) /* poor through an item */
        h->true_cents = cents(L * rng_range(r, 1.02, 1.4));
    else { /* exited, truly or wrongly through an item: the registry income is about right */
        double u = rng_u(r);
        h->reg_cents = cents(L * (1.1 + 2.9 * u * u));
        h->true_cents = cents((double)h->reg_cents / 100 * rng_range(r, 0.92, 1.08));
        if (h->true_cents < cents(1.05 * L)) h->true_cents = cents(1.05 * L);
    }
    if (h->registered && h->reg_cents < 0) {
        if (kind == K_WRONG) /* income failing: the registry still shows it above the line */
            h->reg_cents = cents(L * rng_range(r, 1.05, 1.6));
        else if (kind == K_UNEXITED_OK)
            h->reg_cents = cents(L * rng_range(r, 0.85, 1.05));
        else
            h->reg_cents = cents((double)h->true_cents / 100 * rng_range(r, 0.95, 1.05));
    }

    h->poor = h->true_cents <= Lc || !h->food || !h->water || !h->edu || !h->med || !h->housing;
    h->stable = h->poor ? (income_fail ? rng_bern(r, 0.15) : rng_bern(r, 0.7)) : 1;

    /* registry flags */
    if (h->registered) {
        h->allowance = rng_bern(r, h->poor ? 0.35 : 0.2);
        h->hardship = rng_bern(r, h->n == 1 && h->m[0].age >= 60 ? 0.35 : 0.03);
        h->relocated = c->type != T_NONKEY && rng_bern(r, 0.04 + 0.1 * v->remoteness);
        h->monitored = h->ey && !h->returned && rng_bern(r, c->monitored_p * (h->poor ? 3 : 1));
        h->policy = h->poor ? rng_bern(r, 0.7) : 1;
        if (!h->poor && rng_bern(r, h->ey ? 0.02 : 0.3)) {
            int *kinds[4] = {&h->payroll, &h->vehicle, &h->commercial, &h->business};
            *kinds[rng_int(r, 0, 3)] = 1;
        }
        if (h->ey && !h->returned) h->knows = rng_bern(r, h->poor ? c->knows_p - 0.2 : c->knows_p);
    } else {
        h->edge = vuln == V_EDGE || rng_bern(r, c->edge_p);
        h->allowance = vuln == V_ALLOWANCE || rng_bern(r, 0.025);
        h->hardship = rng_bern(r, 0.003);
        if (h->edge && !h->poor) h->true_cents = cents(L * rng_range(r, 1.05, 1.5));
        h->approves = rng_bern(r, h->poor ? c->approve_p - 0.25 : c->approve_p);
    }
    for (int i = 0; i < h->n; i++) {
        if (h->m[i].health == H_DISABLED) h->disability = 1;
        if (h->m[i].health == H_SERIOUS) h->illness = 1;
    }
    return person_ids(s, c, r, h);
}

static void write_household(struct synth *s, const struct vplan *v, int no, int group)
{
    struct hh *h = &s->h;
    struct out *o = &s->out[F_HOUSEHOLDS], *m = &s->out[F_MEMBERS], *t = &s->out[F_TRUTH];
    char hid[24];
    size_t hlen;
    {
        /* village code (12) + 4-digit number */
        int64_t code = v->code;
        for (int i = 11; i >= 0; i--) hid[i] = (char)('0' + code % 10), code /= 10;
        for (int i = 15; i >= 12; i--) hid[i] = (char)('0' + no % 10), no /= 10;
        hlen = 16;
        hid[16] = '\0';
    }
    out_mem(o, hid, hlen);
    out_sep(o);
    out_u64(o, (uint64_t)v->code);
    out_sep(o);
    out_u64(o, (uint64_t)group);
    out_sep(o);
    out_bool(o, h->registered);
    out_sep(o);
    out_int_or_empty(o, h->registered ? h->iy : 0);
    out_sep(o);
    out_int_or_empty(o, h->ey);
    out_sep(o);
    out_bool(o, h->returned);
    out_sep(o);
    out_int_or_empty(o, h->ry);
    out_sep(o);
    out_bool(o, h->edge);
    out_sep(o);
    out_bool(o, h->monitored);
    out_sep(o);
    out_bool(o, h->allowance);
    out_sep(o);
    out_bool(o, h->hardship);
    out_sep(o);
    out_bool(o, h->disability);
    out_sep(o);
    out_bool(o, h->illness);
    out_sep(o);
    out_bool(o, h->unsafe);
    out_sep(o);
    out_bool(o, h->relocated);
    out_sep(o);
    if (h->reg_cents >= 0) out_fixed(o, h->reg_cents, 2);
    out_end(o);

    for (int i = 0; i < h->n; i++) {
        const struct person *p = &h->m[i];
        const char *set = p->sex == 1 ? given_male : given_female;
        out_mem(m, p->id, 18);
        out_sep(m);
        out_mem(m, hid, hlen);
        out_sep(m);
        out_mem(m, surnames + 3 * p->sur, 3);
        out_mem(m, set + 3 * p->g1, 3);
        if (p->g2 >= 0) out_mem(m, set + 3 * p->g2, 3);
        out_sep(m);
        out_str(m, rel_codes[p->rel]);
        out_sep(m);
        out_str(m, p->sex == 1 ? "male" : "female");
        out_sep(m);
        out_mem(m, p->id + 6, 4);
        out_ch(m, '-');
        out_mem(m, p->id + 10, 2);
        out_ch(m, '-');
        out_mem(m, p->id + 12, 2);
        out_sep(m);
        out_str(m, edu_codes[p->edu]);
        out_sep(m);
        out_bool(m, p->in_school);
        out_sep(m);
        out_str(m, health_codes[p->health]);
        out_sep(m);
        out_str(m, labour_codes[p->labour]);
        out_sep(m);
        out_bool(m, p->med);
        out_sep(m);
        out_bool(m, p->ill);
        out_sep(m);
        out_bool(m, p->pension);
        out_sep(m);
        out_u64(m, (uint64_t)p->cert);
        out_end(m);
    }

    out_mem(t, hid, hlen);
    out_sep(t);
    out_fixed(t, h->true_cents, 2);
    out_sep(t);
    out_bool(t, h->stable);
    out_sep(t);
    out_bool(t, h->food);
    out_sep(t);
    out_bool(t, h->water);
    out_sep(t);
    out_bool(t, h->edu);
    out_sep(t);
    out_bool(t, h->med);
    out_sep(t);
    out_bool(t, h->housing);
    out_sep(t);
    out_tri(t, h->policy);
    out_sep(t);
    out_bool(t, h->poor);
    out_sep(t);
    out_bool(t, h->payroll);
    out_sep(t);
    out_bool(t, h->vehicle);
    out_sep(t);
    out_bool(t, h->commercial);
    out_sep(t);
    out_bool(t, h->business);
    out_sep(t);
    out_tri(t, h->knows);
    out_sep(t);
    out_tri(t, h->approves);
    out_end(t);
}

static void count_household(const struct hh *h, struct cstat *st)
{
    st->members += h->n;
    if (!h->registered) {
        st->general_persons += h->n;
        if (h->poor) st->missed_persons += h->n;
        st->asked_general++;
        st->approves += h->approves == 1;
    } else if (h->ey && !h->returned) {
        st->exited_persons += h->n;
        if (h->poor) st->wrong_persons += h->n;
        st->asked_exited++;
        st->knows += h->knows == 1;
    }
}

/* ------------------------------------------------------------------ villages */

/* Indicator values; fixed point: tenths for width/distance/percentages. */
struct vind {
    int hardened, width10, narrow, bus_feasible, bus10, wq, litres, minutes, guarantee10;
    int power_prod10, power_hh10, tv10, culture, clinic_area, rooms, staff_short, doctor, fibre;
    int broadband;
    int64_t collective;
};

static void draw_indicators(struct rng *r, const struct vplan *v, struct vind *x)
{
    static const int bb[] = {100, 100, 200, 300, 500, 1000};
    double rem = v->remoteness;
    x->hardened = 1;
    x->narrow = rng_bern(r, 0.08 * (0.5 + rem));
    x->width10 = x->narrow ? rng_int(r, 30, 34) : rng_int(r, 35, 65);
    x->bus_feasible = rng_bern(r, 0.95 - 0.1 * rem);
    x->bus10 = rng_int(r, 0, 19);
    x->wq = 1;
    x->litres = rng_int(r, 45, 120);
    x->minutes = rng_int(r, 1, 9);
    x->guarantee10 = rng_int(r, 955, 1000);
    x->power_prod10 = x->power_hh10 = x->tv10 = 1000;
    x->culture = 7;
    x->clinic_area = rng_int(r, 65, 120);
    x->rooms = 4;
    x->staff_short = 0;
    x->doctor = 1;
    x->fibre = 1;
    x->broadband = bb[rng_int(r, 0, 5)];
    x->collective = 100 * (int64_t)((20000 + 480000 * rng_u(r) * rng_u(r) * (1 - 0.5 * rem)) / 100);

    /* exact boundary values that pass (the comparisons of DESIGN §6.4) */
    if (rng_bern(r, 0.15)) {
        int k = rng_bern(r, 0.3) ? 2 : 1;
        for (int j = 0; j < k; j++) {
            switch (rng_int(r, 0, 7)) {
            case 0:
                x->width10 = 35, x->narrow = 0;
                break;
            case 1:
                x->width10 = 30, x->narrow = 1;
                break;
            case 2:
                x->litres = 40;
                break;
            case 3:
                x->minutes = 10;
                break;
            case 4:
                x->guarantee10 = 950;
                break;
            case 5:
                x->bus10 = 20, x->bus_feasible = 1;
                break;
            case 6:
                x->clinic_area = 60;
                break;
            default:
                x->broadband = 50;
                break;
            }
        }
    }
    /* one or two failing items, more often far out */
    if (rng_bern(r, 0.04 + 0.14 * rem)) {
        int k = rng_bern(r, 0.3) ? 2 : 1;
        for (int j = 0; j < k; j++) {
            switch (rng_int(r, 0, 15)) {
            case 0:
                x->hardened = 0;
                break;
            case 1:
                x->width10 = rng_bern(r, 0.5) ? 30 : rng_int(r, 25, 34), x->narrow = 0;
                break;
            case 2:
                x->bus_feasible = 1, x->bus10 = rng_int(r, 21, 50);
                break;
            case 3:
                x->wq = 0;
                break;
            case 4:
                x->litres = rng_int(r, 30, 39);
                break;
            case 5:
                x->minutes = rng_int(r, 11, 20);
                break;
            case 6:
                x->guarantee10 = rng_int(r, 900, 949);
                break;
            case 7:
                x->power_hh10 = rng_int(r, 985, 999);
                break;
            case 8:
                x->tv10 = rng_int(r, 950, 999);
                break;
            case 9:
                x->culture = rng_int(r, 4, 6);
                break;
            case 10:
                x->clinic_area = rng_int(r, 40, 59);
                break;
            case 11:
                x->rooms = rng_int(r, 2, 3);
                break;
            case 12:
                x->staff_short = 1;
                break;
            case 13:
                x->doctor = 0;
                break;
            case 14:
                x->fibre = 0, x->broadband = rng_int(r, 4, 20);
                break;
            default:
                x->broadband = rng_int(r, 20, 49);
                break;
            }
        }
    }
}

static void write_village(struct synth *s, const struct vplan *v, const struct vind *x,
                          int64_t population)
{
    struct out *o = &s->out[F_VILLAGES];
    int64_t need = (population + 999) / 1000;
    out_u64(o, (uint64_t)v->code);
    out_sep(o);
    out_str(o, v->name);
    out_sep(o);
    out_bool(o, v->poor);
    out_sep(o);
    out_int_or_empty(o, v->exit_year);
    out_sep(o);
    out_i64(o, population);
    out_sep(o);
    out_u64(o, (uint64_t)v->groups);
    out_sep(o); /* general_households: empty, the roster is full */
    out_sep(o);
    out_fixed(o, (int64_t)(v->remoteness * 1000 + 0.5), 3);
    out_sep(o);
    out_bool(o, x->hardened);
    out_sep(o);
    out_fixed(o, x->width10, 1);
    out_sep(o);
    out_bool(o, x->narrow);
    out_sep(o);
    out_bool(o, x->bus_feasible);
    out_sep(o);
    out_fixed(o, x->bus10, 1);
    out_sep(o);
    out_bool(o, x->wq);
    out_sep(o);
    out_u64(o, (uint64_t)x->litres);
    out_sep(o);
    out_u64(o, (uint64_t)x->minutes);
    out_sep(o);
    out_fixed(o, x->guarantee10, 1);
    out_sep(o);
    out_fixed(o, x->power_prod10, 1);
    out_sep(o);
    out_fixed(o, x->power_hh10, 1);
    out_sep(o);
    out_fixed(o, x->tv10, 1);
    out_sep(o);
    out_u64(o, (uint64_t)x->culture);
    out_sep(o);
    out_u64(o, (uint64_t)x->clinic_area);
    out_sep(o);
    out_u64(o, (uint64_t)x->rooms);
    out_sep(o);
    out_i64(o, x->staff_short ? need - 1 : need + (v->code % 3 == 0));
    out_sep(o);
    out_bool(o, x->doctor);
    out_sep(o);
    out_bool(o, x->fibre);
    out_sep(o);
    out_u64(o, (uint64_t)x->broadband);
    out_sep(o);
    out_i64(o, x->collective);
    out_end(o);
}

static int write_households_of(struct synth *s, const struct county *c, struct vplan *v,
                               struct rng *r, struct cstat *st, int64_t *population)
{
    *population = 0;
    for (int i = 0; i < v->nhh; i++) {
        int group = 1 + (int)((int64_t)i * v->groups / v->nhh);
        if (make_household(s, c, v, r)) return -1;
        write_household(s, v, i + 1, group);
        count_household(&s->h, st);
        *population += s->h.n;
        s->members_total += (uint64_t)s->h.n;
    }
    if (s->o->progress) progress_update(&s->prog, s->members_total, s->members_total);
    return 0;
}

/* ------------------------------------------------------------------ projects */

static void write_projects(struct synth *s, const struct county *c, struct rng *r)
{
    static const double kw[9] = {0.35, 0.20, 0.08, 0.10, 0.06, 0.05, 0.08, 0.05, 0.03};
    static const char *const kinds[9] = {"industry",   "infrastructure", "housing",
                                         "water",      "education",      "health",
                                         "employment", "finance",        "other"};
    static const char *const nouns[9][3] = {
        {"特色种植基地", "光伏电站", "养殖合作社"},  {"道路硬化工程", "桥梁建设", "农田水利"},
        {"危房改造", "农房改造", "住房安全保障"},    {"安全饮水工程", "供水管网", "水厂改造"},
        {"教育资助", "学校改造", "雨露计划"},        {"村卫生室建设", "健康扶贫", "家庭医生签约"},
        {"扶贫车间", "公益岗位", "技能培训"},        {"小额信贷贴息", "产业担保", "金融扶贫"},
        {"人居环境整治", "文化广场", "村级服务中心"}};
    static const double lo[9] = {2e5, 5e5, 5e4, 1e5, 5e4, 5e4, 1e5, 1e5, 5e4};
    static const double hi[9] = {5e6, 2e7, 2e6, 3e6, 1e6, 1e6, 2e6, 5e6, 1e6};
    struct out *o = &s->out[F_PROJECTS];
    int n = rng_int(r, 30, 80), npaired = c->paired_with ? rng_int(r, 4, 8) : 0;
    int Y = s->year, from = Y >= 2016 ? 2016 : 2014;
    for (int i = 0; i < n; i++) {
        int kind = rng_pick(r, kw, 9), year = rng_int(r, from, Y);
        const struct vplan *v = rng_bern(r, 0.3) ? NULL : &s->vil[rng_int(r, 0, s->nvil - 1)];
        const char *status;
        double u = rng_u(r);
        if (year < Y)
            status = u < 0.92 ? "completed" : u < 0.97 ? "ongoing" : "suspended";
        else
            status = u < 0.3 ? "completed" : u < 0.8 ? "ongoing" : "planned";
        out_str(o, "P");
        out_u64(o, (uint64_t)c->code);
        out_ch(o, '-');
        for (int d = 1000; d; d /= 10) out_ch(o, (char)('0' + (i + 1) / d % 10));
        out_sep(o);
        out_u64(o, (uint64_t)c->code);
        out_sep(o);
        if (v) out_u64(o, (uint64_t)v->code);
        out_sep(o);
        out_str(o, v ? v->name : c->name);
        if (i < npaired) out_str(o, "结对帮扶");
        out_str(o, nouns[kind][rng_int(r, 0, 2)]);
        out_sep(o);
        out_str(o, kinds[kind]);
        out_sep(o);
        out_i64(o, 100 * (int64_t)(rng_range(r, lo[kind], hi[kind]) / 100));
        out_sep(o);
        out_u64(o, (uint64_t)year);
        out_sep(o);
        out_str(o, status);
        out_sep(o);
        out_bool(o, i < npaired);
        out_end(o);
    }
}

/* ------------------------------------------------------------------ one county */

static void write_county_rows(struct synth *s, const struct county *c, const struct cstat *st)
{
    struct out *o = &s->out[F_COUNTIES], *t = &s->out[F_TRUTH_COUNTIES];
    out_u64(o, (uint64_t)c->code);
    out_sep(o);
    out_str(o, c->name);
    out_sep(o);
    out_u64(o, (uint64_t)c->city_code);
    out_sep(o);
    out_str(o, c->city_name);
    out_sep(o);
    out_str(o, region_codes[s->region]);
    out_sep(o);
    out_str(o, type_codes[c->type]);
    out_sep(o);
    out_int_or_empty(o, c->exit_year);
    out_sep(o);
    out_i64(o, st->members);
    out_sep(o);
    out_double(o, c->allowance);
    out_sep(o);
    out_int_or_empty(o, c->paired_with);
    out_sep(o);
    out_double(o, c->rep_incidence);
    out_sep(o);
    out_double(o, c->rep_wrong);
    out_sep(o);
    out_double(o, c->rep_missed);
    out_sep(o);
    out_double(o, c->rep_approval);
    out_end(o);

    out_u64(t, (uint64_t)c->code);
    out_sep(t);
    out_double(t, c->wrong_p);
    out_sep(t);
    out_double(t, c->missed_p);
    out_sep(t);
    if (st->exited_persons) out_double(t, (double)st->wrong_persons / (double)st->exited_persons);
    out_sep(t);
    if (st->general_persons)
        out_double(t, (double)st->missed_persons / (double)st->general_persons);
    out_sep(t);
    if (st->asked_exited) out_double(t, (double)st->knows / (double)st->asked_exited);
    out_sep(t);
    if (st->asked_general) out_double(t, (double)st->approves / (double)st->asked_general);
    out_sep(t);
    out_u64(t, (uint64_t)s->line);
    out_end(t);
}

static int synth_county(struct synth *s, int k, struct error *e)
{
    struct county c;
    struct cstat st;
    struct rng r;
    county_header(s, k, &c);
    if (c.code < 0)
        return error_set(e, ERR_INVALID,
                         "synth: a province has room for %d counties at most (97 cities of 99)", k);
    while (s->cities_written <= c.city_index) evaluators_city(s, s->cities_written++);
    memset(&st, 0, sizeof st);
    memset(s->seq, 0, sizeof(uint16_t) * DATE_SLOTS * 2);
    rng_init(&r, s->o->seed, 'B', (uint64_t)k);
    plan_county(s, &c, &r);
    write_townships(s);
    for (int i = 0; i < s->nvil; i++) {
        struct vplan *v = &s->vil[i];
        struct vind x;
        int64_t pop;
        draw_indicators(&r, v, &x);
        v->water_bad = !x.wq || x.litres < 40 || x.minutes > 10 || x.guarantee10 < 950;
        if (write_households_of(s, &c, v, &r, &st, &pop))
            return error_set(e, ERR_INTERNAL, "synth: county %d ran out of ID sequence numbers",
                             c.code);
        write_village(s, v, &x, pop);
    }
    write_county_rows(s, &c, &st);
    write_projects(s, &c, &r);
    return 0;
}

/* ------------------------------------------------------------------ files and the driver */

static int mkdir_p(const char *path, struct error *e)
{
    struct strbuf sb = STRBUF_INIT;
    struct stat st;
    int rc = 0;
    sb_adds(&sb, path);
    if (sb_ok(&sb)) {
        sb_release(&sb);
        return error_set(e, ERR_NOMEM, "out of memory");
    }
    for (size_t i = 1; i <= sb.len; i++) {
        char c = sb.buf[i];
        if (c != '/' && c != '\0') continue;
        sb.buf[i] = '\0';
        if (mkdir(sb.buf, 0777) && errno != EEXIST) {
            rc = error_set(e, ERR_IO, "%s: cannot create: %s", sb.buf, strerror(errno));
            break;
        }
        sb.buf[i] = c;
    }
    if (!rc && (stat(path, &st) || !S_ISDIR(st.st_mode)))
        rc = error_set(e, ERR_IO, "%s: not a folder", path);
    sb_release(&sb);
    return rc;
}

static int open_files(struct synth *s, struct error *e)
{
    for (int f = 0; f < F_N; f++) {
        struct out *o = &s->out[f];
        struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
        sb_addf(&a, "%s/.%s.tmp", s->o->out, file_names[f]);
        sb_addf(&b, "%s/%s", s->o->out, file_names[f]);
        o->tmp = sb_detach(&a, NULL);
        o->fin = sb_detach(&b, NULL);
        o->buf = mem_alloc(OUTBUF);
        sb_release(&a);
        sb_release(&b);
        if (!o->tmp || !o->fin || !o->buf) return error_set(e, ERR_NOMEM, "out of memory");
        o->f = fopen(o->tmp, "wb");
        if (!o->f) return error_set(e, ERR_IO, "%s: cannot write: %s", o->tmp, strerror(errno));
        if (f < F_TRUTH) {
            const struct file_spec *fs = &registry_files[f];
            if (strcmp(fs->file, file_names[f]))
                return error_set(e, ERR_INTERNAL, "synth: file %d is %s, expected %s", f, fs->file,
                                 file_names[f]);
            for (size_t k = 0; k < fs->ncols; k++) {
                if (k) out_sep(o);
                out_str(o, fs->cols[k].name);
            }
        } else {
            out_str(o, f == F_TRUTH ? truth_header : truth_counties_header);
        }
        out_end(o);
    }
    return 0;
}

/* Flushes and closes every file; renames them into place if ok. Returns rc or the first
 * I/O error; on error removes the temporaries. */
static int close_files(struct synth *s, int rc, struct error *e)
{
    for (int f = 0; f < F_N; f++) {
        struct out *o = &s->out[f];
        if (!o->f) continue;
        if (!rc) {
            out_flush(o);
            if (!o->err && fflush(o->f)) o->err = errno ? errno : EIO;
            if (o->err) rc = error_set(e, ERR_IO, "%s: write failed: %s", o->tmp, strerror(o->err));
        }
        if (fclose(o->f) && !rc)
            rc = error_set(e, ERR_IO, "%s: write failed: %s", o->tmp, strerror(errno));
        o->f = NULL;
    }
    for (int f = 0; f < F_N && !rc; f++) {
        struct out *o = &s->out[f];
        if (rename(o->tmp, o->fin))
            rc = error_set(e, ERR_IO, "%s: cannot rename: %s", o->fin, strerror(errno));
    }
    for (int f = 0; f < F_N; f++) {
        struct out *o = &s->out[f];
        if (rc && o->tmp) unlink(o->tmp);
        mem_free(o->tmp);
        mem_free(o->fin);
        mem_free(o->buf);
        o->tmp = o->fin = o->buf = NULL;
    }
    return rc;
}

/* A write error noticed while generating (a full disk): stop early. */
static int first_write_error(const struct synth *s, struct error *e)
{
    for (int f = 0; f < F_N; f++)
        if (s->out[f].err)
            return error_set(e, ERR_IO, "%s: write failed: %s", s->out[f].tmp,
                             strerror(s->out[f].err));
    return 0;
}

int synth_province(const struct synth_opts *o, struct error *e)
{
    struct synth *s = NULL;
    int rc = 0, files_open = 0;
    if (!o || !o->out || !*o->out) return error_set(e, ERR_USAGE, "synth: no output folder");
    if (!ids_province_valid(o->province) || o->province > 65)
        return error_set(e, ERR_INVALID, "synth: %d is not a mainland province code", o->province);
    if (o->counties <= 0 && o->members <= 0)
        return error_set(e, ERR_INVALID, "synth: give a number of counties or of members");
    if (o->year && (o->year < 2014 || o->year > 2100))
        return error_set(e, ERR_INVALID, "synth: year %d is outside 2014..2100", o->year);
    if (o->departments)
        return error_set(e, ERR_INVALID,
                         "synth: department data (departments/) is not generated yet");
    s = mem_calloc(1, sizeof *s);
    if (!s) return error_set(e, ERR_NOMEM, "out of memory");
    s->o = o;
    s->year = o->year ? o->year : 2019;
    s->line = income_line(s->year);
    s->region = region_of(o->province);
    s->seq = mem_calloc((size_t)DATE_SLOTS * 2, sizeof *s->seq);
    if (!s->seq) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    {
        struct rng r;
        rng_init(&r, o->seed, 'L', 0);
        for (int c = 0; c < NCITY; c++) s->ncity[c] = rng_int(&r, 2, 5);
    }
    rc = mkdir_p(o->out, e);
    if (rc) goto out;
    files_open = 1;
    rc = open_files(s, e);
    if (rc) goto out;
    progress_init(&s->prog, "synth members", o->members > 0 ? (uint64_t)o->members : 0);
    if (!o->progress) s->prog.enabled = 0;
    evaluators_province(s);
    for (int k = 0; o->counties > 0 ? k < o->counties : s->members_total < (uint64_t)o->members;
         k++) {
        rc = synth_county(s, k, e);
        if (!rc) rc = first_write_error(s, e);
        if (rc) goto out;
    }
    if (o->progress) progress_finish(&s->prog, s->members_total);
out:
    if (files_open) rc = close_files(s, rc, e);
    if (s) mem_free(s->seq);
    mem_free(s);
    return rc;
}
