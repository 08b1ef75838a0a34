"""The payout engine (DESIGN.md section 5): :func:`payouts` returns one row per rep;
:func:`explain` the per-deal and per-component lines that add up to a rep's total. Both come
from one set of lines computed in DuckDB SQL (:mod:`~salescore.incentives.lines`) over the
whole deals/payments/deal_history tables (:func:`_compute`), so the table and the
explanation can never disagree.

Rules that DESIGN §5 leaves to the engine (stated here so statements can be checked by hand):

- Ordering: a rep's won deals in a period are taken in (close_date, deal_id) order.
- Thresholds are inclusive where §5 says "at": attainment exactly at the gate earns the base
  bonus; exactly at ``below_attainment`` is not cut; a non-cash reward or a champion prize at
  exactly ``min_attainment`` is earned. Revenue exactly at quota x above_attainment is not yet
  accelerated (only revenue *beyond* it). Comparisons allow 1e-9 of float noise.
- Accelerator bands: band k runs from quota x threshold_k to the next threshold; its
  multiplier is the highest multiplier among the thresholds passed (so a lower multiplier
  listed at a higher threshold never lowers pay). accelerator_extra = commission of the part
  in the band x (multiplier - 1). Deals only: a credit lowers attainment, not the position of
  the deals against the thresholds.
- Won for pay: a deal now won, or one that deal_history shows was won (its last won sighting
  gives amount, close date and rep) even when the deals table now says lost: the period that
  paid it keeps paying it, so re-importing a deal as lost never rewrites that period.
- Credits (won rows with a negative amount, section 4) are not deals: no commission line, no
  SPIFF, no new customer; they lower revenue_won (attainment, champion rank) of their close
  period and are clawbacks (below).
- Basis ``collected`` (回款): commission is paid on positive payments dated in the period for a
  won deal (any close date; for a deal later shown lost, payments before that sighting), at the
  deal's tier rate; a payment row with no deal_id pays the default rate to the payment's rep.
  Accelerators apply to cash in proportion to where the deal sat in *its own* close period.
- Clawback (needs ``clawback_days``): a won deal reversed 0..clawback_days days after its
  close date takes back what was actually paid on it in its own period: commission x the
  decelerator multiplier of that period (when its attainment ended below) + accelerator
  extra; SPIFFs are not taken back. A reversal is a refund (a negative payments row for the
  deal: share = refund / deal amount, under ``collected`` / cash collected before it), a credit
  naming the deal (same order_id: share = credit / the order's amount, every line of the
  order) or the first import that shows the won deal lost (the rest; only while the deal is
  not won again). The shares of a deal's
  reversals never exceed 1 together. Until closed periods exist the reversal is charged once,
  in the period of its day (the refund's paid date, the credit's close date, the seen_at of
  the first 'lost' sighting); the line names the deal, the reason and the period that paid it.
  A credit that names no deal takes back rate(its product) x its amount in its own period.
- SPIFFs: every entry pays independently (a 1M first deal can earn a 500k and a 1M SPIFF).
  period_champion ranks reps with revenue_won > 0 within their team (competition ranking:
  1, 1, 3), over all reps even when the scope is one team or one rep; with ``min_attainment``
  a rep at the rank below it gets no prize (nobody else moves up).
- Negative totals: a balance carried in from earlier periods (``carried_balance``, positive)
  is deducted like a clawback; a total still below zero pays 0 and the shortfall
  (``carried_forward``) becomes the next period's carried_balance, unless the plan sets
  ``carry_negative`` false (then it pays 0 and nothing is carried: a ``shortfall`` line either
  way makes the lines add up to 0).
- total is cut to payout_cap when above it (a ``payout_cap`` line records the cut). Every
  component is summed unrounded and rounded to cents (half up) only in :func:`payouts`;
  :func:`explain` adds a ``rounding`` line so its amounts add up to the rounded total.
- A rep with no quota (no revenue target, or a zero one): attainment NaN, no base bonus, no
  accelerator, no decelerator, flag ``no_quota``; commission and SPIFFs still pay.
"""
from __future__ import annotations

import math
from datetime import date, timedelta
from functools import partial
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from salescore import metrics, sql
from salescore.incentives import assignments, closing, disputes, draws
from salescore.incentives import lines as lsql
from salescore.incentives.plan import EPS, Plan, _fail
from salescore.incentives.store import load_plan
from salescore.periods import Period, containing, parse, working_days
from salescore.scope import Scope

Con = duckdb.DuckDBPyConnection

#: Columns of :func:`payouts`, in order.
PAYOUT_COLUMNS = ["rep_id", "rep", "team", "quota", "revenue_won", "margin_won", "attainment",
                  "base_bonus", "commission", "accelerator_extra", "decelerator_cut", "spiffs",
                  "override", "clawback", "carried_balance", "adjustment", "draw", "draw_recovered", "total",
                  "carried_forward", "draw_balance", "non_cash", "cost_of_sales", "flag"]
#: The money components, as explain() names them, in statement order.
COMPONENTS = ("base_bonus", "commission", "accelerator_extra", "decelerator_cut", "spiffs",
              "override", "clawback", "carried_balance", "adjustment", "shortfall", "payout_cap",
              "draw", "draw_recovered", "rounding")
#: The components summed into a payouts column (cuts, clawbacks and balances reported positive;
#: adjustments for closed periods signed).
_SUMMED = COMPONENTS[:9]
#: What the command line prints per rep (DESIGN §6: the §5 outputs plus "rep").
CLI_FIELDS = ["rep", "rep_id", "team", "quota", "revenue_won", "attainment", "base_bonus",
              "commission", "accelerator_extra", "decelerator_cut", "spiffs", "override", "clawback",
              "carried_balance", "adjustment", "draw", "draw_recovered", "total", "carried_forward",
              "draw_balance", "non_cash", "cost_of_sales", "flag"]


def _period(plan: Plan, period: Period | str) -> Period:
    p = parse(period) if isinstance(period, str) else period
    if p.kind != plan.period:
        example = containing(p.start, plan.period).label
        raise _fail("period_kind", f"This plan pays per {plan.period}: choose a {plan.period} "
                    f"(such as {example}), not {p.label}.", kind=plan.period, value=p.label,
                    example=example)
    return p


def _cents(value: float) -> float:
    """Round half up to cents (after trimming float noise below 1e-9)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return value
    return float(cents(pd.Series([float(value)])).iloc[0])


def cents(values: pd.Series) -> pd.Series:
    """Money rounded half up (away from zero) to cents, vectorised; float noise below 1e-6
    of a cent is trimmed first so 1.005 becomes 1.01."""
    x = values.astype("float64").to_numpy()
    scaled = np.round(np.abs(x) * 100, 6)
    return pd.Series(np.sign(x) * np.floor(scaled + 0.5) / 100 + 0.0, index=values.index)


def _run_memo(con: Con, text: str, params: dict[str, Any], memo: dict | None) -> pd.DataFrame:
    """:func:`salescore.sql.run`, remembered in ``memo`` by statement and bound values (a copy
    is returned: callers change the frames). Several plans that differ only in rep-level
    numbers share it."""
    if memo is None:
        return sql.run(con, text, params)
    bound = sql.bind(text, params)
    key = (text, tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(bound.items())))
    if key not in memo:
        memo[key] = sql.run(con, text, bound)
    return memo[key].copy()


def _decel(plan: Plan, attainment: pd.Series) -> pd.Series:
    """The decelerator multiplier per attainment (1 without one, without a quota, or at or
    above ``below_attainment``)."""
    att = attainment.astype("float64")
    if not plan.decelerator:
        return pd.Series(1.0, index=att.index)
    dc = plan.decelerator
    return pd.Series(np.where(att.notna() & (att < dc.below_attainment - EPS), dc.multiplier, 1.0),
                     index=att.index)


def _label(day: Any, kind: str) -> str:
    return containing(pd.Timestamp(day).date(), kind).label


def _rates(plan: Plan, margin: pd.Series) -> pd.Series:
    """rate(deal) per product margin_rate, as the SQL's tier rule (NaN margin: default rate)."""
    comm = plan.commission
    if comm is None:
        return pd.Series(0.0, index=margin.index)
    m = margin.astype("float64").to_numpy()
    out = np.full(len(m), comm.default_rate)
    for tier in comm.tiers:   # ascending min_margin: the largest one reached wins
        out = np.where(~np.isnan(m) & (m >= tier.min_margin - 1e-12), tier.rate, out)
    return pd.Series(out, index=margin.index)


def _multipliers(plan: Plan) -> list[float]:
    """The multiplier of each accelerator's band (the highest of the thresholds passed)."""
    out, best = [], 1.0
    for acc in plan.accelerators:
        best = max(best, acc.multiplier)
        out.append(best)
    return out


def _claws(con: Con, plan: Plan, base: dict[str, Any], day_lo: date, day_hi: date,
           memo: dict | None) -> pd.DataFrame:
    """One row per reversal charged between ``day_lo`` and ``day_hi``: rep_id, deal_id, day,
    reason, ref, share, paid (what was paid on the deal in its own period: commission x its
    decelerator + accelerator extra), amount (= paid x share, positive), origin (label(s) of
    the period that paid it)."""
    cols = ["rep_id", "deal_id", "day", "reason", "ref", "share", "paid", "amount", "origin"]
    if plan.clawback_days is None or plan.commission is None:
        return pd.DataFrame(columns=cols)
    params = dict(base, day_lo=day_lo, day_hi=day_hi,
                  claw_lo=containing(day_lo - timedelta(days=plan.clawback_days), plan.period).start)
    if not _run_memo(con, lsql.reversals_exist_sql(), params, memo).iloc[0, 0]:
        return pd.DataFrame(columns=cols)
    pieces = _run_memo(con, lsql.claws_sql(plan, params), params, memo)
    if pieces.empty:
        return pd.DataFrame(columns=cols)
    rate = _rates(plan, pieces["margin"])
    units = sum((pieces[f"part_{i}"].fillna(0.0) * (m - 1.0) for i, m in enumerate(_multipliers(plan))),
                start=pd.Series(0.0, index=pieces.index))
    pieces["paid"] = (rate * pieces["basis"].fillna(0.0) * _decel(plan, pieces["attainment"])
                      + rate * units * pieces["unit"].fillna(0.0))
    keys = ["rep_id", "deal_id", "day", "reason", "ref", "share"]
    pieces["ref"] = pieces["ref"].fillna("")
    if plan.commission.basis == "collected":   # a piece per payment collected: one row per reversal
        out = (pieces.groupby(keys, sort=False, dropna=False)
               .agg(paid=("paid", "sum"), first=("opstart", "min"), last=("opstart", "max")).reset_index())
    else:
        out = pieces.assign(first=pieces["opstart"], last=pieces["opstart"])
    names = {v: _label(v, plan.period) for v in pd.unique(pd.concat([out["first"], out["last"]]))}
    out["origin"] = [names[a] if a == b else f"{names[a]}–{names[b]}" for a, b in zip(out["first"], out["last"])]
    out["amount"] = out["paid"] * out["share"]
    return out[cols]


def _claw_lines(claws: pd.DataFrame) -> pd.DataFrame:
    """Clawback lines: basis = what was paid on the deal, rate = the share taken back, amount
    negative, detail 'reason · period that paid it[ · refund or credit row]'."""
    detail = [" · ".join(x for x in (r, o, f) if x) for r, o, f in
              zip(claws["reason"], claws["origin"], claws["ref"].fillna(""))]
    return pd.DataFrame({"rep_id": claws["rep_id"], "component": "clawback", "deal_id": claws["deal_id"],
                         "day": claws["day"], "basis": claws["paid"], "rate": claws["share"],
                         "multiplier": None, "amount": -claws["amount"], "detail": detail})


def _carry_in(con: Con, plan: Plan, p: Period, scope: Scope, base: dict[str, Any],
              memo: dict | None) -> dict[str, tuple[float, str]]:
    """rep_id -> (balance carried into ``p``, label of the period it was carried from).

    A period can end below zero only where a clawback or a carried balance exceeds what its
    commission pays at least (commission x the lowest decelerator multiplier; base bonus,
    accelerator extra and SPIFFs only add): the engine runs in full only for such periods."""
    if not plan.carry_negative or plan.clawback_days is None or plan.commission is None:
        return {}
    claws = _claws(con, plan, base, date(1900, 1, 1), p.start - timedelta(days=1), memo)
    if claws.empty:
        return {}
    kind = plan.period
    claws["pstart"] = [containing(pd.Timestamp(d).date(), kind).start for d in claws["day"]]
    charged = claws.groupby(["rep_id", "pstart"])["amount"].sum().to_dict()
    params = dict(base, reps=sorted(claws["rep_id"].unique()))
    earned = _run_memo(con, lsql.earned_sql(plan, params), params, memo)
    low = min(plan.decelerator.multiplier, 1.0) if plan.decelerator else 1.0
    earned["floor"] = _rates(plan, earned["margin"]) * earned["basis"].fillna(0.0) * low
    floor = {(r, pd.Timestamp(s).date()): c for (r, s), c in
             earned.groupby(["rep_id", "pstart"])["floor"].sum().items()}
    starts = sorted(set(claws["pstart"]))
    carry: dict[str, tuple[float, str]] = {}
    q = containing(starts[0], kind)
    while q.start < p.start:
        if not carry:
            later = [s for s in starts if s >= q.start]
            if not later:
                break
            q = containing(later[0], kind)
        reps = set(carry) | {r for (r, s) in charged if s == q.start}
        short = any(floor.get((r, q.start), 0.0) - charged.get((r, q.start), 0.0)
                    - carry.get(r, (0.0, ""))[0] < -EPS for r in reps)
        if short:
            out, _ = _compute(con, plan, q, scope, memo=memo, carry_in=carry)
            owed = out[out["carried_forward"] > EPS]
            carry = {r: (float(v), q.label) for r, v in zip(owed["rep_id"], owed["carried_forward"])}
        else:
            carry = {}
        q = q.next()
    return carry


def _run(con: Con, plan: Plan, period: Period | str, scope: Scope,
         quota: tuple[str, float] | None = None,
         quota_scale: tuple[tuple[str, float], ...] = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`_compute`, except for a closed period asked with the plan it was closed with:
    then the stored statements (salescore.incentives.closing), never recomputed."""
    p = _period(plan, period)
    if quota is None and not quota_scale:
        stored = closing.stored_run(con, plan, p, scope)
        if stored is not None:
            return stored
    return _compute(con, plan, p, scope, quota, quota_scale=quota_scale)


def _plan_key(con: Con, plan: Plan, memo: dict | None) -> str | None:
    """The plan id whose assignments rule ``plan`` (None: it pays every rep), once per memo."""
    if memo is not None and ("plan_key", plan.name) in memo:
        return memo[("plan_key", plan.name)]
    key = assignments.plan_key(con, plan.name)
    if memo is not None:
        memo[("plan_key", plan.name)] = key
    return key


def _draw_runs(con: Con, plan: Plan, p: Period, scope: Scope, memo: dict | None, *, through: bool = False):
    """(period, per-rep frame) of the engine run over every period from the first that
    guaranteed a draw (the earliest hire month, or the data's first day without a window) up
    to before ``p`` (``through``: and ``p``), each period's recoverable balances handed to the
    next; then the balances carried out of the last one."""
    if plan.draw.months is None:
        first = metrics.data_range(con)[0]
    else:
        first = sql.scalar(con, "select min(hire_date) from reps")
    balances: dict[str, float] = {}
    q = containing(pd.Timestamp(first).date(), plan.period) if first is not None else p
    while q.start < p.start or (through and q.start == p.start):
        out, _ = _compute(con, plan, q, scope, memo=memo, draw_in=balances)
        balances = {str(r): float(b) for r, b in zip(out["rep_id"], out["draw_balance"]) if b > EPS}
        yield q, out
        q = q.next()
    return balances


def _draw_chain(con: Con, plan: Plan, p: Period, scope: Scope, memo: dict | None) -> dict[str, float]:
    """The recoverable draw balances carried into ``p`` (see :func:`_draw_runs`)."""
    runs = _draw_runs(con, plan, p, scope, memo)
    while True:
        try:
            next(runs)
        except StopIteration as done:
            return done.value or {}


def draw_ledger(con: Con, plan: Plan, period: Period | str, scope: Scope = Scope()) -> pd.DataFrame:
    """The draw ledger (DESIGN section 10): per period from the first with a draw up to
    ``period`` and per rep with a draw line, what was earned before the draw, topped up
    (``draw``), recovered and the balance carried on; empty without a draw in the plan."""
    columns = ["period", "rep_id", "rep", "earned", "draw", "draw_recovered", "draw_balance"]
    if plan.draw is None:
        return pd.DataFrame(columns=columns)
    rows = []
    for q, out in _draw_runs(con, plan, _period(plan, period), scope, {}, through=True):
        out = payouts_from(out)
        out = out[(out["draw"] > 0) | (out["draw_recovered"] > 0) | (out["draw_balance"] > 0)]
        rows.append(pd.DataFrame({"period": q.label, "rep_id": out["rep_id"], "rep": out["rep"],
                                  "earned": out["total"] - out["draw"] + out["draw_recovered"],
                                  "draw": out["draw"], "draw_recovered": out["draw_recovered"],
                                  "draw_balance": out["draw_balance"]}))
    frames = [f for f in rows if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def _compute(con: Con, plan: Plan, period: Period | str, scope: Scope,
             quota: tuple[str, float] | None = None, memo: dict | None = None,
             carry_in: dict[str, tuple[float, str]] | None = None,
             adjust: pd.DataFrame | None = None,
             quota_scale: tuple[tuple[str, float], ...] = (),
             draw_in: dict[str, float] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-rep frame before rounding, every line of the reps in scope); ``quota`` =
    (rep_id, value) replaces that rep's quota for the period (a what-if; nothing is stored).
    ``memo``: a dict shared by several runs over the same data (sensitivity, budget solver).
    ``carry_in``: the balances carried into the period (what a closed previous period's
    statements carried forward, else computed from earlier periods when None). ``adjust``:
    the adjustment lines paid in this one (when None: closing.adjustments for closed periods and
    disputes.lines for answered disputes).
    ``quota_scale``: (team, factor) pairs: that team's quotas times the factor (a what-if on
    quota; '' = reps without a team). ``draw_in``: the recoverable draw balances carried into
    the period (computed from earlier periods when None)."""
    p = _period(plan, period)
    base: dict[str, Any] = {"scenario": metrics.active_scenario(con), "start": p.start,
                            "end": p.end, "pstart": p.start, "months": p.months,
                            "team": scope.team, "rep": scope.rep_id,
                            "qo_rep": quota[0] if quota else None,
                            "qo_value": float(quota[1]) if quota else None,
                            "qs_teams": [t for t, _ in quota_scale],
                            "qs_factors": [float(f) for _, f in quota_scale],
                            "plan_key": _plan_key(con, plan, memo)}
    params = dict(base)
    deal_lines = _run_memo(con, lsql.lines_sql(plan, params), params, memo)
    claws = _claws(con, plan, base, p.start, p.end, memo)
    if len(claws):
        deal_lines = pd.concat([deal_lines, _claw_lines(claws)], ignore_index=True)
    if adjust is None:
        if memo is not None and ("adjust", p) in memo:
            adjust = memo[("adjust", p)]
        else:
            adjust = closing.adjustments(con, plan.period, p, partial(_closed_run, con))
            answered = disputes.lines(con, p, plan.name)   # the manager's answers paid in this period
            if len(answered):
                adjust = pd.concat([adjust, answered], ignore_index=True) if len(adjust) else answered
            if memo is not None:
                memo[("adjust", p)] = adjust
    if len(adjust):
        deal_lines = pd.concat([deal_lines, adjust[deal_lines.columns]], ignore_index=True)
    params = dict(base)
    reps = _run_memo(con, lsql.reps_sql(plan, params), params, memo)
    if carry_in is None:
        carry_in = closing.carry_from_closed(con, plan, p)
    if carry_in is None:
        carry_in = _carry_in(con, plan, p, scope, base, memo)
    # a deal line (or a balance) whose rep is missing from reps still gets a row (name = id)
    if scope.team is None and scope.rep_id is None:
        orphans = sorted((set(deal_lines["rep_id"].dropna().unique()) | set(carry_in)) - set(reps["rep_id"]))
        if orphans:
            reps = pd.concat([reps, pd.DataFrame({"rep_id": orphans, "rep": orphans, "team": "",
                                                  "active": True, "revenue_won": 0.0,
                                                  "margin_won": 0.0})], ignore_index=True)
    deal_lines = deal_lines.merge(reps[["rep_id"]], on="rep_id")  # inner: keeps the line order
    rep_lines = []
    if plan.override and "team_revenue" in reps:
        # a manager's quota and revenue won add those of the reps they manage (section 10)
        managers = reps["team_reps"].fillna(0) > 0
        reps.loc[managers, "quota"] = (reps.loc[managers, "quota"].astype("float64").fillna(0.0)
                                       + reps.loc[managers, "team_quota"].astype("float64").fillna(0.0))
        reps.loc[managers, "revenue_won"] = reps.loc[managers, "revenue_won"] + reps.loc[managers, "team_revenue"]
        led = reps[managers]
        if len(led):
            rep_lines.append(pd.DataFrame({
                "rep_id": led["rep_id"], "component": "override", "deal_id": None, "day": pd.Timestamp(p.end),
                "basis": led["team_revenue"], "rate": plan.override.rate, "multiplier": None,
                "amount": led["team_revenue"] * plan.override.rate,
                "detail": [f"team:{int(n)}" for n in led["team_reps"]]}))
    reps["quota"] = reps["quota"].astype("float64").where(reps["quota"] > 0)
    reps["attainment"] = reps["revenue_won"] / reps["quota"]
    att = reps["attainment"]
    has_quota = att.notna()
    # base bonus: pct x salary x months x min(attainment, cap), from the gate; prorated by the
    # share of the period's working days the rep was employed (hire_date .. leave_date) and
    # assigned to the plan (section 10)
    if plan.base_bonus:
        bb = plan.base_bonus
        mult = att.clip(upper=bb.cap) if bb.cap is not None else att
        earned = has_quota & (att >= bb.gate - EPS)
        days = assignments.assigned_days(con, base["plan_key"], reps, p.start, p.end)
        total_days = working_days(p.start, p.end)
        basis = reps["base_salary"].fillna(0.0) * p.n_months * days / total_days
        rep_lines.append(pd.DataFrame({
            "rep_id": reps["rep_id"], "component": "base_bonus", "deal_id": None, "day": pd.Timestamp(p.end),
            "basis": basis, "rate": bb.pct_of_salary, "multiplier": mult.where(earned, 0.0),
            "amount": (basis * bb.pct_of_salary * mult).where(earned, 0.0),
            "detail": [f"prorated:{int(d)}:{total_days}" if d < total_days else None for d in days]})[has_quota])
    # decelerator: every commission line x (1 - multiplier) when attainment ends below
    if plan.decelerator and not deal_lines.empty:
        dc = plan.decelerator
        below = reps.loc[_decel(plan, att) < 1.0, ["rep_id"]]
        comm = deal_lines[deal_lines["component"] == "commission"].merge(below, on="rep_id")
        if len(comm):
            rep_lines.append(pd.DataFrame({
                "rep_id": comm["rep_id"], "component": "decelerator_cut", "deal_id": comm["deal_id"],
                "day": comm["day"], "basis": comm["amount"], "rate": 1.0 - dc.multiplier,
                "multiplier": dc.multiplier, "amount": -comm["amount"] * (1.0 - dc.multiplier),
                "detail": comm["detail"]}))
    # balances carried in from earlier periods: recovered from this period's earnings
    owed = {r: v for r, v in carry_in.items() if r in set(reps["rep_id"])}
    if owed:
        rep_lines.append(pd.DataFrame({
            "rep_id": list(owed), "component": "carried_balance", "deal_id": None,
            "day": pd.Timestamp(p.start), "basis": [v[0] for v in owed.values()], "rate": None,
            "multiplier": None, "amount": [-v[0] for v in owed.values()],
            "detail": [v[1] for v in owed.values()]}))
    frames = [f for f in [deal_lines, *rep_lines] if len(f)]
    lines = pd.concat(frames, ignore_index=True) if frames else deal_lines
    lines["rep_id"] = lines["rep_id"].astype("str")
    # one row per rep: reps active, or with a quota or a line in the period
    sums = (lines.groupby(["rep_id", "component"])["amount"].sum().unstack("component")
            if len(lines) else pd.DataFrame(index=pd.Index([], name="rep_id")))
    out = reps.merge(sums, left_on="rep_id", right_index=True, how="left")
    for comp in _SUMMED:
        if comp not in out:
            out[comp] = 0.0
        out[comp] = out[comp].astype("float64").fillna(0.0)
    keep = (out["active"].fillna(True).astype(bool) | out["quota"].notna()
            | out["rep_id"].isin(lines["rep_id"].unique()))
    out = out[keep].copy()
    for comp in ("decelerator_cut", "clawback", "carried_balance"):
        out[comp] = 0.0 - out[comp]  # reported as positive amounts (0.0 - x: no -0.0)
    out["total"] = (out["base_bonus"] + out["commission"] + out["accelerator_extra"] + out["spiffs"]
                    + out["override"] - out["decelerator_cut"] - out["clawback"] - out["carried_balance"]
                    + out["adjustment"])
    # below zero: pays 0; the shortfall is carried into the next period (unless carry_negative false)
    short = out["total"] < -EPS
    out["carried_forward"] = (0.0 - out["total"]).where(short, 0.0) if plan.carry_negative else 0.0
    extra = []
    if short.any():
        neg = out[short]
        where = p.next().label if plan.carry_negative else "not_carried"
        extra.append(pd.DataFrame({
            "rep_id": neg["rep_id"], "component": "shortfall", "deal_id": None, "day": pd.Timestamp(p.end),
            "basis": neg["total"], "rate": None, "multiplier": None, "amount": 0.0 - neg["total"],
            "detail": where}))
        out.loc[short, "total"] = 0.0
    if plan.payout_cap is not None:
        over = out["total"] > plan.payout_cap
        if over.any():
            capped = out[over]
            extra.append(pd.DataFrame({
                "rep_id": capped["rep_id"], "component": "payout_cap", "deal_id": None,
                "day": pd.Timestamp(p.end), "basis": capped["total"], "rate": None,
                "multiplier": None, "amount": plan.payout_cap - capped["total"],
                "detail": None}))
            out.loc[over, "total"] = plan.payout_cap
    draws.apply_draw(plan, p, out, extra, draw_in,
                     lambda: _draw_chain(con, plan, p, scope, memo))
    if extra:
        lines = pd.concat([lines, *extra], ignore_index=True)
    out["non_cash"] = [
        [n.reward for n in plan.non_cash if not math.isnan(a) and a >= n.min_attainment - EPS]
        for a in out["attainment"].astype("float64")]
    flags = pd.Series("", index=out.index)
    flags = flags.where(out["quota"].notna(), "no_quota")
    for flag, ids in (("capped", lines.loc[lines["component"] == "payout_cap", "rep_id"]),
                      ("shortfall", lines.loc[lines["component"] == "shortfall", "rep_id"])):
        flags = flags.where(~out["rep_id"].isin(ids.unique()), (flags + "," + flag).str.lstrip(","))
    out["flag"] = flags
    return out, lines


def _closed_run(con: Con, plan: Plan, period: Period, adjust: pd.DataFrame,
                carry_in: dict[str, tuple[float, str]] | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What a closed period would pay now (closing.Run): every rep, rounded, and the lines."""
    out, lines = _compute(con, plan, period, Scope(), adjust=adjust, carry_in=carry_in)
    return payouts_from(out), lines


def close_period(con: Con, plan_id: str, version: int | None, period: Period | str, *,
                 today: date | None = None, user: str | None = None) -> closing.Closed:
    """Close ``period`` with the stored plan ``plan_id`` (its latest version unless ``version``):
    every rep's payouts row and lines as the engine computes them now are stored and locked
    (salescore.incentives.closing). Refused, with one sentence, while the period has not
    ended, when it is closed already, or when nobody is paid in it."""
    if version is None:
        version = int(sql.scalar(con, "select max(version) from plans where plan_id = $p",
                                 {"p": plan_id}) or 0)
    plan = load_plan(con, plan_id, version or None)
    p = _period(plan, period)
    closing.check_closable(con, p, today)
    out, lines = _compute(con, plan, p, Scope())
    return closing.store(con, plan_id, version, p, payouts_from(out), lines, user)


def payouts(con: Con, plan: Plan, period: Period | str, scope: Scope = Scope(),
            quota: tuple[str, float] | None = None,
            quota_scale: tuple[tuple[str, float], ...] = ()) -> pd.DataFrame:
    """One row per rep for ``period`` (its kind must be the plan's period).

    Columns: PAYOUT_COLUMNS = rep_id, rep, team, quota (NaN without one), revenue_won,
    margin_won (revenue x product margin), attainment (NaN without quota), base_bonus,
    commission, accelerator_extra, decelerator_cut, spiffs, clawback, carried_balance (the
    balance carried in from earlier periods and deducted here; cuts, clawbacks and balances as
    positive amounts), total (never below 0), carried_forward (what a total below zero leaves
    for the next period), non_cash (list of rewards), cost_of_sales = total / revenue_won,
    flag ('' or 'no_quota', 'capped', 'shortfall', comma-joined). Money rounded to cents; sorted by team,
    then total (highest first). ``quota`` = (rep_id, value): that rep's quota for the period
    is taken as ``value`` instead of the stored target (what-if; nothing is written);
    ``quota_scale`` = (team, factor) pairs scale each team's quotas (what-if on quota).
    """
    out, _ = _run(con, plan, period, scope, quota, tuple(quota_scale))
    return payouts_from(out)


def payouts_from(out: pd.DataFrame) -> pd.DataFrame:
    """Round the engine's per-rep frame to cents and order it (see :func:`payouts`)."""
    out = out.copy()
    for col in ("adjustment", "override", "draw", "draw_recovered", "draw_balance"):
        if col not in out:   # statements stored before these existed
            out[col] = 0.0
    for col in ("base_bonus", "commission", "accelerator_extra", "decelerator_cut", "spiffs", "override",
                "clawback", "carried_balance", "adjustment", "draw", "draw_recovered", "total",
                "carried_forward", "draw_balance"):
        out[col] = cents(out[col])
    out["cost_of_sales"] = out["total"] / out["revenue_won"].where(out["revenue_won"] > 0)
    out = out.sort_values(["team", "total", "rep_id"], ascending=[True, False, True])
    return out[PAYOUT_COLUMNS].reset_index(drop=True)


def explain(con: Con, plan: Plan, period: Period | str, rep_id: str) -> pd.DataFrame:
    """The lines behind one rep's total: columns component (COMPONENTS), deal_id, day, basis,
    rate, multiplier, amount (signed: cuts and clawbacks negative), detail.

    Amounts are unrounded; the last line (``rounding``) makes them add up to the total of
    :func:`payouts` to the cent. Ordered by component, then day and deal.
    """
    out, lines = _run(con, plan, period, Scope(rep_id=rep_id))
    total = float(payouts_from(out)["total"].iloc[0]) if len(out) else 0.0
    return _with_rounding(lines[lines["rep_id"] == rep_id].drop(columns="rep_id"), total)


def _with_rounding(mine: pd.DataFrame, total: float) -> pd.DataFrame:
    raw = math.fsum(mine["amount"].astype("float64"))
    rounding = pd.DataFrame({"component": ["rounding"], "deal_id": [None], "day": [None],
                             "basis": [raw], "rate": [None], "multiplier": [None],
                             "amount": [total - raw], "detail": [None]})
    mine = pd.concat([mine, rounding], ignore_index=True) if len(mine) else rounding
    order = {c: i for i, c in enumerate(COMPONENTS)}
    mine["_o"] = mine["component"].map(order)
    mine = mine.sort_values(["_o", "day", "deal_id"], na_position="last", kind="stable")
    return mine.drop(columns="_o").reset_index(drop=True)


def payouts_json(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The command line's list (DESIGN §6): per rep the §5 output names plus rep, plain numbers
    (NaN -> null), non_cash a list of rewards, flag null when empty."""
    out = []
    for record in frame[CLI_FIELDS].to_dict("records"):
        row: dict[str, Any] = {}
        for key, value in record.items():
            if key == "non_cash":
                row[key] = list(value)
            elif key == "flag":
                row[key] = value or None
            else:
                row[key] = metrics._clean(value)
        out.append(row)
    return out
