/*
 * cmd_sample.c — `pinggu sample`: draw, show (with every stage's shortfalls), write the
 * manifest of, and verify a sample (every manifest field; exit 1 on a difference, 2 on a file
 * that is not a manifest).
 */
#include "cli.h"

#include <string.h>

static const char help[] =
    "usage: pinggu sample --db DB --plan FILE --seed SEED --name NAME [--manifest OUT.json]\n"
    "       pinggu sample show --db DB --name NAME [--json]\n"
    "       pinggu sample manifest --db DB --name NAME --out OUT.json\n"
    "       pinggu sample verify --db DB MANIFEST [--commitment HASH]\n\n"
    "draw     draws the plan's counties, villages, households and projects / 抽样 from the\n"
    "         registry with Rivest consistent-sampling tickets of SEED, freezes the frame\n"
    "         it used and stores the sample under NAME (docs/sampling.md).\n"
    "show     per county: villages with π, households by quota, substitutions; and every\n"
    "         stage's shortfalls / 缺额 (village strata per county, household quotas per\n"
    "         village, a summary per stage). The draw prints the same.\n"
    "manifest writes the manifest to publish after fieldwork: seed, commitment, plan and\n"
    "         frame hashes, every stratum's note and ranked list up to quota plus reserve.\n"
    "verify   checks every field of the manifest against the stored sample, then re-derives\n"
    "         the sample from its frozen frame and the manifest's seed; exit 0 only if\n"
    "         identical, else exit 1 naming the first difference and its field (changed\n"
    "         frame, wrong seed or commitment, tampered stratum note or selection) / 复核抽样;\n"
    "         exit 2 if MANIFEST is not a valid manifest (its JSON path named).\n";

static int draw(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},   {"plan", required_argument, 0, 'p'},
        {"seed", required_argument, 0, 's'}, {"name", required_argument, 0, 'n'},
        {"manifest", required_argument, 0, 'm'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *db = NULL, *planf = NULL, *seed = NULL, *name = NULL, *manifest = NULL;
    struct plan p;
    struct errlist errs;
    struct store *s;
    struct error e;
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'p': planf = optarg; break;
        case 's': seed = optarg; break;
        case 'n': name = optarg; break;
        case 'm': manifest = optarg; break;
        case 'h': return cli_help(help);
        default: return cli_usage("sample", "unknown option");
        }
    }
    if (!planf || !seed || !name) return cli_usage("sample", "--plan, --seed and --name are required");
    if (optind != argc) return cli_usage("sample", "unexpected argument '%s'", argv[optind]);
    errlist_init(&errs, 50);
    if (plan_load(planf, &p, &errs, &e)) {
        if (errs.total) errlist_print(stderr, &errs);
        else cli_fail(&e);
        errlist_release(&errs);
        plan_release(&p);
        return EXIT_INPUT;
    }
    errlist_release(&errs);
    if ((rc = cli_open_store(db, 0, &s))) {
        plan_release(&p);
        return rc;
    }
    rc = sample_create(s, &p, name, seed, 1, &e);
    if (!rc && manifest) rc = sample_manifest(s, name, manifest, &e);
    if (!rc) rc = sample_draw_print(s, name, seed, stdout, &e);
    store_close(s);
    plan_release(&p);
    if (rc) return cli_fail(&e);
    if (manifest) printf("manifest written to %s\n", manifest);
    return EXIT_OK;
}

static int show(int argc, char **argv, int manifest)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"name", required_argument, 0, 'n'},
                                         {"json", no_argument, 0, 'j'},
                                         {"out", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *name = NULL, *out = NULL;
    struct store *s;
    struct error e;
    int c, rc, json = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'n') name = optarg;
        else if (c == 'j') json = 1;
        else if (c == 'o') out = optarg;
        else if (c == 'h') return cli_help(help);
        else return cli_usage("sample", "unknown option");
    }
    if (!name) return cli_usage("sample", "--name is required");
    if (manifest && !out) return cli_usage("sample", "--out is required");
    if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
    rc = manifest ? sample_manifest(s, name, out, &e) : sample_show(s, name, json, stdout, &e);
    store_close(s);
    if (rc) return cli_fail(&e);
    if (manifest) printf("manifest of %s written to %s\n", name, out);
    return EXIT_OK;
}

static int verify(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"commitment", required_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *commitment = NULL;
    struct verify_report r;
    struct store *s;
    struct error e;
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'c') commitment = optarg;
        else if (c == 'h') return cli_help(help);
        else return cli_usage("sample", "unknown option");
    }
    if (optind != argc - 1) return cli_usage("sample", "give one MANIFEST file");
    if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
    rc = sample_verify(s, argv[optind], commitment, &r, &e);
    store_close(s);
    if (rc && rc != ERR_VERIFY) return cli_fail(&e);
    sample_verify_print(&r, rc == 0, commitment != NULL, stdout);
    return rc == ERR_VERIFY ? EXIT_FAIL : EXIT_OK;
}

int cmd_sample(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "show")) return show(argc - 1, argv + 1, 0);
    if (argc >= 2 && !strcmp(argv[1], "manifest")) return show(argc - 1, argv + 1, 1);
    if (argc >= 2 && !strcmp(argv[1], "verify")) return verify(argc - 1, argv + 1);
    return draw(argc, argv);
}
