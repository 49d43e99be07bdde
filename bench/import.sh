#!/bin/sh
# import.sh — issue 2's benchmark: synthesise a province of at least 10 million members,
# import it with full validation, and import the same CSV files with the sqlite3 shell's
# .import into plain tables (the peer). Prints rows/s of both, the ratio, and peak memory.
# Targets: >= 500,000 validated rows/s, ratio >= 1, peak memory < 1 GiB.
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
/usr/bin/time -f '%e %M' -o import.time ../$P import --db reg.db prov > import.log
read ps pm < import.time
rm -f peer.db
{ echo ".mode csv"; for f in counties townships villages households members projects evaluators; do
    echo ".import prov/$f.csv $f"; done; } > peer.sql
/usr/bin/time -f '%e %M' -o peer.time sqlite3 peer.db < peer.sql
read ss sm < peer.time
awk -v rows=$rows -v ps=$ps -v pm=$pm -v ss=$ss -v sm=$sm 'BEGIN {
  printf "rows (all seven files): %d\n", rows
  printf "pinggu import (validated, indexed, logged): %6.1f s  %9.0f rows/s  peak %4.0f MiB\n", ps, rows/ps, pm/1024
  printf "sqlite3 shell .import (plain tables):      %6.1f s  %9.0f rows/s  peak %4.0f MiB\n", ss, rows/ss, sm/1024
  printf "ratio (pinggu speed / shell speed): %.2f   targets: >= 500000 rows/s, ratio >= 1, < 1024 MiB\n", ss/ps
}'
