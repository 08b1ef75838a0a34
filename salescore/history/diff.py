"""The import diff (DESIGN.md section 8): what a new deals export changes against what is
stored, before it is stored. Deals are matched by the file's deal id (a file without one
cannot be compared deal by deal). Read only: nothing is written.

- new: deals the database does not hold;
- amounts: deals whose amount changed (before, after);
- regressions: open deals back at an earlier stage of the funnel, and won deals now open or
  lost (a clawback when pay was made on them);
- backdated: deals closed on a day before the last export already imported, not closed
  then (they change figures that were already shown);
- missing: open deals in the database that the file does not list (closed in the CRM and
  left out of the export, moved to another owner, or a partial export).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

from salescore import sql as sqlkit
from salescore.metrics.funnel import stage_order

#: The parts of a diff, in the order the preview shows them.
PARTS = ("new", "amounts", "regressions", "backdated", "missing")
_WORDS = {"new": "new deals", "amounts": "amounts changed", "regressions": "stage went back",
          "backdated": "back-dated", "missing": "open deals not in the file"}
#: The file's columns a diff reads (the type of each when the file lacks it).
_COLUMNS = {"deal_id": pa.string(), "stage": pa.string(), "status": pa.string(),
            "amount": pa.float64(), "close_date": pa.date32()}

# the file's deals, one row per deal id (order lines summed), credits left out
_FILE = """
    f as (
        select deal_id, any_value(stage) as stage, any_value(status) as status,
               sum(amount) as amount, max(close_date)::DATE as close_date
        from _file where deal_id is not null and coalesce(amount, 0) >= 0 group by deal_id),
    s as (select d.deal_id, d.stage, d.status, d.expected_close_date,
                 coalesce(d.amount_local, d.amount) as amount,   -- as files give it
                 coalesce(r.name, d.rep_id) as rep from deals d
          left join reps r on r.rep_id = d.rep_id where coalesce(d.amount, 0) >= 0)"""

_PARTS_SQL = {
    "new": f"""with {_FILE}
        select f.deal_id, f.stage, f.status, f.amount::FLOAT8 as amount
        from f where f.deal_id not in (select deal_id from s) order by f.amount desc nulls last, 1""",
    "amounts": f"""with {_FILE}
        select f.deal_id, s.rep, s.amount::FLOAT8 as before, f.amount::FLOAT8 as after,
               (f.amount - s.amount)::FLOAT8 as change
        from f join s using (deal_id) where f.amount is distinct from s.amount
        order by abs(f.amount - coalesce(s.amount, 0)) desc nulls last, 1""",
    "regressions": f"""with {_FILE}
        select f.deal_id, s.rep, s.stage as before, f.stage as after, s.status as status_before,
               f.status as status_after
        from f join s using (deal_id)
        where (s.status = 'won' and f.status <> 'won')
           or (s.status = 'open' and f.status = 'open'
               and list_position($stages::VARCHAR[], f.stage) < list_position($stages::VARCHAR[], s.stage))
        order by 1""",
    "backdated": f"""with {_FILE}
        select f.deal_id, s.rep, f.status, f.close_date, f.amount::FLOAT8 as amount
        from f left join s using (deal_id)
        where f.status in ('won', 'lost') and f.close_date < $last
          and (s.deal_id is null or s.status = 'open')
        order by f.close_date, 1""",
    "missing": f"""with {_FILE}
        select s.deal_id, s.rep, s.stage, s.amount::FLOAT8 as amount, s.expected_close_date
        from s where s.status = 'open' and s.deal_id not in (select deal_id from f)
        order by s.amount desc nulls last, 1""",
}


@dataclass(frozen=True)
class ImportDiff:
    """A file's deals against the stored ones: one frame per part of PARTS (empty when
    nothing), and whether the comparison could be made (``compared``: the file has deal ids
    and the database holds deals)."""

    compared: bool
    parts: dict[str, pd.DataFrame]

    @property
    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.parts.items()}

    def report_lines(self, limit: int = 10) -> list[str]:
        """The diff in English lines for ``import --dry-run``: per part its count and up
        to ``limit`` deal ids."""
        if not self.compared:
            return ["  compared with the database: nothing to compare (no deal ids, or no "
                    "deals stored)"]
        lines = ["  compared with the database:"]
        for part, frame in self.parts.items():
            ids = ", ".join(str(x) for x in frame["deal_id"].head(limit))
            more = f" (+{len(frame) - limit:,} more)" if len(frame) > limit else ""
            lines.append(f"    {_WORDS[part]}: {len(frame):,}" + (f" - {ids}{more}" if ids else ""))
        return lines

    def as_json(self, limit: int = 20) -> dict[str, Any]:
        """Counts, and up to ``limit`` deal ids per part (``import --dry-run``)."""
        return {k: {"deals": len(v), "deal_ids": [str(x) for x in v["deal_id"].head(limit)]}
                for k, v in self.parts.items()}


def import_diff(con: Any, prepared: Any) -> ImportDiff:
    """The diff of ``prepared`` (an ingest.Prepared of kind deals) against ``con``."""
    empty = {k: pd.DataFrame(columns=["deal_id"]) for k in PARTS}
    table = prepared.table
    if prepared.kind != "deals" or "deal_id" not in table.column_names or table.num_rows == 0:
        return ImportDiff(False, empty)
    if not sqlkit.scalar(con, "select exists (select 1 from deals)"):
        return ImportDiff(False, empty)
    file = table.select([c for c in _COLUMNS if c in table.column_names])
    for name, kind in _COLUMNS.items():   # a column the file lacks: all NULL
        if name not in file.column_names:
            file = file.append_column(name, pa.nulls(file.num_rows, kind))
    last = sqlkit.scalar(con, "select max(seen_at) from deal_history")
    params = {"stages": stage_order(con), "last": last}

    def register(cur: Any) -> None:
        cur.register("_file", file)

    parts = {}
    for key, sql in _PARTS_SQL.items():
        if key == "backdated" and last is None:
            parts[key] = empty[key]
            continue
        parts[key] = sqlkit.run(con, sql, params, prepare=register)
    return ImportDiff(True, parts)
