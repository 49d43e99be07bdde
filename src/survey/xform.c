/*
 * xform.c — a pinggu form (form.c) written as an ODK XForm, the format ODK Collect, KoboCollect
 * and ODK Web Forms read (issue 12; DESIGN §10). `pinggu form xform` prints it; the server
 * publishes it to the field apps.
 *
 * Layout (the ODK XForms specification, https://getodk.github.io/xforms-spec/):
 *   <h:head> title; <model> with itext (Chinese, the default, and English), one <instance>
 *   whose root is <data id="FORM_ID" version="VERSION">, groups and the repeat nested as the
 *   form nests them, meta/instanceID; one <bind> per question.
 *   <h:body> a control per question in form order: input, select1, select, upload (image,
 *   audio), group, group+repeat.
 * Invariants.
 *  1. Every expression goes through expr_xpath (xpath.c), the one translation; what it refuses
 *     refuses the whole form, with the row's JSON path, and nothing is written.
 *  2. References from inside the repeat to a question of the same repeat are relative
 *     (../name), so each instance sees its own member; count() and sum() over the repeat
 *     are absolute, so they see every instance; everything else is absolute.
 *  3. Every text written is XML-escaped (sb_add_html escapes & < > " ').
 *  4. pinggu's warnings have no place in XForms' constraints (an XForms constraint blocks);
 *     each warning check becomes a read-only note NAME__warnK beside its question, relevant
 *     while the question is answered and the check fails. The server drops these names from
 *     a submission and re-checks everything itself (src/survey/validate.c).
 */
#include "survey.h"

#include <string.h>

struct xf {
    const struct form *f;
    const struct xform_opts *o;
    struct strbuf *sb;
    struct error *e;
    int row; /* the row whose expression is being translated */
};

static const char ROOT[] = "/data";
/* field-app mode (xform_opts.field_app): the visit block a phone fills first — which unit
 * (from the units.csv media file), whether it was reached, and why not; every top-level
 * question applies only to a completed visit. */
#define VISIT_DONE "/data/visit/status = 'complete'"
static void text(struct strbuf *sb, const char *s);
static const char *const reason_zh[5] = {"外出", "拒访", "搬迁", "死亡", "查无此户"};

static void visit_instance(struct strbuf *sb)
{
    sb_adds(sb, "<visit><unit/><status/><reason/></visit>");
}

static void visit_binds(struct strbuf *sb)
{
    sb_adds(sb, "<bind nodeset=\"/data/visit/unit\" type=\"string\" required=\"true()\""
                " jr:requiredMsg=\"必答题 / required\"/>\n"
                "<bind nodeset=\"/data/visit/status\" type=\"string\" required=\"true()\""
                " jr:requiredMsg=\"必答题 / required\"/>\n"
                "<bind nodeset=\"/data/visit/reason\" type=\"string\""
                " relevant=\"/data/visit/status = 'nonresponse'\" required=\"true()\""
                " jr:requiredMsg=\"必答题 / required\"/>\n");
}

static void visit_body(struct strbuf *sb)
{
    sb_adds(sb, "<group ref=\"/data/visit\"><label>入户情况 / Visit</label>\n"
                "<select1 ref=\"/data/visit/unit\"><label>调查对象（户编号） / Unit</label>"
                "<hint>本组分配的户及已启用的备选户；被退回的问卷附退回意见 / the pair's units, "
                "with review state and comments</hint>\n"
                "<itemset nodeset=\"instance('units')/root/item\"><value ref=\"name\"/>"
                "<label ref=\"label\"/></itemset></select1>\n"
                "<select1 ref=\"/data/visit/status\"><label>完成情况 / Visit status</label>\n"
                "<item><label>完成 / complete</label><value>complete</value></item>\n"
                "<item><label>未访 / not reached</label><value>nonresponse</value></item>"
                "</select1>\n"
                "<select1 ref=\"/data/visit/reason\"><label>未访原因 / Non-response reason</label>\n");
    for (size_t k = 0; k < 5; k++) {
        sb_addf(sb, "<item><label>%s / ", reason_zh[k]);
        text(sb, field_reasons[k]);
        sb_adds(sb, "</label><value>");
        text(sb, field_reasons[k]);
        sb_adds(sb, "</value></item>\n");
    }
    sb_adds(sb, "</select1>\n</group>\n");
}

/* Appends the absolute path of row r. */
static void abs_path(const struct form *f, int r, struct strbuf *sb)
{
    int chain[64], n = 0;
    for (int p = r; p >= 0 && n < 64; p = f->rows[p].parent) chain[n++] = p;
    sb_adds(sb, ROOT);
    while (n--) sb_addf(sb, "/%s", f->rows[chain[n]].name);
}

static int depth(const struct form *f, int r)
{
    int d = 0;
    for (int p = f->rows[r].parent; p >= 0; p = f->rows[p].parent) d++;
    return d;
}

static int ref_path(void *ctx, const struct expr_ref *ref, struct strbuf *sb, struct error *e)
{
    struct xf *x = ctx;
    const struct form *f = x->f;
    int t = ref->row, c = x->row, rep = f->rows[t].repeat;
    (void)e;
    if (rep >= 0 && f->rows[c].repeat == rep && ref->role != EXPR_ROLE_COUNT &&
        ref->role != EXPR_ROLE_SUM) {
        /* same repeat instance: up from the context node to the repeat, then down */
        int chain[64], n = 0;
        for (int k = depth(f, c) - depth(f, rep); k > 0; k--) sb_adds(sb, "../");
        for (int p = t; p != rep && p >= 0 && n < 64; p = f->rows[p].parent) chain[n++] = p;
        for (int k = n - 1; k >= 0; k--) sb_addf(sb, "%s%s", f->rows[chain[k]].name, k ? "/" : "");
        return 0;
    }
    abs_path(f, t, sb);
    return 0;
}

static int ref_kind(void *ctx, const struct expr_ref *ref);

/* What row r's answer holds; a calculation's, from its expression (the form has no cycles, so
 * this ends). */
static int kind_of(struct xf *x, int r)
{
    const struct form_row *row = &x->f->rows[r];
    if (row->type == FORM_INTEGER || row->type == FORM_DECIMAL) return XPATH_KIND_NUMBER;
    if (row->type == FORM_DATE) return XPATH_KIND_DATE;
    if (row->type == FORM_CALCULATE && row->calculation) {
        struct xpath_env env = {x, ref_path, ref_kind, XPATH_KIND_TEXT, NULL,
                                x->o ? x->o->today : NULL};
        struct strbuf sb = STRBUF_INIT;
        struct error e = {0};
        int kind = XPATH_KIND_TEXT, saved = x->row;
        x->row = r;
        if (expr_xpath(row->calculation, &env, XPATH_VALUE, &sb, &kind, &e)) kind = XPATH_KIND_TEXT;
        x->row = saved;
        sb_release(&sb);
        return kind;
    }
    return XPATH_KIND_TEXT;
}

static int ref_kind(void *ctx, const struct expr_ref *ref)
{
    return kind_of(ctx, ref->row);
}

/* Translates ex (of row r, field `what` for messages) into sb. */
static int xp(struct xf *x, int r, const struct expr *ex, enum xpath_as as, const char *self,
              const char *what, struct strbuf *sb)
{
    struct xpath_env env = {x, ref_path, ref_kind, kind_of(x, r), self, x->o ? x->o->today : NULL};
    struct error e2 = {0};
    int rc;
    x->row = r;
    rc = expr_xpath(ex, &env, as, sb, NULL, &e2);
    if (rc == ERR_NOMEM) return error_set(x->e, rc, "out of memory");
    if (rc) return error_set(x->e, rc, "%s: survey[%d].%s: %s", x->f->path, r, what, e2.msg);
    return 0;
}

static void attr(struct strbuf *sb, const char *name, const char *value)
{
    sb_addf(sb, " %s=\"", name);
    sb_add_html(sb, value);
    sb_addch(sb, '"');
}

static void text(struct strbuf *sb, const char *s)
{
    sb_add_html(sb, s ? s : "");
}

/* ---------------------------------------------------------------- itext */

static void itext_entry(struct strbuf *sb, const char *id, const char *s)
{
    if (!s) return;
    sb_adds(sb, "<text");
    attr(sb, "id", id);
    sb_adds(sb, "><value>");
    text(sb, s);
    sb_adds(sb, "</value></text>\n");
}

static void itext_lang(struct xf *x, int en, struct strbuf *sb)
{
    const struct form *f = x->f;
    struct strbuf id = STRBUF_INIT;
    for (size_t i = 0; i < f->nrows; i++) {
        const struct form_row *row = &f->rows[i];
        const char *label = en ? (row->en ? row->en : row->zh) : (row->zh ? row->zh : row->en);
        const char *hint = en ? (row->hint_en ? row->hint_en : row->hint_zh)
                              : (row->hint_zh ? row->hint_zh : row->hint_en);
        if (!row->name) continue;
        sb_reset(&id);
        abs_path(f, (int)i, &id);
        sb_adds(&id, ":label");
        itext_entry(sb, id.buf, label ? label : row->name);
        if (hint) {
            sb_truncate(&id, id.len - 6);
            sb_adds(&id, ":hint");
            itext_entry(sb, id.buf, hint);
        }
        for (size_t k = 0; k < row->nchecks; k++) {
            const struct form_check *ck = &row->checks[k];
            const char *m = en ? (ck->msg_en ? ck->msg_en : ck->msg_zh)
                               : (ck->msg_zh ? ck->msg_zh : ck->msg_en);
            if (!m) m = ck->expr->src;
            sb_reset(&id);
            abs_path(f, (int)i, &id);
            sb_addf(&id, ":check%zu", k);
            itext_entry(sb, id.buf, m);
        }
    }
    for (size_t l = 0; l < f->nlists; l++)
        for (size_t k = 0; k < f->lists[l].n; k++) {
            const struct form_choice *c = &f->lists[l].choices[k];
            sb_reset(&id);
            sb_addf(&id, "%s-%zu", f->lists[l].name, k);
            itext_entry(sb, id.buf, en ? (c->en ? c->en : c->zh) : (c->zh ? c->zh : c->en));
        }
    sb_release(&id);
}

/* ---------------------------------------------------------------- instance */

static void instance_rows(struct xf *x, int from, int to, int template_of, struct strbuf *sb);

static void instance_row(struct xf *x, int i, struct strbuf *sb, int *next)
{
    const struct form *f = x->f;
    const struct form_row *row = &f->rows[i];
    *next = i + 1;
    if (row->type == FORM_BEGIN_GROUP) {
        sb_addf(sb, "<%s>", row->name);
        instance_rows(x, i + 1, row->end, -1, sb);
        sb_addf(sb, "</%s>", row->name);
        *next = row->end + 1;
        return;
    }
    if (row->type == FORM_BEGIN_REPEAT) {
        /* the template, then one instance (ODK's convention: the first member is there) */
        sb_addf(sb, "<%s jr:template=\"\">", row->name);
        instance_rows(x, i + 1, row->end, i, sb);
        sb_addf(sb, "</%s><%s>", row->name, row->name);
        instance_rows(x, i + 1, row->end, i, sb);
        sb_addf(sb, "</%s>", row->name);
        *next = row->end + 1;
        return;
    }
    if (!row->name) return;
    sb_addf(sb, "<%s/>", row->name);
    for (size_t k = 0; k < row->nchecks; k++)
        if (row->checks[k].severity == FORM_WARNING) sb_addf(sb, "<%s__warn%zu/>", row->name, k);
}

static void instance_rows(struct xf *x, int from, int to, int template_of, struct strbuf *sb)
{
    (void)template_of;
    for (int i = from; i < to;) {
        int next;
        instance_row(x, i, sb, &next);
        i = next;
    }
}

/* ---------------------------------------------------------------- binds */

static const char *bind_type(enum form_type t)
{
    switch (t) {
    case FORM_INTEGER:
        return "int";
    case FORM_DECIMAL:
        return "decimal";
    case FORM_DATE:
        return "date";
    case FORM_GEOPOINT:
        return "geopoint";
    case FORM_IMAGE:
    case FORM_AUDIO:
        return "binary";
    default:
        return "string";
    }
}

static int binds(struct xf *x, struct strbuf *sb)
{
    const struct form *f = x->f;
    struct strbuf path = STRBUF_INIT, ex = STRBUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < f->nrows && !rc; i++) {
        const struct form_row *row = &f->rows[i];
        int r = (int)i, nerr = 0;
        if (!row->name) continue;
        sb_reset(&path);
        abs_path(f, r, &path);
        sb_adds(sb, "<bind");
        attr(sb, "nodeset", path.buf);
        if (row->type != FORM_BEGIN_GROUP && row->type != FORM_BEGIN_REPEAT)
            attr(sb, "type", bind_type(row->type));
        if (row->relevant) {
            sb_reset(&ex);
            if (x->o && x->o->field_app && row->parent < 0) sb_adds(&ex, VISIT_DONE " and (");
            if ((rc = xp(x, r, row->relevant, XPATH_BOOL, NULL, "relevant", &ex))) break;
            if (x->o && x->o->field_app && row->parent < 0) sb_addch(&ex, ')');
            attr(sb, "relevant", ex.buf);
        } else if (x->o && x->o->field_app && row->parent < 0) {
            attr(sb, "relevant", VISIT_DONE);
        }
        if (row->type == FORM_NOTE) attr(sb, "readonly", "true()");
        if (row->calculation) {
            sb_reset(&ex);
            if ((rc = xp(x, r, row->calculation, XPATH_VALUE, NULL, "calculation", &ex))) break;
            attr(sb, "calculate", ex.buf);
            attr(sb, "readonly", "true()");
        }
        if (row->type != FORM_CALCULATE) {
            if (row->required) {
                attr(sb, "required", "true()");
            } else if (row->required_if) {
                sb_reset(&ex);
                if ((rc = xp(x, r, row->required_if, XPATH_BOOL, NULL, "required", &ex))) break;
                attr(sb, "required", ex.buf);
            }
            if (row->required || row->required_if) attr(sb, "jr:requiredMsg", "必答题 / required");
        }
        /* the error checks together, as one constraint; the first one's message */
        sb_reset(&ex);
        for (size_t k = 0; k < row->nchecks; k++) {
            if (row->checks[k].severity != FORM_ERROR) continue;
            if (nerr++) sb_adds(&ex, " and ");
            if ((rc = xp(x, r, row->checks[k].expr, XPATH_BOOL, NULL,
                         k == 0 ? "constraint" : "checks", &ex)))
                break;
        }
        if (rc) break;
        if (nerr) {
            attr(sb, "constraint", ex.buf);
            for (size_t k = 0; k < row->nchecks; k++)
                if (row->checks[k].severity == FORM_ERROR) {
                    sb_addf(sb, " jr:constraintMsg=\"jr:itext('");
                    sb_add_html(sb, path.buf);
                    sb_addf(sb, ":check%zu')\"", k);
                    break;
                }
        }
        sb_adds(sb, "/>\n");
        /* warnings: a note beside the question, shown while the check fails */
        for (size_t k = 0; k < row->nchecks; k++) {
            struct strbuf note = STRBUF_INIT;
            if (row->checks[k].severity != FORM_WARNING) continue;
            sb_reset(&ex);
            /* '.' is the question, seen from its sibling note */
            sb_addf(&note, "../%s", row->name);
            rc = xp(x, r, row->checks[k].expr, XPATH_BOOL, note.buf, "checks", &ex);
            if (!rc) {
                sb_addf(sb, "<bind nodeset=\"%s__warn%zu\" type=\"string\" readonly=\"true()\"",
                        path.buf, k);
                sb_reset(&note);
                /* shown while the question applies, is answered and fails the check (the note
                 * sits beside the question, so the question's own condition reads the same) */
                if (row->relevant) {
                    sb_adds(&note, "(");
                    rc = xp(x, r, row->relevant, XPATH_BOOL, NULL, "relevant", &note);
                    sb_adds(&note, ") and ");
                }
                sb_addf(&note, "../%s != '' and not(%s)", row->name, ex.buf);
                attr(sb, "relevant", note.buf);
            }
            sb_release(&note);
            if (rc) break;
            sb_adds(sb, "/>\n");
        }
    }
    sb_release(&path);
    sb_release(&ex);
    return rc;
}

/* ---------------------------------------------------------------- body */

static void label_ref(struct strbuf *sb, const char *tag, const char *path, const char *what)
{
    sb_addf(sb, "<%s ref=\"jr:itext('", tag);
    sb_add_html(sb, path);
    sb_addf(sb, ":%s')\"/>", what);
}

static void body_rows(struct xf *x, int from, int to, struct strbuf *sb);

static int body_row(struct xf *x, int i, struct strbuf *sb)
{
    const struct form *f = x->f;
    const struct form_row *row = &f->rows[i];
    struct strbuf path = STRBUF_INIT;
    const char *tag = NULL;
    int next = i + 1;
    if (!row->name) return next;
    abs_path(f, i, &path);
    switch (row->type) {
    case FORM_BEGIN_GROUP:
    case FORM_BEGIN_REPEAT:
        sb_adds(sb, "<group");
        attr(sb, "ref", path.buf);
        sb_adds(sb, ">");
        label_ref(sb, "label", path.buf, "label");
        if (row->type == FORM_BEGIN_REPEAT) {
            sb_adds(sb, "\n<repeat");
            attr(sb, "nodeset", path.buf);
            sb_adds(sb, ">\n");
        } else
            sb_adds(sb, "\n");
        body_rows(x, i + 1, row->end, sb);
        sb_adds(sb, row->type == FORM_BEGIN_REPEAT ? "</repeat></group>\n" : "</group>\n");
        next = row->end + 1;
        goto out;
    case FORM_CALCULATE:
        goto out;
    case FORM_SELECT_ONE:
        tag = "select1";
        break;
    case FORM_SELECT_MULTIPLE:
        tag = "select";
        break;
    case FORM_IMAGE:
    case FORM_AUDIO:
        tag = "upload";
        break;
    default:
        tag = "input";
        break;
    }
    sb_addf(sb, "<%s", tag);
    attr(sb, "ref", path.buf);
    if (row->type == FORM_IMAGE) attr(sb, "mediatype", "image/*");
    if (row->type == FORM_AUDIO) attr(sb, "mediatype", "audio/*");
    sb_adds(sb, ">");
    label_ref(sb, "label", path.buf, "label");
    if (row->hint_zh || row->hint_en) label_ref(sb, "hint", path.buf, "hint");
    if (row->list >= 0) {
        const struct form_list *l = &f->lists[row->list];
        for (size_t k = 0; k < l->n; k++) {
            sb_addf(sb, "\n<item><label ref=\"jr:itext('");
            sb_add_html(sb, l->name);
            sb_addf(sb, "-%zu')\"/><value>", k);
            text(sb, l->choices[k].name);
            sb_adds(sb, "</value></item>");
        }
    }
    sb_addf(sb, "</%s>\n", tag);
    for (size_t k = 0; k < row->nchecks; k++)
        if (row->checks[k].severity == FORM_WARNING) {
            sb_addf(sb, "<input ref=\"%s__warn%zu\">", path.buf, k);
            sb_addf(sb, "<label ref=\"jr:itext('%s:check%zu')\"/></input>\n", path.buf, k);
        }
out:
    sb_release(&path);
    return next;
}

static void body_rows(struct xf *x, int from, int to, struct strbuf *sb)
{
    for (int i = from; i < to;) i = body_row(x, i, sb);
}

int form_xform(const struct form *f, const struct xform_opts *o, struct strbuf *sb,
               struct error *e)
{
    struct xf x = {f, o, NULL, e, -1};
    struct strbuf b = STRBUF_INIT, bindsb = STRBUF_INIT;
    int rc;
    x.sb = &b;
    /* the binds first: they hold every translation, so a refusal leaves sb untouched */
    if ((rc = binds(&x, &bindsb))) goto out;
    sb_adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<h:html xmlns=\"http://www.w3.org/2002/xforms\""
                " xmlns:h=\"http://www.w3.org/1999/xhtml\""
                " xmlns:jr=\"http://openrosa.org/javarosa\""
                " xmlns:odk=\"http://www.opendatakit.org/xforms\""
                " xmlns:orx=\"http://openrosa.org/xforms\">\n<h:head>\n<h:title>");
    text(&b, f->title_zh ? f->title_zh : f->id);
    sb_adds(&b, "</h:title>\n<model odk:xforms-version=\"1.0.0\">\n<itext>\n"
                "<translation lang=\"Chinese (zh)\" default=\"true()\">\n");
    itext_lang(&x, 0, &b);
    sb_adds(&b, "</translation>\n<translation lang=\"English (en)\">\n");
    itext_lang(&x, 1, &b);
    sb_adds(&b, "</translation>\n</itext>\n<instance>\n<data");
    attr(&b, "id", f->id);
    attr(&b, "version", f->version);
    sb_adds(&b, ">");
    if (o && o->field_app) visit_instance(&b);
    instance_rows(&x, 0, (int)f->nrows, -1, &b);
    sb_adds(&b, "<meta><instanceID/></meta></data>\n</instance>\n");
    if (o && o->field_app)
        sb_adds(&b, "<instance id=\"units\" src=\"jr://file-csv/units.csv\"/>\n");
    if (o && o->field_app) visit_binds(&b);
    sb_add(&b, bindsb.buf, bindsb.len);
    sb_adds(&b, "<bind nodeset=\"/data/meta/instanceID\" type=\"string\" readonly=\"true()\""
                " jr:preload=\"uid\"/>\n</model>\n</h:head>\n<h:body>\n");
    if (o && o->field_app) visit_body(&b);
    body_rows(&x, 0, (int)f->nrows, &b);
    sb_adds(&b, "</h:body>\n</h:html>\n");
    if ((rc = sb_ok(&b))) {
        error_set(e, rc, "out of memory");
        goto out;
    }
    sb_add(sb, b.buf, b.len);
    rc = sb_ok(sb) ? error_set(e, ERR_NOMEM, "out of memory") : 0;
out:
    sb_release(&b);
    sb_release(&bindsb);
    return rc;
}
