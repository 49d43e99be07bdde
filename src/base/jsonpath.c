/*
 * jsonpath.c — errors in JSON documents named by their path (base.h "jsonpath"): the plan
 * files and the comparison rules report every problem as "FILE: households.quotas[2]: reason".
 *
 * Invariant: push and pop pair up, so after a parse the path is back to empty; a failed
 * growth of the path is sticky in its strbuf (the caller checks sb_ok).
 */
#include "base.h"

#include <jansson.h>
#include <string.h>

size_t jpath_key(struct jpath *j, const char *key)
{
    size_t at = j->path.len;
    if (j->path.len) sb_addch(&j->path, '.');
    sb_adds(&j->path, key);
    return at;
}

size_t jpath_idx(struct jpath *j, size_t i)
{
    size_t at = j->path.len;
    sb_addf(&j->path, "[%zu]", i);
    return at;
}

void jpath_pop(struct jpath *j, size_t at)
{
    sb_truncate(&j->path, at);
}

void jpath_verror(struct jpath *j, const char *fmt, va_list ap)
{
    struct error e;
    char msg[400];
    vsnprintf(msg, sizeof msg, fmt, ap);
    error_at(&e, ERR_INVALID, j->name, 0, 0, "%s: %s", j->path.len ? j->path.buf : "(top)",
             msg);
    if (j->errs) errlist_add(j->errs, &e);
    j->nerr++;
}

void jpath_error(struct jpath *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    jpath_verror(j, fmt, ap);
    va_end(ap);
}

void jpath_known_keys(struct jpath *j, struct json_t *obj, const char *keys, int comments)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        size_t at;
        if ((comments && k[0] == '_') || str_in_list(k, strlen(k), keys)) continue;
        at = jpath_key(j, k);
        if (comments)
            jpath_error(j, "unknown key (expected one of: %s; keys beginning with _ are comments)",
                        keys);
        else jpath_error(j, "unknown key (expected one of: %s)", keys);
        jpath_pop(j, at);
    }
}
