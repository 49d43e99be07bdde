/*
 * index.c — the registry in memory for the comparison (compare_int.h): one open-addressing
 * table from packed resident IDs to what the rules ask about a member, built once from the
 * store.
 *
 * Layout. A slot is 16 bytes: the packed ID (ids_pack, the 17-digit body; 0 marks an empty
 * slot), the household's row_no, the member's attributes (health code, and copied from the
 * household: registered, category, eligible for the allowance) and the `seen` bits of the
 * "none" rules. Capacity is the power of two that keeps the load at or below 0.7 (a
 * successful lookup then probes about 2 slots on average, mostly in one cache line): for 10
 * million members, 2^24 slots, 256 MiB, asked for in transparent huge pages. Households get
 * 16 bytes each in an array indexed by row_no (village code, attributes, `seen` bits of
 * household-scope "none" rules, where its household_id is in one blob of ids: about 22 bytes
 * per household). A birth date needs no space: it is digits 7–14 of the ID, hence of the key.
 *
 * Loading. Counties (allowance standards) and households first, through the caller's
 * connection; then the members, split by row_no between threads that each open their own
 * read-only connection (when the store's URL is given) and insert with a compare-and-swap
 * on the slot's key — keys are unique (import rejects a duplicate resident ID), so a slot
 * is written by exactly one thread and nobody reads it before the join.
 *
 * Invariants: after cmp_index_load, every member of the store is in exactly one slot and
 * `slots` is never resized; lookups are read-only apart from the atomic `seen` words.
 */
#include "compare_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static int health_code(const char *s)
{
    switch (s[0]) {
    case 'h':
        return HEALTH_HEALTHY;
    case 'c':
        return HEALTH_CHRONIC;
    case 's':
        return HEALTH_SERIOUS;
    case 'd':
        return HEALTH_DISABLED;
    default:
        return HEALTH_UNKNOWN;
    }
}

/* Asks for transparent huge pages on the table (before its pages are touched): every lookup
 * is a random access, and 2 MiB pages spare most TLB misses. Advisory only. */
static void huge_pages(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    uintptr_t lo = ((uintptr_t)p + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1);
    uintptr_t hi = ((uintptr_t)p + n) & ~(uintptr_t)((2u << 20) - 1);
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)p, (void)n;
#endif
}

static int cmp_county_code(const void *a, const void *b)
{
    const struct cmp_county *x = a, *y = b;
    return (x->code > y->code) - (x->code < y->code);
}

const struct cmp_county *cmp_index_county(const struct cmp_index *ix, int code)
{
    size_t lo = 0, hi = ix->ncounties;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ix->counties[mid].code < code)
            lo = mid + 1;
        else if (ix->counties[mid].code > code)
            hi = mid;
        else
            return &ix->counties[mid];
    }
    return NULL;
}

static int load_counties(struct store *s, struct cmp_index *ix, struct error *e)
{
    struct stmt *st = NULL;
    int64_t n = 0;
    int rc = store_query_int(s, "SELECT count(*) FROM counties", 0, &n, e);
    if (rc) return rc;
    ix->counties = mem_calloc((size_t)n + 1, sizeof *ix->counties);
    if (!ix->counties) return error_set(e, ERR_NOMEM, "out of memory");
    rc = store_prepare(s, "SELECT code, name, allowance_standard FROM counties", &st, e);
    if (rc) return rc;
    while ((rc = stmt_step(st, e)) == STORE_ROW && ix->ncounties < (size_t)n) {
        struct cmp_county *c = &ix->counties[ix->ncounties++];
        c->code = (int)stmt_int(st, 0);
        snprintf(c->name, sizeof c->name, "%s", stmt_text(st, 1));
        c->allowance_standard = stmt_double(st, 2);
    }
    stmt_finalize(st);
    if (rc < 0) return rc;
    qsort(ix->counties, ix->ncounties, sizeof *ix->counties, cmp_county_code);
    return 0;
}

static int load_households(struct store *s, struct cmp_index *ix, struct error *e)
{
    struct stmt *st = NULL;
    int64_t maxrow = 0;
    const struct cmp_county *last = NULL;
    int rc = store_query_int(s, "SELECT max(row_no) FROM households", 0, &maxrow, e);
    if (rc) return rc;
    if (maxrow >= (int64_t)UINT32_MAX)
        return error_set(e, ERR_INVALID, "households row numbers exceed 2^32");
    ix->nhh = (size_t)maxrow + 1;
    ix->hh = mem_calloc(ix->nhh, sizeof *ix->hh);
    ix->ids_cap = ix->nhh * 17 + 64;
    ix->ids = mem_alloc(ix->ids_cap);
    if (!ix->hh || !ix->ids) return error_set(e, ERR_NOMEM, "out of memory");
    ix->ids[0] = '\0';
    ix->ids_len = 1; /* offset 0: the empty string */
    rc = store_prepare(s,
                       "SELECT row_no, village, registered, exit_year, returned, income, "
                       "household_id FROM households",
                       &st, e);
    if (rc) return rc;
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        int64_t row = stmt_int(st, 0);
        size_t idn = stmt_len(st, 6);
        struct cmp_hh *h;
        unsigned a = 0;
        int county;
        if (row <= 0 || row >= (int64_t)ix->nhh) continue;
        if (ix->ids_len + idn + 1 > ix->ids_cap) {
            size_t cap = ix->ids_cap * 2 + idn;
            char *p;
            if (cap > UINT32_MAX) cap = UINT32_MAX;
            if (ix->ids_len + idn + 1 > cap || !(p = mem_realloc(ix->ids, cap))) {
                stmt_finalize(st);
                return error_set(e, ERR_NOMEM, "out of memory for household ids");
            }
            ix->ids = p;
            ix->ids_cap = cap;
        }
        h = &ix->hh[row];
        h->id_at = (uint32_t)ix->ids_len;
        memcpy(ix->ids + ix->ids_len, stmt_text(st, 6), idn);
        ix->ids[ix->ids_len + idn] = '\0';
        ix->ids_len += idn + 1;
        h->village = stmt_int(st, 1);
        county = (int)(h->village / 1000000);
        if (stmt_int(st, 2)) {
            int cat = stmt_int(st, 4)                  ? HH_CAT_RETURNED
                      : stmt_type(st, 3) == STORE_NULL ? HH_CAT_UNEXITED
                                                       : HH_CAT_EXITED;
            a |= A_REGISTERED | (unsigned)cat << A_CAT_SHIFT;
            if (!last || last->code != county) last = cmp_index_county(ix, county);
            if (stmt_type(st, 5) != STORE_NULL && last &&
                stmt_double(st, 5) < last->allowance_standard)
                a |= A_ELIGIBLE;
        }
        h->attrs = (uint16_t)a;
        ix->households++;
    }
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

#define BATCH 64

struct loader {
    const struct cmp_index *ix;
    struct store *s; /* borrowed or own connection */
    const char *url; /* open one if s is NULL */
    int64_t lo, hi;  /* members row_no range [lo, hi] */
    size_t inserted;
    int rc;
    struct error e;
};

static void *load_members(void *arg)
{
    struct loader *L = arg;
    const struct cmp_index *ix = L->ix;
    struct store *own = NULL, *s = L->s;
    struct stmt *st = NULL;
    int rc;
    if (!s) {
        rc = store_open(L->url, STORE_READONLY, &own, &L->e);
        if (rc) goto out;
        s = own;
    }
    rc = store_prepare(s,
                       "SELECT resident, household, health FROM members "
                       "WHERE row_no BETWEEN ? AND ?",
                       &st, &L->e);
    if (rc) goto out;
    stmt_bind_int(st, 1, L->lo);
    stmt_bind_int(st, 2, L->hi);
    for (;;) {
        /* a batch of rows, their slots prefetched, then inserted: the table is far larger
         * than the caches, and this hides most of each insert's cache miss */
        uint64_t keys[BATCH];
        uint32_t hhs[BATCH];
        uint16_t attrs[BATCH];
        size_t n = 0;
        while (n < BATCH && (rc = stmt_step(st, &L->e)) == STORE_ROW) {
            uint64_t key = (uint64_t)stmt_int(st, 0);
            int64_t hh = stmt_int(st, 1);
            if (!key || hh <= 0 || hh >= (int64_t)ix->nhh) {
                rc = error_set(&L->e, ERR_INVALID,
                               "members table: a member without a valid household (row %lld)",
                               (long long)hh);
                goto out;
            }
            keys[n] = key;
            hhs[n] = (uint32_t)hh;
            attrs[n] = (uint16_t)((unsigned)health_code(stmt_text(st, 2)) | ix->hh[hh].attrs);
            __builtin_prefetch(&ix->slots[(key * 0x9E3779B97F4A7C15ULL) >> (64 - ix->bits)], 1);
            n++;
        }
        if (rc < 0) goto out;
        for (size_t k = 0; k < n; k++) {
            size_t i = (size_t)((keys[k] * 0x9E3779B97F4A7C15ULL) >> (64 - ix->bits));
            for (;;) {
                uint64_t expect = 0;
                struct cmp_slot *sl = &ix->slots[i];
                if (atomic_compare_exchange_strong_explicit(
                        &sl->key, &expect, keys[k], memory_order_relaxed, memory_order_relaxed)) {
                    sl->hh = hhs[k];
                    sl->attrs = attrs[k];
                    L->inserted++;
                    break;
                }
                if (expect == keys[k]) break; /* cannot happen: import rejects duplicates */
                i = (i + 1) & ix->mask;
            }
        }
        if (rc != STORE_ROW) break;
    }
    if (rc > 0) rc = 0;
out:
    stmt_finalize(st);
    store_close(own);
    L->rc = rc;
    return NULL;
}

int cmp_index_load(struct store *s, const char *db_url, int threads, struct cmp_index *ix,
                   struct error *e)
{
    struct loader L[16];
    pthread_t tid[16];
    int started[16] = {0};
    int64_t nmem = 0, maxrow = 0, minrow = 0;
    size_t cap = 1024;
    int bits = 10, rc, nt;
    memset(ix, 0, sizeof *ix);
    rc = load_counties(s, ix, e);
    if (!rc) rc = load_households(s, ix, e);
    if (!rc) rc = store_query_int(s, "SELECT count(*) FROM members", 0, &nmem, e);
    if (!rc) rc = store_query_int(s, "SELECT min(row_no) FROM members", 0, &minrow, e);
    if (!rc) rc = store_query_int(s, "SELECT max(row_no) FROM members", 0, &maxrow, e);
    if (rc) goto out;
    while ((double)cap * 0.7 < (double)nmem) cap <<= 1, bits++;
    ix->cap = cap;
    ix->mask = cap - 1;
    ix->bits = bits;
    ix->slots = mem_calloc(cap, sizeof *ix->slots);
    if (!ix->slots) {
        rc = error_set(e, ERR_NOMEM, "out of memory for the registry index (%zu slots)", cap);
        goto out;
    }
    huge_pages(ix->slots, cap * sizeof *ix->slots);
    nt = db_url && threads > 1 && nmem > 200000 ? (threads > 16 ? 16 : threads) : 1;
    memset(L, 0, sizeof L);
    for (int t = 0; t < nt; t++) {
        int64_t span = maxrow - minrow + 1;
        L[t].ix = ix;
        L[t].s = nt == 1 ? s : NULL;
        L[t].url = db_url;
        L[t].lo = minrow + span * t / nt;
        L[t].hi = minrow + span * (t + 1) / nt - 1;
    }
    if (nt == 1) {
        load_members(&L[0]);
    } else {
        for (int t = 0; t < nt; t++) {
            if (pthread_create(&tid[t], NULL, load_members, &L[t])) {
                L[t].rc = error_set(&L[t].e, ERR_INTERNAL, "cannot start a thread");
                continue;
            }
            started[t] = 1;
        }
        for (int t = 0; t < nt; t++)
            if (started[t]) pthread_join(tid[t], NULL);
    }
    for (int t = 0; t < nt; t++) {
        if (L[t].rc && !rc) {
            rc = L[t].rc;
            *e = L[t].e;
        }
        ix->nmembers += L[t].inserted;
    }
out:
    if (rc) cmp_index_release(ix);
    return rc;
}

void cmp_index_release(struct cmp_index *ix)
{
    mem_free(ix->slots);
    mem_free(ix->hh);
    mem_free(ix->ids);
    mem_free(ix->counties);
    memset(ix, 0, sizeof *ix);
}
