/*
 * compare_int.h — private to src/compare/: the loaded rules, the registry index and the
 * flags, shared by rules.c (loading), index.c (the registry in memory), engine.c (streaming
 * the department files), output.c (printing, CSV, XLSX, the store, explain).
 *
 * Units. A flag concerns a *unit*, a nonzero 64-bit number:
 *   - a person: the packed resident ID (ids_pack, < 2^57);
 *   - a registry household: UNIT_HH | households.row_no.
 * A flag's key is (rule index << 58) | unit, so one u64map maps a (rule, unit) pair exactly.
 *
 * Invariants: rule and file indexes are positions in the rules file (the output order);
 * at most CMP_MAX_RULES rules, of which at most 16 are "none" rules (one bit each in the
 * index's `seen` words).
 */
#ifndef PINGGU_COMPARE_INT_H
#define PINGGU_COMPARE_INT_H

#include "compare.h"

#include <stdatomic.h>

#define CMP_MAX_RULES 63
#define CMP_MAX_NONE  16
#define CMP_MAX_FILES 64
#define CMP_MAX_COLS  32
#define CMP_MAX_COND  16

#define UNIT_HH        (1ULL << 57)
#define KEY_RULE_SHIFT 58
#define KEY_UNIT_MASK  ((1ULL << KEY_RULE_SHIFT) - 1)

/* ---------------------------------------------------------------- rules */

enum cmp_who {
    WHO_REGISTERED,     /* member of a registered household */
    WHO_GENERAL,        /* member of a general household */
    WHO_NOT_REGISTERED, /* absent from the roster, or in a general household */
    WHO_ABSENT,         /* absent from the roster */
    WHO_ANY
};

enum cmp_op {
    CMP_IN,       /* text in list */
    CMP_NOT_IN,   /* text not in list (an empty value is not in any list) */
    CMP_GT,       /* number >  */
    CMP_GE,       /* number >= */
    CMP_LT,       /* number <  */
    CMP_LE,       /* number <= */
    CMP_EQ,       /* number == */
    CMP_DATE,     /* date in [from, to] */
    CMP_EMPTY,    /* value empty */
    CMP_NOT_EMPTY /* value not empty */
};

enum cmp_coltype { COLT_TEXT = 0, COLT_NUMBER, COLT_DATE };

/* A date bound: absolute, or relative to the reference date ("ref-2y"). */
struct cmp_date {
    int set;   /* 0: open bound */
    int abs;   /* YYYYMMDD, if not relative */
    int rel;   /* 1: reference date shifted by n units */
    int n;     /* signed */
    char unit; /* 'y', 'm' or 'd' */
};

struct cmp_text {
    const char *s; /* arena */
    size_t n;
};

struct cmp_cond {
    int col; /* index into the file's columns */
    enum cmp_op op;
    double num;               /* CMP_GT..CMP_EQ */
    struct cmp_date from, to; /* CMP_DATE, resolved per run (engine.c) */
    struct cmp_text *list;    /* CMP_IN, CMP_NOT_IN (arena) */
    size_t nlist;
};

struct cmp_source {
    int file;              /* index into rules->files */
    struct cmp_cond *cond; /* arena */
    size_t ncond;
};

struct cmp_rule {
    const char *id, *zh, *en, *seed, *kind, *severity; /* arena */
    enum cmp_who who;
    unsigned cats;          /* bit per household category (HH_CAT_*); 0: any */
    int age_min, age_max;   /* -1: no bound */
    unsigned health;        /* bit per health code; 0: any */
    int below_allowance;    /* registry income < the county's allowance standard */
    int none;               /* match "none": flag subjects without a satisfying record */
    int household_scope;    /* one flag per household (or absent person) */
    int none_bit;           /* bit in seen words (none rules) */
    struct cmp_source *src; /* arena */
    size_t nsrc;
};

struct cmp_column {
    const char *name;      /* canonical (the rules file's key), arena */
    const char *headers;   /* '|'-separated accepted headers, arena */
    enum cmp_coltype type; /* from the conditions that read it */
};

struct cmp_file {
    const char *id, *file, *dept_zh, *dept_en, *title_zh, *title_en; /* arena */
    struct cmp_column *cols;                                         /* arena */
    size_t ncols;
    int id_col, name_col; /* indexes into cols (name_col -1 if unmapped) */
    unsigned show;        /* bit per column shown with each record ("show": plate, school) */
};

struct compare_rules {
    char *path; /* owned */
    char *text; /* owned: the file as read (stored with each run) */
    size_t text_len;
    char sha256[65];
    const char *id; /* arena */
    int reference_date;
    int max_evidence;
    struct cmp_file *files; /* arena */
    size_t nfiles;
    struct cmp_rule *rules; /* arena */
    size_t nrules;
    int nnone;
    struct arena arena;
};

/* Kind and severity labels. */
const char *cmp_kind_zh(const char *kind);
const char *cmp_severity_zh(const char *severity);
/* The date `ref` shifted by n years, months or days (day clamped to the month's end). */
int cmp_date_shift(int ref, int n, char unit);
int cmp_date_resolve(const struct cmp_date *d, int ref, int dflt);

/* ---------------------------------------------------------------- registry index */

enum { HH_CAT_GENERAL = 0, HH_CAT_UNEXITED = 1, HH_CAT_EXITED = 2, HH_CAT_RETURNED = 3 };
enum { HEALTH_HEALTHY = 0, HEALTH_CHRONIC, HEALTH_SERIOUS, HEALTH_DISABLED, HEALTH_UNKNOWN = 7 };

/* attrs bits (members and households) */
#define A_HEALTH_MASK 0x7u
#define A_REGISTERED  0x8u
#define A_CAT_SHIFT   4
#define A_CAT_MASK    0x30u
#define A_ELIGIBLE    0x40u /* registered, income below the county's allowance standard */

struct cmp_slot {
    _Atomic uint64_t key;  /* packed resident ID, 0: empty */
    uint32_t hh;           /* households.row_no */
    uint16_t attrs;        /* health | household attrs */
    _Atomic uint16_t seen; /* none rules satisfied for this member */
};

struct cmp_hh {
    int64_t village; /* 12-digit village code (county: the first 6), 0: no such row_no */
    uint32_t id_at;  /* offset of its household_id in the index's `ids` */
    uint16_t attrs;
    _Atomic uint16_t seen; /* household-scope none rules satisfied */
};

struct cmp_county {
    int code;
    double allowance_standard;
    char name[64];
};

struct cmp_index {
    struct cmp_slot *slots; /* owned, cap entries */
    size_t cap, mask;
    int bits;
    size_t nmembers;
    struct cmp_hh *hh; /* owned, indexed by row_no */
    size_t nhh;        /* max row_no + 1 */
    char *ids;         /* owned: every household_id, NUL-terminated, at hh[].id_at */
    size_t ids_len, ids_cap;
    size_t households;           /* rows */
    struct cmp_county *counties; /* owned, sorted by code */
    size_t ncounties;
};

int cmp_index_load(struct store *s, const char *db_url, int threads, struct cmp_index *ix,
                   struct error *e);
void cmp_index_release(struct cmp_index *ix);
/* The slot of key, or NULL (absent from the roster). */
static inline struct cmp_slot *cmp_index_find(const struct cmp_index *ix, uint64_t key)
{
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> (64 - ix->bits));
    for (;;) {
        uint64_t k = atomic_load_explicit(&ix->slots[i].key, memory_order_relaxed);
        if (k == key) return &ix->slots[i];
        if (!k) return NULL;
        i = (i + 1) & ix->mask;
    }
}
const struct cmp_county *cmp_index_county(const struct cmp_index *ix, int code);
static inline uint32_t cmp_hh_county(const struct cmp_index *ix, uint32_t hh)
{
    return (uint32_t)(ix->hh[hh].village / 1000000);
}
static inline const char *cmp_hh_id(const struct cmp_index *ix, uint32_t hh)
{
    return ix->ids + ix->hh[hh].id_at;
}

/* ---------------------------------------------------------------- flags */

#define EV_ID_INVALID 2

/* One department record behind a flag. */
struct cmp_ev {
    struct cmp_ev *next;
    uint64_t person; /* the record's resident ID, packed */
    uint32_t line;
    uint16_t file;
    uint8_t matched;    /* 1: satisfies the rule; 0: a record of the subject that does not;
                           EV_ID_INVALID: a record whose ID failed validation (check
                           character) but whose first 17 digits are the subject's */
    const char *detail; /* "车辆价值=120000; 机动车状态=正常" (arena) */
};

struct cmp_flag {
    uint64_t key;    /* rule << 58 | unit */
    uint64_t person; /* member-scope or absent person: the packed ID; 0 for a household */
    uint32_t hh;     /* households.row_no, 0 for a person absent from the roster */
    uint32_t county;
    uint16_t rule;
    uint32_t records; /* records satisfying the rule (any), or seen but not satisfying (none) */
    uint32_t nev;
    struct cmp_ev *ev; /* first max_evidence records, in (file, line) order */
    const char *name;  /* absent persons: the name in the first record (arena), else NULL */
};

/* The outcome of the streaming stage, before output. */
struct cmp_outcome {
    struct cmp_flag *flags; /* owned, sorted (county, household, rule, person) */
    size_t nflags;
    struct arena *arenas; /* owned: one per file (details, names, evidence) */
    size_t narenas;
};

int cmp_engine_run(const struct compare_rules *r, const struct cmp_index *ix, const char *dept_dir,
                   const struct compare_opts *o, int ref, int today, struct compare_result *res,
                   struct cmp_outcome *out, struct error *e);
void cmp_outcome_release(struct cmp_outcome *out);

/* output.c */
int cmp_output(struct store *s, const struct compare_rules *r, const struct cmp_index *ix,
               const char *dept_dir, const struct compare_opts *o, struct cmp_outcome *oc,
               struct compare_result *res, struct error *e);

#endif
