/*
 * cmd_synthesis.c — `pinggu synthesis show|record`: the county synthesis (综合研判, seed 000) —
 * third-party indicators, covert-visit findings and the departments' information side by side,
 * and the office's final judgment with its reasons (problem.h synthesis_*). Options and printing
 * only; the rules (who may record, versions) are the library's.
 */
#include "cli.h"
#include "../problem/problem.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: pinggu synthesis show   --db DB --round NAME --county CODE\n"
    "       pinggu synthesis record --db DB --round NAME --county CODE --judgment TEXT\n"
    "                               --reason TEXT --as office\n\n"
    "综合研判 / county synthesis (seed 000: 第三方评估与暗访、部门平时掌握情况相结合的原则,综合研判提出最终\n"
    "的贫困县抽查结果).\n\n"
    "show    side by side: the third-party indicators with their intervals and verdicts, the\n"
    "        covert-visit findings (problems recorded with --source covert), the departments'\n"
    "        information (the latest comparison run's flags per rule for the county, and how\n"
    "        many the office raised), the county's problems by source, and the office's judgment.\n"
    "record  the office's final judgment with its reasons: a new version each time, earlier\n"
    "        ones kept; change-logged with actor and role. Only --as office.\n";

int cmd_synthesis(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"round", required_argument, 0, 'r'},
                                         {"county", required_argument, 0, 'c'},
                                         {"judgment", required_argument, 0, 'j'},
                                         {"reason", required_argument, 0, 'w'},
                                         {"as", required_argument, 0, 'a'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *round = NULL, *county_s = NULL, *judgment = NULL, *reason = NULL,
               *as = NULL, *sub;
    struct store *s = NULL;
    struct error e;
    int64_t county = 0;
    int c, rc = EXIT_OK;
    if (cli_wants_help(argc, argv) || argc < 2)
        return argc < 2 ? cli_usage("synthesis", "show or record?") : cli_help(help);
    sub = argv[1];
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'r': round = optarg; break;
        case 'c': county_s = optarg; break;
        case 'j': judgment = optarg; break;
        case 'w': reason = optarg; break;
        case 'a': as = optarg; break;
        default: return cli_usage("synthesis", "unknown option");
        }
    }
    if (!round || !county_s) return cli_usage("synthesis", "--round and --county are required");
    if (parse_int64(county_s, &county) || county < 100000 || county > 999999)
        return cli_bad_value("synthesis", "--county needs a six-digit county code, not '%s'",
                             county_s);
    if (!strcmp(sub, "show")) {
        if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
        if (synthesis_show(s, round, (int)county, stdout, &e)) rc = cli_fail(&e);
        store_close(s);
        return rc;
    }
    if (strcmp(sub, "record"))
        return cli_usage("synthesis", "unknown sub-command '%s' (show, record)", sub);
    {
        int role;
        int64_t version = 0;
        if (!as || (role = problem_role_parse(as)) < 0)
            return cli_usage("synthesis", "--as ROLE is required (the judgment is the office's)");
        if ((rc = cli_open_store(db, 0, &s))) return rc;
        if (synthesis_record(s, round, (int)county, judgment, reason, (enum problem_role)role,
                             audit_actor(), &version, &e))
            rc = cli_fail(&e);
        else
            printf("综合研判 county %lld: judgment recorded as version %lld\n", (long long)county,
                   (long long)version);
        store_close(s);
    }
    return rc;
}
