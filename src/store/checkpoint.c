/*
 * checkpoint.c — signed checkpoints of the change log (store.h, docs/audit.md): the store's
 * head (entry count and hash) signed with Ed25519 and appended to a file outside the store,
 * so that a log cut short, an older copy of the store put back, or a tail re-hashed by
 * someone without the key no longer matches what was published.
 *
 * Invariants: a checkpoint is written only after the commit that wrote its head (so the file
 * never claims a head the store did not reach); one line per checkpoint, appended with one
 * write(2) to a file opened O_APPEND; the signing key never lies in the store's folder (whoever
 * can copy the store could otherwise forge its checkpoints) and is created mode 0600.
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
    int on;
    char file[1024]; /* "" = DB.checkpoints */
    FILE *print;
    int deferred;     /* store_checkpoints_defer: lines written by store_checkpoint_now only */
    int64_t last;     /* the count of this process's last deferred line */
} conf;
static pthread_mutex_t now_lock = PTHREAD_MUTEX_INITIALIZER;

void store_checkpoints_defer(int on)
{
    conf.deferred = on;
}

void store_checkpoints_enable(const char *file, FILE *print)
{
    conf.on = 1;
    snprintf(conf.file, sizeof conf.file, "%s", file ? file : "");
    conf.print = print;
}

const char *store_checkpoints_file(struct store *s, char *buf, size_t n)
{
    const char *env = getenv("PINGGU_CHECKPOINTS");
    if (conf.file[0]) snprintf(buf, n, "%s", conf.file);
    else if (s->be == &store_pg_backend && env && *env) snprintf(buf, n, "%s", env);
    else snprintf(buf, n, "%s.checkpoints", s->path);
    return buf;
}

int checkpoint_file_configured(void)
{
    const char *env = getenv("PINGGU_CHECKPOINTS");
    return conf.file[0] || (env && *env);
}

/* ------------------------------------------------------------------ the key */

/* $PINGGU_KEY, else $XDG_CONFIG_HOME/pinggu/checkpoint.key, else ~/.config/pinggu/...;
 * *deflt = 1 for the last two (whose folders we may create). */
static int key_path(char *out, size_t n, int *deflt, struct error *e)
{
    const char *k = getenv("PINGGU_KEY"), *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");
    *deflt = 0;
    if (k && *k) {
        snprintf(out, n, "%s", k);
        return 0;
    }
    *deflt = 1;
    if (x && *x) snprintf(out, n, "%s/pinggu/checkpoint.key", x);
    else if (h && *h) snprintf(out, n, "%s/.config/pinggu/checkpoint.key", h);
    else
        return error_set(e, ERR_INVALID, "no checkpoint key: set PINGGU_KEY to a key file (or "
                                         "XDG_CONFIG_HOME or HOME)");
    return 0;
}

/* The folder part of path ("." if none) into out. */
static void dir_of(const char *path, char *out, size_t n)
{
    const char *sl = strrchr(path, '/');
    if (!sl) snprintf(out, n, ".");
    else if (sl == path) snprintf(out, n, "/");
    else snprintf(out, n, "%.*s", (int)(sl - path), path);
}

static void mkdir_p(const char *dir)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0700);
            *p = '/';
        }
    mkdir(buf, 0700);
}

/* 1 if real path `in` is `dir` or below it. */
static int is_under(const char *in, const char *dir)
{
    size_t n = strlen(dir);
    if (strncmp(in, dir, n)) return 0;
    return in[n] == '\0' || in[n] == '/' || (n == 1 && dir[0] == '/');
}

/* Refuses a key in the store's folder or in a folder below it. Exception, so that the
 * default key location works for a store kept in the home folder: a folder below the store's
 * is allowed when the store's folder is $HOME or above it (the key is then in the user's own
 * configuration, not in a folder one copies with the store). */
static int key_location_ok(const char *keyfile, const char *store, struct error *e)
{
    char kd[PATH_MAX], sd[PATH_MAX], kreal[PATH_MAX], sreal[PATH_MAX], hreal[PATH_MAX];
    const char *home = getenv("HOME");
    dir_of(keyfile, kd, sizeof kd);
    dir_of(store, sd, sizeof sd);
    if (!realpath(kd, kreal))
        return error_set(e, ERR_INVALID, "checkpoint key %s: its folder %s: %s", keyfile, kd,
                         strerror(errno));
    if (!realpath(sd, sreal))
        return error_set(e, ERR_IO, "%s: its folder %s: %s", store, sd, strerror(errno));
    if (!strcmp(kreal, sreal) ||
        (is_under(kreal, sreal) &&
         !(home && *home && realpath(home, hreal) && is_under(hreal, sreal))))
        return error_set(e, ERR_INVALID,
                         "checkpoint key %s lies inside the store's folder %s: whoever copies "
                         "the store could forge its checkpoints; keep the key elsewhere "
                         "(PINGGU_KEY, or the default $XDG_CONFIG_HOME/pinggu/checkpoint.key) / "
                         "签名密钥不得与数据库放在同一目录",
                         keyfile, sreal);
    return 0;
}

int checkpoint_prepare(struct store *s, struct error *e)
{
    char path[PATH_MAX];
    int deflt, rc;
    if (!conf.on || s->key_loaded) return 0;
    if (sodium_init() < 0) return error_set(e, ERR_INTERNAL, "libsodium failed to start");
    rc = key_path(path, sizeof path, &deflt, e);
    if (rc) return rc;
    if (deflt) {
        char d[PATH_MAX];
        dir_of(path, d, sizeof d);
        mkdir_p(d);
    }
    /* a PostgreSQL store has no folder of its own that one copies with it */
    rc = s->be == &store_pg_backend ? 0 : key_location_ok(path, s->path, e);
    if (rc) return rc;
    rc = keyfile_read(path, "checkpoint key", s->pk, s->sk, e);
    if (rc == ERR_NOTFOUND) rc = keyfile_create(path, "checkpoint key", s->pk, s->sk, e);
    if (!rc) s->key_loaded = 1;
    return rc;
}

void checkpoint_forget(struct store *s)
{
    sodium_memzero(s->sk, sizeof s->sk);
    s->key_loaded = 0;
}

int checkpoint_local_pubkey(char out[65], struct error *e)
{
    char path[PATH_MAX];
    unsigned char pk[32], sk[64];
    int deflt, rc;
    if (sodium_init() < 0) return error_set(e, ERR_INTERNAL, "libsodium failed to start");
    rc = key_path(path, sizeof path, &deflt, e);
    if (!rc) rc = keyfile_read(path, "checkpoint key", pk, sk, e);
    sodium_memzero(sk, sizeof sk);
    if (!rc) hash_hex(pk, 32, out);
    return rc;
}

/* ------------------------------------------------------------------ lines */

/* The signed message: the line's first three fields. */
static void message(int64_t count, const char *head, char *out, size_t n)
{
    snprintf(out, n, "%s %lld %s", CHECKPOINT_TAG, (long long)count, head);
}

static int checkpoint_write(struct store *s, int64_t seq, const char *hash, struct error *e);

int checkpoint_after_commit(struct store *s, struct error *e)
{
    if (!s->cp_pending) return 0;
    s->cp_pending = 0;
    if (!conf.on || conf.deferred) return 0;
    if (s->cp_reread) { /* a savepoint rolled back after the last append: the committed head */
        int rc;
        s->cp_reread = 0;
        rc = audit_head_get(s, &s->cp_seq, s->cp_hash, e);
        if (rc) return rc;
    }
    return checkpoint_write(s, s->cp_seq, s->cp_hash, e);
}

int store_checkpoint_now(struct store *s, struct error *e)
{
    int64_t count;
    char head[65];
    int rc;
    if (!conf.on) return 0;
    pthread_mutex_lock(&now_lock);
    rc = checkpoint_prepare(s, e);
    if (!rc) rc = audit_head_get(s, &count, head, e);
    if (!rc && count > conf.last) {
        rc = checkpoint_write(s, count, head, e);
        if (!rc) conf.last = count;
    }
    pthread_mutex_unlock(&now_lock);
    return rc;
}

static int checkpoint_write(struct store *s, int64_t seq, const char *hash, struct error *e)
{
    char msg[160], pkhex[65], sighex[129], line[400], file[1100];
    unsigned char sig[64];
    int fd, n, rc = 0;
    if (!s->key_loaded)
        return error_set(e, ERR_INTERNAL, "checkpoint: the key was not loaded before the write");
    message(seq, hash, msg, sizeof msg);
    crypto_sign_detached(sig, NULL, (const unsigned char *)msg, strlen(msg), s->sk);
    hash_hex(s->pk, 32, pkhex);
    hash_hex(sig, 64, sighex);
    n = snprintf(line, sizeof line, "%s %s %s\n", msg, pkhex, sighex);
    store_checkpoints_file(s, file, sizeof file);
    fd = open(file, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0 || write(fd, line, (size_t)n) != n || fsync(fd))
        rc = error_set(e, ERR_IO,
                       "the change was committed (entry %lld) but its checkpoint could not be "
                       "written to %s: %s; `pinggu audit verify` will report the entries after "
                       "the last checkpoint",
                       (long long)seq, file, strerror(errno));
    if (fd >= 0) close(fd);
    if (!rc && conf.print) {
        fputs(line, conf.print);
        fflush(conf.print);
    }
    return rc;
}

static int is_hex(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) return 0;
    return 1;
}

int checkpoint_parse(const char *line, struct checkpoint *c, struct error *e)
{
    char tag[32], cnt[24], msg[160];
    unsigned char pk[32], sig[64];
    const char *p = line, *f[5];
    size_t len[5];
    int nf = 0;
    char *end;
    memset(c, 0, sizeof *c);
    while (*p && nf < 5) {
        while (*p == ' ') p++;
        if (!*p || *p == '\n' || *p == '\r') break;
        f[nf] = p;
        while (*p && *p != ' ' && *p != '\n' && *p != '\r') p++;
        len[nf] = (size_t)(p - f[nf]);
        nf++;
    }
    while (*p == ' ' || *p == '\n' || *p == '\r') p++;
    if (nf != 5 || *p)
        return error_set(e, ERR_PARSE, "not a checkpoint: expected `%s COUNT HEAD PUBKEY "
                                       "SIGNATURE`",
                         CHECKPOINT_TAG);
    snprintf(tag, sizeof tag, "%.*s", (int)(len[0] < 31 ? len[0] : 31), f[0]);
    if (strcmp(tag, CHECKPOINT_TAG) || len[0] != strlen(CHECKPOINT_TAG))
        return error_set(e, ERR_PARSE, "not a checkpoint: it does not start with %s",
                         CHECKPOINT_TAG);
    if (len[1] == 0 || len[1] > 18)
        return error_set(e, ERR_PARSE, "checkpoint: bad entry count");
    snprintf(cnt, sizeof cnt, "%.*s", (int)len[1], f[1]);
    errno = 0;
    c->count = strtoll(cnt, &end, 10);
    if (*end || c->count < 0 || errno || (cnt[0] == '0' && cnt[1]))
        return error_set(e, ERR_PARSE, "checkpoint: bad entry count '%s'", cnt);
    if (len[2] != 64 || !is_hex(f[2], 64) || len[3] != 64 || !is_hex(f[3], 64) ||
        len[4] != 128 || !is_hex(f[4], 128))
        return error_set(e, ERR_PARSE, "checkpoint: HEAD and PUBKEY must be 64 and SIGNATURE "
                                       "128 lower-case hex digits");
    memcpy(c->head, f[2], 64);
    memcpy(c->pubkey, f[3], 64);
    memcpy(c->sig, f[4], 128);
    if (sodium_init() < 0) return error_set(e, ERR_INTERNAL, "libsodium failed to start");
    if (sodium_hex2bin(pk, 32, c->pubkey, 64, NULL, NULL, NULL) ||
        sodium_hex2bin(sig, 64, c->sig, 128, NULL, NULL, NULL))
        return error_set(e, ERR_PARSE, "checkpoint: bad hex");
    message(c->count, c->head, msg, sizeof msg);
    if (crypto_sign_verify_detached(sig, (const unsigned char *)msg, strlen(msg), pk))
        return error_set(e, ERR_VERIFY, "checkpoint of entry %lld: the signature does not "
                                        "verify (the line was altered or forged)",
                         (long long)c->count);
    return 0;
}

int audit_head_get(struct store *s, int64_t *count, char hash[65], struct error *e)
{
    struct stmt *st;
    int rc = store_prepare(s, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", &st,
                           e);
    if (rc) return rc;
    *count = 0;
    memset(hash, '0', 64);
    hash[64] = '\0';
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) {
        *count = stmt_int(st, 0);
        snprintf(hash, 65, "%s", stmt_text(st, 1));
    }
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int audit_find_hash(struct store *s, const char *hash, int64_t *seq, struct error *e)
{
    struct stmt *st;
    int rc = store_prepare(s, "SELECT seq FROM audit_log WHERE hash = ?", &st, e);
    if (rc) return rc;
    *seq = 0;
    stmt_bind_text(st, 1, hash, strlen(hash));
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) *seq = stmt_int(st, 0);
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int checkpoint_check(struct store *s, const struct checkpoint *c, struct error *e)
{
    struct stmt *st;
    int64_t have;
    char head[65];
    int rc = audit_head_get(s, &have, head, e);
    if (rc) return rc;
    if (c->count == 0) return 0;
    if (have < c->count)
        return error_set(e, ERR_VERIFY,
                         "the store's log has %lld entries but the checkpoint records %lld: "
                         "entries were removed from the end, or an older copy of the store was "
                         "put back",
                         (long long)have, (long long)c->count);
    rc = store_prepare(s, "SELECT hash FROM audit_log WHERE seq = ?", &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, c->count);
    rc = stmt_step(st, e);
    if (rc == STORE_ROW && !strcmp(stmt_text(st, 0), c->head)) rc = 0;
    else if (rc >= 0)
        rc = error_set(e, ERR_VERIFY,
                       "entry %lld of the store has hash %.12s…, the checkpoint records "
                       "%.12s…: the log was rewritten (entries replaced and re-hashed)",
                       (long long)c->count, rc == STORE_ROW ? stmt_text(st, 0) : "(none)",
                       c->head);
    stmt_finalize(st);
    return rc;
}
