# t_serve.sh — issue 11: `pinggu serve` started on a free loopback port and driven over HTTP
# (python3 http.client): login, lockout after 5 failures and the office's unlock, the first-login
# password change, session fixation, CSRF and Origin checks (login included), oversized and
# malformed bodies, SQL/HTML injection stored verbatim and escaped, role- and home-city-scoped
# problem lists, an illegal move refused with the legal ones, a legal move logged with the user,
# a flood of refusals that does not bloat the security log, releases; then a clean SIGTERM stop,
# a final checkpoint, and `audit verify`.
. "$TESTS_DIR/lib.sh"
P=$PINGGU
export PINGGU_TODAY=2020-04-20
$P synth --out prov --seed 7 --counties 2 >/dev/null
$P init r.db >/dev/null
$P import --db r.db prov >/dev/null
$P sample --db r.db --plan "$ROOT/plans/national-spotcheck-2019.json" --seed 1 --name n >/dev/null
$P field simulate --db r.db --sample n --truth prov/truth.csv --seed 5 --forms "$ROOT/forms" --out sim >/dev/null
$P judge --db r.db --sample n >/dev/null
county=$(sqlite3 r.db "select county from problems group by county order by count(*) desc limit 1")
other=$(sqlite3 r.db "select code from counties where code <> $county limit 1")
city=$((county / 100))
p1=$(sqlite3 r.db "select min(row_no) from problems where county = $county")
p2=$(sqlite3 r.db "select min(row_no) from problems where county = $county and row_no > $p1")
echo photo > p1.jpg
export PINGGU_TODAY=2020-06-30
# problem p1 recorded by an evaluator on the command line (evidence needed: seed 000)
$P problems move --db r.db "$p1" recorded --as evaluator --evidence p1.jpg --on 2020-04-21 >/dev/null

pw='Good-Pass-2020'
echo "$pw" | $P user add --db r.db --role office boss >/dev/null
echo "$pw" | $P user add --db r.db --role leader --round n --scope "$county" lead >/dev/null
echo "$pw" | $P user add --db r.db --role county --scope "$county" liaison >/dev/null
echo "$pw" | $P user add --db r.db --role county --scope "$other" liaison2 >/dev/null
# a leader over the whole city who is a cadre of the county itself (home-city rule)
echo "$pw" | $P user add --db r.db --role leader --round n --scope "$city" --home "$county" cadre >/dev/null
echo "$pw" | $P user add --db r.db --role evaluator --round n --scope "$county" eva >/dev/null
echo "$pw" | $P user add --db r.db --role evaluator --round n --scope "$other" eva2 >/dev/null
# the password never on the command line: a weak one is refused, nothing written
before=$(sqlite3 r.db "select count(*) from audit_log")
echo "weak" | expect_status 2 $P user add --db r.db --role office weakling
expect_grep "at least 10 characters" err.txt
echo "My-lead2x-Pass9" | expect_status 2 $P user add --db r.db --role office lead2x
expect_grep "contains the user name" err.txt
[ "$(sqlite3 r.db "select count(*) from audit_log")" = "$before" ] || fail "a refused user add wrote"
sqlite3 r.db "select pwhash from users" | grep -qv '^\$argon2id\$v=19\$m=65536,t=2,' && fail "not Argon2id 64 MiB"
expect_status 0 $P serve --print-authz
expect_grep "^county +problems +read +sent +any" out.txt
expect_grep "home-city rule" out.txt

# copies of the store as it is now: for replaying docs/api.md's examples, and for the faults run
cp r.db docs.db
cp r.db load.db
cp r.db rep.db
[ ! -d r.db.evidence ] || cp -r r.db.evidence rep.db.evidence
echo "Load-Pass-2020" | $P user add --db load.db --role leader --round n loader >/dev/null
echo "Docs-Pass-2020" | $P user add --db docs.db --role office wang >/dev/null
$P user grant --db docs.db --role evaluator --round n --scope "$county" wang >/dev/null
p3=$(sqlite3 r.db "select min(row_no) from problems where county = $county and row_no > $p2")
unit=$(sqlite3 r.db "select u.code from sample_units u join questionnaires q on q.unit = u.code where u.stage = 'household' and u.county = $county limit 1")

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$P serve --db r.db --listen "127.0.0.1:$port" --checkpoint-every 1 --forms "$ROOT/forms" --max-upload 1048576 >serve.log 2>serve.err &
spid=$!
i=0
until grep -q listening serve.log 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { cat serve.err >&2; fail "the server did not start"; }
  sleep 0.1
done

cat > drive.py <<'PYEOF'
import http.client, json, os, subprocess, sys
port = int(sys.argv[1]); P = os.environ["PINGGU"]
county, other, p1, p2 = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
ORIGIN = "http://127.0.0.1:%d" % port
PW = "Good-Pass-2020"; NEW = "Better-Pass-2021"

def req(method, path, body=None, cookie=None, csrf=None, origin=ORIGIN, referer=None, raw=None, ctype="application/json"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = {}
    if origin: h["Origin"] = origin
    if referer: h["Referer"] = referer
    if cookie: h["Cookie"] = "pinggu_session=" + cookie
    if csrf: h["X-CSRF-Token"] = csrf
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None: h["Content-Type"] = ctype
    c.request(method, path, body=data, headers=h)
    r = c.getresponse(); text = r.read().decode("utf-8", "replace")
    c.close()
    try: j = json.loads(text) if text else None
    except ValueError: j = None
    return r.status, j, text, r

def check(cond, what):
    if not cond:
        print("FAIL:", what, file=sys.stderr); sys.exit(1)

def cookie_of(r):
    sc = r.getheader("Set-Cookie") or ""
    check("HttpOnly" in sc and "SameSite=Lax" in sc, "cookie flags: " + sc)
    check("Secure" not in sc, "no Secure over plain loopback without https public URL")
    return sc.split(";")[0].split("=", 1)[1]

def login(user, pw=PW, cookie=None):
    st, j, t, r = req("POST", "/api/session", {"user": user, "password": pw}, cookie=cookie)
    check(st == 200, "login %s: %d %s" % (user, st, t))
    return cookie_of(r), j["csrf_token"], j

def first_login(user):
    ck, cs, j = login(user)
    check(j["must_change"] is True, "must change at first login")
    st, j, t, _ = req("POST", "/api/me/password", {"old": PW, "new": NEW}, ck, cs)
    check(st == 200, "password change %s: %s" % (user, t))
    return ck, cs

# --- lockout: 5 failures lock the account for 15 minutes; the office unlocks
for i in range(5):
    st, j, t, _ = req("POST", "/api/session", {"user": "boss", "password": "Wrong-Pass-%d" % i})
    check(st == 401 and j["error"]["code"] == "bad_credentials", "wrong password %d: %s" % (i, t))
    check(j["error"]["message_zh"] and j["error"]["message_en"], "errors in Chinese and English")
st, j, t, _ = req("POST", "/api/session", {"user": "boss", "password": PW})
check(st == 423 and j["error"]["code"] == "locked", "locked after 5 failures even with the right password: " + t)
subprocess.run([P, "user", "unlock", "--db", "r.db", "--address", "127.0.0.1", "boss"], check=True, stdout=subprocess.DEVNULL)

# --- first login: only the password change is open
ck, cs, j = login("boss")
check(j["must_change"] is True, "boss must change")
st, j, t, _ = req("GET", "/api/rounds", cookie=ck)
check(st == 403 and j["error"]["code"] == "password_change_required", "must change first: " + t)
st, j, t, _ = req("POST", "/api/me/password", {"old": PW, "new": "short"}, ck, cs)
check(st == 422 and j["error"]["field"] == "new", "weak new password refused: " + t)
st, j, t, _ = req("POST", "/api/me/password", {"old": PW, "new": NEW}, ck, cs)
check(st == 200, "password changed: " + t)
st, j, t, _ = req("GET", "/api/rounds", cookie=ck)
check(st == 200 and [r["round"] for r in j["rounds"]] == ["n"], "rounds: " + t)

# --- session fixation: a login with an old cookie gets a new ID; the old one is dead
ck2, cs2, _ = login("boss", NEW, cookie=ck)
check(ck2 != ck, "a new session ID at login")
st, j, t, _ = req("GET", "/api/me", cookie=ck)
check(st == 401, "the old session no longer works: %d" % st)
st, j, t, _ = req("GET", "/api/me", cookie=ck2)
check(st == 200 and j["user"] == "boss" and j["grants"][0]["role"] == "office", "me: " + t)
boss, bcs = ck2, cs2

# --- CSRF and Origin on state-changing requests (login included)
mv = "/api/problems/%d/moves" % p1
st, j, t, _ = req("POST", mv, {"to": "summarised"}, boss)
check(st == 403 and j["error"]["code"] == "csrf", "no CSRF token: " + t)
st, j, t, _ = req("POST", mv, {"to": "summarised"}, boss, "0" * 64)
check(st == 403 and j["error"]["code"] == "csrf", "wrong CSRF token: " + t)
st, j, t, _ = req("POST", mv, {"to": "summarised"}, boss, bcs, origin="http://evil.example")
check(st == 403 and j["error"]["code"] == "origin", "wrong Origin: " + t)
st, j, t, _ = req("POST", mv, {"to": "summarised"}, boss, bcs, origin=None)
check(st == 403 and j["error"]["code"] == "origin", "neither Origin nor Referer: " + t)
st, j, t, _ = req("POST", "/api/session", {"user": "boss", "password": NEW}, origin="http://evil.example")
check(st == 403 and j["error"]["code"] == "origin", "cross-origin login refused: " + t)

# --- oversized and malformed bodies
st, j, t, _ = req("POST", mv, raw=b'{"note":"' + b"x" * 200000 + b'"}', cookie=boss, csrf=bcs)
check(st == 413, "oversized body: %d" % st)
st, j, t, _ = req("POST", mv, raw=b'{"to": "summarised",', cookie=boss, csrf=bcs)
check(st == 400 and j["error"]["field"] == "body", "malformed JSON: " + t)
st, j, t, _ = req("POST", mv, raw=b'{"to": 5}', cookie=boss, csrf=bcs)
check(st == 422, "a number where a string belongs: " + t)

# --- role- and home-city-scoped lists
lead, lcs = first_login("lead")
liaison, _ = first_login("liaison")
liaison2, _ = first_login("liaison2")
cadre, _ = first_login("cadre")
def ids(cookie):
    st, j, t, _ = req("GET", "/api/problems?round=n", cookie=cookie)
    check(st == 200, "list: " + t)
    return sorted(p["id"] for p in j["problems"])
allp = ids(boss)
check(len(allp) > 2 and p1 in allp, "the office sees every problem")
check(ids(lead) == sorted(p for p in allp), "the leader of the county sees its problems")
check(ids(liaison) == [], "nothing was sent to the county yet")
check(ids(cadre) == [], "home-city rule: a cadre of the county sees none of its problems before release")
st, j, t, _ = req("GET", "/api/problems/%d" % p1, cookie=cadre)
check(st == 403 and "本市、本县回避" in j["error"]["message_en"], "home-city rule on one problem: " + t)

# --- an illegal move, refused with the legal ones; legal moves logged with the user
st, j, t, _ = req("POST", "/api/problems/%d/moves" % p2, {"to": "confirmed"}, lead, lcs)
check(st == 422 and j["error"]["code"] == "illegal_move", "illegal move: " + t)
check({m["to"] for m in j["error"]["legal_moves"]} == {"recorded", "dismissed"}, "legal moves listed: " + t)
for to in ("summarised", "sent_for_verification"):
    st, j, t, _ = req("POST", mv, {"to": to, "on": "2020-04-21"}, lead, lcs)
    check(st == 201 and j["by"] == "lead" and j["as"] == "leader", "move %s: %s" % (to, t))
check(ids(liaison) == [p1], "the county liaison sees the problem sent to it")
check(ids(liaison2) == [], "another county's liaison does not")
st, j, t, _ = req("GET", "/api/problems/%d" % p1, cookie=liaison)
check(st == 200 and "history" not in j, "a locality never sees the history (evaluator identities)")

# --- injection in a text field: stored verbatim, escaped on the way out
evil = "x'); DROP TABLE users;-- </script><script>alert(1)</script>"
st, j, t, _ = req("POST", "/api/problems/%d/moves" % p2, {"to": "dismissed", "note": evil, "on": "2020-04-22"}, lead, lcs)
check(st == 201, "dismissal with a hostile note: " + t)
st, j, t, r = req("GET", "/api/problems/%d" % p2, cookie=boss)
check(st == 200 and "</script>" not in t and "<\\/script>" in t, "escaped on output: " + t[:300])
check(r.getheader("X-Content-Type-Options") == "nosniff" and "no-store" in r.getheader("Cache-Control"), "headers")
check(j["dismissal"] == evil, "returned verbatim")

# --- a flood of refusals: answered, but the security log stays small
for i in range(60):
    st, _, _, _ = req("POST", mv, {"to": "explained"}, liaison2, "f" * 64)
    check(st == 403, "flood %d" % i)
st, j, t, _ = req("GET", "/api/me", cookie=boss)
check(st == 200, "the server is still up after the flood")

# --- assignments: an evaluator gets only its units, and reserves only once activated
eva, ecs = first_login("eva")
eva2, e2cs = first_login("eva2")
st, j, t, _ = req("GET", "/api/assignments?round=n", cookie=eva)
check(st == 200, "assignments: " + t[:200])
units = j["assignments"]
check(units and all(u["county"] == county for u in units), "only the evaluator's county")
check(not any(u["reserve"] for u in units), "no reserve before a non-response activates it")
st, j, t, _ = req("GET", "/api/assignments?round=n", cookie=boss)
check(len(j["assignments"]) > len(units), "the office sees every county")

# --- questionnaire submission: field import's validation, an idempotency key
import csv
rows = list(csv.DictReader(open("sim/registered-household.csv", encoding="utf-8")))
row = next(r for r in rows if r["unit"].startswith(str(county)))
mem = [m for m in csv.DictReader(open("sim/registered-household.members.csv", encoding="utf-8")) if m["unit"] == row["unit"]]
def submit(cookie, csrf, key, q, members=mem):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = {"Origin": ORIGIN, "Cookie": "pinggu_session=" + cookie, "X-CSRF-Token": csrf, "Content-Type": "application/json"}
    if key: h["Idempotency-Key"] = key
    c.request("POST", "/api/rounds/n/questionnaires", body=json.dumps({"form": "registered-household", "questionnaire": q, "members": members}).encode(), headers=h)
    r = c.getresponse(); t = r.read().decode(); c.close()
    return r.status, json.loads(t), t
def imports():
    return int(subprocess.run(["sqlite3", "r.db", "select count(*) from audit_log where action = 'field_import' or action = 'import' and tbl = 'questionnaires'"], capture_output=True, text=True).stdout)
n0 = imports()
st, j, t = submit(eva, ecs, None, row)
check(st == 422 and j["error"]["field"] == "Idempotency-Key", "a key is required: " + t)
bad = dict(row); bad["household_status"] = "no_such_choice"
st, j, t = submit(eva, ecs, "k-bad", bad)
check(st == 422 and j["error"]["errors"], "an invalid answer refused with field import's message: " + t)
open("bad-message.txt", "w").write(j["error"]["errors"][0]["message"])
check(imports() == n0, "nothing written for a refused submission")
# the body is read in one pass (survey.h submission_json): refusals as before, each with its field
def submit_raw(raw, key="k-shape"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = {"Origin": ORIGIN, "Cookie": "pinggu_session=" + eva, "X-CSRF-Token": ecs, "Content-Type": "application/json", "Idempotency-Key": key}
    c.request("POST", "/api/rounds/n/questionnaires", body=raw, headers=h)
    r = c.getresponse(); t = r.read().decode(); c.close()
    return r.status, json.loads(t), t
body = json.dumps({"form": "registered-household", "questionnaire": row, "members": mem})
for raw, want, field in [
        (body[:-5].encode(), 400, "body"),                                    # cut short
        (body.replace('"form"', '"questionnaire": {}, "form"', 1).encode(), 400, "body"),  # a key twice
        (b'{"form": "registered-household", "questionnaire": {"unit": "1", "\\u0000": 1}}', 400, "body"),
        (json.dumps({"questionnaire": row}).encode(), 422, "form"),
        (json.dumps({"form": "registered-household", "questionnaire": [row]}).encode(), 422, "questionnaire"),
        (json.dumps({"form": "registered-household", "questionnaire": row, "members": {}}).encode(), 422, "members"),
        (json.dumps({"form": "registered-household", "questionnaire": dict(row, water_ok=["yes"])}).encode(), 422, "water_ok"),
        (json.dumps({"form": "registered-household", "questionnaire": row, "members": mem + [7]}).encode(), 422, "members"),
        (json.dumps({"form": "registered-household", "questionnaire": row, "members": [dict(mem[0], age={"v": 1})]}).encode(), 422, "age")]:
    st, j, t = submit_raw(raw)
    check(st == want and j["error"]["field"] == field, "%s: %d %s, not %d %s" % (raw[:60], st, j["error"].get("field"), want, field))
check(imports() == n0, "nothing written for a refused body")
st, j, t = submit(eva2, e2cs, "k-other", row)
check(st == 403, "an evaluator of another county cannot submit here: " + t)
st, j, t = submit(eva, ecs, "k-1", row)
check(st == 201 and j["questionnaires"] == 1, "submitted: " + t)
n1 = imports()
st, j2, t = submit(eva, ecs, "k-1", row)
check(st == 201 and j2.get("replayed") is True and j2["questionnaires"] == 1, "a retry is answered again: " + t)
check(imports() == n1, "a retry does not import twice")

# --- the server keeps a sample's units between submissions (field_unit_cache, docs/server.md
# §7); what a submission may touch still follows the store: a reserve is refused until a
# non-response activates it, accepted once it is, and refused again once the late interview
# of the household it stood for withdraws it ("a stale cache must never accept a unit that is
# no longer assigned", issue 11)
def q1(sql):
    return subprocess.run(["sqlite3", "r.db", sql], capture_output=True, text=True).stdout.strip()
sid = q1("select row_no from samples where name = 'n'")
picks = []
for r in rows:
    u = r["unit"]
    if u == row["unit"] or not u.startswith(str(county)): continue
    res = q1("select r.code from sample_units h join sample_units r on r.sample = h.sample and r.village = h.village"
             " and r.stratum = h.stratum and r.reserve = 1 where h.sample = %s and h.code = '%s' and h.reserve = 0"
             " and h.stage = 'household' order by r.rank limit 1" % (sid, u))
    if res and all(res != p[1] and q1("select village from sample_units where sample = %s and code = '%s'" % (sid, u)) !=
                   q1("select village from sample_units where sample = %s and code = '%s'" % (sid, p[0]["unit"])) for p in picks):
        picks.append((r, res))
    if len(picks) == 2: break
check(len(picks) == 2, "two households of the county, in two villages, each with a reserve")
hh, reserve = picks[0]
def nonresponse(unit): return {"unit": unit, "status": "nonresponse", "reason": "away"}
st, j, t = submit(eva, ecs, "k-r0", nonresponse(reserve), [])
check(st == 422 and "no non-response has activated" in t, "a reserve not activated is refused: " + t)
st, j, t = submit(eva, ecs, "k-nr", nonresponse(hh["unit"]), [])
check(st == 201 and j["nonresponse"] == 1 and j["replacements"] == 1, "a non-response activates the reserve: " + t)
check(q1("select replaced_by from replacements where unit = '%s'" % hh["unit"]) == reserve, "the reserve is the one expected")
hmem = [m for m in csv.DictReader(open("sim/registered-household.members.csv", encoding="utf-8")) if m["unit"] == hh["unit"]]
st, j, t = submit(eva, ecs, "k-late", hh, hmem)
check(st == 201 and j["questionnaires"] == 1, "the household interviewed after all: " + t)
st, j, t = submit(eva, ecs, "k-r1", nonresponse(reserve), [])
check(st == 422 and "no non-response has activated" in t, "the withdrawn reserve is refused again: " + t)
# the second village: the reserve activated by its household's non-response is accepted (the
# village's state is read from the store, by the range of its codes: survey/field.c)
hh2, reserve2 = picks[1]
st, j, t = submit(eva, ecs, "k-nr2", nonresponse(hh2["unit"]), [])
check(st == 201 and j["replacements"] == 1, "a second non-response activates its reserve: " + t)
st, j, t = submit(eva, ecs, "k-r2", nonresponse(reserve2), [])
check(st == 201 and j["nonresponse"] == 1, "the activated reserve is accepted: " + t)
for unit in (hh["unit"], hh2["unit"], reserve2):
    for who, cs, to in ((lead, lcs, "approved_by_leader"), (boss, bcs, "approved_by_office")):
        st, j, t, _ = req("POST", "/api/rounds/n/review", {"unit": unit, "form": "registered-household", "to": to}, who, cs)
        check(st in (200, 201), "approved (the release below counts one waiting): " + unit + " " + t)

# --- evidence: streamed, hashed, size-limited, served back only as a download
def upload(cookie, csrf, name, data, unit=row["unit"], chunked=False):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    from urllib.parse import quote
    h = {"Origin": ORIGIN, "Cookie": "pinggu_session=" + cookie, "X-CSRF-Token": csrf, "Content-Type": "application/octet-stream"}
    if chunked: h["Transfer-Encoding"] = "chunked"
    try:
        c.request("POST", "/api/evidence?round=n&unit=%s&name=%s" % (unit, quote(name)),
                  body=(iter([data[i:i + 65536] for i in range(0, len(data), 65536)]) if chunked else data),
                  headers=h, encode_chunked=chunked)
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused before the whole body was sent: the answer is already there
    r = c.getresponse(); t = r.read().decode(); c.close()
    return r.status, (json.loads(t) if t.startswith("{") else None), t
import hashlib
html = b"<html><script>alert(document.cookie)</script></html>"
st, j, t = upload(eva, ecs, "照片.html", html)
check(st == 201 and j["sha256"] == hashlib.sha256(html).hexdigest(), "upload hashed: " + t)
st, j, t = upload("0" * 64, ecs, "anon.jpg", b"\xff\xd8\xff" + b"0" * 100000)
check(st == 401, "no upload without a session, refused before the body: %d" % st)
st, j, t = upload(eva, ecs, "../../etc/passwd", b"x")
check(st == 422 and j["error"]["field"] == "name", "path traversal in the name refused: " + t)
st, j, t = upload(eva, ecs, "big.jpg", b"\xff\xd8\xff" + b"0" * (2 * 1024 * 1024))
check(st == 413, "upload over --max-upload refused: %d" % st)
st, j, t = upload(eva, ecs, "big.jpg", b"\\xff\\xd8\\xff" + b"0" * (2 * 1024 * 1024), chunked=True)
check(st == 413, "a chunked upload over --max-upload refused (streamed, dropped): %d" % st)
jpg = b"\xff\xd8\xff\xe0" + os.urandom(1000)
st, j, t = upload(eva, ecs, "p.jpg", jpg)
check(st == 201, "jpeg upload: " + t)
st, _, body, r = req("GET", "/api/evidence/" + hashlib.sha256(html).hexdigest(), cookie=boss)
check(st == 200 and body == html.decode(), "served back: %d" % st)
check(r.getheader("Content-Type") == "application/octet-stream", "HTML never served as HTML: %s" % r.getheader("Content-Type"))
check(r.getheader("Content-Disposition").startswith("attachment;") and "UTF-8''%E7%85%A7%E7%89%87.html" in r.getheader("Content-Disposition"), "attachment: %s" % r.getheader("Content-Disposition"))
check(r.getheader("X-Content-Type-Options") == "nosniff" and "default-src 'self'" in r.getheader("Content-Security-Policy") and r.getheader("Cache-Control") == "private, no-store", "evidence headers")
st, _, _, r = req("GET", "/api/evidence/" + hashlib.sha256(jpg).hexdigest(), cookie=boss)
check(st == 200 and r.getheader("Content-Type") == "image/jpeg", "type from magic bytes")
svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
st, j, t = upload(eva, ecs, "map.svg", svg)
check(st == 201, "svg upload: " + t)
st, _, _, r = req("GET", "/api/evidence/" + hashlib.sha256(svg).hexdigest(), cookie=boss)
check(st == 200 and r.getheader("Content-Type") == "application/octet-stream" and r.getheader("Content-Disposition").startswith("attachment"), "SVG never served as an image that runs script")
st, _, _, _ = req("GET", "/api/evidence/" + hashlib.sha256(jpg).hexdigest(), cookie=liaison2)
check(st == 403, "another county's liaison cannot download the evidence")
st, _, _, _ = req("GET", "/api/evidence/" + "0" * 64, cookie=boss)
check(st == 404, "unknown evidence")

# --- a move that needs evidence takes uploaded evidence by its hash (seed 000: 凡没有核准、核实,
# 或证据不充分的,将不作为问题予以采信)
st, j, t, _ = req("GET", "/api/problems?round=n", cookie=boss)
cand = next(p["id"] for p in j["problems"] if p["state"] == "candidate" and p["id"] not in (p1, p2) and p["county"] == county)
st, j, t, _ = req("POST", "/api/problems/%d/moves" % cand, {"to": "recorded", "on": "2020-04-21"}, eva, ecs)
check(st == 422 and "needs evidence" in j["error"]["message_en"], "recording without evidence: " + t)
st, j, t, _ = req("POST", "/api/problems/%d/moves" % cand, {"to": "recorded", "on": "2020-04-21", "evidence": ["1" * 64]}, eva, ecs)
check(st == 422 and j["error"]["field"] == "evidence", "evidence never uploaded: " + t)
st, j, t, _ = req("POST", "/api/problems/%d/moves" % cand, {"to": "recorded", "on": "2020-04-21", "evidence": [hashlib.sha256(jpg).hexdigest()]}, eva, ecs)
check(st == 201 and j["as"] == "evaluator", "recorded with the uploaded photo: " + t)
open("cand.txt", "w").write("%d %s\n" % (cand, hashlib.sha256(jpg).hexdigest()))

# --- figures: provisional, each county's row only for those who may read it
st, j, t, _ = req("GET", "/api/rounds/n/figures", cookie=boss)
check(st == 200 and j["provisional"] is True and {u["code"] for u in j["units"]} >= {county}, "figures: " + t[:300])
st, j, t, _ = req("GET", "/api/rounds/n/figures", cookie=lead)
check(st == 200 and [u["code"] for u in j["units"]] == [county], "a leader sees its county's figures only: " + t[:300])
st, j, t, _ = req("GET", "/api/rounds/n/figures", cookie=cadre)
check(st == 200 and county not in [u["code"] for u in j["units"]], "home-city rule on figures")
st, j, t, _ = req("GET", "/api/rounds/n/figures", cookie=liaison)
check(st == 403, "a county liaison reads no provisional figures")

# --- release: only office-approved questionnaires enter one (DESIGN §10); the evaluator's
# submission above waits for review, so the office's release is refused until it is approved
st, j, t, _ = req("POST", "/api/rounds/n/releases", None, boss, bcs)
check(st == 422 and "only office-approved questionnaires enter a release, and 1 submitted" in j["error"]["message_en"], "release before review: " + t)
st, j, t, _ = req("POST", "/api/rounds/n/review", {"unit": row["unit"], "form": "registered-household", "to": "approved_by_leader"}, lead, lcs)
check(st in (200, 201), "leader approves the submission: " + t)
st, j, t, _ = req("POST", "/api/rounds/n/review", {"unit": row["unit"], "form": "registered-household", "to": "approved_by_office"}, boss, bcs)
check(st in (200, 201), "the office approves the submission (the review's second level): " + t)
# --- release: office only; numbered; then the home-city rule is over
st, j, t, _ = req("POST", "/api/rounds/n/releases", None, lead, lcs)
check(st == 403, "a leader cannot release: " + t)
st, j, t, _ = req("POST", "/api/rounds/n/releases", None, boss, bcs)
check(st == 201 and j["number"] == 1 and len(j["sha256"]) == 64, "release 1: " + t)
st, j, t, _ = req("POST", "/api/rounds/n/releases", None, boss, bcs)
check(st == 201 and j["number"] == 2, "release 2: " + t)
check(ids(cadre) == allp, "after release the cadre sees the county's problems")
st, j, t, _ = req("GET", "/api/rounds/n/figures", cookie=cadre)
check(st == 200 and j["provisional"] is False and county in [u["code"] for u in j["units"]], "released figures")

# --- the county-facing view: after release, own county only, nothing but what it may see
st, j, t, _ = req("GET", "/api/rounds/n/county-view?county=%d" % county, cookie=liaison)
check(st == 200 and j["county"] == county and j["release"] >= 2, "county view: " + t[:300])
check(all(p["county"] == county for p in j["confirmed_problems"]), "own county only")
check("history" not in t and "lead" not in t and "eva" not in t, "no evaluator identities")
st, j, t, _ = req("GET", "/api/rounds/n/county-view?county=%d" % county, cookie=liaison2)
check(st == 403, "another county's view refused: " + t)

# --- logout everywhere
other_ck, other_cs, _ = login("lead", NEW)
st, j, t, r = req("DELETE", "/api/session?all=1", None, lead, lcs)
check(st == 200 and "Max-Age=0" in (r.getheader("Set-Cookie") or ""), "logout: " + t)
check(req("GET", "/api/me", cookie=other_ck)[0] == 401, "logout everywhere ends the other session")
print("ok")
PYEOF
python3 drive.py "$port" "$county" "$other" "$p1" "$p2" >drive.out 2>drive.err || {
  cat drive.err serve.err >&2; kill -TERM $spid; fail "the HTTP checks failed"; }
kill -TERM $spid
wait $spid || fail "the server did not stop cleanly"
# the checkpoint written at shutdown covers the whole log
[ "$(tail -1 r.db.checkpoints | cut -d' ' -f2)" = "$(sqlite3 r.db 'select count(*) from audit_log')" ] ||
  fail "the last checkpoint does not cover the log's head"

# docs/api.md: every example replayed, in order, against a server on the copy
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# (as deployed behind nginx: a public https origin, the proxy's X-Forwarded-For believed)
$P serve --db docs.db --listen "127.0.0.1:$port" --forms "$ROOT/forms" \
  --public-url https://pinggu.example.cn --trusted-proxy 127.0.0.1 --request-timeout 2 >docs.log 2>docs.err &
dpid=$!
i=0
until grep -q listening docs.log 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { cat docs.err >&2; fail "the docs server did not start"; }
  sleep 0.1
done
python3 - "$ROOT/docs/api.md" "$port" "$p3" "$unit" "$county" >replay.out 2>replay.err <<'PY' || {
import http.client, json, re, sys
doc, port = open(sys.argv[1], encoding="utf-8").read(), int(sys.argv[2])
subst = {"{P}": sys.argv[3], "{UNIT}": sys.argv[4], "{COUNTY}": sys.argv[5]}
blocks = re.findall(r"```http\n(.*?)```", doc, re.S)
assert len(blocks) % 2 == 0 and len(blocks) >= 26, "request/response pairs: %d blocks" % len(blocks)
cookie = csrf = None
def fill(t):
    for k, v in subst.items(): t = t.replace(k, v)
    return t
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
    line, hdrs, body = split(fill(blocks[i]))
    method, path = line.split(" ", 1)
    sline, rh, rbody = split(blocks[i + 1])
    status = int(sline.split()[1])
    h = dict(hdrs); h["Origin"] = "https://pinggu.example.cn"; h["X-Forwarded-For"] = "10.9.9.9, 203.0.113.7"
    if cookie: h["Cookie"] = "pinggu_session=" + cookie
    if csrf and method != "GET": h["X-CSRF-Token"] = csrf
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request(method, path, body=body.encode() if body else None, headers=h)
    r = c.getresponse(); raw = r.read(); c.close()
    where = "%s %s" % (method, path)
    assert r.status == status, "%s: status %d, documented %d: %s" % (where, r.status, status, raw[:300])
    for k, v in rh.items():
        got = r.getheader(k) or ""
        ok = got.startswith(v.split("…")[0]) if "…" in v else got == v
        assert ok, "%s: header %s is %r, documented %r" % (where, k, got, v)
    if rh.get("Content-Type", "application/json").startswith("application/json"):
        shape(json.loads(rbody), json.loads(raw), where)
    elif rbody != "…":
        assert raw.decode() == rbody, "%s: body %r" % (where, raw[:100])
    if path == "/api/session" and method == "POST":
        assert "; Secure" in r.getheader("Set-Cookie"), "Secure under an https public URL"
        cookie = r.getheader("Set-Cookie").split(";")[0].split("=", 1)[1]
        csrf = json.loads(raw)["csrf_token"]
    if path.startswith("/api/evidence?"):
        subst["{SHA}"] = json.loads(raw)["sha256"]
# the client's address is the proxy's last X-Forwarded-For entry; a foreign origin is refused
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
c.request("POST", "/api/session", body=b'{"user": "wang", "password": "Wrong-Pass-1"}',
          headers={"Content-Type": "application/json", "Origin": "https://pinggu.example.cn", "X-Forwarded-For": "203.0.113.7"})
assert c.getresponse().status == 401
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
c.request("POST", "/api/session", body=b'{"user": "wang", "password": "Wrong-Pass-1"}',
          headers={"Content-Type": "application/json", "Origin": "http://127.0.0.1:%d" % port})
assert c.getresponse().status == 403, "the listen address is not the public origin"
# a slow request (headers never finished) is closed after --request-timeout; others are served
import socket, time
slow = socket.create_connection(("127.0.0.1", port))
slow.sendall(b"POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n")
slow.settimeout(15); t0 = time.monotonic()
assert slow.recv(100) == b"" and time.monotonic() - t0 < 10, "the slow request was not closed"
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60); c.request("GET", "/api/rounds")
assert c.getresponse().status == 401, "the server still answers"
print("replayed %d examples" % (len(blocks) // 2))
PY
  cat replay.err >&2; kill -TERM $dpid; fail "docs/api.md examples do not replay"; }
kill -TERM $dpid
wait $dpid || fail "the docs server did not stop cleanly"
expect_grep "^replayed 1[0-9] examples" replay.out
[ "$(sqlite3 docs.db "select key from login_failures where kind = 'addr'")" = 203.0.113.7 ] ||
  fail "the address behind the trusted proxy was not used"

# faults: concurrent submissions, the server killed (-9) in the middle, restarted; every
# client retries with its Idempotency-Key until answered: every questionnaire acknowledged is
# stored exactly once, and nothing lost (issue 11: "after restart every acknowledged (2xx)
# submission is present exactly once ... retried submissions do not duplicate")
cat > faults.py <<'PYEOF'
import csv, http.client, json, os, signal, subprocess, sys, threading, time
P = os.environ["PINGGU"]; county = sys.argv[1]
def start():
    port = int(subprocess.run(["python3", "-c", 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'], capture_output=True, text=True).stdout)
    log = open("faults-%d.log" % port, "w")
    p = subprocess.Popen([P, "serve", "--db", "load.db", "--listen", "127.0.0.1:%d" % port, "--forms", os.environ["ROOT"] + "/forms", "--threads", "32"], stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        if "listening" in open("faults-%d.log" % port).read(): return p, port
        time.sleep(0.1)
    raise SystemExit("server did not start")
srv, port = start()
ORIGIN = lambda: "http://127.0.0.1:%d" % port
def call(method, path, body, h):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = dict(h); h["Origin"] = ORIGIN(); h["Content-Type"] = "application/json"
    c.request(method, path, body=json.dumps(body).encode(), headers=h)
    r = c.getresponse(); t = r.read(); c.close()
    return r.status, json.loads(t), r
st, j, r = call("POST", "/api/session", {"user": "loader", "password": "Load-Pass-2020"}, {})
auth = {"Cookie": r.getheader("Set-Cookie").split(";")[0], "X-CSRF-Token": j["csrf_token"]}
assert call("POST", "/api/me/password", {"old": "Load-Pass-2020", "new": "Load-Pass-2021"}, auth)[0] == 200
# a login flood: 2 Argon2id hashes (64 MiB each) run, 8 wait, the rest are told 503 at once
flood, gate = [], threading.Barrier(32)
def ghost():
    gate.wait()
    st, j, r = call("POST", "/api/session", {"user": "ghost", "password": "Ghost-Pass-2020"}, {})
    flood.append((st, j["error"]["code"], r.getheader("Retry-After")))
fl = [threading.Thread(target=ghost) for _ in range(32)]
for t in fl: t.start()
for t in fl: t.join()
assert {x[0] for x in flood} <= {401, 503, 423}, flood
busy = [x for x in flood if x[0] == 503]
assert busy and all(x[1] == "busy" and x[2] == "1" for x in busy), flood
rows = [r for r in csv.DictReader(open("sim/registered-household.csv", encoding="utf-8")) if r["unit"].startswith(county)][:40]
mem = {}
for m in csv.DictReader(open("sim/registered-household.members.csv", encoding="utf-8")):
    mem.setdefault(m["unit"], []).append(m)
acked, lock, killed = {}, threading.Lock(), threading.Event()
def submit(i):
    h = dict(auth); h["Idempotency-Key"] = "fault-%d" % i
    return call("POST", "/api/rounds/n/questionnaires", {"form": "registered-household", "questionnaire": rows[i], "members": mem.get(rows[i]["unit"], [])}, h)
def worker(k):
    for i in range(k, len(rows), 4):
        while True:
            try:
                st, j, _ = submit(i)
            except (OSError, http.client.HTTPException):
                time.sleep(0.2); continue     # the server is down: retry, same key
            if st == 409: time.sleep(0.1); continue
            assert st == 201, (st, j)
            with lock:
                acked[i] = acked.get(i, 0) + 1
                if len(acked) == 12 and not killed.is_set():
                    killed.set(); srv.send_signal(signal.SIGKILL)
            break
ts = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
for t in ts: t.start()
while not killed.is_set(): time.sleep(0.05)
srv.wait()
srv, port = start()   # the clients' retries reach the new server
for t in ts: t.join()
assert sorted(acked) == list(range(len(rows))), "every submission answered"
# every one again with its key: answered as before, nothing stored
for i in range(len(rows)):
    st, j, _ = submit(i)
    assert st == 201 and j.get("replayed") is True, (i, st, j)
srv.send_signal(signal.SIGTERM); assert srv.wait() == 0
open("fault-units.txt", "w").write("\n".join(r["unit"] for r in rows) + "\n")
print("faults: %d submissions, killed after 12, all answered" % len(rows))
PYEOF
python3 faults.py "$county" >faults.out 2>faults.err || { cat faults.err faults-*.log >&2; fail "faults run"; }
while read u; do
  n=$(sqlite3 load.db "select count(*) || ' ' || group_concat(a.actor) from questionnaires q join audit_log a on a.seq = q.log_id where q.unit = '$u'")
  [ "$n" = "1 loader" ] || fail "unit $u: $n (expected once, by loader)"
done < fault-units.txt
expect_status 0 $P audit verify --db load.db

# TLS by libmicrohttpd itself (GnuTLS): the cookie is Secure
openssl req -x509 -newkey rsa:2048 -nodes -keyout tls.key -out tls.crt -days 2 -subj /CN=127.0.0.1 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$P serve --db r.db --listen "127.0.0.1:$port" --tls-cert tls.crt --tls-key tls.key >tls.log 2>tls.err &
tpid=$!
i=0
until grep -q listening tls.log 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { cat tls.err >&2; fail "the TLS server did not start"; }
  sleep 0.1
done
python3 - "$port" <<'PY' || { kill -TERM $tpid; fail "TLS"; }
import http.client, ssl, sys
port = int(sys.argv[1])
c = http.client.HTTPSConnection("127.0.0.1", port, context=ssl._create_unverified_context(), timeout=60)
c.request("POST", "/api/session", body=b'{"user": "boss", "password": "Better-Pass-2021"}',
          headers={"Content-Type": "application/json", "Origin": "https://127.0.0.1:%d" % port})
r = c.getresponse(); r.read()
assert r.status == 200 and "; Secure" in r.getheader("Set-Cookie"), (r.status, r.getheader("Set-Cookie"))
PY
kill -TERM $tpid
wait $tpid || fail "the TLS server did not stop cleanly"

# the submission's refusal says what `field import` says of the same answer
python3 - <<'PY'
import csv
rows = list(csv.DictReader(open("sim/registered-household.csv", encoding="utf-8")))
w = csv.DictWriter(open("bad.csv", "w", encoding="utf-8", newline=""), fieldnames=rows[0].keys())
w.writeheader(); r = rows[0]; r["household_status"] = "no_such_choice"; w.writerow(r)
PY
expect_status 2 $P field import --db r.db --sample n --form "$ROOT/forms/registered-household.json" bad.csv
grep -qF "$(sed 's/^[^:]*:[0-9]*: //' bad-message.txt | cut -c1-60)" err.txt || { cat bad-message.txt err.txt >&2; fail "not field import's message"; }

# the move's evidence is linked to the problem, by content
read cand sha < cand.txt
[ "$(sqlite3 r.db "select count(*) from evidence_links where problem = $cand and evidence = '$sha'")" = 1 ] ||
  fail "the uploaded evidence is not linked to problem $cand"

# the change log: moves by the session user; refusals only in the security log, rate-limited
[ "$(sqlite3 r.db "select count(*) from problem_moves where actor = 'lead'")" = 3 ] || fail "moves not by lead"
[ "$(sqlite3 r.db "select count(*) from audit_log where actor = 'lead' and tbl = 'problem_moves'")" -ge 3 ] ||
  fail "change log entries not by lead"
sqlite3 r.db "select note from problem_moves where to_state = 'dismissed'" > note.txt
grep -qF "x'); DROP TABLE users;-- </script><script>alert(1)</script>" note.txt || fail "note not stored verbatim"
[ "$(sqlite3 r.db "select count(*) from audit_log where action like '%fail%' or action like '%forbid%'")" = 0 ] ||
  fail "refusals in the change log"
rows=$(sqlite3 r.db "select count(*) from security_log where kind = 'csrf'")
total=$(sqlite3 r.db "select sum(count) from security_log where kind = 'csrf'")
[ "$rows" -le 4 ] && [ "$total" -ge 60 ] || fail "csrf flood: $rows rows counting $total"
[ "$(sqlite3 r.db "select count(*) from security_log where kind = 'login_failed'")" -ge 1 ] || fail "no failed logins logged"
expect_status 0 $P user security --db r.db
expect_grep "csrf" out.txt
# a release from the command line: number 3 (two were made over HTTP); its snapshot holds no
# dismissed problem and no evaluator identity (seed 002 八(三): 不得泄露入户调查、项目核查和座谈访谈资料)
expect_status 0 $P release create --db r.db --round n
expect_grep "^round n: release 3, sha256 [0-9a-f]{64}$" out.txt
sqlite3 r.db "select snapshot from releases where number = 3" > snap.json
python3 - "$p2" <<'PY' || fail "release snapshot"
import json, sys
s = json.load(open("snap.json")); p2 = int(sys.argv[1])
assert s["round"] == "n" and "figures" in s
assert all(p["id"] != p2 for p in s["confirmed_problems"]), "a dismissed problem in the release"
assert "lead" not in json.dumps(s) and "found_by" not in json.dumps(s)
PY
[ "$(sqlite3 r.db "select count(*) from audit_log where action = 'release'")" = 3 ] || fail "releases not logged"
expect_status 0 $P audit verify --db r.db
expect_status 0 $P user list --db r.db
expect_grep "^boss .* active +no +office" out.txt

# reports for download (issue 11: "reports for download (made by the library, masked and logged
# as the CLI's)"; "reads of unmasked names or IDs are logged"): who may download which file,
# before and after the release, masked unless the office asks, every unmasked read in the
# change log with the user and the file
# (the round has one county, $county; $other is a county outside it: a grant there sees nothing)
for u in roff:office:0 rlead:leader:$county rlead2:leader:$other rcty:county:$county rcty2:county:$other robs:observer:0; do
  name=${u%%:*}; rest=${u#*:}; role=${rest%%:*}; sc=${rest#*:}
  case $role in leader) extra="--round n --scope $sc";; county) extra="--scope $sc";; *) extra="";; esac
  echo "Rep-Pass-2020" | $P user add --db rep.db --role "$role" $extra "$name" >/dev/null
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$P serve --db rep.db --listen "127.0.0.1:$port" >rep.log 2>rep.err &
rpid=$!
i=0
until grep -q listening rep.log 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { cat rep.err >&2; fail "the reports server did not start"; }
  sleep 0.1
done
python3 - "$port" "$county" "$other" "$unit" >rep.out 2>rep.drive.err <<'PY' || {
import http.client, json, re, sys, threading, os
port, county, other, unit = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ORIGIN = "http://127.0.0.1:%d" % port
def req(method, path, body=None, ck=None, csrf=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    h = {"Origin": ORIGIN}
    if body is not None: h["Content-Type"] = "application/json"
    if ck: h["Cookie"] = "pinggu_session=" + ck
    if csrf: h["X-CSRF-Token"] = csrf
    c.request(method, path, body=json.dumps(body).encode() if body is not None else None, headers=h)
    r = c.getresponse(); raw = r.read(); hd = dict((k.lower(), v) for k, v in r.getheaders()); c.close()
    return r.status, raw, hd
def login(user):
    st, raw, hd = req("POST", "/api/session", {"user": user, "password": "Rep-Pass-2020"})
    assert st == 200, (user, st, raw)
    ck = hd["set-cookie"].split(";")[0].split("=", 1)[1]; csrf = json.loads(raw)["csrf_token"]
    st, raw, _ = req("POST", "/api/me/password", {"old": "Rep-Pass-2020", "new": "Rep-Pass-2021"}, ck, csrf)
    assert st == 200, raw
    return ck, csrf
def get(ck, f, q=""): return req("GET", "/api/rounds/n/reports/%s%s" % (f, q), ck=ck)
def listing(ck):
    st, raw, _ = req("GET", "/api/rounds/n/reports", ck=ck)
    assert st == 200, (st, raw)
    return json.loads(raw)
RID = re.compile(rb"\b[1-9]\d{16}[\dX]\b")
off, lead, lead2, cty, cty2, obs = (login(u) for u in ["roff", "rlead", "rlead2", "rcty", "rcty2", "robs"])
mine = "county-%d.html" % county
# the same new file uploaded by 16 threads at once: every upload stored (before, the blob's
# temporary name was the process ID's, shared by every server thread: one thread's rename took
# another's half-written file, whose own rename then failed), one blob, intact
blob = os.urandom(3 << 20)
got = []
def up(k):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request("POST", "/api/evidence?round=n&unit=%s&name=same-%d.jpg" % (unit, k), body=blob,
              headers={"Origin": ORIGIN, "Cookie": "pinggu_session=" + lead[0], "X-CSRF-Token": lead[1],
                       "Content-Type": "application/octet-stream"})
    r = c.getresponse(); got.append((r.status, r.read())); c.close()
ts = [threading.Thread(target=up, args=(k,)) for k in range(16)]
for t in ts: t.start()
for t in ts: t.join()
import hashlib
assert len(got) == 16 and all(s == 201 for s, _ in got), [(s, b[:200]) for s, b in got if s != 201]
assert {json.loads(b)["sha256"] for _, b in got} == {hashlib.sha256(blob).hexdigest()}
print(hashlib.sha256(blob).hexdigest())
# before the release: the leader of the county its reports, masked, never unmasked; a leader
# elsewhere, the liaisons and the observer nothing
l = listing(lead[0])
assert mine in [f["file"] for f in l["files"]] and l["provisional"] is True and l["unmasked_allowed"] is False, l
assert listing(lead2[0])["files"] == []
st, page, hd = get(lead[0], mine)
assert st == 200 and hd["content-disposition"].startswith("attachment") and hd["content-type"].startswith("text/html"), (st, hd)
assert hd["x-content-type-options"] == "nosniff" and "no-store" in hd["cache-control"]
assert b"<html" in page and not RID.search(page), "the leader's page is not masked"
assert get(lead[0], mine, "?unmasked=1")[0] == 403
for who in (lead2, cty, cty2, obs):
    for f in (mine, "index.html", "report.xlsx"):
        assert get(who[0], f)[0] == 403, f
assert get(off[0], "../r.db")[0] == 404 and get(off[0], "county-%d.html" % other)[0] == 404 and get(off[0], "x.html")[0] == 404
# the office: everything, masked unless it asks; the workbook is a workbook
st, masked, _ = get(off[0], mine)
assert st == 200 and masked == page
st, xl, hd = get(off[0], "report.xlsx")
assert st == 200 and xl[:2] == b"PK" and "spreadsheetml" in hd["content-type"], hd
st, idx, _ = get(off[0], "index.html")
assert st == 200 and not RID.search(idx)
# the city level: its page made and served like the county's (lists the city too)
st, cpage, hd = get(off[0], "city-%d.html" % (county // 100))
assert st == 200 and b"<html" in cpage and hd["content-type"].startswith("text/html"), st
assert "city-%d.html" % (county // 100) in [f["file"] for f in listing(off[0])["files"]]
assert get(lead2[0], "city-%d.html" % (county // 100))[0] == 403
st, full, hd = get(off[0], mine, "?unmasked=1")
assert st == 200 and full != masked and "unmasked" in hd["content-disposition"], hd
lst = listing(off[0])
assert lst["unmasked_allowed"] is True and {"index.html", "problems.html", "report.xlsx", mine} <= {f["file"] for f in lst["files"]}
# the release: the county liaison its own county's page, the observer everything (masked)
st, _, _ = req("POST", "/api/rounds/n/releases", {}, off[0], off[1])
assert st == 201, st
st, cp, _ = get(cty[0], mine)
assert st == 200 and not RID.search(cp)
assert get(cty2[0], mine)[0] == 403 and get(cty2[0], "index.html")[0] == 403 and listing(cty2[0])["files"] == []
assert get(obs[0], "index.html")[0] == 200 and get(obs[0], mine)[0] == 200
assert get(obs[0], mine, "?unmasked=1")[0] == 403
print("ok")
PY
  cat rep.drive.err rep.err >&2; kill -TERM $rpid; fail "report downloads"; }
kill -TERM $rpid
wait $rpid || fail "the reports server did not stop cleanly"
# exactly the one unmasked read is in the change log, by the office user, naming the file
[ "$(sqlite3 rep.db "select count(*) from audit_log where action = 'report download'")" = 1 ] || fail "unmasked reads not logged once"
sqlite3 rep.db "select actor, detail from audit_log where action = 'report download'" > dl.txt
expect_grep "^roff\|.*\"file\":\"county-$county.html\".*\"unmasked\":true|^roff\|.*\"unmasked\":true.*\"file\":\"county-$county.html\"" dl.txt
expect_status 0 $P audit verify --db rep.db
sha=$(head -1 rep.out)
[ "$(sqlite3 rep.db "select count(*) from evidence where sha256 = '$sha'")" = 1 ] || fail "the blob recorded more than once"
[ "$(sqlite3 rep.db "select count(*) from evidence_links where evidence = '$sha'")" = 16 ] || fail "not one link per upload"
expect_status 0 $P evidence verify --db rep.db
[ -z "$(find rep.db.evidence -name '.tmp-*')" ] || fail "temporary blob files left behind"
