/*
 * test_store_pg.c — the PostgreSQL backend (store_pg.c, issue 14) against a throwaway cluster
 * this test starts itself (scripts/pg-cluster.sh; run from the repository's root, as make check
 * does) and stops: values round-trip exactly through prepared statements and through COPY (a
 * 12-digit village code, a packed resident ID, π, 0.1, 1e-300, text with tabs, newlines,
 * backslashes and quotes, a blob with NUL bytes); the portable SQL is translated (INTEGER ->
 * bigint, REAL -> double precision, ?NNN, sum over a comparison, `? IS NULL`); a URL with a
 * password and a store without its evidence folder are refused; a dropped connection is made
 * again (outside a transaction) or reported (inside one); the statement cache is invisible
 * (fresh parameters, DDL, named statements prepared again after a reconnection); a table grown
 * by audited writes gets fresh planner statistics after the commit; the grouped writer and the
 * change log's head across a savepoint. Without PostgreSQL's binaries
 * the test FAILS, saying so.
 */
#include "testutil.h"

#include "store/store.h"
#include "store_cases.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char url[512];
static char cluster[64];

static int setup(void **state)
{
    char cmd[256];
    FILE *p;
    (void)state;
    snprintf(cluster, sizeof cluster, "/tmp/pinggu-pgu.XXXXXX");
    if (!mkdtemp(cluster)) return -1;
    snprintf(cmd, sizeof cmd, "sh scripts/pg-cluster.sh start %s", cluster);
    p = popen(cmd, "r");
    if (!p || !fgets(url, sizeof url, p)) {
        fprintf(stderr, "could not start a PostgreSQL cluster (is the postgresql package "
                        "installed? scripts/deps.sh check)\n");
        if (p) pclose(p);
        return -1;
    }
    if (pclose(p) != 0) return -1;
    url[strcspn(url, "\n")] = 0;
    setenv("PINGGU_EVIDENCE", "/tmp/pinggu-pgu-evidence", 1);
    setenv("PINGGU_CHECKPOINTS", "/tmp/pinggu-pgu-checkpoints", 1);
    return 0;
}

static int teardown(void **state)
{
    char cmd[256];
    (void)state;
    snprintf(cmd, sizeof cmd, "sh scripts/pg-cluster.sh stop %s", cluster);
    return system(cmd) == 0 ? 0 : -1;
}

static struct store *open_store(int flags)
{
    struct store *s = NULL;
    struct error e;
    if (store_open(url, flags, &s, &e)) fail_msg("store_open %s: %s", url, e.msg);
    return s;
}

static const char odd_text[] = "tab\there, newline\nthere, back\\slash, 'quote' \"dq\" 中文 \\N";
static const unsigned char blob[] = {0, 1, 2, 0, 255, '\\', '\t', '\n', 0};
#define CODE 340121101203LL   /* a 12-digit village code */
#define RESIDENT 34012119850101123LL /* a packed resident ID body (17 digits) */

static void check_row(struct stmt *st, int64_t code, double d)
{
    double got;
    assert_int_equal(stmt_type(st, 0), STORE_INT);
    assert_true(stmt_int(st, 0) == code);
    assert_int_equal(stmt_type(st, 1), STORE_DOUBLE);
    got = stmt_double(st, 1);
    assert_memory_equal(&got, &d, sizeof d); /* bit for bit */
    assert_int_equal(stmt_type(st, 2), STORE_TEXT);
    assert_int_equal(stmt_len(st, 2), strlen(odd_text));
    assert_string_equal(stmt_text(st, 2), odd_text);
}

static void test_values_round_trip(void **state)
{
    struct store *s = open_store(STORE_CREATE);
    struct stmt *st = NULL;
    struct error e;
    const double ds[] = {M_PI, 0.1, 1e-300, -2.5e17, 1.0 / 3.0};
    (void)state;
    assert_int_equal(store_exec(s, "CREATE TABLE t (a INTEGER, b REAL, c TEXT, d BLOB)", &e), 0);
    assert_int_equal(store_prepare(s, "INSERT INTO t (a, b, c, d) VALUES (?, ?, ?, ?)", &st, &e),
                     0);
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        stmt_bind_int(st, 1, i % 2 ? RESIDENT : CODE);
        stmt_bind_double(st, 2, ds[i]);
        stmt_bind_text(st, 3, odd_text, strlen(odd_text));
        stmt_bind_blob(st, 4, blob, sizeof blob);
        assert_int_equal(stmt_step(st, &e), STORE_DONE);
        stmt_reset(st);
    }
    stmt_finalize(st);
    assert_int_equal(store_prepare(s, "SELECT a, b, c, d FROM t ORDER BY b", &st, &e), 0);
    {
        /* ascending: -2.5e17 (row 3), 1e-300 (2), 0.1 (1), 1/3 (4), pi (0) */
        const double want[] = {-2.5e17, 1e-300, 0.1, 1.0 / 3.0, M_PI};
        const int64_t codes[] = {RESIDENT, CODE, RESIDENT, CODE, CODE};
        for (int i = 0; i < 5; i++) {
            assert_int_equal(stmt_step(st, &e), STORE_ROW);
            check_row(st, codes[i], want[i]);
            assert_int_equal(stmt_type(st, 3), STORE_BLOB);
            assert_int_equal(stmt_len(st, 3), sizeof blob);
            assert_memory_equal(stmt_blob(st, 3), blob, sizeof blob);
        }
        assert_int_equal(stmt_step(st, &e), STORE_DONE);
    }
    stmt_finalize(st);
    /* the column types are PostgreSQL's, from the portable names */
    assert_int_equal(store_prepare(s, "SELECT data_type FROM information_schema.columns WHERE "
                                      "table_name = 't' ORDER BY ordinal_position",
                                   &st, &e),
                     0);
    const char *types[] = {"bigint", "double precision", "text", "bytea"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(stmt_step(st, &e), STORE_ROW);
        assert_string_equal(stmt_text(st, 0), types[i]);
    }
    stmt_finalize(st);
    store_close(s);
}

static void test_copy_round_trip_and_audit(void **state)
{
    struct store *s = open_store(0);
    struct audit_writer w;
    struct audit_report r;
    struct stmt *st = NULL;
    struct error e;
    const double ds[] = {M_PI, 0.1, 1e-300};
    (void)state;
    assert_int_equal(store_exec(s, "CREATE TABLE u (row_no INTEGER PRIMARY KEY, a INTEGER, "
                                   "b REAL, c TEXT, log_id INTEGER NOT NULL)",
                                &e),
                     0);
    assert_int_equal(store_begin(s, &e), 0);
    assert_int_equal(audit_writer_begin_stream(&w, s, "u", "a, b, c", &e), 0);
    assert_true(w.copy); /* PostgreSQL: through COPY */
    for (int i = 0; i < 3; i++) {
        w.v[1] = rv_int(CODE);
        w.v[2] = rv_double(ds[i]);
        w.v[3] = rv_text(odd_text, strlen(odd_text));
        assert_int_equal(audit_writer_row(&w, &e), 0);
    }
    assert_int_equal(audit_writer_commit(&w, "test", "copy", NULL, &e), 0);
    assert_int_equal(store_commit(s, &e), 0);
    assert_int_equal(store_prepare(s, "SELECT a, b, c FROM u ORDER BY row_no", &st, &e), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(stmt_step(st, &e), STORE_ROW);
        check_row(st, CODE, ds[i]);
    }
    stmt_finalize(st);
    /* the digest computed from the values sent equals the one recomputed from the rows read */
    memset(&r, 0, sizeof r);
    assert_int_equal(audit_verify(s, &r, &e), 0);
    assert_true(r.rows >= 3);
    store_close(s);
}

static void test_dialect(void **state)
{
    struct store *s = open_store(0);
    struct stmt *st = NULL;
    struct error e;
    int64_t v = -1;
    (void)state;
    /* a comparison summed (SQLite counts it 0/1); ?NNN reused */
    assert_int_equal(store_prepare(s, "SELECT sum(a > ?1), count(*), ?1 + ?2, max(a > ?1), "
                                      "min(a > ?1) FROM t",
                                   &st, &e),
                     0);
    stmt_bind_int(st, 1, CODE);
    stmt_bind_int(st, 2, 1);
    assert_int_equal(stmt_step(st, &e), STORE_ROW);
    assert_int_equal(stmt_int(st, 0), 2); /* the two resident IDs */
    assert_int_equal(stmt_int(st, 1), 5);
    assert_true(stmt_int(st, 2) == CODE + 1);
    assert_int_equal(stmt_int(st, 3), 1);
    assert_int_equal(stmt_int(st, 4), 0);
    stmt_finalize(st);
    /* (? IS NULL OR c = ?) with a NULL, then with text */
    assert_int_equal(
        store_prepare(s, "SELECT count(*) FROM t WHERE (?1 IS NULL OR c = ?1)", &st, &e), 0);
    stmt_bind_null(st, 1);
    assert_int_equal(stmt_step(st, &e), STORE_ROW);
    assert_int_equal(stmt_int(st, 0), 5);
    stmt_reset(st);
    stmt_bind_text(st, 1, "none", 4);
    assert_int_equal(stmt_step(st, &e), STORE_ROW);
    assert_int_equal(stmt_int(st, 0), 0);
    stmt_finalize(st);
    /* a parameter never bound is NULL, as in SQLite (field review's optional --form) */
    assert_int_equal(
        store_prepare(s, "SELECT count(*) FROM t WHERE a = ? AND (? IS NULL OR c = ?2)", &st, &e),
        0);
    stmt_bind_int(st, 1, CODE);
    assert_int_equal(stmt_step(st, &e), STORE_ROW);
    assert_int_equal(stmt_int(st, 0), 3);
    stmt_finalize(st);
    /* a statement run many times is prepared once and keeps answering */
    assert_int_equal(store_prepare(s, "SELECT count(*) FROM t WHERE a = ?", &st, &e), 0);
    for (int i = 0; i < 5; i++) {
        stmt_bind_int(st, 1, CODE);
        assert_int_equal(stmt_step(st, &e), STORE_ROW);
        assert_int_equal(stmt_int(st, 0), 3);
        stmt_reset(st);
    }
    stmt_finalize(st);
    /* group_concat of numbers and of text, with and without a separator */
    assert_int_equal(store_prepare(s, "SELECT group_concat(x, ' '), group_concat(y) FROM (SELECT "
                                      "1 AS x, 'a' AS y UNION ALL SELECT 22, 'b') AS g",
                                   &st, &e),
                     0);
    assert_int_equal(stmt_step(st, &e), STORE_ROW);
    assert_string_equal(stmt_text(st, 0), "1 22");
    assert_string_equal(stmt_text(st, 1), "a,b");
    stmt_finalize(st);
    /* a per-backend variant as a migration writes it (store_pg.c) */
    assert_int_equal(store_exec(s, "CREATE TABLE pv (x INTEGER /*sqlite:*/, y TEXT/*:sqlite*/"
                                   "/*pg: , y varchar(7)*/)",
                                &e),
                     0);
    assert_int_equal(store_query_int(s, "SELECT character_maximum_length FROM "
                                        "information_schema.columns WHERE table_name = 'pv' AND "
                                        "column_name = 'y'",
                                     0, &v, &e),
                     0);
    assert_int_equal(v, 7);
    assert_int_equal(store_query_int(s, "SELECT schema_version FROM pinggu_store", 0, &v, &e), 0);
    assert_int_equal(v, store_schema_latest());
    store_close(s);
}

/* A table whose inserts leave INTEGER PRIMARY KEY out numbers its rows, as SQLite's rowid
 * does (the household query's tables; before, a NOT NULL violation on PostgreSQL); an upsert
 * naming the target table's columns (before, `count` unqualified was ambiguous with EXCLUDED). */
static void test_rowid_and_upsert(void **state)
{
    struct store *s = open_store(0);
    struct error e;
    int64_t v = 0;
    (void)state;
    assert_int_equal(store_exec(s, "CREATE TABLE ri (row_no INTEGER PRIMARY KEY, k TEXT NOT NULL "
                                   "UNIQUE, count INTEGER NOT NULL)",
                                &e),
                     0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(store_exec(s, "INSERT INTO ri (k, count) VALUES ('a', 1) ON CONFLICT (k) "
                                       "DO UPDATE SET count = ri.count + 1",
                                    &e),
                         0);
    assert_int_equal(store_exec(s, "INSERT INTO ri (k, count) VALUES ('b', 1)", &e), 0);
    assert_int_equal(store_query_int(s, "SELECT count FROM ri WHERE k = 'a'", 0, &v, &e), 0);
    assert_int_equal(v, 3);
    assert_int_equal(store_query_int(s, "SELECT count(DISTINCT row_no) FROM ri", 0, &v, &e), 0);
    assert_int_equal(v, 2);
    store_close(s);
}

/* The server keeps a connection per thread for days: one the database dropped (here: its
 * backend terminated, as a restart does) is made again before the next statement, which
 * succeeds; inside a transaction the loss is an error (store_connected says so: the server
 * answers 503), the rollback ends it, and the next transaction runs on a new connection. */
static void test_reconnect(void **state)
{
    struct store *s = open_store(0), *killer = open_store(0);
    struct error e;
    int64_t pid = 0, pid2 = 0, v = 0;
    char sql[96];
    (void)state;
    assert_int_equal(store_query_int(s, "SELECT pg_backend_pid()", 0, &pid, &e), 0);
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", (long long)pid);
    assert_int_equal(store_query_int(killer, sql, 0, &v, &e), 0);
    assert_int_equal(v, 1);
    assert_int_equal(store_query_int(s, "SELECT pg_backend_pid()", 0, &pid2, &e), 0);
    assert_true(pid2 != pid);
    assert_int_equal(store_connected(s), 1);
    /* lost inside a transaction */
    assert_int_equal(store_begin(s, &e), 0);
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", (long long)pid2);
    assert_int_equal(store_query_int(killer, sql, 0, &v, &e), 0);
    assert_int_equal(store_query_int(s, "SELECT 1", 0, &v, &e), ERR_STORE);
    assert_int_equal(store_connected(s), 0);
    assert_int_equal(store_commit(s, &e), ERR_STORE);
    store_rollback(s);
    assert_int_equal(store_begin(s, &e), 0);
    assert_int_equal(store_query_int(s, "SELECT 41 + 1", 0, &v, &e), 0);
    assert_int_equal(v, 42);
    assert_int_equal(store_commit(s, &e), 0);
    assert_int_equal(store_reconnect(s, &e), 0);
    store_close(killer);
    store_close(s);
}

static void test_statement_cache(void **state)
{
    struct store *s = open_store(0), *killer = open_store(0);
    struct stmt *st = NULL;
    struct error e;
    int64_t pid = 0, v = 0;
    char sql[96];
    (void)state;
    cache_checks(s);
    /* a cached statement run often enough to be a named prepared statement survives a
     * reconnection (the new connection prepares it again) */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(store_prepare(s, "SELECT ? + 1", &st, &e), 0);
        assert_int_equal(stmt_bind_int(st, 1, i), 0);
        assert_int_equal(stmt_step(st, &e), STORE_ROW);
        assert_int_equal(stmt_int(st, 0), i + 1);
        stmt_finalize(st);
    }
    assert_int_equal(store_query_int(s, "SELECT pg_backend_pid()", 0, &pid, &e), 0);
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", (long long)pid);
    assert_int_equal(store_query_int(killer, sql, 0, &v, &e), 0);
    assert_int_equal(store_query_int(s, "SELECT 1", 0, &v, &e), 0); /* reconnects */
    assert_int_equal(store_prepare(s, "SELECT ? + 1", &st, &e), 0);
    assert_int_equal(stmt_bind_int(st, 1, 41), 0);
    assert_int_equal(stmt_step(st, &e), STORE_ROW);
    assert_int_equal(stmt_int(st, 0), 42);
    stmt_finalize(st);
    store_close(killer);
    store_close(s);
}

/* 200 rows into stat_t through the grouped audit writer, inside the caller's transaction. */
static void write_200(struct store *s)
{
    struct audit_writer w;
    struct error e;
    assert_int_equal(audit_writer_begin_grouped(&w, s, "stat_t", "a", &e), 0);
    for (int i = 0; i < 200; i++) {
        w.v[1] = rv_int(i);
        assert_int_equal(audit_writer_row(&w, &e), 0);
    }
    assert_int_equal(audit_writer_commit(&w, "test", "stat", NULL, &e), 0);
}

/* Planner statistics (store_pg.c pgb_grew): a table analyzed while empty that audited writes
 * grow past 50 rows is analyzed again after the writing transaction commits (reltuples from
 * 0 to its rows), not before the commit and not at all when the transaction rolls back. */
static void test_statistics_refreshed(void **state)
{
    struct store *s = open_store(0);
    struct error e;
    int64_t before = -2, inside = -2, after = -2, rolled = -2;
    const char *reltuples = "SELECT reltuples::bigint FROM pg_class WHERE relname = 'stat_t'";
    (void)state;
    assert_int_equal(store_exec(s, "CREATE TABLE stat_t (row_no INTEGER PRIMARY KEY, a INTEGER,"
                                   " log_id INTEGER NOT NULL)",
                                &e),
                     0);
    assert_int_equal(store_exec(s, "ANALYZE stat_t", &e), 0);
    assert_int_equal(store_query_int(s, reltuples, -1, &before, &e), 0);
    assert_int_equal(before, 0);
    /* rolled back: no statistics taken */
    assert_int_equal(store_begin(s, &e), 0);
    write_200(s);
    assert_int_equal(store_rollback(s), 0);
    assert_int_equal(store_query_int(s, reltuples, -1, &rolled, &e), 0);
    assert_int_equal(rolled, 0);
    /* committed: analyzed after the commit */
    assert_int_equal(store_begin(s, &e), 0);
    write_200(s);
    assert_int_equal(store_query_int(s, reltuples, -1, &inside, &e), 0);
    assert_int_equal(inside, 0); /* not inside the writing transaction */
    assert_int_equal(store_commit(s, &e), 0);
    assert_int_equal(store_query_int(s, reltuples, -1, &after, &e), 0);
    assert_int_equal(after, 200);
    store_close(s); /* stat_t stays: the change log names it (audit verify reads it) */
}

static void test_grouped_writer(void **state)
{
    struct store *s = open_store(0);
    (void)state;
    grouped_checks(s);
    store_close(s);
}

static void test_refusals(void **state)
{
    struct store *s = NULL;
    struct error e;
    char *saved;
    (void)state;
    assert_int_equal(store_open("postgresql://me:secret@localhost/x", 0, &s, &e), ERR_USAGE);
    assert_non_null(strstr(e.msg, "password"));
    assert_null(s);
    saved = strdup(getenv("PINGGU_EVIDENCE"));
    unsetenv("PINGGU_EVIDENCE");
    assert_int_equal(store_open(url, 0, &s, &e), ERR_USAGE);
    assert_non_null(strstr(e.msg, "--evidence-dir"));
    setenv("PINGGU_EVIDENCE", saved, 1);
    free(saved);
    /* a second init of the same database */
    assert_int_equal(store_open(url, STORE_CREATE, &s, &e), ERR_EXISTS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_round_trip),
        cmocka_unit_test(test_copy_round_trip_and_audit),
        cmocka_unit_test(test_dialect),
        cmocka_unit_test(test_rowid_and_upsert),
        cmocka_unit_test(test_reconnect),
        cmocka_unit_test(test_statement_cache),
        cmocka_unit_test(test_statistics_refreshed),
        cmocka_unit_test(test_grouped_writer),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
