"""The targets of a scenario as an XLSX workbook (through the one writer, salescore.xlsx)."""
from __future__ import annotations

import numpy as np

from salescore import metrics, sql, xlsx
from salescore.goals.core import METRICS, Con
from salescore.i18n import t


def export_xlsx(con: Con, lang: str, scenario: str | None = None) -> bytes:
    """The targets of ``scenario`` (default: the active one) as an XLSX workbook: one sheet per
    metric with reps (rep name, team, one column per month, total), then teams and the company
    below them. Text cells that start with = + - @ are escaped."""
    scenario = scenario or metrics.active_scenario(con)
    frame = sql.run(con, """
        select t.metric, t.scope, t.scope_id, t.period, t.value::FLOAT8 as value,
               r.name as rep, coalesce(r.team, '') as rep_team
        from targets t left join reps r on t.scope = 'rep' and r.rep_id = t.scope_id
        where t.scenario = $s order by t.metric, t.period""", {"s": scenario})
    book = xlsx.Workbook()
    bold = book.style(bold=True)
    number = book.style(num_format="#,##0")
    total_fmt = book.style(num_format="#,##0", bold=True)
    for metric in [m for m in METRICS if m in set(frame["metric"])] or ["revenue"]:
        part = frame[frame["metric"] == metric]
        sheet = book.sheet(t(f"goals.metric.{metric}", lang))
        months = sorted(set(part["period"]))
        head = [t("goals.col.level", lang), t("goals.col.rep", lang), t("goals.col.team", lang),
                *months, t("goals.col.total", lang)]
        book.row(sheet, 0, head, bold)
        r = 1
        for scope in ("rep", "team", "company"):
            rows = part[part["scope"] == scope]
            if rows.empty:
                continue
            wide = rows.pivot_table(index="scope_id", columns="period", values="value",
                                    aggfunc="sum").reindex(columns=months)
            meta = rows.drop_duplicates("scope_id").set_index("scope_id").reindex(wide.index)
            if scope == "rep":
                known = meta["rep"].notna().to_numpy()
                names = np.where(known, meta["rep"].fillna("").to_numpy(dtype=object), wide.index.to_numpy())
                teams = np.where(known, meta["rep_team"].fillna("").to_numpy(dtype=object), "")
            elif scope == "team":
                names, teams = np.full(len(wide), ""), wide.index.to_numpy()
            else:
                names, teams = np.full(len(wide), t("goals.company", lang)), np.full(len(wide), "")
            order = sorted(range(len(wide)), key=lambda i: (str(teams[i]), str(wide.index[i])))
            values = wide.to_numpy(dtype="float64")
            level = t(f"goals.scope.{scope}", lang)
            for i in order:
                book.row(sheet, r, [level, str(names[i]), str(teams[i])])
                book.row(sheet, r, [float(v) for v in values[i]], number, col=3)   # NaN: blank
                book.write(sheet, r, 3 + len(months), float(np.nansum(values[i])), total_fmt)
                r += 1
        sheet.freeze_panes(1, 3)
        sheet.set_column(0, 2, 14)
        sheet.set_column(3, 3 + len(months), 12)
    return book.close()
