/*
 * cmd_field.c — `pinggu field import|simulate|status|resolve|review`: questionnaires of a sample
 * (survey.h).
 */
#include "cli.h"
#include "../survey/survey.h"
#include "../problem/problem.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: pinggu field import --db DB --sample NAME --form FORM FILE.csv [--lenient]\n"
    "       pinggu field simulate --db DB --sample NAME --truth DIR/truth.csv --seed S\n"
    "                             [--error-rate R] [--nonresponse R] [--forms DIR] [--out DIR]\n"
    "       pinggu field status --db DB --sample NAME\n"
    "       pinggu field resolve --db DB --sample NAME --unit UNIT --keep original|reserve\n"
    "                            --note TEXT\n"
    "       pinggu field review --db DB --sample NAME --unit UNIT [--form ID] --to STATE\n"
    "                           --as leader|office [--comment QUESTION=TEXT]... [--note TEXT]\n"
    "       pinggu field review --db DB --sample NAME --all-in STATE --to STATE\n"
    "                           --as leader|office [--note TEXT]\n"
    "       pinggu field review --db DB --sample NAME --list [--state STATE] [--json]\n"
    "       pinggu field review --db DB --sample NAME --keep|--discard INSTANCE --as leader\n"
    "       pinggu field review --moves\n\n"
    "import    questionnaires / 导入问卷: one row per questionnaire (columns unit, team, pair,\n"
    "          duration_min, status, reason and the form's questions); household members in\n"
    "          FILE.members.csv (unit, member, the repeat's questions). Every answer is checked\n"
    "          against the form; errors are listed as file:line: field: reason and nothing is\n"
    "          written (exit 2). A unit not reached: status nonresponse, reason away, refused,\n"
    "          moved, dead or no_such_household — the next reserve of its stratum is activated.\n"
    "          Importing a questionnaire again replaces it; the old version stays in the log.\n"
    "          A household not reached and then interviewed after all counts: the reserves its\n"
    "          non-response activated return to the list, their questionnaires kept as\n"
    "          superseded (not counted). A form with a repeat needs FILE.members.csv, and\n"
    "          every member row needs its household's questionnaire in FILE.csv.\n"
    "          --lenient drops answers to questions that are not relevant without a warning.\n"
    "simulate  fieldwork from synth's truth.csv for demos and tests / 模拟入户调查: --error-rate\n"
    "          is the share of households whose decisive finding an enumerator gets wrong,\n"
    "          --nonresponse the share not reached. --out also writes the questionnaires as\n"
    "          CSV files that field import reads.\n"
    "status    response rates per county and quota, field-quality warnings per team.\n"
    "resolve   the office's decision / 替补裁定, logged with its note: --keep reserve sets aside\n"
    "          the late interview of UNIT and puts its reserves back in force; --keep original\n"
    "          undoes that (what field import does by itself).\n"
    "review    the two-level review / 两级审核 (DESIGN §10): a questionnaire submitted for review\n"
    "          (field import/simulate --review) is approved or rejected by the team leader\n"
    "          (组长; a rejection goes back to the pair with a comment per question), then by the\n"
    "          provincial office (省办; a rejection goes back to the leader). A rejected\n"
    "          questionnaire counts in no figure until approved again or corrected (a new\n"
    "          version: field import of the unit). Without --review, imported questionnaires\n"
    "          are approved by the importing office user. --list shows each questionnaire's\n"
    "          state and comments; --moves prints the legal moves. Every move is logged.\n"
    "          --all-in STATE makes the move for every questionnaire in STATE at once (one\n"
    "          transaction: all or none), e.g. the office approving what the leaders approved.\n"
    "          Only office-approved questionnaires enter a release (pinggu release create).\n";

static int simulate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},         {"sample", required_argument, 0, 'n'},
        {"truth", required_argument, 0, 't'},      {"seed", required_argument, 0, 's'},
        {"error-rate", required_argument, 0, 'r'}, {"nonresponse", required_argument, 0, 'x'},
        {"forms", required_argument, 0, 'f'},      {"out", required_argument, 0, 'o'},
        {"review", no_argument, 0, 'v'},           {0, 0, 0, 0}};
    const char *db = NULL, *sample = NULL, *truth = NULL, *forms = "forms", *out = NULL;
    struct strbuf formsdir = STRBUF_INIT; /* the shipped forms/, found from anywhere */
    double err = 0, nr = 0;
    int64_t seed = 1;
    int review = 0;
    struct field_stats st = {0};
    struct store *s;
    struct error e;
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'n': sample = optarg; break;
        case 't': truth = optarg; break;
        case 's':
            if (parse_int64(optarg, &seed))
                return cli_bad_value("field", "--seed: '%s' is not a whole number", optarg);
            break;
        case 'r':
            if (parse_double(optarg, &err) || err < 0 || err > 1)
                return cli_bad_value("field", "--error-rate must be 0..1, not '%s'", optarg);
            break;
        case 'x':
            if (parse_double(optarg, &nr) || nr < 0 || nr >= 1)
                return cli_bad_value("field", "--nonresponse must be 0..1 (below 1), not '%s'",
                                     optarg);
            break;
        case 'f': forms = optarg; break;
        case 'o': out = optarg; break;
        case 'v': review = 1; break;
        default: return cli_usage("field", "unknown option");
        }
    }
    if (!sample || !truth) return cli_usage("field", "--sample and --truth are required");
    if (!strcmp(forms, "forms") && data_find("forms", &formsdir) == 0) forms = formsdir.buf;
    rc = cli_need_input("field", truth, 0);
    if (!rc) rc = cli_need_input("field", forms, 1);
    if (!rc) rc = cli_open_store(db, 0, &s);
    if (rc) {
        sb_release(&formsdir);
        return rc;
    }
    st.review = review;
    rc = field_simulate(s, sample, truth, (uint64_t)seed, err, nr, forms, out, &st, &e);
    if (!rc) fieldwork_stops_warn(s, sample, stderr, NULL); /* a stopped county (八(三)) */
    store_close(s);
    sb_release(&formsdir);
    if (rc) return cli_fail(&e);
    printf("simulated %lld questionnaires (%lld household members), %lld not reached "
           "(%lld replaced by reserves, %lld not), %lld warnings, %lld with evidence\n",
           (long long)st.questionnaires, (long long)st.members, (long long)st.nonresponse,
           (long long)st.replacements, (long long)st.unreplaced, (long long)st.warnings,
           (long long)st.evidence);
    if (out) printf("questionnaires written to %s/ as CSV\n", out);
    return EXIT_OK;
}

static int import(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"sample", required_argument, 0, 'n'},
                                         {"form", required_argument, 0, 'f'},
                                         {"lenient", no_argument, 0, 'l'},
                                         {"review", no_argument, 0, 'v'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *sample = NULL, *formf = NULL;
    struct form *f = NULL;
    struct errlist errs;
    struct field_stats st = {0};
    struct store *s;
    struct error e;
    int c, rc, lenient = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'n': sample = optarg; break;
        case 'f': formf = optarg; break;
        case 'l': lenient = 1; break;
        case 'v': st.review = 1; break;
        default: return cli_usage("field", "unknown option");
        }
    }
    if (!sample || !formf) return cli_usage("field", "--sample and --form are required");
    if (optind != argc - 1) return cli_usage("field", "give one FILE.csv");
    errlist_init(&errs, 50);
    if (form_load(formf, &f, &errs, NULL, &e)) {
        errlist_print(stderr, &errs);
        errlist_release(&errs);
        return EXIT_INPUT;
    }
    if ((rc = cli_open_store(db, 0, &s))) {
        form_free(f);
        errlist_release(&errs);
        return rc;
    }
    rc = field_import(s, sample, f, argv[optind], !lenient, date_today(), &st, &errs, &e);
    if (!rc) fieldwork_stops_warn(s, sample, stderr, NULL); /* a stopped county (八(三)) */
    store_close(s);
    form_free(f);
    if (rc == ERR_INVALID && errs.total) {
        errlist_print(stderr, &errs);
        fprintf(stderr, "pinggu field import: %s\n", e.msg);
        errlist_release(&errs);
        return EXIT_INPUT;
    }
    errlist_release(&errs);
    if (rc) return cli_fail(&e);
    printf("imported %lld questionnaires (%lld members), %lld not reached (%lld replaced by "
           "reserves), %lld earlier versions replaced, %lld warnings\n",
           (long long)st.questionnaires, (long long)st.members, (long long)st.nonresponse,
           (long long)st.replacements, (long long)st.replaced, (long long)st.warnings);
    if (st.review)
        printf("%lld questionnaires submitted for review / 待审核 (pinggu field review)\n",
               (long long)(st.questionnaires + st.nonresponse));
    if (st.withdrawn)
        printf("%lld reserves withdrawn: the households they replaced were interviewed after all "
               "(%lld of their questionnaires kept as superseded; pinggu field resolve to "
               "decide otherwise)\n",
               (long long)st.withdrawn, (long long)st.superseded);
    return EXIT_OK;
}

static int resolve(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},   {"sample", required_argument, 0, 'n'},
        {"unit", required_argument, 0, 'u'}, {"keep", required_argument, 0, 'k'},
        {"note", required_argument, 0, 'o'}, {0, 0, 0, 0}};
    const char *db = NULL, *sample = NULL, *unit = NULL, *keep = NULL, *note = NULL;
    struct field_resolution r;
    struct store *s;
    struct error e;
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'n': sample = optarg; break;
        case 'u': unit = optarg; break;
        case 'k': keep = optarg; break;
        case 'o': note = optarg; break;
        default: return cli_usage("field", "unknown option");
        }
    }
    if (!sample || !unit || !keep || !note || !*note)
        return cli_usage("field", "resolve needs --sample, --unit, --keep and --note");
    if (strcmp(keep, "original") && strcmp(keep, "reserve")) {
        fprintf(stderr, "pinggu field resolve: --keep: '%s' is not original or reserve\n", keep);
        return EXIT_INPUT;
    }
    if ((rc = cli_open_store(db, 0, &s))) return rc;
    rc = field_resolve(s, sample, unit, !strcmp(keep, "reserve"), note, &r, &e);
    store_close(s);
    if (rc) return cli_fail(&e);
    if (!strcmp(keep, "reserve"))
        printf("%s set aside (%lld questionnaire superseded); reserves back in force: %s "
               "(%lld questionnaires)\n",
               unit, (long long)r.superseded, r.chain, (long long)r.restored);
    else
        printf("%s counts again (%lld questionnaire); reserves withdrawn: %s (%lld questionnaires "
               "superseded)\n",
               unit, (long long)r.restored, *r.chain ? r.chain : "none", (long long)r.superseded);
    return EXIT_OK;
}

static int status(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"sample", required_argument, 0, 'n'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *sample = NULL;
    struct store *s;
    struct error e;
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'n') sample = optarg;
        else return cli_usage("field", "unknown option");
    }
    if (!sample) return cli_usage("field", "--sample is required");
    if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
    rc = field_status(s, sample, stdout, &e);
    store_close(s);
    return rc ? cli_fail(&e) : EXIT_OK;
}

static int review(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},   {"sample", required_argument, 0, 'n'},
        {"unit", required_argument, 0, 'u'}, {"form", required_argument, 0, 'f'},
        {"to", required_argument, 0, 't'},   {"as", required_argument, 0, 'a'},
        {"comment", required_argument, 0, 'c'}, {"note", required_argument, 0, 'o'},
        {"list", no_argument, 0, 'l'},       {"state", required_argument, 0, 's'},
        {"json", no_argument, 0, 'j'},       {"moves", no_argument, 0, 'm'},
        {"keep", required_argument, 0, 'K'}, {"discard", required_argument, 0, 'D'},
        {"forms", required_argument, 0, 'F'}, {"all-in", required_argument, 0, 'A'},
        {0, 0, 0, 0}};
    static const char states[] =
        "submitted|approved_by_leader|rejected_by_leader|approved_by_office|rejected_by_office";
    const char *db = NULL, *sample = NULL, *state = NULL, *comments[64], *keep = NULL,
               *discard = NULL, *forms = NULL, *all_in = NULL;
    struct review_req r = {0};
    struct strbuf legal = STRBUF_INIT;
    struct store *s;
    struct error e;
    int c, rc, list = 0, json = 0;
    size_t nc = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'n': sample = optarg; break;
        case 'u': r.unit = optarg; break;
        case 'f': r.form = optarg; break;
        case 't': r.to = optarg; break;
        case 'a': r.role = optarg; break;
        case 'o': r.note = optarg; break;
        case 'l': list = 1; break;
        case 's': state = optarg; break;
        case 'j': json = 1; break;
        case 'm': review_print_moves(stdout); return EXIT_OK;
        case 'K': keep = optarg; break;
        case 'D': discard = optarg; break;
        case 'F': forms = optarg; break;
        case 'A': all_in = optarg; break;
        case 'c':
            if (nc == sizeof comments / sizeof comments[0])
                return cli_usage("field", "at most 64 --comment");
            comments[nc++] = optarg;
            break;
        default: return cli_usage("field", "unknown option");
        }
    }
    if (!sample) return cli_usage("field", "review needs --sample");
    if (state && strcmp(state, "duplicate") && !str_in_list(state, strlen(state), states))
        return cli_bad_value("field", "--state: '%s' is not one of %s|duplicate", state, states);
    if (keep || discard) { /* a duplicate held for the leader (OpenRosa): keep it or not */
        struct strbuf fdir = STRBUF_INIT;
        struct errlist errs;
        if (!r.role || strcmp(r.role, "leader"))
            return cli_usage("field", "--keep and --discard are the leader's: --as leader");
        if (keep && discard) return cli_usage("field", "--keep or --discard, not both");
        if (forms) sb_adds(&fdir, forms);
        else if (data_find("forms", &fdir))
            return cli_usage("field", "--keep needs --forms DIR (the questionnaire forms)");
        if ((rc = cli_open_store(db, 0, &s))) {
            sb_release(&fdir);
            return rc;
        }
        errlist_init(&errs, 20);
        rc = instance_resolve(s, sample, keep ? keep : discard, keep != NULL, fdir.buf, &errs, &e);
        store_close(s);
        sb_release(&fdir);
        for (size_t i = 0; rc && i < errs.n; i++) fprintf(stderr, "%s\n", errs.items[i].msg);
        errlist_release(&errs);
        if (rc) return cli_fail(&e);
        printf("%s: %s (leader %s)\n", keep ? keep : discard, keep ? "kept 保留" : "discarded 不采用",
               audit_actor());
        return EXIT_OK;
    }
    if (list) {
        if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
        rc = review_list(s, sample, state, json, 0, stdout, &e);
        store_close(s);
        return rc ? cli_fail(&e) : EXIT_OK;
    }
    if (all_in && r.unit) return cli_usage("field", "--all-in or --unit, not both");
    if (all_in && nc) return cli_usage("field", "--all-in takes --note, not --comment");
    if (all_in && !str_in_list(all_in, strlen(all_in), states))
        return cli_bad_value("field", "--all-in: '%s' is not one of %s", all_in, states);
    if ((!r.unit && !all_in) || !r.to || !r.role)
        return cli_usage("field", "review needs --unit (or --all-in), --to and --as (or --list, --moves)");
    if (!str_in_list(r.to, strlen(r.to), states))
        return cli_bad_value("field", "--to: '%s' is not one of %s", r.to, states);
    if (strcmp(r.role, "leader") && strcmp(r.role, "office"))
        return cli_bad_value("field", "--as: '%s' is not leader or office", r.role);
    r.sample = sample;
    r.actor = audit_actor();
    r.comments = comments;
    r.ncomments = nc;
    if ((rc = cli_open_store(db, 0, &s))) return rc;
    if (all_in) {
        long long n = 0;
        rc = review_move_all(s, &r, all_in, &n, &e);
        store_close(s);
        if (rc) return cli_fail(&e);
        printf("%lld questionnaires %s -> %s (%s %s)\n", n, all_in, r.to, r.role, r.actor);
        return EXIT_OK;
    }
    rc = review_move(s, &r, &legal, &e);
    store_close(s);
    sb_release(&legal);
    if (rc) return cli_fail(&e);
    printf("%s: %s (%s %s)\n", r.unit, r.to, r.role, r.actor);
    return EXIT_OK;
}

int cmd_field(int argc, char **argv)
{
    if (cli_wants_help(argc, argv) || argc < 2) return argc < 2 ? cli_usage("field", "import, simulate, status, resolve or review?") : cli_help(help);
    if (!strcmp(argv[1], "import")) return import(argc - 1, argv + 1);
    if (!strcmp(argv[1], "simulate")) return simulate(argc - 1, argv + 1);
    if (!strcmp(argv[1], "status")) return status(argc - 1, argv + 1);
    if (!strcmp(argv[1], "resolve")) return resolve(argc - 1, argv + 1);
    if (!strcmp(argv[1], "review")) return review(argc - 1, argv + 1);
    return cli_usage("field", "unknown sub-command '%s' (import, simulate, status, resolve, review)",
                     argv[1]);
}
