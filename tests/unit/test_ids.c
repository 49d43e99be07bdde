/*
 * test_ids.c — resident IDs (GB 11643-1999): validation, normalisation, upgrade, Excel
 * damage, derivation, packing; and calendar dates.
 */
#include "testutil.h"

static enum ids_problem parse(const char *s, struct rid *r)
{
    char why[256];
    return ids_parse(s, strlen(s), 20261101, r, why, sizeof why);
}

static void check_char(void **state)
{
    (void)state;
    /* the standard's own example */
    assert_int_equal(ids_check_char("11010519491231002"), 'X');
    assert_int_equal(ids_check_char("44052418800101001"), '4');
}

static void valid_and_derived(void **state)
{
    struct rid r;
    (void)state;
    assert_int_equal(parse("11010519491231002X", &r), IDS_OK);
    assert_string_equal(r.s, "11010519491231002X");
    assert_int_equal(r.birth, 19491231);
    assert_int_equal(r.region, 110105);
    assert_int_equal(r.sex, 2); /* 002: even */
    assert_int_equal(r.upgraded, 0);
    assert_int_equal(parse("440524188001010014", &r), IDS_OK);
    assert_int_equal(r.sex, 1);
}

static void normalises(void **state)
{
    struct rid r;
    (void)state;
    assert_int_equal(parse("11010519491231002x", &r), IDS_OK);
    assert_string_equal(r.s, "11010519491231002X");
    assert_int_equal(parse("  '11010519491231002X\t", &r), IDS_OK);
    /* full-width digits and Ｘ */
    assert_int_equal(parse("１１０１０５１９４９１２３１００２Ｘ", &r), IDS_OK);
    assert_string_equal(r.s, "11010519491231002X");
    assert_int_equal(parse("11010519491231002ｘ", &r), IDS_OK);
}

static void upgrades_15(void **state)
{
    struct rid r;
    (void)state;
    /* 15-digit: region 110105, 491231, seq 002 -> 19491231, check X */
    assert_int_equal(parse("110105491231002", &r), IDS_OK);
    assert_string_equal(r.s, "11010519491231002X");
    assert_int_equal(r.upgraded, 1);
}

static void rejects(void **state)
{
    struct rid r;
    char why[256];
    (void)state;
    assert_int_equal(parse("", &r), IDS_EMPTY);
    assert_int_equal(parse("1101051949123100", &r), IDS_LENGTH);
    assert_int_equal(parse("11010519491231002Y", &r), IDS_CHARS);
    assert_int_equal(parse("1101A519491231002X", &r), IDS_CHARS);
    assert_int_equal(parse("99010519491231002X", &r), IDS_PROVINCE);
    assert_int_equal(parse("110105194902300029", &r), IDS_DATE);        /* 30 February */
    assert_int_equal(parse("110105203001010020", &r), IDS_FUTURE);      /* after today */
    assert_int_equal(ids_parse("11010519491231002X", 18, 0, &r, why, sizeof why), IDS_OK);
    assert_int_equal(ids_parse("110105194912310021", 18, 0, &r, why, sizeof why), IDS_CHECK);
    assert_string_equal(why, "check character is 1, expected X");
    /* leap days */
    assert_int_equal(parse("11010520000229002X", &r) == IDS_DATE, 0);
    assert_int_equal(parse("110105190002290021", &r), IDS_DATE);
}

static void excel_damage(void **state)
{
    struct rid r;
    char why[256];
    (void)state;
    assert_int_equal(ids_parse("1.10101E+17", 11, 0, &r, why, sizeof why), IDS_EXCEL_SCI);
    assert_non_null(strstr(why, "scientific notation"));
    assert_int_equal(parse("3.40123E+17", &r), IDS_EXCEL_SCI);
    /* the last three digits lost to Excel's 15 significant digits, check fails */
    assert_int_equal(ids_parse("110105194912310000", 18, 0, &r, why, sizeof why),
                     IDS_EXCEL_ZEROS);
    assert_non_null(strstr(why, "15 significant digits"));
    /* a valid ID may end in 000: not flagged */
    {
        char id[19] = "34012319800101000";
        id[17] = ids_check_char(id);
        id[18] = 0;
        if (id[17] == '0') {
            assert_int_equal(parse(id, &r), IDS_OK);
        }
    }
    /* find a real valid ID ending in 000 and make sure it passes */
    for (int day = 1; day <= 28; day++) for (int seq = 0; seq < 1000; seq += 100) {
        char id[19];
        snprintf(id, sizeof id, "340123198001%02d%03d", day, seq);
        id[17] = ids_check_char(id);
        id[18] = 0;
        if (!strcmp(id + 15, "000")) {
            assert_int_equal(parse(id, &r), IDS_OK);
            return;
        }
    }
    fail_msg("no valid ID ending in 000 found");
}

static void pack_roundtrip(void **state)
{
    struct rid r;
    char out[19];
    (void)state;
    assert_int_equal(parse("11010519491231002X", &r), IDS_OK);
    assert_int_equal(r.key, 11010519491231002ULL);
    ids_unpack(r.key, out);
    assert_string_equal(out, "11010519491231002X");
}

static void dates(void **state)
{
    int d;
    (void)state;
    assert_true(date_valid(20200229));
    assert_false(date_valid(20190229));
    assert_false(date_valid(21000229));
    assert_true(date_valid(20000229));
    assert_int_equal(parse_date("2019-12-31", &d), 0);
    assert_int_equal(d, 20191231);
    assert_int_equal(parse_date("2019/1/5", &d), 0);
    assert_int_equal(d, 20190105);
    assert_int_equal(parse_date("20191231", &d), 0);
    assert_int_equal(parse_date("2019年12月31日", &d), 0);
    assert_int_equal(d, 20191231);
    assert_int_equal(parse_date("2019-13-01", &d), -1);
    assert_int_equal(parse_date("2019-12", &d), -1);
    assert_int_equal(date_age(20101231, 20191231), 9);
    assert_int_equal(date_age(20110101, 20191231), 8);
    setenv("PINGGU_TODAY", "2020-06-30", 1);
    assert_int_equal(date_today(), 20200630);
    unsetenv("PINGGU_TODAY");
}

static void masking(void **state)
{
    char out[24];
    struct strbuf sb = STRBUF_INIT;
    (void)state;
    mask_id("34012319800101123X", out, sizeof out);
    assert_string_equal(out, "340123********123X");
    mask_name(&sb, "张三丰");
    assert_string_equal(sb.buf, "张**");
    sb_reset(&sb);
    mask_name(&sb, "李四");
    assert_string_equal(sb.buf, "李*");
    sb_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(check_char),   cmocka_unit_test(valid_and_derived),
        cmocka_unit_test(normalises),   cmocka_unit_test(upgrades_15),
        cmocka_unit_test(rejects),      cmocka_unit_test(excel_damage),
        cmocka_unit_test(pack_roundtrip), cmocka_unit_test(dates),
        cmocka_unit_test(masking),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
