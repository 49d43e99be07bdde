# t_web.sh — the browser questionnaire (issue 12: browser entry with ODK Web Forms) in a real
# browser: playwright-core drives Debian's chromium through web/dist/entry.html (built by npm
# from web/), which renders the XForm pinggu wrote for the village interview; the test fills it
# by its Chinese labels at a phone's width, presses Send, and the OpenRosa multipart instance
# the page posts is validated by pinggu like any submission: no issue, every answer kept.
. "$TESTS_DIR/lib.sh"
W="$ROOT/web"
[ -f "$W/dist/entry.html" ] || fail "web/dist missing: make check builds it (npm ci && npm run build in web/)"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || fail "no chromium: scripts/deps.sh check installs Debian's"
T=$(date +%F)   # the browser's calendar picks a day of this month: the reference date is today
expect_status 0 "$PINGGU" form xform "$ROOT/forms/village-interview.json" --today "$T" --out vi.xml
( cd "$ROOT/tests/web" && node entry.mjs "$OLDPWD/vi.xml" "$OLDPWD/posted.xml" ) > web.txt 2>&1 ||
  { cat web.txt >&2; fail "the browser form did not submit"; }
expect_grep '^submitted [0-9]+ bytes: parts xml_submission_file' web.txt
expect_status 0 "$PINGGU" form validate "$ROOT/forms/village-interview.json" posted.xml --json --today "$T"
expect_grep '"issues":\[\]' out.txt
for a in '"township":"城关镇"' '"interviewees":"secretary first_secretary"' '"q4_problems":"薄弱环节"' \
         "\"interview_date\":\"${T%??}01\""; do
  expect_grep "$a" out.txt
done
grep -q '<instanceID>uuid:' posted.xml || fail "no instanceID in the submission"
