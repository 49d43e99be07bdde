# t_interference.sh — issue 10's interference and discipline (DESIGN §8.2, seed 002 八(二)–(三)):
# records with content-hashed evidence, readable by the office and the discipline supervisor only;
# the leader's logged decision to stop fieldwork in a county, after which field import/simulate
# warn for it; each side's discipline record in the round report.
# Seed 002 八(三): "考核组如发现被考核市、县(市、区)违反考核纪律,应留存证据并及时向省扶贫办报告;干扰考核评估
# 情况严重且不及时改正的,考核组可终止实地考核。考核组和被考核地方遵守考核纪律情况将纳入各市、县(市、区)考核综合评价
# 范围之内。"
. "$TESTS_DIR/lib.sh"
P=$PINGGU
$P synth --out prov --seed 7 --counties 2 >/dev/null
$P init r.db >/dev/null
$P import --db r.db prov >/dev/null
$P sample --db r.db --plan "$ROOT/plans/national-spotcheck-2019.json" --seed 1 --name n >/dev/null
c=$(sqlite3 r.db "select code from sample_units where stage = 'county' and reserve = 0")
echo "录音" > tape.mp3
entries() { sqlite3 r.db "select count(*) from audit_log"; }

# bad input: nothing written
before=$(entries)
# 应留存证据: the locality's interference is reported with its evidence
expect_status 2 $P interference record --db r.db --round n --county "$c" --kind coaching --note x --as evaluator
expect_grep "with its evidence" err.txt
expect_status 2 $P interference record --db r.db --round n --county "$c" --kind bribery --note x --evidence tape.mp3 --as evaluator
expect_grep "kind 'bribery' is not one of the locality side's: coaching\|following\|asking_progress\|other" err.txt
expect_status 2 $P interference record --db r.db --round n --county "$c" --kind coaching --note x --evidence nosuch.mp3 --as evaluator
expect_status 2 $P interference record --db r.db --round n --county 349999 --kind coaching --note x --evidence tape.mp3 --as evaluator
expect_grep "county 349999 is not a county of round n" err.txt
expect_status 2 $P interference record --db r.db --round n --county "$c" --kind coaching --note x --evidence tape.mp3 --as county
expect_status 64 $P interference record --db r.db --round n --county "$c" --kind coaching --note x --evidence tape.mp3
[ "$(entries)" = "$before" ] || fail "a refused record wrote to the change log"

# 禁止威胁、叮嘱、培训被调查对象回答问卷: coaching, with a recording as evidence
expect_status 0 $P interference record --db r.db --round n --county "$c" --kind coaching \
  --note "村干部在入户前叮嘱农户如何回答收入问题" --evidence tape.mp3 --as evaluator
expect_grep "discipline record 1 stored" out.txt
# 以提供服务为名部署大量人员跟踪考核: following
expect_status 0 $P interference record --db r.db --round n --county "$c" --kind following \
  --note "乡镇安排多人跟随考核组" --evidence tape.mp3 --as evaluator
# the team's own side: 查阅资料 … 不得要求村级另行填表报数
expect_status 0 $P interference record --db r.db --round n --county "$c" --side team --kind extra_forms \
  --note "调查员要求村里另行填报表格" --as leader
# the evidence is content-addressed as `evidence add` stores it
h=$(sha256sum tape.mp3 | cut -c1-64)
[ "$(sqlite3 r.db "select count(*) from evidence where sha256 = '$h'")" = 1 ] || fail "evidence not stored by hash"
[ "$(sqlite3 r.db "select evidence from discipline_records where row_no = 1")" = "[\"$h\"]" ] || fail "evidence hash"
expect_status 0 $P evidence verify --db r.db
# the change log names no note (it is read more widely than the records)
[ "$(sqlite3 r.db "select count(*) from audit_log where action = 'discipline record'")" = 3 ] || fail "not logged"
[ "$(sqlite3 r.db "select count(*) from audit_log where detail like '%叮嘱%'")" = 0 ] || fail "the log leaks a note"

# reading: the office and the discipline supervisor only (the library's rule), exit 2 otherwise
for role in evaluator leader county; do
  expect_status 2 $P interference list --db r.db --round n --as $role
  expect_grep "read by the office and the discipline supervisor only" err.txt
  expect_no_grep "叮嘱" out.txt
done
expect_status 0 $P interference list --db r.db --round n --as discipline
expect_grep "coaching .* by tester \(evaluator\) +村干部在入户前叮嘱农户如何回答收入问题 +evidence: \[\"$h\"\]" out.txt
expect_grep "^3 record\(s\)" out.txt
expect_status 0 $P interference list --db r.db --round n --county "$c" --as office
expect_grep "team +extra_forms" out.txt

# 干扰考核评估情况严重且不及时改正的,考核组可终止实地考核: the leader's logged decision
before=$(entries)
expect_status 2 $P fieldwork stop --db r.db --round n --county "$c" --reason "多次干扰" --as evaluator
expect_grep "the team leader's decision" err.txt
expect_status 2 $P fieldwork stop --db r.db --round n --county "$c" --as leader
expect_grep "states its reason" err.txt
[ "$(entries)" = "$before" ] || fail "a refused stop wrote"
expect_status 0 $P fieldwork stop --db r.db --round n --county "$c" --reason "多次叮嘱农户且不改正" --as leader --on 2026-10-30
expect_status 2 $P fieldwork stop --db r.db --round n --county "$c" --reason again --as leader
expect_grep "already stopped" err.txt
[ "$(sqlite3 r.db "select count(*) from audit_log where action = 'fieldwork stop' and actor = 'tester'")" = 1 ] || fail "stop not logged"
expect_status 0 $P interference list --db r.db --round n --as office
expect_grep "^终止实地考核 fieldwork stopped in county $c on 2026-10-30 by tester \(leader\): 多次叮嘱农户且不改正$" out.txt
# fieldwork in the round then warns for the stopped county (questionnaires are stored; the stop stands)
expect_status 0 $P field simulate --db r.db --sample n --truth prov/truth.csv --seed 5 --forms "$ROOT/forms"
expect_grep "warning: fieldwork in county $c was stopped \(2026-10-30 多次叮嘱农户且不改正; 考核组终止实地考核\): [1-9][0-9]* questionnaire" err.txt

# each side's record in the round report
$P judge --db r.db --sample n >/dev/null
expect_status 0 $P report --db r.db --sample n --out rep
expect_grep "考核纪律 Discipline" rep/index.html
expect_grep "<tr><td>$c</td><td>2</td><td>1</td><td>2026-10-30 多次叮嘱农户且不改正</td></tr>" rep/index.html
expect_no_grep "村干部在入户前叮嘱" rep/index.html   # counts, not the records themselves
expect_status 0 $P audit verify --db r.db
echo ok
