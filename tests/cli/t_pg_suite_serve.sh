# t_pg_suite_serve.sh — issue 14: the server's suites, unchanged, on PostgreSQL (lib.sh's
# backend switch, tests/cli/pg/suites.sh, two at a time): t_serve (the API, sessions, the
# writer queue), t_openrosa (ODK's protocol, the instance transaction), t_public_query (the
# household query).
. "$TESTS_DIR/lib.sh"
suites="t_openrosa t_serve t_public_query"
. "$TESTS_DIR/pg/suites.sh"
