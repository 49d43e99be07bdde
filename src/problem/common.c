/*
 * common.c — what the problem stage's per-county records share (problem_int.h): the sample a
 * round is named by, "how many rows of this table for the sample and county", and the
 * change-log commit keyed "ROUND/COUNTY" with its JSON detail (discipline records, fieldwork
 * stops, recheck draws, synthesis versions).
 *
 * Invariant: problem_county_commit always consumes the audit writer (committed, or aborted on
 * an error), so a caller marks its writer closed before calling it.
 */
#include "problem_int.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int problem_round_sample(struct store *s, const char *round, int64_t *row, struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s, "SELECT row_no FROM samples WHERE name = ?", &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, round, strlen(round));
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) {
        *row = stmt_int(st, 0);
        rc = 0;
    } else if (rc == STORE_DONE) {
        rc = error_set(e, ERR_NOTFOUND, "no round '%s' (a round is named by its sample)", round);
    }
    stmt_finalize(st);
    return rc;
}

int problem_count_county(struct store *s, const char *sql, int64_t sample, int county,
                         int64_t *n, struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s, sql, &st, e);
    *n = 0;
    if (!rc) {
        stmt_bind_int(st, 1, sample);
        stmt_bind_int(st, 2, county);
        rc = stmt_step(st, e);
        if (rc == STORE_ROW) *n = stmt_int(st, 0), rc = 0;
        else if (rc == STORE_DONE) rc = 0;
    }
    stmt_finalize(st);
    return rc;
}

int problem_county_commit(struct audit_writer *w, const char *action, const char *round,
                          int county, struct error *e, const char *fmt, ...)
{
    char key[96], *detail = NULL;
    int rc;
    snprintf(key, sizeof key, "%s/%d", round, county);
    if (fmt) {
        va_list ap;
        json_t *d;
        va_start(ap, fmt);
        d = json_vpack_ex(NULL, 0, fmt, ap);
        va_end(ap);
        detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(d);
        if (!detail) {
            audit_writer_abort(w);
            return error_set(e, ERR_NOMEM, "out of memory");
        }
    }
    rc = audit_writer_commit(w, action, key, detail, e);
    free(detail);
    return rc;
}
