/*
 * cmd_evidence.c — `pinggu evidence add|verify`: photos, audio and documents (survey.h).
 */
#include "cli.h"
#include "../survey/survey.h"

#include <string.h>

static const char help[] =
    "usage: pinggu evidence add --db DB --unit UNIT [--sample NAME] FILE...\n"
    "       pinggu evidence verify --db DB\n\n"
    "add     stores photos, recordings and documents / 证据材料 by the SHA-256 of their content\n"
    "        (once, however often added) in DB.evidence/, and links them to the questionnaires\n"
    "        of UNIT (a household id or village code) in sample NAME (default: in every sample);\n"
    "        to UNIT alone while it has none. A missing file or a folder: exit 2, nothing added.\n"
    "verify  re-hashes every stored blob; exit 1 naming the first that changed or vanished.\n";

int cmd_evidence(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"unit", required_argument, 0, 'u'},
                                         {"sample", required_argument, 0, 'n'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *unit = NULL, *sample = NULL, *sub;
    int64_t linked = 0;
    struct store *s;
    struct error e;
    int c, rc;
    if (cli_wants_help(argc, argv) || argc < 2)
        return argc < 2 ? cli_usage("evidence", "add or verify?") : cli_help(help);
    sub = argv[1];
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'u') unit = optarg;
        else if (c == 'n') sample = optarg;
        else return cli_usage("evidence", "unknown option");
    }
    if (!strcmp(sub, "add")) {
        int n = argc - 1 - optind;
        char(*hashes)[65];
        if (!unit || n < 1) return cli_usage("evidence", "--unit and at least one FILE are required");
        if ((rc = cli_open_store(db, 0, &s))) return rc;
        hashes = mem_calloc((size_t)n, 65);
        rc = hashes ? evidence_add(s, unit, sample, (const char *const *)(argv + 1 + optind),
                                   (size_t)n, hashes, &linked, &e)
                    : error_set(&e, ERR_NOMEM, "out of memory");
        store_close(s);
        if (!rc) {
            for (int i = 0; i < n; i++) printf("%s  %s\n", hashes[i], argv[1 + optind + i]);
            if (linked)
                printf("linked to %lld questionnaire%s of %s\n", (long long)linked,
                       linked == 1 ? "" : "s", unit);
            else
                printf("linked to %s alone: it has no questionnaire yet\n", unit);
        }
        mem_free(hashes);
        return rc ? cli_fail(&e) : EXIT_OK;
    }
    if (!strcmp(sub, "verify")) {
        struct evidence_report r;
        if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
        rc = evidence_verify(s, &r, &e);
        store_close(s);
        if (rc && rc != ERR_VERIFY) return cli_fail(&e);
        printf("%lld blobs (%lld bytes), %lld links\n", (long long)r.blobs, (long long)r.bytes,
               (long long)r.links);
        if (rc) {
            printf("FAILED: %lld changed, %lld vanished; the first: %s\n", (long long)r.changed,
                   (long long)r.missing, r.first);
            return EXIT_FAIL;
        }
        printf("ok: every blob matches its SHA-256\n");
        return EXIT_OK;
    }
    return cli_usage("evidence", "unknown sub-command '%s' (add, verify)", sub);
}
