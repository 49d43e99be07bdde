# t_pages.sh — issue 13, the pages of every role in a real browser: `pinggu serve` serves
# web/dist (built by npm from web/) on a small round (tests/web/pages-store.sh: one account per
# role), and tests/web/pages.mjs drives Debian's chromium through it — the office signs in,
# changes its first password, reads progress, indicators (ECharts, verdicts from the API),
# problems, assignments and users, downloads every table (server-made XLSX and CSV) and
# releases; a leader sends a problem to the county, rejects a questionnaire with a comment per
# question using only the keyboard and approves another; the county explains the problem;
# an evaluator reads its households at a phone's width; the supervisor reads `audit verify`
# and the security log. The home-city and before-release test: a county liaison and a leader
# on their own city (seed 002 四: 本市、本县回避) open every URL the office's session used and
# get only refusals (or empty lists). Also: the office sets up round n2 (plan check, seed
# commitment, draw, verify, team lottery), reads the progress per county and team and the day's
# problem summary, revokes a token; the county explains and rectifies with evidence files and
# uploads its self-evaluation report; the office records its county synthesis (综合研判); the evaluator makes its ODK Collect QR code; the leader
# records interference. Here the store is checked with the CLI: the moves the pages made with
# their evidence, n2 and its teams by wang (re-verified), the tokens, the interference record,
# the self-evaluation report, the progress figures against field status, the release, and every
# refusal the browser met counted in the security log.
. "$TESTS_DIR/lib.sh"
P=$PINGGU
[ -f "$ROOT/web/dist/index.html" ] || fail "web/dist missing: make check builds it (npm ci && npm run build in web/)"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || fail "no chromium: scripts/deps.sh check installs Debian's"
set -- $(sh "$ROOT/tests/web/pages-store.sh" "$P" "$ROOT" "$PWD/s") || fail "the round was not set up"
county=$1 city=$2 p1=$3 p2=$4
# the moves the pages make are dated 2020-04-22/23: the problems' clock is after them
export PINGGU_TODAY=2020-06-30
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$P serve --db s/r.db --listen "127.0.0.1:$port" --web "$ROOT/web/dist" --forms "$ROOT/forms" >serve.log 2>serve.err &
spid=$!
i=0
until grep -q listening serve.log 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { cat serve.err >&2; fail "the server did not start"; }
  sleep 0.1
done
# the page files: served outside /api/, nothing outside web/dist
curl -s -o index.html -w '%{http_code} %{content_type}\n' "http://127.0.0.1:$port/" > h.txt
expect_grep '^200 text/html' h.txt
grep -q 'src/pages\|assets/index' index.html || fail "/ is not the pages' index.html"
for bad in /../etc/passwd /.vite/manifest.json /assets/..%2f..%2fMakefile /%2e%2e/Makefile; do
  code=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$bad")
  [ "$code" = 404 ] || fail "$bad answered $code, not 404"
done

# PAGES_SHOTS (make screenshots): each role's main page is saved there as a PNG
( cd "$ROOT/tests/web" && PAGES_DB="$OLDPWD/s/r.db" node pages.mjs "$port" "$county" "$p1" "$p2" "$OLDPWD/out.json" ${PAGES_SHOTS:+"$PAGES_SHOTS"} ) > web.txt 2>&1 ||
  { cat web.txt >&2; kill "$spid"; fail "the pages' browser test failed"; }
cat web.txt
kill "$spid"; wait "$spid" || fail "the server did not stop cleanly"

# the store, read with the CLI: what the pages did is there, by the users who did it
$P problems show --db s/r.db "$p1" > show.txt
expect_grep 'recorded → summarised +by li \(leader\)' show.txt
expect_grep 'summarised → sent_for_verification +by li \(leader\)' show.txt
expect_grep 'sent_for_verification → explained +by xian \(county\)' show.txt
$P problems show --db s/r.db "$p2" > show2.txt
expect_grep 'fed_back → rectifying +by xian \(county\)' show2.txt
expect_grep '县住建局' show2.txt
expect_grep '2020-05-30' show2.txt
[ "$(sqlite3 s/r.db "select count(*) from releases where round = 'n'")" = 1 ] || fail "no release stored"
# the county's explanation and rectification carry the files it uploaded with the moves
js() { python3 -c 'import json,sys; print(json.load(open("out.json"))[sys.argv[1]])' "$1"; }
grep -A2 'sent_for_verification → explained' show.txt | grep -q "$(js explain_sha)" || { cat show.txt >&2; fail "the explanation's evidence is not linked to problem $p1"; }
expect_grep 'rectifying → rectified +by xian \(county\)' show2.txt
grep -A2 'rectifying → rectified' show2.txt | grep -q "$(js rectify_sha)" || { cat show2.txt >&2; fail "the rectification's evidence is not linked to problem $p2"; }
$P evidence verify --db s/r.db > ev.txt || { cat ev.txt >&2; fail "evidence verify after the uploads"; }
# the self-evaluation report: stored by its SHA-256 with the server's day of arrival
[ "$(sqlite3 s/r.db "select sha256 || ' ' || arrived || ' ' || county from self_evaluations")" = "$(js selfeval_sha) 2020-06-30 $county" ] ||
  fail "the self-evaluation report is not recorded: $(sqlite3 s/r.db 'select * from self_evaluations')"
# the evaluator's two tokens (the first revoked by the regeneration, the second by the office),
# each change-logged under the user who made it
$P user token list --db s/r.db zhao > tok.txt
[ "$(grep -c 'revoked' tok.txt)" = 2 ] && ! grep -q active tok.txt || { cat tok.txt >&2; fail "zhao's tokens are not both revoked"; }
[ "$(sqlite3 s/r.db "select group_concat(actor || ':' || action, ' ') from (select actor, action from audit_log where action like '%token%' order by seq)")" = "zhao:token_issue zhao:token_revoke zhao:token_issue wang:token_revoke" ] ||
  fail "token change log: $(sqlite3 s/r.db "select actor, action from audit_log where action like '%token%'")"
# the leader's interference record, with its evidence, read back as the office
$P interference list --db s/r.db --round n --as office > intf.txt
expect_grep '乡干部全程跟随入户' intf.txt
[ "$(sqlite3 s/r.db "select count(*) from evidence where sha256 = '$(js interference_sha)'")" = 1 ] || fail "the interference evidence is not stored"
# the progress figures are field status's: each county's selected, reached, not reached and
# replaced are the sums of its strata's lines as the CLI prints them
$P field status --db s/r.db --sample n > status.txt
python3 - <<'PYEOF' || fail "the progress page's figures are not field status's"
import json, re
want = {}
for line in open("status.txt"):
    m = re.match(r"^(\d{6}) +\S+ +(\d+) +(\d+) +(\d+) +(\d+) ", line)
    if m:
        c = want.setdefault(int(m.group(1)), [0, 0, 0, 0])
        for k in range(4): c[k] += int(m.group(k + 2))
got = {r["county"]: [r["selected"], r["reached"], r["not_reached"], r["replaced"]] for r in json.load(open("out.json"))["progress"]["counties"]}
assert got == want, (got, want)
PYEOF
# the progress page's problems by state are the store's: per county and state (a problem's state
# is its last move's, or its first status), the rows' counts add up to the problems of that
# county in that state (every move is dated before the clock)
sqlite3 -separator ' ' s/r.db "select p.county, coalesce((select m.to_state from problem_moves m where m.problem = p.row_no order by m.row_no desc limit 1), p.status), count(*) from problems p join samples s on s.row_no = p.sample where s.name = 'n' group by 1, 2" > pstates.txt
# and the late summaries are the day summaries' (pinggu problems summary) added over the days
for d in 2020-04-21 2020-04-22 2020-04-23 2020-04-24; do $P problems summary --db s/r.db --round n --date $d; done > sums.txt
python3 - <<'PYEOF' || fail "the progress page's problem counts are not the store's"
import json, re
pp = json.load(open("out.json"))["progress_problems"]
want = {}
for line in open("pstates.txt"):
    c, st, n = line.split()
    want[(int(c), st)] = int(n)
got = {}
for r in pp["rows"]:
    for x in pp["states"]:
        if r[x["state"]]:
            got[(r["county"], x["state"])] = got.get((r["county"], x["state"]), 0) + r[x["state"]]
assert got == want, (got, want)
late = {}
for line in open("sums.txt"):
    m = re.match(r"^(\d+|-) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+)$", line)
    team = None if m and m.group(1) == "-" else m and int(m.group(1))  # "-": no team drawn, null in the JSON
    if m: late[team] = late.get(team, 0) + int(m.group(4))
glate = {}
for r in pp["rows"]:
    glate[r["team"]] = glate.get(r["team"], 0) + r["late_summaries"]
assert {k: v for k, v in glate.items() if v} == {k: v for k, v in late.items() if v}, (glate, late)
assert sum(glate.values()) >= 1, "no late summary: p1 was summarised the day after it was recorded"
PYEOF
# the leader's sign-off on the page: one report_signatures row for the file it downloaded and
# signed offline, change-logged by li; report verify finds the 组长's signature valid on that
# very file and the 副组长's missing (exit 1)
so_file=$(python3 -c 'import json; print(json.load(open("out.json"))["signoff"]["file"])')
[ "$(sqlite3 s/r.db "select file || ' ' || sha256 || ' ' || role || ' ' || signer || ' ' || pubkey from report_signatures where file like 'county-%'")" = "county-$county.html $(sha256sum "$so_file" | cut -c1-64) leader li $(python3 -c 'import json; print(json.load(open("out.json"))["signoff"]["pubkey"])')" ] ||
  fail "the page's sign-off is not stored: $(sqlite3 s/r.db 'select * from report_signatures')"
[ "$(sqlite3 s/r.db "select actor from audit_log where action = 'report sign' group by actor")" = li ] || fail "the sign-off is not change-logged under li"
expect_status 1 $P report verify --db s/r.db "$so_file"
cat out.txt err.txt > sover.txt
expect_grep 'missing role' sover.txt
expect_grep '^leader +li ' sover.txt
# the paired-assistance report (seed 002 六(五): "接受县域结对帮扶的…县还需提交县域结对帮扶工作成效
# 考核报告,经组长和副组长签字后提交"): exactly one more signature, over the file li downloaded the
# second time — none over the copy signed before the report changed — and report verify agrees
pd_file=$(python3 -c 'import json; print(json.load(open("out.json"))["signoffPaired"]["file"])')
pd_stale=$(python3 -c 'import json; print(json.load(open("out.json"))["signoffPaired"]["stale"])')
[ "$(sqlite3 s/r.db "select file || ' ' || sha256 || ' ' || role || ' ' || signer from report_signatures where file like 'paired-%'")" = "paired-$county.html $(sha256sum "$pd_file" | cut -c1-64) leader li" ] ||
  fail "the paired report's sign-off is not stored: $(sqlite3 s/r.db 'select * from report_signatures')"
# and the city report (市级报告), signed over the file li downloaded
city_file=$(python3 -c 'import json; print(json.load(open("out.json"))["signoffPaired"]["city"])')
[ "$(sqlite3 s/r.db "select file || ' ' || sha256 || ' ' || role || ' ' || signer from report_signatures where file like 'city-%'")" = "city-$city.html $(sha256sum "$city_file" | cut -c1-64) leader li" ] ||
  fail "the city report's sign-off is not stored: $(sqlite3 s/r.db 'select * from report_signatures')"
[ "$(sqlite3 s/r.db "select count(*) from report_signatures")" = 3 ] || fail "a refused signature was stored"
[ "$(sqlite3 s/r.db "select count(*) from report_signatures where sha256 = '$(sha256sum "$pd_stale" | cut -c1-64)'")" = 0 ] ||
  fail "the signature over the changed report was stored"
expect_status 1 $P report verify --db s/r.db "$pd_file"
cat out.txt err.txt > pdver.txt
expect_grep '^leader +li ' pdver.txt
expect_grep 'missing role' pdver.txt
# --detached needs no store, and refuses one (a usage error)
expect_status 64 $P report sign --detached --db s/r.db --round n --as 组长 --signer li "$so_file"
# the county synthesis (seed 000 "综合研判提出最终的贫困县抽查结果"): the office's judgment from the
# page is version 1 in the store (the refused one without reasons wrote nothing), change-logged
# under wang, and `synthesis show` prints it with its reasons (the page's text was compared
# with the API's in pages.mjs; later moves and the release change the rest of it)
[ "$(sqlite3 s/r.db "select county || ' ' || version || ' ' || judgment || ' ' || actor || ' ' || role from synthesis_judgments")" = "$county 1 符合退出条件 wang office" ] ||
  fail "the synthesis judgment in the store: $(sqlite3 s/r.db 'select * from synthesis_judgments')"
[ "$(sqlite3 s/r.db "select actor from audit_log where action = 'synthesis record'")" = wang ] || fail "the judgment is not change-logged under wang"
$P synthesis show --db s/r.db --round n --county "$county" > synthesis.txt
expect_grep '暗访与比对疑点均已核实' synthesis.txt
# the leader's day plan: one row (the refused pair wrote nothing), change-logged by li
[ "$(sqlite3 s/r.db "select unit || ' ' || day || ' ' || pair || ' ' || set_by from day_assignments")" = "$(js dayplan_unit) 2020-06-30 zhao li" ] ||
  fail "the day plan is not stored: $(sqlite3 s/r.db 'select * from day_assignments')"
[ "$(sqlite3 s/r.db "select actor || ' ' || key from audit_log where action = 'day plan'")" = "li n $(js dayplan_unit)" ] || fail "the day plan is not change-logged under li"
# the office's set-up: round n2 drawn by wang with the seed whose commitment the page showed,
# re-derived here by the CLI from a manifest; its teams drawn by wang
commit=$(js commitment)
[ "$(sqlite3 s/r.db "select s.commitment || ' ' || a.actor from samples s join audit_log a on a.seq = s.log_id where s.name = 'n2'")" = "$commit wang" ] ||
  fail "round n2 is not stored as drawn by wang with commitment $commit"
$P sample manifest --db s/r.db --name n2 --out m2.json >/dev/null
$P sample verify --db s/r.db m2.json --commitment "$commit" > ver.txt || { cat ver.txt >&2; fail "n2 does not verify"; }
expect_grep 'sample n2: identical' ver.txt
[ "$(sqlite3 s/r.db "select distinct a.actor from teams t join samples s on s.row_no = t.sample join audit_log a on a.seq = t.log_id where s.name = 'n2'")" = wang ] ||
  fail "the teams of n2 are not stored as drawn by wang"
$P teams show --db s/r.db --sample n2 > teams.txt
python3 - <<'PYEOF' || fail "the page's team lottery is not the CLI's teams show"
import json
assert json.load(open("out.json"))["teams"] == open("teams.txt").read()
PYEOF
# the review queue: one questionnaire rejected with a comment per question, one approved, by li
rej=$(python3 -c 'import json; print(json.load(open("out.json"))["rejected"])')
app=$(python3 -c 'import json; print(json.load(open("out.json"))["approved"])')
$P field review --db s/r.db --sample n --list --json > rev.json
python3 - "$rej" "$app" <<'PYEOF' || fail "the review moves are not in the store"
import json, sys
rej, app = sys.argv[1], sys.argv[2]
q = {x["unit"]: x for x in json.load(open("rev.json"))}
r, a = q[rej], q[app]
assert r["review"] == "rejected_by_leader" and r["by"] == "li" and "household_status" in r["comments"], r
# approved by li on the page, then by the office in the bulk approval before the release
assert a["review"] == "approved_by_office", a
PYEOF
[ "$(sqlite3 s/r.db "select actor || ' ' || role from questionnaire_reviews where unit = '$app' and to_state = 'approved_by_leader'")" = "li leader" ] ||
  fail "the leader's approval on the page is not in the review history"
[ "$(sqlite3 s/r.db "select count(*) from questionnaire_reviews where to_state = 'approved_by_office'")" -gt 1 ] ||
  fail "the office's bulk approval before the release is not in the store"
# the office's unmasked read of a questionnaire's answers is in the change log, by wang
# (twice: the page's read and the office's unmasked download, each its own logged read)
[ "$(sqlite3 s/r.db "select group_concat(actor || ' ' || key, ';') from audit_log where action = 'answers read'")" = "wang $(js answers_unit);wang $(js answers_unit)" ] ||
  fail "the unmasked read of the answers is not logged: $(sqlite3 s/r.db "select actor, key from audit_log where action = 'answers read'")"
expect_status 0 $P audit verify --db s/r.db
# the accounts the office made and changed in its page
$P user list --db s/r.db > users.txt
expect_grep '^qian ' users.txt
grep '^qian ' users.txt | grep -q 'evaluator' && grep '^qian ' users.txt | grep -q 'observer' || { cat users.txt >&2; fail "qian's grants"; }
grep '^guancha ' users.txt | grep -q disabled || { cat users.txt >&2; fail "guancha not disabled"; }
# every refusal the liaison and the cadre met (API URLs and pages) is in the security log
want=$(python3 -c 'import json,sys; r=json.load(open("out.json"))["refusals"]; print(r["xian"] + r["cadre"])')
got=$(sqlite3 s/r.db "select coalesce(sum(count), 0) from security_log where kind = 'forbidden'")
[ "$want" -gt 0 ] || fail "the crawl met no refusal"
# at least as many: a page reloaded on its own hash asks (and is refused) once more than counted
[ "$got" -ge "$want" ] || fail "security log: $got forbidden requests logged, the browser met $want"
$P user security --db s/r.db > sec.txt
expect_grep 'forbidden +127\.0\.0\.1 +(xian|cadre)' sec.txt
