/*
 * test_evidence.c — evidence blobs stored by content (src/survey/evidence.c) when several
 * server threads store the same new file at once: each thread has its own store connection
 * (as src/server/http.c gives them) and all call evidence_add together (a barrier). Before the
 * fix the temporary file was named after the process ID, which every thread shares: one
 * thread's rename took another's half-written file, whose own rename then failed (or a blob
 * was left truncated). Now each write has a mkstemp name and is renamed atomically: every
 * call succeeds, the blob is whole, one evidence row, one link per call, no temporary left.
 */
#include "testutil.h"

#include "store/store.h"
#include "survey/survey.h"

#include <dirent.h>
#include <pthread.h>

#define NTHREADS 8
#define ROUNDS 6

struct job {
    const char *db, *file;
    pthread_barrier_t *bar;
    int rc[ROUNDS];
    char hash[ROUNDS][65];
    char msg[256];
};

static const char *g_files[ROUNDS];

static void *worker(void *arg)
{
    struct job *j = arg;
    struct store *s = NULL;
    struct error e;
    int64_t linked = 0;
    if (store_open(j->db, 0, &s, &e)) {
        snprintf(j->msg, sizeof j->msg, "%s", e.msg);
        for (int r = 0; r < ROUNDS; r++) j->rc[r] = -1;
        for (int r = 0; r < ROUNDS; r++) pthread_barrier_wait(j->bar);
        return NULL;
    }
    for (int r = 0; r < ROUNDS; r++) {
        const char *files[1] = {g_files[r]};
        char hashes[1][65];
        pthread_barrier_wait(j->bar); /* every thread stores the same new file now */
        j->rc[r] = evidence_add(s, "340122101201", NULL, files, 1, hashes, &linked, &e);
        if (j->rc[r]) snprintf(j->msg, sizeof j->msg, "%s", e.msg);
        else memcpy(j->hash[r], hashes[0], 65);
    }
    store_close(s);
    return NULL;
}

static int count_tmp(const char *dir)
{
    char cmd[1200], line[64];
    FILE *p;
    int n = 0;
    snprintf(cmd, sizeof cmd, "find '%s' -name '.tmp*' -o -name '*.tmp*' | wc -l", dir);
    p = popen(cmd, "r");
    assert_non_null(p);
    if (fgets(line, sizeof line, p)) n = atoi(line);
    pclose(p);
    return n;
}

static void test_concurrent_same_blob(void **state)
{
    char *dir = tu_tmpdir(), db[1100], evd[1100], names[ROUNDS][1100];
    struct store *s = NULL;
    struct error e;
    struct evidence_report rep;
    pthread_t th[NTHREADS];
    struct job jobs[NTHREADS];
    pthread_barrier_t bar;
    size_t big = (size_t)4 << 20;
    char *data = malloc(big);
    int64_t n = 0;
    (void)state;
    assert_non_null(data);
    snprintf(db, sizeof db, "%s/r.db", dir);
    snprintf(evd, sizeof evd, "%s/r.db.evidence", dir);
    assert_int_equal(store_open(db, STORE_CREATE, &s, &e), 0);
    store_close(s);
    /* distinct new files, 4 MiB each (a long write: the old race's window) */
    for (int r = 0; r < ROUNDS; r++) {
        FILE *f;
        snprintf(names[r], sizeof names[r], "%s/photo-%d.jpg", dir, r);
        for (size_t i = 0; i < big; i++) data[i] = (char)((i * 2654435761u + (unsigned)r * 97u) >> 13);
        f = fopen(names[r], "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, big, f), big);
        fclose(f);
        g_files[r] = names[r];
    }
    free(data);
    pthread_barrier_init(&bar, NULL, NTHREADS);
    for (int t = 0; t < NTHREADS; t++) {
        memset(&jobs[t], 0, sizeof jobs[t]);
        jobs[t].db = db, jobs[t].bar = &bar;
        assert_int_equal(pthread_create(&th[t], NULL, worker, &jobs[t]), 0);
    }
    for (int t = 0; t < NTHREADS; t++) pthread_join(th[t], NULL);
    pthread_barrier_destroy(&bar);
    for (int t = 0; t < NTHREADS; t++)
        for (int r = 0; r < ROUNDS; r++) {
            if (jobs[t].rc[r]) fprintf(stderr, "thread %d, file %d: %s\n", t, r, jobs[t].msg);
            assert_int_equal(jobs[t].rc[r], 0);
            assert_string_equal(jobs[t].hash[r], jobs[0].hash[r]);
        }
    /* one blob per file, whole; one link per call; no temporary file left */
    assert_int_equal(store_open(db, 0, &s, &e), 0);
    assert_int_equal(store_query_int(s, "SELECT count(*) FROM evidence", 0, &n, &e), 0);
    assert_int_equal(n, ROUNDS);
    assert_int_equal(store_query_int(s, "SELECT count(*) FROM evidence_links", 0, &n, &e), 0);
    assert_int_equal(n, ROUNDS * NTHREADS);
    memset(&rep, 0, sizeof rep);
    assert_int_equal(evidence_verify(s, &rep, &e), 0);
    store_close(s);
    assert_int_equal(count_tmp(evd), 0);
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_same_blob),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
