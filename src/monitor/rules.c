/*
 * rules.c — rules/monitor.json, the numbers of the monitoring rules (monitor.h).
 *
 * Each section quotes its seed in a "_seed" member (ignored here, read by people); every
 * number is checked for range, and an unknown member is an error (a misspelt threshold must
 * not silently fall back to a default). Errors name the JSON path: "FILE: attendance.min_days:
 * must be an integer 1..31".
 */
#include "monitor.h"

#include <jansson.h>
#include <string.h>

static int bad(struct error *e, const char *file, const char *path, const char *why)
{
    return error_at(e, ERR_INVALID, file, 0, 0, "%s: %s", path, why);
}

/* Rejects members of obj not in `known` ('|'-separated; "_..." members are comments). */
static int known_keys(json_t *obj, const char *section, const char *known, const char *file,
                      struct error *e)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        char path[160];
        if (k[0] == '_' || str_in_list(k, strlen(k), known)) continue;
        snprintf(path, sizeof path, "%s%s%s", section, *section ? "." : "", k);
        return bad(e, file, path, "unknown member");
    }
    return 0;
}

static int get_num(json_t *obj, const char *section, const char *key, double lo, double hi,
                   int integer, double *out, const char *file, struct error *e)
{
    json_t *v = json_object_get(obj, key);
    char path[160], why[160];
    snprintf(path, sizeof path, "%s.%s", section, key);
    if (!v) return bad(e, file, path, "missing");
    if (!json_is_number(v) || (integer && !json_is_integer(v)) || json_number_value(v) < lo ||
        json_number_value(v) > hi) {
        snprintf(why, sizeof why, "must be %s %g..%g", integer ? "an integer" : "a number", lo, hi);
        return bad(e, file, path, why);
    }
    *out = json_number_value(v);
    return 0;
}

/* "HH:MM" into minutes after midnight. */
static int get_clock(json_t *obj, const char *section, const char *key, int *out, const char *file,
                     struct error *e)
{
    json_t *v = json_object_get(obj, key);
    const char *s;
    char path[160];
    snprintf(path, sizeof path, "%s.%s", section, key);
    if (!v) return bad(e, file, path, "missing");
    s = json_string_value(v);
    if (!s || strlen(s) != 5 || s[2] != ':' || s[0] < '0' || s[0] > '2' || s[1] < '0' ||
        s[1] > '9' || s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9' ||
        (s[0] - '0') * 10 + (s[1] - '0') > 23)
        return bad(e, file, path, "must be a time of day \"HH:MM\"");
    *out = ((s[0] - '0') * 10 + (s[1] - '0')) * 60 + (s[3] - '0') * 10 + (s[4] - '0');
    return 0;
}

static int load_attendance(json_t *a, struct att_rules *r, const char *file, struct error *e)
{
    const char *sec = "attendance";
    double v;
    int rc;
    if (!json_is_object(a)) return bad(e, file, sec, "missing or not an object");
    if ((rc = known_keys(a, sec,
                         "min_days|morning_end|evening_start|day_visit_days|max_kmh|"
                         "min_jump_km|default_radius_m",
                         file, e)))
        return rc;
    if ((rc = get_num(a, sec, "min_days", 1, 31, 1, &v, file, e))) return rc;
    r->min_days = (int)v;
    if ((rc = get_clock(a, sec, "morning_end", &r->morning_end, file, e))) return rc;
    if ((rc = get_clock(a, sec, "evening_start", &r->evening_start, file, e))) return rc;
    if (r->evening_start <= r->morning_end)
        return bad(e, file, "attendance.evening_start", "must be later than morning_end");
    if ((rc = get_num(a, sec, "day_visit_days", 1, 31, 1, &v, file, e))) return rc;
    r->day_visit_days = (int)v;
    if ((rc = get_num(a, sec, "max_kmh", 1, 2000, 0, &r->max_kmh, file, e))) return rc;
    if ((rc = get_num(a, sec, "min_jump_km", 0, 1000, 0, &r->min_jump_km, file, e))) return rc;
    if ((rc = get_num(a, sec, "default_radius_m", 10, 50000, 0, &r->default_radius, file, e)))
        return rc;
    return 0;
}

static int load_post(json_t *a, struct post_rules *r, const char *file, struct error *e)
{
    const char *sec = "post_exit";
    double v;
    int rc;
    if (!json_is_object(a)) return bad(e, file, sec, "missing or not an object");
    if ((rc = known_keys(a, sec,
                         "slowing_ratio|slowing_min_remaining|target_min_share|income_max_share|"
                         "training_drop_ratio|reassigned_share|transition_years|school_age_from|"
                         "school_age_to|work_team_min_poor|interview_min_signs",
                         file, e)))
        return rc;
    if ((rc = get_num(a, sec, "slowing_ratio", 0, 1, 0, &r->slowing_ratio, file, e))) return rc;
    if ((rc = get_num(a, sec, "slowing_min_remaining", 0, 1e9, 1, &v, file, e))) return rc;
    r->slowing_min_remaining = (long)v;
    if ((rc = get_num(a, sec, "target_min_share", 0, 1, 0, &r->target_min_share, file, e)))
        return rc;
    if ((rc = get_num(a, sec, "income_max_share", 0, 1, 0, &r->income_max_share, file, e)))
        return rc;
    if ((rc = get_num(a, sec, "training_drop_ratio", 0, 1, 0, &r->training_drop_ratio, file, e)))
        return rc;
    if ((rc = get_num(a, sec, "reassigned_share", 0, 1, 0, &r->reassigned_share, file, e)))
        return rc;
    if ((rc = get_num(a, sec, "transition_years", 0, 20, 1, &v, file, e))) return rc;
    r->transition_years = (int)v;
    if ((rc = get_num(a, sec, "school_age_from", 0, 30, 1, &v, file, e))) return rc;
    r->school_age_from = (int)v;
    if ((rc = get_num(a, sec, "school_age_to", 0, 30, 1, &v, file, e))) return rc;
    r->school_age_to = (int)v;
    if (r->school_age_to < r->school_age_from)
        return bad(e, file, "post_exit.school_age_to", "must not be below school_age_from");
    if ((rc = get_num(a, sec, "work_team_min_poor", 1, 1e9, 1, &v, file, e))) return rc;
    r->work_team_min_poor = (long)v;
    if ((rc = get_num(a, sec, "interview_min_signs", 1, 4, 1, &v, file, e))) return rc;
    r->interview_min_signs = (int)v;
    return 0;
}

static int load_bulletin(json_t *a, const char *sec, struct bulletin_rules *r, const char *file,
                         struct error *e)
{
    int rc;
    if (!json_is_object(a)) return bad(e, file, sec, "missing or not an object");
    if ((rc = known_keys(a, sec, "good_share|poor_share", file, e))) return rc;
    if ((rc = get_num(a, sec, "good_share", 0, 1, 0, &r->good_share, file, e))) return rc;
    if ((rc = get_num(a, sec, "poor_share", 0, 1, 0, &r->poor_share, file, e))) return rc;
    if (r->good_share + r->poor_share > 1)
        return bad(e, file, sec, "good_share + poor_share must not exceed 1");
    return 0;
}

int bulletin_rules_from_plan(const char *path, struct bulletin_rules *r, int *found,
                             struct error *e)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je), *b;
    struct bulletin_rules tmp;
    int rc = 0;
    *found = 0;
    if (!root) return error_at(e, ERR_PARSE, path, je.line, je.column, "%s", je.text);
    if ((b = json_object_get(root, "bulletin"))) {
        if (!(rc = load_bulletin(b, "bulletin", &tmp, path, e))) *r = tmp, *found = 1;
    }
    json_decref(root);
    return rc;
}

int monitor_rules_load(const char *path, struct monitor_rules *out, struct error *e)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    int rc;
    memset(out, 0, sizeof *out);
    if (!root) return error_at(e, ERR_PARSE, path, je.line, je.column, "%s", je.text);
    if (!json_is_object(root)) {
        rc = bad(e, path, "(top)", "must be an object");
        goto out;
    }
    if ((rc = known_keys(root, "", "attendance|post_exit|bulletin", path, e))) goto out;
    if ((rc = load_attendance(json_object_get(root, "attendance"), &out->att, path, e))) goto out;
    if ((rc = load_post(json_object_get(root, "post_exit"), &out->post, path, e))) goto out;
    if ((rc =
             load_bulletin(json_object_get(root, "bulletin"), "bulletin", &out->bulletin, path, e)))
        goto out;
    rc = 0;
out:
    json_decref(root);
    return rc;
}
