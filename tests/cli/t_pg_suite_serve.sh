# t_pg_suite_serve.sh — issue 14: t_serve.sh, unchanged, on PostgreSQL (lib.sh's backend switch,
# tests/cli/pg/suites.sh). Alone, not beside another suite: its login flood must find more
# Argon2id requests waiting at once than the server queues (the 503 "busy" answer), which a
# second suite on the same two cores spreads out (measured: it got only 401 and 423 then).
. "$TESTS_DIR/lib.sh"
suites="t_serve"
. "$TESTS_DIR/pg/suites.sh"
