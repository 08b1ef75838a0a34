"""Shared widgets: the KPI cards, an alert, the leaderboard table, the table-counts frame."""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from salescore import fmt, metrics
from salescore.ui.text import lang, money, money_pattern, t


def _change(now: Any, before: Any) -> float | None:
    if now is None or before is None or not before:
        return None
    return float(now) / float(before) - 1


def kpi_cards(now: dict[str, Any], before: dict[str, Any], share: float) -> None:
    """Six KPI cards for the period: value, change on the previous period, target in the help.
    Amounts in the reporting currency; a list of orders (``win_rate_note``) shows why it has
    no win rate and no sales cycle instead of a number."""
    language = lang()
    order_list = bool(now.get("win_rate_note"))
    cards = [*st.columns(3), *st.columns(3)]  # two rows: big numbers stay whole on a projector
    rev_change = _change(now["revenue_won"], before["revenue_won"])
    with cards[0]:
        st.metric(t("metric.revenue_won"), money(now["revenue_won"], wan=True),
                  delta=None if rev_change is None else t("overview.vs_prev", change=f"{rev_change:+.1%}"),
                  help=t("overview.help_revenue", value=money(now["revenue_won"]),
                         target=money(now["target"])), border=True)
    with cards[1]:
        att = now["attainment"]
        gap = None if att is None else att - share
        coverage = now.get("pipeline_coverage")
        help_text = (t("overview.help_attainment", pace=fmt.pct(share, 0)) if coverage is None else
                     t("overview.help_attainment_coverage", pace=fmt.pct(share, 0),
                       coverage=f"{coverage:.1f}×"))
        st.metric(t("metric.attainment"), fmt.pct(att),
                  delta=None if gap is None else t("overview.vs_pace", change=fmt.points(gap, language, short=True)),
                  help=help_text, border=True)
    with cards[2]:
        diff = None if now["win_rate"] is None or before["win_rate"] is None else now["win_rate"] - before["win_rate"]
        if order_list:
            st.metric(t("metric.win_rate"), t("overview.win_rate_none"), help=t("overview.win_rate_no_lost"),
                      border=True)
        else:
            st.metric(t("metric.win_rate"), fmt.pct(now["win_rate"]),
                      delta=None if diff is None else t("overview.vs_prev", change=fmt.points(diff, language, short=True)),
                      help=t("overview.help_win_rate"), border=True)
    with cards[3]:
        change = _change(now["avg_deal_size"], before["avg_deal_size"])
        st.metric(t("metric.avg_deal_size"), money(now["avg_deal_size"], wan=True),
                  delta=None if change is None else t("overview.vs_prev", change=f"{change:+.1%}"),
                  border=True)
    with cards[4]:
        cyc, prev = now["sales_cycle_days"], before["sales_cycle_days"]
        delta = None if cyc is None or prev is None else t("overview.vs_prev", change=f"{cyc - prev:+.1f}")
        st.metric(t("metric.sales_cycle_days"), fmt.days(cyc, language), delta=delta,
                  delta_color="inverse",
                  help=t("overview.cycle_no_created") if order_list else t(
                      "overview.help_cycle", median=fmt.days(now["sales_cycle_days_median"], language)),
                  border=True)
    with cards[5]:
        diff = now["new_customers"] - before["new_customers"]
        st.metric(t("metric.new_customers"), fmt.number(now["new_customers"]),
                  delta=t("overview.vs_prev", change=f"{diff:+d}"), border=True)


def alert(item: dict[str, Any]) -> None:
    """One alert from metrics.alerts, worded in the user's language."""
    text = fmt.md_escape(metrics.alert_text(item, lang()))  # names are user data, not markup
    {"warning": st.warning, "success": st.success}.get(item["level"], st.info)(text, icon=None)


def leaderboard_table(board: Any) -> None:
    """The 销售明星榜 as a table with formatted money and an attainment bar."""
    frame = board.copy()
    frame["attainment"] = frame["attainment"] * 100
    frame["win_rate"] = frame["win_rate"] * 100
    st.dataframe(
        frame.drop(columns=["rep_id"]), hide_index=True, width="stretch",
        column_config={
            "rank": st.column_config.NumberColumn(t("metric.rank"), format="%d"),
            "rep": t("metric.rep"),
            "team": t("sidebar.team"),
            "revenue_won": st.column_config.NumberColumn(t("metric.revenue_won"), format=money_pattern()),
            "deals_won": st.column_config.NumberColumn(t("metric.deals_won"), format="%d"),
            "win_rate": st.column_config.NumberColumn(t("metric.win_rate"), format="%.1f%%"),
            "attainment": st.column_config.ProgressColumn(t("metric.attainment"), format="%.0f%%",
                                                          min_value=0, max_value=150),
            "new_customers": st.column_config.NumberColumn(t("metric.new_customers"), format="%d"),
        })


def table_counts_frame(counts: dict[str, int]) -> pd.DataFrame:
    """Rows per table with the table names in the user's language."""
    return pd.DataFrame({t("data.table"): [t(f"table.{name}") for name in counts],
                         t("data.rows"): list(counts.values())})
