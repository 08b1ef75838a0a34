"""Meeting: full-screen slides for the team meeting, one at a time, with PPTX and PNG export."""
from __future__ import annotations

import streamlit as st

from salescore import report
from salescore import ui
from salescore.ui import meeting as deck
from salescore.ui import t

ctx = ui.context()
if not ctx.has_data:
    st.title(t("meeting.title"))
    ui.no_data()
    st.stop()

period, scope, user = ctx.period, ctx.scope, ui.user()
top = st.columns([3, 2, 2, 2], vertical_alignment="center")
top[0].caption(t("meeting.caption", period=period.label, scope=scope.team or t("meeting.all_teams"),
                 date=ctx.as_of.isoformat()))
if report.left_out(user):  # a viewer: no pay or retention slide, here and in the deck
    top[0].caption(t("meeting.access.left_out", role=t(f"access.role.{user.role}")))
anonymize = top[1].toggle(t("meeting.anonymize"), key="meeting_anonymize", help=t("meeting.anonymize_help"))
rep_safe = top[2].toggle(t("meeting.rep_safe"), key="meeting_rep_safe", help=t("meeting.rep_safe_help"))
with top[3]:
    st.download_button(
        t("meeting.download_pptx"), key="meeting_pptx", icon=":material/slideshow:",
        data=deck.pptx_builder(period, ctx.lang, scope, ctx.as_of, anonymize, rep_safe),
        file_name=report.deck_file_name(period, ctx.lang),
        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        on_click="ignore", help=t("meeting.download_pptx_help"))

keys = report.slide_keys(rep_safe, user)
index = deck.current(len(keys))
# every query behind the slide goes through the page cache (shared with Overview, Goals, ...)
slide = report.slide(ui.con(), keys[index], period, ctx.lang, scope=scope, anonymize=anonymize,
                     when=ctx.as_of, call=ui.query)

nav = st.columns([1, 2, 1], vertical_alignment="center")
nav[0].button(t("meeting.prev"), key="meeting_prev", icon=":material/arrow_back:", width="stretch",
              help=t("meeting.prev_help"), shortcut="Left", disabled=index == 0,
              on_click=deck.move, args=(-1, len(keys)))
nav[1].markdown(f"<div style='text-align:center'>{t('meeting.counter', n=index + 1, total=len(keys))}</div>",
                unsafe_allow_html=True)
nav[2].button(t("meeting.next"), key="meeting_next", icon=":material/arrow_forward:", width="stretch",
              help=t("meeting.next_help"), shortcut="Right", disabled=index == len(keys) - 1,
              on_click=deck.move, args=(1, len(keys)))

deck.show(slide)
if slide.chart is not None:
    st.download_button(t("meeting.download_png"), key=f"meeting_png_{slide.key}", icon=":material/image:",
                       data=deck.png_builder(slide), file_name=f"{slide.key}_{period.label}.png",
                       mime="image/png", on_click="ignore")
st.caption(t("meeting.fullscreen_tip"))
