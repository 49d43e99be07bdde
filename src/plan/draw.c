/*
 * draw.c — the sampling engine (plan.h, docs/sampling.md): counties, villages, households,
 * projects, with substitutions, census groups and inclusion probabilities.
 *
 * Every random choice is a ticket of a canonical unit id "STAGE|STRATUM|PARENT|ID" (so
 * every stage and stratum has its own independent order) or of a start id
 * "start|STAGE|STRATUM|PARENT[|attempt]". Stages, in order:
 *
 *   county    per province, the eligible counties; all of them (π = 1) or the n smallest
 *             tickets, n = max(min, round-half-up(fraction·N)), π = n/N. Covert-visit
 *             counties: the smallest `covert` tickets among the eligible counties not drawn.
 *   village   per county, either every township with per_key/per_other villages (smallest
 *             tickets, π = k/N within the township), or the plan's strata in order: equal
 *             probability (smallest tickets, π = k/N) or randomised systematic πps by size
 *             with certainty units (π exact). With the distinct-township rule the strata are
 *             drawn in order, each unit by successive sampling among the units whose
 *             township is still free (equal probability: the next smallest ticket; πps: draw
 *             k takes the unit where u·W falls in the cumulative sizes in ticket order, u from
 *             the ticket of draw|village|STRATUM|COUNTY|k); π is exact, by a recursion over
 *             the sets of townships used (village_pi_exact). A plan that asks for it
 *             (`monte_carlo`: R), or a stage too large for the recursion, gets π by
 *             repeating the village stage with seeds SEED|mc|1..R instead (Fattorini:
 *             π̂ = (hits+1)/(R+1), with its Monte-Carlo error).
 *   household per sampled village: census households (returned, edge, monitored as the plan
 *             says) with π = 1; each quota stratum (census households excluded) gives its n
 *             smallest tickets; shortfalls, in plan order, continue down each fallback
 *             stratum's own list; a stratum from which k of N units were taken (own quota
 *             plus units lent) has π = k/N; the next `reserve` units are listed as reserves
 *             (skipping households the village-group census surveys anyway).
 *             Village-group census: in `group_census` sampled villages of a stratum (smallest
 *             tickets among its sampled villages) one group (smallest ticket) is surveyed
 *             whole; every household of a village of that stratum then has
 *             π = 1 − (1 − π_quota)(1 − π_group), π_group = (g/m)·(1/groups).
 *   project   per county the smallest tickets among all of its projects (seed 002: 县级抽查4个
 *             项目 — village-level ones included), per sampled village among its projects; paired-assistance counties also draw cooperation
 *             projects and, per project, registered households of the project's village.
 *
 * Invariants: the result depends only on (plan, seed, frame contents); frames are never
 * iterated in provider order where order matters — units are sorted by ticket, and every
 * floating-point sum is taken in ticket order.
 */
#include "plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ draw buffers */

void draw_init(struct draw *d)
{
    memset(d, 0, sizeof *d);
}

void draw_release(struct draw *d)
{
    mem_free(d->sels);
    mem_free(d->notes);
    memset(d, 0, sizeof *d);
}

static struct sel *push_sel(struct draw *d)
{
    if (d->nsels == d->capsels) {
        size_t cap = d->capsels ? d->capsels * 2 : 256;
        struct sel *p = mem_realloc(d->sels, cap * sizeof *p);
        if (!p) return NULL;
        d->sels = p, d->capsels = cap;
    }
    memset(&d->sels[d->nsels], 0, sizeof d->sels[0]);
    return &d->sels[d->nsels++];
}

static struct stratum_note *push_note(struct draw *d, const char *stage, const char *stratum,
                                      const char *parent, int county)
{
    struct stratum_note *n;
    if (d->nnotes == d->capnotes) {
        size_t cap = d->capnotes ? d->capnotes * 2 : 64;
        struct stratum_note *p = mem_realloc(d->notes, cap * sizeof *p);
        if (!p) return NULL;
        d->notes = p, d->capnotes = cap;
    }
    n = &d->notes[d->nnotes++];
    memset(n, 0, sizeof *n);
    snprintf(n->stage, sizeof n->stage, "%s", stage);
    snprintf(n->stratum, sizeof n->stratum, "%s", stratum);
    snprintf(n->parent, sizeof n->parent, "%s", parent);
    n->county = county;
    return n;
}

/* ------------------------------------------------------------------ ranking */

struct ranked {
    size_t idx;       /* index into the caller's units */
    uint64_t key;     /* ticket_key */
    const char *ticket; /* arena */
};

static int cmp_ranked(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return strcmp(x->ticket, y->ticket);
}

/* Tickets for ids[0..n) under seed_hex, sorted ascending. Arrays and strings in the arena. */
static struct ranked *rank_ids(struct arena *a, const char *seed_hex, char *const *ids, size_t n)
{
    struct ranked *r = arena_alloc(a, (n ? n : 1) * sizeof *r);
    if (!r) return NULL;
    for (size_t i = 0; i < n; i++) {
        char t[TICKET_MAX];
        ticket_of(seed_hex, ids[i], t);
        r[i].idx = i;
        r[i].key = ticket_key(t);
        r[i].ticket = arena_strdup(a, t);
        if (!r[i].ticket) return NULL;
    }
    qsort(r, n, sizeof *r, cmp_ranked);
    return r;
}

/* ------------------------------------------------------------------ context */

struct dctx {
    const struct plan *p;
    const struct frame_source *src;
    const char *seed;
    char seed_hex[65];
    struct draw *d;
    struct arena a; /* per county */
    struct error *e;
    int progress;
};

static const char *cat_name(enum hh_category c)
{
    return category_code(c);
}

/* Fills the common fields of a selection. */
static struct sel *add(struct dctx *c, const char *stage, const char *stratum, const char *parent,
                       const char *unit, const char *code, int county, int64_t village)
{
    struct sel *s = push_sel(c->d);
    if (!s) return NULL;
    snprintf(s->stage, sizeof s->stage, "%s", stage);
    snprintf(s->stratum, sizeof s->stratum, "%s", stratum);
    snprintf(s->parent, sizeof s->parent, "%s", parent);
    snprintf(s->unit, sizeof s->unit, "%s", unit);
    snprintf(s->code, sizeof s->code, "%s", code);
    s->county = county;
    s->village = village;
    return s;
}

static int oom(struct dctx *c)
{
    return error_set(c->e, ERR_NOMEM, "out of memory while drawing");
}

/* ------------------------------------------------------------------ counties */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Draws the counties; writes the chosen county codes (ascending) into *out (arena of d). */
static int draw_counties(struct dctx *c, int **out, size_t *nout, struct arena *keep)
{
    const struct frame_county *fc;
    size_t n, nprov = 0;
    int provs[64];
    int rc = c->src->counties(c->src->ctx, &fc, &n, c->e);
    int *chosen;
    size_t nchosen = 0;
    if (rc) return rc;
    chosen = arena_alloc(keep, (n ? n : 1) * sizeof *chosen);
    if (!chosen) return oom(c);
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        if (!plan_county_eligible(c->p, &fc[i])) continue;
        for (size_t k = 0; k < nprov; k++) seen |= provs[k] == fc[i].province;
        if (!seen && nprov < 64) provs[nprov++] = fc[i].province;
    }
    qsort(provs, nprov, sizeof provs[0], cmp_int);
    for (size_t pi = 0; pi < nprov; pi++) {
        char prov[8], **ids, **cids;
        size_t *which, m = 0;
        struct ranked *r, *rc2;
        size_t take, ncov = 0;
        struct stratum_note *note;
        snprintf(prov, sizeof prov, "%d", provs[pi]);
        ids = arena_alloc(&c->a, (n ? n : 1) * sizeof *ids);
        cids = arena_alloc(&c->a, (n ? n : 1) * sizeof *cids);
        which = arena_alloc(&c->a, (n ? n : 1) * sizeof *which);
        if (!ids || !cids || !which) return oom(c);
        for (size_t i = 0; i < n; i++) {
            if (fc[i].province != provs[pi] || !plan_county_eligible(c->p, &fc[i])) continue;
            ids[m] = arena_printf(&c->a, "county|eligible|%s|%d", prov, fc[i].code);
            cids[m] = arena_printf(&c->a, "covert|eligible|%s|%d", prov, fc[i].code);
            if (!ids[m] || !cids[m]) return oom(c);
            which[m++] = i;
        }
        r = rank_ids(&c->a, c->seed_hex, ids, m);
        if (!r) return oom(c);
        if (c->p->county_sample) {
            double want = floor(c->p->county_fraction * (double)m + 0.5);
            take = (size_t)(want < c->p->county_min ? c->p->county_min : want);
            if (take > m) take = m;
        } else {
            take = m;
        }
        note = push_note(c->d, "county", "eligible", prov, 0);
        if (!note) return oom(c);
        note->frame = (int64_t)m;
        note->quota = (int)take;
        note->taken = (int)take;
        for (size_t k = 0; k < take; k++) {
            const struct frame_county *f = &fc[which[r[k].idx]];
            char code[16];
            struct sel *s;
            snprintf(code, sizeof code, "%d", f->code);
            s = add(c, "county", "eligible", prov, ids[r[k].idx], code, f->code, 0);
            if (!s) return oom(c);
            s->quota = (int)take;
            s->rank = (int)k + 1;
            snprintf(s->ticket, sizeof s->ticket, "%s", r[k].ticket);
            s->certainty = !c->p->county_sample;
            s->pi = m ? (double)take / (double)m : 1;
            chosen[nchosen++] = f->code;
        }
        /* covert visits: among the eligible counties not drawn */
        if (c->p->covert_max > 0 && m > take) {
            size_t want = (m >= (size_t)c->p->covert_two_from && c->p->covert_two_from > 0)
                              ? (size_t)c->p->covert_max
                              : (size_t)c->p->covert_min;
            char **rest = arena_alloc(&c->a, (m - take) * sizeof *rest);
            size_t *rw = arena_alloc(&c->a, (m - take) * sizeof *rw);
            if (!rest || !rw) return oom(c);
            for (size_t k = take; k < m; k++) {
                rest[k - take] = cids[r[k].idx];
                rw[k - take] = which[r[k].idx];
            }
            rc2 = rank_ids(&c->a, c->seed_hex, rest, m - take);
            if (!rc2) return oom(c);
            if (want > m - take) want = m - take;
            for (size_t k = 0; k < want; k++, ncov++) {
                const struct frame_county *f = &fc[rw[rc2[k].idx]];
                char code[16];
                struct sel *s;
                snprintf(code, sizeof code, "%d", f->code);
                s = add(c, "covert", "eligible", prov, rest[rc2[k].idx], code, f->code, 0);
                if (!s) return oom(c);
                s->quota = (int)want;
                s->rank = (int)k + 1;
                snprintf(s->ticket, sizeof s->ticket, "%s", rc2[k].ticket);
                s->pi = (double)want / (double)(m - take);
            }
        }
    }
    qsort(chosen, nchosen, sizeof *chosen, cmp_int);
    *out = chosen;
    *nout = nchosen;
    return 0;
}

/* ------------------------------------------------------------------ villages */

/* One chosen village of the village stage (of one replicate). */
struct vpick {
    int stratum; /* index into plan vstrata, or -1 for by-township */
    size_t idx;  /* into the county's village array */
    int rank;
    int certainty;
    const char *ticket;
    double pi; /* exact π, or -1 when Monte Carlo is needed */
};

static double vsize(const struct plan_vstratum *s, const struct frame_village *v)
{
    double m;
    if (!strcmp(s->measure, "registered_households")) m = (double)v->registered_households;
    else if (!strcmp(s->measure, "unexited_persons")) m = (double)v->unexited_persons;
    else if (!strcmp(s->measure, "population")) m = (double)v->population;
    else m = (double)v->registered_persons;
    if (m < 0) m = 0;
    return m * (1.0 + s->remoteness * v->remoteness);
}

static int township_used(const int *used, size_t nused, int t)
{
    for (size_t i = 0; i < nused; i++)
        if (used[i] == t) return 1;
    return 0;
}

/* Randomised systematic πps over r[0..m) (ticket order) with sizes x (in r's order) choosing
 * n; writes flags into sel[]. Certainty units first. Returns the number chosen. pi[] gets
 * the exact targets. */
static int systematic(const double *x, size_t m, int n, double u, unsigned char *sel, double *pi,
                      unsigned char *certain)
{
    double total;
    int left = n, chosen = 0, changed = 1;
    memset(sel, 0, m);
    memset(certain, 0, m);
    if (n <= 0 || m == 0) return 0;
    if ((size_t)n >= m) {
        for (size_t k = 0; k < m; k++) sel[k] = certain[k] = 1, pi[k] = 1;
        return (int)m;
    }
    /* certainty units: π = left·x/Σx >= 1, repeatedly */
    while (changed && left > 0) {
        changed = 0;
        total = 0;
        for (size_t k = 0; k < m; k++)
            if (!certain[k]) total += x[k];
        if (total <= 0) break;
        for (size_t k = 0; k < m; k++) {
            if (certain[k]) continue;
            if ((double)left * x[k] / total >= 1.0) {
                certain[k] = 1;
                changed = 1;
            }
        }
        if (changed) {
            left = n;
            for (size_t k = 0; k < m; k++) left -= certain[k];
        }
    }
    total = 0;
    for (size_t k = 0; k < m; k++)
        if (!certain[k]) total += x[k];
    for (size_t k = 0; k < m; k++) {
        if (certain[k]) {
            pi[k] = 1;
            sel[k] = 1;
            chosen++;
        } else {
            pi[k] = total > 0 && left > 0 ? (double)left * x[k] / total : 0;
        }
    }
    if (left <= 0) return chosen;
    if (total <= 0) { /* no sizes: fall back to the smallest tickets */
        for (size_t k = 0; k < m && left > 0; k++)
            if (!certain[k]) {
                sel[k] = 1;
                pi[k] = 1; /* unknown design: flagged by the caller's note */
                left--, chosen++;
            }
        return chosen;
    }
    {
        /* unit k is selected when some u + j (j = 0, 1, ...) lies in (prev, cum] */
        double cum = 0, prev;
        for (size_t k = 0; k < m; k++) {
            double below, upto;
            if (certain[k]) continue;
            prev = cum;
            cum += pi[k];
            below = prev >= u ? floor(prev - u) + 1 : 0;
            upto = cum >= u ? floor(cum - u) + 1 : 0;
            if (upto > below) {
                sel[k] = 1;
                chosen++;
            }
        }
    }
    return chosen;
}

/* The village stage of one county under one seed (a replicate or the real draw). Appends
 * picks to *out (arena). Returns 0 or an error. */
static int select_villages(struct dctx *c, struct arena *a, const char *seed_hex, int county,
                           const struct frame_village *v, size_t nv, struct vpick **out,
                           size_t *nout)
{
    const struct plan *p = c->p;
    struct vpick *picks = arena_alloc(a, (nv ? nv : 1) * sizeof *picks);
    int *used = arena_alloc(a, (nv ? nv : 1) * sizeof *used);
    size_t np = 0, nused = 0;
    if (!picks || !used) return oom(c);
    for (int si = 0; si < p->nvstrata; si++) {
        const struct plan_vstratum *st = &p->vstrata[si];
        char **ids = arena_alloc(a, (nv ? nv : 1) * sizeof *ids);
        size_t *which = arena_alloc(a, (nv ? nv : 1) * sizeof *which);
        size_t m = 0;
        struct ranked *r;
        if (!ids || !which) return oom(c);
        for (size_t i = 0; i < nv; i++) {
            if (st->poor >= 0 && v[i].poor != st->poor) continue;
            if (p->distinct_townships && township_used(used, nused, v[i].township)) continue;
            ids[m] = arena_printf(a, "village|%s|%d|%lld", st->name, county, (long long)v[i].code);
            if (!ids[m]) return oom(c);
            which[m++] = i;
        }
        r = rank_ids(a, seed_hex, ids, m);
        if (!r) return oom(c);
        if (!st->weighted) {
            int got = 0;
            for (size_t k = 0; k < m && got < st->n; k++) {
                const struct frame_village *fv = &v[which[r[k].idx]];
                if (p->distinct_townships && township_used(used, nused, fv->township)) continue;
                picks[np].stratum = si;
                picks[np].idx = which[r[k].idx];
                picks[np].rank = (int)k + 1;
                picks[np].certainty = m <= (size_t)st->n;
                picks[np].ticket = r[k].ticket;
                picks[np].pi = m ? (double)(m < (size_t)st->n ? m : (size_t)st->n) / (double)m : 1;
                np++;
                got++;
                if (p->distinct_townships) used[nused++] = fv->township;
            }
        } else {
            double *x = arena_alloc(a, (m ? m : 1) * sizeof *x);
            double *pi = arena_alloc(a, (m ? m : 1) * sizeof *pi);
            unsigned char *sel = arena_alloc(a, m ? m : 1), *cert = arena_alloc(a, m ? m : 1);
            if (!x || !pi || !sel || !cert) return oom(c);
            for (size_t k = 0; k < m; k++) x[k] = vsize(st, &v[which[r[k].idx]]);
            if (p->distinct_townships) {
                /* successive πps: n draws, each with probability proportional to size among
                 * the units whose township is still free (π by village_pi_exact) */
                memset(sel, 0, m);
                memset(cert, 0, m);
                for (int k = 1; k <= st->n; k++) {
                    char did[128], t[TICKET_MAX];
                    double total = 0, cum = 0, target;
                    size_t eligible = 0, last = m;
                    int pick = -1, equal;
                    for (size_t j = 0; j < m; j++) {
                        if (sel[j] || township_used(used, nused, v[which[r[j].idx]].township))
                            continue;
                        total += x[j];
                        eligible++;
                    }
                    if (!eligible) break; /* the stratum is short */
                    equal = !(total > 0); /* no sizes left: equal probability */
                    if (equal) total = (double)eligible;
                    snprintf(did, sizeof did, "draw|village|%s|%d|%d", st->name, county, k);
                    ticket_of(seed_hex, did, t);
                    target = ticket_fraction(t) * total;
                    for (size_t j = 0; j < m && pick < 0; j++) {
                        double w;
                        if (sel[j] || township_used(used, nused, v[which[r[j].idx]].township))
                            continue;
                        w = equal ? 1.0 : x[j];
                        if (w <= 0) continue;
                        last = j;
                        cum += w;
                        if (cum > target) pick = (int)j;
                    }
                    if (pick < 0) pick = (int)last; /* rounding at the very end of the range */
                    sel[pick] = 1;
                    used[nused++] = v[which[r[pick].idx]].township;
                }
                /* recorded in ticket order, like every stage; π: village_pi_exact */
                for (size_t k = 0; k < m; k++) {
                    if (!sel[k]) continue;
                    picks[np].stratum = si;
                    picks[np].idx = which[r[k].idx];
                    picks[np].rank = (int)k + 1;
                    picks[np].certainty = 0;
                    picks[np].ticket = r[k].ticket;
                    picks[np].pi = -1;
                    np++;
                }
                continue;
            }
            {
                char sid[128], t[TICKET_MAX];
                snprintf(sid, sizeof sid, "start|village|%s|%d", st->name, county);
                ticket_of(seed_hex, sid, t);
                systematic(x, m, st->n, ticket_fraction(t), sel, pi, cert);
            }
            for (size_t k = 0; k < m; k++) {
                if (!sel[k]) continue;
                picks[np].stratum = si;
                picks[np].idx = which[r[k].idx];
                picks[np].rank = (int)k + 1;
                picks[np].certainty = cert[k];
                picks[np].ticket = r[k].ticket;
                picks[np].pi = pi[k];
                np++;
            }
        }
    }
    *out = picks;
    *nout = np;
    return 0;
}

/* ------------------------------------------------------------------ exact π */

/* The distinct-township rule draws the plan's strata in order, each village by successive
 * sampling: every draw takes one unit of the stratum among those whose township is still free,
 * with probability proportional to its size (1 in an equal-probability stratum; 1 as well when
 * every free unit has size 0). What a later draw can take depends only on the set of townships
 * used so far, so the inclusion probabilities follow from a recursion over those sets:
 *
 *   P₀({}) = 1;  at draw d of stratum s, from each set S with probability P(S):
 *     W(S) = Σ_{t∉S} X_s(t)   (X_s(t): total size of stratum s's villages in township t)
 *     village v of s in a township t ∉ S is taken with probability P(S)·x_v/W(S),
 *     and S ∪ {t} is reached with P(S)·X_s(t)/W(S);  a set with no free unit passes on as is.
 *   π_v = Σ over draws and sets of P(S)·x_v/W(S).
 *
 * The sets are sorted small arrays of township indices (townships numbered by ascending code,
 * villages read in ascending code), merged after every draw in a canonical order, so π is the
 * same bit for bit for the same frame whatever the order in which the frame is served. */

#define PI_MAX_DRAWS 32
#define PI_MONTE_CARLO_DEFAULT 10000
#define PI_MAX_STATES 262144

struct pstate {
    uint16_t t[PI_MAX_DRAWS];
    uint8_t len;
    uint32_t seq;
    double p;
};

static int cmp_pstate(const void *a, const void *b)
{
    const struct pstate *x = a, *y = b;
    int c;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    c = memcmp(x->t, y->t, x->len * sizeof x->t[0]);
    if (c) return c;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static int cmp_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_vidx(const void *a, const void *b, void *ctx)
{
    const struct frame_village *v = ctx;
    int64_t x = v[*(const size_t *)a].code, y = v[*(const size_t *)b].code;
    return (x > y) - (x < y);
}

static int in_stratum(const struct plan_vstratum *st, const struct frame_village *v)
{
    return st->poor < 0 || v->poor == st->poor;
}

static double unit_size(const struct plan_vstratum *st, const struct frame_village *v)
{
    double x = st->weighted ? vsize(st, v) : 1.0;
    return x > 0 ? x : 0;
}

static int village_pi_exact(const struct plan *p, const struct frame_village *v, size_t nv, double *pi,
                     int *too_big, struct error *e)
{
    size_t *order = NULL, nt = 0, nst = 0, cap = 0, nnew = 0;
    int64_t *tcode = NULL;
    uint16_t *tof = NULL;
    double *X = NULL, *C = NULL, *accw = NULL, *accc = NULL;
    struct pstate *st = NULL, *nw = NULL;
    unsigned char *mark = NULL;
    int S = p->nvstrata, draws = 0, done = 0, rc = 0;
    *too_big = 0;
    for (int s = 0; s < S; s++) draws += p->vstrata[s].n;
    for (size_t i = 0; i < nv; i++) pi[i] = 0;
    if (draws > PI_MAX_DRAWS) {
        *too_big = 1;
        return 0;
    }
    order = mem_alloc((nv ? nv : 1) * sizeof *order);
    tcode = mem_alloc((nv ? nv : 1) * sizeof *tcode);
    tof = mem_alloc((nv ? nv : 1) * sizeof *tof);
    if (!order || !tcode || !tof) goto nomem;
    /* townships by ascending code; villages by ascending code */
    for (size_t i = 0; i < nv; i++) order[i] = i, tcode[i] = v[i].township;
    qsort_r(order, nv, sizeof *order, cmp_vidx, (void *)v);
    qsort(tcode, nv, sizeof *tcode, cmp_int64);
    for (size_t i = 0; i < nv; i++)
        if (!nt || tcode[nt - 1] != tcode[i]) tcode[nt++] = tcode[i];
    if (nt > 65535) {
        *too_big = 1;
        goto out;
    }
    for (size_t i = 0; i < nv; i++) {
        int64_t *f = bsearch(&(int64_t){v[i].township}, tcode, nt, sizeof *tcode, cmp_int64);
        tof[i] = (uint16_t)(f - tcode);
    }
    X = mem_calloc((size_t)S * nt + 1, sizeof *X);
    C = mem_calloc((size_t)S * nt + 1, sizeof *C);
    accw = mem_calloc((size_t)S * nt + 1, sizeof *accw);
    accc = mem_calloc((size_t)S * nt + 1, sizeof *accc);
    mark = mem_calloc(nt + 1, 1);
    cap = 1024;
    st = mem_alloc(cap * sizeof *st);
    nw = mem_alloc(cap * sizeof *nw);
    if (!X || !C || !accw || !accc || !mark || !st || !nw) goto nomem;
    for (int s = 0; s < S; s++)
        for (size_t k = 0; k < nv; k++) {
            const struct frame_village *fv = &v[order[k]];
            if (!in_stratum(&p->vstrata[s], fv)) continue;
            X[(size_t)s * nt + tof[order[k]]] += unit_size(&p->vstrata[s], fv);
            C[(size_t)s * nt + tof[order[k]]] += 1;
        }
    memset(&st[0], 0, sizeof st[0]);
    st[0].p = 1;
    nst = 1;
    for (int s = 0; s < S; s++) {
        const double *Xs = X + (size_t)s * nt, *Cs = C + (size_t)s * nt;
        double *aw = accw + (size_t)s * nt, *ac = accc + (size_t)s * nt;
        for (int j = 0; j < p->vstrata[s].n; j++) {
            int last = ++done == draws;
            nnew = 0;
            for (size_t q = 0; q < nst; q++) {
                const struct pstate *from = &st[q];
                double W = 0, Cn = 0;
                const double *by;
                for (int k = 0; k < from->len; k++) mark[from->t[k]] = 1;
                for (size_t t = 0; t < nt; t++)
                    if (!mark[t]) W += Xs[t], Cn += Cs[t];
                by = W > 0 ? Xs : Cs;
                if (Cn > 0 && !(W > 0)) W = Cn;
                for (size_t t = 0; t < nt && Cn > 0; t++) {
                    if (mark[t] || !(by[t] > 0)) continue;
                    if (by == Xs) aw[t] += from->p / W;
                    else ac[t] += from->p / W;
                }
                for (int k = 0; k < from->len; k++) mark[from->t[k]] = 0;
                if (last) continue;
                /* the sets reached from this one */
                for (size_t t = 0; t < nt + 1; t++) {
                    struct pstate *to;
                    int at = 0;
                    if (t < nt) {
                        int used = 0;
                        if (!(Cn > 0) || !(by[t] > 0)) continue;
                        for (int k = 0; k < from->len; k++) used |= from->t[k] == t;
                        if (used) continue;
                    } else if (Cn > 0) {
                        continue; /* a set with no free unit passes on unchanged */
                    }
                    if (nnew == cap) {
                        size_t c2 = cap * 2;
                        struct pstate *a1, *a2;
                        if (c2 > PI_MAX_STATES) {
                            *too_big = 1;
                            goto out;
                        }
                        a1 = mem_realloc(nw, c2 * sizeof *a1);
                        if (!a1) goto nomem;
                        nw = a1;
                        a2 = mem_realloc(st, c2 * sizeof *a2);
                        if (!a2) goto nomem;
                        st = a2, from = &st[q];
                        cap = c2;
                    }
                    to = &nw[nnew];
                    memset(to, 0, sizeof *to);
                    to->seq = (uint32_t)nnew;
                    nnew++;
                    if (t == nt) {
                        memcpy(to->t, from->t, sizeof to->t);
                        to->len = from->len;
                        to->p = from->p;
                        continue;
                    }
                    for (int k = 0; k < from->len; k++) {
                        if (!at && from->t[k] > t) to->t[to->len++] = (uint16_t)t, at = 1;
                        to->t[to->len++] = from->t[k];
                    }
                    if (!at) to->t[to->len++] = (uint16_t)t;
                    to->p = from->p * by[t] / W;
                }
            }
            if (last) break;
            /* merge equal sets, summing in the canonical order */
            qsort(nw, nnew, sizeof *nw, cmp_pstate);
            nst = 0;
            for (size_t q = 0; q < nnew; q++) {
                if (nst && st[nst - 1].len == nw[q].len &&
                    !memcmp(st[nst - 1].t, nw[q].t, nw[q].len * sizeof nw[q].t[0]))
                    st[nst - 1].p += nw[q].p;
                else
                    st[nst++] = nw[q];
            }
        }
    }
    for (size_t i = 0; i < nv; i++) {
        double x = 0;
        for (int s = 0; s < S; s++) {
            if (!in_stratum(&p->vstrata[s], &v[i])) continue;
            x += unit_size(&p->vstrata[s], &v[i]) * accw[(size_t)s * nt + tof[i]] +
                 accc[(size_t)s * nt + tof[i]];
        }
        pi[i] = x > 1 - 1e-12 ? 1.0 : x;
    }
    goto out;
nomem:
    rc = error_set(e, ERR_NOMEM, "out of memory computing inclusion probabilities");
out:
    mem_free(order);
    mem_free(tcode);
    mem_free(tof);
    mem_free(X);
    mem_free(C);
    mem_free(accw);
    mem_free(accc);
    mem_free(mark);
    mem_free(st);
    mem_free(nw);
    return rc;
}

static int cmp_township(const void *a, const void *b)
{
    int x = ((const struct frame_township *)a)->code, y = ((const struct frame_township *)b)->code;
    return (x > y) - (x < y);
}

/* π needs the whole village stage: the distinct-township rule ties the strata together. */
static int needs_joint_pi(const struct plan *p)
{
    return p->distinct_townships && !p->by_township && p->nvstrata > 0;
}

/* ------------------------------------------------------------------ households */

/* A household of a sampled village as the county's draw sees it. */
struct hrow {
    const struct frame_household *h; /* arena copy */
    int cat;
    int quota;      /* index of its quota stratum, -1 if none */
    int census;     /* 1 returned, 2 edge, 3 monitored */
    int chosen;     /* 1 selected (quota, substitute, census or group) */
    int reserve;    /* reserve position (1-based), 0 if not */
    int rank;
    const char *ticket;
    const char *unit;
    char substitute_for[24];
    double pi_quota;
    int group;      /* selected by the village-group census */
};

struct hvillage {
    const struct frame_village *v;
    int stratum; /* village stratum, -1 by township */
    struct hrow *rows;
    size_t n;
    double pi_group; /* π of the village-group census for every household here */
    size_t *ranked[PLAN_MAX_QUOTAS]; /* each quota stratum's rows in ticket order */
    size_t nranked[PLAN_MAX_QUOTAS];
    size_t *by_id; /* all rows in household-id order (census and group-only output) */
    size_t next[PLAN_MAX_QUOTAS]; /* each quota stratum's first untaken rank (0-based) */
};

/* The next `reserve` units of each quota stratum's own list after those taken, skipping
 * households the village-group census surveys anyway (they are in the sample already); none
 * for a quota of 0 that lent nothing. */
static void assign_reserves(const struct plan *p, struct hvillage *hv)
{
    for (int q = 0; q < p->nquotas; q++) {
        int res = 0;
        /* a stratum of quota 0 (a fallback only) lists reserves only when it stood in */
        if (p->quotas[q].n == 0 && hv->next[q] == 0) continue;
        for (size_t j = hv->next[q]; j < hv->nranked[q] && res < p->reserve; j++) {
            struct hrow *r = &hv->rows[hv->ranked[q][j]];
            if (r->group) continue;
            r->reserve = ++res;
        }
    }
}

static int cmp_row_id(const void *a, const void *b, void *rows)
{
    const struct hrow *r = rows;
    return strcmp(r[*(const size_t *)a].h->id, r[*(const size_t *)b].h->id);
}

static int draw_households(struct dctx *c, int county, struct hvillage *hv)
{
    const struct plan *p = c->p;
    const struct frame_household *fh;
    size_t n;
    char vcode[24];
    int rc = c->src->households(c->src->ctx, hv->v->code, &fh, &n, c->e);
    struct frame_household *copy;
    if (rc) return rc;
    snprintf(vcode, sizeof vcode, "%lld", (long long)hv->v->code);
    copy = arena_alloc(&c->a, (n ? n : 1) * sizeof *copy);
    hv->rows = arena_alloc(&c->a, (n ? n : 1) * sizeof *hv->rows);
    if (!copy || !hv->rows) return oom(c);
    memcpy(copy, fh, n * sizeof *copy);
    hv->n = n;
    for (size_t i = 0; i < n; i++) {
        struct hrow *r = &hv->rows[i];
        memset(r, 0, sizeof *r);
        r->h = &copy[i];
        /* the plan's one statement of the strata (plan_household_stratum) */
        r->quota = plan_household_stratum(p, &copy[i], &r->cat, &r->census);
        if (r->census) {
            r->quota = -1;
            r->chosen = 1;
            r->pi_quota = 1;
        }
    }
    {
        /* rank each quota stratum */
        struct ranked *rk[PLAN_MAX_QUOTAS];
        size_t *members[PLAN_MAX_QUOTAS], nm[PLAN_MAX_QUOTAS], pos[PLAN_MAX_QUOTAS];
        int own[PLAN_MAX_QUOTAS], lent[PLAN_MAX_QUOTAS];
        for (int q = 0; q < p->nquotas; q++) {
            char **ids = arena_alloc(&c->a, (n ? n : 1) * sizeof *ids);
            members[q] = arena_alloc(&c->a, (n ? n : 1) * sizeof *members[q]);
            if (!ids || !members[q]) return oom(c);
            nm[q] = 0;
            for (size_t i = 0; i < n; i++) {
                if (hv->rows[i].quota != q) continue;
                ids[nm[q]] = arena_printf(&c->a, "household|%s|%s|%s", p->quotas[q].name, vcode,
                                          copy[i].id);
                if (!ids[nm[q]]) return oom(c);
                members[q][nm[q]++] = i;
            }
            rk[q] = rank_ids(&c->a, c->seed_hex, ids, nm[q]);
            if (!rk[q]) return oom(c);
            hv->ranked[q] = arena_alloc(&c->a, (nm[q] ? nm[q] : 1) * sizeof *hv->ranked[q]);
            if (!hv->ranked[q]) return oom(c);
            hv->nranked[q] = nm[q];
            for (size_t k = 0; k < nm[q]; k++) {
                struct hrow *r = &hv->rows[members[q][rk[q][k].idx]];
                hv->ranked[q][k] = members[q][rk[q][k].idx];
                r->rank = (int)k + 1;
                r->ticket = rk[q][k].ticket;
                r->unit = ids[rk[q][k].idx];
            }
            own[q] = nm[q] < (size_t)p->quotas[q].n ? (int)nm[q] : p->quotas[q].n;
            pos[q] = (size_t)own[q];
            lent[q] = 0;
            for (int k = 0; k < own[q]; k++) hv->rows[members[q][rk[q][k].idx]].chosen = 1;
        }
        /* shortfalls, in plan order, down the fallbacks' own lists */
        for (int q = 0; q < p->nquotas; q++) {
            int need = p->quotas[q].n - own[q];
            struct stratum_note *note;
            for (int fi = 0; fi < p->quotas[q].nfallback && need > 0; fi++) {
                int f = p->quotas[q].fallback[fi];
                while (need > 0 && pos[f] < nm[f]) {
                    struct hrow *r = &hv->rows[members[f][rk[f][pos[f]].idx]];
                    pos[f]++;
                    r->chosen = 1;
                    snprintf(r->substitute_for, sizeof r->substitute_for, "%s",
                             p->quotas[q].name);
                    lent[f]++;
                    need--;
                }
            }
            note = push_note(c->d, "household", p->quotas[q].name, vcode, county);
            if (!note) return oom(c);
            note->frame = (int64_t)nm[q];
            note->quota = p->quotas[q].n;
            note->taken = p->quotas[q].n - need;
            note->shortfall = need;
        }
        for (int q = 0; q < p->nquotas; q++) {
            int k = own[q] + lent[q];
            for (size_t j = 0; j < nm[q]; j++) {
                struct hrow *r = &hv->rows[members[q][j]];
                r->pi_quota = nm[q] ? (double)k / (double)nm[q] : 0;
            }
            hv->next[q] = pos[q]; /* reserves: assign_reserves, after the group census */
        }
        hv->by_id = arena_alloc(&c->a, (n ? n : 1) * sizeof *hv->by_id);
        if (!hv->by_id) return oom(c);
        for (size_t i = 0; i < n; i++) hv->by_id[i] = i;
        qsort_r(hv->by_id, n, sizeof *hv->by_id, cmp_row_id, hv->rows);
        for (int q = 0; q < p->nquotas; q++) {
            /* the note of a lending stratum records what it lent */
            for (size_t ni = c->d->nnotes; ni-- > 0;) {
                struct stratum_note *no = &c->d->notes[ni];
                if (!strcmp(no->stage, "household") && !strcmp(no->parent, vcode) &&
                    !strcmp(no->stratum, p->quotas[q].name)) {
                    no->lent = lent[q];
                    break;
                }
            }
        }
    }
    return 0;
}

/* One household into the draw. group_only: in the sample through the village-group census
 * alone (stratum "group", no rank or ticket). */
static int emit_household(struct dctx *c, int county, const struct hvillage *h,
                          const struct hrow *r, int group_only)
{
    const struct plan *p = c->p;
    const char *stratum;
    char unit[160], vcode[24];
    struct sel *s;
    snprintf(vcode, sizeof vcode, "%lld", (long long)h->v->code);
    if (r->census)
        stratum = r->census == 1 ? "census_returned" : r->census == 2 ? "census_edge"
                                                                       : "census_monitored";
    else if (group_only) stratum = "group";
    else stratum = p->quotas[r->quota].name;
    if (r->unit && !r->census && !group_only) snprintf(unit, sizeof unit, "%s", r->unit);
    else snprintf(unit, sizeof unit, "household|%s|%s|%s", stratum, vcode, r->h->id);
    s = add(c, "household", stratum, vcode, unit, r->h->id, county, h->v->code);
    if (!s) return oom(c);
    if (!r->census && !group_only) {
        s->quota = p->quotas[r->quota].n;
        s->rank = r->rank;
        snprintf(s->ticket, sizeof s->ticket, "%s", r->ticket ? r->ticket : "");
        snprintf(s->substitute_for, sizeof s->substitute_for, "%s", r->substitute_for);
    }
    s->reserve = !r->chosen && !r->group;
    s->certainty = r->census != 0;
    s->pi = 1.0 - (1.0 - r->pi_quota) * (1.0 - h->pi_group);
    s->group = r->group;
    snprintf(s->category, sizeof s->category, "%s", cat_name((enum hh_category)r->cat));
    return 0;
}

/* ------------------------------------------------------------------ one county */

static int draw_county(struct dctx *c, int county)
{
    const struct plan *p = c->p;
    const struct frame_village *fv;
    size_t nv;
    struct vpick *picks = NULL;
    size_t np = 0;
    char ccode[16];
    struct hvillage *hv;
    int rc;
    double *mc_pi = NULL, *mc_se = NULL;

    snprintf(ccode, sizeof ccode, "%d", county);
    rc = c->src->villages(c->src->ctx, county, &fv, &nv, c->e);
    if (rc) return rc;
    {
        struct frame_village *copy = arena_alloc(&c->a, (nv ? nv : 1) * sizeof *copy);
        if (!copy) return oom(c);
        memcpy(copy, fv, nv * sizeof *copy);
        fv = copy;
    }
    if (p->by_township) {
        const struct frame_township *ft;
        size_t nt;
        rc = c->src->townships(c->src->ctx, county, &ft, &nt, c->e);
        if (rc) return rc;
        {
            struct frame_township *copy = arena_alloc(&c->a, (nt ? nt : 1) * sizeof *copy);
            if (!copy) return oom(c);
            memcpy(copy, ft, nt * sizeof *copy);
            qsort(copy, nt, sizeof *copy, cmp_township);
            ft = copy;
        }
        picks = arena_alloc(&c->a, (nv ? nv : 1) * sizeof *picks);
        if (!picks) return oom(c);
        for (size_t t = 0; t < nt; t++) {
            char tcode[16], **ids = arena_alloc(&c->a, (nv ? nv : 1) * sizeof *ids);
            size_t *which = arena_alloc(&c->a, (nv ? nv : 1) * sizeof *which), m = 0, take;
            int want = ft[t].key ? p->per_key : p->per_other;
            struct ranked *r;
            struct stratum_note *note;
            if (!ids || !which) return oom(c);
            snprintf(tcode, sizeof tcode, "%d", ft[t].code);
            for (size_t i = 0; i < nv; i++) {
                if (fv[i].township != ft[t].code) continue;
                ids[m] = arena_printf(&c->a, "village|township|%s|%lld", tcode,
                                      (long long)fv[i].code);
                if (!ids[m]) return oom(c);
                which[m++] = i;
            }
            r = rank_ids(&c->a, c->seed_hex, ids, m);
            if (!r) return oom(c);
            take = m < (size_t)want ? m : (size_t)want;
            note = push_note(c->d, "village", ft[t].key ? "key_township" : "township", tcode,
                             county);
            if (!note) return oom(c);
            note->frame = (int64_t)m;
            note->quota = want;
            note->taken = (int)take;
            note->shortfall = want - (int)take;
            if ((p->min_poor || p->min_nonpoor) && take < m) {
                /* 兼顾脱贫村和非贫困村 (seed 004): the township's first gp poor and gn non-poor
                 * villages in ticket order (equal probability within each kind), then the rest
                 * of its quota from all its other villages in a second, independent ticket
                 * order. π = g/K + (1 − g/K)·rest/L (K villages of the kind, L left over). */
                size_t P = 0, N = 0, gp, gn, rest, L, got = 0;
                unsigned char *chosen = arena_alloc(&c->a, m ? m : 1);
                char **ids2 = arena_alloc(&c->a, (m ? m : 1) * sizeof *ids2);
                size_t *which2 = arena_alloc(&c->a, (m ? m : 1) * sizeof *which2), m2 = 0;
                struct ranked *r2;
                if (!chosen || !ids2 || !which2) return oom(c);
                memset(chosen, 0, m);
                for (size_t k = 0; k < m; k++) {
                    if (fv[which[k]].poor) P++;
                    else N++;
                }
                gp = P < (size_t)p->min_poor ? P : (size_t)p->min_poor;
                if (gp > take) gp = take;
                gn = N < (size_t)p->min_nonpoor ? N : (size_t)p->min_nonpoor;
                if (gn > take - gp) gn = take - gp;
                rest = take - gp - gn;
                L = m - gp - gn;
                for (int kind = 1; kind >= 0; kind--) {
                    size_t g = kind ? gp : gn, K = kind ? P : N, n = 0;
                    for (size_t k = 0; k < m && n < g; k++) {
                        const struct frame_village *x = &fv[which[r[k].idx]];
                        if ((x->poor != 0) != kind) continue;
                        chosen[r[k].idx] = 1;
                        picks[np].stratum = -1;
                        picks[np].idx = which[r[k].idx];
                        picks[np].rank = (int)k + 1;
                        picks[np].ticket = r[k].ticket;
                        picks[np].pi = (double)g / (double)K +
                                       (1.0 - (double)g / (double)K) * (double)rest / (double)L;
                        picks[np].certainty = picks[np].pi >= 1.0;
                        np++;
                        n++;
                    }
                }
                for (size_t k = 0; k < m; k++) {
                    if (chosen[k]) continue;
                    ids2[m2] = arena_printf(&c->a, "village|township_rest|%s|%lld", tcode,
                                            (long long)fv[which[k]].code);
                    if (!ids2[m2]) return oom(c);
                    which2[m2++] = which[k];
                }
                r2 = rank_ids(&c->a, c->seed_hex, ids2, m2);
                if (!r2) return oom(c);
                for (size_t k = 0; k < m2 && got < rest; k++, got++) {
                    const struct frame_village *x = &fv[which2[r2[k].idx]];
                    size_t g = x->poor ? gp : gn, K = x->poor ? P : N;
                    picks[np].stratum = -1;
                    picks[np].idx = which2[r2[k].idx];
                    picks[np].rank = (int)(gp + gn + k) + 1;
                    picks[np].ticket = r2[k].ticket;
                    picks[np].pi = (double)g / (double)K +
                                   (1.0 - (double)g / (double)K) * (double)rest / (double)L;
                    picks[np].certainty = picks[np].pi >= 1.0;
                    np++;
                }
                continue;
            }
            for (size_t k = 0; k < take; k++) {
                picks[np].stratum = -1;
                picks[np].idx = which[r[k].idx];
                picks[np].rank = (int)k + 1;
                picks[np].certainty = m <= (size_t)want;
                picks[np].ticket = r[k].ticket;
                picks[np].pi = (double)take / (double)m;
                np++;
            }
        }
    } else {
        rc = select_villages(c, &c->a, c->seed_hex, county, fv, nv, &picks, &np);
        if (rc) return rc;
        if (needs_joint_pi(p)) {
            int too_big = 0;
            mc_pi = arena_alloc(&c->a, (nv ? nv : 1) * sizeof *mc_pi);
            if (!mc_pi) return oom(c);
            if (!p->mc_replicates) {
                rc = village_pi_exact(p, fv, nv, mc_pi, &too_big, c->e);
                if (rc) return rc;
            }
            if (p->mc_replicates || too_big) mc_se = arena_alloc(&c->a, (nv ? nv : 1) * sizeof *mc_se);
            if ((p->mc_replicates || too_big) && !mc_se) return oom(c);
        }
        if (mc_se) {
            /* Fattorini's Monte-Carlo inclusion probabilities: asked for by the plan
             * (`monte_carlo`), or the recursion has too many township sets */
            int R = p->mc_replicates ? p->mc_replicates : PI_MONTE_CARLO_DEFAULT;
            long *hits = arena_alloc(&c->a, (nv ? nv : 1) * sizeof *hits);
            struct progress prog;
            char label[64];
            if (!hits) return oom(c);
            memset(hits, 0, (nv ? nv : 1) * sizeof *hits);
            snprintf(label, sizeof label, "π by Monte Carlo, county %d", county);
            progress_init(&prog, label, (uint64_t)R);
            if (!c->progress) prog.enabled = 0;
            for (int i = 1; i <= R; i++) {
                struct arena ra;
                char rseed_hex[65], *rseed;
                struct vpick *rp;
                size_t nrp;
                arena_init(&ra, 1 << 16);
                rseed = arena_printf(&ra, "%s|mc|%d", c->seed, i);
                if (!rseed) {
                    arena_release(&ra);
                    return oom(c);
                }
                ticket_seed_hex(rseed, rseed_hex);
                rc = select_villages(c, &ra, rseed_hex, county, fv, nv, &rp, &nrp);
                if (!rc)
                    for (size_t k = 0; k < nrp; k++) hits[rp[k].idx]++;
                arena_release(&ra);
                if (rc) return rc;
                if ((i & 255) == 0) progress_update(&prog, (uint64_t)i, (uint64_t)i);
            }
            progress_finish(&prog, (uint64_t)R);
            for (size_t i = 0; i < nv; i++) {
                double Rd = R;
                mc_pi[i] = ((double)hits[i] + 1.0) / (Rd + 1.0);
                mc_se[i] = sqrt(mc_pi[i] * (1.0 - mc_pi[i]) / Rd);
            }
        }
        for (int si = 0; si < p->nvstrata; si++) {
            struct stratum_note *note = push_note(c->d, "village", p->vstrata[si].name, ccode,
                                                  county);
            int taken = 0;
            if (!note) return oom(c);
            for (size_t i = 0; i < nv; i++)
                if (p->vstrata[si].poor < 0 || fv[i].poor == p->vstrata[si].poor) note->frame++;
            for (size_t k = 0; k < np; k++) taken += picks[k].stratum == si;
            note->quota = p->vstrata[si].n;
            note->taken = taken;
            note->shortfall = p->vstrata[si].n - taken;
        }
    }

    /* households of each sampled village */
    hv = arena_alloc(&c->a, (np ? np : 1) * sizeof *hv);
    if (!hv) return oom(c);
    memset(hv, 0, (np ? np : 1) * sizeof *hv); /* pi_group is 0 unless a group census sets it */
    for (size_t k = 0; k < np; k++) {
        const struct frame_village *v = &fv[picks[k].idx];
        const char *sname = picks[k].stratum >= 0 ? p->vstrata[picks[k].stratum].name
                                                  : (v->key_township ? "key_township" : "township");
        char vcode[24], parent[24];
        struct sel *s;
        snprintf(vcode, sizeof vcode, "%lld", (long long)v->code);
        if (picks[k].stratum >= 0) snprintf(parent, sizeof parent, "%s", ccode);
        else snprintf(parent, sizeof parent, "%d", v->township);
        {
            char unit[160];
            snprintf(unit, sizeof unit, "village|%s|%s|%s",
                     picks[k].stratum >= 0 ? sname : "township", parent, vcode);
            s = add(c, "village", sname, parent, unit, vcode, county, v->code);
        }
        if (!s) return oom(c);
        s->quota = picks[k].stratum >= 0 ? p->vstrata[picks[k].stratum].n
                                         : (v->key_township ? p->per_key : p->per_other);
        s->rank = picks[k].rank;
        s->certainty = picks[k].certainty;
        snprintf(s->ticket, sizeof s->ticket, "%s", picks[k].ticket);
        s->pi = mc_pi ? mc_pi[picks[k].idx] : picks[k].pi;
        s->pi_se = mc_se ? mc_se[picks[k].idx] : 0;
        if (mc_pi && !mc_se) s->certainty = s->pi == 1.0;
        hv[k].v = v;
        hv[k].stratum = picks[k].stratum;
        rc = draw_households(c, county, &hv[k]);
        if (rc) return rc;
    }

    /* village-group census */
    for (int si = 0; si < p->nvstrata; si++) {
        int g = p->vstrata[si].group_census, m = 0;
        char **ids;
        size_t *which;
        struct ranked *r;
        if (g <= 0) continue;
        ids = arena_alloc(&c->a, (np ? np : 1) * sizeof *ids);
        which = arena_alloc(&c->a, (np ? np : 1) * sizeof *which);
        if (!ids || !which) return oom(c);
        for (size_t k = 0; k < np; k++) {
            if (hv[k].stratum != si) continue;
            ids[m] = arena_printf(&c->a, "groupvillage|%s|%d|%lld", p->vstrata[si].name, county,
                                  (long long)hv[k].v->code);
            if (!ids[m]) return oom(c);
            which[m++] = k;
        }
        r = rank_ids(&c->a, c->seed_hex, ids, (size_t)m);
        if (!r) return oom(c);
        for (size_t k = 0; k < (size_t)m; k++) {
            struct hvillage *h = &hv[which[k]];
            int G = h->v->groups > 0 ? h->v->groups : 1;
            h->pi_group = (double)(g < m ? g : m) / (double)m / (double)G;
        }
        for (int k = 0; k < g && k < m; k++) {
            struct hvillage *h = &hv[which[r[k].idx]];
            int G = h->v->groups > 0 ? h->v->groups : 1, best = 1;
            char best_t[TICKET_MAX] = "", gid[96], t[TICKET_MAX];
            uint64_t best_key = UINT64_MAX;
            struct sel *s;
            char vcode[24];
            snprintf(vcode, sizeof vcode, "%lld", (long long)h->v->code);
            for (int gr = 1; gr <= G; gr++) {
                uint64_t key;
                snprintf(gid, sizeof gid, "group|%s|%s|%d", p->vstrata[si].name, vcode, gr);
                ticket_of(c->seed_hex, gid, t);
                key = ticket_key(t);
                if (key < best_key || (key == best_key && strcmp(t, best_t) < 0)) {
                    best_key = key;
                    best = gr;
                    snprintf(best_t, sizeof best_t, "%s", t);
                }
            }
            snprintf(gid, sizeof gid, "group|%s|%s|%d", p->vstrata[si].name, vcode, best);
            {
                char gcode[16];
                snprintf(gcode, sizeof gcode, "%d", best);
                s = add(c, "group", p->vstrata[si].name, vcode, gid, gcode, county, h->v->code);
            }
            if (!s) return oom(c);
            s->quota = g;
            s->rank = k + 1;
            snprintf(s->ticket, sizeof s->ticket, "%s", best_t);
            s->pi = (double)(g < m ? g : m) / (double)m / (double)G;
            for (size_t i = 0; i < h->n; i++)
                if (h->rows[i].h->grp == best) h->rows[i].group = 1;
        }
    }

    for (size_t k = 0; k < np; k++) assign_reserves(p, &hv[k]);

    /* households into the draw, with their final π, in a canonical order: census (by id),
     * each quota stratum's chosen units (by rank), reserves (by rank), the village group's
     * other households (by id) */
    for (size_t k = 0; k < np; k++) {
        struct hvillage *h = &hv[k];
        for (int pass = 0; pass < 4; pass++) {
            for (int q = 0; q < (pass == 1 || pass == 2 ? p->nquotas : 1); q++) {
                size_t cnt = pass == 1 || pass == 2 ? h->nranked[q] : h->n;
                for (size_t j = 0; j < cnt; j++) {
                    struct hrow *r = pass == 1 || pass == 2 ? &h->rows[h->ranked[q][j]]
                                                            : &h->rows[h->by_id[j]];
                    int take = pass == 0   ? r->census != 0
                               : pass == 1 ? r->chosen && !r->census
                               : pass == 2 ? r->reserve && !r->chosen && !r->group
                                           : r->group && !r->chosen;
                    if (take) {
                        rc = emit_household(c, county, h, r, pass == 3);
                        if (rc) return rc;
                    }
                }
            }
        }
    }

    /* projects */
    if (p->projects_per_county || p->projects_per_village || p->paired_projects) {
        const struct frame_project *fp;
        size_t npj;
        rc = c->src->projects(c->src->ctx, county, &fp, &npj, c->e);
        if (rc) return rc;
        {
            struct frame_project *copy = arena_alloc(&c->a, (npj ? npj : 1) * sizeof *copy);
            if (!copy) return oom(c);
            if (npj) memcpy(copy, fp, npj * sizeof *copy); /* a county may have no projects */
            fp = copy;
        }
        /* the county's projects, then each sampled village's */
        for (int level = 0; level <= (int)np; level++) {
            int64_t vill = level == 0 ? 0 : hv[level - 1].v->code;
            int want = level == 0 ? p->projects_per_county : p->projects_per_village;
            char parent[24], **ids;
            size_t *which, m = 0, take;
            struct ranked *r;
            struct stratum_note *note;
            if (want <= 0) continue;
            if (level == 0) snprintf(parent, sizeof parent, "%d", county);
            else snprintf(parent, sizeof parent, "%lld", (long long)vill);
            ids = arena_alloc(&c->a, (npj ? npj : 1) * sizeof *ids);
            which = arena_alloc(&c->a, (npj ? npj : 1) * sizeof *which);
            if (!ids || !which) return oom(c);
            for (size_t i = 0; i < npj; i++) {
                /* the county's 4: from all of its projects (village-level ones included) */
                if (level && fp[i].village != vill) continue;
                ids[m] = arena_printf(&c->a, "project|%s|%s|%s", level ? "village" : "county",
                                      parent, fp[i].id);
                if (!ids[m]) return oom(c);
                which[m++] = i;
            }
            r = rank_ids(&c->a, c->seed_hex, ids, m);
            if (!r) return oom(c);
            take = m < (size_t)want ? m : (size_t)want;
            note = push_note(c->d, "project", level ? "village" : "county", parent, county);
            if (!note) return oom(c);
            note->frame = (int64_t)m;
            note->quota = want;
            note->taken = (int)take;
            note->shortfall = want - (int)take;
            for (size_t k = 0; k < take; k++) {
                struct sel *s = add(c, "project", level ? "village" : "county", parent,
                                    ids[r[k].idx], fp[which[r[k].idx]].id, county, vill);
                if (!s) return oom(c);
                s->quota = want;
                s->rank = (int)k + 1;
                snprintf(s->ticket, sizeof s->ticket, "%s", r[k].ticket);
                s->pi = (double)take / (double)m;
            }
        }
        /* paired assistance: cooperation projects and their households */
        if (p->paired_projects > 0) {
            const struct frame_county *fc;
            size_t ncty;
            int paired = 0;
            rc = c->src->counties(c->src->ctx, &fc, &ncty, c->e);
            if (rc) return rc;
            for (size_t i = 0; i < ncty; i++)
                if (fc[i].code == county) paired = fc[i].paired;
            if (paired) {
                char **ids = arena_alloc(&c->a, (npj ? npj : 1) * sizeof *ids);
                size_t *which = arena_alloc(&c->a, (npj ? npj : 1) * sizeof *which), m = 0, take;
                struct ranked *r;
                if (!ids || !which) return oom(c);
                for (size_t i = 0; i < npj; i++) {
                    if (!fp[i].paired) continue;
                    ids[m] = arena_printf(&c->a, "project|paired|%d|%s", county, fp[i].id);
                    if (!ids[m]) return oom(c);
                    which[m++] = i;
                }
                r = rank_ids(&c->a, c->seed_hex, ids, m);
                if (!r) return oom(c);
                take = m < (size_t)p->paired_projects ? m : (size_t)p->paired_projects;
                for (size_t k = 0; k < take; k++) {
                    const struct frame_project *pj = &fp[which[r[k].idx]];
                    struct sel *s = add(c, "paired_project", "paired", ccode, ids[r[k].idx],
                                        pj->id, county, pj->village);
                    const struct frame_household *fh;
                    size_t nh, mh = 0, th;
                    char **hids;
                    size_t *hw;
                    struct ranked *hr;
                    if (!s) return oom(c);
                    s->quota = p->paired_projects;
                    s->rank = (int)k + 1;
                    snprintf(s->ticket, sizeof s->ticket, "%s", r[k].ticket);
                    s->pi = (double)take / (double)m;
                    if (!pj->village || p->paired_households <= 0) continue;
                    rc = c->src->households(c->src->ctx, pj->village, &fh, &nh, c->e);
                    if (rc) return rc;
                    hids = arena_alloc(&c->a, (nh ? nh : 1) * sizeof *hids);
                    hw = arena_alloc(&c->a, (nh ? nh : 1) * sizeof *hw);
                    if (!hids || !hw) return oom(c);
                    for (size_t i = 0; i < nh; i++) {
                        if (!fh[i].registered) continue;
                        hids[mh] = arena_printf(&c->a, "paired_household|%s|%lld|%s", pj->id,
                                                (long long)pj->village, fh[i].id);
                        if (!hids[mh]) return oom(c);
                        hw[mh++] = i;
                    }
                    hr = rank_ids(&c->a, c->seed_hex, hids, mh);
                    if (!hr) return oom(c);
                    th = mh < (size_t)p->paired_households ? mh : (size_t)p->paired_households;
                    for (size_t j = 0; j < th; j++) {
                        struct sel *hs = add(c, "paired_household", "paired", pj->id,
                                             hids[hr[j].idx], fh[hw[hr[j].idx]].id, county,
                                             pj->village);
                        if (!hs) return oom(c);
                        hs->quota = p->paired_households;
                        hs->rank = (int)j + 1;
                        snprintf(hs->ticket, sizeof hs->ticket, "%s", hr[j].ticket);
                        hs->pi = (double)th / (double)mh;
                    }
                }
            }
        }
    }
    return 0;
}

int sample_draw(const struct plan *p, const char *seed, const struct frame_source *src,
                int progress, struct draw *out, struct error *e)
{
    struct dctx c;
    struct arena keep;
    int *counties = NULL;
    size_t ncounties = 0;
    int rc;
    memset(&c, 0, sizeof c);
    c.p = p;
    c.src = src;
    c.seed = seed;
    c.d = out;
    c.e = e;
    c.progress = progress;
    ticket_seed_hex(seed, c.seed_hex);
    memcpy(out->seed_hex, c.seed_hex, 65);
    arena_init(&keep, 1 << 16);
    arena_init(&c.a, 1 << 20);
    rc = draw_counties(&c, &counties, &ncounties, &keep);
    arena_release(&c.a);
    for (size_t i = 0; i < ncounties && !rc; i++) {
        arena_init(&c.a, 1 << 20);
        rc = draw_county(&c, counties[i]);
        arena_release(&c.a);
    }
    arena_release(&keep);
    return rc;
}
