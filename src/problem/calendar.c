/*
 * calendar.c — the working-day calendar (problem.h, DESIGN §8.1, docs/problems.md).
 *
 * A file is a list of exceptions to the weekday rule (Monday–Friday work, Saturday–Sunday
 * rest): `holiday` rows for days off and `workday` rows for adjusted working weekends (调休).
 * Loading keeps, for each day, the one row in force: a province's own row beats a national
 * row, and among rows of the same scope the one from the latest-issued notice wins (an
 * amendment overrides the notice it amends). Two rows for the same day, scope and issue date
 * are a contradiction and refused. The effective days are kept sorted for binary search.
 *
 * Invariants: days[] is sorted by date with no duplicates; every date is a real date; first
 * and last year bound every question asked (a date outside is refused, never guessed: a year
 * whose notice is not in the file has unknown holidays).
 */
#include "problem.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- dates */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
long date_to_days(int yyyymmdd)
{
    long y = yyyymmdd / 10000, m = yyyymmdd / 100 % 100, d = yyyymmdd % 100;
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int date_from_days(long z)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    return (int)(y * 10000 + m * 100 + d);
}

int date_weekday(int yyyymmdd)
{
    long z = date_to_days(yyyymmdd); /* 1970-01-01 was a Thursday (3) */
    long w = (z % 7 + 7 + 3) % 7;
    return (int)w;
}

/* ---------------------------------------------------------------- loading */

struct cday {
    int date;     /* YYYYMMDD */
    int working;  /* 1 workday row, 0 holiday row */
    int scope;    /* 0 national, 1 the province's own */
    int issued;   /* YYYYMMDD of the notice */
    long line;    /* where it came from */
    char *name;   /* owned: "劳动节" */
    char *notice; /* owned */
};

struct calendar {
    struct cday *days; /* effective row per exceptional day, sorted by date */
    size_t n;
    int first_year, last_year;
};

void calendar_free(struct calendar *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) {
        mem_free(c->days[i].name);
        mem_free(c->days[i].notice);
    }
    mem_free(c->days);
    mem_free(c);
}

void calendar_years(const struct calendar *c, int *first, int *last)
{
    *first = c->first_year;
    *last = c->last_year;
}

static int cday_cmp(const void *a, const void *b)
{
    const struct cday *x = a, *y = b;
    if (x->date != y->date) return x->date < y->date ? -1 : 1;
    if (x->scope != y->scope) return x->scope < y->scope ? -1 : 1;
    if (x->issued != y->issued) return x->issued < y->issued ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static const struct csv_column cal_cols[] = {
    {"date", "日期", 1},       {"kind", "类型", 1},   {"name", "名称|节日", 1},
    {"province", "省份|省", 1}, {"issued", "发布日期", 1}, {"notice", "通知|依据", 1},
};
enum { C_DATE, C_KIND, C_NAME, C_PROVINCE, C_ISSUED, C_NOTICE, C_N };

int calendar_load(const char *path, const char *province, struct calendar **out,
                  struct error *e)
{
    struct csv *csv = NULL;
    struct calendar *c = NULL;
    struct cday *all = NULL;
    size_t n = 0, cap = 0;
    int idx[C_N];
    int rc;
    *out = NULL;
    if (province && *province) {
        size_t pl = strlen(province);
        if (pl != 2 || province[0] < '1' || province[0] > '9' || province[1] < '0' ||
            province[1] > '9')
            return error_set(e, ERR_USAGE, "province must be a two-digit code such as 34, not '%s'",
                             province);
    }
    rc = csv_open(path, &csv, e);
    if (rc) return rc;
    rc = csv_next(csv, e);
    if (rc == 0) {
        rc = error_at(e, ERR_PARSE, path, 1, 0, "empty calendar file (no header)");
        goto out;
    }
    if (rc < 0) goto out;
    rc = csv_map_header(csv, cal_cols, C_N, idx, NULL, e);
    if (rc) goto out;
    while ((rc = csv_next(csv, e)) == 1) {
        long line = csv_line(csv);
        const char *ds = csv_field(csv, (size_t)idx[C_DATE]);
        const char *ks = csv_field(csv, (size_t)idx[C_KIND]);
        const char *ps = csv_field(csv, (size_t)idx[C_PROVINCE]);
        const char *is = csv_field(csv, (size_t)idx[C_ISSUED]);
        int date, issued, working;
        if (csv_row_blank(csv)) continue;
        if (parse_date(ds, &date)) {
            rc = error_at(e, ERR_PARSE, path, line, idx[C_DATE] + 1,
                          "'%s' is not a date (YYYY-MM-DD)", ds);
            goto out;
        }
        if (!strcmp(ks, "holiday") || !strcmp(ks, "放假") || !strcmp(ks, "休"))
            working = 0;
        else if (!strcmp(ks, "workday") || !strcmp(ks, "上班") || !strcmp(ks, "班"))
            working = 1;
        else {
            rc = error_at(e, ERR_PARSE, path, line, idx[C_KIND] + 1,
                          "kind must be holiday (放假) or workday (上班), not '%s'", ks);
            goto out;
        }
        if (parse_date(is, &issued)) {
            rc = error_at(e, ERR_PARSE, path, line, idx[C_ISSUED] + 1,
                          "issued '%s' is not a date (YYYY-MM-DD): every row cites the date of "
                          "its notice, so amendments can override",
                          is);
            goto out;
        }
        if (!*csv_field(csv, (size_t)idx[C_NOTICE])) {
            rc = error_at(e, ERR_INVALID, path, line, idx[C_NOTICE] + 1,
                          "the row cites no notice (every holiday and 调休 day names its source)");
            goto out;
        }
        if (*ps && (strlen(ps) != 2 || ps[0] < '1' || ps[0] > '9' || ps[1] < '0' || ps[1] > '9')) {
            rc = error_at(e, ERR_PARSE, path, line, idx[C_PROVINCE] + 1,
                          "province must be empty (national) or a two-digit code, not '%s'", ps);
            goto out;
        }
        if (working && date_weekday(date) < 5) {
            rc = error_at(e, ERR_INVALID, path, line, idx[C_DATE] + 1,
                          "%s is a weekday: a workday (调休) row must fall on a weekend", ds);
            goto out;
        }
        if (*ps && !(province && !strcmp(ps, province))) continue; /* another province's */
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 512;
            struct cday *na = mem_realloc(all, nc * sizeof *na);
            if (!na) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            all = na, cap = nc;
        }
        all[n].date = date;
        all[n].working = working;
        all[n].scope = *ps != 0;
        all[n].issued = issued;
        all[n].line = line;
        all[n].name = mem_strdup(csv_field(csv, (size_t)idx[C_NAME]));
        all[n].notice = mem_strdup(csv_field(csv, (size_t)idx[C_NOTICE]));
        n++;
        if (!all[n - 1].name || !all[n - 1].notice) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    if (rc < 0) goto out;
    rc = 0;
    if (!n) {
        rc = error_at(e, ERR_INVALID, path, 0, 0, "the calendar lists no day");
        goto out;
    }
    qsort(all, n, sizeof *all, cday_cmp);
    for (size_t i = 1; i < n; i++)
        if (all[i].date == all[i - 1].date && all[i].scope == all[i - 1].scope &&
            all[i].issued == all[i - 1].issued) {
            rc = error_at(e, ERR_INVALID, path, all[i].line, 0,
                          "day %d is listed twice by notices issued the same day (also line %ld)",
                          all[i].date, all[i - 1].line);
            goto out;
        }
    c = mem_calloc(1, sizeof *c);
    if (!c) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    c->days = all;
    c->first_year = all[0].date / 10000;
    c->last_year = all[n - 1].date / 10000;
    /* keep the last row of each date: sorted by (scope, issued), so it is the one in force */
    {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (i + 1 < n && all[i + 1].date == all[i].date) {
                mem_free(all[i].name);
                mem_free(all[i].notice);
                continue;
            }
            all[k++] = all[i];
        }
        c->n = k;
    }
    all = NULL;
    n = 0;
    *out = c;
    c = NULL;
out:
    for (size_t i = 0; i < n; i++) {
        mem_free(all[i].name);
        mem_free(all[i].notice);
    }
    mem_free(all);
    calendar_free(c);
    csv_close(csv);
    return rc;
}

/* ---------------------------------------------------------------- questions */

static const struct cday *find(const struct calendar *c, int date)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->days[mid].date < date) lo = mid + 1;
        else hi = mid;
    }
    return lo < c->n && c->days[lo].date == date ? &c->days[lo] : NULL;
}

static int in_range(const struct calendar *c, int day, struct error *e)
{
    if (!date_valid(day)) return error_set(e, ERR_INVALID, "%d is not a date", day);
    if (day / 10000 < c->first_year || day / 10000 > c->last_year)
        return error_set(e, ERR_INVALID,
                         "%04d-%02d-%02d is outside the calendar's years %d–%d (its holidays are "
                         "not known; add that year's notice to the calendar file)",
                         day / 10000, day / 100 % 100, day % 100, c->first_year, c->last_year);
    return 0;
}

int calendar_is_working(const struct calendar *c, int day, int *working, struct strbuf *why,
                        struct error *e)
{
    const struct cday *d;
    int rc = in_range(c, day, e);
    if (rc) return rc;
    d = find(c, day);
    if (d) {
        *working = d->working;
        if (why) sb_addf(why, "%s%s（%s）", d->name, d->working ? "调休上班" : "放假", d->notice);
    } else {
        *working = date_weekday(day) < 5;
    }
    return 0;
}

int calendar_add_days(const struct calendar *c, int from, int n, int *out, struct error *e)
{
    long z = date_to_days(from);
    int step = n < 0 ? -1 : 1, left = n < 0 ? -n : n;
    int rc = in_range(c, from, e);
    if (rc) return rc;
    while (left > 0) {
        int day, w;
        z += step;
        day = date_from_days(z);
        rc = calendar_is_working(c, day, &w, NULL, e);
        if (rc) return rc;
        left -= w;
    }
    *out = date_from_days(z);
    return 0;
}

int calendar_working_days(const struct calendar *c, int from, int to, int *n, struct error *e)
{
    long a = date_to_days(from), b = date_to_days(to);
    int rc = in_range(c, from, e);
    if (!rc) rc = in_range(c, to, e);
    if (rc) return rc;
    *n = 0;
    for (long z = a + 1; z <= b; z++) {
        int w;
        rc = calendar_is_working(c, date_from_days(z), &w, NULL, e);
        if (rc) return rc;
        *n += w;
    }
    return 0;
}
