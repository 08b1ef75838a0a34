"""Why deals are lost: the Pareto of lost reasons by count or value, per month or rep."""
from __future__ import annotations

from datetime import date
from typing import Any

from salescore.metrics.base import _SCOPED, Con, _clean, _params, _query, pd
from salescore.scope import Scope


_LOSS_KEYS = {"month": ("strftime(s.close_date, '%Y-%m')", "strftime(s.close_date, '%Y-%m')"),
              "rep": ("s.rep_id", "coalesce(r.name, s.rep_id)")}


def loss_reasons(con: Con, start: date | None, end: date | None, scope: Scope = Scope(),
                 measure: str = "deals_lost") -> pd.DataFrame:
    """Pareto of lost_reason for deals lost (closed) in the range, by count or by value.

    ``measure`` is deals_lost or value_lost (sum of the lost amounts; deals without an amount
    add nothing). reason NaN = not recorded. Columns: reason, deals_lost, value_lost, share
    (of the measure), cum_share. Sorted by the measure, largest first.
    """
    if measure not in ("deals_lost", "value_lost"):
        raise ValueError(measure)
    sql = """
    with {scoped}
    select nullif(trim(lost_reason), '') as reason, count(*) as deals_lost,
           coalesce(sum(amount), 0) as value_lost
    from scoped where status = 'lost' and close_date between $start and $end
    group by 1
    """.format(scoped=_SCOPED.format(group="'all'"))
    frame = _query(con, sql, _params(start, end, scope))
    frame["deals_lost"] = frame["deals_lost"].astype("int64")
    frame["value_lost"] = frame["value_lost"].astype("float64")
    frame = frame.sort_values([measure, "deals_lost", "reason"], ascending=[False, False, True],
                              na_position="last", kind="stable").reset_index(drop=True)
    total = float(frame[measure].sum())
    frame["share"] = frame[measure] / total if total else float("nan")
    frame["cum_share"] = frame["share"].cumsum()
    return frame


def loss_reasons_by(con: Con, start: date | None, end: date | None, scope: Scope = Scope(),
                    by: str = "month") -> pd.DataFrame:
    """Lost deals (closed in the range) per month or per rep and reason: columns key, label,
    reason (NaN = not recorded), deals_lost, value_lost, share (of the key's lost deals)."""
    key, label = _LOSS_KEYS[by]
    sql = """
    with {scoped}
    select {key} as key, {label} as label, nullif(trim(s.lost_reason), '') as reason,
           count(*) as deals_lost, coalesce(sum(s.amount), 0) as value_lost
    from scoped s left join reps r on r.rep_id = s.rep_id
    where s.status = 'lost' and s.close_date between $start and $end
    group by 1, 2, 3
    """.format(scoped=_SCOPED.format(group="'all'"), key=key, label=label)
    frame = _query(con, sql, _params(start, end, scope))
    frame["deals_lost"] = frame["deals_lost"].astype("int64")
    frame["value_lost"] = frame["value_lost"].astype("float64")
    frame["share"] = frame["deals_lost"] / frame.groupby("key")["deals_lost"].transform("sum")
    # ties in count: recorded reasons by name, "not recorded" last (the SQL grouping has no order)
    return frame.sort_values(["key", "deals_lost", "reason"], ascending=[True, False, True],
                             na_position="last").reset_index(drop=True)


def loss_summary(reasons: pd.DataFrame) -> dict[str, Any]:
    """The headline of a :func:`loss_reasons` frame: deals_lost and value_lost (totals over
    every reason), recorded (some reason is recorded), top_reason (the first row's reason,
    None when none or not recorded) and top_share (its share of the frame's measure)."""
    top = reasons.iloc[0] if len(reasons) else None
    return {"deals_lost": int(reasons["deals_lost"].sum()),
            "value_lost": float(reasons["value_lost"].sum()),
            "recorded": bool(reasons["reason"].notna().any()),
            "top_reason": None if top is None else _clean(top["reason"]),
            "top_share": None if top is None else _clean(top["share"])}
