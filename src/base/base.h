/*
 * base.h — the foundation every pipeline stage stands on (DESIGN.md §9, src/base/).
 *
 * Contents, each with its own section below:
 *   errors     struct error (code, message, file, line, column) and struct errlist, the
 *              bounded list an import fills ("at most 50 shown plus the total count");
 *   memory     mem_alloc and friends: the one allocation wrapper, with fault injection;
 *   strbuf     growable strings with a sticky out-of-memory flag (no sprintf/strcpy);
 *   arena      bump allocation for a batch, freed at once;
 *   ids        resident IDs (GB 11643-1999): normalise, validate, derive, pack;
 *   csv        streaming RFC 4180 reader with GB18030 detection, file/line/column tracking;
 *   hashing    SHA-256 hex (tickets, commitments), BLAKE2b row digests, Merkle accumulator;
 *   u64map     open-addressing table from 64-bit keys to 64-bit values;
 *   progress   a rows/s + ETA line on stderr when it is a terminal;
 *   mask       masking of names and resident IDs for people-facing output;
 *   datadir    where the shipped data is found; tmpdir, the one way to a private temp folder;
 *   keyfile    Ed25519 key files (checkpoints, report sign-off).
 *
 * Conventions (STYLE.md): functions return 0 or a negative ERR_* code and fill an optional
 * struct error; bad input is an error, never an assert. Every returned pointer's comment says
 * who owns it. Nothing here keeps hidden global state except the allocation fault hook, which
 * exists only for tests.
 */
#ifndef PINGGU_BASE_H
#define PINGGU_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(__GNUC__)
#define PG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PG_PRINTF(f, a)
#endif

/* ---------------------------------------------------------------- errors */

enum {
    ERR_OK = 0,
    ERR_NOMEM = -1,    /* allocation failed */
    ERR_IO = -2,       /* a file could not be read or written */
    ERR_PARSE = -3,    /* malformed input (CSV, JSON, expression) */
    ERR_INVALID = -4,  /* well-formed input that breaks a rule */
    ERR_NOTFOUND = -5, /* a named thing does not exist */
    ERR_EXISTS = -6,   /* a thing that must be new already exists */
    ERR_STORE = -7,    /* the store failed (SQL error, busy, corrupt) */
    ERR_VERIFY = -8,   /* a verification found a difference */
    ERR_USAGE = -9,    /* wrong command-line use */
    ERR_INTERNAL = -10 /* a broken invariant (a bug) */
};

/* One error with its position. file/line/column are optional (empty, 0, 0). */
struct error {
    int code;      /* ERR_* */
    char msg[512]; /* human-readable reason, UTF-8 */
    char file[256];
    long line;   /* 1-based, 0 when unknown */
    long column; /* 1-based CSV field number (or JSON/expression offset), 0 when unknown */
};

/* Fill e (if non-NULL) and return code. Never fails. */
int error_set(struct error *e, int code, const char *fmt, ...) PG_PRINTF(3, 4);
int error_at(struct error *e, int code, const char *file, long line, long column,
             const char *fmt, ...) PG_PRINTF(6, 7);
int error_vat(struct error *e, int code, const char *file, long line, long column,
              const char *fmt, va_list ap);
/* Prefix e's message with "prefix: " (keeps position). Returns e->code. */
int error_prefix(struct error *e, const char *fmt, ...) PG_PRINTF(2, 3);
/* Static English name of an ERR_* code ("out of memory", ...). */
const char *error_strerror(int code);
/* Writes "file:line:column: msg\n" (omitting unknown parts) to f. */
void error_print(FILE *f, const struct error *e);
/* Formats like error_print into buf (no newline); returns buf. */
const char *error_format(const struct error *e, char *buf, size_t size);

/* A bounded list of errors: keeps the first `keep`, counts all. */
struct errlist {
    struct error *items; /* owned */
    size_t n;            /* kept */
    size_t cap;
    size_t keep;  /* how many to keep (0 means 50) */
    size_t total; /* how many were added */
};
void errlist_init(struct errlist *l, size_t keep);
void errlist_release(struct errlist *l);
/* Adds one error; returns ERR_NOMEM only if even counting failed (never: counting is free). */
void errlist_add(struct errlist *l, const struct error *e);
void errlist_addf(struct errlist *l, int code, const char *file, long line, long column,
                  const char *fmt, ...) PG_PRINTF(6, 7);
/* Prints the kept errors and, if some were dropped, "... and N more (T errors in all)". */
void errlist_print(FILE *f, const struct errlist *l);

/* ---------------------------------------------------------------- memory */

/* The one allocation wrapper. Return NULL on failure (never abort); mem_free(NULL) is fine. */
void *mem_alloc(size_t n);
void *mem_calloc(size_t n, size_t size);
void *mem_realloc(void *p, size_t n);
void mem_free(void *p);
/* Caller owns the copy; NULL on failure or if s is NULL. */
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t n);
/* Tests only: make the n-th allocation from now fail (n >= 1), and every later one if
 * `sticky`; mem_fail_after(0, 0) turns injection off. Returns how many allocations happened
 * since the last call (to size a fault loop). */
long mem_fail_after(long n, int sticky);

/* ---------------------------------------------------------------- strbuf */

/* A growable NUL-terminated string. After any failed growth, `oom` is set and further adds
 * are ignored; check it once when done (sb_ok). buf is never NULL after sb_init. */
struct strbuf {
    char *buf; /* owned, NUL-terminated; points at a static "" until the first growth */
    size_t len;
    size_t cap; /* 0 while buf is the static empty string */
    int oom;    /* sticky: an addition failed */
};
#define STRBUF_INIT {(char *)"", 0, 0, 0}
void sb_init(struct strbuf *sb);
void sb_release(struct strbuf *sb);
void sb_reset(struct strbuf *sb); /* len = 0, keeps capacity, clears oom */
int sb_grow(struct strbuf *sb, size_t extra);
void sb_add(struct strbuf *sb, const void *p, size_t n);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addch(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...) PG_PRINTF(2, 3);
void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Appends s as a CSV field (quoted only when needed, RFC 4180). */
void sb_add_csv(struct strbuf *sb, const char *s, size_t n);
/* Appends s escaped for HTML text and attribute values. */
void sb_add_html(struct strbuf *sb, const char *s);
/* Appends an integer with thousands separators (1,234,567). */
void sb_add_thousands(struct strbuf *sb, long long v);
void sb_truncate(struct strbuf *sb, size_t len);
/* 0 if every addition succeeded, ERR_NOMEM otherwise. */
int sb_ok(const struct strbuf *sb);
/* Caller owns the returned string (NULL if oom); sb is reset to empty. */
char *sb_detach(struct strbuf *sb, size_t *len);

/* ---------------------------------------------------------------- arena */

/* Bump allocator: many small allocations, one release. Not thread-safe. */
struct arena {
    struct arena_block *head; /* owned chain, newest first */
    size_t block_size;        /* default 64 KiB */
    size_t used;              /* total bytes handed out (statistics) */
};
void arena_init(struct arena *a, size_t block_size);
void arena_release(struct arena *a);
/* Memory owned by the arena, aligned to 16; NULL on failure. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) PG_PRINTF(2, 3);

/* ---------------------------------------------------------------- ids */

/* A validated 18-character resident ID (GB 11643-1999) and what it encodes. */
struct rid {
    char s[19];   /* normalised: 17 digits + check character 0-9 or 'X', NUL-terminated */
    uint64_t key; /* ids_pack(s): the 17-digit body as an integer, never 0 */
    int region;   /* first 6 digits, e.g. 340123 */
    int birth;    /* YYYYMMDD */
    int sex;      /* 1 male (odd sequence), 2 female (even) — GB/T 2261.1 codes */
    int upgraded; /* 1 if the input was a 15-digit ID */
};

/* Outcome classes of ids_parse, so callers can count them per file. */
enum ids_problem {
    IDS_OK = 0,
    IDS_EMPTY,
    IDS_EXCEL_SCI,      /* 1.10101E+17: the cell was a number in scientific notation */
    IDS_EXCEL_ZEROS,    /* trailing 000 and a failing check: Excel kept 15 digits */
    IDS_LENGTH,         /* not 15 or 18 characters */
    IDS_CHARS,          /* a character that is not a digit (or X last) */
    IDS_PROVINCE,       /* first two digits are not a province code */
    IDS_DATE,           /* birth date not a real date */
    IDS_FUTURE,         /* birth date after the reference date */
    IDS_CHECK,          /* ISO 7064 MOD 11-2 check character wrong */
    IDS_PROBLEM_COUNT
};

/* Short English names of enum ids_problem ("check", "excel_sci", ...). Static. */
const char *ids_problem_name(enum ids_problem p);

/* Parses one resident ID: trims spaces, tabs and a leading apostrophe; maps full-width digits
 * and x/ｘ/Ｘ to ASCII; upgrades 15-digit IDs (inserting "19", computing the check); then
 * validates. `today` is the reference date YYYYMMDD for "not in the future" (0: no check).
 * Returns IDS_OK and fills *out, or a problem code and writes a reason into why (if non-NULL)
 * such as "check character is 3, expected X". */
enum ids_problem ids_parse(const char *in, size_t len, int today, struct rid *out, char *why,
                           size_t why_size);
/* ISO 7064 MOD 11-2 check character for 17 ASCII digits. */
char ids_check_char(const char *digits17);
/* 1 if code (two digits) is a province-level division code of GB/T 2260. */
int ids_province_valid(int code);
/* Pack the 17-digit body of a normalised ID into an integer (the check char is implied). */
uint64_t ids_pack(const char *s18);
/* Inverse of ids_pack: writes 18 characters + NUL into out. */
void ids_unpack(uint64_t key, char out[19]);
/* Real calendar date? (1 yes, 0 no); year 1800..9999. */
int date_valid(int yyyymmdd);
/* Today's date as YYYYMMDD: the PINGGU_TODAY environment variable (YYYY-MM-DD or YYYYMMDD)
 * when set — for reproducible tests — else the local clock. */
int date_today(void);
/* Age in whole years on date `on` of someone born on `birth` (both YYYYMMDD). */
int date_age(int birth, int on);

/* ---------------------------------------------------------------- csv */

/* Streaming CSV reader. Reads RFC 4180 (quotes, doubled quotes, CRLF or LF, embedded newlines
 * in quoted fields), skips a UTF-8 BOM, and detects GB18030/GBK files (the encoding Chinese
 * Excel writes) by UTF-8 validity of the first block, converting them to UTF-8 with iconv.
 * A row's fields stay valid until the next csv_next call. Memory is bounded by the longest
 * row, not by the file. */
struct csv;

enum csv_encoding { CSV_UTF8 = 0, CSV_GB18030 = 1 };

/* Opens path. On failure returns an ERR_* and fills e. Caller owns *out (csv_close). */
int csv_open(const char *path, struct csv **out, struct error *e);
/* Reads from an in-memory buffer (borrowed; must outlive the reader). `name` is used in
 * messages. For fuzzing and tests. */
int csv_open_mem(const char *name, const char *data, size_t len, struct csv **out,
                 struct error *e);
void csv_close(struct csv *c);
/* Reads the next row: 1 when a row is ready, 0 at end of file, negative ERR_* on error
 * (invalid UTF-8, an unterminated quote, a read error), with e filled with file and line. */
int csv_next(struct csv *c, struct error *e);
/* The current row. Fields are NUL-terminated UTF-8, owned by the reader. */
size_t csv_nfields(const struct csv *c);
const char *csv_field(const struct csv *c, size_t i); /* "" when i is out of range */
size_t csv_field_len(const struct csv *c, size_t i);
long csv_line(const struct csv *c); /* line where the current row starts, 1-based */
/* 1 if every field of the current row is empty or blank (Excel leaves ",,,," rows). */
int csv_row_blank(const struct csv *c);
const char *csv_name(const struct csv *c);
enum csv_encoding csv_encoding_of(const struct csv *c);
/* Bytes consumed from the underlying file so far, and its size (0 if unknown): progress. */
uint64_t csv_bytes_read(const struct csv *c);
uint64_t csv_bytes_total(const struct csv *c);

/* Column mapping for files with a known schema. Each canonical column may have aliases
 * (Chinese headers, common variants); matching ignores case, surrounding spaces and a BOM. */
struct csv_column {
    const char *name;    /* canonical (English) name, e.g. "resident_id" */
    const char *aliases; /* '|'-separated alternatives, e.g. "身份证号|身份证号码|证件号码" */
    int required;        /* 1: the header must have it */
};
/* Maps the current row (the header) onto cols: index[k] = field number of cols[k] or -1.
 * A missing required column, or a column named twice, is an error naming the file and
 * column. Unknown headers are listed in `ignored` (if non-NULL) as "a, b". */
int csv_map_header(const struct csv *c, const struct csv_column *cols, size_t ncols,
                   int *index, struct strbuf *ignored, struct error *e);

/* ---------------------------------------------------------------- hashing */

/* Lowercase hex SHA-256 of data; out gets 64 chars + NUL. */
void hash_sha256_hex(const void *data, size_t len, char out[65]);
void hash_sha256(const void *data, size_t len, unsigned char out[32]);
/* Hex encode n bytes into out (2n + 1 chars). */
void hash_hex(const unsigned char *in, size_t n, char *out);
/* Parse 64 hex chars into 32 bytes; 0 on success, -1 if malformed. */
int hash_unhex32(const char *hex, unsigned char out[32]);
/* Streaming SHA-256 (for files and frames too large to hold). */
struct sha256 {
    _Alignas(16) unsigned char state[128]; /* libsodium's crypto_hash_sha256_state */
};
void sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *data, size_t len);
void sha256_final_hex(struct sha256 *h, char out[65]);
/* Keyless BLAKE2b-256 (libsodium generichash): row digests. */
void hash_blake2b(const void *data, size_t len, unsigned char out[32]);

/* Streaming Merkle root over leaves in order (a binary counter of subtree roots, O(log n)
 * memory). Leaf = BLAKE2b(0x00 || leaf digest), node = BLAKE2b(0x01 || left || right); an
 * odd subtree is promoted unchanged. The root of zero leaves is 32 zero bytes. */
struct merkle {
    unsigned char level[64][32]; /* pending subtree root per level */
    uint64_t count;              /* leaves added; bit i set <=> level[i] is pending */
};
void merkle_init(struct merkle *m);
void merkle_add(struct merkle *m, const unsigned char leaf[32]);
void merkle_root(const struct merkle *m, unsigned char out[32]);

/* The digest of a batch of rows: the rows' canonical encodings (struct rowhash) in order,
 * each prefixed with its 4-byte little-endian length, cut into chunks of ROWSTREAM_CHUNK
 * rows; leaf = BLAKE2b-256 of a chunk's bytes; digest = the Merkle root of the leaves.
 * Hashing whole chunks instead of single rows costs one streaming hash per row instead of
 * one hash initialisation and finalisation; any changed row still changes its chunk. */
#define ROWSTREAM_CHUNK 1024
struct rowstream {
    _Alignas(64) unsigned char state[384]; /* libsodium's crypto_generichash_state */
    uint32_t in_chunk;                      /* rows in the open chunk */
    uint64_t rows;
    struct merkle mk;
};
void rowstream_init(struct rowstream *s);
void rowstream_add(struct rowstream *s, const void *enc, size_t len);
/* Closes the open chunk and writes the root; the stream must not be added to afterwards. */
void rowstream_root(struct rowstream *s, unsigned char out[32]);

/* Canonical row encoding for digests: typed, length-prefixed values in column order, so that
 * the importer (hashing what it binds) and the verifier (hashing what it reads back) agree. */
struct rowhash {
    struct strbuf buf;
};
void rowhash_init(struct rowhash *r);
void rowhash_release(struct rowhash *r);
void rowhash_reset(struct rowhash *r);
void rowhash_null(struct rowhash *r);
void rowhash_int(struct rowhash *r, int64_t v);
void rowhash_double(struct rowhash *r, double v);
void rowhash_text(struct rowhash *r, const char *s, size_t n);
/* Digest of the values added since the last reset; returns ERR_NOMEM if the buffer failed. */
int rowhash_digest(struct rowhash *r, unsigned char out[32]);
/* The encoding itself (borrowed until the next change), or NULL if the buffer failed. */
const unsigned char *rowhash_bytes(const struct rowhash *r, size_t *len);

/* ---------------------------------------------------------------- u64map */

/* Open addressing (linear probing) from nonzero 64-bit keys to 64-bit values. Key 0 is
 * reserved as "empty". Grows at 50% load. */
struct u64map {
    uint64_t *keys; /* owned */
    uint64_t *vals; /* owned */
    size_t cap;     /* power of two, or 0 */
    size_t n;
};
void u64map_init(struct u64map *m);
void u64map_release(struct u64map *m);
/* Pre-size for n keys; ERR_NOMEM on failure. */
int u64map_reserve(struct u64map *m, size_t n);
/* Inserts key -> val. Returns 1 if inserted, 0 if key was present (then *old, if non-NULL,
 * gets its value and nothing changes), ERR_NOMEM on failure. key must be nonzero. */
int u64map_put(struct u64map *m, uint64_t key, uint64_t val, uint64_t *old);
/* Returns a pointer to key's value (borrowed; invalid after the next put) or NULL. */
uint64_t *u64map_get(const struct u64map *m, uint64_t key);
/* Hash of an arbitrary string into a nonzero 64-bit key (for string-keyed maps). */
uint64_t u64_hash_str(const char *s, size_t n);

/* ---------------------------------------------------------------- extsort */

/* External sort of (key, a, b) records in bounded memory: sorted runs spill to an unlinked
 * temporary file and are merged on the way out. Output is in key order, equal keys in the
 * order they were added. Used where a structure of the whole input (every resident ID of a
 * national registry) would not fit: duplicates are adjacent in the output. */
struct xrec {
    uint64_t key;
    uint32_t a, b;
};
struct extsort;
/* mem_bytes bounds the in-memory part (buffer and sort scratch). Caller owns *out. */
int extsort_new(size_t mem_bytes, struct extsort **out, struct error *e);
/* 0, ERR_NOMEM or ERR_IO (temporary file). */
int extsort_add(struct extsort *x, uint64_t key, uint32_t a, uint32_t b);
/* No more adds: sorts the rest; then read with extsort_next. */
int extsort_finish(struct extsort *x, struct error *e);
/* The next record: 1, 0 at the end, or a negative error. */
int extsort_next(struct extsort *x, struct xrec *out);
void extsort_free(struct extsort *x);

/* ---------------------------------------------------------------- progress */

/* A progress line on stderr, redrawn at most ~4 times a second, only when stderr is a
 * terminal (or PINGGU_PROGRESS=1). */
struct progress {
    const char *what; /* borrowed label */
    uint64_t total;   /* total units (bytes) for the ETA, 0 if unknown */
    double start, last;
    int enabled;
    int drawn;
};
void progress_init(struct progress *p, const char *what, uint64_t total);
/* done: units so far (for the ETA); rows: rows so far (for rows/s). */
void progress_update(struct progress *p, uint64_t done, uint64_t rows);
void progress_finish(struct progress *p, uint64_t rows);
/* Monotonic seconds. */
double clock_seconds(void);

/* ---------------------------------------------------------------- mask */

/* Masks a resident ID for display: "340123********123X" (first 6, last 4). Writes into out
 * (at least 19 bytes); short or malformed input is masked entirely with '*'. */
void mask_id(const char *id, char *out, size_t size);
/* Masks a name: keeps the first UTF-8 character, replaces each other character by '*'
 * ("张三丰" -> "张**"). Appends to sb. */
void mask_name(struct strbuf *sb, const char *name);

/* ---------------------------------------------------------------- jsonpath */

/* Errors in a JSON document (plan file, comparison rules) named by the path of the member at
 * fault: "FILE: households.quotas[2].fallback[0]: unknown category". jsonpath.c. */
struct json_t; /* jansson's */
struct jpath {
    const char *name;     /* the file, for messages */
    struct errlist *errs; /* where errors go (NULL: only counted) */
    struct strbuf path;   /* the current path (owned: sb_release) */
    int nerr;             /* errors reported */
};
/* Push a key or an index onto the path; each returns the length to pop back to. */
size_t jpath_key(struct jpath *j, const char *key);
size_t jpath_idx(struct jpath *j, size_t i);
void jpath_pop(struct jpath *j, size_t at);
/* Reports an error at the current path. */
void jpath_error(struct jpath *j, const char *fmt, ...) PG_PRINTF(2, 3);
void jpath_verror(struct jpath *j, const char *fmt, va_list ap);
/* Reports every member of obj whose name is not one of `keys` ('|'-separated); with
 * `comments`, names beginning with '_' are comments and allowed. */
void jpath_known_keys(struct jpath *j, struct json_t *obj, const char *keys, int comments);

/* ---------------------------------------------------------------- random numbers */

/* splitmix64 for simulations (synthetic data, simulated fieldwork, power): tiny, fast, good
 * enough, one state per stream. Never for the sample draw, which uses SHA-256 tickets
 * (plan.h). Inline: the synthetic province draws hundreds of millions of these. */
struct rng {
    uint64_t s;
};

static inline uint64_t rng_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Stream `stream` (e.g. a letter) of unit `index` under `key` (a seed plus the generator's own
 * salt): independent of every other stream and unit. */
static inline void rng_stream(struct rng *r, uint64_t key, uint64_t stream, uint64_t index)
{
    r->s = rng_mix64(rng_mix64(rng_mix64(key) ^ (stream * 0x9e3779b97f4a7c15ULL)) ^
                     (index + 1) * 0xd1b54a32d192ed03ULL);
}

static inline uint64_t rng_next(struct rng *r)
{
    r->s += 0x9e3779b97f4a7c15ULL;
    return rng_mix64(r->s);
}

/* Uniform in [0, 1). */
static inline double rng_u(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [lo, hi] (hi >= lo). */
static inline int rng_int(struct rng *r, int lo, int hi)
{
    uint64_t span = (uint64_t)(hi - lo) + 1;
    return lo + (int)(((rng_next(r) >> 32) * span) >> 32);
}

static inline int rng_bern(struct rng *r, double p)
{
    return rng_u(r) < p;
}

/* ---------------------------------------------------------------- small helpers */

/* Writes len bytes of data to path whole or not at all: a temporary file beside it, flushed
 * and closed, then renamed over path. 0, or ERR_IO with the path and reason in e (the
 * temporary file is removed). */
int file_write_atomic(const char *path, const void *data, size_t len, struct error *e);
/* Now as ISO 8601 UTC ("2026-12-02T01:30:00Z") into out (32 bytes); PINGGU_NOW in that
 * form stands in for the clock (tests), as PINGGU_TODAY does for the day. */
void clock_iso_utc(char out[32]);
/* Reads the whole file at path (at most max bytes) into *out, NUL-terminated; *len excludes
 * the NUL. Caller owns *out (mem_free). ERR_IO (unreadable), ERR_INVALID (larger than max). */
int file_read_all(const char *path, size_t max, char **out, size_t *len, struct error *e);

/* Parse a whole decimal integer / number; leading and trailing spaces allowed. 0 or -1. */
int parse_int64(const char *s, int64_t *out);
int parse_double(const char *s, double *out);
/* Parses 是/否, 1/0, y/n, yes/no, true/false, t/f (any case) into 1/0; -1 if none. */
int parse_bool(const char *s);
/* Parses a date as YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD into YYYYMMDD; -1 if invalid. */
int parse_date(const char *s, int *yyyymmdd);
/* Case-insensitive ASCII comparison of s (len n) with the NUL-terminated t; 1 if equal. */
int str_ieq(const char *s, size_t n, const char *t);
/* 1 if s (len n) equals one of the '|'-separated alternatives (case-insensitive ASCII). */
int str_in_list(const char *s, size_t n, const char *alternatives);
/* Number of UTF-8 characters (code points) in s. */
size_t utf8_len(const char *s);
/* Cuts an incomplete UTF-8 sequence off the end of s (left by a byte-bounded snprintf). */
void utf8_trim(char *s);
/* 1 if [s, s+n) is valid UTF-8. */
int utf8_valid(const char *s, size_t n);

/* ---------------------------------------------------------------- shipped data (datadir.c) */

/* Finds a shipped data file ("plans/x.json", "forms/", "calendars/cn.csv") from wherever pinggu
 * runs: the name as given, then $PINGGU_DATA, the binary's folder (a build tree) and its
 * ../share/pinggu (an installed tree), then the compiled-in data directory. out gets the path
 * to use: 0 found, 1 not found (out holds the name unchanged, so the caller's open error names
 * it), -1 out of memory. */
int data_find(const char *name, struct strbuf *out);

/* ---------------------------------------------------------------- temporary folders (tmpdir.c) */

/* Makes a new private folder $TMPDIR/PREFIX-XXXXXX (else under /tmp) with mkdtemp and writes
 * its path into out (the caller's buffer, which the caller removes with the folder): 0, or -1
 * with errno set and out empty (too long a path, or mkdtemp failed). */
int tmpdir_make(char *out, size_t size, const char *prefix);
/* Removes such a folder with the files in it (one level: the folders made here hold files
 * only); "" does nothing. */
void tmpdir_remove(const char *dir);

/* ---------------------------------------------------------------- key files (keyfile.c) */

/* Reads an Ed25519 key file (one line: the seed in 64 hex digits) into the caller's pk/sk.
 * what names the key in messages ("checkpoint key", "signer key"). 0; ERR_NOTFOUND if the
 * file does not exist; ERR_IO if it cannot be read; ERR_INVALID (path:1) if it is not a key. */
int keyfile_read(const char *path, const char *what, unsigned char pk[32],
                 unsigned char sk[64], struct error *e);
/* Creates a new key file at path, mode 0600, from a random seed, and fills pk/sk. If another
 * process created it first, reads that one. The folder must exist. 0 or ERR_IO (nothing left). */
int keyfile_create(const char *path, const char *what, unsigned char pk[32],
                   unsigned char sk[64], struct error *e);

#endif
