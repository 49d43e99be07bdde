/*
 * access.h — who may do what (issue 11, DESIGN §10; src/access/): accounts, role grants,
 * sessions, lockout, the security log, and the authorisation matrix with its one check.
 *
 * A stage after src/problem/ (the problem states decide what a liaison sees) and before the
 * front ends: src/server/ calls only this header to authenticate and authorise, and never
 * decides a permission itself. The CLI's `pinggu user` administers accounts through it.
 *
 * Invariants:
 *  - Passwords exist only as libsodium crypto_pwhash_str strings (Argon2id, 64 MiB, ops 2 —
 *    the issue's "each hash takes 64 MiB"); at most ACCESS_HASH_SLOTS hashes run at once and
 *    at most ACCESS_HASH_QUEUE wait, beyond that access_login answers ACCESS_BUSY at once
 *    (the server's 503), so a login flood cannot exhaust memory.
 *  - Session IDs, CSRF tokens and field-app tokens are 32 random bytes shown once (hex); the
 *    store keeps only their SHA-256. A login always makes a new session ID.
 *  - Five failed logins lock the account, and separately the address, for 15 minutes; a
 *    locked login is refused before any hash is computed. The office unlocks (logged).
 *  - Account writes (add, disable, unlock, reset, password change, grants) go through the
 *    change log with the acting user; sessions, lockout counters and refusals do not (the
 *    refusals go to the security log, at most one row per kind, address and minute, each
 *    with a count, and at most ACCESS_SECLOG_PER_MINUTE rows a minute in all).
 *  - The authorisation matrix (authz.c) is one static table of (role, resource, action,
 *    scope, phase) rows; access_check is the only function that reads it, and adds the
 *    home-city rule: before release nobody touches the sample, assignments, progress,
 *    problems or figures of their own home city or county, whatever their grants.
 *
 * Times are Unix seconds; access_now() is PINGGU_NOW (YYYY-MM-DDTHH:MM:SSZ) when set.
 */
#ifndef PINGGU_ACCESS_H
#define PINGGU_ACCESS_H

#include "../base/base.h"
#include "../store/store.h"

/* ================================================================ roles and the matrix */

enum access_role {
    AR_OFFICE = 0,   /* provincial office 省扶贫办 */
    AR_LEADER,       /* team leader 组长 */
    AR_EVALUATOR,    /* evaluator 评估人员 */
    AR_CITY,         /* city liaison 市联络员 */
    AR_COUNTY,       /* county liaison 县联络员 */
    AR_SUPERVISOR,   /* discipline supervisor 纪律监督 */
    AR_OBSERVER,     /* observer 观察员 */
    AR_NROLES
};
/* "office", "leader", ... (static); the role named, or -1. */
const char *access_role_name(enum access_role r);
const char *access_role_label(enum access_role r); /* 省扶贫办, 组长, ... (static) */
int access_role_parse(const char *name);

enum access_resource {
    RS_ROUNDS = 0,   /* the list of rounds and their state */
    RS_SAMPLE,       /* the units drawn */
    RS_ASSIGNMENTS,  /* which pair visits which units */
    RS_PROGRESS,     /* fieldwork progress, response */
    RS_PROBLEMS,     /* problems and their moves */
    RS_FIGURES,      /* indicators and judgments (provisional before release) */
    RS_SEED,         /* the round's seed */
    RS_MANIFEST,     /* the sample manifest */
    RS_RELEASES,     /* release snapshots */
    RS_COUNTY_VIEW,  /* the county-facing view after release */
    RS_QUESTIONNAIRES, /* questionnaire answers */
    RS_EVIDENCE,     /* photos, recordings, documents */
    RS_INTERFERENCE, /* interference and discipline records */
    RS_AUDIT,        /* the change log */
    RS_SECURITY,     /* the security log */
    RS_USERS,        /* accounts and grants */
    RS_REPORTS,      /* the round's report files (HTML, XLSX), names and IDs masked */
    RS_PERSONAL,     /* names and resident IDs in full (an unmasked report); every read logged */
    RS_SCHEDULE,     /* a round's milestones and progress against them (issue 15) */
    RS_MONITORING,   /* post-exit monitoring of exited counties, per county */
    RS_ATTENDANCE,   /* village work-team attendance and the recall list, per county */
    RS_BULLETIN,     /* the monthly ranking bulletin of cities and departments */
    RS_SIGNOFF,      /* the team reports' sign-off (seed 002 六(五)), per county report */
    RS_SYNTHESIS,    /* the county synthesis (综合研判, seed 000) and the office's judgment */
    RS_NRESOURCES
};
const char *access_resource_name(enum access_resource r);

enum access_action { AA_READ = 0, AA_WRITE, AA_NACTIONS };
const char *access_action_name(enum access_action a);

enum access_scope {
    SC_ALL = 0, /* every unit of the grant's round, whatever the grant's unit */
    SC_UNITS,   /* the units of the grant's scope (a county, or a city's counties) */
    SC_SENT     /* the grant's units, only items sent to the locality (problems a liaison
                   has been asked to verify or rectify; never dismissed ones) */
};
enum access_phase {
    PH_ANY = 0,
    PH_BEFORE, /* only before the round's first release */
    PH_AFTER   /* only once the round is released (or, for seed and manifest, published) */
};

/* One row of the authorisation matrix. */
struct access_rule {
    enum access_role role;
    enum access_resource resource;
    enum access_action action;
    enum access_scope scope;
    enum access_phase phase;
};
/* The matrix (static) and its length. */
const struct access_rule *access_matrix(size_t *n);
/* Prints the matrix as a table (role, resource, action, scope, phase) plus the home-city rule. */
void access_matrix_print(FILE *f);

/* A grant: a role in a round ("" = every round) over a unit (county 6 digits, city 4 digits,
 * 0 = the whole round). */
struct access_grant {
    enum access_role role;
    char round[64];
    int scope;
};
/* A signed-in user as access_check sees it. */
struct access_user {
    char name[64];
    int home;        /* home city (4 digits) or county (6 digits) the user is a cadre of; 0 none */
    int must_change; /* must change the password before anything else */
    struct access_grant *grants; /* owned (access_user_release) */
    size_t ngrants;
};
void access_user_release(struct access_user *u);

/* What a request touches. */
struct access_target {
    const char *round; /* the round (sample name); NULL or "" for resources outside rounds */
    int county;        /* the county (6 digits) the item belongs to; 0: round-wide (a list,
                          which the caller then filters item by item) */
    int released;      /* the round has at least one release */
    int sent;          /* for problems: the item was sent to the locality and not dismissed */
};

/* The one enforcement point: 0 if user u may do `action` on `resource` for target t, else
 * ERR_INVALID with the reason in why (if non-NULL; English / Chinese), e.g. the home-city
 * rule or "no grant allows it". *role_out (if non-NULL) gets the role of the first grant that
 * allows it (for the problem library's own rule on moves). */
int access_check(const struct access_user *u, enum access_resource resource,
                 enum access_action action, const struct access_target *t,
                 enum access_role *role_out, struct strbuf *why);
/* As access_check, but for one role only (the role the user chose to act in). */
int access_check_as(const struct access_user *u, enum access_role role,
                    enum access_resource resource, enum access_action action,
                    const struct access_target *t, struct strbuf *why);

/* ================================================================ accounts */

#define ACCESS_MAX_FAILURES 5
#define ACCESS_LOCK_SECONDS (15 * 60)
#define ACCESS_HASH_SLOTS 2  /* concurrent Argon2id hashes (64 MiB each) */
#define ACCESS_HASH_QUEUE 8  /* waiting for a slot; more is ACCESS_BUSY */
#define ACCESS_SECLOG_PER_MINUTE 120

/* Unix seconds (PINGGU_NOW when set). */
int64_t access_now(void);

/* Password rules (等保 2.0 habits, docs/server.md): at least 10 characters, at least three
 * of lower case, upper case, digits and other characters, not containing the user name.
 * 0, or ERR_INVALID with the reason (English / Chinese). */
int access_password_ok(const char *user, const char *password, struct error *e);

/* A user name: 1–63 characters of letters, digits, '.', '_', '-'. */
int access_name_ok(const char *name, struct error *e);

/* Adds a user with a password (checked by the rules), home unit (0 none), must_change = 1,
 * and the grants given (each in the change log). ERR_EXISTS if the name is taken. */
int access_user_add(struct store *s, const char *name, const char *password, int home,
                    const struct access_grant *grants, size_t ngrants, struct error *e);
/* Adds a grant to an existing user. */
int access_grant_add(struct store *s, const char *name, const struct access_grant *g,
                     struct error *e);
/* Disables a user (and ends every session of theirs). */
int access_user_disable(struct store *s, const char *name, struct error *e);
/* Clears the lockout of an account (and of `addr`, if non-NULL); logged. */
int access_user_unlock(struct store *s, const char *name, const char *addr, struct error *e);
/* Sets a new password chosen by the office (must_change = 1 again), ends every session and
 * clears the account's lockout. */
int access_user_reset(struct store *s, const char *name, const char *password,
                      struct error *e);
/* The user's own change (signed in): checks the old password (wrong: ERR_INVALID; the caller
 * holds a session, and the check goes through the hashing queue like a login), then the
 * rules; a new password must differ from the old one; must_change = 0.
 * Ends every other session of the user (keep_session: the session hash to keep, or NULL). */
int access_password_change(struct store *s, const char *name, const char *old_pw,
                           const char *new_pw, const char *keep_session, struct error *e);
/* Prints the users: name, home, state (active/disabled/locked), must_change, grants. */
int access_user_list(struct store *s, FILE *f, struct error *e);
/* Loads user `name` (enabled or not: *disabled). ERR_NOTFOUND if none. */
int access_user_load(struct store *s, const char *name, struct access_user *u, int *disabled,
                     struct error *e);

/* ================================================================ login and sessions */

enum access_outcome {
    ACCESS_OK = 0,
    ACCESS_BAD,      /* unknown user or wrong password (one answer for both) */
    ACCESS_LOCKED,   /* account or address locked */
    ACCESS_DISABLED, /* the account is disabled */
    ACCESS_BUSY      /* the hashing queue is full: try again (503) */
};

/* A new session: the secrets (hex, shown once to the client) and what is stored. */
struct access_session {
    char id[65];    /* the cookie value */
    char csrf[65];  /* the CSRF token */
    char id_hash[65];
};

/* Checks a login from address addr: lockout first (no hash is computed for a locked account
 * or address), then the password (through the bounded hashing queue); counts failures per
 * account and per address; on success clears them and creates a session (a new ID, always).
 * Returns 0 with *outcome set (sess filled when ACCESS_OK), or an error from the store. */
int access_login(struct store *s, const char *name, const char *password, const char *addr,
                 enum access_outcome *outcome, struct access_session *sess, struct error *e);

/* Resolves a session cookie: 0 and u filled (caller releases it) if the session exists, is
 * within the idle and absolute timeouts and its user is enabled; ERR_NOTFOUND otherwise (an
 * expired session is deleted). Touches last_seen (at most once a minute). id_hash (65 bytes,
 * if non-NULL) gets the session's hash. */
int access_session_get(struct store *s, const char *cookie, int64_t idle, int64_t absolute,
                       struct access_user *u, char *id_hash, struct error *e);
/* 0 if token is the CSRF token of the session whose hash is id_hash, ERR_INVALID otherwise. */
int access_session_csrf(struct store *s, const char *id_hash, const char *token,
                        struct error *e);
/* Ends one session (id_hash), or every session of its user (all). */
int access_session_end(struct store *s, const char *id_hash, int all, struct error *e);

/* ================================================================ the security log */

/* Records a refused attempt (kind e.g. "login_failed", "forbidden", "csrf", "origin") from
 * addr by user (may be ""), rate-limited as above. Never fails the caller's request: errors
 * are returned but may be ignored. */
int access_security_log(struct store *s, const char *kind, const char *addr, const char *user,
                        const char *detail, struct error *e);
/* Prints the security log (newest last). */
int access_security_print(struct store *s, FILE *f, struct error *e);

/* ================================================================ what requests touch */

/* The rounds (sample names) of the store, each with its number of releases. Caller owns
 * *names (each string and the array: access_names_free) and *released. */
int access_rounds(struct store *s, char ***names, int **released, size_t *n,
                  struct error *e);
void access_names_free(char **names, size_t n);
/* 0 if round (a sample name) exists, else ERR_NOTFOUND. */
int access_round_exists(struct store *s, const char *round, struct error *e);
/* The number of releases of a round (0: not released). */
int access_round_released(struct store *s, const char *round, int *nreleases,
                          struct error *e);
/* Where problem `id` belongs: its round (sample name), county and state name. ERR_NOTFOUND. */
int access_problem_target(struct store *s, int64_t id, char *round, size_t round_size,
                          int *county, char *state, size_t state_size, struct error *e);

/* The county (6 digits) of a unit of round `round`'s sample (a county, village or household
 * code as sample_units has it). ERR_NOTFOUND if the unit is not in the sample. */
int access_unit_county(struct store *s, const char *round, const char *unit, int *county,
                       struct error *e);

/* Where evidence blob `sha` (64 hex digits) belongs, for authorisation: the round and county
 * of the first questionnaire, problem or sampled unit it is linked to (round "" and county 0
 * if it is linked to none of them), its name as uploaded and its size. ERR_NOTFOUND. */
int access_evidence_target(struct store *s, const char *sha, char *round, size_t round_size,
                           int *county, char *name, size_t name_size, int64_t *size,
                           struct error *e);

/* One unit of a round's sample as an assignment. */
struct access_assignment {
    char stage[20];  /* county, village, household, ... */
    char unit[32];
    int county;
    int64_t village;
    int reserve;     /* on the reserve list */
    int activated;   /* a reserve activated by a non-response (replacements) */
};
/* Every unit of the round's sample, in draw order. Caller owns *out (mem_free). */
int access_assignments(struct store *s, const char *round, struct access_assignment **out,
                       size_t *n, struct error *e);
/* The sample's rows of one unit (none if it was not drawn; two for a paired household also
 * drawn as a household), as access_assignments gives them. Caller owns *out (mem_free). */
int access_assignments_of(struct store *s, const char *round, const char *unit,
                          struct access_assignment **out, size_t *n, struct error *e);

/* Idempotency keys (questionnaire submissions): claims (user, key) before the work. 0 when
 * claimed (do the work, then access_idem_done or access_idem_release); ERR_EXISTS when the key
 * was used: *status and *response (caller frees with mem_free; "" while the first attempt is
 * still running, then *status is 0) give the first answer to send again. */
int access_idem_claim(struct store *s, const char *user, const char *key, int *status,
                      char **response, struct error *e);
int access_idem_done(struct store *s, const char *user, const char *key, int status,
                     const char *response, struct error *e);
int access_idem_release(struct store *s, const char *user, const char *key, struct error *e);
/* At server start: forgets keys claimed by a process that died before answering (kill -9 in
 * the middle of a submission). A retry then submits again; field_import replaces a unit's
 * questionnaire rather than adding one, so the unit still holds it exactly once. *n (if
 * non-NULL) gets how many were forgotten. */
int access_idem_clear_pending(struct store *s, int64_t *n, struct error *e);

/* ================================================================ releases */

/* The latest release of a round: its number (0 if none) and snapshot (caller frees with
 * mem_free; NULL if none). */
int access_release_latest(struct store *s, const char *round, int *number, char **snapshot,
                          struct error *e);

/* The snapshot a release freezes (release.c): JSON text with the round, the county figures
 * (estimate_sample, county level, as `pinggu indicators --json`; absent when the round cannot
 * be estimated yet, with the reason) and every problem confirmed or later, never dismissed
 * ones, with its county, state and rectification. Caller owns *out (mem_free). */
int access_release_snapshot(struct store *s, const char *round, char **out, struct error *e);
/* Creates release number N+1 of round `round`: a snapshot (JSON text, owned by the caller of
 * the snapshot maker; here borrowed) stored with its SHA-256, in the change log. *number gets
 * its number, sha (65 bytes, if non-NULL) the hash. Releases are never changed or removed. */
int access_release_store(struct store *s, const char *round, const char *snapshot,
                         int *number, char *sha, struct error *e);

/* ================================================================ field-app tokens (token.c) */
/*
 * ODK Collect and KoboCollect authenticate by a token in the URL (PUBLIC_URL/key/TOKEN/...):
 * 32 random bytes (libsodium) shown once as 64 hex digits; the store keeps only their
 * SHA-256, with the user, the round, the expiry and an id (the hash's first 12 hex digits) to
 * list and revoke by. Valid on the OpenRosa paths only (the server never reads one elsewhere).
 * Issue and revocation go through the change log with the acting user (never the secret).
 */
#define ACCESS_TOKEN_DAYS 30 /* default lifetime */

struct access_token {
    char token[65];   /* the secret (issue only; "" in lists) */
    char id[13];      /* the first 12 hex digits of its hash */
    char user[64], round[64];
    int64_t created, expires;
    int revoked;
};
/* Issues a token for user `name` (enabled; holding a grant in `round` or in every round) in
 * round `round` (a sample of the store), valid `days` days (0: ACCESS_TOKEN_DAYS). t is filled,
 * t->token with the secret. ERR_NOTFOUND for an unknown user or round, ERR_INVALID for a
 * disabled user, one without a grant in the round, or days out of 1..366. */
int access_token_issue(struct store *s, const char *name, const char *round, int days,
                       struct access_token *t, struct error *e);
/* Revokes the user's tokens (of `round` only, when non-empty; or the one whose id is `id`,
 * when non-NULL). *n gets how many were revoked (0 is not an error). */
int access_token_revoke(struct store *s, const char *name, const char *round, const char *id,
                        int64_t *n, struct error *e);
/* Prints the tokens (of user `name`, or all when NULL): id, user, round, created, expires,
 * state (active / expired / revoked). Never the secret, which is not stored. */
int access_token_list(struct store *s, const char *name, FILE *f, struct error *e);
/* Resolves a token from a /key/TOKEN/ path: 0 with u filled (caller releases it) and round
 * (64 bytes) set when the token is known, not revoked, not expired and its user enabled;
 * ERR_NOTFOUND otherwise (one answer for every reason: the caller logs it as refused). */
int access_token_check(struct store *s, const char *token, struct access_user *u, char *round,
                       struct error *e);
/* Replaces every 64-hex-digit run after "/key/" in text by "/key/[token]" (in place): what
 * every log line of an OpenRosa path goes through. */
void access_token_redact(char *text);

#endif
