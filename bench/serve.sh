#!/bin/sh
# serve.sh — issue 11's load benchmark, loopback only and bounded: questionnaires submitted as
# JSON to `pinggu serve` by concurrent keep-alive clients (python3, standard library), each
# with its own Idempotency-Key, against the peer in the same run: `pinggu field import` of the
# same questionnaires from CSV. Prints submissions/s, p50/p99 latency and the server's peak
# memory beside the import's questionnaires/s, with the CPU time of each (server, load
# generator, peer: the machine is shared, so CPU per submission is the steadier figure); then checks that every acknowledged (2xx)
# submission is stored exactly once and that retries with the same keys store nothing more.
# Usage: bench/serve.sh [COUNTIES (default 6)] [CLIENTS (default 8)]
set -eu
cd "$(dirname "$0")/.."
[ -x ./pinggu ] || { echo "build ./pinggu first (make)"; exit 1; }
counties=${1:-6}
clients=${2:-8}
P=$PWD/pinggu
out=bench/out/serve
rm -rf "$out" "$out.cfg" && mkdir -p "$out" "$out.cfg"
export XDG_CONFIG_HOME=$PWD/$out.cfg PINGGU_TODAY=2020-04-20 PINGGU_PROGRESS=0
cd "$out"
$P synth --out prov --seed 7 --counties "$counties" >/dev/null
for db in sim.db srv.db imp.db; do
  $P init $db >/dev/null
  $P import --db $db prov >/dev/null
  $P sample --db $db --plan ../../../plans/national-spotcheck-2019.json --seed 1 --name n >/dev/null
done
# the questionnaires, as CSV, from a simulation on a scratch store
$P field simulate --db sim.db --sample n --truth prov/truth.csv --seed 5 --forms ../../../forms --out sim >/dev/null
rows=$(($(wc -l < sim/registered-household.csv) - 1))

# the peer: field import of the same file (wall and CPU time of the process), three times on
# fresh copies of the store; the median run is the figure (a run is a fraction of a second, so
# one run alone moves with the machine's load)
cp imp.db imp0.db
python3 - "$P" <<'PY' > peer.txt
import resource, shutil, subprocess, sys, time
runs = []
for k in range(3):
    db = "imp.db" if k == 2 else "imp-%d.db" % k
    if k < 2: shutil.copy("imp0.db", db)
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    subprocess.run([sys.argv[1], "field", "import", "--db", db, "--sample", "n", "--form",
                    "../../../forms/registered-household.json", "sim/registered-household.csv"],
                   check=True, stdout=subprocess.DEVNULL)
    t1 = time.time()
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    runs.append((t1 - t0, t0, t1, (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)))
runs.sort()
print(runs[1][1], runs[1][2], runs[1][3])
PY
read t0 t1 peercpu < peer.txt

echo "Load-Pass-2020" | $P user add --db srv.db --role leader --round n bench >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$P serve --db srv.db --listen "127.0.0.1:$port" --forms ../../../forms >serve.log 2>serve.err &
spid=$!
until grep -q listening serve.log 2>/dev/null; do sleep 0.1; done
python3 - "$port" "$clients" "$t0" "$t1" "$peercpu" "$spid" <<'PY'
import csv, http.client, json, os, sys, threading, time
port, nclients, t0, t1 = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
peercpu, spid = float(sys.argv[5]), int(sys.argv[6])
def server_cpu():  # utime + stime of the server process, seconds
    f = open("/proc/%d/stat" % spid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
ORIGIN = "http://127.0.0.1:%d" % port
rows = list(csv.DictReader(open("sim/registered-household.csv", encoding="utf-8")))
mem = {}
for m in csv.DictReader(open("sim/registered-household.members.csv", encoding="utf-8")):
    mem.setdefault(m["unit"], []).append(m)
def call(c, method, path, body, h):
    c.request(method, path, body=json.dumps(body).encode(), headers=h)
    r = c.getresponse(); t = r.read()
    return r.status, json.loads(t), r
c = http.client.HTTPConnection("127.0.0.1", port)
st, j, r = call(c, "POST", "/api/session", {"user": "bench", "password": "Load-Pass-2020"},
                {"Origin": ORIGIN, "Content-Type": "application/json"})
cookie = r.getheader("Set-Cookie").split(";")[0]; csrf = j["csrf_token"]
h = {"Origin": ORIGIN, "Content-Type": "application/json", "Cookie": cookie, "X-CSRF-Token": csrf}
st, j, r = call(c, "POST", "/api/me/password", {"old": "Load-Pass-2020", "new": "Load-Pass-2021"}, h)
assert st == 200, j
lat, ok, bad, lock = [], [0], [], threading.Lock()
def worker(k):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for i in range(k, len(rows), nclients):
        row = rows[i]
        hh = dict(h); hh["Idempotency-Key"] = "q-%d" % i
        s = time.monotonic()
        st, j, _ = call(conn, "POST", "/api/rounds/n/questionnaires",
                        {"form": "registered-household", "questionnaire": row, "members": mem.get(row["unit"], [])}, hh)
        d = time.monotonic() - s
        with lock:
            lat.append(d)
            if 200 <= st < 300: ok[0] += 1
            else: bad.append((st, j))
start, scpu0, ccpu0 = time.monotonic(), server_cpu(), sum(os.times()[:2])
ts = [threading.Thread(target=worker, args=(k,)) for k in range(nclients)]
for t in ts: t.start()
for t in ts: t.join()
wall = time.monotonic() - start
scpu, ccpu = server_cpu() - scpu0, sum(os.times()[:2]) - ccpu0
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
# retries with the same keys: answered again, nothing stored twice
conn = http.client.HTTPConnection("127.0.0.1", port)
for i in range(0, len(rows), max(1, len(rows) // 50)):
    hh = dict(h); hh["Idempotency-Key"] = "q-%d" % i
    st, j, _ = call(conn, "POST", "/api/rounds/n/questionnaires",
                    {"form": "registered-household", "questionnaire": rows[i], "members": mem.get(rows[i]["unit"], [])}, hh)
    assert j.get("replayed") is True, j
print("questionnaires: %d (registered households), %d clients" % (len(rows), nclients))
print("pinggu serve: %.1f submissions/s (%d acknowledged, %d refused), p50 %.1f ms, p99 %.1f ms" %
      (ok[0] / wall, ok[0], len(bad), p(0.5), p(0.99)))
print("  wall %.2f s; CPU: server %.2f s (%.2f ms per submission), load generator %.2f s" %
      (wall, scpu, scpu * 1000 / max(1, ok[0]), ccpu))
print("peer, pinggu field import of the same file: %.1f questionnaires/s (wall %.2f s, CPU %.2f s, %.2f ms per questionnaire)" %
      (len(rows) / (t1 - t0), t1 - t0, peercpu, peercpu * 1000 / len(rows)))
print("ratio serve / import: %.2f (load average %s)" % ((ok[0] / wall) / (len(rows) / (t1 - t0)), open("/proc/loadavg").read().split()[0]))
if bad: print("first refusal:", bad[0])
open("acknowledged.txt", "w").write("%d\n" % ok[0])
PY
echo "pinggu serve peak memory: $(awk '/VmHWM/ { printf "%d MiB", $2 / 1024 }' /proc/$spid/status)"
kill -TERM $spid
wait $spid
stored=$(sqlite3 srv.db "select count(distinct unit) from questionnaires where form = 'registered-household'")
imported=$(sqlite3 imp.db "select count(distinct unit) from questionnaires where form = 'registered-household'")
echo "stored units: $stored over HTTP, $imported by field import (acknowledged $(cat acknowledged.txt))"
[ "$stored" = "$(cat acknowledged.txt)" ] && [ "$stored" = "$imported" ] || { echo "LOST OR DUPLICATED"; exit 1; }
$P audit verify --db srv.db >/dev/null && echo "audit verify: ok"
