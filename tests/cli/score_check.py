# score_check.py PLAN SHEET RESULT.json — re-derives `pinggu score --json` from the plan file
# and the score sheet, independently of the C code (t_score.sh): the sheet's leaves (plain,
# got/full, ranked results), the weighted trees, bonus, veto and condition items of each tree,
# the ranking groups and top scopes, the flags and bands, and the t quantiles of the gaps.
# Survey-measured leaves are taken from the result (their own test: the indicators agreement
# in t_score.sh). Exits non-zero with the first disagreement.
import csv, json, math, sys

plan = json.load(open(sys.argv[1]))["scoring"]
sheet = list(csv.DictReader(open(sys.argv[2])))
res = json.load(open(sys.argv[3]))
EPS = 1e-9


def betacf(a, b, x):  # continued fraction of the incomplete beta (Lentz)
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1 / d if abs(d) > 1e-300 else 1e300
    h = d
    for m in range(1, 300):
        for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                    -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + num * d
            d = 1 / d if abs(d) > 1e-300 else 1e300
            c = 1 + num / c if abs(c) > 1e-300 else 1e300
            h *= d * c
    return h


def ibeta(a, b, x):
    if x <= 0: return 0.0
    if x >= 1: return 1.0
    lb = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1 - x)
    if x < (a + 1) / (a + b + 2): return math.exp(lb) * betacf(a, b, x) / a
    return 1 - math.exp(lb) * betacf(b, a, 1 - x) / b


def t_cdf(t, df):
    p = 0.5 * ibeta(df / 2, 0.5, df / (df + t * t))
    return 1 - p if t > 0 else p


def t_q975(df):
    lo, hi = 0.0, 1000.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_cdf(mid, df) < 0.975: lo = mid
        else: hi = mid
    return (lo + hi) / 2


def leaves_of(node):
    if "children" not in node: return [node]
    return [l for c in node["children"] for l in leaves_of(c)]


def value(node, leaves):
    if "children" not in node: return leaves[node["id"]]
    got = [(c["weight"], value(c, leaves)) for c in node["children"]]
    got = [(w, v) for w, v in got if v is not None]
    return sum(w * v for w, v in got) / sum(w for w, _ in got) if got else None


def fits(item, tree):
    return item.get("unit", tree["unit"]) == tree["unit"]


def yes(v): return v in ("1", "是")


for t, tree in zip(res["trees"], plan["trees"]):
    units, rank = t["units"], {**plan.get("rank", {}), **tree.get("rank", {})}
    group = rank.get("group", "all")
    scope = rank.get("top_scope", group)
    rows = [r for r in sheet if r["tree"] == tree["unit"]]
    by = {}
    for r in rows: by.setdefault(r["unit"], {})[r["item"]] = r
    assert set(by) == {u["unit"] for u in units} or tree["unit"] != "department", t["unit"]

    def county(u):
        if tree["unit"] == "township": return int(u["unit"][:6])
        if tree["unit"] == "department": return int([r["county"] for r in by[u["unit"]].values() if r.get("county")][0])
        return int(u["unit"]) if tree["unit"] == "county" else 0

    def key(u, sc):
        c = county(u)
        return c if sc == "county" else c // 100 if sc == "city" else 0
    leaves = leaves_of({"children": tree["children"]})
    for u in units:
        assert u["county"] == county(u), (u["unit"], u["county"])
        assert u["group"] == key(u, group) and u["top_scope"] == key(u, scope), u["unit"]
    for u in units:  # the sheet's leaves
        mine = by.get(u["unit"], {})
        for leaf in leaves:
            src = leaf.get("source", "input")
            if src == "indicator": continue
            if src == "share":
                got, _, full = mine[leaf["id"]]["value"].partition("/")
                want = 100 * float(got) / float(full or 100)
            elif src == "rank":  # place among the group's results, best..worst linear
                peers = [float(by[v["unit"]][leaf["id"]]["value"]) for v in units
                         if key(v, group) == key(u, group)]
                me = float(mine[leaf["id"]]["value"])
                pos = 1 + sum(1 for x in peers if x > me + EPS)
                n = len(peers)
                want = leaf.get("best", 100) - (leaf.get("best", 100) - leaf.get("worst", 0)) * \
                    (pos - 1) / (n - 1) if n > 1 else leaf.get("best", 100)
            else:
                want = float(mine[leaf["id"]]["value"])
            assert abs(u["nodes"][leaf["id"]] - want) < EPS, (u["unit"], leaf["id"], u["nodes"][leaf["id"]], want)
    for u in units:  # the tree, bonus, veto, conditions
        mine = by.get(u["unit"], {})
        base = value({"children": tree["children"]}, u["nodes"])
        assert abs(base - u["base"]) < EPS, (u["unit"], base, u["base"])
        bonus = sum(float(mine[b["id"]]["value"]) for b in plan.get("bonus", [])
                    if fits(b, tree) and b["id"] in mine)
        assert abs(bonus - u["bonus"]) < EPS, (u["unit"], bonus, u["bonus"])
        assert abs(base + bonus - u["total"]) < EPS
        vetoed = any(yes(mine[v["id"]]["value"]) for v in plan.get("veto", [])
                     if fits(v, tree) and v["id"] in mine)
        assert vetoed == u["vetoed"], u["unit"]
        cond = all(yes(mine[c["id"]]["value"]) for c in plan.get("conditions", []) if fits(c, tree))
        assert cond == u["conditions_met"], u["unit"]
    for u in units:  # ranks and flags
        g = [v for v in units if v["group"] == u["group"]]
        s = [v for v in units if v["top_scope"] == u["top_scope"]]
        r = 1 + sum(1 for v in g if v["total"] > u["total"] + EPS)
        sr = 1 + sum(1 for v in s if v["total"] > u["total"] + EPS)
        top_n = math.floor(rank.get("top_share", 0.2) * len(s) + EPS)
        assert (u["rank"], u["group_units"], u["top_scope_rank"], u["top_scope_units"], u["top_n"]) == \
            (r, len(g), sr, len(s), top_n), (u["unit"], u["rank"], r, u["top_scope_rank"], sr)
        assert u["top"] == (sr <= top_n and not u["vetoed"] and u["conditions_met"]), u["unit"]
        tc = rank.get("top_count", 0)
        assert u["top_count"] == (tc > 0 and r <= tc and not u["vetoed"]), u["unit"]
        worst = max(v["rank"] for v in g)
        assert u["last"] == (rank.get("flag_last", True) and len(g) >= 2 and r == worst), u["unit"]
    for g in {u["group"] for u in units}:  # gaps: t quantiles at Welch–Satterthwaite df
        us = [u for u in units if u["group"] == g]
        assert [u["total"] for u in us] == sorted((u["total"] for u in us), reverse=True)
        for a, b in zip(us, us[1:]):
            if a["se"] is None or b["se"] is None or a["df"] < 1 or b["df"] < 1:
                assert a["crit_next"] is None, a
                continue
            va, vb = a["se"] ** 2, b["se"] ** 2
            if va + vb <= 0: continue
            df = (va + vb) ** 2 / (va * va / a["df"] + vb * vb / b["df"]) if va * vb > 0 or va + vb > 0 else 0
            assert abs(a["z_next"] - (a["total"] - b["total"]) / math.sqrt(va + vb)) < 1e-7
            assert abs(a["crit_next"] - t_q975(df)) < 1e-6, (a["unit"], a["crit_next"], t_q975(df), df)
            assert a["crit_next"] > 1.96  # few villages: wider than the normal quantile
print("score_check: %d trees re-derived" % len(res["trees"]))
