# t_field.sh — issue 4 through the real binary: simulated fieldwork written as CSV and
# imported into a second store; bad questionnaires rejected with line and reason and nothing
# written; re-import keeps the old version; evidence verification; judgments agree with the
# truth on a noise-free simulation and disagree at the configured rate with noise; judge explain.
. "$TESTS_DIR/lib.sh"
F="$ROOT/forms"
$PINGGU synth --out prov --seed 4 --counties 1 --year 2020 >/dev/null  # the district plan is for 2020
for db in a b; do
  $PINGGU init $db.db >/dev/null
  $PINGGU import --db $db.db prov >/dev/null
  $PINGGU sample --db $db.db --plan "$ROOT/plans/district-2020h1.json" --seed 777 --name d >/dev/null
done

# simulate into a.db, writing the questionnaires as CSV
expect_status 0 $PINGGU field simulate --db a.db --sample d --truth prov/truth.csv --seed 1 --forms "$F" --out q
expect_grep "simulated [0-9]+ questionnaires" out.txt
for f in registered-household general-household village-exit; do [ -s q/$f.csv ] || fail "no q/$f.csv"; done
[ -s q/registered-household.members.csv ] || fail "no members file"

# noise-free: every judged household agrees with the truth
expect_status 0 $PINGGU judge --db a.db --sample d
# only the village exit check is judged against the exit standard, never an interview
[ "$(sqlite3 a.db "select count(*) from judgments where rule = 'village.exit'")" = \
  "$(sqlite3 a.db "select count(*) from questionnaires where form = 'village-exit' and status = 'complete'")" ] ||
  fail "village.exit judged for other questionnaires"
sqlite3 -csv a.db "select unit, outcome from judgments where rule in ('wrong_exit','missed') and outcome <> 'na'" > judged.csv
[ $(wc -l < judged.csv) -gt 50 ] || fail "too few judged households"
awk -F, 'NR==FNR { if (FNR > 1) poor[$1] = $10; next } { want = poor[$1] == 1 ? "fail" : "pass"; n++; if ($2 != want) bad++ } END { printf "%d judged, %d disagree\n", n, bad; exit bad > 0 }' prov/truth.csv judged.csv

# with noise (--error-rate 0.1), judgments disagree with the truth at that rate, within
# three binomial standard errors
$PINGGU init c.db >/dev/null
$PINGGU import --db c.db prov >/dev/null
$PINGGU sample --db c.db --plan "$ROOT/plans/district-2020h1.json" --seed 777 --name d >/dev/null
$PINGGU field simulate --db c.db --sample d --truth prov/truth.csv --seed 1 --forms "$F" --error-rate 0.1 >/dev/null
$PINGGU judge --db c.db --sample d >/dev/null
sqlite3 -csv c.db "select unit, outcome from judgments where rule in ('wrong_exit','missed') and outcome <> 'na'" > noisy.csv
awk -F, 'NR==FNR { if (FNR > 1) poor[$1] = $10; next } { want = poor[$1] == 1 ? "fail" : "pass"; n++; if ($2 != want) bad++ }
  END { r = bad / n; se = sqrt(0.1 * 0.9 / n); printf "%d judged, %.3f disagree (want 0.100 +- %.3f)\n", n, r, 3 * se;
        exit (n < 300 || r < 0.1 - 3 * se || r > 0.1 + 3 * se) }' prov/truth.csv noisy.csv ||
  fail "the disagreement rate does not match --error-rate 0.1"

# judge explain names the rules and the answers behind them
unit=$(sqlite3 a.db "select unit from judgments where rule = 'wrong_exit' limit 1")
expect_status 0 $PINGGU judge explain --db a.db --unit $unit
expect_grep "exit.housing" out.txt
expect_grep "answers: housing_safe=" out.txt

# the CSV imports cleanly into b.db
for f in registered-household general-household village-exit; do
  expect_status 0 $PINGGU field import --db b.db --sample d --form "$F/$f.json" q/$f.csv
done
n=$(sqlite3 b.db "select count(*) from questionnaires")
[ "$n" = "$(sqlite3 a.db "select count(*) from questionnaires")" ] || fail "b.db has $n questionnaires"

# bad questionnaires: the right line and reason, and nothing written
bad() { # bad LINE SED-EXPR PATTERN
  sed "$2" q/general-household.csv > bad.csv
  expect_status 2 $PINGGU field import --db b.db --sample d --form "$F/general-household.json" bad.csv
  expect_grep "^bad.csv:$1: $3" err.txt
  [ "$(sqlite3 b.db 'select count(*) from questionnaires')" = "$n" ] || fail "something was written"
}
col() { head -1 q/general-household.csv | tr , '\n' | grep -n "^$1\$" | cut -d: -f1; }
setcol() { # LINE COLUMN VALUE -> a sed expression replacing that field of that line
  awk -v l=$1 -v c=$2 -v v="$3" 'BEGIN{FS=OFS=","} NR==l{$c=v} {print}' q/general-household.csv > bad.csv
}
setcol 2 $(col approves) maybe
expect_status 2 $PINGGU field import --db b.db --sample d --form "$F/general-household.json" bad.csv
expect_grep "^bad.csv:2: approves: " err.txt
setcol 3 $(col food_clothing_worry) ""
expect_status 2 $PINGGU field import --db b.db --sample d --form "$F/general-household.json" bad.csv
expect_grep "^bad.csv:3: food_clothing_worry: .*required" err.txt
setcol 4 $(col registered_size) 0
expect_status 2 $PINGGU field import --db b.db --sample d --form "$F/general-household.json" bad.csv
expect_grep "^bad.csv:4: registered_size: " err.txt
setcol 5 $(col unit) 3499999999990000
expect_status 2 $PINGGU field import --db b.db --sample d --form "$F/general-household.json" bad.csv
expect_grep "^bad.csv:5: unit: 3499999999990000 is not in sample d" err.txt
# the same household twice in one file: rejected, never two questionnaires judged
{ cat q/general-household.csv; sed -n 2p q/general-household.csv; } > bad.csv
expect_status 2 $PINGGU field import --db b.db --sample d --form "$F/general-household.json" bad.csv
last=$(wc -l < bad.csv)
expect_grep "^bad.csv:$last: unit: [0-9]+ is in this file twice \(first on line 2\)" err.txt
[ "$(sqlite3 b.db 'select count(*) from questionnaires')" = "$n" ] || fail "something was written"

# importing again replaces, and the old version stays in the change log
expect_status 0 $PINGGU field import --db b.db --sample d --form "$F/village-exit.json" q/village-exit.csv
expect_grep "[1-9][0-9]* earlier versions replaced" out.txt
[ "$(sqlite3 b.db "select count(*) from audit_old where tbl = 'questionnaires'")" -gt 0 ] || fail "no old versions"
expect_status 0 $PINGGU audit verify --db b.db

# response rates
expect_status 0 $PINGGU field status --db a.db --sample d
expect_grep "field quality per team" out.txt

# evidence: stored by content, verified, a changed byte is named
printf 'photo of the kitchen' > photo.jpg
expect_status 0 $PINGGU evidence add --db b.db --unit $unit photo.jpg
hash=$(cut -d' ' -f1 out.txt)
expect_status 0 $PINGGU evidence add --db b.db --unit $unit photo.jpg   # deduplicated
expect_status 0 $PINGGU evidence verify --db b.db
expect_grep "^1 blobs" out.txt
blob=b.db.evidence/$(printf %s "$hash" | cut -c1-2)/$(printf %s "$hash" | cut -c3-)
chmod u+w "$blob" && printf 'Photo of the kitchen' > "$blob"
expect_status 1 $PINGGU evidence verify --db b.db
expect_grep "FAILED.*$hash.*changed" out.txt
