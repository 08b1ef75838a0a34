"""Streamlit glue of the Meeting page: the slide cursor, drawing one slide, lazy downloads."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from salescore import report, ui
from salescore.periods import Period
from salescore.report import Slide
from salescore.scope import Scope

INDEX = "meeting_index"
CHART_HEIGHT = 420


def current(count: int) -> int:
    """The slide shown, kept within 0..count-1 (the list shrinks when rep-safe is switched on)."""
    index = min(max(int(st.session_state.get(INDEX, 0)), 0), max(count - 1, 0))
    st.session_state[INDEX] = index
    return index


def move(step: int, count: int) -> None:
    """Button callback: the previous (-1) or next (+1) slide."""
    st.session_state[INDEX] = min(max(int(st.session_state.get(INDEX, 0)) + step, 0), max(count - 1, 0))


def show(slide: Slide) -> None:
    """One slide, projector-sized: title, subtitle, big figures, chart beside its table, notes."""
    st.header(slide.title + (f"  :orange-badge[{ui.t('meeting.manager_only')}]" if slide.manager_only else ""),
              divider="gray")
    st.caption(slide.subtitle)
    if slide.figures:
        for column, fig in zip(st.columns(len(slide.figures)), slide.figures.values()):
            column.metric(fig.label, fig.value, delta=fig.delta, delta_color=fig.delta_color,
                          help=fig.help, border=True)
    has_table = slide.table is not None and not slide.table.empty
    # taller than on the working pages: every bar label stays readable on a projector
    chart = None if slide.chart is None else slide.chart.properties(height=CHART_HEIGHT)
    if chart is not None and has_table:
        left, right = st.columns(2)
        ui.chart(chart, where=left, width="stretch")
        right.dataframe(slide.table, hide_index=True, width="stretch")
    elif chart is not None:
        ui.chart(chart, width="stretch")
    elif has_table:
        st.dataframe(slide.table, hide_index=True, width="stretch")
    for note in slide.notes:
        st.info(note, icon=":material/campaign:")


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
