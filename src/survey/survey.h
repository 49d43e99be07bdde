/*
 * survey.h — the survey stage (DESIGN.md §9, src/survey/): questionnaire definitions (forms),
 * the expression language their skip logic and checks are written in, and the validation of
 * one questionnaire's answers against its form.
 *
 * Sections, each with its own heading below (later stages of the survey work — field import,
 * evidence, simulation — add their own sections at the end):
 *   expressions   expr_*     parse once into an arena, evaluate many times (expr.c)
 *   forms         form_*     load and check a form file (JSON, XLSForm conventions), outline
 *                            (form.c)
 *   answers       answers_*  one questionnaire's answers, validated against its form; the
 *                            issues found (validate.c)
 *
 * The formats — form files, the expression grammar, value semantics and the validation rules —
 * are documented for people in docs/forms.md; this header is the contract for code.
 *
 * Conventions (STYLE.md): functions return 0 or a negative ERR_* code and fill an optional
 * struct error; every returned pointer's comment says who owns it. Nothing here keeps global
 * state: a loaded struct form is immutable and may be shared by threads; a struct answers
 * belongs to one thread at a time.
 */
#ifndef PINGGU_SURVEY_H
#define PINGGU_SURVEY_H

#include "../base/base.h"
#include "../plan/plan.h"
#include "../store/store.h"

/* ================================================================ expressions */

/*
 * The XLSForm expression subset (docs/forms.md "Expressions"): ${name} references, '.', numbers,
 * 'strings' and "strings", = != < <= > >=, and or not, + - * div mod, unary minus, parentheses,
 * and the functions selected, count-selected, if, string-length, today, number, int, coalesce,
 * count, sum, min, max, true, false.
 *
 * Values. Every value is one of: empty (an unanswered question, '' or the result of undefined
 * arithmetic), a number (double), a string, a boolean or a date (days since 1970-01-01).
 *   - arithmetic with an empty or non-numeric operand, or dividing by zero, gives empty;
 *   - `=` is true when both sides are empty, false when exactly one is; `!=` is its negation;
 *     < <= > >= with an empty side are false (XPath's NaN rule);
 *   - a number (or date, boolean) against a string compares numerically (the string read as a
 *     number or an ISO date YYYY-MM-DD); two strings compare numerically when both are numbers,
 *     else byte-wise (ISO dates order correctly);
 *   - as a condition: empty is false; a number is true unless 0; a string is true unless it is
 *     a number equal to 0 or the word "false".
 */

enum expr_type {
    EXPR_EMPTY = 0, /* unanswered / '' / undefined arithmetic */
    EXPR_NUMBER,    /* num */
    EXPR_STRING,    /* str, len */
    EXPR_BOOL,      /* num is 0 or 1 */
    EXPR_DATE       /* num: days since 1970-01-01 (today()) */
};

/* One value. str is borrowed: it points into the expression's arena (literals) or at a value
 * the lookup callback returned, and lives as long as those. */
struct expr_value {
    enum expr_type type;
    double num;      /* EXPR_NUMBER, EXPR_BOOL, EXPR_DATE */
    const char *str; /* EXPR_STRING: NUL-terminated */
    size_t len;      /* EXPR_STRING: bytes */
};

/* How a reference is used, recorded by the parser so that a form can check that types fit. */
enum expr_role {
    EXPR_ROLE_VALUE = 0,      /* plain ${q}: the question's value */
    EXPR_ROLE_SELECTED,       /* first argument of selected() */
    EXPR_ROLE_COUNT_SELECTED, /* argument of count-selected() */
    EXPR_ROLE_COUNT,          /* argument of count(): a repeat, or a field inside one */
    EXPR_ROLE_SUM             /* argument of sum(): a field inside a repeat */
};

/* One occurrence of ${name} or '.' in an expression. The form binds row/is_repeat after
 * parsing (form.c); the evaluator passes the ref to the lookup callbacks. */
struct expr_ref {
    const char *name;    /* arena; "." for the current question */
    long offset;         /* 1-based character offset of the name (after "${"), or of '.' */
    enum expr_role role; /* how it is used */
    int self;            /* 1 for '.' */
    int row;             /* bound form row, -1 until bound (and always for '.') */
    int is_repeat;       /* bound to a begin_repeat row (count() of instances) */
};

/* A reference compared with a literal (`${q} = 'no'`, `selected(${q}, 'a')`): lets the form
 * check that 'no' is a choice of q's list and that numbers are compared with numbers. */
struct expr_cmp {
    size_t ref;          /* index into refs */
    const char *literal; /* arena: the literal's text ('no', or "3" for a number) */
    int is_string;       /* 1: a string literal; 0: a number literal */
    long offset;         /* 1-based character offset of the literal */
};

struct expr_node; /* private to expr.c */

/* A parsed expression. Everything lives in the arena given to expr_parse. */
struct expr {
    const char *src;        /* arena copy of the source text */
    struct expr_node *root; /* arena */
    struct expr_ref *refs;  /* arena, in source order */
    size_t nrefs;
    struct expr_cmp *cmps; /* arena, in source order */
    size_t ncmps;
};

/* Limits: nesting of parentheses, function calls and prefix operators; and the depth of the
 * tree (long chains like 1+1+...+1). Beyond them expr_parse fails; nothing recurses deeper. */
#define EXPR_MAX_NESTING 100
#define EXPR_MAX_DEPTH   1000

/* Parses src (NUL-terminated UTF-8) into *out, allocated in arena a (so freed with it).
 * On a syntax error returns ERR_PARSE and fills e with a message ending in "at offset N" and
 * e->column = N, the 1-based character (not byte) offset of the offending token; the end of
 * the text is offset length + 1. ERR_NOMEM if the arena fails. */
int expr_parse(const char *src, struct arena *a, struct expr **out, struct error *e);

/* Where expr_eval gets the values of references. Any callback may be NULL (then every
 * reference is empty and every repeat has no instance). Strings returned are borrowed and
 * must stay valid until expr_eval returns; NULL or "" means unanswered. */
struct expr_env {
    void *ctx;
    /* The value of a plain reference. */
    const char *(*value)(void *ctx, const struct expr_ref *ref);
    /* For count()/sum(): the number of instances of the repeat that ref is (is_repeat) or lies
     * in, and the value of the field ref in instance i (0-based). */
    long (*instances)(void *ctx, const struct expr_ref *ref);
    const char *(*item)(void *ctx, const struct expr_ref *ref, long i);
    const char *self; /* the value of '.' (the current question's answer); NULL: empty */
    int today;        /* reference date YYYYMMDD for today(); 0: today() is empty */
};

/* Evaluates x. Total: every expression has a value (see the value rules above); returns 0.
 * Strings in *out are borrowed from x's arena or from env's callbacks. */
int expr_eval(const struct expr *x, const struct expr_env *env, struct expr_value *out);
/* Evaluates x as a condition (relevant, required, check): 1 true, 0 false. */
int expr_eval_bool(const struct expr *x, const struct expr_env *env);
/* v as a condition: 1 or 0 (the rules above). */
int expr_truthy(const struct expr_value *v);
/* v as text, the way a calculation is stored: "" for empty, numbers in shortest form ("7",
 * "0.015"), booleans "1"/"0", dates "YYYY-MM-DD". Returns v->str or buf (size >= 32). */
const char *expr_value_text(const struct expr_value *v, char *buf, size_t size);
/* s as a number, the way arithmetic reads it: a decimal number, or an ISO date YYYY-MM-DD as
 * days since 1970-01-01. 0 on success, -1 if s is neither. */
int expr_to_number(const char *s, double *out);

/* ================================================================ forms */

/* Row types (the XLSForm `type` column). */
enum form_type {
    FORM_INTEGER = 0,
    FORM_DECIMAL,
    FORM_TEXT,
    FORM_SELECT_ONE,
    FORM_SELECT_MULTIPLE,
    FORM_DATE,
    FORM_GEOPOINT,
    FORM_IMAGE, /* a photo: the answer is the attachment's file name (seed 002 六(四) 照片) */
    FORM_AUDIO, /* a recording: the attachment's file name (seed 002 六(四) 录音资料) */
    FORM_NOTE,
    FORM_CALCULATE,
    FORM_BEGIN_GROUP,
    FORM_END_GROUP,
    FORM_BEGIN_REPEAT,
    FORM_END_REPEAT,
    FORM_TYPE_COUNT
};

enum form_severity { FORM_ERROR = 0, FORM_WARNING = 1 };

/* Units of observation a form may describe. */
#define FORM_UNITS                                                                         \
    "household_registered|household_general|village|township|problem|project|records|cadre"

/* One check of a question: a constraint (an error) or a pinggu `checks` entry. */
struct form_check {
    struct expr *expr; /* arena; true = passes */
    enum form_severity severity;
    const char *msg_zh; /* arena; may be NULL (a generic message is used) */
    const char *msg_en; /* arena; may be NULL */
};

struct form_choice {
    const char *name; /* arena: the stored value, e.g. "yes" */
    const char *zh;   /* arena: label::zh, e.g. "是" */
    const char *en;   /* arena: label::en */
};

struct form_list {
    const char *name;            /* arena: the list name, e.g. "yes_no" */
    struct form_choice *choices; /* arena, in paper order (choice k is the paper's number k+1) */
    size_t n;
    int used; /* some question uses the list */
};

/* One survey row. Indices are positions in form.rows (= survey[i] in the file). */
struct form_row {
    enum form_type type;
    const char *name;              /* arena; NULL for end_group / end_repeat */
    const char *zh, *en;           /* arena: labels (may be NULL) */
    const char *hint_zh, *hint_en; /* arena, may be NULL */
    const char *seed_ref;          /* arena, may be NULL: where in the seed it comes from */
    int list;                      /* selects: index into form.lists; else -1 */
    int required;                  /* 1 if required is the constant true */
    int personal;                  /* 1: the answer identifies a person (masked on review) */
    struct expr *required_if;      /* arena: required as an expression, or NULL */
    struct expr *relevant;         /* arena, or NULL (always relevant) */
    struct expr *calculation;      /* arena: calculate rows */
    struct form_check *checks;     /* arena: the constraint first, then `checks` */
    size_t nchecks;
    int parent; /* enclosing begin_group/begin_repeat row, -1 at top level */
    int repeat; /* enclosing begin_repeat row (not the row itself), -1: none */
    int end;    /* begin rows: the matching end row; else -1 */
};

/* A loaded, checked form. Immutable after form_load; every string lives in its arena. */
struct form {
    struct arena arena;
    const char *path;         /* the file name as given (messages) */
    const char *id, *version; /* form_id, version */
    const char *title_zh, *title_en;
    const char *unit; /* one of FORM_UNITS */
    const char *source, *notes;
    struct form_row *rows; /* survey[], in order */
    size_t nrows;
    struct form_list *lists; /* choices, in file order */
    size_t nlists;
    int *calc_order; /* calculate rows in dependency order */
    size_t ncalc;
    int *index; /* private: open-addressing name -> row table */
    size_t index_cap;
};

/* Loads and checks the form file at path (or the JSON text of length len, named `name` in
 * messages). Every problem goes to errs (errors) or warns (warnings; may be NULL) as
 * "PATH: JSON.PATH: reason", e.g. "forms/x.json: survey[12].relevant: unknown question
 * ${water_okk} at offset 3". On success returns 0 and *out (caller owns it: form_free).
 * Otherwise returns ERR_IO (unreadable), ERR_PARSE (not JSON) or ERR_INVALID (rules broken),
 * *out is NULL and e holds the first error. Warnings never fail a load. */
int form_load(const char *path, struct form **out, struct errlist *errs, struct errlist *warns,
              struct error *e);
int form_load_mem(const char *name, const char *text, size_t len, struct form **out,
                  struct errlist *errs, struct errlist *warns, struct error *e);
void form_free(struct form *f);

/* The row named name, or -1. */
int form_find(const struct form *f, const char *name);
/* The list of a select row (borrowed from f), or NULL. */
const struct form_list *form_row_list(const struct form *f, int row);
/* Static name of a type ("select_one", "begin_group", ...). */
const char *form_type_name(enum form_type t);
/* 1 if rows of type t take an answer (not note, group or repeat markers). */
#define FORM_LAST_QUESTION FORM_AUDIO /* integer .. audio are the questions a person answers */
int form_type_answers(enum form_type t);

/* Languages for form_outline. */
enum { FORM_LANG_ZH = 1, FORM_LANG_EN = 2, FORM_LANG_BOTH = 3 };
/* Appends a readable outline of f (groups, questions with their labels in the languages
 * asked for, types, choices, skip logic and checks) to sb. Returns sb_ok(sb). */
int form_outline(const struct form *f, int langs, struct strbuf *sb);

/* ---------------------------------------------------------------- XForms (xform.c, xpath.c) */

/* How expr_xpath writes a reference: the form knows where each question lives. */
enum xpath_as { XPATH_VALUE = 0, XPATH_BOOL }; /* a value (calculate) or a condition */
/* What an answer holds: text (also choices), a number (integer, decimal) or a date */
enum { XPATH_KIND_TEXT = 0, XPATH_KIND_NUMBER, XPATH_KIND_DATE };
struct xpath_env {
    void *ctx;
    /* Appends the XPath of ref, as seen from the node the expression belongs to. */
    int (*path)(void *ctx, const struct expr_ref *ref, struct strbuf *sb, struct error *e);
    /* XPATH_KIND_NUMBER for integer and decimal answers (and numeric calculations),
     * XPATH_KIND_DATE for dates, else XPATH_KIND_TEXT. */
    int (*kind)(void *ctx, const struct expr_ref *ref);
    int self_kind;       /* the kind of '.' */
    const char *self;    /* the XPath of '.'; NULL: "." */
    const char *today;   /* the reference date YYYY-MM-DD that today() stands for; NULL: refused */
};
/* Appends to out the XPath 1.0 (ODK XForms) translation of x: as a condition (relevant,
 * required, constraint) or as a value (calculate). The translation is exact or refused: where
 * pinggu's value rules (above) cannot be written in XPath, returns ERR_INVALID with the reason
 * and nothing is appended. *kind (may be NULL) receives what x's value is when stored as a
 * calculation and read back (XPATH_KIND_*). Rules and wrappers: xpath.c, docs/forms.md §5. */
int expr_xpath(const struct expr *x, const struct xpath_env *env, enum xpath_as as,
               struct strbuf *out, int *kind, struct error *e);

struct answers; /* validate.c; see "answers" below */

/* What a submission says about itself (OpenRosa): its form, and the instance's identity. */
struct submission_meta {
    char form_id[128], version[64];
    char instance_id[128];   /* meta/instanceID, e.g. "uuid:…" ("" if absent) */
    char deprecated_id[128]; /* meta/deprecatedID: the instance this one edits ("" if none) */
    /* the visit block of a field-app form (xform_opts.field_app); "" when absent */
    char unit[64], status[32], reason[32];
    int has_visit;           /* the instance had a <visit> element */
};
/* Reads an XForm instance (the XML a field app submits, in the layout form_xform writes) into
 * a, which must be fresh or reset, for answers_validate. xml is outside input: no DOCTYPE, no
 * entities, no network, depth and element count bounded (submission.c). 0; ERR_PARSE with the
 * element path ("/data/info/member/age: …") for XML that is not well formed or not this
 * form's layout; ERR_INVALID when the instance names another form or version. m is filled as
 * far as it was read. The caller bounds len. */
int submission_parse(const struct form *f, const char *xml, size_t len, struct answers *a,
                     struct submission_meta *m, struct error *e);
/* Initialises libxml2 once; a threaded program (the server) calls it before its threads
 * start, since libxml2's lazy initialisation is not safe to race. Harmless when repeated. */
void submission_global_init(void);

struct xform_opts {
    const char *today; /* the reference date today() stands for (YYYY-MM-DD), or NULL */
    int field_app;     /* 1: the form a field app downloads over OpenRosa — a first group
                        * visit/unit (select_one_from_file units.csv), visit/status (complete,
                        * nonresponse) and visit/reason, every top-level row relevant only to a
                        * complete visit (docs/openrosa.md) */
};
/* Appends to sb the ODK XForm (XForms 1.0 with ODK's extensions) of f: the instance with
 * meta/instanceID, a bind per question (type, relevant, required, constraint with its
 * messages, calculate), labels and hints in Chinese and English through itext, choice lists,
 * the repeat, photo and audio questions as uploads; a pinggu warning check becomes a note that
 * shows while the check fails (named NAME__warnK). Returns 0, ERR_INVALID with
 * "survey[i].FIELD: reason" in e when an expression has no exact translation (nothing is
 * appended then), or ERR_NOMEM. The caller owns sb. */
int form_xform(const struct form *f, const struct xform_opts *o, struct strbuf *sb,
               struct error *e);

/* ================================================================ answers */

/*
 * One questionnaire's answers: name -> raw text, as a paper form is keyed in. select_multiple
 * answers are space-separated choice names (XLSForm); repeat instances (household members)
 * are numbered 0, 1, 2... and hold the answers of the questions inside the repeat.
 * answers_validate normalises the answers in place (choice labels and paper numbers become
 * choice names, dates become YYYY-MM-DD), drops answers to questions that are not relevant,
 * recomputes calculations and lists the issues found. Reading afterwards: answers_get /
 * answers_value give the normalised text, NULL when unanswered.
 */
struct answers; /* opaque (validate.c) */

enum answers_mode {
    ANSWERS_STRICT = 0, /* an answer to a non-relevant question: warning, and dropped */
    ANSWERS_LENIENT     /* such answers are dropped silently */
};

enum issue_kind {
    ISSUE_UNKNOWN = 0,  /* an answer to a name the form does not have */
    ISSUE_NO_ANSWER,    /* an answer to a note, group or repeat */
    ISSUE_TYPE,         /* not an integer / number / date / location */
    ISSUE_CHOICE,       /* not a choice of the question's list */
    ISSUE_REQUIRED,     /* a required, relevant question is unanswered */
    ISSUE_NOT_RELEVANT, /* an answer to a question that is not relevant (strict mode) */
    ISSUE_CHECK,        /* a constraint or check failed */
    ISSUE_CALCULATE     /* a submitted calculated value differed and was replaced */
};

struct issue {
    enum issue_kind kind;
    enum form_severity severity;
    const char *name; /* the question (borrowed from the form, or arena for unknown names) */
    int row;          /* form row, -1 for unknown names */
    long instance;    /* repeat instance (0-based), -1 outside repeats */
    int check;        /* ISSUE_CHECK: index into the row's checks; else -1 */
    const char *zh;   /* arena: message in Chinese */
    const char *en;   /* arena: message in English */
};

/* The issues of one or more validations. */
struct issues {
    struct issue *items; /* owned */
    size_t n, cap;
    size_t errors, warnings;
    struct arena arena; /* messages and names */
};
void issues_init(struct issues *is);
void issues_reset(struct issues *is); /* n = 0; keeps the allocation */
void issues_release(struct issues *is);
/* The first issue about name (and instance, -1 for none) or NULL. Borrowed. */
const struct issue *issues_find(const struct issues *is, const char *name, long instance);

/* A new, empty questionnaire for form f (borrowed: must outlive it). Caller owns *out
 * (answers_free). */
int answers_new(const struct form *f, struct answers **out, struct error *e);
void answers_free(struct answers *a);
/* Forgets every answer (keeps allocations), for the next questionnaire of the same form. */
void answers_reset(struct answers *a);
/* Sets the answer to name (top level; text copied). A name the form does not have, or a
 * question inside a repeat, is remembered and reported by answers_validate as an error.
 * text NULL clears. Returns 0 or ERR_NOMEM. */
int answers_set(struct answers *a, const char *name, const char *text);
/* Appends an instance of repeat `repeat` and returns its index in *instance. ERR_NOTFOUND if
 * the form has no such repeat. */
int answers_add_instance(struct answers *a, const char *repeat, long *instance);
/* Sets name inside instance `instance` of the repeat that holds name. An unknown name is
 * remembered (error at validation); ERR_NOTFOUND if the instance does not exist. */
int answers_set_in(struct answers *a, const char *name, long instance, const char *text);

/* Validates and normalises the answers (rules: docs/forms.md "Validation"). `today` is the
 * reference date YYYYMMDD for today(). Issues are appended to `is`. Returns 0 (whatever was
 * found) or ERR_NOMEM. */
int answers_validate(struct answers *a, enum answers_mode mode, int today, struct issues *is,
                     struct error *e);

/* The answer to name at top level, or NULL (unanswered, or not a top-level question).
 * Borrowed: valid until the answers change. */
const char *answers_get(const struct answers *a, const char *name);
/* The answer to row `row` (form_find) in instance `instance` (-1 at top level), or NULL. */
const char *answers_value(const struct answers *a, int row, long instance);
/* The number of instances of the repeat named repeat (0 if none or unknown). */
long answers_instances(const struct answers *a, const char *repeat);
/* The form the answers belong to (borrowed). */
const struct form *answers_form(const struct answers *a);

/* ================================================================ fieldwork */
/*
 * Questionnaires of a stored sample (field.c, docs/fieldwork.md). A questionnaire names its
 * sampled unit (a household id, a village or township code), the form, the team and pair, the
 * date, the duration and optional GPS, and a status: complete, or nonresponse with a reason
 * (away, refused, moved, dead, no_such_household) — the unit is then replaced by the next
 * reserve unit of its stratum in ticket order. Answers are validated against the form on the
 * way in, always; a file is imported all or nothing; a questionnaire imported again replaces
 * the earlier version, which stays readable in the change log.
 */

/* Non-response reason codes, in order; field_reason_parse accepts code or Chinese label. */
extern const char *const field_reasons[5];
const char *field_reason_parse(const char *s);

struct field_stats {
    int review;             /* in: the questionnaires enter two-level review as submitted
                             * (--review, review.c); 0: approved by the importing office user */
    int64_t questionnaires; /* stored (complete) */
    int64_t replaced;       /* earlier versions replaced */
    int64_t nonresponse;    /* units not reached */
    int64_t replacements;   /* reserve units activated */
    int64_t unreplaced;     /* not reached and no reserve left */
    int64_t warnings;       /* issues of severity warning stored with the questionnaires */
    int64_t members;        /* repeat instances */
    int64_t evidence;       /* evidence files linked (simulation) */
    int64_t withdrawn;      /* reserves withdrawn: the household they replaced was reached late */
    int64_t superseded;     /* questionnaires of withdrawn reserves, kept as superseded */
};

/* Imports FILE.csv (one row per questionnaire: the meta columns unit, team, pair,
 * duration_min, status, reason, then the form's questions) and, for a form with a repeat,
 * FILE.members.csv beside it (unit, member = 1-based instance, the repeat's questions).
 * Errors — an unknown choice, a missing required answer, a broken constraint, a unit not in
 * the sample — are listed in errs as "file:line: field: reason" and nothing is written
 * (ERR_INVALID). `strict`: an answer to a question that is not relevant is a warning and is
 * dropped (lenient: dropped silently). `today`: reference date for today() and dates. */
int field_import(struct store *s, const char *sample, const struct form *f, const char *csv,
                 int strict, int today, struct field_stats *st, struct errlist *errs,
                 struct error *e);
/* field_import inside a transaction the caller opened (ERR_INTERNAL if none is open), so the
 * questionnaire and whatever the caller writes with it (an OpenRosa instance, its
 * attachments, an Idempotency-Key's answer) commit or roll back together; field_import is
 * begin + this + commit. On any error the caller must roll back (what was written so far is
 * not undone here). source, if non-NULL, is stored as every questionnaire's
 * questionnaires.source and in the change-log key instead of "CSV:LINE" (a submission names
 * itself, e.g. "openrosa:uuid:…", not the temporary file it passed through). */
int field_import_tx(struct store *s, const char *sample, const struct form *f, const char *csv,
                    const char *source, int strict, int today, struct field_stats *st,
                    struct errlist *errs, struct error *e);

/* field_import_tx of the two files held in memory (borrowed for the call): csv as FILE.csv,
 * members (NULL: no members file) as FILE.members.csv; `name` stands for FILE.csv in
 * messages. The server's JSON submissions use it: the same checks and writes as the files,
 * without a temporary folder per submission (issue 11). */
/* The units cache of field import (off by default; the server turns it on at start and off at
 * shutdown, when no import runs): a sample's units — written once with the sample, never
 * changed — are read from the store once per process (per store, sample and draw
 * commitment), not once per questionnaire. What changes (replacements, questionnaires
 * already stored) is still read from the store on every import, so the checks are the same.
 * Turning it off frees what it holds. */
void field_unit_cache(int on);

struct field_csv_mem {
    const char *name;
    const char *csv;
    size_t csvlen;
    const char *members;
    size_t mlen;
};
int field_import_mem_tx(struct store *s, const char *sample, const struct form *f,
                        const struct field_csv_mem *in, const char *source, int strict, int today,
                        struct field_stats *st, struct errlist *errs, struct error *e);

/* A questionnaire submitted as JSON (docs/api.md, POST /api/rounds/R/questionnaires: an
 * object {"form": NAME, "questionnaire": {KEY: ANSWER, ...}, "members": [{...}, ...]}) read
 * in one pass (yajl's events, subjson.c) into the two files field_import_prepare reads: csv
 * (the questionnaire's keys, then its answers) and members_csv (the union of the members'
 * keys in first-seen order, a line per member; empty when "members" is absent or empty).
 * Answers are strings, numbers (integers "%lld", reals "%.17g"), booleans (1, 0) or null
 * (an empty cell), as they were when the server read the body with jansson. What the shape
 * lacks is reported, not failed, so the caller answers in its own order: */
struct json_submission {
    const char *form;              /* "form" when a string, else NULL */
    const char *unit;              /* the questionnaire's "unit" when a string, else NULL */
    int questionnaire;             /* "questionnaire" is an object */
    int members;                   /* "members": 0 absent, 1 an array, -1 anything else */
    int member_not_object;         /* an item of "members" is not an object */
    const char *bad_answer;        /* the questionnaire's first array- or object-valued key */
    const char *bad_member_answer; /* the members' first (member by member, keys in order) */
    struct strbuf csv, members_csv;
    int malformed;                 /* 1: refused as JSON (ERR_INVALID), at line and column */
    long line, column;
    struct arena arena;            /* holds the strings above */
};
/* Reads body (len bytes, borrowed for the call) into *out (the caller's; release it with
 * submission_json_release whatever the result). 0; ERR_INVALID (out->malformed) when the
 * body is not one JSON object — jansson's refusals: not JSON or not UTF-8, a key twice in
 * one object, \u0000 or half a surrogate pair, an integer beyond long long or a real that
 * overflows, nesting deeper than 2048 — with the place in e's message; ERR_NOMEM. */
int submission_json(const char *body, size_t len, struct json_submission *out, struct error *e);
void submission_json_release(struct json_submission *s);

/* field_import_mem_tx in two steps, so that a caller can do the first without any lock
 * (the server: on the request's thread, outside its writer queue; issue 11).
 * field_import_prepare reads the two files and makes every check that needs no store — the
 * CSV, a unit twice, team, duration, status and reason, the members' numbering, the answers
 * against the form (types, choices, ranges, constraints, skip logic), household_id — and
 * keeps what they found, reporting nothing yet. Returns 0 with *out (the caller's, freed with
 * field_prepared_free; f is borrowed and must outlive it), or ERR_NOMEM. Errors in the files
 * are not its failures: they are reported by the second step.
 * field_import_prepared_tx, inside the caller's transaction (ERR_INTERNAL if none is open, or
 * if p was stored already: once per p), makes the checks that read the store — the unit is in
 * the sample, active, of the form's kind; set aside by resolve; late interviews — reports
 * every error where field_import_mem_tx reports it, and writes. Both steps together give
 * exactly field_import_mem_tx's errors, rows and change log (field_import runs them so). */
struct field_prepared; /* opaque (field.c) */
int field_import_prepare(const struct form *f, const struct field_csv_mem *in,
                         const char *source, int strict, int today, struct field_prepared **out,
                         struct error *e);
int field_import_prepared_tx(struct store *s, const char *sample, struct field_prepared *p,
                             struct field_stats *st, struct errlist *errs, struct error *e);
void field_prepared_free(struct field_prepared *p);

/* field_import without a store (s NULL, as the fuzz target runs it): reads and checks FILE.csv
 * and FILE.members.csv against the form alone, every unit taken as a selected unit of the
 * form's kind; counts into *st, writes nothing. */
int field_check(const struct form *f, const char *csv, int strict, int today,
                struct field_stats *st, struct errlist *errs, struct error *e);

/* The office's decision for a household first recorded as not reached and interviewed after
 * all (resolve.c, docs/fieldwork.md §3). `field import` keeps the household and withdraws the
 * reserves its non-response had activated (their questionnaires: status 'superseded');
 * keep_reserve = 1 sets the household's questionnaire aside (superseded) and puts its reserves
 * back, keep_reserve = 0 undoes that. Every change is written through the change log with the
 * decision and `note` in its detail. ERR_INVALID when there is nothing to resolve or a reserve
 * has meanwhile been activated for another household. */
struct field_resolution {
    int64_t reserves;   /* reserves of the chain put back (keep reserve) or withdrawn */
    int64_t superseded; /* questionnaires set to superseded */
    int64_t restored;   /* questionnaires put back in force */
    char chain[512];    /* the reserves, blank-separated */
};
int field_resolve(struct store *s, const char *sample, const char *unit, int keep_reserve,
                  const char *note, struct field_resolution *r, struct error *e);

/* Simulates the fieldwork of a stored sample from synth's truth.csv (never imported into the
 * registry): a questionnaire for every sampled household (registered-household or
 * general-household form) and village (village-exit), answers derived from the truth and the
 * registry, with `error_rate` the probability that an enumerator's error reverses the
 * household's decisive finding and `nonresponse` the probability that a unit is not reached
 * (then its reserve is tried). Answers go through the same validation and storage as
 * field_import; with out_dir they are also written as CSV files field_import reads. Forms are
 * read from forms_dir. Deterministic for the seed. */
int field_simulate(struct store *s, const char *sample, const char *truth_csv, uint64_t seed,
                   double error_rate, double nonresponse, const char *forms_dir,
                   const char *out_dir, struct field_stats *st, struct error *e);

/* Prints response rates per county and quota (selected, reached, not reached by reason,
 * replaced) and field-quality warnings per team: implausible interview durations, GPS far
 * from the village's other interviews, questionnaires without the required evidence. */
int field_status(struct store *s, const char *sample, FILE *f, struct error *e);

/* The fieldwork's progress as figures (progress.c), the counts field_status prints: per
 * county, households selected (due), reached (done), not reached, replaced (a reserve
 * reached instead) and the rates reached/selected and replaced/selected; per county and
 * team, the current questionnaires by review state (field_review_states). The caller owns
 * *out (field_progress_release), also on failure (then empty). */
#define FIELD_REVIEW_STATES 5
extern const char *const field_review_states[FIELD_REVIEW_STATES];
struct field_county_progress {
    int county;
    int64_t selected, reached, not_reached, replaced;
    double response_rate, replacement_rate;
};
struct field_team_progress {
    int county, team;
    int64_t questionnaires, state[FIELD_REVIEW_STATES];
};
struct field_progress {
    struct field_county_progress *counties;
    size_t ncounties;
    struct field_team_progress *teams;
    size_t nteams;
};
int field_progress(struct store *s, const char *sample, struct field_progress *out,
                   struct error *e);
void field_progress_release(struct field_progress *p);

/* ================================================================ evidence */
/*
 * Photos, audio and documents (evidence.c): stored once by SHA-256 content address in the
 * blob folder beside the store (DB.evidence/ab/cdef…), linked to units, questionnaires and
 * problems; never altered. evidence_verify re-hashes every blob.
 */

/* The blob folder of a store ("x.db" -> "x.db.evidence"). Caller frees. */
char *evidence_dir(struct store *s);
/* Adds files as evidence of `unit`. Each blob is copied once (deduplicated by content) and
 * linked to every questionnaire of the unit in force (not superseded) in the sample named
 * `sample` (NULL: in any sample) — or, when the unit has none yet, to the unit alone
 * (questionnaire 0). *nlinked: the questionnaires linked. A missing file or a folder is
 * ERR_INVALID, ERR_NOTFOUND an unknown sample; nothing is written then. Writes the SHA-256 of
 * each file into hashes[i] if non-NULL. Files are streamed (hashed and copied in 64 KiB
 * chunks to a temporary, then renamed): memory does not grow with a file's size. */
int evidence_add(struct store *s, const char *unit, const char *sample, const char *const *files,
                 size_t nfiles, char (*hashes)[65], int64_t *nlinked, struct error *e);
/* evidence_add in two steps, so the expensive one runs outside a writer's lock (the server's
 * OpenRosa attachments): evidence_stage streams the file at path into a temporary of the
 * store's blob folder, hashing it and syncing it to disk — no store row, nothing the store's
 * transaction sees; evidence_add_staged then places each staged blob at its address and links
 * it as evidence_add does (names[i]: the name recorded for st[i]), inside the caller's
 * transaction if one is open. evidence_staged_release removes a temporary not placed (a
 * refusal, a failure); a placed one is released already. out->tmp is owned by out. */
struct evidence_staged {
    char hash[65]; /* SHA-256 of the content, hex */
    size_t size;
    char *tmp;     /* the staged temporary's path; NULL once placed or released */
};
int evidence_stage(struct store *s, const char *path, struct evidence_staged *out,
                   struct error *e);
int evidence_add_staged(struct store *s, const char *unit, const char *sample,
                        const char *const *names, struct evidence_staged *st, size_t n,
                        int64_t *nlinked, struct error *e);
void evidence_staged_release(struct evidence_staged *st);
/* Adds in-memory blobs, blob i as evidence of units[i] / questionnaires[i], in one
 * transaction (simulation, tests). */
int evidence_add_blobs(struct store *s, size_t n, const char *const *units,
                       const int64_t *questionnaires, const char *const *names,
                       const void *const *data, const size_t *lens, struct error *e);

/* Like evidence_add, inside the caller's transaction, linking each file to problem `problem`
 * (a problems row) of `unit`: the problem stage's moves carry their evidence this way, so the
 * move and its evidence commit or roll back together. A file that cannot be read is ERR_IO
 * naming it. Writes the SHA-256 of each file into hashes[i] if non-NULL. */
int evidence_add_problem(struct store *s, const char *unit, int64_t problem,
                         const char *const *files, size_t nfiles, char (*hashes)[65],
                         struct error *e);

struct evidence_report {
    int64_t blobs, bytes, links;
    int64_t changed, missing;
    char first[512]; /* the first blob that changed or vanished */
};
/* Re-hashes every blob; 0 if all match, ERR_VERIFY naming the first that changed or vanished. */
int evidence_verify(struct store *s, struct evidence_report *r, struct error *e);

/* ================================================================ review (review.c) */

/*
 * The two-level review of questionnaires (DESIGN §10): submitted -> approved_by_leader or
 * rejected_by_leader (back to the pair, a comment per question) -> approved_by_office or
 * rejected_by_office (back to the leader). A questionnaire loaded by field import/simulate
 * without --review is approved by the importing office user. While rejected, its status is
 * 'rejected' and no estimate counts it. Rules and storage: review.c, docs/fieldwork.md.
 */
struct review_req {
    const char *sample, *unit;
    const char *form;               /* the form id, or NULL when the unit has one questionnaire */
    const char *to;                 /* the state asked for */
    const char *role;               /* "leader" or "office" (the CLI's --as; the server's role) */
    const char *actor;              /* who */
    const char *note;               /* may be NULL */
    const char *const *comments;    /* "QUESTION=TEXT" each */
    size_t ncomments;
};
/* Makes the move r asks for, in one transaction through the change log. An illegal move (from
 * the questionnaire's state, or by the wrong role) returns ERR_INVALID naming the legal ones
 * (also appended to legal); nothing is written. ERR_NOTFOUND for an unknown sample or unit. */
int review_move(struct store *s, const struct review_req *r, struct strbuf *legal,
                struct error *e);
/* Makes the move r asks for (r->unit and r->form ignored) for every current questionnaire of
 * r->sample whose state is `from`, all in one transaction (all or none: the first illegal move
 * refuses the lot and names it, as review_move would). *n gets how many moved (0: none in
 * `from`, not an error). The office's bulk approval (pinggu field review --all-in STATE). */
int review_move_all(struct store *s, const struct review_req *r, const char *from,
                    long long *n, struct error *e);
/* The answers of unit's current questionnaire of form f in sample, for the reviewer: a JSON
 * array (caller owns it, json_decref) of {name, instance, label_zh, label_en, value,
 * personal}, in stored order. Answers of `personal` questions (names, signatures) are masked
 * (mask_name) unless unmasked_by is not NULL, in which case the read is first logged in the
 * change log ("answers read", unit, with unmasked_by saying how, e.g. "api 1.2.3.4").
 * ERR_NOTFOUND for an unknown sample, unit or questionnaire. */
struct json_t; /* jansson's */
int review_answers(struct store *s, const char *sample, const char *unit, const struct form *f,
                   const char *unmasked_by, struct json_t **out, struct error *e);
/* Inside the caller's transaction: the questionnaires rows[0..n) (just stored) enter review
 * as submitted by the acting user; one change-log entry (action, key). */
int review_submit_rows(struct store *s, int64_t sample, const int64_t *rows, size_t n,
                       const char *action, const char *key, struct error *e);
/* Prints each current questionnaire of the sample with its review state (only those in
 * `state` when not NULL), who moved it last, when, and the comments; then the counts per
 * state (counts_only: just those). json: an array of objects instead. */
int review_list(struct store *s, const char *sample, const char *state, int json,
                int counts_only, FILE *f, struct error *e);
/* The number of current questionnaires of a sample in each review state, and the OpenRosa
 * duplicates held for the leader. Questionnaires loaded by the office count as approved by it. */
struct review_counts {
    long long submitted, approved_by_leader, rejected_by_leader, approved_by_office,
        rejected_by_office, duplicates;
};
/* Fills *out (the caller's) for the sample: 0 or the error. */
int review_count(struct store *s, const char *sample, struct review_counts *out, struct error *e);
/* Prints the table of legal moves. */
void review_print_moves(FILE *f);

/* ================================================================ day plan (dayplan.c) */

/* The leader's day plan (issue 13: "the team's assignments per pair and day"): which pair of
 * evaluators visits which sampled unit on which day, shown on the evaluator's "today's
 * households". Stored append-only in day_assignments (schema v14): a unit's latest row is in
 * force. */
struct day_assignment {
    char unit[64];
    int county;
    int day;          /* YYYYMMDD */
    char pair[160];   /* one or two user names, one space between */
    char set_by[64];
};
/* Sets unit `unit` of round `round` for day `day` (YYYYMMDD) to `pair` (one or two user names
 * separated by spaces or a comma; each letters, digits, '.', '_' or '-'), change-logged with
 * `actor`. ERR_NOTFOUND: no such round or unit; ERR_INVALID: a malformed pair or day, or a
 * reserve not activated by a recorded non-response (it is nobody's to visit yet). *county (may
 * be NULL) gets the unit's county. Nothing is written on error. */
int dayplan_set(struct store *s, const char *round, const char *unit, int day, const char *pair,
                const char *actor, int *county, struct error *e);
/* The plan in force for round `round`, by day then unit. Caller owns *out (mem_free). A store
 * before schema v14 has an empty plan. */
int dayplan_list(struct store *s, const char *round, struct day_assignment **out, size_t *n,
                 struct error *e);
/* 1 if user `name` is one of the pair. */
int dayplan_in_pair(const struct day_assignment *a, const char *name);

/* ================================================================ OpenRosa instances (instance.c) */

/* An XForm instance as received over OpenRosa (docs/openrosa.md). */
struct xform_instance {
    char instance_id[128], sample[64], form[128], unit[64], user[64];
    char sha[65];            /* SHA-256 of the XML as received */
    char deprecated_id[128]; /* the instance this one replaces ("" if none) */
    char held[16];           /* "", "duplicate" (held for the leader), "kept", "discarded" */
};
/* The stored instance `instance_id` into *out (and its XML into *xml, caller frees with
 * mem_free, when xml is non-NULL). ERR_NOTFOUND if none. */
int instance_find(struct store *s, const char *instance_id, struct xform_instance *out,
                  char **xml, struct error *e);
/* Stores an instance row through the change log with the connection's actor: inside the
 * caller's transaction if one is open (the OpenRosa submission: one transaction from the
 * instanceID look-up to the last attachment), else in one of its own. A second row with the
 * same instance ID fails (unique index). */
int instance_store(struct store *s, const struct xform_instance *in, const char *xml,
                   size_t len, struct error *e);
/* *has = 1 when the instance already has an attachment called name. */
int instance_has_attachment(struct store *s, const char *instance_id, const char *name,
                            int *has, struct error *e);
/* Stores the file at path as evidence of the instance's unit (evidence_add: linked to the
 * unit's questionnaires in force) and records it as the instance's attachment `name`; inside
 * the caller's transaction if one is open, as instance_store. */
int instance_attach(struct store *s, const struct xform_instance *in, const char *name,
                    const char *path, struct error *e);
/* instance_attach of a file staged already (evidence_stage, outside the writer's lock),
 * recorded under the evidence name evname; st is placed (its temporary gone) on success. */
int instance_attach_staged(struct store *s, const struct xform_instance *in, const char *name,
                           const char *evname, struct evidence_staged *st, struct error *e);
/* The pair (user) whose questionnaire of form `form` for `unit` is in force in the sample:
 * *found = 0 when there is none. */
int instance_unit_pair(struct store *s, const char *sample, const char *unit, const char *form,
                       char pair[64], int *found, struct error *e);
/* Parses an instance of form f (submission_parse), writes its CSV files in a private temporary
 * folder and runs field_import_tx on them inside the caller's transaction (st->review as the
 * caller set it; source "openrosa:INSTANCEID"), with `pair` as the questionnaire's pair; the
 * caller rolls back on error. check_only: field_check instead (the form's rules, nothing
 * written, no transaction needed).
 * ERR_PARSE (the XML), ERR_INVALID (the rules: errs lists them) or 0; m gets the meta. */
int instance_import(struct store *s, const char *sample, const struct form *f, const char *xml,
                    size_t len, const char *pair, int check_only, struct submission_meta *m,
                    struct field_stats *st, struct errlist *errs, struct error *e);
/* The team leader's decision on a duplicate held for it (DESIGN §10): keep = 1 stores the
 * held instance as the unit's questionnaire (through field_import: it enters review as
 * submitted; the one in force stays in the change log) and marks it 'kept'; keep = 0 marks
 * it 'discarded'. Forms are read from forms_dir. ERR_NOTFOUND if no such duplicate is held. */
int instance_resolve(struct store *s, const char *sample, const char *instance_id, int keep,
                     const char *forms_dir, struct errlist *errs, struct error *e);
/* Writes the answers a (submission_parse'd, not yet validated) of a field-app instance as the
 * CSV files field_import reads: csv (unit, pair, status, reason, then every top-level
 * question) and, when the repeat has instances, members_csv (*has_members = 1). */
int instance_csv(const struct answers *a, const struct submission_meta *m, const char *pair,
                 const char *csv, const char *members_csv, int *has_members, struct error *e);
/* instance_csv in memory: the two files' text into *csv and *members (the caller's strbufs,
 * replaced; members left empty when the repeat has no instance), for field_import_prepare. */
int instance_csv_mem(const struct answers *a, const struct submission_meta *m, const char *pair,
                     struct strbuf *csv, struct strbuf *members, struct error *e);

#endif
