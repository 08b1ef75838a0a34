"""A rep's own results (issue 10, "Shared use"): their payout statement under the plan in
force and the company leaderboard as every rep may see it.

Both are computed on the full connection (period champions are ranked within the team, a
customer's first deal ever needs every deal) and cut to what a rep may see before returning:
no salary, no other rep's payout.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from salescore import incentives, metrics, retention, sql
from salescore.access import User
from salescore.periods import Period, containing
from salescore.scope import Scope

LEADERBOARD_COLUMNS = ("rank", "rep", "team", "revenue_won", "deals_won", "attainment")

#: The payout components a rep's statement lists, in order (incentives.payouts columns).
STATEMENT_PARTS = incentives.SUMMARY_PARTS


def leaderboard(con: duckdb.DuckDBPyConnection, start: Any, end: Any, top: int = 10) -> pd.DataFrame:
    """The company 销售明星榜 as every rep may see it: columns rank, rep_id, rep, team,
    revenue_won, deals_won, attainment (no salary, no payout). ``con`` is the full connection."""
    board = metrics.leaderboard(con, start, end, Scope(), top=top)
    return board[["rank", "rep_id", *LEADERBOARD_COLUMNS[1:]]]


@dataclass(frozen=True)
class Statement:
    """A rep's own payout statement: the plan's name, the pay period, the plan's id, the payouts row
    (incentives.payouts columns) and the per-deal lines (incentives.explain columns)."""

    plan: str
    period: Period
    plan_id: str
    row: dict
    lines: pd.DataFrame
    #: the rep's draw ledger (incentives.draw_ledger rows) under a plan with a draw, else None
    ledger: pd.DataFrame | None = None


def statement(con: duckdb.DuckDBPyConnection, user: User, chosen: Period) -> Statement | None:
    """``user``'s own statement under the plan in force, for the pay period that contains
    the start of ``chosen`` (a Period); None without a rep, a plan or a payout row.

    Computed on the full connection ``con`` (period champions are ranked within the team, a
    customer's first deal ever needs every deal) and cut to the user's rep before returning.
    """
    if user.rep_id is None:
        return None
    active = retention.active_plan(con, chosen.end, user.rep_id)   # the plan the rep is on
    if active is None:
        return None
    if not sql.rows(con, "select 1 from reps where rep_id = $r", {"r": user.rep_id}):
        return None
    period = containing(chosen.start, active.plan.period)
    # the rep alone (champions are ranked within the team whatever the scope; the rep's team in
    # the period may not be today's after a team move)
    frame = incentives.payouts(con, active.plan, period, Scope(rep_id=user.rep_id))
    mine = frame[frame["rep_id"] == user.rep_id]
    if mine.empty:
        return None
    ledger = None
    if active.plan.draw is not None:
        ledger = incentives.draw_ledger(con, active.plan, period, Scope(rep_id=user.rep_id))
        ledger = ledger[ledger["rep_id"] == user.rep_id]
    return Statement(active.name, period, active.plan_id, mine.iloc[0].to_dict(),
                     incentives.explain(con, active.plan, period, user.rep_id), ledger)
