/*
 * cmd_plan.c — `pinggu plan check|show FILE`: validate and describe an assessment plan.
 */
#include "cli.h"

#include <string.h>

static const char help[] =
    "usage: pinggu plan check FILE\n"
    "       pinggu plan show FILE\n\n"
    "check  validates a plan / 检查考核方案: every problem is reported with its JSON path, e.g.\n"
    "       households.quotas[2].fallback[0]: unknown category \"exitted\". Exit 0 if valid, 2\n"
    "       if not. Thresholds are checked against the seed's words (低于 excludes the bound,\n"
    "       不低于 includes it: DESIGN §6.4).\n"
    "show   prints what the plan will do, stage by stage.\n"
    "The format: docs/plans.md. Shipped plans: plans/*.json.\n";

int cmd_plan(int argc, char **argv)
{
    struct plan p;
    struct errlist errs;
    struct error e;
    int rc;
    if (cli_wants_help(argc, argv)) return cli_help(help);
    if (argc != 3 || (strcmp(argv[1], "check") && strcmp(argv[1], "show")))
        return cli_usage("plan", "give check or show and one FILE");
    errlist_init(&errs, 50);
    rc = plan_load(argv[2], &p, &errs, &e);
    if (rc) {
        if (errs.total) errlist_print(stderr, &errs);
        else cli_fail(&e);
        errlist_release(&errs);
        plan_release(&p);
        return rc == ERR_IO ? EXIT_FAIL : EXIT_INPUT;
    }
    errlist_release(&errs);
    if (!strcmp(argv[1], "check"))
        printf("%s: valid plan %s (%s), SHA-256 %s\n", argv[2], p.id, p.title_zh, p.hash);
    else
        plan_describe(&p, stdout);
    plan_release(&p);
    return EXIT_OK;
}
