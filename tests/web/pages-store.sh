#!/bin/sh
# pages-store.sh — a small round for the pages (issue 13): a synthetic province of 4 counties in
# two cities (so the set-up page's team lottery can deal them: no team on its own city), round
# "n" drawn by the national spot-check plan, fieldwork simulated and submitted for review (the
# leader approves or rejects each questionnaire), problems raised, one problem recorded by an
# evaluator with evidence, and one account per role. Used by
# tests/cli/t_pages.sh, `make demo-serve` and `make screenshots`.
#
#   sh tests/web/pages-store.sh PINGGU ROOT DIR     → DIR/r.db; prints "COUNTY CITY P1 P2"
#
# Every account's password is $PAGES_PW (default Pages-Pass-2020) and must be changed at the
# first sign-in, as for any new account (docs/server.md).
set -eu
P=$1 ROOT=$2 D=$3
PW=${PAGES_PW:-Pages-Pass-2020}
mkdir -p "$D"
cd "$D"
export PINGGU_TODAY=2020-04-20 PINGGU_PROGRESS=0
$P synth --out prov --seed 2 --counties 4 >/dev/null  # two cities: the team lottery can deal them
$P init r.db >/dev/null
$P import --db r.db prov >/dev/null
$P sample --db r.db --plan "$ROOT/plans/national-spotcheck-2019.json" --seed 1 --name n >/dev/null
$P field simulate --db r.db --sample n --truth prov/truth.csv --seed 5 --forms "$ROOT/forms" --out sim --review >/dev/null
$P judge --db r.db --sample n >/dev/null
county=$(sqlite3 r.db "select county from problems group by county order by count(*) desc limit 1")
city=$((county / 100))
p1=$(sqlite3 r.db "select min(row_no) from problems where county = $county")
echo photo > p1.jpg
$P problems move --db r.db "$p1" recorded --as evaluator --evidence p1.jpg --on 2020-04-21 >/dev/null
# a second problem already confirmed and fed back to the county (by the command line), which the
# county rectifies in its page: measures, responsible unit and person, deadline
p2=$(sqlite3 r.db "select min(row_no) from problems where county = $county and row_no > $p1")
$P problems move --db r.db "$p2" recorded --as evaluator --evidence p1.jpg --on 2020-04-21 >/dev/null
$P problems move --db r.db "$p2" summarised --as leader --on 2020-04-21 >/dev/null
$P problems move --db r.db "$p2" sent_for_verification --as leader --on 2020-04-21 >/dev/null
$P problems move --db r.db "$p2" confirmed --as leader --evidence p1.jpg --on 2020-04-22 >/dev/null
$P problems move --db r.db "$p2" fed_back --as office --on 2020-04-23 >/dev/null
add() { echo "$PW" | $P user add --db r.db "$@" >/dev/null; }
add --role office wang
add --role leader --round n --scope "$county" li
add --role evaluator --round n --scope "$county" zhao
add --role county --scope "$county" xian
add --role city --scope "$city" shi
add --role supervisor jiandu
add --role observer guancha
# a leader on their own city: a cadre of the city it is granted (home-city rule, seed 002 四)
add --role leader --round n --scope "$city" --home "$city" cadre
echo "$county $city $p1 $p2"
