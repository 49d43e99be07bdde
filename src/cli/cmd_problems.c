/*
 * cmd_problems.c — `pinggu problems list|show|record|move|moves|ledger|raise|summary|
 * recheck-draw|recheck-verify`: the problem life cycle of
 * DESIGN §8.1 from the command line (problem.h). Until the server exists the CLI is a trusted
 * office tool: the role a move is made in is given with --as and recorded beside the actor
 * (PINGGU_ACTOR or the login name); the server will enforce roles from its grants.
 */
#include "cli.h"
#include "../problem/problem.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: pinggu problems list   --db DB --round NAME [--state STATE]\n"
    "       pinggu problems show   --db DB ID\n"
    "       pinggu problems record --db DB --round NAME --unit UNIT --kind KIND\n"
    "                              --description TEXT --evidence FILE [--evidence FILE...] [--on DATE]\n"
    "                              [--source finding|covert]\n"
    "       pinggu problems move   --db DB ID STATE --as ROLE [--note TEXT] [--evidence FILE...]\n"
    "                              [--deadline DATE | --deadline-days N [--calendar FILE]]\n"
    "                              [--measures TEXT --responsible-unit TEXT --responsible-person TEXT]\n"
    "                              [--result TEXT] [--on DATE]\n"
    "       pinggu problems ledger --db DB --round NAME [--date DATE]\n"
    "       pinggu problems raise  --db DB --round NAME --rule RULE --county CODE [--run N]\n"
    "       pinggu problems summary --db DB --round NAME --date DATE\n"
    "       pinggu problems recheck-draw   --db DB --round NAME --seed HEX --n N [--county CODE]\n"
    "       pinggu problems recheck-verify --db DB --round NAME\n"
    "       pinggu problems moves      (the table of legal moves)\n\n"
    "问题核实与整改 / problems from finding to close-out (DESIGN §8.1). A round is named by its\n"
    "sample. States: candidate → recorded → summarised → sent_for_verification → explained →\n"
    "confirmed | dismissed → fed_back → rectifying → rectified → closed → rechecked (or reopened\n"
    "to rectifying with a new deadline). Roles: office, leader, evaluator, county.\n\n"
    "record  an evaluator's own finding, with at least one evidence file (stored by SHA-256);\n"
    "        --source covert for a covert visit's finding (暗访, seed 000), shown in the county\n"
    "        synthesis (pinggu synthesis show).\n"
    "raise   the office's decision to pursue comparison flags of RULE in one county (of run N,\n"
    "        default the latest) as problem candidates of the round: logged; never a duplicate;\n"
    "        a household a judgment already raised is linked to that problem, counted once.\n"
    "summary each team's day: recorded, in the day's summary (late after the plan's hour, e.g.\n"
    "        the district plan's 20:00), missing from it, sent to the county, and due for the\n"
    "        next-day verification where the plan has it (Anhui).\n"
    "ledger  the rectification ledger (整改台账) as of DATE (default today): measures, responsible\n"
    "        unit and person, deadline, result, close-out; overdue items per county and per\n"
    "        responsible unit (a deadline X means by the end of day X).\n"
    "recheck-draw    the recheck sample (复查抽样) of closed problems, drawn verifiably: Rivest\n"
    "        tickets under the published hexadecimal seed over the frozen frame of the round's\n"
    "        closed problems (of one county, or all); stored with the seed's commitment and the\n"
    "        frame's SHA-256, change-logged, once per round and county. Drawn items show in the\n"
    "        ledger as 待复查 (due for recheck) until rechecked.\n"
    "recheck-verify  re-derives every recheck draw of the round from its seed and frozen frame\n"
    "        (and the frame from the store's problems); exit 1 on any difference.\n"
    "move    one legal move; an illegal one is refused with the legal moves listed (exit 2).\n"
    "        Recording and confirming need evidence (seed 000: 凡没有核准、核实,或证据不充分的,\n"
    "        将不作为问题予以采信); a dismissal or reopening needs --note; rectification needs the\n"
    "        measures, responsible unit and person and a deadline, which cannot precede the day\n"
    "        found. --deadline-days N counts N working days from the move's day (holidays and\n"
    "        调休 from the calendar). Every move is in the change log with actor and role.\n";

static int parse_id(const char *s, int64_t *id)
{
    return parse_int64(s, id) || *id < 1 ? -1 : 0;
}

int cmd_problems(int argc, char **argv)
{
    enum { O_DESC = 256, O_MEASURES, O_RUNIT, O_RPERSON, O_RESULT, O_DDAYS, O_CAL };
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},
        {"round", required_argument, 0, 'r'},
        {"state", required_argument, 0, 's'},
        {"unit", required_argument, 0, 'u'},
        {"kind", required_argument, 0, 'k'},
        {"description", required_argument, 0, O_DESC},
        {"evidence", required_argument, 0, 'e'},
        {"on", required_argument, 0, 'o'},
        {"as", required_argument, 0, 'a'},
        {"note", required_argument, 0, 'n'},
        {"deadline", required_argument, 0, 'D'},
        {"deadline-days", required_argument, 0, O_DDAYS},
        {"calendar", required_argument, 0, O_CAL},
        {"measures", required_argument, 0, O_MEASURES},
        {"responsible-unit", required_argument, 0, O_RUNIT},
        {"responsible-person", required_argument, 0, O_RPERSON},
        {"result", required_argument, 0, O_RESULT},
        {"date", required_argument, 0, 'T'},
        {"rule", required_argument, 0, 'R'},
        {"county", required_argument, 0, 'C'},
        {"run", required_argument, 0, 'N'},
        {"seed", required_argument, 0, 'S'},
        {"source", required_argument, 0, 'Q'},
        {"n", required_argument, 0, 'm'},
        {0, 0, 0, 0}};
    const char *db = NULL, *round = NULL, *state = NULL, *unit = NULL, *kind = NULL,
               *desc = NULL, *as = NULL, *note = NULL, *deadline = NULL, *ddays = NULL,
               *calfile = "calendars/cn.csv", *measures = NULL, *runit = NULL, *rperson = NULL,
               *result = NULL, *on = NULL, *asof = NULL, *rule = NULL,
               *county_s = NULL, *run_s = NULL, *seed = NULL, *n_s = NULL, *source = NULL, *sub;
    const char **ev = NULL;
    size_t nev = 0;
    struct store *s = NULL;
    struct error e;
    int c, rc = EXIT_OK, nargs, onday = 0;
    char **args;
    if (cli_wants_help(argc, argv) || argc < 2)
        return argc < 2 ? cli_usage("problems", "list, show, record, move, ledger or moves?")
                        : cli_help(help);
    sub = argv[1];
    ev = mem_calloc((size_t)argc + 1, sizeof *ev);
    if (!ev) return EXIT_FAIL;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'r': round = optarg; break;
        case 's': state = optarg; break;
        case 'u': unit = optarg; break;
        case 'k': kind = optarg; break;
        case O_DESC: desc = optarg; break;
        case 'e': ev[nev++] = optarg; break;
        case 'o': on = optarg; break;
        case 'a': as = optarg; break;
        case 'n': note = optarg; break;
        case 'D': deadline = optarg; break;
        case O_DDAYS: ddays = optarg; break;
        case O_CAL: calfile = optarg; break;
        case O_MEASURES: measures = optarg; break;
        case O_RUNIT: runit = optarg; break;
        case O_RPERSON: rperson = optarg; break;
        case O_RESULT: result = optarg; break;
        case 'T': asof = optarg; break;
        case 'R': rule = optarg; break;
        case 'C': county_s = optarg; break;
        case 'N': run_s = optarg; break;
        case 'S': seed = optarg; break;
        case 'Q': source = optarg; break;
        case 'm': n_s = optarg; break;
        default: mem_free(ev); return cli_usage("problems", "unknown option");
        }
    }
    args = argv + 1 + optind;
    nargs = argc - 1 - optind;
    if (on && parse_date(on, &onday)) {
        rc = cli_usage("problems", "--on '%s' is not a date (YYYY-MM-DD)", on);
        goto out;
    }
    if (!strcmp(sub, "moves")) {
        size_t n;
        const struct problem_move_rule *t = problem_moves_table(&n);
        printf("%-22s %-22s %-28s %s\n", "from", "to", "who", "needs / what");
        for (size_t i = 0; i < n; i++) {
            char who[64] = "";
            for (int r = 0; r < PR_NROLES; r++)
                if (t[i].roles & (1u << r)) {
                    if (*who) strncat(who, "|", sizeof who - strlen(who) - 1);
                    strncat(who, problem_role_name(r), sizeof who - strlen(who) - 1);
                }
            printf("%-22s %-22s %-28s %s%s%s%s%s%s%s\n", problem_state_name(t[i].from),
                   problem_state_name(t[i].to), who,
                   t[i].needs & PM_EVIDENCE ? "[evidence] " : "",
                   t[i].needs & PM_REASON ? "[reason] " : "", t[i].needs & PM_NOTE ? "[note] " : "",
                   t[i].needs & PM_MEASURES ? "[measures] " : "",
                   t[i].needs & PM_DEADLINE ? "[deadline] " : "",
                   t[i].needs & PM_RESULT ? "[result] " : "", t[i].what);
        }
        goto out;
    }
    if (!strcmp(sub, "list")) {
        int st = -1;
        if (!round) {
            rc = cli_usage("problems", "--round NAME is required");
            goto out;
        }
        if (state && (st = problem_state_parse(state)) < 0) {
            rc = cli_usage("problems", "unknown state '%s' (pinggu problems moves lists them)", state);
            goto out;
        }
        if ((rc = cli_open_store(db, STORE_READONLY, &s))) goto out;
        if (problem_list(s, round, st, stdout, &e)) rc = cli_fail(&e);
        goto out;
    }
    if (!strcmp(sub, "summary")) {
        int d = 0;
        if (!round || !asof) {
            rc = cli_usage("problems", "summary needs --round and --date");
            goto out;
        }
        if (parse_date(asof, &d)) {
            rc = cli_bad_value("problems", "--date '%s' is not a date (YYYY-MM-DD)", asof);
            goto out;
        }
        if ((rc = cli_open_store(db, STORE_READONLY, &s))) goto out;
        if (problem_day_summary(s, round, d, stdout, &e)) rc = cli_fail(&e);
        goto out;
    }
    if (!strcmp(sub, "ledger")) {
        int d = 0;
        if (!round) {
            rc = cli_usage("problems", "--round NAME is required");
            goto out;
        }
        if (asof && parse_date(asof, &d)) {
            rc = cli_usage("problems", "--date '%s' is not a date (YYYY-MM-DD)", asof);
            goto out;
        }
        if ((rc = cli_open_store(db, STORE_READONLY, &s))) goto out;
        if (problem_ledger_print(s, round, d, stdout, &e)) rc = cli_fail(&e);
        goto out;
    }
    if (!strcmp(sub, "raise")) {
        struct problem_raise_stats st;
        int64_t county = 0, run = 0;
        if (!round || !rule || !county_s) {
            rc = cli_usage("problems", "raise needs --round, --rule and --county (one county at a time)");
            goto out;
        }
        if (parse_int64(county_s, &county) || county < 100000 || county > 999999) {
            rc = cli_usage("problems", "--county needs a six-digit county code, not '%s'", county_s);
            goto out;
        }
        if (run_s && (parse_int64(run_s, &run) || run < 1)) {
            rc = cli_usage("problems", "--run needs a run number, not '%s'", run_s);
            goto out;
        }
        if ((rc = cli_open_store(db, 0, &s))) goto out;
        if (problem_raise_flags(s, round, rule, (int)county, run, audit_actor(), &st, &e))
            rc = cli_fail(&e);
        else
            printf("run %lld, rule %s, county %lld: %lld flags; %lld new problem candidates (%lld "
                   "linked to a judgment's problem on the same household), %lld already raised\n",
                   (long long)st.run, rule, (long long)county, (long long)st.flags,
                   (long long)st.raised, (long long)st.linked, (long long)st.kept);
        goto out;
    }
    if (!strcmp(sub, "recheck-draw")) {
        struct problem_recheck_result r;
        int64_t county = 0, n = 0;
        if (!round || !seed || !n_s) {
            rc = cli_usage("problems", "recheck-draw needs --round, --seed and --n");
            goto out;
        }
        if (parse_int64(n_s, &n) || n < 1 || n > 100000) {
            rc = cli_bad_value("problems", "--n needs a positive number, not '%s'", n_s);
            goto out;
        }
        if (county_s && (parse_int64(county_s, &county) || county < 100000 || county > 999999)) {
            rc = cli_bad_value("problems", "--county needs a six-digit county code, not '%s'", county_s);
            goto out;
        }
        if ((rc = cli_open_store(db, 0, &s))) goto out;
        if (problem_recheck_draw(s, round, (int)county, seed, (int)n, audit_actor(), &r, &e)) {
            rc = cli_fail(&e);
            goto out;
        }
        printf("复查抽样 recheck draw %lld: %zu of %lld closed problems; seed commitment %s, frame "
               "SHA-256 %s\n", (long long)r.draw, r.nids, (long long)r.frame, r.commitment,
               r.frame_hash);
        if ((int64_t)r.nids < n)
            printf("only %zu closed problems: all are drawn (%lld asked)\n", r.nids, (long long)n);
        for (size_t i = 0; i < r.nids; i++)
            printf("  %zu. problem %lld  待复查 due for recheck\n", i + 1, (long long)r.ids[i]);
        problem_recheck_result_free(&r);
        goto out;
    }
    if (!strcmp(sub, "recheck-verify")) {
        int64_t nd = 0;
        if (!round) {
            rc = cli_usage("problems", "recheck-verify needs --round");
            goto out;
        }
        if ((rc = cli_open_store(db, STORE_READONLY, &s))) goto out;
        if (problem_recheck_verify(s, round, stdout, &nd, &e)) rc = cli_fail(&e);
        else printf("%lld recheck draw(s) verified\n", (long long)nd);
        goto out;
    }
    if (!strcmp(sub, "show")) {
        int64_t id;
        if (nargs != 1 || parse_id(args[0], &id)) {
            rc = cli_usage("problems", "show ID (a problem number)");
            goto out;
        }
        if ((rc = cli_open_store(db, STORE_READONLY, &s))) goto out;
        if (problem_show(s, id, stdout, &e)) rc = cli_fail(&e);
        goto out;
    }
    if (!strcmp(sub, "record")) {
        struct problem_finding f = {0};
        int64_t id = 0;
        if (!round || !unit || !kind || !desc) {
            rc = cli_usage("problems", "record needs --round, --unit, --kind and --description");
            goto out;
        }
        f.round = round;
        f.unit = unit;
        f.kind = kind;
        f.description = desc;
        f.evidence = ev;
        f.nevidence = nev;
        f.on = onday;
        f.source = source;
        if ((rc = cli_open_store(db, 0, &s))) goto out;
        if (problem_record(s, &f, &id, &e)) rc = cli_fail(&e);
        else printf("problem %lld recorded\n", (long long)id);
        goto out;
    }
    if (!strcmp(sub, "move")) {
        struct problem_move m = {0};
        int64_t id;
        int to, role;
        if (nargs != 2 || parse_id(args[0], &id)) {
            rc = cli_usage("problems", "move ID STATE --as ROLE");
            goto out;
        }
        if ((to = problem_state_parse(args[1])) < 0) {
            rc = cli_usage("problems", "unknown state '%s' (pinggu problems moves lists them)",
                           args[1]);
            goto out;
        }
        if (!as || (role = problem_role_parse(as)) < 0) {
            rc = cli_usage("problems", "--as ROLE is required: office, leader, evaluator or county");
            goto out;
        }
        if (deadline && ddays) {
            rc = cli_usage("problems", "--deadline and --deadline-days exclude each other");
            goto out;
        }
        if (deadline && parse_date(deadline, &m.deadline)) {
            rc = cli_usage("problems", "--deadline '%s' is not a date (YYYY-MM-DD)", deadline);
            goto out;
        }
        if (ddays) {
            int64_t n;
            struct calendar *cal = NULL;
            struct strbuf path = STRBUF_INIT;
            if (parse_int64(ddays, &n) || n < 1 || n > 3650) {
                rc = cli_usage("problems", "--deadline-days needs a positive number, not '%s'", ddays);
                goto out;
            }
            if (data_find(calfile, &path) < 0 ||
                calendar_load(path.buf, NULL, &cal, &e) ||
                calendar_add_days(cal, onday ? onday : date_today(), (int)n, &m.deadline, &e)) {
                sb_release(&path);
                calendar_free(cal);
                rc = cli_fail(&e);
                goto out;
            }
            sb_release(&path);
            calendar_free(cal);
        }
        m.to = (enum problem_state)to;
        m.role = (enum problem_role)role;
        m.actor = audit_actor();
        m.note = note;
        m.evidence = ev;
        m.nevidence = nev;
        m.measures = measures;
        m.responsible_unit = runit;
        m.responsible_person = rperson;
        m.result = result;
        m.on = onday;
        if ((rc = cli_open_store(db, 0, &s))) goto out;
        if (problem_apply(s, id, &m, &e)) rc = cli_fail(&e);
        else {
            printf("problem %lld → %s (%s)", (long long)id, problem_state_name(m.to),
                   problem_state_label(m.to));
            if (m.deadline)
                printf("  deadline 整改时限 %04d-%02d-%02d", m.deadline / 10000,
                       m.deadline / 100 % 100, m.deadline % 100);
            putchar('\n');
        }
        goto out;
    }
    rc = cli_usage("problems", "unknown sub-command '%s' (list, show, record, move, ledger, raise, summary, recheck-draw, recheck-verify, moves)", sub);
out:
    if (s) store_close(s);
    mem_free(ev);
    return rc;
}
