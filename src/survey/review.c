/*
 * review.c — the two-level review of questionnaires (DESIGN §10, issue 12), as Survey
 * Solutions runs it: the evaluator submits, the team leader approves or rejects (back to the
 * evaluator, with a comment per question), the provincial office approves or rejects (back to
 * the team leader). The rule is the table `moves` below and nothing else; `pinggu field review`
 * and the server only call review_move.
 *
 * Storage: questionnaire_reviews (schema v11), one row per move, appended, never updated; a
 * questionnaire's state is its last move's to_state. A questionnaire without any move was
 * loaded by `field import` or `field simulate` without --review: it is approved by the office
 * user who imported it (the import's change-log entry names them) — review_state reports it
 * as approved_by_office with that actor.
 * Counting (DESIGN §10: provisional figures use every questionnaire not rejected): while a
 * questionnaire is rejected its status is 'rejected', so every estimator, which reads only
 * status 'complete' (and the response rate 'nonresponse'), leaves it out; the status it had is
 * kept in the move and given back when the leader approves it again. A correction arrives as a
 * new version (field import of the unit, or a submission with deprecatedID), which replaces the
 * row and starts again at submitted; the old version's moves stay as its history.
 * Invariants: every move is one change-log entry (audit_writer) with the acting user; a refused
 * move writes nothing and names the legal moves.
 */
#include "survey.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *from, *to, *who; /* who: the role that may make the move */
    int needs_comment;           /* a rejection says why, per question or as a note */
} moves[] = {
    {"submitted", "approved_by_leader", "leader", 0},
    {"submitted", "rejected_by_leader", "leader", 1},
    {"approved_by_leader", "approved_by_office", "office", 0},
    {"approved_by_leader", "rejected_by_office", "office", 1},
    {"rejected_by_office", "approved_by_leader", "leader", 0},
    {"rejected_by_office", "rejected_by_leader", "leader", 1},
};
#define NMOVES (sizeof moves / sizeof moves[0])

void review_print_moves(FILE *f)
{
    fprintf(f, "%-20s %-20s %-7s %s\n", "from", "to", "who", "needs");
    for (size_t i = 0; i < NMOVES; i++)
        fprintf(f, "%-20s %-20s %-7s %s\n", moves[i].from, moves[i].to, moves[i].who,
                moves[i].needs_comment ? "a comment (per question, or a note)" : "-");
    fprintf(f, "%-20s %-20s %-7s %s\n", "rejected_by_leader", "submitted", "pair",
            "a new version of the questionnaire (field import, or a submission with deprecatedID)");
}

/* The questionnaire of (sample, unit[, form]) under review: its row, form, status. */
static int find_q(struct store *s, const char *sample, const char *unit, const char *form,
                  int64_t *srow, int64_t *qrow, char qform[64], char status[32], struct error *e)
{
    struct stmt *st = NULL;
    int rc, n = 0;
    rc = store_prepare(s, "SELECT row_no FROM samples WHERE name = ?", &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, sample, strlen(sample));
    rc = stmt_step(st, e);
    *srow = rc == STORE_ROW ? stmt_int(st, 0) : 0;
    stmt_finalize(st);
    if (rc < 0) return rc;
    if (!*srow) return error_set(e, ERR_NOTFOUND, "no sample named %s", sample);
    rc = store_prepare(s,
                       "SELECT row_no, form, status FROM questionnaires WHERE sample = ? AND"
                       " unit = ? AND (?3 IS NULL OR form = ?3) AND status <> 'superseded'"
                       " ORDER BY row_no",
                       &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, *srow);
    stmt_bind_text(st, 2, unit, strlen(unit));
    if (form) stmt_bind_text(st, 3, form, strlen(form));
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        n++;
        *qrow = stmt_int(st, 0);
        snprintf(qform, 64, "%s", stmt_text(st, 1));
        snprintf(status, 32, "%s", stmt_text(st, 2));
    }
    stmt_finalize(st);
    if (rc < 0) return rc;
    if (!n)
        return error_set(e, ERR_NOTFOUND, "sample %s has no questionnaire for unit %s%s%s", sample,
                         unit, form ? " of form " : "", form ? form : "");
    if (n > 1)
        return error_set(e, ERR_INVALID,
                         "unit %s has questionnaires of several forms: name one with --form",
                         unit);
    return 0;
}

/* The last move of questionnaire q: its to_state and the status it had before a rejection. */
static int last_move(struct store *s, int64_t q, char state[32], char before[32],
                     struct error *e)
{
    struct stmt *st;
    int rc = store_prepare(s,
                           "SELECT to_state, status_before FROM questionnaire_reviews WHERE"
                           " questionnaire = ? ORDER BY row_no DESC LIMIT 1",
                           &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, q);
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) {
        snprintf(state, 32, "%s", stmt_text(st, 0));
        snprintf(before, 32, "%s", stmt_text(st, 1));
    } else {
        snprintf(state, 32, "approved_by_office"); /* loaded by the office without --review */
        before[0] = 0;
    }
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

static int valid_question_name(const char *s, size_t n)
{
    if (!n || n > 64) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i && ((c >= '0' && c <= '9') || c == '.' || c == '-'))))
            return 0;
    }
    return 1;
}

/* review_move inside the caller's transaction. */
static int move_tx(struct store *s, const struct review_req *r, struct strbuf *legal,
                   struct error *e)
{
    int64_t srow = 0, q = 0;
    char form[64], status[32], state[32], before[32], day[32];
    const char *new_status = NULL;
    json_t *comments = NULL, *detail = NULL;
    char *ctext = NULL, *dtext = NULL;
    struct audit_writer w;
    int rc, found = -1;
    size_t i;
    if ((rc = find_q(s, r->sample, r->unit, r->form, &srow, &q, form, status, e))) return rc;
    if ((rc = last_move(s, q, state, before, e))) return rc;
    for (i = 0; i < NMOVES; i++)
        if (!strcmp(moves[i].from, state) && !strcmp(moves[i].to, r->to)) found = (int)i;
    if (found < 0 || strcmp(moves[found].who, r->role)) {
        int any = 0;
        for (i = 0; i < NMOVES; i++)
            if (!strcmp(moves[i].from, state)) {
                sb_addf(legal, "%s%s (%s)", any++ ? ", " : "", moves[i].to, moves[i].who);
            }
        if (!any)
            sb_adds(legal, !strcmp(state, "rejected_by_leader")
                               ? "none: the pair sends a corrected version"
                               : "none: an office-approved questionnaire changes only by a new "
                                 "version");
        return error_set(e, ERR_INVALID,
                         found < 0 ? "questionnaire %s of unit %s is %s: it cannot become %s "
                                     "(legal: %s)"
                                   : "questionnaire %s of unit %s is %s: the move to %s is the "
                                     "%s's (legal: %s)",
                         form, r->unit, state, r->to,
                         found < 0 ? legal->buf : moves[found].who, legal->buf);
    }
    /* comments: QUESTION=TEXT each */
    comments = json_object();
    if (!comments) return error_set(e, ERR_NOMEM, "out of memory");
    for (i = 0; i < r->ncomments; i++) {
        const char *c = r->comments[i], *eq = strchr(c, '=');
        if (!eq || !valid_question_name(c, (size_t)(eq - c)) || !eq[1]) {
            rc = error_set(e, ERR_INVALID, "comment '%s': write QUESTION=TEXT", c);
            goto out;
        }
        {
            char name[65];
            snprintf(name, sizeof name, "%.*s", (int)(eq - c), c);
            json_object_set_new(comments, name, json_string(eq + 1));
        }
    }
    if (moves[found].needs_comment && !r->ncomments && !(r->note && *r->note)) {
        rc = error_set(e, ERR_INVALID, "a rejection says why: --comment QUESTION=TEXT or --note");
        goto out;
    }
    if (!strncmp(r->to, "rejected", 8)) new_status = "rejected";
    else if (!strcmp(status, "rejected")) new_status = *before ? before : "complete";
    ctext = json_dumps(comments, JSON_COMPACT | JSON_SORT_KEYS);
    detail = json_pack("{s:s, s:s, s:s, s:s, s:s}", "sample", r->sample, "unit", r->unit, "form",
                       form, "from", state, "to", r->to);
    dtext = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    if (!ctext || !dtext) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    clock_iso_utc(day);
    rc = audit_writer_begin(&w, s, "questionnaire_reviews",
                            "questionnaire, sample, unit, form, from_state, to_state, actor, role,"
                            " at, note, comments, status_before",
                            e);
    if (!rc) {
        w.v[1] = rv_int(q);
        w.v[2] = rv_int(srow);
        w.v[3] = rv_text(r->unit, strlen(r->unit));
        w.v[4] = rv_text(form, strlen(form));
        w.v[5] = rv_text(state, strlen(state));
        w.v[6] = rv_text(r->to, strlen(r->to));
        w.v[7] = rv_text(r->actor, strlen(r->actor));
        w.v[8] = rv_text(r->role, strlen(r->role));
        w.v[9] = rv_text(day, strlen(day));
        w.v[10] = rv_text(r->note ? r->note : "", r->note ? strlen(r->note) : 0);
        w.v[11] = rv_text(ctext, strlen(ctext));
        w.v[12] = rv_text(status, strlen(status));
        rc = audit_writer_row(&w, e);
        if (!rc) rc = audit_writer_commit(&w, "field review", r->unit, dtext, e);
        else audit_writer_abort(&w);
    }
    if (!rc && new_status && strcmp(new_status, status)) {
        struct strbuf set = STRBUF_INIT, where = STRBUF_INIT;
        sb_adds(&set, "status = ");
        sql_quote(&set, new_status);
        sb_addf(&where, "row_no = %lld", (long long)q);
        rc = sb_ok(&set) || sb_ok(&where)
                 ? error_set(e, ERR_NOMEM, "out of memory")
                 : audit_update_where(s, "questionnaires", set.buf, where.buf, "field review",
                                      r->unit, dtext, NULL, e);
        sb_release(&set);
        sb_release(&where);
    }
out:
    free(ctext);
    free(dtext);
    json_decref(comments);
    json_decref(detail);
    return rc;
}

int review_move(struct store *s, const struct review_req *r, struct strbuf *legal,
                struct error *e)
{
    int rc = store_begin(s, e);
    if (rc) return rc;
    rc = move_tx(s, r, legal, e);
    if (!rc) rc = store_commit(s, e);
    else store_rollback(s);
    return rc;
}

int review_move_all(struct store *s, const struct review_req *r, const char *from,
                    long long *n, struct error *e)
{
    struct stmt *st = NULL;
    struct strbuf units = STRBUF_INIT, legal = STRBUF_INIT;
    size_t count = 0;
    int rc;
    *n = 0;
    if ((rc = store_begin(s, e))) return rc;
    /* the questionnaires in force whose last move reached `from` (loaded by the office: none
     * is submitted, so `from` = approved_by_office finds nothing to move) */
    rc = store_prepare(s,
                       "SELECT q.unit, q.form FROM questionnaires q JOIN samples sm ON sm.row_no ="
                       " q.sample JOIN questionnaire_reviews r ON r.row_no = (SELECT max(x.row_no)"
                       " FROM questionnaire_reviews x WHERE x.questionnaire = q.row_no)"
                       " WHERE sm.name = ? AND q.status <> 'superseded' AND r.to_state = ?"
                       " ORDER BY q.unit, q.form",
                       &st, e);
    if (!rc) {
        stmt_bind_text(st, 1, r->sample, strlen(r->sample));
        stmt_bind_text(st, 2, from, strlen(from));
        while ((rc = stmt_step(st, e)) == STORE_ROW) { /* unit NUL form NUL, each */
            sb_add(&units, stmt_text(st, 0), strlen(stmt_text(st, 0)) + 1);
            sb_add(&units, stmt_text(st, 1), strlen(stmt_text(st, 1)) + 1);
            count++;
        }
        stmt_finalize(st);
        if (rc == STORE_DONE) rc = sb_ok(&units) ? error_set(e, ERR_NOMEM, "out of memory") : 0;
    }
    for (size_t i = 0, off = 0; !rc && i < count; i++) {
        struct review_req one = *r;
        one.unit = units.buf + off;
        off += strlen(one.unit) + 1;
        one.form = units.buf + off;
        off += strlen(one.form) + 1;
        sb_reset(&legal);
        rc = move_tx(s, &one, &legal, e);
    }
    if (!rc) rc = store_commit(s, e);
    else store_rollback(s);
    if (!rc) *n = (long long)count;
    sb_release(&units);
    sb_release(&legal);
    return rc;
}

int review_answers(struct store *s, const char *sample, const char *unit, const struct form *f,
                   const char *unmasked_by, json_t **out, struct error *e)
{
    int64_t srow = 0, q = 0;
    char form[64], status[32];
    struct stmt *st = NULL;
    json_t *a = NULL;
    int rc;
    *out = NULL;
    if ((rc = find_q(s, sample, unit, f->id, &srow, &q, form, status, e))) return rc;
    if (unmasked_by) { /* DESIGN §3: a read of unmasked personal answers is logged first */
        json_t *d = json_pack("{s:b, s:s, s:s, s:s}", "unmasked", 1, "sample", sample, "form",
                              form, "via", unmasked_by);
        char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
        json_decref(d);
        if (!text) return error_set(e, ERR_NOMEM, "out of memory");
        rc = store_begin(s, e);
        if (!rc) rc = audit_note(s, "answers read", "questionnaires", unit, text, e);
        if (!rc) rc = store_commit(s, e);
        else if (store_in_transaction(s)) store_rollback(s);
        free(text);
        if (rc) return rc;
    }
    rc = store_prepare(s, "SELECT name, instance, value FROM answers WHERE questionnaire = ? "
                          "ORDER BY instance, row_no",
                       &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, q);
    a = json_array();
    while (a && (rc = stmt_step(st, e)) == STORE_ROW) {
        const char *name = stmt_text(st, 0), *value = stmt_text(st, 2);
        int k = form_find(f, name);
        const struct form_row *row = k >= 0 ? &f->rows[k] : NULL;
        int personal = row && row->personal;
        struct strbuf masked = STRBUF_INIT;
        if (personal && !unmasked_by) mask_name(&masked, value);
        json_t *o = json_pack("{s:s, s:I, s:s?, s:s?, s:s, s:b}", "name", name, "instance",
                         (json_int_t)stmt_int(st, 1), "label_zh", row ? row->zh : NULL,
                         "label_en", row ? row->en : NULL, "value",
                         personal && !unmasked_by ? (masked.buf ? masked.buf : "") : value,
                         "personal", personal);
        if (!o || json_array_append_new(a, o)) {
            sb_release(&masked);
            rc = error_set(e, ERR_NOMEM, "out of memory");
            break;
        }
        sb_release(&masked);
    }
    stmt_finalize(st);
    if (!a) return error_set(e, ERR_NOMEM, "out of memory");
    if (rc < 0) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return 0;
}

int review_submit_rows(struct store *s, int64_t sample, const int64_t *rows, size_t n,
                       const char *action, const char *key, struct error *e)
{
    struct audit_writer w;
    struct stmt *st = NULL;
    char day[32];
    const char *actor = store_actor(s); /* the server's request user, else the process's */
    int rc;
    if (!n) return 0;
    clock_iso_utc(day);
    rc = store_prepare(s, "SELECT unit, form, status FROM questionnaires WHERE row_no = ?", &st, e);
    if (rc) return rc;
    rc = audit_writer_begin(&w, s, "questionnaire_reviews",
                            "questionnaire, sample, unit, form, from_state, to_state, actor, role,"
                            " at, note, comments, status_before",
                            e);
    for (size_t i = 0; i < n && !rc; i++) {
        stmt_reset(st);
        stmt_bind_int(st, 1, rows[i]);
        rc = stmt_step(st, e);
        if (rc != STORE_ROW) {
            rc = rc < 0 ? rc : error_set(e, ERR_NOTFOUND, "questionnaire %lld vanished", (long long)rows[i]);
            break;
        }
        w.v[1] = rv_int(rows[i]);
        w.v[2] = rv_int(sample);
        w.v[3] = rv_text(stmt_text(st, 0), strlen(stmt_text(st, 0)));
        w.v[4] = rv_text(stmt_text(st, 1), strlen(stmt_text(st, 1)));
        w.v[5] = rv_text("", 0);
        w.v[6] = rv_text("submitted", 9);
        w.v[7] = rv_text(actor, strlen(actor));
        w.v[8] = rv_text("pair", 4);
        w.v[9] = rv_text(day, strlen(day));
        w.v[10] = rv_text("", 0);
        w.v[11] = rv_text("{}", 2);
        w.v[12] = rv_text(stmt_text(st, 2), strlen(stmt_text(st, 2)));
        rc = audit_writer_row(&w, e);
    }
    stmt_finalize(st);
    if (!rc) return audit_writer_commit(&w, action, key, NULL, e);
    audit_writer_abort(&w);
    return rc;
}

/* review_list's walk; with f NULL (and counts_only) it only counts, into *out when not NULL. */
static int review_walk(struct store *s, const char *sample, const char *state, int json,
                       int counts_only, FILE *f, struct review_counts *out, struct error *e)
{
    struct stmt *st = NULL;
    json_t *arr = json ? json_array() : NULL;
    int rc, n = 0;
    long long counts[6] = {0};
    static const char *const states[6] = {"submitted",          "approved_by_leader",
                                          "rejected_by_leader", "approved_by_office",
                                          "rejected_by_office", "(office import)"};
    rc = store_prepare(
        s,
        "SELECT q.unit, q.form, q.pair, q.status,"
        " coalesce(r.to_state, 'approved_by_office'), coalesce(r.actor, (SELECT l.actor FROM"
        " audit_log l WHERE l.seq = q.log_id)), coalesce(r.role, 'office'), coalesce(r.at, ''),"
        " coalesce(r.comments, '{}'), coalesce(r.note, ''), r.row_no IS NULL"
        " FROM questionnaires q JOIN samples sm ON sm.row_no = q.sample"
        " LEFT JOIN questionnaire_reviews r ON r.row_no = (SELECT max(x.row_no) FROM"
        "  questionnaire_reviews x WHERE x.questionnaire = q.row_no)"
        " WHERE sm.name = ? AND q.status <> 'superseded' ORDER BY q.unit, q.form",
        &st, e);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    stmt_bind_text(st, 1, sample, strlen(sample));
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        const char *to = stmt_text(st, 4);
        int k;
        for (k = 0; k < 5 && strcmp(states[k], to); k++) {}
        if (k == 3 && stmt_int(st, 10)) k = 5;
        counts[k]++;
        if (counts_only || (state && strcmp(state, to))) continue;
        n++;
        if (json) {
            json_error_t jerr;
            json_t *c = json_loads(stmt_text(st, 8), 0, &jerr);
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s}", "unit",
                               stmt_text(st, 0), "form", stmt_text(st, 1), "pair", stmt_text(st, 2),
                               "status", stmt_text(st, 3), "review", to, "by", stmt_text(st, 5),
                               "role", stmt_text(st, 6), "at", stmt_text(st, 7), "comments",
                               c ? c : json_object(), "note", stmt_text(st, 9)));
        } else {
            fprintf(f, "%-24s %-22s %-20s %s %s %s %s%s%s\n", stmt_text(st, 0), stmt_text(st, 1),
                    to, stmt_text(st, 6), stmt_text(st, 5), stmt_text(st, 7), stmt_text(st, 8),
                    *stmt_text(st, 9) ? " — " : "", stmt_text(st, 9));
        }
    }
    stmt_finalize(st);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    /* duplicates held for the leader (OpenRosa, instance.c): a review state of their own */
    {
        long long ndup = 0;
        rc = store_prepare(s, "SELECT unit, form, user, at, instance_id FROM xform_instances WHERE "
                              "sample = ? AND held = 'duplicate' ORDER BY unit, form, row_no",
                           &st, e);
        if (rc) {
            json_decref(arr);
            return rc;
        }
        stmt_bind_text(st, 1, sample, strlen(sample));
        while ((rc = stmt_step(st, e)) == STORE_ROW) {
            ndup++;
            if (counts_only || (state && strcmp(state, "duplicate"))) continue;
            if (json)
                json_array_append_new(
                    arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{}, s:s}", "unit",
                                   stmt_text(st, 0), "form", stmt_text(st, 1), "pair",
                                   stmt_text(st, 2), "status", "duplicate", "review", "duplicate",
                                   "by", stmt_text(st, 2), "role", "evaluator", "at",
                                   stmt_text(st, 3), "comments", "instance", stmt_text(st, 4)));
            else
                fprintf(f, "%-24s %-22s %-20s %s %s %s instance %s\n", stmt_text(st, 0),
                        stmt_text(st, 1), "duplicate", "evaluator", stmt_text(st, 2),
                        stmt_text(st, 3), stmt_text(st, 4));
        }
        stmt_finalize(st);
        if (rc < 0) {
            json_decref(arr);
            return rc;
        }
        if (out) out->duplicates = ndup;
        if (!json && ndup && f)
            fprintf(f, "重复问卷待组长决定 / duplicates held for the leader: %lld (pinggu field "
                       "review --keep|--discard INSTANCE)\n",
                    ndup);
    }
    if (json) {
        char *t = json_dumps(arr, JSON_INDENT(1));
        if (t) fprintf(f, "%s\n", t);
        free(t);
        json_decref(arr);
        return 0;
    }
    if (out) {
        out->submitted = counts[0], out->approved_by_leader = counts[1];
        out->rejected_by_leader = counts[2], out->approved_by_office = counts[3] + counts[5];
        out->rejected_by_office = counts[4];
    }
    if (!f) return 0;
    fprintf(f, "审核 / review: %lld submitted 待审核, %lld approved by the leader 组长通过, %lld "
               "rejected by the leader 组长退回, %lld approved by the office 省办通过 (+%lld loaded by "
               "the office), %lld rejected by the office 省办退回\n",
            counts[0], counts[1], counts[2], counts[3], counts[5], counts[4]);
    (void)n;
    return 0;
}

int review_list(struct store *s, const char *sample, const char *state, int json,
                int counts_only, FILE *f, struct error *e)
{
    return review_walk(s, sample, state, json, counts_only, f, NULL, e);
}

int review_count(struct store *s, const char *sample, struct review_counts *out, struct error *e)
{
    memset(out, 0, sizeof *out);
    return review_walk(s, sample, NULL, 0, 1, NULL, out, e);
}
