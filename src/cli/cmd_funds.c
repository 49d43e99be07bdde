/*
 * cmd_funds.c — `pinggu funds check FILE`: the funds rule of seed 001 (Qinghai) over a funds
 * file, in working days of the calendar (problem.h funds_check, docs/problems.md).
 */
#include "cli.h"
#include "../problem/problem.h"

#include <string.h>

static const char help[] =
    "usage: pinggu funds check FILE [--date DATE] [--calendar FILE] [--province CODE]\n\n"
    "资金拨付时限 / the funds rule of seed 001: \"中央资金一经到账,省级财政20个工作日内拨付到县,\n"
    "各县30个工作日内完成前期准备工作并落地实施\". FILE has the columns item (资金项目), county (县),\n"
    "arrived (中央资金到账), paid (拨付到县, empty if not yet) and started (落地实施, empty if not\n"
    "yet). For each item: the last day in time for each event (working days, holidays and 调休\n"
    "from the calendar; the 20th working day is in time, the 21st late), how many working days\n"
    "late it was, and whether it is still open past its limit on DATE (default today).\n"
    "A malformed row is refused with file:line:column (exit 2).\n";

static void day(int d)
{
    if (d) printf(" %04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
    else printf(" %-10s", "-");
}

int cmd_funds(int argc, char **argv)
{
    static const struct option opts[] = {{"date", required_argument, 0, 'T'},
                                         {"calendar", required_argument, 0, 'c'},
                                         {"province", required_argument, 0, 'p'},
                                         {0, 0, 0, 0}};
    const char *asof_s = NULL, *calfile = "calendars/cn.csv", *province = NULL;
    struct calendar *cal = NULL;
    struct funds_item *v = NULL;
    struct strbuf path = STRBUF_INIT;
    struct error e;
    size_t n = 0;
    int c, rc, asof = 0;
    long late_pay = 0, late_start = 0, open_pay = 0, open_start = 0;
    if (cli_wants_help(argc, argv)) return cli_help(help);
    if (argc < 2 || strcmp(argv[1], "check")) return cli_usage("funds", "usage: funds check FILE");
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        if (c == 'T') asof_s = optarg;
        else if (c == 'c') calfile = optarg;
        else if (c == 'p') province = optarg;
        else return cli_usage("funds", "unknown option");
    }
    if (argc - 1 - optind != 1) return cli_usage("funds", "one funds FILE is required");
    if (asof_s && parse_date(asof_s, &asof))
        return cli_usage("funds", "--date '%s' is not a date (YYYY-MM-DD)", asof_s);
    if (data_find(calfile, &path) < 0) {
        error_set(&e, ERR_NOMEM, "out of memory");
        return cli_fail(&e);
    }
    rc = calendar_load(path.buf, province, &cal, &e);
    sb_release(&path);
    if (rc) return cli_fail(&e);
    if ((rc = cli_need_input("funds", argv[1 + optind], 0))) {
        calendar_free(cal);
        return rc;
    }
    rc = funds_check(argv[1 + optind], cal, asof, &v, &n, &e);
    calendar_free(cal);
    if (rc) return cli_fail(&e);
    printf("%-24s %-12s %-10s %-10s %-10s %-6s %-10s %-10s %s\n", "资金项目 item", "县 county",
           "到账", "拨付时限", "拨付到县", "逾期", "实施时限", "落地实施", "逾期");
    for (size_t i = 0; i < n; i++) {
        const struct funds_item *it = &v[i];
        printf("%-24s %-12s", it->item, it->county);
        day(it->arrived);
        day(it->paid_due);
        day(it->paid);
        if (it->paid_late) printf(" 迟%d日", it->paid_late);
        else printf(" %s", it->paid_open ? "未拨付逾期" : "-");
        day(it->started_due);
        day(it->started);
        if (it->started_late) printf(" 迟%d日", it->started_late);
        else printf(" %s", it->started_open ? "未实施逾期" : "-");
        putchar('\n');
        late_pay += it->paid_late > 0;
        late_start += it->started_late > 0;
        open_pay += it->paid_open;
        open_start += it->started_open;
    }
    printf("%zu items: paid late %ld, not paid and past the limit %ld; started late %ld, not "
           "started and past the limit %ld (working days; the limit day itself is in time)\n",
           n, late_pay, open_pay, late_start, open_start);
    mem_free(v);
    return EXIT_OK;
}
