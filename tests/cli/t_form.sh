# t_form.sh — `pinggu form check|show|validate` on the shipped questionnaires (forms/*.json)
# and on broken ones written here: exit status, JSON-path messages, bilingual outlines.
. "$TESTS_DIR/lib.sh"

# every shipped form is sound, without a warning
for f in "$ROOT"/forms/*.json; do
  expect_status 0 "$PINGGU" form check --strict "$f"
  expect_grep ': ok — ' out.txt
done
expect_status 0 "$PINGGU" form check "$ROOT"/forms/*.json
[ "$(grep -c ': ok — ' out.txt)" = "$(ls "$ROOT"/forms/*.json | wc -l)" ] || fail "not every form ok"

# a broken form: unknown reference, duplicate choice, unbalanced group -> exit 2, JSON paths
cat > broken.json <<'JSON'
{"form_id": "broken", "version": "1", "title": {"zh": "坏问卷", "en": "Broken"},
 "unit": "household_registered", "source": "test", "notes": "test",
 "survey": [
  {"type": "begin_group", "name": "g", "label::zh": "组", "label::en": "Group"},
  {"type": "select_one yes_no", "name": "water_ok", "label::zh": "饮水", "label::en": "Water"},
  {"type": "text", "name": "why", "label::zh": "原因", "label::en": "Why", "relevant": "${water_okk} = 'no'"}
 ],
 "choices": {"yes_no": [{"name": "yes", "label::zh": "是", "label::en": "Yes"},
                        {"name": "no", "label::zh": "否", "label::en": "No"},
                        {"name": "no", "label::zh": "否", "label::en": "No"}]}}
JSON
expect_status 2 "$PINGGU" form check broken.json
expect_grep '^broken\.json: survey\[2\]\.relevant: unknown question \$\{water_okk\} at offset 3$' err.txt
expect_grep '^broken\.json: choices\.yes_no\[2\]\.name: duplicate choice "no"$' err.txt
expect_grep '^broken\.json: survey\[0\]: begin_group "g" is never closed$' err.txt
expect_grep 'broken\.json: 3 errors' out.txt
# one bad file among good ones still fails the whole check
expect_status 2 "$PINGGU" form check "$ROOT/forms/village-exit.json" broken.json
# a syntax error in an expression, with its offset
sed 's/"\${water_okk} = .no."/"(${water_ok} = '"'"'no'"'"'"/' broken.json > paren.json
expect_status 2 "$PINGGU" form check paren.json
expect_grep "survey\[2\]\.relevant: expected '\)', found end of expression at offset 20" err.txt
# not JSON at all; a missing file
printf '{"form_id": ' > notjson.json
expect_status 2 "$PINGGU" form check notjson.json
expect_grep 'notjson\.json:1:.*not valid JSON' err.txt
expect_status 2 "$PINGGU" form check no-such-form.json  # issue 9 item 9: a missing file is bad input
# warnings: fine without --strict, rejected with it
cat > warn.json <<'JSON'
{"form_id": "warn", "version": "1", "title": {"zh": "问卷", "en": "Form"},
 "unit": "village", "source": "test", "notes": "test",
 "survey": [{"type": "integer", "name": "n", "label::zh": "数", "lable::en": "Number"}]}
JSON
expect_status 0 "$PINGGU" form check warn.json
expect_grep 'warn\.json: warning: survey\[0\]: unknown key "lable::en"' err.txt
expect_grep 'warn\.json: warning: survey\[0\]: missing label::en' err.txt
expect_status 2 "$PINGGU" form check --strict warn.json

# show: Chinese and English labels, or one language
expect_status 0 "$PINGGU" form show "$ROOT/forms/registered-household.json"
expect_grep '调查户饮水安全保障是否实现' out.txt
expect_grep 'Is safe drinking water secured for the household' out.txt
expect_grep '①yes 是 / Yes  ②no 否 / No' out.txt
expect_status 0 "$PINGGU" form show "$ROOT/forms/village-exit.json" --lang zh
expect_grep '贫困村退出核查表' out.txt
expect_no_grep 'Village exit check' out.txt
expect_status 0 "$PINGGU" form show "$ROOT/forms/village-exit.json" --lang en
expect_grep 'Village exit check' out.txt
expect_no_grep '贫困村退出核查表' out.txt
expect_status 2 "$PINGGU" form show "$ROOT/forms/village-exit.json" --lang fr  # an unknown option value: bad input
expect_status 2 "$PINGGU" form show broken.json
expect_status 64 "$PINGGU" form
expect_status 0 "$PINGGU" form --help
expect_grep 'pinggu form check' out.txt

# validate: paper numbers and labels normalised, issues listed, exit 2 on errors
cat > answers.json <<'JSON'
{"township": "X镇", "village": "Y村", "village_code": "610000000001", "village_type": "1",
 "unexited_persons": 3, "population": 200, "incidence": "0.5",
 "road_hardened": "是", "road_width": 3.2, "narrow_exception": "yes",
 "bus_feasible": "否", "bus_distance": 5,
 "water_quality_ok": "yes", "water_litres": 45, "water_minutes": 8, "water_guarantee": 96,
 "power_production": 100, "power_household": 100, "tv_household": 100,
 "culture_items": ["room", "square", "宣传栏"], "clinic_area": 80,
 "clinic_rooms": "1 2 3 4", "clinic_staff": 1, "served_population": 1500,
 "doctor_licensed": "yes", "fibre": "yes", "broadband": 100,
 "industry": "核桃", "collective_income": 50000, "checked_by": "李", "check_date": "2020-06-30"}
JSON
expect_status 0 "$PINGGU" form validate "$ROOT/forms/village-exit.json" answers.json --today 2020-07-01 --lang en --print
expect_grep '^warning incidence: calculated value replaced: submitted .0\.5., recomputed .0\.015.' out.txt
expect_grep '^warning bus_distance: answer .5. to a question that is not relevant was dropped' out.txt
expect_grep '^warning culture_items: the cultural centre lacks some of its seven items' out.txt
expect_grep '^warning clinic_staff: fewer than 1 clinic staff per 1000 people served' out.txt
expect_no_grep '^(warning|error) +road_width' out.txt
expect_grep '"village_type": "poor"' out.txt
expect_grep '"culture_items": "room square board"' out.txt
expect_grep '"clinic_rooms": "consulting treatment public_health pharmacy"' out.txt
expect_grep '^0 errors, 4 warnings' out.txt
expect_status 0 "$PINGGU" form validate "$ROOT/forms/village-exit.json" answers.json --today 2020-07-01 --lenient
expect_no_grep 'bus_distance' out.txt
sed 's/"population": 200/"population": "many"/' answers.json > bad-answers.json
expect_status 2 "$PINGGU" form validate "$ROOT/forms/village-exit.json" bad-answers.json --today 2020-07-01
expect_grep '^error   population: 不是整数:“many” / not a whole number: .many.' out.txt

# "personal": true marks an answer that identifies a person (masked for reviewers, docs/forms.md);
# the shipped household forms mark the head's name, the members' names and the signature
sed 's/"name": "head_name", "personal": true/"name": "head_name", "personal": "yes"/' "$ROOT/forms/registered-household.json" > personal.json
expect_status 2 "$PINGGU" form check personal.json
expect_grep 'personal: must be true or false' err.txt
for q in head_name name enumerator; do
  grep -q "\"name\": \"$q\", \"personal\": true" "$ROOT/forms/registered-household.json" || fail "$q is not marked personal"
done
