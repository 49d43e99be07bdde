/*
 * estimate_int.h — private to src/estimate/: the surveyed households and the counties of a
 * sample exactly as the estimators read them, shared by indicators.c (estimate_sample) and
 * export.c (export_analysis), so that the analysis export carries the very weights and
 * outcomes the printed figures were computed from — one definition, never two.
 *
 * Invariants:
 *   - A struct hrec is one household with a complete questionnaire, drawn at the household
 *     stage, whose village, county and own inclusion probabilities are all > 0; households
 *     failing that are skipped by est_load_households, never half-loaded.
 *   - hrec_weight is the only place the design weight is formed: non-response adjustment
 *     divided by the product of the recorded conditional inclusion probabilities.
 *   - Outcomes are 1 (fails: wrong exit, missed, one of the four kinds; for approval:
 *     approves), 0, or -1 (not asked, not applicable or undecided: excluded from the rate).
 */
#ifndef PINGGU_ESTIMATE_INT_H
#define PINGGU_ESTIMATE_INT_H

#include "estimate.h"

/* A small string -> index table (village strata names, in order of first appearance). */
struct names {
    char (*s)[48]; /* owned (mem_free) */
    size_t n, cap;
};

/* One surveyed household. */
struct hrec {
    int county, city, province;
    int64_t village;
    int vstratum;   /* index of the village's stratum name in the caller's struct names */
    double pi_c;    /* county within province (1 when every county is assessed) */
    double pi_v;    /* village within county */
    double pi_h;    /* household within village */
    double adj;     /* non-response factor of its quota cell (village × stratum): selected /
                       completed, in-scope share only, collapsed cells' shares added */
    double persons; /* the registry's persons recorded with the judgments (at least 1) */
    int wrong_exit, missed, approval; /* 1 / 0 / -1 (see the header comment) */
    int four_kinds; /* 1 a member is one of the four kinds, 0 none, -1 not asked */
    int exited;     /* registered, exit year set, not returned (the registry at judgment) */
    int category;   /* enum hh_category of the sampled unit, -1 if unknown */
    char unit[32];  /* household code (the sampled unit) */
    char quota[32]; /* the stratum it was drawn in: a quota name, "group", "census_…" */
};

/* A county of the sample with its registry totals (DESIGN §6.3). */
struct crec {
    int code;
    double pi; /* county within province */
    char name[64], region[16];
    double R, U, E, G; /* rural population, unexited, exited (plan's kinds), general persons */
    int has_reported[IND_COUNT];
    double reported[IND_COUNT];
    int64_t selected, reached, replaced, villages;
    int64_t out_of_scope; /* originals found dead (whole household) or not to exist */
};

/* The households of sample row srow with complete questionnaires, in (county, village, unit)
 * order; village stratum names are added to *strata. Caller owns *out (mem_free) and
 * strata->s. 0 or a negative ERR_*. */
int est_load_households(struct store *s, int64_t srow, struct hrec **out, size_t *nout,
                        struct names *strata, struct error *e);
/* The quota cells of sample row srow that were collapsed (no complete questionnaire: their
 * in-scope share went to the nearest cell, docs/estimation.md §1) or could not be, in
 * (village, quota) order. Caller owns *out (mem_free). 0 or a negative ERR_*. */
int est_load_collapses(struct store *s, int64_t srow, struct cell_collapse **out, size_t *nout,
                       struct error *e);
/* The counties of sample row srow, in code order, with registry totals for plan p. Caller owns
 * *out (mem_free). 0 or a negative ERR_*. */
int est_load_counties(struct store *s, int64_t srow, const struct plan *p, struct crec **out,
                      size_t *nout, struct error *e);

/* The design weight of a household: its non-response adjustment over the product of the
 * inclusion probabilities of household (within village), village (within county) and, when
 * with_county, county (within province: levels above a sampled county). */
static inline double hrec_weight(const struct hrec *r, int with_county)
{
    return r->adj / (r->pi_v * r->pi_h * (with_county ? r->pi_c : 1.0));
}

/* The ratio pair a household adds to a person-based rate — wrong exit (脱贫人口错退率) and
 * missed (贫困人口漏评率) are rates over persons (seed 000; DESIGN §6.3): numerator persons ×
 * outcome, denominator persons. Returns 0 (and leaves *y, *x alone) when the household does
 * not answer the outcome (-1). The one definition used by estimate_unit (indicators.c) and
 * the scored plans' exit accuracy (score.c). */
static inline int hrec_person_pair(const struct hrec *r, int outcome, double *y, double *x)
{
    if (outcome < 0) return 0;
    *y = r->persons * outcome;
    *x = r->persons;
    return 1;
}

#endif
