#!/bin/sh
# fuzz-run.sh SECONDS TARGET... — runs each libFuzzer target for SECONDS with its seed corpus
# (fuzz/corpus/NAME), keeping new inputs in fuzz/corpus-NAME (ignored by git).
set -eu
secs=$1; shift
for t in "$@"; do
  name=$(basename "$t")
  mkdir -p "fuzz/corpus-$name"
  seeds=""
  [ -d "fuzz/corpus/$name" ] && seeds="fuzz/corpus/$name"
  echo "fuzz  $name for ${secs}s"
  "$t" -max_total_time="$secs" -print_final_stats=1 "fuzz/corpus-$name" $seeds 2>&1 | tail -5
done
