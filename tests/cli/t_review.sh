# t_review.sh — the two-level review of questionnaires (DESIGN §10, issue 12; Survey Solutions'
# interviewer -> supervisor -> headquarters): field import --review submits; the team leader
# approves or rejects with a comment per question; the office approves or rejects back to the
# leader; a rejected questionnaire counts in no figure; a correction is a new version that
# starts again; every move is in the change log with the acting user; illegal moves are
# refused with the legal ones and write nothing.
. "$TESTS_DIR/lib.sh"
F="$ROOT/forms"
$PINGGU synth --out prov --seed 4 --counties 1 --year 2020 >/dev/null
$PINGGU init a.db >/dev/null
$PINGGU import --db a.db prov >/dev/null
$PINGGU sample --db a.db --plan "$ROOT/plans/district-2020h1.json" --seed 777 --name d >/dev/null
db() { sqlite3 a.db "$1"; }
# the questionnaires, written as CSV by a simulation into a scratch store
$PINGGU init s.db >/dev/null && $PINGGU import --db s.db prov >/dev/null
$PINGGU sample --db s.db --plan "$ROOT/plans/district-2020h1.json" --seed 777 --name d >/dev/null
$PINGGU field simulate --db s.db --sample d --truth prov/truth.csv --seed 1 --forms "$F" --out q >/dev/null

# without --review: approved by the importing office user (the change log names them)
expect_status 0 $PINGGU field import --db a.db --sample d --form "$F/village-exit.json" q/village-exit.csv
expect_no_grep 'submitted for review' out.txt
expect_status 0 $PINGGU field review --db a.db --sample d --list --state approved_by_office --json
python3 -c "import json,sys; a=json.load(open('out.txt')); assert a and all(x['by']=='tester' and x['role']=='office' for x in a), a" ||
  fail "office-imported questionnaires are not approved by the importing user"

# with --review: submitted
PINGGU_ACTOR=pair-07 expect_status 0 $PINGGU field import --db a.db --sample d --form "$F/registered-household.json" --review q/registered-household.csv
expect_grep '[1-9][0-9]* questionnaires submitted for review' out.txt
n=$(db "select count(*) from questionnaire_reviews where to_state = 'submitted' and actor = 'pair-07'")
[ "$n" -gt 5 ] || fail "only $n questionnaires submitted"
U=$(db "select unit from questionnaires where form = 'registered-household' and status = 'complete' order by unit limit 1")
expect_status 0 $PINGGU field status --db a.db --sample d
expect_grep "审核 / review: $n submitted" out.txt

# submitted questionnaires count provisionally (DESIGN §10: every questionnaire not rejected)
judged() { $PINGGU judge --db a.db --sample d >/dev/null && db "select count(*) from judgments where unit = '$U'"; }
[ "$(judged)" -gt 0 ] || fail "a submitted questionnaire is not judged"

# illegal: the office cannot approve before the leader; a leader cannot skip to office approval
expect_status 2 $PINGGU field review --db a.db --sample d --unit "$U" --to approved_by_office --as office
expect_grep "is submitted: it cannot become approved_by_office \(legal: approved_by_leader \(leader\), rejected_by_leader \(leader\)\)" err.txt
expect_status 2 $PINGGU field review --db a.db --sample d --unit "$U" --to approved_by_leader --as office
expect_grep "the move to approved_by_leader is the leader's" err.txt
# a rejection says why
expect_status 2 $PINGGU field review --db a.db --sample d --unit "$U" --to rejected_by_leader --as leader
expect_grep 'a rejection says why' err.txt
expect_status 2 $PINGGU field review --db a.db --sample d --unit "$U" --to rejected_by_leader --as leader --comment '=x'
[ "$(db "select count(*) from questionnaire_reviews where unit = '$U'")" = 1 ] || fail "a refused move wrote something"
expect_status 2 $PINGGU field review --db a.db --sample d --unit NOSUCH --to approved_by_leader --as leader
expect_status 2 $PINGGU field review --db a.db --sample d --unit "$U" --to maybe --as leader

# the leader rejects with comments per question: the questionnaire no longer counts
PINGGU_ACTOR=leader-3 expect_status 0 $PINGGU field review --db a.db --sample d --unit "$U" --to rejected_by_leader --as leader --comment 'income_per_capita=收入测算缺工资性收入' --comment 'housing_safe=请补住房照片'
[ "$(db "select status from questionnaires where unit = '$U' and form = 'registered-household'")" = rejected ] || fail "status not rejected"
[ "$(judged)" = 0 ] || fail "a rejected questionnaire is still judged"
expect_status 0 $PINGGU field review --db a.db --sample d --list --state rejected_by_leader --json
python3 -c "import json; a=json.load(open('out.txt')); c=a[0]['comments']; assert a[0]['by']=='leader-3' and c['housing_safe']=='请补住房照片' and len(c)==2, a" || fail "comments not kept"
# nothing but a corrected version moves it on
expect_status 2 $PINGGU field review --db a.db --sample d --unit "$U" --to approved_by_leader --as leader
expect_grep 'legal: none: the pair sends a corrected version' err.txt

# the pair corrects: a new version of the unit, submitted again
awk -F, -v u="$U" 'NR == 1 || $1 == u' q/registered-household.csv > fix.csv
awk -F, -v u="$U" 'NR == 1 || $1 == u' q/registered-household.members.csv > fix.members.csv
PINGGU_ACTOR=pair-07 expect_status 0 $PINGGU field import --db a.db --sample d --form "$F/registered-household.json" --review fix.csv
expect_grep '1 earlier versions replaced' out.txt
[ "$(judged)" -gt 0 ] || fail "the corrected version is not judged"
# leader approves, the office rejects back to the leader (not counted), leader approves again
expect_status 0 $PINGGU field review --db a.db --sample d --unit "$U" --to approved_by_leader --as leader
expect_status 0 $PINGGU field review --db a.db --sample d --unit "$U" --to rejected_by_office --as office --note '证据不充分,请组长复核'
[ "$(judged)" = 0 ] || fail "an office-rejected questionnaire is still judged"
expect_status 0 $PINGGU field review --db a.db --sample d --unit "$U" --to approved_by_leader --as leader
[ "$(db "select status from questionnaires where unit = '$U' and form = 'registered-household'")" = complete ] || fail "status not given back"
expect_status 0 $PINGGU field review --db a.db --sample d --unit "$U" --to approved_by_office --as office
[ "$(judged)" -gt 0 ] || fail "an approved questionnaire is not judged"
expect_status 2 $PINGGU field review --db a.db --sample d --unit "$U" --to rejected_by_office --as office
expect_grep 'none: an office-approved questionnaire changes only by a new version' err.txt

# every move in the change log, with its actor; the history of the first version kept
[ "$(db "select count(*) from audit_log where action = 'field review'")" -ge 6 ] || fail "moves not logged"
[ "$(db "select group_concat(to_state, ' ') from (select to_state from questionnaire_reviews where unit = '$U' order by row_no)")" = \
  "submitted rejected_by_leader submitted approved_by_leader rejected_by_office approved_by_leader approved_by_office" ] || fail "history: $(db "select group_concat(to_state, ' ') from questionnaire_reviews where unit = '$U'")"
expect_status 0 $PINGGU audit verify --db a.db
expect_status 0 $PINGGU field review --moves
expect_grep '^rejected_by_office +approved_by_leader +leader' out.txt

# DESIGN §10: "Only office-approved questionnaires enter a release; provisional figures use every
# questionnaire not rejected". The household questionnaires pair-07 submitted wait for review,
# so the round cannot be released yet; nothing is written by the refusal.
before=$(db "select count(*) from audit_log")
expect_status 2 $PINGGU release create --db a.db --round d
expect_grep "only office-approved questionnaires enter a release, and [1-9][0-9]* submitted and 0 approved by the leader only" err.txt
[ "$(db "select count(*) from audit_log")" = "$before" ] || fail "a refused release wrote"
[ "$(db "select count(*) from releases")" = 0 ] || fail "a release was stored"
nsub=$(db "select count(*) from questionnaire_reviews r where r.to_state = 'submitted' and r.row_no = (select max(x.row_no) from questionnaire_reviews x where x.questionnaire = r.questionnaire)")
[ "$nsub" -ge 2 ] || fail "too few submitted questionnaires to test the bulk move ($nsub)"
# a bulk move is all or none: the office cannot approve what the leader has not
before=$(db "select count(*) from questionnaire_reviews")
expect_status 2 $PINGGU field review --db a.db --sample d --all-in submitted --to approved_by_office --as office
expect_grep "the move to approved_by_office is the leader's|cannot become approved_by_office" err.txt
[ "$(db "select count(*) from questionnaire_reviews")" = "$before" ] || fail "a refused bulk move wrote"
expect_status 64 $PINGGU field review --db a.db --sample d --all-in submitted --unit "$U" --to approved_by_leader --as leader
# one questionnaire rejected by the leader: it counts in no figure, so it does not hold the release
V=$($PINGGU field review --db a.db --sample d --list --state submitted --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["unit"])')
PINGGU_ACTOR=leader-3 expect_status 0 $PINGGU field review --db a.db --sample d --unit "$V" --to rejected_by_leader --as leader --note '复核'
PINGGU_ACTOR=leader-3 expect_status 0 $PINGGU field review --db a.db --sample d --all-in submitted --to approved_by_leader --as leader
expect_grep "^$((nsub - 1)) questionnaires submitted -> approved_by_leader \(leader leader-3\)" out.txt
expect_status 2 $PINGGU release create --db a.db --round d
expect_grep "0 submitted and $((nsub - 1)) approved by the leader only wait for the office.*1 rejected" err.txt
PINGGU_ACTOR=office-1 expect_status 0 $PINGGU field review --db a.db --sample d --all-in approved_by_leader --to approved_by_office --as office
expect_grep "^$((nsub - 1)) questionnaires approved_by_leader -> approved_by_office" out.txt
[ "$(db "select count(*) from questionnaire_reviews where actor = 'office-1' and to_state = 'approved_by_office'")" = $((nsub - 1)) ] || fail "bulk moves not one review row each"
expect_status 0 $PINGGU release create --db a.db --round d
expect_grep "round d: release 1, sha256 [0-9a-f]{64}" out.txt
expect_status 0 $PINGGU audit verify --db a.db
