"""Charts of the Review page: action progress and before/after change."""
from __future__ import annotations

import altair as alt
import pandas as pd

from salescore.charts.common import PALETTE, band_axis, bar_height, money_format, month_x, short_axis, theme
from salescore.i18n import t


def review_progress(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Actions per rule as stacked bars: done, open, overdue. Columns: rule (label), state
    (label, in stacking order), count, order (0, 1, 2)."""
    states = list(dict.fromkeys(frame.sort_values("order")["state"]))
    colors = [PALETTE["good"], PALETTE["neutral"], PALETTE["bad"]][:len(states)]
    title = t("review.col.total", lang)
    chart = alt.Chart(frame[frame["count"] > 0]).mark_bar(cornerRadiusEnd=2).encode(
        y=alt.Y("rule:N", sort=list(dict.fromkeys(frame["rule"])), title=None, axis=band_axis()),
        x=alt.X("sum(count):Q", title=title, axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("state:N", title=None, sort=states, scale=alt.Scale(domain=states, range=colors)),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("rule:N", title=" "), alt.Tooltip("state:N", title=" "),
                 alt.Tooltip("count:Q", title=title)])
    return theme(chart.properties(height=bar_height(frame["rule"].nunique(), step=34)))


def review_change(frame: pd.DataFrame, change: str, lang: str, *, title: str,
                  percent: bool = False, currency: str | None = None) -> alt.TopLevelMixin:
    """A KPI per month for the changed and the comparison group, with a rule at the change.
    Columns: month ('YYYY-MM'), group (label), value. ``change``: the month of the change.
    ``currency``: the symbol when the KPI is money ('' when not known), None otherwise."""
    money = currency is not None and not percent
    fmt_ = ".1%" if percent else money_format(",.0f", currency) if money else ",.1f"
    colors = alt.Scale(domain=list(dict.fromkeys(frame["group"])),
                       range=[PALETTE["actual"], PALETTE["neutral"]])
    x = month_x()
    lines = alt.Chart(frame).mark_line(point=True, strokeWidth=2).encode(
        x=x, y=alt.Y("value:Q", title=title,
                     axis=alt.Axis(format=".0%") if percent else short_axis(lang, currency if money else None),
                     scale=alt.Scale(zero=False)),
        color=alt.Color("group:N", scale=colors, title=None),
        tooltip=[alt.Tooltip("month:O", title=t("chart.month", lang)), alt.Tooltip("group:N", title=" "),
                 alt.Tooltip("value:Q", title=title, format=fmt_)])
    marker = pd.DataFrame({"month": [change], "label": [t("review.group.change", lang)]})
    rule = alt.Chart(marker).mark_rule(color=PALETTE["bad"], strokeDash=[6, 3], strokeWidth=2).encode(x=x)
    text = alt.Chart(marker).mark_text(align="left", dx=4, dy=-6, color=PALETTE["bad"], fontSize=12).encode(
        x=x, y=alt.value(0), text="label:N")
    return theme(alt.layer(lines, rule, text).properties(height=300), currency if money else None)
