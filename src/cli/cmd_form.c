/*
 * cmd_form.c — `pinggu form check|show|validate|xform`: questionnaires (survey.h, docs/forms.md).
 *
 *   check FILE...   loads and checks each form; prints every problem with its JSON path
 *                   ("forms/x.json: survey[12].relevant: unknown question ${q} at offset 3");
 *                   exit 0 if all are sound, 2 if any has errors (or warnings with --strict),
 *                   1 if a file cannot be read.
 *   show FILE       prints an outline of the form in Chinese, English or both.
 *   validate FORM ANSWERS.json
 *                   validates one questionnaire's answers (a JSON object name -> value, a
 *                   repeat as an array of such objects) and prints the issues; exit 2 if any
 *                   is an error. For trying a form out; bulk field import is not this command.
 *   xform FILE      writes the form as an ODK XForm (xform.c, xpath.c) for the field apps;
 *                   exit 2 when an expression has no exact XPath translation (named by path).
 *
 * Uses only the public survey.h (curl's src/tool_* discipline).
 */
#include "cli.h"
#include "../survey/survey.h"

#include <jansson.h>
#include <string.h>

static const char help[] =
    "usage: pinggu form check [--strict] FILE...\n"
    "       pinggu form show FILE [--lang zh|en|both]\n"
    "       pinggu form validate FORM ANSWERS.json... [--lenient] [--today YYYY-MM-DD]\n"
    "                            [--lang zh|en|both] [--print] [--json]\n"
    "       pinggu form xform FILE [--today YYYY-MM-DD] [--out FILE.xml]\n\n"
    "check     checks questionnaire files / 检查问卷文件: JSON syntax, groups balanced, names\n"
    "          unique, choice lists, every expression parsed and every ${reference} resolved,\n"
    "          types fitting. Problems are printed as FILE: JSON.PATH: reason. Exit 0 if every\n"
    "          file is sound, 2 if any has errors, 1 if a file cannot be read. Warnings\n"
    "          (missing English label, unknown key, unused list) fail only with --strict.\n"
    "show      prints an outline of the form / 显示问卷大纲: groups, questions, choices, skip\n"
    "          logic and checks, with Chinese and/or English labels (--lang, default both).\n"
    "validate  validates one questionnaire / 校验一份问卷: ANSWERS.json is an object of\n"
    "          name -> answer (text, number; a repeat is an array of objects), or a file\n"
    "          NAME.xml a field app's submission (the XForm instance). Prints each\n"
    "          issue; --print also prints the normalised answers as JSON. Strict mode (default)\n"
    "          warns about answers to questions that are not relevant; --lenient drops them\n"
    "          silently. --today sets the reference date of today() (default: PINGGU_TODAY or\n"
    "          the clock). --json prints one JSON line per ANSWERS file instead (several files\n"
    "          allowed): the issues (kind, severity, question, instance, check) and the\n"
    "          normalised answers. Exit 0 if there is no error, 2 otherwise.\n"
    "xform     writes the form as an ODK XForm / 生成 ODK XForm 表单 (ODK Collect, KoboCollect,\n"
    "          ODK Web Forms): labels in Chinese and English, skip logic, constraints with their\n"
    "          messages, the members' repeat, photo and audio questions. Every expression is\n"
    "          translated exactly or refused (exit 2, with the form path): today() needs the\n"
    "          round's reference date, --today. Standard output, or --out FILE.\n\n"
    "The file format, the expression language and the validation rules: docs/forms.md.\n";

static int parse_lang(const char *s, int *langs)
{
    if (!strcmp(s, "zh"))
        *langs = FORM_LANG_ZH;
    else if (!strcmp(s, "en"))
        *langs = FORM_LANG_EN;
    else if (!strcmp(s, "both"))
        *langs = FORM_LANG_BOTH;
    else
        return -1;
    return 0;
}

static int form_check_files(int argc, char **argv, int strict)
{
    int status = EXIT_OK;
    if (argc < 1) return cli_usage("form", "check needs at least one FILE");
    for (int i = 0; i < argc; i++) {
        struct errlist errs, warns;
        struct form *f = NULL;
        struct error e;
        int rc;
        errlist_init(&errs, 100);
        errlist_init(&warns, 100);
        rc = form_load(argv[i], &f, &errs, &warns, &e);
        errlist_print(stderr, &errs);
        for (size_t k = 0; k < warns.n; k++)
            fprintf(stderr, "%s: warning: %s\n", warns.items[k].file, warns.items[k].msg);
        if (warns.total > warns.n)
            fprintf(stderr, "... and %zu more warnings\n", warns.total - warns.n);
        if (rc == ERR_IO || rc == ERR_NOMEM) {
            if (!errs.n) fprintf(stderr, "pinggu: %s\n", e.msg);
            status = EXIT_FAIL;
        } else if (rc || (strict && warns.total)) {
            printf("%s: %zu error%s, %zu warning%s\n", argv[i], errs.total,
                   errs.total == 1 ? "" : "s", warns.total, warns.total == 1 ? "" : "s");
            if (status == EXIT_OK) status = EXIT_INPUT;
        } else {
            size_t q = 0;
            for (size_t k = 0; k < f->nrows; k++) q += form_type_answers(f->rows[k].type);
            printf("%s: ok — %s %s, %zu rows, %zu questions, %zu choice lists%s\n", argv[i], f->id,
                   f->version, f->nrows, q, f->nlists, warns.total ? " (with warnings)" : "");
        }
        form_free(f);
        errlist_release(&errs);
        errlist_release(&warns);
    }
    return status;
}

/* Loads the form at path, printing its errors; 0 or the exit status (1 unreadable, 2 unsound). */
static int load_form(const char *path, struct form **f)
{
    struct errlist errs;
    struct error e;
    int rc;
    errlist_init(&errs, 20);
    rc = form_load(path, f, &errs, NULL, &e);
    if (rc) errlist_print(stderr, &errs);
    errlist_release(&errs);
    if (rc) return rc == ERR_IO || rc == ERR_NOMEM ? EXIT_FAIL : EXIT_INPUT;
    return 0;
}

static int form_show(const char *path, int langs)
{
    struct form *f = NULL;
    struct strbuf sb = STRBUF_INIT;
    int rc;
    if ((rc = load_form(path, &f))) return rc;
    if (form_outline(f, langs, &sb)) {
        form_free(f);
        sb_release(&sb);
        fprintf(stderr, "pinggu: out of memory\n");
        return EXIT_FAIL;
    }
    fputs(sb.buf, stdout);
    sb_release(&sb);
    form_free(f);
    return EXIT_OK;
}

/* `form xform`: the XForm to out (a file written whole, or standard output). */
static int form_xform_file(const char *path, const char *today, const char *out)
{
    struct form *f = NULL;
    struct strbuf sb = STRBUF_INIT;
    struct xform_opts o = {today};
    struct error e = {0};
    int rc;
    if ((rc = load_form(path, &f))) return rc;
    rc = form_xform(f, &o, &sb, &e);
    form_free(f);
    if (!rc && out) rc = file_write_atomic(out, sb.buf, sb.len, &e);
    else if (!rc) fwrite(sb.buf, 1, sb.len, stdout);
    sb_release(&sb);
    if (rc) return cli_fail(&e);
    return EXIT_OK;
}

/* The text of a JSON scalar as an answer (numbers as written, booleans yes/no, arrays of
 * scalars joined by blanks as select_multiple). 0, or -1 if v is not an answer. */
static int answer_text(const json_t *v, struct strbuf *sb)
{
    sb_reset(sb);
    if (json_is_string(v))
        sb_add(sb, json_string_value(v), json_string_length(v));
    else if (json_is_integer(v))
        sb_addf(sb, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        sb_addf(sb, "%.15g", json_real_value(v));
    else if (json_is_true(v))
        sb_adds(sb, "yes");
    else if (json_is_false(v))
        sb_adds(sb, "no");
    else if (json_is_null(v))
        return 1;
    else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *x = json_array_get(v, i);
            if (!json_is_string(x)) return -1;
            sb_addf(sb, "%s%s", i ? " " : "", json_string_value(x));
        }
    } else
        return -1;
    return 0;
}

/* An XForm instance (a field app's submission) as the answers. */
static int load_submission(struct answers *a, const char *path, struct error *e)
{
    struct submission_meta m;
    char *xml = NULL;
    size_t len = 0;
    int rc = file_read_all(path, (size_t)16 << 20, &xml, &len, e); /* a questionnaire: 16 MB at most */
    if (rc) return rc;
    rc = submission_parse(answers_form(a), xml, len, a, &m, e);
    mem_free(xml);
    if (rc && rc != ERR_NOMEM) {
        char msg[sizeof e->msg];
        snprintf(msg, sizeof msg, "%s", e->msg);
        return error_set(e, ERR_PARSE, "%s: %s", path, msg);
    }
    return rc;
}

static int load_answers(struct answers *a, const char *path, struct error *e)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), *v;
    struct strbuf sb = STRBUF_INIT;
    const char *key;
    int rc = 0;
    if (!root) return error_at(e, ERR_PARSE, path, jerr.line, jerr.column, "%s", jerr.text);
    if (!json_is_object(root)) {
        rc = error_at(e, ERR_PARSE, path, 0, 0, "answers must be a JSON object");
        goto out;
    }
    json_object_foreach(root, key, v)
    {
        int t;
        if (json_is_array(v) && json_array_size(v) && json_is_object(json_array_get(v, 0))) {
            for (size_t i = 0; i < json_array_size(v); i++) {
                const json_t *o = json_array_get(v, i);
                const char *k2;
                json_t *v2;
                long inst;
                if (!json_is_object(o)) {
                    rc = error_at(e, ERR_PARSE, path, 0, 0, "%s[%zu]: must be an object", key, i);
                    goto out;
                }
                if (answers_add_instance(a, key, &inst)) {
                    rc = error_at(e, ERR_PARSE, path, 0, 0, "%s: the form has no repeat %s", key,
                                  key);
                    goto out;
                }
                json_object_foreach((json_t *)o, k2, v2)
                {
                    t = answer_text(v2, &sb);
                    if (t < 0) {
                        rc = error_at(e, ERR_PARSE, path, 0, 0, "%s[%zu].%s: not an answer", key, i,
                                      k2);
                        goto out;
                    }
                    if (!t && (rc = answers_set_in(a, k2, inst, sb.buf))) goto nomem;
                }
            }
            continue;
        }
        t = answer_text(v, &sb);
        if (t < 0) {
            rc = error_at(e, ERR_PARSE, path, 0, 0, "%s: not an answer", key);
            goto out;
        }
        if (!t && (rc = answers_set(a, key, sb.buf))) goto nomem;
    }
    if (sb_ok(&sb)) goto nomem;
    goto out;
nomem:
    rc = error_set(e, ERR_NOMEM, "out of memory");
out:
    sb_release(&sb);
    json_decref(root);
    return rc;
}

/* The normalised answers as a JSON object (caller owns it), NULL if out of memory. */
static json_t *answers_json(const struct answers *a)
{
    const struct form *f = answers_form(a);
    json_t *o = json_object();
    for (size_t i = 0; o && i < f->nrows; i++) {
        const struct form_row *r = &f->rows[i];
        if (r->type == FORM_BEGIN_REPEAT) {
            long n = answers_instances(a, r->name);
            json_t *arr = json_array();
            for (long k = 0; arr && k < n; k++) {
                json_t *inst = json_object();
                for (int j = (int)i + 1; inst && j < r->end; j++) {
                    const char *v = answers_value(a, j, k);
                    if (v && f->rows[j].name)
                        json_object_set_new(inst, f->rows[j].name, json_string(v));
                }
                json_array_append_new(arr, inst);
            }
            json_object_set_new(o, r->name, arr);
            continue;
        }
        if (r->repeat < 0 && r->name && answers_value(a, (int)i, -1))
            json_object_set_new(o, r->name, json_string(answers_value(a, (int)i, -1)));
    }
    return o;
}

static void print_answers(const struct answers *a)
{
    json_t *o = answers_json(a);
    char *s = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (s) printf("%s\n", s);
    free(s);
    json_decref(o);
}

static int form_validate(const char *form_path, char **answers_paths, int npaths, int lenient,
                         int today, int langs, int print, int json)
{
    struct form *f = NULL;
    struct answers *a = NULL;
    struct issues is;
    struct error e;
    int status = EXIT_OK;
    issues_init(&is);
    if ((status = load_form(form_path, &f))) goto out;
    if (answers_new(f, &a, &e)) {
        status = cli_fail(&e);
        goto out;
    }
    for (int p = 0; p < npaths; p++) {
        if (p) {
            answers_reset(a);
            issues_release(&is);
            issues_init(&is);
        }
        size_t pl = strlen(answers_paths[p]);
        if ((pl > 4 && !strcmp(answers_paths[p] + pl - 4, ".xml")
                 ? load_submission(a, answers_paths[p], &e)
                 : load_answers(a, answers_paths[p], &e)) ||
            answers_validate(a, lenient ? ANSWERS_LENIENT : ANSWERS_STRICT, today, &is, &e)) {
            status = cli_fail(&e);
            goto out;
        }
        if (json) {
            /* one object per file: the issues (kind, severity, question, repeat instance,
             * check index) and the normalised answers — for tests/xform/agree.mjs */
            static const char *const kinds[] = {"unknown",  "no_answer",    "type",  "choice",
                                                "required", "not_relevant", "check", "calculate"};
            json_t *root = json_object(), *arr = json_array();
            char *s;
            for (size_t i = 0; i < is.n; i++) {
                const struct issue *it = &is.items[i];
                json_array_append_new(
                    arr, json_pack("{s:s, s:s, s:s, s:I, s:i}", "kind", kinds[it->kind], "severity",
                                   it->severity == FORM_ERROR ? "error" : "warning", "name",
                                   it->name ? it->name : "", "instance", (json_int_t)it->instance,
                                   "check", it->check));
            }
            json_object_set_new(root, "issues", arr);
            json_object_set_new(root, "answers", answers_json(a));
            s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
            if (s) printf("%s\n", s);
            free(s);
            json_decref(root);
            if (is.errors) status = EXIT_INPUT;
            continue;
        }
        for (size_t i = 0; i < is.n; i++) {
            const struct issue *it = &is.items[i];
            printf("%-7s %s", it->severity == FORM_ERROR ? "error" : "warning", it->name);
            if (it->instance >= 0 && it->row >= 0 && f->rows[it->row].repeat >= 0)
                printf(" (%s[%ld])", f->rows[f->rows[it->row].repeat].name, it->instance);
            else if (it->instance >= 0)
                printf(" ([%ld])", it->instance);
            if (langs & FORM_LANG_ZH) printf(": %s", it->zh);
            if (langs & FORM_LANG_EN) printf("%s %s", langs & FORM_LANG_ZH ? " /" : ":", it->en);
            printf("\n");
        }
        printf("%zu error%s, %zu warning%s\n", is.errors, is.errors == 1 ? "" : "s", is.warnings,
               is.warnings == 1 ? "" : "s");
        if (print) print_answers(a);
        if (is.errors) status = EXIT_INPUT;
    }
out:
    answers_free(a);
    form_free(f);
    issues_release(&is);
    return status;
}

int cmd_form(int argc, char **argv)
{
    static const struct option opts[] = {{"strict", no_argument, 0, 's'},
                                         {"lang", required_argument, 0, 'l'},
                                         {"lenient", no_argument, 0, 'L'},
                                         {"today", required_argument, 0, 't'},
                                         {"print", no_argument, 0, 'p'},
                                         {"out", required_argument, 0, 'o'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *sub, *out = NULL;
    int json = 0, strict = 0, langs = FORM_LANG_BOTH, lenient = 0, print = 0, today = 0, c;
    if (cli_wants_help(argc, argv)) return cli_help(help);
    if (argc < 2) return cli_usage("form", "check, show or validate?");
    sub = argv[1];
    if (strcmp(sub, "check") && strcmp(sub, "show") && strcmp(sub, "validate") &&
        strcmp(sub, "xform"))
        return cli_usage("form", "unknown sub-command '%s' (check, show, validate, xform)", sub);
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            strict = 1;
            break;
        case 'L':
            lenient = 1;
            break;
        case 'p':
            print = 1;
            break;
        case 'o':
            out = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'l':
            if (parse_lang(optarg, &langs)) return cli_bad_value("form", "--lang is zh, en or both, not '%s'", optarg);
            break;
        case 't':
            if (parse_date(optarg, &today)) return cli_bad_value("form", "--today: '%s' is not a date YYYY-MM-DD", optarg);
            break;
        case 'h':
            return cli_help(help);
        default:
            return cli_usage("form", "bad option");
        }
    }
    argc -= 1 + optind;
    argv += 1 + optind;
    if (!strcmp(sub, "check")) return form_check_files(argc, argv, strict);
    if (!strcmp(sub, "show")) {
        if (argc != 1) return cli_usage("form", "show takes one FILE");
        return form_show(argv[0], langs);
    }
    if (!strcmp(sub, "xform")) {
        char day[16];
        if (argc != 1) return cli_usage("form", "xform takes one FILE");
        if (today) snprintf(day, sizeof day, "%04d-%02d-%02d", today / 10000, today / 100 % 100, today % 100);
        return form_xform_file(argv[0], today ? day : NULL, out);
    }
    if (argc < 2 || (argc > 2 && !json))
        return cli_usage("form", "validate takes FORM and ANSWERS.json (several only with --json)");
    return form_validate(argv[0], argv + 1, argc - 1, lenient, today ? today : date_today(), langs,
                         print, json);
}
