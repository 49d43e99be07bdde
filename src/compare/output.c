/*
 * output.c — the comparison's entry point and everything it writes (compare.h): the run
 * (compare_run), the store (compare_runs, compare_flags through the change log), the CSV
 * and XLSX files the office asks for, the report printed for people, and `compare explain`.
 *
 * Order of writing, so that a failure leaves nothing half-done: the CSV and XLSX go to
 * temporary names first; then the store, in one transaction (the run row, then the flags,
 * each batch an audited entry); only when the transaction has committed are the files
 * renamed into place. Any error before that removes the temporaries and rolls back.
 *
 * Personal data: the CSV, the XLSX and the store hold resident IDs and names in full (the
 * office's own data, asked for explicitly); compare_result_print and compare_explain, which
 * people read on screen, mask them (mask_id, mask_name) and never print an invalid ID's raw
 * cell or ids_parse's reason (which can quote digits of it) — only its kind.
 *
 * Evidence in the store: compare_flags.evidence is a JSON array of the records behind the
 * flag, [{"file": "vehicles.csv", "line": 17, "id": "34…", "matched": true,
 * "detail": "车辆价值=120000; 机动车状态=正常"}], at most max_evidence of them (`records`
 * counts them all); for a "none" rule the records are those of the subject that did not
 * satisfy it (near misses), possibly none.
 */
#include "compare_int.h"
#include "../registry/registry.h"

#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

static const char *problem_zh(int p)
{
    static const char *zh[IDS_PROBLEM_COUNT] = {
        "有效",       "空白",         "Excel科学计数法", "Excel截断(末三位000)", "位数不对",
        "含非法字符", "省份代码无效", "出生日期无效",    "出生日期晚于今天",     "校验码错误"};
    return p >= 0 && p < IDS_PROBLEM_COUNT ? zh[p] : "?";
}

static void fmt_date(int d, char out[11])
{
    snprintf(out, 11, "%04d-%02d-%02d", d / 10000 % 10000, d / 100 % 100, d % 100);
}

/* ------------------------------------------------------------------ names */

/* Name of a flag's person (registry or department record) or household head. */
struct namer {
    struct stmt *by_id, *head;
};

static const char *flag_name(struct namer *nm, const struct cmp_flag *fl, char *buf, size_t size)
{
    struct stmt *st;
    buf[0] = '\0';
    if (fl->name) return fl->name;
    st = fl->person ? nm->by_id : nm->head;
    if (!st) return buf;
    stmt_bind_int(st, 1, fl->hh);
    if (fl->person) stmt_bind_int(st, 2, (int64_t)fl->person);
    if (stmt_step(st, NULL) == STORE_ROW) snprintf(buf, size, "%s", stmt_text(st, 0));
    stmt_reset(st);
    return buf;
}

static const char *category_of(const struct cmp_index *ix, const struct cmp_flag *fl)
{
    static const char *cats[4] = {"general", "unexited", "exited", "returned"};
    if (!fl->hh) return "absent";
    return cats[(ix->hh[fl->hh].attrs & A_CAT_MASK) >> A_CAT_SHIFT];
}

static const char *hhcat_zh(const char *cat)
{
    if (!strcmp(cat, "general")) return "一般农户";
    if (!strcmp(cat, "unexited")) return "未脱贫户";
    if (!strcmp(cat, "exited")) return "已脱贫户";
    if (!strcmp(cat, "returned")) return "返贫户";
    return "名册外";
}

static void evidence_text(struct strbuf *sb, const struct compare_rules *r,
                          const struct cmp_rule *ru, const struct cmp_flag *fl)
{
    size_t at = sb->len;
    if (ru->none) {
        sb_adds(sb, "no satisfying record in ");
        for (size_t k = 0; k < ru->nsrc; k++)
            sb_addf(sb, "%s%s", k ? ", " : "", r->files[ru->src[k].file].file);
    }
    for (const struct cmp_ev *ev = fl->ev; ev; ev = ev->next)
        sb_addf(sb, "%s%s:%u%s", sb->len > at ? "; " : "", r->files[ev->file].file, ev->line,
                ev->matched == EV_ID_INVALID ? " (ID invalid)" : "");
    if (fl->records > fl->nev) sb_addf(sb, "; ... %u records in all", fl->records);
}

/* ------------------------------------------------------------------ CSV */

static int write_csv(const char *path, const struct compare_rules *r, const struct cmp_index *ix,
                     const struct cmp_outcome *oc, struct namer *nm, struct error *e)
{
    FILE *f = fopen(path, "wb");
    struct strbuf sb = STRBUF_INIT;
    int rc = 0;
    if (!f) return error_set(e, ERR_IO, "%s: cannot write", path);
    sb_adds(&sb, "flag_no,rule,rule_zh,kind,severity,county,county_name,village,household_id,"
                 "category,resident_id,name,records,evidence\n");
    for (size_t i = 0; i < oc->nflags; i++) {
        const struct cmp_flag *fl = &oc->flags[i];
        const struct cmp_rule *ru = &r->rules[fl->rule];
        const struct cmp_county *cty = cmp_index_county(ix, (int)fl->county);
        char id[19] = "", name[128];
        const char *nmv = flag_name(nm, fl, name, sizeof name);
        struct strbuf ev = STRBUF_INIT;
        if (fl->person) ids_unpack(fl->person, id);
        evidence_text(&ev, r, ru, fl);
        sb_addf(&sb, "%zu,%s,", i + 1, ru->id);
        sb_add_csv(&sb, ru->zh, strlen(ru->zh));
        sb_addf(&sb, ",%s,%s,%u,", ru->kind, ru->severity, fl->county);
        if (cty) sb_add_csv(&sb, cty->name, strlen(cty->name));
        sb_addch(&sb, ',');
        if (fl->hh) sb_addf(&sb, "%lld", (long long)ix->hh[fl->hh].village);
        sb_addch(&sb, ',');
        if (fl->hh) sb_add_csv(&sb, cmp_hh_id(ix, fl->hh), strlen(cmp_hh_id(ix, fl->hh)));
        sb_addf(&sb, ",%s,%s,", category_of(ix, fl), id);
        sb_add_csv(&sb, nmv, strlen(nmv));
        sb_addf(&sb, ",%u,", fl->records);
        sb_add_csv(&sb, ev.buf, ev.len);
        sb_addch(&sb, '\n');
        if (sb_ok(&ev)) sb.oom = 1;
        sb_release(&ev);
        if (sb.len > (1 << 20) || i + 1 == oc->nflags) {
            if (sb_ok(&sb)) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            if (fwrite(sb.buf, 1, sb.len, f) != sb.len) {
                rc = error_set(e, ERR_IO, "%s: write failed (disk full?)", path);
                break;
            }
            sb_reset(&sb);
        }
    }
    if (!rc && sb.len && (sb_ok(&sb) || fwrite(sb.buf, 1, sb.len, f) != sb.len))
        rc = error_set(e, sb_ok(&sb) ? ERR_NOMEM : ERR_IO, "%s: cannot write", path);
    if (!rc && (fflush(f) || ferror(f)))
        rc = error_set(e, ERR_IO, "%s: write failed (disk full?)", path);
    if (fclose(f) && !rc) rc = error_set(e, ERR_IO, "%s: write failed", path);
    sb_release(&sb);
    return rc;
}

/* ------------------------------------------------------------------ XLSX */

struct xsheet {
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *head;
    const char *base;        /* sheet name */
    const char *const *cols; /* headers */
    const double *widths;
    int ncols, part;
    uint32_t row;
};

static int xs_new(struct xsheet *x)
{
    char name[64];
    x->part++;
    if (x->part == 1)
        snprintf(name, sizeof name, "%s", x->base);
    else
        snprintf(name, sizeof name, "%s (%d)", x->base, x->part);
    x->ws = workbook_add_worksheet(x->wb, name);
    if (!x->ws) return -1;
    for (int c = 0; c < x->ncols; c++) {
        worksheet_set_column(x->ws, (lxw_col_t)c, (lxw_col_t)c, x->widths ? x->widths[c] : 14,
                             NULL);
        worksheet_write_string(x->ws, 0, (lxw_col_t)c, x->cols[c], x->head);
    }
    worksheet_freeze_panes(x->ws, 1, 0);
    x->row = 1;
    return 0;
}

/* The row to write next (a new sheet "name (2)" when one is full). */
static int xs_row(struct xsheet *x, lxw_row_t *row)
{
    if (!x->ws || x->row >= LXW_ROW_MAX)
        if (xs_new(x)) return -1;
    *row = x->row++;
    return 0;
}

static void xs_str(struct xsheet *x, lxw_row_t row, int col, const char *s)
{
    if (s && *s) worksheet_write_string(x->ws, row, (lxw_col_t)col, s, NULL);
}

static void xs_num(struct xsheet *x, lxw_row_t row, int col, double v)
{
    worksheet_write_number(x->ws, row, (lxw_col_t)col, v, NULL);
}

static int write_xlsx(const char *path, const struct compare_rules *r, const struct cmp_index *ix,
                      const struct cmp_outcome *oc, struct namer *nm,
                      const struct compare_result *res, struct error *e)
{
    lxw_workbook_options opt = {0};
    struct xsheet x;
    lxw_workbook *wb;
    lxw_format *head;
    lxw_row_t row;
    lxw_error err;
    char buf[64];
    opt.constant_memory = LXW_TRUE;
    wb = workbook_new_opt(path, &opt);
    if (!wb) return error_set(e, ERR_IO, "%s: cannot create the workbook", path);
    head = workbook_add_format(wb);
    format_set_bold(head);
    format_set_bg_color(head, 0xDDEBF7);

    { /* rules */
        static const char *cols[] = {"序号 no",
                                     "规则编号 rule",
                                     "规则 rule (zh)",
                                     "rule (en)",
                                     "类别 kind",
                                     "严重程度 severity",
                                     "依据 seed",
                                     "已执行 applied",
                                     "标记数 flags",
                                     "涉及户数 households",
                                     "名册外人员 absent persons"};
        static const double w[] = {6, 24, 40, 48, 16, 10, 40, 10, 10, 12, 14};
        memset(&x, 0, sizeof x);
        x.wb = wb, x.head = head, x.base = "规则汇总 rules", x.cols = cols, x.widths = w;
        x.ncols = 11;
        for (size_t i = 0; i < res->nrules; i++) {
            const struct compare_rule_stats *rs = &res->rules[i];
            if (xs_row(&x, &row)) goto fail;
            xs_num(&x, row, 0, (double)(i + 1));
            xs_str(&x, row, 1, rs->id);
            xs_str(&x, row, 2, rs->zh);
            xs_str(&x, row, 3, rs->en);
            snprintf(buf, sizeof buf, "%s %s", cmp_kind_zh(rs->kind), rs->kind);
            xs_str(&x, row, 4, buf);
            snprintf(buf, sizeof buf, "%s %s", cmp_severity_zh(rs->severity), rs->severity);
            xs_str(&x, row, 5, buf);
            xs_str(&x, row, 6, r->rules[i].seed);
            xs_str(&x, row, 7, rs->applied ? "是 yes" : "否 no (file absent)");
            xs_num(&x, row, 8, (double)rs->flags);
            xs_num(&x, row, 9, (double)rs->households);
            xs_num(&x, row, 10, (double)rs->absent);
        }
    }
    { /* counties × rules */
        const char *cols[CMP_MAX_RULES + 3];
        double w[CMP_MAX_RULES + 3];
        memset(&x, 0, sizeof x);
        cols[0] = "县代码 county", cols[1] = "县名称 name";
        w[0] = 12, w[1] = 14;
        for (size_t i = 0; i < res->nrules; i++) cols[2 + i] = res->rules[i].id, w[2 + i] = 12;
        cols[2 + res->nrules] = "合计 total";
        w[2 + res->nrules] = 10;
        x.wb = wb, x.head = head, x.base = "分县 counties", x.cols = cols, x.widths = w;
        x.ncols = (int)res->nrules + 3;
        for (size_t c = 0; c < res->ncounties; c++) {
            const struct compare_county_stats *cs = &res->counties[c];
            if (xs_row(&x, &row)) goto fail;
            xs_num(&x, row, 0, cs->code);
            xs_str(&x, row, 1, cs->name);
            for (size_t i = 0; i < res->nrules; i++)
                xs_num(&x, row, 2 + (int)i, (double)cs->flags[i]);
            xs_num(&x, row, 2 + (int)res->nrules, (double)cs->total);
        }
    }
    { /* flags */
        static const char *cols[] = {"序号 no",
                                     "规则编号 rule",
                                     "规则 rule",
                                     "类别 kind",
                                     "严重程度 severity",
                                     "县代码 county",
                                     "县名称 county name",
                                     "村代码 village",
                                     "户编号 household",
                                     "户类别 category",
                                     "身份证号 resident ID",
                                     "姓名 name",
                                     "记录数 records",
                                     "证据 evidence"};
        static const double w[] = {8, 24, 36, 16, 10, 10, 12, 15, 20, 14, 21, 10, 9, 60};
        memset(&x, 0, sizeof x);
        x.wb = wb, x.head = head, x.base = "标记 flags", x.cols = cols, x.widths = w;
        x.ncols = 14;
        for (size_t i = 0; i < oc->nflags; i++) {
            const struct cmp_flag *fl = &oc->flags[i];
            const struct cmp_rule *ru = &r->rules[fl->rule];
            const struct cmp_county *cty = cmp_index_county(ix, (int)fl->county);
            const char *cat = category_of(ix, fl);
            char id[19] = "", name[128];
            struct strbuf ev = STRBUF_INIT;
            if (xs_row(&x, &row)) goto fail;
            if (fl->person) ids_unpack(fl->person, id);
            evidence_text(&ev, r, ru, fl);
            xs_num(&x, row, 0, (double)(i + 1));
            xs_str(&x, row, 1, ru->id);
            xs_str(&x, row, 2, ru->zh);
            xs_str(&x, row, 3, cmp_kind_zh(ru->kind));
            xs_str(&x, row, 4, cmp_severity_zh(ru->severity));
            xs_num(&x, row, 5, fl->county);
            if (cty) xs_str(&x, row, 6, cty->name);
            if (fl->hh) xs_num(&x, row, 7, (double)ix->hh[fl->hh].village);
            if (fl->hh) xs_str(&x, row, 8, cmp_hh_id(ix, fl->hh));
            xs_str(&x, row, 9, hhcat_zh(cat));
            xs_str(&x, row, 10, id);
            xs_str(&x, row, 11, flag_name(nm, fl, name, sizeof name));
            xs_num(&x, row, 12, fl->records);
            if (sb_ok(&ev)) {
                sb_release(&ev);
                workbook_close(wb);
                return error_set(e, ERR_NOMEM, "out of memory");
            }
            xs_str(&x, row, 13, ev.buf);
            sb_release(&ev);
        }
        if (!x.ws && xs_new(&x)) goto fail;
    }
    { /* evidence */
        static const char *cols[] = {
            "标记序号 flag no",     "规则编号 rule",      "文件 file",      "行号 line",
            "身份证号 resident ID", "符合规则 satisfies", "记录内容 record"};
        static const double w[] = {10, 24, 24, 9, 21, 12, 60};
        memset(&x, 0, sizeof x);
        x.wb = wb, x.head = head, x.base = "证据 evidence", x.cols = cols, x.widths = w;
        x.ncols = 7;
        for (size_t i = 0; i < oc->nflags; i++) {
            const struct cmp_flag *fl = &oc->flags[i];
            for (const struct cmp_ev *ev = fl->ev; ev; ev = ev->next) {
                char id[19];
                if (xs_row(&x, &row)) goto fail;
                ids_unpack(ev->person, id);
                xs_num(&x, row, 0, (double)(i + 1));
                xs_str(&x, row, 1, r->rules[fl->rule].id);
                xs_str(&x, row, 2, r->files[ev->file].file);
                xs_num(&x, row, 3, ev->line);
                xs_str(&x, row, 4, id);
                xs_str(&x, row, 5,
                       ev->matched == EV_ID_INVALID ? "证件号校验失败 ID invalid (check)"
                       : ev->matched                ? "是 yes"
                                                    : "否 no");
                xs_str(&x, row, 6, ev->detail);
            }
        }
        if (!x.ws && xs_new(&x)) goto fail;
    }
    { /* files */
        static const char *cols[] = {"文件 file",
                                     "名册 roll",
                                     "部门 department",
                                     "编码 encoding",
                                     "行数 rows",
                                     "有效证件号 valid IDs",
                                     "名册内 in roster",
                                     "无效证件号 invalid IDs",
                                     "无法解析的值 bad values"};
        static const double w[] = {24, 30, 24, 10, 12, 14, 12, 14, 14};
        memset(&x, 0, sizeof x);
        x.wb = wb, x.head = head, x.base = "文件 files", x.cols = cols, x.widths = w;
        x.ncols = 9;
        for (size_t i = 0; i < res->nfiles; i++) {
            const struct compare_file_stats *fs = &res->files[i];
            if (xs_row(&x, &row)) goto fail;
            xs_str(&x, row, 0, fs->name);
            xs_str(&x, row, 1, r->files[i].title_zh);
            xs_str(&x, row, 2, r->files[i].dept_zh);
            xs_str(&x, row, 3, !fs->present ? "缺失 absent" : fs->gb18030 ? "GB18030" : "UTF-8");
            xs_num(&x, row, 4, (double)fs->rows);
            xs_num(&x, row, 5, (double)fs->valid);
            xs_num(&x, row, 6, (double)fs->in_registry);
            xs_num(&x, row, 7, (double)fs->invalid);
            xs_num(&x, row, 8, (double)fs->bad_values);
        }
    }
    { /* invalid IDs */
        static const char *cols[] = {"文件 file", "行号 line", "问题 problem", "原始内容 cell",
                                     "说明 reason"};
        static const double w[] = {24, 9, 22, 24, 70};
        memset(&x, 0, sizeof x);
        x.wb = wb, x.head = head, x.base = "无效证件号 invalid IDs", x.cols = cols, x.widths = w;
        x.ncols = 5;
        for (size_t i = 0; i < res->nfiles; i++) {
            const struct compare_file_stats *fs = &res->files[i];
            for (size_t k = 0; k < fs->nbad; k++) {
                const struct compare_bad_id *b = &fs->bad[k];
                if (xs_row(&x, &row)) goto fail;
                xs_str(&x, row, 0, fs->name);
                xs_num(&x, row, 1, (double)b->line);
                snprintf(buf, sizeof buf, "%s %s", problem_zh(b->problem),
                         ids_problem_name((enum ids_problem)b->problem));
                xs_str(&x, row, 2, buf);
                xs_str(&x, row, 3, b->raw);
                xs_str(&x, row, 4, b->why);
            }
        }
        if (!x.ws && xs_new(&x)) goto fail;
    }
    err = workbook_close(wb);
    if (err != LXW_NO_ERROR)
        return error_set(e, ERR_IO, "%s: cannot write the workbook: %s", path, lxw_strerror(err));
    return 0;
fail:
    workbook_close(wb);
    return error_set(e, ERR_NOMEM, "%s: cannot add a worksheet", path);
}

/* ------------------------------------------------------------------ store */

/* Appends the compact text of o (jansson, keys in insertion order) to sb and drops o; on
 * failure sb is marked failed (sb_ok). Every JSON document here is built by jansson, so a
 * quote or backslash in a name can never break it (issue 16 item 18). */
static void sb_add_json(struct strbuf *sb, json_t *o)
{
    char *txt = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!txt) {
        sb->oom = 1;
        return;
    }
    sb_adds(sb, txt);
    free(txt); /* jansson's allocator */
}

static void evidence_json(struct strbuf *sb, const struct compare_rules *r,
                          const struct cmp_flag *fl)
{
    json_t *a = json_array();
    for (const struct cmp_ev *ev = fl->ev; ev && a; ev = ev->next) {
        char id[19];
        ids_unpack(ev->person, id);
        json_t *o = json_pack("{s:s, s:I, s:s, s:b}", "file", r->files[ev->file].file, "line",
                              (json_int_t)ev->line, "id", id, "matched", ev->matched == 1);
        /* a near-miss row whose ID failed only its check character */
        if (o && ev->matched == EV_ID_INVALID)
            json_object_set_new(o, "id_invalid", json_string("check"));
        if (o) json_object_set_new(o, "detail", json_string(ev->detail ? ev->detail : ""));
        json_array_append_new(a, o);
    }
    sb_add_json(sb, a);
}

static void files_json(struct strbuf *sb, const struct compare_result *res)
{
    json_t *a = json_array();
    for (size_t i = 0; i < res->nfiles && a; i++) {
        const struct compare_file_stats *fs = &res->files[i];
        json_array_append_new(
            a, json_pack("{s:s, s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "file", fs->name,
                         "present", fs->present, "encoding", fs->gb18030 ? "GB18030" : "UTF-8",
                         "bytes", (json_int_t)fs->bytes, "rows", (json_int_t)fs->rows, "valid",
                         (json_int_t)fs->valid, "in_registry", (json_int_t)fs->in_registry,
                         "invalid", (json_int_t)fs->invalid, "bad_values",
                         (json_int_t)fs->bad_values));
    }
    sb_add_json(sb, a);
}

/* Writes the run and its flags inside a transaction it begins and leaves open on success,
 * so that the caller commits only when the CSV and XLSX are written too; on failure it has
 * rolled back. */
static int store_flags(struct store *s, const struct compare_rules *r, const struct cmp_index *ix,
                       const char *dept_dir, const struct cmp_outcome *oc,
                       struct compare_result *res, struct error *e)
{
    struct audit_writer w;
    struct strbuf sb = STRBUF_INIT, detail = STRBUF_INIT;
    char ref[11], key[32];
    int rc, open = 0;
    int64_t run;
    memset(&w, 0, sizeof w);
    fmt_date(res->reference_date, ref);
    rc = store_begin(s, e);
    if (rc) return rc;
    rc = audit_writer_begin(&w, s, "compare_runs",
                            "rules_id, rules_sha256, rules_text, reference_date, dept_dir, files, "
                            "flags",
                            e);
    if (rc) goto out;
    open = 1;
    files_json(&sb, res);
    if (sb_ok(&sb)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    w.v[1] = rv_text(r->id, strlen(r->id));
    w.v[2] = rv_text(r->sha256, 64);
    w.v[3] = rv_text(r->text, r->text_len);
    w.v[4] = rv_text(ref, 10);
    w.v[5] = rv_text(dept_dir, strlen(dept_dir));
    w.v[6] = rv_text(sb.buf, sb.len);
    w.v[7] = rv_int((int64_t)oc->nflags);
    rc = audit_writer_row(&w, e);
    if (rc) goto out;
    run = w.last_row;
    snprintf(key, sizeof key, "run %lld", (long long)run);
    sb_add_json(&detail, json_pack("{s:I, s:s, s:s}", "flags", (json_int_t)oc->nflags,
                                   "reference_date", ref, "rules", r->id));
    if (sb_ok(&detail)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    open = 0;
    rc = audit_writer_commit(&w, "compare", key, detail.buf, e);
    if (rc) goto out;
    rc = audit_writer_begin_stream(&w, s, "compare_flags",
                            "run, rule, kind, severity, county, household_id, resident, name, "
                            "records, evidence",
                            e);
    if (rc) goto out;
    open = 1;
    for (size_t i = 0; i < oc->nflags; i++) {
        const struct cmp_flag *fl = &oc->flags[i];
        const struct cmp_rule *ru = &r->rules[fl->rule];
        const char *hid = fl->hh ? cmp_hh_id(ix, fl->hh) : NULL;
        sb_reset(&sb);
        evidence_json(&sb, r, fl);
        if (sb_ok(&sb)) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        w.v[1] = rv_int(run);
        w.v[2] = rv_text(ru->id, strlen(ru->id));
        w.v[3] = rv_text(ru->kind, strlen(ru->kind));
        w.v[4] = rv_text(ru->severity, strlen(ru->severity));
        w.v[5] = rv_int(fl->county);
        w.v[6] = hid ? rv_text(hid, strlen(hid)) : rv_null();
        w.v[7] = fl->person ? rv_int((int64_t)fl->person) : rv_null();
        w.v[8] = fl->name ? rv_text(fl->name, strlen(fl->name)) : rv_null();
        w.v[9] = rv_int(fl->records);
        w.v[10] = rv_text(sb.buf, sb.len);
        rc = audit_writer_row(&w, e);
        if (rc) goto out;
    }
    open = 0;
    rc = audit_writer_commit(&w, "compare", key, detail.buf, e);
    if (!rc) res->run = run; /* the caller commits (or rolls back) */
out:
    if (open) audit_writer_abort(&w);
    if (rc) store_rollback(s);
    sb_release(&sb);
    sb_release(&detail);
    return rc;
}

/* ------------------------------------------------------------------ output */

/* The CSV and XLSX, written to temporary names by a thread with its own read-only connection
 * (for the names) while the main thread writes the store. */
struct file_writer {
    struct store *s; /* borrowed, or NULL: open url */
    const char *url;
    const struct compare_rules *r;
    const struct cmp_index *ix;
    const struct cmp_outcome *oc;
    const struct compare_result *res;
    const char *csv_tmp, *xlsx_tmp;
    int rc;
    struct error e;
};

static void *write_files(void *arg)
{
    struct file_writer *fw = arg;
    struct store *own = NULL, *s = fw->s;
    struct namer nm = {0};
    int rc = 0;
    if (!s) {
        rc = store_open(fw->url, STORE_READONLY, &own, &fw->e);
        s = own;
    }
    /* members has no index on resident: go through the household */
    if (!rc)
        rc = store_prepare(s, "SELECT name FROM members WHERE household = ? AND resident = ?",
                           &nm.by_id, &fw->e);
    if (!rc)
        rc = store_prepare(s, "SELECT name FROM members WHERE household = ? AND relation = 'head'",
                           &nm.head, &fw->e);
    if (!rc && fw->csv_tmp) rc = write_csv(fw->csv_tmp, fw->r, fw->ix, fw->oc, &nm, &fw->e);
    if (!rc && fw->xlsx_tmp)
        rc = write_xlsx(fw->xlsx_tmp, fw->r, fw->ix, fw->oc, &nm, fw->res, &fw->e);
    stmt_finalize(nm.by_id);
    stmt_finalize(nm.head);
    store_close(own);
    fw->rc = rc;
    return NULL;
}

static char *tmp_name(const char *path)
{
    struct strbuf sb = STRBUF_INIT;
    sb_addf(&sb, "%s.tmp", path);
    return sb_detach(&sb, NULL);
}

int cmp_output(struct store *s, const struct compare_rules *r, const struct cmp_index *ix,
               const char *dept_dir, const struct compare_opts *o, struct cmp_outcome *oc,
               struct compare_result *res, struct error *e)
{
    struct file_writer fw;
    pthread_t tid;
    int rc = 0, threaded = 0;
    memset(&fw, 0, sizeof fw);
    fw.r = r, fw.ix = ix, fw.oc = oc, fw.res = res, fw.url = o->db_url;
    fw.s = o->db_url && !o->no_store ? NULL : s;
    if (o->csv_path && !(fw.csv_tmp = tmp_name(o->csv_path))) rc = ERR_NOMEM;
    if (o->xlsx_path && !(fw.xlsx_tmp = tmp_name(o->xlsx_path))) rc = ERR_NOMEM;
    if (rc) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    if (fw.csv_tmp || fw.xlsx_tmp) {
        if (!fw.s && pthread_create(&tid, NULL, write_files, &fw) == 0)
            threaded = 1;
        else {
            if (!fw.s) fw.s = s;
            write_files(&fw);
        }
    }
    /* (fw.rc may be read only after the join when the writer is a thread) */
    if (!o->no_store && (threaded || !fw.rc)) rc = store_flags(s, r, ix, dept_dir, oc, res, e);
    if (threaded) pthread_join(tid, NULL);
    if (!rc && fw.rc) {
        rc = fw.rc;
        *e = fw.e;
    }
    if (!o->no_store && store_in_transaction(s)) {
        if (!rc)
            rc = store_commit(s, e);
        else
            store_rollback(s);
    }
    if (rc) {
        res->run = 0;
        goto out;
    }
    /* the store has the run: now the files take their names */
    if (fw.csv_tmp && rename(fw.csv_tmp, o->csv_path)) {
        rc = error_set(e, ERR_IO, "%s: cannot rename into place", o->csv_path);
        goto out;
    }
    if (fw.xlsx_tmp && rename(fw.xlsx_tmp, o->xlsx_path))
        rc = error_set(e, ERR_IO, "%s: cannot rename into place", o->xlsx_path);
out:
    if (fw.csv_tmp) unlink(fw.csv_tmp);
    if (fw.xlsx_tmp) unlink(fw.xlsx_tmp);
    mem_free((char *)fw.csv_tmp);
    mem_free((char *)fw.xlsx_tmp);
    return rc;
}

/* Files in dept_dir that no rules entry reads, sorted: "notes.txt, x.csv". 0 or ERR_NOMEM. */
static int list_ignored(const struct compare_rules *r, const char *dept_dir, char *out, size_t size)
{
    DIR *d = opendir(dept_dir);
    struct dirent *de;
    char *names[256];
    size_t n = 0, len = 0;
    int rc = 0;
    out[0] = '\0';
    if (!d) return 0;
    while ((de = readdir(d)) && n < 256) {
        int known = de->d_name[0] == '.';
        for (size_t i = 0; !known && i < r->nfiles; i++)
            known = !strcmp(de->d_name, r->files[i].file);
        if (known) continue;
        if (!(names[n] = mem_strdup(de->d_name))) {
            rc = ERR_NOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && strcmp(names[k - 1], names[k]) > 0; k--) {
            char *t = names[k];
            names[k] = names[k - 1];
            names[k - 1] = t;
        }
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(out + len, size - len, "%s%s", i ? ", " : "", names[i]);
        if (w > 0 && (size_t)w < size - len) len += (size_t)w;
        mem_free(names[i]);
    }
    return rc;
}

int compare_run(struct store *s, const struct compare_rules *r, const char *dept_dir,
                const struct compare_opts *o, struct compare_result *res, struct error *e)
{
    struct compare_opts dflt = {0};
    struct error etmp;
    struct cmp_index ix;
    struct cmp_outcome oc;
    struct stat sb;
    double t0 = clock_seconds(), t1;
    int rc, threads;
    if (!e) e = &etmp;
    if (!o) o = &dflt;
    memset(res, 0, sizeof *res);
    memset(&ix, 0, sizeof ix);
    memset(&oc, 0, sizeof oc);
    if (stat(dept_dir, &sb) || !S_ISDIR(sb.st_mode))
        return error_set(e, ERR_IO, "%s: not a folder of department files", dept_dir);
    res->reference_date = o->reference_date ? o->reference_date : r->reference_date;
    res->files = mem_calloc(r->nfiles, sizeof *res->files);
    res->rules = mem_calloc(r->nrules, sizeof *res->rules);
    if (!res->files || !res->rules) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    res->nfiles = r->nfiles;
    res->nrules = r->nrules;
    for (size_t i = 0; i < r->nfiles; i++) {
        const struct cmp_file *f = &r->files[i];
        snprintf(res->files[i].id, sizeof res->files[i].id, "%s", f->id);
        snprintf(res->files[i].name, sizeof res->files[i].name, "%s", f->file);
        snprintf(res->files[i].title, sizeof res->files[i].title, "%s / %s", f->title_zh,
                 f->title_en);
    }
    for (size_t i = 0; i < r->nrules; i++) {
        const struct cmp_rule *ru = &r->rules[i];
        struct compare_rule_stats *rs = &res->rules[i];
        snprintf(rs->id, sizeof rs->id, "%s", ru->id);
        snprintf(rs->zh, sizeof rs->zh, "%s", ru->zh);
        snprintf(rs->en, sizeof rs->en, "%s", ru->en);
        snprintf(rs->kind, sizeof rs->kind, "%s", ru->kind);
        snprintf(rs->severity, sizeof rs->severity, "%s", ru->severity);
    }
    if (list_ignored(r, dept_dir, res->ignored, sizeof res->ignored)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    threads = o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    rc = cmp_index_load(s, o->db_url, threads, &ix, e);
    if (rc) goto out;
    res->members = (int64_t)ix.nmembers;
    res->households = (int64_t)ix.households;
    t1 = clock_seconds();
    res->seconds_index = t1 - t0;
    rc = cmp_engine_run(r, &ix, dept_dir, o, res->reference_date,
                        o->today ? o->today : date_today(), res, &oc, e);
    if (rc) goto out;
    t1 = clock_seconds();
    rc = cmp_output(s, r, &ix, dept_dir, o, &oc, res, e);
    res->seconds_output = clock_seconds() - t1;
out:
    cmp_outcome_release(&oc);
    cmp_index_release(&ix);
    res->seconds_total = clock_seconds() - t0;
    if (rc) compare_result_release(res);
    return rc;
}

void compare_result_release(struct compare_result *res)
{
    for (size_t i = 0; res->files && i < res->nfiles; i++) mem_free(res->files[i].bad);
    for (size_t i = 0; res->counties && i < res->ncounties; i++) mem_free(res->counties[i].flags);
    mem_free(res->files);
    mem_free(res->rules);
    mem_free(res->counties);
    memset(res, 0, sizeof *res);
}

/* ------------------------------------------------------------------ printing */

static void thousands(char *buf, size_t size, int64_t v)
{
    struct strbuf sb = STRBUF_INIT;
    sb_add_thousands(&sb, v);
    snprintf(buf, size, "%s", sb_ok(&sb) ? "?" : sb.buf);
    sb_release(&sb);
}

void compare_result_print(FILE *f, const struct compare_result *res)
{
    char a[32], b[32], c[32], d[32];
    char ref[11];
    fmt_date(res->reference_date, ref);
    fprintf(f, "registry: %s members in %s households; reference date %s\n",
            (thousands(a, sizeof a, res->members), a), (thousands(b, sizeof b, res->households), b),
            ref);
    fprintf(f, "\ndepartment files / 部门数据文件:\n");
    fprintf(f, "  %-26s %12s %12s %12s %10s  %s\n", "file", "rows", "valid IDs", "in roster",
            "invalid", "encoding");
    for (size_t i = 0; i < res->nfiles; i++) {
        const struct compare_file_stats *fs = &res->files[i];
        if (!fs->present) {
            fprintf(f, "  %-26s absent / 缺失: its rules were not applied\n", fs->name);
            continue;
        }
        thousands(a, sizeof a, fs->rows);
        thousands(b, sizeof b, fs->valid);
        thousands(c, sizeof c, fs->in_registry);
        thousands(d, sizeof d, fs->invalid);
        fprintf(f, "  %-26s %12s %12s %12s %10s  %s\n", fs->name, a, b, c, d,
                fs->gb18030 ? "GB18030" : "UTF-8");
    }
    if (res->ignored[0]) fprintf(f, "  not read (no rule reads them): %s\n", res->ignored);
    for (size_t i = 0; i < res->nfiles; i++) {
        const struct compare_file_stats *fs = &res->files[i];
        int first = 1;
        if (!fs->invalid && !fs->bad_values) continue;
        if (fs->invalid) {
            fprintf(f, "\n%s: %lld invalid resident IDs / 无效身份证号 (", fs->name,
                    (long long)fs->invalid);
            for (int p = 1; p < IDS_PROBLEM_COUNT; p++)
                if (fs->by_problem[p]) {
                    fprintf(f, "%s%s %s %lld", first ? "" : ", ", problem_zh(p),
                            ids_problem_name((enum ids_problem)p), (long long)fs->by_problem[p]);
                    first = 0;
                }
            fprintf(f, ")%s\n", fs->nbad < (size_t)fs->invalid ? "; the first:" : ":");
            for (size_t k = 0; k < fs->nbad; k++) {
                char m[64];
                mask_id(fs->bad[k].raw, m, sizeof m);
                fprintf(f, "  line %-9ld %-20s %s\n", fs->bad[k].line,
                        ids_problem_name((enum ids_problem)fs->bad[k].problem), m);
            }
        }
        if (fs->bad_values)
            fprintf(f, "%s: %lld values a rule reads could not be read; the first: %s\n", fs->name,
                    (long long)fs->bad_values, fs->bad_value_note);
    }
    fprintf(f, "\nflags per rule / 各规则标记数:\n");
    fprintf(f, "  %-3s %-28s %-10s %-6s %10s %11s %8s  %s\n", "#", "rule", "kind", "sev.", "flags",
            "households", "absent", "规则");
    for (size_t i = 0; i < res->nrules; i++) {
        const struct compare_rule_stats *rs = &res->rules[i];
        thousands(a, sizeof a, rs->flags);
        thousands(b, sizeof b, rs->households);
        thousands(c, sizeof c, rs->absent);
        fprintf(f, "  %-3zu %-28s %-10s %-6s %10s %11s %8s  %s%s\n", i + 1, rs->id, rs->kind,
                rs->severity, rs->applied ? a : "-", rs->applied ? b : "-", rs->applied ? c : "-",
                rs->zh, rs->applied ? "" : " (not applied: file absent)");
    }
    thousands(a, sizeof a, res->flags);
    fprintf(f, "  %-3s %-28s %-10s %-6s %10s\n", "", "total / 合计", "", "", a);
    fprintf(f, "\nflags per county and rule / 分县分规则标记数 (columns: rule numbers above):\n");
    fprintf(f, "  %-7s %-12s", "county", "name");
    for (size_t i = 0; i < res->nrules; i++) fprintf(f, " %6zu", i + 1);
    fprintf(f, " %8s\n", "total");
    for (size_t k = 0; k < res->ncounties; k++) {
        const struct compare_county_stats *cs = &res->counties[k];
        const char *name = cs->name[0] ? cs->name : "(other)";
        /* pad by display width: a CJK character (3 bytes in UTF-8) is two columns wide */
        size_t chars = utf8_len(name), width = chars + (strlen(name) - chars) / 2;
        fprintf(f, "  %-7d %s%*s", cs->code, name, width < 12 ? (int)(12 - width) : 0, "");
        for (size_t i = 0; i < res->nrules; i++) fprintf(f, " %6lld", (long long)cs->flags[i]);
        fprintf(f, " %8lld\n", (long long)cs->total);
    }
    fprintf(f,
            "\ntimes: index %.2f s, department files %.2f s (%d thread%s), output %.2f s, "
            "total %.2f s\n",
            res->seconds_index, res->seconds_files, res->threads, res->threads == 1 ? "" : "s",
            res->seconds_output, res->seconds_total);
}

/* ------------------------------------------------------------------ explain */

/* What explain shows of a person: masked, or in full when the user asked (--unmasked). */
static void show_id(const char *id, int unmasked, char *out, size_t size)
{
    if (unmasked)
        snprintf(out, size, "%s", id);
    else
        mask_id(id, out, size);
}

static void show_name(struct strbuf *sb, const char *name, int unmasked)
{
    if (unmasked)
        sb_adds(sb, name);
    else
        mask_name(sb, name);
}

/* The registry's side of a household, as the rules read it. */
struct subject {
    int found, registered, cat; /* HH_CAT_* */
    int has_income, has_standard;
    double income, standard;
    int64_t county;
    char county_name[64];
};

static const char *cat_label(int cat)
{
    static const char *l[4] = {"一般农户 general", "未脱贫户 unexited", "已脱贫户 exited",
                               "返贫户 returned"};
    return cat >= 0 && cat < 4 ? l[cat] : "?";
}

static int load_subject(struct store *s, const char *household_id, struct subject *sj,
                        struct error *e)
{
    struct stmt *st = NULL;
    int rc;
    memset(sj, 0, sizeof *sj);
    rc = store_prepare(s,
                       "SELECT h.registered, h.exit_year, h.returned, h.income, "
                       "c.allowance_standard, c.name, h.village / 1000000 FROM households h "
                       "LEFT JOIN counties c ON c.code = h.village / 1000000 "
                       "WHERE h.household_id = ?",
                       &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, household_id, strlen(household_id));
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) {
        sj->found = 1;
        sj->registered = (int)stmt_int(st, 0);
        sj->cat = !sj->registered                    ? HH_CAT_GENERAL
                  : stmt_int(st, 2)                  ? HH_CAT_RETURNED
                  : stmt_type(st, 1) == STORE_NULL   ? HH_CAT_UNEXITED
                                                     : HH_CAT_EXITED;
        sj->has_income = stmt_type(st, 3) != STORE_NULL;
        sj->income = stmt_double(st, 3);
        sj->has_standard = stmt_type(st, 4) != STORE_NULL;
        sj->standard = stmt_double(st, 4);
        if (stmt_type(st, 5) != STORE_NULL)
            snprintf(sj->county_name, sizeof sj->county_name, "%s", stmt_text(st, 5));
        sj->county = stmt_int(st, 6);
    }
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* "户主 head 王** 340123********0013" of household_id into sb (nothing if it has no head). */
static void head_of_household(struct stmt *head, const char *household_id, int unmasked,
                              struct strbuf *sb)
{
    stmt_bind_text(head, 1, household_id, strlen(household_id));
    if (stmt_step(head, NULL) == STORE_ROW) {
        char id[19], shown[32];
        ids_unpack((uint64_t)stmt_int(head, 1), id);
        show_id(id, unmasked, shown, sizeof shown);
        sb_adds(sb, "户主 head ");
        show_name(sb, stmt_text(head, 0), unmasked);
        sb_addf(sb, " %s", shown);
    }
    stmt_reset(head);
}

/* The change-log note of an explain that shows names and IDs in full: who saw whose. */
static int note_unmasked(struct store *s, const char *household_id, const char *resident,
                         int64_t run, struct error *e)
{
    json_t *o = json_pack("{s:b, s:I, s:s}", "unmasked", 1, "run", (json_int_t)run,
                          household_id ? "household" : "person",
                          household_id ? household_id : resident);
    char *d = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc;
    json_decref(o);
    if (!d) return error_set(e, ERR_NOMEM, "out of memory");
    rc = store_begin(s, e);
    if (!rc) rc = audit_note(s, "compare explain", "compare_flags",
                             household_id ? household_id : "person", d, e);
    if (!rc)
        rc = store_commit(s, e);
    else if (store_in_transaction(s))
        store_rollback(s);
    free(d); /* jansson's allocator */
    return rc;
}

int compare_explain(struct store *s, const char *household_id, const char *resident, int64_t run,
                    int unmasked, FILE *f, struct error *e)
{
    struct stmt *st = NULL, *nm = NULL, *head = NULL;
    struct compare_rules *r = NULL;
    struct strbuf rules = STRBUF_INIT, sb = STRBUF_INIT;
    struct subject sj;
    struct error etmp;
    int64_t n = 0;
    char ref[16] = "";
    struct rid rid;
    int rc;
    if (!e) e = &etmp;
    memset(&sj, 0, sizeof sj);
    if (!run) {
        /* a store where compare never ran has no compare_runs table: the query fails */
        if (store_query_int(s, "SELECT max(row_no) FROM compare_runs", 0, &run, e) || !run)
            return error_set(e, ERR_NOTFOUND,
                             "no comparison has been run in this store (pinggu compare)");
    }
    if (!household_id) {
        if (!resident || ids_parse(resident, strlen(resident), 0, &rid, NULL, 0) != IDS_OK)
            return error_set(e, ERR_USAGE, "give a household ID, or a valid resident ID");
    }
    rc = store_prepare(s, "SELECT rules_text, reference_date FROM compare_runs WHERE row_no = ?",
                       &st, e);
    if (rc) goto out;
    stmt_bind_int(st, 1, run);
    rc = stmt_step(st, e);
    if (rc < 0) goto out;
    if (rc != STORE_ROW) {
        rc = error_set(e, ERR_NOTFOUND, "no comparison run %lld", (long long)run);
        goto out;
    }
    sb_add(&rules, stmt_text(st, 0), stmt_len(st, 0));
    snprintf(ref, sizeof ref, "%s", stmt_text(st, 1));
    stmt_finalize(st);
    st = NULL;
    if (sb_ok(&rules)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = compare_rules_parse("(rules of the run)", rules.buf, rules.len, &r, NULL, e);
    if (rc) goto out;
    /* logged before anything is shown: an attempt is on record whatever it finds */
    if (unmasked && (rc = note_unmasked(s, household_id, household_id ? NULL : rid.s, run, e)))
        goto out;
    if (household_id && (rc = load_subject(s, household_id, &sj, e))) goto out;
    rc = store_prepare(s,
                       household_id
                           ? "SELECT rule, kind, severity, county, household_id, resident, name, "
                             "records, evidence FROM compare_flags WHERE run = ? AND "
                             "household_id = ? ORDER BY row_no"
                           : "SELECT rule, kind, severity, county, household_id, resident, name, "
                             "records, evidence FROM compare_flags WHERE run = ? AND "
                             "resident = ? AND household_id IS NULL ORDER BY row_no",
                       &st, e);
    if (rc) goto out;
    rc = store_prepare(s,
                       "SELECT m.name, m.relation FROM members m JOIN households h ON "
                       "m.household = h.row_no WHERE h.household_id = ? AND m.resident = ?",
                       &nm, e);
    if (rc) goto out;
    rc = store_prepare(s,
                       "SELECT m.name, m.resident FROM members m JOIN households h ON "
                       "m.household = h.row_no WHERE h.household_id = ? AND m.relation = 'head' "
                       "ORDER BY m.row_no LIMIT 1",
                       &head, e);
    if (rc) goto out;
    stmt_bind_int(st, 1, run);
    if (household_id)
        stmt_bind_text(st, 2, household_id, strlen(household_id));
    else
        stmt_bind_int(st, 2, (int64_t)rid.key);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        const char *rule = stmt_text(st, 0);
        const struct cmp_rule *ru = NULL;
        json_t *ev;
        json_error_t jerr;
        char shown[32];
        for (size_t i = 0; i < r->nrules; i++)
            if (!strcmp(r->rules[i].id, rule)) ru = &r->rules[i];
        if (!n++) {
            if (household_id) {
                fprintf(f,
                        "户 household %s (县 county %lld%s%s) — 比对 run %lld, 参考日期 "
                        "reference date %s\n",
                        household_id, (long long)stmt_int(st, 3), sj.county_name[0] ? " " : "",
                        sj.county_name, (long long)run, ref);
                sb_reset(&sb);
                head_of_household(head, household_id, unmasked, &sb);
                if (sj.found)
                    fprintf(f, "类别 category: %s%s%s\n", cat_label(sj.cat),
                            sb.len && !sb_ok(&sb) ? "; " : "", sb_ok(&sb) ? "" : sb.buf);
            } else {
                show_id(rid.s, unmasked, shown, sizeof shown);
                fprintf(f,
                        "名册外人员 person absent from the roster %s (region %lld) — 比对 run "
                        "%lld, 参考日期 reference date %s\n",
                        shown, (long long)stmt_int(st, 3), (long long)run, ref);
            }
            if (unmasked)
                fprintf(f, "完整姓名和身份证号 names and IDs in full (--unmasked, logged for %s)\n",
                        audit_actor());
        }
        fprintf(f, "\n[%lld] %s %s · %s · %s\n", (long long)n, cmp_severity_zh(stmt_text(st, 2)),
                stmt_text(st, 2), cmp_kind_zh(stmt_text(st, 1)), rule);
        if (ru) fprintf(f, "    %s / %s\n    依据 seed: %s\n", ru->zh, ru->en, ru->seed);
        if (ru && sj.found && (ru->cats || ru->below_allowance)) {
            /* what the decision read from the registry */
            fprintf(f, "    registry / 建档立卡: 类别 category %s", cat_label(sj.cat));
            if (ru->cats) {
                int first = 1;
                fprintf(f, " (the rule takes:");
                for (int c = 1; c < 4; c++)
                    if (ru->cats & (1u << c)) {
                        fprintf(f, "%s %s", first ? "" : ",", cat_label(c));
                        first = 0;
                    }
                fprintf(f, ")");
            }
            if (ru->below_allowance) {
                if (sj.has_income && sj.has_standard)
                    fprintf(f, "; 人均纯收入 income %.2f %s 县低保标准 county allowance standard %.2f",
                            sj.income, sj.income < sj.standard ? "<" : ">=", sj.standard);
                else
                    fprintf(f, "; 人均纯收入 income %s, 县低保标准 standard %s",
                            sj.has_income ? "recorded" : "not recorded",
                            sj.has_standard ? "recorded" : "unknown");
            }
            fprintf(f, "\n");
        }
        if (stmt_type(st, 5) != STORE_NULL) {
            char id[19];
            const char *rel = NULL;
            ids_unpack((uint64_t)stmt_int(st, 5), id);
            show_id(id, unmasked, shown, sizeof shown);
            sb_reset(&sb);
            if (stmt_type(st, 6) != STORE_NULL) {
                show_name(&sb, stmt_text(st, 6), unmasked);
            } else if (household_id) {
                stmt_bind_text(nm, 1, household_id, strlen(household_id));
                stmt_bind_int(nm, 2, stmt_int(st, 5));
                if (stmt_step(nm, NULL) == STORE_ROW) {
                    show_name(&sb, stmt_text(nm, 0), unmasked);
                    rel = code_zh(codes_relation, stmt_text(nm, 1));
                }
                stmt_reset(nm);
            }
            fprintf(f, "    member / 成员 %s %s%s%s%s\n", shown, sb_ok(&sb) ? "" : sb.buf,
                    rel ? " (" : "", rel ? rel : "", rel ? ")" : "");
        }
        if (ru && ru->none) {
            fprintf(f, "    no record satisfying the rule in / 以下名册中无符合条件的记录:");
            for (size_t k = 0; k < ru->nsrc; k++)
                fprintf(f, "%s %s (%s)", k ? "," : "", r->files[ru->src[k].file].file,
                        r->files[ru->src[k].file].title_zh);
            fprintf(f, "\n");
        }
        ev = json_loadb(stmt_text(st, 8), stmt_len(st, 8), 0, &jerr);
        if (json_is_array(ev)) {
            size_t i, kept = 0;
            json_t *item;
            json_array_foreach(ev, i, item)
            {
                const char *id = json_string_value(json_object_get(item, "id"));
                const char *file = json_string_value(json_object_get(item, "file"));
                const char *detail = json_string_value(json_object_get(item, "detail"));
                int invalid = json_object_get(item, "id_invalid") != NULL;
                const char *rel = NULL;
                show_id(id ? id : "", unmasked, shown, sizeof shown);
                sb_reset(&sb);
                if (household_id && id && stmt_type(st, 5) == STORE_NULL) {
                    /* a household flag: whose record it is */
                    struct rid mr;
                    if (ids_parse(id, strlen(id), 0, &mr, NULL, 0) == IDS_OK) {
                        stmt_bind_text(nm, 1, household_id, strlen(household_id));
                        stmt_bind_int(nm, 2, (int64_t)mr.key);
                        if (stmt_step(nm, NULL) == STORE_ROW) {
                            show_name(&sb, stmt_text(nm, 0), unmasked);
                            rel = code_zh(codes_relation, stmt_text(nm, 1));
                        }
                        stmt_reset(nm);
                    }
                }
                kept += !invalid;
                fprintf(f, "    %s line %lld: %s   [%s] %s%s%s%s%s%s\n", file ? file : "?",
                        (long long)json_integer_value(json_object_get(item, "line")),
                        detail ? detail : "",
                        invalid ? "证件号校验失败 ID failed its check character; its first 17 "
                                  "digits are this member's, so the record matched nothing"
                        : json_is_true(json_object_get(item, "matched"))
                            ? "符合 satisfies the rule"
                            : "不符合 a record that does not satisfy it",
                        shown, sb.len && !sb_ok(&sb) ? " 成员 member " : "",
                        sb_ok(&sb) ? "" : sb.buf, rel ? " (" : "", rel ? rel : "", rel ? ")" : "");
            }
            if ((int64_t)kept < stmt_int(st, 7))
                fprintf(f, "    ... %lld records in all (the first %zu kept)\n",
                        (long long)stmt_int(st, 7), kept);
        }
        if (ev) json_decref(ev);
    }
    if (rc < 0) goto out;
    rc = 0;
    if (!n)
        rc = error_set(e, ERR_NOTFOUND, "%s has no flag in comparison run %lld",
                       household_id ? household_id : "this person", (long long)run);
out:
    stmt_finalize(st);
    stmt_finalize(nm);
    stmt_finalize(head);
    compare_rules_free(r);
    sb_release(&rules);
    sb_release(&sb);
    return rc;
}

int compare_flags_each(struct store *s, int64_t run, const char *rule, int county,
                       int (*fn)(void *ctx, const struct compare_flag *f), void *ctx,
                       int64_t *run_out, struct error *e)
{
    struct stmt *st = NULL;
    int rc;
    int64_t known = 0;
    if (!run) {
        if (store_query_int(s, "SELECT max(row_no) FROM compare_runs", 0, &run, e) || !run)
            return error_set(e, ERR_NOTFOUND, "no comparison has been run on this store");
    }
    if (run_out) *run_out = run;
    rc = store_prepare(s, "SELECT rules_text FROM compare_runs WHERE row_no = ?", &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, run);
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) {
        /* the rule must be one of that run's rules (its rules file is stored with it) */
        json_error_t je;
        json_t *root = json_loads(stmt_text(st, 0), 0, &je), *rules, *r;
        size_t i;
        rules = root ? json_object_get(root, "rules") : NULL;
        json_array_foreach(rules, i, r) {
            const char *id = json_string_value(json_object_get(r, "id"));
            if (id && !strcmp(id, rule)) known = 1;
        }
        json_decref(root);
        rc = known ? 0 : error_set(e, ERR_NOTFOUND, "run %lld has no rule '%s'", (long long)run, rule);
    } else if (rc == STORE_DONE) {
        rc = error_set(e, ERR_NOTFOUND, "no comparison run %lld", (long long)run);
    }
    stmt_finalize(st);
    st = NULL;
    if (rc) return rc;
    rc = store_prepare(s,
                       "SELECT row_no, rule, kind, severity, county, household_id, resident,"
                       " records FROM compare_flags WHERE run = ? AND rule = ? AND (? = 0 OR"
                       " county = ?) ORDER BY row_no",
                       &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, run);
    stmt_bind_text(st, 2, rule, strlen(rule));
    stmt_bind_int(st, 3, county);
    stmt_bind_int(st, 4, county);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct compare_flag f;
        f.id = stmt_int(st, 0);
        f.rule = stmt_text(st, 1);
        f.kind = stmt_text(st, 2);
        f.severity = stmt_text(st, 3);
        f.county = (int)stmt_int(st, 4);
        f.household_id = stmt_text(st, 5);
        f.resident[0] = '\0';
        if (stmt_type(st, 6) == STORE_INT && stmt_int(st, 6))
            ids_unpack((uint64_t)stmt_int(st, 6), f.resident);
        f.records = stmt_int(st, 7);
        rc = fn(ctx, &f);
        if (rc) break;
    }
    stmt_finalize(st);
    return rc == STORE_DONE ? 0 : rc;
}
