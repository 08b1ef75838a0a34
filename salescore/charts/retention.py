"""The retention quadrant: goal difficulty against reward, per rep."""
from __future__ import annotations

import altair as alt
import pandas as pd

from salescore.charts.common import PALETTE, money_format, theme
from salescore.i18n import t


_QUADRANT_COLORS = {"fair": "#16a34a", "loyalty": "#2563eb", "avoid": "#64748b", "exploited": "#dc2626"}


def retention_quadrant(frame: pd.DataFrame, lang: str, moves: pd.DataFrame | None = None,
                       currency: str = "") -> alt.TopLevelMixin:
    """The goal-difficulty x reward quadrant: shaded quadrants with their names, the two lines,
    one dot per placed rep (top performers big, labelled), and for a what-if a dashed line
    from each moving rep's dot to a hollow dot at the new place.

    Columns of ``frame`` (retention.quadrant, placed reps): rep, team, quota, baseline,
    difficulty, total, target_pay, reward, attainment, top_performer, quadrant, risk_score,
    difficulty_line, reward_line. ``moves``: rep, difficulty_old, reward_old, difficulty_new,
    reward_new. Dots beyond 3x a line are drawn on the chart's edge (the tooltip has the figure).
    Amounts (quota, baseline, total, target_pay) are shown in ``currency`` (a symbol).
    """
    money = money_format(",.0f", currency)
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
    shade = alt.Chart(areas).mark_rect(opacity=0.07).encode(   # ratios shown as percentages (211%)
        x=alt.X("x:Q", scale=x_scale, title=x_title, axis=alt.Axis(format="%")), x2="x2:Q",
        y=alt.Y("y:Q", scale=y_scale, title=y_title, axis=alt.Axis(format="%")), y2="y2:Q",
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
               alt.Tooltip("difficulty:Q", title=x_title, format=".0%"),
               alt.Tooltip("quota:Q", title=t("retention.col.quota", lang), format=money),
               alt.Tooltip("baseline:Q", title=t("retention.col.baseline", lang), format=money),
               alt.Tooltip("reward:Q", title=y_title, format=".0%"),
               alt.Tooltip("total:Q", title=t("retention.col.total", lang), format=money),
               alt.Tooltip("target_pay:Q", title=t("retention.col.target_pay", lang), format=money),
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
                     alt.Tooltip("difficulty_new:Q", title=x_title, format=".0%"),
                     alt.Tooltip("reward_new:Q", title=y_title, format=".0%")]))
    return theme(alt.layer(*layers).properties(height=460), currency)
