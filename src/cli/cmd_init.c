/*
 * cmd_init.c — `pinggu init DB`: create a new, empty store at the newest schema.
 */
#include "cli.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

static const char help[] =
    "usage: pinggu init DB\n\n"
    "Creates a new store / 新建数据库 (an embedded SQLite file) with the newest schema and an\n"
    "empty change log, marked as pinggu's (other commands refuse SQLite files without the\n"
    "mark). Refuses to touch an existing file. Checkpoints an earlier store of the same name\n"
    "left at DB.checkpoints are moved aside (DB.checkpoints.TIME.old), not reused.\n";

int cmd_init(int argc, char **argv)
{
    struct store *s;
    struct error e;
    if (cli_wants_help(argc, argv)) return cli_help(help);
    if (argc != 2 || argv[1][0] == '-') return cli_usage("init", "give exactly one DB path");
    if (!store_url_is_pg(argv[1])) { /* the folder it goes in must exist */
        const char *slash = strrchr(argv[1], '/');
        char dir[1024];
        int rc;
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - argv[1]) + (slash == argv[1]) : 1,
                 slash ? argv[1] : ".");
        if ((rc = cli_need_input("init", dir, 1))) return rc;
    }
    if (store_open(argv[1], STORE_CREATE, &s, &e)) {
        /* a half-made store (e.g. the checkpoint key was refused) is not left behind */
        if (e.code != ERR_EXISTS && !store_url_is_pg(argv[1])) {
            char side[1100];
            unlink(argv[1]);
            snprintf(side, sizeof side, "%s-wal", argv[1]);
            unlink(side);
            snprintf(side, sizeof side, "%s-shm", argv[1]);
            unlink(side);
        }
        return cli_fail(&e);
    }
    printf("created %s (schema %d)\n", argv[1], store_schema_version(s));
    {
        /* checkpoints left at DB.checkpoints by an earlier store of the same name belong to
         * that store: kept, under another name, so this store's are its own */
        char cp[1100], def[1100], old[1200];
        store_checkpoints_file(s, cp, sizeof cp);
        snprintf(def, sizeof def, "%s.checkpoints", store_path(s));
        if (!strcmp(cp, def) && access(cp, F_OK) == 0) {
            char stamp[32];
            time_t t = time(NULL);
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
            snprintf(old, sizeof old, "%s.%s.old", cp, stamp);
            if (rename(cp, old)) {
                store_close(s);
                fprintf(stderr, "pinggu: %s: an earlier store's checkpoints are there and could "
                                "not be moved aside; move them yourself\n", cp);
                return EXIT_FAIL;
            }
            printf("note: %s held an earlier store's checkpoints; moved to %s\n", cp, old);
        }
    }
    store_close(s);
    return EXIT_OK;
}
