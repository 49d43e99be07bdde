/*
 * cmd_import.c — `pinggu import --db DB DIR [--errors FILE]`: the registry files of a folder,
 * all or nothing. Errors print at most 20 of a kind (registry_import); --errors FILE gets
 * every one, and is written (empty on success) whatever the outcome.
 */
#include "cli.h"
#include "../monitor/monitor.h"

#include <errno.h>
#include <string.h>

static const char help[] =
    "usage: pinggu import --db DB DIR [--errors FILE] [--snapshot YYYY-MM-DD]\n\n"
    "Imports the registry files in DIR / 导入建档立卡数据: counties.csv, townships.csv,\n"
    "villages.csv, households.csv, members.csv (required) and projects.csv, evaluators.csv\n"
    "(optional: kept as they are if absent). UTF-8 or GB18030 (Chinese Excel), detected.\n"
    "Other files are skipped and named. The registry in the store is replaced.\n\n"
    "Every row is validated (resident IDs, codes, references, category history, text\n"
    "lengths, one value per header column); on any error nothing is written, the errors\n"
    "are listed as file:line:column: reason (at most 20 of each kind, then \"... and N more\n"
    "of this kind\", and the total), and the exit status is 2. A file that cannot be read\n"
    "(missing, a header without a required column, a broken encoding) is reported once,\n"
    "and the checks of other files against it are skipped.\n\n"
    "  --errors FILE   write every error, one per line, to FILE (empty if there was none)\n"
    "  --snapshot DATE also keep a read-only copy of this registry as the snapshot of DATE, for\n"
    "                  post-exit monitoring (pinggu monitor; an existing DATE is refused)\n\n"
    "Formats and the longest accepted text values: pinggu help formats.\n";

int cmd_import(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"errors", required_argument, 0, 'e'},
                                         {"snapshot", required_argument, 0, 'S'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *errors_path = NULL, *snapshot = NULL;
    FILE *errors_out = NULL;
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
        else if (c == 'e') errors_path = optarg;
        else if (c == 'S') snapshot = optarg;
        else if (c == 'h') return cli_help(help);
        else return cli_usage("import", "unknown option");
    }
    if (optind != argc - 1) return cli_usage("import", "give one folder DIR");
    if ((rc = cli_need_input("import", argv[optind], 1))) return rc;
    if ((rc = cli_open_store(db, 0, &s))) return rc;
    if (snapshot) { /* refused before anything is written: the date must be new */
        int d, exists = 0;
        if (parse_date(snapshot, &d) || strlen(snapshot) != 10 || snapshot[4] != '-') {
            store_close(s);
            return cli_bad_value("import", "--snapshot '%s' is not YYYY-MM-DD", snapshot);
        }
        if (monitor_snapshot_exists(s, snapshot, &exists, &e) ||
            (exists && error_set(&e, ERR_EXISTS, "a snapshot dated %s is already in the store: "
                                                 "snapshots are read-only", snapshot))) {
            store_close(s);
            return exists ? (fprintf(stderr, "pinggu import: %s\n", e.msg), EXIT_INPUT)
                          : cli_fail(&e);
        }
    }
    if (errors_path && !(errors_out = fopen(errors_path, "w"))) {
        fprintf(stderr, "pinggu import: %s: cannot write the error file: %s\n", errors_path,
                strerror(errno));
        store_close(s);
        return EXIT_INPUT;
    }
    o.progress = 1;
    o.errors_out = errors_out;
    errlist_init(&errs, 1000); /* at most 20 of each kind are kept: see registry_import */
    rc = registry_import(s, argv[optind], &o, &st, &errs, &e);
    if (!rc && snapshot) {
        struct snapshot_stats ss;
        if (!(rc = monitor_snapshot_take(s, snapshot, &ss, &e)))
            printf("snapshot %s: %lld counties, %lld villages, %lld households, %lld members of "
                   "registered households\n",
                   snapshot, (long long)ss.counties, (long long)ss.villages,
                   (long long)ss.households, (long long)ss.members);
    }
    store_close(s);
    if (errors_out && fclose(errors_out) != 0)
        fprintf(stderr, "pinggu import: %s: writing the error file failed\n", errors_path);
    if (rc == ERR_INVALID) {
        /* not errlist_print: its "... and N more" would count the "of this kind" lines */
        for (size_t i = 0; i < errs.n; i++) error_print(stderr, &errs.items[i]);
        if (errs.n == errs.keep)
            fprintf(stderr, "... the list stops at %zu lines%s\n", errs.keep,
                    errors_path ? "" : ": --errors FILE writes every error");
        fprintf(stderr, "pinggu import: %s\n", e.msg);
        if (errors_path) fprintf(stderr, "pinggu import: every error is in %s\n", errors_path);
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
