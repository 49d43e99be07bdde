/*
 * cmd_serve.c — `pinggu serve`: runs the HTTP server and JSON API (server.h) on a store until
 * SIGINT or SIGTERM; `--print-authz` prints the authorisation matrix (access.h) and exits.
 */
#include "cli.h"
#include "../access/access.h"
#include "../server/server.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: pinggu serve --db DB [--listen 127.0.0.1:8080] [--public-url URL]\n"
    "                    [--trusted-proxy ADDR] [--tls-cert PEM --tls-key PEM] [--threads N]\n"
    "                    [--idle-timeout SECONDS] [--absolute-timeout SECONDS]\n"
    "                    [--checkpoint-every SECONDS] [--forms DIR] [--max-upload BYTES]\n"
    "                    [--request-timeout SECONDS] [--web DIR]\n"
    "       pinggu serve --public-query --db DB --listen ADDR:PORT [--trusted-proxy ADDR]\n"
    "       pinggu serve --print-authz\n\n"
    "服务端 / the multi-user server and its JSON API (docs/api.md, docs/server.md).\n"
    "--public-url  the origin users reach (https://… behind nginx): state-changing requests must\n"
    "              come from it (Origin or Referer), and https makes cookies Secure\n"
    "--trusted-proxy  the only peer whose X-Forwarded-For is believed (nginx's address)\n"
    "--tls-cert/--tls-key  serve TLS directly (libmicrohttpd with GnuTLS)\n"
    "Sessions end after --idle-timeout (default 1800 s) without a request and --absolute-timeout\n"
    "(default 43200 s) after login. A signed checkpoint of the change log is written every\n"
    "--checkpoint-every seconds (default 60) and at shutdown (SIGINT or SIGTERM).\n"
    "--forms DIR   the questionnaire forms submissions are checked against (default: shipped)\n"
    "--web DIR     the built pages served outside /api/ (default: web/dist, docs/pages.md)\n"
    "--max-upload  the largest evidence upload in bytes (default 33554432), streamed to disk\n"
    "--request-timeout  a connection idle that long mid-request is closed (default 30 s)\n"
    "--public-query  only the household query (seed 003): a separate listener serving one zh-CN\n"
    "              form and its answer — no sessions, no other route (docs/server.md)\n"
    "--print-authz prints the authorisation matrix (role × resource × action × scope) and exits.\n";

static int parse_pos(const char *s, int64_t *v)
{
    return parse_int64(s, v) || *v < 1 ? -1 : 0;
}

int cmd_serve(int argc, char **argv)
{
    enum { O_PUB = 256, O_PROXY, O_CERT, O_KEY, O_THREADS, O_IDLE, O_ABS, O_CP, O_AUTHZ, O_FORMS,
           O_UPLOAD, O_RT, O_WEB, O_PUBQ };
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"listen", required_argument, 0, 'l'},
                                         {"public-url", required_argument, 0, O_PUB},
                                         {"trusted-proxy", required_argument, 0, O_PROXY},
                                         {"tls-cert", required_argument, 0, O_CERT},
                                         {"tls-key", required_argument, 0, O_KEY},
                                         {"threads", required_argument, 0, O_THREADS},
                                         {"idle-timeout", required_argument, 0, O_IDLE},
                                         {"absolute-timeout", required_argument, 0, O_ABS},
                                         {"checkpoint-every", required_argument, 0, O_CP},
                                         {"print-authz", no_argument, 0, O_AUTHZ},
                                         {"forms", required_argument, 0, O_FORMS},
                                         {"max-upload", required_argument, 0, O_UPLOAD},
                                         {"request-timeout", required_argument, 0, O_RT},
                                         {"web", required_argument, 0, O_WEB},
                                         {"public-query", no_argument, 0, O_PUBQ},
                                         {0, 0, 0, 0}};
    struct server_config cfg;
    struct error e;
    int c, authz = 0;
    int64_t v;
    if (cli_wants_help(argc, argv)) return cli_help(help);
    memset(&cfg, 0, sizeof cfg);
    cfg.listen = "127.0.0.1:8080";
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': cfg.db = optarg; break;
        case 'l': cfg.listen = optarg; break;
        case O_PUB: cfg.public_url = optarg; break;
        case O_PROXY: cfg.trusted_proxy = optarg; break;
        case O_CERT: cfg.tls_cert = optarg; break;
        case O_KEY: cfg.tls_key = optarg; break;
        case O_AUTHZ: authz = 1; break;
        case O_PUBQ: cfg.public_query = 1; break;
        case O_FORMS: cfg.forms_dir = optarg; break;
        case O_WEB: cfg.web_dir = optarg; break;
        case O_UPLOAD:
            if (parse_pos(optarg, &v)) return cli_bad_value("serve", "--max-upload '%s' is not a size in bytes", optarg);
            cfg.max_upload = (uint64_t)v;
            break;
        case O_THREADS:
        case O_IDLE:
        case O_ABS:
        case O_CP:
        case O_RT:
            if (parse_pos(optarg, &v) || v > 100000000)
                return cli_bad_value("serve", "'%s' is not a positive number", optarg);
            if (c == O_THREADS) cfg.threads = (unsigned)(v > 64 ? 64 : v);
            else if (c == O_IDLE) cfg.idle_timeout = v;
            else if (c == O_ABS) cfg.absolute_timeout = v;
            else if (c == O_RT) cfg.request_timeout = (unsigned)(v > 3600 ? 3600 : v);
            else cfg.checkpoint_every = (unsigned)v;
            break;
        default: return cli_usage("serve", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("serve", "unexpected argument '%s'", argv[optind]);
    if (authz) {
        access_matrix_print(stdout);
        return EXIT_OK;
    }
    if (!cfg.db) return cli_usage("serve", "--db DB is required");
    if (cfg.public_query && (cfg.tls_cert || cfg.tls_key || cfg.public_url))
        return cli_usage("serve", "--public-query serves plain HTTP behind nginx: no --tls-cert, "
                                  "--tls-key or --public-url");
    if (!store_url_is_pg(cfg.db) && cli_need_input("serve", cfg.db, 0)) return EXIT_INPUT;
    if (server_run(&cfg, stdout, &e)) return cli_fail(&e);
    return EXIT_OK;
}
