"""Charts of the deal history (DESIGN.md section 8): the pipeline movement waterfall."""
from __future__ import annotations

import altair as alt
import pandas as pd

from salescore.charts.common import PALETTE, money_format, short_axis, short_expr, theme

#: Bar colours: the two totals, what adds to the pipeline, what leaves it.
STEP_COLORS = {"total": PALETTE["neutral"], "up": PALETTE["good"], "down": PALETTE["bad"]}


def waterfall_frame(buckets: dict[str, dict], labels: dict[str, str], signs: dict[str, int],
                    order: tuple[str, ...]) -> pd.DataFrame:
    """One bar per bucket of a pipeline movement, in ``order``: label, bucket, kind (total /
    up / down), amount (positive), low and high (where the bar sits), deals."""
    rows, level = [], 0.0
    for key in order:
        amount, deals = float(buckets[key]["amount"]), int(buckets[key]["deals"])
        if key in ("start", "end"):
            low, high, kind = 0.0, amount, "total"
            level = amount
        else:
            sign = signs[key]
            low, high = (level, level + amount) if sign > 0 else (level - amount, level)
            level = high if sign > 0 else low
            kind = "up" if sign > 0 else "down"
        rows.append({"bucket": key, "label": labels[key], "kind": kind, "amount": amount,
                     "low": low, "high": high, "deals": deals})
    return pd.DataFrame(rows)


def movement_waterfall(frame: pd.DataFrame, lang: str, currency: str = "",
                       height: int = 300) -> alt.TopLevelMixin:
    """The waterfall of :func:`waterfall_frame`: start and end as grey totals, the buckets
    that add to the pipeline green, those that take from it red; each bar names its amount."""
    order = list(frame["label"])
    colors = alt.Scale(domain=list(STEP_COLORS), range=list(STEP_COLORS.values()))
    base = alt.Chart(frame).encode(
        x=alt.X("label:N", sort=order, title=None,
                axis=alt.Axis(labelAngle=0, labelLimit=0, labelExpr="split(datum.label, ' ')")))
    bars = base.mark_bar(size=44).encode(
        y=alt.Y("low:Q", title=None, axis=short_axis(lang, currency)), y2="high:Q",
        color=alt.Color("kind:N", scale=colors, legend=None),
        tooltip=[alt.Tooltip("label:N", title=" "),
                 alt.Tooltip("amount:Q", format=money_format(",.0f", currency), title=" "),
                 alt.Tooltip("deals:Q", format=",d", title="#")])
    text = base.mark_text(dy=-8, fontSize=12).encode(
        y="high:Q", text=alt.Text("short:N")).transform_calculate(
        short=short_expr(lang, currency, "datum.amount", ",.3~r"))
    return theme(alt.layer(bars, text).properties(height=height), currency)
