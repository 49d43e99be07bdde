# t_pg_suite_pages.sh — issue 13/14: the pages' suites, unchanged, on PostgreSQL (lib.sh's
# backend switch, tests/cli/pg/suites.sh, two at a time): t_pages (every role's pages in
# chromium, the store checked with the switch's `sqlite3 -separator`) and t_pages_api (the
# pages' newer routes over HTTP: progress and problems, the ledger, the day plan, the report
# sign-off, the county synthesis).
. "$TESTS_DIR/lib.sh"
suites="t_pages t_pages_api"
. "$TESTS_DIR/pg/suites.sh"
