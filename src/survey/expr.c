/*
 * expr.c — the expression language of forms (survey.h "expressions", docs/forms.md).
 *
 * Forms carry skip logic (relevant), conditional requirements, checks and calculations as
 * XLSForm expressions. A form is parsed once and its expressions are evaluated for every
 * questionnaire, so the work is split the SQLite way: expr_parse turns the text into a tree
 * in an arena (no per-evaluation allocation), expr_eval walks the tree with a small
 * environment of callbacks that hand out answer texts. Evaluation never allocates and never
 * fails: the value rules (survey.h) make every expression total — undefined arithmetic is
 * empty, comparisons with empty are false.
 *
 * Grammar (lowest precedence first; XPath's order, with Python's prefix `not`):
 *
 *     or      := and ( "or" and )*
 *     and     := not ( "and" not )*
 *     not     := "not" not | cmp                 ("not(" ... is the function, see primary)
 *     cmp     := rel ( ( "=" | "!=" ) rel )*
 *     rel     := add ( ( "<" | "<=" | ">" | ">=" ) add )*
 *     add     := mul ( ( "+" | "-" ) mul )*
 *     mul     := unary ( ( "*" | "div" | "mod" ) unary )*
 *     unary   := "-" unary | primary
 *     primary := NUMBER | STRING | "${" NAME "}" | "." | "(" or ")" | FUNC "(" [ or ("," or)* ] ")"
 *
 * Invariants.
 *  1. Recursion is bounded twice: the parser counts nesting (parentheses, function calls,
 *     prefix operators) and stops at EXPR_MAX_NESTING; every node records the height of its
 *     subtree and the parser stops at EXPR_MAX_DEPTH, so expr_eval's recursion is bounded by
 *     the same number however the text was built (fuzz/fuzz_expr.c checks both).
 *  2. Error positions are 1-based character offsets (UTF-8 code points), reported in the
 *     message ("at offset N") and in error.column; the end of the text is length + 1.
 *  3. Every string a value points at is NUL-terminated: literals are copied into the arena,
 *     answers come NUL-terminated from the environment.
 *  4. refs[] lists every ${name} and '.' in source order; a node refers to its ref by index,
 *     so the form can bind names to rows once, after parsing, without touching the tree.
 */
#include "expr_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- tree (expr_int.h) */

static const struct {
    const char *name;
    enum fn fn;
    int min, max; /* arguments; max -1: any number */
} functions[] = {
    {"selected", FN_SELECTED, 2, 2},
    {"count-selected", FN_COUNT_SELECTED, 1, 1},
    {"if", FN_IF, 3, 3},
    {"string-length", FN_STRING_LENGTH, 1, 1},
    {"today", FN_TODAY, 0, 0},
    {"number", FN_NUMBER, 1, 1},
    {"int", FN_INT, 1, 1},
    {"coalesce", FN_COALESCE, 2, -1},
    {"count", FN_COUNT, 1, 1},
    {"sum", FN_SUM, 1, 1},
    {"min", FN_MIN, 1, -1},
    {"max", FN_MAX, 1, -1},
    {"true", FN_TRUE, 0, 0},
    {"false", FN_FALSE, 0, 0},
    {"not", FN_NOT, 1, 1},
};

/* ---------------------------------------------------------------- lexer */

enum tok {
    T_END,
    T_NUM,
    T_STR,
    T_REF,
    T_DOT,
    T_NAME,
    T_LPAREN,
    T_RPAREN,
    T_COMMA,
    T_EQ,
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_PLUS,
    T_MINUS,
    T_STAR
};

struct parser {
    const char *s; /* the arena copy of the source */
    size_t n;      /* its length in bytes */
    struct arena *a;
    struct error *e;
    int rc;   /* first error, 0 while fine */
    int nest; /* current nesting (invariant 1) */
    /* the current token */
    enum tok tok;
    size_t start, end; /* byte span; for T_STR and T_REF the content span */
    size_t at;         /* byte offset where the token starts (quote, "${") */
    double num;
    /* refs and comparisons grow here, then move to the arena */
    struct expr_ref *refs;
    size_t nrefs, caprefs;
    struct expr_cmp *cmps;
    size_t ncmps, capcmps;
};

/* 1-based character offset of byte position pos (invariant 2). */
static long char_offset(const char *s, size_t pos)
{
    long n = 1;
    for (size_t i = 0; i < pos; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) n++;
    return n;
}

static int fail(struct parser *p, size_t pos, const char *fmt, ...) PG_PRINTF(3, 4);
static int fail(struct parser *p, size_t pos, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    long off = char_offset(p->s, pos);
    if (p->rc) return p->rc; /* keep the first error */
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->rc = ERR_PARSE;
    error_at(p->e, ERR_PARSE, NULL, 0, off, "%s at offset %ld", msg, off);
    return p->rc;
}

static int name_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int name_char(unsigned char c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t skip_space(const struct parser *p, size_t i)
{
    while (i < p->n) {
        unsigned char c = (unsigned char)p->s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            i++;
        else if (c == 0xE3 && i + 2 < p->n && (unsigned char)p->s[i + 1] == 0x80 &&
                 (unsigned char)p->s[i + 2] == 0x80)
            i += 3; /* U+3000 ideographic space, pasted from Chinese text */
        else
            break;
    }
    return i;
}

/* A short printable rendering of the byte at i for messages. */
static void describe_char(const struct parser *p, size_t i, char *buf, size_t size)
{
    unsigned char c = (unsigned char)p->s[i];
    if (c >= 0x21 && c < 0x7F)
        snprintf(buf, size, "'%c'", c);
    else
        snprintf(buf, size, "byte 0x%02X", c);
}

/* Reads the next token into p; returns 0 or ERR_PARSE. */
static int next(struct parser *p)
{
    size_t i = skip_space(p, p->end);
    char c;
    if (p->tok == T_STR || p->tok == T_REF) i = skip_space(p, p->end + 1); /* past the closer */
    p->at = p->start = i;
    if (i >= p->n) {
        p->tok = T_END;
        p->end = p->n;
        return 0;
    }
    c = p->s[i];
    if (is_digit(c) || (c == '.' && i + 1 < p->n && is_digit(p->s[i + 1]))) {
        char buf[64];
        size_t j = i;
        while (j < p->n && is_digit(p->s[j])) j++;
        if (j < p->n && p->s[j] == '.') {
            j++;
            while (j < p->n && is_digit(p->s[j])) j++;
        }
        if (j - i >= sizeof buf) return fail(p, i, "number too long");
        memcpy(buf, p->s + i, j - i);
        buf[j - i] = '\0';
        p->num = strtod(buf, NULL);
        p->tok = T_NUM;
        p->end = j;
        return 0;
    }
    if (c == '\'' || c == '"') {
        const char *q = memchr(p->s + i + 1, c, p->n - i - 1);
        if (!q) return fail(p, i, "unterminated string");
        p->tok = T_STR;
        p->start = i + 1;
        p->end = (size_t)(q - p->s); /* the closing quote; next() steps over it */
        return 0;
    }
    if (c == '$') {
        size_t j;
        if (i + 1 >= p->n || p->s[i + 1] != '{') return fail(p, i + 1, "expected '{' after '$'");
        j = i + 2;
        if (j < p->n && p->s[j] == '}') return fail(p, j, "empty question name");
        if (j >= p->n || !name_start((unsigned char)p->s[j]))
            return fail(p, j, "expected a question name");
        while (j < p->n && name_char((unsigned char)p->s[j])) j++;
        if (j >= p->n || p->s[j] != '}') return fail(p, j, "expected '}'");
        p->tok = T_REF;
        p->start = i + 2;
        p->end = j; /* the '}' */
        return 0;
    }
    if (name_start((unsigned char)c) && (unsigned char)c < 0x80) {
        size_t j = i + 1;
        while (j < p->n && ((unsigned char)p->s[j] < 0x80) &&
               (name_start((unsigned char)p->s[j]) || is_digit(p->s[j]) || p->s[j] == '-'))
            j++;
        p->tok = T_NAME;
        p->end = j;
        return 0;
    }
    p->end = i + 1;
    switch (c) {
    case '.':
        p->tok = T_DOT;
        return 0;
    case '(':
        p->tok = T_LPAREN;
        return 0;
    case ')':
        p->tok = T_RPAREN;
        return 0;
    case ',':
        p->tok = T_COMMA;
        return 0;
    case '=':
        p->tok = T_EQ;
        return 0;
    case '+':
        p->tok = T_PLUS;
        return 0;
    case '-':
        p->tok = T_MINUS;
        return 0;
    case '*':
        p->tok = T_STAR;
        return 0;
    case '!':
        if (i + 1 < p->n && p->s[i + 1] == '=') {
            p->tok = T_NE;
            p->end = i + 2;
            return 0;
        }
        return fail(p, i, "unexpected '!' (use != or not())");
    case '<':
    case '>':
        if (i + 1 < p->n && p->s[i + 1] == '=') {
            p->tok = c == '<' ? T_LE : T_GE;
            p->end = i + 2;
        } else {
            p->tok = c == '<' ? T_LT : T_GT;
        }
        return 0;
    case '/':
        return fail(p, i, "unexpected '/' (division is written div)");
    case '&':
    case '|':
        return fail(p, i, "unexpected '%c' (use and / or)", c);
    default: {
        char d[16];
        describe_char(p, i, d, sizeof d);
        return fail(p, i, "unexpected %s", d);
    }
    }
}

/* 1 if the current token is the name w. */
static int is_word(const struct parser *p, const char *w)
{
    size_t n = strlen(w);
    return p->tok == T_NAME && p->end - p->start == n && !memcmp(p->s + p->start, w, n);
}

/* 1 if the first non-space character after the current token is '('. */
static int followed_by_paren(const struct parser *p)
{
    size_t i = skip_space(p, p->end);
    return i < p->n && p->s[i] == '(';
}

/* A short description of the current token for "unexpected ..." messages. */
static void describe_tok(const struct parser *p, char *buf, size_t size)
{
    size_t n = p->end - p->at;
    if (p->tok == T_END) {
        snprintf(buf, size, "end of expression");
        return;
    }
    if (p->tok == T_STR) n = p->end + 1 - p->at;
    if (p->tok == T_REF) n = p->end + 1 - p->at;
    if (n > 24) n = 24;
    while (n > 0 && n < (size_t)(p->n - p->at) && ((unsigned char)p->s[p->at + n] & 0xC0) == 0x80)
        n--; /* do not cut a character */
    snprintf(buf, size, "'%.*s'", (int)n, p->s + p->at);
}

/* ---------------------------------------------------------------- parser */

static struct expr_node *node(struct parser *p, enum op op)
{
    struct expr_node *x = arena_alloc(p->a, sizeof *x);
    if (!x) {
        if (!p->rc) p->rc = error_set(p->e, ERR_NOMEM, "out of memory parsing an expression");
        return NULL;
    }
    memset(x, 0, sizeof *x);
    x->op = op;
    x->height = 1;
    return x;
}

/* Sets x's height from its children; fails past EXPR_MAX_DEPTH (invariant 1). */
static struct expr_node *grown(struct parser *p, struct expr_node *x, size_t pos)
{
    int h = 0;
    if (!x) return NULL;
    for (int k = 0; k < 2; k++)
        if (x->kid[k] && x->kid[k]->height > h) h = x->kid[k]->height;
    for (size_t k = 0; k < x->nargs; k++)
        if (x->args[k]->height > h) h = x->args[k]->height;
    x->height = h + 1;
    if (x->height > EXPR_MAX_DEPTH) {
        fail(p, pos, "expression nested deeper than %d", EXPR_MAX_DEPTH);
        return NULL;
    }
    return x;
}

static struct expr_node *binary(struct parser *p, enum op op, struct expr_node *l,
                                struct expr_node *r, size_t pos)
{
    struct expr_node *x;
    if (!l || !r) return NULL;
    x = node(p, op);
    if (!x) return NULL;
    x->kid[0] = l;
    x->kid[1] = r;
    return grown(p, x, pos);
}

static int add_ref(struct parser *p, const char *name, size_t namelen, size_t pos, int self,
                   size_t *index)
{
    struct expr_ref *r;
    if (p->nrefs == p->caprefs) {
        size_t cap = p->caprefs ? 2 * p->caprefs : 8;
        struct expr_ref *n = mem_realloc(p->refs, cap * sizeof *n);
        if (!n) return p->rc = error_set(p->e, ERR_NOMEM, "out of memory parsing an expression");
        p->refs = n;
        p->caprefs = cap;
    }
    r = &p->refs[p->nrefs];
    memset(r, 0, sizeof *r);
    r->name = arena_strndup(p->a, name, namelen);
    if (!r->name) return p->rc = error_set(p->e, ERR_NOMEM, "out of memory parsing an expression");
    r->offset = char_offset(p->s, pos);
    r->role = EXPR_ROLE_VALUE;
    r->self = self;
    r->row = -1;
    *index = p->nrefs++;
    return 0;
}

static int add_cmp(struct parser *p, const struct expr_node *ref, const struct expr_node *lit,
                   size_t litpos)
{
    struct expr_cmp *c;
    char buf[40];
    if (p->ncmps == p->capcmps) {
        size_t cap = p->capcmps ? 2 * p->capcmps : 4;
        struct expr_cmp *n = mem_realloc(p->cmps, cap * sizeof *n);
        if (!n) return p->rc = error_set(p->e, ERR_NOMEM, "out of memory parsing an expression");
        p->cmps = n;
        p->capcmps = cap;
    }
    c = &p->cmps[p->ncmps];
    c->ref = ref->ref;
    c->is_string = lit->op == OP_STR;
    if (lit->op == OP_STR) {
        c->literal = lit->str;
    } else {
        struct expr_value v = {EXPR_NUMBER, lit->num, NULL, 0};
        c->literal = arena_strdup(p->a, expr_value_text(&v, buf, sizeof buf));
        if (!c->literal)
            return p->rc = error_set(p->e, ERR_NOMEM, "out of memory parsing an expression");
    }
    c->offset = char_offset(p->s, litpos);
    p->ncmps++;
    return 0;
}

static int is_ref(const struct expr_node *x)
{
    return x && (x->op == OP_REF || x->op == OP_SELF);
}

static int is_lit(const struct expr_node *x)
{
    return x && (x->op == OP_STR || x->op == OP_NUM);
}

static struct expr_node *parse_or(struct parser *p);

/* Enters one level of nesting at pos (invariant 1). */
static int enter(struct parser *p, size_t pos)
{
    if (++p->nest > EXPR_MAX_NESTING)
        return fail(p, pos, "nesting deeper than %d (parentheses, calls, prefix operators)",
                    EXPR_MAX_NESTING);
    return 0;
}

static struct expr_node *parse_call(struct parser *p)
{
    size_t namepos = p->at, n = p->end - p->start, k;
    const char *name = p->s + p->start;
    struct expr_node *x, **args = NULL, *tmp[64];
    size_t nargs = 0;
    int found = -1;
    for (k = 0; k < sizeof functions / sizeof functions[0]; k++)
        if (strlen(functions[k].name) == n && !memcmp(functions[k].name, name, n)) found = (int)k;
    if (found < 0) {
        fail(p, namepos, "unknown function '%.*s'", (int)(n > 40 ? 40 : n), name);
        return NULL;
    }
    if (enter(p, namepos)) return NULL;
    if (next(p)) return NULL; /* the name */
    if (next(p)) return NULL; /* '(' (followed_by_paren said so) */
    if (p->tok != T_RPAREN) {
        for (;;) {
            size_t argpos = p->at;
            struct expr_node *arg;
            if (nargs == sizeof tmp / sizeof tmp[0]) {
                fail(p, argpos, "too many arguments");
                return NULL;
            }
            arg = parse_or(p);
            if (!arg) return NULL;
            tmp[nargs] = arg;
            if (functions[found].fn == FN_COUNT || functions[found].fn == FN_SUM) {
                if (arg->op != OP_REF) {
                    fail(p, argpos, "%s() takes a ${question} reference", functions[found].name);
                    return NULL;
                }
                p->refs[arg->ref].role =
                    functions[found].fn == FN_COUNT ? EXPR_ROLE_COUNT : EXPR_ROLE_SUM;
            } else if (functions[found].fn == FN_SELECTED && nargs == 0 && is_ref(arg)) {
                p->refs[arg->ref].role = EXPR_ROLE_SELECTED;
            } else if (functions[found].fn == FN_COUNT_SELECTED && is_ref(arg)) {
                p->refs[arg->ref].role = EXPR_ROLE_COUNT_SELECTED;
            } else if (functions[found].fn == FN_SELECTED && nargs == 1 && is_ref(tmp[0]) &&
                       is_lit(arg)) {
                if (add_cmp(p, tmp[0], arg, argpos)) return NULL;
            }
            nargs++;
            if (p->tok == T_COMMA) {
                if (next(p)) return NULL;
                continue;
            }
            break;
        }
    }
    if (p->tok != T_RPAREN) {
        char d[48];
        describe_tok(p, d, sizeof d);
        fail(p, p->at, "expected ')' or ',' in %s(), found %s", functions[found].name, d);
        return NULL;
    }
    if ((int)nargs < functions[found].min ||
        (functions[found].max >= 0 && (int)nargs > functions[found].max)) {
        if (functions[found].min == functions[found].max)
            fail(p, namepos, "%s() takes %d argument%s, not %zu", functions[found].name,
                 functions[found].min, functions[found].min == 1 ? "" : "s", nargs);
        else
            fail(p, namepos, "%s() takes at least %d arguments, not %zu", functions[found].name,
                 functions[found].min, nargs);
        return NULL;
    }
    if (next(p)) return NULL; /* ')' */
    p->nest--;
    x = node(p, OP_CALL);
    if (!x) return NULL;
    x->fn = functions[found].fn;
    if (nargs) {
        args = arena_alloc(p->a, nargs * sizeof *args);
        if (!args) {
            p->rc = error_set(p->e, ERR_NOMEM, "out of memory parsing an expression");
            return NULL;
        }
        memcpy(args, tmp, nargs * sizeof *args);
    }
    x->args = args;
    x->nargs = nargs;
    return grown(p, x, namepos);
}

static struct expr_node *parse_primary(struct parser *p)
{
    struct expr_node *x;
    size_t pos = p->at;
    char d[48];
    switch (p->tok) {
    case T_NUM:
        x = node(p, OP_NUM);
        if (!x) return NULL;
        x->num = p->num;
        return next(p) ? NULL : x;
    case T_STR:
        x = node(p, OP_STR);
        if (!x) return NULL;
        x->len = p->end - p->start;
        x->str = arena_strndup(p->a, p->s + p->start, x->len);
        if (!x->str) {
            p->rc = error_set(p->e, ERR_NOMEM, "out of memory parsing an expression");
            return NULL;
        }
        return next(p) ? NULL : x;
    case T_REF:
    case T_DOT:
        x = node(p, p->tok == T_REF ? OP_REF : OP_SELF);
        if (!x) return NULL;
        if (p->tok == T_REF) {
            if (add_ref(p, p->s + p->start, p->end - p->start, p->start, 0, &x->ref)) return NULL;
        } else {
            if (add_ref(p, ".", 1, p->start, 1, &x->ref)) return NULL;
        }
        return next(p) ? NULL : x;
    case T_LPAREN:
        if (enter(p, pos)) return NULL;
        if (next(p)) return NULL;
        x = parse_or(p);
        if (!x) return NULL;
        if (p->tok != T_RPAREN) {
            describe_tok(p, d, sizeof d);
            fail(p, p->at, "expected ')', found %s", d);
            return NULL;
        }
        p->nest--;
        return next(p) ? NULL : x;
    case T_NAME:
        if (followed_by_paren(p)) return parse_call(p);
        if (is_word(p, "and") || is_word(p, "or") || is_word(p, "div") || is_word(p, "mod")) {
            fail(p, pos, "expected a value before '%.*s'", (int)(p->end - p->start),
                 p->s + p->start);
            return NULL;
        }
        fail(p, pos, "unexpected name '%.*s' (a question is written ${%.*s})",
             (int)(p->end - p->start > 40 ? 40 : p->end - p->start), p->s + p->start,
             (int)(p->end - p->start > 40 ? 40 : p->end - p->start), p->s + p->start);
        return NULL;
    case T_END:
        fail(p, pos,
             pos == skip_space(p, 0) ? "empty expression"
                                     : "expected a value, found end of expression");
        return NULL;
    default:
        describe_tok(p, d, sizeof d);
        fail(p, pos, "expected a value, found %s", d);
        return NULL;
    }
}

static struct expr_node *parse_unary(struct parser *p)
{
    if (p->tok == T_MINUS) {
        size_t pos = p->at;
        struct expr_node *x, *k;
        if (enter(p, pos) || next(p)) return NULL;
        k = parse_unary(p);
        if (!k) return NULL;
        p->nest--;
        x = node(p, OP_NEG);
        if (!x) return NULL;
        x->kid[0] = k;
        return grown(p, x, pos);
    }
    return parse_primary(p);
}

static struct expr_node *parse_mul(struct parser *p)
{
    struct expr_node *l = parse_unary(p);
    while (l) {
        enum op op;
        size_t pos = p->at;
        if (p->tok == T_STAR)
            op = OP_MUL;
        else if (is_word(p, "div"))
            op = OP_DIV;
        else if (is_word(p, "mod"))
            op = OP_MOD;
        else
            break;
        if (next(p)) return NULL;
        l = binary(p, op, l, parse_unary(p), pos);
    }
    return l;
}

static struct expr_node *parse_add(struct parser *p)
{
    struct expr_node *l = parse_mul(p);
    while (l && (p->tok == T_PLUS || p->tok == T_MINUS)) {
        enum op op = p->tok == T_PLUS ? OP_ADD : OP_SUB;
        size_t pos = p->at;
        if (next(p)) return NULL;
        l = binary(p, op, l, parse_mul(p), pos);
    }
    return l;
}

/* A comparison; records `${q} op literal` (either way round) for the form's type checks. */
static struct expr_node *compare_node(struct parser *p, enum op op, struct expr_node *l,
                                      size_t rpos, struct expr_node *r, size_t pos)
{
    struct expr_node *x = binary(p, op, l, r, pos);
    if (!x) return NULL;
    if (is_ref(l) && is_lit(r) && add_cmp(p, l, r, rpos)) return NULL;
    return x;
}

static struct expr_node *parse_rel(struct parser *p)
{
    size_t lpos = p->at;
    struct expr_node *l = parse_add(p);
    while (l) {
        enum op op;
        size_t pos = p->at, rpos;
        struct expr_node *r;
        switch (p->tok) {
        case T_LT:
            op = OP_LT;
            break;
        case T_LE:
            op = OP_LE;
            break;
        case T_GT:
            op = OP_GT;
            break;
        case T_GE:
            op = OP_GE;
            break;
        default:
            return l;
        }
        if (next(p)) return NULL;
        rpos = p->at;
        r = parse_add(p);
        if (r && is_lit(l) && is_ref(r) && add_cmp(p, r, l, lpos)) return NULL;
        l = compare_node(p, op, l, rpos, r, pos);
    }
    return l;
}

static struct expr_node *parse_cmp(struct parser *p)
{
    size_t lpos = p->at;
    struct expr_node *l = parse_rel(p);
    while (l && (p->tok == T_EQ || p->tok == T_NE)) {
        enum op op = p->tok == T_EQ ? OP_EQ : OP_NE;
        size_t pos = p->at, rpos;
        struct expr_node *r;
        if (next(p)) return NULL;
        if (p->tok == T_EQ) {
            fail(p, p->at, "unexpected '=' (equality is a single =)");
            return NULL;
        }
        rpos = p->at;
        r = parse_rel(p);
        if (r && is_lit(l) && is_ref(r) && add_cmp(p, r, l, lpos)) return NULL;
        l = compare_node(p, op, l, rpos, r, pos);
    }
    return l;
}

static struct expr_node *parse_not(struct parser *p)
{
    if (is_word(p, "not") && !followed_by_paren(p)) {
        size_t pos = p->at;
        struct expr_node *x, *k;
        if (enter(p, pos) || next(p)) return NULL;
        k = parse_not(p);
        if (!k) return NULL;
        p->nest--;
        x = node(p, OP_NOT);
        if (!x) return NULL;
        x->kid[0] = k;
        return grown(p, x, pos);
    }
    return parse_cmp(p);
}

static struct expr_node *parse_and(struct parser *p)
{
    struct expr_node *l = parse_not(p);
    while (l && is_word(p, "and")) {
        size_t pos = p->at;
        if (next(p)) return NULL;
        l = binary(p, OP_AND, l, parse_not(p), pos);
    }
    return l;
}

static struct expr_node *parse_or(struct parser *p)
{
    struct expr_node *l = parse_and(p);
    while (l && is_word(p, "or")) {
        size_t pos = p->at;
        if (next(p)) return NULL;
        l = binary(p, OP_OR, l, parse_and(p), pos);
    }
    return l;
}

int expr_parse(const char *src, struct arena *a, struct expr **out, struct error *e)
{
    struct parser p;
    struct expr *x = NULL;
    struct expr_node *root;
    int rc = 0;
    memset(&p, 0, sizeof p);
    p.a = a;
    p.e = e;
    p.n = strlen(src);
    p.s = arena_strndup(a, src, p.n);
    p.tok = T_END; /* so next() starts at 0 */
    *out = NULL;
    if (!p.s) {
        rc = error_set(e, ERR_NOMEM, "out of memory parsing an expression");
        goto out;
    }
    if ((rc = next(&p))) goto out;
    root = parse_or(&p);
    if (!root) {
        rc = p.rc ? p.rc : ERR_INTERNAL;
        goto out;
    }
    if (p.tok != T_END) {
        char d[48];
        describe_tok(&p, d, sizeof d);
        rc = fail(&p, p.at,
                  p.tok == T_RPAREN ? "unexpected %s (no matching '(')"
                                    : "unexpected %s (expected an operator)",
                  d);
        goto out;
    }
    x = arena_alloc(a, sizeof *x);
    if (!x) {
        rc = error_set(e, ERR_NOMEM, "out of memory parsing an expression");
        goto out;
    }
    memset(x, 0, sizeof *x);
    x->src = p.s;
    x->root = root;
    if (p.nrefs) {
        x->refs = arena_alloc(a, p.nrefs * sizeof *x->refs);
        if (!x->refs) {
            rc = error_set(e, ERR_NOMEM, "out of memory parsing an expression");
            goto out;
        }
        memcpy(x->refs, p.refs, p.nrefs * sizeof *x->refs);
        x->nrefs = p.nrefs;
    }
    if (p.ncmps) {
        x->cmps = arena_alloc(a, p.ncmps * sizeof *x->cmps);
        if (!x->cmps) {
            rc = error_set(e, ERR_NOMEM, "out of memory parsing an expression");
            goto out;
        }
        memcpy(x->cmps, p.cmps, p.ncmps * sizeof *x->cmps);
        x->ncmps = p.ncmps;
    }
    *out = x;
out:
    mem_free(p.refs);
    mem_free(p.cmps);
    return rc;
}

/* ---------------------------------------------------------------- values */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's days_from_civil). */
static long days_from_civil(int y, int m, int d)
{
    long era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d)
{
    long era, doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* YYYY-MM-DD exactly (surrounding blanks allowed) -> days; -1 if not. */
static int iso_date_days(const char *s, double *out)
{
    int y, m, d;
    while (*s == ' ' || *s == '\t') s++;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (s[i] != '-') return -1;
        } else if (!is_digit(s[i])) {
            return -1;
        }
    }
    for (const char *t = s + 10; *t; t++)
        if (*t != ' ' && *t != '\t') return -1;
    y = atoi(s);
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    if (!date_valid(y * 10000 + m * 100 + d)) return -1;
    *out = (double)days_from_civil(y, m, d);
    return 0;
}

int expr_to_number(const char *s, double *out)
{
    if (!s) return -1;
    if (parse_double(s, out) == 0) return 0;
    return iso_date_days(s, out);
}

static int is_empty(const struct expr_value *v)
{
    return v->type == EXPR_EMPTY || (v->type == EXPR_STRING && v->len == 0);
}

/* The number a value stands for in arithmetic; NaN if none. */
static double num_of(const struct expr_value *v)
{
    double d;
    switch (v->type) {
    case EXPR_NUMBER:
    case EXPR_BOOL:
    case EXPR_DATE:
        return v->num;
    case EXPR_STRING:
        return v->len && expr_to_number(v->str, &d) == 0 ? d : NAN;
    default:
        return NAN;
    }
}

int expr_truthy(const struct expr_value *v)
{
    double d;
    switch (v->type) {
    case EXPR_NUMBER:
    case EXPR_BOOL:
    case EXPR_DATE:
        return v->num != 0 && !isnan(v->num);
    case EXPR_STRING:
        if (!v->len) return 0;
        if (parse_double(v->str, &d) == 0) return d != 0;
        return !str_ieq(v->str, v->len, "false");
    default:
        return 0;
    }
}

const char *expr_value_text(const struct expr_value *v, char *buf, size_t size)
{
    int y, m, d;
    if (size) buf[0] = '\0';
    switch (v->type) {
    case EXPR_STRING:
        return v->str;
    case EXPR_BOOL:
        snprintf(buf, size, "%d", v->num != 0);
        return buf;
    case EXPR_NUMBER:
        if (v->num == 0)
            snprintf(buf, size, "0"); /* also -0 */
        else
            snprintf(buf, size, "%.15g", v->num);
        return buf;
    case EXPR_DATE:
        civil_from_days((long)v->num, &y, &m, &d);
        snprintf(buf, size, "%04d-%02d-%02d", y, m, d);
        return buf;
    default:
        return buf;
    }
}

static void set_empty(struct expr_value *v)
{
    v->type = EXPR_EMPTY;
    v->num = 0;
    v->str = NULL;
    v->len = 0;
}

static void set_num(struct expr_value *v, double d)
{
    if (!isfinite(d)) {
        set_empty(v);
        return;
    }
    v->type = EXPR_NUMBER;
    v->num = d;
    v->str = NULL;
    v->len = 0;
}

static void set_bool(struct expr_value *v, int b)
{
    v->type = EXPR_BOOL;
    v->num = b ? 1 : 0;
    v->str = NULL;
    v->len = 0;
}

static void set_str(struct expr_value *v, const char *s)
{
    if (!s || !*s) {
        set_empty(v);
        return;
    }
    v->type = EXPR_STRING;
    v->str = s;
    v->len = strlen(s);
    v->num = 0;
}

static int numeric_kind(const struct expr_value *v)
{
    return v->type == EXPR_NUMBER || v->type == EXPR_DATE || v->type == EXPR_BOOL;
}

/* The comparison rules of survey.h. */
static int compare(const struct expr_value *a, const struct expr_value *b, enum op op)
{
    int ae = is_empty(a), be = is_empty(b), c;
    double x, y;
    if (ae || be) {
        if (op == OP_EQ) return ae && be;
        if (op == OP_NE) return !(ae && be);
        return 0;
    }
    if ((a->type == EXPR_BOOL || b->type == EXPR_BOOL) && (op == OP_EQ || op == OP_NE))
        return (expr_truthy(a) == expr_truthy(b)) == (op == OP_EQ);
    if (numeric_kind(a) || numeric_kind(b)) {
        x = num_of(a);
        y = num_of(b);
    } else if (parse_double(a->str, &x) != 0 || parse_double(b->str, &y) != 0) {
        size_t n = a->len < b->len ? a->len : b->len;
        c = memcmp(a->str, b->str, n);
        if (c == 0) c = a->len < b->len ? -1 : a->len > b->len;
        switch (op) {
        case OP_EQ:
            return c == 0;
        case OP_NE:
            return c != 0;
        case OP_LT:
            return c < 0;
        case OP_LE:
            return c <= 0;
        case OP_GT:
            return c > 0;
        default:
            return c >= 0;
        }
    }
    if (isnan(x) || isnan(y)) return op == OP_NE;
    switch (op) {
    case OP_EQ:
        return x == y;
    case OP_NE:
        return x != y;
    case OP_LT:
        return x < y;
    case OP_LE:
        return x <= y;
    case OP_GT:
        return x > y;
    default:
        return x >= y;
    }
}

/* ---------------------------------------------------------------- evaluation */

struct ev {
    const struct expr *x;
    const struct expr_env *env;
};

static void eval(const struct ev *c, const struct expr_node *n, struct expr_value *out);

/* Text of v for selected(): NUL-terminated; buf holds formatted numbers. */
static const char *text_of(const struct expr_value *v, char *buf, size_t size)
{
    return is_empty(v) ? "" : expr_value_text(v, buf, size);
}

static int token_in(const char *list, const char *tok, size_t toklen)
{
    const char *s = list;
    if (!toklen) return 0;
    while (*s) {
        size_t n;
        while (*s == ' ' || *s == '\t') s++;
        n = 0;
        while (s[n] && s[n] != ' ' && s[n] != '\t') n++;
        if (n == toklen && !memcmp(s, tok, n)) return 1;
        s += n;
    }
    return 0;
}

static long token_count(const char *s)
{
    long k = 0;
    while (*s) {
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) break;
        k++;
        while (*s && *s != ' ' && *s != '\t') s++;
    }
    return k;
}

static void call(const struct ev *c, const struct expr_node *n, struct expr_value *out)
{
    const struct expr_env *env = c->env;
    struct expr_value a, b;
    char ba[40], bb[40];
    switch (n->fn) {
    case FN_SELECTED: {
        const char *list, *tok;
        eval(c, n->args[0], &a);
        eval(c, n->args[1], &b);
        list = text_of(&a, ba, sizeof ba);
        tok = text_of(&b, bb, sizeof bb);
        set_bool(out, token_in(list, tok, strlen(tok)));
        return;
    }
    case FN_COUNT_SELECTED:
        eval(c, n->args[0], &a);
        set_num(out, (double)token_count(text_of(&a, ba, sizeof ba)));
        return;
    case FN_IF:
        eval(c, n->args[0], &a);
        eval(c, n->args[expr_truthy(&a) ? 1 : 2], out);
        return;
    case FN_STRING_LENGTH:
        eval(c, n->args[0], &a);
        set_num(out, (double)utf8_len(text_of(&a, ba, sizeof ba)));
        return;
    case FN_TODAY:
        if (!env->today || !date_valid(env->today)) {
            set_empty(out);
            return;
        }
        out->type = EXPR_DATE;
        out->num =
            (double)days_from_civil(env->today / 10000, env->today / 100 % 100, env->today % 100);
        out->str = NULL;
        out->len = 0;
        return;
    case FN_NUMBER:
        eval(c, n->args[0], &a);
        set_num(out, num_of(&a));
        return;
    case FN_INT:
        eval(c, n->args[0], &a);
        set_num(out, trunc(num_of(&a)));
        return;
    case FN_COALESCE:
        for (size_t k = 0; k < n->nargs; k++) {
            eval(c, n->args[k], out);
            if (!is_empty(out)) return;
        }
        set_empty(out);
        return;
    case FN_COUNT:
    case FN_SUM: {
        const struct expr_ref *r = &c->x->refs[n->args[0]->ref];
        long m = env->instances ? env->instances(env->ctx, r) : 0, k, cnt = 0;
        double sum = 0, d;
        if (n->fn == FN_COUNT && r->is_repeat) {
            set_num(out, (double)(m > 0 ? m : 0));
            return;
        }
        for (k = 0; k < m && env->item; k++) {
            const char *s = env->item(env->ctx, r, k);
            if (!s || !*s) continue;
            cnt++;
            if (expr_to_number(s, &d) == 0) sum += d;
        }
        set_num(out, n->fn == FN_COUNT ? (double)cnt : sum);
        return;
    }
    case FN_MIN:
    case FN_MAX: {
        int any = 0;
        double best = 0;
        for (size_t k = 0; k < n->nargs; k++) {
            double d;
            eval(c, n->args[k], &a);
            d = num_of(&a);
            if (isnan(d)) continue;
            if (!any || (n->fn == FN_MIN ? d < best : d > best)) best = d;
            any = 1;
        }
        if (any)
            set_num(out, best);
        else
            set_empty(out);
        return;
    }
    case FN_TRUE:
        set_bool(out, 1);
        return;
    case FN_FALSE:
        set_bool(out, 0);
        return;
    case FN_NOT:
        eval(c, n->args[0], &a);
        set_bool(out, !expr_truthy(&a));
        return;
    }
    set_empty(out);
}

static void eval(const struct ev *c, const struct expr_node *n, struct expr_value *out)
{
    const struct expr_env *env = c->env;
    struct expr_value a, b;
    double x, y;
    switch (n->op) {
    case OP_NUM:
        set_num(out, n->num);
        return;
    case OP_STR:
        out->type = n->len ? EXPR_STRING : EXPR_EMPTY;
        out->str = n->str;
        out->len = n->len;
        out->num = 0;
        return;
    case OP_REF:
        set_str(out, env->value ? env->value(env->ctx, &c->x->refs[n->ref]) : NULL);
        return;
    case OP_SELF:
        set_str(out, env->self);
        return;
    case OP_OR:
        eval(c, n->kid[0], &a);
        if (expr_truthy(&a)) {
            set_bool(out, 1);
            return;
        }
        eval(c, n->kid[1], &b);
        set_bool(out, expr_truthy(&b));
        return;
    case OP_AND:
        eval(c, n->kid[0], &a);
        if (!expr_truthy(&a)) {
            set_bool(out, 0);
            return;
        }
        eval(c, n->kid[1], &b);
        set_bool(out, expr_truthy(&b));
        return;
    case OP_NOT:
        eval(c, n->kid[0], &a);
        set_bool(out, !expr_truthy(&a));
        return;
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        eval(c, n->kid[0], &a);
        eval(c, n->kid[1], &b);
        set_bool(out, compare(&a, &b, n->op));
        return;
    case OP_NEG:
        eval(c, n->kid[0], &a);
        set_num(out, -num_of(&a));
        return;
    case OP_ADD:
    case OP_SUB:
    case OP_MUL:
    case OP_DIV:
    case OP_MOD:
        eval(c, n->kid[0], &a);
        eval(c, n->kid[1], &b);
        x = num_of(&a);
        y = num_of(&b);
        if (isnan(x) || isnan(y)) {
            set_empty(out);
            return;
        }
        switch (n->op) {
        case OP_ADD:
            set_num(out, x + y);
            return;
        case OP_SUB:
            set_num(out, x - y);
            return;
        case OP_MUL:
            set_num(out, x * y);
            return;
        case OP_DIV:
            if (y == 0)
                set_empty(out);
            else
                set_num(out, x / y);
            return;
        default:
            if (y == 0)
                set_empty(out);
            else
                set_num(out, fmod(x, y));
            return;
        }
    case OP_CALL:
        call(c, n, out);
        return;
    }
    set_empty(out);
}

int expr_eval(const struct expr *x, const struct expr_env *env, struct expr_value *out)
{
    static const struct expr_env none;
    struct ev c;
    c.x = x;
    c.env = env ? env : &none;
    eval(&c, x->root, out);
    return 0;
}

int expr_eval_bool(const struct expr *x, const struct expr_env *env)
{
    struct expr_value v;
    expr_eval(x, env, &v);
    return expr_truthy(&v);
}
