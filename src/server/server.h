/*
 * server.h — `pinggu serve` (issue 11, DESIGN §10; src/server/): the HTTP front end beside
 * src/cli/. It carries requests to the library and answers in JSON; every business rule and
 * every permission comes from the library (access.h decides who may do what, problem.h which
 * moves are legal). No SQL here.
 *
 * Layout: http.c is the libmicrohttpd glue and the one endpoint wrapper every route goes
 * through (limits, Origin and CSRF checks, the session, JSON errors, security headers); one
 * file per group of resources maps it onto the library — session.c, rounds.c, problems.c,
 * fieldwork.c, evidence.c; parse.c holds the parsers of request parts (cookies, paths,
 * Origin, X-Forwarded-For, names), which fuzz/fuzz_http.c exercises.
 */
#ifndef PINGGU_SERVER_H
#define PINGGU_SERVER_H

#include "../base/base.h"

struct server_config {
    const char *db;            /* the store */
    const char *listen;        /* "127.0.0.1:8080" */
    const char *public_url;    /* the origin users see ("https://pinggu.example"); NULL: http://listen */
    const char *trusted_proxy; /* the only address whose X-Forwarded-For is believed; NULL none */
    const char *tls_cert, *tls_key; /* PEM files: TLS by libmicrohttpd (GnuTLS); NULL: plain */
    unsigned threads;          /* worker threads (0: 4) */
    int64_t idle_timeout;      /* seconds without a request before a session ends (0: 1800) */
    int64_t absolute_timeout;  /* seconds after login a session ends anyway (0: 43200) */
    size_t max_body;           /* largest JSON body accepted (0: 64 KiB) */
    uint64_t max_upload;       /* largest evidence upload (0: 32 MiB), streamed to disk */
    const char *forms_dir;     /* where questionnaire forms are found (NULL: data_find("forms")) */
    const char *web_dir;       /* the built pages (NULL: data_find("web/dist")) */
    unsigned checkpoint_every; /* seconds between change-log checkpoints (0: 60) */
    unsigned request_timeout;  /* seconds a connection may stay idle mid-request (0: 30) */
    int public_query;          /* 1: only the household query's read-only listener (public.c) */
};

/* Runs the server until SIGINT or SIGTERM: then stops taking requests, finishes those under
 * way, writes a last checkpoint and returns 0. Errors at start (the store, the address, the
 * TLS files) return an ERR_* with e filled. `ready`, if non-NULL, gets one line
 * "listening on URL" once the socket accepts. */
int server_run(const struct server_config *cfg, FILE *ready, struct error *e);

/* The household query's listener alone (public.c; server_run calls it when cfg->public_query):
 * one form and its answer, no sessions, no other route; runs until SIGINT or SIGTERM. */
int server_public_run(const struct server_config *cfg, FILE *ready, struct error *e);

/* ---------------------------------------------------------------- parsers (parse.c) */

/* The value of cookie `name` in a Cookie header into out (size bytes): 0, or -1 if absent,
 * empty or longer than size - 1. */
int server_cookie(const char *header, const char *name, char *out, size_t size);
/* Matches a path against a pattern of segments: "#" matches a positive decimal integer
 * (kept in nums[], at most 4), "*" a name of 1..64 letters, digits, '.', '_' or '-' (copied
 * into names[], at most 2, 65 bytes each); other segments literally. 1 on a match, else 0. */
int server_route_match(const char *pattern, const char *path, int64_t nums[4],
                       char names[2][65]);
/* Whether an Origin (or, when origin is NULL, a Referer) names the server's own origin:
 * 1 if so, 0 if not. */
int server_origin_ok(const char *own, const char *origin, const char *referer);
/* The client address after a trusted proxy: the last address of X-Forwarded-For when peer
 * equals trusted (and the header parses), else peer. Writes into out. */
void server_client_addr(const char *peer, const char *trusted, const char *xff, char *out,
                        size_t size);
/* The value of `name` in an application/x-www-form-urlencoded body of len bytes (not
 * NUL-terminated; '+' is a space, %XX a byte, a malformed escape kept as typed) into out (size
 * >= 1 bytes, always NUL-terminated, truncated to size - 1); "" if absent. (public.c) */
void server_form_value(const char *body, size_t len, const char *name, char *out, size_t size);
/* A name a client gives (an uploaded file's name, an idempotency key): 1 if it has 1..max
 * bytes, does not start with '.', and holds no '/', '\\' or control character; else 0. */
int server_name_ok(const char *s, size_t max);

#endif
