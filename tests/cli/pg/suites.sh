# suites.sh — sourced by t_pg_suite_*.sh (after lib.sh, with $suites set): issue 14's CLI
# suites run unchanged on PostgreSQL. PG_JOBS lanes (default 2) run at once, each with its own
# throwaway cluster (scripts/pg-cluster.sh), so a lane's databases and its server's CPU are its
# own; a lane takes the next suite not yet taken, in the order of $suites (longest first, so
# the lanes end together). Each suite runs as tests/cli/run.sh runs it (a fresh folder and key
# folder), with PINGGU_PG_CLUSTER set, so lib.sh's backend switch turns every store path into a
# database of the lane's cluster (tests/cli/pg/: `pinggu`, `sqlite3`, `cp`). When all lanes are
# done each suite's line is printed in the order of $suites: its wall time, the CPU of its own
# processes (user+sys: pinggu, sqlite3, psql, python, the shells) and of its lane's PostgreSQL
# server meanwhile, and a failed suite's last 30 lines. Fails if any suite fails or is not run.
# PG_SUITES="t_a t_b" runs others; PG_JOBS=1 runs them one after another. The suites not run
# here (they read or edit the SQLite file itself, or test SQLite-only behaviour) are listed
# with the reason in docs/scale.md.
suites=${PG_SUITES:-$suites}
jobs=${PG_JOBS:-2}
[ "$(echo $suites | wc -w)" -ge "$jobs" ] || jobs=$(echo $suites | wc -w)
q=$(mktemp -d /tmp/pinggu-pg-lanes.XXXXXX)
lanes_stop() { # every lane's cluster stopped and removed (also on a signal)
  for f in "$q"/cluster.*; do
    [ -f "$f" ] && sh "$ROOT/scripts/pg-cluster.sh" stop "$(cat "$f")" 2>/dev/null
  done
  rm -rf "$q"
}
trap 'st=$?; trap - EXIT; lanes_stop; exit $st' EXIT
trap 'exit 143' TERM INT
tick=$(getconf CLK_TCK)
pg_cpu() { # pg_cpu DIR: the CPU ticks of DIR's postmaster and every backend it has reaped
  awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' \
    "/proc/$(head -1 "$1/data/postmaster.pid" 2>/dev/null)/stat" 2>/dev/null || echo 0
}
sec() { # sec 1m2.5s -> 62.5 (the shell's `times`)
  echo "$1" | awk -F'[ms]' '{ print $1 * 60 + $2 }'
}
run_suite() { # run_suite T CLUSTER: T's result line (and a failure's tail) on stdout
  work=$(mktemp -d); mkdir "$work.cfg"
  t0=$(date +%s); c0=$(pg_cpu "$2")
  # the inner shell's `times` (its children's user and sys) goes to fd 3
  if (cd "$work" && env -u PINGGU_REAL PINGGU_PG_CLUSTER="$2" PINGGU_TEST_CONFIG="$work.cfg" \
        XDG_CONFIG_HOME="$work.cfg" timeout 900 sh -c 'sh "$0"; st=$?; times >&3; exit $st' \
        "$TESTS_DIR/$1.sh" 3>"$work.times") >"$work.log" 2>&1; then
    res='ok    '
  else
    res=FAILED
  fi
  wall=$(($(date +%s) - t0)); c1=$(pg_cpu "$2")
  set -- "$1" "$2" $(tail -1 "$work.times" 2>/dev/null)
  cpu=$(awk -v u="$(sec "${3:-0m0s}")" -v s="$(sec "${4:-0m0s}")" 'BEGIN { printf "%.0f", u + s }')
  printf 'pg    %-34s %s %4d s  (cpu %4d s, postgres %4d s)\n' "$1" "$res" "$wall" "$cpu" \
    $(((c1 - c0) / tick))
  [ "$res" = 'ok    ' ] || tail -30 "$work.log" | sed 's/^/      /'
  rm -rf "$work" "$work.log" "$work.cfg" "$work.times"
  # the suite's databases go with its folder
  for d in $(sh "$ROOT/scripts/pg-cluster.sh" psql "$2" -d postgres -qAt -c "SELECT datname FROM pg_database WHERE datname LIKE 't\_%'"); do
    sh "$ROOT/scripts/pg-cluster.sh" psql "$2" -d postgres -q -c "DROP DATABASE $d" >/dev/null 2>&1 || true
  done
}
lane() { # lane N: start a cluster, then take suites (mkdir is the claim) until none is left
  cl=$(mktemp -d /tmp/pinggu-pg.XXXXXX)
  echo "$cl" > "$q/cluster.$1"
  sh "$ROOT/scripts/pg-cluster.sh" start "$cl" >/dev/null 2>"$q/start.$1" || return 0
  for t in $suites; do
    mkdir "$q/$t" 2>/dev/null || continue
    run_suite "$t" "$cl" > "$q/$t/out"
  done
}
i=0
while [ $i -lt "$jobs" ]; do
  i=$((i + 1))
  lane $i &
done
wait
failed=
for t in $suites; do
  if [ -f "$q/$t/out" ]; then
    cat "$q/$t/out"
    grep -q '^pg    [^ ]* *ok ' "$q/$t/out" || failed="$failed $t"
  else
    printf 'pg    %-34s NOT RUN\n' "$t"; failed="$failed $t"
  fi
done
[ -z "$failed" ] || { cat "$q"/start.* >&2; fail "on PostgreSQL:$failed"; }
