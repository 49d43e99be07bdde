/*
 * loader.c — pipelined audited bulk inserts (store.h struct loader).
 *
 * Two threads, one connection, never at the same time: between loader_start and
 * loader_finish only the writer thread touches the store. The caller's thread parses and
 * validates its input and calls loader_row, which copies the row's values into the block
 * being filled and writes the row's canonical encoding (the bytes rowval_encode gives, written
 * straight into the block: no scratch buffer, no second copy) after the previous row's; a
 * text value is bound from its bytes inside that encoding, referenced by offset until
 * hand-off (the text is copied once, not twice). Full blocks go to the writer through
 * a ring of NBLOCKS blocks (while the writer inserts one, the reader fills the next; 16
 * rather than 4 let each thread run ahead when the other is descheduled on a shared machine);
 * the writer binds the rows GROUP_ROWS at a time into one many-row INSERT (one statement
 * execution per group instead of per row: issue 9 item 23 measured ~0.5 s CPU of 5.5 at 2 M
 * members). The reader feeds each row's encoding to the batch's row stream as it writes it,
 * in order, so the batch digest is exactly what audit_batch_add would have produced; it runs
 * there, not on the writer, since the writer's inserts (with the indexes kept during a load,
 * store_bulk_begin) became the longer of the two threads' work (10 M members: 13.8 -> 12.9 s).
 * While loading, only the reader touches the batch (the writer reads its seq and table).
 *
 * Invariants: blocks move free -> filling (reader) -> full (queue) -> writing (writer) ->
 * free; a block is touched by one thread at a time; rows keep their order.
 */
#include "store_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define NBLOCKS 16
#define BLOCK_ROWS 4096
#define GROUP_ROWS 128 /* rows per INSERT statement (fewer beyond SQLite's parameter limit) */

struct lblock {
    size_t n;              /* rows */
    struct rowval *vals;   /* n × nvals; text values: s = NULL, i = offset into enc */
    unsigned char *enc;
    size_t enclen, enccap;
    size_t *encoff; /* n + 1 offsets into enc */
    int last;       /* the end marker: no rows, the writer stops */
};

struct loader {
    struct store *s;
    struct audit_batch *b;
    struct stmt *ins;    /* INSERT of one row */
    struct stmt *multi;  /* INSERT of `group` rows (VALUES (...), (...), ...), or NULL */
    size_t group;
    size_t nvals;
    struct lblock blocks[NBLOCKS];
    int fullq[NBLOCKS], nfull, freeq[NBLOCKS], nfree; /* FIFOs of block indices */
    int filling;                                     /* block the reader fills, or -1 */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int started;
    int copy;            /* rows go through the backend's copy stream (PostgreSQL COPY) */
    atomic_int failed;   /* the writer hit an error */
    const char *defer[LOADER_DEFER]; /* indexes to drop before the next block (under mu) */
    int ndefer, ndeferred;
    struct error err;    /* its first error */
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t c = *cap ? *cap : 4096;
    void *q;
    if (need <= *cap) return 0;
    while (c < need) c *= 2;
    q = mem_realloc(*p, c * elem);
    if (!q) return ERR_NOMEM;
    *p = q;
    *cap = c;
    return 0;
}

/* Binds row r of block bl (its text pointed into the block's encodings) at parameter first. */
static int bind_one(struct loader *l, struct stmt *st, int first, struct lblock *bl, size_t r)
{
    struct rowval *v = &bl->vals[r * l->nvals];
    for (size_t k = 0; k < l->nvals; k++)
        if (v[k].type == STORE_TEXT || v[k].type == STORE_BLOB)
            v[k].s = (const char *)bl->enc + v[k].i;
    if (stmt_bind_row(st, first, v, l->nvals) ||
        stmt_bind_int(st, first + (int)l->nvals, l->b->seq))
        return error_set(&l->err, ERR_STORE, "binding a row of %s failed", l->b->table);
    return 0;
}

static int write_block(struct loader *l, struct lblock *bl)
{
    size_t r = 0;
    if (l->copy) {
        for (; r < bl->n; r++) {
            struct rowval *v = &bl->vals[r * l->nvals];
            int rc;
            for (size_t k = 0; k < l->nvals; k++)
                if (v[k].type == STORE_TEXT || v[k].type == STORE_BLOB)
                    v[k].s = (const char *)bl->enc + v[k].i;
            rc = l->s->be->copy_row(l->s->conn, v, l->nvals, l->b->seq, &l->err);
            if (rc) return rc;
        }
        return 0;
    }
    /* groups of l->group rows through the many-row INSERT, the rest one by one */
    while (r < bl->n) {
        size_t g = l->multi && bl->n - r >= l->group ? l->group : 1;
        struct stmt *st = g > 1 ? l->multi : l->ins;
        int rc = 0;
        for (size_t q = 0; q < g && !rc; q++)
            rc = bind_one(l, st, 1 + (int)(q * (l->nvals + 1)), bl, r + q);
        if (rc) return rc;
        rc = stmt_step(st, &l->err);
        stmt_reset(st);
        if (rc < 0) return rc;
        r += g;
    }
    return 0;
}

static void *writer(void *arg)
{
    struct loader *l = arg;
    for (;;) {
        int i, rc = 0, last, nd;
        const char *defer[LOADER_DEFER];
        pthread_mutex_lock(&l->mu);
        while (!l->nfull) pthread_cond_wait(&l->cv, &l->mu);
        i = l->fullq[0];
        memmove(l->fullq, l->fullq + 1, (size_t)--l->nfull * sizeof l->fullq[0]);
        nd = l->ndefer;
        memcpy(defer, l->defer, sizeof defer);
        l->ndefer = 0;
        pthread_mutex_unlock(&l->mu);
        /* before the next block's rows (a drop is right at any moment: the index is rebuilt
         * from the table at the end) */
        for (int k = 0; k < nd && !rc && !l->failed; k++)
            rc = store_bulk_defer_index(l->s, defer[k], &l->err);
        last = l->blocks[i].last;
        if (!last && !l->failed && !rc) rc = write_block(l, &l->blocks[i]);
        pthread_mutex_lock(&l->mu);
        if (rc && !l->failed) l->failed = 1;
        l->blocks[i].n = l->blocks[i].enclen = 0;
        l->freeq[l->nfree++] = i;
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
        if (last) return NULL;
    }
}

/* The many-row form of sql ("INSERT INTO t (...) VALUES (?, ...)"): its VALUES tuple
 * repeated GROUP_ROWS times, or fewer: within SQLite's limit on parameters (32,766 since 3.32;
 * a build with a lower limit fails to prepare it, and half as many rows are tried). One
 * statement per group instead of per row: the per-statement work (step, halt, reset) is
 * shared (issue 9 item 23: 1 -> 32 rows took 10 % off the import's CPU; 32 -> 128 another
 * 3 % of its wall time at 10 M members). Without a many-row form (group 1), rows go one by
 * one through the single-row INSERT. */
static int prepare_multi(struct loader *l, const char *sql, struct error *e)
{
    const char *tuple = strstr(sql, "VALUES (");
    l->group = tuple ? GROUP_ROWS : 1;
    if (!tuple) return 0;
    tuple += strlen("VALUES ");
    while (l->group > 1 && l->group * (l->nvals + 1) > 32766) l->group /= 2;
    for (; l->group > 1; l->group /= 2) {
        struct strbuf m = STRBUF_INIT;
        int rc;
        sb_adds(&m, sql);
        for (size_t g = 1; g < l->group; g++) sb_addf(&m, ", %s", tuple);
        rc = sb_ok(&m) ? error_set(e, ERR_NOMEM, "out of memory")
                       : store_prepare(l->s, m.buf, &l->multi, e);
        sb_release(&m);
        if (rc == ERR_NOMEM) return rc;
        if (!rc) break;
        l->multi = NULL; /* too many parameters for this build: half as many rows */
    }
    return 0;
}

int loader_start(struct store *s, struct audit_batch *b, const char *sql, size_t nvals,
                 struct loader **out, struct error *e)
{
    struct loader *l = mem_calloc(1, sizeof *l);
    int rc;
    *out = NULL;
    if (!l) return error_set(e, ERR_NOMEM, "out of memory");
    l->s = s;
    l->b = b;
    l->nvals = nvals;
    for (int i = 0; i < NBLOCKS; i++) {
        l->blocks[i].vals = mem_alloc(BLOCK_ROWS * nvals * sizeof(struct rowval));
        l->blocks[i].encoff = mem_alloc((BLOCK_ROWS + 1) * sizeof(size_t));
        if (!l->blocks[i].vals || !l->blocks[i].encoff) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto fail;
        }
        l->freeq[l->nfree++] = i;
    }
    l->filling = -1;
    l->copy = s->be->copy_begin != NULL;
    rc = l->copy ? s->be->copy_begin(s->conn, sql, e) : store_prepare(s, sql, &l->ins, e);
    if (rc) goto fail;
    if (!l->copy) {
        rc = prepare_multi(l, sql, e);
        if (rc) goto fail;
    }
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    if (pthread_create(&l->thread, NULL, writer, l)) {
        rc = error_set(e, ERR_INTERNAL, "cannot start the writer thread");
        if (l->copy) s->be->copy_end(s->conn, 0, NULL);
        pthread_mutex_destroy(&l->mu);
        pthread_cond_destroy(&l->cv);
        goto fail;
    }
    l->started = 1;
    *out = l;
    return 0;
fail:
    stmt_finalize(l->ins);
    stmt_finalize(l->multi);
    for (int i = 0; i < NBLOCKS; i++) {
        mem_free(l->blocks[i].vals);
        mem_free(l->blocks[i].encoff);
    }
    mem_free(l);
    return rc;
}

/* Hands the filling block (or an end marker) to the writer. */
static void hand_over(struct loader *l, int last)
{
    pthread_mutex_lock(&l->mu);
    if (last && l->filling < 0) {
        while (!l->nfree) pthread_cond_wait(&l->cv, &l->mu);
        l->filling = l->freeq[0];
        memmove(l->freeq, l->freeq + 1, (size_t)--l->nfree * sizeof l->freeq[0]);
        l->blocks[l->filling].n = 0;
    }
    if (l->filling >= 0) {
        l->blocks[l->filling].last = last;
        l->fullq[l->nfull++] = l->filling;
        l->filling = -1;
        pthread_cond_broadcast(&l->cv);
    }
    pthread_mutex_unlock(&l->mu);
}

/* Little-endian bytes of u, as hash.c's rowhash_int/rowhash_double write them. */
static unsigned char *put_le(unsigned char *o, uint64_t u, int nbytes)
{
    for (int i = 0; i < nbytes; i++) *o++ = (unsigned char)(u >> (8 * i));
    return o;
}

int loader_row(struct loader *l, const struct rowval *vals)
{
    struct lblock *bl;
    unsigned char *o;
    size_t need = 0;
    if (l->failed) return ERR_STORE;
    if (l->filling < 0) {
        pthread_mutex_lock(&l->mu);
        while (!l->nfree) pthread_cond_wait(&l->cv, &l->mu);
        l->filling = l->freeq[0];
        memmove(l->freeq, l->freeq + 1, (size_t)--l->nfree * sizeof l->freeq[0]);
        pthread_mutex_unlock(&l->mu);
        l->blocks[l->filling].last = 0;
    }
    bl = &l->blocks[l->filling];
    /* rowval_encode's bytes (hash.c rowhash_*): 'I' or 'D' and 8 bytes, 'N', or 'T', a
     * 4-byte length and the bytes. audit_verify re-encodes every stored row with rowval_encode,
     * so a byte of difference fails test_registry (clean_import_and_roundtrip) and t_audit */
    for (size_t k = 0; k < l->nvals; k++)
        need += vals[k].type == STORE_TEXT || vals[k].type == STORE_BLOB ? 5 + vals[k].n
                : vals[k].type == STORE_NULL                              ? 1
                                                                          : 9;
    if (grow((void **)&bl->enc, &bl->enccap, bl->enclen + need, 1)) return ERR_NOMEM;
    bl->encoff[bl->n] = bl->enclen;
    o = bl->enc + bl->enclen;
    for (size_t k = 0; k < l->nvals; k++) {
        struct rowval *v = &bl->vals[bl->n * l->nvals + k];
        uint64_t u;
        double d;
        *v = vals[k];
        switch (v->type) {
        case STORE_INT:
            *o++ = 'I';
            o = put_le(o, (uint64_t)v->i, 8);
            break;
        case STORE_DOUBLE:
            d = v->d == 0 ? 0 : v->d; /* -0.0 and 0.0 encode alike */
            memcpy(&u, &d, 8);
            *o++ = 'D';
            o = put_le(o, u, 8);
            break;
        case STORE_TEXT:
        case STORE_BLOB:
            *o++ = 'T';
            o = put_le(o, (uint32_t)v->n, 4);
            if (v->n) memcpy(o, vals[k].s, v->n);
            v->i = (int64_t)(o - bl->enc);
            v->s = NULL;
            o += v->n;
            break;
        case STORE_NULL:
            *o++ = 'N';
            break;
        }
    }
    bl->enclen = (size_t)(o - bl->enc);
    bl->encoff[bl->n + 1] = bl->enclen;
    audit_batch_add_encoded(l->b, bl->enc + bl->encoff[bl->n], need);
    if (++bl->n == BLOCK_ROWS) hand_over(l, 0);
    return 0;
}

void loader_defer_index(struct loader *l, const char *name)
{
    if (l->ndeferred == LOADER_DEFER) return;
    l->ndeferred++; /* the reader's own count */
    pthread_mutex_lock(&l->mu);
    l->defer[l->ndefer++] = name;
    pthread_mutex_unlock(&l->mu);
}

int loader_finish(struct loader *l, struct error *e)
{
    int rc;
    if (!l) return 0;
    hand_over(l, 0);
    hand_over(l, 1);
    pthread_join(l->thread, NULL);
    rc = l->failed ? (l->err.code ? l->err.code : ERR_STORE) : 0;
    if (rc && e) *e = l->err;
    if (l->copy) { /* the stream ends on this thread, after the writer's last row */
        int rc2 = l->s->be->copy_end(l->s->conn, !rc, rc ? NULL : e);
        if (!rc) rc = rc2;
    }
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    stmt_finalize(l->ins);
    stmt_finalize(l->multi);
    for (int i = 0; i < NBLOCKS; i++) {
        mem_free(l->blocks[i].vals);
        mem_free(l->blocks[i].encoff);
        mem_free(l->blocks[i].enc);
    }
    mem_free(l);
    return rc;
}
