/*
 * pool.c — one store connection per server thread (store.h: a connection is never shared
 * between threads), for both listeners: the main server (http.c) and the household query's
 * (public.c). A thread opens its connection on first use and keeps it; the pool remembers
 * every connection so the listener closes them all at shutdown, after its daemon has stopped
 * (no request running). A process runs one listener, so one thread-local slot serves.
 */
#include "server_int.h"

static __thread struct store *thread_conn;

void store_pool_init(struct store_pool *p, const char *db)
{
    memset(p, 0, sizeof *p);
    p->db = db;
    pthread_mutex_init(&p->lock, NULL);
}

struct store *store_pool_get(struct store_pool *p, struct error *e)
{
    struct store *s = NULL;
    /* a PostgreSQL connection the database dropped is made again here; while the database is
     * down the request is refused (503) rather than failed (docs/scale.md) */
    if (thread_conn) return store_reconnect(thread_conn, e) ? NULL : thread_conn;
    if (store_open(p->db, 0, &s, e)) return NULL;
    if (p->manual_wal && store_wal_manual(s, e)) {
        store_close(s);
        return NULL;
    }
    pthread_mutex_lock(&p->lock);
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 8;
        struct store **ns = mem_realloc(p->stores, nc * sizeof *ns);
        if (ns) p->stores = ns, p->cap = nc;
    }
    if (p->n < p->cap) p->stores[p->n++] = s;
    else {
        store_close(s);
        s = NULL;
        error_set(e, ERR_NOMEM, "out of memory");
    }
    pthread_mutex_unlock(&p->lock);
    thread_conn = s;
    return s;
}

void store_pool_close(struct store_pool *p)
{
    for (size_t i = 0; i < p->n; i++) store_close(p->stores[i]);
    mem_free(p->stores);
    p->stores = NULL;
    p->n = p->cap = 0;
    pthread_mutex_destroy(&p->lock);
}
