"""The payout engine (DESIGN.md section 5): :func:`payouts` returns one row per rep;
:func:`explain` the per-deal and per-component lines that add up to a rep's total. Both come
from one set of lines computed in DuckDB SQL over the whole deals/payments tables
(:func:`_compute`), so the table and the explanation can never disagree.

Rules that DESIGN §5 leaves to the engine (stated here so statements can be checked by hand):

- Ordering: a rep's won deals in a period are taken in (close_date, deal_id) order.
- Thresholds are inclusive where §5 says "at": attainment exactly at the gate earns the base
  bonus; exactly at ``below_attainment`` is not cut; a non-cash reward at exactly
  ``min_attainment`` is earned. Revenue exactly at quota x above_attainment is not yet
  accelerated (only revenue *beyond* it). Comparisons allow 1e-9 of float noise.
- Accelerator bands: band k runs from quota x threshold_k to the next threshold; its
  multiplier is the highest multiplier among the thresholds passed (so a lower multiplier
  listed at a higher threshold never lowers pay). accelerator_extra = commission of the part
  in the band x (multiplier - 1).
- Basis ``collected`` (回款): commission is paid on positive payments dated in the period for a
  won deal (any close date), at the deal's tier rate; a payment row with no deal_id pays the
  default rate to the payment's rep. Accelerators apply to cash in proportion to where the
  deal sat in *its own* close period (quota x threshold of that period), so a deal won above
  quota in June and paid in July earns the accelerated rate in July. Payments of open or lost
  deals earn nothing.
- Clawback (the data has no reversal date, so a refund is the reversal): a *refund* is a
  payment row with a negative amount for a deal that had closed (status won, or lost when it
  was marked lost after collection) dated 0..clawback_days days after the deal's close_date.
  It takes back rate(deal) x the refunded amount (x margin_rate under basis ``margin``;
  capped at the deal amount) from the deal's rep in the period of the refund's paid_date.
  Accelerator extra and SPIFFs already paid are not clawed back. Refunds later than
  clawback_days, and deals marked lost with no refund row, are not clawed back (and under
  ``collected`` a refund never reduces the commission basis itself). A plan without
  ``clawback_days`` claws nothing back.
- SPIFFs: every entry pays independently (a 1M first deal can earn a 500k and a 1M SPIFF).
  period_champion ranks reps with revenue_won > 0 within their team (competition ranking:
  1, 1, 3), over all reps even when the scope is one team or one rep.
- total is cut to payout_cap when above it (a ``payout_cap`` line records the cut); a total
  may be negative when clawbacks exceed the rest. Every component is summed unrounded and
  rounded to cents (half up) only in :func:`payouts`; :func:`explain` adds a ``rounding`` line
  so its amounts add up to the rounded total.
- A rep with no quota (no revenue target, or a zero one): attainment NaN, no base bonus, no
  accelerator, no decelerator, flag ``no_quota``; commission and SPIFFs still pay.
"""
from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from salescore import metrics, sql
from salescore.incentives.plan import EPS, Plan, _fail
from salescore.periods import Period, containing, parse
from salescore.scope import Scope

Con = duckdb.DuckDBPyConnection

#: Columns of :func:`payouts`, in order.
PAYOUT_COLUMNS = ["rep_id", "rep", "team", "quota", "revenue_won", "margin_won", "attainment",
                  "base_bonus", "commission", "accelerator_extra", "decelerator_cut", "spiffs",
                  "clawback", "total", "non_cash", "cost_of_sales", "flag"]
#: The money components, as explain() names them, in statement order.
COMPONENTS = ("base_bonus", "commission", "accelerator_extra", "decelerator_cut", "spiffs",
              "clawback", "payout_cap", "rounding")
#: What the command line prints per rep (DESIGN §6: the §5 outputs plus "rep").
CLI_FIELDS = ["rep", "rep_id", "team", "quota", "revenue_won", "attainment", "base_bonus",
              "commission", "accelerator_extra", "decelerator_cut", "spiffs", "clawback", "total",
              "non_cash", "cost_of_sales", "flag"]


def _period(plan: Plan, period: Period | str) -> Period:
    p = parse(period) if isinstance(period, str) else period
    if p.kind != plan.period:
        example = containing(p.start, plan.period).label
        raise _fail("period_kind", f"This plan pays per {plan.period}: choose a {plan.period} "
                    f"(such as {example}), not {p.label}.", kind=plan.period, value=p.label,
                    example=example)
    return p


def _bands(plan: Plan) -> list[tuple[float, float | None, float]]:
    """(lower threshold, upper threshold or None, multiplier) per accelerator band; the band's
    multiplier is the highest of the thresholds passed (running max)."""
    out, best = [], 1.0
    accs = list(plan.accelerators)
    for i, acc in enumerate(accs):
        best = max(best, acc.multiplier)
        upper = accs[i + 1].above_attainment if i + 1 < len(accs) else None
        out.append((acc.above_attainment, upper, best))
    return [b for b in out if b[2] > 1.0]


def _lines_sql(plan: Plan, params: dict[str, Any]) -> str:
    """The SQL that yields every money line of every rep for one period (see module doc).

    Only fixed text and numbered ``$parameters`` are pasted in: plan values are bound.
    """
    comm = plan.commission
    basis = comm.basis if comm else "revenue"
    kind = plan.period  # validated: month / quarter / year
    # rate(deal): the tier with the largest min_margin <= margin_rate, else default_rate
    rate = "$default_rate"
    params["default_rate"] = comm.default_rate if comm else 0.0
    for i, tier in enumerate(comm.tiers if comm else ()):
        params[f"tier_min_{i}"], params[f"tier_rate_{i}"] = tier.min_margin, tier.rate
    cases = " ".join(f"when p.margin_rate >= $tier_min_{i} - 1e-12 then $tier_rate_{i}"
                     for i in reversed(range(len(comm.tiers) if comm else 0)))
    if cases:
        rate = f"case {cases} else $default_rate end"

    parts: list[str] = []
    if comm:
        # commission lines: one per deal (revenue, margin) or per payment (collected)
        if basis == "collected":
            parts.append("""
            select w.rep_id, 'commission' as component, w.deal_id, c.paid_date as day,
                   c.amount as basis, w.rate, 1.0 as multiplier, w.rate * c.amount as amount,
                   c.payment_id as detail
            from cash c join won w on w.deal_id = c.deal_id
            union all
            select c.rep_id, 'commission', null, c.paid_date, c.amount, $default_rate, 1.0,
                   $default_rate * c.amount, c.payment_id
            from cash c where c.deal_id is null and c.rep_id is not null""")
        else:
            b = "w.amount" if basis == "revenue" else "w.amount * coalesce(w.margin, 0)"
            parts.append(f"""
            select w.rep_id, 'commission', w.deal_id, w.close_date, {b}, w.rate, 1.0, w.rate * {b},
                   null
            from won w where w.pstart = $pstart""")
        # accelerator lines: the part of each deal beyond quota x threshold, per band
        for i, (lo, hi, mult) in enumerate(_bands(plan)):
            params[f"band_lo_{i}"], params[f"band_mult_{i}"] = lo, mult
            upper = ("w.cum_before + w.amount" if hi is None
                     else f"least(w.cum_before + w.amount, w.quota * $band_hi_{i})")
            if hi is not None:
                params[f"band_hi_{i}"] = hi
            part = f"greatest({upper} - greatest(w.cum_before, w.quota * $band_lo_{i}), 0)"
            if basis == "collected":
                parts.append(f"""
                select w.rep_id, 'accelerator_extra', w.deal_id, c.paid_date,
                       c.amount * ({part}) / w.amount, w.rate, $band_mult_{i},
                       w.rate * c.amount * ({part}) / w.amount * ($band_mult_{i} - 1), 'band_{i}'
                from cash c join pos w on w.deal_id = c.deal_id
                where w.quota > 0 and {part} > 0""")
            else:
                pb = part if basis == "revenue" else f"({part}) * coalesce(w.margin, 0)"
                parts.append(f"""
                select w.rep_id, 'accelerator_extra', w.deal_id, w.close_date, {pb}, w.rate,
                       $band_mult_{i}, w.rate * {pb} * ($band_mult_{i} - 1), 'band_{i}'
                from pos w where w.quota > 0 and {part} > 0""")
    # SPIFFs
    for i, spiff in enumerate(plan.spiffs):
        params[f"spiff_bonus_{i}"] = spiff.bonus
        if spiff.kind == "new_customer_deal":
            params[f"spiff_min_{i}"] = spiff.min_amount or 0.0
            parts.append(f"""
            select w.rep_id, 'spiffs', w.deal_id, w.close_date, w.amount, null, null,
                   $spiff_bonus_{i}, 'new_customer_deal'
            from won w where w.pstart = $pstart and w.amount >= $spiff_min_{i} and w.first_won""")
        else:
            params[f"spiff_rank_{i}"] = spiff.rank
            parts.append(f"""
            select s.rep_id, 'spiffs', null, $end, s.revenue_won, null, null, $spiff_bonus_{i},
                   'period_champion:' || s.team_rank
            from standing s where s.team_rank = $spiff_rank_{i}""")
    # clawback: refunds (negative payments) within clawback_days of the deal's close
    if comm and plan.clawback_days is not None:
        params["claw_days"] = plan.clawback_days
        b = "least(-r.amount, d.amount)"
        if basis == "margin":
            b = f"{b} * coalesce(d.margin, 0)"
        parts.append(f"""
        select d.rep_id, 'clawback', d.deal_id, r.paid_date, {b}, d.rate, null, -d.rate * {b},
               r.payment_id
        from payments r join closed d on d.deal_id = r.deal_id
        where r.amount < 0 and r.paid_date between $start and $end
          and r.paid_date - d.close_date between 0 and $claw_days""")

    # deals whose position vs quota matters: this period's (and, under collected, those paid now)
    relevant = "pstart = $pstart"
    if basis == "collected":
        relevant += " or deal_id in (select deal_id from cash)"
    # the earliest close date that matters: refunds look back clawback_days, cash any time
    params["lo"] = params["start"]
    if comm and plan.clawback_days is not None:
        params["lo"] = params["start"] - timedelta(days=plan.clawback_days)
    lo = "$lo"
    if basis == "collected":
        lo = (f"least($lo, coalesce((select date_trunc('{kind}', min(d.close_date))::DATE "
              "from payments y join deals d "
              "on d.deal_id = y.deal_id where y.paid_date between $start and $end and y.amount > 0), $lo))")
    news = [s.min_amount or 0.0 for s in plan.spiffs if s.kind == "new_customer_deal"]
    params["news_min"] = min(news) if news else 0.0
    firsts = "select null::VARCHAR as deal_id where false"
    if news:   # each customer's first won deal ever, among this period's big enough deals
        firsts = """select c.deal_id from closed c
            where c.status = 'won' and c.pstart = $pstart and c.customer_id is not null
              and c.amount >= $news_min
              and not exists (select 1 from deals e where e.customer_id = c.customer_id
                              and e.status = 'won' and e.close_date is not null
                              and (e.close_date < c.close_date
                                   or (e.close_date = c.close_date and e.deal_id < c.deal_id)))"""
    union = "\nunion all\n".join(parts) or \
        "select null::VARCHAR, null::VARCHAR, null::VARCHAR, null::DATE, 0.0, 0.0, 0.0, 0.0, null::VARCHAR where false"
    return f"""
    with
    quota as (    -- the rep's quota per period; a what-if quota replaces one rep's for $pstart
        select rep_id, pstart, sum(quota) as quota from (
            select scope_id as rep_id,
                   date_trunc('{kind}', strptime(period || '-01', '%Y-%m-%d'))::DATE as pstart,
                   value::DOUBLE as quota, false as what_if
            from targets where scenario = $scenario and scope = 'rep' and metric = 'revenue'
              and period >= strftime(date_trunc('{kind}', {lo})::DATE, '%Y-%m')  -- older: unused
            union all
            select $qo_rep, $pstart, $qo_value, true where $qo_rep::VARCHAR is not null
        ) t
        where what_if or not coalesce(rep_id = $qo_rep and pstart = $pstart, false)
        group by rep_id, pstart
    ),
    closed as (   -- every closed deal with its rate (clawbacks look back)
        select d.deal_id, d.rep_id, d.customer_id, d.amount::DOUBLE as amount, d.close_date,
               d.status, date_trunc('{kind}', d.close_date)::DATE as pstart,
               p.margin_rate as margin, ({rate})::DOUBLE as rate
        from deals d left join products p on p.product_id = d.product_id
        where d.status in ('won', 'lost') and d.amount is not null
          and d.close_date between {lo} and $end
    ),
    firsts as ({firsts}),
    won as (
        select c.*, c.deal_id in (select deal_id from firsts) as first_won
        from closed c where c.status = 'won'
    ),
    cash as (      -- positive payments (回款) in the period
        select payment_id, deal_id, rep_id, paid_date, amount::DOUBLE as amount from payments
        where paid_date between $start and $end and amount > 0
    ),
    pos as (       -- position of each relevant won deal in its rep's period, vs that quota
        select w.*, q.quota,
               coalesce(sum(w.amount) over (partition by w.rep_id, w.pstart order by w.close_date, w.deal_id
                        rows between unbounded preceding and 1 preceding), 0) as cum_before
        from won w
        join (select distinct rep_id, pstart from won where {relevant}) k
          on k.rep_id = w.rep_id and k.pstart = w.pstart
        left join quota q on q.rep_id = w.rep_id and q.pstart = w.pstart
    ),
    standing as (  -- revenue_won rank within the team (ties share: 1, 1, 3)
        select w.rep_id, sum(w.amount) as revenue_won,
               rank() over (partition by coalesce(r.team, '') order by sum(w.amount) desc) as team_rank
        from won w left join reps r on r.rep_id = w.rep_id
        where w.pstart = $pstart group by w.rep_id, coalesce(r.team, '')
        having sum(w.amount) > 0
    )
    select rep_id, component, deal_id, day, basis::DOUBLE as basis, rate::DOUBLE as rate,
           multiplier::DOUBLE as multiplier, amount::DOUBLE as amount, detail
    from ({union}) x(rep_id, component, deal_id, day, basis, rate, multiplier, amount, detail)
    """


_REPS_SQL = f"""
with quota as (
    select scope_id as rep_id, sum(value)::DOUBLE as quota from targets
    where scenario = $scenario and scope = 'rep' and metric = 'revenue' and list_contains($months, period)
      and not coalesce(scope_id = $qo_rep, false)
    group by 1
    union all
    select $qo_rep, $qo_value where $qo_rep::VARCHAR is not null
),
revenue as (
    select d.rep_id, sum(d.amount)::DOUBLE as revenue_won,
           sum(d.amount * p.margin_rate)::DOUBLE as margin_won
    from deals d left join products p on p.product_id = d.product_id
    where d.status = 'won' and d.close_date between $start and $end group by 1
)
select r.rep_id, r.name as rep, coalesce(r.team, '') as team, r.base_salary::DOUBLE as base_salary,
       r.active, q.quota, coalesce(v.revenue_won, 0) as revenue_won, coalesce(v.margin_won, 0) as margin_won
from reps r left join quota q using (rep_id) left join revenue v using (rep_id)
where {sql.in_scope(rep="r.rep_id")}
"""


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


def _compute(con: Con, plan: Plan, period: Period | str, scope: Scope,
             quota: tuple[str, float] | None = None,
             memo: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-rep frame before rounding, every line of the reps in scope); ``quota`` =
    (rep_id, value) replaces that rep's quota for the period (a what-if; nothing is stored).
    ``memo``: a dict shared by several runs over the same data (sensitivity, budget solver)."""
    p = _period(plan, period)
    base_params: dict[str, Any] = {"scenario": metrics.active_scenario(con), "start": p.start,
                                   "end": p.end, "pstart": p.start, "months": p.months,
                                   "team": scope.team, "rep": scope.rep_id,
                                   "qo_rep": quota[0] if quota else None,
                                   "qo_value": float(quota[1]) if quota else None}
    params = dict(base_params)
    deal_lines = _run_memo(con, _lines_sql(plan, params), params, memo)
    reps = _run_memo(con, _REPS_SQL, base_params, memo)
    # a deal line whose rep is missing from reps still gets a row (name = id)
    if not deal_lines.empty and scope.team is None and scope.rep_id is None:
        orphans = sorted(set(deal_lines["rep_id"].dropna().unique()) - set(reps["rep_id"]))
        if orphans:
            reps = pd.concat([reps, pd.DataFrame({"rep_id": orphans, "rep": orphans, "team": "",
                                                  "active": True, "revenue_won": 0.0,
                                                  "margin_won": 0.0})], ignore_index=True)
    deal_lines = deal_lines.merge(reps[["rep_id"]], on="rep_id")  # inner: keeps the line order
    reps["quota"] = reps["quota"].where(reps["quota"] > 0)
    reps["attainment"] = reps["revenue_won"] / reps["quota"]
    att = reps["attainment"]
    has_quota = att.notna()
    rep_lines = []
    # base bonus: pct x salary x months x min(attainment, cap), from the gate
    if plan.base_bonus:
        bb = plan.base_bonus
        mult = att.clip(upper=bb.cap) if bb.cap is not None else att
        earned = has_quota & (att >= bb.gate - EPS)
        basis = reps["base_salary"].fillna(0.0) * p.n_months
        rep_lines.append(pd.DataFrame({
            "rep_id": reps["rep_id"], "component": "base_bonus", "deal_id": None, "day": pd.Timestamp(p.end),
            "basis": basis, "rate": bb.pct_of_salary, "multiplier": mult.where(earned, 0.0),
            "amount": (basis * bb.pct_of_salary * mult).where(earned, 0.0),
            "detail": None})[has_quota])
    # decelerator: every commission line x (1 - multiplier) when attainment ends below
    if plan.decelerator and not deal_lines.empty:
        dc = plan.decelerator
        below = reps.loc[has_quota & (att < dc.below_attainment - EPS), ["rep_id"]]
        comm = deal_lines[deal_lines["component"] == "commission"].merge(below, on="rep_id")
        if len(comm):
            rep_lines.append(pd.DataFrame({
                "rep_id": comm["rep_id"], "component": "decelerator_cut", "deal_id": comm["deal_id"],
                "day": comm["day"], "basis": comm["amount"], "rate": 1.0 - dc.multiplier,
                "multiplier": dc.multiplier, "amount": -comm["amount"] * (1.0 - dc.multiplier),
                "detail": comm["detail"]}))
    # accelerators need a quota: drop accelerator lines of reps without one (SQL gives none)
    frames = [f for f in [deal_lines, *rep_lines] if len(f)]
    lines = pd.concat(frames, ignore_index=True) if frames else deal_lines
    lines["rep_id"] = lines["rep_id"].astype("str")
    # one row per rep: reps active, or with a quota or a line in the period
    sums = (lines.groupby(["rep_id", "component"])["amount"].sum().unstack("component")
            if len(lines) else pd.DataFrame(index=pd.Index([], name="rep_id")))
    out = reps.merge(sums, left_on="rep_id", right_index=True, how="left")
    for comp in COMPONENTS[:6]:
        if comp not in out:
            out[comp] = 0.0
        out[comp] = out[comp].astype("float64").fillna(0.0)
    keep = (out["active"].fillna(True).astype(bool) | out["quota"].notna()
            | out["rep_id"].isin(lines["rep_id"].unique()))
    out = out[keep].copy()
    for comp in ("decelerator_cut", "clawback"):
        out[comp] = 0.0 - out[comp]  # reported as positive amounts (0.0 - x: no -0.0)
    out["total"] = (out["base_bonus"] + out["commission"] + out["accelerator_extra"] + out["spiffs"]
                    - out["decelerator_cut"] - out["clawback"])
    if plan.payout_cap is not None:
        over = out["total"] > plan.payout_cap
        if over.any():
            capped = out[over]
            lines = pd.concat([lines, pd.DataFrame({
                "rep_id": capped["rep_id"], "component": "payout_cap", "deal_id": None,
                "day": pd.Timestamp(p.end), "basis": capped["total"], "rate": None,
                "multiplier": None, "amount": plan.payout_cap - capped["total"],
                "detail": None})], ignore_index=True)
            out.loc[over, "total"] = plan.payout_cap
    out["non_cash"] = [
        [n.reward for n in plan.non_cash if not math.isnan(a) and a >= n.min_attainment - EPS]
        for a in out["attainment"].astype("float64")]
    flags = pd.Series("", index=out.index)
    flags = flags.where(out["quota"].notna(), "no_quota")
    if plan.payout_cap is not None:
        capped_ids = lines.loc[lines["component"] == "payout_cap", "rep_id"].unique()
        flags = flags.where(~out["rep_id"].isin(capped_ids), (flags + ",capped").str.lstrip(","))
    out["flag"] = flags
    return out, lines


def payouts(con: Con, plan: Plan, period: Period | str, scope: Scope = Scope(),
            quota: tuple[str, float] | None = None) -> pd.DataFrame:
    """One row per rep for ``period`` (its kind must be the plan's period).

    Columns: PAYOUT_COLUMNS = rep_id, rep, team, quota (NaN without one), revenue_won,
    margin_won (revenue x product margin), attainment (NaN without quota), base_bonus,
    commission, accelerator_extra, decelerator_cut, spiffs, clawback (cut and clawback as
    positive amounts), total, non_cash (list of rewards), cost_of_sales = total / revenue_won,
    flag ('' or 'no_quota', 'capped', comma-joined). Money rounded to cents; sorted by team,
    then total (highest first). ``quota`` = (rep_id, value): that rep's quota for the period
    is taken as ``value`` instead of the stored target (what-if; nothing is written).
    """
    out, _ = _compute(con, plan, period, scope, quota)
    return payouts_from(out)


def payouts_from(out: pd.DataFrame) -> pd.DataFrame:
    """Round the engine's per-rep frame to cents and order it (see :func:`payouts`)."""
    out = out.copy()
    for col in ("base_bonus", "commission", "accelerator_extra", "decelerator_cut", "spiffs",
                "clawback", "total"):
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
    out, lines = _compute(con, plan, period, Scope(rep_id=rep_id))
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
