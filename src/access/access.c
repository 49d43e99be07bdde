/*
 * access.c — accounts, login, sessions, lockout and the security log (access.h).
 *
 * Every write to users and grants is an audited write (audit_writer for new rows,
 * audit_update_where for changes; the acting user is the connection's actor, store.h).
 * Sessions, lockout counters and the security log are plain tables: they change with every
 * request and must never bloat the change log.
 *
 * The hashing queue: Argon2id with 64 MiB per hash is the memory-hard step a login flood
 * would exploit. A process-wide counter (mutex + condition variable) lets ACCESS_HASH_SLOTS
 * hashes run and ACCESS_HASH_QUEUE wait; the next caller gets ACCESS_BUSY at once and no
 * memory is taken. An unknown user name is verified against a dummy hash so both answers
 * take the same time.
 */
#include "access.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PW_OPS crypto_pwhash_OPSLIMIT_INTERACTIVE /* 2 */
#define PW_MEM ((size_t)64 << 20)                 /* 64 MiB: the figure */

int64_t access_now(void)
{
    const char *env = getenv("PINGGU_NOW");
    if (env && *env) {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        const char *end = strptime(env, "%Y-%m-%dT%H:%M:%S", &tm);
        if (end) return (int64_t)timegm(&tm);
    }
    return (int64_t)time(NULL);
}

static void now_iso(char out[32])
{
    time_t t = (time_t)access_now();
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void access_user_release(struct access_user *u)
{
    mem_free(u->grants);
    u->grants = NULL;
    u->ngrants = 0;
}

/* ------------------------------------------------------------------ rules */

int access_name_ok(const char *name, struct error *e)
{
    size_t n = strlen(name);
    if (n == 0 || n > 63)
        return error_set(e, ERR_INVALID, "a user name has 1 to 63 characters / 用户名长度 1–63");
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return error_set(e, ERR_INVALID,
                             "user name '%s': only letters, digits, '.', '_' and '-' "
                             "/ 用户名只能含字母、数字、. _ -",
                             name);
    }
    return 0;
}

int access_password_ok(const char *user, const char *pw, struct error *e)
{
    size_t n = strlen(pw), chars = 0;
    int lower = 0, upper = 0, digit = 0, other = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)pw[i];
        if ((c & 0xC0) != 0x80) chars++; /* count UTF-8 characters, not bytes */
        if (c >= 'a' && c <= 'z') lower = 1;
        else if (c >= 'A' && c <= 'Z') upper = 1;
        else if (c >= '0' && c <= '9') digit = 1;
        else if (c < 0x20 || c == 0x7f)
            return error_set(e, ERR_INVALID, "the password has a control character "
                                             "/ 密码含控制字符");
        else other = 1;
    }
    if (chars < 10)
        return error_set(e, ERR_INVALID, "the password needs at least 10 characters "
                                         "/ 密码至少 10 位");
    if (n > 256)
        return error_set(e, ERR_INVALID, "the password is longer than 256 bytes / 密码过长");
    if (lower + upper + digit + other < 3)
        return error_set(e, ERR_INVALID,
                         "the password needs three of: lower case, upper case, digits, other "
                         "characters / 密码须含大写字母、小写字母、数字、特殊字符中的至少三类");
    if (user && *user && strcasestr(pw, user))
        return error_set(e, ERR_INVALID, "the password contains the user name "
                                         "/ 密码不得包含用户名");
    return 0;
}

static void secret_new(char hex[65], char hash[65]);

/* ------------------------------------------------------------------ hashing queue */

static pthread_mutex_t hq_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hq_cond = PTHREAD_COND_INITIALIZER;
static int hq_running, hq_waiting;

/* 0 with a slot held, or ACCESS_BUSY at once if the queue is full. */
static int slot_acquire(void)
{
    pthread_mutex_lock(&hq_lock);
    if (hq_running >= ACCESS_HASH_SLOTS && hq_waiting >= ACCESS_HASH_QUEUE) {
        pthread_mutex_unlock(&hq_lock);
        return ACCESS_BUSY;
    }
    hq_waiting++;
    while (hq_running >= ACCESS_HASH_SLOTS) pthread_cond_wait(&hq_cond, &hq_lock);
    hq_waiting--;
    hq_running++;
    pthread_mutex_unlock(&hq_lock);
    return 0;
}

static void slot_release(void)
{
    pthread_mutex_lock(&hq_lock);
    hq_running--;
    pthread_cond_signal(&hq_cond);
    pthread_mutex_unlock(&hq_lock);
}

static int pw_hash(const char *pw, char out[crypto_pwhash_STRBYTES], struct error *e)
{
    if (sodium_init() < 0) return error_set(e, ERR_INTERNAL, "libsodium failed to start");
    if (slot_acquire()) return error_set(e, ERR_IO, "the password hashing queue is full");
    int rc = crypto_pwhash_str(out, pw, strlen(pw), PW_OPS, PW_MEM);
    slot_release();
    if (rc) return error_set(e, ERR_NOMEM, "password hashing failed (64 MiB needed)");
    return 0;
}

/* 1 if pw matches hash, 0 if not, ACCESS_BUSY (positive) if the queue is full. */
static int pw_verify(const char *hash, const char *pw)
{
    int rc;
    if (sodium_init() < 0) return 0;
    if (slot_acquire()) return -ACCESS_BUSY;
    rc = crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
    slot_release();
    return rc;
}

/* A hash no password matches, for unknown names (same cost as a real check). */
static char dummy[crypto_pwhash_STRBYTES];
static void dummy_make(void)
{
    char pw[65], h[65];
    secret_new(pw, h);
    if (crypto_pwhash_str(dummy, pw, 64, PW_OPS, PW_MEM)) dummy[0] = '\0';
}
static const char *dummy_hash(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, dummy_make);
    return dummy[0] ? dummy : NULL;
}

/* ------------------------------------------------------------------ users */

static int load_grants(struct store *s, const char *name, struct access_user *u,
                       struct error *e)
{
    struct stmt *st = NULL;
    size_t cap = 0;
    int rc = store_prepare(s, "SELECT role, round, scope FROM grants WHERE user = ? ORDER BY "
                              "row_no",
                           &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, name, strlen(name));
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        int role = access_role_parse(stmt_text(st, 0));
        if (role < 0) continue;
        if (u->ngrants == cap) {
            size_t nc = cap ? cap * 2 : 4;
            struct access_grant *g = mem_realloc(u->grants, nc * sizeof *g);
            if (!g) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            u->grants = g, cap = nc;
        }
        struct access_grant *g = &u->grants[u->ngrants++];
        g->role = (enum access_role)role;
        snprintf(g->round, sizeof g->round, "%s", stmt_text(st, 1));
        g->scope = (int)stmt_int(st, 2);
    }
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* Reads a user's row: pwhash (may be NULL), disabled, home, must_change. */
static int user_row(struct store *s, const char *name, char *pwhash, size_t pwsize,
                    int *disabled, int *home, int *must_change, struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s, "SELECT pwhash, disabled, home_unit, must_change FROM users "
                              "WHERE name = ?",
                           &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, name, strlen(name));
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) {
        if (pwhash) snprintf(pwhash, pwsize, "%s", stmt_text(st, 0));
        if (disabled) *disabled = (int)stmt_int(st, 1);
        if (home) *home = (int)stmt_int(st, 2);
        if (must_change) *must_change = (int)stmt_int(st, 3);
        rc = 0;
    } else if (rc == STORE_DONE) {
        rc = error_set(e, ERR_NOTFOUND, "no user '%s' / 无此用户", name);
    }
    stmt_finalize(st);
    return rc;
}

int access_user_load(struct store *s, const char *name, struct access_user *u, int *disabled,
                     struct error *e)
{
    int rc;
    memset(u, 0, sizeof *u);
    snprintf(u->name, sizeof u->name, "%s", name);
    rc = user_row(s, name, NULL, 0, disabled, &u->home, &u->must_change, e);
    if (!rc) rc = load_grants(s, name, u, e);
    if (rc) access_user_release(u);
    return rc;
}

static int insert_grant(struct store *s, const char *name, const struct access_grant *g,
                        struct error *e)
{
    struct audit_writer w;
    char key[128];
    int rc = audit_writer_begin(&w, s, "grants", "user, role, round, scope", e);
    if (rc) return rc;
    w.v[1] = rv_text(name, strlen(name));
    w.v[2] = rv_text(access_role_name(g->role), strlen(access_role_name(g->role)));
    w.v[3] = rv_text(g->round, strlen(g->round));
    w.v[4] = rv_int(g->scope);
    rc = audit_writer_row(&w, e);
    snprintf(key, sizeof key, "%s", name);
    if (!rc) rc = audit_writer_commit(&w, "grant", key, NULL, e);
    else audit_writer_abort(&w);
    return rc;
}

static int check_grant(const struct access_grant *g, struct error *e)
{
    if ((unsigned)g->role >= AR_NROLES) return error_set(e, ERR_INVALID, "unknown role");
    if (g->scope && !((g->scope >= 1000 && g->scope <= 9999) ||
                      (g->scope >= 100000 && g->scope <= 999999)))
        return error_set(e, ERR_INVALID,
                         "scope %d is neither a city (4 digits) nor a county (6 digits)",
                         g->scope);
    if ((g->role == AR_CITY && g->scope / 10000 != 0) || (g->role == AR_CITY && !g->scope))
        return error_set(e, ERR_INVALID, "a city liaison's scope is a city code (4 digits) "
                                         "/ 市联络员的范围须为市代码");
    if (g->role == AR_COUNTY && g->scope < 100000)
        return error_set(e, ERR_INVALID, "a county liaison's scope is a county code (6 "
                                         "digits) / 县联络员的范围须为县代码");
    if ((g->role == AR_LEADER || g->role == AR_EVALUATOR) && !g->round[0])
        return error_set(e, ERR_INVALID, "a %s grant names its round (--round) / 须指定轮次",
                         access_role_name(g->role));
    return 0;
}

int access_user_add(struct store *s, const char *name, const char *password, int home,
                    const struct access_grant *grants, size_t ngrants, struct error *e)
{
    char hash[crypto_pwhash_STRBYTES], at[32];
    struct audit_writer w;
    int rc;
    int64_t exists;
    if ((rc = access_name_ok(name, e))) return rc;
    if ((rc = access_password_ok(name, password, e))) return rc;
    if (home && !((home >= 1000 && home <= 9999) || (home >= 100000 && home <= 999999)))
        return error_set(e, ERR_INVALID, "home unit %d is neither a city (4 digits) nor a "
                                         "county (6 digits)",
                         home);
    for (size_t i = 0; i < ngrants; i++)
        if ((rc = check_grant(&grants[i], e))) return rc;
    rc = user_row(s, name, NULL, 0, NULL, NULL, NULL, e);
    if (rc == 0) return error_set(e, ERR_EXISTS, "user '%s' exists / 用户已存在", name);
    if (rc != ERR_NOTFOUND) return rc;
    if ((rc = pw_hash(password, hash, e))) return rc;
    now_iso(at);
    if ((rc = store_begin(s, e))) return rc;
    {
        struct strbuf q = STRBUF_INIT;
        sb_adds(&q, "SELECT count(*) FROM users WHERE name = ");
        sql_quote(&q, name);
        rc = sb_ok(&q) ? ERR_NOMEM : store_query_int(s, q.buf, 0, &exists, e);
        sb_release(&q);
        if (!rc && exists) rc = error_set(e, ERR_EXISTS, "user '%s' exists / 用户已存在", name);
    }
    if (!rc) rc = audit_writer_begin(&w, s, "users",
                                     "name, pwhash, home_unit, must_change, disabled, created", e);
    if (!rc) {
        w.v[1] = rv_text(name, strlen(name));
        w.v[2] = rv_text(hash, strlen(hash));
        w.v[3] = rv_int(home);
        w.v[4] = rv_int(1);
        w.v[5] = rv_int(0);
        w.v[6] = rv_text(at, strlen(at));
        rc = audit_writer_row(&w, e);
        if (!rc) rc = audit_writer_commit(&w, "user_add", name, NULL, e);
        else audit_writer_abort(&w);
    }
    for (size_t i = 0; !rc && i < ngrants; i++) rc = insert_grant(s, name, &grants[i], e);
    if (!rc) rc = store_commit(s, e);
    else store_rollback(s);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

int access_grant_add(struct store *s, const char *name, const struct access_grant *g,
                     struct error *e)
{
    int rc = check_grant(g, e);
    if (rc) return rc;
    if ((rc = store_begin(s, e))) return rc;
    rc = user_row(s, name, NULL, 0, NULL, NULL, NULL, e);
    if (!rc) rc = insert_grant(s, name, g, e);
    if (!rc) rc = store_commit(s, e);
    else store_rollback(s);
    return rc;
}

/* Runs `sql` (one parameter: the user name) without results. */
static int exec1(struct store *s, const char *sql, const char *arg, struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s, sql, &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, arg, strlen(arg));
    rc = stmt_step(st, e);
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* An audited rewrite of user `name`'s row with `set`; ERR_NOTFOUND if no such user. */
static int user_update(struct store *s, const char *name, const char *set, const char *action,
                       struct error *e)
{
    struct strbuf where = STRBUF_INIT;
    int64_t n = 0;
    int rc;
    sb_adds(&where, "name = ");
    sql_quote(&where, name);
    rc = sb_ok(&where) ? ERR_NOMEM
                       : audit_update_where(s, "users", set, where.buf, action, name, NULL, &n, e);
    sb_release(&where);
    if (!rc && n == 0) rc = error_set(e, ERR_NOTFOUND, "no user '%s' / 无此用户", name);
    return rc;
}

int access_user_disable(struct store *s, const char *name, struct error *e)
{
    int rc = store_begin(s, e);
    if (rc) return rc;
    rc = user_update(s, name, "disabled = 1", "user_disable", e);
    if (!rc) rc = exec1(s, "DELETE FROM sessions WHERE user = ?", name, e);
    if (!rc) rc = store_commit(s, e);
    else store_rollback(s);
    return rc;
}

int access_user_unlock(struct store *s, const char *name, const char *addr, struct error *e)
{
    int rc = store_begin(s, e);
    char detail[160];
    if (rc) return rc;
    rc = user_row(s, name, NULL, 0, NULL, NULL, NULL, e);
    if (!rc) rc = exec1(s, "DELETE FROM login_failures WHERE kind = 'user' AND key = ?", name, e);
    if (!rc && addr && *addr)
        rc = exec1(s, "DELETE FROM login_failures WHERE kind = 'addr' AND key = ?", addr, e);
    if (!rc) {
        struct strbuf d = STRBUF_INIT;
        sb_adds(&d, "{\"address\":\"");
        for (const char *p = addr ? addr : ""; *p; p++)
            if (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20) sb_addch(&d, *p);
        sb_adds(&d, "\"}");
        snprintf(detail, sizeof detail, "%s", sb_ok(&d) ? "{}" : d.buf);
        sb_release(&d);
        rc = audit_note(s, "user_unlock", "users", name, detail, e);
    }
    if (!rc) rc = store_commit(s, e);
    else store_rollback(s);
    return rc;
}

static int set_password(struct store *s, const char *name, const char *hash, int must_change,
                        const char *action, const char *keep_session, struct error *e)
{
    struct strbuf set = STRBUF_INIT;
    int rc;
    sb_adds(&set, "pwhash = ");
    sql_quote(&set, hash);
    sb_addf(&set, ", must_change = %d", must_change);
    rc = sb_ok(&set) ? ERR_NOMEM : user_update(s, name, set.buf, action, e);
    sb_release(&set);
    if (!rc && keep_session) {
        struct stmt *st = NULL;
        rc = store_prepare(s, "DELETE FROM sessions WHERE user = ? AND id_hash <> ?", &st, e);
        if (!rc) {
            stmt_bind_text(st, 1, name, strlen(name));
            stmt_bind_text(st, 2, keep_session, strlen(keep_session));
            rc = stmt_step(st, e);
            rc = rc < 0 ? rc : 0;
            stmt_finalize(st);
        }
    } else if (!rc) {
        rc = exec1(s, "DELETE FROM sessions WHERE user = ?", name, e);
    }
    if (!rc) rc = exec1(s, "DELETE FROM login_failures WHERE kind = 'user' AND key = ?", name, e);
    return rc;
}

int access_user_reset(struct store *s, const char *name, const char *password,
                      struct error *e)
{
    char hash[crypto_pwhash_STRBYTES];
    int rc = access_password_ok(name, password, e);
    if (rc) return rc;
    if ((rc = user_row(s, name, NULL, 0, NULL, NULL, NULL, e))) return rc;
    if ((rc = pw_hash(password, hash, e))) return rc;
    if ((rc = store_begin(s, e))) return rc;
    rc = set_password(s, name, hash, 1, "user_reset", NULL, e);
    if (!rc) rc = store_commit(s, e);
    else store_rollback(s);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

int access_password_change(struct store *s, const char *name, const char *old_pw,
                           const char *new_pw, const char *keep_session, struct error *e)
{
    char old[crypto_pwhash_STRBYTES], hash[crypto_pwhash_STRBYTES];
    int rc = user_row(s, name, old, sizeof old, NULL, NULL, NULL, e), ok;
    if (rc) return rc;
    ok = pw_verify(old, old_pw);
    if (ok < 0) return error_set(e, ERR_IO, "busy: too many logins at once / 系统繁忙");
    if (!ok) return error_set(e, ERR_INVALID, "the current password is wrong / 原密码错误");
    if (!strcmp(old_pw, new_pw))
        return error_set(e, ERR_INVALID, "the new password must differ from the old one "
                                         "/ 新密码不得与原密码相同");
    if ((rc = access_password_ok(name, new_pw, e))) return rc;
    if ((rc = pw_hash(new_pw, hash, e))) return rc;
    if ((rc = store_begin(s, e))) return rc;
    rc = set_password(s, name, hash, 0, "password_change", keep_session, e);
    if (!rc) rc = store_commit(s, e);
    else store_rollback(s);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

int access_user_list(struct store *s, FILE *f, struct error *e)
{
    struct stmt *st = NULL;
    int64_t now = access_now();
    int rc = store_prepare(
        s,
        "SELECT u.name, u.home_unit, u.disabled, u.must_change,"
        " (SELECT count(*) FROM login_failures l WHERE l.kind = 'user' AND l.key = u.name"
        "  AND l.locked_until > ?),"
        " (SELECT group_concat(g.role || CASE WHEN g.round <> '' THEN '@' || g.round ELSE '' END"
        "  || CASE WHEN g.scope <> 0 THEN ':' || g.scope ELSE '' END, ' ') FROM grants g"
        "  WHERE g.user = u.name)"
        " FROM users u ORDER BY u.name",
        &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, now);
    fprintf(f, "%-20s %-8s %-9s %-11s %s\n", "user / 用户", "home", "state", "must_change",
            "grants (role@round:scope)");
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        const char *state = stmt_int(st, 2) ? "disabled" : stmt_int(st, 4) ? "locked" : "active";
        fprintf(f, "%-20s %-8lld %-9s %-11s %s\n", stmt_text(st, 0),
                (long long)stmt_int(st, 1), state, stmt_int(st, 3) ? "yes" : "no",
                stmt_text(st, 5));
    }
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------ lockout */

static int locked(struct store *s, const char *kind, const char *key, int64_t now, int *out,
                  struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s, "SELECT locked_until FROM login_failures WHERE kind = ? AND key = ?",
                           &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, kind, strlen(kind));
    stmt_bind_text(st, 2, key, strlen(key));
    rc = stmt_step(st, e);
    *out = rc == STORE_ROW && stmt_int(st, 0) > now;
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* One more failure for (kind, key); the fifth locks it and starts the count again. */
static int count_failure(struct store *s, const char *kind, const char *key, int64_t now,
                         struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(
        s,
        "INSERT INTO login_failures (kind, key, count, locked_until) VALUES (?, ?, 1, 0) "
        "ON CONFLICT (kind, key) DO UPDATE SET "
        " locked_until = CASE WHEN login_failures.count + 1 >= ? THEN ? ELSE"
        " login_failures.locked_until END,"
        " count = CASE WHEN login_failures.count + 1 >= ? THEN 0 ELSE login_failures.count + 1 END",
        &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, kind, strlen(kind));
    stmt_bind_text(st, 2, key, strlen(key));
    stmt_bind_int(st, 3, ACCESS_MAX_FAILURES);
    stmt_bind_int(st, 4, now + ACCESS_LOCK_SECONDS);
    stmt_bind_int(st, 5, ACCESS_MAX_FAILURES);
    rc = stmt_step(st, e);
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------ sessions */

static void secret_new(char hex[65], char hash[65])
{
    unsigned char b[32];
    randombytes_buf(b, sizeof b);
    hash_hex(b, 32, hex);
    hash_sha256_hex(b, 32, hash);
    sodium_memzero(b, sizeof b);
}

/* The stored hash of a presented secret (64 hex digits): 0, or -1 if malformed. */
static int secret_hash(const char *hex, char hash[65])
{
    unsigned char b[32];
    if (!hex || strlen(hex) != 64 || hash_unhex32(hex, b)) return -1;
    hash_sha256_hex(b, 32, hash);
    return 0;
}

int access_login(struct store *s, const char *name, const char *password, const char *addr,
                 enum access_outcome *outcome, struct access_session *sess, struct error *e)
{
    char pwhash[crypto_pwhash_STRBYTES] = "", csrf_hash[65];
    int64_t now = access_now();
    int disabled = 0, lk = 0, ok, rc, known;
    struct stmt *st = NULL;
    if (sodium_init() < 0) return error_set(e, ERR_INTERNAL, "libsodium failed to start");
    *outcome = ACCESS_BAD;
    if ((rc = locked(s, "user", name, now, &lk, e))) return rc;
    if (!lk && (rc = locked(s, "addr", addr, now, &lk, e))) return rc;
    if (lk) {
        *outcome = ACCESS_LOCKED;
        return 0;
    }
    rc = user_row(s, name, pwhash, sizeof pwhash, &disabled, NULL, NULL, e);
    if (rc && rc != ERR_NOTFOUND) return rc;
    known = rc == 0;
    if (!known) {
        const char *d = dummy_hash();
        snprintf(pwhash, sizeof pwhash, "%s", d ? d : "");
    }
    ok = pwhash[0] ? pw_verify(pwhash, password) : 0;
    if (ok < 0) {
        *outcome = ACCESS_BUSY;
        return 0;
    }
    if (!ok || !known) {
        if ((rc = store_begin(s, e))) return rc;
        rc = count_failure(s, "user", name, now, e);
        if (!rc) rc = count_failure(s, "addr", addr, now, e);
        if (!rc) rc = store_commit(s, e);
        else store_rollback(s);
        return rc;
    }
    if (disabled) {
        *outcome = ACCESS_DISABLED;
        return 0;
    }
    secret_new(sess->id, sess->id_hash);
    secret_new(sess->csrf, csrf_hash);
    if ((rc = store_begin(s, e))) return rc;
    rc = exec1(s, "DELETE FROM login_failures WHERE kind = 'user' AND key = ?", name, e);
    if (!rc) rc = exec1(s, "DELETE FROM login_failures WHERE kind = 'addr' AND key = ?", addr, e);
    if (!rc) rc = store_prepare(s, "INSERT INTO sessions (id_hash, user, csrf_hash, created, "
                                   "last_seen) VALUES (?, ?, ?, ?, ?)",
                                &st, e);
    if (!rc) {
        stmt_bind_text(st, 1, sess->id_hash, 64);
        stmt_bind_text(st, 2, name, strlen(name));
        stmt_bind_text(st, 3, csrf_hash, 64);
        stmt_bind_int(st, 4, now);
        stmt_bind_int(st, 5, now);
        rc = stmt_step(st, e);
        rc = rc < 0 ? rc : 0;
        stmt_finalize(st);
    }
    if (!rc) rc = store_commit(s, e);
    else store_rollback(s);
    if (!rc) *outcome = ACCESS_OK;
    return rc;
}

int access_session_get(struct store *s, const char *cookie, int64_t idle, int64_t absolute,
                       struct access_user *u, char *id_hash, struct error *e)
{
    char h[65], user[64] = "";
    struct stmt *st = NULL;
    int64_t now = access_now(), created = 0, seen = 0;
    int rc, disabled = 0;
    memset(u, 0, sizeof *u);
    if (secret_hash(cookie, h)) return error_set(e, ERR_NOTFOUND, "no session");
    rc = store_prepare(s, "SELECT user, created, last_seen FROM sessions WHERE id_hash = ?", &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, h, 64);
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) {
        snprintf(user, sizeof user, "%s", stmt_text(st, 0));
        created = stmt_int(st, 1), seen = stmt_int(st, 2);
        rc = 0;
    } else if (rc == STORE_DONE) {
        rc = error_set(e, ERR_NOTFOUND, "no session");
    }
    stmt_finalize(st);
    if (rc) return rc;
    if (now - seen > idle || now - created > absolute) {
        exec1(s, "DELETE FROM sessions WHERE id_hash = ?", h, NULL);
        return error_set(e, ERR_NOTFOUND, "the session expired / 会话已过期");
    }
    rc = access_user_load(s, user, u, &disabled, e);
    if (rc == ERR_NOTFOUND || (!rc && disabled)) {
        access_user_release(u);
        exec1(s, "DELETE FROM sessions WHERE id_hash = ?", h, NULL);
        return error_set(e, ERR_NOTFOUND, "no session");
    }
    if (rc) return rc;
    /* last_seen is written at most once per min(60 s, idle / 2): enough for the idle rule */
    if (now - seen >= (idle / 2 < 60 ? (idle / 2 > 0 ? idle / 2 : 1) : 60)) {
        rc = store_prepare(s, "UPDATE sessions SET last_seen = ? WHERE id_hash = ?", &st, e);
        if (!rc) {
            stmt_bind_int(st, 1, now);
            stmt_bind_text(st, 2, h, 64);
            rc = stmt_step(st, e);
            rc = rc < 0 ? rc : 0;
            stmt_finalize(st);
        }
        if (rc) {
            access_user_release(u);
            return rc;
        }
    }
    if (id_hash) memcpy(id_hash, h, 65);
    return 0;
}

int access_session_csrf(struct store *s, const char *id_hash, const char *token,
                        struct error *e)
{
    char h[65];
    struct stmt *st = NULL;
    int rc, ok = 0;
    if (secret_hash(token, h))
        return error_set(e, ERR_INVALID, "the CSRF token is missing or malformed");
    rc = store_prepare(s, "SELECT csrf_hash FROM sessions WHERE id_hash = ?", &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, id_hash, strlen(id_hash));
    rc = stmt_step(st, e);
    if (rc == STORE_ROW && stmt_len(st, 0) == 64)
        ok = sodium_memcmp(stmt_text(st, 0), h, 64) == 0;
    stmt_finalize(st);
    if (rc < 0) return rc;
    return ok ? 0 : error_set(e, ERR_INVALID, "the CSRF token does not match the session");
}

int access_session_end(struct store *s, const char *id_hash, int all, struct error *e)
{
    if (!all) return exec1(s, "DELETE FROM sessions WHERE id_hash = ?", id_hash, e);
    return exec1(s, "DELETE FROM sessions WHERE user = (SELECT user FROM sessions WHERE "
                    "id_hash = ?)",
                 id_hash, e);
}

/* ------------------------------------------------------------------ security log */

int access_security_log(struct store *s, const char *kind, const char *addr, const char *user,
                        const char *detail, struct error *e)
{
    int64_t minute = access_now() / 60, rows = 0;
    struct stmt *st = NULL;
    int rc;
    /* a row per (minute, kind, addr) already there: count it */
    rc = store_prepare(s, "UPDATE security_log SET count = count + 1 WHERE minute = ? AND "
                          "kind = ? AND addr = ?",
                       &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, minute);
    stmt_bind_text(st, 2, kind, strlen(kind));
    stmt_bind_text(st, 3, addr, strlen(addr));
    rc = stmt_step(st, e);
    stmt_finalize(st);
    if (rc < 0) return rc;
    if (store_changes(s) > 0) return 0;
    /* a flood from many addresses: beyond the minute's budget, one overflow row counts all */
    {
        struct strbuf q = STRBUF_INIT;
        sb_addf(&q, "SELECT count(*) FROM security_log WHERE minute = %lld", (long long)minute);
        rc = sb_ok(&q) ? ERR_NOMEM : store_query_int(s, q.buf, 0, &rows, e);
        sb_release(&q);
        if (rc) return rc;
    }
    if (rows >= ACCESS_SECLOG_PER_MINUTE) kind = "overflow", addr = "*", user = "", detail = "";
    rc = store_prepare(s, "INSERT INTO security_log (minute, kind, addr, user, detail, count) "
                          "VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (minute, kind, addr) DO "
                          "UPDATE SET count = security_log.count + 1",
                       &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, minute);
    stmt_bind_text(st, 2, kind, strlen(kind));
    stmt_bind_text(st, 3, addr, strlen(addr));
    stmt_bind_text(st, 4, user, strnlen(user, 64));
    stmt_bind_text(st, 5, detail, strnlen(detail, 200));
    rc = stmt_step(st, e);
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int access_security_print(struct store *s, FILE *f, struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s, "SELECT minute, kind, addr, user, count, detail FROM security_log "
                              "ORDER BY id",
                           &st, e);
    if (rc) return rc;
    fprintf(f, "%-20s %-14s %-16s %-12s %6s %s\n", "minute (UTC)", "kind", "address", "user",
            "count", "detail");
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        time_t t = (time_t)(stmt_int(st, 0) * 60);
        struct tm tm;
        char at[32];
        gmtime_r(&t, &tm);
        strftime(at, sizeof at, "%Y-%m-%dT%H:%MZ", &tm);
        fprintf(f, "%-20s %-14s %-16s %-12s %6lld %s\n", at, stmt_text(st, 1), stmt_text(st, 2),
                stmt_text(st, 3), (long long)stmt_int(st, 4), stmt_text(st, 5));
    }
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------ rounds, problems */

void access_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++) mem_free(names[i]);
    mem_free(names);
}

int access_rounds(struct store *s, char ***names, int **released, size_t *n,
                  struct error *e)
{
    struct stmt *st = NULL;
    size_t cap = 0;
    int rc;
    *names = NULL, *released = NULL, *n = 0;
    rc = store_prepare(s, "SELECT name, (SELECT count(*) FROM releases r WHERE r.round = "
                          "samples.name) FROM samples ORDER BY row_no",
                       &st, e);
    if (rc) return rc;
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            char **nn = mem_realloc(*names, nc * sizeof *nn);
            if (nn) *names = nn;
            int *nr = nn ? mem_realloc(*released, nc * sizeof *nr) : NULL;
            if (!nn || !nr) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            *released = nr, cap = nc;
        }
        (*names)[*n] = mem_strdup(stmt_text(st, 0));
        (*released)[*n] = (int)stmt_int(st, 1);
        if (!(*names)[*n]) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            break;
        }
        (*n)++;
    }
    stmt_finalize(st);
    if (rc < 0) {
        access_names_free(*names, *n);
        mem_free(*released);
        *names = NULL, *released = NULL, *n = 0;
        return rc;
    }
    return 0;
}

int access_round_exists(struct store *s, const char *round, struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s, "SELECT count(*) FROM samples WHERE name = ?", &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, round, strlen(round));
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) rc = stmt_int(st, 0) ? 0 : error_set(e, ERR_NOTFOUND, "no round '%s' / 无此轮次", round);
    stmt_finalize(st);
    return rc;
}

int access_round_released(struct store *s, const char *round, int *nreleases,
                          struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s, "SELECT count(*) FROM releases WHERE round = ?", &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, round, strlen(round));
    rc = stmt_step(st, e);
    *nreleases = rc == STORE_ROW ? (int)stmt_int(st, 0) : 0;
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int access_problem_target(struct store *s, int64_t id, char *round, size_t round_size,
                          int *county, char *state, size_t state_size, struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(
        s,
        "SELECT sa.name, p.county, coalesce((SELECT m.to_state FROM problem_moves m WHERE "
        "m.problem = p.row_no ORDER BY m.row_no DESC LIMIT 1), p.status) FROM problems p "
        "JOIN samples sa ON sa.row_no = p.sample WHERE p.row_no = ?",
        &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, id);
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) {
        snprintf(round, round_size, "%s", stmt_text(st, 0));
        *county = (int)stmt_int(st, 1);
        snprintf(state, state_size, "%s", stmt_text(st, 2));
        rc = 0;
    } else if (rc == STORE_DONE) {
        rc = error_set(e, ERR_NOTFOUND, "no problem number %lld / 无此问题", (long long)id);
    }
    stmt_finalize(st);
    return rc;
}

int access_unit_county(struct store *s, const char *round, const char *unit, int *county,
                       struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s, "SELECT u.county FROM sample_units u JOIN samples sa ON sa.row_no = "
                              "u.sample WHERE sa.name = ? AND u.code = ? LIMIT 1",
                           &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, round, strlen(round));
    stmt_bind_text(st, 2, unit, strlen(unit));
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) *county = (int)stmt_int(st, 0), rc = 0;
    else if (rc == STORE_DONE)
        rc = error_set(e, ERR_NOTFOUND, "unit '%s' is not in the sample of round '%s' / 样本中无此单位",
                       unit, round);
    stmt_finalize(st);
    return rc;
}

int access_evidence_target(struct store *s, const char *sha, char *round, size_t round_size,
                           int *county, char *name, size_t name_size, int64_t *size,
                           struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(
        s,
        "SELECT e.name, e.size,"
        " coalesce((SELECT sa.name || '|' || q.county FROM evidence_links l JOIN questionnaires q"
        "   ON q.row_no = l.questionnaire JOIN samples sa ON sa.row_no = q.sample"
        "   WHERE l.evidence = e.sha256 AND l.questionnaire > 0 LIMIT 1),"
        "  (SELECT sa.name || '|' || p.county FROM evidence_links l JOIN problems p"
        "   ON p.row_no = l.problem JOIN samples sa ON sa.row_no = p.sample"
        "   WHERE l.evidence = e.sha256 AND l.problem > 0 LIMIT 1),"
        "  (SELECT sa.name || '|' || u.county FROM evidence_links l JOIN sample_units u"
        "   ON u.code = l.unit JOIN samples sa ON sa.row_no = u.sample"
        "   WHERE l.evidence = e.sha256 LIMIT 1), '|0')"
        " FROM evidence e WHERE e.sha256 = ?",
        &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, sha, strlen(sha));
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) {
        const char *w = stmt_text(st, 2), *bar = strrchr(w, '|');
        snprintf(name, name_size, "%s", stmt_text(st, 0));
        *size = stmt_int(st, 1);
        snprintf(round, round_size, "%.*s", bar ? (int)(bar - w) : 0, w);
        *county = bar ? atoi(bar + 1) : 0;
        rc = 0;
    } else if (rc == STORE_DONE) {
        rc = error_set(e, ERR_NOTFOUND, "no evidence %s / 无此证据", sha);
    }
    stmt_finalize(st);
    return rc;
}

/* The units of the round's sample (unit NULL), or the rows of one unit (a paired household
 * also drawn as a household has two), in draw order. */
static int assignments(struct store *s, const char *round, const char *unit,
                       struct access_assignment **out, size_t *n, struct error *e)
{
    struct stmt *st = NULL;
    size_t cap = 0;
    int rc;
    *out = NULL, *n = 0;
#define ASSIGNMENT_SQL                                                                           \
    "SELECT u.stage, u.code, u.county, u.village, u.reserve, EXISTS (SELECT 1 FROM replacements " \
    "r WHERE r.sample = u.sample AND r.replaced_by = u.code) FROM sample_units u JOIN samples sa " \
    "ON sa.row_no = u.sample WHERE sa.name = ?1"
    rc = store_prepare(s, unit ? ASSIGNMENT_SQL " AND u.code = ?2 ORDER BY u.row_no"
                               : ASSIGNMENT_SQL " ORDER BY u.row_no",
                       &st, e);
#undef ASSIGNMENT_SQL
    if (rc) return rc;
    stmt_bind_text(st, 1, round, strlen(round));
    if (unit) stmt_bind_text(st, 2, unit, strlen(unit));
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            struct access_assignment *a = mem_realloc(*out, nc * sizeof *a);
            if (!a) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            *out = a, cap = nc;
        }
        struct access_assignment *a = &(*out)[(*n)++];
        snprintf(a->stage, sizeof a->stage, "%s", stmt_text(st, 0));
        snprintf(a->unit, sizeof a->unit, "%s", stmt_text(st, 1));
        a->county = (int)stmt_int(st, 2);
        a->village = stmt_int(st, 3);
        a->reserve = (int)stmt_int(st, 4);
        a->activated = (int)stmt_int(st, 5);
    }
    stmt_finalize(st);
    if (rc < 0) {
        mem_free(*out);
        *out = NULL, *n = 0;
        return rc;
    }
    return 0;
}

int access_assignments(struct store *s, const char *round, struct access_assignment **out,
                       size_t *n, struct error *e)
{
    return assignments(s, round, NULL, out, n, e);
}

int access_assignments_of(struct store *s, const char *round, const char *unit,
                          struct access_assignment **out, size_t *n, struct error *e)
{
    return assignments(s, round, unit, out, n, e);
}

int access_idem_claim(struct store *s, const char *user, const char *key, int *status,
                      char **response, struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s, "INSERT INTO submissions (key, user, at, status, response) VALUES "
                              "(?, ?, ?, 0, '') ON CONFLICT (user, key) DO NOTHING",
                           &st, e);
    *status = 0, *response = NULL;
    if (rc) return rc;
    stmt_bind_text(st, 1, key, strlen(key));
    stmt_bind_text(st, 2, user, strlen(user));
    stmt_bind_int(st, 3, access_now());
    rc = stmt_step(st, e);
    stmt_finalize(st);
    if (rc < 0) return rc;
    if (store_changes(s) == 1) return 0;
    rc = store_prepare(s, "SELECT status, response FROM submissions WHERE user = ? AND key = ?",
                       &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, user, strlen(user));
    stmt_bind_text(st, 2, key, strlen(key));
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) {
        *status = (int)stmt_int(st, 0);
        *response = mem_strdup(stmt_text(st, 1));
        rc = *response ? ERR_EXISTS : error_set(e, ERR_NOMEM, "out of memory");
    } else if (rc == STORE_DONE) {
        rc = error_set(e, ERR_INTERNAL, "idempotency key vanished");
    }
    stmt_finalize(st);
    return rc;
}

int access_idem_done(struct store *s, const char *user, const char *key, int status,
                     const char *response, struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s, "UPDATE submissions SET status = ?, response = ? WHERE user = ? "
                              "AND key = ?",
                           &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, status);
    stmt_bind_text(st, 2, response, strlen(response));
    stmt_bind_text(st, 3, user, strlen(user));
    stmt_bind_text(st, 4, key, strlen(key));
    rc = stmt_step(st, e);
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int access_idem_release(struct store *s, const char *user, const char *key, struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s, "DELETE FROM submissions WHERE user = ? AND key = ?", &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, user, strlen(user));
    stmt_bind_text(st, 2, key, strlen(key));
    rc = stmt_step(st, e);
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int access_idem_clear_pending(struct store *s, int64_t *n, struct error *e)
{
    int rc = store_exec(s, "DELETE FROM submissions WHERE status = 0", e);
    if (!rc && n) *n = store_changes(s);
    return rc;
}

/* ------------------------------------------------------------------ releases */

int access_release_latest(struct store *s, const char *round, int *number, char **snapshot,
                          struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s, "SELECT number, snapshot FROM releases WHERE round = ? ORDER BY "
                              "number DESC LIMIT 1",
                           &st, e);
    *number = 0, *snapshot = NULL;
    if (rc) return rc;
    stmt_bind_text(st, 1, round, strlen(round));
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) {
        *number = (int)stmt_int(st, 0);
        *snapshot = mem_strdup(stmt_text(st, 1));
        rc = *snapshot ? 0 : error_set(e, ERR_NOMEM, "out of memory");
    }
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int access_release_store(struct store *s, const char *round, const char *snapshot,
                         int *number, char *sha, struct error *e)
{
    struct audit_writer w;
    char hash[65], at[32], key[96];
    int n = 0, rc;
    hash_sha256_hex(snapshot, strlen(snapshot), hash);
    now_iso(at);
    if ((rc = access_round_exists(s, round, e))) return rc;
    if ((rc = store_begin(s, e))) return rc;
    rc = access_round_released(s, round, &n, e);
    if (!rc) rc = audit_writer_begin(&w, s, "releases", "round, number, created, snapshot, sha256", e);
    if (!rc) {
        w.v[1] = rv_text(round, strlen(round));
        w.v[2] = rv_int(n + 1);
        w.v[3] = rv_text(at, strlen(at));
        w.v[4] = rv_text(snapshot, strlen(snapshot));
        w.v[5] = rv_text(hash, 64);
        rc = audit_writer_row(&w, e);
        snprintf(key, sizeof key, "%s#%d", round, n + 1);
        if (!rc) rc = audit_writer_commit(&w, "release", key, NULL, e);
        else audit_writer_abort(&w);
    }
    if (!rc) rc = store_commit(s, e);
    else store_rollback(s);
    if (!rc) {
        *number = n + 1;
        if (sha) memcpy(sha, hash, 65);
    }
    return rc;
}
