# t_recheck.sh — issue 10's recheck sample of closed problems (整改台账: "a recheck sample of
# closed items drawn verifiably like any sample"): `problems recheck-draw` draws N of the closed
# problems with Rivest tickets from a published seed over a frozen frame, stores it
# change-logged, and `problems recheck-verify` re-derives it; the same seed gives the same draw,
# an edited draw, frame or seed fails, drawn items show in the ledger as due for recheck.
# Seed 001: "整改一项、销号一项" — only closed (销号) items are in the frame.
. "$TESTS_DIR/lib.sh"
P=$PINGGU
export PINGGU_TODAY=2020-04-20
$P synth --out prov --seed 7 --counties 2 >/dev/null
$P init r.db >/dev/null
$P import --db r.db prov >/dev/null
$P sample --db r.db --plan "$ROOT/plans/national-spotcheck-2019.json" --seed 1 --name n >/dev/null
$P field simulate --db r.db --sample n --truth prov/truth.csv --seed 5 --forms "$ROOT/forms" >/dev/null
$P judge --db r.db --sample n >/dev/null
export PINGGU_TODAY=2020-06-30
[ "$(sqlite3 r.db "select count(*) from problems")" -ge 7 ] || fail "expected at least 7 candidates"
echo photo > p.jpg; echo done > r.jpg; echo visit > v.jpg

# no closed problem yet: nothing to draw, exit 2, nothing written
before=$(sqlite3 r.db "select count(*) from audit_log")
expect_status 2 $P problems recheck-draw --db r.db --round n --seed 5eed --n 2
expect_grep "no closed problems" err.txt
[ "$(sqlite3 r.db "select count(*) from audit_log")" = "$before" ] || fail "a refused draw wrote"

close_problem() {
  for step in "recorded --as evaluator --evidence p.jpg" "summarised --as leader" \
      "confirmed --as leader" "fed_back --as office" \
      "rectifying --as county --measures m --responsible-unit 县扶贫办 --responsible-person 张某 --deadline 2020-06-30" \
      "rectified --as county --result 已整改 --evidence r.jpg" "closed --as office"; do
    # shellcheck disable=SC2086
    expect_status 0 $P problems move --db r.db "$1" $step --on 2020-05-06
  done
}
for id in 1 2 3 4 5 6; do close_problem $id; done
# problem 7 goes only as far as rectified: not in the frame
for step in "recorded --as evaluator --evidence p.jpg" "summarised --as leader" \
    "confirmed --as leader" "fed_back --as office"; do
  # shellcheck disable=SC2086
  expect_status 0 $P problems move --db r.db 7 $step --on 2020-05-06
done
cp r.db r2.db

# bad input: not a hexadecimal seed, no N, unknown round — exit 2 or 64, nothing written
expect_status 2 $P problems recheck-draw --db r.db --round n --seed xyz --n 2
expect_grep "hexadecimal" err.txt
expect_status 2 $P problems recheck-draw --db r.db --round n --seed 5eed --n 0
expect_status 64 $P problems recheck-draw --db r.db --round n --seed 5eed
expect_status 2 $P problems recheck-draw --db r.db --round nosuch --seed 5eed --n 2
expect_status 2 $P problems recheck-verify --db r.db --round n
expect_grep "has no recheck draw" err.txt
[ "$(sqlite3 r.db "select count(*) from recheck_draws")" = 0 ] || fail "a refused draw was stored"

expect_status 0 $P problems recheck-draw --db r.db --round n --seed 5eed --n 3
expect_grep "recheck draw 1: 3 of 6 closed problems; seed commitment $(printf 5eed | sha256sum | cut -c1-64)" out.txt
cp out.txt draw1.txt
drawn=$(sqlite3 r.db "select group_concat(problem, ' ') from (select problem from recheck_units order by rank)")
[ "$(echo $drawn | wc -w)" = 3 ] || fail "3 drawn: $drawn"
for id in $drawn; do [ "$id" -ge 1 ] && [ "$id" -le 6 ] || fail "problem $id is not closed"; done
# the frame is the six closed problems, frozen with the draw, and its hash is over that text
[ "$(sqlite3 r.db "select frame_rows from recheck_draws")" = 6 ] || fail "frame rows"
sqlite3 r.db "select frame from recheck_draws" | head -c -1 > frame.txt
[ "$(sha256sum frame.txt | cut -c1-64)" = "$(sqlite3 r.db "select frame_hash from recheck_draws")" ] \
  || fail "the frame hash is not the SHA-256 of the frozen frame"
# tickets are plan/'s Rivest tickets of "recheck|closed|all|ID": recompute them independently
python3 - "$(sqlite3 r.db "select group_concat(problem || ':' || ticket, ' ') from recheck_units")" <<'EOF'
import hashlib, sys
seed_hex = hashlib.sha256(b"5eed").hexdigest()
def uniform(s):
    x = int(hashlib.sha256(s.encode()).hexdigest(), 16)
    return "0." + str(x)[::-1].ljust(64, "0") if len(str(x)) < 64 else "0." + str(x)[::-1]
tickets = sorted((uniform(seed_hex + "recheck|closed|all|%d" % i), i) for i in range(1, 7))
want = ["%d:%s" % (i, t) for t, i in tickets[:3]]
got = sys.argv[1].split()
assert got == want, (got, want)
EOF
# the draw is change-logged and the log still verifies
[ "$(sqlite3 r.db "select count(*) from audit_log where action = 'recheck draw' and actor = 'tester'")" = 2 ] \
  || fail "the draw is not in the change log"
expect_status 0 $P audit verify --db r.db

# re-derivation
expect_status 0 $P problems recheck-verify --db r.db --round n
expect_grep "draw 1 \(every county\): 6 closed problems, .* 3 drawn — re-derived identically" out.txt
# the same seed draws the same problems in another copy of the store
expect_status 0 $P problems recheck-draw --db r2.db --round n --seed 5eed --n 3
[ "$(sqlite3 r2.db "select group_concat(problem, ' ') from (select problem from recheck_units order by rank)")" = "$drawn" ] \
  || fail "the same seed drew differently"
# ... and drawing again in the same round is refused (a committed seed is drawn once)
expect_status 2 $P problems recheck-draw --db r.db --round n --seed 0ther --n 3
expect_status 2 $P problems recheck-draw --db r.db --round n --seed abcd --n 3
expect_grep "already has a recheck draw" err.txt

# drawn items show in the ledger as due for recheck until rechecked
expect_status 0 $P problems ledger --db r.db --round n --date 2020-06-30
first=$(echo $drawn | cut -d' ' -f1)
expect_grep "^$first +.*待复查 due for recheck" out.txt
expect_grep "recheck sample: 3 drawn, 0 rechecked, 3 due" out.txt
expect_status 0 $P problems move --db r.db "$first" rechecked --as evaluator --evidence v.jpg --on 2020-06-10
expect_status 0 $P problems ledger --db r.db --round n --date 2020-06-30
expect_grep "recheck sample: 3 drawn, 1 rechecked, 2 due" out.txt
expect_no_grep "^$first +.*待复查" out.txt
# the recheck moved a problem on, but the frame is as of the draw: still verifies
expect_status 0 $P problems recheck-verify --db r.db --round n

# tampering: a drawn problem swapped for an undrawn closed one fails
other=$(sqlite3 r.db "select row_no from problems where row_no <= 6 and row_no not in (select problem from recheck_units) limit 1")
cp r.db t.db
sqlite3 t.db "update recheck_units set problem = $other where rank = 2"
expect_status 1 $P problems recheck-verify --db t.db --round n
expect_grep "rank 2: stored problem $other" err.txt
# a frame edited (problem 7 slipped in) with its hash recomputed: the frame no longer matches the store
# (the row's newline from the shell: SQLite's char(10) is chr(10) on PostgreSQL)
nl=$(printf '\n.'); nl=${nl%.}
cp r.db t.db
sqlite3 t.db "update recheck_draws set frame = frame || '7|' || (select county from problems where row_no = 7) || '|' || (select unit from problems where row_no = 7) || '$nl', frame_rows = 7"
sqlite3 t.db "select frame from recheck_draws" | head -c -1 > f2.txt
sqlite3 t.db "update recheck_draws set frame_hash = '$(sha256sum f2.txt | cut -c1-64)'"
expect_status 1 $P problems recheck-verify --db t.db --round n
expect_grep "no longer matches the store" err.txt
# the frame edited without its hash
cp r.db t.db
sqlite3 t.db "update recheck_draws set frame = replace(frame, '1|', '9|')"
expect_status 1 $P problems recheck-verify --db t.db --round n
expect_grep "frozen frame's hash" err.txt
# another seed put in its place
cp r.db t.db
sqlite3 t.db "update recheck_draws set seed = 'abcd'"
expect_status 1 $P problems recheck-verify --db t.db --round n
expect_grep "does not match its commitment" err.txt
# a closed problem's history rewritten after the draw (its close-out removed)
cp r.db t.db
sqlite3 t.db "delete from problem_moves where problem = $other and to_state = 'closed'"
expect_status 1 $P problems recheck-verify --db t.db --round n
expect_grep "no longer matches the store" err.txt

# per county: a draw of one county's closed problems only
county=$(sqlite3 r2.db "select county from problems where row_no = 1")
expect_status 0 $P problems recheck-draw --db r2.db --round n --seed 5eed --n 1 --county "$county"
ncl=$(sqlite3 r2.db "select frame_rows from recheck_draws where county = $county")
[ "$ncl" = "$(sqlite3 r2.db "select count(*) from problems where row_no <= 6 and county = $county")" ] || fail "county frame"
expect_status 0 $P problems recheck-verify --db r2.db --round n
expect_grep "2 recheck draw\(s\) verified" out.txt
echo ok
