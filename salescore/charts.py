"""Altair chart builders: each takes a frame and the language, returns an ``alt.Chart``.

Charts never draw themselves; pages call ``ui.chart(chart)`` and the deck renders them
to PNG. Frames are aggregated before they get here (a few hundred rows at most).
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from salescore.i18n import t

FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
PALETTE = {"actual": "#2563eb", "target": "#f59e0b", "good": "#16a34a", "bad": "#dc2626",
           "neutral": "#64748b"}


def _theme(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (chart.configure(font=FONT)
            .configure_axis(labelFontSize=12, titleFontSize=12, grid=True, gridOpacity=0.4)
            .configure_legend(orient="top", title=None, labelFontSize=12)
            .configure_view(strokeWidth=0))


def revenue_trend(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Monthly revenue won (bars) against target (line). Columns: month, revenue_won, target."""
    actual, goal = t("metric.revenue_won", lang), t("metric.target", lang)
    data = frame.assign(actual=actual, goal=goal)
    colors = alt.Scale(domain=[actual, goal], range=[PALETTE["actual"], PALETTE["target"]])
    x = alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-45))
    tooltip = [alt.Tooltip("month:O", title=t("chart.month", lang)),
               alt.Tooltip("revenue_won:Q", title=actual, format=",.0f"),
               alt.Tooltip("target:Q", title=goal, format=",.0f")]
    bars = alt.Chart(data).mark_bar(cornerRadiusTopLeft=3, cornerRadiusTopRight=3).encode(
        x=x, y=alt.Y("revenue_won:Q", title=actual, axis=alt.Axis(format="~s")),
        color=alt.Color("actual:N", scale=colors, title=None), tooltip=tooltip)
    line = alt.Chart(data.dropna(subset=["target"])).mark_line(
        point=True, strokeDash=[6, 3], strokeWidth=2).encode(
        x=x, y="target:Q", color=alt.Color("goal:N", scale=colors, title=None), tooltip=tooltip)
    return _theme(alt.layer(bars, line).properties(height=300))


def team_attainment(frame: pd.DataFrame, lang: str, pace: float = 1.0) -> alt.TopLevelMixin:
    """Attainment per team as bars with a rule at the time pace. Columns: team, attainment,
    revenue_won, target."""
    data = frame.dropna(subset=["attainment"]).copy()
    data["on_pace"] = data["attainment"] >= pace
    bars = alt.Chart(data).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("team:N", title=None, sort="-x"),
        x=alt.X("attainment:Q", title=t("metric.attainment", lang), axis=alt.Axis(format="%")),
        color=alt.Color("on_pace:N", legend=None,
                        scale=alt.Scale(domain=[True, False], range=[PALETTE["good"], PALETTE["bad"]])),
        tooltip=[alt.Tooltip("team:N", title=t("sidebar.team", lang)),
                 alt.Tooltip("attainment:Q", title=t("metric.attainment", lang), format=".1%"),
                 alt.Tooltip("revenue_won:Q", title=t("metric.revenue_won", lang), format=",.0f"),
                 alt.Tooltip("target:Q", title=t("metric.target", lang), format=",.0f")],
    )
    labels = bars.mark_text(align="left", dx=4, fontSize=12).encode(
        text=alt.Text("attainment:Q", format=".0%"), color=alt.value("#111827"))
    rule = alt.Chart(pd.DataFrame({"pace": [pace]})).mark_rule(
        color=PALETTE["neutral"], strokeDash=[4, 4]).encode(x="pace:Q")
    return _theme(alt.layer(bars, labels, rule).properties(height=max(120, 48 * len(data))))


def leaderboard(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Horizontal bars of revenue_won per rep, best on top. Columns: rep, revenue_won, team."""
    chart = alt.Chart(frame).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("rep:N", sort="-x", title=None),
        x=alt.X("revenue_won:Q", title=t("metric.revenue_won", lang), axis=alt.Axis(format="~s")),
        color=alt.Color("team:N", title=None),
        tooltip=[alt.Tooltip("rep:N", title=t("metric.rep", lang)),
                 alt.Tooltip("revenue_won:Q", format=",.0f", title=t("metric.revenue_won", lang))],
    )
    return _theme(chart.properties(height=max(160, 28 * len(frame))))


# ==== funnel: chart builders of pages/funnel.py go below this line ====
def funnel_stages(frame: pd.DataFrame, lang: str, measure: str = "reached") -> alt.TopLevelMixin:
    """The conversion funnel: one bar per stage (count or value), conversion to the next stage
    as a label. Columns: stage, stage_label, reached, value, conversion_to_next."""
    title = t("funnel.reached" if measure == "reached" else "funnel.value", lang)
    data = frame.assign(conv=frame["conversion_to_next"].map(
        lambda v: "" if pd.isna(v) else f"→ {v:.0%}"))
    order = list(data["stage_label"])
    base = alt.Chart(data).encode(y=alt.Y("stage_label:N", sort=order, title=None))
    bars = base.mark_bar(cornerRadiusEnd=3, color=PALETTE["actual"]).encode(
        x=alt.X(f"{measure}:Q", title=title, axis=alt.Axis(format="~s")),
        tooltip=[alt.Tooltip("stage_label:N", title=t("funnel.stage", lang)),
                 alt.Tooltip("reached:Q", title=t("funnel.reached", lang), format=","),
                 alt.Tooltip("value:Q", title=t("funnel.value", lang), format=",.0f"),
                 alt.Tooltip("conversion_to_next:Q", title=t("funnel.conversion", lang), format=".1%")])
    labels = base.mark_text(align="left", dx=4, fontSize=12, color="#111827").encode(
        x=f"{measure}:Q", text="conv:N")
    return _theme(alt.layer(bars, labels).properties(height=max(140, 44 * len(data))))


def funnel_steps(frame: pd.DataFrame, lang: str, focus: str, rest: str) -> alt.TopLevelMixin:
    """Conversion of each step, focus next to the rest. Columns: step, who, conversion."""
    colors = alt.Scale(domain=[focus, rest], range=[PALETTE["actual"], PALETTE["neutral"]])
    chart = alt.Chart(frame).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("step:N", sort=list(dict.fromkeys(frame["step"])), title=None),
        yOffset=alt.YOffset("who:N", sort=[focus, rest]),
        x=alt.X("conversion:Q", title=t("funnel.conversion", lang), axis=alt.Axis(format="%")),
        color=alt.Color("who:N", scale=colors, title=None),
        tooltip=[alt.Tooltip("step:N", title=t("funnel.step", lang)), alt.Tooltip("who:N", title=" "),
                 alt.Tooltip("conversion:Q", title=t("funnel.conversion", lang), format=".1%")])
    return _theme(chart.properties(height=max(140, 56 * frame["step"].nunique())))


def cycle_histogram(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Won deals per cycle length bin. Columns: bin_start, bin_end, deals_won."""
    chart = alt.Chart(frame).mark_bar(color=PALETTE["actual"]).encode(
        x=alt.X("bin_start:Q", bin="binned", title=t("funnel.cycle_days_axis", lang)),
        x2="bin_end:Q",
        y=alt.Y("deals_won:Q", title=t("metric.deals_won", lang)),
        tooltip=[alt.Tooltip("bin_start:Q", title=t("funnel.from_day", lang)),
                 alt.Tooltip("bin_end:Q", title=t("funnel.to_day", lang)),
                 alt.Tooltip("deals_won:Q", title=t("metric.deals_won", lang))])
    return _theme(chart.properties(height=260))


def cycle_groups(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Median cycle per group as bars, P75 as a tick and the mean as a dot.
    Columns: label, deals_won, sales_cycle_days, sales_cycle_days_median, sales_cycle_days_p75."""
    order = list(frame["label"])
    tip = [alt.Tooltip("label:N", title=" "),
           alt.Tooltip("deals_won:Q", title=t("metric.deals_won", lang)),
           alt.Tooltip("sales_cycle_days_median:Q", title=t("funnel.median", lang), format=".1f"),
           alt.Tooltip("sales_cycle_days:Q", title=t("funnel.mean", lang), format=".1f"),
           alt.Tooltip("sales_cycle_days_p75:Q", title=t("funnel.p75", lang), format=".1f")]
    base = alt.Chart(frame).encode(y=alt.Y("label:N", sort=order, title=None), tooltip=tip)
    bars = base.mark_bar(color=PALETTE["actual"], opacity=0.8, cornerRadiusEnd=3).encode(
        x=alt.X("sales_cycle_days_median:Q", title=t("funnel.cycle_days_axis", lang)))
    p75 = base.mark_tick(color=PALETTE["target"], thickness=3, size=18).encode(x="sales_cycle_days_p75:Q")
    mean = base.mark_point(color="#111827", filled=True, size=40).encode(x="sales_cycle_days:Q")
    return _theme(alt.layer(bars, p75, mean).properties(height=max(140, 26 * len(frame))))


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
        x=alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("days:Q", title=t("funnel.cycle_days_axis", lang)),
        color=alt.Color("figure:N", scale=colors, title=None),
        tooltip=[alt.Tooltip("month:O", title=t("chart.month", lang)), alt.Tooltip("figure:N", title=" "),
                 alt.Tooltip("days:Q", format=".1f", title=t("funnel.cycle_days_axis", lang))])
    return _theme(chart.properties(height=260))


def velocity_effects(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """How much each driver moved sales velocity (money per day). Columns: label, effect."""
    data = frame.dropna(subset=["effect"]).assign(up=lambda f: f["effect"] >= 0)
    chart = alt.Chart(data).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("label:N", sort=list(data["label"]), title=None),
        x=alt.X("effect:Q", title=t("funnel.effect_axis", lang), axis=alt.Axis(format="~s")),
        color=alt.Color("up:N", legend=None,
                        scale=alt.Scale(domain=[True, False], range=[PALETTE["good"], PALETTE["bad"]])),
        tooltip=[alt.Tooltip("label:N", title=" "),
                 alt.Tooltip("effect:Q", format=",.0f", title=t("funnel.effect_axis", lang))])
    return _theme(chart.properties(height=180))


def loss_pareto(frame: pd.DataFrame, lang: str, measure: str = "deals_lost") -> alt.TopLevelMixin:
    """Pareto of lost reasons: bars of the measure, line of the cumulative share.
    Columns: reason_label, deals_lost, value_lost, cum_share."""
    order = list(frame["reason_label"])
    title = t("funnel.deals_lost" if measure == "deals_lost" else "funnel.value_lost", lang)
    x = alt.X("reason_label:N", sort=order, title=None, axis=alt.Axis(labelAngle=0))
    bars = alt.Chart(frame).mark_bar(color=PALETTE["bad"], opacity=0.85).encode(
        x=x, y=alt.Y(f"{measure}:Q", title=title, axis=alt.Axis(format="~s")),
        tooltip=[alt.Tooltip("reason_label:N", title=t("funnel.reason", lang)),
                 alt.Tooltip("deals_lost:Q", title=t("funnel.deals_lost", lang)),
                 alt.Tooltip("value_lost:Q", title=t("funnel.value_lost", lang), format=",.0f"),
                 alt.Tooltip("cum_share:Q", title=t("funnel.cum_share", lang), format=".0%")])
    line = alt.Chart(frame).mark_line(point=True, color=PALETTE["neutral"]).encode(
        x=x, y=alt.Y("cum_share:Q", title=t("funnel.cum_share", lang), axis=alt.Axis(format="%"),
                     scale=alt.Scale(domain=[0, 1])))
    return _theme(alt.layer(bars, line).resolve_scale(y="independent").properties(height=280))


def loss_stack(frame: pd.DataFrame, lang: str, normalize: bool = False) -> alt.TopLevelMixin:
    """Lost deals per month or rep, stacked by reason. Columns: label, reason_label, deals_lost."""
    horizontal = normalize
    stack = "normalize" if normalize else "zero"
    value = alt.X if horizontal else alt.Y
    group = alt.Y if horizontal else alt.X
    enc = {
        ("x" if horizontal else "y"): value("deals_lost:Q", stack=stack,
                                            title=t("funnel.deals_lost", lang),
                                            axis=alt.Axis(format="%" if normalize else "~s")),
        ("y" if horizontal else "x"): group("label:N", title=None, sort=None,
                                            axis=alt.Axis(labelAngle=0 if horizontal else -45)),
    }
    chart = alt.Chart(frame).mark_bar().encode(
        color=alt.Color("reason_label:N", title=None),
        tooltip=[alt.Tooltip("label:N", title=" "),
                 alt.Tooltip("reason_label:N", title=t("funnel.reason", lang)),
                 alt.Tooltip("deals_lost:Q", title=t("funnel.deals_lost", lang))], **enc)
    height = max(160, 24 * frame["label"].nunique()) if horizontal else 260
    return _theme(chart.properties(height=height))


def forecast_bar(frame: pd.DataFrame, lang: str, target: float | None,
                 run_rate: float | None) -> alt.TopLevelMixin:
    """Won so far plus weighted pipeline as one stacked bar, the target as a rule and the
    run-rate as a tick. Columns: part, amount, order."""
    colors = alt.Scale(domain=list(frame["part"]), range=[PALETTE["actual"], "#93c5fd"])
    bars = alt.Chart(frame).mark_bar(size=36).encode(
        x=alt.X("amount:Q", stack="zero", title=None, axis=alt.Axis(format="~s")),
        color=alt.Color("part:N", scale=colors, title=None, sort=list(frame["part"])),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("part:N", title=" "), alt.Tooltip("amount:Q", format=",.0f", title=" ")])
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
            tooltip=[alt.Tooltip("what:N", title=" "), alt.Tooltip("x:Q", format=",.0f", title=" ")]))
    return _theme(alt.layer(*layers).resolve_scale(color="independent").properties(height=90))



# ==== customers: chart builders of pages/customers.py go below this line ====
def stacked_months(frame: pd.DataFrame, lang: str, value: str, group: str,
                   value_title: str) -> alt.TopLevelMixin:
    """Bars per month stacked by a group (new customers by source, revenue new vs existing).
    Columns: month, ``group``, ``value``."""
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-45)),
        y=alt.Y(f"{value}:Q", title=value_title, axis=alt.Axis(format="~s")),
        color=alt.Color(f"{group}:N", title=None),
        tooltip=[alt.Tooltip("month:O", title=t("chart.month", lang)), alt.Tooltip(f"{group}:N", title=" "),
                 alt.Tooltip(f"{value}:Q", title=value_title, format=",.0f")])
    return _theme(chart.properties(height=260))


def monthly_rate(frame: pd.DataFrame, lang: str, value: str, title: str,
                 domain: tuple[float, float] | None = None) -> alt.TopLevelMixin:
    """One rate per month as a line (repeat rate, CSAT, NPS). Columns: month, ``value``."""
    scale = alt.Scale(domain=list(domain)) if domain else alt.Scale(zero=False)
    chart = alt.Chart(frame.dropna(subset=[value])).mark_line(point=True, color=PALETTE["actual"]).encode(
        x=alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-45)),
        y=alt.Y(f"{value}:Q", title=title, axis=alt.Axis(format="%"), scale=scale),
        tooltip=[alt.Tooltip("month:O", title=t("chart.month", lang)),
                 alt.Tooltip(f"{value}:Q", title=title, format=".1%")])
    return _theme(chart.properties(height=240))


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
    return _theme(chart.properties(height=240))


def score_by(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Average score per rep or segment, lowest first. Columns: label, avg_score, responses."""
    chart = alt.Chart(frame).mark_bar(cornerRadiusEnd=3, color=PALETTE["actual"]).encode(
        y=alt.Y("label:N", sort=list(frame["label"]), title=None),
        x=alt.X("avg_score:Q", title=t("customers.avg_score", lang)),
        tooltip=[alt.Tooltip("label:N", title=" "),
                 alt.Tooltip("avg_score:Q", title=t("customers.avg_score", lang), format=".2f"),
                 alt.Tooltip("responses:Q", title=t("customers.responses", lang))])
    return _theme(chart.properties(height=max(140, 24 * len(frame))))


def cohort_heatmap(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Retention per first-purchase cohort and months since. Columns: cohort, month_index,
    retention, customers, cohort_size."""
    base = alt.Chart(frame).encode(
        x=alt.X("month_index:O", title=t("customers.months_since", lang), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("cohort:O", title=t("customers.cohort", lang)))
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
    return _theme(alt.layer(rect, text).properties(height=max(160, 22 * frame["cohort"].nunique())))


def top_customers(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Revenue share of the biggest customers. Columns: customer, share, revenue_won."""
    chart = alt.Chart(frame).mark_bar(cornerRadiusEnd=3, color=PALETTE["actual"]).encode(
        y=alt.Y("customer:N", sort=list(frame["customer"]), title=None),
        x=alt.X("share:Q", title=t("customers.share_of_revenue", lang), axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("customer:N", title=" "),
                 alt.Tooltip("revenue_won:Q", title=t("metric.revenue_won", lang), format=",.0f"),
                 alt.Tooltip("share:Q", title=t("customers.share_of_revenue", lang), format=".1%")])
    return _theme(chart.properties(height=max(140, 24 * len(frame))))



# ==== goals: chart builders of pages/goals.py go below this line ====

LIGHT_COLORS = {"green": PALETTE["good"], "amber": PALETTE["target"], "red": PALETTE["bad"],
                "none": PALETTE["neutral"]}


def goals_plan(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Targets per month stacked by team. Columns: month, team, value."""
    title = t("metric.target", lang)
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("sum(value):Q", title=title, axis=alt.Axis(format="~s")),
        color=alt.Color("team:N", title=None),
        tooltip=[alt.Tooltip("month:O", title=t("chart.month", lang)),
                 alt.Tooltip("team:N", title=t("sidebar.team", lang)),
                 alt.Tooltip("value:Q", title=title, format=",.0f")])
    return _theme(chart.properties(height=280))


def goals_pacing(frame: pd.DataFrame, lang: str, time_share: float) -> alt.TopLevelMixin:
    """Attainment to date per rep (bars coloured by traffic light) against the share of working
    days elapsed (dashed rule). Columns: name, attainment, light, light_label."""
    data = frame.dropna(subset=["attainment"])
    lights = [k for k in LIGHT_COLORS if k in set(data["light"])] or ["none"]
    bars = alt.Chart(data).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("name:N", sort=None, title=None),
        x=alt.X("attainment:Q", title=t("metric.attainment", lang), axis=alt.Axis(format="%")),
        color=alt.Color("light:N", legend=None,
                        scale=alt.Scale(domain=lights, range=[LIGHT_COLORS[k] for k in lights])),
        tooltip=[alt.Tooltip("name:N", title=t("metric.rep", lang)),
                 alt.Tooltip("attainment:Q", title=t("metric.attainment", lang), format=".1%"),
                 alt.Tooltip("light_label:N", title=t("goals.col.light", lang))])
    rule = alt.Chart(pd.DataFrame({"pace": [time_share]})).mark_rule(
        color=PALETTE["neutral"], strokeDash=[4, 4]).encode(x="pace:Q")
    return _theme(alt.layer(bars, rule).properties(height=max(160, 24 * len(data))))


# ==== incentives: chart builders of pages/incentives.py go below this line ====

def payout_distribution(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Histogram of total payout per rep. Columns: total."""
    title = t("incentives.col.total", lang)
    chart = alt.Chart(frame[["total"]]).mark_bar(color=PALETTE["actual"]).encode(
        x=alt.X("total:Q", bin=alt.Bin(maxbins=15), title=title, axis=alt.Axis(format="~s")),
        y=alt.Y("count():Q", title=t("incentives.reps", lang)),
        tooltip=[alt.Tooltip("count():Q", title=t("incentives.reps", lang))])
    return _theme(chart.properties(height=260))


def payout_change(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Change of pay per rep (plan B - plan A), drops in red. Columns: rep, change."""
    data = frame[["rep", "change"]].assign(up=frame["change"] >= 0)
    chart = alt.Chart(data).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("rep:N", sort="x", title=None),
        x=alt.X("change:Q", title=t("incentives.change", lang), axis=alt.Axis(format="~s")),
        color=alt.Color("up:N", legend=None,
                        scale=alt.Scale(domain=[True, False], range=[PALETTE["good"], PALETTE["bad"]])),
        tooltip=[alt.Tooltip("rep:N", title=t("metric.rep", lang)),
                 alt.Tooltip("change:Q", title=t("incentives.change", lang), format="+,.0f")])
    return _theme(chart.properties(height=max(160, 22 * len(data))))


def lever_tornado(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """What +1 point on each lever costs. Columns: label, change."""
    data = frame[["label", "change"]].assign(up=frame["change"] >= 0)
    chart = alt.Chart(data).mark_bar(cornerRadiusEnd=3).encode(
        y=alt.Y("label:N", sort=alt.EncodingSortField("change", op="max", order="descending"), title=None),
        x=alt.X("change:Q", title=t("incentives.cost_of_step", lang), axis=alt.Axis(format="~s")),
        color=alt.Color("up:N", legend=None,
                        scale=alt.Scale(domain=[True, False], range=[PALETTE["bad"], PALETTE["good"]])),
        tooltip=[alt.Tooltip("label:N", title=t("incentives.lever_name", lang)),
                 alt.Tooltip("change:Q", title=t("incentives.cost_of_step", lang), format="+,.0f")])
    return _theme(chart.properties(height=max(160, 28 * len(data))))



# ==== retention: chart builders of pages/retention.py go below this line ====

_QUADRANT_COLORS = {"fair": "#16a34a", "loyalty": "#2563eb", "avoid": "#64748b", "exploited": "#dc2626"}


def retention_quadrant(frame: pd.DataFrame, lang: str, moves: pd.DataFrame | None = None) -> alt.TopLevelMixin:
    """The goal-difficulty x reward quadrant: shaded quadrants with their names, the two lines,
    one dot per placed rep (top performers big, labelled), and for a what-if a dashed line
    from each moving rep's dot to a hollow dot at the new place.

    Columns of ``frame`` (retention.quadrant, placed reps): rep, team, quota, baseline,
    difficulty, total, target_pay, reward, attainment, top_performer, quadrant, risk_score,
    difficulty_line, reward_line. ``moves``: rep, difficulty_old, reward_old, difficulty_new,
    reward_new. Dots beyond 3x a line are drawn on the chart's edge (the tooltip has the figure).
    """
    d_line = float(frame["difficulty_line"].iloc[0]) if len(frame) else 1.0
    r_line = float(frame["reward_line"].iloc[0]) if len(frame) else 1.0
    xs = [frame["difficulty"]] + ([moves["difficulty_new"]] if moves is not None and len(moves) else [])
    ys = [frame["reward"]] + ([moves["reward_new"]] if moves is not None and len(moves) else [])
    x_hi = max(2 * d_line, min(3 * d_line, 1.1 * float(pd.concat(xs).max() if len(frame) else 0)))
    y_hi = max(2 * r_line, min(3 * r_line, 1.1 * float(pd.concat(ys).max() if len(frame) else 0)))
    names = {q: t(f"retention.quadrant.{q}", lang) for q in _QUADRANT_COLORS}
    areas = pd.DataFrame({
        "quadrant": ["loyalty", "fair", "avoid", "exploited"],
        "x": [0, d_line, 0, d_line], "x2": [d_line, x_hi, d_line, x_hi],
        "y": [r_line, r_line, 0, 0], "y2": [y_hi, y_hi, r_line, r_line]})
    areas["name"] = areas["quadrant"].map(names)
    areas["tx"] = [0.02 * x_hi, 0.98 * x_hi, 0.02 * x_hi, 0.98 * x_hi]
    areas["ty"] = [0.97 * y_hi, 0.97 * y_hi, 0.03 * y_hi, 0.03 * y_hi]
    areas["align"] = ["left", "right", "left", "right"]
    x_scale = alt.Scale(domain=[0, x_hi], nice=False)
    y_scale = alt.Scale(domain=[0, y_hi], nice=False)
    x_title, y_title = t("retention.col.difficulty", lang), t("retention.col.reward", lang)
    color = alt.Scale(domain=list(names.values()), range=list(_QUADRANT_COLORS.values()))
    shade = alt.Chart(areas).mark_rect(opacity=0.07).encode(
        x=alt.X("x:Q", scale=x_scale, title=x_title), x2="x2:Q",
        y=alt.Y("y:Q", scale=y_scale, title=y_title), y2="y2:Q",
        color=alt.Color("name:N", scale=color, legend=None))
    labels = []
    for align in ("left", "right"):
        part = areas[areas["align"] == align]
        labels.append(alt.Chart(part).mark_text(align=align, baseline="middle", fontSize=13,
                                                fontWeight="bold", opacity=0.75).encode(
            x=alt.X("tx:Q", scale=x_scale), y=alt.Y("ty:Q", scale=y_scale), text="name:N",
            color=alt.Color("name:N", scale=color, legend=None)))
    rules = [alt.Chart(pd.DataFrame({"v": [d_line]})).mark_rule(color=PALETTE["neutral"], strokeDash=[4, 4])
             .encode(x=alt.X("v:Q", scale=x_scale)),
             alt.Chart(pd.DataFrame({"v": [r_line]})).mark_rule(color=PALETTE["neutral"], strokeDash=[4, 4])
             .encode(y=alt.Y("v:Q", scale=y_scale))]
    top, others = t("retention.top", lang), t("retention.others", lang)
    data = frame.assign(
        x=frame["difficulty"].clip(upper=x_hi), y=frame["reward"].clip(upper=y_hi),
        kind=frame["top_performer"].map({True: top, False: others}),
        quadrant_name=frame["quadrant"].map(names),
        label=frame["rep"].where(frame["top_performer"] | (frame["risk_score"] > 0), ""))
    tooltip = [alt.Tooltip("rep:N", title=t("retention.col.rep", lang)),
               alt.Tooltip("team:N", title=t("retention.col.team", lang)),
               alt.Tooltip("quadrant_name:N", title=t("retention.col.quadrant", lang)),
               alt.Tooltip("difficulty:Q", title=x_title, format=".2f"),
               alt.Tooltip("quota:Q", title=t("retention.col.quota", lang), format=",.0f"),
               alt.Tooltip("baseline:Q", title=t("retention.col.baseline", lang), format=",.0f"),
               alt.Tooltip("reward:Q", title=y_title, format=".2f"),
               alt.Tooltip("total:Q", title=t("retention.col.total", lang), format=",.0f"),
               alt.Tooltip("target_pay:Q", title=t("retention.col.target_pay", lang), format=",.0f"),
               alt.Tooltip("attainment:Q", title=t("retention.col.attainment", lang), format=".1%")]
    dots = alt.Chart(data).mark_circle(opacity=0.9, stroke="white", strokeWidth=1).encode(
        x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale),
        color=alt.Color("quadrant_name:N", scale=color, legend=None),
        size=alt.Size("kind:N", scale=alt.Scale(domain=[top, others], range=[260, 70]),
                      legend=alt.Legend(title=None, orient="top")),
        tooltip=tooltip)
    names_text = alt.Chart(data[data["label"] != ""]).mark_text(align="left", dx=9, dy=-7, fontSize=11).encode(
        x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale), text="label:N")
    layers = [shade, *labels, *rules, dots, names_text]
    if moves is not None and len(moves):
        after = t("retention.after", lang)
        m = moves.assign(x=moves["difficulty_old"].clip(upper=x_hi), y=moves["reward_old"].clip(upper=y_hi),
                         x2=moves["difficulty_new"].clip(upper=x_hi), y2=moves["reward_new"].clip(upper=y_hi),
                         what=after)
        layers.append(alt.Chart(m).mark_rule(strokeDash=[5, 3], strokeWidth=2, color="#111827").encode(
            x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale), x2="x2:Q", y2="y2:Q"))
        layers.append(alt.Chart(m).mark_point(shape="circle", filled=False, size=220, strokeWidth=2.5,
                                              color="#111827").encode(
            x=alt.X("x2:Q", scale=x_scale), y=alt.Y("y2:Q", scale=y_scale),
            tooltip=[alt.Tooltip("rep:N", title=t("retention.col.rep", lang)),
                     alt.Tooltip("what:N", title=" "),
                     alt.Tooltip("difficulty_new:Q", title=x_title, format=".2f"),
                     alt.Tooltip("reward_new:Q", title=y_title, format=".2f")]))
    return _theme(alt.layer(*layers).properties(height=460))


# ==== team: chart builders of pages/team.py go below this line ====
#: SWOT picture geometry (CSS px; the PNG is rendered at scale 2, so 1600 px wide).
SWOT_WIDTH, SWOT_GAP, SWOT_PAD, SWOT_HEAD, SWOT_LINE, SWOT_ITEM_GAP = 784, 16, 16, 36, 22, 6
#: A board line holds this many half-em units: 40 Latin characters or 20 Chinese ones.
SWOT_WRAP = 40
SWOT_COLORS = {"S": ("#16a34a", "#f0fdf4"), "W": ("#dc2626", "#fef2f2"),
               "O": ("#2563eb", "#eff6ff"), "T": ("#d97706", "#fffbeb")}
_NO_LINE_START = set("，。、；：！？）》」』】”’,.;:!?)]}%")


def _wide(ch: str) -> bool:
    """A full-width character (CJK, full-width punctuation; curly quotes, which the CJK font
    draws full-width): two half-em units."""
    return (ord(ch) >= 0x2E80 and not 0xFF61 <= ord(ch) <= 0xFFDC) or ch in "“”‘’"


def wrap_text(text: str, width: int = SWOT_WRAP) -> list[str]:
    """``text`` in lines of at most ``width`` half-em units (a CJK character counts 2). Latin
    words stay whole (a word longer than a line is cut); CJK text breaks between any two
    characters, but closing punctuation (，。） ...) never starts a line. Joined without the
    break spaces, the lines give back the text (whitespace runs become one space)."""
    tokens: list[str] = []          # words (with their trailing space) and single CJK chars
    words = str(text).split()
    for word in (w + " " if k < len(words) - 1 else w for k, w in enumerate(words)):
        buf = ""
        for ch in word:
            if _wide(ch):
                if buf:
                    tokens.append(buf)
                    buf = ""
                tokens.append(ch)
            else:
                buf += ch
        if buf:
            tokens.append(buf)
    lines, line, used = [], "", 0
    for tok in tokens:
        size = sum(2 if _wide(c) else 1 for c in tok.rstrip())
        if line and used + size > width and tok[0] not in _NO_LINE_START:
            lines.append(line.rstrip())
            line, used = "", 0
        while not line and size > width:            # an over-long Latin word: cut it
            lines.append(tok[:width])
            tok = tok[width:]
            size = len(tok.rstrip())
        line += tok
        used += size + (len(tok) - len(tok.rstrip()))
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def swot_board(frame: pd.DataFrame, lang: str, title: str) -> alt.TopLevelMixin:
    """The 2x2 SWOT board as a picture: strengths | weaknesses over opportunities | threats,
    each a tinted panel with its heading and its items as bulleted, wrapped lines (an empty
    quadrant says so). Columns: quadrant (S/W/O/T), text. Drawn in pixel coordinates so the
    layout does not depend on the data; meant for :func:`salescore.report.chart_png`."""
    panel_w = (SWOT_WIDTH - SWOT_GAP) / 2
    rects, texts = [], []
    top = 0.0
    for pair in (("S", "W"), ("O", "T")):
        blocks = {}
        for q in pair:
            items = [str(v) for v in frame.loc[frame["quadrant"] == q, "text"]]
            blocks[q] = [wrap_text(v) for v in items]
        n_lines = max(sum(len(b) for b in blocks[q]) + SWOT_ITEM_GAP / SWOT_LINE * len(blocks[q])
                      for q in pair)
        height = SWOT_HEAD + SWOT_PAD * 2 + max(1.0, n_lines) * SWOT_LINE
        for i, q in enumerate(pair):
            x = i * (panel_w + SWOT_GAP)
            stroke, fill = SWOT_COLORS[q]
            rects.append({"x": x, "x2": x + panel_w, "y": top, "y2": top + height,
                          "fill": fill, "stroke": stroke})
            texts.append({"x": x + SWOT_PAD, "y": top + SWOT_PAD, "text": t(f"team.quadrant.{q}", lang),
                          "kind": "head", "color": stroke})
            y = top + SWOT_PAD + SWOT_HEAD
            if not blocks[q]:
                texts.append({"x": x + SWOT_PAD, "y": y, "text": t("team.swot.empty", lang),
                              "kind": "empty", "color": "#64748b"})
            for lines in blocks[q]:
                for j, line in enumerate(lines):
                    texts.append({"x": x + SWOT_PAD + 14, "y": y, "text": line, "kind": "body",
                                  "color": "#111827"})
                    if j == 0:
                        texts.append({"x": x + SWOT_PAD, "y": y, "text": "•", "kind": "body",
                                      "color": stroke})
                    y += SWOT_LINE
                y += SWOT_ITEM_GAP
        top += height + SWOT_GAP
    total = top - SWOT_GAP
    x_scale = alt.Scale(domain=[0, SWOT_WIDTH], nice=False, zero=False)
    y_scale = alt.Scale(domain=[0, total], nice=False, zero=False, reverse=True)
    x, y = alt.X("x:Q", scale=x_scale, axis=None), alt.Y("y:Q", scale=y_scale, axis=None)
    panels = alt.Chart(pd.DataFrame(rects)).mark_rect(cornerRadius=8, strokeWidth=2).encode(
        x=x, x2="x2:Q", y=y, y2="y2:Q",
        fill=alt.Fill("fill:N", scale=None), stroke=alt.Stroke("stroke:N", scale=None))
    words = pd.DataFrame(texts)
    marks = []
    for kind, style in (("head", {"fontSize": 19, "fontWeight": "bold"}), ("body", {"fontSize": 15}),
                        ("empty", {"fontSize": 15, "fontStyle": "italic"})):
        part = words[words["kind"] == kind]
        if part.empty:
            continue
        marks.append(alt.Chart(part).mark_text(align="left", baseline="top", **style).encode(
            x=x, y=y, text="text:N", color=alt.Color("color:N", scale=None)))
    chart = alt.layer(panels, *marks).properties(
        width=SWOT_WIDTH, height=total, padding=8,
        title=alt.Title(title, anchor="start", fontSize=20, offset=12))
    return _theme(chart)


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
    return _theme(alt.layer(rect, text).properties(height=max(160, 26 * data["rep"].nunique())))


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
    return _theme(chart)


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
    return _theme(chart.properties(height=max(120, 50 * frame["team"].nunique())))


def team_training_hours(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Training hours per rep stacked by topic. Columns: rep, topic_label, hours."""
    chart = alt.Chart(frame).mark_bar().encode(
        y=alt.Y("rep:N", title=None, sort="-x"),
        x=alt.X("hours:Q", title=t("team.chart.hours", lang)),
        color=alt.Color("topic_label:N", title=None),
        tooltip=[alt.Tooltip("rep:N", title=t("metric.rep", lang)),
                 alt.Tooltip("topic_label:N", title=" "),
                 alt.Tooltip("hours:Q", title=t("team.chart.hours", lang), format=",.0f")])
    return _theme(chart.properties(height=max(160, 24 * frame["rep"].nunique())))


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
    return _theme(alt.layer(chart, text).properties(height=260))


# ==== review: chart builders of pages/review.py go below this line ====

def review_progress(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Actions per rule as stacked bars: done, open, overdue. Columns: rule (label), state
    (label, in stacking order), count, order (0, 1, 2)."""
    states = list(dict.fromkeys(frame.sort_values("order")["state"]))
    colors = [PALETTE["good"], PALETTE["neutral"], PALETTE["bad"]][:len(states)]
    title = t("review.col.total", lang)
    chart = alt.Chart(frame[frame["count"] > 0]).mark_bar(cornerRadiusEnd=2).encode(
        y=alt.Y("rule:N", sort=list(dict.fromkeys(frame["rule"])), title=None),
        x=alt.X("sum(count):Q", title=title, axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("state:N", title=None, sort=states, scale=alt.Scale(domain=states, range=colors)),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("rule:N", title=" "), alt.Tooltip("state:N", title=" "),
                 alt.Tooltip("count:Q", title=title)])
    return _theme(chart.properties(height=max(120, 34 * frame["rule"].nunique())))


def review_change(frame: pd.DataFrame, change: str, lang: str, *, title: str,
                  percent: bool = False) -> alt.TopLevelMixin:
    """A KPI per month for the changed and the comparison group, with a rule at the change.
    Columns: month ('YYYY-MM'), group (label), value. ``change``: the month of the change."""
    fmt_ = ".1%" if percent else ",.1f"
    colors = alt.Scale(domain=list(dict.fromkeys(frame["group"])),
                       range=[PALETTE["actual"], PALETTE["neutral"]])
    x = alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-45))
    lines = alt.Chart(frame).mark_line(point=True, strokeWidth=2).encode(
        x=x, y=alt.Y("value:Q", title=title, axis=alt.Axis(format=".0%" if percent else "~s"),
                     scale=alt.Scale(zero=False)),
        color=alt.Color("group:N", scale=colors, title=None),
        tooltip=[alt.Tooltip("month:O", title=t("chart.month", lang)), alt.Tooltip("group:N", title=" "),
                 alt.Tooltip("value:Q", title=title, format=fmt_)])
    marker = pd.DataFrame({"month": [change], "label": [t("review.group.change", lang)]})
    rule = alt.Chart(marker).mark_rule(color=PALETTE["bad"], strokeDash=[6, 3], strokeWidth=2).encode(x=x)
    text = alt.Chart(marker).mark_text(align="left", dx=4, dy=-6, color=PALETTE["bad"], fontSize=12).encode(
        x=x, y=alt.value(0), text="label:N")
    return _theme(alt.layer(lines, rule, text).properties(height=300))


# ==== meeting: chart builders ====

MEETING_STATES = ("done", "open", "overdue")


def meeting_actions(frame: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Action items per rule, stacked: done (green), open on time (grey), overdue (red).
    Columns: rule_label, state (MEETING_STATES), state_label, count."""
    labels = {s: frame.loc[frame["state"] == s, "state_label"].iloc[0] for s in MEETING_STATES
              if (frame["state"] == s).any()}
    colors = {"done": PALETTE["good"], "open": PALETTE["neutral"], "overdue": PALETTE["bad"]}
    data = frame[frame["count"] > 0].assign(order=frame["state"].map({s: i for i, s in enumerate(MEETING_STATES)}))
    title = t("meeting.chart.actions", lang)
    most = int(frame.groupby("rule_label")["count"].sum().max()) if len(frame) else 0
    ticks = list(range(most + 1)) if most <= 10 else None  # whole items only: no 0.5 tick
    chart = alt.Chart(data).mark_bar(cornerRadiusEnd=2).encode(
        y=alt.Y("rule_label:N", sort=list(dict.fromkeys(frame["rule_label"])), title=None),
        x=alt.X("sum(count):Q", title=title, axis=alt.Axis(format="d", values=ticks) if ticks else
                alt.Axis(format="d", tickMinStep=1)),
        color=alt.Color("state_label:N", title=None, sort=[labels[s] for s in labels],
                        scale=alt.Scale(domain=[labels[s] for s in labels], range=[colors[s] for s in labels])),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("rule_label:N", title=" "), alt.Tooltip("state_label:N", title=" "),
                 alt.Tooltip("count:Q", title=title)])
    return _theme(chart.properties(height=max(140, 36 * frame["rule_label"].nunique())))
