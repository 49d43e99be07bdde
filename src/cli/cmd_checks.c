/*
 * cmd_checks.c — `pinggu checks import|quotas`: the scheme's other checks (seed 002 五(二) 查阅
 * 资料, 五(三) 干部访谈, 五(五) 项目核查) as questionnaires of a round, and how far each unit is
 * against the plan's quotas (problem.h checks_*). The rules are the library's; this file only
 * parses options and prints.
 */
#include "cli.h"
#include "../problem/problem.h"
#include "../survey/survey.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] =
    "usage: pinggu checks import --db DB --round NAME --form FORM FILE.csv\n"
    "       pinggu checks quotas --db DB --round NAME\n"
    "       pinggu checks simulate --db DB --round NAME --out DIR [--seed N] [--missing P]\n"
    "                              [--forms DIR]\n\n"
    "方案的其他核查 / the scheme's other checks (seed 002): project checks (项目核查 五(五),\n"
    "forms/project-check.json), document review (查阅资料 五(二), forms/document-review.json) and\n"
    "cadre interviews (干部访谈 五(三), forms/cadre-interview.json).\n\n"
    "import  one row per questionnaire, a header of the form's question names (and optionally\n"
    "        team). Every answer is checked against the form and every unit against the round: a\n"
    "        sampled project; the city of a sampled county, a county with sampled villages, or a\n"
    "        sampled village. Each unit once (a cadre: per level, unit, role and name). Errors are\n"
    "        listed with file:line, exit 2, nothing written; all or nothing, change-logged.\n"
    "quotas  completed vs required per unit: the cadre interviews against the plan's quotas\n"
    "        (\"interviews\": Anhui city 1 + 5; county 1 + 1 + 5, plus 2 in paired counties;\n"
    "        village 3, plus 8 assistance cadres on site or by phone), the document review of\n"
    "        each city, county and sampled village, and the check of each sampled project.\n"
    "simulate  for the demo: writes plausible questionnaires of the three checks for every unit\n"
    "        of the round into DIR (each left out with probability P, default 0.1) and imports\n"
    "        them as `checks import` does.\n";

int cmd_checks(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"round", required_argument, 0, 'r'},
                                         {"form", required_argument, 0, 'f'},
                                         {"out", required_argument, 0, 'o'},
                                         {"seed", required_argument, 0, 's'},
                                         {"missing", required_argument, 0, 'm'},
                                         {"forms", required_argument, 0, 'F'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *round = NULL, *formf = NULL, *out_dir = NULL, *forms = "forms", *sub;
    int64_t seed = 1;
    double missing = 0.1;
    struct store *s = NULL;
    struct form *f = NULL;
    struct errlist errs;
    struct error e;
    int c, rc = EXIT_OK;
    if (cli_wants_help(argc, argv) || argc < 2)
        return argc < 2 ? cli_usage("checks", "import or quotas?") : cli_help(help);
    sub = argv[1];
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'r': round = optarg; break;
        case 'f': formf = optarg; break;
        case 'o': out_dir = optarg; break;
        case 'F': forms = optarg; break;
        case 's':
            if (parse_int64(optarg, &seed))
                return cli_bad_value("checks", "--seed: '%s' is not a whole number", optarg);
            break;
        case 'm':
            if (parse_double(optarg, &missing) || missing < 0 || missing >= 1)
                return cli_bad_value("checks", "--missing must be 0..1 (below 1), not '%s'", optarg);
            break;
        default: return cli_usage("checks", "unknown option");
        }
    }
    if (!round) return cli_usage("checks", "--round NAME is required");
    if (!strcmp(sub, "quotas")) {
        struct checks_quota_stats qs;
        if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
        if (checks_quotas(s, round, stdout, &qs, &e)) rc = cli_fail(&e);
        store_close(s);
        return rc;
    }
    if (!strcmp(sub, "simulate")) {
        struct checks_sim_stats st;
        struct strbuf fd = STRBUF_INIT;
        if (!out_dir) return cli_usage("checks", "simulate needs --out DIR");
        if (!strcmp(forms, "forms") && data_find("forms", &fd) == 0) forms = fd.buf;
        if (mkdir(out_dir, 0777) && errno != EEXIST) {
            sb_release(&fd);
            return cli_bad_value("checks", "cannot create %s: %s", out_dir, strerror(errno));
        }
        rc = cli_need_input("checks", forms, 1);
        if (!rc) rc = cli_open_store(db, 0, &s);
        if (!rc) {
            if (checks_simulate(s, round, forms, out_dir, (uint64_t)seed, missing, &st, &e))
                rc = cli_fail(&e);
            else
                printf("simulated and imported %lld cadre interviews, %lld document reviews, %lld "
                       "project checks (files in %s/)\n",
                       (long long)st.interviews, (long long)st.reviews, (long long)st.projects,
                       out_dir);
            store_close(s);
        }
        sb_release(&fd);
        return rc;
    }
    if (strcmp(sub, "import"))
        return cli_usage("checks", "unknown sub-command '%s' (import, quotas, simulate)", sub);
    if (!formf || optind + 1 != argc - 1)
        return cli_usage("checks", "import needs --form FORM and one FILE.csv");
    if ((rc = cli_need_input("checks", argv[1 + optind], 0))) return rc;
    errlist_init(&errs, 50);
    if (form_load(formf, &f, &errs, NULL, &e)) {
        errlist_print(stderr, &errs);
        errlist_release(&errs);
        return cli_fail(&e);
    }
    if ((rc = cli_open_store(db, 0, &s))) goto out;
    {
        struct checks_import_stats st;
        if (checks_import(s, round, f, argv[1 + optind], date_today(), &st, &errs, &e)) {
            errlist_print(stderr, &errs);
            rc = cli_fail(&e);
        } else {
            printf("imported %lld %s questionnaire(s) into round %s (%lld warning(s))\n",
                   (long long)st.questionnaires, f->id, round, (long long)st.warnings);
        }
    }
out:
    if (s) store_close(s);
    form_free(f);
    errlist_release(&errs);
    return rc;
}
