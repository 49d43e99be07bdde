/*
 * estimate.h — county indicators with honest intervals, verdicts, power and scoring
 * (DESIGN §6.3, §7; src/estimate/). Reads the sample (plan.h), its fieldwork and judgments
 * (judge.h) and the registry; writes nothing but printed and exported figures (and scores).
 *
 * Estimators (docs/estimation.md): design weights are inverse inclusion probabilities of
 * every stage (village within county, household within village; county within province for
 * levels above a sampled county), adjusted for non-response within quota cells (village ×
 * stratum); rates are ratios of weighted totals — wrong-exit and missed rates per person,
 * approval per household asked; variances by Taylor linearisation over the first-stage units
 * of the level (villages within the plan's village strata for a county; above it, villages
 * within county × stratum when every county was assessed, else counties within provinces and,
 * for a county taken with certainty, its villages within county × stratum),
 * with-replacement approximation; every rate is a domain of that full design (a sampled
 * village without a household of the rate's population is a PSU contributing zero, as
 * svyratio on subset() computes it), df = first-stage units − strata of the domain (R's
 * degf); intervals for proportions by Korn–Graubard (R's svyciprop(method = "beta")):
 * n_eff = p(1−p)/v × (t_{n−1}/t_df)², capped at n, n_eff = n when p = 0 or v = 0, then
 * Clopper–Pearson on n_eff. The comprehensive
 * incidence (U + e·E + m·G)/R is linearised as a whole (covariance of e and m included) and
 * its interval is the interval of q = (e·E + m·G)/(E + G) mapped back.
 */
#ifndef PINGGU_ESTIMATE_H
#define PINGGU_ESTIMATE_H

#include "../base/base.h"
#include "../plan/plan.h"
#include "../store/store.h"

/* ---------------------------------------------------------------- the core */

/* One observation of a ratio R = Σ w y / Σ w x. */
struct obs {
    int stratum; /* stratum of the first-stage unit */
    int psu;     /* first-stage unit (unique across strata) */
    double w;    /* design weight (non-response adjusted); 0: a household of the design outside
                    the rate's domain (it keeps its PSU and stratum in the design, y = x = 0) */
    double y, x;
};

/* One estimated figure. */
struct est {
    int valid;       /* there was a denominator */
    double estimate; /* the ratio */
    double se;       /* linearised standard error */
    double lower, upper; /* 95% interval (Korn–Graubard for proportions) */
    double deff;     /* design variance / variance under SRS with replacement of n */
    double n_eff;    /* effective sample size behind the interval */
    int df;          /* first-stage units − strata */
    int psus, strata;
    int64_t n;       /* observations (households) in the denominator: the domain, w > 0 */
    double persons;  /* Σ x of the observations (persons, for person rates) */
    int lonely;      /* strata of the domain with a single first-stage unit in the design
                        (centred at the mean of all units, R's lonely.psu = "adjust") */
};

/* The ratio estimate, its linearised variance and design effect (interval not set; no
 * design effect when df = 0). The variance contributions z_i = w_i (y_i − R x_i) / X̂ are
 * summed per first-stage unit, observations with w = 0 (outside the domain) contributing 0;
 * a stratum with one unit is centred at the mean of all units (R's lonely.psu = "adjust"). If
 * zvals is non-NULL it receives z_i for each observation (for combined estimators). */
void ratio_estimate(const struct obs *o, size_t n, struct est *out, double *zvals);
/* Variance of Σ z over first-stage units within strata (with replacement), every PSU of a
 * stratum the domain (w > 0) reaches counted in its n_h; *df, *psus, *strata over the domain
 * (R's degf of the subset), *lonely the domain's single-PSU strata. */
double linearised_variance(const struct obs *o, const double *z, size_t n, int *df, int *psus,
                           int *strata, int *lonely);
/* Korn–Graubard 1−alpha interval for a proportion p with variance v from n observations and
 * df degrees of freedom (see the header comment). */
void kg_interval(double p, double v, int64_t n, int df, double alpha, double *lower,
                 double *upper, double *n_eff);
/* The comprehensive incidence (U + e·E + m·G)/R from the wrong-exit and missed estimates and
 * their z values (ratio_estimate's zvals), linearised as a whole: per first-stage unit
 * z = (E z_e + G z_m)/R, so the covariance of e and m is included; the interval is the
 * Korn–Graubard interval of q = (e·E + m·G)/(E + G), with n the households of both
 * denominators, mapped back through incidence = (U + q(E + G))/R. */
void incidence_estimate(const struct obs *oe, const double *ze, size_t ne, const struct est *e,
                        const struct obs *om, const double *zm, size_t nm, const struct est *m,
                        double U, double E, double G, double R, struct est *out);
/* Student t quantile (GSL). */
double t_quantile(double prob, double df);

/* ---------------------------------------------------------------- verdicts */

enum interval_verdict { IV_NONE = 0, IV_WITHIN, IV_CLOSE, IV_OUTSIDE };
const char *interval_verdict_zh(enum interval_verdict v);
const char *interval_verdict_en(enum interval_verdict v);

struct verdict {
    int applicable;      /* the plan has a threshold for it */
    enum plan_op op;
    double threshold;
    char words[192];
    int official;        /* 1: the point estimate meets the threshold (达标) */
    enum interval_verdict interval; /* clearly within / too close to call / clearly outside */
};
void verdict_of(const struct est *e, const struct plan_threshold *t, struct verdict *v);

/* ---------------------------------------------------------------- indicators */

enum indicator { IND_WRONG_EXIT = 0, IND_MISSED, IND_INCIDENCE, IND_APPROVAL, IND_COUNT };
const char *indicator_code(enum indicator i); /* "wrong_exit" */
const char *indicator_zh(enum indicator i);   /* "错退率" */

/* The figures of one unit of a level (a county, a city, a province). */
struct unit_est {
    int code;          /* county / city / province code */
    char name[64];
    char region[16];
    int counties;      /* counties in it */
    double R, U, E, G; /* rural population, unexited, exited (sampled years), general persons */
    struct est ind[IND_COUNT];
    struct verdict v[IND_COUNT];
    int has_reported[IND_COUNT];
    double reported[IND_COUNT]; /* the province's own figure (registry), if any */
    int reported_outside[IND_COUNT]; /* it lies outside the interval */
    int64_t selected, reached, replaced; /* response of the originally selected households */
    int64_t out_of_scope; /* originals found dead (whole household) or not to exist */
    double response;   /* reached / (selected − out of scope) */
    int64_t villages;
    int incidence_assumes; /* G covers only the sampled kinds of general households */
};

/* A quota cell (village × the stratum drawn in) with an in-scope share but no complete
 * questionnaire: collapsed into the nearest cell of the same quota stratum (within = 1: in a
 * village of the same village stratum; 2: elsewhere in the county), or, when the county has
 * no such cell, lost (within = -1, into = 0). */
struct cell_collapse {
    int county;
    int64_t village, into;
    char quota[32], vstratum[48];
    int64_t selected, out_of_scope;
    int within;
};

struct estimates {
    char sample[64], plan_id[64], level[12];
    int year, scored, ranked;
    double line;
    struct unit_est *u; /* owned */
    size_t n;
    struct cell_collapse *collapses; /* owned: every collapsed or lost cell of the sample */
    size_t ncollapses;
};

/* Estimates every indicator for each unit of the level ("county", "city", "province"). */
int estimate_sample(struct store *s, const char *sample, const char *level,
                    struct estimates *out, struct error *e);
void estimates_release(struct estimates *x);
/* Prints the table (Chinese and English headers), or JSON. */
void estimates_print(const struct estimates *x, int json, FILE *f);

/* ---------------------------------------------------------------- analysis export */

/* One row per surveyed household: county, stratum, primary unit, weight, persons, category,
 * and every household-level outcome, then one registry-totals row per county of the sample —
 * enough to reproduce every figure with R's survey package or Stata's svy. format: "csv",
 * "dta" (Stata, with a companion .do holding svyset) or "sav" (SPSS, weighted by `weight`),
 * by ReadStat, with value labels. */
int export_analysis(struct store *s, const char *sample, const char *path, const char *format,
                    struct error *e);

/* ---------------------------------------------------------------- power */

/* plan_power draws the plan this many times (seeds power|1 … power|POWER_DRAWS) and averages
 * over the draws: a plan whose structure varies from draw to draw (a village-group census
 * adds a whole group's households) is judged by its average, not by one draw. */
#define POWER_DRAWS 10

struct power_row {
    int county;
    char name[64];
    enum indicator ind;
    double threshold;
    int64_t expected_n;  /* households expected in the denominator: mean_n rounded */
    double mean_n;       /* their mean over the draws */
    int draws;           /* draws averaged over (1 for a stored sample) */
    double half_width;   /* expected interval half-width at p = threshold */
    double power;        /* P(clearly within | p = threshold / 2) */
    int decides;         /* power >= 0.8 */
    double detectable;   /* the least-favourable true rate on a grid that the plan calls clearly
                            outside with 80% power (NaN: none up to 50% / down to 50%) */
};
/* Before fieldwork: draws the plan POWER_DRAWS times on the registry for its structure (the
 * counties of the first draw, each county's villages and households in every draw), then
 * simulates outcomes at p = threshold and p = threshold/2 (with a village intra-class
 * correlation icc) `reps` times per county and indicator, replicate r on draw r mod
 * POWER_DRAWS. Caller frees *rows. */
int plan_power(struct store *s, const struct plan *p, int reps, double icc,
               struct power_row **rows, size_t *n, struct error *e);
/* The same for the stored sample `sample`: its recorded villages, households and π (no new
 * draw). Caller frees *rows. */
int sample_power(struct store *s, const char *sample, int reps, double icc,
                 struct power_row **rows, size_t *n, struct error *e);

/* ---------------------------------------------------------------- scoring (score.c) */

/* Scored plans only (Henan's method, seed 004; Shaanxi's four rates and one degree, seed 001):
 * the plan's weighted indicator trees, scored per unit. A plan that is not scored is refused:
 * 不打分、不排队 (seed 000). */
struct score_unit {
    char key[48];   /* township / county / city code, or the department's name */
    char name[96];
    double *node;   /* [scoring.nnodes] 0..100, NaN where not measured */
    int64_t *n;     /* [scoring.nnodes] households behind an indicator leaf, else 0 */
    double base;    /* the weighted tree, 0..100 */
    double bonus;   /* sum of the bonus items of its tree (each at most its max) */
    double total;   /* base + bonus */
    double se;      /* jackknife over the unit's villages (NaN: score-sheet only, < 2 villages) */
    int df;         /* the jackknife's degrees of freedom: villages − 1 (0 without se) */
    int villages;
    int vetoed;     /* a one-vote veto item is set: keeps its place, never flagged 前列 */
    int cond_ok;    /* every condition item of its tree is 1 (通过验收实现整体脱贫) */
    int below;      /* leaves below their standard (Shaanxi: 全面达标 fails) */
    int county, city; /* where it is: townships and departments their county; else 0 */
    int group;      /* the ranking it is in (its county, city, or 0 for the whole sample) */
    int group_n;    /* units ranked together */
    int scope;      /* where the top share is counted (county, city or 0 = the sample) */
    int scope_n;    /* units there */
    int scope_rank; /* its place there, ties sharing */
    int top_n;      /* how many of them the plan's top share flags (rounded down) */
    int rank;       /* 1 = best within the group; ties share a rank */
    int top, top_count, last, twice_last; /* 前列, 前十名, 倒数第一, 连续2次 */
    int band;       /* index of its band (好中差) in the tree's rank section; -1 none */
    double z_next;  /* (total - total of the next unit down) / se of the difference; NaN if
                       either se is unknown or this is the last unit */
    double crit_next; /* the two-sided 5% t quantile for z_next with Welch–Satterthwaite df */
    double z_top, crit_top; /* the same against the next unit down in the top scope, for the
                               unit at the top-share boundary (scope_rank == top_n); else NaN */
    int unmeasured; /* indicator leaves with no household: weight spread over siblings */
};
struct score_tree {
    char unit[16]; /* township, county, city, department */
    char zh[64];
    struct score_unit *u; /* owned, by group then rank */
    size_t n;
    char previous[64];    /* the earlier round (sample) whose last place is compared, or "" */
};
struct scores {
    char sample[64], plan_id[64], inputs_sha256[65];
    struct plan_scoring sc; /* a copy of the plan's scoring section */
    struct score_tree t[4]; /* units and their node arrays owned (scores_release) */
    int ntrees;
};
/* Scores sample `sample` with the team's score sheet `inputs` (CSV
 * tree,unit,item,value[,name][,county], departments naming their county when the sample has
 * several; NULL when every leaf is measured by the survey), stores the scores (replacing an earlier
 * scoring of the sample) and fills *out (caller releases). Problems in the sheet go to errs
 * as "FILE:LINE: reason", all of them, and nothing is stored (ERR_INVALID). */
int score_sample(struct store *s, const char *sample, const char *inputs, struct scores *out,
                 struct errlist *errs, struct error *e);
void scores_release(struct scores *x);
/* Reads the score sheet at `path` against scored plan p without a store (fuzzing): every
 * problem into errs, every unit named on the sheet taken as surveyed; writes nothing. */
int score_sheet_check(const struct plan *p, const char *path, struct errlist *errs,
                      struct error *e);
/* Writes a blank score sheet for the sample (CSV: every unit × every score-sheet leaf with an
 * empty value, bonus, veto and condition items of its tree at 0; departments as one example
 * row set "部门1" per county of the sample, with the county column). */
int score_template(struct store *s, const char *sample, FILE *f, struct error *e);
/* Prints each tree's table (Chinese and English headers) with the flags explained, or JSON. */
void scores_print(const struct scores *x, int json, FILE *f);

#endif
