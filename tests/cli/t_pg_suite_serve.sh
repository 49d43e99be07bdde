# t_pg_suite_serve.sh — issue 14: t_serve.sh, unchanged, on PostgreSQL (lib.sh's backend switch,
# tests/cli/pg/suites.sh; one suite per test, so each stays within run.sh's time limit).
. "$TESTS_DIR/lib.sh"
suites="t_serve"
. "$TESTS_DIR/pg/suites.sh"
