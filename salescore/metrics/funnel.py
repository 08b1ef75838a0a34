"""The funnel (DESIGN.md §4 "reached stage" rule): the stage order (saved or detected from the
names), stage conversion over a cohort of created deals, a team or rep against the rest, and
what the funnel says.

A deal's reached stage is the furthest of its current stage (when in the order), the stage
its file proves (deals.reached_stage, e.g. Maven's engage_date -> Engaging) and the furthest
stage deal_history shows for it; a won deal reached every stage; a lost deal with none of
these (its stage is "Lost", 输单 ...) is *unknown* and left out of every conversion, and an
open deal whose stage is not in the order counts at the first stage. :func:`reached_ctes` is
that rule in SQL, shared with the stage win probabilities and the forecast (metrics.pipeline).
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from salescore import db
from salescore import sql as sqlkit
from salescore.metrics.base import DEAL, _SCOPED, Con, _clean, _error, _missing, _params, _query, pd
from salescore.scope import Scope


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
    found = sqlkit.rows(
        con, "select stage, count(*) from deals where stage is not null and status <> 'won' "
        "group by stage")
    ranked = []
    for stage, count in found:
        if _TERMINAL.search(str(stage).strip()):
            continue
        hint = next((rank for rank, pat in _STAGE_HINTS if pat.search(str(stage))), 99)
        ranked.append((hint, -int(count), str(stage)))
    return [stage for _, _, stage in sorted(ranked)]


def funnel(con: Con, start: date | None = None, end: date | None = None, scope: Scope = Scope(),
           stages: list[str] | None = None) -> pd.DataFrame:
    """Stage conversion (DESIGN §4) for the deals created in the range (a cohort; with no
    start, deals without a created date too). Credits are not deals.

    A deal counts at every stage up to its reached stage (module docstring); a lost deal
    whose reached stage is unknown is left out of every row and counted in ``unknown``.
    Columns: stage, reached, value (amount of the deals that reached it),
    conversion_to_next (NaN on the last row, which is the won count), unknown (deals of the
    cohort left out, the same on every row).
    """
    return _funnel(con, start, end, scope, stages)


# The reached stage k (1..n; won = n + 1, NULL = unknown) of every deal of ``scoped``, as the
# CTE ``reached``: the furthest of the current stage and deals.reached_stage (positions in
# $stages: array_position, no join), and the furthest deal_history stage per deal (read only
# when ``{history}`` is that join: see _reached_ctes). greatest() skips NULLs.
_REACHED_SQL = """
stage_list as (select unnest($stages::VARCHAR[]) as stage,
                      generate_subscripts($stages::VARCHAR[], 1) as k),
history_k as (
    select h.deal_id, max(array_position($stages::VARCHAR[], h.stage)) as k
    from deal_history h where {history_filter} group by h.deal_id
),
reached as (
    select s.*,
           case when s.status = 'won' then $won_k
                else greatest(array_position($stages::VARCHAR[], s.stage),
                              array_position($stages::VARCHAR[], s.reached_stage), {history_k},
                              case when s.status = 'open' then 1 end) end as k
    from scoped s {history_join}
    where s.status <> 'won' or """ + DEAL + """
)"""


def reached_ctes(con: Con) -> str:
    """The ``stage_list``, ``history_k`` and ``reached`` CTEs (text after a ``with scoped``),
    reading deal_history only when it holds a row (it is empty until snapshots are imported,
    and a join over 1M deals costs ~30 ms)."""
    history = bool(sqlkit.scalar(con, "select exists (select 1 from deal_history)"))
    return _REACHED_SQL.format(
        history_filter="true" if history else "false",
        history_k="hk.k" if history else "null",
        history_join="left join history_k hk on hk.deal_id = s.deal_id" if history else "")


_FUNNEL_SQL = """
with {scoped},{reached},
pos as (
    select k, amount from reached
    where (created_date is null and $open_start) or created_date between $start and $end
),
per_k as (select k, count(*) as n, sum(amount) as v from pos group by k),   -- k NULL: unknown
steps as (
    select l.k, l.stage, coalesce(sum(p.n), 0)::BIGINT as reached,
           coalesce(sum(p.v), 0)::FLOAT8 as value
    from (select k, stage from stage_list union all select $won_k, 'won') l
    left join per_k p on p.k >= l.k
    group by l.k, l.stage
)
select stage, reached, value,
       lead(reached) over (order by k) / (case when reached > 0 then reached end)::FLOAT8
           as conversion_to_next,
       (select coalesce(sum(n), 0) from per_k where k is null)::BIGINT as unknown
from steps order by k
"""


def _funnel(con: Con, start: date | None, end: date | None, scope: Scope,
            stages: list[str] | None, frame: bool = True) -> Any:
    """:func:`funnel` as a DataFrame, or (``frame`` False) as a list of dicts."""
    stages = stages if stages is not None else stage_order(con)
    if not stages:
        if frame:
            return pd.DataFrame(columns=["stage", "reached", "value", "conversion_to_next", "unknown"])
        return []
    sql = _FUNNEL_SQL.format(scoped=_SCOPED.format(group="'all'"), reached=reached_ctes(con))
    params = _params(start, end, scope) | {"stages": list(stages), "won_k": len(stages) + 1}
    out = _query(con, sql, params, frame)
    if frame:
        out["unknown"] = out["unknown"].astype("int64")
    return out


def save_stage_order(con: Con, stages: list[str]) -> list[str]:
    """Store the manager's ordered open stages (settings 'stage_order') and return them.

    Names are trimmed and blanks dropped; an empty list, a name given twice, or a won/lost
    name (terminal, never a funnel stage) is refused with a SalesCoreError.
    """
    clean = [str(s).strip() for s in stages if s is not None and str(s).strip()]
    if not clean:
        raise _error("The stage order is empty: keep at least one stage.", "funnel.err_empty")
    twice = sorted({s for s in clean if clean.count(s) > 1})
    if twice:
        raise _error(f"Stages listed twice: {twice}.", "funnel.err_twice", stages="、".join(twice))
    terminal = [s for s in clean if _TERMINAL.search(s)]
    if terminal:
        raise _error(f"Won and lost are not funnel stages: {terminal}.", "funnel.err_terminal",
                     stages="、".join(terminal))
    db.set_setting(con, "stage_order", clean)
    return clean


def reset_stage_order(con: Con) -> list[str]:
    """Forget the saved order; returns the order detected from the data."""
    db.set_setting(con, "stage_order", None)
    return detect_stage_order(con)


def stage_table(con: Con) -> pd.DataFrame:
    """The open-stage names found in deals with their place in the current order, for the
    stage editor. Columns: stage, position (1..n, NaN when not in the order), open_deals,
    deals (any status). Ordered stages first, in order; then the others by volume."""
    frame = sqlkit.run(
        con, "select stage, count(*) filter (where status = 'open') as open_deals, count(*) as deals "
        "from deals where stage is not null and status <> 'won' group by stage")
    # a boolean Series, not a list: an empty list would select no *columns* (a file of orders
    # has no open stage at all)
    open_stage = frame["stage"].map(lambda s: not _TERMINAL.search(str(s).strip())).astype(bool)
    frame = frame[open_stage]
    order = stage_order(con)
    pos = {s: i + 1 for i, s in enumerate(order)}
    missing = [s for s in order if s not in set(frame["stage"])]   # saved but no longer in data
    if missing:
        frame = pd.concat([frame, pd.DataFrame({"stage": missing, "open_deals": 0, "deals": 0})])
    frame["position"] = frame["stage"].map(pos).astype("float64")
    frame["open_deals"] = frame["open_deals"].astype("int64")
    frame["deals"] = frame["deals"].astype("int64")
    frame = frame.sort_values(["position", "deals", "stage"], ascending=[True, False, True],
                              na_position="last")
    return frame[["stage", "position", "open_deals", "deals"]].reset_index(drop=True)


def stages_from_positions(frame: pd.DataFrame) -> list[str]:
    """The stage order an edited stage table describes: rows with a position, sorted by it
    (ties keep the table's order); rows without a position are left out."""
    rows = frame.dropna(subset=["position"]).reset_index(drop=True)
    rows = rows.assign(_row=range(len(rows))).sort_values(["position", "_row"])
    return [str(s) for s in rows["stage"]]


def funnel_compare(con: Con, start: date | None, end: date | None, base: Scope,
                   focus: Scope | None = None, stages: list[str] | None = None) -> pd.DataFrame:
    """Stage conversion (DESIGN §4) of ``focus`` next to the rest of ``base``.

    ``focus`` is a team or rep inside ``base`` (None: no comparison, rest_* are NaN). Deal
    counts add up, so the rest is base minus focus. Columns: stage, reached, value,
    conversion_to_next, unknown (of focus, or of base without focus), rest_reached,
    rest_value, rest_conversion, rest_unknown. The last row is the won stage.
    """
    stages = list(stages) if stages is not None else stage_order(con)
    whole = funnel(con, start, end, base, stages)
    if focus is None or focus == base:
        out = whole.copy()
        out["rest_reached"] = float("nan")
        out["rest_value"] = float("nan")
        out["rest_conversion"] = float("nan")
        out["rest_unknown"] = float("nan")
        return out
    mine = funnel(con, start, end, focus, stages)
    out = mine.copy()
    out["rest_reached"] = whole["reached"] - mine["reached"]
    out["rest_value"] = whole["value"] - mine["value"]
    nxt = out["rest_reached"].shift(-1)
    out["rest_conversion"] = nxt / out["rest_reached"].where(out["rest_reached"] > 0)
    out["rest_unknown"] = whole["unknown"] - mine["unknown"]
    return out


def funnel_findings(frame: pd.DataFrame, min_gap: float = 0.03) -> dict[str, Any]:
    """What the funnel says in a sentence, from a :func:`funnel_compare` frame.

    Keys: overall_conversion (won / reached the first stage: deals created in the range that
    were won), rest_overall; drop = the step with the lowest conversion_to_next
    {from, to, conversion, rest_conversion}; gap = the step where focus converts furthest
    below the rest {from, to, conversion, rest_conversion, gap} (None when no step is at
    least ``min_gap`` below, or there is no comparison). Missing figures are None.
    """
    out: dict[str, Any] = {"overall_conversion": None, "rest_overall": None, "drop": None, "gap": None}
    if frame.empty or int(frame["reached"].iloc[0]) == 0:
        return out
    first, last = frame.iloc[0], frame.iloc[-1]
    out["overall_conversion"] = float(last["reached"]) / float(first["reached"])
    if not _missing(_clean(first["rest_reached"])) and first["rest_reached"] > 0:
        out["rest_overall"] = float(last["rest_reached"]) / float(first["rest_reached"])
    steps = []
    for i in range(len(frame) - 1):
        row = frame.iloc[i]
        if _missing(_clean(row["conversion_to_next"])):
            continue
        steps.append({"from": str(row["stage"]), "to": str(frame.iloc[i + 1]["stage"]),
                      "conversion": float(row["conversion_to_next"]),
                      "rest_conversion": _clean(row["rest_conversion"])})
    if not steps:
        return out
    out["drop"] = min(steps, key=lambda s: s["conversion"])
    compared = [s | {"gap": s["conversion"] - s["rest_conversion"]} for s in steps
                if s["rest_conversion"] is not None]
    below = [s for s in compared if s["gap"] <= -min_gap]
    if below:
        out["gap"] = min(below, key=lambda s: s["gap"])
    return out

