/*
 * test_registry.c — registry import/export and the change log, on the hand-made fixture
 * tests/data/mini: a clean import, the exact position of each kind of error, all-or-nothing,
 * GB18030 input, export round trip, and audit verification against tampering.
 */
#include "testutil.h"

#include <iconv.h>

#include "registry/registry.h"
#include "store/store.h"

#define MINI "tests/data/mini"

static const char *files[] = {"counties.csv", "townships.csv", "villages.csv", "households.csv",
                              "members.csv",  "projects.csv",  "evaluators.csv", "truth.csv"};

/* Copies the fixture into a fresh folder; returns it (free()). */
static char *copy_mini(void)
{
    char *dir = tu_tmpdir();
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *t = tu_read(MINI, files[i]);
        tu_write(dir, files[i], t);
        free(t);
    }
    return dir;
}

static struct store *new_store(const char *dir)
{
    char path[1024];
    struct store *s;
    struct error e;
    snprintf(path, sizeof path, "%s/t.db", dir);
    unlink(path);
    assert_int_equal(store_open(path, STORE_CREATE, &s, &e), 0);
    return s;
}

static int do_import(struct store *s, const char *dir, struct errlist *errs)
{
    struct import_opts o = {20261101, 0, 50};
    struct import_stats st;
    struct error e;
    int rc;
    errlist_init(errs, 50);
    rc = registry_import(s, dir, &o, &st, errs, &e);
    if (rc && rc != ERR_INVALID) print_error("import: %s\n", e.msg);
    return rc;
}

static int64_t count(struct store *s, const char *sql)
{
    int64_t n = -1;
    struct error e;
    assert_int_equal(store_query_int(s, sql, 0, &n, &e), 0);
    return n;
}

static void clean_import_and_roundtrip(void **state)
{
    char *dir = copy_mini(), out[1100];
    struct store *s = new_store(dir);
    struct errlist errs;
    struct error e;
    struct audit_report r;
    (void)state;
    assert_int_equal(do_import(s, dir, &errs), 0);
    assert_int_equal(errs.total, 0);
    errlist_release(&errs);
    assert_int_equal(count(s, "SELECT count(*) FROM members"), 10);
    assert_int_equal(count(s, "SELECT count(*) FROM households"), 4);
    assert_int_equal(count(s, "SELECT count(*) FROM villages WHERE county = 340123"), 2);
    assert_int_equal(count(s, "SELECT count(*) FROM audit_log"), 7);
    assert_int_equal(audit_verify(s, &r, &e), 0);
    assert_int_equal(r.rows, 1 + 1 + 2 + 4 + 10 + 2 + 3);
    snprintf(out, sizeof out, "%s/out", dir);
    assert_int_equal(registry_export(s, out, 0, &e), 0);
    for (size_t i = 0; i < 7; i++) {
        char *a = tu_read(MINI, files[i]), *b = tu_read(out, files[i]);
        if (strcmp(a, b)) fail_msg("%s differs after export:\n%s\n---\n%s", files[i], a, b);
        free(a);
        free(b);
    }
    /* a second import replaces the registry; the chain stays verifiable */
    assert_int_equal(do_import(s, out, &errs), 0);
    errlist_release(&errs);
    assert_int_equal(count(s, "SELECT count(*) FROM members"), 10);
    assert_int_equal(audit_verify(s, &r, &e), 0);
    assert_int_equal(r.retired, 7);
    store_close(s);
    tu_rmrf(dir);
    free(dir);
}

/* Replaces the first occurrence of `from` in dir/name by `to`. */
static void edit(const char *dir, const char *name, const char *from, const char *to)
{
    char *t = tu_read(dir, name), *p = strstr(t, from);
    struct strbuf sb = STRBUF_INIT;
    assert_non_null(p);
    sb_add(&sb, t, (size_t)(p - t));
    sb_adds(&sb, to);
    sb_adds(&sb, p + strlen(from));
    tu_write(dir, name, sb.buf);
    sb_release(&sb);
    free(t);
}

/* Imports after one edit; expects failure with exactly one error at file:line:column whose
 * message contains `want`, and an unchanged store (the clean import stays). */
static void expect_error(const char *name, const char *from, const char *to, const char *file,
                         long line, long col, const char *want)
{
    char *dir = copy_mini();
    struct store *s = new_store(dir);
    struct errlist errs;
    int64_t log_before;
    assert_int_equal(do_import(s, dir, &errs), 0);
    errlist_release(&errs);
    log_before = count(s, "SELECT count(*) FROM audit_log");
    edit(dir, name, from, to);
    assert_int_equal(do_import(s, dir, &errs), ERR_INVALID);
    if (errs.total < 1 || strcmp(errs.items[0].file, file) || errs.items[0].line != line ||
        errs.items[0].column != col || !strstr(errs.items[0].msg, want)) {
        errlist_print(stderr, &errs);
        fail_msg("expected %s:%ld:%ld: ...%s...", file, line, col, want);
    }
    errlist_release(&errs);
    /* nothing changed: same rows, same log */
    assert_int_equal(count(s, "SELECT count(*) FROM members"), 10);
    assert_int_equal(count(s, "SELECT count(*) FROM audit_log"), log_before);
    {
        struct audit_report r;
        struct error e;
        assert_int_equal(audit_verify(s, &r, &e), 0);
    }
    store_close(s);
    tu_rmrf(dir);
    free(dir);
}

static void error_positions(void **state)
{
    (void)state;
    /* wrong check digit: member line 2, column 1 */
    expect_error("members.csv", "340123197003150013", "340123197003150014", "members.csv", 2, 1,
                 "check character is 4, expected 3");
    /* unknown village code of a household: line 3, column 2 */
    expect_error("households.csv", "3401231012010002,340123101201", "3401231012010002,340123101209",
                 "households.csv", 3, 2, "unknown village 340123101209");
    /* duplicate resident ID within a household */
    expect_error("members.csv", "34012319720611002X,3401231012010001,李秀英,spouse,female,1972-06-11",
                 "340123197003150013,3401231012010001,李秀英,spouse,male,1970-03-15",
                 "members.csv", 3, 1,
                 "duplicate resident ID 340123********0013 (also line 2)");
    /* the same person in two households */
    expect_error("members.csv", "340123198008080071,3401231012020001,孙建国,head,male,1980-08-08",
                 "340123197003150013,3401231012020001,孙建国,head,male,1970-03-15",
                 "members.csv", 7, 1,
                 "in two households");
    /* exit year before identified year */
    expect_error("households.csv", "3401231012010001,340123101201,1,1,2014,2019",
                 "3401231012010001,340123101201,1,1,2014,2013", "households.csv", 2, 6,
                 "exit year 2013 before identified year 2014");
    /* a birth date in the future (today is 2026-11-01 in these tests) */
    expect_error("members.csv", "34012320100904003", "34012320270904003", "members.csv", 4, 1,
                 "in the future");
    /* an unknown code */
    expect_error("counties.csv", ",central,", ",middle,", "counties.csv", 2, 5,
                 "unknown value 'middle'");
}

static void excel_mangled_and_limits(void **state)
{
    char *dir = copy_mini();
    struct store *s = new_store(dir);
    struct errlist errs;
    (void)state;
    edit(dir, "members.csv", "340123197003150013", "3.40123E+17");
    assert_int_equal(do_import(s, dir, &errs), ERR_INVALID);
    assert_non_null(strstr(errs.items[0].msg, "scientific notation"));
    errlist_release(&errs);
    assert_int_equal(count(s, "SELECT count(*) FROM members"), 0);
    assert_int_equal(count(s, "SELECT count(*) FROM audit_log"), 0);
    store_close(s);
    tu_rmrf(dir);
    free(dir);
}

static void many_errors_are_capped(void **state)
{
    char *dir = copy_mini();
    struct store *s = new_store(dir);
    struct errlist errs;
    struct strbuf sb = STRBUF_INIT;
    char *t = tu_read(dir, "members.csv");
    (void)state;
    sb_adds(&sb, t);
    for (int i = 0; i < 120; i++)
        sb_addf(&sb, "99999999999999999%d,nohh,x,head,,,none,0,healthy,none,1,1,1,0\n", i % 10);
    tu_write(dir, "members.csv", sb.buf);
    assert_int_equal(do_import(s, dir, &errs), ERR_INVALID);
    /* issue 9 item 6: 20 of each kind, then one uncounted "… and N more of this kind" */
    {
        size_t unknown = 0, ids = 0, more = 0;
        for (size_t i = 0; i < errs.n; i++) {
            unknown += strstr(errs.items[i].msg, "unknown household nohh") != NULL;
            ids += !strncmp(errs.items[i].msg, "resident_id: ", 13);
            if (strstr(errs.items[i].msg, "… and 100 more of this kind")) {
                more++;
                assert_int_equal(errs.items[i].line, 0);
            }
        }
        assert_int_equal(unknown, 20);
        assert_int_equal(ids, 20);
        assert_int_equal(more, 2);
        assert_int_equal(errs.n, 42);
        assert_int_equal(errs.total, 240);
    }
    errlist_release(&errs);
    sb_release(&sb);
    free(t);
    store_close(s);
    tu_rmrf(dir);
    free(dir);
}

/* code_parse's fast path (the canonical code as written) gives what the full search gives:
 * no value's other names equal another value's code */
static void canonical_codes_parse_to_themselves(void **state)
{
    const struct code *lists[] = {codes_region,        codes_county_type,    codes_relation,
                                  codes_education,     codes_health,         codes_labour,
                                  codes_project_kind,  codes_project_status, codes_unit_level,
                                  codes_position};
    (void)state;
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        for (const struct code *c = lists[i]; c->code; c++) {
            for (const struct code *d = lists[i]; d < c; d++) { /* no earlier value claims it */
                assert_false(str_ieq(c->code, strlen(c->code), d->zh));
                assert_false(str_ieq(c->code, strlen(c->code), d->en));
                assert_false(d->aliases && str_in_list(c->code, strlen(c->code), d->aliases));
            }
            assert_ptr_equal(code_parse(lists[i], c->code, strlen(c->code)), c->code);
        }
}

static void gb18030_imports_identically(void **state)
{
    char *dir = copy_mini(), out[1100];
    struct store *s = new_store(dir);
    struct errlist errs;
    struct error e;
    (void)state;
    /* convert every file to GB18030 */
    for (size_t i = 0; i < 7; i++) {
        char *t = tu_read(dir, files[i]), *in = t;
        size_t inleft = strlen(t), outleft = inleft * 2 + 16;
        char *gb = calloc(1, outleft), *o = gb;
        iconv_t cd = iconv_open("GB18030", "UTF-8");
        assert_int_not_equal(iconv(cd, &in, &inleft, &o, &outleft), (size_t)-1);
        iconv_close(cd);
        tu_write(dir, files[i], gb);
        free(gb);
        free(t);
    }
    assert_int_equal(do_import(s, dir, &errs), 0);
    errlist_release(&errs);
    snprintf(out, sizeof out, "%s/out", dir);
    assert_int_equal(registry_export(s, out, 0, &e), 0);
    for (size_t i = 0; i < 7; i++) {
        char *a = tu_read(MINI, files[i]), *b = tu_read(out, files[i]);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    store_close(s);
    tu_rmrf(dir);
    free(dir);
}

/* Imports the fixture, runs one tampering statement, expects verify to name `seq`. */
static void tamper(const char *sql, int64_t seq, const char *want)
{
    char *dir = copy_mini();
    struct store *s = new_store(dir);
    struct errlist errs;
    struct audit_report r;
    struct error e;
    assert_int_equal(do_import(s, dir, &errs), 0);
    errlist_release(&errs);
    assert_int_equal(audit_verify(s, &r, &e), 0);
    assert_int_equal(store_exec(s, sql, &e), 0);
    assert_int_equal(audit_verify(s, &r, &e), ERR_VERIFY);
    if (r.first.seq != seq || !strstr(r.first.what, want))
        fail_msg("after `%s`: expected entry %lld (%s), got %lld: %s", sql, (long long)seq,
                 want, (long long)r.first.seq, r.first.what);
    store_close(s);
    tu_rmrf(dir);
    free(dir);
}

static void audit_detects_tampering(void **state)
{
    (void)state;
    /* entries: 1 counties, 2 townships, 3 villages, 4 households, 5 members, 6, 7 */
    tamper("UPDATE members SET name = '王小山' WHERE row_no = 1", 5, "a row was changed");
    tamper("UPDATE households SET income = 9999 WHERE row_no = 2", 4, "a row was changed");
    tamper("DELETE FROM members WHERE row_no = 3", 5, "rows were deleted");
    tamper("INSERT INTO members SELECT 99, resident + 1, household, name, relation, education,"
           " in_school, health, labour, medical_insurance, illness_insurance, pension_insurance,"
           " disability_cert, log_id FROM members WHERE row_no = 1",
           5, "rows were added");
    tamper("UPDATE audit_log SET actor = 'someone' WHERE seq = 3", 3, "was altered");
    tamper("UPDATE audit_log SET nrows = 9 WHERE seq = 6", 6, "was altered");
    tamper("DELETE FROM audit_log WHERE seq = 2", 2, "missing");
    tamper("UPDATE audit_log SET seq = 100 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq "
           "= 5; UPDATE audit_log SET seq = 5 WHERE seq = 100",
           4, "");
    tamper("DELETE FROM audit_log WHERE seq = 7", 7, "head");
    tamper("UPDATE members SET log_id = 4 WHERE row_no = 2", 4, "claims entry 4");
}

static void categories(void **state)
{
    struct category_windows w = {2019, 2018, 2019, 2016, 2018};
    struct hh_facts h;
    (void)state;
    h = (struct hh_facts){0, 0, 0, 0};
    assert_int_equal(household_category(&h, &w), CAT_GENERAL);
    h = (struct hh_facts){1, 2014, 2016, 1};
    assert_int_equal(household_category(&h, &w), CAT_RETURNED);
    h = (struct hh_facts){1, 2018, 2019, 0}; /* newly identified beats exited this year */
    assert_int_equal(household_category(&h, &w), CAT_NEWLY_IDENTIFIED);
    h = (struct hh_facts){1, 2014, 2019, 0};
    assert_int_equal(household_category(&h, &w), CAT_EXITED_CURRENT);
    h = (struct hh_facts){1, 2014, 2017, 0};
    assert_int_equal(household_category(&h, &w), CAT_EXITED_EARLIER);
    h = (struct hh_facts){1, 2014, 0, 0};
    assert_int_equal(household_category(&h, &w), CAT_UNEXITED);
    h = (struct hh_facts){1, 2014, 2015, 0};
    assert_int_equal(household_category(&h, &w), CAT_EXITED_OTHER);
    assert_int_equal(category_parse("exited_earlier"), CAT_EXITED_EARLIER);
    assert_int_equal(category_parse("exitted"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_import_and_roundtrip),
        cmocka_unit_test(error_positions),
        cmocka_unit_test(excel_mangled_and_limits),
        cmocka_unit_test(many_errors_are_capped),
        cmocka_unit_test(canonical_codes_parse_to_themselves),
        cmocka_unit_test(gb18030_imports_identically),
        cmocka_unit_test(audit_detects_tampering),
        cmocka_unit_test(categories),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
