/*
 * evidence.c — the evidence resources (docs/api.md): upload (POST /api/evidence?round&unit&name)
 * and download (GET /api/evidence/SHA256).
 *
 * Evidence arrives as a raw body already streamed to disk by http.c (never held in memory),
 * hashed on the way; evidence_add (survey.h) stores it by content. It goes back out only as a
 * download: the type from its first bytes (never the client's word, never HTML or SVG),
 * Content-Disposition: attachment, nosniff, a sandboxing CSP, private no-store caching.
 */
#include "server_int.h"
#include "../survey/survey.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int evidence_upload(struct ctx *c)
{
    const char *round = ctx_query(c, "round"), *unit = ctx_query(c, "unit"),
               *name = ctx_query(c, "name");
    struct access_target t;
    struct error e;
    struct strbuf named = STRBUF_INIT;
    char hashes[1][65];
    int64_t linked = 0;
    int rel = 0, county = 0, rc;
    if (!round || !unit)
        return ctx_error(c, 422, "invalid", "须指定 round 和 unit", "the query needs round and unit", "unit");
    if (!server_name_ok(name, 100))
        return ctx_error(c, 422, "invalid", "文件名不合法（不得含路径）",
                         "name: a file name without folders, 1-100 bytes", "name");
    if (c->upload_size == 0)
        return ctx_error(c, 422, "invalid", "文件为空", "the upload is empty", "body");
    if (access_round_released(c->s, round, &rel, &e)) return ctx_fail(c, &e);
    if (access_unit_county(c->s, round, unit, &county, &e)) {
        if (e.code == ERR_NOTFOUND) return ctx_error(c, 422, "invalid", "样本中无此单位", e.msg, "unit");
        return ctx_fail(c, &e);
    }
    t.round = round, t.county = county, t.released = rel > 0, t.sent = 0;
    if (ctx_allow(c, RS_EVIDENCE, AA_WRITE, &t, NULL)) return -1;
    /* the blob keeps its uploaded name: a link of the streamed body under that name */
    sb_addf(&named, "%s/%s", c->upload_dir, name);
    if (sb_ok(&named) || link(c->upload_path, named.buf)) {
        sb_release(&named);
        return ctx_error(c, 500, "internal", "服务器内部错误", "cannot keep the upload", NULL);
    }
    {
        const char *files[1] = {named.buf};
        rc = evidence_add(c->s, unit, round, files, 1, hashes, &linked, &e);
    }
    unlink(named.buf);
    sb_release(&named);
    if (rc) return ctx_fail(c, &e);
    if (strcmp(hashes[0], c->upload_sha))
        return ctx_error(c, 500, "internal", "服务器内部错误", "the stored blob differs from the upload", NULL);
    c->status = 201;
    c->out = json_pack("{s:s, s:I, s:s, s:s, s:I}", "sha256", hashes[0], "size",
                       (json_int_t)c->upload_size, "name", name, "unit", unit, "linked",
                       (json_int_t)linked);
    return 0;
}

/* The type from the first bytes; anything unknown is an opaque download. */
static const char *magic_type(const unsigned char *b, size_t n)
{
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "image/jpeg";
    if (n >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8)) return "image/png";
    if (n >= 5 && !memcmp(b, "%PDF-", 5)) return "application/pdf";
    if (n >= 12 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WAVE", 4)) return "audio/wav";
    if (n >= 3 && !memcmp(b, "ID3", 3)) return "audio/mpeg";
    if (n >= 12 && !memcmp(b + 4, "ftyp", 4)) return "video/mp4";
    if (n >= 4 && !memcmp(b, "OggS", 4)) return "audio/ogg";
    return "application/octet-stream";
}

static int evidence_get(struct ctx *c)
{
    const char *sha = c->names[0];
    char round[64], name[128], *dir = NULL;
    unsigned char head[16];
    struct access_target t;
    struct error e;
    struct strbuf path = STRBUF_INIT;
    int64_t size = 0;
    int county = 0, rel = 0, fd;
    ssize_t got;
    if (strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
        return ctx_error(c, 404, "not_found", "无此证据", "no such evidence", NULL);
    if (access_evidence_target(c->s, sha, round, sizeof round, &county, name, sizeof name, &size, &e))
        return ctx_fail(c, &e);
    if (round[0] && access_round_released(c->s, round, &rel, &e)) return ctx_fail(c, &e);
    t.round = round, t.county = county, t.released = rel > 0, t.sent = 0;
    /* evidence linked to no round and no county is the office's alone */
    if (!county) t.county = -1;
    if (ctx_allow(c, RS_EVIDENCE, AA_READ, &t, NULL)) return -1;
    dir = evidence_dir(c->s);
    if (!dir) return ctx_error(c, 500, "internal", "内存不足", "out of memory", NULL);
    sb_addf(&path, "%s/%.2s/%s", dir, sha, sha + 2);
    mem_free(dir);
    fd = sb_ok(&path) ? -1 : open(path.buf, O_RDONLY);
    sb_release(&path);
    if (fd < 0) return ctx_error(c, 404, "not_found", "证据文件缺失", "the blob is missing", NULL);
    got = pread(fd, head, sizeof head, 0);
    c->file_type = magic_type(head, got > 0 ? (size_t)got : 0);
    c->file_fd = fd;
    c->file_size = (uint64_t)size;
    snprintf(c->file_name, sizeof c->file_name, "%s", name);
    c->status = 200;
    return 0;
}

static const struct route routes[] = {
    {"POST", "/api/evidence", evidence_upload, RT_UPLOAD},
    {"GET", "/api/evidence/*", evidence_get, 0},
};

const struct route *server_evidence_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
