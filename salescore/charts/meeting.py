"""Charts of the Monday meeting: action items per rule."""
from __future__ import annotations

import altair as alt
import pandas as pd

from salescore.charts.common import PALETTE, band_axis, bar_height, theme
from salescore.i18n import t


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
        y=alt.Y("rule_label:N", sort=list(dict.fromkeys(frame["rule_label"])), title=None, axis=band_axis()),
        x=alt.X("sum(count):Q", title=title, axis=alt.Axis(format="d", values=ticks) if ticks else
                alt.Axis(format="d", tickMinStep=1)),
        color=alt.Color("state_label:N", title=None, sort=[labels[s] for s in labels],
                        scale=alt.Scale(domain=[labels[s] for s in labels], range=[colors[s] for s in labels])),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("rule_label:N", title=" "), alt.Tooltip("state_label:N", title=" "),
                 alt.Tooltip("count:Q", title=title)])
    return theme(chart.properties(height=bar_height(frame["rule_label"].nunique(), step=36, minimum=140)))
