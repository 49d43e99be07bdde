/*
 * teams.c — assessment teams (plan.h; DESIGN §4 Anhui, §5 lotteries; seeds 000 and 002).
 *
 * 1. Leaders. The pool is every evaluator whose exam score reaches the plan's pass mark
 *    (seed 000: only those who pass take part). Each team is led by a city poverty-office
 *    director (seed 002): the T qualified directors with the smallest tickets of
 *    "leader|ID", at most one per city. A team's own city is its leader's.
 *    With fewer target cities than T, only as many teams as cities are formed.
 * 2. Cities. The target cities (those of the sample's counties) are dealt to the T teams,
 *    ⌊C/T⌋ each and one more for C mod T teams (Anhui: 16 cities, 13 teams, 3 teams take
 *    two). Round r: the teams taking an extra city are the smallest tickets of
 *    "round|r|extra|TEAM"; the slots (team, k) are ordered by "round|r|slot|TEAM|k", the cities
 *    by "round|r|city|CITY", and the i-th city goes to the i-th slot. A round that gives a team
 *    its own city is rejected and round r+1 drawn. Every balanced assignment is equally
 *    likely in a round, so the accepted one is uniform over the valid assignments.
 * 3. Members. A team has base_size + per_county × (counties of its cities) members: its
 *    leader, a deputy from a provincial department (seed 002: 省直单位处级干部), and the rest
 *    drawn by the tickets "member|TEAM|ID" from the qualified pool, nobody from a city the team
 *    assesses (provincial-department cadres represent the province and are exempt: the
 *    provincial departments sit in the capital, yet seed 002 gives every team, the capital's
 *    included, a provincial deputy) and nobody twice: first experienced county/township/village cadres, then other
 *    experienced evaluators until every household pair can have an experienced member
 *    ("old with new", seed 000), then local cadres until they are at least local_share of the
 *    team (seed 002: ≥ 60% county/township/village), then anyone. Pairs match an experienced
 *    member with a new one where possible.
 * A rule the pool cannot satisfy is an error naming the rule and the team; nothing is stored.
 */
#include "plan_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct evaluator {
    char id[48];
    int home_city;
    char level[16], position[16];
    int experienced;
    double score;
    int used;
    int team;
};

static int cmp_u64key(const void *a, const void *b)
{
    const struct {
        uint64_t key;
        char t[TICKET_MAX];
        size_t i;
    } *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return strcmp(x->t, y->t);
}

struct tk {
    uint64_t key;
    char t[TICKET_MAX];
    size_t i;
};

/* Orders 0..n-1 by tickets of ids produced by fmt(i). */
static int order_by(const char seed_hex[65], size_t n, struct tk *out,
                    void (*id)(void *ctx, size_t i, char *buf, size_t size), void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        char buf[160];
        id(ctx, i, buf, sizeof buf);
        ticket_of(seed_hex, buf, out[i].t);
        out[i].key = ticket_key(out[i].t);
        out[i].i = i;
    }
    qsort(out, n, sizeof *out, cmp_u64key);
    return 0;
}

struct idctx {
    int round;
    const int *cities;
    const int *slot_team, *slot_k;
};

static void id_extra(void *c, size_t i, char *buf, size_t size)
{
    snprintf(buf, size, "round|%d|extra|%zu", ((struct idctx *)c)->round, i + 1);
}
static void id_slot(void *c, size_t i, char *buf, size_t size)
{
    struct idctx *x = c;
    snprintf(buf, size, "round|%d|slot|%d|%d", x->round, x->slot_team[i] + 1, x->slot_k[i]);
}
static void id_city(void *c, size_t i, char *buf, size_t size)
{
    struct idctx *x = c;
    snprintf(buf, size, "round|%d|city|%d", x->round, x->cities[i]);
}

int teams_assign_cities(const char seed_hex[65], const int *cities, size_t nc, const int *home,
                        size_t nt, int *assign, struct error *e)
{
    struct tk *tt = mem_alloc((nt + 1) * sizeof *tt), *ts = mem_alloc((nc + 1) * sizeof *ts),
              *tc = mem_alloc((nc + 1) * sizeof *tc);
    int *slot_team = mem_alloc((nc + 1) * sizeof *slot_team);
    int *slot_k = mem_alloc((nc + 1) * sizeof *slot_k);
    int *extra = mem_alloc((nt + 1) * sizeof *extra);
    int rc = ERR_INVALID;
    if (!tt || !ts || !tc || !slot_team || !slot_k || !extra) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    if (nt == 0) {
        rc = error_set(e, ERR_INVALID, "rule: at least one team is needed");
        goto out;
    }
    for (int round = 1; round <= 10000; round++) {
        struct idctx x = {round, cities, slot_team, slot_k};
        size_t base = nc / nt, more = nc % nt, ns = 0;
        int ok = 1;
        order_by(seed_hex, nt, tt, id_extra, &x);
        memset(extra, 0, nt * sizeof *extra);
        for (size_t k = 0; k < more; k++) extra[tt[k].i] = 1;
        for (size_t t = 0; t < nt; t++)
            for (size_t k = 1; k <= base + (size_t)extra[t]; k++) {
                slot_team[ns] = (int)t;
                slot_k[ns++] = (int)k;
            }
        order_by(seed_hex, ns, ts, id_slot, &x);
        order_by(seed_hex, nc, tc, id_city, &x);
        for (size_t i = 0; i < nc; i++) {
            int team = slot_team[ts[i].i];
            assign[tc[i].i] = team;
            if (home[team] == cities[tc[i].i]) ok = 0;
        }
        if (ok) {
            rc = round;
            goto out;
        }
    }
    rc = error_set(e, ERR_INVALID, "rule: no team may assess its own city — 10000 lottery "
                                   "rounds found no valid assignment");
out:
    mem_free(tt);
    mem_free(ts);
    mem_free(tc);
    mem_free(slot_team);
    mem_free(slot_k);
    mem_free(extra);
    return rc;
}

/* ------------------------------------------------------------------ the whole draw */

struct tctx {
    struct evaluator *ev;
    size_t nev;
};

static void id_leader(void *c, size_t i, char *buf, size_t size)
{
    snprintf(buf, size, "leader|%s", ((struct tctx *)c)->ev[i].id);
}

struct mctx {
    struct evaluator *ev;
    int team;
};
static void id_member(void *c, size_t i, char *buf, size_t size)
{
    struct mctx *m = c;
    snprintf(buf, size, "member|%d|%s", m->team + 1, m->ev[i].id);
}

/* Provincial-department cadres represent the province, not the city they live in (seed 002:
 * each team's deputy is one of them, the team assessing the capital included), so the
 * own-city rule does not apply to them. */
static int province_staff(const struct evaluator *v)
{
    return !strcmp(v->level, "province");
}

static int is_local(const struct evaluator *v)
{
    return !strcmp(v->level, "county") || !strcmp(v->level, "township") ||
           !strcmp(v->level, "village");
}

struct member {
    size_t ev;
    char role[12];
    int pair;
    char ticket[TICKET_MAX];
};

int teams_draw(struct store *s, const char *sample, const char *seed, struct error *e)
{
    struct plan p;
    int64_t srow;
    struct stmt *st = NULL;
    struct evaluator *ev = NULL;
    size_t nev = 0, cap = 0;
    int cities[512], ccount[512];
    size_t nc = 0;
    char seed_hex[65];
    struct tk *order = NULL;
    size_t *leaders = NULL;
    int *home = NULL, *assign = NULL;
    struct member **mem = NULL;
    size_t *nmem = NULL;
    int rc, round = 0, nt;
    struct audit_writer w;

    rc = sample_plan(s, sample, &p, NULL, 0, &srow, e);
    if (rc) return rc;
    if (!p.teams.enabled) {
        rc = error_set(e, ERR_INVALID, "plan %s has no teams section", p.id);
        goto out;
    }
    nt = p.teams.teams;
    {
        int64_t existing = 0;
        struct stmt *q;
        rc = store_prepare(s, "SELECT count(*) FROM teams WHERE sample = ?", &q, e);
        if (rc) goto out;
        stmt_bind_int(q, 1, srow);
        if (stmt_step(q, e) == STORE_ROW) existing = stmt_int(q, 0);
        stmt_finalize(q);
        if (existing) {
            rc = error_set(e, ERR_EXISTS, "teams for sample %s are drawn already", sample);
            goto out;
        }
    }
    /* target cities and their county counts */
    rc = store_prepare(s, "SELECT county / 100, count(*) FROM sample_units WHERE sample = ? AND"
                          " stage = 'county' GROUP BY county / 100 ORDER BY 1",
                       &st, e);
    if (rc) goto out;
    stmt_bind_int(st, 1, srow);
    while ((rc = stmt_step(st, e)) == STORE_ROW && nc < 512) {
        cities[nc] = (int)stmt_int(st, 0);
        ccount[nc++] = (int)stmt_int(st, 1);
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) goto out;
    /* the qualified pool */
    rc = store_prepare(s, "SELECT evaluator_id, home_city, unit_level, position, experienced,"
                          " exam_score FROM evaluators ORDER BY evaluator_id",
                       &st, e);
    if (rc) goto out;
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct evaluator *v;
        if (stmt_double(st, 5) < p.teams.pass_mark) continue;
        if (nev == cap) {
            size_t c2 = cap ? cap * 2 : 256;
            struct evaluator *q = mem_realloc(ev, c2 * sizeof *q);
            if (!q) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            ev = q, cap = c2;
        }
        v = &ev[nev++];
        memset(v, 0, sizeof *v);
        snprintf(v->id, sizeof v->id, "%s", stmt_text(st, 0));
        v->home_city = (int)stmt_int(st, 1);
        snprintf(v->level, sizeof v->level, "%s", stmt_text(st, 2));
        snprintf(v->position, sizeof v->position, "%s", stmt_text(st, 3));
        v->experienced = (int)stmt_int(st, 4);
        v->score = stmt_double(st, 5);
        v->team = -1;
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) goto out;
    if (!nc) {
        rc = error_set(e, ERR_INVALID, "sample %s has no counties", sample);
        goto out;
    }
    /* a team without a city to assess is not formed (a small province, a test registry) */
    if ((size_t)nt > nc) nt = (int)nc;
    ticket_seed_hex(seed, seed_hex);
    order = mem_alloc((nev + 1) * sizeof *order);
    leaders = mem_alloc((size_t)nt * sizeof *leaders);
    home = mem_alloc((size_t)nt * sizeof *home);
    assign = mem_alloc((nc + 1) * sizeof *assign);
    mem = mem_calloc((size_t)nt, sizeof *mem);
    nmem = mem_calloc((size_t)nt, sizeof *nmem);
    if (!order || !leaders || !home || !assign || !mem || !nmem) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    /* 1. leaders: qualified city poverty-office directors, one per city */
    {
        struct tctx tc = {ev, nev};
        int got = 0;
        order_by(seed_hex, nev, order, id_leader, &tc);
        for (size_t k = 0; k < nev && got < nt; k++) {
            struct evaluator *v = &ev[order[k].i];
            int dup = 0;
            if (strcmp(v->position, "director") || strcmp(v->level, "city")) continue;
            for (int j = 0; j < got; j++) dup |= home[j] == v->home_city;
            if (dup) continue;
            leaders[got] = order[k].i;
            home[got] = v->home_city;
            v->used = 1;
            v->team = got;
            got++;
        }
        if (got < nt) {
            rc = error_set(e, ERR_INVALID,
                           "rule: each team is led by a qualified city poverty-office director "
                           "(seed 002), one per city: the pool has %d for %d teams",
                           got, nt);
            goto out;
        }
    }
    /* 2. the city lottery */
    round = teams_assign_cities(seed_hex, cities, nc, home, (size_t)nt, assign, e);
    if (round < 0) {
        rc = round;
        goto out;
    }
    /* 3. members, team by team */
    for (int t = 0; t < nt; t++) {
        int counties = 0, size, need_local, pairs, have_local = 0, have_exp = 0;
        struct mctx mc = {ev, t};
        size_t cnt = 0;
        for (size_t c = 0; c < nc; c++)
            if (assign[c] == t) counties += ccount[c];
        size = p.teams.base_size + p.teams.per_county * counties;
        need_local = (int)ceil(p.teams.local_share * size - 1e-9);
        pairs = (size - p.teams.base_size) / 2;
        mem[t] = mem_calloc((size_t)size + 1, sizeof *mem[t]);
        if (!mem[t]) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        mem[t][cnt].ev = leaders[t];
        snprintf(mem[t][cnt].role, sizeof mem[t][cnt].role, "leader");
        cnt++;
        order_by(seed_hex, nev, order, id_member, &mc);
        for (int step = 0; step < 5 && (int)cnt < size; step++) {
            for (size_t k = 0; k < nev && (int)cnt < size; k++) {
                struct evaluator *v = &ev[order[k].i];
                int bad = v->used, take;
                for (size_t c = 0; c < nc && !bad && !province_staff(v); c++)
                    bad = assign[c] == t && cities[c] == v->home_city;
                if (bad) continue;
                switch (step) {
                case 0: /* the deputy: a provincial-department cadre */
                    take = !strcmp(v->level, "province") && !strcmp(v->position, "division");
                    break;
                case 1: take = p.teams.pair_experienced && v->experienced && is_local(v) &&
                               have_exp < pairs && have_local < need_local;
                    break;
                case 2: take = p.teams.pair_experienced && v->experienced && have_exp < pairs;
                    break;
                case 3: take = is_local(v) && have_local < need_local; break;
                default: take = 1;
                }
                if (!take) continue;
                v->used = 1;
                v->team = t;
                mem[t][cnt].ev = order[k].i;
                snprintf(mem[t][cnt].role, sizeof mem[t][cnt].role, "%s",
                         step == 0 ? "deputy" : "member");
                snprintf(mem[t][cnt].ticket, sizeof mem[t][cnt].ticket, "%s", order[k].t);
                cnt++;
                have_local += is_local(v);
                if (step > 0) have_exp += v->experienced;
                if (step == 0) break; /* one deputy */
            }
            if (step == 0 && cnt < 2) {
                rc = error_set(e, ERR_INVALID,
                               "rule: team %d needs a deputy from a provincial department "
                               "(seed 002) who is not from the cities it assesses: none is left "
                               "in the qualified pool",
                               t + 1);
                goto out;
            }
        }
        if ((int)cnt < size) {
            rc = error_set(e, ERR_INVALID,
                           "rule: team %d needs %d members (the number follows its %d "
                           "counties, seed 002) but only %zu qualified evaluators are left who "
                           "are not from its cities",
                           t + 1, size, counties, cnt);
            goto out;
        }
        if (have_local < need_local) {
            rc = error_set(e, ERR_INVALID,
                           "rule: at least %.0f%% of team %d must be county/township/village "
                           "cadres (seed 002): the pool gives %d of %d",
                           p.teams.local_share * 100, t + 1, have_local, need_local);
            goto out;
        }
        if (p.teams.pair_experienced && have_exp < pairs) {
            rc = error_set(e, ERR_INVALID,
                           "rule: each household pair of team %d needs an experienced member "
                           "(seed 000: old with new): %d experienced for %d pairs",
                           t + 1, have_exp, pairs);
            goto out;
        }
        /* pairs: experienced with new first */
        {
            size_t idx[1024], ne = 0, nn = 0, exp_[512], new_[512];
            int pair = 0;
            for (size_t k = 2; k < cnt && k < 1024; k++) {
                if (ev[mem[t][k].ev].experienced && ne < 512) exp_[ne++] = k;
                else if (nn < 512) new_[nn++] = k;
            }
            (void)idx;
            while (pair < pairs) {
                size_t a, b;
                if (ne && nn) a = exp_[--ne], b = new_[--nn];
                else if (ne >= 2) a = exp_[--ne], b = exp_[--ne];
                else if (nn >= 2) a = new_[--nn], b = new_[--nn];
                else break;
                pair++;
                mem[t][a].pair = mem[t][b].pair = pair;
            }
            /* the unpaired member keeps contact with the assessed localities (联系人) */
            for (size_t k = 2; k < cnt; k++)
                if (!mem[t][k].pair) snprintf(mem[t][k].role, sizeof mem[t][k].role, "liaison");
        }
        nmem[t] = cnt;
    }
    /* 4. store */
    rc = store_begin(s, e);
    if (rc) goto out;
    rc = audit_writer_begin(&w, s, "teams", "sample, team, home_city, seed, draw_round", e);
    for (int t = 0; t < nt && !rc; t++) {
        w.v[1] = rv_int(srow);
        w.v[2] = rv_int(t + 1);
        w.v[3] = rv_int(home[t]);
        w.v[4] = rv_text(seed, strlen(seed));
        w.v[5] = rv_int(round);
        rc = audit_writer_row(&w, e);
    }
    if (!rc) rc = audit_writer_commit(&w, "teams draw", sample, NULL, e);
    else audit_writer_abort(&w);
    if (!rc) {
        rc = audit_writer_begin(&w, s, "team_cities", "sample, team, city, counties", e);
        for (size_t c = 0; c < nc && !rc; c++) {
            w.v[1] = rv_int(srow);
            w.v[2] = rv_int(assign[c] + 1);
            w.v[3] = rv_int(cities[c]);
            w.v[4] = rv_int(ccount[c]);
            rc = audit_writer_row(&w, e);
        }
        if (!rc) rc = audit_writer_commit(&w, "teams draw", sample, NULL, e);
        else audit_writer_abort(&w);
    }
    if (!rc) {
        rc = audit_writer_begin(&w, s, "team_members", "sample, team, evaluator, role, pair, ticket",
                                e);
        for (int t = 0; t < nt && !rc; t++)
            for (size_t k = 0; k < nmem[t] && !rc; k++) {
                struct member *m = &mem[t][k];
                w.v[1] = rv_int(srow);
                w.v[2] = rv_int(t + 1);
                w.v[3] = rv_text(ev[m->ev].id, strlen(ev[m->ev].id));
                w.v[4] = rv_text(m->role, strlen(m->role));
                w.v[5] = rv_int(m->pair);
                w.v[6] = rv_text(m->ticket, strlen(m->ticket));
                rc = audit_writer_row(&w, e);
            }
        if (!rc) rc = audit_writer_commit(&w, "teams draw", sample, NULL, e);
        else audit_writer_abort(&w);
    }
    if (rc) store_rollback(s);
    else rc = store_commit(s, e);
out:
    stmt_finalize(st);
    if (mem)
        for (int t = 0; t < nt; t++) mem_free(mem[t]);
    mem_free(mem);
    mem_free(nmem);
    mem_free(ev);
    mem_free(order);
    mem_free(leaders);
    mem_free(home);
    mem_free(assign);
    plan_release(&p);
    return rc;
}

int teams_show(struct store *s, const char *sample, FILE *f, struct error *e)
{
    struct stmt *t = NULL, *c = NULL, *m = NULL;
    int64_t srow;
    struct plan p;
    int rc = sample_plan(s, sample, &p, NULL, 0, &srow, e);
    if (rc) return rc;
    plan_release(&p);
    rc = store_prepare(s, "SELECT team, home_city, draw_round FROM teams WHERE sample = ? ORDER BY team",
                       &t, e);
    if (!rc)
        rc = store_prepare(s, "SELECT city, counties FROM team_cities WHERE sample = ? AND team = ?"
                              " ORDER BY city",
                           &c, e);
    if (!rc)
        rc = store_prepare(s, "SELECT tm.role, tm.pair, e.name, e.home_city, e.unit_level,"
                              " e.position, e.experienced, e.exam_score FROM team_members tm"
                              " LEFT JOIN evaluators e ON e.evaluator_id = tm.evaluator WHERE"
                              " tm.sample = ? AND tm.team = ? ORDER BY tm.row_no",
                           &m, e);
    if (rc) goto out;
    stmt_bind_int(t, 1, srow);
    while ((rc = stmt_step(t, e)) == STORE_ROW) {
        int team = (int)stmt_int(t, 0), n = 0, local = 0, exp = 0;
        struct strbuf line = STRBUF_INIT;
        if (team == 1) fprintf(f, "teams of sample %s (lottery round %lld)\n", sample,
                               (long long)stmt_int(t, 2));
        stmt_reset(c);
        stmt_bind_int(c, 1, srow);
        stmt_bind_int(c, 2, team);
        while (stmt_step(c, NULL) == STORE_ROW)
            sb_addf(&line, "%s%lld (%lld counties)", line.len ? ", " : "",
                    (long long)stmt_int(c, 0), (long long)stmt_int(c, 1));
        fprintf(f, "\n第%d组 team %d  own city %lld  assesses: %s\n", team, team,
                (long long)stmt_int(t, 1), sb_ok(&line) ? "" : line.buf);
        sb_release(&line);
        stmt_reset(m);
        stmt_bind_int(m, 1, srow);
        stmt_bind_int(m, 2, team);
        while (stmt_step(m, NULL) == STORE_ROW) {
            struct strbuf nm = STRBUF_INIT;
            const char *lvl = stmt_text(m, 4);
            mask_name(&nm, stmt_text(m, 2));
            fprintf(f, "  %-7s pair %-3lld %-8s city %lld  %-9s %-9s %s score %.0f\n",
                    stmt_text(m, 0), (long long)stmt_int(m, 1), sb_ok(&nm) ? "" : nm.buf,
                    (long long)stmt_int(m, 3), lvl, stmt_text(m, 5),
                    stmt_int(m, 6) ? "experienced" : "new        ", stmt_double(m, 7));
            sb_release(&nm);
            n++;
            local += !strcmp(lvl, "county") || !strcmp(lvl, "township") || !strcmp(lvl, "village");
            exp += (int)stmt_int(m, 6);
        }
        fprintf(f, "  %d members, %d local cadres (%.0f%%), %d experienced\n", n, local,
                n ? 100.0 * local / n : 0.0, exp);
    }
    rc = rc < 0 ? rc : 0;
out:
    stmt_finalize(t);
    stmt_finalize(c);
    stmt_finalize(m);
    return rc;
}

const char *teams_label(int team, char buf[12])
{
    if (team) snprintf(buf, 12, "%d", team);
    else buf[0] = '-', buf[1] = '\0';
    return buf;
}
