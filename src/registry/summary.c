/*
 * summary.c — the registry at a glance (registry.h): per county, townships, villages,
 * households by registry status, members; what `make demo` prints after an import.
 *
 * Registry status here needs no plan: registered unexited (returned households count as
 * unexited: they are poor again), exited, returned, general, edge, monitored.
 */
#include "registry.h"

#include <string.h>

static struct county_summary *find(struct registry_summary *sum, int64_t code)
{
    for (size_t i = 0; i < sum->ncounties; i++)
        if (sum->counties[i].code == code) return &sum->counties[i];
    return NULL;
}

int registry_summarise(struct store *s, struct registry_summary *sum, struct error *e)
{
    struct stmt *st = NULL;
    int64_t n;
    int rc;
    memset(sum, 0, sizeof *sum);
    rc = store_query_int(s, "SELECT count(*) FROM counties", 0, &n, e);
    if (rc) return rc;
    sum->counties = mem_calloc((size_t)n + 1, sizeof *sum->counties);
    if (!sum->counties) return error_set(e, ERR_NOMEM, "out of memory");
    rc = store_prepare(s, "SELECT code, name, city_name, region, type FROM counties ORDER BY "
                          "code",
                       &st, e);
    if (rc) goto out;
    while ((rc = stmt_step(st, e)) == STORE_ROW && sum->ncounties < (size_t)n) {
        struct county_summary *c = &sum->counties[sum->ncounties++];
        c->code = (int)stmt_int(st, 0);
        snprintf(c->name, sizeof c->name, "%s", stmt_text(st, 1));
        snprintf(c->city, sizeof c->city, "%s", stmt_text(st, 2));
        snprintf(c->region, sizeof c->region, "%s", stmt_text(st, 3));
        snprintf(c->type, sizeof c->type, "%s", stmt_text(st, 4));
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) goto out;

    rc = store_prepare(s, "SELECT county, count(*) FROM townships GROUP BY county", &st, e);
    if (rc) goto out;
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct county_summary *c = find(sum, stmt_int(st, 0));
        if (c) c->townships = stmt_int(st, 1);
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) goto out;

    rc = store_prepare(s, "SELECT county, count(*), sum(poor) FROM villages GROUP BY county", &st,
                       e);
    if (rc) goto out;
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct county_summary *c = find(sum, stmt_int(st, 0));
        if (c) c->villages = stmt_int(st, 1), c->poor_villages = stmt_int(st, 2);
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) goto out;

    rc = store_prepare(
        s,
        "SELECT h.village / 1000000, count(*), sum(h.registered),"
        " sum(CASE WHEN h.registered = 1 AND (h.exit_year IS NULL OR h.returned = 1) THEN 1 "
        "ELSE 0 END),"
        " sum(CASE WHEN h.exit_year IS NOT NULL AND h.returned = 0 THEN 1 ELSE 0 END),"
        " sum(h.returned), sum(1 - h.registered), sum(h.edge), sum(h.monitored)"
        " FROM households h GROUP BY h.village / 1000000",
        &st, e);
    if (rc) goto out;
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct county_summary *c = find(sum, stmt_int(st, 0));
        if (!c) continue;
        c->households = stmt_int(st, 1);
        c->registered = stmt_int(st, 2);
        c->unexited = stmt_int(st, 3);
        c->exited = stmt_int(st, 4);
        c->returned = stmt_int(st, 5);
        c->general = stmt_int(st, 6);
        c->edge = stmt_int(st, 7);
        c->monitored = stmt_int(st, 8);
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) goto out;

    rc = store_prepare(
        s,
        "SELECT h.village / 1000000, count(*), sum(h.registered),"
        " sum(CASE WHEN h.registered = 1 AND (h.exit_year IS NULL OR h.returned = 1) THEN 1 "
        "ELSE 0 END)"
        " FROM members m JOIN households h ON h.row_no = m.household GROUP BY h.village / "
        "1000000",
        &st, e);
    if (rc) goto out;
    while ((rc = stmt_step(st, e)) == STORE_ROW) {
        struct county_summary *c = find(sum, stmt_int(st, 0));
        if (!c) continue;
        c->members = stmt_int(st, 1);
        c->registered_persons = stmt_int(st, 2);
        c->unexited_persons = stmt_int(st, 3);
    }
    stmt_finalize(st);
    st = NULL;
    if (rc < 0) goto out;
    rc = store_query_int(s, "SELECT count(*) FROM projects", 0, &sum->projects, e);
    if (!rc) rc = store_query_int(s, "SELECT count(*) FROM evaluators", 0, &sum->evaluators, e);
    for (size_t i = 0; i < sum->ncounties; i++) {
        struct county_summary *c = &sum->counties[i], *t = &sum->total;
        t->townships += c->townships, t->villages += c->villages;
        t->poor_villages += c->poor_villages, t->households += c->households;
        t->members += c->members, t->registered += c->registered, t->unexited += c->unexited;
        t->exited += c->exited, t->returned += c->returned, t->general += c->general;
        t->edge += c->edge, t->monitored += c->monitored;
        t->registered_persons += c->registered_persons;
        t->unexited_persons += c->unexited_persons;
    }
out:
    stmt_finalize(st);
    if (rc < 0) registry_summary_release(sum);
    return rc < 0 ? rc : 0;
}

void registry_summary_release(struct registry_summary *sum)
{
    mem_free(sum->counties);
    sum->counties = NULL;
    sum->ncounties = 0;
}

/* Pads a UTF-8 string to `width` display columns (CJK characters count two). */
static void pad(struct strbuf *sb, const char *s, int width)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x80) w++;
        else if (*p >= 0xE0 && *p < 0xF0) w += 2;
        else if (*p >= 0xC0) w += 1;
    }
    sb_adds(sb, s);
    for (; w < width; w++) sb_addch(sb, ' ');
}

static void row(struct strbuf *sb, const struct county_summary *c, const char *label)
{
    char code[16];
    snprintf(code, sizeof code, "%d", c->code);
    pad(sb, label ? "" : code, 8);
    pad(sb, label ? label : c->name, 14);
    pad(sb, label ? "" : c->type, 13);
    sb_addf(sb, "%5lld %6lld %5lld %9lld %8lld %8lld %7lld %6lld %9lld %6lld %6lld %10lld %9lld\n",
            (long long)c->townships, (long long)c->villages, (long long)c->poor_villages,
            (long long)c->households, (long long)c->registered, (long long)c->unexited,
            (long long)c->exited, (long long)c->returned, (long long)c->general,
            (long long)c->edge, (long long)c->monitored, (long long)c->members,
            (long long)c->unexited_persons);
}

void registry_summary_print(FILE *f, const struct registry_summary *sum)
{
    struct strbuf sb = STRBUF_INIT;
    sb_adds(&sb, "county  名称          type         乡镇    村 贫困村      户数  建档立卡   "
                 "未脱贫    已脱贫  返贫   一般农户  边缘户 监测户       人口 未脱贫人口\n");
    sb_adds(&sb, "                                  twp  vill  poor      hh     reg  "
                 "unexited   exited  retur   general   edge   mon    members  unexited p\n");
    for (size_t i = 0; i < sum->ncounties; i++) row(&sb, &sum->counties[i], NULL);
    row(&sb, &sum->total, "合计 total");
    sb_addf(&sb, "projects %lld, evaluators %lld\n", (long long)sum->projects,
            (long long)sum->evaluators);
    if (sb_ok(&sb) == 0) fputs(sb.buf, f);
    sb_release(&sb);
}
