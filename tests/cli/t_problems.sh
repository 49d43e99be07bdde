# t_problems.sh — issue 10's life cycle through the real binary: problem candidates raised by
# `judge` are taken up with evidence, summarised, sent to the county, explained with the county's
# own evidence, confirmed on the team's evidence, fed back, rectified against a deadline counted
# in working days (across Labour Day 2020), closed and rechecked; illegal moves are refused with
# the legal ones listed (exit 2) and write nothing; re-judging never duplicates a problem; every
# move is in the change log, which still verifies. Also `pinggu calendar`.
. "$TESTS_DIR/lib.sh"
P=$PINGGU
export PINGGU_TODAY=2020-04-20
$P synth --out prov --seed 7 --counties 2 --departments >/dev/null
$P init r.db >/dev/null
$P import --db r.db prov >/dev/null
$P sample --db r.db --plan "$ROOT/plans/national-spotcheck-2019.json" --seed 1 --name n >/dev/null
$P field simulate --db r.db --sample n --truth prov/truth.csv --seed 5 --forms "$ROOT/forms" >/dev/null
expect_status 0 $P judge --db r.db --sample n
expect_grep "[1-9][0-9]* new problem candidates \(0 already raised, 0 withdrawn\)" out.txt
ncand=$(sqlite3 r.db "select count(*) from problems")
[ "$ncand" -gt 2 ] || fail "expected problem candidates, got $ncand"
export PINGGU_TODAY=2020-06-30
entries() { sqlite3 r.db "select count(*) from audit_log"; }

# the legal moves, as a table
expect_status 0 $P problems moves
expect_grep "^candidate +recorded +leader\|evaluator +\[evidence\]" out.txt
expect_grep "^rectified +closed +office" out.txt

# illegal moves: refused with the legal ones, exit 2, nothing written
before=$(entries)
expect_status 2 $P problems move --db r.db 1 confirmed --as leader --on 2020-04-21
expect_grep "cannot move a problem from candidate .* legal moves: recorded \(leader\|evaluator\), dismissed \(office\|leader\)" err.txt
echo photo > p1.jpg; echo county > c1.pdf; echo done > r1.jpg; echo visit > v1.jpg
# seed 000: 凡没有核准、核实,或证据不充分的,将不作为问题予以采信 — recording needs evidence
expect_status 2 $P problems move --db r.db 1 recorded --as evaluator --on 2020-04-21
expect_grep "needs evidence" err.txt
expect_status 2 $P problems move --db r.db 1 recorded --as county --evidence p1.jpg --on 2020-04-21
expect_grep "is made by leader\|evaluator, not by county" err.txt
expect_status 2 $P problems move --db r.db 999999 recorded --as evaluator --evidence p1.jpg
expect_grep "no problem number 999999" err.txt
expect_status 2 $P problems move --db r.db 1 recorded --as evaluator --evidence nosuch.jpg --on 2020-04-21
expect_status 2 $P problems move --db r.db 1 recorded --as evaluator --evidence p1.jpg --on 2020-04-19
expect_grep "before the day the problem was found" err.txt
expect_status 64 $P problems move --db r.db 1 recorded --as nobody
expect_status 64 $P problems move --db r.db 1 nosuchstate --as office
[ "$(entries)" = "$before" ] || fail "a refused move wrote to the change log"
[ "$(sqlite3 r.db 'select count(*) from problem_moves')" = 0 ] || fail "a refused move was stored"

# the whole life cycle of problem 1
mv() { expect_status 0 $P problems move --db r.db "$@"; }
mv 1 recorded --as evaluator --evidence p1.jpg --on 2020-04-21
mv 1 summarised --as leader --on 2020-04-21
mv 1 sent_for_verification --as leader --on 2020-04-21
expect_status 2 $P problems move --db r.db 1 explained --as county --on 2020-04-22
expect_grep "needs the explanation" err.txt
mv 1 explained --as county --note "该户经营为季节性，收入已核减" --evidence c1.pdf --on 2020-04-22
mv 1 confirmed --as leader --on 2020-04-22
mv 1 fed_back --as office --on 2020-04-25
expect_status 2 $P problems move --db r.db 1 rectifying --as county --measures m --responsible-unit u \
  --responsible-person p --deadline 2020-04-01 --on 2020-04-29
expect_grep "before the day the problem was found" err.txt
expect_status 2 $P problems move --db r.db 1 rectifying --as county --measures m --deadline-days 5 --on 2020-04-29
expect_grep "responsible" err.txt
# 5 working days from Wednesday 2020-04-29: Apr 30, (May 1–5 off), May 6, 7, 8 and Saturday May 9
# (a 调休 working day) -> 2020-05-09
mv 1 rectifying --as county --measures "重新核定家庭收入" --responsible-unit "县扶贫办" \
  --responsible-person "张某" --deadline-days 5 --on 2020-04-29
expect_grep "deadline 整改时限 2020-05-09" out.txt
expect_status 2 $P problems move --db r.db 1 closed --as office --on 2020-05-08
mv 1 rectified --as county --result "已按程序标注退出" --evidence r1.jpg --on 2020-05-08
mv 1 closed --as office --on 2020-05-09
mv 1 rechecked --as evaluator --evidence v1.jpg --on 2020-06-01
expect_status 2 $P problems move --db r.db 1 rectifying --as office --note x --deadline 2020-07-01
expect_grep "the state is final" err.txt
expect_status 0 $P problems show --db r.db 1
expect_grep "已复查 \(rechecked\)" out.txt
expect_grep "团队证据 team evidence items: 2" out.txt   # p1 and v1; the county's c1 and r1 beside them
expect_grep "sent_for_verification → explained +by tester \(county\) +note: 该户经营为季节性" out.txt
[ "$(sqlite3 r.db "select count(*) from evidence_links where problem = 1")" = 4 ] || fail "evidence links"

# a dismissal states its reason; a recorded finding needs evidence
expect_status 2 $P problems move --db r.db 2 dismissed --as leader
expect_grep "needs a reason" err.txt
mv 2 dismissed --as leader --note "复核：该户不属四类人员" --on 2020-04-21
unit=$(sqlite3 r.db "select code from sample_units where stage = 'household' limit 1")
expect_status 2 $P problems record --db r.db --round n --unit "$unit" --kind policy --description "未落实"
expect_grep "at least one evidence" err.txt
expect_status 2 $P problems record --db r.db --round n --unit "$unit" --kind nosuch --description x --evidence p1.jpg
expect_status 0 $P problems record --db r.db --round n --unit "$unit" --kind policy \
  --description "教育资助未落实" --evidence p1.jpg --on 2020-04-21
expect_grep "problem [0-9]+ recorded" out.txt
rec=$(sed -n 's/problem \([0-9]*\) recorded/\1/p' out.txt)
expect_status 0 $P problems list --db r.db --round n --state recorded
expect_grep "^$rec +" out.txt


# the rectification ledger: problem 3 rectifying with a deadline of 2020-05-15 (a Friday)
mv 3 recorded --as evaluator --evidence p1.jpg --on 2020-04-21
mv 3 summarised --as leader --on 2020-04-21
mv 3 confirmed --as leader --on 2020-04-21
mv 3 fed_back --as office --on 2020-04-25
mv 3 rectifying --as county --measures "补发教育资助" --responsible-unit "县教育局" \
  --responsible-person "李某" --deadline 2020-05-15 --on 2020-04-28
expect_status 0 $P problems ledger --db r.db --round n --date 2020-05-15
expect_grep "^县教育局 +1 +0 +0 +0 +0$" out.txt        # on the deadline day itself: in time
expect_status 0 $P problems ledger --db r.db --round n --date 2020-05-16
expect_grep "^县教育局 +1 +1 +0 +0 +0$" out.txt        # the day after: overdue
expect_grep "^3 +[0-9]+ +整改中 +2020-05-15 .*逾期 overdue" out.txt
mv 3 rectified --as county --result "已补发" --evidence r1.jpg --on 2020-05-18
expect_status 0 $P problems ledger --db r.db --round n --date 2020-05-20
expect_grep "^县教育局 +0 +0 +1 +1 +0$" out.txt        # done, but late
expect_grep "^县扶贫办 +0 +0 +1 +0 +1$" out.txt        # problem 1: done in time, closed
# read as it stood before the rectification was reported
expect_status 0 $P problems ledger --db r.db --round n --date 2020-05-17
expect_grep "^县教育局 +1 +1 +0 +0 +0$" out.txt


# comparison flags become candidates only by the office's explicit decision per rule and county
expect_status 0 $P compare --db r.db --rules "$ROOT/rules/compare.json" prov/departments
nflags=$(sqlite3 r.db "select count(*) from compare_flags where rule = 'business' and county = 340122")
[ "$nflags" -gt 0 ] || fail "no business flags to raise"
before=$(sqlite3 r.db "select count(*) from problems")
expect_status 2 $P problems raise --db r.db --round n --rule nosuch --county 340122
expect_grep "has no rule 'nosuch'" err.txt
expect_status 64 $P problems raise --db r.db --round n --rule business
expect_status 0 $P problems raise --db r.db --round n --rule business --county 340122
expect_grep "$nflags flags; $nflags new problem candidates \(([0-9]+) linked" out.txt
linked=$(sed -n 's/.*candidates (\([0-9]*\) linked.*/\1/p' out.txt)
[ "$(sqlite3 r.db "select count(*) from problems")" = $((before + nflags)) ] || fail "raise count"
[ "$(sqlite3 r.db "select count(*) from problem_links")" = "$linked" ] || fail "links"
# every link joins a comparison problem to a judgment problem on the same household
[ "$(sqlite3 r.db "select count(*) from problem_links l join problems a on a.row_no = l.problem join problems b on b.row_no = l.other where a.unit = b.unit and a.source = 'comparison' and b.source = 'judgment'")" = "$linked" ] || fail "a link joins different households"
# the judgment's business-owner households (四类人员: business=yes) are flagged by the department data too
[ "$linked" -gt 0 ] || fail "expected a household raised by both a judgment and the comparison"
expect_status 0 $P problems raise --db r.db --round n --rule business --county 340122
expect_grep "0 new problem candidates .* $nflags already raised" out.txt
[ "$(sqlite3 r.db "select count(*) from audit_log where action = 'problems raise' and actor = 'tester' and detail like '%\"rule\":\"business\"%'")" -ge 2 ] || fail "the decision is not logged"
expect_status 0 $P problems list --db r.db --round n
expect_grep "business .*\[linked 关联\]" out.txt


# the problem list in the report: every column filled as the problem progresses
expect_status 0 $P report --db r.db --sample n --out rep
expect_grep "<td>属实</td><td>重新核定家庭收入</td><td>县扶贫办</td><td>张某</td><td>2020-05-09</td><td>已按程序标注退出</td><td>2020-05-09</td></tr>" rep/problems.html
expect_grep "<td>不属实（复核：该户不属四类人员）</td>(<td>不适用（不属实）</td>){6}</tr>" rep/problems.html
expect_grep "<td>属实</td><td>补发教育资助</td><td>县教育局</td><td>李某</td><td>2020-05-15</td><td>已补发</td><td></td></tr>" rep/problems.html

# re-judging: no duplicates; the problems keep their numbers and states
expect_status 0 $P judge --db r.db --sample n
expect_grep " 0 new problem candidates \($ncand already raised, 0 withdrawn\)" out.txt
[ "$(sqlite3 r.db "select count(*) from problems where source = 'judgment'")" = "$ncand" ] || fail "re-judging duplicated problems"
expect_status 0 $P problems list --db r.db --round n --state rechecked
expect_grep "^1 +" out.txt

# the change log covers every move and still verifies
[ "$(sqlite3 r.db "select count(*) from audit_log where action = 'problem move'")" = 17 ] || fail "moves not logged"
expect_status 0 $P audit verify --db r.db
expect_grep "^ok" out.txt
# a move edited in the store is caught
sqlite3 r.db "update problem_moves set note = '改过' where row_no = 4"
expect_status 1 $P audit verify --db r.db

# the working-day calendar (DESIGN §8.1's example)
expect_status 0 $P calendar add-days 2019-09-30 1
expect_grep "^2019-10-08$" out.txt
expect_status 0 $P calendar add-days 2019-04-30 1       # Labour Day 2019 as amended: Sunday May 5 worked
expect_grep "^2019-05-05$" out.txt
expect_status 0 $P calendar is-working 2020-02-01       # Spring Festival 2020, extended
expect_grep "休息日 .*延长2020年春节假期" out.txt
expect_status 0 $P calendar working-days 2020-04-20 2020-05-19
expect_grep "^20$" out.txt
expect_status 2 $P calendar add-days 2015-12-01 1
expect_grep "outside the calendar's years 2016–2026" err.txt
printf 'date,kind,name,province,issued,notice\n2020-10-01,holiday,国庆节,,2019-11-21,n\n2020-02-30,holiday,x,,2019-11-21,n\n' > bad.csv
expect_status 2 $P calendar check bad.csv
expect_grep "bad.csv:3" err.txt
expect_status 64 $P calendar add-days 2019-09-30 lots
# found from anywhere (the shipped data beside the binary or in PINGGU_DATA)
PINGGU_DATA="$ROOT" expect_status 0 $P calendar check
expect_grep "covers 2016–2026" out.txt

# the funds rule, seed 001: "中央资金一经到账,省级财政20个工作日内拨付到县,各县30个工作日内完成前期准备
# 工作并落地实施" — bounds inclusive (以内): the 20th working day is in time, the 21st late.
# 20 working days after Monday 2020-04-20, across Labour Day 2020 (May 1–5 off, Sunday Apr 26
# and Saturday May 9 worked): 2020-05-19. 30 after 2020-05-19, across the Dragon Boat Festival
# (Jun 25–27 off, Sunday Jun 28 worked): 2020-07-01.
cat > funds.csv <<'CSV'
item,county,arrived,paid,started
one,互助县,2020-04-20,2020-05-19,2020-07-01
two,互助县,2020-04-20,2020-05-20,2020-07-03
three,化隆县,2020-04-20,,
four,化隆县,2020-04-20,2020-05-19,
CSV
expect_status 0 $P funds check funds.csv --date 2020-07-01
expect_grep "^one +互助县 +2020-04-20 2020-05-19 2020-05-19 - 2020-07-01 2020-07-01 -$" out.txt
expect_grep "^two +互助县 +2020-04-20 2020-05-19 2020-05-20 迟1日 2020-07-02 2020-07-03 迟1日$" out.txt
expect_grep "^three .* 未拨付逾期" out.txt
expect_grep "^four .* 2020-07-01 - +-$" out.txt          # due today: not yet late
expect_status 0 $P funds check funds.csv --date 2020-07-02
expect_grep "^four .* 2020-07-01 - +未实施逾期$" out.txt
printf 'item,county,arrived,paid,started\nx,y,2020-04-20,2020-04-19,\n' > bad.csv
expect_status 2 $P funds check bad.csv
expect_grep "bad.csv:2:4: paid to the county before the funds arrived" err.txt
printf 'item,county,arrived,paid,started\nx,y,2020-04-31,,\n' > bad.csv
expect_status 2 $P funds check bad.csv
expect_grep "bad.csv:2:3" err.txt

# the day's summary, by the plan: the district plan's list is due by 20:00 — seed 004, third
# article, 三.1: "由区脱贫指挥部联络员负责在当天晚上8点前,将当天汇总问题清单…报至…邮箱"
export PINGGU_TODAY=2021-01-10
$P synth --out dprov --seed 4 --counties 1 --year 2020 >/dev/null
$P init d.db >/dev/null
$P import --db d.db dprov >/dev/null
$P sample --db d.db --plan "$ROOT/plans/district-2020h1.json" --seed 777 --name d >/dev/null
$P field simulate --db d.db --sample d --truth dprov/truth.csv --seed 5 >/dev/null
export PINGGU_TODAY=2020-06-30
$P judge --db d.db --sample d >/dev/null
export PINGGU_TODAY=2021-01-10
team=$(sqlite3 d.db "select q.team from problems p join questionnaires q on q.unit = p.unit and q.sample = p.sample group by q.team having count(distinct p.row_no) >= 4 order by q.team limit 1")
[ -n "$team" ] || fail "no team with four problems"
set -- $(sqlite3 d.db "select distinct p.row_no from problems p join questionnaires q on q.unit = p.unit and q.sample = p.sample where q.team = $team order by p.row_no limit 4")
dmv() { expect_status 0 $P problems move --db d.db "$@"; }
tl=$team; [ "$team" != 0 ] || tl=-   # the round drew no teams: its table says "-" (plan.h teams_label)
for id in "$@"; do dmv $id recorded --as evaluator --evidence p1.jpg --on 2020-07-01; done
PINGGU_NOW=2020-07-01T11:30:00Z dmv $1 summarised --as leader --on 2020-07-01     # 19:30 CST: in time
PINGGU_NOW=2020-07-01T12:30:00Z dmv $2 summarised --as leader --on 2020-07-01     # 20:30 CST: late
PINGGU_NOW=2020-07-02T03:00:00Z dmv $4 summarised --as leader --on 2020-07-02     # the next day: late
expect_status 0 $P problems summary --db d.db --round d --date 2020-07-01
expect_grep "due by 20:00" out.txt
expect_grep "^$tl +4 +2 +1 +2 +0 +0$" out.txt     # 4 recorded, 2 summed (1 late), 2 missing
expect_status 0 $P problems summary --db d.db --round d --date 2020-07-02
expect_grep "^$tl +0 +1 +1 +0 +0 +0$" out.txt
expect_status 64 $P problems summary --db d.db --round d
