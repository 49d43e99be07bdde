/*
 * http.c — libmicrohttpd glue and the one endpoint wrapper (server.h).
 *
 * Threads: libmicrohttpd runs a thread per HTTP connection (MHD_USE_THREAD_PER_CONNECTION,
 * up to 512 connections, 64 per address); a request's work runs on its connection's thread,
 * with a store connection lent for the call (pool.c: at most cfg->threads lent at once, the
 * rest wait), so a thousand phones keeping their connections cost no more store connections
 * than eight. A request waiting for the writer queue's commit holds only its own HTTP
 * connection. Request threads run under SCHED_BATCH, so that their wake-ups never preempt the
 * writer queue's thread (request_thread_batch). Until issue 11's last round a pool of
 * libmicrohttpd threads read requests and handed each to one of our own workers, suspending
 * and resuming the connection: two more thread wake-ups per request (4 % fewer submissions/s
 * in alternating runs). SQLite's WAL lets readers run beside the one writer (BEGIN IMMEDIATE
 * with a busy timeout serialises writers). The main thread waits for SIGINT/SIGTERM (blocked
 * in every thread, taken with sigtimedwait), checkpoints the WAL every 100 ms, and writes a
 * signed checkpoint of the change log every cfg->checkpoint_every seconds and once more after
 * the daemon has stopped.
 *
 * A request's life (handler below, called by libmicrohttpd several times per request):
 *   1st call   a struct req is made; a Content-Length above the limit is answered 413 at once
 *   upload     body bytes are kept up to the limit, the rest counted and dropped (never held)
 *   last call  dispatch(): route match → Origin check for state-changing methods (login
 *              included; neither Origin nor Referer: refused) → 413 if the body overflowed →
 *              JSON parse (400 with the position; an RT_JSON_TEXT route — questionnaire
 *              submissions — reads its own body in the route, so after the checks that
 *              follow) → session from the cookie (401) → CSRF token (403) → password change
 *              required (403) → the route, which authorises through access_check → the
 *              answer with security headers.
 * Every refusal goes to the rate-limited security log, never the change log.
 */
#include "server_int.h"
#include "../survey/survey.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COOKIE_NAME "pinggu_session"

struct req;

struct server {
    const struct server_config *cfg;
    char origin[256];      /* scheme://host[:port] of the public URL */
    int secure;            /* cookies get Secure */
    struct store_pool pool; /* the connections lent to requests, closed at shutdown */
};

/* One request in flight. */
struct req {
    int started;
    struct strbuf body; /* up to the limit */
    size_t dropped;     /* bytes beyond it */
    const struct route *rt; /* matched at the first call (uploads need to know) */
    int fd;             /* RT_UPLOAD: the body's file, -1 if none */
    char dir[160], path[200];
    struct sha256 h;
    uint64_t size;
    void *orq;          /* an OpenRosa request's state (openrosa.c) */
};

/* Queues r as the answer (takes r). */
static enum MHD_Result answer_with(struct MHD_Connection *conn, unsigned status,
                                   struct MHD_Response *r)
{
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

int server_answer(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r)
{
    return (int)answer_with(conn, status, r);
}

/* The route for (url, method): *path_known = 1 if some route has the path. */
static const struct route *find_route(const char *url, const char *method, int *path_known,
                                      int64_t nums[4], char names[2][65])
{
    static const struct route *(*const tables[])(size_t *) = {
        server_session_routes, server_rounds_routes, server_problems_routes,
        server_fieldwork_routes, server_evidence_routes, server_pages_routes,
        server_reports_routes, server_monitor_routes, server_setup_routes, server_signoff_routes,
        server_dayplan_routes, server_synthesis_routes};
    enum { NT = sizeof tables / sizeof tables[0] };
    const struct route *t[NT];
    size_t n[NT];
    for (int k = 0; k < NT; k++) t[k] = tables[k](&n[k]);
    *path_known = 0;
    for (int k = 0; k < NT; k++)
        for (size_t i = 0; i < n[k]; i++) {
            if (!server_route_match(t[k][i].pattern, url, nums, names)) continue;
            *path_known = 1;
            if (!strcmp(t[k][i].method, method)) return &t[k][i];
        }
    return NULL;
}

/* ------------------------------------------------------------------ answers */

int ctx_error(struct ctx *c, int status, const char *code, const char *zh, const char *en,
              const char *field)
{
    json_decref(c->out);
    c->status = status;
    c->out = json_pack("{s:{s:s, s:s, s:s, s:s?}}", "error", "code", code, "message_zh", zh,
                       "message_en", en, "field", field);
    return -1;
}

int ctx_send_file(struct ctx *c, const char *path, const char *type, const char *name)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    if (fstat(fd, &st)) {
        close(fd);
        return -1;
    }
    c->file_fd = fd;
    c->file_size = (uint64_t)st.st_size;
    c->file_type = type;
    snprintf(c->file_name, sizeof c->file_name, "%s", name);
    utf8_trim(c->file_name);
    json_decref(c->out);
    c->out = NULL;
    c->status = 200;
    return 0;
}

int ctx_fail(struct ctx *c, const struct error *e)
{
    return ctx_fail_on(c, c->s, e);
}

int ctx_fail_on(struct ctx *c, struct store *s, const struct error *e)
{
    char buf[1200];
    error_format(e, buf, sizeof buf);
    /* the database went away mid-request: unavailable, not a bug — whatever the error says
     * (a statement that could not even be described on a dying PostgreSQL connection reads as
     * "not an audited table"; t_pg_load's database crash met it once) */
    if (!store_connected(s))
        return ctx_error(c, 503, "unavailable", "服务暂不可用", "store unavailable", NULL);
    switch (e->code) {
    case ERR_NOTFOUND: return ctx_error(c, 404, "not_found", "未找到", buf, NULL);
    case ERR_INVALID:
    case ERR_PARSE: return ctx_error(c, 422, "invalid", "请求不符合规则", buf, NULL);
    case ERR_EXISTS: return ctx_error(c, 409, "exists", "已存在", buf, NULL);
    default:
        fprintf(stderr, "pinggu serve: %s %s: %s\n", c->method, c->path, buf);
        return ctx_error(c, 500, "internal", "服务器内部错误", "internal error (logged)", NULL);
    }
}

static void seclog(struct ctx *c, const char *kind, const char *detail)
{
    struct error e;
    if (access_security_log(c->s, kind, c->addr, c->user.name, detail, &e))
        fprintf(stderr, "pinggu serve: security log: %s\n", e.msg);
}

int ctx_allow(struct ctx *c, enum access_resource r, enum access_action a,
              const struct access_target *t, enum access_role *role)
{
    struct strbuf why = STRBUF_INIT;
    int rc = access_check(&c->user, r, a, t, role, &why);
    if (rc) {
        char detail[200];
        snprintf(detail, sizeof detail, "%s %s %s", access_action_name(a),
                 access_resource_name(r), t->round ? t->round : "");
        seclog(c, "forbidden", detail);
        ctx_error(c, 403, "forbidden", "无权访问", sb_ok(&why) ? "forbidden" : why.buf, NULL);
    }
    sb_release(&why);
    return rc;
}

int ctx_released(struct ctx *c, const char *round, int *n)
{
    struct error e;
    if (access_round_released(c->s, round, n, &e)) return ctx_fail(c, &e);
    return 0;
}

const char *ctx_query(struct ctx *c, const char *name)
{
    return MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *ctx_body_str(struct ctx *c, const char *name, int *bad)
{
    json_t *v = c->body ? json_object_get(c->body, name) : NULL;
    if (!v || json_is_null(v)) return NULL;
    if (!json_is_string(v)) {
        *bad = 1;
        return NULL;
    }
    return json_string_value(v);
}

static enum MHD_Result send_json(struct MHD_Connection *conn, struct server *sv, int status,
                                 json_t *body, const char *cookie, const char *retry)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ESCAPE_SLASH) : NULL;
    size_t n = text ? strlen(text) : 0;
    struct MHD_Response *r;
    (void)sv;
    r = MHD_create_response_from_buffer(n, text ? text : (char *)"", MHD_RESPMEM_MUST_COPY);
    free(text);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cache-Control", "private, no-store");
    MHD_add_response_header(r, "Content-Security-Policy", "default-src 'self'");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    if (cookie && *cookie) MHD_add_response_header(r, "Set-Cookie", cookie);
    if (retry) MHD_add_response_header(r, "Retry-After", retry);
    return answer_with(conn, (unsigned)status, r);
}

static enum MHD_Result send_error(struct MHD_Connection *conn, struct server *sv, int status,
                                  const char *code, const char *zh, const char *en)
{
    json_t *o = json_pack("{s:{s:s, s:s, s:s, s:n}}", "error", "code", code, "message_zh", zh,
                          "message_en", en, "field");
    enum MHD_Result r = send_json(conn, sv, status, o, NULL, NULL);
    json_decref(o);
    return r;
}

/* A file (evidence) as a download: never inline, never sniffed, never script. */
static enum MHD_Result send_file(struct MHD_Connection *conn, struct ctx *c)
{
    struct strbuf cd = STRBUF_INIT;
    struct MHD_Response *r = MHD_create_response_from_fd(c->file_size, c->file_fd);
    if (!r) {
        close(c->file_fd);
        return MHD_NO;
    }
    /* filename: ASCII fallback plus the UTF-8 name percent-encoded (RFC 6266) */
    sb_adds(&cd, "attachment; filename=\"");
    for (const char *p = c->file_name; *p; p++) {
        unsigned char b = (unsigned char)*p;
        if ((b & 0xC0) == 0x80) continue; /* one '_' per non-ASCII character */
        sb_addch(&cd, (b < 0x80 && b >= 0x20 && b != '"' && b != '\\' && b != 0x7f) ? *p : '_');
    }
    sb_adds(&cd, "\"; filename*=UTF-8''");
    for (const unsigned char *p = (const unsigned char *)c->file_name; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '.' || *p == '-' || *p == '_')
            sb_addch(&cd, (char)*p);
        else
            sb_addf(&cd, "%%%02X", *p);
    }
    MHD_add_response_header(r, "Content-Type", c->file_type);
    MHD_add_response_header(r, "Content-Disposition", sb_ok(&cd) ? "attachment" : cd.buf);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cache-Control", "private, no-store");
    MHD_add_response_header(r, "Content-Security-Policy", "default-src 'self'; sandbox");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    sb_release(&cd);
    return answer_with(conn, (unsigned)c->status, r);
}

/* ------------------------------------------------------------------ dispatch */

static int state_changing(const char *m)
{
    return strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "OPTIONS");
}

static enum MHD_Result dispatch_on(struct server *sv, struct MHD_Connection *conn, const char *url,
                                   const char *method, struct req *rq, struct store *s,
                                   struct error *se)
{
    struct ctx c;
    struct error e;
    char addr[64], cookie[80];
    const struct route *rt = NULL;
    int path_known = 0;
    enum MHD_Result ret;
    json_error_t jerr;

    memset(&c, 0, sizeof c);
    c.cfg = sv->cfg, c.method = method, c.path = url, c.conn = conn;
    server_conn_addr(conn, sv->cfg->trusted_proxy, addr, sizeof addr);
    c.addr = addr;
    c.s = s;
    if (!c.s) {
        fprintf(stderr, "pinggu serve: %s\n", se->msg);
        return send_error(conn, sv, 503, "unavailable", "服务暂不可用", "store unavailable");
    }
    store_set_actor(c.s, NULL);

    c.file_fd = -1;
    rt = find_route(url, method, &path_known, c.nums, c.names);
    if (!rt && !path_known && (!strcmp(method, "GET") || !strcmp(method, "HEAD"))) {
        int handled = 0; /* a page file of web/dist (pages.c) */
        enum MHD_Result pr = (enum MHD_Result)server_pages_send(conn, sv->cfg->web_dir, url, &handled);
        if (handled) return pr;
    }
    if (!rt)
        return path_known ? send_error(conn, sv, 405, "method", "不支持的请求方法",
                                       "method not allowed")
                          : send_error(conn, sv, 404, "not_found", "未找到", "no such resource");

    if (state_changing(method)) {
        const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
        const char *referer = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Referer");
        if (!server_origin_ok(sv->origin, origin, referer)) {
            seclog(&c, "origin", origin ? origin : referer ? referer : "(none)");
            return send_error(conn, sv, 403, "origin",
                              "请求来源不符（Origin/Referer 缺失或不是本站）",
                              "cross-origin or unidentified request refused: Origin (or "
                              "Referer) must be this site");
        }
    }
    if (rq->dropped) {
        seclog(&c, "oversized", url);
        if (rt->flags & RT_UPLOAD)
            return send_error(conn, sv, 413, "too_large", "上传文件过大", "upload too large");
        return send_error(conn, sv, 413, "too_large", "请求体过大", "request body too large");
    }
    if (rt->flags & (RT_BODY | RT_JSON_TEXT)) {
        const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
        if (!ct || strncmp(ct, "application/json", 16))
            return send_error(conn, sv, 415, "content_type", "须为 application/json",
                              "Content-Type must be application/json");
        c.text = rq->body.buf ? rq->body.buf : "", c.textlen = rq->body.len;
    }
    if (rt->flags & RT_BODY) {
        c.body = json_loadb(rq->body.buf, rq->body.len, JSON_REJECT_DUPLICATES, &jerr);
        if (!c.body || !json_is_object(c.body)) {
            char en[300];
            json_t *o;
            snprintf(en, sizeof en, "malformed JSON body at line %d, column %d: %s", jerr.line,
                     jerr.column, c.body ? "expected an object" : jerr.text);
            json_decref(c.body);
            o = json_pack("{s:{s:s, s:s, s:s, s:s}}", "error", "code", "malformed",
                          "message_zh", "JSON 格式错误", "message_en", en, "field", "body");
            ret = send_json(conn, sv, 400, o, NULL, NULL);
            json_decref(o);
            return ret;
        }
    }
    /* the session */
    if (!server_cookie(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Cookie"), COOKIE_NAME,
                       cookie, sizeof cookie)) {
        int rc = access_session_get(c.s, cookie, sv->cfg->idle_timeout,
                                    sv->cfg->absolute_timeout, &c.user, c.session_hash, &e);
        if (rc && rc != ERR_NOTFOUND) {
            ctx_fail(&c, &e);
            goto answer;
        }
    }
    if (!c.user.name[0] && !(rt->flags & RT_PUBLIC)) {
        ctx_error(&c, 401, "unauthenticated", "请先登录", "sign in first", NULL);
        goto answer;
    }
    if (c.user.name[0] && state_changing(method) && !(rt->flags & RT_PUBLIC)) {
        const char *tok = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token");
        if (access_session_csrf(c.s, c.session_hash, tok ? tok : "", &e)) {
            seclog(&c, "csrf", url);
            ctx_error(&c, 403, "csrf", "缺少或错误的 CSRF 令牌",
                      "missing or wrong CSRF token (X-CSRF-Token)", "X-CSRF-Token");
            goto answer;
        }
    }
    if (c.user.name[0] && c.user.must_change && !(rt->flags & RT_MUST_CHANGE)) {
        ctx_error(&c, 403, "password_change_required", "首次登录须先修改密码",
                  "change your password first (POST /api/me/password)", NULL);
        goto answer;
    }
    if (c.user.name[0]) store_set_actor(c.s, c.user.name);
    c.idem_key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Idempotency-Key");
    if (rt->flags & RT_UPLOAD) {
        if (rq->fd < 0 || fsync(rq->fd)) {
            ctx_error(&c, 500, "internal", "服务器内部错误", "the upload could not be kept", NULL);
            goto answer;
        }
        c.upload_dir = rq->dir, c.upload_path = rq->path, c.upload_size = rq->size;
        sha256_final_hex(&rq->h, c.upload_sha);
    }
    c.status = 200;
    rt->fn(&c);
    if (c.file_fd < 0 && !c.out)
        ctx_error(&c, 500, "internal", "服务器内部错误", "no answer was built", NULL);
answer:
    /* a refusal or failure built while the database connection was lost may say anything
     * (a CSRF token that could not be read looks wrong: t_pg_load's database crash met a 403):
     * the client is told to retry instead. A success stands — its commit happened. */
    if (c.file_fd < 0 && c.status >= 400 && c.status != 503 && !store_connected(c.s)) {
        json_decref(c.out);
        c.out = NULL;
        ctx_error(&c, 503, "unavailable", "服务暂不可用", "store unavailable", NULL);
        c.retry_after = "1";
    }
    store_set_actor(c.s, NULL);
    if (c.file_fd >= 0) {
        ret = send_file(conn, &c);
        c.file_fd = -1;
    } else {
        ret = send_json(conn, sv, c.status, c.out, c.set_cookie, c.retry_after);
    }
    json_decref(c.out);
    json_decref(c.body);
    access_user_release(&c.user);
    return ret;
}

/* dispatch_on with a store connection lent for the call. */
static enum MHD_Result dispatch(struct server *sv, struct MHD_Connection *conn, const char *url,
                                const char *method, struct req *rq)
{
    struct error e;
    struct store *s = store_pool_borrow(&sv->pool, &e);
    enum MHD_Result ret = dispatch_on(sv, conn, url, method, rq, s, &e);
    store_pool_return(&sv->pool, s);
    return ret;
}

/* Request threads run under SCHED_BATCH (Linux; unprivileged, and the same share of the CPU
 * as before): a request thread woken — its batch committed, its next request arrived — then
 * does not preempt the writer queue's thread, the server's one serial part, whose every
 * pause holds up every submission queued behind it. bench harness, eight alternating runs:
 * median 4,107 -> 4,524 submissions/s, p99 8.5 -> 7.8 ms, CPU 0.334 -> 0.318 ms a
 * submission (docs/server.md §7). Once per thread (a thread per HTTP connection); a refusal
 * (another system, a sandbox) only forgoes the gain. */
static void request_thread_batch(void)
{
    static __thread int done;
    struct sched_param sp;
    if (done) return;
    done = 1;
    memset(&sp, 0, sizeof sp);
    (void)sched_setscheduler(0, SCHED_BATCH, &sp); /* 0: the calling thread (Linux) */
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    struct server *sv = cls;
    struct req *rq = *con_cls;
    request_thread_batch();
    (void)version;
    if (!strncmp(url, "/key/", 5) || !strncmp(url, "/entry/", 7)) { /* OpenRosa (openrosa.c) */
        struct error e;
        if (!rq) {
            if (!(rq = mem_calloc(1, sizeof *rq))) return MHD_NO;
            sb_init(&rq->body);
            rq->fd = -1, *con_cls = rq;
        }
        {
            struct store *s = store_pool_borrow(&sv->pool, &e);
            enum MHD_Result ret = (enum MHD_Result)server_openrosa(
                sv->cfg, sv->origin, s, conn, url, method, upload, upload_size, &rq->orq);
            store_pool_return(&sv->pool, s);
            return ret;
        }
    }
    if (!rq) {
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        int64_t nums[4];
        char names[2][65];
        int known;
        uint64_t limit;
        rq = mem_calloc(1, sizeof *rq);
        if (!rq) return MHD_NO;
        sb_init(&rq->body);
        rq->fd = -1;
        *con_cls = rq;
        rq->rt = find_route(url, method, &known, nums, names);
        limit = rq->rt && (rq->rt->flags & RT_UPLOAD) ? sv->cfg->max_upload : sv->cfg->max_body;
        if (cl) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(cl, &end, 10);
            if (errno || *end || v > limit)
                return send_error(conn, sv, 413, "too_large", "请求体过大",
                                  "request body too large");
        }
        if (rq->rt && (rq->rt->flags & RT_UPLOAD)) {
            /* nobody writes to disk without a session: checked before the first byte */
            char cookie[80], hash[65];
            struct access_user u;
            struct error e;
            struct store *s = store_pool_borrow(&sv->pool, &e);
            int refused = !s ||
                          server_cookie(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Cookie"),
                                        COOKIE_NAME, cookie, sizeof cookie) ||
                          access_session_get(s, cookie, sv->cfg->idle_timeout,
                                             sv->cfg->absolute_timeout, &u, hash, &e);
            store_pool_return(&sv->pool, s);
            if (refused)
                return send_error(conn, sv, 401, "unauthenticated", "请先登录", "sign in first");
            access_user_release(&u);
            if (tmpdir_make(rq->dir, sizeof rq->dir, "pinggu-upload")) {
                return send_error(conn, sv, 503, "unavailable", "服务暂不可用", "no space for uploads");
            }
            snprintf(rq->path, sizeof rq->path, "%s/body", rq->dir);
            rq->fd = open(rq->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
            if (rq->fd < 0) return send_error(conn, sv, 503, "unavailable", "服务暂不可用", "no space for uploads");
            sha256_init(&rq->h);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        if (rq->fd >= 0) {
            if (rq->dropped || rq->size + n > sv->cfg->max_upload) rq->dropped += n;
            else if (write(rq->fd, upload, n) != (ssize_t)n) rq->dropped += n;
            else sha256_update(&rq->h, upload, n), rq->size += n;
        } else {
            if (rq->body.len + n > sv->cfg->max_body || rq->dropped) rq->dropped += n;
            else sb_add(&rq->body, upload, n);
            if (sb_ok(&rq->body)) rq->dropped += n;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return dispatch(sv, conn, url, method, rq);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct req *rq = *con_cls;
    (void)cls, (void)conn, (void)toe;
    if (!rq) return;
    server_openrosa_done(rq->orq);
    if (rq->fd >= 0) close(rq->fd);
    if (rq->dir[0]) {
        unlink(rq->path);
        rmdir(rq->dir);
    }
    sb_release(&rq->body);
    mem_free(rq);
    *con_cls = NULL;
}

/* ------------------------------------------------------------------ run */

static int parse_listen(const char *listen, struct sockaddr_in *sa, struct error *e)
{
    char host[64];
    const char *colon = strrchr(listen, ':');
    long port;
    char *end;
    memset(sa, 0, sizeof *sa);
    if (!colon || (size_t)(colon - listen) >= sizeof host)
        return error_set(e, ERR_INVALID, "--listen '%s': expected ADDRESS:PORT", listen);
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    port = strtol(colon + 1, &end, 10);
    if (*end || port < 1 || port > 65535)
        return error_set(e, ERR_INVALID, "--listen '%s': bad port", listen);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return error_set(e, ERR_INVALID, "--listen '%s': not an IPv4 address", listen);
    return 0;
}

static char *read_file(const char *path, struct error *e)
{
    FILE *f = fopen(path, "rb");
    struct strbuf sb = STRBUF_INIT;
    char buf[4096];
    size_t n;
    if (!f) {
        error_set(e, ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sb_add(&sb, buf, n);
    fclose(f);
    if (sb_ok(&sb)) {
        sb_release(&sb);
        error_set(e, ERR_NOMEM, "out of memory");
        return NULL;
    }
    return sb_detach(&sb, NULL);
}

static void checkpoint(struct store *s)
{
    struct error e;
    if (store_checkpoint_now(s, &e)) fprintf(stderr, "pinggu serve: checkpoint: %s\n", e.msg);
}

int server_run(const struct server_config *cfg_in, FILE *ready, struct error *e)
{
    struct server_config cfg = *cfg_in;
    struct server sv;
    struct sockaddr_in sa;
    struct MHD_Daemon *d = NULL;
    struct store *main_store = NULL;
    char *cert = NULL, *key = NULL;
    sigset_t set;
    unsigned per_ip;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG;
    int rc;
    double last_cp;

    if (cfg.public_query) return server_public_run(cfg_in, ready, e);
    /* 8 store connections lent at once, not one per core: a request keeps its connection
     * while it waits for the writer queue's commit, and while an OpenRosa attachment is synced
     * to disk (bench/serve.sh's photo round: 4 at once 95–173 submissions/s, p99 448–536 ms;
     * 8 at once 206–213/s, p99 88–130 ms, load 4) */
    if (!cfg.threads) cfg.threads = 8;
    if (!cfg.idle_timeout) cfg.idle_timeout = 1800;
    if (!cfg.absolute_timeout) cfg.absolute_timeout = 12 * 3600;
    if (!cfg.max_body) cfg.max_body = 64 * 1024;
    if (!cfg.max_upload) cfg.max_upload = (uint64_t)32 << 20;
    if (!cfg.checkpoint_every) cfg.checkpoint_every = 60;
    if (!cfg.request_timeout) cfg.request_timeout = 30;
    memset(&sv, 0, sizeof sv);
    sv.cfg = &cfg;
    store_pool_init(&sv.pool, cfg.db);
    sv.pool.manual_wal = 1; /* the main loop below checkpoints the WAL */
    if ((rc = parse_listen(cfg.listen, &sa, e))) goto out;
    if (cfg.public_url) {
        const char *p = strstr(cfg.public_url, "://");
        size_t n = p ? strcspn(p + 3, "/") + (size_t)(p + 3 - cfg.public_url) : 0;
        if (!p || (strncmp(cfg.public_url, "http://", 7) && strncmp(cfg.public_url, "https://", 8)) ||
            n >= sizeof sv.origin || n == (size_t)(p + 3 - cfg.public_url)) {
            rc = error_set(e, ERR_INVALID, "--public-url '%s': expected http(s)://HOST[:PORT]",
                           cfg.public_url);
            goto out;
        }
        memcpy(sv.origin, cfg.public_url, n);
        sv.origin[n] = '\0';
        sv.secure = !strncmp(cfg.public_url, "https://", 8);
    } else {
        snprintf(sv.origin, sizeof sv.origin, "%s://%s", cfg.tls_cert ? "https" : "http",
                 cfg.listen);
    }
    if (cfg.tls_cert) sv.secure = 1;
    /* the store must open (and migrate) before anyone connects */
    if ((rc = store_open(cfg.db, 0, &main_store, e))) goto out;
    store_checkpoints_defer(1);
    {
        int64_t n = 0;
        if ((rc = access_idem_clear_pending(main_store, &n, e))) goto out;
        if (n && ready)
            fprintf(ready, "%lld submission(s) left unanswered by a stopped server: a retry "
                           "submits again\n",
                    (long long)n);
    }
    if (cfg.tls_cert || cfg.tls_key) {
        if (!cfg.tls_cert || !cfg.tls_key) {
            rc = error_set(e, ERR_USAGE, "--tls-cert and --tls-key go together");
            goto out;
        }
        if (!(cert = read_file(cfg.tls_cert, e)) || !(key = read_file(cfg.tls_key, e))) {
            rc = e->code;
            goto out;
        }
        flags |= MHD_USE_TLS;
    }
    /* 64 connections per address; behind a trusted proxy every connection comes from the
     * proxy, so the limit per client is the proxy's to keep (nginx limit_conn, docs/server.md) */
    per_ip = cfg.trusted_proxy && *cfg.trusted_proxy ? 0u : 64u;
    /* SIGINT and SIGTERM are taken by this thread only */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    sv.pool.max_lent = (size_t)cfg.threads;
    if (batch_start(&sv.pool))                /* the writer queue's thread (batch.c) */
        fprintf(stderr, "pinggu serve: no writer thread: submissions are led by their own\n");
    if (cert)
        d = MHD_start_daemon(flags, 0, NULL, NULL, handler, &sv, MHD_OPTION_SOCK_ADDR, &sa,
                             MHD_OPTION_CONNECTION_TIMEOUT, cfg.request_timeout,
                             MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
                             MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
                             MHD_OPTION_NOTIFY_COMPLETED, completed, &sv,
                             MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
                             MHD_OPTION_END);
    else
        d = MHD_start_daemon(flags, 0, NULL, NULL, handler, &sv, MHD_OPTION_SOCK_ADDR, &sa,
                             MHD_OPTION_CONNECTION_TIMEOUT, cfg.request_timeout,
                             MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
                             MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
                             MHD_OPTION_NOTIFY_COMPLETED, completed, &sv, MHD_OPTION_END);
    if (!d) {
        rc = error_set(e, ERR_IO, "cannot listen on %s (in use, or TLS files invalid)",
                       cfg.listen);
        goto out;
    }
    field_unit_cache(1); /* a sample's units read once, not per submission (survey.h) */
    if (ready) {
        fprintf(ready, "listening on %s (origin %s)\n", cfg.listen, sv.origin);
        fflush(ready);
    }
    last_cp = clock_seconds();
    for (;;) {
        /* every 100 ms: the WAL checkpoint the request threads' connections leave to this
         * thread (store_wal_manual) — so the writer queue never waits for its fdatasync */
        struct timespec ts = {0, 100 * 1000 * 1000};
        struct error we;
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM) break;
        if (store_wal_checkpoint(main_store, &we))
            fprintf(stderr, "pinggu serve: WAL checkpoint: %s\n", we.msg);
        if (clock_seconds() - last_cp >= cfg.checkpoint_every) {
            checkpoint(main_store);
            last_cp = clock_seconds();
        }
    }
    batch_stop(); /* requests still running lead their own batches */
    MHD_stop_daemon(d);
    server_forms_release();
    field_unit_cache(0);
    checkpoint(main_store);
    rc = 0;
out:
    batch_stop();
    store_pool_close(&sv.pool);
    store_close(main_store);
    if (key) {
        memset(key, 0, strlen(key));
        mem_free(key);
    }
    mem_free(cert);
    return rc;
}
