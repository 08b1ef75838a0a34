"""Retention: the goal-difficulty x reward quadrant (DESIGN §7, rule "keep top performers").

Every figure is per rep for one pay period ``P`` (a month, quarter or year: the kind of the
incentive plan) and follows these definitions, so a manager can check each dot by hand.

Goal difficulty
    ``difficulty = quota / baseline``.
    *quota* is the rep's revenue target for ``P`` in the active target scenario (the sum of the
    monthly targets, as ``incentives.payouts`` reports it).
    *baseline* is the rep's own trailing performance scaled to ``P``'s length:
    ``baseline = trailing_revenue / history_months x months(P)``, where the history window is
    the ``window`` (12) whole calendar months before ``P`` starts, ``trailing_revenue`` is
    revenue_won (DESIGN §4) closed in that window, and ``history_months`` is the number of
    whole window months the rep was there for (from the start month when they started on its
    1st, else from the next month; start = the earlier of hire_date and their first deal's
    created/close date) up to ``P``'s start (0..12); trailing_revenue counts those months
    only. With ``seasonal`` (default) the baseline is multiplied by the company's seasonal
    factor for ``P``: the company's revenue_won in ``P``'s months one year earlier per month,
    over its mean monthly revenue_won in the window (so a Q4 quota is compared with what Q4
    usually brings, not with an average quarter). The factor is 1 when the data does not reach
    back over the whole window or has no revenue in those months, and always 1 for a year.
    A rep with fewer than ``min_history`` (3) months in the window (``short_history``) or with
    no revenue at all in it (``no_past_revenue``) has no trustworthy past of their own: their
    baseline is the median monthly trailing revenue of the reps of their team who do have
    ``min_history`` months and revenue (the company's when the team has none), times
    months(P), and the row is flagged. When no rep has such a history, difficulty is NaN
    (``no_baseline``). A rep without a quota is not placed (``no_quota``).
    1.0 means "as hard as their own past"; 1.3 means "30 % more than they used to sell".

Reward
    ``reward = payout / target_pay``, where *payout* is the rep's ``total`` from
    ``incentives.payouts`` under the plan, and *target_pay* is what the **active** plan pays
    that rep at exactly 100 % attainment of the same quota:
    ``target_bonus x min(1, cap)`` (0 when the gate is above 100 %) with
    ``target_bonus = pct_of_salary x base_salary x months(P)``, plus
    ``quota x mix_rate`` (x the decelerator multiplier when it cuts at 100 %, plus the
    accelerator extra, at the mix rate, of any band that starts below 100 %). ``mix_rate`` is
    the commission the plan pays per yuan of revenue at the rep's own product-margin mix: the
    tier rate of each of their won deals in the 12 months ending with ``P`` (x the product's
    margin_rate under basis ``margin``; under ``collected`` every yuan is assumed collected),
    weighted by amount. A rep with no won deal in those months takes their team's pooled mix
    (``team_mix``), else the company's, else the plan's default rate. SPIFFs and non-cash rewards are upside, not
    target pay. 1.0 means "paid exactly on target pay".
    In a plan what-if the yardstick stays the active plan's target pay, so a richer plan moves
    reps up and a leaner one moves them down. In a quota what-if the rep's payout comes from
    the engine itself, run on a private copy of their rows (:func:`payout_with_quota`).

Quadrants (lines are parameters: 1.0 each by default, or ``"median"`` = the median of the
placed reps; a value exactly on a line counts as high)
    fair (high goal, high reward: keep it so), loyalty (low goal, high reward: loyalty /
    long-service rewards), avoid (low goal, low reward: avoid for top talent), exploited (high
    goal, low reward: flight risk).

Top performers
    The top ``top_share`` (a quarter) of reps with revenue by revenue_won over the 12 months
    ending with ``P``: the first ceil(top_share x n) reps, ties at the cut included.

Risk score (the at-risk list, highest first)
    ``hard = max(0, difficulty / difficulty_line - 1)``, ``underpaid = max(0, 1 - reward /
    reward_line)``; distance = ``hard + underpaid`` in the exploited quadrant, ``underpaid`` for
    a top performer in the avoid quadrant, else 0; ``risk_score = distance x top_weight`` (2)
    for a top performer, ``x 1`` otherwise. Reps with a score above 0 are at risk.

Suggested action (i18n key ``retention.action.<code>``)
    exploited: ``adjust_quota`` when hard >= underpaid (the quota is the bigger gap), else
    ``raise_accelerator``; avoid: ``growth_path`` for a top performer, else ``training``;
    loyalty: ``growth_path`` (let the goal grow with them); fair: ``recognition``.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from salescore import incentives, metrics, sql
from salescore.errors import SalesCoreError
from salescore.incentives import Plan
from salescore.periods import Period, containing, default_pay_period, month_start, recent
from salescore.scope import Scope

Con = duckdb.DuckDBPyConnection

QUADRANTS = ("fair", "loyalty", "avoid", "exploited")
ACTIONS = ("adjust_quota", "raise_accelerator", "growth_path", "training", "recognition")
MEDIAN = "median"
EPS = 1e-9

#: Columns of :func:`quadrant`.
COLUMNS = ["rep_id", "rep", "team", "quota", "revenue_won", "attainment", "total", "base_salary",
           "history_months", "trailing_revenue", "seasonal_factor", "baseline", "difficulty", "mix_rate", "target_pay",
           "reward", "recent_revenue", "top_performer", "quadrant", "hard", "underpaid",
           "risk_score", "action", "flag", "difficulty_line", "reward_line"]


def _error(message: str, key: str, **params: Any) -> SalesCoreError:
    return SalesCoreError(message, key=f"retention.error.{key}", **params)


# --- the active plan and the period ----------------------------------------------------------

@dataclass(frozen=True)
class ActivePlan:
    """The plan in force: id, version, name, effective_from, in_force (False when every stored
    plan starts after ``on``: the latest created one is used), and the Plan."""

    plan_id: str
    version: int
    name: str
    effective_from: date | None
    in_force: bool
    plan: Plan


def active_plan(con: Con, on: date | None = None, rep_id: str | None = None) -> ActivePlan | None:
    """The latest version of the most recently effective plan on ``on`` (default: the data's
    as-of date): among plans whose latest version has effective_from on or before ``on`` (or
    none), the one with the latest effective_from (undated count as oldest), then the latest
    created. When every plan starts later, the latest created one (in_force False). None when
    no plan is stored. With ``rep_id`` (section 10 assignments): the plan of the rep's latest
    assignment begun by ``on``; a rep never assigned chooses among the plans without
    assignments (a plan with some pays only its own reps)."""
    on = on or metrics.as_of(con) or date.max
    text = """
    with latest as (
        select *, row_number() over (partition by plan_id order by version desc) as rn from plans
    ),
    mine as (select plan_id from plan_assignments where rep_id = $rep and from_date <= $on
             order by from_date desc limit 1)
    select plan_id, version, name, spec, effective_from,
           effective_from is null or effective_from <= $on as in_force
    from latest where rn = 1
      and ($rep::VARCHAR is null
           or (exists (select 1 from mine) and plan_id in (select plan_id from mine))
           or (not exists (select 1 from mine) and plan_id not in (select plan_id from plan_assignments)))
    order by in_force desc,
             case when effective_from is null or effective_from <= $on
                  then coalesce(effective_from, date '0001-01-01') end desc nulls last,
             created_at desc, plan_id
    limit 1
    """
    frame = sql.run(con, text, {"on": on, "rep": rep_id})
    if frame.empty:
        return None
    row = frame.iloc[0]
    spec = row["spec"]
    plan = Plan.from_dict(json.loads(spec) if isinstance(spec, str) else spec)
    eff = row["effective_from"]
    return ActivePlan(str(row["plan_id"]), int(row["version"]), str(row["name"]),
                      None if pd.isna(eff) else pd.Timestamp(eff).date(), bool(row["in_force"]), plan)


def default_period(as_of: date, chosen: Period | None, kind: str) -> Period:
    """The pay period the page opens on for the sidebar's ``chosen`` period
    (periods.default_pay_period, as Incentives: reward is pay over a whole period, so a
    running pay period is never the default)."""
    return default_pay_period(chosen, as_of, kind)


def period_options(as_of: date, kind: str, count: int = 8) -> list[Period]:
    """The ``count`` latest periods of ``kind`` up to the one containing ``as_of``, newest first."""
    return recent(as_of, kind, count)


# --- inputs: trailing history, margin mix -------------------------------------------------------

_HISTORY_SQL = f"""
with r as (
    select rep_id, name as rep, coalesce(team, '') as team, base_salary::FLOAT8 as base_salary,
           hire_date
    from reps
    where {sql.in_scope(team="team", rep="rep_id")}
),
firsts as (
    select rep_id, min(coalesce(created_date, close_date)) as first_day from deals group by 1
),
s as (         -- history counts whole months: from the first month the rep had from its 1st day
    select r.*, least(r.hire_date, f.first_day) as started,
           greatest($wstart, case when least(r.hire_date, f.first_day) = date_trunc('month', least(r.hire_date, f.first_day))
                                  then least(r.hire_date, f.first_day)
                                  else date_trunc('month', least(r.hire_date, f.first_day)) + interval '1 month'
                             end)::DATE as history_from
    from r left join firsts f using (rep_id)
),
past as (
    select d.rep_id, sum(d.amount)::FLOAT8 as revenue from deals d join s using (rep_id)
    where d.status = 'won' and d.close_date >= s.history_from and d.close_date < $pstart group by 1
),
lately as (
    select rep_id, sum(amount)::FLOAT8 as revenue from deals
    where status = 'won' and close_date >= $rstart and close_date <= $end group by 1
)
select s.rep_id, s.rep, s.team, s.base_salary, s.started,
       case when s.started is null then 0
            else greatest(coalesce(date_diff('month', s.history_from, $pstart), 0), 0) end as history_months,
       coalesce(p.revenue, 0) as trailing_revenue, coalesce(l.revenue, 0) as recent_revenue
from s left join past p using (rep_id) left join lately l using (rep_id)
order by s.rep_id
"""


def history(con: Con, period: Period, scope: Scope = Scope(), window: int = 12) -> pd.DataFrame:
    """Per rep in scope: rep_id, rep, team, base_salary, started (earlier of hire_date and first
    deal), history_months (whole months of the ``window`` months before ``period`` the rep was
    there for, 0..window), trailing_revenue (revenue_won in those months), recent_revenue
    (revenue_won in the ``window`` months ending with ``period``)."""
    params = {"team": scope.team, "rep": scope.rep_id, "pstart": period.start, "end": period.end,
              "wstart": month_start(period.start, window),
              "rstart": month_start(period.end, window - 1)}
    frame = sql.run(con, _HISTORY_SQL, params)
    frame["history_months"] = frame["history_months"].astype("int64")
    for col in ("trailing_revenue", "recent_revenue", "base_salary"):
        frame[col] = frame[col].astype("float64")
    return frame[["rep_id", "rep", "team", "base_salary", "started", "history_months",
                  "trailing_revenue", "recent_revenue"]]


def seasonal_factor(con: Con, period: Period, window: int = 12) -> float:
    """The company's revenue_won per month in ``period``'s months one year earlier over its
    mean monthly revenue_won in the ``window`` months before ``period`` (all reps, whatever
    the scope: seasonality is the market's). 1.0 when the data does not cover the whole window
    or either figure is 0."""
    last_year = month_start(period.start, 12)
    params = {"wstart": month_start(period.start, window), "pstart": period.start,
              "lstart": last_year, "lend": containing(month_start(period.end, 12), "month").end}
    in_window, same, first = sql.rows(con, """
    select sum(amount) filter (where status = 'won' and close_date >= $wstart
                               and close_date < $pstart)::FLOAT8,
           sum(amount) filter (where status = 'won' and close_date between $lstart and $lend)::FLOAT8,
           min(coalesce(created_date, close_date))
    from deals
    """, params)[0]
    if not in_window or not same or first is None or first > params["wstart"]:
        return 1.0
    return (same / period.n_months) / (in_window / window)


def tier_rate(plan: Plan, margin: pd.Series) -> pd.Series:
    """The commission rate of each deal by its product margin (DESIGN §5: the tier with the
    largest min_margin <= margin_rate, else default_rate; a missing margin pays default)."""
    comm = plan.commission
    rate = pd.Series(comm.default_rate if comm else 0.0, index=margin.index, dtype="float64")
    m = margin.astype("float64")
    for tier in (comm.tiers if comm else ()):   # ascending: a higher tier overwrites a lower one
        rate = rate.mask(m >= tier.min_margin - 1e-12, tier.rate)
    return rate


_MIX_SQL = f"""
select d.rep_id, coalesce(r.team, '') as team, p.margin_rate::FLOAT8 as margin,
       sum(d.amount)::FLOAT8 as amount
from deals d left join products p on p.product_id = d.product_id
left join reps r on r.rep_id = d.rep_id
where d.status = 'won' and d.amount is not null and d.close_date between $rstart and $end
  and {sql.in_scope()}
group by 1, 2, 3
"""


def mix_rates(con: Con, plan: Plan, period: Period, scope: Scope = Scope(),
              window: int = 12) -> pd.DataFrame:
    """Commission per yuan of revenue at each rep's margin mix (see module doc): columns
    rep_id, team, mix_rate (only reps with won deals in the ``window`` months ending with
    ``period``), plus team pools as rows with rep_id NaN, and the company pool with team NaN."""
    frame = sql.run(con, _MIX_SQL, {"team": scope.team, "rep": scope.rep_id, "end": period.end,
                                 "rstart": month_start(period.end, window - 1)})
    basis = plan.commission.basis if plan.commission else "revenue"
    factor = frame["margin"].fillna(0.0) if basis == "margin" else 1.0
    frame["paid"] = frame["amount"] * tier_rate(plan, frame["margin"]) * factor
    reps = frame.groupby(["rep_id", "team"], as_index=False)[["paid", "amount"]].sum()
    teams = frame.groupby("team", as_index=False)[["paid", "amount"]].sum().assign(rep_id=np.nan)
    company = pd.DataFrame({"rep_id": [np.nan], "team": [np.nan], "paid": [frame["paid"].sum()],
                            "amount": [frame["amount"].sum()]})
    out = pd.concat([reps, teams, company], ignore_index=True)
    out = out[out["amount"] > 0]
    out["mix_rate"] = out["paid"] / out["amount"]
    return out[["rep_id", "team", "mix_rate"]].reset_index(drop=True)


def target_pay(plan: Plan, months: int, base_salary: pd.Series, quota: pd.Series,
               mix_rate: pd.Series) -> pd.Series:
    """What ``plan`` pays at exactly 100 % attainment (see module doc): target bonus x min(1,
    cap) (0 when the gate is above 100 %) + quota x mix_rate, with the decelerator's cut when
    it applies at 100 % and the accelerator extra of bands starting below 100 %."""
    bonus = pd.Series(0.0, index=quota.index)
    bb = plan.base_bonus
    if bb and bb.gate <= 1.0 + EPS:
        share = min(1.0, bb.cap) if bb.cap is not None else 1.0
        bonus = bb.pct_of_salary * base_salary.fillna(0.0).astype("float64") * months * share
    commission = pd.Series(0.0, index=quota.index)
    if plan.commission:
        base = quota.astype("float64") * mix_rate.astype("float64")
        factor = 1.0
        if plan.decelerator and 1.0 < plan.decelerator.below_attainment - EPS:
            factor = plan.decelerator.multiplier
        extra, best = 0.0, 1.0       # bands below 100 %: running-max multiplier (as the engine)
        accs = list(plan.accelerators)
        for i, acc in enumerate(accs):
            best = max(best, acc.multiplier)
            upper = min(1.0, accs[i + 1].above_attainment if i + 1 < len(accs) else 1.0)
            if acc.above_attainment < upper:
                extra += (upper - acc.above_attainment) * (best - 1.0)
        commission = base * factor + base * extra
    return (bonus + commission).astype("float64")


# --- placement -----------------------------------------------------------------------------

def _line(value: float | str, series: pd.Series) -> float:
    if value == MEDIAN:
        placed = series.dropna()
        return float(placed.median()) if len(placed) else 1.0
    return float(value)


def top_performers(revenue: pd.Series, share: float = 0.25) -> pd.Series:
    """True for the first ceil(share x n) of the n reps with revenue > 0 (ties at the cut in)."""
    selling = revenue[revenue > 0]
    if selling.empty or share <= 0:
        return pd.Series(False, index=revenue.index)
    k = max(1, math.ceil(min(share, 1.0) * len(selling) - EPS))
    cut = selling.sort_values(ascending=False).iloc[k - 1]
    return (revenue > 0) & (revenue >= cut)


def quadrant_of(difficulty: pd.Series, reward: pd.Series, difficulty_line: float,
                reward_line: float) -> pd.Series:
    """fair / loyalty / avoid / exploited per rep (NaN where difficulty or reward is missing);
    a value exactly on a line counts as high."""
    high_goal = difficulty >= difficulty_line - EPS
    high_pay = reward >= reward_line - EPS
    out = np.select([high_goal & high_pay, ~high_goal & high_pay, ~high_goal & ~high_pay],
                    ["fair", "loyalty", "avoid"], "exploited")
    out = pd.Series(out, index=difficulty.index, dtype="object")
    return out.where(difficulty.notna() & reward.notna())


def place(frame: pd.DataFrame, difficulty_line: float | str = 1.0, reward_line: float | str = 1.0,
          top_share: float = 0.25, top_weight: float = 2.0, top: pd.Series | None = None) -> pd.DataFrame:
    """Add top_performer, quadrant, hard, underpaid, risk_score, action, difficulty_line and
    reward_line to a frame with difficulty, reward and recent_revenue (module doc). ``top``
    overrides the top-performer flags (the what-if keeps the old ones)."""
    out = frame.copy()
    d_line = _line(difficulty_line, out["difficulty"].where(out["reward"].notna()))
    r_line = _line(reward_line, out["reward"].where(out["difficulty"].notna()))
    if d_line <= 0 or r_line <= 0:
        raise _error("The quadrant lines must be above 0.", "lines")
    out["top_performer"] = (top_performers(out["recent_revenue"], top_share) if top is None
                            else top.reindex(out.index).fillna(False)).astype(bool)
    out["quadrant"] = quadrant_of(out["difficulty"], out["reward"], d_line, r_line)
    out["hard"] = (out["difficulty"] / d_line - 1).clip(lower=0)
    out["underpaid"] = (1 - out["reward"] / r_line).clip(lower=0)
    exploited = out["quadrant"] == "exploited"
    avoid_top = (out["quadrant"] == "avoid") & out["top_performer"]
    distance = np.where(exploited, out["hard"] + out["underpaid"],
                        np.where(avoid_top, out["underpaid"], 0.0))
    weight = np.where(out["top_performer"], top_weight, 1.0)
    out["risk_score"] = pd.Series(distance * weight, index=out.index).fillna(0.0)
    action = np.select(
        [exploited & (out["hard"] >= out["underpaid"]), exploited,
         avoid_top, out["quadrant"] == "avoid", out["quadrant"] == "loyalty", out["quadrant"] == "fair"],
        ["adjust_quota", "raise_accelerator", "growth_path", "training", "growth_path", "recognition"],
        "")
    out["action"] = pd.Series(action, index=out.index, dtype="object").where(out["quadrant"].notna())
    out["difficulty_line"] = d_line
    out["reward_line"] = r_line
    return out


def _flags(*parts: pd.Series) -> pd.Series:
    """Comma-join the non-empty codes of each row (vectorised: one string op per part)."""
    index = parts[0].index
    joined = pd.Series("", index=index, dtype="object")
    for part in parts:
        code = pd.Series(part, index=index).fillna("").astype("object")
        joined = joined + np.where((joined != "") & (code != ""), ",", "") + code
    return joined.astype("object")


def _baseline(frame: pd.DataFrame, months: int, min_history: int) -> pd.DataFrame:
    """baseline and its flags from history (module doc: own past, else the team median)."""
    own = frame["history_months"] >= min_history
    selling = frame["trailing_revenue"] > 0
    monthly = (frame["trailing_revenue"] / frame["history_months"].where(own)).where(selling)
    teams = monthly.groupby(frame["team"]).median()
    company = monthly.median()
    fallback = frame["team"].map(teams).fillna(company)
    out = frame.copy()
    out["baseline"] = monthly.fillna(fallback) * months
    flag_short = pd.Series(np.where(~own, "short_history", ""), index=frame.index)
    flag_zero = pd.Series(np.where(own & ~selling, "no_past_revenue", ""), index=frame.index)
    flag_none = pd.Series(np.where(out["baseline"].isna(), "no_baseline", ""), index=frame.index)
    out["_hist_flag"] = _flags(flag_short, flag_zero, flag_none)
    return out


def _frame(con: Con, plan: Plan, period: Period, scope: Scope, min_history: int,
           window: int, seasonal: bool = True) -> pd.DataFrame:
    """Every input of the quadrant per rep (payout rows joined with history and mix)."""
    pay = incentives.payouts(con, plan, period, scope)
    hist = history(con, period, scope, window)
    frame = pay.merge(hist.drop(columns=["rep", "team"]), on="rep_id", how="left")
    for col in ("history_months", "trailing_revenue", "recent_revenue"):
        frame[col] = frame[col].fillna(0)
    frame = _baseline(frame, period.n_months, min_history)
    frame["seasonal_factor"] = seasonal_factor(con, period, window) if seasonal else 1.0
    frame["baseline"] = frame["baseline"] * frame["seasonal_factor"]
    mix = mix_rates(con, plan, period, scope, window)
    own = mix.dropna(subset=["rep_id"]).set_index("rep_id")["mix_rate"]
    team = mix[mix["rep_id"].isna() & mix["team"].notna()].set_index("team")["mix_rate"]
    company = mix[mix["rep_id"].isna() & mix["team"].isna()]["mix_rate"]
    fallback = float(company.iloc[0]) if len(company) else (
        plan.commission.default_rate if plan.commission else 0.0)
    frame["mix_rate"] = frame["rep_id"].map(own)
    frame["_mix_flag"] = np.where(frame["mix_rate"].isna(), "team_mix", "")
    frame["mix_rate"] = frame["mix_rate"].fillna(frame["team"].map(team)).fillna(fallback)
    return frame


def _derive(frame: pd.DataFrame, active: Plan, months: int) -> pd.DataFrame:
    """difficulty, target_pay, reward and flag from quota, baseline, total and mix_rate."""
    out = frame.copy()
    quota = out["quota"].where(out["quota"] > 0)
    out["difficulty"] = quota / out["baseline"].where(out["baseline"] > 0)
    out["target_pay"] = target_pay(active, months, out["base_salary"], quota.fillna(0.0), out["mix_rate"])
    out["reward"] = (out["total"] / out["target_pay"].where(out["target_pay"] > 0)).where(quota.notna())
    no_quota = pd.Series(np.where(quota.isna(), "no_quota", ""), index=out.index)
    no_pay = pd.Series(np.where(quota.notna() & ~(out["target_pay"] > 0), "no_target_pay", ""),
                       index=out.index)
    if "_hist_flag" in out:   # a quadrant() frame passed back in keeps its flags
        out["flag"] = _flags(no_quota, out["_hist_flag"], pd.Series(out["_mix_flag"], index=out.index), no_pay)
    return out


def quadrant(con: Con, plan: Plan, period: Period, scope: Scope = Scope(), *,
             difficulty_line: float | str = 1.0, reward_line: float | str = 1.0,
             top_share: float = 0.25, top_weight: float = 2.0, min_history: int = 3,
             window: int = 12, seasonal: bool = True) -> pd.DataFrame:
    """Every rep of the plan's payout table placed in the quadrant for ``period`` (a period of
    the plan's kind). Columns COLUMNS: the payout figures (quota, revenue_won, attainment,
    total), base_salary, history_months, trailing_revenue, baseline, difficulty, mix_rate,
    target_pay, reward, recent_revenue, top_performer, quadrant (NaN = not placed), hard,
    underpaid, risk_score, action, flag (comma-joined: no_quota, short_history,
    no_past_revenue, no_baseline, team_mix, no_target_pay) and the two lines used. Sorted by
    risk_score (highest first), then rep."""
    frame = _derive(_frame(con, plan, period, scope, min_history, window, seasonal), plan, period.n_months)
    out = place(frame, difficulty_line, reward_line, top_share, top_weight)
    out = out.sort_values(["risk_score", "rep_id"], ascending=[False, True])
    return out[COLUMNS].reset_index(drop=True)


def placed(frame: pd.DataFrame) -> pd.DataFrame:
    """The reps of :func:`quadrant` that are on the chart (quadrant not NaN)."""
    return frame[frame["quadrant"].notna()].reset_index(drop=True)


def at_risk(frame: pd.DataFrame) -> pd.DataFrame:
    """The reps of :func:`quadrant` with risk_score > 0, highest first (ties by rep_id):
    rep_id, rep, team, top_performer, quadrant, difficulty, reward, attainment, total,
    target_pay, risk_score, action."""
    cols = ["rep_id", "rep", "team", "top_performer", "quadrant", "difficulty", "reward",
            "attainment", "total", "target_pay", "risk_score", "action"]
    risky = frame[frame["risk_score"] > 0]
    return risky.sort_values(["risk_score", "rep_id"], ascending=[False, True])[cols].reset_index(drop=True)


def climate(frame: pd.DataFrame) -> dict[str, int]:
    """Team climate counts: reps, placed, one count per quadrant, top (top performers placed),
    top_exploited, at_risk."""
    placed = frame[frame["quadrant"].notna()]
    out = {"reps": int(len(frame)), "placed": int(len(placed))}
    for q in QUADRANTS:
        out[q] = int((placed["quadrant"] == q).sum())
    out["top"] = int(placed["top_performer"].sum())
    out["top_exploited"] = int(((placed["quadrant"] == "exploited") & placed["top_performer"]).sum())
    out["at_risk"] = int((frame["risk_score"] > 0).sum())
    return out


# --- what-if -------------------------------------------------------------------------------

def payout_with_quota(con: Con, plan: Plan, period: Period, rep_id: str, quota: float) -> pd.DataFrame:
    """One rep's ``incentives.payouts`` row as if their quota for ``period`` were ``quota``
    (the engine's what-if quota: nothing is written)."""
    return incentives.payouts(con, plan, period, Scope(rep_id=rep_id), quota=(rep_id, quota))


WHAT_IF_COLUMNS = ["rep_id", "rep", "team", "top_performer", "quota_old", "quota_new",
                   "total_old", "total_new", "target_pay_old", "target_pay_new",
                   "difficulty_old", "difficulty_new", "reward_old", "reward_new",
                   "quadrant_old", "quadrant_new", "moved", "difficulty_line", "reward_line"]


def what_if(con: Con, plan: Plan, period: Period, scope: Scope = Scope(), *,
            other: Plan | None = None, rep_id: str | None = None, quota: float | None = None,
            base: pd.DataFrame | None = None,
            difficulty_line: float | str = 1.0, reward_line: float | str = 1.0,
            top_share: float = 0.25, top_weight: float = 2.0, min_history: int = 3,
            window: int = 12, seasonal: bool = True) -> pd.DataFrame:
    """Where reps move when pay follows ``other`` instead of the active ``plan`` and/or
    ``rep_id``'s quota for ``period`` becomes ``quota``.

    ``base`` is the :func:`quadrant` frame of the same plan, period, scope and settings when
    the caller has it (it is not computed again). Baselines, mixes, top performers and the
    quadrant lines stay those of the active picture
    (so a move is the change itself); target pay stays the active plan's at the (new) quota.
    Columns WHAT_IF_COLUMNS (old = the active picture); moved is True when the quadrant
    changed. Raises SalesCoreError for an unknown rep, a quota that is not above 0, or a plan
    that pays per another kind of period."""
    if other is not None and other.period != plan.period:
        raise _error(f"{other.name} pays per {other.period}, the active plan per {plan.period}: "
                     "compare plans of the same pay period.", "plan_period",
                     plan=other.name, kind=other.period, active=plan.period)
    if base is None:
        base = _derive(_frame(con, plan, period, scope, min_history, window, seasonal), plan, period.n_months)
    old = place(base, difficulty_line, reward_line, top_share, top_weight)
    new = base.copy()
    if other is not None:
        totals = incentives.payouts(con, other, period, scope).set_index("rep_id")["total"]
        new["total"] = new["rep_id"].map(totals).fillna(0.0)
    if rep_id is not None:
        if rep_id not in set(new["rep_id"]):
            raise _error(f"{rep_id} is not among the reps shown.", "unknown_rep", rep=rep_id)
        if quota is None or not math.isfinite(float(quota)) or float(quota) <= 0:
            raise _error("The new quota must be a number above 0.", "quota", value=str(quota))
        row = payout_with_quota(con, other or plan, period, rep_id, float(quota))
        mask = new["rep_id"] == rep_id
        new.loc[mask, "quota"] = float(quota)
        new.loc[mask, "total"] = float(row["total"].iloc[0]) if len(row) else 0.0
    new = _derive(new, plan, period.n_months)
    moved = place(new, old["difficulty_line"].iloc[0] if len(old) else 1.0,
                  old["reward_line"].iloc[0] if len(old) else 1.0, top_share, top_weight,
                  top=old["top_performer"])
    keys = ["rep_id", "rep", "team"]
    left = old[keys + ["top_performer", "quota", "total", "target_pay", "difficulty", "reward", "quadrant",
                       "difficulty_line", "reward_line"]]
    right = moved[["rep_id", "quota", "total", "target_pay", "difficulty", "reward", "quadrant"]]
    out = left.merge(right, on="rep_id", suffixes=("_old", "_new"))
    out["moved"] = (out["quadrant_old"].fillna("") != out["quadrant_new"].fillna(""))
    return out.sort_values(["moved", "rep_id"], ascending=[False, True])[WHAT_IF_COLUMNS].reset_index(drop=True)


def moves_to_draw(moves: pd.DataFrame, rep_id: str | None = None) -> pd.DataFrame:
    """The rows of :func:`what_if` to draw as arrows: reps placed before and after that moved
    quadrant, plus ``rep_id`` (whose quota changed) even when they stay."""
    keep = moves["moved"] | (moves["rep_id"] == rep_id) if rep_id else moves["moved"]
    both = moves["quadrant_old"].notna() & moves["quadrant_new"].notna()
    return moves[keep & both].reset_index(drop=True)


# --- growth --------------------------------------------------------------------------------

def training_history(con: Con, scope: Scope = Scope(), until: date | None = None) -> pd.DataFrame:
    """Per rep with trainings (started on or before ``until``): rep_id, courses (distinct),
    hours (sum), last_date (latest start_date), topics (list of distinct topics, sorted)."""
    frame = sql.run(con, f"""
    select t.rep_id, count(distinct t.course) as courses, sum(t.hours)::FLOAT8 as hours,
           max(t.start_date) as last_date,
           coalesce(array_agg(distinct t.topic order by t.topic) filter (where t.topic is not null),
                    array[]::VARCHAR[]) as topics
    from trainings t left join reps r on r.rep_id = t.rep_id
    where {sql.in_scope(rep="t.rep_id")}
      and ($until::DATE is null or t.start_date <= $until)
    group by t.rep_id order by t.rep_id
    """, {"team": scope.team, "rep": scope.rep_id, "until": until})
    frame["courses"] = frame["courses"].astype("int64")
    frame["topics"] = [list(v) for v in frame["topics"]]
    return frame


def growth(con: Con, period: Period, scope: Scope = Scope(), min_attainment: float = 1.0,
           count: int = 2) -> pd.DataFrame:
    """Promotion-ready reps (``incentives.promotion_ready``: attainment >= ``min_attainment`` in
    each of the ``count`` periods ending with ``period``) with their training history up to
    the period's end: rep_id, rep, team, periods, min_attainment, mean_attainment, courses,
    hours, last_date, topics (0 courses / hours when none)."""
    ready = incentives.promotion_ready(con, period, min_attainment, count, scope)
    trained = training_history(con, scope, until=period.end)
    out = ready.merge(trained, on="rep_id", how="left")
    out["courses"] = out["courses"].fillna(0).astype("int64")
    out["hours"] = out["hours"].fillna(0.0)
    out["topics"] = [v if isinstance(v, list) else [] for v in out["topics"]]
    return out
