/*
 * cmd_interference.c — `pinggu interference record|list` and `pinggu fieldwork stop`:
 * interference and discipline (DESIGN §8.2, seed 002 八(二)–(三); problem.h discipline_*).
 * Until the server exists the CLI is a trusted office tool: --as ROLE is recorded with the
 * actor, and reading the records is refused unless ROLE is office or discipline — by the
 * library's rule (discipline_may_read), which the server will call with the user's grants.
 */
#include "cli.h"
#include "../problem/problem.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: pinggu interference record --db DB --round NAME --county CODE --kind KIND --note TEXT\n"
    "                                  --evidence FILE [--evidence FILE...] --as ROLE\n"
    "                                  [--side locality|team] [--on DATE]\n"
    "       pinggu interference list   --db DB --round NAME [--county CODE] --as office|discipline\n\n"
    "干扰考核与纪律 / interference and discipline (seed 002 八(二)–(三)).\n\n"
    "record  the locality's interference (--side locality, the default), with its evidence\n"
    "        (应留存证据并及时向省扶贫办报告): coaching (威胁、叮嘱、培训被调查对象或代替回答),\n"
    "        following (陪同、跟踪考核), asking_progress (监控和打探考核进展与结果), other; or the\n"
    "        team's own breach (--side team): gifts, hospitality, leak, extra_forms, other.\n"
    "        Evidence is stored by SHA-256 as `evidence add`; change-logged.\n"
    "list    the records, for the office and the discipline supervisor only (exit 2 otherwise).\n";

static const char help_fw[] =
    "usage: pinggu fieldwork stop --db DB --round NAME --county CODE --reason TEXT --as leader\n"
    "                             [--on DATE]\n\n"
    "终止实地考核 / stop fieldwork in a county: 干扰考核评估情况严重且不及时改正的,考核组可终止实地考核\n"
    "(seed 002 八(三)). The leader's (or the office's) logged decision with its reason, once per\n"
    "county. `field import` and `field simulate` then warn for the county: its questionnaires\n"
    "are stored, whether they count is the office's decision.\n";

enum { O_SIDE = 256 };
static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                     {"round", required_argument, 0, 'r'},
                                     {"county", required_argument, 0, 'c'},
                                     {"kind", required_argument, 0, 'k'},
                                     {"note", required_argument, 0, 'n'},
                                     {"reason", required_argument, 0, 'w'},
                                     {"evidence", required_argument, 0, 'e'},
                                     {"as", required_argument, 0, 'a'},
                                     {"on", required_argument, 0, 'o'},
                                     {"side", required_argument, 0, O_SIDE},
                                     {0, 0, 0, 0}};

struct args {
    const char *db, *round, *county_s, *kind, *note, *reason, *as, *on, *side;
    const char **ev;
    size_t nev;
    int64_t county;
    int role, onday;
};

/* Parses argv[1..] (after the sub-command); EXIT_OK or the exit status of a usage error. */
static int parse(const char *cmd, int argc, char **argv, struct args *a, int need_county)
{
    int c;
    memset(a, 0, sizeof *a);
    a->role = -1;
    a->ev = mem_calloc((size_t)argc + 1, sizeof *a->ev);
    if (!a->ev) return EXIT_FAIL;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->db = optarg; break;
        case 'r': a->round = optarg; break;
        case 'c': a->county_s = optarg; break;
        case 'k': a->kind = optarg; break;
        case 'n': a->note = optarg; break;
        case 'w': a->reason = optarg; break;
        case 'e': a->ev[a->nev++] = optarg; break;
        case 'a': a->as = optarg; break;
        case 'o': a->on = optarg; break;
        case O_SIDE: a->side = optarg; break;
        default: return cli_usage(cmd, "unknown option");
        }
    }
    if (!a->round) return cli_usage(cmd, "--round NAME is required");
    if (!a->as || (a->role = problem_role_parse(a->as)) < 0)
        return cli_usage(cmd, "--as ROLE is required: office, leader, evaluator, county or discipline");
    if (need_county && !a->county_s) return cli_usage(cmd, "--county CODE is required");
    if (a->county_s &&
        (parse_int64(a->county_s, &a->county) || a->county < 100000 || a->county > 999999))
        return cli_bad_value(cmd, "--county needs a six-digit county code, not '%s'", a->county_s);
    if (a->on && parse_date(a->on, &a->onday))
        return cli_bad_value(cmd, "--on '%s' is not a date (YYYY-MM-DD)", a->on);
    return EXIT_OK;
}

int cmd_interference(int argc, char **argv)
{
    struct args a;
    struct store *s = NULL;
    struct error e;
    int rc;
    if (cli_wants_help(argc, argv) || argc < 2)
        return argc < 2 ? cli_usage("interference", "record or list?") : cli_help(help);
    if (strcmp(argv[1], "record") && strcmp(argv[1], "list"))
        return cli_usage("interference", "unknown sub-command '%s' (record, list)", argv[1]);
    rc = parse("interference", argc, argv, &a, !strcmp(argv[1], "record"));
    if (rc) goto out;
    if (!strcmp(argv[1], "list")) {
        /* the rule is the library's; refused before the store is opened */
        if (!discipline_may_read((enum problem_role)a.role)) {
            rc = cli_bad_value("interference", "interference records are read by the office and "
                                               "the discipline supervisor only (--as office or "
                                               "--as discipline), not by the %s",
                               a.as);
            goto out;
        }
        if ((rc = cli_open_store(a.db, STORE_READONLY, &s))) goto out;
        if (discipline_list(s, a.round, (int)a.county, (enum problem_role)a.role, stdout, &e))
            rc = cli_fail(&e);
        goto out;
    }
    if (!a.kind || !a.note) {
        rc = cli_usage("interference", "record needs --kind and --note");
        goto out;
    }
    {
        struct discipline_entry d = {a.round, (int)a.county, a.side, a.kind, a.note, a.ev,
                                     a.nev, (enum problem_role)a.role, audit_actor(), a.onday};
        int64_t id = 0;
        if ((rc = cli_open_store(a.db, 0, &s))) goto out;
        if (discipline_record(s, &d, &id, &e)) rc = cli_fail(&e);
        else printf("discipline record %lld stored (county %lld, %s, %s)\n", (long long)id,
                    (long long)a.county, a.side ? a.side : "locality", a.kind);
    }
out:
    if (s) store_close(s);
    mem_free(a.ev);
    return rc;
}

int cmd_fieldwork(int argc, char **argv)
{
    struct args a;
    struct store *s = NULL;
    struct error e;
    int rc;
    if (cli_wants_help(argc, argv) || argc < 2)
        return argc < 2 ? cli_usage("fieldwork", "stop?") : cli_help(help_fw);
    if (strcmp(argv[1], "stop"))
        return cli_usage("fieldwork", "unknown sub-command '%s' (stop)", argv[1]);
    rc = parse("fieldwork", argc, argv, &a, 1);
    if (rc) goto out;
    if ((rc = cli_open_store(a.db, 0, &s))) goto out;
    if (fieldwork_stop(s, a.round, (int)a.county, a.reason, (enum problem_role)a.role,
                       audit_actor(), a.onday, &e))
        rc = cli_fail(&e);
    else
        printf("fieldwork in county %lld stopped (终止实地考核), logged\n", (long long)a.county);
out:
    if (s) store_close(s);
    mem_free(a.ev);
    return rc;
}
