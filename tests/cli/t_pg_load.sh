# t_pg_load.sh — issue 14's Proof, concurrency and faults, against `pinggu serve` over loopback
# HTTP (tests/cli/load.py drives it), on a throwaway PostgreSQL cluster (scripts/pg-cluster.sh)
# and on SQLite:
#  1. concurrency, on both backends: 50 clients submit 200 questionnaires at once (each
#     client then re-submits another's Idempotency-Key) while 5 office users try to dismiss the
#     same 20 problems in different orders. Every submission acknowledged and stored exactly
#     once, by its user; each problem moved exactly once, by the office the server told 201;
#     the others told 422 (illegal move); `audit verify` (the hash chain, every batch, the
#     checkpoints) ok. SQLite's limit is one writer at a time: it shows as waiting (its busy
#     timeout, the server's writer queue), never as an error — the same assertions hold;
#     nothing here measures time, only counts.
#  2. faults, on PostgreSQL: 8 clients submitting 120 questionnaires with retries while the database is stopped as
#     by kill -9 (pg_ctl stop -m immediate) and started again, then `pinggu serve` is killed
#     with SIGKILL and restarted. While the database is down the server answers 503, never
#     500; afterwards it reconnects by itself (no restart); every acknowledged (2xx) write is
#     in the store exactly once; `audit verify` ok.
. "$TESTS_DIR/lib.sh"
P=$PINGGU
cl=$(mktemp -d /tmp/pinggu-pg.XXXXXX)
spid=
trap 'st=$?; [ -z "$spid" ] || kill -9 $spid 2>/dev/null; sh "$ROOT/scripts/pg-cluster.sh" stop "$cl"; exit $st' EXIT
URL=$(sh "$ROOT/scripts/pg-cluster.sh" start "$cl") ||
  fail "could not start a PostgreSQL cluster (is the Debian package postgresql installed? scripts/deps.sh check)"
psql_() { sh "$ROOT/scripts/pg-cluster.sh" psql "$cl" -d pinggu -qAt -v ON_ERROR_STOP=1 -c "$1"; }
export PINGGU_EVIDENCE=$PWD/pg.evidence PINGGU_CHECKPOINTS=$PWD/pg.checkpoints
export PINGGU_TODAY=2020-04-20
$P synth --out prov --seed 7 --counties 1 >/dev/null

setup() { # setup DB: a round with questionnaires to submit, problems, and the accounts
  $P init "$1" >/dev/null
  $P import --db "$1" prov >/dev/null
  $P sample --db "$1" --plan "$ROOT/plans/national-spotcheck-2019.json" --seed 1 --name n >/dev/null
  $P field simulate --db "$1" --sample n --truth prov/truth.csv --seed 5 --forms "$ROOT/forms" --out sim >/dev/null
  $P judge --db "$1" --sample n >/dev/null
  echo "Load-Pass-2020" | $P user add --db "$1" --role leader --round n loader >/dev/null
  for k in 0 1 2 3 4; do echo "Office-Pass-2020" | $P user add --db "$1" --role office "office$k" >/dev/null; done
}
setup sq.db
setup "$URL"
sq() { sqlite3 sq.db "$1"; }
pg() { psql_ "$1"; }
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
serve() { # serve DB LOG: starts pinggu serve, sets $spid and $port
  port=$(freeport)
  $P serve --db "$1" --listen "127.0.0.1:$port" --forms "$ROOT/forms" --checkpoint-every 1 >"$2.log" 2>"$2.err" &
  spid=$!
  i=0
  until grep -q listening "$2.log" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 300 ] || { cat "$2.err" >&2; fail "the server did not start ($1)"; }
    sleep 0.1
  done
}
stored() { # stored Q DIR BEFORE SEQ0: each acknowledged unit's questionnaire is the one submitted
  # (it replaced the simulation's), once, by loader, after entry SEQ0; nothing else changed
  n=$(wc -l < "$2/acked.txt")
  [ "$n" -gt 0 ] || fail "$2: nothing acknowledged"
  [ "$($1 "SELECT count(*) FROM questionnaires WHERE form = 'registered-household'")" = "$3" ] ||
    fail "$2: questionnaires added or lost (a submission replaces the unit's simulated one)"
  [ "$($1 "SELECT count(*) || ' ' || count(DISTINCT q.unit) FROM questionnaires q JOIN audit_log a ON a.seq = q.log_id WHERE q.form = 'registered-household' AND a.actor = 'loader' AND a.seq > $4")" = "$n $n" ] ||
    fail "$2: $n acknowledged, not stored exactly once each by loader"
  sort "$2/acked.txt" > "$2/acked.sorted"
  $1 "SELECT q.unit FROM questionnaires q JOIN audit_log a ON a.seq = q.log_id WHERE q.form = 'registered-household' AND a.actor = 'loader' AND a.seq > $4 ORDER BY q.unit" > "$2/stored.txt"
  cmp -s "$2/acked.sorted" "$2/stored.txt" || fail "$2: the units stored are not the units acknowledged"
}

concurrency() { # concurrency DB Q NAME
  db=$1; q=$2; name=$3; mkdir -p "$name"
  before=$($q "SELECT count(*) FROM questionnaires WHERE form = 'registered-household'")
  seq0=$($q "SELECT max(seq) FROM audit_log")
  serve "$db" "$name/serve"
  timeout 600 python3 "$TESTS_DIR/load.py" concurrency "$port" "$name" 50 >"$name/load.out" 2>"$name/load.err" ||
    { cat "$name/load.err" "$name/serve.err" >&2; fail "$name: the concurrent run failed"; }
  kill -TERM $spid; wait $spid || fail "$name: the server did not stop cleanly"; spid=
  cat "$name/load.out"
  n=$(wc -l < "$name/acked.txt")
  stored "$q" "$name" "$before" "$seq0"
  # each problem moved once, by the office that was told 201
  $q "SELECT problem || ' ' || actor FROM problem_moves WHERE to_state = 'dismissed' ORDER BY problem" > "$name/moves.txt"
  cmp "$name/moves.txt" "$name/winners.txt" || { diff "$name/moves.txt" "$name/winners.txt" >&2; fail "$name: the moves stored are not the moves acknowledged"; }
  # the chain never forked: each entry's prev is the hash before it; then the full verify
  [ "$($q "SELECT count(*) FROM audit_log a JOIN audit_log b ON b.seq = a.seq + 1 WHERE b.prev <> a.hash")" = 0 ] ||
    fail "$name: the change log forked"
  expect_status 0 $P audit verify --db "$db"
  expect_grep "^ok: the change log is intact" out.txt
}
concurrency "$URL" pg pg-conc
concurrency sq.db sq sq-conc

# 2. faults on PostgreSQL ----------------------------------------------------------------------
mkdir -p faults
psql_ "SELECT 1" >/dev/null
before=$(pg "SELECT count(*) FROM questionnaires WHERE form = 'registered-household'")
seq0=$(pg "SELECT max(seq) FROM audit_log")
serve "$URL" faults/serve
echo "$port" > faults/port
timeout 600 python3 "$TESTS_DIR/load.py" faults faults/port faults \
  "sh $ROOT/scripts/pg-cluster.sh crash $cl" "sh $ROOT/scripts/pg-cluster.sh resume $cl" \
  >faults/load.out 2>faults/load.err &
lpid=$!
i=0
until [ -f faults/kill ]; do
  kill -0 $lpid 2>/dev/null || { cat faults/load.err faults/serve.err >&2; fail "the fault driver stopped early"; }
  i=$((i + 1)); [ $i -lt 6000 ] || fail "the fault driver never asked for the kill"; sleep 0.1
done
kill -9 $spid; wait $spid 2>/dev/null || true
mv faults/serve.err faults/serve1.err
serve "$URL" faults/serve
echo "$port" > faults/port
rm faults/kill
wait $lpid || { cat faults/load.err faults/serve1.err faults/serve.err >&2; fail "faults run"; }
kill -TERM $spid; wait $spid || fail "the restarted server did not stop cleanly"; spid=
cat faults/load.out
grep -q '^500:' faults/statuses.txt && { cat faults/statuses.txt faults/serve1.err >&2; fail "a 500 under faults (503 expected)"; }
expect_grep '^503: [1-9]' faults/down.txt
expect_grep 'reconnect|unavailable|PostgreSQL' faults/serve1.err
stored pg faults "$before" "$seq0"
expect_status 0 $P audit verify --db "$URL"
expect_grep "^ok: the change log is intact" out.txt
echo "t_pg_load ok"
