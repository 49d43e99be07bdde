/*
 * import.c — registry import (registry.h): the seven files of a folder into the store, all
 * or nothing.
 *
 * Shape. Files are read in dependency order (counties → townships → villages → households →
 * members → projects → evaluators), each streamed row by row: the generic part parses every
 * column by its col_spec (type, bounds, code list), the per-file part checks references and
 * consistency against in-memory indexes of what came before (codes, household ids, packed
 * resident IDs), and the row is bound and inserted while its canonical digest feeds the
 * table's change-log batch. After the first error, rows are still validated (to report every
 * error) but no longer written; at the end the bulk transaction commits only if there was no
 * error.
 *
 * Errors (issue 9 items 6, 7). Every error goes to the optional full list (--errors FILE);
 * the printed list keeps the first KIND_SHOWN errors of each kind (one message template of
 * one file) and then one line "… and N more of this kind (template)". A file-level error
 * (missing, empty, a header without a required column, a broken encoding or quote that stops
 * the reading) marks the file failed, and the checks of later files that look things up in
 * it are skipped: a members.csv without a relation column does not also make 34,000
 * households "without members". Likewise a row with a bad value still registers its code or
 * id when that parsed, and a household whose member row has an unreadable relation is not
 * also "without a head".
 *
 * Memory is bounded by the indexes: ~16 bytes per resident ID and ~40 per household, never
 * by a file (600 MB for a 10-million-member province at most, typically far less).
 *
 * Invariant: a row's bound values and its digest come from the same struct rowval array.
 */
#include "registry.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXCOLS 40
#define KIND_SHOWN 20 /* errors printed per kind; the rest are counted (and in --errors) */
#define MAXKINDS 256

/* What import remembers of a household (24 bytes: a province of 3 million households
 * needs 72 MB): its store row, its line, its members and heads. */
struct hh {
    int64_t row_no;   /* store row */
    uint32_t id;      /* offset of its id in ictx.ids */
    uint32_t line;    /* line in households.csv */
    uint32_t members;
    uint8_t heads;
    uint8_t tainted;  /* a member row's relation was unreadable: no "no head" on top */
};

/* One kind of error: a message template of a file, and how many there were. */
struct kind {
    const char *file, *fmt;
    size_t n;
};

struct ictx {
    struct store *s;
    const struct import_opts *o;
    struct import_stats *st;
    struct errlist *errs;
    int today;
    struct u64map counties;  /* county code -> city code */
    struct u64map cities;    /* city code -> 1 */
    struct u64map townships; /* code -> 1 */
    struct u64map villages;  /* code -> groups */
    struct u64map hhmap;     /* u64_hash_str(id) (salted on collision) -> index into hh */
    struct hh *hh;
    size_t nhh, caphh;
    struct strbuf ids;       /* household ids, NUL-separated (offsets stay valid on growth) */
    struct extsort *residents; /* (packed id, line, household index): duplicates sort together */
    int64_t last_hh;         /* household of the previous member row, or -1: members.csv lists
                              * a household's members together, so most look-ups end here */
    size_t last_len;         /* its id's length */
    int64_t last_village, last_hh_row; /* the last keys of two kept indexes (in_order) */
    int id_unsorted, village_unsorted, members_unsorted; /* in_order asked for the drop */
    struct u64map projects;  /* hash(project id) -> line */
    struct u64map evaluators;
    struct arena arena;
    const char *file; /* current file name */
    long members_id_field; /* field number of resident_id in members.csv */
    int failed[8];    /* registry_files[f] had a file-level error: skip lookups into it */
    struct kind kinds[MAXKINDS];
    size_t nkinds;
};

enum { F_COUNTIES, F_TOWNSHIPS, F_VILLAGES, F_HOUSEHOLDS, F_MEMBERS, F_PROJECTS, F_EVALUATORS };

static const char *hh_id(const struct ictx *c, size_t k)
{
    return c->ids.buf + c->hh[k].id;
}

/* Records one error: into the full list if there is one, and into the printed list unless
 * its kind (fmt within the current file; NULL: a kind of its own) already has KIND_SHOWN
 * there, in which case it is only counted. */
static void report(struct ictx *c, const char *fmt, const struct error *e)
{
    if (c->o->errors_out) error_print(c->o->errors_out, e);
    if (fmt) {
        struct kind *k = NULL;
        for (size_t i = 0; i < c->nkinds && !k; i++)
            if (c->kinds[i].fmt == fmt && !strcmp(c->kinds[i].file, c->file)) k = &c->kinds[i];
        if (!k && c->nkinds < MAXKINDS) {
            k = &c->kinds[c->nkinds++];
            k->file = c->file, k->fmt = fmt, k->n = 0;
        }
        if (k && ++k->n > KIND_SHOWN) {
            c->errs->total++; /* counted, not kept */
            return;
        }
    }
    errlist_add(c->errs, e);
}

static void err(struct ictx *c, long line, long col, const char *fmt, ...) PG_PRINTF(4, 5);
static void err(struct ictx *c, long line, long col, const char *fmt, ...)
{
    struct error e;
    va_list ap;
    va_start(ap, fmt);
    error_vat(&e, ERR_INVALID, c->file, line, col, fmt, ap);
    va_end(ap);
    report(c, fmt, &e);
}

/* A file-level error of registry_files[fi]: always shown; later lookups into it skipped. */
static void file_failed(struct ictx *c, size_t fi, struct error *ce)
{
    snprintf(ce->file, sizeof ce->file, "%s", registry_files[fi].file);
    c->failed[fi] = 1;
    report(c, NULL, ce);
}

/* After a file (and after the cross-file checks): "… and N more of this kind (template)" for
 * each kind of `file` that had more than KIND_SHOWN. The line is a summary, not an error: it
 * is kept but not counted. */
static void flush_kinds(struct ictx *c, const char *file)
{
    for (size_t i = 0; i < c->nkinds; i++) {
        struct kind *k = &c->kinds[i];
        struct strbuf t = STRBUF_INIT, more = STRBUF_INIT;
        struct error e;
        if (strcmp(k->file, file) || k->n <= KIND_SHOWN) continue;
        /* the template with each conversion shown as "…" */
        for (const char *f = k->fmt; *f; f++) {
            if (*f != '%') {
                sb_addch(&t, *f);
                continue;
            }
            if (f[1] == '%') {
                sb_addch(&t, '%');
                f++;
                continue;
            }
            f++;
            while (*f && strchr("-+ #0123456789.*lzhjt", *f)) f++;
            sb_adds(&t, "…");
            if (!*f) break;
        }
        sb_add_thousands(&more, (long long)(k->n - KIND_SHOWN));
        error_at(&e, ERR_INVALID, file, 0, 0, "… and %s more of this kind (%s)",
                 more.buf, t.buf);
        sb_release(&t);
        sb_release(&more);
        errlist_add(c->errs, &e);
        c->errs->total--; /* a summary line, not one more error */
        k->n = KIND_SHOWN;  /* flushed once */
    }
}

static int writing(const struct ictx *c)
{
    return c->errs->total == 0;
}

/* ------------------------------------------------------------------ generic columns */

/* Parses field text of column spec k into *v. Empty -> NULL (an error if required).
 * Returns 0, or -1 after reporting. */
static int parse_col(struct ictx *c, const struct col_spec *cs, const char *txt, size_t n,
                     long line, long col, struct rowval *v)
{
    int64_t i;
    double d;
    const char *t = txt;
    size_t m = n;
    *v = rv_null(); /* never a previous row's value, even after an error */
    while (m && (*t == ' ' || *t == '\t')) t++, m--;
    while (m && (t[m - 1] == ' ' || t[m - 1] == '\t')) m--;
    if (m == 0) {
        *v = rv_null();
        if (cs->required) {
            err(c, line, col, "%s: a value is required", cs->name);
            return -1;
        }
        return 0;
    }
    switch (cs->type) {
    case COL_TEXT:
        if (!utf8_valid(t, m)) {
            err(c, line, col, "%s: not valid text", cs->name);
            return -1;
        }
        if (cs->max > 0 && (double)m > cs->max) { /* bytes >= characters: count only then */
            size_t chars = 0;
            for (size_t b = 0; b < m; b++) chars += ((unsigned char)t[b] & 0xC0) != 0x80;
            if ((double)chars > cs->max) {
                err(c, line, col, "%s: %zu characters, more than the %.0f allowed", cs->name,
                    chars, cs->max);
                return -1;
            }
        }
        *v = rv_text(t, m);
        return 0;
    case COL_INT:
    case COL_YEAR: {
        /* up to 18 plain digits (nearly every value): read here, as strtoll would; anything
         * else (a sign, Excel's 340123.0) goes through parse_int64 */
        size_t d18 = 0;
        i = 0;
        while (d18 < m && d18 < 18 && t[d18] >= '0' && t[d18] <= '9')
            i = i * 10 + (t[d18++] - '0');
        if (d18 == m) goto have_int;
        if (parse_int64(txt, &i)) {
            /* Excel writes whole numbers as 340123.0 or 3.40123E+5 at times */
            if (parse_double(txt, &d) == 0 && d == (double)(int64_t)d && d > -9e15 && d < 9e15)
                i = (int64_t)d;
            else {
                err(c, line, col, "%s: '%.*s' is not a whole number", cs->name, (int)m, t);
                return -1;
            }
        }
    have_int:
        if (cs->type == COL_YEAR && (i < 1949 || i > 2100)) {
            err(c, line, col, "%s: %lld is not a plausible year", cs->name, (long long)i);
            return -1;
        }
        if (cs->min != cs->max && ((double)i < cs->min || (double)i > cs->max)) {
            err(c, line, col, "%s: %lld is outside %.0f..%.0f", cs->name, (long long)i, cs->min,
                cs->max);
            return -1;
        }
        *v = rv_int(i);
        return 0;
    }
    case COL_REAL:
        if (parse_double(txt, &d)) {
            err(c, line, col, "%s: '%.*s' is not a number", cs->name, (int)m, t);
            return -1;
        }
        if (cs->min != cs->max && (d < cs->min || d > cs->max)) {
            err(c, line, col, "%s: %g is outside %g..%g", cs->name, d, cs->min, cs->max);
            return -1;
        }
        *v = rv_double(d);
        return 0;
    case COL_BOOL: {
        /* "0"/"1" (every exported file) without parse_bool's list search: same answer */
        int b = m == 1 && (*t == '0' || *t == '1') ? *t - '0' : parse_bool(txt);
        if (b < 0) {
            err(c, line, col, "%s: '%.*s' is not 0/1 (是/否)", cs->name, (int)m, t);
            return -1;
        }
        *v = rv_int(b);
        return 0;
    }
    case COL_CODE: {
        const char *code = code_parse(cs->codes, t, m);
        if (!code) {
            err(c, line, col, "%s: unknown value '%.*s' (expected one of: %s)", cs->name,
                (int)(m > 40 ? 40 : m), t, code_list(cs->codes));
            return -1;
        }
        *v = rv_text(code, strlen(code));
        return 0;
    }
    case COL_RID:
    case COL_DATE: /* handled by the members code */
        *v = rv_text(t, m);
        return 0;
    }
    return 0;
}

/* The insert statement for a file: row_no, stored columns, then `extra` derived columns;
 * *nvals gets the number of values before log_id. */
static int insert_sql(const struct file_spec *fs, const char *extra, int nextra,
                      struct strbuf *sql_out, size_t *nvals)
{
    struct strbuf sql = STRBUF_INIT;
    int n = 1;
    sb_addf(&sql, "INSERT INTO %s (row_no", fs->table);
    for (size_t k = 0; k < fs->ncols; k++) {
        const char *db = fs->cols[k].db ? fs->cols[k].db : fs->cols[k].name;
        if (!*db) continue;
        sb_addf(&sql, ", %s", db);
        n++;
    }
    if (extra) sb_addf(&sql, ", %s", extra);
    n += nextra;
    sb_adds(&sql, ", log_id) VALUES (?");
    for (int i = 1; i <= n; i++) sb_adds(&sql, ", ?");
    sb_adds(&sql, ")");
    *nvals = (size_t)n;
    *sql_out = sql;
    return sb_ok(&sql);
}

/* Per-file state of one streaming pass. */
struct pass {
    const struct file_spec *fs;
    struct csv *csv;
    int idx[MAXCOLS];      /* field number of each col_spec, -1 if absent */
    struct rowval val[MAXCOLS + 4]; /* row_no, stored columns, derived columns */
    int pos[MAXCOLS];      /* index in val of each col_spec (-1: not stored) */
    size_t nval;           /* row_no + stored columns */
    struct loader *loader; /* the writer thread, while the file is being written */
    int64_t next_row;       /* row_no of the next row */
    struct audit_batch batch;
    int batch_open;
    int64_t rows;
    struct progress prog;
    const char *cname[MAXCOLS]; /* colv's memo: the call sites' name literals ... */
    int ccol[MAXCOLS];          /* ... and their col_spec index */
    int ncache;
};

/* Generic parse of the current row; returns the number of column errors. */
static int parse_row(struct ictx *c, struct pass *p)
{
    int bad = 0;
    long line = csv_line(p->csv);
    for (size_t k = 0; k < p->fs->ncols; k++) {
        struct rowval tmp, *v = p->pos[k] >= 0 ? &p->val[p->pos[k]] : &tmp;
        if (p->idx[k] < 0) {
            *v = rv_null();
            continue;
        }
        if (parse_col(c, &p->fs->cols[k], csv_field(p->csv, (size_t)p->idx[k]),
                      csv_field_len(p->csv, (size_t)p->idx[k]), line, p->idx[k] + 1, v))
            bad++;
    }
    return bad;
}

/* Value and field number of column `name` in the current row. */
static const struct rowval *colv(struct pass *p, const char *name, long *fieldno)
{
    int k = -1;
    /* names are literals: a pointer compare finds them after the first row (this lookup
     * was ~3% of an import as strcmp over the columns, several times a row) */
    for (int i = 0; i < p->ncache; i++)
        if (p->cname[i] == name) {
            k = p->ccol[i];
            break;
        }
    if (k < 0) {
        for (size_t j = 0; j < p->fs->ncols && k < 0; j++)
            if (!strcmp(p->fs->cols[j].name, name)) k = (int)j;
        if (k < 0) return NULL;
        if (p->ncache < MAXCOLS) {
            p->cname[p->ncache] = name;
            p->ccol[p->ncache++] = k;
        }
    }
    if (fieldno) *fieldno = p->idx[k] + 1;
    return p->pos[k] >= 0 ? &p->val[p->pos[k]] : NULL;
}

static int64_t ival(struct pass *p, const char *name)
{
    const struct rowval *v = colv(p, name, NULL);
    return v && v->type == STORE_INT ? v->i : 0;
}

static long fno(struct pass *p, const char *name)
{
    long f = 0;
    colv(p, name, &f);
    return f;
}

/* Hands the current row (val[0..nval+nextra)) to the writer thread, which inserts it and
 * adds it to the batch. A writer failure surfaces at loader_finish. */
static int write_row(struct ictx *c, struct pass *p, int nextra, struct error *e)
{
    (void)nextra;
    if (!writing(c) || !p->loader) return 0;
    p->val[0] = rv_int(p->next_row++);
    if (loader_row(p->loader, p->val) == ERR_NOMEM)
        return error_set(e, ERR_NOMEM, "out of memory");
    return 0;
}

typedef int (*row_fn)(struct ictx *c, struct pass *p, int bad, struct error *e);
static int check_duplicates(struct ictx *c, struct error *e);

static int file_path(struct strbuf *sb, const char *dir, const char *file)
{
    sb_reset(sb);
    sb_addf(sb, "%s/%s", dir, file);
    return sb_ok(sb);
}

/* One file: header, rows through fn, batch entry. Returns 0 (errors go to c->errs) or a
 * fatal error (I/O, store). */
static int run_file(struct ictx *c, const char *dir, size_t fi, row_fn fn, const char *extra,
                    int nextra, struct error *e)
{
    struct pass p;
    struct strbuf path = STRBUF_INIT, ignored = STRBUF_INIT;
    struct error ce;
    size_t header_nf = 0;
    int rc = 0;
    memset(&p, 0, sizeof p);
    p.fs = &registry_files[fi];
    c->file = p.fs->file;
    if (file_path(&path, dir, p.fs->file)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = csv_open(path.buf, &p.csv, &ce);
    if (rc) {
        file_failed(c, fi, &ce);
        rc = 0;
        goto out;
    }
    c->st->gb18030[fi] = csv_encoding_of(p.csv) == CSV_GB18030;
    rc = csv_next(p.csv, &ce);
    if (rc <= 0) {
        if (rc == 0) error_at(&ce, ERR_INVALID, p.fs->file, 1, 0, "the file is empty");
        file_failed(c, fi, &ce);
        rc = 0;
        goto out;
    }
    header_nf = csv_nfields(p.csv);
    {
        struct csv_column cols[MAXCOLS];
        for (size_t k = 0; k < p.fs->ncols; k++) {
            cols[k].name = p.fs->cols[k].name;
            cols[k].aliases = arena_printf(&c->arena, "%s|%s", p.fs->cols[k].zh,
                                           p.fs->cols[k].aliases);
            if (!cols[k].aliases) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                goto out;
            }
            cols[k].required = p.fs->cols[k].required;
        }
        if (csv_map_header(p.csv, cols, p.fs->ncols, p.idx, &ignored, &ce)) {
            file_failed(c, fi, &ce); /* a header error is bad input, not a failure */
            rc = 0;
            goto out;
        }
        if (ignored.len) {
            size_t len = strlen(c->st->ignored_cols);
            snprintf(c->st->ignored_cols + len, sizeof c->st->ignored_cols - len, "%s%s: %s",
                     len ? "; " : "", p.fs->file, ignored.buf);
        }
    }
    p.nval = 1;
    for (size_t k = 0; k < p.fs->ncols; k++) {
        const char *db = p.fs->cols[k].db ? p.fs->cols[k].db : p.fs->cols[k].name;
        p.pos[k] = *db ? (int)p.nval++ : -1;
    }
    if (writing(c)) {
        struct strbuf sql = STRBUF_INIT;
        size_t nvals = 0;
        rc = audit_batch_begin(&p.batch, c->s, p.fs->table, e);
        if (rc) goto out;
        p.batch_open = 1;
        p.next_row = p.batch.next_row_no;
        rc = audit_batch_retire_all(&p.batch, e);
        if (!rc) {
            struct strbuf del = STRBUF_INIT;
            sb_addf(&del, "DELETE FROM %s", p.fs->table);
            rc = sb_ok(&del) ? error_set(e, ERR_NOMEM, "oom") : store_exec(c->s, del.buf, e);
            sb_release(&del);
        }
        if (!rc && insert_sql(p.fs, extra, nextra, &sql, &nvals))
            rc = error_set(e, ERR_NOMEM, "out of memory");
        if (!rc) rc = loader_start(c->s, &p.batch, sql.buf, nvals, &p.loader, e);
        sb_release(&sql);
        if (rc) goto out;
    }
    if (!strcmp(p.fs->table, "members")) {
        c->members_id_field = p.idx[0] + 1;
        rc = extsort_new((size_t)64 << 20, &c->residents, e);
        if (rc) goto out;
    }
    progress_init(&p.prog, p.fs->file, csv_bytes_total(p.csv));
    if (!c->o->progress) p.prog.enabled = 0;
    while ((rc = csv_next(p.csv, &ce)) == 1) {
        int bad;
        if (csv_row_blank(p.csv)) continue;
        bad = parse_row(c, &p);
        if (csv_nfields(p.csv) > header_nf) { /* ragged: a separator too many */
            err(c, csv_line(p.csv), (long)header_nf + 1,
                "%zu fields, but the header has %zu: a value with a comma must be quoted "
                "(\"a,b\"), or the row has a separator too many",
                csv_nfields(p.csv), header_nf);
            bad++;
        }
        rc = fn(c, &p, bad, e);
        if (rc) goto out;
        p.rows++;
        if ((p.rows & 4095) == 0) progress_update(&p.prog, csv_bytes_read(p.csv), (uint64_t)p.rows);
    }
    if (rc < 0) {
        file_failed(c, fi, &ce);
        rc = 0;
    }
    progress_finish(&p.prog, (uint64_t)p.rows);
    c->st->rows[fi] = p.rows;
    {
        struct error le;
        int lrc = loader_finish(p.loader, &le);
        p.loader = NULL;
        if (lrc) {
            if (e) *e = le;
            rc = error_prefix(e, "%s", p.fs->file);
            goto out;
        }
    }
    if (!strcmp(p.fs->table, "members")) {
        rc = check_duplicates(c, e);
        if (rc) goto out;
    }
    flush_kinds(c, p.fs->file);
    if (writing(c)) {
        json_t *d = json_pack("{s:s}", "encoding", c->st->gb18030[fi] ? "GB18030" : "UTF-8");
        char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
        json_decref(d);
        p.batch_open = 0;
        rc = detail ? audit_batch_commit(&p.batch, "import", p.fs->file, detail, e)
                    : error_set(e, ERR_NOMEM, "out of memory");
        if (!detail) audit_batch_release(&p.batch);
        free(detail); /* jansson's allocator */
    }
out:
    if (p.loader) loader_finish(p.loader, NULL);
    if (p.batch_open) audit_batch_release(&p.batch);
    csv_close(p.csv);
    sb_release(&path);
    sb_release(&ignored);
    return rc;
}

/* ------------------------------------------------------------------ per-file checks */

static int counties_row(struct ictx *c, struct pass *p, int bad, struct error *e)
{
    long line = csv_line(p->csv);
    int64_t code = ival(p, "code"), city = ival(p, "city_code");
    const struct rowval *type = colv(p, "type", NULL), *exit_year = colv(p, "exit_year", NULL);
    if (colv(p, "code", NULL)->type == STORE_INT) { /* known even if another value is bad */
        if (u64map_put(&c->counties, (uint64_t)code, (uint64_t)line, NULL) == 0)
            err(c, line, fno(p, "code"), "code: county %lld appears twice (also line %llu)",
                (long long)code, (unsigned long long)*u64map_get(&c->counties, (uint64_t)code));
    }
    if (bad) return 0;
    if (!ids_province_valid((int)(code / 10000)))
        err(c, line, fno(p, "code"), "code: %lld does not start with a province code",
            (long long)code);
    if (code / 100 != city)
        err(c, line, fno(p, "city_code"), "city_code: %lld is not the first 4 digits of %lld",
            (long long)city, (long long)code);
    if (type->type == STORE_TEXT && !strcmp(type->s, "exited") && exit_year->type == STORE_NULL)
        err(c, line, fno(p, "exit_year"), "exit_year: an exited county needs its exit year");
    u64map_put(&c->cities, (uint64_t)city, 1, NULL);
    return write_row(c, p, 0, e);
}

static int townships_row(struct ictx *c, struct pass *p, int bad, struct error *e)
{
    long line = csv_line(p->csv);
    int64_t code = ival(p, "code");
    uint64_t old;
    if (colv(p, "code", NULL)->type == STORE_INT &&
        u64map_put(&c->townships, (uint64_t)code, (uint64_t)line, &old) == 0)
        err(c, line, fno(p, "code"), "code: township %lld appears twice (also line %llu)",
            (long long)code, (unsigned long long)old);
    if (bad) return 0;
    if (!c->failed[F_COUNTIES] && !u64map_get(&c->counties, (uint64_t)(code / 1000)))
        err(c, line, fno(p, "code"), "code: township %lld is in county %lld, which is not in "
                                     "counties.csv",
            (long long)code, (long long)(code / 1000));
    p->val[p->nval] = rv_int(code / 1000);
    return write_row(c, p, 1, e);
}

static int villages_row(struct ictx *c, struct pass *p, int bad, struct error *e)
{
    long line = csv_line(p->csv);
    int64_t code = ival(p, "code"), groups = ival(p, "groups");
    const struct rowval *poor = colv(p, "poor", NULL), *ey = colv(p, "exit_year", NULL);
    uint64_t old;
    /* known even if another value is bad (an unreadable group count allows every group) */
    if (colv(p, "code", NULL)->type == STORE_INT &&
        u64map_put(&c->villages, (uint64_t)code,
                   colv(p, "groups", NULL)->type == STORE_INT ? (uint64_t)groups : UINT64_MAX,
                   &old) == 0)
        err(c, line, fno(p, "code"), "code: village %lld appears twice", (long long)code);
    if (bad) return 0;
    if (!c->failed[F_TOWNSHIPS] && !u64map_get(&c->townships, (uint64_t)(code / 1000)))
        err(c, line, fno(p, "code"), "code: unknown township %lld (village %lld)",
            (long long)(code / 1000), (long long)code);
    if (ey->type == STORE_INT && poor->i == 0)
        err(c, line, fno(p, "exit_year"), "exit_year: only a poor village exits (出列)");
    p->val[p->nval] = rv_int(code / 1000);
    p->val[p->nval + 1] = rv_int(code / 1000000);
    return write_row(c, p, 2, e);
}

/* Finds or inserts household id; returns its index or -1 (and *fresh). */
static int64_t hh_lookup(struct ictx *c, const char *id, size_t n, int insert, int *fresh)
{
    uint64_t key = u64_hash_str(id, n);
    for (int salt = 0; salt < 64; salt++, key = key * 0x9E3779B97F4A7C15ULL + 1) {
        uint64_t *v;
        if (!key) key = 1;
        v = u64map_get(&c->hhmap, key);
        if (v) {
            const char *hid = hh_id(c, *v);
            if (strlen(hid) == n && !memcmp(hid, id, n)) {
                if (fresh) *fresh = 0;
                return (int64_t)*v;
            }
            continue; /* a 64-bit collision: try the next salted key */
        }
        if (!insert) return -1;
        if (c->nhh == c->caphh) {
            size_t cap = c->caphh ? c->caphh * 2 : 1024;
            struct hh *a = mem_realloc(c->hh, cap * sizeof *a);
            if (!a) return -2;
            c->hh = a, c->caphh = cap;
        }
        memset(&c->hh[c->nhh], 0, sizeof c->hh[0]);
        c->hh[c->nhh].id = (uint32_t)c->ids.len;
        sb_add(&c->ids, id, n);
        sb_addch(&c->ids, '\0');
        if (sb_ok(&c->ids) || c->ids.len > UINT32_MAX ||
            u64map_put(&c->hhmap, key, c->nhh, NULL) < 0)
            return -2;
        if (fresh) *fresh = 1;
        return (int64_t)c->nhh++;
    }
    return -2;
}

/* The bulk load keeps these indexes in place (store_bulk_begin) instead of rebuilding them
 * by a sort at the end, where nothing else runs: registries list a village's households
 * together and a household's members together, in order, so their keys arrive ascending
 * and each insert appends. The first key out of order has the index dropped and rebuilt at
 * the end after all (in_order). households_id is UNIQUE, and stays so: a duplicate household
 * is reported by the import's own check before its row is written (households_row), and the
 * table is emptied before the load (run_file), so the index never meets one. */
static const char *const kept_indexes[] = {"households_id", "households_village",
                                           "members_household", NULL};

/* For a row being written: when its key of a kept index went backwards, asks the loader to
 * drop that index (loader_defer_index), once. */
static void in_order(struct pass *p, int backwards, int *unsorted, const char *index)
{
    if (backwards && !*unsorted && p->loader) {
        *unsorted = 1;
        loader_defer_index(p->loader, index);
    }
}

static int households_row(struct ictx *c, struct pass *p, int bad, struct error *e)
{
    long line = csv_line(p->csv);
    const struct rowval *id = colv(p, "household_id", NULL);
    int64_t village = ival(p, "village"), grp = ival(p, "group");
    int64_t registered = ival(p, "registered"), iy = ival(p, "identified_year");
    int64_t ey = ival(p, "exit_year"), returned = ival(p, "returned"), ry = ival(p, "return_year");
    uint64_t *groups;
    int64_t k = -1;
    int fresh;
    if (id->type == STORE_TEXT) {
        k = hh_lookup(c, id->s, id->n, 1, &fresh);
        if (k == -2) return error_set(e, ERR_NOMEM, "out of memory");
        if (!fresh) {
            err(c, line, fno(p, "household_id"),
                "household_id: duplicate household %.*s (also line %u)", (int)id->n, id->s,
                c->hh[k].line);
            return 0;
        }
        c->hh[k].line = (uint32_t)line;
        c->hh[k].row_no = writing(c) ? p->next_row : 0;
    }
    if (bad) return 0;
    groups = u64map_get(&c->villages, (uint64_t)village);
    if (!groups) {
        if (!c->failed[F_VILLAGES])
            err(c, line, fno(p, "village"), "village: household in an unknown village %lld",
                (long long)village);
    } else if ((uint64_t)grp > *groups)
        err(c, line, fno(p, "group"), "group: %lld, but village %lld has %llu groups",
            (long long)grp, (long long)village, (unsigned long long)*groups);
    if (registered) {
        if (!iy)
            err(c, line, fno(p, "identified_year"),
                "identified_year: a registered household needs the year it was identified");
        if (ey && iy && ey < iy)
            err(c, line, fno(p, "exit_year"),
                "exit_year: exit year %lld before identified year %lld", (long long)ey,
                (long long)iy);
    } else if (iy || ey || returned) {
        err(c, line, fno(p, iy ? "identified_year" : ey ? "exit_year" : "returned"),
            "a general household (registered 0) has no identified year, exit year or return");
    }
    if (returned && !ey)
        err(c, line, fno(p, "returned"), "returned: a returned household must have exited first");
    if (ry && !returned)
        err(c, line, fno(p, "return_year"), "return_year: given, but returned is 0");
    if (returned && ry && ey && ry < ey)
        err(c, line, fno(p, "return_year"), "return_year: %lld is before the exit year %lld",
            (long long)ry, (long long)ey);
    if (ival(p, "edge") && registered)
        err(c, line, fno(p, "edge"), "edge: an edge household is a general household");
    if (ival(p, "monitored") && !ey)
        err(c, line, fno(p, "monitored"), "monitored: only an exited household is monitored");
    if (writing(c)) {
        /* nothing has failed, so every household so far was written, in hh's order: the one
         * before is hh[k - 1]; ids compare as the index compares them (bytes, then length) */
        in_order(p, k > 0 && strcmp(hh_id(c, (size_t)k - 1), hh_id(c, (size_t)k)) > 0,
                 &c->id_unsorted, "households_id");
        in_order(p, village < c->last_village, &c->village_unsorted, "households_village");
        c->last_village = village;
    }
    return write_row(c, p, 0, e);
}

static int sex_of(const char *s)
{
    size_t n = strlen(s);
    if (str_in_list(s, n, "1|男|m|male")) return 1;
    if (str_in_list(s, n, "2|女|f|female")) return 2;
    return 0;
}

static int members_row(struct ictx *c, struct pass *p, int bad, struct error *e)
{
    long line = csv_line(p->csv);
    long fid = fno(p, "resident_id");
    const char *raw = csv_field(p->csv, (size_t)fid - 1);
    const struct rowval *hid = colv(p, "household_id", NULL);
    const struct rowval *rel = colv(p, "relation", NULL);
    struct rid r;
    char why[256];
    enum ids_problem prob;
    int64_t k;
    int id_ok;

    prob = ids_parse(raw, csv_field_len(p->csv, (size_t)fid - 1), c->today, &r, why, sizeof why);
    id_ok = prob == IDS_OK;
    if (!id_ok && prob != IDS_EMPTY) err(c, line, fid, "resident_id: %s", why);
    /* the household is counted even when another value of the row is bad, so that one bad
     * member row does not also make its household "without members" */
    if (hid->type != STORE_TEXT) return 0;
    k = c->last_hh;
    if (k < 0 || c->last_len != hid->n || memcmp(hh_id(c, (size_t)k), hid->s, hid->n)) {
        /* a new household: most often the next one of households.csv, read in order (no
         * probe of the hash table, whose every look-up is a cache miss at millions) */
        const char *next = k + 1 < (int64_t)c->nhh ? hh_id(c, (size_t)k + 1) : NULL;
        if (next && !strncmp(next, hid->s, hid->n) && !next[hid->n]) k++;
        else k = hh_lookup(c, hid->s, hid->n, 0, NULL);
        c->last_hh = k;
        c->last_len = hid->n;
    }
    if (k < 0) {
        if (!bad && !c->failed[F_HOUSEHOLDS])
            err(c, line, fno(p, "household_id"), "household_id: unknown household %.*s",
                (int)(hid->n > 40 ? 40 : hid->n), hid->s);
        return 0;
    }
    c->hh[k].members++;
    if (rel->type == STORE_TEXT && !strcmp(rel->s, "head") && ++c->hh[k].heads == 2)
        err(c, line, fno(p, "relation"), "relation: household %s has a second head (户主)",
            hh_id(c, (size_t)k));
    if (rel->type != STORE_TEXT) c->hh[k].tainted = 1; /* its head may be this row */
    if (bad || !id_ok) return 0;
    if (r.upgraded) c->st->upgraded_ids++;
    {
        long f = fno(p, "sex");
        if (f > 0 && csv_field_len(p->csv, (size_t)f - 1)) {
            int sx = sex_of(csv_field(p->csv, (size_t)f - 1));
            if (!sx) err(c, line, f, "sex: '%s' is not 男/女 (1/2)", csv_field(p->csv, (size_t)f - 1));
            else if (sx != r.sex)
                err(c, line, f, "sex: %s, but the resident ID says %s",
                    sx == 1 ? "male" : "female", r.sex == 1 ? "male" : "female");
        }
        f = fno(p, "birth_date");
        if (f > 0 && csv_field_len(p->csv, (size_t)f - 1)) {
            int d;
            if (parse_date(csv_field(p->csv, (size_t)f - 1), &d))
                err(c, line, f, "birth_date: '%s' is not a date", csv_field(p->csv, (size_t)f - 1));
            else if (d != r.birth)
                err(c, line, f, "birth_date: %d, but the resident ID says %d", d, r.birth);
        }
    }
    /* uniqueness is decided when the file is done (check_duplicates): bounded memory */
    if (extsort_add(c->residents, r.key, (uint32_t)line, (uint32_t)k))
        return error_set(e, ERR_IO, "the temporary file for resident IDs failed");
    p->val[p->pos[0]] = rv_int((int64_t)r.key);
    p->val[p->pos[1]] = rv_int(c->hh[k].row_no);
    if (writing(c)) {
        in_order(p, c->hh[k].row_no < c->last_hh_row, &c->members_unsorted, "members_household");
        c->last_hh_row = c->hh[k].row_no;
    }
    return write_row(c, p, 0, e);
}

static int projects_row(struct ictx *c, struct pass *p, int bad, struct error *e)
{
    long line = csv_line(p->csv);
    const struct rowval *id = colv(p, "project_id", NULL), *v = colv(p, "village", NULL);
    int64_t county = ival(p, "county");
    uint64_t old;
    if (bad) return 0;
    if (!c->failed[F_COUNTIES] && !u64map_get(&c->counties, (uint64_t)county))
        err(c, line, fno(p, "county"), "county: unknown county %lld", (long long)county);
    if (v->type == STORE_INT) {
        if (!u64map_get(&c->villages, (uint64_t)v->i)) {
            if (!c->failed[F_VILLAGES])
                err(c, line, fno(p, "village"), "village: unknown village %lld",
                    (long long)v->i);
        } else if (v->i / 1000000 != county)
            err(c, line, fno(p, "village"), "village: %lld is not in county %lld",
                (long long)v->i, (long long)county);
    }
    if (u64map_put(&c->projects, u64_hash_str(id->s, id->n), (uint64_t)line, &old) == 0)
        err(c, line, fno(p, "project_id"), "project_id: duplicate project %.*s (also line %llu)",
            (int)id->n, id->s, (unsigned long long)old);
    return write_row(c, p, 0, e);
}

static int evaluators_row(struct ictx *c, struct pass *p, int bad, struct error *e)
{
    long line = csv_line(p->csv);
    const struct rowval *id = colv(p, "evaluator_id", NULL);
    int64_t city = ival(p, "home_city");
    uint64_t old;
    if (bad) return 0;
    if (!ids_province_valid((int)(city / 100)))
        err(c, line, fno(p, "home_city"), "home_city: %lld does not start with a province code",
            (long long)city);
    if (u64map_put(&c->evaluators, u64_hash_str(id->s, id->n), (uint64_t)line, &old) == 0)
        err(c, line, fno(p, "evaluator_id"),
            "evaluator_id: duplicate evaluator %.*s (also line %llu)", (int)id->n, id->s,
            (unsigned long long)old);
    return write_row(c, p, 0, e);
}

/* After members.csv: the sorted resident IDs; equal neighbours are duplicates. Errors are
 * reported in line order (up to a bound; beyond it they are counted). */
struct dup {
    uint64_t key;
    uint32_t line, first, hh, first_hh;
};

static int cmp_dup(const void *a, const void *b)
{
    const struct dup *x = a, *y = b;
    return (x->line > y->line) - (x->line < y->line);
}

static int check_duplicates(struct ictx *c, struct error *e)
{
    struct xrec prev = {0, 0, 0}, cur;
    struct dup *dups = NULL;
    size_t ndups = 0, capdups = 0, extra = 0;
    int rc, have = 0;
    if (!c->residents) return 0;
    rc = extsort_finish(c->residents, e);
    if (rc) return rc;
    while ((rc = extsort_next(c->residents, &cur)) == 1) {
        if (have && cur.key == prev.key) {
            if (ndups == capdups && capdups < 100000) {
                size_t cap = capdups ? capdups * 2 : 64;
                void *q = mem_realloc(dups, cap * sizeof *dups);
                if (!q) {
                    mem_free(dups);
                    return error_set(e, ERR_NOMEM, "out of memory");
                }
                dups = q, capdups = cap;
            }
            if (ndups < capdups) {
                dups[ndups].line = cur.a, dups[ndups].first = prev.a;
                dups[ndups].hh = cur.b, dups[ndups].first_hh = prev.b;
                dups[ndups].key = cur.key;
                ndups++;
            } else {
                extra++;
            }
            continue; /* keep the first occurrence as prev */
        }
        prev = cur;
        have = 1;
    }
    if (rc < 0) {
        mem_free(dups);
        return error_set(e, ERR_IO, "reading back the sorted resident IDs failed");
    }
    /* line order, as a reader of the file expects */
    if (ndups) qsort(dups, ndups, sizeof *dups, cmp_dup);
    c->file = "members.csv";
    for (size_t i = 0; i < ndups; i++) {
        char id[19], masked[24];
        long f = c->members_id_field;
        ids_unpack(dups[i].key, id);
        mask_id(id, masked, sizeof masked);
        if (dups[i].hh == dups[i].first_hh)
            err(c, dups[i].line, f, "resident_id: duplicate resident ID %s (also line %u)", masked,
                dups[i].first);
        else
            err(c, dups[i].line, f,
                "resident_id: member %s in two households: %s here, %s on line %u", masked,
                hh_id(c, dups[i].hh), hh_id(c, dups[i].first_hh), dups[i].first);
    }
    for (size_t i = 0; i < extra; i++)
        errlist_addf(c->errs, ERR_INVALID, "members.csv", 0, 0, "resident_id: more duplicates");
    mem_free(dups);
    return 0;
}

/* ------------------------------------------------------------------ the whole import */

static void note_skipped(struct import_stats *st, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (!d) return;
    while ((de = readdir(d))) {
        int known = 0;
        size_t len;
        if (de->d_name[0] == '.') continue;
        for (size_t f = 0; f < registry_nfiles; f++)
            if (!strcmp(de->d_name, registry_files[f].file)) known = 1;
        if (known) continue;
        len = strlen(st->skipped);
        {
            struct stat sb;
            struct strbuf path = STRBUF_INIT;
            int isdir;
            sb_addf(&path, "%s/%s", dir, de->d_name);
            isdir = sb_ok(&path) == 0 && stat(path.buf, &sb) == 0 && S_ISDIR(sb.st_mode);
            sb_release(&path);
            snprintf(st->skipped + len, sizeof st->skipped - len, "%s%s%s", len ? ", " : "",
                     de->d_name, isdir ? "/" : "");
        }
    }
    closedir(d);
}

static void ictx_release(struct ictx *c)
{
    u64map_release(&c->counties);
    u64map_release(&c->cities);
    u64map_release(&c->townships);
    u64map_release(&c->villages);
    u64map_release(&c->hhmap);
    extsort_free(c->residents);
    sb_release(&c->ids);
    u64map_release(&c->projects);
    u64map_release(&c->evaluators);
    mem_free(c->hh);
    arena_release(&c->arena);
}

int registry_import(struct store *s, const char *dir, const struct import_opts *o,
                    struct import_stats *st, struct errlist *errs, struct error *e)
{
    static const row_fn fns[] = {counties_row,  townships_row, villages_row, households_row,
                                 members_row,   projects_row,  evaluators_row};
    static const char *const extras[] = {NULL, "county", "township, county", NULL, NULL, NULL,
                                         NULL};
    static const int nextras[] = {0, 1, 2, 0, 0, 0, 0};
    const char *tables[8];
    size_t nt = 0;
    struct ictx c;
    struct stat sb;
    double t0 = clock_seconds();
    int rc = 0, bulk = 0;

    memset(st, 0, sizeof *st);
    memset(&c, 0, sizeof c);
    c.s = s;
    c.o = o;
    c.st = st;
    c.errs = errs;
    c.today = o->today ? o->today : date_today();
    c.last_hh = -1;
    arena_init(&c.arena, 1 << 20);
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        rc = error_set(e, ERR_IO, "%s: not a folder", dir);
        goto out;
    }
    for (size_t f = 0; f < registry_nfiles; f++) {
        struct strbuf path = STRBUF_INIT;
        sb_addf(&path, "%s/%s", dir, registry_files[f].file);
        st->present[f] = sb_ok(&path) == 0 && access(path.buf, F_OK) == 0;
        sb_release(&path);
        if (st->present[f]) tables[nt++] = registry_files[f].table;
        else if (registry_files[f].required) {
            struct error me;
            error_at(&me, ERR_INVALID, registry_files[f].file, 0, 0,
                     "missing: the import needs this file in %s", dir);
            file_failed(&c, f, &me);
        }
    }
    tables[nt] = NULL;
    note_skipped(st, dir);
    if (errs->total) {
        rc = ERR_INVALID;
        goto out;
    }
    rc = store_bulk_begin(s, tables, kept_indexes, e);
    if (rc) goto out;
    bulk = 1;
    for (size_t f = 0; f < registry_nfiles && !rc; f++) {
        if (!st->present[f]) continue;
        rc = run_file(&c, dir, f, fns[f], extras[f], nextras[f], e);
    }
    if (!rc && !c.failed[F_HOUSEHOLDS] && !c.failed[F_MEMBERS]) {
        /* households without members, checked once members.csv is read (not when either
         * file could not be read whole: every household would be "without members") */
        c.file = registry_files[F_HOUSEHOLDS].file;
        for (size_t k = 0; k < c.nhh; k++) {
            if (c.hh[k].tainted) continue; /* its relation error was reported already */
            if (!c.hh[k].members)
                err(&c, c.hh[k].line, 1, "household_id: household %s has no members in "
                                         "members.csv",
                    hh_id(&c, k));
            else if (!c.hh[k].heads)
                err(&c, c.hh[k].line, 1, "household_id: household %s has no head (户主) in "
                                         "members.csv",
                    hh_id(&c, k));
        }
        flush_kinds(&c, c.file);
    }
    if (!rc && errs->total) rc = ERR_INVALID;
    /* the household query's hashed IDs follow the new registry, in the same transaction */
    if (!rc) rc = registry_hq_refresh(s, NULL, e);
    {
        int end = store_bulk_end(s, rc == 0, rc ? NULL : e);
        if (!rc) rc = end;
    }
    bulk = 0;
out:
    if (bulk) store_bulk_end(s, 0, NULL);
    st->seconds = clock_seconds() - t0;
    ictx_release(&c);
    if (rc == ERR_INVALID && e)
        error_set(e, ERR_INVALID, "%zu error%s: nothing was imported", errs->total,
                  errs->total == 1 ? "" : "s");
    return rc;
}
