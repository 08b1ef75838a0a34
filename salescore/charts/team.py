"""Charts of the Team page: rep vs team heatmap and trend, role mix, training."""
from __future__ import annotations

import altair as alt
import pandas as pd

from salescore.charts.common import PALETTE, theme
from salescore.i18n import t


def team_z_heatmap(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Each rep against their team median: robust z per figure (green = better, red = worse).
    Columns: rep, metric_label, better_z, value_text, median_text."""
    data = frame.assign(shown=frame["better_z"].clip(-3, 3))
    base = alt.Chart(data).encode(
        x=alt.X("metric_label:N", title=None, sort=None, axis=alt.Axis(labelAngle=-30)),
        y=alt.Y("rep:N", title=None, sort=None))
    rect = base.mark_rect().encode(
        color=alt.Color("shown:Q", scale=alt.Scale(scheme="redyellowgreen", domain=[-3, 3]),
                        legend=alt.Legend(title=t("team.chart.z", lang), orient="right")),
        tooltip=[alt.Tooltip("rep:N", title=t("metric.rep", lang)),
                 alt.Tooltip("metric_label:N", title=" "),
                 alt.Tooltip("value_text:N", title=t("team.chart.value", lang)),
                 alt.Tooltip("median_text:N", title=t("team.chart.team_median", lang)),
                 alt.Tooltip("better_z:Q", title=t("team.chart.z", lang), format="+.1f")])
    text = base.mark_text(fontSize=11).encode(text="value_text:N", color=alt.value("#111827"))
    return theme(alt.layer(rect, text).properties(height=max(160, 26 * data["rep"].nunique())))


def team_rep_trend(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """A rep against the team median over periods, one small chart per figure.
    Columns: period, metric_label, value, team_median."""
    rep, med = t("team.chart.rep", lang), t("team.chart.team_median", lang)
    long = pd.concat([frame.assign(series=rep, y=frame["value"]),
                      frame.assign(series=med, y=frame["team_median"])], ignore_index=True)
    colors = alt.Scale(domain=[rep, med], range=[PALETTE["actual"], PALETTE["neutral"]])
    chart = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("period:O", title=None, axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("y:Q", title=None, axis=alt.Axis(format="~s")),
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
        y=alt.Y("team:N", title=None),
        x=alt.X("reps:Q", title=t("team.chart.reps", lang), axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("role_label:N", title=None, sort=None),
        order=alt.Order("role_order:Q"),
        tooltip=[alt.Tooltip("team:N", title=t("sidebar.team", lang)),
                 alt.Tooltip("role_label:N", title=" "),
                 alt.Tooltip("reps:Q", title=t("team.chart.reps", lang))])
    return theme(chart.properties(height=max(120, 50 * frame["team"].nunique())))


def team_training_hours(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Training hours per rep stacked by topic. Columns: rep, topic_label, hours."""
    chart = alt.Chart(frame).mark_bar().encode(
        y=alt.Y("rep:N", title=None, sort="-x"),
        x=alt.X("hours:Q", title=t("team.chart.hours", lang)),
        color=alt.Color("topic_label:N", title=None),
        tooltip=[alt.Tooltip("rep:N", title=t("metric.rep", lang)),
                 alt.Tooltip("topic_label:N", title=" "),
                 alt.Tooltip("hours:Q", title=t("team.chart.hours", lang), format=",.0f")])
    return theme(chart.properties(height=max(160, 24 * frame["rep"].nunique())))


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
