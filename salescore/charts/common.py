"""What every chart shares: the font, the palette, the theme and a few recurring encodings."""
from __future__ import annotations

import altair as alt
import pandas as pd

FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
PALETTE = {"actual": "#2563eb", "target": "#f59e0b", "good": "#16a34a", "bad": "#dc2626",
           "neutral": "#64748b"}


def money_format(spec: str, currency: str | None) -> str:
    """The d3 format of an amount on a chart that shows money (``currency`` not None):
    ``spec`` with d3's currency slot ('$,.0f', '+$,.0f'), which prints the symbol of the
    chart's locale (:func:`theme`); ``spec`` unchanged when the figure is not money."""
    if currency is None:
        return spec
    sign = spec[0] if spec[:1] in ("+", "-", "(", " ") else ""
    return f"{sign}${spec[len(sign):]}"


def number_locale(currency: str) -> alt.Locale:
    """The chart locale whose currency is ``currency`` (the reporting currency's symbol, ''
    while it is not known: then money shows without a symbol, never a guessed one)."""
    return alt.Locale(number=alt.NumberLocale(decimal=".", thousands=",", grouping=[3],
                                              currency=[currency, ""]))


def theme(chart: alt.TopLevelMixin, currency: str | None = None) -> alt.TopLevelMixin:
    """``chart`` with the shared font, axis, legend and view configuration; a chart that
    shows money names its ``currency`` (the symbol :func:`money_format` prints)."""
    extra = {} if currency is None else {"locale": number_locale(currency)}
    return (chart.configure(font=FONT, **extra)
            .configure_axis(labelFontSize=12, titleFontSize=12, grid=True, gridOpacity=0.4)
            .configure_legend(orient="top", title=None, labelFontSize=12)
            .configure_view(strokeWidth=0))


def month_x() -> alt.X:
    """The month axis of every monthly chart: column ``month``, ordinal, labels slanted."""
    return alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-45))


def updown(up_good: bool = True) -> alt.Scale:
    """Colours of a True/False column saying "went up": green for good, red for bad
    (``up_good`` False for a cost, where up is bad)."""
    good, bad = PALETTE["good"], PALETTE["bad"]
    return alt.Scale(domain=[True, False], range=[good, bad] if up_good else [bad, good])


def pace_rule(pace: float) -> alt.Chart:
    """A dashed vertical rule at ``pace`` (the share of the period elapsed) on an x scale."""
    return alt.Chart(pd.DataFrame({"pace": [pace]})).mark_rule(
        color=PALETTE["neutral"], strokeDash=[4, 4]).encode(x="pace:Q")
