"""Charts of the Customers page: monthly mixes and rates, scores, cohorts, top customers."""
from __future__ import annotations

import altair as alt
import pandas as pd

from salescore.charts.common import PALETTE, band_axis, bar_height, money_format, month_x, short_axis, theme
from salescore.i18n import t


def stacked_months(frame: pd.DataFrame, lang: str, value: str, group: str,
                   value_title: str, currency: str | None = None) -> alt.TopLevelMixin:
    """Bars per month stacked by a group (new customers by source, revenue new vs existing).
    Columns: month, ``group``, ``value``. ``currency``: the symbol when ``value`` is money
    ('' when not known), None for a count."""
    chart = alt.Chart(frame).mark_bar().encode(
        x=month_x(),
        y=alt.Y(f"{value}:Q", title=value_title, axis=short_axis(lang, currency)),
        color=alt.Color(f"{group}:N", title=None),
        tooltip=[alt.Tooltip("month:O", title=t("chart.month", lang)), alt.Tooltip(f"{group}:N", title=" "),
                 alt.Tooltip(f"{value}:Q", title=value_title, format=money_format(",.0f", currency))])
    return theme(chart.properties(height=260), currency)


def monthly_rate(frame: pd.DataFrame, lang: str, value: str, title: str,
                 domain: tuple[float, float] | None = None) -> alt.TopLevelMixin:
    """One rate per month as a line (repeat rate, CSAT, NPS). Columns: month, ``value``."""
    scale = alt.Scale(domain=list(domain)) if domain else alt.Scale(zero=False)
    chart = alt.Chart(frame.dropna(subset=[value])).mark_line(point=True, color=PALETTE["actual"]).encode(
        x=month_x(),
        y=alt.Y(f"{value}:Q", title=title, axis=alt.Axis(format="%"), scale=scale),
        tooltip=[alt.Tooltip("month:O", title=t("chart.month", lang)),
                 alt.Tooltip(f"{value}:Q", title=title, format=".1%")])
    return theme(chart.properties(height=240))


def score_distribution(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Answers per score, coloured promoter / passive / detractor. Columns: score,
    responses, kind_label, kind."""
    labels = frame.drop_duplicates("kind").set_index("kind")["kind_label"].to_dict()
    domain = [labels[k] for k in ("promoter", "passive", "detractor") if k in labels]
    rng = [c for k, c in (("promoter", PALETTE["good"]), ("passive", PALETTE["neutral"]),
                          ("detractor", PALETTE["bad"])) if k in labels]
    chart = alt.Chart(frame).mark_bar(cornerRadiusTopLeft=3, cornerRadiusTopRight=3).encode(
        x=alt.X("score:O", title=t("customers.score", lang), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("responses:Q", title=t("customers.responses", lang)),
        color=alt.Color("kind_label:N", scale=alt.Scale(domain=domain, range=rng), title=None),
        tooltip=[alt.Tooltip("score:O", title=t("customers.score", lang)),
                 alt.Tooltip("responses:Q", title=t("customers.responses", lang))])
    return theme(chart.properties(height=240))


def score_by(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Average score per rep or segment, lowest first. Columns: label, avg_score, responses."""
    chart = alt.Chart(frame).mark_bar(cornerRadiusEnd=3, color=PALETTE["actual"]).encode(
        y=alt.Y("label:N", sort=list(frame["label"]), title=None, axis=band_axis()),
        x=alt.X("avg_score:Q", title=t("customers.avg_score", lang)),
        tooltip=[alt.Tooltip("label:N", title=" "),
                 alt.Tooltip("avg_score:Q", title=t("customers.avg_score", lang), format=".2f"),
                 alt.Tooltip("responses:Q", title=t("customers.responses", lang))])
    return theme(chart.properties(height=bar_height(len(frame))))


def cohort_heatmap(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Retention per first-purchase cohort and months since. Columns: cohort, month_index,
    retention, customers, cohort_size."""
    base = alt.Chart(frame).encode(
        x=alt.X("month_index:O", title=t("customers.months_since", lang), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("cohort:O", title=t("customers.cohort", lang), axis=band_axis()))
    rect = base.mark_rect().encode(
        color=alt.Color("retention:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]),
                        legend=alt.Legend(format="%", title=None)),
        tooltip=[alt.Tooltip("cohort:O", title=t("customers.cohort", lang)),
                 alt.Tooltip("month_index:O", title=t("customers.months_since", lang)),
                 alt.Tooltip("customers:Q", title=t("customers.buying", lang)),
                 alt.Tooltip("cohort_size:Q", title=t("customers.cohort_size", lang)),
                 alt.Tooltip("retention:Q", title=t("customers.retention", lang), format=".0%")])
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("retention:Q", format=".0%"),
        color=alt.condition("datum.retention > 0.5", alt.value("white"), alt.value("#111827")))
    return theme(alt.layer(rect, text).properties(height=bar_height(frame["cohort"].nunique(), minimum=160)))


def top_customers(frame: pd.DataFrame, lang: str, currency: str = "") -> alt.TopLevelMixin:
    """Revenue share of the biggest customers. Columns: customer, share, revenue_won (in
    ``currency``, a symbol)."""
    chart = alt.Chart(frame).mark_bar(cornerRadiusEnd=3, color=PALETTE["actual"]).encode(
        y=alt.Y("customer:N", sort=list(frame["customer"]), title=None, axis=band_axis()),
        x=alt.X("share:Q", title=t("customers.share_of_revenue", lang), axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("customer:N", title=" "),
                 alt.Tooltip("revenue_won:Q", title=t("metric.revenue_won", lang),
                             format=money_format(",.0f", currency)),
                 alt.Tooltip("share:Q", title=t("customers.share_of_revenue", lang), format=".1%")])
    return theme(chart.properties(height=bar_height(len(frame))), currency)
