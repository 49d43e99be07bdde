#!/bin/sh
# pi.sh — issue 9 item 21's benchmark: the Anhui plan (4 villages from 4 distinct townships,
# πps) on a synthetic 100-county province, drawn (`pinggu sample`) and re-derived
# (`pinggu sample verify`). Target: draw + verify under 30 s together on a 2-core machine.
# π is exact (a recursion over townships, docs/sampling.md §3): its error is 0 (pi_se = 0).
#
# Peer, measured in the same run: the same plan asking for Monte-Carlo π (`"monte_carlo":
# 10000`, the method before the recursion) on one county of the same province (the whole
# province would take minutes), its time per county scaled to the province; and the largest
# |π_exact − π_MC| over that county's sampled villages in Monte-Carlo standard errors.
# PI_COUNTIES overrides the province size (default 100).
set -eu
cd "$(dirname "$0")"
mkdir -p out
cd out
P=../../pinggu
N=${PI_COUNTIES:-100}
PLAN=../../plans/anhui-cross-2019.json
db=pi$N.db
if [ ! -f "$db" ]; then
  rm -rf pi$N
  $P synth --out pi$N --seed 7 --counties "$N" > /dev/null
  $P init "$db.tmp" > /dev/null
  PINGGU_PROGRESS=0 $P import --db "$db.tmp" pi$N > /dev/null
  mv "$db.tmp" "$db"
fi
name=anhui-$(date +%s)
PINGGU_PROGRESS=0 /usr/bin/time -f '%e %M %U %S' -o pi-sample.time $P sample --db "$db" --plan $PLAN \
  --seed 20191124 --name "$name" --manifest pi-anhui.json > pi-sample.log
read ds dm du dy < pi-sample.time
PINGGU_PROGRESS=0 /usr/bin/time -f '%e %M %U %S' -o pi-verify.time $P sample verify --db "$db" \
  pi-anhui.json > pi-verify.log
read vs vm vu vy < pi-verify.time
counties=$(sqlite3 "$db" "select count(*) from counties")
members=$(sqlite3 "$db" "select count(*) from members")
echo "Anhui plan on a $counties-county province ($members members): draw $ds s (cpu $du+$dy s, peak $((dm/1024)) MiB), verify $vs s (cpu $vu+$vy s) — $(cat pi-verify.log)"
echo "  villages drawn, π exact: $(python3 -c 'import json,sys; u=[x for x in json.load(open(sys.argv[1]))["units"] if x["stage"]=="village"]; print(sum(x["pi_se"]==0 for x in u), "of", len(u), "villages with pi_se = 0")' pi-anhui.json)"

# the peer: Monte-Carlo π on one county
county=$(sqlite3 "$db" "select min(code) from counties")
python3 - "$PLAN" "$county" > pi-mc.json <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
p["id"] += "-mc"
p["scope"] = {"province": int(sys.argv[2]) // 10000, "county": int(sys.argv[2])}
p["villages"]["monte_carlo"] = 10000
json.dump(p, sys.stdout, ensure_ascii=False)
EOF
python3 - "$PLAN" "$county" > pi-one.json <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
p["id"] += "-one"
p["scope"] = {"province": int(sys.argv[2]) // 10000, "county": int(sys.argv[2])}
json.dump(p, sys.stdout, ensure_ascii=False)
EOF
PINGGU_PROGRESS=0 /usr/bin/time -f '%e' -o pi-mc.time $P sample --db "$db" --plan pi-mc.json \
  --seed 20191124 --name "$name-mc" --manifest pi-mc-m.json > /dev/null
read ms < pi-mc.time
$P sample --db "$db" --plan pi-one.json --seed 20191124 --name "$name-one" \
  --manifest pi-one-m.json > /dev/null
python3 - pi-one-m.json pi-mc-m.json "$ms" "$counties" <<'EOF'
import json, sys
ex = {u["unit"]: u for u in json.load(open(sys.argv[1]))["units"] if u["stage"] == "village"}
mc = {u["unit"]: u for u in json.load(open(sys.argv[2]))["units"] if u["stage"] == "village"}
assert ex.keys() == mc.keys(), "the Monte-Carlo plan drew other villages"
z = max(abs(ex[k]["pi"] - mc[k]["pi"]) / mc[k]["pi_se"] for k in ex)
t, n = float(sys.argv[3]), int(sys.argv[4])
print(f"peer: Monte-Carlo π (R = 10000) on one county: {t:.1f} s "
      f"(≈ {t * n:.0f} s for the {n} counties, for the draw and again for verify); "
      f"its π within {z:.2f} Monte-Carlo s.e. of the exact π ({len(ex)} villages)")
EOF
awk -v d="$ds" -v v="$vs" -v c="$du $dy $vu $vy" -v n="$counties" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
  lim = 30; if (n < 100) lim = 25
  split(c, t, " "); cpu = t[1] + t[2] + t[3] + t[4]; tot = d + v
  printf "target: draw + verify under %d s (%d counties): %.1f s elapsed (cpu %.1f s; load %s), %s\n",
    lim, n, tot, cpu, load, (tot < lim) ? "met" : "MISSED"
}'
