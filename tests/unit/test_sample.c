/*
 * test_sample.c — the sampling engine on crafted in-memory frames: DESIGN §5's ticket test
 * vectors, the Anhui and district household rules, the village-group census, independence
 * from row order, and inclusion probabilities against selection frequencies over many seeds;
 * plan check's household strata against the draw's; the manifest parser's refusals.
 */
#include "testutil.h"

#include <math.h>

#include "plan/plan.h"

/* ------------------------------------------------------------------ a crafted frame */

#define MAXV 64
#define MAXH 4096

struct mem_frame {
    struct frame_county counties[4];
    size_t ncounties;
    struct frame_township towns[32];
    size_t ntowns;
    struct frame_village villages[MAXV];
    size_t nvillages;
    struct frame_household hh[MAXH];
    size_t nhh;
    int reverse; /* serve every list in reverse order (row-order independence) */
    struct frame_township out_t[32];
    struct frame_village out_v[MAXV];
    struct frame_household out_h[MAXH];
    struct frame_project out_p[1];
};

static int mf_counties(void *ctx, const struct frame_county **out, size_t *n, struct error *e)
{
    struct mem_frame *m = ctx;
    (void)e;
    *out = m->counties;
    *n = m->ncounties;
    return 0;
}

static int mf_townships(void *ctx, int county, const struct frame_township **out, size_t *n,
                        struct error *e)
{
    struct mem_frame *m = ctx;
    size_t k = 0;
    (void)e;
    for (size_t i = 0; i < m->ntowns; i++) {
        size_t j = m->reverse ? m->ntowns - 1 - i : i;
        if (m->towns[j].code / 1000 == county) m->out_t[k++] = m->towns[j];
    }
    *out = m->out_t;
    *n = k;
    return 0;
}

static int mf_villages(void *ctx, int county, const struct frame_village **out, size_t *n,
                       struct error *e)
{
    struct mem_frame *m = ctx;
    size_t k = 0;
    (void)e;
    for (size_t i = 0; i < m->nvillages; i++) {
        size_t j = m->reverse ? m->nvillages - 1 - i : i;
        if (m->villages[j].county == county) m->out_v[k++] = m->villages[j];
    }
    *out = m->out_v;
    *n = k;
    return 0;
}

static int mf_households(void *ctx, int64_t village, const struct frame_household **out,
                         size_t *n, struct error *e)
{
    struct mem_frame *m = ctx;
    size_t k = 0;
    (void)e;
    for (size_t i = 0; i < m->nhh; i++) {
        size_t j = m->reverse ? m->nhh - 1 - i : i;
        if (m->hh[j].village == village) m->out_h[k++] = m->hh[j];
    }
    *out = m->out_h;
    *n = k;
    return 0;
}

static int mf_projects(void *ctx, int county, const struct frame_project **out, size_t *n,
                       struct error *e)
{
    (void)ctx, (void)county, (void)e;
    *out = NULL;
    *n = 0;
    return 0;
}

static void mf_source(struct mem_frame *m, struct frame_source *src)
{
    src->ctx = m;
    src->counties = mf_counties;
    src->townships = mf_townships;
    src->villages = mf_villages;
    src->households = mf_households;
    src->projects = mf_projects;
}

static void mf_county(struct mem_frame *m, int code)
{
    struct frame_county *c = &m->counties[m->ncounties++];
    memset(c, 0, sizeof *c);
    c->code = code;
    c->province = code / 10000;
    c->city = code / 100;
    snprintf(c->type, sizeof c->type, "exited");
    c->exit_year = 2018;
}

static struct frame_village *mf_village(struct mem_frame *m, int county, int town, int no,
                                        int poor, int groups, int64_t regp)
{
    struct frame_village *v = &m->villages[m->nvillages++];
    int tcode = county * 1000 + town;
    int seen = 0;
    memset(v, 0, sizeof *v);
    v->code = (int64_t)tcode * 1000 + no;
    v->township = tcode;
    v->county = county;
    v->poor = poor;
    v->groups = groups;
    v->registered_persons = regp;
    v->population = regp * 5;
    for (size_t i = 0; i < m->ntowns; i++) seen |= m->towns[i].code == tcode;
    if (!seen) {
        m->towns[m->ntowns].code = tcode;
        m->towns[m->ntowns].key = town % 2; /* odd townships are key */
        m->ntowns++;
    }
    return v;
}

/* Adds `count` households of a kind to village v: kind is a category or "vulnerable". */
static void mf_households_add(struct mem_frame *m, int64_t village, const char *kind, int count,
                              int grp)
{
    for (int i = 0; i < count; i++) {
        struct frame_household *h = &m->hh[m->nhh];
        memset(h, 0, sizeof *h);
        snprintf(h->id, sizeof h->id, "%lld%04zu", (long long)village, m->nhh);
        h->village = village;
        h->grp = grp;
        h->persons = 3;
        if (!strcmp(kind, "general")) {
        } else if (!strcmp(kind, "vulnerable")) {
            h->flags = HF_ILLNESS;
        } else if (!strcmp(kind, "edge")) {
            h->flags = HF_EDGE;
        } else {
            h->registered = 1;
            h->identified_year = 2014;
            if (!strcmp(kind, "exited_current")) h->exit_year = 2019;
            else if (!strcmp(kind, "exited_earlier")) h->exit_year = 2017;
            else if (!strcmp(kind, "newly_identified")) h->identified_year = 2018;
            else if (!strcmp(kind, "returned")) h->exit_year = 2016, h->returned = 1;
            else if (!strcmp(kind, "monitored")) h->exit_year = 2017, h->flags = HF_MONITORED;
        }
        m->nhh++;
    }
}

static void load_plan(const char *text, struct plan *p)
{
    struct errlist errs;
    struct error e;
    errlist_init(&errs, 20);
    if (plan_parse("test plan", text, strlen(text), p, &errs, &e)) {
        errlist_print(stderr, &errs);
        fail_msg("plan does not load");
    }
    errlist_release(&errs);
}

static const char *anhui_like =
    "{\"format\":\"pinggu-plan/1\",\"id\":\"t\",\"title\":{\"zh\":\"t\",\"en\":\"t\"},"
    "\"source\":\"test\",\"year\":2019,\"scope\":{},\"income_line\":{\"2019\":3218},"
    "\"windows\":{\"newly_identified\":[2018,2019],\"exited_earlier\":[2016,2018]},"
    "\"counties\":{\"select\":\"all\"},"
    "\"villages\":{\"strata\":[{\"name\":\"poor\",\"poor\":true,\"n\":1,\"group_census\":1},"
    "{\"name\":\"nonpoor\",\"poor\":false,\"n\":1,\"group_census\":1}]},"
    "\"households\":{\"quotas\":["
    "{\"name\":\"exited_current\",\"n\":4,\"fallback\":[\"exited_earlier\"]},"
    "{\"name\":\"exited_earlier\",\"n\":4},"
    "{\"name\":\"newly_identified\",\"n\":2,\"fallback\":[\"unexited\",\"exited_earlier\"]},"
    "{\"name\":\"unexited\",\"n\":2,\"fallback\":[\"exited_earlier\"]},"
    "{\"name\":\"general\",\"n\":4}],\"census\":[\"returned\"],\"reserve\":2},"
    "\"thresholds\":[{\"indicator\":\"wrong_exit\",\"op\":\"<\",\"value\":0.02,"
    "\"words\":\"低于2%\"}]}";

static int count_sel(const struct draw *d, int64_t village, const char *stratum,
                     const char *substitute_for, int reserve)
{
    int n = 0;
    for (size_t i = 0; i < d->nsels; i++) {
        const struct sel *s = &d->sels[i];
        if (strcmp(s->stage, "household") || s->village != village) continue;
        if (stratum && strcmp(s->stratum, stratum)) continue;
        if (substitute_for && strcmp(s->substitute_for, substitute_for)) continue;
        if (s->reserve != reserve) continue;
        n++;
    }
    return n;
}

/* ------------------------------------------------------------------ tests */

static void ticket_vectors(void **state)
{
    char t[TICKET_MAX], hex[65];
    (void)state;
    ticket_uniform("abc", 3, t);
    assert_string_equal(
        t, "0.56998071861792858926477341561059638840106636224182943832566300809078486324348");
    ticket_seed_hex("01382438112797316654", hex);
    ticket_of(hex, "AB-130", t);
    assert_string_equal(
        t, "0.26299714122838008416507544297546663599715395525154425586041245287750224561854");
    ticket_seed_hex("xy()134!g2n", hex);
    {
        const char *ids[] = {"dog", "cat", "fish", "goat"};
        const char *want[] = {"0.33886", "0.24866", "0.74685", "0.49599"};
        char tk[4][TICKET_MAX];
        for (int i = 0; i < 4; i++) {
            ticket_of(hex, ids[i], tk[i]);
            assert_memory_equal(tk[i], want[i], 7);
        }
        /* order: cat, dog, goat, fish — by key and by string alike */
        assert_true(strcmp(tk[1], tk[0]) < 0 && strcmp(tk[0], tk[3]) < 0 &&
                    strcmp(tk[3], tk[2]) < 0);
        assert_true(ticket_key(tk[1]) < ticket_key(tk[0]) &&
                    ticket_key(tk[0]) < ticket_key(tk[3]) &&
                    ticket_key(tk[3]) < ticket_key(tk[2]));
        assert_true(fabs(ticket_fraction(tk[1]) - 0.24866) < 1e-5);
    }
    seed_commitment("abc", hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* A poor village lacking newly identified households gets 2 more unexited; a non-poor one
 * with neither gets 2016-2018 exited ones for both; all returned are in; the group census
 * covers a whole group. */
static void anhui_substitutions(void **state)
{
    static struct mem_frame m;
    struct frame_source src;
    struct plan p;
    struct draw d;
    struct error e;
    struct frame_village *v1, *v2;
    (void)state;
    memset(&m, 0, sizeof m);
    mf_county(&m, 340123);
    v1 = mf_village(&m, 340123, 101, 201, 1, 1, 100);
    v2 = mf_village(&m, 340123, 102, 202, 0, 2, 50);
    /* v1: no newly identified; 5 unexited; 2 returned; exited as needed */
    mf_households_add(&m, v1->code, "exited_current", 6, 1);
    mf_households_add(&m, v1->code, "exited_earlier", 9, 1);
    mf_households_add(&m, v1->code, "unexited", 5, 1);
    mf_households_add(&m, v1->code, "returned", 2, 1);
    mf_households_add(&m, v1->code, "general", 30, 1);
    /* v2: neither newly nor unexited; only 1 exited this year */
    mf_households_add(&m, v2->code, "exited_current", 1, 1);
    mf_households_add(&m, v2->code, "exited_earlier", 20, 2);
    mf_households_add(&m, v2->code, "general", 10, 1);
    mf_households_add(&m, v2->code, "general", 7, 2);
    mf_source(&m, &src);
    load_plan(anhui_like, &p);
    draw_init(&d);
    assert_int_equal(sample_draw(&p, "seed-1", &src, 0, &d, &e), 0);
    /* v1: unexited 2 own + 2 for newly_identified */
    assert_int_equal(count_sel(&d, v1->code, "unexited", "", 0), 2);
    assert_int_equal(count_sel(&d, v1->code, "unexited", "newly_identified", 0), 2);
    assert_int_equal(count_sel(&d, v1->code, "census_returned", NULL, 0), 2);
    assert_int_equal(count_sel(&d, v1->code, "exited_current", "", 0), 4);
    /* v2: exited_earlier gives its own 4, 2 for newly, 2 for unexited, 3 for exited_current */
    assert_int_equal(count_sel(&d, v2->code, "exited_current", "", 0), 1);
    assert_int_equal(count_sel(&d, v2->code, "exited_earlier", "exited_current", 0), 3);
    assert_int_equal(count_sel(&d, v2->code, "exited_earlier", "newly_identified", 0), 2);
    assert_int_equal(count_sel(&d, v2->code, "exited_earlier", "unexited", 0), 2);
    /* substitutes come down exited_earlier's own list: ranks 5..11, in order */
    for (size_t i = 0; i < d.nsels; i++) {
        const struct sel *s = &d.sels[i];
        if (s->village == v2->code && !strcmp(s->stratum, "exited_earlier") && !s->reserve &&
            !s->group)
            assert_true(s->rank >= 1 && s->rank <= 11);
        if (s->village == v2->code && !strcmp(s->stratum, "exited_earlier") && s->reserve)
            assert_true(s->rank == 12 || s->rank == 13);
    }
    /* π of exited_earlier in v2: 11 taken of 20 (+ its share of the group census) */
    /* the group census: each village's whole chosen group is in */
    for (int vi = 0; vi < 2; vi++) {
        int64_t vc = vi ? v2->code : v1->code;
        int grp = 0, in_group = 0, total_in_grp = 0;
        for (size_t i = 0; i < d.nsels; i++)
            if (!strcmp(d.sels[i].stage, "group") && d.sels[i].village == vc)
                grp = atoi(d.sels[i].code);
        assert_true(grp >= 1);
        for (size_t i = 0; i < m.nhh; i++)
            if (m.hh[i].village == vc && m.hh[i].grp == grp) total_in_grp++;
        for (size_t i = 0; i < d.nsels; i++)
            if (!strcmp(d.sels[i].stage, "household") && d.sels[i].village == vc &&
                d.sels[i].group)
                in_group++;
        assert_int_equal(in_group, total_in_grp);
    }
    draw_release(&d);
    plan_release(&p);
}

static const char *district_like =
    "{\"format\":\"pinggu-plan/1\",\"id\":\"d\",\"title\":{\"zh\":\"d\",\"en\":\"d\"},"
    "\"source\":\"test\",\"year\":2020,\"scope\":{},\"income_line\":{\"2020\":4000},"
    "\"windows\":{\"exited_earlier\":[2016,2019]},\"counties\":{\"select\":\"all\"},"
    "\"villages\":{\"by_township\":{\"key\":3,\"other\":2}},"
    "\"households\":{\"quotas\":["
    "{\"name\":\"unexited\",\"categories\":[\"unexited\",\"returned\"],\"n\":5,"
    "\"fallback\":[\"exited\",\"vulnerable\"]},"
    "{\"name\":\"exited\",\"categories\":[\"exited_current\",\"exited_earlier\"],\"n\":5},"
    "{\"name\":\"vulnerable\",\"categories\":[\"general\"],\"flags_any\":[\"illness\","
    "\"edge\"],\"n\":5}],\"census\":[\"edge\",\"monitored\"],\"reserve\":1},"
    "\"thresholds\":[{\"indicator\":\"wrong_exit\",\"op\":\"<\",\"value\":0.02,"
    "\"words\":\"低于2%\"}]}";

static void district_rules(void **state)
{
    static struct mem_frame m;
    struct frame_source src;
    struct plan p;
    struct draw d;
    struct error e;
    int villages_by_town[4] = {0};
    (void)state;
    memset(&m, 0, sizeof m);
    mf_county(&m, 610101);
    /* townships 101 (key), 102 (other), 103 (key): 5 villages each */
    for (int t = 1; t <= 3; t++)
        for (int v = 1; v <= 5; v++) {
            struct frame_village *fv = mf_village(&m, 610101, 100 + t, 200 + v, v % 2, 3, 40);
            mf_households_add(&m, fv->code, "unexited", v == 1 ? 2 : 8, 1); /* v1 short */
            mf_households_add(&m, fv->code, "exited_earlier", v == 1 ? 7 : 9, 1);
            mf_households_add(&m, fv->code, "vulnerable", 6, 2);
            mf_households_add(&m, fv->code, "general", 20, 2);
            mf_households_add(&m, fv->code, "edge", 2, 3);
            mf_households_add(&m, fv->code, "monitored", 1, 3);
        }
    m.towns[0].key = 1, m.towns[1].key = 0, m.towns[2].key = 1;
    mf_source(&m, &src);
    load_plan(district_like, &p);
    draw_init(&d);
    assert_int_equal(sample_draw(&p, "district", &src, 0, &d, &e), 0);
    for (size_t i = 0; i < d.nsels; i++)
        if (!strcmp(d.sels[i].stage, "village")) villages_by_town[d.sels[i].village / 1000 % 10]++;
    assert_int_equal(villages_by_town[1], 3); /* key */
    assert_int_equal(villages_by_town[2], 2); /* other */
    assert_int_equal(villages_by_town[3], 3); /* key */
    for (size_t i = 0; i < d.nsels; i++) {
        const struct sel *s = &d.sels[i];
        int64_t v = s->village;
        if (strcmp(s->stage, "village")) continue;
        /* edge and monitored in full: 2 + 1 */
        assert_int_equal(count_sel(&d, v, "census_edge", NULL, 0), 2);
        assert_int_equal(count_sel(&d, v, "census_monitored", NULL, 0), 1);
        /* vulnerable: 5, only flagged general households (never a plain general one) */
        assert_int_equal(count_sel(&d, v, "vulnerable", "", 0), 5);
        if (v % 1000 == 201) {
            /* the short village: 2 unexited, 3 exited stand in; exited still 5 of its own */
            assert_int_equal(count_sel(&d, v, "unexited", "", 0), 2);
            assert_int_equal(count_sel(&d, v, "exited", "unexited", 0), 2);
            assert_int_equal(count_sel(&d, v, "vulnerable", "unexited", 0), 1);
        } else {
            assert_int_equal(count_sel(&d, v, "unexited", "", 0), 5);
        }
    }
    for (size_t i = 0; i < d.nsels; i++) {
        const struct sel *s = &d.sels[i];
        if (!strcmp(s->stage, "household") && !strcmp(s->stratum, "vulnerable")) {
            int flagged = 0;
            for (size_t k = 0; k < m.nhh; k++)
                if (!strcmp(m.hh[k].id, s->code)) flagged = (m.hh[k].flags & HF_ILLNESS) != 0;
            assert_true(flagged);
        }
    }
    draw_release(&d);
    plan_release(&p);
}

/* Serving the frame in reverse gives the identical sample. */
static void row_order_independent(void **state)
{
    static struct mem_frame m;
    struct frame_source src;
    struct plan p;
    struct draw a, b;
    struct error e;
    (void)state;
    memset(&m, 0, sizeof m);
    mf_county(&m, 340123);
    for (int v = 0; v < 8; v++) {
        struct frame_village *fv = mf_village(&m, 340123, 101 + v / 2, 201 + v, v % 2, 2,
                                              10 + 7 * v);
        mf_households_add(&m, fv->code, "exited_current", 5, 1);
        mf_households_add(&m, fv->code, "exited_earlier", 5, 2);
        mf_households_add(&m, fv->code, "unexited", 3, 1);
        mf_households_add(&m, fv->code, "general", 12, 2);
    }
    mf_source(&m, &src);
    load_plan(anhui_like, &p);
    draw_init(&a);
    draw_init(&b);
    assert_int_equal(sample_draw(&p, "order", &src, 0, &a, &e), 0);
    m.reverse = 1;
    assert_int_equal(sample_draw(&p, "order", &src, 0, &b, &e), 0);
    assert_int_equal(a.nsels, b.nsels);
    for (size_t i = 0; i < a.nsels; i++) {
        assert_string_equal(a.sels[i].unit, b.sels[i].unit);
        assert_true(a.sels[i].pi == b.sels[i].pi);
    }
    draw_release(&a);
    draw_release(&b);
    plan_release(&p);
}

/* Selection frequency over many seeds against π: |freq − π| within 4 Monte-Carlo s.e. */
static void check_frequencies(const char *plan_text, struct mem_frame *m, int reps,
                              const char *stage)
{
    struct frame_source src;
    struct plan p;
    static double pi[MAXH], hits[MAXH], pisum[MAXH], pise[MAXH];
    static char ids[MAXH][48];
    size_t n = 0;
    struct error e;
    mf_source(m, &src);
    load_plan(plan_text, &p);
    memset(hits, 0, sizeof hits);
    memset(pisum, 0, sizeof pisum);
    for (int r = 0; r < reps; r++) {
        struct draw d;
        char seed[32];
        snprintf(seed, sizeof seed, "freq-%d", r);
        draw_init(&d);
        assert_int_equal(sample_draw(&p, seed, &src, 0, &d, &e), 0);
        for (size_t i = 0; i < d.nsels; i++) {
            const struct sel *s = &d.sels[i];
            size_t k;
            if (strcmp(s->stage, stage) || s->reserve) continue;
            for (k = 0; k < n && strcmp(ids[k], s->code); k++) {}
            if (k == n) {
                snprintf(ids[n], sizeof ids[n], "%s", s->code);
                pi[n] = s->pi;
                pise[n++] = s->pi_se;
            }
            /* an exact π does not depend on the seed; a Monte-Carlo one only within its error */
            assert_true(fabs(pi[k] - s->pi) <= 1e-12 + 6 * (s->pi_se + pise[k]));
            pisum[k] += s->pi;
            hits[k]++;
        }
        draw_release(&d);
    }
    for (size_t k = 0; k < n; k++) {
        double f = hits[k] / reps, se = sqrt(pi[k] * (1 - pi[k]) / reps + pise[k] * pise[k]);
        if (fabs(f - pi[k]) > 4 * se + 1e-9)
            fail_msg("%s %s: selected in %.4f of %d draws, π = %.4f (s.e. %.4f)", stage, ids[k],
                     f, reps, pi[k], se);
    }
    plan_release(&p);
}

static void inclusion_probabilities(void **state)
{
    static struct mem_frame m;
    (void)state;
    /* equal probability with substitutions: one village, exited_current short (2 of 4) so
     * exited_earlier lends 2: its π = (4 + 2)/10 */
    memset(&m, 0, sizeof m);
    mf_county(&m, 340123);
    {
        struct frame_village *fv = mf_village(&m, 340123, 101, 201, 1, 1, 10);
        mf_households_add(&m, fv->code, "exited_current", 2, 1);
        mf_households_add(&m, fv->code, "exited_earlier", 10, 1);
        mf_households_add(&m, fv->code, "general", 9, 1);
        mf_village(&m, 340123, 102, 202, 0, 1, 10);
    }
    check_frequencies(
        "{\"format\":\"pinggu-plan/1\",\"id\":\"f\",\"title\":{\"zh\":\"f\",\"en\":\"f\"},"
        "\"source\":\"t\",\"year\":2019,\"scope\":{},\"income_line\":{\"2019\":1},"
        "\"windows\":{\"exited_earlier\":[2016,2018]},\"counties\":{\"select\":\"all\"},"
        "\"villages\":{\"strata\":[{\"name\":\"poor\",\"poor\":true,\"n\":1}]},"
        "\"households\":{\"quotas\":[{\"name\":\"exited_current\",\"n\":4,\"fallback\":"
        "[\"exited_earlier\"]},{\"name\":\"exited_earlier\",\"n\":4},{\"name\":\"general\","
        "\"n\":3}],\"reserve\":0},\"thresholds\":[{\"indicator\":\"missed\",\"op\":\"<\","
        "\"value\":0.02,\"words\":\"低于2%\"}]}",
        &m, 3000, "household");
    /* weighted πps (randomised systematic, with a certainty unit) */
    memset(&m, 0, sizeof m);
    mf_county(&m, 340123);
    {
        static const int64_t sizes[] = {2, 5, 9, 14, 20, 30, 45, 200};
        for (int v = 0; v < 8; v++) mf_village(&m, 340123, 101 + v, 201 + v, 1, 1, sizes[v]);
    }
    check_frequencies(
        "{\"format\":\"pinggu-plan/1\",\"id\":\"w\",\"title\":{\"zh\":\"w\",\"en\":\"w\"},"
        "\"source\":\"t\",\"year\":2019,\"scope\":{},\"income_line\":{\"2019\":1},"
        "\"counties\":{\"select\":\"all\"},\"villages\":{\"strata\":[{\"name\":\"poor\","
        "\"poor\":true,\"n\":3,\"size\":{\"measure\":\"registered_persons\"}}]},"
        "\"households\":{\"quotas\":[{\"name\":\"general\",\"n\":1}]},"
        "\"thresholds\":[{\"indicator\":\"missed\",\"op\":\"<\",\"value\":0.02,"
        "\"words\":\"低于2%\"}]}",
        &m, 3000, "village");
}

/* Distinct townships: π by Monte Carlo agrees with frequencies under fresh seeds. */
static void monte_carlo_probabilities(void **state)
{
    static struct mem_frame m;
    (void)state;
    memset(&m, 0, sizeof m);
    mf_county(&m, 340123);
    /* 3 townships, poor and non-poor villages sharing them */
    mf_village(&m, 340123, 101, 201, 1, 1, 30);
    mf_village(&m, 340123, 101, 202, 0, 1, 10);
    mf_village(&m, 340123, 102, 203, 1, 1, 10);
    mf_village(&m, 340123, 102, 204, 0, 1, 25);
    mf_village(&m, 340123, 103, 205, 1, 1, 5);
    mf_village(&m, 340123, 103, 206, 0, 1, 15);
    check_frequencies(
        "{\"format\":\"pinggu-plan/1\",\"id\":\"m\",\"title\":{\"zh\":\"m\",\"en\":\"m\"},"
        "\"source\":\"t\",\"year\":2019,\"scope\":{},\"income_line\":{\"2019\":1},"
        "\"counties\":{\"select\":\"all\"},\"villages\":{\"strata\":[{\"name\":\"poor\","
        "\"poor\":true,\"n\":1,\"size\":{\"measure\":\"registered_persons\"}},{\"name\":"
        "\"nonpoor\",\"poor\":false,\"n\":1,\"size\":{\"measure\":\"registered_persons\"}}],"
        "\"distinct_townships\":true,\"monte_carlo\":10000},"
        "\"households\":{\"quotas\":[{\"name\":\"general\",\"n\":1}]},"
        "\"thresholds\":[{\"indicator\":\"missed\",\"op\":\"<\",\"value\":0.02,"
        "\"words\":\"低于2%\"}]}",
        &m, 150, "village");
}

static void plan_errors(void **state)
{
    struct plan p;
    struct errlist errs;
    struct error e;
    char *bad = strdup(anhui_like), *at = strstr(bad, "\"unexited\",\"exited_earlier\"");
    (void)state;
    assert_non_null(at);
    memcpy(at + 1, "exitted ", 8); /* fallback[0] of quotas[2] becomes "exitted " */
    errlist_init(&errs, 20);
    assert_int_equal(plan_parse("p.json", bad, strlen(bad), &p, &errs, &e), ERR_INVALID);
    assert_true(errs.total >= 1);
    assert_non_null(strstr(errs.items[0].msg, "households.quotas[2].fallback[0]: unknown category"));
    errlist_release(&errs);
    plan_release(&p);
    free(bad);
    /* the words fix the bound: 低于 with <= is rejected */
    bad = strdup(anhui_like);
    at = strstr(bad, "\"op\":\"<\"");
    memcpy(at, "\"op\":\"=\"", 8);
    at[6] = '<';
    {
        char *fixed = malloc(strlen(bad) + 2);
        size_t pre = (size_t)(at - bad) + 7;
        memcpy(fixed, bad, pre);
        fixed[pre] = '=';
        memcpy(fixed + pre + 1, bad + pre, strlen(bad + pre) + 1);
        errlist_init(&errs, 20);
        assert_int_equal(plan_parse("p.json", fixed, strlen(fixed), &p, &errs, &e), ERR_INVALID);
        assert_non_null(strstr(errs.items[0].msg, "disagrees with the seed's words"));
        errlist_release(&errs);
        plan_release(&p);
        free(fixed);
    }
    free(bad);
}

static void team_lottery(void **state)
{
    /* 5 cities, 4 teams whose home cities are 1..4: team k may not get city k */
    int cities[5] = {1, 2, 3, 4, 5}, home[4] = {1, 2, 3, 4}, assign[5];
    static int counts[4096];
    int distinct = 0;
    (void)state;
    memset(counts, 0, sizeof counts);
    for (int r = 0; r < 3000; r++) {
        char seed[32], hex[65];
        struct error e;
        int code = 0, per[4] = {0};
        snprintf(seed, sizeof seed, "lottery-%d", r);
        ticket_seed_hex(seed, hex);
        assert_true(teams_assign_cities(hex, cities, 5, home, 4, assign, &e) >= 1);
        for (int c = 0; c < 5; c++) {
            assert_int_not_equal(home[assign[c]], cities[c]);
            per[assign[c]]++;
            code = code * 4 + assign[c];
        }
        for (int t = 0; t < 4; t++) assert_true(per[t] == 1 || per[t] == 2);
        counts[code]++;
    }
    /* uniform over the valid assignments: a chi-square over the observed ones */
    {
        double chi = 0, expect;
        int total = 3000;
        for (int k = 0; k < 4096; k++) distinct += counts[k] > 0;
        expect = (double)total / distinct;
        for (int k = 0; k < 4096; k++)
            if (counts[k]) chi += (counts[k] - expect) * (counts[k] - expect) / expect;
        /* the number of valid balanced assignments is 4 · derangement-like count; every one
         * should appear; chi-square with df = distinct − 1 stays below df + 5 sqrt(2 df) */
        assert_true(chi < (distinct - 1) + 5 * sqrt(2.0 * (distinct - 1)));
    }
    assert_true(distinct > 50);
}

/* plan_household_stratum (plan check --db) puts every drawn household in the stratum the
 * draw put it in: the checker and the draw agree on census groups and quota strata. */
static void household_stratum_agrees(void **state)
{
    static struct mem_frame m;
    static const char *kinds[] = {"exited_current", "exited_earlier", "newly_identified",
                                  "unexited", "returned", "monitored", "edge", "vulnerable",
                                  "general"};
    const char *plans[] = {anhui_like, district_like};
    struct frame_source src;
    (void)state;
    memset(&m, 0, sizeof m);
    mf_county(&m, 340123);
    for (int t = 1; t <= 4; t++)
        for (int v = 1; v <= 3; v++) {
            struct frame_village *fv = mf_village(&m, 340123, 100 + t, 200 + v, t % 2, 2, 80);
            for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
                mf_households_add(&m, fv->code, kinds[k], 1 + (int)((k + (size_t)v) % 4), 1);
        }
    mf_source(&m, &src);
    for (int pi = 0; pi < 2; pi++) {
        struct plan p;
        struct draw d;
        struct error e;
        int checked = 0;
        load_plan(plans[pi], &p);
        draw_init(&d);
        assert_int_equal(sample_draw(&p, "agree", &src, 0, &d, &e), 0);
        for (size_t i = 0; i < d.nsels; i++) {
            const struct sel *u = &d.sels[i];
            const struct frame_household *h = NULL;
            int q;
            if (strcmp(u->stage, "household") || !strcmp(u->stratum, "group")) continue;
            for (size_t k = 0; k < m.nhh && !h; k++)
                if (!strcmp(m.hh[k].id, u->code)) h = &m.hh[k];
            assert_non_null(h);
            q = plan_household_stratum(&p, h, NULL, NULL);
            if (!strncmp(u->stratum, "census_", 7)) assert_int_equal(q, -2);
            else {
                assert_true(q >= 0);
                assert_string_equal(p.quotas[q].name, u->stratum);
            }
            checked++;
        }
        assert_true(checked >= 20);
        draw_release(&d);
        plan_release(&p);
    }
}

/* ------------------------------------------------------------------ manifests */

static const char *manifest_ok =
    "{\"format\":\"pinggu-sample-manifest/1\",\"algorithm\":\"a\",\"sample\":\"s\","
    "\"plan_id\":\"p\",\"plan_hash\":\"" /* 64 hex */
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"seed\":\"42\","
    "\"seed_commitment\":\"73475cb40a568e8da8a045ced110137e159f890ac4da883b6b17dc651b3a8049\","
    "\"frame_hash\":\"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210\","
    "\"frame_rows\":12,\"created\":\"2026-11-01T00:00:00Z\","
    "\"strata\":[{\"stage\":\"village\",\"stratum\":\"poor\",\"parent\":\"340123\","
    "\"county\":340123,\"frame\":9,\"quota\":2,\"taken\":2,\"shortfall\":0,\"lent\":0}],"
    "\"units\":[{\"stage\":\"village\",\"stratum\":\"poor\",\"parent\":\"340123\","
    "\"unit\":\"village|poor|340123|340123101201\",\"code\":\"340123101201\","
    "\"county\":340123,\"village\":340123101201,\"quota\":2,\"rank\":1,\"ticket\":\"0.25\","
    "\"substitute_for\":\"\",\"reserve\":false,\"certainty\":false,\"pi\":0.5,\"pi_se\":0,"
    "\"category\":\"\",\"village_group\":false}]}";

/* Replaces the first `from` in manifest_ok by `to` and parses; returns the code, the message
 * in msg. */
static int parse_edited(const char *from, const char *to, char *msg, size_t size)
{
    const char *at = strstr(manifest_ok, from);
    struct strbuf sb = STRBUF_INIT;
    struct manifest m;
    struct error e;
    int rc;
    assert_non_null(at);
    sb_add(&sb, manifest_ok, (size_t)(at - manifest_ok));
    sb_adds(&sb, to);
    sb_adds(&sb, at + strlen(from));
    memset(&e, 0, sizeof e);
    rc = manifest_parse("m.json", sb.buf, sb.len, &m, &e);
    snprintf(msg, size, "%s", e.msg);
    manifest_release(&m);
    sb_release(&sb);
    return rc;
}

static void manifest_parser(void **state)
{
    struct manifest m;
    struct error e;
    char msg[600], big[300];
    (void)state;
    assert_int_equal(manifest_parse("m.json", manifest_ok, strlen(manifest_ok), &m, &e), 0);
    assert_string_equal(m.seed, "42");
    assert_int_equal(m.frame_rows, 12);
    assert_int_equal(m.nstrata, 1);
    assert_int_equal(m.strata[0].frame, 9);
    assert_int_equal(m.nunits, 1);
    assert_int_equal(m.units[0].village, 340123101201LL);
    assert_true(m.units[0].pi == 0.5 && m.units[0].pi_se == 0);
    manifest_release(&m);
    /* each fault is named by its JSON path; nothing is defaulted or cut */
    struct {
        const char *from, *to, *want;
    } bad[] = {
        {"\"reserve\":false", "\"reserve\":0", "m.json: units[0].reserve: expected true or false"},
        {"\"reserve\":false,", "", "m.json: units[0].reserve: missing"},
        {"\"lent\":0", "\"lent\":0,\"note\":1", "m.json: strata[0].note: unknown member"},
        {"\"frame_rows\":12", "\"frame_rows\":-1", "m.json: frame_rows: -1 is out of range"},
        {"\"county\":340123,\"frame\"", "\"county\":4294967296,\"frame\"",
         "m.json: strata[0].county: 4294967296 is out of range"},
        {"\"pi\":0.5", "\"pi\":1.5", "m.json: units[0].pi: 1.5 is not between 0 and 1"},
        {"\"plan_hash\":\"0123", "\"plan_hash\":\"X123",
         "m.json: plan_hash: expected 64 lowercase"},
        {"pinggu-sample-manifest/1", "pinggu-sample-manifest/9", "m.json: format: "},
        {"\"sample\":\"s\"", "\"sample\":\"\"", "m.json: sample: empty"},
        {"\"frame_rows\":12", "\"frame_rows\":12.0", "m.json: frame_rows: expected an integer"},
        {"\"seed\":\"42\",", "\"seed\":\"42\",\"seed\":\"43\",", "duplicate"},
        {"\"stage\":\"village\",\"stratum\":\"poor\",\"parent\":\"340123\",\"unit\"",
         "\"stage\":\"village\",\"stratum\":\"poor\",\"parent\":1,\"unit\"",
         "m.json: units[0].parent: expected a string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(parse_edited(bad[i].from, bad[i].to, msg, sizeof msg), ERR_PARSE);
        if (!strstr(msg, bad[i].want))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, msg, bad[i].want);
    }
    /* an over-long string is refused, never cut to its field (a cut one could compare equal) */
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    {
        char to[400];
        snprintf(to, sizeof to, "\"code\":\"340123101201%s\"", big);
        assert_int_equal(parse_edited("\"code\":\"340123101201\"", to, msg, sizeof msg),
                         ERR_PARSE);
        assert_non_null(strstr(msg, "m.json: units[0].code: longer than 47 bytes"));
    }
    /* not an object at all */
    assert_int_equal(manifest_parse("m.json", "[1]", 3, &m, &e), ERR_PARSE);
    assert_string_equal(e.msg, "m.json: expected a JSON object (a pinggu sample manifest)");
    manifest_release(&m);
    /* not JSON: file, line and column */
    assert_int_equal(manifest_parse("m.json", "{\n\"format\": ", 11, &m, &e), ERR_PARSE);
    assert_string_equal(e.file, "m.json");
    assert_int_equal(e.line, 2);
    manifest_release(&m);
}

/* ------------------------------------------------------------------ exact π (issue 9 item 21) */

/* A county of 4 townships: poor and non-poor villages sharing townships (the non-poor ones in
 * 3 of them), one poor village of size 0, remoteness tilting the sizes. */
static void pi_frame(struct mem_frame *m)
{
    static const struct {
        int town, no, poor;
        int64_t regp;
        double remote;
    } vs[] = {{101, 201, 1, 30, 0.5}, {101, 202, 0, 10, 0},  {101, 203, 1, 12, 1},
              {102, 204, 1, 10, 0},   {102, 205, 0, 25, 0.2}, {103, 206, 1, 0, 0.9},
              {103, 207, 0, 15, 1},   {103, 208, 1, 7, 0},    {104, 209, 1, 40, 0.3},
              {104, 210, 1, 5, 0}};
    memset(m, 0, sizeof *m);
    mf_county(m, 340123);
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
        struct frame_village *v =
            mf_village(m, 340123, vs[i].town, vs[i].no, vs[i].poor, 1, vs[i].regp);
        v->remoteness = vs[i].remote;
    }
}

#define PI_PLAN(extra)                                                                          \
    "{\"format\":\"pinggu-plan/1\",\"id\":\"x\",\"title\":{\"zh\":\"x\",\"en\":\"x\"},"          \
    "\"source\":\"t\",\"year\":2019,\"scope\":{},\"income_line\":{\"2019\":1},"                 \
    "\"counties\":{\"select\":\"all\"},\"villages\":{\"strata\":[{\"name\":\"poor\","          \
    "\"poor\":true,\"n\":2,\"size\":{\"measure\":\"registered_persons\",\"remoteness\":1.0}},"  \
    "{\"name\":\"nonpoor\",\"poor\":false,\"n\":2,\"size\":{\"measure\":"                      \
    "\"registered_persons\",\"remoteness\":1.0}}],\"distinct_townships\":true" extra "},"      \
    "\"households\":{\"quotas\":[{\"name\":\"general\",\"n\":1}]},"                            \
    "\"thresholds\":[{\"indicator\":\"missed\",\"op\":\"<\",\"value\":0.02,"                   \
    "\"words\":\"低于2%\"}]}"

/* Brute force: every sequence of draws (poor, poor, non-poor, non-poor), each draw taking a
 * unit of its stratum whose township is free with probability size / free size. */
static void enumerate_pi(const struct mem_frame *m, int draw, unsigned used, double prob,
                         double *pi)
{
    int poor = draw < 2;
    double total = 0;
    if (draw == 4) return;
    for (size_t i = 0; i < m->nvillages; i++) {
        const struct frame_village *v = &m->villages[i];
        if (v->poor != poor || (used >> (v->township % 1000 - 100)) & 1) continue;
        total += (double)v->registered_persons * (1 + v->remoteness);
    }
    if (total <= 0) { /* the stratum is short: the next stratum's draws */
        enumerate_pi(m, poor ? 2 : 4, used, prob, pi);
        return;
    }
    for (size_t i = 0; i < m->nvillages; i++) {
        const struct frame_village *v = &m->villages[i];
        double x = (double)v->registered_persons * (1 + v->remoteness);
        if (v->poor != poor || (used >> (v->township % 1000 - 100)) & 1 || x <= 0) continue;
        pi[i] += prob * x / total;
        enumerate_pi(m, draw + 1, used | 1u << (v->township % 1000 - 100), prob * x / total, pi);
    }
}

/* The recursion over townships equals the enumeration of every draw sequence; and selection
 * frequencies under fresh seeds agree with it. */
static void exact_pi_enumeration(void **state)
{
    static struct mem_frame m;
    double pi[16] = {0};
    int seen[16] = {0};
    struct frame_source src;
    struct plan p;
    struct error e;
    (void)state;
    pi_frame(&m);
    enumerate_pi(&m, 0, 0, 1.0, pi);
    {
        double poor = 0, nonpoor = 0;
        for (size_t i = 0; i < m.nvillages; i++)
            *(m.villages[i].poor ? &poor : &nonpoor) += pi[i];
        /* 2 poor always fit (all 4 townships have a poor village of positive size); the
         * non-poor ones lie in 3 townships: 2 fit unless the poor took two of those */
        assert_true(fabs(poor - 2) < 1e-12);
        assert_true(nonpoor > 1 && nonpoor < 2);
        assert_true(pi[5] == 0); /* size 0 */
    }
    mf_source(&m, &src);
    load_plan(PI_PLAN(""), &p);
    assert_int_equal(p.mc_replicates, 0);
    for (int r = 0; r < 60; r++) {
        struct draw d;
        char seed[32];
        snprintf(seed, sizeof seed, "enum-%d", r);
        draw_init(&d);
        assert_int_equal(sample_draw(&p, seed, &src, 0, &d, &e), 0);
        for (size_t i = 0; i < d.nsels; i++) {
            const struct sel *s = &d.sels[i];
            size_t k;
            if (strcmp(s->stage, "village")) continue;
            for (k = 0; k < m.nvillages && m.villages[k].code != s->village; k++) {}
            assert_true(k < m.nvillages);
            if (fabs(s->pi - pi[k]) > 1e-12)
                fail_msg("village %lld: π %.17g, enumeration %.17g", (long long)s->village, s->pi,
                         pi[k]);
            assert_true(s->pi_se == 0);
            seen[k] = 1;
        }
        draw_release(&d);
    }
    for (size_t k = 0; k < m.nvillages; k++) assert_int_equal(seen[k], pi[k] > 0);
    plan_release(&p);
    check_frequencies(PI_PLAN(""), &m, 3000, "village");
}

/* The plan may still ask for Monte Carlo (`monte_carlo`: R replicates of the same draw): the
 * same villages, and π within its Monte-Carlo error of the exact one. */
static void exact_pi_matches_monte_carlo(void **state)
{
    static struct mem_frame m;
    struct frame_source src;
    struct plan px, pm;
    struct draw dx, dm;
    struct error e;
    int villages = 0;
    (void)state;
    pi_frame(&m);
    mf_source(&m, &src);
    load_plan(PI_PLAN(""), &px);
    load_plan(PI_PLAN(",\"monte_carlo\":10000"), &pm);
    draw_init(&dx);
    draw_init(&dm);
    assert_int_equal(sample_draw(&px, "mc-vs-exact", &src, 0, &dx, &e), 0);
    assert_int_equal(sample_draw(&pm, "mc-vs-exact", &src, 0, &dm, &e), 0);
    assert_int_equal(dx.nsels, dm.nsels);
    for (size_t i = 0; i < dx.nsels; i++) {
        const struct sel *a = &dx.sels[i], *b = &dm.sels[i];
        assert_string_equal(a->unit, b->unit);
        if (strcmp(a->stage, "village")) continue;
        villages++;
        assert_true(a->pi_se == 0 && b->pi_se > 0);
        /* Fattorini's (hits + 1)/(R + 1) adds at most 1/R of bias */
        if (fabs(a->pi - b->pi) > 4 * b->pi_se + 1e-4)
            fail_msg("village %s: exact π %.5f, Monte Carlo %.5f ± %.5f", a->code, a->pi, b->pi,
                     b->pi_se);
    }
    assert_true(villages >= 3); /* 2 poor, and 1 or 2 non-poor */
    draw_release(&dx);
    draw_release(&dm);
    plan_release(&px);
    plan_release(&pm);
}

/* issue 16 item 13: a reserve never falls on a household the village-group census surveys
 * anyway; the next one of the stratum's list is taken instead, so every stratum lists
 * min(reserve, what is left) reserves (docs/sampling.md §3). */
static void reserves_skip_group_census(void **state)
{
    static struct mem_frame m;
    struct frame_source src;
    struct plan p;
    struct error e;
    int groups_seen = 0;
    (void)state;
    memset(&m, 0, sizeof m);
    mf_county(&m, 340123);
    for (int v = 0; v < 2; v++) {
        struct frame_village *fv = mf_village(&m, 340123, 101 + v, 201 + v, v == 0, 2, 50);
        for (int g = 1; g <= 2; g++) {
            mf_households_add(&m, fv->code, "exited_current", 5, g);
            mf_households_add(&m, fv->code, "exited_earlier", 6, g);
            mf_households_add(&m, fv->code, "general", 4, g);
        }
    }
    mf_source(&m, &src);
    load_plan(anhui_like, &p);
    for (int r = 0; r < 40; r++) {
        struct draw d;
        char seed[32];
        snprintf(seed, sizeof seed, "reserve-%d", r);
        draw_init(&d);
        assert_int_equal(sample_draw(&p, seed, &src, 0, &d, &e), 0);
        for (size_t i = 0; i < d.nsels; i++) {
            const struct sel *v = &d.sels[i];
            static const struct {
                const char *name;
                int units;
            } strata[] = {{"exited_current", 10}, {"exited_earlier", 12}, {"general", 8}};
            if (strcmp(v->stage, "village")) continue;
            for (size_t q = 0; q < 3; q++) {
                int taken = 0, grouped = 0, reserves = 0, left, want;
                for (size_t j = 0; j < d.nsels; j++) {
                    const struct sel *h = &d.sels[j];
                    if (strcmp(h->stage, "household") || h->village != v->village) continue;
                    if (!strcmp(h->stratum, "group") && !strcmp(h->category, strata[q].name))
                        grouped++, groups_seen++;
                    if (strcmp(h->stratum, strata[q].name)) continue;
                    if (h->reserve) reserves++, assert_false(h->group);
                    else taken++;
                }
                left = strata[q].units - taken - grouped;
                want = left < p.reserve ? left : p.reserve;
                if (reserves != want)
                    fail_msg("seed %s village %lld %s: %d reserves, %d expected (%d taken, %d "
                             "only in the group)",
                             seed, (long long)v->village, strata[q].name, reserves, want, taken,
                             grouped);
            }
        }
        draw_release(&d);
    }
    assert_true(groups_seen > 0);
    plan_release(&p);
}

/* issue 16 item 12, seed 002 五(五): "县级抽查4个项目、每个村抽查2个项目(包括到村项目和到户政策
 * 项目)" — the county's 4 projects are drawn from all of its projects, not only those without
 * a village (a county with 2 county-level and 6 village-level projects gets 4, each with
 * π = 4/8). */
struct pj_frame {
    struct mem_frame m;
    struct frame_project p[8];
};

static int pj_counties(void *ctx, const struct frame_county **out, size_t *n, struct error *e)
{
    return mf_counties(&((struct pj_frame *)ctx)->m, out, n, e);
}
static int pj_townships(void *ctx, int county, const struct frame_township **out, size_t *n,
                        struct error *e)
{
    return mf_townships(&((struct pj_frame *)ctx)->m, county, out, n, e);
}
static int pj_villages(void *ctx, int county, const struct frame_village **out, size_t *n,
                       struct error *e)
{
    return mf_villages(&((struct pj_frame *)ctx)->m, county, out, n, e);
}
static int pj_households(void *ctx, int64_t village, const struct frame_household **out,
                         size_t *n, struct error *e)
{
    return mf_households(&((struct pj_frame *)ctx)->m, village, out, n, e);
}
static int pj_projects(void *ctx, int county, const struct frame_project **out, size_t *n,
                       struct error *e)
{
    (void)county, (void)e;
    *out = ((struct pj_frame *)ctx)->p;
    *n = 8;
    return 0;
}

static void county_projects_from_all(void **state)
{
    static struct pj_frame f;
    struct frame_source src = {&f, pj_counties, pj_townships, pj_villages, pj_households,
                               pj_projects};
    struct plan p;
    struct error e;
    char *text = strdup(anhui_like), *at = strstr(text, "\"thresholds\"");
    char *plan = malloc(strlen(text) + 64);
    int hits[8] = {0}, reps = 400;
    (void)state;
    memset(&f, 0, sizeof f);
    mf_county(&f.m, 340123);
    mf_village(&f.m, 340123, 101, 201, 1, 1, 10);
    mf_village(&f.m, 340123, 102, 202, 0, 1, 10);
    for (int k = 0; k < 8; k++) {
        snprintf(f.p[k].id, sizeof f.p[k].id, "P340123-%04d", k + 1);
        f.p[k].county = 340123;
        f.p[k].village = k < 2 ? 0 : 340123101201 + k % 3; /* some in unsampled villages */
    }
    assert_non_null(at);
    snprintf(plan, strlen(text) + 64, "%.*s\"projects\":{\"per_county\":4},%s",
             (int)(at - text), text, at);
    load_plan(plan, &p);
    for (int r = 0; r < reps; r++) {
        struct draw d;
        char seed[32];
        int county = 0;
        snprintf(seed, sizeof seed, "projects-%d", r);
        draw_init(&d);
        assert_int_equal(sample_draw(&p, seed, &src, 0, &d, &e), 0);
        for (size_t i = 0; i < d.nsels; i++) {
            const struct sel *s = &d.sels[i];
            if (strcmp(s->stage, "project") || strcmp(s->stratum, "county")) continue;
            county++;
            assert_true(fabs(s->pi - 0.5) < 1e-15);
            hits[atoi(s->code + 8) - 1]++;
        }
        assert_int_equal(county, 4);
        draw_release(&d);
    }
    for (int k = 0; k < 8; k++) /* each in half the draws, within 4 binomial s.e. */
        assert_true(fabs(hits[k] / (double)reps - 0.5) < 4 * sqrt(0.25 / reps));
    plan_release(&p);
    free(text);
    free(plan);
}

static void district_poor_and_nonpoor(void **state);
static void district_general_fallback(void **state);

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ticket_vectors),         cmocka_unit_test(anhui_substitutions),
        cmocka_unit_test(district_rules),         cmocka_unit_test(row_order_independent),
        cmocka_unit_test(inclusion_probabilities), cmocka_unit_test(monte_carlo_probabilities),
        cmocka_unit_test(plan_errors),            cmocka_unit_test(team_lottery),
        cmocka_unit_test(household_stratum_agrees), cmocka_unit_test(manifest_parser),
        cmocka_unit_test(exact_pi_enumeration),   cmocka_unit_test(exact_pi_matches_monte_carlo),
        cmocka_unit_test(reserves_skip_group_census), cmocka_unit_test(county_projects_from_all),
        cmocka_unit_test(district_poor_and_nonpoor), cmocka_unit_test(district_general_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* ------------------------------------------------------------------ issue 16 item 10 */

/* Seed 004 (third article, 一4): "抽村原则:6个重点乡镇各随机抽取3个村,5个非重点乡镇各随机抽取2个村,
 * 共计28个村,兼顾脱贫村和非贫困村。" — by_township's min_poor / min_nonpoor: every township that
 * holds poor and non-poor villages gives at least one of each; the rest of its quota comes
 * from all its other villages. Before the rule a township of 1 poor village in 7 gave it in
 * 2 draws of 7 only; now in every draw, and π still equals the selection frequency. */
static void district_poor_and_nonpoor(void **state)
{
    static struct mem_frame m;
    struct frame_source src;
    struct plan p;
    struct error e;
    char *plan_text;
    const char *at;
    const int reps = 1500;
    int hits[MAXV] = {0};
    double pi_of[MAXV];
    (void)state;
    memset(&m, 0, sizeof m);
    mf_county(&m, 610101);
    /* township 101 (key, 3): 2 poor of 8; 102 (other, 2): 1 poor of 7; 103 (key): none poor */
    for (int v = 1; v <= 8; v++) mf_village(&m, 610101, 101, 200 + v, v <= 2, 2, 40);
    for (int v = 1; v <= 7; v++) mf_village(&m, 610101, 102, 200 + v, v == 7, 2, 40);
    for (int v = 1; v <= 6; v++) mf_village(&m, 610101, 103, 200 + v, 0, 2, 40);
    mf_source(&m, &src);
    for (size_t i = 0; i < MAXV; i++) pi_of[i] = -1;
    at = strstr(district_like, "\"other\":2}");
    assert_non_null(at);
    plan_text = malloc(strlen(district_like) + 64);
    assert_non_null(plan_text);
    snprintf(plan_text, strlen(district_like) + 64, "%.*s\"other\":2,\"min_poor\":1,"
             "\"min_nonpoor\":1}%s", (int)(at - district_like), district_like, at + 10);
    load_plan(plan_text, &p);
    assert_int_equal(p.min_poor, 1);
    assert_int_equal(p.min_nonpoor, 1);
    for (int r = 0; r < reps; r++) {
        struct draw d;
        char seed[32];
        int poor[4] = {0}, nonpoor[4] = {0};
        snprintf(seed, sizeof seed, "mix-%d", r);
        draw_init(&d);
        assert_int_equal(sample_draw(&p, seed, &src, 0, &d, &e), 0);
        for (size_t i = 0; i < d.nsels; i++) {
            const struct sel *s = &d.sels[i];
            size_t vi = 0;
            if (strcmp(s->stage, "village")) continue;
            while (m.villages[vi].code != s->village) vi++;
            if (m.villages[vi].poor) poor[s->village / 1000 % 10]++;
            else nonpoor[s->village / 1000 % 10]++;
            hits[vi]++;
            if (pi_of[vi] < 0) pi_of[vi] = s->pi;
            assert_true(fabs(pi_of[vi] - s->pi) < 1e-15); /* π is the design's, not the draw's */
        }
        /* every township holding both kinds gives both */
        assert_true(poor[1] >= 1 && nonpoor[1] >= 1 && poor[1] + nonpoor[1] == 3);
        assert_int_equal(poor[2], 1);
        assert_int_equal(nonpoor[2], 1);
        assert_int_equal(poor[3], 0);
        assert_int_equal(nonpoor[3], 3);
        draw_release(&d);
    }
    /* π by hand: 101 poor 1/2 + 1/2·1/6 = 7/12, non-poor 1/6 + 5/6·1/6 = 11/36; 102 poor 1,
     * non-poor 1/6; 103 3/6 */
    for (size_t i = 0; i < m.nvillages; i++) {
        const struct frame_village *v = &m.villages[i];
        int t = (int)(v->township % 10);
        double want = t == 1 ? (v->poor ? 7.0 / 12 : 11.0 / 36)
                      : t == 2 ? (v->poor ? 1.0 : 1.0 / 6) : 0.5;
        double f = hits[i] / (double)reps;
        assert_true(pi_of[i] > 0);
        assert_true(fabs(pi_of[i] - want) < 1e-12);
        assert_true(fabs(f - want) < 4 * sqrt(want * (1 - want) / reps) + 1e-12);
    }
    plan_release(&p);
    free(plan_text);
}

/* ------------------------------------------------------------------ issue 16 item 11 */

/* Seed 004 (third article, 一5): "非建档立卡户重点从疑似危房户、大病户、低保户、五保户、残疾人户等
 * 重点边缘户中随机抽取" — 重点从 names where to start, not the only source. The shipped district
 * plan: a village with 2 vulnerable (flagged) general households and 20 plain ones takes both
 * vulnerable ones and 3 plain general households standing in for the vulnerable quota, with
 * π = 3/20 each, matching the selection frequency; plain households never come first. */
static void district_general_fallback(void **state)
{
    static struct mem_frame m;
    struct frame_source src;
    struct plan p;
    struct errlist errs;
    struct error e;
    const int reps = 600;
    int hits[MAXH] = {0};
    int64_t vc;
    (void)state;
    memset(&m, 0, sizeof m);
    mf_county(&m, 610101);
    vc = mf_village(&m, 610101, 101, 201, 1, 2, 40)->code;
    mf_households_add(&m, vc, "unexited", 6, 1);
    mf_households_add(&m, vc, "exited_earlier", 6, 1);
    mf_households_add(&m, vc, "vulnerable", 2, 2);
    mf_households_add(&m, vc, "general", 20, 2);
    mf_source(&m, &src);
    errlist_init(&errs, 20);
    assert_int_equal(plan_load("plans/district-2020h1.json", &p, &errs, &e), 0);
    errlist_release(&errs);
    for (int r = 0; r < reps; r++) {
        struct draw d;
        char seed[32];
        int own = 0, stand_in = 0;
        snprintf(seed, sizeof seed, "general-%d", r);
        draw_init(&d);
        assert_int_equal(sample_draw(&p, seed, &src, 0, &d, &e), 0);
        for (size_t i = 0; i < d.nsels; i++) {
            const struct sel *s = &d.sels[i];
            size_t k = 0;
            if (strcmp(s->stage, "household") || s->reserve) continue;
            while (strcmp(m.hh[k].id, s->code)) k++;
            if (!strcmp(s->stratum, "vulnerable")) {
                assert_true(m.hh[k].flags & HF_ILLNESS);
                assert_string_equal(s->substitute_for, "");
                own++;
            } else if (!strcmp(s->stratum, "general")) {
                assert_int_equal(m.hh[k].flags, 0);
                assert_int_equal(m.hh[k].registered, 0);
                assert_string_equal(s->substitute_for, "vulnerable");
                assert_true(fabs(s->pi - 3.0 / 20) < 1e-15);
                stand_in++;
                hits[k]++;
            }
        }
        assert_int_equal(own, 2);
        assert_int_equal(stand_in, 3);
        for (size_t i = 0; i < d.nnotes; i++)
            if (!strcmp(d.notes[i].stratum, "vulnerable")) assert_int_equal(d.notes[i].shortfall, 0);
        draw_release(&d);
    }
    for (size_t k = 0; k < m.nhh; k++) {
        double f = hits[k] / (double)reps, want = 3.0 / 20;
        if (m.hh[k].registered || m.hh[k].flags) continue;
        assert_true(fabs(f - want) < 4 * sqrt(want * (1 - want) / reps));
    }
    plan_release(&p);
}
