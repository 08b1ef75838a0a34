"""The action plan of the Plan & review page: the actions table listed, checked, saved,
and its progress per rule (DESIGN.md rule 8)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from salescore import db, fmt, i18n, metrics, sql
from salescore.errors import SalesCoreError

# The eight rules of sales management an action serves (DESIGN.md, intro), in display order.
RULES = ("goals", "team", "training", "incentives", "customers", "data", "process", "evaluation")
#: Action statuses; done and dropped actions are never overdue.
STATUSES = ("planned", "in_progress", "done", "dropped")
CLOSED_STATUSES = ("done", "dropped")
ACTION_COLUMNS = ["action_id", "title", "rule", "owner", "start_date", "due_date", "status",
                  "kpi", "baseline", "target"]


def _to_date(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col).dt.date.astype("object").where(col.notna(), None)


def list_actions(con: duckdb.DuckDBPyConnection, when: date | None = None) -> pd.DataFrame:
    """Every action, by due date: action_id, title, rule, owner, start_date, due_date (dates or
    None), status, kpi, baseline, target, overdue (bool: due before ``when``, default the
    data's last date, and not done or dropped; False when there is no date to compare)."""
    when = when or metrics.as_of(con)
    frame = sql.run(con, """
        select action_id, title, rule, owner, start_date, due_date, status, kpi, baseline, target,
               coalesce($when::DATE is not null and due_date < $when::DATE
                        and coalesce(status, '') not in ('done', 'dropped'), false) as overdue
        from actions order by due_date nulls last, action_id""", {"when": when})
    frame["action_id"] = frame["action_id"].astype("int64")
    for col in ("start_date", "due_date"):
        frame[col] = _to_date(frame[col])
    frame["overdue"] = frame["overdue"].astype(bool)
    for col in ("baseline", "target"):
        frame[col] = frame[col].astype("float64")
    return frame


def progress_by_rule(con: duckdb.DuckDBPyConnection, when: date | None = None) -> pd.DataFrame:
    """Per rule that has actions (RULES order, then any other rule name): rule, total (actions
    not dropped), done, overdue (see :func:`list_actions`), share_done = done / total (NaN when
    every action of the rule was dropped)."""
    when = when or metrics.as_of(con)
    frame = sql.run(con, """
        select coalesce(rule, '') as rule,
               count(*) filter (where coalesce(status, '') <> 'dropped') as total,
               count(*) filter (where status = 'done') as done,
               count(*) filter (where $when::DATE is not null and due_date < $when::DATE
                                and coalesce(status, '') not in ('done', 'dropped')) as overdue
        from actions group by 1""", {"when": when})
    for col in ("total", "done", "overdue"):
        frame[col] = frame[col].astype("int64")
    frame["share_done"] = frame["done"] / frame["total"].where(frame["total"] > 0)
    order = {r: i for i, r in enumerate(RULES)}
    frame["_o"] = frame["rule"].map(lambda r: order.get(r, len(RULES)))
    return frame.sort_values(["_o", "rule"]).drop(columns="_o").reset_index(drop=True)


#: The states an action counts in on the progress charts, in stacking order.
PROGRESS_STATES = ("done", "open", "overdue")


def progress_states(progress: pd.DataFrame) -> pd.DataFrame:
    """:func:`progress_by_rule` as one row per (rule, state), states in PROGRESS_STATES order:
    done, open (not done and not overdue: total - done - overdue), overdue. Columns: rule,
    state, count (int), order (0, 1, 2 = the state's place in PROGRESS_STATES)."""
    counts = {"done": progress["done"], "open": progress["total"] - progress["done"] - progress["overdue"],
              "overdue": progress["overdue"]}
    parts = [pd.DataFrame({"rule": progress["rule"], "state": state,
                           "count": counts[state].astype("int64"), "order": order})
             for order, state in enumerate(PROGRESS_STATES)]
    return pd.concat(parts, ignore_index=True)


def action_counts(actions: pd.DataFrame) -> dict[str, Any]:
    """The plan in three numbers, from :func:`list_actions`: total (actions not dropped), done,
    overdue, share_done = done / total (None without any live action)."""
    live = actions[actions["status"].fillna("") != "dropped"]
    done = int((live["status"] == "done").sum())
    return {"total": int(len(live)), "done": done, "overdue": int(actions["overdue"].sum()),
            "share_done": done / len(live) if len(live) else None}


# --- editing the action plan ---------------------------------------------------------
#: KPIs an action can name (its baseline and target are in that KPI's unit; rates in 0..1).
ACTION_KPIS = ("revenue_won", "win_rate", "avg_deal_size", "sales_cycle_days", "deals_won",
               "new_customers", "repeat_rate", "attainment", "margin_mix", "stage_conversion",
               "satisfaction", "activities")
MAX_TITLE = 200
_EDITABLE = ("title", "rule", "owner", "start_date", "due_date", "status", "kpi", "baseline", "target")


@dataclass(frozen=True)
class Problem:
    """One bad row of an edited action plan: ``row`` counts from 1 as shown on screen;
    ``key`` is an i18n key under evaluation.error, ``params`` fill it (row included)."""

    row: int
    key: str
    params: dict[str, Any]


def _blank(value: Any) -> bool:
    return fmt.missing(value) or isinstance(value, str) and not value.strip()


def _text(value: Any) -> str | None:
    return None if _blank(value) else str(value).strip()


def _date_or_bad(value: Any) -> tuple[date | None, bool]:
    """(the date, False) / (None, False) when blank / (None, True) when not a date."""
    if _blank(value):
        return None, False
    if isinstance(value, pd.Timestamp):
        return value.date(), False
    if isinstance(value, date):
        return value, False
    try:
        return pd.Timestamp(str(value).strip()).date(), False
    except (ValueError, TypeError):
        return None, True


def _number_or_bad(value: Any) -> tuple[float | None, bool]:
    if _blank(value):
        return None, False
    try:
        out = float(str(value).strip().replace(",", "")) if isinstance(value, str) else float(value)
    except (ValueError, TypeError):
        return None, True
    return (out, False) if np.isfinite(out) else (None, True)


def _choice(value: Any, allowed: Sequence[str], prefix: str) -> tuple[str | None, bool]:
    """A canonical value, or its label in either language (pasted from a sheet)."""
    text = _text(value)
    if text is None:
        return None, False
    if text.lower() in allowed:
        return text.lower(), False
    for name in allowed:
        if any(text == i18n.t(f"{prefix}.{name}", lang) for lang in i18n.LANGS):
            return name, False
    return None, True


def clean_actions(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Normalise an edited action plan and list what is wrong with it.

    ``frame`` has the ACTION_COLUMNS (action_id blank for new rows; other columns ignored).
    Rows whose editable cells are all blank are dropped (an added row left empty). Returns
    (rows with typed values: dates as ``date``/None, numbers as float/None, status default
    'planned'; the problems, one per bad cell, in row order). Never modifies ``frame``.
    """
    rows, problems = [], []
    for i, rec in enumerate(frame.to_dict("records"), start=1):
        if all(_blank(rec.get(c)) for c in _EDITABLE):
            continue
        bad: list[Problem] = []
        title = _text(rec.get("title"))
        if title is None:
            bad.append(Problem(i, "evaluation.error.title_missing", {"row": i}))
        elif len(title) > MAX_TITLE:
            bad.append(Problem(i, "evaluation.error.title_long", {"row": i, "max": MAX_TITLE}))
        rule, wrong = _choice(rec.get("rule"), RULES, "review.rule")
        if rule is None:
            bad.append(Problem(i, "evaluation.error.rule_unknown",
                               {"row": i, "value": _text(rec.get("rule")) or ""}))
        status, wrong = _choice(rec.get("status"), STATUSES, "review.status")
        if wrong:
            bad.append(Problem(i, "evaluation.error.status_unknown",
                               {"row": i, "value": _text(rec.get("status"))}))
        kpi, wrong = _choice(rec.get("kpi"), ACTION_KPIS, "review.kpi")
        if wrong:
            bad.append(Problem(i, "evaluation.error.kpi_unknown", {"row": i, "value": _text(rec.get("kpi"))}))
        start, wrong_start = _date_or_bad(rec.get("start_date"))
        due, wrong_due = _date_or_bad(rec.get("due_date"))
        if wrong_start:
            bad.append(Problem(i, "evaluation.error.start_bad", {"row": i, "value": _text(rec.get("start_date"))}))
        if wrong_due:
            bad.append(Problem(i, "evaluation.error.due_bad", {"row": i, "value": _text(rec.get("due_date"))}))
        if start is not None and due is not None and due < start:
            bad.append(Problem(i, "evaluation.error.due_before_start",
                               {"row": i, "start": start.isoformat(), "due": due.isoformat()}))
        numbers = {}
        for col in ("baseline", "target"):
            numbers[col], wrong = _number_or_bad(rec.get(col))
            if wrong:
                bad.append(Problem(i, f"evaluation.error.{col}_bad", {"row": i, "value": _text(rec.get(col))}))
        aid, wrong = _number_or_bad(rec.get("action_id"))
        problems += bad
        rows.append({"action_id": None if aid is None else int(aid), "title": title, "rule": rule,
                     "owner": _text(rec.get("owner")), "start_date": start, "due_date": due,
                     "status": status or "planned", "kpi": kpi, **numbers})
    ids = [r["action_id"] for r in rows if r["action_id"] is not None]
    if len(ids) != len(set(ids)):
        problems.append(Problem(0, "evaluation.error.duplicate_id", {"row": 0}))
    return pd.DataFrame(rows, columns=ACTION_COLUMNS), problems


def _invalid(problems: list[Problem]) -> SalesCoreError:
    first = problems[0]
    return SalesCoreError(f"Nothing saved: {len(problems)} problem(s), first in row {first.row} "
                          f"({first.key}).", key=first.key, **first.params)


def _same(a: Any, b: Any) -> bool:
    if _blank(a) and _blank(b):
        return True
    if _blank(a) or _blank(b):
        return False
    if isinstance(a, float) or isinstance(b, float):
        return bool(np.isclose(float(a), float(b), rtol=0, atol=1e-12))
    return a == b


def _write(cur: duckdb.DuckDBPyConnection, inserts: pd.DataFrame, updates: pd.DataFrame,
           deletes: list[int]) -> None:
    """Apply the three kinds of change inside the caller's transaction."""
    if deletes:
        cur.execute("delete from actions where action_id in (select unnest($ids::BIGINT[]))",
                    {"ids": [int(x) for x in deletes]})
    cols = ("title, rule, owner, start_date, due_date, status, kpi, baseline, target")
    typed = ("x.title::VARCHAR, x.rule::VARCHAR, x.owner::VARCHAR, x.start_date::DATE, "
             "x.due_date::DATE, x.status::VARCHAR, x.kpi::VARCHAR, x.baseline::FLOAT8, x.target::FLOAT8")
    if len(updates):
        cur.register("action_updates", updates.astype("object").where(updates.notna(), None))
        sets = ", ".join(f"{c.strip()} = {t.strip()}" for c, t in zip(cols.split(","), typed.split(", ")))
        cur.execute(f"update actions set {sets} from action_updates x "
                    "where actions.action_id = x.action_id::BIGINT")
        cur.unregister("action_updates")
    if len(inserts):
        cur.register("action_inserts", inserts.astype("object").where(inserts.notna(), None))
        cur.execute(f"insert into actions ({cols}) select {typed} from action_inserts x")
        cur.unregister("action_inserts")


def save_actions(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> dict[str, int]:
    """Make the actions table equal ``frame`` (the whole edited plan) in one transaction:
    rows without an action_id (or with one no longer stored) are inserted, changed rows
    updated, stored actions missing from ``frame`` deleted. Nothing is written when any row
    is invalid: raises SalesCoreError with the first problem (see :func:`clean_actions`).
    Returns {"inserted", "updated", "deleted"} counts.
    """
    rows, problems = clean_actions(frame)
    if problems:
        raise _invalid(problems)
    current = list_actions(con)[ACTION_COLUMNS].set_index("action_id")
    known = rows["action_id"].notna() & rows["action_id"].isin(current.index)
    inserts = rows[~known].drop(columns="action_id")
    updates = []
    for rec in rows[known].to_dict("records"):
        old = current.loc[int(rec["action_id"])]
        if not all(_same(rec[c], old[c]) for c in _EDITABLE):
            updates.append(rec)
    updates_frame = pd.DataFrame(updates, columns=ACTION_COLUMNS)
    kept = set(rows.loc[known, "action_id"].astype("int64"))
    deletes = [int(i) for i in current.index if int(i) not in kept]
    if len(inserts) or len(updates_frame) or deletes:
        with db.transaction(con) as cur:
            _write(cur, inserts, updates_frame, deletes)
    return {"inserted": int(len(inserts)), "updated": int(len(updates_frame)), "deleted": len(deletes)}


def add_actions(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> int:
    """Insert the rows of ``frame`` as new actions (any action_id is ignored), all or none.
    Returns the number inserted; raises SalesCoreError on the first invalid row."""
    rows, problems = clean_actions(frame.drop(columns="action_id", errors="ignore")
                                   .assign(action_id=None))
    if problems:
        raise _invalid(problems)
    if len(rows):
        with db.transaction(con) as cur:
            _write(cur, rows.drop(columns="action_id"), pd.DataFrame(columns=ACTION_COLUMNS), [])
    return int(len(rows))

