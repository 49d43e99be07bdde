#!/bin/sh
# estimation.sh — issue 5's simulation study (docs/estimation.md, "Simulation study"): draw
# many samples from one synthetic province whose truth is known, field them without
# enumerator error, judge, estimate, and report per indicator, plan and rate band the bias
# (with its Monte-Carlo standard error) and the coverage of the 95% Korn–Graubard intervals.
#
#   bench/estimation.sh                       # the default count (a few minutes on 2 cores)
#   ESTIMATION_REPS=100 ESTIMATION_COUNTIES=12 bench/estimation.sh    # the docs' table
#
# Settings (environment): ESTIMATION_REPS replicates (default 30), ESTIMATION_COUNTIES
# counties of the province (6), ESTIMATION_SEED synth seed (1), ESTIMATION_JOBS parallel
# replicates (2), ESTIMATION_WORK the folder of the per-replicate stores (out/estimation/work;
# a tmpfs such as /dev/shm/NAME saves field simulate's evidence fsyncs, about half the
# time on a slow disk), ESTIMATION_PLANS the plans ("national anhui"), PINGGU the binary
# (../pinggu). More replicates can be added to a finished run, e.g. for one plan:
#   seq 101 300 | ESTIMATION_PLANS=anhui xargs -P 2 -n 1 bench/estimation.sh --replicate
#   python3 bench/estimation/study.py bench/out/estimation
#
# Plans. The Anhui plan (plans/anhui-cross-2019.json) as shipped: every county, 4 villages
# from 4 townships, 16 households per village. The national plan with counties.select "all"
# (a copy in out/estimation/national.json): the shipped plan draws 20% of the counties
# that exited in 2018, which in a 6-county province is one of the two such counties, so most
# counties would never be assessed; the county stage does not enter a county's own estimate
# (its π cancels in the ratio), so assessing every county each replicate studies exactly the
# plan's within-county design (20 villages × 50 households) on six counties at once.
#
# Work files: out/estimation/ (ignored by git). Each replicate uses its own copy of the
# imported store (one store per replicate and plan, deleted when its figures are written):
# replicates run in parallel and never see each other's samples. The per-replicate figures
# stay in out/estimation/res/ for inspection; study.py turns them into the table.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
OUT=$here/out/estimation
P=${PINGGU:-$here/../pinggu}
case $P in /*) ;; *) P=$(cd "$(dirname "$P")" && pwd)/$(basename "$P") ;; esac
WORK=${ESTIMATION_WORK:-$OUT/work}
PLANS=${ESTIMATION_PLANS:-national anhui}
export PINGGU_PROGRESS=0 P OUT WORK PLANS

if [ "${1:-}" = "--replicate" ]; then # one replicate of each plan, seed r
  r=$2
  mkdir -p "$WORK"
  for plan in $PLANS; do
    db=$WORK/$plan-$r.db
    [ -s "$OUT/res/$plan-$r.json" ] && continue
    rm -rf "$db" "$db-wal" "$db-shm" "$db.evidence"
    cp "$OUT/base.db" "$db"
    {
      $P sample --db "$db" --plan "$OUT/$plan.json" --seed "estimation-$r" --name s &&
      $P field simulate --db "$db" --sample s --truth "$OUT/prov/truth.csv" --seed "$r" \
        --error-rate 0 --nonresponse 0.05 --forms "$here/../forms" &&
      $P judge --db "$db" --sample s &&
      $P indicators --db "$db" --sample s --json > "$OUT/res/.$plan-$r.json" &&
      mv "$OUT/res/.$plan-$r.json" "$OUT/res/$plan-$r.json"
    } > "$WORK/$plan-$r.log" 2>&1 || {
      echo "replicate $r ($plan) failed:" >&2
      tail -5 "$WORK/$plan-$r.log" >&2
      rm -rf "$db" "$db-wal" "$db-shm" "$db.evidence"
      exit 1
    }
    rm -rf "$db" "$db-wal" "$db-shm" "$db.evidence" "$WORK/$plan-$r.log"
  done
  exit 0
fi

REPS=${ESTIMATION_REPS:-30}
COUNTIES=${ESTIMATION_COUNTIES:-6}
SEED=${ESTIMATION_SEED:-1}
JOBS=${ESTIMATION_JOBS:-2}
start=$(date +%s)
rm -rf "$OUT"
mkdir -p "$WORK" "$OUT/res"

# the province and its truth
$P synth --out "$OUT/prov" --seed "$SEED" --counties "$COUNTIES" --year 2019 > /dev/null
$P init "$OUT/base.db" > /dev/null
$P import --db "$OUT/base.db" "$OUT/prov" > /dev/null
python3 - "$here/../plans/national-spotcheck-2019.json" "$OUT/national.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1], encoding="utf-8"))
p["id"] += "-all-counties"
p["notes"].append("bench/estimation.sh: every county assessed (counties.select all) so that "
                  "each replicate studies the within-county design on every county.")
p["counties"] = {"select": "all"}
json.dump(p, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False, indent=1)
PY
cp "$here/../plans/anhui-cross-2019.json" "$OUT/anhui.json"
echo "estimation study: $REPS replicates of $PLANS on a $COUNTIES-county synthetic province" \
     "(synth seed $SEED), $JOBS at a time"

# the replicates
seq 1 "$REPS" | xargs -P "$JOBS" -n 1 sh "$0" --replicate
rmdir "$WORK" 2>/dev/null || true

# the table
python3 "$here/estimation/study.py" "$OUT" --reps "$REPS" --plans "$PLANS" | tee "$OUT/results.md"
echo "estimation study: $(($(date +%s) - start)) s" \
     "(command: ESTIMATION_REPS=$REPS ESTIMATION_COUNTIES=$COUNTIES ESTIMATION_SEED=$SEED bench/estimation.sh)"
