/*
 * form.c — questionnaire definitions (survey.h "forms", docs/forms.md): load a form file,
 * check it completely, and print an outline.
 *
 * A form file is JSON that follows XLSForm's conventions (survey rows with type, name,
 * label::zh / label::en, relevant, required, constraint, calculation; choice lists), plus
 * pinggu's `checks` (several checks per question, each an error or a warning) and `seed_ref`
 * (where in the seed documents the question comes from). Forms are data, not code (DESIGN
 * §1): the same program runs the 2020 district questionnaire and this year's consolidation
 * survey, so everything a form says is checked here, once, and the rest of pinggu may trust a
 * loaded form:
 *
 *   1. Structure: begin/end rows balance (end_group closes a group, end_repeat a repeat);
 *      repeats do not nest; names are valid identifiers and unique in the form; every select
 *      names an existing list; choice names are unique within their list and have no blanks
 *      (select_multiple answers are blank-separated names).
 *   2. Expressions parse (expr.c), with the error's JSON path and character offset:
 *      "survey[12].relevant: unknown question ${water_okk} at offset 3".
 *   3. References resolve to questions that have a value where they are used: not to groups or
 *      notes; a repeat only inside count(); a field inside a repeat only from the same repeat
 *      or through sum()/count(); '.' only in constraints and checks.
 *   4. Types fit: selected() and count-selected() take select questions; a select question
 *      compared with a literal must be compared with one of its choice names; a number
 *      question with a number; a date question with a date.
 *   5. Calculations do not depend on themselves; calc_order lists them so that every
 *      calculation comes after the calculations it reads.
 *
 * Problems that do not make the form wrong — a missing English label, an unknown key (a typo
 * like "lable::zh"), an unused choice list — are warnings: a shipped form must have none
 * (`pinggu form check --strict`), but a working draft still loads.
 *
 * Ownership: struct form owns an arena holding every string, row, list and expression; the
 * JSON document is freed before form_load returns.
 */
#include "survey.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

static const char *const type_names[FORM_TYPE_COUNT] = {
    "integer", "decimal",     "text",      "select_one",   "select_multiple",
    "date",    "geopoint",    "image",     "audio",        "note",
    "calculate", "begin_group", "end_group", "begin_repeat", "end_repeat"};

const char *form_type_name(enum form_type t)
{
    return (unsigned)t < FORM_TYPE_COUNT ? type_names[t] : "?";
}

int form_type_answers(enum form_type t)
{
    return t <= FORM_LAST_QUESTION || t == FORM_CALCULATE;
}

static int is_select(enum form_type t)
{
    return t == FORM_SELECT_ONE || t == FORM_SELECT_MULTIPLE;
}

static int is_numeric(enum form_type t)
{
    return t == FORM_INTEGER || t == FORM_DECIMAL;
}

/* ---------------------------------------------------------------- name index */

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

int form_find(const struct form *f, const char *name)
{
    size_t mask, i;
    if (!f || !f->index_cap || !name) return -1;
    mask = f->index_cap - 1;
    for (i = name_hash(name) & mask;; i = (i + 1) & mask) {
        int r = f->index[i];
        if (!r) return -1;
        if (!strcmp(f->rows[r - 1].name, name)) return r - 1;
    }
}

const struct form_list *form_row_list(const struct form *f, int row)
{
    if (!f || row < 0 || (size_t)row >= f->nrows || f->rows[row].list < 0) return NULL;
    return &f->lists[f->rows[row].list];
}

/* ---------------------------------------------------------------- loader */

struct loader {
    struct form *f;
    const char *name; /* file name in messages */
    struct errlist *errs, *warns;
    size_t nerrors;
    int nomem;
    unsigned char *badrow; /* rows pass 1 could not read: pass 2 skips them */
};

static void err(struct loader *L, const char *fmt, ...) PG_PRINTF(2, 3);
static void err(struct loader *L, const char *fmt, ...)
{
    struct error e;
    va_list ap;
    va_start(ap, fmt);
    error_vat(&e, ERR_INVALID, L->name, 0, 0, fmt, ap);
    va_end(ap);
    errlist_add(L->errs, &e);
    L->nerrors++;
}

static void warn(struct loader *L, const char *fmt, ...) PG_PRINTF(2, 3);
static void warn(struct loader *L, const char *fmt, ...)
{
    struct error e;
    va_list ap;
    if (!L->warns) return;
    va_start(ap, fmt);
    error_vat(&e, ERR_INVALID, L->name, 0, 0, fmt, ap);
    va_end(ap);
    errlist_add(L->warns, &e);
}

/* Arena copy of a JSON string (NULL for NULL). */
static const char *dup(struct loader *L, const json_t *v)
{
    const char *s;
    if (!v || !json_is_string(v)) return NULL;
    s = arena_strndup(&L->f->arena, json_string_value(v), json_string_length(v));
    if (!s) L->nomem = 1;
    return s;
}

/* The string member key of obj, or NULL; an error at path.key if present but not a string. */
static const char *str_member(struct loader *L, const json_t *obj, const char *key,
                              const char *path)
{
    const json_t *v = json_object_get(obj, key);
    if (!v) return NULL;
    if (!json_is_string(v)) {
        err(L, "%s.%s: must be a string", path, key);
        return NULL;
    }
    return dup(L, v);
}

/* XLSForm names: a letter or '_' first, then letters, digits, '_', '.', '-'. */
static int valid_name(const char *s)
{
    if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return 0;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '.' || *s == '-'))
            return 0;
    return 1;
}

static int in_list(const char *key, const char *const *keys)
{
    for (; *keys; keys++)
        if (!strcmp(key, *keys)) return 1;
    return 0;
}

static void unknown_keys(struct loader *L, const json_t *obj, const char *const *keys,
                         const char *path)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        (void)v;
        if (!in_list(key, keys)) warn(L, "%s: unknown key \"%s\" (ignored)", path, key);
    }
}

static int list_find(const struct form *f, const char *name, size_t n)
{
    for (size_t i = 0; i < f->nlists; i++)
        if (strlen(f->lists[i].name) == n && !memcmp(f->lists[i].name, name, n)) return (int)i;
    return -1;
}

static int choice_find(const struct form_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->choices[i].name, name)) return (int)i;
    return -1;
}

static void load_choices(struct loader *L, json_t *choices)
{
    static const char *const keys[] = {"name", "label::zh", "label::en", NULL};
    struct form *f = L->f;
    const char *lname;
    json_t *arr;
    size_t k = 0;
    if (!choices) return;
    if (!json_is_object(choices)) {
        err(L, "choices: must be an object of lists");
        return;
    }
    f->lists = arena_alloc(&f->arena, (json_object_size(choices) + 1) * sizeof *f->lists);
    if (!f->lists) {
        L->nomem = 1;
        return;
    }
    json_object_foreach(choices, lname, arr)
    {
        struct form_list *l = &f->lists[k];
        char path[200];
        snprintf(path, sizeof path, "choices.%s", lname);
        if (!valid_name(lname)) err(L, "%s: invalid list name \"%s\"", path, lname);
        if (!json_is_array(arr) || json_array_size(arr) == 0) {
            err(L, "%s: must be a non-empty array of choices", path);
            continue;
        }
        memset(l, 0, sizeof *l);
        l->name = arena_strdup(&f->arena, lname);
        l->choices = arena_alloc(&f->arena, json_array_size(arr) * sizeof *l->choices);
        if (!l->name || !l->choices) {
            L->nomem = 1;
            return;
        }
        for (size_t i = 0; i < json_array_size(arr); i++) {
            const json_t *c = json_array_get(arr, i);
            struct form_choice *ch = &l->choices[l->n];
            char cpath[240];
            snprintf(cpath, sizeof cpath, "%s[%zu]", path, i);
            if (!json_is_object(c)) {
                err(L, "%s: must be an object {name, label::zh, label::en}", cpath);
                continue;
            }
            unknown_keys(L, c, keys, cpath);
            ch->name = str_member(L, c, "name", cpath);
            ch->zh = str_member(L, c, "label::zh", cpath);
            ch->en = str_member(L, c, "label::en", cpath);
            if (!ch->name || !*ch->name) {
                if (!json_object_get(c, "name"))
                    err(L, "%s: missing \"name\"", cpath);
                else if (ch->name)
                    err(L, "%s.name: empty choice name", cpath);
                continue;
            }
            if (strpbrk(ch->name, " \t\r\n")) {
                err(L,
                    "%s.name: choice name \"%s\" contains a blank (select_multiple answers "
                    "are blank-separated)",
                    cpath, ch->name);
                continue;
            }
            if (choice_find(l, ch->name) >= 0) {
                err(L, "%s.name: duplicate choice \"%s\"", cpath, ch->name);
                continue;
            }
            if (!ch->zh) warn(L, "%s: missing label::zh", cpath);
            if (!ch->en) warn(L, "%s: missing label::en", cpath);
            l->n++;
        }
        k++;
    }
    f->nlists = k;
}

/* Maps "select_one LIST" etc. to a type; *list gets the list index (or -1). */
static int parse_type(struct loader *L, const char *t, const char *path, enum form_type *type,
                      int *list)
{
    size_t n = 0;
    *list = -1;
    while (t[n] && t[n] != ' ' && t[n] != '\t') n++;
    for (int k = 0; k < FORM_TYPE_COUNT; k++) {
        if (strlen(type_names[k]) != n || memcmp(type_names[k], t, n)) continue;
        *type = (enum form_type)k;
        if (is_select(*type)) {
            const char *ln = t + n;
            size_t m;
            while (*ln == ' ' || *ln == '\t') ln++;
            m = strlen(ln);
            while (m && (ln[m - 1] == ' ' || ln[m - 1] == '\t')) m--;
            if (!m) {
                err(L, "%s.type: %s needs a choice list (\"%s LIST\")", path, type_names[k],
                    type_names[k]);
                return -1;
            }
            *list = list_find(L->f, ln, m);
            if (*list < 0) {
                err(L, "%s.type: unknown choice list \"%.*s\"", path, (int)m, ln);
                return -1;
            }
            L->f->lists[*list].used = 1;
        } else if (t[n]) {
            err(L, "%s.type: unexpected \"%s\" after %s", path, t + n, type_names[k]);
            return -1;
        }
        return 0;
    }
    err(L, "%s.type: unknown type \"%.*s\"", path, (int)(n > 60 ? 60 : n), t);
    return -1;
}

/* ---------------------------------------------------------------- expressions */

/* Parses the expression src of row r (field `what`, e.g. "relevant" or "checks[0].expr"),
 * binds and type-checks its references (rules 2-4 of the essay). NULL on error (reported). */
static struct expr *load_expr(struct loader *L, int r, const char *what, const char *src,
                              int allow_self)
{
    struct form *f = L->f;
    const struct form_row *row = &f->rows[r];
    struct expr *x;
    struct error e;
    int bad = 0;
    if (expr_parse(src, &f->arena, &x, &e)) {
        if (e.code == ERR_NOMEM)
            L->nomem = 1;
        else
            err(L, "survey[%d].%s: %s", r, what, e.msg);
        return NULL;
    }
    for (size_t i = 0; i < x->nrefs; i++) {
        struct expr_ref *ref = &x->refs[i];
        const struct form_row *t;
        int tr;
        if (ref->self) {
            if (!allow_self) {
                err(L,
                    "survey[%d].%s: '.' (this question's answer) is only meaningful in "
                    "constraints and checks at offset %ld",
                    r, what, ref->offset);
                bad = 1;
            }
            continue;
        }
        tr = form_find(f, ref->name);
        if (tr < 0) {
            err(L, "survey[%d].%s: unknown question ${%s} at offset %ld", r, what, ref->name,
                ref->offset);
            bad = 1;
            continue;
        }
        ref->row = tr;
        t = &f->rows[tr];
        if (t->type == FORM_BEGIN_GROUP || t->type == FORM_NOTE) {
            err(L, "survey[%d].%s: ${%s} is a %s and has no value at offset %ld", r, what,
                ref->name, t->type == FORM_NOTE ? "note" : "group", ref->offset);
            bad = 1;
            continue;
        }
        if (t->type == FORM_BEGIN_REPEAT) {
            ref->is_repeat = 1;
            if (ref->role != EXPR_ROLE_COUNT) {
                err(L,
                    "survey[%d].%s: ${%s} is a repeat; count(${%s}) gives its number of "
                    "instances at offset %ld",
                    r, what, ref->name, ref->name, ref->offset);
                bad = 1;
            }
            continue;
        }
        switch (ref->role) {
        case EXPR_ROLE_COUNT:
        case EXPR_ROLE_SUM:
            if (t->repeat < 0) {
                err(L,
                    "survey[%d].%s: %s() takes a repeat or a question inside one; ${%s} is "
                    "not at offset %ld",
                    r, what, ref->role == EXPR_ROLE_SUM ? "sum" : "count", ref->name, ref->offset);
                bad = 1;
            } else if (ref->role == EXPR_ROLE_SUM && !is_numeric(t->type) &&
                       t->type != FORM_CALCULATE) {
                err(L, "survey[%d].%s: sum() needs a number question; ${%s} is %s at offset %ld", r,
                    what, ref->name, form_type_name(t->type), ref->offset);
                bad = 1;
            }
            continue;
        case EXPR_ROLE_SELECTED:
        case EXPR_ROLE_COUNT_SELECTED:
            if (ref->role == EXPR_ROLE_SELECTED ? !is_select(t->type)
                                                : t->type != FORM_SELECT_MULTIPLE) {
                err(L, "survey[%d].%s: %s() needs a %s question; ${%s} is %s at offset %ld", r,
                    what, ref->role == EXPR_ROLE_SELECTED ? "selected" : "count-selected",
                    ref->role == EXPR_ROLE_SELECTED ? "select" : "select_multiple", ref->name,
                    form_type_name(t->type), ref->offset);
                bad = 1;
            }
            break;
        default:
            break;
        }
        if (t->repeat >= 0 && t->repeat != row->repeat) {
            err(L,
                "survey[%d].%s: ${%s} is inside repeat %s; use sum(${%s}) or count(${%s}) "
                "at offset %ld",
                r, what, ref->name, f->rows[t->repeat].name, ref->name, ref->name, ref->offset);
            bad = 1;
        }
    }
    for (size_t i = 0; i < x->ncmps && !bad; i++) {
        const struct expr_cmp *c = &x->cmps[i];
        const struct expr_ref *ref = &x->refs[c->ref];
        int tr = ref->self ? r : ref->row;
        const struct form_row *t;
        double d;
        if (tr < 0) continue;
        t = &f->rows[tr];
        if (is_select(t->type)) {
            const struct form_list *l = &f->lists[t->list];
            if (*c->literal && choice_find(l, c->literal) < 0)
                err(L, "survey[%d].%s: '%s' is not a choice of list %s (${%s}) at offset %ld", r,
                    what, c->literal, l->name, t->name, c->offset);
        } else if (is_numeric(t->type) && c->is_string && *c->literal &&
                   parse_double(c->literal, &d)) {
            err(L, "survey[%d].%s: ${%s} is a number, compared with '%s' at offset %ld", r, what,
                t->name, c->literal, c->offset);
        } else if (t->type == FORM_DATE && *c->literal && expr_to_number(c->literal, &d)) {
            err(L,
                "survey[%d].%s: ${%s} is a date, compared with '%s' (dates are YYYY-MM-DD) "
                "at offset %ld",
                r, what, t->name, c->literal, c->offset);
        }
    }
    return bad ? NULL : x;
}

/* Reads an expression member of row r (a string). */
static struct expr *expr_member(struct loader *L, const json_t *obj, int r, const char *key,
                                int allow_self)
{
    const json_t *v = json_object_get(obj, key);
    if (!v) return NULL;
    if (!json_is_string(v)) {
        err(L, "survey[%d].%s: must be an expression (a string)", r, key);
        return NULL;
    }
    if (!*json_string_value(v)) return NULL; /* "" as in an empty spreadsheet cell */
    return load_expr(L, r, key, json_string_value(v), allow_self);
}

/* ---------------------------------------------------------------- survey rows */

static const char *const row_keys[] = {"type",
                                       "name",
                                       "label::zh",
                                       "label::en",
                                       "hint::zh",
                                       "hint::en",
                                       "required",
                                       "relevant",
                                       "constraint",
                                       "constraint_message::zh",
                                       "constraint_message::en",
                                       "checks",
                                       "calculation",
                                       "seed_ref",
                                       "appearance",
                                       "personal",
                                       NULL};

/* Pass 1: types, names, labels, nesting. */
static void load_rows(struct loader *L, const json_t *survey)
{
    struct form *f = L->f;
    int stack[32], depth = 0;
    f->nrows = json_array_size(survey);
    f->rows = arena_alloc(&f->arena, (f->nrows ? f->nrows : 1) * sizeof *f->rows);
    L->badrow = mem_calloc(f->nrows ? f->nrows : 1, 1);
    if (!f->rows || !L->badrow) {
        L->nomem = 1;
        return;
    }
    for (size_t i = 0; i < f->nrows; i++) {
        const json_t *o = json_array_get(survey, i);
        struct form_row *row = &f->rows[i];
        char path[64];
        const char *type;
        memset(row, 0, sizeof *row);
        row->type = FORM_NOTE;
        row->list = -1;
        row->parent = depth ? stack[depth - 1] : -1;
        row->repeat = -1;
        row->end = -1;
        for (int k = depth - 1; k >= 0; k--)
            if (f->rows[stack[k]].type == FORM_BEGIN_REPEAT) {
                row->repeat = stack[k];
                break;
            }
        snprintf(path, sizeof path, "survey[%zu]", i);
        if (!json_is_object(o)) {
            err(L, "%s: must be an object", path);
            L->badrow[i] = 1;
            continue;
        }
        unknown_keys(L, o, row_keys, path);
        type = str_member(L, o, "type", path);
        if (!type) {
            if (!json_object_get(o, "type")) err(L, "%s: missing \"type\"", path);
            L->badrow[i] = 1;
            continue;
        }
        if (parse_type(L, type, path, &row->type, &row->list)) {
            L->badrow[i] = 1;
            continue;
        }
        row->name = str_member(L, o, "name", path);
        row->zh = str_member(L, o, "label::zh", path);
        row->en = str_member(L, o, "label::en", path);
        row->hint_zh = str_member(L, o, "hint::zh", path);
        row->hint_en = str_member(L, o, "hint::en", path);
        row->seed_ref = str_member(L, o, "seed_ref", path);
        {
            /* a name, signature or other answer that identifies a person: masked for readers
             * without unmasked access (DESIGN §3), like the registry's names and IDs */
            const json_t *pers = json_object_get(o, "personal");
            if (pers && !json_is_boolean(pers)) err(L, "%s.personal: must be true or false", path);
            row->personal = json_is_true(pers);
        }
        if (row->type == FORM_END_GROUP || row->type == FORM_END_REPEAT) {
            enum form_type want =
                row->type == FORM_END_GROUP ? FORM_BEGIN_GROUP : FORM_BEGIN_REPEAT;
            row->name = NULL;
            if (!depth) {
                err(L, "%s: %s without a matching begin", path, type_names[row->type]);
                continue;
            }
            if (f->rows[stack[depth - 1]].type != want) {
                err(L, "%s: %s closes %s \"%s\" at survey[%d]", path, type_names[row->type],
                    type_names[f->rows[stack[depth - 1]].type],
                    f->rows[stack[depth - 1]].name ? f->rows[stack[depth - 1]].name : "",
                    stack[depth - 1]);
            }
            f->rows[stack[depth - 1]].end = (int)i;
            if (stack[depth - 1] + 1 == (int)i)
                warn(L, "survey[%d]: empty %s", stack[depth - 1],
                     type_names[f->rows[stack[depth - 1]].type]);
            depth--;
            row->parent = depth ? stack[depth - 1] : -1;
            continue;
        }
        if (!row->name) {
            if (!json_object_get(o, "name")) err(L, "%s: missing \"name\"", path);
        } else if (!valid_name(row->name)) {
            err(L,
                "%s.name: invalid name \"%s\" (a letter or _ first, then letters, digits, "
                "_ . -)",
                path, row->name);
            row->name = NULL;
        } else {
            for (size_t j = 0; j < i; j++)
                if (f->rows[j].name && !strcmp(f->rows[j].name, row->name)) {
                    err(L, "%s.name: duplicate name \"%s\" (first at survey[%zu])", path, row->name,
                        j);
                    row->name = NULL;
                    break;
                }
        }
        if (!row->zh) warn(L, "%s: missing label::zh", path);
        if (!row->en) warn(L, "%s: missing label::en", path);
        if (row->type == FORM_BEGIN_GROUP || row->type == FORM_BEGIN_REPEAT) {
            if (row->type == FORM_BEGIN_REPEAT && row->repeat >= 0) {
                err(L, "%s: repeat inside repeat %s (nested repeats are not supported)", path,
                    f->rows[row->repeat].name ? f->rows[row->repeat].name : "");
            }
            if (depth == (int)(sizeof stack / sizeof stack[0])) {
                err(L, "%s: groups nested deeper than %zu", path, sizeof stack / sizeof stack[0]);
                continue;
            }
            stack[depth++] = (int)i;
        }
    }
    for (int k = 0; k < depth; k++)
        err(L, "survey[%d]: %s \"%s\" is never closed", stack[k],
            type_names[f->rows[stack[k]].type],
            f->rows[stack[k]].name ? f->rows[stack[k]].name : "");
}

/* A name index over the rows (only rows that kept a valid, unique name). */
static int build_index(struct loader *L)
{
    struct form *f = L->f;
    size_t cap = 16;
    while (cap < 2 * f->nrows + 1) cap *= 2;
    f->index = arena_alloc(&f->arena, cap * sizeof *f->index);
    if (!f->index) return L->nomem = 1, ERR_NOMEM;
    memset(f->index, 0, cap * sizeof *f->index);
    f->index_cap = cap;
    for (size_t i = 0; i < f->nrows; i++) {
        size_t j;
        if (!f->rows[i].name) continue;
        for (j = name_hash(f->rows[i].name) & (cap - 1); f->index[j]; j = (j + 1) & (cap - 1)) {
        }
        f->index[j] = (int)i + 1;
    }
    return 0;
}

/* A check object {"expr", "severity", "message::zh", "message::en"}. */
static int load_check(struct loader *L, int r, size_t k, const json_t *c, struct form_check *out)
{
    static const char *const keys[] = {"expr", "severity", "message::zh", "message::en", NULL};
    char path[64], what[48];
    const char *sev, *src;
    snprintf(path, sizeof path, "survey[%d].checks[%zu]", r, k);
    snprintf(what, sizeof what, "checks[%zu].expr", k);
    memset(out, 0, sizeof *out);
    if (!json_is_object(c)) {
        err(L, "%s: must be an object {expr, severity, message::zh, message::en}", path);
        return -1;
    }
    unknown_keys(L, c, keys, path);
    src = json_string_value(json_object_get(c, "expr"));
    if (!src || !*src) {
        err(L, "%s: missing \"expr\"", path);
        return -1;
    }
    sev = json_string_value(json_object_get(c, "severity"));
    if (!sev || !strcmp(sev, "error"))
        out->severity = FORM_ERROR;
    else if (!strcmp(sev, "warning"))
        out->severity = FORM_WARNING;
    else {
        err(L, "%s.severity: must be \"error\" or \"warning\", not \"%s\"", path, sev);
        return -1;
    }
    if (!json_object_get(c, "severity")) warn(L, "%s: no severity (taken as \"error\")", path);
    out->msg_zh = str_member(L, c, "message::zh", path);
    out->msg_en = str_member(L, c, "message::en", path);
    if (!out->msg_zh) warn(L, "%s: missing message::zh", path);
    if (!out->msg_en) warn(L, "%s: missing message::en", path);
    out->expr = load_expr(L, r, what, src, 1);
    return out->expr ? 0 : -1;
}

/* Pass 2: the expressions of every row (rules 2-4). */
static void load_logic(struct loader *L, const json_t *survey)
{
    struct form *f = L->f;
    for (size_t i = 0; i < f->nrows; i++) {
        const json_t *o = json_array_get(survey, i);
        struct form_row *row = &f->rows[i];
        const json_t *req, *checks, *cons;
        int r = (int)i;
        size_t n = 0;
        int question = row->type <= FORM_LAST_QUESTION;
        if (!json_is_object(o) || L->badrow[i]) continue;
        if (row->type == FORM_END_GROUP || row->type == FORM_END_REPEAT) {
            static const char *const none[] = {"relevant", "required",    "constraint",
                                               "checks",   "calculation", NULL};
            for (int k = 0; none[k]; k++)
                if (json_object_get(o, none[k]))
                    err(L, "survey[%zu].%s: not allowed on %s", i, none[k], type_names[row->type]);
            continue;
        }
        row->relevant = expr_member(L, o, r, "relevant", 0);
        req = json_object_get(o, "required");
        if (req) {
            if (!question) {
                err(L, "survey[%zu].required: not allowed on %s", i, type_names[row->type]);
            } else if (json_is_boolean(req)) {
                row->required = json_is_true(req);
            } else if (json_is_string(req)) {
                const char *s = json_string_value(req);
                if (str_in_list(s, strlen(s), "yes|true|true()"))
                    row->required = 1;
                else if (!str_in_list(s, strlen(s), "|no|false|false()"))
                    row->required_if = load_expr(L, r, "required", s, 0);
            } else {
                err(L, "survey[%zu].required: must be true, false or an expression", i);
            }
        }
        if (row->type == FORM_CALCULATE) {
            const json_t *c = json_object_get(o, "calculation");
            if (!c || !json_is_string(c) || !*json_string_value(c))
                err(L, "survey[%zu]: calculate needs a \"calculation\" expression", i);
            else
                row->calculation = load_expr(L, r, "calculation", json_string_value(c), 0);
        } else if (json_object_get(o, "calculation")) {
            err(L, "survey[%zu].calculation: only calculate rows have a calculation", i);
        }
        cons = json_object_get(o, "constraint");
        checks = json_object_get(o, "checks");
        if ((cons || checks) && !form_type_answers(row->type)) {
            err(L, "survey[%zu]: %s takes no constraint or checks", i, type_names[row->type]);
            continue;
        }
        if (checks && !json_is_array(checks)) {
            err(L, "survey[%zu].checks: must be an array", i);
            checks = NULL;
        }
        if (!cons && (json_object_get(o, "constraint_message::zh") ||
                      json_object_get(o, "constraint_message::en")))
            warn(L, "survey[%zu]: constraint_message without a constraint", i);
        n = (cons ? 1 : 0) + (checks ? json_array_size(checks) : 0);
        if (!n) continue;
        row->checks = arena_alloc(&f->arena, n * sizeof *row->checks);
        if (!row->checks) {
            L->nomem = 1;
            return;
        }
        if (cons) {
            struct form_check *c = &row->checks[row->nchecks];
            memset(c, 0, sizeof *c);
            c->severity = FORM_ERROR;
            char path[40];
            snprintf(path, sizeof path, "survey[%zu]", i);
            c->msg_zh = str_member(L, o, "constraint_message::zh", path);
            c->msg_en = str_member(L, o, "constraint_message::en", path);
            if (!json_is_string(cons))
                err(L, "survey[%zu].constraint: must be a string", i);
            else if ((c->expr = load_expr(L, r, "constraint", json_string_value(cons), 1)))
                row->nchecks++;
        }
        for (size_t k = 0; checks && k < json_array_size(checks); k++)
            if (load_check(L, r, k, json_array_get(checks, k), &row->checks[row->nchecks]) == 0)
                row->nchecks++;
    }
}

/* Rule 5: calc_order by depth-first search over calculate -> calculate references. */
static int visit_calc(struct loader *L, int r, unsigned char *mark, size_t *n)
{
    struct form *f = L->f;
    const struct expr *x = f->rows[r].calculation;
    if (mark[r] == 2) return 0;
    if (mark[r] == 1) {
        err(L, "survey[%d].calculation: ${%s} depends on itself (calculation cycle)", r,
            f->rows[r].name);
        return -1;
    }
    mark[r] = 1;
    for (size_t i = 0; x && i < x->nrefs; i++) {
        int t = x->refs[i].row;
        if (t >= 0 && f->rows[t].type == FORM_CALCULATE && visit_calc(L, t, mark, n)) return -1;
    }
    mark[r] = 2;
    f->calc_order[(*n)++] = r;
    return 0;
}

static void order_calcs(struct loader *L)
{
    struct form *f = L->f;
    unsigned char *mark;
    size_t n = 0;
    for (size_t i = 0; i < f->nrows; i++) f->ncalc += f->rows[i].type == FORM_CALCULATE;
    if (!f->ncalc) return;
    f->calc_order = arena_alloc(&f->arena, f->ncalc * sizeof *f->calc_order);
    mark = mem_calloc(f->nrows, 1);
    if (!f->calc_order || !mark) {
        L->nomem = 1;
        mem_free(mark);
        return;
    }
    for (size_t i = 0; i < f->nrows; i++)
        if (f->rows[i].type == FORM_CALCULATE && visit_calc(L, (int)i, mark, &n)) break;
    f->ncalc = n;
    mem_free(mark);
}

static void load_header(struct loader *L, const json_t *root)
{
    static const char *const keys[] = {"form_id", "version",  "title",  "unit",    "source",
                                       "notes",   "settings", "survey", "choices", NULL};
    struct form *f = L->f;
    const json_t *title = json_object_get(root, "title"), *settings;
    unknown_keys(L, root, keys, "(top level)");
    f->id = str_member(L, root, "form_id", "(top level)");
    if (!f->id) {
        if (!json_object_get(root, "form_id")) err(L, "form_id: missing");
    } else if (!valid_name(f->id)) {
        err(L, "form_id: invalid \"%s\" (letters, digits, _ . -)", f->id);
    }
    f->version = str_member(L, root, "version", "(top level)");
    if (!f->version && !json_object_get(root, "version")) err(L, "version: missing");
    if (!title) {
        err(L, "title: missing");
    } else if (!json_is_object(title)) {
        err(L, "title: must be an object {\"zh\", \"en\"}");
    } else {
        f->title_zh = str_member(L, title, "zh", "title");
        f->title_en = str_member(L, title, "en", "title");
        if (!f->title_zh) err(L, "title.zh: missing");
        if (!f->title_en) warn(L, "title.en: missing");
    }
    f->unit = str_member(L, root, "unit", "(top level)");
    if (!f->unit) {
        if (!json_object_get(root, "unit")) err(L, "unit: missing (one of %s)", FORM_UNITS);
    } else if (!str_in_list(f->unit, strlen(f->unit), FORM_UNITS) || !*f->unit) {
        err(L, "unit: \"%s\" is not one of %s", f->unit, FORM_UNITS);
    }
    f->source = str_member(L, root, "source", "(top level)");
    if (!f->source) warn(L, "source: missing (cite the seed the form comes from)");
    f->notes = str_member(L, root, "notes", "(top level)");
    if (!f->notes) warn(L, "notes: missing (what the seed leaves open and what was chosen)");
    settings = json_object_get(root, "settings");
    if (settings && !json_is_object(settings)) err(L, "settings: must be an object");
}

int form_load_mem(const char *name, const char *text, size_t len, struct form **out,
                  struct errlist *errs, struct errlist *warns, struct error *e)
{
    struct loader L;
    struct errlist local;
    json_error_t jerr;
    json_t *root = NULL, *survey;
    struct form *f = NULL;
    int rc = 0;
    *out = NULL;
    memset(&L, 0, sizeof L);
    if (!errs) {
        errlist_init(&local, 1);
        errs = &local;
    }
    L.errs = errs;
    L.warns = warns;
    L.name = name;
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        errlist_addf(errs, ERR_PARSE, name, jerr.line, jerr.column, "not valid JSON: %s",
                     jerr.text);
        rc = error_at(e, ERR_PARSE, name, jerr.line, jerr.column, "not valid JSON: %s", jerr.text);
        goto out;
    }
    f = mem_calloc(1, sizeof *f);
    if (!f) {
        rc = error_set(e, ERR_NOMEM, "out of memory loading %s", name);
        goto out;
    }
    arena_init(&f->arena, 32 * 1024);
    L.f = f;
    f->path = arena_strdup(&f->arena, name);
    if (!f->path) L.nomem = 1;
    if (!json_is_object(root)) {
        err(&L, "(top level): must be an object");
        goto done;
    }
    load_header(&L, root);
    load_choices(&L, json_object_get(root, "choices"));
    if (L.nomem) goto done;
    survey = json_object_get(root, "survey");
    if (!survey || !json_is_array(survey) || !json_array_size(survey)) {
        err(&L, "survey: %s", survey ? "must be a non-empty array of rows" : "missing");
        goto done;
    }
    load_rows(&L, survey);
    if (L.nomem || build_index(&L)) goto done;
    load_logic(&L, survey);
    if (L.nomem) goto done;
    if (!L.nerrors) order_calcs(&L);
    for (size_t i = 0; i < f->nlists; i++)
        if (!f->lists[i].used)
            warn(&L, "choices.%s: list not used by any question", f->lists[i].name);
done:
    if (L.nomem) {
        rc = error_set(e, ERR_NOMEM, "out of memory loading %s", name);
    } else if (L.nerrors) {
        rc = ERR_INVALID;
        if (e) {
            if (errs->n)
                *e = errs->items[0];
            else
                error_at(e, ERR_INVALID, name, 0, 0, "the form has errors");
            e->code = ERR_INVALID;
        }
    }
out:
    if (root) json_decref(root);
    mem_free(L.badrow);
    if (rc)
        form_free(f);
    else
        *out = f;
    if (errs == &local) errlist_release(&local);
    return rc;
}

int form_load(const char *path, struct form **out, struct errlist *errs, struct errlist *warns,
              struct error *e)
{
    struct strbuf sb = STRBUF_INIT;
    char chunk[8192];
    size_t n;
    int rc = 0;
    struct stat st;
    FILE *fp = NULL;
    *out = NULL;
    /* a form that is not there, or a folder, is bad input (exit 2), not a failure */
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        rc = error_at(e, ERR_INVALID, path, 0, 0, "cannot open: a folder, not a form file");
        if (errs) errlist_add(errs, e);
        goto out;
    }
    fp = fopen(path, "rb");
    if (!fp) {
        rc = error_at(e, ERR_INVALID, path, 0, 0, "cannot open: %s", strerror(errno));
        if (errs) errlist_add(errs, e);
        goto out;
    }
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) sb_add(&sb, chunk, n);
    if (ferror(fp)) {
        rc = error_at(e, ERR_IO, path, 0, 0, "read error");
        if (errs) errlist_add(errs, e);
        goto out;
    }
    if ((rc = sb_ok(&sb))) {
        error_set(e, rc, "out of memory reading %s", path);
        goto out;
    }
    rc = form_load_mem(path, sb.buf, sb.len, out, errs, warns, e);
out:
    if (fp) fclose(fp);
    sb_release(&sb);
    return rc;
}

void form_free(struct form *f)
{
    if (!f) return;
    arena_release(&f->arena);
    mem_free(f);
}

/* ---------------------------------------------------------------- outline */

static void add_label(struct strbuf *sb, int langs, const char *indent, const char *zh,
                      const char *en)
{
    if ((langs & FORM_LANG_ZH) && zh) sb_addf(sb, "%s%s\n", indent, zh);
    if ((langs & FORM_LANG_EN) && en) sb_addf(sb, "%s%s\n", indent, en);
}

static const char circled[][4] = {"①", "②", "③", "④", "⑤", "⑥", "⑦", "⑧", "⑨", "⑩",
                                  "⑪", "⑫", "⑬", "⑭", "⑮", "⑯", "⑰", "⑱", "⑲", "⑳"};

int form_outline(const struct form *f, int langs, struct strbuf *sb)
{
    char ind[80];
    int depth = 0;
    if (!(langs & FORM_LANG_BOTH)) langs = FORM_LANG_BOTH;
    if ((langs & FORM_LANG_ZH) && f->title_zh) sb_addf(sb, "# %s\n", f->title_zh);
    if ((langs & FORM_LANG_EN) && f->title_en) sb_addf(sb, "# %s\n", f->title_en);
    sb_addf(sb, "form_id %s  version %s  unit %s  (%zu rows)\n", f->id ? f->id : "?",
            f->version ? f->version : "?", f->unit ? f->unit : "?", f->nrows);
    if (f->source) sb_addf(sb, "source: %s\n", f->source);
    sb_addch(sb, '\n');
    for (size_t i = 0; i < f->nrows; i++) {
        const struct form_row *r = &f->rows[i];
        int d = depth > 10 ? 10 : depth;
        memset(ind, ' ', (size_t)d * 2);
        ind[d * 2] = '\0';
        if (r->type == FORM_END_GROUP || r->type == FORM_END_REPEAT) {
            if (depth) depth--;
            continue;
        }
        if (r->type == FORM_BEGIN_GROUP || r->type == FORM_BEGIN_REPEAT) {
            if (sb->len >= 2 && memcmp(sb->buf + sb->len - 2, "\n\n", 2)) sb_addch(sb, '\n');
            sb_addf(sb, "%s[%s %s]", ind, r->type == FORM_BEGIN_GROUP ? "group" : "repeat",
                    r->name ? r->name : "");
            if (r->seed_ref) sb_addf(sb, "  (%s)", r->seed_ref);
            sb_addch(sb, '\n');
            add_label(sb, langs, ind, r->zh, r->en);
            if ((langs & FORM_LANG_ZH) && r->hint_zh) sb_addf(sb, "%s提示: %s\n", ind, r->hint_zh);
            if ((langs & FORM_LANG_EN) && r->hint_en) sb_addf(sb, "%shint: %s\n", ind, r->hint_en);
            if (r->relevant) sb_addf(sb, "%srelevant: %s\n", ind, r->relevant->src);
            sb_addch(sb, '\n');
            depth++;
            continue;
        }
        sb_addf(sb, "%s%s  %s", ind, r->name ? r->name : "?", form_type_name(r->type));
        if (r->list >= 0) sb_addf(sb, " %s", f->lists[r->list].name);
        if (r->required) sb_adds(sb, "  required");
        if (r->seed_ref) sb_addf(sb, "  (%s)", r->seed_ref);
        sb_addch(sb, '\n');
        {
            char in2[90];
            snprintf(in2, sizeof in2, "%s    ", ind);
            add_label(sb, langs, in2, r->zh, r->en);
            if ((langs & FORM_LANG_ZH) && r->hint_zh) sb_addf(sb, "%s提示: %s\n", in2, r->hint_zh);
            if ((langs & FORM_LANG_EN) && r->hint_en) sb_addf(sb, "%shint: %s\n", in2, r->hint_en);
            if (r->list >= 0) {
                const struct form_list *l = &f->lists[r->list];
                sb_addf(sb, "%s", in2);
                for (size_t k = 0; k < l->n; k++) {
                    const struct form_choice *c = &l->choices[k];
                    if (k) sb_adds(sb, "  ");
                    if (k < sizeof circled / sizeof circled[0])
                        sb_adds(sb, circled[k]);
                    else
                        sb_addf(sb, "(%zu)", k + 1);
                    sb_addf(sb, "%s", c->name);
                    if ((langs & FORM_LANG_ZH) && c->zh) sb_addf(sb, " %s", c->zh);
                    if ((langs & FORM_LANG_EN) && c->en)
                        sb_addf(sb, "%s%s", (langs & FORM_LANG_ZH) && c->zh ? " / " : " ", c->en);
                }
                sb_addch(sb, '\n');
            }
            if (r->required_if) sb_addf(sb, "%srequired if: %s\n", in2, r->required_if->src);
            if (r->relevant) sb_addf(sb, "%srelevant: %s\n", in2, r->relevant->src);
            if (r->calculation) sb_addf(sb, "%scalculation: %s\n", in2, r->calculation->src);
            for (size_t k = 0; k < r->nchecks; k++) {
                const struct form_check *c = &r->checks[k];
                sb_addf(sb, "%scheck (%s): %s", in2,
                        c->severity == FORM_ERROR ? "error" : "warning", c->expr->src);
                if ((langs & FORM_LANG_ZH) && c->msg_zh) sb_addf(sb, "  — %s", c->msg_zh);
                if ((langs & FORM_LANG_EN) && c->msg_en) sb_addf(sb, "  — %s", c->msg_en);
                sb_addch(sb, '\n');
            }
        }
    }
    return sb_ok(sb);
}
