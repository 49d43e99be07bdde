# t_json.sh — issue 16 item 18: every JSON document is built by a JSON library, so names with
# quotes and backslashes travel intact: a sample named with a " (which made `field simulate`
# fail with "audit detail is not a JSON object") is drawn, simulated, judged, scored and
# compared; every change-log detail parses as JSON and names it exactly; the chain verifies.
. "$TESTS_DIR/lib.sh"
NAME='round "A" \ 1'
$PINGGU synth --out prov --seed 7 --counties 1 --departments >/dev/null
$PINGGU init r.db >/dev/null
$PINGGU import --db r.db prov >/dev/null
expect_status 0 $PINGGU sample --db r.db --plan "$ROOT/plans/district-2020h1.json" --seed 1 --name "$NAME"
expect_status 0 $PINGGU field simulate --db r.db --sample "$NAME" --truth prov/truth.csv --seed 5 \
  --forms "$ROOT/forms"
expect_no_grep "not a JSON object" err.txt
expect_status 0 $PINGGU judge --db r.db --sample "$NAME"
expect_status 0 $PINGGU field status --db r.db --sample "$NAME"
expect_status 0 $PINGGU indicators --db r.db --sample "$NAME" --json
python3 -c 'import json,sys; assert json.load(open("out.txt"))["sample"] == sys.argv[1]' "$NAME"
# a score sheet for it: the template filled (the district plan), then scored
expect_status 0 $PINGGU score --db r.db --sample "$NAME" --template
python3 - <<'PY'
import csv
rows = list(csv.reader(open("out.txt")))
out = [rows[0]]
for r in rows[1:]:
    if r[6] == "": r[6] = "1" if r[4] == "c1_whole_exit" else ("18/20" if r[4] == "d2_targets" else "80")
    out.append(r)
csv.writer(open("sheet.csv", "w")).writerows(out)
PY
expect_status 0 $PINGGU score --db r.db --sample "$NAME" --inputs sheet.csv --json
python3 -c 'import json,sys; assert json.load(open("out.txt"))["sample"] == sys.argv[1]' "$NAME"
# the department comparison's run detail and evidence (built by jansson too)
expect_status 0 $PINGGU compare --db r.db --rules "$ROOT/rules/compare.json" prov/departments
# every change-log detail is a JSON object; those naming the sample name it exactly
sqlite3 -json r.db "SELECT action, key, detail FROM audit_log" >log.json
sqlite3 -json r.db "SELECT files FROM compare_runs" >runs.json
sqlite3 -json r.db "SELECT evidence FROM compare_flags LIMIT 200" >ev.json
python3 - "$NAME" <<'PY'
import json, sys
name = sys.argv[1]
log = json.load(open("log.json"))
named = 0
for r in log:
    d = json.loads(r["detail"]) if r["detail"] else {}
    assert isinstance(d, dict), r
    if d.get("sample") is not None:
        assert d["sample"] == name, r
        named += 1
assert named >= 1, "no change-log entry names the sample"
assert any(r["action"] == "score" and r["key"] == name for r in log)
for r in json.load(open("runs.json")):
    assert isinstance(json.loads(r["files"]), list)
for r in json.load(open("ev.json")):
    assert all("file" in e and "line" in e for e in json.loads(r["evidence"]))
PY
expect_status 0 $PINGGU audit verify --db r.db
