"""Charts of the Team page: rep vs team heatmap and trend, role mix, training."""
from __future__ import annotations

import altair as alt
import pandas as pd

from salescore.charts.common import (BAR_STEP, LINES, PALETTE, band_axis, bar_height, short_axis, theme,
                                     wrapped)
from salescore.i18n import t

#: Width of a heatmap column label line, in half-em units (a CJK character counts 2): the
#: names wrap onto lines instead of Vega-Lite dropping every other one at 1280 px.
HEAT_WRAP = 12
#: |z| from which a heatmap cell is dark enough (redyellowgreen) for white text.
DARK_Z = 1.8


def team_z_heatmap(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Each rep against their team median: robust z per figure (green = better, red = worse).
    Columns: rep, metric_label, better_z, value_text, median_text. Figure names wrap onto
    lines (every one is shown); a dark cell gets white text."""
    data = frame.assign(shown=frame["better_z"].clip(-3, 3),
                        column=frame["metric_label"].map(lambda s: wrapped(s, HEAT_WRAP)))
    base = alt.Chart(data).encode(
        x=alt.X("column:N", title=None, sort=None,
                axis=alt.Axis(orient="top", labelAngle=0, labelOverlap=False, labelLimit=0,
                              labelExpr=LINES, labelBaseline="bottom")),
        y=alt.Y("rep:N", title=None, sort=None, axis=band_axis()))
    rect = base.mark_rect().encode(
        color=alt.Color("shown:Q", scale=alt.Scale(scheme="redyellowgreen", domain=[-3, 3]),
                        legend=alt.Legend(title=t("team.chart.z", lang), orient="right")),
        tooltip=[alt.Tooltip("rep:N", title=t("metric.rep", lang)),
                 alt.Tooltip("metric_label:N", title=" "),
                 alt.Tooltip("value_text:N", title=t("team.chart.value", lang)),
                 alt.Tooltip("median_text:N", title=t("team.chart.team_median", lang)),
                 alt.Tooltip("better_z:Q", title=t("team.chart.z", lang), format="+.1f")])
    text = base.mark_text(fontSize=11).encode(
        text="value_text:N",
        color=alt.condition(f"abs(datum.shown) >= {DARK_Z}", alt.value("white"), alt.value("#111827")))
    return theme(alt.layer(rect, text).properties(height=bar_height(data["rep"].nunique(), minimum=160)))


def team_rep_trend(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """A rep against the team median over periods, one small chart per figure.
    Columns: period, metric_label, value, team_median."""
    rep, med = t("team.chart.rep", lang), t("team.chart.team_median", lang)
    long = pd.concat([frame.assign(series=rep, y=frame["value"]),
                      frame.assign(series=med, y=frame["team_median"])], ignore_index=True)
    colors = alt.Scale(domain=[rep, med], range=[PALETTE["actual"], PALETTE["neutral"]])
    chart = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("period:O", title=None, axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("y:Q", title=None, axis=short_axis(lang)),
        color=alt.Color("series:N", scale=colors, title=None),
        strokeDash=alt.StrokeDash("series:N", scale=alt.Scale(domain=[rep, med], range=[[1, 0], [5, 3]]),
                                  legend=None),
        tooltip=[alt.Tooltip("period:O", title=" "), alt.Tooltip("series:N", title=" "),
                 alt.Tooltip("y:Q", title=" ", format=",.3~f")],
    ).properties(width=200, height=140).facet(
        facet=alt.Facet("metric_label:N", title=None, sort=None), columns=3
    ).resolve_scale(y="independent")
    return theme(chart)


def team_role_mix(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Reps per team stacked by role. Columns: team, role_label, reps."""
    chart = alt.Chart(frame[frame["reps"] > 0]).mark_bar().encode(
        y=alt.Y("team:N", title=None, axis=band_axis()),
        x=alt.X("reps:Q", title=t("team.chart.reps", lang), axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("role_label:N", title=None, sort=None),
        order=alt.Order("role_order:Q"),
        tooltip=[alt.Tooltip("team:N", title=t("sidebar.team", lang)),
                 alt.Tooltip("role_label:N", title=" "),
                 alt.Tooltip("reps:Q", title=t("team.chart.reps", lang))])
    return theme(chart.properties(height=bar_height(frame["team"].nunique(), step=2 * BAR_STEP)))


def team_training_hours(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Training hours per rep stacked by topic. Columns: rep, topic_label, hours."""
    chart = alt.Chart(frame).mark_bar().encode(
        y=alt.Y("rep:N", title=None, sort="-x", axis=band_axis()),
        x=alt.X("hours:Q", title=t("team.chart.hours", lang)),
        color=alt.Color("topic_label:N", title=None),
        tooltip=[alt.Tooltip("rep:N", title=t("metric.rep", lang)),
                 alt.Tooltip("topic_label:N", title=" "),
                 alt.Tooltip("hours:Q", title=t("team.chart.hours", lang), format=",.0f")])
    return theme(chart.properties(height=bar_height(frame["rep"].nunique(), minimum=160)))


def team_did(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Win rate of trained vs control reps before and after a programme.
    Columns: group_label (trained first: drawn green), window_label (before, after), win_rate."""
    chart = alt.Chart(frame).mark_line(point=alt.OverlayMarkDef(size=80), strokeWidth=3).encode(
        x=alt.X("window_label:N", title=None, sort=None),
        y=alt.Y("win_rate:Q", title=t("metric.win_rate", lang), axis=alt.Axis(format="%"),
                scale=alt.Scale(zero=False)),
        color=alt.Color("group_label:N", title=None, sort=None,
                        scale=alt.Scale(domain=list(frame["group_label"].unique()),
                                        range=[PALETTE["good"], PALETTE["neutral"]])),
        tooltip=[alt.Tooltip("group_label:N", title=" "), alt.Tooltip("window_label:N", title=" "),
                 alt.Tooltip("win_rate:Q", title=t("metric.win_rate", lang), format=".1%")])
    text = chart.mark_text(dy=-12, fontSize=12).encode(text=alt.Text("win_rate:Q", format=".1%"))
    return theme(alt.layer(chart, text).properties(height=260))
