/*
 * cmd_synth.c — `pinggu synth`: write a synthetic province with known truth, and on request
 * its department files (src/synth/, synth.h).
 */
#include "cli.h"
#include "../synth/synth.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: pinggu synth --out DIR [--seed N] [--province NN] (--counties N | --members N)\n"
    "                    [--year YYYY] [--departments] [--attendance YYYY-MM] [--monitor]\n"
    "                    [--bulletin YYYY-MM]\n\n"
    "Writes a synthetic province / 生成模拟省份: the seven registry files (counties.csv ...\n"
    "evaluators.csv) plus truth.csv (each household's true income and 两不愁三保障 status) and\n"
    "truth-counties.csv (each county's true wrong-exit and missed rates), deterministically\n"
    "for the seed. Memory does not grow with size. See docs/synthetic.md.\n\n"
    "  --out DIR        folder to write (created; existing files are replaced)\n"
    "  --seed N         random seed (default 1)\n"
    "  --province NN    2-digit province code (default 34, Anhui)\n"
    "  --counties N     this many counties (default 6)\n"
    "  --members N      instead: add counties until at least N members\n"
    "  --year YYYY      assessment year (default 2019): ages are computed at its 31 December\n"
    "  --departments    also write DIR/departments/*.csv (department data with injected\n"
    "                   anomalies and noise) and DIR/departments-truth.csv (docs/compare.md)\n"
    "  --attendance YYYY-MM  also write DIR/attendance/: village locations, work-team roster,\n"
    "                   GPS check-ins of that month and truth.csv (docs/monitoring.md)\n"
    "  --monitor        also write DIR/snapshots/{Y-2,Y-1,Y}/ (yearly registries of a few\n"
    "                   villages per county) and DIR/monitor/ (plans, training, work teams and\n"
    "                   the truth of the planted post-exit signs; docs/monitoring.md)\n"
    "  --bulletin YYYY-MM  also write DIR/bulletin.csv: three months of drawn scores of\n"
    "                   Shaanxi's cities and departments, for pinggu bulletin\n";

int cmd_synth(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'},     {"seed", required_argument, 0, 's'},
        {"province", required_argument, 0, 'p'}, {"counties", required_argument, 0, 'c'},
        {"members", required_argument, 0, 'm'}, {"year", required_argument, 0, 'y'},
        {"departments", no_argument, 0, 'D'},   {"attendance", required_argument, 0, 'A'},
        {"monitor", no_argument, 0, 'M'},        {"bulletin", required_argument, 0, 'B'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    struct synth_opts o = {0};
    struct error e;
    int c, departments = 0, att_month = 0, monitor = 0, bul_month = 0;
    int64_t v;
    o.seed = 1;
    o.province = 34;
    o.year = 2019;
    o.progress = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': o.out = optarg; break;
        case 's':
            if (parse_int64(optarg, &v) || v < 0) return cli_bad_value("synth", "bad --seed %s", optarg);
            o.seed = (uint64_t)v;
            break;
        case 'p':
            if (parse_int64(optarg, &v) || !ids_province_valid((int)v))
                return cli_bad_value("synth", "--province %s is not a province code", optarg);
            o.province = (int)v;
            break;
        case 'c':
            if (parse_int64(optarg, &v) || v < 1 || v > 5000)
                return cli_bad_value("synth", "--counties must be 1..5000");
            o.counties = (int)v;
            break;
        case 'm':
            if (parse_int64(optarg, &v) || v < 1) return cli_bad_value("synth", "bad --members");
            o.members = v;
            break;
        case 'y':
            if (parse_int64(optarg, &v) || v < 2014 || v > 2030)
                return cli_bad_value("synth", "--year must be 2014..2030");
            o.year = (int)v;
            break;
        case 'D': departments = 1; break;
        case 'M': monitor = 1; break;
        case 'B':
            if (strlen(optarg) != 7 || optarg[4] != '-' || parse_int64(optarg + 5, &v) || v < 1 ||
                v > 12 || (bul_month = atoi(optarg)) < 2000 || bul_month > 2100)
                return cli_bad_value("synth", "--bulletin %s is not YYYY-MM", optarg);
            bul_month = bul_month * 100 + (int)v;
            break;
        case 'A':
            if (strlen(optarg) != 7 || optarg[4] != '-' || parse_int64(optarg + 5, &v) || v < 1 ||
                v > 12 || (att_month = atoi(optarg)) < 2000 || att_month > 2100)
                return cli_bad_value("synth", "--attendance %s is not YYYY-MM", optarg);
            att_month = att_month * 100 + (int)v;
            break;
        case 'h': return cli_help(help);
        default: return cli_usage("synth", "unknown option");
        }
    }
    if (!o.out) return cli_usage("synth", "--out DIR is required");
    if (optind < argc) return cli_usage("synth", "unexpected argument '%s'", argv[optind]);
    if (o.counties && o.members) return cli_usage("synth", "give --counties or --members, not both");
    if (!o.counties && !o.members) o.counties = 6;
    if (synth_province(&o, &e)) return cli_fail(&e);
    if (departments && synth_departments(o.out, o.seed, o.year, &e)) return cli_fail(&e);
    if (att_month && synth_attendance(o.out, o.seed, att_month, &e)) return cli_fail(&e);
    if (monitor && synth_monitor(o.out, o.seed, o.year, &e)) return cli_fail(&e);
    if (bul_month && synth_bulletin(o.out, o.seed, bul_month, &e)) return cli_fail(&e);
    return EXIT_OK;
}
