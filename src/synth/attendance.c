/*
 * attendance.c — synthetic village work-team attendance with known truth (synth.h; the rule
 * is monitor.h's, docs/monitoring.md).
 *
 * Reads the synthetic registry's villages.csv in DIR, takes up to PER_COUNTY villages of each
 * county, gives each two or three work-team members and writes DIR/attendance/: villages.csv
 * (locations), roster.csv, checkins.csv for one month, and truth.csv — per member the class
 * the generator gave it and the counts the rules must find (days in the village, day visits,
 * under 20, 走读, 挂虚名, impossible movement).
 *
 * Each member's month is planned day by day first (in the village overnight, a day visit, or
 * away at home 30–60 km off), then written as check-ins: a day in the village has a morning
 * check-in inside the radius (07:00–11:59; once exactly 11:59) and an evening one (18:00–
 * 22:00; once exactly 18:00); a day visit has check-ins inside only between 12:00 and 17:59
 * (one exactly at 12:00 and 17:59, both outside the windows); an away day has check-ins at
 * home or just outside the village radius (1.3–1.8 radii: near is not in). Consecutive
 * check-ins never imply a speed above 100 km/h except the one planned jump of a "jumper"
 * (300 km in the hour after its morning check-in). Classes: normal (20–26 days), bound20 (exactly
 * 20), bound19 (exactly 19), under (8–18), visitor (0–6 days, 8–15 day visits), ghost (never in the
 * village), jumper (20–24 days and one jump), part (joined on the 15th: not assessed).
 */
#include "synth.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

enum { PER_COUNTY = 8, MAX_VILLAGES = 4000 };

struct sv {
    int64_t code;
    int county;
    char name[64];
};

enum cls { C_NORMAL, C_BOUND20, C_BOUND19, C_UNDER, C_VISITOR, C_GHOST, C_JUMPER, C_PART, C_N };
static const char *const cls_name[C_N] = {"normal",  "bound20", "bound19", "under",
                                          "visitor", "ghost",   "jumper",  "part"};

static int mdays(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0)) return 29;
    return d[m - 1];
}

/* A point `m` metres from (lat, lon) in direction `ang` (radians). */
static void offset(double lat, double lon, double m, double ang, double *olat, double *olon)
{
    const double rad = 3.14159265358979323846 / 180.0;
    *olat = lat + (m * cos(ang)) / 111195.0;
    *olon = lon + (m * sin(ang)) / (111195.0 * cos(lat * rad));
}

static void ck(struct strbuf *sb, const char *member, int y, int mo, int d, int hh, int mm,
               double lat, double lon, const char *src)
{
    sb_addf(sb, "%s,%04d-%02d-%02d %02d:%02d,%.6f,%.6f,%s\n", member, y, mo, d, hh, mm, lat, lon,
            src);
}

static int write_file(const char *dir, const char *name, const struct strbuf *sb, struct error *e)
{
    char path[1200];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (sb_ok(sb)) return error_set(e, ERR_NOMEM, "out of memory");
    if (!(f = fopen(path, "wb"))) return error_set(e, ERR_IO, "%s: %s", path, strerror(errno));
    if (fwrite(sb->buf, 1, sb->len, f) != sb->len) {
        fclose(f);
        return error_set(e, ERR_IO, "%s: write failed", path);
    }
    if (fclose(f)) return error_set(e, ERR_IO, "%s: write failed", path);
    return 0;
}

static int read_villages(const char *dir, struct sv **out, size_t *n, struct error *e)
{
    static const struct csv_column cols[] = {{"code", "村代码", 1}, {"name", "村名", 1}};
    char path[1200];
    struct csv *c = NULL;
    int idx[2], rc, last = 0, per = 0;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    snprintf(path, sizeof path, "%s/villages.csv", dir);
    if ((rc = csv_open(path, &c, e))) return rc;
    if ((rc = csv_next(c, e)) <= 0) {
        if (!rc) rc = error_at(e, ERR_PARSE, path, 1, 0, "empty file");
        goto out;
    }
    if ((rc = csv_map_header(c, cols, 2, idx, NULL, e))) goto out;
    while ((rc = csv_next(c, e)) == 1 && *n < MAX_VILLAGES) {
        int64_t code, county;
        if (parse_int64(csv_field(c, (size_t)idx[0]), &code) || code < 110000000000LL) {
            rc = error_at(e, ERR_PARSE, path, csv_line(c), 0, "bad village code or county");
            goto out;
        }
        county = code / 1000000; /* a village code begins with its county's */
        if ((int)county != last) last = (int)county, per = 0;
        if (per++ >= PER_COUNTY) continue;
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct sv *p = mem_realloc(*out, nc * sizeof *p);
            if (!p) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            *out = p, cap = nc;
        }
        (*out)[*n].code = code;
        (*out)[*n].county = (int)county;
        snprintf((*out)[*n].name, sizeof(*out)[*n].name, "%s", csv_field(c, (size_t)idx[1]));
        utf8_trim((*out)[*n].name);
        (*n)++;
    }
    if (rc < 0) goto out;
    rc = 0;
out:
    csv_close(c);
    return rc;
}

enum { D_AWAY = 0, D_IN = 1, D_VISIT = 2 };

int synth_attendance(const char *dir, uint64_t seed, int yyyymm, struct error *e)
{
    static const char *const sur[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴"};
    static const char *const giv[] = {"伟", "芳", "敏", "静", "强", "磊", "军", "洋", "勇", "艳"};
    struct sv *vs = NULL;
    size_t nv = 0;
    struct strbuf vf = STRBUF_INIT, rf = STRBUF_INIT, cf = STRBUF_INIT, tf = STRBUF_INIT;
    char adir[1100];
    int y = yyyymm / 100, mo = yyyymm % 100, nd, rc;
    long seq = 0;
    if (mo < 1 || mo > 12) return error_set(e, ERR_INVALID, "month %d is not YYYYMM", yyyymm);
    nd = mdays(y, mo);
    if ((rc = read_villages(dir, &vs, &nv, e))) goto out;
    snprintf(adir, sizeof adir, "%s/attendance", dir);
    if (mkdir(adir, 0777) && errno != EEXIST) {
        rc = error_set(e, ERR_IO, "%s: %s", adir, strerror(errno));
        goto out;
    }
    sb_adds(&vf, "village,name,county,latitude,longitude,radius_m\n");
    sb_adds(&rf, "member,name,village,role,from,to,left_for\n");
    sb_adds(&cf, "member,time,latitude,longitude,source\n");
    sb_adds(&tf, "member,county,village,class,days,visit_days,under,day_visitor,ghost,jumps,"
                 "assessed\n");
    for (size_t i = 0; i < nv; i++) {
        struct rng r;
        double vlat, vlon, radius;
        int nmem;
        rng_stream(&r, seed + 0x61747464ULL, 'V', (uint64_t)i);
        vlat = 29.5 + 4 * rng_u(&r);
        vlon = 115.0 + 4 * rng_u(&r);
        radius = 800 + 100 * rng_int(&r, 0, 7);
        sb_addf(&vf, "%lld,%s,%d,%.6f,%.6f,%.0f\n", (long long)vs[i].code, vs[i].name, vs[i].county,
                vlat, vlon, radius);
        nmem = rng_int(&r, 2, 3);
        for (int k = 0; k < nmem; k++) {
            unsigned char plan[32];
            char member[32];
            enum cls cl;
            int days = 0, visits = 0, target_in, target_visit, jump_day = 0;
            double hlat, hlon, hang = 2 * 3.14159265358979 * rng_u(&r);
            seq++;
            snprintf(member, sizeof member, "W%05ld", seq);
            /* the first members of a run cover every class; then a mix */
            if (seq <= C_N)
                cl = (enum cls)(seq - 1);
            else {
                double u = rng_u(&r);
                cl = u < 0.55   ? C_NORMAL
                     : u < 0.70 ? C_UNDER
                     : u < 0.78 ? C_VISITOR
                     : u < 0.84 ? C_GHOST
                     : u < 0.90 ? C_JUMPER
                     : u < 0.95 ? C_BOUND19
                                : C_BOUND20;
            }
            offset(vlat, vlon, 30000 + 30000 * rng_u(&r), hang, &hlat, &hlon);
            sb_addf(&rf, "%s,%s%s,%lld,%s,%04d-%02d-%s,,\n", member, sur[rng_int(&r, 0, 9)],
                    giv[rng_int(&r, 0, 9)], (long long)vs[i].code, k ? "队员" : "第一书记",
                    cl == C_PART ? y : y - 1, cl == C_PART ? mo : 1, cl == C_PART ? "15" : "01");
            switch (cl) {
            case C_NORMAL:
                target_in = rng_int(&r, 20, 26), target_visit = rng_int(&r, 0, 2);
                break;
            case C_BOUND20:
                target_in = 20, target_visit = 0;
                break;
            case C_BOUND19:
                target_in = 19, target_visit = 1;
                break;
            case C_UNDER:
                target_in = rng_int(&r, 8, 18), target_visit = rng_int(&r, 1, 3);
                break;
            case C_VISITOR:
                target_in = rng_int(&r, 0, 6), target_visit = rng_int(&r, 8, 15);
                break;
            case C_GHOST:
                target_in = 0, target_visit = 0;
                break;
            case C_JUMPER:
                target_in = rng_int(&r, 20, 24), target_visit = 0;
                break;
            default:
                target_in = rng_int(&r, 10, 14), target_visit = 0;
                break;
            }
            /* plan: the first target_in of a shuffled order of days in, then day visits */
            {
                int order[31];
                for (int d = 0; d < nd; d++) order[d] = d + 1;
                for (int d = nd - 1; d > 0; d--) {
                    int j = rng_int(&r, 0, d), t = order[d];
                    order[d] = order[j], order[j] = t;
                }
                memset(plan, D_AWAY, sizeof plan);
                for (int d = 0; d < nd; d++) {
                    if (d < target_in)
                        plan[order[d]] = D_IN;
                    else if (d < target_in + target_visit)
                        plan[order[d]] = D_VISIT;
                }
                if (cl == C_JUMPER) jump_day = order[0];
            }
            for (int d = 1; d <= nd; d++) {
                double a = 2 * 3.14159265358979 * rng_u(&r), lat, lon;
                const char *src = rng_bern(&r, 0.8) ? "GPS" : "APP";
                if (cl == C_PART && d < 15) continue; /* not yet on the team */
                if (plan[d] == D_IN) {
                    int first = cl == C_BOUND20 && days == 0;
                    int hh = first ? 11 : rng_int(&r, 7, 10), mm = first ? 59 : rng_int(&r, 0, 59);
                    offset(vlat, vlon, radius * 0.6 * rng_u(&r), a, &lat, &lon);
                    ck(&cf, member, y, mo, d, hh, mm, lat, lon, src);
                    if (d == jump_day) { /* 300 km an hour after the morning check-in */
                        double jlat, jlon;
                        offset(vlat, vlon, 300000, a, &jlat, &jlon);
                        ck(&cf, member, y, mo, d, hh + 1, mm, jlat, jlon, "APP");
                    } else if (rng_bern(&r, 0.3)) {
                        offset(vlat, vlon, radius * 0.6 * rng_u(&r), a + 1, &lat, &lon);
                        ck(&cf, member, y, mo, d, 14, rng_int(&r, 0, 59), lat, lon, src);
                    }
                    offset(vlat, vlon, radius * 0.6 * rng_u(&r), a + 2, &lat, &lon);
                    ck(&cf, member, y, mo, d, first ? 18 : rng_int(&r, 18, 21),
                       first ? 0 : rng_int(&r, 0, 59), lat, lon, src);
                    days++;
                } else if (plan[d] == D_VISIT) {
                    int edge = visits == 0;
                    offset(hlat, hlon, 500 * rng_u(&r), a, &lat, &lon);
                    ck(&cf, member, y, mo, d, 6, rng_int(&r, 0, 30), lat, lon, src);
                    offset(vlat, vlon, radius * 0.6 * rng_u(&r), a, &lat, &lon);
                    ck(&cf, member, y, mo, d, 12, edge ? 0 : rng_int(&r, 10, 59), lat, lon, src);
                    offset(vlat, vlon, radius * 0.6 * rng_u(&r), a + 1, &lat, &lon);
                    ck(&cf, member, y, mo, d, 17, edge ? 59 : rng_int(&r, 0, 30), lat, lon, src);
                    offset(hlat, hlon, 500 * rng_u(&r), a, &lat, &lon);
                    ck(&cf, member, y, mo, d, 22, rng_int(&r, 0, 59), lat, lon, src);
                    visits++;
                } else if (rng_bern(&r, 0.5)) {
                    /* away: at home, or (near is not in) just outside the village radius */
                    if (cl != C_GHOST && rng_bern(&r, 0.3)) {
                        offset(vlat, vlon, radius * (1.3 + 0.5 * rng_u(&r)), a, &lat, &lon);
                        ck(&cf, member, y, mo, d, 9, rng_int(&r, 0, 59), lat, lon, src);
                        offset(vlat, vlon, radius * (1.3 + 0.5 * rng_u(&r)), a, &lat, &lon);
                        ck(&cf, member, y, mo, d, 20, rng_int(&r, 0, 59), lat, lon, src);
                    } else {
                        offset(hlat, hlon, 500 * rng_u(&r), a, &lat, &lon);
                        ck(&cf, member, y, mo, d, 9, rng_int(&r, 0, 59), lat, lon, src);
                    }
                }
            }
            sb_addf(&tf, "%s,%d,%lld,%s,%d,%d,%d,%d,%d,%d,%d\n", member, vs[i].county,
                    (long long)vs[i].code, cls_name[cl], days, visits, days < 20, cl == C_VISITOR,
                    cl == C_GHOST, cl == C_JUMPER, cl != C_PART);
        }
    }
    if ((rc = write_file(adir, "villages.csv", &vf, e))) goto out;
    if ((rc = write_file(adir, "roster.csv", &rf, e))) goto out;
    if ((rc = write_file(adir, "checkins.csv", &cf, e))) goto out;
    rc = write_file(adir, "truth.csv", &tf, e);
out:
    mem_free(vs);
    sb_release(&vf);
    sb_release(&rf);
    sb_release(&cf);
    sb_release(&tf);
    return rc;
}
