# t_pg_suite_pages.sh — issues 11-15: the pages' and field apps' suites over HTTP, unchanged,
# on PostgreSQL (lib.sh's backend switch, tests/cli/pg/suites.sh, two at a time, longest
# first): t_pages (every role's pages in chromium, the store checked with the switch's
# `sqlite3 -separator`), t_public_query (the household query), t_openrosa (ODK's protocol, the
# instance transaction), t_monitor_pages (the between-rounds pages against the CLI),
# t_pages_api (the pages' newer routes over HTTP: progress and problems, the ledger, the day
# plan, the report sign-off, the county synthesis), t_serve_faults (the server killed in the
# middle of submissions), t_web (ODK Web Forms on the server), t_serve_proxy (the
# per-address limit behind a proxy).
. "$TESTS_DIR/lib.sh"
suites="t_pages t_public_query t_openrosa t_monitor_pages t_pages_api t_serve_faults t_web
  t_serve_proxy"
. "$TESTS_DIR/pg/suites.sh"
