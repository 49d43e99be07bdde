# t_pg.sh — issue 14: the PostgreSQL store is the same system as the SQLite one. The test starts
# a throwaway cluster itself (scripts/pg-cluster.sh: initdb into a temporary folder, a Unix socket,
# C collation) and stops it on exit; without PostgreSQL's binaries it says so and FAILS (make check
# installs them through scripts/deps.sh check).
#  1. refusals: a URL with a password, no evidence folder or checkpoint file, a database without C
#     collation, a database that is not a pinggu store (nothing written to any of them);
#  2. the pipeline (init, import, summary, sample + verify, field simulate, field status, judge,
#     indicators, export analysis, registry export, compare, problems, report, audit verify) on
#     both backends: every printed figure identical once paths are normalised, the analysis
#     export, the indicators JSON, the registry export and the manifest (but its wall-clock
#     "created") byte for byte;
#  3. concurrency: 8 processes appending to the change log at once — no lost entry, the hash
#     chain never forks, `audit verify` (chain, batches, checkpoints) ok;
#  4. kill -9 in the middle of a re-import (COPY inside the import's transaction): the store is
#     left as it was, and verifies;
#  5. `pinggu serve --db postgresql://…`: t_serve's core flow over HTTP (below);
#  6. a report reader on a second connection string (a streaming replica): the same figures,
#     the report written, audit verify ok, a write refused.
. "$TESTS_DIR/lib.sh"
P=$PINGGU
cl=$(mktemp -d /tmp/pinggu-pg.XXXXXX)
trap 'sh "$ROOT/scripts/pg-cluster.sh" stop "$cl"' EXIT
URL=$(sh "$ROOT/scripts/pg-cluster.sh" start "$cl") ||
  fail "could not start a PostgreSQL cluster (is the Debian package postgresql installed? scripts/deps.sh check)"
psql_() { sh "$ROOT/scripts/pg-cluster.sh" psql "$cl" -qAt -v ON_ERROR_STOP=1 "$@"; }
export PINGGU_EVIDENCE=$PWD/pg.evidence PINGGU_CHECKPOINTS=$PWD/pg.checkpoints

# 1. refusals ------------------------------------------------------------------------------
expect_status 64 $P init "postgresql://postgres:secret@localhost/pinggu"
expect_grep "has a password in it: refused" err.txt
expect_status 64 $P summary --db "postgres://postgres:secret@localhost/pinggu"
expect_grep "has a password in it" err.txt
expect_status 64 $P init "postgresql:///pinggu?host=$cl&port=5432&user=postgres&password=x"
expect_grep "has a password in it" err.txt
expect_status 64 env -u PINGGU_EVIDENCE $P init "$URL"
expect_grep "needs --evidence-dir DIR \(or PINGGU_EVIDENCE\)" err.txt
expect_status 64 env -u PINGGU_CHECKPOINTS $P init "$URL"
expect_grep "needs --checkpoints FILE \(or PINGGU_CHECKPOINTS\)" err.txt
psql_ -d postgres -c "CREATE DATABASE notc TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
notc=$(echo "$URL" | sed 's|///pinggu|///notc|')
expect_status 2 $P init "$notc"
expect_grep "collation is C.UTF-8; a pinggu store needs C collation" err.txt
[ "$(psql_ -d notc -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 0 ] ||
  fail "the refused database was written to"
psql_ -d postgres -c "CREATE DATABASE other TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'"
psql_ -d other -c "CREATE TABLE t (x int)"
other=$(echo "$URL" | sed 's|///pinggu|///other|')
expect_status 2 $P init "$other"
expect_grep "already has 1 tables; a new store needs an empty database" err.txt
expect_status 2 $P summary --db "$other"
expect_grep "is not a pinggu store" err.txt
[ "$(psql_ -d other -c "SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'public'")" = t ] ||
  fail "the other application's database was written to"

# 2. the pipeline on both backends ------------------------------------------------------------
$P synth --out prov --seed 7 --counties 1 --departments >/dev/null
export PINGGU_NOW=2026-11-01T08:00:00Z
run() { # run NAME DB ...: the command's stdout in $out/NAME.txt; it must succeed
  name=$1; shift
  "$@" > "$out/$name.txt" 2> "$out/$name.err" || { cat "$out/$name.err" >&2; fail "$out: $*"; }
}
pipeline() { # pipeline DB OUT
  db=$1; out=$2; mkdir -p "$out"
  run init $P init "$db"
  run import $P import --db "$db" prov
  run summary $P summary --db "$db"
  run sample $P sample --db "$db" --plan "$ROOT/plans/national-spotcheck-2019.json" --seed 1 \
    --name n --manifest "$out/manifest.json"
  run verify $P sample verify --db "$db" "$out/manifest.json"
  run simulate $P field simulate --db "$db" --sample n --truth prov/truth.csv --seed 5 \
    --forms "$ROOT/forms"
  run status $P field status --db "$db" --sample n
  run judge $P judge --db "$db" --sample n
  run indicators $P indicators --db "$db" --sample n
  run indicators-json $P indicators --db "$db" --sample n --level county --json
  run analysis $P export analysis --db "$db" --sample n --out "$out/analysis.csv"
  run export $P export --db "$db" --out "$out/registry"
  run compare $P compare --db "$db" --rules "$ROOT/rules/compare.json" prov/departments
  run problems $P problems list --db "$db" --round n
  run ledger $P problems ledger --db "$db" --round n --date 2027-01-31
  run report $P report --db "$db" --sample n --out "$out/report"
  run audit $P audit verify --db "$db"
}
pipeline sq.db sq
pipeline "$URL" pg
norm() { # paths and timings differ by design; everything else must not
  sed -e "s|$PWD/pg.evidence|EVIDENCE|g; s|\.\./\.\./sq\.db\.evidence|EVIDENCE|g; s|\.\./\.\./pg\.evidence|EVIDENCE|g" \
      -e "s|$PWD/pg.checkpoints|CHECKPOINTS|g; s|sq\.db\.checkpoints|CHECKPOINTS|g" \
      -e "s|$URL|DB|g; s|sq\.db|DB|g; s|\bsq/|OUT/|g; s|\bpg/|OUT/|g" \
      -e 's/[0-9.]* s\b/T s/g; s/([0-9]* rows\/s)//; s/"created": "[^"]*"/"created": T/' \
      -e 's/head [0-9a-f]*…/head H…/' "$1"
}
for f in sq/*.txt sq/manifest.json sq/report/*.html; do
  g=pg/${f#sq/}
  [ -f "$g" ] || fail "$g missing"
  norm "$f" > a.norm; norm "$g" > b.norm
  cmp -s a.norm b.norm || { diff a.norm b.norm | head -20 >&2; fail "$f and $g differ"; }
done
# byte for byte: the analysis export (the R re-derivation's input), the indicators, the registry
cmp sq/analysis.csv pg/analysis.csv || fail "the analysis export differs between backends"
cmp sq/indicators-json.txt pg/indicators-json.txt || fail "indicators JSON differs"
diff -r sq/registry pg/registry >/dev/null || fail "the registry export differs between backends"
expect_grep "^ok: the change log is intact" pg/audit.txt
expect_grep "checkpoints: .*pg.checkpoints: [0-9]+, the latest at entry" pg/audit.txt
# the types: 12-digit village codes as bigint, weights and pi as double precision
[ "$(psql_ -d pinggu -c "SELECT data_type FROM information_schema.columns WHERE table_name = 'villages' AND column_name = 'code'")" = bigint ] || fail "villages.code is not bigint"
[ "$(psql_ -d pinggu -c "SELECT data_type FROM information_schema.columns WHERE table_name = 'sample_units' AND column_name = 'pi'")" = "double precision" ] || fail "sample_units.pi is not double precision"
[ "$(psql_ -d pinggu -c "SELECT application_id || ' ' || schema_version FROM pinggu_store")" = "1346848597 $($P init x.db | sed 's/.*schema \([0-9]*\)).*/\1/')" ] || fail "the store's mark"

# 3. concurrent writers -------------------------------------------------------------------------
before=$(psql_ -d pinggu -c "SELECT count(*) FROM audit_log")
for i in 1 2 3 4 5 6 7 8; do
  ( for k in 1 2 3; do echo "photo $i $k" > ph-$i-$k.jpg
      $P evidence add --db "$URL" --unit "u$i" ph-$i-$k.jpg >/dev/null || exit 1; done ) &
done
wait
after=$(psql_ -d pinggu -c "SELECT count(*) FROM audit_log")
[ "$after" -ge $((before + 24)) ] || fail "concurrent writers: $before -> $after entries, 24 expected"
[ "$(psql_ -d pinggu -c "SELECT count(*) FROM evidence WHERE name LIKE 'ph-%'")" = 24 ] || fail "lost evidence rows"
[ "$(psql_ -d pinggu -c "SELECT count(*) FROM audit_log a JOIN audit_log b ON b.seq = a.seq + 1 WHERE b.prev <> a.hash")" = 0 ] || fail "the chain forked"
expect_status 0 $P audit verify --db "$URL"
expect_grep "^ok: the change log is intact" out.txt

# 4. kill -9 in the middle of a re-import -------------------------------------------------------
n0=$(psql_ -d pinggu -c "SELECT count(*) || ' ' || max(seq) FROM audit_log")
m0=$(psql_ -d pinggu -c "SELECT count(*) FROM members")
$P import --db "$URL" prov >/dev/null 2>&1 &
pid=$!
i=0
until [ "$(psql_ -d pinggu -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY members%'")" != 0 ]; do
  i=$((i + 1)); [ $i -lt 600 ] || fail "the import never reached its COPY"; sleep 0.05
done
kill -9 $pid; wait $pid 2>/dev/null || true
sleep 1
[ "$(psql_ -d pinggu -c "SELECT count(*) || ' ' || max(seq) FROM audit_log")" = "$n0" ] || fail "a killed import left entries"
[ "$(psql_ -d pinggu -c "SELECT count(*) FROM members")" = "$m0" ] || fail "a killed import left rows"
expect_status 0 $P audit verify --db "$URL"

# 5. pinggu serve on PostgreSQL (a connection per worker thread): t_serve's core flow — first
#    login and password change, scoped lists, an illegal move refused, legal moves logged with
#    the user, parallel readers — then a clean stop with its checkpoint, and audit verify
export PINGGU_TODAY=2026-11-03
county=$(psql_ -d pinggu -c "SELECT county FROM problems GROUP BY county ORDER BY count(*) DESC, county LIMIT 1")
p1=$(psql_ -d pinggu -c "SELECT min(row_no) FROM problems WHERE county = $county")
echo photo > p1.jpg
$P problems move --db "$URL" "$p1" recorded --as evaluator --evidence p1.jpg --on 2026-11-02 >/dev/null
pw='Good-Pass-2020'
echo "$pw" | $P user add --db "$URL" --role office boss >/dev/null
echo "$pw" | $P user add --db "$URL" --role leader --round n --scope "$county" lead >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$P serve --db "$URL" --listen "127.0.0.1:$port" --forms "$ROOT/forms" >serve.log 2>serve.err &
spid=$!
i=0
until grep -q listening serve.log 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 200 ] || { cat serve.err >&2; fail "the server did not start on PostgreSQL"; }
  sleep 0.1
done
cat > drive.py <<'PYEOF'
import http.client, json, sys, threading
port, p1 = int(sys.argv[1]), int(sys.argv[2])
ORIGIN = "http://127.0.0.1:%d" % port
PW, NEW = "Good-Pass-2020", "Better-Pass-2021"
def req(method, path, body=None, cookie=None, csrf=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = {"Origin": ORIGIN}
    if cookie: h["Cookie"] = "pinggu_session=" + cookie
    if csrf: h["X-CSRF-Token"] = csrf
    data = json.dumps(body).encode() if body is not None else None
    if data is not None: h["Content-Type"] = "application/json"
    c.request(method, path, body=data, headers=h)
    r = c.getresponse(); t = r.read().decode("utf-8", "replace"); c.close()
    return r.status, (json.loads(t) if t else None), t, r
def check(cond, what):
    if not cond: print("FAIL:", what, file=sys.stderr); sys.exit(1)
def first_login(user):
    st, j, t, r = req("POST", "/api/session", {"user": user, "password": PW})
    check(st == 200 and j["must_change"] is True, "login %s: %s" % (user, t))
    ck, cs = r.getheader("Set-Cookie").split(";")[0].split("=", 1)[1], j["csrf_token"]
    st, j, t, _ = req("GET", "/api/rounds", cookie=ck)
    check(st == 403 and j["error"]["code"] == "password_change_required", "must change first: " + t)
    st, j, t, _ = req("POST", "/api/me/password", {"old": PW, "new": NEW}, ck, cs)
    check(st == 200, "password change %s: %s" % (user, t))
    return ck, cs
boss, bcs = first_login("boss")
lead, lcs = first_login("lead")
st, j, t, _ = req("GET", "/api/rounds", cookie=boss)
check(st == 200 and [r["round"] for r in j["rounds"]] == ["n"], "rounds: " + t)
st, j, t, _ = req("GET", "/api/problems?round=n", cookie=boss)
check(st == 200 and p1 in [p["id"] for p in j["problems"]], "the office's list: " + t[:300])
st, j, t, _ = req("POST", "/api/problems/%d/moves" % p1, {"to": "confirmed"}, lead, lcs)
check(st == 422 and j["error"]["code"] == "illegal_move", "illegal move: " + t)
for to in ("summarised", "sent_for_verification"):
    st, j, t, _ = req("POST", "/api/problems/%d/moves" % p1, {"to": to, "on": "2026-11-03"}, lead, lcs)
    check(st == 201 and j["by"] == "lead" and j["as"] == "leader", "move %s: %s" % (to, t))
errors = []
def reader():
    for _ in range(5):
        st, j, t, _ = req("GET", "/api/problems/%d" % p1, cookie=boss)
        if st != 200 or j["state"] != "sent_for_verification": errors.append(t[:200])
ts = [threading.Thread(target=reader) for _ in range(8)]
for x in ts: x.start()
for x in ts: x.join()
check(not errors, "parallel readers: %s" % errors[:2])
print("serve on PostgreSQL ok")
PYEOF
python3 drive.py "$port" "$p1" >drive.out 2>drive.err || {
  cat drive.err serve.err >&2; kill -TERM $spid; fail "the HTTP flow failed on PostgreSQL"; }
kill -TERM $spid
wait $spid || fail "the server did not stop cleanly"
[ "$(psql_ -d pinggu -c "SELECT count(*) FROM audit_log WHERE actor = 'lead'")" -ge 2 ] || fail "moves not logged with the user"
[ "$(tail -1 "$PINGGU_CHECKPOINTS" | cut -d' ' -f2)" = "$(psql_ -d pinggu -c 'SELECT count(*) FROM audit_log')" ] ||
  fail "the last checkpoint does not cover the log's head"
expect_status 0 $P audit verify --db "$URL"

# 6. the report reader pointed at a second connection string: a streaming replica
REPLICA=$(sh "$ROOT/scripts/pg-cluster.sh" replica "$cl") || fail "could not start a replica"
i=0
until [ "$(psql_ -p 5433 -d pinggu -c "SELECT count(*) FROM audit_log" 2>/dev/null)" = "$(psql_ -d pinggu -c "SELECT count(*) FROM audit_log")" ]; do
  i=$((i + 1)); [ $i -lt 100 ] || fail "the replica did not catch up"; sleep 0.1
done
$P indicators --db "$URL" --sample n --level county --json > primary.json
expect_status 0 $P indicators --db "$REPLICA" --sample n --level county --json
cmp out.txt primary.json || fail "the replica's indicators differ from the primary's"
expect_status 0 $P report --db "$REPLICA" --sample n --out replica-report
expect_status 0 $P audit verify --db "$REPLICA"
expect_status 1 $P problems move --db "$REPLICA" "$p1" dismissed --as leader --note "replica"
expect_grep "read-only transaction" err.txt
echo "t_pg ok: $(wc -l < sq/analysis.csv) analysis rows identical; $after entries after concurrent writes"
