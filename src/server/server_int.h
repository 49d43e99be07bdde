/*
 * server_int.h — private to src/server/: the request context the endpoint wrapper (http.c)
 * hands to each route (session.c, rounds.c, problems.c, fieldwork.c, evidence.c), and the
 * route tables.
 *
 * A route handler gets a context whose user is signed in (unless the route is public), whose
 * body (if any) is parsed JSON, and whose Origin and CSRF token were checked when the method
 * changes state. It answers by filling ctx->status and ctx->out (a JSON value it owns), or
 * calls ctx_error. It asks access_check (through ctx_allow) before touching anything.
 */
#ifndef PINGGU_SERVER_INT_H
#define PINGGU_SERVER_INT_H

#include "server.h"
#include "../store/store.h"
#include "../access/access.h"
#include "../problem/problem.h"

#include <jansson.h>
#include <pthread.h>
#include <string.h>

struct ctx {
    struct store *s;           /* this thread's connection */
    const struct server_config *cfg;
    const char *method;
    const char *path;
    const char *addr;          /* the client's address */
    struct access_user user;   /* signed in: user.name[0] != 0 */
    char session_hash[65];     /* the session's hash ("" if none) */
    json_t *body;              /* the parsed JSON body (borrowed from the wrapper), or NULL */
    const char *text;          /* RT_JSON_TEXT routes: the body's bytes (borrowed), and */
    size_t textlen;            /* their number */
    int64_t nums[4];           /* "#" segments of the route */
    char names[2][65];         /* "*" segments */
    void *conn;                /* the MHD connection (for query values) */
    int status;                /* the answer: HTTP status */
    json_t *out;               /* and its JSON body (owned; the wrapper frees it) */
    char set_cookie[256];      /* a Set-Cookie header to send, "" if none */
    const char *retry_after;   /* a Retry-After header, or NULL */
    const char *idem_key;      /* the Idempotency-Key header, or NULL */
    /* RT_UPLOAD routes: the body, streamed to a file in a private temporary folder */
    const char *upload_dir;    /* the folder (the route may create its named file there) */
    const char *upload_path;   /* the body's file */
    uint64_t upload_size;
    char upload_sha[65];
    /* a file answer instead of JSON (evidence): fd >= 0 takes over the answer */
    int file_fd;
    uint64_t file_size;
    const char *file_type;     /* from magic bytes, never from the client */
    char file_name[128];       /* for Content-Disposition: attachment */
};

/* Sets an error answer: {"error": {"code", "message_zh", "message_en", "field"}}. field may
 * be NULL. Returns -1 (for `return ctx_error(...)`). */
int ctx_error(struct ctx *c, int status, const char *code, const char *zh, const char *en,
              const char *field);
/* Answers with the file at path as an attachment of the given type (a static string) and
 * file name: the descriptor is opened here and outlives the file's name, so the caller may
 * remove the file and its folder at once. 0, or -1 (no answer set) if it cannot be opened. */
int ctx_send_file(struct ctx *c, const char *path, const char *type, const char *name);
/* Maps a library error onto an answer (ERR_NOTFOUND 404, ERR_INVALID/ERR_PARSE 422, others
 * 500 without details). Returns -1. */
int ctx_fail(struct ctx *c, const struct error *e);
/* ctx_fail for an error met on connection s (the writer queue's leader runs a job on its own
 * connection, not the request's): a lost connection there answers 503, not 500. */
int ctx_fail_on(struct ctx *c, struct store *s, const struct error *e);
/* The problem stage's role for the access role that allowed a request (problems.c): office,
 * leader, evaluator, county (city and county liaisons); PR_NROLES for any other. */
enum problem_role server_problem_role(enum access_role r);
/* Asks access_check; on refusal records it in the security log and answers 403. Returns 0
 * when allowed (*role, if non-NULL, gets the allowing role). */
int ctx_allow(struct ctx *c, enum access_resource r, enum access_action a,
              const struct access_target *t, enum access_role *role);
/* A query value (borrowed from the connection), or NULL. */
const char *ctx_query(struct ctx *c, const char *name);
/* A string member of the body: NULL if absent; -1 via *bad if present but not a string. */
const char *ctx_body_str(struct ctx *c, const char *name, int *bad);

typedef int (*route_fn)(struct ctx *c);
enum {
    RT_PUBLIC = 1,      /* no session needed */
    RT_MUST_CHANGE = 2, /* allowed while the password must be changed */
    RT_BODY = 4,        /* takes a JSON object body */
    RT_UPLOAD = 8,      /* takes a raw body streamed to disk (up to cfg->max_upload) */
    RT_JSON_TEXT = 16   /* takes a JSON body it reads itself (c->text): no tree is built */
};
struct route {
    const char *method;
    const char *pattern;
    route_fn fn;
    unsigned flags;
};
/* Each resource file's routes and their number; http.c looks a request up in all of them. */
const struct route *server_session_routes(size_t *n);
const struct route *server_rounds_routes(size_t *n);
const struct route *server_problems_routes(size_t *n);
const struct route *server_fieldwork_routes(size_t *n);
const struct route *server_evidence_routes(size_t *n);
/* The OpenRosa paths /key/TOKEN/... (openrosa.c): http.c hands every call of such a request
 * here before its own checks (no session, no Origin: field apps have neither). *state is the
 * request's state (NULL at the first call); server_openrosa_done frees it when the request
 * ends. s is the thread's store (NULL: answered 503). */
struct MHD_Connection;
int server_openrosa(const struct server_config *cfg, const char *origin, struct store *s,
                    struct MHD_Connection *conn, const char *url, const char *method,
                    const char *upload, size_t *upload_size, void **state);
void server_openrosa_done(void *state);
const struct route *server_pages_routes(size_t *n); /* pages.c: what the pages need */
/* pages.c: answers a GET of a built page file (web_dir, NULL: data_find("web/dist")) outside
 * /api/: *handled = 1 and the MHD result when the file exists, else *handled = 0. */
int server_pages_send(void *conn, const char *web_dir, const char *url, int *handled);
const struct route *server_reports_routes(size_t *n);
struct MHD_Connection;
/* The client's address (IPv4 or IPv6) after the trusted proxy trusted (may be NULL), into out
 * (the caller's buffer; "?" when unknown). (conn.c) */
void server_conn_addr(struct MHD_Connection *conn, const char *trusted, char *out, size_t size);
const struct route *server_monitor_routes(size_t *n); /* monitor.c: between rounds (issue 15) */
const struct route *server_setup_routes(size_t *n); /* setup.c: the office's round set-up */
const struct route *server_signoff_routes(size_t *n); /* signoff.c: report sign-off */
const struct route *server_dayplan_routes(size_t *n); /* dayplan.c: the leader's day plan */
const struct route *server_synthesis_routes(size_t *n); /* synthesis.c: county synthesis */
struct MHD_Response;
/* Queues r (takes it) as the answer to conn's request: at once on libmicrohttpd's thread;
 * kept in the request when a worker builds it (http.c), queued once the connection resumes.
 * MHD_YES or MHD_NO, as MHD_queue_response. */
int server_answer(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r);
/* One store connection per server thread (pool.c), closed together at shutdown. */
struct store_pool {
    const char *db; /* borrowed: the store URL */
    pthread_mutex_t lock;
    pthread_cond_t freed;  /* a lent connection came back */
    struct store **stores; /* every connection opened (the pool's) */
    size_t n, cap;
    struct store **idle;   /* those lent out before and back now (room for cap) */
    size_t nidle, lent;
    size_t max_lent;       /* connections lent at once (0: no limit) */
    /* 1: the connections leave WAL checkpoints to the listener's main thread
     * (store_wal_manual; http.c checkpoints every 100 ms) */
    int manual_wal;
};
void store_pool_init(struct store_pool *p, const char *db);
/* The calling thread's own connection, opened on first use and kept by the thread (the writer
 * queue's thread, the household query's pool threads); owned by the pool (NULL, e set). */
struct store *store_pool_get(struct store_pool *p, struct error *e);
/* A connection lent for one call of a request's handler (http.c: a thread per HTTP
 * connection, so a thread of its own would mean a store connection per HTTP connection): an
 * idle one, or a new one while fewer than max_lent are out, else the caller waits for one to
 * come back. Owned by the pool; give it back with store_pool_return (NULL, e set). */
struct store *store_pool_borrow(struct store_pool *p, struct error *e);
void store_pool_return(struct store_pool *p, struct store *s);
/* Closes every connection; only when no request is running. */
void store_pool_close(struct store_pool *p);
/* The number of releases of round (0: provisional) into *n: 0, or -1 with the answer set. */
int ctx_released(struct ctx *c, const char *round, int *n);
/* The writer queue (batch.c): group commit. A submission does its lock-free work (parsing,
 * authorisation, temporary files) in its own thread, then hands its writes to batch_run as a
 * job and waits: one thread leads, running every queued job in one transaction on its own
 * connection, each job inside its own SAVEPOINT with its actor set, and commits once. */
struct batch_job {
    /* the job's writes on s (the leader's connection; a transaction is open). 0 keeps them;
     * non-zero rolls them back alone (the job has set its own answer). */
    int (*run)(struct store *s, void *arg);
    void *arg;
    const char *actor;       /* the change log's actor of the job's entries */
    int rc;                  /* set by batch_run: run's result, or BATCH_LOST */
    int done;                /* the queue's own */
    pthread_cond_t cv;       /* the queue's own: its waiting owner is woken alone */
    struct batch_job *next;
};
/* run's result once the transaction holding the job has committed, or BATCH_LOST when that
 * transaction failed or rolled back (nothing of the job was kept: answer 503, the client
 * retries). Returns only then: nobody is answered before the commit holding its rows. s is
 * the calling thread's connection (used if it leads). */
#define BATCH_LOST (-9999)
int batch_run(struct store *s, struct batch_job *job);
/* Starts the writer thread, which runs every batch on its own connection from p (opened in
 * that thread): 0, or -1 (then the waiting threads lead, as before batch_start). */
int batch_start(struct store_pool *p);
/* Stops the writer thread after it has run every job queued; later jobs are led by their
 * own threads. Before the pool is closed. */
void batch_stop(void);
/* The fault hook for the crash tests (docs/server.md): 1 when $PINGGU_FAULT is `point`; the
 * caller then ends the process at once (_exit(137), as kill -9 would). */
int server_fault(const char *point);
/* The questionnaire form named id (a plain name: forms/ID.json under --forms or the data
 * folder), loaded once and borrowed from the cache until shutdown; NULL if there is none. */
const struct form *server_form(const struct server_config *cfg, const char *id);
/* The form in the file at path, loaded once (again when the file changes: mtime, size) and
 * borrowed from the same cache until shutdown; NULL if it does not load. */
const struct form *server_form_file(const char *path);
/* Frees the questionnaire forms fieldwork.c keeps loaded (at shutdown, no request running). */
void server_forms_release(void);

#endif
