/*
 * fieldstat.c — response rates and field quality of a sample's fieldwork (survey.h
 * field_status).
 *
 * Response: per county and quota stratum, the units originally selected, how many were
 * reached, how many were not (by reason), how many of those a reserve replaced — following
 * the chain of reserves (a reserve not reached either hands over to the next) — and the
 * response rate = reached / selected. Superseded questionnaires (withdrawn reserves) count
 * nowhere and are reported as a total. Census and village-group households count in their own
 * lines.
 *
 * Field quality, per team: interviews of implausible duration (stored as warnings at import),
 * interviews whose GPS lies more than FIELD_MAX_KM from the median position of the village's
 * other interviews (the registry has no village coordinates; the median of a village's
 * interviews is robust to the few that are far), and questionnaires without evidence
 * (seed 002 asks for photos and recordings to be uploaded every day).
 */
#include "field_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct pos {
    int64_t village, row;
    int team;
    double lat, lon;
};

static int cmp_village(const void *a, const void *b)
{
    const struct pos *x = a, *y = b;
    return (x->village > y->village) - (x->village < y->village);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double km(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371.0, rad = 3.14159265358979323846 / 180;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * asin(sqrt(a < 1 ? a : 1));
}

struct teamq {
    int team;
    int64_t interviews, duration, far, no_evidence;
};

/* The tally of this team in *t (n of them, room for *cap; grown here, the caller frees it), a
 * new zeroed one the first time; NULL when out of memory. A round has tens of teams, so a
 * linear search. */
static struct teamq *team_slot(struct teamq **t, size_t *n, size_t *cap, int team)
{
    for (size_t i = 0; i < *n; i++)
        if ((*t)[i].team == team) return &(*t)[i];
    if (*n == *cap) {
        size_t c2 = *cap ? *cap * 2 : 16;
        struct teamq *g = mem_realloc(*t, c2 * sizeof *g);
        if (!g) return NULL;
        *t = g, *cap = c2;
    }
    memset(&(*t)[*n], 0, sizeof **t);
    (*t)[*n].team = team;
    return &(*t)[(*n)++];
}

static int cmp_team(const void *a, const void *b)
{
    const struct teamq *x = a, *y = b;
    return (x->team > y->team) - (x->team < y->team);
}

int field_status(struct store *s, const char *sample, FILE *f, struct error *e)
{
    struct plan p;
    int64_t srow;
    struct stmt *st = NULL;
    struct pos *pos = NULL;
    size_t npos = 0, cap = 0, nteams = 0, capteams = 0;
    struct teamq *teams = NULL, *t;
    char tb[12];
    int rc = sample_plan(s, sample, &p, NULL, 0, &srow, e);
    if (rc) return rc;
    plan_release(&p);
    fprintf(f, "fieldwork of sample %s / 入户调查完成情况\n\n", sample);
    fprintf(f, "%-8s %-20s %8s %8s %8s %8s %8s %9s  %s\n", "county", "stratum 类别", "selected",
            "reached", "not", "replaced", "rate", "final", "not reached by reason");
    rc = store_prepare(
        s,
        /* the chain of reserves of each unit not reached: its reserve, the reserve's reserve
         * if that one was not reached either, and so on */
        "WITH RECURSIVE chain(origin, cur) AS ("
        " SELECT r.unit, r.replaced_by FROM replacements r WHERE r.sample = ?1 AND"
        "  r.replaced_by <> ''"
        " UNION SELECT c.origin, r.replaced_by FROM chain c JOIN replacements r ON r.sample = ?1"
        "  AND r.unit = c.cur WHERE r.replaced_by <> '')"
        "SELECT u.county, u.stratum, count(*),"
        " sum(EXISTS (SELECT 1 FROM questionnaires q WHERE q.sample = u.sample AND q.unit ="
        "  u.code AND q.status = 'complete')),"
        " sum(EXISTS (SELECT 1 FROM replacements r WHERE r.sample = u.sample AND r.unit = u.code)),"
        " sum(EXISTS (SELECT 1 FROM chain c JOIN questionnaires q ON q.sample = u.sample AND"
        "  q.unit = c.cur AND q.status = 'complete' WHERE c.origin = u.code)),"
        " (SELECT group_concat(reason || ' ' || n, ', ') FROM (SELECT r.reason, count(*) AS n"
        "  FROM replacements r JOIN sample_units v ON v.sample = r.sample AND v.code = r.unit"
        "  WHERE r.sample = ?1 AND v.county = u.county AND v.stratum = u.stratum AND v.reserve = 0 GROUP BY"
        "  r.reason) AS g)"
        " FROM sample_units u WHERE u.sample = ?1 AND u.stage = 'household' AND u.reserve = 0"
        " GROUP BY u.county, u.stratum ORDER BY u.county, u.stratum",
        &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, srow);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        int64_t sel = stmt_int(st, 2), got = stmt_int(st, 3), nr = stmt_int(st, 4);
        int64_t rep = stmt_int(st, 5);
        fprintf(f, "%-8lld %-20s %8lld %8lld %8lld %8lld %7.1f%% %8.1f%%  %s\n",
                (long long)stmt_int(st, 0), stmt_text(st, 1), (long long)sel, (long long)got,
                (long long)nr, (long long)rep, sel ? 100.0 * (double)got / (double)sel : 0.0,
                sel ? 100.0 * (double)(got + rep) / (double)sel : 0.0, stmt_text(st, 6));
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) return rc;
    fprintf(f, "rate: reached / selected; final: (reached + replaced and reached) / selected\n");
    {
        int64_t sup = 0;
        struct strbuf q = STRBUF_INIT;
        sb_addf(&q, "SELECT count(*) FROM questionnaires WHERE sample = %lld AND status ="
                    " 'superseded'",
                (long long)srow);
        rc = sb_ok(&q) ? error_set(e, ERR_NOMEM, "out of memory")
                       : store_query_int(s, q.buf, 0, &sup, e);
        sb_release(&q);
        if (rc) return rc;
        if (sup)
            fprintf(f, "superseded / 已作废: %lld questionnaires kept but not counted (reserves "
                       "withdrawn when the household they replaced was interviewed after all, "
                       "or set aside by field resolve)\n",
                    (long long)sup);
    }
    /* the two-level review (review.c): how many questionnaires are in each state */
    if ((rc = review_list(s, sample, NULL, 0, 1, f, e))) return rc;

    /* field quality per team */
    rc = store_prepare(s,
                       "SELECT q.row_no, q.team, q.village, q.lat, q.lon,"
                       " EXISTS (SELECT 1 FROM field_issues i WHERE i.questionnaire = q.row_no"
                       "  AND i.kind = 'duration'),"
                       " EXISTS (SELECT 1 FROM evidence_links l WHERE l.questionnaire = q.row_no)"
                       " OR EXISTS (SELECT 1 FROM evidence_links l WHERE l.questionnaire = 0 AND"
                       "  l.unit = q.unit)"
                       " FROM questionnaires q WHERE q.sample = ? AND q.status = 'complete'",
                       &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, srow);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        if (!(t = team_slot(&teams, &nteams, &capteams, (int)stmt_int(st, 1)))) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        t->interviews++;
        t->duration += stmt_int(st, 5);
        t->no_evidence += !stmt_int(st, 6);
        if (stmt_type(st, 3) == STORE_NULL) continue;
        if (npos == cap) {
            size_t c2 = cap ? cap * 2 : 256;
            struct pos *q = mem_realloc(pos, c2 * sizeof *q);
            if (!q) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            pos = q, cap = c2;
        }
        pos[npos].row = stmt_int(st, 0);
        pos[npos].team = (int)stmt_int(st, 1);
        pos[npos].village = stmt_int(st, 2);
        pos[npos].lat = stmt_double(st, 3);
        pos[npos].lon = stmt_double(st, 4);
        npos++;
    }
    if (rc < 0) goto out;
    if (npos) qsort(pos, npos, sizeof *pos, cmp_village);
    for (size_t i = 0; i < npos;) {
        size_t j = i, m;
        double *lat, *lon, mlat, mlon;
        while (j < npos && pos[j].village == pos[i].village) j++;
        m = j - i;
        lat = mem_alloc(m * sizeof *lat);
        lon = mem_alloc(m * sizeof *lon);
        if (!lat || !lon) {
            mem_free(lat);
            mem_free(lon);
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        for (size_t k = 0; k < m; k++) lat[k] = pos[i + k].lat, lon[k] = pos[i + k].lon;
        qsort(lat, m, sizeof *lat, cmp_double);
        qsort(lon, m, sizeof *lon, cmp_double);
        mlat = lat[m / 2], mlon = lon[m / 2];
        for (size_t k = i; k < j; k++)
            if (m >= 3 && km(pos[k].lat, pos[k].lon, mlat, mlon) > FIELD_MAX_KM)
                team_slot(&teams, &nteams, &capteams, pos[k].team)->far++; /* tallied above */
        mem_free(lat);
        mem_free(lon);
        i = j;
    }
    if (nteams) qsort(teams, nteams, sizeof *teams, cmp_team); /* by team, whatever the rows' order */
    fprintf(f, "\nfield quality per team / 各组调查质量\n%-6s %10s %10s %12s %12s\n", "team",
            "interviews", "duration", "GPS far", "no evidence");
    for (size_t i = 0; i < nteams; i++)
        fprintf(f, "%-6s %10lld %10lld %12lld %12lld\n", teams_label(teams[i].team, tb),
                (long long)teams[i].interviews, (long long)teams[i].duration,
                (long long)teams[i].far, (long long)teams[i].no_evidence);
    fprintf(f, "duration: outside %.0f–%.0f minutes; GPS far: more than %.0f km from the median of "
               "the village's interviews; no evidence: no photo or recording linked\n",
            FIELD_MIN_MINUTES, FIELD_MAX_MINUTES, FIELD_MAX_KM);
    rc = 0;
out:
    stmt_finalize(st);
    mem_free(pos);
    mem_free(teams);
    return rc;
}
