/*
 * cmd_judge.c — `pinggu judge [explain]`: judgments of a sample's questionnaires (judge.h).
 */
#include "cli.h"
#include "../judge/judge.h"

#include <string.h>

static const char help[] =
    "usage: pinggu judge --db DB --sample NAME [--json]\n"
    "       pinggu judge explain --db DB --unit UNIT [--sample NAME]\n\n"
    "judge    judges every complete questionnaire of the sample / 研判: the exit standard and\n"
    "         wrong exits, the eight no-exit cases, missed households, approval, signs of wrong\n"
    "         identification, registry data quality, the village exit standard item by item;\n"
    "         stores each rule with its deciding answers, raises problem candidates, and prints\n"
    "         counts per county. Judging again replaces the earlier judging.\n"
    "explain  every rule applied to one household or village: outcome, measured value, the\n"
    "         bound, and the answers behind it.\n";

int cmd_judge(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"sample", required_argument, 0, 'n'},
                                         {"unit", required_argument, 0, 'u'},
                                         {"json", no_argument, 0, 'j'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *sample = NULL, *unit = NULL;
    int explain = argc >= 2 && !strcmp(argv[1], "explain"), c, rc, json = 0;
    struct store *s;
    struct error e;
    if (cli_wants_help(argc, argv)) return cli_help(help);
    optind = 1;
    while ((c = getopt_long(argc - explain, argv + explain, "", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'n') sample = optarg;
        else if (c == 'u') unit = optarg;
        else if (c == 'j') json = 1;
        else return cli_usage("judge", "unknown option");
    }
    if (explain) {
        if (!unit) return cli_usage("judge", "--unit is required");
        if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
        rc = judge_explain(s, sample, unit, stdout, &e);
        store_close(s);
        return rc ? cli_fail(&e) : EXIT_OK;
    }
    if (!sample) return cli_usage("judge", "--sample is required");
    if ((rc = cli_open_store(db, 0, &s))) return rc;
    {
        struct judge_stats st;
        rc = judge_sample(s, sample, &st, &e);
        if (!rc && !json)
            printf("judged %lld households and %lld villages (%lld rules): %lld wrong exits, "
                   "%lld missed, %lld signs of wrong identification, %lld villages failing; "
                   "%lld new problem candidates (%lld already raised, %lld withdrawn)\n\n",
                   (long long)st.households, (long long)st.villages, (long long)st.rules,
                   (long long)st.wrong_exit, (long long)st.missed, (long long)st.four_kinds,
                   (long long)st.villages_failing, (long long)st.problems, (long long)st.kept,
                   (long long)st.withdrawn);
        if (!rc) rc = judge_print(s, sample, json, stdout, &e);
    }
    store_close(s);
    return rc ? cli_fail(&e) : EXIT_OK;
}
