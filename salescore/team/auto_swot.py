"""The auto-SWOT of a team or a rep, as data: strengths and weaknesses from robust z-scores
(team vs company, rep vs team), opportunities and threats from the data of that scope
(growing and declining slices, rising loss reasons, customer concentration)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from salescore import customers, fmt, i18n, sql
from salescore.errors import SalesCoreError
from salescore.periods import Period, month_start
from salescore.scope import Scope
from salescore.team.core import Z_REP, Z_TEAM, Con, format_value
from salescore.team.profile import profiles, team_z_scores, z_scores

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


_GROWTH_SQL = f"""
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
      and {sql.in_scope()}
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
from slices where name <> '' group by 1, 2
"""


def growth(con: Con, period: Period, scope: Scope = Scope(), compare: str = "previous") -> pd.DataFrame:
    """Revenue won per segment / product / channel / region in ``period`` against the
    comparison period (:func:`comparison_period`).

    Columns: dimension, name, now, before, deals_now, deals_before, change (now/before - 1,
    NaN when before is 0), share_now (of the scope's revenue now), share_before. Blank names
    are left out. Sorted by dimension, then now (largest first).
    """
    other = comparison_period(period, compare)
    frame = sql.run(con, _GROWTH_SQL, {"start": period.start, "end": period.end,
                                       "bstart": other.start, "bend": other.end, **scope.params})
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
    recent_start = month_start(end, months - 1)
    before_start = month_start(recent_start, months)
    text = f"""
    select trim(d.lost_reason) as reason,
           count(*) filter (where d.close_date >= $rstart) as lost_now,
           count(*) filter (where d.close_date < $rstart)  as lost_before
    from deals d left join reps r on r.rep_id = d.rep_id
    where d.status = 'lost' and nullif(trim(d.lost_reason), '') is not null
      and d.close_date between $bstart and $end
      and {sql.in_scope()}
    group by 1
    """
    frame = sql.run(con, text, {"rstart": recent_start, "bstart": before_start, "end": end,
                                **scope.params})
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
    conc = customers.concentration(con, month_start(end, months - 1), end, scope, top)
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
    rows = sql.rows(con, "select team from reps where rep_id = $r", {"r": rep_id})
    if not rows:
        raise SalesCoreError(f"No sales rep {rep_id}.", key="error.unknown_rep", name=rep_id)
    return rows[0][0]


def render(item: SwotItem, lang: str, currency: str = fmt.CURRENCY) -> str:
    """The item's sentence in ``lang`` (figures formatted, money with ``currency``, the
    reporting currency's symbol; names translated)."""
    p = dict(item.params)
    if "metric" in p:
        p["value"] = format_value(p["metric"], p["value"], lang, currency)
        p["ref"] = format_value(p["metric"], p["ref"], lang, currency)
        p["metric"] = i18n.t(f"team.metric.{p['metric']}", lang)
    if "dimension" in p:
        p["dimension"] = i18n.t(f"team.dimension.{p['dimension']}", lang)
        p["now"] = fmt.money(p["now"], lang, wan=True, currency=currency)
        p["before"] = fmt.money(p["before"], lang, wan=True, currency=currency)
        p["change"] = f"{p['change']:+.0%}"
        p["compare"] = i18n.t(f"team.compare.{p['compare']}", lang)
    elif item.key == "team.swot.loss_rising":
        p["now"], p["before"] = fmt.pct(p["now"], 0), fmt.pct(p["before"], 0)
    elif item.key == "team.swot.concentration":
        p["share"] = fmt.pct(p["share"], 0)
    return i18n.t(item.key, lang, **p)
