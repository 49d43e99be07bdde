/*
 * submission.c — an XForm instance as a field app submits it (OpenRosa's xml_submission_file,
 * issue 12) read back into a questionnaire's answers, for the same validation as `field
 * import` (validate.c). The layout is the one xform.c writes: <data id= version=>, groups
 * nested, one element per repeat instance, meta/instanceID and meta/deprecatedID.
 *
 * Outside input, so (invariants):
 *  1. libxml2 parses with network access off, no DTD loading, no entity substitution
 *     (XML_PARSE_NONET, no NOENT/DTDLOAD/DTDATTR); a document with a DOCTYPE is refused
 *     outright, so no entity can expand; libxml2's own limits stay on (no XML_PARSE_HUGE).
 *  2. Depth and element count are bounded (SUBMISSION_MAX_DEPTH, SUBMISSION_MAX_ELEMENTS);
 *     the caller bounds the size. Recursion is bounded by the depth check.
 *  3. Every element is a question, group or repeat of the form, or meta; anything else is an
 *     error naming its path (the answers stay as they were: the caller discards them).
 *  4. The notes xform.c adds for warnings (NAME__warnK) carry no answer and are skipped.
 */
#include "survey.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#define SUBMISSION_MAX_DEPTH    32
#define SUBMISSION_MAX_ELEMENTS 100000

struct rd {
    const struct form *f;
    struct answers *a;
    struct submission_meta *m;
    struct error *e;
    long elements;
};

static int is_warning_note(const char *name)
{
    const char *p = strstr(name, "__warn");
    if (!p || p == name) return 0;
    p += 6;
    if (!*p) return 0;
    for (; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    return 1;
}

/* The element's text (its text children only), trimmed of nothing: answers are validated as
 * typed. Caller frees with xmlFree. */
static char *leaf_text(xmlNode *n, int *has_elements)
{
    *has_elements = 0;
    for (xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) *has_elements = 1;
    return (char *)xmlNodeGetContent(n);
}

static int meta(struct rd *r, xmlNode *n)
{
    for (xmlNode *c = n->children; c; c = c->next) {
        char *t;
        if (c->type != XML_ELEMENT_NODE) continue;
        t = (char *)xmlNodeGetContent(c);
        if (!t) return error_set(r->e, ERR_NOMEM, "out of memory");
        if (!strcmp((const char *)c->name, "instanceID"))
            snprintf(r->m->instance_id, sizeof r->m->instance_id, "%s", t);
        else if (!strcmp((const char *)c->name, "deprecatedID"))
            snprintf(r->m->deprecated_id, sizeof r->m->deprecated_id, "%s", t);
        xmlFree(t);
    }
    return 0;
}

/* The visit block of a field-app form (xform.c's field_app): unit, status, reason. */
static int visit(struct rd *r, xmlNode *n, const char *path)
{
    r->m->has_visit = 1;
    for (xmlNode *c = n->children; c; c = c->next) {
        char *t;
        const char *name = (const char *)c->name;
        if (c->type != XML_ELEMENT_NODE) continue;
        t = (char *)xmlNodeGetContent(c);
        if (!t) return error_set(r->e, ERR_NOMEM, "out of memory");
        if (!strcmp(name, "unit")) snprintf(r->m->unit, sizeof r->m->unit, "%s", t);
        else if (!strcmp(name, "status")) snprintf(r->m->status, sizeof r->m->status, "%s", t);
        else if (!strcmp(name, "reason")) snprintf(r->m->reason, sizeof r->m->reason, "%s", t);
        else {
            xmlFree(t);
            return error_set(r->e, ERR_PARSE, "%s/%s: the visit block has no %s", path, name,
                             name);
        }
        xmlFree(t);
    }
    return 0;
}

/* Reads the children of n (a group or the root: instance -1; a repeat instance: its index). */
static int children(struct rd *r, xmlNode *n, int group_row, long instance, int depth,
                    const char *path)
{
    if (depth > SUBMISSION_MAX_DEPTH)
        return error_set(r->e, ERR_PARSE, "%s: nested deeper than %d elements", path,
                         SUBMISSION_MAX_DEPTH);
    for (xmlNode *c = n->children; c; c = c->next) {
        const char *name = (const char *)c->name;
        char sub[512];
        int row, rc, has_el;
        const struct form_row *fr;
        if (c->type == XML_TEXT_NODE || c->type == XML_COMMENT_NODE ||
            c->type == XML_PI_NODE || c->type == XML_CDATA_SECTION_NODE)
            continue;
        if (c->type != XML_ELEMENT_NODE)
            return error_set(r->e, ERR_PARSE, "%s: unexpected content (entity or other node)",
                             path);
        if (++r->elements > SUBMISSION_MAX_ELEMENTS)
            return error_set(r->e, ERR_PARSE, "more than %d elements", SUBMISSION_MAX_ELEMENTS);
        snprintf(sub, sizeof sub, "%s/%s", path, name);
        if (group_row < 0 && instance < 0 && !strcmp(name, "meta")) {
            if ((rc = meta(r, c))) return rc;
            continue;
        }
        if (group_row < 0 && instance < 0 && !strcmp(name, "visit") &&
            form_find(r->f, "visit") < 0) {
            if ((rc = visit(r, c, sub))) return rc;
            continue;
        }
        if (is_warning_note(name)) continue;
        row = form_find(r->f, name);
        if (row < 0)
            return error_set(r->e, ERR_PARSE, "%s: the form %s has no question %s", sub,
                             r->f->id, name);
        fr = &r->f->rows[row];
        /* the element must sit where the form puts it */
        if (fr->parent != group_row)
            return error_set(r->e, ERR_PARSE, "%s: %s is not a part of %s", sub, name,
                             group_row >= 0 ? r->f->rows[group_row].name : "the form's top level");
        if (fr->type == FORM_BEGIN_GROUP) {
            if ((rc = children(r, c, row, instance, depth + 1, sub))) return rc;
            continue;
        }
        if (fr->type == FORM_BEGIN_REPEAT) {
            long inst;
            if (xmlHasProp(c, (const xmlChar *)"template")) continue; /* never an answer */
            if (answers_add_instance(r->a, name, &inst))
                return error_set(r->e, ERR_PARSE, "%s: cannot add a %s", sub, name);
            if ((rc = children(r, c, row, inst, depth + 1, sub))) return rc;
            continue;
        }
        if (fr->type == FORM_NOTE) continue; /* notes carry no answer */
        {
            char *t = leaf_text(c, &has_el);
            if (!t) return error_set(r->e, ERR_NOMEM, "out of memory");
            if (has_el) {
                xmlFree(t);
                return error_set(r->e, ERR_PARSE, "%s: a question holds elements, not a value",
                                 sub);
            }
            if (*t) {
                rc = instance >= 0 ? answers_set_in(r->a, name, instance, t)
                                   : answers_set(r->a, name, t);
                if (rc) {
                    xmlFree(t);
                    return error_set(r->e, rc == ERR_NOMEM ? ERR_NOMEM : ERR_PARSE,
                                     "%s: cannot record the answer", sub);
                }
            }
            xmlFree(t);
        }
    }
    return 0;
}

void submission_global_init(void)
{
    xmlInitParser();
}

int submission_parse(const struct form *f, const char *xml, size_t len, struct answers *a,
                     struct submission_meta *m, struct error *e)
{
    xmlDoc *doc = NULL;
    xmlNode *root;
    xmlChar *id = NULL, *version = NULL;
    struct rd r = {f, a, m, e, 0};
    int rc = 0;
    memset(m, 0, sizeof *m);
    if (len > (size_t)INT32_MAX) return error_set(e, ERR_PARSE, "submission too large");
    doc = xmlReadMemory(xml, (int)len, "submission.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *x = xmlGetLastError();
        return error_set(e, ERR_PARSE, "not well-formed XML%s%s (line %d)", x ? ": " : "",
                         x && x->message ? x->message : "", x ? x->line : 0);
    }
    if (doc->intSubset || doc->extSubset) {
        rc = error_set(e, ERR_PARSE, "a DOCTYPE is not allowed in a submission");
        goto out;
    }
    root = xmlDocGetRootElement(doc);
    if (!root || strcmp((const char *)root->name, "data")) {
        rc = error_set(e, ERR_PARSE, "the root element must be <data>, not <%s>",
                       root ? (const char *)root->name : "");
        goto out;
    }
    id = xmlGetProp(root, (const xmlChar *)"id");
    version = xmlGetProp(root, (const xmlChar *)"version");
    snprintf(m->form_id, sizeof m->form_id, "%s", id ? (const char *)id : "");
    snprintf(m->version, sizeof m->version, "%s", version ? (const char *)version : "");
    if (strcmp(m->form_id, f->id)) {
        rc = error_set(e, ERR_INVALID, "a submission of form '%s', not of %s", m->form_id, f->id);
        goto out;
    }
    if (strcmp(m->version, f->version)) {
        rc = error_set(e, ERR_INVALID, "form %s version '%s', but the form is at version '%s'",
                       f->id, m->version, f->version);
        goto out;
    }
    rc = children(&r, root, -1, -1, 1, "/data");
out:
    xmlFree(id);
    xmlFree(version);
    xmlFreeDoc(doc);
    return rc;
}
