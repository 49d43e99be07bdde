/*
 * cmd_import.c — `pinggu import --db DB DIR`: the registry files of a folder, all or nothing.
 */
#include "cli.h"

#include <string.h>

static const char help[] =
    "usage: pinggu import --db DB DIR\n\n"
    "Imports the registry files in DIR / 导入建档立卡数据: counties.csv, townships.csv,\n"
    "villages.csv, households.csv, members.csv (required) and projects.csv, evaluators.csv\n"
    "(optional: kept as they are if absent). UTF-8 or GB18030 (Chinese Excel), detected.\n"
    "Other files are skipped and named. The registry in the store is replaced.\n\n"
    "Every row is validated (resident IDs, codes, references, category history); on any\n"
    "error nothing is written, the errors are listed as file:line:column: reason (at most\n"
    "50, and the total), and the exit status is 2. Formats: pinggu help formats.\n";

int cmd_import(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL;
    struct import_opts o = {0};
    struct import_stats st;
    struct errlist errs;
    struct store *s;
    struct error e;
    int c, rc;
    int64_t total = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'h') return cli_help(help);
        else return cli_usage("import", "unknown option");
    }
    if (optind != argc - 1) return cli_usage("import", "give one folder DIR");
    if ((rc = cli_need_input("import", argv[optind], 1))) return rc;
    if ((rc = cli_open_store(db, 0, &s))) return rc;
    o.progress = 1;
    errlist_init(&errs, 50);
    rc = registry_import(s, argv[optind], &o, &st, &errs, &e);
    store_close(s);
    if (rc == ERR_INVALID) {
        errlist_print(stderr, &errs);
        fprintf(stderr, "pinggu import: %s\n", e.msg);
        errlist_release(&errs);
        return EXIT_INPUT;
    }
    errlist_release(&errs);
    if (rc) return cli_fail(&e);
    for (size_t f = 0; f < registry_nfiles; f++) {
        if (!st.present[f]) {
            printf("%-16s absent: kept as it was\n", registry_files[f].file);
            continue;
        }
        printf("%-16s %10lld rows%s\n", registry_files[f].file, (long long)st.rows[f],
               st.gb18030[f] ? "  (GB18030, converted)" : "");
        total += st.rows[f];
    }
    if (st.upgraded_ids) printf("15-digit resident IDs upgraded: %lld\n", (long long)st.upgraded_ids);
    if (st.skipped[0]) printf("skipped: %s\n", st.skipped);
    if (st.ignored_cols[0]) printf("ignored columns: %s\n", st.ignored_cols);
    printf("imported %lld rows in %.1f s (%.0f rows/s)\n", (long long)total, st.seconds,
           st.seconds > 0 ? (double)total / st.seconds : 0.0);
    return EXIT_OK;
}
