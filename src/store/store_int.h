/*
 * store_int.h — private to src/store/: the backend vtable behind struct store.
 *
 * A backend implements a connection and prepared statements; store.c adds everything that
 * is the same for every engine (URL dispatch, migrations, typed rows, convenience queries)
 * and audit.c the change log. A PostgreSQL backend is one more `struct store_backend`
 * (placeholders ? -> $n, bulk mode via COPY), with no change above this line.
 */
#ifndef PINGGU_STORE_INT_H
#define PINGGU_STORE_INT_H

#include "store.h"

struct store_backend {
    const char *name;
    int (*open)(const char *path, int flags, void **conn, struct error *e);
    void (*close)(void *conn);
    int (*exec)(void *conn, const char *sql, struct error *e);
    int (*prepare)(void *conn, const char *sql, void **h, struct error *e);
    void (*finalize)(void *h);
    int (*bind_int)(void *h, int i, int64_t v);
    int (*bind_double)(void *h, int i, double v);
    int (*bind_text)(void *h, int i, const char *v, size_t n, int copy);
    int (*bind_blob)(void *h, int i, const void *v, size_t n);
    int (*bind_null)(void *h, int i);
    int (*step)(void *h, struct error *e);
    int (*reset)(void *h);
    int (*ncols)(void *h);
    const char *(*colname)(void *h, int i);
    enum store_type (*type)(void *h, int i);
    int64_t (*col_int)(void *h, int i);
    double (*col_double)(void *h, int i);
    const char *(*col_text)(void *h, int i);
    size_t (*col_len)(void *h, int i);
    const void *(*col_blob)(void *h, int i);
    int64_t (*changes)(void *conn);
    int (*bulk_begin)(void *conn, const char *const *tables, const char *const *keep,
                      struct error *e);
    int (*bulk_end)(void *conn, int commit, struct error *e);
    /* The store's mark (docs/audit.md): `unmarked` is 1 if open found a store made before
     * marking (pinggu's tables, no mark), which store.c then marks and logs; `mark` sets the
     * mark and the schema version inside the caller's transaction. */
    int (*unmarked)(void *conn);
    int (*mark)(void *conn, int version, struct error *e);
    /* Optional (NULL for SQLite): a bulk stream of rows into the table of `insert_sql` (an
     * "INSERT INTO t (cols) VALUES (...)" whose parameters are the row's values then log_id),
     * PostgreSQL's COPY ... FROM STDIN. Between copy_begin and copy_end the connection runs
     * nothing else; copy_end(ok = 0) abandons the stream (and the transaction with it). */
    int (*copy_begin)(void *conn, const char *insert_sql, struct error *e);
    int (*copy_row)(void *conn, const struct rowval *v, size_t n, int64_t log_id,
                    struct error *e);
    int (*copy_end)(void *conn, int ok, struct error *e);
    /* Optional (NULL: an embedded file is always there): store_reconnect and store_connected
     * (store.h), PostgreSQL's check and reconnection of a dropped connection. */
    int (*reconnect)(void *conn, struct error *e);
    int (*connected)(void *conn);
    /* Optional (NULL: the backend's server checkpoints its own log): store_wal_manual (op 0)
     * and store_wal_checkpoint (op 1), store.h. */
    int (*wal)(void *conn, int op, struct error *e);
    /* The statement cache (store.c): prepare for a statement kept across calls (SQLite:
     * SQLITE_PREPARE_PERSISTENT; NULL = prepare), and forget every parameter bound, so a
     * reused handle starts as a fresh one (unbound = NULL). */
    int (*prepare_keep)(void *conn, const char *sql, void **h, struct error *e);
    void (*clear)(void *h);
    /* Optional (NULL for SQLite, whose planner needs no statistics): nrows rows were just
     * written to table by an audited batch, inside the caller's transaction (not a bulk load,
     * which analyzes its tables at its end). PostgreSQL refreshes the table's planner
     * statistics when it has about doubled since they were taken (store_pg.c). */
    int (*grew)(void *conn, const char *table, int64_t nrows, struct error *e);
    /* Optional (NULL: the backend keeps every index during a load): store_bulk_defer_index. */
    int (*bulk_defer)(void *conn, const char *name, struct error *e);
};

/* The statement cache of one connection (store.c): handles kept by SQL text between
 * store_prepare and stmt_finalize, so a statement run once per request is compiled (SQLite)
 * or parsed and planned (PostgreSQL named statements) once per connection. An entry is lent
 * to one stmt at a time (busy); stmt_finalize resets it, clears its parameters and gives it
 * back. Emptied at close, after migrations, around bulk loads and after any DDL run through
 * store_exec; a PostgreSQL handle re-prepares itself after a reconnect (its gen). */
#define STMT_CACHE 96
struct stmt_slot {
    char *sql;      /* owned copy of the text; NULL = empty slot */
    uint64_t hash;
    void *h;
    struct stmt *owner; /* the stmt it is lent to, NULL when free */
    uint64_t used;      /* tick of its last lending (the least recent free one is evicted) */
};

struct store {
    const struct store_backend *be;
    char path[1024];
    void *conn;
    int in_tx;
    int bulk;
    /* checkpoints (checkpoint.c): the head written by the open transaction, if any (set by
     * audit.c's append), and the signing key, loaded when the first write begins */
    int cp_pending;
    int64_t cp_seq;
    char cp_hash[65];
    int cp_reread; /* a ROLLBACK TO a savepoint may have undone cp_seq: read the head again */
    /* the change log's head as this open write transaction last appended it (audit.c): while
     * head_ok, the next entry's seq and prev come from here, not from two queries. The
     * transaction's lock (BEGIN IMMEDIATE / the advisory lock) keeps other writers out; any
     * begin, commit, rollback or ROLLBACK TO clears it. */
    int head_ok;
    int64_t head_seq;
    char head_hash[65];
    int key_loaded;
    unsigned char pk[32], sk[64];
    /* who acts on this connection (store_set_actor), "" = audit_actor() */
    char actor[128];
    struct stmt_slot cache[STMT_CACHE];
    uint64_t tick;
    int64_t cache_hits, cache_misses; /* store_stmt_cache_stats */
};

struct stmt {
    struct store *s;
    void *h;
    int slot; /* the cache entry it borrows, -1 = its own handle */
};

/* store.c: finalizes every cached statement not lent out and detaches the lent ones (their
 * stmt_finalize then finalizes them). */
void store_cache_clear(struct store *s);

extern const struct store_backend store_sqlite_backend;
extern const struct store_backend store_pg_backend;
/* checkpoint.c: whether a checkpoint file was named (--checkpoints or PINGGU_CHECKPOINTS). */
int checkpoint_file_configured(void);

/* schema.c: the ordered list of migrations. */
struct migration {
    int version;
    const char *what;
    const char *sql;
};
extern const struct migration store_migrations[];
extern const size_t store_nmigrations;

/* checkpoint.c: if checkpoints are on, loads the signing key into s (refusing one inside the
 * store's folder) — called when a write transaction begins, before anything is written. */
int checkpoint_prepare(struct store *s, struct error *e);
/* checkpoint.c: after a commit, appends the signed checkpoint of the head the transaction
 * wrote (if it wrote one and checkpoints are on). */
int checkpoint_after_commit(struct store *s, struct error *e);
/* checkpoint.c: forgets the key (zeroes it). */
void checkpoint_forget(struct store *s);

#endif
