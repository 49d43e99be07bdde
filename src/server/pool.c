/*
 * pool.c — the server's store connections (store.h: a connection is never used by two threads
 * at once), two ways:
 *  - lent per call (store_pool_borrow/return): the main listener runs a thread per HTTP
 *    connection (http.c), so a request borrows a connection for its handler call and gives it
 *    back; at most max_lent are out at once (the others wait), so a thousand phones syncing
 *    cost at most max_lent SQLite connections or PostgreSQL backends;
 *  - kept by a thread (store_pool_get): the writer queue's thread (batch.c) and the household
 *    query's pool threads (public.c) open theirs on first use and keep it.
 * The pool remembers every connection it opened and closes them all at shutdown, after its
 * daemon has stopped (no request running). A process runs one listener, so one thread-local
 * slot serves.
 */
#include "server_int.h"

static __thread struct store *thread_conn;

void store_pool_init(struct store_pool *p, const char *db)
{
    memset(p, 0, sizeof *p);
    p->db = db;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->freed, NULL);
}

/* A new connection, remembered by the pool (NULL, e set). */
static struct store *open_one(struct store_pool *p, struct error *e)
{
    struct store *s = NULL;
    if (store_open(p->db, 0, &s, e)) return NULL;
    if (p->manual_wal && store_wal_manual(s, e)) {
        store_close(s);
        return NULL;
    }
    pthread_mutex_lock(&p->lock);
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 8;
        struct store **ns = mem_realloc(p->stores, nc * sizeof *ns);
        struct store **ni = ns ? mem_realloc(p->idle, nc * sizeof *ni) : NULL;
        if (ns) p->stores = ns;
        if (ni) p->idle = ni, p->cap = nc;
    }
    if (p->n < p->cap) p->stores[p->n++] = s;
    else {
        store_close(s);
        s = NULL;
        error_set(e, ERR_NOMEM, "out of memory");
    }
    pthread_mutex_unlock(&p->lock);
    return s;
}

struct store *store_pool_get(struct store_pool *p, struct error *e)
{
    /* a PostgreSQL connection the database dropped is made again here; while the database is
     * down the request is refused (503) rather than failed (docs/scale.md) */
    if (thread_conn) return store_reconnect(thread_conn, e) ? NULL : thread_conn;
    return thread_conn = open_one(p, e);
}

struct store *store_pool_borrow(struct store_pool *p, struct error *e)
{
    struct store *s = NULL;
    pthread_mutex_lock(&p->lock);
    while (!p->nidle && p->max_lent && p->lent >= p->max_lent)
        pthread_cond_wait(&p->freed, &p->lock);
    if (p->nidle) s = p->idle[--p->nidle];
    p->lent++;
    pthread_mutex_unlock(&p->lock);
    if (!s && !(s = open_one(p, e))) {
        pthread_mutex_lock(&p->lock);
        p->lent--;
        pthread_cond_signal(&p->freed);
        pthread_mutex_unlock(&p->lock);
        return NULL;
    }
    if (store_reconnect(s, e)) { /* as store_pool_get: 503 while the database is down */
        store_pool_return(p, s);
        return NULL;
    }
    return s;
}

void store_pool_return(struct store_pool *p, struct store *s)
{
    if (!s) return;
    store_set_actor(s, NULL);
    pthread_mutex_lock(&p->lock);
    p->idle[p->nidle++] = s; /* room: idle has cap places, and each connection is here once */
    p->lent--;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}

void store_pool_close(struct store_pool *p)
{
    for (size_t i = 0; i < p->n; i++) store_close(p->stores[i]);
    mem_free(p->stores);
    mem_free(p->idle);
    p->stores = p->idle = NULL;
    p->n = p->cap = p->nidle = p->lent = 0;
    pthread_cond_destroy(&p->freed);
    pthread_mutex_destroy(&p->lock);
}
