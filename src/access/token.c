/*
 * token.c — field-app tokens (access.h, issue 12): the only credential ODK Collect and
 * KoboCollect present, in the URL PUBLIC_URL/key/TOKEN/.
 *
 * Invariants:
 *  - A token is 32 bytes from libsodium's randombytes_buf, shown once as 64 hex digits; the
 *    store keeps only SHA-256 of the bytes (token_hash) and the first 12 hex digits of that
 *    hash as its id. A token found by hash is compared again in constant time.
 *  - A token is valid for one user and one round until `expires` (Unix seconds) unless
 *    revoked; a disabled user's tokens stop at once (checked at every use).
 *  - Issue and revocation are change-logged (audit_note, with the acting user of the
 *    connection), with id, user, round and expiry — never the secret.
 */
#include "access.h"

#include <sodium.h>
#include <string.h>
#include <time.h>

static int round_ok(struct store *s, const char *round, struct error *e)
{
    return access_round_exists(s, round, e);
}

int access_token_issue(struct store *s, const char *name, const char *round, int days,
                       struct access_token *t, struct error *e)
{
    struct access_user u;
    unsigned char b[32];
    char hash[65], detail[400];
    struct stmt *st = NULL;
    int disabled = 0, rc, granted = 0;
    memset(t, 0, sizeof *t);
    memset(&u, 0, sizeof u);
    if (days == 0) days = ACCESS_TOKEN_DAYS;
    if (days < 1 || days > 366)
        return error_set(e, ERR_INVALID, "--days %d: a token lives 1 to 366 days / 有效期 1–366 天",
                         days);
    if (!round || !*round)
        return error_set(e, ERR_INVALID, "a token belongs to one round (--round R) / 须指定轮次");
    if (sodium_init() < 0) return error_set(e, ERR_INTERNAL, "libsodium failed to start");
    if ((rc = round_ok(s, round, e))) return rc;
    if ((rc = access_user_load(s, name, &u, &disabled, e))) return rc;
    for (size_t i = 0; i < u.ngrants; i++)
        if (!u.grants[i].round[0] || !strcmp(u.grants[i].round, round)) granted = 1;
    access_user_release(&u);
    if (disabled)
        return error_set(e, ERR_INVALID, "user '%s' is disabled / 用户已停用", name);
    if (!granted)
        return error_set(e, ERR_INVALID, "user '%s' holds no grant in round '%s' / 该用户在此轮次无权限",
                         name, round);
    randombytes_buf(b, sizeof b);
    hash_hex(b, 32, t->token);
    hash_sha256_hex(b, 32, hash);
    sodium_memzero(b, sizeof b);
    memcpy(t->id, hash, 12);
    t->id[12] = '\0';
    snprintf(t->user, sizeof t->user, "%s", name);
    snprintf(t->round, sizeof t->round, "%s", round);
    t->created = access_now();
    t->expires = t->created + (int64_t)days * 86400;
    if ((rc = store_begin(s, e))) goto out;
    rc = store_prepare(s, "INSERT INTO field_tokens (token_hash, user, created, revoked, round, "
                          "expires, id) VALUES (?, ?, ?, 0, ?, ?, ?)",
                       &st, e);
    if (!rc) {
        stmt_bind_text(st, 1, hash, 64);
        stmt_bind_text(st, 2, name, strlen(name));
        stmt_bind_int(st, 3, t->created);
        stmt_bind_text(st, 4, round, strlen(round));
        stmt_bind_int(st, 5, t->expires);
        stmt_bind_text(st, 6, t->id, 12);
        rc = stmt_step(st, e);
        rc = rc < 0 ? rc : 0;
        stmt_finalize(st);
    }
    if (!rc) {
        /* names and rounds are plain (access_name_ok, sample names): no JSON escaping needed,
         * but quotes and backslashes are dropped all the same */
        struct strbuf d = STRBUF_INIT;
        sb_addf(&d, "{\"id\":\"%s\",\"user\":\"", t->id);
        for (const char *p = name; *p; p++)
            if (*p != '"' && *p != '\\') sb_addch(&d, *p);
        sb_adds(&d, "\",\"round\":\"");
        for (const char *p = round; *p; p++)
            if (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20) sb_addch(&d, *p);
        sb_addf(&d, "\",\"expires\":%lld}", (long long)t->expires);
        snprintf(detail, sizeof detail, "%s", sb_ok(&d) ? "{}" : d.buf);
        sb_release(&d);
        rc = audit_note(s, "token_issue", "field_tokens", name, detail, e);
    }
    if (!rc) rc = store_commit(s, e);
    else store_rollback(s);
out:
    if (rc) sodium_memzero(t->token, sizeof t->token);
    return rc;
}

int access_token_revoke(struct store *s, const char *name, const char *round, const char *id,
                        int64_t *n, struct error *e)
{
    struct stmt *st = NULL;
    struct strbuf sql = STRBUF_INIT, d = STRBUF_INIT;
    int rc, k = 1;
    *n = 0;
    {
        struct access_user u; /* only the user's existence matters */
        if ((rc = access_user_load(s, name, &u, NULL, e))) return rc;
        access_user_release(&u);
    }
    sb_adds(&sql, "UPDATE field_tokens SET revoked = 1 WHERE user = ? AND revoked = 0");
    if (round && *round) sb_adds(&sql, " AND round = ?");
    if (id && *id) sb_adds(&sql, " AND id = ?");
    if (sb_ok(&sql)) {
        sb_release(&sql);
        return error_set(e, ERR_NOMEM, "out of memory");
    }
    if ((rc = store_begin(s, e))) goto out;
    rc = store_prepare(s, sql.buf, &st, e);
    if (!rc) {
        stmt_bind_text(st, k++, name, strlen(name));
        if (round && *round) stmt_bind_text(st, k++, round, strlen(round));
        if (id && *id) stmt_bind_text(st, k++, id, strlen(id));
        rc = stmt_step(st, e);
        rc = rc < 0 ? rc : 0;
        stmt_finalize(st);
    }
    if (!rc) *n = store_changes(s);
    if (!rc && *n) {
        sb_addf(&d, "{\"revoked\":%lld,\"round\":\"", (long long)*n);
        for (const char *p = round ? round : ""; *p; p++)
            if (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20) sb_addch(&d, *p);
        sb_adds(&d, "\",\"id\":\"");
        for (const char *p = id ? id : ""; *p; p++)
            if (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20) sb_addch(&d, *p);
        sb_adds(&d, "\"}");
        rc = audit_note(s, "token_revoke", "field_tokens", name, sb_ok(&d) ? "{}" : d.buf, e);
    }
    if (!rc) rc = store_commit(s, e);
    else store_rollback(s);
out:
    sb_release(&sql);
    sb_release(&d);
    return rc;
}

static void day(int64_t t, char out[24])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int access_token_list(struct store *s, const char *name, FILE *f, struct error *e)
{
    struct stmt *st = NULL;
    int64_t now = access_now();
    int rc = store_prepare(s, name ? "SELECT id, user, round, created, expires, revoked FROM "
                                     "field_tokens WHERE user = ? ORDER BY created, id"
                                   : "SELECT id, user, round, created, expires, revoked FROM "
                                     "field_tokens ORDER BY user, created, id",
                           &st, e);
    if (rc) return rc;
    if (name) stmt_bind_text(st, 1, name, strlen(name));
    fprintf(f, "id\tuser\tround\tcreated\texpires\tstate\n");
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        char c[24], x[24];
        int64_t exp = stmt_int(st, 4);
        day(stmt_int(st, 3), c);
        day(exp, x);
        fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\n", stmt_text(st, 0), stmt_text(st, 1),
                stmt_text(st, 2), c, exp ? x : "-",
                stmt_int(st, 5) ? "revoked 已撤销" : (exp && exp <= now) ? "expired 已过期"
                                                                         : "active 有效");
    }
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int access_token_check(struct store *s, const char *token, struct access_user *u, char *round,
                       struct error *e)
{
    unsigned char b[32];
    char h[65], user[64] = "", stored[65] = "";
    struct stmt *st = NULL;
    int64_t expires = 0, now = access_now();
    int rc, revoked = 1, disabled = 0;
    memset(u, 0, sizeof *u);
    round[0] = '\0';
    if (!token || strlen(token) != 64 || hash_unhex32(token, b))
        return error_set(e, ERR_NOTFOUND, "no such token");
    hash_sha256_hex(b, 32, h);
    sodium_memzero(b, sizeof b);
    rc = store_prepare(s, "SELECT token_hash, user, round, expires, revoked FROM field_tokens "
                          "WHERE token_hash = ?",
                       &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, h, 64);
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) {
        snprintf(stored, sizeof stored, "%s", stmt_text(st, 0));
        snprintf(user, sizeof user, "%s", stmt_text(st, 1));
        snprintf(round, 64, "%s", stmt_text(st, 2));
        expires = stmt_int(st, 3);
        revoked = (int)stmt_int(st, 4);
        rc = 0;
    } else if (rc == STORE_DONE) {
        rc = ERR_NOTFOUND;
    }
    stmt_finalize(st);
    if (rc < 0) return rc;
    if (rc || strlen(stored) != 64 || sodium_memcmp(stored, h, 64) || revoked ||
        (expires && expires <= now) || !round[0]) {
        round[0] = '\0';
        return error_set(e, ERR_NOTFOUND, "no such token (unknown, revoked or expired)");
    }
    rc = access_user_load(s, user, u, &disabled, e);
    if (rc || disabled) {
        access_user_release(u);
        round[0] = '\0';
        return rc && rc != ERR_NOTFOUND ? rc : error_set(e, ERR_NOTFOUND, "no such token");
    }
    return 0;
}

void access_token_redact(char *text)
{
    for (char *p = text; (p = strstr(p, "/key/")) != NULL;) {
        char *q = p + 5;
        size_t n = strspn(q, "0123456789abcdefABCDEF");
        if (n >= 16) {
            static const char mark[] = "[token]";
            size_t m = sizeof mark - 1;
            if (n >= m) {
                memcpy(q, mark, m);
                memmove(q + m, q + n, strlen(q + n) + 1);
            }
        }
        p = q;
    }
}
