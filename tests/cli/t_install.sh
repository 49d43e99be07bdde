# t_install.sh — issue 9 item 25: pinggu finds its shipped plans, forms, rules and calendar
# wherever it runs — from an installed tree (PREFIX/bin/pinggu beside PREFIX/share/pinggu, what
# `make install` lays out), through PINGGU_DATA, and refuses clearly when they are nowhere.
. "$TESTS_DIR/lib.sh"
mkdir -p inst/usr/bin inst/usr/share/pinggu lone/bin data work
cp "$PINGGU" inst/usr/bin/pinggu
cp "$PINGGU" lone/bin/pinggu
for d in plans forms rules calendars; do
  cp -r "$ROOT/$d" inst/usr/share/pinggu/
  cp -r "$ROOT/$d" data/
done
cd work
I=../inst/usr/bin/pinggu
L=../lone/bin/pinggu
[ ! -e plans ] || fail "work/ must not hold the data"
# the README's commands, run from a folder without the data, find it beside the installed binary
expect_status 0 $I plan check plans/anhui-cross-2019.json
expect_grep "share/pinggu/plans/anhui-cross-2019.json: valid plan anhui-cross-2019" out.txt
expect_status 0 $I form check forms/village-exit.json
expect_status 0 $I calendar add-days 2019-09-30 1
expect_grep "^2019-10-08$" out.txt
expect_status 0 $I synth --out prov --seed 3 --counties 1 --departments
expect_status 0 $I init r.db
expect_status 0 $I import --db r.db prov
expect_status 0 $I sample --db r.db --plan plans/national-spotcheck-2019.json --seed 1 --name n
expect_status 0 $I field simulate --db r.db --sample n --truth prov/truth.csv --seed 5   # default forms/
expect_grep "simulated [1-9]" out.txt
expect_status 0 $I compare --db r.db --rules=rules/compare.json prov/departments
# a binary with no data beside it: a clear refusal naming the file (bad input, exit 2) ...
expect_status 2 $L plan check plans/anhui-cross-2019.json
expect_grep "plans/anhui-cross-2019.json" err.txt
# ... and PINGGU_DATA points it at the data
PINGGU_DATA="$PWD/../data" expect_status 0 $L plan check plans/anhui-cross-2019.json
expect_grep "data/plans/anhui-cross-2019.json: valid plan" out.txt
PINGGU_DATA="$PWD/../data" expect_status 0 $L calendar check
# a file of the same name in the working folder wins over the shipped one
mkdir plans && printf '{' > plans/anhui-cross-2019.json
expect_status 2 $I plan check plans/anhui-cross-2019.json
