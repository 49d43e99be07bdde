#!/usr/bin/env python3
"""study.py — the table of bench/estimation.sh: bias and interval coverage against the truth.

    study.py OUT [--reps N]

OUT is bench/out/estimation: prov/ (the synthetic province and its truth), base.db (it,
imported), national.json and anhui.json (the plans studied) and res/PLAN-R.json (`pinggu
indicators --json` of replicate R). Standard library only.

The truth each estimate is compared with is the quantity that estimator is consistent for,
computed from truth.csv and the registry (households and their members):

  wrong_exit  wrongly exited persons / exited persons, over the exited (registered, exit year
              set, not returned) households the design can reach. Both plans reach every one:
              the national plan's exited quota takes all exit years; the Anhui plan's quotas
              take the 2016–2019 exits and the newly identified, and its village-group census
              takes whoever lives in the group — 2014–2015 exits included, with their own π —
              so its wrong-exit estimator is consistent for all exited households, not only
              the categories of E. The rate over the quota categories alone (E's population)
              is reported beside it ("sampled kinds").
  missed      poor persons / persons of general (non-registered) households;
  approval    approving households / households asked, pooled as the estimator pools them:
              every exited household (knows and accepts its exit) and every general one
              (approves of the village's work);
  incidence   (U + e·E + m·G)/R with U, E, G, R the registry totals the estimator uses (E the
              exited persons of the plan's quota categories) and e, m the true rates above.

Bands: a county-indicator is "below 2%" or "2% and above" by its true rate. Bias is the mean
of estimate − truth over county-replicates, with its Monte-Carlo standard error (counties as
strata: sqrt(sum over counties of (n_c/n)² s_c²/n_c)); coverage is the share of 95% intervals
containing the truth, with its binomial standard error.
"""
import argparse
import csv
import glob
import json
import math
import os
import sqlite3
import sys

PLANS = [("national", "national plan, every county (20 villages × 50 households)"),
         ("anhui", "Anhui plan (4 villages × 16 households)")]
INDICATORS = ["wrong_exit", "missed", "incidence", "approval"]
CATS = ["returned", "newly_identified", "exited_current", "exited_earlier", "unexited",
        "general", "exited_other"]


def category(reg, ident, exit_year, returned, win):
    """household_category of src/registry/category.c."""
    if not reg:
        return "general"
    if returned:
        return "returned"
    nf, nt = win.get("newly_identified", (0, 0))
    if nf and nf <= ident <= nt:
        return "newly_identified"
    if exit_year and exit_year == win["year"]:
        return "exited_current"
    ef, et = win.get("exited_earlier", (0, 0))
    if exit_year and ef and ef <= exit_year <= et:
        return "exited_earlier"
    if not exit_year:
        return "unexited"
    return "exited_other"


def load_households(out):
    """household_id -> (county, registered, identified_year, exit_year, returned, persons)."""
    db = sqlite3.connect(os.path.join(out, "base.db"))
    persons = dict(db.execute("SELECT household, count(*) FROM members GROUP BY household"))
    hh = {}
    for row_no, hid, village, reg, ident, ex, ret in db.execute(
            "SELECT row_no, household_id, village, registered, coalesce(identified_year, 0),"
            " coalesce(exit_year, 0), returned FROM households"):
        hh[hid] = (village // 1000000, reg, ident, ex, ret, persons.get(row_no, 0))
    rural = dict(db.execute("SELECT code, rural_population FROM counties"))
    db.close()
    return hh, rural


def truths(out, hh, rural, plans):
    """Per plan and county: the true value of each indicator (see the module comment)."""
    truth = {}
    with open(os.path.join(out, "prov", "truth.csv"), newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            truth[r["household_id"]] = r
    res = {}
    for plan, _ in PLANS:
        if plan not in plans:
            continue
        p = json.load(open(os.path.join(out, plan + ".json"), encoding="utf-8"))
        win = {"year": p["year"]}
        for k, v in p.get("windows", {}).items():
            win[k] = tuple(v)
        covered = set()
        gen_all = False
        for q in p["households"]["quotas"]:
            cats = q.get("categories", [q["name"]])
            covered.update(cats)
            if "general" in cats and not q.get("flags_any"):
                gen_all = True
        assert gen_all, "study.py assumes a general quota without flags (G = all general persons)"
        acc = {}
        for hid, (county, reg, ident, ex, ret, persons) in hh.items():
            a = acc.setdefault(county, dict.fromkeys(
                ["U", "E", "G", "wE", "Eall", "wEall", "wG", "asked", "approve"], 0.0))
            t = truth[hid]
            poor = t["poor"] == "1"
            cat = category(reg, ident, ex, ret, win)
            if reg and (not ex or ret):
                a["U"] += persons
            elif reg:  # exited, not returned
                a["Eall"] += persons
                a["wEall"] += persons * poor
                a["asked"] += 1
                a["approve"] += t["knows_exit"] == "1"
                if cat in covered:
                    a["E"] += persons
                    a["wE"] += persons * poor
            else:
                a["G"] += persons
                a["wG"] += persons * poor
                a["asked"] += 1
                a["approve"] += t["approves"] == "1"
        res[plan] = {}
        for county, a in acc.items():
            e_all = a["wEall"] / a["Eall"] if a["Eall"] else float("nan")
            e_cov = a["wE"] / a["E"] if a["E"] else float("nan")
            m = a["wG"] / a["G"] if a["G"] else float("nan")
            R = rural[county]
            res[plan][county] = {
                "wrong_exit": e_all, "wrong_exit_sampled": e_cov, "missed": m,
                "approval": a["approve"] / a["asked"],
                "incidence": (a["U"] + e_all * a["E"] + m * a["G"]) / R,
                "E": a["E"], "Eall": a["Eall"]}
    return res


def check_against_synth(out, res):
    """The all-exited and general rates must equal synth's own truth-counties.csv."""
    with open(os.path.join(out, "prov", "truth-counties.csv"), newline="") as f:
        for r in csv.DictReader(f):
            c = int(r["county"])
            for mine, theirs in (("wrong_exit", "wrong_exit_true"), ("missed", "missed_true")):
                for plan in res:
                    if r[theirs] and abs(res[plan][c][mine] - float(r[theirs])) > 1e-12:
                        sys.exit(f"study.py: county {c} {mine} {res[plan][c][mine]} differs "
                                 f"from truth-counties.csv {r[theirs]}")


def summarise(items):
    """items: (county, estimate, truth, lower, upper). Bias, its MC s.e., coverage..."""
    by = {}
    for c, est, tr, lo, hi in items:
        by.setdefault(c, []).append((est, tr, lo, hi))
    n = len(items)
    d = [est - tr for _, est, tr, _, _ in items]
    bias = sum(d) / n
    var = 0.0
    for c, rows in by.items():
        dc = [e - t for e, t, _, _ in rows]
        nc = len(dc)
        if nc > 1:
            mc = sum(dc) / nc
            s2 = sum((x - mc) ** 2 for x in dc) / (nc - 1)
            var += (nc / n) ** 2 * s2 / nc
    withint = [(tr, lo, hi) for _, _, tr, lo, hi in items if lo is not None and hi is not None]
    cov = below = above = 0
    width = 0.0
    for tr, lo, hi in withint:
        if tr < lo:
            below += 1
        elif tr > hi:
            above += 1
        else:
            cov += 1
        width += hi - lo
    k = len(withint)
    return {"counties": len(by), "n": n, "truth": sum(t for _, _, t, _, _ in items) / n,
            "bias": bias, "bias_se": math.sqrt(var),
            "coverage": cov / k if k else float("nan"),
            "coverage_se": math.sqrt(cov / k * (1 - cov / k) / k) if k else float("nan"),
            "width": width / k if k else float("nan"), "below": below, "above": above,
            "nointerval": n - k}


def pp(x):
    return f"{100 * x:.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--reps", type=int, default=0, help="replicates expected (0: any)")
    ap.add_argument("--plans", default="national anhui", help="the plans studied")
    args = ap.parse_args()
    hh, rural = load_households(args.out)
    truth = truths(args.out, hh, rural, args.plans.split())
    check_against_synth(args.out, truth)

    lines = []
    percounty = []
    missing = []
    for plan, title in PLANS:
        if plan not in args.plans.split():
            continue
        files = sorted(glob.glob(os.path.join(args.out, "res", plan + "-*.json")))
        if args.reps and len(files) != args.reps:
            missing.append(f"{plan}: {len(files)} of {args.reps} replicates")
        items = {}
        invalid = {}
        for fn in files:
            for u in json.load(open(fn, encoding="utf-8"))["units"]:
                c = u["code"]
                for ind in INDICATORS + (["wrong_exit_sampled"] if plan == "anhui" else []):
                    x = u["wrong_exit" if ind == "wrong_exit_sampled" else ind]
                    if not x["valid"]:
                        invalid[ind] = invalid.get(ind, 0) + 1
                        continue
                    tr = truth[plan][c][ind]
                    band = "below 2%" if tr < 0.02 else "2% and above"
                    items.setdefault((ind, band), []).append(
                        (c, x["estimate"], tr, x.get("lower"), x.get("upper")))
                    items.setdefault((ind, "c%d" % c), []).append(
                        (c, x["estimate"], tr, x.get("lower"), x.get("upper")))
        for ind in INDICATORS + (["wrong_exit_sampled"] if plan == "anhui" else []):
            name = {"wrong_exit_sampled": "wrong_exit (sampled kinds)"}.get(ind, ind)
            for band in ("below 2%", "2% and above"):
                if (ind, band) not in items:
                    continue
                s = summarise(items[(ind, band)])
                lines.append(
                    f"| {plan} | {name} | {band} | {s['counties']} | {s['n']} | {pp(s['truth'])} | "
                    f"{pp(s['bias'])} ± {pp(s['bias_se'])} | "
                    f"{100 * s['coverage']:.1f} ± {100 * s['coverage_se']:.1f}"
                    + (f" ({s['nointerval']} without an interval)" if s["nointerval"] else "")
                    + f" | {s['below']} / {s['above']} | {pp(s['width'])} |")
            if invalid.get(ind):
                lines.append(f"| {plan} | {name} | — | | {invalid[ind]} without an estimate | | | | |")
        for c in sorted(truth[plan]):
            row = [plan, str(c)]
            for ind in INDICATORS:
                if (ind, "c%d" % c) in items:
                    s = summarise(items[(ind, "c%d" % c)])
                    row.append(f"{pp(s['truth'])} / {pp(s['truth'] + s['bias'])} / "
                               f"{100 * s['coverage']:.0f}%")
                else:
                    row.append("—")
            percounty.append("| " + " | ".join(row) + " |")

    print("Bias and 95% coverage by plan, indicator and true-rate band (rates in percentage "
          "points; ± one Monte-Carlo standard error):\n")
    print("| plan | indicator | band | counties | county-replicates | mean true rate | bias | "
          "coverage % | truth below / above the interval | mean width |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))
    print("\nPer county: true rate / mean estimate / coverage (rates in %):\n")
    print("| plan | county | " + " | ".join(INDICATORS) + " |")
    print("|---|---|" + "---|" * len(INDICATORS))
    print("\n".join(percounty))
    if missing:
        print("\nMISSING: " + "; ".join(missing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
