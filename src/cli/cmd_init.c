/*
 * cmd_init.c — `pinggu init DB`: create a new, empty store at the newest schema.
 */
#include "cli.h"

#include <string.h>

static const char help[] =
    "usage: pinggu init DB\n\n"
    "Creates a new store / 新建数据库 (an embedded SQLite file) with the newest schema and an\n"
    "empty change log. Refuses to touch an existing file.\n";

int cmd_init(int argc, char **argv)
{
    struct store *s;
    struct error e;
    if (cli_wants_help(argc, argv)) return cli_help(help);
    if (argc != 2 || argv[1][0] == '-') return cli_usage("init", "give exactly one DB path");
    { /* the folder it goes in must exist: a path into nowhere is bad input */
        const char *slash = strrchr(argv[1], '/');
        char dir[1024];
        int rc;
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - argv[1]) + (slash == argv[1]) : 1,
                 slash ? argv[1] : ".");
        if ((rc = cli_need_input("init", dir, 1))) return rc;
    }
    if (store_open(argv[1], STORE_CREATE, &s, &e)) return cli_fail(&e);
    printf("created %s (schema %d)\n", argv[1], store_schema_version(s));
    store_close(s);
    return EXIT_OK;
}
