# t_pages_api.sh — issue 13: the pages' newer routes over plain HTTP, so that they also run on
# PostgreSQL through lib.sh's backend switch (t_pg_suite_pages.sh runs this file unchanged
# there; t_pages.sh drives the same routes in chromium on SQLite). On pages-store.sh's round:
#   GET  /api/rounds/n/progress/problems   problems by state per county and team (office),
#                                          checked against the problems table
#   GET  /api/rounds/n/ledger              the rectification ledger: the fed-back problem, not
#                                          the merely recorded one; refused to the county
#                                          liaison before the release (DESIGN §10)
#   GET  /api/download?table=ledger|progress-problems   the same tables as CSV
#   GET/POST /api/rounds/n/dayplan         the leader plans a household for a pair (stored,
#                                          change-logged); an unactivated reserve refused, the
#                                          county liaison refused
#   GET/POST /api/rounds/n/signoff         the leader downloads its county report, signs it with
#                                          `report sign --detached`, the server records it;
#                                          a report changed after the download is refused
#   GET/POST /api/rounds/n/synthesis       the county synthesis (综合研判, seed 000: "综合研判提出
#                                          最终的贫困县抽查结果,报扶贫领导小组审定"): the office reads
#                                          `synthesis show`'s text and records a judgment (stored,
#                                          change-logged under wang); the library's refusal (no
#                                          reason) 422; refused (403, security log) to the county
#                                          liaison before the release, to the leader on its home
#                                          city, and the leader's record (the office's alone)
# and `audit verify` of the store at the end. Seed 002 六(五): "经组长和副组长签字后提交省扶贫办".
. "$TESTS_DIR/lib.sh"
P=$PINGGU
set -- $(sh "$ROOT/tests/web/pages-store.sh" "$P" "$ROOT" "$PWD/s") || fail "the round was not set up"
county=$1 city=$2 p1=$3 p2=$4
export PINGGU_TODAY=2020-06-30
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$P serve --db s/r.db --listen "127.0.0.1:$port" >serve.log 2>serve.err &
spid=$!
trap 'kill $spid 2>/dev/null' EXIT
i=0
until grep -q listening serve.log 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 150 ] || { cat serve.err >&2; fail "the server did not start"; }
  sleep 0.1
done
# the problems per county, as stored, for the progress check
sqlite3 s/r.db "select p.county, count(*) from problems p join samples s on s.row_no = p.sample where s.name = 'n' group by p.county order by p.county" > stored.txt
unit=$(sqlite3 s/r.db "select u.code from sample_units u join samples s on s.row_no = u.sample where s.name = 'n' and u.stage = 'household' and u.reserve = 0 and u.county = $county order by u.code limit 1")
# a reserve not yet activated: refused by the library (nobody's to visit yet)
ounit=$(sqlite3 s/r.db "select u.code from sample_units u join samples s on s.row_no = u.sample where s.name = 'n' and u.stage = 'household' and u.reserve = 1 and u.county = $county and not exists (select 1 from replacements r where r.sample = u.sample and r.replaced_by = u.code) order by u.code limit 1")
cat > drive.py <<'PYEOF'
import http.client, json, os, subprocess, sys, hashlib
port, county, p1, p2, unit, ounit = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
P = os.environ["PINGGU"]; ORIGIN = "http://127.0.0.1:%d" % port
PW = os.environ.get("PAGES_PW", "Pages-Pass-2020"); NEW = "Changed-Pass-2021"
def req(method, path, body=None, ck=None, cs=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    h = {"Origin": ORIGIN}
    if ck: h["Cookie"] = "pinggu_session=" + ck
    if cs: h["X-CSRF-Token"] = cs
    data = json.dumps(body).encode() if body is not None else None
    if data is not None: h["Content-Type"] = "application/json"
    c.request(method, path, body=data, headers=h)
    r = c.getresponse(); raw = r.read(); c.close()
    global last_cookie
    last_cookie = (r.getheader("Set-Cookie") or "").split(";")[0].split("=", 1)[-1]
    try: j = json.loads(raw) if raw and r.getheader("Content-Type", "").startswith("application/json") else None
    except ValueError: j = None
    return r.status, j, raw
def check(cond, what):
    if not cond:
        print("FAIL:", what, file=sys.stderr); sys.exit(1)
def login(user):
    st, j, raw = req("POST", "/api/session", {"user": user, "password": PW})
    check(st == 200, "login %s: %d %s" % (user, st, raw[:200]))
    ck, cs = last_cookie, j["csrf_token"]
    st, j, raw = req("POST", "/api/me/password", {"old": PW, "new": NEW}, ck, cs)
    check(st == 200, "password change %s: %s" % (user, raw[:200]))
    return ck, cs
office, leader, xian, cadre = login("wang"), login("li"), login("xian"), login("cadre")

# --- progress/problems: each county's problems, by state, add up to the problems stored
st, j, raw = req("GET", "/api/rounds/n/progress/problems", ck=office[0])
check(st == 200, "progress/problems: %d %s" % (st, raw[:300]))
states = [s["state"] for s in j["states"]]
per = {}
for r in j["rows"]:
    check(sum(r[s] for s in states) == r["problems"], "a row's states do not add up: %r" % r)
    per[r["county"]] = per.get(r["county"], 0) + r["problems"]
stored = dict((int(a), int(b)) for a, b in (l.split("|") for l in open("stored.txt").read().split()))
check(per == stored, "progress/problems %r, stored %r" % (per, stored))
check(sum(r["fed_back"] for r in j["rows"] if r["county"] == county) >= 1, "p2 (fed back) not counted")
# the round drew no teams: each row's team is null (the page shows a dash), never 0
check(all(r["team"] is None for r in j["rows"]), "a team in a round without teams: %r" % [r["team"] for r in j["rows"]])
# the leader sees its county only
st, j, raw = req("GET", "/api/rounds/n/progress/problems", ck=leader[0])
check(st == 200 and {r["county"] for r in j["rows"]} == {county}, "leader's progress/problems: %d %s" % (st, raw[:300]))
st, _, raw = req("GET", "/api/download?table=progress-problems&round=n&format=csv", ck=office[0])
check(st == 200 and raw.decode("utf-8-sig").count("\n") >= len(stored) + 1, "progress-problems CSV: %d" % st)

# --- the ledger: p2 (fed back) in it, p1 (recorded) not; the liaison refused before release
st, j, raw = req("GET", "/api/rounds/n/ledger", ck=office[0])
check(st == 200, "ledger: %d %s" % (st, raw[:300]))
ids = {p["id"] for p in j["problems"]}
check(p2 in ids and p1 not in ids, "ledger ids %r (p1 %d, p2 %d)" % (sorted(ids), p1, p2))
check([p["state"] for p in j["problems"] if p["id"] == p2] == ["fed_back"], "ledger: p2 is not fed_back")
st, j, raw = req("GET", "/api/rounds/n/ledger?county=%d" % county, ck=leader[0])
check(st == 200 and p2 in {p["id"] for p in j["problems"]}, "leader's ledger: %d" % st)
st, _, _ = req("GET", "/api/rounds/n/ledger", ck=xian[0])
check(st == 403, "the county liaison's ledger before the release: %d" % st)
st, _, raw = req("GET", "/api/download?table=ledger&round=n&format=csv", ck=office[0])
check(st == 200 and str(p2).encode() in raw, "ledger CSV: %d" % st)

# --- the day plan: the leader plans a household of its county for zhao and li
st, j, raw = req("POST", "/api/rounds/n/dayplan", {"unit": unit, "day": "2020-06-30", "pair": "zhao li"}, *leader)
check(st == 201, "dayplan: %d %s" % (st, raw[:300]))
st, j, raw = req("POST", "/api/rounds/n/dayplan", {"unit": ounit, "day": "2020-06-30", "pair": "zhao li"}, *leader)
check(st == 422 and b"reserve" in raw, "a reserve not yet activated planned: %d %s" % (st, raw[:300]))
# the county liaison may not plan
st, j, raw = req("POST", "/api/rounds/n/dayplan", {"unit": unit, "day": "2020-06-30", "pair": "zhao"}, *xian)
check(st == 403, "the liaison plans: %d %s" % (st, raw[:300]))
st, j, raw = req("GET", "/api/rounds/n/dayplan?day=2020-06-30", ck=office[0])
check(st == 200 and [(i["unit"], i["pair"], i["set_by"]) for i in j["items"]] == [(unit, "zhao li", "li")], "dayplan GET: %s" % raw[:300])
st, j, raw = req("GET", "/api/download?table=dayplan&round=n&format=csv", ck=leader[0])
check(st == 200 and unit.encode() in raw, "dayplan CSV: %d" % st)

# --- sign-off: download, sign detached, record; a report changed after the download refused
def sign(name, dest):
    st, _, raw = req("GET", "/api/rounds/n/reports/" + name, ck=leader[0])
    check(st == 200, "download %s: %d" % (name, st))
    open(dest, "wb").write(raw)
    out = subprocess.run([P, "report", "sign", "--detached", "--round", "n", "--as", "组长", "--signer", "li", dest],
                         check=True, capture_output=True, env=dict(os.environ, XDG_CONFIG_HOME=os.path.abspath("keys"))).stdout.decode()
    f = dict(l.split(" ", 1) for l in out.splitlines() if " " in l)
    check(f["sha256"] == hashlib.sha256(raw).hexdigest(), "the signed hash")
    return f
def record(name, f):
    return req("POST", "/api/rounds/n/signoff", {"file": name, "role": "组长", "signer": "li", "public_key": f["public_key"], "signature": f["signature"]}, *leader)
st, j, raw = req("GET", "/api/rounds/n/signoff", ck=leader[0])
check(st == 200, "signoff GET: %d %s" % (st, raw[:300]))
files = {x["file"]: x for x in j["files"]}
name = "county-%d.html" % county
check(name in files and files[name]["can_sign"] and "paired-%d.html" % county in files, "signoff files %r" % sorted(files))
f = sign(name, "signed-" + name)
st, j, raw = record(name, f)
check(st == 201 and j["sha256"] == f["sha256"] and j["by"] == "li", "signoff POST: %d %s" % (st, raw[:300]))
pname = "paired-%d.html" % county
stale = sign(pname, "stale-" + pname)
subprocess.run([P, "report", "experience", "add", "--db", "s/r.db", "--round", "n", "--unit", str(county), "--level", "paired", "结对双方联席会议每季度召开一次"], check=True, capture_output=True)
st, j, raw = record(pname, stale)
check(st == 422 and b"does not hold" in raw, "a report changed after the download: %d %s" % (st, raw[:300]))
fresh = sign(pname, "signed-" + pname)
check(fresh["sha256"] != stale["sha256"], "the paired report did not change")
st, j, raw = record(pname, fresh)
check(st == 201, "the paired report signed again: %d %s" % (st, raw[:300]))
st, j, raw = req("GET", "/api/rounds/n/signoff", ck=office[0])
fo = {x["file"]: x for x in j["files"]}
check([s["signer"] for s in fo[name]["signatures"]] == ["li"] and fo[name]["signatures"][0]["valid"] and not fo[name]["can_sign"], "office's view of %s: %r" % (name, fo.get(name)))

# --- the county synthesis: the office reads what `synthesis show` prints, records a judgment
show = subprocess.run([P, "synthesis", "show", "--db", "s/r.db", "--round", "n", "--county", str(county)],
                      check=True, capture_output=True).stdout.decode()
st, j, raw = req("GET", "/api/rounds/n/synthesis?county=%d" % county, ck=office[0])
check(st == 200 and j["text"] == show and "综合研判" in show, "synthesis GET: %d %s" % (st, raw[:300]))
st, j, raw = req("POST", "/api/rounds/n/synthesis", {"county": str(county), "judgment": "符合退出条件"}, *office)
check(st == 422 and b"states its reasons" in raw, "a judgment without reasons: %d %s" % (st, raw[:300]))
st, j, raw = req("POST", "/api/rounds/n/synthesis", {"county": str(county), "judgment": "符合退出条件", "reason": "四项指标达标;问题已核实"}, *office)
check(st == 201 and j["version"] == 1 and j["by"] == "wang", "synthesis POST: %d %s" % (st, raw[:300]))
st, j, raw = req("GET", "/api/rounds/n/synthesis?county=%d" % county, ck=leader[0])
check(st == 200 and "四项指标达标;问题已核实" in j["text"], "the leader's synthesis of its county: %d %s" % (st, raw[:300]))
st, j, raw = req("GET", "/api/rounds/n/synthesis?county=999999", ck=office[0])
check(st == 404, "a county not drawn: %d %s" % (st, raw[:300]))
# refusals: the liaison before the release, the cadre on its home city, the leader's record
st, _, raw = req("GET", "/api/rounds/n/synthesis?county=%d" % county, ck=xian[0])
check(st == 403, "the county liaison reads the synthesis: %d" % st)
st, _, raw = req("POST", "/api/rounds/n/synthesis", {"county": county, "judgment": "x", "reason": "y"}, *xian)
check(st == 403, "the county liaison records: %d" % st)
st, _, raw = req("GET", "/api/rounds/n/synthesis?county=%d" % county, ck=cadre[0])
check(st == 403 and "本市、本县回避" in raw.decode(), "the leader on its home city: %d %s" % (st, raw[:300]))
st, _, raw = req("POST", "/api/rounds/n/synthesis", {"county": county, "judgment": "x", "reason": "y"}, *leader)
check(st == 403, "the leader records a judgment: %d" % st)
print(f["sha256"], fresh["sha256"], stale["sha256"])
PYEOF
python3 drive.py "$port" "$county" "$p1" "$p2" "$unit" "$ounit" > hashes.txt || { tail -20 serve.err >&2; fail "the HTTP checks"; }
read -r h_county h_paired h_stale < hashes.txt
# the store, read back: the plan row and the two signatures (none over the stale copy), each
# change-logged under li
[ "$(sqlite3 s/r.db "select unit || ' ' || day || ' ' || pair || ' ' || set_by from day_assignments")" = "$unit 2020-06-30 zhao li li" ] ||
  fail "the day plan in the store: $(sqlite3 s/r.db 'select * from day_assignments')"
[ "$(sqlite3 s/r.db "select file || ' ' || sha256 || ' ' || role || ' ' || signer from report_signatures order by file")" = "county-$county.html $h_county leader li
paired-$county.html $h_paired leader li" ] || fail "the signatures in the store: $(sqlite3 s/r.db 'select * from report_signatures')"
[ "$(sqlite3 s/r.db "select count(*) from report_signatures where sha256 = '$h_stale'")" = 0 ] || fail "the stale signature stored"
[ "$(sqlite3 s/r.db "select actor || ' ' || action from audit_log where action in ('day plan', 'report sign') order by seq")" = "li day plan
li report sign
li report sign" ] || fail "the change log: $(sqlite3 s/r.db "select actor, action from audit_log where action in ('day plan', 'report sign')")"
# the judgment in the store, change-logged under wang; the six refusals above (two of the
# ledger and day plan, four of the synthesis) each in the security log
[ "$(sqlite3 s/r.db "select county || ' ' || version || ' ' || judgment || ' ' || actor || ' ' || role from synthesis_judgments")" = "$county 1 符合退出条件 wang office" ] ||
  fail "the judgment in the store: $(sqlite3 s/r.db 'select * from synthesis_judgments')"
[ "$(sqlite3 s/r.db "select actor from audit_log where action = 'synthesis record'")" = wang ] ||
  fail "the judgment's change log: $(sqlite3 s/r.db "select actor, action from audit_log where action like 'synthesis%'")"
[ "$(sqlite3 s/r.db "select coalesce(sum(count), 0) from security_log where kind = 'forbidden'")" = 6 ] ||
  fail "security log: $(sqlite3 s/r.db "select * from security_log")"
kill $spid; wait $spid 2>/dev/null; trap - EXIT
expect_status 0 $P audit verify --db s/r.db
echo ok
