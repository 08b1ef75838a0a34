"""Charts of the Goals page: the plan per month and pacing per rep."""
from __future__ import annotations

import altair as alt
import pandas as pd

from salescore.charts.common import PALETTE, money_format, month_x, pace_rule, theme
from salescore.i18n import t


# ==== goals: chart builders of pages/goals.py go below this line ====

LIGHT_COLORS = {"green": PALETTE["good"], "amber": PALETTE["target"], "red": PALETTE["bad"],
                "none": PALETTE["neutral"]}


def goals_plan(frame: pd.DataFrame, lang: str, currency: str | None = None) -> alt.TopLevelMixin:
    """Targets per month stacked by team. Columns: month, team, value. ``currency``: the
    symbol of a revenue target ('' when not known), None for a count."""
    title = t("metric.target", lang)
    chart = alt.Chart(frame).mark_bar().encode(
        x=month_x(),
        y=alt.Y("sum(value):Q", title=title, axis=alt.Axis(format=money_format("~s", currency))),
        color=alt.Color("team:N", title=None),
        tooltip=[alt.Tooltip("month:O", title=t("chart.month", lang)),
                 alt.Tooltip("team:N", title=t("sidebar.team", lang)),
                 alt.Tooltip("value:Q", title=title, format=money_format(",.0f", currency))])
    return theme(chart.properties(height=280), currency)


def goals_pacing(frame: pd.DataFrame, lang: str, time_share: float) -> alt.TopLevelMixin:
    """Attainment to date per rep (bars coloured by traffic light) against the share of working
    days elapsed (dashed rule). Columns: name, attainment, light, light_label."""
    data = frame.dropna(subset=["attainment"])
    lights = [k for k in LIGHT_COLORS if k in set(data["light"])] or ["none"]
    bars = alt.Chart(data).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("name:N", sort=None, title=None),
        x=alt.X("attainment:Q", title=t("metric.attainment", lang), axis=alt.Axis(format="%")),
        color=alt.Color("light:N", legend=None,
                        scale=alt.Scale(domain=lights, range=[LIGHT_COLORS[k] for k in lights])),
        tooltip=[alt.Tooltip("name:N", title=t("metric.rep", lang)),
                 alt.Tooltip("attainment:Q", title=t("metric.attainment", lang), format=".1%"),
                 alt.Tooltip("light_label:N", title=t("goals.col.light", lang))])
    rule = pace_rule(time_share)
    return theme(alt.layer(bars, rule).properties(height=max(160, 24 * len(data))))
