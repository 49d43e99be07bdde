# t_manifest.sh — issue 9 item 2: `sample verify` checks every field of a manifest. For each
# key path of a real manifest (every header field; every field of a stratum note and of a
# unit, for one note and one unit of each stage and kind) an altered value must fail with a
# message naming the field; so must a deleted stratum note or unit, a deleted or unknown
# member, a wrong type and an over-long string; and a stored sample changed behind the
# manifest's back (stratum notes, a unit) must fail against the re-derivation.
. "$TESTS_DIR/lib.sh"

$PINGGU synth --out prov --seed 3 --counties 1 >/dev/null
$PINGGU init s.db >/dev/null
$PINGGU import --db s.db prov >/dev/null
expect_status 0 $PINGGU sample --db s.db --plan "$ROOT/plans/district-2020h1.json" --seed 42 --name d --manifest m.json
expect_status 0 $PINGGU sample verify --db s.db m.json --commitment $($PINGGU seed commit 42)
expect_grep "identical" out.txt

PINGGU="$PINGGU" python3 - <<'PY'
import copy, json, os, subprocess, sys

pinggu = os.environ["PINGGU"]
m = json.load(open("m.json"))

def verify(doc, label):
    json.dump(doc, open("alt.json", "w"), ensure_ascii=False)
    r = subprocess.run([pinggu, "sample", "verify", "--db", "s.db", "alt.json"],
                       capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr

def pick(items, kinds):
    """One index per kind (first occurrence), so every stage's fields are covered."""
    seen = {}
    for i, it in enumerate(items):
        seen.setdefault(kinds(it), i)
    return sorted(seen.values())

def alter(v, key):
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return v + 1
    if isinstance(v, float):
        return v / 2 if v > 0 else 0.001
    if isinstance(v, str):
        if len(v) == 64 and all(c in "0123456789abcdef" for c in v):
            return v[:-1] + ("0" if v[-1] != "0" else "1")  # still a well-formed hash
        if key == "format":
            return "pinggu-sample-manifest/2"
        if key == "created":
            return v.replace("20", "19", 1)
        return v + "x"
    raise SystemExit("unexpected value %r at %s" % (v, key))

paths = []  # (path, key) with path a list of keys/indices
for k, v in m.items():
    if isinstance(v, list):
        continue
    paths.append(([k], k))
stages = lambda x: x["stage"]
kinds = lambda u: (u["stage"], u["reserve"], u["substitute_for"] != "", u["certainty"], u["rank"] == 0)
for i in pick(m["strata"], stages):
    for k in m["strata"][i]:
        paths.append((["strata", i, k], k))
for i in pick(m["units"], kinds):
    for k in m["units"][i]:
        paths.append((["units", i, k], k))
# every key of every element must be among the covered ones
for arr in ("strata", "units"):
    keys = {k for it in m[arr] for k in it}
    covered = {k for p, k in paths if p[0] == arr}
    assert keys == covered, (arr, keys - covered)

failures = []
def expect_fail(doc, label, word):
    rc, out = verify(doc, label)
    if rc == 0 or word not in out:
        failures.append("%s: exit %d, output %r" % (label, rc, out.strip()[:300]))

for path, key in paths:
    doc = copy.deepcopy(m)
    node = doc
    for p in path[:-1]:
        node = node[p]
    node[key] = alter(node[key], key)
    label = "/".join(str(p) for p in path)
    expect_fail(doc, "altered " + label, key)
# a deleted stratum note (first, middle, last) and a deleted unit
for i in (0, len(m["strata"]) // 2, len(m["strata"]) - 1):
    doc = copy.deepcopy(m); del doc["strata"][i]
    expect_fail(doc, "deleted strata[%d]" % i, "strata")
doc = copy.deepcopy(m); del doc["units"][-1]
expect_fail(doc, "deleted units[-1]", "units")
# swapped stratum notes (same multiset, another order)
doc = copy.deepcopy(m); doc["strata"][1], doc["strata"][2] = doc["strata"][2], doc["strata"][1]
expect_fail(doc, "swapped strata[1] and strata[2]", "strata[1]")
# every member deleted, an unknown one added (here and inside a note and a unit)
for k in m:
    doc = copy.deepcopy(m); del doc[k]
    expect_fail(doc, "deleted " + k, k)
doc = copy.deepcopy(m); doc["note"] = "hello"
expect_fail(doc, "unknown member", "note")
doc = copy.deepcopy(m); doc["strata"][0]["remark"] = 1
expect_fail(doc, "unknown member in a note", "strata[0].remark")
doc = copy.deepcopy(m); del doc["units"][0]["pi_se"]
expect_fail(doc, "member missing in a unit", "units[0].pi_se")
# wrong types and over-long strings are refused, not defaulted or cut
doc = copy.deepcopy(m); doc["units"][0]["reserve"] = 0
expect_fail(doc, "reserve as a number", "units[0].reserve: expected true or false")
doc = copy.deepcopy(m); doc["units"][0]["code"] += "9" * 200
expect_fail(doc, "over-long code", "units[0].code: longer than")
doc = copy.deepcopy(m); doc["strata"][0]["county"] += 2 ** 32
expect_fail(doc, "county beyond int", "strata[0].county")

print("%d alterations checked" % (len(paths) + 13 + len(m)))
if failures:
    sys.exit("verify accepted or did not name the field:\n" + "\n".join(failures))
PY

# a bad manifest is bad input (exit 2), and the error names the file and the field
python3 -c 'import json; m=json.load(open("m.json")); m["units"][2]["pi"]="0.5"; json.dump(m, open("bad.json","w"))'
expect_status 2 $PINGGU sample verify --db s.db bad.json
expect_grep "bad.json: units\[2\]\.pi: expected a number" err.txt
printf '{"format": ' > trunc.json
expect_status 2 $PINGGU sample verify --db s.db trunc.json
expect_grep "trunc.json:1:" err.txt

# the stored sample changed behind the manifest's back: a manifest written from the changed
# store agrees with it, and the re-derivation catches the store
cp s.db t.db
sqlite3 t.db "UPDATE sample_strata SET shortfall = shortfall + 1 WHERE row_no = (SELECT max(row_no) FROM sample_strata)"
$PINGGU sample manifest --db t.db --name d --out t.json >/dev/null
expect_status 1 $PINGGU sample verify --db t.db t.json
expect_grep "tampered stratum note in the store: strata\[[0-9]+\] .*shortfall is" out.txt
# and the untouched manifest against the changed store names the field
expect_status 1 $PINGGU sample verify --db t.db m.json
expect_grep "strata\[[0-9]+\] .*shortfall is" out.txt
cp s.db t.db
sqlite3 t.db "DELETE FROM sample_strata WHERE row_no = (SELECT min(row_no) FROM sample_strata WHERE stage = 'household')"
$PINGGU sample manifest --db t.db --name d --out t.json >/dev/null
expect_status 1 $PINGGU sample verify --db t.db t.json
expect_grep "tampered stratum note in the store" out.txt
cp s.db t.db
sqlite3 t.db "UPDATE samples SET created = '2020-01-01T00:00:00Z'"
expect_status 1 $PINGGU sample verify --db t.db m.json
expect_grep "^sample d: NOT identical: created:" out.txt
