# t_attendance.sh — issue 15 item 1, village work-team attendance through the real binary.
# Seed 001 (湖南 四): "加强驻村日常管理,规定每月驻村时间不少于20天,实行GPS 定位管理,建立驻村工作队员
# 召回问责机制,杜绝“走读”、 挂虚名等现象。" — 不少于20天: 20 days is enough, 19 is not.
# Synthetic check-ins with known truth (synth --attendance): every member's days in the village
# and day visits agree with the truth, and the recall list, 走读, 挂虚名 and impossible movement
# have precision and recall 1; the rule's bounds (11:59/12:00, 17:59/18:00, inside/outside
# the radius, 19/20 days) on a hand-made month; bad files refused with file:line, nothing written.
. "$TESTS_DIR/lib.sh"
P=$PINGGU
$P synth --out prov --seed 11 --counties 2 --attendance 2019-11 >/dev/null
A=prov/attendance
$P init r.db >/dev/null
expect_status 0 $P attendance import --db r.db --villages $A/villages.csv --roster $A/roster.csv --checkins $A/checkins.csv
expect_grep "^imported [0-9]+ villages, [0-9]+ roster rows, [0-9]+ check-ins" out.txt
expect_status 0 $P attendance summary --db r.db --month 2019-11 --out rep
cp out.txt summary.txt
[ -s rep/attendance-2019-11.html ] || fail "no HTML"
[ -s rep/attendance-2019-11.xlsx ] || fail "no XLSX"
grep -q "召回名单" rep/attendance-2019-11.html || fail "HTML has no recall list"

# per member: days and day visits equal the truth; flags have precision = recall = 1
awk 'NR==FNR { if ($3 ~ /^W[0-9]+$/) { d[$3]=$5; v[$3]=$6; s[$3]=$0 } next }
     FNR==1 { FS="," ; next }
     { split($0, f, ",") }
     f[11]==0 { if (f[1] in d) { print "part-month member assessed: " f[1]; bad=1 } next }
     { m=f[1]; n++
       if (!(m in d)) { print "missing " m; bad=1; next }
       if (d[m]!=f[5] || v[m]!=f[6]) { print m ": days " d[m] "/" v[m] ", truth " f[5] "/" f[6]; bad=1 }
       under=(s[m] ~ / under /); ghost=(s[m] ~ /挂虚名/); visit=(s[m] ~ /走读/); jump=(s[m] ~ /movement/)
       tp+=under&&f[7]; fp+=under&&!f[7]; fn+=!under&&f[7]
       if (ghost!=f[9]) { print m ": 挂虚名 " ghost ", truth " f[9]; bad=1 }
       if (visit!=f[8]) { print m ": 走读 " visit ", truth " f[8]; bad=1 }
       if (jump!=f[10]) { print m ": movement " jump ", truth " f[10]; bad=1 } }
     END { printf "under: tp %d fp %d fn %d of %d\n", tp, fp, fn, n
           if (fp || fn || tp < 3 || bad) exit 1 }' summary.txt $A/truth.csv > pr.txt \
  || { cat pr.txt; fail "attendance differs from the truth"; }
grep -q "tp [1-9]" pr.txt || fail "no member under 20 days in the synthetic month"
for cls in bound20 bound19 visitor ghost jumper part; do
  grep -q ",$cls," $A/truth.csv || fail "the synthetic month has no $cls member"
done
# the seed's bound: 20 days is enough, 19 is recalled
m20=$(awk -F, '$4=="bound20" {print $1; exit}' $A/truth.csv)
m19=$(awk -F, '$4=="bound19" {print $1; exit}' $A/truth.csv)
expect_status 0 $P attendance recall --db r.db --month 2019-11
grep -q " $m19 .*: 19 days" out.txt || fail "$m19 (19 days) is not on the recall list"
! grep -q " $m20 " out.txt || fail "$m20 (20 days) is on the recall list"
nrec=$(grep -c "^  W" out.txt)
ntrue=$(awk -F, '$11==1 && $7==1' $A/truth.csv | wc -l)
[ "$nrec" -eq "$ntrue" ] || fail "recall list has $nrec members, truth $ntrue"
expect_grep "^$nrec members to recall" out.txt
# one county's recall list: exactly its members under 20 days
c1=$(awk -F, 'NR > 1 {print $2; exit}' $A/truth.csv)
expect_status 0 $P attendance recall --db r.db --month 2019-11 --county $c1
[ "$(grep -c '^county ' out.txt)" = 1 ] && grep -q "^county $c1 " out.txt || fail "recall --county lists other counties"
[ "$(grep -c '^  W' out.txt)" = "$(awk -F, -v c=$c1 '$2 == c && $11 == 1 && $7 == 1' $A/truth.csv | wc -l)" ] \
  || fail "recall --county $c1 differs from the truth"
grep -q "各县汇总" rep/attendance-2019-11.html || fail "HTML has no per-county table"

# a hand-made month: the time windows and the radius at their bounds
cat > v.csv <<'V'
village,name,county,latitude,longitude,radius_m
340101001001,甲村,340101,30.000000,117.000000,1000
V
cat > ro.csv <<'V'
member,name,village,role,from,to,left_for
A1,甲,340101001001,第一书记,2019-01-01,,
A2,乙,340101001001,队员,2019-01-01,,
A3,丙,340101001001,队员,2019-01-01,,
A4,丁,340101001001,队员,2019-11-10,,
V
# A1: day 1 11:59 + 18:00 inside (counts); day 2 12:00 + 17:59 (a day visit, not a day);
#     day 3 at 990 m (inside) both times (counts); day 4 at 1010 m (outside) both times.
# A2: inside 08:00, 300 km away at 09:00 (impossible), back 20:00. A3: only outside.
cat > c.csv <<'V'
member,time,latitude,longitude,source
A1,2019-11-01 11:59,30.000000,117.000000,GPS
A1,2019-11-01 18:00,30.000000,117.000000,GPS
A1,2019-11-02 12:00,30.000000,117.000000,GPS
A1,2019-11-02 17:59:59,30.000000,117.000000,GPS
A1,2019-11-03 08:00,30.008903,117.000000,GPS
A1,2019-11-03 20:00,30.008903,117.000000,GPS
A1,2019-11-04 08:00,30.009083,117.000000,GPS
A1,2019-11-04 20:00,30.009083,117.000000,GPS
A2,2019-11-05 08:00,30.000000,117.000000,GPS
A2,2019-11-05 09:00,32.700000,117.000000,APP
A2,2019-11-05 20:00,30.000000,117.000000,GPS
A3,2019-11-05 08:00,30.100000,117.000000,GPS
V
$P init h.db >/dev/null
expect_status 0 $P attendance import --db h.db --villages v.csv --roster ro.csv --checkins c.csv
expect_status 0 $P attendance summary --db h.db --month 2019-11
expect_grep "^340101 +340101001001 A1 +甲 +2 +1 +0  under" out.txt
expect_grep "^340101 +340101001001 A2 +乙 +1 +0 +1  under movement" out.txt
expect_grep "^340101 +340101001001 A3 +丙 +0 +0 +0  under 挂虚名" out.txt
expect_no_grep " A4 " out.txt
expect_grep "^3 members assessed, 1 on the roster for part of the month" out.txt

# bad input: file:line:column, exit 2, nothing written
entries() { sqlite3 "$1" "select count(*) from audit_log"; }
before=$(entries h.db)
sed 's/2019-11-05 09:00/2019-11-05 9h/' c.csv > bad1.csv
expect_status 2 $P attendance import --db h.db --villages v.csv --roster ro.csv --checkins bad1.csv
expect_grep "bad1.csv:11:2: time '2019-11-05 9h' is not YYYY-MM-DD HH:MM" err.txt
sed 's/^A3,2019/A9,2019/' c.csv > bad2.csv
expect_status 2 $P attendance import --db h.db --villages v.csv --roster ro.csv --checkins bad2.csv
expect_grep "bad2.csv:13:1: member 'A9' is not on the work-team roster" err.txt
sed 's/^A2,乙,340101001001/A2,乙,340101001002/' ro.csv > bad3.csv
expect_status 2 $P attendance import --db h.db --villages v.csv --roster bad3.csv --checkins c.csv
expect_grep "bad3.csv:3:3: village '340101001002' is not in the village locations file" err.txt
sed 's/30.000000,117.000000,1000/91,117.000000,1000/' v.csv > bad4.csv
expect_status 2 $P attendance import --db h.db --villages bad4.csv --roster ro.csv --checkins c.csv
expect_grep "bad4.csv:2:4: '91' is not a coordinate" err.txt
printf 'A1,2019-11-01 11:59,30,117,GPS\n' >> bad5.csv; cat c.csv bad5.csv > bad6.csv
expect_status 2 $P attendance import --db h.db --villages v.csv --roster ro.csv --checkins bad6.csv
expect_grep "bad6.csv:14:2: member A1 checked in at 2019-11-01 11:59:00 twice \(first on line 2\)" err.txt
[ "$(entries h.db)" = "$before" ] || fail "a refused import wrote to the change log"
[ "$(sqlite3 h.db 'select count(*) from mon_checkins')" = 12 ] || fail "check-ins changed"
expect_status 64 $P attendance summary --db h.db
expect_status 2 $P attendance summary --db h.db --month 2019-13

# a re-import replaces the rows and the change log still verifies
expect_status 0 $P attendance import --db h.db --villages v.csv --roster ro.csv --checkins c.csv
[ "$(sqlite3 h.db 'select count(*) from mon_checkins')" = 12 ] || fail "re-import duplicated rows"
expect_status 0 $P audit verify --db h.db
expect_status 0 $P audit verify --db r.db
echo ok
