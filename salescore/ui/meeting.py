"""Streamlit glue of the Meeting page: the slide cursor, drawing one slide, lazy downloads."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import streamlit as st

from salescore import fmt, report, ui
from salescore.periods import Period
from salescore.report import Slide
from salescore.scope import Scope

INDEX = "meeting_index"

#: The smallest screen a slide must fit without scrolling (a 1280x720 projector), in CSS px,
#: and what Streamlit's frame takes of it: the header bar above the page, the control row
#: (previous / counter / next / options / deck), the slide's title and subtitle, a row of
#: figure cards, one note, the gap between two elements. Measured in Chromium at 1280x720
#: with the sidebar open (the narrowest content: cards and notes wrap most there); see
#: tests/test_browser_meeting.py, which fails when a slide outgrows the screen.
SCREEN_H = 720
TOP, CONTROLS, TITLE, NOTE_LINE, NOTE_PAD, GAP, BOTTOM = 60, 42, 98, 24, 34, 16, 24
#: The content's width with the sidebar open at 1280 px, and a card's padding and border (px).
CONTENT_W, CARD_PAD = 820, 34
#: Chart and table heights (px): never below MIN_BODY (a chart stays readable), table rows
#: as st.dataframe draws them.
MIN_BODY, ROW_H = 150, 35
#: The star board's band: round pictures of FACE px with name and revenue beside them.
FACE, FACES_H = 56, 60
#: Characters (half-em units) of a note line in the narrowest content (sidebar open).
NOTE_UNITS = 84
#: Room left unused at the bottom: the estimates above are within a few px.
SAFETY = 12
#: An average glyph is ~0.55 em (0.72: room for wide letters such as M): a metric
#: value's font is at most this share of its card's width per half-em unit (see _style).
_EM_PER_UNIT = 0.72

# Only this page's frame: smaller margins, the metric cards' label and delta wrap instead of
# ending in "…", and the value shrinks to its card (CSS container units) instead of being cut.
_CSS = """<style>
[data-testid="stMainBlockContainer"] {{ padding-top: {top}px; padding-bottom: {bottom}px; }}
[data-testid="stMetric"] {{ container-type: inline-size; }}
[data-testid="stMetric"] [data-testid="stMetricValue"] > div {{
  font-size: min(2.25rem, {value_cqi:.1f}cqi); overflow: visible; text-overflow: clip; }}
[data-testid="stMetric"] [data-testid="stMetricLabel"] *,
[data-testid="stMetric"] [data-testid="stMetricDelta"] * {{
  white-space: normal; overflow: visible; text-overflow: clip; overflow-wrap: anywhere; }}
</style>"""


def current(count: int) -> int:
    """The slide shown, kept within 0..count-1 (the list shrinks when rep-safe is switched on)."""
    index = min(max(int(st.session_state.get(INDEX, 0)), 0), max(count - 1, 0))
    st.session_state[INDEX] = index
    return index


def move(step: int, count: int) -> None:
    """Button callback: the previous (-1) or next (+1) slide."""
    st.session_state[INDEX] = min(max(int(st.session_state.get(INDEX, 0)) + step, 0), max(count - 1, 0))


def _units(text: str) -> int:
    """Width in half-em units: CJK and other wide characters count 2."""
    return len(text) + sum(1 for ch in text if ord(ch) >= 0x2E80)


def _note_height(note: str, units: int = NOTE_UNITS) -> int:
    return NOTE_PAD + NOTE_LINE * max(1, -(-_units(note) // units))


def cards_height(slide: Slide, content_w: int = CONTENT_W) -> int:
    """The height (px) of the row of figure cards: the card's padding, the label and the delta
    (each wrapping in the card's width: the narrowest content, sidebar open) and the value."""
    n = max(len(slide.figures), 1)
    inner = (content_w - GAP * (n - 1)) / n - CARD_PAD
    def lines(text: str | None, px: float) -> int:
        return 0 if not text else max(1, -(-_units(text) * px // max(inner - 24, 1)))
    label = max(lines(f.label, 8.5) for f in slide.figures.values())
    delta = max(lines(f.delta, 8) for f in slide.figures.values())
    return int(CARD_PAD + 24 * label + 48 + (8 + 21 * delta if delta else 0))


def body_height(slide: Slide, notes_beside: bool) -> int:
    """The height (px) left for the slide's chart or table on a SCREEN_H screen once the frame,
    title, figure cards and the notes under it (none when ``notes_beside``) are placed."""
    used = TOP + CONTROLS + GAP + TITLE + GAP + BOTTOM + SAFETY
    if slide.figures:
        used += cards_height(slide) + GAP
    if slide.faces:
        used += FACES_H + GAP
    if not notes_beside:
        used += sum(_note_height(n) + GAP for n in slide.notes)
    return max(MIN_BODY, SCREEN_H - used)


def _style(slide: Slide) -> None:
    """The page's CSS (st.html with only a style sheet takes no room on the page): a metric
    value's font is capped so its longest value fits the card (``cqi``: % of the card)."""
    longest = max([_units(f.value) for f in slide.figures.values()] + [6])
    value_cqi = 100 / (longest * _EM_PER_UNIT)
    st.html(_CSS.format(top=TOP, bottom=BOTTOM, value_cqi=value_cqi))


def show(slide: Slide) -> None:
    """One slide, sized to fit a 1280x720 screen without scrolling (body_height): title and
    subtitle, big figures, the chart beside its table (or beside the notes), the notes."""
    _style(slide)
    badge = f"  :orange-badge[{ui.t('meeting.manager_only')}]" if slide.manager_only else ""
    st.header(slide.title + badge)
    st.caption(slide.subtitle)
    if slide.figures:
        for column, fig in zip(st.columns(len(slide.figures)), slide.figures.values()):
            column.metric(fig.label, fig.value, delta=fig.delta, delta_color=fig.delta_color,
                          help=fig.help, border=True)
    if slide.faces:
        for column, face in zip(st.columns(len(slide.faces)), slide.faces):
            with column.container(horizontal=True, vertical_alignment="center", gap="small"):
                st.image(face.png, width=FACE)
                st.markdown(f"**{fmt.md_escape(face.name)}**  \n{fmt.md_escape(face.caption)}")
    has_table = slide.table is not None and not slide.table.empty
    has_chart = slide.chart is not None
    # a chart alone has the notes beside it (a wide chart reads as well at three fifths)
    beside = has_chart and not has_table and bool(slide.notes)
    height = body_height(slide, beside)
    rows_h = ROW_H * (len(slide.table) + 1) + 3 if has_table else 0
    table_h = min(height, rows_h)
    if has_chart and has_table:
        left, right = st.columns([2, 3])
        ui.chart(_sized(slide.chart, height), where=left, width="stretch")
        right.dataframe(slide.table, hide_index=True, width="stretch", height=table_h)
    elif has_chart:
        where, side = st.columns([3, 2]) if beside else (st.container(), None)
        ui.chart(_sized(slide.chart, height), where=where, width="stretch")
        if side is not None:
            for note in slide.notes:
                side.info(note, icon=":material/campaign:")
    elif has_table:
        st.dataframe(slide.table, hide_index=True, width="stretch", height=table_h)
    if not beside:
        for note in slide.notes:
            st.info(note, icon=":material/campaign:")


def _sized(chart: Any, height: int) -> Any:
    """``chart`` exactly ``height`` px tall, axes and legend included (autosize "fit": on this
    page the chart gives up plot room rather than push the slide past the screen's bottom)."""
    import altair as alt

    return chart.properties(height=height, autosize=alt.AutoSizeParams(type="fit", contains="padding"))


def pptx_builder(period: Period, lang: str, scope: Scope, when: date | None, anonymize: bool,
                 rep_safe: bool) -> Callable[[], bytes]:
    """The deck, built only when the download button is clicked (the connection is taken now:
    the build may run outside this script run). The connection is the signed-in user's, so
    the deck leaves out what their role may not see (a viewer: no pay or retention slide)."""
    connection = ui.con()

    def build() -> bytes:
        return report.deck_pptx(connection, period, lang, anonymize=anonymize, rep_safe=rep_safe,
                                scope=scope, when=when)
    return build


def png_builder(slide: Slide) -> Callable[[], bytes]:
    """The slide's chart as PNG (deck size, 2x), rendered only when downloaded."""
    def build() -> bytes:
        return report.slide_png(slide) or b""
    return build
