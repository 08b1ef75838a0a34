"""Key sales metrics (DESIGN.md section 4) as SQL over the canonical tables.

Every function takes an open connection, a date range (inclusive; ``None`` = unbounded) and an
optional scope (a team name or a rep_id), and returns plain numbers or frames whose columns use
the section 4 names. Figures that cannot be computed (no closed deals, no target) are ``None``
(NaN in frames), never zero and never an exception.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from salescore import db
from salescore.periods import Period, containing, default_for

Con = duckdb.DuckDBPyConnection

#: The section 4 figures :func:`kpis` returns, in display order.
KPI_NAMES = ("revenue_won", "deals_won", "deals_lost", "win_rate", "avg_deal_size",
             "sales_cycle_days", "sales_cycle_days_median", "new_customers", "repeat_rate",
             "open_deals", "open_pipeline", "velocity", "target", "attainment")

_MIN_DATE, _MAX_DATE = date(1, 1, 1), date(9999, 12, 31)

# Grouping expressions, chosen from this whitelist only (never from user input).
_GROUPS = {"all": "'all'", "team": "coalesce(r.team, '')", "rep": "d.rep_id"}


@dataclass(frozen=True)
class Scope:
    """Whose deals: the whole company, one team, or one rep."""

    team: str | None = None
    rep_id: str | None = None

    @property
    def level(self) -> str:
        return "rep" if self.rep_id else "team" if self.team else "company"


def _query(con: Con, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """Run ``sql`` binding only the ``$names`` it uses (DuckDB rejects unused parameters)."""
    used = set(re.findall(r"\$(\w+)", sql))
    with con.cursor() as cur:
        return cur.execute(sql, {k: v for k, v in params.items() if k in used}).df()


def _params(start: date | None, end: date | None, scope: Scope) -> dict[str, Any]:
    return {"start": start or _MIN_DATE, "end": end or _MAX_DATE,
            "open_start": start is None, "team": scope.team, "rep": scope.rep_id}


_SCOPED = """
    scoped as (
        select d.*, {group} as grp
        from deals d left join reps r on r.rep_id = d.rep_id
        where ($team::VARCHAR is null or r.team = $team)
          and ($rep::VARCHAR is null or d.rep_id = $rep)
    )"""

_CORE_SQL = """
with {scoped},
closed as (
    select * from scoped
    where status in ('won', 'lost') and close_date between $start and $end
),
closed_agg as (
    select grp,
           sum(amount) filter (where status = 'won')                 as revenue_won,
           count(*) filter (where status = 'won')                    as deals_won,
           count(*) filter (where status = 'lost')                   as deals_lost,
           avg(close_date - created_date) filter (where status = 'won'
               and created_date is not null)                         as sales_cycle_days,
           percentile_cont(0.5) within group (order by close_date - created_date)
               filter (where status = 'won' and created_date is not null)
                                                                     as sales_cycle_days_median
    from closed group by grp
),
first_won as (   -- each customer's first won deal ever (any rep), then scoped
    select {group} as grp, d.close_date
    from (select rep_id, close_date,
                 row_number() over (partition by customer_id order by close_date, deal_id) as rn
          from deals where status = 'won' and customer_id is not null and close_date is not null) d
    left join reps r on r.rep_id = d.rep_id
    where d.rn = 1 and d.close_date between $start and $end
      and ($team::VARCHAR is null or r.team = $team) and ($rep::VARCHAR is null or d.rep_id = $rep)
),
new_agg as (select grp, count(*) as new_customers from first_won group by grp),
buyers as (      -- customers with a won deal in the period, per group
    select grp, customer_id, count(*) as n_won
    from closed where status = 'won' and customer_id is not null group by grp, customer_id
),
repeat_agg as (
    select b.grp,
           avg(case when $open_start then (b.n_won > 1)::INTEGER
                    else (exists (select 1 from deals p where p.customer_id = b.customer_id
                                  and p.status = 'won' and p.close_date < $start))::INTEGER
               end) as repeat_rate
    from buyers b group by b.grp
),
open_agg as (    -- open at the end of the period: created by then and not yet closed
    select grp, count(*) as open_deals, sum(amount) as open_pipeline
    from scoped
    where (created_date is null or created_date <= $end)
      and (status = 'open' or close_date > $end)
    group by grp
),
groups as (
    select grp from closed_agg union select grp from open_agg union select grp from new_agg
)
select g.grp,
       coalesce(c.revenue_won, 0) as revenue_won,
       coalesce(c.deals_won, 0)   as deals_won,
       coalesce(c.deals_lost, 0)  as deals_lost,
       c.deals_won::DOUBLE / nullif(c.deals_won + c.deals_lost, 0) as win_rate,
       c.revenue_won / nullif(c.deals_won, 0)                     as avg_deal_size,
       c.sales_cycle_days, c.sales_cycle_days_median,
       coalesce(n.new_customers, 0) as new_customers,
       rp.repeat_rate,
       coalesce(o.open_deals, 0)    as open_deals,
       coalesce(o.open_pipeline, 0) as open_pipeline
from groups g
left join closed_agg c using (grp)
left join new_agg n using (grp)
left join repeat_agg rp using (grp)
left join open_agg o using (grp)
"""


def _core(con: Con, start: date | None, end: date | None, scope: Scope, group: str) -> pd.DataFrame:
    sql = _CORE_SQL.format(scoped=_SCOPED.format(group=_GROUPS[group]), group=_GROUPS[group])
    frame = _query(con, sql, _params(start, end, scope))
    for col in ("revenue_won", "open_pipeline", "avg_deal_size"):
        frame[col] = frame[col].astype("float64")
    for col in ("deals_won", "deals_lost", "new_customers", "open_deals"):
        frame[col] = frame[col].astype("int64")
    frame["velocity"] = velocity(frame["open_deals"], frame["win_rate"], frame["avg_deal_size"],
                                 frame["sales_cycle_days"])
    return frame


def velocity(open_deals: Any, win_rate: Any, avg_deal_size: Any, cycle_days: Any) -> Any:
    """Sales velocity per day = open deals x win_rate x avg_deal_size / mean cycle (DESIGN §4).

    Works on scalars and on pandas Series; a zero or missing cycle gives NaN.
    """
    if isinstance(cycle_days, pd.Series):
        cycle = cycle_days.astype("float64").where(cycle_days.astype("float64") > 0)
        return (open_deals.astype("float64") * win_rate.astype("float64")
                * avg_deal_size.astype("float64") / cycle)
    if any(_missing(v) for v in (open_deals, win_rate, avg_deal_size, cycle_days)) or not cycle_days:
        return None
    return float(open_deals) * float(win_rate) * float(avg_deal_size) / float(cycle_days)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _clean(value: Any) -> Any:
    """numpy/NaN/Decimal -> plain Python numbers, NaN -> None."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def months_between(start: date | None, end: date | None, con: Con | None = None) -> list[str]:
    """YYYY-MM months from start to end; open ends take the data's date range."""
    if start is None or end is None:
        lo, hi = data_range(con) if con is not None else (None, None)
        start = start or lo
        end = end or hi
        if start is None or end is None:
            return []
    return Period(containing(start, "month").start, end, "month").months


def active_scenario(con: Con) -> str:
    """The target scenario in use (settings 'active_scenario', else 'base')."""
    return str(db.get_setting(con, "active_scenario", "base") or "base")


def target(con: Con, months: list[str], scope: Scope = Scope(), metric: str = "revenue",
           scenario: str | None = None) -> float | None:
    """The target of ``scope`` summed over ``months`` (None when no target is set).

    A team or the company without targets of its own falls back to the sum of its reps'
    (and a company without team targets to the sum of the teams').
    """
    frame = targets_by(con, months, scope.level if scope.level != "company" else "company",
                       metric=metric, scenario=scenario, team=scope.team, rep_id=scope.rep_id)
    if frame.empty:
        return None
    return float(frame["target"].sum())


def targets_by(con: Con, months: list[str], level: str, *, metric: str = "revenue",
               scenario: str | None = None, team: str | None = None,
               rep_id: str | None = None, by_month: bool = False) -> pd.DataFrame:
    """Targets over ``months`` per group of ``level`` (company/team/rep): columns grp, target
    (and month first when ``by_month``).

    Explicit targets of the level win, month by month; a month without one falls back to the
    sum of the level below (company -> teams -> reps).
    """
    scenario = scenario or active_scenario(con)
    sql = """
    with t as (select * from targets
               where scenario = $scenario and metric = $metric and list_contains($months, period)),
    rep_t as (
        select t.period, t.scope_id as grp, r.team, sum(t.value) as v
        from t left join reps r on r.rep_id = t.scope_id
        where t.scope = 'rep' group by all
    ),
    team_t as (
        select coalesce(e.period, f.period) as period, coalesce(e.grp, f.grp) as grp,
               coalesce(e.v, f.v) as v from
        (select period, scope_id as grp, sum(value) as v from t where scope = 'team' group by 1, 2) e
        full join (select period, team as grp, sum(v) as v from rep_t where team is not null group by 1, 2) f
        on e.period = f.period and e.grp = f.grp
    ),
    company_t as (
        select coalesce(e.period, f.period) as period, 'all' as grp, coalesce(e.v, f.v) as v from
        (select period, sum(value) as v from t where scope = 'company' group by 1) e
        full join (select period, sum(v) as v from team_t group by 1) f on e.period = f.period
    ),
    levels as (
        select 'company' as level, period, grp, v from company_t
        union all select 'team', period, grp, v from team_t
        union all select 'rep', period, grp, v from rep_t
    )
    select period as month, grp, v as target from levels
    where level = $level and v is not null
      and ($team::VARCHAR is null or $level <> 'team' or grp = $team)
      and ($rep::VARCHAR is null or $level <> 'rep' or grp = $rep)
    """
    with con.cursor() as cur:
        frame = cur.execute(sql, {"scenario": scenario, "metric": metric, "months": months,
                                  "level": level, "team": team, "rep": rep_id}).df()
    frame["target"] = frame["target"].astype("float64")
    if by_month:
        return frame[["month", "grp", "target"]]
    return frame.groupby("grp", as_index=False)["target"].sum()[["grp", "target"]]


def kpis(con: Con, start: date | None = None, end: date | None = None,
         scope: Scope = Scope()) -> dict[str, Any]:
    """The section 4 figures for one scope and date range, as plain Python numbers.

    Keys: KPI_NAMES. ``target`` is the revenue target of the same scope and months;
    ``attainment`` = revenue_won / target (None without a target).
    """
    frame = _core(con, start, end, scope, "all")
    row = frame.iloc[0].to_dict() if len(frame) else {}
    out = {name: _clean(row.get(name)) for name in KPI_NAMES if name not in ("target", "attainment")}
    for name in ("revenue_won", "deals_won", "deals_lost", "new_customers", "open_deals", "open_pipeline"):
        out[name] = out[name] if out[name] is not None else 0
    goal = target(con, months_between(start, end, con), scope)
    out["target"] = goal
    out["attainment"] = out["revenue_won"] / goal if goal else None
    return out


def by_group(con: Con, start: date | None, end: date | None, level: str,
             scope: Scope = Scope()) -> pd.DataFrame:
    """Section 4 figures per team (``level='team'``) or per rep (``'rep'``).

    Columns: team (and rep_id, rep for reps), the KPI_NAMES; every rep/team appears, idle ones
    with zeros. Sorted by revenue_won, highest first.
    """
    frame = _core(con, start, end, scope, level).rename(columns={"grp": "key"})
    goals = targets_by(con, months_between(start, end, con), level,
                       team=scope.team, rep_id=scope.rep_id).rename(columns={"grp": "key"})
    with con.cursor() as cur:
        if level == "rep":
            names = cur.execute(
                "select rep_id as key, name as rep, coalesce(team, '') as team, active from reps "
                "where ($team::VARCHAR is null or team = $team) and ($rep::VARCHAR is null or rep_id = $rep)",
                {"team": scope.team, "rep": scope.rep_id}).df()
        else:
            names = cur.execute(
                "select distinct coalesce(team, '') as key from reps "
                "where ($team::VARCHAR is null or team = $team)", {"team": scope.team}).df()
    out = names.merge(frame, on="key", how="outer").merge(goals, on="key", how="left")
    if level == "rep":
        out = out.rename(columns={"key": "rep_id"})
        out["rep"] = out["rep"].fillna(out["rep_id"])
        out["active"] = out["active"].fillna(True).astype(bool)
        # reps with no deals, no target and no longer active are history, not the team
        keep = out["active"] | out["revenue_won"].fillna(0).gt(0) | out["target"].notna()
        out = out[keep].drop(columns="active")
    else:
        out = out.rename(columns={"key": "team"})
    for col in ("revenue_won", "deals_won", "deals_lost", "new_customers", "open_deals", "open_pipeline"):
        out[col] = out[col].fillna(0)
    out["attainment"] = out["revenue_won"] / out["target"].where(out["target"] > 0)
    return out.sort_values(["revenue_won", out.columns[0]], ascending=[False, True]).reset_index(drop=True)


def leaderboard(con: Con, start: date | None, end: date | None, scope: Scope = Scope(),
                top: int = 10) -> pd.DataFrame:
    """The 销售明星榜: reps ranked by revenue_won (ties share a rank).

    Columns: rank, rep_id, rep, team, revenue_won, deals_won, win_rate, attainment, new_customers.
    """
    return leaderboard_from(by_group(con, start, end, "rep", scope), top)


def leaderboard_from(reps: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The leaderboard from a :func:`by_group` rep frame (see :func:`leaderboard`)."""
    reps = reps[reps["revenue_won"] > 0].copy()
    reps["rank"] = reps["revenue_won"].rank(method="min", ascending=False).astype("int64")
    cols = ["rank", "rep_id", "rep", "team", "revenue_won", "deals_won", "win_rate", "attainment",
            "new_customers"]
    return reps.sort_values(["rank", "rep"])[cols].head(top).reset_index(drop=True)


def monthly(con: Con, start: date | None, end: date | None, scope: Scope = Scope()) -> pd.DataFrame:
    """Revenue won and target per month: columns month (YYYY-MM), revenue_won, target,
    deals_won, win_rate. Months with no deals appear with zero revenue."""
    months = months_between(start, end, con)
    sql = """
    with {scoped}
    select strftime(close_date, '%Y-%m') as month,
           sum(amount) filter (where status = 'won') as revenue_won,
           count(*) filter (where status = 'won')    as deals_won,
           count(*) filter (where status = 'won')::DOUBLE / nullif(count(*), 0) as win_rate
    from scoped
    where status in ('won', 'lost') and close_date between $start and $end
    group by 1
    """.format(scoped=_SCOPED.format(group="'all'"))
    frame = _query(con, sql, _params(start, end, scope))
    base = pd.DataFrame({"month": months})
    out = base.merge(frame, on="month", how="left")
    goals = targets_by(con, months, scope.level, team=scope.team, rep_id=scope.rep_id,
                       by_month=True).groupby("month")["target"].sum()
    out["target"] = out["month"].map(goals).astype("float64")
    out["revenue_won"] = out["revenue_won"].astype("float64").fillna(0.0)
    out["deals_won"] = out["deals_won"].fillna(0).astype("int64")
    return out[["month", "revenue_won", "target", "deals_won", "win_rate"]]


# --- stages and the funnel -----------------------------------------------------------------

# Typical position of a stage name in a B2B funnel, by keyword (both languages).
_STAGE_HINTS: list[tuple[int, re.Pattern[str]]] = [
    (10, re.compile(r"lead|prospect|线索|潜在|初步接触|new\b", re.I)),
    (20, re.compile(r"engag|contact|接洽|联系|拜访", re.I)),
    (30, re.compile(r"qualif|discovery|needs|需求|确认|意向", re.I)),
    (40, re.compile(r"demo|solution|proposal|quote|方案|报价|演示", re.I)),
    (50, re.compile(r"negotiat|contract|commit|谈判|商务|合同|审批", re.I)),
]
_TERMINAL = re.compile(r"^(closed\s*)?(won|lost)$|赢单|输单|成交|丢单|失败|签约", re.I)


def stage_order(con: Con) -> list[str]:
    """The ordered open stages: the saved order (settings 'stage_order') when there is one,
    else detected from the stage names in the data (typical funnel keywords, then volume)."""
    saved = db.get_setting(con, "stage_order")
    if saved:
        return [str(s) for s in saved]
    return detect_stage_order(con)


def detect_stage_order(con: Con) -> list[str]:
    """Guess the funnel order of the open stages found in deals (won/lost names excluded)."""
    with con.cursor() as cur:
        rows = cur.execute(
            "select stage, count(*) from deals where stage is not null and status <> 'won' "
            "group by stage").fetchall()
    ranked = []
    for stage, count in rows:
        if _TERMINAL.search(str(stage).strip()):
            continue
        hint = next((rank for rank, pat in _STAGE_HINTS if pat.search(str(stage))), 99)
        ranked.append((hint, -int(count), str(stage)))
    return [stage for _, _, stage in sorted(ranked)]


def funnel(con: Con, start: date | None = None, end: date | None = None, scope: Scope = Scope(),
           stages: list[str] | None = None) -> pd.DataFrame:
    """Stage conversion (DESIGN §4) for deals created in the range.

    A deal at stage k, or won, counts as having reached every earlier stage; a deal whose
    stage is not in the list (a bare "Lost") counts as reaching the first stage only.
    Columns: stage, reached, value (amount of the deals that reached it),
    conversion_to_next (NaN on the last row, which is the won count).
    """
    stages = stages if stages is not None else stage_order(con)
    if not stages:
        return pd.DataFrame(columns=["stage", "reached", "value", "conversion_to_next"])
    order = pd.DataFrame({"stage": stages, "k": range(1, len(stages) + 1)})
    won_k = len(stages) + 1
    sql = """
    with {scoped},
    pos as (
        select case when s.status = 'won' then $won_k else coalesce(o.k, 1) end as k, s.amount
        from scoped s left join stage_list o on o.stage = s.stage
        where (s.created_date is null and $open_start) or s.created_date between $start and $end
    )
    select l.k, count(p.k) as reached, coalesce(sum(p.amount), 0) as value
    from (select k from stage_list union all select $won_k) l
    left join pos p on p.k >= l.k
    group by l.k order by l.k
    """.format(scoped=_SCOPED.format(group="'all'"))
    with con.cursor() as cur:
        cur.register("stage_list", order)
        params = _params(start, end, scope) | {"won_k": won_k}
        frame = cur.execute(sql, params).df()
        cur.unregister("stage_list")
    frame["stage"] = stages + ["won"]
    frame["reached"] = frame["reached"].astype("int64")
    frame["value"] = frame["value"].astype("float64")
    nxt = frame["reached"].shift(-1)
    frame["conversion_to_next"] = nxt / frame["reached"].where(frame["reached"] > 0)
    return frame[["stage", "reached", "value", "conversion_to_next"]]


# --- dates, periods, pacing and alerts -----------------------------------------------------

def data_range(con: Con) -> tuple[date | None, date | None]:
    """The first and last date found in deals (created or closed)."""
    with con.cursor() as cur:
        lo, hi = cur.execute(
            "select least(min(created_date), min(close_date)), "
            "greatest(max(created_date), max(close_date)) from deals").fetchall()[0]
    return lo, hi


def as_of(con: Con) -> date | None:
    """The data's "today": the last date found in deals (no hidden call to date.today())."""
    return data_range(con)[1]


def default_period(con: Con, kind: str = "month") -> Period | None:
    """The latest complete period of ``kind`` in the data (None for an empty database)."""
    first, last = data_range(con)
    if first is None or last is None:
        return None
    return default_for(first, last, kind)


def pace(period: Period, when: date | None) -> float:
    """Share of the period's calendar days elapsed on ``when`` (1.0 for a finished period)."""
    if when is None or when >= period.end:
        return 1.0
    if when < period.start:
        return 0.0
    return ((when - period.start).days + 1) / ((period.end - period.start).days + 1)


def alerts(con: Con, period: Period, scope: Scope = Scope(), when: date | None = None,
           behind: float = 0.10) -> list[dict[str, Any]]:
    """Plain-language alerts for the Overview (queries, then :func:`alerts_from`)."""
    when = when or as_of(con)
    prev_p = period.previous()
    return alerts_from(
        by_group(con, period.start, period.end, "team", scope),
        by_group(con, period.start, period.end, "rep", scope),
        kpis(con, period.start, period.end, scope), kpis(con, prev_p.start, prev_p.end, scope),
        pace(period, when), prev_p.label, behind)


def alerts_from(teams: pd.DataFrame, reps: pd.DataFrame, now: dict[str, Any],
                before: dict[str, Any], share: float, previous: str,
                behind: float = 0.10) -> list[dict[str, Any]]:
    """Alerts from figures already computed (by_group frames and kpis dicts), as i18n keys:

    - a team whose attainment is more than ``behind`` below its time pace ``share``,
    - a team well ahead of pace (> +15%),
    - the reps under 70% of pace (one line, weakest first), and the best rep over 120%,
    - a win rate down more than 5 points on the previous period.
    Each item: {"level": "warning"|"success"|"info", "key": "alert.xxx", "params": {...}}.
    """
    items: list[dict[str, Any]] = []
    if share <= 0:
        return items
    for row in teams.itertuples():
        if not row.team or _missing(row.attainment):
            continue
        gap = row.attainment / share - 1
        if gap <= -behind:
            items.append({"level": "warning", "key": "alert.team_behind",
                          "params": {"team": row.team, "gap": abs(gap)}})
        elif gap >= 0.15:
            items.append({"level": "success", "key": "alert.team_ahead",
                          "params": {"team": row.team, "gap": gap}})
    reps = reps[reps["attainment"].notna()]
    behind_reps = reps[reps["attainment"] / share < 0.70].sort_values("attainment")
    if len(behind_reps):
        names = list(behind_reps["rep"])
        items.append({"level": "warning", "key": "alert.reps_behind",
                      "params": {"count": len(names),
                                 "reps": "、".join(names[:5]) + ("…" if len(names) > 5 else "")}})
    stars = reps[reps["attainment"] / share >= 1.20]
    if len(stars):
        best = stars.sort_values("attainment", ascending=False).iloc[0]
        items.append({"level": "success", "key": "alert.rep_star",
                      "params": {"rep": best["rep"], "attainment": best["attainment"]}})
    if now["win_rate"] is not None and before["win_rate"] is not None \
            and now["win_rate"] - before["win_rate"] <= -0.05:
        items.append({"level": "warning", "key": "alert.win_rate_down",
                      "params": {"now": now["win_rate"], "before": before["win_rate"],
                                 "previous": previous}})
    return items


def summary(con: Con, start: date | None = None, end: date | None = None,
            scope: Scope = Scope()) -> dict[str, Any]:
    """What ``python -m salescore metrics --json`` prints (DESIGN §6):
    {"totals": {...}, "by_rep": [{"rep": name, ...}], "funnel": [{"stage", "reached",
    "conversion_to_next"}]}, plain numbers with the section 4 names."""
    totals = kpis(con, start, end, scope)
    reps = by_group(con, start, end, "rep", scope)
    by_rep = []
    for record in reps.to_dict("records"):
        by_rep.append({k: _clean(v) for k, v in record.items()})
    stages = funnel(con, start, end, scope)
    funnel_rows = [{"stage": r["stage"], "reached": int(r["reached"]),
                    "conversion_to_next": _clean(r["conversion_to_next"])}
                   for r in stages.to_dict("records")]
    return {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
            "totals": totals, "by_rep": by_rep, "funnel": funnel_rows}


def rep_id_by_name(con: Con, name: str) -> str:
    """The rep_id of the rep called ``name`` (or with that id); SalesCoreError when unknown."""
    from salescore.errors import SalesCoreError

    with con.cursor() as cur:
        rows = cur.execute("select rep_id from reps where name = $n or rep_id = $n order by rep_id",
                           {"n": name}).fetchall()
    if not rows:
        raise SalesCoreError(f"No sales rep called {name!r} in the database.", key="error.unknown_rep",
                             name=name)
    return rows[0][0]
