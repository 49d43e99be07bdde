/*
 * cmd_household.c — `pinggu household codes|log`: the household query's office side
 * (registry.h, seed 003). `codes` writes the notice-card file (query codes and the SMS/WeChat
 * text per household; personal data, mode 0600, written whole or not at all) and notes the
 * run in the change log; `log` prints the public listener's query log (hashed IDs only).
 */
#include "cli.h"
#include "../registry/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
    "usage: pinggu household codes --db DB [--county CODE] --url URL --out cards.csv\n"
    "       pinggu household log --db DB\n\n"
    "贫困户信息查询 / the household query (seed 003: 确保每个贫困家庭都能及时了解扶贫信息并\n"
    "自主行使相关权利). `codes` writes one line per registered household (of the county, or\n"
    "all): household, county, village, head (户主), its 10-digit query code for the notice card\n"
    "(明白卡) and the SMS/WeChat text pointing at URL (the public listener, `pinggu serve\n"
    "--public-query`). Codes are derived from a secret kept in the store, so a card printed\n"
    "again has the same code. The file holds names: office only; each run is logged in the\n"
    "change log. `log` lists the queries the listener answered: time, address, the ID's keyed\n"
    "hash (never the ID), outcome and the work each took.\n";

static int codes(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"county", required_argument, 0, 'c'},
                                         {"url", required_argument, 0, 'u'},
                                         {"out", required_argument, 0, 'o'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *url = NULL, *out = NULL;
    int64_t county = 0, n = 0;
    struct store *s = NULL;
    struct error e;
    char tmp[4096];
    FILE *f = NULL;
    int c, fd, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'u': url = optarg; break;
        case 'o': out = optarg; break;
        case 'c':
            if (parse_int64(optarg, &county) || county < 110000 || county > 829999)
                return cli_bad_value("household", "--county '%s' is not a 6-digit county code",
                                     optarg);
            break;
        default: return cli_usage("household", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("household", "unexpected argument '%s'", argv[optind]);
    if (!out) return cli_usage("household", "--out FILE is required");
    if (!url) return cli_usage("household", "--url URL (the public query's address) is required");
    if (strncmp(url, "https://", 8) && strncmp(url, "http://", 7))
        return cli_bad_value("household", "--url '%s' is not an http(s) address", url);
    if ((rc = cli_open_store(db, 0, &s))) return rc;
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", out);
    fd = mkstemp(tmp);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        fprintf(stderr, "pinggu household: %s: cannot write: %s\n", out, strerror(errno));
        if (fd >= 0) close(fd), unlink(tmp);
        store_close(s);
        return EXIT_FAIL;
    }
    rc = registry_hq_codes(s, (int)county, url, f, &n, &e);
    if (fclose(f) && !rc) rc = error_set(&e, ERR_IO, "%s: cannot write", out);
    if (!rc && rename(tmp, out)) rc = error_set(&e, ERR_IO, "%s: cannot write: %s", out, strerror(errno));
    if (rc) {
        unlink(tmp);
        store_close(s);
        return cli_fail(&e);
    }
    printf("%lld household(s): query codes and messages in %s (personal data: office only; "
           "logged)\n",
           (long long)n, out);
    store_close(s);
    return EXIT_OK;
}

int cmd_household(int argc, char **argv)
{
    if (cli_wants_help(argc, argv) || argc < 2)
        return argc < 2 ? cli_usage("household", "codes or log?") : cli_help(help);
    if (!strcmp(argv[1], "codes")) return codes(argc - 1, argv + 1);
    if (!strcmp(argv[1], "log")) {
        static const struct option opts[] = {{"db", required_argument, 0, 'd'}, {0, 0, 0, 0}};
        const char *db = NULL;
        struct store *s = NULL;
        struct error e;
        int c, rc;
        optind = 1;
        while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
            if (c == 'd') db = optarg;
            else return cli_usage("household", "unknown option");
        }
        if ((rc = cli_open_store(db, 0, &s))) return rc;
        rc = registry_hq_log_print(s, stdout, &e) ? cli_fail(&e) : EXIT_OK;
        store_close(s);
        return rc;
    }
    return cli_usage("household", "unknown sub-command '%s'", argv[1]);
}
