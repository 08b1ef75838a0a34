"""Charts of the Incentives page: payout distribution, plan change per rep, lever costs."""
from __future__ import annotations

import altair as alt
import pandas as pd

from salescore.charts.common import PALETTE, money_format, theme, updown
from salescore.i18n import t


def payout_distribution(frame: pd.DataFrame, lang: str, currency: str = "") -> alt.TopLevelMixin:
    """Histogram of total payout per rep. Columns: total (in ``currency``, a symbol)."""
    title = t("incentives.col.total", lang)
    chart = alt.Chart(frame[["total"]]).mark_bar(color=PALETTE["actual"]).encode(
        x=alt.X("total:Q", bin=alt.Bin(maxbins=15), title=title, axis=alt.Axis(format=money_format("~s", currency))),
        y=alt.Y("count():Q", title=t("incentives.reps", lang)),
        tooltip=[alt.Tooltip("count():Q", title=t("incentives.reps", lang))])
    return theme(chart.properties(height=260), currency)


def payout_change(frame: pd.DataFrame, lang: str, currency: str = "") -> alt.TopLevelMixin:
    """Change of pay per rep (plan B - plan A), drops in red. Columns: rep, change (in
    ``currency``, a symbol)."""
    data = frame[["rep", "change"]].assign(up=frame["change"] >= 0)
    chart = alt.Chart(data).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("rep:N", sort="x", title=None),
        x=alt.X("change:Q", title=t("incentives.change", lang), axis=alt.Axis(format=money_format("~s", currency))),
        color=alt.Color("up:N", legend=None, scale=updown()),
        tooltip=[alt.Tooltip("rep:N", title=t("metric.rep", lang)),
                 alt.Tooltip("change:Q", title=t("incentives.change", lang), format=money_format("+,.0f", currency))])
    return theme(chart.properties(height=max(160, 22 * len(data))), currency)


def lever_tornado(frame: pd.DataFrame, lang: str, currency: str = "") -> alt.TopLevelMixin:
    """What +1 point on each lever costs. Columns: label, change (in ``currency``, a symbol)."""
    data = frame[["label", "change"]].assign(up=frame["change"] >= 0)
    chart = alt.Chart(data).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("label:N", sort=alt.EncodingSortField("change", op="max", order="descending"), title=None),
        x=alt.X("change:Q", title=t("incentives.cost_of_step", lang),
                axis=alt.Axis(format=money_format("~s", currency))),
        color=alt.Color("up:N", legend=None, scale=updown(up_good=False)),
        tooltip=[alt.Tooltip("label:N", title=t("incentives.lever_name", lang)),
                 alt.Tooltip("change:Q", title=t("incentives.cost_of_step", lang),
                             format=money_format("+,.0f", currency))])
    return theme(chart.properties(height=max(160, 28 * len(data))), currency)
