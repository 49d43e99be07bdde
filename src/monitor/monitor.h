/*
 * monitor.h — between assessment rounds (issue 15, src/monitor/): what poverty offices watch
 * all year. One public header for the stage; docs/monitoring.md explains every rule.
 *
 *   attendance  village work-team attendance (seed 001, Hunan 四: "规定每月驻村时间不少于20天,
 *               实行GPS 定位管理,建立驻村工作队员召回问责机制,杜绝'走读'、挂虚名等现象"):
 *               village locations, the work-team roster and GPS check-ins are imported
 *               (all or nothing) into tables this stage owns (schema v10); per member and month
 *               the days in the village, members under 20 days, 走读 (day visits only), 挂虚名
 *               (on the roster, never present), impossible movement, the recall list per county.
 *   snapshots   `import --snapshot DATE`: a read-only copy, per date, of what monitoring
 *               compares year on year (snapshot.c);
 *   post-exit   seed 000's four signs of 松劲懈怠 per exited county (reduction slowing, annual
 *               target missed, incomes falling, slackening) and the 约谈 rule; seed 003's
 *               transition; seed 001's rule that a non-poor village with 100 or more poor
 *               persons has a work team (postexit.c), with the office files (plans, training);
 *   schedules   a round's milestones from its plan and progress in working days (schedule.c,
 *               the calendar of src/problem/, an earlier stage);
 *   bulletin    seed 001 (Shaanxi): the monthly ranking of cities and departments, 好中差,
 *               倒数第一 表态发言 (bulletin.c);
 *   rules       rules/monitor.json, every number with its seed (rules.c);
 *   output      a document of titled tables written as one HTML page and one XLSX workbook,
 *               each under a temporary name and renamed at the end (out.c).
 *
 * Invariants: every input row is checked before anything is written (a bad file writes
 * nothing and names file:line:column); every write goes through the change log in one
 * transaction; the rules' numbers come from rules/monitor.json, never from code alone, and
 * a bound is inclusive where the seed says 不少于 or 以上 (20 days is enough; 100 persons
 * need a team). Reading functions open nothing for writing.
 */
#ifndef PINGGU_MONITOR_H
#define PINGGU_MONITOR_H

#include "../base/base.h"
#include "../store/store.h"

#include <stdio.h>

struct mon_doc; /* a document of tables (output, below) */

/* ================================================================ rules (rules.c) */

/* Attendance rule parameters (rules/monitor.json, section "attendance"). */
struct att_rules {
    int min_days;          /* 20: days a month in the village, 不少于 — 20 is enough */
    int morning_end;       /* minutes after midnight: a morning check-in is before this (720) */
    int evening_start;     /* minutes: an evening check-in is at or after this (1080) */
    int day_visit_days;    /* 走读: at least this many day-visit days in the month (5) */
    double max_kmh;        /* impossible movement: faster than this between check-ins (150) */
    double min_jump_km;    /* ... and farther apart than this (GPS noise is not movement; 2) */
    double default_radius; /* metres, for a village whose file gives none (1000) */
};

/* Post-exit monitoring rule parameters (rules/monitor.json, section "post_exit"). */
struct post_rules {
    double slowing_ratio;       /* slowing: this year's reduction rate < ratio x last year's */
    long slowing_min_remaining; /* ... in a county with at least this many poor left (100) */
    double target_min_share;    /* target missed: achieved < share x planned (1.0) */
    double income_max_share;    /* incomes falling: county flagged at share >= this (0.10) */
    double training_drop_ratio; /* slackening: sessions < ratio x last year's, or none (0.5) */
    double reassigned_share; /* 换频道: members moved away / serving on 1 Jan >= this (0.25) */
    int transition_years;    /* support continues this many years after exit (3) */
    int school_age_from, school_age_to; /* compulsory school ages for education support (6, 15) */
    long work_team_min_poor; /* Hunan 四: non-poor village with >= this many poor (100) */
    int interview_min_signs; /* 约谈: at least this many of the four signs, or slackening (2) */
};

/* Monthly ranking bands (section "bulletin" of rules/monitor.json or of a plan). */
struct bulletin_rules {
    double good_share; /* the top round(n x share) units of a kind are 好 (0.3) */
    double poor_share; /* the bottom round(n x share) are 差 (0.3); the rest 中 */
};

/* The monitoring rules file. */
struct monitor_rules {
    struct att_rules att;
    struct post_rules post;
    struct bulletin_rules bulletin;
};

/* Reads a "bulletin" section from a plan file into *r (unchanged when the plan has none:
 * *found = 0). Errors name the JSON path. */
int bulletin_rules_from_plan(const char *path, struct bulletin_rules *r, int *found,
                             struct error *e);

/* Loads rules/monitor.json (path as given). Every problem is an error naming the JSON path
 * of the member at fault (ERR_PARSE / ERR_INVALID). Fills *out; owns nothing. */
int monitor_rules_load(const char *path, struct monitor_rules *out, struct error *e);

/* ================================================================ attendance (attendance.c) */

/* What an import wrote. */
struct att_import_stats {
    long villages, roster, checkins;
};

/* Imports the three attendance files — village locations (village, name, county, latitude,
 * longitude, radius_m), the work-team roster (member, name, village, role, from, to,
 * left_for) and the check-ins (member, time, latitude, longitude, source) — replacing what
 * an earlier import wrote, in one transaction. Every row is checked first: a malformed row,
 * a check-in of a member not on the roster, a roster row naming an unknown village, a
 * duplicate: ERR_PARSE/ERR_INVALID naming file:line:column, and nothing is written. A village
 * without a radius gets r->default_radius. */
int attendance_import(struct store *s, const struct att_rules *r, const char *villages,
                      const char *roster, const char *checkins, struct att_import_stats *st,
                      struct error *e);

/* One member's month. */
struct att_member {
    char member[40];
    char name[64];
    char role[32];
    int64_t village;
    char village_name[64];
    int county;
    int days;         /* days in the village by the rule (morning and evening check-in inside) */
    int visit_days;   /* days with a check-in inside but not both: day visits */
    int checkins;     /* check-ins in the month, anywhere */
    int inside;       /* of which inside the village radius */
    int jumps;        /* impossible movements between consecutive check-ins */
    char jump_at[24]; /* the first one's time, "" if none */
    double jump_kmh;  /* and its speed */
    double jump_km;
    int under;       /* days < min_days */
    int day_visitor; /* 走读: visit_days >= day_visit_days */
    int ghost;       /* 挂虚名: not one check-in inside the village in the month */
};

/* A month of attendance. */
struct att_month {
    int month;            /* YYYYMM */
    int ndays;            /* days in the month */
    struct att_member *m; /* owned: members on the roster for the whole month, by
                           * county, village, member */
    size_t n;
    long part_month; /* members on the roster for part of the month: not assessed */
};

/* Computes month `yyyymm` (e.g. 201911) from the store under the rules. Caller owns *out
 * (att_month_release). ERR_NOTFOUND if nothing was imported. */
int attendance_month(struct store *s, const struct att_rules *r, int yyyymm, struct att_month *out,
                     struct error *e);
void att_month_release(struct att_month *m);

/* Writes DIR/attendance-YYYY-MM.html and .xlsx: every member, the recall list per county and
 * the impossible movements (temporary names, renamed at the end). */
int attendance_write(const struct att_month *m, const struct att_rules *r, const char *dir,
                     struct error *e);

/* The documents of the stage as one mon_doc each (out.c renders them): what the CLI writes
 * with --out and the server sends as XLSX or CSV (docs/api.md). Each returns 0 or ERR_NOMEM;
 * the caller owns *out (mon_doc_free). */
int attendance_doc(const struct att_month *m, const struct att_rules *r, struct mon_doc **out);
/* The recall list's reason for a member under the days: 挂虚名, 走读 or under the days. Static. */
const char *att_recall_reason(const struct att_member *m);
/* The member's signs as one line of text (under, 挂虚名, 走读, impossible movement), in buf. */
const char *att_signs(const struct att_member *m, char *buf, size_t n);

/* Great-circle distance in kilometres between two points in degrees (haversine, R = 6371). */
double geo_km(double lat1, double lon1, double lat2, double lon2);

/* ================================================================ snapshots (snapshot.c) */

struct snapshot_stats {
    int64_t counties, villages, households, members;
};

/* Whether a snapshot dated `date` (YYYY-MM-DD) is in the store. */
int monitor_snapshot_exists(struct store *s, const char *date, int *exists, struct error *e);
/* Copies the store's registry into the snapshot tables under `date`, in one transaction.
 * ERR_EXISTS if that date is taken (snapshots are read-only), ERR_INVALID for a bad date. */
int monitor_snapshot_take(struct store *s, const char *date, struct snapshot_stats *st,
                          struct error *e);

/* ================================================================ post-exit (postexit.c) */

/* Imports the office files — annual poverty-reduction plans (county, year, planned: persons
 * to exit) and cadre-training sessions (county, date, title, participants) — replacing the
 * previous ones, all or nothing (file:line:column errors). Either path may be NULL. */
int monitor_office_import(struct store *s, const char *plans, const char *training, long *nplans,
                          long *ntraining, struct error *e);

/* One exited county's figures and signs for year Y. */
struct mon_county {
    int county;
    char name[64];
    int exit_year;
    /* remaining poor persons (registered, not exited, or returned) at the end of Y-2, Y-1, Y;
     * -1 when that year has no snapshot */
    long r2, r1, r0;
    double rate_prev, rate_now;  /* (R(t-1) - R(t)) / R(t-1); known when R(t-1) > 0 */
    long planned, achieved;      /* persons planned to exit in Y (-1: no plan), exited in Y */
    long inc_compared, inc_fell; /* exited households compared year on year, fallen */
    long train_prev, train_now;  /* training sessions in Y-1 and Y; -1: no training file */
    long team_base, team_moved;  /* work-team members serving on 1 Jan Y, moved away in Y */
    int slowing, target_missed, income_falling, slack_training, slack_team, slackening;
    int signs;     /* of the four: slowing, target, income, slackening */
    int interview; /* 约谈 */
};

/* Sets the flags of c from its figures under r (pure: what the unit tests check at bounds). */
void monitor_judge(const struct post_rules *r, struct mon_county *c);

/* A household listed under a sign. */
struct mon_household {
    char household_id[40];
    int county;
    int exit_year;
    double before, after; /* incomes (falling) */
    char why[96];         /* transition: which support stopped */
};

/* A non-poor village with many poor persons and no work team (Hunan 四). */
struct mon_village {
    int64_t village;
    char name[64];
    long poor;
};

struct monitor_result {
    int year;
    char snap_now[11], snap_prev[11], snap_prev2[11]; /* "" when absent */
    struct mon_county *c;                             /* owned */
    size_t nc;
    struct mon_household *fell; /* owned: incomes falling */
    size_t nfell;
    struct mon_household *trans; /* owned: support stopped within the transition */
    size_t ntrans;
    struct mon_village *v; /* owned */
    size_t nv;
};

/* Computes year `year` (0: the latest snapshot's year) from the snapshots (that year's and
 * the year before's are required; the one before that for the slowing sign), the office
 * files and the work-team roster. Caller owns *out (monitor_result_release). */
int monitor_run(struct store *s, const struct post_rules *r, int year, struct monitor_result *out,
                struct error *e);
void monitor_result_release(struct monitor_result *m);
/* The monitoring report as a document (see attendance_doc); caller owns *out. */
int monitor_doc(const struct monitor_result *m, const struct post_rules *r, struct mon_doc **out);
/* The signs a county shows, as one line of evidence text in buf ("减贫放缓 slowing; ..."). */
const char *monitor_evidence(const struct mon_county *c, char *buf, size_t n);
/* Writes DIR/monitor-YEAR.html and .xlsx. */
int monitor_write(const struct monitor_result *m, const struct post_rules *r, const char *dir,
                  struct error *e);

/* ================================================================ schedules (schedule.c) */

struct calendar; /* problem.h: the working-day calendar */

enum ms_state { MS_DONE, MS_LATE, MS_NOT_STARTED, MS_OPEN, MS_OVERDUE };

/* One milestone of a round's plan and where it stands. */
struct milestone {
    char id[32];
    char name[96];
    char seed[256];    /* the seed's words */
    char evidence[48]; /* change-log action that marks it done, "" if none */
    int from, by;      /* YYYYMMDD; from 0 for a single deadline */
    int done;          /* YYYYMMDD, 0 if not done */
    char done_from[8]; /* "log" or "file" */
    int rest_day;      /* `by` is not a working day */
    enum ms_state state;
    int wdays; /* working days: late by, starts in, due in, overdue by */
};

/* The milestones of round `round` (a sample's name: its stored plan, unless plan_path gives
 * a plan file) and their state on `asof` (YYYYMMDD, 0: today): done from the change log (the
 * first entry with the milestone's evidence action and key = round) or from done_file (CSV
 * milestone, done[, note]; may be NULL). Caller owns *out (mem_free). */
int round_status(struct store *s, const char *round, const char *plan_path, const char *done_file,
                 const struct calendar *cal, int asof, struct milestone **out, size_t *n,
                 struct error *e);
/* "按时完成 done on time", ... Static. */
const char *milestone_state_name(enum ms_state st);
/* The schedule of round on asof (YYYYMMDD) as a document (see attendance_doc); caller owns *out. */
int round_status_doc(const char *round, int asof, const struct milestone *v, size_t n,
                     struct mon_doc **out);

/* ================================================================ bulletin (bulletin.c) */

/* One unit's month in the ranking bulletin. */
struct bulletin_row {
    char unit[96];
    char kind[16]; /* "city" (各市(区)) or "department" (省直责任部门): ranked apart */
    double score;
    int rank;      /* 1 = best; equal scores share a rank (1, 2, 2, 4) */
    int n;         /* units of its kind this month */
    char band[16]; /* 好 good / 中 middle / 差 poor */
    int prev_rank; /* last month's, 0 if it was not ranked */
    int movement;  /* prev_rank - rank: positive = up */
    int last;      /* 倒数第一: the lowest score of its kind (ties: all) */
    int last_run;  /* consecutive months last, this one included */
};

/* Ranks month yyyymm of the score sheet `path` (columns month YYYY-MM, unit, kind, score;
 * one row per unit and month; file:line:column errors, exit 2 at the CLI), with last month's
 * ranks and runs of last places from the earlier months of the same sheet. Rows are ordered
 * by kind, then rank. Caller owns *out (mem_free). ERR_NOTFOUND if the month has no rows. */
int bulletin_rank(const char *path, int yyyymm, const struct bulletin_rules *r,
                  struct bulletin_row **out, size_t *n, struct error *e);
/* The bulletin as a document (see attendance_doc); caller owns *out. */
int bulletin_doc(const struct bulletin_row *v, size_t n, int yyyymm,
                 const struct bulletin_rules *r, struct mon_doc **out);
/* Writes DIR/bulletin-YYYY-MM.html (printable) and .xlsx. */
int bulletin_write(const struct bulletin_row *v, size_t n, int yyyymm,
                   const struct bulletin_rules *r, const char *dir, struct error *e);

/* ================================================================ output (out.c) */

/* A document of tables, rendered as one HTML page and one XLSX workbook (a sheet per table).
 * Cells are text; a cell that reads as a number is written to the workbook as a number. */
struct mon_doc;
struct mon_table;

/* Caller owns *out (mon_doc_free). */
int mon_doc_new(const char *title, struct mon_doc **out);
void mon_doc_free(struct mon_doc *d);
/* A paragraph of text (HTML-escaped) under the title. */
void mon_doc_para(struct mon_doc *d, const char *fmt, ...) PG_PRINTF(2, 3);
/* A new table (borrowed, owned by the document): sheet is the workbook sheet name (at most
 * 31 bytes), title the heading, cols the column headings (copied). NULL when out of memory
 * (then mon_doc_write fails). */
struct mon_table *mon_doc_table(struct mon_doc *d, const char *sheet, const char *title,
                                const char *const *cols, size_t ncols);
/* Appends a row of ncols cells (copied). */
void mon_table_row(struct mon_table *t, const char *const *cells);
/* A row from printf-like cells separated by '\t' in the formatted text. */
void mon_table_rowf(struct mon_table *t, const char *fmt, ...) PG_PRINTF(2, 3);
/* Writes DIR/BASE.html and DIR/BASE.xlsx (temporary names first; DIR created). */
int mon_doc_write(const struct mon_doc *d, const char *dir, const char *base, struct error *e);
/* Writes the workbook alone to path (a sheet per table). */
int mon_doc_write_xlsx(const struct mon_doc *d, const char *path, struct error *e);
/* Writes every table to f as CSV (UTF-8 with a BOM, CRLF): the table's title on a line of its
 * own, its header, its rows, a blank line before the next table; a cell starting = + - @
 * (not a negative number) gets a leading ' so that Excel does not run it as a formula. */
int mon_doc_write_csv(const struct mon_doc *d, FILE *f, struct error *e);

#endif
