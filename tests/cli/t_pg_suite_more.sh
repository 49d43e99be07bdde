# t_pg_suite_more.sh — issue 14: more CLI suites, unchanged, on PostgreSQL (lib.sh's backend
# switch, tests/cli/pg/suites.sh, two at a time, longest first): the round's milestones, the
# two-level review, interference, the scheme's checks, attendance, JSON names through every
# stage; exit codes of every command, the registry import's errors (and kill -9 in its COPY),
# the department comparison, monitoring between rounds, accounts, the county synthesis; and the
# store's integrity on PostgreSQL — the change log tampered with and its checkpoints (t_audit,
# t_registry), every manifest field and a stored sample changed behind it (t_manifest,
# t_sample), report signatures carried between stores and altered (t_report_levels), the
# tampering done by the same SQL through the switch's `sqlite3`.
. "$TESTS_DIR/lib.sh"
suites="t_report_levels t_manifest t_review t_sample t_import_errors t_registry t_interference t_compare
  t_synthesis t_round t_checks t_monitor t_json t_exit t_audit t_user t_attendance"
. "$TESTS_DIR/pg/suites.sh"
