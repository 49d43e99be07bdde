# sqlfix.py — the backend switch's translation of a test's own SQLite SQL (tests/cli/pg/sqlite3)
# to PostgreSQL, for the few spellings the suites use that PostgreSQL 15 refuses: the column
# `user` (a reserved word there), ifnull, instr, json_extract of a '$.a.b' path, and a
# subquery in FROM without an alias.
# String literals and quoted identifiers pass untouched. SQL on stdin, translation on stdout.
import re, sys

sql = sys.stdin.read()
# json_extract(X, '$.a.b') -> (X)::json #>> '{a,b}' (a text result, as SQLite's for a string)
sql = re.sub(r"json_extract\(([^,()]+),\s*'\$\.([A-Za-z_0-9.]+)'\)",
             lambda m: "((%s)::json #>> '{%s}')" % (m.group(1), m.group(2).replace(".", ",")), sql)
out, i, n, alias = [], 0, len(sql), 0
depth_from = []     # for each open parenthesis: was it "FROM (" / "JOIN ("?
while i < n:
    c = sql[i]
    if c in "'\"":
        j = i + 1
        while j < n and not (sql[j] == c and not (j + 1 < n and sql[j + 1] == c)):
            j += 2 if sql[j] == c else 1
        out.append(sql[i:j + 1]); i = j + 1; continue
    if c.isalpha() or c == "_":
        m = re.match(r"[A-Za-z_][A-Za-z_0-9]*", sql[i:])
        w = m.group(0); i += len(w)
        rest = sql[i:].lstrip()
        if w.lower() == "user" and not rest.startswith("("): w = '"user"'
        elif w.lower() == "ifnull" and rest.startswith("("): w = "coalesce"
        elif w.lower() == "instr" and rest.startswith("("): w = "strpos"
        out.append(w); continue
    if c == "(":
        prev = "".join(out).rstrip().lower()
        depth_from.append(prev.endswith(" from") or prev.endswith(" join") or prev == "from")
        out.append(c); i += 1; continue
    if c == ")":
        out.append(c); i += 1
        if depth_from and depth_from.pop():
            m = re.match(r"\s*([A-Za-z_][A-Za-z_0-9]*)", sql[i:])
            kw = {"where", "group", "order", "limit", "join", "on", "union", "left", "inner", "cross", "natural", "having", "except", "intersect"}
            if not m or m.group(1).lower() in kw:
                alias += 1; out.append(" AS pinggu_sq%d" % alias)
        continue
    out.append(c); i += 1
sys.stdout.write("".join(out))
