# t_analysis.sh — the analysis export (issue 5) through the real binary: a noise-free
# simulated round on the national plan (every county assessed, so the figures above a county
# use villages within county × stratum) and on the national plan as shipped (counties sampled:
# counties within provinces); the CSV is re-analysed by bench/estimation/reproduce.py, an
# independent Python implementation of the R survey code in docs/estimation.md, and every
# figure of `pinggu indicators --json` (estimate, SE, interval, design effect, n_eff, df,
# households, persons) must agree to 1e-9 at the county, city and province levels. Stata and
# SPSS files are written; bad formats are usage errors and leave nothing behind.
. "$TESTS_DIR/lib.sh"
REPRO="$ROOT/bench/estimation/reproduce.py"
$PINGGU synth --out prov --seed 8 --counties 2 --year 2019 >/dev/null
$PINGGU init r.db >/dev/null
$PINGGU import --db r.db prov >/dev/null
python3 - "$ROOT/plans/national-spotcheck-2019.json" all.json <<'PY'
import json, sys
p = json.load(open(sys.argv[1], encoding="utf-8"))
p["id"] += "-all"
p["counties"] = {"select": "all"}
json.dump(p, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
PY
$PINGGU sample --db r.db --plan all.json --seed 31 --name all >/dev/null
$PINGGU sample --db r.db --plan "$ROOT/plans/national-spotcheck-2019.json" --seed 31 --name spot >/dev/null
for s in all spot; do
  $PINGGU field simulate --db r.db --sample $s --truth prov/truth.csv --seed 3 --error-rate 0 \
    --nonresponse 0.05 --forms "$ROOT/forms" >/dev/null
  $PINGGU judge --db r.db --sample $s >/dev/null
  expect_status 0 $PINGGU export analysis --db r.db --sample $s --out $s.csv
  expect_grep "^exported the analysis file of sample $s to $s.csv" out.txt
  head -1 $s.csv | grep -q '^sample,record,household,province,city,county,village,stratum,county_stratum,stratum_upper,psu_upper,weight,weight_province,pi_county,pi_village,pi_household,nonresponse,category,quota,persons,exited,wrong_exit,missed,approval,wrong_persons,missed_persons,four_kinds,R,U,E,G$' ||
    fail "header of $s.csv: $(head -1 $s.csv)"
  for level in county city province; do
    $PINGGU indicators --db r.db --sample $s --level $level --json > $s-$level.json
    expect_status 0 python3 "$REPRO" $s.csv --level $level --check $s-$level.json --tol 1e-9
    expect_grep "every figure agrees" out.txt
  done
done
# the household rows: one per complete household questionnaire; then one totals row per county
n=$(sqlite3 r.db "select count(*) from questionnaires q join samples s on s.row_no = q.sample where s.name = 'all' and q.status = 'complete' and q.unit_kind = 'household'")
[ "$(awk -F, '$2 == "household"' all.csv | wc -l)" = "$n" ] || fail "all.csv has $(wc -l < all.csv) lines for $n households"
nc=$(sqlite3 r.db "select count(*) from sample_units u join samples s on s.row_no = u.sample where s.name = 'all' and u.stage = 'county'")
[ "$(awk -F, '$2 == "county"' all.csv | wc -l)" = "$nc" ] || fail "all.csv has not $nc county rows"
# a tampered weight is caught
awk -F, 'BEGIN { OFS = "," } NR == 2 { $12 = $12 * 1.5 } { print }' all.csv > bad.csv
expect_status 1 python3 "$REPRO" bad.csv --check all-county.json
expect_grep "DIFFERS" out.txt

# issue 16 item 15: a county without a surveyed household stays in the file as its totals row,
# so the province figures computed from the file are pinggu's (they were not: 0.0176 vs 0.0223)
sid="(select row_no from samples where name = 'all')"
c1=$(sqlite3 r.db "select min(county) from sample_units where sample = $sid and stage = 'county'")
cp r.db gone.db
sqlite3 gone.db "delete from questionnaires where sample = $sid and county = $c1 and unit_kind = 'household'"
$PINGGU indicators --db gone.db --sample all --level province --json > gone-province.json
expect_status 0 $PINGGU export analysis --db gone.db --sample all --out gone.csv
[ "$(awk -F, -v c=$c1 '$2 == "household" && $6 == c' gone.csv | wc -l)" = 0 ] || fail "gone.csv has households of $c1"
awk -F, -v c=$c1 '$2 == "county" && $6 == c' gone.csv | grep -q . || fail "gone.csv has no totals row of $c1"
expect_status 0 python3 "$REPRO" gone.csv --level province --check gone-province.json --tol 1e-9
expect_grep "every figure agrees" out.txt
# without the totals row (a file as it was) the province incidence is not pinggu's
awk -F, -v c=$c1 '!($2 == "county" && $6 == c)' gone.csv > gone-old.csv
expect_status 1 python3 "$REPRO" gone-old.csv --level province --check gone-province.json --tol 1e-9
expect_grep "incidence estimate" out.txt

# issue 9 item 17: df = 0 (one village left in the county) has no design effect and no interval
# verdict, and says so; a stratum with one village is flagged in the text and the JSON
cp r.db one.db
v1=$(sqlite3 one.db "select min(village) from questionnaires where sample = $sid and county = $c1 and unit_kind = 'household'")
sqlite3 one.db "delete from questionnaires where sample = $sid and county = $c1 and unit_kind = 'household' and village <> $v1"
expect_status 0 $PINGGU indicators --db one.db --sample all
sed -n "/^$c1 /,/^3[0-9]* /p" out.txt > one.txt
expect_no_grep "deff 0.00" one.txt
expect_no_grep "达标 / $" one.txt
expect_grep "错退率 .*no interval: df 0.* deff — .*无区间，不作区间判定 no interval \(df 0\)" one.txt
expect_grep "单一初级单位层 1 single-PSU stratum" one.txt
cp r.db lone.db
vs=$(sqlite3 lone.db "select v.stratum from sample_units v where v.sample = $sid and v.stage = 'village' and v.village = $v1")
sqlite3 lone.db "delete from questionnaires where sample = $sid and county = $c1 and unit_kind = 'household' and village <> $v1 and village in (select village from sample_units where sample = $sid and stage = 'village' and stratum = '$vs')"
expect_status 0 $PINGGU indicators --db lone.db --sample all
expect_grep "^$c1 " out.txt
sed -n "/^$c1 /,/^3[0-9]* /p" out.txt > lone.txt
expect_grep "错退率 .*\] +se [0-9.]+ deff [0-9.]+ .*单一初级单位层 1 single-PSU stratum" lone.txt
expect_grep "lonely.psu = \"adjust\"" lone.txt
$PINGGU indicators --db lone.db --sample all --json > lone.json
python3 - lone.json $c1 <<'PY' || fail "single-PSU strata not in the JSON"
import json, sys
u = {x["code"]: x for x in json.load(open(sys.argv[1]))["units"]}
c = u[int(sys.argv[2])]
assert c["wrong_exit"]["single_psu_strata"] == 1, c["wrong_exit"]
assert all(x["wrong_exit"]["single_psu_strata"] == 0 for k, x in u.items() if k != int(sys.argv[2]))
PY
$PINGGU indicators --db lone.db --sample all --level province --json > lone-province.json
$PINGGU export analysis --db lone.db --sample all --out lone.csv >/dev/null
for level in county province; do
  $PINGGU indicators --db lone.db --sample all --level $level --json > lone-$level.json
  expect_status 0 python3 "$REPRO" lone.csv --level $level --check lone-$level.json --tol 1e-9
done

# issue 9 item 15 (DESIGN §7: "Households found dead (whole household) or not to exist are out of
# scope, not non-respondents: they are removed from the population estimate, not re-weighted
# away."): a quota cell's factor is s(s + r - k)/((s + r) c) — s originals, r reserves fielded,
# k of them out of scope, c complete — where it was s/c, as for a refusal
cells="select u.village, u.stratum, sum(u.reserve = 0), sum(u.reserve <> 0 and exists (select 1 from questionnaires q where q.sample = u.sample and q.unit = u.code and q.status in ('complete', 'nonresponse'))), sum(exists (select 1 from questionnaires q where q.sample = u.sample and q.unit = u.code and q.status = 'nonresponse' and q.reason in ('dead', 'no_such_household')) and not exists (select 1 from questionnaires q where q.sample = u.sample and q.unit = u.code and q.status = 'complete')), sum(exists (select 1 from questionnaires q where q.sample = u.sample and q.unit = u.code and q.status = 'complete')) from sample_units u where u.sample = $sid and u.stage = 'household' group by 1, 2"
sqlite3 -csv r.db "$cells" > cells.csv
cp r.db refused.db
sqlite3 refused.db "update questionnaires set reason = 'refused' where sample = $sid and status = 'nonresponse'"
$PINGGU export analysis --db refused.db --sample all --out refused.csv >/dev/null
python3 - all.csv refused.csv cells.csv all-county.json <<'PY' || fail "out-of-scope households are re-weighted like refusals"
import csv, json, sys
rows = lambda f: [r for r in csv.DictReader(open(f, encoding="utf-8")) if r["record"] == "household"]
now = {(r["village"], r["quota"]): float(r["nonresponse"]) for r in rows(sys.argv[1])}
ref = {(r["village"], r["quota"]): float(r["nonresponse"]) for r in rows(sys.argv[2])}
seen = 0
for v, q, s, r, k, c in csv.reader(open(sys.argv[3])):
    s, r, k, c = map(int, (s, r, k, c))
    if c == 0:
        continue
    assert abs(now[(v, q)] - s * (s + r - k) / ((s + r) * c)) < 1e-12, (v, q, now[(v, q)])
    assert abs(ref[(v, q)] - s / c) < 1e-12, (v, q, ref[(v, q)])
    seen += k > 0
assert seen > 0, "no cell with an out-of-scope household"
assert sum(u["out_of_scope"] for u in json.load(open(sys.argv[4]))["units"]) >= 1
PY
# a quota cell without a complete questionnaire is collapsed into the nearest cell of its stratum
# (DESIGN §7: "A quota cell with no completed questionnaire is collapsed into the nearest cell of
# the same village stratum (then of the county), and the collapse is reported"): the county's
# weight of that quota is kept, and indicators (text, JSON) and the report say so
gv=$(sqlite3 r.db "select min(u.village) from sample_units u where u.sample = $sid and u.stage = 'household' and u.county = $c1 and u.stratum = 'general'")
cp r.db empty.db
sqlite3 empty.db "delete from questionnaires where sample = $sid and unit in (select code from sample_units where sample = $sid and stage = 'household' and village = $gv and stratum = 'general')"
$PINGGU export analysis --db empty.db --sample all --out empty.csv >/dev/null
python3 - all.csv empty.csv $c1 $gv <<'PY' || fail "the empty cell's share was lost"
import csv, sys
def total(f):
    return sum(float(r["weight"]) for r in csv.DictReader(open(f, encoding="utf-8"))
               if r["record"] == "household" and r["county"] == sys.argv[3] and r["quota"] == "general")
a, b = total(sys.argv[1]), total(sys.argv[2])
assert abs(a - b) <= 1e-9 * a, (a, b)
assert not any(r["village"] == sys.argv[4] and r["quota"] == "general" for r in csv.DictReader(open(sys.argv[2])))
PY
expect_status 0 $PINGGU indicators --db empty.db --sample all
expect_grep "quota cell collapsed 无完成问卷的格已合并: village $gv general \([0-9]+ selected, [0-9]+ out of scope\) into village [0-9]+ \(同村层 same village stratum\)" out.txt
$PINGGU indicators --db empty.db --sample all --json > empty.json
python3 - empty.json $c1 $gv <<'PY' || fail "the collapse is not in the JSON"
import json, sys
u = {x["code"]: x for x in json.load(open(sys.argv[1]))["units"]}
cc = u[int(sys.argv[2])]["collapsed_cells"]
assert len(cc) == 1 and cc[0]["village"] == int(sys.argv[3]) and cc[0]["quota"] == "general", cc
assert cc[0]["within"] == "village_stratum" and cc[0]["into"] != cc[0]["village"], cc
PY
expect_status 0 $PINGGU report --db empty.db --sample all --out rep
expect_grep "抽样格合并：村 $gv 的 general 层" rep/county-$c1.html

# DESIGN §7, the strata above a county: "where counties were taken with certainty, the strata
# are county × village stratum and the PSUs are villages; where counties were sampled, the
# counties are the PSUs within provinces" — a county of the sampled plan at π = 1 is its own
# strata (it was one PSU of its province, df 0 for a one-county province)
spid="(select row_no from samples where name = 'spot')"
cp r.db cert.db
sqlite3 cert.db "update sample_units set pi = 1 where sample = $spid and stage = 'county'"
$PINGGU indicators --db cert.db --sample spot --level province --json > cert-province.json
$PINGGU indicators --db cert.db --sample spot --level county --json > cert-county.json
python3 - cert-province.json cert-county.json <<'PY' || fail "a certainty county is not its own strata above a county"
import json, sys
p = json.load(open(sys.argv[1]))["units"]
c = json.load(open(sys.argv[2]))["units"]
assert len(p) == 1 and len(c) == 1, (p, c)
for k in ("wrong_exit", "missed", "approval"):
    assert p[0][k]["df"] == c[0][k]["df"] > 0, (k, p[0][k], c[0][k])
    assert abs(p[0][k]["se"] - c[0][k]["se"]) < 1e-12, k
PY
$PINGGU export analysis --db cert.db --sample spot --out cert.csv >/dev/null
expect_status 0 python3 "$REPRO" cert.csv --level province --check cert-province.json --tol 1e-9

# Stata and SPSS, by extension or --format
expect_status 0 $PINGGU export analysis --db r.db --sample all --out all.dta
expect_status 0 $PINGGU export analysis --db r.db --sample all --out all-spss --format sav
[ -s all.dta ] && [ -s all-spss ] || fail "no Stata or SPSS file"
# issue 16 item 16: ReadStat cannot write svyset's characteristics, so a companion .do carries
# the design (and the .dta's note 1)
expect_grep '^use "all.dta", clear$' all.do
expect_grep '^svyset village \[pweight = weight\], strata\(county_stratum\) vce\(linearized\) singleunit\(centered\)$' all.do
grep -q "svyset village" all.dta || fail "the svyset note is not in all.dta"
[ ! -e all-spss.do ] || fail "a .do beside the SPSS file"
head -c 4 all-spss | grep -q '\$FL2' || fail "all-spss is not an SPSS file"
# errors: nothing written
expect_status 2 $PINGGU export analysis --db r.db --sample all --out all.txt  # issue 9 item 9: bad option values exit 2
expect_status 2 $PINGGU export analysis --db r.db --sample all --out x.csv --format xlsx
expect_status 64 $PINGGU export analysis --db r.db --out x.csv
expect_status 2 $PINGGU export analysis --db r.db --sample nope --out x.csv
expect_grep "no sample named nope" err.txt
[ ! -e all.txt ] && [ ! -e x.csv ] && [ -z "$(ls -A | grep '\.tmp$')" ] || fail "a file was left behind"
expect_status 0 $PINGGU export analysis --help
expect_grep "R, U, E, G" out.txt
