/*
 * cmd_bulletin.c — `pinggu bulletin`: the monthly ranking bulletin of seed 001 (Shaanxi) —
 * rank, band, movement, 倒数第一 表态发言 and runs of last places (monitor.h bulletin_rank,
 * docs/monitoring.md §4).
 */
#include "cli.h"
#include "../monitor/monitor.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: pinggu bulletin --month YYYY-MM --inputs SHEET.csv [--out DIR] [--plan FILE]\n"
    "                       [--rules FILE]\n\n"
    "月度排名通报 / the monthly ranking bulletin (seed 001, 陕西: "
    "\"每个月对各市(区)和省直责任部门\n"
    "扶贫工作进行排名通报,排出好中差,倒数第一的主要领导表态发言\"). SHEET has one row per unit and "
    "month:\n"
    "month (YYYY-MM), unit, kind (city = 市(区) or department = 省直责任部门: ranked apart),\n"
    "score (higher is better). For MONTH: each unit's rank (equal scores share one), band\n"
    "(好/中/差 by the rule of the plan's \"bulletin\" section, else rules/monitor.json: the seed\n"
    "gives none), movement since the month before, 倒数第一 flagged for 表态发言 and how many\n"
    "months in a row it has been last. --out DIR writes bulletin-YYYY-MM.html (printable) and\n"
    ".xlsx. A bad row is refused with file:line:column (exit 2).\n";

int cmd_bulletin(int argc, char **argv)
{
    static const struct option opts[] = {
        {"month", required_argument, 0, 'm'}, {"inputs", required_argument, 0, 'i'},
        {"out", required_argument, 0, 'o'},   {"plan", required_argument, 0, 'p'},
        {"rules", required_argument, 0, 'R'}, {0, 0, 0, 0}};
    const char *month_s = NULL, *sheet = NULL, *dir = NULL, *plan = NULL;
    const char *rules = "rules/monitor.json";
    struct monitor_rules mr;
    struct bulletin_row *v = NULL;
    struct strbuf path = STRBUF_INIT;
    struct error e;
    size_t n = 0;
    int c, rc, month, found = 0;
    int64_t y, m;
    char yb[5];
    if (cli_wants_help(argc, argv)) return cli_help(help);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            month_s = optarg;
            break;
        case 'i':
            sheet = optarg;
            break;
        case 'o':
            dir = optarg;
            break;
        case 'p':
            plan = optarg;
            break;
        case 'R':
            rules = optarg;
            break;
        default:
            return cli_usage("bulletin", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("bulletin", "unexpected argument '%s'", argv[optind]);
    if (!month_s || !sheet) return cli_usage("bulletin", "--month and --inputs are required");
    if (strlen(month_s) != 7 || month_s[4] != '-' ||
        (memcpy(yb, month_s, 4), yb[4] = 0, parse_int64(yb, &y)) || parse_int64(month_s + 5, &m) ||
        m < 1 || m > 12 || y < 2000 || y > 2100)
        return cli_bad_value("bulletin", "--month '%s' is not YYYY-MM", month_s);
    month = (int)(y * 100 + m);
    if ((rc = cli_need_input("bulletin", sheet, 0)) ||
        (plan && (rc = cli_need_input("bulletin", plan, 0))))
        return rc;
    if (data_find(rules, &path) < 0) {
        error_set(&e, ERR_NOMEM, "out of memory");
        return cli_fail(&e);
    }
    rc = monitor_rules_load(path.buf, &mr, &e);
    sb_release(&path);
    if (rc) return cli_fail(&e);
    if (plan && (rc = bulletin_rules_from_plan(plan, &mr.bulletin, &found, &e)))
        return cli_fail(&e);
    if ((rc = bulletin_rank(sheet, month, &mr.bulletin, &v, &n, &e))) return cli_fail(&e);
    printf("%s bands: top %.0f%% 好, bottom %.0f%% 差 (%s)\n", month_s,
           mr.bulletin.good_share * 100, mr.bulletin.poor_share * 100,
           found ? "the plan's rule" : "rules/monitor.json");
    for (size_t i = 0; i < n; i++) {
        const struct bulletin_row *b = &v[i];
        char mv[24];
        if (b->prev_rank)
            snprintf(mv, sizeof mv, "%+d", b->movement);
        else
            snprintf(mv, sizeof mv, "new");
        printf("%-10s %2d/%-2d %-16s %8g %-10s %5s%s", b->kind, b->rank, b->n, b->unit, b->score,
               b->band, mv, b->last ? "  倒数第一 表态发言" : "");
        if (b->last_run > 1) printf(" (%d months in a row)", b->last_run);
        putchar('\n');
    }
    if (dir && (rc = bulletin_write(v, n, month, &mr.bulletin, dir, &e))) {
        mem_free(v);
        return cli_fail(&e);
    }
    mem_free(v);
    return EXIT_OK;
}
