/*
 * cmd_summary.c — `pinggu summary --db DB`: the registry per county.
 */
#include "cli.h"

static const char help[] =
    "usage: pinggu summary --db DB\n\n"
    "Prints the registry per county / 分县汇总: townships, villages (poor), households by\n"
    "status (registered, unexited, exited, returned, general, edge, monitored), members and\n"
    "unexited persons.\n";

int cmd_summary(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL;
    struct registry_summary sum;
    struct store *s;
    struct error e;
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'h') return cli_help(help);
        else return cli_usage("summary", "unknown option");
    }
    if (optind != argc) return cli_usage("summary", "unexpected argument '%s'", argv[optind]);
    if ((rc = cli_open_store(db, 0, &s))) return rc;
    rc = registry_summarise(s, &sum, &e);
    store_close(s);
    if (rc) return cli_fail(&e);
    registry_summary_print(stdout, &sum);
    registry_summary_release(&sum);
    return EXIT_OK;
}
