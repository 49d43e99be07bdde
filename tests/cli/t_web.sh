# t_web.sh — a new questionnaire in the browser (issue 12: browser entry with ODK Web Forms)
# against a real `pinggu serve`: an evaluator signs in, and playwright-core drives Debian's
# chromium through the entry page pinggu serves (/entry/ROUND/entry.html, web/dist built by npm
# from web/), which renders the field-app XForm of the village interview with ODK Web Forms; the
# test picks the village from the pair's units.csv, fills every answer by its Chinese label at a
# phone's width and presses Send. The page posts the OpenRosa multipart instance to
# /entry/ROUND/submission (session cookie, Origin, CSRF token) and pinggu checks it by the rules of
# `field import` and stores it: 201, the questionnaire in force with every answer kept, in review
# as submitted by the evaluator, and its stored instance validates with no issue.
. "$TESTS_DIR/lib.sh"
P=$PINGGU
W="$ROOT/web"
[ -f "$W/dist/entry.html" ] || fail "web/dist missing: make check builds it (npm ci && npm run build in web/)"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || fail "no chromium: scripts/deps.sh check installs Debian's"
# the browser's calendar picks a day of this month: the server's reference date is today
T=$(date +%F)
export PINGGU_TODAY=$T
$P synth --out prov --seed 7 --counties 2 >/dev/null
$P init r.db >/dev/null
$P import --db r.db prov >/dev/null
$P sample --db r.db --plan "$ROOT/plans/national-spotcheck-2019.json" --seed 1 --name n >/dev/null
county=$(sqlite3 r.db "select county from sample_units where stage = 'village' group by county order by county limit 1")
village=$(sqlite3 r.db "select code from sample_units where stage = 'village' and county = $county and reserve = 0 order by row_no limit 1")
[ -n "$village" ] || fail "no sampled village"
echo 'Good-Pass-2020' | $P user add --db r.db --role evaluator --round n --scope "$county" eva >/dev/null
mkdir forms; cp "$ROOT"/forms/*.json forms/
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
B="http://127.0.0.1:$port"
$P serve --db r.db --listen "127.0.0.1:$port" --forms forms >serve.log 2>serve.err &
spid=$!
trap 'kill $spid 2>/dev/null' EXIT
i=0
until grep -q listening serve.log 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { cat serve.err >&2; fail "the server did not start"; }
  sleep 0.1
done
# sign in (the first sign-in changes the password) for the session cookie and CSRF token
python3 - "$port" > session.txt <<'PY' || fail "sign-in"
import http.client, json, sys
port = int(sys.argv[1])
def js(path, body, cookie=None, csrf=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = {"Content-Type": "application/json", "Origin": "http://127.0.0.1:%d" % port}
    if cookie: h["Cookie"] = "pinggu_session=" + cookie
    if csrf: h["X-CSRF-Token"] = csrf
    c.request("POST", path, json.dumps(body).encode(), h)
    r = c.getresponse(); data = r.read(); c.close()
    assert r.status == 200, (path, r.status, data)
    return r, data
r, data = js("/api/session", {"user": "eva", "password": "Good-Pass-2020"})
cookie = r.getheader("set-cookie").split(";")[0].split("=", 1)[1]; csrf = json.loads(data)["csrf_token"]
js("/api/me/password", {"old": "Good-Pass-2020", "new": "Better-Pass-2021"}, cookie, csrf)
print(cookie, csrf)
PY
read cookie csrf < session.txt
# the village form's unit list is the pair's sampled villages
[ "$(curl -s -o vunits.csv -w '%{http_code}' -H "Cookie: pinggu_session=$cookie" "$B/entry/n/forms/village-interview/units.csv")" = 200 ] ||
  fail "the village interview's units.csv"
tail -n +2 vunits.csv | cut -d, -f1 | sort > vgot.txt
sqlite3 r.db "select u.code from sample_units u join samples s on s.row_no = u.sample where s.name = 'n' and u.stage = 'village' and u.county = $county and u.reserve = 0" | sort > vwant.txt
cmp -s vgot.txt vwant.txt || { diff vwant.txt vgot.txt >&2; fail "the village interview's units are not the county's sampled villages"; }
[ "$(sqlite3 r.db "select count(*) from questionnaires")" = 0 ] || fail "a questionnaire before the browser sent one"
( cd "$ROOT/tests/web" && node entry.mjs "$B" n village-interview "$village" "$cookie" "$csrf" ) > web.txt 2>&1 ||
  { cat web.txt serve.err >&2; fail "the browser form was not accepted"; }
expect_grep '^submitted: HTTP 201 multipart/form-data$' web.txt
kill $spid; wait $spid 2>/dev/null; trap - EXIT
# stored: the village's questionnaire in force, sent by the evaluator, every answer kept
[ "$(sqlite3 r.db "select form || '|' || unit_kind || '|' || status || '|' || pair from questionnaires where unit = '$village' and status <> 'superseded'")" = "village-interview|village|complete|eva" ] ||
  fail "the questionnaire is not stored: $(sqlite3 r.db "select form, unit, status, pair from questionnaires")"
sqlite3 r.db "select a.name || '=' || a.value from answers a join questionnaires q on q.row_no = a.questionnaire where q.unit = '$village' order by a.name" > answers.txt
for a in 'township=城关镇' 'village=东风村' 'interviewees=secretary first_secretary' 'interviewer=评估员甲' \
         'q1_overview=全村基本情况' 'q4_problems=薄弱环节' "interview_date=${T%??}01"; do
  grep -qx "$a" answers.txt || { cat answers.txt >&2; fail "answer $a not stored"; }
done
[ "$(sqlite3 r.db "select to_state || '|' || actor from questionnaire_reviews r join questionnaires q on q.row_no = r.questionnaire where q.unit = '$village' order by r.row_no desc limit 1")" = "submitted|eva" ] ||
  fail "not in review as submitted by the evaluator"
# the stored instance: an instanceID, and pinggu's validation finds no issue in it
sqlite3 r.db "select xml from xform_instances where unit = '$village'" > posted.xml
grep -q '<instanceID>uuid:' posted.xml || fail "no instanceID in the stored submission"
expect_status 0 $P form validate "$ROOT/forms/village-interview.json" posted.xml --json --today "$T"
expect_grep '"issues":\[\]' out.txt
for a in '"township":"城关镇"' '"interviewees":"secretary first_secretary"' '"q4_problems":"薄弱环节"' \
         "\"interview_date\":\"${T%??}01\""; do
  expect_grep "$a" out.txt
done
expect_status 0 $P audit verify --db r.db
