/*
 * openrosa.c — the OpenRosa endpoints field apps (ODK Collect, KoboCollect) speak, under
 * PUBLIC_URL/key/TOKEN/ (issue 12, docs/openrosa.md):
 *   GET  formList                   the household forms of the token's round (md5 hash, manifest),
 *                                   and the village forms when the leader's day plan gives the
 *                                   user's pair a village (forms/ID serves them to the browser)
 *   GET  forms/ID                   the XForm (form_xform in field-app mode: visit block, units.csv)
 *   GET  forms/ID/manifest          xformsManifest with the media file units.csv (of form ID)
 *   GET  forms/ID/units.csv         the pair's units of the form's kind (registered / general
 *                                   household, sampled village), activated reserves, review
 *                                   state, comments, the planned day; today's planned units first
 *                                   (on a phone, villages only as planned for the pair)
 *   HEAD submission                 204, X-OpenRosa-Version, X-OpenRosa-Accept-Content-Length
 *   POST submission                 multipart: xml_submission_file plus attachments
 * and the browser's path under /entry/ROUND/ (session cookie; Origin and CSRF token on POST):
 *   GET  instances/ID               a stored instance, to correct a rejected questionnaire
 *   GET  forms/ID[/units.csv], POST submission   as above
 *
 * Invariants:
 *  - On /key/ paths authentication is the token in the path only (access_token_check:
 *    hashed, per user and round, expiring, revocable). A request there carrying a Cookie or an
 *    Authorization header is refused (403) before anything else; the session machinery of
 *    http.c never sees these paths, and the token never reaches a log line
 *    (access_token_redact on every detail written). /entry/ paths take only the session
 *    (browser_auth: the same checks as http.c's dispatch for the JSON API).
 *  - Multipart bodies go through libmicrohttpd's post processor part by part into files of a
 *    private temporary folder (0700), bounded per part (the XML at OR_XML_MAX, attachments
 *    and the whole body at cfg->max_upload); nothing is held whole in memory except the XML.
 *  - A submission is parsed by submission_parse (no DOCTYPE, no entities, no network, bounded
 *    depth), written as the one-row CSV files field_import reads and stored by field_import
 *    itself (instance_import; st.review = 1: it enters review as submitted), so it passes
 *    exactly the rules of `field import`. From the instanceID look-up to the last attachment
 *    row a submission is one job of the writer queue (batch.c): one savepoint of one
 *    transaction, answered after the commit — a crash leaves all of it or nothing. A second
 *    questionnaire of a unit from another user is checked by the same rules and held as a
 *    duplicate for the leader (202), never stored over the one in force. Every answer carries X-OpenRosa-Version: 1.0 and an OpenRosaResponse.
 *  - Authorisation through access_check only: the unit must be one the user may write
 *    questionnaires for (its grant's county, before release) and assigned (a sampled unit,
 *    or a reserve activated by a non-response).
 */
#include "server_int.h"
#include "../survey/survey.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OR_XML_MAX ((uint64_t)4 << 20) /* the XML part */
#define OR_MAX_PARTS 32

struct orpart {
    char key[64], name[128], path[400];
    uint64_t size;
    int is_xml;
};

struct orq {
    int answered;            /* a response was queued at the first call */
    struct MHD_PostProcessor *pp;
    char dir[200];
    struct orpart parts[OR_MAX_PARTS];
    size_t nparts;
    int fd;                  /* the part being written */
    uint64_t total, max_upload;
    int too_big, too_many, bad_name, io;
};

/* ------------------------------------------------------------------ MD5 (RFC 1321) */
/* OpenRosa's form list and manifest name files by MD5; the hash is an identity for caching
 * on the phone, not a security measure (SHA-256 addresses evidence). */
struct md5 {
    uint32_t a[4];
    uint64_t len;
    unsigned char buf[64];
};
static const uint32_t md5_k[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
static const unsigned md5_r[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                   5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                   4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                   6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};

static void md5_block(struct md5 *m, const unsigned char *p)
{
    uint32_t w[16], a = m->a[0], b = m->a[1], c = m->a[2], d = m->a[3];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
               (uint32_t)p[4 * i + 3] << 24;
    for (unsigned i = 0; i < 64; i++) {
        uint32_t f, g;
        if (i < 16) f = (b & c) | (~b & d), g = i;
        else if (i < 32) f = (d & b) | (~d & c), g = (5 * i + 1) % 16;
        else if (i < 48) f = b ^ c ^ d, g = (3 * i + 5) % 16;
        else f = c ^ (b | ~d), g = (7 * i) % 16;
        f = f + a + md5_k[i] + w[g];
        a = d, d = c, c = b;
        b = b + ((f << md5_r[i]) | (f >> (32 - md5_r[i])));
    }
    m->a[0] += a, m->a[1] += b, m->a[2] += c, m->a[3] += d;
}

static void md5_hex(const void *data, size_t n, char out[33])
{
    struct md5 m = {{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476}, 0, {0}};
    const unsigned char *p = data;
    unsigned char tail[128];
    size_t rest = n % 64, t;
    for (size_t i = 0; i + 64 <= n; i += 64) md5_block(&m, p + i);
    memset(tail, 0, sizeof tail);
    memcpy(tail, p + n - rest, rest);
    tail[rest] = 0x80;
    t = rest < 56 ? 64 : 128;
    for (int i = 0; i < 8; i++) tail[t - 8 + i] = (unsigned char)(((uint64_t)n * 8) >> (8 * i));
    md5_block(&m, tail);
    if (t == 128) md5_block(&m, tail + 64);
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", (unsigned)(m.a[i / 4] >> (8 * (i % 4))) & 0xff);
}

/* ------------------------------------------------------------------ answers */

static enum MHD_Result send_raw(struct MHD_Connection *conn, const struct server_config *cfg,
                                int status, const char *type, const char *body, size_t n)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(n, (void *)(body ? body : ""), MHD_RESPMEM_MUST_COPY);
    char limit[32];
    enum MHD_Result ret;
    if (!r) return MHD_NO;
    snprintf(limit, sizeof limit, "%llu", (unsigned long long)cfg->max_upload);
    if (type) MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "X-OpenRosa-Version", "1.0");
    MHD_add_response_header(r, "X-OpenRosa-Accept-Content-Length", limit);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cache-Control", "private, no-store");
    ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static void xml_text(struct strbuf *sb, const char *s)
{
    sb_add_html(sb, s);
}

/* An OpenRosaResponse with one message (Chinese / English). */
static enum MHD_Result send_msg(struct MHD_Connection *conn, const struct server_config *cfg,
                                int status, const char *zh, const char *en)
{
    struct strbuf sb = STRBUF_INIT;
    enum MHD_Result ret;
    sb_adds(&sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<OpenRosaResponse xmlns=\"http://openrosa.org/http/response\">\n"
                 "<message nature=\"");
    sb_adds(&sb, status < 300 ? "submit_success" : "error");
    sb_adds(&sb, "\">");
    xml_text(&sb, zh);
    sb_adds(&sb, " / ");
    xml_text(&sb, en);
    sb_adds(&sb, "</message>\n</OpenRosaResponse>\n");
    ret = sb_ok(&sb) ? MHD_NO
                     : send_raw(conn, cfg, status, "text/xml; charset=utf-8", sb.buf, sb.len);
    sb_release(&sb);
    return ret;
}

/* A refusal for the security log, with the token redacted from the path. */
static void seclog(struct store *s, struct MHD_Connection *conn, const struct server_config *cfg,
                   const char *kind, const char *user, const char *url)
{
    char addr[64], detail[300];
    struct error e;
    server_conn_addr(conn, cfg->trusted_proxy, addr, sizeof addr);
    snprintf(detail, sizeof detail, "%s", url);
    access_token_redact(detail);
    if (s && access_security_log(s, kind, addr, user ? user : "", detail, &e))
        fprintf(stderr, "pinggu serve: security log: %s\n", e.msg);
}

/* ------------------------------------------------------------------ forms */

static int forms_dir(const struct server_config *cfg, struct strbuf *dir)
{
    if (cfg->forms_dir) {
        sb_adds(dir, cfg->forms_dir);
        return sb_ok(dir);
    }
    return data_find("forms", dir);
}

/* The field forms, sorted by file name, borrowed from the form cache (server_form_file) until
 * shutdown: the household forms (unit
 * household_*) and, with `village` set, the village forms too (unit village: the village
 * interview and the village exit check). Phones' form list (formList) names the household
 * forms, and the village forms only to a user whose pair the leader's day plan gives a village
 * (plan_village); the browser (/entry/) is offered every sampled village of the user's
 * counties, a phone (/key/) only the villages planned for its pair. */
static size_t field_forms(const struct server_config *cfg, int village,
                          const struct form **out, size_t max)
{
    struct strbuf dir = STRBUF_INIT, path = STRBUF_INIT;
    struct dirent **list = NULL;
    size_t n = 0;
    int k;
    if (forms_dir(cfg, &dir)) goto out;
    k = scandir(dir.buf, &list, NULL, alphasort);
    for (int i = 0; i < k; i++) {
        const char *name = list[i]->d_name;
        size_t len = strlen(name);
        const struct form *f;
        if (n < max && len > 5 && !strcmp(name + len - 5, ".json") && name[0] != '.') {
            sb_reset(&path);
            sb_addf(&path, "%s/%s", dir.buf, name);
            /* loaded once, from the cache fieldwork.c keeps for the JSON route too: parsing a
             * form on every submission was about a quarter of an OpenRosa submission's CPU */
            if (!sb_ok(&path) && (f = server_form_file(path.buf)) && f->unit &&
                (!strncmp(f->unit, "household", 9) || (village && !strcmp(f->unit, "village"))))
                out[n++] = f;
        }
        free(list[i]);
    }
    free(list);
out:
    sb_release(&dir);
    sb_release(&path);
    return n;
}

static int xform_of(const struct form *f, struct strbuf *sb)
{
    char today[16];
    int d = date_today();
    struct xform_opts o = {today, 1};
    struct error e;
    snprintf(today, sizeof today, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
    return form_xform(f, &o, sb, &e);
}

/* ------------------------------------------------------------------ units */

struct unitrow {
    char unit[32];
    char stage[20]; /* household or village */
    int county;
    int day;        /* YYYYMMDD the day plan gives the unit to the user's pair; 0 none */
    int today;      /* date_today(), for the order and the label */
    size_t pos;     /* the order before units_plan, kept among equals */
    char iso[16];   /* day as YYYY-MM-DD, "" if none */
};

/* Whether the user may submit for the sample's row a: a sampled household or village (a
 * reserve only once a non-response activated it) that access_check lets the user write
 * questionnaires for. */
static int unit_writable(const struct access_user *u, const char *round, int released,
                         const struct access_assignment *a)
{
    struct access_target t = {round, a->county, released, 0};
    if (strncmp(a->stage, "household", 9) && strcmp(a->stage, "village")) return 0;
    if (a->reserve && !a->activated) return 0;
    return !access_check(u, RS_QUESTIONNAIRES, AA_WRITE, &t, NULL, NULL);
}

/* The units the token's user may submit for (unit_writable) of the round's sample. Which of
 * them a form is for: units_for_form (field_import refuses a unit of another kind all the
 * same). */
static int my_units(struct store *s, const struct access_user *u, const char *round,
                    struct unitrow **out, size_t *n, struct error *e)
{
    struct access_assignment *a = NULL;
    size_t na = 0;
    int rel = 0, rc;
    *out = NULL, *n = 0;
    if ((rc = access_round_released(s, round, &rel, e))) return rc;
    if ((rc = access_assignments(s, round, &a, &na, e))) return rc;
    *out = mem_calloc(na + 1, sizeof **out);
    if (!*out) {
        mem_free(a);
        return error_set(e, ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < na; i++) {
        if (!unit_writable(u, round, rel > 0, &a[i])) continue;
        snprintf((*out)[*n].unit, sizeof(*out)[*n].unit, "%s", a[i].unit);
        snprintf((*out)[*n].stage, sizeof(*out)[*n].stage, "%s", a[i].stage);
        (*out)[*n].county = a[i].county;
        (*n)++;
    }
    mem_free(a);
    return 0;
}

/* Whether the user may submit for this one unit (*ok), as my_units would list it — read for
 * the unit alone (a submission; listing the whole sample cost about a tenth of an OpenRosa
 * submission's CPU). */
static int my_unit(struct store *s, const struct access_user *u, const char *round,
                   const char *unit, int *ok, struct error *e)
{
    struct access_assignment *a = NULL;
    size_t na = 0;
    int rel = 0, rc;
    *ok = 0;
    if ((rc = access_round_released(s, round, &rel, e))) return rc;
    if ((rc = access_assignments_of(s, round, unit, &a, &na, e))) return rc;
    for (size_t i = 0; i < na && !*ok; i++) *ok = unit_writable(u, round, rel > 0, &a[i]);
    mem_free(a);
    return 0;
}

/* Keeps of units[0..*n) those the form is for: the sampled villages for a village form; for
 * a household form, by the sampled household's category (sample_units.category, fixed at the
 * draw): the registered-household form (unit
 * household_registered) is for every registered category — poor, exited, returned, newly
 * identified — and the general-household form (household_general) for the category
 * "general" (seed 004 annex 2 建档立卡户入户调查问卷 vs annex 3 非贫困户入户调查问卷; its
 * draw: 贫困户5户、脱贫户5户、非建档立卡户5户). The same split field import applies
 * (field.c unit_fits), so a phone is never offered a unit its form would be refused for. */
static int units_for_form(struct store *s, const char *round, const struct form *form,
                          struct unitrow *units, size_t *n, struct error *e)
{
    size_t k = 0;
    int want_general = form->unit && !strcmp(form->unit, "household_general"), rc;
    if (form->unit && !strcmp(form->unit, "village")) {
        for (size_t i = 0; i < *n; i++)
            if (!strcmp(units[i].stage, "village")) units[k++] = units[i];
        *n = k;
        return 0;
    }
    for (size_t i = 0; i < *n; i++) {
        char cat[32];
        if (strcmp(units[i].stage, "household")) continue;
        /* every unit here was read from the sample (my_units), so it is found */
        if ((rc = sample_unit_category(s, round, units[i].unit, cat, sizeof cat, e))) return rc;
        if ((strcmp(cat, "general") == 0) == want_general) units[k++] = units[i];
    }
    if (rc) return rc;
    *n = k;
    return 0;
}

/* Order of units_plan: today's planned units, then the other planned ones by day, then the
 * unplanned; among equals the order before. */
static int plan_rank(const struct unitrow *r)
{
    return r->day == 0 ? 2 : r->day == r->today ? 0 : 1;
}

static int plan_cmp(const void *a, const void *b)
{
    const struct unitrow *x = a, *y = b;
    int rx = plan_rank(x), ry = plan_rank(y);
    if (rx != ry) return rx < ry ? -1 : 1;
    if (x->day != y->day) return x->day < y->day ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Marks each of units[0..*n) with the day the leader's plan in force (survey.h dayplan_list)
 * gives it to u's pair (dayplan_in_pair) and sorts them by plan_cmp; with `planned_only`,
 * keeps only the planned ones (a phone's village list: the store assigns villages to pairs
 * only through the day plan). */
static int units_plan(struct store *s, const struct access_user *u, const char *round,
                      int planned_only, struct unitrow *units, size_t *n, struct error *e)
{
    struct day_assignment *a = NULL;
    size_t na = 0, k = 0;
    int today = date_today(), rc = dayplan_list(s, round, &a, &na, e);
    if (rc) return rc;
    for (size_t i = 0; i < *n; i++) {
        struct unitrow *r = &units[i];
        r->day = 0, r->today = today, r->pos = i, r->iso[0] = '\0';
        for (size_t j = 0; j < na; j++)
            if (!strcmp(a[j].unit, r->unit) && dayplan_in_pair(&a[j], u->name)) r->day = a[j].day;
        if (r->day)
            snprintf(r->iso, sizeof r->iso, "%04d-%02d-%02d", r->day / 10000, r->day / 100 % 100,
                     r->day % 100);
        if (!planned_only || r->day) units[k++] = *r;
    }
    mem_free(a);
    *n = k;
    if (k > 1) qsort(units, k, sizeof *units, plan_cmp);
    return 0;
}

/* 1 in *out if the plan in force gives u's pair a village u may submit for (then its phones
 * are offered the village forms), else 0. */
static int plan_village(struct store *s, const struct access_user *u, const char *round,
                        int *out, struct error *e)
{
    struct unitrow *units = NULL;
    size_t n = 0, k = 0;
    int rc = my_units(s, u, round, &units, &n, e);
    *out = 0;
    for (size_t i = 0; !rc && i < n; i++)
        if (!strcmp(units[i].stage, "village")) units[k++] = units[i];
    if (!rc) rc = units_plan(s, u, round, 1, units, &k, e);
    if (!rc) *out = k > 0;
    mem_free(units);
    return rc;
}

/* units.csv of one form: name, label, state, comments, day — the units of the form's kind
 * (units_for_form), today's planned ones first (units_plan; `phone`: a village form lists only
 * the villages planned for the user's pair); the label carries the review state, 今日 (today)
 * or 计划 DAY (planned) and the rejection comments, so the phone's list shows them (phones
 * cannot download a filled questionnaire; corrections are made in the browser); `day` is the
 * day the leader planned the unit for the user's pair (YYYY-MM-DD, empty if none). */
static int units_csv(struct store *s, const struct access_user *u, const char *round,
                     const struct form *form, int phone, struct strbuf *sb, struct error *e)
{
    struct unitrow *units = NULL;
    size_t n = 0;
    char *mem = NULL;
    size_t memlen = 0;
    FILE *f;
    json_t *rev = NULL;
    int rc = my_units(s, u, round, &units, &n, e);
    if (!rc) rc = units_for_form(s, round, form, units, &n, e);
    if (!rc) rc = units_plan(s, u, round, phone && form->unit && !strcmp(form->unit, "village"),
                             units, &n, e);
    if (rc) {
        mem_free(units);
        return rc;
    }
    f = open_memstream(&mem, &memlen);
    if (!f) {
        mem_free(units);
        return error_set(e, ERR_NOMEM, "out of memory");
    }
    rc = review_list(s, round, NULL, 1, 0, f, e);
    fclose(f);
    if (!rc) rev = json_loadb(mem, memlen, 0, NULL);
    free(mem);
    if (rc) {
        mem_free(units);
        return rc;
    }
    sb_adds(sb, "name,label,state,comments,day\n");
    for (size_t i = 0; i < n; i++) {
        const char *state = "";
        struct strbuf label = STRBUF_INIT, comments = STRBUF_INIT;
        size_t k;
        json_t *q;
        json_array_foreach(rev, k, q)
        {
            const char *unit = json_string_value(json_object_get(q, "unit"));
            json_t *c = json_object_get(q, "comments");
            const char *key;
            json_t *v;
            if (!unit || strcmp(unit, units[i].unit)) continue;
            state = json_string_value(json_object_get(q, "review"));
            if (!state) state = "";
            json_object_foreach(c, key, v)
            {
                if (comments.len) sb_adds(&comments, "; ");
                sb_addf(&comments, "%s: %s", key, json_is_string(v) ? json_string_value(v) : "");
            }
        }
        sb_adds(&label, units[i].unit);
        if (*state) sb_addf(&label, " [%s]", state);
        if (units[i].day == units[i].today) sb_adds(&label, " 今日");
        else if (units[i].day) sb_addf(&label, " 计划 %s", units[i].iso);
        if (comments.len) sb_addf(&label, " %s", comments.buf);
        sb_add_csv(sb, units[i].unit, strlen(units[i].unit));
        sb_addch(sb, ',');
        sb_add_csv(sb, label.buf ? label.buf : "", label.len);
        sb_addch(sb, ',');
        sb_add_csv(sb, state, strlen(state));
        sb_addch(sb, ',');
        sb_add_csv(sb, comments.buf ? comments.buf : "", comments.len);
        sb_addch(sb, ',');
        sb_adds(sb, units[i].iso);
        sb_addch(sb, '\n');
        sb_release(&label);
        sb_release(&comments);
    }
    json_decref(rev);
    mem_free(units);
    return sb_ok(sb) ? error_set(e, ERR_NOMEM, "out of memory") : 0;
}

/* ------------------------------------------------------------------ GET routes */

static void base_url(const char *origin, const char *token, struct strbuf *sb)
{
    sb_addf(sb, "%s/key/%s", origin, token);
}

static enum MHD_Result form_list(struct MHD_Connection *conn, const struct server_config *cfg,
                                 const char *origin, const char *token, struct store *s,
                                 const struct access_user *u, const char *round)
{
    const struct form *f[16];
    size_t n;
    struct strbuf sb = STRBUF_INIT, x = STRBUF_INIT, base = STRBUF_INIT;
    enum MHD_Result ret;
    struct error e;
    int village = 0;
    if (plan_village(s, u, round, &village, &e)) {
        fprintf(stderr, "pinggu serve: formList: %s\n", e.msg);
        return send_msg(conn, cfg, 500, "服务器内部错误", "internal error (logged)");
    }
    n = field_forms(cfg, village, f, 16);
    base_url(origin, token, &base);
    sb_adds(&sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<xforms xmlns=\"http://openrosa.org/xforms/xformsList\">\n");
    for (size_t i = 0; i < n; i++) {
        char md5[33];
        sb_reset(&x);
        if (xform_of(f[i], &x)) continue;
        md5_hex(x.buf, x.len, md5);
        sb_adds(&sb, "<xform><formID>");
        xml_text(&sb, f[i]->id);
        sb_adds(&sb, "</formID><name>");
        xml_text(&sb, f[i]->title_zh ? f[i]->title_zh : f[i]->id);
        sb_adds(&sb, "</name><version>");
        xml_text(&sb, f[i]->version);
        sb_addf(&sb, "</version><hash>md5:%s</hash><downloadUrl>%s/forms/", md5, base.buf);
        xml_text(&sb, f[i]->id);
        sb_addf(&sb, "</downloadUrl><manifestUrl>%s/forms/", base.buf);
        xml_text(&sb, f[i]->id);
        sb_adds(&sb, "/manifest</manifestUrl></xform>\n");
    }
    sb_adds(&sb, "</xforms>\n");
    ret = sb_ok(&sb) ? send_msg(conn, cfg, 500, "服务器内部错误", "out of memory")
                     : send_raw(conn, cfg, 200, "text/xml; charset=utf-8", sb.buf, sb.len);
    sb_release(&sb);
    sb_release(&x);
    sb_release(&base);
    return ret;
}

static const struct form *find_form(const struct form **f, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(f[i]->id, id)) return f[i];
    return NULL;
}

static enum MHD_Result form_get(struct MHD_Connection *conn, const struct server_config *cfg,
                                const char *origin, const char *token, struct store *s,
                                const struct access_user *u, const char *round, const char *id,
                                const char *what)
{
    const struct form *f[16], *one;
    size_t n = field_forms(cfg, 1, f, 16);
    struct strbuf sb = STRBUF_INIT, units = STRBUF_INIT;
    struct error e;
    enum MHD_Result ret;
    one = find_form(f, n, id);
    if (!one) {
        ret = send_msg(conn, cfg, 404, "无此问卷", "no such form");
    } else if (!what) {
        if (xform_of(one, &sb)) ret = send_msg(conn, cfg, 500, "服务器内部错误", "XForm not written");
        else ret = send_raw(conn, cfg, 200, "text/xml; charset=utf-8", sb.buf, sb.len);
    } else if (units_csv(s, u, round, one, token[0] != '\0', &units, &e)) {
        fprintf(stderr, "pinggu serve: units.csv: %s\n", e.msg);
        ret = send_msg(conn, cfg, 500, "服务器内部错误", "internal error (logged)");
    } else if (!strcmp(what, "units.csv")) {
        ret = send_raw(conn, cfg, 200, "text/csv; charset=utf-8", units.buf, units.len);
    } else {
        char md5[33];
        md5_hex(units.buf, units.len, md5);
        sb_adds(&sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<manifest xmlns=\"http://openrosa.org/xforms/xformsManifest\">\n"
                     "<mediaFile><filename>units.csv</filename>");
        sb_addf(&sb, "<hash>md5:%s</hash><downloadUrl>", md5);
        base_url(origin, token, &sb);
        sb_adds(&sb, "/forms/");
        xml_text(&sb, one->id);
        sb_adds(&sb, "/units.csv</downloadUrl></mediaFile>\n</manifest>\n");
        ret = sb_ok(&sb) ? MHD_NO
                         : send_raw(conn, cfg, 200, "text/xml; charset=utf-8", sb.buf, sb.len);
    }
    sb_release(&sb);
    sb_release(&units);
    return ret;
}

/* ------------------------------------------------------------------ multipart */

static enum MHD_Result part_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size)
{
    struct orq *q = cls;
    struct orpart *p;
    (void)kind, (void)content_type, (void)transfer_encoding;
    if (q->too_big || q->too_many || q->bad_name || q->io) return MHD_YES; /* drain */
    if (!key) return MHD_YES;
    if (off == 0) {
        /* a new part: its own file */
        int is_xml = !strcmp(key, "xml_submission_file");
        const char *name = is_xml ? "submission.xml" : filename ? filename : NULL;
        if (!name) return MHD_YES; /* a plain field: not used */
        if (q->nparts == OR_MAX_PARTS) {
            q->too_many = 1;
            return MHD_YES;
        }
        if (!server_name_ok(name, 100) || (!is_xml && !strcmp(name, "submission.xml"))) {
            q->bad_name = 1;
            return MHD_YES;
        }
        for (size_t i = 0; i < q->nparts; i++)
            if (!strcmp(q->parts[i].name, name)) {
                q->bad_name = 1;
                return MHD_YES;
            }
        if (q->fd >= 0) close(q->fd);
        p = &q->parts[q->nparts++];
        memset(p, 0, sizeof *p);
        snprintf(p->key, sizeof p->key, "%s", key);
        snprintf(p->name, sizeof p->name, "%s", name);
        snprintf(p->path, sizeof p->path, "%s/%s", q->dir, name);
        p->is_xml = is_xml;
        q->fd = open(p->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (q->fd < 0) {
            q->io = 1;
            return MHD_YES;
        }
    }
    if (!q->nparts || q->fd < 0) return MHD_YES;
    p = &q->parts[q->nparts - 1];
    p->size += size;
    q->total += size;
    if (p->size > (p->is_xml ? OR_XML_MAX : q->max_upload)) q->too_big = 1; /* stop writing */
    if (size && !q->too_big && write(q->fd, data, size) != (ssize_t)size) q->io = 1;
    return MHD_YES;
}

static int read_small(const char *path, struct strbuf *sb)
{
    char buf[8192];
    ssize_t n;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    while ((n = read(fd, buf, sizeof buf)) > 0) sb_add(sb, buf, (size_t)n);
    close(fd);
    return n < 0 || sb_ok(sb) ? -1 : 0;
}

/* The OpenRosaResponse for a questionnaire field_import refused: its first reasons. */
static enum MHD_Result send_invalid(struct MHD_Connection *conn, const struct server_config *cfg,
                                    const struct errlist *errs, const char *first)
{
    struct strbuf en = STRBUF_INIT;
    enum MHD_Result ret;
    sb_adds(&en, "the questionnaire fails the rules of field import: ");
    if (errs->n)
        for (size_t i = 0; i < errs->n && i < 10; i++) {
            const char *m = errs->items[i].msg, *slash = strrchr(m, '/');
            /* the temporary file's path says nothing to the phone's user */
            if (i) sb_adds(&en, "; ");
            sb_adds(&en, slash && strstr(m, "pinggu-or-") ? slash + 1 : m);
        }
    else
        sb_adds(&en, first);
    ret = send_msg(conn, cfg, 422, "问卷未通过校验（与 field import 相同的规则）",
                   sb_ok(&en) ? "invalid" : en.buf);
    sb_release(&en);
    return ret;
}

/* An OpenRosa submission's writes (the writer queue's job, batch.c): run by the queue's
 * leader on its connection, inside the submission's own savepoint. The answer goes into the
 * job (status and messages, or invalid with errs): the request's own thread sends it once the
 * transaction has committed. */
struct or_job {
    const char *round, *xml, *user;
    const struct form *form;
    size_t len;
    struct orq *q;
    const struct submission_meta *m;
    struct xform_instance inst;
    /* the attachments, staged on the request's thread (hashed, copied into the blob folder and
     * synced: evidence_stage) so the queue only places and records them; [i] for parts[i] */
    struct evidence_staged staged[OR_MAX_PARTS];
    /* the questionnaire read and checked on the request's thread (field_import_prepare of
     * the instance as CSV, in memory), so the queue runs only field_import_prepared_tx */
    struct field_prepared *p;
    int status, invalid;
    const char *zh, *en;
    struct errlist errs;
    struct error e;
};

/* Sets the job's answer: 0 for a success (its writes kept), -1 for a refusal (rolled back). */
static int or_answer(struct or_job *j, int status, const char *zh, const char *en)
{
    j->status = status, j->zh = zh, j->en = en;
    return status < 300 ? 0 : -1;
}

static int or_run(struct store *s, void *arg)
{
    struct or_job *j = arg;
    struct orq *q = j->q;
    struct xform_instance old;
    int rc, added = 0;
    rc = instance_find(s, j->m->instance_id, &old, NULL, &j->e);
    if (rc && rc != ERR_NOTFOUND) goto fail;
    if (!rc) {
        /* the same instance again: the same XML may bring missing attachments */
        if (strcmp(old.sha, j->inst.sha))
            return or_answer(j, 409, "同一 instanceID 的内容不同",
                             "an instance with this instanceID and different content was received "
                             "before; an edit needs a new instanceID with meta/deprecatedID");
        for (size_t i = 0; i < q->nparts; i++) {
            int has = 0;
            if (q->parts[i].is_xml) continue;
            if ((rc = instance_has_attachment(s, old.instance_id, q->parts[i].name, &has, &j->e)))
                goto fail;
            if (has) continue;
            if ((rc = instance_attach_staged(s, &old, q->parts[i].name, q->parts[i].path,
                                             &j->staged[i], &j->e)))
                goto fail;
            added++;
        }
        return added ? or_answer(j, 201, "已补收附件", "missing attachments added")
                     : or_answer(j, 202, "已收到（重复提交）", "already received");
    }
    if (j->m->deprecated_id[0]) {
        rc = instance_find(s, j->m->deprecated_id, &old, NULL, &j->e);
        if (rc == ERR_NOTFOUND)
            return or_answer(j, 409, "被替换的版本不存在", "meta/deprecatedID names no instance received");
        if (rc) goto fail;
        if (strcmp(old.unit, j->inst.unit) || strcmp(old.form, j->inst.form) ||
            strcmp(old.sample, j->inst.sample))
            return or_answer(j, 409, "新版本须与被替换的版本同户同问卷",
                             "a new version must keep the unit and form of the one it replaces");
    }
    /* a second questionnaire of the unit from another user (the other member of the pair) is
     * held as a duplicate for the leader — checked by the same rules, never stored over the
     * one in force; an edit (deprecatedID) is a new version of the same questionnaire */
    if (!j->m->deprecated_id[0]) {
        char holder[64];
        int other = 0;
        if ((rc = instance_unit_pair(s, j->round, j->m->unit, j->form->id, holder, &other, &j->e)))
            goto fail;
        if (other && strcmp(holder, j->user))
            snprintf(j->inst.held, sizeof j->inst.held, "duplicate");
    }
    {
        struct field_stats st;
        struct submission_meta m2;
        memset(&st, 0, sizeof st);
        st.review = 1;
        /* a held duplicate is only checked (instance_import's check_only); a questionnaire
         * to store has its store-free checks done already (j->p) */
        if (j->inst.held[0])
            rc = instance_import(s, j->round, j->form, j->xml, j->len, j->user, 1, &m2, &st,
                                 &j->errs, &j->e);
        else
            rc = field_import_prepared_tx(s, j->round, j->p, &st, &j->errs, &j->e);
    }
    if (rc == ERR_INVALID || rc == ERR_PARSE) {
        j->invalid = 1;
        return -1;
    }
    if (rc) goto fail;
    /* the crash test's kill point (docs/server.md): the questionnaire written, its instance
     * not yet — the transaction keeps both or neither */
    if (server_fault("after-questionnaire")) _exit(137);
    if ((rc = instance_store(s, &j->inst, j->xml, j->len, &j->e))) goto fail;
    for (size_t i = 0; i < q->nparts; i++) {
        if (q->parts[i].is_xml) continue;
        if ((rc = instance_attach_staged(s, &j->inst, q->parts[i].name, q->parts[i].path,
                                         &j->staged[i], &j->e)))
            goto fail;
    }
    if (j->inst.held[0])
        return or_answer(j, 202, "本户已有同组另一成员的问卷：此份作为重复问卷交组长决定",
                         "the unit already has a questionnaire from another member of the pair: "
                         "this one is held as a duplicate for the team leader");
    return or_answer(j, 201, "已收到，待组长审核", "received; it enters review as submitted");
fail:
    if (!store_connected(s)) { /* the database went away (whatever the error says): retry later */
        or_answer(j, 503, "服务暂不可用", "store unavailable");
        return -1;
    }
    fprintf(stderr, "pinggu serve: OpenRosa submission: %s\n", j->e.msg);
    or_answer(j, 500, "服务器内部错误", "internal error (logged)");
    return -1;
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static enum MHD_Result submit(struct MHD_Connection *conn, const struct server_config *cfg,
                              struct store *s, const struct access_user *u, const char *round,
                              struct orq *q, const char *url)
{
    const struct form *f[16], *form = NULL;
    size_t nf = field_forms(cfg, 1, f, 16);
    struct orpart *xmlp = NULL;
    struct strbuf xml = STRBUF_INIT;
    struct answers *a = NULL;
    struct submission_meta m;
    struct or_job job;
    struct batch_job bj;
    struct error e;
    struct strbuf csv = STRBUF_INIT, mcsv = STRBUF_INIT;
    char sha[65];
    int rc, found;
    enum MHD_Result ret;
    memset(&m, 0, sizeof m);
    pthread_once(&xml_once, submission_global_init); /* libxml2's set-up, once, race-free */
    for (size_t i = 0; i < q->nparts; i++)
        if (q->parts[i].is_xml) xmlp = &q->parts[i];
    if (q->too_big) {
        seclog(s, conn, cfg, "oversized", u->name, url);
        ret = send_msg(conn, cfg, 413, "提交或附件过大", "the submission or an attachment is too large");
        goto out;
    }
    if (q->too_many || q->bad_name) {
        ret = send_msg(conn, cfg, 400, "附件过多或附件名不合规",
                       "too many parts, or an attachment name that is repeated, hidden or holds "
                       "'/' or control characters");
        goto out;
    }
    if (q->io) {
        ret = send_msg(conn, cfg, 503, "服务暂不可用", "the upload could not be kept");
        goto out;
    }
    if (!xmlp) {
        ret = send_msg(conn, cfg, 400, "缺少 xml_submission_file",
                       "the multipart body has no xml_submission_file part");
        goto out;
    }
    if (read_small(xmlp->path, &xml)) {
        ret = send_msg(conn, cfg, 503, "服务暂不可用", "the upload could not be read");
        goto out;
    }
    hash_sha256_hex(xml.buf ? xml.buf : "", xml.len, sha);
    /* which form: the instance names it (the first parse reads the root's id) */
    for (size_t i = 0; i < nf && !form; i++) {
        answers_free(a);
        a = NULL;
        if (answers_new(f[i], &a, &e)) break;
        rc = submission_parse(f[i], xml.buf ? xml.buf : "", xml.len, a, &m, &e);
        if (rc == ERR_INVALID && strcmp(m.form_id, f[i]->id)) continue;
        form = f[i];
        if (rc) {
            ret = send_msg(conn, cfg, rc == ERR_INVALID ? 422 : 400, "提交的 XML 不符合问卷",
                           e.msg);
            goto out;
        }
    }
    if (!form) {
        ret = send_msg(conn, cfg, 404, "无此问卷", "the submission names no form of this round");
        goto out;
    }
    if (!m.instance_id[0]) {
        ret = send_msg(conn, cfg, 400, "缺少 meta/instanceID", "the submission has no meta/instanceID");
        goto out;
    }
    if (!m.has_visit || !m.unit[0]) {
        ret = send_msg(conn, cfg, 400, "缺少调查对象 visit/unit", "the submission names no unit (visit/unit)");
        goto out;
    }
    /* the unit must be the pair's (assigned, or an activated reserve) */
    if ((rc = my_unit(s, u, round, m.unit, &found, &e))) {
        fprintf(stderr, "pinggu serve: units: %s\n", e.msg);
        ret = send_msg(conn, cfg, 500, "服务器内部错误", "internal error (logged)");
        goto out;
    }
    if (!found) {
        seclog(s, conn, cfg, "forbidden", u->name, url);
        ret = send_msg(conn, cfg, 403, "该户不是本组分配的调查对象",
                       "the unit is not assigned to your pair (nor an activated reserve)");
        goto out;
    }
    memset(&job, 0, sizeof job);
    errlist_init(&job.errs, 20);
    job.round = round, job.form = form, job.xml = xml.buf ? xml.buf : "", job.len = xml.len;
    job.user = u->name, job.q = q, job.m = &m;
    snprintf(job.inst.instance_id, sizeof job.inst.instance_id, "%s", m.instance_id);
    snprintf(job.inst.sample, sizeof job.inst.sample, "%s", round);
    snprintf(job.inst.form, sizeof job.inst.form, "%s", form->id);
    snprintf(job.inst.unit, sizeof job.inst.unit, "%s", m.unit);
    snprintf(job.inst.user, sizeof job.inst.user, "%s", u->name);
    snprintf(job.inst.sha, sizeof job.inst.sha, "%s", sha);
    snprintf(job.inst.deprecated_id, sizeof job.inst.deprecated_id, "%s", m.deprecated_id);
    /* the attachments' bytes: hashed, copied and synced here, on this request's thread, beside
     * the other requests — the queue keeps only their placing and rows (about two thirds of
     * a photo submission's CPU was this, under the writer's lock) */
    for (size_t i = 0; i < q->nparts; i++) {
        if (q->parts[i].is_xml) continue;
        if ((rc = evidence_stage(s, q->parts[i].path, &job.staged[i], &e))) {
            fprintf(stderr, "pinggu serve: attachment %s: %s\n", q->parts[i].name, e.msg);
            ret = send_msg(conn, cfg, 500, "服务器内部错误", "internal error (logged)");
            goto release;
        }
    }
    /* the instance as the CSV files field import reads, in memory, and every check that
     * needs no store — here, beside the other requests, not in the queue */
    {
        struct field_csv_mem in;
        char source[160];
        memset(&in, 0, sizeof in);
        if ((rc = instance_csv_mem(a, &m, u->name, &csv, &mcsv, &e))) {
            ret = send_msg(conn, cfg, 500, "服务器内部错误", "out of memory");
            goto release;
        }
        in.name = "openrosa.csv";
        in.csv = csv.buf, in.csvlen = csv.len;
        if (mcsv.len) in.members = mcsv.buf, in.mlen = mcsv.len;
        /* the questionnaire names the instance (issue 12), as instance_import does */
        snprintf(source, sizeof source, "openrosa:%s", m.instance_id);
        if (field_import_prepare(form, &in, source, 1, date_today(), &job.p, &e)) {
            ret = send_msg(conn, cfg, 500, "服务器内部错误", "out of memory");
            goto release;
        }
    }
    /* from the instanceID look-up to the last attachment: one job of the writer queue, in one
     * savepoint of one transaction (batch.c) — two re-posts of one instance (a phone retrying)
     * never both find it new, and a crash leaves all of it or nothing */
    memset(&bj, 0, sizeof bj);
    bj.run = or_run, bj.arg = &job, bj.actor = u->name;
    rc = batch_run(s, &bj);
    if (rc == BATCH_LOST)
        ret = send_msg(conn, cfg, 503, "服务暂不可用，请重试", "not stored: please send again");
    else if (job.invalid)
        ret = send_invalid(conn, cfg, &job.errs, job.e.msg);
    else
        ret = send_msg(conn, cfg, job.status, job.zh, job.en);
release:
    /* those not placed: a refusal, a rollback, an attachment the instance had already */
    for (size_t i = 0; i < q->nparts; i++) evidence_staged_release(&job.staged[i]);
    field_prepared_free(job.p);
    errlist_release(&job.errs);
out:
    store_set_actor(s, NULL);
    answers_free(a);
    sb_release(&xml);
    sb_release(&csv);
    sb_release(&mcsv);
    return ret;
}

/* ------------------------------------------------------------------ the handler */

void server_openrosa_done(void *state)
{
    struct orq *q = state;
    if (!q) return;
    if (q->pp) MHD_destroy_post_processor(q->pp);
    if (q->fd >= 0) close(q->fd);
    for (size_t i = 0; i < q->nparts; i++) unlink(q->parts[i].path);
    if (q->dir[0]) rmdir(q->dir);
    mem_free(q);
}

/* Splits "/entry/ROUND/REST": round (64 bytes) and the rest; 0, or -1 if malformed. */
static int split_entry(const char *url, char *round, const char **rest)
{
    const char *t = url + 7, *slash = strchr(t, '/');
    size_t n = slash ? (size_t)(slash - t) : 0;
    if (!n || n >= 64) return -1;
    memcpy(round, t, n);
    round[n] = '\0';
    if (!server_name_ok(round, 63)) return -1;
    *rest = slash + 1;
    return 0;
}

/* The browser path (/entry/ROUND/...): the session cookie; for POST also Origin and the CSRF
 * token, as every state-changing request of the JSON API (http.c). 0 with u filled, or the
 * HTTP status of the refusal with its messages. */
static int browser_auth(struct MHD_Connection *conn, const struct server_config *cfg,
                        const char *origin, struct store *s, const char *url, int post,
                        struct access_user *u, const char **zh, const char **en)
{
    char cookie[80], hash[65];
    struct error e;
    memset(u, 0, sizeof *u);
    if (post && !server_origin_ok(origin,
                                  MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin"),
                                  MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Referer"))) {
        seclog(s, conn, cfg, "origin", "", url);
        *zh = "请求来源不符", *en = "cross-origin or unidentified request refused";
        return 403;
    }
    if (server_cookie(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Cookie"),
                      "pinggu_session", cookie, sizeof cookie) ||
        access_session_get(s, cookie, cfg->idle_timeout, cfg->absolute_timeout, u, hash, &e)) {
        access_user_release(u);
        *zh = "请先登录", *en = "sign in first";
        return 401;
    }
    if (post) {
        const char *tok = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token");
        if (access_session_csrf(s, hash, tok ? tok : "", &e)) {
            seclog(s, conn, cfg, "csrf", u->name, url);
            access_user_release(u);
            *zh = "缺少或错误的 CSRF 令牌", *en = "missing or wrong CSRF token (X-CSRF-Token)";
            return 403;
        }
    }
    if (u->must_change) {
        access_user_release(u);
        *zh = "首次登录须先修改密码", *en = "change your password first (POST /api/me/password)";
        return 403;
    }
    return 0;
}

/* GET /entry/ROUND/entry.html and /entry/ROUND/assets/NAME: the entry page (web/dist, built
 * by npm; vite's base './' makes its assets relative), to a signed-in user only. Names are
 * checked (server_name_ok: no '/', no leading '.') before they touch the file system. */
static enum MHD_Result page_get(struct MHD_Connection *conn, const struct server_config *cfg,
                                const char *rest)
{
    struct strbuf path = STRBUF_INIT, dir = STRBUF_INIT;
    const char *name = !strcmp(rest, "entry.html") ? rest : rest + 7, *ext;
    const char *type = "application/octet-stream";
    struct MHD_Response *r;
    struct stat st;
    enum MHD_Result ret;
    int fd;
    if (!server_name_ok(name, 120) || data_find("web/dist", &dir)) {
        sb_release(&dir);
        return send_msg(conn, cfg, 404, "未找到", "no such page (web/dist: make web)");
    }
    sb_addf(&path, "%s/%s%s", dir.buf, name == rest ? "" : "assets/", name);
    sb_release(&dir);
    fd = sb_ok(&path) ? -1 : open(path.buf, O_RDONLY);
    sb_release(&path);
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        return send_msg(conn, cfg, 404, "未找到", "no such page");
    }
    ext = strrchr(name, '.');
    if (ext && !strcmp(ext, ".html")) type = "text/html; charset=utf-8";
    else if (ext && !strcmp(ext, ".js")) type = "text/javascript; charset=utf-8";
    else if (ext && !strcmp(ext, ".css")) type = "text/css; charset=utf-8";
    else if (ext && !strcmp(ext, ".svg")) type = "image/svg+xml";
    else if (ext && !strcmp(ext, ".woff2")) type = "font/woff2";
    r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cache-Control", "private, no-store");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' "
                            "'unsafe-inline'; font-src 'self' data:; img-src 'self' data: blob:; "
                            "connect-src 'self' data:");
    ret = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* GET /entry/ROUND/instances/ID: a stored instance's XML, for the browser form that corrects a
 * rejected questionnaire (questionnaires read, by the unit's county). */
static enum MHD_Result instance_get(struct MHD_Connection *conn, const struct server_config *cfg,
                                    struct store *s, const struct access_user *u,
                                    const char *round, const char *id, const char *url)
{
    struct xform_instance in;
    struct error e;
    char *xml = NULL;
    int county = 0, rel = 0;
    enum MHD_Result ret;
    if (instance_find(s, id, &in, &xml, &e) || strcmp(in.sample, round)) {
        mem_free(xml);
        return send_msg(conn, cfg, 404, "未找到", "no such instance");
    }
    if (access_unit_county(s, round, in.unit, &county, &e) ||
        access_round_released(s, round, &rel, &e)) {
        mem_free(xml);
        return send_msg(conn, cfg, 404, "未找到", "no such instance");
    }
    {
        struct access_target t = {round, county, rel > 0, 0};
        if (access_check(u, RS_QUESTIONNAIRES, AA_READ, &t, NULL, NULL)) {
            mem_free(xml);
            seclog(s, conn, cfg, "forbidden", u->name, url);
            return send_msg(conn, cfg, 403, "无权访问", "forbidden");
        }
    }
    ret = send_raw(conn, cfg, 200, "text/xml; charset=utf-8", xml, strlen(xml));
    mem_free(xml);
    return ret;
}

/* Splits "/key/TOKEN/REST": token (65 bytes) and the rest; 0, or -1 if malformed. */
static int split(const char *url, char *token, const char **rest)
{
    const char *t = url + 5, *slash = strchr(t, '/');
    size_t n = slash ? (size_t)(slash - t) : strlen(t);
    if (n != 64 || !slash) return -1;
    for (size_t i = 0; i < 64; i++)
        if (!strchr("0123456789abcdefABCDEF", t[i])) return -1;
    memcpy(token, t, 64);
    token[64] = '\0';
    *rest = slash + 1;
    return 0;
}

int server_openrosa(const struct server_config *cfg, const char *origin,
                                struct store *s, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *upload, size_t *upload_size,
                                void **state)
{
    struct orq *q = *state;
    char token[65], round[64], form_id[65];
    const char *rest = NULL;
    struct access_user u;
    struct error e;
    enum MHD_Result ret;
    int post = !strcmp(method, "POST"), browser = !strncmp(url, "/entry/", 7);

    if (q && q->answered) { /* an early answer is queued: drop the rest of the body */
        *upload_size = 0;
        return MHD_YES;
    }
    if (q && *upload_size) {
        if (q->pp && MHD_post_process(q->pp, upload, *upload_size) != MHD_YES) q->io = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    memset(&u, 0, sizeof u);
    if (!s) return send_msg(conn, cfg, 503, "服务暂不可用", "store unavailable");
    if (!q) {
        q = mem_calloc(1, sizeof *q);
        if (!q) return MHD_NO;
        q->fd = -1;
        q->max_upload = cfg->max_upload;
        *state = q;
    }
    /* the first call: everything that needs no body is decided here */
    if (!q->pp && !q->dir[0]) {
        int early = 1, bst = 0;
        const char *bzh = NULL, *ben = NULL;
        if (browser) {
            token[0] = '\0';
            if (split_entry(url, round, &rest))
                bst = 404, bzh = "未找到", ben = "no such resource";
            else
                bst = browser_auth(conn, cfg, origin, s, url, post, &u, &bzh, &ben);
        }
        if (browser && bst) {
            ret = send_msg(conn, cfg, bst, bzh, ben);
        } else if (!browser &&
                   (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Cookie") ||
                    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"))) {
            seclog(s, conn, cfg, "token_path_credentials", "", url);
            ret = send_msg(conn, cfg, 403, "令牌路径不接受 Cookie 或 Basic/Digest 认证",
                           "a cookie or an Authorization header is refused on /key/ paths: "
                           "the token in the URL is the only credential");
        } else if (!browser && (split(url, token, &rest) ||
                                access_token_check(s, token, &u, round, &e))) {
            seclog(s, conn, cfg, "token", "", url);
            ret = send_msg(conn, cfg, 401, "令牌无效、已撤销或已过期",
                           "unknown, revoked or expired token");
        } else {
            if (!post) {
                early = 0;
                ret = MHD_YES;
            } else {
                ret = MHD_NO;
                early = -1; /* decided below */
            }
        }
        if (early != -1) {
            /* answered above */
        } else if (strcmp(rest, "submission")) {
            ret = send_msg(conn, cfg, 405, "不支持的请求方法", "method not allowed");
        } else if (!MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-OpenRosa-Version")) {
            ret = send_msg(conn, cfg, 400, "缺少 X-OpenRosa-Version 头",
                           "the X-OpenRosa-Version: 1.0 header is missing");
        } else {
            const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
            const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
            if (!ct || strncasecmp(ct, "multipart/form-data", 19)) {
                ret = send_msg(conn, cfg, 415, "须为 multipart/form-data",
                               "Content-Type must be multipart/form-data");
            } else if (cl && strtoull(cl, NULL, 10) > cfg->max_upload + OR_XML_MAX) {
                seclog(s, conn, cfg, "oversized", u.name, url);
                ret = send_msg(conn, cfg, 413, "提交或附件过大",
                               "the submission or an attachment is too large");
            } else {
                if (tmpdir_make(q->dir, sizeof q->dir, "pinggu-or")) {
                    ret = send_msg(conn, cfg, 503, "服务暂不可用", "no space for uploads");
                } else if (!(q->pp = MHD_create_post_processor(conn, 64 * 1024, part_cb, q))) {
                    ret = send_msg(conn, cfg, 415, "须为 multipart/form-data",
                                   "the multipart body cannot be read (boundary?)");
                } else {
                    early = 0;
                    ret = MHD_YES;
                }
            }
        }
        access_user_release(&u);
        if (early) {
            q->answered = 1;
            return ret;
        }
        if (post) return MHD_YES; /* the body follows */
    }
    /* the last call (GET and HEAD: the first) */
    if (browser) {
        const char *bzh = NULL, *ben = NULL;
        int bst = split_entry(url, round, &rest) ? 404 : 0;
        token[0] = '\0';
        /* the CSRF token was checked at the first call; the session is read again */
        if (!bst) bst = browser_auth(conn, cfg, origin, s, url, 0, &u, &bzh, &ben);
        if (bst) return send_msg(conn, cfg, bst, bzh ? bzh : "未找到", ben ? ben : "no such resource");
    } else if (split(url, token, &rest) || access_token_check(s, token, &u, round, &e)) {
        access_user_release(&u);
        return send_msg(conn, cfg, 401, "令牌无效、已撤销或已过期", "unknown, revoked or expired token");
    }
    if (post) {
        if (q->pp) MHD_post_process(q->pp, NULL, 0);
        if (q->fd >= 0) close(q->fd), q->fd = -1;
        if (q->total > cfg->max_upload + OR_XML_MAX) q->too_big = 1;
        for (size_t i = 0; i < q->nparts; i++)
            if (!q->parts[i].is_xml && q->parts[i].size > cfg->max_upload) q->too_big = 1;
        ret = submit(conn, cfg, s, &u, round, q, url);
    } else if (!strcmp(rest, "submission") && (!strcmp(method, "HEAD") || !strcmp(method, "GET"))) {
        ret = send_raw(conn, cfg, 204, NULL, NULL, 0);
    } else if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        ret = send_msg(conn, cfg, 405, "不支持的请求方法", "method not allowed");
    } else if (browser && (!strcmp(rest, "entry.html") || !strncmp(rest, "assets/", 7))) {
        ret = page_get(conn, cfg, rest);
    } else if (browser && !strncmp(rest, "instances/", 10) && server_name_ok(rest + 10, 127)) {
        ret = instance_get(conn, cfg, s, &u, round, rest + 10, url);
    } else if (!browser && !strcmp(rest, "formList")) {
        ret = form_list(conn, cfg, origin, token, s, &u, round);
    } else if (!strncmp(rest, "forms/", 6)) {
        const char *id = rest + 6, *sl = strchr(id, '/');
        size_t n = sl ? (size_t)(sl - id) : strlen(id);
        const char *what = sl ? sl + 1 : NULL;
        if (n == 0 || n >= sizeof form_id ||
            (what && strcmp(what, "manifest") && strcmp(what, "units.csv"))) {
            ret = send_msg(conn, cfg, 404, "未找到", "no such resource");
        } else {
            memcpy(form_id, id, n);
            form_id[n] = '\0';
            ret = form_get(conn, cfg, origin, token, s, &u, round, form_id, what);
        }
    } else {
        ret = send_msg(conn, cfg, 404, "未找到", "no such resource");
    }
    access_user_release(&u);
    return ret;
}
