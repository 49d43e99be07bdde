# t_user.sh — issue 11 item 1: `pinggu user` — accounts with Argon2id passwords read from
# standard input (never argv), the password rules, grants checked against their role, disable,
# reset (must change again), unlock (logged); every change in the change log with the acting
# user; refused input exits 2 and writes nothing; `pinggu release create` numbers releases.
. "$TESTS_DIR/lib.sh"
P=$PINGGU
$P init r.db >/dev/null
entries() { sqlite3 r.db "select count(*) from audit_log"; }
pw='Good-Pass-2020'

# password on standard input; stored only as an Argon2id string with 64 MiB (m=65536 KiB), t=2
echo "$pw" | expect_status 0 $P user add --db r.db --role office boss
expect_grep "must be changed at the first login" out.txt
[ "$(sqlite3 r.db "select count(*) from users where name='boss' and pwhash like '\$argon2id\$v=19\$m=65536,t=2,p=1\$%'")" = 1 ] ||
  fail "not an Argon2id 64 MiB hash"
sqlite3 r.db .dump | grep -q "$pw" && fail "the password itself is in the store"
[ "$(sqlite3 r.db "select actor from audit_log where action = 'user_add'")" = tester ] || fail "actor"

# refused input: exit 2 (64 for usage), nothing written
before=$(entries)
echo "$pw" | expect_status 2 $P user add --db r.db --role office boss
expect_grep "exists" err.txt
echo "$pw" | expect_status 2 $P user add --db r.db --role king x1
expect_grep "unknown role 'king'" err.txt
echo "$pw" | expect_status 2 $P user add --db r.db --role county --scope 3401 x2
expect_grep "county liaison's scope is a county code" err.txt
echo "$pw" | expect_status 2 $P user add --db r.db --role leader x3
expect_grep "names its round" err.txt
echo "$pw" | expect_status 2 $P user add --db r.db --role office --scope 12 x4
echo "$pw" | expect_status 2 $P user add --db r.db --role office "bad name"
expect_grep "only letters, digits" err.txt
echo "Aa1-aaaaa" | expect_status 2 $P user add --db r.db --role office x5
expect_grep "at least 10 characters" err.txt
echo "aaaaaaaaaaaa1" | expect_status 2 $P user add --db r.db --role office x6
expect_grep "three of" err.txt
expect_status 2 $P user add --db r.db --role office x7 </dev/null
expect_grep "no password on standard input" err.txt
expect_status 64 $P user add --db r.db x8
expect_status 64 $P user frobnicate --db r.db x9
expect_status 2 $P user disable --db r.db nobody
expect_grep "no user 'nobody'" err.txt
[ "$(entries)" = "$before" ] || fail "a refused command wrote to the change log"

# grants, list
echo "$pw" | expect_status 0 $P user add --db r.db --role leader --round n --scope 340122 --home 3401 lead
expect_status 0 $P user grant --db r.db --role evaluator --round m --scope 340121 lead
expect_status 0 $P user list --db r.db
expect_grep "^lead +3401 +active +yes +leader@n:340122 evaluator@m:340121" out.txt

# lockout state is shown and the office unlocks it (logged); reset and disable are logged
sqlite3 r.db "insert into login_failures values ('user', 'lead', 0, $(($(date +%s) + 900)))"
expect_status 0 $P user list --db r.db
expect_grep "^lead .* locked " out.txt
PINGGU_ACTOR=office1 expect_status 0 $P user unlock --db r.db lead
expect_status 0 $P user list --db r.db
expect_grep "^lead .* active " out.txt
[ "$(sqlite3 r.db "select actor || ' ' || key from audit_log where action = 'user_unlock'")" = "office1 lead" ] ||
  fail "unlock not logged with the acting user"
old=$(sqlite3 r.db "select pwhash from users where name = 'boss'")
echo "Other-Pass-2021" | PINGGU_ACTOR=office1 expect_status 0 $P user reset --db r.db boss
[ "$(sqlite3 r.db "select must_change from users where name = 'boss'")" = 1 ] || fail "reset: must change again"
[ "$(sqlite3 r.db "select pwhash from users where name = 'boss'")" != "$old" ] || fail "reset kept the hash"
PINGGU_ACTOR=office1 expect_status 0 $P user disable --db r.db lead
expect_status 0 $P user list --db r.db
expect_grep "^lead .* disabled " out.txt
[ "$(sqlite3 r.db "select group_concat(action, ' ') from audit_log where actor = 'office1'")" = \
  "user_unlock user_reset user_disable" ] || fail "changes not logged with the acting user"
expect_status 0 $P user security --db r.db
expect_status 0 $P audit verify --db r.db

# release: numbered, logged; an unknown round is refused
expect_status 2 $P release create --db r.db --round nosuch
expect_status 64 $P release create --db r.db

# serve refuses bad start-up input before it listens
expect_status 2 $P serve --db nosuch.db
expect_status 2 $P serve --db r.db --listen nonsense
expect_grep "expected ADDRESS:PORT" err.txt
expect_status 2 $P serve --db r.db --listen 127.0.0.1:99999
expect_status 2 $P serve --db r.db --listen 127.0.0.1:8080 --public-url ftp://example.cn
expect_grep "expected http\(s\)://HOST" err.txt
expect_status 2 $P serve --db r.db --threads 0
expect_status 64 $P serve --db r.db extra
expect_status 64 $P serve --db r.db --tls-cert x.pem
