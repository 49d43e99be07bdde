/*
 * test_base.c — strbuf, arena, u64map, hashing (SHA-256 vectors, Merkle, row encoding),
 * number/boolean parsing, temporary folders (under $TMPDIR, private, nothing left on
 * failure), and allocation-failure behaviour of each.
 *
 * keyfile_races: 16 threads create the same key file at once while 16 others read it. The
 * key file used to be opened O_EXCL and written afterwards, so a reader could find it empty
 * ("not a key"; the checkpoint key of a fresh machine, seen as a failed store in CI). Now
 * every creator and reader gets the one key, and no temporary is left beside it.
 */
#include "testutil.h"

#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

static void strbuf_basics(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    char *s;
    size_t n;
    (void)state;
    assert_string_equal(sb.buf, "");
    sb_adds(&sb, "a");
    sb_addf(&sb, "%d-%s", 42, "x");
    sb_addch(&sb, '!');
    assert_string_equal(sb.buf, "a42-x!");
    sb_reset(&sb);
    sb_add_csv(&sb, "plain", 5);
    sb_addch(&sb, ',');
    sb_add_csv(&sb, "a,\"b\"", 5);
    assert_string_equal(sb.buf, "plain,\"a,\"\"b\"\"\"");
    sb_reset(&sb);
    sb_add_html(&sb, "<a href='x'>&</a>");
    assert_string_equal(sb.buf, "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
    sb_reset(&sb);
    sb_add_thousands(&sb, 1234567);
    sb_addch(&sb, ' ');
    sb_add_thousands(&sb, -999);
    assert_string_equal(sb.buf, "1,234,567 -999");
    for (int i = 0; i < 10000; i++) sb_addch(&sb, 'x');
    assert_int_equal(sb.len, 14 + 10000);
    s = sb_detach(&sb, &n);
    assert_int_equal(n, 10014);
    assert_string_equal(sb.buf, "");
    free(s);
}

static void strbuf_out_of_memory(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    (void)state;
    mem_fail_after(1, 1);
    sb_adds(&sb, "hello");
    sb_addf(&sb, "%d", 1);
    mem_fail_after(0, 0);
    assert_int_equal(sb_ok(&sb), ERR_NOMEM);
    assert_null(sb_detach(&sb, NULL));
    sb_release(&sb);
}

static void arena_basics(void **state)
{
    struct arena a;
    (void)state;
    arena_init(&a, 64);
    for (int i = 0; i < 1000; i++) {
        char *p = arena_printf(&a, "item %d", i);
        assert_non_null(p);
        assert_int_equal(((uintptr_t)p) % 16, 0);
    }
    assert_non_null(arena_alloc(&a, 100000)); /* larger than a block */
    assert_string_equal(arena_strndup(&a, "abcdef", 3), "abc");
    arena_release(&a);
    arena_init(&a, 64);
    mem_fail_after(1, 0);
    assert_null(arena_alloc(&a, 10));
    mem_fail_after(0, 0);
    arena_release(&a);
}

static void map_basics(void **state)
{
    struct u64map m;
    uint64_t old;
    (void)state;
    u64map_init(&m);
    assert_null(u64map_get(&m, 5));
    for (uint64_t k = 1; k <= 100000; k++) assert_int_equal(u64map_put(&m, k * 7919, k, NULL), 1);
    assert_int_equal(m.n, 100000);
    assert_int_equal(u64map_put(&m, 7919 * 5, 0, &old), 0);
    assert_int_equal(old, 5);
    for (uint64_t k = 1; k <= 100000; k++) assert_int_equal(*u64map_get(&m, k * 7919), k);
    assert_null(u64map_get(&m, 3));
    u64map_release(&m);
    u64map_init(&m);
    mem_fail_after(1, 0);
    assert_int_equal(u64map_put(&m, 1, 1, NULL), ERR_NOMEM);
    mem_fail_after(0, 0);
    u64map_release(&m);
    assert_int_not_equal(u64_hash_str("a", 1), u64_hash_str("b", 1));
    assert_int_not_equal(u64_hash_str("", 0), 0);
}

static void sha256_vectors(void **state)
{
    char hex[65];
    unsigned char raw[32];
    (void)state;
    hash_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hash_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(hash_unhex32(hex, raw), 0);
    assert_int_equal(raw[0], 0xe3);
    assert_int_equal(hash_unhex32("zz", raw), -1);
}

static void merkle_properties(void **state)
{
    unsigned char leaf[5][32], r1[32], r2[32], r3[32];
    struct merkle m;
    (void)state;
    for (int i = 0; i < 5; i++) hash_blake2b(&i, sizeof i, leaf[i]);
    merkle_init(&m);
    merkle_root(&m, r1);
    for (int i = 0; i < 32; i++) assert_int_equal(r1[i], 0);
    for (int i = 0; i < 5; i++) merkle_add(&m, leaf[i]);
    merkle_root(&m, r1);
    /* same leaves, same root */
    merkle_init(&m);
    for (int i = 0; i < 5; i++) merkle_add(&m, leaf[i]);
    merkle_root(&m, r2);
    assert_memory_equal(r1, r2, 32);
    /* order matters */
    merkle_init(&m);
    for (int i = 4; i >= 0; i--) merkle_add(&m, leaf[i]);
    merkle_root(&m, r3);
    assert_memory_not_equal(r1, r3, 32);
    /* a changed leaf changes the root */
    leaf[2][0] ^= 1;
    merkle_init(&m);
    for (int i = 0; i < 5; i++) merkle_add(&m, leaf[i]);
    merkle_root(&m, r3);
    assert_memory_not_equal(r1, r3, 32);
    /* a prefix is not the whole */
    merkle_init(&m);
    for (int i = 0; i < 4; i++) merkle_add(&m, leaf[i]);
    merkle_root(&m, r3);
    assert_memory_not_equal(r1, r3, 32);
}

static void row_encoding_is_injective(void **state)
{
    struct rowhash a, b;
    unsigned char da[32], db[32];
    (void)state;
    rowhash_init(&a);
    rowhash_init(&b);
    /* ("ab","c") vs ("a","bc") */
    rowhash_text(&a, "ab", 2);
    rowhash_text(&a, "c", 1);
    rowhash_text(&b, "a", 1);
    rowhash_text(&b, "bc", 2);
    rowhash_digest(&a, da);
    rowhash_digest(&b, db);
    assert_memory_not_equal(da, db, 32);
    /* 1 (int) vs 1.0 (double) vs NULL vs "" */
    rowhash_reset(&a);
    rowhash_reset(&b);
    rowhash_int(&a, 1);
    rowhash_double(&b, 1.0);
    rowhash_digest(&a, da);
    rowhash_digest(&b, db);
    assert_memory_not_equal(da, db, 32);
    rowhash_reset(&a);
    rowhash_reset(&b);
    rowhash_null(&a);
    rowhash_text(&b, "", 0);
    rowhash_digest(&a, da);
    rowhash_digest(&b, db);
    assert_memory_not_equal(da, db, 32);
    rowhash_release(&a);
    rowhash_release(&b);
}

static void parsing(void **state)
{
    int64_t i;
    double d;
    (void)state;
    assert_int_equal(parse_int64(" 42 ", &i), 0);
    assert_int_equal(i, 42);
    assert_int_equal(parse_int64("4x", &i), -1);
    assert_int_equal(parse_int64("", &i), -1);
    assert_int_equal(parse_double("3.5", &d), 0);
    assert_true(d == 3.5);
    assert_int_equal(parse_double("nan", &d), -1);
    assert_int_equal(parse_double("1e400", &d), -1);
    assert_int_equal(parse_bool("是"), 1);
    assert_int_equal(parse_bool("否"), 0);
    assert_int_equal(parse_bool(" Yes "), 1);
    assert_int_equal(parse_bool("maybe"), -1);
    assert_true(utf8_valid("中文", strlen("中文")));
    assert_false(utf8_valid("\xC0\x80", 2));
    assert_false(utf8_valid("\xED\xA0\x80", 3));
    assert_int_equal(utf8_len("中文ab"), 4);
}

static void errors(void **state)
{
    struct error e;
    struct errlist l;
    char buf[256];
    (void)state;
    error_at(&e, ERR_INVALID, "f.csv", 3, 2, "bad %s", "value");
    assert_string_equal(error_format(&e, buf, sizeof buf), "f.csv:3:2: bad value");
    error_prefix(&e, "ctx");
    assert_string_equal(e.msg, "ctx: bad value");
    errlist_init(&l, 2);
    for (int i = 0; i < 5; i++) errlist_addf(&l, ERR_INVALID, "f", i, 0, "e%d", i);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.total, 5);
    errlist_release(&l);
}

static void temporary_folders(void **state)
{
    char root[] = "/tmp/pinggu-test-XXXXXX", dir[200], small[24];
    const char *old = getenv("TMPDIR");
    char *saved = old ? strdup(old) : NULL;
    struct stat sb;
    (void)state;
    assert_non_null(mkdtemp(root));
    setenv("TMPDIR", root, 1);
    assert_int_equal(tmpdir_make(dir, sizeof dir, "pinggu-x"), 0);
    assert_int_equal(strncmp(dir, root, strlen(root)), 0);
    assert_string_equal(dir + strlen(root), strstr(dir, "/pinggu-x-"));
    assert_int_equal(stat(dir, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0700);
    assert_int_equal(rmdir(dir), 0);
    /* a path that does not fit is refused, out left empty, nothing made */
    assert_int_equal(tmpdir_make(small, sizeof small, "pinggu-x"), -1);
    assert_string_equal(small, "");
    /* a TMPDIR that does not exist: refused, out empty */
    setenv("TMPDIR", "/nonexistent-pinggu", 1);
    assert_int_equal(tmpdir_make(dir, sizeof dir, "pinggu-x"), -1);
    assert_string_equal(dir, "");
    /* empty TMPDIR means /tmp */
    setenv("TMPDIR", "", 1);
    assert_int_equal(tmpdir_make(dir, sizeof dir, "pinggu-x"), 0);
    assert_int_equal(strncmp(dir, "/tmp/pinggu-x-", 14), 0);
    assert_int_equal(rmdir(dir), 0);
    if (saved) setenv("TMPDIR", saved, 1);
    else unsetenv("TMPDIR");
    free(saved);
    assert_int_equal(rmdir(root), 0);
}

#define KEY_THREADS 32

struct key_job {
    const char *path;
    pthread_barrier_t *bar;
    int create, rc;
    unsigned char pk[32];
    char msg[512];
};

static void *key_worker(void *arg)
{
    struct key_job *j = arg;
    unsigned char sk[64];
    struct error e;
    pthread_barrier_wait(j->bar);
    if (j->create) j->rc = keyfile_create(j->path, "test key", j->pk, sk, &e);
    else
        do /* a reader before any creator finds no file: it tries again */
            j->rc = keyfile_read(j->path, "test key", j->pk, sk, &e);
        while (j->rc == ERR_NOTFOUND);
    if (j->rc) snprintf(j->msg, sizeof j->msg, "%s", e.msg);
    return NULL;
}

static void keyfile_races(void **state)
{
    char *dir = tu_tmpdir(), path[1100];
    pthread_t th[KEY_THREADS];
    struct key_job jobs[KEY_THREADS];
    pthread_barrier_t bar;
    struct stat st;
    DIR *d;
    struct dirent *de;
    int files = 0;
    (void)state;
    for (int round = 0; round < 20; round++) {
        snprintf(path, sizeof path, "%s/k%d.key", dir, round);
        pthread_barrier_init(&bar, NULL, KEY_THREADS);
        for (int t = 0; t < KEY_THREADS; t++) {
            memset(&jobs[t], 0, sizeof jobs[t]);
            jobs[t].path = path, jobs[t].bar = &bar, jobs[t].create = t % 2 == 0;
            assert_int_equal(pthread_create(&th[t], NULL, key_worker, &jobs[t]), 0);
        }
        for (int t = 0; t < KEY_THREADS; t++) pthread_join(th[t], NULL);
        pthread_barrier_destroy(&bar);
        for (int t = 0; t < KEY_THREADS; t++) {
            if (jobs[t].rc) fprintf(stderr, "round %d thread %d: %s\n", round, t, jobs[t].msg);
            assert_int_equal(jobs[t].rc, 0);
            assert_memory_equal(jobs[t].pk, jobs[0].pk, 32);
        }
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_int_equal(st.st_size, 65);
    }
    /* the 20 keys and nothing else: no temporary left */
    d = opendir(dir);
    assert_non_null(d);
    while ((de = readdir(d)))
        if (de->d_name[0] != '.') files++;
    closedir(d);
    assert_int_equal(files, 20);
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strbuf_basics),     cmocka_unit_test(strbuf_out_of_memory),
        cmocka_unit_test(arena_basics),      cmocka_unit_test(map_basics),
        cmocka_unit_test(sha256_vectors),    cmocka_unit_test(merkle_properties),
        cmocka_unit_test(row_encoding_is_injective), cmocka_unit_test(parsing),
        cmocka_unit_test(errors),            cmocka_unit_test(temporary_folders),
        cmocka_unit_test(keyfile_races),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
