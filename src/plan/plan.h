/*
 * plan.h — assessment plans, verifiable sampling and team lotteries (DESIGN §4, §5;
 * src/plan/). Reads the registry (registry.h) and writes samples and teams to the store.
 *
 * A plan is a JSON file (docs/plans.md) loaded into struct plan; plan_load reports every
 * problem with its JSON path ("households.quotas[2].fallback[0]: unknown category ...").
 *
 * Sampling (docs/sampling.md) is a pure function of (plan, seed, frame): every random choice
 * is a Rivest consistent-sampling ticket (ticket.c), bit-compatible with the public
 * consistent_sampler package, of a canonical unit id "STAGE|STRATUM|PARENT|ID". The frame is
 * read through a provider (a registry-backed one that also records what it served, and a
 * frozen one for re-derivation), so the draw and its verification run the same code.
 *
 * A drawn sample is stored with its frozen frame (sample_save), shown per county
 * (sample_show), written as a manifest (sample_manifest) and re-derived (sample_verify).
 */
#ifndef PINGGU_PLAN_H
#define PINGGU_PLAN_H

#include "../base/base.h"
#include "../registry/registry.h"
#include "../store/store.h"

/* ---------------------------------------------------------------- tickets */

#define TICKET_MAX 84 /* "0." + up to 78 digits + NUL, with room */

/* sha256_uniform(s) of DESIGN §5: "0." + reverse(decimal(int(sha256_hex(s), 16)) padded to
 * at least 64 digits). Writes a NUL-terminated string into out. */
void ticket_uniform(const char *s, size_t n, char out[TICKET_MAX]);
/* ticket(id, seed) = sha256_uniform(sha256_hex(seed) + id). seed_hex is sha256_hex(seed),
 * computed once per seed by the caller (ticket_seed_hex). */
void ticket_seed_hex(const char *seed, char seed_hex[65]);
void ticket_of(const char seed_hex[65], const char *id, char out[TICKET_MAX]);
/* The first 18 digits of a ticket as an integer (the order key; ties need the full string)
 * and as a fraction in [0, 1) (the systematic start u). */
uint64_t ticket_key(const char *ticket);
double ticket_fraction(const char *ticket);
/* SHA-256 commitment to a seed: lowercase hex of SHA-256 of its UTF-8 bytes. */
void seed_commitment(const char *seed, char out[65]);

/* ---------------------------------------------------------------- plans */

#define PLAN_MAX_VSTRATA 4
#define PLAN_MAX_QUOTAS 8
#define PLAN_MAX_FALLBACK 4
#define PLAN_MAX_THRESHOLDS 24
#define PLAN_MAX_INTERVIEWS 16

/* Household flags a quota may require (any of). */
enum {
    HF_ALLOWANCE = 1 << 0,
    HF_HARDSHIP = 1 << 1,
    HF_DISABILITY = 1 << 2,
    HF_ILLNESS = 1 << 3,
    HF_UNSAFE_HOUSE = 1 << 4,
    HF_RELOCATED = 1 << 5,
    HF_EDGE = 1 << 6,
    HF_MONITORED = 1 << 7
};

/* Comparison of a threshold, with the Chinese legal words that fix the bound (DESIGN §6.4):
 * 低于/超过/不满 exclude it, 以上/以下/以内/不低于/不超过/达到 include it. */
enum plan_op { PLAN_LT, PLAN_LE, PLAN_GT, PLAN_GE };
const char *plan_op_text(enum plan_op op); /* "<" */
/* 1 if value satisfies `value OP bound`. */
int plan_op_holds(enum plan_op op, double value, double bound);

struct plan_threshold {
    char indicator[24]; /* incidence, wrong_exit, missed, approval */
    char region[12];    /* east/central/west, or "" for every region */
    enum plan_op op;
    double value;
    char words[192]; /* the seed's words, e.g. "低于2%" */
};

/* A village-standard item (seed 004 annex 1, DESIGN §6.2/§6.4). */
struct plan_item {
    char name[24]; /* incidence, road_width, bus_distance, water_litres, ... */
    enum plan_op op;
    double value;
    double exception; /* road_width: 3.0 where the narrow-road exception applies; else 0 */
    char words[192];
};

struct plan_vstratum {
    char name[24];  /* "poor", "nonpoor", "all" */
    int poor;       /* 1 poor villages, 0 non-poor, -1 any */
    int n;          /* villages to draw per county (or per township when by_township) */
    int weighted;   /* 1: randomised systematic πps by size */
    char measure[24]; /* registered_persons | registered_households | unexited_persons |
                         population */
    double remoteness; /* size = measure × (1 + remoteness × village remoteness) */
    int group_census;  /* sampled villages of this stratum that get a village-group census */
};

struct plan_quota {
    char name[24];      /* the stratum's name: a category or a named subset */
    unsigned cats;      /* bitmask of enum hh_category */
    unsigned flags_any; /* HF_* : at least one required (0: no condition) */
    int n;
    int fallback[PLAN_MAX_FALLBACK]; /* indices into quotas */
    int nfallback;
};

struct plan_teams {
    int enabled;
    int teams;          /* number of teams (Anhui: 13) */
    double pass_mark;   /* exam score to qualify (seed 000: only those who pass) */
    int base_size;      /* leader, deputy and liaison */
    int per_county;     /* members per county of the target cities */
    double local_share; /* at least this share from county/township/village units (0.6) */
    int pair_experienced; /* each household pair has an experienced member */
};

/* Scored schemes (Henan: seed 004 first article; Shaanxi: seed 001): weighted trees of
 * indicators per kind of unit, bonus items, one-vote vetoes, ranking rules. */
#define PLAN_MAX_NODES 64
struct plan_node {
    char id[32];
    char zh[96], en[96];
    double weight; /* share among its siblings (normalised when scoring) */
    int parent;    /* index of the parent node, -1 for a root */
    int tree;      /* index into scoring.trees */
    int leaf;
    char source[16];    /* leaves: "input" (the team's score sheet) or "indicator" */
    double standard;    /* leaves: the least score that meets the standard (-1: none), e.g.
                           Shaanxi's 四率一度全面达标 */
    char indicator[32]; /* indicator leaves: exit_accuracy, identification_accuracy or
                           satisfaction, measured by the survey (score.c) */
    /* source "rank": the sheet gives a result, the leaf scores its place among the units of
     * the ranking group: best for the first, worst for the last, linear between (Henan: 驻村
     * 工作队 根据综合排序确定分值). source "share": the sheet gives "got/full" (or got out of
     * 100), the leaf is 100 × got / full, full marks exactly 100 (满分的按满分计算). */
    double best, worst;
};
/* A bonus, veto or condition item of the score sheet. */
struct plan_sheet_item {
    char id[32], zh[160], en[128];
    double max;   /* bonus: points at most */
    char unit[16]; /* the tree (unit word) it belongs to; "" = every tree */
};
/* How one tree is ranked (seed 004 第七条; seed 001 排出好中差). Scopes: "county" (units of
 * one county together), "city", "all" (the whole sample). */
struct plan_rank {
    char group[8];     /* the ranking: rank, last place, top_count, bands */
    char top_scope[8]; /* where the top share is counted (Henan townships: 全市 = city) */
    double top_share;  /* flagged 前列 (rounded down); vetoed units and units failing a
                          condition are not flagged */
    int top_count;     /* the first top_count of each group flagged (前十名); 0 none */
    int flag_last;     /* the last place of each group is flagged (倒数第一) */
    int twice_last;    /* last in the previous round of the same units too (连续2次) */
    int nbands;        /* 好中差: bands by rank, shares of the group, best first */
    struct {
        char zh[16], en[16];
        double share;
    } bands[4];
    int below_band; /* a unit with a leaf below its standard is at least in this band; -1 */
};
struct plan_scoring {
    int enabled;
    char scheme[48];
    struct {
        char unit[16]; /* township, county, city, department */
        char zh[64];
        struct plan_rank rank;
    } trees[4];
    int ntrees;
    struct plan_node nodes[PLAN_MAX_NODES];
    int nnodes;
    struct plan_sheet_item bonus[8]; /* 加分: max = points at most */
    int nbonus;
    struct plan_sheet_item veto[8];  /* 一票否决: max unused */
    int nveto;
    struct plan_sheet_item cond[8];  /* conditions of the top share, 1/是 or 0/否 (Henan
                                        townships: 通过验收实现整体脱贫) */
    int ncond;
    double top_share; /* defaults of the trees' rank sections (file: scoring.rank) */
    int flag_last;
    int twice_last;
};

/* The village exit standard's items a plan may bound (seed 004 annex 1; judge/rules.c). */
#define VILLAGE_ITEMS                                                                          \
    "incidence|road_width|bus_distance|water_litres|water_minutes|water_guarantee|"            \
    "power_production|power_household|tv_household|culture_items|clinic_area|clinic_rooms|"    \
    "clinic_staff_per_1000|village_doctor|broadband"

enum { PLAN_ACC_NONE = 0, PLAN_ACC_PROBLEMS, PLAN_ACC_INDICATORS };

struct plan {
    char id[64];
    char title_zh[160], title_en[160];
    char source[512];
    int year;
    struct category_windows win;
    double line; /* income line of the year, yuan per person */
    int scored, ranked;
    /* scope */
    int province; /* 0 = every province in the registry */
    int county;   /* 0 = every county in scope; else one county (a district plan) */
    /* county stage */
    int county_sample;  /* 0: every eligible county; 1: a sample per province */
    unsigned county_types; /* bitmask over codes_county_type order; 0 = any */
    int county_exit_year;  /* 0 = any */
    double county_fraction;
    int county_min;
    int covert_min, covert_max, covert_two_from; /* covert counties per province */
    /* village stage */
    int by_township;      /* 1: every township, per_key / per_other villages each */
    int per_key, per_other;
    int min_poor, min_nonpoor; /* by_township: at least this many poor / non-poor villages in
                                  each township that holds them (seed 004: 兼顾脱贫村和非贫困村);
                                  the rest of the township's quota from all its other villages */
    struct plan_vstratum vstrata[PLAN_MAX_VSTRATA];
    int nvstrata;
    int distinct_townships;
    int mc_replicates; /* 0: exact π (distinct townships); else Monte-Carlo replicates */
    /* household stage */
    struct plan_quota quotas[PLAN_MAX_QUOTAS];
    int nquotas;
    int census_returned, census_edge, census_monitored;
    int reserve; /* reserve units listed per household stratum */
    /* projects */
    int projects_per_county, projects_per_village;
    int paired_projects, paired_households;
    /* cadre interviews (干部访谈, "interviews" in the file; seed 002 五(三)): how many of each
     * role per unit of a level — city, county, paired_county (in addition, in counties with
     * paired assistance), village; roles are forms/cadre-interview.json's cadre_role */
    struct plan_interview_quota {
        char level[16];
        char role[24];
        int n;
        int phone; /* may be interviewed by phone (现场或电话) */
    } interviews[PLAN_MAX_INTERVIEWS];
    int ninterviews;
    /* standards */
    struct plan_threshold thresholds[PLAN_MAX_THRESHOLDS];
    int nthresholds;
    struct plan_item items[PLAN_MAX_THRESHOLDS];
    int nitems;
    struct plan_teams teams;
    struct plan_scoring scoring;
    /* the problem steps the round uses (DESIGN §8.1; "problems" in the file) */
    struct plan_problem_steps {
        int summary_due;     /* the day's summary due at this minute after midnight (China
                              * Standard Time), -1 if the plan sets no hour */
        int verify_next_day; /* verified jointly with the county the next day (Anhui) */
        int verify_at_end;   /* fed back all at the end (the district plan) */
    } steps;
    /* Henan's accountability rules (seed 004, first article, 第七条(二)1–2; "accountability" in
     * the file; the report stage applies them to `score` results: report.h) */
    struct plan_accountability {
        int enabled;
        char tree[16];       /* the scoring tree whose units answer (township) */
        char last_place[32]; /* the measure for the last place: 通报批评 */
        char last_twice[32]; /* ... for the last place twice in a row: 降级使用 */
        char meeting[32];    /* ... for a unit meeting any condition: 约谈 */
        struct plan_acc_cond {
            char id[32];
            char zh[160];
            int check; /* PLAN_ACC_NONE, PLAN_ACC_PROBLEMS, PLAN_ACC_INDICATORS */
            char kinds[4][24]; /* problems: accepted problems of these kinds in the unit */
            int nkinds;
            struct {
                char node[32];      /* an indicator leaf of the tree (0–100) */
                char indicator[24]; /* the plan threshold it is held to: wrong_exit, missed,
                                       approval */
            } nodes[4];
            int nnodes;
            char why[256]; /* none: why the data cannot show it */
        } cond[8];
        int ncond;
    } acc;
    /* the file */
    char *text; /* owned: the plan file as read */
    size_t len;
    char hash[65]; /* SHA-256 of text */
};

/* Loads and validates a plan file. Problems go to errs as "FILE: json.path: reason" (all of
 * them, up to the errlist's keep); returns 0, ERR_INVALID (errs filled) or ERR_IO/ERR_PARSE.
 * The caller owns *p's contents (plan_release). */
int plan_load(const char *path, struct plan *p, struct errlist *errs, struct error *e);
/* Same, from text already in memory (name for messages); text is copied. */
int plan_parse(const char *name, const char *text, size_t len, struct plan *p,
               struct errlist *errs, struct error *e);
void plan_release(struct plan *p);
/* Prints every number of the plan file with its source — the seed's quote, the seed's words
 * of a threshold, or the plan's stated choice — one per line ("PATH = VALUE<TAB>source"), or
 * UNSOURCED, then every "sources" entry that names no number (STALE); f may be NULL to count
 * only. Returns how many are unsourced or stale, -1 if the text does not parse (docs/plans.md
 * "Sources"). */
int plan_sources(const struct plan *p, FILE *f);
/* Prints a readable outline of a valid plan (zh/en). */
void plan_describe(const struct plan *p, FILE *f);
/* The threshold for indicator in region (or the region-free one), or NULL. Borrowed. */
const struct plan_threshold *plan_threshold_for(const struct plan *p, const char *indicator,
                                                const char *region);
const struct plan_item *plan_item_for(const struct plan *p, const char *name);

/* ---------------------------------------------------------------- frames */

struct frame_county {
    int code, province, city;
    char type[16];
    int exit_year;
    int paired; /* has paired assistance (paired_with set) */
};
struct frame_township {
    int code;
    int key;
};
struct frame_village {
    int64_t code;
    int township, county;
    int poor, groups, key_township;
    double remoteness;
    int64_t population, registered_persons, registered_households, unexited_persons;
};
struct frame_household {
    char id[44];
    int64_t village;
    int grp;
    int registered, identified_year, exit_year, returned;
    unsigned flags; /* HF_* */
    int persons;
};
struct frame_project {
    char id[44];
    int county;
    int64_t village; /* 0 for a county-level project */
    int paired;
};

/* Where a draw gets its units. Arrays returned are owned by the provider and valid until
 * the next call of the same function. Every call returns 0 or an ERR_*. */
struct frame_source {
    void *ctx;
    int (*counties)(void *ctx, const struct frame_county **out, size_t *n, struct error *e);
    int (*townships)(void *ctx, int county, const struct frame_township **out, size_t *n,
                     struct error *e);
    int (*villages)(void *ctx, int county, const struct frame_village **out, size_t *n,
                    struct error *e);
    int (*households)(void *ctx, int64_t village, const struct frame_household **out,
                      size_t *n, struct error *e);
    int (*projects)(void *ctx, int county, const struct frame_project **out, size_t *n,
                    struct error *e);
};

/* A provider reading the registry of a store. It records every unit it serves (the frame
 * the draw used) for frame_freeze. Caller owns it (frame_registry_free). */
struct frame_registry;
int frame_registry_new(struct store *s, const struct plan *p, struct frame_registry **out,
                       struct error *e);
void frame_registry_source(struct frame_registry *r, struct frame_source *src);
void frame_registry_free(struct frame_registry *r);

/* The plan against a registry's frame (`plan check --db`): for every county of the plan's
 * scope, one warning line on f where a quota exceeds what the county's frame holds — a
 * village stratum's n beyond its villages (or its townships, with distinct townships), a
 * township's share beyond its villages, a household quota that cannot be filled in some
 * villages even with what its fallbacks hold beyond their own quotas, projects beyond the
 * county's. *nwarn counts the warnings, *ncounties the counties checked. Returns 0 or an
 * ERR_* (a store error); warnings are not errors. */
int plan_check_frame(struct store *s, const struct plan *p, FILE *f, int *nwarn,
                     int *ncounties, struct error *e);
/* 1 if the county is in the plan's scope and eligible (type, exit year) for its draw. */
int plan_county_eligible(const struct plan *p, const struct frame_county *fc);
/* The quota stratum (index into p->quotas) a household of the frame belongs to for the draw,
 * -2 if a census group takes it whole, -1 if no quota takes it. The draw (draw.c) and `plan
 * check --db` both call this: it is the one statement of the rule. When cat is not NULL it
 * receives the household's category (enum hh_category); when census is not NULL, which census
 * group took it (1 returned, 2 edge, 3 monitored; 0 none). */
int plan_household_stratum(const struct plan *p, const struct frame_household *h, int *cat,
                           int *census);

/* ---------------------------------------------------------------- draws */

/* One unit of a draw: selected, reserve, or census. */
struct sel {
    char stage[20];   /* county covert village group household project paired_project
                         paired_household */
    char stratum[32]; /* e.g. poor, exited_current, census_returned */
    char parent[48];  /* province, county code, village code, or project id */
    char unit[160];   /* canonical unit id: STAGE|STRATUM|PARENT|ID */
    char code[48];    /* the unit's own code (county/village code, household id, ...) */
    int county;
    int64_t village;
    int quota;        /* the stratum's quota */
    int rank;         /* 1-based rank in the stratum's ticket order (0 for census) */
    char ticket[TICKET_MAX];
    char substitute_for[32]; /* quota stratum it stands in for, or "" */
    int reserve;      /* 1: on the reserve list, not selected */
    int certainty;    /* πps certainty unit, or census */
    double pi;        /* inclusion probability within its parent (DESIGN §5) */
    double pi_se;     /* Monte-Carlo standard error of pi (0: exact) */
    char category[20]; /* households: category of the plan's year (registry.h) */
    int group;        /* households: covered by the village-group census */
};

/* Per stratum: what was there and what was taken (substitutions and shortfalls). */
struct stratum_note {
    char stage[20], stratum[32], parent[48];
    int county;
    int64_t frame;       /* units in the stratum */
    int quota, taken;    /* taken = own quota filled + units taken as substitutes */
    int shortfall;       /* quota not filled even with fallbacks */
    int lent;            /* units of this stratum taken for other quotas */
};

struct draw {
    struct sel *sels; /* owned */
    size_t nsels, capsels;
    struct stratum_note *notes; /* owned */
    size_t nnotes, capnotes;
    char seed_hex[65];
};
void draw_init(struct draw *d);
void draw_release(struct draw *d);

/* Draws a sample for plan p from the frame of src with the seed. Deterministic: the result
 * depends only on (p, seed, the frame's contents), never on row order or machine.
 * `progress`: show a progress line for the Monte-Carlo stages. */
int sample_draw(const struct plan *p, const char *seed, const struct frame_source *src,
                int progress, struct draw *out, struct error *e);

/* ---------------------------------------------------------------- stored samples */

/* Draws and stores sample `name`: the plan text, the seed and its commitment, the frozen
 * frame, the selections and notes; one change-log batch per table. ERR_EXISTS if a sample of
 * that name exists. */
int sample_create(struct store *s, const struct plan *p, const char *name, const char *seed,
                  int progress, struct error *e);
/* Prints per county: villages, households by quota, substitutions and shortfalls; or JSON. */
/* The category a sampled unit was drawn in ("general", "poor", ...) into out (the caller's,
 * size bytes): 0, ERR_NOTFOUND if the sample has no such unit, or a store error. */
int sample_unit_category(struct store *s, const char *sample, const char *unit, char *out,
                         size_t size, struct error *e);
int sample_show(struct store *s, const char *name, int json, FILE *f, struct error *e);
/* Writes the manifest of DESIGN §5 to path (JSON). */
int sample_manifest(struct store *s, const char *name, const char *path, struct error *e);

/* A sample manifest as read from its JSON (manifest_parse), every field checked for type,
 * range and length; nothing is defaulted or truncated. Strings are NUL-terminated. */
#define MANIFEST_FORMAT "pinggu-sample-manifest/1"
struct manifest {
    char format[32];
    char algorithm[128];
    char *sample;  /* owned */
    char plan_id[64];
    char plan_hash[65];
    char *seed;    /* owned */
    char seed_commitment[65];
    char frame_hash[65];
    int64_t frame_rows;
    char created[32];
    struct stratum_note *strata; /* owned, nstrata of them, in the manifest's order */
    size_t nstrata;
    struct sel *units; /* owned, nunits of them, in the manifest's order */
    size_t nunits;
};
/* Parses and validates a manifest (name for messages) without a store: exactly the keys
 * sample_manifest writes, each of its type, within its range and length (a longer string is
 * an error, never cut). Returns 0, ERR_PARSE ("NAME: units[3].reserve: expected true or
 * false") or ERR_NOMEM. The caller owns m's contents (manifest_release), also on failure. */
int manifest_parse(const char *name, const char *text, size_t len, struct manifest *m,
                   struct error *e);
void manifest_release(struct manifest *m);

/* What sample_verify found. */
struct verify_report {
    char sample[256];
    int64_t frame_rows, selections;
    int ok;
    char first[512]; /* the first difference, "" if identical */
};
/* Checks every field of the manifest (manifest_parse) against the stored sample it names,
 * then re-derives that sample from its frozen frame, stored plan and the manifest's seed and
 * checks the store against the re-derivation: the seed against `commitment` (if non-NULL)
 * and the manifest's commitment, the plan against its hash, the frame against its hash and
 * row count, the header fields, every stratum note and every unit. Returns 0 if identical,
 * ERR_VERIFY with report->first naming the first difference and its field, ERR_PARSE for a
 * file that is not a valid manifest, ERR_NOTFOUND for a sample not in the store. */
int sample_verify(struct store *s, const char *manifest_path, const char *commitment,
                  struct verify_report *r, struct error *e);

/* The set-up texts as the CLI prints them (setup_print.c; `plan check`, `sample`, `sample
 * verify`), for the command line and the office's set-up page alike. plan_check_print: the
 * "valid plan" line under label and, when s is not NULL, the frame's warnings and their
 * summary naming db_label. sample_draw_print: sample_show and the seed's commitment.
 * sample_verify_print: identical, or NOT identical with the first difference. */
int plan_check_print(struct store *s, const char *label, const struct plan *p,
                     const char *db_label, FILE *f, struct error *e);
int sample_draw_print(struct store *s, const char *name, const char *seed, FILE *f,
                      struct error *e);
void sample_verify_print(const struct verify_report *r, int identical, int with_commitment,
                         FILE *f);

/* Loads a stored sample's plan (caller releases) and seed. */
int sample_plan(struct store *s, const char *name, struct plan *p, char *seed, size_t seed_size,
                int64_t *sample_row, struct error *e);

/* ---------------------------------------------------------------- teams */

/* Draws teams for a stored sample: the team–city lottery, then each team's members from the
 * qualified pool (DESIGN §4 Anhui, §5 lotteries). A pool that cannot satisfy a rule gives
 * ERR_INVALID naming the rule, and nothing is written. */
int teams_draw(struct store *s, const char *sample, const char *seed, struct error *e);
int teams_show(struct store *s, const char *sample, FILE *f, struct error *e);

/* A team number as the tables print it: "3", or "-" for 0, the team of a questionnaire or
 * problem in a round that drew no teams (or of a unit no team surveyed). Writes into buf
 * (caller's, 12 bytes) and returns it. */
const char *teams_label(int team, char buf[12]);

/* The team lottery as a pure function, for tests: cities[ncities] assessed, team home
 * cities home[nteams]; writes team index per city into assign. Round tickets derive from
 * seed_hex; returns the round that succeeded (>= 1) or ERR_INVALID. */
int teams_assign_cities(const char seed_hex[65], const int *cities, size_t ncities,
                        const int *home, size_t nteams, int *assign, struct error *e);

#endif
