# t_round.sh — issue 15 item 3, a round's schedule: the Anhui plan's milestones (seed 002) and
# progress against them in working days (the calendar of src/problem/).
# Seed 002: "于11月上旬组建考核组" (read: by 10 November), "11月23日前完成" (training and lottery),
# "11月24日—29日开展实地核查", "12月1日前,13个考核组分别形成市、县两级交叉考核报告", "于12月10日前上报"
# (self-evaluation), "12月20日前……形成交叉考核总报告". "X日前" is by the end of day X: done on
# the 10th is on time, on the 11th a working day late.
. "$TESTS_DIR/lib.sh"
P=$PINGGU
PLAN="$ROOT/plans/anhui-cross-2019.json"
$P init e.db >/dev/null
# the plan's milestones, as the seed dates them
expect_status 0 $P round status --db e.db --round r --plan "$PLAN" --date 2019-11-01
expect_grep "^teams_formed .* 2019-11-10 \(rest day\)  进行中 open, due in 5 working days" out.txt
expect_grep "^training_lottery .* 2019-11-23 \(rest day\)  进行中 open" out.txt
expect_grep "^fieldwork .* 2019-11-24\.\.2019-11-29  未开始 not started, starts in 15 working days" out.txt
expect_grep "^team_reports .* 2019-12-01 \(rest day\)" out.txt
expect_grep "^self_evaluation .* 2019-12-10  进行中 open" out.txt
expect_grep "^summary_report .* 2019-12-20  进行中 open, due in 35 working days" out.txt
expect_grep "^6 milestones, 0 late or overdue" out.txt
# the fieldwork window at its bounds: not started the day before, open on its first day,
# open on its last day, overdue the day after
expect_status 0 $P round status --db e.db --round r --plan "$PLAN" --date 2019-11-23
expect_grep "^fieldwork .*未开始 not started, starts in 0 working days" out.txt
expect_status 0 $P round status --db e.db --round r --plan "$PLAN" --date 2019-11-24
expect_grep "^fieldwork .*进行中 open, due in 5 working days" out.txt
expect_status 0 $P round status --db e.db --round r --plan "$PLAN" --date 2019-11-29
expect_grep "^fieldwork .*进行中 open, due in 0 working days" out.txt
expect_status 0 $P round status --db e.db --round r --plan "$PLAN" --date 2019-11-30
expect_grep "^fieldwork .*已逾期 overdue, overdue by 0 working days" out.txt
expect_status 0 $P round status --db e.db --round r --plan "$PLAN" --date 2019-12-02
expect_grep "^fieldwork .*已逾期 overdue, overdue by 1 working days" out.txt

# done dates from a file: on the deadline day on time, the day after late; a Saturday
# deadline done on Monday is one working day late
cat > done.csv <<'D'
milestone,done,note
self_evaluation,2019-12-10,on the day
summary_report,2019-12-23,Monday after a Friday deadline
training_lottery,2019-11-25,Monday after a Saturday deadline
teams_formed,2019-11-08,
D
expect_status 0 $P round status --db e.db --round r --plan "$PLAN" --date 2019-12-31 --done done.csv --out rep
expect_grep "^self_evaluation .*按时完成 done on time 2019-12-10 \(file\)$" out.txt
expect_grep "^summary_report .*逾期完成 done late 2019-12-23 \(file\), 1 working days late" out.txt
expect_grep "^training_lottery .*逾期完成 done late 2019-11-25 \(file\), 1 working days late" out.txt
expect_grep "^teams_formed .*按时完成 done on time 2019-11-08" out.txt
expect_grep "^team_reports .*已逾期 overdue, overdue by 22 working days" out.txt
[ -s rep/round-r.html ] && [ -s rep/round-r.xlsx ] || fail "no schedule report"
sed 's/self_evaluation,2019-12-10/self_evaluation,2019-12-11/' done.csv > done2.csv
expect_status 0 $P round status --db e.db --round r --plan "$PLAN" --date 2019-12-31 --done done2.csv
expect_grep "^self_evaluation .*逾期完成 done late 2019-12-11 \(file\), 1 working days late" out.txt

# working days across a holiday: a deadline on 30 September 2019, still open on 8 October, is
# one working day overdue (1-7 October are the National Day holiday)
cat > hol.json <<'J'
{"milestones": {"items": [{"id": "x", "name": "before the holiday", "by": "2019-09-30"}]}}
J
expect_status 0 $P round status --db e.db --round r --plan hol.json --date 2019-10-08
expect_grep "^x .*已逾期 overdue, overdue by 1 working days" out.txt
expect_status 0 $P round status --db e.db --round r --plan hol.json --date 2019-10-07
expect_grep "^x .*已逾期 overdue, overdue by 0 working days" out.txt

# bad input
printf 'milestone,done\nno_such,2019-12-01\n' > bad.csv
expect_status 2 $P round status --db e.db --round r --plan "$PLAN" --done bad.csv
expect_grep "bad.csv:2:1: milestone 'no_such' is not in the plan" err.txt
printf 'milestone,done\nfieldwork,2019-11-31\n' > bad2.csv
expect_status 2 $P round status --db e.db --round r --plan "$PLAN" --done bad2.csv
expect_grep "bad2.csv:2:2: done '2019-11-31' is not a date" err.txt
expect_status 2 $P round status --db e.db --round nosuch
expect_grep "no round named 'nosuch'" err.txt
printf '{"milestones": {"items": [{"id": "x", "name": "n", "by": "2019-13-01"}]}}' > badplan.json
expect_status 2 $P round status --db e.db --round r --plan badplan.json
expect_grep "milestones.items\[0\].by: not a date" err.txt
expect_status 64 $P round status --db e.db

# progress from the change log: the team lottery of a real round marks training_lottery done
$P synth --out prov --seed 2 --counties 4 >/dev/null
$P init r.db >/dev/null
$P import --db r.db prov >/dev/null
$P sample --db r.db --plan "$PLAN" --seed 1 --name anhui >/dev/null
expect_status 0 $P round status --db r.db --round anhui --date 2019-11-20
expect_grep "^training_lottery .*进行中 open, due in 2 working days" out.txt
$P teams draw --db r.db --plan "$PLAN" --seed 2019 --sample anhui >/dev/null
today=$(sqlite3 r.db "select substr(max(at),1,10) from audit_log where action='teams draw'")
expect_status 0 $P round status --db r.db --round anhui --date "$today"
expect_grep "^training_lottery .*逾期完成 done late $today \(log\)" out.txt
# the status is as of its date: on 20 November 2019 the lottery (drawn today) was not done
expect_status 0 $P round status --db r.db --round anhui --date 2019-11-20
expect_grep "^training_lottery .*进行中 open, due in 2 working days" out.txt
echo ok
