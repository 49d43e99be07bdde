/*
 * monitor.c — synthetic yearly registry snapshots and office files with known truth for
 * post-exit monitoring (synth.h; the rules are monitor.h's, docs/monitoring.md).
 *
 * From the synthetic province in DIR (its year is the monitoring year Y) it keeps the first
 * FEW villages of every county (small snapshots import fast) and writes three registries,
 * DIR/snapshots/Y-2, Y-1 and Y, each a valid registry folder: in the year-T folder a
 * household that exits after T has not exited yet (exit year, return, monitoring cleared), a
 * return after T has not happened, and incomes grow 10% a year. On top, by the index k of
 * each exited county (counties whose exit year is at most Y), signs are planted:
 *   k%3 == 0  slowing (85% of the households that exit in Y never exit) and target missed
 *             (the plan is one person above what was achieved; others: equal) — two signs,
 *             an interview by their number; and one non-poor village whose households that
 *             exit from Y-2 on never do (the Hunan 四 case, if it reaches 100 persons);
 *   k%3 == 1  slackening: no training session in Y (6 the year before; others the same in
 *             both years) and changing channel (2 of its 4 work-team members moved away in Y);
 *   k%3 == 2  incomes falling: 30% of exited households' incomes fall in Y (others: 3%) — one
 *             sign, no interview; and the transition cases: a member's medical insurance
 *             stops in Y in a household exited Y-3 (inside 3 years: listed) and in one exited
 *             Y-4 (outside: not), and a school-age child leaves school in a household exited
 *             Y-1 (listed).
 * DIR/monitor/ gets plans.csv, training.csv, villages.csv + roster.csv + checkins.csv (for
 * `attendance import`: the work teams) and truth.csv (per county the signs expected),
 * truth-households.csv (the transition households expected), truth-incomes.csv (every
 * exited household whose income was made to fall) and truth-villages.csv (the
 * non-poor villages with 100 or more poor persons and no work team, counted here from the
 * generated data with the rule's own definition).
 */
#include "synth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { FEW = 4 };

#define SLOW(k)   ((k) >= 0 && (k) % 3 == 0)
#define TARGET(k) SLOW(k)
#define SLACK(k)  ((k) >= 0 && (k) % 3 == 1)
#define INCOME(k) ((k) >= 0 && (k) % 3 == 2)

/* A CSV file held as rows of fields in an arena. */
struct tab {
    char **f; /* mem_realloc'd: rows * nf, strings in the arena */
    size_t nf, n, cap;
    struct arena *a;
};

static int tab_read(const char *path, struct arena *a, struct tab *t, struct error *e)
{
    struct csv *c = NULL;
    int rc;
    memset(t, 0, sizeof *t);
    t->a = a;
    if ((rc = csv_open(path, &c, e))) return rc;
    while ((rc = csv_next(c, e)) == 1) {
        if (!t->nf) t->nf = csv_nfields(c);
        if (t->n == t->cap) {
            size_t nc = t->cap ? t->cap * 2 : 256;
            char **p = mem_realloc(t->f, nc * t->nf * sizeof *p);
            if (!p) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            t->f = p, t->cap = nc;
        }
        for (size_t i = 0; i < t->nf; i++)
            if (!(t->f[t->n * t->nf + i] = arena_strdup(a, csv_field(c, i)))) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
        t->n++;
    }
out:
    csv_close(c);
    return rc < 0 ? rc : 0;
}

static char **row(const struct tab *t, size_t r)
{
    return &t->f[r * t->nf];
}

static int col(const struct tab *t, const char *name)
{
    for (size_t i = 0; i < t->nf; i++)
        if (!strcmp(t->f[i], name)) return (int)i;
    return -1;
}

static void put_row(struct strbuf *sb, char **f, size_t nf)
{
    for (size_t i = 0; i < nf; i++) {
        if (i) sb_addch(sb, ',');
        sb_add_csv(sb, f[i], strlen(f[i]));
    }
    sb_addch(sb, '\n');
}

static int save(const char *dir, const char *name, const struct strbuf *sb, struct error *e)
{
    char path[1200];
    FILE *f;
    if (sb_ok(sb)) return error_set(e, ERR_NOMEM, "out of memory");
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!(f = fopen(path, "wb"))) return error_set(e, ERR_IO, "%s: %s", path, strerror(errno));
    if (fwrite(sb->buf, 1, sb->len, f) != sb->len || fclose(f))
        return error_set(e, ERR_IO, "%s: write failed", path);
    return 0;
}

static int mkdir_p(const char *d, struct error *e)
{
    if (mkdir(d, 0777) && errno != EEXIST)
        return error_set(e, ERR_IO, "%s: %s", d, strerror(errno));
    return 0;
}

/* The row of county `code` in the counties file, 0 (the header: never exited) if absent. */
static size_t county_row(const struct tab *co, int cC, int code)
{
    for (size_t i = 1; i < co->n; i++)
        if (atoi(row(co, i)[cC]) == code) return i;
    return 0;
}

/* Small per-household random decisions: a hash of the household ID and a salt. */
static unsigned pick(uint64_t seed, const char *id, unsigned salt)
{
    return (unsigned)(rng_mix64(u64_hash_str(id, strlen(id)) ^ seed ^ (salt * 0x9e37ULL)) % 100);
}

int synth_monitor(const char *dir, uint64_t seed, int year, struct error *e)
{
    struct arena a;
    struct tab co, tw, vi, hh, me;
    struct strbuf sb = STRBUF_INIT, tr = STRBUF_INIT, th = STRBUF_INIT, tv = STRBUF_INIT;
    struct strbuf ti = STRBUF_INIT, pl = STRBUF_INIT, tn = STRBUF_INIT, rl = STRBUF_INIT,
                  vl = STRBUF_INIT;
    char path[1200], mdir[1100], sdir[1100];
    int rc, ncounty = 0;
    const char *hunan = NULL;     /* the village planted for Hunan 四 */
    int *exited_k = NULL;         /* per county row: its index among exited counties, or -1 */
    unsigned char *keep_v = NULL; /* per village row */
    unsigned char *keep_h = NULL; /* per household row */
    int *persons = NULL;          /* per household row */
    char **final_exit = NULL;     /* per household row: the exit year after planting */
    double *inc_prev = NULL;      /* per household row: income in Y-1 (NaN-free: -1 none) */
    struct u64map hidx;           /* household id hash -> row + 1 */
    int cC, cCexit, vCode, vPoor, hId, hVil, hReg, hIy, hEy, hRet, hRy, hMon, hInc;
    int mHh, mBirth, mSchool, mMed, tCode;
    memset(&co, 0, sizeof co), memset(&tw, 0, sizeof tw), memset(&vi, 0, sizeof vi);
    memset(&hh, 0, sizeof hh), memset(&me, 0, sizeof me);
    arena_init(&a, 0);
    u64map_init(&hidx);
#define READ(t, name)                                                                              \
    do {                                                                                           \
        snprintf(path, sizeof path, "%s/%s", dir, name);                                           \
        if ((rc = tab_read(path, &a, &t, e))) goto out;                                            \
    } while (0)
    READ(co, "counties.csv");
    READ(tw, "townships.csv");
    READ(vi, "villages.csv");
    READ(hh, "households.csv");
    READ(me, "members.csv");
#undef READ
    cC = col(&co, "code"), cCexit = col(&co, "exit_year");
    vCode = col(&vi, "code"), vPoor = col(&vi, "poor");
    hId = col(&hh, "household_id"), hVil = col(&hh, "village"), hReg = col(&hh, "registered");
    hIy = col(&hh, "identified_year"), hEy = col(&hh, "exit_year"), hRet = col(&hh, "returned");
    hRy = col(&hh, "return_year"), hMon = col(&hh, "monitored"), hInc = col(&hh, "income");
    mHh = col(&me, "household_id"), mBirth = col(&me, "birth_date");
    mSchool = col(&me, "in_school"), mMed = col(&me, "medical_insurance");
    tCode = col(&tw, "code");
    if (cC < 0 || cCexit < 0 || vCode < 0 || vPoor < 0 || hId < 0 || hVil < 0 || hReg < 0 ||
        hIy < 0 || hEy < 0 || hRet < 0 || hRy < 0 || hMon < 0 || hInc < 0 || mHh < 0 ||
        mBirth < 0 || mSchool < 0 || mMed < 0 || tCode < 0) {
        rc = error_set(e, ERR_PARSE, "%s: not a synthetic registry (a column is missing)", dir);
        goto out;
    }
    exited_k = mem_calloc(co.n + 1, sizeof *exited_k);
    keep_v = mem_calloc(vi.n + 1, 1);
    keep_h = mem_calloc(hh.n + 1, 1);
    persons = mem_calloc(hh.n + 1, sizeof *persons);
    final_exit = mem_calloc(hh.n + 1, sizeof *final_exit);
    inc_prev = mem_calloc(hh.n + 1, sizeof *inc_prev);
    if (!exited_k || !keep_v || !keep_h || !persons || !final_exit || !inc_prev) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    /* exited counties and their planted roles */
    exited_k[0] = -1;
    for (size_t r = 1; r < co.n; r++) {
        const char *ey = row(&co, r)[cCexit];
        exited_k[r] = *ey && atoi(ey) <= year ? ncounty++ : -1;
    }
#define COUNTY_ROW(code) county_row(&co, cC, (code))
    /* the first FEW villages of each county */
    {
        int last = 0, per = 0;
        for (size_t r = 1; r < vi.n; r++) {
            int county = (int)(atoll(row(&vi, r)[vCode]) / 1000000);
            if (county != last) last = county, per = 0;
            keep_v[r] = per++ < FEW;
        }
    }
    /* households of kept villages; persons per household */
    {
        struct u64map vk;
        u64map_init(&vk);
        for (size_t r = 1; r < vi.n; r++)
            if (keep_v[r] && u64map_put(&vk, (uint64_t)atoll(row(&vi, r)[vCode]), r, NULL) < 0) {
                u64map_release(&vk);
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
        for (size_t r = 1; r < hh.n; r++) {
            const char *id = row(&hh, r)[hId];
            keep_h[r] = u64map_get(&vk, (uint64_t)atoll(row(&hh, r)[hVil])) != NULL;
            if (keep_h[r] && u64map_put(&hidx, u64_hash_str(id, strlen(id)), r, NULL) < 0) {
                u64map_release(&vk);
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
        }
        u64map_release(&vk);
    }
    for (size_t r = 1; r < me.n; r++) {
        const char *id = row(&me, r)[mHh];
        uint64_t *h = u64map_get(&hidx, u64_hash_str(id, strlen(id)));
        if (h) persons[*h]++;
    }
    /* the Hunan 四 village: the second kept village of the first slowing county, if non-poor */
    {
        int per = 0, last = 0;
        for (size_t r = 1; r < vi.n && !hunan; r++) {
            int county = (int)(atoll(row(&vi, r)[vCode]) / 1000000);
            if (!keep_v[r] || !SLOW(exited_k[COUNTY_ROW(county)])) continue;
            if (county != last) last = county, per = 0;
            if (per++ >= 1 && !strcmp(row(&vi, r)[vPoor], "0")) hunan = row(&vi, r)[vCode];
        }
    }
    /* plant per household: final exit year (slowing), Y-1 income (falling) */
    sb_adds(&ti, "household_id,county\n");
    for (size_t r = 1; r < hh.n; r++) {
        char **f = row(&hh, r);
        int county = (int)(atoll(f[hVil]) / 1000000), k = exited_k[COUNTY_ROW(county)];
        final_exit[r] = f[hEy];
        if (!keep_h[r]) continue;
        if (SLOW(k) && *f[hEy] && atoi(f[hEy]) == year && !strcmp(f[hRet], "0") &&
            pick(seed, f[hId], 1) < 85)
            final_exit[r] = (char *)"";
        if (hunan && !strcmp(f[hVil], hunan) && *f[hEy] && atoi(f[hEy]) >= year - 2 &&
            !strcmp(f[hRet], "0") && !strcmp(f[hMon], "0"))
            final_exit[r] = (char *)"";
        inc_prev[r] = -1;
        if (*f[hInc]) {
            double inc = atof(f[hInc]);
            int exited_before = *final_exit[r] && atoi(final_exit[r]) < year &&
                                !strcmp(f[hRet], "0") && !strcmp(f[hReg], "1");
            unsigned share = INCOME(k) ? 30 : 3;
            int fall = k >= 0 && exited_before && pick(seed, f[hId], 2) < share;
            inc_prev[r] = fall ? inc * 1.2 + 10 : inc / 1.1;
            if (fall) sb_addf(&ti, "%s,%d\n", f[hId], county);
        }
    }
    snprintf(sdir, sizeof sdir, "%s/snapshots", dir);
    if ((rc = mkdir_p(sdir, e))) goto out;
    /* the transition cases, chosen in the incomes county: by exit year, first found */
    {
        const char *t_in = NULL, *t_out = NULL, *t_school = NULL;
        size_t m_in = 0, m_out = 0, m_school = 0;
        for (size_t r = 1; r < me.n; r++) {
            char **m = row(&me, r);
            uint64_t *h = u64map_get(&hidx, u64_hash_str(m[mHh], strlen(m[mHh])));
            char **f;
            int county, ey, by;
            if (!h) continue;
            f = row(&hh, *h);
            county = (int)(atoll(f[hVil]) / 1000000);
            if (!INCOME(exited_k[COUNTY_ROW(county)]) || !*final_exit[*h] || strcmp(f[hRet], "0") ||
                strcmp(f[hReg], "1"))
                continue;
            ey = atoi(final_exit[*h]);
            by = atoi(m[mBirth]);
            if (!t_in && ey == year - 3 && !strcmp(m[mMed], "1"))
                t_in = m[mHh], m_in = r;
            else if (!t_out && ey == year - 4 && !strcmp(m[mMed], "1"))
                t_out = m[mHh], m_out = r;
            else if (!t_school && ey == year - 1 && by >= year - 14 && by <= year - 7 &&
                     !strcmp(m[mSchool], "1"))
                t_school = m[mHh], m_school = r;
        }
        sb_adds(&th, "household_id,case,listed\n");
        if (t_in) sb_addf(&th, "%s,medical insurance stopped 3 years after exit,1\n", t_in);
        if (t_out) sb_addf(&th, "%s,medical insurance stopped 4 years after exit,0\n", t_out);
        if (t_school) sb_addf(&th, "%s,school-age child left school,1\n", t_school);
        /* write the three snapshots */
        for (int t = year - 2; t <= year; t++) {
            char ydir[1200];
            snprintf(ydir, sizeof ydir, "%s/%d", sdir, t);
            if ((rc = mkdir_p(ydir, e))) goto out;
            sb_reset(&sb);
            for (size_t r = 0; r < co.n; r++) put_row(&sb, row(&co, r), co.nf);
            if ((rc = save(ydir, "counties.csv", &sb, e))) goto out;
            sb_reset(&sb);
            {
                struct u64map tk;
                u64map_init(&tk);
                for (size_t r = 1; r < vi.n; r++)
                    if (keep_v[r] && u64map_put(&tk, (uint64_t)(atoll(row(&vi, r)[vCode]) / 1000),
                                                1, NULL) < 0) {
                        u64map_release(&tk);
                        rc = error_set(e, ERR_NOMEM, "out of memory");
                        goto out;
                    }
                for (size_t r = 0; r < tw.n; r++)
                    if (!r || u64map_get(&tk, (uint64_t)atoll(row(&tw, r)[tCode])))
                        put_row(&sb, row(&tw, r), tw.nf);
                u64map_release(&tk);
            }
            if ((rc = save(ydir, "townships.csv", &sb, e))) goto out;
            sb_reset(&sb);
            for (size_t r = 0; r < vi.n; r++)
                if (!r || keep_v[r]) put_row(&sb, row(&vi, r), vi.nf);
            if ((rc = save(ydir, "villages.csv", &sb, e))) goto out;
            sb_reset(&sb);
            put_row(&sb, row(&hh, 0), hh.nf);
            for (size_t r = 1; r < hh.n; r++) {
                char *f[64], inc[32];
                char **o = row(&hh, r);
                if (!keep_h[r] || hh.nf > 64) continue;
                memcpy(f, o, hh.nf * sizeof *f);
                f[hEy] = final_exit[r];
                if (!*f[hEy] || atoi(f[hEy]) > t) {
                    f[hEy] = (char *)"", f[hRet] = (char *)"0", f[hRy] = (char *)"";
                    f[hMon] = (char *)"0";
                } else if (*f[hRy] && atoi(f[hRy]) > t)
                    f[hRet] = (char *)"0", f[hRy] = (char *)"";
                if (*o[hInc] && t < year) {
                    double v = inc_prev[r];
                    for (int k = t; k < year - 1; k++) v /= 1.1;
                    snprintf(inc, sizeof inc, "%.0f", v);
                    f[hInc] = inc;
                }
                put_row(&sb, f, hh.nf);
            }
            if ((rc = save(ydir, "households.csv", &sb, e))) goto out;
            sb_reset(&sb);
            put_row(&sb, row(&me, 0), me.nf);
            for (size_t r = 1; r < me.n; r++) {
                char *f[64];
                char **o = row(&me, r);
                if (!u64map_get(&hidx, u64_hash_str(o[mHh], strlen(o[mHh]))) || me.nf > 64)
                    continue;
                memcpy(f, o, me.nf * sizeof *f);
                if (t == year && (r == m_in || r == m_out)) f[mMed] = (char *)"0";
                if (t == year && r == m_school) f[mSchool] = (char *)"0";
                put_row(&sb, f, me.nf);
            }
            if ((rc = save(ydir, "members.csv", &sb, e))) goto out;
        }
    }
    /* office files, the work teams and the truth */
    snprintf(mdir, sizeof mdir, "%s/monitor", dir);
    if ((rc = mkdir_p(mdir, e))) goto out;
    sb_adds(&pl, "county,year,planned\n");
    sb_adds(&tn, "county,date,title,participants\n");
    sb_adds(&vl, "village,name,county,latitude,longitude,radius_m\n");
    sb_adds(&rl, "member,name,village,role,from,to,left_for\n");
    sb_adds(&tr, "county,slowing,target_missed,income_falling,slack_training,slack_team,"
                 "interview\n");
    {
        long seq = 0;
        for (size_t r = 1; r < co.n; r++) {
            int county = atoi(row(&co, r)[cC]), k = exited_k[r], nv = 0;
            long achieved = 0;
            int sessions = 4 + (int)(rng_mix64(seed ^ (uint64_t)county) % 5);
            if (k < 0) continue;
            for (size_t h = 1; h < hh.n; h++) {
                char **f = row(&hh, h);
                if (keep_h[h] && atoll(f[hVil]) / 1000000 == county && !strcmp(f[hReg], "1") &&
                    *final_exit[h] && atoi(final_exit[h]) == year && !strcmp(f[hRet], "0"))
                    achieved += persons[h];
            }
            sb_addf(&pl, "%d,%d,%ld\n", county, year, achieved + TARGET(k));
            for (int y = year - 1; y <= year; y++) {
                int n = y == year && SLACK(k) ? 0 : y == year - 1 && SLACK(k) ? 6 : sessions;
                for (int i = 0; i < n; i++)
                    sb_addf(&tn, "%d,%d-%02d-15,脱贫攻坚业务培训第%d期,%d\n", county, y, 1 + i % 12,
                            i + 1, 30 + i);
            }
            /* work teams: the first village (two for slackening), two members each */
            for (size_t v = 1; v < vi.n && nv < (SLACK(k) ? 2 : 1); v++) {
                char **f = row(&vi, v);
                if (!keep_v[v] || atoll(f[vCode]) / 1000000 != county) continue;
                nv++;
                sb_addf(&vl, "%s,%s,%d,30.0,117.0,1000\n", f[vCode], f[col(&vi, "name")], county);
                for (int i = 0; i < 2; i++) {
                    int moved = SLACK(k) && i == 0; /* one of each village's two moves away */
                    seq++;
                    if (moved)
                        sb_addf(&rl, "M%05ld,队员%ld,%s,队员,%d-01-01,%d-06-30,防汛工作队\n", seq,
                                seq, f[vCode], year - 2, year);
                    else
                        sb_addf(&rl, "M%05ld,队员%ld,%s,队员,%d-01-01,,\n", seq, seq, f[vCode],
                                year - 2);
                }
            }
            {
                int slow = SLOW(k), tgt = TARGET(k), inc = INCOME(k), trn = SLACK(k),
                    team = SLACK(k);
                int signs = slow + tgt + inc + (trn || team);
                sb_addf(&tr, "%d,%d,%d,%d,%d,%d,%d\n", county, slow, tgt, inc, trn, team,
                        signs >= 2 || trn || team);
            }
        }
    }
    /* Hunan 四 truth: non-poor villages with >= 100 poor persons at the end of Y, no team */
    sb_adds(&tv, "village,poor_persons\n");
    for (size_t v = 1; v < vi.n; v++) {
        char **f = row(&vi, v);
        long poor = 0;
        int team = 0;
        if (!keep_v[v] || strcmp(f[vPoor], "0")) continue;
        for (size_t h = 1; h < hh.n; h++) {
            char **g = row(&hh, h);
            if (keep_h[h] && !strcmp(g[hVil], f[vCode]) && !strcmp(g[hReg], "1") &&
                (!*final_exit[h] || !strcmp(g[hRet], "1")))
                poor += persons[h];
        }
        team = strstr(rl.buf, f[vCode]) != NULL; /* every team member serves on 31 Dec but one */
        if (poor >= 100 && !team) sb_addf(&tv, "%s,%ld\n", f[vCode], poor);
    }
    sb_reset(&sb);
    sb_adds(&sb, "member,time,latitude,longitude,source\n");
    if ((rc = save(mdir, "plans.csv", &pl, e)) || (rc = save(mdir, "training.csv", &tn, e)) ||
        (rc = save(mdir, "villages.csv", &vl, e)) || (rc = save(mdir, "roster.csv", &rl, e)) ||
        (rc = save(mdir, "checkins.csv", &sb, e)) || (rc = save(mdir, "truth.csv", &tr, e)) ||
        (rc = save(mdir, "truth-households.csv", &th, e)) ||
        (rc = save(mdir, "truth-villages.csv", &tv, e)) ||
        (rc = save(mdir, "truth-incomes.csv", &ti, e)))
        goto out;
    rc = 0;
out:
    u64map_release(&hidx);
    mem_free(co.f), mem_free(tw.f), mem_free(vi.f), mem_free(hh.f), mem_free(me.f);
    mem_free(exited_k), mem_free(keep_v), mem_free(keep_h), mem_free(persons);
    mem_free(final_exit), mem_free(inc_prev);
    sb_release(&sb), sb_release(&tr), sb_release(&th), sb_release(&tv);
    sb_release(&ti), sb_release(&pl), sb_release(&tn), sb_release(&rl), sb_release(&vl);
    arena_release(&a);
    return rc;
}

int synth_bulletin(const char *dir, uint64_t seed, int yyyymm, struct error *e)
{
    /* Shaanxi's 各市(区) and a few provincial departments (names only; the scores are drawn) */
    static const char *const cities[] = {"西安市", "铜川市", "宝鸡市", "咸阳市",
                                         "渭南市", "延安市", "汉中市", "榆林市",
                                         "安康市", "商洛市", "杨凌示范区"};
    static const char *const depts[] = {"省扶贫办", "省发展改革委", "省教育厅", "省财政厅",
                                        "省住房城乡建设厅", "省卫生健康委", "省民政厅",
                                        "省人力资源社会保障厅"};
    struct strbuf sb = STRBUF_INIT;
    int rc, m = yyyymm;
    int months[3];
    if (m % 100 < 1 || m % 100 > 12) return error_set(e, ERR_INVALID, "month %d is not YYYYMM", m);
    for (int k = 2; k >= 0; k--) {
        months[k] = m;
        m = m % 100 == 1 ? (m / 100 - 1) * 100 + 12 : m - 1;
    }
    sb_adds(&sb, "month,unit,kind,score\n");
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < sizeof cities / sizeof *cities; i++) {
            struct rng r;
            rng_stream(&r, seed + 0x62756c6cULL, 'C' + (uint64_t)k * 256, i);
            sb_addf(&sb, "%04d-%02d,%s,city,%.1f\n", months[k] / 100, months[k] % 100, cities[i],
                    60 + 40 * rng_u(&r));
        }
        for (size_t i = 0; i < sizeof depts / sizeof *depts; i++) {
            struct rng r;
            rng_stream(&r, seed + 0x62756c6cULL, 'D' + (uint64_t)k * 256, i);
            sb_addf(&sb, "%04d-%02d,%s,department,%.1f\n", months[k] / 100, months[k] % 100,
                    depts[i], 60 + 40 * rng_u(&r));
        }
    }
    if ((rc = mkdir_p(dir, e))) goto out;
    rc = save(dir, "bulletin.csv", &sb, e);
out:
    sb_release(&sb);
    return rc;
}
