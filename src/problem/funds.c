/*
 * funds.c — the funds rule of seed 001 (Qinghai) over a funds file (problem.h):
 * "中央资金一经到账,省级财政20个工作日内拨付到县,各县30个工作日内完成前期准备工作并落地实施".
 *
 * Two clocks, in working days of the calendar: arrival → payment to the county (20), and the
 * county's receipt → implementation started (30). The seed does not say when the county's
 * clock starts; pinggu reads it as the day the county receives the funds (the province's
 * payment), because a county cannot prepare a project with money it does not have — stated in
 * docs/problems.md. Bounds are inclusive (以内): limit day N is in time.
 *
 * Invariants: every row is checked before any result is returned (all or nothing); dates run
 * forward (payment not before arrival, start not before payment).
 */
#include "problem.h"

#include <string.h>

enum { PAY_DAYS = 20, START_DAYS = 30 };

static const struct csv_column cols[] = {
    {"item", "资金项目|项目|文号", 1},
    {"county", "县|县区|县名", 1},
    {"arrived", "中央资金到账|到账日期|到账", 1},
    {"paid", "拨付到县|拨付日期|拨付", 1},
    {"started", "落地实施|开工日期|实施日期", 1},
};
enum { F_ITEM, F_COUNTY, F_ARRIVED, F_PAID, F_STARTED, F_N };

static int opt_date(const char *s, int *out)
{
    *out = 0;
    while (*s == ' ') s++;
    if (!*s) return 0;
    return parse_date(s, out);
}

/* Working days past `due` of an event on `day` (0 if in time). */
static int late_by(const struct calendar *c, int due, int day, int *late, struct error *e)
{
    *late = 0;
    if (!day || day <= due) return 0;
    return calendar_working_days(c, due, day, late, e);
}

int funds_check(const char *path, const struct calendar *cal, int asof, struct funds_item **out,
                size_t *n, struct error *e)
{
    struct csv *csv = NULL;
    struct funds_item *v = NULL;
    size_t nv = 0, cap = 0;
    int idx[F_N], rc;
    if (!asof) asof = date_today();
    *out = NULL;
    *n = 0;
    rc = csv_open(path, &csv, e);
    if (rc) return rc;
    rc = csv_next(csv, e);
    if (rc == 0) rc = error_at(e, ERR_PARSE, path, 1, 0, "empty funds file (no header)");
    if (rc < 0) goto out;
    rc = csv_map_header(csv, cols, F_N, idx, NULL, e);
    if (rc) goto out;
    while ((rc = csv_next(csv, e)) == 1) {
        struct funds_item *it;
        long line = csv_line(csv);
        if (csv_row_blank(csv)) continue;
        if (nv == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct funds_item *nvp = mem_realloc(v, nc * sizeof *nvp);
            if (!nvp) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            v = nvp, cap = nc;
        }
        it = &v[nv++];
        memset(it, 0, sizeof *it);
        it->line = line;
        snprintf(it->item, sizeof it->item, "%s", csv_field(csv, (size_t)idx[F_ITEM]));
        utf8_trim(it->item);
        snprintf(it->county, sizeof it->county, "%s", csv_field(csv, (size_t)idx[F_COUNTY]));
        utf8_trim(it->county);
        if (!it->item[0]) {
            rc = error_at(e, ERR_INVALID, path, line, idx[F_ITEM] + 1, "the item has no name");
            goto out;
        }
        if (opt_date(csv_field(csv, (size_t)idx[F_ARRIVED]), &it->arrived) || !it->arrived) {
            rc = error_at(e, ERR_PARSE, path, line, idx[F_ARRIVED] + 1,
                          "arrived '%s' is not a date (YYYY-MM-DD); every item starts with the "
                          "day the central funds arrived",
                          csv_field(csv, (size_t)idx[F_ARRIVED]));
            goto out;
        }
        if (opt_date(csv_field(csv, (size_t)idx[F_PAID]), &it->paid)) {
            rc = error_at(e, ERR_PARSE, path, line, idx[F_PAID] + 1,
                          "paid '%s' is not a date (YYYY-MM-DD), nor empty (not yet paid)",
                          csv_field(csv, (size_t)idx[F_PAID]));
            goto out;
        }
        if (opt_date(csv_field(csv, (size_t)idx[F_STARTED]), &it->started)) {
            rc = error_at(e, ERR_PARSE, path, line, idx[F_STARTED] + 1,
                          "started '%s' is not a date (YYYY-MM-DD), nor empty (not yet started)",
                          csv_field(csv, (size_t)idx[F_STARTED]));
            goto out;
        }
        if (it->paid && it->paid < it->arrived) {
            rc = error_at(e, ERR_INVALID, path, line, idx[F_PAID] + 1,
                          "paid to the county before the funds arrived");
            goto out;
        }
        if (it->started && (!it->paid || it->started < it->paid)) {
            rc = error_at(e, ERR_INVALID, path, line, idx[F_STARTED] + 1,
                          "implementation started before the county received the funds");
            goto out;
        }
        rc = calendar_add_days(cal, it->arrived, PAY_DAYS, &it->paid_due, e);
        if (!rc) rc = late_by(cal, it->paid_due, it->paid, &it->paid_late, e);
        if (!rc && it->paid) {
            rc = calendar_add_days(cal, it->paid, START_DAYS, &it->started_due, e);
            if (!rc) rc = late_by(cal, it->started_due, it->started, &it->started_late, e);
        }
        if (rc) {
            error_prefix(e, "%s:%ld", path, line);
            goto out;
        }
        it->paid_open = !it->paid && asof > it->paid_due;
        it->started_open = it->paid && !it->started && asof > it->started_due;
    }
    if (rc < 0) goto out;
    rc = 0;
    *out = v;
    *n = nv;
    v = NULL;
out:
    mem_free(v);
    csv_close(csv);
    return rc;
}
