# t_serve_faults.sh — issues 11 and 12: crashes of `pinggu serve` in the middle of submissions.
#  1. One transaction per OpenRosa submission (issue 12): PINGGU_FAULT=after-questionnaire ends
#     the server (_exit(137), as kill -9) after the questionnaire is written and before its
#     xform_instances row; the phone's retry of the same submission after the restart must give
#     exactly one questionnaire and one version, named after the instance, and `audit verify`
#     must pass. (Before the fix the first attempt's questionnaire was committed on its own and
#     the retry, finding no instance, imported it again: two versions.)
#  2. Group commit under faults (issue 11): about 300 submissions from concurrent clients, JSON
#     (Idempotency-Key) and OpenRosa (instanceID) mixed, the server killed (-9) three times at
#     random points, every client retrying until answered: every acknowledged (2xx) submission
#     is present exactly once, the retries stored nothing twice (one change-log import per unit),
#     `audit verify` passes. Counts only, never timings.
. "$TESTS_DIR/lib.sh"
P=$PINGGU
C="python3 $TESTS_DIR/openrosa_client.py"
export PINGGU_TODAY=2020-04-20
$P synth --out prov --seed 7 --counties 2 >/dev/null
$P init r.db >/dev/null
$P import --db r.db prov >/dev/null
$P sample --db r.db --plan "$ROOT/plans/national-spotcheck-2019.json" --seed 1 --name n >/dev/null
cp r.db sim.db
$P field simulate --db sim.db --sample n --truth prov/truth.csv --seed 5 --forms "$ROOT/forms" --nonresponse 0 --out sim >/dev/null
county=$(sqlite3 r.db "select county from sample_units where stage = 'household' group by county order by county limit 1")
pw='Good-Pass-2020'
echo "$pw" | $P user add --db r.db --role evaluator --round n --scope "$county" eva >/dev/null
echo "Load-Pass-2020" | $P user add --db r.db --role leader --round n loader >/dev/null
$P user token issue --db r.db --round n eva > tok.txt
T=$(sed -n 2p tok.txt)
cp r.db load.db

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
spid=
trap '[ -z "$spid" ] || kill $spid 2>/dev/null' EXIT
serve() { # serve [ENV=VALUE]: starts the server on $port, waits until it listens
  rm -f serve.log
  env "$@" $P serve --db r.db --listen "127.0.0.1:$port" --forms "$ROOT/forms" >serve.log 2>>serve.err &
  spid=$!
  i=0
  until grep -q listening serve.log 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 100 ] || { cat serve.err >&2; fail "the server did not start"; }
    sleep 0.1
  done
}

# --- 1. the kill point between the questionnaire and its instance -----------------------------
csv=sim/registered-household.csv
u1=$(awk -F, -v c="$county" 'NR > 1 && index($1, c) == 1 && $5 == "complete" {print $1}' $csv | head -1)
[ -n "$u1" ] || fail "no complete questionnaire in county $county"
echo photo-1 > p1.jpg
serve PINGGU_FAULT=after-questionnaire
$C "$port" "$T" registered-household $csv "$u1" uuid:crash-1 --attach p1.jpg --out crash.xml > out.txt 2>&1 &&
  fail "the faulty server answered: $(cat out.txt)"
rc=0; wait $spid || rc=$?; spid=
[ "$rc" = 137 ] || fail "the server did not stop at the fault point (exit $rc)"
# the phone retries the same submission (same XML, same instanceID) once the server is back
serve
python3 - "$port" "$T" crash.xml > out.txt <<'PY'
import sys; sys.path.insert(0, __import__("os").environ["TESTS_DIR"])
import openrosa_client as c
port, tok, f = int(sys.argv[1]), sys.argv[2], sys.argv[3]
print(c.post(port, tok, open(f, "rb").read(), ["p1.jpg"])[0])
PY
[ "$(cat out.txt)" = 201 ] || fail "the retry answered $(cat out.txt)"
kill $spid; wait $spid || true; spid=
[ "$(sqlite3 r.db "select count(*) from questionnaires where unit = '$u1'")" = 1 ] || fail "not one questionnaire"
# one version: one import of the questionnaires in the change log (a second would have
# superseded the first, the crashed attempt's)
[ "$(sqlite3 r.db "select count(*) from audit_log where action = 'field import' and tbl = 'questionnaires'")" = 1 ] ||
  fail "$(sqlite3 r.db "select count(*) from audit_log where action = 'field import' and tbl = 'questionnaires'") versions of the questionnaire"
[ "$(sqlite3 r.db "select count(*) from xform_instances where unit = '$u1'")" = 1 ] || fail "not one instance"
[ "$(sqlite3 r.db "select count(*) from xform_attachments where instance_id = 'uuid:crash-1'")" = 1 ] || fail "not one attachment"
# the questionnaire names the instance, not the temporary CSV it passed through
[ "$(sqlite3 r.db "select source from questionnaires where unit = '$u1'")" = "openrosa:uuid:crash-1" ] ||
  fail "source: $(sqlite3 r.db "select source from questionnaires where unit = '$u1'")"
expect_status 0 $P audit verify --db r.db

# --- 2. kill -9 three times under a bounded load -----------------------------------------------
cat > load.py <<'PYEOF'
import csv, http.client, json, os, random, signal, subprocess, sys, threading, time
sys.path.insert(0, os.environ["TESTS_DIR"])
import openrosa_client as orc
P = os.environ["PINGGU"]; county, token = sys.argv[1], sys.argv[2]
rnd = random.Random()   # the kill points are random; what is asserted never depends on them
state = {"port": 0, "srv": None}
def start():
    s = __import__("socket").socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    log = "load-%d.log" % port
    p = subprocess.Popen([P, "serve", "--db", "load.db", "--listen", "127.0.0.1:%d" % port,
                          "--forms", os.environ["ROOT"] + "/forms", "--threads", "16"],
                         stdout=open(log, "w"), stderr=subprocess.STDOUT)
    for _ in range(300):
        if "listening" in open(log).read():
            state["port"], state["srv"] = port, p
            return
        time.sleep(0.1)
    raise SystemExit("server did not start")
start()
def call(method, path, body, h):
    c = http.client.HTTPConnection("127.0.0.1", state["port"], timeout=60)
    h = dict(h); h["Origin"] = "http://127.0.0.1:%d" % state["port"]; h["Content-Type"] = "application/json"
    c.request(method, path, body=json.dumps(body).encode(), headers=h)
    r = c.getresponse(); t = r.read(); c.close()
    return r.status, json.loads(t), r
st, j, r = call("POST", "/api/session", {"user": "loader", "password": "Load-Pass-2020"}, {})
auth = {"Cookie": r.getheader("Set-Cookie").split(";")[0], "X-CSRF-Token": j["csrf_token"]}
assert call("POST", "/api/me/password", {"old": "Load-Pass-2020", "new": "Load-Pass-2021"}, auth)[0] == 200
rows = list(csv.DictReader(open("sim/registered-household.csv", encoding="utf-8")))
mem = {}
for m in csv.DictReader(open("sim/registered-household.members.csv", encoding="utf-8")):
    mem.setdefault(m["unit"], []).append(m)
# OpenRosa for 60 of the evaluator's county, JSON (the leader) for 240 more
rows = [r for r in rows if r["unit"].startswith(county)]
assert len(rows) >= 300, len(rows)
mine, json_rows = rows[:60], rows[60:300]
st, h, xform = orc.request(state["port"], "GET", "/key/%s/forms/registered-household" % token)
assert st == 200, st
jobs = [("json", r) for r in json_rows] + [("openrosa", r) for r in mine]
rnd.shuffle(jobs)
acked, lock, answered = {}, threading.Lock(), [0]
def once(kind, row):
    if kind == "json":
        h = dict(auth); h["Idempotency-Key"] = "load-" + row["unit"]
        st, j, _ = call("POST", "/api/rounds/n/questionnaires",
                        {"form": "registered-household", "questionnaire": row, "members": mem.get(row["unit"], [])}, h)
        return st, j
    xml = orc.build(xform, row, mem.get(row["unit"], []), "uuid:load-" + row["unit"])
    st, h, b = orc.post(state["port"], token, xml)
    return st, b
def worker(k, n):
    for i in range(k, len(jobs), n):
        kind, row = jobs[i]
        while True:
            try:
                st, j = once(kind, row)
            except (OSError, http.client.HTTPException):
                time.sleep(0.1); continue      # the server is down: retry the same submission
            if st == 409 and kind == "json": time.sleep(0.05); continue
            assert 200 <= st < 300, (kind, row["unit"], st, j)
            with lock:
                acked[row["unit"]] = kind
                answered[0] += 1
            break
ts = [threading.Thread(target=worker, args=(k, 12)) for k in range(12)]
for t in ts: t.start()
kills = 0
for kills in range(1, 4):
    # a random point: after a random share of the submissions, a random moment later
    goal = rnd.randint(kills * len(jobs) // 5, kills * len(jobs) // 5 + len(jobs) // 10)
    while answered[0] < goal and any(t.is_alive() for t in ts): time.sleep(0.01)
    time.sleep(rnd.random() * 0.2)
    state["srv"].send_signal(signal.SIGKILL); state["srv"].wait()
    start()                                   # the clients' retries reach the new server
for t in ts: t.join()
assert len(acked) == len(jobs), (len(acked), len(jobs))
# every submission once more: answered as before (JSON replayed, OpenRosa already received)
for kind, row in jobs[:40]:
    st, j = once(kind, row)
    assert (kind == "json" and st == 201 and j.get("replayed") is True) or (kind == "openrosa" and st == 202), (kind, st, j)
state["srv"].send_signal(signal.SIGTERM); assert state["srv"].wait() == 0
open("acked.txt", "w").write("".join("%s %s\n" % (u, k) for u, k in sorted(acked.items())))
print("load: %d submissions (%d OpenRosa), %d kills, all answered" % (len(jobs), len(mine), kills))
PYEOF
python3 load.py "$county" "$T" >load.out 2>load.err || { cat load.err >&2; tail -5 load-*.log >&2; fail "the faults run"; }
expect_grep "^load: 300 submissions \(60 OpenRosa\), 3 kills, all answered" load.out
# every acknowledged submission present exactly once, in force, by its submitter
sqlite3 load.db "select q.unit, count(*), group_concat(a.actor) from questionnaires q join audit_log a on a.seq = q.log_id group by q.unit order by q.unit" > stored.txt
[ "$(wc -l < stored.txt)" = 300 ] || fail "$(wc -l < stored.txt) units stored for 300 acknowledged"
while read -r u kind; do
  case $kind in json) who=loader;; *) who=eva;; esac
  grep -qx "$u|1|$who" stored.txt || fail "unit $u ($kind): $(grep "^$u|" stored.txt) (expected once, by $who)"
done < acked.txt
# the retries stored nothing twice: one change-log import of the questionnaires per unit, one
# instance per OpenRosa unit
[ "$(sqlite3 load.db "select count(*) from audit_log where action = 'field import' and tbl = 'questionnaires'")" = 300 ] ||
  fail "$(sqlite3 load.db "select count(*) from audit_log where action = 'field import' and tbl = 'questionnaires'") imports for 300 units: a retry stored a second version"
[ "$(sqlite3 load.db "select count(*) || '|' || count(distinct unit) from xform_instances")" = "60|60" ] ||
  fail "instances: $(sqlite3 load.db "select count(*) || '|' || count(distinct unit) from xform_instances")"
expect_status 0 $P audit verify --db load.db
echo ok
