/*
 * problems.c — problems in the store (problem.h): recording a finding, applying a life-cycle
 * move, showing a problem with its history, listing a round's problems.
 *
 * The `problems` rows (written by judge/ for candidates and here for direct findings) are never
 * updated: a problem's state is the to_state of its last problem_moves row, or its
 * problems.status when it has none. So a problem keeps its number (row_no) for life, every
 * earlier state stays readable, and the change log covers every move (each move is an audited
 * insert with its own entry). Evidence a move brings is stored by content hash through
 * survey/'s evidence_add_problem in the same transaction, linked to the problem; the county's
 * evidence sits beside the team's (the move's role tells whose it is), never over it.
 *
 * Invariant: problem_apply writes nothing unless the move passes problem_move_check and its
 * evidence requirement; all of its writes commit together or not at all.
 */
#include "problem_int.h"
#include "../survey/survey.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void fmt_day(int d, char out[16])
{
    snprintf(out, 16, "%04d-%02d-%02d", d / 10000 % 10000, d / 100 % 100, d % 100);
}

/* What is known of one problem. */
struct pinfo {
    int64_t id, sample;
    int county;
    char unit[64], kind[32], rule[48], source[32], found_by[128];
    char *description; /* owned */
    int found_on;      /* YYYYMMDD */
    enum problem_state state;
    int64_t moves;
    int64_t team_evidence; /* evidence links brought by the team (not the county) */
};

static int load_problem(struct store *s, int64_t id, struct pinfo *p, struct error *e)
{
    struct stmt *st = NULL;
    int rc;
    memset(p, 0, sizeof *p);
    rc = store_prepare(s,
                       "SELECT sample, county, unit, kind, rule, description, source, status,"
                       " found_by, found_on FROM problems WHERE row_no = ?",
                       &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, id);
    rc = stmt_step(st, e);
    if (rc == STORE_DONE) rc = error_set(e, ERR_INVALID, "no problem number %lld", (long long)id);
    if (rc == STORE_ROW) {
        int ps;
        p->id = id;
        p->sample = stmt_int(st, 0);
        p->county = (int)stmt_int(st, 1);
        snprintf(p->unit, sizeof p->unit, "%s", stmt_text(st, 2));
        snprintf(p->kind, sizeof p->kind, "%s", stmt_text(st, 3));
        snprintf(p->rule, sizeof p->rule, "%s", stmt_text(st, 4));
        p->description = mem_strdup(stmt_text(st, 5));
        snprintf(p->source, sizeof p->source, "%s", stmt_text(st, 6));
        ps = problem_state_parse(stmt_text(st, 7));
        p->state = ps < 0 ? PS_CANDIDATE : (enum problem_state)ps;
        snprintf(p->found_by, sizeof p->found_by, "%s", stmt_text(st, 8));
        if (parse_date(stmt_text(st, 9), &p->found_on)) p->found_on = 0;
        rc = p->description ? 0 : error_set(e, ERR_NOMEM, "out of memory");
    }
    stmt_finalize(st);
    st = NULL;
    if (rc) return rc;
    rc = store_prepare(s,
                       "SELECT to_state, (SELECT count(*) FROM problem_moves WHERE problem = ?1)"
                       " FROM problem_moves WHERE problem = ?1 ORDER BY row_no DESC LIMIT 1",
                       &st, e);
    if (!rc) {
        stmt_bind_int(st, 1, id);
        rc = stmt_step(st, e);
        if (rc == STORE_ROW) {
            int ps = problem_state_parse(stmt_text(st, 0));
            if (ps >= 0) p->state = (enum problem_state)ps;
            p->moves = stmt_int(st, 1);
        }
        rc = rc < 0 ? rc : 0;
    }
    stmt_finalize(st);
    st = NULL;
    if (rc) return rc;
    /* the team's evidence: links to the problem, less those a county move brought */
    rc = store_prepare(s,
                       "SELECT count(*) FROM evidence_links l WHERE l.problem = ?1 AND NOT EXISTS"
                       " (SELECT 1 FROM problem_moves m WHERE m.problem = ?1 AND"
                       " m.role = 'county' AND instr(m.evidence, l.evidence) > 0)",
                       &st, e);
    if (!rc) {
        stmt_bind_int(st, 1, id);
        rc = stmt_step(st, e);
        if (rc == STORE_ROW) p->team_evidence = stmt_int(st, 0);
        rc = rc < 0 ? rc : 0;
    }
    stmt_finalize(st);
    return rc;
}

/* Every evidence file named must be a readable regular file: bad input, refused before anything
 * is written (exit 2 at the CLI), naming the file. */
static int check_files(const char *const *files, size_t n, struct error *e)
{
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        FILE *f;
        if (stat(files[i], &sb))
            return error_set(e, ERR_INVALID, "evidence file %s: %s", files[i], strerror(errno));
        if (!S_ISREG(sb.st_mode))
            return error_set(e, ERR_INVALID, "evidence file %s is not a regular file", files[i]);
        f = fopen(files[i], "rb");
        if (!f) return error_set(e, ERR_INVALID, "evidence file %s: %s", files[i], strerror(errno));
        fclose(f);
    }
    return 0;
}

static struct rowval text_or_empty(const char *x)
{
    return x ? rv_text(x, strlen(x)) : rv_text("", 0);
}

static char *hashes_json(char (*h)[65], size_t n)
{
    json_t *a = json_array();
    char *out;
    for (size_t i = 0; a && i < n; i++) json_array_append_new(a, json_string(h[i]));
    out = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return out;
}

int problem_apply(struct store *s, int64_t id, const struct problem_move *m, struct error *e)
{
    struct pinfo p;
    struct audit_writer w;
    int w_open = 0, in_tx = 0;
    char(*h)[65] = NULL;
    char *ev = NULL, *detail = NULL;
    char on[16], deadline[16] = "", at[32], key[32];
    int rc, day = m->on ? m->on : date_today();
    const struct problem_move_rule *rule;

    memset(&p, 0, sizeof p);
    rc = check_files(m->evidence, m->nevidence, e);
    if (rc) return rc;
    rc = store_begin(s, e);
    if (rc) return rc;
    in_tx = 1;
    rc = load_problem(s, id, &p, e);
    if (rc) goto out;
    {
        struct problem_move mm = *m;
        mm.on = day;
        rc = problem_move_check(p.state, &mm, p.found_on, e);
    }
    if (rc) goto out;
    rule = problem_move_rule(p.state, m->to);
    if (rule->needs & PM_EVIDENCE) {
        /* confirmation rests on the team's evidence, held or brought now; the other moves
         * that need evidence (recording, rectification, recheck) must bring their own */
        int confirming = m->to == PS_CONFIRMED;
        int64_t have = (int64_t)m->nevidence + (confirming ? p.team_evidence : 0);
        if (have < 1) {
            rc = error_set(e, ERR_INVALID,
                           "%s → %s needs evidence (--evidence FILE): 凡没有核准、核实,或证据不充分"
                           "的,将不作为问题予以采信 (seed 000)%s",
                           problem_state_name(p.state), problem_state_name(m->to),
                           confirming ? "; the problem holds no evidence of the team's" : "");
            goto out;
        }
    }
    if (m->nevidence) {
        h = mem_calloc(m->nevidence + 1, 65);
        if (!h) {
            rc = error_set(e, ERR_NOMEM, "out of memory");
            goto out;
        }
        rc = evidence_add_problem(s, p.unit, id, m->evidence, m->nevidence, h, e);
        if (rc) goto out;
    }
    ev = hashes_json(h, m->nevidence);
    if (!ev) {
        rc = error_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    fmt_day(day, on);
    if (m->deadline) fmt_day(m->deadline, deadline);
    clock_iso_utc(at); /* base: PINGGU_NOW stands in for the clock */
    rc = audit_writer_begin(&w, s, "problem_moves",
                            "problem, from_state, to_state, actor, role, on_day, at, note,"
                            " evidence, deadline, measures, responsible_unit,"
                            " responsible_person, result",
                            e);
    if (rc) goto out;
    w_open = 1;
    {
        const char *fs = problem_state_name(p.state), *ts = problem_state_name(m->to);
        const char *rs = problem_role_name(m->role), *actor = m->actor ? m->actor : audit_actor();
#define T(x) text_or_empty(x)
        w.v[1] = rv_int(id);
        w.v[2] = T(fs);
        w.v[3] = T(ts);
        w.v[4] = T(actor);
        w.v[5] = T(rs);
        w.v[6] = T(on);
        w.v[7] = T(at);
        w.v[8] = T(m->note);
        w.v[9] = T(ev);
        w.v[10] = T(deadline);
        w.v[11] = T(m->measures);
        w.v[12] = T(m->responsible_unit);
        w.v[13] = T(m->responsible_person);
        w.v[14] = T(m->result);
#undef T
        rc = audit_writer_row(&w, e);
        if (!rc) {
            json_t *d = json_pack("{s:I, s:s, s:s, s:s}", "problem", (json_int_t)id, "from", fs,
                                  "to", ts, "role", rs);
            detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
            json_decref(d);
            if (!detail) rc = error_set(e, ERR_NOMEM, "out of memory");
        }
    }
    snprintf(key, sizeof key, "%lld", (long long)id);
    if (!rc) {
        w_open = 0;
        rc = audit_writer_commit(&w, "problem move", key, detail, e);
    }
    if (!rc) {
        in_tx = 0;
        rc = store_commit(s, e);
    }
out:
    if (w_open) audit_writer_abort(&w);
    if (in_tx) store_rollback(s);
    mem_free(p.description);
    mem_free(h);
    free(ev);
    free(detail);
    return rc;
}

int problem_record(struct store *s, const struct problem_finding *f, int64_t *id,
                   struct error *e)
{
    struct audit_writer w;
    struct stmt *st = NULL;
    int w_open = 0, in_tx = 0, rc, day = f->on ? f->on : date_today();
    int64_t sample = 0, village = 0;
    int county = 0;
    char on[16];
    static const char *const kinds[] = {"identification", "exit",         "assistance",
                                        "policy",         "funds",        "project",
                                        "data_quality",   "discipline",   "other"};
    int kind_ok = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) kind_ok |= !strcmp(f->kind, kinds[i]);
    if (!kind_ok)
        return error_set(e, ERR_INVALID,
                         "unknown kind '%s' (identification, exit, assistance, policy, funds, "
                         "project, data_quality, discipline, other — DESIGN §8)",
                         f->kind);
    if (!f->description || !*f->description)
        return error_set(e, ERR_INVALID, "a finding needs a description (问题描述)");
    if (f->source && strcmp(f->source, "finding") && strcmp(f->source, "covert"))
        return error_set(e, ERR_INVALID,
                         "unknown source '%s' (finding: the team's own; covert: a covert visit 暗访)",
                         f->source);
    if (f->nevidence < 1)
        return error_set(e, ERR_INVALID,
                         "a finding is recorded with at least one evidence item (--evidence FILE)");
    if (day > date_today())
        return error_set(e, ERR_INVALID, "the day found cannot be in the future");
    rc = check_files(f->evidence, f->nevidence, e);
    if (rc) return rc;
    rc = store_begin(s, e);
    if (rc) return rc;
    in_tx = 1;
    /* the unit must be one of the round's sampled units */
    rc = store_prepare(s,
                       "SELECT s.row_no, u.county, u.village FROM samples s JOIN sample_units u"
                       " ON u.sample = s.row_no WHERE s.name = ? AND u.code = ? LIMIT 1",
                       &st, e);
    if (!rc) {
        stmt_bind_text(st, 1, f->round, strlen(f->round));
        stmt_bind_text(st, 2, f->unit, strlen(f->unit));
        rc = stmt_step(st, e);
        if (rc == STORE_ROW) {
            sample = stmt_int(st, 0);
            county = (int)stmt_int(st, 1);
            village = stmt_int(st, 2);
            rc = 0;
        } else if (rc == STORE_DONE) {
            rc = error_set(e, ERR_NOTFOUND, "unit '%s' is not in round '%s' (its sample)",
                           f->unit, f->round);
        }
    }
    stmt_finalize(st);
    if (rc) goto out;
    fmt_day(day, on);
    rc = audit_writer_begin(&w, s, "problems", PROBLEM_COLUMNS, e);
    if (rc) goto out;
    w_open = 1;
    {
        const char *src = f->source ? f->source : "finding";
        struct problem_row r = {sample, county, village, f->unit, f->kind, src,
                                f->description, src, "recorded",
                                f->actor ? f->actor : audit_actor(), on};
        rc = problem_row_write(&w, &r, e);
    }
    if (rc) goto out;
    *id = w.last_row;
    w_open = 0;
    rc = audit_writer_commit(&w, "problem record", f->round, NULL, e);
    if (!rc) rc = evidence_add_problem(s, f->unit, *id, f->evidence, f->nevidence, NULL, e);
    if (!rc) {
        in_tx = 0;
        rc = store_commit(s, e);
    }
out:
    if (w_open) audit_writer_abort(&w);
    if (in_tx) store_rollback(s);
    return rc;
}

int problem_show(struct store *s, int64_t id, FILE *f, struct error *e)
{
    struct pinfo p;
    struct stmt *st = NULL;
    int rc = load_problem(s, id, &p, e);
    if (rc) {
        mem_free(p.description);
        return rc;
    }
    fprintf(f, "问题 Problem %lld  %s (%s)\n", (long long)id, problem_state_label(p.state),
            problem_state_name(p.state));
    fprintf(f, "  对象 unit: %s  county %d  kind %s  rule %s  source %s\n", p.unit, p.county,
            p.kind, p.rule, p.source);
    fprintf(f, "  发现 found: %04d-%02d-%02d by %s\n", p.found_on / 10000, p.found_on / 100 % 100,
            p.found_on % 100, p.found_by);
    fprintf(f, "  描述 description: %s\n", p.description);
    fprintf(f, "  团队证据 team evidence items: %lld\n", (long long)p.team_evidence);
    mem_free(p.description);
    rc = store_prepare(s,
                       "SELECT on_day, from_state, to_state, actor, role, note, evidence, deadline,"
                       " measures, responsible_unit, responsible_person, result"
                       " FROM problem_moves WHERE problem = ? ORDER BY row_no",
                       &st, e);
    if (rc) return rc;
    stmt_bind_int(st, 1, id);
    fprintf(f, "  history:\n");
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        fprintf(f, "    %s  %s → %s  by %s (%s)", stmt_text(st, 0), stmt_text(st, 1),
                stmt_text(st, 2), stmt_text(st, 3), stmt_text(st, 4));
        if (*stmt_text(st, 5)) fprintf(f, "  note: %s", stmt_text(st, 5));
        if (strcmp(stmt_text(st, 6), "[]")) fprintf(f, "  evidence: %s", stmt_text(st, 6));
        if (*stmt_text(st, 7)) fprintf(f, "  deadline: %s", stmt_text(st, 7));
        if (*stmt_text(st, 8))
            fprintf(f, "  measures: %s; unit: %s; person: %s", stmt_text(st, 8),
                    stmt_text(st, 9), stmt_text(st, 10));
        if (*stmt_text(st, 11)) fprintf(f, "  result: %s", stmt_text(st, 11));
        fputc('\n', f);
    }
    stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int problem_list(struct store *s, const char *round, int state, FILE *f, struct error *e)
{
    struct stmt *st = NULL;
    int rc;
    int64_t n = 0;
    rc = store_prepare(s,
                       "SELECT p.row_no, p.county, p.unit, p.kind, p.rule, p.found_on,"
                       " coalesce((SELECT m.to_state FROM problem_moves m WHERE m.problem ="
                       " p.row_no ORDER BY m.row_no DESC LIMIT 1), p.status), p.description,"
                       " EXISTS (SELECT 1 FROM problem_links l WHERE l.problem = p.row_no OR"
                       " l.other = p.row_no)"
                       " FROM problems p JOIN samples s ON s.row_no = p.sample"
                       " WHERE s.name = ? ORDER BY p.row_no",
                       &st, e);
    if (rc) return rc;
    stmt_bind_text(st, 1, round, strlen(round));
    fprintf(f, "%-6s %-8s %-22s %-14s %-24s %-10s %-22s %s\n", "no.", "county", "unit", "kind",
            "rule", "found", "state", "description");
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        int ps = problem_state_parse(stmt_text(st, 6));
        if (state >= 0 && ps != state) continue;
        char unit[64];
        /* a person absent from the roster is named by resident ID: masked for people */
        if (stmt_len(st, 2) == 18) mask_id(stmt_text(st, 2), unit, sizeof unit);
        else snprintf(unit, sizeof unit, "%s", stmt_text(st, 2));
        fprintf(f, "%-6lld %-8lld %-22s %-14s %-24s %-10s %-22s %s%s\n", (long long)stmt_int(st, 0),
                (long long)stmt_int(st, 1), unit, stmt_text(st, 3), stmt_text(st, 4),
                stmt_text(st, 5), stmt_text(st, 6), stmt_text(st, 7),
                stmt_int(st, 8) ? "  [linked 关联]" : "");
        n++;
    }
    stmt_finalize(st);
    if (rc < 0) return rc;
    fprintf(f, "%lld problem(s)\n", (long long)n);
    return 0;
}
