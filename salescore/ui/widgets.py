"""Shared widgets: the KPI cards, an alert, tables (the leaderboard, the table counts, any
frame through :func:`table`) and the words for a missing team or a count."""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from salescore import fmt, i18n, metrics
from salescore.ui.text import lang, money, money_pattern, t, tx

#: st.metric's delta colour for each pacing light (metrics.lights, the one rule; the bars of
#: Goals › Pacing and of the Overview's team chart use the same four, charts.goals.LIGHT_COLORS).
LIGHT_DELTA = {"green": "green", "amber": "orange", "red": "red", "none": "gray"}


def table(frame: pd.DataFrame, **kwargs: Any) -> Any:
    """``st.dataframe`` as every page shows a table: a missing value is a blank cell (not
    "None"), a date column without times shows the date alone (not "2026-12-31 00:00:00").
    ``kwargs`` go to st.dataframe (column_config, hide_index ...)."""
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    return st.dataframe(fmt.dates_only(frame), placeholder="", **kwargs)


def team_name(team: Any) -> str:
    """A team as the pages write it: "(no team)" for reps imported without one."""
    return t("team.no_team") if fmt.missing(team) or not str(team).strip() else str(team)


def has_teams(frame: pd.DataFrame, column: str = "team") -> bool:
    """Whether any row of ``frame`` names a team (an import without a team column has none)."""
    return bool(frame[column].map(lambda v: not fmt.missing(v) and bool(str(v).strip())).any())


def with_team_names(frame: pd.DataFrame, column: str = "team") -> pd.DataFrame:
    """``frame`` with its ``column`` of teams written by :func:`team_name` (a copy)."""
    if column not in frame:
        return frame
    return frame.assign(**{column: frame[column].map(team_name)})


def tn(key: str, count: Any, /, **params: Any) -> str:
    """:func:`tx` for a sentence about ``count`` things: the key's ``_one`` form when the count
    is 1 and the catalogue has one ("1 rep changes", not "1 reps change")."""
    return tx(plural_key(key, count), **params)


def plural_key(key: str, count: Any) -> str:
    """``key`` + "_one" when ``count`` is 1 and that key exists, else ``key``."""
    return i18n.plural_key(key, lang(), count)


def _change(now: Any, before: Any) -> float | None:
    if now is None or before is None or not before:
        return None
    return float(now) / float(before) - 1


def kpi_cards(now: dict[str, Any], before: dict[str, Any], share: float, running: bool = False) -> None:
    """Six KPI cards for the period: value, change on the comparable previous window (the
    same first days of the previous period when ``running``: periods.comparable_previous),
    target in the help. The attainment delta is coloured by the pacing light of its pace
    index, the "vs previous" changes by the same thresholds on now / before
    (metrics.lights). Amounts in the reporting currency; a list of orders
    (``win_rate_note``) shows why it has no win rate and no sales cycle instead of a number."""
    language = lang()
    order_list = bool(now.get("win_rate_note"))
    vs_prev = "overview.vs_prev_to_date" if running else "overview.vs_prev"
    cards = [*st.columns(3), *st.columns(3)]  # two rows: big numbers stay whole on a projector
    rev_change = _change(now["revenue_won"], before["revenue_won"])
    with cards[0]:
        st.metric(t("metric.revenue_won"), money(now["revenue_won"], wan=True),
                  delta=None if rev_change is None else t(vs_prev, change=f"{rev_change:+.1%}"),
                  delta_color=LIGHT_DELTA[metrics.change_light(now["revenue_won"], before["revenue_won"])],
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
                  delta_color=LIGHT_DELTA[_light(now, share)], help=help_text, border=True)
    with cards[2]:
        diff = None if now["win_rate"] is None or before["win_rate"] is None else now["win_rate"] - before["win_rate"]
        if order_list:
            st.metric(t("metric.win_rate"), t("overview.win_rate_none"), help=t("overview.win_rate_no_lost"),
                      border=True)
        else:
            st.metric(t("metric.win_rate"), fmt.pct(now["win_rate"]),
                      delta=None if diff is None else t(vs_prev, change=fmt.points(diff, language, short=True)),
                      help=t("overview.help_win_rate"), border=True)
    with cards[3]:
        change = _change(now["avg_deal_size"], before["avg_deal_size"])
        st.metric(t("metric.avg_deal_size"), money(now["avg_deal_size"], wan=True),
                  delta=None if change is None else t(vs_prev, change=f"{change:+.1%}"),
                  delta_color=LIGHT_DELTA[metrics.change_light(now["avg_deal_size"], before["avg_deal_size"])],
                  border=True)
    with cards[4]:
        cyc, prev = now["sales_cycle_days"], before["sales_cycle_days"]
        delta = None if cyc is None or prev is None else t(vs_prev, change=f"{cyc - prev:+.1f}")
        st.metric(t("metric.sales_cycle_days"), fmt.days(cyc, language), delta=delta,
                  delta_color="inverse",
                  help=t("overview.cycle_no_created") if order_list else t(
                      "overview.help_cycle", median=fmt.days(now["sales_cycle_days_median"], language)),
                  border=True)
    with cards[5]:
        diff = now["new_customers"] - before["new_customers"]
        compared = bool(before["deals_won"] or before["deals_lost"])   # no deals before: nothing to compare
        st.metric(t("metric.new_customers"), fmt.number(now["new_customers"]),
                  delta=t(vs_prev, change=f"{diff:+d}") if compared else None,
                  delta_color=LIGHT_DELTA[metrics.change_light(now["new_customers"], before["new_customers"])],
                  border=True)


def _light(now: dict[str, Any], share: float) -> str:
    """The pacing light of the period's attainment (metrics.pace_light, as Goals › Pacing)."""
    return metrics.pace_light(now.get("attainment"), share, now.get("target"), now.get("revenue_won"),
                              now.get("pipeline_coverage"))


def alert(item: dict[str, Any]) -> None:
    """One alert from metrics.alerts, worded in the user's language (alert_text picks the
    singular sentence for a count of one)."""
    text = fmt.md_escape(metrics.alert_text(item, lang()))  # names are user data, not markup
    {"warning": st.warning, "success": st.success}.get(item["level"], st.info)(text, icon=None)


def leaderboard_table(board: Any) -> None:
    """The 销售明星榜 as a table with formatted money and an attainment bar (the Overview
    shows the best reps' photos above it: salescore.ui.photos.star_board)."""
    frame = with_team_names(board)
    frame["attainment"] = frame["attainment"] * 100
    frame["win_rate"] = frame["win_rate"] * 100
    table(
        frame.drop(columns=["rep_id"]),
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
