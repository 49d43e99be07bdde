/*
 * xpath.c — the one translation of pinggu's expression language (docs/forms.md §2) into the
 * XPath 1.0 of ODK XForms, for `pinggu form xform` (xform.c) and the field apps that run the
 * generated forms (ODK Collect, ODK Web Forms, issue 12).
 *
 * Rule: the translation is exact or it is refused — never approximated. pinggu's values differ
 * from XPath's (survey.h "Values"): empty is its own value, division by zero is empty, '10'
 * equals '10.0', the text 'false' or '0' is false, today() is the round's reference date, and
 * coalesce() takes any number of arguments. Each subexpression is translated together with a
 * static kind that says how its XPath text represents the pinggu value:
 *   K_BOOL  an XPath boolean (pinggu booleans are never empty);
 *   K_NUM   an XPath number, NaN standing for empty (arithmetic, count, sum, number());
 *   K_NUMTXT an XPath string that is empty or a number: integer and decimal answers, numeric
 *           calculations, number-like text literals;
 *   K_DATE  an XPath string that is empty or an ISO date: date answers, date literals, today();
 *   K_STR   any other XPath string ('' is empty): text and select answers, text literals.
 * and a flag `num`: pinggu holds a number, date or boolean there (arithmetic, today(), true()),
 * not text — such a side makes a comparison numeric in both languages.
 * The wrappers, per pinggu rule:
 *   truth of X       K_NUM: X = X and X != 0;  K_STR/K_ORD: X != '' and X != 'false' and
 *                    not(number(X) = 0);  K_BOOL: X
 *   A = B (texts)    A = B or number(A) = number(B)   ('10' = '10.0'; '' = '' holds; '' = 'x'
 *                    does not); a non-numeric text literal on one side needs only A = B
 *   A = B (numbers)  number(A) = number(B) or (A empty and B empty)
 *   A < B            number(A) < number(B) when either side is a number, or both sides are
 *                    number texts, or both are dates (ODK's number() of an ISO date is its day
 *                    count, and byte order of ISO dates is day order); other texts are refused
 *                    (pinggu orders them byte by byte, XPath 1.0 cannot)
 *   A div B          A div if(B = 0, number(''), B)   (empty, never Infinity); mod the same
 *   coalesce(a,b,c)  coalesce(a, coalesce(b, c))  (ODK's takes two)
 *   today()          the reference date given by the caller as a literal; refused without one
 *   count(${field})  count(PATH[. != ''])  (answered instances); sum: PATH[number(.) = number(.)]
 * Refused (with the reason; xform.c adds the form path): min/max of anything but answers and
 * number literals, ordering of texts, string-length of a number, selected() of anything but an
 * answer, if() whose branches are of different kinds, a literal holding both quote characters,
 * a number that needs an exponent.
 * What stays different, and is documented in docs/forms.md: a calculated decimal is printed by
 * JavaScript's shortest form on the phone (0.30000000000000004) and by %.15g on the server
 * (0.3); the server recomputes every calculation (answers_validate), so the stored value is
 * always the server's. Text answers written with an exponent or a plus sign ('1e3', '+5') are
 * numbers to pinggu and not to XPath's number().
 */
#include "expr_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_BOOL, K_NUM, K_NUMTXT, K_DATE, K_STR };

struct xp {
    const struct expr *x;
    const struct xpath_env *env;
    struct error *e;
};

/* A translated subexpression: its kind and its text (owned, NUL-terminated). */
struct tr {
    enum kind k;
    char *s;
    int num; /* pinggu sees a number, date or boolean here (not text): compares as numbers */
};

static void tr_free(struct tr *t)
{
    mem_free(t->s);
    t->s = NULL;
}

static int refuse(struct xp *c, const char *why)
{
    return error_set(c->e, ERR_INVALID, "%s (in '%s'): no exact XPath 1.0 translation", why,
                     c->x->src);
}

/* Builds t from a format. */
static int make(struct xp *c, struct tr *t, enum kind k, const char *fmt, ...) PG_PRINTF(4, 5);
static int make(struct xp *c, struct tr *t, enum kind k, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    if (sb_ok(&sb)) {
        sb_release(&sb);
        return error_set(c->e, ERR_NOMEM, "out of memory");
    }
    t->k = k;
    t->num = k == K_NUM || k == K_BOOL;
    t->s = sb_detach(&sb, NULL);
    return 0;
}

static int is_numeric_text(const char *s)
{
    double d;
    return parse_double(s, &d) == 0;
}

static int is_iso_date(const char *s)
{
    int y, m, d;
    char rest;
    return strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &rest) == 3;
}

/* X as an XPath number (NaN for empty). */
static int as_num(struct xp *c, const struct tr *in, struct tr *out)
{
    if (in->k == K_NUM) return make(c, out, K_NUM, "%s", in->s);
    return make(c, out, K_NUM, "number(%s)", in->s);
}

/* The pinggu truth of X as an XPath boolean. */
static int as_bool(struct xp *c, const struct tr *in, struct tr *out)
{
    switch (in->k) {
    case K_BOOL:
        return make(c, out, K_BOOL, "%s", in->s);
    case K_NUM:
        return make(c, out, K_BOOL, "((%s) = (%s) and (%s) != 0)", in->s, in->s, in->s);
    default:
        return make(c, out, K_BOOL, "(%s != '' and %s != 'false' and not(number(%s) = 0))",
                    in->s, in->s, in->s);
    }
}

/* "X is empty" as an XPath boolean (never called for K_BOOL). */
static int as_empty(struct xp *c, const struct tr *in, struct tr *out)
{
    if (in->k == K_NUM) return make(c, out, K_BOOL, "not((%s) = (%s))", in->s, in->s);
    return make(c, out, K_BOOL, "%s = ''", in->s);
}

static int node(struct xp *c, const struct expr_node *n, struct tr *out);

static int literal(struct xp *c, const struct expr_node *n, struct tr *out)
{
    const char *q = strchr(n->str, '\'') ? "\"" : "'";
    enum kind k = K_STR;
    if (strchr(n->str, '\'') && strchr(n->str, '"'))
        return refuse(c, "a text holding both quote characters");
    if (!n->len || is_numeric_text(n->str)) k = K_NUMTXT;
    else if (is_iso_date(n->str)) k = K_DATE;
    return make(c, out, k, "%s%s%s", q, n->str, q);
}

static int number_literal(struct xp *c, double v, struct tr *out)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", v);
    if (strchr(buf, 'e') || strchr(buf, 'n') || strchr(buf, 'i'))
        return refuse(c, "a number written with an exponent");
    /* the shortest text that reads back as v */
    for (int p = 1; p <= 17; p++) {
        char b2[64];
        snprintf(b2, sizeof b2, "%.*g", p, v);
        if (strtod(b2, NULL) == v && !strchr(b2, 'e')) {
            snprintf(buf, sizeof buf, "%s", b2);
            break;
        }
    }
    if (v < 0) return make(c, out, K_NUM, "(%s)", buf);
    return make(c, out, K_NUM, "%s", buf);
}

static int reference(struct xp *c, const struct expr_node *n, struct tr *out)
{
    const struct expr_ref *r = &c->x->refs[n->ref];
    struct strbuf sb = STRBUF_INIT;
    int rc, kind;
    if (r->self) {
        kind = c->env->self_kind;
        sb_adds(&sb, c->env->self ? c->env->self : ".");
    } else {
        kind = c->env->kind(c->env->ctx, r);
        if ((rc = c->env->path(c->env->ctx, r, &sb, c->e))) {
            sb_release(&sb);
            return rc;
        }
    }
    if (sb_ok(&sb)) {
        sb_release(&sb);
        return error_set(c->e, ERR_NOMEM, "out of memory");
    }
    out->k = kind == XPATH_KIND_NUMBER ? K_NUMTXT : kind == XPATH_KIND_DATE ? K_DATE : K_STR;
    out->num = 0;
    out->s = sb_detach(&sb, NULL);
    return 0;
}

/* A bare reference (for selected, count, sum, min, max): its path, or refuse. */
static int path_of(struct xp *c, const struct expr_node *n, const char *fn, struct tr *out)
{
    char why[80];
    if (n->op == OP_REF || n->op == OP_SELF) return reference(c, n, out);
    snprintf(why, sizeof why, "%s() of something other than an answer", fn);
    return refuse(c, why);
}

static int compare(struct xp *c, const struct expr_node *n, struct tr *out)
{
    struct tr a = {0}, b = {0}, x = {0}, y = {0}, ea = {0}, eb = {0};
    int rc, eq = n->op == OP_EQ || n->op == OP_NE, neg = n->op == OP_NE;
    static const char *const ops[] = {[OP_LT] = "<", [OP_LE] = "<=", [OP_GT] = ">", [OP_GE] = ">="};
    if ((rc = node(c, n->kid[0], &a)) || (rc = node(c, n->kid[1], &b))) goto out;
    if (!eq) {
        /* ordering: pinggu compares as numbers when either side is a number (or date,
         * boolean), and so does XPath; two texts only when both are numbers, and byte-wise
         * otherwise — which equals the order of days only for two ISO dates */
        if (!a.num && !b.num && !(a.k == K_NUMTXT && b.k == K_NUMTXT) &&
            !(a.k == K_DATE && b.k == K_DATE)) {
            rc = refuse(c, "ordering two texts that are not both numbers or both dates (pinggu"
                           " compares them byte by byte)");
            goto out;
        }
        if ((rc = as_num(c, &a, &x)) || (rc = as_num(c, &b, &y))) goto out;
        rc = make(c, out, K_BOOL, "(%s %s %s)", x.s, ops[n->op], y.s);
        goto out;
    }
    if (a.k == K_BOOL || b.k == K_BOOL) {
        /* pinggu: the truth of both sides, but an empty side is never equal to a boolean */
        const struct tr *other = a.k == K_BOOL ? &b : &a;
        if ((rc = as_bool(c, &a, &x)) || (rc = as_bool(c, &b, &y))) goto out;
        if (other->k == K_BOOL)
            rc = make(c, out, K_BOOL, "%s(%s = %s)", neg ? "not" : "", x.s, y.s);
        else {
            if ((rc = as_empty(c, other, &ea))) goto out;
            rc = make(c, out, K_BOOL, "%s(not(%s) and %s = %s)", neg ? "not" : "", ea.s, x.s,
                      y.s);
        }
        goto out;
    }
    if (a.num || b.num) {
        /* numbers: equal as numbers, or both empty */
        if ((rc = as_num(c, &a, &x)) || (rc = as_num(c, &b, &y)) || (rc = as_empty(c, &a, &ea)) ||
            (rc = as_empty(c, &b, &eb)))
            goto out;
        rc = make(c, out, K_BOOL, "%s(%s = %s or (%s and %s))", neg ? "not" : "", x.s, y.s, ea.s,
                  eb.s);
        goto out;
    }
    /* two texts: equal as texts, or as numbers when both are numbers; a literal that is no
     * number makes the numeric branch impossible, and the empty literal too */
    {
        const struct expr_node *la = n->kid[0]->op == OP_STR ? n->kid[0] : NULL;
        const struct expr_node *lb = n->kid[1]->op == OP_STR ? n->kid[1] : NULL;
        int plain = (la && !is_numeric_text(la->str)) || (lb && !is_numeric_text(lb->str));
        if (plain)
            rc = make(c, out, K_BOOL, "(%s %s %s)", a.s, neg ? "!=" : "=", b.s);
        else
            rc = make(c, out, K_BOOL, "%s(%s = %s or number(%s) = number(%s))", neg ? "not" : "",
                      a.s, b.s, a.s, b.s);
    }
out:
    tr_free(&a), tr_free(&b), tr_free(&x), tr_free(&y), tr_free(&ea), tr_free(&eb);
    return rc;
}

static int arith(struct xp *c, const struct expr_node *n, struct tr *out)
{
    struct tr a = {0}, b = {0}, x = {0}, y = {0};
    int rc;
    if ((rc = node(c, n->kid[0], &a)) || (rc = as_num(c, &a, &x))) goto out;
    if (n->op == OP_NEG) {
        rc = make(c, out, K_NUM, "(-%s)", x.s);
        goto out;
    }
    if ((rc = node(c, n->kid[1], &b)) || (rc = as_num(c, &b, &y))) goto out;
    switch (n->op) {
    case OP_ADD:
        rc = make(c, out, K_NUM, "(%s + %s)", x.s, y.s);
        break;
    case OP_SUB:
        rc = make(c, out, K_NUM, "(%s - %s)", x.s, y.s);
        break;
    case OP_MUL:
        rc = make(c, out, K_NUM, "(%s * %s)", x.s, y.s);
        break;
    default: /* div, mod: by zero is empty, never Infinity */
        rc = make(c, out, K_NUM, "(%s %s if(%s = 0, number(''), %s))", x.s,
                  n->op == OP_DIV ? "div" : "mod", y.s, y.s);
        break;
    }
out:
    tr_free(&a), tr_free(&b), tr_free(&x), tr_free(&y);
    return rc;
}

/* coalesce(args[from..]) nested two at a time. */
static int coalesce(struct xp *c, const struct expr_node *n, size_t from, struct tr *out)
{
    struct tr a = {0}, rest = {0};
    int rc = node(c, n->args[from], &a);
    if (rc) return rc;
    if (a.k == K_NUM || a.k == K_BOOL) {
        tr_free(&a);
        return refuse(c, "coalesce() of a computed number or a true/false value");
    }
    if (from + 1 == n->nargs) {
        *out = a;
        return 0;
    }
    if ((rc = coalesce(c, n, from + 1, &rest))) goto out;
    rc = make(c, out, a.k == rest.k ? a.k : K_STR, "coalesce(%s, %s)", a.s, rest.s);
out:
    tr_free(&a), tr_free(&rest);
    return rc;
}

static int call(struct xp *c, const struct expr_node *n, struct tr *out)
{
    struct tr a = {0}, b = {0}, d = {0}, x = {0};
    int rc = 0;
    switch (n->fn) {
    case FN_SELECTED:
        if ((rc = path_of(c, n->args[0], "selected", &a)) || (rc = node(c, n->args[1], &b)))
            break;
        if (b.k == K_NUM || b.k == K_BOOL) {
            rc = refuse(c, "selected() of a computed value");
            break;
        }
        rc = make(c, out, K_BOOL, "selected(%s, %s)", a.s, b.s);
        break;
    case FN_COUNT_SELECTED:
        if (!(rc = path_of(c, n->args[0], "count-selected", &a)))
            rc = make(c, out, K_NUM, "count-selected(%s)", a.s);
        break;
    case FN_IF:
        if ((rc = node(c, n->args[0], &d)) || (rc = as_bool(c, &d, &x)) ||
            (rc = node(c, n->args[1], &a)) || (rc = node(c, n->args[2], &b)))
            break;
        if (a.k != b.k && (a.num || b.num)) {
            rc = refuse(c, "if() whose branches are of different kinds");
            break;
        }
        rc = make(c, out, a.k == b.k ? a.k : K_STR, "if(%s, %s, %s)", x.s, a.s, b.s);
        if (!rc) out->num = a.num;
        break;
    case FN_STRING_LENGTH:
        if ((rc = node(c, n->args[0], &a))) break;
        if (a.k == K_NUM || a.k == K_BOOL) {
            rc = refuse(c, "string-length() of a computed number or a true/false value");
            break;
        }
        rc = make(c, out, K_NUM, "string-length(%s)", a.s);
        break;
    case FN_TODAY:
        if (!c->env->today) {
            rc = refuse(c, "today() without a reference date (pinggu form xform --today DATE)");
            break;
        }
        /* a date to pinggu (compared as a number of days), written as ODK reads dates */
        rc = make(c, out, K_DATE, "'%s'", c->env->today);
        if (!rc) out->num = 1;
        break;
    case FN_NUMBER:
        if (!(rc = node(c, n->args[0], &a))) rc = as_num(c, &a, out);
        break;
    case FN_INT:
        if (!(rc = node(c, n->args[0], &a)) && !(rc = as_num(c, &a, &x)))
            rc = make(c, out, K_NUM, "int(%s)", x.s);
        break;
    case FN_COALESCE:
        rc = coalesce(c, n, 0, out);
        break;
    case FN_COUNT:
    case FN_SUM: {
        const struct expr_ref *r;
        if ((rc = path_of(c, n->args[0], n->fn == FN_COUNT ? "count" : "sum", &a))) break;
        r = &c->x->refs[n->args[0]->ref];
        if (n->fn == FN_COUNT && r->is_repeat)
            rc = make(c, out, K_NUM, "count(%s)", a.s);
        else if (n->fn == FN_COUNT)
            rc = make(c, out, K_NUM, "count(%s[. != ''])", a.s);
        else
            rc = make(c, out, K_NUM, "sum(%s[number(.) = number(.)])", a.s);
        break;
    }
    case FN_MIN:
    case FN_MAX: {
        /* ODK's min/max take node-sets; unanswered ones are filtered out as pinggu skips them */
        struct strbuf sb = STRBUF_INIT;
        sb_adds(&sb, n->fn == FN_MIN ? "min(" : "max(");
        for (size_t k = 0; k < n->nargs && !rc; k++) {
            const struct expr_node *g = n->args[k];
            struct tr t = {0};
            if (g->op == OP_REF)
                rc = reference(c, g, &t);
            else if (g->op == OP_NUM)
                rc = number_literal(c, g->num, &t);
            else
                rc = refuse(c, "min()/max() of anything but answers and numbers");
            if (!rc)
                sb_addf(&sb, "%s%s%s", k ? ", " : "", t.s,
                        g->op == OP_REF ? "[number(.) = number(.)]" : "");
            tr_free(&t);
        }
        sb_addch(&sb, ')');
        if (!rc && sb_ok(&sb)) rc = error_set(c->e, ERR_NOMEM, "out of memory");
        if (!rc) {
            out->k = K_NUM;
            out->s = sb_detach(&sb, NULL);
        }
        sb_release(&sb);
        break;
    }
    case FN_TRUE:
        rc = make(c, out, K_BOOL, "true()");
        break;
    case FN_FALSE:
        rc = make(c, out, K_BOOL, "false()");
        break;
    case FN_NOT:
        if (!(rc = node(c, n->args[0], &a)) && !(rc = as_bool(c, &a, &x)))
            rc = make(c, out, K_BOOL, "not(%s)", x.s);
        break;
    }
    tr_free(&a), tr_free(&b), tr_free(&d), tr_free(&x);
    return rc;
}

static int node(struct xp *c, const struct expr_node *n, struct tr *out)
{
    struct tr a = {0}, b = {0}, x = {0}, y = {0};
    int rc;
    out->s = NULL;
    switch (n->op) {
    case OP_NUM:
        return number_literal(c, n->num, out);
    case OP_STR:
        return literal(c, n, out);
    case OP_REF:
    case OP_SELF:
        return reference(c, n, out);
    case OP_OR:
    case OP_AND:
        if ((rc = node(c, n->kid[0], &a)) || (rc = node(c, n->kid[1], &b)) ||
            (rc = as_bool(c, &a, &x)) || (rc = as_bool(c, &b, &y)))
            goto out;
        rc = make(c, out, K_BOOL, "(%s %s %s)", x.s, n->op == OP_OR ? "or" : "and", y.s);
        goto out;
    case OP_NOT:
        if ((rc = node(c, n->kid[0], &a)) || (rc = as_bool(c, &a, &x))) goto out;
        rc = make(c, out, K_BOOL, "not(%s)", x.s);
        goto out;
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        return compare(c, n, out);
    case OP_ADD:
    case OP_SUB:
    case OP_MUL:
    case OP_DIV:
    case OP_MOD:
    case OP_NEG:
        return arith(c, n, out);
    case OP_CALL:
        return call(c, n, out);
    }
    return refuse(c, "an unknown operator");
out:
    tr_free(&a), tr_free(&b), tr_free(&x), tr_free(&y);
    return rc;
}

int expr_xpath(const struct expr *x, const struct xpath_env *env, enum xpath_as as,
               struct strbuf *out, int *kind, struct error *e)
{
    struct xp c = {x, env, e};
    struct tr t = {0}, u = {0};
    int rc = node(&c, x->root, &t);
    if (rc) return rc;
    /* what a stored calculation is, read back as text: "7" and "1"/"0" are numbers */
    if (kind)
        *kind = t.k == K_DATE ? XPATH_KIND_DATE
                : t.k == K_STR ? XPATH_KIND_TEXT
                               : XPATH_KIND_NUMBER;
    if (as == XPATH_BOOL)
        rc = as_bool(&c, &t, &u);
    else if (t.k == K_BOOL) /* a stored boolean is 1 or 0, as expr_value_text writes it */
        rc = make(&c, &u, K_STR, "if(%s, 1, 0)", t.s);
    else
        rc = make(&c, &u, t.k, "%s", t.s);
    if (!rc) {
        sb_adds(out, u.s);
        if (sb_ok(out)) rc = error_set(e, ERR_NOMEM, "out of memory");
    }
    tr_free(&t), tr_free(&u);
    return rc;
}
