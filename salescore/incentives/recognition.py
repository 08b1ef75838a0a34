"""Recognition (DESIGN.md section 5, 销售明星榜): the star board from a payouts table, the
non-cash rewards earned, and the reps ready for promotion (attainment held period after period)."""
from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from salescore import metrics, sql
from salescore.incentives.plan import EPS
from salescore.periods import Period
from salescore.scope import Scope

Con = duckdb.DuckDBPyConnection


def recognition(frame: pd.DataFrame) -> pd.DataFrame:
    """The 销售明星榜 from a payouts frame: rank (company, by revenue_won, ties share),
    team_rank, champion (rank 1 in the team with revenue > 0), rep_id, rep, team, revenue_won,
    attainment, non_cash. Reps with revenue only; best first."""
    board = frame[frame["revenue_won"] > 0].copy()
    board["rank"] = board["revenue_won"].rank(method="min", ascending=False).astype("int64")
    board["team_rank"] = board.groupby("team")["revenue_won"].rank(method="min", ascending=False).astype("int64")
    board["champion"] = board["team_rank"] == 1
    cols = ["rank", "team_rank", "champion", "rep_id", "rep", "team", "revenue_won", "attainment", "non_cash"]
    return board.sort_values(["rank", "rep"])[cols].reset_index(drop=True)


def _attainment_by_period(con: Con, periods: list[Period], scope: Scope) -> pd.DataFrame:
    """The rows of metrics.by_group(..., "rep", scope) for each period, attainment only:
    columns rep_id, rep, team, attainment, period (label). Same rules: revenue_won of the
    scope's deals closed won in the period, target = the rep's revenue targets of the active
    scenario over the period's months, attainment NaN without a target > 0; reps listed when
    active, with revenue or with a target."""
    spans = pd.DataFrame({"period": [p.label for p in periods], "pstart": [p.start for p in periods],
                          "pend": [p.end for p in periods]})
    months = pd.DataFrame([(p.label, m) for p in periods for m in p.months], columns=["period", "month"])
    text = f"""
    with won as (
        select s.period, d.rep_id, sum(d.amount)::FLOAT8 as revenue_won
        from deals d join spans s on d.close_date between s.pstart and s.pend
        left join reps r on r.rep_id = d.rep_id
        where d.status = 'won' and {sql.in_scope()}
        group by s.period, d.rep_id
    ),
    goal as (
        select m.period, t.scope_id as rep_id, sum(t.value)::FLOAT8 as target
        from targets t join span_months m on m.month = t.period
        where t.scenario = $scenario and t.metric = 'revenue' and t.scope = 'rep'
        group by m.period, t.scope_id having sum(t.value) is not null
    )
    select s.period, r.rep_id, coalesce(r.name, r.rep_id) as rep, coalesce(r.team, '') as team,
           coalesce(w.revenue_won, 0) as revenue_won, g.target
    from spans s cross join reps r
    left join won w on w.period = s.period and w.rep_id = r.rep_id
    left join goal g on g.period = s.period and g.rep_id = r.rep_id
    where {sql.in_scope(rep="r.rep_id")}
      and (r.active or coalesce(w.revenue_won, 0) > 0 or g.target is not null)
    """
    params = {"scenario": metrics.active_scenario(con), "team": scope.team, "rep": scope.rep_id}

    def register(cur: Any) -> None:
        cur.register("spans", spans)
        cur.register("span_months", months)

    frame = sql.run(con, text, params, prepare=register)
    frame["target"] = frame["target"].astype("float64")
    frame["attainment"] = frame["revenue_won"].astype("float64") / frame["target"].where(frame["target"] > 0)
    order = {p.label: i for i, p in enumerate(periods)}   # periods in the order given
    frame = frame.assign(_o=frame["period"].map(order)).sort_values(["_o", "rep_id"], kind="stable")
    return frame[["rep_id", "rep", "team", "attainment", "period"]].reset_index(drop=True)


def promotion_ready(con: Con, period: Period, min_attainment: float, count: int,
                    scope: Scope = Scope()) -> pd.DataFrame:
    """Reps whose attainment was >= ``min_attainment`` in each of the ``count`` periods ending
    with ``period`` (same kind). Columns: rep_id, rep, team, periods (labels), min_attainment
    (their lowest), mean_attainment. Attainment as in metrics.by_group (revenue_won over the
    rep's revenue target of the period's months), for every period in one query."""
    frames = []
    p = period
    for _ in range(max(1, count)):
        frames.append(p)
        p = p.previous()
    allp = _attainment_by_period(con, frames, scope)
    frames = [allp[allp["period"] == q.label] for q in frames]
    allp["ok"] = (allp["attainment"] >= min_attainment - EPS).astype("int64")
    agg = allp.groupby(["rep_id", "rep", "team"], as_index=False).agg(
        n=("ok", "sum"),
        min_attainment=("attainment", "min"), mean_attainment=("attainment", "mean"))
    ready = agg[agg["n"] >= max(1, count)].copy()
    ready["periods"] = ", ".join(sorted({f["period"].iloc[0] for f in frames if len(f)}))
    return ready.sort_values("min_attainment", ascending=False)[
        ["rep_id", "rep", "team", "periods", "min_attainment", "mean_attainment"]].reset_index(drop=True)


def rewards_earned(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of a payouts frame whose rep earned at least one non-cash reward (same columns,
    same order)."""
    return frame[[bool(v) for v in frame["non_cash"]]].reset_index(drop=True)
