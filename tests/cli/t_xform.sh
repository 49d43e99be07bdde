# t_xform.sh — `pinggu form xform`: the shipped questionnaires as ODK XForms (issue 12), checked
# by ODK's own engine (@getodk/xforms-engine, npm, tests/xform/): every form loads, and over
# generated answers ODK's engine and pinggu agree on relevance, constraints, requirements,
# warnings and calculations (tests/xform/agree.mjs). Refusals: what has no exact XPath
# translation fails with the form path and writes nothing.
. "$TESTS_DIR/lib.sh"
X="$ROOT/tests/xform"
[ -d "$X/node_modules/@getodk/xforms-engine" ] ||
  fail "tests/xform/node_modules missing: make check installs it (npm ci in tests/xform)"

# every shipped form, plus the semantics form, becomes a well-formed XForm
for f in "$ROOT"/forms/*.json "$X/semantics.json"; do
  b=$(basename "$f" .json)
  expect_status 0 "$PINGGU" form xform "$f" --today 2020-06-30 --out "$b.xml"
  python3 -c "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])" "$b.xml" ||
    fail "$b.xml is not well-formed XML"
done
# labels in both languages, the members' repeat, instanceID, a constraint message
expect_status 0 "$PINGGU" form xform "$ROOT/forms/registered-household.json" --today 2020-06-30
expect_grep 'lang="Chinese \(zh\)" default="true\(\)"' out.txt
expect_grep 'lang="English \(en\)"' out.txt
expect_grep '<repeat nodeset="/data/' out.txt
expect_grep 'jr:preload="uid"' out.txt
expect_grep 'jr:constraintMsg="jr:itext' out.txt

# ODK's engine loads every one of them
( cd "$X" && node load.mjs "$OLDPWD"/*.xml ) > load.txt 2>&1 || { cat load.txt >&2; fail "ODK's engine refused a form"; }
n=$(($(ls "$ROOT"/forms/*.json | wc -l) + 1))
[ "$(grep -c "nodes, languages Chinese (zh) English (en)" load.txt)" = $n ] || { cat load.txt >&2; fail "not $n forms loaded"; }

# both engines agree over generated questionnaires (deterministic seeds)
for f in "$ROOT"/forms/*.json; do
  b=$(basename "$f" .json)
  ( cd "$X" && node agree.mjs "$PINGGU" "$f" "$OLDPWD/$b.xml" 25 11 2020-06-30 ) > agree.txt 2>&1 ||
    { cat agree.txt >&2; fail "ODK's engine and pinggu disagree on $b"; }
  expect_grep ", 0 disagreeing; compared [1-9].*, [1-9][0-9]* answers read back from ODK.s submissions" agree.txt
done
( cd "$X" && node agree.mjs "$PINGGU" semantics.json "$OLDPWD/semantics.xml" 200 3 2020-06-30 ) > agree.txt 2>&1 ||
  { cat agree.txt >&2; fail "ODK's engine and pinggu disagree on the semantics form"; }
# the rules that differ from XPath were exercised: calculations compared, warnings shown
expect_grep ', 0 disagreeing; .* [1-9][0-9]* warnings, [1-9][0-9]{3,} calculations' agree.txt

# a reference date is required for today(), and nothing is written without it
expect_status 2 "$PINGGU" form xform "$X/semantics.json" --out none.xml
expect_grep 'semantics\.json: survey\[[0-9]+\]\.calculation: today\(\) without a reference date' err.txt
[ ! -e none.xml ] && [ ! -e none.xml.tmp ] || fail "a refused form left a file behind"
# ordering two texts has no XPath 1.0 equivalent: refused with the row, never approximated
python3 - "$X/semantics.json" <<'PY' > order.json
import json, sys
d = json.load(open(sys.argv[1]))
d["survey"][7]["calculation"] = "${a} < ${b}"
print(json.dumps(d, ensure_ascii=False))
PY
expect_status 2 "$PINGGU" form xform order.json --today 2020-06-30
expect_grep 'order\.json: survey\[7\]\.calculation: ordering two texts .*no exact XPath 1\.0 translation' err.txt

# photo and audio questions: an attachment's file name, never a path
cat > media.json <<'JSON'
{"form_id": "media", "version": "1", "title": {"zh": "照片录音", "en": "Photo and audio"},
 "unit": "household_general", "source": "seed 002 六(四): 同步上传录音资料和照片", "notes": "test",
 "survey": [
  {"type": "image", "name": "house_photo", "label::zh": "住房照片", "label::en": "Photo of the house"},
  {"type": "audio", "name": "recording", "label::zh": "访谈录音", "label::en": "Interview recording"}
 ]}
JSON
expect_status 0 "$PINGGU" form check --strict media.json
expect_status 0 "$PINGGU" form xform media.json
expect_grep '<upload ref="/data/house_photo" mediatype="image/\*">' out.txt
expect_grep '<upload ref="/data/recording" mediatype="audio/\*">' out.txt
expect_grep 'nodeset="/data/house_photo" type="binary"' out.txt
printf '{"house_photo": "1700000000.jpg", "recording": "a.m4a"}' > ok.json
expect_status 0 "$PINGGU" form validate media.json ok.json
printf '{"house_photo": "../../etc/passwd"}' > bad.json
expect_status 2 "$PINGGU" form validate media.json bad.json
expect_grep "house_photo: .*not an attachment's file name" out.txt

# a field app's submission (the XForm instance) read back: validated like the answers
F="$ROOT/forms/village-interview.json"
v=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['version'])" "$F")
sub() { printf '<?xml version="1.0"?>\n%s\n' "$1" > sub.xml; }
sub "<data id=\"village-interview\" version=\"$v\"><outline><q1_overview>村情概况</q1_overview><q2_covid/></outline><meta><instanceID>uuid:1</instanceID><deprecatedID>uuid:0</deprecatedID></meta></data>"
expect_status 2 "$PINGGU" form validate "$F" sub.xml --json
expect_grep '"answers":\{"q1_overview":"村情概况"\}' out.txt
# a DOCTYPE (the entity-expansion attack) is refused before anything is read
sub "<!DOCTYPE data [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><data id=\"village-interview\" version=\"$v\"><outline><q1_overview>&b;</q1_overview></outline></data>"
expect_status 2 "$PINGGU" form validate "$F" sub.xml
expect_grep 'sub\.xml: a DOCTYPE is not allowed in a submission' err.txt
# an external entity cannot reach the file system or the network
sub "<!DOCTYPE data [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><data id=\"village-interview\" version=\"$v\"><q1_overview>&x;</q1_overview></data>"
expect_status 2 "$PINGGU" form validate "$F" sub.xml
expect_no_grep 'root:' out.txt
# another form, another version, an unknown question, a question out of its place, bad XML
sub "<data id=\"village-exit\" version=\"$v\"/>"
expect_status 2 "$PINGGU" form validate "$F" sub.xml
expect_grep "a submission of form 'village-exit', not of village-interview" err.txt
sub "<data id=\"village-interview\" version=\"0\"/>"
expect_status 2 "$PINGGU" form validate "$F" sub.xml
expect_grep "version '0', but the form is at version" err.txt
sub "<data id=\"village-interview\" version=\"$v\"><q9>x</q9></data>"
expect_status 2 "$PINGGU" form validate "$F" sub.xml
expect_grep 'sub\.xml: /data/q9: the form village-interview has no question q9' err.txt
R="$ROOT/forms/registered-household.json"
rv=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['version'])" "$R")
sub "<data id=\"registered-household\" version=\"$rv\"><age>3</age></data>"
expect_status 2 "$PINGGU" form validate "$R" sub.xml
expect_grep '/data/age: age is not a part of the form.s top level' err.txt
sub "<data id=\"village-interview\" version=\"$v\"><q1_overview>x</q2_covid></data>"
expect_status 2 "$PINGGU" form validate "$F" sub.xml
expect_grep 'sub\.xml: not well-formed XML' err.txt
python3 -c "print('<data id=\"village-interview\" version=\"$v\">' + '<q1_overview>' * 40 + '</q1_overview>' * 40 + '</data>')" > sub.xml
expect_status 2 "$PINGGU" form validate "$F" sub.xml
