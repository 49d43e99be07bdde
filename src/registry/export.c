/*
 * export.c — registry export (registry.h): the store back to the seven files, in the
 * canonical format the importer reads, so export → import → export gives identical bytes.
 *
 * Canonical format: UTF-8 without BOM, LF line ends, a header of canonical names (or, with
 * zh, the Chinese labels), rows in store order (row_no: the order they were imported in),
 * integers in decimal, numbers with %.15g (round-trips every value an office writes),
 * booleans 0/1, codes as canonical English codes (zh: Chinese labels), empty for NULL.
 * Resident IDs are written in full: the export is the office's own data.
 *
 * Atomicity: every file is written as DIR/.NAME.tmp and renamed only when all files are
 * complete; on failure the temporaries are removed and DIR keeps what it had.
 */
#include "registry.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void add_double(struct strbuf *sb, double v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", v);
    sb_adds(sb, buf);
}

/* SELECT for one file: the stored columns in spec order (members: resident and the
 * household's id via a join). */
static int build_select(const struct file_spec *fs, struct strbuf *sql)
{
    int members = !strcmp(fs->table, "members");
    sb_adds(sql, "SELECT ");
    for (size_t k = 0; k < fs->ncols; k++) {
        const struct col_spec *c = &fs->cols[k];
        const char *db = c->db ? c->db : c->name;
        if (k) sb_adds(sql, ", ");
        if (!*db) sb_adds(sql, members ? "m.resident" : "NULL"); /* derived from the ID */
        else if (members && !strcmp(db, "household")) sb_adds(sql, "h.household_id");
        else sb_addf(sql, "%s%s", members ? "m." : "", db);
    }
    if (members)
        sb_adds(sql, " FROM members m JOIN households h ON h.row_no = m.household ORDER BY "
                     "m.row_no");
    else
        sb_addf(sql, " FROM %s ORDER BY row_no", fs->table);
    return sb_ok(sql);
}

static int write_file(struct store *s, const struct file_spec *fs, const char *path, int zh,
                      int64_t *rows, struct error *e)
{
    struct strbuf sql = STRBUF_INIT, line = STRBUF_INIT;
    struct stmt *st = NULL;
    FILE *f = NULL;
    int rc;
    *rows = 0;
    if (build_select(fs, &sql)) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = store_prepare(s, sql.buf, &st, e);
    if (rc) goto out;
    f = fopen(path, "w");
    if (!f) {
        rc = error_set(e, ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        goto out;
    }
    for (size_t k = 0; k < fs->ncols; k++) {
        const char *h = zh ? fs->cols[k].zh : fs->cols[k].name;
        if (k) sb_addch(&line, ',');
        sb_add_csv(&line, h, strlen(h));
    }
    sb_addch(&line, '\n');
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        for (size_t k = 0; k < fs->ncols; k++) {
            const struct col_spec *c = &fs->cols[k];
            int i = (int)k;
            if (k) sb_addch(&line, ',');
            if (stmt_type(st, i) == STORE_NULL) continue;
            if (c->type == COL_RID || (c->db && !*c->db)) {
                char id[19];
                ids_unpack((uint64_t)stmt_int(st, i), id);
                if (c->type == COL_RID) sb_add(&line, id, 18);
                else if (c->type == COL_DATE)
                    sb_addf(&line, "%.4s-%.2s-%.2s", id + 6, id + 10, id + 12);
                else /* sex: the sequence's parity */
                    sb_adds(&line, (id[16] - '0') % 2 ? (zh ? "男" : "male")
                                                      : (zh ? "女" : "female"));
                continue;
            }
            switch (c->type) {
            case COL_REAL: add_double(&line, stmt_double(st, i)); break;
            case COL_INT:
            case COL_YEAR:
            case COL_BOOL:
                if (zh && c->type == COL_BOOL) sb_adds(&line, stmt_int(st, i) ? "是" : "否");
                else sb_addf(&line, "%lld", (long long)stmt_int(st, i));
                break;
            case COL_CODE:
                if (zh) {
                    const char *z = code_zh(c->codes, stmt_text(st, i));
                    sb_add_csv(&line, z, strlen(z));
                    break;
                }
                /* fall through */
            default: sb_add_csv(&line, stmt_text(st, i), stmt_len(st, i));
            }
        }
        sb_addch(&line, '\n');
        (*rows)++;
        if (line.len > (1 << 16)) {
            if (sb_ok(&line) || fwrite(line.buf, 1, line.len, f) != line.len) break;
            sb_reset(&line);
        }
    }
    if (rc < 0) goto out;
    rc = 0;
    if (sb_ok(&line)) rc = error_set(e, ERR_NOMEM, "out of memory");
    else if (fwrite(line.buf, 1, line.len, f) != line.len || fflush(f) || ferror(f))
        rc = error_set(e, ERR_IO, "%s: write failed: %s", path, strerror(errno));
out:
    if (f && fclose(f) && !rc) rc = error_set(e, ERR_IO, "%s: %s", path, strerror(errno));
    stmt_finalize(st);
    sb_release(&sql);
    sb_release(&line);
    return rc;
}

int registry_export(struct store *s, const char *dir, int zh, struct error *e)
{
    struct strbuf tmp[8], fin[8];
    size_t done = 0;
    int rc = 0;
    if (mkdir(dir, 0777) && errno != EEXIST)
        return error_set(e, ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
    for (size_t f = 0; f < registry_nfiles; f++) {
        sb_init(&tmp[f]);
        sb_init(&fin[f]);
        sb_addf(&tmp[f], "%s/.%s.tmp", dir, registry_files[f].file);
        sb_addf(&fin[f], "%s/%s", dir, registry_files[f].file);
        if (sb_ok(&tmp[f]) || sb_ok(&fin[f])) rc = error_set(e, ERR_NOMEM, "out of memory");
    }
    for (size_t f = 0; f < registry_nfiles && !rc; f++, done++) {
        int64_t rows;
        rc = write_file(s, &registry_files[f], tmp[f].buf, zh, &rows, e);
    }
    for (size_t f = 0; f < registry_nfiles; f++) {
        if (!rc && rename(tmp[f].buf, fin[f].buf))
            rc = error_set(e, ERR_IO, "%s: cannot rename: %s", fin[f].buf, strerror(errno));
    }
    for (size_t f = 0; f < registry_nfiles; f++) {
        if (rc) unlink(tmp[f].buf);
        sb_release(&tmp[f]);
        sb_release(&fin[f]);
    }
    (void)done;
    return rc;
}
