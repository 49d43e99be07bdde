/*
 * fuzz_expr.c — libFuzzer target for the expression language (src/survey/expr.c).
 *
 * Each input is split at its first NUL byte (if any): the part before is parsed as an
 * expression, the part after supplies the answers its references read (one answer per
 * line, cycled over the references) and '.'. Every input must either parse or fail with
 * ERR_PARSE and a column inside the text (+1); a parsed expression is evaluated as a value
 * and as a condition, and both must terminate without touching memory they do not own.
 * The nesting and depth limits (EXPR_MAX_NESTING, EXPR_MAX_DEPTH) are what keep the stack
 * bounded here, whatever the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "survey/survey.h"

struct fctx {
    const char *lines[8];
    int n;
};

static const char *f_value(void *ctx, const struct expr_ref *ref)
{
    const struct fctx *c = ctx;
    if (!c->n) return NULL;
    return c->lines[(size_t)ref->offset % (size_t)c->n];
}

static long f_instances(void *ctx, const struct expr_ref *ref)
{
    (void)ctx;
    return (long)(strlen(ref->name) % 4);
}

static const char *f_item(void *ctx, const struct expr_ref *ref, long i)
{
    const struct fctx *c = ctx;
    (void)ref;
    if (!c->n) return NULL;
    return c->lines[(size_t)i % (size_t)c->n];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    const char *src, *rest = NULL;
    struct fctx c;
    struct arena a;
    struct expr *x = NULL;
    struct error e;
    size_t srclen;
    int rc;
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    src = buf;
    srclen = strlen(buf);
    if (srclen < size) rest = buf + srclen + 1;
    memset(&c, 0, sizeof c);
    if (rest) { /* answers: lines of the tail */
        char *p = (char *)rest;
        while (c.n < 8) {
            char *nl = strchr(p, '\n');
            c.lines[c.n++] = p;
            if (!nl) break;
            *nl = '\0';
            p = nl + 1;
        }
    }
    arena_init(&a, 4096);
    rc = expr_parse(src, &a, &x, &e);
    if (rc) {
        if (rc != ERR_PARSE && rc != ERR_NOMEM) abort();
        if (rc == ERR_PARSE && (e.column < 1 || (size_t)e.column > srclen + 1)) abort();
    } else {
        struct expr_env env;
        struct expr_value v;
        char tbuf[48];
        memset(&env, 0, sizeof env);
        env.ctx = &c;
        env.value = f_value;
        env.instances = f_instances;
        env.item = f_item;
        env.self = c.n ? c.lines[0] : NULL;
        env.today = 20200701;
        for (size_t i = 0; i < x->nrefs; i++) x->refs[i].is_repeat = (int)(i & 1);
        expr_eval(x, &env, &v);
        (void)expr_value_text(&v, tbuf, sizeof tbuf);
        (void)expr_eval_bool(x, &env);
    }
    arena_release(&a);
    free(buf);
    return 0;
}
