# t_report.sh — issue 5's reports through the real binary: a small Anhui round (4 counties in
# two cities, the fewest for which the team lottery has a valid draw) and a national spot check
# on the same registry; the files are there under their final
# names; the HTML shows no resident ID and no registry name in full (but does with
# --unmasked, which the change log records); the national plan's report has no score or rank;
# numbers in the workbook are numbers with a percent format; the pages open offline; evidence
# links resolve, or are SHA-256 citations when the report is far from the store; a failed run
# leaves the earlier report untouched.
. "$TESTS_DIR/lib.sh"
$PINGGU synth --out prov --seed 7 --counties 4 >/dev/null
$PINGGU init r.db >/dev/null
$PINGGU import --db r.db prov >/dev/null
$PINGGU sample --db r.db --plan "$ROOT/plans/anhui-cross-2019.json" --seed 20191124 --name a >/dev/null
$PINGGU teams draw --db r.db --plan "$ROOT/plans/anhui-cross-2019.json" --seed 1124 --sample a >/dev/null
$PINGGU field simulate --db r.db --sample a --truth prov/truth.csv --seed 5 --nonresponse 0.05 \
  --forms "$ROOT/forms" >/dev/null
$PINGGU judge --db r.db --sample a >/dev/null

# usage
expect_status 64 $PINGGU report --db r.db --sample a
expect_status 64 $PINGGU report --db r.db --out rep
expect_status 2 $PINGGU report --db r.db --sample nosuch --out rep  # issue 9 item 9: an unknown sample is bad input
[ ! -e rep/index.html ] || fail "a failed report wrote index.html"

# the report
expect_status 0 $PINGGU report --db r.db --sample a --out rep
expect_grep "wrote 7 files to rep" out.txt
for f in index.html problems.html report.xlsx; do [ -s rep/$f ] || fail "no rep/$f"; done
[ "$(ls rep/county-*.html | wc -l)" = 4 ] || fail "expected 4 county pages"
[ -z "$(ls -A rep | grep '^\.')" ] || fail "temporary files left: $(ls -A rep)"
for part in 一、基本情况 二、指标测算 三、指标与标准对照 四、贫困村退出指标 五、样本户情况 \
            六、问题线索 七、典型经验与突出问题 八、签字 组长签字 副组长签字; do
  for f in rep/county-*.html; do expect_grep "$part" $f; done
done
expect_grep "明确达标|难以判定|明确未达标" rep/index.html
# what the sample can decide (plan power): the Anhui plan cannot decide a county's wrong exits
for f in rep/county-*.html; do
  expect_grep "样本能判定什么 What this sample can decide" $f
  expect_grep "<td>错退率</td><td class=\"n\">2.00%</td><td class=\"n\">[0-9]{2}</td><td class=\"n\">±[0-9.]+%</td><td class=\"n\">[0-9]+%</td><td class=\"close\">不能 cannot decide</td>" $f
done
expect_grep "方案检验.*错退率：4 个县中 4 个不能判定" rep/index.html
expect_grep "<svg class=\"chart\"" rep/index.html
expect_grep "href=\"county-[0-9]{6}.html\"" rep/index.html
expect_grep "<th>序号</th><th>县</th><th>乡镇</th><th>村</th><th>对象</th><th>问题类型</th><th>问题描述</th><th>证据</th><th>发现人</th><th>发现日期</th><th>复核结果</th><th>整改措施</th><th>责任单位</th><th>责任人</th><th>整改时限</th><th>整改结果</th><th>销号日期</th>" rep/problems.html
n=$(sqlite3 r.db "select count(*) from problems")
[ "$n" -gt 0 ] || fail "no problem candidates to report"
[ "$(grep -c '<tr><td class="n">' rep/problems.html)" = "$n" ] || fail "problems.html does not list all $n problems"

# personal data: no 18-character resident ID, no full name of a team member or household head
id18='(^|[^0-9A-Za-z])[0-9]{17}[0-9Xx]([^0-9A-Za-z]|$)'
for f in rep/*.html; do expect_no_grep "$id18" $f; done
expect_grep "[0-9]{6}\*{8}[0-9]{3}[0-9X]" rep/problems.html
sqlite3 r.db "select e.name from team_members m join evaluators e on e.evaluator_id = m.evaluator" > team.txt
sqlite3 r.db "select m.name from problems p join households h on h.household_id = p.unit
              join members m on m.household = h.row_no and m.relation = 'head'" > heads.txt
[ -s team.txt ] && [ -s heads.txt ] || fail "no names to look for"
check_names() { # DIR PRESENT(0|1): is each name shown in full where the report puts names?
  while read -r name; do
    hits=$(cat "$1"/*.html | grep -cF -e "<td>$name</td>" -e "（$name）" -e "户主 $name，" || true)
    if [ "$2" = 0 ] && [ "$hits" != 0 ]; then fail "full name $name in $1"; fi
    if [ "$2" = 1 ] && [ "$hits" = 0 ]; then fail "name $name not shown in full in $1"; fi
  done
}
check_names rep 0 < team.txt
check_names rep 0 < heads.txt
expect_grep "<td>[^<*]+\*+</td>" rep/county-$(sqlite3 r.db "select min(county) from sample_units where stage='county'").html

# offline: nothing fetched, no script
for f in rep/*.html; do
  expect_no_grep "(href|src)=\"(https?:)?//" $f
  expect_no_grep "<script|<link |@import|url\(" $f
done

# evidence: relative links that resolve
href=$(grep -o 'href="\.\./r\.db\.evidence/[^"]*"' rep/problems.html | head -1 | sed 's/^href="//; s/"$//')
[ -n "$href" ] || fail "no evidence link"
[ -f "rep/$href" ] || fail "evidence link $href does not resolve"
# far from the store: cited by SHA-256
mkdir -p far/a/b
expect_status 0 $PINGGU report --db r.db --sample a --out far/a/b/rep
expect_no_grep "r\.db\.evidence" far/a/b/rep/problems.html
expect_grep "SHA-256 <code>[0-9a-f]{64}</code>" far/a/b/rep/problems.html

# the workbook: 汇总 first, numbers as numbers with a percent format
if command -v unzip >/dev/null 2>&1; then
  unzip -p rep/report.xlsx xl/workbook.xml > wb.xml
  expect_grep '<sheet name="汇总" sheetId="1"' wb.xml
  expect_grep '<sheet name="问题清单"' wb.xml
  expect_grep '<sheet name="[^"]*·指标测算"' wb.xml
  unzip -p rep/report.xlsx xl/worksheets/sheet1.xml > s1.xml
  # row 4 is the first county: code in A, response in D, wrong-exit estimate in E — numbers
  for cell in A4 D4 E4 F4 G4; do
    grep -qE "<c r=\"$cell\"( s=\"[0-9]+\")?( t=\"n\")?><v>-?[0-9.]+(E-?[0-9]+)?</v></c>" s1.xml ||
      fail "cell $cell of 汇总 is not a number"
  done
  expect_no_grep "<c r=\"E4\"[^>]* t=\"(s|str|inlineStr)\"" s1.xml
  unzip -p rep/report.xlsx xl/styles.xml > styles.xml
  expect_grep 'formatCode="0.00%"' styles.xml
  expect_grep '<pane [^>]*ySplit="3"[^>]*state="frozen"' s1.xml
  unzip -p rep/report.xlsx xl/sharedStrings.xml > strings.xml
  expect_no_grep "$id18" strings.xml
else
  echo "note: unzip not installed; workbook XML not checked"
fi

# issue 9 item 11: county names beyond Excel's 31 UTF-16 units made the workbook fail (the six
# sheets of a county collided when cut); now every sheet name is unique, within the limit,
# counted in UTF-16 units (𠀀 is two) and never cut inside a UTF-8 sequence
cp r.db long.db
sqlite3 long.db "update counties set name = 'Qingfeng Autonomous Count𠀀y ' || substr(CAST(code AS TEXT), 5, 2) || ' of the Long Names'"
sqlite3 long.db "update counties set name = 'QINGFENG AUTONOMOUS COUNTY EXTRA' where code = (select max(code) from counties)"
expect_status 0 $PINGGU report --db long.db --sample a --out longrep
if command -v unzip >/dev/null 2>&1; then
  unzip -p longrep/report.xlsx xl/workbook.xml > longwb.xml
  python3 - longwb.xml <<'PY' || fail "sheet names of long county names"
import html, re, sys
names = [html.unescape(n) for n in re.findall(r'<sheet name="([^"]*)"', open(sys.argv[1], encoding="utf-8").read())]
assert len(names) == 3 + 6 * 4, names
assert len({n.casefold() for n in names}) == len(names), names
for n in names:
    assert len(n.encode("utf-16-le")) // 2 <= 31, n
    assert not re.search(r"[\[\]:*?/\\']", n), n
assert any(re.search(r"~3401[0-9]{2}·指标测算$", n) for n in names), names
assert all(n.count("·") == 1 for n in names if n not in ("汇总", "问题清单", "说明")), names
PY
fi

# not scored, not ranked: the national spot check on the same registry
$PINGGU sample --db r.db --plan "$ROOT/plans/national-spotcheck-2019.json" --seed 42 --name n >/dev/null
$PINGGU field simulate --db r.db --sample n --truth prov/truth.csv --seed 6 --forms "$ROOT/forms" >/dev/null
$PINGGU judge --db r.db --sample n >/dev/null
expect_status 0 $PINGGU report --db r.db --sample n --out nat
expect_grep "不打分、不排队" nat/index.html
for f in nat/*.html; do expect_no_grep "得分|分数|排名|名次|排序|[Ss]core|[Rr]ank" $f; done
if command -v unzip >/dev/null 2>&1; then
  unzip -p nat/report.xlsx xl/sharedStrings.xml > nat.xml
  expect_no_grep "得分|分数|排名|名次|排序|[Ss]core|[Rr]ank" nat.xml
fi

# --unmasked: names in full, and the change log says who wrote them
expect_status 0 $PINGGU report --db r.db --sample a --out full --unmasked
expect_grep "in full" out.txt
check_names full 1 < team.txt
[ "$(sqlite3 r.db "select count(*) from audit_log where action = 'report'")" = 1 ] || fail "no change-log note"
expect_status 0 $PINGGU audit verify --db r.db

# a failed run leaves the earlier report as it was, and no temporary file
before=$(cat rep/index.html rep/county-*.html | cksum)
mkdir rep/.report.xlsx.tmp
touch rep/.report.xlsx.tmp/x
expect_status 1 $PINGGU report --db r.db --sample n --out rep
[ "$(cat rep/index.html rep/county-*.html | cksum)" = "$before" ] || fail "the earlier report changed"
[ -z "$(ls -A rep | grep '^\.' | grep -v '^\.report\.xlsx\.tmp$')" ] || fail "temporary files left: $(ls -A rep)"
echo ok
