/*
 * cmd_teams.c — `pinggu teams draw|show`: the team lottery and members (plan.h, teams.c).
 */
#include "cli.h"

#include <string.h>

static const char help[] =
    "usage: pinggu teams draw --db DB --plan FILE --seed SEED --sample NAME\n"
    "       pinggu teams show --db DB --sample NAME\n\n"
    "draw  forms the teams / 抽签组建考核组: leaders from the qualified city poverty-office\n"
    "      directors, a lottery dealing the sample's cities to the teams (no team on its own\n"
    "      city; rejected rounds are redrawn), then members from the qualified pool — nobody\n"
    "      from a city the team assesses, a provincial deputy, at least the plan's share of\n"
    "      county/township/village cadres, an experienced member in every household pair.\n"
    "      FILE must be the plan the sample was drawn with. A pool that cannot satisfy a rule\n"
    "      is an error naming the rule; nothing is stored.\n"
    "show  lists each team's cities and members (names masked) and its composition.\n";

int cmd_teams(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},   {"plan", required_argument, 0, 'p'},
        {"seed", required_argument, 0, 's'}, {"sample", required_argument, 0, 'n'},
        {"help", no_argument, 0, 'h'},       {0, 0, 0, 0}};
    const char *db = NULL, *planf = NULL, *seed = NULL, *sample = NULL, *sub;
    struct store *s;
    struct error e;
    int c, rc;
    if (cli_wants_help(argc, argv)) return cli_help(help);
    if (argc < 2 || (strcmp(argv[1], "draw") && strcmp(argv[1], "show")))
        return cli_usage("teams", "draw or show?");
    sub = argv[1];
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'p': planf = optarg; break;
        case 's': seed = optarg; break;
        case 'n': sample = optarg; break;
        default: return cli_usage("teams", "unknown option");
        }
    }
    if (!sample) return cli_usage("teams", "--sample is required");
    if (!strcmp(sub, "draw") && (!seed || !planf))
        return cli_usage("teams", "--plan and --seed are required");
    if (planf && (rc = cli_need_input("teams", planf, 0))) return rc;
    if ((rc = cli_open_store(db, 0, &s))) return rc;
    if (!strcmp(sub, "draw")) {
        struct plan given, stored;
        struct errlist errs;
        errlist_init(&errs, 20);
        rc = plan_load(planf, &given, &errs, &e);
        if (!rc) rc = sample_plan(s, sample, &stored, NULL, 0, NULL, &e);
        if (!rc && strcmp(given.hash, stored.hash))
            rc = error_set(&e, ERR_INVALID, "%s is not the plan sample %s was drawn with (%s)",
                           planf, sample, stored.id);
        plan_release(&given);
        plan_release(&stored);
        if (rc && errs.total) errlist_print(stderr, &errs);
        errlist_release(&errs);
        if (!rc) rc = teams_draw(s, sample, seed, &e);
    }
    if (!rc) rc = teams_show(s, sample, stdout, &e);
    store_close(s);
    return rc ? cli_fail(&e) : EXIT_OK;
}
