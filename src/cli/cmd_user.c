/*
 * cmd_user.c — `pinggu user add|grant|disable|unlock|reset|list|security`: accounts for
 * `pinggu serve` (access.h). The office's tool: the acting user in the change log is
 * PINGGU_ACTOR or the login name, as for every command. Passwords are read from standard
 * input (one line), never from the command line, where `ps` and shell history would show them.
 */
#include "cli.h"
#include "../access/access.h"

#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static const char help[] =
    "usage: pinggu user add     --db DB --role ROLE [--round R] [--scope UNIT] [--home UNIT] NAME\n"
    "       pinggu user grant   --db DB --role ROLE [--round R] [--scope UNIT] NAME\n"
    "       pinggu user disable --db DB NAME\n"
    "       pinggu user unlock  --db DB [--address ADDR] NAME\n"
    "       pinggu user reset   --db DB NAME\n"
    "       pinggu user list    --db DB\n"
    "       pinggu user security --db DB      (the security log of refused attempts)\n"
    "       pinggu user token issue  --db DB --round R [--days N] [--public-url URL] NAME\n"
    "       pinggu user token revoke --db DB [--round R] [--id ID] NAME\n"
    "       pinggu user token list   --db DB [NAME]\n\n"
    "用户与权限 / accounts for `pinggu serve` (docs/server.md). add and reset read the password\n"
    "from standard input (one line), never from the command line; the user must change it at\n"
    "the first login. Password rules: at least 10 characters, three of lower case, upper case,\n"
    "digits and other characters, not containing the user name.\n"
    "Roles: office (省扶贫办), leader (组长), evaluator (评估人员), city (市联络员), county\n"
    "(县联络员), supervisor (纪律监督), observer (观察员). --round R limits the grant to round R\n"
    "(a sample name; leaders and evaluators need one), --scope UNIT to a county (6 digits) or a\n"
    "city (4 digits); --home UNIT is the city or county the user is a cadre of: before release\n"
    "the user cannot see its sample, progress, problems or figures (本市、本县回避).\n"
    "Five failed logins lock an account (and the address) for 15 minutes; unlock ends it.\n"
    "disable ends every session of the user; reset sets a new password (changed at next login).\n"
    "Every change is in the change log with the acting user.\n"
    "token: field-app tokens for ODK Collect / KoboCollect (docs/openrosa.md): 32 random bytes,\n"
    "printed once with the settings URL PUBLIC_URL/key/TOKEN/; only a hash is stored; one user\n"
    "and round, --days N (default 30), revocable; valid on the OpenRosa paths only.\n";

/* Reads one line of standard input into buf (without the newline), echo off on a terminal. */
static int read_password(char *buf, size_t size)
{
    struct termios old, quiet;
    int tty = isatty(0), rc = 0;
    size_t n;
    if (tty) {
        fprintf(stderr, "password / 密码: ");
        tcgetattr(0, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(0, TCSANOW, &quiet);
    }
    if (!fgets(buf, (int)size, stdin)) rc = -1;
    if (tty) {
        tcsetattr(0, TCSANOW, &old);
        fputc('\n', stderr);
    }
    if (rc) return rc;
    n = strlen(buf);
    if (n && buf[n - 1] == '\n') buf[--n] = '\0';
    if (n && buf[n - 1] == '\r') buf[--n] = '\0';
    return 0;
}

static int parse_unit(const char *s, int *out)
{
    int64_t v;
    if (parse_int64(s, &v) || !((v >= 1000 && v <= 9999) || (v >= 100000 && v <= 999999)))
        return -1;
    *out = (int)v;
    return 0;
}

/* `pinggu user token issue|revoke|list` (access.h, token.c). */
static int cmd_user_token(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"round", required_argument, 0, 'R'},
                                         {"days", required_argument, 0, 'D'},
                                         {"id", required_argument, 0, 'i'},
                                         {"public-url", required_argument, 0, 'u'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *round = "", *id = NULL, *url = "http://127.0.0.1:8080", *name = NULL,
               *sub;
    struct store *s = NULL;
    struct error e;
    int c, rc = EXIT_OK;
    int64_t days = 0, n = 0;
    if (argc < 2) return cli_usage("user", "token issue, revoke or list?");
    sub = argv[1];
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'R': round = optarg; break;
        case 'D':
            if (parse_int64(optarg, &days) || days < 1 || days > 366)
                return cli_bad_value("user", "--days '%s': 1 to 366 / 有效期 1–366 天", optarg);
            break;
        case 'i': id = optarg; break;
        case 'u': url = optarg; break;
        default: return cli_usage("user", "unknown option");
        }
    }
    if (argc - 1 - optind > 1) return cli_usage("user", "one user NAME at a time");
    if (argc - 1 - optind == 1) name = argv[1 + optind];
    if (!strcmp(sub, "list")) {
        if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
        if (access_token_list(s, name, stdout, &e)) rc = cli_fail(&e);
        store_close(s);
        return rc;
    }
    if (strcmp(sub, "issue") && strcmp(sub, "revoke"))
        return cli_usage("user", "unknown token sub-command '%s'", sub);
    if (!name) return cli_usage("user", "token %s needs the user NAME", sub);
    if (!strcmp(sub, "issue") && !*round) return cli_usage("user", "token issue needs --round R");
    if ((rc = cli_open_store(db, 0, &s))) return rc;
    if (!strcmp(sub, "issue")) {
        struct access_token t;
        size_t ul = strlen(url);
        if (access_token_issue(s, name, round, (int)days, &t, &e)) {
            if (e.code == ERR_NOTFOUND) e.code = ERR_INVALID; /* bad input: exit 2 */
            rc = cli_fail(&e);
        } else {
            char exp[24];
            time_t tt = (time_t)t.expires;
            struct tm tm;
            gmtime_r(&tt, &tm);
            strftime(exp, sizeof exp, "%Y-%m-%dT%H:%M:%SZ", &tm);
            printf("token %s for %s in round %s, expires %s (shown once / 仅显示一次):\n%s\n"
                   "ODK Collect server URL / 服务器地址: %.*s/key/%s/\n",
                   t.id, name, round, exp, t.token, (int)(ul && url[ul - 1] == '/' ? ul - 1 : ul),
                   url, t.token);
            memset(t.token, 0, sizeof t.token);
        }
    } else {
        if (access_token_revoke(s, name, round, id, &n, &e)) {
            if (e.code == ERR_NOTFOUND) e.code = ERR_INVALID;
            rc = cli_fail(&e);
        } else {
            printf("%lld token(s) of %s revoked\n", (long long)n, name);
        }
    }
    store_close(s);
    return rc;
}

int cmd_user(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"role", required_argument, 0, 'r'},
                                         {"round", required_argument, 0, 'R'},
                                         {"scope", required_argument, 0, 's'},
                                         {"home", required_argument, 0, 'H'},
                                         {"address", required_argument, 0, 'a'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *role = NULL, *round = "", *scope = NULL, *home = NULL,
               *addr = NULL, *sub, *name = NULL;
    struct store *s = NULL;
    struct error e;
    struct access_grant g;
    char pw[512];
    int c, rc = EXIT_OK, homeunit = 0, ngrant = 0;
    if (cli_wants_help(argc, argv) || argc < 2)
        return argc < 2 ? cli_usage("user", "add, grant, disable, unlock, reset or list?")
                        : cli_help(help);
    sub = argv[1];
    if (!strcmp(sub, "token")) return cmd_user_token(argc - 1, argv + 1);
    memset(&g, 0, sizeof g);
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'r': role = optarg; break;
        case 'R': round = optarg; break;
        case 's': scope = optarg; break;
        case 'H': home = optarg; break;
        case 'a': addr = optarg; break;
        default: return cli_usage("user", "unknown option");
        }
    }
    if (argc - 1 - optind > 1) return cli_usage("user", "one user NAME at a time");
    if (argc - 1 - optind == 1) name = argv[1 + optind];
    if (!strcmp(sub, "list") || !strcmp(sub, "security")) {
        if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
        if (!strcmp(sub, "list") ? access_user_list(s, stdout, &e)
                                 : access_security_print(s, stdout, &e))
            rc = cli_fail(&e);
        store_close(s);
        return rc;
    }
    if (strcmp(sub, "add") && strcmp(sub, "grant") && strcmp(sub, "disable") &&
        strcmp(sub, "unlock") && strcmp(sub, "reset"))
        return cli_usage("user", "unknown sub-command '%s'", sub);
    if (!name) return cli_usage("user", "%s needs the user NAME", sub);
    if (!strcmp(sub, "add") || !strcmp(sub, "grant")) {
        int r;
        if (!role) return cli_usage("user", "%s needs --role ROLE", sub);
        if ((r = access_role_parse(role)) < 0)
            return cli_bad_value("user", "unknown role '%s' (office, leader, evaluator, city, "
                                         "county, supervisor, observer)",
                                 role);
        g.role = (enum access_role)r;
        snprintf(g.round, sizeof g.round, "%s", round);
        if (scope && parse_unit(scope, &g.scope))
            return cli_bad_value("user", "--scope '%s' is neither a city (4 digits) nor a "
                                         "county (6 digits)",
                                 scope);
        if (home && parse_unit(home, &homeunit))
            return cli_bad_value("user", "--home '%s' is neither a city (4 digits) nor a "
                                         "county (6 digits)",
                                 home);
        ngrant = 1;
    }
    if (!strcmp(sub, "add") || !strcmp(sub, "reset")) {
        if (read_password(pw, sizeof pw))
            return cli_bad_value("user", "no password on standard input / 未输入密码");
    }
    if ((rc = cli_open_store(db, 0, &s))) goto out;
    if (!strcmp(sub, "add")) {
        if (access_user_add(s, name, pw, homeunit, &g, (size_t)ngrant, &e)) {
            if (e.code == ERR_EXISTS) e.code = ERR_INVALID; /* bad input: exit 2 */
            rc = cli_fail(&e);
        }
        else printf("user %s added (%s); the password must be changed at the first login\n",
                    name, access_role_name(g.role));
    } else if (!strcmp(sub, "grant")) {
        if (access_grant_add(s, name, &g, &e)) rc = cli_fail(&e);
        else printf("user %s granted %s\n", name, access_role_name(g.role));
    } else if (!strcmp(sub, "disable")) {
        if (access_user_disable(s, name, &e)) rc = cli_fail(&e);
        else printf("user %s disabled; sessions ended\n", name);
    } else if (!strcmp(sub, "unlock")) {
        if (access_user_unlock(s, name, addr, &e)) rc = cli_fail(&e);
        else printf("user %s unlocked\n", name);
    } else {
        if (access_user_reset(s, name, pw, &e)) rc = cli_fail(&e);
        else printf("user %s: new password set; to be changed at the next login\n", name);
    }
out:
    memset(pw, 0, sizeof pw);
    store_close(s);
    return rc;
}
