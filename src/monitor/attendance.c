/*
 * attendance.c — village work-team attendance (monitor.h; seed 001, Hunan 四: "规定每月驻村时间
 * 不少于20天,实行GPS 定位管理,建立驻村工作队员召回问责机制,杜绝'走读'、挂虚名等现象").
 *
 * Import: the three files are parsed and checked completely (every row, every reference)
 * before the transaction that replaces mon_villages, mon_roster and mon_checkins opens; the
 * old rows' change-log entries are retired, as a registry re-import does.
 *
 * The day rule (docs/monitoring.md): a day counts as a day in the village when the member has
 * a check-in inside the village's radius in the morning (before rules.morning_end) and one in
 * the evening (at or after rules.evening_start) — someone who slept elsewhere cannot do both
 * without a long drive at dawn or night. A day with a check-in inside but not both is a day
 * visit. Per month, for members on the roster for the whole month:
 *   under       days < min_days (the seed's 不少于20天: 20 is enough, 19 is not);
 *   走读        day-visit days >= day_visit_days (comes by day, sleeps elsewhere);
 *   挂虚名      on the roster and not one check-in inside the village all month;
 *   jumps       consecutive check-ins farther apart than min_jump_km at a speed above max_kmh
 *               (a phone handed around, or a faked position): listed for checking.
 * The recall list (召回) is every assessed member under min_days, by county.
 */
#include "monitor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- parsed files */

struct vloc {
    int64_t code;
    char name[64];
    int county;
    double lat, lon, radius;
    long line;
};

struct rrow {
    char member[40];
    char name[64];
    int64_t village;
    char role[32];
    int from, to; /* YYYYMMDD; to 0: still serving */
    char left_for[64];
    long line;
};

struct crow {
    char member[40];
    char at[20]; /* "YYYY-MM-DD HH:MM:SS" */
    double lat, lon;
    char source[32];
};

double geo_km(double lat1, double lon1, double lat2, double lon2)
{
    const double rad = 3.14159265358979323846 / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    if (a > 1) a = 1;
    return 2 * 6371.0 * asin(sqrt(a));
}

static void copy_field(char *dst, size_t n, const char *s)
{
    while (*s == ' ') s++;
    snprintf(dst, n, "%s", s);
    utf8_trim(dst);
    for (size_t l = strlen(dst); l && dst[l - 1] == ' '; l--) dst[l - 1] = 0;
}

/* "YYYY-MM-DD HH:MM[:SS]" (or T between) into "YYYY-MM-DD HH:MM:SS"; -1 if malformed. */
static int parse_time(const char *s, char out[20])
{
    char d[11];
    int day, hh, mm, ss = 0;
    size_t n;
    while (*s == ' ') s++;
    n = strlen(s);
    while (n && s[n - 1] == ' ') n--;
    if (n != 16 && n != 19) return -1;
    if (s[10] != ' ' && s[10] != 'T') return -1;
    memcpy(d, s, 10);
    d[10] = 0;
    if (parse_date(d, &day) || d[4] != '-' || d[7] != '-') return -1;
    if (s[13] != ':' || (n == 19 && s[16] != ':')) return -1;
    for (size_t i = 11; i < n; i++)
        if (i != 13 && i != 16 && (s[i] < '0' || s[i] > '9')) return -1;
    hh = (s[11] - '0') * 10 + s[12] - '0';
    mm = (s[14] - '0') * 10 + s[15] - '0';
    if (n == 19) ss = (s[17] - '0') * 10 + s[18] - '0';
    if (hh > 23 || mm > 59 || ss > 59) return -1;
    snprintf(out, 20, "%04d-%02d-%02d %02d:%02d:%02d", day / 10000, day / 100 % 100, day % 100, hh,
             mm, ss);
    return 0;
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 256;
    void *p = mem_realloc(*v, nc * size);
    if (!p) return ERR_NOMEM;
    *v = p;
    *cap = nc;
    return 0;
}

static int open_mapped(const char *path, const struct csv_column *cols, size_t n, int *idx,
                       struct csv **c, struct error *e)
{
    int rc = csv_open(path, c, e);
    if (rc) return rc;
    rc = csv_next(*c, e);
    if (rc == 0) return error_at(e, ERR_PARSE, path, 1, 0, "empty file (no header)");
    if (rc < 0) return rc;
    return csv_map_header(*c, cols, n, idx, NULL, e);
}

static int coord(struct csv *c, const int *idx, int k, double lo, double hi, double *out,
                 struct error *e)
{
    const char *s = csv_field(c, (size_t)idx[k]);
    if (parse_double(s, out) || !(*out >= lo && *out <= hi))
        return error_at(e, ERR_PARSE, csv_name(c), csv_line(c), idx[k] + 1,
                        "'%s' is not a coordinate in degrees (%g..%g)", s, lo, hi);
    return 0;
}

static const struct csv_column vcols[] = {
    {"village", "村代码|行政村代码|村编码|village_code", 1},
    {"name", "村名|村名称|行政村", 1},
    {"county", "县代码|县编码", 1},
    {"latitude", "纬度|lat", 1},
    {"longitude", "经度|lon|lng", 1},
    {"radius_m", "半径|半径米|radius", 0},
};
enum { V_CODE, V_NAME, V_COUNTY, V_LAT, V_LON, V_RADIUS, V_N };

static int read_villages(const char *path, double dflt_radius, struct vloc **out, size_t *n,
                         struct u64map *byc, struct error *e)
{
    struct csv *c = NULL;
    size_t cap = 0;
    int idx[V_N], rc;
    int64_t v;
    *out = NULL;
    *n = 0;
    if ((rc = open_mapped(path, vcols, V_N, idx, &c, e))) goto out;
    while ((rc = csv_next(c, e)) == 1) {
        struct vloc *x;
        long line = csv_line(c);
        uint64_t old;
        if (csv_row_blank(c)) continue;
        if (grow((void **)out, &cap, *n, sizeof **out)) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        x = &(*out)[*n];
        memset(x, 0, sizeof *x);
        x->line = line;
        if (parse_int64(csv_field(c, (size_t)idx[V_CODE]), &v) || v < 110000000000LL ||
            v > 829999999999LL) {
            rc = error_at(e, ERR_PARSE, path, line, idx[V_CODE] + 1,
                          "village '%s' is not a 12-digit village code",
                          csv_field(c, (size_t)idx[V_CODE]));
            goto out;
        }
        x->code = v;
        if (parse_int64(csv_field(c, (size_t)idx[V_COUNTY]), &v) || v < 110000 || v > 829999 ||
            v != x->code / 1000000) {
            rc = error_at(e, ERR_PARSE, path, line, idx[V_COUNTY] + 1,
                          "county '%s' is not the 6-digit county code of village %lld",
                          csv_field(c, (size_t)idx[V_COUNTY]), (long long)x->code);
            goto out;
        }
        x->county = (int)v;
        copy_field(x->name, sizeof x->name, csv_field(c, (size_t)idx[V_NAME]));
        if ((rc = coord(c, idx, V_LAT, -90, 90, &x->lat, e))) goto out;
        if ((rc = coord(c, idx, V_LON, -180, 180, &x->lon, e))) goto out;
        x->radius = dflt_radius;
        if (idx[V_RADIUS] >= 0 && csv_field(c, (size_t)idx[V_RADIUS])[0]) {
            const char *s = csv_field(c, (size_t)idx[V_RADIUS]);
            if (parse_double(s, &x->radius) || !(x->radius >= 10 && x->radius <= 50000)) {
                rc = error_at(e, ERR_PARSE, path, line, idx[V_RADIUS] + 1,
                              "radius_m '%s' is not a radius in metres (10..50000)", s);
                goto out;
            }
        }
        rc = u64map_put(byc, (uint64_t)x->code, *n, &old);
        if (rc < 0) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        if (rc == 0) {
            rc = error_at(e, ERR_INVALID, path, line, idx[V_CODE] + 1,
                          "village %lld is listed twice (first on line %ld)", (long long)x->code,
                          (*out)[old].line);
            goto out;
        }
        (*n)++;
    }
    if (rc < 0) goto out;
    rc = 0;
out:
    csv_close(c);
    return rc;
}

static const struct csv_column rcols[] = {
    {"member", "队员编号|工号|编号|member_id", 1}, {"name", "姓名", 1},
    {"village", "村代码|驻村代码|驻村", 1},        {"role", "职务|身份|角色", 0},
    {"from", "到岗日期|起|开始日期", 1},           {"to", "离岗日期|止|结束日期", 0},
    {"left_for", "去向|调往|调整去向", 0},
};
enum { R_MEMBER, R_NAME, R_VILLAGE, R_ROLE, R_FROM, R_TO, R_LEFT, R_N };

static const char *opt_field(struct csv *c, const int *idx, int k)
{
    return idx[k] >= 0 ? csv_field(c, (size_t)idx[k]) : "";
}

static int read_roster(const char *path, const struct u64map *villages, struct rrow **out,
                       size_t *n, struct error *e)
{
    struct csv *c = NULL;
    size_t cap = 0;
    int idx[R_N], rc;
    int64_t v;
    *out = NULL;
    *n = 0;
    if ((rc = open_mapped(path, rcols, R_N, idx, &c, e))) goto out;
    while ((rc = csv_next(c, e)) == 1) {
        struct rrow *x;
        long line = csv_line(c);
        const char *s;
        if (csv_row_blank(c)) continue;
        if (grow((void **)out, &cap, *n, sizeof **out)) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        x = &(*out)[*n];
        memset(x, 0, sizeof *x);
        x->line = line;
        copy_field(x->member, sizeof x->member, csv_field(c, (size_t)idx[R_MEMBER]));
        if (!x->member[0]) {
            rc = error_at(e, ERR_PARSE, path, line, idx[R_MEMBER] + 1, "the member has no ID");
            goto out;
        }
        copy_field(x->name, sizeof x->name, csv_field(c, (size_t)idx[R_NAME]));
        copy_field(x->role, sizeof x->role, opt_field(c, idx, R_ROLE));
        copy_field(x->left_for, sizeof x->left_for, opt_field(c, idx, R_LEFT));
        s = csv_field(c, (size_t)idx[R_VILLAGE]);
        if (parse_int64(s, &v) || !u64map_get(villages, (uint64_t)(v > 0 ? v : 1))) {
            rc = error_at(e, ERR_INVALID, path, line, idx[R_VILLAGE] + 1,
                          "village '%s' is not in the village locations file", s);
            goto out;
        }
        x->village = v;
        s = csv_field(c, (size_t)idx[R_FROM]);
        if (parse_date(s, &x->from)) {
            rc = error_at(e, ERR_PARSE, path, line, idx[R_FROM] + 1,
                          "from '%s' is not a date (YYYY-MM-DD)", s);
            goto out;
        }
        s = opt_field(c, idx, R_TO);
        while (*s == ' ') s++;
        if (*s && (parse_date(s, &x->to) || x->to < x->from)) {
            rc = error_at(e, ERR_PARSE, path, line, idx[R_TO] + 1,
                          "to '%s' is not a date (YYYY-MM-DD) on or after from", s);
            goto out;
        }
        /* one member, one village at a time: periods of the same member must not overlap */
        for (size_t i = 0; i < *n; i++) {
            const struct rrow *o = &(*out)[i];
            if (strcmp(o->member, x->member)) continue;
            if ((!o->to || x->from <= o->to) && (!x->to || o->from <= x->to)) {
                rc = error_at(e, ERR_INVALID, path, line, idx[R_FROM] + 1,
                              "member %s is already on the roster for this period (line %ld)",
                              x->member, o->line);
                goto out;
            }
        }
        (*n)++;
    }
    if (rc < 0) goto out;
    rc = 0;
out:
    csv_close(c);
    return rc;
}

static const struct csv_column ccols[] = {
    {"member", "队员编号|工号|编号|member_id", 1},
    {"time", "打卡时间|时间|签到时间", 1},
    {"latitude", "纬度|lat", 1},
    {"longitude", "经度|lon|lng", 1},
    {"source", "来源|方式|定位方式", 0},
};
enum { C_MEMBER, C_TIME, C_LAT, C_LON, C_SOURCE, C_N };

static int read_checkins(const char *path, const struct u64map *members, struct crow **out,
                         size_t *n, struct error *e)
{
    struct csv *c = NULL;
    struct u64map seen;
    size_t cap = 0;
    int idx[C_N], rc;
    *out = NULL;
    *n = 0;
    u64map_init(&seen);
    if ((rc = open_mapped(path, ccols, C_N, idx, &c, e))) goto out;
    while ((rc = csv_next(c, e)) == 1) {
        struct crow *x;
        long line = csv_line(c);
        char key[64];
        uint64_t old;
        if (csv_row_blank(c)) continue;
        if (grow((void **)out, &cap, *n, sizeof **out)) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        x = &(*out)[*n];
        memset(x, 0, sizeof *x);
        copy_field(x->member, sizeof x->member, csv_field(c, (size_t)idx[C_MEMBER]));
        if (!u64map_get(members, u64_hash_str(x->member, strlen(x->member)))) {
            rc = error_at(e, ERR_INVALID, path, line, idx[C_MEMBER] + 1,
                          "member '%s' is not on the work-team roster", x->member);
            goto out;
        }
        if (parse_time(csv_field(c, (size_t)idx[C_TIME]), x->at)) {
            rc = error_at(e, ERR_PARSE, path, line, idx[C_TIME] + 1,
                          "time '%s' is not YYYY-MM-DD HH:MM[:SS]",
                          csv_field(c, (size_t)idx[C_TIME]));
            goto out;
        }
        if ((rc = coord(c, idx, C_LAT, -90, 90, &x->lat, e))) goto out;
        if ((rc = coord(c, idx, C_LON, -180, 180, &x->lon, e))) goto out;
        copy_field(x->source, sizeof x->source, opt_field(c, idx, C_SOURCE));
        snprintf(key, sizeof key, "%s|%s", x->member, x->at);
        rc = u64map_put(&seen, u64_hash_str(key, strlen(key)), (uint64_t)line, &old);
        if (rc < 0) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        if (rc == 0) {
            rc = error_at(e, ERR_INVALID, path, line, idx[C_TIME] + 1,
                          "member %s checked in at %s twice (first on line %lld)", x->member, x->at,
                          (long long)old);
            goto out;
        }
        (*n)++;
    }
    if (rc < 0) goto out;
    rc = 0;
out:
    u64map_release(&seen);
    csv_close(c);
    return rc;
}

static void day_text(int d, char out[11])
{
    if (d)
        snprintf(out, 11, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
    else
        out[0] = 0;
}

/* Replaces table `t` with the rows a callback binds, under one change-log entry. */
static int replace_begin(struct audit_writer *w, struct store *s, const char *t, const char *cols,
                         struct error *e)
{
    char del[96];
    int rc = audit_writer_begin(w, s, t, cols, e);
    if (rc) return rc;
    rc = audit_batch_retire_all(&w->batch, e);
    snprintf(del, sizeof del, "DELETE FROM %s", t);
    if (!rc) rc = store_exec(s, del, e);
    if (rc) audit_writer_abort(w);
    return rc;
}

int attendance_import(struct store *s, const struct att_rules *r, const char *villages,
                      const char *roster, const char *checkins, struct att_import_stats *st,
                      struct error *e)
{
    struct vloc *vv = NULL;
    struct rrow *rr = NULL;
    struct crow *cc = NULL;
    size_t nv = 0, nr = 0, nc = 0;
    struct u64map byv, bym;
    struct audit_writer w;
    int rc, tx = 0;
    char f1[11], f2[11];
    memset(st, 0, sizeof *st);
    u64map_init(&byv);
    u64map_init(&bym);
    if ((rc = read_villages(villages, r->default_radius, &vv, &nv, &byv, e))) goto out;
    if ((rc = read_roster(roster, &byv, &rr, &nr, e))) goto out;
    for (size_t i = 0; i < nr; i++)
        if (u64map_put(&bym, u64_hash_str(rr[i].member, strlen(rr[i].member)), i + 1, NULL) < 0) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
    if ((rc = read_checkins(checkins, &bym, &cc, &nc, e))) goto out;

    if ((rc = store_begin(s, e))) goto out;
    tx = 1;
    if ((rc = replace_begin(&w, s, "mon_villages",
                            "village, name, county, latitude, longitude, radius_m", e)))
        goto out;
    for (size_t i = 0; i < nv && !rc; i++) {
        w.v[1] = rv_int(vv[i].code);
        w.v[2] = rv_text(vv[i].name, strlen(vv[i].name));
        w.v[3] = rv_int(vv[i].county);
        w.v[4] = rv_double(vv[i].lat);
        w.v[5] = rv_double(vv[i].lon);
        w.v[6] = rv_double(vv[i].radius);
        rc = audit_writer_row(&w, e);
    }
    if (rc) {
        audit_writer_abort(&w);
        goto out;
    }
    if ((rc = audit_writer_commit(&w, "attendance import", villages, NULL, e))) goto out;
    if ((rc = replace_begin(&w, s, "mon_roster",
                            "member, name, village, role, from_day, to_day, left_for", e)))
        goto out;
    for (size_t i = 0; i < nr && !rc; i++) {
        day_text(rr[i].from, f1);
        day_text(rr[i].to, f2);
        w.v[1] = rv_text(rr[i].member, strlen(rr[i].member));
        w.v[2] = rv_text(rr[i].name, strlen(rr[i].name));
        w.v[3] = rv_int(rr[i].village);
        w.v[4] = rv_text(rr[i].role, strlen(rr[i].role));
        w.v[5] = rv_text(f1, strlen(f1));
        w.v[6] = rv_text(f2, strlen(f2));
        w.v[7] = rv_text(rr[i].left_for, strlen(rr[i].left_for));
        rc = audit_writer_row(&w, e);
    }
    if (rc) {
        audit_writer_abort(&w);
        goto out;
    }
    if ((rc = audit_writer_commit(&w, "attendance import", roster, NULL, e))) goto out;
    if ((rc = replace_begin(&w, s, "mon_checkins", "member, at, latitude, longitude, source", e)))
        goto out;
    for (size_t i = 0; i < nc && !rc; i++) {
        w.v[1] = rv_text(cc[i].member, strlen(cc[i].member));
        w.v[2] = rv_text(cc[i].at, strlen(cc[i].at));
        w.v[3] = rv_double(cc[i].lat);
        w.v[4] = rv_double(cc[i].lon);
        w.v[5] = rv_text(cc[i].source, strlen(cc[i].source));
        rc = audit_writer_row(&w, e);
    }
    if (rc) {
        audit_writer_abort(&w);
        goto out;
    }
    if ((rc = audit_writer_commit(&w, "attendance import", checkins, NULL, e))) goto out;
    rc = store_commit(s, e);
    tx = 0;
    if (!rc) {
        st->villages = (long)nv;
        st->roster = (long)nr;
        st->checkins = (long)nc;
    }
out:
    if (tx) store_rollback(s);
    u64map_release(&byv);
    u64map_release(&bym);
    mem_free(vv);
    mem_free(rr);
    mem_free(cc);
    return rc;
}

/* ---------------------------------------------------------------- a month */

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0)) return 29;
    return d[m - 1];
}

void att_month_release(struct att_month *m)
{
    mem_free(m->m);
    memset(m, 0, sizeof *m);
}

/* Seconds since 2000-01-01 of "YYYY-MM-DD HH:MM:SS" (a proleptic day count; no time zones:
 * every check-in is local time). */
static double tsec(const char *at)
{
    int y = atoi(at), mo = atoi(at + 5), d = atoi(at + 8);
    int hh = atoi(at + 11), mm = atoi(at + 14), ss = atoi(at + 17);
    long days;
    if (mo <= 2) y--, mo += 12;
    days = 365L * y + y / 4 - y / 100 + y / 400 + (153 * (mo - 3) + 2) / 5 + d;
    return (double)days * 86400.0 + hh * 3600.0 + mm * 60.0 + ss;
}

int attendance_month(struct store *s, const struct att_rules *r, int yyyymm, struct att_month *out,
                     struct error *e)
{
    struct stmt *q = NULL, *ci = NULL;
    int y = yyyymm / 100, mo = yyyymm % 100, rc;
    char first[11], last[11], lo[24], hi[24];
    size_t cap = 0;
    int64_t nroster = 0;
    memset(out, 0, sizeof *out);
    if (mo < 1 || mo > 12) return error_set(e, ERR_INVALID, "month %d is not YYYYMM", yyyymm);
    out->month = yyyymm;
    out->ndays = days_in_month(y, mo);
    snprintf(first, sizeof first, "%04d-%02d-01", y, mo);
    snprintf(last, sizeof last, "%04d-%02d-%02d", y, mo, out->ndays);
    snprintf(lo, sizeof lo, "%s 00:00:00", first);
    snprintf(hi, sizeof hi, "%s 23:59:59", last);
    if ((rc = store_query_int(s, "SELECT count(*) FROM mon_roster", 0, &nroster, e))) goto out;
    if (!nroster) {
        rc = error_set(e, ERR_NOTFOUND,
                       "no work-team roster in the store: run `pinggu attendance import` first");
        goto out;
    }
    rc = store_prepare(s,
                       "SELECT r.member, r.name, r.role, r.village, v.name, v.county,"
                       " v.latitude, v.longitude, v.radius_m, r.from_day, r.to_day"
                       " FROM mon_roster r JOIN mon_villages v ON v.village = r.village"
                       " WHERE r.from_day <= ? AND (r.to_day = '' OR r.to_day >= ?)"
                       " ORDER BY v.county, r.village, r.member",
                       &q, e);
    if (rc) goto out;
    rc = store_prepare(s,
                       "SELECT at, latitude, longitude FROM mon_checkins"
                       " WHERE member = ? AND at >= ? AND at <= ? ORDER BY at",
                       &ci, e);
    if (rc) goto out;
    stmt_bind_text(q, 1, last, 10);
    stmt_bind_text(q, 2, first, 10);
    while ((rc = stmt_step(q, e)) == STORE_ROW) {
        struct att_member *m;
        unsigned char morning[32] = {0}, evening[32] = {0}, any[32] = {0};
        double vlat = stmt_double(q, 6), vlon = stmt_double(q, 7), rad = stmt_double(q, 8);
        double plat = 0, plon = 0, pt = 0;
        int have_prev = 0;
        /* assessed only if on the roster for the whole month */
        if (strcmp(stmt_text(q, 9), first) > 0 ||
            (stmt_text(q, 10)[0] && strcmp(stmt_text(q, 10), last) < 0)) {
            out->part_month++;
            continue;
        }
        if (grow((void **)&out->m, &cap, out->n, sizeof *out->m)) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        m = &out->m[out->n];
        memset(m, 0, sizeof *m);
        snprintf(m->member, sizeof m->member, "%s", stmt_text(q, 0));
        snprintf(m->name, sizeof m->name, "%s", stmt_text(q, 1));
        snprintf(m->role, sizeof m->role, "%s", stmt_text(q, 2));
        m->village = stmt_int(q, 3);
        snprintf(m->village_name, sizeof m->village_name, "%s", stmt_text(q, 4));
        utf8_trim(m->village_name);
        m->county = (int)stmt_int(q, 5);
        stmt_reset(ci);
        stmt_bind_text(ci, 1, m->member, strlen(m->member));
        stmt_bind_text(ci, 2, lo, strlen(lo));
        stmt_bind_text(ci, 3, hi, strlen(hi));
        while ((rc = stmt_step(ci, e)) == STORE_ROW) {
            const char *at = stmt_text(ci, 0);
            double lat = stmt_double(ci, 1), lon = stmt_double(ci, 2), t = tsec(at);
            int day = atoi(at + 8), minute = atoi(at + 11) * 60 + atoi(at + 14);
            int in = geo_km(lat, lon, vlat, vlon) * 1000.0 <= rad;
            m->checkins++;
            if (in) {
                m->inside++;
                any[day] = 1;
                if (minute < r->morning_end) morning[day] = 1;
                if (minute >= r->evening_start) evening[day] = 1;
            }
            if (have_prev) {
                double km = geo_km(plat, plon, lat, lon), h = (t - pt) / 3600.0;
                double kmh = h > 0 ? km / h : INFINITY;
                if (km > r->min_jump_km && kmh > r->max_kmh) {
                    if (!m->jumps) {
                        snprintf(m->jump_at, sizeof m->jump_at, "%s", at);
                        m->jump_kmh = isinf(kmh) ? -1 : kmh;
                        m->jump_km = km;
                    }
                    m->jumps++;
                }
            }
            plat = lat, plon = lon, pt = t, have_prev = 1;
        }
        if (rc < 0) goto out;
        for (int d = 1; d <= out->ndays; d++) {
            if (morning[d] && evening[d])
                m->days++;
            else if (any[d])
                m->visit_days++;
        }
        m->under = m->days < r->min_days;
        m->ghost = m->inside == 0;
        m->day_visitor = !m->ghost && m->visit_days >= r->day_visit_days;
        out->n++;
    }
    if (rc < 0) goto out;
    rc = 0;
out:
    stmt_finalize(q);
    stmt_finalize(ci);
    if (rc) att_month_release(out);
    return rc;
}

/* ---------------------------------------------------------------- the report */

const char *att_recall_reason(const struct att_member *m)
{
    return m->ghost ? "挂虚名 never present" : m->day_visitor ? "走读 day visits only" : "天数不足 under the days";
}

const char *att_signs(const struct att_member *m, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s%s%s", m->under ? "不足天数 under " : "",
             m->ghost ? "挂虚名 never present " : "", m->day_visitor ? "走读 day visits " : "",
             m->jumps ? "轨迹异常 impossible movement" : "");
    return buf;
}

int attendance_doc(const struct att_month *am, const struct att_rules *r, struct mon_doc **out)
{
    static const char *const all_cols[] = {
        "县 county",      "村 village",  "村名 name",      "队员 member",
        "姓名 name",      "职务 role",   "驻村天数 days",  "白天来访天数 day visits",
        "打卡 check-ins", "村内 inside", "轨迹异常 jumps", "问题 signs"};
    static const char *const recall_cols[] = {"县 county",   "村 village", "村名 name",
                                              "队员 member", "姓名 name",  "驻村天数 days",
                                              "原因 reason"};
    static const char *const jump_cols[] = {"县 county",         "队员 member", "姓名 name",
                                            "首次时间 first at", "距离 km",     "速度 km/h",
                                            "次数 count"};
    struct mon_doc *d = NULL;
    struct mon_table *t_all, *t_rec, *t_jump;
    char title[128], buf[160];
    long nunder = 0, nghost = 0, nvisit = 0, njump = 0;
    int rc;
    *out = NULL;
    snprintf(title, sizeof title, "驻村工作队考勤 Work-team attendance %04d-%02d", am->month / 100,
             am->month % 100);
    if ((rc = mon_doc_new(title, &d))) return rc;
    for (size_t i = 0; i < am->n; i++) {
        nunder += am->m[i].under;
        nghost += am->m[i].ghost;
        nvisit += am->m[i].day_visitor;
        njump += am->m[i].jumps > 0;
    }
    mon_doc_para(d,
                 "湖南:\"规定每月驻村时间不少于20天,实行GPS 定位管理,建立驻村工作队员召回问责机制,"
                 "杜绝'走读'、挂虚名等现象\" (seed 001). A day counts when the member checked in "
                 "inside the village radius before %02d:%02d and again at or after %02d:%02d; "
                 "%d days or more is enough (不少于%d天).",
                 r->morning_end / 60, r->morning_end % 60, r->evening_start / 60,
                 r->evening_start % 60, r->min_days, r->min_days);
    mon_doc_para(d,
                 "%zu members assessed (on the roster the whole month), %ld on the roster for "
                 "part of it (not assessed); %ld under %d days (recall list), %ld 挂虚名, %ld 走读 "
                 "(%d or more day-visit days), %ld with impossible movement (over %g km/h).",
                 am->n, am->part_month, nunder, r->min_days, nghost, nvisit, r->day_visit_days,
                 njump, r->max_kmh);
    {
        /* per county: the counts an office compares first (members are ordered by county) */
        static const char *const cty_cols[] = {"县 county",       "在岗队员 assessed",
                                               "不足天数 under",  "挂虚名 never present",
                                               "走读 day visits", "轨迹异常 movement"};
        struct mon_table *t_cty =
            mon_doc_table(d, "按县 counties", "各县汇总 By county", cty_cols, 6);
        for (size_t i = 0; i < am->n;) {
            int county = am->m[i].county;
            long k = 0, u = 0, g = 0, v = 0, j = 0;
            for (; i < am->n && am->m[i].county == county; i++, k++) {
                u += am->m[i].under;
                g += am->m[i].ghost;
                v += am->m[i].day_visitor;
                j += am->m[i].jumps > 0;
            }
            mon_table_rowf(t_cty, "%d\t%ld\t%ld\t%ld\t%ld\t%ld", county, k, u, g, v, j);
        }
    }
    t_rec = mon_doc_table(d, "召回 recall", "召回名单(按县) Recall list by county", recall_cols, 7);
    t_all = mon_doc_table(d, "考勤 attendance", "每名队员 Every member", all_cols, 12);
    t_jump =
        mon_doc_table(d, "轨迹 movement", "轨迹异常 Impossible movement (to check)", jump_cols, 7);
    for (size_t i = 0; i < am->n; i++) {
        const struct att_member *m = &am->m[i];
        mon_table_rowf(t_all, "%d\t%lld\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s", m->county,
                       (long long)m->village, m->village_name, m->member, m->name, m->role, m->days,
                       m->visit_days, m->checkins, m->inside, m->jumps, att_signs(m, buf, sizeof buf));
        if (m->under)
            mon_table_rowf(t_rec, "%d\t%lld\t%s\t%s\t%s\t%d\t%s", m->county, (long long)m->village,
                           m->village_name, m->member, m->name, m->days, att_recall_reason(m));
        if (m->jumps) {
            char sp[48];
            if (m->jump_kmh < 0)
                snprintf(sp, sizeof sp, "同一时刻 same instant");
            else
                snprintf(sp, sizeof sp, "%.0f", m->jump_kmh);
            mon_table_rowf(t_jump, "%d\t%s\t%s\t%s\t%.1f\t%s\t%d", m->county, m->member, m->name,
                           m->jump_at, m->jump_km, sp, m->jumps);
        }
    }
    *out = d;
    return 0;
}

int attendance_write(const struct att_month *am, const struct att_rules *r, const char *dir,
                     struct error *e)
{
    struct mon_doc *d = NULL;
    char base[64];
    int rc;
    snprintf(base, sizeof base, "attendance-%04d-%02d", am->month / 100, am->month % 100);
    if (attendance_doc(am, r, &d)) return error_set(e, ERR_NOMEM, "out of memory");
    rc = mon_doc_write(d, dir, base, e);
    mon_doc_free(d);
    return rc;
}
