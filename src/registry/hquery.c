/*
 * hquery.c — the household query (registry.h, issue 15, seed 003: "确保每个贫困家庭都能及时
 * 了解扶贫信息并自主行使相关权利"): query codes for the notice cards, and the one check the
 * public listener (`pinggu serve --public-query`) makes.
 *
 * Invariants:
 *  - The store holds one random 32-byte secret (hq_secret, made on the first `household
 *    codes`). A household's code is HMAC-SHA256(secret, "code|" household_id) as 10 decimal
 *    digits, so a card can be printed again with the same code; a resident ID is only ever
 *    kept as HMAC-SHA256(secret, "id|" ID) in hex (hq_ids: the members of the households given
 *    a code; hq_queries: the query log). No code is stored. A registry import refreshes
 *    hq_ids in its own transaction (registry_hq_refresh): the look-up follows the registry in
 *    force, never a registry replaced since the cards were printed.
 *  - registry_hq_check does the same work whatever the outcome: one statement for the secret,
 *    two hashes (the ID, then a code — of the household found or of a fixed placeholder), one
 *    statement that counts the address's and the ID's recent queries and finds the household,
 *    one insert into the log, all in one write transaction (so concurrent queries cannot both
 *    slip under a limit). It counts them (struct hq_work) and logs the counts with each
 *    query, so the tests compare work, not timings. Only a matching, unlimited pair reads
 *    anything more (registry_hq_show).
 *  - What a household sees is category, exit year and assistance measures only: never health,
 *    disability, 低保 or 特困 status, income, sample or judgment data.
 */
#include "registry.h"

#include <sodium.h>
#include <string.h>
#include <time.h>

#define HQ_PLACEHOLDER "-"

static int load_secret(struct store *s, unsigned char key[32], int *have, struct hq_work *w,
                       struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s, "SELECT secret FROM hq_secret WHERE one = 1", &st, e);
    *have = 0;
    memset(key, 0, 32);
    if (w) w->statements++;
    if (rc) return rc;
    rc = stmt_step(st, e);
    if (rc == STORE_ROW && stmt_len(st, 0) == 32) {
        memcpy(key, stmt_blob(st, 0), 32);
        *have = 1;
    }
    stmt_finalize(st);
    return rc < 0 ? ERR_STORE : 0;
}

static void hmac_hex(const unsigned char key[32], const char *tag, const char *text, char out[65],
                     struct hq_work *w)
{
    crypto_auth_hmacsha256_state h;
    unsigned char mac[32];
    crypto_auth_hmacsha256_init(&h, key, 32);
    crypto_auth_hmacsha256_update(&h, (const unsigned char *)tag, strlen(tag));
    crypto_auth_hmacsha256_update(&h, (const unsigned char *)"|", 1);
    crypto_auth_hmacsha256_update(&h, (const unsigned char *)text, strlen(text));
    crypto_auth_hmacsha256_final(&h, mac);
    sodium_bin2hex(out, 65, mac, 32);
    if (w) w->hashes++;
}

/* The code of a household: the HMAC's first 8 bytes as a number, mod 10^10, 10 digits. */
static void code_of(const unsigned char key[32], const char *household_id, char out[11],
                    struct hq_work *w)
{
    char hex[65];
    uint64_t v = 0;
    hmac_hex(key, "code", household_id, hex, w);
    for (int i = 0; i < 16; i++) {
        char c = hex[i];
        v = v * 16 + (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    snprintf(out, 11, "%010llu", (unsigned long long)(v % 10000000000ULL));
}

void registry_hq_id_hash(const unsigned char key[32], const char *resident_id, char out[65])
{
    hmac_hex(key, "id", resident_id, out, NULL);
}

/* ---------------------------------------------------------------- codes */

static int ensure_secret(struct store *s, unsigned char key[32], struct error *e)
{
    struct stmt *st = NULL;
    int have = 0, rc = load_secret(s, key, &have, NULL, e);
    if (rc || have) return rc;
    randombytes_buf(key, 32);
    rc = store_prepare(s, "INSERT INTO hq_secret (one, secret, created) VALUES "
                          "(1, ?, CURRENT_TIMESTAMP)",
                       &st, e);
    if (!rc) {
        stmt_bind_blob(st, 1, key, 32);
        if (stmt_step(st, e) < 0) rc = ERR_STORE;
    }
    stmt_finalize(st);
    return rc;
}

/* ID text of each member of registered households (of county, or all), household by household. */
int registry_hq_codes(struct store *s, int county, const char *url, FILE *csv, int64_t *nhh,
                      struct error *e)
{
    unsigned char key[32];
    struct stmt *q = NULL, *ins = NULL, *del = NULL;
    struct strbuf line = STRBUF_INIT, cur = STRBUF_INIT;
    char code[11], idh[65], rid[19], detail[200];
    int rc;
    *nhh = 0;
    if ((rc = store_begin(s, e))) return rc;
    if ((rc = ensure_secret(s, key, e))) goto out;
    /* the county's (or every) household's hashed IDs are made again from the registry */
    if ((rc = store_prepare(s,
                            "DELETE FROM hq_ids WHERE ?1 = 0 OR household_id IN (SELECT "
                            "h.household_id FROM households h JOIN villages v ON v.code = "
                            "h.village WHERE v.county = ?1)",
                            &del, e)))
        goto out;
    stmt_bind_int(del, 1, county);
    if (stmt_step(del, e) < 0) {
        rc = ERR_STORE;
        goto out;
    }
    if ((rc = store_prepare(s,
                            "INSERT INTO hq_ids (row_no, id_hash, household_id) VALUES ((SELECT "
                            "coalesce(max(row_no), 0) + 1 FROM hq_ids), ?, ?) ON "
                            "CONFLICT (id_hash) DO UPDATE SET household_id = "
                            "excluded.household_id",
                            &ins, e)))
        goto out;
    if ((rc = store_prepare(s,
                            "SELECT h.household_id, c.name, v.name, m.resident, m.name, "
                            "m.relation FROM households h JOIN villages v ON v.code = h.village "
                            "JOIN counties c ON c.code = v.county JOIN members m ON m.household "
                            "= h.row_no WHERE h.registered = 1 AND (?1 = 0 OR v.county = ?1) "
                            "ORDER BY h.household_id, m.row_no",
                            &q, e)))
        goto out;
    stmt_bind_int(q, 1, county);
    fputs("household_id,county,village,head,code,message\n", csv);
    for (;;) {
        rc = stmt_step(q, e);
        if (rc < 0) {
            rc = ERR_STORE;
            goto out;
        }
        if (rc != STORE_ROW) break;
        const char *hh = stmt_text(q, 0);
        if (!cur.len || strcmp(cur.buf, hh)) {
            sb_reset(&cur);
            sb_adds(&cur, hh);
            code_of(key, hh, code, NULL);
            (*nhh)++;
        }
        ids_unpack((uint64_t)stmt_int(q, 3), rid);
        registry_hq_id_hash(key, rid, idh);
        stmt_reset(ins);
        stmt_bind_text(ins, 1, idh, strlen(idh));
        stmt_bind_text(ins, 2, hh, strlen(hh));
        if (stmt_step(ins, e) < 0) {
            rc = ERR_STORE;
            goto out;
        }
        if (strcmp(stmt_text(q, 5), "head")) continue;
        /* one line per household, at its head */
        sb_reset(&line);
        sb_add_csv(&line, hh, strlen(hh));
        sb_addch(&line, ',');
        sb_add_csv(&line, stmt_text(q, 1), stmt_len(q, 1));
        sb_addch(&line, ',');
        sb_add_csv(&line, stmt_text(q, 2), stmt_len(q, 2));
        sb_addch(&line, ',');
        sb_add_csv(&line, stmt_text(q, 4), stmt_len(q, 4));
        sb_addf(&line, ",%s,", code);
        {
            struct strbuf msg = STRBUF_INIT;
            sb_addf(&msg,
                    "【%s扶贫办】%s户：您家的扶贫信息查询码是%s。请在 %s 输入家庭成员的身份证号"
                    "和此查询码，查询本户的户类别、脱贫年份和帮扶措施。查询码请妥善保管，不要告诉"
                    "他人。",
                    stmt_text(q, 1), stmt_text(q, 4), code, url);
            sb_add_csv(&line, msg.buf, msg.len);
            sb_release(&msg);
        }
        sb_addch(&line, '\n');
        if (sb_ok(&line)) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        fwrite(line.buf, 1, line.len, csv);
    }
    rc = 0;
    if (fflush(csv) || ferror(csv)) {
        rc = error_set(e, ERR_IO, "the cards file could not be written");
        goto out;
    }
    snprintf(detail, sizeof detail, "{\"county\":%d,\"households\":%lld,\"unmasked\":true}", county,
             (long long)*nhh);
    rc = audit_note(s, "household codes", "households", county ? "county" : "all", detail, e);
out:
    stmt_finalize(q);
    stmt_finalize(ins);
    stmt_finalize(del);
    sb_release(&line);
    sb_release(&cur);
    sodium_memzero(key, sizeof key);
    if (!rc) rc = store_commit(s, e);
    if (rc) store_rollback(s);
    return rc;
}

/* The refresh writes hq_ids HQ_BATCH rows per statement (one round trip per batch on
 * PostgreSQL, not per member), row_no given explicitly (PostgreSQL assigns no INTEGER
 * PRIMARY KEY by itself). */
#define HQ_BATCH 128
struct hq_row {
    char idh[65];
    char hh[64];
};

static int flush_rows(struct store *s, const struct hq_row *rows, size_t k, int64_t *next,
                      struct stmt **full, struct error *e)
{
    struct stmt *one = NULL, *st;
    int rc = 0;
    if (!k) return 0;
    if (k < HQ_BATCH || !*full) {
        struct strbuf sql = STRBUF_INIT;
        sb_adds(&sql, "INSERT INTO hq_ids (row_no, id_hash, household_id) VALUES ");
        for (size_t i = 0; i < k; i++) sb_adds(&sql, i ? ", (?, ?, ?)" : "(?, ?, ?)");
        rc = sb_ok(&sql) ? error_set(e, ERR_NOMEM, "out of memory")
                         : store_prepare(s, sql.buf, k < HQ_BATCH ? &one : full, e);
        sb_release(&sql);
        if (rc) return rc;
    }
    st = k < HQ_BATCH ? one : *full;
    stmt_reset(st);
    for (size_t i = 0; i < k; i++) {
        stmt_bind_int(st, (int)(3 * i + 1), (*next)++);
        stmt_bind_text(st, (int)(3 * i + 2), rows[i].idh, strlen(rows[i].idh));
        stmt_bind_text(st, (int)(3 * i + 3), rows[i].hh, strlen(rows[i].hh));
    }
    if (stmt_step(st, e) < 0) rc = ERR_STORE;
    stmt_finalize(one);
    return rc;
}

/* The households given a code are the household IDs hq_ids holds (a codes run writes one
 * row per member of each). They are read into a set first (by a 64-bit hash of the ID: a
 * collision could only add a household that has no card, so can never match a code typed
 * from one), hq_ids is emptied, and the rows are written again while the registry is read
 * (resident IDs are unique in a registry the import accepted, so no two rows collide). The
 * statement that reads the registry does not read hq_ids, so writing it meanwhile is safe on
 * every backend. */
int registry_hq_refresh(struct store *s, int64_t *n, struct error *e)
{
    unsigned char key[32];
    struct stmt *st = NULL, *full = NULL;
    struct u64map coded;
    struct hq_row *rows = NULL;
    size_t k = 0;
    int64_t written = 0, next = 1;
    char rid[19];
    int have = 0, rc;
    u64map_init(&coded);
    if (n) *n = 0;
    if ((rc = load_secret(s, key, &have, NULL, e)) || !have) goto out;
    if ((rc = store_prepare(s, "SELECT DISTINCT household_id FROM hq_ids", &st, e))) goto out;
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        if (u64map_put(&coded, u64_hash_str(stmt_text(st, 0), stmt_len(st, 0)), 1, NULL) < 0) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) goto out;
    rc = store_prepare(s, "DELETE FROM hq_ids", &st, e);
    if (!rc) rc = stmt_step(st, e) < 0 ? ERR_STORE : 0;
    stmt_finalize(st);
    st = NULL;
    if (rc || !coded.n) goto out;
    if (!(rows = mem_calloc(HQ_BATCH, sizeof *rows))) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = store_prepare(s,
                            "SELECT h.household_id, m.resident FROM households h JOIN members m "
                            "ON m.household = h.row_no WHERE h.registered = 1 ORDER BY "
                            "h.household_id, m.row_no",
                            &st, e)))
        goto out;
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        const char *hh = stmt_text(st, 0);
        if (!u64map_get(&coded, u64_hash_str(hh, stmt_len(st, 0)))) continue;
        ids_unpack((uint64_t)stmt_int(st, 1), rid);
        registry_hq_id_hash(key, rid, rows[k].idh);
        snprintf(rows[k].hh, sizeof rows[k].hh, "%s", hh);
        if (++k == HQ_BATCH) {
            if ((rc = flush_rows(s, rows, k, &next, &full, e))) goto out;
            written += (int64_t)k, k = 0;
        }
    }
    if (rc < 0) goto out;
    if ((rc = flush_rows(s, rows, k, &next, &full, e))) goto out;
    written += (int64_t)k;
    if (n) *n = written;
out:
    stmt_finalize(st);
    stmt_finalize(full);
    u64map_release(&coded);
    mem_free(rows);
    sodium_memzero(key, sizeof key);
    return rc < 0 ? ERR_STORE : rc;
}

/* ---------------------------------------------------------------- the query */

/* Keeps the digits of a code as typed ("1234-5678 90" → "1234567890"), at most 10; more
 * digits, or none, leave a string that matches no code. */
static void norm_code(const char *in, char out[12])
{
    size_t n = 0;
    for (const char *p = in ? in : ""; *p && n < 11; p++) {
        if (*p >= '0' && *p <= '9') out[n++] = *p;
        else if (*p != ' ' && *p != '-') out[n++] = 'x';
    }
    out[n] = '\0';
}

/* The ID as the registry writes it: ids_parse's normal form, or the text as given (which then
 * matches no hashed ID; it is hashed all the same). */
static void norm_id(const char *in, char out[64])
{
    struct rid r;
    size_t n = in ? strlen(in) : 0;
    if (n < 64 && ids_parse(in ? in : "", n, 0, &r, NULL, 0) == IDS_OK)
        snprintf(out, 64, "%s", r.s);
    else
        snprintf(out, 64, "%.63s", in ? in : "");
}

int registry_hq_check(struct store *s, const char *addr, const char *resident_id,
                      const char *code, int64_t now, struct hq_check *out, struct error *e)
{
    unsigned char key[32];
    struct stmt *st = NULL;
    char id[64], given[12], want[11];
    int have = 0, found = 0, rc;
    int64_t by_addr = 0, by_id = 0;
    memset(out, 0, sizeof *out);
    out->outcome = "refused";
    norm_id(resident_id, id);
    norm_code(code, given);
    /* one write transaction: concurrent queries cannot both slip under a limit */
    if ((rc = store_begin(s, e))) return rc;
    if ((rc = load_secret(s, key, &have, &out->work, e))) goto out;
    hmac_hex(key, "id", id, out->id_hash, &out->work);
    out->work.statements++;
    rc = store_prepare(s,
                       "SELECT (SELECT count(*) FROM hq_queries WHERE addr = ?1 AND at > ?3),"
                       " (SELECT count(*) FROM hq_queries WHERE id_hash = ?2 AND at > ?4),"
                       " (SELECT household_id FROM hq_ids WHERE id_hash = ?2)",
                       &st, e);
    if (rc) goto out;
    stmt_bind_text(st, 1, addr, strlen(addr));
    stmt_bind_text(st, 2, out->id_hash, strlen(out->id_hash));
    stmt_bind_int(st, 3, now - 3600);
    stmt_bind_int(st, 4, now - 86400);
    if ((rc = stmt_step(st, e)) != STORE_ROW) {
        rc = rc < 0 ? ERR_STORE : error_set(e, ERR_STORE, "the query check returned no row");
        goto out;
    }
    by_addr = stmt_int(st, 0);
    by_id = stmt_int(st, 1);
    found = stmt_type(st, 2) != STORE_NULL;
    snprintf(out->household_id, sizeof out->household_id, "%s",
             found ? stmt_text(st, 2) : HQ_PLACEHOLDER);
    stmt_finalize(st);
    st = NULL;
    /* always one code hash: of the household found, or of the placeholder */
    code_of(key, out->household_id, want, &out->work);
    {
        int match = strlen(given) == 10 && sodium_memcmp(given, want, 10) == 0;
        int limited = by_addr >= HQ_LIMIT_PER_ADDR || by_id >= HQ_LIMIT_PER_ID;
        out->outcome = !have ? "no_codes" : limited ? "limited" : !found ? "unknown"
                     : !match ? "wrong_code" : "ok";
        out->ok = have && !limited && found && match;
    }
    if (!out->ok) snprintf(out->household_id, sizeof out->household_id, "%s", HQ_PLACEHOLDER);
    /* the log row records the work done, this insert included */
    out->work.statements++;
    rc = store_prepare(s,
                       "INSERT INTO hq_queries (row_no, at, addr, id_hash, outcome, hashes, "
                       "statements) VALUES ((SELECT coalesce(max(row_no), 0) + 1 FROM "
                       "hq_queries), ?, ?, ?, ?, ?, ?)",
                       &st, e);
    if (rc) goto out;
    stmt_bind_int(st, 1, now);
    stmt_bind_text(st, 2, addr, strlen(addr));
    stmt_bind_text(st, 3, out->id_hash, strlen(out->id_hash));
    stmt_bind_text(st, 4, out->outcome, strlen(out->outcome));
    stmt_bind_int(st, 5, out->work.hashes);
    stmt_bind_int(st, 6, out->work.statements);
    rc = stmt_step(st, e) < 0 ? ERR_STORE : 0;
out:
    stmt_finalize(st);
    sodium_memzero(key, sizeof key);
    sodium_memzero(id, sizeof id);
    if (!rc) rc = store_commit(s, e);
    if (rc) {
        if (store_in_transaction(s)) store_rollback(s);
        out->ok = 0;
    }
    return rc;
}

int registry_hq_show(struct store *s, const char *household_id, struct hq_answer *a,
                     struct error *e)
{
    struct stmt *st = NULL;
    int rc;
    memset(a, 0, sizeof *a);
    rc = store_prepare(s,
                       "SELECT h.household_id, c.name, t.name, v.name, h.registered, "
                       "h.exit_year, h.returned, h.return_year, h.relocated, h.identified_year, "
                       "v.code, h.row_no FROM households h JOIN villages v ON v.code = h.village "
                       "JOIN townships t ON t.code = v.township JOIN counties c ON c.code = "
                       "v.county WHERE h.household_id = ?",
                       &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, household_id, strlen(household_id));
    rc = stmt_step(st, e);
    if (rc != STORE_ROW) {
        stmt_finalize(st);
        return rc < 0 ? ERR_STORE : error_set(e, ERR_NOTFOUND, "no such household");
    }
    int64_t village, row;
    snprintf(a->household_id, sizeof a->household_id, "%s", stmt_text(st, 0));
    snprintf(a->county, sizeof a->county, "%s", stmt_text(st, 1));
    snprintf(a->township, sizeof a->township, "%s", stmt_text(st, 2));
    snprintf(a->village, sizeof a->village, "%s", stmt_text(st, 3));
    int registered = (int)stmt_int(st, 4), returned = (int)stmt_int(st, 6);
    a->exit_year = (int)stmt_int(st, 5);
    a->return_year = (int)stmt_int(st, 7);
    a->relocated = (int)stmt_int(st, 8);
    a->identified_year = (int)stmt_int(st, 9);
    village = stmt_int(st, 10);
    row = stmt_int(st, 11);
    stmt_finalize(st);
    st = NULL;
    if (!registered) a->category_zh = "一般农户", a->category_en = "not registered";
    else if (returned) a->category_zh = "返贫户", a->category_en = "returned to poverty";
    else if (a->exit_year) a->category_zh = "已脱贫户", a->category_en = "exited";
    else a->category_zh = "未脱贫户（建档立卡贫困户）", a->category_en = "registered, not exited";

    rc = store_prepare(s,
                       "SELECT count(*), sum(medical_insurance), sum(illness_insurance), "
                       "sum(pension_insurance), sum(in_school) FROM members WHERE household = ?",
                       &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, row);
    if ((rc = stmt_step(st, e)) == STORE_ROW) {
        a->members = (int)stmt_int(st, 0);
        a->medical = (int)stmt_int(st, 1);
        a->illness_ins = (int)stmt_int(st, 2);
        a->pension = (int)stmt_int(st, 3);
        a->in_school = (int)stmt_int(st, 4);
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) return ERR_STORE;

    rc = store_prepare(s,
                       "SELECT name, kind, year, status FROM projects WHERE village = ? "
                       "ORDER BY year DESC, project_id LIMIT ?",
                       &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, village);
    stmt_bind_int(st, 2, HQ_MAX_PROJECTS);
    while ((rc = stmt_step(st, e)) == STORE_ROW && a->nprojects < HQ_MAX_PROJECTS) {
        struct hq_project *p = &a->projects[a->nprojects++];
        snprintf(p->name, sizeof p->name, "%s", stmt_text(st, 0));
        snprintf(p->kind, sizeof p->kind, "%s", code_zh(codes_project_kind, stmt_text(st, 1)));
        p->year = (int)stmt_int(st, 2);
        snprintf(p->status, sizeof p->status, "%s",
                 code_zh(codes_project_status, stmt_text(st, 3)));
    }
    stmt_finalize(st);
    return rc < 0 ? ERR_STORE : 0;
}

int registry_hq_log_print(struct store *s, FILE *f, struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s,
                           "SELECT at, addr, id_hash, outcome, hashes, statements FROM "
                           "hq_queries ORDER BY row_no",
                           &st, e);
    if (rc) return rc;
    fprintf(f, "%-20s  %-16s  %-16s  %-10s  %6s  %10s\n", "at (UTC)", "address",
            "ID (HMAC, 16 hex)", "outcome", "hashes", "statements");
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        time_t t = (time_t)stmt_int(st, 0);
        struct tm tm;
        char when[32];
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(f, "%-20s  %-16s  %-16.16s  %-10s  %6lld  %10lld\n", when, stmt_text(st, 1),
                stmt_text(st, 2), stmt_text(st, 3), (long long)stmt_int(st, 4),
                (long long)stmt_int(st, 5));
    }
    stmt_finalize(st);
    return rc < 0 ? ERR_STORE : 0;
}
