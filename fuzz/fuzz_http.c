/*
 * fuzz_http.c — libFuzzer target for the server's request parsers (server.h, parse.c): the
 * input is split at newlines into a Cookie header, a path, an Origin, a Referer and an
 * X-Forwarded-For value. Whatever the bytes, each parser must answer without reading out of
 * bounds, and what it accepts must obey its contract: a cookie value is non-empty, has no ';'
 * and lies in the header; an accepted client name holds no folder; a route's numbers are positive and its names hold no '/' and are not
 * "." or ".."; the client address is the peer or made of hex digits, '.' and ':' only.
 */
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char *const patterns[] = {"/api/problems/#/moves", "/api/rounds/*/releases",
                                       "/api/evidence/*", "/api/session", "/api/problems/#"};

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *buf = malloc(size + 1), *part[5] = {0};
    char out[80], names[2][65], addr[64];
    int64_t nums[4];
    size_t k = 0;
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    part[0] = buf;
    for (char *p = buf; *p && k < 4; p++)
        if (*p == '\n') *p = '\0', part[++k] = p + 1;
    for (size_t i = 0; i < 5; i++)
        if (!part[i]) part[i] = (char *)"";

    if (server_cookie(part[0], "pinggu_session", out, sizeof out) == 0) {
        if (!out[0] || strchr(out, ';') || !strstr(part[0], out)) abort();
    }
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        memset(names, 0, sizeof names);
        if (!server_route_match(patterns[i], part[1], nums, names)) continue;
        if (strchr(patterns[i], '#') && nums[0] < 1) abort();
        for (int n = 0; n < 2; n++)
            if (strchr(names[n], '/') || !strcmp(names[n], ".") || !strcmp(names[n], ".."))
                abort();
    }
    if (server_origin_ok("http://127.0.0.1:8080", part[2][0] ? part[2] : NULL,
                         part[3][0] ? part[3] : NULL) &&
        part[2][0] && strcmp(part[2], "http://127.0.0.1:8080"))
        abort();
    if (server_name_ok(part[0], 100) && (strchr(part[0], '/') || strchr(part[0], '\\') ||
                                         part[0][0] == '.' || strlen(part[0]) > 100))
        abort();
    server_client_addr("10.0.0.1", "10.0.0.1", part[4], addr, sizeof addr);
    if (strcmp(addr, "10.0.0.1") && strspn(addr, "0123456789abcdefABCDEF.:") != strlen(addr))
        abort();
    free(buf);
    return 0;
}
