/*
 * store_pg.c — the PostgreSQL backend of the store interface (store_int.h), over libpq.
 * The only file that includes libpq-fe.h. See docs/scale.md.
 *
 * Dialect: callers and schema.c write the portable subset (store.h). pg_dialect() translates
 * every statement once, at prepare or exec, in this one place: `?` -> `$n`; the types
 * INTEGER -> bigint, REAL -> double precision, BLOB -> bytea; `INTEGER PRIMARY KEY` is a
 * bigint identity "BY DEFAULT" (audited inserts give row_no themselves; a few unaudited
 * tables — the household query's — leave it to the store, as SQLite's rowid does);
 * instr -> strpos, ifnull -> coalesce; the column name `user`
 * (reserved in PostgreSQL) -> "user"; `BEGIN IMMEDIATE` -> BEGIN plus the store's advisory
 * lock. String literals are copied untouched. The migrations are the same list for both
 * backends (schema.c); SQL that needs a per-backend variant is written
 *     / *sqlite:* / SQLITE TEXT / *:sqlite* / / *pg: POSTGRESQL TEXT* /
 * (without the spaces): SQLite runs the first part and skips the comment, pg_dialect drops
 * the first part and uncomments the second. None of v1..v13 needs one; v15 (partitioning by
 * province) is PostgreSQL only.
 *
 * COPY into a table partitioned by province (v15: pinggu_partitioned names the key column):
 * before a row of a province not yet seen in this load, the open COPY is ended, the province's
 * partition made (pinggu_partition, a no-op when it exists) and a COPY begun again, all in the
 * load's transaction; a province's rows thus never land in the default partition.
 *
 * Values: parameters go typed — int64 as int8 text, double as float8 in binary (exact),
 * text as untyped text (the server infers the column's type), blobs as bytea binary. Results
 * come as text; float8 text is PostgreSQL's shortest exact round-trip form (extra_float_digits
 * = 1), so strtod gives back the very double that was stored; numeric (sum of bigints) is an
 * integer unless it has a fraction; bool is 0/1.
 *
 * Concurrency: a write transaction (store_begin, store_bulk_begin) takes the transaction-level
 * advisory lock STORE_APPLICATION_ID first, so writers are serialised exactly as SQLite's
 * BEGIN IMMEDIATE serialises them, and the change log's head (read, hashed, appended in the
 * same transaction) can never fork; readers are not blocked.
 *
 * Connections outlive the database's restarts (the server keeps one per thread): pg_ensure,
 * before every statement, re-makes a connection the server dropped, outside a transaction; a
 * SELECT that met a dropped connection outside a transaction is sent again once, nothing that
 * writes is; a connection lost inside a transaction is an error, ended by the caller's rollback.
 * While the database is unreachable statements fail with ERR_STORE and store_connected() is 0
 * (the server answers 503). Statements prepared on a lost connection are re-prepared (gen).
 *
 * The mark: the table pinggu_store (application_id, schema_version), one row, set by every
 * migration. A database without it is refused (open) or must be empty of tables (create).
 * The database must have C collation (LC_COLLATE "C"), so ORDER BY on text is byte order,
 * as in SQLite; any other is refused.
 *
 * Statements: executed with PQexecParams the first time; a statement run again with the same
 * parameter types is prepared (PQprepare, named per connection) and then run with
 * PQexecPrepared. Results are fetched whole (a statement's rows are in memory until reset).
 */
#include "store_int.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_TEXT 25
#define OID_OID 26
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700

struct pg {
    PGconn *c;
    int gen;    /* bumped at every reconnect: statements prepared before it are gone */
    int in_tx;  /* a transaction begun on this connection (a lost one cannot be resumed) */
    int64_t changes;
    int nnames; /* prepared statement names used: p1, p2, ... */
    struct strbuf copybuf; /* COPY rows not yet sent */
    int64_t copy_rows;
    /* a COPY into a table partitioned by province (schema.c v15): the COPY statement, the
     * table, the key column's index in a row (-1: not partitioned) and its province unit; the
     * provinces whose partition this load has made sure of; whether a COPY is open */
    struct strbuf copysql;
    char copy_table[64];
    int copy_key;
    int64_t copy_unit;
    unsigned char copy_have[100];
    int copy_open;
    int lost; /* the server ended this session (pg_fail): reconnect before the next statement */
    /* tables whose statistics are due (pgb_grew): analyzed after this transaction commits;
     * their growth entries and the row counts to restore if it rolls back */
    int ndue;
    int due[8];
    int64_t due_base[8];
    /* "ANALYZE t1, t2, …" of the tables a bulk load names, run before its COMMIT: a freshly
     * loaded table has no planner statistics, and the first queries after an import (plan
     * check's frame) then took ten times longer (docs/scale.md) */
    struct strbuf analyze;
};

struct pgst {
    struct pg *q;
    char *sql; /* translated */
    int np;
    char **vals;
    int *lens, *fmts;
    Oid *types;
    unsigned char *isset;
    unsigned char *typed; /* parameters first seen as "$k IS [NOT] NULL": text, not unknown */
    Oid *ptypes; /* the types of the last execution (prepare when seen twice) */
    int runs;
    char name[24]; /* "" = not prepared */
    int gen;       /* the connection generation name was prepared in */
    PGresult *res;
    int row, nrows, done;
    unsigned char **blobs; /* per column: decoded bytea of the current row */
    size_t *bloblen;
    int ncols_cached;
    PGresult *desc; /* the statement's description, for column names before a step */
};

static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* ---------------------------------------------------------------- the dialect */

static int word_is(const char *w, size_t n, const char *lit)
{
    return strlen(lit) == n && !strncasecmp(w, lit, n);
}

/* whether p (just after a word) continues with " PRIMARY KEY" */
static int pk_follows(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\t') p++;
    if (strncasecmp(p, "PRIMARY", 7)) return 0;
    p += 7;
    if (*p != ' ' && *p != '\n' && *p != '\t') return 0;
    while (*p == ' ' || *p == '\n' || *p == '\t') p++;
    return !strncasecmp(p, "KEY", 3) && !((p[3] >= 'A' && p[3] <= 'Z') || (p[3] >= 'a' && p[3] <= 'z') || p[3] == '_');
}

/* Translates portable SQL to PostgreSQL into out (see the file comment); *np gets the number
 * of `?` placeholders (the highest ?NNN). Per-backend variants: the text from the comment
 * "sqlite:" to the comment ":sqlite" is dropped, a comment starting "pg:" is replaced by its
 * text. */
static int pg_dialect(const char *sql, struct strbuf *out, int *np)
{
    const char *p = sql;
    int n = 0;
    sb_reset(out);
    while (*p) {
        if (*p == '\'') { /* string literal, '' doubled */
            const char *q = p + 1;
            for (;;) {
                if (!*q) break;
                if (*q == '\'' && q[1] == '\'') { q += 2; continue; }
                if (*q == '\'') { q++; break; }
                q++;
            }
            sb_add(out, p, (size_t)(q - p));
            p = q;
        } else if (*p == '"') { /* quoted identifier */
            const char *q = strchr(p + 1, '"');
            q = q ? q + 1 : p + strlen(p);
            sb_add(out, p, (size_t)(q - p));
            p = q;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *q = strstr(p + 2, "*/");
            const char *end = q ? q + 2 : p + strlen(p);
            if (!strncmp(p + 2, "pg:", 3) && q) {
                sb_add(out, p + 5, (size_t)(q - p - 5));
            } else if (!strncmp(p, "/*sqlite:*/", 11)) {
                const char *close = strstr(p + 11, "/*:sqlite*/");
                end = close ? close + 11 : p + strlen(p);
            } else {
                sb_add(out, p, (size_t)(end - p));
            }
            p = end;
        } else if (*p == '?') { /* ? is the next number; ?NNN (SQLite) is NNN */
            int k = 0;
            p++;
            if (*p >= '0' && *p <= '9') {
                while (*p >= '0' && *p <= '9') k = k * 10 + (*p++ - '0');
                if (k > n) n = k;
            } else {
                k = ++n;
            }
            sb_addf(out, "$%d", k);
        } else if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_') {
            const char *w = p;
            size_t len;
            int after_dot = w > sql && w[-1] == '.';
            while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_' ||
                   (*p >= '0' && *p <= '9'))
                p++;
            len = (size_t)(p - w);
            if (!after_dot && word_is(w, len, "INTEGER") && pk_follows(p))
                /* SQLite numbers a row whose insert leaves INTEGER PRIMARY KEY out */
                sb_adds(out, "bigint GENERATED BY DEFAULT AS IDENTITY");
            else if (!after_dot && word_is(w, len, "INTEGER")) sb_adds(out, "bigint");
            else if (!after_dot && word_is(w, len, "REAL")) sb_adds(out, "double precision");
            else if (!after_dot && word_is(w, len, "BLOB")) sb_adds(out, "bytea");
            else if (!after_dot && word_is(w, len, "instr") && *p == '(')
                sb_adds(out, "strpos");
            else if (!after_dot && word_is(w, len, "ifnull") && *p == '(')
                sb_adds(out, "coalesce");
            else if (word_is(w, len, "user") && *p != '(') sb_adds(out, "\"user\"");
            else sb_add(out, w, len);
        } else if (p[0] == '-' && p[1] == '-') {
            const char *q = strchr(p, '\n');
            q = q ? q : p + strlen(p);
            sb_add(out, p, (size_t)(q - p));
            p = q;
        } else {
            sb_add(out, p, 1);
            p++;
        }
    }
    if (np) *np = n;
    return sb_ok(out);
}

/* SQLite counts a comparison as 0 or 1, and the portable SQL sums them (sum(x > 0)) or takes
 * their max/min: the same aggregates for PostgreSQL's booleans; and SQLite's group_concat of
 * any type (text, numbers), in input order, with SQLite's sum() semantics (NULLs skipped, NULL
 * over no non-NULL value). Created with the store, in its schema. */
#define PG_HELPERS                                                                            \
    "CREATE FUNCTION pinggu_bool_sum(bigint, boolean) RETURNS bigint LANGUAGE sql IMMUTABLE "  \
    "AS 'SELECT CASE WHEN $2 IS NULL THEN $1 ELSE coalesce($1, 0) + $2::int END';"             \
    "CREATE AGGREGATE sum(boolean) (sfunc = pinggu_bool_sum, stype = bigint);"                 \
    "CREATE FUNCTION pinggu_bool_max(bigint, boolean) RETURNS bigint LANGUAGE sql IMMUTABLE "  \
    "AS 'SELECT CASE WHEN $2 IS NULL THEN $1 ELSE greatest(coalesce($1, $2::int), $2::int) END';" \
    "CREATE AGGREGATE max(boolean) (sfunc = pinggu_bool_max, stype = bigint);"                 \
    "CREATE FUNCTION pinggu_bool_min(bigint, boolean) RETURNS bigint LANGUAGE sql IMMUTABLE "  \
    "AS 'SELECT CASE WHEN $2 IS NULL THEN $1 ELSE least(coalesce($1, $2::int), $2::int) END';" \
    "CREATE AGGREGATE min(boolean) (sfunc = pinggu_bool_min, stype = bigint);"                 \
    "CREATE FUNCTION pinggu_gc(text, anyelement, text) RETURNS text LANGUAGE sql IMMUTABLE "   \
    "AS 'SELECT CASE WHEN $2 IS NULL THEN $1 WHEN $1 IS NULL THEN $2::text "                    \
    "ELSE $1 || $3 || $2::text END';"                                                          \
    "CREATE AGGREGATE group_concat(anyelement, text) (sfunc = pinggu_gc, stype = text);"       \
    "CREATE FUNCTION pinggu_gc1(text, anyelement) RETURNS text LANGUAGE sql IMMUTABLE "        \
    "AS 'SELECT pinggu_gc($1, $2, '','')';"                                                    \
    "CREATE AGGREGATE group_concat(anyelement) (sfunc = pinggu_gc1, stype = text);"

/* ---------------------------------------------------------------- connection */

static int pg_fail(struct pg *q, struct error *e, const char *sql, PGresult *r)
{
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(q->c);
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    /* the server ending the session (connection exception, class 08; shut down or crashed,
     * 57P01-57P03) may reach us as an error result before libpq has read the socket's end, so
     * PQstatus still says CONNECTION_OK: remember it (pgb_connected, pg_ensure) */
    if (PQstatus(q->c) != CONNECTION_OK ||
        (state && (!strncmp(state, "08", 2) || !strcmp(state, "57P01") ||
                   !strcmp(state, "57P02") || !strcmp(state, "57P03"))))
        q->lost = 1;
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) n--;
    return error_set(e, ERR_STORE, "%.*s (in: %.160s)", (int)n, msg, sql ? sql : "");
}

static int raw_exec(struct pg *q, const char *sql, struct error *e)
{
    PGresult *r = PQexec(q->c, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) rc = pg_fail(q, e, sql, r);
    else q->changes = atoll(PQcmdTuples(r));
    PQclear(r);
    return rc;
}

/* the first column of the first row as text into buf ("" if none); 0 or ERR_STORE */
static int raw_text(struct pg *q, const char *sql, char *buf, size_t n, struct error *e)
{
    PGresult *r = PQexec(q->c, sql);
    int rc = 0;
    buf[0] = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) rc = pg_fail(q, e, sql, r);
    else if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        snprintf(buf, n, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}

#define PG_SESSION                                                                            \
    "SET client_min_messages = warning; SET extra_float_digits = 1; SET datestyle = ISO; "     \
    "SET TIME ZONE 'UTC'"

static int session_setup(struct pg *q, struct error *e)
{
    PQsetNoticeProcessor(q->c, quiet, NULL);
    return raw_exec(q, PG_SESSION, e);
}

/* The connection is usable, or made usable: called before a statement is sent. Outside a
 * transaction a connection the server dropped (PostgreSQL restarted, a network cut) is
 * reconnected (PQreset, the session settings again, every prepared statement forgotten); while
 * the server is unreachable this fails with ERR_STORE "unavailable" (store_available says so),
 * and the next call tries again. Inside a transaction a lost connection is an error: the
 * server has rolled the transaction back, and the caller's rollback ends it here. */
static int pg_ensure(struct pg *q, struct error *e)
{
    if (PQstatus(q->c) == CONNECTION_OK && !q->in_tx &&
        PQtransactionStatus(q->c) == PQTRANS_IDLE)
        PQconsumeInput(q->c); /* notices a server that went away while this one was idle */
    if (PQstatus(q->c) == CONNECTION_OK && !q->lost) return 0;
    if (q->in_tx)
        return error_set(e, ERR_STORE, "the connection to PostgreSQL was lost in the middle of "
                                       "a transaction (rolled back by the server) / 数据库连接中断");
    q->lost = 0;
    PQreset(q->c);
    q->gen++;
    if (PQstatus(q->c) != CONNECTION_OK) {
        const char *m = PQerrorMessage(q->c);
        size_t n = strlen(m);
        while (n && m[n - 1] == '\n') n--;
        return error_set(e, ERR_STORE, "PostgreSQL unavailable / 数据库暂不可用: %.*s", (int)n, m);
    }
    return session_setup(q, e);
}

/* Whether a statement that failed because the connection dropped may be sent again on a new
 * one: it ran outside a transaction and changes nothing (a SELECT), so running it twice is
 * harmless. A write might have committed before the connection went; it is never re-sent. */
static int retryable(const struct pg *q, int was_idle, const char *sql)
{
    while (*sql == ' ' || *sql == '\n' || *sql == '\t') sql++;
    return was_idle && !q->in_tx && PQstatus(q->c) == CONNECTION_BAD &&
           !strncasecmp(sql, "SELECT", 6);
}

static int store_pg_url_check(const char *url, struct error *e)
{
    char *err = NULL;
    PQconninfoOption *o = PQconninfoParse(url, &err);
    int rc = 0;
    if (!o) {
        rc = error_set(e, ERR_USAGE, "%s: not a PostgreSQL connection URL: %s", url,
                       err ? err : "unparsable");
        PQfreemem(err);
        return rc;
    }
    for (PQconninfoOption *x = o; x->keyword; x++)
        if (!strcmp(x->keyword, "password") && x->val && *x->val)
            rc = error_set(e, ERR_USAGE,
                           "the store URL has a password in it: refused (a password on the "
                           "command line is visible to every user of the machine); use "
                           "PGPASSWORD, a password file (PGPASSFILE, ~/.pgpass) or a service "
                           "file / 数据库地址中不得包含密码");
    PQconninfoFree(o);
    return rc;
}

static int pgb_open(const char *url, int flags, void **conn, struct error *e)
{
    struct pg *q;
    char buf[256];
    int rc = store_pg_url_check(url, e);
    if (rc) return rc;
    q = mem_calloc(1, sizeof *q);
    if (!q) return error_set(e, ERR_NOMEM, "out of memory");
    q->c = PQconnectdb(url);
    if (PQstatus(q->c) != CONNECTION_OK) {
        const char *m = PQerrorMessage(q->c);
        size_t n = strlen(m);
        while (n && m[n - 1] == '\n') n--;
        /* a database that is not there is bad input (exit 2), as SQLite's missing store file
         * is; libpq gives no SQLSTATE for a failed connection, so the server's (English)
         * message is matched, and any other failure (or language) stays ERR_STORE */
        if (strstr(m, "FATAL:  database \"") && strstr(m, "\" does not exist"))
            rc = error_set(e, ERR_NOTFOUND,
                           "%s: no such store: %.*s (create it first: createdb --template=template0"
                           " --locale=C --encoding=UTF8 NAME) / 数据库不存在",
                           url, (int)n, m);
        else
            rc = error_set(e, ERR_STORE, "%s: cannot connect to PostgreSQL: %.*s", url, (int)n, m);
        goto fail;
    }
    rc = session_setup(q, e);
    if (rc) goto fail;
    rc = raw_text(q, "SELECT datcollate FROM pg_database WHERE datname = current_database()",
                  buf, sizeof buf, e);
    if (rc) goto fail;
    if (strcmp(buf, "C") && strcmp(buf, "POSIX")) {
        rc = error_set(e, ERR_INVALID,
                       "%s: the database's collation is %s; a pinggu store needs C collation "
                       "so that text sorts byte by byte as in every other store (create it with "
                       "CREATE DATABASE ... TEMPLATE template0 LC_COLLATE 'C') / 数据库排序规则须为 C",
                       url, buf);
        goto fail;
    }
    rc = raw_text(q, "SELECT to_regclass('pinggu_store') IS NOT NULL", buf, sizeof buf, e);
    if (rc) goto fail;
    if (flags & STORE_CREATE) {
        if (!strcmp(buf, "t")) {
            rc = error_set(e, ERR_EXISTS, "%s already holds a pinggu store; a new store needs "
                                          "an empty database", url);
            goto fail;
        }
        rc = raw_text(q, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
                      buf, sizeof buf, e);
        if (rc) goto fail;
        if (strcmp(buf, "0")) {
            rc = error_set(e, ERR_INVALID,
                           "%s: the database already has %s tables; a new store needs an empty "
                           "database (left unchanged) / 数据库非空", url, buf);
            goto fail;
        }
        rc = raw_exec(q, "CREATE TABLE pinggu_store (application_id bigint NOT NULL, "
                         "schema_version bigint NOT NULL);"
                         "INSERT INTO pinggu_store VALUES (0, 0);" PG_HELPERS,
                      e);
        if (rc) goto fail;
    } else {
        if (strcmp(buf, "t")) {
            rc = error_set(e, ERR_INVALID,
                           "%s is not a pinggu store (no pinggu_store table); create one with "
                           "pinggu init / 不是评估数据库", url);
            goto fail;
        }
        rc = raw_text(q, "SELECT application_id FROM pinggu_store", buf, sizeof buf, e);
        if (rc) goto fail;
        if (atoll(buf) != STORE_APPLICATION_ID && atoll(buf) != 0) {
            rc = error_set(e, ERR_INVALID,
                           "%s is not a pinggu store: application id %s; left unchanged / "
                           "不是评估数据库", url, buf);
            goto fail;
        }
        if (flags & STORE_READONLY) {
            rc = raw_exec(q, "SET default_transaction_read_only = on", e);
            if (rc) goto fail;
        }
    }
    *conn = q;
    return 0;
fail:
    PQfinish(q->c);
    mem_free(q);
    return rc;
}

static void grew_settle(struct pg *q, int ok);

static void pgb_close(void *conn)
{
    struct pg *q = conn;
    if (!q) return;
    grew_settle(q, 0); /* closed inside a transaction: nothing of it committed */
    PQfinish(q->c);
    sb_release(&q->copybuf);
    sb_release(&q->copysql);
    sb_release(&q->analyze);
    mem_free(q);
}

static int pgb_exec(void *conn, const char *sql, struct error *e)
{
    struct pg *q = conn;
    struct strbuf t = STRBUF_INIT;
    int rc;
    if (!strcmp(sql, "ROLLBACK") || !strcmp(sql, "COMMIT")) {
        if ((PQstatus(q->c) != CONNECTION_OK || q->lost) && !strcmp(sql, "ROLLBACK")) {
            q->in_tx = 0; /* the server rolled it back when the connection dropped */
            grew_settle(q, 0);
            return 0;
        }
        rc = PQstatus(q->c) == CONNECTION_OK && !q->lost
                 ? raw_exec(q, sql, e)
                 : error_set(e, ERR_STORE, "the connection to PostgreSQL was lost before COMMIT "
                                           "(rolled back by the server) / 数据库连接中断");
        q->in_tx = 0;
        grew_settle(q, !rc && !strcmp(sql, "COMMIT"));
        return rc;
    }
    if ((rc = pg_ensure(q, e))) return rc;
    if (!strcmp(sql, "BEGIN IMMEDIATE")) {
        char lock[96];
        snprintf(lock, sizeof lock, "BEGIN; SELECT pg_advisory_xact_lock(%d)",
                 STORE_APPLICATION_ID);
        rc = raw_exec(q, lock, e);
        /* a connection found dead at BEGIN: nothing was sent that could have taken effect */
        if (rc && PQstatus(q->c) == CONNECTION_BAD && !(rc = pg_ensure(q, e)))
            rc = raw_exec(q, lock, e);
        if (!rc) q->in_tx = 1;
        else if (PQstatus(q->c) == CONNECTION_OK && PQtransactionStatus(q->c) != PQTRANS_IDLE)
            raw_exec(q, "ROLLBACK", NULL);
        return rc;
    }
    if (pg_dialect(sql, &t, NULL)) {
        sb_release(&t);
        return error_set(e, ERR_NOMEM, "out of memory");
    }
    rc = raw_exec(q, t.buf, e);
    sb_release(&t);
    return rc;
}

/* ---------------------------------------------------------------- statements */

static void clear_result(struct pgst *h)
{
    if (h->blobs)
        for (int i = 0; i < h->ncols_cached; i++) {
            PQfreemem(h->blobs[i]);
            h->blobs[i] = NULL;
        }
    mem_free(h->blobs);
    mem_free(h->bloblen);
    h->blobs = NULL;
    h->bloblen = NULL;
    h->ncols_cached = 0;
    PQclear(h->res);
    h->res = NULL;
    h->row = -1;
    h->nrows = 0;
    h->done = 0;
}

static int pgb_prepare(void *conn, const char *sql, void **out, struct error *e)
{
    struct pg *q = conn;
    struct pgst *h = mem_calloc(1, sizeof *h);
    struct strbuf t = STRBUF_INIT;
    int np = 0;
    if (!h || pg_dialect(sql, &t, &np)) goto nomem;
    h->q = q;
    h->np = np;
    h->sql = sb_detach(&t, NULL);
    h->row = -1;
    if (np) {
        h->vals = mem_calloc((size_t)np, sizeof *h->vals);
        h->lens = mem_calloc((size_t)np, sizeof *h->lens);
        h->fmts = mem_calloc((size_t)np, sizeof *h->fmts);
        h->types = mem_calloc((size_t)np, sizeof *h->types);
        h->ptypes = mem_calloc((size_t)np, sizeof *h->ptypes);
        h->isset = mem_calloc((size_t)np, 1);
        h->typed = mem_calloc((size_t)np, 1);
        if (!h->vals || !h->lens || !h->fmts || !h->types || !h->ptypes || !h->isset ||
            !h->typed)
            goto nomem_h;
        /* "(? IS NULL OR col = ?)": PostgreSQL cannot infer an untyped parameter's type from
         * IS NULL, so such a parameter bound as text or NULL is sent as text */
        for (const char *d = h->sql ? strchr(h->sql, '$') : NULL; d; d = strchr(d + 1, '$')) {
            char *end;
            long k = strtol(d + 1, &end, 10);
            if (end > d + 1 && k >= 1 && k <= np && !strncmp(end, " IS ", 4))
                h->typed[k - 1] = 1;
        }
    }
    if (!h->sql) goto nomem_h;
    *out = h;
    return 0;
nomem_h:
    mem_free(h->vals);
    mem_free(h->lens);
    mem_free(h->fmts);
    mem_free(h->types);
    mem_free(h->ptypes);
    mem_free(h->isset);
    mem_free(h->typed);
    mem_free(h->sql);
    mem_free(h);
    *out = NULL;
    return error_set(e, ERR_NOMEM, "out of memory");
nomem:
    sb_release(&t);
    mem_free(h);
    return error_set(e, ERR_NOMEM, "out of memory");
}

static void pgb_finalize(void *hv)
{
    struct pgst *h = hv;
    if (!h) return;
    clear_result(h);
    PQclear(h->desc);
    if (h->name[0] && h->gen == h->q->gen && PQstatus(h->q->c) == CONNECTION_OK &&
        PQtransactionStatus(h->q->c) != PQTRANS_INERROR) {
        char sql[48];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", h->name);
        PQclear(PQexec(h->q->c, sql));
    }
    for (int i = 0; i < h->np; i++) mem_free(h->vals[i]);
    mem_free(h->vals);
    mem_free(h->lens);
    mem_free(h->fmts);
    mem_free(h->types);
    mem_free(h->ptypes);
    mem_free(h->isset);
    mem_free(h->typed);
    mem_free(h->sql);
    mem_free(h);
}

static int set_param(struct pgst *h, int i, const void *v, size_t n, Oid type, int fmt)
{
    char *c;
    if (i < 1 || i > h->np) return ERR_STORE;
    i--;
    c = mem_alloc(n + 1);
    if (!c) return ERR_NOMEM;
    if (n) memcpy(c, v, n);
    c[n] = 0;
    mem_free(h->vals[i]);
    h->vals[i] = c;
    h->lens[i] = (int)n;
    h->fmts[i] = fmt;
    h->types[i] = type;
    h->isset[i] = 1;
    return 0;
}

static int pgb_bind_int(void *hv, int i, int64_t v)
{
    char b[32];
    int n = snprintf(b, sizeof b, "%lld", (long long)v);
    return set_param(hv, i, b, (size_t)n, OID_INT8, 0);
}
static int pgb_bind_double(void *hv, int i, double v)
{
    uint64_t u;
    uint32_t w[2];
    memcpy(&u, &v, 8);
    w[0] = htonl((uint32_t)(u >> 32));
    w[1] = htonl((uint32_t)u);
    return set_param(hv, i, w, 8, OID_FLOAT8, 1);
}
static int pgb_bind_text(void *hv, int i, const char *v, size_t n, int copy)
{
    (void)copy;
    struct pgst *h = hv;
    return set_param(hv, i, v, n, i >= 1 && i <= h->np && h->typed[i - 1] ? OID_TEXT : 0, 0);
}
static int pgb_bind_blob(void *hv, int i, const void *v, size_t n)
{
    return set_param(hv, i, v, n, OID_BYTEA, 1);
}
static int pgb_bind_null(void *hv, int i)
{
    struct pgst *h = hv;
    if (i < 1 || i > h->np) return ERR_STORE;
    mem_free(h->vals[i - 1]);
    h->vals[i - 1] = NULL;
    h->types[i - 1] = h->typed[i - 1] ? OID_TEXT : 0;
    h->lens[i - 1] = 0;
    h->fmts[i - 1] = 0;
    h->isset[i - 1] = 1;
    return 0;
}

static int pgb_step(void *hv, struct error *e)
{
    struct pgst *h = hv;
    struct pg *q = h->q;
    ExecStatusType st;
    if (!h->res && !h->done) {
        int same, was_idle, retried = 0, rc;
    again:
        if ((rc = pg_ensure(q, e))) return rc;
        if (h->name[0] && h->gen != q->gen) { /* prepared on a connection since lost */
            h->name[0] = 0;
            h->runs = 0;
        }
        was_idle = !q->in_tx && PQtransactionStatus(q->c) == PQTRANS_IDLE;
        same = h->runs > 0 && (h->np == 0 || !memcmp(h->types, h->ptypes,
                                                     (size_t)h->np * sizeof *h->types));
        for (int i = 0; i < h->np; i++) /* as in SQLite, a parameter never bound is NULL */
            if (!h->isset[i]) {
                h->types[i] = h->typed[i] ? OID_TEXT : 0;
                h->isset[i] = 1;
            }
        if (!h->name[0] && same && h->runs >= 1) {
            PGresult *p;
            snprintf(h->name, sizeof h->name, "p%d", ++q->nnames);
            h->gen = q->gen;
            p = PQprepare(q->c, h->name, h->sql, h->np, h->types);
            if (PQresultStatus(p) != PGRES_COMMAND_OK) h->name[0] = 0;
            PQclear(p);
        }
        if (h->name[0] && same)
            h->res = PQexecPrepared(q->c, h->name, h->np, (const char *const *)h->vals,
                                    h->lens, h->fmts, 0);
        else
            h->res = PQexecParams(q->c, h->sql, h->np, h->types, (const char *const *)h->vals,
                                  h->lens, h->fmts, 0);
        if (!same && h->np) memcpy(h->ptypes, h->types, (size_t)h->np * sizeof *h->types);
        h->runs++;
        st = PQresultStatus(h->res);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            if (!retried && retryable(q, was_idle, h->sql)) { /* the server went away */
                PQclear(h->res);
                h->res = NULL;
                retried = 1;
                goto again;
            }
            rc = pg_fail(q, e, h->sql, h->res);
            PQclear(h->res);
            h->res = NULL;
            return rc;
        }
        q->changes = atoll(PQcmdTuples(h->res));
        h->nrows = PQntuples(h->res);
        h->row = -1;
        h->ncols_cached = PQnfields(h->res);
        if (h->ncols_cached) {
            h->blobs = mem_calloc((size_t)h->ncols_cached, sizeof *h->blobs);
            h->bloblen = mem_calloc((size_t)h->ncols_cached, sizeof *h->bloblen);
            if (!h->blobs || !h->bloblen) return error_set(e, ERR_NOMEM, "out of memory");
        }
    }
    if (!h->res) return STORE_DONE;
    for (int i = 0; i < h->ncols_cached; i++) {
        PQfreemem(h->blobs[i]);
        h->blobs[i] = NULL;
    }
    if (h->row + 1 < h->nrows) {
        h->row++;
        return STORE_ROW;
    }
    h->done = 1;
    return STORE_DONE;
}

static int pgb_reset(void *hv)
{
    clear_result(hv);
    return 0;
}

/* a cached statement given back (store.c): every parameter unbound, as after prepare; its
 * name (a prepared statement of this connection's generation) is kept */
static void pgb_clear(void *hv)
{
    struct pgst *h = hv;
    for (int i = 0; i < h->np; i++) {
        mem_free(h->vals[i]);
        h->vals[i] = NULL;
        h->lens[i] = h->fmts[i] = 0;
        h->types[i] = 0;
        h->isset[i] = 0;
    }
}

/* the result columns before a step: the unnamed statement described (NULL if it fails) */
static PGresult *described(struct pgst *h)
{
    if (h->res) return h->res;
    if (!h->desc) {
        PGresult *p = PQprepare(h->q->c, "", h->sql, 0, NULL);
        int ok = PQresultStatus(p) == PGRES_COMMAND_OK;
        if (!ok) { /* a connection the server ended is remembered as lost (pg_fail) */
            struct error ignored;
            pg_fail(h->q, &ignored, h->sql, p);
        }
        PQclear(p);
        if (!ok) return NULL;
        h->desc = PQdescribePrepared(h->q->c, "");
        if (PQresultStatus(h->desc) != PGRES_COMMAND_OK) {
            PQclear(h->desc);
            h->desc = NULL;
        }
    }
    return h->desc;
}
static int pgb_ncols(void *hv)
{
    PGresult *r = described(hv);
    return r ? PQnfields(r) : 0;
}
static const char *pgb_colname(void *hv, int i)
{
    PGresult *r = described(hv);
    return r && i >= 0 && i < PQnfields(r) ? PQfname(r, i) : "";
}

static int have(struct pgst *h, int i)
{
    return h->res && h->row >= 0 && h->row < h->nrows && i >= 0 && i < h->ncols_cached;
}

static enum store_type pgb_type(void *hv, int i)
{
    struct pgst *h = hv;
    if (!have(h, i) || PQgetisnull(h->res, h->row, i)) return STORE_NULL;
    switch (PQftype(h->res, i)) {
    case OID_BOOL:
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID: return STORE_INT;
    case OID_FLOAT4:
    case OID_FLOAT8: return STORE_DOUBLE;
    case OID_NUMERIC: {
        const char *v = PQgetvalue(h->res, h->row, i);
        return strpbrk(v, ".eEN") ? STORE_DOUBLE : STORE_INT;
    }
    case OID_BYTEA: return STORE_BLOB;
    }
    return STORE_TEXT;
}
static int64_t pgb_col_int(void *hv, int i)
{
    struct pgst *h = hv;
    const char *v;
    if (!have(h, i) || PQgetisnull(h->res, h->row, i)) return 0;
    v = PQgetvalue(h->res, h->row, i);
    if (PQftype(h->res, i) == OID_BOOL) return v[0] == 't';
    if (strpbrk(v, ".eE")) return (int64_t)strtod(v, NULL);
    return strtoll(v, NULL, 10);
}
static double pgb_col_double(void *hv, int i)
{
    struct pgst *h = hv;
    const char *v;
    if (!have(h, i) || PQgetisnull(h->res, h->row, i)) return 0;
    v = PQgetvalue(h->res, h->row, i);
    if (PQftype(h->res, i) == OID_BOOL) return v[0] == 't';
    return strtod(v, NULL);
}
static const unsigned char *blob_of(struct pgst *h, int i, size_t *n)
{
    if (!h->blobs[i]) {
        h->blobs[i] = PQunescapeBytea((const unsigned char *)PQgetvalue(h->res, h->row, i),
                                      &h->bloblen[i]);
        if (!h->blobs[i]) h->bloblen[i] = 0;
    }
    *n = h->bloblen[i];
    return h->blobs[i];
}
static const char *pgb_col_text(void *hv, int i)
{
    struct pgst *h = hv;
    Oid t;
    if (!have(h, i) || PQgetisnull(h->res, h->row, i)) return "";
    t = PQftype(h->res, i);
    if (t == OID_BOOL) return PQgetvalue(h->res, h->row, i)[0] == 't' ? "1" : "0";
    if (t == OID_BYTEA) {
        size_t n;
        const unsigned char *b = blob_of(h, i, &n);
        return b ? (const char *)b : "";
    }
    return PQgetvalue(h->res, h->row, i);
}
static size_t pgb_col_len(void *hv, int i)
{
    struct pgst *h = hv;
    if (!have(h, i) || PQgetisnull(h->res, h->row, i)) return 0;
    if (PQftype(h->res, i) == OID_BYTEA) {
        size_t n;
        blob_of(h, i, &n);
        return n;
    }
    if (PQftype(h->res, i) == OID_BOOL) return 1;
    return (size_t)PQgetlength(h->res, h->row, i);
}
static const void *pgb_col_blob(void *hv, int i)
{
    struct pgst *h = hv;
    size_t n;
    if (!have(h, i) || PQgetisnull(h->res, h->row, i)) return NULL;
    if (PQftype(h->res, i) == OID_BYTEA) return blob_of(h, i, &n);
    return PQgetvalue(h->res, h->row, i);
}
static int64_t pgb_changes(void *conn)
{
    return ((struct pg *)conn)->changes;
}

static int pgb_unmarked(void *conn)
{
    (void)conn;
    return 0;
}

static int pgb_mark(void *conn, int version, struct error *e)
{
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE pinggu_store SET application_id = %d, schema_version = %d",
             STORE_APPLICATION_ID, version);
    return raw_exec(conn, sql, e);
}

static int pgb_bulk_begin(void *conn, const char *const *tables, const char *const *keep,
                          struct error *e)
{
    struct pg *q = conn;
    (void)keep; /* PostgreSQL's load keeps every index (COPY into partitions) */
    sb_reset(&q->analyze);
    for (size_t i = 0; tables && tables[i]; i++)
        sb_addf(&q->analyze, "%s%s", i ? ", " : "ANALYZE ", tables[i]);
    if (sb_ok(&q->analyze)) return error_set(e, ERR_NOMEM, "out of memory");
    return pgb_exec(conn, "BEGIN IMMEDIATE", e);
}

static int pgb_bulk_end(void *conn, int commit, struct error *e)
{
    struct pg *q = conn;
    int rc = 0;
    /* the statistics inside the load's transaction: they commit with its rows, or not at all */
    if (commit && q->analyze.len) rc = raw_exec(q, q->analyze.buf, e);
    sb_reset(&q->analyze);
    q->in_tx = 0;
    if (commit && !rc) rc = raw_exec(q, "COMMIT", e);
    if (!commit || rc) raw_exec(q, "ROLLBACK", NULL);
    return rc;
}

/* ---------------------------------------------------------------- statistics */

/* Planner statistics of tables that grow by audited writes (issue 14, serve on PostgreSQL):
 * a round's questionnaires, answers and the like start empty, and autovacuum analyzes a table
 * only after a minute's nap. Until then the planner takes them for nearly empty and may pick
 * a plan that is fine for ten rows and quadratic for thousands: a village's state read the
 * round's questionnaires by (sample) alone, filtering every one against each of the village's
 * units (docs/scale.md: 2.3 ms per submission after 452 of them, growing with each).
 * So the store keeps, per process (every connection of a `pinggu serve` together), how many
 * rows each table had at its last statistics (pg_class.reltuples) and how many audited rows
 * were written since; once a table has grown by a tenth (and 50 rows), ANALYZE runs on it right after the
 * writing transaction commits — outside it, so the store's write lock is not held while it
 * samples; SKIP_LOCKED: it never waits for autovacuum or another process analyzing the same
 * table; its failure is not the commit's. A rollback puts the count back. A tenth, not a
 * doubling: the rows of one sample are a new value of `sample` that statistics taken before
 * them estimate at one row — t_score's third sample of five added a third to sample_units and
 * questionnaires, the planner crossed 1,500 questionnaires with every village, and `pinggu
 * score` took 13–17 s a call on PostgreSQL (auto_explain), 62 s of the suite. ANALYZE of a
 * table under GROW_MAX rows samples it in milliseconds. Tables past GROW_MAX rows (their statistics already say
 * "many rows", and autovacuum's 10 % keeps them current) and partitioned tables (v15, loaded in
 * bulk and analyzed then) are left to autovacuum. */
#define GROW_TABLES 64
#define GROW_MAX 100000
static pthread_mutex_t grow_mu = PTHREAD_MUTEX_INITIALIZER;
static struct growth {
    char table[64];
    int64_t base;  /* rows at the last statistics (or as first seen); -1: left alone, or due */
    int64_t added; /* audited rows written since, by this process */
} grown[GROW_TABLES];
static int ngrown;

/* the table's row count as the planner knows it; -1 for a partitioned or unknown table, or
 * one past GROW_MAX */
static int64_t planner_rows(struct pg *q, const char *table, struct error *e, int *rc)
{
    const char *pv[1] = {table};
    PGresult *r = PQexecParams(q->c,
                               "SELECT CASE WHEN relkind = 'r' THEN greatest(reltuples, 0)"
                               "::bigint ELSE -1 END FROM pg_class WHERE oid = to_regclass($1)",
                               1, NULL, pv, NULL, NULL, 0);
    int64_t n = -1;
    *rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) *rc = pg_fail(q, e, "pg_class", r);
    else if (PQntuples(r) == 1) n = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n > GROW_MAX ? -1 : n;
}

static int pgb_grew(void *conn, const char *table, int64_t nrows, struct error *e)
{
    struct pg *q = conn;
    int gi = -1, rc = 0;
    if (strlen(table) >= sizeof grown[0].table) return 0;
    pthread_mutex_lock(&grow_mu);
    for (int i = 0; i < ngrown && gi < 0; i++)
        if (!strcmp(grown[i].table, table)) gi = i;
    pthread_mutex_unlock(&grow_mu);
    if (gi < 0) { /* first write to it in this process: what the planner knows now */
        int64_t base = planner_rows(q, table, e, &rc);
        if (rc) return rc;
        pthread_mutex_lock(&grow_mu);
        for (int i = 0; i < ngrown && gi < 0; i++)
            if (!strcmp(grown[i].table, table)) gi = i;
        if (gi < 0 && ngrown < GROW_TABLES) {
            gi = ngrown++;
            snprintf(grown[gi].table, sizeof grown[gi].table, "%s", table);
            grown[gi].base = base;
            grown[gi].added = 0;
        }
        pthread_mutex_unlock(&grow_mu);
        if (gi < 0) return 0;
    }
    pthread_mutex_lock(&grow_mu);
    {
        struct growth *g = &grown[gi];
        if (g->base >= 0 && (g->added += nrows) >= 50 + g->base / 10 && q->ndue < 8) {
            q->due[q->ndue] = gi;
            q->due_base[q->ndue++] = g->base;
            g->base = -1; /* due: no other connection analyzes it meanwhile */
            g->added = 0;
        }
    }
    pthread_mutex_unlock(&grow_mu);
    return 0;
}

/* After COMMIT (ok) or ROLLBACK (!ok) of the connection's transaction: the due tables
 * analyzed and their counts taken again, or put back as they were. */
static void grew_settle(struct pg *q, int ok)
{
    for (int k = 0; k < q->ndue; k++) {
        struct growth *g = &grown[q->due[k]];
        int64_t n = q->due_base[k];
        if (ok) {
            char sql[128];
            struct error e;
            int rc;
            snprintf(sql, sizeof sql, "ANALYZE (SKIP_LOCKED) %s", g->table);
            if (!raw_exec(q, sql, &e)) n = planner_rows(q, g->table, &e, &rc);
        }
        pthread_mutex_lock(&grow_mu);
        g->base = n;
        pthread_mutex_unlock(&grow_mu);
    }
    q->ndue = 0;
}

/* ---------------------------------------------------------------- COPY */

#define COPY_FLUSH (256 * 1024)

static int copy_flush(struct pg *q, struct error *e)
{
    if (sb_ok(&q->copybuf)) return error_set(e, ERR_NOMEM, "out of memory");
    if (q->copybuf.len && PQputCopyData(q->c, q->copybuf.buf, (int)q->copybuf.len) != 1)
        return pg_fail(q, e, "COPY", NULL);
    sb_reset(&q->copybuf);
    return 0;
}

static int copy_start(struct pg *q, struct error *e)
{
    PGresult *r = PQexec(q->c, q->copysql.buf);
    int rc = PQresultStatus(r) == PGRES_COPY_IN ? 0 : pg_fail(q, e, q->copysql.buf, r);
    PQclear(r);
    q->copy_open = !rc;
    return rc;
}

/* ends the open COPY: sends what is buffered (ok) or abandons it (!ok, then always 0) */
static int copy_stop(struct pg *q, int ok, struct error *e)
{
    PGresult *r;
    int rc = ok ? copy_flush(q, e) : 0;
    if (PQputCopyEnd(q->c, rc || !ok ? "load abandoned" : NULL) != 1 && !rc)
        rc = pg_fail(q, e, "COPY", NULL);
    while ((r = PQgetResult(q->c))) {
        if (ok && !rc && PQresultStatus(r) != PGRES_COMMAND_OK) rc = pg_fail(q, e, "COPY", r);
        PQclear(r);
    }
    q->copy_open = 0;
    return ok ? rc : 0;
}

/* The table of a COPY partitioned by province? Sets copy_key and copy_unit from the table
 * pinggu_partitioned (schema.c v15; absent in a database made by test code without the
 * migrations): cols is the insert's column list "a, b, c". */
static int copy_partitioned(struct pg *q, const char *cols, size_t ncols, struct error *e)
{
    const char *pv[1] = {q->copy_table};
    char col[64], have[8];
    PGresult *r;
    int rc;
    q->copy_key = -1;
    /* asked first, so a missing table is no error (which would end the load's transaction) */
    rc = raw_text(q, "SELECT to_regclass('pinggu_partitioned') IS NOT NULL", have, sizeof have,
                  e);
    if (rc || strcmp(have, "t")) return rc;
    r = PQexecParams(q->c,
                     "SELECT col, unit FROM pinggu_partitioned WHERE tbl = $1 AND"
                     " to_regclass(tbl || '_default') IS NOT NULL",
                     1, NULL, pv, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        rc = pg_fail(q, e, "pinggu_partitioned", r);
        PQclear(r);
        return rc;
    }
    if (PQntuples(r) == 1 &&
        snprintf(col, sizeof col, "%s", PQgetvalue(r, 0, 0)) < (int)sizeof col) {
        size_t len = strlen(col);
        int k = 0;
        for (const char *p = cols, *end = cols + ncols; p < end; k++) {
            const char *comma = memchr(p, ',', (size_t)(end - p));
            const char *w = p, *we = comma ? comma : end;
            while (w < we && *w == ' ') w++;
            while (we > w && we[-1] == ' ') we--;
            if ((size_t)(we - w) == len && !memcmp(w, col, len)) {
                q->copy_unit = atoll(PQgetvalue(r, 0, 1));
                q->copy_key = q->copy_unit > 0 ? k : -1;
                break;
            }
            p = comma ? comma + 1 : end;
        }
    }
    PQclear(r);
    return rc;
}

static int pgb_copy_begin(void *conn, const char *insert_sql, struct error *e)
{
    struct pg *q = conn;
    const char *into = strstr(insert_sql, "INSERT INTO "), *values = strstr(insert_sql, " VALUES");
    const char *open, *close;
    struct strbuf sql = STRBUF_INIT;
    size_t tlen;
    int rc = 0;
    if (!into || !values || values < into)
        return error_set(e, ERR_INTERNAL, "not an insert to copy: %.80s", insert_sql);
    open = strchr(into, '(');
    close = open ? strchr(open, ')') : NULL;
    if (!open || !close || close > values)
        return error_set(e, ERR_INTERNAL, "an insert to copy names its columns: %.80s",
                         insert_sql);
    tlen = strcspn(into + 12, " (");
    if (tlen >= sizeof q->copy_table)
        return error_set(e, ERR_INTERNAL, "table name too long: %.80s", insert_sql);
    memcpy(q->copy_table, into + 12, tlen);
    q->copy_table[tlen] = 0;
    sb_adds(&sql, "COPY ");
    sb_add(&sql, into + 12, (size_t)(values - into - 12));
    sb_adds(&sql, " FROM STDIN");
    if (sb_ok(&sql) || pg_dialect(sql.buf, &q->copysql, NULL) || sb_ok(&q->copysql)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    sb_reset(&q->copybuf);
    q->copy_rows = 0;
    q->copy_open = 0;
    memset(q->copy_have, 0, sizeof q->copy_have);
    rc = copy_partitioned(q, open + 1, (size_t)(close - open - 1), e);
    /* a partitioned table's COPY starts at its first row, once that row's partition exists */
    if (!rc && q->copy_key < 0) rc = copy_start(q, e);
out:
    sb_release(&sql);
    return rc;
}

/* Before a row of province prov: its partition exists (pinggu_partition, schema.c v15). The
 * COPY open is ended (its rows stay in the transaction), the partition made, a COPY begun. */
static int copy_province(struct pg *q, int64_t prov, struct error *e)
{
    char call[160];
    int rc = 0;
    if (prov < 0 || prov >= (int64_t)sizeof q->copy_have) {
        /* not a province: the row goes to the default partition */
        return q->copy_open ? 0 : copy_start(q, e);
    }
    if (q->copy_have[prov]) return 0;
    if (q->copy_open) rc = copy_stop(q, 1, e);
    snprintf(call, sizeof call, "SELECT pinggu_partition('%s', %lld)", q->copy_table,
             (long long)prov);
    if (!rc) rc = raw_exec(q, call, e);
    if (!rc) rc = copy_start(q, e);
    if (!rc) q->copy_have[prov] = 1;
    return rc;
}

/* one value in COPY's text format: \N for NULL; backslash, tab, newline, CR escaped */
static void copy_text(struct strbuf *b, const char *s, size_t n)
{
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        const char *esc = NULL;
        switch (s[i]) {
        case '\\': esc = "\\\\"; break;
        case '\t': esc = "\\t"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        default: continue;
        }
        sb_add(b, s + from, i - from);
        sb_adds(b, esc);
        from = i + 1;
    }
    sb_add(b, s + from, n - from);
}

static int pgb_copy_row(void *conn, const struct rowval *v, size_t n, int64_t log_id,
                        struct error *e)
{
    struct pg *q = conn;
    struct strbuf *b = &q->copybuf;
    if (q->copy_key >= 0 && (size_t)q->copy_key < n) {
        const struct rowval *kv = &v[q->copy_key];
        int rc = copy_province(q, kv->type == STORE_INT ? kv->i / q->copy_unit : -1, e);
        if (rc) return rc;
    }
    for (size_t k = 0; k < n; k++) {
        switch (v[k].type) {
        case STORE_NULL: sb_adds(b, "\\N"); break;
        case STORE_INT: sb_addf(b, "%lld", (long long)v[k].i); break;
        case STORE_DOUBLE: sb_addf(b, "%.17g", v[k].d); break; /* exact round trip */
        case STORE_TEXT: copy_text(b, v[k].s, v[k].n); break;
        case STORE_BLOB:
            sb_adds(b, "\\\\x");
            for (size_t i = 0; i < v[k].n; i++)
                sb_addf(b, "%02x", (unsigned)(unsigned char)v[k].s[i]);
            break;
        }
        sb_addch(b, '\t');
    }
    sb_addf(b, "%lld\n", (long long)log_id);
    q->copy_rows++;
    return b->len >= COPY_FLUSH ? copy_flush(q, e) : 0;
}

static int pgb_copy_end(void *conn, int ok, struct error *e)
{
    struct pg *q = conn;
    int rc = q->copy_open ? copy_stop(q, ok, e) : 0;
    sb_reset(&q->copybuf);
    if (!ok) return 0;
    return rc;
}

static int pgb_reconnect(void *conn, struct error *e)
{
    return pg_ensure(conn, e);
}

static int pgb_connected(void *conn)
{
    struct pg *q = conn;
    if (q->lost) return 0;
    /* reads what the server sent: its end of the connection turns the status to BAD */
    if (PQstatus(q->c) == CONNECTION_OK) PQconsumeInput(q->c);
    return PQstatus(q->c) == CONNECTION_OK;
}

const struct store_backend store_pg_backend = {
    "postgresql", pgb_open,      pgb_close,      pgb_exec,       pgb_prepare,  pgb_finalize,
    pgb_bind_int, pgb_bind_double, pgb_bind_text, pgb_bind_blob, pgb_bind_null, pgb_step,
    pgb_reset,    pgb_ncols,     pgb_colname,    pgb_type,       pgb_col_int,  pgb_col_double,
    pgb_col_text, pgb_col_len,   pgb_col_blob,   pgb_changes,    pgb_bulk_begin, pgb_bulk_end,
    pgb_unmarked, pgb_mark,     pgb_copy_begin, pgb_copy_row,   pgb_copy_end,
    pgb_reconnect, pgb_connected,
    .clear = pgb_clear,
    .grew = pgb_grew,
};
