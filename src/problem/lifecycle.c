/*
 * lifecycle.c — the problem life cycle of DESIGN §8.1 as one table of legal moves
 * (problem.h), and the check every move passes before anything is written.
 *
 * The table is the rule: who may move a problem from which state to which, and what the move
 * must carry. Nothing else in pinggu decides whether a move is legal — the CLI and the server
 * call problem_move_check (through problem_apply) and print what it says.
 *
 * Seeds behind the requirements:
 *  - recording needs evidence, and so does confirmation: seed 000, "凡没有核准、核实,或证据不充
 *    分的,将不作为问题予以采信" (a problem not verified, or without sufficient evidence, is not
 *    accepted). Confirmation checks the team's evidence already held plus what the move adds.
 *  - a dismissal states its reason (DESIGN §8.1), as does a reopening;
 *  - rectification names measures, the responsible unit and person, and a deadline
 *    (the problem list's columns 整改措施, 责任单位, 责任人, 整改时限 — DESIGN §8), and the
 *    deadline cannot precede the day the problem was found;
 *  - a rectified problem carries its result with evidence (整改一项、销号一项, seed 001: an item
 *    is closed only once rectified), and only the office closes it (销号).
 * Invariants: every move in the table goes forward except the two reopenings (rectified or
 * closed back to rectifying), which need a reason and a new deadline; dismissed and rechecked
 * are final.
 */
#include "problem.h"

#include <string.h>

static const char *const state_names[PS_NSTATES] = {
    "candidate", "recorded",  "summarised", "sent_for_verification", "explained", "confirmed",
    "dismissed", "fed_back",  "rectifying", "rectified",             "closed",    "rechecked",
};
static const char *const state_labels[PS_NSTATES] = {
    "待核查", "已记录", "已汇总", "待核实", "已说明", "属实",
    "不属实", "已反馈", "整改中", "已整改", "已销号", "已复查",
};
static const char *const role_names[PR_NROLES] = {"office", "leader", "evaluator", "county",
                                                  "discipline"};

const char *problem_state_name(enum problem_state s)
{
    return (unsigned)s < PS_NSTATES ? state_names[s] : "?";
}

const char *problem_state_label(enum problem_state s)
{
    return (unsigned)s < PS_NSTATES ? state_labels[s] : "?";
}

int problem_state_parse(const char *name)
{
    for (int i = 0; i < PS_NSTATES; i++)
        if (!strcmp(name, state_names[i]) || !strcmp(name, state_labels[i])) return i;
    return -1;
}

const char *problem_role_name(enum problem_role r)
{
    return (unsigned)r < PR_NROLES ? role_names[r] : "?";
}

int problem_role_parse(const char *name)
{
    for (int i = 0; i < PR_NROLES; i++)
        if (!strcmp(name, role_names[i])) return i;
    return -1;
}

#define R(x) (1u << (x))
#define TEAM (R(PR_LEADER) | R(PR_OFFICE))

static const struct problem_move_rule moves[] = {
    {PS_CANDIDATE, PS_RECORDED, R(PR_EVALUATOR) | R(PR_LEADER), PM_EVIDENCE,
     "评估人员核查后记录问题（须附证据）/ an evaluator takes the candidate up, with evidence"},
    {PS_CANDIDATE, PS_DISMISSED, TEAM, PM_REASON,
     "核查后不予记录（须说明理由）/ not taken up, with the reason"},
    {PS_RECORDED, PS_SUMMARISED, TEAM, 0, "列入当日问题汇总 / in the day's summary"},
    {PS_RECORDED, PS_DISMISSED, TEAM, PM_REASON, "组内研判不成立 / dismissed by the team, with the reason"},
    {PS_SUMMARISED, PS_SENT, TEAM, 0,
     "送县核实（次日与县共同核实）/ sent to the county for verification"},
    {PS_SUMMARISED, PS_CONFIRMED, TEAM, PM_EVIDENCE,
     "组长会同省扶贫办认定（方案不设县核实时）/ confirmed where the plan has no county verification"},
    {PS_SUMMARISED, PS_DISMISSED, TEAM, PM_REASON, "研判不成立 / dismissed, with the reason"},
    {PS_SENT, PS_EXPLAINED, R(PR_COUNTY), PM_NOTE,
     "县作出说明并可附证据 / the county explains, with its own evidence"},
    {PS_SENT, PS_CONFIRMED, TEAM, PM_EVIDENCE,
     "县未说明，经核实属实 / confirmed without an explanation from the county"},
    {PS_SENT, PS_DISMISSED, TEAM, PM_REASON, "核实不属实 / dismissed, with the reason"},
    {PS_EXPLAINED, PS_CONFIRMED, TEAM, PM_EVIDENCE,
     "核准、核实，证据充分，予以采信 / confirmed, with sufficient evidence"},
    {PS_EXPLAINED, PS_DISMISSED, TEAM, PM_REASON,
     "县说明成立，不予采信 / dismissed on the county's explanation, with the reason"},
    {PS_CONFIRMED, PS_FED_BACK, R(PR_OFFICE), 0, "一对一反馈县 / fed back one-to-one to the county"},
    {PS_FED_BACK, PS_RECTIFYING, R(PR_COUNTY) | R(PR_OFFICE), PM_MEASURES | PM_DEADLINE,
     "制定整改措施、责任单位、责任人和时限 / measures, responsible unit and person, deadline"},
    {PS_RECTIFYING, PS_RECTIFIED, R(PR_COUNTY), PM_RESULT | PM_EVIDENCE,
     "整改完成，附整改结果和证据 / rectified, with the result and evidence"},
    {PS_RECTIFIED, PS_CLOSED, R(PR_OFFICE), 0, "审核证据后销号 / closed (销号) after checking the evidence"},
    {PS_RECTIFIED, PS_RECTIFYING, R(PR_OFFICE), PM_REASON | PM_DEADLINE,
     "整改不到位，退回重新整改 / sent back: not rectified, with a new deadline"},
    {PS_CLOSED, PS_RECHECKED, R(PR_OFFICE) | R(PR_LEADER) | R(PR_EVALUATOR), PM_EVIDENCE,
     "回访复查确认 / a later visit confirms the rectification"},
    {PS_CLOSED, PS_RECTIFYING, R(PR_OFFICE), PM_REASON | PM_DEADLINE,
     "复查发现问题反弹，重新整改 / reopened on recheck, with a new deadline"},
};

const struct problem_move_rule *problem_moves_table(size_t *n)
{
    *n = sizeof moves / sizeof moves[0];
    return moves;
}

const struct problem_move_rule *problem_move_rule(enum problem_state from, enum problem_state to)
{
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
        if (moves[i].from == from && moves[i].to == to) return &moves[i];
    return NULL;
}

static void list_roles(struct strbuf *sb, unsigned roles)
{
    int first = 1;
    for (int r = 0; r < PR_NROLES; r++)
        if (roles & R(r)) {
            sb_addf(sb, "%s%s", first ? "" : "|", role_names[r]);
            first = 0;
        }
}

static int nonempty(const char *s)
{
    if (!s) return 0;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    return *s != 0;
}

int problem_move_check(enum problem_state from, const struct problem_move *m, int found_on,
                       struct error *e)
{
    const struct problem_move_rule *r = problem_move_rule(from, m->to);
    if ((unsigned)m->to >= PS_NSTATES || (unsigned)m->role >= PR_NROLES)
        return error_set(e, ERR_INVALID, "unknown state or role");
    if (!r) {
        struct strbuf sb = STRBUF_INIT;
        size_t n = 0;
        for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++) {
            if (moves[i].from != from) continue;
            sb_addf(&sb, "%s%s (", n++ ? ", " : "", state_names[moves[i].to]);
            list_roles(&sb, moves[i].roles);
            sb_adds(&sb, ")");
        }
        error_set(e, ERR_INVALID, "cannot move a problem from %s (%s) to %s (%s); legal moves: %s",
                  state_names[from], state_labels[from], state_names[m->to], state_labels[m->to],
                  n ? (sb_ok(&sb) ? "?" : sb.buf) : "none (the state is final)");
        sb_release(&sb);
        return ERR_INVALID;
    }
    if (!(r->roles & R(m->role))) {
        struct strbuf sb = STRBUF_INIT;
        list_roles(&sb, r->roles);
        error_set(e, ERR_INVALID, "%s → %s is made by %s, not by %s", state_names[from],
                  state_names[m->to], sb_ok(&sb) ? "?" : sb.buf, role_names[m->role]);
        sb_release(&sb);
        return ERR_INVALID;
    }
    if ((r->needs & PM_REASON) && !nonempty(m->note))
        return error_set(e, ERR_INVALID, "%s → %s needs a reason (--note): %s", state_names[from],
                         state_names[m->to], r->what);
    if ((r->needs & PM_NOTE) && !nonempty(m->note))
        return error_set(e, ERR_INVALID, "%s → %s needs the explanation (--note)",
                         state_names[from], state_names[m->to]);
    if ((r->needs & PM_MEASURES) &&
        (!nonempty(m->measures) || !nonempty(m->responsible_unit) ||
         !nonempty(m->responsible_person)))
        return error_set(e, ERR_INVALID,
                         "%s → %s needs the measures, the responsible unit and the responsible "
                         "person (整改措施、责任单位、责任人)",
                         state_names[from], state_names[m->to]);
    if ((r->needs & PM_DEADLINE) && !m->deadline)
        return error_set(e, ERR_INVALID, "%s → %s needs a deadline (整改时限, --deadline)",
                         state_names[from], state_names[m->to]);
    if (m->deadline && found_on && m->deadline < found_on)
        return error_set(e, ERR_INVALID,
                         "the deadline %04d-%02d-%02d is before the day the problem was found "
                         "(%04d-%02d-%02d)",
                         m->deadline / 10000, m->deadline / 100 % 100, m->deadline % 100,
                         found_on / 10000, found_on / 100 % 100, found_on % 100);
    if (m->on && found_on && m->on < found_on)
        return error_set(e, ERR_INVALID, "the move's day is before the day the problem was found");
    if ((r->needs & PM_RESULT) && !nonempty(m->result))
        return error_set(e, ERR_INVALID, "%s → %s needs the result (整改结果, --result)",
                         state_names[from], state_names[m->to]);
    /* PM_EVIDENCE is checked with the store (evidence already held counts for confirmation) */
    return 0;
}
