# t_public_query.sh — issue 15, the household query (seed 003): `pinggu household codes`
# writes the notice cards' query codes and SMS text (logged), and `pinggu serve --public-query`
# answers only the query: category, exit year and assistance measures of the household, never
# health, disability, 低保 or judgment data; wrong code, unknown ID and a reached rate limit get
# the same answer after the same work (the query log's counts of hashes and statements — no
# timing), and the log keeps hashed IDs only.
#
# Seed 003: "通过专题培训和村民小组会、院坝会、短信微信等多种形式……确保每个贫困家庭都能及时了解
# 扶贫信息并自主行使相关权利" and "开发推出了贫困农户在线查询系统、手机版查询系统等".
. "$TESTS_DIR/lib.sh"
P=$PINGGU
export PINGGU_NOW=2020-05-01T08:00:00Z
$P synth --out prov --seed 7 --counties 2 >/dev/null
$P init r.db >/dev/null
$P import --db r.db prov >/dev/null
county=$(sqlite3 r.db "select code from counties order by code limit 1")

# bad input: nothing written
expect_status 64 $P household codes --db r.db --county "$county" --out cards.csv
expect_status 2 $P household codes --db r.db --county 12 --url https://x.example/ --out cards.csv
[ ! -e cards.csv ] || fail "a refused run wrote the cards"

before=$(sqlite3 r.db "select count(*) from audit_log")
expect_status 0 $P household codes --db r.db --county "$county" --url https://cx.example/q --out cards.csv
expect_grep "household\(s\): query codes" out.txt
[ "$(stat -c %a cards.csv)" = 600 ] || fail "the cards file is readable by others"
n=$(sqlite3 r.db "select count(*) from households h join villages v on v.code = h.village where h.registered = 1 and v.county = $county")
[ "$(($(wc -l < cards.csv) - 1))" = "$n" ] || fail "not one card line per registered household of the county ($n)"
# logged (personal data written), with the acting user
[ "$(sqlite3 r.db "select count(*) from audit_log where action = 'household codes' and actor = 'tester'")" = 1 ] \
  || fail "the codes run is not in the change log"
[ "$(sqlite3 r.db "select count(*) from audit_log")" = $((before + 1)) ] || fail "one change-log entry expected"
# a second run gives the same codes (cards can be printed again)
cp cards.csv cards1.csv
$P household codes --db r.db --county "$county" --url https://cx.example/q --out cards.csv >/dev/null
cmp -s cards.csv cards1.csv || fail "codes changed between runs"
# no code and no plain resident ID in the store
sqlite3 r.db "select id_hash from hq_ids" | grep -qvE '^[0-9a-f]{64}$' && fail "hq_ids holds something other than hashes"

# a household with a card: one of its members' IDs, its code; and a household of the other county
python3 - "$county" <<'PYEOF' > pick.txt
import csv, sys
county = sys.argv[1]
cards = list(csv.DictReader(open("cards.csv", encoding="utf-8")))
assert cards[0]["message"].startswith("【") and cards[0]["code"] in cards[0]["message"] and "https://cx.example/q" in cards[0]["message"], cards[0]
hh = {r["household_id"]: r for r in csv.DictReader(open("prov/households.csv", encoding="utf-8"))}
mem = list(csv.DictReader(open("prov/members.csv", encoding="utf-8")))
# prefer an exited household with a member in school, so the page shows a year and a count
def members(h): return [m for m in mem if m["household_id"] == h]
best = None
for c in cards:
    h = hh[c["household_id"]]
    ms = members(c["household_id"])
    if h["exit_year"] and len(ms) > 1:
        best = (c, h, ms); break
c, h, ms = best
other = next(r for r in hh.values() if r["registered"] == "1" and not r["household_id"].startswith(county))
om = members(other["household_id"])[0]
c2 = next(x for x in cards if x["household_id"] != c["household_id"])
print(ms[1]["resident_id"], c["code"], h["exit_year"], c["household_id"], om["resident_id"], h["relocated"],
      members(c2["household_id"])[0]["resident_id"], c2["code"])
PYEOF
read rid code exit hh otherid relocated rid2 code2 < pick.txt

# plain HTTP behind nginx only
expect_status 64 $P serve --public-query --db r.db --listen 127.0.0.1:1 --tls-cert c.pem --tls-key k.pem
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$P serve --public-query --db r.db --listen "127.0.0.1:$port" >serve.log 2>serve.err &
spid=$!
i=0
until grep -q listening serve.log 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { cat serve.err >&2; fail "the listener did not start"; }
  sleep 0.1
done

cat > drive.py <<'PYEOF'
import http.client, sys, urllib.parse
port = int(sys.argv[1]); rid, code, exit_year, hh, otherid, relocated, rid2, code2 = sys.argv[2:10]

def req(method, path, form=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = dict(headers or {})
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form).encode()
        h["Content-Type"] = "application/x-www-form-urlencoded"
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read().decode("utf-8")
    hdrs = dict((k.lower(), v) for k, v in r.getheaders())
    c.close()
    return r.status, data, hdrs

def q(i, c, **kw): return req("POST", "/query", {"id": i, "code": c}, **kw)

# the form: zh-CN, no cookie, no script allowed
st, page, h = req("GET", "/")
assert st == 200 and 'lang="zh-CN"' in page and "查询码" in page and "身份证号" in page, page
assert "set-cookie" not in h and "script-src" not in h["content-security-policy"], h
assert h["cache-control"] == "no-store"
# nothing else is served: no session, no API, no other route
for m, p in [("GET", "/api/me"), ("POST", "/api/session"), ("GET", "/api/rounds"), ("GET", "/evidence/1"), ("GET", "/../r.db")]:
    st, _, h = req(m, p)
    assert st == 404 and "set-cookie" not in h, (m, p, st)

# the right pair: category, exit year, measures — and none of what a household may not see
st, ok, h = q(rid, code)
assert st == 200 and "已脱贫户" in ok and (exit_year + "年") in ok and hh in ok, ok
assert "基本医疗保险" in ok and "帮扶措施" in ok and "易地扶贫搬迁" in ok, ok
assert ("已搬迁安置" in ok) == (relocated == "1"), ok
for word in ["低保", "特困", "残疾", "disab", "疾病", "illness_", "health", "收入", "income", "抽样", "sample", "研判", "judg", rid]:
    assert word not in ok, word
# the code as printed with spaces or a dash still works
st, ok2, _ = q(rid, code[:4] + "-" + code[4:8] + " " + code[8:])
assert ok2 == ok

# refusals: wrong code, unknown ID, the other county's household (no card), an empty form
wrong = "%010d" % ((int(code) + 1) % 10**10)
answers = [q(rid, wrong), q("110101199003078515", code), q(otherid, code), q("", ""), q("abc", "12")]
assert all(a == answers[0][:2] for a in [(s, b) for s, b, _ in answers]), answers
st, refused, _ = answers[0]
assert st == 200 and "未能查询" in refused and "身份证号与查询码不匹配，或查询次数过多" in refused
assert refused != ok
# the per-ID limit (5 a day): the right pair refused with the same page once reached
# (this ID has had 3 queries: two right, one wrong code)
for k in range(2): assert q(rid, code)[1] == ok
for k in range(3): assert q(rid, code)[:2] == (200, refused)
# the per-address limit (20 an hour): 12 queries so far from this address; another household's
# pair answers, unknown IDs fill the hour, then that pair is refused with the same page
st, ok3, _ = q(rid2, code2)
assert st == 200 and "户类别" in ok3 and ok3 != refused
for k in range(7): assert q("11010119900307%04d" % k, code)[:2] == (200, refused)
assert q(rid2, code2)[:2] == (200, refused)
print("ok")
PYEOF
python3 drive.py "$port" "$rid" "$code" "$exit" "$hh" "$otherid" "$relocated" "$rid2" "$code2" >drive.out 2>drive.err || {
  cat drive.err serve.err >&2; kill -TERM $spid; fail "the household query checks failed"; }
kill -TERM $spid
wait $spid || fail "the listener did not stop cleanly"

# behind a proxy (its X-Forwarded-For believed): 12 queries of one pair at once from 12
# addresses; that ID has 3 of its 5 a day left, and exactly 3 are answered (the check and its
# log row are one transaction: concurrent queries cannot all slip under the limit)
$P serve --public-query --db r.db --listen "127.0.0.1:$port" --trusted-proxy 127.0.0.1 --threads 4 >serve2.log 2>serve2.err &
spid=$!
i=0
until grep -q listening serve2.log 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { cat serve2.err >&2; fail "the listener did not start again"; }
  sleep 0.1
done
python3 - "$port" "$rid2" "$code2" >burst.out 2>burst.err <<'PYEOF' || { cat burst.err >&2; kill -TERM $spid; fail "burst"; }
import http.client, sys, threading, urllib.parse
port, rid, code = int(sys.argv[1]), sys.argv[2], sys.argv[3]
res = []
def one(k):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("POST", "/query", urllib.parse.urlencode({"id": rid, "code": code}),
              {"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": "10.0.0.%d" % k})
    r = c.getresponse(); res.append(r.read().decode()); c.close()
ts = [threading.Thread(target=one, args=(k,)) for k in range(12)]
for t in ts: t.start()
for t in ts: t.join()
ok = sum("户类别" in b for b in res)
assert ok == 3 and sum("未能查询" in b for b in res) == 9, ok
print("ok")
PYEOF
kill -TERM $spid
wait $spid || fail "the listener did not stop cleanly"
[ "$(sqlite3 r.db "select count(distinct addr) from hq_queries where addr like '10.0.0.%'")" = 12 ] || fail "the proxy's addresses were not logged"

# the log: hashed IDs only; every refusal did the same work as every other
expect_status 0 $P household log --db r.db
expect_no_grep "$rid" out.txt
sqlite3 r.db "select id_hash from hq_queries" | grep -qvE '^[0-9a-f]{64}$' && fail "a logged ID is not a hash"
[ "$(sqlite3 r.db "select count(*) from hq_queries")" = 33 ] || fail "33 queries expected in the log"
sqlite3 r.db "select outcome, hashes, statements from hq_queries where outcome <> 'ok' group by 1, 2, 3 order by 1" > work.txt
cat > work.want <<'EOF'
limited|2|3
unknown|2|3
wrong_code|2|3
EOF
diff work.want work.txt || fail "refusals did different work"
[ "$(sqlite3 r.db "select count(distinct hashes || '/' || statements) from hq_queries")" = 1 ] \
  || fail "the check's work depends on the outcome"
# the right pair refused at the limit is logged as limited, not ok
[ "$(sqlite3 r.db "select count(*) from hq_queries where outcome = 'ok'")" = 8 ] || fail "8 answered queries expected"
expect_status 0 $P audit verify --db r.db

# --- a registry re-import: the look-up follows the registry in force -------------------------
# (brief field12 item 4) Reading taken: the hashed IDs (hq_ids) are rebuilt inside the import's
# own transaction (registry_hq_refresh), not derived at query time: the registry keeps resident
# IDs without an index to find a member by (a query-time look-up would read every member on
# every query), and hq_ids also records which households were given a card. A household given a
# code keeps it (the code is derived from the household ID); its members are the new registry's.
# The office re-imports with one member of a carded household gone and a new member (new ID) in
# another — without running `household codes` again.
python3 - "$county" <<'PYEOF' > reimport.txt
import csv, os, shutil, sys
county = sys.argv[1]
shutil.copytree("prov", "prov2")
cards = {r["household_id"]: r for r in csv.DictReader(open("cards.csv", encoding="utf-8"))}
rows = list(csv.DictReader(open("prov/members.csv", encoding="utf-8")))
fields = list(rows[0].keys())
by = {}
for r in rows: by.setdefault(r["household_id"], []).append(r)
# gone: a non-head member of a carded household of several members
hh1 = next(h for h in sorted(cards) if len(by[h]) >= 3)
gone = next(r for r in by[hh1] if r["relation"] != "head")
# new: a child born in 2019 into another carded household; a valid ID (GB 11643 check digit)
hh2 = next(h for h in sorted(cards) if h != hh1)
base = by[hh2][0]["resident_id"][:6] + "20190315" + "123"
w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
new_id = base + "10X98765432"[sum(int(a) * b for a, b in zip(base, w)) % 11]
assert new_id not in {r["resident_id"] for r in rows}
child = dict(by[hh2][-1], resident_id=new_id, name="新生儿", relation="child", birth_date="2019-03-15",
             education="none", in_school="0", health="healthy", labour="none")
out = [r for r in rows if r is not gone]
out.insert(out.index(by[hh2][-1]) + 1, child)
with open("prov2/members.csv", "w", encoding="utf-8", newline="") as f:
    wr = csv.DictWriter(f, fieldnames=fields, lineterminator="\n"); wr.writeheader(); wr.writerows(out)
keep = next(r for r in by[hh1] if r is not gone)
print(gone["resident_id"], cards[hh1]["code"], keep["resident_id"], new_id, cards[hh2]["code"], hh1, hh2)
PYEOF
read gone_id code_a keep_id new_id code_b hh_a hh_b < reimport.txt
sqlite3 r.db "select count(*) from hq_ids" > ids_before.txt
expect_status 0 $P import --db r.db prov2
# the refresh rewrote hq_ids in the import's transaction: one row fewer, one more, still hashes only
[ "$(sqlite3 r.db "select count(*) from hq_ids")" = "$(cat ids_before.txt)" ] || fail "hq_ids not one-for-one after the re-import"
sqlite3 r.db "select id_hash from hq_ids" | grep -qvE '^[0-9a-f]{64}$' && fail "hq_ids holds something other than hashes"
[ "$(sqlite3 r.db "select count(distinct household_id) from hq_ids")" = "$(($(wc -l < cards.csv) - 1))" ] ||
  fail "the re-import changed which households have a card"
# a day later (the earlier queries' limits have passed)
PINGGU_NOW=2020-05-03T08:00:00Z $P serve --public-query --db r.db --listen "127.0.0.1:$port" >serve3.log 2>serve3.err &
spid=$!
i=0
until grep -q listening serve3.log 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { cat serve3.err >&2; fail "the listener did not start after the re-import"; }
  sleep 0.1
done
python3 - "$port" "$gone_id" "$code_a" "$keep_id" "$new_id" "$code_b" "$hh_a" "$hh_b" >re.out 2>re.err <<'PYEOF' || { cat re.err >&2; kill -TERM $spid; fail "the look-up does not follow the re-imported registry"; }
import http.client, sys, urllib.parse
port = int(sys.argv[1]); gone, code_a, keep, new, code_b, hh_a, hh_b = sys.argv[2:9]
def q(i, c):
    h = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h.request("POST", "/query", urllib.parse.urlencode({"id": i, "code": c}), {"Content-Type": "application/x-www-form-urlencoded"})
    r = h.getresponse(); b = r.read().decode("utf-8"); h.close(); return r.status, b
st, new_page = q(new, code_b)       # the new member: the household's card now answers for them
assert st == 200 and "户类别" in new_page and hh_b in new_page, ("new member refused", new_page[:300])
st, keep_page = q(keep, code_a)     # a member still there: answered as before
assert st == 200 and "户类别" in keep_page and hh_a in keep_page, keep_page[:300]
st, gone_page = q(gone, code_a)     # the member no longer in the registry: refused like any unknown ID
assert st == 200 and "未能查询" in gone_page and hh_a not in gone_page, ("a removed member still answered", gone_page[:300])
assert q("110101199003078515", code_a) == (st, gone_page)
print("ok")
PYEOF
kill -TERM $spid
wait $spid || fail "the listener did not stop cleanly"
[ "$(sqlite3 r.db "select outcome from hq_queries order by row_no desc limit 4" | tr '\n' ' ')" = "unknown unknown ok ok " ] ||
  fail "the re-import's queries were logged as $(sqlite3 r.db "select outcome from hq_queries order by row_no desc limit 4" | tr '\n' ' ')"
# still the same counted work for every answer and refusal
[ "$(sqlite3 r.db "select count(distinct hashes || '/' || statements) from hq_queries")" = 1 ] \
  || fail "the check's work depends on the outcome after the re-import"
expect_status 0 $P audit verify --db r.db
