/*
 * cmd_report.c — `pinggu report`: the county and summary reports of a sample, as HTML pages
 * and an XLSX workbook (report.h). Read-only on the store, except that --unmasked appends a
 * change-log note naming who wrote personal data in full and where.
 */
#include "cli.h"
#include "../report/report.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: pinggu report --db DB --sample NAME --out DIR [--level county|city|paired] [--unmasked]\n"
    "       pinggu report sign|verify|signers|experience|self-evaluation|rectification|\n"
    "                     accountability ...   (each with --help)\n\n"
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
    "  --level L    county (default): the files above, each county report with its typical\n"
    "               experiences (report experience add) and problems; city: city-CODE.html per\n"
    "               city, the six city items of seed 002 三(一)2; paired: paired-CODE.html per\n"
    "               county receiving paired assistance (县域结对帮扶). A report with typical\n"
    "               experiences outside 3–5 or fewer than 3 problems is warned about on stderr\n"
    "               and on its page (seed 002 五). --round is a synonym of --sample.\n"
    "  --unmasked   names and resident IDs in full (personal data: the change log records it);\n"
    "               by default they are masked (张*, 340123********123X)\n\n"
    "A plan that is not scored and not ranked (不打分、不排队) gets no score and no rank\n"
    "anywhere. See docs/reports.md.\n";

static const char sign_help[] =
    "usage: pinggu report sign --db DB --round R FILE --as 组长|副组长 --signer NAME [--key KEYFILE]\n"
    "       pinggu report sign --detached --round R FILE --as 组长|副组长 --signer NAME [--key KEYFILE]\n"
    "(--role is another name for --as)\n\n"
    "Signs off a team report (seed 002 六(五): 经组长和副组长签字后提交): an Ed25519 signature over\n"
    "the file's SHA-256, the round, the role and the signer, made with the signer's own key and\n"
    "recorded in the store with the public key and the time (change-logged). The key is KEYFILE\n"
    "or $XDG_CONFIG_HOME/pinggu/signer-NAME.key, created mode 0600 on first use. A signer keeps\n"
    "the key of their first signature; where the round has teams, the signer must be one of its\n"
    "leaders (组长) or deputies (副组长). Exit 0 signed, 2 bad input. See docs/reports.md.\n\n"
    "--detached signs on the signer's own machine with no store: it prints the file's SHA-256,\n"
    "the public key and the signature (lines `sha256 H`, `public_key K`, `signature S`) to paste\n"
    "into the sign-off page, whose server checks them against its own copy of the report and\n"
    "records them (docs/pages.md). The private key never leaves this machine.\n";

static const char verify_help[] =
    "usage: pinggu report verify --db DB FILE\n\n"
    "Checks a signed report: its SHA-256 carries a signature of the 组长 and one of the 副组长,\n"
    "each verifies with its recorded public key, and each key is the one first recorded for that\n"
    "signer. Exit 0 verified; 1 failed with the reason (changed since signed, unsigned, a role\n"
    "missing, a bad signature, a wrong key); 2 bad input.\n";

static int cmd_report_sign(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},     {"round", required_argument, 0, 'r'},
        {"as", required_argument, 0, 'a'},     {"signer", required_argument, 0, 's'},
        {"key", required_argument, 0, 'k'},    {"help", no_argument, 0, 'h'},
        {"detached", no_argument, 0, 'D'},     {"role", required_argument, 0, 'a'},
        {0, 0, 0, 0}};
    struct report_sign_req q = {0};
    struct report_signature sig;
    const char *db = NULL, *as = NULL;
    struct store *s;
    struct error e;
    int c, rc, detached = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'r') q.round = optarg;
        else if (c == 'a') as = optarg;
        else if (c == 's') q.signer = optarg;
        else if (c == 'k') q.keyfile = optarg;
        else if (c == 'D') detached = 1;
        else if (c == 'h') return cli_help(sign_help);
        else return cli_usage("report sign", "unknown option");
    }
    if (optind != argc - 1) return cli_usage("report sign", "one report FILE is required");
    if (!q.round) return cli_usage("report sign", "--round is required");
    if (!q.signer) return cli_usage("report sign", "--signer is required");
    if (!as) return cli_usage("report sign", "--as 组长|副组长 is required");
    q.role = report_role_parse(as);
    if (q.role < 0) return cli_usage("report sign", "--as is 组长 (leader) or 副组长 (deputy), not '%s'", as);
    q.file = argv[optind];
    if (detached) {
        if (db) return cli_usage("report sign", "--detached needs no store: leave out --db");
        if (report_sign_detached(&q, &sig, &e)) return cli_fail(&e);
        if (sig.key_created)
            fprintf(stderr, "pinggu report sign: created the signer key %s (mode 0600)\n", sig.key_file);
        printf("file %s\nround %s\nrole %s\nsigner %s\nsha256 %s\npublic_key %s\nsignature %s\n",
               q.file, q.round, q.role == 0 ? "组长" : "副组长", q.signer, sig.sha256, sig.pubkey,
               sig.signature);
        return EXIT_OK;
    }
    if ((rc = cli_open_store(db, 0, &s))) return rc;
    rc = report_sign(s, &q, &sig, &e);
    store_close(s);
    if (rc) return cli_fail(&e);
    if (sig.key_created)
        fprintf(stderr, "pinggu report sign: created the signer key %s (mode 0600)\n", sig.key_file);
    printf("signed %s as %s by %s: SHA-256 %s, public key %s\n", q.file,
           q.role == 0 ? "组长 (leader)" : "副组长 (deputy)", q.signer, sig.sha256, sig.pubkey);
    return EXIT_OK;
}

static int cmd_report_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    struct report_verification v;
    const char *db = NULL;
    struct store *s;
    struct error e;
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'h') return cli_help(verify_help);
        else return cli_usage("report verify", "unknown option");
    }
    if (optind != argc - 1) return cli_usage("report verify", "one report FILE is required");
    if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
    rc = report_verify(s, argv[optind], &v, &e);
    store_close(s);
    for (size_t i = 0; i < v.nsigs; i++)
        printf("%-8s %-20s %s  %s%s%s\n", v.sigs[i].role, v.sigs[i].signer, v.sigs[i].at,
               v.sigs[i].valid ? "ok" : "FAILED", v.sigs[i].valid ? "" : ": ",
               v.sigs[i].valid ? "" : v.sigs[i].problem);
    if (rc) return cli_fail(&e);
    printf("verified %s: SHA-256 %s signed by the 组长 and the 副组长\n", argv[optind], v.sha256);
    return EXIT_OK;
}

static int cmd_report_write(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},  {"sample", required_argument, 0, 'n'},
        {"round", required_argument, 0, 'n'}, {"level", required_argument, 0, 'l'},
        {"out", required_argument, 0, 'o'}, {"unmasked", no_argument, 0, 'u'},
        {"help", no_argument, 0, 'h'},      {0, 0, 0, 0}};
    const char *db = NULL, *sample = NULL, *out = NULL;
    struct store *s;
    struct error e;
    size_t nfiles = 0;
    struct strbuf warn = STRBUF_INIT;
    enum report_level level = RL_COUNTY;
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
        else if (c == 'l') {
            if (!strcmp(optarg, "county")) level = RL_COUNTY;
            else if (!strcmp(optarg, "city")) level = RL_CITY;
            else if (!strcmp(optarg, "paired")) level = RL_PAIRED;
            else return cli_usage("report", "--level is county, city or paired, not '%s'", optarg);
        }
        else if (c == 'h')
            return cli_help(help);
        else
            return cli_usage("report", "unknown option");
    }
    if (optind < argc) return cli_usage("report", "unexpected argument '%s'", argv[optind]);
    if (!sample) return cli_usage("report", "--sample is required");
    if (!out) return cli_usage("report", "--out is required");
    if ((rc = cli_open_store(db, unmasked ? 0 : STORE_READONLY, &s))) return rc;
    rc = report_write_level(s, sample, out, unmasked, level, &warn, &nfiles, &e);
    store_close(s);
    if (warn.len && !warn.oom) {
        /* one "pinggu report: warning: ..." per line */
        for (char *p = warn.buf, *nl; *p; p = nl + 1) {
            nl = strchr(p, '\n');
            if (!nl) nl = p + strlen(p) - 1;
            fprintf(stderr, "pinggu report: warning: %.*s\n", (int)(nl - p), p);
            if (!nl[1]) break;
        }
    }
    sb_release(&warn);
    if (rc) return cli_fail(&e);
    if (level != RL_COUNTY) {
        printf("wrote %zu %s reports to %s\n", nfiles, level == RL_CITY ? "city 市级" : "paired-assistance 县域结对帮扶", out);
        return EXIT_OK;
    }
    printf("wrote %zu files to %s: index.html, problems.html, report.xlsx and %zu county "
           "pages%s\n",
           nfiles, out, nfiles >= 3 ? nfiles - 3 : 0,
           unmasked ? " (names and resident IDs in full)" : " (names and resident IDs masked)");
    if (unmasked)
        fprintf(stderr, "pinggu report: the report holds personal data in full; the change log "
                        "records that it was written\n");
    return EXIT_OK;
}

static const char experience_help[] =
    "usage: pinggu report experience add --db DB --round R --unit U [--level county|city|paired]\n"
    "                                    (TEXT... | --file FILE)\n\n"
    "Records typical experiences (典型经验) for a report: seed 002 五 asks every city and county\n"
    "report for 3–5 (总结3—5条典型经验). U is a county code (county and paired reports) or a city\n"
    "code (--level city; a 4-digit code is taken as a city). Each TEXT is one experience; --file\n"
    "reads one per non-empty line. Change-logged. Exit 2 on bad input (nothing written).\n";

static int cmd_report_experience(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},   {"round", required_argument, 0, 'r'},
        {"unit", required_argument, 0, 'u'}, {"level", required_argument, 0, 'l'},
        {"file", required_argument, 0, 'f'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *db = NULL, *round = NULL, *unit_s = NULL, *level_s = NULL, *file = NULL;
    char **texts = NULL;
    size_t n = 0;
    enum report_level level = RL_COUNTY;
    struct store *s;
    struct error e;
    int c, rc, unit;
    char *end;
    if (argc < 2 || strcmp(argv[1], "add")) {
        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
            return cli_help(experience_help);
        return cli_usage("report experience", "the subcommand is 'add'");
    }
    argc--, argv++;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'r') round = optarg;
        else if (c == 'u') unit_s = optarg;
        else if (c == 'l') level_s = optarg;
        else if (c == 'f') file = optarg;
        else if (c == 'h') return cli_help(experience_help);
        else return cli_usage("report experience add", "unknown option");
    }
    if (!round) return cli_usage("report experience add", "--round is required");
    if (!unit_s) return cli_usage("report experience add", "--unit is required");
    if (file && optind < argc)
        return cli_usage("report experience add", "give TEXT arguments or --file, not both");
    if (!file && optind >= argc)
        return cli_usage("report experience add", "no TEXT (or --file FILE) given");
    unit = (int)strtol(unit_s, &end, 10);
    if (*end || unit <= 0)
        return cli_bad_value("report experience add", "--unit '%s' is not a county or city code",
                             unit_s);
    if (level_s) {
        if (!strcmp(level_s, "county")) level = RL_COUNTY;
        else if (!strcmp(level_s, "city")) level = RL_CITY;
        else if (!strcmp(level_s, "paired")) level = RL_PAIRED;
        else return cli_usage("report experience add", "--level is county, city or paired");
    } else if (unit < 10000) {
        level = RL_CITY;
    }
    if (file && report_experience_read(file, &texts, &n, &e)) return cli_fail(&e);
    if ((rc = cli_open_store(db, 0, &s))) goto out;
    if (file)
        rc = report_experience_add(s, round, level, unit, (const char *const *)texts, n, file, &e);
    else
        rc = report_experience_add(s, round, level, unit, (const char *const *)(argv + optind),
                                   (size_t)(argc - optind), NULL, &e);
    store_close(s);
    if (rc) {
        rc = cli_fail(&e);
        goto out;
    }
    printf("recorded %zu typical experiences (典型经验) for the %s report of %d\n",
           file ? n : (size_t)(argc - optind),
           level == RL_CITY ? "city" : level == RL_PAIRED ? "paired-assistance" : "county", unit);
    rc = EXIT_OK;
out:
    for (size_t i = 0; i < n; i++) mem_free(texts[i]);
    mem_free(texts);
    return rc;
}

static const char selfeval_help[] =
    "usage: pinggu report self-evaluation --db DB --round R --county C --arrived DATE [--due DATE]\n"
    "                                     FILE\n\n"
    "Records a county's self-evaluation report (自评报告): seed 002 六(二) has the counties hand\n"
    "them in 于12月10日前 (by December 10 of the plan's year; --due for another day). The file is\n"
    "stored as evidence by its SHA-256 (as evidence add) with the day it arrived; the round's\n"
    "summary report lists each county's arrival and whether it was late. Exit 2 on bad input.\n";

static int cmd_report_selfeval(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},      {"round", required_argument, 0, 'r'},
        {"county", required_argument, 0, 'c'},  {"arrived", required_argument, 0, 'a'},
        {"due", required_argument, 0, 'u'},     {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *db = NULL, *round = NULL, *county_s = NULL, *arrived_s = NULL, *due_s = NULL;
    char sha[65], *end;
    int c, rc, county, arrived = 0, due = 0, late = 0;
    struct store *s;
    struct error e;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'r') round = optarg;
        else if (c == 'c') county_s = optarg;
        else if (c == 'a') arrived_s = optarg;
        else if (c == 'u') due_s = optarg;
        else if (c == 'h') return cli_help(selfeval_help);
        else return cli_usage("report self-evaluation", "unknown option");
    }
    if (!round || !county_s || !arrived_s)
        return cli_usage("report self-evaluation", "--round, --county and --arrived are required");
    if (optind != argc - 1) return cli_usage("report self-evaluation", "one report FILE is required");
    county = (int)strtol(county_s, &end, 10);
    if (*end || county <= 0)
        return cli_bad_value("report self-evaluation", "--county '%s' is not a county code", county_s);
    if (parse_date(arrived_s, &arrived))
        return cli_bad_value("report self-evaluation", "--arrived '%s' is not a date (YYYY-MM-DD)",
                             arrived_s);
    if (due_s && parse_date(due_s, &due))
        return cli_bad_value("report self-evaluation", "--due '%s' is not a date (YYYY-MM-DD)", due_s);
    if ((rc = cli_open_store(db, 0, &s))) return rc;
    rc = report_self_evaluation_add(s, round, county, arrived, due, argv[optind], sha, &late, &e);
    store_close(s);
    if (rc) return cli_fail(&e);
    printf("recorded the self-evaluation report of %d: %s, SHA-256 %s, arrived %s%s", county,
           argv[optind], sha, arrived_s, late ? "" : " (in time 按时)\n");
    if (late) printf(" (%d days late 逾期)\n", late);
    return EXIT_OK;
}

static const char rect_help[] =
    "usage: pinggu report rectification --db DB --round R [--county C] --out DIR [--date D]\n"
    "                                   [--common-min N]\n\n"
    "Writes the rectification report (整改报告) as seed 004's two example reports lay it out:\n"
    "一、整改内容及结果 with the accepted problems (confirmed or later, not dismissed) grouped by\n"
    "kind into 共性问题 and 个性问题, each kind with 具体表现 (what was found, with examples),\n"
    "整改措施 (responsible unit, person, deadline) and 整改结果 (with dates); 二、主要做法 and\n"
    "三、下一步工作安排 for the county; the progress per county as of D (default today).\n"
    "A kind is 共性 when its problems lie in at least N counties\n"
    "of the round (default 2), else 个性 (docs/reports.md says why). Files: rectification.html\n"
    "and rectification.xlsx (rectification-C.* with --county), written under temporary names\n"
    "and renamed together.\n";

static int cmd_report_rect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},     {"round", required_argument, 0, 'r'},
        {"county", required_argument, 0, 'c'}, {"out", required_argument, 0, 'o'},
        {"date", required_argument, 0, 't'},   {"common-min", required_argument, 0, 'm'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    const char *db = NULL, *round = NULL, *out = NULL;
    int c, rc, county = 0, asof = 0, common_min = 2;
    struct report_rect_stats st;
    struct store *s;
    struct error e;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'r') round = optarg;
        else if (c == 'o') out = optarg;
        else if (c == 'c') {
            county = (int)strtol(optarg, &end, 10);
            if (*end || county <= 0)
                return cli_bad_value("report rectification", "--county '%s' is not a county code",
                                     optarg);
        } else if (c == 't') {
            if (parse_date(optarg, &asof))
                return cli_bad_value("report rectification", "--date '%s' is not a date", optarg);
        } else if (c == 'm') {
            common_min = (int)strtol(optarg, &end, 10);
            if (*end || common_min < 1)
                return cli_bad_value("report rectification", "--common-min '%s' is not a count "
                                                             "of counties (1 or more)",
                                     optarg);
        } else if (c == 'h') return cli_help(rect_help);
        else return cli_usage("report rectification", "unknown option");
    }
    if (optind < argc) return cli_usage("report rectification", "unexpected argument '%s'", argv[optind]);
    if (!round || !out) return cli_usage("report rectification", "--round and --out are required");
    if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
    rc = report_rectification(s, round, county, asof, common_min, out, &st, &e);
    store_close(s);
    if (rc) return cli_fail(&e);
    printf("wrote %s/%s and %s/%s: %zu problems, %zu common kinds (共性问题), %zu individual kinds "
           "(个性问题), %zu overdue\n",
           out, st.html, out, st.xlsx, st.problems, st.common_kinds, st.individual_kinds,
           st.overdue);
    return EXIT_OK;
}

static const char acc_help[] =
    "usage: pinggu report accountability --db DB --round R [--previous ROUND]\n\n"
    "Henan's accountability list (问责名单, seed 004 第一篇 第七条(二)1–2) from the round's score\n"
    "results, where its plan carries the rules (\"accountability\" in the plan): 通报批评 for the\n"
    "last place of each ranking group, 降级使用 for the last place in ROUND and in the previous\n"
    "round (--previous; without it this is not decided), 约谈 for a unit meeting any of the\n"
    "plan's conditions (accepted problems of listed kinds in the unit, indicator scores below the\n"
    "plan's thresholds), each with its grounds; conditions the data cannot show are listed for\n"
    "the office. Run pinggu score first.\n";

static int cmd_report_acc(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},       {"round", required_argument, 0, 'r'},
        {"previous", required_argument, 0, 'p'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *db = NULL, *round = NULL, *previous = NULL;
    struct report_acc_stats st;
    struct store *s;
    struct error e;
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'r') round = optarg;
        else if (c == 'p') previous = optarg;
        else if (c == 'h') return cli_help(acc_help);
        else return cli_usage("report accountability", "unknown option");
    }
    if (optind < argc) return cli_usage("report accountability", "unexpected argument '%s'", argv[optind]);
    if (!round) return cli_usage("report accountability", "--round is required");
    if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
    rc = report_accountability(s, round, previous, stdout, &st, &e);
    store_close(s);
    if (rc) return cli_fail(&e);
    return EXIT_OK;
}

static int cmd_report_signers(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'}, {"round", required_argument, 0, 'r'},
        {"help", no_argument, 0, 'h'},     {0, 0, 0, 0}};
    const char *db = NULL, *round = NULL;
    struct store *s;
    struct error e;
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'r') round = optarg;
        else if (c == 'h')
            return cli_help("usage: pinggu report signers --db DB --round R\n\nEach team's 组长 and "
                            "副组长 with the evaluator id to give report sign as --signer.\n");
        else return cli_usage("report signers", "unknown option");
    }
    if (!round) return cli_usage("report signers", "--round is required");
    if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
    rc = report_signers_print(s, round, stdout, &e);
    store_close(s);
    return rc ? cli_fail(&e) : EXIT_OK;
}

int cmd_report(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "sign")) return cmd_report_sign(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "verify")) return cmd_report_verify(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "signers")) return cmd_report_signers(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "experience"))
        return cmd_report_experience(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "rectification")) return cmd_report_rect(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "accountability")) return cmd_report_acc(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "self-evaluation"))
        return cmd_report_selfeval(argc - 1, argv + 1);
    return cmd_report_write(argc, argv);
}
