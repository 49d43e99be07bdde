/*
 * test_evidence.c — evidence blobs stored by content (src/survey/evidence.c) when several
 * server threads store the same new file at once: each thread has its own store connection
 * (as src/server/http.c gives them) and all call evidence_add together (a barrier). Before the
 * fix the temporary file was named after the process ID, which every thread shares: one
 * thread's rename took another's half-written file, whose own rename then failed (or a blob
 * was left truncated). Now each write has a mkstemp name and is renamed atomically: every
 * call succeeds, the blob is whole, one evidence row, one link per call, no temporary left.
 *
 * Streamed evidence (issue 12/15 leftovers): evidence_add used to read each file whole into
 * memory to hash and copy it. test_streamed_large_file stores a 24 MiB file (hundreds of
 * chunks) and checks its digest (the same SHA-256 as hashing it whole), the stored bytes, and
 * that no more than 4 MiB was allocated at once during the call (ASan's allocation hooks count
 * every malloc and free): before streaming, the 24 MiB buffer alone broke the bound. A missing
 * second file leaves neither blob, row nor temporary.
 */
#include "testutil.h"

#include "store/store.h"
#include "survey/survey.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>

/* AddressSanitizer's allocator interface (libasan; unit tests are built with it, Makefile
 * SAN_FLAGS): hooks called on every allocation and before every free. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
size_t __sanitizer_get_allocated_size(const volatile void *p);

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
    snprintf(cmd, sizeof cmd, "find '%s' -name '.tmp*' -o -name '*.tmp*' 2>/dev/null | wc -l", dir);
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

/* ------------------------------------------------------------------ streamed, large file */

static atomic_int g_armed;
static atomic_llong g_live, g_peak; /* bytes allocated since arming, net of frees; its peak */

static void on_malloc(const volatile void *p, size_t n)
{
    long long now, peak;
    (void)p;
    if (!atomic_load(&g_armed)) return;
    now = atomic_fetch_add(&g_live, (long long)n) + (long long)n;
    peak = atomic_load(&g_peak);
    while (now > peak && !atomic_compare_exchange_weak(&g_peak, &peak, now)) {
    }
}

static void on_free(const volatile void *p)
{
    if (!atomic_load(&g_armed) || !p) return;
    atomic_fetch_sub(&g_live, (long long)__sanitizer_get_allocated_size(p));
}

static void test_streamed_large_file(void **state)
{
    char *dir = tu_tmpdir(), db[1100], evd[1100], big[1100], missing[1100], blob[1300];
    char want[65], hashes[2][65];
    struct store *s = NULL;
    struct error e;
    struct evidence_report rep;
    size_t size = (size_t)24 << 20, got = 0;
    unsigned char *data = malloc(size), *back = malloc(size);
    int64_t n = -1, linked = -1;
    FILE *f;
    (void)state;
    assert_non_null(data);
    assert_non_null(back);
    snprintf(db, sizeof db, "%s/r.db", dir);
    snprintf(evd, sizeof evd, "%s/r.db.evidence", dir);
    snprintf(big, sizeof big, "%s/recording.m4a", dir);
    snprintf(missing, sizeof missing, "%s/no-such.jpg", dir);
    for (size_t i = 0; i < size; i++) data[i] = (unsigned char)((i * 2654435761u) >> 11 ^ i >> 20);
    f = fopen(big, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, size, f), size);
    assert_int_equal(fclose(f), 0);
    hash_sha256_hex(data, size, want); /* the digest of the whole content */
    assert_int_equal(store_open(db, STORE_CREATE, &s, &e), 0);

    /* a bad second file: nothing stored, no temporary left */
    {
        const char *files[2] = {big, missing};
        assert_int_equal(evidence_add(s, "340122101201", NULL, files, 2, hashes, &linked, &e),
                         ERR_INVALID);
        assert_non_null(strstr(e.msg, "no-such.jpg"));
        assert_int_equal(store_query_int(s, "SELECT count(*) FROM evidence", 0, &n, &e), 0);
        assert_int_equal(n, 0);
        assert_int_equal(count_tmp(evd), 0);
        snprintf(blob, sizeof blob, "%s/%.2s/%s", evd, want, want + 2);
        assert_int_not_equal(access(blob, F_OK), 0);
    }

    /* the large file: streamed in chunks, memory bounded */
    {
        const char *files[1] = {big};
        assert_int_equal(__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free) > 0, 1);
        atomic_store(&g_live, 0);
        atomic_store(&g_peak, 0);
        atomic_store(&g_armed, 1);
        assert_int_equal(evidence_add(s, "340122101201", NULL, files, 1, hashes, &linked, &e), 0);
        atomic_store(&g_armed, 0);
        fprintf(stderr, "evidence_add of %zu bytes: at most %lld bytes allocated at once\n", size,
                (long long)atomic_load(&g_peak));
        assert_true(atomic_load(&g_peak) < ((long long)4 << 20));
    }
    assert_string_equal(hashes[0], want);
    assert_int_equal(linked, 0);
    assert_int_equal(store_query_int(s, "SELECT size FROM evidence", 0, &n, &e), 0);
    assert_int_equal(n, (int64_t)size);
    /* the blob at its content address holds exactly the file's bytes */
    f = fopen(blob, "rb");
    assert_non_null(f);
    got = fread(back, 1, size, f);
    assert_int_equal(got, size);
    assert_int_equal(fgetc(f), EOF);
    fclose(f);
    assert_memory_equal(back, data, size);
    memset(&rep, 0, sizeof rep);
    assert_int_equal(evidence_verify(s, &rep, &e), 0);
    assert_int_equal(rep.bytes, (int64_t)size);
    assert_int_equal(count_tmp(evd), 0);
    /* the same file again: deduplicated, linked twice, still no temporary */
    {
        const char *files[1] = {big};
        assert_int_equal(evidence_add(s, "340122101202", NULL, files, 1, hashes, &linked, &e), 0);
    }
    assert_int_equal(store_query_int(s, "SELECT count(*) FROM evidence", 0, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(store_query_int(s, "SELECT count(*) FROM evidence_links", 0, &n, &e), 0);
    assert_int_equal(n, 2);
    assert_int_equal(count_tmp(evd), 0);
    store_close(s);
    free(data);
    free(back);
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_same_blob),
        cmocka_unit_test(test_streamed_large_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
