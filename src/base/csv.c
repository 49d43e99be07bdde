/*
 * csv.c — streaming CSV reader (base.h).
 *
 * Input is read in blocks into `buf`; a row is first *scanned* (quote-aware, recording field
 * boundaries, nothing modified) and only when its end is inside the buffer is it *cut*: each
 * field is unquoted in place and NUL-terminated over its separator. A row that straddles the
 * end of the buffer is moved to the front, the buffer refilled (grown if the row is longer
 * than the buffer), and the row scanned again — so memory is bounded by the longest row.
 *
 * Encodings. The first block decides: a UTF-8 BOM, valid UTF-8, or UTF-8 whose well-formed
 * multi-byte sequences outnumber the malformed ones UTF8_MAJORITY to one (a UTF-8 file with
 * a stray byte: GBK text makes mostly malformed ones) means UTF-8, and every row is
 * validated, so a stray byte gives "file:line:field: invalid UTF-8" at the line and field
 * that hold it, wherever it is. Otherwise the file is GB18030 (a superset of GBK and GB2312,
 * what Chinese Excel writes as "CSV") and raw blocks pass through iconv into `buf`. UTF-16
 * (Excel's "Unicode text") is refused with a clear message.
 *
 * Invariants: pos <= len <= cap - 1 (one spare byte for the final NUL of an unterminated last
 * row); fields of the current row point into buf between row_start and pos.
 */
#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK (1u << 20)
#define UTF8_MAJORITY 8

struct csv {
    char name[256];
    int fd;                   /* -1 in memory mode */
    const char *mem;          /* memory mode input (borrowed) */
    size_t mem_len, mem_pos;
    enum csv_encoding enc;
    iconv_t cd;               /* GB18030 -> UTF-8, or (iconv_t)-1 */
    char *raw;                /* undecoded bytes (GB18030 mode) */
    size_t raw_len, raw_cap;
    int src_eof;              /* the source has no more bytes */
    char *buf;                /* decoded UTF-8 text */
    size_t len, cap, pos;
    int eof;                  /* buf holds the rest of the text */
    long next_line;           /* line number at pos */
    long row_line;
    size_t nf, fcap;
    size_t *fstart, *fend;    /* scan results: offsets; fend excludes closing quote */
    unsigned char *fquoted;   /* field was quoted (needs unescaping) */
    char **field;             /* cut results */
    size_t *flen;
    uint64_t bytes_read, bytes_total;
};

static int fill_raw(struct csv *c, char *dst, size_t want, size_t *got, struct error *e)
{
    *got = 0;
    if (c->fd < 0) {
        size_t n = c->mem_len - c->mem_pos;
        if (n > want) n = want;
        memcpy(dst, c->mem + c->mem_pos, n);
        c->mem_pos += n;
        *got = n;
        if (c->mem_pos == c->mem_len) c->src_eof = 1;
        c->bytes_read += n;
        return 0;
    }
    while (*got < want) {
        ssize_t r = read(c->fd, dst + *got, want - *got);
        if (r < 0) {
            if (errno == EINTR) continue;
            return error_at(e, ERR_IO, c->name, 0, 0, "read failed: %s", strerror(errno));
        }
        if (r == 0) {
            c->src_eof = 1;
            break;
        }
        *got += (size_t)r;
    }
    c->bytes_read += *got;
    return 0;
}

/* Length of the well-formed UTF-8 sequence at s[0..n) (1 for ASCII), or 0 if it is
 * malformed or cut off by n. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char b = s[0];
    size_t need;
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF) need = 2;
    else if (b >= 0xE0 && b <= 0xEF) need = 3;
    else if (b >= 0xF0 && b <= 0xF4) need = 4;
    else return 0;
    if (n < need) return 0;
    for (size_t k = 1; k < need; k++)
        if ((s[k] & 0xC0) != 0x80) return 0;
    if (b == 0xE0 && s[1] < 0xA0) return 0; /* overlong */
    if (b == 0xED && s[1] > 0x9F) return 0; /* surrogates */
    if (b == 0xF0 && s[1] < 0x90) return 0; /* overlong */
    if (b == 0xF4 && s[1] > 0x8F) return 0; /* beyond U+10FFFF */
    return need;
}

/* Offset of the first malformed byte of s[0..n), or n if there is none. */
static size_t utf8_bad_at(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0, k;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        if (!(k = utf8_seq(s + i, n - i))) return i;
        i += k;
    }
    return n;
}

/* Is a block that is not valid UTF-8 still UTF-8 with a few stray bytes? Counts well-formed
 * multi-byte sequences against malformed bytes (a malformed byte is skipped alone). GBK text
 * read as UTF-8 gives about one well-formed sequence per five malformed ones, so a clear
 * majority of well-formed ones means a UTF-8 file. A block cut inside a sequence counts that
 * sequence as neither. */
static int mostly_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0, good = 0, bad = 0, k;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        k = utf8_seq(s + i, n - i);
        if (k) {
            good++;
            i += k;
        } else {
            if (n - i >= 4) bad++;
            i++;
        }
    }
    return good > 0 && good >= UTF8_MAJORITY * bad;
}

/* Count newlines in buf[from, to): used to place an encoding error on its line. */
static long lines_in(const char *p, size_t from, size_t to)
{
    long n = 0;
    for (size_t i = from; i < to; i++) n += p[i] == '\n';
    return n;
}

/* Appends more decoded text to buf (which has room: cap - 1 - len > 0). */
static int refill(struct csv *c, struct error *e)
{
    size_t room = c->cap - 1 - c->len, got;
    int rc;
    if (c->enc == CSV_UTF8) {
        rc = fill_raw(c, c->buf + c->len, room, &got, e);
        if (rc) return rc;
        c->len += got;
        if (c->src_eof) c->eof = 1;
        return 0;
    }
    /* GB18030: top up raw, then convert as much as fits. */
    if (!c->src_eof && c->raw_len < c->raw_cap) {
        rc = fill_raw(c, c->raw + c->raw_len, c->raw_cap - c->raw_len, &got, e);
        if (rc) return rc;
        c->raw_len += got;
    }
    {
        char *in = c->raw, *out = c->buf + c->len;
        size_t inleft = c->raw_len, outleft = room;
        size_t r = iconv(c->cd, &in, &inleft, &out, &outleft);
        int err = r == (size_t)-1 ? errno : 0;
        unsigned char badbyte = inleft ? (unsigned char)in[0] : 0; /* before the memmove */
        c->len = (size_t)(out - c->buf);
        memmove(c->raw, in, inleft);
        c->raw_len = inleft;
        if (err == EILSEQ || (err == EINVAL && c->src_eof)) {
            long line = c->next_line + lines_in(c->buf, c->pos, c->len);
            long field = 1;
            int quoted = 0;
            /* the field: separators since the line's start, outside quotes */
            size_t from = c->len;
            while (from > c->pos && c->buf[from - 1] != '\n') from--;
            for (size_t i = from; i < c->len; i++) {
                if (c->buf[i] == '"') quoted = !quoted;
                else if (c->buf[i] == ',' && !quoted) field++;
            }
            return error_at(e, ERR_PARSE, c->name, line, field,
                            "bytes that are neither UTF-8 nor GB18030 (0x%02X): save the file "
                            "as CSV in UTF-8 or as Excel's Chinese CSV",
                            badbyte);
        }
        if (c->src_eof && c->raw_len == 0) c->eof = 1;
    }
    return 0;
}

/* Valid UTF-8, allowing one sequence cut off by the end of the block (not at end of input). */
static int valid_utf8_prefix(const unsigned char *s, size_t n, int at_eof)
{
    size_t cut = n;
    if (!at_eof) {
        size_t k = n, back = 0;
        while (k > 0 && back < 3 && (s[k - 1] & 0xC0) == 0x80) k--, back++;
        if (k > 0 && s[k - 1] >= 0xC0) {
            size_t need = s[k - 1] >= 0xF0 ? 4 : s[k - 1] >= 0xE0 ? 3 : 2;
            if (n - (k - 1) < need) cut = k - 1;
        }
    }
    return utf8_valid((const char *)s, cut);
}

static int setup(struct csv *c, struct error *e)
{
    size_t got;
    int rc;
    c->cap = BLOCK + 1;
    c->buf = mem_alloc(c->cap);
    c->fcap = 32;
    c->fstart = mem_alloc(c->fcap * sizeof *c->fstart);
    c->fend = mem_alloc(c->fcap * sizeof *c->fend);
    c->fquoted = mem_alloc(c->fcap);
    c->field = mem_alloc(c->fcap * sizeof *c->field);
    c->flen = mem_alloc(c->fcap * sizeof *c->flen);
    if (!c->buf || !c->fstart || !c->fend || !c->fquoted || !c->field || !c->flen)
        return error_at(e, ERR_NOMEM, c->name, 0, 0, "out of memory");
    c->next_line = 1;
    /* Read the first block raw, then decide the encoding. */
    rc = fill_raw(c, c->buf, BLOCK, &got, e);
    if (rc) return rc;
    c->len = got;
    if (got >= 2 && (((unsigned char)c->buf[0] == 0xFF && (unsigned char)c->buf[1] == 0xFE) ||
                     ((unsigned char)c->buf[0] == 0xFE && (unsigned char)c->buf[1] == 0xFF)))
        return error_at(e, ERR_PARSE, c->name, 1, 0,
                        "the file is UTF-16 (Excel's \"Unicode text\"): save it as CSV (UTF-8 "
                        "or Chinese CSV) instead");
    if (got >= 3 && !memcmp(c->buf, "\xEF\xBB\xBF", 3)) {
        c->pos = 3;
        c->enc = CSV_UTF8;
    } else if (valid_utf8_prefix((const unsigned char *)c->buf, got, c->src_eof) ||
               mostly_utf8((const unsigned char *)c->buf, got)) {
        c->enc = CSV_UTF8; /* a malformed byte is reported with the row that holds it */
    } else {
        c->enc = CSV_GB18030;
        c->cd = iconv_open("UTF-8", "GB18030");
        if (c->cd == (iconv_t)-1)
            return error_at(e, ERR_IO, c->name, 0, 0, "iconv cannot convert GB18030: %s",
                            strerror(errno));
        c->raw_cap = BLOCK;
        c->raw = mem_alloc(c->raw_cap);
        if (!c->raw) return error_at(e, ERR_NOMEM, c->name, 0, 0, "out of memory");
        memcpy(c->raw, c->buf, got);
        c->raw_len = got;
        c->len = 0;
        rc = refill(c, e);
        if (rc) return rc;
        if (c->len >= 3 && !memcmp(c->buf, "\xEF\xBB\xBF", 3)) c->pos = 3; /* BOM, U+FEFF */
        return 0;
    }
    if (c->src_eof) c->eof = 1;
    return 0;
}

static struct csv *csv_new(const char *name)
{
    struct csv *c = mem_calloc(1, sizeof *c);
    if (!c) return NULL;
    snprintf(c->name, sizeof c->name, "%s", name);
    c->fd = -1;
    c->cd = (iconv_t)-1;
    return c;
}

int csv_open(const char *path, struct csv **out, struct error *e)
{
    struct csv *c = csv_new(path);
    struct stat st;
    int rc;
    *out = NULL;
    if (!c) return error_set(e, ERR_NOMEM, "out of memory");
    c->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (c->fd < 0) {
        rc = error_at(e, ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
        csv_close(c);
        return rc;
    }
    if (fstat(c->fd, &st) == 0) c->bytes_total = (uint64_t)st.st_size;
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(c->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    rc = setup(c, e);
    if (rc) {
        csv_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

int csv_open_mem(const char *name, const char *data, size_t len, struct csv **out,
                 struct error *e)
{
    struct csv *c = csv_new(name);
    int rc;
    *out = NULL;
    if (!c) return error_set(e, ERR_NOMEM, "out of memory");
    c->mem = data;
    c->mem_len = len;
    c->bytes_total = len;
    if (len == 0) c->src_eof = 1;
    rc = setup(c, e);
    if (rc) {
        csv_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

void csv_close(struct csv *c)
{
    if (!c) return;
    if (c->fd >= 0) close(c->fd);
    if (c->cd != (iconv_t)-1) iconv_close(c->cd);
    mem_free(c->raw);
    mem_free(c->buf);
    mem_free(c->fstart);
    mem_free(c->fend);
    mem_free(c->fquoted);
    mem_free(c->field);
    mem_free(c->flen);
    mem_free(c);
}

static int grow_fields(struct csv *c)
{
    size_t cap = c->fcap * 2;
    size_t *a = mem_realloc(c->fstart, cap * sizeof *a);
    if (!a) return ERR_NOMEM;
    c->fstart = a;
    a = mem_realloc(c->fend, cap * sizeof *a);
    if (!a) return ERR_NOMEM;
    c->fend = a;
    unsigned char *q = mem_realloc(c->fquoted, cap);
    if (!q) return ERR_NOMEM;
    c->fquoted = q;
    char **f = mem_realloc(c->field, cap * sizeof *f);
    if (!f) return ERR_NOMEM;
    c->field = f;
    a = mem_realloc(c->flen, cap * sizeof *a);
    if (!a) return ERR_NOMEM;
    c->flen = a;
    c->fcap = cap;
    return 0;
}

/* Scans one row starting at c->pos. Returns 1 and sets *end (offset of the row terminator,
 * or len at EOF) and *next (offset after it) if the row is complete in the buffer, 0 if more
 * input is needed, or a negative error. */
static int scan_row(struct csv *c, size_t *end, size_t *next, long *newlines, struct error *e)
{
    const char *b = c->buf;
    size_t i = c->pos, n = c->len;
    long nl = 0;
    c->nf = 0;
    for (;;) {
        size_t fs;
        if (c->nf == c->fcap && grow_fields(c))
            return error_at(e, ERR_NOMEM, c->name, c->next_line, 0, "out of memory");
        if (i < n && b[i] == '"') {
            /* quoted field: runs to a quote not followed by a quote */
            i++;
            fs = i;
            for (;;) {
                const char *q = memchr(b + i, '"', n - i);
                if (!q) {
                    if (c->eof)
                        return error_at(e, ERR_PARSE, c->name, c->next_line, (long)c->nf + 1,
                                        "a quoted field is never closed");
                    return 0;
                }
                for (const char *p = b + i; p < q; p++) nl += *p == '\n';
                i = (size_t)(q - b) + 1;
                if (i < n && b[i] == '"') {
                    i++;
                    continue;
                }
                if (i >= n && !c->eof) return 0; /* can't tell "" from " yet */
                break;
            }
            c->fstart[c->nf] = fs;
            c->fend[c->nf] = i - 1;
            c->fquoted[c->nf] = 1;
            c->nf++;
            /* after the closing quote: separator, end of line, or stray text (lenient:
             * RFC-breaking text after a quote is an error, it signals a broken file) */
            if (i < n && b[i] == ',') {
                i++;
                continue;
            }
            if (i < n && b[i] == '\r' && i + 1 < n && b[i + 1] == '\n') {
                *end = i;
                *next = i + 2;
                break;
            }
            if (i < n && b[i] == '\n') {
                *end = i;
                *next = i + 1;
                break;
            }
            if (i >= n) {
                if (!c->eof) return 0;
                *end = *next = n;
                break;
            }
            if (b[i] == '\r' && i + 1 >= n && !c->eof) return 0;
            return error_at(e, ERR_PARSE, c->name, c->next_line + nl, (long)c->nf,
                            "text after the closing quote of a field");
        }
        /* unquoted field: up to ',' or '\n' */
        fs = i;
        while (i < n && b[i] != ',' && b[i] != '\n') i++;
        if (i >= n) {
            if (!c->eof) return 0;
            c->fstart[c->nf] = fs;
            c->fend[c->nf] = n > fs && b[n - 1] == '\r' ? n - 1 : n;
            c->fquoted[c->nf] = 0;
            c->nf++;
            *end = *next = n;
            break;
        }
        c->fstart[c->nf] = fs;
        c->fquoted[c->nf] = 0;
        if (b[i] == ',') {
            c->fend[c->nf++] = i;
            i++;
            continue;
        }
        c->fend[c->nf++] = i > fs && b[i - 1] == '\r' ? i - 1 : i;
        *end = i;
        *next = i + 1;
        break;
    }
    *newlines = nl + 1;
    return 1;
}

int csv_next(struct csv *c, struct error *e)
{
    size_t end = 0, next = 0;
    long nl = 0;
    int rc;
    for (;;) {
        /* skip empty lines */
        while (c->pos < c->len && (c->buf[c->pos] == '\n' ||
                                   (c->buf[c->pos] == '\r' && c->pos + 1 < c->len &&
                                    c->buf[c->pos + 1] == '\n'))) {
            c->pos += c->buf[c->pos] == '\r' ? 2 : 1;
            c->next_line++;
        }
        if (c->pos >= c->len && c->eof) return 0;
        rc = c->pos < c->len ? scan_row(c, &end, &next, &nl, e) : 0;
        if (rc < 0) return rc;
        if (rc == 1) break;
        /* need more input: compact, grow if the row fills the buffer, refill */
        if (c->pos > 0) {
            memmove(c->buf, c->buf + c->pos, c->len - c->pos);
            c->len -= c->pos;
            c->pos = 0;
        }
        if (c->cap - 1 - c->len < BLOCK / 4) {
            size_t cap = c->cap * 2;
            char *p = mem_realloc(c->buf, cap);
            if (!p) return error_at(e, ERR_NOMEM, c->name, c->next_line, 0, "out of memory");
            c->buf = p;
            c->cap = cap;
        }
        rc = refill(c, e);
        if (rc) return rc;
    }
    /* validate and cut the row */
    if (c->enc == CSV_UTF8 && !utf8_valid(c->buf + c->pos, end - c->pos)) {
        size_t bad = c->pos + utf8_bad_at(c->buf + c->pos, end - c->pos), k = 0;
        long line = c->next_line + lines_in(c->buf, c->pos, bad);
        size_t ch = 1;
        while (k + 1 < c->nf && c->fstart[k + 1] <= bad) k++;
        for (size_t i = c->fstart[k]; i < bad; i++) ch += ((unsigned char)c->buf[i] & 0xC0) != 0x80;
        return error_at(e, ERR_PARSE, c->name, line, (long)k + 1,
                        "invalid UTF-8 (byte 0x%02X at character %zu of the field), though the "
                        "file is UTF-8: save the whole file in one encoding",
                        (unsigned char)c->buf[bad], ch);
    }
    for (size_t k = 0; k < c->nf; k++) {
        char *s = c->buf + c->fstart[k];
        size_t len = c->fend[k] - c->fstart[k];
        if (c->fquoted[k]) { /* "" -> " in place */
            size_t w = 0;
            for (size_t r = 0; r < len; r++) {
                s[w++] = s[r];
                if (s[r] == '"' && r + 1 < len && s[r + 1] == '"') r++;
            }
            len = w;
        }
        s[len] = '\0';
        c->field[k] = s;
        c->flen[k] = len;
    }
    if (end == c->len) c->buf[end] = '\0'; /* the spare byte */
    c->row_line = c->next_line;
    c->next_line += nl;
    c->pos = next;
    return 1;
}

size_t csv_nfields(const struct csv *c)
{
    return c->nf;
}

const char *csv_field(const struct csv *c, size_t i)
{
    return i < c->nf ? c->field[i] : "";
}

size_t csv_field_len(const struct csv *c, size_t i)
{
    return i < c->nf ? c->flen[i] : 0;
}

long csv_line(const struct csv *c)
{
    return c->row_line;
}

const char *csv_name(const struct csv *c)
{
    return c->name;
}

enum csv_encoding csv_encoding_of(const struct csv *c)
{
    return c->enc;
}

uint64_t csv_bytes_read(const struct csv *c)
{
    return c->bytes_read;
}

uint64_t csv_bytes_total(const struct csv *c)
{
    return c->bytes_total;
}

int csv_row_blank(const struct csv *c)
{
    for (size_t i = 0; i < c->nf; i++)
        for (const char *p = c->field[i]; *p; p++)
            if (*p != ' ' && *p != '\t') return 0;
    return 1;
}

/* Header names compare after trimming spaces and ignoring ASCII case. */
static int header_is(const char *h, size_t n, const char *name, size_t nlen)
{
    while (n && (*h == ' ' || *h == '\t')) h++, n--;
    while (n && (h[n - 1] == ' ' || h[n - 1] == '\t')) n--;
    if (n != nlen) return 0;
    for (size_t i = 0; i < n; i++) {
        char a = h[i], b = name[i];
        if (a >= 'A' && a <= 'Z') a = (char)(a + 32);
        if (b >= 'A' && b <= 'Z') b = (char)(b + 32);
        if (a != b) return 0;
    }
    return 1;
}

/* Appends the accepted names of col ("relation, 与户主关系, 关系") to sb. */
static void add_names(struct strbuf *sb, const struct csv_column *col)
{
    const char *a = col->aliases;
    sb_adds(sb, col->name);
    while (a && *a) {
        const char *bar = strchr(a, '|');
        size_t len = bar ? (size_t)(bar - a) : strlen(a);
        int seen = header_is(a, len, col->name, strlen(col->name));
        for (const char *b = col->aliases; !seen && b < a;) { /* said already? */
            const char *bbar = strchr(b, '|');
            seen = header_is(a, len, b, (size_t)(bbar - b));
            b = bbar + 1;
        }
        if (len && !seen) {
            sb_adds(sb, ", ");
            sb_add(sb, a, len);
        }
        if (!bar) break;
        a = bar + 1;
    }
}

/* Every accepted name of the columns (name, then each alias), in column order, with its
 * length: built once per header, so a header cell is compared only with the names of its
 * length (a form's CSV has a hundred cells: the server maps one per submission, issue 11). */
struct accepted {
    const char *s;
    size_t n, k;
};

/* The names into *out (the caller frees it with mem_free; NULL when there are none): their
 * count, or -1 when out of memory. */
static long accepted_names(const struct csv_column *cols, size_t ncols, struct accepted **out)
{
    size_t n = 0, cap = 0;
    struct accepted *a = NULL;
    for (size_t k = 0; k < ncols; k++) {
        const char *p = cols[k].name;
        for (int first = 1; p; first = 0) {
            const char *bar = first ? NULL : strchr(p, '|');
            size_t len = first ? strlen(p) : bar ? (size_t)(bar - p) : strlen(p);
            if (n == cap) {
                struct accepted *g = mem_realloc(a, (cap = cap ? cap * 2 : 32) * sizeof *g);
                if (!g) {
                    mem_free(a);
                    return -1;
                }
                a = g;
            }
            a[n].s = p, a[n].n = len, a[n++].k = k;
            /* as add_names: the aliases end at their last '|' when nothing follows it */
            p = first ? (cols[k].aliases && *cols[k].aliases ? cols[k].aliases : NULL)
                      : bar && bar[1] ? bar + 1 : NULL;
        }
    }
    *out = a;
    return (long)n;
}

int csv_map_header(const struct csv *c, const struct csv_column *cols, size_t ncols, int *index,
                   struct strbuf *ignored, struct error *e)
{
    struct accepted *acc = NULL;
    long nacc = accepted_names(cols, ncols, &acc);
    if (nacc < 0) return error_set(e, ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < ncols; k++) index[k] = -1;
    for (size_t f = 0; f < c->nf; f++) {
        const char *h = c->field[f], *t;
        size_t n = c->flen[f], tn;
        int found = 0;
        if (f == 0 && n >= 3 && !memcmp(h, "\xEF\xBB\xBF", 3)) h += 3, n -= 3;
        for (t = h, tn = n; tn && (*t == ' ' || *t == '\t'); t++, tn--) {}
        while (tn && (t[tn - 1] == ' ' || t[tn - 1] == '\t')) tn--;
        for (size_t k = 0, a = 0; k < ncols; k++) {
            int hit = 0;
            for (; a < (size_t)nacc && acc[a].k == k; a++) /* the names of column k */
                if (!hit && acc[a].n == tn && header_is(t, tn, acc[a].s, tn)) hit = 1;
            if (!hit) continue;
            if (index[k] >= 0) {
                mem_free(acc);
                return error_at(e, ERR_INVALID, c->name, c->row_line, (long)f + 1,
                                "column %s appears twice (also column %d)", cols[k].name,
                                index[k] + 1);
            }
            index[k] = (int)f;
            found = 1;
            break;
        }
        if (!found && ignored && n) {
            if (ignored->len) sb_adds(ignored, ", ");
            sb_add(ignored, h, n);
        }
    }
    mem_free(acc);
    for (size_t k = 0; k < ncols; k++) {
        struct strbuf head = STRBUF_INIT, names = STRBUF_INIT;
        size_t cut;
        if (!cols[k].required || index[k] >= 0) continue;
        /* "missing column relation (the header is: a, b, c); accepted names: ..." */
        for (size_t f = 0; f < c->nf; f++) {
            const char *h = c->field[f];
            size_t n = c->flen[f];
            if (f == 0 && n >= 3 && !memcmp(h, "\xEF\xBB\xBF", 3)) h += 3, n -= 3;
            if (f) sb_adds(&head, ", ");
            sb_add(&head, h, n);
        }
        add_names(&names, &cols[k]);
        cut = head.len;
        if (cut > 240) { /* keep the message whole: cut at a character boundary */
            cut = 240;
            while (cut && ((unsigned char)head.buf[cut] & 0xC0) == 0x80) cut--;
        }
        error_at(e, ERR_INVALID, c->name, c->row_line, 0,
                 "missing column %s (the header is: %.*s%s); accepted names: %s", cols[k].name,
                 (int)cut, head.buf ? head.buf : "", cut < head.len ? " …" : "",
                 names.buf ? names.buf : cols[k].name);
        sb_release(&head);
        sb_release(&names);
        return ERR_INVALID;
    }
    return 0;
}
