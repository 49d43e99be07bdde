/*
 * report.h — county and summary reports, HTML and XLSX (issue 5 "Reports"; DESIGN §6–§8;
 * src/report/). The last stage of the pipeline: it reads the sample and its plan (plan.h), the
 * judgments and problem candidates (judge.h's tables), the indicators (estimate.h) and the
 * registry, and writes files; writing the reports never writes the store except one change-log
 * note when a report shows personal data in full (the sign-off and the records behind the
 * team parts are separate commands: below).
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
 *   report.xlsx         汇总 first, then 问题清单, then one group of sheets per county;
 *   city-CODE.html, paired-CODE.html   the city and paired-assistance reports (levels.c).
 * Beside them (issue 10): the sign-off of a report file and its verification (sign.c), the
 * typical experiences and self-evaluation reports behind the team parts (levels.c), the
 * rectification report in seed 004's layout (rectify.c) and Henan's accountability list
 * (accountability.c). These write only report_signatures, report_experiences, self_evaluations
 * (schema v7) and evidence, each through the change log.
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
    int state;  /* enum problem_state (problem.h) of its last move; 0 (candidate) if none */
};

/* A county's self-evaluation report (自评报告, seed 002 六(二): 于12月10日前报送), as recorded by
 * `report self-evaluation`; arrived "" when none was recorded. */
struct report_selfeval {
    const char *arrived, *due, *sha256, *name; /* YYYY-MM-DD, the file's SHA-256 and name */
    int days_late;                             /* calendar days after the due day, 0 in time */
};

/* A city of the round (seed 002 三(一)2: the city reports), with its typical experiences. */
struct report_city {
    int code;
    const char *name;
    const char *const *experiences; /* 典型经验 recorded for the city, in order */
    size_t nexperiences;
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
    int city_code;
    int paired_with;         /* the county giving it paired assistance (县域结对帮扶), 0 if none */
    const char *paired_name; /* that county's name */
    int64_t paired_households, paired_projects; /* drawn for the paired-assistance check */
    const char *const *experiences; /* 典型经验 recorded for the county report */
    size_t nexperiences;
    const char *const *paired_experiences; /* ... for its paired-assistance report */
    size_t npaired_experiences;
    struct report_selfeval selfeval;
};

/* Which reports report_emit writes (seed 002 六(五): city and county reports, and the separate
 * report on paired assistance for the counties that receive it). */
enum report_level { RL_COUNTY = 0, RL_CITY, RL_PAIRED };

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
    const struct report_city *cities; /* in code order */
    size_t ncities;
    enum report_level level; /* what report_emit writes (report_write_level sets it) */
    const char *selfeval_due;  /* the self-evaluation reports' due day (seed 002 六(二)) */
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

/* Gathers and emits the reports of one level: RL_COUNTY as report_write (index, county
 * pages, problem list, workbook), RL_CITY one page city-CODE.html per city of the round,
 * RL_PAIRED one page paired-CODE.html per county receiving paired assistance (ERR_NOTFOUND if
 * none does). Where a unit's report has typical experiences outside the plan's range (3–5) or
 * fewer problems than its minimum (3), a line per unit is appended to *warnings (if non-NULL;
 * the pages say so too). */
int report_write_level(struct store *s, const char *sample, const char *dir, int unmasked,
                       enum report_level level, struct strbuf *warnings, size_t *nfiles,
                       struct error *e);
/* The warnings of report_write_level, from a gathered report (one line each). */
void report_level_warnings(const struct report *r, enum report_level level, struct strbuf *sb);

/* Records typical experiences (典型经验) for the `level` report of `unit` (a county code for
 * RL_COUNTY and RL_PAIRED, a city code for RL_CITY) in round `round`, one per text (each
 * non-empty, at most 2000 bytes). source: the file they came from, or NULL. ERR_INVALID: a unit
 * that is not one of the round's (a county not assessed, a city without assessed counties, a
 * county not receiving paired assistance) or an empty text; ERR_NOTFOUND: no such round.
 * Change-logged; nothing written on error. */
int report_experience_add(struct store *s, const char *round, enum report_level level, int unit,
                          const char *const *texts, size_t n, const char *source,
                          struct error *e);
/* Reads experiences from a file, one per non-empty line (UTF-8; a line over 2000 bytes is
 * ERR_PARSE naming file:line). Caller frees *out[i] and *out (mem_free). */
int report_experience_read(const char *path, char ***out, size_t *n, struct error *e);

/* Records county `county`'s self-evaluation report (seed 002 六(二)) for round `round`: the file
 * is stored as evidence by its SHA-256 (as `evidence add`), with its arrival day and the due day
 * (`due` YYYYMMDD, 0: December 10 of the plan's year — 于12月10日前报送). ERR_INVALID: a county
 * not assessed in the round, an unreadable file, an arrival day that is not a date. */
int report_self_evaluation_add(struct store *s, const char *round, int county, int arrived,
                               int due, const char *file, char sha256[65], int *days_late,
                               struct error *e);

/* ---------------------------------------------------------------- rectification report */

/* The rectification report (整改报告) of round `round` (rectify.c), laid out as seed 004's two
 * example reports: the accepted problems (confirmed or later, not dismissed) grouped by kind
 * into 共性问题 (a kind found in at least `common_min` counties of the round; <= 0: 2) and 个性
 * 问题, each kind with 具体表现 and examples, 整改措施 (with responsible unit, person and
 * deadline) and 整改结果 (with dates), then the progress per county as of `asof` (YYYYMMDD, 0:
 * today). county != 0: that county's problems only (classified by the whole round). Writes
 * rectification[-COUNTY].html and .xlsx into dir, staged. ERR_NOTFOUND: no such round;
 * ERR_INVALID: no such county. */
struct report_rect_stats {
    size_t problems, overdue, common_kinds, individual_kinds;
    char html[64], xlsx[64]; /* the files written */
};
int report_rectification(struct store *s, const char *round, int county, int asof, int common_min,
                         const char *dir, struct report_rect_stats *st, struct error *e);

/* ---------------------------------------------------------------- accountability list */

/* Henan's accountability list (accountability.c; seed 004, first article, 第七条(二)1–2) of
 * round `round` from its `score` results, where its plan carries the rules (plan.h
 * struct plan_accountability): the plan's measure for the last place of each ranking group
 * (通报批评), for the last place here and in round `previous` too (降级使用; NULL: not decided,
 * and said so), and for a unit meeting any listed condition (约谈), each line with its grounds;
 * then the conditions the data cannot show. Printed to f. ERR_INVALID: a plan without the
 * rules, a round (or previous round) without scores; ERR_NOTFOUND: no such round. */
struct report_acc_stats {
    size_t last_place, last_twice, meeting, unchecked;
};
int report_accountability(struct store *s, const char *round, const char *previous, FILE *f,
                          struct report_acc_stats *st, struct error *e);

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

/* ---------------------------------------------------------------- sign-off (sign.c) */

/* Seed 002 六(五): the team reports are signed off by the 组长 and the 副组长 (经组长和副组长签字
 * 后提交). A signature is Ed25519 over "pinggu-report-signature-v1 ROUND SHA256 ROLE SIGNER"
 * (SHA256: of the report file's bytes), made with the signer's own key and stored with the
 * public key in report_signatures (change-logged). docs/reports.md. */

/* 0 for 组长/leader, 1 for 副组长/deputy, -1 otherwise. */
int report_role_parse(const char *s);

struct report_sign_req {
    const char *round;   /* sample name */
    const char *file;    /* the report file signed */
    int role;            /* report_role_parse */
    const char *signer;  /* the signer's evaluator id or name */
    const char *keyfile; /* NULL: $XDG_CONFIG_HOME/pinggu/signer-NAME.key, made 0600 if absent */
};
struct report_signature {
    char sha256[65], pubkey[65], signature[129], at[32];
    char key_file[1200];
    int key_created; /* the default key file was created by this call */
};
/* Signs q->file for q->round and records it. ERR_INVALID: an unreadable file or key, a signer
 * who is not that role's member of the round's teams (where it has teams), a key other than the
 * one first recorded for the signer; ERR_NOTFOUND: no such round. Nothing written on error. */
int report_sign(struct store *s, const struct report_sign_req *q, struct report_signature *out,
                struct error *e);

/* Signs q->file as report_sign does but with no store (report sign --detached, on the signer's
 * own machine): out gets the SHA-256, public key and signature to paste into the sign-off page.
 * The team and first-key rules are checked when the signature is recorded. */
int report_sign_detached(const struct report_sign_req *q, struct report_signature *out,
                         struct error *e);
/* Records a signature made elsewhere (report_sign_detached) of the report whose bytes are at
 * q->file (the server's own copy of it), stored under `file_name`: the signature must hold with
 * `pubkey` (64 hex digits) over the message of that file's SHA-256, q->round, q->role and
 * q->signer; then the same checks and record as report_sign (the signer in the round's teams,
 * the signer's first-recorded key), change-logged under the connection's actor. ERR_INVALID for
 * a signature that does not hold or any refusal; nothing is written on error. q->keyfile is
 * unused. */
int report_sign_record(struct store *s, const struct report_sign_req *q, const char *file_name,
                       const char *pubkey, const char *signature, struct report_signature *out,
                       struct error *e);

/* Prints the round's signers: each team's 组长 and 副组长 with the evaluator id to give as
 * --signer (names masked) and the cities the team assesses. ERR_NOTFOUND: no such round. */
int report_signers_print(struct store *s, const char *round, FILE *f, struct error *e);

struct report_verified_sig {
    char role[16], signer[128], at[32], round[128];
    int valid;          /* the signature verifies and the key is the signer's first recorded */
    char problem[256];  /* why not, if not */
};
struct report_verification {
    char sha256[65];        /* of the file now */
    char signed_sha256[65]; /* when the file carries no signature: the last hash signed under
                               its name, if any (the file changed after signing) */
    int leader, deputy;     /* a valid signature of each role */
    int ok;                 /* both roles, every signature valid */
    struct report_verified_sig sigs[16];
    size_t nsigs;
};
/* Checks file against the store's signatures: 0 if it carries valid signatures from both the
 * 组长 and the 副组长 and no invalid one; ERR_VERIFY with the reason (changed since signed,
 * unsigned, a role missing, a bad signature, a wrong key) in e; ERR_INVALID if the file cannot
 * be read. *v is filled either way. */
int report_verify(struct store *s, const char *file, struct report_verification *v,
                  struct error *e);

#endif
