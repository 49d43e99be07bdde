# t_bulletin.sh — issue 15 item 4, the monthly ranking bulletin. Seed 001 (陕西): "每个月对各市(区)
# 和省直责任部门扶贫工作进行排名通报,排出好中差,倒数第一的主要领导表态发言。" The seed gives no band
# rule: rules/monitor.json's default (top 30% 好, bottom 30% 差, counts rounded) or the plan's
# "bulletin" section. Every expected figure below is worked out by hand from the sheet.
. "$TESTS_DIR/lib.sh"
P=$PINGGU
{
  echo "month,unit,kind,score"
  # June: I last
  for u in A:70 B:71 C:72 D:73 E:74 F:75 G:76 H:77 I:50 J:60; do echo "2017-06,${u%%:*}市,city,${u##*:}"; done
  # July: ranks B1 D2 C3 A4 F5 G6 E7 I8 H9 J10 (J last)
  for u in A:80 B:95 C:85 D:90 E:70 F:75 G:72 H:60 I:65 J:50; do echo "2017-07,${u%%:*}市,city,${u##*:}"; done
  # August: A1 B2 C2 D4 E5 F6 G7 H8 I9 J10 (J last again)
  for u in A:95 B:90 C:90 D:85 E:80 F:75 G:70 H:65 I:60 J:55; do echo "2017-08,${u%%:*}市,city,${u##*:}"; done
  echo "2017-07,扶贫办,department,80"; echo "2017-07,财政厅,department,90"
  echo "2017-07,教育厅,department,60"; echo "2017-07,卫健委,department,85"
  echo "2017-08,扶贫办,department,88"; echo "2017-08,财政厅,department,88"
  echo "2017-08,教育厅,department,70"; echo "2017-08,卫健委,department,70"
  echo "2017-08,住建厅,省直责任部门,75"
} > sheet.csv
expect_status 0 $P bulletin --month 2017-08 --inputs sheet.csv --out rep
cp out.txt aug.txt
# cities: 10 units, round(3.0) = 3 好 and 3 差; B and C tie for 2nd
expect_grep "^city +1/10 A市 +95 好 good +\+3$" aug.txt
expect_grep "^city +2/10 B市 +90 好 good +-1$" aug.txt
expect_grep "^city +2/10 C市 +90 好 good +\+1$" aug.txt
expect_grep "^city +4/10 D市 +85 中 middle +-2$" aug.txt
expect_grep "^city +7/10 G市 +70 中 middle +-1$" aug.txt
expect_grep "^city +8/10 H市 +65 差 poor +\+1$" aug.txt
expect_grep "^city +10/10 J市 +55 差 poor +\+0  倒数第一 表态发言 \(2 months in a row\)$" aug.txt
[ "$(grep -c '表态发言' aug.txt)" = 3 ] || fail "expected 3 statements (J市 and two departments tied last)"
# departments ranked apart: 5 units, round(1.5) = 2 好 and 2 差; a tie for last flags both
expect_grep "^department +1/5 +扶贫办 +88 好 good +\+2$" aug.txt
expect_grep "^department +1/5 +财政厅 +88 好 good +\+0$" aug.txt
expect_grep "^department +3/5 +住建厅 +75 中 middle +new$" aug.txt
expect_grep "^department +4/5 +卫健委 +70 差 poor +-2  倒数第一 表态发言$" aug.txt
expect_grep "^department +4/5 +教育厅 +70 差 poor +\+0  倒数第一 表态发言 \(2 months in a row\)$" aug.txt
[ -s rep/bulletin-2017-08.html ] && [ -s rep/bulletin-2017-08.xlsx ] || fail "no bulletin files"
grep -q "表态发言" rep/bulletin-2017-08.html || fail "the printable page lacks the statement flag"
# July: J last for the first time (I was last in June)
expect_status 0 $P bulletin --month 2017-07 --inputs sheet.csv
expect_grep "^city +10/10 J市 +50 差 poor +-1  倒数第一 表态发言$" out.txt
expect_status 0 $P bulletin --month 2017-06 --inputs sheet.csv
expect_grep "^city +10/10 I市 +50 差 poor +new  倒数第一 表态发言$" out.txt
# the plan's band rule instead of the default: top 50%, bottom 20%
printf '{"bulletin": {"good_share": 0.5, "poor_share": 0.2}}\n' > plan.json
expect_status 0 $P bulletin --month 2017-08 --inputs sheet.csv --plan plan.json
expect_grep "the plan's rule" out.txt
expect_grep "^city +5/10 E市 +80 好 good" out.txt
expect_grep "^city +8/10 H市 +65 中 middle" out.txt
expect_grep "^city +9/10 I市 +60 差 poor" out.txt
# bad input: file:line:column, exit 2
printf 'month,unit,kind,score\n2017-08,A市,city,9\n2017-08,A市,city,8\n' > dup.csv
expect_status 2 $P bulletin --month 2017-08 --inputs dup.csv
expect_grep "dup.csv:3:2: A市 has two scores for 2017-08" err.txt
printf 'month,unit,kind,score\n2017-08,A市,county,9\n' > kind.csv
expect_status 2 $P bulletin --month 2017-08 --inputs kind.csv
expect_grep "kind.csv:2:3: kind 'county' is neither city" err.txt
printf 'month,unit,kind,score\n2017-8,A市,city,9\n' > mon.csv
expect_status 2 $P bulletin --month 2017-08 --inputs mon.csv
expect_grep "mon.csv:2:1: month '2017-8' is not YYYY-MM" err.txt
expect_status 2 $P bulletin --month 2017-09 --inputs sheet.csv
expect_grep "no scores for 2017-09" err.txt
expect_status 2 $P bulletin --month 2017-13 --inputs sheet.csv
expect_status 64 $P bulletin --inputs sheet.csv
echo ok
