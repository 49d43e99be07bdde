/*
 * cmd_init.c — `pinggu init DB`: create a new, empty store at the newest schema.
 */
#include "cli.h"

#include <string.h>
#include <unistd.h>

static const char help[] =
    "usage: pinggu init DB\n\n"
    "Creates a new store / 新建数据库 (an embedded SQLite file) with the newest schema and an\n"
    "empty change log, marked as pinggu's (other commands refuse SQLite files without the\n"
    "mark). Refuses to touch an existing file.\n";

int cmd_init(int argc, char **argv)
{
    struct store *s;
    struct error e;
    if (cli_wants_help(argc, argv)) return cli_help(help);
    if (argc != 2 || argv[1][0] == '-') return cli_usage("init", "give exactly one DB path");
    if (store_open(argv[1], STORE_CREATE, &s, &e)) {
        /* a half-made store (e.g. the checkpoint key was refused) is not left behind */
        if (e.code != ERR_EXISTS) {
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
    store_close(s);
    return EXIT_OK;
}
