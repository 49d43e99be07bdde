/*
 * test_synth.c — the synthetic province (src/synth/province.c, docs/synthetic.md):
 * determinism for a seed, a different seed gives different data, `--counties 2` is a prefix
 * of `--counties 3` in every file, the truth files agree with the registry files (wrong-exit
 * and missed rates recounted from households, members and truth), every resident ID is valid
 * and matches its sex and birth-date columns, county 0 has its promised ~5% wrong exits,
 * failures leave no files behind, and every allocation failure is reported as ERR_NOMEM
 * without a leak.
 *
 * Kept small (1–3 counties: a few hundred thousand members) so it runs in seconds under
 * ASan.
 */
#include "testutil.h"

#include <math.h>

#include "registry/registry.h"
#include "synth/synth.h"

static const char *const all_files[] = {"counties.csv",   "townships.csv", "villages.csv",
                                        "households.csv", "members.csv",   "projects.csv",
                                        "evaluators.csv", "truth.csv",     "truth-counties.csv"};
#define NFILES (sizeof all_files / sizeof all_files[0])

struct dirs {
    char *a; /* seed 7, 2 counties */
    char *b; /* seed 7, 2 counties again */
    char *c; /* seed 7, 3 counties */
    char *d; /* seed 8, 1 county */
};

static int synth(const char *dir, uint64_t seed, int counties)
{
    struct synth_opts o;
    struct error e;
    int rc;
    memset(&o, 0, sizeof o);
    o.out = dir;
    o.seed = seed;
    o.province = 34;
    o.counties = counties;
    o.year = 2019;
    rc = synth_province(&o, &e);
    if (rc) print_error("synth: %s\n", e.msg);
    return rc;
}

static int setup(void **state)
{
    struct dirs *d = calloc(1, sizeof *d);
    char path[1100];
    if (!d) return -1;
    d->a = tu_tmpdir();
    d->b = tu_tmpdir();
    d->c = tu_tmpdir();
    d->d = tu_tmpdir();
    /* a nested folder that does not exist yet: created with mkdir -p semantics */
    snprintf(path, sizeof path, "%s/x/y", d->b);
    free(d->b);
    d->b = strdup(path);
    if (synth(d->a, 7, 2) || synth(d->b, 7, 2) || synth(d->c, 7, 3) || synth(d->d, 8, 1)) return -1;
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    struct dirs *d = *state;
    char *slash;
    tu_rmrf(d->a);
    slash = strstr(d->b, "/x/y");
    if (slash) *slash = '\0';
    tu_rmrf(d->b);
    tu_rmrf(d->c);
    tu_rmrf(d->d);
    free(d->a), free(d->b), free(d->c), free(d->d);
    free(d);
    return 0;
}

static void same_seed_same_bytes(void **state)
{
    struct dirs *d = *state;
    for (size_t i = 0; i < NFILES; i++) {
        char *x = tu_read(d->a, all_files[i]), *y = tu_read(d->b, all_files[i]);
        if (strcmp(x, y)) fail_msg("%s differs between two runs of the same seed", all_files[i]);
        free(x), free(y);
    }
}

static void other_seed_other_data(void **state)
{
    struct dirs *d = *state;
    const char *files[] = {"counties.csv", "households.csv", "members.csv", "truth.csv"};
    for (size_t i = 0; i < 4; i++) {
        char *x = tu_read(d->a, files[i]), *y = tu_read(d->d, files[i]);
        size_t hx = strcspn(x, "\n"), hy = strcspn(y, "\n");
        assert_int_equal(hx, hy); /* same header */
        assert_memory_equal(x, y, hx);
        if (strlen(y) <= hx + 1 || !strncmp(x + hx, y + hy, strlen(y + hy)))
            fail_msg("%s: seed 8 repeats seed 7", files[i]);
        free(x), free(y);
    }
}

static void fewer_counties_is_a_prefix(void **state)
{
    struct dirs *d = *state;
    for (size_t i = 0; i < NFILES; i++) {
        char *x = tu_read(d->a, all_files[i]), *y = tu_read(d->c, all_files[i]);
        size_t nx = strlen(x);
        if (strlen(y) < nx || memcmp(x, y, nx))
            fail_msg("%s of 2 counties is not a prefix of that of 3", all_files[i]);
        free(x), free(y);
    }
    {
        /* and county 3 added rows */
        char *x = tu_read(d->a, "counties.csv"), *y = tu_read(d->c, "counties.csv");
        assert_true(strlen(y) > strlen(x));
        free(x), free(y);
    }
}

/* ---------------------------------------------------------------- reading the files back */

struct reader {
    struct csv *c;
    int idx[32];
};

static void rd_open(struct reader *r, const char *dir, const char *file, const char *const *cols,
                    size_t ncols)
{
    char path[1100];
    struct error e;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    assert_int_equal(csv_open(path, &r->c, &e), 0);
    assert_int_equal(csv_next(r->c, &e), 1);
    for (size_t k = 0; k < ncols; k++) {
        r->idx[k] = -1;
        for (size_t f = 0; f < csv_nfields(r->c); f++)
            if (!strcmp(csv_field(r->c, f), cols[k])) r->idx[k] = (int)f;
        if (r->idx[k] < 0) fail_msg("%s: no column %s", file, cols[k]);
    }
}

static int rd_next(struct reader *r)
{
    struct error e;
    int rc = csv_next(r->c, &e);
    assert_true(rc >= 0);
    return rc;
}

static const char *fld(const struct reader *r, int k)
{
    return csv_field(r->c, (size_t)r->idx[k]);
}

struct county_count {
    int code;
    int64_t exited, wrong, general, missed;
    double wrong_true, missed_true, line;
};

static void truth_agrees_with_registry(void **state)
{
    struct dirs *d = *state;
    static const char *const hcols[] = {"household_id", "registered", "exit_year",
                                        "returned",     "edge",       "income"};
    static const char *const tcols[] = {
        "household_id", "income",  "poor",       "food_clothing", "water",         "education",
        "medical",      "housing", "knows_exit", "approves",      "policy_effect", "stable_income"};
    static const char *const mcols[] = {"resident_id",      "household_id", "sex",
                                        "birth_date",       "relation",     "in_school",
                                        "medical_insurance"};
    static const char *const ccols[] = {"county", "wrong_exit_true", "missed_true", "line",
                                        "wrong_exit_param"};
    struct reader h, t, m, tc;
    struct county_count cc[3];
    size_t ncc = 0;
    int have_member;
    int64_t households = 0, members = 0;

    memset(cc, 0, sizeof cc);
    rd_open(&tc, d->c, "truth-counties.csv", ccols, 5);
    while (rd_next(&tc) == 1) {
        assert_true(ncc < 3);
        cc[ncc].code = atoi(fld(&tc, 0));
        cc[ncc].wrong_true = atof(fld(&tc, 1));
        cc[ncc].missed_true = atof(fld(&tc, 2));
        cc[ncc].line = atof(fld(&tc, 3));
        if (ncc == 0) assert_true(fabs(atof(fld(&tc, 4)) - 0.05) < 1e-12);
        ncc++;
    }
    assert_int_equal(ncc, 3);
    csv_close(tc.c);

    rd_open(&h, d->c, "households.csv", hcols, 6);
    rd_open(&t, d->c, "truth.csv", tcols, 12);
    rd_open(&m, d->c, "members.csv", mcols, 7);
    have_member = rd_next(&m);
    while (rd_next(&h) == 1) {
        const char *hid = fld(&h, 0);
        int registered = atoi(fld(&h, 1)), exited = *fld(&h, 2) && !atoi(fld(&h, 3));
        int poor, n = 0, heads = 0, dropout = 0, uninsured = 0;
        struct county_count *c = NULL;
        double income;
        assert_int_equal(rd_next(&t), 1);
        assert_string_equal(fld(&t, 0), hid);
        for (size_t i = 0; i < ncc; i++) {
            char code[7];
            snprintf(code, sizeof code, "%d", cc[i].code);
            if (!strncmp(hid, code, 6)) c = &cc[i];
        }
        assert_non_null(c);
        /* its members follow in order */
        while (have_member == 1 && !strcmp(fld(&m, 1), hid)) {
            struct rid r;
            char why[128], bd[11];
            const char *id = fld(&m, 0);
            if (ids_parse(id, strlen(id), 20191231, &r, why, sizeof why) != IDS_OK)
                fail_msg("resident ID %s: %s", id, why);
            assert_int_equal(r.region / 1000, 340); /* Anhui, county of the household */
            assert_int_equal(r.region, c->code);
            assert_string_equal(fld(&m, 2), r.sex == 1 ? "male" : "female");
            snprintf(bd, sizeof bd, "%04d-%02d-%02d", r.birth / 10000, r.birth / 100 % 100,
                     r.birth % 100);
            assert_string_equal(fld(&m, 3), bd);
            {
                int age = date_age(r.birth, 20191231);
                if (age >= 6 && age <= 15 && !atoi(fld(&m, 5))) dropout = 1;
            }
            heads += !strcmp(fld(&m, 4), "head");
            uninsured += !atoi(fld(&m, 6));
            n++;
            have_member = rd_next(&m);
        }
        assert_true(n >= 1 && n <= 8);
        assert_int_equal(heads, 1);
        members += n;
        households++;

        income = atof(fld(&t, 1));
        poor = income <= c->line || !atoi(fld(&t, 3)) || !atoi(fld(&t, 4)) || !atoi(fld(&t, 5)) ||
               !atoi(fld(&t, 6)) || !atoi(fld(&t, 7));
        assert_int_equal(poor, atoi(fld(&t, 2)));
        assert_int_equal(!atoi(fld(&t, 5)), dropout); /* education 0 <=> a dropout */
        assert_int_equal(!atoi(fld(&t, 6)), uninsured > 0);
        if (!poor) assert_string_equal(fld(&t, 11), "1");
        if (registered) {
            assert_string_equal(fld(&t, 9), ""); /* approves: general households only */
            assert_true(*fld(&t, 10));           /* policy_effect given */
            assert_true(*fld(&h, 5));            /* registry income given */
        } else {
            assert_true(*fld(&t, 9));
            assert_string_equal(fld(&t, 10), "");
            assert_string_equal(fld(&h, 5), "");
            c->general += n;
            if (poor) c->missed += n;
        }
        if (registered && exited) {
            assert_true(*fld(&t, 8));
            assert_true(atof(fld(&h, 5)) > c->line); /* the registry says it is above */
            c->exited += n;
            if (poor) c->wrong += n;
        } else {
            assert_string_equal(fld(&t, 8), "");
        }
        if (atoi(fld(&h, 4))) assert_false(registered); /* edge: general only */
    }
    assert_int_equal(have_member, 0);
    assert_int_equal(rd_next(&t), 0);
    csv_close(h.c);
    csv_close(t.c);
    csv_close(m.c);
    assert_true(households > 10000 && members > 3 * households && members < 4 * households);

    for (size_t i = 0; i < ncc; i++) {
        double we = (double)cc[i].wrong / (double)cc[i].exited;
        double mi = (double)cc[i].missed / (double)cc[i].general;
        assert_true(fabs(we - cc[i].wrong_true) < 1e-12);
        assert_true(fabs(mi - cc[i].missed_true) < 1e-12);
    }
    /* the promised counties: 0 about 5% wrong exits, 1 about 0.5% */
    assert_true(cc[0].wrong_true > 0.035 && cc[0].wrong_true < 0.065);
    assert_true(cc[1].wrong_true < 0.015);
}

static void counties_file_shape(void **state)
{
    struct dirs *d = *state;
    static const char *const cols[] = {"code",      "city_code",        "type",
                                       "exit_year", "rural_population", "allowance_standard"};
    struct reader r;
    int k = 0;
    rd_open(&r, d->c, "counties.csv", cols, 6);
    while (rd_next(&r) == 1) {
        int code = atoi(fld(&r, 0));
        assert_int_equal(code / 100, atoi(fld(&r, 1)));
        assert_int_equal(code / 10000, 34);
        if (k <= 1) { /* counties 0 and 1 exited last year: the national plan's frame */
            assert_string_equal(fld(&r, 2), "exited");
            assert_string_equal(fld(&r, 3), "2018");
        }
        if (k == 2) assert_true(atof(fld(&r, 5)) == 3218); /* allowance at the line */
        assert_true(atoi(fld(&r, 4)) > 50000);
        k++;
    }
    assert_int_equal(k, 3);
    csv_close(r.c);
}

/* No temporary is left behind after success; an impossible folder is ERR_IO. */
static void files_and_errors(void **state)
{
    struct dirs *d = *state;
    char path[1100];
    struct synth_opts o;
    struct error e;
    for (size_t i = 0; i < NFILES; i++) {
        snprintf(path, sizeof path, "%s/.%s.tmp", d->a, all_files[i]);
        assert_int_not_equal(access(path, F_OK), 0);
    }
    memset(&o, 0, sizeof o);
    snprintf(path, sizeof path, "%s/counties.csv/sub", d->a); /* a file in the way */
    o.out = path;
    o.seed = 1;
    o.province = 34;
    o.counties = 1;
    assert_int_equal(synth_province(&o, &e), ERR_IO);
    assert_non_null(strstr(e.msg, "counties.csv"));
    o.province = 10;
    assert_int_equal(synth_province(&o, &e), ERR_INVALID);
    o.province = 34;
    o.counties = 0;
    assert_int_equal(synth_province(&o, &e), ERR_INVALID);
}

/* Every allocation failure gives ERR_NOMEM, no leak, no file (ASan checks the leaks). */
static void allocation_failures(void **state)
{
    char *dir = tu_tmpdir();
    struct synth_opts o;
    struct error e;
    int rc = -1;
    (void)state;
    memset(&o, 0, sizeof o);
    o.out = dir;
    o.seed = 3;
    o.province = 34;
    o.counties = 1;
    for (long n = 1; n < 200; n++) {
        char path[1100];
        mem_fail_after(n, 1);
        rc = synth_province(&o, &e);
        mem_fail_after(0, 0);
        if (rc == 0) break;
        assert_int_equal(rc, ERR_NOMEM);
        for (size_t i = 0; i < NFILES; i++) {
            snprintf(path, sizeof path, "%s/.%s.tmp", dir, all_files[i]);
            assert_int_not_equal(access(path, F_OK), 0);
            snprintf(path, sizeof path, "%s/%s", dir, all_files[i]);
            assert_int_not_equal(access(path, F_OK), 0);
        }
    }
    assert_int_equal(rc, 0);
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_bytes),       cmocka_unit_test(other_seed_other_data),
        cmocka_unit_test(fewer_counties_is_a_prefix), cmocka_unit_test(truth_agrees_with_registry),
        cmocka_unit_test(counties_file_shape),        cmocka_unit_test(files_and_errors),
        cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
