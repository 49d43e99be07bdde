/*
 * cmd_monitor.c — `pinggu monitor`: post-exit monitoring of exited counties (monitor.h,
 * docs/monitoring.md; seed 000's four signs of 松劲懈怠, seed 003's transition, seed 001's
 * work-team rule) and `pinggu monitor import` for the office files.
 */
#include "cli.h"
#include "../monitor/monitor.h"

#include <string.h>

static const char help[] =
    "usage: pinggu monitor --db S --out DIR [--year YYYY] [--rules FILE]\n"
    "       pinggu monitor import --db S [--plans PLANS.csv] [--training TRAINING.csv]\n\n"
    "脱贫摘帽县监测 / post-exit monitoring. Compares the registry snapshots of YYYY (default:\n"
    "the latest) and the year before (`pinggu import --snapshot YYYY-12-31 ...`), with the\n"
    "office files and the work-team roster (`pinggu attendance import`). Per exited county,\n"
    "seed 000's four signs: reduction slowing, annual target missed, incomes of exited\n"
    "households falling, slackening (training down sharply or none; work-team members moved\n"
    "away); seed 003: exited households within 3 years whose medical insurance or schooling\n"
    "stopped; seed 001 (Hunan 四): non-poor villages with 100 or more poor persons and no work\n"
    "team. Writes DIR/monitor-YYYY.html and .xlsx and prints the counties that warrant an\n"
    "interview (约谈). Thresholds: rules/monitor.json.\n"
    "  import   plans (county, year, planned: persons to exit that year) and training sessions\n"
    "           (county, date, title[, participants]); all or nothing, file:line errors (exit "
    "2).\n";

int cmd_monitor(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"out", required_argument, 0, 'o'},
                                         {"year", required_argument, 0, 'y'},
                                         {"rules", required_argument, 0, 'R'},
                                         {"plans", required_argument, 0, 'p'},
                                         {"training", required_argument, 0, 't'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *dir = NULL, *rules = "rules/monitor.json", *plans = NULL,
               *training = NULL;
    struct monitor_rules mr;
    struct monitor_result m;
    struct strbuf path = STRBUF_INIT;
    struct store *s = NULL;
    struct error e;
    int c, rc, imp = 0, year = 0, shift = 0;
    int64_t v;
    if (cli_wants_help(argc, argv)) return cli_help(help);
    if (argc > 1 && !strcmp(argv[1], "import")) imp = 1, shift = 1;
    optind = 1;
    while ((c = getopt_long(argc - shift, argv + shift, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'o':
            dir = optarg;
            break;
        case 'R':
            rules = optarg;
            break;
        case 'p':
            plans = optarg;
            break;
        case 't':
            training = optarg;
            break;
        case 'y':
            if (parse_int64(optarg, &v) || v < 2000 || v > 2100)
                return cli_bad_value("monitor", "--year %s is not a year", optarg);
            year = (int)v;
            break;
        default:
            return cli_usage("monitor", "unknown option");
        }
    }
    if (optind < argc - shift)
        return cli_usage("monitor", "unexpected argument '%s'", argv[optind + shift]);
    if (!db) return cli_usage("monitor", "--db is required");
    if (imp) {
        long np, nt;
        if (!plans && !training) return cli_usage("monitor", "import needs --plans or --training");
        if ((plans && (rc = cli_need_input("monitor", plans, 0))) ||
            (training && (rc = cli_need_input("monitor", training, 0))))
            return rc;
        if ((rc = cli_open_store(db, 0, &s))) return rc;
        rc = monitor_office_import(s, plans, training, &np, &nt, &e);
        store_close(s);
        if (rc) return cli_fail(&e);
        printf("imported %ld plans, %ld training sessions\n", np, nt);
        return EXIT_OK;
    }
    if (!dir) return cli_usage("monitor", "--out DIR is required");
    if (data_find(rules, &path) < 0) {
        error_set(&e, ERR_NOMEM, "out of memory");
        return cli_fail(&e);
    }
    rc = monitor_rules_load(path.buf, &mr, &e);
    sb_release(&path);
    if (rc) return cli_fail(&e);
    if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
    rc = monitor_run(s, &mr.post, year, &m, &e);
    store_close(s);
    if (rc) return cli_fail(&e);
    printf("monitoring %d: snapshots %s and %s%s%s\n", m.year, m.snap_now, m.snap_prev,
           m.snap_prev2[0] ? " and " : "", m.snap_prev2);
    printf("%-7s %-8s %6s %6s %6s %7s %7s %6s %6s %5s %5s %4s %4s  %s\n", "county", "name",
           "R(Y-2)", "R(Y-1)", "R(Y)", "planned", "done", "cmp", "fell", "trY-1", "trY", "team",
           "moved", "signs");
    for (size_t i = 0; i < m.nc; i++) {
        const struct mon_county *k = &m.c[i];
        printf("%-7d %-8s %6ld %6ld %6ld %7ld %7ld %6ld %6ld %5ld %5ld %4ld %4ld  %s%s%s%s%s%s\n",
               k->county, k->name, k->r2, k->r1, k->r0, k->planned, k->achieved, k->inc_compared,
               k->inc_fell, k->train_prev, k->train_now, k->team_base, k->team_moved,
               k->slowing ? "slowing " : "", k->target_missed ? "target " : "",
               k->income_falling ? "income " : "", k->slack_training ? "training " : "",
               k->slack_team ? "teams " : "", k->interview ? "=> 约谈 interview" : "");
    }
    printf("incomes fell: %zu exited households; support stopped within %d years of exit: %zu "
           "households; non-poor villages with %ld+ poor persons and no work team: %zu\n",
           m.nfell, mr.post.transition_years, m.ntrans, mr.post.work_team_min_poor, m.nv);
    for (size_t i = 0; i < m.ntrans; i++)
        printf("  transition %s (exit %d): %s\n", m.trans[i].household_id, m.trans[i].exit_year,
               m.trans[i].why);
    for (size_t i = 0; i < m.nv; i++)
        printf("  no work team: village %lld %s, %ld poor persons\n", (long long)m.v[i].village,
               m.v[i].name, m.v[i].poor);
    for (size_t i = 0; i < m.nc; i++)
        if (m.c[i].interview)
            printf("约谈 interview: %d %s (%d signs)\n", m.c[i].county, m.c[i].name, m.c[i].signs);
    rc = monitor_write(&m, &mr.post, dir, &e);
    monitor_result_release(&m);
    return rc ? cli_fail(&e) : EXIT_OK;
}
