# t_score.sh — issue 5's scoring through the real binary: plans that are not scored are
# refused (不打分、不排队); the score sheet is checked whole (every problem with file and line,
# nothing stored); the weighted tree, bonus, veto and ranking are re-derived independently in
# Python from the plan file and the printed node scores; the top 20% and the last place are
# flagged; the last place of two rounds in a row is flagged; Shaanxi's four rates and one
# degree flag a city below a standard; the change log verifies.
. "$TESTS_DIR/lib.sh"
D="$ROOT/plans/district-2020h1.json"
S="$ROOT/plans/shaanxi-four-rates-2017.json"
$PINGGU synth --out prov --seed 7 --counties 1 >/dev/null
$PINGGU init r.db >/dev/null
$PINGGU import --db r.db prov >/dev/null
round() { # round NAME PLAN SEED
  $PINGGU sample --db r.db --plan "$2" --seed "$3" --name "$1" >/dev/null
  $PINGGU field simulate --db r.db --sample "$1" --truth prov/truth.csv --seed 5 \
    --forms "$ROOT/forms" >/dev/null
  $PINGGU judge --db r.db --sample "$1" >/dev/null
}
round d1 "$D" 1
round a1 "$ROOT/plans/anhui-cross-2019.json" 2
nscores() { sqlite3 r.db "SELECT count(*) FROM scores"; }

# not scored, not ranked
expect_status 2 $PINGGU score --db r.db --sample a1
expect_grep "不打分、不排队" err.txt
expect_status 2 $PINGGU score --db r.db --sample a1 --template

# usage: the district plan needs its score sheet
expect_status 64 $PINGGU score --db r.db
expect_status 64 $PINGGU score --db r.db --sample d1
expect_grep "give --inputs" err.txt

# the template: every township × every score-sheet leaf, bonus and veto items
expect_status 0 $PINGGU score --db r.db --sample d1 --template
cp out.txt template.csv
head -1 template.csv | grep -qx "tree,unit,name,item,item_name,value" || fail "template header"
nt=$(sqlite3 r.db "SELECT count(DISTINCT village / 1000) FROM sample_units s JOIN samples p ON p.row_no = s.sample WHERE p.name = 'd1' AND stage = 'village'")
[ "$nt" -ge 5 ] || fail "expected the district's townships, got $nt"
# township leaves from the sheet: t1 t2 t3_files t4_projects t5 t6 t7 economy = 8; bonus 5; veto 1
[ "$(grep -c '^township,' template.csv)" = $((nt * 14)) ] || fail "template rows"

# an unfilled template is rejected, every empty value with its line
expect_status 2 $PINGGU score --db r.db --sample d1 --inputs template.csv
expect_grep "template.csv:2: value \"\" is not a number" err.txt
[ "$(nscores)" = 0 ] || fail "a rejected sheet stored scores"

# a filled sheet: every leaf 80, the first township 40 everywhere (so it is last), the second
# township bonus b1 = 2 (the most), two departments
python3 - "$D" <<'PY'
import csv, sys
rows = list(csv.reader(open("template.csv")))
towns = sorted({r[1] for r in rows[1:] if r[0] == "township"})
out = [["tree", "unit", "name", "item", "value"]]
for r in rows[1:]:
    if r[0] != "township": continue
    v = r[5]
    if v == "": v = "40" if r[1] == towns[0] else "80"
    if r[1] == towns[1] and r[3] == "b1_commended": v = "2"
    out.append([r[0], r[1], r[2], r[3], v])
for name, vals in (("扶贫办", (90, 85, 80, 88)), ("教育局", (70, 60, 75, 80))):
    for item, v in zip(("d1_village_teams", "d2_targets", "d4_donations", "d_other_work"), vals):
        out.append(["department", name, name, item, str(v)])
csv.writer(open("good.csv", "w")).writerows(out)
open("towns.txt", "w").write("\n".join(towns) + "\n")
PY
first=$(sed -n 1p towns.txt); second=$(sed -n 2p towns.txt)

# broken sheets: each problem named with file and line, nothing stored
python3 - <<'PY'
import csv
rows = list(csv.reader(open("good.csv")))
def write(name, rs): csv.writer(open(name, "w")).writerows(rs)
b = [r[:] for r in rows]
for r in b:
    if r[3] == "b1_commended": r[4] = "5"; break
b.append(["township", rows[1][1], "", "t3_exit_rate", "90"])
b.append(["township", "999999999", "", "t1_reduction", "90"])
b.append(rows[1][:])
b.append(["township", rows[1][1], "", "no_such_item", "1"])
b.append(["county", rows[1][1], "", "t1_reduction", "1"])
write("bad.csv", b)
write("missing.csv", [r for i, r in enumerate(rows) if i != 1])
PY
expect_status 2 $PINGGU score --db r.db --sample d1 --inputs bad.csv
expect_grep "bad.csv:[0-9]+: bonus b1_commended .*: 5 is outside 0..2" err.txt
expect_grep "t3_exit_rate .* is measured by the survey" err.txt
expect_grep "township 999999999 is not in this sample" err.txt
expect_grep "given twice \(first on line 2\)" err.txt
expect_grep "item \"no_such_item\" is not a leaf, bonus or veto item" err.txt
expect_grep "tree \"county\" is not one of the plan's scoring trees" err.txt
expect_status 2 $PINGGU score --db r.db --sample d1 --inputs missing.csv
expect_grep "township $first .*: no score for t1_reduction" err.txt
[ "$(nscores)" = 0 ] || fail "a rejected sheet stored scores"

# the scores, re-derived from the plan file: leaves -> weighted tree -> base + bonus; ranks;
# top 20%; last place
expect_status 0 $PINGGU score --db r.db --sample d1 --inputs good.csv --json
cp out.txt d1.json
python3 - "$D" "$first" "$second" <<'PY'
import json, math, sys
plan = json.load(open(sys.argv[1]))["scoring"]
first, second = sys.argv[2], sys.argv[3]
res = json.load(open("d1.json"))
def value(node, leaves):
    if "children" not in node:
        return leaves[node["id"]]
    got = [(c["weight"], value(c, leaves)) for c in node["children"]]
    got = [(w, v) for w, v in got if v is not None]
    return sum(w * v for w, v in got) / sum(w for w, _ in got) if got else None
bonus_max = {b["id"]: b["max"] for b in plan["bonus"]}
for t, tree in zip(res["trees"], plan["trees"]):
    units = t["units"]
    assert units, t["unit"]
    for u in units:
        leaves = u["nodes"]
        base = value({"children": tree["children"]}, leaves)
        assert abs(base - u["base"]) < 1e-9, (u["unit"], base, u["base"])
        assert abs(u["base"] + u["bonus"] - u["total"]) < 1e-9
        for n in tree["children"]:
            assert abs(value(n, leaves) - leaves[n["id"]]) < 1e-9, n["id"]
        if t["unit"] == "township":
            for leaf in ("t3_identification_rate", "t3_exit_rate", "t4_approval"):
                assert leaves[leaf] is None or 0 <= leaves[leaf] <= 100, leaf
            assert u["se"] is None or u["se"] >= 0
        else:
            assert u["se"] is None, "departments have no sampling error"
    totals = [u["total"] for u in units]
    assert totals == sorted(totals, reverse=True), "rank order"
    for i, u in enumerate(units):
        assert u["rank"] == 1 + sum(1 for v in totals if v > u["total"] + 1e-9), u
    n = len(units)
    top = math.floor(0.2 * n + 1e-9)
    assert all(u["top_n"] == top and u["group_units"] == n for u in units)
    assert [u["top"] for u in units] == [u["rank"] <= top for u in units]
    assert [u["last"] for u in units] == [u["rank"] == units[-1]["rank"] for u in units]
    assert not any(u["twice_last"] for u in units), "no earlier round"
towns = res["trees"][0]["units"]
assert towns[-1]["unit"] == first and towns[-1]["last"], "the township scored 40 is last"
b = [u for u in towns if u["unit"] == second][0]
assert b["bonus"] == 2, b
deps = res["trees"][1]["units"]
assert [d["unit"] for d in deps] == ["扶贫办", "教育局"]
assert abs(deps[0]["total"] - (0.4 * (0.3 * 90 + 0.4 * 85 + 0.3 * 80) + 0.6 * 88)) < 1e-9
PY
[ "$(nscores)" = $((nt + 2)) ] || fail "stored $(nscores) scores, expected $((nt + 2))"

# the printed table: flags in Chinese, the standard error explained
expect_status 0 $PINGGU score --db r.db --sample d1 --inputs good.csv
expect_grep "^  1 .*前列\(top\)" out.txt
expect_grep "$first .*倒数第一\(last\)" out.txt
expect_grep "jackknife" out.txt
[ "$(nscores)" = $((nt + 2)) ] || fail "a re-run did not replace the earlier scores"

# one-vote veto: the second township, vetoed, falls below every other
python3 - "$second" <<'PY'
import csv, sys
rows = list(csv.reader(open("good.csv")))
for r in rows:
    if r[1] == sys.argv[1] and r[3] == "v1_serious_loss": r[4] = "是"
csv.writer(open("veto.csv", "w")).writerows(rows)
PY
expect_status 0 $PINGGU score --db r.db --sample d1 --inputs veto.csv --json
python3 - "$second" <<'PY'
import json, sys
towns = json.load(open("out.txt"))["trees"][0]["units"]
assert towns[-1]["unit"] == sys.argv[1] and towns[-1]["vetoed"] and towns[-1]["last"]
assert not towns[-2]["last"]
PY

# two rounds: round 1 as scored with good.csv, round 2 of the same plan with the same township
# last: flagged last twice in a row
expect_status 0 $PINGGU score --db r.db --sample d1 --inputs good.csv
round d2 "$D" 2
expect_status 0 $PINGGU score --db r.db --sample d2 --inputs good.csv --json
python3 - "$first" <<'PY'
import json, sys
t = json.load(open("out.txt"))["trees"][0]
assert t["previous"] == "d1", t["previous"]
last = [u for u in t["units"] if u["last"]]
assert [u["unit"] for u in last] == [sys.argv[1]] and last[0]["twice_last"], last
assert sum(u["twice_last"] for u in t["units"]) == 1
PY
expect_status 0 $PINGGU score --db r.db --sample d2 --inputs good.csv
expect_grep "连续两次倒数第一" out.txt

# Shaanxi: the four rates and one degree; a city below a standard is flagged
round s1 "$S" 3
expect_status 0 $PINGGU score --db r.db --sample s1 --template
python3 - <<'PY'
import csv
rows = list(csv.reader(open("out.txt")))
out = [["tree", "unit", "item", "value"]]
for r in rows[1:]:
    if r[0] == "city":
        out.append([r[0], r[1], r[3], "80" if r[3] == "relocation_occupancy" else "99"])
out += [["department", "省民政厅", "dept_tasks", "90"], ["department", "省民政厅", "dept_assistance", "80"]]
csv.writer(open("s.csv", "w")).writerows(out)
PY
expect_status 0 $PINGGU score --db r.db --sample s1 --inputs s.csv --json
python3 - <<'PY'
import json
t = json.load(open("out.txt"))["trees"]
city = t[0]["units"][0]
assert city["below_standard"] >= 1, city
for k in ("identification_rate", "exit_rate", "satisfaction"):
    assert city["nodes"][k] is not None, k
assert city["nodes"]["relocation_occupancy"] == 80
assert t[1]["units"][0]["total"] == 0.6 * 90 + 0.4 * 80
PY
expect_status 0 $PINGGU score --db r.db --sample s1 --inputs s.csv
expect_grep "未全面达标" out.txt

expect_status 0 $PINGGU audit verify --db r.db
