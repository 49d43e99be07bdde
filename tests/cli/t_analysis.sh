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
  head -1 $s.csv | grep -q '^sample,household,province,city,county,village,stratum,county_stratum,stratum_upper,psu_upper,weight,weight_province,pi_county,pi_village,pi_household,nonresponse,category,quota,persons,exited,wrong_exit,missed,approval,wrong_persons,missed_persons,four_kinds,R,U,E,G$' ||
    fail "header of $s.csv: $(head -1 $s.csv)"
  for level in county city province; do
    $PINGGU indicators --db r.db --sample $s --level $level --json > $s-$level.json
    expect_status 0 python3 "$REPRO" $s.csv --level $level --check $s-$level.json --tol 1e-9
    expect_grep "every figure agrees" out.txt
  done
done
# the whole-county rows: one per complete household questionnaire
n=$(sqlite3 r.db "select count(*) from questionnaires q join samples s on s.row_no = q.sample where s.name = 'all' and q.status = 'complete' and q.unit_kind = 'household'")
[ "$(($(wc -l < all.csv) - 1))" = "$n" ] || fail "all.csv has $(wc -l < all.csv) lines for $n households"
# a tampered weight is caught
awk -F, 'BEGIN { OFS = "," } NR == 2 { $11 = $11 * 1.5 } { print }' all.csv > bad.csv
expect_status 1 python3 "$REPRO" bad.csv --check all-county.json
expect_grep "DIFFERS" out.txt

# Stata and SPSS, by extension or --format
expect_status 0 $PINGGU export analysis --db r.db --sample all --out all.dta
expect_status 0 $PINGGU export analysis --db r.db --sample all --out all-spss --format sav
[ -s all.dta ] && [ -s all-spss ] || fail "no Stata or SPSS file"
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
