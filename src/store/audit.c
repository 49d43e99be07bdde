/*
 * audit.c — the change log (store.h, docs/audit.md): an append-only hash chain over every
 * write to the store, and its verifier.
 *
 * An entry is (seq, at, actor, action, tbl, key, nrows, digest, detail, prev, hash) where
 * hash = SHA-256 of the canonical encoding of all the other fields, including prev, the
 * previous entry's hash — so altering, removing or reordering an entry breaks the chain from
 * that entry on. audit_head keeps the last (seq, hash), so cutting entries off the end is
 * noticed too.
 *
 * Content: a batch's rows carry log_id = its seq, and its digest is the root of a
 * struct rowstream (base.h: Merkle over chunks of 1024 rows) of the rows' canonical encodings
 * (rowval_encode: every column but log_id, row_no first) in row_no order. The verifier streams each table once in row_no order, feeding every row to
 * the accumulator of the entry it claims, and compares roots. Rows later replaced keep their
 * encodings in audit_old under the replacing entry (whose detail carries the count and root of
 * what it replaced), so the older entry still verifies; a wholesale replacement (registry
 * re-import) instead *retires* the earlier entries, listed in the new entry's detail.
 *
 * audit_update_where and audit_delete_where are the general audited rewrite and removal of rows
 * matching a condition (old versions into audit_old under the new entry), for every stage.
 *
 * Invariants: entries are only ever appended, inside the caller's transaction; seq is
 * 1, 2, 3, ... without gaps; detail is a JSON object with sorted keys.
 */
#include "store_int.h"

#include <jansson.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char zero_hash[65] =
    "0000000000000000000000000000000000000000000000000000000000000000";

const char *audit_actor(void)
{
    static char name[128];
    const char *env = getenv("PINGGU_ACTOR");
    struct passwd *pw;
    if (env && *env) return env;
    if (name[0]) return name;
    pw = getpwuid(getuid());
    snprintf(name, sizeof name, "%s", pw && pw->pw_name ? pw->pw_name : "unknown");
    return name;
}

static void now_iso(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Canonical encoding: a version line, then "length:value\n" per field, in a fixed order. */
static void entry_hash(int64_t seq, const char *at, const char *actor, const char *action,
                       const char *tbl, const char *key, int64_t nrows, const char *digest,
                       const char *detail, const char *prev, char out[65])
{
    struct strbuf sb = STRBUF_INIT;
    char num[2][32];
    const char *f[10];
    snprintf(num[0], sizeof num[0], "%lld", (long long)seq);
    snprintf(num[1], sizeof num[1], "%lld", (long long)nrows);
    f[0] = num[0], f[1] = at, f[2] = actor, f[3] = action, f[4] = tbl, f[5] = key;
    f[6] = num[1], f[7] = digest, f[8] = detail, f[9] = prev;
    sb_adds(&sb, "pinggu-audit-v1\n");
    /* "%zu:%s\n" for each field, without printf (a submission appends four entries inside the
     * server's writer queue: issue 11) */
    for (int i = 0; i < 10; i++) {
        size_t n = strlen(f[i]), d = n;
        char len[24];
        int k = (int)sizeof len;
        do len[--k] = (char)('0' + d % 10), d /= 10; while (d);
        sb_add(&sb, len + k, sizeof len - (size_t)k);
        sb_addch(&sb, ':');
        sb_add(&sb, f[i], n);
        sb_addch(&sb, '\n');
    }
    hash_sha256_hex(sb.buf, sb.len, out);
    sb_release(&sb);
}

static int next_seq(struct store *s, int64_t *seq, struct error *e)
{
    int64_t last;
    int rc;
    if (s->head_ok && s->in_tx) { /* this transaction appended the head (store_int.h) */
        *seq = s->head_seq + 1;
        return 0;
    }
    rc = store_query_int(s, "SELECT max(seq) FROM audit_log", 0, &last, e);
    *seq = last + 1;
    return rc;
}

static int append(struct store *s, int64_t seq, const char *action, const char *tbl,
                  const char *key, int64_t nrows, const char *digest, const char *detail,
                  struct error *e)
{
    struct stmt *st = NULL;
    char at[32], prev[65], hash[65];
    const char *actor = s->actor[0] ? s->actor : audit_actor();
    int rc;
    int pg = s->be == &store_pg_backend;
    if (!store_in_transaction(s))
        return error_set(e, ERR_INTERNAL, "audit entry outside a transaction");
    memcpy(prev, zero_hash, 65);
    if (s->head_ok) { /* this transaction's own last entry (store_int.h) */
        if (s->head_seq != seq - 1) return error_set(e, ERR_INTERNAL, "audit seq skew");
        memcpy(prev, s->head_hash, 65);
    } else {
        rc = store_prepare(s, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", &st,
                           e);
        if (rc) return rc;
        rc = stmt_step(st, e);
        if (rc == STORE_ROW) {
            if (stmt_int(st, 0) != seq - 1) rc = error_set(e, ERR_INTERNAL, "audit seq skew");
            else snprintf(prev, sizeof prev, "%s", stmt_text(st, 1));
        }
        stmt_finalize(st);
        if (rc < 0) return rc;
    }
    now_iso(at);
    entry_hash(seq, at, actor, action, tbl, key, nrows, digest, detail, prev, hash);
    /* PostgreSQL: the entry and the head in one statement (one round trip, not two) */
    rc = store_prepare(s,
                       pg ? "WITH entry AS (INSERT INTO audit_log (seq, at, actor, action, tbl, "
                            "key, nrows, digest, detail, prev, hash) VALUES (?1,?2,?3,?4,?5,?6,"
                            "?7,?8,?9,?10,?11)) INSERT INTO audit_head (one, seq, hash) VALUES "
                            "(1, ?1, ?11) ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, "
                            "hash = excluded.hash"
                          : "INSERT INTO audit_log (seq, at, actor, action, tbl, key, nrows, "
                            "digest, detail, prev, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, seq);
    stmt_bind_text(st, 2, at, strlen(at));
    stmt_bind_text(st, 3, actor, strlen(actor));
    stmt_bind_text(st, 4, action, strlen(action));
    stmt_bind_text(st, 5, tbl, strlen(tbl));
    stmt_bind_text(st, 6, key, strlen(key));
    stmt_bind_int(st, 7, nrows);
    stmt_bind_text(st, 8, digest, strlen(digest));
    stmt_bind_text(st, 9, detail, strlen(detail));
    stmt_bind_text(st, 10, prev, 64);
    stmt_bind_text(st, 11, hash, 64);
    rc = stmt_step(st, e);
    stmt_finalize(st);
    if (rc < 0) return rc;
    if (!pg) {
        rc = store_prepare(s, "INSERT INTO audit_head (one, seq, hash) VALUES (1, ?, ?) "
                              "ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, hash = "
                              "excluded.hash",
                           &st, e);
        if (rc) return rc;
        stmt_bind_int(st, 1, seq);
        stmt_bind_text(st, 2, hash, 64);
        rc = stmt_step(st, e);
        stmt_finalize(st);
        if (rc < 0) return rc;
    }
    s->head_ok = 1;
    s->head_seq = seq;
    memcpy(s->head_hash, hash, 65);
    /* the head to checkpoint once the transaction commits (checkpoint.c) */
    s->cp_pending = 1;
    s->cp_seq = seq;
    memcpy(s->cp_hash, hash, 65);
    return 0;
}

/* Normalises a caller's detail (NULL, or JSON object text) and merges extra fields. Caller
 * owns the returned string (free()). */
static char *detail_json(const char *detail, json_t *extra, struct error *e)
{
    json_t *obj;
    json_error_t jerr;
    char *out;
    if (detail && *detail) {
        obj = json_loads(detail, 0, &jerr);
        if (!obj || !json_is_object(obj)) {
            json_decref(obj);
            error_set(e, ERR_INTERNAL, "audit detail is not a JSON object: %s", detail);
            return NULL;
        }
    } else {
        obj = json_object();
    }
    if (extra) json_object_update(obj, extra);
    out = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    json_decref(obj);
    if (!out) error_set(e, ERR_NOMEM, "out of memory");
    return out;
}

int audit_note(struct store *s, const char *action, const char *table, const char *key,
               const char *detail, struct error *e)
{
    int64_t seq;
    char *d;
    int rc = next_seq(s, &seq, e);
    if (rc) return rc;
    d = detail_json(detail, NULL, e);
    if (!d) return e ? e->code : ERR_NOMEM;
    rc = append(s, seq, action, table, key, 0, zero_hash, d, e);
    free(d);
    return rc;
}

int audit_batch_begin(struct audit_batch *b, struct store *s, const char *table,
                      struct error *e)
{
    struct strbuf sql = STRBUF_INIT;
    int rc;
    memset(b, 0, sizeof *b);
    b->s = s;
    snprintf(b->table, sizeof b->table, "%s", table);
    rowstream_init(&b->rs);
    merkle_init(&b->old_mk);
    rowhash_init(&b->rh);
    sb_init(&b->retires);
    rc = next_seq(s, &b->seq, e);
    if (rc) return rc;
    sb_addf(&sql, "SELECT max(row_no) FROM %s", table);
    rc = sb_ok(&sql) ? error_set(e, ERR_NOMEM, "out of memory")
                     : store_query_int(s, sql.buf, 0, &b->next_row_no, e);
    sb_release(&sql);
    b->next_row_no++;
    return rc;
}

int64_t audit_batch_next_row_no(struct audit_batch *b)
{
    return b->next_row_no++;
}

int audit_batch_add(struct audit_batch *b, const struct rowval *vals, size_t n)
{
    size_t len;
    const unsigned char *enc;
    int rc = rowval_encode(vals, n, &b->rh);
    if (rc || !(enc = rowhash_bytes(&b->rh, &len))) return ERR_NOMEM;
    rowstream_add(&b->rs, enc, len);
    b->nrows++;
    return 0;
}

void audit_batch_add_encoded(struct audit_batch *b, const void *enc, size_t len)
{
    rowstream_add(&b->rs, enc, len);
    b->nrows++;
}

void audit_batch_release(struct audit_batch *b)
{
    rowhash_release(&b->rh);
    sb_release(&b->retires);
}

/* Seqs retired by any entry: parsed from details ({"retires":[...]}). */
static int load_retired(struct store *s, struct u64map *retired, struct error *e)
{
    struct stmt *st;
    int rc = store_prepare(s, "SELECT detail FROM audit_log WHERE detail LIKE '%\"retires\"%'",
                           &st, e);
    if (rc) return rc;
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        json_t *d = json_loads(stmt_text(st, 0), 0, NULL), *a = json_object_get(d, "retires");
        size_t i;
        json_t *v;
        json_array_foreach(a, i, v)
        {
            if (json_is_integer(v) && json_integer_value(v) > 0 &&
                u64map_put(retired, (uint64_t)json_integer_value(v), 1, NULL) < 0)
                rc = error_set(e, ERR_NOMEM, "out of memory");
        }
        json_decref(d);
        if (rc < 0) break;
    }
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

static int retire(struct audit_batch *b, const char *key, struct error *e);

int audit_batch_retire_all(struct audit_batch *b, struct error *e)
{
    return retire(b, NULL, e);
}

int audit_batch_retire_key(struct audit_batch *b, const char *key, struct error *e)
{
    return retire(b, key, e);
}

static int retire(struct audit_batch *b, const char *key, struct error *e)
{
    struct u64map retired;
    struct stmt *st = NULL;
    int rc;
    u64map_init(&retired);
    rc = load_retired(b->s, &retired, e);
    if (!rc)
        rc = store_prepare(b->s, key ? "SELECT seq FROM audit_log WHERE tbl = ? AND nrows > 0 "
                                       "AND key = ? ORDER BY seq"
                                     : "SELECT seq FROM audit_log WHERE tbl = ? AND nrows > 0 "
                                       "ORDER BY seq",
                           &st, e);
    if (!rc) {
        stmt_bind_text(st, 1, b->table, strlen(b->table));
        if (key) stmt_bind_text(st, 2, key, strlen(key));
        while ((rc = stmt_step(st, e)) == STORE_ROW) {
            int64_t seq = stmt_int(st, 0);
            if (u64map_get(&retired, (uint64_t)seq)) continue;
            sb_addf(&b->retires, "%s%lld", b->retires.len ? "," : "", (long long)seq);
        }
        if (rc == STORE_DONE) rc = sb_ok(&b->retires) ? error_set(e, ERR_NOMEM, "oom") : 0;
    }
    stmt_finalize(st);
    u64map_release(&retired);
    return rc;
}

/* Canonical encoding of one stored row into rh: every column but log_id, in table order.
 * Sets *log_id. */
static int stored_row_encode(struct stmt *st, int log_col, struct rowhash *rh, int64_t *log_id)
{
    int n = stmt_ncols(st);
    rowhash_reset(rh);
    for (int i = 0; i < n; i++) {
        if (i == log_col) {
            *log_id = stmt_int(st, i);
            continue;
        }
        switch (stmt_type(st, i)) {
        case STORE_INT: rowhash_int(rh, stmt_int(st, i)); break;
        case STORE_DOUBLE: rowhash_double(rh, stmt_double(st, i)); break;
        case STORE_TEXT: rowhash_text(rh, stmt_text(st, i), stmt_len(st, i)); break;
        case STORE_BLOB: rowhash_text(rh, stmt_blob(st, i), stmt_len(st, i)); break;
        case STORE_NULL: rowhash_null(rh); break;
        }
    }
    return sb_ok(&rh->buf);
}

static int find_col(struct stmt *st, const char *name)
{
    for (int i = 0; i < stmt_ncols(st); i++)
        if (!strcmp(stmt_colname(st, i), name)) return i;
    return -1;
}

/* Leaf of the "what was replaced" root: (row_no, old_log, BLAKE2b of the old encoding). */
static void old_leaf(struct rowhash *rh, int64_t row_no, int64_t old_log, const void *enc,
                     size_t len, unsigned char out[32])
{
    unsigned char d[32];
    hash_blake2b(enc, len, d);
    rowhash_reset(rh);
    rowhash_int(rh, row_no);
    rowhash_int(rh, old_log);
    rowhash_text(rh, (const char *)d, 32);
    rowhash_digest(rh, out);
}

int audit_batch_supersede(struct audit_batch *b, const char *where, struct error *e)
{
    struct strbuf sql = STRBUF_INIT;
    struct stmt *sel = NULL, *ins = NULL;
    int rc, log_col;
    sb_addf(&sql, "SELECT * FROM %s WHERE %s ORDER BY row_no", b->table, where);
    if (sb_ok(&sql)) {
        sb_release(&sql);
        return error_set(e, ERR_NOMEM, "out of memory");
    }
    rc = store_prepare(b->s, sql.buf, &sel, e);
    sb_release(&sql);
    if (!rc)
        rc = store_prepare(b->s, "INSERT INTO audit_old (seq, tbl, row_no, old_log, encoding, "
                                 "content) VALUES (?, ?, ?, ?, ?, ?)",
                           &ins, e);
    if (rc) goto out;
    log_col = find_col(sel, "log_id");
    if (log_col < 0 || find_col(sel, "row_no") != 0) {
        rc = error_set(e, ERR_INTERNAL, "%s is not an audited table", b->table);
        goto out;
    }
    while ((rc = stmt_step(sel, e)) == STORE_ROW) {
        unsigned char leaf[32];
        int64_t old_log = 0, row_no = stmt_int(sel, 0);
        json_t *obj = json_object();
        char *content;
        const unsigned char *enc;
        size_t elen = 0;
        stored_row_encode(sel, log_col, &b->rh, &old_log);
        enc = rowhash_bytes(&b->rh, &elen);
        for (int i = 0; i < stmt_ncols(sel); i++) {
            json_t *v;
            switch (stmt_type(sel, i)) {
            case STORE_INT: v = json_integer(stmt_int(sel, i)); break;
            case STORE_DOUBLE: v = json_real(stmt_double(sel, i)); break;
            case STORE_TEXT: v = json_stringn(stmt_text(sel, i), stmt_len(sel, i)); break;
            default: v = json_null();
            }
            json_object_set_new(obj, stmt_colname(sel, i), v);
        }
        content = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(obj);
        stmt_bind_int(ins, 1, b->seq);
        stmt_bind_text(ins, 2, b->table, strlen(b->table));
        stmt_bind_int(ins, 3, row_no);
        stmt_bind_int(ins, 4, old_log);
        stmt_bind_blob(ins, 5, enc ? enc : (const unsigned char *)"", elen);
        old_leaf(&b->rh, row_no, old_log, enc, elen, leaf);
        merkle_add(&b->old_mk, leaf);
        b->superseded++;
        if (content) stmt_bind_text(ins, 6, content, strlen(content));
        else stmt_bind_null(ins, 6);
        free(content);
        rc = stmt_step(ins, e);
        stmt_reset(ins);
        if (rc < 0) goto out;
    }
    if (rc == STORE_DONE) rc = 0;
out:
    stmt_finalize(sel);
    stmt_finalize(ins);
    return rc;
}

int audit_batch_commit(struct audit_batch *b, const char *action, const char *key,
                       const char *detail, struct error *e)
{
    unsigned char root[32];
    char hex[65];
    json_t *extra = json_object();
    char *d = NULL;
    int rc;
    rowstream_root(&b->rs, root);
    hash_hex(root, 32, hex);
    if (b->retires.len) {
        json_t *arr = json_array();
        for (const char *p = b->retires.buf; *p;) {
            json_array_append_new(arr, json_integer(strtoll(p, (char **)&p, 10)));
            if (*p == ',') p++;
        }
        json_object_set_new(extra, "retires", arr);
    }
    if (b->superseded) {
        char ohex[65];
        unsigned char oroot[32];
        merkle_root(&b->old_mk, oroot);
        hash_hex(oroot, 32, ohex);
        json_object_set_new(extra, "superseded", json_integer(b->superseded));
        json_object_set_new(extra, "superseded_root", json_string(ohex));
    }
    d = detail_json(detail, extra, e);
    json_decref(extra);
    rc = d ? append(b->s, b->seq, action, b->table, key, b->nrows, hex, d, e)
           : (e ? e->code : ERR_NOMEM);
    free(d);
    if (!rc && b->nrows && !b->s->bulk && b->s->be->grew)
        rc = b->s->be->grew(b->s->conn, b->table, b->nrows, e);
    audit_batch_release(b);
    return rc;
}

/* ------------------------------------------------------------------ writer */

static int writer_begin(struct audit_writer *w, struct store *s, const char *table,
                        const char *columns, int stream, struct error *e)
{
    struct strbuf sql = STRBUF_INIT;
    int rc;
    memset(w, 0, sizeof *w);
    w->ptext = (struct strbuf)STRBUF_INIT;
    w->n = 2; /* row_no and the first column */
    for (const char *p = columns; *p; p++) w->n += *p == ',';
    if (w->n > AUDIT_WRITER_MAXCOLS) return error_set(e, ERR_INTERNAL, "too many columns");
    sb_addf(&sql, "INSERT INTO %s (row_no, %s, log_id) VALUES (?", table, columns);
    for (size_t i = 1; i <= w->n; i++) sb_adds(&sql, ", ?");
    sb_addch(&sql, ')');
    rc = sb_ok(&sql) ? error_set(e, ERR_NOMEM, "out of memory") : store_prepare(s, sql.buf, &w->ins, e);
    if (rc) {
        sb_release(&sql);
        return rc;
    }
    rc = audit_batch_begin(&w->batch, s, table, e);
    if (!rc && stream && s->be->copy_begin) {
        char *ins = sb_detach(&sql, NULL);
        rc = ins ? s->be->copy_begin(s->conn, ins, e) : error_set(e, ERR_NOMEM, "out of memory");
        mem_free(ins);
        w->copy = !rc;
    }
    sb_release(&sql);
    if (rc) {
        stmt_finalize(w->ins);
        w->ins = NULL;
        audit_batch_release(&w->batch);
        return rc;
    }
    w->s = s;
    w->open = 1;
    return 0;
}

/* a grouped writer's kept rows and texts, dropped */
static void writer_free_group(struct audit_writer *w)
{
    mem_free(w->pend);
    mem_free(w->sql_tail);
    sb_release(&w->ptext);
    w->pend = NULL;
    w->sql_tail = NULL;
    w->npend = w->cappend = 0;
    w->group = 0;
}

int audit_writer_begin(struct audit_writer *w, struct store *s, const char *table,
                       const char *columns, struct error *e)
{
    return writer_begin(w, s, table, columns, 0, e);
}

int audit_writer_begin_stream(struct audit_writer *w, struct store *s, const char *table,
                              const char *columns, struct error *e)
{
    return writer_begin(w, s, table, columns, 1, e);
}

#define WRITER_GROUP 32 /* rows per many-row INSERT of a grouped writer (fewer if over 999 values) */

int audit_writer_begin_grouped(struct audit_writer *w, struct store *s, const char *table,
                               const char *columns, struct error *e)
{
    struct strbuf sql = STRBUF_INIT;
    int rc = writer_begin(w, s, table, columns, 0, e);
    if (rc) return rc;
    w->group = WRITER_GROUP;
    while (w->group > 1 && w->group * (w->n + 1) > 999) w->group /= 2;
    sb_addf(&sql, "INSERT INTO %s (row_no, %s, log_id) VALUES ", table, columns);
    w->head_len = sql.len;
    sb_adds(&sql, "(?");
    for (size_t i = 1; i <= w->n; i++) sb_adds(&sql, ", ?");
    sb_addch(&sql, ')');
    w->sql_tail = sb_ok(&sql) ? NULL : sb_detach(&sql, NULL);
    sb_release(&sql);
    if (!w->sql_tail) {
        audit_writer_abort(w);
        return error_set(e, ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* Sends the kept rows of a grouped writer: as many `group`-row INSERTs as fit, then the rest
 * in halving groups (16, 8, ..., 1), so a table needs at most six statement texts (kept in the
 * connection's statement cache). */
static int writer_flush(struct audit_writer *w, struct error *e)
{
    size_t r = 0, nv = w->n;
    struct strbuf sql = STRBUF_INIT;
    int rc = 0;
    for (size_t k = 0; k < w->npend * nv; k++)
        if (w->pend[k].type == STORE_TEXT || w->pend[k].type == STORE_BLOB)
            w->pend[k].s = w->ptext.buf + w->pend[k].i;
    while (r < w->npend && !rc) {
        size_t g = w->group;
        struct stmt *st = NULL;
        while (g > w->npend - r) g /= 2;
        sb_reset(&sql);
        sb_add(&sql, w->sql_tail, w->head_len);
        for (size_t q = 0; q < g; q++) {
            if (q) sb_adds(&sql, ", ");
            sb_adds(&sql, w->sql_tail + w->head_len);
        }
        if (sb_ok(&sql)) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            break;
        }
        rc = store_prepare(w->s, sql.buf, &st, e);
        for (size_t q = 0; q < g && !rc; q++) {
            int first = 1 + (int)(q * (nv + 1));
            if (stmt_bind_row(st, first, &w->pend[(r + q) * nv], nv) ||
                stmt_bind_int(st, first + (int)nv, w->batch.seq))
                rc = error_set(e, ERR_STORE, "binding a row of %s failed", w->batch.table);
        }
        if (!rc) {
            int sr = stmt_step(st, e);
            if (sr < 0) rc = sr;
        }
        stmt_finalize(st);
        r += g;
    }
    sb_release(&sql);
    w->npend = 0;
    sb_reset(&w->ptext);
    return rc;
}

int audit_writer_row(struct audit_writer *w, struct error *e)
{
    int rc;
    w->last_row = audit_batch_next_row_no(&w->batch);
    w->v[0] = rv_int(w->last_row);
    if (w->group) {
        struct rowval *p;
        if (w->npend == w->cappend) {
            size_t c = w->cappend ? w->cappend * 2 : w->group;
            p = mem_realloc(w->pend, c * w->n * sizeof *p);
            if (!p) return error_set(e, ERR_NOMEM, "out of memory");
            w->pend = p, w->cappend = c;
        }
        p = &w->pend[w->npend * w->n];
        for (size_t k = 0; k < w->n; k++) {
            p[k] = w->v[k];
            if (p[k].type == STORE_TEXT || p[k].type == STORE_BLOB) {
                p[k].i = (int64_t)w->ptext.len; /* an offset until the flush */
                p[k].s = NULL;
                sb_add(&w->ptext, w->v[k].s, w->v[k].n);
            }
        }
        if (sb_ok(&w->ptext) ||
            audit_batch_add(&w->batch, w->v, w->n))
            return error_set(e, ERR_NOMEM, "out of memory");
        return ++w->npend == w->group ? writer_flush(w, e) : 0;
    }
    if (w->copy) {
        rc = w->s->be->copy_row(w->s->conn, w->v, w->n, w->batch.seq, e);
        if (rc) return rc;
        return audit_batch_add(&w->batch, w->v, w->n) ? error_set(e, ERR_NOMEM, "out of memory")
                                                      : 0;
    }
    rc = stmt_bind_row(w->ins, 1, w->v, w->n);
    if (!rc) rc = stmt_bind_int(w->ins, (int)w->n + 1, w->batch.seq);
    if (rc) return error_set(e, ERR_STORE, "binding a row of %s failed", w->batch.table);
    rc = stmt_step(w->ins, e);
    stmt_reset(w->ins);
    if (rc < 0) return rc;
    return audit_batch_add(&w->batch, w->v, w->n) ? error_set(e, ERR_NOMEM, "out of memory") : 0;
}

int audit_writer_commit(struct audit_writer *w, const char *action, const char *key,
                        const char *detail, struct error *e)
{
    int rc = w->npend ? writer_flush(w, e) : 0;
    stmt_finalize(w->ins);
    w->ins = NULL;
    writer_free_group(w);
    if (rc) {
        w->open = 0;
        audit_batch_release(&w->batch);
        return rc;
    }
    if (w->copy) {
        w->copy = 0;
        rc = w->s->be->copy_end(w->s->conn, 1, e);
        if (rc) {
            w->open = 0;
            audit_batch_release(&w->batch);
            return rc;
        }
    }
    w->open = 0;
    rc = audit_batch_commit(&w->batch, action, key, detail, e);
    return rc;
}

void audit_writer_abort(struct audit_writer *w)
{
    stmt_finalize(w->ins);
    w->ins = NULL;
    writer_free_group(w);
    if (w->copy) w->s->be->copy_end(w->s->conn, 0, NULL);
    w->copy = 0;
    if (w->open) audit_batch_release(&w->batch);
    w->open = 0;
}

/* ------------------------------------------------------------------ verification */

struct ventry {
    int64_t seq;
    char tbl[64];
    int64_t nrows;
    char digest[65];
    int retired;
    struct rowstream rs;
    int64_t count;
    size_t old_lo, old_hi, old_at; /* this entry's superseded rows in the old[] array */
};

struct oldrow {
    int64_t old_log, row_no;
    unsigned char *enc; /* owned by the array's arena */
    size_t len;
};

static int cmp_old(const void *a, const void *b)
{
    const struct oldrow *x = a, *y = b;
    if (x->old_log != y->old_log) return x->old_log < y->old_log ? -1 : 1;
    return (x->row_no > y->row_no) - (x->row_no < y->row_no);
}

static void finding(struct audit_report *r, int64_t seq, const char *fmt, ...) PG_PRINTF(3, 4);
static void finding(struct audit_report *r, int64_t seq, const char *fmt, ...)
{
    va_list ap;
    /* keep the problem of the earliest entry: that is where tampering began */
    if (r->problems++ && !(seq && (r->first.seq == 0 || seq < r->first.seq))) return;
    r->first.seq = seq;
    va_start(ap, fmt);
    vsnprintf(r->first.what, sizeof r->first.what, fmt, ap);
    va_end(ap);
}

static void flush_old(struct ventry *v, const struct oldrow *old, int64_t upto)
{
    while (v->old_at < v->old_hi && old[v->old_at].row_no < upto) {
        rowstream_add(&v->rs, old[v->old_at].enc, old[v->old_at].len);
        v->count++;
        v->old_at++;
    }
}

/* Streams one table and checks every live entry that wrote to it. */
static int verify_table(struct store *s, const char *tbl, struct ventry *ents, size_t nents,
                        struct u64map *byseq, struct audit_report *r, struct error *e)
{
    struct strbuf sql = STRBUF_INIT;
    struct stmt *st = NULL;
    struct oldrow *old = NULL;
    size_t nold = 0, capold = 0;
    struct rowhash rh;
    struct arena oa;
    int rc, log_col;
    rowhash_init(&rh);
    arena_init(&oa, 1 << 16);

    /* superseded rows of this table, grouped by the entry that had written them */
    rc = store_prepare(s, "SELECT old_log, row_no, encoding FROM audit_old WHERE tbl = ?", &st,
                       e);
    if (rc) goto out;
    stmt_bind_text(st, 1, tbl, strlen(tbl));
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        if (nold == capold) {
            size_t cap = capold ? capold * 2 : 64;
            struct oldrow *p = mem_realloc(old, cap * sizeof *p);
            if (!p) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            old = p, capold = cap;
        }
        old[nold].old_log = stmt_int(st, 0);
        old[nold].row_no = stmt_int(st, 1);
        old[nold].len = stmt_len(st, 2);
        old[nold].enc = arena_alloc(&oa, old[nold].len + 1);
        if (!old[nold].enc) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        if (old[nold].len) memcpy(old[nold].enc, stmt_blob(st, 2), old[nold].len);
        nold++;
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) goto out;
    if (nold) qsort(old, nold, sizeof *old, cmp_old);
    for (size_t i = 0; i < nold;) {
        size_t j = i;
        uint64_t *k = u64map_get(byseq, (uint64_t)old[i].old_log);
        while (j < nold && old[j].old_log == old[i].old_log) j++;
        if (k) {
            struct ventry *v = &ents[*k];
            v->old_lo = v->old_at = i;
            v->old_hi = j;
        }
        i = j;
    }

    sb_addf(&sql, "SELECT * FROM %s ORDER BY row_no", tbl);
    if (sb_ok(&sql)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = store_prepare(s, sql.buf, &st, e);
    if (rc) {
        /* the table named by the log is gone: every live entry of it fails */
        for (size_t i = 0; i < nents; i++)
            if (!strcmp(ents[i].tbl, tbl) && !ents[i].retired && ents[i].nrows)
                finding(r, ents[i].seq, "entry %lld wrote to table %s, which no longer exists",
                        (long long)ents[i].seq, tbl);
        rc = 0;
        goto out;
    }
    log_col = find_col(st, "log_id");
    if (log_col < 0) {
        rc = error_set(e, ERR_STORE, "table %s has no log_id column", tbl);
        goto out;
    }
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        int64_t log_id = 0, row_no = stmt_int(st, 0);
        uint64_t *k;
        const unsigned char *enc;
        size_t elen = 0;
        stored_row_encode(st, log_col, &rh, &log_id);
        enc = rowhash_bytes(&rh, &elen);
        r->rows++;
        k = u64map_get(byseq, (uint64_t)log_id);
        if (!k || strcmp(ents[*k].tbl, tbl) || ents[*k].retired) {
            finding(r, log_id > 0 ? log_id : 0,
                    "row %lld of %s claims entry %lld, which %s", (long long)row_no, tbl,
                    (long long)log_id,
                    !k ? "is not in the log (a row added or an entry removed)"
                    : ents[*k].retired ? "was retired by a later import"
                                       : "wrote another table");
            continue;
        }
        flush_old(&ents[*k], old, row_no);
        if (enc) rowstream_add(&ents[*k].rs, enc, elen);
        ents[*k].count++;
    }
    if (rc < 0) goto out;
    rc = 0;
    for (size_t i = 0; i < nents; i++) {
        struct ventry *v = &ents[i];
        unsigned char root[32];
        char hex[65];
        if (strcmp(v->tbl, tbl) || v->retired || !v->nrows) continue;
        flush_old(v, old, INT64_MAX);
        rowstream_root(&v->rs, root);
        hash_hex(root, 32, hex);
        r->batches_checked++;
        if (v->count != v->nrows)
            finding(r, v->seq, "entry %lld (%s): %lld rows logged, %lld found: rows were %s",
                    (long long)v->seq, tbl, (long long)v->nrows, (long long)v->count,
                    v->count < v->nrows ? "deleted" : "added");
        else if (strcmp(hex, v->digest))
            finding(r, v->seq,
                    "entry %lld (%s, %lld rows): the rows no longer match the entry's digest: "
                    "a row was changed",
                    (long long)v->seq, tbl, (long long)v->nrows);
    }
out:
    stmt_finalize(st);
    sb_release(&sql);
    rowhash_release(&rh);
    arena_release(&oa);
    mem_free(old);
    return rc;
}

/* Re-derives the root of what entry `seq` superseded, from audit_old. */
static int check_superseded(struct store *s, int64_t seq, json_t *detail,
                            struct audit_report *r, struct error *e)
{
    struct stmt *st;
    struct merkle mk;
    struct rowhash rh;
    int64_t n = 0;
    unsigned char root[32];
    char hex[65];
    json_t *want_n = json_object_get(detail, "superseded");
    json_t *want_root = json_object_get(detail, "superseded_root");
    int rc;
    if (!want_n) return 0;
    rc = store_prepare(s, "SELECT row_no, old_log, encoding FROM audit_old WHERE seq = ? "
                          "ORDER BY row_no",
                       &st, e);
    if (rc) return rc;
    rowhash_init(&rh);
    merkle_init(&mk);
    stmt_bind_int(st, 1, seq);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        unsigned char leaf[32];
        old_leaf(&rh, stmt_int(st, 0), stmt_int(st, 1), stmt_blob(st, 2), stmt_len(st, 2), leaf);
        merkle_add(&mk, leaf);
        n++;
    }
    stmt_finalize(st);
    rowhash_release(&rh);
    if (rc < 0) return rc;
    merkle_root(&mk, root);
    hash_hex(root, 32, hex);
    if (n != json_integer_value(want_n) || !json_is_string(want_root) ||
        strcmp(hex, json_string_value(want_root)))
        finding(r, seq, "entry %lld: the old row versions it kept (audit_old) were altered",
                (long long)seq);
    return 0;
}

int audit_verify(struct store *s, struct audit_report *r, struct error *e)
{
    struct stmt *st = NULL;
    struct ventry *ents = NULL;
    size_t n = 0, cap = 0;
    struct u64map byseq, retired;
    char prev[65];
    int64_t expect = 1, head_seq = 0;
    char head_hash[65] = "";
    int rc;

    memset(r, 0, sizeof *r);
    u64map_init(&byseq);
    u64map_init(&retired);
    memcpy(prev, zero_hash, 65);
    rc = store_prepare(s, "SELECT seq, at, actor, action, tbl, key, nrows, digest, detail, "
                          "prev, hash FROM audit_log ORDER BY seq",
                       &st, e);
    if (rc) goto out;
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        int64_t seq = stmt_int(st, 0), nrows = stmt_int(st, 6);
        const char *f[11];
        char hash[65];
        json_t *detail;
        for (int i = 0; i < 11; i++) f[i] = stmt_text(st, i);
        r->entries++;
        if (seq != expect)
            finding(r, expect, "entry %lld is missing: the log goes from %lld to %lld "
                               "(entries removed)",
                    (long long)expect, (long long)expect - 1, (long long)seq);
        else if (strcmp(f[9], prev))
            finding(r, seq, "entry %lld does not follow entry %lld: its link to the previous "
                            "hash is broken (an entry was removed, reordered or altered)",
                    (long long)seq, (long long)seq - 1);
        entry_hash(seq, f[1], f[2], f[3], f[4], f[5], nrows, f[7], f[8], f[9], hash);
        if (strcmp(hash, f[10]))
            finding(r, seq, "entry %lld (%s %s %s, %s by %s) was altered: its hash does not "
                            "match its contents",
                    (long long)seq, f[3], f[4], f[5], f[1], f[2]);
        snprintf(prev, sizeof prev, "%s", f[10]);
        expect = seq + 1;
        detail = json_loads(f[8], 0, NULL);
        if (!detail) finding(r, seq, "entry %lld: its detail is not JSON", (long long)seq);
        {
            json_t *a = json_object_get(detail, "retires"), *v;
            size_t i;
            json_array_foreach(a, i, v)
            {
                if (json_is_integer(v) && json_integer_value(v) > 0)
                    u64map_put(&retired, (uint64_t)json_integer_value(v), 1, NULL);
            }
        }
        rc = check_superseded(s, seq, detail, r, e);
        json_decref(detail);
        if (rc) goto out;
        if (n == cap) {
            size_t c = cap ? cap * 2 : 64;
            struct ventry *p = mem_realloc(ents, c * sizeof *p);
            if (!p) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            ents = p, cap = c;
        }
        memset(&ents[n], 0, sizeof ents[n]);
        ents[n].seq = seq;
        snprintf(ents[n].tbl, sizeof ents[n].tbl, "%s", f[4]);
        ents[n].nrows = nrows;
        snprintf(ents[n].digest, sizeof ents[n].digest, "%s", f[7]);
        rowstream_init(&ents[n].rs);
        if (u64map_put(&byseq, (uint64_t)seq, n, NULL) < 0) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        n++;
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) goto out;
    rc = store_prepare(s, "SELECT seq, hash FROM audit_head", &st, e);
    if (rc) goto out;
    if ((rc = stmt_step(st, e)) == STORE_ROW) {
        head_seq = stmt_int(st, 0);
        snprintf(head_hash, sizeof head_hash, "%s", stmt_text(st, 1));
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) goto out;
    if (head_seq != expect - 1 || (n && strcmp(head_hash, prev)))
        finding(r, head_seq > expect - 1 ? expect : head_seq,
                "the log ends at entry %lld but its head records entry %lld: entries were "
                "removed from the end or the head was altered",
                (long long)expect - 1, (long long)head_seq);
    for (size_t i = 0; i < n; i++) {
        if (u64map_get(&retired, (uint64_t)ents[i].seq)) {
            ents[i].retired = 1;
            r->retired++;
        }
    }
    /* content: each table named by an entry, once */
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        if (!ents[i].nrows && !ents[i].retired) continue;
        if (!strcmp(ents[i].tbl, "-")) continue;
        for (size_t j = 0; j < i && !seen; j++)
            seen = (ents[j].nrows || ents[j].retired) && !strcmp(ents[j].tbl, ents[i].tbl);
        if (seen) continue;
        rc = verify_table(s, ents[i].tbl, ents, n, &byseq, r, e);
        if (rc) goto out;
    }
    rc = r->problems ? ERR_VERIFY : 0;
out:
    stmt_finalize(st);
    mem_free(ents);
    u64map_release(&byseq);
    u64map_release(&retired);
    return rc;
}

int audit_log_print(struct store *s, FILE *f, int64_t n, struct error *e)
{
    struct stmt *st;
    int rc = store_prepare(s, "SELECT seq, at, actor, action, tbl, key, nrows, substr(hash, 1, "
                              "12) FROM audit_log WHERE seq > (SELECT coalesce(max(seq), 0) "
                              "FROM audit_log) - ? ORDER BY seq",
                           &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, n > 0 ? n : INT64_MAX / 2);
    fprintf(f, "%6s  %-20s  %-10s  %-10s  %-12s  %10s  %-12s  %s\n", "seq", "at (UTC)", "actor",
            "action", "table", "rows", "hash", "key");
    while ((rc = stmt_step(st, e)) == STORE_ROW)
        fprintf(f, "%6lld  %-20s  %-10s  %-10s  %-12s  %10lld  %-12s  %s\n",
                (long long)stmt_int(st, 0), stmt_text(st, 1), stmt_text(st, 2),
                stmt_text(st, 3), stmt_text(st, 4), (long long)stmt_int(st, 6),
                stmt_text(st, 7), stmt_text(st, 5));
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- audited update and delete */

void store_set_actor(struct store *s, const char *actor)
{
    snprintf(s->actor, sizeof s->actor, "%s", actor ? actor : "");
}

const char *store_actor(const struct store *s)
{
    return s->actor[0] ? s->actor : audit_actor();
}

void sql_quote(struct strbuf *sb, const char *s)
{
    sb_addch(sb, '\'');
    for (; *s; s++) {
        if (*s == '\'') sb_addch(sb, '\'');
        sb_addch(sb, *s);
    }
    sb_addch(sb, '\'');
}

int audit_update_where(struct store *s, const char *table, const char *set, const char *where,
                       const char *action, const char *key, const char *detail, int64_t *n,
                       struct error *e)
{
    struct audit_batch b;
    struct strbuf sql = STRBUF_INIT;
    struct stmt *st = NULL;
    struct rowval v[AUDIT_WRITER_MAXCOLS];
    int64_t count = 0;
    int rc;
    if (n) *n = 0;
    sb_addf(&sql, "SELECT count(*) FROM %s WHERE %s", table, where);
    rc = sb_ok(&sql) ? error_set(e, ERR_NOMEM, "out of memory")
                     : store_query_int(s, sql.buf, 0, &count, e);
    sb_release(&sql);
    if (rc || !count) return rc;
    rc = audit_batch_begin(&b, s, table, e);
    if (rc) return rc;
    rc = audit_batch_supersede(&b, where, e);
    if (!rc) {
        sb_addf(&sql, "UPDATE %s SET %s, log_id = %lld WHERE %s", table, set, (long long)b.seq,
                where);
        rc = sb_ok(&sql) ? error_set(e, ERR_NOMEM, "out of memory") : store_exec(s, sql.buf, e);
        sb_release(&sql);
    }
    if (!rc) {
        sb_addf(&sql, "SELECT * FROM %s WHERE log_id = %lld ORDER BY row_no", table,
                (long long)b.seq);
        rc = sb_ok(&sql) ? error_set(e, ERR_NOMEM, "out of memory") : store_prepare(s, sql.buf, &st, e);
        sb_release(&sql);
    }
    while (!rc) {
        if ((rc = stmt_step(st, e)) != STORE_ROW) break;
        rc = 0;
        size_t k = 0;
        for (int i = 0; i < stmt_ncols(st) && k < AUDIT_WRITER_MAXCOLS; i++) {
            if (!strcmp(stmt_colname(st, i), "log_id")) continue;
            switch (stmt_type(st, i)) {
            case STORE_INT: v[k++] = rv_int(stmt_int(st, i)); break;
            case STORE_DOUBLE: v[k++] = rv_double(stmt_double(st, i)); break;
            case STORE_NULL: v[k++] = rv_null(); break;
            default: v[k++] = rv_text(stmt_text(st, i), stmt_len(st, i)); break;
            }
        }
        if (audit_batch_add(&b, v, k)) rc = error_set(e, ERR_NOMEM, "out of memory");
        else if (n) (*n)++;
    }
    stmt_finalize(st);
    if (rc) {
        audit_batch_release(&b);
        return rc;
    }
    return audit_batch_commit(&b, action, key, detail, e);
}

int audit_delete_where(struct store *s, const char *table, const char *where, const char *action,
                       const char *key, const char *detail, int64_t *n, struct error *e)
{
    struct audit_batch b;
    struct strbuf sql = STRBUF_INIT;
    int64_t count = 0;
    int rc;
    if (n) *n = 0;
    sb_addf(&sql, "SELECT count(*) FROM %s WHERE %s", table, where);
    rc = sb_ok(&sql) ? error_set(e, ERR_NOMEM, "out of memory")
                     : store_query_int(s, sql.buf, 0, &count, e);
    sb_release(&sql);
    if (rc || !count) return rc;
    rc = audit_batch_begin(&b, s, table, e);
    if (rc) return rc;
    rc = audit_batch_supersede(&b, where, e);
    if (!rc) {
        sb_addf(&sql, "DELETE FROM %s WHERE %s", table, where);
        rc = sb_ok(&sql) ? error_set(e, ERR_NOMEM, "out of memory") : store_exec(s, sql.buf, e);
        sb_release(&sql);
    }
    if (rc) {
        audit_batch_release(&b);
        return rc;
    }
    if (n) *n = count;
    return audit_batch_commit(&b, action, key, detail, e);
}
