/*
 * test_csv.c — the streaming CSV reader: RFC 4180 quoting, line ends, BOM, GB18030
 * detection, rows longer than the buffer, positions in errors, header mapping, and
 * allocation failures.
 */
#include "testutil.h"

#include <iconv.h>

static struct csv *open_mem(const char *s, size_t n)
{
    struct csv *c;
    struct error e;
    assert_int_equal(csv_open_mem("t.csv", s, n, &c, &e), 0);
    return c;
}

static void quoting_and_line_ends(void **state)
{
    const char *s = "a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\r\n\"multi\nline\",2,3\n\nlast,,end";
    struct csv *c = open_mem(s, strlen(s));
    struct error e;
    (void)state;
    assert_int_equal(csv_next(c, &e), 1);
    assert_int_equal(csv_nfields(c), 3);
    assert_string_equal(csv_field(c, 2), "c");
    assert_int_equal(csv_line(c), 1);
    assert_int_equal(csv_next(c, &e), 1);
    assert_string_equal(csv_field(c, 0), "x,1");
    assert_string_equal(csv_field(c, 1), "say \"hi\"");
    assert_string_equal(csv_field(c, 2), "");
    assert_int_equal(csv_nfields(c), 3);
    assert_int_equal(csv_line(c), 2);
    assert_int_equal(csv_next(c, &e), 1);
    assert_string_equal(csv_field(c, 0), "multi\nline");
    assert_int_equal(csv_line(c), 3);
    assert_int_equal(csv_next(c, &e), 1); /* the blank line 5 is skipped */
    assert_int_equal(csv_line(c), 6);
    assert_string_equal(csv_field(c, 0), "last");
    assert_string_equal(csv_field(c, 1), "");
    assert_string_equal(csv_field(c, 2), "end");
    assert_string_equal(csv_field(c, 9), "");
    assert_int_equal(csv_next(c, &e), 0);
    csv_close(c);
}

static void bom_and_blank_rows(void **state)
{
    const char *s = "\xEF\xBB\xBF" "身份证号,姓名\n,,\n1,张三\n";
    struct csv *c = open_mem(s, strlen(s));
    struct error e;
    (void)state;
    assert_int_equal(csv_next(c, &e), 1);
    assert_string_equal(csv_field(c, 0), "身份证号");
    assert_int_equal(csv_encoding_of(c), CSV_UTF8);
    assert_int_equal(csv_next(c, &e), 1);
    assert_true(csv_row_blank(c));
    assert_int_equal(csv_next(c, &e), 1);
    assert_false(csv_row_blank(c));
    assert_string_equal(csv_field(c, 1), "张三");
    csv_close(c);
}

static char *to_gb18030(const char *utf8, size_t *n)
{
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    size_t inleft = strlen(utf8), outleft = inleft * 2 + 16;
    char *out = malloc(outleft), *o = out, *in = (char *)utf8;
    assert_true(cd != (iconv_t)-1);
    assert_int_not_equal(iconv(cd, &in, &inleft, &o, &outleft), (size_t)-1);
    iconv_close(cd);
    *n = (size_t)(o - out);
    return out;
}

static void gb18030_detected(void **state)
{
    size_t n;
    char *gb = to_gb18030("户编号,姓名,村\n3401,王小明,\"青山村,一组\"\n", &n);
    struct csv *c = open_mem(gb, n);
    struct error e;
    (void)state;
    assert_int_equal(csv_encoding_of(c), CSV_GB18030);
    assert_int_equal(csv_next(c, &e), 1);
    assert_string_equal(csv_field(c, 0), "户编号");
    assert_int_equal(csv_next(c, &e), 1);
    assert_string_equal(csv_field(c, 1), "王小明");
    assert_string_equal(csv_field(c, 2), "青山村,一组");
    assert_int_equal(csv_next(c, &e), 0);
    csv_close(c);
    free(gb);
}

static void invalid_utf8_later(void **state)
{
    /* a valid first block, then a stray GBK byte much later */
    size_t n = 3 << 20;
    char *s = malloc(n + 16);
    struct csv *c;
    struct error e;
    int rc;
    long rows = 0;
    (void)state;
    for (size_t i = 0; i < n; i += 8) memcpy(s + i, "abc,def\n", 8);
    memcpy(s + n - 8, "ab\xB0,def\n", 8);
    c = open_mem(s, n);
    while ((rc = csv_next(c, &e)) == 1) rows++;
    assert_int_equal(rc, ERR_PARSE);
    assert_int_equal(e.line, rows + 1);
    assert_non_null(strstr(e.msg, "UTF-8"));
    csv_close(c);
    free(s);
}

/* issue 9 item 5: a stray byte inside the first block, in a file that is otherwise UTF-8
 * Chinese, is reported at its own line and field (it used to turn the whole file into
 * "GB18030" and fail at line 2); a multi-line quoted field puts it on a later line */
static void invalid_utf8_early_has_its_position(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    struct csv *c;
    struct error e;
    int rc;
    long rows = 0;
    (void)state;
    sb_adds(&sb, "户编号,姓名,备注\n");
    for (int i = 0; i < 5000; i++) sb_addf(&sb, "34%04d,王小明,青山村一组\n", i);
    sb_adds(&sb, "349999,\"李\n大\xB0山\",x\n");   /* line 5002 starts the row; byte on 5003 */
    for (int i = 0; i < 100; i++) sb_adds(&sb, "1,张三,无\n");
    assert_int_equal(sb_ok(&sb), 0);
    c = open_mem(sb.buf, sb.len);
    assert_int_equal(csv_encoding_of(c), CSV_UTF8);
    while ((rc = csv_next(c, &e)) == 1) rows++;
    assert_int_equal(rc, ERR_PARSE);
    assert_int_equal(rows, 5001);
    assert_int_equal(e.line, 5003);
    assert_int_equal(e.column, 2);
    assert_non_null(strstr(e.msg, "byte 0xB0 at character 4 of the field"));
    csv_close(c);
    sb_release(&sb);
}

/* GBK text is not mistaken for UTF-8 with stray bytes, even with pure ASCII before it */
static void gb18030_after_ascii_rows(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    size_t n;
    char *gb = to_gb18030("王小明,青山村,学籍号,张三,李大山\n", &n);
    struct csv *c;
    struct error e;
    long rows = 0;
    (void)state;
    for (int i = 0; i < 2000; i++) sb_addf(&sb, "%d,abc,def,ghi,jkl\n", i);
    sb_add(&sb, gb, n);
    assert_int_equal(sb_ok(&sb), 0);
    c = open_mem(sb.buf, sb.len);
    assert_int_equal(csv_encoding_of(c), CSV_GB18030);
    while (csv_next(c, &e) == 1) rows++;
    assert_int_equal(rows, 2001);
    assert_string_equal(csv_field(c, 2), "学籍号");
    csv_close(c);
    sb_release(&sb);
    free(gb);
}

static void long_row_crosses_buffers(void **state)
{
    size_t n = 3 << 20;
    char *s = malloc(n + 64);
    struct csv *c;
    struct error e;
    (void)state;
    memcpy(s, "h1,h2\n\"", 7);
    memset(s + 7, 'x', n);
    memcpy(s + 7 + n, "\",tail\nz,y\n", 11);
    c = open_mem(s, n + 18);
    assert_int_equal(csv_next(c, &e), 1);
    assert_int_equal(csv_next(c, &e), 1);
    assert_int_equal(csv_field_len(c, 0), n);
    assert_string_equal(csv_field(c, 1), "tail");
    assert_int_equal(csv_next(c, &e), 1);
    assert_string_equal(csv_field(c, 0), "z");
    assert_int_equal(csv_line(c), 3);
    assert_int_equal(csv_next(c, &e), 0);
    csv_close(c);
    free(s);
}

static void errors_have_positions(void **state)
{
    const char *s = "a,b\n1,2\n\"open,3\n";
    struct csv *c = open_mem(s, strlen(s));
    struct error e;
    (void)state;
    assert_int_equal(csv_next(c, &e), 1);
    assert_int_equal(csv_next(c, &e), 1);
    assert_int_equal(csv_next(c, &e), ERR_PARSE);
    assert_int_equal(e.line, 3);
    assert_string_equal(e.file, "t.csv");
    csv_close(c);
    s = "a,b\n\"x\"y,2\n";
    c = open_mem(s, strlen(s));
    assert_int_equal(csv_next(c, &e), 1);
    assert_int_equal(csv_next(c, &e), ERR_PARSE);
    assert_int_equal(e.line, 2);
    assert_int_equal(e.column, 1);
    csv_close(c);
}

static void utf16_refused(void **state)
{
    struct csv *c;
    struct error e;
    (void)state;
    assert_int_equal(csv_open_mem("u.csv", "\xFF\xFE" "a\0,\0", 6, &c, &e), ERR_PARSE);
    assert_non_null(strstr(e.msg, "UTF-16"));
}

static void header_mapping(void **state)
{
    const struct csv_column cols[] = {
        {"resident_id", "身份证号|身份证号码", 1},
        {"name", "姓名", 1},
        {"note", NULL, 0},
    };
    int idx[3];
    struct strbuf ign = STRBUF_INIT;
    struct csv *c;
    struct error e;
    const char *s = " 姓名 ,备注,身份证号码\n";
    (void)state;
    c = open_mem(s, strlen(s));
    assert_int_equal(csv_next(c, &e), 1);
    assert_int_equal(csv_map_header(c, cols, 3, idx, &ign, &e), 0);
    assert_int_equal(idx[0], 2);
    assert_int_equal(idx[1], 0);
    assert_int_equal(idx[2], -1);
    assert_string_equal(ign.buf, "备注");
    csv_close(c);
    s = "姓名,备注\n";
    c = open_mem(s, strlen(s));
    assert_int_equal(csv_next(c, &e), 1);
    assert_int_equal(csv_map_header(c, cols, 3, idx, NULL, &e), ERR_INVALID);
    /* issue 9 item 4: the missing column, the header as it is, and the names accepted */
    assert_string_equal(e.msg, "missing column resident_id (the header is: 姓名, 备注); "
                               "accepted names: resident_id, 身份证号, 身份证号码");
    assert_int_equal(e.line, 1);
    csv_close(c);
    s = "name,姓名,身份证号\n";
    c = open_mem(s, strlen(s));
    assert_int_equal(csv_next(c, &e), 1);
    assert_int_equal(csv_map_header(c, cols, 3, idx, NULL, &e), ERR_INVALID);
    assert_non_null(strstr(e.msg, "twice"));
    csv_close(c);
    sb_release(&ign);
}

static void allocation_failures(void **state)
{
    const char *s = "a,b\n1,2\n";
    (void)state;
    /* every allocation of open and read, failed in turn, gives ERR_NOMEM and no leak */
    for (long n = 1; n < 20; n++) {
        struct csv *c = NULL;
        struct error e;
        int rc;
        mem_fail_after(n, 0);
        rc = csv_open_mem("t.csv", s, strlen(s), &c, &e);
        if (rc == 0) {
            while ((rc = csv_next(c, &e)) == 1) {}
            csv_close(c);
        }
        mem_fail_after(0, 0);
        assert_true(rc == 0 || rc == ERR_NOMEM);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quoting_and_line_ends), cmocka_unit_test(bom_and_blank_rows),
        cmocka_unit_test(gb18030_detected),      cmocka_unit_test(invalid_utf8_later),
        cmocka_unit_test(long_row_crosses_buffers), cmocka_unit_test(errors_have_positions),
        cmocka_unit_test(utf16_refused),         cmocka_unit_test(header_mapping),
        cmocka_unit_test(invalid_utf8_early_has_its_position),
        cmocka_unit_test(gb18030_after_ascii_rows),
        cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
