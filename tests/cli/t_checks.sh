# t_checks.sh — issue 10's "scheme's other checks as questionnaires": the shipped forms
# project-check, document-review and cadre-interview (seed 002 五(二), 五(三), 五(五)), the Anhui
# plan's cadre-interview quotas as data (checked by `plan check`), `checks import` (all or
# nothing, every answer and unit checked) and `checks quotas` (completed vs required per unit).
. "$TESTS_DIR/lib.sh"
P=$PINGGU
PLAN="$ROOT/plans/anhui-cross-2019.json"

# the forms are sound (t_form.sh checks every shipped form too)
for f in project-check document-review cadre-interview; do
  expect_status 0 $P form check --strict "$ROOT/forms/$f.json"
done

# seed 002 五(三): "市级访谈对象为党委或政府分管负责同志1人、部门负责同志5人;县级访谈对象为党委或政府主要
# 负责同志和分管负责同志各1人、部门负责同志5人,对接受县域结对帮扶的20个国家级贫困县再访谈结对帮扶县(市、区)
# 选派的挂职干部1人、选派的专业技术人才1人;村级访谈对象为第一书记(或驻扶贫工作队队长)、村书记(或村主任)和
# 扶贫专干,现场或电话访谈帮扶责任人8人" — the plan's quotas, each number sourced by that sentence
expect_status 0 $P plan check --sources "$PLAN"
expect_grep "^interviews\.city\[1\]\.n = 5	seed 002 五\(三\)" out.txt
expect_grep "^interviews\.county\[2\]\.n = 5	seed 002 五\(三\)" out.txt
expect_grep "^interviews\.paired_county\[1\]\.n = 1	" out.txt
expect_grep "^interviews\.village\[3\]\.n = 8	" out.txt
expect_status 0 $P plan show "$PLAN"
expect_grep "^cadre interviews per unit \(干部访谈\): city city_leader 1; city department_head 5; county county_principal 1; .*village helper 8 \(on site or by phone\)$" out.txt
# plan check refuses a quota with an interviewee of another level, or no number
python3 - "$PLAN" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["interviews"]["village"][0]["role"] = "city_leader"
del d["interviews"]["county"][1]["n"]
json.dump(d, open("bad-plan.json", "w"), ensure_ascii=False)
EOF
expect_status 2 $P plan check bad-plan.json
expect_grep "interviews\.village\[0\]\.role: \"city_leader\" is not an interviewee of the village level" err.txt
expect_grep "interviews\.county\[1\]\.n: required" err.txt

# a round of the Anhui plan on two counties; the second receives paired assistance (县域结对帮扶)
$P synth --out prov --seed 7 --province 34 --counties 2 >/dev/null
awk -F, 'BEGIN{OFS=","} NR>1 && $1=="340122" {$10="350102"} {print}' prov/counties.csv > c.csv
mv c.csv prov/counties.csv
$P init r.db >/dev/null
$P import --db r.db prov >/dev/null
$P sample --db r.db --plan "$PLAN" --seed 1 --name a >/dev/null
v=$(sqlite3 r.db "select code from sample_units where stage = 'village' and county = 340121 and reserve = 0 order by code limit 1")
proj=$(sqlite3 r.db "select code from sample_units where stage = 'project' and reserve = 0 order by code limit 1")
entries() { sqlite3 r.db "select count(*) from audit_log"; }
cp r.db fresh.db; cp r.db fresh2.db; cp r.db fresh3.db; cp r.db twice.db

H=level,unit_code,role,mode,interviewee,post,interviewer,interview_date,responsibility,policy,work,projects_funds,agrees_with_records,team
row() { echo "$1,$2,$3,$4,$5,职务,李四,2019-12-02,已落实,已落实,已落实,规范,yes,3"; }
{
  echo $H
  row city 3401 city_leader onsite 市领导
  for i in 1 2 3 4 5; do row city 3401 department_head onsite 市部门$i; done
  row county 340121 county_principal onsite 县长
  row county 340121 county_deputy onsite 副县长
  for i in 1 2 3; do row county 340121 department_head onsite 县部门$i; done
  row village "$v" first_secretary onsite 第一书记
  row village "$v" village_secretary onsite 村书记
  row village "$v" poverty_officer onsite 专干
  for i in 1 2 3 4 5 6 7 8; do row village "$v" helper phone 帮扶人$i; done
} > cadres.csv

# bad input: nothing written, every error with file:line
before=$(entries)
{ echo $H; row village "$v" city_leader onsite 甲; } > bad1.csv
expect_status 2 $P checks import --db r.db --round a --form "$ROOT/forms/cadre-interview.json" bad1.csv
expect_grep "bad1.csv:2: role: 访谈对象与访谈层级不符" err.txt
# 现场或电话访谈帮扶责任人8人: only the helpers may be interviewed by phone
{ echo $H; row county 340121 county_principal phone 乙; } > bad2.csv
expect_status 2 $P checks import --db r.db --round a --form "$ROOT/forms/cadre-interview.json" bad2.csv
expect_grep "bad2.csv:2: mode: 只有帮扶责任人可电话访谈" err.txt
# a county that is not the round's, a village that was not sampled — in one file with good rows
{ cat cadres.csv; row county 349999 county_principal onsite 丙; row village 340121999999 helper phone 丁; } > bad3.csv
expect_status 2 $P checks import --db r.db --round a --form "$ROOT/forms/cadre-interview.json" bad3.csv
expect_grep "bad3.csv:24: unit_code: 349999 is not a county of round a" err.txt
expect_grep "bad3.csv:25: unit_code: 340121999999 is not a village of round a" err.txt
expect_grep "2 error\(s\); nothing imported" err.txt
# the same cadre twice
{ cat cadres.csv; row city 3401 city_leader onsite 市领导; } > bad4.csv
expect_status 2 $P checks import --db r.db --round a --form "$ROOT/forms/cadre-interview.json" bad4.csv
expect_grep "bad4.csv:24: city\|3401\|city_leader\|市领导 is in this file twice \(first on line 2\)" err.txt
# fieldwork import does not take these forms
expect_status 2 $P field import --db r.db --sample a --form "$ROOT/forms/cadre-interview.json" cadres.csv
expect_grep "imported with .pinggu checks import" err.txt
[ "$(entries)" = "$before" ] || fail "a refused import wrote to the change log"
[ "$(sqlite3 r.db "select count(*) from check_questionnaires")" = 0 ] || fail "a refused import was stored"

expect_status 0 $P checks import --db r.db --round a --form "$ROOT/forms/cadre-interview.json" cadres.csv
expect_grep "imported 22 cadre-interview questionnaire" out.txt
[ "$(sqlite3 r.db "select count(*) from audit_log where action = 'checks import'")" = 1 ] || fail "not logged"
# imported again: every cadre is already there
expect_status 2 $P checks import --db r.db --round a --form "$ROOT/forms/cadre-interview.json" cadres.csv
expect_grep "already has a cadre-interview questionnaire in round a" err.txt

# document review (五(二)): one county's records; 八(三) 不得要求村级另行填表报数
D=level,unit_code,paired,reviewer,review_date,county_plan,county_two_three,county_rectification,county_policies,county_responsibility,county_dynamic,county_assistance,county_policy_delivery,county_key_work,county_projects,county_funds,county_funds_note,county_safeguards,extra_forms
{ echo $D; echo "county,340121,no,王五,2019-12-03,complete,complete,complete,complete,complete,complete,complete,complete,complete,complete,incomplete,支出凭证不全,complete,no"; } > docs.csv
sed 's/,no$/,yes/' docs.csv > bad5.csv
expect_status 2 $P checks import --db r.db --round a --form "$ROOT/forms/document-review.json" bad5.csv
expect_grep "bad5.csv:2: extra_forms: 查阅资料仅限于现有档案资料" err.txt
sed 's/,incomplete,支出凭证不全,/,incomplete,,/' docs.csv > bad6.csv
expect_status 2 $P checks import --db r.db --round a --form "$ROOT/forms/document-review.json" bad6.csv
expect_grep "bad6.csv:2: county_funds_note" err.txt
expect_status 0 $P checks import --db r.db --round a --form "$ROOT/forms/document-review.json" docs.csv

# project check (五(五): 重点核查项目进展、资金使用、取得成效等情况,并与情况交流、干部访谈、入户调查了解的情况进行比对)
J=project_id,project_kind,checker,check_date,status,progress_pct,funds_planned,funds_paid,funds_compliant,beneficiaries,poor_beneficiaries,effect_rating,effect_note,compare_briefing,compare_cadres,compare_households,discrepancy
{ echo $J; echo "$proj,village_project,赵六,2019-12-04,completed,90,50,50,yes,30,12,good,道路已通车,yes,yes,yes,"; } > bad7.csv
expect_status 2 $P checks import --db r.db --round a --form "$ROOT/forms/project-check.json" bad7.csv
expect_grep "bad7.csv:2: progress_pct: 已完工项目进度应为100%" err.txt
{ echo $J; echo "$proj,village_project,赵六,2019-12-04,completed,100,50,50,yes,30,12,good,道路已通车,yes,no,yes,"; } > bad8.csv
expect_status 2 $P checks import --db r.db --round a --form "$ROOT/forms/project-check.json" bad8.csv
expect_grep "bad8.csv:2: discrepancy" err.txt     # a source that differs says what differs
{ echo $J; echo "NOPROJECT,village_project,赵六,2019-12-04,completed,100,50,50,yes,30,12,good,道路已通车,yes,yes,yes,"; } > bad9.csv
expect_status 2 $P checks import --db r.db --round a --form "$ROOT/forms/project-check.json" bad9.csv
expect_grep "project_id: NOPROJECT is not a project of round a" err.txt
{ echo $J; echo "$proj,village_project,赵六,2019-12-04,completed,100,50,60,yes,30,12,good,道路已通车,yes,no,yes,户反映尚未分红"; } > proj.csv
expect_status 0 $P checks import --db r.db --round a --form "$ROOT/forms/project-check.json" proj.csv
expect_grep "imported 1 project-check questionnaire\(s\) into round a \(1 warning" out.txt   # paid > arranged

# quotas: completed vs required per unit
expect_status 0 $P checks quotas --db r.db --round a
expect_grep "^city +3401 .* city_leader 1/1 department_head 5/5 \| 查阅资料 records missing" out.txt
expect_grep "^county +340121 .* county_principal 1/1 county_deputy 1/1 department_head 3/5 \| 查阅资料 records done \| 缺 short 2 interview" out.txt
# the paired county has the two more interviews of 五(三)
expect_grep "^county +340122 +结对 paired .*department_head 0/5 paired_cadre 0/1 paired_talent 0/1 .*缺 short 9 interview" out.txt
expect_grep "^village +$v .*first_secretary 1/1 village_secretary 1/1 poverty_officer 1/1 helper 8/8 \| 查阅资料 records missing 未查$" out.txt
expect_grep "$proj +done 已核查" out.txt
nv=$(sqlite3 r.db "select count(*) from sample_units where stage = 'village' and reserve = 0")
np=$(sqlite3 r.db "select count(distinct code) from sample_units where stage in ('project', 'paired_project') and reserve = 0")
# required: city 6, counties 7 + 9, villages 11 each; done: 6 + 5 + 11
expect_grep "cadre interviews 22/$((6 + 7 + 9 + 11 * nv)), document reviews 1/$((1 + 2 + nv)), project checks 1/$np" out.txt
expect_status 0 $P audit verify --db r.db

# simulated checks for the demo: through the same import; with nothing missing every quota is met
expect_status 0 $P checks simulate --db fresh.db --round a --out sim --seed 3 --missing 0
expect_grep "simulated and imported $((6 + 7 + 9 + 11 * nv)) cadre interviews, $((1 + 2 + nv)) document reviews, $np project checks" out.txt
expect_status 0 $P checks quotas --db fresh.db --round a
expect_grep "cadre interviews $((6 + 7 + 9 + 11 * nv))/$((6 + 7 + 9 + 11 * nv)), document reviews $((1 + 2 + nv))/$((1 + 2 + nv)), project checks $np/$np; 0 unit\(s\) short" out.txt
expect_no_grep "缺 short|missing 未" out.txt
# a project drawn both as a project and as a paired-assistance project (the demo's province has
# one) is one unit to check, never two rows of the file (this copy is edited behind the change
# log only to make that case)
sqlite3 twice.db "create temp table t as select * from sample_units where stage = 'project' and reserve = 0 limit 1;
  update t set row_no = (select max(row_no) + 1 from sample_units), stage = 'paired_project';
  insert into sample_units select * from t"
expect_status 0 $P checks simulate --db twice.db --round a --out simtwice --seed 3 --missing 0
expect_grep "[0-9]+ project checks" out.txt
# some left out: deterministic for the seed, and the quotas report them short
expect_status 0 $P checks simulate --db fresh2.db --round a --out sim2 --seed 3 --missing 0.3
expect_status 0 $P checks simulate --db fresh3.db --round a --out sim3 --seed 3 --missing 0.3
for f in cadre-interview document-review project-check; do
  cmp -s sim2/$f.csv sim3/$f.csv || fail "the simulation is not deterministic for its seed ($f)"
done
[ "$(wc -l < sim2/cadre-interview.csv)" -lt "$(wc -l < sim/cadre-interview.csv)" ] || fail "nothing left out"
expect_status 0 $P checks quotas --db fresh2.db --round a
expect_grep "缺 short" out.txt
expect_grep "[1-9][0-9]* unit\(s\) short" out.txt
expect_status 0 $P audit verify --db fresh2.db
echo ok
