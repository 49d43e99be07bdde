/*
 * instance.c — XForm instances received over OpenRosa (issue 12, docs/openrosa.md): the
 * instances as received (xform_instances, audited) and their attachments (xform_attachments,
 * audited; the files themselves are evidence, evidence.c), and the one-row CSV files that
 * carry an instance's answers into field_import — so a phone's questionnaire passes exactly
 * the validation and storage of `field import` and nothing of its own.
 *
 * Invariants:
 *  - An instance ID is stored once (unique index); the XML is kept as received with its
 *    SHA-256, so a re-post is recognised (same hash: only missing attachments are added;
 *    another hash: refused by the caller). A deprecatedID makes a new row; the old one stays.
 *  - An attachment name is stored once per instance.
 */
#include "survey.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int instance_find(struct store *s, const char *instance_id, struct xform_instance *out,
                  char **xml, struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s, "SELECT sample, form, unit, user, xml_sha256, deprecated_id, xml, "
                              "held FROM xform_instances WHERE instance_id = ?",
                           &st, e);
    memset(out, 0, sizeof *out);
    if (xml) *xml = NULL;
    if (rc) return rc;
    stmt_bind_text(st, 1, instance_id, strlen(instance_id));
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) {
        snprintf(out->instance_id, sizeof out->instance_id, "%s", instance_id);
        snprintf(out->sample, sizeof out->sample, "%s", stmt_text(st, 0));
        snprintf(out->form, sizeof out->form, "%s", stmt_text(st, 1));
        snprintf(out->unit, sizeof out->unit, "%s", stmt_text(st, 2));
        snprintf(out->user, sizeof out->user, "%s", stmt_text(st, 3));
        snprintf(out->sha, sizeof out->sha, "%s", stmt_text(st, 4));
        snprintf(out->deprecated_id, sizeof out->deprecated_id, "%s", stmt_text(st, 5));
        snprintf(out->held, sizeof out->held, "%s", stmt_text(st, 7));
        if (xml) {
            size_t n = stmt_len(st, 6);
            *xml = mem_alloc(n + 1);
            if (!*xml) rc = error_set(e, ERR_NOMEM, "out of memory");
            else {
                memcpy(*xml, stmt_text(st, 6), n);
                (*xml)[n] = '\0';
                rc = 0;
            }
        } else {
            rc = 0;
        }
    } else if (rc == STORE_DONE) {
        rc = error_set(e, ERR_NOTFOUND, "no instance '%s'", instance_id);
    }
    stmt_finalize(st);
    return rc;
}

int instance_store(struct store *s, const struct xform_instance *in, const char *xml,
                   size_t len, struct error *e)
{
    struct audit_writer w;
    char at[32];
    int rc, own = !store_in_transaction(s);
    clock_iso_utc(at);
    if (own && (rc = store_begin(s, e))) return rc;
    rc = audit_writer_begin(&w, s, "xform_instances",
                            "instance_id, sample, form, unit, user, xml_sha256, xml, "
                            "deprecated_id, at, held",
                            e);
    if (rc) {
        if (own) store_rollback(s);
        return rc;
    }
    w.v[1] = rv_text(in->instance_id, strlen(in->instance_id));
    w.v[2] = rv_text(in->sample, strlen(in->sample));
    w.v[3] = rv_text(in->form, strlen(in->form));
    w.v[4] = rv_text(in->unit, strlen(in->unit));
    w.v[5] = rv_text(in->user, strlen(in->user));
    w.v[6] = rv_text(in->sha, strlen(in->sha));
    w.v[7] = rv_text(xml, len);
    w.v[8] = rv_text(in->deprecated_id, strlen(in->deprecated_id));
    w.v[9] = rv_text(at, strlen(at));
    w.v[10] = rv_text(in->held, strlen(in->held));
    rc = audit_writer_row(&w, e);
    if (!rc) rc = audit_writer_commit(&w, "openrosa_instance", in->instance_id, NULL, e);
    else audit_writer_abort(&w);
    if (own) {
        if (!rc) rc = store_commit(s, e);
        else store_rollback(s);
    }
    return rc;
}

int instance_has_attachment(struct store *s, const char *instance_id, const char *name,
                            int *has, struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s, "SELECT count(*) FROM xform_attachments WHERE instance_id = ? AND "
                              "name = ?",
                           &st, e);
    *has = 0;
    if (rc) return rc;
    stmt_bind_text(st, 1, instance_id, strlen(instance_id));
    stmt_bind_text(st, 2, name, strlen(name));
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) *has = stmt_int(st, 0) > 0, rc = 0;
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int instance_attach_staged(struct store *s, const struct xform_instance *in, const char *name,
                           const char *evname, struct evidence_staged *st, struct error *e)
{
    struct audit_writer w;
    int64_t nlinked = 0;
    int rc, own = !store_in_transaction(s);
    if (own && (rc = store_begin(s, e))) return rc;
    rc = evidence_add_staged(s, in->unit, in->sample, &evname, st, 1, &nlinked, e);
    if (!rc) rc = audit_writer_begin(&w, s, "xform_attachments", "instance_id, name, sha256, size", e);
    if (rc) {
        if (own) store_rollback(s);
        return rc;
    }
    w.v[1] = rv_text(in->instance_id, strlen(in->instance_id));
    w.v[2] = rv_text(name, strlen(name));
    w.v[3] = rv_text(st->hash, 64);
    w.v[4] = rv_int((int64_t)st->size);
    rc = audit_writer_row(&w, e);
    if (!rc) rc = audit_writer_commit(&w, "openrosa_attachment", in->instance_id, NULL, e);
    else audit_writer_abort(&w);
    if (own) {
        if (!rc) rc = store_commit(s, e);
        else store_rollback(s);
    }
    return rc;
}

int instance_attach(struct store *s, const struct xform_instance *in, const char *name,
                    const char *path, struct error *e)
{
    struct evidence_staged st;
    int rc = evidence_stage(s, path, &st, e);
    if (rc == ERR_INVALID) rc = error_set(e, ERR_IO, "%s: cannot open", name);
    if (!rc) rc = instance_attach_staged(s, in, name, path, &st, e);
    evidence_staged_release(&st);
    return rc;
}

/* ------------------------------------------------------------------ answers as CSV */

static int write_all(const char *path, const struct strbuf *sb, struct error *e)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || write(fd, sb->buf, sb->len) != (ssize_t)sb->len) {
        if (fd >= 0) close(fd);
        return error_set(e, ERR_IO, "%s: cannot write", path);
    }
    close(fd);
    return 0;
}

static int in_repeat(const struct form *f, int row)
{
    for (int p = f->rows[row].parent; p >= 0; p = f->rows[p].parent)
        if (f->rows[p].type == FORM_BEGIN_REPEAT) return p;
    return -1;
}

int instance_csv_mem(const struct answers *a, const struct submission_meta *m, const char *pair,
                     struct strbuf *out, struct strbuf *mout, struct error *e)
{
    const struct form *f = answers_form(a);
    struct strbuf sb = STRBUF_INIT, mb = STRBUF_INIT;
    int rc = 0, rep = -1;
    long ninst = 0;
    sb_adds(&sb, "unit,pair,status,reason");
    for (size_t i = 0; i < f->nrows; i++) {
        const struct form_row *r = &f->rows[i];
        if (!r->name || !form_type_answers(r->type)) continue;
        if (in_repeat(f, (int)i) >= 0) continue;
        sb_addch(&sb, ',');
        sb_add_csv(&sb, r->name, strlen(r->name));
    }
    sb_addch(&sb, '\n');
    sb_add_csv(&sb, m->unit, strlen(m->unit));
    sb_addch(&sb, ',');
    sb_add_csv(&sb, pair, strlen(pair));
    sb_addch(&sb, ',');
    sb_add_csv(&sb, m->status, strlen(m->status));
    sb_addch(&sb, ',');
    sb_add_csv(&sb, m->reason, strlen(m->reason));
    for (size_t i = 0; i < f->nrows; i++) {
        const struct form_row *r = &f->rows[i];
        const char *v;
        if (!r->name || !form_type_answers(r->type)) continue;
        if (in_repeat(f, (int)i) >= 0) {
            rep = in_repeat(f, (int)i);
            continue;
        }
        v = answers_value(a, (int)i, -1);
        sb_addch(&sb, ',');
        if (v) sb_add_csv(&sb, v, strlen(v));
    }
    sb_addch(&sb, '\n');
    if (rep >= 0) ninst = answers_instances(a, f->rows[rep].name);
    if (ninst > 0) {
        sb_adds(&mb, "unit,member");
        for (size_t i = 0; i < f->nrows; i++) {
            const struct form_row *r = &f->rows[i];
            if (!r->name || !form_type_answers(r->type) || in_repeat(f, (int)i) != rep) continue;
            sb_addch(&mb, ',');
            sb_add_csv(&mb, r->name, strlen(r->name));
        }
        sb_addch(&mb, '\n');
        for (long k = 0; k < ninst; k++) {
            sb_add_csv(&mb, m->unit, strlen(m->unit));
            sb_addf(&mb, ",%ld", k + 1);
            for (size_t i = 0; i < f->nrows; i++) {
                const struct form_row *r = &f->rows[i];
                const char *v;
                if (!r->name || !form_type_answers(r->type) || in_repeat(f, (int)i) != rep)
                    continue;
                v = answers_value(a, (int)i, k);
                sb_addch(&mb, ',');
                if (v) sb_add_csv(&mb, v, strlen(v));
            }
            sb_addch(&mb, '\n');
        }
    }
    if (sb_ok(&sb) || sb_ok(&mb)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        sb_release(&sb);
        sb_release(&mb);
        return rc;
    }
    sb_release(out);
    sb_release(mout);
    *out = sb, *mout = mb; /* mb empty: no members */
    return 0;
}

int instance_csv(const struct answers *a, const struct submission_meta *m, const char *pair,
                 const char *csv, const char *members_csv, int *has_members, struct error *e)
{
    struct strbuf sb = STRBUF_INIT, mb = STRBUF_INIT;
    int rc = instance_csv_mem(a, m, pair, &sb, &mb, e);
    *has_members = 0;
    if (!rc) rc = write_all(csv, &sb, e);
    if (!rc && mb.len) {
        rc = write_all(members_csv, &mb, e);
        *has_members = !rc;
    }
    sb_release(&sb);
    sb_release(&mb);
    return rc;
}

/* ------------------------------------------------------------------ import and duplicates */

int instance_unit_pair(struct store *s, const char *sample, const char *unit, const char *form,
                       char pair[64], int *found, struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s, "SELECT q.pair FROM questionnaires q JOIN samples sm ON sm.row_no = "
                              "q.sample WHERE sm.name = ? AND q.unit = ? AND q.form = ? AND "
                              "q.status <> 'superseded' ORDER BY q.row_no DESC",
                           &st, e);
    *found = 0;
    pair[0] = '\0';
    if (rc) return rc;
    stmt_bind_text(st, 1, sample, strlen(sample));
    stmt_bind_text(st, 2, unit, strlen(unit));
    stmt_bind_text(st, 3, form, strlen(form));
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) {
        *found = 1;
        snprintf(pair, 64, "%s", stmt_text(st, 0));
    }
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int instance_import(struct store *s, const char *sample, const struct form *f, const char *xml,
                    size_t len, const char *pair, int check_only, struct submission_meta *m,
                    struct field_stats *st, struct errlist *errs, struct error *e)
{
    struct answers *a = NULL;
    char dir[200];
    struct strbuf csv = STRBUF_INIT, mcsv = STRBUF_INIT;
    int rc, has_members = 0;
    dir[0] = '\0';
    if ((rc = answers_new(f, &a, e))) return rc;
    if ((rc = submission_parse(f, xml, len, a, m, e))) goto out;
    if (!m->has_visit || !m->unit[0]) {
        rc = error_set(e, ERR_PARSE, "the submission names no unit (visit/unit)");
        goto out;
    }
    if (tmpdir_make(dir, sizeof dir, "pinggu-or")) {
        rc = error_set(e, ERR_IO, "no temporary folder");
        goto out;
    }
    sb_addf(&csv, "%s/openrosa.csv", dir);
    sb_addf(&mcsv, "%s/openrosa.members.csv", dir);
    if (sb_ok(&csv) || sb_ok(&mcsv)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = instance_csv(a, m, pair, csv.buf, mcsv.buf, &has_members, e))) goto out;
    if (check_only) {
        rc = field_check(f, csv.buf, 1, date_today(), st, errs, e);
    } else {
        /* the questionnaire names the instance, not the temporary file (issue 12) */
        char source[160];
        snprintf(source, sizeof source, "openrosa:%s", m->instance_id);
        rc = field_import_tx(s, sample, f, csv.buf, source, 1, date_today(), st, errs, e);
    }
out:
    if (csv.len) unlink(csv.buf);
    if (mcsv.len) unlink(mcsv.buf);
    if (dir[0]) rmdir(dir);
    sb_release(&csv);
    sb_release(&mcsv);
    answers_free(a);
    return rc;
}

int instance_resolve(struct store *s, const char *sample, const char *instance_id, int keep,
                     const char *forms_dir, struct errlist *errs, struct error *e)
{
    struct xform_instance in;
    struct submission_meta m;
    struct field_stats st;
    struct strbuf path = STRBUF_INIT, where = STRBUF_INIT;
    struct form *f = NULL;
    char *xml = NULL;
    int rc = instance_find(s, instance_id, &in, &xml, e);
    if (rc) goto out;
    if (strcmp(in.sample, sample) || strcmp(in.held, "duplicate")) {
        rc = error_set(e, ERR_NOTFOUND, "no duplicate '%s' is held in sample %s / 无此待定重复问卷",
                       instance_id, sample);
        goto out;
    }
    if (keep) {
        sb_addf(&path, "%s/%s.json", forms_dir, in.form);
        if (sb_ok(&path)) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        if ((rc = form_load(path.buf, &f, errs, NULL, e))) goto out;
    }
    sb_adds(&where, "instance_id = ");
    sql_quote(&where, instance_id);
    if (sb_ok(&where)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    /* the kept questionnaire and the instance's new state commit together */
    if ((rc = store_begin(s, e))) goto out;
    if (keep) {
        memset(&st, 0, sizeof st);
        st.review = 1;
        if ((rc = instance_import(s, sample, f, xml, strlen(xml), in.user, 0, &m, &st, errs, e))) {
            store_rollback(s);
            goto out;
        }
    }
    rc = audit_update_where(s, "xform_instances", keep ? "held = 'kept'" : "held = 'discarded'",
                            where.buf, keep ? "duplicate_keep" : "duplicate_discard", instance_id,
                            NULL, NULL, e);
    if (!rc) rc = store_commit(s, e);
    else store_rollback(s);
out:
    form_free(f);
    mem_free(xml);
    sb_release(&path);
    sb_release(&where);
    return rc;
}
