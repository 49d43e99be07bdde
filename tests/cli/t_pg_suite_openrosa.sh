# t_pg_suite_openrosa.sh — issue 14: t_openrosa.sh and t_public_query.sh, unchanged, on
# PostgreSQL (lib.sh's backend switch, tests/cli/pg/suites.sh).
. "$TESTS_DIR/lib.sh"
suites="t_openrosa t_public_query"
. "$TESTS_DIR/pg/suites.sh"
