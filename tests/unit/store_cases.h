/*
 * store_cases.h — checks of the store interface (store.h) that both backends must pass, shared
 * by test_store.c (SQLite) and test_store_pg.c (PostgreSQL) so the two run the very same
 * assertions: the statement cache, the grouped writer and the change log's head across a
 * savepoint. Include after testutil.h and store/store.h.
 */
#ifndef PINGGU_STORE_CASES_H
#define PINGGU_STORE_CASES_H

/* The statement cache (store.h store_prepare): a statement prepared again comes from the
 * connection's cache, with every parameter unbound (NULL) as when fresh; two lent at once are
 * two handles; DDL empties the cache, so a statement compiled before it never runs against
 * the old table (PostgreSQL would refuse a plan whose result type changed). */
static void cache_checks(struct store *s)
{
    struct stmt *a = NULL, *b = NULL;
    struct error e;
    int64_t h0, m0, h1, m1;
    assert_int_equal(store_exec(s, "CREATE TABLE cache_t (a INTEGER, b TEXT)", &e), 0);
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(store_prepare(s, "INSERT INTO cache_t (a, b) VALUES (?, ?)", &a, &e), 0);
        assert_int_equal(stmt_bind_int(a, 1, i), 0);
        if (i == 1) assert_int_equal(stmt_bind_text(a, 2, "one", 3), 0); /* later rows: unbound */
        assert_int_equal(stmt_step(a, &e), STORE_DONE);
        stmt_finalize(a);
        if (i == 1) store_stmt_cache_stats(s, &h0, &m0);
    }
    store_stmt_cache_stats(s, &h1, &m1);
    assert_int_equal(h1 - h0, 2); /* prepared again twice: both from the cache */
    assert_int_equal(m1, m0);
    /* two at once of the same text: independent */
    assert_int_equal(store_prepare(s, "SELECT a, b FROM cache_t ORDER BY a", &a, &e), 0);
    assert_int_equal(store_prepare(s, "SELECT a, b FROM cache_t ORDER BY a", &b, &e), 0);
    assert_int_equal(stmt_step(a, &e), STORE_ROW);
    assert_int_equal(stmt_step(a, &e), STORE_ROW);
    assert_int_equal(stmt_step(b, &e), STORE_ROW);
    assert_int_equal(stmt_int(a, 0), 2);
    assert_int_equal(stmt_type(a, 1), STORE_NULL); /* the cached insert's b was not kept */
    assert_int_equal(stmt_int(b, 0), 1);
    assert_string_equal(stmt_text(b, 1), "one");
    stmt_finalize(a);
    stmt_finalize(b);
    /* a statement lent while the cache is emptied is finalized by its owner */
    assert_int_equal(store_prepare(s, "SELECT * FROM cache_t ORDER BY a", &a, &e), 0);
    assert_int_equal(stmt_step(a, &e), STORE_ROW);
    assert_int_equal(stmt_ncols(a), 2);
    stmt_finalize(a);
    assert_int_equal(store_prepare(s, "SELECT * FROM cache_t ORDER BY a", &a, &e), 0);
    assert_int_equal(stmt_step(a, &e), STORE_ROW);
    stmt_finalize(a);
    assert_int_equal(store_prepare(s, "SELECT a FROM cache_t", &b, &e), 0);
    assert_int_equal(store_exec(s, "DROP TABLE cache_t", &e), 0);
    stmt_finalize(b);
    assert_int_equal(store_exec(s, "CREATE TABLE cache_t (a INTEGER, b TEXT, c TEXT)", &e), 0);
    assert_int_equal(store_exec(s, "INSERT INTO cache_t (a, b, c) VALUES (7, 'x', 'y')", &e), 0);
    assert_int_equal(store_prepare(s, "SELECT * FROM cache_t ORDER BY a", &a, &e), 0);
    assert_int_equal(stmt_step(a, &e), STORE_ROW);
    assert_int_equal(stmt_ncols(a), 3);
    assert_int_equal(stmt_int(a, 0), 7);
    stmt_finalize(a);
    assert_int_equal(store_exec(s, "DROP TABLE cache_t", &e), 0);
}

/* The grouped writer (audit_writer_begin_grouped) and the change log's head kept per
 * transaction (store_int.h head_ok), in the shape of the server's group commit (server/batch.c):
 * an entry, a savepoint whose entry is rolled back, then 77 rows through the grouped writer
 * (sent as 32 + 32 + 8 + 4 + 1, each row's text from one reused buffer, so the writer must
 * keep its own copy). The rows are all there, in order, with their values; the chain has no
 * gap (the rolled-back entry's seq is given again, its hash not used as prev) and every batch
 * verifies. A head still cached across the ROLLBACK TO would fail here ("audit seq skew", or
 * a prev that audit verify refuses). */
static void grouped_checks(struct store *s)
{
    struct audit_writer w;
    struct audit_report r;
    struct stmt *st = NULL;
    struct error e;
    char text[32];
    int64_t n = 0, seq0 = 0, seq1 = 0;
    assert_int_equal(store_exec(s, "CREATE TABLE grp_t (row_no INTEGER PRIMARY KEY, a INTEGER,"
                                   " b TEXT, log_id INTEGER NOT NULL)",
                                &e),
                     0);
    assert_int_equal(store_query_int(s, "SELECT max(seq) FROM audit_log", 0, &seq0, &e), 0);
    assert_int_equal(store_begin(s, &e), 0);
    assert_int_equal(audit_note(s, "test", "grp_t", "kept", NULL, &e), 0);
    assert_int_equal(store_exec(s, "SAVEPOINT sub", &e), 0);
    assert_int_equal(audit_note(s, "test", "grp_t", "rolled back", NULL, &e), 0);
    assert_int_equal(store_exec(s, "ROLLBACK TO sub", &e), 0);
    assert_int_equal(store_exec(s, "RELEASE sub", &e), 0);
    assert_int_equal(audit_writer_begin_grouped(&w, s, "grp_t", "a, b", &e), 0);
    for (int i = 0; i < 77; i++) {
        snprintf(text, sizeof text, "row %d", i);
        w.v[1] = rv_int(1000 + i);
        w.v[2] = rv_text(text, strlen(text));
        assert_int_equal(audit_writer_row(&w, &e), 0);
        memset(text, 'x', sizeof text - 1); /* the writer kept its own copy */
    }
    assert_int_equal(audit_writer_commit(&w, "test", "grouped", NULL, &e), 0);
    assert_int_equal(store_commit(s, &e), 0);
    assert_int_equal(store_query_int(s, "SELECT max(seq) FROM audit_log", 0, &seq1, &e), 0);
    assert_int_equal(seq1 - seq0, 2); /* "kept" and the writer's entry, nothing else */
    assert_int_equal(store_prepare(s, "SELECT a, b FROM grp_t ORDER BY row_no", &st, &e), 0);
    while (stmt_step(st, &e) == STORE_ROW) {
        snprintf(text, sizeof text, "row %lld", (long long)n);
        assert_int_equal(stmt_int(st, 0), 1000 + n);
        assert_string_equal(stmt_text(st, 1), text);
        n++;
    }
    stmt_finalize(st);
    assert_int_equal(n, 77);
    memset(&r, 0, sizeof r);
    assert_int_equal(audit_verify(s, &r, &e), 0);
    assert_int_equal(r.problems, 0);
    /* a grouped writer abandoned leaves nothing and frees its rows (ASan) */
    assert_int_equal(store_begin(s, &e), 0);
    assert_int_equal(audit_writer_begin_grouped(&w, s, "grp_t", "a, b", &e), 0);
    w.v[1] = rv_int(1);
    w.v[2] = rv_text("x", 1);
    assert_int_equal(audit_writer_row(&w, &e), 0);
    audit_writer_abort(&w);
    assert_int_equal(store_rollback(s), 0);
    assert_int_equal(store_query_int(s, "SELECT count(*) FROM grp_t", 0, &n, &e), 0);
    assert_int_equal(n, 77); /* grp_t stays: the change log names it */
}

#endif
