/*
 * session.c — the session resources (docs/api.md): sign in (POST /api/session), sign out
 * (DELETE, ?all=1 everywhere), the signed-in user (GET /api/me) and the password change
 * (POST /api/me/password). Passwords, lockout, the hashing queue and sessions are access.h's;
 * here only their HTTP shape: the cookie, the CSRF token, the status of each outcome.
 *
 * The user's own field-app tokens (ODK Collect set-up, as ODK Central offers it): GET
 * /api/me/tokens lists them (never a secret: only its hash is stored); POST /api/me/tokens
 * {round, password} issues one after the password is entered again — the login check itself,
 * with its lockout and failure counting, whose new session is ended at once — revoking the
 * user's earlier tokens of the round (regenerate); the secret is in this one answer only, as
 * the server URL PUBLIC/key/TOKEN/ for the QR code. POST /api/me/tokens/revoke {round?}.
 * Issue and revocation are change-logged by token.c under the signed-in user.
 */
#include "server_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_t *grants_json(const struct access_user *u)
{
    json_t *a = json_array();
    for (size_t i = 0; i < u->ngrants; i++)
    {
        json_t *g = json_pack("{s:s, s:s, s:s?}", "role", access_role_name(u->grants[i].role),
                              "role_zh", access_role_label(u->grants[i].role), "round",
                              u->grants[i].round[0] ? u->grants[i].round : NULL);
        if (g && u->grants[i].scope) json_object_set_new(g, "scope", json_integer(u->grants[i].scope));
        json_array_append_new(a, g);
    }
    return a;
}

static int session_create(struct ctx *c)
{
    int bad = 0;
    const char *user = ctx_body_str(c, "user", &bad), *pw = ctx_body_str(c, "password", &bad);
    enum access_outcome out;
    struct access_session sess;
    struct error e;
    if (bad || !user || !pw)
        return ctx_error(c, 422, "invalid", "须提供用户名和密码", "user and password (strings) are required",
                         !user ? "user" : "password");
    if (strlen(user) > 63 || strlen(pw) > 256)
        return ctx_error(c, 401, "bad_credentials", "用户名或密码错误", "wrong user or password", NULL);
    if (access_login(c->s, user, pw, c->addr, &out, &sess, &e)) return ctx_fail(c, &e);
    switch (out) {
    case ACCESS_OK: break;
    case ACCESS_BUSY:
        c->retry_after = "1";
        return ctx_error(c, 503, "busy", "系统繁忙，请稍后重试", "too many logins at once; retry", NULL);
    case ACCESS_LOCKED:
        access_security_log(c->s, "login_locked", c->addr, user, "", NULL);
        return ctx_error(c, 423, "locked", "连续 5 次登录失败，账户或地址已锁定 15 分钟",
                         "locked for 15 minutes after 5 failed logins (the office can unlock)",
                         NULL);
    case ACCESS_DISABLED:
        access_security_log(c->s, "login_disabled", c->addr, user, "", NULL);
        return ctx_error(c, 403, "disabled", "账户已停用", "the account is disabled", NULL);
    default:
        access_security_log(c->s, "login_failed", c->addr, user, "", NULL);
        return ctx_error(c, 401, "bad_credentials", "用户名或密码错误", "wrong user or password", NULL);
    }
    /* a login always gets a new ID; a session presented with it ends (no fixation) */
    if (c->session_hash[0]) access_session_end(c->s, c->session_hash, 0, NULL);
    snprintf(c->set_cookie, sizeof c->set_cookie,
             "pinggu_session=%s; Path=/; HttpOnly; SameSite=Lax%s", sess.id,
             c->cfg->public_url && !strncmp(c->cfg->public_url, "https://", 8) ? "; Secure"
             : c->cfg->tls_cert                                                  ? "; Secure"
                                                                                 : "");
    {
        struct access_user u;
        int disabled = 0;
        if (access_user_load(c->s, user, &u, &disabled, &e)) return ctx_fail(c, &e);
        c->out = json_pack("{s:s, s:s, s:b, s:o}", "user", user, "csrf_token", sess.csrf,
                           "must_change", u.must_change, "grants", grants_json(&u));
        access_user_release(&u);
    }
    memset(&sess, 0, sizeof sess);
    return 0;
}

static int session_delete(struct ctx *c)
{
    struct error e;
    const char *all = ctx_query(c, "all");
    int everywhere = all && !strcmp(all, "1");
    if (access_session_end(c->s, c->session_hash, everywhere, &e)) return ctx_fail(c, &e);
    snprintf(c->set_cookie, sizeof c->set_cookie,
             "pinggu_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    c->out = json_pack("{s:b, s:b}", "signed_out", 1, "everywhere", everywhere);
    return 0;
}

static int me(struct ctx *c)
{
    c->out = json_pack("{s:s, s:b, s:o}", "user", c->user.name, "must_change",
                       c->user.must_change, "grants", grants_json(&c->user));
    if (c->out && c->user.home) json_object_set_new(c->out, "home", json_integer(c->user.home));
    return 0;
}

static int me_password(struct ctx *c)
{
    int bad = 0;
    const char *old = ctx_body_str(c, "old", &bad), *nw = ctx_body_str(c, "new", &bad);
    struct error e;
    if (bad || !old || !nw)
        return ctx_error(c, 422, "invalid", "须提供原密码和新密码", "old and new (strings) are required",
                         !old ? "old" : "new");
    if (access_password_change(c->s, c->user.name, old, nw, c->session_hash, &e)) {
        if (e.code == ERR_INVALID) return ctx_error(c, 422, "invalid", "密码不符合要求", e.msg, "new");
        return ctx_fail(c, &e);
    }
    c->out = json_pack("{s:b}", "changed", 1);
    return 0;
}

/* The password entered again: 0 when it is the user's (the login's check, lockout and
 * counting; its session ended at once), else -1 with the refusal answered as a login's. */
static int reauth(struct ctx *c, const char *pw)
{
    enum access_outcome out;
    struct access_session sess;
    struct error e;
    if (!pw || strlen(pw) > 256)
        return ctx_error(c, 401, "bad_credentials", "密码错误", "wrong password", "password");
    if (access_login(c->s, c->user.name, pw, c->addr, &out, &sess, &e)) return ctx_fail(c, &e);
    if (out == ACCESS_OK) {
        access_session_end(c->s, sess.id_hash, 0, NULL);
        memset(&sess, 0, sizeof sess);
        return 0;
    }
    if (out == ACCESS_BUSY) {
        c->retry_after = "1";
        return ctx_error(c, 503, "busy", "系统繁忙，请稍后重试", "too many logins at once; retry", NULL);
    }
    if (out == ACCESS_LOCKED) {
        access_security_log(c->s, "login_locked", c->addr, c->user.name, "token", NULL);
        return ctx_error(c, 423, "locked", "连续 5 次失败，账户或地址已锁定 15 分钟",
                         "locked for 15 minutes after 5 failures", NULL);
    }
    access_security_log(c->s, "login_failed", c->addr, c->user.name, "token", NULL);
    return ctx_error(c, 401, "bad_credentials", "密码错误", "wrong password", "password");
}

/* May the user send questionnaires in round (a field app's only use of a token)? */
static int token_allowed(struct ctx *c, const char *round)
{
    struct access_target t;
    struct error e;
    int rel = 0;
    if (!round || !server_name_ok(round, 63))
        return ctx_error(c, 422, "invalid", "须指定轮次 round", "round: a sample name", "round");
    if (access_round_exists(c->s, round, &e)) return ctx_fail(c, &e);
    if (ctx_released(c, round, &rel)) return -1;
    t.round = round, t.county = 0, t.released = rel > 0, t.sent = 0;
    return ctx_allow(c, RS_QUESTIONNAIRES, AA_WRITE, &t, NULL);
}

static int tokens_get(struct ctx *c)
{
    char *text = NULL;
    size_t len = 0;
    struct error e;
    FILE *f = open_memstream(&text, &len);
    int rc;
    if (!f) return ctx_error(c, 500, "internal", "服务器内部错误", "out of memory", NULL);
    rc = access_token_list(c->s, c->user.name, f, &e);
    fclose(f);
    if (rc) {
        free(text);
        return ctx_fail(c, &e);
    }
    c->out = json_pack("{s:s}", "tokens", text ? text : "");
    free(text);
    return 0;
}

static int token_issue(struct ctx *c)
{
    int bad = 0;
    const char *round = ctx_body_str(c, "round", &bad), *pw = ctx_body_str(c, "password", &bad);
    const char *base = c->cfg->public_url;
    struct access_token t;
    struct strbuf url = STRBUF_INIT;
    struct error e;
    int64_t revoked = 0;
    char exp[24];
    time_t tt;
    struct tm tm;
    size_t bl;
    if (bad) return ctx_error(c, 422, "invalid", "字段须为字符串", "round and password are strings", NULL);
    if (token_allowed(c, round) || reauth(c, pw)) return -1;
    /* regenerate: the user's earlier tokens of the round stop working */
    if (access_token_revoke(c->s, c->user.name, round, NULL, &revoked, &e)) return ctx_fail(c, &e);
    if (access_token_issue(c->s, c->user.name, round, 0, &t, &e)) return ctx_fail(c, &e);
    if (base) sb_adds(&url, base);
    else sb_addf(&url, "http://%s", c->cfg->listen ? c->cfg->listen : "127.0.0.1");
    bl = url.len;
    if (bl && url.buf[bl - 1] == '/') url.buf[--url.len] = '\0';
    sb_addf(&url, "/key/%s/", t.token);
    tt = (time_t)t.expires;
    gmtime_r(&tt, &tm);
    strftime(exp, sizeof exp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (sb_ok(&url)) {
        memset(t.token, 0, sizeof t.token);
        return ctx_error(c, 500, "internal", "服务器内部错误", "out of memory", NULL);
    }
    c->status = 201;
    c->out = json_pack("{s:s, s:s, s:s, s:s, s:I}", "id", t.id, "round", round, "expires", exp,
                       "url", url.buf, "revoked", (json_int_t)revoked);
    memset(t.token, 0, sizeof t.token);
    memset(url.buf, 0, url.len);
    sb_release(&url);
    return 0;
}

static int token_revoke_own(struct ctx *c)
{
    int bad = 0;
    const char *round = ctx_body_str(c, "round", &bad);
    int64_t n = 0;
    struct error e;
    if (bad) return ctx_error(c, 422, "invalid", "round 须为字符串", "round is a string", "round");
    if (access_token_revoke(c->s, c->user.name, round && *round ? round : NULL, NULL, &n, &e))
        return ctx_fail(c, &e);
    c->out = json_pack("{s:s, s:I}", "user", c->user.name, "revoked", (json_int_t)n);
    return 0;
}

static const struct route routes[] = {
    {"POST", "/api/session", session_create, RT_PUBLIC | RT_MUST_CHANGE | RT_BODY},
    {"DELETE", "/api/session", session_delete, RT_MUST_CHANGE},
    {"GET", "/api/me", me, RT_MUST_CHANGE},
    {"POST", "/api/me/password", me_password, RT_MUST_CHANGE | RT_BODY},
    {"GET", "/api/me/tokens", tokens_get, 0},
    {"POST", "/api/me/tokens", token_issue, RT_BODY},
    {"POST", "/api/me/tokens/revoke", token_revoke_own, RT_BODY},
};

const struct route *server_session_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
