"""Charts of the Overview page: revenue against target, team attainment, leaderboard."""
from __future__ import annotations

import altair as alt
import pandas as pd

from salescore.charts.common import (BAR_STEP, PALETTE, band_axis, bar_height, money_format, month_x,
                                     pace_rule, short_axis, theme)
from salescore.charts.goals import LIGHT_COLORS
from salescore.i18n import t
from salescore.metrics import lights


def revenue_trend(frame: pd.DataFrame, lang: str, currency: str = "") -> alt.TopLevelMixin:
    """Monthly revenue won (bars) against target (line). Columns: month, revenue_won, target.
    ``currency``: the symbol amounts are shown with (fmt.symbol of the reporting currency)."""
    actual, goal = t("metric.revenue_won", lang), t("metric.target", lang)
    data = frame.assign(actual=actual, goal=goal)
    colors = alt.Scale(domain=[actual, goal], range=[PALETTE["actual"], PALETTE["target"]])
    x = month_x()
    tooltip = [alt.Tooltip("month:O", title=t("chart.month", lang)),
               alt.Tooltip("revenue_won:Q", title=actual, format=money_format(",.0f", currency)),
               alt.Tooltip("target:Q", title=goal, format=money_format(",.0f", currency))]
    bars = alt.Chart(data).mark_bar(cornerRadiusTopLeft=3, cornerRadiusTopRight=3).encode(
        x=x, y=alt.Y("revenue_won:Q", title=actual, axis=short_axis(lang, currency)),
        color=alt.Color("actual:N", scale=colors, title=None), tooltip=tooltip)
    line = alt.Chart(data.dropna(subset=["target"])).mark_line(
        point=True, strokeDash=[6, 3], strokeWidth=2).encode(
        x=x, y="target:Q", color=alt.Color("goal:N", scale=colors, title=None), tooltip=tooltip)
    return theme(alt.layer(bars, line).properties(height=300), currency)


def pace_lights(frame: pd.DataFrame, pace: float) -> list[str]:
    """The pacing traffic light (green / amber / red / none: metrics.lights, the one rule of
    the Overview cards and alerts and of Goals › Pacing) of each row of a metrics.by_group
    frame at time pace ``pace``: pace index attainment / pace, what is left of the target,
    pipeline coverage."""
    return lights.pace_lights(frame, pace)


def team_attainment(frame: pd.DataFrame, lang: str, pace: float = 1.0, currency: str = "") -> alt.TopLevelMixin:
    """Attainment per team as bars with a rule at the time pace, coloured by the pacing traffic
    light (:func:`pace_lights`, the colours of Goals › Pacing). Columns: team, attainment,
    revenue_won, target (amounts in ``currency``, a symbol), pipeline_coverage (optional)."""
    data = frame.dropna(subset=["attainment"]).copy()
    data["light"] = pace_lights(data, pace)
    data["light_label"] = data["light"].map(lambda k: t(f"goals.light.{k}", lang))
    lights = [k for k in LIGHT_COLORS if k in set(data["light"])] or ["none"]
    bars = alt.Chart(data).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("team:N", title=None, sort="-x", axis=band_axis()),
        x=alt.X("attainment:Q", title=t("metric.attainment", lang), axis=alt.Axis(format="%")),
        color=alt.Color("light:N", legend=None,
                        scale=alt.Scale(domain=lights, range=[LIGHT_COLORS[k] for k in lights])),
        tooltip=[alt.Tooltip("team:N", title=t("sidebar.team", lang)),
                 alt.Tooltip("attainment:Q", title=t("metric.attainment", lang), format=".1%"),
                 alt.Tooltip("light_label:N", title=t("goals.col.light", lang)),
                 alt.Tooltip("revenue_won:Q", title=t("metric.revenue_won", lang),
                             format=money_format(",.0f", currency)),
                 alt.Tooltip("target:Q", title=t("metric.target", lang), format=money_format(",.0f", currency))],
    )
    labels = bars.mark_text(align="left", dx=4, fontSize=12).encode(
        text=alt.Text("attainment:Q", format=".0%"), color=alt.value("#111827"))
    rule = pace_rule(pace)
    height = bar_height(len(data), step=2 * BAR_STEP)
    return theme(alt.layer(bars, labels, rule).properties(height=height), currency)


def leaderboard(frame: pd.DataFrame, lang: str, currency: str = "") -> alt.TopLevelMixin:
    """Horizontal bars of revenue_won per rep, best on top. Columns: rep, revenue_won, team
    (amounts in ``currency``, a symbol)."""
    chart = alt.Chart(frame).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("rep:N", sort="-x", title=None, axis=band_axis()),
        x=alt.X("revenue_won:Q", title=t("metric.revenue_won", lang), axis=short_axis(lang, currency)),
        color=alt.Color("team:N", title=None),
        tooltip=[alt.Tooltip("rep:N", title=t("metric.rep", lang)),
                 alt.Tooltip("revenue_won:Q", format=money_format(",.0f", currency),
                             title=t("metric.revenue_won", lang))],
    )
    return theme(chart.properties(height=bar_height(len(frame), step=28, minimum=160)), currency)
