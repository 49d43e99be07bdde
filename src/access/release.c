/*
 * release.c — what a release freezes (access.h, DESIGN §10): a round's county figures and its
 * confirmed problems, as one JSON document whose SHA-256 is recorded with it.
 *
 * A release is what ends the home-city rule and opens the county-facing view, so it lives with
 * access. The snapshot holds no answers, recordings or evaluator identities, and no dismissed
 * problem (seed 002 八(三): 不得泄露入户调查、项目核查和座谈访谈资料): only the figures and, per
 * problem, its county, state, deadline and rectification. Keys are sorted, so the same store
 * gives the same bytes and the same hash.
 *
 * Only office-approved questionnaires enter a release (DESIGN §10: "Only office-approved
 * questionnaires enter a release; provisional figures use every questionnaire not rejected"):
 * the figures count every questionnaire not rejected, so a release is refused while any of
 * them is still submitted or approved by the leader only — the office finishes the review
 * first (pinggu field review --all-in). Rejected questionnaires (at either level) and
 * duplicates held for the leader count in no figure, so they do not hold a release back; the
 * refusal names how many of each there are. The counts are taken again after the figures,
 * and a change in between (a questionnaire arriving) refuses the release too.
 */
#include "access.h"
#include "../estimate/estimate.h"
#include "../problem/problem.h"
#include "../survey/survey.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *figures(struct store *s, const char *round)
{
    struct estimates x;
    struct error e;
    char *text = NULL;
    size_t len = 0;
    FILE *f;
    json_t *j = NULL;
    memset(&x, 0, sizeof x);
    if (estimate_sample(s, round, "county", &x, &e))
        return json_pack("{s:s}", "unavailable", e.msg);
    f = open_memstream(&text, &len);
    if (f) {
        estimates_print(&x, 1, f);
        fclose(f);
        j = json_loadb(text, len, 0, NULL);
        free(text);
    }
    estimates_release(&x);
    return j ? j : json_pack("{s:s}", "unavailable", "the figures could not be printed");
}

/* 0 if every questionnaire of the round that counts in the figures is approved by the office
 * (c gets the counts), else ERR_INVALID saying how many wait in which state. */
static int all_approved(struct store *s, const char *round, struct review_counts *c,
                        struct error *e)
{
    int rc = review_count(s, round, c, e);
    if (rc) return rc;
    if (c->submitted || c->approved_by_leader)
        return error_set(e, ERR_INVALID,
                         "round '%s' cannot be released: only office-approved questionnaires "
                         "enter a release, and %lld submitted and %lld approved by the leader "
                         "only wait for the office (pinggu field review --all-in STATE); %lld "
                         "rejected and %lld held duplicates count in no figure / "
                         "尚有问卷未经省办审核通过，不能发布",
                         round, c->submitted, c->approved_by_leader,
                         c->rejected_by_leader + c->rejected_by_office, c->duplicates);
    return 0;
}

int access_release_snapshot(struct store *s, const char *round, char **out, struct error *e)
{
    struct review_counts before, after;
    struct problem_progress *p = NULL;
    size_t n = 0;
    json_t *probs, *doc;
    char *text;
    int rc = access_round_exists(s, round, e);
    if (!rc) rc = all_approved(s, round, &before, e);
    if (!rc) rc = problem_progress_list(s, round, 0, &p, &n, e);
    if (rc) return rc;
    probs = json_array();
    for (size_t i = 0; i < n; i++) {
        if (p[i].state < PS_CONFIRMED || p[i].state == PS_DISMISSED) continue;
        json_t *o = json_pack("{s:I, s:i, s:s, s:s}", "id", (json_int_t)p[i].id, "county",
                              p[i].county, "state", problem_state_name(p[i].state), "state_zh",
                              problem_state_label(p[i].state));
        if (p[i].deadline) json_object_set_new(o, "deadline", json_integer(p[i].deadline));
        if (p[i].measures && *p[i].measures)
            json_object_set_new(o, "measures", json_string(p[i].measures));
        if (p[i].result && *p[i].result) json_object_set_new(o, "result", json_string(p[i].result));
        json_array_append_new(probs, o);
    }
    problem_progress_free(p, n);
    doc = json_pack("{s:s, s:o, s:o}", "round", round, "figures", figures(s, round),
                    "confirmed_problems", probs);
    rc = all_approved(s, round, &after, e);
    if (!rc && memcmp(&before, &after, sizeof before))
        rc = error_set(e, ERR_INVALID, "round '%s': questionnaires arrived while the release was "
                                       "made; release again / 发布期间有新问卷，请重新发布",
                       round);
    if (rc) {
        json_decref(doc);
        return rc;
    }
    text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(doc);
    if (!text) return error_set(e, ERR_NOMEM, "out of memory");
    *out = mem_strdup(text);
    free(text);
    return *out ? 0 : error_set(e, ERR_NOMEM, "out of memory");
}
