/*
 * problem_int.h — private to src/problem/: the one way this stage writes a `problems` row
 * (problems.c for an evaluator's finding, raise.c for comparison flags), so both fill the same
 * columns in the same order.
 */
#ifndef PINGGU_PROBLEM_INT_H
#define PINGGU_PROBLEM_INT_H

#include "problem.h"

#include <string.h>

/* The columns of a problems row, for audit_writer_begin (row_no first, log_id last: store.h). */
#define PROBLEM_COLUMNS                                                                         \
    "sample, county, township, village, unit, kind, rule, description, source, status,"        \
    " found_by, found_on"

/* One problems row as the stage writes it; strings borrowed for the call. */
struct problem_row {
    int64_t sample;
    int county;
    int64_t village; /* 0 if none; its township is village / 1000 */
    const char *unit, *kind, *rule, *description, *source, *status, *found_by, *found_on;
};

/* Binds r into w (begun with PROBLEM_COLUMNS) and writes it: audit_writer_row's result. */
static inline int problem_row_write(struct audit_writer *w, const struct problem_row *r,
                                    struct error *e)
{
    const char *t[8] = {r->unit,   r->kind,   r->rule,     r->description,
                        r->source, r->status, r->found_by, r->found_on};
    w->v[1] = rv_int(r->sample);
    w->v[2] = rv_int(r->county);
    w->v[3] = rv_int(r->village / 1000);
    w->v[4] = rv_int(r->village);
    for (int i = 0; i < 8; i++) w->v[5 + i] = rv_text(t[i] ? t[i] : "", t[i] ? strlen(t[i]) : 0);
    return audit_writer_row(w, e);
}

/* The row of the sample a round is named by: 0 and *row, or ERR_NOTFOUND ("no round 'R'").
 * (common.c) */
int problem_round_sample(struct store *s, const char *round, int64_t *row, struct error *e);
/* Runs sql, a "SELECT count(*) ... WHERE sample = ? AND county = ?", into *n. (common.c) */
int problem_count_county(struct store *s, const char *sql, int64_t sample, int county,
                         int64_t *n, struct error *e);
/* Commits the audit writer w as action with the key "ROUND/COUNTY" and, when fmt is not NULL,
 * the detail json_pack(fmt, ...) as compact JSON with sorted keys. Always consumes w (aborted
 * on an error). 0 or the error. (common.c) */
int problem_county_commit(struct audit_writer *w, const char *action, const char *round,
                          int county, struct error *e, const char *fmt, ...);

#endif
