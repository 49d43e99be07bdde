# t_pg_suite_long.sh — issue 14: the long pipeline suites, unchanged, on PostgreSQL (lib.sh's
# backend switch, tests/cli/pg/suites.sh, two at a time, longest first): fieldwork and
# questionnaires, scoring, the problem ledger, the analysis export, the re-check, the reports,
# the verdicts.
. "$TESTS_DIR/lib.sh"
suites="t_analysis t_field t_report t_problems t_verdict t_score t_recheck"
. "$TESTS_DIR/pg/suites.sh"
