/*
 * export.c — the analysis export (estimate.h export_analysis): one row per surveyed
 * household, with everything a statistician needs to reproduce every figure of
 * `pinggu indicators` with R's survey package or Stata's svy (docs/estimation.md).
 *
 * What a row is. A household drawn at the household stage with a complete questionnaire —
 * exactly the households the estimators use (est_load_households in indicators.c, shared
 * through estimate_int.h), with exactly their weight (hrec_weight): the non-response factor of
 * its quota cell (village × stratum) over π_village·π_household, and beside it
 * weight_province, which also divides by π_county. Outcomes are 0/1 or missing (NA): a
 * household outside a rate's denominator population has NA there, so that "the rows where
 * wrong_exit is not NA" is the wrong-exit rate's sample. Persons-weighted numerators
 * (wrong_persons = persons × wrong_exit, missed_persons) stand beside persons, the
 * denominator; the county's registry totals R, U, E, G are repeated on every row, and after
 * the households come one totals row per county of the sample (record = county), surveyed or
 * not, so that the incidence (U + e·E + m·G)/R of any level can be rebuilt from the file alone.
 *
 * Designs carried. County level: strata = stratum (the plan's village strata), first-stage
 * units = village, weights = weight. Above a county: stratum_upper / psu_upper hold the design
 * indicators.c uses for this sample — county × village stratum and villages when every county
 * was assessed (or for a county taken with certainty), provinces and counties when counties
 * were sampled — with weight_province.
 *
 * Formats. "csv": UTF-8 without BOM, a header of the column names, LF, NA as an empty field,
 * stratum and category as their names, numbers as %.17g (so a re-computation can match to
 * the last bit). "dta" (Stata 14+, format 118) and "sav" (SPSS) through ReadStat: variable
 * labels "中文 / English", value labels for stratum, category and every 0/1 outcome, missing
 * outcomes as system missing; text beyond Stata's str2045 as strL. The design travels with the
 * file: SPSS's weight variable is `weight`; Stata's svyset is the .dta's note 1 and a companion
 * FILE.do (ReadStat cannot write svyset's _dta[_svy_*] characteristics). ReadStat allocates with its own malloc (it has no allocator
 * hook); everything else here goes through mem_* and the row strings through struct strbuf.
 *
 * Atomicity: the file is written as DIR/.NAME.tmp and renamed over NAME only when complete;
 * on any failure the temporary file is removed and NAME is untouched (the .do likewise; if it
 * cannot be written the .dta is removed: both or neither).
 */
#include "estimate_int.h"

#include <errno.h>
#include <readstat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------- columns */

enum xcol_type {
    CT_TEXT,   /* string */
    CT_INT,    /* integer code */
    CT_DOUBLE, /* number */
    CT_BOOL,   /* 0/1 or missing, with a value-label set */
    CT_LABEL   /* integer code shown by name (stratum, category): text in CSV */
};

enum col_id {
    C_SAMPLE,
    C_RECORD,
    C_HOUSEHOLD,
    C_PROVINCE,
    C_CITY,
    C_COUNTY,
    C_VILLAGE,
    C_STRATUM,
    C_COUNTY_STRATUM,
    C_STRATUM_UPPER,
    C_PSU_UPPER,
    C_WEIGHT,
    C_WEIGHT_PROVINCE,
    C_PI_COUNTY,
    C_PI_VILLAGE,
    C_PI_HOUSEHOLD,
    C_NONRESPONSE,
    C_CATEGORY,
    C_QUOTA,
    C_PERSONS,
    C_EXITED,
    C_WRONG_EXIT,
    C_MISSED,
    C_APPROVAL,
    C_WRONG_PERSONS,
    C_MISSED_PERSONS,
    C_FOUR_KINDS,
    C_R,
    C_U,
    C_E,
    C_G,
    C_COUNT
};

struct xcol {
    const char *name;
    enum xcol_type type;
    const char *label;  /* 中文 / English */
    const char *labels; /* value-label set (CT_BOOL, CT_LABEL), or NULL */
};

static const struct xcol cols[C_COUNT] = {
    {"sample", CT_TEXT, "样本 / sample", NULL},
    {"record", CT_LABEL, "记录类型 / record: household or county totals", "record"},
    {"household", CT_TEXT, "户编码 / household code", NULL},
    {"province", CT_INT, "省代码 / province code", NULL},
    {"city", CT_INT, "市代码 / city code", NULL},
    {"county", CT_INT, "县代码 / county code", NULL},
    {"village", CT_DOUBLE, "村（县级初级抽样单位）/ village: PSU of a county", NULL},
    {"stratum", CT_LABEL, "村层（县级估计的层）/ village stratum", "stratum"},
    {"county_stratum", CT_INT, "县×村层 / county x village stratum", NULL},
    {"stratum_upper", CT_INT, "县以上估计的层 / stratum above county", NULL},
    {"psu_upper", CT_DOUBLE, "县以上估计的初级单位 / PSU above county", NULL},
    {"weight", CT_DOUBLE, "设计权数（县内）/ design weight within county", NULL},
    {"weight_province", CT_DOUBLE, "设计权数（含县）/ weight incl. 1/pi county", NULL},
    {"pi_county", CT_DOUBLE, "县入样概率 / pi of county in province", NULL},
    {"pi_village", CT_DOUBLE, "村入样概率 / pi of village in county", NULL},
    {"pi_household", CT_DOUBLE, "户入样概率 / pi of household in village", NULL},
    {"nonresponse", CT_DOUBLE, "无回答调整系数 / non-response factor", NULL},
    {"category", CT_LABEL, "户类别 / household category", "category"},
    {"quota", CT_TEXT, "抽样层 / quota stratum drawn in", NULL},
    {"persons", CT_INT, "家庭人口 / persons", NULL},
    {"exited", CT_BOOL, "已脱贫户 / exited household", "exited"},
    {"wrong_exit", CT_BOOL, "错退 / wrong exit", "wrong_exit"},
    {"missed", CT_BOOL, "漏评 / missed poor household", "missed"},
    {"approval", CT_BOOL, "认可 / approval", "approval"},
    {"wrong_persons", CT_DOUBLE, "错退人口 / persons x wrong_exit", NULL},
    {"missed_persons", CT_DOUBLE, "漏评人口 / persons x missed", NULL},
    {"four_kinds", CT_BOOL, "四类人员 / four kinds of persons", "four_kinds"},
    {"R", CT_DOUBLE, "县农村人口 / county rural population R", NULL},
    {"U", CT_DOUBLE, "县未脱贫人口 / county unexited persons U", NULL},
    {"E", CT_DOUBLE, "县脱贫人口（抽样类别）/ county exited persons E", NULL},
    {"G", CT_DOUBLE, "县一般农户人口 / county general persons G", NULL},
};

/* Value labels of the 0/1 outcomes: [set][value]. */
static const struct {
    const char *set;
    const char *label[2];
} bool_labels[] = {
    {"exited", {"否 not exited", "已脱贫 exited"}},
    {"wrong_exit", {"达标退出 sound exit", "错退 wrong exit"}},
    {"missed", {"非漏评 not missed", "漏评 missed"}},
    {"approval", {"不认可 does not approve", "认可 approves"}},
    {"four_kinds", {"无 none", "有 one of the four kinds"}},
};
#define NBOOL_LABELS (sizeof bool_labels / sizeof bool_labels[0])

/* One cell. */
struct cell {
    int missing;
    double num;       /* CT_INT, CT_DOUBLE, CT_BOOL, CT_LABEL (the code) */
    const char *text; /* CT_TEXT, and CT_LABEL's name (borrowed) */
};

/* Everything a row needs besides its household. */
struct ctx {
    const char *sample;
    const struct names *strata;
    int sampled; /* counties were sampled: the upper design is counties within provinces */
};

/* A county-totals row (h == NULL, c its county): sample, record, codes, π_county and the
 * registry totals; every other cell missing. */
static void county_cell(const struct ctx *x, const struct crec *c, int col, struct cell *v)
{
    memset(v, 0, sizeof *v);
    switch ((enum col_id)col) {
    case C_SAMPLE:
        v->text = x->sample;
        break;
    case C_RECORD:
        v->num = 2;
        v->text = "county";
        break;
    case C_PROVINCE:
        v->num = c->code / 10000;
        break;
    case C_CITY:
        v->num = c->code / 100;
        break;
    case C_COUNTY:
        v->num = c->code;
        break;
    case C_PI_COUNTY:
        v->num = c->pi;
        break;
    case C_R:
        v->num = c->R;
        break;
    case C_U:
        v->num = c->U;
        break;
    case C_E:
        v->num = c->E;
        break;
    case C_G:
        v->num = c->G;
        break;
    default:
        v->missing = 1;
        break;
    }
    if (cols[col].type == CT_TEXT && !v->text) v->text = "";
}

static void cell_of(const struct ctx *x, const struct hrec *h, const struct crec *c, int col,
                    struct cell *v)
{
    int b = -1;
    if (!h) {
        county_cell(x, c, col, v);
        return;
    }
    memset(v, 0, sizeof *v);
    switch ((enum col_id)col) {
    case C_SAMPLE:
        v->text = x->sample;
        break;
    case C_RECORD:
        v->num = 1;
        v->text = "household";
        break;
    case C_HOUSEHOLD:
        v->text = h->unit;
        break;
    case C_PROVINCE:
        v->num = h->province;
        break;
    case C_CITY:
        v->num = h->city;
        break;
    case C_COUNTY:
        v->num = h->county;
        break;
    case C_VILLAGE:
        v->num = (double)h->village;
        break;
    case C_STRATUM:
        v->num = h->vstratum + 1;
        v->text = x->strata->s[h->vstratum];
        break;
    case C_COUNTY_STRATUM:
        v->num = (double)h->county * 100 + h->vstratum + 1;
        break;
    case C_STRATUM_UPPER: /* counties sampled: provinces, but a certainty county (π = 1) is
                             its own strata, county × village stratum, with villages as PSUs */
        v->num = x->sampled && h->pi_c < 1 ? h->province
                                           : (double)h->county * 100 + h->vstratum + 1;
        break;
    case C_PSU_UPPER:
        v->num = x->sampled && h->pi_c < 1 ? h->county : (double)h->village;
        break;
    case C_WEIGHT:
        v->num = hrec_weight(h, 0);
        break;
    case C_WEIGHT_PROVINCE:
        v->num = hrec_weight(h, 1);
        break;
    case C_PI_COUNTY:
        v->num = h->pi_c;
        break;
    case C_PI_VILLAGE:
        v->num = h->pi_v;
        break;
    case C_PI_HOUSEHOLD:
        v->num = h->pi_h;
        break;
    case C_NONRESPONSE:
        v->num = h->adj;
        break;
    case C_CATEGORY:
        v->missing = h->category < 0 || h->category >= CAT_COUNT;
        if (!v->missing) {
            v->num = h->category + 1;
            v->text = category_code((enum hh_category)h->category);
        }
        break;
    case C_QUOTA:
        v->text = h->quota;
        break;
    case C_PERSONS:
        v->num = h->persons;
        break;
    case C_EXITED:
        b = h->exited;
        break;
    case C_WRONG_EXIT:
        b = h->wrong_exit;
        break;
    case C_MISSED:
        b = h->missed;
        break;
    case C_APPROVAL:
        b = h->approval;
        break;
    case C_WRONG_PERSONS:
        v->missing = h->wrong_exit < 0;
        v->num = h->persons * h->wrong_exit;
        break;
    case C_MISSED_PERSONS:
        v->missing = h->missed < 0;
        v->num = h->persons * h->missed;
        break;
    case C_FOUR_KINDS:
        b = h->four_kinds;
        break;
    case C_R:
        v->num = c ? c->R : 0, v->missing = !c;
        break;
    case C_U:
        v->num = c ? c->U : 0, v->missing = !c;
        break;
    case C_E:
        v->num = c ? c->E : 0, v->missing = !c;
        break;
    case C_G:
        v->num = c ? c->G : 0, v->missing = !c;
        break;
    case C_COUNT:
        break;
    }
    if (cols[col].type == CT_BOOL) {
        v->missing = b < 0;
        v->num = b < 0 ? 0 : b;
    }
    if (cols[col].type == CT_TEXT && !v->text) v->text = "";
}

/* The county record of a household (counties sorted by code), or NULL. */
static const struct crec *county_of(const struct crec *c, size_t nc, int code)
{
    size_t lo = 0, hi = nc;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < nc && c[lo].code == code ? &c[lo] : NULL;
}

/* ---------------------------------------------------------------- csv */

static int write_csv(FILE *f, const struct ctx *x, const struct hrec *h, size_t n,
                     const struct crec *c, size_t nc, struct error *e)
{
    struct strbuf sb = STRBUF_INIT;
    int rc = 0;
    for (int k = 0; k < C_COUNT; k++) {
        if (k) sb_addch(&sb, ',');
        sb_adds(&sb, cols[k].name);
    }
    sb_addch(&sb, '\n');
    for (size_t i = 0; i <= n + nc; i++) {
        if (i < n + nc) {
            const struct hrec *hi = i < n ? &h[i] : NULL;
            const struct crec *cr = i < n ? county_of(c, nc, h[i].county) : &c[i - n];
            for (int k = 0; k < C_COUNT; k++) {
                struct cell v;
                cell_of(x, hi, cr, k, &v);
                if (k) sb_addch(&sb, ',');
                if (v.missing) continue;
                if (cols[k].type == CT_TEXT || cols[k].type == CT_LABEL)
                    sb_add_csv(&sb, v.text, strlen(v.text));
                else if (cols[k].type == CT_DOUBLE)
                    sb_addf(&sb, "%.17g", v.num);
                else
                    sb_addf(&sb, "%lld", (long long)v.num);
            }
            sb_addch(&sb, '\n');
        }
        if (sb.len >= 1 << 16 || i == n + nc) {
            if (sb_ok(&sb)) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            if (fwrite(sb.buf, 1, sb.len, f) != sb.len) {
                rc = error_set(e, ERR_IO, "cannot write: %s", strerror(errno));
                goto out;
            }
            sb_reset(&sb);
        }
    }
out:
    sb_release(&sb);
    return rc;
}

/* ---------------------------------------------------------------- dta, sav */

static ssize_t rs_write(const void *data, size_t len, void *ctx)
{
    return fwrite(data, 1, len, (FILE *)ctx) == len ? (ssize_t)len : -1;
}

static int rs_fail(struct error *e, readstat_error_t err, const char *what)
{
    return error_set(e,
                     err == READSTAT_ERROR_MALLOC  ? ERR_NOMEM
                     : err == READSTAT_ERROR_WRITE ? ERR_IO
                                                   : ERR_INTERNAL,
                     "%s: %s", what, readstat_error_message(err));
}

/* The county-level design of the whole file (strata are county × village stratum, so every
 * county's rates are subpopulations of it), as Stata's svyset. */
#define STATA_SVYSET                                                                         \
    "svyset village [pweight = weight], strata(county_stratum) vce(linearized) "           \
    "singleunit(centered)"

/* The longest string Stata's str# holds (format 118); longer text goes into a strL. */
#define DTA_STR_MAX 2045

/* The village strata's value labels, Chinese and English (a plan's own stratum names are kept
 * as they are, after the Chinese where pinggu knows one). */
static void stratum_label(const char *name, char *buf, size_t size)
{
    static const char *const zh[][2] = {
        {"poor", "贫困村"}, {"nonpoor", "非贫困村"}, {"all", "全部村"}};
    for (size_t i = 0; i < sizeof zh / sizeof zh[0]; i++)
        if (!strcmp(name, zh[i][0])) {
            snprintf(buf, size, "%s %s", zh[i][1], name);
            return;
        }
    snprintf(buf, size, "村层 %s", name);
}

static int write_readstat(FILE *f, int sav, const struct ctx *x, const struct hrec *h, size_t n,
                          const struct crec *c, size_t nc, struct error *e)
{
    readstat_writer_t *w = readstat_writer_init();
    readstat_variable_t *var[C_COUNT];
    readstat_label_set_t *ls_stratum, *ls_category, *ls_record, *ls_bool[NBOOL_LABELS];
    readstat_string_ref_t **refs[C_COUNT] = {0}; /* strL cells (Stata), per row */
    readstat_error_t err = READSTAT_OK;
    size_t width[C_COUNT] = {0}, rows = n + nc;
    char flabel[64];
    int rc = 0;
    if (!w) return error_set(e, ERR_NOMEM, "out of memory");
    readstat_set_data_writer(w, rs_write);
    snprintf(flabel, sizeof flabel, "pinggu analysis export, sample %s", x->sample);
    utf8_trim(flabel);
    readstat_writer_set_file_label(w, flabel);
    /* value labels */
    ls_record = readstat_add_label_set(w, READSTAT_TYPE_INT32, "record");
    readstat_label_int32_value(ls_record, 1, "户 household");
    readstat_label_int32_value(ls_record, 2, "县合计 county totals");
    ls_stratum = readstat_add_label_set(w, READSTAT_TYPE_INT32, "stratum");
    for (size_t i = 0; i < x->strata->n; i++) {
        char lab[96];
        stratum_label(x->strata->s[i], lab, sizeof lab);
        readstat_label_int32_value(ls_stratum, (int32_t)i + 1, lab);
    }
    ls_category = readstat_add_label_set(w, READSTAT_TYPE_INT32, "category");
    for (int k = 0; k < CAT_COUNT; k++) {
        char lab[96];
        snprintf(lab, sizeof lab, "%s %s", category_zh((enum hh_category)k),
                 category_code((enum hh_category)k));
        readstat_label_int32_value(ls_category, k + 1, lab);
    }
    for (size_t b = 0; b < NBOOL_LABELS; b++) {
        ls_bool[b] = readstat_add_label_set(w, READSTAT_TYPE_INT32, bool_labels[b].set);
        for (int v = 0; v < 2; v++)
            readstat_label_int32_value(ls_bool[b], v, bool_labels[b].label[v]);
    }
    /* string widths: the longest value (at least 1) */
    for (size_t i = 0; i < rows; i++)
        for (int k = 0; k < C_COUNT; k++)
            if (cols[k].type == CT_TEXT) {
                struct cell v;
                cell_of(x, i < n ? &h[i] : NULL, i < n ? NULL : &c[i - n], k, &v);
                if (strlen(v.text) > width[k]) width[k] = strlen(v.text);
            }
    /* Stata: text longer than str2045 goes into strLs (added before the header is written) */
    for (int k = 0; k < C_COUNT && !sav; k++) {
        if (cols[k].type != CT_TEXT || width[k] <= DTA_STR_MAX) continue;
        refs[k] = mem_calloc(rows + 1, sizeof *refs[k]);
        if (!refs[k]) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < rows; i++) {
            struct cell v;
            cell_of(x, i < n ? &h[i] : NULL, i < n ? NULL : &c[i - n], k, &v);
            /* one strL per distinct value in a row (the sample's name is the same throughout) */
            refs[k][i] = i && !strcmp(refs[k][i - 1]->data, v.text)
                             ? refs[k][i - 1]
                             : readstat_add_string_ref(w, v.text);
            if (!refs[k][i]) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
        }
    }
    /* variables */
    for (int k = 0; k < C_COUNT; k++) {
        readstat_type_t t = cols[k].type == CT_TEXT     ? (refs[k] ? READSTAT_TYPE_STRING_REF
                                                                   : READSTAT_TYPE_STRING)
                            : cols[k].type == CT_DOUBLE ? READSTAT_TYPE_DOUBLE
                            : cols[k].type == CT_BOOL   ? READSTAT_TYPE_INT8
                                                        : READSTAT_TYPE_INT32;
        var[k] = readstat_add_variable(w, cols[k].name, t, width[k] ? width[k] : 1);
        readstat_variable_set_label(var[k], cols[k].label);
        readstat_variable_set_measure(var[k], cols[k].type == CT_DOUBLE ? READSTAT_MEASURE_SCALE
                                                                        : READSTAT_MEASURE_NOMINAL);
        if (cols[k].type == CT_DOUBLE)
            readstat_variable_set_format(var[k], sav ? "F18.6" : "%18.0g");
        if (cols[k].labels) {
            if (!strcmp(cols[k].labels, "stratum"))
                readstat_variable_set_label_set(var[k], ls_stratum);
            else if (!strcmp(cols[k].labels, "category"))
                readstat_variable_set_label_set(var[k], ls_category);
            else if (!strcmp(cols[k].labels, "record"))
                readstat_variable_set_label_set(var[k], ls_record);
            else
                for (size_t b = 0; b < NBOOL_LABELS; b++)
                    if (!strcmp(cols[k].labels, bool_labels[b].set))
                        readstat_variable_set_label_set(var[k], ls_bool[b]);
        }
    }
    /* the design travels with the file: SPSS weights cases by `weight` (county-totals rows have
     * none and drop out of weighted analyses); Stata gets the svyset command as a note
     * (_dta[note1]) — ReadStat cannot write svyset's own characteristics, so the companion
     * .do file carries it too (export_analysis) */
    if (sav) {
        err = readstat_writer_set_fweight_variable(w, var[C_WEIGHT]);
    } else {
        readstat_add_note(w, STATA_SVYSET);
        readstat_add_note(w, "record == 2 rows are county registry totals R U E G (no weight)");
    }
    if (err == READSTAT_OK)
        err = sav ? readstat_begin_writing_sav(w, f, (long)rows)
                  : readstat_begin_writing_dta(w, f, (long)rows);
    if (err != READSTAT_OK) {
        rc = rs_fail(e, err, sav ? "SPSS file" : "Stata file");
        goto out;
    }
    for (size_t i = 0; i < rows && err == READSTAT_OK; i++) {
        const struct hrec *hi = i < n ? &h[i] : NULL;
        const struct crec *cr = i < n ? county_of(c, nc, h[i].county) : &c[i - n];
        err = readstat_begin_row(w);
        for (int k = 0; k < C_COUNT && err == READSTAT_OK; k++) {
            struct cell v;
            cell_of(x, hi, cr, k, &v);
            if (refs[k])
                err = readstat_insert_string_ref(w, var[k], refs[k][i]);
            else if (v.missing)
                err = readstat_insert_missing_value(w, var[k]);
            else if (cols[k].type == CT_TEXT)
                err = readstat_insert_string_value(w, var[k], v.text);
            else if (cols[k].type == CT_DOUBLE)
                err = readstat_insert_double_value(w, var[k], v.num);
            else if (cols[k].type == CT_BOOL)
                err = readstat_insert_int8_value(w, var[k], (int8_t)v.num);
            else
                err = readstat_insert_int32_value(w, var[k], (int32_t)v.num);
        }
        if (err == READSTAT_OK) err = readstat_end_row(w);
    }
    if (err == READSTAT_OK) err = readstat_end_writing(w);
    if (err != READSTAT_OK) rc = rs_fail(e, err, sav ? "SPSS file" : "Stata file");
out:
    readstat_writer_free(w);
    for (int k = 0; k < C_COUNT; k++) mem_free(refs[k]);
    return rc;
}

/* ---------------------------------------------------------------- export_analysis */

/* The companion .do file of a Stata export: the design as svyset commands (ReadStat cannot
 * write svyset's characteristics _dta[_svy_*] into the .dta itself). */
static int write_do(FILE *f, const char *sample, const char *dta, int sampled, struct error *e)
{
    const char *base = strrchr(dta, '/');
    base = base ? base + 1 : dta;
    fprintf(f,
            "* pinggu analysis export of sample %s: its survey design (docs/estimation.md §7-8).\n"
            "* ReadStat, which writes the .dta, cannot store svyset's characteristics, so the\n"
            "* design travels in this file (and as the .dta's note 1). Run it from the .dta's folder.\n"
            "use \"%s\", clear\n"
            "* record == 2: county registry totals R U E G (no weight; svy leaves them out)\n"
            "* county and any level when every county was assessed: villages in county x stratum\n"
            "%s\n"
            "* above a county%s:\n"
            "* svyset psu_upper [pweight = weight_province], strata(stratum_upper) "
            "vce(linearized) singleunit(centered)\n"
            "* a rate is a subpopulation: svy, subpop(if county == C & !missing(wrong_exit)): "
            "ratio (wrong_persons / persons)\n",
            sample, base, STATA_SVYSET,
            sampled ? " (counties were sampled: counties within provinces)"
                    : " (the same design: stratum_upper = county_stratum, psu_upper = village)");
    if (ferror(f)) return error_set(e, ERR_IO, "cannot write: %s", strerror(errno));
    return 0;
}

/* path with its extension (if any) replaced by ".do". Caller releases sb. */
static void do_path(const char *path, struct strbuf *sb)
{
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    if (dot && (!slash || dot > slash + 1)) sb_add(sb, path, (size_t)(dot - path));
    else sb_adds(sb, path);
    sb_adds(sb, ".do");
}

/* Writes `path` atomically through DIR/.NAME.tmp with writer(f, ...). */
static int write_atomic(const char *path, int (*writer)(FILE *, void *, struct error *),
                        void *arg, struct error *e)
{
    struct strbuf tmp = STRBUF_INIT;
    const char *slash = strrchr(path, '/');
    FILE *f;
    int rc;
    if (slash) sb_add(&tmp, path, (size_t)(slash - path + 1));
    sb_addf(&tmp, ".%s.tmp", slash ? slash + 1 : path);
    if (sb_ok(&tmp)) {
        sb_release(&tmp);
        return error_set(e, ERR_NOMEM, "out of memory");
    }
    f = fopen(tmp.buf, "wb");
    if (!f) {
        rc = error_set(e, ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        sb_release(&tmp);
        return rc;
    }
    rc = writer(f, arg, e);
    if (fclose(f) && !rc) rc = error_set(e, ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    if (!rc && rename(tmp.buf, path))
        rc = error_set(e, ERR_IO, "%s: cannot rename: %s", path, strerror(errno));
    if (rc) {
        unlink(tmp.buf);
        if (e && e->code != ERR_USAGE && !strstr(e->msg, path)) error_prefix(e, "%s", path);
    }
    sb_release(&tmp);
    return rc;
}

struct job {
    const char *fmt, *path;
    const struct ctx *x;
    const struct hrec *h;
    size_t n, nc;
    const struct crec *c;
};

static int job_data(FILE *f, void *arg, struct error *e)
{
    const struct job *j = arg;
    if (!strcmp(j->fmt, "csv")) return write_csv(f, j->x, j->h, j->n, j->c, j->nc, e);
    return write_readstat(f, !strcmp(j->fmt, "sav"), j->x, j->h, j->n, j->c, j->nc, e);
}

static int job_do(FILE *f, void *arg, struct error *e)
{
    const struct job *j = arg;
    return write_do(f, j->x->sample, j->path, j->x->sampled, e);
}

static const char *format_of(const char *path, const char *format)
{
    const char *dot;
    if (format && *format) return format;
    dot = strrchr(path, '.');
    return dot ? dot + 1 : "";
}

int export_analysis(struct store *s, const char *sample, const char *path, const char *format,
                    struct error *e)
{
    struct plan p;
    struct hrec *h = NULL;
    struct crec *c = NULL;
    struct names strata = {0};
    struct strbuf tmp = STRBUF_INIT;
    struct ctx x;
    size_t nh = 0, nc = 0;
    int64_t srow;
    const char *fmt = format_of(path, format);
    int rc;
    if (strcmp(fmt, "csv") && strcmp(fmt, "dta") && strcmp(fmt, "sav"))
        return error_set(e, ERR_USAGE, "analysis export: format is csv, dta or sav, not '%s'", fmt);
    rc = sample_plan(s, sample, &p, NULL, 0, &srow, e);
    if (!rc) rc = est_load_households(s, srow, &h, &nh, &strata, e);
    if (!rc) rc = est_load_counties(s, srow, &p, &c, &nc, e);
    if (rc) goto out;
    x.sample = sample;
    x.strata = &strata;
    x.sampled = p.county_sample;
    {
        struct job j = {fmt, path, &x, h, nh, nc, c};
        rc = write_atomic(path, job_data, &j, e);
        if (!rc && !strcmp(fmt, "dta")) {
            do_path(path, &tmp);
            if (sb_ok(&tmp)) rc = error_set(e, ERR_NOMEM, "out of memory");
            else rc = write_atomic(tmp.buf, job_do, &j, e);
            if (rc) unlink(path); /* both or neither */
        }
    }
out:
    sb_release(&tmp);
    mem_free(h);
    mem_free(c);
    mem_free(strata.s);
    plan_release(&p);
    return rc;
}
