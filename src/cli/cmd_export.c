/*
 * cmd_export.c — `pinggu export --db DB --out DIR`: the registry back to its files;
 * `pinggu export analysis ...` is the analysis file of a sample (cmd_export_analysis.c).
 */
#include "cli.h"

#include <string.h>

static const char help[] =
    "usage: pinggu export --db DB --out DIR [--zh]\n"
    "       pinggu export analysis --db DB --sample NAME --out FILE.csv|.dta|.sav\n\n"
    "Writes the registry / 导出建档立卡数据 as the seven files of pinggu help formats, in\n"
    "full (names and resident IDs are not masked: this is the office's own data), so that\n"
    "import of the result reproduces the store. --zh writes Chinese headers and labels.\n"
    "export analysis: one row per surveyed household for R, Stata or SPSS (see its --help).\n";

int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"out", required_argument, 0, 'o'},
                                         {"zh", no_argument, 0, 'z'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *out = NULL;
    struct store *s;
    struct error e;
    int c, rc, zh = 0;
    if (argc >= 2 && !strcmp(argv[1], "analysis")) return cmd_export_analysis(argc - 1, argv + 1);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'o') out = optarg;
        else if (c == 'z') zh = 1;
        else if (c == 'h') return cli_help(help);
        else return cli_usage("export", "unknown option");
    }
    if (!out) return cli_usage("export", "--out DIR is required");
    if (optind != argc) return cli_usage("export", "unexpected argument '%s'", argv[optind]);
    if ((rc = cli_open_store(db, 0, &s))) return rc;
    rc = registry_export(s, out, zh, &e);
    store_close(s);
    if (rc) return cli_fail(&e);
    printf("exported the registry to %s\n", out);
    return EXIT_OK;
}
