/*
 * test_expr.c — the expression language (src/survey/expr.c): precedence, arithmetic and its
 * empty results, comparisons of numbers and strings, selected()/count-selected(), if(), the
 * empty-value rules, today() from the context, count()/sum() over repeats, position-accurate
 * syntax errors, the nesting and depth limits, and allocation failures.
 */
#include "testutil.h"

#include "survey/survey.h"

/* A tiny environment: a few named answers and one repeat of three instances. */
struct env_data {
    const char *names[8];
    const char *values[8];
};

static const char *t_value(void *ctx, const struct expr_ref *ref)
{
    const struct env_data *d = ctx;
    for (int i = 0; i < 8 && d->names[i]; i++)
        if (!strcmp(d->names[i], ref->name)) return d->values[i];
    return NULL;
}

static long t_instances(void *ctx, const struct expr_ref *ref)
{
    (void)ctx;
    return !strcmp(ref->name, "member") || !strcmp(ref->name, "age") ? 3 : 0;
}

static const char *t_item(void *ctx, const struct expr_ref *ref, long i)
{
    static const char *ages[] = {"40", "", "7"};
    (void)ctx;
    return !strcmp(ref->name, "age") && i >= 0 && i < 3 ? ages[i] : NULL;
}

static struct env_data data = {
    {"n", "s", "m", "big", "small", "d", "zero", NULL},
    {"3.0", "abc", "a b c", "10", "9", "2020-06-30", "0", NULL},
};

static struct expr_env make_env(void)
{
    struct expr_env env;
    memset(&env, 0, sizeof env);
    env.ctx = &data;
    env.value = t_value;
    env.instances = t_instances;
    env.item = t_item;
    env.today = 20200701;
    return env;
}

/* Evaluates src and returns its text ("" for empty) in a static buffer; fails the test on a
 * parse error. */
static const char *ev(const char *src, const char *self)
{
    static char out[128];
    struct arena a;
    struct expr *x;
    struct error e;
    struct expr_value v;
    struct expr_env env = make_env();
    char buf[48];
    int rc;
    arena_init(&a, 0);
    rc = expr_parse(src, &a, &x, &e);
    if (rc) fail_msg("parse of \"%s\" failed: %s", src, e.msg);
    env.self = self;
    assert_int_equal(expr_eval(x, &env, &v), 0);
    snprintf(out, sizeof out, "%s", expr_value_text(&v, buf, sizeof buf));
    arena_release(&a);
    return out;
}

static int truth(const char *src)
{
    struct arena a;
    struct expr *x;
    struct error e;
    struct expr_env env = make_env();
    int r;
    arena_init(&a, 0);
    if (expr_parse(src, &a, &x, &e)) fail_msg("parse of \"%s\" failed: %s", src, e.msg);
    r = expr_eval_bool(x, &env);
    arena_release(&a);
    return r;
}

/* Parses src expecting an error; returns it (message and column). */
static struct error perr(const char *src)
{
    struct arena a;
    struct expr *x = NULL;
    struct error e;
    memset(&e, 0, sizeof e);
    arena_init(&a, 0);
    assert_int_equal(expr_parse(src, &a, &x, &e), ERR_PARSE);
    assert_null(x);
    arena_release(&a);
    return e;
}

static void precedence(void **state)
{
    (void)state;
    assert_string_equal(ev("1 + 2 * 3", NULL), "7");
    assert_true(truth("1 + 2 * 3 = 7"));
    assert_string_equal(ev("(1 + 2) * 3", NULL), "9");
    assert_string_equal(ev("10 - 2 - 3", NULL), "5"); /* left-associative */
    assert_string_equal(ev("2 * 3 - 4 div 2", NULL), "4");
    assert_string_equal(ev("-2 * 3", NULL), "-6");
    assert_string_equal(ev("- - 2", NULL), "2");
    /* or binds loosest: (1 = 2) or (3 = 3) */
    assert_true(truth("1 = 2 or 3 = 3"));
    assert_true(truth("not 1 = 2 or 3 = 3"));
    assert_false(truth("not (1 = 2 or 3 = 3)"));
    assert_false(truth("1 = 1 and 2 = 3"));
    assert_true(truth("1 = 1 and 2 = 3 or 4 = 4")); /* and before or */
    assert_false(truth("1 = 1 and (2 = 3 or 4 = 5)"));
    assert_true(truth("1 < 2 = 2 > 1")); /* relational before equality */
    assert_true(truth("not(0)"));
    assert_string_equal(ev("not(1) + 1", NULL), "1"); /* the function form, as XPath */
    assert_true(truth("true() and not(false())"));
}

static void arithmetic(void **state)
{
    (void)state;
    assert_string_equal(ev("7 div 2", NULL), "3.5");
    assert_string_equal(ev("7 mod 3", NULL), "1");
    assert_string_equal(ev("-7 mod 3", NULL), "-1");
    assert_string_equal(ev("7.5 mod 2", NULL), "1.5");
    assert_string_equal(ev("1 div 0", NULL), "");
    assert_string_equal(ev("5 mod 0", NULL), "");
    assert_string_equal(ev("0.1 + 0.2", NULL), "0.3");
    assert_string_equal(ev("1 div 3", NULL), "0.333333333333333");
    assert_string_equal(ev(".5 * 4", NULL), "2");
    assert_string_equal(ev("${n} * 2", NULL), "6");
    assert_string_equal(ev("${s} + 1", NULL), ""); /* not a number: empty */
    assert_string_equal(ev("0 - 0", NULL), "0");
    assert_string_equal(ev("3 = 3", NULL), "1");
    assert_string_equal(ev("int(3.7) + int(-3.7)", NULL), "0");
    assert_string_equal(ev("number('12.5')", NULL), "12.5");
    assert_string_equal(ev("number('abc')", NULL), "");
    assert_string_equal(ev("min(3, ${none}, 1, 2)", NULL), "1");
    assert_string_equal(ev("max(2, 5, '7')", NULL), "7");
    assert_string_equal(ev("max(${none})", NULL), "");
}

static void comparisons(void **state)
{
    (void)state;
    /* two numeric strings compare as numbers, not as text */
    assert_false(truth("${big} < ${small}"));
    assert_false(truth("'10' < '9'"));
    assert_true(truth("'abc' < 'abd'"));
    assert_true(truth("'2020-01-02' < '2020-10-01'"));
    assert_true(truth("${n} = 3"));   /* "3.0" = 3 */
    assert_true(truth("${n} = '3'")); /* both numbers */
    assert_false(truth("${s} = 3"));  /* "abc" is not a number */
    assert_true(truth("${s} != 3"));
    assert_false(truth("3 < 'x'"));
    assert_false(truth("3 >= 'x'"));
    assert_true(truth("${s} = 'abc'"));
    assert_false(truth("${s} = 'ABC'")); /* byte-wise */
    assert_true(truth("${zero} = 0"));
    assert_false(truth("${zero}")); /* "0" as a condition is false */
    assert_true(truth("${s}"));
}

static void selections(void **state)
{
    (void)state;
    assert_true(truth("selected(${m}, 'b')"));
    assert_true(truth("selected(${m}, 'a') and selected(${m}, 'c')"));
    assert_false(truth("selected(${m}, 'd')"));
    assert_false(truth("selected(${m}, 'a b')"));
    assert_false(truth("selected(${m}, '')"));
    assert_string_equal(ev("count-selected(${m})", NULL), "3");
    assert_string_equal(ev("count-selected(.)", "x  y "), "2");
    assert_true(truth("selected(${s}, 'abc')"));
    assert_string_equal(ev("if(1 > 2, 'a', 'b')", NULL), "b");
    assert_string_equal(ev("if(${m} != '', 'a', 1 div 0)", NULL), "a");
    assert_string_equal(ev("string-length('是否')", NULL), "2");
    assert_string_equal(ev("string-length(${s})", NULL), "3");
    assert_string_equal(ev("coalesce(${none}, '', 'x')", NULL), "x");
    assert_string_equal(ev("coalesce(${s}, 'x')", NULL), "abc");
}

static void empty_values(void **state)
{
    (void)state;
    assert_true(truth("${none} = ''"));
    assert_false(truth("${none} != ''"));
    assert_true(truth("${s} != ''"));
    assert_false(truth("${s} = ''"));
    assert_false(truth("${none} = 'a'"));
    assert_true(truth("${none} != 'a'"));
    assert_true(truth("${none} = ${other}"));
    assert_false(truth("${none} < 5"));
    assert_false(truth("${none} >= 5"));
    assert_false(truth("${none} <= ${other}"));
    assert_string_equal(ev("${none} + 1", NULL), "");
    assert_string_equal(ev("-${none}", NULL), "");
    assert_false(truth("${none}"));
    assert_true(truth("not(${none})"));
    assert_string_equal(ev("count-selected(${none})", NULL), "0");
    assert_string_equal(ev("string-length(${none})", NULL), "0");
    assert_string_equal(ev(".", NULL), "");
    assert_string_equal(ev(". + 1", "41"), "42");
}

static void dates_and_today(void **state)
{
    struct arena a;
    struct expr *x;
    struct error e;
    struct expr_env env = make_env();
    (void)state;
    assert_string_equal(ev("today()", NULL), "2020-07-01");
    assert_true(truth("${d} <= today()"));
    assert_true(truth("'2020-07-02' > today()"));
    assert_string_equal(ev("today() - ${d}", NULL), "1");
    assert_string_equal(ev("today() - number('2020-06-01')", NULL), "30");
    assert_string_equal(ev("number('1970-01-02')", NULL), "1");
    /* no reference date: today() is empty, never the clock */
    arena_init(&a, 0);
    assert_int_equal(expr_parse("today()", &a, &x, &e), 0);
    env.today = 0;
    {
        struct expr_value v;
        expr_eval(x, &env, &v);
        assert_int_equal(v.type, EXPR_EMPTY);
    }
    arena_release(&a);
}

static void repeats(void **state)
{
    (void)state;
    assert_string_equal(ev("sum(${age})", NULL), "47");
    assert_string_equal(ev("count(${age})", NULL), "2"); /* answered values */
    assert_string_equal(ev("count(${nothing})", NULL), "0");
    assert_string_equal(ev("sum(${nothing})", NULL), "0");
}

static void references_recorded(void **state)
{
    struct arena a;
    struct expr *x;
    struct error e;
    (void)state;
    arena_init(&a, 0);
    assert_int_equal(expr_parse("${a} = 'x' and selected(${b}, 'y') and count(${r}) > 0 and "
                                "3 < . and '是' = ${c}",
                                &a, &x, &e),
                     0);
    assert_int_equal(x->nrefs, 5);
    assert_string_equal(x->refs[0].name, "a");
    assert_int_equal(x->refs[0].offset, 3);
    assert_int_equal(x->refs[0].role, EXPR_ROLE_VALUE);
    assert_int_equal(x->refs[0].row, -1);
    assert_int_equal(x->refs[1].role, EXPR_ROLE_SELECTED);
    assert_int_equal(x->refs[2].role, EXPR_ROLE_COUNT);
    assert_true(x->refs[3].self);
    assert_int_equal(x->ncmps, 4);
    assert_string_equal(x->cmps[0].literal, "x");
    assert_int_equal(x->cmps[0].offset, 8);
    assert_string_equal(x->cmps[1].literal, "y");
    assert_int_equal(x->cmps[1].ref, 1);
    assert_string_equal(x->cmps[2].literal, "3");
    assert_false(x->cmps[2].is_string);
    assert_int_equal(x->cmps[2].ref, 3);
    assert_string_equal(x->cmps[3].literal, "是");
    assert_int_equal(x->cmps[3].ref, 4);
    arena_release(&a);
}

static void syntax_errors(void **state)
{
    struct error e;
    (void)state;
    e = perr("1 +");
    assert_string_equal(e.msg, "expected a value, found end of expression at offset 4");
    assert_int_equal(e.column, 4);
    e = perr("if(1, 2");
    assert_int_equal(e.column, 8);
    assert_non_null(strstr(e.msg, "expected ')' or ','"));
    e = perr("(1 + 2");
    assert_string_equal(e.msg, "expected ')', found end of expression at offset 7");
    e = perr("selectd(${a}, 'x')");
    assert_string_equal(e.msg, "unknown function 'selectd' at offset 1");
    assert_int_equal(e.column, 1);
    e = perr("${water_ok} = 'no");
    assert_string_equal(e.msg, "unterminated string at offset 15");
    e = perr("${a} = = 1");
    assert_int_equal(e.column, 8);
    /* offsets count characters, not bytes: 是 is one character of three bytes */
    e = perr("'是' = ${}");
    assert_string_equal(e.msg, "empty question name at offset 9");
    e = perr("'是否' = ${a");
    assert_string_equal(e.msg, "expected '}' at offset 11");
    e = perr("1 2");
    assert_string_equal(e.msg, "unexpected '2' (expected an operator) at offset 3");
    e = perr("water_ok = 'yes'");
    assert_int_equal(e.column, 1);
    assert_non_null(strstr(e.msg, "${water_ok}"));
    e = perr("if(1, 2)");
    assert_string_equal(e.msg, "if() takes 3 arguments, not 2 at offset 1");
    e = perr("3 / 4");
    assert_string_equal(e.msg, "unexpected '/' (division is written div) at offset 3");
    e = perr("");
    assert_string_equal(e.msg, "empty expression at offset 1");
    e = perr("   ");
    assert_string_equal(e.msg, "empty expression at offset 4");
    e = perr("1 + 2)");
    assert_string_equal(e.msg, "unexpected ')' (no matching '(') at offset 6");
    e = perr("count(1)");
    assert_string_equal(e.msg, "count() takes a ${question} reference at offset 7");
    e = perr("$a");
    assert_string_equal(e.msg, "expected '{' after '$' at offset 2");
    e = perr("1 # 2");
    assert_string_equal(e.msg, "unexpected '#' at offset 3");
    e = perr("${a} and or ${b}");
    assert_int_equal(e.column, 10);
}

static void nesting_limits(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    struct arena a;
    struct expr *x;
    struct error e;
    (void)state;
    /* 100 nested parentheses: fine */
    for (int i = 0; i < EXPR_MAX_NESTING; i++) sb_addch(&sb, '(');
    sb_addch(&sb, '1');
    for (int i = 0; i < EXPR_MAX_NESTING; i++) sb_addch(&sb, ')');
    assert_string_equal(ev(sb.buf, NULL), "1");
    /* 101: rejected with a position, no recursion past the limit */
    sb_reset(&sb);
    for (int i = 0; i <= EXPR_MAX_NESTING; i++) sb_addch(&sb, '(');
    sb_addch(&sb, '1');
    for (int i = 0; i <= EXPR_MAX_NESTING; i++) sb_addch(&sb, ')');
    e = perr(sb.buf);
    assert_int_equal(e.column, EXPR_MAX_NESTING + 1);
    assert_non_null(strstr(e.msg, "nesting deeper than 100"));
    /* a hundred thousand: the same error, no stack overflow */
    sb_reset(&sb);
    for (int i = 0; i < 100000; i++) sb_addch(&sb, '(');
    e = perr(sb.buf);
    assert_int_equal(e.column, EXPR_MAX_NESTING + 1);
    sb_reset(&sb);
    for (int i = 0; i < 100000; i++) sb_adds(&sb, "- ");
    sb_addch(&sb, '1');
    e = perr(sb.buf);
    sb_reset(&sb);
    for (int i = 0; i < 100000; i++) sb_adds(&sb, "not ");
    sb_addch(&sb, '1');
    e = perr(sb.buf);
    sb_reset(&sb);
    for (int i = 0; i < 100000; i++) sb_adds(&sb, "if(");
    e = perr(sb.buf);
    /* long flat chains are fine up to the depth limit, then rejected */
    sb_reset(&sb);
    sb_addch(&sb, '1');
    for (int i = 1; i < 500; i++) sb_adds(&sb, "+1");
    assert_string_equal(ev(sb.buf, NULL), "500");
    sb_reset(&sb);
    sb_addch(&sb, '1');
    for (int i = 1; i < 5000; i++) sb_adds(&sb, "+1");
    arena_init(&a, 0);
    assert_int_equal(expr_parse(sb.buf, &a, &x, &e), ERR_PARSE);
    assert_non_null(strstr(e.msg, "nested deeper than"));
    arena_release(&a);
    sb_release(&sb);
}

static void out_of_memory(void **state)
{
    const char *src = "if(selected(${m}, 'a') and count(${member}) > 2, ${n} * 2, 'x') = 6";
    (void)state;
    for (long n = 1;; n++) {
        struct arena a;
        struct expr *x = NULL;
        struct error e;
        int rc;
        long used;
        arena_init(&a, 64);
        mem_fail_after(n, 0);
        rc = expr_parse(src, &a, &x, &e);
        used = mem_fail_after(0, 0);
        arena_release(&a);
        if (rc == 0) {
            assert_non_null(x);
            assert_true(used < n); /* every allocation succeeded */
            break;
        }
        assert_int_equal(rc, ERR_NOMEM);
        assert_true(n < 1000);
    }
}

static void numbers_as_text(void **state)
{
    struct expr_value v;
    char buf[48];
    double d;
    (void)state;
    v.type = EXPR_NUMBER;
    v.num = -0.0;
    assert_string_equal(expr_value_text(&v, buf, sizeof buf), "0");
    v.num = 1e15;
    assert_string_equal(expr_value_text(&v, buf, sizeof buf), "1e+15");
    v.num = 123456789012;
    assert_string_equal(expr_value_text(&v, buf, sizeof buf), "123456789012");
    v.type = EXPR_DATE;
    v.num = 18444;
    assert_string_equal(expr_value_text(&v, buf, sizeof buf), "2020-07-01");
    assert_int_equal(expr_to_number("2020-07-01", &d), 0);
    assert_true(d == 18444);
    assert_int_equal(expr_to_number("2020-02-30", &d), -1);
    assert_int_equal(expr_to_number(" 12 ", &d), 0);
    assert_int_equal(expr_to_number("nan", &d), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(precedence),    cmocka_unit_test(arithmetic),
        cmocka_unit_test(comparisons),   cmocka_unit_test(selections),
        cmocka_unit_test(empty_values),  cmocka_unit_test(dates_and_today),
        cmocka_unit_test(repeats),       cmocka_unit_test(references_recorded),
        cmocka_unit_test(syntax_errors), cmocka_unit_test(nesting_limits),
        cmocka_unit_test(out_of_memory), cmocka_unit_test(numbers_as_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
