/*
 * snapshot.c — yearly registry snapshots (monitor.h): `pinggu import --snapshot 2019-12-31`
 * imports the registry as always (replacing it) and then copies what post-exit monitoring
 * compares year on year into the snapshot tables, keyed by the date.
 *
 * Why copies and not a second registry: the registry's tables, import and every stage that
 * reads them stay as they are (one registry, today's); the snapshot tables belong to this
 * stage and hold only the columns monitoring reads (county exit years, village poor flags,
 * household registration, exit, return, income and size, members' medical insurance and
 * schooling). Invariants: a snapshot is written once — an existing date is refused
 * (ERR_EXISTS), nothing updates or deletes a snapshot row — so earlier snapshots are
 * read-only; the copy is one transaction through the change log (one entry per table).
 */
#include "monitor.h"

#include <string.h>

int monitor_snapshot_exists(struct store *s, const char *date, int *exists, struct error *e)
{
    struct stmt *q = NULL;
    int rc = store_prepare(s, "SELECT count(*) FROM mon_snap_counties WHERE snapshot = ?", &q, e);
    *exists = 0;
    if (rc) return rc;
    stmt_bind_text(q, 1, date, strlen(date));
    if ((rc = stmt_step(q, e)) == STORE_ROW) *exists = stmt_int(q, 0) > 0, rc = 0;
    stmt_finalize(q);
    return rc < 0 ? rc : 0;
}

/* Copies the rows of `select` (its columns in the order of `cols`, after snapshot) into
 * `table`, each with the snapshot date first. */
static int copy(struct store *s, const char *date, const char *table, const char *cols,
                const char *select, int64_t *nrows, struct error *e)
{
    struct audit_writer w;
    struct stmt *q = NULL;
    int rc, open = 0;
    char key[64];
    *nrows = 0;
    if ((rc = store_prepare(s, select, &q, e))) return rc;
    if ((rc = audit_writer_begin(&w, s, table, cols, e))) goto out;
    open = 1;
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        int n = stmt_ncols(q);
        w.v[1] = rv_text(date, strlen(date));
        for (int i = 0; i < n && i + 2 < AUDIT_WRITER_MAXCOLS; i++) {
            switch (stmt_type(q, i)) {
            case STORE_NULL:
                w.v[i + 2] = rv_null();
                break;
            case STORE_INT:
                w.v[i + 2] = rv_int(stmt_int(q, i));
                break;
            case STORE_DOUBLE:
                w.v[i + 2] = rv_double(stmt_double(q, i));
                break;
            default:
                w.v[i + 2] = rv_text(stmt_text(q, i), stmt_len(q, i));
                break;
            }
        }
        if ((rc = audit_writer_row(&w, e))) goto out;
        (*nrows)++;
    }
    if (rc < 0) goto out;
    snprintf(key, sizeof key, "snapshot %s", date);
    open = 0;
    rc = audit_writer_commit(&w, "snapshot", key, NULL, e);
out:
    if (open) audit_writer_abort(&w);
    stmt_finalize(q);
    return rc;
}

int monitor_snapshot_take(struct store *s, const char *date, struct snapshot_stats *st,
                          struct error *e)
{
    int day, exists, rc;
    memset(st, 0, sizeof *st);
    if (parse_date(date, &day) || strlen(date) != 10 || date[4] != '-')
        return error_set(e, ERR_INVALID, "snapshot date '%s' is not YYYY-MM-DD", date);
    if ((rc = monitor_snapshot_exists(s, date, &exists, e))) return rc;
    if (exists)
        return error_set(e, ERR_EXISTS,
                         "a snapshot dated %s is already in the store: snapshots are read-only",
                         date);
    if ((rc = store_begin(s, e))) return rc;
    rc = copy(s, date, "mon_snap_counties", "snapshot, county, name, exit_year",
              "SELECT code, name, exit_year FROM counties ORDER BY code", &st->counties, e);
    if (!rc)
        rc = copy(s, date, "mon_snap_villages", "snapshot, village, name, poor",
                  "SELECT code, name, poor FROM villages ORDER BY code", &st->villages, e);
    if (!rc)
        rc = copy(s, date, "mon_snap_households",
                  "snapshot, household_id, village, registered, exit_year, returned, income,"
                  " persons",
                  "SELECT h.household_id, h.village, h.registered, h.exit_year, h.returned,"
                  " h.income, (SELECT count(*) FROM members m WHERE m.household = h.row_no)"
                  " FROM households h ORDER BY h.row_no",
                  &st->households, e);
    if (!rc)
        rc = copy(s, date, "mon_snap_members",
                  "snapshot, household_id, resident, medical_insurance, in_school",
                  "SELECT h.household_id, m.resident, m.medical_insurance, m.in_school"
                  " FROM members m JOIN households h ON h.row_no = m.household"
                  " WHERE h.registered = 1 ORDER BY m.row_no",
                  &st->members, e);
    if (rc) {
        store_rollback(s);
        return rc;
    }
    return store_commit(s, e);
}
