/*
 * field_int.h — private to src/survey/: the sample context and the questionnaire batch that
 * field import and field simulation share (field.c), so that simulated questionnaires take
 * exactly the path imported ones take: validated against the form, checked against the
 * sample, stored all or nothing with their earlier versions superseded.
 */
#ifndef PINGGU_FIELD_INT_H
#define PINGGU_FIELD_INT_H

#include "survey.h"

/* A unit of the sample: selected, census, or reserve. */
struct sunit {
    char code[48];
    char stage[20];    /* household, village, paired_household */
    char stratum[32];
    char category[20]; /* households: category of the plan's year */
    int county;
    int64_t village;
    int rank;
    int reserve; /* on the reserve list */
    int active;  /* in the sample now: selected, or a reserve activated by a replacement */
    int done;    /* has a questionnaire or a non-response in this batch or the store */
    int overruled; /* its complete questionnaire was set aside by field resolve (keep reserve) */
    char reason[24];      /* the reason of its non-response record, if replaced */
    char late_reason[24]; /* complete after all: the reason it was first not reached */
    char replaced_by[48]; /* a non-response recorded in the store: the reserve that took over */
    int replaced;         /* such a record exists (replaced_by may be "": none was left) */
    long line;            /* the line of the file being imported that gave it, 0 if none */
};

struct ucache; /* field.c: a sample's units kept by a long-running process */

struct fctx {
    struct store *s;
    const struct ucache *uc; /* lazy mode with field_unit_cache on: the sample's units */
    int64_t sample;      /* samples.row_no */
    char name[64];
    struct plan plan;    /* the sample's plan (owned) */
    struct sunit **units; /* owned array of pointers into `arena`: a unit never moves */
    size_t nunits, capunits;
    struct arena arena;   /* the units */
    struct u64map byunit; /* hash(code) -> index (codes are unique within a sample) */
    struct u64map villages; /* villages loaded (lazy mode) */
    int lazy;             /* units are loaded a village at a time, when first asked for */
    struct stmt *find;    /* lazy mode: a unit's village */
    int failed;           /* lazy mode: loading a village failed (err says why) */
    struct error err;
    int review;           /* stored questionnaires enter review as submitted (review.c) */
    int in_tx;            /* qbatch_store writes inside the caller's transaction (no BEGIN,
                           * COMMIT or ROLLBACK of its own: the caller rolls back on failure) */
};

/* Opens the sample's context. Only the plan is read: the units of a village (with their
 * replacements and questionnaires) are loaded when one of them is first asked for, so the
 * cost of a call that touches a few units — one submission to the server — does not grow with
 * the round (issue 11). fctx_load_all loads every unit at once, for work that visits them
 * all (field simulate). */
int fctx_open(struct store *s, const char *sample, struct fctx *c, struct error *e);
int fctx_load_all(struct fctx *c, struct error *e);
void fctx_close(struct fctx *c);
/* The unit with this code (loading its village if need be), or NULL. The pointer stays valid
 * until fctx_close. */
struct sunit *fctx_unit(struct fctx *c, const char *code);
/* Activates the next reserve of u's village and stratum (rank order); NULL if none is left. */
struct sunit *fctx_replace(struct fctx *c, struct sunit *u);

/* One validated questionnaire waiting to be stored. Strings live in the batch's arena. */
struct qrec {
    const char *unit, *unit_kind, *form, *pair, *date, *reason, *replaces, *source;
    int county;
    int64_t village;
    int team;
    double duration, lat, lon;
    int has_duration, has_gps;
    int nonresponse;
    int known; /* a non-response already recorded in the store: no new replacement */
    int late;  /* a complete questionnaire of a unit recorded as not reached in the store */
    const char *withdraw; /* late: the reserves of its chain, blank-separated (arena) */
    size_t first_answer, nanswers, first_issue, nissues;
    int64_t row; /* questionnaires.row_no once stored */
};
struct arec {
    size_t q;
    const char *name, *value;
    long instance;
};
struct irec {
    size_t q;
    const char *name, *severity, *kind, *message;
    long instance;
};

struct qbatch {
    struct arena arena;
    struct qrec *q;
    size_t nq, capq;
    struct arec *a;
    size_t na, capa;
    struct irec *i;
    size_t ni, capi;
};
void qbatch_init(struct qbatch *b);
void qbatch_release(struct qbatch *b);
/* Adds a questionnaire: the validated answers (every answered question, repeats included)
 * and the issues of severity warning. Returns its index or a negative error. */
long qbatch_add(struct qbatch *b, const struct qrec *q, const struct answers *a,
                const struct issues *is);
/* Stores the batch in one transaction: earlier versions of the same (unit, form) superseded,
 * questionnaires, answers, warnings, replacements. */
int qbatch_store(struct fctx *c, struct qbatch *b, const char *action, const char *key,
                 struct field_stats *st, struct error *e);

/* Adds the field-quality warning for an implausible duration to questionnaire qi, if it has
 * one (import and simulation alike). 0 or ERR_NOMEM. */
int qbatch_duration_warning(struct qbatch *b, size_t qi);

/* Audited updates and deletes: audit_update_where, audit_delete_where and sql_quote (store.h). */

/* Field-quality bounds for the duration of an interview (minutes). */
#define FIELD_MIN_MINUTES 10.0
#define FIELD_MAX_MINUTES 180.0
/* A questionnaire more than this far from the median of its village's interviews is
 * flagged (km). */
#define FIELD_MAX_KM 3.0

#endif
