/*
 * cmd_release.c — `pinggu release create|list`: the office releases a round (access.h): a
 * numbered, immutable snapshot of its county figures and confirmed problems, its SHA-256
 * recorded in the change log. There is no un-release; a later change needs a new release.
 */
#include "cli.h"
#include "../access/access.h"

#include <string.h>

static const char help[] =
    "usage: pinggu release create --db DB --round NAME\n\n"
    "发布评估结果 / releases a round: a numbered, immutable snapshot of the round's county\n"
    "figures and its confirmed problems (never dismissed ones, answers or evaluator identities),\n"
    "with its SHA-256, in the change log. Releases are never changed or withdrawn; a change\n"
    "afterwards needs a new release. Once released, county and city liaisons read the\n"
    "county-facing view and the home-city rule (本市、本县回避) no longer applies (DESIGN §10).\n";

int cmd_release(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"round", required_argument, 0, 'r'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *round = NULL;
    struct store *s = NULL;
    struct error e;
    char *snap = NULL, sha[65];
    int c, rc = EXIT_OK, number = 0;
    if (cli_wants_help(argc, argv) || argc < 2)
        return argc < 2 ? cli_usage("release", "create?") : cli_help(help);
    if (strcmp(argv[1], "create")) return cli_usage("release", "unknown sub-command '%s'", argv[1]);
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'r': round = optarg; break;
        default: return cli_usage("release", "unknown option");
        }
    }
    if (!round) return cli_usage("release", "--round NAME is required");
    if ((rc = cli_open_store(db, 0, &s))) return rc;
    if (access_release_snapshot(s, round, &snap, &e) ||
        access_release_store(s, round, snap, &number, sha, &e))
        rc = cli_fail(&e);
    else
        printf("round %s: release %d, sha256 %s\n", round, number, sha);
    mem_free(snap);
    store_close(s);
    return rc;
}
