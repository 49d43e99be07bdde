# t_audit.sh — issue 9 items 1 and 3: signed checkpoints anchor the change log outside the
# store (a log cut short, an older copy put back and a re-hashed tail all fail against them;
# the signing key never lies in the store's folder), and the store's mark (a file that is not
# a pinggu store is refused and left byte-for-byte unchanged; a store made before marking is
# marked and that logged; teams.round is now draw_round).
. "$TESTS_DIR/lib.sh"
# Through the backend switch (PINGGU_PG_CLUSTER, docs/scale.md) every store here is a
# PostgreSQL database and the tampering is the same SQL run there; what is about the SQLite
# file itself (its folder holding the key or a checkpoint, its header's mark, a store made
# before marking) runs on SQLite only ($sqlite = 1), t_pg.sh proving PostgreSQL's refusals.
sqlite=1; [ -z "${PINGGU_PG_CLUSTER:-}" ] || sqlite=0

sha() { sha256sum "$1" | cut -d' ' -f1; }
entries() { sqlite3 "$1" "SELECT count(*) FROM audit_log"; }
echo "photo one" > p1.jpg; echo "photo two" > p2.jpg; echo "photo three" > p3.jpg

# --- checkpoints are written by every command that writes -----------------------------------
$PINGGU init r.db >/dev/null
[ ! -e r.db.checkpoints ] || fail "init wrote a checkpoint of an empty log"
expect_status 0 $PINGGU evidence add --db r.db --unit 340101001001 p1.jpg
[ -s r.db.checkpoints ] || fail "a write made no checkpoint"
key="$XDG_CONFIG_HOME/pinggu/checkpoint.key"
[ -s "$key" ] || fail "no key created at $key"
[ "$(stat -c %a "$key")" = 600 ] || fail "key mode is $(stat -c %a "$key"), not 600"
n=$(entries r.db)
line=$(tail -1 r.db.checkpoints)
echo "$line" | grep -qE "^pinggu-checkpoint-v1 $n [0-9a-f]{64} [0-9a-f]{64} [0-9a-f]{128}$" ||
  fail "checkpoint line malformed: $line"
[ "$(echo "$line" | cut -d' ' -f3)" = "$(sqlite3 r.db "SELECT hash FROM audit_log WHERE seq = $n")" ] ||
  fail "the checkpoint's head is not the last entry's hash"

# the signature verifies with an outside Ed25519 tool (openssl), over the first three fields
if command -v openssl >/dev/null 2>&1; then
  printf '%s' "$(echo "$line" | cut -d' ' -f1-3)" > msg.bin
  python3 -c "import sys; open('pub.der','wb').write(bytes.fromhex('302a300506032b6570032100'+sys.argv[1])); open('sig.bin','wb').write(bytes.fromhex(sys.argv[2]))" \
    "$(echo "$line" | cut -d' ' -f4)" "$(echo "$line" | cut -d' ' -f5)"
  openssl pkeyutl -verify -pubin -keyform DER -inkey pub.der -rawin -in msg.bin -sigfile sig.bin \
    >ossl.txt 2>&1 || { cat ossl.txt; fail "openssl does not verify the checkpoint signature"; }
fi

expect_status 0 $PINGGU audit verify --db r.db
expect_grep "^ok:" out.txt
expect_grep "this user's key" out.txt
expect_grep "local checkpoint only — not independent" out.txt

# --print-checkpoint prints the new line for publication (also after the sub-command's options)
expect_status 0 $PINGGU evidence add --db r.db --unit 340101001001 p2.jpg --print-checkpoint
published=$(grep '^pinggu-checkpoint-v1 ' out.txt)
[ "$published" = "$(tail -1 r.db.checkpoints)" ] || fail "printed checkpoint is not the file's"
[ "$(wc -l < r.db.checkpoints)" -eq 2 ] || fail "expected one checkpoint per write"
mkdir -p ../elsewhere.$$ && echo "$published" > ../elsewhere.$$/published.txt
head_hash=$(echo "$published" | cut -d' ' -f3)

# an independent checkpoint: a line, a file, a bare head hash
expect_status 0 $PINGGU audit verify --db r.db --checkpoint "$published"
expect_grep "^independent checkpoint: entry $(entries r.db)" out.txt
expect_no_grep "not independent" out.txt
expect_status 0 $PINGGU audit verify --db r.db --checkpoint ../elsewhere.$$/published.txt
expect_status 0 $PINGGU audit verify --db r.db --checkpoint "$head_hash"
# a "checkpoint held elsewhere" that lies beside the store is not independent
if [ $sqlite = 1 ]; then
  cp r.db.checkpoints copy.cp
  expect_status 0 $PINGGU audit verify --db r.db --checkpoint copy.cp
  expect_grep "not independent: copy.cp lies with the store" out.txt
fi
expect_status 2 $PINGGU audit verify --db r.db --checkpoint nonsense
expect_grep "neither a file" err.txt

# --checkpoints FILE puts them elsewhere
expect_status 0 $PINGGU --checkpoints ../elsewhere.$$/r.cp evidence add --db r.db --unit 340101001002 p3.jpg
[ "$(wc -l < r.db.checkpoints)" -eq 2 ] || fail "--checkpoints FILE still wrote DB.checkpoints"
[ -s ../elsewhere.$$/r.cp ] || fail "--checkpoints FILE was not written"
expect_status 0 $PINGGU audit verify --db r.db --checkpoints ../elsewhere.$$/r.cp
expect_grep "^ok:" out.txt
tail -1 ../elsewhere.$$/r.cp >> r.db.checkpoints   # keep the local file complete from here on
n=$(entries r.db)
cp r.db good.db; cp r.db.checkpoints good.cp; cp good.cp good.db.checkpoints

# --- attack 1: cut the last entry off (and the rows it wrote), set audit_head back ---------
cp good.db t.db; cp good.cp t.db.checkpoints
sqlite3 t.db "DELETE FROM evidence_links WHERE log_id = $n; DELETE FROM audit_log WHERE seq = $n;
  UPDATE audit_head SET seq = $n - 1, hash = (SELECT hash FROM audit_log WHERE seq = $n - 1)"
expect_status 1 $PINGGU audit verify --db t.db
expect_grep "^entries $((n - 1)), " out.txt
expect_no_grep "^FAILED: [0-9]+ problem" out.txt   # the chain alone cannot see it
expect_grep "FAILED: the store does not match its checkpoints.*has $((n - 1)) entries but the checkpoint records $n" out.txt
# ... and if the checkpoint file beside the store is cut short too, only one held elsewhere
# still catches it (which is why verify says "not independent" without one)
head -n 2 good.cp > t.db.checkpoints
expect_status 0 $PINGGU audit verify --db t.db
expect_grep "not independent" out.txt
expect_status 1 $PINGGU audit verify --db t.db --checkpoint ../elsewhere.$$/r.cp
expect_grep "independent checkpoint .*has $((n - 1)) entries but the checkpoint records $n" out.txt
# without any checkpoint file the end of the log cannot be checked: that fails too
rm t.db.checkpoints
expect_status 1 $PINGGU audit verify --db t.db
expect_grep "no checkpoint in (.*/)?t.db.checkpoints" out.txt   # (the switch gives the path whole)

# --- attack 2: roll back to an older copy of the store --------------------------------------
cp good.db old.db
expect_status 0 $PINGGU evidence add --db r.db --unit 340101001003 p1.jpg
[ "$(entries r.db)" -gt "$n" ] || fail "the write added no entry"
expect_status 0 $PINGGU audit verify --db r.db
cp old.db r.db; rm -f r.db-wal r.db-shm
expect_status 1 $PINGGU audit verify --db r.db
expect_no_grep "^FAILED: [0-9]+ problem" out.txt
expect_grep "has $n entries but the checkpoint records $((n + 2)).*older copy" out.txt

# --- attack 3: a forged tail, re-hashed correctly -------------------------------------------
cp good.db f.db; cp good.cp f.db.checkpoints
# (the entry read and written through the sqlite3 shell, the same on both backends)
sqlite3 -json f.db "SELECT seq, at, actor, action, tbl, key, nrows, digest, detail, prev
  FROM audit_log WHERE seq = $n" > entry.json
new=$(python3 - entry.json <<'EOF'
import hashlib, json, sys
r = json.load(open(sys.argv[1]))[0]
r["actor"] = "mallory"                              # who did it, rewritten
b = b"pinggu-audit-v1\n"
for k in ("seq", "at", "actor", "action", "tbl", "key", "nrows", "digest", "detail", "prev"):
    f = str(r[k]).encode(); b += str(len(f)).encode() + b":" + f + b"\n"
print(hashlib.sha256(b).hexdigest())
EOF
)
sqlite3 f.db "UPDATE audit_log SET actor = 'mallory', hash = '$new' WHERE seq = $n;
  UPDATE audit_head SET hash = '$new' WHERE seq = $n"
[ "$(sqlite3 f.db "SELECT actor FROM audit_log WHERE seq = $n")" = mallory ] || fail "forgery failed"
expect_status 1 $PINGGU audit verify --db f.db
expect_no_grep "^FAILED: [0-9]+ problem" out.txt   # the forged chain is internally consistent
expect_grep "entry $n of the store has hash .* the log was rewritten" out.txt

# a checkpoint line edited in the file no longer verifies
cp good.db g.db; sed "\$s/^pinggu-checkpoint-v1 $n /pinggu-checkpoint-v1 $((n - 1)) /" good.cp > g.db.checkpoints
expect_status 1 $PINGGU audit verify --db g.db
expect_grep "signature does not verify" out.txt
# --pubkey: every checkpoint must carry the published key
expect_status 1 $PINGGU audit verify --db good.db --checkpoints good.cp --pubkey "$(printf '%064d' 0)"
expect_grep "not the published key" out.txt

# a new store of the same name does not inherit the old one's checkpoints: they are moved aside
# (SQLite only: only SQLite's default DB.checkpoints is named after the store; a PostgreSQL
# store's checkpoint file is always given)
if [ $sqlite = 1 ]; then
  cp r.db.checkpoints keep.cp
  rm -f r.db r.db-wal r.db-shm
  expect_status 0 $PINGGU init r.db
  expect_grep "moved to r.db.checkpoints.*old" out.txt
  [ ! -e r.db.checkpoints ] || fail "the old checkpoints are still at r.db.checkpoints"
  cmp -s keep.cp r.db.checkpoints.*.old || fail "the old checkpoints were not kept"
  expect_status 0 $PINGGU evidence add --db r.db --unit 340101001001 p1.jpg
  expect_status 0 $PINGGU audit verify --db r.db
fi

# --- the key never lies in the store's folder -----------------------------------------------
if [ $sqlite = 1 ]; then
  before=$(sha good.db)
  expect_status 2 env PINGGU_KEY="$PWD/k.key" $PINGGU evidence add --db good.db --unit 340101001004 p2.jpg
  expect_grep "checkpoint key .*k.key lies inside the store's folder" err.txt
  [ ! -e k.key ] || fail "a key was created in the store's folder"
  mkdir -p keys
  expect_status 2 env PINGGU_KEY="$PWD/keys/k.key" $PINGGU evidence add --db good.db --unit 340101001004 p2.jpg
  [ "$(sha good.db)" = "$before" ] || fail "the store changed although the key was refused"
  expect_status 2 env PINGGU_KEY="$PWD/k.key" $PINGGU init new.db
  [ ! -e new.db ] || fail "a refused init left new.db behind"
fi
# a key named by PINGGU_KEY elsewhere is created on first use, mode 0600
expect_status 0 env PINGGU_KEY="$PWD/../elsewhere.$$/other.key" $PINGGU evidence add --db good.db --unit 340101001004 p2.jpg
[ "$(stat -c %a ../elsewhere.$$/other.key)" = 600 ] || fail "PINGGU_KEY file not mode 600"
expect_status 0 $PINGGU audit verify --db good.db --checkpoints good.cp
expect_status 1 $PINGGU audit verify --db good.db
expect_grep "signed by key .*earlier lines by" out.txt
# without XDG_CONFIG_HOME the key goes to $HOME/.config/pinggu
home=../elsewhere.$$/home; mkdir -p $home
$PINGGU init h.db >/dev/null
expect_status 0 env -u XDG_CONFIG_HOME HOME="$PWD/$home" $PINGGU evidence add --db h.db --unit 340101001001 p1.jpg
[ "$(stat -c %a $home/.config/pinggu/checkpoint.key)" = 600 ] || fail "no key in \$HOME/.config/pinggu"

# --- item 3: a file that is not a pinggu store ----------------------------------------------
python3 -c "
import sqlite3; db = sqlite3.connect('other.sqlite')
db.execute('CREATE TABLE t (a INTEGER, b TEXT)'); db.execute(\"INSERT INTO t VALUES (1, 'x')\")
db.commit()"
before=$(sha other.sqlite)
for cmd in "import --db other.sqlite ." "summary --db other.sqlite" "audit verify --db other.sqlite" \
           "audit log --db other.sqlite" "evidence add --db other.sqlite --unit 1 p1.jpg" \
           "evidence verify --db other.sqlite" "indicators --db other.sqlite --sample s"; do
  expect_status 2 $PINGGU $cmd
  expect_grep "other.sqlite is not a pinggu store" err.txt
  [ "$(sha other.sqlite)" = "$before" ] || fail "pinggu $cmd changed a file that is not a store"
done
[ "$(sqlite3 other.sqlite "SELECT group_concat(name) FROM sqlite_master")" = t ] || fail "tables added"
[ ! -e other.sqlite.checkpoints ] && [ ! -e other.sqlite-wal ] || fail "files made beside it"
: > empty.db; echo "not a database at all, just some text that is long enough" > text.db
expect_status 2 $PINGGU summary --db empty.db
expect_grep "not a pinggu store" err.txt
[ ! -s empty.db ] || fail "the empty file was written"
expect_status 2 $PINGGU summary --db text.db
expect_grep "not a pinggu store" err.txt
# another application's database (its own application_id) is refused even with our tables;
# new stores carry the mark and the schema version (SQLite: the header's application_id and
# user_version; PostgreSQL: the table pinggu_store)
cp good.db foreign.db
if [ $sqlite = 1 ]; then
  sqlite3 foreign.db "PRAGMA application_id = 12345"; refusal="another application"
  mark="PRAGMA application_id"; version="PRAGMA user_version"
  columns() { sqlite3 good.db "PRAGMA table_info($1)" | cut -d'|' -f2; }
else
  sqlite3 foreign.db "UPDATE pinggu_store SET application_id = 12345"; refusal="application id 12345"
  mark="SELECT application_id FROM pinggu_store"; version="SELECT schema_version FROM pinggu_store"
  columns() { sqlite3 good.db "SELECT column_name FROM information_schema.columns WHERE table_name = '$1'"; }
fi
expect_status 2 $PINGGU audit verify --db foreign.db
expect_grep "is not a pinggu store: .*$refusal" err.txt
[ "$(sqlite3 good.db "$mark")" = 1346848597 ] || fail "store not marked"
[ "$(sqlite3 good.db "$version")" = "$(sqlite3 good.db 'SELECT max(version) FROM schema_version')" ] ||
  fail "the mark's version is not the schema version"
# teams.round is now draw_round (the lottery's redraw count; "round" is an assessment round)
columns teams | grep -qx draw_round || fail "no teams.draw_round"
! columns teams | grep -qx round || fail "teams.round still there"

# --- a store made before marking (schema 4, no mark) is marked on first open, and logged ----
# (SQLite only: every PostgreSQL store was made marked)
[ $sqlite = 1 ] || { rm -rf ../elsewhere.$$; echo "t_audit ok (PostgreSQL)"; exit 0; }
cp good.db legacy.db
sqlite3 legacy.db "ALTER TABLE teams RENAME COLUMN draw_round TO round;
  DELETE FROM schema_version WHERE version >= 5; DROP TABLE problem_moves; DROP TABLE problem_links; DROP TABLE questionnaire_reviews;
  DROP TABLE report_signatures; DROP TABLE report_experiences; DROP TABLE self_evaluations;
  DROP TABLE mon_villages; DROP TABLE mon_roster; DROP TABLE mon_checkins; DROP TABLE mon_snap_counties;
  DROP TABLE mon_snap_villages; DROP TABLE mon_snap_households; DROP TABLE mon_snap_members;
  DROP TABLE mon_plans; DROP TABLE mon_training;
  DROP TABLE users; DROP TABLE grants; DROP TABLE sessions; DROP TABLE field_tokens;
  DROP TABLE login_failures; DROP TABLE security_log; DROP TABLE releases; DROP TABLE submissions;
  DROP TABLE recheck_draws; DROP TABLE recheck_units; DROP TABLE check_questionnaires;
  DROP TABLE synthesis_judgments; DROP TABLE discipline_records; DROP TABLE fieldwork_stops;
  DROP TABLE xform_instances; DROP TABLE xform_attachments;
  DROP TABLE hq_secret; DROP TABLE hq_ids; DROP TABLE hq_queries; DROP TABLE day_assignments;
  DROP INDEX sample_units_village; DROP INDEX replacements_unit;
  PRAGMA application_id = 0; PRAGMA user_version = 0"
m=$(entries legacy.db)
expect_status 0 $PINGGU audit log --db legacy.db -n 1
expect_grep "mark store" out.txt
[ "$(entries legacy.db)" = $((m + 1)) ] || fail "marking was not logged as one entry"
[ "$(sqlite3 legacy.db 'PRAGMA application_id')" = 1346848597 ] || fail "legacy store not marked"
sqlite3 legacy.db "PRAGMA table_info(teams)" | grep -q '|draw_round|' || fail "v5 not applied"
[ "$(tail -1 legacy.db.checkpoints | cut -d' ' -f2)" = $((m + 1)) ] || fail "marking made no checkpoint"
expect_status 0 $PINGGU audit verify --db legacy.db
expect_grep "^ok:" out.txt
# opened again: marked already, nothing more logged
expect_status 0 $PINGGU audit log --db legacy.db
[ "$(entries legacy.db)" = $((m + 1)) ] || fail "marked twice"
rm -rf ../elsewhere.$$
echo "t_audit ok"
