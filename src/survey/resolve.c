/*
 * resolve.c — `pinggu field resolve`: the office's logged decision between a household first
 * recorded as not reached but interviewed after all, and the reserve(s) its non-response had
 * activated (survey.h field_resolve, docs/fieldwork.md §3).
 *
 * States of a household U whose non-response activated the reserves R1, R2, … (its chain: a
 * reserve not reached either hands over to the next, in rank order):
 *   original kept (what `field import` does with a late interview): U's questionnaire is
 *     complete and carries in `reason` the reason it was first not reached; no replacement
 *     record for U or its chain; the chain's questionnaires have status 'superseded' and
 *     `replaces` = U (their own non-response reason, if any, kept in `reason`).
 *   reserve kept (only through this command): U's questionnaire is 'superseded' with
 *     `replaces` '' (set aside); the replacement records of U and of its chain are back and
 *     the chain's questionnaires are in force again ('nonresponse' where they carry a reason,
 *     else 'complete').
 * Invariants: every change goes through the change log in one transaction, the decision and
 * its note in each entry's detail; a reserve activated meanwhile for another household is
 * never taken back; the estimators count only status 'complete', so exactly one of U and its
 * chain counts in either state.
 */
#include "field_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct link {
    struct sunit *u;
    char reason[24];
};

static int cmp_rank(const void *a, const void *b)
{
    const struct link *x = a, *y = b;
    return (x->u->rank > y->u->rank) - (x->u->rank < y->u->rank);
}

/* The change-log detail of the decision (sorted keys, as the log wants). Caller frees. */
static char *decision_detail(const char *sample, const char *unit, int keep_reserve,
                             const char *note)
{
    json_t *o = json_object();
    char *out;
    if (!o) return NULL;
    json_object_set_new(o, "sample", json_string(sample));
    json_object_set_new(o, "unit", json_string(unit));
    json_object_set_new(o, "keep", json_string(keep_reserve ? "reserve" : "original"));
    json_object_set_new(o, "note", json_string(note ? note : ""));
    out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return out;
}

/* Keep the original: as a late import does (field.c withdraw_chains), for a household that was
 * set aside earlier. */
static int keep_original(struct fctx *c, struct sunit *u, const char *detail,
                         struct field_resolution *r, struct error *e)
{
    struct strbuf units = STRBUF_INIT, chain = STRBUF_INIT, set = STRBUF_INIT,
                  where = STRBUF_INIT;
    const char *next = u->replaced_by;
    struct sunit *x;
    int64_t n = 0;
    int rc = 0;
    char key[160];
    snprintf(key, sizeof key, "%s %s", c->name, u->code);
    sql_quote(&units, u->code);
    sb_adds(&set, "status = 'superseded', replaces = ");
    sql_quote(&set, u->code);
    for (int guard = 0; *next && guard < 256 && (x = fctx_unit(c, next)); guard++) {
        sb_addch(&units, ',');
        sql_quote(&units, x->code);
        if (chain.len) sb_addch(&chain, ',');
        sql_quote(&chain, x->code);
        if (r) {
            size_t l = strlen(r->chain);
            snprintf(r->chain + l, sizeof r->chain - l, "%s%s", l ? " " : "", x->code);
            r->reserves++;
        }
        next = x->replaced ? x->replaced_by : "";
    }
    if (sb_ok(&units) || sb_ok(&chain) || sb_ok(&set)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = store_begin(c->s, e);
    if (rc) goto out;
    sb_addf(&where, "sample = %lld AND unit IN (%s)", (long long)c->sample, units.buf);
    rc = sb_ok(&where) ? error_set(e, ERR_NOMEM, "out of memory")
                       : audit_delete_where(c->s, "replacements", where.buf, "field resolve", key,
                                           detail, &n, e);
    if (!rc && chain.len) {
        sb_reset(&where);
        sb_addf(&where, "sample = %lld AND status IN ('complete', 'nonresponse') AND unit IN (%s)",
                (long long)c->sample, chain.buf);
        rc = sb_ok(&where) ? error_set(e, ERR_NOMEM, "out of memory")
                           : audit_update_where(c->s, "questionnaires", set.buf, where.buf,
                                               "field resolve", key, detail, &n, e);
        if (r) r->superseded = n;
    }
    if (!rc) {
        sb_reset(&where);
        sb_addf(&where, "sample = %lld AND unit = ", (long long)c->sample);
        sql_quote(&where, u->code);
        sb_adds(&where, " AND status = 'superseded' AND replaces = ''");
        rc = sb_ok(&where) ? error_set(e, ERR_NOMEM, "out of memory")
                           : audit_update_where(c->s, "questionnaires", "status = 'complete'",
                                               where.buf, "field resolve", key, detail, &n, e);
        if (r) r->restored = n;
    }
    if (rc) store_rollback(c->s);
    else rc = store_commit(c->s, e);
out:
    sb_release(&units);
    sb_release(&chain);
    sb_release(&set);
    sb_release(&where);
    return rc;
}

/* Keep the reserve: U's questionnaire set aside, its chain back in force. */
static int keep_reserve(struct fctx *c, struct sunit *u, const char *detail,
                        struct field_resolution *r, struct error *e)
{
    struct stmt *st = NULL;
    struct link *ch = NULL;
    size_t n = 0, cap = 0, used;
    struct strbuf set = STRBUF_INIT, where = STRBUF_INIT;
    struct audit_writer w;
    int64_t got = 0;
    int rc;
    char key[160];
    snprintf(key, sizeof key, "%s %s", c->name, u->code);
    rc = store_prepare(c->s, "SELECT DISTINCT unit, reason FROM questionnaires WHERE sample = ?"
                             " AND status = 'superseded' AND replaces = ?",
                       &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, c->sample);
    stmt_bind_text(st, 2, u->code, strlen(u->code));
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct sunit *x = fctx_unit(c, stmt_text(st, 0));
        if (!x) continue;
        if (n == cap) {
            size_t c2 = cap ? cap * 2 : 8;
            struct link *p = mem_realloc(ch, c2 * sizeof *p);
            if (!p) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            ch = p, cap = c2;
        }
        ch[n].u = x;
        snprintf(ch[n].reason, sizeof ch[n].reason, "%s", stmt_text(st, 1));
        n++;
    }
    stmt_finalize(st);
    if (rc < 0) goto out;
    rc = 0;
    if (!n || !*u->late_reason) {
        rc = error_set(e, ERR_INVALID,
                       "unit: %s has no reserve set aside for it in sample %s: nothing to "
                       "resolve (a household first recorded as not reached and interviewed "
                       "after all has one)",
                       u->code, c->name);
        goto out;
    }
    /* the chain in activation order; it ends at the first reserve interviewed */
    qsort(ch, n, sizeof *ch, cmp_rank);
    for (used = 0; used < n;) {
        int interviewed = !*ch[used].reason;
        used++;
        if (interviewed) break;
    }
    for (size_t i = 0; i < used; i++)
        if (ch[i].u->active) {
            rc = error_set(e, ERR_INVALID,
                           "unit: reserve %s has since been activated for another household of "
                           "sample %s: it cannot go back to %s",
                           ch[i].u->code, c->name, u->code);
            goto out;
        }
    rc = store_begin(c->s, e);
    if (rc) goto out;
    /* 1. U's own questionnaire set aside */
    sb_addf(&where, "sample = %lld AND unit = ", (long long)c->sample);
    sql_quote(&where, u->code);
    sb_adds(&where, " AND status = 'complete'");
    rc = sb_ok(&where) ? error_set(e, ERR_NOMEM, "out of memory")
                       : audit_update_where(c->s, "questionnaires",
                                           "status = 'superseded', replaces = ''", where.buf,
                                           "field resolve", key, detail, &got, e);
    if (r) r->superseded = got;
    /* 2. the chain's questionnaires back in force */
    if (!rc) {
        sb_adds(&set, "status = CASE WHEN reason = '' THEN 'complete' ELSE 'nonresponse' END,"
                      " replaces = CASE WHEN reason = '' THEN '' ELSE CASE unit");
        for (size_t i = 0; i < used; i++) {
            sb_adds(&set, " WHEN ");
            sql_quote(&set, ch[i].u->code);
            sb_adds(&set, " THEN ");
            sql_quote(&set, i + 1 < used ? ch[i + 1].u->code : "");
        }
        sb_adds(&set, " ELSE '' END END");
        sb_reset(&where);
        sb_addf(&where, "sample = %lld AND status = 'superseded' AND replaces = ",
                (long long)c->sample);
        sql_quote(&where, u->code);
        sb_adds(&where, " AND unit IN (");
        for (size_t i = 0; i < used; i++) {
            if (i) sb_addch(&where, ',');
            sql_quote(&where, ch[i].u->code);
        }
        sb_adds(&where, ")");
        rc = sb_ok(&where) || sb_ok(&set)
                 ? error_set(e, ERR_NOMEM, "out of memory")
                 : audit_update_where(c->s, "questionnaires", set.buf, where.buf, "field resolve",
                                     key, detail, &got, e);
        if (r) r->restored = got;
    }
    /* 3. the replacement records: U by the first reserve, each reserve not reached by the next */
    if (!rc) rc = audit_writer_begin(&w, c->s, "replacements", "sample, unit, reason, replaced_by",
                                     e);
    if (!rc) {
        for (size_t i = 0; i <= used && !rc; i++) {
            const char *who = i ? ch[i - 1].u->code : u->code;
            const char *why = i ? ch[i - 1].reason : u->late_reason;
            const char *by = i < used ? ch[i].u->code : "";
            if (!*why) continue; /* an interviewed reserve ends the chain */
            w.v[1] = rv_int(c->sample);
            w.v[2] = rv_text(who, strlen(who));
            w.v[3] = rv_text(why, strlen(why));
            w.v[4] = rv_text(by, strlen(by));
            rc = audit_writer_row(&w, e);
            if (i < used && r) {
                size_t l = strlen(r->chain);
                snprintf(r->chain + l, sizeof r->chain - l, "%s%s", l ? " " : "", by);
                r->reserves++;
            }
        }
        if (!rc) rc = audit_writer_commit(&w, "field resolve", key, detail, e);
        else audit_writer_abort(&w);
    }
    if (rc) store_rollback(c->s);
    else rc = store_commit(c->s, e);
out:
    mem_free(ch);
    sb_release(&set);
    sb_release(&where);
    return rc;
}

int field_resolve(struct store *s, const char *sample, const char *unit, int keep_reserve_,
                  const char *note, struct field_resolution *r, struct error *e)
{
    struct fctx c;
    struct sunit *u;
    char *detail = NULL;
    int rc;
    if (r) memset(r, 0, sizeof *r);
    rc = fctx_open(s, sample, &c, e);
    if (rc) return rc;
    u = fctx_unit(&c, unit);
    if (!u && c.failed) {
        *e = c.err;
        rc = c.err.code ? c.err.code : ERR_STORE;
        goto out;
    }
    if (!u) {
        rc = error_set(e, ERR_INVALID, "unit: %s is not a household of sample %s", unit, sample);
        goto out;
    }
    detail = decision_detail(sample, unit, keep_reserve_, note);
    if (!detail) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    if (keep_reserve_) {
        if (u->overruled) {
            rc = error_set(e, ERR_INVALID, "unit: %s is already set aside for its reserve", unit);
            goto out;
        }
        rc = keep_reserve(&c, u, detail, r, e);
    } else {
        if (!u->overruled) {
            rc = error_set(e, ERR_INVALID,
                           "unit: the questionnaire of %s already counts (or it has none set "
                           "aside): nothing to resolve",
                           unit);
            goto out;
        }
        rc = keep_original(&c, u, detail, r, e);
    }
out:
    free(detail);
    fctx_close(&c);
    return rc;
}
