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
#include <unistd.h>

static const char help[] =
    "usage: pinggu user add     --db DB --role ROLE [--round R] [--scope UNIT] [--home UNIT] NAME\n"
    "       pinggu user grant   --db DB --role ROLE [--round R] [--scope UNIT] NAME\n"
    "       pinggu user disable --db DB NAME\n"
    "       pinggu user unlock  --db DB [--address ADDR] NAME\n"
    "       pinggu user reset   --db DB NAME\n"
    "       pinggu user list    --db DB\n"
    "       pinggu user security --db DB      (the security log of refused attempts)\n\n"
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
    "Every change is in the change log with the acting user.\n";

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
