/*
 * sign.c — the team reports' sign-off (report.h; seed 002 六(五): 经组长和副组长签字后提交):
 * `report sign` records an Ed25519 signature over a report file's SHA-256 made with the
 * signer's own key, `report verify` checks that a file carries both signatures and that each
 * holds.
 *
 * What is signed: the text "pinggu-report-signature-v1 ROUND SHA256 ROLE SIGNER" (single
 * spaces, no newline), so a 组长's signature can be neither replayed as a 副组长's, nor moved to
 * another round or signer, nor to another file. The SHA-256 is of the file's bytes.
 *
 * Keys. Each signer has their own key: a file holding the hex Ed25519 seed (the format of the
 * checkpoint key, store/checkpoint.c), by default $XDG_CONFIG_HOME/pinggu/signer-NAME.key
 * ($HOME/.config/... if unset), created mode 0600 on first use; --key names another file. A
 * signer's public key is pinned by its first recorded signature in the store: a later
 * signature by the same name with another key is refused at signing and fails verification
 * (a stolen name cannot sign with a new key). Where the round has teams, the signer must be
 * one of its leaders (for 组长) or deputies (for 副组长), by evaluator id or name.
 *
 * Sign-off from the pages (docs/pages.md): the private key never leaves the signer's machine.
 * `report sign --detached` (report_sign_detached) signs a downloaded report with no store and
 * prints the signature and public key; the server makes the same report again, and
 * report_sign_record checks the pasted signature over that file's SHA-256 with the same
 * message, the same team and first-recorded-key rules, and records it as report_sign does.
 *
 * Invariants: nothing is written unless the signature was made (or given) and checked; the row
 * and its change-log entry commit together; the secret key is wiped after use.
 */
#include "report_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SIG_TAG "pinggu-report-signature-v1"

int report_role_parse(const char *s)
{
    if (!s) return -1;
    if (!strcmp(s, "组长") || !strcmp(s, "leader")) return 0;
    if (!strcmp(s, "副组长") || !strcmp(s, "deputy")) return 1;
    return -1;
}

static const char *role_name(int role) { return role == 0 ? "leader" : "deputy"; }
static const char *role_zh(int role) { return role == 0 ? "组长" : "副组长"; }

/* SHA-256 of a file's bytes, hex. ERR_INVALID if it cannot be read (bad input). */
static int file_sha256(const char *path, char out[65], struct error *e)
{
    struct sha256 h;
    unsigned char buf[65536];
    size_t n;
    struct stat sb;
    FILE *f;
    if (stat(path, &sb)) return error_set(e, ERR_INVALID, "%s: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode)) return error_set(e, ERR_INVALID, "%s: not a regular file", path);
    f = fopen(path, "rb");
    if (!f) return error_set(e, ERR_INVALID, "%s: %s", path, strerror(errno));
    sha256_init(&h);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sha256_update(&h, buf, n);
    if (ferror(f)) {
        fclose(f);
        return error_set(e, ERR_IO, "%s: read error", path);
    }
    fclose(f);
    sha256_final_hex(&h, out);
    return 0;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* The default key file of a signer: a name with '/' or starting with '.' is refused (it would
 * leave the key folder). */
static int signer_key_path(const char *signer, char *out, size_t n, struct error *e)
{
    const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");
    if (!*signer || strchr(signer, '/') || signer[0] == '.' || strlen(signer) > 120)
        return error_set(e, ERR_INVALID, "signer name '%s' cannot name a key file (no '/', not "
                                         "starting with '.', at most 120 bytes); use --key FILE",
                         signer);
    if (x && *x) snprintf(out, n, "%s/pinggu/signer-%s.key", x, signer);
    else if (h && *h) snprintf(out, n, "%s/.config/pinggu/signer-%s.key", h, signer);
    else return error_set(e, ERR_INVALID, "no signer key folder: set XDG_CONFIG_HOME or HOME, "
                                          "or give --key FILE");
    return 0;
}

static void mkdir_parent(const char *path)
{
    char buf[1200];
    snprintf(buf, sizeof buf, "%s", path);
    char *sl = strrchr(buf, '/');
    if (!sl || sl == buf) return;
    *sl = '\0';
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0700);
            *p = '/';
        }
    mkdir(buf, 0700);
}

static void sig_message(struct strbuf *sb, const char *round, const char *sha, int role,
                        const char *signer)
{
    sb_reset(sb);
    sb_addf(sb, "%s %s %s %s %s", SIG_TAG, round, sha, role_name(role), signer);
}

static int sample_row(struct store *s, const char *round, int64_t *row, struct error *e)
{
    struct stmt *q = NULL;
    int rc = store_prepare(s, "SELECT row_no FROM samples WHERE name = ?", &q, e);
    if (rc) return rc;
    stmt_bind_text(q, 1, round, strlen(round));
    rc = stmt_step(q, e);
    if (rc == STORE_ROW) {
        *row = stmt_int(q, 0);
        rc = 0;
    } else if (rc == STORE_DONE) {
        rc = error_set(e, ERR_NOTFOUND, "no round (sample) named '%s'", round);
    }
    stmt_finalize(q);
    return rc;
}

/* The public key first recorded for `signer` (hex into out, "" if none). */
static int pinned_key(struct store *s, const char *signer, char out[65], struct error *e)
{
    struct stmt *q = NULL;
    int rc = store_prepare(s, "SELECT pubkey FROM report_signatures WHERE signer = ?"
                              " ORDER BY row_no LIMIT 1",
                           &q, e);
    out[0] = '\0';
    if (rc) return rc;
    stmt_bind_text(q, 1, signer, strlen(signer));
    rc = stmt_step(q, e);
    if (rc == STORE_ROW) snprintf(out, 65, "%s", stmt_text(q, 0));
    stmt_finalize(q);
    return rc < 0 ? rc : 0;
}

/* Where the round has teams with members in `role`, the signer must be one of them (by
 * evaluator id or name). *checked = 1 if the round had such members. */
static int signer_in_teams(struct store *s, int64_t sample, int role, const char *signer,
                           int *checked, struct error *e)
{
    struct stmt *q = NULL;
    int64_t any = 0, match = 0;
    int rc = store_prepare(s,
                           "SELECT count(*), coalesce(sum(tm.evaluator = ?3 OR"
                           " coalesce(ev.name, '') = ?3), 0) FROM team_members tm LEFT JOIN"
                           " evaluators ev ON ev.evaluator_id = tm.evaluator"
                           " WHERE tm.sample = ?1 AND tm.role = ?2",
                           &q, e);
    *checked = 0;
    if (rc) return rc;
    stmt_bind_int(q, 1, sample);
    stmt_bind_text(q, 2, role_name(role), strlen(role_name(role)));
    stmt_bind_text(q, 3, signer, strlen(signer));
    rc = stmt_step(q, e);
    if (rc == STORE_ROW) {
        any = stmt_int(q, 0);
        match = stmt_int(q, 1);
        rc = 0;
    }
    stmt_finalize(q);
    if (rc) return rc;
    if (any) {
        *checked = 1;
        if (!match)
            return error_set(e, ERR_INVALID,
                             "%s is not a %s (%s) of any team of this round: the team reports are "
                             "signed by the 组长 and 副组长 (seed 002 六(五))",
                             signer, role_zh(role), role_name(role));
    }
    return 0;
}

static void now_iso(char out[32])
{
    const char *env = getenv("PINGGU_NOW");
    time_t t = time(NULL);
    struct tm tm;
    if (env && strlen(env) == 20) {
        snprintf(out, 32, "%s", env);
        return;
    }
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Loads (or, for the default key file, makes) the signer's key and signs q->file: out gets
 * the file's SHA-256, the public key, the signature and the key file. No store. */
static int sign_file(const struct report_sign_req *q, struct report_signature *out,
                     struct error *e)
{
    unsigned char pk[32], sk[64], sig[64];
    char path[1200];
    struct strbuf msg = STRBUF_INIT;
    int rc;
    if (sodium_init() < 0) return error_set(e, ERR_INTERNAL, "libsodium failed to start");
    rc = file_sha256(q->file, out->sha256, e);
    if (rc) return rc;
    if (q->keyfile) snprintf(path, sizeof path, "%s", q->keyfile);
    else if ((rc = signer_key_path(q->signer, path, sizeof path, e))) return rc;
    rc = keyfile_read(path, "signer key", pk, sk, e);
    if (rc == ERR_NOTFOUND && !q->keyfile) {
        mkdir_parent(path);
        rc = keyfile_create(path, "signer key", pk, sk, e);
        out->key_created = !rc;
    } else if (rc == ERR_NOTFOUND) {
        rc = error_set(e, ERR_INVALID, "signer key %s: no such file", path);
    }
    if (rc) return rc;
    hash_hex(pk, 32, out->pubkey);
    snprintf(out->key_file, sizeof out->key_file, "%s", path);
    sig_message(&msg, q->round, out->sha256, q->role, q->signer);
    if (sb_ok(&msg)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    crypto_sign_detached(sig, NULL, (const unsigned char *)msg.buf, msg.len, sk);
    if (crypto_sign_verify_detached(sig, (const unsigned char *)msg.buf, msg.len, pk)) {
        rc = error_set(e, ERR_INTERNAL, "a signature just made does not verify");
        goto out;
    }
    hash_hex(sig, 64, out->signature);
out:
    sodium_memzero(sk, sizeof sk);
    sb_release(&msg);
    return rc;
}

static int check_req(const struct report_sign_req *q, struct error *e)
{
    if (q->role < 0 || q->role > 1)
        return error_set(e, ERR_INVALID, "the sign-off role is 组长 (leader) or 副组长 (deputy)");
    if (!q->signer || !*q->signer) return error_set(e, ERR_INVALID, "--signer NAME is required");
    if (!q->round || !*q->round) return error_set(e, ERR_INVALID, "--round NAME is required");
    return 0;
}

/* Records out's signature (already checked to hold) of file `file_name` for the round: refused
 * unless the public key is the signer's first recorded; the row and its change-log entry (the
 * connection's actor) in one transaction. */
static int record(struct store *s, int64_t sample, const struct report_sign_req *q,
                  const char *file_name, const char *key_where, struct report_signature *out,
                  struct error *e)
{
    char pinned[65], detail[1024];
    struct audit_writer w;
    int rc, w_open = 0;
    const char *role_s = role_name(q->role);
    rc = pinned_key(s, q->signer, pinned, e);
    if (rc) return rc;
    if (*pinned && strcmp(pinned, out->pubkey))
        return error_set(e, ERR_INVALID,
                         "%s first signed with public key %.16s…; this key (%s) is %.16s…: a "
                         "signer keeps one key (a new key would let anyone sign in their name)",
                         q->signer, pinned, key_where, out->pubkey);
    now_iso(out->at);
    rc = store_begin(s, e);
    if (rc) goto out;
    rc = audit_writer_begin(&w, s, "report_signatures",
                            "sample, file, sha256, role, signer, pubkey, signature, at", e);
    if (rc) goto out;
    w_open = 1;
    w.v[1] = rv_int(sample);
    w.v[2] = rv_text(file_name, strlen(file_name));
    w.v[3] = rv_text(out->sha256, 64);
    w.v[4] = rv_text(role_s, strlen(role_s));
    w.v[5] = rv_text(q->signer, strlen(q->signer));
    w.v[6] = rv_text(out->pubkey, 64);
    w.v[7] = rv_text(out->signature, 128);
    w.v[8] = rv_text(out->at, strlen(out->at));
    rc = audit_writer_row(&w, e);
    if (rc) goto out;
    {
        json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s}", "file", file_name, "sha256",
                              out->sha256, "role", role_s, "signer", q->signer, "pubkey",
                              out->pubkey);
        char *t = d ? json_dumps(d, JSON_COMPACT) : NULL;
        snprintf(detail, sizeof detail, "%s", t ? t : "{}");
        free(t);
        json_decref(d);
    }
    rc = audit_writer_commit(&w, "report sign", q->round, detail, e);
    w_open = 0;
    if (!rc) rc = store_commit(s, e);
out:
    if (w_open) audit_writer_abort(&w);
    if (rc && store_in_transaction(s)) store_rollback(s);
    return rc;
}

/* What both ways of signing check before a signature: the file's SHA-256 (into sha256), the
 * round's sample (into *sample) and that the signer is one of its team leaders or deputies. */
static int file_facts(struct store *s, const struct report_sign_req *q, char sha256[65],
                      int64_t *sample, struct error *e)
{
    int checked = 0;
    int rc = file_sha256(q->file, sha256, e);
    if (!rc) rc = sample_row(s, q->round, sample, e);
    if (!rc) rc = signer_in_teams(s, *sample, q->role, q->signer, &checked, e);
    return rc;
}

int report_sign(struct store *s, const struct report_sign_req *q, struct report_signature *out,
                struct error *e)
{
    int64_t sample = 0;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = check_req(q, e))) return rc;
    if (sodium_init() < 0) return error_set(e, ERR_INTERNAL, "libsodium failed to start");
    rc = file_facts(s, q, out->sha256, &sample, e);
    if (rc) return rc;
    rc = sign_file(q, out, e);
    if (rc) return rc;
    return record(s, sample, q, base_name(q->file), out->key_file, out, e);
}

int report_sign_detached(const struct report_sign_req *q, struct report_signature *out,
                         struct error *e)
{
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = check_req(q, e))) return rc;
    return sign_file(q, out, e);
}

int report_sign_record(struct store *s, const struct report_sign_req *q, const char *file_name,
                       const char *pubkey, const char *signature, struct report_signature *out,
                       struct error *e)
{
    unsigned char pk[32], sig[64];
    char half[65];
    struct strbuf msg = STRBUF_INIT;
    int64_t sample = 0;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = check_req(q, e))) return rc;
    if (sodium_init() < 0) return error_set(e, ERR_INTERNAL, "libsodium failed to start");
    if (!pubkey || strlen(pubkey) != 64 || hash_unhex32(pubkey, pk))
        return error_set(e, ERR_INVALID, "the public key is 64 hexadecimal digits (as report sign "
                                         "--detached prints it)");
    if (!signature || strlen(signature) != 128)
        return error_set(e, ERR_INVALID, "the signature is 128 hexadecimal digits (as report "
                                         "sign --detached prints it)");
    snprintf(half, sizeof half, "%.64s", signature);
    if (hash_unhex32(half, sig) || hash_unhex32(signature + 64, sig + 32))
        return error_set(e, ERR_INVALID, "the signature is 128 hexadecimal digits (as report "
                                         "sign --detached prints it)");
    rc = file_facts(s, q, out->sha256, &sample, e);
    if (rc) return rc;
    sig_message(&msg, q->round, out->sha256, q->role, q->signer);
    if (sb_ok(&msg)) {
        sb_release(&msg);
        return error_set(e, ERR_NOMEM, "out of memory");
    }
    rc = crypto_sign_verify_detached(sig, (const unsigned char *)msg.buf, msg.len, pk);
    sb_release(&msg);
    if (rc)
        return error_set(e, ERR_INVALID,
                         "the signature does not hold for %s as %s (%s) by %s in round %s with "
                         "SHA-256 %.16s… (签名无效): a signature of another file, role, signer "
                         "or round, or of a report that has changed since it was downloaded",
                         file_name, role_zh(q->role), role_name(q->role), q->signer, q->round,
                         out->sha256);
    snprintf(out->pubkey, sizeof out->pubkey, "%s", pubkey);
    for (char *p = out->pubkey; *p; p++)
        if (*p >= 'A' && *p <= 'F') *p = (char)(*p - 'A' + 'a');
    hash_hex(sig, 64, out->signature);
    return record(s, sample, q, file_name, "the one given", out, e);
}

int report_verify(struct store *s, const char *file, struct report_verification *v,
                  struct error *e)
{
    struct stmt *q = NULL;
    struct strbuf msg = STRBUF_INIT;
    char pinned[65];
    int rc;
    memset(v, 0, sizeof *v);
    if (sodium_init() < 0) return error_set(e, ERR_INTERNAL, "libsodium failed to start");
    rc = file_sha256(file, v->sha256, e);
    if (rc) return rc;
    if (store_schema_version(s) < 7)
        return error_set(e, ERR_VERIFY, "%s carries no signature 未签字: the store predates "
                                        "report sign-off (schema v7)",
                         file);
    rc = store_prepare(s,
                       "SELECT r.role, r.signer, r.pubkey, r.signature, r.at, coalesce(m.name, '')"
                       " FROM report_signatures r LEFT JOIN samples m ON m.row_no = r.sample"
                       " WHERE r.sha256 = ? ORDER BY r.row_no",
                       &q, e);
    if (rc) return rc;
    stmt_bind_text(q, 1, v->sha256, 64);
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        const char *role_s = stmt_text(q, 0), *signer = stmt_text(q, 1), *pk_hex = stmt_text(q, 2),
                   *sig_hex = stmt_text(q, 3), *round = stmt_text(q, 5);
        int role = report_role_parse(role_s), ok = 0;
        unsigned char pk[32], sig[64];
        struct report_verified_sig *x;
        if (v->nsigs >= sizeof v->sigs / sizeof v->sigs[0]) break;
        x = &v->sigs[v->nsigs++];
        snprintf(x->role, sizeof x->role, "%s", role_s);
        snprintf(x->signer, sizeof x->signer, "%s", signer);
        snprintf(x->at, sizeof x->at, "%s", stmt_text(q, 4));
        snprintf(x->round, sizeof x->round, "%s", round);
        char half[65] = "";
        if (strlen(sig_hex) == 128) snprintf(half, sizeof half, "%.64s", sig_hex);
        if (role >= 0 && strlen(pk_hex) == 64 && strlen(sig_hex) == 128 &&
            !hash_unhex32(pk_hex, pk) && !hash_unhex32(half, sig) &&
            !hash_unhex32(sig_hex + 64, sig + 32)) {
            sig_message(&msg, round, v->sha256, role, signer);
            ok = !sb_ok(&msg) && !crypto_sign_verify_detached(sig, (const unsigned char *)msg.buf,
                                                              msg.len, pk);
        }
        if (!ok) {
            snprintf(x->problem, sizeof x->problem, "bad signature 签名无效 (it does not verify "
                                                    "with the recorded public key)");
            continue;
        }
        x->valid = 1;
        if (role == 0) v->leader = 1;
        if (role == 1) v->deputy = 1;
    }
    stmt_finalize(q);
    if (rc < 0) goto out;
    rc = 0;
    /* each signer's key is the one first recorded for that signer */
    for (size_t i = 0; i < v->nsigs; i++) {
        struct report_verified_sig *x = &v->sigs[i];
        struct stmt *k = NULL;
        if (!x->valid) continue;
        rc = pinned_key(s, x->signer, pinned, e);
        if (rc) goto out;
        rc = store_prepare(s, "SELECT pubkey FROM report_signatures WHERE sha256 = ? AND"
                              " signer = ? AND role = ? ORDER BY row_no LIMIT 1",
                           &k, e);
        if (rc) goto out;
        stmt_bind_text(k, 1, v->sha256, 64);
        stmt_bind_text(k, 2, x->signer, strlen(x->signer));
        stmt_bind_text(k, 3, x->role, strlen(x->role));
        rc = stmt_step(k, e);
        if (rc == STORE_ROW && strcmp(stmt_text(k, 0), pinned)) {
            x->valid = 0;
            snprintf(x->problem, sizeof x->problem,
                     "wrong key 密钥不符: signed with %.16s…, but %s's key was first recorded "
                     "as %.16s…",
                     stmt_text(k, 0), x->signer, pinned);
        }
        stmt_finalize(k);
        if (rc < 0) goto out;
        rc = 0;
    }
    v->leader = v->deputy = 0;
    for (size_t i = 0; i < v->nsigs; i++)
        if (v->sigs[i].valid) {
            if (report_role_parse(v->sigs[i].role) == 0) v->leader = 1;
            else v->deputy = 1;
        }
    /* a file whose name was signed with other contents: it changed after signing */
    if (!v->nsigs) {
        const char *bn = base_name(file);
        rc = store_prepare(s, "SELECT sha256 FROM report_signatures WHERE file = ?"
                              " ORDER BY row_no DESC LIMIT 1",
                           &q, e);
        if (rc) goto out;
        stmt_bind_text(q, 1, bn, strlen(bn));
        rc = stmt_step(q, e);
        if (rc == STORE_ROW) snprintf(v->signed_sha256, sizeof v->signed_sha256, "%s",
                                      stmt_text(q, 0));
        stmt_finalize(q);
        if (rc < 0) goto out;
        rc = 0;
    }
    v->ok = v->leader && v->deputy;
    for (size_t i = 0; i < v->nsigs; i++)
        if (!v->sigs[i].valid) v->ok = 0;
    if (!v->ok) {
        if (!v->nsigs && v->signed_sha256[0])
            rc = error_set(e, ERR_VERIFY,
                           "%s has changed since it was signed (tampered 已被篡改): signed "
                           "SHA-256 %.16s…, now %.16s…",
                           file, v->signed_sha256, v->sha256);
        else if (!v->nsigs)
            rc = error_set(e, ERR_VERIFY, "%s (SHA-256 %.16s…) carries no signature 未签字", file,
                           v->sha256);
        else {
            const char *why = NULL;
            for (size_t i = 0; i < v->nsigs && !why; i++)
                if (!v->sigs[i].valid) why = v->sigs[i].problem;
            if (why)
                rc = error_set(e, ERR_VERIFY, "%s: %s", file, why);
            else
                rc = error_set(e, ERR_VERIFY,
                               "%s: missing role 缺少签字: signed by %s but not by %s (seed 002 "
                               "六(五): 经组长和副组长签字后提交)",
                               file, v->leader ? "组长 (leader)" : "副组长 (deputy)",
                               v->leader ? "副组长 (deputy)" : "组长 (leader)");
        }
    }
out:
    sb_release(&msg);
    return rc;
}

int report_signers_print(struct store *s, const char *round, FILE *f, struct error *e)
{
    struct stmt *q = NULL;
    struct strbuf nm = STRBUF_INIT;
    int64_t sample = 0, n = 0;
    int rc = sample_row(s, round, &sample, e);
    if (rc) return rc;
    rc = store_prepare(s,
                       "SELECT tm.team, tm.role, tm.evaluator, coalesce(ev.name, ''),"
                       " (SELECT group_concat(tc.city, ' ') FROM team_cities tc WHERE"
                       "  tc.sample = tm.sample AND tc.team = tm.team)"
                       " FROM team_members tm LEFT JOIN evaluators ev ON ev.evaluator_id ="
                       " tm.evaluator WHERE tm.sample = ? AND tm.role IN ('leader', 'deputy')"
                       " ORDER BY tm.team, tm.role DESC, tm.row_no",
                       &q, e);
    if (rc) return rc;
    stmt_bind_int(q, 1, sample);
    fprintf(f, "%-6s %-8s %-14s %-8s %s\n", "team", "role", "signer", "name", "cities");
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        int role = report_role_parse(stmt_text(q, 1));
        sb_reset(&nm);
        mask_name(&nm, stmt_text(q, 3));
        fprintf(f, "%-6lld %-8s %-14s %-8s %s\n", (long long)stmt_int(q, 0), role_zh(role),
                stmt_text(q, 2), nm.oom ? "" : nm.buf, stmt_text(q, 4));
        n++;
    }
    stmt_finalize(q);
    sb_release(&nm);
    if (rc < 0) return rc;
    if (!n)
        fprintf(f, "(round %s has no teams: any signer may sign; each keeps the key of their "
                   "first signature)\n",
                round);
    return 0;
}
