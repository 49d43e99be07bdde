# t_help.sh — every command answers --help with its usage, and bad use exits 64.
. "$TESTS_DIR/lib.sh"
expect_status 0 $PINGGU --help
for cmd in $(awk '/^commands:/{f=1;next} f && !NF{exit} f{print $1}' out.txt); do
  expect_status 0 $PINGGU $cmd --help
  expect_grep "usage|pinggu" out.txt
done
expect_status 64 $PINGGU no-such-command
expect_status 64 $PINGGU import --db x.db
expect_status 0 $PINGGU help formats
expect_grep "^## members.csv" out.txt
# the committed docs/formats.md is what the code says
$PINGGU help formats > formats.md
cmp -s formats.md "$ROOT/docs/formats.md" || fail "docs/formats.md is stale: run make docs"
