/*
 * authz.c — the authorisation matrix (access.h) as one table of data, and its one check.
 *
 * A row (role, resource, action, scope, phase) allows that role that action on that resource,
 * over the units of `scope`, in `phase` of the round. No row: denied. access_check tries each
 * of the user's grants for the round (a grant with round "" holds in every round), and on top
 * applies the home-city rule (DESIGN §10, seed 002 四: Anhui's leaders and most members are
 * cadres of assessed cities): before the round's release, nobody — whatever the role — reads
 * or writes the sample, assignments, progress, problems or figures of the city or county they
 * are a cadre of. Seed and manifest are office-only until published (here: the release).
 *
 * The matrix follows DESIGN §10: office all within its round; team leader own team's counties;
 * evaluator own pair's units; city and county liaisons only problems sent to them, and the
 * county-facing view after release; discipline supervisor read-only audit log, interference
 * and security records; observer released reports. tests/unit/test_access.c checks every
 * role × resource × action × scope × phase against a hand-written table.
 */
#include "access.h"

#include <string.h>

static const char *const role_names[AR_NROLES] = {"office", "leader", "evaluator", "city",
                                                   "county", "supervisor", "observer"};
static const char *const role_labels[AR_NROLES] = {"省扶贫办", "组长", "评估人员", "市联络员",
                                                    "县联络员", "纪律监督", "观察员"};
static const char *const resource_names[RS_NRESOURCES] = {
    "rounds",        "sample",         "assignments", "progress", "problems", "figures",
    "seed",          "manifest",       "releases",    "county_view", "questionnaires",
    "evidence",      "interference",   "audit",       "security", "users",
    "reports",       "personal",       "schedule",    "monitoring", "attendance", "bulletin",
    "signoff",       "synthesis"};

const char *access_role_name(enum access_role r)
{
    return (unsigned)r < AR_NROLES ? role_names[r] : "?";
}
const char *access_role_label(enum access_role r)
{
    return (unsigned)r < AR_NROLES ? role_labels[r] : "?";
}
int access_role_parse(const char *name)
{
    for (int i = 0; i < AR_NROLES; i++)
        if (!strcmp(name, role_names[i])) return i;
    return -1;
}
const char *access_resource_name(enum access_resource r)
{
    return (unsigned)r < RS_NRESOURCES ? resource_names[r] : "?";
}
const char *access_action_name(enum access_action a)
{
    return a == AA_READ ? "read" : a == AA_WRITE ? "write" : "?";
}

#define R AA_READ
#define W AA_WRITE
static const struct access_rule matrix[] = {
    /* provincial office: everything of its round; users and releases */
    {AR_OFFICE, RS_ROUNDS, R, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_SAMPLE, R, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_ASSIGNMENTS, R, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_PROGRESS, R, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_PROBLEMS, R, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_PROBLEMS, W, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_FIGURES, R, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_SEED, R, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_MANIFEST, R, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_RELEASES, R, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_RELEASES, W, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_COUNTY_VIEW, R, SC_ALL, PH_AFTER},
    {AR_OFFICE, RS_QUESTIONNAIRES, R, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_QUESTIONNAIRES, W, SC_ALL, PH_ANY}, /* the review's second level */
    {AR_OFFICE, RS_EVIDENCE, R, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_INTERFERENCE, R, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_USERS, R, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_USERS, W, SC_ALL, PH_ANY},
    /* team leader: own team's counties */
    {AR_LEADER, RS_ROUNDS, R, SC_UNITS, PH_ANY},
    {AR_LEADER, RS_SAMPLE, R, SC_UNITS, PH_ANY},
    {AR_LEADER, RS_ASSIGNMENTS, R, SC_UNITS, PH_ANY},
    {AR_LEADER, RS_PROGRESS, R, SC_UNITS, PH_ANY},
    {AR_LEADER, RS_PROBLEMS, R, SC_UNITS, PH_ANY},
    {AR_LEADER, RS_PROBLEMS, W, SC_UNITS, PH_ANY},
    {AR_LEADER, RS_FIGURES, R, SC_UNITS, PH_ANY},
    {AR_LEADER, RS_RELEASES, R, SC_ALL, PH_AFTER},
    {AR_LEADER, RS_QUESTIONNAIRES, R, SC_UNITS, PH_ANY},
    {AR_LEADER, RS_QUESTIONNAIRES, W, SC_UNITS, PH_BEFORE},
    {AR_LEADER, RS_EVIDENCE, R, SC_UNITS, PH_ANY},
    {AR_LEADER, RS_EVIDENCE, W, SC_UNITS, PH_ANY},
    {AR_LEADER, RS_INTERFERENCE, W, SC_UNITS, PH_ANY},
    /* evaluator: own pair's units (the grant's scope) */
    {AR_EVALUATOR, RS_ROUNDS, R, SC_UNITS, PH_ANY},
    {AR_EVALUATOR, RS_SAMPLE, R, SC_UNITS, PH_BEFORE},
    {AR_EVALUATOR, RS_ASSIGNMENTS, R, SC_UNITS, PH_BEFORE},
    {AR_EVALUATOR, RS_PROBLEMS, R, SC_UNITS, PH_ANY},
    {AR_EVALUATOR, RS_PROBLEMS, W, SC_UNITS, PH_BEFORE},
    {AR_EVALUATOR, RS_QUESTIONNAIRES, R, SC_UNITS, PH_BEFORE},
    {AR_EVALUATOR, RS_QUESTIONNAIRES, W, SC_UNITS, PH_BEFORE},
    {AR_EVALUATOR, RS_EVIDENCE, W, SC_UNITS, PH_BEFORE},
    {AR_EVALUATOR, RS_INTERFERENCE, W, SC_UNITS, PH_BEFORE},
    /* city and county liaisons: problems sent to them; the county-facing view after release */
    {AR_CITY, RS_ROUNDS, R, SC_UNITS, PH_ANY},
    {AR_CITY, RS_PROBLEMS, R, SC_SENT, PH_ANY},
    {AR_CITY, RS_PROBLEMS, W, SC_SENT, PH_ANY},
    {AR_CITY, RS_COUNTY_VIEW, R, SC_UNITS, PH_AFTER},
    {AR_CITY, RS_RELEASES, R, SC_UNITS, PH_AFTER},
    {AR_COUNTY, RS_ROUNDS, R, SC_UNITS, PH_ANY},
    {AR_COUNTY, RS_PROBLEMS, R, SC_SENT, PH_ANY},
    {AR_COUNTY, RS_PROBLEMS, W, SC_SENT, PH_ANY},
    {AR_COUNTY, RS_COUNTY_VIEW, R, SC_UNITS, PH_AFTER},
    {AR_COUNTY, RS_RELEASES, R, SC_UNITS, PH_AFTER},
    /* discipline supervisor: read-only audit log, interference and security records */
    {AR_SUPERVISOR, RS_ROUNDS, R, SC_ALL, PH_ANY},
    {AR_SUPERVISOR, RS_INTERFERENCE, R, SC_ALL, PH_ANY},
    {AR_SUPERVISOR, RS_AUDIT, R, SC_ALL, PH_ANY},
    {AR_SUPERVISOR, RS_SECURITY, R, SC_ALL, PH_ANY},
    /* observer: released reports */
    {AR_OBSERVER, RS_ROUNDS, R, SC_ALL, PH_ANY},
    {AR_OBSERVER, RS_RELEASES, R, SC_ALL, PH_AFTER},
    {AR_OBSERVER, RS_FIGURES, R, SC_ALL, PH_AFTER},
    {AR_OBSERVER, RS_SEED, R, SC_ALL, PH_AFTER},
    {AR_OBSERVER, RS_MANIFEST, R, SC_ALL, PH_AFTER},
    /* report downloads (issue 11): a file is read only if every county it covers is allowed;
     * masked for all, names and IDs in full (personal) for the office only, every such read
     * logged. Leaders their counties' (provisional before release); liaisons their own
     * county's or city's once released; observers every released report. */
    {AR_OFFICE, RS_REPORTS, R, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_PERSONAL, R, SC_ALL, PH_ANY},
    {AR_LEADER, RS_REPORTS, R, SC_UNITS, PH_ANY},
    {AR_CITY, RS_REPORTS, R, SC_UNITS, PH_AFTER},
    {AR_COUNTY, RS_REPORTS, R, SC_UNITS, PH_AFTER},
    {AR_OBSERVER, RS_REPORTS, R, SC_ALL, PH_AFTER},
    /* between rounds (issue 15, docs/monitoring.md): the office reads all; city and county
     * liaisons the monitoring and attendance rows of their own city's or county's counties
     * (the home-city rule is about a round's sample and figures, not these). The schedule
     * has no county rows and the bulletin ranks named cities and departments from a sheet the
     * office brings: office only. Nothing here writes. */
    {AR_OFFICE, RS_SCHEDULE, R, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_MONITORING, R, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_ATTENDANCE, R, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_BULLETIN, R, SC_ALL, PH_ANY},
    {AR_CITY, RS_MONITORING, R, SC_UNITS, PH_ANY},
    {AR_CITY, RS_ATTENDANCE, R, SC_UNITS, PH_ANY},
    {AR_COUNTY, RS_MONITORING, R, SC_UNITS, PH_ANY},
    {AR_COUNTY, RS_ATTENDANCE, R, SC_UNITS, PH_ANY},
    /* the round's set-up from the pages (issue 13: plan check, seed commitment, draw, team
     * lottery; src/server/setup.c): writing the sample is the office's, before the release */
    {AR_OFFICE, RS_SAMPLE, W, SC_ALL, PH_BEFORE},
    /* a county liaison uploads its own county's self-evaluation report (seed 002 六(二):
     * "接受帮扶的县对照考核内容形成自评报告,于12月10日前报送省扶贫办") */
    {AR_COUNTY, RS_REPORTS, W, SC_UNITS, PH_ANY},
    /* the team reports' sign-off from the pages (seed 002 六(五): 经组长和副组长签字后提交;
     * src/server/signoff.c): the leader records its team's signatures (made offline with the
     * signer's own key) on its own counties' reports; the office reads where they stand */
    {AR_LEADER, RS_SIGNOFF, R, SC_UNITS, PH_ANY},
    {AR_LEADER, RS_SIGNOFF, W, SC_UNITS, PH_ANY},
    {AR_OFFICE, RS_SIGNOFF, R, SC_ALL, PH_ANY},
    /* the leader's day plan (issue 13: "the team's assignments per pair and day";
     * src/server/dayplan.c): the leader sets which pair visits which unit of its counties on
     * which day, during the fieldwork (before the release) */
    {AR_LEADER, RS_ASSIGNMENTS, W, SC_UNITS, PH_BEFORE},
    /* the county synthesis from the pages (issue 13; seed 000 "抽查工作组…综合研判提出最终的贫困县
     * 抽查结果,报扶贫领导小组审定"; docs/problems.md: the judgment is the office's alone;
     * src/server/synthesis.c): the office reads and records; a leader reads its own team's
     * counties' (their figures and problems, which it reads anyway). It shows figures and
     * problems, so the home-city rule holds before the release. */
    {AR_OFFICE, RS_SYNTHESIS, R, SC_ALL, PH_ANY},
    {AR_OFFICE, RS_SYNTHESIS, W, SC_ALL, PH_ANY},
    {AR_LEADER, RS_SYNTHESIS, R, SC_UNITS, PH_ANY},
};
#undef R
#undef W

const struct access_rule *access_matrix(size_t *n)
{
    *n = sizeof matrix / sizeof matrix[0];
    return matrix;
}

static const char *scope_name(enum access_scope s)
{
    return s == SC_ALL ? "all" : s == SC_UNITS ? "units" : "sent";
}
static const char *phase_name(enum access_phase p)
{
    return p == PH_ANY ? "any" : p == PH_BEFORE ? "before_release" : "after_release";
}

void access_matrix_print(FILE *f)
{
    size_t n;
    const struct access_rule *m = access_matrix(&n);
    fprintf(f, "# authorisation matrix / 权限表 (src/access/authz.c): no row = denied\n");
    fprintf(f, "%-11s %-15s %-6s %-6s %s\n", "role", "resource", "action", "scope", "phase");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%-11s %-15s %-6s %-6s %s\n", access_role_name(m[i].role),
                access_resource_name(m[i].resource), access_action_name(m[i].action),
                scope_name(m[i].scope), phase_name(m[i].phase));
    fprintf(f, "# scope: all = every unit of the grant's round; units = the grant's county, or "
               "its city's counties;\n#        sent = the grant's units, only problems sent to "
               "the locality, never dismissed ones\n"
               "# home-city rule (DESIGN §10): before release nobody touches the sample, "
               "assignments, progress,\n#   problems or figures of their own home city or "
               "county, whatever the role (本市、本县回避)\n"
               "# seed and manifest: office only until published (the first release)\n");
}

/* A county (6 digits) lies within a unit: that county, or its city (4 digits). */
static int within(int county, int unit)
{
    if (!county || !unit) return 0;
    if (unit >= 100000) return county == unit;
    return county / 100 == unit;
}

static int home_rule_applies(enum access_resource r)
{
    return r == RS_SAMPLE || r == RS_ASSIGNMENTS || r == RS_PROGRESS || r == RS_PROBLEMS ||
           r == RS_FIGURES || r == RS_REPORTS || r == RS_SIGNOFF || r == RS_SYNTHESIS;
}

/* Does one grant's role allow it (ignoring the home-city rule)? */
static int grant_allows(const struct access_grant *g, enum access_resource res,
                        enum access_action act, const struct access_target *t)
{
    size_t n;
    const struct access_rule *m = access_matrix(&n);
    if (g->round[0] && (!t->round || strcmp(g->round, t->round))) return 0;
    for (size_t i = 0; i < n; i++) {
        if (m[i].role != g->role || m[i].resource != res || m[i].action != act) continue;
        if (m[i].phase == PH_BEFORE && t->released) continue;
        if (m[i].phase == PH_AFTER && !t->released) continue;
        switch (m[i].scope) {
        case SC_ALL: return 1; /* the whole round, whatever the grant's unit */
        case SC_SENT:
            if (t->county && !t->sent) break;
            /* fall through */
        case SC_UNITS:
            if (t->county == 0 || g->scope == 0 || within(t->county, g->scope)) return 1;
            break;
        }
    }
    return 0;
}

static int check(const struct access_user *u, int only_role, enum access_resource res,
                 enum access_action act, const struct access_target *t,
                 enum access_role *role_out, struct strbuf *why)
{
    int allowed = -1;
    for (size_t i = 0; i < u->ngrants && allowed < 0; i++) {
        if (only_role >= 0 && (int)u->grants[i].role != only_role) continue;
        if (grant_allows(&u->grants[i], res, act, t)) allowed = (int)u->grants[i].role;
    }
    if (allowed < 0) {
        if (why)
            sb_addf(why, "%s may not %s %s%s%s here (no grant allows it / 无此权限)", u->name,
                    access_action_name(act), access_resource_name(res),
                    only_role >= 0 ? " as " : "",
                    only_role >= 0 ? access_role_name((enum access_role)only_role) : "");
        return ERR_INVALID;
    }
    if (!t->released && home_rule_applies(res) && t->county && within(t->county, u->home)) {
        if (why)
            sb_addf(why, "%s is a cadre of %d: before release nobody touches the %s of their "
                         "own home city or county (本市、本县回避)",
                    u->name, u->home, access_resource_name(res));
        return ERR_INVALID;
    }
    if (role_out) *role_out = (enum access_role)allowed;
    return 0;
}

int access_check(const struct access_user *u, enum access_resource resource,
                 enum access_action action, const struct access_target *t,
                 enum access_role *role_out, struct strbuf *why)
{
    return check(u, -1, resource, action, t, role_out, why);
}

int access_check_as(const struct access_user *u, enum access_role role,
                    enum access_resource resource, enum access_action action,
                    const struct access_target *t, struct strbuf *why)
{
    return check(u, (int)role, resource, action, t, NULL, why);
}
