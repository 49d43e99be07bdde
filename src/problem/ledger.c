/*
 * ledger.c — where each problem stands, read back from its moves (problem.h): the problem
 * list's last seven columns, and the rectification ledger (整改台账) with overdue items per
 * county and per responsible unit.
 *
 * Everything here is derived from problems + problem_moves in row order; nothing is stored.
 * Moves made after the `asof` day are not counted, so the ledger can be read as it stood on any
 * day. The deadline in force is the one set by the last move that set one (rectification, or a
 * sending-back or reopening with a new deadline). Timing follows DESIGN §8.1: "X日前" means by
 * the end of day X (§6.4: the bound is included), so a rectification on the deadline day is in
 * time and a problem becomes overdue the day after.
 */
#include "problem.h"

#include <string.h>

void problem_progress_free(struct problem_progress *p, size_t n)
{
    if (!p) return;
    for (size_t i = 0; i < n; i++) {
        mem_free(p[i].measures);
        mem_free(p[i].responsible_unit);
        mem_free(p[i].responsible_person);
        mem_free(p[i].result);
        mem_free(p[i].dismissal);
    }
    mem_free(p);
}

static int set_text(char **dst, const char *v)
{
    char *d;
    if (!*v) return 0;
    d = mem_strdup(v);
    if (!d) return ERR_NOMEM;
    mem_free(*dst);
    *dst = d;
    return 0;
}

static int day_of(const char *s)
{
    int d;
    return parse_date(s, &d) ? 0 : d;
}

int problem_progress_list(struct store *s, const char *round, int asof,
                          struct problem_progress **out, size_t *n, struct error *e)
{
    struct stmt *ps = NULL, *ms = NULL, *rs = NULL;
    struct problem_progress *v = NULL;
    size_t nv = 0, cap = 0;
    int rc;
    if (!asof) asof = date_today();
    *out = NULL;
    *n = 0;
    rc = store_prepare(s,
                       "SELECT p.row_no, p.county, p.status, p.found_on FROM problems p JOIN"
                       " samples s ON s.row_no = p.sample WHERE s.name = ? ORDER BY p.row_no",
                       &ps, e);
    if (!rc)
        rc = store_prepare(s,
                           "SELECT to_state, on_day, note, deadline, measures, responsible_unit,"
                           " responsible_person, result FROM problem_moves WHERE problem = ?"
                           " ORDER BY row_no",
                           &ms, e);
    if (rc) goto out;
    /* drawn for recheck (recheck.c); a store from before those tables has no draws */
    if (store_prepare(s, "SELECT count(*) FROM recheck_units WHERE problem = ?", &rs, NULL))
        rs = NULL;
    stmt_bind_text(ps, 1, round, strlen(round));
    while ((rc = stmt_step(ps, e)) == STORE_ROW) {
        struct problem_progress *p;
        int st;
        if (nv == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct problem_progress *nvp = mem_realloc(v, nc * sizeof *nvp);
            if (!nvp) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            v = nvp, cap = nc;
        }
        p = &v[nv++];
        memset(p, 0, sizeof *p);
        p->id = stmt_int(ps, 0);
        p->county = (int)stmt_int(ps, 1);
        st = problem_state_parse(stmt_text(ps, 2));
        p->state = st < 0 ? PS_CANDIDATE : (enum problem_state)st;
        p->found_on = day_of(stmt_text(ps, 3));
        stmt_reset(ms);
        stmt_bind_int(ms, 1, p->id);
        while ((rc = stmt_step(ms, e)) == STORE_ROW) {
            int to = problem_state_parse(stmt_text(ms, 0)), on = day_of(stmt_text(ms, 1));
            if (to < 0 || (on && on > asof)) continue; /* not yet made on the asof day */
            if (to == PS_RECTIFYING && p->state >= PS_RECTIFIED) p->reopened++;
            p->state = (enum problem_state)to;
            if (*stmt_text(ms, 3)) p->deadline = day_of(stmt_text(ms, 3));
            if (set_text(&p->measures, stmt_text(ms, 4)) ||
                set_text(&p->responsible_unit, stmt_text(ms, 5)) ||
                set_text(&p->responsible_person, stmt_text(ms, 6)) ||
                set_text(&p->result, stmt_text(ms, 7)) ||
                (to == PS_DISMISSED && set_text(&p->dismissal, stmt_text(ms, 2)))) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            if (to == PS_RECTIFIED) {
                p->rectified_on = on;
                p->late = p->deadline && on > p->deadline;
            }
            if (to == PS_RECTIFYING) p->rectified_on = p->closed_on = p->rechecked_on = 0;
            if (to == PS_CLOSED) p->closed_on = on;
            if (to == PS_RECHECKED) p->rechecked_on = on;
        }
        if (rc < 0) goto out;
        rc = 0;
        p->verification = p->state == PS_DISMISSED                       ? "不属实"
                          : p->state >= PS_CONFIRMED && p->state != PS_DISMISSED ? "属实"
                                                                         : "待复核";
        p->overdue = p->state == PS_RECTIFYING && p->deadline && asof > p->deadline;
        if (rs) {
            stmt_reset(rs);
            stmt_bind_int(rs, 1, p->id);
            rc = stmt_step(rs, e);
            if (rc < 0) goto out;
            p->recheck_drawn = rc == STORE_ROW && stmt_int(rs, 0) > 0;
            rc = 0;
        }
        p->recheck_due = p->recheck_drawn && p->state == PS_CLOSED;
    }
    if (rc < 0) goto out;
    rc = 0;
    *out = v;
    *n = nv;
    v = NULL;
    nv = 0;
out:
    problem_progress_free(v, nv);
    stmt_finalize(ps);
    stmt_finalize(ms);
    stmt_finalize(rs);
    return rc;
}

int problem_in_ledger(const struct problem_progress *p)
{
    return p->state >= PS_FED_BACK && p->state != PS_DISMISSED;
}

const char *problem_ledger_timing(const struct problem_progress *p, const char **en)
{
    const char *zh = p->overdue ? "逾期" : p->recheck_due ? "待复查" : p->late ? "逾期完成" : "";
    if (en)
        *en = p->overdue ? "overdue" : p->recheck_due ? "due for recheck" : p->late ? "late" : "";
    return zh;
}

static void put_day(FILE *f, int d)
{
    if (d) fprintf(f, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
    else fputs("-", f);
}

/* One line of the per-county or per-unit summary. */
struct tally {
    char key[128];
    int64_t open, overdue, done, late, closed;
};

static struct tally *tally_of(struct tally **t, size_t *n, size_t *cap, const char *key)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*t)[i].key, key)) return &(*t)[i];
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct tally *nt = mem_realloc(*t, nc * sizeof *nt);
        if (!nt) return NULL;
        *t = nt, *cap = nc;
    }
    memset(&(*t)[*n], 0, sizeof **t);
    snprintf((*t)[*n].key, sizeof (*t)[*n].key, "%s", key);
    return &(*t)[(*n)++];
}

static int add_tally(struct tally **t, size_t *n, size_t *cap, const char *key,
                     const struct problem_progress *p)
{
    struct tally *x = tally_of(t, n, cap, key);
    if (!x) return ERR_NOMEM;
    if (p->state == PS_RECTIFYING) x->open++;
    x->overdue += p->overdue;
    if (p->state >= PS_RECTIFIED && p->state != PS_DISMISSED) x->done++;
    x->late += p->late;
    x->closed += p->state == PS_CLOSED || p->state == PS_RECHECKED;
    return 0;
}

static void print_tally(FILE *f, const char *title, const struct tally *t, size_t n)
{
    fprintf(f, "\n%s\n%-28s %8s %8s %8s %8s %8s\n", title, "", "整改中", "逾期", "已整改",
            "逾期完成", "已销号");
    fprintf(f, "%-28s %8s %8s %8s %8s %8s\n", "", "open", "overdue", "done", "late", "closed");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%-28s %8lld %8lld %8lld %8lld %8lld\n", t[i].key, (long long)t[i].open,
                (long long)t[i].overdue, (long long)t[i].done, (long long)t[i].late,
                (long long)t[i].closed);
}

int problem_ledger_print(struct store *s, const char *round, int asof, FILE *f,
                         struct error *e)
{
    struct problem_progress *v = NULL;
    struct tally *byc = NULL, *byu = NULL;
    size_t n = 0, nc = 0, cc = 0, nu = 0, cu = 0, shown = 0;
    int rc;
    if (!asof) asof = date_today();
    rc = problem_progress_list(s, round, asof, &v, &n, e);
    if (rc) return rc;
    fprintf(f, "整改台账 Rectification ledger — round %s, as of ", round);
    put_day(f, asof);
    fprintf(f, "\n%-6s %-8s %-12s %-10s %-10s %-10s %-20s %-10s %s\n", "no.", "county", "state",
            "整改时限", "整改完成", "销号日期", "责任单位/责任人", "逾期", "整改措施 → 整改结果");
    for (size_t i = 0; i < n && !rc; i++) {
        const struct problem_progress *p = &v[i];
        char county[16];
        const char *en, *zh = problem_ledger_timing(p, &en);
        if (!problem_in_ledger(p)) continue;
        shown++;
        fprintf(f, "%-6lld %-8d %-12s ", (long long)p->id, p->county,
                problem_state_label(p->state));
        put_day(f, p->deadline);
        fputs(" ", f);
        put_day(f, p->rectified_on);
        fputs(" ", f);
        put_day(f, p->closed_on);
        fprintf(f, " %s/%s  %s%s%s  %s → %s\n", p->responsible_unit ? p->responsible_unit : "-",
                p->responsible_person ? p->responsible_person : "-", *zh ? zh : "-",
                *zh ? " " : "", en, p->measures ? p->measures : "-", p->result ? p->result : "-");
        snprintf(county, sizeof county, "%d", p->county);
        if (add_tally(&byc, &nc, &cc, county, p) ||
            add_tally(&byu, &nu, &cu, p->responsible_unit ? p->responsible_unit : "(未定 none yet)",
                      p))
            rc = error_set(e, ERR_NOMEM, "out of memory");
    }
    if (!rc) {
        size_t drawn = 0, due = 0, done = 0;
        for (size_t i = 0; i < n; i++) {
            drawn += v[i].recheck_drawn != 0;
            due += v[i].recheck_due != 0;
            done += v[i].recheck_drawn && v[i].state == PS_RECHECKED;
        }
        fprintf(f, "%zu problem(s) fed back or later, of %zu\n", shown, n);
        if (drawn)
            fprintf(f, "复查抽样 recheck sample: %zu drawn, %zu rechecked, %zu due for recheck "
                       "(待复查)\n", drawn, done, due);
        print_tally(f, "按县 By county", byc, nc);
        print_tally(f, "按责任单位 By responsible unit", byu, nu);
    }
    mem_free(byc);
    mem_free(byu);
    problem_progress_free(v, n);
    return rc;
}
