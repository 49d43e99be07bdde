/*
 * cmd_audit.c — `pinggu audit verify|log --db DB`: the change log (store.h, docs/audit.md).
 */
#include "cli.h"

#include <string.h>

static const char help[] =
    "usage: pinggu audit verify --db DB\n"
    "       pinggu audit log --db DB [-n N]\n\n"
    "verify  recomputes the change log's hash chain / 校验变更日志: every entry's hash, its\n"
    "        link to the previous entry, the sequence and the head; then re-hashes every\n"
    "        logged batch of rows and compares it with the entry's digest. Exit 0 if intact;\n"
    "        otherwise exit 1 naming the first entry altered, removed or reordered, or whose\n"
    "        rows no longer match.\n"
    "log     lists the last N entries (default 20; 0 for all).\n";

int cmd_audit(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *sub;
    struct store *s;
    struct error e;
    int64_t n = 20;
    int c, rc;
    if (cli_wants_help(argc, argv) || argc < 2) return argc < 2 ? cli_usage("audit", "verify or log?") : cli_help(help);
    sub = argv[1];
    if (strcmp(sub, "verify") && strcmp(sub, "log"))
        return cli_usage("audit", "unknown sub-command '%s' (verify, log)", sub);
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "hn:", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'n' && !parse_int64(optarg, &n)) continue;
        else if (c == 'n') return cli_bad_value("audit", "-n %s is not a number of entries", optarg);
        else if (c == 'h') return cli_help(help);
        else return cli_usage("audit", "bad option");
    }
    if (optind != argc - 1) return cli_usage("audit", "unexpected argument '%s'", argv[optind + 1]);
    if ((rc = cli_open_store(db, 0, &s))) return rc;
    if (!strcmp(sub, "log")) {
        rc = audit_log_print(s, stdout, n, &e);
        store_close(s);
        return rc ? cli_fail(&e) : EXIT_OK;
    }
    {
        struct audit_report r;
        rc = audit_verify(s, &r, &e);
        store_close(s);
        if (rc && rc != ERR_VERIFY) return cli_fail(&e);
        printf("entries %lld, batches re-hashed %lld, rows %lld, retired %lld\n",
               (long long)r.entries, (long long)r.batches_checked, (long long)r.rows,
               (long long)r.retired);
        if (rc == ERR_VERIFY) {
            printf("FAILED: %lld problem%s; the first: %s\n", (long long)r.problems,
                   r.problems == 1 ? "" : "s", r.first.what);
            return EXIT_FAIL;
        }
        printf("ok: the change log is intact and every logged row matches its digest\n");
        return EXIT_OK;
    }
}
