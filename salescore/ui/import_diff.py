"""The Data page's import preview of a deals export, before it is stored (DESIGN.md section
8): the export's date (the snapshot's day in the deal history) and what the file changes
against the stored deals."""
from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from salescore import fmt, history
from salescore.i18n import t
from salescore.ui.widgets import table

#: Rows of a part listed in the preview (the count says how many there are).
LIST_ROWS = 200


def export_day(lang: str, k: str, prepared: Any, today: date) -> date:
    """The export's date: a date input, filled with the date the file name or title row
    names (said so) or today."""
    found = prepared.extra.get("as_of")
    default = date.fromisoformat(found) if found else today
    day = st.date_input(t("ingest.as_of", lang), value=default, max_value=today,
                        key=f"{k}_as_of", help=t("ingest.as_of_help", lang), format="YYYY-MM-DD")
    st.caption(t("ingest.as_of_found" if found else "ingest.as_of_today", lang,
                 day=default.isoformat()))
    return day or default


def show(lang: str, diff: history.ImportDiff) -> None:
    """The diff's counts as cards, and each part's deals in an expander."""
    if not diff.compared:
        return
    st.markdown(f"**{t('ingest.diff.title', lang)}**")
    counts = diff.counts
    for column, part in zip(st.columns(len(history.PARTS)), history.PARTS):
        column.metric(t(f"ingest.diff.{part}", lang), fmt.number(counts[part]),
                      help=t(f"ingest.diff.{part}_help", lang), border=True)
    names = {c: t(f"ingest.diff.col.{c}", lang) for c in
             ("deal_id", "rep", "stage", "status", "amount", "before", "after", "change",
              "status_before", "status_after", "close_date", "expected_close_date")}
    statuses = {s: t(f"ingest.status.{s}", lang) for s in ("open", "won", "lost")}
    for part in history.PARTS:
        frame = diff.parts[part]
        if frame.empty:
            continue
        with st.expander(f"{t(f'ingest.diff.{part}', lang)} ({fmt.number(len(frame))})"):
            shown = frame.head(LIST_ROWS)
            for c in ("status", "status_before", "status_after"):
                if c in shown:
                    shown = shown.assign(**{c: shown[c].map(lambda v: statuses.get(v, v))})
            table(shown.rename(columns=names))
            if len(frame) > LIST_ROWS:
                st.caption(t("ingest.diff.more", lang, n=fmt.number(len(frame) - LIST_ROWS)))
