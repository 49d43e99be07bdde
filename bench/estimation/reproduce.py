#!/usr/bin/env python3
"""reproduce.py — every figure of `pinggu indicators`, recomputed from the analysis file.

An independent re-implementation, in Python's standard library only, of what the R code in
docs/estimation.md does with the survey package: it reads the CSV that
`pinggu export analysis` writes (never the store), builds the design R would build on every
household row — svydesign(ids = ~village, strata = ~county_stratum, weights = ~weight), or
above a county ids = ~psu_upper, strata = ~stratum_upper — and for each unit and indicator
takes the domain as subset(design, ...) does: the unit's rows where the rate's outcome is not
NA. It computes the ratio, its linearised variance as survey's onestrat does for a subset (the
domain's PSU totals in each stratum it reaches, padded with zeros to the stratum's PSUs in the
full design, n_h/(n_h - 1) times the sum of squared deviations from their mean; a stratum with
one PSU about the grand mean, lonely.psu = "adjust"), the design effect, degrees of freedom
(PSUs - strata of the subset, R's degf), the Korn–Graubard interval (with the t-ratio, the cap
at n and the p = 0 rule) and the incidence linearised as a whole, with the registry totals
summed from the file's county rows (record == "county"), so a county without a surveyed
household still counts. The t and Beta quantiles are computed here from a continued fraction
for the incomplete beta function inverted by bisection — not by the GSL routines pinggu uses —
so agreement checks both.

    reproduce.py analysis.csv                       # print the figures
    reproduce.py analysis.csv --check ind.json      # compare with `pinggu indicators --json`
    reproduce.py analysis.csv --level province --check prov.json --tol 1e-9

With --check it prints the largest difference and exits 1 if any figure differs by more than
--tol (absolute; relative for counts such as n_eff and persons) or is missing on one side.
"""
import argparse
import csv
import json
import math
import sys

# ------------------------------------------------------------------ special functions


def _betacf(a, b, x):
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    if abs(d) < tiny:
        d = tiny
    d = 1.0 / d
    h = d
    for m in range(1, 100000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = tiny if abs(d) < tiny else d
        c = 1.0 + aa / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = tiny if abs(d) < tiny else d
        c = 1.0 + aa / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        de = d * c
        h *= de
        if abs(de - 1.0) < 1e-16:
            break
    return h


def betainc(a, b, x):
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    lbt = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(lbt) * _betacf(a, b, x) / a
    return 1.0 - math.exp(lbt) * _betacf(b, a, 1 - x) / b


def beta_quantile(p, a, b):
    """x with I_x(a, b) = p, by bisection to the last bit."""
    lo, hi = 0.0, 1.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        if betainc(a, b, mid) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def t_quantile(p, df):
    """Student t quantile for p < 0.5 through P(|T| > t) = I_{df/(df+t^2)}(df/2, 1/2)."""
    if df <= 0:
        df = 1
    x = beta_quantile(2 * p, df / 2.0, 0.5)
    return -math.sqrt(df * (1 - x) / x)


# ------------------------------------------------------------------ the estimators


class Design:
    """svydesign(ids, strata, weights) on every household row of the file: what survey keeps
    of it for a subset — the number of PSUs of each stratum (fpc$sampsize)."""

    def __init__(self, rows, strat, psu, wcol):
        self.rows = rows
        self.key = [(r[strat], r[psu]) for r in rows]
        self.w = [float(r[wcol]) for r in rows]
        psus = {}
        for h, j in self.key:
            psus.setdefault(h, set()).add(j)
        self.npsu = {h: len(v) for h, v in psus.items()}


def subset_variance(design, idx, z):
    """survey's svyrecvar/onestrat on subset(design, idx) (rows dropped): the domain's PSU
    totals within each stratum it reaches, padded with zeros up to the stratum's PSUs in the
    full design, centred at their mean (scaled n_h/(n_h - 1)); a stratum with one PSU in the
    design is centred at the domain's total over the PSUs of the strata it reaches
    (lonely.psu = "adjust"). degf: distinct PSUs minus distinct strata of the subset."""
    tot = {}
    for i, zi in zip(idx, z):
        h, j = design.key[i]
        tot.setdefault(h, {})
        tot[h][j] = tot[h].get(j, 0.0) + zi
    if not tot:
        return 0.0, 0
    recentre = sum(z) / sum(design.npsu[h] for h in tot)
    v = 0.0
    for h, t in tot.items():
        n_h = design.npsu[h]
        x = list(t.values()) + [0.0] * (n_h - len(t))
        if n_h > 1:
            c = sum(x) / n_h
            v += n_h / (n_h - 1) * sum((xi - c) ** 2 for xi in x)
        else:
            v += sum((xi - recentre) ** 2 for xi in x)
    df = sum(len(t) for t in tot.values()) - len(tot)
    return v, df


def ratio(design, idx, y, x):
    """svyratio(~y, ~x, subset(design, idx)): idx the domain's row indices, y and x aligned."""
    r = {"valid": False, "households": len(idx), "persons": sum(x)}
    w = [design.w[i] for i in idx]
    X = sum(wi * xi for wi, xi in zip(w, x))
    if not idx or X <= 0:
        return r, []
    Y = sum(wi * yi for wi, yi in zip(w, y))
    W = sum(w)
    R = Y / X
    z = [wi * (yi - R * xi) / X for wi, yi, xi in zip(w, y, x)]
    v, df = subset_variance(design, idx, z)
    n = len(idx)
    r.update(valid=True, estimate=R, var=v, df=df, se=math.sqrt(v) if df > 0 else None)
    deff = None
    if df > 0 and n > 1 and W > 0:
        srs = sum(wi * (yi - R * xi) ** 2 for wi, yi, xi in zip(w, y, x))
        xbar, s2 = X / W, srs / W * n / (n - 1)
        vsrs = s2 / (n * xbar * xbar)
        deff = v / vsrs if vsrs > 0 else None
    r["deff"] = deff
    return r, z


def korn_graubard(p, v, n, df, alpha=0.05):
    """Korn–Graubard as svyciprop(method = "beta"), with the cap at n and the p = 0 rule."""
    if n <= 0 or df <= 0 or v is None or not math.isfinite(v):
        return None, None, 0.0
    if p <= 0 or v <= 0:
        ne = float(n)
    else:
        rt = 1.0
        if df >= 1 and n > 1:
            rt = (t_quantile(alpha / 2, n - 1) / t_quantile(alpha / 2, df)) ** 2
        ne = min(p * (1 - p) / v * rt, float(n))
        ne = max(ne, 1.0)
    p = min(max(p, 0.0), 1.0)
    x = ne * p
    lower = beta_quantile(alpha / 2, x, ne - x + 1) if x > 0 else 0.0
    upper = beta_quantile(1 - alpha / 2, x + 1, ne - x) if x < ne else 1.0
    return lower, upper, ne


def unit_figures(design, key, counties, level):
    """The four indicators of the unit `key` of the level: every rate a domain of the design
    (the unit's rows with the rate's outcome not NA); registry totals from its county rows."""
    upper = level != "county"
    rows = design.rows
    mine = [i for i, r in enumerate(rows) if level_key(level, r["county"]) == key]
    ie = [i for i in mine if rows[i]["wrong_exit"] != ""]
    im = [i for i in mine if rows[i]["missed"] != ""]
    ia = [i for i in mine if rows[i]["approval"] != ""]
    e, ze = ratio(design, ie, [float(rows[i]["wrong_persons"]) for i in ie],
                  [float(rows[i]["persons"]) for i in ie])
    m, zm = ratio(design, im, [float(rows[i]["missed_persons"]) for i in im],
                  [float(rows[i]["persons"]) for i in im])
    a, _ = ratio(design, ia, [float(rows[i]["approval"]) for i in ia], [1.0] * len(ia))
    for x in (e, m, a):
        if x["valid"]:
            x["lower"], x["upper"], x["n_eff"] = korn_graubard(
                x["estimate"], x["se"] ** 2 if x["se"] is not None else None, x["households"], x["df"])
    # registry totals: the county rows (Horvitz–Thompson over sampled counties above a county)
    tot = {"R": 0.0, "U": 0.0, "E": 0.0, "G": 0.0}
    for c in counties:
        if level_key(level, c["county"]) != key:
            continue
        f = 1.0 / float(c["pi_county"]) if upper else 1.0
        for k in tot:
            tot[k] += f * float(c[k])
    R, U, E, G = tot["R"], tot["U"], tot["E"], tot["G"]
    inc = {"valid": False}
    if R > 0 and (e["valid"] or E <= 0) and (m["valid"] or G <= 0):
        ev = e["estimate"] if e["valid"] else 0.0
        mv = m["estimate"] if m["valid"] else 0.0
        # z per household of either denominator: (E z_e + G z_m) / R, on the union's subset
        zc = [E * z / R for z in ze] + [G * z / R for z in zm]
        ic = (ie if ze else []) + (im if zm else [])
        v, df = subset_variance(design, ic, zc) if ic else (0.0, 0)
        eg = E + G
        q = (ev * E + mv * G) / eg if eg > 0 else 0.0
        vq = v * (R / eg) ** 2 if eg > 0 else 0.0
        n = len(ie) + len(im)
        ql, qu, ne = korn_graubard(q, vq if df > 0 else None, n, df)
        inc = {"valid": True, "estimate": (U + ev * E + mv * G) / R,
               "se": math.sqrt(v) if df > 0 else None, "df": df, "households": n,
               "persons": e["persons"] + m["persons"], "n_eff": ne, "deff": None,
               "lower": (U + ql * eg) / R if ql is not None else None,
               "upper": (U + qu * eg) / R if qu is not None else None}
    return {"wrong_exit": e, "missed": m, "incidence": inc, "approval": a}, tot


def level_key(level, county):
    county = int(county)
    return county // 100 if level == "city" else county // 10000 if level == "province" else county


# ------------------------------------------------------------------ main

FIELDS = ["estimate", "se", "lower", "upper", "deff", "n_eff", "df", "households", "persons"]
RELATIVE = {"n_eff", "persons", "households", "df"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv")
    ap.add_argument("--level", default="county", choices=["county", "city", "province"])
    ap.add_argument("--check", metavar="JSON", help="pinggu indicators --json output to compare")
    ap.add_argument("--tol", type=float, default=1e-9)
    args = ap.parse_args()
    with open(args.csv, newline="", encoding="utf-8") as f:
        every = list(csv.DictReader(f))
    rows = [r for r in every if r["record"] == "household"]
    counties = [r for r in every if r["record"] == "county"]
    # above a county: weight_province and totals / pi_county (pi_county is 1 and the two
    # weights are equal when every county was assessed)
    if args.level == "county":
        design = Design(rows, "county_stratum", "village", "weight")
    else:
        design = Design(rows, "stratum_upper", "psu_upper", "weight_province")
    keys = sorted({level_key(args.level, c["county"]) for c in counties})
    mine = {k: unit_figures(design, k, counties, args.level)[0] for k in keys}

    if not args.check:
        for code, ind in mine.items():
            for k, x in ind.items():
                if not x["valid"]:
                    print(f"{code} {k:10s} —")
                    continue
                se = "—" if x["se"] is None else f"{x['se']:.6f}"
                lo = "—" if x.get("lower") is None else f"{100 * x['lower']:.2f}"
                hi = "—" if x.get("upper") is None else f"{100 * x['upper']:.2f}"
                print(f"{code} {k:10s} {100 * x['estimate']:7.3f}%  se {se}  [{lo}, {hi}]  "
                      f"df {x['df']}  n {x['households']}")
        return 0

    with open(args.check, encoding="utf-8") as f:
        theirs = {u["code"]: u for u in json.load(f)["units"]}
    worst, bad, compared = 0.0, [], 0
    for code in sorted(set(mine) | set(theirs)):
        if code not in mine or code not in theirs:
            # every county of the sample has its totals row, so every unit is in both
            bad.append(f"{code}: in only one of the two")
            continue
        for k, x in mine[code].items():
            t = theirs[code][k]
            if bool(x["valid"]) != bool(t["valid"]):
                bad.append(f"{code} {k}: valid {x['valid']} vs {t['valid']}")
                continue
            if not x["valid"]:
                continue
            for fld in FIELDS:
                a, b = x.get(fld), t.get(fld)
                if a is None or b is None:
                    if (a is None) != (b is None):
                        bad.append(f"{code} {k} {fld}: {a} vs {b}")
                    continue
                d = abs(a - b)
                if fld in RELATIVE:
                    d /= max(1.0, abs(b))
                compared += 1
                worst = max(worst, d)
                if d > args.tol:
                    bad.append(f"{code} {k} {fld}: {a!r} vs {b!r} (difference {d:.3g})")
    print(f"reproduce: {len(mine)} units, {compared} figures compared, largest difference "
          f"{worst:.3g} (tolerance {args.tol:g})")
    for b in bad[:40]:
        print("  DIFFERS " + b)
    if bad:
        print(f"reproduce: {len(bad)} differences")
        return 1
    print("reproduce: every figure agrees")
    return 0


if __name__ == "__main__":
    sys.exit(main())
