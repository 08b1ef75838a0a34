"""The one statement panel both pages draw: Incentives › Statements (a manager, any rep) and My
results (a rep, their own). It shows what salescore.incentives.statement_text words, the text of
the printable view itself, in the reader's language and the data's currency: the total,
attainment and revenue cards, the payout summary (deductions negative, adding up to the total),
the explanation lines, the XLSX and printable (HTML) downloads and the print preview.

Every cell is text made by salescore (blank where a line has no value), so the screen, the
printable view and the AppTest read the same words. Session keys start with the caller's prefix.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from salescore import fmt, incentives
from salescore import ui
from salescore.ui import t

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Head figures the caption repeats under the cards (the cards show total, attainment, revenue).
_FACTS = ("print.plan", "quota", "print.note")


def _file_name(rep: Any, period_label: str, ext: str) -> str:
    return re.sub(r"[\\/:*?\"<>|]+", "_", f"{rep}_{period_label}.{ext}")


def _right(columns: list[str]) -> dict[str, Any]:
    return {c: st.column_config.TextColumn(c, alignment="right") for c in columns}


def statement_panel(row: Mapping[str, Any], lines: pd.DataFrame, *, title: str, plan_name: str,
                    period_label: str, prefix: str, extra: Callable[[], None] | None = None) -> None:
    """One rep's statement: ``row`` a payouts row, ``lines`` its explanation lines
    (incentives.explain). ``extra`` draws one more button in the downloads row (the manager's
    ZIP of every statement). Downloads and the preview are built from the same row and lines."""
    lang, currency = ui.lang(), ui.currency()
    labels = incentives.statement_labels(lang)
    view = incentives.statement_text(row, lines, labels, period_label, plan_name, currency)
    st.subheader(title)
    cards = st.columns(3)
    cards[0].metric(view.total[0], view.total[1], border=True)
    cards[1].metric(labels["attainment"], fmt.pct(row.get("attainment")), border=True)
    cards[2].metric(labels["revenue_won"], ui.money(row.get("revenue_won"), wan=False), border=True)
    facts = [(label, value) for key, label, value in view.head if key in _FACTS]
    facts.append((labels["cost_of_sales"], fmt.pct(row.get("cost_of_sales"))))
    st.caption(" · ".join(t("incentives.fact", label=label, value=value) for label, value in facts))

    head = [labels["component"], labels["amount"]]
    st.dataframe(pd.DataFrame([*view.summary, view.total], columns=head), hide_index=True,
                 width="stretch", column_config=_right(head[1:]))
    carried, rewards = view.after[:-1], row.get("non_cash")
    for label, value in carried:
        st.info(t("incentives.fact", label=label, value=value))
    if rewards is not None and len(rewards):
        st.info(t("incentives.fact", label=view.after[-1][0], value=view.after[-1][1]))

    st.caption(t("incentives.lines_help"))
    shown = pd.DataFrame(list(view.lines), columns=list(view.columns))
    numeric = [c for c, name in zip(view.columns, incentives.LINE_COLUMNS) if name in incentives.NUMERIC_COLUMNS]
    st.dataframe(shown, hide_index=True, width="stretch", column_config=_right(numeric))

    # both files are built from this row and these lines only when the user clicks
    c = st.columns(3)
    c[0].download_button(t("incentives.download_xlsx"),
                         lambda: incentives.statement_xlsx(row, lines, labels, period_label, plan_name, currency),
                         file_name=_file_name(row["rep"], period_label, "xlsx"), key=f"{prefix}dl_xlsx",
                         mime=_XLSX, on_click="ignore")
    c[1].download_button(t("incentives.download_html"),
                         lambda: incentives.statement_html(row, lines, labels, period_label, plan_name, lang,
                                                           currency),
                         file_name=_file_name(row["rep"], period_label, "html"), key=f"{prefix}statement_html",
                         mime="text/html", on_click="ignore", help=t("incentives.download_html_help"))
    if extra is not None:
        with c[2]:
            extra()
    preview = st.expander(t("incentives.print_preview"), key=f"{prefix}statement_preview", on_change="rerun")
    if preview.open:  # built only while the preview is open (st.html sanitises it)
        preview.html(incentives.statement_html(row, lines, labels, period_label, plan_name, lang, currency))
