/*
 * report.h — county and summary reports, HTML and XLSX (issue 5 "Reports"; DESIGN §6–§8;
 * src/report/). The last stage of the pipeline: it reads the sample and its plan (plan.h), the
 * judgments and problem candidates (judge.h's tables), the indicators (estimate.h) and the
 * registry, and writes files; it never writes the store except one change-log note when a
 * report shows personal data in full.
 *
 * What is written into DIR (docs/reports.md says what each part is for and which seed asks
 * for it):
 *   index.html          the summary: a table and a chart across counties, the method, links;
 *   county-CODE.html    per county: 1 basic situation, 2 indicators with intervals and both
 *                       verdicts, 3 a chart of each indicator against its threshold, 4 the
 *                       village exit table, 5 sampled households per quota stratum, 6 problem
 *                       candidates with evidence, 7 the fields the team fills in (typical
 *                       experiences, problems with suggestions), 8 signature lines;
 *   problems.html       the problem list in the template's 17 columns (DESIGN §8);
 *   report.xlsx         汇总 first, then 问题清单, then one group of sheets per county.
 *
 * Two steps with a data model between them, so each can be tested alone:
 *   report_gather  store → struct report (everything a writer needs, already masked);
 *   report_emit    struct report → files.
 *
 * Invariants.
 *   1. Personal data are masked at the source: report_gather puts only masked names and
 *      resident IDs into struct report unless asked for them in full; report_emit masks again
 *      any 18-character resident ID in any text it writes (free text may carry one), unless
 *      the report is unmasked.
 *   2. A plan that is not scored and not ranked (the national spot check: 不打分、不排队)
 *      produces no score and no rank anywhere — not even the sampling rank of a unit.
 *   3. Every file is written to a temporary name in DIR and renamed only when all of them
 *      were written: a failure leaves the earlier report, never half of a new one.
 *   4. The HTML is self-contained: inline CSS and SVG, no script, no font or image fetched;
 *      links are relative (county pages, evidence blobs near the store) so it opens offline.
 */
#ifndef PINGGU_REPORT_H
#define PINGGU_REPORT_H

#include "../base/base.h"
#include "../estimate/estimate.h"
#include "../plan/plan.h"
#include "../store/store.h"

/* ---------------------------------------------------------------- the data model */

/* All strings are UTF-8 and, for a gathered report, owned by its arena. NULL and "" both
 * mean "not known". */

struct report_member {
    const char *role;       /* leader, deputy, liaison, member */
    const char *name;       /* masked (张*) unless the report is unmasked */
    const char *unit_level; /* codes_unit_level: province city county township village ... */
    const char *position;   /* codes_position: director division cadre expert student */
    int pair;               /* household-visit pair, 0 for leader/deputy/liaison */
    int experienced;        /* has done a third-party assessment before */
    int home_city;
};

struct report_team {
    int team; /* team number, 0 when no team was drawn for the county */
    int home_city;
    const struct report_member *members;
    size_t nmembers;
};

/* One rule of the village exit standard as judged (judgments village.*). */
struct report_item {
    const char *rule;    /* "village.road" */
    const char *outcome; /* pass, fail, na */
    const char *value;   /* the measured value, as judged ("3.49", "yes") */
    const char *bound;   /* what it was held against, with the seed's words */
};

struct report_village {
    int64_t code;
    const char *name, *township;
    const char *stratum; /* the plan's village stratum: poor, nonpoor, ... */
    double pi;           /* inclusion probability within the county */
    int group;           /* the village group surveyed in full, 0 if none */
    int64_t households;  /* household questionnaires completed */
    const char *survey_date;
    int exit_ok; /* village.exit: 1 pass, 0 fail, -1 not judged */
    const struct report_item *items;
    size_t nitems;
};

/* Sampled households of one quota stratum (or census group) of a county. */
struct report_stratum {
    const char *stratum;   /* exited_current, general, census_returned, group ... */
    const char *label;     /* in Chinese with the plan's years: "2016—2018年脱贫户" */
    int64_t selected;      /* originally selected (not reserves) */
    int64_t substitutes;   /* of those, taken for another quota that fell short */
    int64_t not_reached;   /* selected households without a completed questionnaire */
    int64_t reserves_used; /* reserves that replaced a household not reached */
    int64_t completed;     /* completed questionnaires (selected and reserves) */
    int64_t exited_judged, wrong_exit; /* exited households judged; of them wrong exits */
    int64_t general_judged, missed;    /* general households judged; of them missed */
    int64_t asked, approving;          /* approval asked; of them approving */
};

struct report_evidence {
    const char *sha256; /* the blob's content address */
    const char *media;  /* photo, audio, document, other */
    const char *name;   /* the file's name when added */
    const char *href;   /* a link relative to the report folder, or NULL (then cite sha256) */
};

/* A problem candidate (problems table): the first columns of the problem list. */
struct report_problem {
    int64_t id; /* the problem's row in the store */
    int county;
    const char *county_name, *township, *village;
    const char *unit;   /* the unit's code (household id or village code) */
    const char *object; /* 对象: the household with its head (masked) or the village */
    const char *kind;   /* identification, exit, data_quality, ... */
    const char *rule;   /* the judgment rule that raised it */
    const char *description;
    const char *found_by, *found_on, *status;
    int team; /* the team that surveyed the unit, 0 if unknown */
    const struct report_evidence *evidence;
    size_t nevidence;
    /* where it stands (problem.h problem_progress), the list's last seven columns: 复核结果,
     * 整改措施, 责任单位, 责任人, 整改时限, 整改结果, 销号日期 ("" while not reached) */
    const char *state_label; /* 待核查, 已记录, ... 已销号 */
    const char *verification, *measures, *responsible_unit, *responsible_person, *deadline,
        *result, *closed_on;
    int linked; /* also raised by another source (a judgment and a comparison flag) */
};

struct report_county {
    struct unit_est est; /* indicators, verdicts, response (estimate.h) */
    const char *city_name;
    const char *type; /* codes_county_type: deep planned_exit exited non_key */
    int exit_year;    /* 0 if none */
    int covert;       /* drawn for a covert visit (暗访) */
    int64_t rural_population;
    double allowance_standard;
    /* the registry, full counts */
    int64_t registered_households, registered_persons, unexited_persons, exited_persons;
    int64_t households_sampled;         /* selected households, census households included */
    const char *first_date, *last_date; /* survey dates in the county */
    struct report_team team;
    const struct report_village *villages;
    size_t nvillages;
    const struct report_stratum *strata;
    size_t nstrata;
    size_t problem0, nproblems; /* its problems: report.problems[problem0 .. +nproblems) */
    const struct power_row *power; /* what the plan can decide here (plan_power), or NULL */
    size_t npower;
    const struct cell_collapse *collapses; /* its quota cells collapsed (or lost) for want of a
                                              complete questionnaire (estimate.h) */
    size_t ncollapses;
};

struct report {
    const char *sample, *plan_id, *title_zh, *title_en;
    int year;
    double line;        /* income line, yuan per person and year */
    int scored, ranked; /* 0, 0: 不打分、不排队 — no score and no rank anywhere */
    const char *commitment, *plan_hash;
    const char *fieldwork_from, *fieldwork_to, *reports_by; /* the plan's schedule, if any */
    int experiences_min, experiences_max; /* typical experiences per county (seed 002: 3–5) */
    int problems_min;         /* problems with suggestions per county (seed 002: at least 3) */
    const char *design;       /* one paragraph: how this plan drew its sample (method section) */
    int village_standard;     /* the plan judges villages against the exit standard */
    const char *generated;    /* YYYY-MM-DD */
    int unmasked;             /* names and resident IDs in full */
    const char *evidence_dir; /* where the blobs are, for the notes; may be NULL */
    const struct report_county *counties;
    size_t ncounties;
    const struct report_problem *problems; /* in county order */
    size_t nproblems;
    int power_reps;         /* replicates of the plan-power simulation, 0 if not run */
    const char *power_note; /* why there is no plan power, or NULL */
    const char *discipline; /* HTML section: problem/'s discipline_section_html (issue 10) */
    struct arena arena; /* owns every string and array of a gathered report */
};

/* Reads everything the reports of `sample` need. out_dir is where the files will go (for
 * relative evidence links; NULL: cite blobs by SHA-256 only). Names and resident IDs are
 * masked unless `unmasked`. The caller owns *out (report_free). */
int report_gather(struct store *s, const char *sample, const char *out_dir, int unmasked,
                  struct report **out, struct error *e);
/* Frees a report from report_gather (not one built by hand). */
void report_free(struct report *r);

/* Writes index.html, problems.html, county-CODE.html and report.xlsx into dir (created if
 * missing), each to a temporary name first and all renamed at the end; on failure nothing
 * of the new report is left. *nfiles (if non-NULL) gets the number of files written. */
int report_emit(const struct report *r, const char *dir, size_t *nfiles, struct error *e);

/* Gathers and emits. `unmasked` also appends a change-log note (who wrote personal data
 * where), so the store must then be writable. */
int report_write(struct store *s, const char *sample, const char *dir, int unmasked, size_t *nfiles,
                 struct error *e);

/* ---------------------------------------------------------------- pieces, for tests */

/* One row of an interval chart: a point estimate, its interval as a bar, the threshold as a
 * line. Values are proportions (0.02 is 2%). */
struct report_bar {
    const char *label;             /* row label (HTML-escaped when drawn) */
    const char *href;              /* optional link of the label (relative), or NULL */
    int valid;                     /* there is an estimate */
    double estimate, lower, upper; /* lower/upper may be NaN: no interval */
    int has_threshold;
    enum plan_op op;
    double threshold;
    enum interval_verdict verdict; /* colours the bar; IV_CLOSE draws it hatched */
};

/* Appends an inline <svg> (no xmlns needed inside HTML, no external reference) drawing each
 * row's interval against its threshold, with a percent axis chosen to show every bar and
 * threshold, and each row's verdict in words. Never fails (strbuf's sticky oom). */
void report_chart_svg(struct strbuf *sb, const char *title, const struct report_bar *rows,
                      size_t n);

/* Appends text with every 18-character resident ID (17 digits and a check digit or X, not
 * inside a longer run of letters or digits) masked as mask_id does. */
void report_mask_ids(struct strbuf *sb, const char *text);

#endif
