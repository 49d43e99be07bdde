/*
 * evidence.c — photos, audio and documents as tamper-evident evidence (survey.h "evidence").
 *
 * A blob is stored once, by the SHA-256 of its bytes, at DB.evidence/ab/cdef… (the first two
 * hex digits as a folder), written to a temporary name and renamed, never modified after.
 * Files (evidence_add, evidence_add_problem) are streamed: copied in fixed-size chunks into a
 * mkstemp temporary of the blob folder while hashed, then renamed to their address — memory
 * is bounded by the chunk, whatever the file's size (photos, recordings, videos).
 * The store records each blob (hash, size, media kind, original name) and every link from a
 * blob to a unit, a questionnaire or a problem, through the change log. Adding the same photo
 * twice stores it once and links it twice.
 *
 * evidence_verify re-hashes every recorded blob and names the first that changed or vanished.
 * Invariant: a blob file's name is the SHA-256 of its content, or verification fails.
 */
#include "survey.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char *evidence_dir(struct store *s)
{
    return store_evidence_dir(s); /* one derivation, in the store (store.h) */
}

static const char *media_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    size_t n;
    if (!dot) return "other";
    dot++;
    n = strlen(dot);
    if (str_in_list(dot, n, "jpg|jpeg|png|heic|gif|webp|bmp|tif|tiff|svg")) return "photo";
    if (str_in_list(dot, n, "mp3|m4a|wav|amr|aac|ogg|opus|flac")) return "audio";
    if (str_in_list(dot, n, "mp4|mov|avi|3gp")) return "video";
    if (str_in_list(dot, n, "pdf|doc|docx|txt|xls|xlsx|csv|odt")) return "document";
    return "other";
}

static int blob_path(const char *dir, const char *hash, struct strbuf *sb)
{
    sb_reset(sb);
    sb_addf(sb, "%s/%.2s/%s", dir, hash, hash + 2);
    return sb_ok(sb);
}

static int mkdirs(const char *dir, const char *hash)
{
    struct strbuf sb = STRBUF_INIT;
    int rc = 0;
    if (mkdir(dir, 0777) && errno != EEXIST) rc = ERR_IO;
    sb_addf(&sb, "%s/%.2s", dir, hash);
    if (!rc && (sb_ok(&sb) || (mkdir(sb.buf, 0777) && errno != EEXIST))) rc = ERR_IO;
    sb_release(&sb);
    return rc;
}

/* Writes data to its content address (if not there yet): to a temporary file of its own,
 * made by mkstemp in the blob's folder (so two threads or processes storing the same new
 * blob at once never share one), then renamed over the address atomically. A concurrent
 * writer of the same blob renames identical bytes: either rename leaves a whole blob. */
static int store_blob(const char *dir, const char *hash, const void *data, size_t len,
                      struct error *e)
{
    struct strbuf path = STRBUF_INIT, tmp = STRBUF_INIT;
    FILE *f = NULL;
    int rc = 0, fd = -1;
    if (mkdirs(dir, hash)) return error_set(e, ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
    if (blob_path(dir, hash, &path)) return error_set(e, ERR_NOMEM, "out of memory");
    if (access(path.buf, F_OK) == 0) goto out; /* deduplicated */
    sb_addf(&tmp, "%s/%.2s/.tmp-XXXXXX", dir, hash);
    fd = sb_ok(&tmp) ? -1 : mkstemp(tmp.buf);
    f = fd < 0 ? NULL : fdopen(fd, "wb");
    if (!f) {
        rc = error_set(e, ERR_IO, "%s: cannot write: %s", path.buf, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp.buf);
        }
        goto out;
    }
    if (fwrite(data, 1, len, f) != len || fflush(f) || fsync(fileno(f)) ||
        fchmod(fileno(f), 0444) /* evidence is never altered */) {
        rc = error_set(e, ERR_IO, "%s: write failed: %s", path.buf, strerror(errno));
        fclose(f);
        unlink(tmp.buf);
        goto out;
    }
    if (fclose(f)) {
        rc = error_set(e, ERR_IO, "%s: write failed: %s", path.buf, strerror(errno));
        unlink(tmp.buf);
        goto out;
    }
    if (rename(tmp.buf, path.buf)) {
        rc = error_set(e, ERR_IO, "%s: cannot rename: %s", path.buf, strerror(errno));
        unlink(tmp.buf);
    }
out:
    sb_release(&path);
    sb_release(&tmp);
    return rc;
}

static void now_iso(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Records blobs and links inside the caller's transaction: blob i links to units[i] /
 * questionnaires[i] and to `problem` (0: none). */
static int record_tx(struct store *s, const char *const *units, const int64_t *questionnaires,
                     int64_t problem, size_t n, char (*hashes)[65], const size_t *sizes,
                     const char *const *names, struct error *e)
{
    struct audit_writer w;
    struct stmt *have = NULL;
    char at[32];
    int rc;
    int *fresh = mem_calloc(n + 1, sizeof *fresh);
    if (!fresh) return error_set(e, ERR_NOMEM, "out of memory");
    now_iso(at);
    rc = store_prepare(s, "SELECT count(*) FROM evidence WHERE sha256 = ?", &have, e);
    for (size_t i = 0; i < n && !rc; i++) {
        stmt_reset(have);
        stmt_bind_text(have, 1, hashes[i], 64);
        rc = stmt_step(have, e) == STORE_ROW ? 0 : ERR_STORE;
        fresh[i] = !rc && stmt_int(have, 0) == 0;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(hashes[j], hashes[i])) fresh[i] = 0; /* the same file twice */
    }
    stmt_finalize(have);
    if (!rc) rc = audit_writer_begin(&w, s, "evidence", "sha256, size, media, name, added", e);
    if (!rc) {
        for (size_t i = 0; i < n && !rc; i++) {
            const char *base = strrchr(names[i], '/');
            base = base ? base + 1 : names[i];
            if (!fresh[i]) continue;
            w.v[1] = rv_text(hashes[i], 64);
            w.v[2] = rv_int((int64_t)sizes[i]);
            w.v[3] = rv_text(media_of(base), strlen(media_of(base)));
            w.v[4] = rv_text(base, strlen(base));
            w.v[5] = rv_text(at, strlen(at));
            rc = audit_writer_row(&w, e);
        }
        if (!rc) rc = audit_writer_commit(&w, "evidence add", units[0], NULL, e);
        else audit_writer_abort(&w);
    }
    if (!rc) rc = audit_writer_begin(&w, s, "evidence_links", "evidence, unit, questionnaire, problem",
                                     e);
    if (!rc) {
        for (size_t i = 0; i < n && !rc; i++) {
            w.v[1] = rv_text(hashes[i], 64);
            w.v[2] = rv_text(units[i], strlen(units[i]));
            w.v[3] = rv_int(questionnaires[i]);
            w.v[4] = rv_int(problem);
            rc = audit_writer_row(&w, e);
        }
        if (!rc) rc = audit_writer_commit(&w, "evidence add", units[0], NULL, e);
        else audit_writer_abort(&w);
    }
    mem_free(fresh);
    return rc;
}

/* Records blobs and links in a transaction of its own, or inside the caller's if one is open
 * (an OpenRosa submission's attachments commit with its questionnaire, issue 12). */
static int record(struct store *s, const char *const *units, const int64_t *questionnaires,
                  size_t n, char (*hashes)[65], const size_t *sizes, const char *const *names,
                  struct error *e)
{
    int rc;
    if (store_in_transaction(s))
        return record_tx(s, units, questionnaires, 0, n, hashes, sizes, names, e);
    rc = store_begin(s, e);
    if (rc) return rc;
    rc = record_tx(s, units, questionnaires, 0, n, hashes, sizes, names, e);
    if (rc) {
        store_rollback(s);
        return rc;
    }
    return store_commit(s, e);
}

int evidence_add_blobs(struct store *s, size_t n, const char *const *units,
                       const int64_t *questionnaires, const char *const *names,
                       const void *const *data, const size_t *lens, struct error *e)
{
    char *dir = evidence_dir(s);
    char(*h)[65] = mem_calloc(n + 1, 65);
    int rc = 0;
    if (!dir || !h) {
        mem_free(dir);
        mem_free(h);
        return error_set(e, ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n && !rc; i++) {
        hash_sha256_hex(data[i], lens[i], h[i]);
        rc = store_blob(dir, h[i], data[i], lens[i], e);
    }
    if (!rc && n) rc = record(s, units, questionnaires, n, h, lens, names, e);
    mem_free(dir);
    mem_free(h);
    return rc;
}

/* Copies the regular file at `path` into a new temporary file of its own in the blob folder
 * `dir` (mkstemp: never shared with another thread or process), EV_CHUNK bytes at a time,
 * hashing each chunk as it goes: memory stays bounded whatever the file's size. *tmp gets the
 * temporary's path (the caller renames it with place_blob or unlinks it), hash its SHA-256 —
 * the same digest as hash_sha256_hex of the whole content — and *size its length. A missing
 * file, a folder or anything else that is not a regular file is bad input (ERR_INVALID, exit
 * 2); a read or write that fails midway is ERR_IO. On failure no temporary is left. */
#define EV_CHUNK 65536
static int stage_file(const char *dir, const char *path, struct strbuf *tmp, char hash[65],
                      size_t *size, struct error *e)
{
    unsigned char *buf = NULL;
    struct sha256 h;
    struct stat sst;
    int in = -1, out = -1, rc = 0;
    ssize_t n;
    *size = 0;
    sb_reset(tmp);
    if (stat(path, &sst))
        return error_set(e, ERR_INVALID, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(sst.st_mode))
        return error_set(e, ERR_INVALID, "%s: is a folder, not a file (give the files in it)",
                         path);
    if (!S_ISREG(sst.st_mode)) return error_set(e, ERR_INVALID, "%s: not a regular file", path);
    in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0) return error_set(e, ERR_INVALID, "%s: cannot open: %s", path, strerror(errno));
    if (!(buf = mem_alloc(EV_CHUNK))) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    if (mkdir(dir, 0777) && errno != EEXIST) {
        rc = error_set(e, ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
        goto out;
    }
    sb_addf(tmp, "%s/.tmp-XXXXXX", dir);
    if (sb_ok(tmp)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        sb_reset(tmp);
        goto out;
    }
    out = mkstemp(tmp->buf);
    if (out < 0) {
        rc = error_set(e, ERR_IO, "%s: cannot write: %s", dir, strerror(errno));
        sb_reset(tmp);
        goto out;
    }
    sha256_init(&h);
    while ((n = read(in, buf, EV_CHUNK)) != 0) {
        size_t done = 0;
        if (n < 0) {
            if (errno == EINTR) continue;
            rc = error_set(e, ERR_IO, "%s: read failed: %s", path, strerror(errno));
            goto out;
        }
        sha256_update(&h, buf, (size_t)n);
        while (done < (size_t)n) {
            ssize_t w = write(out, buf + done, (size_t)n - done);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                rc = error_set(e, ERR_IO, "%s: write failed: %s", tmp->buf, strerror(errno));
                goto out;
            }
            done += (size_t)w;
        }
        *size += (size_t)n;
    }
    sha256_final_hex(&h, hash);
    if (fsync(out) || fchmod(out, 0444) /* evidence is never altered */)
        rc = error_set(e, ERR_IO, "%s: write failed: %s", tmp->buf, strerror(errno));
out:
    if (out >= 0 && close(out) && !rc)
        rc = error_set(e, ERR_IO, "%s: write failed: %s", tmp->buf, strerror(errno));
    if (rc && tmp->len) {
        unlink(tmp->buf);
        sb_reset(tmp);
    }
    if (in >= 0) close(in);
    mem_free(buf);
    return rc;
}

/* Moves a staged temporary (stage_file) to its content address: renamed atomically, or
 * removed when the blob is there already (deduplicated; a concurrent writer of the same blob
 * renames identical bytes, so either rename leaves a whole blob). The temporary is gone
 * afterwards either way. */
static int place_blob(const char *dir, const char *hash, const char *tmp, struct error *e)
{
    struct strbuf path = STRBUF_INIT;
    int rc = 0;
    if (mkdirs(dir, hash))
        rc = error_set(e, ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
    else if (blob_path(dir, hash, &path))
        rc = error_set(e, ERR_NOMEM, "out of memory");
    else if (access(path.buf, F_OK) == 0)
        unlink(tmp); /* deduplicated */
    else if (rename(tmp, path.buf))
        rc = error_set(e, ERR_IO, "%s: cannot rename: %s", path.buf, strerror(errno));
    if (rc) unlink(tmp);
    sb_release(&path);
    return rc;
}

int evidence_stage(struct store *s, const char *path, struct evidence_staged *out,
                   struct error *e)
{
    char *dir = evidence_dir(s);
    struct strbuf tmp = STRBUF_INIT;
    int rc;
    memset(out, 0, sizeof *out);
    if (!dir) return error_set(e, ERR_NOMEM, "out of memory");
    rc = stage_file(dir, path, &tmp, out->hash, &out->size, e);
    mem_free(dir);
    if (rc) {
        sb_release(&tmp);
        return rc;
    }
    out->tmp = tmp.buf; /* the strbuf's text, owned by out now */
    return 0;
}

void evidence_staged_release(struct evidence_staged *st)
{
    if (!st || !st->tmp) return;
    unlink(st->tmp);
    mem_free(st->tmp);
    st->tmp = NULL;
}

/* The questionnaires (row_no) of unit that are in force — any status but superseded — in
 * the sample named `sample`, or in every sample if NULL. Caller frees *out. */
static int unit_questionnaires(struct store *s, const char *unit, const char *sample,
                               int64_t **out, size_t *nout, struct error *e)
{
    struct stmt *st = NULL;
    int64_t *v = NULL;
    size_t n = 0, cap = 0;
    int rc;
    *out = NULL;
    *nout = 0;
    if (sample) {
        int64_t found = 0;
        rc = store_prepare(s, "SELECT count(*) FROM samples WHERE name = ?", &st, e);
        if (rc) return rc;
        stmt_bind_text(st, 1, sample, strlen(sample));
        rc = stmt_step(st, e);
        if (rc == STORE_ROW) found = stmt_int(st, 0), rc = 0;
        stmt_finalize(st);
        st = NULL;
        if (rc) return rc;
        if (!found) return error_set(e, ERR_NOTFOUND, "no sample named '%s' in the store", sample);
    }
    rc = store_prepare(s, "SELECT q.row_no FROM questionnaires q WHERE q.unit = ?1 AND q.status"
                          " <> 'superseded' AND (?2 IS NULL OR q.sample IN (SELECT row_no FROM"
                          " samples WHERE name = ?2)) ORDER BY q.row_no",
                       &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, unit, strlen(unit));
    if (sample) stmt_bind_text(st, 2, sample, strlen(sample));
    else stmt_bind_null(st, 2);
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        if (n == cap) {
            size_t c2 = cap ? cap * 2 : 8;
            int64_t *p = mem_realloc(v, c2 * sizeof *p);
            if (!p) {
                rc = error_set(e, ERR_NOMEM, "out of memory");
                break;
            }
            v = p, cap = c2;
        }
        v[n++] = stmt_int(st, 0);
    }
    stmt_finalize(st);
    if (rc < 0 || rc == ERR_NOMEM) {
        mem_free(v);
        return rc;
    }
    *out = v;
    *nout = n;
    return 0;
}

int evidence_add_staged(struct store *s, const char *unit, const char *sample,
                        const char *const *names, struct evidence_staged *st, size_t nfiles,
                        int64_t *nlinked, struct error *e)
{
    char *dir = evidence_dir(s);
    char(*lh)[65] = NULL;
    size_t *lsizes = NULL;
    const char **lunits = NULL, **lnames = NULL;
    int64_t *qs = NULL, *lqs = NULL;
    size_t nq = 0, k, nl;
    int rc = 0;
    if (nlinked) *nlinked = 0;
    if (!dir) return error_set(e, ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < nfiles && !rc; i++)
        if (!st[i].tmp) rc = error_set(e, ERR_INVALID, "%s: not staged (or placed already)", names[i]);
    if (!rc) rc = unit_questionnaires(s, unit, sample, &qs, &nq, e);
    if (rc) goto out;
    /* one link per file and questionnaire in force; the unit alone if it has none yet */
    k = nq ? nq : 1;
    nl = nfiles * k;
    lh = mem_calloc(nl + 1, 65);
    lsizes = mem_calloc(nl + 1, sizeof *lsizes);
    lunits = mem_calloc(nl + 1, sizeof *lunits);
    lnames = mem_calloc(nl + 1, sizeof *lnames);
    lqs = mem_calloc(nl + 1, sizeof *lqs);
    if (!lh || !lsizes || !lunits || !lnames || !lqs) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nfiles; i++)
        for (size_t j = 0; j < k; j++) {
            size_t l = i * k + j;
            memcpy(lh[l], st[i].hash, 65);
            lsizes[l] = st[i].size;
            lunits[l] = unit;
            lnames[l] = names[i];
            lqs[l] = nq ? qs[j] : 0;
        }
    for (size_t i = 0; i < nfiles && !rc; i++) {
        rc = place_blob(dir, st[i].hash, st[i].tmp, e);
        mem_free(st[i].tmp); /* renamed, or removed: gone either way */
        st[i].tmp = NULL;
    }
    if (!rc) rc = record(s, lunits, lqs, nl, lh, lsizes, lnames, e);
    if (!rc && nlinked) *nlinked = (int64_t)nq;
out:
    mem_free(dir);
    mem_free(qs);
    mem_free(lh);
    mem_free(lsizes);
    mem_free(lunits);
    mem_free(lnames);
    mem_free(lqs);
    return rc;
}

int evidence_add(struct store *s, const char *unit, const char *sample, const char *const *files,
                 size_t nfiles, char (*hashes)[65], int64_t *nlinked, struct error *e)
{
    struct evidence_staged *st = mem_calloc(nfiles + 1, sizeof *st);
    int rc = 0;
    if (nlinked) *nlinked = 0;
    if (!st) return error_set(e, ERR_NOMEM, "out of memory");
    /* every file copied (streamed, hashed) to a temporary before any blob is placed or row
     * written: a bad one leaves the store and the blob folder unchanged */
    for (size_t i = 0; i < nfiles && !rc; i++) rc = evidence_stage(s, files[i], &st[i], e);
    if (!rc && hashes)
        for (size_t i = 0; i < nfiles; i++) memcpy(hashes[i], st[i].hash, 65);
    if (!rc) rc = evidence_add_staged(s, unit, sample, files, st, nfiles, nlinked, e);
    for (size_t i = 0; i < nfiles; i++) evidence_staged_release(&st[i]); /* those not placed */
    mem_free(st);
    return rc;
}

int evidence_add_problem(struct store *s, const char *unit, int64_t problem,
                         const char *const *files, size_t nfiles, char (*hashes)[65],
                         struct error *e)
{
    char *dir = evidence_dir(s);
    char(*h)[65] = mem_calloc(nfiles + 1, 65);
    size_t *sizes = mem_calloc(nfiles + 1, sizeof *sizes);
    const char **units = mem_calloc(nfiles + 1, sizeof *units);
    int64_t *qs = mem_calloc(nfiles + 1, sizeof *qs);
    struct strbuf tmp = STRBUF_INIT;
    int rc = 0;
    if (!dir || !h || !sizes || !units || !qs) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    if (!store_in_transaction(s)) {
        rc = error_set(e, ERR_INTERNAL, "evidence_add_problem outside a transaction");
        goto out;
    }
    for (size_t i = 0; i < nfiles && !rc; i++) {
        units[i] = unit;
        rc = stage_file(dir, files[i], &tmp, h[i], &sizes[i], e);
        if (!rc) rc = place_blob(dir, h[i], tmp.buf, e); /* the temporary is gone either way */
        sb_reset(&tmp);
    }
    if (!rc && nfiles) rc = record_tx(s, units, qs, problem, nfiles, h, sizes, files, e);
    if (!rc && hashes) memcpy(hashes, h, nfiles * 65);
out:
    sb_release(&tmp);
    mem_free(dir);
    mem_free(h);
    mem_free(sizes);
    mem_free(units);
    mem_free(qs);
    return rc;
}

int evidence_verify(struct store *s, struct evidence_report *r, struct error *e)
{
    char *dir = evidence_dir(s);
    struct stmt *st = NULL;
    struct strbuf path = STRBUF_INIT;
    int rc;
    memset(r, 0, sizeof *r);
    if (!dir) return error_set(e, ERR_NOMEM, "out of memory");
    rc = store_query_int(s, "SELECT count(*) FROM evidence_links", 0, &r->links, e);
    if (!rc) rc = store_prepare(s, "SELECT sha256, size, name FROM evidence ORDER BY row_no", &st, e);
    if (rc) goto out;
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        const char *want = stmt_text(st, 0);
        char got[65];
        struct sha256 h;
        unsigned char buf[65536];
        size_t n;
        int64_t size = 0;
        FILE *f;
        r->blobs++;
        if (blob_path(dir, want, &path)) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        f = fopen(path.buf, "rb");
        if (!f) {
            if (!r->missing++ && !r->changed)
                snprintf(r->first, sizeof r->first, "%s (%s) has vanished from %s", want,
                         stmt_text(st, 2), path.buf);
            continue;
        }
        sha256_init(&h);
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
            sha256_update(&h, buf, n);
            size += (int64_t)n;
        }
        fclose(f);
        sha256_final_hex(&h, got);
        r->bytes += size;
        if (strcmp(got, want)) {
            if (!r->changed++ && !r->missing)
                snprintf(r->first, sizeof r->first,
                         "%s (%s) has changed: its content now hashes to %.16s…", want,
                         stmt_text(st, 2), got);
        }
    }
    if (rc < 0) goto out;
    rc = r->changed || r->missing ? ERR_VERIFY : 0;
out:
    stmt_finalize(st);
    sb_release(&path);
    mem_free(dir);
    return rc;
}
