/*
 * batch.c — the server's writer queue for questionnaire submissions: group commit (issue 11,
 * throughput; docs/server.md "Submissions: group commit").
 *
 * A submission's request thread does everything that needs no lock first (parse the JSON or
 * the XForm instance, check authorisation, write the one-row CSV files; for JSON also read
 * and validate them against the form, field_import_prepare), then hands its
 * writes to batch_run as a job and waits. One waiting thread at a time is the leader: it
 * takes every job queued (up to BATCH_MAX), opens ONE transaction on its own connection, runs
 * each job inside its own SAVEPOINT, and commits once. While it commits, new jobs queue; when
 * it is done the next waiting thread leads them. So under a burst one transaction (its BEGIN
 * IMMEDIATE, its lock, its commit) carries many submissions instead of one.
 *
 * Invariants:
 *  - A job that fails (returns non-zero) is rolled back to its savepoint alone — its own answer
 *    already set by the job — and the others of the batch still commit.
 *  - Each job keeps its own change-log entries (written by its own calls, with its own actor:
 *    the leader sets the connection's actor per job) and its own Idempotency-Key row.
 *  - Nobody is answered before the commit that holds its rows: batch_run returns only after
 *    the transaction holding the job committed (0) or failed (BATCH_LOST: nothing of the job
 *    was kept; the caller answers 503 so the client retries).
 *  - Jobs run in the leader's thread on the leader's connection: a job touches the store only
 *    through the store it is given, and its answer only through memory its waiting owner reads
 *    after batch_run returns (the queue's mutex orders the two).
 */
#include "server_int.h"

#include <pthread.h>
#include <stdlib.h>

#define BATCH_MAX 128

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn = PTHREAD_COND_INITIALIZER;
static struct batch_job *head, *tail;
static int leading;

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

int batch_run(struct store *s, struct batch_job *job)
{
    job->rc = 0;
    job->done = 0;
    job->next = NULL;
    pthread_mutex_lock(&lock);
    if (tail) tail->next = job;
    else head = job;
    tail = job;
    while (!job->done) {
        if (!leading) {
            struct batch_job *list = head, *last = head, *j;
            size_t n = 1;
            leading = 1;
            while (n < BATCH_MAX && last->next) last = last->next, n++;
            head = last->next;
            if (!head) tail = NULL;
            pthread_mutex_unlock(&lock);
            lead(s, list, n);
            pthread_mutex_lock(&lock);
            for (j = list; n--; j = j->next) j->done = 1;
            leading = 0;
            pthread_cond_broadcast(&turn);
        } else {
            pthread_cond_wait(&turn, &lock);
        }
    }
    pthread_mutex_unlock(&lock);
    store_set_actor(s, job->actor); /* the leader's connection serves its own request on */
    return job->rc;
}

int server_fault(const char *point)
{
    const char *f = getenv("PINGGU_FAULT");
    return f && !strcmp(f, point);
}
