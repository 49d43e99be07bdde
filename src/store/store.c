/*
 * store.c — the engine-independent half of the store (store.h): URL dispatch to a backend,
 * schema migrations, transactions, typed rows and their canonical digests.
 *
 * Migrations: the `schema_version` table holds one row per applied migration. store_open
 * applies each newer migration of schema.c in its own transaction and records it; a store
 * newer than this build is refused rather than misread.
 *
 * Marking: a store carries pinggu's mark (STORE_APPLICATION_ID; for SQLite the header's
 * application_id, with user_version = the schema version), set by every migration. Opening a
 * file without the mark is refused (and leaves it untouched) unless it already has pinggu's
 * schema and change log — a store made before marking — which is marked once, in a
 * transaction that also appends a "mark store" entry to its change log.
 *
 * Checkpoints (checkpoint.c): store_begin/store_bulk_begin load the signing key before
 * anything is written; a commit after which the log's head moved appends a signed
 * checkpoint.
 *
 * The statement cache (store_int.h, STMT_CACHE): store_prepare lends a kept handle by SQL
 * text and stmt_finalize gives it back reset with its parameters cleared, so callers see a
 * fresh statement each time. Invariant: a handle is lent to at most one stmt; the cache is
 * emptied (lent handles detached, finalized by their stmt) at close, after migrations,
 * around bulk loads and after DDL, so no handle outlives the schema it was compiled for.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_ddl(const char *sql);

int store_url_is_pg(const char *url)
{
    return url && (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11));
}

static const struct store_backend *pick(const char *url, const char **path)
{
    if (!strncmp(url, "sqlite:", 7)) {
        *path = url + 7;
        return &store_sqlite_backend;
    }
    *path = url;
    if (store_url_is_pg(url)) return &store_pg_backend;
    if (strstr(url, "://")) return NULL; /* another scheme */
    return &store_sqlite_backend;
}

/* ---------------------------------------------------------------- files beside the store */

static char evidence_conf[1024];

void store_evidence_set(const char *dir)
{
    snprintf(evidence_conf, sizeof evidence_conf, "%s", dir ? dir : "");
}

char *store_evidence_dir(struct store *s)
{
    const char *env = getenv("PINGGU_EVIDENCE");
    struct strbuf sb = STRBUF_INIT;
    if (evidence_conf[0]) sb_adds(&sb, evidence_conf);
    else if (s->be == &store_pg_backend && env && *env) sb_adds(&sb, env);
    else sb_addf(&sb, "%s.evidence", s->path);
    return sb_detach(&sb, NULL);
}

/* A PostgreSQL store has no folder to put its evidence and checkpoints beside: both must be
 * named (--evidence/PINGGU_EVIDENCE, --checkpoints/PINGGU_CHECKPOINTS), or it is refused. */
static int pg_sidecars(struct error *e)
{
    const char *ev = getenv("PINGGU_EVIDENCE");
    if (!evidence_conf[0] && !(ev && *ev))
        return error_set(e, ERR_USAGE,
                         "a PostgreSQL store needs --evidence-dir DIR (or PINGGU_EVIDENCE): the "
                         "folder where its evidence files are kept / 须指定证据材料目录");
    if (!checkpoint_file_configured())
        return error_set(e, ERR_USAGE,
                         "a PostgreSQL store needs --checkpoints FILE (or PINGGU_CHECKPOINTS): "
                         "where the signed checkpoints of its change log go / 须指定检查点文件");
    return 0;
}

int store_schema_latest(void)
{
    return store_migrations[store_nmigrations - 1].version;
}

int store_schema_version(struct store *s)
{
    int64_t v = 0;
    if (store_query_int(s, "SELECT max(version) FROM schema_version", 0, &v, NULL)) return 0;
    return (int)v;
}

static int migrate(struct store *s, struct error *e)
{
    int64_t have = 0;
    int rc;
    /* a store already at this build's schema is not written to at all: so a read-only
     * replica of a PostgreSQL store (docs/scale.md) opens like its primary */
    if (!s->be->unmarked(s->conn) &&
        store_query_int(s, "SELECT max(version) FROM schema_version", 0, &have, NULL) == 0 &&
        have == store_schema_latest())
        return 0;
    have = 0;
    rc = store_exec(s, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER "
                           "PRIMARY KEY, what TEXT NOT NULL, applied TEXT NOT NULL)",
                        e);
    if (rc) return rc;
    rc = store_query_int(s, "SELECT max(version) FROM schema_version", 0, &have, e);
    if (rc) return rc;
    if (have > store_schema_latest())
        return error_set(e, ERR_STORE,
                         "the store is at schema version %lld, newer than this pinggu (%d): "
                         "use a newer pinggu",
                         (long long)have, store_schema_latest());
    for (size_t i = 0; i < store_nmigrations; i++) {
        const struct migration *m = &store_migrations[i];
        struct stmt *st = NULL;
        if (m->version <= have) continue;
        rc = store_begin(s, e);
        if (!rc) rc = store_exec(s, m->sql, e);
        if (!rc && !s->be->unmarked(s->conn)) rc = s->be->mark(s->conn, m->version, e);
        if (!rc)
            rc = store_prepare(s, "INSERT INTO schema_version (version, what, applied) "
                                  "VALUES (?, ?, CURRENT_TIMESTAMP)",
                               &st, e);
        if (!rc) {
            stmt_bind_int(st, 1, m->version);
            stmt_bind_text(st, 2, m->what, strlen(m->what));
            rc = stmt_step(st, e) < 0 ? ERR_STORE : 0;
        }
        stmt_finalize(st);
        if (!rc) rc = store_commit(s, e);
        if (rc) {
            store_rollback(s);
            return error_prefix(e, "migration %d (%s)", m->version, m->what);
        }
    }
    if (s->be->unmarked(s->conn)) {
        /* a store made before stores were marked: mark it, and say so in its change log */
        char detail[160];
        snprintf(detail, sizeof detail, "{\"application_id\":%d,\"schema\":%d}",
                 STORE_APPLICATION_ID, store_schema_latest());
        rc = store_begin(s, e);
        if (!rc) rc = s->be->mark(s->conn, store_schema_latest(), e);
        if (!rc) rc = audit_note(s, "mark store", "-", "", detail, e);
        if (!rc) rc = store_commit(s, e);
        if (rc) {
            store_rollback(s);
            return error_prefix(e, "marking the store as pinggu's");
        }
    }
    return 0;
}

int store_open(const char *url, int flags, struct store **out, struct error *e)
{
    const char *path;
    const struct store_backend *be = pick(url, &path);
    struct store *s;
    int rc;
    *out = NULL;
    if (!be)
        return error_set(e, ERR_USAGE,
                         "%s: not a store: give a file path (SQLite) or a postgresql:// URL",
                         url);
    if (be == &store_pg_backend && (rc = pg_sidecars(e))) return rc;
    s = mem_calloc(1, sizeof *s);
    if (!s) return error_set(e, ERR_NOMEM, "out of memory");
    s->be = be;
    snprintf(s->path, sizeof s->path, "%s", path);
    rc = be->open(path, flags, &s->conn, e);
    if (rc) {
        mem_free(s);
        return rc;
    }
    if (!(flags & STORE_READONLY)) {
        rc = migrate(s, e);
        store_cache_clear(s); /* statements compiled before a migration's tables */
        if (rc) {
            store_close(s);
            return rc;
        }
    }
    *out = s;
    return 0;
}

const char *store_path(struct store *s)
{
    return s->path;
}

void store_close(struct store *s)
{
    if (!s) return;
    if (s->in_tx) store_rollback(s);
    checkpoint_forget(s);
    store_cache_clear(s);
    s->be->close(s->conn);
    mem_free(s);
}

int store_exec(struct store *s, const char *sql, struct error *e)
{
    int rc;
    if (!strncasecmp(sql, "ROLLBACK", 8)) { /* also ROLLBACK TO a savepoint (server/batch.c) */
        s->head_ok = 0;
        if (s->cp_pending) s->cp_reread = 1;
    } else if (!strncasecmp(sql, "BEGIN", 5) || !strncasecmp(sql, "COMMIT", 6) ||
               !strncasecmp(sql, "END", 3)) {
        s->head_ok = 0;
    }
    rc = s->be->exec(s->conn, sql, e);
    if (is_ddl(sql)) store_cache_clear(s);
    return rc;
}

int store_begin(struct store *s, struct error *e)
{
    int rc;
    if (s->in_tx) return error_set(e, ERR_INTERNAL, "transaction already open");
    rc = checkpoint_prepare(s, e);
    if (rc) return rc;
    s->cp_pending = s->cp_reread = s->head_ok = 0;
    rc = s->be->exec(s->conn, "BEGIN IMMEDIATE", e);
    if (!rc) s->in_tx = 1;
    return rc;
}

int store_commit(struct store *s, struct error *e)
{
    int rc = s->be->exec(s->conn, "COMMIT", e);
    s->head_ok = 0;
    if (rc) return rc;
    s->in_tx = 0;
    return checkpoint_after_commit(s, e);
}

int store_rollback(struct store *s)
{
    int rc = s->be->exec(s->conn, "ROLLBACK", NULL);
    s->in_tx = 0;
    s->cp_pending = s->cp_reread = s->head_ok = 0;
    return rc;
}

int store_reconnect(struct store *s, struct error *e)
{
    return s->be->reconnect ? s->be->reconnect(s->conn, e) : 0;
}

int store_connected(struct store *s)
{
    return s->be->connected ? s->be->connected(s->conn) : 1;
}

int store_wal_manual(struct store *s, struct error *e)
{
    return s->be->wal ? s->be->wal(s->conn, 0, e) : 0;
}

int store_wal_checkpoint(struct store *s, struct error *e)
{
    return s->be->wal ? s->be->wal(s->conn, 1, e) : 0;
}

int store_in_transaction(struct store *s)
{
    return s->in_tx;
}

int store_bulk_begin(struct store *s, const char *const *tables, const char *const *keep,
                     struct error *e)
{
    int rc;
    if (s->in_tx) return error_set(e, ERR_INTERNAL, "bulk load inside a transaction");
    rc = checkpoint_prepare(s, e);
    if (rc) return rc;
    s->cp_pending = s->cp_reread = s->head_ok = 0;
    store_cache_clear(s); /* the bulk load drops and rebuilds indexes */
    rc = s->be->bulk_begin(s->conn, tables, keep, e);
    if (!rc) s->in_tx = s->bulk = 1;
    return rc;
}

int store_bulk_defer_index(struct store *s, const char *name, struct error *e)
{
    if (!s->bulk) return error_set(e, ERR_INTERNAL, "no bulk load");
    /* no store_cache_clear: the loader's statements are lent out; SQLite prepares a statement
     * again by itself when the schema under it changed */
    return s->be->bulk_defer ? s->be->bulk_defer(s->conn, name, e) : 0;
}

int store_bulk_end(struct store *s, int commit, struct error *e)
{
    int rc;
    if (!s->bulk) return error_set(e, ERR_INTERNAL, "no bulk load to end");
    store_cache_clear(s);
    rc = s->be->bulk_end(s->conn, commit, e);
    s->in_tx = s->bulk = s->head_ok = 0;
    if (rc || !commit) {
        s->cp_pending = 0;
        return rc;
    }
    return checkpoint_after_commit(s, e);
}

/* ---------------------------------------------------------------- statement cache */

static uint64_t sql_hash(const char *sql)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)sql; *p; p++) h = (h ^ *p) * 1099511628211ull;
    return h;
}

void store_cache_clear(struct store *s)
{
    for (int i = 0; i < STMT_CACHE; i++) {
        struct stmt_slot *c = &s->cache[i];
        if (!c->sql) continue;
        if (c->owner) c->owner->slot = -1; /* lent: its stmt_finalize finalizes it */
        else s->be->finalize(c->h);
        mem_free(c->sql);
        memset(c, 0, sizeof *c);
    }
}

/* Whether sql changes the schema (its statements may then be compiled against tables that
 * are gone): the cache is emptied after it. */
static int is_ddl(const char *sql)
{
    return strcasestr(sql, "CREATE ") || strcasestr(sql, "DROP ") || strcasestr(sql, "ALTER ");
}

void store_stmt_cache_stats(struct store *s, int64_t *hits, int64_t *misses)
{
    *hits = s->cache_hits;
    *misses = s->cache_misses;
}

int store_prepare(struct store *s, const char *sql, struct stmt **out, struct error *e)
{
    struct stmt *st = mem_alloc(sizeof *st);
    uint64_t hash = sql_hash(sql);
    int rc, slot = -1;
    *out = NULL;
    if (!st) return error_set(e, ERR_NOMEM, "out of memory");
    st->s = s;
    st->slot = -1;
    for (int i = 0; i < STMT_CACHE; i++) {
        struct stmt_slot *c = &s->cache[i];
        if (c->sql && !c->owner && c->hash == hash && !strcmp(c->sql, sql)) {
            c->owner = st;
            c->used = ++s->tick;
            st->h = c->h;
            st->slot = i;
            s->cache_hits++;
            *out = st;
            return 0;
        }
        /* where a new entry goes: an empty slot, else the least recently lent free one */
        if (!c->owner && (slot < 0 || (s->cache[slot].sql && (!c->sql || c->used < s->cache[slot].used))))
            slot = i;
    }
    s->cache_misses++;
    if (slot >= 0) {
        struct stmt_slot *c = &s->cache[slot];
        size_t n = strlen(sql) + 1;
        char *copy = mem_alloc(n);
        if (!copy) { /* as any allocation of a prepare: the caller sees it */
            mem_free(st);
            return error_set(e, ERR_NOMEM, "out of memory");
        }
        memcpy(copy, sql, n);
        rc = (s->be->prepare_keep ? s->be->prepare_keep : s->be->prepare)(s->conn, sql, &st->h, e);
        if (rc) {
            mem_free(copy);
            mem_free(st);
            return rc;
        }
        if (c->sql) { /* evict */
            s->be->finalize(c->h);
            mem_free(c->sql);
        }
        c->sql = copy, c->hash = hash, c->h = st->h, c->owner = st, c->used = ++s->tick;
        st->slot = slot;
        *out = st;
        return 0;
    }
    rc = s->be->prepare(s->conn, sql, &st->h, e);
    if (rc) {
        mem_free(st);
        return rc;
    }
    *out = st;
    return 0;
}

void stmt_finalize(struct stmt *st)
{
    if (!st) return;
    if (st->slot >= 0) { /* back to the cache, as fresh */
        struct stmt_slot *c = &st->s->cache[st->slot];
        st->s->be->reset(st->h);
        if (st->s->be->clear) st->s->be->clear(st->h);
        c->owner = NULL;
    } else {
        st->s->be->finalize(st->h);
    }
    mem_free(st);
}

int stmt_bind_int(struct stmt *st, int i, int64_t v)
{
    return st->s->be->bind_int(st->h, i, v);
}
int stmt_bind_double(struct stmt *st, int i, double v)
{
    return st->s->be->bind_double(st->h, i, v);
}
int stmt_bind_text(struct stmt *st, int i, const char *v, size_t n)
{
    return st->s->be->bind_text(st->h, i, v, n, 1);
}
int stmt_bind_text_static(struct stmt *st, int i, const char *v, size_t n)
{
    return st->s->be->bind_text(st->h, i, v, n, 0);
}
int stmt_bind_blob(struct stmt *st, int i, const void *v, size_t n)
{
    return st->s->be->bind_blob(st->h, i, v, n);
}
int stmt_bind_null(struct stmt *st, int i)
{
    return st->s->be->bind_null(st->h, i);
}
int stmt_step(struct stmt *st, struct error *e)
{
    return st->s->be->step(st->h, e);
}
int stmt_reset(struct stmt *st)
{
    return st->s->be->reset(st->h);
}
int stmt_ncols(struct stmt *st)
{
    return st->s->be->ncols(st->h);
}
const char *stmt_colname(struct stmt *st, int i)
{
    return st->s->be->colname(st->h, i);
}
enum store_type stmt_type(struct stmt *st, int i)
{
    return st->s->be->type(st->h, i);
}
int64_t stmt_int(struct stmt *st, int i)
{
    return st->s->be->col_int(st->h, i);
}
double stmt_double(struct stmt *st, int i)
{
    return st->s->be->col_double(st->h, i);
}
const char *stmt_text(struct stmt *st, int i)
{
    return st->s->be->col_text(st->h, i);
}
size_t stmt_len(struct stmt *st, int i)
{
    return st->s->be->col_len(st->h, i);
}
const void *stmt_blob(struct stmt *st, int i)
{
    return st->s->be->col_blob(st->h, i);
}
int64_t store_changes(struct store *s)
{
    return s->be->changes(s->conn);
}

int store_query_int(struct store *s, const char *sql, int64_t dflt, int64_t *out,
                    struct error *e)
{
    struct stmt *st;
    int rc = store_prepare(s, sql, &st, e);
    if (rc) return rc;
    *out = dflt;
    rc = stmt_step(st, e);
    if (rc == STORE_ROW && stmt_type(st, 0) != STORE_NULL) *out = stmt_int(st, 0);
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int stmt_bind_row(struct stmt *st, int first, const struct rowval *v, size_t n)
{
    int rc = 0;
    for (size_t k = 0; k < n && !rc; k++) {
        int i = first + (int)k;
        switch (v[k].type) {
        case STORE_INT: rc = stmt_bind_int(st, i, v[k].i); break;
        case STORE_DOUBLE: rc = stmt_bind_double(st, i, v[k].d); break;
        case STORE_TEXT: rc = stmt_bind_text_static(st, i, v[k].s, v[k].n); break;
        case STORE_BLOB: rc = stmt_bind_blob(st, i, v[k].s, v[k].n); break;
        case STORE_NULL: rc = stmt_bind_null(st, i); break;
        }
    }
    return rc;
}

int rowval_encode(const struct rowval *v, size_t n, struct rowhash *r)
{
    rowhash_reset(r);
    for (size_t k = 0; k < n; k++) {
        switch (v[k].type) {
        case STORE_INT: rowhash_int(r, v[k].i); break;
        case STORE_DOUBLE: rowhash_double(r, v[k].d); break;
        case STORE_TEXT:
        case STORE_BLOB: rowhash_text(r, v[k].s, v[k].n); break;
        case STORE_NULL: rowhash_null(r); break;
        }
    }
    return sb_ok(&r->buf);
}
