/*
 * report_int.h — private to src/report/: what the writers (html.c, xlsx.c, svg.c) share with
 * the orchestration in report.c: Chinese labels of codes, number formatting, the masking
 * text filter, and the staging of files (write under a temporary name, rename at the end).
 *
 * Labels are static strings; formatting writes into caller buffers. Nothing here allocates
 * except the staging list, whose memory the caller releases with stage_release.
 */
#ifndef PINGGU_REPORT_INT_H
#define PINGGU_REPORT_INT_H

#include "report.h"

/* ---------------------------------------------------------------- labels (static strings) */

const char *rpt_rule_zh(const char *rule);  /* "village.road" -> "通村硬化路" */
const char *rpt_kind_zh(const char *kind);  /* "exit" -> "退出" */
const char *rpt_role_zh(const char *role);  /* "leader" -> "组长" */
const char *rpt_vstratum_zh(const char *s); /* "poor" -> "贫困村" */
const char *rpt_county_type_zh(const char *type);
const char *rpt_region_zh(const char *region);
const char *rpt_unit_level_zh(const char *level);
const char *rpt_position_zh(const char *position);
const char *rpt_outcome_zh(const char *outcome); /* pass -> 达标, fail -> 未达标, na -> 不适用 */

/* A comparison as people write it: "<", "≤", ">", "≥". */
const char *rpt_op(enum plan_op op);
/* A judged bound with "<=" and ">=" written as "≤" and "≥". */
void rpt_bound(const char *bound, char *buf, size_t size);
/* The plan's threshold as text: "< 2%（脱贫人口错退率低于2%）"; "" if none. */
void rpt_threshold_text(const struct verdict *v, char *buf, size_t size);
/* A proportion as a percentage with two decimals ("16.30%"); "—" if not finite. */
void rpt_pct(double x, char *buf, size_t size);
/* The interval "[7.72%, 28.73%]", or "—" when there is none. */
void rpt_interval(const struct est *x, char *buf, size_t size);
/* A plain number without trailing zeros, at most `decimals` decimals ("3.5", "118"). */
void rpt_num(double x, int decimals, char *buf, size_t size);
/* A village item's measured value for people ("2.65%" for the incidence, "是" for yes). */
void rpt_item_value(const struct report_item *it, char *buf, size_t size);
/* The plain-words note for an indicator whose interval straddles its threshold ("" when the
 * interval decides): how many households are behind it, and that the sample cannot tell a
 * county at 0 from one at 5% (or at the interval's ends) — DESIGN §7. */
void rpt_close_note(const struct report_county *c, enum indicator k, struct strbuf *sb);

/* Appends s, masked (report_mask_ids) unless r->unmasked, then HTML-escaped. */
void rpt_html(struct strbuf *sb, const struct report *r, const char *s);
/* s masked unless r->unmasked, into tmp (reset first); returns tmp->buf (borrowed). */
const char *rpt_plain(struct strbuf *tmp, const struct report *r, const char *s);

/* ---------------------------------------------------------------- staging */

/* Files written under temporary names in one folder, renamed together by stage_commit. */
struct stage {
    char dir[1024];
    char (*names)[128]; /* owned: final names */
    size_t n, cap;
};
void stage_init(struct stage *st, const char *dir);
/* The temporary path of `name` (".NAME.tmp" in the folder), into buf. */
void stage_tmp_path(const struct stage *st, const char *name, char *buf, size_t size);
/* Writes data to the temporary name of `name` and records it. */
int stage_write(struct stage *st, const char *name, const char *data, size_t len, struct error *e);
/* Records `name` as written (the caller wrote stage_tmp_path itself, e.g. libxlsxwriter). */
int stage_add(struct stage *st, const char *name, struct error *e);
/* Renames every temporary file to its final name. */
int stage_commit(struct stage *st, struct error *e);
/* mkdir -p of an output folder (ERR_IO if it cannot be made or is not a folder). */
int rpt_make_dirs(const char *dir, struct error *e);
/* Removes the temporary files not yet renamed, frees the list. */
void stage_release(struct stage *st);

/* ---------------------------------------------------------------- the writers */

int rpt_html_index(const struct report *r, struct strbuf *sb);
int rpt_html_county(const struct report *r, const struct report_county *c, struct strbuf *sb);
int rpt_html_problems(const struct report *r, struct strbuf *sb);
/* Page pieces of html.c for the other writers (levels.c). */
void rpt_page_begin(struct strbuf *sb, const struct report *r, const char *title, int landscape);
void rpt_page_end(struct strbuf *sb);
void rpt_page_meta(struct strbuf *sb, const struct report *r);
void rpt_th_row(struct strbuf *sb, const char *const *cols); /* NULL-terminated */
void rpt_td_text(struct strbuf *sb, const struct report *r, const char *s);

/* levels.c: the city and county codes, paired assistance, typical experiences and
 * self-evaluations of a gathered report (into its arena), called by report_gather. */
int rpt_gather_levels(struct store *s, struct report *r, int64_t srow, struct error *e);
/* The county page's part 7 (typical experiences and problems, filled from the store) and 8. */
void rpt_html_county_fields(struct strbuf *sb, const struct report *r,
                            const struct report_county *c);
/* The summary's list of self-evaluation reports with arrival and lateness. */
void rpt_html_selfevals(struct strbuf *sb, const struct report *r);
/* The city report (seed 002 三(一)2's six items) and the paired-assistance report. */
int rpt_html_city(const struct report *r, const struct report_city *city, struct strbuf *sb);
int rpt_html_paired(const struct report *r, const struct report_county *c, struct strbuf *sb);
/* Whether problem p counts among a report's problems (recorded or later, not dismissed). */
int rpt_problem_counts(const struct report_problem *p);

/* Writes the workbook to path (the caller stages it). */
int rpt_xlsx_write(const struct report *r, const char *path, struct error *e);

#endif
