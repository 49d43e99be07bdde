# t_exit.sh — issue 9 item 9: exit codes, for every pinggu sub-command. Each is fed at least
# one bad input — a missing file or folder, a malformed file, an unknown option value, a name
# (store, sample, unit) that is not there — and must exit 2 with a message naming it; a usage
# error (a required option or argument missing, an unknown option) must exit 64. Nothing is
# written to the store by any of them (the change log does not grow).
# README: "Exit status: 0 success, 1 failure, 2 bad input (...), 64 usage."
. "$TESTS_DIR/lib.sh"
$PINGGU synth --out prov --seed 4 --counties 1 --year 2020 >/dev/null
$PINGGU init r.db >/dev/null
$PINGGU import --db r.db prov >/dev/null
$PINGGU sample --db r.db --plan "$ROOT/plans/district-2020h1.json" --seed 777 --name d >/dev/null
printf '{"form_id": ' > bad.json
printf 'x,y\n1,2\n' > bad.csv
mkdir folder
entries() { sqlite3 r.db "select count(*) from audit_log"; }
n0=$(entries)
bad() { expect_status 2 "$@"; [ -s err.txt ] || fail "'$*' exited 2 without a message"; }
usage() { expect_status 64 "$@"; }

# synth
bad $PINGGU synth --out o --counties abc
expect_grep "counties" err.txt
bad $PINGGU synth --out o --year 1999
usage $PINGGU synth --counties 2
# init
bad $PINGGU init no-such-folder/x.db
if [ -n "${PINGGU_PG_CLUSTER:-}" ]; then # the backend switch: a database that does not exist
  expect_grep 'database "t_[0-9a-f]+" does not exist' err.txt
else
  expect_grep "no-such-folder: cannot open" err.txt
fi
usage $PINGGU init
# import
bad $PINGGU import --db r.db no-such-folder
expect_grep "no-such-folder: cannot open" err.txt
bad $PINGGU import --db r.db folder              # a folder without the registry files
bad $PINGGU import --db no-such.db prov
expect_grep "no-such.db: no such store" err.txt
usage $PINGGU import --db r.db
# export, export analysis
bad $PINGGU export --db no-such.db --out e
usage $PINGGU export --db r.db
bad $PINGGU export analysis --db r.db --sample d --out x.bogus
bad $PINGGU export analysis --db r.db --sample nosuch --out x.csv
expect_grep "no sample named nosuch" err.txt
usage $PINGGU export analysis --db r.db --out x.csv
# summary
bad $PINGGU summary --db no-such.db
usage $PINGGU summary --db r.db extra
# audit
bad $PINGGU audit verify --db no-such.db
bad $PINGGU audit log --db r.db -n abc
usage $PINGGU audit
# form
bad $PINGGU form check no-such.json
expect_grep "no-such.json: cannot open" err.txt
bad $PINGGU form check bad.json
expect_grep "^bad.json:1:.*not valid JSON" err.txt
bad $PINGGU form check folder
bad $PINGGU form show "$ROOT/forms/village-exit.json" --lang fr
usage $PINGGU form
# plan
bad $PINGGU plan check no-such.json
bad $PINGGU plan check bad.json
bad $PINGGU plan power --db r.db --plan "$ROOT/plans/district-2020h1.json" --reps 5
usage $PINGGU plan
# seed
bad $PINGGU seed commit ""
usage $PINGGU seed
# sample
bad $PINGGU sample --db r.db --plan no-such.json --seed 1 --name z
bad $PINGGU sample --db r.db --plan bad.json --seed 1 --name z
bad $PINGGU sample show --db r.db --name nosuch
bad $PINGGU sample verify --db r.db no-such.json
bad $PINGGU sample verify --db r.db bad.json
usage $PINGGU sample --db r.db --plan "$ROOT/plans/district-2020h1.json" --name z
# teams
bad $PINGGU teams draw --db r.db --plan no-such.json --seed 1 --sample d
bad $PINGGU teams show --db r.db --sample nosuch
usage $PINGGU teams draw --db r.db --sample d
# field
bad $PINGGU field import --db r.db --sample d --form no-such.json q.csv
bad $PINGGU field import --db r.db --sample d --form "$ROOT/forms/general-household.json" no-such.csv
bad $PINGGU field import --db r.db --sample d --form "$ROOT/forms/general-household.json" bad.csv
bad $PINGGU field import --db r.db --sample nosuch --form "$ROOT/forms/general-household.json" bad.csv
bad $PINGGU field simulate --db r.db --sample d --truth no-such.csv --forms "$ROOT/forms"
bad $PINGGU field simulate --db r.db --sample d --truth prov/truth.csv --forms no-such-folder
bad $PINGGU field simulate --db r.db --sample d --truth prov/truth.csv --forms "$ROOT/forms" --error-rate 2
bad $PINGGU field status --db r.db --sample nosuch
bad $PINGGU field resolve --db r.db --sample d --unit 1 --keep both --note x
usage $PINGGU field import --db r.db --sample d q.csv
usage $PINGGU field resolve --db r.db --sample d --unit 1 --keep reserve
# evidence
printf 'a photo' > p.jpg
bad $PINGGU evidence add --db r.db --unit 1 no-such.jpg
bad $PINGGU evidence add --db r.db --unit 1 p.jpg folder
expect_grep "folder: is a folder" err.txt
bad $PINGGU evidence add --db r.db --unit 1 --sample nosuch p.jpg
bad $PINGGU evidence verify --db no-such.db
usage $PINGGU evidence add --db r.db p.jpg
[ ! -d r.db.evidence ] || [ -z "$(find r.db.evidence -type f)" ] || fail "a rejected evidence add stored a blob"
# judge
bad $PINGGU judge --db r.db --sample nosuch
bad $PINGGU judge explain --db r.db --unit nosuch
usage $PINGGU judge --db r.db
# indicators
bad $PINGGU indicators --db r.db --sample d --level bogus
bad $PINGGU indicators --db r.db --sample nosuch
usage $PINGGU indicators --db r.db
# score
bad $PINGGU score --db r.db --sample d --inputs no-such.csv
bad $PINGGU score --db r.db --sample d --inputs bad.csv
bad $PINGGU score --db r.db --sample nosuch --inputs bad.csv
usage $PINGGU score --db r.db
# report
bad $PINGGU report --db r.db --sample nosuch --out rep
usage $PINGGU report --db r.db --out rep
# compare
bad $PINGGU compare --db r.db --rules no-such.json prov
bad $PINGGU compare --db r.db --rules bad.json prov
bad $PINGGU compare --db r.db --rules "$ROOT/rules/compare.json" no-such-folder
bad $PINGGU compare --db r.db --rules "$ROOT/rules/compare.json" --threads 99 prov
bad $PINGGU compare explain --db r.db --run x --household 1
usage $PINGGU compare --db r.db prov
# problems
usage $PINGGU problems list --db r.db --round d --state nosuch
bad $PINGGU problems show --db r.db 999999
bad $PINGGU problems move --db r.db 999999 recorded --as evaluator --evidence bad.csv
bad $PINGGU problems move --db r.db 1 recorded --as evaluator --evidence folder
bad $PINGGU problems record --db r.db --round d --unit nosuch --kind policy --description x --evidence bad.csv
bad $PINGGU problems record --db r.db --round d --unit nosuch --kind policy --description x --evidence no-such.jpg
bad $PINGGU problems raise --db r.db --round nosuch --rule business --county 110101
usage $PINGGU problems move --db r.db 1 recorded
usage $PINGGU problems raise --db r.db --round d --rule business
# calendar, funds
bad $PINGGU calendar add-days 2015-01-01 1
bad $PINGGU calendar check bad.csv
bad $PINGGU calendar check no-such.csv
bad $PINGGU calendar add-days 2019-02-30 1
usage $PINGGU calendar add-days 2019-09-30
bad $PINGGU funds check bad.csv
bad $PINGGU funds check no-such.csv
usage $PINGGU funds check
# help
bad $PINGGU help no-such-topic
usage $PINGGU no-such-command
usage $PINGGU

[ "$(entries)" = "$n0" ] || fail "a rejected command wrote to the store ($n0 -> $(entries) log entries)"
