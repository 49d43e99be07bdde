# t_pg_suite_more.sh — issue 14: more CLI suites, unchanged, on PostgreSQL (lib.sh's backend
# switch, tests/cli/pg/suites.sh): the round's milestones, the two-level review, interference,
# the scheme's checks, attendance, JSON names through every stage; exit codes of every
# command, the registry import's errors (and kill -9 in its COPY), the department comparison,
# monitoring between rounds, accounts, the county synthesis. The longer suites that also pass
# through the switch run in `make check-pg-long` (docs/scale.md).
. "$TESTS_DIR/lib.sh"
suites="t_round t_review t_interference t_checks t_attendance t_json t_exit t_import_errors t_compare
  t_monitor t_user t_synthesis"
. "$TESTS_DIR/pg/suites.sh"
