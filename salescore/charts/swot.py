"""The SWOT board picture (its text wrapped by charts.common.wrap_text, CJK-aware)."""
from __future__ import annotations

import altair as alt
import pandas as pd

from salescore.charts.common import LINE_WRAP, theme, wrap_text
from salescore.i18n import t


#: SWOT picture geometry (CSS px; the PNG is rendered at scale 2, so 1600 px wide).
SWOT_WIDTH, SWOT_GAP, SWOT_PAD, SWOT_HEAD, SWOT_LINE, SWOT_ITEM_GAP = 784, 16, 16, 36, 22, 6
#: A board line holds this many half-em units: 40 Latin characters or 20 Chinese ones.
SWOT_WRAP = LINE_WRAP
SWOT_COLORS = {"S": ("#16a34a", "#f0fdf4"), "W": ("#dc2626", "#fef2f2"),
               "O": ("#2563eb", "#eff6ff"), "T": ("#d97706", "#fffbeb")}
def swot_board(frame: pd.DataFrame, lang: str, title: str) -> alt.TopLevelMixin:
    """The 2x2 SWOT board as a picture: strengths | weaknesses over opportunities | threats,
    each a tinted panel with its heading and its items as bulleted, wrapped lines (an empty
    quadrant says so). Columns: quadrant (S/W/O/T), text. Drawn in pixel coordinates so the
    layout does not depend on the data; meant for :func:`salescore.images.chart_png`."""
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
    return theme(chart)
