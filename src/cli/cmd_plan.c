/*
 * cmd_plan.c — `pinggu plan check|show FILE`: validate and describe an assessment plan;
 * `plan check FILE --db DB` also warns where the registry's frame cannot fill a quota;
 * `plan power`: can the plan decide.
 */
#include "cli.h"
#include "../estimate/estimate.h"

#include <math.h>
#include <string.h>

static const char help[] =
    "usage: pinggu plan check FILE [--db DB]\n"
    "       pinggu plan check --sources FILE\n"
    "       pinggu plan show FILE\n\n"
    "check  validates a plan / 检查考核方案: every problem is reported with its JSON path, e.g.\n"
    "       households.quotas[2].fallback[0]: unknown category \"exitted\". Exit 0 if valid, 2\n"
    "       if not. Thresholds are checked against the seed's words (低于 excludes the bound,\n"
    "       不低于 includes it: DESIGN §6.4). With --db, also holds the plan against that\n"
    "       registry: one warning per county where a quota exceeds what the county's frame\n"
    "       holds (villages of a stratum or township, households of a quota with its\n"
    "       fallbacks, projects); the draw would be short there. Warnings do not fail.\n"
    "       --sources lists every number of the plan with where it comes from: the seed's\n"
    "       quote, a threshold's words, or the plan's own choice with its reason; exit 2 if\n"
    "       any number has none (UNSOURCED) or a source names no number (STALE).\n"
    "show   prints what the plan will do, stage by stage.\n"
    "power  before fieldwork / 抽样方案检验: draws the plan 10 times on the registry of --db\n"
    "       (seeds power|1 … power|10; the counties of the first draw), then simulates each\n"
    "       county's outcomes at the threshold and at a clearly better rate (half the\n"
    "       threshold; for approval half the shortfall) --reps times (default 400), averaged\n"
    "       over the draws (households: their mean number per draw),\n"
    "       with villages clustered by --icc (default 0.05); prints the expected interval\n"
    "       half-width and the power to call the better county clearly within, and lists\n"
    "       the counties the plan cannot decide (power below 80%).\n"
    "       usage: pinggu plan power --db DB --plan FILE [--reps N] [--icc R]\n"
    "The format: docs/plans.md. Shipped plans: plans/*.json.\n";

static int power(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"plan", required_argument, 0, 'p'},
                                         {"reps", required_argument, 0, 'r'},
                                         {"icc", required_argument, 0, 'i'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *planf = NULL;
    int64_t reps = 400;
    double icc = 0.05;
    struct plan p;
    struct errlist errs;
    struct store *s;
    struct error e;
    struct power_row *rows = NULL;
    size_t n = 0;
    int c, rc, undecided = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'p') planf = optarg;
        else if (c == 'r' && !parse_int64(optarg, &reps) && reps >= 10 && reps <= 100000) continue;
        else if (c == 'i' && !parse_double(optarg, &icc) && icc >= 0 && icc < 1) continue;
        else if (c == 'r' || c == 'i')
            return cli_bad_value("plan", "--%s: '%s' is out of range (--reps 10..100000, --icc 0..1)",
                                 c == 'r' ? "reps" : "icc", optarg);
        else return cli_usage("plan", "bad option (power: --db --plan [--reps 10..100000] [--icc 0..1])");
    }
    if (!planf) return cli_usage("plan", "--plan is required");
    errlist_init(&errs, 50);
    if (plan_load(planf, &p, &errs, &e)) {
        if (errs.total) errlist_print(stderr, &errs);
        else cli_fail(&e);
        errlist_release(&errs);
        plan_release(&p);
        return EXIT_INPUT;
    }
    errlist_release(&errs);
    if ((rc = cli_open_store(db, STORE_READONLY, &s))) {
        plan_release(&p);
        return rc;
    }
    rc = plan_power(s, &p, (int)reps, icc, &rows, &n, &e);
    store_close(s);
    if (rc) {
        plan_release(&p);
        return cli_fail(&e);
    }
    printf("power of plan %s on this registry (%lld replicates over %d draws, village ICC %.2f)\n"
           "can the plan tell a county at the threshold from a clearly better one?\n\n"
           "%-8s %-12s %9s %10s %12s %8s %12s  %s\n",
           p.id, (long long)reps, POWER_DRAWS, icc, "county", "indicator", "threshold", "households",
           "half-width", "power", "flags from", "decides");
    for (size_t i = 0; i < n; i++) {
        const struct power_row *r = &rows[i];
        char det[32];
        if (isfinite(r->detectable)) snprintf(det, sizeof det, "%.1f%%", 100 * r->detectable);
        else snprintf(det, sizeof det, "none");
        printf("%-8d %-12s %8.1f%% %10lld %11.2f%% %7.0f%% %12s  %s\n", r->county,
               indicator_code(r->ind), 100 * r->threshold, (long long)r->expected_n,
               isfinite(r->half_width) ? 100 * r->half_width : 0.0, 100 * r->power, det,
               r->decides ? "yes" : "NO: cannot decide");
        undecided += !r->decides;
    }
    if (undecided) {
        printf("\nthe plan cannot decide / 样本量不足以判定:");
        for (size_t i = 0; i < n; i++)
            if (!rows[i].decides) printf(" %d %s", rows[i].county, indicator_code(rows[i].ind));
        printf("\n(at such sample sizes a county at the threshold and one at half of it give\n"
               "overlapping intervals: the interval verdict will be 'too close to call')\n");
    printf("power: share of samples in which a county at half the threshold (approval: half the\n"
           "shortfall) is called clearly within; flags from: the true rate at which a county is\n"
           "called clearly outside in 80%% of samples\n");
    }
    mem_free(rows);
    plan_release(&p);
    return EXIT_OK;
}

/* plan check --sources FILE: every number and its source (issue 16 item 14). */
static int sources(const char *file)
{
    struct plan p;
    struct errlist errs;
    struct error e;
    int rc, n;
    errlist_init(&errs, 50);
    rc = plan_load(file, &p, &errs, &e);
    if (rc) {
        if (errs.total) errlist_print(stderr, &errs);
        else cli_fail(&e);
        errlist_release(&errs);
        plan_release(&p);
        return rc == ERR_IO ? EXIT_FAIL : EXIT_INPUT;
    }
    errlist_release(&errs);
    n = plan_sources(&p, stdout);
    plan_release(&p);
    if (n) {
        fprintf(stderr,
                "%s: %d number(s) with no seed sentence and no stated choice, or stale sources\n",
                file, n);
        return EXIT_INPUT;
    }
    return EXIT_OK;
}

int cmd_plan(int argc, char **argv)
{
    struct plan p;
    struct errlist errs;
    struct error e;
    const char *file = NULL, *db = NULL;
    int rc;
    if (cli_wants_help(argc, argv)) return cli_help(help);
    if (argc >= 2 && !strcmp(argv[1], "power")) return power(argc - 1, argv + 1);
    if (argc == 4 && !strcmp(argv[1], "check") && !strcmp(argv[2], "--sources"))
        return sources(argv[3]);
    if (argc >= 2 && !strcmp(argv[1], "check")) {
        /* plan check FILE [--db DB], the option before or after the file */
        for (int i = 2; i < argc; i++) {
            if (!strcmp(argv[i], "--db") && i + 1 < argc) db = argv[++i];
            else if (!strncmp(argv[i], "--db=", 5)) db = argv[i] + 5;
            else if (argv[i][0] == '-' && argv[i][1])
                return cli_usage("plan", "unknown option %s", argv[i]);
            else if (!file) file = argv[i];
            else return cli_usage("plan", "give one FILE");
        }
        if (!file) return cli_usage("plan", "give check and one FILE");
    } else if (argc == 3 && !strcmp(argv[1], "show")) {
        file = argv[2];
    } else {
        return cli_usage("plan", "give check or show and one FILE");
    }
    if ((rc = cli_need_input("plan", file, 0))) return rc;
    errlist_init(&errs, 50);
    rc = plan_load(file, &p, &errs, &e);
    if (rc) {
        if (errs.total) errlist_print(stderr, &errs);
        else cli_fail(&e);
        errlist_release(&errs);
        plan_release(&p);
        return rc == ERR_IO ? EXIT_FAIL : EXIT_INPUT;
    }
    errlist_release(&errs);
    if (strcmp(argv[1], "check")) plan_describe(&p, stdout);
    if (!strcmp(argv[1], "check") || db) {
        struct store *s = NULL;
        if (db && (rc = cli_open_store(db, STORE_READONLY, &s))) {
            plan_release(&p);
            return rc;
        }
        rc = plan_check_print(s, file, &p, db, stdout, &e);
        if (s) store_close(s);
        if (rc) {
            plan_release(&p);
            return cli_fail(&e);
        }
    }
    plan_release(&p);
    return EXIT_OK;
}
