/*
 * loader.c — pipelined audited bulk inserts (store.h struct loader).
 *
 * Two threads, one connection, never at the same time: between loader_start and
 * loader_finish only the writer thread touches the store. The caller's thread parses and
 * validates its input and calls loader_row, which copies the row's values into the block
 * being filled (text into the block's own buffer, referenced by offset until hand-off) and
 * appends the row's canonical encoding (rowval_encode). Full blocks go to the writer through
 * a small ring (NBLOCKS blocks: while the writer inserts one, the reader fills the next);
 * the writer binds and steps each row and feeds its encoding to the batch's row stream, in
 * order, so the batch digest is exactly what audit_batch_add would have produced.
 *
 * Invariants: blocks move free -> filling (reader) -> full (queue) -> writing (writer) ->
 * free; a block is touched by one thread at a time; rows keep their order.
 */
#include "store_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define NBLOCKS 4
#define BLOCK_ROWS 4096

struct lblock {
    size_t n;              /* rows */
    struct rowval *vals;   /* n × nvals; text values: s = NULL, i = offset into text */
    char *text;
    size_t textlen, textcap;
    unsigned char *enc;
    size_t enclen, enccap;
    size_t *encoff; /* n + 1 offsets into enc */
    int last;       /* the end marker: no rows, the writer stops */
};

struct loader {
    struct store *s;
    struct audit_batch *b;
    struct stmt *ins;
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
    struct error err;    /* its first error */
    struct rowhash rh;   /* reader's encoding scratch */
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

static int write_block(struct loader *l, struct lblock *bl)
{
    for (size_t r = 0; r < bl->n; r++) {
        struct rowval *v = &bl->vals[r * l->nvals];
        int rc = 0;
        for (size_t k = 0; k < l->nvals; k++)
            if (v[k].type == STORE_TEXT || v[k].type == STORE_BLOB) v[k].s = bl->text + v[k].i;
        if (l->copy) {
            rc = l->s->be->copy_row(l->s->conn, v, l->nvals, l->b->seq, &l->err);
            if (rc) return rc;
            audit_batch_add_encoded(l->b, bl->enc + bl->encoff[r],
                                    bl->encoff[r + 1] - bl->encoff[r]);
            continue;
        }
        rc = stmt_bind_row(l->ins, 1, v, l->nvals);
        if (!rc) rc = stmt_bind_int(l->ins, (int)l->nvals + 1, l->b->seq);
        if (rc) return error_set(&l->err, ERR_STORE, "binding a row of %s failed", l->b->table);
        rc = stmt_step(l->ins, &l->err);
        stmt_reset(l->ins);
        if (rc < 0) return rc;
        audit_batch_add_encoded(l->b, bl->enc + bl->encoff[r], bl->encoff[r + 1] - bl->encoff[r]);
    }
    return 0;
}

static void *writer(void *arg)
{
    struct loader *l = arg;
    for (;;) {
        int i, rc = 0, last;
        pthread_mutex_lock(&l->mu);
        while (!l->nfull) pthread_cond_wait(&l->cv, &l->mu);
        i = l->fullq[0];
        memmove(l->fullq, l->fullq + 1, (size_t)--l->nfull * sizeof l->fullq[0]);
        pthread_mutex_unlock(&l->mu);
        last = l->blocks[i].last;
        if (!last && !l->failed) rc = write_block(l, &l->blocks[i]);
        pthread_mutex_lock(&l->mu);
        if (rc && !l->failed) l->failed = 1;
        l->blocks[i].n = l->blocks[i].textlen = l->blocks[i].enclen = 0;
        l->freeq[l->nfree++] = i;
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
        if (last) return NULL;
    }
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
    rowhash_init(&l->rh);
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
    for (int i = 0; i < NBLOCKS; i++) {
        mem_free(l->blocks[i].vals);
        mem_free(l->blocks[i].encoff);
    }
    rowhash_release(&l->rh);
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

int loader_row(struct loader *l, const struct rowval *vals)
{
    struct lblock *bl;
    const unsigned char *enc;
    size_t len;
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
    if (rowval_encode(vals, l->nvals, &l->rh) || !(enc = rowhash_bytes(&l->rh, &len)))
        return ERR_NOMEM;
    if (grow((void **)&bl->enc, &bl->enccap, bl->enclen + len, 1)) return ERR_NOMEM;
    bl->encoff[bl->n] = bl->enclen;
    memcpy(bl->enc + bl->enclen, enc, len);
    bl->enclen += len;
    bl->encoff[bl->n + 1] = bl->enclen;
    for (size_t k = 0; k < l->nvals; k++) {
        struct rowval *v = &bl->vals[bl->n * l->nvals + k];
        *v = vals[k];
        if (v->type == STORE_TEXT || v->type == STORE_BLOB) {
            if (grow((void **)&bl->text, &bl->textcap, bl->textlen + v->n + 1, 1))
                return ERR_NOMEM;
            memcpy(bl->text + bl->textlen, vals[k].s, v->n);
            v->i = (int64_t)bl->textlen;
            v->s = NULL;
            bl->textlen += v->n;
        }
    }
    if (++bl->n == BLOCK_ROWS) hand_over(l, 0);
    return 0;
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
    for (int i = 0; i < NBLOCKS; i++) {
        mem_free(l->blocks[i].vals);
        mem_free(l->blocks[i].encoff);
        mem_free(l->blocks[i].text);
        mem_free(l->blocks[i].enc);
    }
    rowhash_release(&l->rh);
    mem_free(l);
    return rc;
}
