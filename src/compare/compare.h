/*
 * compare.h — the registry × department data comparison (大数据比对; DESIGN §1, §9,
 * src/compare/): seed 003's seven exclusion indicators and department systems, seed 001's
 * "four kinds of persons" and "two lines in one" (两线合一).
 *
 * An assessment office receives files from other departments (civil affairs, medical
 * insurance, education, the disabled persons' federation, housing, vehicles, payroll, the
 * business registry, ...), each a CSV it cannot edit. A *rules file* (rules/compare.json,
 * docs/compare.md) says, per department file, which column holds the resident ID and which
 * the values the rules read, and, per rule, whom it concerns (registered members, persons
 * outside registered households, ...) and what a record must show. pinggu then:
 *
 *   1. indexes the registry once from the store: every member's packed resident ID with its
 *      household, health and its household's status, in one open-addressing table (16 bytes
 *      a slot; about 270 MB for 10 million members);
 *   2. streams each department file through that table (one file per thread, never a whole
 *      file in memory), normalising and validating each ID exactly as import does — invalid
 *      IDs are counted per file and listed, never dropped silently;
 *   3. aggregates the matching records into *flags* — one per rule and member (or household)
 *      — each with the records (file and line) behind it, sorts them (the output does not
 *      depend on the number of threads) and writes them to the store through the change log,
 *      and on request to CSV and XLSX.
 *
 * Three kinds of rules: exclusion (a registered member who should not be: 错评), possible
 * missed households (persons on a department's roll who are not in a registered household:
 * 疑似漏评), policy gaps (registered members a department's roll should list but does not, or
 * one that lists them in a state that blocks exit: a C/D-grade unsafe house).
 *
 * Errors: a rules file is checked as a whole, every problem reported with its JSON path. A
 * department file with a bad header, an unknown mapped column or an undecodable encoding
 * stops the run with an error naming the file, and nothing is written anywhere.
 *
 * Personal data: everything printed for people masks names and resident IDs (mask_id,
 * mask_name); the CSV and XLSX files the office asks for, and the store, hold them in full.
 */
#ifndef PINGGU_COMPARE_H
#define PINGGU_COMPARE_H

#include "../base/base.h"
#include "../store/store.h"

/* ---------------------------------------------------------------- rules */

/* A loaded rules file (opaque). */
struct compare_rules;

/* Loads and checks a rules file. On a problem returns ERR_INVALID (or ERR_PARSE for broken
 * JSON) with every problem in errs ("rules[3].sources[0].when[1].column: ..."; errs may be
 * NULL) and e summarising. On success the caller owns *out (compare_rules_free). */
int compare_rules_load(const char *path, struct compare_rules **out, struct errlist *errs,
                       struct error *e);
/* The same from text in memory (borrowed; copied); `name` is used in messages. */
int compare_rules_parse(const char *name, const char *text, size_t len, struct compare_rules **out,
                        struct errlist *errs, struct error *e);
void compare_rules_free(struct compare_rules *r);
/* The reference date (YYYYMMDD) the rules file states. */
int compare_rules_reference_date(const struct compare_rules *r);
/* Number of rules and department files, and their ids (borrowed from r). */
size_t compare_rules_count(const struct compare_rules *r);
const char *compare_rule_id(const struct compare_rules *r, size_t i);
size_t compare_rules_file_count(const struct compare_rules *r);
const char *compare_rules_file_name(const struct compare_rules *r, size_t i);

/* ---------------------------------------------------------------- running */

struct compare_opts {
    const char *db_url;    /* the store's URL: the index loader opens its own read-only
                              connections to read in parallel; NULL: read through s alone */
    int reference_date;    /* YYYYMMDD, overrides the rules file's; 0: the rules file's */
    int today;             /* reference for "birth date in the future" (as import); 0: today */
    int threads;           /* worker threads; 0: one per processor (at most 16) */
    int progress;          /* progress line on stderr (when it is a terminal) */
    size_t max_listed;     /* invalid IDs listed per file; 0: 20 */
    int no_store;          /* 1: do not write the run to the store (benchmarks, tests) */
    const char *csv_path;  /* write the flags here (full IDs and names), or NULL */
    const char *xlsx_path; /* write the workbook here, or NULL */
};

/* One invalid resident ID of a department file. */
struct compare_bad_id {
    long line;
    int problem;   /* enum ids_problem */
    char raw[48];  /* the cell as read (truncated): personal data, never printed as is */
    char why[200]; /* ids_parse's reason */
};

/* What one department file contributed. */
struct compare_file_stats {
    char id[32];     /* the rules file's id, "vehicles" */
    char name[128];  /* file name in DEPTDIR, "vehicles.csv" */
    char title[128]; /* "机动车登记 / vehicle registry" */
    int present;     /* 0: not in DEPTDIR (its rules were not applied) */
    int gb18030;     /* read as GB18030 */
    int64_t bytes;
    int64_t rows;        /* data rows (blank rows skipped) */
    int64_t valid;       /* rows with a valid resident ID */
    int64_t in_registry; /* ... that are members of the roster */
    int64_t invalid;     /* rows whose ID is invalid or empty */
    int64_t by_problem[IDS_PROBLEM_COUNT];
    int64_t bad_values;         /* values a rule reads that are not numbers / dates */
    struct compare_bad_id *bad; /* owned: the first max_listed invalid IDs */
    size_t nbad;
    char bad_value_note[256]; /* "车辆价值 line 17: 'abc' is not a number" (first) */
};

struct compare_rule_stats {
    char id[48];
    char zh[128], en[160];
    char kind[16];      /* exclusion | missed | policy */
    char severity[8];   /* high | medium | low */
    int applied;        /* 0: a file it reads was absent */
    int64_t flags;      /* flags raised */
    int64_t households; /* distinct registry households among them */
    int64_t absent;     /* flags of persons absent from the roster */
};

struct compare_county_stats {
    int code;       /* 6-digit county code (or the ID's region for absent persons) */
    char name[64];  /* "" if not a county of the registry */
    int64_t *flags; /* owned: per rule, in rules order */
    int64_t total;
};

struct compare_result {
    int64_t run; /* compare_runs.row_no in the store, 0 if not stored */
    int reference_date;
    int threads;
    int64_t members, households;
    double seconds_index, seconds_files, seconds_output, seconds_total;
    struct compare_file_stats *files; /* owned, in rules order */
    size_t nfiles;
    struct compare_rule_stats *rules; /* owned, in rules order */
    size_t nrules;
    struct compare_county_stats *counties; /* owned, by code */
    size_t ncounties;
    int64_t flags;
    char ignored[512]; /* files in DEPTDIR no rule reads, "notes.txt, x.csv" */
};

/* Runs the comparison of the registry in s with the department files of dept_dir. On any
 * error (a bad department file, the store) nothing is written — not the store, not the CSV
 * or XLSX — and e names the file and the problem. On success res (caller releases it with
 * compare_result_release) holds the counts; the flags are in the store (unless no_store) as
 * run res->run, and in the files asked for. */
int compare_run(struct store *s, const struct compare_rules *r, const char *dept_dir,
                const struct compare_opts *o, struct compare_result *res, struct error *e);
void compare_result_release(struct compare_result *res);
/* Prints, for people: files (rows, invalid IDs by kind, the first ones listed by line with
 * the ID masked), flags per rule, and per county and rule. */
void compare_result_print(FILE *f, const struct compare_result *res);

/* Shows, for household `household_id` (or, if NULL, the person `resident`, an 18-character
 * ID, for persons absent from the roster), every flag of run `run` (0: the latest) and what
 * each rested on: the household's category (and its income against the county's allowance
 * standard where the rule reads them), the member concerned, the department records (file,
 * line, the values read and the file's identifying "show" columns — plate, company, school)
 * and the rows whose ID failed its check character but whose first 17 digits are a member's.
 * IDs and names are masked unless `unmasked`, which first appends a change-log note (who,
 * which run and household) — s must then be writable. ERR_NOTFOUND if the run has no flag
 * for it. */
int compare_explain(struct store *s, const char *household_id, const char *resident, int64_t run,
                    int unmasked, FILE *f, struct error *e);


/* One stored flag, as compare_flags_each hands it over (strings borrowed for the call). */
struct compare_flag {
    int64_t id;               /* compare_flags.row_no */
    const char *rule, *kind, *severity;
    int county;
    const char *household_id; /* "" for a person absent from the roster */
    char resident[19];        /* the person's ID, "" for household-scope flags */
    int64_t records;          /* department records behind it */
};
/* Calls fn for every flag of run `run` (0: the latest run) raised by rule `rule` in county
 * `county` (0: every county), in the order stored; stops at fn's first nonzero return and
 * returns it. *run_out (if non-NULL) gets the run used. ERR_NOTFOUND if there is no run, or
 * the rule is not one of the run's rules. */
int compare_flags_each(struct store *s, int64_t run, const char *rule, int county,
                       int (*fn)(void *ctx, const struct compare_flag *f), void *ctx,
                       int64_t *run_out, struct error *e);

#endif
