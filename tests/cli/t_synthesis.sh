# t_synthesis.sh — issue 10's county synthesis (综合研判). Seed 000: "抽查工作组按照定性和定量相结合,数据
# 分析和实地调查相结合,第三方评估与暗访、部门平时掌握情况相结合的原则,综合研判提出最终的贫困县抽查结果,报扶贫领导
# 小组审定" — `synthesis show` puts the third-party indicators, the covert-visit findings (problems
# recorded with --source covert) and the departments' information (comparison flags per rule)
# side by side; `synthesis record` keeps the office's final judgment with its reasons, each
# record a new version, change-logged; only the office records one.
. "$TESTS_DIR/lib.sh"
P=$PINGGU
$P synth --out prov --seed 7 --counties 2 --departments >/dev/null
$P init r.db >/dev/null
$P import --db r.db prov >/dev/null
$P sample --db r.db --plan "$ROOT/plans/national-spotcheck-2019.json" --seed 1 --name n >/dev/null
$P field simulate --db r.db --sample n --truth prov/truth.csv --seed 5 --forms "$ROOT/forms" >/dev/null
$P judge --db r.db --sample n >/dev/null
$P compare --db r.db --rules "$ROOT/rules/compare.json" prov/departments >/dev/null
assessed=$(sqlite3 r.db "select code from sample_units where stage = 'county' and reserve = 0")
covert=$(sqlite3 r.db "select code from sample_units where stage = 'covert' and reserve = 0")
[ -n "$assessed" ] && [ -n "$covert" ] || fail "expected an assessed and a covert county"
echo photo > p.jpg

# a covert visit's finding (暗访): source covert; an unknown source is refused
expect_status 2 $P problems record --db r.db --round n --unit "$covert" --kind exit --source rumour \
  --description x --evidence p.jpg
expect_grep "unknown source 'rumour'" err.txt
expect_status 0 $P problems record --db r.db --round n --unit "$covert" --kind exit --source covert \
  --description "暗访发现住房不安全仍标注退出" --evidence p.jpg
[ "$(sqlite3 r.db "select count(*) from problems where source = 'covert' and county = $covert")" = 1 ] \
  || fail "the covert finding is not stored with its source"
# the office raises one rule's flags in the assessed county
$P problems raise --db r.db --round n --rule business --county "$assessed" >/dev/null

expect_status 0 $P synthesis show --db r.db --round n --county "$assessed"
expect_grep "^一、第三方评估 Third-party assessment" out.txt
# the indicators are the estimator's: the same figure as `pinggu indicators`
inc=$($P indicators --db r.db --sample n | awk -v c="$assessed" '$1 == c {f = 1} f && /错退率/ {print $2; exit}')
[ -n "$inc" ] || fail "no wrong-exit rate from indicators"
expect_grep "错退率 +$inc \[" out.txt
expect_grep "^二、暗访 Covert visits$" out.txt
expect_grep "^  0 covert-visit finding" out.txt
expect_grep "^三、部门掌握情况 Departments' information \(comparison run 1" out.txt
nb=$(sqlite3 r.db "select count(*) from compare_flags where rule = 'business' and county = $assessed")
expect_grep "^  business +high +$nb +$nb$" out.txt          # flags, and all of them raised
nc=$(sqlite3 r.db "select count(*) from compare_flags where rule = 'consumption' and county = $assessed")
expect_grep "^  consumption +[a-z]+ +$nc +0$" out.txt       # flags the office did not raise
expect_grep "^  comparison +$nb +0 +0$" out.txt
expect_grep "not yet recorded" out.txt

expect_status 0 $P synthesis show --db r.db --round n --county "$covert"
expect_grep "the county was drawn for a covert visit" out.txt
expect_grep "暗访发现住房不安全仍标注退出" out.txt
expect_grep "^  1 covert-visit finding" out.txt
expect_grep "surveyed no household of this county" out.txt

# the office's judgment: only the office, with its reasons; nothing written otherwise
before=$(sqlite3 r.db "select count(*) from audit_log")
expect_status 2 $P synthesis record --db r.db --round n --county "$assessed" --judgment 通过 --reason x --as leader
expect_grep "the office's \(--as office\)" err.txt
expect_status 2 $P synthesis record --db r.db --round n --county "$assessed" --judgment 通过 --as office
expect_grep "states its reasons" err.txt
expect_status 2 $P synthesis record --db r.db --round n --county 349999 --judgment 通过 --reason x --as office
expect_grep "county 349999 is not a county of the round" err.txt
expect_status 64 $P synthesis record --db r.db --round n --county "$assessed" --judgment 通过 --reason x
[ "$(sqlite3 r.db "select count(*) from audit_log")" = "$before" ] || fail "a refused judgment wrote"

expect_status 0 $P synthesis record --db r.db --round n --county "$assessed" --judgment "符合退出条件" \
  --reason "四项指标达标;部门比对疑点已核实" --as office
expect_grep "recorded as version 1" out.txt
expect_status 0 $P synthesis record --db r.db --round n --county "$assessed" --judgment "符合退出条件,存在个别问题" \
  --reason "暗访与比对发现的问题已整改" --as office
expect_grep "recorded as version 2" out.txt
expect_status 0 $P synthesis show --db r.db --round n --county "$assessed"
expect_grep "结论 judgment \(version 2\): 符合退出条件,存在个别问题" out.txt
expect_grep "理由 reasons: 暗访与比对发现的问题已整改" out.txt
expect_grep "by tester \(office\)" out.txt
expect_grep "earlier version 1 by tester .*符合退出条件 — 四项指标达标" out.txt
# history kept, change-logged; the log verifies, and an edited judgment breaks it
[ "$(sqlite3 r.db "select count(*) from synthesis_judgments")" = 2 ] || fail "versions"
[ "$(sqlite3 r.db "select count(*) from audit_log where action = 'synthesis record'")" = 2 ] || fail "not logged"
expect_status 0 $P audit verify --db r.db
sqlite3 r.db "update synthesis_judgments set judgment = '不符合' where version = 1"
expect_status 1 $P audit verify --db r.db
echo ok
