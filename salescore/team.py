"""Team building and training: rep profiles, auto-SWOT, role mix, training effect.

Everything here is plain Python over SQL (no Streamlit). The §4 figures come from
:func:`salescore.metrics.by_group`; this module adds the profile figures §4 does not define,
in one SQL pass over whole tables:

- new_customer_share: of the rep's won deals closed in the period (where it can be told),
  the share won from a new customer: the deal's own ``is_new_customer`` flag when the data
  records it (CRMs mark deals opened on accounts that never bought), else whether it is the
  customer's first won deal ever (the §4 new-customer rule); new_revenue_share is the same by
  won revenue, repeat_revenue_share = 1 - new_revenue_share (revenue from existing customers);
- activities: activities logged in the period; product_breadth: distinct products won in
  the period;
- satisfaction: mean CSAT (1-5, scale csat5) of the surveys of the rep's customers in the
  SATISFACTION_MONTHS months up to the period end (a month alone holds too few surveys); a
  survey belongs to its ``rep_id`` when recorded, else to the rep of the customer's latest
  won deal.

Strengths and weaknesses use robust z-scores: z = (x - median) / (1.4826 x MAD) over the
reps of the rep's own team (MAD = median absolute deviation; when it is 0, 1.2533 x the mean
absolute deviation, and when that is 0 too, z = 0). A rep's figure is a strength when its
"better" z reaches Z_REP (1.0) and a weakness at -Z_REP; a team's median against the
company's reps uses Z_TEAM (0.5: a median of ~8 reps varies about sqrt(8) times less than
one rep). The sales cycle is better when shorter. repeat_revenue_share is shown but never
scored (it mirrors the new-customer share: a farmer is not weak for farming).
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from salescore import customers, db, evaluation, fmt, i18n, metrics
from salescore.fmt import safe_cell  # formula-injection escape, shared with every export
from salescore.errors import SalesCoreError
from salescore.metrics import Scope
from salescore.periods import Period

Con = duckdb.DuckDBPyConnection

#: Profile figures in display order, and how each is formatted.
PROFILE_METRICS = ("win_rate", "avg_deal_size", "sales_cycle_days", "new_customer_share",
                   "repeat_revenue_share", "activities", "product_breadth", "satisfaction",
                   "attainment")
KIND = {"win_rate": "pct", "avg_deal_size": "money", "sales_cycle_days": "days",
        "new_customer_share": "pct", "repeat_revenue_share": "pct", "new_revenue_share": "pct",
        "activities": "number", "product_breadth": "number", "satisfaction": "score",
        "attainment": "pct", "revenue_won": "money"}
LOWER_IS_BETTER = frozenset({"sales_cycle_days"})
SWOT_METRICS = tuple(m for m in PROFILE_METRICS if m != "repeat_revenue_share")

Z_REP = 1.0
Z_TEAM = 0.5
SATISFACTION_MONTHS = 12
MAD_SCALE = 1.4826        # MAD -> standard deviation for normal data
MEANAD_SCALE = 1.2533     # mean absolute deviation -> standard deviation (sqrt(pi/2))

# Opportunities and threats (documented on the page with these values).
GROWTH = 0.20             # +/-20% revenue change vs the comparison period
MIN_SHARE = 0.05          # of the scope's revenue in the period (or before, for declines)
MIN_DEALS = 3             # won deals of the slice in the larger of the two periods
LOSS_MONTHS = 6
LOSS_RISE = 0.05          # +5 points of lost deals
LOSS_MIN = 5              # lost deals with that reason in the recent window
CONCENTRATION_TOP = 10
CONCENTRATION_MONTHS = 12
CONCENTRATION_SHARE = 0.50
CONCENTRATION_MIN_CUSTOMERS = 20
MAX_ITEMS = 4             # per quadrant: loss reasons and concentration first, then by size
PER_DIMENSION = 2         # growth items per dimension (segment, product ...) and direction

GROWTH_DIMENSIONS = ("segment", "product", "channel", "region")


def _query(con: Con, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """Run ``sql`` binding only the ``$names`` it uses (DuckDB rejects unused parameters)."""
    used = set(re.findall(r"\$(\w+)", sql))
    with con.cursor() as cur:
        metrics.register_first_won(con, cur, sql)
        return cur.execute(sql, {k: v for k, v in params.items() if k in used}).df()


def _months_back(day: date, months: int) -> date:
    """The first day of the month ``months - 1`` months before ``day``'s month."""
    y, m = day.year, day.month - (months - 1)
    while m <= 0:
        y, m = y - 1, m + 12
    return date(y, m, 1)


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (earlier when negative), clamped to the
    month's last day."""
    index = day.year * 12 + day.month - 1 + months
    y, m = divmod(index, 12)
    last = (date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1) - timedelta(days=1)).day
    return date(y, m + 1, min(day.day, last))


# --- 1. rep profiles -----------------------------------------------------------------------

_EXTRAS_SQL = """
with first_won as (   -- each customer's first won deal ever (DESIGN §4 new_customers):
                      -- metrics.first_won, once per data version; other won deals: not first
    select deal_id, true as is_first from _first_won
),
won as (
    select d.rep_id, d.amount, d.product_id,
           d.is_new_customer is not null or d.customer_id is not null as known,
           coalesce(d.is_new_customer, f.is_first, false) as is_first
    from deals d left join first_won f on f.deal_id = d.deal_id
    where d.status = 'won' and d.close_date between $start and $end
),
won_agg as (
    select rep_id,
           count(*) filter (where known)                                  as won_with_customer,
           count(*) filter (where known and is_first)                     as new_customer_deals,
           coalesce(sum(amount) filter (where known), 0)                  as customer_revenue,
           coalesce(sum(amount) filter (where known and is_first), 0)     as new_customer_revenue,
           count(distinct product_id)                                     as product_breadth
    from won group by rep_id
),
act as (
    select rep_id, count(*) as activities from activities
    where activity_date between $start and $end and rep_id is not null group by rep_id
),
owner as (            -- the account owner: the rep of the customer's latest won deal
    select customer_id, arg_max(rep_id, (close_date, deal_id)) as rep_id
    from deals where status = 'won' and customer_id is not null and close_date <= $end
    group by customer_id
),
sat as (
    select coalesce(s.rep_id, o.rep_id) as rep_id, avg(s.score) as satisfaction, count(*) as surveys
    from satisfaction s left join owner o on o.customer_id = s.customer_id
    where s.scale = 'csat5' and s.survey_date between $sat_start and $end
    group by 1
)
select r.rep_id,
       coalesce(w.won_with_customer, 0)    as won_with_customer,
       coalesce(w.new_customer_deals, 0)   as new_customer_deals,
       coalesce(w.customer_revenue, 0)     as customer_revenue,
       coalesce(w.new_customer_revenue, 0) as new_customer_revenue,
       coalesce(w.product_breadth, 0)      as product_breadth,
       coalesce(a.activities, 0)           as activities,
       s.satisfaction, coalesce(s.surveys, 0) as surveys
from reps r
left join won_agg w on w.rep_id = r.rep_id
left join act a on a.rep_id = r.rep_id
left join sat s on s.rep_id = r.rep_id
where ($team::VARCHAR is null or r.team = $team)
"""


def profiles(con: Con, start: date, end: date, scope: Scope = Scope()) -> pd.DataFrame:
    """One row per rep of the scope's team(s) (``scope.rep_id`` is ignored: a profile is read
    against the whole team) with the §4 figures of :func:`metrics.by_group` and the profile
    figures of the module docstring, plus ``<metric>_median``: the median of the rep's team.

    Columns: rep_id, rep, team, revenue_won, deals_won, deals_lost, target, PROFILE_METRICS,
    new_revenue_share, won_with_customer, new_customer_deals, customer_revenue,
    new_customer_revenue, surveys, then <m>_median for m in PROFILE_METRICS. Sorted by team,
    then revenue_won (highest first). Missing figures are NaN.
    """
    team_scope = Scope(team=scope.team)
    base = metrics.by_group(con, start, end, "rep", team_scope)
    extras = _query(con, _EXTRAS_SQL, {
        "start": start, "end": end, "team": scope.team,
        "sat_start": _months_back(end, SATISFACTION_MONTHS)})
    out = base.merge(extras, on="rep_id", how="left")
    for col in ("won_with_customer", "new_customer_deals", "product_breadth", "activities", "surveys"):
        out[col] = out[col].fillna(0).astype("int64")
    for col in ("customer_revenue", "new_customer_revenue", "satisfaction"):
        out[col] = out[col].astype("float64")
    out["new_customer_share"] = out["new_customer_deals"] / out["won_with_customer"].where(out["won_with_customer"] > 0)
    out["new_revenue_share"] = out["new_customer_revenue"] / out["customer_revenue"].where(out["customer_revenue"] > 0)
    out["repeat_revenue_share"] = 1 - out["new_revenue_share"]
    out["activities"] = out["activities"].astype("float64")
    out["product_breadth"] = out["product_breadth"].astype("float64")
    for m in PROFILE_METRICS:
        out[m] = out[m].astype("float64")
        out[f"{m}_median"] = out.groupby("team")[m].transform("median")
    cols = ["rep_id", "rep", "team", "revenue_won", "deals_won", "deals_lost", "target",
            *PROFILE_METRICS, "new_revenue_share", "won_with_customer", "new_customer_deals",
            "customer_revenue", "new_customer_revenue", "surveys",
            *[f"{m}_median" for m in PROFILE_METRICS]]
    out = out[cols].sort_values(["team", "revenue_won", "rep_id"], ascending=[True, False, True])
    return out.reset_index(drop=True)


def robust_z(values: pd.Series) -> pd.Series:
    """(x - median) / (1.4826 x MAD) (module docstring); NaN stays NaN."""
    x = values.astype("float64")
    known = x.dropna()
    if known.empty:
        return x * np.nan
    med = float(known.median())
    dev = (known - med).abs()
    scale = MAD_SCALE * float(dev.median())
    if scale == 0:
        scale = MEANAD_SCALE * float(dev.mean())
    if scale == 0:
        return x.where(x.isna(), 0.0)
    return (x - med) / scale


def robust_z_by(values: pd.Series, groups: pd.Series) -> pd.Series:
    """:func:`robust_z` within each group, vectorised (one pass per statistic, not a Python
    call per team); same figures."""
    x = values.astype("float64")
    med = x.groupby(groups).transform("median")
    dev = (x - med).abs()
    scale = MAD_SCALE * dev.groupby(groups).transform("median")
    zero = scale == 0
    if zero.any():   # rare: fall back to the mean absolute deviation, group by group
        for key in pd.unique(groups[zero]):
            mask = groups == key
            scale[mask] = MEANAD_SCALE * float(dev[mask].dropna().mean())
    z = (x - med) / scale
    return z.where(~((scale == 0) & x.notna()), 0.0)


def z_scores(profile: pd.DataFrame) -> pd.DataFrame:
    """Long frame of each rep's robust z-score against their team: rep_id, rep, team, metric,
    value, median, z (raw), better_z (sign flipped where lower is better). SWOT_METRICS only."""
    rows = []
    for m in SWOT_METRICS:
        part = profile[["rep_id", "rep", "team", m, f"{m}_median"]].rename(
            columns={m: "value", f"{m}_median": "median"})
        part = part.assign(metric=m, z=robust_z_by(profile[m], profile["team"]))
        rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    out["better_z"] = np.where(out["metric"].isin(LOWER_IS_BETTER), -out["z"], out["z"])
    return out[["rep_id", "rep", "team", "metric", "value", "median", "z", "better_z"]]


def team_z_scores(profile: pd.DataFrame) -> pd.DataFrame:
    """Each team's median of its reps against the company's reps: team, metric, value (team
    median), median (company median), z, better_z. Needs the whole company's profile."""
    rows = []
    for m in SWOT_METRICS:
        x = profile[m].astype("float64")
        known = x.dropna()
        if known.empty:
            continue
        med = float(known.median())
        dev = (known - med).abs()
        scale = MAD_SCALE * float(dev.median()) or MEANAD_SCALE * float(dev.mean())
        for team, value in profile.groupby("team")[m].median().items():
            z = 0.0 if not scale or pd.isna(value) else (float(value) - med) / scale
            rows.append({"team": team, "metric": m, "value": value, "median": med,
                         "z": z if not pd.isna(value) else np.nan})
    out = pd.DataFrame(rows, columns=["team", "metric", "value", "median", "z"])
    out["better_z"] = np.where(out["metric"].isin(LOWER_IS_BETTER), -out["z"], out["z"])
    return out


_TREND_BUCKET = {
    "month": "strftime({col}, '%Y-%m')",
    "quarter": "year({col})::VARCHAR || '-Q' || quarter({col})::VARCHAR",
    "year": "year({col})::VARCHAR",
}
TREND_METRICS = ("revenue_won", "win_rate", "avg_deal_size", "sales_cycle_days", "activities")


def rep_trend(con: Con, period: Period, rep_id: str, n: int = 6) -> pd.DataFrame:
    """The rep's figures over the ``n`` periods ending with ``period`` against their team's
    median (reps of the team with any closed deal or activity in that period).

    Same formulas as DESIGN §4 (win_rate = won / closed, avg_deal_size = revenue_won /
    deals_won, sales_cycle_days = mean days of won deals), in one grouped query instead of n
    by_group calls. Columns: period (label), metric (TREND_METRICS), value, team_median;
    periods in time order, every period present (NaN when the rep had nothing).
    """
    periods = [period]
    for _ in range(max(1, n) - 1):
        periods.insert(0, periods[0].previous())
    deal_bucket = _TREND_BUCKET[period.kind].format(col="d.close_date")
    act_bucket = _TREND_BUCKET[period.kind].format(col="a.activity_date")
    sql = f"""
    with mates as (
        select rep_id from reps
        where coalesce(team, '') = (select coalesce(max(team), '') from reps where rep_id = $rep)
        union select $rep
    ),
    closed as (
        select d.rep_id, {deal_bucket} as period,
               sum(d.amount) filter (where d.status = 'won') as revenue_won,
               count(*) filter (where d.status = 'won') as deals_won,
               count(*) as deals_closed,
               avg(d.close_date - d.created_date) filter (where d.status = 'won'
                   and d.created_date is not null) as sales_cycle_days
        from deals d
        where d.status in ('won', 'lost') and d.close_date between $start and $end
          and d.rep_id in (select rep_id from mates)
        group by all
    ),
    act as (
        select a.rep_id, {act_bucket} as period, count(*) as activities
        from activities a
        where a.activity_date between $start and $end and a.rep_id in (select rep_id from mates)
        group by all
    )
    select coalesce(c.rep_id, a.rep_id) as rep_id, coalesce(c.period, a.period) as period,
           coalesce(c.revenue_won, 0) as revenue_won, coalesce(c.deals_won, 0) as deals_won,
           coalesce(c.deals_closed, 0) as deals_closed, c.sales_cycle_days,
           coalesce(a.activities, 0) as activities
    from closed c full join act a on a.rep_id = c.rep_id and a.period = c.period
    """
    frame = _query(con, sql, {"rep": rep_id, "start": periods[0].start, "end": period.end})
    for col in ("revenue_won", "deals_won", "deals_closed", "sales_cycle_days", "activities"):
        frame[col] = frame[col].astype("float64")
    frame["win_rate"] = frame["deals_won"] / frame["deals_closed"].where(frame["deals_closed"] > 0)
    frame["avg_deal_size"] = frame["revenue_won"] / frame["deals_won"].where(frame["deals_won"] > 0)
    labels = [p.label for p in periods]
    rows = []
    for m in TREND_METRICS:
        med = frame.groupby("period")[m].median()
        mine = frame[frame["rep_id"] == rep_id].set_index("period")[m]
        for label in labels:
            rows.append({"period": label, "metric": m, "value": mine.get(label, np.nan),
                         "team_median": med.get(label, np.nan)})
    out = pd.DataFrame(rows)
    out["value"] = out["value"].astype("float64")
    out["team_median"] = out["team_median"].astype("float64")
    return out


# --- 2. auto-SWOT ----------------------------------------------------------------------------

QUADRANTS = ("S", "W", "O", "T")


@dataclass(frozen=True)
class SwotItem:
    """One SWOT line as data: rendered in either language by :func:`render`.

    ``key`` is an i18n key under ``team.swot``; ``params`` its raw values; ``score`` orders
    the items of a quadrant (largest first).
    """

    quadrant: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)
    score: float = 0.0


def strengths_weaknesses(z: pd.DataFrame, threshold: float, key: str) -> list[SwotItem]:
    """S/W items from a z frame (:func:`z_scores` rows of one rep, or :func:`team_z_scores`
    rows of one team): better_z >= threshold -> S, <= -threshold -> W."""
    items = []
    for row in z.dropna(subset=["better_z", "value"]).itertuples(index=False):
        if abs(row.better_z) < threshold:
            continue
        quadrant = "S" if row.better_z > 0 else "W"
        items.append(SwotItem(quadrant, key, {"metric": row.metric, "value": float(row.value),
                                              "ref": float(row.median)}, abs(float(row.better_z))))
    return sorted(items, key=lambda i: (-i.score, i.params["metric"]))


def rep_strengths_weaknesses(profile: pd.DataFrame, rep_id: str) -> list[SwotItem]:
    """A rep's S/W items against their team (Z_REP)."""
    z = z_scores(profile)
    return strengths_weaknesses(z[z["rep_id"] == rep_id], Z_REP, "team.swot.vs_team")


def team_strengths_weaknesses(profile: pd.DataFrame, team: str) -> list[SwotItem]:
    """A team's S/W items against the company's reps (Z_TEAM); ``profile`` covers the company."""
    z = team_z_scores(profile)
    return strengths_weaknesses(z[z["team"] == team], Z_TEAM, "team.swot.vs_company")


def comparison_period(period: Period, compare: str) -> Period:
    """The period growth is measured against: 'previous' or 'last_year' (same period)."""
    if compare == "last_year":
        return period.same_last_year()
    if compare == "previous":
        return period.previous()
    raise ValueError(compare)


_GROWTH_SQL = """
with won as (
    select d.amount, coalesce(c.segment, '') as segment, coalesce(p.name, d.product_id, '') as product,
           coalesce(d.channel, '') as channel, coalesce(c.region, r.region, '') as region,
           d.close_date between $start and $end as is_now
    from deals d
    left join reps r on r.rep_id = d.rep_id
    left join customers c on c.customer_id = d.customer_id
    left join products p on p.product_id = d.product_id
    where d.status = 'won'
      and (d.close_date between $start and $end or d.close_date between $bstart and $bend)
      and ($team::VARCHAR is null or r.team = $team) and ($rep::VARCHAR is null or d.rep_id = $rep)
),
slices as (
    select 'segment' as dimension, segment as name, is_now, amount from won
    union all select 'product', product, is_now, amount from won
    union all select 'channel', channel, is_now, amount from won
    union all select 'region', region, is_now, amount from won
)
select dimension, name,
       coalesce(sum(amount) filter (where is_now), 0)     as now,
       coalesce(sum(amount) filter (where not is_now), 0) as before,
       count(*) filter (where is_now)                     as deals_now,
       count(*) filter (where not is_now)                 as deals_before
from slices where name <> '' group by all
"""


def growth(con: Con, period: Period, scope: Scope = Scope(), compare: str = "previous") -> pd.DataFrame:
    """Revenue won per segment / product / channel / region in ``period`` against the
    comparison period (:func:`comparison_period`).

    Columns: dimension, name, now, before, deals_now, deals_before, change (now/before - 1,
    NaN when before is 0), share_now (of the scope's revenue now), share_before. Blank names
    are left out. Sorted by dimension, then now (largest first).
    """
    other = comparison_period(period, compare)
    frame = _query(con, _GROWTH_SQL, {"start": period.start, "end": period.end,
                                      "bstart": other.start, "bend": other.end,
                                      "team": scope.team, "rep": scope.rep_id})
    for col in ("now", "before"):
        frame[col] = frame[col].astype("float64")
    for col in ("deals_now", "deals_before"):
        frame[col] = frame[col].astype("int64")
    totals_now = frame.groupby("dimension")["now"].transform("sum")
    totals_before = frame.groupby("dimension")["before"].transform("sum")
    frame["change"] = frame["now"] / frame["before"].where(frame["before"] > 0) - 1
    frame["share_now"] = frame["now"] / totals_now.where(totals_now > 0)
    frame["share_before"] = frame["before"] / totals_before.where(totals_before > 0)
    return frame.sort_values(["dimension", "now", "name"], ascending=[True, False, True]).reset_index(drop=True)


def growth_items(frame: pd.DataFrame, compare: str = "previous") -> list[SwotItem]:
    """O: slices growing by GROWTH or more holding MIN_SHARE of revenue now; T: slices
    shrinking by GROWTH or more that held MIN_SHARE before. Both need MIN_DEALS won deals in
    the larger period; ranked by the money gained or lost, at most PER_DIMENSION per
    dimension and direction."""
    items = []
    enough = frame[["deals_now", "deals_before"]].max(axis=1) >= MIN_DEALS
    grow = frame[enough & (frame["change"] >= GROWTH) & (frame["share_now"] >= MIN_SHARE)]
    fall = frame[enough & (frame["change"] <= -GROWTH) & (frame["share_before"] >= MIN_SHARE)]
    for quadrant, part, key in (("O", grow, "team.swot.growing"), ("T", fall, "team.swot.declining")):
        part = part.assign(gain=(part["now"] - part["before"]).abs())
        part = part.sort_values(["gain", "name"], ascending=[False, True]).groupby("dimension").head(PER_DIMENSION)
        for row in part.itertuples(index=False):
            items.append(SwotItem(quadrant, key, {
                "dimension": row.dimension, "name": row.name, "now": float(row.now),
                "before": float(row.before), "change": float(row.change), "compare": compare},
                abs(float(row.now - row.before))))
    return items


def loss_shift(con: Con, end: date, scope: Scope = Scope(), months: int = LOSS_MONTHS) -> pd.DataFrame:
    """Lost deals per reason in the ``months`` months up to ``end``'s month against the
    ``months`` months before. Columns: reason, lost_now, lost_before, share_now,
    share_before (of all lost deals with a reason in the window), rise (points). Sorted by
    rise, largest first."""
    recent_start = _months_back(end, months)
    before_start = _months_back(recent_start - timedelta(days=1), months)
    sql = """
    select trim(d.lost_reason) as reason,
           count(*) filter (where d.close_date >= $rstart) as lost_now,
           count(*) filter (where d.close_date < $rstart)  as lost_before
    from deals d left join reps r on r.rep_id = d.rep_id
    where d.status = 'lost' and nullif(trim(d.lost_reason), '') is not null
      and d.close_date between $bstart and $end
      and ($team::VARCHAR is null or r.team = $team) and ($rep::VARCHAR is null or d.rep_id = $rep)
    group by 1
    """
    frame = _query(con, sql, {"rstart": recent_start, "bstart": before_start, "end": end,
                              "team": scope.team, "rep": scope.rep_id})
    for col in ("lost_now", "lost_before"):
        frame[col] = frame[col].astype("int64")
    now_total, before_total = frame["lost_now"].sum(), frame["lost_before"].sum()
    frame["share_now"] = frame["lost_now"] / now_total if now_total else np.nan
    frame["share_before"] = frame["lost_before"] / before_total if before_total else np.nan
    frame["rise"] = frame["share_now"] - frame["share_before"]
    return frame.sort_values(["rise", "reason"], ascending=[False, True]).reset_index(drop=True)


def loss_items(frame: pd.DataFrame, months: int = LOSS_MONTHS) -> list[SwotItem]:
    """T: loss reasons whose share of lost deals rose by LOSS_RISE or more (LOSS_MIN deals)."""
    hits = frame[(frame["rise"] >= LOSS_RISE) & (frame["lost_now"] >= LOSS_MIN)]
    return [SwotItem("T", "team.swot.loss_rising", {
        "reason": row.reason, "now": float(row.share_now), "before": float(row.share_before),
        "months": months}, float(row.rise) * 10) for row in hits.itertuples(index=False)]


def concentration(con: Con, end: date, scope: Scope = Scope(), top: int = CONCENTRATION_TOP,
                  months: int = CONCENTRATION_MONTHS) -> dict[str, Any]:
    """Share of the revenue won in the ``months`` months up to ``end``'s month that the
    ``top`` biggest customers bring (customers.concentration over that window). Keys:
    top_share (None without revenue), customers (buying customers), revenue_won, months, top."""
    conc = customers.concentration(con, _months_back(end, months), end, scope, top)
    return {"top_share": conc["top_share"], "customers": conc["customers"],
            "revenue_won": conc["revenue_won"], "months": months, "top": top}


def concentration_items(conc: dict[str, Any]) -> list[SwotItem]:
    """T: the top customers bring CONCENTRATION_SHARE or more of revenue (with at least
    CONCENTRATION_MIN_CUSTOMERS buying customers: a tiny book is concentrated by nature)."""
    share = conc["top_share"]
    if share is None or share < CONCENTRATION_SHARE or conc["customers"] < CONCENTRATION_MIN_CUSTOMERS:
        return []
    return [SwotItem("T", "team.swot.concentration",
                     {"share": share, "top": conc["top"], "months": conc["months"]}, share * 10)]


def opportunities_threats(con: Con, period: Period, scope: Scope = Scope(),
                          compare: str = "previous") -> list[SwotItem]:
    """O/T items of a scope (team or rep): growing and declining slices, rising loss reasons,
    customer concentration; at most MAX_ITEMS per quadrant, largest first."""
    items = [*growth_items(growth(con, period, scope, compare), compare),
             *loss_items(loss_shift(con, period.end, scope)),
             *concentration_items(concentration(con, period.end, scope))]
    return _top(items)


# Items that are rare and specific come before the (more numerous) growth slices.
_PRIORITY = {"team.swot.loss_rising": 0, "team.swot.concentration": 0}


def _top(items: list[SwotItem]) -> list[SwotItem]:
    out = []
    for q in QUADRANTS:
        mine = sorted((i for i in items if i.quadrant == q),
                      key=lambda i: (_PRIORITY.get(i.key, 1), -i.score))
        out.extend(mine[:MAX_ITEMS])
    return out


def swot(con: Con, period: Period, subject: str, subject_id: str,
         compare: str = "previous") -> list[SwotItem]:
    """The auto-SWOT of a team (``subject='team'``, id = team name) or a rep ('rep', rep_id):
    S/W from robust z-scores (team vs company, rep vs team), O/T from the data of that scope."""
    if subject == "team":
        profile = profiles(con, period.start, period.end)
        sw = team_strengths_weaknesses(profile, subject_id)
        scope = Scope(team=subject_id)
    elif subject == "rep":
        team = _rep_team(con, subject_id)
        profile = profiles(con, period.start, period.end, Scope(team=team))
        sw = rep_strengths_weaknesses(profile, subject_id)
        scope = Scope(rep_id=subject_id)
    else:
        raise ValueError(subject)
    return _top([*sw, *opportunities_threats(con, period, scope, compare)])


def _rep_team(con: Con, rep_id: str) -> str | None:
    with con.cursor() as cur:
        rows = cur.execute("select team from reps where rep_id = $r", {"r": rep_id}).fetchall()
    if not rows:
        raise SalesCoreError(f"No sales rep {rep_id}.", key="error.unknown_rep", name=rep_id)
    return rows[0][0]


def format_value(metric: str, value: Any, lang: str) -> str:
    """A profile figure formatted by its kind (KIND)."""
    kind = KIND.get(metric, "number")
    if kind == "pct":
        return fmt.pct(value, 0)
    if kind == "money":
        return fmt.money(value, lang, wan=True)
    if kind == "days":
        return fmt.days(value, lang)
    if kind == "score":
        return fmt.number(value, 1)
    return fmt.number(value)


def render(item: SwotItem, lang: str) -> str:
    """The item's sentence in ``lang`` (figures formatted, names translated)."""
    p = dict(item.params)
    if "metric" in p:
        p["value"] = format_value(p["metric"], p["value"], lang)
        p["ref"] = format_value(p["metric"], p["ref"], lang)
        p["metric"] = i18n.t(f"team.metric.{p['metric']}", lang)
    if "dimension" in p:
        p["dimension"] = i18n.t(f"team.dimension.{p['dimension']}", lang)
        p["now"] = fmt.money(p["now"], lang, wan=True)
        p["before"] = fmt.money(p["before"], lang, wan=True)
        p["change"] = f"{p['change']:+.0%}"
        p["compare"] = i18n.t(f"team.compare.{p['compare']}", lang)
    elif item.key == "team.swot.loss_rising":
        p["now"], p["before"] = fmt.pct(p["now"], 0), fmt.pct(p["before"], 0)
    elif item.key == "team.swot.concentration":
        p["share"] = fmt.pct(p["share"], 0)
    return i18n.t(item.key, lang, **p)


# --- SWOT notes (table swot_notes) ---------------------------------------------------------

NOTE_SCOPES = ("team", "rep")
MAX_NOTE = 500


def _check_note(scope: str, quadrant: Any, text: Any) -> str:
    if scope not in NOTE_SCOPES:
        raise ValueError(scope)
    if quadrant not in QUADRANTS:
        raise SalesCoreError(f"{quadrant!r} is not a SWOT quadrant (S, W, O or T).",
                             key="team.error.quadrant", value=str(quadrant))
    clean = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text).strip()
    if not clean:
        raise SalesCoreError("A note needs some text: delete the row instead of emptying it.",
                             key="team.error.empty_note")
    if len(clean) > MAX_NOTE:
        raise SalesCoreError(f"A note can hold {MAX_NOTE} characters at most.",
                             key="team.error.long_note", max=MAX_NOTE)
    return clean


def notes(con: Con, scope: str, scope_id: str) -> pd.DataFrame:
    """The stored notes of one subject: note_id, quadrant, text, origin (in S/W/O/T order,
    then the order they were written)."""
    with con.cursor() as cur:
        frame = cur.execute(
            "select note_id, quadrant, text, origin from swot_notes "
            "where scope = $scope and scope_id = $sid "
            "order by position(quadrant in 'SWOT'), note_id",
            {"scope": scope, "sid": scope_id}).df()
    frame["note_id"] = frame["note_id"].astype("int64")
    return frame


def add_note(con: Con, scope: str, scope_id: str, quadrant: str, text: str,
             origin: str = "manual") -> int:
    """Store one note; returns its note_id."""
    clean = _check_note(scope, quadrant, text)
    if origin not in ("auto", "manual"):
        raise ValueError(origin)
    with db.transaction(con) as cur:
        return int(cur.execute(
            "insert into swot_notes (scope, scope_id, quadrant, text, origin) "
            "values ($scope, $sid, $q, $text, $origin) returning note_id",
            {"scope": scope, "sid": scope_id, "q": quadrant, "text": clean, "origin": origin}
        ).fetchall()[0][0])


def update_note(con: Con, note_id: int, text: str, quadrant: str | None = None) -> None:
    """Change a note's text (and quadrant); an edited auto note stays marked auto."""
    with con.cursor() as cur:
        rows = cur.execute("select scope, quadrant from swot_notes where note_id = $id",
                           {"id": int(note_id)}).fetchall()
    if not rows:
        raise SalesCoreError(f"Note {note_id} no longer exists.", key="team.error.no_note")
    scope, old_q = rows[0]
    q = quadrant or old_q
    clean = _check_note(scope, q, text)
    with db.transaction(con) as cur:
        cur.execute("update swot_notes set text = $text, quadrant = $q where note_id = $id",
                    {"text": clean, "q": q, "id": int(note_id)})


def delete_note(con: Con, note_id: int) -> None:
    """Remove one note (nothing happens when it is already gone)."""
    with db.transaction(con) as cur:
        cur.execute("delete from swot_notes where note_id = $id", {"id": int(note_id)})


def sync_notes(con: Con, scope: str, scope_id: str, edited: pd.DataFrame) -> dict[str, int]:
    """Make the stored notes of one subject equal to ``edited`` (the board's editor table:
    note_id — blank for new rows —, quadrant, text), in one transaction.

    Stored notes missing from ``edited`` are deleted, changed ones updated, new rows added as
    manual notes (new rows with no text are ignored). Every row is checked before anything
    is written. Returns counts: added, updated, deleted.
    """
    current = notes(con, scope, scope_id).set_index("note_id")
    keep, changes, new = set(), [], []
    for row in edited.to_dict("records"):
        nid = row.get("note_id")
        is_new = nid is None or (isinstance(nid, float) and math.isnan(nid)) or pd.isna(nid)
        if is_new:
            text = row.get("text")
            if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
                continue
            new.append((row.get("quadrant"), _check_note(scope, row.get("quadrant"), text)))
            continue
        nid = int(nid)
        if nid not in current.index:
            continue
        keep.add(nid)
        clean = _check_note(scope, row.get("quadrant"), row.get("text"))
        old = current.loc[nid]
        if clean != old["text"] or row.get("quadrant") != old["quadrant"]:
            changes.append((nid, row.get("quadrant"), clean))
    gone = [int(n) for n in current.index if int(n) not in keep]
    with db.transaction(con) as cur:
        for nid in gone:
            cur.execute("delete from swot_notes where note_id = $id", {"id": nid})
        for nid, q, text in changes:
            cur.execute("update swot_notes set quadrant = $q, text = $text where note_id = $id",
                        {"q": q, "text": text, "id": nid})
        for q, text in new:
            cur.execute("insert into swot_notes (scope, scope_id, quadrant, text, origin) "
                        "values ($scope, $sid, $q, $text, 'manual')",
                        {"scope": scope, "sid": scope_id, "q": q, "text": text})
    return {"added": len(new), "updated": len(changes), "deleted": len(gone)}


def save_auto(con: Con, scope: str, scope_id: str, items: list[SwotItem], lang: str) -> int:
    """Store the rendered text of auto items as origin 'auto' notes, skipping items whose
    text is already on the board. Returns how many were added."""
    existing = set(zip(*[notes(con, scope, scope_id)[c] for c in ("quadrant", "text")])) \
        if len(notes(con, scope, scope_id)) else set()
    rows = []
    for item in items:
        text = render(item, lang)
        if (item.quadrant, text) not in existing:
            existing.add((item.quadrant, text))
            rows.append((item.quadrant, _check_note(scope, item.quadrant, text)))
    if rows:
        with db.transaction(con) as cur:
            for q, text in rows:
                cur.execute("insert into swot_notes (scope, scope_id, quadrant, text, origin) "
                            "values ($scope, $sid, $q, $text, 'auto')",
                            {"scope": scope, "sid": scope_id, "q": q, "text": text})
    return len(rows)


def board(stored: pd.DataFrame, items: list[SwotItem], lang: str) -> pd.DataFrame:
    """The 2x2 board's content: stored notes first, then auto items not stored yet.

    Columns: quadrant, text, origin (auto/manual), saved (bool), note_id (NaN when unsaved).
    """
    saved = stored.assign(saved=True)[["quadrant", "text", "origin", "saved", "note_id"]]
    have = set(zip(saved["quadrant"], saved["text"]))
    extra = [{"quadrant": i.quadrant, "text": render(i, lang), "origin": "auto", "saved": False,
              "note_id": np.nan} for i in items]
    extra = [e for e in extra if (e["quadrant"], e["text"]) not in have]
    out = pd.concat([saved.astype({"note_id": "float64"}),
                     pd.DataFrame(extra, columns=saved.columns)], ignore_index=True)
    out["order"] = out["quadrant"].map({q: i for i, q in enumerate(QUADRANTS)})
    out = out.sort_values(["order", "saved"], ascending=[True, False], kind="stable")
    return out.drop(columns="order").reset_index(drop=True)


def swot_xlsx(content: pd.DataFrame, lang: str, title: str) -> bytes:
    """The board as an XLSX workbook: sheet 1 the 2x2 grid (S|W over O|T), sheet 2 the list
    (quadrant, text, origin). ``content`` is :func:`board`'s frame. Text is escaped with
    :func:`safe_cell` and written as strings (never formulas)."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    head = book.add_format({"bold": True, "font_size": 12, "bg_color": "#e2e8f0", "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top", "border": 1})
    big = book.add_format({"bold": True, "font_size": 14})
    grid = book.add_worksheet("SWOT")
    grid.set_column(0, 1, 60)
    grid.write_string(0, 0, safe_cell(title), big)
    names = {q: i18n.t(f"team.quadrant.{q}", lang) for q in QUADRANTS}
    row = 2
    for left, right in (("S", "W"), ("O", "T")):
        grid.write_string(row, 0, names[left], head)
        grid.write_string(row, 1, names[right], head)
        lines_l = [safe_cell("• " + t) for t in content.loc[content["quadrant"] == left, "text"]]
        lines_r = [safe_cell("• " + t) for t in content.loc[content["quadrant"] == right, "text"]]
        grid.write_string(row + 1, 0, "\n".join(lines_l), wrap)
        grid.write_string(row + 1, 1, "\n".join(lines_r), wrap)
        grid.set_row(row + 1, max(60, 18 * max(len(lines_l), len(lines_r), 1)))
        row += 3
    sheet = book.add_worksheet(i18n.t("team.xlsx_list", lang)[:31])
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 80)
    sheet.set_column(2, 2, 10)
    for j, col in enumerate(("quadrant", "text", "origin")):
        sheet.write_string(0, j, i18n.t(f"team.col.{col}", lang), head)
    for i, rec in enumerate(content.to_dict("records"), start=1):
        sheet.write_string(i, 0, names[rec["quadrant"]])
        sheet.write_string(i, 1, safe_cell(str(rec["text"])))
        sheet.write_string(i, 2, i18n.t(f"team.origin.{rec['origin']}", lang))
    book.close()
    return out.getvalue()


def swot_png(content: pd.DataFrame, lang: str, title: str) -> bytes:
    """The board as a PNG picture (1600 px wide): :func:`salescore.charts.swot_board` rendered
    by vl-convert with the system CJK font. ``content`` is :func:`board`'s frame."""
    from salescore import charts, report   # Altair and vl-convert only when a picture is asked for

    return report.chart_png(charts.swot_board(content, lang, title), scale=2)


def swot_file_name(subject_id: str, period_label: str, ext: str) -> str:
    """``swot-<subject>-<period>.<ext>``, with characters a file system rejects replaced by _."""
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", str(subject_id)).strip("._") or "board"
    return f"swot-{safe}-{period_label}.{ext}"


# --- 3. role mix -----------------------------------------------------------------------------

ROLES = ("hunter", "farmer", "closer", "all_rounder", "unrated")


@dataclass(frozen=True)
class RoleRules:
    """The role rules, applied in this order (the first that fits wins):

    1. unrated: fewer than ``min_won`` deals won in the period (too little to judge);
    2. hunter: new-customer share of won revenue >= ``hunter_new_share``;
    3. farmer: repeat-revenue share >= ``farmer_repeat_share``;
    4. closer: win rate >= the team's ``closer_win_quantile`` quantile (P75) and sales cycle
       <= the team's median;
    5. all-rounder: everyone else.
    """

    hunter_new_share: float = 0.28
    farmer_repeat_share: float = 0.85
    closer_win_quantile: float = 0.75
    min_won: int = 5


def classify(profile: pd.DataFrame, rules: RoleRules = RoleRules()) -> pd.DataFrame:
    """Each rep's role by :class:`RoleRules`. Columns: rep_id, rep, team, role,
    new_revenue_share, repeat_revenue_share, win_rate, win_rate_p75 (of the team),
    sales_cycle_days, sales_cycle_days_median (of the team), deals_won, revenue_won."""
    p = profile.copy()
    p["win_rate_p75"] = p.groupby("team")["win_rate"].transform(
        lambda s: s.quantile(rules.closer_win_quantile))
    unrated = p["deals_won"] < rules.min_won
    hunter = p["new_revenue_share"] >= rules.hunter_new_share
    farmer = p["repeat_revenue_share"] >= rules.farmer_repeat_share
    closer = (p["win_rate"] >= p["win_rate_p75"]) & (p["sales_cycle_days"] <= p["sales_cycle_days_median"])
    p["role"] = np.select([unrated, hunter.fillna(False), farmer.fillna(False), closer.fillna(False)],
                          ["unrated", "hunter", "farmer", "closer"], default="all_rounder")
    cols = ["rep_id", "rep", "team", "role", "new_revenue_share", "repeat_revenue_share", "win_rate",
            "win_rate_p75", "sales_cycle_days", "sales_cycle_days_median", "deals_won", "revenue_won"]
    return p[cols].reset_index(drop=True)


def composition(roles: pd.DataFrame) -> pd.DataFrame:
    """Reps per team and role (every role present for every team, zeros included): team, role,
    reps."""
    teams = sorted(roles["team"].unique())
    grid = pd.MultiIndex.from_product([teams, list(ROLES)], names=["team", "role"])
    counts = roles.groupby(["team", "role"]).size().reindex(grid, fill_value=0)
    return counts.rename("reps").reset_index().astype({"reps": "int64"})


def new_customer_targets(con: Con, period: Period) -> pd.DataFrame:
    """new_customers targets per team over the period's months (a team without its own falls
    back to its reps' sum, metrics.targets_by): columns team, target. Empty when none exist."""
    goals = metrics.targets_by(con, period.months, "team", metric="new_customers")
    return goals.rename(columns={"grp": "team"})[["team", "target"]]


def role_gaps(profile: pd.DataFrame, roles: pd.DataFrame, goals: pd.DataFrame) -> pd.DataFrame:
    """Whether each team needs new customers and has a hunter for it.

    A team needs new customers when ``goals`` (:func:`new_customer_targets`) gives it a
    new_customers target > 0 (basis 'target'); when there are no new_customers targets at
    all, when its share of won revenue from new customers is at least the company's (basis
    'share'). ``flagged`` = needs new customers and has no hunter. Columns: team, hunters,
    farmers, closers, new_customer_target, new_revenue_share, company_new_revenue_share,
    basis, needs_new, flagged. ``profile`` should cover the company (the company's share).
    """
    teams = profile.groupby("team").agg(customer_revenue=("customer_revenue", "sum"),
                                        new_customer_revenue=("new_customer_revenue", "sum")).reset_index()
    teams["new_revenue_share"] = teams["new_customer_revenue"] / teams["customer_revenue"].where(
        teams["customer_revenue"] > 0)
    total = float(profile["customer_revenue"].sum())
    company = float(profile["new_customer_revenue"].sum()) / total if total > 0 else np.nan
    teams["company_new_revenue_share"] = company
    counts = composition(roles).pivot(index="team", columns="role", values="reps")
    for role, col in (("hunter", "hunters"), ("farmer", "farmers"), ("closer", "closers")):
        teams[col] = teams["team"].map(counts[role]).fillna(0).astype("int64")
    teams["new_customer_target"] = teams["team"].map(dict(zip(goals["team"], goals["target"]))).astype("float64")
    if goals.empty:
        teams["basis"] = "share"
        teams["needs_new"] = teams["new_revenue_share"].ge(company).fillna(False) & (not np.isnan(company))
    else:
        teams["basis"] = "target"
        teams["needs_new"] = teams["new_customer_target"].fillna(0) > 0
    teams["needs_new"] = teams["needs_new"].astype(bool)
    teams["flagged"] = teams["needs_new"] & (teams["hunters"] == 0)
    cols = ["team", "hunters", "farmers", "closers", "new_customer_target", "new_revenue_share",
            "company_new_revenue_share", "basis", "needs_new", "flagged"]
    return teams[cols].sort_values("team").reset_index(drop=True)


def next_hire(profile: pd.DataFrame, gaps: pd.DataFrame, rules: RoleRules = RoleRules()) -> dict[str, Any] | None:
    """The "next hire" profile as data (an i18n key under team.hire and its params).

    A flagged team (needs new customers, no hunter; the one with the largest new-customer
    need first) gets a hunter. Otherwise the team with the lowest median attainment (else
    revenue won) gets the role it has fewest of (hunter, farmer, closer), ideally strong on
    the team's weakest figure against the company. None without teams.
    """
    if gaps.empty:
        return None
    flagged = gaps[gaps["flagged"]]
    if len(flagged):
        row = flagged.sort_values(["new_customer_target", "new_revenue_share"], ascending=False,
                                  na_position="last").iloc[0]
        return {"key": "team.hire.hunter_gap", "params": {
            "team": row["team"], "share": rules.hunter_new_share, "basis": row["basis"],
            "target": row["new_customer_target"]}}
    med = profile.groupby("team").agg(attainment=("attainment", "median"), revenue=("revenue_won", "sum"))
    med = med[med.index.isin(gaps["team"])]
    by = "attainment" if med["attainment"].notna().any() else "revenue"
    team = str(med[by].sort_values(kind="stable").index[0])
    row = gaps[gaps["team"] == team].iloc[0]
    counts = {"hunter": row["hunters"], "farmer": row["farmers"], "closer": row["closers"]}
    role = min(counts, key=lambda r: (counts[r], ("hunter", "farmer", "closer").index(r)))
    z = team_z_scores(profile)
    z = z[(z["team"] == team)].dropna(subset=["better_z"]).sort_values("better_z")
    params = {"team": team, "role": role}
    if len(z) and z.iloc[0]["better_z"] <= -Z_TEAM:
        worst = z.iloc[0]
        return {"key": "team.hire.profile", "params": params | {
            "metric": worst["metric"], "value": float(worst["value"]), "ref": float(worst["median"])}}
    return {"key": "team.hire.profile_plain", "params": params}


def render_hire(hire: dict[str, Any], lang: str) -> str:
    """The next-hire sentence in ``lang``."""
    p = dict(hire["params"])
    if "role" in p:
        p["role"] = i18n.t(f"team.role.{p['role']}", lang)
    if "metric" in p:
        p["value"] = format_value(p["metric"], p["value"], lang)
        p["ref"] = format_value(p["metric"], p["ref"], lang)
        p["metric"] = i18n.t(f"team.metric.{p['metric']}", lang)
    if "share" in p:
        p["share"] = fmt.pct(p["share"], 0)
    if "basis" in p:
        target = p.pop("target")
        p["reason"] = (i18n.t("team.hire.reason_target", lang, target=fmt.number(target))
                       if p.pop("basis") == "target" else i18n.t("team.hire.reason_share", lang))
    return i18n.t(hire["key"], lang, **p)


# --- 4. training -----------------------------------------------------------------------------

TOPICS = ("skills", "product", "customer", "other")
#: A weakness in this figure calls for training on this topic.
WEAKNESS_TOPIC = {"win_rate": "skills", "sales_cycle_days": "skills", "new_customer_share": "skills",
                  "product_breadth": "product", "avg_deal_size": "product",
                  "satisfaction": "customer"}


def training_hours(con: Con, start: date, end: date, scope: Scope = Scope()) -> pd.DataFrame:
    """Training hours per rep and topic for courses starting in [start, end]: rep_id, rep,
    team, topic (blank/unknown topics -> 'other'), hours, courses. Sorted by rep then topic."""
    sql = """
    select t.rep_id, coalesce(any_value(r.name), t.rep_id) as rep, coalesce(any_value(r.team), '') as team,
           case when lower(trim(t.topic)) in ('skills', 'product', 'customer') then lower(trim(t.topic))
                else 'other' end as topic,
           coalesce(sum(t.hours), 0) as hours, count(*) as courses
    from trainings t left join reps r on r.rep_id = t.rep_id
    where t.start_date between $start and $end
      and ($team::VARCHAR is null or r.team = $team) and ($rep::VARCHAR is null or t.rep_id = $rep)
    group by t.rep_id, 4
    order by 2, 4
    """
    frame = _query(con, sql, {"start": start, "end": end, "team": scope.team, "rep": scope.rep_id})
    frame["hours"] = frame["hours"].astype("float64")
    frame["courses"] = frame["courses"].astype("int64")
    return frame


def training_links(profile: pd.DataFrame, hours: pd.DataFrame) -> pd.DataFrame:
    """Weaknesses (better_z <= -Z_REP) linked to the training topic that addresses them
    (WEAKNESS_TOPIC), with the hours the rep already had on that topic in ``hours``.

    Columns: rep_id, rep, team, metric, value, median, topic, topic_hours. Worst first.
    """
    z = z_scores(profile)
    weak = z[(z["better_z"] <= -Z_REP) & z["metric"].isin(list(WEAKNESS_TOPIC))].copy()
    weak["topic"] = weak["metric"].map(WEAKNESS_TOPIC)
    had = hours.groupby(["rep_id", "topic"])["hours"].sum()
    weak["topic_hours"] = [float(had.get((r, t), 0.0)) for r, t in zip(weak["rep_id"], weak["topic"])]
    weak = weak.sort_values(["better_z", "rep_id"])
    return weak[["rep_id", "rep", "team", "metric", "value", "median", "topic", "topic_hours"]].reset_index(drop=True)


def courses(con: Con) -> pd.DataFrame:
    """The training programmes: course, topic, start_date (first session), reps (attendees),
    hours (per attendee, mean). Latest first."""
    sql = """
    select course, coalesce(any_value(topic), 'other') as topic, min(start_date) as start_date,
           count(distinct rep_id) as reps, avg(hours) as hours
    from trainings group by course order by start_date desc, course
    """
    frame = _query(con, sql, {})
    frame["reps"] = frame["reps"].astype("int64")
    frame["start_date"] = pd.to_datetime(frame["start_date"]).dt.date
    return frame


@dataclass(frozen=True)
class ProgrammeEffect:
    """A training programme's effect on win rate (see :func:`programme_effect`)."""

    course: str
    start: date
    before: tuple[date, date]
    after: tuple[date, date]
    did: evaluation.DidEstimate
    units: pd.DataFrame = field(compare=False)

    @property
    def verdict(self) -> str:
        return evaluation.verdict(self.did)


def programme_effect(con: Con, course: str, months: int = 12, scope: Scope = Scope(),
                     as_of: date | None = None, n_boot: int = evaluation.N_BOOT,
                     seed: int = 0) -> ProgrammeEffect:
    """Difference-in-differences of win rate: reps who took ``course`` (trained) against the
    reps who did not (control), ``months`` calendar months before its first session against
    ``months`` months from it (the after window stops at ``as_of``, default the data's last
    date). A rep's win rate in a window = won / closed deals closed in it; reps with no
    closed deal in either window are left out. Bootstrap over reps (evaluation.diff_in_diff).

    ``units``: rep_id, rep, team, trained, before, after, change (win rates).
    Raises SalesCoreError when the course is unknown, the after window has no data yet, or
    fewer than 2 reps in a group have both windows.
    """
    with con.cursor() as cur:
        row = cur.execute("select min(start_date) from trainings where course = $c", {"c": course}).fetchall()
    start = row[0][0] if row else None
    if start is None:
        raise SalesCoreError(f"No training called {course}.", key="team.error.no_course", course=course)
    last = as_of or metrics.as_of(con)
    before = (_add_months(start, -months), start - timedelta(days=1))
    after_end = _add_months(start, months) - timedelta(days=1)
    if last is not None:
        after_end = min(after_end, last)
    if last is None or after_end < start:
        raise SalesCoreError("The programme started after the last data: no 'after' yet.",
                             key="team.error.no_after", course=course, start=start.isoformat())
    after = (start, after_end)
    sql = """
    with attendees as (select distinct rep_id from trainings where course = $course)
    select d.rep_id, coalesce(any_value(r.name), d.rep_id) as rep, coalesce(any_value(r.team), '') as team,
           d.rep_id in (select rep_id from attendees) as trained,
           case when d.close_date < $start then 'before' else 'after' end as period,
           count(*) filter (where d.status = 'won')::DOUBLE / count(*) as value
    from deals d left join reps r on r.rep_id = d.rep_id
    where d.status in ('won', 'lost') and d.close_date between $bstart and $aend
      and ($team::VARCHAR is null or r.team = $team)
    group by d.rep_id, 4, 5
    """
    frame = _query(con, sql, {"course": course, "start": start, "bstart": before[0],
                              "aend": after[1], "team": scope.team})
    did = evaluation.diff_in_diff(frame, unit="rep_id", group="trained", period="period",
                                  value="value", treated=True, n_boot=n_boot, seed=seed)
    units = evaluation.unit_changes(frame, unit="rep_id", group="trained", period="period", value="value")
    names = frame.drop_duplicates("rep_id").set_index("rep_id")
    units = units.rename(columns={"unit": "rep_id"})
    units.insert(1, "rep", units["rep_id"].map(names["rep"]))
    units.insert(2, "team", units["rep_id"].map(names["team"]))
    return ProgrammeEffect(course, start, before, after, did, units)


def render_effect(effect: ProgrammeEffect, lang: str) -> str:
    """The sentence on the programme's effect and whether it is distinguishable from noise."""
    d = effect.did
    params = {"course": effect.course, "effect": fmt.points(d.estimate, lang),
              "low": fmt.points(d.low, lang), "high": fmt.points(d.high, lang),
              "level": f"{d.level:.0%}", "trained": d.n_treated, "control": d.n_control}
    return i18n.t(f"team.effect.{effect.verdict}", lang, **params)


def subject_options(profile: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
    """Choices for the SWOT subject picker: 'team:<name>' then 'rep:<rep_id>' values, with a
    label per value (rep labels include their team)."""
    values, labels = [], {}
    for team in sorted(profile["team"].unique()):
        values.append(f"team:{team}")
        labels[f"team:{team}"] = team
    for row in profile.sort_values(["team", "rep"]).itertuples(index=False):
        values.append(f"rep:{row.rep_id}")
        labels[f"rep:{row.rep_id}"] = f"{row.rep} ({row.team})"
    return values, labels


def window_start(end: date, months: int) -> date:
    """The first day of the ``months``-month window ending with ``end``'s month."""
    return _months_back(end, months)



def effect_frame(effect: ProgrammeEffect) -> pd.DataFrame:
    """Mean win rate of trained and control reps before and after (the four DiD cells):
    columns group (trained/control), window (before/after), win_rate."""
    d = effect.did
    return pd.DataFrame({
        "group": ["trained", "trained", "control", "control"],
        "window": ["before", "after", "before", "after"],
        "win_rate": [d.treated_before, d.treated_after, d.control_before, d.control_after]})
