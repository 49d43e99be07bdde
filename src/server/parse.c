/*
 * parse.c — the parsers of request parts (server.h): cookies, route paths, the Origin and
 * Referer check, X-Forwarded-For behind a trusted proxy, and names (files, keys) from clients. Pure functions on bounded
 * strings, no allocation: whatever the client sends, they either match exactly or refuse.
 * fuzz/fuzz_http.c drives them.
 */
#include "server.h"

#include <string.h>

int server_cookie(const char *header, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name);
    const char *p = header;
    if (!header || !size) return -1;
    while (*p) {
        while (*p == ' ' || *p == ';' || *p == '\t') p++;
        const char *eq = strchr(p, '='), *semi = strchr(p, ';');
        if (!eq || (semi && semi < eq)) {
            if (!semi) break;
            p = semi + 1;
            continue;
        }
        const char *v = eq + 1, *end = semi ? semi : v + strlen(v);
        if ((size_t)(eq - p) == nl && !strncmp(p, name, nl)) {
            size_t n = (size_t)(end - v);
            if (n && v[0] == '"' && n >= 2 && v[n - 1] == '"') v++, n -= 2;
            if (n == 0 || n >= size) return -1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 0;
        }
        if (!semi) break;
        p = semi + 1;
    }
    return -1;
}

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

int server_route_match(const char *pattern, const char *path, int64_t nums[4],
                       char names[2][65])
{
    const char *p = pattern, *q = path;
    int ni = 0, si = 0;
    if (!path || *path != '/') return 0;
    while (*p && *q) {
        if (*p != '/' || *q != '/') return 0;
        p++, q++;
        const char *pe = strchr(p, '/'), *qe = strchr(q, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p), ql = qe ? (size_t)(qe - q) : strlen(q);
        if (pl == 1 && *p == '#') {
            int64_t v = 0;
            if (ql == 0 || ql > 15 || ni >= 4) return 0;
            for (size_t i = 0; i < ql; i++) {
                if (q[i] < '0' || q[i] > '9') return 0;
                v = v * 10 + (q[i] - '0');
            }
            if (v < 1) return 0;
            nums[ni++] = v;
        } else if (pl == 1 && *p == '*') {
            if (ql == 0 || ql > 64 || si >= 2) return 0;
            for (size_t i = 0; i < ql; i++)
                if (!name_char(q[i])) return 0;
            if (ql == 1 && q[0] == '.') return 0;
            if (ql == 2 && q[0] == '.' && q[1] == '.') return 0;
            memcpy(names[si], q, ql);
            names[si++][ql] = '\0';
        } else if (pl != ql || strncmp(p, q, pl)) {
            return 0;
        }
        p += pl, q += ql;
    }
    return *p == '\0' && *q == '\0';
}

int server_origin_ok(const char *own, const char *origin, const char *referer)
{
    size_t n = strlen(own);
    if (origin) return strcmp(origin, own) == 0;
    if (referer) return strncmp(referer, own, n) == 0 && referer[n] == '/';
    return 0;
}

void server_client_addr(const char *peer, const char *trusted, const char *xff, char *out,
                        size_t size)
{
    snprintf(out, size, "%s", peer ? peer : "");
    if (!trusted || !*trusted || !peer || strcmp(peer, trusted) || !xff) return;
    const char *last = strrchr(xff, ',');
    last = last ? last + 1 : xff;
    while (*last == ' ' || *last == '\t') last++;
    size_t n = strlen(last);
    while (n && (last[n - 1] == ' ' || last[n - 1] == '\t')) n--;
    if (n == 0 || n >= size || n > 45) return;
    for (size_t i = 0; i < n; i++) {
        char c = last[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
              c == '.' || c == ':'))
            return;
    }
    memcpy(out, last, n);
    out[n] = '\0';
}

int server_name_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max || s[0] == '.') return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f) return 0;
    }
    return 1;
}
