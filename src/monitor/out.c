/*
 * out.c — the monitoring stage's documents (monitor.h): titled tables rendered once as a
 * printable HTML page and once as an XLSX workbook with one sheet per table.
 *
 * Every string lives in the document's arena; an allocation failure sets a sticky flag that
 * mon_doc_write reports, so callers add rows without checking each one. Both files are
 * written under temporary names (".NAME.tmp") in the folder and renamed only when both are
 * complete: a reader never sees half a report.
 */
#include "monitor.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <xlsxwriter.h>

struct mon_table {
    struct mon_doc *d; /* the document whose arena holds the strings */
    char *sheet, *title;
    char **cols; /* arena */
    size_t ncols;
    char **cells; /* mem_realloc'd: rows * ncols, strings in the arena */
    size_t nrows, cap;
};

struct mon_doc {
    struct arena a;
    char *title;
    char **paras; /* mem_realloc'd */
    size_t nparas;
    struct mon_table **t; /* mem_realloc'd; tables in the arena */
    size_t nt;
    int oom;
};

int mon_doc_new(const char *title, struct mon_doc **out)
{
    struct mon_doc *d = mem_calloc(1, sizeof *d);
    *out = NULL;
    if (!d) return ERR_NOMEM;
    arena_init(&d->a, 0);
    if (!(d->title = arena_strdup(&d->a, title))) {
        mon_doc_free(d);
        return ERR_NOMEM;
    }
    *out = d;
    return 0;
}

void mon_doc_free(struct mon_doc *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->nt; i++) mem_free(d->t[i]->cells);
    mem_free(d->t);
    mem_free(d->paras);
    arena_release(&d->a);
    mem_free(d);
}

void mon_doc_para(struct mon_doc *d, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    char **np;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    np = mem_realloc(d->paras, (d->nparas + 1) * sizeof *np);
    if (!np || sb_ok(&sb)) {
        if (np) d->paras = np;
        d->oom = 1;
        sb_release(&sb);
        return;
    }
    d->paras = np;
    if (!(d->paras[d->nparas] = arena_strdup(&d->a, sb.buf)))
        d->oom = 1;
    else
        d->nparas++;
    sb_release(&sb);
}

struct mon_table *mon_doc_table(struct mon_doc *d, const char *sheet, const char *title,
                                const char *const *cols, size_t ncols)
{
    struct mon_table *t = arena_alloc(&d->a, sizeof *t), **nt;
    if (!t) goto oom;
    memset(t, 0, sizeof *t);
    t->d = d;
    t->sheet = arena_strdup(&d->a, sheet);
    t->title = arena_strdup(&d->a, title);
    t->cols = arena_alloc(&d->a, ncols * sizeof *t->cols);
    if (!t->sheet || !t->title || !t->cols) goto oom;
    for (size_t i = 0; i < ncols; i++)
        if (!(t->cols[i] = arena_strdup(&d->a, cols[i]))) goto oom;
    t->ncols = ncols;
    if (!(nt = mem_realloc(d->t, (d->nt + 1) * sizeof *nt))) goto oom;
    d->t = nt;
    d->t[d->nt++] = t;
    return t;
oom:
    d->oom = 1;
    return NULL;
}

void mon_table_row(struct mon_table *t, const char *const *cells)
{
    struct mon_doc *d;
    if (!t) return; /* its creation failed: the document's oom flag is already set */
    d = t->d;
    if (t->nrows == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 32;
        char **np = mem_realloc(t->cells, nc * t->ncols * sizeof *np);
        if (!np) {
            d->oom = 1;
            return;
        }
        t->cells = np, t->cap = nc;
    }
    for (size_t i = 0; i < t->ncols; i++) {
        char *c = arena_strdup(&d->a, cells[i] ? cells[i] : "");
        if (!c) {
            d->oom = 1;
            return;
        }
        t->cells[t->nrows * t->ncols + i] = c;
    }
    t->nrows++;
}

void mon_table_rowf(struct mon_table *t, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    const char *cells[64];
    size_t n = 0;
    va_list ap;
    if (!t) return;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    if (sb_ok(&sb)) {
        t->d->oom = 1;
        sb_release(&sb);
        return;
    }
    for (char *p = sb.buf; n < t->ncols && n < 64;) {
        char *tab = strchr(p, '\t');
        cells[n++] = p;
        if (!tab) break;
        *tab = 0;
        p = tab + 1;
    }
    while (n < t->ncols && n < 64) cells[n++] = "";
    mon_table_row(t, cells);
    sb_release(&sb);
}

/* 1 if s is a plain decimal number (the workbook gets a number, sortable). */
static int numeric(const char *s, double *v)
{
    size_t n = strlen(s);
    if (!n || n > 20) return 0;
    if (s[0] == '0' && n > 1 && s[1] != '.') return 0; /* codes with leading zeros stay text */
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789.-", s[i])) return 0;
    if (n > 15 && !strchr(s, '.')) return 0; /* 12-digit village codes are fine, IDs are not */
    return parse_double(s, v) == 0;
}

static void html_doc(const struct mon_doc *d, struct strbuf *sb)
{
    sb_adds(sb, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>");
    sb_add_html(sb, d->title);
    sb_adds(sb, "</title><style>body{font-family:sans-serif;margin:2em}"
                "table{border-collapse:collapse;margin:1em 0}"
                "td,th{border:1px solid #999;padding:2px 6px;font-size:90%}"
                "th{background:#eee}td.n{text-align:right}"
                "@media print{h2{page-break-before:auto}table{page-break-inside:auto}}"
                "</style></head><body>\n<h1>");
    sb_add_html(sb, d->title);
    sb_adds(sb, "</h1>\n");
    for (size_t i = 0; i < d->nparas; i++) {
        sb_adds(sb, "<p>");
        sb_add_html(sb, d->paras[i]);
        sb_adds(sb, "</p>\n");
    }
    for (size_t k = 0; k < d->nt; k++) {
        const struct mon_table *t = d->t[k];
        sb_adds(sb, "<h2>");
        sb_add_html(sb, t->title);
        sb_addf(sb, "</h2>\n<p>%zu 行 rows</p>\n<table>\n<tr>", t->nrows);
        for (size_t c = 0; c < t->ncols; c++) {
            sb_adds(sb, "<th>");
            sb_add_html(sb, t->cols[c]);
            sb_adds(sb, "</th>");
        }
        sb_adds(sb, "</tr>\n");
        for (size_t r = 0; r < t->nrows; r++) {
            sb_adds(sb, "<tr>");
            for (size_t c = 0; c < t->ncols; c++) {
                const char *v = t->cells[r * t->ncols + c];
                double x;
                sb_adds(sb, numeric(v, &x) ? "<td class=\"n\">" : "<td>");
                sb_add_html(sb, v);
                sb_adds(sb, "</td>");
            }
            sb_adds(sb, "</tr>\n");
        }
        sb_adds(sb, "</table>\n");
    }
    sb_adds(sb, "</body></html>\n");
}

static int xlsx_doc(const struct mon_doc *d, const char *path, struct error *e)
{
    lxw_workbook *wb = workbook_new(path);
    lxw_format *bold;
    lxw_error err;
    if (!wb) return error_set(e, ERR_IO, "%s: cannot create the workbook", path);
    bold = workbook_add_format(wb);
    format_set_bold(bold);
    for (size_t k = 0; k < d->nt; k++) {
        const struct mon_table *t = d->t[k];
        char name[32];
        lxw_worksheet *ws;
        snprintf(name, sizeof name, "%s", t->sheet);
        utf8_trim(name);
        if (!(ws = workbook_add_worksheet(wb, name))) {
            workbook_close(wb);
            return error_set(e, ERR_IO, "%s: cannot add sheet %s", path, name);
        }
        for (size_t c = 0; c < t->ncols; c++)
            worksheet_write_string(ws, 0, (lxw_col_t)c, t->cols[c], bold);
        for (size_t r = 0; r < t->nrows; r++)
            for (size_t c = 0; c < t->ncols; c++) {
                const char *v = t->cells[r * t->ncols + c];
                double x;
                if (numeric(v, &x))
                    worksheet_write_number(ws, (lxw_row_t)(r + 1), (lxw_col_t)c, x, NULL);
                else
                    worksheet_write_string(ws, (lxw_row_t)(r + 1), (lxw_col_t)c, v, NULL);
            }
        worksheet_freeze_panes(ws, 1, 0);
    }
    err = workbook_close(wb);
    if (err != LXW_NO_ERROR) return error_set(e, ERR_IO, "%s: %s", path, lxw_strerror(err));
    return 0;
}

int mon_doc_write(const struct mon_doc *d, const char *dir, const char *base, struct error *e)
{
    struct strbuf sb = STRBUF_INIT;
    char html_tmp[1200], html[1200], xlsx_tmp[1200], xlsx[1200];
    FILE *f = NULL;
    int rc = 0;
    if (d->oom) return error_set(e, ERR_NOMEM, "out of memory");
    if (mkdir(dir, 0777) && errno != EEXIST)
        return error_set(e, ERR_IO, "%s: cannot create the folder: %s", dir, strerror(errno));
    snprintf(html, sizeof html, "%s/%s.html", dir, base);
    snprintf(html_tmp, sizeof html_tmp, "%s/.%s.html.tmp", dir, base);
    snprintf(xlsx, sizeof xlsx, "%s/%s.xlsx", dir, base);
    snprintf(xlsx_tmp, sizeof xlsx_tmp, "%s/.%s.xlsx.tmp", dir, base);
    html_doc(d, &sb);
    if (sb_ok(&sb)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    if (!(f = fopen(html_tmp, "wb"))) {
        rc = error_set(e, ERR_IO, "%s: %s", html_tmp, strerror(errno));
        goto out;
    }
    if (fwrite(sb.buf, 1, sb.len, f) != sb.len || fclose(f)) {
        f = NULL;
        rc = error_set(e, ERR_IO, "%s: write failed", html_tmp);
        goto out;
    }
    f = NULL;
    if ((rc = xlsx_doc(d, xlsx_tmp, e))) goto out;
    if (rename(html_tmp, html) || rename(xlsx_tmp, xlsx)) {
        rc = error_set(e, ERR_IO, "%s: cannot rename into place: %s", dir, strerror(errno));
        goto out;
    }
out:
    if (f) fclose(f);
    if (rc) {
        remove(html_tmp);
        remove(xlsx_tmp);
    }
    sb_release(&sb);
    return rc;
}

int mon_doc_write_xlsx(const struct mon_doc *d, const char *path, struct error *e)
{
    if (d->oom) return error_set(e, ERR_NOMEM, "out of memory");
    return xlsx_doc(d, path, e);
}

/* One CSV field, quoted; a leading = + - @ (not a negative number) gets a ' so that Excel
 * does not take it for a formula. */
static void csv_cell(FILE *f, const char *v)
{
    int formula = v[0] && strchr("=+-@", v[0]) && !(v[0] == '-' && v[1] >= '0' && v[1] <= '9');
    fputc('"', f);
    if (formula) fputc('\'', f);
    for (; *v; v++) {
        if (*v == '"') fputc('"', f);
        fputc(*v, f);
    }
    fputc('"', f);
}

int mon_doc_write_csv(const struct mon_doc *d, FILE *f, struct error *e)
{
    if (d->oom) return error_set(e, ERR_NOMEM, "out of memory");
    fputs("\xEF\xBB\xBF", f); /* a BOM: Excel then reads the Chinese as UTF-8 */
    for (size_t k = 0; k < d->nt; k++) {
        const struct mon_table *t = d->t[k];
        if (k) fputs("\r\n", f);
        csv_cell(f, t->title);
        fputs("\r\n", f);
        for (size_t c = 0; c < t->ncols; c++) {
            if (c) fputc(',', f);
            csv_cell(f, t->cols[c]);
        }
        fputs("\r\n", f);
        for (size_t r = 0; r < t->nrows; r++) {
            for (size_t c = 0; c < t->ncols; c++) {
                if (c) fputc(',', f);
                csv_cell(f, t->cells[r * t->ncols + c]);
            }
            fputs("\r\n", f);
        }
    }
    if (ferror(f)) return error_set(e, ERR_IO, "the CSV could not be written");
    return 0;
}
