/*
 * batch.c — the server's writer queue for questionnaire submissions: group commit (issue 11,
 * throughput; docs/server.md "Submissions: group commit").
 *
 * A submission's request thread does everything that needs no lock first (parse the JSON or
 * the XForm instance, check authorisation, write the one-row CSV files; for JSON also read
 * and validate them against the form, field_import_prepare), then hands its
 * writes to batch_run as a job and waits. The writer thread (batch_start) takes every job
 * queued (up to BATCH_MAX), opens ONE transaction on its own connection, runs each job inside
 * its own SAVEPOINT, and commits once. While it commits, new jobs queue; when it is done it
 * takes them. So under a burst one transaction (its BEGIN IMMEDIATE, its lock, its commit)
 * carries many submissions instead of one. Without a writer thread (before batch_start, after
 * batch_stop) one waiting thread at a time leads instead, on its own connection.
 *
 * Why a thread of its own (it used to be the leader of the moment): the queue is the server's
 * serial part, so it must never wait — a leader handing over woke the next waiting thread
 * through the scheduler, and the queue stood idle meanwhile (a timing probe: busy 57 % of
 * the wall time while requests waited in it); and SQLite empties a connection's page cache
 * whenever another connection has written, so each leader began on a cold cache. The writer
 * thread loops while jobs are queued, on one connection that only it writes.
 *
 * Invariants:
 *  - A job that fails (returns non-zero) is rolled back to its savepoint alone — its own answer
 *    already set by the job — and the others of the batch still commit.
 *  - Each job keeps its own change-log entries (written by its own calls, with its own actor:
 *    the leader sets the connection's actor per job) and its own Idempotency-Key row.
 *  - Nobody is answered before the commit that holds its rows: batch_run returns only after
 *    the transaction holding the job committed (0) or failed (BATCH_LOST: nothing of the job
 *    was kept; the caller answers 503 so the client retries).
 *  - Jobs run in the writer's (or leader's) thread on its connection: a job touches the store only
 *    through the store it is given, and its answer only through memory its waiting owner reads
 *    after batch_run returns (the queue's mutex orders the two).
 */
#include "server_int.h"

#include <pthread.h>
#include <stdlib.h>

#define BATCH_MAX 128

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct batch_job *head, *tail;
static int leading;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER; /* the writer waits for jobs */
static pthread_t writer;
static int writer_on, writer_stop;

/* Ends every job of the list: rc for those still without a result (BATCH_LOST: their writes
 * were rolled back with the transaction). */
static void lose(struct batch_job *list, size_t n)
{
    for (size_t i = 0; i < n; i++, list = list->next)
        if (!list->rc) list->rc = BATCH_LOST;
}

/* The leader's work: n jobs from list in one transaction on s. */
static void lead(struct store *s, struct batch_job *list, size_t n)
{
    struct error e;
    struct batch_job *j = list;
    if (store_begin(s, &e)) {
        fprintf(stderr, "pinggu serve: submissions: cannot begin: %s\n", e.msg);
        lose(list, n);
        return;
    }
    for (size_t i = 0; i < n; i++, j = j->next) {
        if (store_exec(s, "SAVEPOINT submission", &e)) goto abort;
        store_set_actor(s, j->actor);
        j->rc = j->run(s, j->arg);
        if (!j->rc) {
            if (store_exec(s, "RELEASE submission", &e)) goto abort;
        } else if (store_exec(s, "ROLLBACK TO submission", &e) ||
                   store_exec(s, "RELEASE submission", &e)) {
            goto abort;
        }
    }
    store_set_actor(s, NULL);
    if (!store_commit(s, &e)) return;
abort:
    fprintf(stderr, "pinggu serve: submissions: batch rolled back: %s\n", e.msg);
    store_set_actor(s, NULL);
    store_rollback(s);
    /* every job of the batch lost its writes; those that had failed keep their own answer */
    lose(list, n);
}

/* Takes up to BATCH_MAX jobs from the queue (the lock held, the queue not empty). */
static struct batch_job *take(size_t *n)
{
    struct batch_job *list = head, *last = head;
    *n = 1;
    while (*n < BATCH_MAX && last->next) last = last->next, (*n)++;
    head = last->next;
    if (!head) tail = NULL;
    return list;
}

/* The jobs of the list are done: each waiting owner is woken alone (a broadcast woke every
 * waiting request, most of them to sleep again, and they met at the queue's lock while the
 * writer took its next batch). Without the writer, the job now first in line is woken too:
 * its owner leads next. The lock held. */
static void wake_next_leader(void)
{
    if (!writer_on && head) pthread_cond_signal(&head->cv);
}

static void finish(struct batch_job *list, size_t n)
{
    for (struct batch_job *j = list; n--; j = j->next) {
        j->done = 1;
        pthread_cond_signal(&j->cv);
    }
    wake_next_leader();
}

static void *writer_main(void *arg)
{
    struct store_pool *p = arg;
    pthread_mutex_lock(&lock);
    for (;;) {
        struct batch_job *list;
        struct store *s;
        struct error e;
        size_t n;
        while (!head && !writer_stop) pthread_cond_wait(&work, &lock);
        if (!head) break; /* stopping, and every queued job done */
        list = take(&n);
        leading = 1;
        pthread_mutex_unlock(&lock);
        s = store_pool_get(p, &e); /* this thread's own; made again if PostgreSQL dropped it */
        if (s) lead(s, list, n);
        else {
            fprintf(stderr, "pinggu serve: submissions: %s\n", e.msg);
            lose(list, n);
        }
        pthread_mutex_lock(&lock);
        leading = 0;
        finish(list, n);
    }
    writer_on = 0;
    wake_next_leader(); /* anyone queued from now on leads */
    pthread_mutex_unlock(&lock);
    return NULL;
}

int batch_start(struct store_pool *p)
{
    int rc;
    pthread_mutex_lock(&lock);
    writer_stop = 0;
    rc = pthread_create(&writer, NULL, writer_main, p);
    writer_on = !rc;
    pthread_mutex_unlock(&lock);
    return rc ? -1 : 0;
}

void batch_stop(void)
{
    pthread_mutex_lock(&lock);
    if (!writer_on) {
        pthread_mutex_unlock(&lock);
        return;
    }
    writer_stop = 1;
    pthread_cond_signal(&work);
    pthread_mutex_unlock(&lock);
    pthread_join(writer, NULL);
}

int batch_run(struct store *s, struct batch_job *job)
{
    job->rc = 0;
    job->done = 0;
    job->next = NULL;
    pthread_cond_init(&job->cv, NULL);
    pthread_mutex_lock(&lock);
    if (tail) tail->next = job;
    else head = job;
    tail = job;
    if (writer_on) pthread_cond_signal(&work);
    while (!job->done) {
        if (!leading && !writer_on && head) {
            size_t n;
            struct batch_job *list = take(&n);
            leading = 1;
            pthread_mutex_unlock(&lock);
            lead(s, list, n);
            pthread_mutex_lock(&lock);
            leading = 0;
            finish(list, n);
        } else {
            pthread_cond_wait(&job->cv, &lock);
        }
    }
    pthread_mutex_unlock(&lock);
    pthread_cond_destroy(&job->cv);
    store_set_actor(s, job->actor); /* the leader's connection serves its own request on */
    return job->rc;
}

int server_fault(const char *point)
{
    const char *f = getenv("PINGGU_FAULT");
    return f && !strcmp(f, point);
}
