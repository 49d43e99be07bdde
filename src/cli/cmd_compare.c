/*
 * cmd_compare.c — `pinggu compare`: the registry × department data comparison (大数据比对,
 * compare.h), and `pinggu compare explain`: the department records behind a household's
 * flags.
 */
#include "cli.h"

#include <string.h>

static const char help[] =
    "usage: pinggu compare --db DB --rules FILE DEPTDIR [--out flags.csv] [--xlsx flags.xlsx]\n"
    "                      [--date YYYY-MM-DD] [--threads N] [--list N] [--no-store]\n"
    "       pinggu compare explain --db DB (--household ID | --person RESIDENT_ID) [--run N]\n"
    "                              [--unmasked]\n\n"
    "Compares the registry with other departments' data / 大数据比对 (seeds 003, 001): the\n"
    "department files in DEPTDIR (CSV, UTF-8 or GB18030) are read as the rules file maps them\n"
    "(rules/compare.json, docs/compare.md) and every rule raises flags: registered members who\n"
    "should not be (public payroll, vehicle, commercial housing, business, study abroad,\n"
    "consumption, verified report), possible missed households (allowance, extreme hardship,\n"
    "disability, serious illness, unsafe house, hard-hit by disaster 重灾, reservoir resettler\n"
    "移民 outside registered households), and policy gaps (school roll, medical insurance,\n"
    "serious-illness insurance 大病保险, disability certificate, allowance: 两线合一, a\n"
    "registered household in a C/D-grade unsafe house).\n\n"
    "Resident IDs are normalised and validated as import does; invalid ones are counted and\n"
    "listed per file. A department file with a bad header, an unknown mapped column or an\n"
    "undecodable encoding stops the run (exit 2) and nothing is written.\n\n"
    "The flags are stored (with the change log) as a new run; --out and --xlsx also write\n"
    "them with resident IDs and names in full. What is printed masks them.\n\n"
    "  --rules FILE     the rules file (e.g. rules/compare.json)\n"
    "  --out FILE       flags as CSV (one row per flag, the records behind it)\n"
    "  --xlsx FILE      workbook: rules, counties, flags, evidence, files, invalid IDs\n"
    "  --date DATE      reference date for ages and relative dates (default: the rules')\n"
    "  --threads N      worker threads (default: one per processor)\n"
    "  --list N         invalid IDs listed per file (default 20)\n"
    "  --no-store       do not store the run (benchmarks)\n\n"
    "explain shows, for a flagged household (or a person absent from the roster), each flag\n"
    "of the latest run (or --run N) and what it rested on: the household's category (and its\n"
    "income against the county's allowance standard where the rule reads them), the member,\n"
    "the department records (file, line, values read, plate / company / school) and rows\n"
    "whose ID failed its check character but whose first 17 digits are a member's.\n"
    "  --unmasked       names and resident IDs in full (personal data: the change log records\n"
    "                   who asked, for which household and run)\n";

static int explain(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},     {"household", required_argument, 0, 'H'},
        {"person", required_argument, 0, 'p'}, {"run", required_argument, 0, 'r'},
        {"unmasked", no_argument, 0, 'u'},     {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *db = NULL, *household = NULL, *person = NULL;
    int64_t run = 0;
    int unmasked = 0;
    struct store *s;
    struct error e;
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'H':
            household = optarg;
            break;
        case 'p':
            person = optarg;
            break;
        case 'r':
            if (parse_int64(optarg, &run) || run < 1)
                return cli_bad_value("compare explain", "bad --run %s", optarg);
            break;
        case 'u':
            unmasked = 1;
            break;
        case 'h':
            return cli_help(help);
        default:
            return cli_usage("compare explain", "unknown option");
        }
    }
    if (!household == !person)
        return cli_usage("compare explain", "give --household ID or --person RESIDENT_ID");
    if (optind != argc)
        return cli_usage("compare explain", "unexpected argument '%s'", argv[optind]);
    /* --unmasked writes its change-log note, so only then is the store opened writable */
    if ((rc = cli_open_store(db, unmasked ? 0 : STORE_READONLY, &s))) return rc;
    rc = compare_explain(s, household, person, run, unmasked, stdout, &e);
    store_close(s);
    if (rc == ERR_USAGE) return cli_usage("compare explain", "%s", e.msg);
    if (rc) return cli_fail(&e);
    return EXIT_OK;
}

int cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},   {"rules", required_argument, 0, 'r'},
        {"out", required_argument, 0, 'o'},  {"xlsx", required_argument, 0, 'x'},
        {"date", required_argument, 0, 'D'}, {"threads", required_argument, 0, 't'},
        {"list", required_argument, 0, 'l'}, {"no-store", no_argument, 0, 'n'},
        {"help", no_argument, 0, 'h'},       {0, 0, 0, 0}};
    const char *db = NULL, *rules_path = NULL;
    struct compare_opts o = {0};
    struct compare_result res;
    struct compare_rules *rules = NULL;
    struct errlist errs;
    struct store *s;
    struct error e;
    int c, rc;
    int64_t v;
    if (argc >= 2 && !strcmp(argv[1], "explain")) return explain(argc - 1, argv + 1);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'r':
            rules_path = optarg;
            break;
        case 'o':
            o.csv_path = optarg;
            break;
        case 'x':
            o.xlsx_path = optarg;
            break;
        case 'D':
            if (parse_date(optarg, &o.reference_date))
                return cli_bad_value("compare", "--date %s is not a date YYYY-MM-DD", optarg);
            break;
        case 't':
            if (parse_int64(optarg, &v) || v < 1 || v > 16)
                return cli_bad_value("compare", "--threads must be 1..16, not '%s'", optarg);
            o.threads = (int)v;
            break;
        case 'l':
            if (parse_int64(optarg, &v) || v < 1 || v > 100000)
                return cli_bad_value("compare", "--list must be 1..100000, not '%s'", optarg);
            o.max_listed = (size_t)v;
            break;
        case 'n':
            o.no_store = 1;
            break;
        case 'h':
            return cli_help(help);
        default:
            return cli_usage("compare", "unknown option");
        }
    }
    if (!rules_path) return cli_usage("compare", "--rules FILE is required");
    if (optind != argc - 1) return cli_usage("compare", "give one folder DEPTDIR");
    if ((rc = cli_need_input("compare", rules_path, 0)) ||
        (rc = cli_need_input("compare", argv[optind], 1)))
        return rc;
    errlist_init(&errs, 50);
    rc = compare_rules_load(rules_path, &rules, &errs, &e);
    if (rc) {
        if (errs.total) errlist_print(stderr, &errs);
        errlist_release(&errs);
        if (rc == ERR_INVALID || rc == ERR_PARSE) {
            fprintf(stderr, "pinggu compare: %s\n", e.msg);
            return EXIT_INPUT;
        }
        return cli_fail(&e);
    }
    errlist_release(&errs);
    if ((rc = cli_open_store(db, 0, &s))) {
        compare_rules_free(rules);
        return rc;
    }
    o.db_url = db;
    o.progress = 1;
    rc = compare_run(s, rules, argv[optind], &o, &res, &e);
    store_close(s);
    compare_rules_free(rules);
    if (rc) {
        rc = cli_fail(&e);
        fprintf(stderr, "pinggu compare: nothing was written\n");
        return rc;
    }
    compare_result_print(stdout, &res);
    if (res.run)
        printf("stored as comparison run %lld (pinggu compare explain --run %lld)\n",
               (long long)res.run, (long long)res.run);
    if (o.csv_path) printf("flags written to %s\n", o.csv_path);
    if (o.xlsx_path) printf("workbook written to %s\n", o.xlsx_path);
    compare_result_release(&res);
    return EXIT_OK;
}
