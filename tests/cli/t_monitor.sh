# t_monitor.sh — issue 15 item 2, post-exit monitoring through the real binary, on synthetic
# yearly snapshots with planted signs (synth --monitor, docs/monitoring.md).
# Seed 000: "第一,有的贫困县摘帽后剩余贫困人口减贫的速度明显放缓。… 第二,有的摘帽县当年没有完成减贫
# 任务。当年计划减少三千人,最后完成一千人。在脱贫人口收入方面,检查发现,有的地方部分脱贫人口收入不增
# 反降。第三,有的摘帽县工作有所懈怠。比如干部培训,有的摘帽县培训力度大大低于去年,某县在攻坚克难的2019
# 年没有办过一期培训 … 第四,有的摘帽县有换频道的苗头。有的甚至把驻村工作队都变成别的工作队。… 对明显
# 松懈的摘帽县党政主要负责同志,开展常态化约谈"
# Seed 003: "保持至少3年的政策过渡期" — exited Y-3 is inside, Y-4 outside.
# Seed 001 (湖南 四): "对贫困人口达到100人以上的非贫困村配齐驻村工作队"
# The bounds of every threshold are tested in tests/unit/test_monitor.c (monitor_judge).
. "$TESTS_DIR/lib.sh"
P=$PINGGU
$P synth --out prov --seed 7 --counties 6 --monitor >/dev/null
S=prov/snapshots M=prov/monitor
$P init r.db >/dev/null
entries() { sqlite3 r.db "select count(*) from audit_log"; }
expect_status 0 $P import --db r.db $S/2017 --snapshot 2017-12-31
expect_grep "^snapshot 2017-12-31: [0-9]+ counties, [0-9]+ villages, [0-9]+ households" out.txt
expect_status 0 $P import --db r.db $S/2018 --snapshot 2018-12-31
# only one year before the monitoring year: refused, not guessed
expect_status 2 $P monitor --db r.db --out rep --year 2019
expect_grep "needs a registry snapshot of 2019 and one of 2018" err.txt
sum17=$(sqlite3 r.db "select count(*), sum(coalesce(exit_year,0)), sum(coalesce(income,0)) from mon_snap_households where snapshot='2017-12-31'")
expect_status 0 $P import --db r.db $S/2019 --snapshot 2019-12-31
# earlier snapshots are read-only: a later import leaves them as they were; a taken date is refused
[ "$(sqlite3 r.db "select count(*), sum(coalesce(exit_year,0)), sum(coalesce(income,0)) from mon_snap_households where snapshot='2017-12-31'")" = "$sum17" ] \
  || fail "the 2017 snapshot changed"
before=$(entries)
expect_status 2 $P import --db r.db $S/2018 --snapshot 2017-12-31
expect_grep "a snapshot dated 2017-12-31 is already in the store: snapshots are read-only" err.txt
[ "$(entries)" = "$before" ] || fail "a refused snapshot wrote"
# the registry itself is the 2019 one (the refused import did not replace it)
[ "$(sqlite3 r.db 'select count(*) from households')" = "$(($(wc -l < $S/2019/households.csv) - 1))" ] || fail "registry replaced"
expect_status 2 $P import --db r.db $S/2019 --snapshot 2019-13-01

# office files: bad rows refused with file:line:column, nothing written
printf 'county,year,planned\n340121,2019,10\n340121,2019,12\n' > dup.csv
expect_status 2 $P monitor import --db r.db --plans dup.csv
expect_grep "dup.csv:3:2: county 340121 has two plans for 2019" err.txt
printf 'county,date,title\n340121,2019-02-30,培训\n' > badday.csv
expect_status 2 $P monitor import --db r.db --training badday.csv
expect_grep "badday.csv:2:2: date '2019-02-30' is not a date" err.txt
[ "$(entries)" = "$before" ] || fail "a refused office file wrote"
expect_status 0 $P attendance import --db r.db --villages $M/villages.csv --roster $M/roster.csv --checkins $M/checkins.csv
expect_status 0 $P monitor import --db r.db --plans $M/plans.csv --training $M/training.csv
expect_grep "^imported 3 plans, [0-9]+ training sessions" out.txt

expect_status 0 $P monitor --db r.db --out rep
cp out.txt mon.txt
[ -s rep/monitor-2019.html ] && [ -s rep/monitor-2019.xlsx ] || fail "no report"
grep -q "约谈的县" rep/monitor-2019.html || fail "the report has no interview list"
# every exited county's signs and the interview as the truth says
tail -n +2 $M/truth.csv | while IFS=, read county slow tgt inc trn team itv; do
  line=$(grep "^$county " mon.txt) || fail "county $county not monitored"
  for pair in "slowing:$slow" "target:$tgt" "income:$inc" "training:$trn" "teams:$team" "约谈:$itv"; do
    word=${pair%%:*} want=${pair##*:}
    got=0; echo "$line" | grep -q "$word" && got=1
    [ "$got" = "$want" ] || fail "county $county: $word is $got, truth $want ($line)"
  done
done
# the planted signs exist at all (the loop above cannot pass vacuously)
[ "$(grep -c '=> 约谈' mon.txt)" -ge 2 ] || fail "fewer than 2 interviews"
grep -q "slowing target" mon.txt || fail "no county with two signs"
grep -q " income $" mon.txt || fail "no county with one sign and no interview"
# incomes falling: exactly the households the generator made fall
grep -o "incomes fell: [0-9]*" mon.txt | grep -q "incomes fell: $(($(wc -l < $M/truth-incomes.csv) - 1))$" \
  || fail "incomes fell: $(grep -o 'incomes fell: [0-9]*' mon.txt), truth $(($(wc -l < $M/truth-incomes.csv) - 1))"
for h in $(tail -n +2 $M/truth-incomes.csv | cut -d, -f1 | head -5); do
  grep -q "$h" rep/monitor-2019.html || fail "household $h (income fell) not in the report"
done
# the transition: listed exactly as the truth says (3 years after exit inside, 4 outside)
tail -n +2 $M/truth-households.csv | while IFS=, read h what listed; do
  got=0; grep -q "transition $h " mon.txt && got=1
  [ "$got" = "$listed" ] || fail "household $h ($what): listed $got, truth $listed"
done
[ "$(grep -c '^  transition' mon.txt)" = "$(grep -c ',1$' $M/truth-households.csv)" ] || fail "extra transition households"
# Hunan 四: the non-poor villages with 100+ poor persons and no work team
[ "$(grep -c '^  no work team' mon.txt)" = "$(($(wc -l < $M/truth-villages.csv) - 1))" ] || fail "villages without a team differ"
tail -n +2 $M/truth-villages.csv | while IFS=, read v n; do
  expect_grep "^  no work team: village $v .*, $n poor persons" mon.txt
done
[ "$(wc -l < $M/truth-villages.csv)" -ge 2 ] || fail "no village planted for Hunan 四"
# the inclusive bounds through the binary, by moving a rule to the planted figures: the
# Hunan village at exactly work_team_min_poor is listed (达到100人以上: inclusive), one above
# is not; with transition_years one less, the household exited 3 years before drops out
v=$(tail -n +2 $M/truth-villages.csv | head -1 | cut -d, -f1); n=$(tail -n +2 $M/truth-villages.csv | head -1 | cut -d, -f2)
sed "s/\"work_team_min_poor\": 100/\"work_team_min_poor\": $n/" "$ROOT/rules/monitor.json" > at.json
grep -q "\"work_team_min_poor\": $n" at.json || fail "rules edit failed"
expect_status 0 $P monitor --db r.db --out rep2 --rules at.json
expect_grep "^  no work team: village $v .*, $n poor persons" out.txt
sed "s/\"work_team_min_poor\": 100/\"work_team_min_poor\": $((n + 1))/" "$ROOT/rules/monitor.json" > above.json
expect_status 0 $P monitor --db r.db --out rep2 --rules above.json
expect_no_grep "no work team: village $v " out.txt
h3=$(awk -F, '$2 ~ /3 years/ {print $1}' $M/truth-households.csv)
sed 's/"transition_years": 3/"transition_years": 2/' "$ROOT/rules/monitor.json" > t2.json
expect_status 0 $P monitor --db r.db --out rep2 --rules t2.json
expect_no_grep "transition $h3 " out.txt
expect_grep "^  transition .*教育停 school" out.txt
expect_status 0 $P audit verify --db r.db
echo ok
