"""Implementation and evaluation (rule 8): the action plan, the before/after effect of a
change with its confidence interval, and suggested actions. The estimators are in
:mod:`salescore.stats` (re-exported here)."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from salescore import db, metrics
from salescore.errors import SalesCoreError
from salescore.stats import (MIN_UNITS, N_BOOT, DidEstimate, Estimate, _did_from_units,  # noqa: F401
                             _too_few, bootstrap_mean, bootstrap_mean_diff, diff_in_diff,
                             excludes_zero, unit_changes, verdict)

# ==== action plan (Plan & review page) ==============================================
# The eight rules of sales management an action serves (DESIGN.md, intro), in display order.
RULES = ("goals", "team", "training", "incentives", "customers", "data", "process", "evaluation")
#: Action statuses; done and dropped actions are never overdue.
STATUSES = ("planned", "in_progress", "done", "dropped")
CLOSED_STATUSES = ("done", "dropped")
ACTION_COLUMNS = ["action_id", "title", "rule", "owner", "start_date", "due_date", "status",
                  "kpi", "baseline", "target"]


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """Run ``sql`` binding only the ``$names`` it uses (DuckDB rejects unused parameters)."""
    used = set(re.findall(r"\$(\w+)", sql))
    with con.cursor() as cur:
        return cur.execute(sql, {k: v for k, v in params.items() if k in used}).df()


def _to_date(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col).dt.date.astype("object").where(col.notna(), None)


def list_actions(con: duckdb.DuckDBPyConnection, when: date | None = None) -> pd.DataFrame:
    """Every action, by due date: action_id, title, rule, owner, start_date, due_date (dates or
    None), status, kpi, baseline, target, overdue (bool: due before ``when``, default the
    data's last date, and not done or dropped; False when there is no date to compare)."""
    when = when or metrics.as_of(con)
    frame = _run(con, """
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
    frame = _run(con, """
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
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    try:
        if pd.isna(value):
            return True
    except (TypeError, ValueError):
        pass
    return isinstance(value, str) and not value.strip()


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
    from salescore import i18n
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
             "x.due_date::DATE, x.status::VARCHAR, x.kpi::VARCHAR, x.baseline::DOUBLE, x.target::DOUBLE")
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


# --- evaluating a change: a KPI per unit x month, before/after, difference-in-differences ------
#: Products at or above this margin rate are "high margin" (DESIGN §5's example tier).
HIGH_MARGIN = 0.40


@dataclass(frozen=True)
class Kpi:
    """A KPI the evaluation can compute for any set of deals closed in a bucket (a unit's
    month or window): ``sql`` aggregates closed deals ``d`` (won or lost, by close_date)
    joined with their product ``p``. ``kind``: rate (0..1, changes in points), money, days
    or count; ``higher_is_better`` decides whether a rise is good news."""

    name: str
    kind: str
    sql: str
    higher_is_better: bool = True


_WON = "d.status = 'won'"
_WON_REV = f"sum(d.amount::DOUBLE) filter (where {_WON}"
#: The whitelist: KPI names (DESIGN §4 where one exists) and how each is computed in SQL.
KPIS: dict[str, Kpi] = {k.name: k for k in (
    # DESIGN §4: won / closed
    Kpi("win_rate", "rate", f"count(*) filter (where {_WON})::DOUBLE / nullif(count(*), 0)"),
    # DESIGN §4: revenue_won / deals_won
    Kpi("avg_deal_size", "money", f"{_WON_REV}) / nullif(count(*) filter (where {_WON}), 0)"),
    # DESIGN §4: mean close - created of won deals
    Kpi("sales_cycle_days", "days",
        f"avg(d.close_date - d.created_date) filter (where {_WON} and d.created_date is not null)",
        higher_is_better=False),
    # DESIGN §4, per rep-month with a closed deal (a month with only lost deals counts 0)
    Kpi("revenue_won", "money", f"coalesce({_WON_REV}), 0)"),
    Kpi("deals_won", "count", f"count(*) filter (where {_WON})::DOUBLE"),
    # share of won revenue (with a known product margin) from products with margin >= 40 %
    Kpi("margin_mix", "rate",
        f"coalesce({_WON_REV} and p.margin_rate >= {HIGH_MARGIN}), 0) "
        f"/ nullif({_WON_REV} and p.margin_rate is not null), 0)"),
    # revenue-weighted product margin of won deals
    Kpi("margin_rate", "rate",
        f"sum(d.amount::DOUBLE * p.margin_rate) filter (where {_WON} and p.margin_rate is not null) "
        f"/ nullif({_WON_REV} and p.margin_rate is not null), 0)"),
    # share of won deals that opened a new customer
    Kpi("new_customer_share", "rate",
        f"count(*) filter (where {_WON} and d.is_new_customer)::DOUBLE "
        f"/ nullif(count(*) filter (where {_WON} and d.is_new_customer is not null), 0)"),
)}
#: Behaviour-level KPIs shown side by side for one change (what reps do, not only results).
BEHAVIOUR_KPIS = ("win_rate", "avg_deal_size", "sales_cycle_days", "margin_mix", "new_customer_share")
_UNITS = {"rep": "d.rep_id", "group": "g.grp"}
_BUCKETS = {"month": "strftime(d.close_date, '%Y-%m')",
            "window": "case when d.close_date < $change then 'before' else 'after' end"}


def _kpi(name: str) -> Kpi:
    if name not in KPIS:
        raise SalesCoreError(f"Unknown KPI {name!r}.", key="evaluation.error.kpi_unknown_eval", value=name)
    return KPIS[name]


def kpi_panel(con: duckdb.DuckDBPyConnection, kpis: Sequence[str], treated: Sequence[str],
              control: Sequence[str] = (), start: date | None = None, end: date | None = None,
              change: date | None = None, by: str = "rep", bucket: str = "month") -> pd.DataFrame:
    """KPIs per unit and bucket over deals closed (won or lost) from ``start`` to ``end``.

    ``treated`` / ``control``: rep_ids (a rep in both counts as treated). ``by``: 'rep'
    (unit = rep_id) or 'group' (unit = 'treated'/'control', deals pooled); ``bucket``:
    'month' ('YYYY-MM' of close_date) or 'window' ('before' = closed before ``change``,
    else 'after'). Columns: unit, group ('treated'/'control'), bucket, closed (deals), then
    one column per KPI name. Only buckets with a closed deal appear. One query.
    """
    exprs = [f"{_kpi(k).sql} as {k}" for k in kpis]   # names from the whitelist only
    if by not in _UNITS or bucket not in _BUCKETS:
        raise ValueError(f"by={by!r} bucket={bucket!r}")
    if bucket == "window" and change is None:
        raise ValueError("a window bucket needs the change date")
    sql = f"""
    with t as (select distinct unnest($treated::VARCHAR[]) as rep_id),
    g as (select rep_id, 'treated' as grp from t
          union all
          select distinct c.rep_id, 'control' from (select unnest($control::VARCHAR[]) as rep_id) c
          where c.rep_id not in (select rep_id from t))
    select {_UNITS[by]} as unit, g.grp as "group", {_BUCKETS[bucket]} as bucket,
           count(*) as closed{''.join(', ' + e for e in exprs)}
    from deals d join g on g.rep_id = d.rep_id
    left join products p on p.product_id = d.product_id
    where d.status in ('won', 'lost') and d.close_date between $start and $end
    group by 1, 2, 3 order by 2 desc, 1, 3
    """
    frame = _run(con, sql, {"treated": [str(x) for x in treated], "control": [str(x) for x in control],
                            "start": start or date(1, 1, 1), "end": end or date(9999, 12, 31),
                            "change": change})
    frame["closed"] = frame["closed"].astype("int64")
    for k in kpis:
        frame[k] = frame[k].astype("float64")
    return frame


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (earlier when negative), clamped to the
    month's last day."""
    index = day.year * 12 + day.month - 1 + months
    y, m = divmod(index, 12)
    nxt = date(y + 1, 1, 1) if m == 11 else date(y, m + 2, 1)
    return date(y, m + 1, min(day.day, (nxt - timedelta(days=1)).day))


@dataclass(frozen=True)
class ChangeEffect:
    """What :func:`evaluate_change` found for one KPI.

    ``before_after``: mean after-minus-before change of the treated units with its interval
    (units = reps; with one treated rep, its months are resampled instead: ``basis``
    'months'). ``did``: the difference-in-differences against the comparison group (None
    without one). ``before``/``after``: the windows (first, last day); ``after`` ends at the
    data's last date when that comes first (``short_after``). ``monthly``: month, group,
    value, closed (deals pooled per group). ``caveats``: (i18n key, params) pairs.
    """

    kpi: str
    change: date
    before: tuple[date, date]
    after: tuple[date, date]
    treated_before: float
    treated_after: float
    before_after: Estimate
    did: DidEstimate | None
    n_treated: int
    n_control: int
    basis: str
    monthly: pd.DataFrame
    caveats: tuple[tuple[str, dict[str, Any]], ...] = ()

    @property
    def headline(self) -> Estimate:
        """The estimate the verdict rests on: the DiD when there is a comparison group."""
        return self.did if self.did is not None else self.before_after

    @property
    def verdict(self) -> str:
        """'better', 'worse' or 'noise' (the interval covers 0), given the KPI's direction."""
        v = verdict(self.headline)
        if v == "noise":
            return v
        good = (v == "up") == KPIS[self.kpi].higher_is_better
        return "better" if good else "worse"


#: Fewer units than this in a group earns the 'few units' caveat.
FEW_UNITS = 5


def windows(change: date, months_before: int, months_after: int,
            last: date | None) -> tuple[tuple[date, date], tuple[date, date]]:
    """(before, after) windows around ``change``: ``months_before`` calendar months up to the
    day before it, and ``months_after`` months from it, the after window ending at ``last``
    (the data's last date) when that comes first. Raises SalesCoreError when nothing is
    after the change yet."""
    if months_before < 1 or months_after < 1:
        raise SalesCoreError("Windows need at least one month.", key="evaluation.error.window", months=1)
    before = (add_months(change, -months_before), change - timedelta(days=1))
    after_end = add_months(change, months_after) - timedelta(days=1)
    if last is not None:
        after_end = min(after_end, last)
    if last is None or after_end < change:
        raise SalesCoreError("The change is after the last data: there is no 'after' yet.",
                             key="evaluation.error.no_after", change=change.isoformat(),
                             last="" if last is None else last.isoformat())
    return before, (change, after_end)


def _window_units(win: pd.DataFrame, value: str) -> pd.DataFrame:
    """unit, treated, before, after, change from a 'window' :func:`kpi_panel` (one row per
    unit and window): what :func:`unit_changes` returns for it, without its per-group loop."""
    data = win.dropna(subset=[value])
    wide = data.pivot(index="unit", columns="bucket", values=value)
    out = pd.DataFrame({"unit": wide.index.astype(str),
                        "before": wide["before"].to_numpy() if "before" in wide else np.nan,
                        "after": wide["after"].to_numpy() if "after" in wide else np.nan})
    groups = data.drop_duplicates("unit").set_index("unit")["group"]
    out["treated"] = out["unit"].map(groups).eq("treated").astype(bool)
    out = out.dropna(subset=["before", "after"])
    out["change"] = out["after"] - out["before"]
    return out[["unit", "treated", "before", "after", "change"]].sort_values("unit").reset_index(drop=True)


def _estimates(con: duckdb.DuckDBPyConnection, kpi: str, win: pd.DataFrame, treated: Sequence[str],
               has_control: bool, change: date, start: date, end: date, n_boot: int,
               seed: int) -> dict[str, Any]:
    """The before/after and DiD estimates of one KPI from a window panel (see evaluate_change)."""
    units = _window_units(win, kpi)
    t_units = units[units["treated"]]
    out: dict[str, Any] = {"basis": "units", "did": None, "n_treated": int(len(t_units)), "n_control": 0,
                           "t_before": float(t_units["before"].mean()) if len(t_units) else float("nan"),
                           "t_after": float(t_units["after"].mean()) if len(t_units) else float("nan")}
    if len(t_units) >= MIN_UNITS:
        out["before_after"] = bootstrap_mean(t_units["change"], n_boot=n_boot, seed=seed)
    else:  # one treated rep: compare its months before with its months after
        out["basis"] = "months"
        months = kpi_panel(con, [kpi], treated, (), start, end, None, "rep", "month")
        months = months[months["unit"].isin(t_units["unit"])]
        first_after = change.strftime("%Y-%m")
        out["before_after"] = bootstrap_mean_diff(months.loc[months["bucket"] > first_after, kpi],
                                                  months.loc[months["bucket"] < first_after, kpi],
                                                  n_boot=n_boot, seed=seed)
    if has_control:
        n_control = int((~units["treated"]).sum())
        out["n_control"] = n_control
        if len(t_units) >= MIN_UNITS and n_control >= MIN_UNITS:
            out["did"] = _did_from_units(units, n_boot, 0.95, seed)
    return out


def evaluate_change(con: duckdb.DuckDBPyConnection, kpi: str, change: date, treated: Sequence[str],
                    control: Sequence[str] = (), months_before: int = 6, months_after: int = 6,
                    as_of: date | None = None, n_boot: int = N_BOOT, seed: int = 0) -> ChangeEffect:
    """Did ``kpi`` move for the ``treated`` reps after ``change``, and more than for the
    ``control`` reps? Units are reps; a rep's value in a window is the KPI over all its deals
    closed in it (DESIGN §4 definitions, :data:`KPIS`); reps lacking either window are left
    out. before_after resamples the treated reps' changes; with one treated rep it compares
    its whole months after the change month with those before (the change month is left
    out). The DiD needs MIN_UNITS reps on each side, else it is None with a caveat.
    Raises SalesCoreError when the treated group is empty, nothing follows the change, or
    too few reps (or months) have data on both sides.
    """
    _kpi(kpi)
    treated = tuple(dict.fromkeys(str(r) for r in treated))
    control = tuple(r for r in dict.fromkeys(str(r) for r in control) if r not in set(treated))
    if not treated:
        raise SalesCoreError("Choose who made the change.", key="evaluation.error.no_treated")
    before, after = windows(change, months_before, months_after, as_of or metrics.as_of(con))
    win = kpi_panel(con, [kpi], treated, control, before[0], after[1], change, "rep", "window")
    parts = _estimates(con, kpi, win, treated, bool(control), change, before[0], after[1], n_boot, seed)
    monthly = kpi_panel(con, [kpi], treated, control, before[0], after[1], None, "group", "month")
    monthly = monthly.rename(columns={"bucket": "month", kpi: "value"})[["month", "group", "value", "closed"]]
    caveats = _caveats(con, change, before, after, months_after, parts["n_treated"], parts["n_control"],
                       bool(control), parts["basis"], treated, parts["did"] is not None)
    return ChangeEffect(kpi, change, before, after, parts["t_before"], parts["t_after"],
                        parts["before_after"], parts["did"], parts["n_treated"], parts["n_control"],
                        parts["basis"], monthly.reset_index(drop=True), caveats)


def _caveats(con: duckdb.DuckDBPyConnection, change: date, before: tuple[date, date],
             after: tuple[date, date], months_after: int, n_treated: int, n_control: int,
             has_control: bool, basis: str, treated: Sequence[str],
             has_did: bool = True) -> tuple[tuple[str, dict[str, Any]], ...]:
    out: list[tuple[str, dict[str, Any]]] = []
    if has_control and not has_did:
        out.append(("review.caveat.no_did", {"treated": n_treated, "control": n_control, "min": MIN_UNITS}))
    if basis == "months":
        out.append(("review.caveat.one_rep", {}))
    elif n_treated < FEW_UNITS or (has_control and n_control < FEW_UNITS):
        out.append(("review.caveat.few_units", {"treated": n_treated, "control": n_control,
                                                 "min": FEW_UNITS}))
    if has_did:
        out.append(("review.caveat.parallel", {}))
    else:
        out.append(("review.caveat.seasonality", {}))
    if after[1] < add_months(change, months_after) - timedelta(days=1):
        out.append(("review.caveat.short_after", {"last": after[1].isoformat()}))
    events = change_events(con)
    concerns = [not reps or bool(set(reps) & set(treated)) for reps in events["reps"]]
    near = events[(events["change_date"] >= before[0]) & (events["change_date"] <= after[1])
                  & (events["change_date"] != change) & pd.Series(concerns, index=events.index, dtype=bool)]
    if len(near):
        names = ", ".join(f"{r.name} ({r.change_date.isoformat()})" for r in near.head(3).itertuples())
        out.append(("review.caveat.other_changes", {"count": int(len(near)), "names": names}))
    return tuple(out)


def change_events(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Dates on which something changed, latest first: source ('plan' effective_from of each
    incentive plan's latest version / 'training' first session of a course / 'action' start
    of an action plan item), name, change_date (date), reps (tuple of rep_ids concerned:
    a course's attendees; empty = everybody)."""
    frame = _run(con, """
        select 'plan' as source, name, effective_from as change_date, []::VARCHAR[] as reps
        from (select *, row_number() over (partition by plan_id order by version desc) as rn from plans)
        where rn = 1 and effective_from is not null
        union all
        select 'training', course, min(start_date), list(distinct rep_id order by rep_id)
        from trainings group by course
        union all
        select 'action', title, start_date, []::VARCHAR[] from actions where start_date is not null
        order by change_date desc, source, name""", {})
    frame["change_date"] = pd.to_datetime(frame["change_date"]).dt.date
    frame["reps"] = [tuple(r) if r is not None else () for r in frame["reps"]]
    return frame


def resolve_groups(con: duckdb.DuckDBPyConnection, teams: Sequence[str] = (), reps: Sequence[str] = (),
                   compare: str = "none", compare_teams: Sequence[str] = (),
                   compare_reps: Sequence[str] = (), scope: metrics.Scope = metrics.Scope()
                   ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(treated, control) rep_ids among the reps of ``scope`` (metrics.rep_options).

    Treated = the reps of ``teams`` plus ``reps`` (nobody chosen = everybody). ``compare``:
    'none' (no comparison group), 'others' (every other rep) or 'chosen' (the reps of
    ``compare_teams`` plus ``compare_reps``); treated reps never count as control. Sorted.
    """
    if compare not in ("none", "others", "chosen"):
        raise ValueError(f"compare={compare!r}")
    universe = metrics.rep_options(con, metrics.Scope(team=scope.team))

    def pick(team_list: Sequence[str], rep_list: Sequence[str]) -> set[str]:
        mask = universe["team"].isin(list(team_list)) | universe["rep_id"].isin(list(rep_list))
        return set(universe.loc[mask, "rep_id"])

    everybody = set(universe["rep_id"])
    treated = pick(teams, reps) if (teams or reps) else everybody
    if compare == "others":
        control = everybody - treated
    elif compare == "chosen":
        control = pick(compare_teams, compare_reps) - treated
    else:
        control = set()
    return tuple(sorted(treated)), tuple(sorted(control))


def behaviour_effects(con: duckdb.DuckDBPyConnection, change: date, treated: Sequence[str],
                      control: Sequence[str] = (), months_before: int = 6, months_after: int = 6,
                      as_of: date | None = None, kpis: Sequence[str] = BEHAVIOUR_KPIS,
                      n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """One row per KPI of ``kpis`` (what reps do: win rate, deal size, cycle, margin mix,
    new customers) for the same change as :func:`evaluate_change`: kpi, before, after
    (treated means), change (treated, after - before), control_change (NaN without a DiD),
    estimate, low, high (the DiD when there is one, else the before/after change), verdict
    ('better'/'worse'/'noise'). KPIs without enough data on both sides are left out. One
    query for all KPIs."""
    for k in kpis:
        _kpi(k)
    treated = tuple(dict.fromkeys(str(r) for r in treated))
    control = tuple(r for r in dict.fromkeys(str(r) for r in control) if r not in set(treated))
    cols = ["kpi", "before", "after", "change", "control_change", "estimate", "low", "high", "verdict"]
    if not treated:
        return pd.DataFrame(columns=cols)
    before, after = windows(change, months_before, months_after, as_of or metrics.as_of(con))
    win = kpi_panel(con, list(kpis), treated, control, before[0], after[1], change, "rep", "window")
    rows = []
    for k in kpis:
        try:
            p = _estimates(con, k, win, treated, bool(control), change, before[0], after[1], n_boot, seed)
        except SalesCoreError:
            continue
        head = p["did"] if p["did"] is not None else p["before_after"]
        v = verdict(head)
        if v != "noise":
            v = "better" if (v == "up") == KPIS[k].higher_is_better else "worse"
        rows.append({"kpi": k, "before": p["t_before"], "after": p["t_after"],
                     "change": p["t_after"] - p["t_before"],
                     "control_change": p["did"].control_change if p["did"] is not None else np.nan,
                     "estimate": head.estimate, "low": head.low, "high": head.high, "verdict": v})
    return pd.DataFrame(rows, columns=cols)


# --- words and numbers ---------------------------------------------------------------

def kpi_kind(kpi: str) -> str:
    """rate / money / days / count for an evaluation or action KPI."""
    if kpi in KPIS:
        return KPIS[kpi].kind
    return {"new_customers": "count", "repeat_rate": "rate", "attainment": "rate",
            "stage_conversion": "rate", "satisfaction": "count", "activities": "count"}.get(kpi, "count")


def format_value(kpi: str, value: Any, lang: str) -> str:
    """A KPI level in the user's language: 35.2% / ¥4.6万 / 42.5 days / 12.3."""
    from salescore import fmt
    kind = kpi_kind(kpi)
    if kind == "rate":
        return fmt.pct(value)
    if kind == "money":
        return fmt.money(value, lang, wan=True)
    if kind == "days":
        return fmt.days(value, lang)
    return fmt.number(value, 1)


def format_change(kpi: str, value: Any, lang: str) -> str:
    """A KPI change with its sign: +3.2 pts / +¥4.6k / -2.1 days / +1.5."""
    from salescore import fmt
    if _blank(value):
        return "—"
    kind, v = kpi_kind(kpi), float(value)
    if kind == "rate":
        return fmt.points(v, lang)
    sign = "+" if v >= 0 else "-"
    if kind == "money":
        return sign + fmt.money(abs(v), lang, wan=True)
    if kind == "days":
        return sign + fmt.days(abs(v), lang)
    return f"{v:+,.1f}"


def render_change(effect: ChangeEffect, lang: str) -> dict[str, Any]:
    """The effect in words: headline (the figures), verdict (better/worse/noise sentence),
    caveats (list of sentences)."""
    from salescore import i18n
    k, h = effect.kpi, effect.headline
    params = {"kpi": i18n.t(f"review.kpi.{k}", lang),
              "change": format_change(k, effect.treated_after - effect.treated_before, lang),
              "before": format_value(k, effect.treated_before, lang),
              "after": format_value(k, effect.treated_after, lang),
              "effect": format_change(k, h.estimate, lang), "low": format_change(k, h.low, lang),
              "high": format_change(k, h.high, lang), "level": f"{h.level:.0%}",
              "treated": effect.n_treated, "control": effect.n_control}
    if effect.did is not None:
        params["control_change"] = format_change(k, effect.did.control_change, lang)
        headline = i18n.t("review.effect.did", lang, **params)
    elif effect.basis == "months":
        headline = i18n.t("review.effect.one_rep", lang, **params)
    else:
        headline = i18n.t("review.effect.before_after", lang, **params)
    return {"headline": headline,
            "verdict": i18n.t(f"review.verdict.{effect.verdict}", lang, **params),
            "caveats": [i18n.t(key, lang, **p) for key, p in effect.caveats]}


def action_goal(frame: pd.DataFrame, lang: str) -> pd.Series:
    """'baseline → target' per action row in its KPI's unit ('' when neither is set)."""
    out = []
    for kpi, base, goal in zip(frame["kpi"], frame["baseline"], frame["target"]):
        if _blank(base) and _blank(goal):
            out.append("")
            continue
        k = "" if _blank(kpi) else str(kpi)
        out.append(f"{format_value(k, base, lang) if not _blank(base) else '—'} → "
                   f"{format_value(k, goal, lang) if not _blank(goal) else '—'}")
    return pd.Series(out, index=frame.index, dtype="object")


# --- suggested actions ---------------------------------------------------------------
SUGGEST_COLUMNS = ["title", "rule", "owner", "start_date", "due_date", "status", "kpi",
                   "baseline", "target", "reason"]
#: How many suggestions of each kind at most.
SUGGEST_EACH = 3
#: Look-back of the funnel and training suggestions.
SUGGEST_MONTHS = 6


def suggest_actions(con: duckdb.DuckDBPyConnection, scope: metrics.Scope = metrics.Scope(),
                    when: date | None = None, lang: str = "zh") -> pd.DataFrame:
    """Actions the data argues for, worded in ``lang``, none stored: the funnel step with the
    lowest conversion in the last SUGGEST_MONTHS months (rule process), reps furthest behind
    pace in the quarter of ``when`` (red light, goals.pacing; rule team), loss reasons whose
    share rose (team.loss_shift thresholds; rule customers), and rep weaknesses a training
    topic addresses (team.training_links; rule training). Titles already in the plan are
    skipped. Columns: SUGGEST_COLUMNS (status 'planned', start = ``when``)."""
    from salescore import goals, i18n, team
    from salescore.periods import containing
    when = when or metrics.as_of(con)
    if when is None:
        return pd.DataFrame(columns=SUGGEST_COLUMNS)
    start = add_months(when, -SUGGEST_MONTHS) + timedelta(days=1)
    soon, later = when + timedelta(days=30), when + timedelta(days=90)
    out: list[dict[str, Any]] = []

    def add(title_key: str, reason_key: str, rule: str, kpi: str, baseline: Any, target: Any,
            due: date, owner: str | None = None, **params: Any) -> None:
        out.append({"title": i18n.t(title_key, lang, **params), "rule": rule, "owner": owner,
                    "start_date": when, "due_date": due, "status": "planned", "kpi": kpi,
                    "baseline": baseline, "target": target,
                    "reason": i18n.t(reason_key, lang, **params)})

    stages = metrics.funnel(con, start, when, scope)
    steps = stages.dropna(subset=["conversion_to_next"])
    steps = steps[steps["reached"] >= 20]
    if len(steps):
        i = steps["conversion_to_next"].idxmin()
        conv = float(stages.loc[i, "conversion_to_next"])
        nxt = str(stages.loc[i + 1, "stage"])
        add("review.suggest.funnel", "review.suggest.funnel_reason", "process", "stage_conversion",
            round(conv, 4), round(min(1.0, conv + 0.05), 4), later,
            stage=str(stages.loc[i, "stage"]),
            next=i18n.t("review.won", lang) if nxt == "won" else nxt,
            conversion=f"{conv:.0%}", months=SUGGEST_MONTHS)

    quarter = containing(when, "quarter")
    try:
        pace = goals.pacing(con, quarter, when, scope)
    except SalesCoreError:
        pace = pd.DataFrame(columns=["level", "light", "rep_id", "name", "attainment", "pace_index"])
    behind = pace[(pace["level"] == "rep") & (pace["light"] == "red")].head(SUGGEST_EACH)
    managers = _run(con, "select rep_id, manager from reps", {}).set_index("rep_id")["manager"]
    for row in behind.itertuples(index=False):
        add("review.suggest.pace", "review.suggest.pace_reason", "team", "attainment",
            round(float(row.attainment), 4), 1.0, max(quarter.end, soon),
            owner=_text(managers.get(row.rep_id)), rep=row.name, quarter=quarter.label,
            attainment=f"{float(row.attainment):.0%}", pace=f"{float(row.time_share):.0%}")

    shift = team.loss_shift(con, when, scope, SUGGEST_MONTHS)
    rising = shift[(shift["rise"] >= team.LOSS_RISE) & (shift["lost_now"] >= team.LOSS_MIN)]
    if len(rising):
        win = metrics.kpis(con, start, when, scope)["win_rate"]
        for row in rising.head(SUGGEST_EACH).itertuples(index=False):
            add("review.suggest.loss", "review.suggest.loss_reason", "customers", "win_rate",
                None if win is None else round(float(win), 4),
                None if win is None else round(min(1.0, float(win) + 0.03), 4), later,
                reason=row.reason, before=f"{float(row.share_before):.0%}",
                now=f"{float(row.share_now):.0%}", months=SUGGEST_MONTHS)

    profile = team.profiles(con, start, when, scope)
    if len(profile):
        links = team.training_links(profile, team.training_hours(con, start, when, scope))
        links = links[links["metric"].isin(KPIS)].drop_duplicates("rep_id").head(SUGGEST_EACH)
        for row in links.itertuples(index=False):
            add("review.suggest.training", "review.suggest.training_reason", "training", row.metric,
                round(float(row.value), 4), round(float(row.median), 4), later,
                owner=_text(managers.get(row.rep_id)), rep=row.rep,
                topic=i18n.t(f"review.topic.{row.topic}", lang),
                metric=i18n.t(f"review.kpi.{row.metric}", lang),
                value=format_value(row.metric, row.value, lang),
                median=format_value(row.metric, row.median, lang))

    frame = pd.DataFrame(out, columns=SUGGEST_COLUMNS)
    for col in ("baseline", "target"):   # rates to 4 decimals (0.1234 = 12.34 %), others to cents
        frame[col] = [v if _blank(v) else round(float(v), 4 if kpi_kind(k) == "rate" else 2)
                      for k, v in zip(frame["kpi"], frame[col])]
    existing = set(_run(con, "select title from actions", {})["title"])
    return frame[~frame["title"].isin(existing)].reset_index(drop=True)
