# t_pg_suite_pages.sh — issue 13/14: t_pages_api.sh, unchanged, on PostgreSQL (lib.sh's backend
# switch, tests/cli/pg/suites.sh): the pages' newer routes — progress/problems, the ledger, the
# day plan, the report sign-off and the county synthesis — over HTTP with the store a PostgreSQL database. (t_pages.sh
# itself, in chromium, is not run here: see docs/pages.md.)
. "$TESTS_DIR/lib.sh"
suites="t_pages_api"
. "$TESTS_DIR/pg/suites.sh"
