# t_pg_suite_pages.sh — issue 12/13/14: the pages' and field apps' suites over HTTP, unchanged,
# on PostgreSQL (lib.sh's backend switch, tests/cli/pg/suites.sh, two at a time, longest
# first): t_pages (every role's pages in chromium, the store checked with the switch's
# `sqlite3 -separator`), t_openrosa (ODK's protocol, the instance transaction), t_public_query
# (the household query) and t_pages_api (the pages' newer routes over HTTP: progress and
# problems, the ledger, the day plan, the report sign-off, the county synthesis).
. "$TESTS_DIR/lib.sh"
suites="t_pages t_public_query t_openrosa t_pages_api"
. "$TESTS_DIR/pg/suites.sh"
