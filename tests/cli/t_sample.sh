# t_sample.sh — issue 3 through the real binary: plan check errors with JSON paths, seed
# commitments, drawing a sample with its manifest, verification (also after a later
# registry import), and its failures on a changed frame, a wrong seed and a tampered
# selection; teams.
. "$TESTS_DIR/lib.sh"

for p in "$ROOT"/plans/*.json; do expect_status 0 $PINGGU plan check "$p"; done
python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); p["households"]["quotas"][2]["fallback"][0]="exitted"; json.dump(p,open("bad.json","w"),ensure_ascii=False)' "$ROOT/plans/anhui-cross-2019.json"
expect_status 2 $PINGGU plan check bad.json
expect_grep 'households.quotas\[2\].fallback\[0\]: unknown category "exitted"' err.txt
python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); p["village_standard"][2]["item"]="brodband"; json.dump(p,open("bad.json","w"),ensure_ascii=False)' "$ROOT/plans/anhui-cross-2019.json"
expect_status 2 $PINGGU plan check bad.json
expect_grep 'village_standard\[2\].item: unknown village-standard item "brodband"' err.txt

expect_status 0 $PINGGU seed commit abc
expect_grep "^ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad$" out.txt

$PINGGU synth --out prov --seed 2 --counties 4 >/dev/null  # two cities
$PINGGU init s.db >/dev/null
$PINGGU import --db s.db prov >/dev/null
SEED=31415926535897932384
C=$($PINGGU seed commit $SEED)
expect_status 0 $PINGGU sample --db s.db --plan "$ROOT/plans/district-2020h1.json" --seed $SEED --name d1 --manifest m.json
expect_grep "county 县" out.txt
expect_status 1 $PINGGU sample --db s.db --plan "$ROOT/plans/district-2020h1.json" --seed $SEED --name d1
expect_grep "exists already" err.txt
expect_status 0 $PINGGU sample show --db s.db --name d1 --json
expect_grep '"stage": "household"' out.txt
expect_status 0 $PINGGU sample verify --db s.db m.json --commitment $C
expect_grep "identical" out.txt

# issue 16 item 10 — seed 004 一4: "6个重点乡镇各随机抽取3个村,5个非重点乡镇各随机抽取2个村,共计28个村,
# 兼顾脱贫村和非贫困村。" Every township holding poor and non-poor villages gives at least one of
# each (by_township min_poor/min_nonpoor); the same plan without the rule leaves townships
# with one kind only.
# (the villages through the sqlite3 shell, so the backend switch's stand-in reads them too)
cat > mix.py <<'PY'
import json, subprocess, sys
rows = [l.split("|") for l in subprocess.run(["sqlite3", sys.argv[1], "SELECT code, poor, township FROM villages"],
        check=True, capture_output=True, text=True).stdout.split()]
poor = {c: 1 if int(p) else 0 for c, p, t in rows}
kinds = {}
for c, p, t in rows:
    kinds.setdefault(int(t), set()).add(1 if int(p) else 0)
got = {}
for u in json.load(open(sys.argv[2]))["units"]:
    if u["stage"] == "village":
        got.setdefault(int(u["parent"]), set()).add(poor[u["code"]])
mixed = [t for t in got if kinds[t] == {0, 1}]
bad = [t for t in mixed if got[t] != {0, 1}]
print("mixed", len(mixed), "without both", len(bad))
PY
python3 mix.py s.db m.json > mix.txt
expect_grep "^mixed [1-9][0-9]* without both 0$" mix.txt
python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); [p["villages"]["by_township"].pop(k) for k in ("min_poor","min_nonpoor")]; [p["sources"].pop("villages.by_township."+k) for k in ("min_poor","min_nonpoor")]; json.dump(p,open("nomix.json","w"),ensure_ascii=False)' "$ROOT/plans/district-2020h1.json"
expect_status 0 $PINGGU sample --db s.db --plan nomix.json --seed $SEED --name d0 --manifest m0.json
python3 mix.py s.db m0.json > mix.txt
expect_grep "^mixed [1-9][0-9]* without both [1-9][0-9]*$" mix.txt
expect_status 0 $PINGGU plan show "$ROOT/plans/district-2020h1.json"
expect_grep "at least 1 poor and 1 non-poor in each township" out.txt

# the Anhui plan with teams
expect_status 0 $PINGGU sample --db s.db --plan "$ROOT/plans/anhui-cross-2019.json" --seed 777 --name anhui
expect_status 0 $PINGGU teams draw --db s.db --plan "$ROOT/plans/anhui-cross-2019.json" --seed 2019 --sample anhui
expect_grep "local cadres \((6[0-9]|[7-9][0-9]|100)%\)" out.txt
# no unmasked name (two or more Chinese characters) before a member's city (grep's ranges
# of CJK characters depend on the locale: Python's do not)
python3 -c 'import re,sys; t=open("out.txt",encoding="utf-8").read(); m=re.search(r"[\u4e00-\u9fa5]{2,} +city",t); sys.exit("unmasked name: "+m.group(0) if m else 0)'

expect_status 2 $PINGGU teams draw --db s.db --plan "$ROOT/plans/district-2020h1.json" --seed 2019 --sample anhui

# a later registry import does not break verification (the frame is frozen)
$PINGGU synth --out prov2 --seed 6 --counties 1 >/dev/null
$PINGGU import --db s.db prov2 >/dev/null
expect_status 0 $PINGGU sample verify --db s.db m.json --commitment $C

# wrong seed against the commitment
expect_status 1 $PINGGU sample verify --db s.db m.json --commitment $($PINGGU seed commit 27182818284590452353)
expect_grep "wrong seed" out.txt
# a tampered selection in the manifest
python3 - <<'PY'
import json
m = json.load(open("m.json"))
for u in m["units"]:
    if u["stage"] == "household" and not u["reserve"]:
        u["code"] = u["code"][:-1] + ("1" if u["code"][-1] != "1" else "2")
        break
json.dump(m, open("m2.json", "w"), ensure_ascii=False)
PY
expect_status 1 $PINGGU sample verify --db s.db m2.json
expect_grep "tampered selection" out.txt
# a changed frozen-frame row
cp s.db s2.db
sqlite3 s2.db "UPDATE sample_frame SET attrs = replace(attrs, '\"registered\":0', '\"registered\":1') WHERE row_no = (SELECT min(row_no) FROM sample_frame WHERE level = 'household')"
expect_status 1 $PINGGU sample verify --db s2.db m.json
expect_grep "changed frame" out.txt


# issue 9 item 10: a quota the frame cannot fill. plan check --db warns per county; the draw
# and `sample show` print every stage's shortfall (villages per county and in the summary,
# households per village and in the summary).
C1=$(sqlite3 s.db "SELECT min(code) FROM counties")
NPOOR=$(sqlite3 s.db "SELECT count(*) FROM villages WHERE county = $C1 AND poor = 1")
python3 - "$ROOT/plans/shaanxi-four-rates-2017.json" "$C1" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["id"] = "short-quota"
p["scope"] = {"county": int(sys.argv[2])}
p["villages"]["strata"][0]["n"] = 1000      # poor villages: more than any county holds
p["villages"]["strata"][1]["n"] = 1
q = p["households"]["quotas"][1]            # unexited: 40 per village, no fallback
q["n"] = 40
q.pop("fallback", None)
json.dump(p, open("short.json", "w"), ensure_ascii=False)
PY
expect_status 0 $PINGGU plan check short.json
expect_no_grep "warning" out.txt
expect_status 0 $PINGGU plan check short.json --db s.db
expect_grep "^warning: county $C1 .*: village stratum poor: quota n = 1000 exceeds the $NPOOR poor villages its frame holds \(the draw will be short by $((1000 - NPOOR))\)" out.txt
expect_grep "^warning: county $C1 .*: household quota unexited \(n = 40 per village\) cannot be filled in [0-9]+ of its [0-9]+ villages" out.txt
expect_grep "^2 warnings: the frame of (s.db|postgresql:///[^ ]*) cannot fill every quota \(1 county checked\)" out.txt
expect_status 0 $PINGGU plan check --db s.db "$ROOT/plans/shaanxi-four-rates-2017.json"
expect_grep "every quota fits the frame" out.txt
expect_status 0 $PINGGU sample --db s.db --plan short.json --seed 9 --name short
cp out.txt draw.txt
expect_status 0 $PINGGU sample show --db s.db --name short
for f in draw.txt out.txt; do
  expect_grep "^  villages 村 \(taken/quota of frame\): poor $NPOOR/1000 of $NPOOR \(SHORT $((1000 - NPOOR)) 缺额\), nonpoor 1/1 of [0-9]+$" $f
  expect_grep "^  village +村: 1 of 2 strata short by $((1000 - NPOOR)) units in all \(of 1001 asked for\): poor of $C1 $NPOOR/1000" $f
  HSHORT=$(sqlite3 s.db "SELECT count(*) || ' of ' || (SELECT count(*) FROM sample_strata t WHERE t.sample = (SELECT row_no FROM samples WHERE name = 'short') AND t.stage = 'household') || ' strata short by ' || sum(shortfall) FROM sample_strata s WHERE sample = (SELECT row_no FROM samples WHERE name = 'short') AND stage = 'household' AND shortfall > 0")
  expect_grep "^  household +户: $HSHORT units in all" $f
  expect_grep "unexited [0-9]+/40 \(short [0-9]+\)" $f
  expect_grep "^  county +县: none" $f
done
# a sample without shortfalls says so at every stage
expect_status 0 $PINGGU sample show --db s.db --name d1
expect_grep "^  village +村: none" out.txt

# a registry without projects (a snapshot import has none): a plan that draws projects still
# draws its households and villages, and simply finds no project (UBSan: memcpy from NULL before)
$PINGGU synth --out noproj --seed 3 --counties 2 >/dev/null
head -1 noproj/projects.csv > noproj/p.csv && mv noproj/p.csv noproj/projects.csv
$PINGGU init np.db >/dev/null
$PINGGU import --db np.db noproj >/dev/null
expect_status 0 $PINGGU sample --db np.db --plan "$ROOT/plans/anhui-cross-2019.json" --seed 1 --name np
[ "$(sqlite3 np.db "select count(*) from sample_units where stage = 'household'")" -gt 0 ] || fail "no households drawn without projects"
[ "$(sqlite3 np.db "select count(*) from sample_units where stage like '%project%'")" = 0 ] || fail "projects drawn from none"
