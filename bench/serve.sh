#!/bin/sh
# serve.sh — issue 11's load benchmark, loopback only and bounded: questionnaires submitted as
# JSON to `pinggu serve` by concurrent keep-alive clients (wrk with bench/serve-load.lua: one
# event-loop thread in C, so the generator takes little of the 2 cores), each with its own
# Idempotency-Key, against the peer in the same run: `pinggu field import` of the
# same questionnaires from CSV. Prints submissions/s, p50/p99 latency and the server's peak
# memory beside the import's questionnaires/s, with the CPU time of each (server, load
# generator, peer: the machine is shared, so CPU per submission is the steadier figure), in
# three rounds, each peer then server back to back, the median round the figure; after each
# round checks that every acknowledged (2xx) submission is stored exactly once, that retries
# with the same keys store nothing more, and that audit verify passes.
# Usage: bench/serve.sh [COUNTIES (default 6)] [CLIENTS (default 8)]
# Needs wrk and nginx (Debian packages; scripts/deps.sh bench).
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

# Three rounds, each the peer then the server on fresh copies of their stores, back to back; a
# round is a fraction of a second, so one alone moves with the machine's load: each round's
# ratio is printed and the median round is the figure.
cp imp.db imp0.db; cp imp.db.checkpoints imp0.db.checkpoints
echo "Load-Pass-2020" | $P user add --db srv.db --role leader --round n bench >/dev/null
cp srv.db srv0.db; cp srv.db.checkpoints srv0.db.checkpoints
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
: > rounds.txt
for round in 1 2 3; do
  # the peer: field import of the same file (wall and CPU time of the process)
  cp imp0.db imp.db; cp imp0.db.checkpoints imp.db.checkpoints  # the store and its checkpoints
  python3 - "$P" <<'PY' > peer.txt
import resource, subprocess, sys, time
c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
t0 = time.time()
subprocess.run([sys.argv[1], "field", "import", "--db", "imp.db", "--sample", "n", "--form",
                "../../../forms/registered-household.json", "sim/registered-household.csv"],
               check=True, stdout=subprocess.DEVNULL)
t1 = time.time()
c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
print(t1 - t0, (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime))
PY
  read peerwall peercpu < peer.txt

  cp srv0.db srv.db; cp srv0.db.checkpoints srv.db.checkpoints; rm -f srv.db-wal srv.db-shm
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  $P serve --db srv.db --listen "127.0.0.1:$port" --forms ../../../forms >serve.log 2>serve.err &
  spid=$!
  until grep -q listening serve.log 2>/dev/null; do sleep 0.1; done
  # the submissions' bodies (one JSON per line, line i with Idempotency-Key q-i), a session and
  # its CSRF token: prepared before the timed part
  python3 - "$port" <<'PY'
import csv, http.client, json, sys
port = int(sys.argv[1])
ORIGIN = "http://127.0.0.1:%d" % port
rows = list(csv.DictReader(open("sim/registered-household.csv", encoding="utf-8")))
mem = {}
for m in csv.DictReader(open("sim/registered-household.members.csv", encoding="utf-8")):
    mem.setdefault(m["unit"], []).append(m)
with open("bodies.jsonl", "w", encoding="utf-8") as f:
    for row in rows:
        f.write(json.dumps({"form": "registered-household", "questionnaire": row,
                            "members": mem.get(row["unit"], [])}, ensure_ascii=False) + "\n")
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
open("session.txt", "w").write("%s\n%s\n%s\n" % (ORIGIN, cookie, csrf))
PY
  origin=$(sed -n 1p session.txt); cookie=$(sed -n 2p session.txt); csrf=$(sed -n 3p session.txt)
  # the timed part: wrk (bench/serve-load.lua), one event-loop thread driving $clients
  # keep-alive connections; the server's CPU (utime + stime from /proc) and wrk's around it
  scpu0=$(cpu $spid)
  /usr/bin/time -f "%U %S" -o wrk.cpu wrk -t1 -c"$clients" -d120s --timeout 10s \
    -s ../../serve-load.lua "http://127.0.0.1:$port" -- bodies.jsonl /api/rounds/n/questionnaires \
    application/json "Origin=$origin" "Cookie=$cookie" "X-CSRF-Token=$csrf" > wrk.out
  scpu1=$(cpu $spid)
  python3 - "$port" "$peerwall" "$peercpu" "$scpu0" "$scpu1" "$round" <<'PY'
import http.client, json, os, sys
port, peerwall, peercpu = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
scpu = (float(sys.argv[5]) - float(sys.argv[4])) / os.sysconf("SC_CLK_TCK")
out = open("wrk.out").read().split("\n")
w = [l for l in out if l.startswith("wrk ")][0].split()
dur, answered, ok, refused, p50, p99, nbytes = (int(x) for x in w[1:])
wall = dur / 1e6
ccpu = sum(float(x) for x in open("wrk.cpu").read().split()[-2:])
bodies = open("bodies.jsonl", encoding="utf-8").read().splitlines()
origin, cookie, csrf = open("session.txt").read().split("\n")[:3]
h = {"Origin": origin, "Content-Type": "application/json", "Cookie": cookie, "X-CSRF-Token": csrf}
for l in out:
    if l.startswith("first refusal"): print(l)
assert answered == len(bodies), "wrk ended with %d of %d answered" % (answered, len(bodies))
# retries with the same keys: answered again, nothing stored twice
conn = http.client.HTTPConnection("127.0.0.1", port)
for i in range(0, len(bodies), max(1, len(bodies) // 50)):
    hh = dict(h); hh["Idempotency-Key"] = "q-%d" % i
    conn.request("POST", "/api/rounds/n/questionnaires", body=bodies[i].encode(), headers=hh)
    j = json.loads(conn.getresponse().read())
    assert j.get("replayed") is True, j
n = len(bodies)
ratio = (ok / wall) / (n / peerwall)
print("round %s: pinggu serve %.1f submissions/s (%d acknowledged, %d refused), p50 %.1f ms, p99 %.1f ms;"
      " CPU server %.2f ms, wrk %.2f ms per submission" % (sys.argv[6], ok / wall, ok, refused, p50 / 1000,
      p99 / 1000, scpu * 1000 / max(1, ok), ccpu * 1000 / max(1, ok)))
print("         peer field import %.1f questionnaires/s (CPU %.2f ms per questionnaire); ratio %.2f"
      " (load average %s)" % (n / peerwall, peercpu * 1000 / n, ratio, open("/proc/loadavg").read().split()[0]))
open("rounds.txt", "a").write("%.4f %.1f %.1f %.2f %.2f %.2f %.2f %d\n" % (ratio, ok / wall, n / peerwall,
    p50 / 1000, p99 / 1000, scpu * 1000 / max(1, ok), peercpu * 1000 / n, ok))
PY
  mem=$(awk '/VmHWM/ { printf "%d", $2 / 1024 }' /proc/$spid/status)
  kill -TERM $spid
  wait $spid
  stored=$(sqlite3 srv.db "select count(distinct unit) from questionnaires where form = 'registered-household'")
  imported=$(sqlite3 imp.db "select count(distinct unit) from questionnaires where form = 'registered-household'")
  acked=$(tail -1 rounds.txt | cut -d' ' -f8)
  [ "$stored" = "$acked" ] && [ "$stored" = "$imported" ] ||
    { echo "LOST OR DUPLICATED: stored $stored over HTTP, $imported by field import, acknowledged $acked"; exit 1; }
  $P audit verify --db srv.db >/dev/null || { echo "audit verify FAILED"; exit 1; }
  echo "         stored $stored over HTTP = acknowledged = $imported by field import; audit verify ok; server peak memory $mem MiB"
done
# the median round (by ratio)
sort -n rounds.txt | sed -n 2p | {
  read ratio srate prate p50 p99 scpu pcpu ok
  echo "questionnaires: $rows (registered households), $clients clients (wrk, one thread)"
  echo "pinggu serve: $srate submissions/s, p50 $p50 ms, p99 $p99 ms, server CPU $scpu ms per submission (median of 3 rounds)"
  echo "peer, pinggu field import of the same file: $prate questionnaires/s, CPU $pcpu ms per questionnaire"
  printf 'ratio serve / import: %.2f (median round; the rounds: %s)\n' "$ratio" "$(cut -d' ' -f1 rounds.txt | xargs printf '%.2f ' )"
}

# With photos: the evening sync as ODK Collect sends it — each questionnaire as an XForm
# instance (multipart/form-data, tests/cli/openrosa_client.py builds it from the same CSV row)
# with one distinct random ~200 KB photo, to the OpenRosa submission URL of a device token.
# Bounded: the photos are $rows x 200 KB on disk (about 100 MB at 6 counties), removed after.
cp srv0.db srv.db; cp srv0.db.checkpoints srv.db.checkpoints; rm -f srv.db-wal srv.db-shm
rm -rf srv.db.evidence photos && mkdir photos
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=$($P user token issue --db srv.db --round n --days 2 --public-url "http://127.0.0.1:$port" bench | sed -n 2p)
$P serve --db srv.db --listen "127.0.0.1:$port" --forms ../../../forms >serve.log 2>serve.err &
spid=$!
until grep -q listening serve.log 2>/dev/null; do sleep 0.1; done
python3 - "$port" "$token" "$(cd ../../../tests/cli && pwd)" <<'PY'
import csv, random, sys
port, token = int(sys.argv[1]), sys.argv[2]
sys.path.insert(0, sys.argv[3])
import openrosa_client as oc
st, h, xform = oc.request(port, "GET", "/key/%s/forms/registered-household" % token)
assert st == 200, (st, xform)
rows = oc.rows("sim/registered-household.csv")
mem = {}
for m in oc.rows("sim/registered-household.members.csv"):
    mem.setdefault(m["unit"], []).append(m)
rnd = random.Random(11)
B = "----pinggu-bench"
with open("photos/list", "w") as lst:
    for i, row in enumerate(rows):
        xml = oc.build(xform, row, mem.get(row["unit"], []), "uuid:bench-%d" % i)
        photo = b"\xff\xd8\xff\xe0" + rnd.randbytes(200 * 1024 - 4)  # JPEG's magic, then noise
        body = b""
        for name, fn, ctype, data in (("xml_submission_file", "submission.xml", "text/xml", xml),
                                      ("photo-%d.jpg" % i, "photo-%d.jpg" % i, "image/jpeg", photo)):
            body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                     "Content-Type: %s\r\n\r\n" % (B, name, fn, ctype)).encode() + data + b"\r\n"
        body += ("--%s--\r\n" % B).encode()
        open("photos/%d.bin" % i, "wb").write(body)
        lst.write("photos/%d.bin\n" % i)
PY
scpu0=$(cpu $spid)
/usr/bin/time -f "%U %S" -o wrk.cpu wrk -t1 -c"$clients" -d300s --timeout 30s \
  -s ../../serve-load.lua "http://127.0.0.1:$port" -- photos/list "/key/$token/submission" \
  "multipart/form-data; boundary=----pinggu-bench" "X-OpenRosa-Version=1.0" > wrk.out
scpu1=$(cpu $spid)
pmem=$(awk '/VmHWM/ { printf "%d", $2 / 1024 }' /proc/$spid/status)
kill -TERM $spid
wait $spid
read _ pdur panswered pok prefused pp50 pp99 pbytes <<EOT
$(grep '^wrk ' wrk.out)
EOT
grep '^first refusal' wrk.out || true
[ "$panswered" = "$rows" ] || { echo "with photos: wrk ended with $panswered of $rows answered"; exit 1; }
pstored=$(sqlite3 srv.db "select count(distinct unit) from questionnaires where form = 'registered-household'")
patt=$(sqlite3 srv.db "select count(*) from xform_attachments")
[ "$pstored" = "$pok" ] && [ "$patt" = "$pok" ] ||
  { echo "with photos: LOST OR DUPLICATED: $pstored questionnaires, $patt photos stored, $pok acknowledged"; exit 1; }
$P audit verify --db srv.db >/dev/null || { echo "with photos: audit verify FAILED"; exit 1; }
rm -rf photos srv.db.evidence

# The ceiling: nginx (Debian's) serving a static file of the same size as a submission — the
# average JSON body, and the average submission with its photo — to the same wrk, on loopback.
ceiling() { # SIZE -> requests/s of nginx for a file of SIZE bytes
  ng=$PWD/nginx; rm -rf "$ng"; mkdir -p "$ng/www"
  head -c "$1" /dev/urandom > "$ng/www/f"
  nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat > "$ng/nginx.conf" <<NGX
worker_processes 2; daemon off; pid $ng/nginx.pid; error_log $ng/error.log; user root;
events { worker_connections 256; }
http { access_log off; client_body_temp_path $ng; proxy_temp_path $ng; fastcgi_temp_path $ng;
       uwsgi_temp_path $ng; scgi_temp_path $ng;
       server { listen 127.0.0.1:$nport; root $ng/www; } }
NGX
  nginx -p "$ng" -c "$ng/nginx.conf" -e "$ng/error.log" & npid=$!
  until curl -s -o /dev/null "http://127.0.0.1:$nport/f" 2>/dev/null; do sleep 0.1; done
  wrk -t1 -c"$clients" -d3s "http://127.0.0.1:$nport/f" | awk '/^Requests\/sec/ { print $2 }'
  kill -QUIT $npid; wait $npid 2>/dev/null || true
  rm -rf "$ng"
}
jsize=$(($(wc -c < bodies.jsonl) / rows))
psize=$((pbytes / rows))
jceil=$(ceiling $jsize)
pceil=$(ceiling $psize)
python3 - "$pdur" "$pok" "$prefused" "$pp50" "$pp99" "$scpu0" "$scpu1" "$pmem" "$jsize" "$psize" "$jceil" "$pceil" "$rows" <<'PY'
import os, sys
a = sys.argv[1:]
dur, ok, refused, p50, p99 = (int(x) for x in a[0:5])
scpu = (float(a[6]) - float(a[5])) / os.sysconf("SC_CLK_TCK")
mem, jsize, psize, jceil, pceil, rows = int(a[7]), int(a[8]), int(a[9]), float(a[10]), float(a[11]), int(a[12])
med = open("rounds.txt").read().split("\n")
med = sorted(l.split() for l in med if l)[1]
print("with photos (OpenRosa, one distinct %d KB photo each): %.1f submissions/s (%d acknowledged, %d refused),"
      " p50 %.1f ms, p99 %.1f ms, server CPU %.2f ms per submission, peak memory %d MiB; every photo stored once"
      % (psize // 1024, ok / (dur / 1e6), ok, refused, p50 / 1000, p99 / 1000, scpu * 1000 / max(1, ok), mem))
print("ceiling, nginx serving a static file of the same size to the same wrk: %.0f/s for %d bytes (JSON"
      " submissions: serve %s/s is %.1f%% of it), %.0f/s for %d KB (with photos: %.1f%%)"
      % (jceil, jsize, med[1], 100 * float(med[1]) / jceil, pceil, psize // 1024, 100 * ok / (dur / 1e6) / pceil))
PY
