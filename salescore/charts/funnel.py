"""Charts of the Funnel page: stages, steps, sales cycle, velocity, losses, forecast."""
from __future__ import annotations

import altair as alt
import pandas as pd

from salescore.charts.common import (BAR_STEP, LINES, PALETTE, band_axis, bar_height, money_format, month_x,
                                     short_axis, theme, updown, wrapped)

#: Width of a lost reason's label line under its bar, in half-em units (wraps, never dropped).
REASON_WRAP = 16
from salescore.i18n import t


def funnel_stages(frame: pd.DataFrame, lang: str, measure: str = "reached",
                  currency: str = "") -> alt.TopLevelMixin:
    """The conversion funnel: one bar per stage (count or value), conversion to the next stage
    as a label. Columns: stage, stage_label, reached, value (in ``currency``, a symbol),
    conversion_to_next."""
    title = t("funnel.reached" if measure == "reached" else "funnel.value", lang)
    data = frame.assign(conv=frame["conversion_to_next"].map(
        lambda v: "" if pd.isna(v) else f"→ {v:.0%}"))
    order = list(data["stage_label"])
    base = alt.Chart(data).encode(y=alt.Y("stage_label:N", sort=order, title=None, axis=band_axis()))
    bars = base.mark_bar(cornerRadiusEnd=3, color=PALETTE["actual"]).encode(
        x=alt.X(f"{measure}:Q", title=title,
                axis=short_axis(lang, currency if measure == "value" else None)),
        tooltip=[alt.Tooltip("stage_label:N", title=t("funnel.stage", lang)),
                 alt.Tooltip("reached:Q", title=t("funnel.reached", lang), format=","),
                 alt.Tooltip("value:Q", title=t("funnel.value", lang), format=money_format(",.0f", currency)),
                 alt.Tooltip("conversion_to_next:Q", title=t("funnel.conversion", lang), format=".1%")])
    labels = base.mark_text(align="left", dx=4, fontSize=12, color="#111827").encode(
        x=f"{measure}:Q", text="conv:N")
    return theme(alt.layer(bars, labels).properties(height=bar_height(len(data), step=44, minimum=140)), currency)


def funnel_steps(frame: pd.DataFrame, lang: str, focus: str, rest: str) -> alt.TopLevelMixin:
    """Conversion of each step, focus next to the rest. Columns: step, who, conversion."""
    colors = alt.Scale(domain=[focus, rest], range=[PALETTE["actual"], PALETTE["neutral"]])
    chart = alt.Chart(frame).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("step:N", sort=list(dict.fromkeys(frame["step"])), title=None, axis=band_axis()),
        yOffset=alt.YOffset("who:N", sort=[focus, rest]),
        x=alt.X("conversion:Q", title=t("funnel.conversion", lang), axis=alt.Axis(format="%")),
        color=alt.Color("who:N", scale=colors, title=None),
        tooltip=[alt.Tooltip("step:N", title=t("funnel.step", lang)), alt.Tooltip("who:N", title=" "),
                 alt.Tooltip("conversion:Q", title=t("funnel.conversion", lang), format=".1%")])
    return theme(chart.properties(height=bar_height(frame["step"].nunique(), step=2 * BAR_STEP + 8, minimum=140)))


def cycle_histogram(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Won deals per cycle length bin. Columns: bin_start, bin_end, deals_won."""
    chart = alt.Chart(frame).mark_bar(color=PALETTE["actual"]).encode(
        x=alt.X("bin_start:Q", bin="binned", title=t("funnel.cycle_days_axis", lang)),
        x2="bin_end:Q",
        y=alt.Y("deals_won:Q", title=t("metric.deals_won", lang)),
        tooltip=[alt.Tooltip("bin_start:Q", title=t("funnel.from_day", lang)),
                 alt.Tooltip("bin_end:Q", title=t("funnel.to_day", lang)),
                 alt.Tooltip("deals_won:Q", title=t("metric.deals_won", lang))])
    return theme(chart.properties(height=260))


def cycle_groups(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Median cycle per group as bars, P75 as a tick and the mean as a dot.
    Columns: label, deals_won, sales_cycle_days, sales_cycle_days_median, sales_cycle_days_p75."""
    order = list(frame["label"])
    tip = [alt.Tooltip("label:N", title=" "),
           alt.Tooltip("deals_won:Q", title=t("metric.deals_won", lang)),
           alt.Tooltip("sales_cycle_days_median:Q", title=t("funnel.median", lang), format=".1f"),
           alt.Tooltip("sales_cycle_days:Q", title=t("funnel.mean", lang), format=".1f"),
           alt.Tooltip("sales_cycle_days_p75:Q", title=t("funnel.p75", lang), format=".1f")]
    base = alt.Chart(frame).encode(y=alt.Y("label:N", sort=order, title=None, axis=band_axis()), tooltip=tip)
    bars = base.mark_bar(color=PALETTE["actual"], opacity=0.8, cornerRadiusEnd=3).encode(
        x=alt.X("sales_cycle_days_median:Q", title=t("funnel.cycle_days_axis", lang)))
    p75 = base.mark_tick(color=PALETTE["target"], thickness=3, size=18).encode(x="sales_cycle_days_p75:Q")
    mean = base.mark_point(color="#111827", filled=True, size=40).encode(x="sales_cycle_days:Q")
    return theme(alt.layer(bars, p75, mean).properties(height=bar_height(len(frame), minimum=140)))


def cycle_trend(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Median, mean and P75 sales cycle per month. Columns: month, sales_cycle_days,
    sales_cycle_days_median, sales_cycle_days_p75."""
    names = {"sales_cycle_days_median": t("funnel.median", lang),
             "sales_cycle_days": t("funnel.mean", lang),
             "sales_cycle_days_p75": t("funnel.p75", lang)}
    long = frame.melt(id_vars=["month"], value_vars=list(names), var_name="k", value_name="days")
    long["figure"] = long["k"].map(names)
    colors = alt.Scale(domain=list(names.values()),
                       range=[PALETTE["actual"], PALETTE["neutral"], PALETTE["target"]])
    chart = alt.Chart(long.dropna(subset=["days"])).mark_line(point=True).encode(
        x=month_x(),
        y=alt.Y("days:Q", title=t("funnel.cycle_days_axis", lang)),
        color=alt.Color("figure:N", scale=colors, title=None),
        tooltip=[alt.Tooltip("month:O", title=t("chart.month", lang)), alt.Tooltip("figure:N", title=" "),
                 alt.Tooltip("days:Q", format=".1f", title=t("funnel.cycle_days_axis", lang))])
    return theme(chart.properties(height=260))


def velocity_effects(frame: pd.DataFrame, lang: str, currency: str = "") -> alt.TopLevelMixin:
    """How much each driver moved sales velocity (money per day, in ``currency``, a symbol).
    Columns: label, effect."""
    data = frame.dropna(subset=["effect"]).assign(up=lambda f: f["effect"] >= 0)
    chart = alt.Chart(data).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("label:N", sort=list(data["label"]), title=None, axis=band_axis()),
        x=alt.X("effect:Q", title=t("funnel.effect_axis", lang), axis=short_axis(lang, currency)),
        color=alt.Color("up:N", legend=None, scale=updown()),
        tooltip=[alt.Tooltip("label:N", title=" "),
                 alt.Tooltip("effect:Q", format=money_format(",.0f", currency),
                             title=t("funnel.effect_axis", lang))])
    return theme(chart.properties(height=bar_height(len(data), step=2 * BAR_STEP)), currency)


def loss_pareto(frame: pd.DataFrame, lang: str, measure: str = "deals_lost",
                currency: str = "") -> alt.TopLevelMixin:
    """Pareto of lost reasons: bars of the measure, line of the cumulative share.
    Columns: reason_label, deals_lost, value_lost (in ``currency``, a symbol), cum_share."""
    frame = frame.assign(column=frame["reason_label"].map(lambda s: wrapped(s, REASON_WRAP)))
    title = t("funnel.deals_lost" if measure == "deals_lost" else "funnel.value_lost", lang)
    x = alt.X("column:N", sort=list(frame["column"]), title=None,
              axis=alt.Axis(labelAngle=0, labelOverlap=False, labelExpr=LINES))
    bars = alt.Chart(frame).mark_bar(color=PALETTE["bad"], opacity=0.85).encode(
        x=x, y=alt.Y(f"{measure}:Q", title=title,
                     axis=short_axis(lang, currency if measure == "value_lost" else None)),
        tooltip=[alt.Tooltip("reason_label:N", title=t("funnel.reason", lang)),
                 alt.Tooltip("deals_lost:Q", title=t("funnel.deals_lost", lang)),
                 alt.Tooltip("value_lost:Q", title=t("funnel.value_lost", lang),
                             format=money_format(",.0f", currency)),
                 alt.Tooltip("cum_share:Q", title=t("funnel.cum_share", lang), format=".0%")])
    line = alt.Chart(frame).mark_line(point=True, color=PALETTE["neutral"]).encode(
        x=x, y=alt.Y("cum_share:Q", title=t("funnel.cum_share", lang), axis=alt.Axis(format="%"),
                     scale=alt.Scale(domain=[0, 1])))
    return theme(alt.layer(bars, line).resolve_scale(y="independent").properties(height=280), currency)


def loss_stack(frame: pd.DataFrame, lang: str, normalize: bool = False) -> alt.TopLevelMixin:
    """Lost deals per month or rep, stacked by reason. Columns: label, reason_label, deals_lost."""
    horizontal = normalize
    stack = "normalize" if normalize else "zero"
    value = alt.X if horizontal else alt.Y
    group = alt.Y if horizontal else alt.X
    enc = {
        ("x" if horizontal else "y"): value("deals_lost:Q", stack=stack,
                                            title=t("funnel.deals_lost", lang),
                                            axis=alt.Axis(format="%") if normalize else short_axis(lang)),
        ("y" if horizontal else "x"): group("label:N", title=None, sort=None,
                                            axis=band_axis() if horizontal else alt.Axis(labelAngle=-45)),
    }
    chart = alt.Chart(frame).mark_bar().encode(
        color=alt.Color("reason_label:N", title=None),
        tooltip=[alt.Tooltip("label:N", title=" "),
                 alt.Tooltip("reason_label:N", title=t("funnel.reason", lang)),
                 alt.Tooltip("deals_lost:Q", title=t("funnel.deals_lost", lang))], **enc)
    height = bar_height(frame["label"].nunique(), minimum=160) if horizontal else 260
    return theme(chart.properties(height=height))


def forecast_bar(frame: pd.DataFrame, lang: str, target: float | None,
                 run_rate: float | None, currency: str = "") -> alt.TopLevelMixin:
    """Won so far plus weighted pipeline as one stacked bar, the target as a rule and the
    run-rate as a tick. Columns: part, amount (in ``currency``, a symbol), order."""
    colors = alt.Scale(domain=list(frame["part"]), range=[PALETTE["actual"], "#93c5fd"])
    bars = alt.Chart(frame).mark_bar(size=36).encode(
        x=alt.X("amount:Q", stack="zero", title=None, axis=short_axis(lang, currency)),
        color=alt.Color("part:N", scale=colors, title=None, sort=list(frame["part"])),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("part:N", title=" "),
                 alt.Tooltip("amount:Q", format=money_format(",.0f", currency), title=" ")])
    layers = [bars]
    marks = []
    if target is not None:
        marks.append({"what": t("metric.target", lang), "x": target, "color": PALETTE["target"]})
    if run_rate is not None:
        marks.append({"what": t("funnel.run_rate", lang), "x": run_rate, "color": PALETTE["neutral"]})
    if marks:
        rules = pd.DataFrame(marks)
        layers.append(alt.Chart(rules).mark_rule(strokeWidth=3, strokeDash=[6, 3]).encode(
            x="x:Q", color=alt.Color("what:N", scale=alt.Scale(domain=list(rules["what"]),
                                                                range=list(rules["color"])), title=None),
            tooltip=[alt.Tooltip("what:N", title=" "),
                     alt.Tooltip("x:Q", format=money_format(",.0f", currency), title=" ")]))
    return theme(alt.layer(*layers).resolve_scale(color="independent").properties(height=90), currency)
