/*
 * progress.c — the progress of a sample's fieldwork as figures (survey.h field_progress), for
 * the office's dashboard and the leaders' pages: per county, households due (selected) and
 * done (reached), not reached, replaced (a reserve reached instead, following the chain of
 * reserves as field_status does), with the response and replacement rates; per county and
 * team, the current questionnaires by review state (the two-level review of review.c).
 *
 * Invariant: the same counts as `pinggu field status` prints (fieldstat.c) — the response
 * query is that one's, summed over the county's strata; review states are each
 * questionnaire's last review move, a questionnaire without one being approved by the office
 * (loaded without review), as review_list reads them.
 */
#include "field_int.h"
#include "../plan/plan.h"

#include <string.h>

const char *const field_review_states[FIELD_REVIEW_STATES] = {
    "submitted", "rejected_by_leader", "approved_by_leader", "rejected_by_office",
    "approved_by_office"};

void field_progress_release(struct field_progress *p)
{
    mem_free(p->counties);
    mem_free(p->teams);
    memset(p, 0, sizeof *p);
}

static int grow(void **v, size_t n, size_t *cap, size_t size)
{
    void *nv;
    size_t nc;
    if (n < *cap) return 0;
    nc = *cap ? *cap * 2 : 16;
    nv = mem_realloc(*v, nc * size);
    if (!nv) return -1;
    *v = nv, *cap = nc;
    return 0;
}

int field_progress(struct store *s, const char *sample, struct field_progress *out,
                   struct error *e)
{
    struct plan p;
    int64_t srow;
    struct stmt *st = NULL;
    size_t capc = 0, capt = 0;
    int rc = sample_plan(s, sample, &p, NULL, 0, &srow, e);
    memset(out, 0, sizeof *out);
    if (rc) return rc;
    plan_release(&p);
    rc = store_prepare(
        s,
        "WITH RECURSIVE chain(origin, cur) AS ("
        " SELECT r.unit, r.replaced_by FROM replacements r WHERE r.sample = ?1 AND"
        "  r.replaced_by <> ''"
        " UNION SELECT c.origin, r.replaced_by FROM chain c JOIN replacements r ON r.sample = ?1"
        "  AND r.unit = c.cur WHERE r.replaced_by <> '')"
        "SELECT u.county, count(*),"
        " sum(EXISTS (SELECT 1 FROM questionnaires q WHERE q.sample = u.sample AND q.unit ="
        "  u.code AND q.status = 'complete')),"
        " sum(EXISTS (SELECT 1 FROM replacements r WHERE r.sample = u.sample AND r.unit = u.code)),"
        " sum(EXISTS (SELECT 1 FROM chain c JOIN questionnaires q ON q.sample = u.sample AND"
        "  q.unit = c.cur AND q.status = 'complete' WHERE c.origin = u.code))"
        " FROM sample_units u WHERE u.sample = ?1 AND u.stage = 'household' AND u.reserve = 0"
        " GROUP BY u.county ORDER BY u.county",
        &st, e);
    if (rc) goto fail;
    stmt_bind_int(st, 1, srow);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct field_county_progress *c;
        if (grow((void **)&out->counties, out->ncounties, &capc, sizeof *c)) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto fail;
        }
        c = &out->counties[out->ncounties++];
        memset(c, 0, sizeof *c);
        c->county = (int)stmt_int(st, 0);
        c->selected = stmt_int(st, 1);
        c->reached = stmt_int(st, 2);
        c->not_reached = stmt_int(st, 3);
        c->replaced = stmt_int(st, 4);
        c->response_rate = c->selected ? (double)c->reached / (double)c->selected : 0.0;
        c->replacement_rate = c->selected ? (double)c->replaced / (double)c->selected : 0.0;
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) goto fail;
    rc = store_prepare(s,
                       "SELECT q.county, q.team, coalesce(r.to_state, 'approved_by_office'),"
                       " count(*) FROM questionnaires q"
                       " LEFT JOIN questionnaire_reviews r ON r.row_no = (SELECT max(x.row_no) FROM"
                       "  questionnaire_reviews x WHERE x.questionnaire = q.row_no)"
                       " WHERE q.sample = ? AND q.status <> 'superseded'"
                       " GROUP BY q.county, q.team, 3 ORDER BY q.county, q.team",
                       &st, e);
    if (rc) goto fail;
    stmt_bind_int(st, 1, srow);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        int county = (int)stmt_int(st, 0), team = (int)stmt_int(st, 1);
        const char *state = stmt_text(st, 2);
        struct field_team_progress *t = out->nteams ? &out->teams[out->nteams - 1] : NULL;
        if (!t || t->county != county || t->team != team) {
            if (grow((void **)&out->teams, out->nteams, &capt, sizeof *t)) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto fail;
            }
            t = &out->teams[out->nteams++];
            memset(t, 0, sizeof *t);
            t->county = county, t->team = team;
        }
        t->questionnaires += stmt_int(st, 3);
        for (int k = 0; k < FIELD_REVIEW_STATES; k++)
            if (!strcmp(state, field_review_states[k])) t->state[k] += stmt_int(st, 3);
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) goto fail;
    return 0;
fail:
    stmt_finalize(st);
    field_progress_release(out);
    return rc;
}
