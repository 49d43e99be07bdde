#!/bin/sh
# run.sh — `make bench`: every benchmark, each printing its figure beside its peer's,
# measured in the same run. Work files go to bench/out (ignored by git; ~3 GB at 10M).
# BENCH_MEMBERS overrides the registry size (default 10 million).
set -eu
cd "$(dirname "$0")"
mkdir -p out
for b in demo.sh import.sh sample.sh pi.sh compare.sh estimation.sh serve.sh pg.sh; do
  [ -x "$b" ] || continue
  printf '\n######## %s\n' "$b"
  ./"$b"
done
