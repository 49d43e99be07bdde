/*
 * dayplan.c — the leader's day plan (survey.h dayplan_*; issue 13: "the team's assignments per
 * pair and day"): which pair of evaluators visits which sampled unit on which day.
 *
 * Invariants: rows are only appended (day_assignments, schema v14), each with its change-log
 * entry in one transaction; a unit's latest row is the one in force, the earlier ones stay as
 * its history. Only units of the round's sample are planned, and a reserve only once a
 * recorded non-response has activated it (before that it is nobody's to visit: DESIGN §7).
 */
#include "survey.h"

#include <ctype.h>
#include <string.h>

static int name_char(int ch)
{
    return isalnum(ch) || ch == '.' || ch == '_' || ch == '-';
}

/* The pair normalised to "a" or "a b" into out; ERR_INVALID if malformed. */
static int pair_norm(const char *pair, char *out, size_t n, struct error *e)
{
    size_t k = 0, names = 0;
    const char *p = pair ? pair : "";
    out[0] = '\0';
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        if (!name_char((unsigned char)*p) || ++names > 2) goto bad;
        if (k) {
            if (k + 1 >= n) goto bad;
            out[k++] = ' ';
        }
        for (; *p && name_char((unsigned char)*p); p++) {
            if (k + 1 >= n) goto bad;
            out[k++] = *p;
        }
        if (*p && *p != ' ' && *p != ',') goto bad;
    }
    out[k] = '\0';
    if (!names) goto bad;
    return 0;
bad:
    return error_set(e, ERR_INVALID,
                     "the pair is one or two user names (letters, digits, '.', '_', '-'), "
                     "separated by a space or a comma: '%s'",
                     pair ? pair : "");
}

int dayplan_in_pair(const struct day_assignment *a, const char *name)
{
    size_t n = strlen(name);
    const char *p = a->pair;
    while (*p) {
        if (!strncmp(p, name, n) && (p[n] == ' ' || p[n] == '\0')) return 1;
        p = strchr(p, ' ');
        if (!p) break;
        p++;
    }
    return 0;
}

int dayplan_set(struct store *s, const char *round, const char *unit, int day, const char *pair,
                const char *actor, int *county, struct error *e)
{
    struct stmt *q = NULL;
    struct audit_writer w;
    char norm[160], dstr[16], key[200];
    int64_t sample = 0;
    int rc, cty = 0, reserve = 0, activated = 0, w_open = 0, y, m, d;
    if ((rc = pair_norm(pair, norm, sizeof norm, e))) return rc;
    y = day / 10000, m = day / 100 % 100, d = day % 100;
    snprintf(dstr, sizeof dstr, "%04d-%02d-%02d", y, m, d);
    if (day <= 0 || parse_date(dstr, &y) || y != day)
        return error_set(e, ERR_INVALID, "the day is a date YYYY-MM-DD");
    if (!unit || !*unit) return error_set(e, ERR_INVALID, "the unit is required");
    rc = store_prepare(s,
                       "SELECT sa.row_no, coalesce(u.county, -1), coalesce(u.reserve, 0), EXISTS (SELECT 1 FROM replacements r"
                       " WHERE r.sample = u.sample AND r.replaced_by = u.code) FROM samples sa"
                       " LEFT JOIN sample_units u ON u.sample = sa.row_no AND u.code = ?2"
                       " WHERE sa.name = ?1 LIMIT 1",
                       &q, e);
    if (rc) return rc;
    stmt_bind_text(q, 1, round, strlen(round));
    stmt_bind_text(q, 2, unit, strlen(unit));
    rc = stmt_step(q, e);
    if (rc == STORE_DONE) rc = error_set(e, ERR_NOTFOUND, "no round (sample) named '%s'", round);
    else if (rc == STORE_ROW) {
        sample = stmt_int(q, 0);
        if (stmt_int(q, 1) < 0) rc = error_set(e, ERR_NOTFOUND, "round %s has no unit %s", round, unit);
        else {
            cty = (int)stmt_int(q, 1), reserve = (int)stmt_int(q, 2), activated = (int)stmt_int(q, 3);
            rc = 0;
        }
    }
    stmt_finalize(q);
    if (rc) return rc;
    if (reserve && !activated)
        return error_set(e, ERR_INVALID,
                         "%s is a reserve not activated by a recorded non-response: nobody visits "
                         "it yet",
                         unit);
    rc = store_begin(s, e);
    if (rc) return rc;
    rc = audit_writer_begin(&w, s, "day_assignments", "sample, unit, county, day, pair, set_by", e);
    if (rc) goto out;
    w_open = 1;
    w.v[1] = rv_int(sample);
    w.v[2] = rv_text(unit, strlen(unit));
    w.v[3] = rv_int(cty);
    w.v[4] = rv_text(dstr, strlen(dstr));
    w.v[5] = rv_text(norm, strlen(norm));
    w.v[6] = rv_text(actor, strlen(actor));
    rc = audit_writer_row(&w, e);
    if (rc) goto out;
    snprintf(key, sizeof key, "%s %s", round, unit);
    rc = audit_writer_commit(&w, "day plan", key, NULL, e);
    w_open = 0;
    if (!rc) rc = store_commit(s, e);
out:
    if (w_open) audit_writer_abort(&w);
    if (rc && store_in_transaction(s)) store_rollback(s);
    if (!rc && county) *county = cty;
    return rc;
}

int dayplan_list(struct store *s, const char *round, struct day_assignment **out, size_t *n,
                 struct error *e)
{
    struct stmt *q = NULL;
    size_t cap = 0;
    int rc;
    *out = NULL, *n = 0;
    if (store_schema_version(s) < 14) return 0;
    rc = store_prepare(s,
                       "SELECT d.unit, d.county, d.day, d.pair, d.set_by FROM day_assignments d"
                       " JOIN samples sa ON sa.row_no = d.sample WHERE sa.name = ? AND d.row_no ="
                       " (SELECT max(x.row_no) FROM day_assignments x WHERE x.sample = d.sample"
                       " AND x.unit = d.unit) ORDER BY d.day, d.unit",
                       &q, e);
    if (rc) return rc;
    stmt_bind_text(q, 1, round, strlen(round));
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        struct day_assignment *a;
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct day_assignment *na = mem_realloc(*out, nc * sizeof *na);
            if (!na) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            *out = na, cap = nc;
        }
        a = &(*out)[(*n)++];
        memset(a, 0, sizeof *a);
        snprintf(a->unit, sizeof a->unit, "%s", stmt_text(q, 0));
        a->county = (int)stmt_int(q, 1);
        if (parse_date(stmt_text(q, 2), &a->day)) a->day = 0;
        snprintf(a->pair, sizeof a->pair, "%s", stmt_text(q, 3));
        snprintf(a->set_by, sizeof a->set_by, "%s", stmt_text(q, 4));
    }
    stmt_finalize(q);
    if (rc < 0) {
        mem_free(*out);
        *out = NULL, *n = 0;
        return rc;
    }
    return 0;
}
