# t_registry.sh — issue 2 end to end through the real binary: synth, init, import, export
# round trip, summary with masking, all-or-nothing errors with file:line:column, GB18030,
# and audit verify against tampering with the sqlite3 shell.
. "$TESTS_DIR/lib.sh"

$PINGGU synth --out prov --seed 3 --province 34 --counties 1 >/dev/null
for f in counties townships villages households members projects evaluators truth; do
  [ -s prov/$f.csv ] || fail "synth did not write $f.csv"
done
expect_status 64 $PINGGU synth --out x --counties 2 --members 100
expect_grep "not both" err.txt

$PINGGU init reg.db >/dev/null
expect_status 1 $PINGGU init reg.db
expect_status 0 $PINGGU import --db reg.db prov
expect_grep "members.csv +[0-9]+ rows" out.txt
expect_grep "skipped: .*truth.csv" out.txt

# export -> identical files; import of the export -> identical export
$PINGGU export --db reg.db --out exp >/dev/null
for f in counties townships villages households members projects evaluators; do
  cmp -s prov/$f.csv exp/$f.csv || fail "$f.csv differs after synth -> import -> export"
done
$PINGGU init reg2.db >/dev/null
$PINGGU import --db reg2.db exp >/dev/null
$PINGGU export --db reg2.db --out exp2 >/dev/null
for f in counties townships villages households members projects evaluators; do
  cmp -s exp/$f.csv exp2/$f.csv || fail "$f.csv differs after export -> import -> export"
done

# the same registry in another order (issue 9 item 23: the load keeps households_id,
# households_village and members_household in place while their keys arrive in order, and
# drops one to rebuild it at the end from the first key out of order): households reversed
# (their ids and villages go backwards) and members left as they were (so their households'
# rows, numbered in the reversed order, go backwards too; reversing both would keep them in
# order) — every kept index meets a key out of order: the same rows stored, the indexes back,
# the chain intact
mkdir rev && cp prov/*.csv rev/
{ head -n 1 prov/households.csv; tail -n +2 prov/households.csv | tac; } > rev/households.csv
$PINGGU init rev.db >/dev/null
expect_status 0 $PINGGU import --db rev.db rev
$PINGGU export --db rev.db --out exprev >/dev/null
for f in households members; do
  cmp -s rev/$f.csv exprev/$f.csv || fail "$f.csv differs after a reversed import -> export"
done
expect_status 0 $PINGGU audit verify --db rev.db
if [ -z "${PINGGU_PG_CLUSTER:-}" ]; then # SQLite's own view of its indexes
  for db in reg.db rev.db; do
    [ "$(sqlite3 $db "PRAGMA integrity_check")" = ok ] || fail "$db: integrity_check"
    [ "$(sqlite3 $db "SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('households', 'members') ORDER BY name)")" = \
      "households_id,households_village,members_household" ] || fail "$db: an index is missing"
  done
  hh=$(sqlite3 rev.db "SELECT household FROM members WHERE row_no = (SELECT max(row_no) FROM members)")
  [ "$(sqlite3 rev.db "SELECT count(*) FROM members INDEXED BY members_household WHERE household = $hh")" = \
    "$(sqlite3 rev.db "SELECT count(*) FROM members NOT INDEXED WHERE household = $hh")" ] ||
    fail "members_household disagrees with the table after a reversed import"
fi

# the summary masks nothing personal; teams show masks names (tested in t_sample)
expect_status 0 $PINGGU summary --db reg.db
expect_grep "合计 total" out.txt

# one wrong check digit: exit 2, file:line:column, nothing written
mkdir bad && cp prov/*.csv bad/
line=$(awk -F, 'NR==5{print $1}' bad/members.csv)
last=$(printf %s "$line" | cut -c18)
new=$( [ "$last" = 0 ] && echo 1 || echo 0 )
sed -i "5s/^$line/$(printf %s "$line" | cut -c1-17)$new/" bad/members.csv
before=$(sqlite3 reg.db "select count(*) from audit_log")
expect_status 2 $PINGGU import --db reg.db bad
expect_grep "^members.csv:5:1: resident_id: check character is $new, expected $last" err.txt
expect_grep "nothing was imported" err.txt
[ "$(sqlite3 reg.db "select count(*) from audit_log")" = "$before" ] || fail "the log changed"
$PINGGU export --db reg.db --out after >/dev/null
cmp -s prov/members.csv after/members.csv || fail "the store changed after a failed import"

# an unknown village code
rm -rf bad && mkdir bad && cp prov/*.csv bad/
sed -i '3s/^\([^,]*\),\([0-9]*\),/\1,349999999999,/' bad/households.csv
expect_status 2 $PINGGU import --db reg.db bad
expect_grep "^households.csv:3:2: village: household in an unknown village 349999999999" err.txt

# a duplicate resident ID
rm -rf bad && mkdir bad && cp prov/*.csv bad/
sed -n 2p bad/members.csv >> bad/members.csv
n=$(wc -l < bad/members.csv)
expect_status 2 $PINGGU import --db reg.db bad
expect_grep "^members.csv:$n:1: resident_id: duplicate resident ID [0-9]{6}\*{8}[0-9X]{4} \(also line 2\)" err.txt

# the same data in GB18030 imports identically
mkdir gb && for f in prov/*.csv; do iconv -f UTF-8 -t GB18030 "$f" > gb/$(basename "$f"); done
$PINGGU init gb.db >/dev/null
expect_status 0 $PINGGU import --db gb.db gb
expect_grep "GB18030, converted" out.txt
$PINGGU export --db gb.db --out gbexp >/dev/null
for f in counties townships villages households members projects evaluators; do
  cmp -s prov/$f.csv gbexp/$f.csv || fail "$f.csv differs when imported from GB18030"
done

# the change log: intact, then tampered with by the sqlite3 shell
expect_status 0 $PINGGU audit verify --db reg.db
expect_grep "^ok:" out.txt
cp reg.db t1.db
sqlite3 t1.db "UPDATE members SET name = name || 'x' WHERE row_no = (SELECT min(row_no) + 10 FROM members)"
expect_status 1 $PINGGU audit verify --db t1.db
expect_grep "entry [0-9]+ \(members.*a row was changed" out.txt
cp reg.db t2.db
sqlite3 t2.db "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"
expect_status 1 $PINGGU audit verify --db t2.db
expect_grep "the first: entry 2 .*was altered" out.txt
cp reg.db t3.db
sqlite3 t3.db "DELETE FROM audit_log WHERE seq = 3"
expect_status 1 $PINGGU audit verify --db t3.db
expect_grep "entry 3 is missing" out.txt
expect_status 0 $PINGGU audit log --db reg.db
expect_grep "import +counties" out.txt
