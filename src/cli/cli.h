/*
 * cli.h — private to src/cli/: the command table and helpers every sub-command shares.
 *
 * Each sub-command lives in its own cmd_*.c, has the signature of cmd_fn, parses its own
 * options with getopt_long, prints its help for --help (Chinese and English), and returns an
 * exit status:
 *   0  success                         2  input rejected (validation errors listed)
 *   1  failure (I/O, store, a verification that found differences)
 *   64 usage error (EX_USAGE)
 * The CLI uses only the public headers of the stages (curl's src/tool_* discipline).
 */
#ifndef PINGGU_CLI_H
#define PINGGU_CLI_H

#include "../base/base.h"
#include "../store/store.h"
#include "../registry/registry.h"
#include "../plan/plan.h"
#include "../compare/compare.h"

#include <getopt.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_INPUT = 2, EXIT_USAGE = 64 };

typedef int (*cmd_fn)(int argc, char **argv);

struct command {
    const char *name;  /* "import", or "audit verify" for a two-word command */
    cmd_fn fn;
    const char *summary; /* one line, English / 中文 */
};

/* Prints "pinggu: <error>" to stderr and returns the exit status that fits e->code. */
int cli_fail(const struct error *e);
/* Prints "pinggu CMD: msg" and the hint to run --help; returns EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) PG_PRINTF(2, 3);
/* Prints "pinggu CMD: msg" for an option value or argument that is not acceptable (bad
 * input, not bad usage); returns EXIT_INPUT. */
int cli_bad_value(const char *cmd, const char *fmt, ...) PG_PRINTF(2, 3);
/* 0 if path exists and is a folder (want_dir) or not a folder; else prints why and returns
 * EXIT_INPUT: a missing input is bad input, checked before anything is opened or written. */
int cli_need_input(const char *cmd, const char *path, int want_dir);
/* Prints help text (a static string) to stdout; returns EXIT_OK. */
int cli_help(const char *text);
/* 1 if argv has -h or --help before "--". */
int cli_wants_help(int argc, char **argv);
/* Opens the store named by --db (exit status via cli_fail on error). */
int cli_open_store(const char *db, int flags, struct store **s);

/* Sub-commands. */
int cmd_synth(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_export_analysis(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_form(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_seed(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_teams(int argc, char **argv);
int cmd_field(int argc, char **argv);
int cmd_evidence(int argc, char **argv);
int cmd_judge(int argc, char **argv);
int cmd_indicators(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_calendar(int argc, char **argv);
int cmd_problems(int argc, char **argv);
int cmd_funds(int argc, char **argv);
int cmd_attendance(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_round(int argc, char **argv);
int cmd_bulletin(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_checks(int argc, char **argv);
int cmd_synthesis(int argc, char **argv);
int cmd_interference(int argc, char **argv);
int cmd_fieldwork(int argc, char **argv);
int cmd_household(int argc, char **argv);

#endif
