/*
 * store.h — the store interface (DESIGN §9, src/store/): one embedded SQLite implementation
 * today, a PostgreSQL one later, with no #ifdef at the callers.
 *
 * The interface is a small prepared-statement API over *portable SQL*: statements use `?`
 * placeholders, standard types (INTEGER, REAL, TEXT, BLOB), `INSERT ... ON CONFLICT`, and
 * no engine-specific functions. Everything engine-specific — journal modes, pragmas, how a
 * bulk load is made fast, how indexes are dropped and rebuilt around it — sits behind
 * store_bulk_begin/end and the backend's open. Callers never include sqlite3.h.
 *
 * The schema is versioned: store_open applies, in one transaction each, every migration
 * newer than the store's version (schema.c lists them; each stage appends its own).
 *
 * The change log (audit_*) is part of the store: every write appends an entry whose SHA-256
 * covers the previous entry's hash. Rows of audited tables carry `row_no` (insertion order,
 * primary key) and `log_id` (the entry that wrote them); an entry's digest is the root of
 * its rows' canonical encodings in row_no order (base.h struct rowstream), so `audit verify` can recompute both the
 * chain and every batch's content. Signed checkpoints of the log's head, kept outside the
 * store, catch what a chain inside it cannot: its own truncation or replacement (below). A
 * store is marked (STORE_APPLICATION_ID); files without the mark are refused unchanged. See
 * docs/audit.md.
 */
#ifndef PINGGU_STORE_H
#define PINGGU_STORE_H

#include "../base/base.h"

struct store; /* an open store (a connection); not shared between threads */
struct stmt;  /* a prepared statement of one store */

enum { STORE_DONE = 0, STORE_ROW = 1 };
enum store_type { STORE_NULL = 0, STORE_INT, STORE_DOUBLE, STORE_TEXT, STORE_BLOB };

/* Open flags. */
enum {
    STORE_CREATE = 1, /* create a new store; ERR_EXISTS if one is there */
    STORE_READONLY = 2
};

/* The mark every store carries ("PGGU"; SQLite: PRAGMA application_id). */
#define STORE_APPLICATION_ID 0x50474755

/* Opens the store at `url`: a file path or "sqlite:PATH" (embedded default). Applies pending
 * migrations unless read-only. A file that is not a pinggu store (no mark, and not a store
 * made before marking) is refused with ERR_INVALID and left unchanged; a store made before
 * marking is marked (and that logged) unless read-only. Caller owns *out (store_close). */
int store_open(const char *url, int flags, struct store **out, struct error *e);
void store_close(struct store *s);
/* The location the store was opened at (a file path for SQLite). Borrowed. Files that belong
 * with the store (evidence blobs) live beside it. */
const char *store_path(struct store *s);
/* Whether url names a PostgreSQL store (postgresql:// or postgres://; docs/scale.md). */
int store_url_is_pg(const char *url);
/* The folder of the store's evidence blobs: --evidence-dir DIR (store_evidence_set), else for a
 * PostgreSQL store $PINGGU_EVIDENCE, else (SQLite) "DB.evidence" beside the file. A
 * PostgreSQL store is refused at open without one. Caller owns the result (mem_free). */
char *store_evidence_dir(struct store *s);
/* Sets the evidence folder for every store this process opens (--evidence-dir). */
void store_evidence_set(const char *dir);
/* For a long-lived connection (the server's threads): makes sure it is usable. A PostgreSQL
 * connection the server dropped (a restart, a network cut) is reconnected, outside a
 * transaction; while the database is unreachable this returns ERR_STORE and the next call
 * tries again. A SQLite store: always 0. (Every statement does the same check itself.) */
int store_reconnect(struct store *s, struct error *e);
/* 0 if the store's last statement failed because its database could not be reached (a
 * PostgreSQL connection down: the server answers 503, not 500); 1 otherwise. */
int store_connected(struct store *s);
/* The write-ahead log's checkpoints (SQLite; PostgreSQL's server checkpoints its own, so both
 * are no-ops there). By default a connection that commits copies the log into the database
 * itself once the log has grown (SQLite's automatic checkpoint, with an fdatasync, in the
 * committing thread). store_wal_manual stops that on s; whoever calls it must then call
 * store_wal_checkpoint on some connection of the store now and then (the server: its main
 * thread, every 100 ms), which copies what no reader still needs without waiting for anyone
 * and never blocks a writer. 0, or ERR_STORE. */
int store_wal_manual(struct store *s, struct error *e);
int store_wal_checkpoint(struct store *s, struct error *e);
/* The schema version the store is at, and the newest this build knows. */
int store_schema_version(struct store *s);
int store_schema_latest(void);

/* Runs one or more statements without results. */
int store_exec(struct store *s, const char *sql, struct error *e);
/* Transactions (not nested). */
int store_begin(struct store *s, struct error *e);
int store_commit(struct store *s, struct error *e);
int store_rollback(struct store *s);
int store_in_transaction(struct store *s);

/* A bulk load of the given tables (NULL-terminated names): begins a transaction in the
 * backend's fastest safe mode — for SQLite a rollback journal instead of WAL, so pages new to
 * the file are not logged twice, foreign-key enforcement off (the loader validates every
 * reference itself), and the tables' secondary indexes dropped — and store_bulk_end commits
 * (rebuilding the indexes, restoring WAL) or rolls back leaving the store exactly as it was.
 * keep (NULL-terminated index names, or NULL) names indexes of those tables left in place
 * during the load: the caller expects their keys to arrive in ascending order, and appending
 * to an index then costs less than rebuilding it by a sort at the end, where nothing else
 * runs (issue 9 item 23: at 10 M members, members_household's rebuild alone took 2.5 s). A
 * UNIQUE index may be kept only by a caller that refuses every duplicate before writing it:
 * the index's error would otherwise replace the caller's own message. */
int store_bulk_begin(struct store *s, const char *const *tables, const char *const *keep,
                     struct error *e);
int store_bulk_end(struct store *s, int commit, struct error *e);
/* Drops the kept index `name` now, to be rebuilt at store_bulk_end like the others: its keys
 * were found out of order (random inserts into a large index cost more than its rebuild).
 * 0, also when it was not kept or is already dropped (and on backends that keep every index).
 * Only on the thread that owns the connection: during a load, through loader_defer_index. */
int store_bulk_defer_index(struct store *s, const char *name, struct error *e);

/* Prepared statements. Caller owns *out (stmt_finalize). Each connection keeps up to 96
 * compiled statements by their SQL text between calls (a statement cache, invisible here: a
 * statement comes back as freshly prepared, every parameter unbound; emptied at close, after
 * migrations, around bulk loads and after DDL run by store_exec). */
int store_prepare(struct store *s, const char *sql, struct stmt **out, struct error *e);
void stmt_finalize(struct stmt *st);
/* How often store_prepare found its statement in the connection's cache (hits) or compiled
 * it (misses), since the store was opened. */
void store_stmt_cache_stats(struct store *s, int64_t *hits, int64_t *misses);
/* Parameters are 1-based. Text is copied (bind_text) or borrowed until the next step/reset
 * (bind_text_static). Return 0 or ERR_STORE. */
int stmt_bind_int(struct stmt *st, int i, int64_t v);
int stmt_bind_double(struct stmt *st, int i, double v);
int stmt_bind_text(struct stmt *st, int i, const char *v, size_t n);
int stmt_bind_text_static(struct stmt *st, int i, const char *v, size_t n);
int stmt_bind_blob(struct stmt *st, int i, const void *v, size_t n);
int stmt_bind_null(struct stmt *st, int i);
/* STORE_ROW, STORE_DONE, or a negative error (e filled with the SQL and the reason). */
int stmt_step(struct stmt *st, struct error *e);
int stmt_reset(struct stmt *st);
/* Result columns are 0-based; values are borrowed until the next step/reset/finalize. */
int stmt_ncols(struct stmt *st);
const char *stmt_colname(struct stmt *st, int i);
enum store_type stmt_type(struct stmt *st, int i);
int64_t stmt_int(struct stmt *st, int i);
double stmt_double(struct stmt *st, int i);
const char *stmt_text(struct stmt *st, int i); /* "" for NULL */
size_t stmt_len(struct stmt *st, int i);
const void *stmt_blob(struct stmt *st, int i);
/* Rows changed by the last statement. */
int64_t store_changes(struct store *s);

/* Convenience: the first column of the first row of sql as an integer (*out = dflt if no
 * row or NULL). Parameters: none. */
int store_query_int(struct store *s, const char *sql, int64_t dflt, int64_t *out,
                    struct error *e);

/* ---------------------------------------------------------------- typed rows */

/* A row as an array of typed values: what a loader binds and what the audit hashes, from
 * one description, so the two cannot disagree. */
struct rowval {
    enum store_type type;
    int64_t i;
    double d;
    const char *s; /* borrowed */
    size_t n;
};
static inline struct rowval rv_int(int64_t v)
{
    struct rowval r = {STORE_INT, v, 0, 0, 0};
    return r;
}
static inline struct rowval rv_double(double v)
{
    struct rowval r = {STORE_DOUBLE, 0, v, 0, 0};
    return r;
}
static inline struct rowval rv_text(const char *s, size_t n)
{
    struct rowval r = {STORE_TEXT, 0, 0, s, n};
    return r;
}
static inline struct rowval rv_null(void)
{
    struct rowval r = {STORE_NULL, 0, 0, 0, 0};
    return r;
}
/* Binds vals[0..n) to parameters first..first+n-1 (text borrowed until the next step). */
int stmt_bind_row(struct stmt *st, int first, const struct rowval *vals, size_t n);
/* The canonical encoding of a row into r (reset first): what audit verify recomputes from
 * the stored columns. 0 or ERR_NOMEM. */
int rowval_encode(const struct rowval *vals, size_t n, struct rowhash *r);

/* ---------------------------------------------------------------- audit log */

/* Who is acting: PINGGU_ACTOR, else the login name, else "unknown". Static storage. */
const char *audit_actor(void);
/* The actor of every entry this connection appends from now on (copied; NULL or "" returns
 * to audit_actor()). The server sets it per request to the session's user: one connection
 * per thread, so no other thread's entries are affected. */
void store_set_actor(struct store *s, const char *actor);
/* The actor this connection's entries carry now (store_set_actor's, else audit_actor());
 * borrowed. */
const char *store_actor(const struct store *s);

/* A batch of rows written to one audited table under one log entry. Usage:
 *   audit_batch_begin(&b, s, "members", e);        (inside a transaction)
 *   for each row: vals[0] = rv_int(audit_batch_next_row_no(&b)); ... ;
 *                 bind, step, then audit_batch_add(&b, vals, n)  (or _add_digest)
 *   audit_batch_commit(&b, "import", key, detail, e);   appends the entry
 * A batch never outlives its transaction. */
struct audit_batch {
    struct store *s;
    char table[64];
    int64_t seq;         /* the log entry this batch will be: rows get log_id = seq */
    int64_t next_row_no; /* row_no for the next new row */
    int64_t nrows;
    struct rowstream rs;
    struct rowhash rh;
    struct strbuf retires;  /* "3,7,12": entries retired by this one */
    int64_t superseded;     /* old rows kept in audit_old */
    struct merkle old_mk;   /* over (row_no, old_log, digest) of those rows */
};
int audit_batch_begin(struct audit_batch *b, struct store *s, const char *table,
                      struct error *e);
int64_t audit_batch_next_row_no(struct audit_batch *b);
/* Adds one written row (vals exclude log_id, include row_no first). */
int audit_batch_add(struct audit_batch *b, const struct rowval *vals, size_t n);
/* Adds a row by its canonical encoding (rowval_encode), e.g. prepared by a loader thread. */
void audit_batch_add_encoded(struct audit_batch *b, const void *enc, size_t len);
/* Appends the entry (action e.g. "import", key e.g. the file name; detail: a JSON object
 * text or NULL). Releases the batch's memory whether or not it fails. */
int audit_batch_commit(struct audit_batch *b, const char *action, const char *key,
                       const char *detail, struct error *e);
void audit_batch_release(struct audit_batch *b);

/* Before the caller deletes every row of the batch's table (a registry re-import): marks
 * every earlier entry that wrote rows to it as *retired* in this batch's entry. A retired
 * entry stays in the chain (its hash is still checked) but its rows are no longer expected. */
int audit_batch_retire_all(struct audit_batch *b, struct error *e);
/* Like audit_batch_retire_all, for the earlier entries of this table with this key only
 * (e.g. the judgments of one sample): the caller then deletes exactly the rows they wrote. */
int audit_batch_retire_key(struct audit_batch *b, const char *key, struct error *e);
/* Before the caller updates or deletes the rows of the batch's table matching `where` (an SQL
 * condition, no parameters; e.g. "unit = 'x'"): keeps each old row's digest and values (as
 * JSON) in audit_old under this batch's entry, so the entries that wrote them still verify
 * and the old version stays readable. Their count and root go into this entry's detail. */
int audit_batch_supersede(struct audit_batch *b, const char *where, struct error *e);

/* Appends s as an SQL string literal ('' doubling quotes), for `where` and `set` below. */
void sql_quote(struct strbuf *sb, const char *s);
/* Rewrites the rows of `table` matching `where` with the SQL assignments `set`, through the
 * change log: old versions kept in audit_old, the rows then carry the new entry (action, key,
 * detail as audit_batch_commit). Inside the caller's transaction. *n (if non-NULL): rows
 * rewritten; no entry is appended when none matches. */
int audit_update_where(struct store *s, const char *table, const char *set, const char *where,
                       const char *action, const char *key, const char *detail, int64_t *n,
                       struct error *e);
/* Deletes the rows of `table` matching `where` through the change log (old versions kept in
 * audit_old under the new entry). Inside the caller's transaction; *n as above. */
int audit_delete_where(struct store *s, const char *table, const char *where, const char *action,
                       const char *key, const char *detail, int64_t *n, struct error *e);

/* Appends an entry that writes no rows (detail: JSON object text or NULL). */
int audit_note(struct store *s, const char *action, const char *table, const char *key,
               const char *detail, struct error *e);

/* An audited bulk insert into one table: prepares "INSERT INTO table (row_no, COLUMNS,
 * log_id)", and for each row binds w->v[1..n) (the caller fills them; v[0] is row_no,
 * filled here), inserts it and adds it to the change-log batch. Usage:
 *   audit_writer_begin(&w, s, "sample_units", "sample, stage, stratum", e);
 *   w.v[1] = rv_int(...); w.v[2] = rv_text(...); ... audit_writer_row(&w, e);
 *   audit_writer_commit(&w, "sample", name, NULL, e);
 * Inside a transaction. On any error call audit_writer_abort. */
#define AUDIT_WRITER_MAXCOLS 48
struct audit_writer {
    struct stmt *ins;
    struct audit_batch batch;
    struct rowval v[AUDIT_WRITER_MAXCOLS];
    size_t n;          /* values per row, row_no included */
    int64_t last_row;  /* row_no of the last row written */
    int open;
    int copy;          /* streaming (audit_writer_begin_stream on PostgreSQL) */
    struct store *s;
    /* grouped (audit_writer_begin_grouped): rows kept until `group` of them, or the commit,
     * then sent as many-row INSERTs; texts copied into ptext, referenced by offset */
    size_t group;
    struct rowval *pend;
    size_t npend, cappend;
    struct strbuf ptext;
    char *sql_tail; /* "INSERT INTO t (cols) VALUES " and one row's "(?, ..., ?)" */
    size_t head_len;
};
int audit_writer_begin(struct audit_writer *w, struct store *s, const char *table,
                       const char *columns, struct error *e);
/* Like audit_writer_begin, for many rows: on PostgreSQL they go through COPY ... FROM STDIN,
 * so between this and audit_writer_commit/abort the caller must not touch the store other
 * than through audit_writer_row (on SQLite it is audit_writer_begin). */
int audit_writer_begin_stream(struct audit_writer *w, struct store *s, const char *table,
                              const char *columns, struct error *e);
/* Like audit_writer_begin, for the few to few hundred rows of one request (a questionnaire's
 * answers): rows are kept and sent GROUP at a time as one many-row INSERT (the rest at commit,
 * in groups of 16, 8, ... 1), so a PostgreSQL store pays one round trip per group instead of
 * per row. Between the first audit_writer_row and audit_writer_commit/abort the caller must
 * not touch the store other than through audit_writer_row (rows may not be in the table yet);
 * an error in a row may be reported by a later audit_writer_row or by the commit. */
int audit_writer_begin_grouped(struct audit_writer *w, struct store *s, const char *table,
                               const char *columns, struct error *e);
int audit_writer_row(struct audit_writer *w, struct error *e);
int audit_writer_commit(struct audit_writer *w, const char *action, const char *key,
                        const char *detail, struct error *e);
void audit_writer_abort(struct audit_writer *w);

/* A pipelined audited bulk insert, for loads of millions of rows on two cores. Between
 * loader_start and loader_finish a writer thread owns the connection: it binds, inserts and
 * adds to the change-log batch the rows the caller's thread hands over with loader_row
 * (which copies them, encodes them canonically, and queues them in blocks). The caller must
 * not touch the store in between. `sql` inserts nvals values and then log_id (= b->seq).
 * Caller owns *out until loader_finish, which waits for the writer, frees the loader and
 * returns the writer's first error (0 if none). loader_row returns nonzero once the writer
 * has failed, so the caller can stop early. */
struct loader;
int loader_start(struct store *s, struct audit_batch *b, const char *sql, size_t nvals,
                 struct loader **out, struct error *e);
int loader_row(struct loader *l, const struct rowval *vals);
/* Asks the writer thread to drop the kept index `name` (store_bulk_defer_index) before it
 * inserts any block handed over after this call. name must outlive the loader (a literal). At
 * most LOADER_DEFER requests per loader; later ones are ignored (the index stays, and is
 * merely slower to fill). */
#define LOADER_DEFER 4
void loader_defer_index(struct loader *l, const char *name);
int loader_finish(struct loader *l, struct error *e);

/* One problem found by audit_verify. */
struct audit_finding {
    int64_t seq; /* the entry named, 0 if none */
    char what[512];
};
struct audit_report {
    int64_t entries;        /* entries checked */
    int64_t rows;           /* rows re-hashed */
    int64_t batches_checked;
    int64_t retired;        /* entries whose rows were replaced wholesale */
    struct audit_finding first; /* the first problem (by entry order), if any */
    int64_t problems;
};
/* Recomputes the hash chain (every entry's hash, prev link and sequence) and every live
 * batch's Merkle root from the rows. Returns 0 if all is intact, ERR_VERIFY with the report's
 * `first` naming the first altered, removed or reordered entry or the first entry whose rows
 * no longer match, or another error if the store could not be read. */
int audit_verify(struct store *s, struct audit_report *r, struct error *e);

/* Prints the last n entries (n <= 0: all) as a table. */
int audit_log_print(struct store *s, FILE *f, int64_t n, struct error *e);

/* ---------------------------------------------------------------- checkpoints */

/* Signed checkpoints anchor the change log outside the store, the way Certificate
 * Transparency publishes signed tree heads (docs/audit.md): after every commit that appended
 * entries, a line
 *     pinggu-checkpoint-v1 COUNT HEAD PUBKEY SIGNATURE
 * is appended to the store's checkpoint file: COUNT entries, HEAD the hex hash of entry
 * COUNT, PUBKEY the hex Ed25519 public key, SIGNATURE the hex Ed25519 signature of the line's
 * first three fields joined by single spaces (no newline). The key (a file holding the hex
 * 32-byte seed) is $PINGGU_KEY or $XDG_CONFIG_HOME/pinggu/checkpoint.key ($HOME/.config if
 * unset), created mode 0600 on first use, and refused if it lies in the store's folder.
 *
 * Off by default (library users, unit tests); the command line turns it on for every command.
 * file: the checkpoint file, or NULL for the store path + ".checkpoints"; print: where to also
 * print each new line (NULL: nowhere). The strings are copied. Process-wide. */
void store_checkpoints_enable(const char *file, FILE *print);
/* Deferred checkpoints (the server, issue 11): commits no longer write a line each; instead
 * store_checkpoint_now writes one for the store's current head (if it moved since the last
 * line this process wrote), every N seconds and at shutdown. Process-wide. */
void store_checkpoints_defer(int on);
/* Writes a checkpoint line for the current head of s now (nothing if checkpoints are off or
 * the head has not moved since this process's last line). Serialised by a process-wide lock,
 * so lines stay in head order. 0, or ERR_IO / ERR_STORE. */
int store_checkpoint_now(struct store *s, struct error *e);
/* The checkpoint file of store s (as configured, else DB.checkpoints) into buf. Returns buf. */
const char *store_checkpoints_file(struct store *s, char *buf, size_t n);

struct checkpoint {
    int64_t count;
    char head[65];
    char pubkey[65];
    char sig[129];
};
#define CHECKPOINT_TAG "pinggu-checkpoint-v1"
/* Parses one checkpoint line (trailing newline allowed) and checks its signature. 0, or
 * ERR_PARSE (malformed) / ERR_VERIFY (the signature does not verify) with the reason in e. */
int checkpoint_parse(const char *line, struct checkpoint *c, struct error *e);
/* The public key of this user's checkpoint key, hex, if the key file exists (never creates
 * it): 0, or ERR_NOTFOUND. */
int checkpoint_local_pubkey(char out[65], struct error *e);
/* Whether the store's change log extends c: it has at least c->count entries and entry
 * c->count has hash c->head (count 0: always). 0 if so; ERR_VERIFY with the reason in e
 * (entries removed or an older copy, or a rewritten log); another error if unreadable. */
int checkpoint_check(struct store *s, const struct checkpoint *c, struct error *e);
/* The store's current head: entry count and hash (zeros for an empty log). */
int audit_head_get(struct store *s, int64_t *count, char hash[65], struct error *e);
/* The entry of the log whose hash is `hash` (64 hex digits): *seq gets its number, 0 if no
 * entry has it (a head published earlier and no longer in the log). */
int audit_find_hash(struct store *s, const char *hash, int64_t *seq, struct error *e);

#endif
