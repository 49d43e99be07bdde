#!/bin/sh
# compare.sh — issue 6's benchmark: the registry × department data comparison at province
# scale, against DuckDB running the same rules as SQL over the same files.
#
#   synth --members N --departments  (default N = 10 million members; the department files
#                                     then hold about 25 million rows, 1.7 GB)
#   pinggu compare --db reg.db --rules rules/compare.json prov/departments --out flags.csv
#   node duckdb/compare.mjs ...      (the peer: rules/compare.json translated into SQL, over
#                                     the registry as `pinggu export` writes it and UTF-8
#                                     copies of the department files — the GB18030 ones
#                                     converted with iconv beforehand, outside the timing)
#
# Prints both times, the ratio, peak memory (/usr/bin/time), and checks that both produce
# the same flags per rule (and the same flags, and the same invalid IDs per file). Targets:
# pinggu at least as fast as DuckDB on this machine; pinggu's peak memory under 2 GiB.
# Work files go to bench/out/compare (about 7 GB at 10 million members).
set -eu
cd "$(dirname "$0")"
HERE=$(pwd)
P=$HERE/../pinggu
RULES=$HERE/../rules/compare.json
N=${BENCH_MEMBERS:-10000000}
THREADS=${BENCH_THREADS:-$(nproc)}
TODAY=$(date +%F)
export PINGGU_TODAY=$TODAY PINGGU_PROGRESS=0
mkdir -p out/compare && cd out/compare

if [ ! -f prov/.departments-$N ]; then
  rm -rf prov reg.db reg.db-wal reg.db-shm export utf8
  /usr/bin/time -f '%e %M' -o synth.time $P synth --out prov --seed 11 --members $N --departments >/dev/null
  touch prov/.departments-$N
  read s m < synth.time
  echo "synth --departments: $N+ members in ${s} s, peak ${m} KiB"
fi
if [ ! -f reg.db ]; then
  $P init reg.db >/dev/null
  $P import --db reg.db prov > import.log
  tail -1 import.log
fi
if [ ! -d export ]; then
  $P export --db reg.db --out export.tmp >/dev/null && mv export.tmp export
fi
if [ ! -d utf8 ]; then
  mkdir utf8.tmp
  for f in prov/departments/*.csv; do
    b=$(basename "$f")
    if head -n 1 "$f" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1; then
      ln -s "$(pwd)/$f" "utf8.tmp/$b"
    else
      iconv -f GB18030 -t UTF-8 "$f" > "utf8.tmp/$b"
    fi
  done
  mv utf8.tmp utf8
fi
if [ ! -d "$HERE/duckdb/node_modules/@duckdb/node-api" ]; then
  (cd "$HERE/duckdb" && npm install --no-audit --no-fund --silent >/dev/null 2>&1) ||
    { echo "compare.sh: npm install in bench/duckdb failed" >&2; exit 1; }
fi

members=$(($(wc -l < prov/members.csv) - 1))
rows=0
for f in prov/departments/*.csv; do rows=$((rows + $(wc -l < "$f") - 1)); done
bytes=$(cat prov/departments/*.csv | wc -c)
nfiles=$(ls prov/departments/*.csv | wc -l)
echo "registry: $members members; department files: $nfiles files, $rows rows, $((bytes / 1048576)) MiB"

sync
/usr/bin/time -f '%e %M' -o pinggu.time $P compare --db reg.db --rules "$RULES" \
  prov/departments --threads $THREADS --out pinggu-flags.csv > pinggu.log
read ps pm < pinggu.time
/usr/bin/time -f '%e %M' -o duck.time node "$HERE/duckdb/compare.mjs" --rules "$RULES" \
  --registry export --departments utf8 --ref 2019-12-31 --today "$TODAY" \
  --threads $THREADS --out duck-flags.csv > duck.log
read ds dm < duck.time

# flags per rule: pinggu's table, DuckDB's lines
sed -n '/^flags per rule/,/total/p' pinggu.log |
  awk '$1 ~ /^[0-9]+$/ { gsub(",", "", $5); print $2 "\t" $5 }' > pinggu.counts
grep -v -e '^invalid' -e '^seconds' duck.log > duck.counts
same=yes
cmp -s pinggu.counts duck.counts || same=NO
# the flags themselves, and the invalid IDs per file
tail -n +2 pinggu-flags.csv | awk -F, '{ print $2 "," $9 "," $11 }' | LC_ALL=C sort > pinggu.flags
tail -n +2 duck-flags.csv | LC_ALL=C sort > duck.flags
tail -n +2 prov/departments-truth.csv | awk -F, '{ print $1 "," $2 "," $3 }' | LC_ALL=C sort > truth.flags
flags_same=yes
cmp -s pinggu.flags duck.flags || flags_same=NO
truth_same=yes
cmp -s pinggu.flags truth.flags || truth_same=NO
sed -n '/^department files/,/^$/p' pinggu.log |
  awk '$1 ~ /\.csv$/ { gsub(",", "", $5); print "invalid\t" $1 "\t" $5 }' | LC_ALL=C sort > pinggu.invalid
grep '^invalid' duck.log | LC_ALL=C sort > duck.invalid
invalid_same=yes
cmp -s pinggu.invalid duck.invalid || invalid_same=NO

echo
printf '%-28s %10s %10s\n' "rule" "pinggu" "DuckDB"
paste pinggu.counts duck.counts | awk -F '\t' '{ printf "%-28s %10s %10s\n", $1, $2, $4 }'
grep '^times' pinggu.log
dv=$(node -p "require('$HERE/duckdb/node_modules/@duckdb/node-api/package.json').version")
awk -v nf=$nfiles -v ps=$ps -v pm=$pm -v ds=$ds -v dm=$dm -v rows=$rows -v t=$THREADS -v dv="$dv" 'BEGIN {
  printf "pinggu compare (index, %d files, flags stored with the change log, CSV): %6.2f s  peak %5.0f MiB\n", nf, ps, pm/1024
  printf "DuckDB %-13s (same rules as SQL, flags to CSV):     %6.2f s  peak %5.0f MiB\n", dv, ds, dm/1024
  printf "ratio (DuckDB time / pinggu time): %.2f   (%d threads; %.1f M department rows/s for pinggu)\n", ds/ps, t, rows/ps/1e6
  printf "targets: ratio >= 1, pinggu peak < 2048 MiB\n"
}'
echo "same flags per rule: $same; same flags: $flags_same; same invalid IDs per file: $invalid_same; pinggu = departments-truth.csv: $truth_same"
[ "$same" = yes ] && [ "$flags_same" = yes ] && [ "$invalid_same" = yes ] && [ "$truth_same" = yes ]
