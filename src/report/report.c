/*
 * report.c — the report stage's orchestration (report.h): report_write and report_emit, the
 * staging of files, the Chinese labels and number formats every writer shares, and the text
 * filter that masks resident IDs.
 *
 * Staging (invariant 3 of report.h). Every file goes to ".NAME.tmp" in the output folder —
 * the same file system, so rename(2) is atomic per file — and only when every file has been
 * written completely are they renamed, in the order written, index.html last so that a
 * reader who finds the new index finds the pages it links to. A failure before the renames
 * removes the temporary files and leaves the earlier report untouched.
 *
 * Masking (invariant 1). report_gather already masks names and IDs; the writers pass every
 * text through rpt_html/rpt_plain, which mask any resident ID left in free text (a
 * description typed by a team, a unit code that happens to be an ID) unless the report is
 * unmasked. The filter matches exactly 18 characters — 17 digits and a digit or X — bounded
 * by non-alphanumerics, so household ids (16 digits), village codes (12), tickets (~78
 * digits) and SHA-256 hex (digits bounded by letters) pass untouched.
 */
#include "report_int.h"
#include "../registry/registry.h"
#include "../survey/survey.h"

#include <ctype.h>
#include <jansson.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- labels */

struct label {
    const char *code, *zh;
};

static const char *lookup(const struct label *t, const char *code, const char *dflt)
{
    if (!code) return dflt;
    for (; t->code; t++)
        if (!strcmp(t->code, code)) return t->zh;
    return dflt ? dflt : code;
}

const char *rpt_rule_zh(const char *rule)
{
    static const struct label t[] = {
        {"village.incidence", "贫困发生率"},
        {"village.road", "通村硬化路"},
        {"village.bus", "通客运班车"},
        {"village.water_quality", "饮水水质"},
        {"village.water_litres", "供水量"},
        {"village.water_minutes", "取水往返时间"},
        {"village.water_guarantee", "供水保证率"},
        {"village.power_production", "通动力电"},
        {"village.power_household", "户户通电"},
        {"village.tv", "广播电视户户通"},
        {"village.culture", "综合性文化服务中心"},
        {"village.clinic_area", "卫生室面积"},
        {"village.clinic_rooms", "卫生室功能间"},
        {"village.clinic_staff", "卫生室人员"},
        {"village.doctor", "合格村医"},
        {"village.broadband", "宽带"},
        {"village.economy", "产业与集体经济"},
        {"village.exit", "贫困村退出标准"},
        {"wrong_exit", "错退"},
        {"missed", "漏评"},
        {"missed.team_disagrees", "漏评（考核组判断）"},
        {"four_kinds", "疑似错评（四类人员）"},
        {"approval", "群众认可度"},
        {"case6.policy_effect", "不得退出情形：政策成效不明显"},
        {"case7.newly_included", "不得退出情形：当年新纳入"},
        {"case8.allowance_standard", "不得退出情形：低保标准未超过扶贫标准"},
        {"data.income", "收入与系统不符"},
        {"data.household_size", "家庭人口与系统不符"},
        {"data.members", "家庭成员与系统不符"},
        {"data.status", "户类别与系统不符"},
        {"exit.standard", "脱贫标准"},
        {"exit.income", "收入"},
        {"exit.income_stable", "稳定收入"},
        {"exit.food_clothing", "吃穿不愁"},
        {"exit.water", "饮水安全"},
        {"exit.education", "义务教育"},
        {"exit.medical", "基本医疗"},
        {"exit.housing", "住房安全"},
        {NULL, NULL}};
    return lookup(t, rule, NULL);
}

const char *rpt_kind_zh(const char *kind)
{
    static const struct label t[] = {
        {"identification", "识别"},   {"exit", "退出"},           {"assistance", "帮扶"},
        {"policy", "政策落实"},       {"funds", "资金"},          {"project", "项目"},
        {"data_quality", "数据质量"}, {"discipline", "作风纪律"}, {NULL, NULL}};
    return lookup(t, kind, NULL);
}

const char *rpt_role_zh(const char *role)
{
    static const struct label t[] = {{"leader", "组长"},
                                     {"deputy", "副组长"},
                                     {"liaison", "联系人"},
                                     {"member", "组员"},
                                     {NULL, NULL}};
    return lookup(t, role, NULL);
}

const char *rpt_vstratum_zh(const char *s)
{
    static const struct label t[] = {
        {"poor", "贫困村"}, {"nonpoor", "非贫困村"}, {"all", "村"}, {NULL, NULL}};
    return lookup(t, s, NULL);
}

const char *rpt_county_type_zh(const char *type)
{
    return type && *type ? code_zh(codes_county_type, type) : "";
}

const char *rpt_region_zh(const char *region)
{
    return region && *region ? code_zh(codes_region, region) : "";
}

const char *rpt_unit_level_zh(const char *level)
{
    return level && *level ? code_zh(codes_unit_level, level) : "";
}

const char *rpt_position_zh(const char *position)
{
    return position && *position ? code_zh(codes_position, position) : "";
}

const char *rpt_outcome_zh(const char *outcome)
{
    static const struct label t[] = {
        {"pass", "达标"}, {"fail", "未达标"}, {"na", "不适用"}, {NULL, NULL}};
    return lookup(t, outcome, "");
}

/* ---------------------------------------------------------------- numbers */

void rpt_pct(double x, char *buf, size_t size)
{
    if (!isfinite(x))
        snprintf(buf, size, "—");
    else
        snprintf(buf, size, "%.2f%%", 100 * x);
}

void rpt_interval(const struct est *x, char *buf, size_t size)
{
    if (!x->valid || !isfinite(x->lower) || !isfinite(x->upper))
        snprintf(buf, size, "—");
    else
        snprintf(buf, size, "[%.2f%%, %.2f%%]", 100 * x->lower, 100 * x->upper);
}

void rpt_num(double x, int decimals, char *buf, size_t size)
{
    char *dot;
    size_t n;
    if (!isfinite(x)) {
        snprintf(buf, size, "—");
        return;
    }
    snprintf(buf, size, "%.*f", decimals, x);
    if (!(dot = strchr(buf, '.'))) return;
    n = strlen(buf);
    while (n > 0 && buf[n - 1] == '0') buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '.') buf[--n] = '\0';
    if (!strcmp(buf, "-0")) snprintf(buf, size, "0");
}

const char *rpt_op(enum plan_op op)
{
    switch (op) {
    case PLAN_LT:
        return "<";
    case PLAN_LE:
        return "≤";
    case PLAN_GT:
        return ">";
    default:
        return "≥";
    }
}

void rpt_bound(const char *bound, char *buf, size_t size)
{
    size_t o = 0;
    const char *p = bound ? bound : "";
    while (*p && o + 4 < size) {
        if ((p[0] == '<' || p[0] == '>') && p[1] == '=') {
            memcpy(buf + o, p[0] == '<' ? "≤" : "≥", 3);
            o += 3;
            p += 2;
        } else
            buf[o++] = *p++;
    }
    buf[o] = '\0';
    utf8_trim(buf);
}

void rpt_threshold_text(const struct verdict *v, char *buf, size_t size)
{
    char num[32];
    if (!v->applicable) {
        snprintf(buf, size, "%s", "");
        return;
    }
    rpt_num(100 * v->threshold, 2, num, sizeof num);
    if (v->words[0])
        snprintf(buf, size, "%s %s%%（%s）", rpt_op(v->op), num, v->words);
    else
        snprintf(buf, size, "%s %s%%", rpt_op(v->op), num);
    utf8_trim(buf);
}

void rpt_item_value(const struct report_item *it, char *buf, size_t size)
{
    double d;
    const char *v = it->value ? it->value : "";
    if (!strcmp(v, "yes"))
        snprintf(buf, size, "是");
    else if (!strcmp(v, "no"))
        snprintf(buf, size, "否");
    else if (parse_double(v, &d) == 0) {
        if (it->rule && !strcmp(it->rule, "village.incidence"))
            rpt_pct(d, buf, size);
        else
            rpt_num(d, 2, buf, size);
    } else {
        snprintf(buf, size, "%s", v);
        utf8_trim(buf);
    }
}

void rpt_close_note(const struct report_county *c, enum indicator k, struct strbuf *sb)
{
    const struct est *x = &c->est.ind[k];
    const struct verdict *v = &c->est.v[k];
    char lo[32], hi[32], th[32];
    const char *who;
    if (!v->applicable || !x->valid || v->interval != IV_CLOSE) return;
    rpt_pct(x->lower, lo, sizeof lo);
    rpt_pct(x->upper, hi, sizeof hi);
    rpt_pct(v->threshold, th, sizeof th);
    who = k == IND_WRONG_EXIT ? "脱贫户"
          : k == IND_MISSED   ? "一般农户"
          : k == IND_APPROVAL ? "受访户"
                              : "脱贫户和一般农户";
    sb_addf(sb, "%s：95%%区间 %s—%s 跨越标准 %s（样本%s %lld 户）。", indicator_zh(k), lo, hi, th,
            who, (long long)x->n);
    if (k != IND_APPROVAL && x->lower <= 1e-12 && x->upper >= 0.05)
        sb_addf(sb,
                "真实值为 0 的县与真实值为 5%% 的县都与这一结果相容：样本太小，无法判定"
                "（难以判定）。这是抽样方案的局限，不是对本县的结论；官方判定按点估计作出，"
                "应结合问题线索和核实结果看待。 / With %lld households the sample cannot tell "
                "a county at 0 from one at 5%%: the interval contains both.",
                (long long)x->n);
    else
        sb_addf(sb,
                "真实值在 %s 与 %s 之间的县都与这一结果相容，在抽样误差范围内无法判定达标"
                "与否（难以判定）；官方判定按点估计作出。 / The interval straddles the "
                "threshold: the sample cannot tell a county at %s from one at %s.",
                lo, hi, lo, hi);
}

/* ---------------------------------------------------------------- masking */

static int alnum(unsigned char ch)
{
    return isalnum(ch) != 0;
}

void report_mask_ids(struct strbuf *sb, const char *text)
{
    const char *s = text ? text : "", *p = s, *run = s;
    while (*p) {
        if (isdigit((unsigned char)*p) && (p == s || !alnum((unsigned char)p[-1]))) {
            size_t n = 0;
            while (n < 17 && isdigit((unsigned char)p[n])) n++;
            if (n == 17 && (isdigit((unsigned char)p[17]) || p[17] == 'X' || p[17] == 'x') &&
                !alnum((unsigned char)p[18])) {
                char id[19], m[24];
                memcpy(id, p, 18);
                id[18] = '\0';
                sb_add(sb, run, (size_t)(p - run));
                mask_id(id, m, sizeof m);
                sb_adds(sb, m);
                p += 18;
                run = p;
                continue;
            }
            while (alnum((unsigned char)*p)) p++; /* skip the rest of this run */
            continue;
        }
        p++;
    }
    sb_add(sb, run, (size_t)(p - run));
}

const char *rpt_plain(struct strbuf *tmp, const struct report *r, const char *s)
{
    sb_reset(tmp);
    if (r->unmasked)
        sb_adds(tmp, s ? s : "");
    else
        report_mask_ids(tmp, s);
    return tmp->oom ? "" : tmp->buf;
}

void rpt_html(struct strbuf *sb, const struct report *r, const char *s)
{
    struct strbuf t = STRBUF_INIT;
    if (!s) s = ""; /* a column not filled (a report built by hand) */
    if (r->unmasked)
        sb_add_html(sb, s);
    else {
        report_mask_ids(&t, s);
        if (t.oom)
            sb->oom = 1;
        else
            sb_add_html(sb, t.buf);
        sb_release(&t);
    }
}

/* ---------------------------------------------------------------- staging */

void stage_init(struct stage *st, const char *dir)
{
    memset(st, 0, sizeof *st);
    snprintf(st->dir, sizeof st->dir, "%s", dir);
}

void stage_tmp_path(const struct stage *st, const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/.%s.tmp", st->dir, name);
}

int stage_add(struct stage *st, const char *name, struct error *e)
{
    if (st->n == st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 16;
        char(*p)[128] = mem_realloc(st->names, cap * sizeof *p);
        if (!p) return error_set(e, ERR_NOMEM, "out of memory");
        st->names = p, st->cap = cap;
    }
    snprintf(st->names[st->n++], sizeof st->names[0], "%s", name);
    return 0;
}

int stage_write(struct stage *st, const char *name, const char *data, size_t len, struct error *e)
{
    char path[1200];
    FILE *f;
    int rc;
    stage_tmp_path(st, name, path, sizeof path);
    if ((rc = stage_add(st, name, e))) return rc; /* recorded first: removed on failure */
    if (!(f = fopen(path, "wb")))
        return error_set(e, ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    if (fwrite(data, 1, len, f) != len) rc = error_set(e, ERR_IO, "%s: write failed", path);
    if (fclose(f) != 0 && !rc) rc = error_set(e, ERR_IO, "%s: write failed", path);
    return rc;
}

int stage_commit(struct stage *st, struct error *e)
{
    char from[1200], to[1200];
    for (size_t i = 0; i < st->n; i++) {
        stage_tmp_path(st, st->names[i], from, sizeof from);
        snprintf(to, sizeof to, "%s/%s", st->dir, st->names[i]);
        if (rename(from, to) != 0) {
            int rc = error_set(e, ERR_IO, "%s: cannot rename to %s: %s", from, to, strerror(errno));
            /* the ones before are in place; drop the rest so no temporary stays behind */
            memmove(st->names, st->names + i, (st->n - i) * sizeof st->names[0]);
            st->n -= i;
            return rc;
        }
    }
    st->n = 0;
    return 0;
}

void stage_release(struct stage *st)
{
    char path[1200];
    for (size_t i = 0; i < st->n; i++) {
        stage_tmp_path(st, st->names[i], path, sizeof path);
        unlink(path);
    }
    mem_free(st->names);
    memset(st, 0, sizeof *st);
}

/* mkdir -p for the output folder. */
static int make_dirs(const char *dir, struct error *e)
{
    char buf[1024];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf) return error_set(e, ERR_USAGE, "bad output folder '%s'", dir);
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return error_set(e, ERR_IO, "%s: cannot create folder: %s", buf, strerror(errno));
            buf[i] = c;
        }
    }
    {
        struct stat sbuf;
        if (stat(dir, &sbuf) != 0 || !S_ISDIR(sbuf.st_mode))
            return error_set(e, ERR_IO, "%s: not a folder", dir);
    }
    return 0;
}

int rpt_make_dirs(const char *dir, struct error *e) { return make_dirs(dir, e); }

/* ---------------------------------------------------------------- emit and write */

static int emit_page(struct stage *st, const char *name, struct strbuf *sb, struct error *e)
{
    if (sb_ok(sb)) return error_set(e, ERR_NOMEM, "out of memory writing %s", name);
    return stage_write(st, name, sb->buf, sb->len, e);
}

int report_emit(const struct report *r, const char *dir, size_t *nfiles, struct error *e)
{
    struct stage st;
    struct strbuf sb = STRBUF_INIT;
    char name[128], path[1200];
    size_t written = 0;
    int rc;
    stage_init(&st, dir);
    if ((rc = make_dirs(dir, e))) goto out;
    if (r->level == RL_CITY || r->level == RL_PAIRED) {
        /* the city reports, or the paired-assistance reports, alone (seed 002 六(五)) */
        for (size_t i = 0; r->level == RL_CITY && i < r->ncities; i++) {
            sb_reset(&sb);
            if ((rc = rpt_html_city(r, &r->cities[i], &sb))) goto nomem;
            snprintf(name, sizeof name, "city-%d.html", r->cities[i].code);
            if ((rc = emit_page(&st, name, &sb, e))) goto out;
        }
        for (size_t i = 0; r->level == RL_PAIRED && i < r->ncounties; i++) {
            if (!r->counties[i].paired_with) continue;
            sb_reset(&sb);
            if ((rc = rpt_html_paired(r, &r->counties[i], &sb))) goto nomem;
            snprintf(name, sizeof name, "paired-%d.html", r->counties[i].est.code);
            if ((rc = emit_page(&st, name, &sb, e))) goto out;
        }
        if (!st.n) {
            rc = error_set(e, ERR_NOTFOUND, "%s", r->level == RL_CITY
                                                      ? "no city in this round"
                                                      : "no county of this round receives "
                                                        "paired assistance (县域结对帮扶: "
                                                        "counties.paired_with)");
            goto out;
        }
        written = st.n;
        rc = stage_commit(&st, e);
        goto out;
    }
    for (size_t i = 0; i < r->ncounties; i++) {
        sb_reset(&sb);
        if ((rc = rpt_html_county(r, &r->counties[i], &sb))) goto nomem;
        snprintf(name, sizeof name, "county-%d.html", r->counties[i].est.code);
        if ((rc = emit_page(&st, name, &sb, e))) goto out;
    }
    sb_reset(&sb);
    if ((rc = rpt_html_problems(r, &sb))) goto nomem;
    if ((rc = emit_page(&st, "problems.html", &sb, e))) goto out;
    if ((rc = stage_add(&st, "report.xlsx", e))) goto out;
    stage_tmp_path(&st, "report.xlsx", path, sizeof path);
    if ((rc = rpt_xlsx_write(r, path, e))) goto out;
    sb_reset(&sb);
    if ((rc = rpt_html_index(r, &sb))) goto nomem;
    if ((rc = emit_page(&st, "index.html", &sb, e))) goto out; /* last: it links the rest */
    written = st.n;
    rc = stage_commit(&st, e);
    goto out;
nomem:
    rc = error_set(e, ERR_NOMEM, "out of memory writing the report");
out:
    if (!rc && nfiles) *nfiles = written;
    stage_release(&st);
    sb_release(&sb);
    return rc;
}

/* The change-log note of a report that shows personal data in full: who wrote it, where. */
static int note_unmasked(struct store *s, const char *sample, const char *dir, struct error *e)
{
    json_t *d = json_pack("{s:b, s:s}", "unmasked", 1, "out", dir);
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    int rc;
    json_decref(d);
    if (!text) return error_set(e, ERR_NOMEM, "out of memory");
    rc = store_begin(s, e);
    if (!rc) rc = audit_note(s, "report", "samples", sample, text, e);
    if (!rc)
        rc = store_commit(s, e);
    else if (store_in_transaction(s))
        store_rollback(s);
    free(text);
    return rc;
}

int report_write_level(struct store *s, const char *sample, const char *dir, int unmasked,
                       enum report_level level, struct strbuf *warnings, size_t *nfiles,
                       struct error *e)
{
    struct report *r = NULL;
    int rc = report_gather(s, sample, dir, unmasked, &r, e);
    if (!rc) r->level = level;
    /* logged before anything is written: an attempt that fails is still on record */
    if (!rc && unmasked) rc = note_unmasked(s, sample, dir, e);
    if (!rc) rc = report_emit(r, dir, nfiles, e);
    if (!rc && warnings) report_level_warnings(r, level, warnings);
    report_free(r);
    return rc;
}

int report_write(struct store *s, const char *sample, const char *dir, int unmasked, size_t *nfiles,
                 struct error *e)
{
    return report_write_level(s, sample, dir, unmasked, RL_COUNTY, NULL, nfiles, e);
}
