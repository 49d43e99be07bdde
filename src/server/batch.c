/*
 * batch.c — the server's writer queue for questionnaire submissions (issue 11, throughput).
 *
 * SQLite lets one writer in at a time; concurrent writers that find the lock taken wait in
 * SQLite's busy handler, which sleeps in growing steps (1, 2, 5, 10 … 100 ms) rather than
 * waking when the lock is free — under a burst most of a submission's latency was that sleep.
 * Submissions therefore queue here, in arrival order (a ticket lock: first come, first
 * served), and each runs its transactions (the Idempotency-Key claim, field_import, the
 * answer) with no other submission writing. Each keeps its own transactions, change-log
 * entries and Idempotency-Key semantics: a failure in one never touches another. Reads do not
 * queue.
 */
#include "server_int.h"

#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn = PTHREAD_COND_INITIALIZER;
static unsigned long next_ticket, serving;

void batch_enter(void)
{
    unsigned long mine;
    pthread_mutex_lock(&lock);
    mine = next_ticket++;
    while (serving != mine) pthread_cond_wait(&turn, &lock);
    pthread_mutex_unlock(&lock);
}

void batch_leave(void)
{
    pthread_mutex_lock(&lock);
    serving++;
    pthread_cond_broadcast(&turn);
    pthread_mutex_unlock(&lock);
}
