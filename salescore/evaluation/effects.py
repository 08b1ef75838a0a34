"""Evaluating a change (DESIGN.md rule 8): a KPI per unit and month or window, the before
and after windows, the before/after change and the difference-in-differences against a
comparison group, and the same for the behaviour KPIs side by side. The estimators are in
:mod:`salescore.stats`."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from salescore import metrics, sql
from salescore.errors import SalesCoreError
from salescore.periods import full_after_end, windows_around
from salescore.scope import Scope
from salescore.stats import (MIN_UNITS, N_BOOT, DidEstimate, Estimate, _did_from_units, bootstrap_mean,
                             bootstrap_mean_diff, verdict)

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
_WON_REV = f"sum(d.amount::FLOAT8) filter (where {_WON}"
#: The whitelist: KPI names (DESIGN §4 where one exists) and how each is computed in SQL.
KPIS: dict[str, Kpi] = {k.name: k for k in (
    # DESIGN §4: won / closed
    Kpi("win_rate", "rate", f"count(*) filter (where {_WON})::FLOAT8 / nullif(count(*), 0)"),
    # DESIGN §4: revenue_won / deals_won
    Kpi("avg_deal_size", "money", f"{_WON_REV}) / nullif(count(*) filter (where {_WON}), 0)"),
    # DESIGN §4: mean close - created of won deals
    Kpi("sales_cycle_days", "days",
        f"avg((d.close_date - d.created_date)::FLOAT8) filter (where {_WON} and d.created_date is not null)",
        higher_is_better=False),
    # DESIGN §4, per rep-month with a closed deal (a month with only lost deals counts 0)
    Kpi("revenue_won", "money", f"coalesce({_WON_REV}), 0)"),
    Kpi("deals_won", "count", f"count(*) filter (where {_WON})::FLOAT8"),
    # share of won revenue (with a known product margin) from products with margin >= 40 %
    Kpi("margin_mix", "rate",
        f"coalesce({_WON_REV} and p.margin_rate >= {HIGH_MARGIN}), 0) "
        f"/ nullif({_WON_REV} and p.margin_rate is not null), 0)"),
    # revenue-weighted product margin of won deals
    Kpi("margin_rate", "rate",
        f"sum(d.amount::FLOAT8 * p.margin_rate) filter (where {_WON} and p.margin_rate is not null) "
        f"/ nullif({_WON_REV} and p.margin_rate is not null), 0)"),
    # share of won deals (naming a customer; credits are not deals) that are the customer's
    # first won deal ever: DESIGN §4's one new-customer notion (metrics.first_won, joined as f)
    Kpi("new_customer_share", "rate",
        f"count(*) filter (where {_WON} and f.deal_id is not null)::FLOAT8 "
        f"/ nullif(count(*) filter (where {_WON} and d.customer_id is not null "
        f"and coalesce(d.amount, 0) >= 0), 0)"),
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
    query = f"""
    with t as (select distinct unnest($treated::VARCHAR[]) as rep_id),
    g as (select rep_id, 'treated' as grp from t
          union all
          select distinct c.rep_id, 'control' from (select unnest($control::VARCHAR[]) as rep_id) c
          where c.rep_id not in (select rep_id from t))
    select {_UNITS[by]} as unit, g.grp as "group", {_BUCKETS[bucket]} as bucket,
           count(*) as closed{''.join(', ' + e for e in exprs)}
    from deals d join g on g.rep_id = d.rep_id
    left join products p on p.product_id = d.product_id
    {"left join _first_won f on f.deal_id = d.deal_id" if "f.deal_id" in " ".join(exprs) else ""}
    where d.status in ('won', 'lost') and d.close_date between $start and $end
    group by 1, 2, 3 order by 2 desc, 1, 3
    """
    frame = sql.run(con, query, {"treated": [str(x) for x in treated], "control": [str(x) for x in control],
                                 **sql.date_range(start, end), "change": change},
                    prepare=lambda cur: metrics.register_first_won(con, cur, query))
    frame["closed"] = frame["closed"].astype("int64")
    for k in kpis:
        frame[k] = frame[k].astype("float64")
    return frame


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
    def treated_change(self) -> float:
        """The treated units' mean KPI after minus before (in the KPI's unit)."""
        return self.treated_after - self.treated_before

    @property
    def verdict(self) -> str:
        """'better', 'worse' or 'noise' (the interval covers 0), given the KPI's direction."""
        return judge(self.kpi, self.headline)


def judge(kpi: str, estimate: Estimate) -> str:
    """'better', 'worse' or 'noise' (the interval covers 0) for a change of ``kpi``, given
    whether a rise of it is good news."""
    v = verdict(estimate)
    if v == "noise":
        return v
    return "better" if (v == "up") == KPIS[kpi].higher_is_better else "worse"


#: Fewer units than this in a group earns the 'few units' caveat.
FEW_UNITS = 5


def windows(change: date, months_before: int, months_after: int,
            last: date | None) -> tuple[tuple[date, date], tuple[date, date]]:
    """(before, after) windows around ``change`` (periods.windows_around). Raises
    SalesCoreError when nothing is after the change yet."""
    if months_before < 1 or months_after < 1:
        raise SalesCoreError("Windows need at least one month.", key="evaluation.error.window", months=1)
    before, after = windows_around(change, months_before, months_after, last)
    if last is None or after[1] < change:
        raise SalesCoreError("The change is after the last data: there is no 'after' yet.",
                             key="evaluation.error.no_after", change=change.isoformat(),
                             last="" if last is None else last.isoformat())
    return before, after


def _groups(treated: Sequence[str], control: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Both groups as rep_id text without repeats, in the order given; a rep in both is treated."""
    treated = tuple(dict.fromkeys(str(r) for r in treated))
    return treated, tuple(r for r in dict.fromkeys(str(r) for r in control) if r not in set(treated))


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
    treated, control = _groups(treated, control)
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
    if after[1] < full_after_end(change, months_after):
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
    frame = sql.run(con, """
        select 'plan' as source, name, effective_from as change_date, array[]::VARCHAR[] as reps
        from (select *, row_number() over (partition by plan_id order by version desc) as rn
              from plans) p
        where rn = 1 and effective_from is not null
        union all
        select 'training', course, min(start_date), array_agg(distinct rep_id order by rep_id)
        from trainings group by course
        union all
        select 'action', title, start_date, array[]::VARCHAR[] from actions where start_date is not null
        order by change_date desc nulls last, source, name""", {})
    frame["change_date"] = pd.to_datetime(frame["change_date"]).dt.date
    frame["reps"] = [tuple(r) if r is not None else () for r in frame["reps"]]
    return frame


def resolve_groups(con: duckdb.DuckDBPyConnection, teams: Sequence[str] = (), reps: Sequence[str] = (),
                   compare: str = "none", compare_teams: Sequence[str] = (),
                   compare_reps: Sequence[str] = (), scope: Scope = Scope()
                   ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(treated, control) rep_ids among the reps of ``scope`` (metrics.rep_options).

    Treated = the reps of ``teams`` plus ``reps`` (nobody chosen = everybody). ``compare``:
    'none' (no comparison group), 'others' (every other rep) or 'chosen' (the reps of
    ``compare_teams`` plus ``compare_reps``); treated reps never count as control. Sorted.
    """
    if compare not in ("none", "others", "chosen"):
        raise ValueError(f"compare={compare!r}")
    universe = metrics.rep_options(con, Scope(team=scope.team))

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
    treated, control = _groups(treated, control)
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
        v = judge(k, head)
        rows.append({"kpi": k, "before": p["t_before"], "after": p["t_after"],
                     "change": p["t_after"] - p["t_before"],
                     "control_change": p["did"].control_change if p["did"] is not None else np.nan,
                     "estimate": head.estimate, "low": head.low, "high": head.high, "verdict": v})
    return pd.DataFrame(rows, columns=cols)


