"""Closed pay periods (DESIGN.md section 8): close, reopen, the stored statements, and the
adjustments later data causes.

A manager closes a pay period after reviewing its payouts. Closing stores, per rep, the
payouts row and the engine's lines exactly as they were (table ``statements``) and locks
them: from then on the engine answers for that period with the stored figures whenever it is
asked with the plan that was closed (what-ifs with another plan still compute). Later data
(a won deal entered late, an amount corrected, an older export showing a deal lost, an undo)
never changes them; what it would change is paid as **adjustment lines** in the first open
period after the closed one, one per deal and component, naming the closed period, the
component and the reason:

- ``late``: a deal the closed period now pays that its statement did not (late credit);
- ``removed``: a deal its statement paid that the period would no longer pay;
- ``changed``: the same deal, another amount;
- ``clawback``: a reversal now charged in the closed period (it lands here instead);
- ``recalculated``: a figure of the rep, not of one deal (base bonus, cap, rounding).

Per rep and closed period the adjustment lines add up to (what the period would pay now) -
(what its statement paid) - (adjustments already booked for it in later closed periods): a
difference is paid exactly once, and a period closed with adjustments in it stores them too.
The balance a closed period carried forward is what the next period recovers.

Only the latest closed period can be reopened (reopening an earlier one would pay what a
later closed statement already adjusted for twice); closing and reopening are written to
the audit log.
"""
from __future__ import annotations

import json
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from salescore import audit, db, sql
from salescore.errors import SalesCoreError
from salescore.incentives.plan import Plan
from salescore.incentives.store import load_plan
from salescore.periods import Period, parse
from salescore.scope import Scope

Con = duckdb.DuckDBPyConnection
#: The engine, as this module needs it (salescore.incentives.engine passes it in; the engine
#: imports this module, so this module never imports the engine): (plan, period, adjustment
#: lines, balances carried in) -> (the payouts frame rounded to cents, the lines of every rep).
Run = Callable[[Plan, Period, pd.DataFrame, "dict[str, tuple[float, str]] | None"],
               "tuple[pd.DataFrame, pd.DataFrame]"]

#: Why an adjustment line exists (``incentives.adjust.<key>``).
ADJUST_REASONS = ("late", "removed", "changed", "clawback", "recalculated")
_LINE_COLS = ["rep_id", "component", "deal_id", "day", "basis", "rate", "multiplier", "amount", "detail"]
_NOISE = 1e-6
#: The reason part of an answered dispute's adjustment line (salescore.incentives.disputes):
#: 'period · component · dispute:N'. Those lines pay a manager's answer, not a recomputation,
#: so they never count as a closed period's adjustments already paid.
DISPUTE_TAG = "dispute:"


def _error(message: str, key: str, **params: Any) -> SalesCoreError:
    return SalesCoreError(message, key=f"closing.error.{key}", **params)


@dataclass(frozen=True)
class Closed:
    """A closed pay period: its label, the plan (id, version, name) it was closed with, how many
    reps' statements are stored, their total, when and by whom."""

    period: str
    plan_id: str
    version: int
    name: str
    reps: int
    total: float
    closed_at: datetime
    closed_by: str

    def as_json(self) -> dict[str, Any]:
        return {"period": self.period, "plan_id": self.plan_id, "version": self.version,
                "plan": self.name, "reps": self.reps, "total": round(self.total, 2),
                "closed_at": self.closed_at.isoformat(timespec="seconds"), "closed_by": self.closed_by}


_CLOSED_SQL = """
select s.period, s.plan_id, s.version, coalesce(any_value(p.name), s.plan_id) as name,
       count(*) as reps, sum(cast(s.figures ->> 'total' as float8)) as total,
       max(s.closed_at) as closed_at, any_value(s.closed_by) as closed_by
from statements s left join plans p on p.plan_id = s.plan_id and p.version = s.version
group by s.period, s.plan_id, s.version
"""


def closed_periods(con: Con) -> list[Closed]:
    """Every closed pay period, earliest first (months, quarters and years by their start)."""
    out = [Closed(str(r[0]), str(r[1]), int(r[2]), str(r[3]), int(r[4]), float(r[5] or 0.0),
                  pd.Timestamp(r[6]).to_pydatetime(), str(r[7] or ""))
           for r in sql.rows(con, _CLOSED_SQL)]
    return sorted(out, key=lambda c: (parse(c.period).start, parse(c.period).end))


def closed(con: Con, period: Period | str) -> Closed | None:
    """The closed record of ``period``, None while it is open."""
    label = period.label if isinstance(period, Period) else parse(period).label
    return next((c for c in closed_periods(con) if c.period == label), None)


def _any_closed(con: Con) -> bool:
    return bool(sql.scalar(con, "select count(*) from statements"))


# --- reading the stored statements -------------------------------------------------------------

def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return pd.Timestamp(value).date().isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    return value


def _stored(con: Con, label: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(payouts rows, lines with rep_id) stored for the closed period ``label``."""
    rows = sql.rows(con, "select rep_id, figures, lines from statements where period = $p "
                    "order by rep_id", {"p": label})
    figures, lines = [], []
    for rep_id, fig, lin in rows:
        figures.append(json.loads(fig) if isinstance(fig, str) else fig)
        for line in (json.loads(lin) if isinstance(lin, str) else lin):
            lines.append({"rep_id": rep_id, **line})
    out = pd.DataFrame(figures)
    if len(out):
        out["non_cash"] = [list(v or []) for v in out["non_cash"]]
        out["flag"] = out["flag"].fillna("")
        for col in out.columns:
            if col not in ("rep_id", "rep", "team", "non_cash", "flag"):
                out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    frame = pd.DataFrame(lines, columns=_LINE_COLS)
    frame["day"] = pd.to_datetime(frame["day"])
    for col in ("basis", "rate", "multiplier", "amount"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    frame["deal_id"] = frame["deal_id"].astype("object").where(frame["deal_id"].notna(), None)
    frame["detail"] = frame["detail"].astype("object").where(frame["detail"].notna(), None)
    return out, frame


def stored_run(con: Con, plan: Plan, period: Period, scope: Scope) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """What the engine returns for a closed ``period`` asked with the plan it was closed with:
    (the stored payouts rows, the stored lines) of the reps in ``scope``; None when the period
    is open or ``plan`` is another one (a what-if computes)."""
    if not _any_closed(con):
        return None
    record = closed(con, period)
    if record is None or not _same_plan(con, record, plan):
        return None
    out, lines = _stored(con, record.period)
    if scope.team is not None:
        out = out[out["team"] == scope.team]
    if scope.rep_id is not None:
        out = out[out["rep_id"] == scope.rep_id]
    lines = lines[lines["rep_id"].isin(set(out["rep_id"]))]
    return out.reset_index(drop=True), lines.reset_index(drop=True)


def _same_plan(con: Con, record: Closed, plan: Plan) -> bool:
    return load_plan(con, record.plan_id, record.version).to_dict() == plan.to_dict()


def carry_from_closed(con: Con, plan: Plan, period: Period) -> dict[str, tuple[float, str]] | None:
    """The balances carried into ``period`` when the period before it is closed: what its
    statements carried forward (rep_id -> (amount, label)); None when it is open."""
    if not _any_closed(con):
        return None
    before = period.previous()
    if closed(con, before) is None:
        return None
    out, _ = _stored(con, before.label)
    owed = out[out.get("carried_forward", pd.Series(dtype="float64")) > 1e-9] if len(out) else out
    return {str(r): (float(v), before.label) for r, v in zip(owed.get("rep_id", []), owed.get("carried_forward", []))}


# --- adjustments -------------------------------------------------------------------------------

_MEMO: OrderedDict[tuple, pd.DataFrame] = OrderedDict()


def _file_of(con: Con) -> str | None:
    """The database ``con`` opened (a file, or a PostgreSQL URL, whose data version is read
    from the server every time): the adjustments memo's key; None: not memoised."""
    if sql.dialect(con) == "postgres":
        url = getattr(con, "url", None)
        return str(url) if url else None
    path = sql.scalar(con, "select path from duckdb_databases() where database_name = current_database()")
    return str(path) if path else None


def first_open_after(con: Con, period: Period, labels: set[str] | None = None) -> Period:
    """The first period of ``period``'s kind after it that is not closed (``labels``: the
    closed periods' labels, when the caller has them)."""
    labels = {c.period for c in closed_periods(con)} if labels is None else labels
    q = period.next()
    while q.label in labels:
        q = q.next()
    return q


def adjustments(con: Con, kind: str, period: Period, run: Run) -> pd.DataFrame:
    """The adjustment lines paid in the open ``period`` (of ``kind``) for the closed periods
    whose first open period it is (see the module docstring): the engine's line columns with
    rep_id, component ``adjustment``, the deal, day = the period's start, basis = what the
    closed period would pay now on that line, amount = the difference to pay (negative: to take
    back), detail = 'closed period · component · reason'. Empty when nothing is closed."""
    empty = pd.DataFrame(columns=_LINE_COLS)
    if not _any_closed(con):
        return empty
    path = _file_of(con)
    key = (path, db.data_version(con), kind, period.label) if path else None
    if key is not None and key in _MEMO:
        _MEMO.move_to_end(key)
        return _MEMO[key].copy()
    every = closed_periods(con)
    labels = {c.period for c in every}
    records = [c for c in every if parse(c.period).kind == kind and parse(c.period).start < period.start]
    frames = [_adjust_for(con, c, period, run) for c in records
              if first_open_after(con, parse(c.period), labels) == period]
    frames = [f for f in frames if len(f)]
    out = pd.concat(frames, ignore_index=True) if frames else empty
    if key is not None:
        _MEMO[key] = out
        while len(_MEMO) > 64:
            _MEMO.popitem(last=False)
    return out.copy()


def _rounded_lines(frame: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """Each rep's lines plus a rounding line making them add up to the rep's total in
    ``frame`` (payouts rounded to cents)."""
    totals = frame.set_index("rep_id")["total"] if len(frame) else pd.Series(dtype="float64")
    sums = lines.groupby("rep_id")["amount"].sum() if len(lines) else pd.Series(dtype="float64")
    rounding = pd.DataFrame({"rep_id": totals.index, "component": "rounding", "deal_id": None,
                             "amount": totals.to_numpy() - sums.reindex(totals.index).fillna(0.0).to_numpy()})
    return pd.concat([lines[["rep_id", "component", "deal_id", "amount"]], rounding], ignore_index=True)


def _adjust_for(con: Con, record: Closed, period: Period, run: Run) -> pd.DataFrame:
    """The adjustment lines for one closed period, paid in ``period``."""
    label = record.period
    closed_period = parse(label)
    plan = load_plan(con, record.plan_id, record.version)
    stored_out, stored_lines = _stored(con, label)
    booked_here = stored_lines[stored_lines["component"] == "adjustment"]
    carry = carry_from_closed(con, plan, closed_period)
    live_out, live_lines = run(plan, closed_period, booked_here, carry)
    key = ["rep_id", "component", "deal_id"]
    now = _rounded_lines(live_out, live_lines)
    then = _rounded_lines(stored_out, stored_lines)
    # adjustments for this period already paid in later closed periods
    later = [c.period for c in closed_periods(con) if parse(c.period).kind == closed_period.kind
             and parse(c.period).start > closed_period.start]
    paid = []
    for other in later:
        _, other_lines = _stored(con, other)
        adj = other_lines[other_lines["component"] == "adjustment"]
        parts = adj["detail"].fillna("").str.split(" · ")
        mine = adj[(parts.str[0] == label) & ~parts.str[2].fillna("").str.startswith(DISPUTE_TAG)]
        if len(mine):
            paid.append(pd.DataFrame({"rep_id": mine["rep_id"], "component": parts[mine.index].str[1],
                                      "deal_id": mine["deal_id"], "amount": mine["amount"]}))
    frames = [now.assign(now_amount=now["amount"], then_amount=0.0, paid=0.0),
              then.assign(now_amount=0.0, then_amount=then["amount"], paid=0.0)]
    frames += [p.assign(now_amount=0.0, then_amount=0.0, paid=p["amount"]) for p in paid]
    both = pd.concat(frames, ignore_index=True)
    both = both[both["component"] != "adjustment"]
    both["deal_id"] = both["deal_id"].astype("object").where(both["deal_id"].notna(), "")
    diff = (both.groupby(key, sort=False)[["now_amount", "then_amount", "paid"]].sum().reset_index())
    diff["amount"] = diff["now_amount"] - diff["then_amount"] - diff["paid"]
    # a rep's rounding difference goes to their largest line; float noise is dropped
    moved = []
    for rep, part in diff.groupby("rep_id", sort=False):
        real = part[(part["component"] != "rounding") & (part["amount"].abs() > _NOISE)]
        rest = math.fsum(part.loc[~part.index.isin(real.index), "amount"])
        if len(real):
            if abs(rest) > _NOISE:
                top = real["amount"].abs().idxmax()
                real = real.copy()
                real.loc[top, "amount"] += rest
            moved.append(real)
        elif abs(rest) >= 0.005:
            moved.append(part.iloc[[0]].assign(component="rounding", deal_id="", amount=rest,
                                               now_amount=rest, then_amount=0.0))
    if not moved:
        return pd.DataFrame(columns=_LINE_COLS)
    lines = pd.concat(moved, ignore_index=True)
    reason = np.select(
        [lines["component"] == "clawback", lines["deal_id"] == "",
         lines["then_amount"].abs() <= _NOISE, lines["now_amount"].abs() <= _NOISE],
        ["clawback", "recalculated", "late", "removed"], "changed")
    return pd.DataFrame({
        "rep_id": lines["rep_id"].astype("str"), "component": "adjustment",
        "deal_id": lines["deal_id"].where(lines["deal_id"] != "", None),
        "day": pd.Timestamp(period.start), "basis": lines["now_amount"], "rate": np.nan,
        "multiplier": np.nan, "amount": lines["amount"].astype("float64"),
        "detail": [f"{label} · {c} · {r}" for c, r in zip(lines["component"], reason)]})


# --- close and reopen --------------------------------------------------------------------------

def has_ended(period: Period, today: date | None = None) -> bool:
    """Whether ``period`` can be closed: its last day is before ``today`` (the calendar's)."""
    return period.end < (today or date.today())


def check_closable(con: Con, period: Period, today: date | None = None) -> None:
    """Refuse (one sentence) to close ``period`` while it has not ended or when it is closed."""
    if not has_ended(period, today):
        raise _error(f"{period.label} has not ended yet (it runs to {period.end.isoformat()}): a pay "
                     "period is closed after its last day.", "running", period=period.label,
                     end=period.end.isoformat())
    known = closed(con, period)
    if known is not None:
        raise _error(f"{period.label} is closed already (on {known.closed_at:%Y-%m-%d} by "
                     f"{known.closed_by}).", "already", period=period.label,
                     date=f"{known.closed_at:%Y-%m-%d}", user=known.closed_by)


def store(con: Con, plan_id: str, version: int, period: Period, frame: pd.DataFrame,
          lines: pd.DataFrame, user: str | None = None) -> Closed:
    """Store the payouts ``frame`` (rounded, one row per rep) and the engine's ``lines`` of
    ``period`` as its closed statements, with an audit event; the caller computed them with the
    plan ``plan_id`` version ``version`` (salescore.incentives.engine.close_period)."""
    if frame.empty:
        raise _error(f"Nobody is paid in {period.label}: there is nothing to close.", "empty",
                     period=period.label)
    by_rep = dict(tuple(lines.groupby("rep_id"))) if len(lines) else {}
    who = user or audit.actor()
    figures_cols = [c for c in frame.columns if c != "cost_of_sales"]
    with db.transaction(con) as cur:
        if cur.execute("select count(*) from statements where period = $p",
                       {"p": period.label}).fetchall()[0][0]:
            raise _error(f"{period.label} is closed already.", "already", period=period.label,
                         date="", user="")
        for row in frame.to_dict("records"):
            mine = by_rep.get(row["rep_id"], lines.iloc[0:0])
            line_rows = [{c: _plain(v) for c, v in rec.items() if c != "rep_id"}
                         for rec in mine[_LINE_COLS].to_dict("records")]
            cur.execute("insert into statements (period, plan_id, version, rep_id, figures, lines, "
                        "closed_by) values ($p, $id, $v, $r, $f, $l, $u)",
                        {"p": period.label, "id": plan_id, "v": int(version), "r": str(row["rep_id"]),
                         "f": json.dumps({c: _plain(row[c]) for c in figures_cols}, ensure_ascii=False),
                         "l": json.dumps(line_rows, ensure_ascii=False), "u": who})
        audit.record(cur, "period_close", {"period": period.label, "plan_id": plan_id,
                                           "version": int(version), "reps": len(frame),
                                           "total": round(float(frame["total"].sum()), 2)}, user=who)
    record = closed(con, period)
    assert record is not None
    return record


def reopen_period(con: Con, period: Period | str, reason: str = "", *, user: str | None = None) -> Closed:
    """Reopen a closed ``period``: its stored statements are removed (the audit log keeps what
    they paid) and the engine computes it again. Only the latest closed period of its kind can
    be reopened. Returns the record that was removed."""
    p = period if isinstance(period, Period) else parse(period)
    record = closed(con, p)
    if record is None:
        raise _error(f"{p.label} is not closed.", "not_closed", period=p.label)
    later = [c.period for c in closed_periods(con)
             if parse(c.period).kind == p.kind and parse(c.period).start > p.start]
    if later:
        raise _error(f"{later[-1]} was closed after {p.label}: reopen {later[-1]} first.",
                     "later_closed", period=p.label, later=later[-1])
    who = user or audit.actor()
    with db.transaction(con) as cur:
        cur.execute("delete from statements where period = $p", {"p": p.label})
        audit.record(cur, "period_reopen", {**record.as_json(), "reason": str(reason)[:500]}, user=who)
    return record
