/*
 * cmd_export_analysis.c — `pinggu export analysis`: one row per surveyed household, with
 * design, weights and outcomes, as CSV, Stata or SPSS (estimate.h export_analysis;
 * docs/estimation.md shows the R and Stata code that reproduces every figure from it).
 * Reached from cmd_export when its first argument is "analysis".
 */
#include "cli.h"
#include "../estimate/estimate.h"

#include <string.h>

static const char help[] =
    "usage: pinggu export analysis --db DB --sample NAME --out FILE.csv|.dta|.sav\n"
    "                              [--format csv|dta|sav]\n\n"
    "Writes the analysis file / 分析数据导出: one row per surveyed household (complete\n"
    "questionnaire) with county, city, province, village (the county's first-stage unit),\n"
    "village stratum, the designs above a county (stratum_upper, psu_upper), the design weight\n"
    "exactly as pinggu indicators uses it (non-response factor / (pi_village x pi_household))\n"
    "and weight_province (also / pi_county), the inclusion probabilities, category, quota,\n"
    "persons, every household outcome (exited, wrong_exit, missed, approval, four_kinds: 0/1,\n"
    "empty = not asked), wrong_persons and missed_persons, and the county's registry totals\n"
    "R, U, E, G for the incidence; then one row per county of the sample (record = county)\n"
    "with its totals, so the province figures can be rebuilt even for a county with no\n"
    "surveyed household. The format follows --format or the file's extension: csv (UTF-8),\n"
    "dta (Stata 14+) or sav (SPSS), the latter two with Chinese and English variable labels\n"
    "and value labels; SPSS weights by `weight`; Stata gets the svyset command as a note and\n"
    "in a companion FILE.do (ReadStat cannot write svyset's characteristics). Long text goes\n"
    "into Stata strLs. docs/estimation.md gives the R (survey) and Stata (svy) code that\n"
    "reproduces every figure of pinggu indicators from this file.\n";

int cmd_export_analysis(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},  {"sample", required_argument, 0, 'n'},
        {"out", required_argument, 0, 'o'}, {"format", required_argument, 0, 'f'},
        {"help", no_argument, 0, 'h'},      {0, 0, 0, 0}};
    const char *db = NULL, *sample = NULL, *out = NULL, *format = NULL;
    struct store *s;
    struct error e;
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'n')
            sample = optarg;
        else if (c == 'o')
            out = optarg;
        else if (c == 'f')
            format = optarg;
        else if (c == 'h')
            return cli_help(help);
        else
            return cli_usage("export analysis", "unknown option");
    }
    if (!sample) return cli_usage("export analysis", "--sample NAME is required");
    if (!out) return cli_usage("export analysis", "--out FILE is required");
    if (optind != argc)
        return cli_usage("export analysis", "unexpected argument '%s'", argv[optind]);
    if (format && strcmp(format, "csv") && strcmp(format, "dta") && strcmp(format, "sav"))
        return cli_bad_value("export analysis", "--format is csv, dta or sav, not '%s'", format);
    if (!format) {
        const char *dot = strrchr(out, '.');
        if (!dot || (strcmp(dot, ".csv") && strcmp(dot, ".dta") && strcmp(dot, ".sav")))
            return cli_bad_value("export analysis",
                                 "cannot tell the format of '%s': name it .csv, .dta or .sav, or "
                                 "give --format",
                                 out);
    }
    if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
    rc = export_analysis(s, sample, out, format, &e);
    store_close(s);
    if (rc) return cli_fail(&e);
    printf("exported the analysis file of sample %s to %s\n", sample, out);
    return EXIT_OK;
}
