/*
 * plan.c — plan files (plan.h, docs/plans.md): JSON into struct plan, every problem reported
 * with its JSON path, e.g. "households.quotas[2].fallback[0]: unknown category "exitted"".
 *
 * Beyond types and ranges, the loader checks what makes a plan mean what its seed says:
 * quota strata are disjoint (no household can be drawn twice), fallbacks name other quotas,
 * the township rule and the village strata agree, and every threshold's comparison agrees
 * with the seed's own words under the Chinese legal convention of DESIGN §6.4 (低于 excludes
 * the bound, 不低于 includes it, ...): a plan that says "<=" next to "低于2%" is rejected.
 *
 * plan_check_frame (`plan check --db`) holds a valid plan against a registry: it warns, per
 * county, where a quota asks for more than the county's frame holds (the draw would then be
 * short), using the draw's own rules for scope and household strata.
 *
 * Invariant: a plan that loads without error can be drawn; plan_release frees only `text`.
 */
#include "plan.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct pctx {
    struct jpath j; /* the file's name, its errors, the path being parsed */
    struct plan *p;
};

static void perr(struct pctx *c, const char *fmt, ...) PG_PRINTF(2, 3);
static void perr(struct pctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    jpath_verror(&c->j, fmt, ap);
    va_end(ap);
}

static size_t push_key(struct pctx *c, const char *key)
{
    return jpath_key(&c->j, key);
}

static size_t push_idx(struct pctx *c, size_t i)
{
    return jpath_idx(&c->j, i);
}

static void pop(struct pctx *c, size_t at)
{
    jpath_pop(&c->j, at);
}

/* Typed getters: report a wrong type; absent -> default. */
static int get_int(struct pctx *c, json_t *obj, const char *key, int dflt, int lo, int hi)
{
    json_t *v = json_object_get(obj, key);
    size_t at;
    int r = dflt;
    if (!v || json_is_null(v)) return dflt;
    at = push_key(c, key);
    if (!json_is_integer(v)) perr(c, "expected a whole number");
    else if (json_integer_value(v) < lo || json_integer_value(v) > hi)
        perr(c, "%lld is outside %d..%d", (long long)json_integer_value(v), lo, hi);
    else r = (int)json_integer_value(v);
    pop(c, at);
    return r;
}

static double get_num(struct pctx *c, json_t *obj, const char *key, double dflt, double lo,
                      double hi)
{
    json_t *v = json_object_get(obj, key);
    size_t at;
    double r = dflt;
    if (!v || json_is_null(v)) return dflt;
    at = push_key(c, key);
    if (!json_is_number(v)) perr(c, "expected a number");
    else if (json_number_value(v) < lo || json_number_value(v) > hi)
        perr(c, "%g is outside %g..%g", json_number_value(v), lo, hi);
    else r = json_number_value(v);
    pop(c, at);
    return r;
}

static int get_bool(struct pctx *c, json_t *obj, const char *key, int dflt)
{
    json_t *v = json_object_get(obj, key);
    size_t at;
    if (!v || json_is_null(v)) return dflt;
    if (json_is_boolean(v)) return json_is_true(v);
    at = push_key(c, key);
    perr(c, "expected true or false");
    pop(c, at);
    return dflt;
}

static void get_str(struct pctx *c, json_t *obj, const char *key, char *out, size_t size,
                    int required)
{
    json_t *v = json_object_get(obj, key);
    size_t at;
    if (!v || json_is_null(v)) {
        if (required) {
            at = push_key(c, key);
            perr(c, "required");
            pop(c, at);
        }
        return;
    }
    at = push_key(c, key);
    if (!json_is_string(v)) perr(c, "expected text");
    else if (json_string_length(v) >= size) perr(c, "longer than %zu bytes", size - 1);
    else snprintf(out, size, "%s", json_string_value(v));
    pop(c, at);
}

static json_t *get_obj(struct pctx *c, json_t *obj, const char *key, int required)
{
    json_t *v = json_object_get(obj, key);
    size_t at;
    if (!v || json_is_null(v)) {
        if (required) {
            at = push_key(c, key);
            perr(c, "required");
            pop(c, at);
        }
        return NULL;
    }
    if (json_is_object(v)) return v;
    at = push_key(c, key);
    perr(c, "expected an object");
    pop(c, at);
    return NULL;
}

static json_t *get_arr(struct pctx *c, json_t *obj, const char *key, int required)
{
    json_t *v = json_object_get(obj, key);
    size_t at;
    if (!v || json_is_null(v)) {
        if (required) {
            at = push_key(c, key);
            perr(c, "required");
            pop(c, at);
        }
        return NULL;
    }
    if (json_is_array(v)) return v;
    at = push_key(c, key);
    perr(c, "expected a list");
    pop(c, at);
    return NULL;
}

/* Unknown keys are errors: a misspelt key would otherwise silently change the plan. */
static void known_keys(struct pctx *c, json_t *obj, const char *keys)
{
    jpath_known_keys(&c->j, obj, keys, 0);
}

/* ------------------------------------------------------------------ comparisons */

const char *plan_op_text(enum plan_op op)
{
    static const char *t[] = {"<", "<=", ">", ">="};
    return t[op];
}

int plan_op_holds(enum plan_op op, double v, double bound)
{
    switch (op) {
    case PLAN_LT: return v < bound;
    case PLAN_LE: return v <= bound;
    case PLAN_GT: return v > bound;
    case PLAN_GE: return v >= bound;
    }
    return 0;
}

static int parse_op(const char *s, enum plan_op *op)
{
    if (!strcmp(s, "<")) *op = PLAN_LT;
    else if (!strcmp(s, "<=")) *op = PLAN_LE;
    else if (!strcmp(s, ">")) *op = PLAN_GT;
    else if (!strcmp(s, ">=")) *op = PLAN_GE;
    else return -1;
    return 0;
}

/* The comparison the Chinese words fix (DESIGN §6.4), or -1 if they name none. Longer words
 * first: 不低于 contains 低于, 未超过 and 不超过 contain 超过. */
static int words_op(const char *w)
{
    static const struct {
        const char *word;
        enum plan_op op;
    } table[] = {{"不低于", PLAN_GE}, {"不少于", PLAN_GE}, {"未超过", PLAN_LE}, {"不超过", PLAN_LE},
                 {"不高于", PLAN_LE}, {"低于", PLAN_LT},   {"不满", PLAN_LT},   {"超过", PLAN_GT},
                 {"高于", PLAN_GT},   {"以上", PLAN_GE},   {"以下", PLAN_LE},   {"以内", PLAN_LE},
                 {"达到", PLAN_GE}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strstr(w, table[i].word)) return (int)table[i].op;
    return -1;
}

static void parse_comparison(struct pctx *c, json_t *o, enum plan_op *op, char *words,
                             size_t wsize)
{
    char ops[8] = "";
    int want;
    get_str(c, o, "op", ops, sizeof ops, 1);
    get_str(c, o, "words", words, wsize, 1);
    if (ops[0] && parse_op(ops, op)) {
        size_t at = push_key(c, "op");
        perr(c, "unknown comparison '%s' (expected <, <=, > or >=)", ops);
        pop(c, at);
        return;
    }
    want = words_op(words);
    if (ops[0] && want >= 0 && (enum plan_op)want != *op) {
        size_t at = push_key(c, "op");
        perr(c, "'%s' disagrees with the seed's words \"%s\", which mean %s (DESIGN §6.4)", ops,
             words, plan_op_text((enum plan_op)want));
        pop(c, at);
    }
}

/* ------------------------------------------------------------------ sections */

static unsigned parse_cats(struct pctx *c, json_t *arr)
{
    unsigned mask = 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        size_t at = push_idx(c, i);
        int k = json_is_string(v) ? category_parse(json_string_value(v)) : -1;
        if (k < 0)
            perr(c, "unknown category %s%s%s (expected returned, newly_identified, "
                    "exited_current, exited_earlier, unexited, general, exited_other)",
                 json_is_string(v) ? "\"" : "", json_is_string(v) ? json_string_value(v) : "?",
                 json_is_string(v) ? "\"" : "");
        else mask |= 1u << k;
        pop(c, at);
    }
    return mask;
}

static unsigned parse_flags(struct pctx *c, json_t *arr)
{
    static const char *names[] = {"allowance", "hardship",  "disability", "illness",
                                  "unsafe_house", "relocated", "edge",     "monitored"};
    unsigned mask = 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        size_t at = push_idx(c, i);
        int found = -1;
        for (int k = 0; k < 8 && json_is_string(v); k++)
            if (!strcmp(json_string_value(v), names[k])) found = k;
        if (found < 0)
            perr(c, "unknown household flag (expected allowance, hardship, disability, illness, "
                    "unsafe_house, relocated, edge, monitored)");
        else mask |= 1u << found;
        pop(c, at);
    }
    return mask;
}

static void parse_window(struct pctx *c, json_t *w, const char *key, int *from, int *to)
{
    json_t *a = get_arr(c, w, key, 0);
    size_t at;
    if (!a) return;
    at = push_key(c, key);
    if (json_array_size(a) != 2 || !json_is_integer(json_array_get(a, 0)) ||
        !json_is_integer(json_array_get(a, 1)))
        perr(c, "expected [first year, last year]");
    else {
        *from = (int)json_integer_value(json_array_get(a, 0));
        *to = (int)json_integer_value(json_array_get(a, 1));
        if (*from > *to || *from < 2000 || *to > 2100) perr(c, "not a range of years");
    }
    pop(c, at);
}

static void parse_counties(struct pctx *c, json_t *o)
{
    struct plan *p = c->p;
    char sel[16] = "all";
    json_t *types, *cov;
    known_keys(c, o, "select|types|exit_year|fraction|min|rounding|covert");
    get_str(c, o, "select", sel, sizeof sel, 0);
    if (!strcmp(sel, "sample")) p->county_sample = 1;
    else if (strcmp(sel, "all")) {
        size_t at = push_key(c, "select");
        perr(c, "expected \"all\" or \"sample\"");
        pop(c, at);
    }
    types = get_arr(c, o, "types", 0);
    if (types) {
        size_t at = push_key(c, "types"), i;
        json_t *v;
        json_array_foreach(types, i, v)
        {
            size_t at2 = push_idx(c, i);
            const char *code = json_is_string(v) ? code_parse(codes_county_type, json_string_value(v),
                                                              json_string_length(v))
                                                 : NULL;
            int bit = 0;
            if (!code) perr(c, "unknown county type (expected %s)", code_list(codes_county_type));
            else {
                for (const struct code *k = codes_county_type; k->code; k++, bit++)
                    if (!strcmp(k->code, code)) p->county_types |= 1u << bit;
            }
            pop(c, at2);
        }
        pop(c, at);
    }
    p->county_exit_year = get_int(c, o, "exit_year", 0, 2000, 2100);
    p->county_fraction = get_num(c, o, "fraction", 1, 0, 1);
    p->county_min = get_int(c, o, "min", 1, 0, 1000);
    {
        char r[16] = "half_up";
        get_str(c, o, "rounding", r, sizeof r, 0);
        if (strcmp(r, "half_up")) {
            size_t at = push_key(c, "rounding");
            perr(c, "only \"half_up\" is supported: n = max(min, floor(fraction·N + 0.5))");
            pop(c, at);
        }
    }
    cov = get_obj(c, o, "covert", 0);
    if (cov) {
        size_t at = push_key(c, "covert");
        known_keys(c, cov, "min|max|two_from");
        p->covert_min = get_int(c, cov, "min", 1, 0, 100);
        p->covert_max = get_int(c, cov, "max", p->covert_min, 0, 100);
        p->covert_two_from = get_int(c, cov, "two_from", 0, 0, 100000);
        if (p->covert_max < p->covert_min) perr(c, "max is below min");
        pop(c, at);
    }
}

static void parse_villages(struct pctx *c, json_t *o)
{
    struct plan *p = c->p;
    json_t *bt, *strata, *gc;
    known_keys(c, o, "by_township|strata|distinct_townships|monte_carlo|group_census");
    bt = get_obj(c, o, "by_township", 0);
    strata = get_arr(c, o, "strata", 0);
    p->distinct_townships = get_bool(c, o, "distinct_townships", 0);
    p->mc_replicates = get_int(c, o, "monte_carlo", 0, 10000, 10000000); /* 0: exact π */
    if (bt && strata) perr(c, "give by_township or strata, not both");
    if (!bt && !strata) perr(c, "give by_township (every township) or strata");
    if (bt) {
        size_t at = push_key(c, "by_township");
        known_keys(c, bt, "key|other|min_poor|min_nonpoor");
        p->by_township = 1;
        p->per_key = get_int(c, bt, "key", 0, 0, 1000);
        p->per_other = get_int(c, bt, "other", 0, 0, 1000);
        p->min_poor = get_int(c, bt, "min_poor", 0, 0, 1000);
        p->min_nonpoor = get_int(c, bt, "min_nonpoor", 0, 0, 1000);
        if (p->min_poor + p->min_nonpoor > (p->per_key > p->per_other ? p->per_key : p->per_other))
            perr(c, "min_poor + min_nonpoor (%d) exceed the villages taken from a township (%d)",
                 p->min_poor + p->min_nonpoor,
                 p->per_key > p->per_other ? p->per_key : p->per_other);
        pop(c, at);
        if (p->distinct_townships) {
            at = push_key(c, "distinct_townships");
            perr(c, "by_township already takes villages per township");
            pop(c, at);
        }
    }
    if (strata) {
        size_t at = push_key(c, "strata"), i;
        json_t *s;
        if (json_array_size(strata) > PLAN_MAX_VSTRATA)
            perr(c, "at most %d village strata", PLAN_MAX_VSTRATA);
        json_array_foreach(strata, i, s)
        {
            struct plan_vstratum *vs;
            size_t at2 = push_idx(c, i);
            json_t *size, *poor;
            if (i >= PLAN_MAX_VSTRATA || !json_is_object(s)) {
                if (!json_is_object(s)) perr(c, "expected an object");
                pop(c, at2);
                continue;
            }
            vs = &p->vstrata[p->nvstrata++];
            known_keys(c, s, "name|poor|n|size|group_census");
            get_str(c, s, "name", vs->name, sizeof vs->name, 1);
            for (size_t k = 0; vs->name[0] && k + 1 < (size_t)p->nvstrata; k++)
                if (!strcmp(p->vstrata[k].name, vs->name)) perr(c, "name: \"%s\" twice", vs->name);
            poor = json_object_get(s, "poor");
            vs->poor = !poor || json_is_null(poor) ? -1 : json_is_true(poor) ? 1 : 0;
            if (poor && !json_is_boolean(poor) && !json_is_null(poor)) {
                size_t at3 = push_key(c, "poor");
                perr(c, "expected true (poor villages), false (non-poor) or null (any)");
                pop(c, at3);
            }
            vs->n = get_int(c, s, "n", 0, 1, 1000);
            if (!json_object_get(s, "n")) {
                size_t at3 = push_key(c, "n");
                perr(c, "required");
                pop(c, at3);
            }
            vs->group_census = get_int(c, s, "group_census", 0, 0, 100);
            size = get_obj(c, s, "size", 0);
            if (size) {
                size_t at3 = push_key(c, "size");
                known_keys(c, size, "measure|remoteness");
                vs->weighted = 1;
                snprintf(vs->measure, sizeof vs->measure, "registered_persons");
                get_str(c, size, "measure", vs->measure, sizeof vs->measure, 0);
                if (!str_in_list(vs->measure, strlen(vs->measure),
                                 "registered_persons|registered_households|unexited_persons|"
                                 "population")) {
                    size_t at4 = push_key(c, "measure");
                    perr(c, "unknown size measure \"%s\" (registered_persons, "
                            "registered_households, unexited_persons, population)",
                         vs->measure);
                    pop(c, at4);
                }
                vs->remoteness = get_num(c, size, "remoteness", 0, 0, 100);
                pop(c, at3);
            }
            pop(c, at2);
        }
        pop(c, at);
    }
    gc = json_object_get(o, "group_census");
    if (gc) {
        size_t at = push_key(c, "group_census");
        perr(c, "put group_census on the village stratum it applies to");
        pop(c, at);
    }
}

static void parse_households(struct pctx *c, json_t *o)
{
    struct plan *p = c->p;
    json_t *quotas, *census, *q;
    size_t i;
    known_keys(c, o, "quotas|census|reserve");
    quotas = get_arr(c, o, "quotas", 1);
    p->reserve = get_int(c, o, "reserve", 3, 0, 1000);
    census = get_arr(c, o, "census", 0);
    if (census) {
        size_t at = push_key(c, "census");
        json_t *v;
        json_array_foreach(census, i, v)
        {
            size_t at2 = push_idx(c, i);
            const char *s = json_is_string(v) ? json_string_value(v) : "";
            if (!strcmp(s, "returned")) p->census_returned = 1;
            else if (!strcmp(s, "edge")) p->census_edge = 1;
            else if (!strcmp(s, "monitored")) p->census_monitored = 1;
            else perr(c, "unknown census group (expected returned, edge, monitored)");
            pop(c, at2);
        }
        pop(c, at);
    }
    if (!quotas) return;
    {
        size_t at = push_key(c, "quotas");
        if (json_array_size(quotas) > PLAN_MAX_QUOTAS) perr(c, "at most %d quotas", PLAN_MAX_QUOTAS);
        /* first pass: names, categories, n */
        json_array_foreach(quotas, i, q)
        {
            struct plan_quota *pq;
            size_t at2 = push_idx(c, i);
            json_t *cats, *flags;
            if (i >= PLAN_MAX_QUOTAS || !json_is_object(q)) {
                if (!json_is_object(q)) perr(c, "expected an object");
                pop(c, at2);
                continue;
            }
            pq = &p->quotas[p->nquotas++];
            known_keys(c, q, "name|categories|flags_any|n|fallback");
            get_str(c, q, "name", pq->name, sizeof pq->name, 1);
            pq->n = get_int(c, q, "n", 0, 0, 10000);
            cats = get_arr(c, q, "categories", 0);
            if (cats) {
                size_t at3 = push_key(c, "categories");
                pq->cats = parse_cats(c, cats);
                pop(c, at3);
            } else if (pq->name[0]) {
                int k = category_parse(pq->name);
                if (k < 0) {
                    size_t at3 = push_key(c, "name");
                    perr(c, "\"%s\" is not a category: give its categories", pq->name);
                    pop(c, at3);
                } else pq->cats = 1u << k;
            }
            flags = get_arr(c, q, "flags_any", 0);
            if (flags) {
                size_t at3 = push_key(c, "flags_any");
                pq->flags_any = parse_flags(c, flags);
                pop(c, at3);
            }
            for (int k = 0; k + 1 < p->nquotas; k++) {
                if (!strcmp(p->quotas[k].name, pq->name)) perr(c, "name: \"%s\" twice", pq->name);
                /* a household belongs to the first quota it matches: a later quota may take
                 * the rest of an earlier one's categories when the earlier one asks for flags
                 * (e.g. plain general households after the flagged ones) */
                if ((p->quotas[k].cats & pq->cats) && !p->quotas[k].flags_any)
                    perr(c, "categories overlap quotas[%d] (\"%s\"): a household could be drawn "
                            "twice",
                         k, p->quotas[k].name);
            }
            pop(c, at2);
        }
        /* second pass: fallbacks by name */
        json_array_foreach(quotas, i, q)
        {
            json_t *fb, *v;
            size_t j, at2;
            if (i >= PLAN_MAX_QUOTAS || !json_is_object(q)) continue;
            at2 = push_idx(c, i);
            fb = get_arr(c, q, "fallback", 0);
            if (fb) {
                size_t at3 = push_key(c, "fallback");
                json_array_foreach(fb, j, v)
                {
                    size_t at4 = push_idx(c, j);
                    int found = -1;
                    for (int k = 0; k < p->nquotas && json_is_string(v); k++)
                        if (!strcmp(p->quotas[k].name, json_string_value(v))) found = k;
                    if (found < 0)
                        perr(c, "unknown category \"%s\" (no quota of that name)",
                             json_is_string(v) ? json_string_value(v) : "?");
                    else if (found == (int)i) perr(c, "a quota cannot fall back on itself");
                    else if (p->quotas[i].nfallback >= PLAN_MAX_FALLBACK)
                        perr(c, "at most %d fallbacks", PLAN_MAX_FALLBACK);
                    else p->quotas[i].fallback[p->quotas[i].nfallback++] = found;
                    pop(c, at4);
                }
                pop(c, at3);
            }
            pop(c, at2);
        }
        pop(c, at);
    }
}

static void parse_standards(struct pctx *c, json_t *root)
{
    struct plan *p = c->p;
    json_t *th = get_arr(c, root, "thresholds", 0), *vs = get_arr(c, root, "village_standard", 0),
           *o;
    size_t i;
    if (th) {
        size_t at = push_key(c, "thresholds");
        json_array_foreach(th, i, o)
        {
            struct plan_threshold *t;
            size_t at2 = push_idx(c, i);
            if (i >= PLAN_MAX_THRESHOLDS || !json_is_object(o)) {
                perr(c, "expected an object (at most %d)", PLAN_MAX_THRESHOLDS);
                pop(c, at2);
                continue;
            }
            t = &p->thresholds[p->nthresholds++];
            known_keys(c, o, "indicator|region|op|value|words|source");
            get_str(c, o, "indicator", t->indicator, sizeof t->indicator, 1);
            if (t->indicator[0] && !str_in_list(t->indicator, strlen(t->indicator),
                                                "incidence|wrong_exit|missed|approval")) {
                size_t at3 = push_key(c, "indicator");
                perr(c, "unknown indicator (incidence, wrong_exit, missed, approval)");
                pop(c, at3);
            }
            get_str(c, o, "region", t->region, sizeof t->region, 0);
            if (t->region[0] && !code_parse(codes_region, t->region, strlen(t->region))) {
                size_t at3 = push_key(c, "region");
                perr(c, "unknown region (east, central, west)");
                pop(c, at3);
            }
            t->value = get_num(c, o, "value", 0, 0, 1);
            parse_comparison(c, o, &t->op, t->words, sizeof t->words);
            pop(c, at2);
        }
        pop(c, at);
    }
    if (vs) {
        size_t at = push_key(c, "village_standard");
        json_array_foreach(vs, i, o)
        {
            struct plan_item *it;
            size_t at2 = push_idx(c, i);
            if (i >= PLAN_MAX_THRESHOLDS || !json_is_object(o)) {
                perr(c, "expected an object (at most %d)", PLAN_MAX_THRESHOLDS);
                pop(c, at2);
                continue;
            }
            it = &p->items[p->nitems++];
            known_keys(c, o, "item|op|value|exception|words|source");
            get_str(c, o, "item", it->name, sizeof it->name, 1);
            if (it->name[0] && !str_in_list(it->name, strlen(it->name), VILLAGE_ITEMS)) {
                size_t at3 = push_key(c, "item");
                perr(c, "unknown village-standard item \"%s\" (%s)", it->name, VILLAGE_ITEMS);
                pop(c, at3);
            }
            it->value = get_num(c, o, "value", 0, -1e12, 1e12);
            it->exception = get_num(c, o, "exception", 0, 0, 1e12);
            parse_comparison(c, o, &it->op, it->words, sizeof it->words);
            pop(c, at2);
        }
        pop(c, at);
    }
}

static void parse_name(struct pctx *c, json_t *o, char *zh, size_t zsize, char *en, size_t esize)
{
    json_t *n = json_object_get(o, "name");
    size_t at;
    if (!n) return;
    at = push_key(c, "name");
    if (json_is_string(n)) snprintf(zh, zsize, "%s", json_string_value(n));
    else if (json_is_object(n)) {
        get_str(c, n, "zh", zh, zsize, 0);
        get_str(c, n, "en", en, esize, 0);
    } else perr(c, "expected text or {zh, en}");
    pop(c, at);
}

/* A node and its children, depth first. */
static void parse_node(struct pctx *c, json_t *o, int parent, int tree)
{
    struct plan_scoring *sc = &c->p->scoring;
    struct plan_node *nd;
    json_t *kids;
    int me;
    if (sc->nnodes >= PLAN_MAX_NODES) {
        perr(c, "at most %d nodes in the scoring trees", PLAN_MAX_NODES);
        return;
    }
    if (!json_is_object(o)) {
        perr(c, "expected an object");
        return;
    }
    me = sc->nnodes++;
    nd = &sc->nodes[me];
    memset(nd, 0, sizeof *nd);
    known_keys(c, o, "id|name|weight|children|source|indicator|standard|best|worst");
    get_str(c, o, "id", nd->id, sizeof nd->id, 1);
    for (int k = 0; k < me && nd->id[0]; k++)
        if (!strcmp(sc->nodes[k].id, nd->id)) perr(c, "id: \"%s\" twice", nd->id);
    parse_name(c, o, nd->zh, sizeof nd->zh, nd->en, sizeof nd->en);
    nd->weight = get_num(c, o, "weight", 0, 0, 1000);
    if (!json_object_get(o, "weight")) perr(c, "weight: required");
    nd->parent = parent;
    nd->tree = tree;
    kids = get_arr(c, o, "children", 0);
    if (kids && json_array_size(kids)) {
        size_t at = push_key(c, "children"), i;
        json_t *k;
        json_array_foreach(kids, i, k)
        {
            size_t at2 = push_idx(c, i);
            parse_node(c, k, me, tree);
            pop(c, at2);
        }
        pop(c, at);
    } else {
        nd->leaf = 1;
        snprintf(nd->source, sizeof nd->source, "input");
        get_str(c, o, "source", nd->source, sizeof nd->source, 0);
        get_str(c, o, "indicator", nd->indicator, sizeof nd->indicator, 0);
        nd->standard = get_num(c, o, "standard", -1, 0, 100);
        nd->best = get_num(c, o, "best", 100, 0, 100);
        nd->worst = get_num(c, o, "worst", 0, 0, 100);
        if ((json_object_get(o, "best") || json_object_get(o, "worst")) &&
            strcmp(nd->source, "rank"))
            perr(c, "best, worst: only for source \"rank\"");
        if (!str_in_list(nd->source, strlen(nd->source), "input|indicator|rank|share")) {
            size_t at = push_key(c, "source");
            perr(c, "expected \"input\" (the score sheet), \"indicator\" (the survey), "
                    "\"rank\" (the sheet's result ranked) or \"share\" (got/full)");
            pop(c, at);
        } else if (!strcmp(nd->source, "indicator") &&
                   !str_in_list(nd->indicator, strlen(nd->indicator),
                                "exit_accuracy|identification_accuracy|satisfaction")) {
            size_t at = push_key(c, "indicator");
            perr(c, "unknown indicator \"%s\" (exit_accuracy, identification_accuracy, "
                    "satisfaction: the survey measures these; others are score-sheet inputs)",
                 nd->indicator);
            pop(c, at);
        }
    }
}

/* The bonus, veto or condition items (at most 8): {id, name[, max][, unit]}. */
static void parse_sheet_items(struct pctx *c, json_t *o, const char *key,
                              struct plan_sheet_item *items, int *n, int with_max)
{
    json_t *a = get_arr(c, o, key, 0), *v;
    size_t at, i;
    if (!a) return;
    at = push_key(c, key);
    json_array_foreach(a, i, v)
    {
        size_t at2 = push_idx(c, i);
        if (i < 8 && json_is_object(v)) {
            struct plan_sheet_item *it = &items[*n];
            known_keys(c, v, with_max ? "id|name|max|unit" : "id|name|unit");
            get_str(c, v, "id", it->id, sizeof it->id, 1);
            parse_name(c, v, it->zh, sizeof it->zh, it->en, sizeof it->en);
            get_str(c, v, "unit", it->unit, sizeof it->unit, 0);
            it->max = with_max ? get_num(c, v, "max", 1, 0, 100) : 1;
            (*n)++;
        } else perr(c, "expected an object (at most 8)");
        pop(c, at2);
    }
    pop(c, at);
}

/* Bonus, veto and condition items name a tree of the plan (or none: every tree); their ids
 * are unique among themselves. */
static void sheet_items_check(struct pctx *c, const struct plan_scoring *sc)
{
    const struct {
        const char *key;
        const struct plan_sheet_item *it;
        int n;
    } lists[] = {{"bonus", sc->bonus, sc->nbonus}, {"veto", sc->veto, sc->nveto},
                 {"conditions", sc->cond, sc->ncond}};
    for (int l = 0; l < 3; l++)
        for (int i = 0; i < lists[l].n; i++) {
            const struct plan_sheet_item *it = &lists[l].it[i];
            int found = !it->unit[0];
            for (int t = 0; t < sc->ntrees && !found; t++)
                found = !strcmp(sc->trees[t].unit, it->unit);
            if (!found)
                perr(c, "%s[%d].unit: \"%s\" is not a tree of the plan", lists[l].key, i,
                     it->unit);
            for (int m = l == 2 ? 0 : 2; m < 3; m++)
                for (int j = 0; j < lists[m].n; j++)
                    if (!strcmp(it->id, lists[m].it[j].id) && l != m)
                        perr(c, "%s[%d].id: \"%s\" is also a %s item", lists[l].key, i, it->id,
                             lists[m].key);
        }
}

/* A rank section (scoring.rank: the defaults; trees[i].rank: one tree's). */
static void parse_rank(struct pctx *c, json_t *r, struct plan_rank *k)
{
    json_t *b;
    known_keys(c, r, "group|top_scope|top_share|top_count|flag_last|twice_last|bands|"
                     "below_standard_band");
    get_str(c, r, "group", k->group, sizeof k->group, 0);
    get_str(c, r, "top_scope", k->top_scope, sizeof k->top_scope, 0);
    if (!str_in_list(k->group, strlen(k->group), "county|city|all"))
        perr(c, "group: county, city or all");
    if (k->top_scope[0] && !str_in_list(k->top_scope, strlen(k->top_scope), "county|city|all"))
        perr(c, "top_scope: county, city or all");
    k->top_share = get_num(c, r, "top_share", k->top_share, 0, 1);
    k->top_count = get_int(c, r, "top_count", k->top_count, 0, 100000);
    k->flag_last = get_bool(c, r, "flag_last", k->flag_last);
    k->twice_last = get_bool(c, r, "twice_last", k->twice_last);
    b = get_arr(c, r, "bands", 0);
    if (b) {
        size_t at = push_key(c, "bands"), i;
        json_t *v;
        double sum = 0;
        k->nbands = 0;
        json_array_foreach(b, i, v)
        {
            size_t at2 = push_idx(c, i);
            if (i < 4 && json_is_object(v)) {
                known_keys(c, v, "name|share");
                parse_name(c, v, k->bands[k->nbands].zh, sizeof k->bands[0].zh,
                           k->bands[k->nbands].en, sizeof k->bands[0].en);
                k->bands[k->nbands].share = get_num(c, v, "share", 0, 0, 1);
                sum += k->bands[k->nbands++].share;
            } else perr(c, "expected {name, share} (at most 4)");
            pop(c, at2);
        }
        if (k->nbands && fabs(sum - 1) > 1e-6) perr(c, "the shares add up to %g, not 1", sum);
        pop(c, at);
    }
    if (json_object_get(r, "below_standard_band")) {
        char zh[16] = "";
        get_str(c, r, "below_standard_band", zh, sizeof zh, 1);
        k->below_band = -1;
        for (int i = 0; i < k->nbands; i++)
            if (!strcmp(k->bands[i].zh, zh) || !strcmp(k->bands[i].en, zh)) k->below_band = i;
        if (k->below_band < 0) perr(c, "below_standard_band: \"%s\" is not a band", zh);
    }
}

static void parse_scoring(struct pctx *c, json_t *o)
{
    struct plan *p = c->p;
    struct plan_scoring *sc = &p->scoring;
    json_t *trees, *a, *v;
    size_t i;
    known_keys(c, o, "scored|ranked|scheme|trees|bonus|veto|conditions|rank");
    p->scored = get_bool(c, o, "scored", 0);
    p->ranked = get_bool(c, o, "ranked", 0);
    get_str(c, o, "scheme", sc->scheme, sizeof sc->scheme, 0);
    trees = get_arr(c, o, "trees", 0);
    if (!trees) {
        if (p->scored) perr(c, "trees: a scored plan needs its indicator trees");
        return;
    }
    sc->enabled = 1;
    {
        struct plan_rank dflt = {"all", "", 0.2, 0, 1, 1, 0, {{"", "", 0}}, -1};
        json_t *r0 = get_obj(c, o, "rank", 0);
        if (r0) {
            size_t at = push_key(c, "rank");
            parse_rank(c, r0, &dflt);
            pop(c, at);
        }
        sc->top_share = dflt.top_share;
        sc->flag_last = dflt.flag_last;
        sc->twice_last = dflt.twice_last;
        for (int t = 0; t < 4; t++) sc->trees[t].rank = dflt;
    }
    {
        size_t at = push_key(c, "trees");
        json_array_foreach(trees, i, v)
        {
            size_t at2 = push_idx(c, i);
            if (i >= 4 || !json_is_object(v)) {
                perr(c, "expected an object (at most 4 trees)");
                pop(c, at2);
                continue;
            }
            known_keys(c, v, "unit|name|children|rank");
            get_str(c, v, "unit", sc->trees[sc->ntrees].unit, sizeof sc->trees[0].unit, 1);
            if (!str_in_list(sc->trees[sc->ntrees].unit, strlen(sc->trees[sc->ntrees].unit),
                             "township|county|city|department"))
                perr(c, "unit: township, county, city or department");
            {
                struct plan_rank *k = &sc->trees[sc->ntrees].rank;
                json_t *r = get_obj(c, v, "rank", 0);
                if (r) {
                    size_t at3 = push_key(c, "rank");
                    parse_rank(c, r, k);
                    pop(c, at3);
                }
                if (!k->top_scope[0]) memcpy(k->top_scope, k->group, sizeof k->top_scope);
            }
            {
                char en[64];
                parse_name(c, v, sc->trees[sc->ntrees].zh, sizeof sc->trees[0].zh, en, sizeof en);
            }
            a = get_arr(c, v, "children", 1);
            if (a) {
                size_t at3 = push_key(c, "children"), j;
                json_t *k;
                json_array_foreach(a, j, k)
                {
                    size_t at4 = push_idx(c, j);
                    parse_node(c, k, -1, sc->ntrees);
                    pop(c, at4);
                }
                pop(c, at3);
            }
            sc->ntrees++;
            pop(c, at2);
        }
        pop(c, at);
    }
    parse_sheet_items(c, o, "bonus", sc->bonus, &sc->nbonus, 1);
    parse_sheet_items(c, o, "veto", sc->veto, &sc->nveto, 0);
    parse_sheet_items(c, o, "conditions", sc->cond, &sc->ncond, 0);
    sheet_items_check(c, sc);
    /* ids name the score sheet's items: unique across nodes, bonus and veto items; the
     * survey measures townships, counties and cities, never departments */
    for (int k = 0; k < sc->nnodes; k++) {
        const struct plan_node *nd = &sc->nodes[k];
        for (int b = 0; b < sc->nbonus; b++)
            if (!strcmp(nd->id, sc->bonus[b].id))
                perr(c, "bonus[%d].id: \"%s\" is also a node of the trees", b, nd->id);
        for (int b = 0; b < sc->nveto; b++)
            if (!strcmp(nd->id, sc->veto[b].id))
                perr(c, "veto[%d].id: \"%s\" is also a node of the trees", b, nd->id);
        for (int b = 0; b < sc->ncond; b++)
            if (!strcmp(nd->id, sc->cond[b].id))
                perr(c, "conditions[%d].id: \"%s\" is also a node of the trees", b, nd->id);
        if (nd->leaf && !strcmp(nd->source, "indicator") &&
            !strcmp(sc->trees[nd->tree].unit, "department"))
            perr(c, "trees[%d]: node \"%s\": departments are not surveyed, so their leaves "
                    "come from the score sheet (source \"input\")",
                 nd->tree, nd->id);
    }
    for (int b = 0; b < sc->nbonus; b++)
        for (int w = 0; w < sc->nveto; w++)
            if (!strcmp(sc->bonus[b].id, sc->veto[w].id))
                perr(c, "veto[%d].id: \"%s\" is also a bonus item", w, sc->veto[w].id);
    if (p->ranked && !p->scored) perr(c, "ranked: a plan that is not scored cannot rank");
}

/* ------------------------------------------------------------------ sources (issue 16 #14)
 *
 * Every number of a plan either quotes its seed sentence or is the plan's own choice with its
 * reason. "sources" maps a JSON path of the file — "[*]" matches any index — to
 * {"seed": "004 第三篇 一4", "quote": "…"} or {"choice": "why"}. A number inside an object
 * with "words" (thresholds, village-standard items) is sourced by those words. */

/* 1 if path matches pattern ("[*]" stands for any [digits]). */
static int source_match(const char *pat, const char *path)
{
    while (*pat && *path) {
        if (!strncmp(pat, "[*]", 3) && *path == '[') {
            pat += 3;
            path++;
            while (*path >= '0' && *path <= '9') path++;
            if (*path++ != ']') return 0;
            continue;
        }
        if (*pat++ != *path++) return 0;
    }
    return !*pat && !*path;
}

struct source_walk {
    json_t *sources;  /* the file's "sources" object (borrowed), or NULL */
    FILE *f;          /* print here, or NULL (count only) */
    const char *pat;  /* count the numbers this pattern matches (validation) */
    int matched, unsourced;
};

static void source_visit(struct source_walk *w, json_t *v, char *path, size_t len, size_t size,
                         json_t *words_obj)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *x, *wo = json_object_get(v, "words") ? v : words_obj;
        json_object_foreach(v, k, x)
        {
            if (!len && !strcmp(k, "sources")) continue;
            snprintf(path + len, size - len, "%s%s", len ? "." : "", k);
            source_visit(w, x, path, strlen(path), size, wo);
            path[len] = 0;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            snprintf(path + len, size - len, "[%zu]", i);
            source_visit(w, x, path, strlen(path), size, words_obj);
            path[len] = 0;
        }
    } else if (json_is_number(v)) {
        const char *k, *why = NULL, *seed = NULL, *kind = NULL;
        json_t *x;
        if (w->pat) {
            w->matched += source_match(w->pat, path);
            return;
        }
        if (w->sources)
            json_object_foreach(w->sources, k, x) if (source_match(k, path))
            {
                if (json_object_get(x, "choice")) {
                    kind = "plan's choice";
                    why = json_string_value(json_object_get(x, "choice"));
                } else {
                    kind = "seed";
                    seed = json_string_value(json_object_get(x, "seed"));
                    why = json_string_value(json_object_get(x, "quote"));
                }
                break;
            }
        if (!kind && words_obj) {
            kind = "seed";
            why = json_string_value(json_object_get(words_obj, "words"));
            seed = json_string_value(json_object_get(words_obj, "source"));
        }
        if (!kind) w->unsourced++;
        if (!w->f) return;
        fprintf(w->f, "%s = %g\t", path, json_number_value(v));
        if (!kind) fprintf(w->f, "UNSOURCED: no seed sentence, no stated choice\n");
        else if (!strcmp(kind, "seed"))
            fprintf(w->f, "seed %s: 「%s」\n", seed ? seed : "?", why ? why : "");
        else fprintf(w->f, "plan's choice: %s\n", why ? why : "");
    }
}

/* Validates "sources": each value is {"seed", "quote"} or {"choice"} with non-empty text. A
 * key that names no number is not an error here (a test or an office may derive a plan from
 * a shipped one and drop a section): plan_sources reports it as stale. */
static void parse_sources(struct pctx *c, json_t *root)
{
    json_t *src = get_obj(c, root, "sources", 0), *v;
    const char *k;
    size_t at;
    if (!src) return;
    at = push_key(c, "sources");
    json_object_foreach(src, k, v)
    {
        size_t at2 = push_key(c, k);
        if (!json_is_object(v)) perr(c, "expected {\"seed\", \"quote\"} or {\"choice\"}");
        else {
            const char *q = json_string_value(json_object_get(v, "quote"));
            const char *sd = json_string_value(json_object_get(v, "seed"));
            const char *ch = json_string_value(json_object_get(v, "choice"));
            known_keys(c, v, "seed|quote|choice");
            if (ch ? !*ch || q || sd : !q || !*q || !sd || !*sd)
                perr(c, "give either the seed and its quote, or the plan's choice and its reason");
        }
        pop(c, at2);
    }
    pop(c, at);
}

int plan_sources(const struct plan *p, FILE *f)
{
    json_error_t jerr;
    json_t *root = json_loadb(p->text, p->len, 0, &jerr);
    char path[512] = "";
    struct source_walk w = {NULL, f, NULL, 0, 0};
    const char *k;
    json_t *v;
    if (!root) return -1;
    w.sources = json_object_get(root, "sources");
    source_visit(&w, root, path, 0, sizeof path, NULL);
    json_object_foreach(w.sources, k, v)
    { /* a stale entry: it names no number of this file */
        struct source_walk m = {NULL, NULL, k, 0, 0};
        path[0] = 0;
        source_visit(&m, root, path, 0, sizeof path, NULL);
        if (m.matched) continue;
        w.unsourced++;
        if (f) fprintf(f, "sources.%s\tSTALE: names no number of the plan\n", k);
    }
    json_decref(root);
    return w.unsourced;
}

static void parse_teams(struct pctx *c, json_t *o)
{
    struct plan_teams *t = &c->p->teams;
    known_keys(c, o, "teams|pass_mark|base_size|per_county|local_share|pair_experienced");
    t->enabled = 1;
    t->teams = get_int(c, o, "teams", 0, 1, 1000);
    if (!json_object_get(o, "teams")) perr(c, "teams: required");
    t->pass_mark = get_num(c, o, "pass_mark", 60, 0, 100);
    t->base_size = get_int(c, o, "base_size", 3, 2, 100);
    t->per_county = get_int(c, o, "per_county", 4, 0, 100);
    t->local_share = get_num(c, o, "local_share", 0.6, 0, 1);
    t->pair_experienced = get_bool(c, o, "pair_experienced", 1);
}

/* "problems": which steps of the life cycle a round uses and when (DESIGN §8.1). The district
 * plan (seed 004, third article, 三.1) has the day's list by 20:00 ("daily_summary_by") and
 * feedback at the end; Anhui (seed 002 五(六)) verifies with the county the next day, no hour
 * named. The other keys (typical experiences, minimum problems, feedback) are the reports'. */
static void parse_problem_steps(struct pctx *c, json_t *root)
{
    json_t *o = get_obj(c, root, "problems", 0);
    struct plan_problem_steps *st = &c->p->steps;
    char due[16] = "", verify[32] = "";
    size_t at;
    st->summary_due = -1;
    if (!o) return;
    at = push_key(c, "problems");
    known_keys(c, o, "daily_summary_by|verify|feedback|typical_experiences|min_problems");
    get_str(c, o, "daily_summary_by", due, sizeof due, 0);
    if (due[0]) {
        int hh, mm;
        char tail;
        size_t k = push_key(c, "daily_summary_by");
        if (sscanf(due, "%2d:%2d%c", &hh, &mm, &tail) != 2 || hh < 0 || hh > 23 || mm < 0 ||
            mm > 59)
            perr(c, "a time of day HH:MM (China Standard Time), e.g. \"20:00\"");
        else
            st->summary_due = hh * 60 + mm;
        pop(c, k);
    }
    get_str(c, o, "verify", verify, sizeof verify, 0);
    if (verify[0]) {
        size_t k = push_key(c, "verify");
        if (!strcmp(verify, "next_day")) st->verify_next_day = 1;
        else if (!strcmp(verify, "at_end")) st->verify_at_end = 1;
        else perr(c, "next_day (verified with the county the next day) or at_end");
        pop(c, k);
    }
    pop(c, at);
}

/* "accountability" (seed 004, first article, 第七条(二)1–2): the measures for the last place
 * (通报批评), the last place twice in a row (降级使用) and a unit meeting any listed condition
 * (约谈), and the conditions as data: each is checked from the round's accepted problems of
 * some kinds ("problems"), from indicator leaves of the score held to the plan's thresholds
 * ("indicators"), or cannot be shown by pinggu's data ("none", with why). */
static void parse_accountability(struct pctx *c, json_t *root)
{
    json_t *o = get_obj(c, root, "accountability", 0), *a;
    struct plan_accountability *acc = &c->p->acc;
    size_t at, k;
    if (!o) return;
    at = push_key(c, "accountability");
    known_keys(c, o, "tree|last_place|last_twice|meeting|conditions|source");
    acc->enabled = 1;
    get_str(c, o, "tree", acc->tree, sizeof acc->tree, 1);
    get_str(c, o, "last_place", acc->last_place, sizeof acc->last_place, 1);
    get_str(c, o, "last_twice", acc->last_twice, sizeof acc->last_twice, 1);
    get_str(c, o, "meeting", acc->meeting, sizeof acc->meeting, 1);
    if (acc->tree[0]) {
        int found = 0, ranked_last = 0;
        for (int t = 0; t < c->p->scoring.ntrees; t++)
            if (!strcmp(c->p->scoring.trees[t].unit, acc->tree)) {
                found = 1;
                ranked_last = c->p->scoring.trees[t].rank.flag_last;
            }
        k = push_key(c, "tree");
        if (!found) perr(c, "'%s' is not a unit of the plan's scoring trees (the rules apply to "
                            "score results)", acc->tree);
        else if (!ranked_last) perr(c, "the '%s' tree does not flag its last place "
                                       "(scoring rank flag_last)", acc->tree);
        pop(c, k);
    }
    a = get_arr(c, o, "conditions", 1);
    if (a && (json_array_size(a) < 1 || json_array_size(a) > 8)) {
        k = push_key(c, "conditions");
        perr(c, "between 1 and 8 conditions");
        pop(c, k);
    }
    for (size_t i = 0; a && i < json_array_size(a) && i < 8; i++) {
        json_t *x = json_array_get(a, i), *v;
        struct plan_acc_cond *d = &acc->cond[acc->ncond++];
        char check[24] = "";
        size_t ak = push_key(c, "conditions"), ai = push_idx(c, i);
        if (!json_is_object(x)) {
            perr(c, "expected an object");
            pop(c, ai);
            pop(c, ak);
            continue;
        }
        known_keys(c, x, "id|zh|check|kinds|nodes|why");
        get_str(c, x, "id", d->id, sizeof d->id, 1);
        get_str(c, x, "zh", d->zh, sizeof d->zh, 1);
        get_str(c, x, "check", check, sizeof check, 1);
        if (!strcmp(check, "none")) {
            d->check = PLAN_ACC_NONE;
            get_str(c, x, "why", d->why, sizeof d->why, 1);
        } else if (!strcmp(check, "problems")) {
            d->check = PLAN_ACC_PROBLEMS;
            v = get_arr(c, x, "kinds", 1);
            for (size_t j = 0; v && j < json_array_size(v) && j < 4; j++) {
                const char *kind = json_string_value(json_array_get(v, j));
                size_t kk = push_key(c, "kinds"), kj = push_idx(c, j);
                char bar[32] = "";
                if (kind && strlen(kind) < 24) snprintf(bar, sizeof bar, "|%s|", kind);
                if (!bar[0] || !strstr("|identification|exit|assistance|policy|funds|project|"
                                       "data_quality|discipline|",
                                       bar))
                    perr(c, "a problem kind: identification, exit, assistance, policy, funds, "
                            "project, data_quality or discipline");
                else
                    snprintf(d->kinds[d->nkinds++], sizeof d->kinds[0], "%s", kind);
                pop(c, kj);
                pop(c, kk);
            }
            if (v && (json_array_size(v) < 1 || json_array_size(v) > 4)) perr(c, "kinds: 1 to 4");
        } else if (!strcmp(check, "indicators")) {
            const char *key;
            json_t *val;
            d->check = PLAN_ACC_INDICATORS;
            v = get_obj(c, x, "nodes", 1);
            if (v && (json_object_size(v) < 1 || json_object_size(v) > 4)) perr(c, "nodes: 1 to 4");
            json_object_foreach(v, key, val)
            {
                size_t nk = push_key(c, "nodes"), nn = push_key(c, key);
                const char *ind = json_string_value(val);
                int leaf = 0;
                for (int n = 0; n < c->p->scoring.nnodes; n++) {
                    const struct plan_node *pn = &c->p->scoring.nodes[n];
                    if (!strcmp(pn->id, key) && pn->leaf && !strcmp(pn->source, "indicator") &&
                        !strcmp(c->p->scoring.trees[pn->tree].unit, acc->tree))
                        leaf = 1;
                }
                if (!leaf) perr(c, "not an indicator leaf of the '%s' tree", acc->tree);
                else if (!ind || (strcmp(ind, "wrong_exit") && strcmp(ind, "missed") &&
                                  strcmp(ind, "approval")))
                    perr(c, "the threshold it is held to: wrong_exit, missed or approval");
                else if (!plan_threshold_for(c->p, ind, ""))
                    perr(c, "the plan has no %s threshold", ind);
                else if (d->nnodes < 4) {
                    snprintf(d->nodes[d->nnodes].node, sizeof d->nodes[0].node, "%s", key);
                    snprintf(d->nodes[d->nnodes].indicator, sizeof d->nodes[0].indicator, "%s",
                             ind);
                    d->nnodes++;
                }
                pop(c, nn);
                pop(c, nk);
            }
        } else if (check[0]) {
            k = push_key(c, "check");
            perr(c, "none, problems or indicators");
            pop(c, k);
        }
        pop(c, ai);
        pop(c, ak);
    }
    pop(c, at);
}

/* "interviews": the cadre-interview quotas (干部访谈) per unit and level, each role a choice of
 * forms/cadre-interview.json's cadre_role that belongs to its level (seed 002 五(三)). Levels:
 * city, county, paired_county (added in counties with paired assistance), village. */
static const char *const interview_roles[][2] = {
    {"city", "city_leader|department_head"},
    {"county", "county_principal|county_deputy|department_head"},
    {"paired_county", "paired_cadre|paired_talent"},
    {"village", "first_secretary|village_secretary|poverty_officer|helper"}};

static void parse_interviews(struct pctx *c, json_t *root)
{
    json_t *o = get_obj(c, root, "interviews", 0);
    size_t at;
    if (!o) return;
    at = push_key(c, "interviews");
    known_keys(c, o, "city|county|paired_county|village");
    for (size_t l = 0; l < sizeof interview_roles / sizeof interview_roles[0]; l++) {
        json_t *a = get_arr(c, o, interview_roles[l][0], 0), *v;
        size_t i, k;
        if (!a) continue;
        k = push_key(c, interview_roles[l][0]);
        json_array_foreach(a, i, v) {
            size_t ki = push_idx(c, i);
            struct plan_interview_quota *q;
            if (!json_is_object(v)) {
                perr(c, "expected an object {\"role\", \"n\"}");
                pop(c, ki);
                continue;
            }
            known_keys(c, v, "role|n|phone");
            if (c->p->ninterviews >= PLAN_MAX_INTERVIEWS) {
                perr(c, "more than %d interview quotas", PLAN_MAX_INTERVIEWS);
                pop(c, ki);
                continue;
            }
            q = &c->p->interviews[c->p->ninterviews];
            memset(q, 0, sizeof *q);
            snprintf(q->level, sizeof q->level, "%s", interview_roles[l][0]);
            get_str(c, v, "role", q->role, sizeof q->role, 1);
            if (q->role[0] && !str_in_list(q->role, strlen(q->role), interview_roles[l][1])) {
                size_t kr = push_key(c, "role");
                perr(c, "\"%s\" is not an interviewee of the %s level (%s)", q->role,
                     interview_roles[l][0], interview_roles[l][1]);
                pop(c, kr);
            }
            for (int j = 0; j < c->p->ninterviews; j++)
                if (!strcmp(c->p->interviews[j].level, q->level) &&
                    !strcmp(c->p->interviews[j].role, q->role))
                    perr(c, "role \"%s\" twice in %s", q->role, q->level);
            q->n = get_int(c, v, "n", 0, 1, 100);
            if (!json_object_get(v, "n")) {
                size_t kn = push_key(c, "n");
                perr(c, "required");
                pop(c, kn);
            }
            q->phone = get_bool(c, v, "phone", 0);
            c->p->ninterviews++;
            pop(c, ki);
        }
        pop(c, k);
    }
    pop(c, at);
}

int plan_parse(const char *name, const char *text, size_t len, struct plan *p,
               struct errlist *errs, struct error *e)
{
    struct pctx c;
    json_error_t jerr;
    json_t *root, *o;
    size_t before = errs->total;
    memset(p, 0, sizeof *p);
    memset(&c, 0, sizeof c);
    c.j.name = name;
    c.j.errs = errs;
    c.p = p;
    sb_init(&c.j.path);
    p->text = mem_strndup(text, len);
    if (!p->text) return error_set(e, ERR_NOMEM, "out of memory");
    p->len = len;
    hash_sha256_hex(text, len, p->hash);
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        error_at(e, ERR_PARSE, name, jerr.line, jerr.column, "not valid JSON: %s", jerr.text);
        errlist_add(errs, e);
        return ERR_PARSE;
    }
    if (!json_is_object(root)) {
        perr(&c, "a plan is a JSON object");
        goto done;
    }
    known_keys(&c, root, "format|id|title|source|notes|year|scoring|scope|windows|income_line|"
                         "counties|villages|households|projects|paired|thresholds|"
                         "village_standard|teams|schedule|problems|forms|interviews|sources|"
                         "accountability|milestones|bulletin");
    {
        char fmt[32] = "";
        get_str(&c, root, "format", fmt, sizeof fmt, 1);
        if (fmt[0] && strcmp(fmt, "pinggu-plan/1")) {
            size_t at = push_key(&c, "format");
            perr(&c, "this pinggu reads \"pinggu-plan/1\"");
            pop(&c, at);
        }
    }
    get_str(&c, root, "id", p->id, sizeof p->id, 1);
    get_str(&c, root, "source", p->source, sizeof p->source, 1);
    if ((o = get_obj(&c, root, "title", 1))) {
        size_t at = push_key(&c, "title");
        get_str(&c, o, "zh", p->title_zh, sizeof p->title_zh, 1);
        get_str(&c, o, "en", p->title_en, sizeof p->title_en, 1);
        pop(&c, at);
    }
    p->year = get_int(&c, root, "year", 0, 2000, 2100);
    if (!p->year) perr(&c, "year: required");
    p->win.year = p->year;
    if ((o = get_obj(&c, root, "windows", 0))) {
        size_t at = push_key(&c, "windows");
        known_keys(&c, o, "newly_identified|exited_earlier");
        parse_window(&c, o, "newly_identified", &p->win.new_from, &p->win.new_to);
        parse_window(&c, o, "exited_earlier", &p->win.earlier_from, &p->win.earlier_to);
        pop(&c, at);
    }
    if ((o = get_obj(&c, root, "income_line", 1))) {
        char y[8];
        json_t *v;
        size_t at = push_key(&c, "income_line");
        snprintf(y, sizeof y, "%d", p->year);
        v = json_object_get(o, y);
        if (!v || !json_is_number(v)) perr(&c, "no line for the plan's year %d", p->year);
        else p->line = json_number_value(v);
        pop(&c, at);
    }
    if ((o = get_obj(&c, root, "scoring", 0))) {
        size_t at = push_key(&c, "scoring");
        parse_scoring(&c, o);
        pop(&c, at);
    }
    if ((o = get_obj(&c, root, "scope", 1))) {
        size_t at = push_key(&c, "scope");
        known_keys(&c, o, "province|county");
        p->province = get_int(&c, o, "province", 0, 11, 82);
        p->county = get_int(&c, o, "county", 0, 110000, 829999);
        pop(&c, at);
    }
    if ((o = get_obj(&c, root, "counties", 1))) {
        size_t at = push_key(&c, "counties");
        parse_counties(&c, o);
        pop(&c, at);
    }
    if ((o = get_obj(&c, root, "villages", 1))) {
        size_t at = push_key(&c, "villages");
        parse_villages(&c, o);
        pop(&c, at);
    }
    if ((o = get_obj(&c, root, "households", 1))) {
        size_t at = push_key(&c, "households");
        parse_households(&c, o);
        pop(&c, at);
    }
    if ((o = get_obj(&c, root, "projects", 0))) {
        size_t at = push_key(&c, "projects");
        known_keys(&c, o, "per_county|per_village");
        p->projects_per_county = get_int(&c, o, "per_county", 0, 0, 1000);
        p->projects_per_village = get_int(&c, o, "per_village", 0, 0, 1000);
        pop(&c, at);
    }
    if ((o = get_obj(&c, root, "paired", 0))) {
        size_t at = push_key(&c, "paired");
        known_keys(&c, o, "projects|households_per_project");
        p->paired_projects = get_int(&c, o, "projects", 0, 0, 1000);
        p->paired_households = get_int(&c, o, "households_per_project", 0, 0, 1000);
        pop(&c, at);
    }
    parse_standards(&c, root);
    parse_sources(&c, root);
    parse_problem_steps(&c, root);
    parse_accountability(&c, root);
    parse_interviews(&c, root);
    if ((o = get_obj(&c, root, "teams", 0))) {
        size_t at = push_key(&c, "teams");
        parse_teams(&c, o);
        pop(&c, at);
    }
    if (!p->nthresholds) perr(&c, "thresholds: at least one is needed for verdicts");
    if (sb_ok(&c.j.path)) {
        json_decref(root);
        sb_release(&c.j.path);
        return error_set(e, ERR_NOMEM, "out of memory");
    }
done:
    json_decref(root);
    sb_release(&c.j.path);
    if (errs->total > before) {
        error_set(e, ERR_INVALID, "%s: %zu problem%s", name, errs->total - before,
                  errs->total - before == 1 ? "" : "s");
        return ERR_INVALID;
    }
    return 0;
}

int plan_load(const char *path, struct plan *p, struct errlist *errs, struct error *e)
{
    FILE *f = fopen(path, "rb");
    struct strbuf sb = STRBUF_INIT;
    char buf[65536];
    size_t n;
    int rc;
    memset(p, 0, sizeof *p);
    if (!f) return error_set(e, ERR_IO, "%s: cannot open", path);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sb_add(&sb, buf, n);
    fclose(f);
    if (sb_ok(&sb)) {
        sb_release(&sb);
        return error_set(e, ERR_NOMEM, "out of memory");
    }
    rc = plan_parse(path, sb.buf, sb.len, p, errs, e);
    sb_release(&sb);
    return rc;
}

void plan_release(struct plan *p)
{
    mem_free(p->text);
    p->text = NULL;
}

const struct plan_threshold *plan_threshold_for(const struct plan *p, const char *indicator,
                                                const char *region)
{
    const struct plan_threshold *any = NULL;
    for (int i = 0; i < p->nthresholds; i++) {
        const struct plan_threshold *t = &p->thresholds[i];
        if (strcmp(t->indicator, indicator)) continue;
        if (region && !strcmp(t->region, region)) return t;
        if (!t->region[0]) any = t;
    }
    return any;
}

const struct plan_item *plan_item_for(const struct plan *p, const char *name)
{
    for (int i = 0; i < p->nitems; i++)
        if (!strcmp(p->items[i].name, name)) return &p->items[i];
    return NULL;
}

void plan_describe(const struct plan *p, FILE *f)
{
    fprintf(f, "%s  %s\n%s\nsource: %s\nyear %d, income line %.0f yuan, %s\n", p->id,
            p->title_zh, p->title_en, p->source, p->year, p->line,
            p->scored ? "scored" : "not scored, not ranked (不打分、不排队)");
    fprintf(f, "counties: %s", p->county_sample ? "sample" : "all eligible");
    if (p->county_sample)
        fprintf(f, " %.0f%% per province (at least %d, rounded half up)", p->county_fraction * 100,
                p->county_min);
    if (p->covert_max) fprintf(f, "; covert visits %d-%d per province", p->covert_min, p->covert_max);
    fprintf(f, "\nvillages: ");
    if (p->by_township) {
        fprintf(f, "every township, %d per key township, %d per other", p->per_key, p->per_other);
        if (p->min_poor || p->min_nonpoor)
            fprintf(f, ", at least %d poor and %d non-poor in each township that holds them",
                    p->min_poor, p->min_nonpoor);
    }
    for (int i = 0; i < p->nvstrata; i++)
        fprintf(f, "%s%s %d%s%s", i ? ", " : "", p->vstrata[i].name, p->vstrata[i].n,
                p->vstrata[i].weighted ? " (πps)" : "",
                p->vstrata[i].group_census ? " + a village-group census" : "");
    if (p->distinct_townships && p->mc_replicates)
        fprintf(f, "; all in distinct townships (π by Monte Carlo, R = %d)", p->mc_replicates);
    else if (p->distinct_townships)
        fprintf(f, "; all in distinct townships (exact π by a recursion over townships)");
    fprintf(f, "\nhouseholds per village:");
    for (int i = 0; i < p->nquotas; i++) {
        fprintf(f, " %s %d", p->quotas[i].name, p->quotas[i].n);
        for (int k = 0; k < p->quotas[i].nfallback; k++)
            fprintf(f, "%s%s", k ? "→" : " (short: →", p->quotas[p->quotas[i].fallback[k]].name);
        if (p->quotas[i].nfallback) fputc(')', f);
        fputc(i + 1 < p->nquotas ? ',' : '\n', f);
    }
    if (p->census_returned || p->census_edge || p->census_monitored)
        fprintf(f, "census: %s%s%s\n", p->census_returned ? "returned " : "",
                p->census_edge ? "edge " : "", p->census_monitored ? "monitored" : "");
    fprintf(f, "thresholds:");
    for (int i = 0; i < p->nthresholds; i++)
        fprintf(f, " %s%s%s %s %g (%s);", p->thresholds[i].indicator,
                p->thresholds[i].region[0] ? "/" : "", p->thresholds[i].region,
                plan_op_text(p->thresholds[i].op), p->thresholds[i].value, p->thresholds[i].words);
    fputc('\n', f);
    if (p->ninterviews) fprintf(f, "cadre interviews per unit (干部访谈):");
    for (int i = 0; i < p->ninterviews; i++)
        fprintf(f, " %s %s %d%s%s", p->interviews[i].level, p->interviews[i].role,
                p->interviews[i].n, p->interviews[i].phone ? " (on site or by phone)" : "",
                i + 1 < p->ninterviews ? ";" : "\n");
}

/* ------------------------------------------------------------------ the plan against a frame */

int plan_county_eligible(const struct plan *p, const struct frame_county *fc)
{
    if (p->province && fc->province != p->province) return 0;
    if (p->county && fc->code != p->county) return 0;
    if (p->county_types) {
        int bit = -1, i = 0;
        for (const struct code *k = codes_county_type; k->code; k++, i++)
            if (!strcmp(k->code, fc->type)) bit = i;
        if (bit < 0 || !(p->county_types & (1u << bit))) return 0;
    }
    if (p->county_exit_year && fc->exit_year != p->county_exit_year) return 0;
    return 1;
}

int plan_household_stratum(const struct plan *p, const struct frame_household *h, int *catp,
                           int *census)
{
    struct hh_facts f = {h->registered, h->identified_year, h->exit_year, h->returned};
    enum hh_category cat = household_category(&f, &p->win);
    int cg = 0;
    if (catp) *catp = (int)cat;
    if (p->census_returned && cat == CAT_RETURNED) cg = 1;
    else if (p->census_edge && (h->flags & HF_EDGE)) cg = 2;
    else if (p->census_monitored && (h->flags & HF_MONITORED)) cg = 3;
    if (census) *census = cg;
    if (cg) return -2;
    for (int q = 0; q < p->nquotas; q++) {
        const struct plan_quota *pq = &p->quotas[q];
        if (!(pq->cats & (1u << cat))) continue;
        if (pq->flags_any && !(h->flags & pq->flags_any)) continue;
        return q;
    }
    return -1;
}

static void warnf(FILE *f, int *nwarn, const char *fmt, ...) PG_PRINTF(3, 4);
static void warnf(FILE *f, int *nwarn, const char *fmt, ...)
{
    va_list ap;
    fputs("warning: ", f);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    (*nwarn)++;
}

/* One county of plan_check_frame. */
static int check_county(const struct plan *p, const struct frame_source *src,
                        const struct frame_county *fc, const char *cname, FILE *f, int *nwarn,
                        struct error *e)
{
    const struct frame_village *fv;
    const struct frame_township *ft;
    const struct frame_project *fp;
    size_t nv, nt, npj;
    int64_t *short_v = NULL; /* per quota: villages where it cannot be filled */
    int *best = NULL;        /* per quota: the most any village can give */
    int rc = src->villages(src->ctx, fc->code, &fv, &nv, e);
    if (rc) return rc;
    if (!nv) {
        warnf(f, nwarn, "county %d %s: its frame holds no village", fc->code, cname);
        return 0;
    }
    /* village stage */
    if (p->by_township) {
        rc = src->townships(src->ctx, fc->code, &ft, &nt, e);
        if (rc) return rc;
        for (size_t t = 0; t < nt; t++) {
            int want = ft[t].key ? p->per_key : p->per_other;
            size_t m = 0;
            for (size_t i = 0; i < nv; i++) m += fv[i].township == ft[t].code;
            if ((size_t)want > m)
                warnf(f, nwarn,
                      "county %d %s: %s township %d holds %zu village%s, fewer than the %d the "
                      "plan takes from each (short %zu)",
                      fc->code, cname, ft[t].key ? "key" : "other", ft[t].code, m,
                      m == 1 ? "" : "s", want, (size_t)want - m);
        }
    } else {
        int total = 0;
        size_t towns = 0;
        for (int si = 0; si < p->nvstrata; si++) {
            const struct plan_vstratum *st = &p->vstrata[si];
            size_t m = 0, mt = 0;
            for (size_t i = 0; i < nv; i++) {
                int seen = 0;
                if (st->poor >= 0 && fv[i].poor != st->poor) continue;
                m++;
                for (size_t j = 0; j < i && !seen; j++)
                    seen = (st->poor < 0 || fv[j].poor == st->poor) &&
                           fv[j].township == fv[i].township;
                mt += !seen;
            }
            total += st->n;
            if ((size_t)st->n > m)
                warnf(f, nwarn,
                      "county %d %s: village stratum %s: quota n = %d exceeds the %zu %s "
                      "village%s its frame holds (the draw will be short by %zu)",
                      fc->code, cname, st->name, st->n, m,
                      st->poor > 0 ? "poor" : st->poor == 0 ? "non-poor" : "", m == 1 ? "" : "s",
                      (size_t)st->n - m);
            else if (p->distinct_townships && (size_t)st->n > mt)
                warnf(f, nwarn,
                      "county %d %s: village stratum %s: quota n = %d exceeds the %zu townships "
                      "that hold its villages (one village per township)",
                      fc->code, cname, st->name, st->n, mt);
        }
        for (size_t i = 0; i < nv; i++) {
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++) seen = fv[j].township == fv[i].township;
            towns += !seen;
        }
        if (p->distinct_townships && p->nvstrata > 1 && (size_t)total > towns)
            warnf(f, nwarn,
                  "county %d %s: the village strata take %d villages from distinct townships, "
                  "but its frame has %zu townships",
                  fc->code, cname, total, towns);
    }
    /* household stage: in how many villages can a quota not be filled, even with its
     * fallbacks' units beyond their own quotas (an upper bound on what they can lend) */
    if (p->nquotas) {
        short_v = mem_calloc((size_t)p->nquotas, sizeof *short_v);
        best = mem_calloc((size_t)p->nquotas, sizeof *best);
        if (!short_v || !best) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < nv; i++) {
            const struct frame_household *fh;
            size_t nh;
            int count[PLAN_MAX_QUOTAS] = {0};
            rc = src->households(src->ctx, fv[i].code, &fh, &nh, e);
            if (rc) goto out;
            for (size_t k = 0; k < nh; k++) {
                int q = plan_household_stratum(p, &fh[k], NULL, NULL);
                if (q >= 0) count[q]++;
            }
            for (int q = 0; q < p->nquotas; q++) {
                int can = count[q];
                for (int fi = 0; fi < p->quotas[q].nfallback; fi++) {
                    int fq = p->quotas[q].fallback[fi];
                    if (count[fq] > p->quotas[fq].n) can += count[fq] - p->quotas[fq].n;
                }
                if (can < p->quotas[q].n) short_v[q]++;
                if (can > best[q]) best[q] = can;
            }
        }
        for (int q = 0; q < p->nquotas; q++) {
            if (!short_v[q]) continue;
            warnf(f, nwarn,
                  "county %d %s: household quota %s (n = %d per village%s) cannot be filled in "
                  "%lld of its %zu villages%s",
                  fc->code, cname, p->quotas[q].name, p->quotas[q].n,
                  p->quotas[q].nfallback ? ", with its fallbacks" : "", (long long)short_v[q],
                  nv, best[q] < p->quotas[q].n ? " (in none of them)" : "");
        }
    }
    /* projects */
    if (p->projects_per_county || p->projects_per_village) {
        size_t county_level = 0, vshort = 0;
        rc = src->projects(src->ctx, fc->code, &fp, &npj, e);
        if (rc) goto out;
        for (size_t k = 0; k < npj; k++) county_level += fp[k].village == 0;
        if ((size_t)p->projects_per_county > county_level)
            warnf(f, nwarn,
                  "county %d %s: projects per county n = %d exceeds the %zu county-level "
                  "projects its frame holds",
                  fc->code, cname, p->projects_per_county, county_level);
        if (p->projects_per_village > 0) {
            for (size_t i = 0; i < nv; i++) {
                size_t m = 0;
                for (size_t k = 0; k < npj; k++) m += fp[k].village == fv[i].code;
                vshort += m < (size_t)p->projects_per_village;
            }
            if (vshort)
                warnf(f, nwarn,
                      "county %d %s: projects per village n = %d: %zu of its %zu villages hold "
                      "fewer projects",
                      fc->code, cname, p->projects_per_village, vshort, nv);
        }
    }
    rc = 0;
out:
    mem_free(short_v);
    mem_free(best);
    return rc;
}

int plan_check_frame(struct store *s, const struct plan *p, FILE *f, int *nwarn,
                     int *ncounties, struct error *e)
{
    struct frame_registry *reg = NULL;
    struct frame_source src;
    const struct frame_county *fc;
    struct frame_county *counties = NULL;
    struct stmt *st = NULL;
    size_t n, m = 0;
    int rc;
    *nwarn = 0;
    *ncounties = 0;
    rc = frame_registry_new(s, p, &reg, e);
    if (rc) return rc;
    frame_registry_source(reg, &src);
    rc = src.counties(src.ctx, &fc, &n, e);
    if (rc) goto out;
    counties = mem_calloc(n ? n : 1, sizeof *counties);
    if (!counties) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (plan_county_eligible(p, &fc[i])) counties[m++] = fc[i];
    if (!m) {
        warnf(f, nwarn, "no county of this registry is in the plan's scope");
        goto out;
    }
    rc = store_prepare(s, "SELECT name FROM counties WHERE code = ?", &st, e);
    for (size_t i = 0; i < m && !rc; i++) {
        char cname[96] = "";
        stmt_reset(st);
        stmt_bind_int(st, 1, counties[i].code);
        if (stmt_step(st, NULL) == STORE_ROW)
            snprintf(cname, sizeof cname, "%s", stmt_text(st, 0));
        rc = check_county(p, &src, &counties[i], cname, f, nwarn, e);
        (*ncounties)++;
    }
out:
    stmt_finalize(st);
    mem_free(counties);
    frame_registry_free(reg);
    return rc;
}
