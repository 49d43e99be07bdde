/*
 * main.c — the pinggu command: dispatches to one sub-command per file (cli.h).
 *
 * `pinggu CMD ...` runs CMD; `pinggu`, `pinggu --help` and `pinggu help` list them;
 * `pinggu CMD --help` prints CMD's own help. The global options --checkpoints FILE and
 * --print-checkpoint may appear anywhere; they are taken out of argv before dispatch and
 * configure the store's signed checkpoints (store.h) for whatever the command writes.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static const struct command commands[] = {
    {"synth", cmd_synth, "write a synthetic province with known truth / 生成模拟省份数据"},
    {"init", cmd_init, "create a new store / 新建数据库"},
    {"import", cmd_import, "import the registry files of a folder / 导入建档立卡数据"},
    {"export", cmd_export, "export the registry to files / 导出建档立卡数据"},
    {"summary", cmd_summary, "the registry per county / 分县汇总"},
    {"audit", cmd_audit, "verify or list the change log / 校验、查看变更日志"},
    {"form", cmd_form, "check or show a questionnaire / 问卷检查与展示"},
    {"plan", cmd_plan, "check or describe an assessment plan / 检查考核方案"},
    {"seed", cmd_seed, "the commitment to publish before a draw / 随机种子承诺"},
    {"sample", cmd_sample, "draw, show, verify a sample / 抽样、查看、复核"},
    {"teams", cmd_teams, "draw or show the assessment teams / 抽签组建考核组"},
    {"field", cmd_field, "import or simulate questionnaires; response rates / 入户调查数据"},
    {"evidence", cmd_evidence, "store and verify photos, audio, documents / 证据材料"},
    {"judge", cmd_judge, "judge households and villages; explain a judgment / 研判"},
    {"indicators", cmd_indicators, "county indicators with intervals and verdicts / 指标测算"},
    {"score", cmd_score, "scores and ranking for scored plans / 评分排名"},
    {"report", cmd_report, "county and summary reports, HTML and XLSX / 评估报告"},
    {"compare", cmd_compare, "compare the registry with departments' data / 大数据比对"},
    {"problems", cmd_problems, "problems from finding to close-out / 问题核实与整改"},
    {"calendar", cmd_calendar, "working days with holidays and 调休 / 工作日计算"},
    {"funds", cmd_funds, "the funds rule: payment and start in working days / 资金拨付时限"},
    {"attendance", cmd_attendance, "village work-team attendance, recall list / 驻村考勤"},
    {"monitor", cmd_monitor, "post-exit monitoring of exited counties / 脱贫摘帽县监测"},
    {"round", cmd_round, "a round's milestones and progress / 考核进度"},
    {"bulletin", cmd_bulletin, "monthly ranking bulletin / 月度排名通报"},
    {"user", cmd_user, "accounts and roles for pinggu serve / 用户与权限"},
    {"serve", cmd_serve, "the multi-user HTTP server and JSON API / 服务端"},
    {"release", cmd_release, "release a round: an immutable snapshot / 发布评估结果"},
    {"checks", cmd_checks, "project checks, document review, cadre interviews / 项目核查、查阅资料、干部访谈"},
    {"synthesis", cmd_synthesis, "county synthesis and the office's final judgment / 综合研判"},
    {"interference", cmd_interference, "interference and discipline records / 干扰考核与纪律"},
    {"fieldwork", cmd_fieldwork, "stop fieldwork in a county / 终止实地考核"},
    {"household", cmd_household, "query codes for households, the query log / 贫困户信息查询"},
    {"help", cmd_help, "help on a topic (formats) / 帮助"},
};
static const size_t ncommands = sizeof commands / sizeof commands[0];

static void usage(FILE *f)
{
    fprintf(f, "pinggu — third-party assessment of poverty exit / 脱贫攻坚成效第三方评估\n\n"
               "usage: pinggu COMMAND [OPTIONS]   (pinggu COMMAND --help for its options)\n\n"
               "commands:\n");
    for (size_t i = 0; i < ncommands; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nglobal options (any command that writes):\n"
               "  --checkpoints FILE    where signed checkpoints of the change log go "
               "(default DB.checkpoints)\n"
               "  --print-checkpoint    also print each new checkpoint, for publication\n"
               "  --evidence-dir DIR    the evidence folder (default DB.evidence; required with\n"
               "                        a postgresql:// store, or PINGGU_EVIDENCE; docs/scale.md)\n"
               "  (key: $PINGGU_KEY or $XDG_CONFIG_HOME/pinggu/checkpoint.key; docs/audit.md)\n");
    fprintf(f, "\nexit status: 0 ok, 1 failure, 2 input rejected, 64 usage error\n");
}

int cli_fail(const struct error *e)
{
    char buf[1200];
    fprintf(stderr, "pinggu: %s\n", error_format(e, buf, sizeof buf));
    switch (e->code) {
    case ERR_USAGE: return EXIT_USAGE;
    case ERR_PARSE:
    case ERR_INVALID:
    case ERR_NOTFOUND: return EXIT_INPUT; /* a file, store, sample or unit named that is not there */
    default: return EXIT_FAIL;
    }
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "pinggu %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see pinggu %s --help)\n", cmd);
    return EXIT_USAGE;
}

int cli_bad_value(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "pinggu %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_INPUT;
}

int cli_need_input(const char *cmd, const char *path, int want_dir)
{
    struct stat st;
    if (stat(path, &st))
        return cli_bad_value(cmd, "%s: cannot open: %s", path, strerror(errno));
    if (want_dir && !S_ISDIR(st.st_mode)) return cli_bad_value(cmd, "%s: not a folder", path);
    if (!want_dir && S_ISDIR(st.st_mode))
        return cli_bad_value(cmd, "%s: is a folder, not a file", path);
    return 0;
}

int cli_help(const char *text)
{
    fputs(text, stdout);
    return EXIT_OK;
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return 1;
    }
    return 0;
}

int cli_open_store(const char *db, int flags, struct store **s)
{
    struct error e;
    if (!db) {
        e.code = ERR_USAGE;
        e.file[0] = '\0';
        e.line = e.column = 0;
        snprintf(e.msg, sizeof e.msg, "--db DB is required");
        return cli_fail(&e);
    }
    if (store_open(db, flags, s, &e)) return cli_fail(&e);
    return 0;
}

int cmd_help(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: pinggu help [COMMAND | formats]\n\nHelp on a command, or the registry "
               "file formats (docs/formats.md).\n");
        return EXIT_OK;
    }
    if (argc >= 2 && !strcmp(argv[1], "formats")) {
        struct strbuf sb = STRBUF_INIT;
        sb_adds(&sb, "# Registry file formats / 建档立卡数据文件格式\n\n"
                     "<!-- generated by `pinggu help formats` from src/registry/columns.c; "
                     "`make docs` refreshes it -->\n\n"
                     "Files are CSV (RFC 4180) in UTF-8 (a BOM is fine) or GB18030/GBK as "
                     "Chinese Excel saves them; the encoding is detected. The first row is the "
                     "header; columns may come in any order and may be named by their canonical "
                     "name or any of the Chinese headers listed. Unknown columns are ignored "
                     "(and named). Booleans accept 0/1, 是/否, yes/no. Codes accept the canonical "
                     "code, the Chinese label or the aliases. Empty rows are skipped.\n\n"
                     "An import is all or nothing: every error is reported as "
                     "`file:line:column: reason` (at most 20 of each kind shown, then their count; "
                     "`--errors FILE` lists every one), and the store is left unchanged.\n\n");
        registry_formats_markdown(&sb);
        if (sb_ok(&sb) == 0) fputs(sb.buf, stdout);
        sb_release(&sb);
        return EXIT_OK;
    }
    if (argc >= 2) {
        for (size_t i = 0; i < ncommands; i++)
            if (!strcmp(argv[1], commands[i].name)) {
                char *args[] = {argv[1], (char *)"--help", NULL};
                return commands[i].fn(2, args);
            }
        fprintf(stderr, "pinggu help: no topic '%s' (try: pinggu help formats)\n", argv[1]);
        return EXIT_INPUT;
    }
    usage(stdout);
    return EXIT_OK;
}

/* Removes the global options --checkpoints FILE (or =FILE) and --print-checkpoint from argv
 * (anywhere before "--"), so no sub-command sees them, and turns checkpoints on for every
 * command (store.h). Returns the new argc, or -1 after a usage message. */
static int global_options(int argc, char **argv)
{
    const char *file = NULL;
    int print = 0, out = 1, i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) break;
        if (!strcmp(a, "--print-checkpoint")) {
            print = 1;
            continue;
        }
        if (!strcmp(a, "--checkpoints")) {
            if (i + 1 >= argc || !argv[i + 1][0]) {
                fprintf(stderr, "pinggu: --checkpoints needs a FILE\n");
                return -1;
            }
            file = argv[++i];
            continue;
        }
        /* --evidence-dir, not --evidence: that is problems move's and evidence add's FILE */
        if (!strcmp(a, "--evidence-dir") || !strncmp(a, "--evidence-dir=", 15)) {
            const char *d = a[14] == '=' ? a + 15 : i + 1 < argc ? argv[++i] : "";
            if (!*d) {
                fprintf(stderr, "pinggu: --evidence-dir needs a DIR\n");
                return -1;
            }
            store_evidence_set(d);
            continue;
        }
        if (!strncmp(a, "--checkpoints=", 14)) {
            file = a + 14;
            if (!*file) {
                fprintf(stderr, "pinggu: --checkpoints needs a FILE\n");
                return -1;
            }
            continue;
        }
        argv[out++] = argv[i];
    }
    for (; i < argc; i++) argv[out++] = argv[i];
    argv[out] = NULL;
    store_checkpoints_enable(file, print ? stdout : NULL);
    return out;
}

/* The shipped data's folders: an argument naming a file under one of them ("plans/x.json",
 * "--rules=rules/compare.json") that does not exist where pinggu runs is looked up with
 * data_find ($PINGGU_DATA, beside the binary, PREFIX/share/pinggu), so the README's commands
 * work from any folder and from an installed pinggu (issue 9 item 25). The resolved strings
 * live until exit (they are argv). */
static const char *const data_dirs[] = {"plans/", "forms/", "rules/", "calendars/"};

static void resolve_data_args(int argc, char **argv, struct strbuf *keep, size_t nkeep)
{
    size_t k = 0;
    for (int i = 2; i < argc && k < nkeep; i++) {
        char *arg = argv[i], *val = arg, *eq;
        size_t pre = 0;
        if (arg[0] == '-' && (eq = strchr(arg, '='))) val = eq + 1, pre = (size_t)(val - arg);
        for (size_t d = 0; d < sizeof data_dirs / sizeof data_dirs[0]; d++) {
            size_t dl = strlen(data_dirs[d]);
            struct strbuf found = STRBUF_INIT;
            /* "plans/x.json", or the folder itself ("forms", "forms/") */
            int under = !strncmp(val, data_dirs[d], dl);
            int folder = !strncmp(val, data_dirs[d], dl - 1) && val[dl - 1] == '\0';
            if (!under && !folder) continue;
            if (access(val, F_OK) == 0) break;
            if (data_find(val, &found) == 0) {
                sb_add(&keep[k], arg, pre);
                sb_adds(&keep[k], found.buf);
                if (sb_ok(&keep[k]) == 0) argv[i] = keep[k].buf;
                k++;
            }
            sb_release(&found);
            break;
        }
    }
}

int main(int argc, char **argv)
{
    struct strbuf keep[8] = {STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT,
                             STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT};
    argc = global_options(argc, argv);
    if (argc < 0) return EXIT_USAGE;
    resolve_data_args(argc, argv, keep, sizeof keep / sizeof keep[0]);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("pinggu 0.1 (store schema %d)\n", store_schema_latest());
        return EXIT_OK;
    }
    for (size_t i = 0; i < ncommands; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            int rc = commands[i].fn(argc - 1, argv + 1);
            for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++) sb_release(&keep[k]);
            return rc;
        }
    fprintf(stderr, "pinggu: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
