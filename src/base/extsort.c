/*
 * extsort.c — external sort of fixed-size records (base.h struct extsort), in bounded memory.
 *
 * Records (64-bit key, two 32-bit payloads) fill a buffer; a full buffer is sorted by key
 * with an LSD radix sort (stable, so equal keys keep their insertion order; byte passes
 * whose digit is the same in every record are skipped) and written to an unlinked temporary
 * file as one run. extsort_next merges the runs (a linear scan over the run heads: runs are
 * few) reading each through a small buffer. A single run never touches the disk.
 *
 * Memory: the buffer, its radix scratch of the same size, and a read buffer per run.
 * Invariant: records come out in (key, insertion order) order.
 */
#include "base.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define READ_RECS 4096 /* per run while merging */

struct run {
    long offset;   /* first record in the temp file */
    size_t n, pos; /* records, next to read */
    struct xrec *buf;
    size_t have, at; /* buffered records and the next one */
};

struct extsort {
    struct xrec *buf, *scratch;
    size_t cap, n;
    FILE *tmp;
    struct run *runs;
    size_t nruns, capruns;
    int merging;
    size_t mem_pos; /* single-run mode: next record of buf */
};

static void radix(struct xrec *a, struct xrec *tmp, size_t n)
{
    struct xrec *src = a, *dst = tmp, *t;
    for (int shift = 0; shift < 64; shift += 8) {
        size_t count[256] = {0}, pos[256];
        for (size_t i = 0; i < n; i++) count[(src[i].key >> shift) & 255]++;
        if (count[(src[0].key >> shift) & 255] == n) continue; /* one digit: nothing to do */
        pos[0] = 0;
        for (int d = 1; d < 256; d++) pos[d] = pos[d - 1] + count[d - 1];
        for (size_t i = 0; i < n; i++) dst[pos[(src[i].key >> shift) & 255]++] = src[i];
        t = src, src = dst, dst = t;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
}

int extsort_new(size_t mem_bytes, struct extsort **out, struct error *e)
{
    struct extsort *x = mem_calloc(1, sizeof *x);
    *out = NULL;
    if (!x) return error_set(e, ERR_NOMEM, "out of memory");
    x->cap = mem_bytes / (2 * sizeof(struct xrec));
    if (x->cap < 1024) x->cap = 1024;
    x->buf = mem_alloc(x->cap * sizeof *x->buf);
    x->scratch = mem_alloc(x->cap * sizeof *x->scratch);
    if (!x->buf || !x->scratch) {
        extsort_free(x);
        return error_set(e, ERR_NOMEM, "out of memory");
    }
    *out = x;
    return 0;
}

static int spill(struct extsort *x)
{
    struct run *r;
    if (!x->tmp && !(x->tmp = tmpfile())) return ERR_IO;
    if (x->nruns == x->capruns) {
        size_t cap = x->capruns ? x->capruns * 2 : 8;
        struct run *p = mem_realloc(x->runs, cap * sizeof *p);
        if (!p) return ERR_NOMEM;
        x->runs = p, x->capruns = cap;
    }
    radix(x->buf, x->scratch, x->n);
    r = &x->runs[x->nruns++];
    memset(r, 0, sizeof *r);
    if (fseek(x->tmp, 0, SEEK_END)) return ERR_IO;
    r->offset = ftell(x->tmp);
    r->n = x->n;
    if (fwrite(x->buf, sizeof *x->buf, x->n, x->tmp) != x->n) return ERR_IO;
    x->n = 0;
    return 0;
}

int extsort_add(struct extsort *x, uint64_t key, uint32_t a, uint32_t b)
{
    if (x->n == x->cap) {
        int rc = spill(x);
        if (rc) return rc;
    }
    x->buf[x->n].key = key;
    x->buf[x->n].a = a;
    x->buf[x->n].b = b;
    x->n++;
    return 0;
}

int extsort_finish(struct extsort *x, struct error *e)
{
    int rc;
    x->merging = 1;
    if (!x->nruns) { /* everything fits: sort in memory */
        if (x->n) radix(x->buf, x->scratch, x->n);
        x->mem_pos = 0;
        return 0;
    }
    if (x->n && (rc = spill(x)))
        return error_set(e, rc, "sorting to a temporary file failed: %s", strerror(errno));
    if (fflush(x->tmp)) return error_set(e, ERR_IO, "temporary file: %s", strerror(errno));
    mem_free(x->scratch);
    x->scratch = NULL;
    for (size_t i = 0; i < x->nruns; i++) {
        x->runs[i].buf = mem_alloc(READ_RECS * sizeof(struct xrec));
        if (!x->runs[i].buf) return error_set(e, ERR_NOMEM, "out of memory");
    }
    return 0;
}

static int run_head(struct extsort *x, struct run *r, struct xrec **out)
{
    if (r->at == r->have) {
        size_t want = r->n - r->pos < READ_RECS ? r->n - r->pos : READ_RECS;
        if (!want) return 0;
        if (fseek(x->tmp, r->offset + (long)(r->pos * sizeof(struct xrec)), SEEK_SET) ||
            fread(r->buf, sizeof(struct xrec), want, x->tmp) != want)
            return ERR_IO;
        r->pos += want;
        r->have = want;
        r->at = 0;
    }
    *out = &r->buf[r->at];
    return 1;
}

int extsort_next(struct extsort *x, struct xrec *out)
{
    struct xrec *best = NULL;
    size_t bi = 0;
    if (!x->nruns) {
        if (x->mem_pos >= x->n) return 0;
        *out = x->buf[x->mem_pos++];
        return 1;
    }
    for (size_t i = 0; i < x->nruns; i++) { /* runs are in insertion order: ties go left */
        struct xrec *h;
        int rc = run_head(x, &x->runs[i], &h);
        if (rc < 0) return rc;
        if (rc && (!best || h->key < best->key)) best = h, bi = i;
    }
    if (!best) return 0;
    *out = *best;
    x->runs[bi].at++;
    return 1;
}

void extsort_free(struct extsort *x)
{
    if (!x) return;
    if (x->tmp) fclose(x->tmp);
    for (size_t i = 0; i < x->nruns; i++) mem_free(x->runs[i].buf);
    mem_free(x->runs);
    mem_free(x->buf);
    mem_free(x->scratch);
    mem_free(x);
}
