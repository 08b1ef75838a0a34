"""What-if (DESIGN.md section 5): the plan's levers and sliders, the budget solver, the lever
sensitivity (tornado), and comparing two payout tables (plan A vs B, who gains, who loses)."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import pandas as pd

from salescore.errors import PlanError
from salescore.incentives.engine import _compute, payouts_from
from salescore.incentives.plan import Plan, _fail
from salescore.periods import Period
from salescore.scope import Scope

Con = duckdb.DuckDBPyConnection


# --- summaries and comparisons of payout tables ----------------------------------------------

def summary(frame: pd.DataFrame) -> dict[str, Any]:
    """Totals of a payouts frame: total, revenue_won, margin_won, cost_of_sales (of revenue),
    cost_of_margin, reps, reps_paid, and the effective pay rate (total / revenue) of the top and
    bottom quartiles of reps by revenue_won (pay_rate_top, pay_rate_bottom)."""
    total = float(frame["total"].sum())
    revenue = float(frame["revenue_won"].sum())
    margin = float(frame["margin_won"].sum())
    ranked = frame.sort_values("revenue_won", ascending=False)
    q = max(1, len(ranked) // 4)
    top, bottom = ranked.head(q), ranked.tail(q)

    def rate(part: pd.DataFrame) -> float | None:
        rev = float(part["revenue_won"].sum())
        return float(part["total"].sum()) / rev if rev > 0 else None

    return {"total": total, "revenue_won": revenue, "margin_won": margin,
            "cost_of_sales": total / revenue if revenue > 0 else None,
            "cost_of_margin": total / margin if margin > 0 else None,
            "reps": int(len(frame)), "reps_paid": int((frame["total"] > 0).sum()),
            "pay_rate_top": rate(top) if len(frame) else None,
            "pay_rate_bottom": rate(bottom) if len(frame) else None}


#: The share of reps at quota that fair, reachable quotas give (the common rule of thumb).
AT_QUOTA_RULE = 0.60
#: The attainment bins of :func:`attainment_distribution` (steps of 10%, 200% and over last).
_BIN_STEP, _BIN_TOP = 0.10, 2.0


def attainment_distribution(frame: pd.DataFrame) -> dict[str, Any]:
    """How a payouts frame's reps with a quota spread over attainment: reps, at_quota (reps at
    or above 100%), share_at_quota, median, rule (AT_QUOTA_RULE), verdict ('hard' when the share
    at quota is more than 15 points below the rule, 'easy' when more than 15 above, else
    'fair'; None without reps) and bins (frame: bin_start, bin_end, reps; 10% steps from 0
    to 200%, the last bin holding everything from 200% up)."""
    att = frame["attainment"].astype("float64").dropna()
    edges = [round(i * _BIN_STEP, 2) for i in range(int(_BIN_TOP / _BIN_STEP) + 1)]
    idx = (att.clip(lower=0.0, upper=_BIN_TOP) / _BIN_STEP + 1e-9).astype("int64").clip(upper=len(edges) - 1)
    counts = idx.value_counts()
    bins = pd.DataFrame({"bin_start": edges,
                         "bin_end": [*edges[1:], float("inf")],
                         "reps": [int(counts.get(i, 0)) for i in range(len(edges))]})
    n = int(len(att))
    at = int((att >= 1.0 - 1e-9).sum())
    share = at / n if n else None
    verdict = None if share is None else (
        "hard" if share < AT_QUOTA_RULE - 0.15 else "easy" if share > AT_QUOTA_RULE + 0.15 else "fair")
    return {"reps": n, "at_quota": at, "share_at_quota": share,
            "median": float(att.median()) if n else None, "rule": AT_QUOTA_RULE,
            "verdict": verdict, "bins": bins}


def compare(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Per-rep difference of two payouts frames (plan A -> plan B): rep_id, rep, team,
    revenue_won, attainment, total_a, total_b, change (= total_b - total_a), change_pct
    (NaN when total_a is 0). Sorted by change, biggest drop first."""
    keys = ["rep_id", "rep", "team"]
    left = a[keys + ["revenue_won", "attainment", "total"]].rename(columns={"total": "total_a"})
    right = b[keys + ["total"]].rename(columns={"total": "total_b"})
    out = left.merge(right, on=keys, how="outer")
    out[["total_a", "total_b"]] = out[["total_a", "total_b"]].fillna(0.0)
    out["change"] = (out["total_b"] - out["total_a"]).round(2)
    out["change_pct"] = out["change"] / out["total_a"].where(out["total_a"].abs() > 0)
    return out.sort_values(["change", "rep_id"]).reset_index(drop=True)


def movers(change: pd.DataFrame, n: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From :func:`compare`: the ``n`` reps who gain most (change > 0, largest first) and the
    ``n`` who lose most (change < 0, largest drop first)."""
    gains = change[change["change"] > 0].sort_values(["change", "rep_id"], ascending=[False, True]).head(n)
    losses = change[change["change"] < 0].sort_values(["change", "rep_id"]).head(n)
    return gains.reset_index(drop=True), losses.reset_index(drop=True)

def versus(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Two :func:`summary` dicts side by side (plan A -> plan B, saved -> moved): total_a,
    total_b, change (= total_b - total_a, money), cost_of_sales_a, cost_of_sales_b (None when
    there is no revenue)."""
    return {"total_a": before["total"], "total_b": after["total"],
            "change": after["total"] - before["total"],
            "cost_of_sales_a": before["cost_of_sales"], "cost_of_sales_b": after["cost_of_sales"]}


def default_budget(totals: Mapping[str, Any]) -> float:
    """The budget the solver's form opens with: the plan's current total (``totals`` from
    :func:`summary`) to the whole yuan."""
    return float(round(totals["total"]))


# --- levers, budget solver, sensitivity ------------------------------------------------------

@dataclass(frozen=True)
class Lever:
    """One number of a plan a slider can move: ``key`` is its path in the §5 JSON
    (``commission.tiers.0.rate``); ``kind`` is rate (0..1), attainment, multiplier or money."""

    key: str
    kind: str
    value: float
    low: float
    high: float
    step: float


def levers(plan: Plan) -> list[Lever]:
    """The plan's movable numbers, in form order, with slider ranges."""
    out: list[Lever] = []
    d = plan.to_dict()

    def add(key: str, kind: str, value: float) -> None:
        ranges = {"rate": (0.0, 1.0, 0.005), "attainment": (0.0, 3.0, 0.01),
                  "multiplier": (1.0, 5.0, 0.05), "money": (0.0, max(100000.0, value * 3), 500.0)}
        low, high, step = ranges[kind]
        out.append(Lever(key, kind, float(value), low, max(high, float(value)), step))

    if "base_bonus" in d:
        add("base_bonus.pct_of_salary", "rate", d["base_bonus"]["pct_of_salary"])
        add("base_bonus.gate", "attainment", d["base_bonus"]["gate"])
    if "commission" in d:
        add("commission.default_rate", "rate", d["commission"]["default_rate"])
        for i, tier in enumerate(d["commission"]["tiers"]):
            add(f"commission.tiers.{i}.rate", "rate", tier["rate"])
    for i, acc in enumerate(d.get("accelerators", [])):
        add(f"accelerators.{i}.multiplier", "multiplier", acc["multiplier"])
        add(f"accelerators.{i}.above_attainment", "attainment", acc["above_attainment"])
    if "decelerator" in d:
        add("decelerator.multiplier", "rate", d["decelerator"]["multiplier"])
        add("decelerator.below_attainment", "attainment", d["decelerator"]["below_attainment"])
    for i, spiff in enumerate(d.get("spiffs", [])):
        add(f"spiffs.{i}.bonus", "money", spiff["bonus"])
    return out


def with_lever(plan: Plan, key: str, value: float) -> Plan:
    """A copy of ``plan`` with the number at ``key`` (a Lever key) set to ``value``; validated."""
    d = json.loads(json.dumps(plan.to_dict()))
    node: Any = d
    parts = key.split(".")
    try:
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    except (KeyError, IndexError, ValueError):
        raise _fail("lever", f"The plan has no setting {key}.", value=key) from None
    return Plan.from_dict(d)


#: What the budget solver can scale: rates x s (at most 1), multipliers 1 + (m - 1) x s,
#: money (SPIFF bonuses) x s.
SCALABLE = ("base_bonus", "commission", "accelerators", "spiffs")


def scale(plan: Plan, groups: Iterable[str], factor: float) -> Plan:
    """``plan`` with the chosen lever groups (SCALABLE) scaled by ``factor`` (>= 0)."""
    groups = set(groups)
    bb, comm = plan.base_bonus, plan.commission
    if "base_bonus" in groups and bb:
        bb = replace(bb, pct_of_salary=min(1.0, bb.pct_of_salary * factor))
    if "commission" in groups and comm:
        comm = replace(comm, default_rate=min(1.0, comm.default_rate * factor),
                       tiers=tuple(replace(t, rate=min(1.0, t.rate * factor)) for t in comm.tiers))
    accs = plan.accelerators
    if "accelerators" in groups:
        accs = tuple(replace(a, multiplier=min(10.0, 1 + (a.multiplier - 1) * factor)) for a in accs)
    spiffs = plan.spiffs
    if "spiffs" in groups:
        spiffs = tuple(replace(s, bonus=s.bonus * factor) for s in spiffs)
    return replace(plan, base_bonus=bb, commission=comm, accelerators=accs, spiffs=spiffs)


def lever_changes(before: Plan, after: Plan) -> list[tuple[Lever, float]]:
    """The levers of ``before`` whose value differs in ``after`` (the budget solver's scaled
    plan), each with its new value, in form order: what the solver changed, to say in words."""
    new = {lever.key: lever.value for lever in levers(after)}
    return [(lever, new[lever.key]) for lever in levers(before)
            if lever.key in new and abs(new[lever.key] - lever.value) > 1e-9]


def budget_amount(totals: Mapping[str, Any], kind: str, value: float) -> float | None:
    """A budget as money: ``kind`` absolute (value is money), revenue or margin (value is a
    share of the period's revenue_won / margin_won in ``totals`` from :func:`summary`)."""
    if kind == "absolute":
        return float(value)
    base = totals.get("revenue_won" if kind == "revenue" else "margin_won")
    return float(value) * float(base) if base else None


def solve_budget(con: Con, plan: Plan, period: Period | str, budget: float,
                 groups: Iterable[str] = SCALABLE, scope: Scope = Scope(),
                 high: float = 4.0, tolerance: float = 1.0) -> dict[str, Any]:
    """Find the scale of ``groups`` whose total payout meets ``budget`` (bisection; pay never
    falls when a lever rises, so the total is monotone in the scale).

    Returns {met (bool), reason (None, 'below_fixed' when even scale 0 costs more, 'above_max'
    when scale ``high`` still costs less), factor, total, plan (the scaled Plan)}; when not met,
    factor/plan are the closest end.
    """
    groups = tuple(groups)
    memo: dict = {}

    def total(f: float) -> float:
        out, _ = _compute(con, scale(plan, groups, f), period, scope, memo=memo)
        return float(payouts_from(out)["total"].sum())

    lo_total = total(0.0)
    if lo_total > budget + tolerance:
        return {"met": False, "reason": "below_fixed", "factor": 0.0, "total": lo_total,
                "plan": scale(plan, groups, 0.0)}
    hi_total = total(high)
    if hi_total < budget - tolerance:
        return {"met": False, "reason": "above_max", "factor": high, "total": hi_total,
                "plan": scale(plan, groups, high)}
    lo, hi, best = 0.0, high, (0.0, lo_total)
    for _ in range(40):
        mid = (lo + hi) / 2
        t = total(mid)
        if t <= budget:
            lo, best = mid, (mid, t)
        else:
            hi = mid
        if budget - best[1] <= tolerance or hi - lo < 1e-6:
            break
    return {"met": True, "reason": None, "factor": best[0], "total": best[1],
            "plan": scale(plan, groups, best[0])}


def sensitivity(con: Con, plan: Plan, period: Period | str, scope: Scope = Scope()) -> pd.DataFrame:
    """What +1 point costs on each lever (tornado): columns lever (Lever key), kind, step
    (+0.01 on rates, thresholds and multipliers; +1% on money), total (plan total after the
    step), change (vs the plan's total). Sorted by the size of the change, largest first."""
    memo: dict = {}   # levers on rep-level numbers (base bonus, decelerator) reuse the lines

    def total(p: Plan) -> float:
        out, _ = _compute(con, p, period, scope, memo=memo)
        return float(payouts_from(out)["total"].sum())

    base = total(plan)
    rows = []
    for lever in levers(plan):
        step = lever.value * 0.01 if lever.kind == "money" else 0.01
        value = lever.value + step
        if lever.kind == "rate":
            value = min(1.0, value)
        try:
            moved = with_lever(plan, lever.key, value)
        except PlanError:
            continue
        t = total(moved)
        rows.append({"lever": lever.key, "kind": lever.kind, "step": step, "total": t,
                     "change": round(t - base, 2)})
    frame = pd.DataFrame(rows, columns=["lever", "kind", "step", "total", "change"])
    return frame.reindex(frame["change"].abs().sort_values(ascending=False).index).reset_index(drop=True)
