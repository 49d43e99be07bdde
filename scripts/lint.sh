#!/bin/sh
# lint.sh — house rules a compiler cannot enforce (STYLE.md rule 9): no strcpy, strcat,
# sprintf, vsprintf, strtok or gets anywhere in src/; every source file opens with a comment.
set -u
cd "$(dirname "$0")/.."
bad=$(grep -nE '(^|[^_a-z])(strcpy|strcat|sprintf|vsprintf|strtok|gets)[[:space:]]*\(' \
      src/*/*.c src/*/*.h tests/unit/*.c fuzz/*.c 2>/dev/null | grep -v 'snprintf\|vsnprintf')
if [ -n "$bad" ]; then
  echo "lint: banned functions (use struct strbuf / snprintf):" >&2
  echo "$bad" >&2
  exit 1
fi
for f in src/*/*.c src/*/*.h; do
  head -c 2 "$f" | grep -q '/\*' || { echo "lint: $f does not open with its comment" >&2; exit 1; }
done
echo "lint  banned functions, file comments          ok"
