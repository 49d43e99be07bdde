/*
 * judge.h — household and village judgments (DESIGN §6, src/judge/): is this exited household
 * a wrong exit, is this general household a missed poor household, does this village meet the
 * exit standard — each judgment stored with the rule, the answers that decided it and the
 * plan's parameters, so that `judge explain` can show why. Reads questionnaires (survey.h),
 * the registry and the sample's plan; writes judgments and problem candidates.
 *
 * The rules (docs/judgments.md):
 *   household exit standard (seed 004 annex 1 (一)): income above the year's line, stable;
 *     food and clothing secure; safe water; no compulsory-age child out of school; basic
 *     medical insurance and serious-illness assistance; safe housing. An exited household
 *     failing it is a wrong exit (错退).
 *   the eight no-exit cases (seed 001, Hunan), checked for the year's exits: the five items
 *     above, policies without clear effect, newly included this year, and an allowance
 *     household where the local allowance standard does not exceed the line (未超过: ≤).
 *   missed (漏评): a general household at or below the line, or failing an item it cannot meet
 *     by itself (seed 004 annex 3).
 *   approval: exited households (知晓认可) and general households (认可); unexited households
 *     are not asked.
 *   signs of wrong identification: the four kinds of persons (seed 003, 001).
 *   registry data quality (seed 002): household size, members, status, income.
 *   village exit standard item by item with the measured value and the plan's bound
 *     (seed 004 annex 1, DESIGN §6.2, §6.4).
 */
#ifndef PINGGU_JUDGE_H
#define PINGGU_JUDGE_H

#include "../base/base.h"
#include "../plan/plan.h"
#include "../store/store.h"

enum judge_outcome { JUDGE_PASS = 0, JUDGE_FAIL = 1, JUDGE_NA = 2 };

/* One rule applied to one unit. */
struct jrule {
    char rule[32];         /* e.g. "exit.housing", "case8.allowance_standard", "village.road" */
    enum judge_outcome outcome;
    char value[128];       /* the measured value, e.g. "3.49" or "no" */
    char bound[192];       /* what it was held against, e.g. ">= 3.5 (不低于3.5米)" */
    char answers[256];     /* the answers that decided it: "road_hardened=yes road_width=3.49" */
};

#define JUDGE_MAX_RULES 48

/* All judgments of one unit. */
struct jresult {
    struct jrule r[JUDGE_MAX_RULES];
    int n;
    /* the decisive findings, for counting and estimation (-1: not applicable) */
    int exited;      /* the household is a registered exited household */
    int wrong_exit;  /* exited and failing the exit standard */
    int missed;      /* general and meeting the poverty standard */
    int approval;    /* approves / knows and accepts (1), not (0), not asked (-1) */
    int four_kinds;  /* a sign of wrong identification */
    int village_ok;  /* villages: every item passes */
    int persons;     /* persons behind the household (registry, or the team's count) */
};

/* Where a judgment reads answers: by question name (top level), NULL if unanswered; and the
 * number of repeat instances. */
struct janswers {
    void *ctx;
    const char *(*get)(void *ctx, const char *name);
    long (*instances)(void *ctx, const char *repeat);
};

/* What the registry says of a household, as of judging. */
struct jregistry {
    int registered, identified_year, exit_year, returned;
    int allowance;              /* 低保 */
    int persons;                /* members in the registry */
    double income;              /* registered per-capita income, or < 0 if none */
    double allowance_standard;  /* the county's local allowance standard, yuan per year */
};

/* The plan's parameters a judgment uses. */
struct jparams {
    int year;
    double line;
    const struct plan *plan; /* for village items; may be NULL (defaults of DESIGN §6.4) */
};

/* Judges a household from its questionnaire (general: the general-household form) and the
 * registry. Pure: no store access. */
void judge_household(const struct jparams *p, const struct janswers *a, int general,
                     const struct jregistry *reg, struct jresult *out);
/* Judges a village from its village-exit questionnaire against the plan's village standard. */
void judge_village(const struct jparams *p, const struct janswers *a, struct jresult *out);

struct judge_stats {
    int64_t households, villages, rules;
    int64_t wrong_exit, missed, four_kinds, villages_failing;
    int64_t problems;  /* new problem candidates inserted by this judging */
    int64_t kept;      /* raised again and already problems: left as they are */
    int64_t withdrawn; /* untouched candidates no longer raised, removed */
};

/* Judges every complete questionnaire of a sample and stores the judgments and the problem
 * candidates (wrong exits, missed households, no-exit cases, signs of wrong identification,
 * failing village items, registry discrepancies), replacing an earlier judging of the sample
 * (the earlier batches are retired in the change log). Candidates are reconciled by (sample,
 * unit, rule): a problem already raised keeps its number and state, so re-judging never
 * duplicates one (DESIGN §8.1). */
int judge_sample(struct store *s, const char *sample, struct judge_stats *st, struct error *e);
/* Prints judgment counts per county (or JSON). */
int judge_print(struct store *s, const char *sample, int json, FILE *f, struct error *e);
/* Prints, for one unit, every rule: outcome, value, bound, the answers behind it. */
int judge_explain(struct store *s, const char *sample, const char *unit, FILE *f, struct error *e);

#endif
