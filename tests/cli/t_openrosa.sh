# t_openrosa.sh — issue 12: field apps over OpenRosa on `pinggu serve` (docs/openrosa.md). Field
# tokens (`pinggu user token issue|revoke|list`: shown once, only a hash stored, per user and
# round, expiring, revocable, change-logged, redacted from logs, valid on /key/ paths only), the
# form list with md5 hashes, the field-app XForm, the manifest with units.csv, HEAD and POST
# submission (multipart, attachments as evidence), the same validation as `field import` and the
# same judgments, and every case of the issue's "OpenRosa cases": missing header, wrong content
# type, DOCTYPE/entity payload, duplicate instanceID (same and different XML), deprecatedID
# chain, attachment-only re-post, oversized attachment, unassigned unit, revoked or expired
# token, cookie on a token path. The clients: tests/cli/openrosa_client.py (python3, curl) and
# tests/xform/post.mjs (ODK's own engine, @getodk/xforms-engine, fills and serialises).
. "$TESTS_DIR/lib.sh"
P=$PINGGU
C="python3 $TESTS_DIR/openrosa_client.py"
export PINGGU_TODAY=2020-04-20
$P synth --out prov --seed 7 --counties 2 >/dev/null
$P init r.db >/dev/null
$P import --db r.db prov >/dev/null
$P sample --db r.db --plan "$ROOT/plans/national-spotcheck-2019.json" --seed 1 --name n >/dev/null
# the answers: simulated on a copy (the served store gets them only through OpenRosa)
cp r.db sim.db
$P field simulate --db sim.db --sample n --truth prov/truth.csv --seed 5 --forms "$ROOT/forms" --nonresponse 0 --out sim >/dev/null
cp r.db peer.db
county=$(sqlite3 r.db "select county from sample_units where stage = 'household' group by county order by county limit 1")
other=$(sqlite3 r.db "select code from counties where code <> $county limit 1")
pw='Good-Pass-2020'
echo "$pw" | $P user add --db r.db --role evaluator --round n --scope "$county" eva >/dev/null
echo "$pw" | $P user add --db r.db --role evaluator --round n --scope "$other" eva2 >/dev/null
echo "$pw" | $P user add --db r.db --role office boss >/dev/null
# the other member of eva's pair
echo "$pw" | $P user add --db r.db --role evaluator --round n --scope "$county" eva3 >/dev/null

# --- tokens ---------------------------------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
B="http://127.0.0.1:$port"
expect_status 0 $P user token issue --db r.db --round n --days 10 --public-url "$B" eva
T=$(sed -n 2p out.txt)
echo "$T" | grep -qE '^[0-9a-f]{64}$' || fail "the token is not 64 hex digits: $T"
expect_grep "^ODK Collect server URL / 服务器地址: $B/key/$T/\$" out.txt
# only its hash is stored, never the token; the issue is change-logged with the acting user
sqlite3 r.db .dump | grep -q "$T" && fail "the token itself is in the store"
h=$(python3 -c "import hashlib,sys; print(hashlib.sha256(bytes.fromhex(sys.argv[1])).hexdigest())" "$T")
[ "$(sqlite3 r.db "select user || '|' || round from field_tokens where token_hash = '$h'")" = "eva|n" ] ||
  fail "the token's hash, user and round are not stored"
[ "$(sqlite3 r.db "select actor from audit_log where action = 'token_issue'")" = tester ] ||
  fail "token issue not change-logged with the acting user"
expect_status 0 $P user token list --db r.db eva
expect_grep "eva	n	.*active" out.txt
expect_no_grep "$T" out.txt
# a token is for a user with a grant in the round, for 1..366 days
expect_status 2 $P user token issue --db r.db --round n boss2
expect_grep "no user" err.txt
expect_status 2 $P user token issue --db r.db --round nosuch eva
expect_status 64 $P user token issue --db r.db eva
expect_status 2 $P user token issue --db r.db --round n --days 400 eva
# an expired token: issued "in 2020" for one day
PINGGU_NOW=2020-01-01T00:00:00Z $P user token issue --db r.db --round n --days 1 eva > exp.txt
TX=$(sed -n 2p exp.txt)
# a token to revoke, and eva2's
$P user token issue --db r.db --round n eva > rev.txt
TR=$(sed -n 2p rev.txt); TRID=$(head -1 rev.txt | cut -d' ' -f2)
$P user token issue --db r.db --round n eva2 > t2.txt
T2=$(sed -n 2p t2.txt)
$P user token issue --db r.db --round n eva3 > t3.txt
T3=$(sed -n 2p t3.txt)
expect_status 0 $P user token revoke --db r.db --id "$TRID" eva
expect_grep "^1 token" out.txt
[ "$(sqlite3 r.db "select actor from audit_log where action = 'token_revoke'")" = tester ] ||
  fail "token revoke not change-logged"

mkdir forms; cp "$ROOT"/forms/*.json forms/
$P serve --db r.db --listen "127.0.0.1:$port" --forms forms --max-upload 65536 >serve.log 2>serve.err &
spid=$!
trap 'kill $spid 2>/dev/null' EXIT
i=0
until grep -q listening serve.log 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { cat serve.err >&2; fail "the server did not start"; }
  sleep 0.1
done
code() { curl -s -o body.txt -D head.txt -w '%{http_code}' "$@"; }

# --- form list, form, manifest, units.csv ---------------------------------------------------
[ "$(code "$B/key/$T/formList")" = 200 ] || fail "formList"
cp body.txt formlist.xml
expect_grep "^X-OpenRosa-Version: 1.0" head.txt
expect_grep "<formID>registered-household</formID>" formlist.xml
expect_grep "<formID>general-household</formID>" formlist.xml
expect_no_grep "village-exit" formlist.xml
[ "$(code "$B/key/$T/forms/registered-household")" = 200 ] || fail "form download"
cp body.txt rh.xml
md5=$(md5sum rh.xml | cut -d' ' -f1)
expect_grep "<hash>md5:$md5</hash><downloadUrl>$B/key/$T/forms/registered-household</downloadUrl><manifestUrl>$B/key/$T/forms/registered-household/manifest</manifestUrl>" formlist.xml
# the field-app form: the unit from units.csv, visit status and non-response reason
expect_grep 'src="jr://file-csv/units.csv"' rh.xml
expect_grep "itemset nodeset=\"instance\('units'\)/root/item\"" rh.xml
expect_grep '<visit><unit/><status/><reason/></visit>' rh.xml
[ "$(code "$B/key/$T/forms/registered-household/manifest")" = 200 ] || fail "manifest"
cp body.txt manifest.xml
[ "$(code "$B/key/$T/forms/registered-household/units.csv")" = 200 ] || fail "units.csv"
cp body.txt units.csv
expect_grep "<filename>units.csv</filename><hash>md5:$(md5sum units.csv | cut -d' ' -f1)</hash>" manifest.xml
# the pair's units: its county's sampled households, never another county's, never a reserve
# not yet activated
head -1 units.csv | grep -q '^name,label,state,comments' || fail "units.csv header"
# — of the registered-household form's kind (the general households are the other form's: see
# the block "units.csv per form kind" at the end)
n_mine=$(sqlite3 r.db "select count(*) from sample_units u join samples s on s.row_no = u.sample where s.name = 'n' and u.stage = 'household' and u.county = $county and u.reserve = 0 and u.category <> 'general'")
[ "$(($(wc -l < units.csv) - 1))" = "$n_mine" ] || fail "units.csv has $(($(wc -l < units.csv) - 1)) units, not $n_mine"
tail -n +2 units.csv | cut -d, -f1 | grep -v "^$county" && fail "another county's unit in units.csv"
# HEAD submission
[ "$(code -I "$B/key/$T/submission")" = 204 ] || fail "HEAD submission"
expect_grep "^X-OpenRosa-Version: 1.0" head.txt
expect_grep "^X-OpenRosa-Accept-Content-Length: 65536" head.txt

# --- submissions ----------------------------------------------------------------------------
csv=sim/registered-household.csv
units=$(awk -F, -v c="$county" 'NR > 1 && index($1, c) == 1 && $5 == "complete" {print $1}' $csv | head -4)
u1=$(echo "$units" | sed -n 1p); u2=$(echo "$units" | sed -n 2p)
u3=$(echo "$units" | sed -n 3p); u4=$(echo "$units" | sed -n 4p)
[ -n "$u4" ] || fail "not four complete questionnaires in county $county"
echo photo-1 > p1.jpg; echo photo-2 > p2.jpg
$C "$port" "$T" registered-household $csv "$u1" uuid:one --attach p1.jpg --out one.xml > out.txt
expect_grep "^201" out.txt
expect_grep '<OpenRosaResponse xmlns="http://openrosa.org/http/response">' out.txt
[ "$(sqlite3 r.db "select pair || '|' || status from questionnaires where unit = '$u1'")" = "eva|complete" ] ||
  fail "the questionnaire is not stored as eva's"
# it enters review as submitted, by the token's user
[ "$(sqlite3 r.db "select r.to_state || '|' || r.actor from questionnaire_reviews r join questionnaires q on q.row_no = r.questionnaire where q.unit = '$u1'")" = "submitted|eva" ] ||
  fail "not in review as submitted by eva"
# the attachment is evidence of the unit
[ "$(sqlite3 r.db "select count(*) from evidence_links where unit = '$u1'")" -ge 1 ] || fail "attachment not stored as evidence"
[ "$(sqlite3 r.db "select sha256 from xform_attachments where instance_id = 'uuid:one'")" = "$(sha256sum p1.jpg | cut -d' ' -f1)" ] ||
  fail "attachment hash"
# the same instance again, same XML: nothing new (202); with a missing attachment: added (201)
python3 - "$port" "$T" one.xml > out.txt <<'PY'
import sys; sys.path.insert(0, __import__("os").environ["TESTS_DIR"])
import openrosa_client as c
port, tok, f = int(sys.argv[1]), sys.argv[2], sys.argv[3]
xml = open(f, "rb").read()
print(c.post(port, tok, xml, ["p1.jpg"])[0])
print(c.post(port, tok, xml, ["p1.jpg", "p2.jpg"])[0])
print(c.post(port, tok, xml.replace(b"</data>", b"<!-- edited --></data>"))[0])
PY
[ "$(cat out.txt | tr '\n' ' ')" = "202 201 409 " ] || fail "re-posts answered $(cat out.txt | tr '\n' ' '), not 202 201 409"
[ "$(sqlite3 r.db "select count(*) from xform_attachments where instance_id = 'uuid:one'")" = 2 ] || fail "attachment-only re-post"
[ "$(sqlite3 r.db "select count(*) from questionnaires where unit = '$u1'")" = 1 ] || fail "a re-post stored again"
# different XML under the same instanceID: 409 (also through the client, with a changed answer)
$C "$port" "$T" registered-household $csv "$u1" uuid:one --set head_name=王五 > out.txt
expect_grep "^409" out.txt
# deprecatedID: a new version keeps history
$C "$port" "$T" registered-household $csv "$u1" uuid:two --deprecated uuid:one --set head_name=王五 > out.txt
expect_grep "^201" out.txt
[ "$(sqlite3 r.db "select count(*) from xform_instances where unit = '$u1'")" = 2 ] || fail "the old version is gone"
[ "$(sqlite3 r.db "select deprecated_id from xform_instances where instance_id = 'uuid:two'")" = uuid:one ] || fail "chain"
[ "$(sqlite3 r.db "select count(*) from questionnaires where unit = '$u1'")" = 1 ] || fail "two versions in force"
$C "$port" "$T" registered-household $csv "$u1" uuid:three --deprecated uuid:nosuch > out.txt
expect_grep "^409" out.txt
expect_grep "deprecatedID names no instance" out.txt

# --- refusals -------------------------------------------------------------------------------
before=$(sqlite3 r.db "select count(*) from audit_log")
# not assigned: a household of the pair's county that is not in the sample (403)
u_other=$(sqlite3 r.db "select h.household_id from households h join villages v on v.code = h.village where v.county = $county and h.household_id not in (select code from sample_units) limit 1")
[ -n "$u_other" ] || fail "no unsampled household"
$C "$port" "$T" registered-household $csv "$u2" uuid:x1 --set "unit=$u_other" > out.txt
expect_grep "^403" out.txt
expect_grep "not assigned to your pair" out.txt
# the same validation as field import: a broken answer is refused with the reason
$C "$port" "$T" registered-household $csv "$u2" uuid:x2 --set household_size=abc > out.txt
expect_grep "^422" out.txt
expect_grep "household_size" out.txt
# no X-OpenRosa-Version header
python3 - "$port" "$T" one.xml > out.txt <<'PY'
import sys; sys.path.insert(0, __import__("os").environ["TESTS_DIR"])
import openrosa_client as c
port, tok, f = int(sys.argv[1]), sys.argv[2], sys.argv[3]
xml = open(f, "rb").read().replace(b"uuid:one", b"uuid:y")
ctype, body = c.multipart([("xml_submission_file", "submission.xml", "text/xml", xml)])
st, h, b = c.request(port, "POST", "/key/%s/submission" % tok, body, {"Content-Type": ctype})
print(st, h.get("x-openrosa-version"), b.decode().replace("\n", " "))
# wrong content type
st, h, b = c.request(port, "POST", "/key/%s/submission" % tok, xml,
                     {"Content-Type": "text/xml", "X-OpenRosa-Version": "1.0"})
print(st, b.decode().replace("\n", " "))
# DOCTYPE with an entity (billion laughs in small)
evil = (b'<?xml version="1.0"?>\n<!DOCTYPE data [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n'
        + (xml.split(b"?>", 1)[1] if b"?>" in xml else xml).replace(b"</head_name>", b"&b;</head_name>", 1))
st, h, b = c.post(port, tok, evil)
print(st, b.decode().replace("\n", " "))
# an oversized attachment (the server runs with --max-upload 65536)
open("big.jpg", "wb").write(b"\xff" * 100000)
st, h, b = c.post(port, tok, xml, ["big.jpg"])
print(st, b.decode().replace("\n", " "))
# cookie and Basic on a token path
st, h, b = c.request(port, "GET", "/key/%s/formList" % tok, None, {"Cookie": "pinggu_session=" + "ab" * 32})
print(st, b.decode().replace("\n", " "))
st, h, b = c.request(port, "GET", "/key/%s/formList" % tok, None, {"Authorization": "Basic ZXZhOng="})
print(st, b.decode().replace("\n", " "))
PY
sed -n 1p out.txt | grep -q '^400 1.0 .*X-OpenRosa-Version' || fail "missing header: $(sed -n 1p out.txt)"
sed -n 2p out.txt | grep -q '^415 .*multipart/form-data' || fail "wrong content type: $(sed -n 2p out.txt)"
sed -n 3p out.txt | grep -q '^400 .*DOCTYPE is not allowed' || fail "DOCTYPE: $(sed -n 3p out.txt)"
sed -n 4p out.txt | grep -q '^413 .*too large' || fail "oversized: $(sed -n 4p out.txt)"
sed -n 5p out.txt | grep -q '^403 .*cookie' || fail "cookie: $(sed -n 5p out.txt)"
sed -n 6p out.txt | grep -q '^403 .*Authorization' || fail "Basic: $(sed -n 6p out.txt)"
# revoked, expired, unknown tokens; another user's token cannot submit for this pair's units
for t in "$TR" "$TX" "$(printf '%064d' 7)"; do
  [ "$(code "$B/key/$t/formList")" = 401 ] || fail "token $t not refused"
  expect_grep "revoked or expired" body.txt
done
$C "$port" "$T2" registered-household $csv "$u3" uuid:x3 > out.txt
expect_grep "^403" out.txt
# a token is no session: not on the JSON API, as cookie or otherwise
[ "$(code -H "Cookie: pinggu_session=$T" "$B/api/me")" = 401 ] || fail "a token opened the API"
[ "$(code "$B/api/me?key=$T")" = 401 ] || fail "a token opened the API"
[ "$(sqlite3 r.db "select count(*) from audit_log")" = "$before" ] || fail "a refused submission wrote"
[ "$(sqlite3 r.db "select count(*) from questionnaires where unit in ('$u_other', '$u2', '$u3')")" = 0 ] ||
  fail "a refused submission was stored"

# --- a second questionnaire of a unit from the other member of the pair: held as duplicate ----
# DESIGN §10: "a second submission for the same unit is held as `duplicate` for the leader"
$C "$port" "$T3" registered-household $csv "$u1" uuid:dup --set head_name=赵六 > out.txt
expect_grep "^202" out.txt
expect_grep "held as a duplicate" out.txt
# never a silent replacement: eva's version stays in force
[ "$(sqlite3 r.db "select pair || '|' || head from (select q.pair, (select value from answers a where a.questionnaire = q.row_no and a.name = 'head_name') head from questionnaires q where q.unit = '$u1' and q.status <> 'superseded')")" = "eva|王五" ] ||
  fail "the duplicate replaced the questionnaire in force"
expect_status 0 $P field review --db r.db --sample n --list
expect_grep "^$u1 +registered-household +duplicate +evaluator eva3 .*instance uuid:dup" out.txt
expect_grep "duplicates held for the leader: 1" out.txt
expect_status 0 $P field review --db r.db --sample n --list --state duplicate --json
expect_grep '"instance": "uuid:dup"' out.txt
# only the leader decides; an unknown instance is refused
expect_status 64 $P field review --db r.db --sample n --keep uuid:dup --as office
expect_status 2 $P field review --db r.db --sample n --keep uuid:nosuch --as leader --forms forms
# the leader keeps the duplicate: it becomes the unit's questionnaire, in review as submitted
expect_status 0 $P field review --db r.db --sample n --keep uuid:dup --as leader --forms forms
[ "$(sqlite3 r.db "select pair from questionnaires where unit = '$u1' and status <> 'superseded'")" = eva3 ] ||
  fail "the kept duplicate is not in force"
[ "$(sqlite3 r.db "select held from xform_instances where instance_id = 'uuid:dup'")" = kept ] || fail "not marked kept"
[ "$(sqlite3 r.db "select actor from audit_log where action = 'duplicate_keep'")" = tester ] || fail "keep not logged"
expect_status 0 $P field review --db r.db --sample n --list --state duplicate
expect_no_grep "uuid:dup" out.txt
# a later duplicate, discarded
$C "$port" "$T" registered-household $csv "$u1" uuid:dup2 > out.txt
expect_grep "^202" out.txt
expect_status 0 $P field review --db r.db --sample n --discard uuid:dup2 --as leader
[ "$(sqlite3 r.db "select held from xform_instances where instance_id = 'uuid:dup2'")" = discarded ] || fail "not discarded"
[ "$(sqlite3 r.db "select pair from questionnaires where unit = '$u1' and status <> 'superseded'")" = eva3 ] ||
  fail "a discarded duplicate replaced the questionnaire"

# --- the judgments equal those of field import of the same answers ---------------------------
for u in "$u2" "$u3" "$u4"; do
  $C "$port" "$T" registered-household $csv "$u" "uuid:j-$u" > out.txt
  expect_grep "^201" out.txt
done
# --- browser corrections: the session path /entry/ROUND/ (cookie + CSRF + Origin) -------------
# DESIGN §10: "corrections are made in the browser form, which loads the stored instance and
# submits a new version (deprecatedID)". The leader rejects u3; the evaluator, signed in, loads
# the stored instance and sends a corrected version through the same submission path.
$P field review --db r.db --sample n --unit "$u3" --to rejected_by_leader --as leader --comment 'head_name=姓名有误' >/dev/null
cat > browser.py <<'PY'
import http.client, json, os, sys
sys.path.insert(0, os.environ["TESTS_DIR"])
import openrosa_client as c
port, unit = int(sys.argv[1]), sys.argv[2]
ORIGIN = "http://127.0.0.1:%d" % port
def req(method, path, body=None, headers=None):
    h = dict(headers or {})
    st, hd, data = c.request(port, method, path, body, h)
    return st, hd, data
def js(method, path, body, cookie=None, csrf=None):
    h = {"Content-Type": "application/json", "Origin": ORIGIN}
    if cookie: h["Cookie"] = "pinggu_session=" + cookie
    if csrf: h["X-CSRF-Token"] = csrf
    return req(method, path, json.dumps(body).encode(), h)
st, hd, data = js("POST", "/api/session", {"user": "eva", "password": "Good-Pass-2020"})
assert st == 200, (st, data)
cookie = hd["set-cookie"].split(";")[0].split("=", 1)[1]; csrf = json.loads(data)["csrf_token"]
st, hd, data = js("POST", "/api/me/password", {"old": "Good-Pass-2020", "new": "Better-Pass-2021"}, cookie, csrf)
assert st == 200, (st, data)
open("session.txt", "w").write("%s %s\n" % (cookie, csrf))
ck = {"Cookie": "pinggu_session=" + cookie}
# the stored instance of the rejected questionnaire
st, hd, old = req("GET", "/entry/n/instances/uuid:j-" + unit, None, ck)
print("load", st)
st, hd, _ = req("GET", "/entry/n/instances/uuid:j-" + unit)
print("load-anonymous", st)
st, hd, _ = req("GET", "/entry/n/instances/uuid:j-" + unit, None, {"Cookie": "pinggu_session=" + "cd" * 32})
print("load-bad-session", st)
# the corrected version: a new instanceID, deprecatedID the stored one
new = old.replace(b"<instanceID>uuid:j-" + unit.encode() + b"</instanceID>",
                  b"<instanceID>uuid:web-" + unit.encode() + b"</instanceID><deprecatedID>uuid:j-" + unit.encode() + b"</deprecatedID>")
assert new != old
ctype, body = c.multipart([("xml_submission_file", "submission.xml", "text/xml", new)])
base = {"Content-Type": ctype, "X-OpenRosa-Version": "1.0"}
for name, extra in [("no-csrf", {"Origin": ORIGIN}), ("no-origin", {"X-CSRF-Token": csrf}),
                    ("submit", {"Origin": ORIGIN, "X-CSRF-Token": csrf})]:
    h = dict(base); h.update(ck); h.update(extra)
    st, hd, data = req("POST", "/entry/n/submission", body, h)
    print(name, st)
PY
python3 browser.py "$port" "$u3" > out.txt || { cat out.txt >&2; fail "browser path"; }
[ "$(cat out.txt | tr '\n' ' ')" = "load 200 load-anonymous 401 load-bad-session 401 no-csrf 403 no-origin 403 submit 201 " ] ||
  fail "browser path answered: $(cat out.txt | tr '\n' ' ')"
[ "$(sqlite3 r.db "select deprecated_id || '|' || user from xform_instances where instance_id = 'uuid:web-$u3'")" = "uuid:j-$u3|eva" ] ||
  fail "the browser's version is not stored"
# the walk goes on: leader approves, office rejects back to the leader, leader approves, office approves
$P field review --db r.db --sample n --unit "$u3" --to approved_by_leader --as leader >/dev/null || fail "leader approve"
$P field review --db r.db --sample n --unit "$u3" --to rejected_by_office --as office --comment 'head_name=请再核' >/dev/null || fail "office reject"
$P field review --db r.db --sample n --unit "$u3" --to approved_by_leader --as leader >/dev/null || fail "leader approve again"
$P field review --db r.db --sample n --unit "$u3" --to approved_by_office --as office >/dev/null || fail "office approve"
# every state, with its actor and comment, in order
[ "$(sqlite3 r.db "select group_concat(to_state || ':' || actor || ':' || comments, ' ') from (select r.* from questionnaire_reviews r where r.unit = '$u3' order by r.row_no)")" = \
  "submitted:eva:{} rejected_by_leader:tester:{\"head_name\":\"姓名有误\"} submitted:eva:{} approved_by_leader:tester:{} rejected_by_office:tester:{\"head_name\":\"请再核\"} approved_by_leader:tester:{} approved_by_office:tester:{}" ] ||
  fail "review history: $(sqlite3 r.db "select group_concat(to_state || ':' || actor || ':' || comments, ' ') from (select r.* from questionnaire_reviews r where r.unit = '$u3' order by r.row_no)")"

# the same correction in a real browser: the entry page pinggu serves (web/dist, ODK Web Forms)
# loads the stored instance of the rejected questionnaire, the evaluator changes the household
# head's name, and Send posts the new version with the session and CSRF token
[ -f "$ROOT/web/dist/entry.html" ] || fail "web/dist missing: make check builds it (npm ci && npm run build in web/)"
$P field review --db r.db --sample n --unit "$u2" --to rejected_by_leader --as leader --comment 'head_name=请核对户主姓名' >/dev/null
read -r ck cs < session.txt
[ "$(code "$B/entry/n/entry.html")" = 401 ] || fail "the entry page without a session"
( cd "$ROOT/tests/web" && node entry-edit.mjs "$B" n registered-household "uuid:j-$u2" "$ck" "$cs" 户主姓名 更正后姓名 ) > web.txt 2>&1 ||
  { cat web.txt >&2; fail "the browser correction was not accepted"; }
[ "$(sqlite3 r.db "select count(*) from xform_instances where deprecated_id = 'uuid:j-$u2' and user = 'eva'")" = 1 ] ||
  fail "the browser's version is not stored with deprecatedID"
[ "$(sqlite3 r.db "select a.value from answers a join questionnaires q on q.row_no = a.questionnaire where q.unit = '$u2' and q.status <> 'superseded' and a.name = 'head_name'")" = 更正后姓名 ] ||
  fail "the corrected answer is not in force"
[ "$(sqlite3 r.db "select to_state || ':' || actor from questionnaire_reviews where unit = '$u2' order by row_no desc limit 1")" = "submitted:eva" ] ||
  fail "the browser's version is not in review as submitted"

# questionnaires filled in ODK's own engine (@getodk/xforms-engine, tests/xform/post.mjs): the
# field-app form and units.csv downloaded over OpenRosa, the answers set through the engine,
# its serialised instance posted with a photo — both household forms
X="$ROOT/tests/xform"
[ -d "$X/node_modules/@getodk/xforms-engine" ] ||
  fail "tests/xform/node_modules missing: make check installs it (npm ci in tests/xform)"
odk=$(awk -F, -v c="$county" 'NR > 1 && index($1, c) == 1 && $5 == "complete" {print $1}' $csv | sed -n 5,7p)
gcsv=sim/general-household.csv
godk=$(awk -F, -v c="$county" 'NR > 1 && index($1, c) == 1 && $5 == "complete" {print $1}' $gcsv | head -2)
[ "$(echo $odk $godk | wc -w)" = 5 ] || fail "not 3 + 2 questionnaires for ODK's engine"
( cd "$X" && node post.mjs "$B" "$T" registered-household "$OLDPWD/$csv" $odk ) > post.txt 2>&1 ||
  { cat post.txt >&2; fail "ODK's engine's submissions were not all accepted"; }
( cd "$X" && node post.mjs "$B" "$T" general-household "$OLDPWD/$gcsv" $godk ) >> post.txt 2>&1 ||
  { cat post.txt >&2; fail "ODK's engine's submissions were not all accepted"; }
[ "$(grep -c ' 201$' post.txt)" = 5 ] || { cat post.txt >&2; fail "not 5 accepted"; }
# the peer: field import --review of the same rows
re=$(echo $u2 $u3 $u4 $odk | tr ' ' '|')
{ head -1 $csv; grep -E "^($re)," $csv; } > peer.csv
{ head -1 sim/registered-household.members.csv; grep -E "^($re)," sim/registered-household.members.csv; } > peer.members.csv
$P field import --db peer.db --sample n --form "$ROOT/forms/registered-household.json" peer.csv --review >/dev/null ||
  fail "the peer import failed"
gre=$(echo $godk | tr ' ' '|')
{ head -1 $gcsv; grep -E "^($gre)," $gcsv; } > gpeer.csv
$P field import --db peer.db --sample n --form "$ROOT/forms/general-household.json" gpeer.csv --review >/dev/null ||
  fail "the peer import failed"
# a non-response recorded on the phone (visit status and reason): the unit's reserve is
# activated, as `field import` does, and appears in the pair's unit list
unr=$(awk -F, -v c="$county" 'NR > 1 && index($1, c) == 1 && $5 == "complete" {print $1}' $csv | sed -n 8p)
n_before=$(($(wc -l < units.csv) - 1))
$C "$port" "$T" registered-household $csv "$unr" uuid:nr --status nonresponse --reason away > out.txt
expect_grep "^201" out.txt
[ "$(sqlite3 r.db "select status || '|' || reason from questionnaires where unit = '$unr'")" = "nonresponse|away" ] ||
  fail "the non-response is not stored"
[ "$(code "$B/key/$T/forms/registered-household/units.csv")" = 200 ] || fail "units.csv"
[ "$(($(wc -l < body.txt) - 1))" = $((n_before + 1)) ] || { cat body.txt >&2; fail "no activated reserve in units.csv"; }

# a submission's own unit check (the unit's rows alone, access_assignments_of): the activated
# reserve may be submitted for; a reserve not activated, and a unit of the sample that is not
# a household or village (the county's own row), may not (403), as the unit lists say
res=$(sqlite3 r.db "select replaced_by from replacements where unit = '$unr'")
[ -n "$res" ] || fail "no reserve activated for $unr"
$C "$port" "$T" registered-household $csv "$u2" "uuid:res-$res" --set "unit=$res" --set "household_id=$res" > out.txt
expect_grep "^201" out.txt
[ "$(sqlite3 r.db "select count(*) from questionnaires where unit = '$res'")" = 1 ] || fail "the activated reserve's questionnaire is not stored"
idle=$(sqlite3 r.db "select u.code from sample_units u join samples s on s.row_no = u.sample where s.name = 'n' and u.county = $county and u.reserve = 1 and u.category <> 'general' and not exists (select 1 from replacements r where r.replaced_by = u.code) limit 1")
cty=$(sqlite3 r.db "select u.code from sample_units u join samples s on s.row_no = u.sample where s.name = 'n' and u.stage = 'county' and u.county = $county")
[ -n "$idle" ] && [ -n "$cty" ] || fail "no idle reserve or county row in the sample"
for x in "$idle" "$cty"; do
  $C "$port" "$T" registered-household $csv "$u2" "uuid:no-$x" --set "unit=$x" --set "household_id=$x" > out.txt
  expect_grep "^403" out.txt
  expect_grep "not assigned to your pair" out.txt
  [ "$(sqlite3 r.db "select count(*) from questionnaires where unit = '$x'")" = 0 ] || fail "$x stored"
done

# the phone's unit list shows the review state and the leader's comments of a rejection
$P field review --db r.db --sample n --unit "$u4" --to rejected_by_leader --as leader --comment 'household_size=请核实人口' >/dev/null
[ "$(code "$B/key/$T/forms/registered-household/units.csv")" = 200 ] || fail "units.csv"
grep -q "^$u4,$u4 \[rejected_by_leader\] household_size: 请核实人口,rejected_by_leader,household_size: 请核实人口,\$" body.txt ||
  { cat body.txt >&2; fail "units.csv does not show the rejection and its comment"; }
grep -q "^$u2,$u2 \[submitted\],submitted," body.txt || fail "units.csv does not show the submitted state"
grep -q "^$u3,$u3 \[approved_by_office\],approved_by_office," body.txt || fail "units.csv does not show the approval"
# the pair sends a corrected version (deprecatedID): in review again as submitted
$C "$port" "$T" registered-household $csv "$u4" "uuid:j2-$u4" --deprecated "uuid:j-$u4" > out.txt
expect_grep "^201" out.txt
[ "$(code "$B/key/$T/forms/registered-household/units.csv")" = 200 ] || fail "units.csv"
grep -q "^$u4,$u4 \[submitted\],submitted," body.txt || { cat body.txt >&2; fail "the corrected version is not submitted"; }
kill $spid; wait $spid 2>/dev/null; trap - EXIT
$P judge --db r.db --sample n >/dev/null
$P judge --db peer.db --sample n >/dev/null
inlist=$(for u in $u2 $u3 $u4 $odk $godk; do printf "'%s'," "$u"; done)
inlist=${inlist%,}
q="select unit, rule, outcome, value from judgments where unit in ($inlist) order by unit, rule"
sqlite3 r.db "$q" > mine.txt
sqlite3 peer.db "$q" > peer.txt
[ "$(cut -d"|" -f1 peer.txt | sort -u | wc -l)" = 8 ] || fail "not 8 units judged: $(cut -d'|' -f1 peer.txt | sort -u | wc -l)"
cmp -s mine.txt peer.txt || { diff mine.txt peer.txt >&2; fail "OpenRosa and field import judge differently"; }

# --- the token never reaches a log line; the store verifies ---------------------------------
for t in "$T" "$TR" "$TX" "$T2"; do
  grep -q "$t" serve.log serve.err && fail "a token in the server's output"
  sqlite3 r.db "select * from security_log" | grep -q "$t" && fail "a token in the security log"
done
sqlite3 r.db "select kind, detail from security_log" > sec.txt
expect_grep '^token\|/key/\[token\]/formList' sec.txt
expect_grep '^token_path_credentials\|' sec.txt
expect_status 0 $P audit verify --db r.db

# --- units.csv per form kind ----------------------------------------------------------------
# Seed 004 (third article) 三.5: "每个样本村入户调查15户,其中贫困户5户、脱贫户5户、非建档立卡户5户",
# asked with its 附件2 "建档立卡户入户调查问卷" (poor and exited: registered households) and 附件3
# "非贫困户入户调查问卷" (the non-registered ones). Each household form's manifest lists a units.csv
# of its own kind: the registered households (any registered category, activated reserves
# included) for registered-household, the general ones for general-household — two disjoint
# lists that together are the pair's whole assignment. Before, both forms got every unit.
port2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
B2="http://127.0.0.1:$port2"
$P serve --db r.db --listen "127.0.0.1:$port2" --forms forms >serve3.log 2>serve3.err &
spid=$!
trap 'kill $spid 2>/dev/null' EXIT
i=0
until grep -q listening serve3.log 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { cat serve3.err >&2; fail "the server did not start again"; }
  sleep 0.1
done
assigned="select u.code from sample_units u join samples s on s.row_no = u.sample where s.name = 'n' and u.stage = 'household' and u.county = $county and (u.reserve = 0 or exists (select 1 from replacements r where r.sample = u.sample and r.replaced_by = u.code))"
for f in registered-household general-household; do
  [ "$(code "$B2/key/$T/forms/$f/manifest")" = 200 ] || fail "$f: manifest"
  cp body.txt "$f.manifest.xml"
  expect_grep "<downloadUrl>$B2/key/$T/forms/$f/units.csv</downloadUrl>" "$f.manifest.xml"
  [ "$(code "$B2/key/$T/forms/$f/units.csv")" = 200 ] || fail "$f: units.csv"
  cp body.txt "$f.units.csv"
  expect_grep "<filename>units.csv</filename><hash>md5:$(md5sum "$f.units.csv" | cut -d' ' -f1)</hash>" "$f.manifest.xml"
  tail -n +2 "$f.units.csv" | cut -d, -f1 | sort > "$f.got"
  [ -s "$f.got" ] || fail "$f: an empty units.csv"
done
sqlite3 r.db "$assigned and u.category <> 'general'" | sort > registered-household.want
sqlite3 r.db "$assigned and u.category = 'general'" | sort > general-household.want
for f in registered-household general-household; do
  cmp -s "$f.want" "$f.got" || { diff "$f.want" "$f.got" | head >&2; fail "$f: units.csv is not the units of its kind"; }
done
[ -z "$(comm -12 registered-household.got general-household.got)" ] || fail "a unit offered to both household forms"
[ "$(cat registered-household.got general-household.got | sort | tr '\n' ' ')" = "$(sqlite3 r.db "$assigned" | sort | tr '\n' ' ')" ] ||
  fail "the two lists are not the whole assignment"
# the manifests differ (a phone caches media by md5)
cmp -s registered-household.manifest.xml general-household.manifest.xml && fail "one manifest for both forms"

# --- the leader's day plan on the phones ------------------------------------------------------
# Issue 13: the team leader keeps "the team's assignments per pair and day"; seed 002 六(五)
# "评估组组长负责本组评估工作的组织实施" (the leader organises the team's work). The plan the
# leader sets on the pages (POST /api/rounds/R/dayplan) reaches the phones: units.csv gains a
# column `day` (the day planned for the phone's pair), today's planned units come first, and the
# label says 今日 or 计划 DAY. A pair given a village by the plan gets the village forms in its
# formList, and their units.csv lists exactly the villages planned for it.
echo "$pw" | $P user add --db r.db --role leader --round n --scope "$county" lead >/dev/null
hA=$(sed -n 3p registered-household.got); hB=$(sed -n 5p registered-household.got)
hC=$(sed -n 7p registered-household.got)
# a sampled village of eva's county with simulated village-exit answers (sent from the phone below)
vil=$(awk -F, -v c="$county" 'NR > 1 && index($1, c) == 1 && $5 == "complete" {print $1; exit}' sim/village-exit.csv)
[ -n "$hC" ] && [ -n "$vil" ] || fail "no units to plan"
# before any plan: no village form on a phone, no day in units.csv
[ "$(code "$B2/key/$T/formList")" = 200 ] || fail "formList"
expect_no_grep "<formID>village-" body.txt
cat > plan.py <<'PY'
import json, os, sys
sys.path.insert(0, os.environ["TESTS_DIR"])
import openrosa_client as c
port = int(sys.argv[1]); ORIGIN = "http://127.0.0.1:%d" % port
def js(method, path, body, cookie=None, csrf=None):
    h = {"Content-Type": "application/json", "Origin": ORIGIN}
    if cookie: h["Cookie"] = "pinggu_session=" + cookie
    if csrf: h["X-CSRF-Token"] = csrf
    return c.request(port, method, path, json.dumps(body).encode(), h)
st, hd, data = js("POST", "/api/session", {"user": "lead", "password": "Good-Pass-2020"})
assert st == 200, (st, data)
ck = hd["set-cookie"].split(";")[0].split("=", 1)[1]; cs = json.loads(data)["csrf_token"]
st, hd, data = js("POST", "/api/me/password", {"old": "Good-Pass-2020", "new": "Better-Pass-2021"}, ck, cs)
assert st == 200, (st, data)
for a in sys.argv[2:]:
    unit, day, pair = a.split("/")
    st, hd, data = js("POST", "/api/rounds/n/dayplan", {"unit": unit, "day": day, "pair": pair}, ck, cs)
    print(unit, st)
PY
python3 plan.py "$port2" "$hA/2020-04-20/eva eva3" "$hB/2020-04-22/eva eva3" "$hC/2020-04-20/eva3" \
  "$vil/2020-04-21/eva" "$vil/2020-04-21/eva2" > plan.txt
expect_grep "^$hA 201" plan.txt
expect_grep "^$hC 201" plan.txt
# eva2 works in another county: the leader cannot give it this county's village
expect_grep "^$vil 422" plan.txt
[ "$(sqlite3 r.db "select count(*) from audit_log where action = 'day plan' and tbl = 'day_assignments' and actor = 'lead'")" = 4 ] ||
  fail "the plan is not change-logged with the leader"
# eva (pair "eva eva3" for hA today and hB on the 22nd): hA first, then hB, then the rest
[ "$(code "$B2/key/$T/forms/registered-household/units.csv")" = 200 ] || fail "units.csv"
cp body.txt eva.units.csv
head -1 eva.units.csv | grep -q '^name,label,state,comments,day$' || fail "units.csv header has no day column"
grep -q "^$hA,$hA 今日,,,2020-04-20$" eva.units.csv || { sed -n 1,4p eva.units.csv >&2; fail "today's unit without its day"; }
grep -q "^$hB,$hB 计划 2020-04-22,,,2020-04-22$" eva.units.csv || fail "the planned unit without its day"
[ "$(sed -n 2p eva.units.csv | cut -d, -f1)" = "$hA" ] || fail "today's planned unit is not first"
[ "$(sed -n 3p eva.units.csv | cut -d, -f1)" = "$hB" ] || fail "the next planned unit is not second"
grep -q "^$hC,$hC,,,$" eva.units.csv || fail "$hC is planned for eva3 alone, not for eva's phone"
tail -n +2 eva.units.csv | cut -d, -f1 | sort | cmp -s - registered-household.got || fail "the plan changed which units eva has"
# the manifest's hash follows the new file (the phone downloads it again)
[ "$(code "$B2/key/$T/forms/registered-household/manifest")" = 200 ] || fail "manifest"
expect_grep "<hash>md5:$(md5sum eva.units.csv | cut -d' ' -f1)</hash>" body.txt
# eva3 (in both of today's plans): hA and hC first, then hB
[ "$(code "$B2/key/$T3/forms/registered-household/units.csv")" = 200 ] || fail "eva3 units.csv"
cp body.txt eva3.units.csv
[ "$(sed -n 2,3p eva3.units.csv | cut -d, -f1 | sort | tr '\n' ' ')" = "$(printf '%s\n' "$hA" "$hC" | sort | tr '\n' ' ')" ] ||
  { sed -n 1,4p eva3.units.csv >&2; fail "eva3: today's units are not first"; }
[ "$(sed -n 4p eva3.units.csv | cut -d, -f1)" = "$hB" ] || fail "eva3: the next planned unit is not third"
# the village: eva's phone now gets the village forms, with exactly the planned village
[ "$(code "$B2/key/$T/formList")" = 200 ] || fail "formList"
cp body.txt eva.formlist.xml
for f in village-interview village-exit; do
  expect_grep "<formID>$f</formID>" eva.formlist.xml
  expect_grep "<manifestUrl>$B2/key/$T/forms/$f/manifest</manifestUrl>" eva.formlist.xml
  [ "$(code "$B2/key/$T/forms/$f")" = 200 ] || fail "$f: form download"
  md5=$(md5sum body.txt | cut -d' ' -f1)
  expect_grep "<hash>md5:$md5</hash><downloadUrl>$B2/key/$T/forms/$f</downloadUrl>" eva.formlist.xml
  [ "$(code "$B2/key/$T/forms/$f/units.csv")" = 200 ] || fail "$f: units.csv"
  [ "$(cat body.txt)" = "$(printf 'name,label,state,comments,day\n%s,%s 计划 2020-04-21,,,2020-04-21' "$vil" "$vil")" ] ||
    { cat body.txt >&2; fail "$f: units.csv is not the planned village"; }
  cp body.txt "$f.units.csv"
  [ "$(code "$B2/key/$T/forms/$f/manifest")" = 200 ] || fail "$f: manifest"
  expect_grep "<hash>md5:$(md5sum "$f.units.csv" | cut -d' ' -f1)</hash><downloadUrl>$B2/key/$T/forms/$f/units.csv</downloadUrl>" body.txt
  # eva3 has no village in the plan: its phone's village list is empty
  [ "$(code "$B2/key/$T3/forms/$f/units.csv")" = 200 ] || fail "$f: eva3 units.csv"
  [ "$(cat body.txt)" = "name,label,state,comments,day" ] || { cat body.txt >&2; fail "$f: eva3 gets an unplanned village"; }
done
# the phone sends the planned village's exit check: stored as eva's, in review as submitted
$C "$port2" "$T" village-exit sim/village-exit.csv "$vil" uuid:vx-1 > out.txt
expect_grep "^201" out.txt
[ "$(sqlite3 r.db "select pair || '|' || status from questionnaires where unit = '$vil'")" = "eva|complete" ] ||
  fail "the village exit check sent from the phone is not stored as eva's"
# neither eva3 nor eva2 (another county) gets a village form
for t in "$T3" "$T2"; do
  [ "$(code "$B2/key/$t/formList")" = 200 ] || fail "formList"
  expect_no_grep "<formID>village-" body.txt
  expect_grep "<formID>registered-household</formID>" body.txt
done
kill $spid; wait $spid 2>/dev/null; trap - EXIT
echo ok
