/*
 * store_sqlite.c — the embedded SQLite backend of the store interface (store_int.h).
 *
 * Normal mode: WAL journal (readers never block the writer), synchronous=NORMAL (durable at
 * checkpoints, never corrupt), foreign keys enforced, a 5 s busy timeout.
 *
 * Bulk mode (store_bulk_begin/end), used by imports of millions of rows: before BEGIN the
 * journal switches from WAL to a rollback journal, so that pages new to the file — nearly
 * all of a fresh load — are written once instead of to the WAL and again at checkpoint;
 * foreign-key enforcement is off (the loader has checked every reference with better
 * messages); secondary indexes of the loaded tables are dropped and, on commit, rebuilt from
 * their saved definitions by a sort, which is much faster than millions of random inserts —
 * except the indexes the caller keeps (their keys arrive in order, so each insert appends,
 * cheaper than the sort, which runs alone at the end); a kept index whose keys turn out of
 * order is dropped then (sq_bulk_defer) and rebuilt with the others. On rollback, the
 * indexes come back with the transaction itself (DROP INDEX is transactional). Either way
 * WAL and foreign keys are restored.
 *
 * The mark (store.c): application_id = STORE_APPLICATION_ID and user_version = the schema
 * version, both in the database header and both transactional. An existing file is probed
 * read-only first (sq_probe), so a file that is not a pinggu store is refused unchanged.
 */
#include "store_int.h"

#include <pthread.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

struct sq {
    sqlite3 *db;
    int unmarked; /* a store made before marking (store.c marks it) */
    char path[1024];
    struct strbuf saved_indexes; /* bulk mode: CREATE INDEX statements to replay */
};

static int sq_exec(void *conn, const char *sql, struct error *e)
{
    struct sq *q = conn;
    char *msg = NULL;
    if (sqlite3_exec(q->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        error_set(e, ERR_STORE, "%s (in: %.120s)", msg ? msg : "SQL failed", sql);
        sqlite3_free(msg);
        return ERR_STORE;
    }
    return 0;
}

/* Before opening an existing file for writing, looks at it read-only: a pinggu store has the
 * mark (application_id); a file without it is accepted only if it has pinggu's schema and
 * change log (a store made before marking: *unmarked = 1). Anything else is refused here,
 * before the read-write open could change a byte of it (WAL mode is set only after this). */
static int sq_probe(const char *path, int *unmarked, struct error *e)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *t = NULL;
    int64_t app = -1, tables = 0;
    int rc = 0;
    *unmarked = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        /* a WAL store is briefly locked while another connection closes it (its last
         * checkpoint) or recovers it: wait as every other statement does, not "not a store" */
        sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &t, NULL) != SQLITE_OK ||
        sqlite3_step(t) != SQLITE_ROW) {
        rc = error_set(e, ERR_INVALID, "%s is not a pinggu store (not an SQLite database: %s); "
                                       "create a store with pinggu init / 不是评估数据库",
                       path, db ? sqlite3_errmsg(db) : "cannot open");
        goto out;
    }
    app = sqlite3_column_int64(t, 0);
    sqlite3_finalize(t);
    t = NULL;
    if (app == STORE_APPLICATION_ID) goto out;
    if (app == 0 &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                               "name IN ('schema_version', 'audit_log', 'audit_head')",
                           -1, &t, NULL) == SQLITE_OK &&
        sqlite3_step(t) == SQLITE_ROW)
        tables = sqlite3_column_int64(t, 0);
    if (tables == 3) {
        *unmarked = 1;
        goto out;
    }
    if (app != 0)
        rc = error_set(e, ERR_INVALID,
                       "%s is not a pinggu store: an SQLite database of another application "
                       "(application_id %lld); left unchanged / 不是评估数据库",
                       path, (long long)app);
    else
        rc = error_set(e, ERR_INVALID,
                       "%s is not a pinggu store: an SQLite database without pinggu's mark, "
                       "schema and change log; left unchanged (create a store with pinggu init) "
                       "/ 不是评估数据库，未作任何修改",
                       path);
out:
    sqlite3_finalize(t);
    sqlite3_close(db);
    return rc;
}

/* Set once, before the library initialises:
 * - SQLite's memory statistics take one process-wide mutex on every allocation; the server's
 *   threads met on it (perf: futex waits in sqlite3Malloc and sqlite3_free). pinggu reads no
 *   statistic, so they are off.
 * - A savepoint's statement journal (the pages it changed, as they were) is kept in memory up
 *   to 64 KiB and then spilled to a new temporary file. A server submission runs in its own
 *   savepoint (src/server/batch.c) and changes more pages than that, so every submission
 *   created, wrote, closed and deleted a file inside the writer queue's serial part (perf:
 *   open, pwrite and ext4_evict_inode under the leader). 8 MiB keeps a submission's journal
 *   in memory; a bigger statement (an import) still spills. */
static pthread_once_t sq_once = PTHREAD_ONCE_INIT;
static void sq_global(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, 8 << 20);
}

static int sq_open(const char *path, int flags, void **conn, struct error *e)
{
    pthread_once(&sq_once, sq_global);
    struct sq *q = mem_calloc(1, sizeof *q);
    int oflags, rc;
    if (!q) return error_set(e, ERR_NOMEM, "out of memory");
    snprintf(q->path, sizeof q->path, "%s", path);
    sb_init(&q->saved_indexes);
    if (flags & STORE_CREATE) {
        if (access(path, F_OK) == 0) {
            mem_free(q);
            return error_set(e, ERR_EXISTS, "%s already exists; a new store needs a new file",
                             path);
        }
        oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    } else {
        if (access(path, F_OK) != 0) {
            mem_free(q);
            return error_set(e, ERR_NOTFOUND, "%s: no such store (create one with pinggu init)",
                             path);
        }
        oflags = flags & STORE_READONLY ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
        rc = sq_probe(path, &q->unmarked, e);
        if (rc) {
            mem_free(q);
            return rc;
        }
    }
    rc = sqlite3_open_v2(path, &q->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        rc = error_set(e, ERR_STORE, "%s: cannot open: %s", path,
                       q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
        sqlite3_close(q->db);
        mem_free(q);
        return rc;
    }
    sqlite3_busy_timeout(q->db, 5000);
    sqlite3_extended_result_codes(q->db, 1);
    rc = sq_exec(q, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;"
                    "PRAGMA cache_size=-65536; PRAGMA temp_store=FILE;",
                 e);
    if (!rc && !(flags & STORE_READONLY)) rc = sq_exec(q, "PRAGMA journal_mode=WAL;", e);
    if (!rc) {
        /* a file that is not a database fails here, not later in a confusing place */
        sqlite3_stmt *t;
        if (sqlite3_prepare_v2(q->db, "SELECT count(*) FROM sqlite_master", -1, &t, NULL) ||
            sqlite3_step(t) != SQLITE_ROW)
            rc = error_set(e, ERR_STORE, "%s is not a pinggu store: %s", path,
                           sqlite3_errmsg(q->db));
        sqlite3_finalize(t);
    }
    if (rc) {
        sqlite3_close(q->db);
        mem_free(q);
        return rc;
    }
    *conn = q;
    return 0;
}

static void sq_close(void *conn)
{
    struct sq *q = conn;
    if (!q) return;
    sqlite3_close(q->db);
    sb_release(&q->saved_indexes);
    mem_free(q);
}

static int sq_prepare(void *conn, const char *sql, void **h, struct error *e)
{
    struct sq *q = conn;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
        return error_set(e, ERR_STORE, "%s (in: %.160s)", sqlite3_errmsg(q->db), sql);
    *h = st;
    return 0;
}

/* a statement kept by the statement cache (store.c) */
static int sq_prepare_keep(void *conn, const char *sql, void **h, struct error *e)
{
    struct sq *q = conn;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        return error_set(e, ERR_STORE, "%s (in: %.160s)", sqlite3_errmsg(q->db), sql);
    *h = st;
    return 0;
}

static void sq_clear(void *h)
{
    sqlite3_clear_bindings(h);
}

static void sq_finalize(void *h)
{
    sqlite3_finalize(h);
}

static int ok(int rc)
{
    return rc == SQLITE_OK ? 0 : ERR_STORE;
}

static int sq_bind_int(void *h, int i, int64_t v)
{
    return ok(sqlite3_bind_int64(h, i, v));
}
static int sq_bind_double(void *h, int i, double v)
{
    return ok(sqlite3_bind_double(h, i, v));
}
static int sq_bind_text(void *h, int i, const char *v, size_t n, int copy)
{
    return ok(sqlite3_bind_text64(h, i, v, n, copy ? SQLITE_TRANSIENT : SQLITE_STATIC,
                                  SQLITE_UTF8));
}
static int sq_bind_blob(void *h, int i, const void *v, size_t n)
{
    return ok(sqlite3_bind_blob64(h, i, v, n, SQLITE_TRANSIENT));
}
static int sq_bind_null(void *h, int i)
{
    return ok(sqlite3_bind_null(h, i));
}

static int sq_step(void *h, struct error *e)
{
    int rc = sqlite3_step(h);
    if (rc == SQLITE_ROW) return STORE_ROW;
    if (rc == SQLITE_DONE) return STORE_DONE;
    return error_set(e, ERR_STORE, "%s (in: %.160s)", sqlite3_errmsg(sqlite3_db_handle(h)),
                     sqlite3_sql(h));
}

static int sq_reset(void *h)
{
    return ok(sqlite3_reset(h));
}
static int sq_ncols(void *h)
{
    return sqlite3_column_count(h);
}
static const char *sq_colname(void *h, int i)
{
    return sqlite3_column_name(h, i);
}
static enum store_type sq_type(void *h, int i)
{
    switch (sqlite3_column_type(h, i)) {
    case SQLITE_INTEGER: return STORE_INT;
    case SQLITE_FLOAT: return STORE_DOUBLE;
    case SQLITE_TEXT: return STORE_TEXT;
    case SQLITE_BLOB: return STORE_BLOB;
    }
    return STORE_NULL;
}
static int64_t sq_col_int(void *h, int i)
{
    return sqlite3_column_int64(h, i);
}
static double sq_col_double(void *h, int i)
{
    return sqlite3_column_double(h, i);
}
static const char *sq_col_text(void *h, int i)
{
    const unsigned char *t = sqlite3_column_text(h, i);
    return t ? (const char *)t : "";
}
static size_t sq_col_len(void *h, int i)
{
    return (size_t)sqlite3_column_bytes(h, i);
}
static const void *sq_col_blob(void *h, int i)
{
    return sqlite3_column_blob(h, i);
}
static int64_t sq_changes(void *conn)
{
    return sqlite3_changes64(((struct sq *)conn)->db);
}

static int sq_unmarked(void *conn)
{
    return ((struct sq *)conn)->unmarked;
}

static int sq_mark(void *conn, int version, struct error *e)
{
    struct sq *q = conn;
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d;",
             STORE_APPLICATION_ID, version);
    if (sq_exec(q, sql, e)) return ERR_STORE;
    q->unmarked = 0;
    return 0;
}

/* Saves index name's definition (sql) for bulk_end's rebuild and adds its DROP to drop. */
static void save_index(struct sq *q, struct strbuf *drop, const char *name, const char *sql)
{
    sb_addf(&q->saved_indexes, "%s;\n", sql);
    sb_addf(drop, "DROP INDEX \"%s\";\n", name);
}

/* 1 if name is one of keep (NULL-terminated, or NULL). */
static int kept(const char *const *keep, const char *name)
{
    for (; keep && *keep; keep++)
        if (!strcmp(*keep, name)) return 1;
    return 0;
}

static int sq_bulk_begin(void *conn, const char *const *tables, const char *const *keep,
                         struct error *e)
{
    struct sq *q = conn;
    sqlite3_stmt *st = NULL;
    struct strbuf drop = STRBUF_INIT;
    int rc;
    sb_reset(&q->saved_indexes);
    rc = sq_exec(q, "PRAGMA journal_mode=DELETE; PRAGMA foreign_keys=OFF;"
                    "PRAGMA cache_size=-262144; PRAGMA synchronous=OFF; BEGIN IMMEDIATE;",
                 e);
    if (rc) goto out;
    rc = sq_prepare(q, "SELECT name, sql FROM sqlite_master WHERE type='index' AND "
                       "tbl_name=? AND sql IS NOT NULL",
                    (void **)&st, e);
    if (rc) goto out;
    for (const char *const *t = tables; t && *t; t++) {
        sqlite3_bind_text(st, 1, *t, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(st, 0);
            if (!kept(keep, name))
                save_index(q, &drop, name, (const char *)sqlite3_column_text(st, 1));
        }
        sqlite3_reset(st);
    }
    if (sb_ok(&drop) || sb_ok(&q->saved_indexes)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    if (drop.len) rc = sq_exec(q, drop.buf, e);
out:
    sqlite3_finalize(st);
    sb_release(&drop);
    if (rc) {
        sq_exec(q, "ROLLBACK", NULL);
        sq_exec(q, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA "
                   "cache_size=-65536; PRAGMA journal_mode=WAL;",
                NULL);
    }
    return rc;
}

static int sq_bulk_defer(void *conn, const char *name, struct error *e)
{
    struct sq *q = conn;
    sqlite3_stmt *st = NULL;
    struct strbuf drop = STRBUF_INIT;
    int rc;
    rc = sq_prepare(q, "SELECT sql FROM sqlite_master WHERE type='index' AND name=?",
                    (void **)&st, e);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        save_index(q, &drop, name, (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st); /* before the DROP: a statement still reading the schema locks it */
    if (sb_ok(&q->saved_indexes) || sb_ok(&drop)) rc = error_set(e, ERR_NOMEM, "out of memory");
    else if (drop.len) rc = sq_exec(q, drop.buf, e);
    sb_release(&drop);
    return rc;
}

static int sq_bulk_end(void *conn, int commit, struct error *e)
{
    struct sq *q = conn;
    int rc = 0;
    if (commit) {
        if (q->saved_indexes.len) rc = sq_exec(q, q->saved_indexes.buf, e);
        if (!rc) rc = sq_exec(q, "COMMIT", e);
    }
    if (!commit || rc) sq_exec(q, "ROLLBACK", NULL);
    sb_reset(&q->saved_indexes);
    sq_exec(q, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
               "PRAGMA journal_mode=WAL;",
            NULL);
    return rc;
}

/* op 0: this connection no longer checkpoints the WAL after its commits (the automatic
 * checkpoint runs in the committing thread, with an fdatasync, while the server's writer
 * queue waits for it); op 1: a PASSIVE checkpoint now — copies what no reader still needs,
 * waits for nobody, and never blocks a writer. */
static int sq_wal(void *conn, int op, struct error *e)
{
    struct sq *q = conn;
    int rc;
    if (op == 0) return sq_exec(q, "PRAGMA wal_autocheckpoint=0;", e);
    rc = sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    if (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return 0;
    return error_set(e, ERR_STORE, "%s: WAL checkpoint: %s", q->path, sqlite3_errmsg(q->db));
}

const struct store_backend store_sqlite_backend = {
    "sqlite",     sq_open,     sq_close,     sq_exec,       sq_prepare,  sq_finalize,
    sq_bind_int,  sq_bind_double, sq_bind_text, sq_bind_blob, sq_bind_null, sq_step,
    sq_reset,     sq_ncols,    sq_colname,   sq_type,       sq_col_int,  sq_col_double,
    sq_col_text,  sq_col_len,  sq_col_blob,  sq_changes,    sq_bulk_begin, sq_bulk_end,
    sq_unmarked,  sq_mark,
    .prepare_keep = sq_prepare_keep, .clear = sq_clear, .wal = sq_wal, .bulk_defer = sq_bulk_defer,
};
