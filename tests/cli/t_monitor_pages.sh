# t_monitor_pages.sh — issue 15 on the pages (docs/pages.md, docs/monitoring.md): the
# between-rounds pages in a real browser, against what the CLI computes on the same store.
#   1. 日程 / schedule: the Anhui plan's milestones (seed 002: "11月23日前完成", "11月24日—29日开展
#      实地核查", "12月1日前……形成市、县两级交叉考核报告", "于12月10日前上报", "12月20日前……形成交叉考核
#      总报告") on the office dashboard, each state and count of working days as `pinggu round
#      status` prints it, on two dates (before and after the team lottery the change log shows).
#   2. 摘帽县监测 / post-exit monitoring (seed 000: "对明显松懈的摘帽县党政主要负责同志,开展常态化约谈"):
#      every county's four signs and the counties to interview as `pinggu monitor` finds them;
#      seed 003's transition households; XLSX and CSV made by the server.
#   3. 驻村考勤 / attendance (seed 001: "规定每月驻村时间不少于20天"): the recall list and every
#      member's days as `pinggu attendance summary|recall`; a city liaison sees its city's only.
#   4. 月度通报 / bulletin (seed 001, 陕西: "排出好中差,倒数第一的主要领导表态发言"): the office sends the
#      month's sheet, the page shows rank, band, movement and 表态发言 as `pinggu bulletin`; the
#      printable layout (print media) hides the navigation; the XLSX downloads.
# Authorisation: the office reads all, a county liaison its county's rows, a city liaison its
# city's; an evaluator is refused each page, and each refusal is counted in the security log.
. "$TESTS_DIR/lib.sh"
P=$PINGGU
PLAN="$ROOT/plans/anhui-cross-2019.json"
[ -f "$ROOT/web/dist/index.html" ] || fail "web/dist missing: make check builds it (npm ci && npm run build in web/)"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || fail "no chromium: scripts/deps.sh check installs Debian's"
mkdir -p s
# a round drawn by the Anhui plan (its milestones) with its team lottery in the change log: 4
# counties in 2 cities, as t_round.sh (no team may assess its own city)
$P synth --out small --seed 2 --counties 4 >/dev/null
$P init s/r.db >/dev/null
$P import --db s/r.db small >/dev/null
$P sample --db s/r.db --plan "$PLAN" --seed 1 --name anhui >/dev/null
$P teams draw --db s/r.db --plan "$PLAN" --seed 2019 --sample anhui >/dev/null
drawn=$(sqlite3 s/r.db "select substr(max(at),1,10) from audit_log where action='teams draw'")
# monitoring: three yearly snapshots with planted signs (synth --monitor), the office files, the
# work teams (the monitoring roster beside the month of check-ins of synth --attendance)
$P synth --out prov --seed 7 --counties 6 --monitor --attendance 2019-11 --bulletin 2019-11 >/dev/null
for y in 2017 2018 2019; do $P import --db s/r.db prov/snapshots/$y --snapshot $y-12-31 >/dev/null; done
cp prov/attendance/villages.csv villages.csv
tail -n +2 prov/monitor/villages.csv | while IFS=, read -r v rest; do
  grep -q "^$v," prov/attendance/villages.csv || echo "$v,$rest"
done >> villages.csv
{ cat prov/attendance/roster.csv; tail -n +2 prov/monitor/roster.csv; } > roster.csv
$P attendance import --db s/r.db --villages villages.csv --roster roster.csv --checkins prov/attendance/checkins.csv >/dev/null
$P monitor import --db s/r.db --plans prov/monitor/plans.csv --training prov/monitor/training.csv >/dev/null
# what the CLI computes: the pages must show the same
$P round status --db s/r.db --round anhui --date 2019-11-25 > exp-round1.txt
$P round status --db s/r.db --round anhui --date "$drawn" > exp-round2.txt
expect_grep '^training_lottery .*逾期完成 done late .*\(log\)' exp-round2.txt
$P monitor --db s/r.db --out rep > exp-monitor.txt
[ "$(grep -c '^约谈 interview' exp-monitor.txt)" -ge 1 ] || fail "the data plant no interview"
$P attendance summary --db s/r.db --month 2019-11 > exp-att.txt
$P attendance recall --db s/r.db --month 2019-11 > exp-recall.txt
$P bulletin --month 2019-11 --inputs prov/bulletin.csv > exp-bulletin.txt
cp prov/bulletin.csv sheet.csv
# a county with an interview for the county liaison; another city for the city liaison
xcounty=$(awk '/^约谈 interview/ { print $3; exit }' exp-monitor.txt)
scounty=$(awk '$1 ~ /^[0-9]+$/ && length($1) == 6 && int($1 / 100) != int(c / 100) { print $1; exit }' c="$xcounty" exp-monitor.txt)
[ -n "$xcounty" ] && [ -n "$scounty" ] || fail "no county for the liaisons"
scity=$((scounty / 100))
PW=Pages-Pass-2020
add() { echo "$PW" | $P user add --db s/r.db "$@" >/dev/null; }
add --role office wang
add --role county --scope "$xcounty" xian
add --role city --scope "$scity" shi
add --role evaluator --round anhui --scope "$xcounty" zhao
add --role supervisor jiandu

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$P serve --db s/r.db --listen "127.0.0.1:$port" --web "$ROOT/web/dist" >serve.log 2>serve.err &
spid=$!
i=0
until grep -q listening serve.log 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { cat serve.err >&2; fail "the server did not start"; }
  sleep 0.1
done
( cd "$ROOT/tests/web" && node monitor.mjs "$port" "$OLDPWD" "$xcounty" "$scity" "$drawn" ) > web.txt 2>&1 ||
  { cat web.txt >&2; kill "$spid"; fail "the monitoring pages' browser test failed"; }
cat web.txt
# docs/api.md's "Between rounds" examples (fenced `http monitor`), replayed in order as the office
python3 - "$ROOT/docs/api.md" "$port" >replay.out 2>replay.err <<'PY' || {
import http.client, json, re, sys
doc, port = open(sys.argv[1], encoding="utf-8").read(), int(sys.argv[2])
blocks = re.findall(r"```http monitor\n(.*?)```", doc, re.S)
assert len(blocks) % 2 == 0 and len(blocks) >= 14, "request/response pairs: %d blocks" % len(blocks)
origin = "http://127.0.0.1:%d" % port
def call(method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse(); raw = r.read(); c.close()
    return r, raw
r, raw = call("POST", "/api/session", json.dumps({"user": "wang", "password": "Changed-Pass-2021"}).encode(),
              {"Content-Type": "application/json", "Origin": origin})
assert r.status == 200, raw
cookie, csrf = r.getheader("Set-Cookie").split(";")[0], json.loads(raw)["csrf_token"]
def split(block):
    head, _, body = block.partition("\n\n")
    lines = head.strip("\n").split("\n")
    return lines[0], dict(l.split(": ", 1) for l in lines[1:]), body.strip("\n")
def shape(want, got, where):
    if isinstance(want, dict):
        assert isinstance(got, dict), "%s: expected an object, got %r" % (where, got)
        for k in want:
            assert k in got, "%s: no member %r in %r" % (where, k, got)
            shape(want[k], got[k], where + "." + k)
    elif isinstance(want, list) and want:
        assert isinstance(got, list), "%s: expected an array" % where
        if got: shape(want[0], got[0], where + "[0]")
for i in range(0, len(blocks), 2):
    line, hdrs, body = split(blocks[i])
    method, path = line.split(" ", 1)
    sline, rh, rbody = split(blocks[i + 1])
    h = dict(hdrs); h["Cookie"] = cookie; h["Origin"] = origin
    if method != "GET": h["X-CSRF-Token"] = csrf
    r, raw = call(method, path, (body + "\n").encode() if body else None, h)
    where = "%s %s" % (method, path)
    assert r.status == int(sline.split()[1]), "%s: status %d: %s" % (where, r.status, raw[:300])
    for k, v in rh.items():
        got = r.getheader(k) or ""
        assert got.startswith(v.split("…")[0]) if "…" in v else got == v, "%s: %s is %r" % (where, k, got)
    if rh.get("Content-Type", "application/json").startswith("application/json"):
        shape(json.loads(rbody), json.loads(raw), where)
print("replayed %d examples" % (len(blocks) // 2))
PY
  cat replay.err >&2; kill "$spid"; fail "docs/api.md's between-rounds examples do not replay"; }
expect_grep '^replayed [0-9]+ examples' replay.out
# the server's CSV is safe to open in Excel: a unit named like a formula is quoted with a '
printf 'month,unit,kind,score\n2019-11,=1+2,department,5\n2019-11,B,department,6\n' > formula.csv
curl -s -c jar -o login.json -H "Origin: http://127.0.0.1:$port" -H 'Content-Type: application/json' \
  -d '{"user": "wang", "password": "Changed-Pass-2021"}' "http://127.0.0.1:$port/api/session"
csrf=$(python3 -c 'import json; print(json.load(open("login.json"))["csrf_token"])')
curl -s -b jar -o formula.out -H "Origin: http://127.0.0.1:$port" -H "X-CSRF-Token: $csrf" --data-binary @formula.csv \
  "http://127.0.0.1:$port/api/monitor/bulletin?round=anhui&month=2019-11&format=csv"
grep -q "\"'=1+2\"" formula.out || { cat formula.out >&2; fail "a formula-like cell is not defused in the CSV"; }
kill "$spid"; wait "$spid" || fail "the server did not stop cleanly"
[ ! -s serve.err ] || { cat serve.err >&2; fail "the server wrote errors"; }
# every refusal the browser met is in the security log (counted by the store itself)
want=$(python3 -c 'import json; print(json.load(open("out.json"))["refusals"])')
got=$(sqlite3 s/r.db "select coalesce(sum(count), 0) from security_log where kind = 'forbidden'")
[ "$want" -ge 5 ] || fail "the browser met $want refusals, expected one per page and the liaison's"
[ "$got" -ge "$want" ] || fail "security log: $got forbidden requests logged, the browser met $want"
$P user security --db s/r.db > sec.txt
expect_grep 'forbidden +127\.0\.0\.1 +(zhao|xian|shi)' sec.txt
