/*
 * test_form.c — forms and validation (src/survey/form.c, validate.c): every shipped form
 * loads without an error or a warning and has the names the judgments read; broken forms
 * fail with the exact JSON path; one questionnaire's answers are normalised and validated
 * (choices by name, Chinese label or paper number; required; constraints versus warning
 * checks; answers to questions that are not relevant in strict and lenient mode;
 * calculations recomputed; repeat instances with their index); allocation failures.
 * Run from the repository root (forms/ is read from there).
 */
#include "testutil.h"

#include "survey/survey.h"

static const char *const shipped[] = {
    "forms/registered-household.json", "forms/general-household.json",  "forms/village-exit.json",
    "forms/village-interview.json",    "forms/township-interview.json", "forms/problem-list.json",
};

static struct form *load_clean(const char *path)
{
    struct errlist errs, warns;
    struct form *f = NULL;
    struct error e;
    int rc;
    errlist_init(&errs, 10);
    errlist_init(&warns, 10);
    rc = form_load(path, &f, &errs, &warns, &e);
    if (rc || errs.total || warns.total) {
        errlist_print(stderr, &errs);
        errlist_print(stderr, &warns);
        fail_msg("%s: %zu errors, %zu warnings", path, errs.total, warns.total);
    }
    errlist_release(&errs);
    errlist_release(&warns);
    return f;
}

/* Asserts that form f has a question `name` of type t (and, for selects, list `list`). */
static void has(const struct form *f, const char *name, enum form_type t, const char *list)
{
    int r = form_find(f, name);
    if (r < 0) fail_msg("%s: no question %s", f->id, name);
    if (f->rows[r].type != t)
        fail_msg("%s: %s is %s, expected %s", f->id, name, form_type_name(f->rows[r].type),
                 form_type_name(t));
    if (list) {
        const struct form_list *l = form_row_list(f, r);
        assert_non_null(l);
        if (strcmp(l->name, list)) fail_msg("%s: %s uses %s, not %s", f->id, name, l->name, list);
    }
}

static void has_choices(const struct form *f, const char *q, const char *names)
{
    const struct form_list *l = form_row_list(f, form_find(f, q));
    struct strbuf sb = STRBUF_INIT;
    assert_non_null(l);
    for (size_t i = 0; i < l->n; i++) {
        sb_addf(&sb, "%s%s", i ? " " : "", l->choices[i].name);
        assert_non_null(l->choices[i].zh);
        assert_non_null(l->choices[i].en);
    }
    if (strcmp(sb.buf, names))
        fail_msg("%s: %s choices are '%s', expected '%s'", f->id, q, sb.buf, names);
    sb_release(&sb);
}

static void shipped_forms_are_clean(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        struct form *f = load_clean(shipped[i]);
        assert_non_null(f->source);
        assert_non_null(f->notes);
        for (size_t r = 0; r < f->nrows; r++) {
            const struct form_row *row = &f->rows[r];
            if (row->type == FORM_END_GROUP || row->type == FORM_END_REPEAT) continue;
            assert_non_null(row->zh);
            assert_non_null(row->en);
        }
        form_free(f);
    }
}

static void registered_household_names(void **state)
{
    struct form *f = load_clean("forms/registered-household.json");
    const char *yn[] = {"returned",
                        "in_school",
                        "medical_insured",
                        "water_ok",
                        "has_compulsory_student",
                        "dropout",
                        "persuaded_back",
                        "edu_policy_ok",
                        "insured_all",
                        "premium_subsidy",
                        "medical_policy_gap",
                        "renovated",
                        "housing_safe",
                        "allowance_gap",
                        "hardship_gap",
                        "temp_relief_gap",
                        "disability_cert_gap",
                        "disability_policy_gap",
                        "income_above_line_last",
                        "income_above_line_next",
                        "income_stable",
                        "meets_standard",
                        "knows_exit",
                        "exit_sustainable",
                        "food_clothing_ok",
                        "policy_effect",
                        "newly_included_this_year",
                        "payroll",
                        "vehicle",
                        "commercial_housing",
                        "business",
                        "covid_impact"};
    (void)state;
    assert_string_equal(f->unit, "household_registered");
    for (size_t i = 0; i < sizeof yn / sizeof yn[0]; i++) has(f, yn[i], FORM_SELECT_ONE, "yes_no");
    has_choices(f, "water_ok", "yes no");
    has(f, "household_status", FORM_SELECT_ONE, NULL);
    has_choices(f, "household_status", "poor exited");
    has(f, "household_size", FORM_INTEGER, NULL);
    has(f, "member", FORM_BEGIN_REPEAT, NULL);
    has(f, "name", FORM_TEXT, NULL);
    has(f, "relation", FORM_SELECT_ONE, NULL);
    has_choices(f, "relation",
                "head spouse child child_in_law grandchild parent grandparent sibling other");
    has(f, "age", FORM_INTEGER, NULL);
    assert_int_equal(f->rows[form_find(f, "age")].repeat, form_find(f, "member"));
    has(f, "water_problem", FORM_SELECT_MULTIPLE, NULL);
    has_choices(f, "water_problem", "quantity quality convenience guarantee");
    has_choices(f, "dropout_reason", "hardship unwilling health other");
    has(f, "income_per_capita", FORM_DECIMAL, NULL);
    /* 七 and 八 (q15-17) are absent, as in the seed */
    for (size_t r = 0; r < f->nrows; r++)
        if (f->rows[r].seed_ref)
            assert_null(strstr(f->rows[r].seed_ref, "q15")),
                assert_null(strstr(f->rows[r].seed_ref, "q16")),
                assert_null(strstr(f->rows[r].seed_ref, "q17"));
    /* exit quality only for exited households */
    assert_non_null(f->rows[f->rows[form_find(f, "knows_exit")].parent].relevant);
    form_free(f);
}

static void other_forms_names(void **state)
{
    struct form *f;
    (void)state;
    f = load_clean("forms/general-household.json");
    has(f, "household_type", FORM_SELECT_MULTIPLE, NULL);
    has_choices(f, "household_type",
                "allowance hardship disabled illness unsafe_house no_labour elderly_alone "
                "other_key normal");
    has(f, "registered_size", FORM_INTEGER, NULL);
    has(f, "sharing_size", FORM_INTEGER, NULL);
    has_choices(f, "support_capable", "yes no");
    has_choices(f, "food_clothing_worry", "worry no_worry");
    has_choices(f, "water_secure", "secure insecure");
    has(f, "dropout", FORM_SELECT_ONE, "yes_no");
    has(f, "other_students", FORM_SELECT_ONE, "yes_no");
    has(f, "serious_patient", FORM_SELECT_ONE, "yes_no");
    has(f, "medical_burden_heavy", FORM_SELECT_ONE, "yes_no");
    has_choices(f, "basic_living_secure", "secure insecure");
    has(f, "medical_other", FORM_TEXT, NULL);
    has_choices(f, "housing_secure", "secure insecure");
    has_choices(f, "overall_problem", "problem no_problem");
    has(f, "workers", FORM_INTEGER, NULL);
    has(f, "wage_income", FORM_DECIMAL, NULL);
    has(f, "income_per_capita", FORM_DECIMAL, NULL);
    has(f, "missed", FORM_SELECT_ONE, "yes_no");
    has(f, "missed_persons", FORM_INTEGER, NULL);
    has(f, "missed_reason", FORM_TEXT, NULL);
    has_choices(f, "infra_improved", "clearly some none");
    has_choices(f, "approves", "approve disapprove");
    form_free(f);

    f = load_clean("forms/village-exit.json");
    assert_string_equal(f->unit, "village");
    has(f, "unexited_persons", FORM_INTEGER, NULL);
    has(f, "population", FORM_INTEGER, NULL);
    has(f, "incidence", FORM_CALCULATE, NULL);
    assert_string_equal(f->rows[form_find(f, "incidence")].calculation->src,
                        "${unexited_persons} div ${population}");
    has(f, "road_hardened", FORM_SELECT_ONE, "yes_no");
    has(f, "road_width", FORM_DECIMAL, NULL);
    has(f, "narrow_exception", FORM_SELECT_ONE, "yes_no");
    has(f, "bus_feasible", FORM_SELECT_ONE, "yes_no");
    has(f, "bus_distance", FORM_DECIMAL, NULL);
    has(f, "water_quality_ok", FORM_SELECT_ONE, "yes_no");
    has(f, "water_litres", FORM_DECIMAL, NULL);
    has(f, "water_minutes", FORM_DECIMAL, NULL);
    has(f, "water_guarantee", FORM_DECIMAL, NULL);
    has(f, "power_production", FORM_DECIMAL, NULL);
    has(f, "power_household", FORM_DECIMAL, NULL);
    has(f, "tv_household", FORM_DECIMAL, NULL);
    has_choices(f, "culture_items", "room square stage board culture_kit broadcast_kit sports_kit");
    has(f, "clinic_area", FORM_DECIMAL, NULL);
    has_choices(f, "clinic_rooms", "consulting treatment public_health pharmacy");
    has(f, "clinic_staff", FORM_INTEGER, NULL);
    has(f, "served_population", FORM_INTEGER, NULL);
    has(f, "doctor_licensed", FORM_SELECT_ONE, "yes_no");
    has(f, "fibre", FORM_SELECT_ONE, "yes_no");
    has(f, "broadband", FORM_DECIMAL, NULL);
    has(f, "industry", FORM_TEXT, NULL);
    has(f, "collective_income", FORM_DECIMAL, NULL);
    /* every threshold is a warning, never an error */
    {
        const struct form_row *w = &f->rows[form_find(f, "road_width")];
        assert_int_equal(w->checks[w->nchecks - 1].severity, FORM_WARNING);
    }
    form_free(f);

    f = load_clean("forms/problem-list.json");
    assert_string_equal(f->unit, "problem");
    {
        const char *cols[] = {"seq",
                              "county",
                              "township",
                              "village",
                              "subject",
                              "kind",
                              "description",
                              "evidence",
                              "found_by",
                              "found_on",
                              "verification",
                              "measures",
                              "responsible_unit",
                              "responsible_person",
                              "deadline",
                              "result",
                              "closed_on"};
        size_t q = 0;
        for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
            assert_true(form_find(f, cols[i]) >= 0);
        for (size_t r = 0; r < f->nrows; r++) q += form_type_answers(f->rows[r].type);
        assert_int_equal(q, sizeof cols / sizeof cols[0]);
    }
    has_choices(
        f, "kind",
        "identification exit assistance policy funds project data_quality discipline other");
    has_choices(f, "verification", "pending confirmed dismissed");
    has(f, "found_on", FORM_DATE, NULL);
    has(f, "deadline", FORM_DATE, NULL);
    has(f, "closed_on", FORM_DATE, NULL);
    form_free(f);
}

/* ---------------------------------------------------------------- broken forms */

/* A small valid form; %s slots: extra survey rows (after water_ok) and extra choices. */
static const char *base_form =
    "{\"form_id\": \"t\", \"version\": \"1\", \"title\": {\"zh\": \"测试\", \"en\": \"Test\"},\n"
    " \"unit\": \"household_registered\", \"source\": \"test\", \"notes\": \"test\",\n"
    " \"survey\": [\n"
    "  {\"type\": \"begin_group\", \"name\": \"g\", \"label::zh\": \"组\", \"label::en\": \"G\"},\n"
    "  {\"type\": \"select_one yes_no\", \"name\": \"water_ok\", \"label::zh\": \"饮水\", "
    "\"label::en\": \"Water\"}%s\n"
    " ],\n"
    " \"choices\": {\"yes_no\": [{\"name\": \"yes\", \"label::zh\": \"是\", \"label::en\": "
    "\"Yes\"},\n"
    "   {\"name\": \"no\", \"label::zh\": \"否\", \"label::en\": \"No\"}%s]}}\n";

#define Q(json) ",\n  " json
#define END_G   ",\n  {\"type\": \"end_group\"}"

/* Loads base_form with rows and choices spliced in; returns the load's code and the first
 * error (formatted as the CLI prints it) in msg. */
static int try_form(const char *rows, const char *choices, char *msg, size_t size, size_t *nwarn)
{
    struct strbuf sb = STRBUF_INIT;
    struct errlist errs, warns;
    struct form *f = NULL;
    struct error e;
    int rc;
    sb_addf(&sb, base_form, rows, choices);
    errlist_init(&errs, 10);
    errlist_init(&warns, 10);
    rc = form_load_mem("x.json", sb.buf, sb.len, &f, &errs, &warns, &e);
    msg[0] = '\0';
    if (errs.n)
        error_format(&errs.items[0], msg, size);
    else if (warns.n)
        error_format(&warns.items[0], msg, size);
    if (nwarn) *nwarn = warns.total;
    if (rc)
        assert_null(f);
    else
        assert_non_null(f);
    form_free(f);
    errlist_release(&errs);
    errlist_release(&warns);
    sb_release(&sb);
    return rc;
}

#define ROW(type, name, extra)                                                                     \
    "{\"type\": \"" type "\", \"name\": \"" name                                                   \
    "\", \"label::zh\": \"z\", \"label::en\": \"e\"" extra "}"

static void broken_forms(void **state)
{
    char m[600];
    size_t nw;
    (void)state;
    assert_int_equal(try_form(END_G, "", m, sizeof m, &nw), 0);
    assert_int_equal(nw, 0);

    assert_int_equal(try_form(Q(ROW("integer", "n", ", \"relevant\": \"${water_okk} = 'no'\""))
                                  END_G,
                              "", m, sizeof m, NULL),
                     ERR_INVALID);
    assert_string_equal(m, "x.json: survey[2].relevant: unknown question ${water_okk} at offset 3");

    assert_int_equal(try_form("", "", m, sizeof m, NULL), ERR_INVALID);
    assert_string_equal(m, "x.json: survey[0]: begin_group \"g\" is never closed");

    assert_int_equal(try_form(END_G END_G, "", m, sizeof m, NULL), ERR_INVALID);
    assert_string_equal(m, "x.json: survey[3]: end_group without a matching begin");

    assert_int_equal(try_form(",\n  {\"type\": \"end_repeat\"}", "", m, sizeof m, NULL),
                     ERR_INVALID);
    assert_string_equal(m, "x.json: survey[2]: end_repeat closes begin_group \"g\" at survey[0]");

    assert_int_equal(try_form(Q(ROW("integer", "water_ok", "")) END_G, "", m, sizeof m, NULL),
                     ERR_INVALID);
    assert_string_equal(m,
                        "x.json: survey[2].name: duplicate name \"water_ok\" (first at survey[1])");

    assert_int_equal(try_form(Q(ROW("select_one yes_noo", "q", "")) END_G, "", m, sizeof m, NULL),
                     ERR_INVALID);
    assert_string_equal(m, "x.json: survey[2].type: unknown choice list \"yes_noo\"");

    assert_int_equal(try_form(Q(ROW("intger", "q", "")) END_G, "", m, sizeof m, NULL), ERR_INVALID);
    assert_string_equal(m, "x.json: survey[2].type: unknown type \"intger\"");

    assert_int_equal(try_form(Q(ROW("integer", "q", ", \"constraint\": \". >= 1 and\"")) END_G, "",
                              m, sizeof m, NULL),
                     ERR_INVALID);
    assert_string_equal(
        m, "x.json: survey[2].constraint: expected a value, found end of expression at offset 11");

    assert_int_equal(try_form(Q(ROW("integer", "q",
                                    ", \"checks\": [{\"expr\": \"selectd(., 'a')\", \"severity\": "
                                    "\"warning\"}]")) END_G,
                              "", m, sizeof m, NULL),
                     ERR_INVALID);
    assert_string_equal(m,
                        "x.json: survey[2].checks[0].expr: unknown function 'selectd' at offset 1");

    assert_int_equal(
        try_form(END_G, ",\n {\"name\": \"yes\", \"label::zh\": \"是\", \"label::en\": \"Y\"}", m,
                 sizeof m, NULL),
        ERR_INVALID);
    assert_string_equal(m, "x.json: choices.yes_no[2].name: duplicate choice \"yes\"");

    /* types fit: a select compared with something that is not one of its choices */
    assert_int_equal(try_form(Q(ROW("integer", "q", ", \"relevant\": \"${water_ok} = 'No'\""))
                                  END_G,
                              "", m, sizeof m, NULL),
                     ERR_INVALID);
    assert_string_equal(
        m, "x.json: survey[2].relevant: 'No' is not a choice of list yes_no (${water_ok}) at "
           "offset 15");
    assert_int_equal(
        try_form(Q(ROW("integer", "q", ", \"relevant\": \"selected(${water_ok}, 'maybe')\"")) END_G,
                 "", m, sizeof m, NULL),
        ERR_INVALID);
    assert_string_equal(
        m, "x.json: survey[2].relevant: 'maybe' is not a choice of list yes_no (${water_ok}) at "
           "offset 23");
    assert_int_equal(try_form(Q(ROW("integer", "q", ", \"constraint\": \". != 'many'\"")) END_G, "",
                              m, sizeof m, NULL),
                     ERR_INVALID);
    assert_string_equal(m, "x.json: survey[2].constraint: ${q} is a number, compared with 'many' "
                           "at offset 6");
    assert_int_equal(
        try_form(Q(ROW("text", "q", ", \"relevant\": \"count-selected(${water_ok}) > 0\"")) END_G,
                 "", m, sizeof m, NULL),
        ERR_INVALID);
    assert_string_equal(m, "x.json: survey[2].relevant: count-selected() needs a select_multiple "
                           "question; ${water_ok} is select_one at offset 18");

    /* '.' outside checks; a group as a value; a repeat without count() */
    assert_int_equal(
        try_form(Q(ROW("integer", "q", ", \"relevant\": \". > 1\"")) END_G, "", m, sizeof m, NULL),
        ERR_INVALID);
    assert_string_equal(m, "x.json: survey[2].relevant: '.' (this question's answer) is only "
                           "meaningful in constraints and checks at offset 1");
    assert_int_equal(try_form(Q(ROW("integer", "q", ", \"relevant\": \"${g} = 1\"")) END_G, "", m,
                              sizeof m, NULL),
                     ERR_INVALID);
    assert_string_equal(m,
                        "x.json: survey[2].relevant: ${g} is a group and has no value at offset 3");
    assert_int_equal(try_form(END_G Q(ROW("begin_repeat", "member", ""))
                                  Q(ROW("integer", "age", "")) ",\n  {\"type\": \"end_repeat\"}" Q(
                                      ROW("integer", "n", ", \"relevant\": \"${age} > 1\"")),
                              "", m, sizeof m, NULL),
                     ERR_INVALID);
    assert_string_equal(m, "x.json: survey[6].relevant: ${age} is inside repeat member; use "
                           "sum(${age}) or count(${age}) at offset 3");
    assert_int_equal(try_form(END_G Q(ROW("begin_repeat", "member", ""))
                                  Q(ROW("integer", "age", "")) ",\n  {\"type\": \"end_repeat\"}" Q(
                                      ROW("integer", "n", ", \"relevant\": \"${member} > 1\"")),
                              "", m, sizeof m, NULL),
                     ERR_INVALID);
    assert_string_equal(m, "x.json: survey[6].relevant: ${member} is a repeat; count(${member}) "
                           "gives its number of instances at offset 3");
    assert_int_equal(
        try_form(END_G Q(ROW("begin_repeat", "member", ""))
                     Q(ROW("integer", "age", "")) ",\n  {\"type\": \"end_repeat\"}" Q(
                         ROW("integer", "n",
                             ", \"constraint\": \". = count(${member}) and sum(${age}) > 0\"")),
                 "", m, sizeof m, &nw),
        0);

    /* calculations that depend on themselves */
    assert_int_equal(try_form(Q(ROW("calculate", "a", ", \"calculation\": \"${b} + 1\""))
                                  Q(ROW("calculate", "b", ", \"calculation\": \"${a} + 1\"")) END_G,
                              "", m, sizeof m, NULL),
                     ERR_INVALID);
    assert_string_equal(
        m, "x.json: survey[2].calculation: ${a} depends on itself (calculation cycle)");

    /* not JSON */
    {
        struct errlist errs;
        struct form *f;
        struct error e;
        errlist_init(&errs, 5);
        assert_int_equal(form_load_mem("x.json", "{\"form_id\": }", 13, &f, &errs, NULL, &e),
                         ERR_PARSE);
        assert_int_equal(e.line, 1);
        assert_non_null(strstr(e.msg, "not valid JSON"));
        errlist_release(&errs);
        /* a form that is not there, or a folder, is bad input (exit 2), not an I/O failure
         * (issue 9 item 9) */
        assert_int_equal(form_load("no/such/form.json", &f, NULL, NULL, &e), ERR_INVALID);
        assert_non_null(strstr(e.msg, "cannot open"));
        assert_int_equal(form_load(".", &f, NULL, NULL, &e), ERR_INVALID);
        assert_non_null(strstr(e.msg, "folder"));
    }

    /* warnings do not fail a load */
    assert_int_equal(try_form(Q("{\"type\": \"integer\", \"name\": \"q\", \"lable::zh\": \"z\", "
                                "\"label::zh\": \"z\", \"label::en\": \"e\"}") END_G,
                              "", m, sizeof m, &nw),
                     0);
    assert_int_equal(nw, 1);
    assert_string_equal(m, "x.json: survey[2]: unknown key \"lable::zh\" (ignored)");
    assert_int_equal(try_form(Q("{\"type\": \"integer\", \"name\": \"q\", \"label::zh\": \"z\"}")
                                  END_G,
                              "", m, sizeof m, &nw),
                     0);
    assert_string_equal(m, "x.json: survey[2]: missing label::en");
}

/* ---------------------------------------------------------------- validation */

static const char *test_form =
    "{\"form_id\": \"t\", \"version\": \"1\", \"title\": {\"zh\": \"测试\", \"en\": \"Test\"},"
    " \"unit\": \"household_registered\", \"source\": \"test\", \"notes\": \"test\", \"survey\": ["
    "{\"type\": \"select_one yes_no\", \"name\": \"water_ok\", \"label::zh\": \"饮水\", "
    "\"label::en\": \"Water\", \"required\": true},"
    "{\"type\": \"select_multiple problems\", \"name\": \"water_problem\", \"label::zh\": "
    "\"问题\", "
    "\"label::en\": \"Problems\", \"required\": true, \"relevant\": \"${water_ok} = 'no'\"},"
    "{\"type\": \"integer\", \"name\": \"size\", \"label::zh\": \"人口\", \"label::en\": \"Size\", "
    "\"required\": true, \"constraint\": \". >= 1 and . <= 30\", \"constraint_message::zh\": "
    "\"人口1至30\", \"constraint_message::en\": \"size 1 to 30\", \"checks\": [{\"expr\": "
    "\"count(${member}) = 0 or count(${member}) = .\", \"severity\": \"warning\", "
    "\"message::zh\": \"人数不符\", \"message::en\": \"size differs\"}]},"
    "{\"type\": \"decimal\", \"name\": \"income\", \"label::zh\": \"收入\", \"label::en\": "
    "\"Income\"},"
    "{\"type\": \"calculate\", \"name\": \"per_head\", \"label::zh\": \"人均\", \"label::en\": "
    "\"Per head\", \"calculation\": \"${income} div ${size}\"},"
    "{\"type\": \"date\", \"name\": \"day\", \"label::zh\": \"日期\", \"label::en\": \"Day\", "
    "\"constraint\": \". <= today()\"},"
    "{\"type\": \"geopoint\", \"name\": \"where\", \"label::zh\": \"位置\", \"label::en\": "
    "\"Where\"},"
    "{\"type\": \"begin_group\", \"name\": \"g\", \"label::zh\": \"组\", \"label::en\": \"G\", "
    "\"relevant\": \"${per_head} > 100\"},"
    "{\"type\": \"text\", \"name\": \"note_rich\", \"label::zh\": \"说明\", \"label::en\": "
    "\"Note\"},"
    "{\"type\": \"end_group\"},"
    "{\"type\": \"begin_repeat\", \"name\": \"member\", \"label::zh\": \"成员\", \"label::en\": "
    "\"Members\"},"
    "{\"type\": \"text\", \"name\": \"name\", \"label::zh\": \"姓名\", \"label::en\": \"Name\", "
    "\"required\": true},"
    "{\"type\": \"integer\", \"name\": \"age\", \"label::zh\": \"年龄\", \"label::en\": \"Age\", "
    "\"constraint\": \". >= 0 and . <= 120\"},"
    "{\"type\": \"select_one yes_no\", \"name\": \"in_school\", \"label::zh\": \"在校\", "
    "\"label::en\": \"In school\", \"relevant\": \"${age} < 25\"},"
    "{\"type\": \"end_repeat\"},"
    "{\"type\": \"calculate\", \"name\": \"total_age\", \"label::zh\": \"年龄和\", \"label::en\": "
    "\"Ages\", \"calculation\": \"sum(${age})\"}"
    "], \"choices\": {"
    "\"yes_no\": [{\"name\": \"yes\", \"label::zh\": \"是\", \"label::en\": \"Yes\"}, "
    "{\"name\": \"no\", \"label::zh\": \"否\", \"label::en\": \"No\"}],"
    "\"problems\": [{\"name\": \"quantity\", \"label::zh\": \"水量不够\", \"label::en\": "
    "\"Quantity\"}, "
    "{\"name\": \"quality\", \"label::zh\": \"水质不达标\", \"label::en\": \"Quality\"}]}}";

struct vt {
    struct form *f;
    struct answers *a;
    struct issues is;
};

static int vt_setup(void **state)
{
    struct vt *t = calloc(1, sizeof *t);
    struct error e;
    assert_int_equal(form_load_mem("t.json", test_form, strlen(test_form), &t->f, NULL, NULL, &e),
                     0);
    assert_int_equal(answers_new(t->f, &t->a, &e), 0);
    issues_init(&t->is);
    *state = t;
    return 0;
}

static int vt_teardown(void **state)
{
    struct vt *t = *state;
    answers_free(t->a);
    form_free(t->f);
    issues_release(&t->is);
    free(t);
    return 0;
}

/* A valid baseline questionnaire. */
static void baseline(struct vt *t)
{
    answers_reset(t->a);
    issues_reset(&t->is);
    assert_int_equal(answers_set(t->a, "water_ok", "yes"), 0);
    assert_int_equal(answers_set(t->a, "size", "3"), 0);
    assert_int_equal(answers_set(t->a, "income", "900"), 0);
}

static void validate(struct vt *t, enum answers_mode mode)
{
    struct error e;
    assert_int_equal(answers_validate(t->a, mode, 20200701, &t->is, &e), 0);
}

static const struct issue *only_issue(struct vt *t)
{
    if (t->is.n != 1) {
        for (size_t i = 0; i < t->is.n; i++)
            fprintf(stderr, "issue %s[%ld]: %s\n", t->is.items[i].name, t->is.items[i].instance,
                    t->is.items[i].en);
        fail_msg("expected 1 issue, got %zu", t->is.n);
    }
    return &t->is.items[0];
}

static void valid_questionnaire(void **state)
{
    struct vt *t = *state;
    baseline(t);
    validate(t, ANSWERS_STRICT);
    assert_int_equal(t->is.n, 0);
    assert_string_equal(answers_get(t->a, "per_head"), "300"); /* calculated */
    assert_string_equal(answers_get(t->a, "water_ok"), "yes");
    assert_null(answers_get(t->a, "water_problem"));
    assert_null(answers_get(t->a, "no_such"));
}

static void choices_normalised(void **state)
{
    struct vt *t = *state;
    const struct issue *it;
    /* the Chinese label and the paper's number become the choice name */
    baseline(t);
    answers_set(t->a, "water_ok", "否");
    answers_set(t->a, "water_problem", "2 水量不够");
    validate(t, ANSWERS_STRICT);
    assert_int_equal(t->is.n, 0);
    assert_string_equal(answers_get(t->a, "water_ok"), "no");
    assert_string_equal(answers_get(t->a, "water_problem"), "quality quantity");
    baseline(t);
    answers_set(t->a, "water_ok", " ② ");
    answers_set(t->a, "water_problem", "quantity、quality，quantity");
    validate(t, ANSWERS_STRICT);
    assert_int_equal(t->is.n, 0);
    assert_string_equal(answers_get(t->a, "water_ok"), "no");
    assert_string_equal(answers_get(t->a, "water_problem"), "quantity quality");
    baseline(t);
    answers_set(t->a, "water_ok", "1");
    validate(t, ANSWERS_STRICT);
    assert_string_equal(answers_get(t->a, "water_ok"), "yes");
    baseline(t);
    answers_set(t->a, "water_ok", "YES");
    validate(t, ANSWERS_STRICT);
    assert_string_equal(answers_get(t->a, "water_ok"), "yes");
    /* an unknown choice */
    baseline(t);
    answers_set(t->a, "water_ok", "maybe");
    validate(t, ANSWERS_STRICT);
    it = only_issue(t);
    assert_int_equal(it->kind, ISSUE_CHOICE);
    assert_int_equal(it->severity, FORM_ERROR);
    assert_string_equal(it->name, "water_ok");
    assert_int_equal(it->instance, -1);
    assert_string_equal(it->en, "'maybe' is not a choice of list yes_no (yes, no)");
    assert_string_equal(it->zh, "“maybe”不是选项表yes_no中的选项(yes, no)");
    baseline(t);
    answers_set(t->a, "water_ok", "3");
    validate(t, ANSWERS_STRICT);
    assert_int_equal(only_issue(t)->kind, ISSUE_CHOICE);
    baseline(t);
    answers_set(t->a, "water_ok", "no");
    answers_set(t->a, "water_problem", "quantity leaks");
    validate(t, ANSWERS_STRICT);
    it = only_issue(t);
    assert_string_equal(it->name, "water_problem");
    assert_string_equal(it->en, "'leaks' is not a choice of list problems (quantity, quality)");
}

static void required_and_types(void **state)
{
    struct vt *t = *state;
    const struct issue *it;
    baseline(t);
    answers_set(t->a, "size", NULL);
    validate(t, ANSWERS_STRICT);
    it = issues_find(&t->is, "size", -1);
    assert_non_null(it);
    assert_int_equal(it->kind, ISSUE_REQUIRED);
    assert_int_equal(it->severity, FORM_ERROR);
    assert_string_equal(it->en, "required answer missing");
    assert_int_equal(t->is.errors, 1);
    assert_null(answers_get(t->a, "per_head")); /* income div empty */
    /* required only when relevant */
    baseline(t);
    answers_set(t->a, "water_ok", "no");
    validate(t, ANSWERS_STRICT);
    assert_int_equal(only_issue(t)->kind, ISSUE_REQUIRED);
    assert_string_equal(only_issue(t)->name, "water_problem");
    /* blank is unanswered */
    baseline(t);
    answers_set(t->a, "size", "  ");
    validate(t, ANSWERS_STRICT);
    assert_int_equal(only_issue(t)->kind, ISSUE_REQUIRED);
    /* types */
    baseline(t);
    answers_set(t->a, "size", "3.5");
    validate(t, ANSWERS_STRICT);
    it = only_issue(t);
    assert_int_equal(it->kind, ISSUE_TYPE);
    assert_string_equal(it->en, "not a whole number: '3.5'");
    baseline(t);
    answers_set(t->a, "income", "lots");
    answers_set(t->a, "day", "2020-13-01");
    answers_set(t->a, "where", "95 120");
    validate(t, ANSWERS_STRICT);
    assert_int_equal(t->is.errors, 3);
    assert_int_equal(issues_find(&t->is, "income", -1)->kind, ISSUE_TYPE);
    assert_int_equal(issues_find(&t->is, "day", -1)->kind, ISSUE_TYPE);
    assert_int_equal(issues_find(&t->is, "where", -1)->kind, ISSUE_TYPE);
    assert_null(answers_get(t->a, "per_head")); /* a bad answer reads as unanswered */
    baseline(t);
    answers_set(t->a, "size", " 03 ");
    answers_set(t->a, "day", "2020/6/30");
    answers_set(t->a, "where", "30.5, 114.25");
    validate(t, ANSWERS_STRICT);
    assert_int_equal(t->is.n, 0);
    assert_string_equal(answers_get(t->a, "size"), "3");
    assert_string_equal(answers_get(t->a, "day"), "2020-06-30");
    assert_string_equal(answers_get(t->a, "where"), "30.5 114.25");
    /* unknown names */
    baseline(t);
    answers_set(t->a, "water_okk", "yes");
    answers_set(t->a, "age", "3"); /* inside the repeat */
    validate(t, ANSWERS_STRICT);
    assert_int_equal(t->is.errors, 2);
    it = issues_find(&t->is, "water_okk", -1);
    assert_int_equal(it->kind, ISSUE_UNKNOWN);
    assert_string_equal(it->en, "unknown question \"water_okk\" (not in form t)");
    assert_int_equal(issues_find(&t->is, "age", -1)->kind, ISSUE_UNKNOWN);
    /* a group takes no answer */
    baseline(t);
    answers_set(t->a, "g", "x");
    validate(t, ANSWERS_STRICT);
    assert_int_equal(only_issue(t)->kind, ISSUE_NO_ANSWER);
}

static void constraints_and_warnings(void **state)
{
    struct vt *t = *state;
    const struct issue *it;
    long i;
    /* a broken constraint is an error with the form's message */
    baseline(t);
    answers_set(t->a, "size", "40");
    validate(t, ANSWERS_STRICT);
    it = only_issue(t);
    assert_int_equal(it->kind, ISSUE_CHECK);
    assert_int_equal(it->severity, FORM_ERROR);
    assert_int_equal(it->check, 0);
    assert_string_equal(it->en, "size 1 to 30");
    assert_string_equal(it->zh, "人口1至30");
    /* a failed warning check is a warning */
    baseline(t);
    answers_add_instance(t->a, "member", &i);
    answers_set_in(t->a, "name", i, "张三");
    answers_add_instance(t->a, "member", &i);
    answers_set_in(t->a, "name", i, "李四");
    validate(t, ANSWERS_STRICT);
    it = only_issue(t);
    assert_int_equal(it->kind, ISSUE_CHECK);
    assert_int_equal(it->severity, FORM_WARNING);
    assert_int_equal(it->check, 1);
    assert_string_equal(it->en, "size differs");
    assert_int_equal(t->is.warnings, 1);
    assert_int_equal(t->is.errors, 0);
    /* today() is the reference date */
    baseline(t);
    answers_set(t->a, "day", "2020-07-02");
    validate(t, ANSWERS_STRICT);
    it = only_issue(t);
    assert_string_equal(it->name, "day");
    assert_string_equal(it->en, "check failed: . <= today() (answer '2020-07-02')");
}

static void not_relevant(void **state)
{
    struct vt *t = *state;
    const struct issue *it;
    /* strict: warning and dropped */
    baseline(t);
    answers_set(t->a, "water_problem", "quantity");
    validate(t, ANSWERS_STRICT);
    it = only_issue(t);
    assert_int_equal(it->kind, ISSUE_NOT_RELEVANT);
    assert_int_equal(it->severity, FORM_WARNING);
    assert_string_equal(it->name, "water_problem");
    assert_string_equal(it->en, "answer 'quantity' to a question that is not relevant was dropped");
    assert_null(answers_get(t->a, "water_problem"));
    /* lenient: dropped silently */
    baseline(t);
    answers_set(t->a, "water_problem", "quantity");
    validate(t, ANSWERS_LENIENT);
    assert_int_equal(t->is.n, 0);
    assert_null(answers_get(t->a, "water_problem"));
    /* a group's relevance (which reads a calculation) covers its questions */
    baseline(t);
    answers_set(t->a, "income", "90");
    answers_set(t->a, "note_rich", "x");
    validate(t, ANSWERS_STRICT);
    assert_int_equal(only_issue(t)->kind, ISSUE_NOT_RELEVANT);
    assert_null(answers_get(t->a, "note_rich"));
    baseline(t);
    answers_set(t->a, "note_rich", "x");
    validate(t, ANSWERS_STRICT);
    assert_int_equal(t->is.n, 0);
    assert_string_equal(answers_get(t->a, "note_rich"), "x");
    /* chains: dropping one answer makes the next one irrelevant too */
    baseline(t);
    answers_set(t->a, "water_ok", "yes");
    answers_set(t->a, "water_problem", "2");
    validate(t, ANSWERS_LENIENT);
    assert_null(answers_get(t->a, "water_problem"));
}

static void calculations(void **state)
{
    struct vt *t = *state;
    const struct issue *it;
    baseline(t);
    answers_set(t->a, "per_head", "250");
    validate(t, ANSWERS_STRICT);
    it = only_issue(t);
    assert_int_equal(it->kind, ISSUE_CALCULATE);
    assert_int_equal(it->severity, FORM_WARNING);
    assert_string_equal(it->en, "calculated value replaced: submitted '250', recomputed '300'");
    assert_string_equal(answers_get(t->a, "per_head"), "300");
    baseline(t);
    answers_set(t->a, "per_head", "300.0"); /* the same number */
    validate(t, ANSWERS_STRICT);
    assert_int_equal(t->is.n, 0);
    assert_string_equal(answers_get(t->a, "per_head"), "300");
    /* validating twice gives the same answers and no new issue */
    issues_reset(&t->is);
    validate(t, ANSWERS_STRICT);
    assert_int_equal(t->is.n, 0);
    assert_string_equal(answers_get(t->a, "per_head"), "300");
}

static void repeat_instances(void **state)
{
    struct vt *t = *state;
    const struct issue *it;
    long i;
    baseline(t);
    answers_set(t->a, "size", "3");
    for (int k = 0; k < 3; k++) assert_int_equal(answers_add_instance(t->a, "member", &i), 0);
    assert_int_equal(i, 2);
    answers_set_in(t->a, "age", 0, "45");
    answers_set_in(t->a, "name", 1, "李四");
    answers_set_in(t->a, "age", 1, "abc");
    answers_set_in(t->a, "name", 2, "王五");
    answers_set_in(t->a, "age", 2, "7");
    answers_set_in(t->a, "in_school", 2, "是");
    answers_set_in(t->a, "in_school", 0, "no"); /* age 45: not relevant */
    assert_int_equal(answers_set_in(t->a, "age", 3, "1"), ERR_NOTFOUND);
    assert_int_equal(answers_add_instance(t->a, "water_ok", &i), ERR_NOTFOUND);
    answers_set_in(t->a, "size", 0, "1"); /* not inside a repeat */
    validate(t, ANSWERS_STRICT);
    assert_int_equal(answers_instances(t->a, "member"), 3);
    it = issues_find(&t->is, "name", 0);
    assert_non_null(it);
    assert_int_equal(it->kind, ISSUE_REQUIRED);
    it = issues_find(&t->is, "age", 1);
    assert_non_null(it);
    assert_int_equal(it->kind, ISSUE_TYPE);
    assert_int_equal(it->instance, 1);
    it = issues_find(&t->is, "in_school", 0);
    assert_non_null(it);
    assert_int_equal(it->kind, ISSUE_NOT_RELEVANT);
    it = issues_find(&t->is, "size", 0);
    assert_non_null(it);
    assert_int_equal(it->kind, ISSUE_UNKNOWN);
    assert_int_equal(t->is.n, 4);
    assert_string_equal(answers_value(t->a, form_find(t->f, "in_school"), 2), "yes");
    assert_null(answers_value(t->a, form_find(t->f, "in_school"), 0));
    assert_null(answers_value(t->a, form_find(t->f, "age"), -1));
    assert_null(answers_value(t->a, form_find(t->f, "age"), 7));
    assert_string_equal(answers_get(t->a, "total_age"), "52"); /* "abc" is not counted */
    /* a constraint per instance */
    answers_reset(t->a);
    issues_reset(&t->is);
    answers_set(t->a, "water_ok", "yes");
    answers_set(t->a, "size", "1");
    answers_add_instance(t->a, "member", &i);
    answers_set_in(t->a, "name", i, "赵六");
    answers_set_in(t->a, "age", i, "130");
    validate(t, ANSWERS_STRICT);
    it = only_issue(t);
    assert_int_equal(it->kind, ISSUE_CHECK);
    assert_int_equal(it->instance, 0);
    assert_string_equal(it->name, "age");
}

static void registered_household_paper_answers(void **state)
{
    struct form *f = load_clean("forms/registered-household.json");
    struct answers *a;
    struct issues is;
    struct error e;
    long i;
    (void)state;
    issues_init(&is);
    assert_int_equal(answers_new(f, &a, &e), 0);
    answers_set(a, "head_name", "张三");
    answers_set(a, "household_size", "1");
    answers_set(a, "household_status", "②");
    answers_add_instance(a, "member", &i);
    answers_set_in(a, "name", i, "张三");
    answers_set_in(a, "relation", i, "户主");
    answers_set_in(a, "age", i, "70");
    answers_set(a, "water_ok", "2");
    answers_set(a, "water_problem", "水质不达标");
    answers_set(a, "returned", "否"); /* exited: not relevant */
    assert_int_equal(answers_validate(a, ANSWERS_STRICT, 20200701, &is, &e), 0);
    assert_string_equal(answers_get(a, "household_status"), "exited");
    assert_string_equal(answers_value(a, form_find(f, "relation"), 0), "head");
    assert_string_equal(answers_get(a, "water_ok"), "no");
    assert_string_equal(answers_get(a, "water_problem"), "quality");
    assert_null(answers_get(a, "returned"));
    assert_int_equal(issues_find(&is, "returned", -1)->kind, ISSUE_NOT_RELEVANT);
    assert_int_equal(issues_find(&is, "knows_exit", -1)->kind, ISSUE_REQUIRED); /* exited */
    assert_null(issues_find(&is, "dropout", -1)); /* not relevant until has_compulsory_student */
    assert_true(is.errors > 10);
    answers_free(a);
    issues_release(&is);
    form_free(f);
}

static void out_of_memory(void **state)
{
    (void)state;
    for (long n = 1;; n++) {
        struct form *f = NULL;
        struct answers *a = NULL;
        struct issues is;
        struct error e;
        int rc;
        long used, i;
        issues_init(&is);
        mem_fail_after(n, 0);
        rc = form_load_mem("t.json", test_form, strlen(test_form), &f, NULL, NULL, &e);
        if (!rc) rc = answers_new(f, &a, &e);
        if (!rc) rc = answers_set(a, "water_ok", "否");
        if (!rc) rc = answers_set(a, "water_problem", "1 2");
        if (!rc) rc = answers_set(a, "size", "9");
        if (!rc) rc = answers_add_instance(a, "member", &i);
        if (!rc) rc = answers_set_in(a, "age", 0, "x");
        if (!rc) rc = answers_validate(a, ANSWERS_STRICT, 20200701, &is, &e);
        used = mem_fail_after(0, 0);
        answers_free(a);
        form_free(f);
        issues_release(&is);
        if (rc == 0 && used < n) break;
        if (rc) assert_int_equal(rc, ERR_NOMEM);
        assert_true(n < 5000);
    }
}

/* field_check (field.c without a store, as fuzz/fuzz_field.c runs it), issue 9 item 8: a
 * form with a repeat needs FILE.members.csv, and every member row needs its household's
 * questionnaire in FILE.csv — else the members would be lost silently. */
static int has_error(const struct errlist *errs, const char *file, long line, const char *text)
{
    for (size_t i = 0; i < errs->n; i++)
        if (!strcmp(errs->items[i].file, file) && errs->items[i].line == line &&
            strstr(errs->items[i].msg, text))
            return 1;
    return 0;
}

static void field_check_members(void **state)
{
    struct form *f = load_clean("forms/registered-household.json");
    char *dir = tu_tmpdir(), q[1024], m[1024];
    struct field_stats st;
    struct errlist errs;
    struct error e;
    (void)state;
    snprintf(q, sizeof q, "%s/q.csv", dir);
    snprintf(m, sizeof m, "%s/q.members.csv", dir);
    /* non-responses only: no members expected, none missing */
    tu_write(dir, "q.csv", "unit,status,reason\n3401211012040010,nonresponse,away\n");
    errlist_init(&errs, 50);
    assert_int_equal(field_check(f, q, 1, 20191125, &st, &errs, &e), 0);
    assert_int_equal(errs.total, 0);
    assert_int_equal(st.nonresponse, 1);
    errlist_release(&errs);
    /* a complete questionnaire and no members file: an error at its line */
    tu_write(dir, "q.csv",
             "unit,status,reason\n3401211012040010,nonresponse,away\n3401211012040011,,\n");
    errlist_init(&errs, 50);
    assert_int_equal(field_check(f, q, 1, 20191125, &st, &errs, &e), ERR_INVALID);
    assert_true(has_error(&errs, q, 3, "which does not exist: they would be lost"));
    errlist_release(&errs);
    /* member rows of a household not in the file, and of one not reached */
    tu_write(dir, "q.members.csv",
             "unit,member,name,relation,age\n3401211012040099,1,a,head,40\n"
             "3401211012040010,1,b,head,50\n");
    errlist_init(&errs, 50);
    assert_int_equal(field_check(f, q, 1, 20191125, &st, &errs, &e), ERR_INVALID);
    assert_false(has_error(&errs, q, 3, "which does not exist"));
    assert_true(has_error(&errs, m, 2, "3401211012040099 has no questionnaire in"));
    assert_true(has_error(&errs, m, 3, "3401211012040010 was not reached"));
    errlist_release(&errs);
    unlink(q);
    unlink(m);
    rmdir(dir);
    free(dir);
    form_free(f);
}

static void outline(void **state)
{
    struct form *f = load_clean("forms/village-exit.json");
    struct strbuf sb = STRBUF_INIT;
    (void)state;
    assert_int_equal(form_outline(f, FORM_LANG_ZH, &sb), 0);
    assert_non_null(strstr(sb.buf, "贫困村退出核查表"));
    assert_null(strstr(sb.buf, "Village exit check"));
    sb_reset(&sb);
    assert_int_equal(form_outline(f, FORM_LANG_EN, &sb), 0);
    assert_non_null(strstr(sb.buf, "Village exit check"));
    assert_non_null(strstr(sb.buf, "check (warning): . >= 60"));
    sb_release(&sb);
    form_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shipped_forms_are_clean),
        cmocka_unit_test(registered_household_names),
        cmocka_unit_test(other_forms_names),
        cmocka_unit_test(broken_forms),
        cmocka_unit_test_setup_teardown(valid_questionnaire, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(choices_normalised, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(required_and_types, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(constraints_and_warnings, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(not_relevant, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(calculations, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(repeat_instances, vt_setup, vt_teardown),
        cmocka_unit_test(registered_household_paper_answers),
        cmocka_unit_test(out_of_memory),
        cmocka_unit_test(outline),
        cmocka_unit_test(field_check_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
