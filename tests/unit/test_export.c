/*
 * test_export.c — the analysis export (estimate.h export_analysis) on a hand-built sample:
 * one county, two village strata of two villages, nine surveyed households (one cell with a
 * non-respondent, one household not asked about approval, one unexited household with no
 * rate outcome). Checks the CSV cell by cell (weights adj/(π_v·π_h) by hand, NA as empty,
 * registry totals), that the rates recomputed from the exported columns equal
 * estimate_sample's, and reads the Stata and SPSS files back with ReadStat's own parser:
 * variable names, Chinese/English labels, value labels of category, stratum and the 0/1
 * outcomes, values and system-missing cells. Then the errors (format, sample, unwritable
 * folder) and allocation failures at every point: either a complete file or an error and no
 * file, never a half-written one.
 */
#include "testutil.h"

#include <math.h>
#include <readstat.h>

#include "estimate/estimate.h"

#define CLOSE(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

static const char plan_json[] =
    "{\"format\": \"pinggu-plan/1\", \"id\": \"t\", \"title\": {\"zh\": \"测试\", \"en\": "
    "\"test\"},"
    " \"source\": \"test\", \"year\": 2019, \"income_line\": {\"2019\": 3218}, \"scope\": {},"
    " \"thresholds\": [{\"indicator\": \"wrong_exit\", \"op\": \"<\", \"value\": 0.02,"
    "  \"words\": \"低于2%\"}],"
    " \"windows\": {\"exited_earlier\": [2014, 2018]}, \"counties\": {\"select\": \"all\"},"
    " \"villages\": {\"strata\": [{\"name\": \"poor\", \"poor\": true, \"n\": 2},"
    "  {\"name\": \"nonpoor\", \"poor\": false, \"n\": 2}]},"
    " \"households\": {\"quotas\": [{\"name\": \"exited\", \"categories\": [\"exited_current\","
    "  \"exited_earlier\", \"exited_other\"], \"n\": 3}, {\"name\": \"unexited\", \"categories\":"
    "  [\"unexited\"], \"n\": 1}, {\"name\": \"general\", \"n\": 1}]}}";

/* The surveyed households: code suffix, village, quota, category, π, persons, status,
 * reserve, outcomes (wrong_exit, missed, approval, four_kinds: "fail"/"pass"/NULL). */
struct hh {
    const char *code;
    int64_t village;
    const char *quota, *category;
    double pi;
    int persons;
    const char *status;
    int reserve;
    const char *wrong, *missed, *approval, *four;
};

#define V1 340121101201LL
#define V2 340121101202LL
#define V3 340121102201LL
#define V4 340121102202LL

static const struct hh hhs[] = {
    {"3401211012010001", V1, "exited", "exited_current", 0.25, 4, "complete", 0, "fail", NULL,
     "pass", "pass"},
    {"3401211012010002", V1, "exited", "exited_earlier", 0.25, 2, "complete", 0, "pass", NULL,
     "fail", "fail"},
    {"3401211012010003", V1, "exited", "exited_earlier", 0.25, 3, "nonresponse", 0, NULL, NULL,
     NULL, NULL},
    {"3401211012010009", V1, "exited", "exited_earlier", 0.25, 3, "", 1, NULL, NULL, NULL, NULL},
    {"3401211012010004", V1, "general", "general", 0.1, 5, "complete", 0, NULL, "pass", "pass",
     NULL},
    {"3401211012020005", V2, "exited", "exited_earlier", 0.5, 3, "complete", 0, "pass", NULL,
     "pass", "pass"},
    {"3401211012020006", V2, "general", "general", 0.2, 1, "complete", 0, NULL, "fail", "fail",
     NULL},
    {"3401211022010007", V3, "exited", "exited_other", 1, 2, "complete", 0, "pass", NULL, NULL,
     "pass"},
    {"3401211022010008", V3, "general", "general", 0.05, 6, "complete", 0, NULL, "pass", "pass",
     NULL},
    {"3401211022020009", V4, "exited", "exited_current", 1, 1, "complete", 0, "fail", NULL, "pass",
     "pass"},
    {"3401211022020010", V4, "unexited", "unexited", 0.5, 2, "complete", 0, NULL, NULL, NULL,
     "pass"},
};
#define NHH (sizeof hhs / sizeof hhs[0])

static void exec(struct store *s, const char *sql)
{
    struct error e;
    if (store_exec(s, sql, &e)) fail_msg("%s: %s", sql, e.msg);
}

/* A store with the registry totals and the sample above. Caller closes. */
static struct store *build(const char *dir)
{
    char path[512];
    struct store *s;
    struct error e;
    struct strbuf sb = STRBUF_INIT;
    snprintf(path, sizeof path, "%s/t.db", dir);
    assert_int_equal(store_open(path, STORE_CREATE, &s, &e), 0);
    exec(s, "INSERT INTO counties (code, name, city_code, city_name, region, type,"
            " rural_population, allowance_standard, log_id) VALUES (340121, '甲县', 3401, '甲市',"
            " 'central', 'exited', 1000, 4000, 0)");
    /* registry: unexited (3 persons), exited 2018 (4), general (5) */
    exec(s, "INSERT INTO households (row_no, household_id, village, grp, registered,"
            " identified_year, exit_year, returned, edge, monitored, allowance, hardship,"
            " disability, illness, unsafe_house, relocated, log_id) VALUES"
            " (1, 'A', 340121101201, 1, 1, 2014, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),"
            " (2, 'B', 340121101201, 1, 1, 2014, 2018, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),"
            " (3, 'C', 340121101202, 1, 0, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)");
    for (int i = 0, hh[] = {1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3}; i < 12; i++) {
        char sql[400];
        snprintf(sql, sizeof sql,
                 "INSERT INTO members (resident, household, name, relation, education,"
                 " in_school, health, labour, medical_insurance, illness_insurance,"
                 " pension_insurance, disability_cert, log_id) VALUES (%d, %d, 'x', 'head',"
                 " 'none', 0, 'healthy', 'normal', 1, 1, 1, 0, 0)",
                 i + 1, hh[i]);
        exec(s, sql);
    }
    sb_addf(&sb, "INSERT INTO samples (row_no, name, plan_id, plan_hash, plan_text, seed,"
                 " commitment, frame_hash, frame_rows, algorithm, created, log_id) VALUES"
                 " (1, 't', 't', '', '");
    for (const char *p = plan_json; *p; p++) {
        if (*p == '\'') sb_addch(&sb, '\'');
        sb_addch(&sb, *p);
    }
    sb_adds(&sb, "', '1', '', '', 0, 'test', '', 0)");
    assert_int_equal(sb_ok(&sb), 0);
    exec(s, sb.buf);
    sb_reset(&sb);
#define UNIT                                                                                       \
    "INSERT INTO sample_units (sample, stage, stratum, parent, unit, code, county,"                \
    " village, quota, rank, ticket, substitute_for, reserve, certainty, pi, pi_se,"                \
    " category, grp, log_id) VALUES "
    exec(s, UNIT "(1, 'county', 'eligible', '34', '', '340121', 340121, 0, 0, 1, '', '', 0, 0, 1,"
                 " 0, '', 0, 0)");
    exec(s, UNIT "(1, 'village', 'poor', '340121', '', '340121101201', 340121, 340121101201, 0,"
                 " 1, '', '', 0, 0, 0.5, 0, '', 0, 0),"
                 " (1, 'village', 'poor', '340121', '', '340121101202', 340121, 340121101202, 0,"
                 " 2, '', '', 0, 0, 0.5, 0, '', 0, 0),"
                 " (1, 'village', 'nonpoor', '340121', '', '340121102201', 340121, 340121102201,"
                 " 0, 1, '', '', 0, 0, 0.25, 0, '', 0, 0),"
                 " (1, 'village', 'nonpoor', '340121', '', '340121102202', 340121, 340121102202,"
                 " 0, 2, '', '', 0, 0, 0.25, 0, '', 0, 0)");
    for (size_t i = 0; i < NHH; i++) {
        const struct hh *h = &hhs[i];
        char sql[1200];
        snprintf(sql, sizeof sql,
                 UNIT "(1, 'household', '%s', '%lld', '', '%s', 340121, %lld, 0, %zu, '', '', %d,"
                      " 0, %.17g, 0, '%s', 0, 0)",
                 h->quota, (long long)h->village, h->code, (long long)h->village, i, h->reserve,
                 h->pi, h->category);
        exec(s, sql);
        if (!*h->status) continue;
        snprintf(sql, sizeof sql,
                 "INSERT INTO questionnaires (sample, form, unit, unit_kind, county, village,"
                 " team, pair, survey_date, status, reason, replaces, source, warnings, log_id)"
                 " VALUES (1, 'f', '%s', 'household', 340121, %lld, 1, '', '2019-11-24', '%s',"
                 " '', '', 'test', 0, 0)",
                 h->code, (long long)h->village, h->status);
        exec(s, sql);
        {
            const char *rule[5] = {"wrong_exit", "missed", "approval", "four_kinds",
                                   "exit.standard"};
            const char *out[5] = {h->wrong, h->missed, h->approval, h->four, "pass"};
            int registered = strcmp(h->category, "general") != 0;
            int exit_year = !strncmp(h->category, "exited", 6) ? 2018 : 0;
            for (int k = 0; k < 5; k++) {
                if (!out[k]) continue;
                if (k == 4 && !registered) rule[4] = "missed.income"; /* not the detail row */
                snprintf(sql, sizeof sql,
                         "INSERT INTO judgments (sample, unit, unit_kind, county, village, rule,"
                         " outcome, value, detail, log_id) VALUES (1, '%s', 'household', 340121,"
                         " %lld, '%s', '%s', '', '{\"registry\": {\"persons\": %d,"
                         " \"registered\": %d, \"exit_year\": %d, \"returned\": 0}}', 0)",
                         h->code, (long long)h->village, rule[k], out[k], h->persons, registered,
                         exit_year);
                exec(s, sql);
            }
        }
    }
    sb_release(&sb);
    return s;
}

/* ---------------------------------------------------------------- csv */

/* The surveyed households in export order (county, village, unit) and their weights by
 * hand: adj/(π_v π_h); village 1's exited cell has 3 selected and 2 completed (adj 1.5). */
static const struct {
    const char *code;
    double weight;
} expect_rows[] = {
    {"3401211012010001", 1.5 / (0.5 * 0.25)}, {"3401211012010002", 1.5 / (0.5 * 0.25)},
    {"3401211012010004", 1 / (0.5 * 0.1)},    {"3401211012020005", 1 / (0.5 * 0.5)},
    {"3401211012020006", 1 / (0.5 * 0.2)},    {"3401211022010007", 1 / (0.25 * 1)},
    {"3401211022010008", 1 / (0.25 * 0.05)},  {"3401211022020009", 1 / (0.25 * 1)},
    {"3401211022020010", 1 / (0.25 * 0.5)},
};
#define NROWS (sizeof expect_rows / sizeof expect_rows[0])

static const char *header =
    "sample,record,household,province,city,county,village,stratum,county_stratum,stratum_upper,"
    "psu_upper,weight,weight_province,pi_county,pi_village,pi_household,nonresponse,category,"
    "quota,persons,exited,wrong_exit,missed,approval,wrong_persons,missed_persons,four_kinds,"
    "R,U,E,G";

static size_t col_of(struct csv *c, const char *name)
{
    for (size_t i = 0; i < csv_nfields(c); i++)
        if (!strcmp(csv_field(c, i), name)) return i;
    fail_msg("no column %s", name);
    return 0;
}

static void csv_export(void **state)
{
    char *dir = tu_tmpdir(), path[600], *text;
    struct store *s = build(dir);
    struct error e;
    struct csv *c;
    struct estimates x;
    double Ye = 0, Xe = 0, Ym = 0, Xm = 0, Ya = 0, Xa = 0;
    size_t k[32], row = 0;
    static const char *names[] = {"household",
                                  "weight",
                                  "stratum",
                                  "category",
                                  "wrong_exit",
                                  "missed",
                                  "approval",
                                  "wrong_persons",
                                  "persons",
                                  "R",
                                  "U",
                                  "E",
                                  "G",
                                  "exited",
                                  "county_stratum",
                                  "nonresponse",
                                  "missed_persons",
                                  "four_kinds",
                                  "record",
                                  "county",
                                  "pi_county"};
    (void)state;
    snprintf(path, sizeof path, "%s/a.csv", dir);
    if (export_analysis(s, "t", path, NULL, &e)) fail_msg("%s", e.msg);
    text = tu_read(dir, "a.csv");
    assert_memory_equal(text, header, strlen(header));
    assert_int_equal(text[strlen(header)], '\n');
    free(text);
    assert_int_equal(csv_open(path, &c, &e), 0);
    assert_int_equal(csv_next(c, &e), 1);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) k[i] = col_of(c, names[i]);
    while (csv_next(c, &e) == 1) {
        double w, persons;
        if (!strcmp(csv_field(c, k[18]), "county")) {
            /* issue 16 item 15: the county's registry totals, after the households */
            assert_int_equal(row, NROWS);
            assert_string_equal(csv_field(c, k[19]), "340121");
            assert_string_equal(csv_field(c, k[20]), "1");
            assert_string_equal(csv_field(c, k[9]), "1000");
            assert_string_equal(csv_field(c, k[10]), "3");
            assert_string_equal(csv_field(c, k[11]), "4");
            assert_string_equal(csv_field(c, k[12]), "5");
            assert_string_equal(csv_field(c, k[0]), "");
            assert_string_equal(csv_field(c, k[1]), "");
            row++;
            continue;
        }
        assert_string_equal(csv_field(c, k[18]), "household");
        assert_true(row < NROWS);
        assert_string_equal(csv_field(c, k[0]), expect_rows[row].code);
        assert_int_equal(parse_double(csv_field(c, k[1]), &w), 0);
        CLOSE(w, expect_rows[row].weight, 1e-12);
        assert_string_equal(csv_field(c, k[2]), row < 5 ? "poor" : "nonpoor");
        assert_string_equal(csv_field(c, k[14]), row < 5 ? "34012101" : "34012102");
        assert_int_equal(parse_double(csv_field(c, k[8]), &persons), 0);
        assert_string_equal(csv_field(c, k[9]), "1000");
        assert_string_equal(csv_field(c, k[10]), "3");
        assert_string_equal(csv_field(c, k[11]), "4");
        assert_string_equal(csv_field(c, k[12]), "5");
        if (*csv_field(c, k[4])) { /* in the wrong-exit rate */
            double y;
            assert_int_equal(parse_double(csv_field(c, k[7]), &y), 0);
            CLOSE(y, persons * atoi(csv_field(c, k[4])), 0);
            Ye += w * y, Xe += w * persons;
            assert_string_equal(csv_field(c, k[13]), "1");
            assert_string_equal(csv_field(c, k[5]), ""); /* NA: not asked */
        } else {
            assert_string_equal(csv_field(c, k[7]), "");
        }
        if (*csv_field(c, k[5])) {
            Ym += w * persons * atoi(csv_field(c, k[5])), Xm += w * persons;
            assert_string_equal(csv_field(c, k[3]), "general");
            assert_string_equal(csv_field(c, k[13]), "0");
        }
        if (*csv_field(c, k[6])) Ya += w * atoi(csv_field(c, k[6])), Xa += w;
        row++;
    }
    csv_close(c);
    assert_int_equal(row, NROWS + 1);
    /* the rates from the columns are the estimator's */
    assert_int_equal(estimate_sample(s, "t", "county", &x, &e), 0);
    assert_int_equal(x.n, 1);
    CLOSE(Ye / Xe, 52.0 / 96.0, 1e-12);
    CLOSE(x.u[0].ind[IND_WRONG_EXIT].estimate, Ye / Xe, 1e-12);
    CLOSE(x.u[0].ind[IND_MISSED].estimate, Ym / Xm, 1e-12);
    CLOSE(x.u[0].ind[IND_APPROVAL].estimate, Ya / Xa, 1e-12);
    CLOSE(x.u[0].ind[IND_INCIDENCE].estimate, (3 + Ye / Xe * 4 + Ym / Xm * 5) / 1000, 1e-12);
    assert_int_equal(x.u[0].ind[IND_APPROVAL].n, 7); /* household 7 was not asked */
    estimates_release(&x);
    store_close(s);
    tu_rmrf(dir);
    free(dir);
}

/* ---------------------------------------------------------------- dta, sav */

struct readback {
    int nvars;
    char name[40][64];
    char label[40][256];
    char set[40][64];
    int nrows;
    double num[16][40];
    int missing[16][40];
    char text[16][40][40];
    int nlabels;
    char notes[4][200];
    int nnotes;
    char fweight[64];
    struct {
        char set[64];
        int value;
        char label[128];
    } vl[64];
};

static int on_variable(int index, readstat_variable_t *v, const char *val_labels, void *ctx)
{
    struct readback *r = ctx;
    assert_true(index < 40);
    snprintf(r->name[index], sizeof r->name[0], "%s", readstat_variable_get_name(v));
    snprintf(r->label[index], sizeof r->label[0], "%s",
             readstat_variable_get_label(v) ? readstat_variable_get_label(v) : "");
    snprintf(r->set[index], sizeof r->set[0], "%s", val_labels ? val_labels : "");
    if (index + 1 > r->nvars) r->nvars = index + 1;
    return READSTAT_HANDLER_OK;
}

static int on_value(int obs, readstat_variable_t *v, readstat_value_t value, void *ctx)
{
    struct readback *r = ctx;
    int k = readstat_variable_get_index(v);
    assert_true(obs < 16 && k < 40);
    if (obs + 1 > r->nrows) r->nrows = obs + 1;
    r->missing[obs][k] = readstat_value_is_system_missing(value);
    if (readstat_value_type(value) == READSTAT_TYPE_STRING)
        snprintf(r->text[obs][k], sizeof r->text[0][0], "%s",
                 readstat_string_value(value) ? readstat_string_value(value) : "");
    else if (!r->missing[obs][k])
        r->num[obs][k] = readstat_double_value(value);
    return READSTAT_HANDLER_OK;
}

static int on_value_label(const char *set, readstat_value_t value, const char *label, void *ctx)
{
    struct readback *r = ctx;
    assert_true(r->nlabels < 64);
    snprintf(r->vl[r->nlabels].set, sizeof r->vl[0].set, "%s", set);
    r->vl[r->nlabels].value = (int)readstat_double_value(value);
    snprintf(r->vl[r->nlabels].label, sizeof r->vl[0].label, "%s", label);
    r->nlabels++;
    return READSTAT_HANDLER_OK;
}

static int on_note(int index, const char *note, void *ctx)
{
    struct readback *r = ctx;
    (void)index;
    if (r->nnotes < 4) snprintf(r->notes[r->nnotes++], sizeof r->notes[0], "%s", note);
    return READSTAT_HANDLER_OK;
}

static int on_fweight(readstat_variable_t *v, void *ctx)
{
    struct readback *r = ctx;
    snprintf(r->fweight, sizeof r->fweight, "%s", readstat_variable_get_name(v));
    return READSTAT_HANDLER_OK;
}

static int var_index(const struct readback *r, const char *name)
{
    for (int i = 0; i < r->nvars; i++)
        if (!strcmp(r->name[i], name)) return i;
    fail_msg("no variable %s", name);
    return -1;
}

/* The label of value v of variable `name` through its value-label set. */
static const char *value_label(const struct readback *r, const char *name, int v)
{
    int k = var_index(r, name);
    for (int i = 0; i < r->nlabels; i++)
        if (!strcmp(r->vl[i].set, r->set[k]) && r->vl[i].value == v) return r->vl[i].label;
    return "";
}

static void read_back(const char *path, int sav, struct readback *r)
{
    readstat_parser_t *p = readstat_parser_init();
    memset(r, 0, sizeof *r);
    readstat_set_variable_handler(p, on_variable);
    readstat_set_value_handler(p, on_value);
    readstat_set_value_label_handler(p, on_value_label);
    readstat_set_note_handler(p, on_note);
    readstat_set_fweight_handler(p, on_fweight);
    assert_int_equal(sav ? readstat_parse_sav(p, path, r) : readstat_parse_dta(p, path, r),
                     READSTAT_OK);
    readstat_parser_free(p);
}

static void check_labelled(const char *dir, struct store *s, const char *format)
{
    char path[600], want[128];
    struct readback *r = calloc(1, sizeof *r);
    struct error e;
    int sav = !strcmp(format, "sav");
    assert_non_null(r);
    snprintf(path, sizeof path, "%s/a.%s", dir, format);
    assert_int_equal(export_analysis(s, "t", path, format, &e), 0);
    read_back(path, sav, r);
    assert_int_equal(r->nvars, 31);
    assert_int_equal(r->nrows, (int)NROWS + 1); /* and the county's totals */
    assert_string_equal(r->name[0], "sample");
    assert_string_equal(r->name[1], "record");
    assert_string_equal(r->name[30], "G");
    assert_string_equal(value_label(r, "record", 2), "县合计 county totals");
    CLOSE(r->num[NROWS][var_index(r, "record")], 2, 0);
    CLOSE(r->num[NROWS][var_index(r, "R")], 1000, 0);
    assert_true(r->missing[NROWS][var_index(r, "weight")]);
    /* issue 16 item 16: the design travels with the file */
    if (sav) {
        assert_string_equal(r->fweight, "weight");
    } else {
        char *text;
        assert_true(r->nnotes >= 1);
        assert_non_null(strstr(r->notes[0], "svyset village [pweight = weight], "
                                             "strata(county_stratum)"));
        text = tu_read(dir, "a.do"); /* ReadStat cannot write _dta[_svy_*]: a companion .do */
        assert_non_null(strstr(text, "use \"a.dta\", clear"));
        assert_non_null(strstr(text, "svyset village [pweight = weight], strata(county_stratum) "
                                     "vce(linearized) singleunit(centered)"));
        free(text);
    }
    assert_string_equal(r->label[var_index(r, "weight")],
                        "设计权数（县内）/ design weight within county");
    assert_string_equal(r->label[var_index(r, "wrong_exit")], "错退 / wrong exit");
    assert_string_equal(r->label[var_index(r, "village")],
                        "村（县级初级抽样单位）/ village: PSU of a county");
    /* value labels */
    assert_string_equal(value_label(r, "wrong_exit", 1), "错退 wrong exit");
    assert_string_equal(value_label(r, "wrong_exit", 0), "达标退出 sound exit");
    assert_string_equal(value_label(r, "approval", 1), "认可 approves");
    assert_string_equal(value_label(r, "stratum", 1), "贫困村 poor");
    assert_string_equal(value_label(r, "stratum", 2), "非贫困村 nonpoor");
    snprintf(want, sizeof want, "%s exited_current", category_zh(CAT_EXITED_CURRENT));
    assert_string_equal(value_label(r, "category", CAT_EXITED_CURRENT + 1), want);
    /* values */
    for (size_t i = 0; i < NROWS; i++) {
        assert_string_equal(r->text[i][var_index(r, "household")], expect_rows[i].code);
        assert_string_equal(r->text[i][var_index(r, "sample")], "t");
        CLOSE(r->num[i][var_index(r, "weight")], expect_rows[i].weight, 1e-12);
        CLOSE(r->num[i][var_index(r, "village")],
              (double)(i < 3   ? V1
                       : i < 5 ? V2
                       : i < 7 ? V3
                               : V4),
              0);
        CLOSE(r->num[i][var_index(r, "stratum")], i < 5 ? 1 : 2, 0);
        CLOSE(r->num[i][var_index(r, "R")], 1000, 0);
    }
    CLOSE(r->num[0][var_index(r, "category")], CAT_EXITED_CURRENT + 1, 0);
    CLOSE(r->num[0][var_index(r, "wrong_exit")], 1, 0);
    CLOSE(r->num[0][var_index(r, "wrong_persons")], 4, 0);
    CLOSE(r->num[0][var_index(r, "nonresponse")], 1.5, 0);
    assert_true(r->missing[0][var_index(r, "missed")]);
    assert_true(r->missing[0][var_index(r, "missed_persons")]);
    assert_true(r->missing[5][var_index(r, "approval")]); /* not asked */
    CLOSE(r->num[6][var_index(r, "missed")], 0, 0);
    CLOSE(r->num[4][var_index(r, "missed")], 1, 0);
    CLOSE(r->num[8][var_index(r, "exited")], 0, 0);
    assert_true(r->missing[8][var_index(r, "wrong_exit")]);
    CLOSE(r->num[8][var_index(r, "four_kinds")], 0, 0);
    CLOSE(r->num[1][var_index(r, "four_kinds")], 1, 0);
    free(r);
}

static void stata_and_spss(void **state)
{
    char *dir = tu_tmpdir();
    struct store *s = build(dir);
    (void)state;
    check_labelled(dir, s, "dta");
    check_labelled(dir, s, "sav");
    store_close(s);
    tu_rmrf(dir);
    free(dir);
}

/* issue 16 item 17: a sample name longer than Stata's str2045 goes into a strL (the export
 * failed); SPSS takes it as a very long string. */
static void long_sample_name(void **state)
{
    char *dir = tu_tmpdir(), path[600], sql[5200];
    struct store *s = build(dir);
    struct readback *r = calloc(1, sizeof *r);
    struct error e;
    char name[3001];
    (void)state;
    assert_non_null(r);
    for (int i = 0; i < 3000; i++) name[i] = (char)('a' + i % 26);
    name[3000] = '\0';
    snprintf(sql, sizeof sql, "UPDATE samples SET name = '%s'", name);
    exec(s, sql);
    for (int sav = 0; sav < 2; sav++) {
        snprintf(path, sizeof path, "%s/long.%s", dir, sav ? "sav" : "dta");
        if (export_analysis(s, name, path, NULL, &e)) fail_msg("%s", e.msg);
        memset(r, 0, sizeof *r);
        read_back(path, sav, r);
        assert_int_equal(r->nrows, (int)NROWS + 1);
        /* the readback keeps the first 39 bytes of a string */
        assert_memory_equal(r->text[0][var_index(r, "sample")], name, 39);
        assert_memory_equal(r->text[NROWS][var_index(r, "sample")], name, 39);
        assert_string_equal(r->text[0][var_index(r, "household")], expect_rows[0].code);
    }
    free(r);
    store_close(s);
    tu_rmrf(dir);
    free(dir);
}

/* ---------------------------------------------------------------- errors */

static int exists(const char *dir, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void errors(void **state)
{
    char *dir = tu_tmpdir(), path[600], *ref;
    struct store *s = build(dir);
    struct error e;
    long allocs, k;
    (void)state;
    snprintf(path, sizeof path, "%s/a.txt", dir);
    assert_int_equal(export_analysis(s, "t", path, NULL, &e), ERR_USAGE);
    assert_int_equal(export_analysis(s, "t", path, "xlsx", &e), ERR_USAGE);
    assert_false(exists(dir, "a.txt"));
    snprintf(path, sizeof path, "%s/a.csv", dir);
    assert_int_equal(export_analysis(s, "nope", path, NULL, &e), ERR_NOTFOUND);
    assert_false(exists(dir, "a.csv"));
    snprintf(path, sizeof path, "%s/no/such/folder/a.csv", dir);
    assert_int_equal(export_analysis(s, "t", path, NULL, &e), ERR_IO);
    assert_non_null(strstr(e.msg, "a.csv"));
    /* allocation failures: an error and no file, or the complete file */
    snprintf(path, sizeof path, "%s/ref.csv", dir);
    assert_int_equal(export_analysis(s, "t", path, NULL, &e), 0);
    ref = tu_read(dir, "ref.csv");
    snprintf(path, sizeof path, "%s/a.csv", dir);
    for (k = 1;; k++) {
        int rc;
        mem_fail_after(k, 1);
        rc = export_analysis(s, "t", path, NULL, &e);
        allocs = mem_fail_after(0, 0);
        assert_false(exists(dir, ".a.csv.tmp"));
        if (rc) {
            assert_int_equal(rc, ERR_NOMEM);
            assert_false(exists(dir, "a.csv"));
        } else {
            char *got = tu_read(dir, "a.csv");
            assert_string_equal(got, ref);
            free(got);
            unlink(path);
        }
        if (allocs < k) break; /* the k-th allocation never came: it ran to the end */
    }
    assert_true(k > 5);
    free(ref);
    store_close(s);
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_export),
        cmocka_unit_test(stata_and_spss),
        cmocka_unit_test(long_sample_name),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
