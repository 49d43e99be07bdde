/*
 * cmd_indicators.c — `pinggu indicators`: county, city or province figures with honest
 * intervals and verdicts (estimate.h).
 */
#include "cli.h"
#include "../estimate/estimate.h"

#include <string.h>

static const char help[] =
    "usage: pinggu indicators --db DB --sample NAME [--level county|city|province] [--json]\n\n"
    "Estimates each unit's wrong-exit rate (错退率), missed rate (漏评率), comprehensive\n"
    "poverty incidence (综合贫困发生率) and approval (群众认可度) from the judged fieldwork:\n"
    "design weights from every stage's inclusion probability, non-response adjusted within\n"
    "quota cells, Taylor-linearised variances over first-stage units, Korn–Graubard 95%\n"
    "intervals. Each figure with its standard error, design effect and the households behind\n"
    "it; the official verdict (point estimate against the plan's threshold) and beside it the\n"
    "interval's verdict (clearly within / too close to call / clearly outside); the\n"
    "province's own reported figure, flagged when it lies outside the interval.\n";

int cmd_indicators(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"sample", required_argument, 0, 'n'},
                                         {"level", required_argument, 0, 'l'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *sample = NULL, *level = "county";
    struct estimates x;
    struct store *s;
    struct error e;
    int c, rc, json = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'n') sample = optarg;
        else if (c == 'l') level = optarg;
        else if (c == 'j') json = 1;
        else if (c == 'h') return cli_help(help);
        else return cli_usage("indicators", "unknown option");
    }
    if (!sample) return cli_usage("indicators", "--sample is required");
    if (strcmp(level, "county") && strcmp(level, "city") && strcmp(level, "province"))
        return cli_bad_value("indicators", "--level is county, city or province, not '%s'", level);
    if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
    rc = estimate_sample(s, sample, level, &x, &e);
    store_close(s);
    if (rc) return cli_fail(&e);
    estimates_print(&x, json, stdout);
    estimates_release(&x);
    return EXIT_OK;
}
