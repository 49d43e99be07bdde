/*
 * rules.c — the comparison rules file (compare.h, docs/compare.md): JSON into struct
 * compare_rules, every problem reported with its JSON path, e.g.
 *   rules/compare.json: rules[3].sources[0].when[1].column: "valu" is not a column of file
 *   "vehicles" (columns: id, name, type, value, status)
 *
 * The format is deliberately small — rules are data an office can read and change, not a
 * language. A file entry maps the department file's headers (any of several, Chinese
 * first) onto short column names; a rule names its subject (whom it concerns), whether it
 * flags subjects *with* a satisfying record ("any") or *without* one ("none"), and per
 * department file a list of conditions that must all hold:
 *
 *   {"column": C, "in": [..]}       {"column": C, "not_in": [..]}     text, trimmed, ASCII
 *                                                                      case ignored
 *   {"column": C, ">": N}  (also ">=", "<", "<=", "=")                 a number
 *   {"column": C, "from": D, "to": D}  D: "2019-12-31", "ref", "ref-2y", "ref-6m", "ref-30d"
 *   {"column": C, "empty": true|false}
 *
 * A file may list "show" columns: identifying fields (a plate, a company, a school) kept with
 * every record's evidence so that whoever checks a flag can find the record.
 *
 * Checks beyond types: ids and file names unique; every condition's column mapped by its
 * file; a column compared as a number is not elsewhere compared as a date; "none" rules
 * concern registry members only (absent persons cannot be enumerated) and at most
 * CMP_MAX_NONE of them; household-scope "none" rules have no member conditions (age,
 * health). Keys beginning with "_" are comments and ignored; any other unknown key is an
 * error, since a misspelt key would otherwise silently change a rule.
 *
 * Invariant: rules that load without error can be run; everything is allocated in the
 * rules' arena except path and text.
 */
#include "compare_int.h"

#include <jansson.h>
#include <string.h>

struct rctx {
    struct jpath j; /* the file's name, its errors (may be NULL), the path being parsed */
    struct compare_rules *r;
    int oom;
};

static void rerr(struct rctx *c, const char *fmt, ...) PG_PRINTF(2, 3);
static void rerr(struct rctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    jpath_verror(&c->j, fmt, ap);
    va_end(ap);
}

static size_t push_key(struct rctx *c, const char *key)
{
    return jpath_key(&c->j, key);
}

static size_t push_idx(struct rctx *c, size_t i)
{
    return jpath_idx(&c->j, i);
}

static void pop(struct rctx *c, size_t at)
{
    jpath_pop(&c->j, at);
}

static const char *dup(struct rctx *c, const char *s)
{
    char *d = arena_strdup(&c->r->arena, s ? s : "");
    if (!d) c->oom = 1;
    return d ? d : "";
}

static void known_keys(struct rctx *c, json_t *obj, const char *keys)
{
    jpath_known_keys(&c->j, obj, keys, 1);
}

/* A required (or optional) non-empty string member; NULL if absent or wrong. */
static const char *get_str(struct rctx *c, json_t *obj, const char *key, int required)
{
    json_t *v = json_object_get(obj, key);
    size_t at;
    const char *s = NULL;
    if (!v) {
        if (required) {
            at = push_key(c, key);
            rerr(c, "missing (required)");
            pop(c, at);
        }
        return NULL;
    }
    at = push_key(c, key);
    if (!json_is_string(v) || !json_string_length(v))
        rerr(c, "expected non-empty text");
    else if (json_string_length(v) > 400)
        rerr(c, "longer than 400 bytes");
    else
        s = dup(c, json_string_value(v));
    pop(c, at);
    return s;
}

/* {"zh": ..., "en": ...}: both required. */
static void get_label(struct rctx *c, json_t *obj, const char *key, const char **zh,
                      const char **en)
{
    json_t *v = json_object_get(obj, key);
    size_t at = push_key(c, key);
    *zh = *en = "";
    if (!v)
        rerr(c, "missing (required: {\"zh\": ..., \"en\": ...})");
    else if (!json_is_object(v))
        rerr(c, "expected {\"zh\": ..., \"en\": ...}");
    else {
        const char *a = get_str(c, v, "zh", 1), *b = get_str(c, v, "en", 1);
        known_keys(c, v, "zh|en");
        *zh = a ? a : "";
        *en = b ? b : "";
    }
    pop(c, at);
}

/* Lowercase ASCII letters, digits and '_', starting with a letter, at most 31 bytes. */
static int ident_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 31 || !(s[0] >= 'a' && s[0] <= 'z')) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

/* ------------------------------------------------------------------ dates */

static int days_in_month(int y, int m)
{
    static const int md[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return md[m];
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard Hinnant's). */
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

static int civil_from_days(long z)
{
    long era, doe, yoe, y, doy, mp, d, m;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    return (int)(y * 10000 + m * 100 + d);
}

int cmp_date_shift(int ref, int n, char unit)
{
    int y = ref / 10000, m = ref / 100 % 100, d = ref % 100;
    if (unit == 'd') return civil_from_days(days_from_civil(y, m, d) + n);
    if (unit == 'y')
        y += n;
    else {
        int mm = (y * 12 + (m - 1)) + n;
        y = mm / 12;
        m = mm % 12 + 1;
    }
    if (d > days_in_month(y, m)) d = days_in_month(y, m);
    return y * 10000 + m * 100 + d;
}

int cmp_date_resolve(const struct cmp_date *d, int ref, int dflt)
{
    if (!d->set) return dflt;
    if (!d->rel) return d->abs;
    return d->n ? cmp_date_shift(ref, d->n, d->unit) : ref;
}

/* "2019-12-31", "ref", "ref-2y", "ref+6m", "ref-30d". */
static int parse_date_spec(const char *s, struct cmp_date *d)
{
    memset(d, 0, sizeof *d);
    d->set = 1;
    if (!strncmp(s, "ref", 3)) {
        const char *p = s + 3;
        long n = 0;
        int sign;
        d->rel = 1;
        if (!*p) return 0;
        if (*p != '+' && *p != '-') return -1;
        sign = *p == '-' ? -1 : 1;
        p++;
        if (!(*p >= '0' && *p <= '9')) return -1;
        while (*p >= '0' && *p <= '9' && n < 100000) n = n * 10 + (*p++ - '0');
        if ((*p != 'y' && *p != 'm' && *p != 'd') || p[1]) return -1;
        if ((*p == 'y' && n > 200) || (*p == 'm' && n > 2400) || (*p == 'd' && n > 73000))
            return -1;
        d->n = (int)(sign * n);
        d->unit = *p;
        return 0;
    }
    return parse_date(s, &d->abs);
}

/* ------------------------------------------------------------------ files */

static int find_col(const struct cmp_file *f, const char *name);

/* "show": ["plate", ...] — columns that identify a record for whoever checks a flag (a
 * plate number, a company, a school): shown with every record kept as evidence, never read
 * by a condition. Not the ID (shown anyway) nor the name (personal data kept out of the
 * evidence text). */
static void parse_show(struct rctx *c, json_t *o, struct cmp_file *f)
{
    json_t *v = json_object_get(o, "show"), *item;
    size_t at, i;
    if (!v) return;
    at = push_key(c, "show");
    if (!json_is_array(v)) {
        rerr(c, "expected a list of column names, e.g. [\"plate\"]");
        pop(c, at);
        return;
    }
    json_array_foreach(v, i, item)
    {
        size_t at2 = push_idx(c, i);
        int col = json_is_string(item) ? find_col(f, json_string_value(item)) : -1;
        if (!json_is_string(item))
            rerr(c, "expected a column name");
        else if (col < 0)
            rerr(c, "\"%s\" is not a column of file \"%s\"", json_string_value(item),
                 f->id ? f->id : "?");
        else if (col == f->id_col || col == f->name_col)
            rerr(c, "\"%s\": the ID is always shown, the name never (personal data)",
                 json_string_value(item));
        else
            f->show |= 1u << col;
        pop(c, at2);
    }
    pop(c, at);
}

static void parse_file(struct rctx *c, json_t *o, struct cmp_file *f, size_t fi)
{
    json_t *cols, *v;
    const char *k;
    size_t at;
    memset(f, 0, sizeof *f);
    f->id_col = f->name_col = -1;
    if (!json_is_object(o)) {
        rerr(c, "expected an object {\"id\": ..., \"file\": ..., \"columns\": {...}}");
        return;
    }
    known_keys(c, o, "id|file|department|title|columns|show");
    f->id = get_str(c, o, "id", 1);
    f->file = get_str(c, o, "file", 1);
    get_label(c, o, "department", &f->dept_zh, &f->dept_en);
    get_label(c, o, "title", &f->title_zh, &f->title_en);
    if (f->id && !ident_ok(f->id)) {
        at = push_key(c, "id");
        rerr(c,
             "\"%s\": use lowercase letters, digits and _, starting with a letter (at most "
             "31)",
             f->id);
        pop(c, at);
    }
    if (f->file && (strchr(f->file, '/') || strchr(f->file, '\\') || !strcmp(f->file, ".") ||
                    !strcmp(f->file, ".."))) {
        at = push_key(c, "file");
        rerr(c, "\"%s\": a file name inside the department folder, without a path", f->file);
        pop(c, at);
    }
    for (size_t j = 0; j < fi; j++) {
        const struct cmp_file *g = &c->r->files[j];
        if (f->id && g->id && !strcmp(f->id, g->id)) {
            at = push_key(c, "id");
            rerr(c, "\"%s\" is also files[%zu]", f->id, j);
            pop(c, at);
        }
        if (f->file && g->file && !strcmp(f->file, g->file)) {
            at = push_key(c, "file");
            rerr(c, "\"%s\" is also read by files[%zu]", f->file, j);
            pop(c, at);
        }
    }
    if (!f->id) f->id = "";
    if (!f->file) f->file = "";
    cols = json_object_get(o, "columns");
    at = push_key(c, "columns");
    if (!cols || !json_is_object(cols) || !json_object_size(cols)) {
        rerr(c, "expected an object mapping column names to the file's headers, with at least "
                "\"id\" (the resident ID column)");
        pop(c, at);
        return;
    }
    if (json_object_size(cols) > CMP_MAX_COLS) rerr(c, "more than %d columns", CMP_MAX_COLS);
    f->cols = arena_alloc(&c->r->arena, CMP_MAX_COLS * sizeof *f->cols);
    if (!f->cols) {
        c->oom = 1;
        pop(c, at);
        return;
    }
    json_object_foreach(cols, k, v)
    {
        struct strbuf hs = STRBUF_INIT;
        size_t at2;
        if (k[0] == '_') continue;
        at2 = push_key(c, k);
        if (!ident_ok(k)) rerr(c, "column names use lowercase letters, digits and _");
        if (json_is_string(v) && json_string_length(v)) {
            sb_adds(&hs, json_string_value(v));
        } else if (json_is_array(v) && json_array_size(v)) {
            size_t i;
            json_t *h;
            json_array_foreach(v, i, h)
            {
                if (!json_is_string(h) || !json_string_length(h) ||
                    strchr(json_string_value(h), '|')) {
                    size_t at3 = push_idx(c, i);
                    rerr(c, "expected a header name");
                    pop(c, at3);
                    continue;
                }
                if (hs.len) sb_addch(&hs, '|');
                sb_adds(&hs, json_string_value(h));
            }
        } else {
            rerr(c, "expected the header name (or names, \"a|b\" or [\"a\", \"b\"]) of this "
                    "column in the file");
        }
        if (sb_ok(&hs)) c->oom = 1;
        if (hs.len && f->ncols < CMP_MAX_COLS) {
            struct cmp_column *col = &f->cols[f->ncols];
            col->name = dup(c, k);
            col->headers = dup(c, hs.buf);
            col->type = COLT_TEXT;
            if (!strcmp(k, "id")) f->id_col = (int)f->ncols;
            if (!strcmp(k, "name")) f->name_col = (int)f->ncols;
            f->ncols++;
        }
        sb_release(&hs);
        pop(c, at2);
    }
    if (f->id_col < 0 && !json_object_get(cols, "id"))
        rerr(c, "no \"id\": every department file needs its resident ID column mapped");
    pop(c, at);
    parse_show(c, o, f);
}

static int find_file(const struct compare_rules *r, const char *id)
{
    for (size_t i = 0; i < r->nfiles; i++)
        if (r->files[i].id && !strcmp(r->files[i].id, id)) return (int)i;
    return -1;
}

static int find_col(const struct cmp_file *f, const char *name)
{
    for (size_t i = 0; i < f->ncols; i++)
        if (!strcmp(f->cols[i].name, name)) return (int)i;
    return -1;
}

/* ------------------------------------------------------------------ conditions */

static const char *type_name(enum cmp_coltype t)
{
    return t == COLT_NUMBER ? "a number" : t == COLT_DATE ? "a date" : "text";
}

static void parse_cond(struct rctx *c, json_t *o, struct cmp_file *f, struct cmp_cond *cd)
{
    static const struct {
        const char *key;
        enum cmp_op op;
    } numops[] = {{">", CMP_GT}, {">=", CMP_GE}, {"<", CMP_LT}, {"<=", CMP_LE}, {"=", CMP_EQ}};
    const char *col;
    json_t *v;
    int nops = 0;
    enum cmp_coltype want = COLT_TEXT;
    size_t at;
    memset(cd, 0, sizeof *cd);
    cd->col = -1;
    if (!json_is_object(o)) {
        rerr(c, "expected a condition {\"column\": ..., \"in\" | \"not_in\" | \">\" | \">=\" | "
                "\"<\" | \"<=\" | \"=\" | \"from\"/\"to\" | \"empty\": ...}");
        return;
    }
    known_keys(c, o, "column|in|not_in|>|>=|<|<=|=|from|to|empty");
    col = get_str(c, o, "column", 1);
    if (col) {
        cd->col = find_col(f, col);
        if (cd->col < 0 || cd->col == f->id_col) {
            struct strbuf names = STRBUF_INIT;
            for (size_t i = 0; i < f->ncols; i++)
                if ((int)i != f->id_col)
                    sb_addf(&names, "%s%s", names.len ? ", " : "", f->cols[i].name);
            at = push_key(c, "column");
            if (cd->col == f->id_col && cd->col >= 0)
                rerr(c, "the resident ID column is matched against the registry, not compared");
            else
                rerr(c, "\"%s\" is not a column of file \"%s\" (columns: %s)", col, f->id,
                     names.len ? names.buf : "none besides id");
            pop(c, at);
            sb_release(&names);
            cd->col = -1;
        }
    }
    for (size_t i = 0; i < 2; i++) {
        const char *key = i ? "not_in" : "in";
        size_t k;
        json_t *item;
        if (!(v = json_object_get(o, key))) continue;
        nops++;
        cd->op = i ? CMP_NOT_IN : CMP_IN;
        at = push_key(c, key);
        if (!json_is_array(v) || !json_array_size(v)) {
            rerr(c, "expected a non-empty list of values");
            pop(c, at);
            continue;
        }
        cd->list = arena_alloc(&c->r->arena, json_array_size(v) * sizeof *cd->list);
        if (!cd->list) {
            c->oom = 1;
            pop(c, at);
            continue;
        }
        json_array_foreach(v, k, item)
        {
            if (json_is_string(item)) {
                const char *s = json_string_value(item);
                size_t n = json_string_length(item);
                while (n && (*s == ' ' || *s == '\t')) s++, n--;
                while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
                cd->list[cd->nlist].s = arena_strndup(&c->r->arena, s, n);
                if (!cd->list[cd->nlist].s) c->oom = 1;
                cd->list[cd->nlist++].n = n;
            } else if (json_is_integer(item)) {
                char buf[32];
                snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(item));
                cd->list[cd->nlist].s = dup(c, buf);
                cd->list[cd->nlist++].n = strlen(buf);
            } else {
                size_t at2 = push_idx(c, k);
                rerr(c, "expected text (or a whole number)");
                pop(c, at2);
            }
        }
        pop(c, at);
    }
    for (size_t i = 0; i < sizeof numops / sizeof numops[0]; i++) {
        if (!(v = json_object_get(o, numops[i].key))) continue;
        nops++;
        cd->op = numops[i].op;
        want = COLT_NUMBER;
        at = push_key(c, numops[i].key);
        if (!json_is_number(v))
            rerr(c, "expected a number");
        else
            cd->num = json_number_value(v);
        pop(c, at);
    }
    if (json_object_get(o, "from") || json_object_get(o, "to")) {
        nops++;
        cd->op = CMP_DATE;
        want = COLT_DATE;
        for (int i = 0; i < 2; i++) {
            const char *key = i ? "to" : "from";
            struct cmp_date *d = i ? &cd->to : &cd->from;
            if (!(v = json_object_get(o, key))) continue;
            at = push_key(c, key);
            if (!json_is_string(v) || parse_date_spec(json_string_value(v), d))
                rerr(c, "expected a date: \"2019-12-31\", \"ref\" (the reference date) or "
                        "\"ref-2y\" / \"ref+6m\" / \"ref-30d\"");
            pop(c, at);
        }
        if (cd->from.set && cd->to.set && !cd->from.rel && !cd->to.rel && cd->from.abs > cd->to.abs)
            rerr(c, "\"from\" is after \"to\"");
    }
    if ((v = json_object_get(o, "empty"))) {
        nops++;
        at = push_key(c, "empty");
        if (!json_is_boolean(v)) rerr(c, "expected true or false");
        cd->op = json_is_true(v) ? CMP_EMPTY : CMP_NOT_EMPTY;
        pop(c, at);
    }
    if (nops != 1)
        rerr(c, "%s",
             nops ? "give one test per condition (several conditions all must hold)"
                  : "no test: give one of in, not_in, >, >=, <, <=, =, from/to, empty");
    if (cd->col >= 0 && nops == 1 && want != COLT_TEXT) {
        struct cmp_column *cl = &f->cols[cd->col];
        if (cl->type != COLT_TEXT && cl->type != want)
            rerr(c, "column \"%s\" of file \"%s\" is compared as %s elsewhere, as %s here",
                 cl->name, f->id, type_name(cl->type), type_name(want));
        else
            cl->type = want;
    }
}

/* ------------------------------------------------------------------ rules */

static void parse_subject(struct rctx *c, json_t *o, struct cmp_rule *ru)
{
    static const char *whos[] = {"registered", "general", "not_registered", "absent", "any"};
    json_t *v;
    const char *who;
    size_t at;
    ru->who = WHO_REGISTERED;
    ru->age_min = ru->age_max = -1;
    if (!o) {
        rerr(c, "missing subject (required: {\"who\": \"registered\" | \"general\" | "
                "\"not_registered\" | \"absent\" | \"any\", ...})");
        return;
    }
    at = push_key(c, "subject");
    if (!json_is_object(o)) {
        rerr(c, "expected an object");
        pop(c, at);
        return;
    }
    known_keys(c, o, "who|category|age|health|income_below_allowance_standard");
    who = get_str(c, o, "who", 1);
    if (who) {
        size_t i;
        for (i = 0; i < 5 && strcmp(who, whos[i]); i++) {
        }
        if (i == 5) {
            size_t at2 = push_key(c, "who");
            rerr(c, "\"%s\" is not one of registered, general, not_registered, absent, any", who);
            pop(c, at2);
        } else {
            ru->who = (enum cmp_who)i;
        }
    }
    if ((v = json_object_get(o, "category"))) {
        size_t i, at2 = push_key(c, "category");
        json_t *item;
        if (!json_is_array(v) || !json_array_size(v))
            rerr(c, "expected a list of categories");
        else
            json_array_foreach(v, i, item)
            {
                const char *s = json_is_string(item) ? json_string_value(item) : "";
                if (!strcmp(s, "unexited"))
                    ru->cats |= 1u << HH_CAT_UNEXITED;
                else if (!strcmp(s, "exited"))
                    ru->cats |= 1u << HH_CAT_EXITED;
                else if (!strcmp(s, "returned"))
                    ru->cats |= 1u << HH_CAT_RETURNED;
                else {
                    size_t at3 = push_idx(c, i);
                    rerr(c, "expected unexited, exited or returned");
                    pop(c, at3);
                }
            }
        if (ru->who != WHO_REGISTERED) rerr(c, "categories apply to registered households only");
        pop(c, at2);
    }
    if ((v = json_object_get(o, "age"))) {
        size_t at2 = push_key(c, "age");
        json_t *a = json_array_get(v, 0), *b = json_array_get(v, 1);
        if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_integer(a) ||
            !json_is_integer(b) || json_integer_value(a) < 0 || json_integer_value(b) > 150 ||
            json_integer_value(a) > json_integer_value(b))
            rerr(c, "expected [min, max]: whole years at the reference date, 0..150, both "
                    "included");
        else
            ru->age_min = (int)json_integer_value(a), ru->age_max = (int)json_integer_value(b);
        pop(c, at2);
    }
    if ((v = json_object_get(o, "health"))) {
        static const char *codes[] = {"healthy", "chronic", "serious", "disabled"};
        static const char *zh[] = {"健康", "长期慢性病", "患有大病", "残疾"};
        size_t i, at2 = push_key(c, "health");
        json_t *item;
        if (!json_is_array(v) || !json_array_size(v))
            rerr(c, "expected a list of health codes");
        else
            json_array_foreach(v, i, item)
            {
                const char *s = json_is_string(item) ? json_string_value(item) : "";
                int k;
                for (k = 0; k < 4 && strcmp(s, codes[k]) && strcmp(s, zh[k]); k++) {
                }
                if (k == 4) {
                    size_t at3 = push_idx(c, i);
                    rerr(c, "expected healthy, chronic, serious or disabled (the registry's "
                            "health codes)");
                    pop(c, at3);
                } else {
                    ru->health |= 1u << k;
                }
            }
        if (ru->who == WHO_ABSENT || ru->who == WHO_NOT_REGISTERED)
            rerr(c, "the registry's health is known only for its members");
        pop(c, at2);
    }
    if ((v = json_object_get(o, "income_below_allowance_standard"))) {
        size_t at2 = push_key(c, "income_below_allowance_standard");
        if (!json_is_boolean(v)) rerr(c, "expected true or false");
        ru->below_allowance = json_is_true(v);
        if (ru->below_allowance && ru->who != WHO_REGISTERED)
            rerr(c, "the registered income is known for registered households only");
        pop(c, at2);
    }
    pop(c, at);
}

static void parse_rule(struct rctx *c, json_t *o, struct cmp_rule *ru, size_t ri)
{
    const char *s;
    json_t *srcs;
    size_t at;
    memset(ru, 0, sizeof *ru);
    ru->none_bit = -1;
    if (!json_is_object(o)) {
        rerr(c, "expected a rule object");
        return;
    }
    known_keys(c, o, "id|kind|severity|zh|en|seed|subject|match|scope|sources");
    ru->id = get_str(c, o, "id", 1);
    ru->zh = get_str(c, o, "zh", 1);
    ru->en = get_str(c, o, "en", 1);
    ru->seed = get_str(c, o, "seed", 1);
    ru->kind = get_str(c, o, "kind", 1);
    ru->severity = get_str(c, o, "severity", 1);
    if (ru->id && !ident_ok(ru->id)) {
        at = push_key(c, "id");
        rerr(c, "\"%s\": use lowercase letters, digits and _, starting with a letter", ru->id);
        pop(c, at);
    }
    for (size_t j = 0; ru->id && j < ri; j++)
        if (c->r->rules[j].id && !strcmp(c->r->rules[j].id, ru->id)) {
            at = push_key(c, "id");
            rerr(c, "\"%s\" is also rules[%zu]", ru->id, j);
            pop(c, at);
        }
    if (ru->kind && !str_in_list(ru->kind, strlen(ru->kind), "exclusion|missed|policy")) {
        at = push_key(c, "kind");
        rerr(c, "\"%s\" is not one of exclusion, missed, policy", ru->kind);
        pop(c, at);
    }
    if (ru->severity && !str_in_list(ru->severity, strlen(ru->severity), "high|medium|low")) {
        at = push_key(c, "severity");
        rerr(c, "\"%s\" is not one of high, medium, low", ru->severity);
        pop(c, at);
    }
    if (!ru->id) ru->id = "";
    if (!ru->zh) ru->zh = "";
    if (!ru->en) ru->en = "";
    if (!ru->seed) ru->seed = "";
    if (!ru->kind) ru->kind = "exclusion";
    if (!ru->severity) ru->severity = "medium";
    parse_subject(c, json_object_get(o, "subject"), ru);
    if ((s = get_str(c, o, "match", 0))) {
        if (!strcmp(s, "none"))
            ru->none = 1;
        else if (strcmp(s, "any")) {
            at = push_key(c, "match");
            rerr(c,
                 "\"%s\" is not any (flag subjects with a satisfying record) or none (flag "
                 "subjects without one)",
                 s);
            pop(c, at);
        }
    }
    if ((s = get_str(c, o, "scope", 0))) {
        if (!strcmp(s, "household"))
            ru->household_scope = 1;
        else if (strcmp(s, "member")) {
            at = push_key(c, "scope");
            rerr(c, "\"%s\" is not member or household", s);
            pop(c, at);
        }
    }
    if (ru->none) {
        if (ru->who == WHO_ABSENT || ru->who == WHO_NOT_REGISTERED) {
            at = push_key(c, "match");
            rerr(c, "a \"none\" rule needs subjects the registry lists (who: registered, general "
                    "or any): persons absent from the roster cannot be enumerated");
            pop(c, at);
        }
        if (ru->household_scope && (ru->age_min >= 0 || ru->health)) {
            at = push_key(c, "scope");
            rerr(c, "a household-scope \"none\" rule cannot select members by age or health");
            pop(c, at);
        }
        if (c->r->nnone >= CMP_MAX_NONE)
            rerr(c, "more than %d \"none\" rules", CMP_MAX_NONE);
        else
            ru->none_bit = c->r->nnone++;
    }
    srcs = json_object_get(o, "sources");
    at = push_key(c, "sources");
    if (!srcs || !json_is_array(srcs) || !json_array_size(srcs)) {
        rerr(c, "expected a non-empty list of {\"file\": ..., \"when\": [conditions]}");
        pop(c, at);
        return;
    }
    ru->src = arena_alloc(&c->r->arena, json_array_size(srcs) * sizeof *ru->src);
    if (!ru->src) {
        c->oom = 1;
        pop(c, at);
        return;
    }
    for (size_t i = 0; i < json_array_size(srcs); i++) {
        json_t *so = json_array_get(srcs, i), *when;
        struct cmp_source *src = &ru->src[ru->nsrc];
        const char *fid;
        size_t at2 = push_idx(c, i);
        memset(src, 0, sizeof *src);
        if (!json_is_object(so)) {
            rerr(c, "expected {\"file\": ..., \"when\": [...]}");
            pop(c, at2);
            continue;
        }
        known_keys(c, so, "file|when");
        fid = get_str(c, so, "file", 1);
        src->file = fid ? find_file(c->r, fid) : -1;
        if (fid && src->file < 0) {
            size_t at3 = push_key(c, "file");
            rerr(c, "\"%s\" is not the id of an entry of files", fid);
            pop(c, at3);
        }
        for (size_t j = 0; fid && src->file >= 0 && j < ru->nsrc; j++)
            if (ru->src[j].file == src->file) {
                size_t at3 = push_key(c, "file");
                rerr(c, "file \"%s\" is read twice by this rule: put its conditions together", fid);
                pop(c, at3);
            }
        when = json_object_get(so, "when");
        if (when) {
            size_t at3 = push_key(c, "when");
            if (!json_is_array(when))
                rerr(c, "expected a list of conditions");
            else if (json_array_size(when) > CMP_MAX_COND)
                rerr(c, "more than %d conditions", CMP_MAX_COND);
            else if (src->file >= 0) {
                src->cond =
                    arena_alloc(&c->r->arena, (json_array_size(when) + 1) * sizeof *src->cond);
                if (!src->cond) c->oom = 1;
                for (size_t k = 0; src->cond && k < json_array_size(when); k++) {
                    size_t at4 = push_idx(c, k);
                    parse_cond(c, json_array_get(when, k), &c->r->files[src->file],
                               &src->cond[src->ncond]);
                    if (src->cond[src->ncond].col >= 0) src->ncond++;
                    pop(c, at4);
                }
            }
            pop(c, at3);
        }
        if (src->file >= 0) ru->nsrc++;
        pop(c, at2);
    }
    pop(c, at);
}

/* ------------------------------------------------------------------ loading */

static void parse_top(struct rctx *c, json_t *root)
{
    struct compare_rules *r = c->r;
    json_t *v, *files, *rules;
    const char *s;
    size_t at;
    if (!json_is_object(root)) {
        rerr(c, "expected an object {\"format\": 1, \"files\": [...], \"rules\": [...]}");
        return;
    }
    known_keys(c, root, "format|id|title|reference_date|max_evidence|files|rules");
    v = json_object_get(root, "format");
    at = push_key(c, "format");
    if (!v)
        rerr(c, "missing (required: 1)");
    else if (!json_is_integer(v) || json_integer_value(v) != 1)
        rerr(c, "this pinggu reads rules format 1");
    pop(c, at);
    r->id = get_str(c, root, "id", 1);
    if (!r->id) r->id = "";
    if ((v = json_object_get(root, "title"))) {
        const char *zh, *en;
        get_label(c, root, "title", &zh, &en);
    }
    s = get_str(c, root, "reference_date", 1);
    if (s && (parse_date(s, &r->reference_date) || r->reference_date < 19000101)) {
        at = push_key(c, "reference_date");
        rerr(c, "\"%s\" is not a date YYYY-MM-DD (ages and relative dates count from it)", s);
        pop(c, at);
    }
    r->max_evidence = 10;
    if ((v = json_object_get(root, "max_evidence"))) {
        at = push_key(c, "max_evidence");
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000)
            rerr(c, "expected a whole number 1..1000");
        else
            r->max_evidence = (int)json_integer_value(v);
        pop(c, at);
    }
    files = json_object_get(root, "files");
    at = push_key(c, "files");
    if (!files || !json_is_array(files) || !json_array_size(files)) {
        rerr(c, "expected a non-empty list of department files");
    } else if (json_array_size(files) > CMP_MAX_FILES) {
        rerr(c, "more than %d files", CMP_MAX_FILES);
    } else {
        r->files = arena_alloc(&r->arena, json_array_size(files) * sizeof *r->files);
        if (!r->files) c->oom = 1;
        for (size_t i = 0; r->files && i < json_array_size(files); i++) {
            size_t at2 = push_idx(c, i);
            parse_file(c, json_array_get(files, i), &r->files[i], i);
            r->nfiles = i + 1;
            pop(c, at2);
        }
    }
    pop(c, at);
    rules = json_object_get(root, "rules");
    at = push_key(c, "rules");
    if (!rules || !json_is_array(rules) || !json_array_size(rules)) {
        rerr(c, "expected a non-empty list of rules");
    } else if (json_array_size(rules) > CMP_MAX_RULES) {
        rerr(c, "more than %d rules", CMP_MAX_RULES);
    } else {
        r->rules = arena_alloc(&r->arena, json_array_size(rules) * sizeof *r->rules);
        if (!r->rules) c->oom = 1;
        for (size_t i = 0; r->rules && i < json_array_size(rules); i++) {
            size_t at2 = push_idx(c, i);
            parse_rule(c, json_array_get(rules, i), &r->rules[i], i);
            r->nrules = i + 1;
            pop(c, at2);
        }
    }
    pop(c, at);
}

int compare_rules_parse(const char *name, const char *text, size_t len, struct compare_rules **out,
                        struct errlist *errs, struct error *e)
{
    struct compare_rules *r;
    struct rctx c;
    json_error_t jerr;
    json_t *root = NULL;
    int rc = 0;
    *out = NULL;
    r = mem_calloc(1, sizeof *r);
    if (!r) return error_set(e, ERR_NOMEM, "out of memory");
    arena_init(&r->arena, 0);
    r->path = mem_strdup(name);
    r->text = mem_strndup(text, len);
    r->text_len = len;
    if (!r->path || !r->text) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    hash_sha256_hex(text, len, r->sha256);
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        rc = error_at(e, ERR_PARSE, name, jerr.line, jerr.column, "not valid JSON: %s", jerr.text);
        if (errs) errlist_add(errs, e);
        goto out;
    }
    memset(&c, 0, sizeof c);
    c.j.name = name;
    c.j.errs = errs;
    c.r = r;
    sb_init(&c.j.path);
    parse_top(&c, root);
    if (sb_ok(&c.j.path)) c.oom = 1;
    sb_release(&c.j.path);
    if (c.oom) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    if (c.j.nerr) {
        rc = error_set(e, ERR_INVALID, "%s: %d problem%s in the rules file", name, c.j.nerr,
                       c.j.nerr == 1 ? "" : "s");
        goto out;
    }
out:
    if (root) json_decref(root);
    if (rc)
        compare_rules_free(r);
    else
        *out = r;
    return rc;
}

int compare_rules_load(const char *path, struct compare_rules **out, struct errlist *errs,
                       struct error *e)
{
    FILE *f = fopen(path, "rb");
    struct strbuf sb = STRBUF_INIT;
    char buf[65536];
    size_t n;
    int rc;
    *out = NULL;
    if (!f) return error_set(e, ERR_IO, "%s: cannot open the rules file", path);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sb_add(&sb, buf, n);
    if (ferror(f)) {
        fclose(f);
        sb_release(&sb);
        return error_set(e, ERR_IO, "%s: read failed", path);
    }
    fclose(f);
    if (sb_ok(&sb)) {
        sb_release(&sb);
        return error_set(e, ERR_NOMEM, "out of memory");
    }
    rc = compare_rules_parse(path, sb.buf, sb.len, out, errs, e);
    sb_release(&sb);
    return rc;
}

void compare_rules_free(struct compare_rules *r)
{
    if (!r) return;
    arena_release(&r->arena);
    mem_free(r->path);
    mem_free(r->text);
    mem_free(r);
}

int compare_rules_reference_date(const struct compare_rules *r)
{
    return r->reference_date;
}

size_t compare_rules_count(const struct compare_rules *r)
{
    return r->nrules;
}

const char *compare_rule_id(const struct compare_rules *r, size_t i)
{
    return i < r->nrules ? r->rules[i].id : NULL;
}

size_t compare_rules_file_count(const struct compare_rules *r)
{
    return r->nfiles;
}

const char *compare_rules_file_name(const struct compare_rules *r, size_t i)
{
    return i < r->nfiles ? r->files[i].file : NULL;
}

const char *cmp_kind_zh(const char *kind)
{
    if (!strcmp(kind, "exclusion")) return "识别不准(应清退)";
    if (!strcmp(kind, "missed")) return "疑似漏评";
    if (!strcmp(kind, "policy")) return "政策落实缺口";
    return kind;
}

const char *cmp_severity_zh(const char *severity)
{
    if (!strcmp(severity, "high")) return "高";
    if (!strcmp(severity, "medium")) return "中";
    if (!strcmp(severity, "low")) return "低";
    return severity;
}
