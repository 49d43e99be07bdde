/*
 * store_cases.h — checks of the store interface (store.h) that both backends must pass, shared
 * by test_store.c (SQLite) and test_store_pg.c (PostgreSQL) so the two run the very same
 * assertions. Include after testutil.h and store/store.h.
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

#endif
