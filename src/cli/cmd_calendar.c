/*
 * cmd_calendar.c — `pinggu calendar add-days|working-days|is-working|check`: the working-day
 * calendar that deadlines are counted in (problem.h, DESIGN §8.1, docs/problems.md).
 */
#include "cli.h"
#include "../problem/problem.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: pinggu calendar add-days DATE N      [--calendar FILE] [--province CODE]\n"
    "       pinggu calendar working-days FROM TO [--calendar FILE] [--province CODE]\n"
    "       pinggu calendar is-working DATE      [--calendar FILE] [--province CODE]\n"
    "       pinggu calendar check [FILE]         [--province CODE]\n\n"
    "工作日计算 / working days, with China's public holidays and adjusted working weekends (调休).\n\n"
    "add-days      the Nth working day after DATE (DATE itself not counted; N < 0 counts back):\n"
    "              `pinggu calendar add-days 2019-09-30 1` prints 2019-10-08.\n"
    "working-days  the number of working days in (FROM, TO]: how late an event on TO is, counted\n"
    "              from FROM (以内 includes the bound: day N of an N-working-day limit is in time).\n"
    "is-working    工作日 or 休息日, and why (the holiday or 调休 and its notice).\n"
    "check         reads a calendar file and reports its years and the first malformed row.\n\n"
    "--calendar FILE  default calendars/cn.csv (State Council notices 2016–2026, amendments\n"
    "                 overriding: 2019's Labour Day, 2020's Spring Festival); found beside the\n"
    "                 pinggu binary or in $PINGGU_DATA when not in the working directory.\n"
    "--province CODE  apply that province's own rows (two-digit code) over the national ones.\n"
    "Dates outside the calendar's years are refused (exit 2), never guessed.\n";

static int day_arg(const char *s, int *out)
{
    if (parse_date(s, out)) {
        fprintf(stderr, "pinggu calendar: '%s' is not a date (YYYY-MM-DD)\n", s);
        return EXIT_INPUT;
    }
    return 0;
}

static void put_day(int d)
{
    printf("%04d-%02d-%02d\n", d / 10000, d / 100 % 100, d % 100);
}

int cmd_calendar(int argc, char **argv)
{
    static const struct option opts[] = {{"calendar", required_argument, 0, 'c'},
                                         {"province", required_argument, 0, 'p'},
                                         {0, 0, 0, 0}};
    const char *file = "calendars/cn.csv", *province = NULL, *sub;
    struct calendar *cal = NULL;
    struct strbuf path = STRBUF_INIT;
    struct error e;
    int c, rc, nargs;
    char **args;
    if (cli_wants_help(argc, argv) || argc < 2)
        return argc < 2 ? cli_usage("calendar", "add-days, working-days, is-working or check?")
                        : cli_help(help);
    sub = argv[1];
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        if (c == 'c') file = optarg;
        else if (c == 'p') province = optarg;
        else return cli_usage("calendar", "unknown option");
    }
    args = argv + 1 + optind;
    nargs = argc - 1 - optind;
    if (!strcmp(sub, "check") && nargs == 1) file = args[0];
    if (data_find(file, &path) < 0) {
        error_set(&e, ERR_NOMEM, "out of memory");
        return cli_fail(&e);
    }
    if ((rc = cli_need_input("calendar", path.buf, 0))) {
        sb_release(&path);
        return rc;
    }
    rc = calendar_load(path.buf, province, &cal, &e);
    sb_release(&path);
    if (rc) return cli_fail(&e);
    if (!strcmp(sub, "add-days")) {
        int from, out;
        int64_t n;
        if (nargs != 2) rc = cli_usage("calendar", "add-days DATE N");
        else if ((rc = day_arg(args[0], &from))) ;
        else if (parse_int64(args[1], &n) || n < -100000 || n > 100000)
            rc = cli_usage("calendar", "N must be a whole number of working days, not '%s'", args[1]);
        else if (calendar_add_days(cal, from, (int)n, &out, &e)) rc = cli_fail(&e);
        else put_day(out);
    } else if (!strcmp(sub, "working-days")) {
        int from, to, n;
        if (nargs != 2) rc = cli_usage("calendar", "working-days FROM TO");
        else if ((rc = day_arg(args[0], &from)) || (rc = day_arg(args[1], &to))) ;
        else if (calendar_working_days(cal, from, to, &n, &e)) rc = cli_fail(&e);
        else printf("%d\n", n);
    } else if (!strcmp(sub, "is-working")) {
        int d, w;
        struct strbuf why = STRBUF_INIT;
        if (nargs != 1) rc = cli_usage("calendar", "is-working DATE");
        else if ((rc = day_arg(args[0], &d))) ;
        else if (calendar_is_working(cal, d, &w, &why, &e)) rc = cli_fail(&e);
        else {
            static const char *const wd[] = {"一", "二", "三", "四", "五", "六", "日"};
            printf("%s 星期%s %s / %s%s%s\n", args[0], wd[date_weekday(d)], w ? "工作日" : "休息日",
                   w ? "working day" : "day off", why.len ? "  " : "", why.len ? why.buf : "");
        }
        sb_release(&why);
    } else if (!strcmp(sub, "check")) {
        int a, b;
        calendar_years(cal, &a, &b);
        printf("ok: the calendar covers %d–%d\n", a, b);
    } else {
        rc = cli_usage("calendar", "unknown sub-command '%s'", sub);
    }
    calendar_free(cal);
    return rc;
}
