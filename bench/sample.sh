#!/bin/sh
# sample.sh — issue 3's benchmark: draw the national spot-check plan on the registry of
# import.sh (>= 10 million members) and verify it. Target: under 30 s. The peer is the
# same draw's verification from the frozen frame, timed in the same run.
set -eu
cd "$(dirname "$0")/out"
P=../../pinggu
[ -f reg.db ] || { echo "run import.sh first"; exit 1; }
name=national-$(date +%s)
/usr/bin/time -f '%e %M' -o sample.time $P sample --db reg.db --plan ../../plans/national-spotcheck-2019.json \
  --seed 20190702 --name $name --manifest nat.json > sample.log
read ds dm < sample.time
/usr/bin/time -f '%e %M' -o verify.time $P sample verify --db reg.db nat.json \
  --commitment "$($P seed commit 20190702)" > verify.log
read vs vm < verify.time
units=$(grep -c '"unit"' nat.json || true)
echo "national plan on $(sqlite3 reg.db 'select count(*) from members') members: draw $ds s (peak $((dm/1024)) MiB), $units units"
echo "re-derivation from the frozen frame (sample verify): $vs s — $(cat verify.log)"
awk -v d=$ds 'BEGIN { printf "target: draw under 30 s: %s\n", d < 30 ? "met" : "MISSED" }'
