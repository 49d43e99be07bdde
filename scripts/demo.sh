#!/bin/sh
# demo.sh — `make demo`: a whole assessment round on a synthetic province, in demo/.
# Each step is a real pinggu command; read them to learn the tool.
set -eu
cd "$(dirname "$0")/.."
P=./pinggu
D=demo
SEED=20191124          # the public seed: in a real round, 20 dice rolled at the training
rm -rf "$D" && mkdir -p "$D"
T0=$(date +%s.%N)
# PINGGU_STEP_TIMES=1 (bench/demo.sh) adds each step's start time, in seconds from the start
step() {
  if [ -n "${PINGGU_STEP_TIMES:-}" ]; then
    printf '[t=%s] %s\n' "$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" "$(echo "$*" | head -1)"
  fi
  printf '\n==> %s\n' "$*"
}

step "1. A synthetic province with known truth (6 counties in Anhui, code 34), the data of other
   departments (civil affairs, public security, housing...) with known anomalies, and what
   offices watch between rounds (registry snapshots, work-team check-ins, a monthly score sheet)"
$P synth --out $D/province --seed 7 --province 34 --counties 6 --departments \
   --attendance 2019-11 --monitor --bulletin 2019-11

step "2. A new store, and the registry imported into it (all or nothing)"
$P init $D/round.db
$P import --db $D/round.db $D/province

step "3. The registry per county / 分县汇总"
$P summary --db $D/round.db

step "4. The Anhui 2019 cross-assessment plan, and the seed commitment published before the draw"
$P plan check plans/anhui-cross-2019.json
echo "seed commitment (publish now, reveal the seed after fieldwork):"
$P seed commit $SEED | tee $D/commitment.txt

step "5. The sample: 4 villages per county from 4 townships, 16 households per village"
$P sample --db $D/round.db --plan plans/anhui-cross-2019.json --seed $SEED --name anhui-2019 \
   --manifest $D/manifest.json

step "6. Anyone can re-derive it from the manifest once the seed is revealed"
$P sample verify --db $D/round.db $D/manifest.json --commitment "$(cat $D/commitment.txt)"

step "6b. Before fieldwork: can this plan decide? (expected interval width and power per county)"
$P plan power --db $D/round.db --plan plans/anhui-cross-2019.json --reps 200

step "7. Teams by lottery: no team on its own city, pairs with an experienced member"
$P teams draw --db $D/round.db --plan plans/anhui-cross-2019.json --seed 1124 --sample anhui-2019

step "8. Fieldwork, simulated against the known truth (5% of households not reached); the pairs'
    questionnaires go to two-level review (组长 then 省办), and the field apps get the forms as
    ODK XForms"
mkdir -p $D/xforms
for f in registered-household general-household village-exit; do
  $P form xform forms/$f.json --today 2019-11-24 --out $D/xforms/$f.xml
done
echo "ODK XForms for ODK Collect / KoboCollect / Web Forms: $(ls $D/xforms | tr '\n' ' ')"
PINGGU_ACTOR=pairs $P field simulate --db $D/round.db --sample anhui-2019 \
   --truth $D/province/truth.csv --seed 5 --nonresponse 0.05 --review --out $D/questionnaires
U=$($P field review --db $D/round.db --sample anhui-2019 --list --state submitted |
    awk '$2 == "registered-household" { print $1; exit }')
echo "the leader rejects household $U with a comment per question:"
PINGGU_ACTOR=leader-1 $P field review --db $D/round.db --sample anhui-2019 --unit $U \
   --to rejected_by_leader --as leader --comment 'income_per_capita=请核实工资性收入' \
   --comment 'housing_safe=补拍住房照片'
echo "the pair sends a corrected version; the leader and then the office approve it:"
awk -F, -v u=$U 'NR == 1 || $1 == u' $D/questionnaires/registered-household.csv > $D/fix.csv
awk -F, -v u=$U 'NR == 1 || $1 == u' $D/questionnaires/registered-household.members.csv \
   > $D/fix.members.csv
PINGGU_ACTOR=pairs $P field import --db $D/round.db --sample anhui-2019 \
   --form forms/registered-household.json --review $D/fix.csv
PINGGU_ACTOR=leader-1 $P field review --db $D/round.db --sample anhui-2019 --unit $U \
   --to approved_by_leader --as leader
PINGGU_ACTOR=office $P field review --db $D/round.db --sample anhui-2019 --unit $U \
   --to approved_by_office --as office
$P field status --db $D/round.db --sample anhui-2019 | grep '审核 / review'
echo "the scheme's other checks (seed 002 五(二)(三)(五)): project checks, document reviews, cadre"
echo "interviews against the plan's quotas:"
$P checks simulate --db $D/round.db --round anhui-2019 --out $D/checks --seed 5
$P checks quotas --db $D/round.db --round anhui-2019 | tail -4

step "9. Judgments: every household and village against the standards, problems raised"
$P judge --db $D/round.db --sample anhui-2019

step "9b. Problems, from finding to close-out (DESIGN §8.1): an evaluator takes candidates up with
    evidence, the leader summarises them and sends them to the county, the county explains, the
    leader confirms one and dismisses one with its reason, the office feeds it back, the county
    rectifies against a deadline, the office closes it; an illegal move is refused"
ids=$($P problems list --db $D/round.db --round anhui-2019 --state candidate | awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1 }' | head -3)
set -- $ids
mkdir -p $D/evidence
printf 'photo of the house, household %s\n' "$1" >$D/evidence/visit-$1.jpg
printf 'the county explanation for problem %s\n' "$1" >$D/evidence/county-$1.pdf
printf 'rectification record for problem %s\n' "$1" >$D/evidence/result-$1.pdf
printf 'photo, household %s\n' "$2" >$D/evidence/visit-$2.jpg
for id in $1 $2; do
  $P problems move --db $D/round.db $id recorded --as evaluator --evidence $D/evidence/visit-$id.jpg
  $P problems move --db $D/round.db $id summarised --as leader
  $P problems move --db $D/round.db $id sent_for_verification --as leader
done
$P problems move --db $D/round.db $1 explained --as county --note "情况属实，已开展核查" \
   --evidence $D/evidence/county-$1.pdf
$P problems move --db $D/round.db $1 confirmed --as leader
$P problems move --db $D/round.db $2 dismissed --as leader --note "复核：家庭成员收入已核实，不属问题"
echo "an illegal move (a county cannot close its own problem):"
$P problems move --db $D/round.db $1 closed --as county || true
$P problems move --db $D/round.db $1 fed_back --as office
$P problems move --db $D/round.db $1 rectifying --as county --measures "按村退出标准补齐短板" \
   --responsible-unit "县扶贫办" --responsible-person "张某" --deadline "$(date -d '+20 days' +%F)"
$P problems move --db $D/round.db $1 rectified --as county --result "已整改，台账更新" \
   --evidence $D/evidence/result-$1.pdf
$P problems move --db $D/round.db $1 closed --as office
echo "closed items are rechecked by a verifiable draw from the public seed:"
$P problems recheck-draw --db $D/round.db --round anhui-2019 --seed $SEED --n 1
printf 'recheck visit, problem %s\n' "$1" >$D/evidence/recheck-$1.jpg
$P problems move --db $D/round.db $1 rechecked --as evaluator --evidence $D/evidence/recheck-$1.jpg
$P problems recheck-verify --db $D/round.db --round anhui-2019
$P problems show --db $D/round.db $1
# a third problem confirmed and fed back, its rectification due in 10 days and not yet done
printf 'photo, unit of problem %s\n' "$3" >$D/evidence/visit-$3.jpg
$P problems move --db $D/round.db $3 recorded --as evaluator --evidence $D/evidence/visit-$3.jpg
$P problems move --db $D/round.db $3 summarised --as leader
$P problems move --db $D/round.db $3 confirmed --as leader
$P problems move --db $D/round.db $3 fed_back --as office
$P problems move --db $D/round.db $3 rectifying --as county --measures "补齐村级公共服务短板" \
   --responsible-unit "乡镇人民政府" --responsible-person "李某" --deadline "$(date -d '+10 days' +%F)"
echo "the rectification ledger as it will stand in 30 days, if nothing more is reported:"
$P problems ledger --db $D/round.db --round anhui-2019 --date "$(date -d '+30 days' +%F)"

step "9c. Discipline (seed 002 八(二)–(三)): an evaluator records a locality's interference with
    evidence, read only by the office and the discipline supervisor; the leader stops fieldwork
    in that county"
C=$($P problems list --db $D/round.db --round anhui-2019 | awk -v i=$1 '$1 == i { print $2 }')
printf 'recording\n' >$D/evidence/interference.mp3
$P interference record --db $D/round.db --round anhui-2019 --county $C --kind coaching \
   --note "村干部在入户前叮嘱农户如何回答" --evidence $D/evidence/interference.mp3 --as evaluator
$P interference list --db $D/round.db --round anhui-2019 --as discipline
echo "a county liaison may not read them:"
$P interference list --db $D/round.db --round anhui-2019 --as county || true
$P fieldwork stop --db $D/round.db --round anhui-2019 --county $C --reason "多次干扰且不改正" --as leader

step "10. Indicators per county: estimates, 95% intervals, official and interval verdicts"
$P indicators --db $D/round.db --sample anhui-2019

step "11. Reports: county and summary pages with the teams' typical experiences, the counties'
    self-evaluation reports, the problem list and the workbook; city and paired-assistance
    reports; the county report signed off by the 组长 and 副组长; the rectification report"
c=$(awk -F, 'NR == 2 { print $1 }' $D/province/counties.csv); city=${c%??}
$P report experience add --db $D/round.db --round anhui-2019 --unit $c "产业扶贫带贫机制健全，贫困户参与率高" \
   "驻村工作队与结对帮扶责任人分工明确" "扶贫小额信贷风险补偿到位"
$P report experience add --db $D/round.db --round anhui-2019 --unit $city "市级统筹资金向深度贫困村倾斜" \
   "问题整改台账逐项销号"
printf '%s 2019年脱贫攻坚自评报告\n' $c >$D/evidence/self-$c.txt
$P report self-evaluation --db $D/round.db --round anhui-2019 --county $c --arrived 2019-12-09 \
   $D/evidence/self-$c.txt
$P report --db $D/round.db --sample anhui-2019 --out $D/report
$P report --db $D/round.db --sample anhui-2019 --out $D/report --level city
$P report --db $D/round.db --sample anhui-2019 --out $D/report --level paired
leader=$($P report signers --db $D/round.db --round anhui-2019 | awk -v c=$city '$2 == "组长" && $5 ~ c { print $3; exit }')
deputy=$($P report signers --db $D/round.db --round anhui-2019 | awk -v c=$city '$2 == "副组长" && $5 ~ c { print $3; exit }')
$P report sign --db $D/round.db --round anhui-2019 $D/report/county-$c.html --as 组长 --signer $leader
$P report sign --db $D/round.db --round anhui-2019 $D/report/county-$c.html --as 副组长 --signer $deputy
$P report verify --db $D/round.db $D/report/county-$c.html
$P report rectification --db $D/round.db --round anhui-2019 --out $D/report --date "$(date -d '+30 days' +%F)"
echo "open $D/report/index.html (offline); $D/report/report.xlsx for Excel"

step "12. A scored plan: the district's township and department ranking (Henan's method), with the
    team's score sheet (here filled with made-up values for the demonstration)"
$P sample --db $D/round.db --plan plans/district-2020h1.json --seed 20200701 --name district-2020h1 \
   --manifest $D/district-manifest.json >$D/district-sample.txt
echo "district sample: every township of each county, listed in $D/district-sample.txt"
$P field simulate --db $D/round.db --sample district-2020h1 --truth $D/province/truth.csv --seed 6 \
   --nonresponse 0.05
$P judge --db $D/round.db --sample district-2020h1 >/dev/null
$P score --db $D/round.db --sample district-2020h1 --template >$D/score-sheet.csv
# fill the blanks: a made-up score 70..97 per unit and item, the same on every run; every
# township but one in nine has passed acceptance (c1_whole_exit); two departments of the first
# county: d1 is their work team's result (scored by its place), d2 got/full (满分的按满分计算)
awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next }
         $1 == "department" { next }
         $1 == "township" && c == "" { c = $4 }
         $5 == "c1_whole_exit" { $7 = (++k % 9 == 0) ? 0 : 1 }
         $7 == "" { $7 = 70 + (NR * 7) % 28 } { print }
         END { print "department,扶贫办,扶贫办," c ",d1_village_teams,,90";
               print "department,扶贫办,扶贫办," c ",d2_targets,,17/20";
               print "department,扶贫办,扶贫办," c ",d4_donations,,80";
               print "department,扶贫办,扶贫办," c ",d_other_work,,88";
               print "department,教育局,教育局," c ",d1_village_teams,,82";
               print "department,教育局,教育局," c ",d2_targets,,20/20";
               print "department,教育局,教育局," c ",d4_donations,,70";
               print "department,教育局,教育局," c ",d_other_work,,86" }' \
   $D/score-sheet.csv >$D/score-sheet-filled.csv
$P score --db $D/round.db --sample district-2020h1 --inputs $D/score-sheet-filled.csv
echo "(the national spot check would be refused here: 不打分、不排队)"
echo "Henan's accountability list from the ranking (seed 004 第一篇 七(二)):"
$P report accountability --db $D/round.db --round district-2020h1

step "13. The registry against the other departments' data / 大数据比对"
$P compare --db $D/round.db --rules rules/compare.json $D/province/departments \
   --out $D/compare-flags.csv

step "13b. The office pursues one comparison rule in one county (a logged decision), adds a
    covert-visit finding, and records its county synthesis (综合研判, seed 000)"
printf 'covert photo\n' >$D/evidence/covert.jpg
$P problems record --db $D/round.db --round anhui-2019 --unit $C --kind exit --source covert \
   --description "暗访：住房安全未达标仍标注脱贫" --evidence $D/evidence/covert.jpg
$P problems raise --db $D/round.db --round anhui-2019 --rule business --county $C
# two of the raised flags go through verification: one confirmed and fed back, its
# rectification already overdue; one dismissed by the county's evidence
set -- $($P problems list --db $D/round.db --round anhui-2019 --state candidate |
         awk '$5 == "business" { print $1 }' | head -2)
for id in $1 $2; do
  printf 'business registration extract, problem %s\n' $id >$D/evidence/biz-$id.pdf
  $P problems move --db $D/round.db $id recorded --as evaluator --evidence $D/evidence/biz-$id.pdf
  $P problems move --db $D/round.db $id summarised --as leader
  $P problems move --db $D/round.db $id sent_for_verification --as leader
done
printf 'county reply: the company was deregistered in 2017\n' >$D/evidence/reply-$2.pdf
$P problems move --db $D/round.db $2 explained --as county --note "该企业2017年已注销" \
   --evidence $D/evidence/reply-$2.pdf
$P problems move --db $D/round.db $2 dismissed --as leader --note "县提供注销证明，核实不属问题"
$P problems move --db $D/round.db $1 confirmed --as leader
$P problems move --db $D/round.db $1 fed_back --as office
$P problems move --db $D/round.db $1 rectifying --as county --measures "重新核定家庭收入，调整帮扶措施" \
   --responsible-unit "县扶贫办" --responsible-person "王某" --deadline "$(date -d '+3 days' +%F)"
echo "the ledger 30 days on: the comparison's problem is overdue"
$P problems ledger --db $D/round.db --round anhui-2019 --date "$(date -d '+30 days' +%F)" | tail -8
$P synthesis show --db $D/round.db --round anhui-2019 --county $C
$P synthesis record --db $D/round.db --round anhui-2019 --county $C --judgment "符合退出条件" \
   --reason "四项指标达标；暗访与比对问题已核实整改" --as office

echo "the problem list and the county pages written again, with the comparison's problems:"
$P report --db $D/round.db --sample anhui-2019 --out $D/report 2>/dev/null

step "13c. The multi-user system (pinggu serve): accounts with roles, the authorisation matrix,
    and the release that opens the county-facing view"
echo 'Office-Pass-2020' | $P user add --db $D/round.db --role office wang
echo 'Leader-Pass-2020' | $P user add --db $D/round.db --role leader --round anhui-2019 --scope $city \
   --home 340102 li
$P user list --db $D/round.db
$P serve --print-authz | head -12
echo "only office-approved questionnaires enter a release (DESIGN §10): the leaders approve what"
echo "their pairs submitted, then the office approves what the leaders approved, each in one step:"
PINGGU_ACTOR=leader-1 $P field review --db $D/round.db --sample anhui-2019 --all-in submitted \
   --to approved_by_leader --as leader
PINGGU_ACTOR=office $P field review --db $D/round.db --sample anhui-2019 \
   --all-in approved_by_leader --to approved_by_office --as office
$P field status --db $D/round.db --sample anhui-2019 | grep '审核 / review'
$P release create --db $D/round.db --round anhui-2019

step "14. Between rounds: work-team attendance (20 days a month in the village), post-exit
    monitoring from yearly registry snapshots, the round's milestones, the monthly bulletin"
$P attendance import --db $D/round.db --villages $D/province/attendance/villages.csv \
   --roster $D/province/attendance/roster.csv --checkins $D/province/attendance/checkins.csv
$P attendance summary --db $D/round.db --month 2019-11 --out $D/report
$P attendance recall --db $D/round.db --month 2019-11 | head -8
$P init $D/monitor.db
for y in 2017 2018 2019; do $P import --db $D/monitor.db $D/province/snapshots/$y --snapshot $y-12-31; done
$P attendance import --db $D/monitor.db --villages $D/province/monitor/villages.csv \
   --roster $D/province/monitor/roster.csv --checkins $D/province/monitor/checkins.csv
$P monitor import --db $D/monitor.db --plans $D/province/monitor/plans.csv \
   --training $D/province/monitor/training.csv
$P monitor --db $D/monitor.db --out $D/report
printf 'milestone,done\nteams_formed,2019-11-08\ntraining_lottery,2019-11-22\n' >$D/done.csv
$P round status --db $D/round.db --round anhui-2019 --date 2019-11-25 --done $D/done.csv --out $D/report
$P bulletin --month 2019-11 --inputs $D/province/bulletin.csv --out $D/report

step "15. The change log is intact"
$P audit verify --db $D/round.db

awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "\nthe whole round took %.0f s\n", b - a }'
