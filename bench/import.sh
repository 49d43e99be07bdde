#!/bin/sh
# import.sh — issue 2's benchmark: synthesise a province of at least 10 million members,
# import it with full validation, and import the same CSV files with the sqlite3 shell's
# .import into plain tables (the peer). Prints rows/s of both, the ratio, and peak memory.
# Targets: >= 500,000 validated rows/s, ratio >= 1 (issue 9 item 23: aim for 2), peak
# memory < 1 GiB.
#
# BENCH_MEMBERS=2000000 runs a smaller province (the shared machine). Wall time on a machine
# other jobs share is mostly waiting, so the CPU time (user + system, both of pinggu's
# threads) of each side is printed too, with the ratio of those: it is what the two
# programs cost, whatever else runs. Both sides run back to back in the same invocation.
set -eu
cd "$(dirname "$0")"
P=../pinggu
N=${BENCH_MEMBERS:-10000000}
mkdir -p out && cd out
if [ ! -f prov/.members-$N ]; then
  rm -rf prov && /usr/bin/time -f '%e %M' -o synth.time ../$P synth --out prov --seed 11 --members $N >/dev/null
  touch prov/.members-$N
  read s m < synth.time
  echo "synth: $N+ members in ${s} s, peak ${m} KiB"
fi
rows=0
for f in counties townships villages households members projects evaluators; do
  rows=$((rows + $(wc -l < prov/$f.csv) - 1))
done
rm -f reg.db && ../$P init reg.db >/dev/null
/usr/bin/time -f '%e %M %U %S' -o import.time ../$P import --db reg.db prov > import.log
read ps pm pu pk < import.time
rm -f peer.db
{ echo ".mode csv"; for f in counties townships villages households members projects evaluators; do
    echo ".import prov/$f.csv $f"; done; } > peer.sql
/usr/bin/time -f '%e %M %U %S' -o peer.time sqlite3 peer.db < peer.sql
read ss sm su sk < peer.time
awk -v rows=$rows -v ps=$ps -v pm=$pm -v pc=$(echo "$pu $pk" | awk '{print $1+$2}') \
    -v ss=$ss -v sm=$sm -v sc=$(echo "$su $sk" | awk '{print $1+$2}') \
    -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
  printf "rows (all seven files): %d   load average at the end: %s\n", rows, load
  printf "pinggu import (validated, indexed, logged): %6.1f s  %9.0f rows/s  cpu %6.1f s  peak %4.0f MiB\n", ps, rows/ps, pc, pm/1024
  printf "sqlite3 shell .import (plain tables):      %6.1f s  %9.0f rows/s  cpu %6.1f s  peak %4.0f MiB\n", ss, rows/ss, sc, sm/1024
  printf "ratio (pinggu speed / shell speed): %.2f wall, %.2f cpu   targets: >= 500000 rows/s, ratio >= 1 (aim 2), < 1024 MiB\n", ss/ps, sc/pc
}'
