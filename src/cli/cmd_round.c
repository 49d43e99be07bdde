/*
 * cmd_round.c — `pinggu round status`: a round's milestones (the plan's `milestones`, seed
 * 002's Anhui timetable) and progress against them in working days (monitor.h round_status,
 * the calendar of problem.h; docs/monitoring.md §3).
 */
#include "cli.h"
#include "../monitor/monitor.h"
#include "../problem/problem.h"

#include <string.h>

static const char help[] =
    "usage: pinggu round status --db S --round NAME [--date YYYY-MM-DD] [--plan FILE]\n"
    "                           [--done FILE] [--calendar FILE] [--province CODE] [--out DIR]\n\n"
    "考核进度 / a round's schedule: each milestone of the plan (milestones.items: seed 002,\n"
    "Anhui — teams formed in early November, training and lottery by 23 November, fieldwork\n"
    "24-29 November, team reports by 1 December, self-evaluation reports by 10 December, the\n"
    "summary report by 20 December) and where it stands on DATE (default today): done on time\n"
    "or late, not started, open or overdue, in working days (holidays and 调休 from the\n"
    "calendar). A milestone is done when the change log shows its evidence action for the\n"
    "round (teams draw, judge, report), or on the date --done FILE gives (columns milestone,\n"
    "done[, note]). NAME is the round's sample; its stored plan is used unless --plan FILE.\n"
    "--out DIR writes round-NAME.html and .xlsx.\n";

int cmd_round(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"round", required_argument, 0, 'r'},
                                         {"date", required_argument, 0, 'T'},
                                         {"plan", required_argument, 0, 'p'},
                                         {"done", required_argument, 0, 'D'},
                                         {"calendar", required_argument, 0, 'c'},
                                         {"province", required_argument, 0, 'P'},
                                         {"out", required_argument, 0, 'o'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *round = NULL, *date_s = NULL, *plan = NULL, *done = NULL;
    const char *calfile = "calendars/cn.csv", *province = NULL, *dir = NULL;
    struct calendar *cal = NULL;
    struct milestone *v = NULL;
    struct store *s = NULL;
    struct strbuf path = STRBUF_INIT;
    struct error e;
    size_t n = 0;
    int c, rc, asof = 0;
    long late = 0;
    if (cli_wants_help(argc, argv)) return cli_help(help);
    if (argc < 2 || strcmp(argv[1], "status"))
        return cli_usage("round", "usage: round status --db S --round NAME");
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'r':
            round = optarg;
            break;
        case 'T':
            date_s = optarg;
            break;
        case 'p':
            plan = optarg;
            break;
        case 'D':
            done = optarg;
            break;
        case 'c':
            calfile = optarg;
            break;
        case 'P':
            province = optarg;
            break;
        case 'o':
            dir = optarg;
            break;
        default:
            return cli_usage("round", "unknown option");
        }
    }
    if (optind < argc - 1) return cli_usage("round", "unexpected argument '%s'", argv[optind + 1]);
    if (!db || !round) return cli_usage("round", "--db and --round are required");
    if (date_s && parse_date(date_s, &asof))
        return cli_bad_value("round", "--date '%s' is not a date (YYYY-MM-DD)", date_s);
    if ((plan && (rc = cli_need_input("round", plan, 0))) ||
        (done && (rc = cli_need_input("round", done, 0))))
        return rc;
    if (data_find(calfile, &path) < 0) {
        error_set(&e, ERR_NOMEM, "out of memory");
        return cli_fail(&e);
    }
    rc = calendar_load(path.buf, province, &cal, &e);
    sb_release(&path);
    if (rc) return cli_fail(&e);
    if ((rc = cli_open_store(db, STORE_READONLY, &s))) {
        calendar_free(cal);
        return rc;
    }
    rc = round_status(s, round, plan, done, cal, asof, &v, &n, &e);
    store_close(s);
    calendar_free(cal);
    if (rc) return cli_fail(&e);
    if (!asof) asof = date_today();
    printf("round %s on %04d-%02d-%02d\n", round, asof / 10000, asof / 100 % 100, asof % 100);
    for (size_t i = 0; i < n; i++) {
        const struct milestone *m = &v[i];
        char when[64] = "";
        if (m->from)
            snprintf(when, sizeof when, "%04d-%02d-%02d..", m->from / 10000, m->from / 100 % 100,
                     m->from % 100);
        printf("%-18s %-36s %s%04d-%02d-%02d%s  %s", m->id, m->name, when, m->by / 10000,
               m->by / 100 % 100, m->by % 100, m->rest_day ? " (rest day)" : "",
               milestone_state_name(m->state));
        if (m->done)
            printf(" %04d-%02d-%02d (%s)", m->done / 10000, m->done / 100 % 100, m->done % 100,
                   m->done_from);
        switch (m->state) {
        case MS_LATE:
            printf(", %d working days late", m->wdays);
            break;
        case MS_NOT_STARTED:
            printf(", starts in %d working days", m->wdays);
            break;
        case MS_OPEN:
            printf(", due in %d working days", m->wdays);
            break;
        case MS_OVERDUE:
            printf(", overdue by %d working days", m->wdays);
            break;
        default:
            break;
        }
        putchar('\n');
        late += m->state == MS_LATE || m->state == MS_OVERDUE;
    }
    printf("%zu milestones, %ld late or overdue\n", n, late);
    if (dir) {
        struct mon_doc *d = NULL;
        char base[96];
        snprintf(base, sizeof base, "round-%s", round);
        if (round_status_doc(round, asof, v, n, &d)) {
            mem_free(v);
            error_set(&e, ERR_NOMEM, "out of memory");
            return cli_fail(&e);
        }
        rc = mon_doc_write(d, dir, base, &e);
        mon_doc_free(d);
        if (rc) {
            mem_free(v);
            return cli_fail(&e);
        }
    }
    mem_free(v);
    return EXIT_OK;
}
