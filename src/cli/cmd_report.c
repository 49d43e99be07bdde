/*
 * cmd_report.c — `pinggu report`: the county and summary reports of a sample, as HTML pages
 * and an XLSX workbook (report.h). Read-only on the store, except that --unmasked appends a
 * change-log note naming who wrote personal data in full and where.
 */
#include "cli.h"
#include "../report/report.h"

#include <string.h>

static const char help[] =
    "usage: pinggu report --db DB --sample NAME --out DIR [--unmasked]\n\n"
    "Writes the reports of a judged sample / 评估报告 into DIR:\n"
    "  index.html         汇总报告: indicators of every county with intervals and verdicts,\n"
    "                     a chart of each county's interval against the threshold, the method\n"
    "  county-CODE.html   县级报告: basic situation, indicator table, charts, village exit\n"
    "                     table, sampled households, problem candidates with evidence, fields\n"
    "                     for the team's typical experiences and problems, signature lines\n"
    "  problems.html      问题清单 in the template's 17 columns\n"
    "  report.xlsx        the same as a workbook: 汇总, 问题清单, 说明, six sheets per county\n\n"
    "Pages are self-contained (inline CSS and SVG, nothing fetched) and print on A4. Evidence\n"
    "is linked relatively when the store's DB.evidence folder is near DIR, else cited by its\n"
    "SHA-256. Every file is written under a temporary name and renamed when all are done.\n\n"
    "  --unmasked   names and resident IDs in full (personal data: the change log records it);\n"
    "               by default they are masked (张*, 340123********123X)\n\n"
    "A plan that is not scored and not ranked (不打分、不排队) gets no score and no rank\n"
    "anywhere. See docs/reports.md.\n";

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},  {"sample", required_argument, 0, 'n'},
        {"out", required_argument, 0, 'o'}, {"unmasked", no_argument, 0, 'u'},
        {"help", no_argument, 0, 'h'},      {0, 0, 0, 0}};
    const char *db = NULL, *sample = NULL, *out = NULL;
    struct store *s;
    struct error e;
    size_t nfiles = 0;
    int c, rc, unmasked = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'n')
            sample = optarg;
        else if (c == 'o')
            out = optarg;
        else if (c == 'u')
            unmasked = 1;
        else if (c == 'h')
            return cli_help(help);
        else
            return cli_usage("report", "unknown option");
    }
    if (optind < argc) return cli_usage("report", "unexpected argument '%s'", argv[optind]);
    if (!sample) return cli_usage("report", "--sample is required");
    if (!out) return cli_usage("report", "--out is required");
    if ((rc = cli_open_store(db, unmasked ? 0 : STORE_READONLY, &s))) return rc;
    rc = report_write(s, sample, out, unmasked, &nfiles, &e);
    store_close(s);
    if (rc) return cli_fail(&e);
    printf("wrote %zu files to %s: index.html, problems.html, report.xlsx and %zu county "
           "pages%s\n",
           nfiles, out, nfiles >= 3 ? nfiles - 3 : 0,
           unmasked ? " (names and resident IDs in full)" : " (names and resident IDs masked)");
    if (unmasked)
        fprintf(stderr, "pinggu report: the report holds personal data in full; the change log "
                        "records that it was written\n");
    return EXIT_OK;
}
