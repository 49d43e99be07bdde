# t_pg_partition.sh — issue 14: "the registry and the comparison flags partitioned by province
# (declarative partitioning)". On PostgreSQL, households, members and compare_flags are
# PARTITION BY RANGE on the column whose leading digits are the province (schema.c v15,
# docs/scale.md), one partition per province made on demand by the bulk load's COPY. Checked
# after importing a registry of two provinces (安徽 34 and 福建 35) and comparing it with the
# departments' records of both:
#   - pg_inherits lists exactly TABLE_p34, TABLE_p35 and TABLE_default for each table, every
#     row is in its province's partition (counted against the CSVs) and the defaults are empty;
#   - a query on one province reads only its partition (EXPLAIN: partition pruning);
#   - the same commands on SQLite give the same summary, byte-identical registry export and
#     flags CSV (partitioning changes no output);
#   - a re-import of one province empties the other's partition; rows that reached the default
#     partition move to their province's partition when it is made (pinggu_partition);
#   - audit verify is ok.
. "$TESTS_DIR/lib.sh"
P=$PINGGU
cl=$(mktemp -d /tmp/pinggu-pg.XXXXXX)
trap 'sh "$ROOT/scripts/pg-cluster.sh" stop "$cl"' EXIT
URL=$(sh "$ROOT/scripts/pg-cluster.sh" start "$cl") ||
  fail "could not start a PostgreSQL cluster (is the Debian package postgresql installed? scripts/deps.sh check)"
psql_() { sh "$ROOT/scripts/pg-cluster.sh" psql "$cl" -d pinggu -qAt -v ON_ERROR_STOP=1 "$@"; }
export PINGGU_EVIDENCE=$PWD/pg.evidence PINGGU_CHECKPOINTS=$PWD/pg.checkpoints

# a registry of two provinces, one county each, and the departments' records of both
$P synth --out p34 --seed 3 --province 34 --counties 1 --departments >/dev/null
$P synth --out p35 --seed 4 --province 35 --counties 1 --departments >/dev/null
mkdir -p two/departments
for f in p34/*.csv p34/departments/*.csv; do
  g=${f#p34/}
  { cat "$f"; tail -n +2 "p35/$g"; } > "two/$g"
done
rows() { echo $(($(wc -l < "$1") - 1)); }

# the same commands on both backends
run() { # run OUT DB: import, summary, compare, registry export into OUT
  out=$1 db=$2
  mkdir -p "$out"
  expect_status 0 $P init "$db"
  expect_status 0 $P import --db "$db" two
  expect_status 0 $P summary --db "$db"
  cp out.txt "$out/summary.txt"
  expect_status 0 $P compare --db "$db" --rules "$ROOT/rules/compare.json" two/departments \
    --out "$out/flags.csv"
  expect_status 0 $P export --db "$db" --out "$out/registry"
  expect_status 0 $P audit verify --db "$db"
}
run sq sq.db
run pg "$URL"
cmp sq/summary.txt pg/summary.txt || fail "the summary differs between backends"
cmp sq/flags.csv pg/flags.csv || fail "the flags differ between backends"
diff -r sq/registry pg/registry >/dev/null || fail "the registry export differs between backends"
expect_grep "^350121 " pg/summary.txt
expect_grep "^340121 " pg/summary.txt

# the partitions: exactly one per province imported, plus the default, for each table
want="compare_flags compare_flags_default
compare_flags compare_flags_p34
compare_flags compare_flags_p35
households households_default
households households_p34
households households_p35
members members_default
members members_p34
members members_p35"
got=$(psql_ -F' ' -c "SELECT inhparent::regclass, inhrelid::regclass FROM pg_inherits
                       JOIN pg_class c ON c.oid = inhrelid WHERE c.relkind = 'r'
                       ORDER BY inhparent::regclass::text, inhrelid::regclass::text")
[ "$got" = "$want" ] || { echo "$got" >&2; fail "not the partitions of two provinces"; }
[ "$(psql_ -c "SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'members'::regclass")" = r ] ||
  fail "members is not partitioned by range"
# every row in its province's partition, counted against the CSVs; the defaults empty
count() { psql_ -c "SELECT count(*) FROM $1"; }
for p in 34 35; do
  [ "$(count members_p$p)" = "$(rows p$p/members.csv)" ] || fail "members_p$p: $(count members_p$p) rows"
  [ "$(count households_p$p)" = "$(rows p$p/households.csv)" ] || fail "households_p$p: not the CSV's rows"
  n=$(tail -n +2 pg/flags.csv | awk -F, -v p=$p 'substr($6, 1, 2) == p' | wc -l)
  [ "$n" -gt 100 ] || fail "too few flags in province $p ($n) for this test to mean much"
  [ "$(count compare_flags_p$p)" = "$n" ] || fail "compare_flags_p$p: $(count compare_flags_p$p) rows, $n flags"
done
head -1 pg/flags.csv | grep -q '^flag_no,rule,rule_zh,kind,severity,county,' ||
  fail "flags.csv's sixth column is not the county"
for t in members households compare_flags; do
  [ "$(count ${t}_default)" = 0 ] || fail "rows in ${t}_default"
done
# ... and each row's key gives its partition's province (the units: pinggu_partitioned)
for t in "members resident 1000000000000000" "households village 10000000000" "compare_flags county 10000"; do
  set -- $t
  [ "$(psql_ -c "SELECT count(*) FROM $1 WHERE tableoid::regclass::text
                 <> '$1_p' || lpad(($2 / $3)::text, 2, '0')")" = 0 ] || fail "a row of $1 outside its province's partition"
done

# pruning: a query on one province reads its partition only
psql_ -c "EXPLAIN (COSTS OFF) SELECT count(*) FROM households WHERE village >= 350000000000
          AND village < 360000000000" > plan.txt
expect_grep "households_p35" plan.txt
expect_no_grep "households_p34|households_default" plan.txt
psql_ -c "EXPLAIN (COSTS OFF) SELECT name FROM members WHERE resident = 34012119910803893" > plan.txt
expect_grep "members_p34" plan.txt
expect_no_grep "members_p35|members_default" plan.txt

# a re-import of one province: the other's partition is emptied, the store still verifies
expect_status 0 $P import --db "$URL" p34
[ "$(count members_p35)" = 0 ] || fail "the re-import left province 35's members"
[ "$(count members_p34)" = "$(rows p34/members.csv)" ] || fail "the re-import's members"
expect_status 0 $P audit verify --db "$URL"
# a row that reached the default partition (an insert of a province without its partition)
# moves to the province's partition when pinggu_partition makes it (in a transaction rolled
# back: the store is left as it was)
psql_ > moved.txt <<'EOF'
BEGIN;
CREATE TEMP TABLE x AS SELECT * FROM households ORDER BY row_no LIMIT 1;
UPDATE x SET row_no = row_no + 100000000, village = village % 10000000000 + 360000000000;
INSERT INTO households SELECT * FROM x;
SELECT 'before ' || tableoid::regclass FROM households WHERE row_no = (SELECT row_no FROM x);
SELECT pinggu_partition('households', 36);
SELECT 'after ' || tableoid::regclass FROM households WHERE row_no = (SELECT row_no FROM x);
ROLLBACK;
EOF
expect_grep "^before households_default$" moved.txt
expect_grep "^after households_p36$" moved.txt
[ "$(psql_ -c "SELECT to_regclass('households_p36') IS NULL")" = t ] || fail "the rolled-back partition stayed"
expect_status 0 $P audit verify --db "$URL"
