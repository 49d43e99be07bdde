/*
 * problem.h — problems from finding to close-out (DESIGN §8, §8.1; src/problem/): the
 * working-day calendar that deadlines are counted in, and the problem life cycle as a state
 * machine over the store's `problems` rows.
 *
 * This stage comes after judge/ (whose failing rules raise problem candidates) and before
 * report/ (which prints the problem list and the rectification ledger). The life-cycle rules
 * live only here: the CLI and, later, the server carry them to people and never re-implement
 * them.
 *
 * Calendar (calendar.c). A calendar file lists the exceptions to "Monday to Friday are working
 * days": public holidays (`holiday`) and adjusted working weekends (调休, `workday`), one row
 * per day, each citing the State Council notice it comes from and the date that notice was
 * issued. Later notices override earlier ones for the same day (2019's Labour Day was amended
 * on 2019-03-22, 2020's Spring Festival extended on 2020-01-26); a row with a province code
 * overrides the national rows for that province. Dates outside the years the file covers are
 * refused rather than guessed. `calendar_add_days(D, N)` is the Nth working day after D, D
 * excluded (DESIGN §8.1); "X日前" means by the end of day X and 以内 includes its bound
 * (DESIGN §6.4), so an event on the deadline day itself is in time.
 *
 * Life cycle (lifecycle.c), DESIGN §8.1:
 *
 *   candidate ─► recorded ─► summarised ─► sent_for_verification ─► explained ─┐
 *       │            │            │                  │                        │
 *       │            └────────────┴──────────────────┴──────► confirmed ◄─────┘
 *       └──► dismissed ◄─────────────(any state up to explained)    │
 *                                                                    ▼
 *            rechecked ◄── closed ◄── rectified ◄── rectifying ◄── fed_back
 *                              │                       ▲
 *                              └───── reopened ────────┘  (new deadline, history kept)
 *
 * Each move names who may make it (a role), what it needs (evidence, a reason, a deadline,
 * measures, a result) and is appended to problem_moves with actor, role, time, note and the
 * evidence hashes — all inside one transaction with its change-log entry. An illegal move is
 * refused with the list of legal ones. Which optional steps a round uses (the daily summary,
 * next-day verification with the county) is plan data; the steps a plan switches off are
 * skipped by the moves that jump over them (recorded → confirmed, for instance).
 */
#ifndef PINGGU_PROBLEM_H
#define PINGGU_PROBLEM_H

#include "../base/base.h"
#include "../store/store.h"

/* ================================================================ calendar */

struct calendar;

/* Loads a calendar file (columns date, kind, name, province, issued, notice; docs/problems.md)
 * for `province` (a two-digit province code, or NULL/"" for the national calendar only).
 * Every malformed row is an error naming file:line:column. Caller owns *out (calendar_free). */
int calendar_load(const char *path, const char *province, struct calendar **out,
                  struct error *e);
void calendar_free(struct calendar *c);
/* The first and last year the file covers (dates outside are refused). */
void calendar_years(const struct calendar *c, int *first, int *last);
/* *working = 1 if day (YYYYMMDD) is a working day. ERR_INVALID for a date outside the
 * calendar's years. `why`, if non-NULL, gets the holiday or 调休 name and its notice
 * ("" for an ordinary weekday or weekend). */
int calendar_is_working(const struct calendar *c, int day, int *working, struct strbuf *why,
                        struct error *e);
/* The Nth working day after `from` (from excluded); N < 0 counts backwards; N = 0 gives from.
 * ERR_INVALID when the walk leaves the calendar's years. */
int calendar_add_days(const struct calendar *c, int from, int n, int *out, struct error *e);
/* Working days in (from, to]: the N with calendar_add_days(from, N) <= to < the N+1th. 0 if
 * to <= from. */
int calendar_working_days(const struct calendar *c, int from, int to, int *n,
                          struct error *e);

/* Calendar arithmetic on YYYYMMDD dates: days since 1970-01-01, and back. */
long date_to_days(int yyyymmdd);
int date_from_days(long days);
/* 0 = Monday ... 6 = Sunday. */
int date_weekday(int yyyymmdd);

/* ================================================================ life cycle */

enum problem_state {
    PS_CANDIDATE = 0,
    PS_RECORDED,
    PS_SUMMARISED,
    PS_SENT,      /* sent_for_verification */
    PS_EXPLAINED,
    PS_CONFIRMED,
    PS_DISMISSED,
    PS_FED_BACK,
    PS_RECTIFYING,
    PS_RECTIFIED,
    PS_CLOSED,
    PS_RECHECKED,
    PS_NSTATES
};

/* The state's name as stored ("sent_for_verification") and its Chinese label (待核实). Static. */
const char *problem_state_name(enum problem_state s);
const char *problem_state_label(enum problem_state s);
/* The state named `name`, or -1. */
int problem_state_parse(const char *name);

/* Roles (DESIGN §10). The CLI records the role it is told (--as); the server enforces it. */
enum problem_role {
    PR_OFFICE = 0,   /* provincial office 省扶贫办 */
    PR_LEADER,       /* team leader 组长 */
    PR_EVALUATOR,    /* evaluator 评估人员 */
    PR_COUNTY,       /* county (or city) liaison 县联络员 */
    PR_DISCIPLINE,   /* the discipline supervisor 督查组/纪委 (DESIGN §8.2): makes no move */
    PR_NROLES
};
const char *problem_role_name(enum problem_role r);
int problem_role_parse(const char *name);

/* What a move needs, as flags. */
enum {
    PM_EVIDENCE = 1,  /* at least one evidence item */
    PM_REASON = 2,    /* a note saying why (a dismissal, a reopening) */
    PM_DEADLINE = 4,  /* a deadline (rectification) */
    PM_MEASURES = 8,  /* measures, responsible unit and person */
    PM_RESULT = 16,   /* the rectification result */
    PM_NOTE = 32      /* a note (an explanation) */
};

/* One legal move: from -> to by role, with what it needs. */
struct problem_move_rule {
    enum problem_state from, to;
    unsigned roles;  /* bit (1u << role) per allowed role */
    unsigned needs;  /* PM_* */
    const char *what; /* what the move means, Chinese / English */
};
/* The table of legal moves (static), and its length. */
const struct problem_move_rule *problem_moves_table(size_t *n);
/* The rule for from -> to, or NULL if that move is not legal. */
const struct problem_move_rule *problem_move_rule(enum problem_state from,
                                                  enum problem_state to);

/* A requested move with what the actor supplies. Strings are borrowed. */
struct problem_move {
    enum problem_state to;
    enum problem_role role;
    const char *actor;      /* who (the CLI: audit_actor()) */
    const char *note;       /* reason, explanation, or remark; may be NULL */
    const char *const *evidence; /* files to store as evidence (content-addressed) */
    size_t nevidence;
    int deadline;           /* YYYYMMDD or 0 */
    const char *measures, *responsible_unit, *responsible_person, *result;
    int on;                 /* the day of the move, YYYYMMDD (0: today) */
};

/* Checks a move against the table without touching the store: 0, or ERR_INVALID with a message
 * that lists the legal moves from `from` (and who may make them) or names what is missing. */
int problem_move_check(enum problem_state from, const struct problem_move *m, int found_on,
                       struct error *e);

/* Applies a move to problem `id` (its row_no) of the store: checks it, stores the evidence
 * files (by SHA-256, beside the store, as `evidence add`), appends a problem_moves row and
 * updates the problem's state, all in one transaction with their change-log entries. ERR_NOTFOUND
 * for an unknown problem, ERR_INVALID for an illegal move; nothing is written on error. */
int problem_apply(struct store *s, int64_t id, const struct problem_move *m, struct error *e);

/* Prints a problem and its history (every move, oldest first) to f. */
int problem_show(struct store *s, int64_t id, FILE *f, struct error *e);

/* Lists a round's problems (sample name), optionally only those in state `state` (-1: all),
 * one line each. */
int problem_list(struct store *s, const char *round, int state, FILE *f, struct error *e);

/* Records a new finding directly (an evaluator's own observation): a problem in state
 * `recorded`, with at least one evidence file. *id gets its row_no. */
struct problem_finding {
    const char *round;       /* sample name */
    const char *unit;        /* household id, village code, ... */
    const char *kind;        /* DESIGN §8 kind: identification, exit, assistance, ... */
    const char *description;
    const char *actor;
    const char *const *evidence;
    size_t nevidence;
    int on;                  /* YYYYMMDD, 0: today */
    const char *source;      /* "finding" (NULL) or "covert" (暗访, seed 000) */
};
int problem_record(struct store *s, const struct problem_finding *f, int64_t *id,
                   struct error *e);

/* ================================================================ progress and ledger */

/* Where one problem stands, read from its moves (ledger.c): the problem list's last seven
 * columns (DESIGN §8: 复核结果, 整改措施, 责任单位, 责任人, 整改时限, 整改结果, 销号日期) and
 * the rectification's timing. Strings are owned by the array (problem_progress_free). */
struct problem_progress {
    int64_t id;
    int county;
    enum problem_state state;
    const char *verification;  /* 复核结果: 待复核, 属实 or 不属实 (static) */
    char *measures, *responsible_unit, *responsible_person, *result, *dismissal;
    int found_on;              /* YYYYMMDD */
    int deadline;              /* the deadline in force (the last one set), 0 if none */
    int rectified_on, closed_on, rechecked_on; /* 0 if not (yet) */
    int reopened;              /* times sent back or reopened */
    int overdue;               /* on the `asof` day: still rectifying after the deadline */
    int late;                  /* rectified after the deadline in force at the time */
    int recheck_drawn;         /* drawn in a recheck sample (recheck.c) */
    int recheck_due;           /* drawn, closed, not yet rechecked: 待复查 */
};
/* Every problem of round `round` (sample name) with its progress as of `asof` (YYYYMMDD; 0:
 * today): "X日前" means by the end of day X, so a problem is overdue from the day after its
 * deadline. Caller owns *out (problem_progress_free). */
int problem_progress_list(struct store *s, const char *round, int asof,
                          struct problem_progress **out, size_t *n, struct error *e);
void problem_progress_free(struct problem_progress *p, size_t n);

/* 1 if a problem belongs in the rectification ledger: fed back or later, not dismissed. */
int problem_in_ledger(const struct problem_progress *p);
/* A ledger item's timing as the ledger prints it: 逾期 (overdue: still rectifying after the
 * deadline), 待复查 (drawn for recheck, closed, not yet rechecked), 逾期完成 (rectified after the
 * deadline in force), or "" (in time). Static strings; *en (if given) gets the English. */
const char *problem_ledger_timing(const struct problem_progress *p, const char **en);
/* The rectification ledger of a round (整改台账) as of `asof`: every problem fed back or later,
 * with its measures, responsible unit and person, deadline and result, then the overdue
 * items per county and per responsible unit. */
int problem_ledger_print(struct store *s, const char *round, int asof, FILE *f,
                         struct error *e);

/* ================================================================ the funds rule */

/*
 * Seed 001 (Qinghai): "中央资金一经到账,省级财政20个工作日内拨付到县,各县30个工作日内完成前期准备
 * 工作并落地实施" — two events, each with a limit in working days (funds.c, docs/problems.md):
 * the province passes central funds to the county within 20 working days of their arrival, and
 * the county completes preparation and starts implementation within 30 working days of
 * receiving them. Bounds are inclusive (以内, DESIGN §6.4): the 20th working day is in time,
 * the 21st late. An event not yet recorded is late once the asof day is past its limit.
 */
struct funds_item {
    char item[96];       /* 资金项目 / document number */
    char county[64];
    int arrived;         /* 中央资金到账 (YYYYMMDD) */
    int paid;            /* 拨付到县, 0 if not yet */
    int started;         /* 落地实施, 0 if not yet */
    long line;           /* where it came from */
    int paid_due, started_due;   /* the last day in time (0 if its clock has not started) */
    int paid_late, started_late; /* working days past the limit (0: in time or not yet due) */
    int paid_open, started_open; /* not yet done and already past the limit on the asof day */
};
/* Reads a funds file (columns item, county, arrived, paid, started; docs/problems.md) and
 * checks every item against the rule as of `asof` (0: today). Every malformed row is an error
 * naming file:line:column (ERR_PARSE / ERR_INVALID). Caller owns *out (mem_free). */
int funds_check(const char *path, const struct calendar *cal, int asof, struct funds_item **out,
                size_t *n, struct error *e);

/* ================================================================ comparison flags */

/* Counts of one raising of comparison flags. */
struct problem_raise_stats {
    int64_t run;      /* the comparison run read */
    int64_t flags;    /* flags of the rule and county in that run */
    int64_t raised;   /* new candidates */
    int64_t kept;     /* already problems of the round (by unit and rule): left as they are */
    int64_t linked;   /* new candidates linked to a judgment's problem on the same household */
};
/* Raises the flags of comparison run `run` (0: the latest) for rule `rule` in county `county`
 * as problem candidates of round `round` (raise.c). This is the office's explicit, logged
 * decision per round, rule and county (DESIGN §8.1: a registry-wide run raises 10^4–10^5 flags,
 * so none becomes a problem by itself). Candidates are reconciled by (round, unit, rule); a
 * new one on a household that a judgment already raised is linked to that problem
 * (problem_links), so the household is counted once. All in one transaction. */
int problem_raise_flags(struct store *s, const char *round, const char *rule, int county,
                        int64_t run, const char *actor, struct problem_raise_stats *st,
                        struct error *e);

/* ================================================================ the day's summary */

/* Each team's day for round `round` on day `day` (summary.c), printed to f: problems recorded
 * that day, how many went into the day's summary and when, those still missing from it, those
 * sent to the county for verification, and — where the plan verifies with the county the next
 * day (Anhui, seed 002 五(六)) — those summarised but not yet sent. Where the plan sets an hour
 * for the summary (the district plan: the liaison's list by 20:00, seed 004 third article 三.1)
 * a summary made later that day, or on a later day, is late. */
int problem_day_summary(struct store *s, const char *round, int day, FILE *f, struct error *e);

/* Problems by state and the day's summaries, per county and team, for the progress page
 * (summary.c; the same lateness rule as problem_day_summary, over every day up to `asof`).
 * A problem counts from its finding day; its state is the one its moves give on `asof` (0:
 * today). A problem's team is the team that surveyed its unit (0: none did). */
struct problem_count_row {
    int county, team;
    int64_t problems;
    int64_t state[PS_NSTATES];   /* by enum problem_state */
    int64_t summarised;          /* recorded and put in a day's summary */
    int64_t unsummarised;        /* recorded, not (yet) summarised, still recorded or earlier */
    int64_t late_summaries;      /* summarised on a later day, or after the plan's hour */
};
struct problem_counts {
    int summary_due;             /* the plan's hour (minutes after midnight, CST), -1 if none */
    int verify_next_day;         /* the plan verifies with the county the next day */
    int asof;                    /* YYYYMMDD */
    struct problem_count_row *rows; /* by county, then team (owned: problem_counts_release) */
    size_t n;
};
/* ERR_NOTFOUND for an unknown round. The caller owns out's rows (problem_counts_release);
 * nothing is left to release on error. */
int problem_counts(struct store *s, const char *round, int asof, struct problem_counts *out,
                   struct error *e);
void problem_counts_release(struct problem_counts *c);

/* ================================================================ recheck sample */

/*
 * The recheck sample of closed problems (recheck.c, docs/problems.md "Recheck sample"): drawn
 * verifiably like any sample (docs/sampling.md) — plan/'s Rivest tickets of the canonical ids
 * "recheck|closed|COUNTY-or-all|ID" under a published hexadecimal seed, the N smallest drawn,
 * from the frame of the round's problems that are closed (of one county, or all: county 0) as
 * of the last problem move; the frame is frozen with the draw (text and SHA-256). One draw per
 * round and county. Drawn problems that are still closed show in the ledger as due for recheck.
 */
struct problem_recheck_result {
    int64_t draw;          /* the recheck_draws row */
    int64_t frame;         /* closed problems in the frame */
    char frame_hash[65], commitment[65];
    int64_t *ids;          /* the drawn problems, rank order (owned: problem_recheck_result_free) */
    size_t nids;
};
void problem_recheck_result_free(struct problem_recheck_result *r);
/* Draws and stores (change-logged, one transaction) the recheck sample of round `round`.
 * ERR_INVALID for a seed that is not 1–128 hex digits, n < 1, no closed problem, or a draw
 * that already exists for the round and county; ERR_NOTFOUND for an unknown round. The caller
 * owns r's contents (problem_recheck_result_free); nothing is written on error. */
int problem_recheck_draw(struct store *s, const char *round, int county, const char *seed,
                         int n, const char *actor, struct problem_recheck_result *r,
                         struct error *e);
/* Re-derives every recheck draw of the round from its seed and frozen frame, and the frame from
 * the store: one line per draw to f (may be NULL). 0 if all are identical, ERR_VERIFY naming the
 * first difference (an edited draw, frame, seed or problem history), ERR_NOTFOUND if the round
 * has no draw. *ndraws: draws verified. */
int problem_recheck_verify(struct store *s, const char *round, FILE *f, int64_t *ndraws,
                           struct error *e);
/* *due = 1 if problem `problem` was drawn in a recheck sample (0 on a store without draws). */
int problem_recheck_due(struct store *s, int64_t problem, int *due, struct error *e);

/* ================================================================ the scheme's other checks */

/*
 * The scheme's other checks as questionnaires (checks.c; seed 002 五(二) 查阅资料, 五(三) 干部
 * 访谈, 五(五) 项目核查): forms with unit project (forms/project-check.json), records
 * (document-review.json) or cadre (cadre-interview.json), imported per round and counted
 * against what the round requires.
 */
struct form;
struct checks_import_stats {
    int64_t questionnaires; /* stored */
    int64_t warnings;       /* warnings of the form's checks, stored with them */
};
/* Imports FILE.csv (a header of the form's question names, optionally `team`; one row per
 * questionnaire) for round `round`: every row validated against the form and its unit against
 * the round (a sampled project; the city of a sampled county, a county with sampled villages,
 * a sampled village), each unit once (a cadre: per level, unit, role and name). Errors go to
 * errs as file:line: reason and nothing is written (ERR_INVALID); otherwise one audited batch
 * of check_questionnaires rows. */
int checks_import(struct store *s, const char *round, const struct form *f, const char *path,
                  int today, struct checks_import_stats *st, struct errlist *errs,
                  struct error *e);
struct checks_quota_stats {
    int64_t interviews_required, interviews_done; /* done counted up to each quota */
    int64_t reviews_required, reviews_done;       /* one per city, county, sampled village */
    int64_t projects_required, projects_done;     /* one per sampled project */
    int64_t units_short;                          /* units with something missing */
};
/* Prints, per city, county (paired counties with their extra quotas) and sampled village of
 * the round, the cadre interviews done against the plan's quotas ("interviews"), whether its
 * records were reviewed, and per sampled project whether it was checked; then the totals. */
int checks_quotas(struct store *s, const char *round, FILE *f, struct checks_quota_stats *qs,
                  struct error *e);
/* For the demo: writes plausible questionnaires of the three checks for every unit of the round
 * (each left out with probability `missing`, deterministic for the seed) as CSV files into
 * out_dir (cadre-interview.csv, document-review.csv, project-check.csv) and imports them with
 * checks_import, the forms read from forms_dir. */
struct checks_sim_stats {
    int64_t interviews, reviews, projects;
};
int checks_simulate(struct store *s, const char *round, const char *forms_dir,
                    const char *out_dir, uint64_t seed, double missing,
                    struct checks_sim_stats *st, struct error *e);

/* ================================================================ county synthesis */

/* The county synthesis (综合研判, seed 000; synthesis.c): prints, for county `county` of round
 * `round`, the third-party indicators, the covert-visit findings (problems with source
 * `covert`), the departments' information (the latest comparison run's flags per rule, and
 * those raised), the county's problems by source and where they stand, and the office's
 * judgment with its earlier versions. ERR_NOTFOUND for an unknown round or a county the round
 * did not draw. */
int synthesis_show(struct store *s, const char *round, int county, FILE *f, struct error *e);
/* Records the office's final judgment on the county with its reasons as a new version (the
 * earlier ones kept), change-logged. ERR_INVALID unless role is PR_OFFICE and both texts are
 * given; *version gets the new version number. */
int synthesis_record(struct store *s, const char *round, int county, const char *judgment,
                     const char *reason, enum problem_role role, const char *actor,
                     int64_t *version, struct error *e);

/* ================================================================ interference and discipline */

/*
 * Interference and discipline (discipline.c, DESIGN §8.2, seed 002 八(二)–(三)). A record is
 * about one county of a round and one side: the locality's interference (kinds coaching,
 * following, asking_progress, other; evidence required: 应留存证据) or the team's own breach
 * (gifts, hospitality, leak, extra_forms, other). Records are read by the office and the
 * discipline supervisor only (discipline_may_read: the one rule the server will call too).
 */
struct discipline_entry {
    const char *round;
    int county;
    const char *side;  /* "locality" (NULL) or "team" */
    const char *kind;
    const char *note;
    const char *const *evidence; /* files, stored by SHA-256 as `evidence add` */
    size_t nevidence;
    enum problem_role role;
    const char *actor;
    int on;            /* YYYYMMDD, 0: today */
};
/* 1 if `role` may read interference and discipline records (office, discipline). */
int discipline_may_read(enum problem_role role);
/* Appends a record with its evidence, change-logged (the log entry names no note). *id gets
 * its number. ERR_INVALID for an unknown side or kind, no note, a locality record without
 * evidence, an unreadable file, or a county role; ERR_NOTFOUND for a round or county not
 * there. Nothing is written on error. */
int discipline_record(struct store *s, const struct discipline_entry *d, int64_t *id,
                      struct error *e);
/* Prints the round's records (of one county, or all: 0) if discipline_may_read(role), else
 * ERR_INVALID. */
int discipline_list(struct store *s, const char *round, int county, enum problem_role role,
                    FILE *f, struct error *e);
/* The team's logged decision to stop fieldwork in a county (考核组可终止实地考核): leader or
 * office only, with its reason; once per county and round. */
int fieldwork_stop(struct store *s, const char *round, int county, const char *reason,
                   enum problem_role role, const char *actor, int on, struct error *e);
/* Each side's discipline record per county of the round, for the round report: counts only
 * (the records themselves are not for every reader). Caller owns *out
 * (discipline_summary_free); 0 rows on a store without these tables. */
struct discipline_county {
    int county;
    int64_t locality;  /* the locality's interference records */
    int64_t team;      /* the team's breaches */
    int stopped;       /* fieldwork stopped */
    char stop[160];    /* "YYYY-MM-DD reason" of the stop */
};
int discipline_summary(struct store *s, const char *round, struct discipline_county **out,
                       size_t *n, struct error *e);
void discipline_summary_free(struct discipline_county *v);
/* Appends the round report's discipline section (HTML: a heading, the seed's sentence, and per
 * county each side's record and any stop) to sb. */
int discipline_section_html(struct store *s, const char *round, struct strbuf *sb,
                            struct error *e);
/* Prints a warning to f for each county of the round where fieldwork was stopped (field import
 * and simulate call it: they store the questionnaires, the stop stands beside them). */
int fieldwork_stops_warn(struct store *s, const char *round, FILE *f, struct error *e);

#endif
