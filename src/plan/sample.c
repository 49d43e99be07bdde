/*
 * sample.c — stored samples (plan.h): draw and store a sample with its frozen frame, show
 * it per county, load its plan back.
 *
 * `sample_show` prints, besides each county's villages and households, every stage's
 * shortfalls (a stratum's quota not filled even with fallbacks) from the stored notes: per
 * county for the village stage, per village for households, and a summary by stage.
 *
 * A stored sample is four audited tables written in one transaction: `samples` (the plan
 * text and hash, the seed and its commitment, the frame hash), `sample_frame` (every unit
 * the draw saw, with the attributes it used), `sample_units` (every selected, census and
 * reserve unit with stage, stratum, rank, ticket, substitution and π), `sample_strata`
 * (per stratum: frame size, quota, taken, shortfall, lent). Nothing is written if any part
 * fails.
 */
#include "plan_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void now_iso(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int store_sample(struct store *s, const struct plan *p, const char *name,
                        const char *seed, const struct frame_rows *fr, const char *frame_hash,
                        const struct draw *d, struct error *e)
{
    struct audit_writer w;
    char commit[65], created[32];
    int64_t sample;
    int rc;
    seed_commitment(seed, commit);
    now_iso(created);
    rc = audit_writer_begin(&w, s, "samples",
                            "name, plan_id, plan_hash, plan_text, seed, commitment, frame_hash,"
                            " frame_rows, algorithm, created",
                            e);
    if (rc) return rc;
    w.v[1] = rv_text(name, strlen(name));
    w.v[2] = rv_text(p->id, strlen(p->id));
    w.v[3] = rv_text(p->hash, 64);
    w.v[4] = rv_text(p->text, p->len);
    w.v[5] = rv_text(seed, strlen(seed));
    w.v[6] = rv_text(commit, 64);
    w.v[7] = rv_text(frame_hash, 64);
    w.v[8] = rv_int((int64_t)fr->n);
    w.v[9] = rv_text(SAMPLING_ALGORITHM, strlen(SAMPLING_ALGORITHM));
    w.v[10] = rv_text(created, strlen(created));
    rc = audit_writer_row(&w, e);
    sample = w.last_row;
    if (!rc) rc = audit_writer_commit(&w, "sample", name, NULL, e);
    else audit_writer_abort(&w);
    if (rc) return rc;

    rc = audit_writer_begin(&w, s, "sample_frame", "sample, level, key, parent, attrs", e);
    for (size_t i = 0; i < fr->n && !rc; i++) {
        const struct frame_row *r = &fr->rows[i];
        w.v[1] = rv_int(sample);
        w.v[2] = rv_text(r->level, strlen(r->level));
        w.v[3] = rv_text(r->key, strlen(r->key));
        w.v[4] = rv_text(r->parent, strlen(r->parent));
        w.v[5] = rv_text(r->attrs, strlen(r->attrs));
        rc = audit_writer_row(&w, e);
    }
    if (!rc) rc = audit_writer_commit(&w, "freeze frame", name, NULL, e);
    else audit_writer_abort(&w);
    if (rc) return rc;

    rc = audit_writer_begin(&w, s, "sample_units",
                            "sample, stage, stratum, parent, unit, code, county, village, quota,"
                            " rank, ticket, substitute_for, reserve, certainty, pi, pi_se,"
                            " category, grp",
                            e);
    for (size_t i = 0; i < d->nsels && !rc; i++) {
        const struct sel *u = &d->sels[i];
        w.v[1] = rv_int(sample);
        w.v[2] = rv_text(u->stage, strlen(u->stage));
        w.v[3] = rv_text(u->stratum, strlen(u->stratum));
        w.v[4] = rv_text(u->parent, strlen(u->parent));
        w.v[5] = rv_text(u->unit, strlen(u->unit));
        w.v[6] = rv_text(u->code, strlen(u->code));
        w.v[7] = rv_int(u->county);
        w.v[8] = rv_int(u->village);
        w.v[9] = rv_int(u->quota);
        w.v[10] = rv_int(u->rank);
        w.v[11] = rv_text(u->ticket, strlen(u->ticket));
        w.v[12] = rv_text(u->substitute_for, strlen(u->substitute_for));
        w.v[13] = rv_int(u->reserve);
        w.v[14] = rv_int(u->certainty);
        w.v[15] = rv_double(u->pi);
        w.v[16] = rv_double(u->pi_se);
        w.v[17] = rv_text(u->category, strlen(u->category));
        w.v[18] = rv_int(u->group);
        rc = audit_writer_row(&w, e);
    }
    if (!rc) rc = audit_writer_commit(&w, "sample", name, NULL, e);
    else audit_writer_abort(&w);
    if (rc) return rc;

    rc = audit_writer_begin(&w, s, "sample_strata",
                            "sample, stage, stratum, parent, county, frame, quota, taken,"
                            " shortfall, lent",
                            e);
    for (size_t i = 0; i < d->nnotes && !rc; i++) {
        const struct stratum_note *n = &d->notes[i];
        w.v[1] = rv_int(sample);
        w.v[2] = rv_text(n->stage, strlen(n->stage));
        w.v[3] = rv_text(n->stratum, strlen(n->stratum));
        w.v[4] = rv_text(n->parent, strlen(n->parent));
        w.v[5] = rv_int(n->county);
        w.v[6] = rv_int(n->frame);
        w.v[7] = rv_int(n->quota);
        w.v[8] = rv_int(n->taken);
        w.v[9] = rv_int(n->shortfall);
        w.v[10] = rv_int(n->lent);
        rc = audit_writer_row(&w, e);
    }
    if (!rc) rc = audit_writer_commit(&w, "sample", name, NULL, e);
    else audit_writer_abort(&w);
    return rc;
}

int sample_create(struct store *s, const struct plan *p, const char *name, const char *seed,
                  int progress, struct error *e)
{
    struct frame_registry *reg = NULL;
    struct frame_source src;
    struct draw d;
    struct stmt *st = NULL;
    struct frame_rows *fr;
    char frame_hash[65];
    int rc;
    draw_init(&d);
    rc = store_prepare(s, "SELECT count(*) FROM samples WHERE name = ?", &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, name, strlen(name));
    rc = stmt_step(st, e);
    if (rc == STORE_ROW && stmt_int(st, 0) > 0)
        rc = error_set(e, ERR_EXISTS, "a sample named %s exists already (samples are never "
                                      "redrawn: choose another name)",
                       name);
    else rc = rc < 0 ? rc : 0;
    stmt_finalize(st);
    if (rc) return rc;
    if (!*seed) return error_set(e, ERR_USAGE, "the seed is empty");
    rc = frame_registry_new(s, p, &reg, e);
    if (rc) return rc;
    frame_registry_source(reg, &src);
    rc = sample_draw(p, seed, &src, progress, &d, e);
    if (rc) goto out;
    fr = frame_registry_rows(reg);
    frame_rows_normalise(fr);
    frame_rows_hash(fr, frame_hash);
    if (!fr->n) {
        rc = error_set(e, ERR_INVALID, "the plan's scope has no counties in this registry");
        goto out;
    }
    rc = store_begin(s, e);
    if (rc) goto out;
    rc = store_sample(s, p, name, seed, fr, frame_hash, &d, e);
    if (rc) store_rollback(s);
    else rc = store_commit(s, e);
out:
    draw_release(&d);
    frame_registry_free(reg);
    return rc;
}

int sample_plan(struct store *s, const char *name, struct plan *p, char *seed, size_t seed_size,
                int64_t *sample_row, struct error *e)
{
    struct stmt *st;
    struct errlist errs;
    int rc = store_prepare(s, "SELECT row_no, plan_text, seed FROM samples WHERE name = ?", &st, e);
    memset(p, 0, sizeof *p);
    if (rc) return rc;
    stmt_bind_text(st, 1, name, strlen(name));
    rc = stmt_step(st, e);
    if (rc != STORE_ROW) {
        stmt_finalize(st);
        return rc < 0 ? rc : error_set(e, ERR_NOTFOUND, "no sample named %s", name);
    }
    if (sample_row) *sample_row = stmt_int(st, 0);
    if (seed) snprintf(seed, seed_size, "%s", stmt_text(st, 2));
    errlist_init(&errs, 5);
    rc = plan_parse("stored plan", stmt_text(st, 1), stmt_len(st, 1), p, &errs, e);
    errlist_release(&errs);
    stmt_finalize(st);
    return rc;
}

/* ------------------------------------------------------------------ show */

struct vinfo {
    int64_t code;
    char name[64];
};

static void village_name(struct store *s, int64_t code, char *out, size_t size)
{
    struct stmt *st;
    out[0] = '\0';
    if (store_prepare(s, "SELECT name FROM villages WHERE code = ?", &st, NULL)) return;
    stmt_bind_int(st, 1, code);
    if (stmt_step(st, NULL) == STORE_ROW) snprintf(out, size, "%s", stmt_text(st, 0));
    stmt_finalize(st);
}

static void county_name(struct store *s, int code, char *out, size_t size)
{
    struct stmt *st;
    out[0] = '\0';
    if (store_prepare(s, "SELECT name FROM counties WHERE code = ?", &st, NULL)) return;
    stmt_bind_int(st, 1, code);
    if (stmt_step(st, NULL) == STORE_ROW) snprintf(out, size, "%s", stmt_text(st, 0));
    stmt_finalize(st);
}

/* The village stage of one county, by stratum: taken/quota of the frame, and every stratum
 * (or township) short of its quota. */
static int show_village_notes(struct store *s, int64_t sample, int county, FILE *f,
                              struct error *e)
{
    struct stmt *st;
    struct strbuf line = STRBUF_INIT, shorts = STRBUF_INIT;
    int rc = store_prepare(s, "SELECT stratum, count(*), sum(frame), sum(quota), sum(taken),"
                              " sum(shortfall), min(row_no) FROM sample_strata WHERE sample = ?"
                              " AND stage = 'village' AND county = ? GROUP BY stratum ORDER BY"
                              " min(row_no)",
                           &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, sample);
    stmt_bind_int(st, 2, county);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        long long parents = stmt_int(st, 1), shortfall = stmt_int(st, 5);
        sb_addf(&line, "%s%s %lld/%lld of %lld", line.len ? ", " : "", stmt_text(st, 0),
                (long long)stmt_int(st, 4), (long long)stmt_int(st, 3),
                (long long)stmt_int(st, 2));
        if (parents > 1) sb_addf(&line, " in %lld townships", parents);
        if (shortfall) sb_addf(&line, " (SHORT %lld 缺额)", shortfall);
    }
    stmt_finalize(st);
    if (rc < 0) goto out;
    rc = store_prepare(s, "SELECT stratum, parent, quota, taken, shortfall FROM sample_strata"
                          " WHERE sample = ? AND stage = 'village' AND county = ? AND shortfall"
                          " > 0 AND parent <> CAST(county AS TEXT) ORDER BY row_no",
                       &st, e);
    if (rc) goto out;
    stmt_bind_int(st, 1, sample);
    stmt_bind_int(st, 2, county);
    while ((rc = stmt_step(st, e)) == STORE_ROW)
        sb_addf(&shorts, "%s%s %s %lld/%lld", shorts.len ? ", " : "", stmt_text(st, 0),
                stmt_text(st, 1), (long long)stmt_int(st, 3), (long long)stmt_int(st, 2));
    stmt_finalize(st);
    if (rc < 0) goto out;
    rc = 0;
    if (line.len && !sb_ok(&line))
        fprintf(f, "  villages 村 (taken/quota of frame): %s\n", line.buf);
    if (shorts.len && !sb_ok(&shorts)) fprintf(f, "  townships short 乡镇缺额: %s\n", shorts.buf);
out:
    sb_release(&line);
    sb_release(&shorts);
    return rc;
}

/* Every stage's shortfalls: strata whose quota was not filled even with fallbacks. */
static int show_shortfalls(struct store *s, int64_t sample, FILE *f, struct error *e)
{
    static const char *const stages[][2] = {
        {"county", "县"}, {"village", "村"}, {"household", "户"}, {"project", "项目"}};
    struct stmt *sum = NULL, *list = NULL;
    int rc = store_prepare(s, "SELECT count(*), sum(shortfall > 0), sum(CASE WHEN shortfall > 0"
                              " THEN shortfall ELSE 0 END), sum(quota) FROM sample_strata WHERE"
                              " sample = ? AND stage = ?",
                           &sum, e);
    if (!rc)
        rc = store_prepare(s, "SELECT stratum, parent, quota, taken, frame FROM sample_strata"
                              " WHERE sample = ? AND stage = ? AND shortfall > 0 ORDER BY row_no"
                              " LIMIT 11",
                           &list, e);
    if (rc) goto out;
    fprintf(f, "\nshortfalls 缺额 (quota not filled, even with fallbacks):\n");
    for (size_t i = 0; i < sizeof stages / sizeof *stages; i++) {
        long long strata, nshort, units, quota;
        stmt_reset(sum);
        stmt_bind_int(sum, 1, sample);
        stmt_bind_text(sum, 2, stages[i][0], strlen(stages[i][0]));
        if ((rc = stmt_step(sum, e)) != STORE_ROW) goto out;
        strata = stmt_int(sum, 0), nshort = stmt_int(sum, 1), units = stmt_int(sum, 2);
        quota = stmt_int(sum, 3);
        if (!strata) continue;
        if (!nshort) {
            fprintf(f, "  %-9s %s: none (%lld strat%s, all filled) / 无缺额\n", stages[i][0],
                    stages[i][1], strata, strata == 1 ? "um" : "a");
            continue;
        }
        fprintf(f, "  %-9s %s: %lld of %lld strata short by %lld units in all (of %lld asked for)"
                   ":",
                stages[i][0], stages[i][1], nshort, strata, units, quota);
        stmt_reset(list);
        stmt_bind_int(list, 1, sample);
        stmt_bind_text(list, 2, stages[i][0], strlen(stages[i][0]));
        for (int k = 0; (rc = stmt_step(list, e)) == STORE_ROW; k++) {
            if (k == 10) {
                fprintf(f, " … and %lld more", nshort - 10);
                break;
            }
            fprintf(f, "%s %s of %s %lld/%lld (frame %lld)", k ? "," : "", stmt_text(list, 0),
                    stmt_text(list, 1), (long long)stmt_int(list, 3),
                    (long long)stmt_int(list, 2), (long long)stmt_int(list, 4));
        }
        fputc('\n', f);
        if (rc < 0) goto out;
    }
    rc = 0;
out:
    stmt_finalize(sum);
    stmt_finalize(list);
    return rc < 0 ? rc : 0;
}

static int show_text(struct store *s, int64_t sample, const char *name, FILE *f, struct error *e)
{
    struct stmt *cs = NULL, *vs = NULL, *ns = NULL, *hs = NULL;
    int rc;
    rc = store_prepare(s, "SELECT code, pi, stage FROM sample_units WHERE sample = ? AND stage IN"
                          " ('county', 'covert') ORDER BY stage, county",
                       &cs, e);
    if (!rc)
        rc = store_prepare(s, "SELECT code, stratum, pi, pi_se, rank, certainty FROM sample_units"
                              " WHERE sample = ? AND stage = 'village' AND county = ? ORDER BY"
                              " row_no",
                           &vs, e);
    if (!rc)
        rc = store_prepare(s, "SELECT stratum, frame, quota, taken, shortfall, lent FROM"
                              " sample_strata WHERE sample = ? AND stage = 'household' AND"
                              " parent = ? ORDER BY row_no",
                           &ns, e);
    if (!rc)
        rc = store_prepare(s, "SELECT count(*), sum(substitute_for <> ''), sum(certainty),"
                              " sum(grp), sum(stratum = 'group') FROM sample_units WHERE sample"
                              " = ? AND stage = 'household' AND village = ? AND reserve = 0",
                           &hs, e);
    if (rc) goto out;
    fprintf(f, "sample %s\n", name);
    stmt_bind_int(cs, 1, sample);
    while ((rc = stmt_step(cs, e)) == STORE_ROW) {
        int county = (int)strtol(stmt_text(cs, 0), NULL, 10);
        char cname[64];
        int covert = !strcmp(stmt_text(cs, 2), "covert");
        county_name(s, county, cname, sizeof cname);
        if (covert) {
            fprintf(f, "\ncovert visit 暗访: county %d %s (π = %.3f)\n", county, cname,
                    stmt_double(cs, 1));
            continue;
        }
        fprintf(f, "\ncounty 县 %d %s  (π = %.3f)\n", county, cname, stmt_double(cs, 1));
        rc = show_village_notes(s, sample, county, f, e);
        if (rc) goto out;
        fprintf(f, "  %-14s %-12s %-14s %-7s %-18s  households 户 (quota taken/quota, "
                   "substitutes →)\n",
                "village 村", "name", "stratum", "rank", "π (± MC s.e.)");
        stmt_reset(vs);
        stmt_bind_int(vs, 1, sample);
        stmt_bind_int(vs, 2, county);
        while ((rc = stmt_step(vs, e)) == STORE_ROW) {
            int64_t vcode = strtoll(stmt_text(vs, 0), NULL, 10);
            char vname[64], pi[48];
            struct strbuf line = STRBUF_INIT;
            village_name(s, vcode, vname, sizeof vname);
            if (stmt_double(vs, 3) > 0)
                snprintf(pi, sizeof pi, "%.4f ± %.4f", stmt_double(vs, 2), stmt_double(vs, 3));
            else
                snprintf(pi, sizeof pi, "%.4f%s", stmt_double(vs, 2),
                         stmt_int(vs, 5) ? " certain" : "");
            stmt_reset(ns);
            stmt_bind_int(ns, 1, sample);
            stmt_bind_text(ns, 2, stmt_text(vs, 0), stmt_len(vs, 0));
            while (stmt_step(ns, NULL) == STORE_ROW) {
                int quota = (int)stmt_int(ns, 2), taken = (int)stmt_int(ns, 3);
                int shortfall = (int)stmt_int(ns, 4), lent = (int)stmt_int(ns, 5);
                sb_addf(&line, "%s%s %d/%d", line.len ? ", " : "", stmt_text(ns, 0), taken,
                        quota);
                if (shortfall) sb_addf(&line, " (short %d)", shortfall);
                if (lent) sb_addf(&line, " (+%d lent)", lent);
            }
            stmt_reset(hs);
            stmt_bind_int(hs, 1, sample);
            stmt_bind_int(hs, 2, vcode);
            if (stmt_step(hs, NULL) == STORE_ROW) {
                sb_addf(&line, "; %lld in all", (long long)stmt_int(hs, 0));
                if (stmt_int(hs, 1)) sb_addf(&line, ", %lld substitutes", (long long)stmt_int(hs, 1));
                if (stmt_int(hs, 2)) sb_addf(&line, ", %lld census", (long long)stmt_int(hs, 2));
                if (stmt_int(hs, 3))
                    sb_addf(&line, ", village group %lld households", (long long)stmt_int(hs, 3));
            }
            fprintf(f, "  %-14s %-12s %-14s %-7lld %-18s  %s\n", stmt_text(vs, 0), vname,
                    stmt_text(vs, 1), (long long)stmt_int(vs, 4), pi,
                    sb_ok(&line) ? "" : line.buf);
            sb_release(&line);
        }
        if (rc < 0) goto out;
    }
    if (rc < 0) goto out;
    rc = show_shortfalls(s, sample, f, e);
out:
    stmt_finalize(cs);
    stmt_finalize(vs);
    stmt_finalize(ns);
    stmt_finalize(hs);
    return rc;
}

static int show_json(struct store *s, int64_t sample, const char *name, FILE *f, struct error *e)
{
    struct stmt *st;
    json_t *root = json_object(), *units = json_array(), *strata = json_array();
    int rc = store_prepare(s, "SELECT stage, stratum, parent, unit, code, county, village, quota,"
                              " rank, ticket, substitute_for, reserve, certainty, pi, pi_se,"
                              " category, grp FROM sample_units WHERE sample = ? ORDER BY row_no",
                           &st, e);
    if (rc) goto out;
    stmt_bind_int(st, 1, sample);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        json_t *u = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:i, s:i, s:s, s:s, s:b, s:b,"
                              " s:f, s:f, s:s, s:b}",
                              "stage", stmt_text(st, 0), "stratum", stmt_text(st, 1), "parent",
                              stmt_text(st, 2), "unit", stmt_text(st, 3), "code", stmt_text(st, 4),
                              "county", (int)stmt_int(st, 5), "village",
                              (json_int_t)stmt_int(st, 6), "quota", (int)stmt_int(st, 7), "rank",
                              (int)stmt_int(st, 8), "ticket", stmt_text(st, 9), "substitute_for",
                              stmt_text(st, 10), "reserve", (int)stmt_int(st, 11), "certainty",
                              (int)stmt_int(st, 12), "pi", stmt_double(st, 13), "pi_se",
                              stmt_double(st, 14), "category", stmt_text(st, 15), "village_group",
                              (int)stmt_int(st, 16));
        json_array_append_new(units, u);
    }
    stmt_finalize(st);
    if (rc < 0) goto out;
    rc = store_prepare(s, "SELECT stage, stratum, parent, county, frame, quota, taken, shortfall,"
                          " lent FROM sample_strata WHERE sample = ? ORDER BY row_no",
                       &st, e);
    if (rc) goto out;
    stmt_bind_int(st, 1, sample);
    while ((rc = stmt_step(st, e)) == STORE_ROW)
        json_array_append_new(
            strata, json_pack("{s:s, s:s, s:s, s:i, s:I, s:i, s:i, s:i, s:i}", "stage",
                              stmt_text(st, 0), "stratum", stmt_text(st, 1), "parent",
                              stmt_text(st, 2), "county", (int)stmt_int(st, 3), "frame",
                              (json_int_t)stmt_int(st, 4), "quota", (int)stmt_int(st, 5), "taken",
                              (int)stmt_int(st, 6), "shortfall", (int)stmt_int(st, 7), "lent",
                              (int)stmt_int(st, 8)));
    stmt_finalize(st);
    if (rc < 0) goto out;
    rc = 0;
    json_object_set_new(root, "sample", json_string(name));
    json_object_set(root, "strata", strata);
    json_object_set(root, "units", units);
    json_dumpf(root, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    fputc('\n', f);
out:
    json_decref(root);
    json_decref(units);
    json_decref(strata);
    return rc;
}

int sample_show(struct store *s, const char *name, int json, FILE *f, struct error *e)
{
    struct stmt *st;
    int64_t sample;
    int rc = store_prepare(s, "SELECT row_no FROM samples WHERE name = ?", &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, name, strlen(name));
    rc = stmt_step(st, e);
    sample = rc == STORE_ROW ? stmt_int(st, 0) : 0;
    stmt_finalize(st);
    if (rc < 0) return rc;
    if (!sample) return error_set(e, ERR_NOTFOUND, "no sample named %s", name);
    return json ? show_json(s, sample, name, f, e) : show_text(s, sample, name, f, e);
}

int sample_unit_category(struct store *s, const char *sample, const char *unit, char *out,
                         size_t size, struct error *e)
{
    struct stmt *st = NULL;
    int rc = store_prepare(s,
                           "SELECT u.category FROM sample_units u JOIN samples sa ON sa.row_no = "
                           "u.sample WHERE sa.name = ? AND u.code = ?",
                           &st, e);
    if (size) out[0] = '\0';
    if (rc) return rc;
    stmt_bind_text(st, 1, sample, strlen(sample));
    stmt_bind_text(st, 2, unit, strlen(unit));
    rc = stmt_step(st, e);
    if (rc == STORE_ROW) snprintf(out, size, "%s", stmt_text(st, 0)), rc = 0;
    else if (rc == STORE_DONE) rc = error_set(e, ERR_NOTFOUND, "no unit %s in sample %s", unit, sample);
    stmt_finalize(st);
    return rc;
}
