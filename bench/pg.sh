#!/bin/sh
# pg.sh — issue 14's benchmark: the PostgreSQL store at province scale, each figure beside its
# peer's, measured in the same run, on a throwaway cluster (scripts/pg-cluster.sh: a Unix
# socket, fsync off — a benchmark of the programs, not of the disk's durability):
#   import   pinggu import --db postgresql://… of the synthetic province (validated, indexed,
#            logged; rows through COPY) | peer: psql \copy of the same seven CSV files into
#            plain text tables (no validation, no index, no log)
#   compare  pinggu compare of the 16 department files on PostgreSQL | the same on SQLite
#            (the store is the only difference)
#   serve    questionnaires submitted as JSON to pinggu serve by 8 keep-alive clients (as
#            bench/serve.sh) on PostgreSQL | the same on SQLite; every acknowledged one stored
#            once on both; with the CPU time per submission of the server process and, on
#            PostgreSQL, of the database's backend processes (the postmaster's children)
# Import and compare print wall time and the client's CPU time (user + system).
# BENCH_MEMBERS=N (default 10 million) sizes the province; PINGGU_BIN another binary. Work
# files in bench/out/pg (removed at the start of each run; the province is kept).
set -eu
cd "$(dirname "$0")"
HERE=$(pwd)
P=${PINGGU_BIN:-$HERE/../pinggu}
N=${BENCH_MEMBERS:-10000000}
export PINGGU_TODAY=2020-04-20 PINGGU_PROGRESS=0
mkdir -p out/pg && cd out/pg
rm -rf run run.cfg && mkdir run run.cfg
export XDG_CONFIG_HOME=$PWD/run.cfg
if [ ! -f prov/.departments-$N ]; then
  rm -rf prov
  $P synth --out prov --seed 11 --members $N --departments >/dev/null
  touch prov/.departments-$N
fi
cl=$(mktemp -d /tmp/pinggu-bench-pg.XXXXXX)
trap 'st=$?; sh "$HERE/../scripts/pg-cluster.sh" stop "$cl"; exit $st' EXIT
URL=$(sh "$HERE/../scripts/pg-cluster.sh" start "$cl")
psql_() { sh "$HERE/../scripts/pg-cluster.sh" psql "$cl" -qAt -v ON_ERROR_STOP=1 "$@"; }
export PINGGU_EVIDENCE=$PWD/run/pg.evidence PINGGU_CHECKPOINTS=$PWD/run/pg.checkpoints
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
now() { date +%s.%N; }
# CPU time (user + system) of one command, from /usr/bin/time: the client's own, not the
# PostgreSQL server's (wall time is both's)
# (the Debian package time, scripts/deps.sh's bench list)
TIME="/usr/bin/time -f %U:%S"
cpu() { awk -F: 'END { printf "%.1f", $1 + $2 }' "$1"; }
files="counties townships villages households members projects evaluators"
rows=0
for f in $files; do rows=$((rows + $(wc -l < prov/$f.csv) - 1)); done

# import ----------------------------------------------------------------------------------
$P init "$URL" >/dev/null
t0=$(now); $TIME -o run/import.cpu $P import --db "$URL" prov >run/import.log; t1=$(now)
psql_ -d postgres -c "CREATE DATABASE peer TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'"
{ for f in $files; do
    cols=$(head -1 prov/$f.csv | tr -d '\r\357\273\277' | sed 's/,/" text, "/g; s/^/"/; s/$/" text/')
    echo "CREATE TABLE $f ($cols);"
    printf '%scopy %s FROM %s WITH (FORMAT csv, HEADER true)\n' '\' "$f" "'$PWD/prov/$f.csv'"
  done; } > run/peer.sql
t2=$(now); $TIME -o run/peer.cpu sh "$HERE/../scripts/pg-cluster.sh" psql "$cl" -qAt -v ON_ERROR_STOP=1 -d peer -f "$PWD/run/peer.sql" >/dev/null; t3=$(now)
loaded=0
for f in $files; do loaded=$((loaded + $(psql_ -d peer -c "SELECT count(*) FROM $f"))); done
[ "$loaded" = "$rows" ] || { echo "pg.sh: the peer loaded $loaded of $rows rows" >&2; exit 1; }
printf 'import, %d rows: pinggu on PostgreSQL %s s (%.0f rows/s; client CPU %s s) | psql \\copy into plain tables %s s (%.0f rows/s; client CPU %s s), ratio %.2f\n' \
  "$rows" "$(secs $t0 $t1)" "$(awk -v r=$rows -v a=$t0 -v b=$t1 'BEGIN{print r/(b-a)}')" "$(cpu run/import.cpu)" \
  "$(secs $t2 $t3)" "$(awk -v r=$rows -v a=$t2 -v b=$t3 'BEGIN{print r/(b-a)}')" "$(cpu run/peer.cpu)" \
  "$(awk -v a=$t0 -v b=$t1 -v c=$t2 -v d=$t3 'BEGIN{print (d-c)/(b-a)}')"

# compare ---------------------------------------------------------------------------------
$P init run/sq.db >/dev/null
$P import --db run/sq.db prov >/dev/null
t0=$(now); $TIME -o run/cmp-pg.cpu $P compare --db "$URL" --rules "$HERE/../rules/compare.json" prov/departments >run/cmp-pg.txt; t1=$(now)
t2=$(now); $TIME -o run/cmp-sq.cpu $P compare --db run/sq.db --rules "$HERE/../rules/compare.json" prov/departments >run/cmp-sq.txt; t3=$(now)
sed 's/[0-9.]* s\b/T s/g' run/cmp-pg.txt > run/cmp-pg.norm; sed 's/[0-9.]* s\b/T s/g' run/cmp-sq.txt > run/cmp-sq.norm
cmp -s run/cmp-pg.norm run/cmp-sq.norm || { diff run/cmp-pg.norm run/cmp-sq.norm | head >&2; echo "pg.sh: the comparison differs between backends" >&2; exit 1; }
echo "compare, 16 department files: pinggu on PostgreSQL $(secs $t0 $t1) s (client CPU $(cpu run/cmp-pg.cpu) s) | on SQLite $(secs $t2 $t3) s (CPU $(cpu run/cmp-sq.cpu) s) (same flags)"

# serve -----------------------------------------------------------------------------------
$P sample --db run/sq.db --plan "$HERE/../plans/national-spotcheck-2019.json" --seed 1 --name n >/dev/null
$P sample --db "$URL" --plan "$HERE/../plans/national-spotcheck-2019.json" --seed 1 --name n >/dev/null
$P init run/sim.db >/dev/null
$P import --db run/sim.db prov >/dev/null
$P sample --db run/sim.db --plan "$HERE/../plans/national-spotcheck-2019.json" --seed 1 --name n >/dev/null
(cd run && $P field simulate --db sim.db --sample n --truth ../prov/truth.csv --seed 5 --forms "$HERE/../forms" --out sim >/dev/null)
for db in "$URL" run/sq.db; do
  echo "Load-Pass-2020" | $P user add --db "$db" --role leader --round n bench >/dev/null
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  $P serve --db "$db" --listen "127.0.0.1:$port" --forms "$HERE/../forms" >run/serve.log 2>run/serve.err &
  spid=$!
  until grep -q listening run/serve.log 2>/dev/null; do sleep 0.1; done
  name=PostgreSQL; [ "$db" = "$URL" ] || name=SQLite
  pm=0; [ "$name" = SQLite ] || pm=$(head -1 "$cl/data/postmaster.pid")
  (cd run && python3 - "$port" 8 "$name" "$spid" "$pm" <<'PY')
import csv, http.client, json, os, subprocess, sys, threading, time
port, nclients, name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
spid, pm = int(sys.argv[4]), int(sys.argv[5])
def cpu(pid):  # utime + stime of a process, seconds (0 once it is gone)
    try:
        f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0
def backends():  # the PostgreSQL server's processes (the postmaster's children), by pid
    if not pm: return {}
    ps = subprocess.run(["ps", "--ppid", str(pm), "-o", "pid="], capture_output=True, text=True)
    return {int(k): cpu(int(k)) for k in ps.stdout.split()}
ORIGIN = "http://127.0.0.1:%d" % port
rows = list(csv.DictReader(open("sim/registered-household.csv", encoding="utf-8")))[:2000]
mem = {}
for m in csv.DictReader(open("sim/registered-household.members.csv", encoding="utf-8")):
    mem.setdefault(m["unit"], []).append(m)
def call(c, path, body, h):
    c.request("POST", path, body=json.dumps(body).encode(), headers=h)
    r = c.getresponse(); return r.status, json.loads(r.read()), r
c = http.client.HTTPConnection("127.0.0.1", port)
h = {"Origin": ORIGIN, "Content-Type": "application/json"}
st, j, r = call(c, "/api/session", {"user": "bench", "password": "Load-Pass-2020"}, h)
h["Cookie"] = r.getheader("Set-Cookie").split(";")[0]; h["X-CSRF-Token"] = j["csrf_token"]
assert call(c, "/api/me/password", {"old": "Load-Pass-2020", "new": "Load-Pass-2021"}, h)[0] == 200
lat, ok, lock = [], [0], threading.Lock()
def worker(k):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for i in range(k, len(rows), nclients):
        hh = dict(h); hh["Idempotency-Key"] = "b-%d" % i
        s = time.monotonic()
        st, j, _ = call(conn, "/api/rounds/n/questionnaires", {"form": "registered-household", "questionnaire": rows[i], "members": mem.get(rows[i]["unit"], [])}, hh)
        with lock:
            lat.append(time.monotonic() - s)
            ok[0] += 200 <= st < 300
b0, s0 = backends(), cpu(spid)
start = time.monotonic()
ts = [threading.Thread(target=worker, args=(k,)) for k in range(nclients)]
for t in ts: t.start()
for t in ts: t.join()
wall = time.monotonic() - start; lat.sort()
s1, b1 = cpu(spid), backends()
n = max(1, ok[0])
dbcpu = "" if not pm else ", PostgreSQL backends %.2f ms" % (sum(v - b0.get(k, 0.0) for k, v in b1.items()) * 1000 / n)
print("serve, %d questionnaires, %d clients, %s: %.1f submissions/s, p50 %.0f ms, p99 %.0f ms, %d acknowledged; CPU per submission: server %.2f ms%s"
      % (len(rows), nclients, name, ok[0] / wall, lat[len(lat) // 2] * 1000, lat[int(0.99 * (len(lat) - 1))] * 1000, ok[0],
         (s1 - s0) * 1000 / n, dbcpu))
open("acked-%s.txt" % name, "w").write("%d\n" % ok[0])
PY
  kill -TERM $spid; wait $spid
done
spg=$(psql_ -d pinggu -c "SELECT count(DISTINCT q.unit) FROM questionnaires q JOIN audit_log a ON a.seq = q.log_id WHERE a.actor = 'bench'")
ssq=$(sqlite3 run/sq.db "SELECT count(DISTINCT q.unit) FROM questionnaires q JOIN audit_log a ON a.seq = q.log_id WHERE a.actor = 'bench'")
[ "$spg" = "$(cat run/acked-PostgreSQL.txt)" ] && [ "$ssq" = "$(cat run/acked-SQLite.txt)" ] ||
  { echo "pg.sh: LOST OR DUPLICATED (PostgreSQL $spg, SQLite $ssq stored)" >&2; exit 1; }
echo "serve: every acknowledged submission stored once on both backends (load average $(cut -d' ' -f1 /proc/loadavg))"
