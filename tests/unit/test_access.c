/*
 * test_access.c — the authorisation matrix (src/access/authz.c) against an independent,
 * hand-written expectation table: every role × resource × action, for an item of the
 * user's own unit, of another unit and of the user's home county, before and after release,
 * must come out as DESIGN §10 says; 0 mismatches. Also the password rules and the request
 * parsers of src/server/parse.c (cookies, routes, Origin/Referer, X-Forwarded-For), and on a
 * real store: sessions (idle and absolute timeouts, CSRF tokens), lockout per account and
 * address with its expiry and the office's unlock, disabled accounts, and the security log's
 * rate limit — the clock moved with PINGGU_NOW.
 */
#include "testutil.h"

#include "access/access.h"
#include "server/server.h"

#define OWN 340122   /* the county of the user's grant (a city liaison: its city 3401) */
#define OTHER 350101 /* a county of another province */

/*
 * The expectations, written from DESIGN §10, not from authz.c. Each string gives six answers
 * in the order: own unit before release, own unit after, other unit before, other after,
 * home county before, home county after (Y allowed, N denied). The user holds one grant in
 * round "n": office, supervisor and observer over the whole round; leader, evaluator and
 * county liaison over county OWN; city liaison over its city. In the "home" cases the user is
 * also a cadre of county OWN (home = OWN) and the item lies in OWN. Problems are items sent
 * to the locality (sent = 1; the unsent case follows). Anything not listed: NNNNNN.
 *
 * DESIGN §10: "provincial office (all, within its round), team leader (own team's counties),
 * evaluator (own pair's units and forms), city and county liaisons (own city or county: only
 * problems sent to it, and the county-facing view after release), discipline supervisor
 * (read-only: audit log, interference and security records), observer (released reports)."
 * "Before release, no user — whatever the role — may read the sample, progress, problems or
 * figures of their own home city or county ... the seed and the manifest are office-only until
 * published."
 */
struct expect {
    const char *role, *resource, *action, *answers;
};
static const struct expect table[] = {
    {"office", "rounds", "read", "YYYYYY"},
    {"office", "sample", "read", "YYYYNY"},
    /* the set-up (draw, teams): DESIGN §10 "provincial office (all, within its round)"; a
     * released round is not redrawn */
    {"office", "sample", "write", "YNYNNN"},
    {"office", "assignments", "read", "YYYYNY"},
    {"office", "progress", "read", "YYYYNY"},
    {"office", "problems", "read", "YYYYNY"},
    {"office", "problems", "write", "YYYYNY"},
    {"office", "figures", "read", "YYYYNY"},
    {"office", "seed", "read", "YYYYYY"},
    {"office", "manifest", "read", "YYYYYY"},
    {"office", "releases", "read", "YYYYYY"},
    {"office", "releases", "write", "YYYYYY"},
    {"office", "county_view", "read", "NYNYNY"},
    {"office", "questionnaires", "read", "YYYYYY"},
    /* DESIGN §10: "approved_by_office or rejected_by_office (back to the team leader)" */
    {"office", "questionnaires", "write", "YYYYYY"},
    {"office", "evidence", "read", "YYYYYY"},
    {"office", "interference", "read", "YYYYYY"},
    {"office", "users", "read", "YYYYYY"},
    {"office", "users", "write", "YYYYYY"},

    {"leader", "rounds", "read", "YYNNYY"},
    {"leader", "sample", "read", "YYNNNY"},
    {"leader", "assignments", "read", "YYNNNY"},
    /* issue 13: "Team leader: the team's assignments per pair and day" — its own counties,
     * during the fieldwork; not its home city's (home-city rule) */
    {"leader", "assignments", "write", "YNNNNN"},
    {"leader", "progress", "read", "YYNNNY"},
    {"leader", "problems", "read", "YYNNNY"},
    {"leader", "problems", "write", "YYNNNY"},
    {"leader", "figures", "read", "YYNNNY"},
    {"leader", "releases", "read", "NYNYNY"},
    {"leader", "questionnaires", "read", "YYNNYY"},
    {"leader", "questionnaires", "write", "YNNNYN"},
    {"leader", "evidence", "read", "YYNNYY"},
    {"leader", "evidence", "write", "YYNNYY"},
    {"leader", "interference", "write", "YYNNYY"},

    {"evaluator", "rounds", "read", "YYNNYY"},
    {"evaluator", "sample", "read", "YNNNNN"},
    {"evaluator", "assignments", "read", "YNNNNN"},
    {"evaluator", "problems", "read", "YYNNNY"},
    {"evaluator", "problems", "write", "YNNNNN"},
    {"evaluator", "questionnaires", "read", "YNNNYN"},
    {"evaluator", "questionnaires", "write", "YNNNYN"},
    {"evaluator", "evidence", "write", "YNNNYN"},
    {"evaluator", "interference", "write", "YNNNYN"},

    {"city", "rounds", "read", "YYNNYY"},
    {"city", "problems", "read", "YYNNNY"},
    {"city", "problems", "write", "YYNNNY"},
    {"city", "county_view", "read", "NYNNNY"},
    {"city", "releases", "read", "NYNNNY"},

    {"county", "rounds", "read", "YYNNYY"},
    {"county", "problems", "read", "YYNNNY"},
    {"county", "problems", "write", "YYNNNY"},
    {"county", "county_view", "read", "NYNNNY"},
    {"county", "releases", "read", "NYNNNY"},

    {"supervisor", "rounds", "read", "YYYYYY"},
    {"supervisor", "interference", "read", "YYYYYY"},
    {"supervisor", "audit", "read", "YYYYYY"},
    {"supervisor", "security", "read", "YYYYYY"},

    {"observer", "rounds", "read", "YYYYYY"},
    {"observer", "releases", "read", "NYNYNY"},
    {"observer", "figures", "read", "NYNYNY"},
    {"observer", "seed", "read", "NYNYNY"},
    {"observer", "manifest", "read", "NYNYNY"},

    /* report downloads (issue 11: "reports for download (made by the library, masked and
     * logged as the CLI's)"): figures and problems, so the home-city rule holds; observers
     * "released reports"; liaisons their own county's or city's once released; names and IDs
     * in full (personal) the office's alone */
    {"office", "reports", "read", "YYYYNY"},
    {"office", "personal", "read", "YYYYYY"},
    {"leader", "reports", "read", "YYNNNY"},
    {"city", "reports", "read", "NYNNNY"},
    {"county", "reports", "read", "NYNNNY"},
    /* seed 002 六(二): "接受帮扶的县对照考核内容形成自评报告,于12月10日前报送省扶贫办" — its own
     * county's, in any phase; the home-city rule covers reports before the release */
    {"county", "reports", "write", "YYNNNY"},
    {"observer", "reports", "read", "NYNYNY"},

    /* between rounds (issue 15 on the pages): "the office reads all; a city/county liaison
     * only its own city/county's rows" — monitoring and attendance per county, the home-city
     * rule not applying (not a round's sample or figures); schedule and bulletin office only */
    {"office", "schedule", "read", "YYYYYY"},
    {"office", "monitoring", "read", "YYYYYY"},
    {"office", "attendance", "read", "YYYYYY"},
    {"office", "bulletin", "read", "YYYYYY"},
    {"city", "monitoring", "read", "YYNNYY"},
    {"city", "attendance", "read", "YYNNYY"},
    {"county", "monitoring", "read", "YYNNYY"},
    {"county", "attendance", "read", "YYNNYY"},
    /* seed 002 六(五): the team reports "经组长和副组长签字后提交" — the leader signs off its own
     * team's county reports (the signatures are the 组长's and 副组长's, checked by the library);
     * the office sees where they stand; a report of one's home county is not one's to sign
     * before the release (it is a report: the home-city rule) */
    {"leader", "signoff", "read", "YYNNNY"},
    {"leader", "signoff", "write", "YYNNNY"},
    {"office", "signoff", "read", "YYYYNY"},
    /* seed 000: "抽查工作组…综合研判提出最终的贫困县抽查结果,报扶贫领导小组审定" — the office
     * (DESIGN §10 "all, within its round") reads and records the county synthesis; a leader
     * reads its own team's counties' (DESIGN §10 "own team's counties"); it shows a county's
     * figures and problems, so nobody reads or records their home county's before the release */
    {"office", "synthesis", "read", "YYYYNY"},
    {"office", "synthesis", "write", "YYYYNY"},
    {"leader", "synthesis", "read", "YYNNNY"},
};

static int resource_parse(const char *name)
{
    for (int r = 0; r < RS_NRESOURCES; r++)
        if (!strcmp(access_resource_name((enum access_resource)r), name)) return r;
    return -1;
}

static const char *expected(int role, int res, int act)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        assert_true(access_role_parse(table[i].role) >= 0);
        assert_true(resource_parse(table[i].resource) >= 0);
        if (access_role_parse(table[i].role) == role && resource_parse(table[i].resource) == res &&
            !strcmp(table[i].action, act == AA_READ ? "read" : "write"))
            return table[i].answers;
    }
    return "NNNNNN";
}

static void make_user(struct access_user *u, struct access_grant *g, int role, int home)
{
    memset(u, 0, sizeof *u);
    memset(g, 0, sizeof *g);
    snprintf(u->name, sizeof u->name, "u");
    u->home = home;
    g->role = (enum access_role)role;
    snprintf(g->round, sizeof g->round, "n");
    g->scope = role == AR_CITY ? OWN / 100
               : (role == AR_LEADER || role == AR_EVALUATOR || role == AR_COUNTY) ? OWN
                                                                                 : 0;
    u->grants = g; /* borrowed: not released */
    u->ngrants = 1;
}

static void test_matrix_exhaustive(void **state)
{
    int mismatches = 0, cases = 0;
    (void)state;
    for (int role = 0; role < AR_NROLES; role++)
        for (int res = 0; res < RS_NRESOURCES; res++)
            for (int act = 0; act < AA_NACTIONS; act++) {
                const char *want = expected(role, res, act);
                for (int k = 0; k < 6; k++) {
                    struct access_user u;
                    struct access_grant g;
                    int where = k / 2, after = k % 2;
                    struct access_target t = {"n", where == 1 ? OTHER : OWN, after, 1};
                    make_user(&u, &g, role, where == 2 ? OWN : 0);
                    int got = access_check(&u, (enum access_resource)res,
                                           (enum access_action)act, &t, NULL, NULL) == 0;
                    cases++;
                    if (got != (want[k] == 'Y')) {
                        mismatches++;
                        fprintf(stderr, "mismatch: %s %s %s case %d (%s %s): matrix %s, "
                                        "expected %s\n",
                                access_role_name((enum access_role)role),
                                access_resource_name((enum access_resource)res),
                                access_action_name((enum access_action)act), k,
                                where == 0 ? "own" : where == 1 ? "other" : "home",
                                after ? "after" : "before", got ? "allows" : "denies",
                                want[k] == 'Y' ? "allowed" : "denied");
                    }
                }
            }
    fprintf(stderr, "authorisation: %d cases, %d mismatches\n", cases, mismatches);
    assert_int_equal(cases, AR_NROLES * RS_NRESOURCES * AA_NACTIONS * 6);
    assert_int_equal(mismatches, 0);
}

/* Liaisons see only problems sent to them; nobody holding a grant of round "n" acts in "m". */
static void test_sent_and_rounds(void **state)
{
    struct access_user u;
    struct access_grant g;
    struct access_target unsent = {"n", OWN, 0, 0}, unsent_after = {"n", OWN, 1, 0},
                         other_round = {"m", OWN, 0, 1};
    struct strbuf why = STRBUF_INIT;
    (void)state;
    for (int role = AR_CITY; role <= AR_COUNTY; role++) {
        make_user(&u, &g, role, 0);
        assert_int_not_equal(access_check(&u, RS_PROBLEMS, AA_READ, &unsent, NULL, NULL), 0);
        assert_int_not_equal(access_check(&u, RS_PROBLEMS, AA_READ, &unsent_after, NULL, NULL), 0);
        assert_int_not_equal(access_check(&u, RS_PROBLEMS, AA_WRITE, &unsent, NULL, NULL), 0);
    }
    make_user(&u, &g, AR_LEADER, 0);
    assert_int_equal(access_check(&u, RS_PROBLEMS, AA_READ, &unsent, NULL, NULL), 0);
    assert_int_not_equal(access_check(&u, RS_PROBLEMS, AA_READ, &other_round, NULL, &why), 0);
    assert_non_null(strstr(why.buf, "no grant allows it"));
    /* a grant without a round holds in every round */
    make_user(&u, &g, AR_OFFICE, 0);
    g.round[0] = '\0';
    assert_int_equal(access_check(&u, RS_PROBLEMS, AA_READ, &other_round, NULL, NULL), 0);
    /* the home-city rule names itself; a city cadre is barred from every county of the city */
    make_user(&u, &g, AR_OFFICE, OWN / 100);
    sb_reset(&why);
    assert_int_not_equal(access_check(&u, RS_FIGURES, AA_READ, &unsent, NULL, &why), 0);
    assert_non_null(strstr(why.buf, "本市、本县回避"));
    sb_release(&why);
    /* the role a check allowed, and a check for one role only */
    {
        struct access_grant two[2];
        enum access_role r;
        struct access_target sent = {"n", OWN, 0, 1};
        memset(two, 0, sizeof two);
        two[0].role = AR_COUNTY, two[0].scope = OWN;
        two[1].role = AR_LEADER, two[1].scope = OWN;
        snprintf(two[0].round, sizeof two[0].round, "n");
        snprintf(two[1].round, sizeof two[1].round, "n");
        u.grants = two, u.ngrants = 2, u.home = 0;
        assert_int_equal(access_check(&u, RS_PROBLEMS, AA_WRITE, &sent, &r, NULL), 0);
        assert_int_equal(r, AR_COUNTY);
        assert_int_equal(access_check_as(&u, AR_LEADER, RS_PROBLEMS, AA_WRITE, &unsent, NULL), 0);
        assert_int_not_equal(access_check_as(&u, AR_COUNTY, RS_PROBLEMS, AA_WRITE, &unsent, NULL), 0);
    }
}

/* 等保 2.0 habits, as docs/server.md states them. */
static void test_password_rules(void **state)
{
    struct error e;
    (void)state;
    assert_int_equal(access_password_ok("wang", "Good-Pass-2020", &e), 0);
    assert_int_equal(access_password_ok("wang", "Shrt-P4ss", &e), ERR_INVALID); /* 9 chars */
    assert_int_equal(access_password_ok("wang", "alllowercase1", &e), ERR_INVALID); /* 2 kinds */
    assert_int_equal(access_password_ok("wang", "My-Wang-Pass-1", &e), ERR_INVALID); /* name */
    assert_int_equal(access_password_ok("wang", "密码很长很长很长Ab1", &e), 0); /* characters */
    assert_int_equal(access_password_ok("wang", "Good-Pass\n2020", &e), ERR_INVALID);
    assert_int_equal(access_name_ok("wang.li_2", &e), 0);
    assert_int_equal(access_name_ok("wang li", &e), ERR_INVALID);
    assert_int_equal(access_name_ok("", &e), ERR_INVALID);
}

static void test_parsers(void **state)
{
    char out[80], names[2][65], addr[64];
    int64_t nums[4];
    (void)state;
    assert_int_equal(server_cookie("a=1; pinggu_session=abc; b=2", "pinggu_session", out, sizeof out), 0);
    assert_string_equal(out, "abc");
    assert_int_equal(server_cookie("xpinggu_session=abc", "pinggu_session", out, sizeof out), -1);
    assert_int_equal(server_cookie("pinggu_session=", "pinggu_session", out, sizeof out), -1);
    assert_int_equal(server_cookie("pinggu_session=\"q\"", "pinggu_session", out, sizeof out), 0);
    assert_string_equal(out, "q");
    assert_int_equal(server_cookie(";;=;", "pinggu_session", out, sizeof out), -1);
    assert_int_equal(server_cookie(NULL, "pinggu_session", out, sizeof out), -1);

    assert_int_equal(server_route_match("/api/problems/#/moves", "/api/problems/12/moves", nums, names), 1);
    assert_int_equal(nums[0], 12);
    assert_int_equal(server_route_match("/api/problems/#", "/api/problems/0", nums, names), 0);
    assert_int_equal(server_route_match("/api/problems/#", "/api/problems/1x", nums, names), 0);
    assert_int_equal(server_route_match("/api/problems/#", "/api/problems/1/", nums, names), 0);
    assert_int_equal(server_route_match("/api/rounds/*/releases", "/api/rounds/n-2019/releases", nums, names), 1);
    assert_string_equal(names[0], "n-2019");
    assert_int_equal(server_route_match("/api/rounds/*/releases", "/api/rounds/../releases", nums, names), 0);
    assert_int_equal(server_route_match("/api/rounds/*/releases", "/api/rounds/a%2F/releases", nums, names), 0);
    assert_int_equal(server_route_match("/api/me", "/api/me/", nums, names), 0);

    assert_int_equal(server_origin_ok("http://127.0.0.1:8080", "http://127.0.0.1:8080", NULL), 1);
    assert_int_equal(server_origin_ok("http://127.0.0.1:8080", "http://127.0.0.1:8080.evil", NULL), 0);
    assert_int_equal(server_origin_ok("http://127.0.0.1:8080", "null", "http://127.0.0.1:8080/x"), 0);
    assert_int_equal(server_origin_ok("http://127.0.0.1:8080", NULL, "http://127.0.0.1:8080/x"), 1);
    assert_int_equal(server_origin_ok("http://127.0.0.1:8080", NULL, "http://127.0.0.1:80801/"), 0);
    assert_int_equal(server_origin_ok("http://127.0.0.1:8080", NULL, NULL), 0);

    server_client_addr("10.0.0.1", "10.0.0.1", "1.2.3.4, 5.6.7.8", addr, sizeof addr);
    assert_string_equal(addr, "5.6.7.8");
    server_client_addr("10.0.0.2", "10.0.0.1", "5.6.7.8", addr, sizeof addr);
    assert_string_equal(addr, "10.0.0.2"); /* not the trusted proxy: its header is ignored */
    server_client_addr("10.0.0.1", "10.0.0.1", "<script>", addr, sizeof addr);
    assert_string_equal(addr, "10.0.0.1");
    server_client_addr("10.0.0.1", NULL, "5.6.7.8", addr, sizeof addr);
    assert_string_equal(addr, "10.0.0.1");
}

/* Sessions and lockout on a real store, the clock moved with PINGGU_NOW. */
static void test_sessions_and_lockout(void **state)
{
    char *dir = tu_tmpdir(), path[1100];
    struct store *s = NULL;
    struct error e;
    struct access_grant g = {AR_OFFICE, "", 0};
    struct access_session sess, sess2;
    struct access_user u;
    enum access_outcome out;
    char h[65];
    (void)state;
    snprintf(path, sizeof path, "%s/a.db", dir);
    assert_int_equal(store_open(path, STORE_CREATE, &s, &e), 0);
    setenv("PINGGU_NOW", "2026-11-01T08:00:00Z", 1);
    assert_int_equal(access_user_add(s, "wang", "Good-Pass-2020", 0, &g, 1, &e), 0);
    assert_int_equal(access_user_add(s, "wang", "Good-Pass-2020", 0, &g, 1, &e), ERR_EXISTS);

    /* a login makes a session; the cookie resolves to the user, its CSRF token matches */
    assert_int_equal(access_login(s, "wang", "Good-Pass-2020", "1.2.3.4", &out, &sess, &e), 0);
    assert_int_equal(out, ACCESS_OK);
    assert_int_equal(access_session_get(s, sess.id, 1800, 43200, &u, h, &e), 0);
    assert_string_equal(u.name, "wang");
    assert_int_equal(u.must_change, 1);
    access_user_release(&u);
    assert_int_equal(access_session_csrf(s, h, sess.csrf, &e), 0);
    assert_int_equal(access_session_csrf(s, h, sess.id, &e), ERR_INVALID);
    /* idle: 29 minutes later it still works (and is touched), 31 minutes after that it is gone */
    setenv("PINGGU_NOW", "2026-11-01T08:29:00Z", 1);
    assert_int_equal(access_session_get(s, sess.id, 1800, 43200, &u, NULL, &e), 0);
    access_user_release(&u);
    setenv("PINGGU_NOW", "2026-11-01T09:00:01Z", 1);
    assert_int_equal(access_session_get(s, sess.id, 1800, 43200, &u, NULL, &e), ERR_NOTFOUND);
    /* absolute: active every 20 minutes, still ended 12 hours after login */
    assert_int_equal(access_login(s, "wang", "Good-Pass-2020", "1.2.3.4", &out, &sess2, &e), 0);
    for (int m = 20; m < 12 * 60; m += 20) {
        char now[32];
        snprintf(now, sizeof now, "2026-11-01T%02d:%02d:01Z", 9 + m / 60, m % 60);
        setenv("PINGGU_NOW", now, 1);
        assert_int_equal(access_session_get(s, sess2.id, 1800, 43200, &u, NULL, &e), 0);
        access_user_release(&u);
    }
    setenv("PINGGU_NOW", "2026-11-01T21:00:02Z", 1);
    assert_int_equal(access_session_get(s, sess2.id, 1800, 43200, &u, NULL, &e), ERR_NOTFOUND);

    /* five failures lock the account, even against the right password; 15 minutes free it */
    setenv("PINGGU_NOW", "2026-11-02T08:00:00Z", 1);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(access_login(s, "wang", "Wrong-Pass-2020", "5.6.7.8", &out, &sess, &e), 0);
        assert_int_equal(out, ACCESS_BAD);
    }
    assert_int_equal(access_login(s, "wang", "Good-Pass-2020", "9.9.9.9", &out, &sess, &e), 0);
    assert_int_equal(out, ACCESS_LOCKED);
    /* and the address: another account from 5.6.7.8 is refused too */
    assert_int_equal(access_login(s, "nobody", "Good-Pass-2020", "5.6.7.8", &out, &sess, &e), 0);
    assert_int_equal(out, ACCESS_LOCKED);
    setenv("PINGGU_NOW", "2026-11-02T08:15:01Z", 1);
    assert_int_equal(access_login(s, "wang", "Good-Pass-2020", "9.9.9.9", &out, &sess, &e), 0);
    assert_int_equal(out, ACCESS_OK);
    /* the office's unlock, and a disabled account */
    setenv("PINGGU_NOW", "2026-11-02T09:00:00Z", 1);
    for (int i = 0; i < 5; i++) access_login(s, "wang", "Wrong-Pass-2020", "5.6.7.9", &out, &sess, &e);
    assert_int_equal(access_user_unlock(s, "wang", "5.6.7.9", &e), 0);
    assert_int_equal(access_login(s, "wang", "Good-Pass-2020", "5.6.7.9", &out, &sess, &e), 0);
    assert_int_equal(out, ACCESS_OK);
    assert_int_equal(access_user_disable(s, "wang", &e), 0);
    assert_int_equal(access_session_get(s, sess.id, 1800, 43200, &u, NULL, &e), ERR_NOTFOUND);
    assert_int_equal(access_login(s, "wang", "Good-Pass-2020", "5.6.7.9", &out, &sess, &e), 0);
    assert_int_equal(out, ACCESS_DISABLED);

    /* the security log: a flood from one address is one row with its count */
    for (int i = 0; i < 500; i++)
        assert_int_equal(access_security_log(s, "csrf", "5.6.7.8", "wang", "", &e), 0);
    {
        int64_t rows = 0, total = 0;
        assert_int_equal(store_query_int(s, "SELECT count(*) FROM security_log", 0, &rows, &e), 0);
        assert_int_equal(store_query_int(s, "SELECT sum(count) FROM security_log", 0, &total, &e), 0);
        assert_int_equal(rows, 1);
        assert_int_equal(total, 500);
        /* many addresses: at most ACCESS_SECLOG_PER_MINUTE rows, the rest in one overflow row */
        for (int i = 0; i < 400; i++) {
            char a[32];
            snprintf(a, sizeof a, "10.0.%d.%d", i / 250, i % 250);
            assert_int_equal(access_security_log(s, "forbidden", a, "", "", &e), 0);
        }
        assert_int_equal(store_query_int(s, "SELECT count(*) FROM security_log", 0, &rows, &e), 0);
        assert_int_equal(rows, ACCESS_SECLOG_PER_MINUTE + 1);
    }
    unsetenv("PINGGU_NOW");
    store_close(s);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix_exhaustive),
        cmocka_unit_test(test_sent_and_rounds),
        cmocka_unit_test(test_password_rules),
        cmocka_unit_test(test_parsers),
        cmocka_unit_test(test_sessions_and_lockout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
