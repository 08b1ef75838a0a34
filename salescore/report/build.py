"""The figures behind the slides: one meeting's library calls (period, scope, language), each
made at most once, with rep names replaced when anonymizing; small formatting helpers."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from functools import cached_property
from typing import Any

import pandas as pd

from salescore import access, db, fmt, goals, incentives, metrics, periods, retention
from salescore.errors import SalesCoreError
from salescore.i18n import t
from salescore.periods import Period
from salescore.report.model import SLIDE_PAGES, Call, Con, _missing
from salescore.report.names import aliases, rep_names
from salescore.scope import Scope


def audience(con: Con) -> access.User | None:
    """Who the slides are for: a restricted connection's user (salescore.access.restricted),
    None for the full connection (an admin, or sign-in off)."""
    return getattr(con, "user", None)


def may_show(user: access.User | None, key: str) -> bool:
    """Whether slide ``key`` is for ``user``: one whose page (SLIDE_PAGES) they may open."""
    page = SLIDE_PAGES.get(key)
    return page is None or access.may_open(user, page)


class _Build:
    """The library calls for one meeting (period, scope, language), each made at most once, with
    rep names already replaced when anonymizing."""

    def __init__(self, con: Con, period: Period, lang: str, scope: Scope, when: date | None,
                 anonymize: bool, call: Call | None = None) -> None:
        self.con, self.period, self.lang, self.scope, self.call = con, period, lang, scope, call
        self.when = when or self.q(metrics.as_of)
        if self.when is None:
            raise SalesCoreError("There is no sales data yet: load the demo or import your files first.",
                                 key="common.no_data")
        self.anonymize = anonymize
        self.alias = aliases(self.q(rep_names)) if anonymize else {}
        self.user = audience(con)
        #: pay figures (and the plan behind them) only for those who may open Incentives
        self.shows_pay = may_show(self.user, "incentives")

    def q(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(con, *args, **kwargs)``, through ``call`` when given (the page's cache)."""
        if self.call is not None:
            return self.call(fn, *args, **kwargs)
        return fn(self.con, *args, **kwargs)

    # names
    def name(self, value: Any) -> Any:
        return self.alias.get(value, value) if isinstance(value, str) else value

    def scrub(self, text: Any) -> Any:
        """Free text (an action's title) with every rep name in it replaced by its alias."""
        if not self.alias or not isinstance(text, str):
            return text
        for name in sorted(self.alias, key=len, reverse=True):
            text = text.replace(name, self.alias[name])
        return text

    def names(self, frame: pd.DataFrame, *cols: str) -> pd.DataFrame:
        if not self.alias or frame.empty:
            return frame
        out = frame.copy()
        for col in cols:
            if col in out:
                out[col] = out[col].map(self.name)
        return out

    def txt(self, key: str, **params: Any) -> str:
        return t(f"meeting.{key}", self.lang, **params)

    @cached_property
    def currency(self) -> str:
        """The symbol of the reporting currency (db.reporting_currency, read once per deck);
        '' while it is not known: amounts then show without a symbol, never a guessed one."""
        return fmt.symbol(self.q(db.reporting_currency))

    def money(self, value: Any) -> str:
        """An amount, short (¥4.6万 / $45.6k), in the reporting currency."""
        return fmt.money(value, self.lang, wan=True, currency=self.currency)

    def amount(self, value: Any) -> str:
        """An amount in whole units (¥1,234 / $1,234), in the reporting currency."""
        return fmt.money(value, self.lang, currency=self.currency)

    @property
    def scope_label(self) -> str:
        return self.scope.team or self.txt("all_teams")

    # figures
    @cached_property
    def previous(self) -> Period:
        return self.period.previous()

    @cached_property
    def now(self) -> dict[str, Any]:
        return self.q(metrics.kpis, self.period.start, self.period.end, self.scope)

    @cached_property
    def before(self) -> dict[str, Any]:
        return self.q(metrics.kpis, self.previous.start, self.previous.end, self.scope)

    @cached_property
    def share(self) -> float:
        """The time share of the period gone (DESIGN §4 pace: working days)."""
        return periods.pace(self.period, self.when)

    @cached_property
    def reps(self) -> pd.DataFrame:
        frame = self.q(metrics.by_group, self.period.start, self.period.end, "rep", self.scope)
        return self.names(frame, "rep")

    @cached_property
    def teams(self) -> pd.DataFrame:
        return self.q(metrics.by_group, self.period.start, self.period.end, "team", self.scope)

    @cached_property
    def trend(self) -> pd.DataFrame:
        """Revenue per month over the trend window (periods.trend_start: 12 months)."""
        return self.q(metrics.monthly, periods.trend_start(self.period), self.period.end, self.scope)

    @cached_property
    def active(self) -> retention.ActivePlan | None:
        return self.q(retention.active_plan, min(self.period.end, self.when))

    @cached_property
    def plan(self) -> tuple[incentives.Plan, str]:
        """The plan in force (the Standard template when none is saved) and its display name.
        Never for a user who may not see pay: the template must not stand in for the plan a
        viewer cannot see (their payouts would be computed on it)."""
        if not self.shows_pay:
            raise SalesCoreError("Pay figures are not shown to your role.", key="meeting.access.no_pay")
        if self.active is not None:
            return self.active.plan, self.active.name
        plan = incentives.template("standard")
        return plan, plan.name

    @cached_property
    def pay_period(self) -> Period:
        """The pay period shown: the plan's kind, containing the meeting period, or the latest
        complete one when that is still running (as the Retention page)."""
        return retention.default_period(self.when, self.period, self.plan[0].period)

    @cached_property
    def payouts(self) -> pd.DataFrame:
        frame = self.q(incentives.payouts, self.plan[0], self.pay_period, self.scope)
        return self.names(frame, "rep")

    @cached_property
    def pacing(self) -> pd.DataFrame:
        return self.q(goals.pacing, self.period, self.when, self.scope)

    @cached_property
    def funnel(self) -> pd.DataFrame:
        return self.q(metrics.funnel_compare, self.period.start, self.period.end, self.scope, None)

    @cached_property
    def quadrant(self) -> pd.DataFrame:
        frame = self.q(retention.quadrant, self.plan[0], self.pay_period, self.scope)
        return self.names(frame, "rep")



def _change(now: Any, before: Any) -> float | None:
    if _missing(now) or _missing(before) or not before:
        return None
    return float(now) / float(before) - 1


def _table(rows: list[dict[str, str]], columns: Mapping[str, str]) -> pd.DataFrame:
    """Display rows (code name -> text) as a frame with translated headers, in ``columns`` order."""
    frame = pd.DataFrame(rows, columns=list(columns), dtype="object")
    return frame.rename(columns=dict(columns)).reset_index(drop=True)


def _cols(b: _Build, *codes: str) -> dict[str, str]:
    return {c: b.txt(f"col.{c}") for c in codes}


def _pct0(value: Any) -> str:
    """A share as a whole percentage ('113%'), '—' when missing: table cells on a projector."""
    return fmt.pct(value, 0)

