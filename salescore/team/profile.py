"""Rep profiles: the §4 figures of :func:`salescore.metrics.by_group` per rep, plus the
profile figures §4 does not define, in one SQL pass over whole tables (see the package
docstring), robust z-scores against the team, and a rep's trend against the team median."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from salescore import metrics, sql
from salescore.periods import Period, month_start
from salescore.scope import Scope
from salescore.team.core import (LOWER_IS_BETTER, MAD_SCALE, MEANAD_SCALE, PROFILE_METRICS,
                                 SATISFACTION_MONTHS, SWOT_METRICS, Con)

_EXTRAS_SQL = f"""
with first_won as (   -- each customer's first won deal ever (DESIGN §4 new_customers, the
                      -- only notion: deals.is_new_customer is the file's claim, not counted):
                      -- metrics.first_won, once per data version; other won deals: not first
    select deal_id, true as is_first from _first_won
),
won as (
    select d.rep_id, d.amount, d.product_id, d.customer_id is not null as known,
           {metrics.DEAL.replace("amount", "d.amount")} as is_deal,   -- a credit is not a deal
           coalesce(f.is_first, false) as is_first
    from deals d left join first_won f on f.deal_id = d.deal_id
    where d.status = 'won' and d.close_date between $start and $end
),
won_agg as (
    select rep_id,
           count(*) filter (where known and is_deal)                      as won_with_customer,
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
    select customer_id, {{owner}} as rep_id
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
where {sql.in_team()}
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
    text = _EXTRAS_SQL.replace("{owner}", sql.arg_max(con, "rep_id", "close_date", "deal_id"))
    extras = sql.run(con, text, {
        "start": start, "end": end, "team": scope.team,
        "sat_start": month_start(end, SATISFACTION_MONTHS - 1)},
        prepare=lambda cur: metrics.register_first_won(con, cur, text))
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
    text = f"""
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
               avg((d.close_date - d.created_date)::FLOAT8) filter (where d.status = 'won'
                   and d.created_date is not null) as sales_cycle_days
        from deals d
        where d.status in ('won', 'lost') and d.close_date between $start and $end
          and d.rep_id in (select rep_id from mates)
        group by 1, 2
    ),
    act as (
        select a.rep_id, {act_bucket} as period, count(*) as activities
        from activities a
        where a.activity_date between $start and $end and a.rep_id in (select rep_id from mates)
        group by 1, 2
    )
    select coalesce(c.rep_id, a.rep_id) as rep_id, coalesce(c.period, a.period) as period,
           coalesce(c.revenue_won, 0) as revenue_won, coalesce(c.deals_won, 0) as deals_won,
           coalesce(c.deals_closed, 0) as deals_closed, c.sales_cycle_days,
           coalesce(a.activities, 0) as activities
    from closed c full join act a on a.rep_id = c.rep_id and a.period = c.period
    """
    frame = sql.run(con, text, {"rep": rep_id, "start": periods[0].start, "end": period.end})
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


def subject_options(profile: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
    """Choices for the SWOT subject picker: 'team:<name>' then 'rep:<rep_id>' values, with a
    label per value (rep labels include their team)."""
    values, labels = [], {}
    for team in sorted(profile["team"].unique()):
        values.append(f"team:{team}")
        labels[f"team:{team}"] = team
    for row in profile.sort_values(["team", "rep"]).itertuples(index=False):
        values.append(f"rep:{row.rep_id}")
        labels[f"rep:{row.rep_id}"] = _with_team(row.rep, row.team)
    return values, labels


def _with_team(rep: object, team: object) -> str:
    """"rep (team)", or the rep alone when the rep has no team (not "张伟 ()")."""
    name = "" if team is None or team != team else str(team).strip()
    return f"{rep} ({name})" if name else str(rep)


def window_start(end: date, months: int) -> date:
    """The first day of the ``months``-month window ending with ``end``'s month."""
    return month_start(end, months - 1)


#: What a profile may lack, in the order the page explains it: i18n key under team.missing.
MISSING = ("deals", "activities", "satisfaction", "targets")


def missing_data(profile: pd.DataFrame) -> list[str]:
    """The kinds of data a :func:`profiles` frame has none of (MISSING order): deals (no
    deal won or lost in the period), activities, satisfaction (no survey), targets (no
    attainment for anyone)."""
    gaps = {"deals": int((profile["deals_won"] + profile["deals_lost"]).sum()) == 0,
            "activities": float(profile["activities"].sum()) == 0,
            "satisfaction": bool(profile["satisfaction"].isna().all()),
            "targets": bool(profile["attainment"].isna().all())}
    return [k for k in MISSING if gaps[k]]


def rep_labels(profile: pd.DataFrame) -> dict[str, str]:
    """{rep_id: "rep (team)"} in the profile's order, for the rep picker; a rep without a
    team is their name alone."""
    return {r: _with_team(name, tm) for r, name, tm in
            zip(profile["rep_id"], profile["rep"], profile["team"])}
