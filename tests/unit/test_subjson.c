/*
 * test_subjson.c — the JSON submission reader (survey.h submission_json, subjson.c) against
 * what the server did before it (subjson_oracle.h: jansson's tree and the old CSV writer):
 * worked examples of the CSV it writes and the refusals, then 20,000 generated bodies — valid
 * and broken (duplicate keys at any depth, bad UTF-8, surrogate and NUL escapes, numbers out
 * of range, deep nesting, truncation, flipped bytes) — on which both must agree exactly.
 */
#include "testutil.h"

#include "survey/survey.h"
#include "subjson_oracle.h"

static int read_body(const char *body, struct json_submission *s)
{
    struct error e;
    return submission_json(body, strlen(body), s, &e);
}

static void writes_field_import_csv(void **state)
{
    struct json_submission s;
    (void)state;
    assert_int_equal(read_body("{\"form\": \"registered-household\", \"questionnaire\": "
                               "{\"unit\": \"3401\", \"n\": 3, \"x\": 1.5, \"ok\": true, \"no\": false,"
                               " \"none\": null, \"q\": \"a,\\\"b\\\"\\n\\u4e2d\"},"
                               " \"members\": [{\"no\": 1, \"name\": \"甲\"}, {\"no\": 2, \"age\": 1e2}]}",
                               &s),
                     0);
    assert_string_equal(s.form, "registered-household");
    assert_string_equal(s.unit, "3401");
    assert_int_equal(s.questionnaire, 1);
    assert_int_equal(s.members, 1);
    assert_null(s.bad_answer);
    assert_string_equal(s.csv.buf, "unit,n,x,ok,no,none,q\n3401,3,1.5,1,0,,\"a,\"\"b\"\"\n中\"\n");
    /* the members' keys in first-seen order; a key a member lacks is an empty cell */
    assert_string_equal(s.members_csv.buf, "no,name,age\n1,甲,\n2,,100\n");
    submission_json_release(&s);
}

static void reports_shape(void **state)
{
    struct json_submission s;
    (void)state;
    assert_int_equal(read_body("{\"form\": 3, \"questionnaire\": [1], \"members\": null}", &s), 0);
    assert_null(s.form);
    assert_null(s.unit);
    assert_int_equal(s.questionnaire, 0);
    assert_int_equal(s.members, -1);
    submission_json_release(&s);
    assert_int_equal(read_body("{\"questionnaire\": {\"unit\": \"1\", \"a\": [1], \"b\": {}},"
                               " \"members\": [{\"k\": 1}, 2]}",
                               &s),
                     0);
    assert_string_equal(s.bad_answer, "a"); /* the first in key order */
    assert_int_equal(s.member_not_object, 1);
    submission_json_release(&s);
    /* the members' first bad answer: member by member, in the union's key order */
    assert_int_equal(read_body("{\"members\": [{\"a\": 1, \"b\": 2}, {\"b\": [], \"a\": {}}]}", &s), 0);
    assert_string_equal(s.bad_member_answer, "a");
    submission_json_release(&s);
}

static void refuses_what_jansson_refuses(void **state)
{
    static const char *bad[] = {
        "",
        "[]",
        "5",
        "{\"a\": 1, \"a\": 2}",
        "{\"questionnaire\": {\"unit\": \"1\", \"unit\": \"2\"}}",
        "{\"members\": [{\"k\": 1, \"k\": 1}]}",
        "{\"x\": [{\"deep\": {\"k\": 1, \"k\": 2}}]}",
        "{\"a\": \"\\u0000\"}",
        "{\"a\": \"\\ud800\"}",
        "{\"a\": \"\\udc00\"}",
        "{\"a\": \"\\ud800\\u0041\"}",
        "{\"a\": \"\xc0\xaf\"}",
        "{\"a\": \"\xed\xa0\x80\"}",
        "{\"a\": \"\xf4\x90\x80\x80\"}",
        "{\"a\": 99999999999999999999}",
        "{\"a\": -99999999999999999999}",
        "{\"a\": 1e400}",
        "{\"a\": 01}",
        "{\"a\": 1} x",
        "{\"a\": 1} \"x",
        "{\"a\": 1",
        "{\"a\": 'x'}",
        "{\"a\": \"\t\"}",
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct json_submission s;
        struct oracle o;
        struct error e;
        int rc = submission_json(bad[i], strlen(bad[i]), &s, &e);
        oracle_read(bad[i], strlen(bad[i]), &o);
        if (rc != ERR_INVALID || !s.malformed || !o.malformed)
            fail_msg("body %zu (%s): rc %d, oracle malformed %d", i, bad[i], rc, o.malformed);
        assert_non_null(strstr(e.msg, "malformed JSON body at line 1"));
        submission_json_release(&s);
        oracle_release(&o);
    }
    /* where: line and column of the fault */
    {
        struct json_submission s;
        struct error e;
        const char *b = "{\"a\": 1,\n \"a\": 2}";
        assert_int_equal(submission_json(b, strlen(b), &s, &e), ERR_INVALID);
        assert_int_equal(s.line, 2);
        assert_non_null(strstr(e.msg, "duplicate"));
        submission_json_release(&s);
    }
    /* 2048 levels are read, 2049 are not (jansson's limit) */
    for (int depth = 2048; depth <= 2049; depth++) {
        struct strbuf b = STRBUF_INIT;
        struct json_submission s;
        struct error e;
        sb_adds(&b, "{\"x\": ");
        for (int i = 1; i < depth; i++) sb_addch(&b, '[');
        for (int i = 1; i < depth; i++) sb_addch(&b, ']');
        sb_addch(&b, '}');
        assert_int_equal(submission_json(b.buf, b.len, &s, &e), depth == 2048 ? 0 : ERR_INVALID);
        submission_json_release(&s);
        sb_release(&b);
    }
}

/* ------------------------------------------------------------- generated bodies */

static uint64_t rng = 88172645463325252ULL;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void gen_string(struct strbuf *b, int as_key)
{
    static const char *pieces[] = {
        "unit", "form", "a", "b", "no", "name", "中文", "x,y", "say \\\"hi\\\"", "line\\nbreak",
        "\\u4e2d", "\\ud83d\\ude00", "\\/", "\\\\", "\\t", "", "household_id", "3401221202010139",
        "questionnaire", "members", "é", "\xf0\x9f\x98\x80",
    };
    unsigned n = as_key ? 1 : rnd(3);
    sb_addch(b, '"');
    for (unsigned i = 0; i < n; i++) sb_adds(b, pieces[rnd(as_key ? 8 : sizeof pieces / sizeof *pieces)]);
    sb_addch(b, '"');
}

static void gen_value(struct strbuf *b, int depth);

/* An object of n keys, distinct but for one in twenty objects (a key twice) */
static void gen_object(struct strbuf *b, int depth, int root)
{
    static const char *rk[] = {"form", "questionnaire", "members", "x"};
    static const char *keys[] = {"unit", "form", "a", "b", "no", "name", "中文", "x,y",
                                 "say \\\"hi\\\"", "\\u4e2d", "household_id", ""};
    const size_t nk = root ? 4 : sizeof keys / sizeof *keys;
    unsigned used = 0, n = rnd(root ? 5 : 7);
    int dup = !rnd(20);
    sb_addch(b, '{');
    for (unsigned i = 0; i < n; i++) {
        unsigned k = rnd((unsigned)nk);
        if (!dup)
            for (unsigned t = 0; (used >> k & 1) && t < nk; t++) k = (k + 1) % (unsigned)nk;
        if (used >> k & 1 && !dup) break; /* every key used */
        used |= 1u << k;
        if (i) sb_adds(b, ", ");
        sb_addf(b, "\"%s\": ", root ? rk[k] : keys[k]);
        if (root && k == 1 && rnd(8)) { /* the questionnaire: answers, now and then nested */
            gen_object(b, depth + 1, 0);
        } else if (root && k == 2 && rnd(8)) { /* the members: objects, now and then not */
            unsigned m = rnd(5);
            sb_addch(b, '[');
            for (unsigned j = 0; j < m; j++) {
                if (j) sb_addch(b, ',');
                if (rnd(12)) gen_object(b, depth + 2, 0);
                else gen_value(b, depth + 2);
            }
            sb_addch(b, ']');
        } else if (root && k == 0 && rnd(8)) {
            gen_string(b, 0);
        } else {
            gen_value(b, depth + 1);
        }
    }
    sb_addch(b, '}');
}

static void gen_value(struct strbuf *b, int depth)
{
    static const char *nums[] = {"0", "-1", "42", "9223372036854775807", "-9223372036854775808",
                                 "9223372036854775808", "1.5", "-0.0", "1e2", "1E-400", "1e400",
                                 "0.1", "123456789.123456789", "-0"};
    unsigned k = rnd(depth > 3 ? 12 : 14);
    if (k < 5) gen_string(b, 0);
    else if (k < 8) sb_adds(b, nums[rnd(sizeof nums / sizeof *nums)]);
    else if (k < 10) sb_adds(b, rnd(2) ? "true" : "false");
    else if (k < 12) sb_adds(b, "null");
    else if (k < 13) gen_object(b, depth, 0);
    else {
        unsigned n = rnd(4);
        sb_addch(b, '[');
        for (unsigned i = 0; i < n; i++) {
            if (i) sb_addch(b, ',');
            gen_value(b, depth + 1);
        }
        sb_addch(b, ']');
    }
}

/* One broken byte, a cut, or a surrogate escape, somewhere. */
static void mutate(struct strbuf *b)
{
    static const char *ins[] = {"\\u0000", "\\ud800", "\\udc00", "\xc0\xaf", "\xed\xa0\x80",
                                "\xff", ",", "}", "\"", "\\", "\x01"};
    size_t at = b->len ? rnd((unsigned)b->len) : 0;
    switch (rnd(3)) {
    case 0: sb_truncate(b, at); break;
    case 1: b->buf[at] = (char)rnd(256); break;
    default: {
        struct strbuf c = STRBUF_INIT;
        sb_add(&c, b->buf, at);
        sb_adds(&c, ins[rnd(sizeof ins / sizeof *ins)]);
        sb_add(&c, b->buf + at, b->len - at);
        sb_release(b);
        *b = c;
    }
    }
}

static void agrees_with_jansson(void **state)
{
    int refused = 0, accepted = 0, bad = 0, csvs = 0;
    (void)state;
    for (int i = 0; i < 20000; i++) {
        struct strbuf b = STRBUF_INIT;
        struct json_submission s;
        struct oracle o;
        struct error e;
        const char *why;
        int rc;
        gen_object(&b, 0, 1);
        if (i % 3 == 2) mutate(&b);
        rc = submission_json(b.buf ? b.buf : "", b.len, &s, &e);
        oracle_read(b.buf ? b.buf : "", b.len, &o);
        if ((why = oracle_differs(&o, &s, rc))) {
            FILE *f = fopen("subjson-differs.json", "wb"); /* the whole body, for a look */
            if (f) fwrite(b.buf, 1, b.len, f), fclose(f);
            fail_msg("body %d differs (%s; subjson: %s): %.*s", i, why, rc ? e.msg : "read",
                     (int)b.len, b.buf);
        }
        if (o.malformed) refused++;
        else accepted++;
        if (o.bad_answer || o.bad_member_answer) bad++;
        if (!o.malformed && o.members_csv.len > 3) csvs++;
        submission_json_release(&s);
        oracle_release(&o);
        sb_release(&b);
    }
    print_message("refused %d, accepted %d, with a bad answer %d, with members %d\n", refused, accepted, bad, csvs);
    /* the generator reaches every case, or the agreement means little */
    assert_true(refused > 2000 && accepted > 5000 && bad > 500 && csvs > 500);
}

static void allocation_failures(void **state)
{
    const char *b = "{\"form\": \"f\", \"questionnaire\": {\"unit\": \"1\", \"n\": 2.5, \"s\": \"\\u4e2d\"},"
                    " \"members\": [{\"a\": 1}, {\"b\": \"x\"}], \"x\": {\"y\": [1, {\"z\": 2}]}}";
    (void)state;
    for (long n = 1; n < 40; n++) {
        struct json_submission s;
        struct error e;
        int rc;
        mem_fail_after(n, 0);
        rc = submission_json(b, strlen(b), &s, &e);
        mem_fail_after(0, 0);
        assert_true(rc == 0 || rc == ERR_NOMEM);
        submission_json_release(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writes_field_import_csv),
        cmocka_unit_test(reports_shape),
        cmocka_unit_test(refuses_what_jansson_refuses),
        cmocka_unit_test(agrees_with_jansson),
        cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
