/*
 * registry.h — the poverty registry (DESIGN §3, src/registry/): its files and codes, import
 * and export, the household category of an assessment year and the summary. (The synthetic
 * province that writes these files for tests lives in src/synth/, synth.h.)
 *
 * The seven registry files (docs/formats.md, generated from the tables in columns.c):
 *   counties.csv  townships.csv  villages.csv  households.csv  members.csv
 *   projects.csv  evaluators.csv
 * households.csv and members.csv are the full village roster (registered and general
 * households). Codes follow the 12-digit statistical division code: province(2) city(2)
 * county(2) township(3) village(3). Values are canonical English codes (`central`, `deep`)
 * and 0/1 booleans; Chinese labels and headers are accepted on import as aliases.
 */
#ifndef PINGGU_REGISTRY_H
#define PINGGU_REGISTRY_H

#include "../base/base.h"
#include "../store/store.h"

/* ---------------------------------------------------------------- codes */

/* One value of a code list: canonical code, Chinese and English labels, extra aliases. */
struct code {
    const char *code;    /* canonical, e.g. "central" */
    const char *zh;      /* e.g. "中部" */
    const char *en;      /* e.g. "central region" */
    const char *aliases; /* '|'-separated, may be NULL */
};
/* Code lists end with a {NULL} entry. */
extern const struct code codes_region[], codes_county_type[], codes_relation[],
    codes_education[], codes_health[], codes_labour[], codes_project_kind[],
    codes_project_status[], codes_unit_level[], codes_position[];
/* The canonical code matching s (code, zh, en or alias; case-insensitive), or NULL.
 * Returns a static string. */
const char *code_parse(const struct code *list, const char *s, size_t n);
/* Chinese label of a canonical code (static), or the code itself if unknown. */
const char *code_zh(const struct code *list, const char *code);
/* "a, b, c": the canonical codes, for error messages (static buffer per list). */
const char *code_list(const struct code *list);
/* Chinese name of a province-level division (static), or NULL. */
const char *province_name(int code);

/* ---------------------------------------------------------------- file schemas */

enum col_type {
    COL_INT,  /* whole number */
    COL_REAL, /* decimal number */
    COL_TEXT, /* UTF-8 text */
    COL_BOOL, /* 0/1 (是/否, yes/no accepted) */
    COL_CODE, /* one of a code list */
    COL_YEAR, /* a year 1949..2100 */
    COL_RID,  /* resident ID: stored packed, written in full */
    COL_DATE  /* YYYY-MM-DD (members: checked against the ID, not stored) */
};

/* One column of a registry file. */
struct col_spec {
    const char *name;      /* canonical header = store column (except noted) */
    const char *aliases;   /* accepted headers, Chinese first */
    enum col_type type;
    int required;          /* 1: header and a value required; 0: may be empty/absent */
    double min, max;       /* bounds for numbers (ignored if min == max); for text, max is
                              the longest value in characters (docs/formats.md) */
    const struct code *codes; /* COL_CODE */
    const char *zh;        /* Chinese label (docs, Chinese export headers) */
    const char *doc;       /* English meaning (docs) */
    const char *db;        /* store column if not `name`; "" = checked, not stored */
};

struct file_spec {
    const char *file;  /* "members.csv" */
    const char *table; /* store table */
    const struct col_spec *cols;
    size_t ncols;
    int required; /* the import needs this file */
    const char *doc;
};
extern const struct file_spec registry_files[];
extern const size_t registry_nfiles;
/* Writes docs/formats.md's body (Markdown) into sb. */
void registry_formats_markdown(struct strbuf *sb);

/* ---------------------------------------------------------------- import / export */

struct import_opts {
    int today;          /* YYYYMMDD for "birth date in the future"; 0 = date_today() */
    int progress;       /* show a progress line (when stderr is a terminal) */
    size_t max_errors;  /* errors kept for printing (0: 50) */
    FILE *errors_out;   /* if non-NULL, every error, one per line (borrowed; --errors FILE) */
};

struct import_stats {
    int64_t rows[8];       /* rows imported per file, in registry_files order */
    int present[8];        /* the file was in DIR */
    char skipped[1024];    /* other files and folders in DIR, "truth.csv, departments/" */
    char ignored_cols[1024]; /* unknown columns, "members.csv: 备注" */
    int gb18030[8];        /* the file was GB18030 */
    int64_t upgraded_ids;  /* 15-digit IDs upgraded */
    double seconds;
};

/* Imports the registry files of `dir` into the store in one transaction, replacing the
 * registry (optional files that are absent leave their tables as they were). Every row is
 * validated; on any error nothing is written, `errs` holds the errors to print with
 * file:line:column (at most 20 of each kind, then a "… and N more of this kind" line that is
 * not counted) and the total of all, o->errors_out gets every one, and ERR_INVALID is
 * returned. The change log gets one entry
 * per table (Merkle root over its rows). */
int registry_import(struct store *s, const char *dir, const struct import_opts *o,
                    struct import_stats *st, struct errlist *errs, struct error *e);

/* Writes the seven registry files of the store into dir (created if needed), in full (names
 * and IDs unmasked: it is the office's own data), in the canonical format, so that export →
 * import → export reproduces identical files. `zh`: Chinese headers instead. Files are
 * written to temporary names and renamed, so a failure leaves no half-written file. */
int registry_export(struct store *s, const char *dir, int zh, struct error *e);

/* ---------------------------------------------------------------- categories */

/* Household categories of an assessment (DESIGN §3), in precedence order. */
enum hh_category {
    CAT_RETURNED = 0,     /* 返贫户: exited, then fell back */
    CAT_NEWLY_IDENTIFIED, /* 新识别: identified within the plan's window */
    CAT_EXITED_CURRENT,   /* 当年脱贫: exited in the assessment year */
    CAT_EXITED_EARLIER,   /* exited within the plan's earlier window */
    CAT_UNEXITED,         /* 未脱贫: registered, not exited */
    CAT_GENERAL,          /* 一般农户: not registered */
    CAT_EXITED_OTHER,     /* exited outside both windows: in no quota */
    CAT_COUNT
};
const char *category_code(enum hh_category c); /* "exited_current" */
const char *category_zh(enum hh_category c);   /* "当年脱贫户" */
/* Parses a category code; -1 if unknown. */
int category_parse(const char *s);

/* The registry facts a category depends on. Years are 0 when absent. */
struct hh_facts {
    int registered, identified_year, exit_year, returned;
};
/* The plan's windows: assessment year Y, newly identified in [new_from, new_to], earlier
 * exits in [earlier_from, earlier_to]. */
struct category_windows {
    int year, new_from, new_to, earlier_from, earlier_to;
};
enum hh_category household_category(const struct hh_facts *h, const struct category_windows *w);

/* ---------------------------------------------------------------- summary */

struct county_summary {
    int code;
    char name[64];
    char city[64];
    char region[16];
    char type[16];
    int64_t townships, villages, poor_villages, households, members;
    int64_t registered, unexited, exited, returned, general, edge, monitored;
    int64_t registered_persons, unexited_persons;
};
struct registry_summary {
    struct county_summary *counties; /* owned; registry_summary_release */
    size_t ncounties;
    struct county_summary total;
    int64_t projects, evaluators;
};
int registry_summarise(struct store *s, struct registry_summary *sum, struct error *e);
void registry_summary_release(struct registry_summary *sum);
void registry_summary_print(FILE *f, const struct registry_summary *sum);

/* ---------------------------------------------------------------- household query (hquery.c) */

/* Seed 003: every poor household informed and able to exercise its rights. A household looks
 * its own record up with a member's resident ID and the query code on its notice card. */
#define HQ_LIMIT_PER_ADDR 20 /* queries per address per hour */
#define HQ_LIMIT_PER_ID 5    /* queries per (hashed) resident ID per 24 hours */
#define HQ_MAX_PROJECTS 8

/* Writes the cards file (CSV: household_id, county, village, head, code, message — the
 * SMS/WeChat text naming `url`) for the registered households of county (0: all), makes the
 * store's secret on first use, refreshes the hashed IDs those households' members query with,
 * and notes the run in the change log (personal data written). One transaction; *nhh gets the
 * number of households. csv is the caller's. */
int registry_hq_codes(struct store *s, int county, const char *url, FILE *csv, int64_t *nhh,
                      struct error *e);

/* After a registry (re-)import, inside its transaction (registry_import calls it before the
 * commit): the hashed IDs (hq_ids) follow the registry now in force. The households that were
 * given a code keep it (a code is derived from the household ID and the secret, so the cards
 * stay valid) and are queried with their current members' IDs: a member added since the cards
 * were printed can query, a member removed or moved to another household queries that one or
 * nothing, and a household no longer registered (or gone) drops out. No secret (no codes
 * ever made): nothing to do. *n (if non-NULL) gets the IDs written. */
int registry_hq_refresh(struct store *s, int64_t *n, struct error *e);

/* The work a check did: the same for every refused query (the tests compare it). */
struct hq_work {
    int hashes;     /* HMAC computations */
    int statements; /* SQL statements run */
};
struct hq_check {
    int ok;                 /* 1: the pair matches and no limit is reached */
    const char *outcome;    /* static: ok, wrong_code, unknown, limited, no_codes (log only) */
    char household_id[64];  /* when ok (else "-") */
    char id_hash[65];       /* the ID's HMAC, as logged */
    struct hq_work work;
};
/* Checks one query from address addr at Unix time now and logs it (hashed ID, outcome, work).
 * Returns 0 with out filled whatever the outcome (out->ok says whether to show), or a store
 * error. The caller gives every refusal the same answer. */
int registry_hq_check(struct store *s, const char *addr, const char *resident_id,
                      const char *code, int64_t now, struct hq_check *out, struct error *e);

struct hq_project {
    char name[160], kind[32], status[32];
    int year;
};
/* What a household sees: nothing else is read. */
struct hq_answer {
    char household_id[64], county[64], township[64], village[64];
    const char *category_zh, *category_en; /* static */
    int identified_year, exit_year, return_year; /* 0 when none */
    int relocated;                               /* 易地扶贫搬迁 */
    int members, medical, illness_ins, pension, in_school; /* counts of members */
    struct hq_project projects[HQ_MAX_PROJECTS];           /* the village's, newest first */
    size_t nprojects;
};
/* Reads the answer for a household a check let through (registry_hq_check's household_id). */
int registry_hq_show(struct store *s, const char *household_id, struct hq_answer *a,
                     struct error *e);
/* The HMAC of a resident ID under key (hex), as hq_ids and the log keep it. */
void registry_hq_id_hash(const unsigned char key[32], const char *resident_id, char out[65]);
/* Prints the query log (hashed IDs, outcomes, work), oldest first. */
int registry_hq_log_print(struct store *s, FILE *f, struct error *e);

#endif
