"""Charts of the Incentives page: payout distribution, plan change per rep, lever costs."""
from __future__ import annotations

import altair as alt
import pandas as pd

from salescore.charts.common import PALETTE, band_axis, bar_height, money_format, short_axis, theme, updown
from salescore.i18n import t


def payout_distribution(frame: pd.DataFrame, lang: str, currency: str = "") -> alt.TopLevelMixin:
    """Histogram of total payout per rep. Columns: total (in ``currency``, a symbol)."""
    title = t("incentives.col.total", lang)
    chart = alt.Chart(frame[["total"]]).mark_bar(color=PALETTE["actual"]).encode(
        x=alt.X("total:Q", bin=alt.Bin(maxbins=15), title=title, axis=short_axis(lang, currency)),
        y=alt.Y("count():Q", title=t("incentives.reps", lang)),
        tooltip=[alt.Tooltip("count():Q", title=t("incentives.reps", lang))])
    return theme(chart.properties(height=260), currency)


def payout_change(frame: pd.DataFrame, lang: str, currency: str = "") -> alt.TopLevelMixin:
    """Change of pay per rep (plan B - plan A), drops in red, one bar (and name) per rep.
    Columns: rep, change (in ``currency``, a symbol). When no pay changes (two identical
    plans) the axis still has a span around 0 (Vega-Lite's domain [0, 0] gives NaN ticks);
    the page says so in a sentence rather than showing bars of zero length."""
    data = frame[["rep", "change"]].assign(up=frame["change"] >= 0)
    flat = not len(data) or float(data["change"].abs().max()) == 0.0
    chart = alt.Chart(data).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("rep:N", sort="x", title=None, axis=band_axis()),
        x=alt.X("change:Q", title=t("incentives.change", lang), axis=short_axis(lang, currency),
                scale=alt.Scale(domain=[-1, 1]) if flat else alt.Undefined),
        color=alt.Color("up:N", legend=None, scale=updown()),
        tooltip=[alt.Tooltip("rep:N", title=t("metric.rep", lang)),
                 alt.Tooltip("change:Q", title=t("incentives.change", lang), format=money_format("+,.0f", currency))])
    return theme(chart.properties(height=bar_height(len(data), minimum=160)), currency)


def lever_tornado(frame: pd.DataFrame, lang: str, currency: str = "") -> alt.TopLevelMixin:
    """What +1 point on each lever costs. Columns: label, change (in ``currency``, a symbol)."""
    data = frame[["label", "change"]].assign(up=frame["change"] >= 0)
    chart = alt.Chart(data).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("label:N", sort=alt.EncodingSortField("change", op="max", order="descending"), title=None,
                axis=band_axis()),
        x=alt.X("change:Q", title=t("incentives.cost_of_step", lang), axis=short_axis(lang, currency)),
        color=alt.Color("up:N", legend=None, scale=updown(up_good=False)),
        tooltip=[alt.Tooltip("label:N", title=t("incentives.lever_name", lang)),
                 alt.Tooltip("change:Q", title=t("incentives.cost_of_step", lang),
                             format=money_format("+,.0f", currency))])
    return theme(chart.properties(height=bar_height(len(data), step=28, minimum=160)), currency)


def attainment_histogram(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Reps per attainment bin, the plan as it is beside a quota what-if, with a line at 100%.
    Columns: bin_start (0.0, 0.1 ... 2.0 = 200% and over), reps, scenario_label (one or two
    values, the first drawn grey)."""
    data = frame.assign(label=[f"{int(round(b * 100))}%" + ("+" if b >= 2.0 else "") for b in frame["bin_start"]])
    order = list(dict.fromkeys(data["label"]))
    scenarios = list(dict.fromkeys(data["scenario_label"]))
    colors = alt.Scale(domain=scenarios, range=[PALETTE["neutral"], PALETTE["actual"]][:len(scenarios)])
    x = alt.X("label:N", sort=order, title=t("metric.attainment", lang), axis=alt.Axis(labelAngle=0, labelLimit=0))
    bars = alt.Chart(data).mark_bar().encode(
        x=x, xOffset=alt.XOffset("scenario_label:N", sort=scenarios),
        y=alt.Y("reps:Q", title=t("incentives.reps", lang), axis=alt.Axis(format="d", tickMinStep=1)),
        color=alt.Color("scenario_label:N", scale=colors, sort=scenarios, title=None,
                        legend=alt.Legend(orient="top") if len(scenarios) > 1 else None),
        tooltip=[alt.Tooltip("label:N", title=t("metric.attainment", lang)),
                 alt.Tooltip("scenario_label:N", title=" "),
                 alt.Tooltip("reps:Q", title=t("incentives.reps", lang), format="d")])
    quota = alt.Chart(pd.DataFrame({"label": ["100%"]})).mark_rule(
        color=PALETTE["target"], strokeDash=[4, 3], strokeWidth=2).encode(x=alt.X("label:N", sort=order))
    return theme(alt.layer(bars, quota).properties(height=240))
