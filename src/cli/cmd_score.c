/*
 * cmd_score.c — `pinggu score`: the scored schemes' weighted indicator trees, bonus items,
 * one-vote vetoes and ranking (estimate.h score_sample). Plans that say 不打分、不排队 are
 * refused.
 */
#include "cli.h"
#include "../estimate/estimate.h"

#include <string.h>

static const char help[] =
    "usage: pinggu score --db DB --sample NAME [--inputs SHEET.csv] [--json]\n"
    "       pinggu score --db DB --sample NAME --template > SHEET.csv\n\n"
    "Scored plans only (Henan's method, seed 004; Shaanxi's four rates and one degree, seed\n"
    "001). Plans that are not scored (the national spot check: 不打分、不排队) are refused.\n\n"
    "Each unit of the plan's scoring trees (townships, counties, cities, departments) gets\n"
    "the weighted tree of its indicators: leaves marked indicator are measured by the survey\n"
    "over the unit's surveyed households (exit accuracy 100×(1 − wrong-exit rate over\n"
    "persons, as `pinggu indicators`), identification accuracy 100×(1 − missed or four-kinds\n"
    "share), satisfaction 100×approval); rank leaves score the place of the sheet's result in\n"
    "the unit's group (根据综合排序确定分值); share leaves take got/full (满分的按满分计算);\n"
    "the other leaves, the bonus items (加分), one-vote vetoes (一票否决) and conditions of\n"
    "each kind of unit come from the team's score sheet: CSV with columns\n"
    "tree,unit,item,value[,name][,county] (类型,单位,指标,得分,名称,县), one row per unit and\n"
    "item; --template writes a blank one for the sample.\n\n"
    "Ranking, as the plan's rank section says per tree: by total within the group (townships\n"
    "and departments: their county); the top share (前20%) counted in the top scope\n"
    "(townships: the city, 全市) and never given to a vetoed unit or one failing a condition\n"
    "(通过验收实现整体脱贫); the first ten (前十名); the last place (倒数第一, townships) and\n"
    "last in the previous round of the same units too (连续两次倒数第一); bands 好中差\n"
    "(Shaanxi; below standard: 差). A vetoed unit keeps its place. Each surveyed unit's score\n"
    "has a jackknife standard error over its villages (villages − 1 df), and a last place or\n"
    "top-share boundary that sampling error cannot separate from the next unit (t quantile)\n"
    "says so. The scores are stored (a re-run replaces them) through the change log. A sheet\n"
    "with any problem is rejected whole, every problem listed with file and line; exit 2.\n";

int cmd_score(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"sample", required_argument, 0, 'n'},
                                         {"inputs", required_argument, 0, 'i'},
                                         {"template", no_argument, 0, 't'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *sample = NULL, *inputs = NULL;
    struct scores x;
    struct errlist errs;
    struct store *s;
    struct error e;
    int c, rc, json = 0, tmpl = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'n') sample = optarg;
        else if (c == 'i') inputs = optarg;
        else if (c == 't') tmpl = 1;
        else if (c == 'j') json = 1;
        else if (c == 'h') return cli_help(help);
        else return cli_usage("score", "unknown option");
    }
    if (!sample) return cli_usage("score", "--sample is required");
    if (tmpl) {
        if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
        rc = score_template(s, sample, stdout, &e);
        store_close(s);
        return rc ? cli_fail(&e) : EXIT_OK;
    }
    if (inputs && (rc = cli_need_input("score", inputs, 0))) return rc;
    if ((rc = cli_open_store(db, 0, &s))) return rc;
    errlist_init(&errs, 50);
    rc = score_sample(s, sample, inputs, &x, &errs, &e);
    store_close(s);
    if (rc) {
        errlist_print(stderr, &errs);
        errlist_release(&errs);
        return cli_fail(&e);
    }
    errlist_release(&errs);
    scores_print(&x, json, stdout);
    scores_release(&x);
    return EXIT_OK;
}
