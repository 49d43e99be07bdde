/*
 * recheck.c — the recheck sample of closed problems (复查抽样; issue 10, rectification ledger),
 * drawn verifiably like any sample (docs/sampling.md, docs/problems.md "Recheck sample").
 *
 * Frame: the problems of the round (optionally of one county) whose state was `closed` after
 * the last problem move made before the draw (moves_upto: that move's row_no, so moves made
 * later the same day do not change it). The frame is frozen as text, one line per problem in
 * number order, "ID|COUNTY|UNIT\n"; its SHA-256 is the frame hash. Each problem's ticket is
 * plan/'s Rivest ticket (ticket_of) of the canonical unit id "recheck|closed|PARENT|ID" (PARENT
 * the county code, or "all") under the seed; the N smallest tickets are drawn (tickets compare
 * as strings; ties by number). The draw is a pure function of (seed, frozen frame, N).
 *
 * Stored (schema v8): one recheck_draws row (round, county, seed, its commitment, the frame
 * text and hash, moves_upto, N, actor, day) and one recheck_units row per drawn problem (rank,
 * ticket), each an audited insert in one transaction. One draw per round and county: drawing
 * again to get another outcome is exactly what a committed seed forbids.
 *
 * Verification re-derives every stored draw: the frame's hash from its text, the frame from the
 * store's problems and moves as of moves_upto, the commitment from the seed, and the drawn
 * problems, ranks and tickets from the seed and the frozen frame. Any edit is a difference.
 */
#include "problem_int.h"
#include "../plan/plan.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One frame entry with its ticket. */
struct rframe {
    int64_t id;
    int county;
    char unit[64];
    char ticket[TICKET_MAX];
};

static int seed_ok(const char *seed)
{
    size_t n = seed ? strlen(seed) : 0;
    if (n < 1 || n > 128) return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdefABCDEF", seed[i])) return 0;
    return 1;
}

static int cmp_ticket(const void *a, const void *b)
{
    const struct rframe *x = a, *y = b;
    int c = strcmp(x->ticket, y->ticket);
    if (c) return c;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The frame as of move moves_upto: closed problems of the round (and county, 0: all), in
 * number order. Caller owns *out (mem_free). */
static int frame_read(struct store *s, int64_t sample, int county, int64_t moves_upto,
                      struct rframe **out, size_t *n, struct error *e)
{
    struct stmt *st = NULL;
    struct rframe *v = NULL;
    size_t nv = 0, cap = 0;
    int rc = store_prepare(s,
                           "SELECT p.row_no, p.county, p.unit FROM problems p WHERE p.sample = ?1"
                           " AND (?2 = 0 OR p.county = ?2) AND coalesce((SELECT m.to_state FROM"
                           " problem_moves m WHERE m.problem = p.row_no AND m.row_no <= ?3"
                           " ORDER BY m.row_no DESC LIMIT 1), p.status) = 'closed'"
                           " ORDER BY p.row_no",
                           &st, e);
    *out = NULL;
    *n = 0;
    if (rc) return rc;
    stmt_bind_int(st, 1, sample);
    stmt_bind_int(st, 2, county);
    stmt_bind_int(st, 3, moves_upto);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        if (nv == cap) {
            size_t nc = cap ? cap * 2 : 32;
            struct rframe *nvp = mem_realloc(v, nc * sizeof *nvp);
            if (!nvp) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            v = nvp, cap = nc;
        }
        memset(&v[nv], 0, sizeof v[nv]);
        v[nv].id = stmt_int(st, 0);
        v[nv].county = (int)stmt_int(st, 1);
        snprintf(v[nv].unit, sizeof v[nv].unit, "%s", stmt_text(st, 2));
        nv++;
    }
    stmt_finalize(st);
    if (rc < 0) {
        mem_free(v);
        return rc;
    }
    *out = v;
    *n = nv;
    return 0;
}

/* The frozen frame's text, "ID|COUNTY|UNIT\n" per entry in number order. */
static void frame_text(const struct rframe *v, size_t n, struct strbuf *sb)
{
    for (size_t i = 0; i < n; i++)
        sb_addf(sb, "%lld|%d|%s\n", (long long)v[i].id, v[i].county, v[i].unit);
}

/* Parses a frozen frame's text back (ERR_VERIFY on a malformed line). Caller owns *out. */
static int frame_parse(const char *text, struct rframe **out, size_t *n, struct error *e)
{
    struct rframe *v = NULL;
    size_t nv = 0, cap = 0;
    const char *p = text;
    *out = NULL;
    *n = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        char line[160], *a, *b;
        size_t len;
        int64_t id, county;
        if (!nl || (len = (size_t)(nl - p)) >= sizeof line) goto bad;
        memcpy(line, p, len);
        line[len] = '\0';
        a = strchr(line, '|');
        b = a ? strchr(a + 1, '|') : NULL;
        if (!a || !b) goto bad;
        *a = *b = '\0';
        if (parse_int64(line, &id) || parse_int64(a + 1, &county)) goto bad;
        if (nv == cap) {
            size_t nc = cap ? cap * 2 : 32;
            struct rframe *nvp = mem_realloc(v, nc * sizeof *nvp);
            if (!nvp) {
                mem_free(v);
                return error_set(e, ERR_NOMEM, "out of memory");
            }
            v = nvp, cap = nc;
        }
        memset(&v[nv], 0, sizeof v[nv]);
        v[nv].id = id;
        v[nv].county = (int)county;
        snprintf(v[nv].unit, sizeof v[nv].unit, "%s", b + 1);
        nv++;
        p = nl + 1;
    }
    *out = v;
    *n = nv;
    return 0;
bad:
    mem_free(v);
    return error_set(e, ERR_VERIFY, "the frozen frame is malformed near line %zu", nv + 1);
}

/* Tickets of every entry under the seed, then sorted: the first n are the draw. */
static void frame_order(struct rframe *v, size_t n, const char *seed, int county)
{
    char seed_hex[65];
    ticket_seed_hex(seed, seed_hex);
    for (size_t i = 0; i < n; i++) {
        char id[96];
        if (county) snprintf(id, sizeof id, "recheck|closed|%d|%lld", county, (long long)v[i].id);
        else snprintf(id, sizeof id, "recheck|closed|all|%lld", (long long)v[i].id);
        ticket_of(seed_hex, id, v[i].ticket);
    }
    qsort(v, n, sizeof *v, cmp_ticket);
}

void problem_recheck_result_free(struct problem_recheck_result *r)
{
    if (!r) return;
    mem_free(r->ids);
    r->ids = NULL;
    r->nids = 0;
}

int problem_recheck_draw(struct store *s, const char *round, int county, const char *seed,
                         int n, const char *actor, struct problem_recheck_result *r,
                         struct error *e)
{
    struct rframe *v = NULL;
    size_t nv = 0;
    struct strbuf ft = STRBUF_INIT;
    struct audit_writer w;
    int w_open = 0, in_tx = 0, rc;
    int64_t sample = 0, upto = 0, exists = 0;
    char on[16];
    int today = date_today();

    memset(r, 0, sizeof *r);
    if (!seed_ok(seed))
        return error_set(e, ERR_INVALID,
                         "--seed must be 1 to 128 hexadecimal digits (the published seed), not '%s'",
                         seed ? seed : "");
    if (n < 1) return error_set(e, ERR_INVALID, "--n must be at least 1");
    rc = store_begin(s, e);
    if (rc) return rc;
    in_tx = 1;
    rc = problem_round_sample(s, round, &sample, e);
    if (rc) goto out;
    rc = problem_count_county(s, "SELECT count(*) FROM recheck_draws WHERE sample = ? AND county = ?",
                              sample, county, &exists, e);
    if (rc) goto out;
    if (exists) {
        rc = error_set(e, ERR_INVALID,
                       "round '%s' already has a recheck draw for %s%.0d: a committed seed is drawn "
                       "once (recheck-verify re-derives it)",
                       round, county ? "county " : "every county", county);
        goto out;
    }
    rc = store_query_int(s, "SELECT max(row_no) FROM problem_moves", 0, &upto, e);
    if (rc) goto out;
    rc = frame_read(s, sample, county, upto, &v, &nv, e);
    if (rc) goto out;
    if (!nv) {
        rc = error_set(e, ERR_INVALID, "round '%s' has no closed problems%s to recheck", round,
                       county ? " in that county" : "");
        goto out;
    }
    frame_text(v, nv, &ft);
    if (sb_ok(&ft)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    hash_sha256_hex(ft.buf, ft.len, r->frame_hash);
    seed_commitment(seed, r->commitment);
    frame_order(v, nv, seed, county);
    r->frame = (int64_t)nv;
    r->nids = (size_t)n < nv ? (size_t)n : nv;
    r->ids = mem_calloc(r->nids + 1, sizeof *r->ids);
    if (!r->ids) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    snprintf(on, sizeof on, "%04d-%02d-%02d", today / 10000, today / 100 % 100, today % 100);
    rc = audit_writer_begin(&w, s, "recheck_draws",
                            "sample, county, seed, commitment, frame_hash, frame_rows, frame,"
                            " moves_upto, n, actor, on_day",
                            e);
    if (rc) goto out;
    w_open = 1;
    w.v[1] = rv_int(sample);
    w.v[2] = rv_int(county);
    w.v[3] = rv_text(seed, strlen(seed));
    w.v[4] = rv_text(r->commitment, 64);
    w.v[5] = rv_text(r->frame_hash, 64);
    w.v[6] = rv_int((int64_t)nv);
    w.v[7] = rv_text(ft.buf, ft.len);
    w.v[8] = rv_int(upto);
    w.v[9] = rv_int(n);
    w.v[10] = rv_text(actor ? actor : audit_actor(), strlen(actor ? actor : audit_actor()));
    w.v[11] = rv_text(on, strlen(on));
    rc = audit_writer_row(&w, e);
    if (rc) goto out;
    r->draw = w.last_row;
    w_open = 0;
    rc = problem_county_commit(&w, "recheck draw", round, county, e, "{s:s, s:i, s:s, s:s, s:I, s:i}",
                               "round", round, "county", county, "commitment", r->commitment,
                               "frame_hash", r->frame_hash, "frame_rows", (json_int_t)nv, "n", n);
    if (rc) goto out;
    rc = audit_writer_begin(&w, s, "recheck_units", "draw, problem, rank, ticket", e);
    if (rc) goto out;
    w_open = 1;
    for (size_t i = 0; i < r->nids && !rc; i++) {
        w.v[1] = rv_int(r->draw);
        w.v[2] = rv_int(v[i].id);
        w.v[3] = rv_int((int64_t)i + 1);
        w.v[4] = rv_text(v[i].ticket, strlen(v[i].ticket));
        rc = audit_writer_row(&w, e);
        r->ids[i] = v[i].id;
    }
    if (rc) goto out;
    w_open = 0;
    rc = problem_county_commit(&w, "recheck draw", round, county, e, NULL);
    if (rc) goto out;
    in_tx = 0;
    rc = store_commit(s, e);
out:
    if (w_open) audit_writer_abort(&w);
    if (in_tx) store_rollback(s);
    if (rc) problem_recheck_result_free(r);
    sb_release(&ft);
    mem_free(v);
    return rc;
}

/* Verifies one stored draw; 0, ERR_VERIFY (e says what differs) or another error. */
static int verify_one(struct store *s, int64_t draw, int64_t sample, int county, const char *seed,
                      const char *commitment, const char *frame_hash, int64_t frame_rows,
                      const char *frame, int64_t upto, int64_t n, struct error *e)
{
    struct rframe *v = NULL, *cur = NULL;
    size_t nv = 0, ncur = 0, want;
    struct strbuf ft = STRBUF_INIT;
    struct stmt *st = NULL;
    char h[65];
    int rc;
    size_t k = 0;

    if (!seed_ok(seed)) return error_set(e, ERR_VERIFY, "draw %lld: the seed is not hexadecimal",
                                         (long long)draw);
    seed_commitment(seed, h);
    if (strcmp(h, commitment))
        return error_set(e, ERR_VERIFY, "draw %lld: the seed does not match its commitment %s",
                         (long long)draw, commitment);
    hash_sha256_hex(frame, strlen(frame), h);
    if (strcmp(h, frame_hash))
        return error_set(e, ERR_VERIFY,
                         "draw %lld: the frozen frame's hash is %s, the draw says %s",
                         (long long)draw, h, frame_hash);
    rc = frame_parse(frame, &v, &nv, e);
    if (rc) goto out;
    if ((int64_t)nv != frame_rows) {
        rc = error_set(e, ERR_VERIFY, "draw %lld: the frozen frame has %zu rows, the draw says %lld",
                       (long long)draw, nv, (long long)frame_rows);
        goto out;
    }
    /* the frame against the store: the problems closed as of the draw's last move */
    rc = frame_read(s, sample, county, upto, &cur, &ncur, e);
    if (rc) goto out;
    frame_text(cur, ncur, &ft);
    if (sb_ok(&ft)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    if (ft.len != strlen(frame) || memcmp(ft.buf, frame, ft.len)) {
        rc = error_set(e, ERR_VERIFY,
                       "draw %lld: the frozen frame (%zu closed problems) no longer matches the "
                       "store's problems and moves as of move %lld (%zu closed)",
                       (long long)draw, nv, (long long)upto, ncur);
        goto out;
    }
    frame_order(v, nv, seed, county);
    want = (size_t)n < nv ? (size_t)n : nv;
    rc = store_prepare(s, "SELECT problem, rank, ticket FROM recheck_units WHERE draw = ?"
                          " ORDER BY rank, row_no", &st, e);
    if (rc) goto out;
    stmt_bind_int(st, 1, draw);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        if (k >= want) {
            rc = error_set(e, ERR_VERIFY, "draw %lld: problem %lld is stored as drawn (rank %lld) "
                           "but the re-derivation draws only %zu",
                           (long long)draw, (long long)stmt_int(st, 0),
                           (long long)stmt_int(st, 1), want);
            goto out;
        }
        if (stmt_int(st, 0) != v[k].id || stmt_int(st, 1) != (int64_t)k + 1 ||
            strcmp(stmt_text(st, 2), v[k].ticket)) {
            rc = error_set(e, ERR_VERIFY,
                           "draw %lld, rank %zu: stored problem %lld (rank %lld), re-derived "
                           "problem %lld",
                           (long long)draw, k + 1, (long long)stmt_int(st, 0),
                           (long long)stmt_int(st, 1), (long long)v[k].id);
            goto out;
        }
        k++;
    }
    if (rc < 0) goto out;
    rc = 0;
    if (k != want)
        rc = error_set(e, ERR_VERIFY, "draw %lld: %zu problems stored as drawn, %zu re-derived",
                       (long long)draw, k, want);
out:
    stmt_finalize(st);
    sb_release(&ft);
    mem_free(v);
    mem_free(cur);
    return rc;
}

int problem_recheck_verify(struct store *s, const char *round, FILE *f, int64_t *ndraws,
                           struct error *e)
{
    struct stmt *st = NULL;
    int64_t sample = 0;
    int rc = problem_round_sample(s, round, &sample, e);
    *ndraws = 0;
    if (rc) return rc;
    rc = store_prepare(s,
                       "SELECT row_no, county, seed, commitment, frame_hash, frame_rows, frame,"
                       " moves_upto, n FROM recheck_draws WHERE sample = ? ORDER BY row_no",
                       &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, sample);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        int64_t draw = stmt_int(st, 0);
        int county = (int)stmt_int(st, 1);
        rc = verify_one(s, draw, sample, county, stmt_text(st, 2), stmt_text(st, 3),
                        stmt_text(st, 4), stmt_int(st, 5), stmt_text(st, 6), stmt_int(st, 7),
                        stmt_int(st, 8), e);
        if (rc) break;
        rc = STORE_ROW;
        (*ndraws)++;
        if (f)
            fprintf(f, "draw %lld (%s%.0d): %lld closed problems, frame %.16s…, %lld drawn — "
                       "re-derived identically\n",
                    (long long)draw, county ? "county " : "every county", county,
                    (long long)stmt_int(st, 5), stmt_text(st, 4),
                    (long long)(stmt_int(st, 8) < stmt_int(st, 5) ? stmt_int(st, 8)
                                                                  : stmt_int(st, 5)));
    }
    stmt_finalize(st);
    if (rc < 0) return rc;
    if (!*ndraws) return error_set(e, ERR_NOTFOUND, "round '%s' has no recheck draw", round);
    return 0;
}

int problem_recheck_due(struct store *s, int64_t problem, int *due, struct error *e)
{
    struct stmt *st = NULL;
    int rc;
    *due = 0;
    /* a store from before the recheck tables has no draws (a read-only open migrates nothing) */
    if (store_prepare(s, "SELECT count(*) FROM recheck_units WHERE problem = ?", &st, e)) {
        if (e) memset(e, 0, sizeof *e);
        return 0;
    }
    stmt_bind_int(st, 1, problem);
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) *due = stmt_int(st, 0) > 0, rc = 0;
    stmt_finalize(st);
    return rc;
}
