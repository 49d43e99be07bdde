/*
 * fieldwork.c — the fieldwork resources (docs/api.md): a user's assignments (GET
 * /api/assignments?round=R) and questionnaire submission (POST /api/rounds/R/questionnaires).
 *
 * Questionnaires submitted as JSON are written as the one-row CSV files `field import` reads
 * (FILE.csv and FILE.members.csv, held in memory: no temporary folder per submission) and
 * handed to field import itself in its two steps: field_import_prepare (reading, the form's
 * own validation) on the request's thread, field_import_prepared_tx (the checks that read the
 * store, and the writes) in the writer queue — together exactly field_import_mem_tx, so a
 * submission passes the validation and storage of the command line (all or nothing, the
 * change log with the session's user). A submission carries an Idempotency-Key: a retry with
 * the same key gets the first answer again and never a second questionnaire.
 *
 * Invariants: the body, authorisation, the form, the CSV files and the checks that need no
 * store (field_import_prepare) are dealt with in the request's thread; the writes — the key's
 * claim, the store's part of the import and the answer kept for the key — are one job of the
 * writer queue (batch.c): one savepoint of a group commit, answered only after the commit, so
 * a crash keeps the key and the questionnaire together or neither.
 */
#include "server_int.h"
#include "../survey/survey.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int assignments(struct ctx *c)
{
    const char *round = ctx_query(c, "round");
    struct access_assignment *a = NULL;
    size_t n = 0;
    struct error e;
    int rel = 0;
    json_t *arr;
    if (!round || !*round)
        return ctx_error(c, 422, "invalid", "须指定轮次 round", "the query needs round=NAME", "round");
    if (access_round_released(c->s, round, &rel, &e)) return ctx_fail(c, &e);
    {
        struct access_target t = {round, 0, rel > 0, 0};
        if (ctx_allow(c, RS_ASSIGNMENTS, AA_READ, &t, NULL)) return -1;
    }
    if (access_assignments(c->s, round, &a, &n, &e)) return ctx_fail(c, &e);
    arr = json_array();
    for (size_t i = 0; i < n; i++) {
        struct access_target t = {round, a[i].county, rel > 0, 0};
        /* a reserve is nobody's business until a non-response activates it */
        if (a[i].reserve && !a[i].activated) continue;
        if (access_check(&c->user, RS_ASSIGNMENTS, AA_READ, &t, NULL, NULL)) continue;
        json_t *o = json_pack("{s:s, s:s, s:i, s:b}", "unit", a[i].unit, "stage", a[i].stage,
                              "county", a[i].county, "reserve", a[i].reserve);
        if (a[i].village) json_object_set_new(o, "village", json_integer(a[i].village));
        json_array_append_new(arr, o);
    }
    mem_free(a);
    c->out = json_pack("{s:s, s:o}", "round", round, "assignments", arr);
    return 0;
}

/* Loaded forms, shared by every worker thread (field_import only reads a form): parsing and
 * compiling a questionnaire's expressions cost about as much as storing one submission. An
 * entry is reloaded when its file changes (mtime, size) — as a new entry, since the old form
 * may still be in use by another request: the list grows by one per change of a form file
 * while the server runs; server_forms_release frees them at shutdown. */
struct form_entry {
    char path[512];
    struct timespec mtime;
    off_t size;
    struct form *f;
};
static struct form_entry *forms;
static size_t nforms, capforms;
static pthread_mutex_t forms_lock = PTHREAD_MUTEX_INITIALIZER;

const struct form *server_form_file(const char *path)
{
    struct stat st;
    struct form *f = NULL;
    struct errlist errs;
    struct error e;
    size_t i;
    if (stat(path, &st)) return NULL;
    pthread_mutex_lock(&forms_lock);
    /* newest first: a file changed while running has its newest version last */
    for (i = nforms; i-- > 0;)
        if (!strcmp(forms[i].path, path)) break;
    if (i < nforms && forms[i].size == st.st_size &&
        forms[i].mtime.tv_sec == st.st_mtim.tv_sec && forms[i].mtime.tv_nsec == st.st_mtim.tv_nsec) {
        f = forms[i].f;
        goto out;
    }
    /* a changed file gets a new entry: the old form may still be in use by another request */
    if (strlen(path) >= sizeof forms[0].path) goto out;
    if (nforms == capforms) {
        size_t c2 = capforms ? capforms * 2 : 16;
        struct form_entry *grown = realloc(forms, c2 * sizeof *grown);
        if (!grown) goto out;
        forms = grown, capforms = c2;
    }
    errlist_init(&errs, 5);
    if (form_load(path, &f, &errs, NULL, &e)) f = NULL;
    errlist_release(&errs);
    if (!f) goto out;
    snprintf(forms[nforms].path, sizeof forms[nforms].path, "%s", path);
    forms[nforms].mtime = st.st_mtim;
    forms[nforms].size = st.st_size;
    forms[nforms].f = f;
    nforms++;
out:
    pthread_mutex_unlock(&forms_lock);
    return f;
}

const struct form *server_form(const struct server_config *cfg, const char *id)
{
    struct strbuf path = STRBUF_INIT;
    const struct form *f = NULL;
    if (!id || !server_name_ok(id, 64) || strchr(id, '.')) return NULL;
    if (cfg->forms_dir) sb_addf(&path, "%s/%s.json", cfg->forms_dir, id);
    else {
        struct strbuf rel_name = STRBUF_INIT;
        sb_addf(&rel_name, "forms/%s.json", id);
        if (data_find(rel_name.buf, &path)) sb_reset(&path);
        sb_release(&rel_name);
    }
    if (path.len && !sb_ok(&path)) f = server_form_file(path.buf);
    sb_release(&path);
    return f;
}

void server_forms_release(void)
{
    pthread_mutex_lock(&forms_lock);
    for (size_t i = 0; i < nforms; i++) form_free(forms[i].f);
    free(forms);
    forms = NULL, nforms = capforms = 0;
    pthread_mutex_unlock(&forms_lock);
}

/* A submission's writes, run by the writer queue's leader (batch.c) inside the submission's
 * own savepoint of the batch's transaction: the Idempotency-Key claim, field_import_prepared_tx
 * of the questionnaire read and validated outside the queue (field_import_prepare: only the
 * checks that read the store and the writes are left), and the answer kept for the key — all
 * or nothing. */
struct submit_job {
    struct ctx *c;
    const char *round;
    const char *unit;
    struct field_prepared *p; /* the request's, freed by submit_work */
    char source[160];
};

static int submit_run(struct store *s, void *arg)
{
    struct submit_job *j = arg;
    struct ctx *c = j->c;
    const char *key = c->idem_key;
    const char *unit = j->unit;
    struct field_stats st;
    struct errlist errs;
    struct error e;
    char *stored = NULL, *text = NULL;
    int status = 0, rc;
    rc = access_idem_claim(s, c->user.name, key, &status, &stored, &e);
    if (rc == ERR_EXISTS) {
        if (!status || !stored || !*stored) {
            mem_free(stored);
            return ctx_error(c, 409, "in_progress", "同一提交正在处理", "the same submission is still running",
                             "Idempotency-Key");
        }
        /* answered before (and committed): the first answer again, nothing written */
        json_decref(c->out);
        c->status = status;
        c->out = json_loads(stored, 0, NULL);
        mem_free(stored);
        if (c->out) json_object_set_new(c->out, "replayed", json_true());
        return 0;
    }
    if (rc) return ctx_fail_on(c, s, &e);
    errlist_init(&errs, 20);
    memset(&st, 0, sizeof st);
    st.review = 1; /* DESIGN §10: a pair's questionnaire enters review as submitted */
    rc = field_import_prepared_tx(s, j->round, j->p, &st, &errs, &e);
    if (rc == ERR_INVALID && errs.total) {
        json_t *list = json_array();
        for (size_t i = 0; i < errs.n; i++)
            json_array_append_new(list, json_pack("{s:i, s:s}", "line", (int)errs.items[i].line,
                                                  "message", errs.items[i].msg));
        ctx_error(c, 422, "invalid", "问卷未通过校验（与 field import 相同的规则）", e.msg,
                  "questionnaire");
        json_object_set_new(json_object_get(c->out, "error"), "errors", list);
        rc = -1;
        goto out;
    }
    if (rc) {
        rc = ctx_fail_on(c, s, &e);
        goto out;
    }
    json_decref(c->out);
    c->status = 201;
    c->out = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "round", j->round, "unit", unit,
                       "questionnaires", (json_int_t)st.questionnaires, "nonresponse",
                       (json_int_t)st.nonresponse, "replacements", (json_int_t)st.replacements,
                       "warnings", (json_int_t)st.warnings);
    /* the answer kept for the key commits with the questionnaire: a retry after a crash either
     * finds both or neither */
    text = c->out ? json_dumps(c->out, JSON_COMPACT) : NULL;
    if (!text) {
        rc = ctx_error(c, 500, "internal", "内存不足", "out of memory", NULL);
        goto out;
    }
    if (access_idem_done(s, c->user.name, key, 201, text, &e)) {
        rc = ctx_fail_on(c, s, &e);
        goto out;
    }
    rc = 0;
out:
    free(text);
    errlist_release(&errs);
    return rc;
}

/* Everything that needs no lock (the body read into CSV text, its shape, authorisation, the
 * form, the checks of field_import_prepare), then the writes through the writer queue. 0, or
 * -1 with the answer set. */
static int submit_work(struct ctx *c, const char *round)
{
    struct json_submission js;
    const char *form, *unit;
    const struct form *f = NULL;
    struct field_csv_mem in;
    struct submit_job job;
    struct batch_job bj;
    struct error e;
    struct access_target t;
    int rel = 0, county = 0, rc = -1;
    memset(&job, 0, sizeof job);
    /* the body, read once into the two files field import reads (survey.h submission_json:
     * yajl's events, no tree) */
    if (submission_json(c->text, c->textlen, &js, &e)) {
        rc = js.malformed ? ctx_error(c, 400, "malformed", "JSON 格式错误", e.msg, "body") : ctx_fail(c, &e);
        goto out;
    }
    form = js.form, unit = js.unit;
    if (!form || !server_name_ok(form, 64) || strchr(form, '.')) {
        rc = ctx_error(c, 422, "invalid", "须指定问卷 form", "\"form\" names a questionnaire form", "form");
        goto out;
    }
    if (!js.questionnaire || !unit) {
        rc = ctx_error(c, 422, "invalid", "须提供问卷及其 unit", "\"questionnaire\" is an object with \"unit\"",
                       "questionnaire");
        goto out;
    }
    if (js.members < 0) {
        rc = ctx_error(c, 422, "invalid", "members 须为数组", "\"members\" is an array", "members");
        goto out;
    }
    if (access_round_released(c->s, round, &rel, &e)) {
        rc = ctx_fail(c, &e);
        goto out;
    }
    if (access_unit_county(c->s, round, unit, &county, &e)) {
        rc = e.code == ERR_NOTFOUND ? ctx_error(c, 422, "invalid", "样本中无此单位", e.msg, "unit")
                                    : ctx_fail(c, &e);
        goto out;
    }
    t.round = round, t.county = county, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_QUESTIONNAIRES, AA_WRITE, &t, NULL)) goto out;
    if (!(f = server_form(c->cfg, form))) {
        rc = ctx_error(c, 422, "invalid", "无此问卷", "no such questionnaire form", "form");
        goto out;
    }
    if (js.bad_answer || js.bad_member_answer) {
        rc = ctx_error(c, 422, "invalid", "答案须为文字、数字或布尔值",
                       "an answer is a string, number or boolean",
                       js.bad_answer ? js.bad_answer : js.bad_member_answer);
        goto out;
    }
    if (js.member_not_object) {
        rc = ctx_error(c, 422, "invalid", "须为 JSON 对象", "each item must be an object", "members");
        goto out;
    }
    job.c = c, job.round = round, job.unit = unit;
    /* the files field import would read, in memory (no temporary folder per submission) */
    memset(&in, 0, sizeof in);
    in.name = "questionnaire.csv";
    in.csv = js.csv.buf, in.csvlen = js.csv.len;
    if (js.members_csv.len) in.members = js.members_csv.buf, in.mlen = js.members_csv.len;
    /* the questionnaire names its submission, not the temporary file */
    snprintf(job.source, sizeof job.source, "api:%s:%s", c->user.name, c->idem_key);
    /* read and validated here, on this request's thread: the queue keeps only the store's part */
    if (field_import_prepare(f, &in, job.source, 1, date_today(), &job.p, &e)) {
        rc = ctx_fail(c, &e);
        goto out;
    }
    memset(&bj, 0, sizeof bj);
    bj.run = submit_run, bj.arg = &job, bj.actor = c->user.name;
    rc = batch_run(c->s, &bj);
    if (rc == BATCH_LOST) {
        c->retry_after = "1";
        rc = ctx_error(c, 503, "unavailable", "服务暂不可用，请重试", "not stored: please retry", NULL);
    }
    rc = rc ? -1 : 0;
out:
    field_prepared_free(job.p);
    submission_json_release(&js);
    return rc;
}

static int questionnaire_submit(struct ctx *c)
{
    const char *round = c->names[0], *key = c->idem_key;
    if (!key || !server_name_ok(key, 64))
        return ctx_error(c, 422, "invalid", "须提供 Idempotency-Key（1–64 个字符）",
                         "an Idempotency-Key header (1-64 characters) is required", "Idempotency-Key");
    return submit_work(c, round);
}

static const struct route routes[] = {
    {"GET", "/api/assignments", assignments, 0},
    {"POST", "/api/rounds/*/questionnaires", questionnaire_submit, RT_JSON_TEXT},
};

const struct route *server_fieldwork_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
