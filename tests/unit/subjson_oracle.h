/*
 * subjson_oracle.h — what the server made of a JSON submission body before subjson.c: the body
 * parsed by jansson into a tree (JSON_REJECT_DUPLICATES), then the questionnaire and the
 * members written as CSV from the tree (src/server/fieldwork.c's write_csv until issue 11's
 * one-pass reader replaced it). test_subjson.c and fuzz/fuzz_subjson.c hold submission_json
 * to it: the same bodies refused, the same shape, the same CSV bytes. Test code only.
 */
#ifndef PINGGU_SUBJSON_ORACLE_H
#define PINGGU_SUBJSON_ORACLE_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

struct oracle {
    int malformed;
    char *form, *unit; /* malloc'd or NULL */
    int questionnaire, members, member_not_object;
    char *bad_answer, *bad_member_answer;
    struct strbuf csv, members_csv;
};

static char *oracle_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* fieldwork.c's scalar_text: 0, or -1 for arrays and objects */
static int oracle_scalar(json_t *v, struct strbuf *sb)
{
    if (json_is_string(v)) sb_add(sb, json_string_value(v), json_string_length(v));
    else if (json_is_integer(v)) sb_addf(sb, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v)) sb_addf(sb, "%.17g", json_real_value(v));
    else if (json_is_true(v)) sb_adds(sb, "1");
    else if (json_is_false(v)) sb_adds(sb, "0");
    else if (!json_is_null(v)) return -1;
    return 0;
}

/* fieldwork.c's write_csv: the union of the rows' keys in first-seen order; *bad the first
 * array- or object-valued answer, row by row and in key order (then out is incomplete). */
static void oracle_csv(json_t *rows, struct strbuf *out, char **bad)
{
    size_t nkeys = 0, i, k;
    const char *keys[4096];
    json_t *row, *v, *seen = json_object();
    const char *key;
    json_array_foreach(rows, i, row)
    {
        json_object_foreach(row, key, v)
        {
            if (json_object_get(seen, key)) continue;
            json_object_set_new(seen, key, json_true());
            if (nkeys < 4096) keys[nkeys++] = key;
        }
    }
    for (k = 0; k < nkeys; k++) {
        if (k) sb_addch(out, ',');
        sb_add_csv(out, keys[k], strlen(keys[k]));
    }
    sb_addch(out, '\n');
    json_array_foreach(rows, i, row)
    {
        for (k = 0; k < nkeys; k++) {
            struct strbuf cell = STRBUF_INIT;
            v = json_object_get(row, keys[k]);
            if (k) sb_addch(out, ',');
            if (v && oracle_scalar(v, &cell)) {
                if (!*bad) *bad = strdup(keys[k]);
            } else {
                sb_add_csv(out, cell.buf ? cell.buf : "", cell.len);
            }
            sb_release(&cell);
        }
        sb_addch(out, '\n');
    }
    json_decref(seen);
}

static void oracle_read(const char *body, size_t len, struct oracle *o)
{
    json_error_t jerr;
    json_t *b = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr), *q, *m, *item;
    size_t i;
    memset(o, 0, sizeof *o);
    /* jansson skips a NUL byte right after a number or a literal ({"a": 1\0} reads as
     * {"a": 1}); JSON has no place for one, and submission_json refuses it anywhere */
    if (!b || !json_is_object(b) || memchr(body, 0, len)) {
        o->malformed = 1;
        json_decref(b);
        return;
    }
    q = json_object_get(b, "questionnaire");
    m = json_object_get(b, "members");
    o->form = oracle_dup(json_string_value(json_object_get(b, "form")));
    o->unit = oracle_dup(json_string_value(json_object_get(q, "unit")));
    o->questionnaire = json_is_object(q);
    o->members = !m ? 0 : json_is_array(m) ? 1 : -1;
    if (o->questionnaire) {
        json_t *one = json_array();
        json_array_append(one, q);
        oracle_csv(one, &o->csv, &o->bad_answer);
        json_decref(one);
    }
    if (o->members > 0 && json_array_size(m)) {
        json_array_foreach(m, i, item) if (!json_is_object(item)) o->member_not_object = 1;
        if (!o->member_not_object) oracle_csv(m, &o->members_csv, &o->bad_member_answer);
    }
    json_decref(b);
}

static void oracle_release(struct oracle *o)
{
    free(o->form);
    free(o->unit);
    free(o->bad_answer);
    free(o->bad_member_answer);
    sb_release(&o->csv);
    sb_release(&o->members_csv);
}

static int oracle_streq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static int oracle_sbeq(const struct strbuf *a, const struct strbuf *b)
{
    return a->len == b->len && (!a->len || !memcmp(a->buf, b->buf, a->len));
}

/* NULL when submission_json's reading s agrees with o; else what differs. */
static const char *oracle_differs(const struct oracle *o, const struct json_submission *s, int rc)
{
    if (o->malformed != (rc == ERR_INVALID)) return o->malformed ? "accepted what jansson refuses" : "refused what jansson accepts";
    if (o->malformed) return s->malformed ? NULL : "malformed not set";
    if (rc) return "failed";
    if (!oracle_streq(o->form, s->form)) return "form";
    if (!oracle_streq(o->unit, s->unit)) return "unit";
    if (o->questionnaire != s->questionnaire) return "questionnaire";
    if (o->members != s->members) return "members";
    if (o->member_not_object != s->member_not_object) return "member_not_object";
    if (!oracle_streq(o->bad_answer, s->bad_answer)) return "bad_answer";
    if (!o->bad_answer && !oracle_sbeq(&o->csv, &s->csv)) return "csv";
    if (!o->member_not_object && !oracle_streq(o->bad_member_answer, s->bad_member_answer))
        return "bad_member_answer";
    if (!o->member_not_object && !o->bad_member_answer && !oracle_sbeq(&o->members_csv, &s->members_csv))
        return "members_csv";
    return NULL;
}

#endif
