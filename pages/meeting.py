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

# the sidebar's period, as Overview, Incentives and Retention (no default of this page's own)
period, scope, user = ctx.period, ctx.scope, ui.user()
# one row of controls: the slide takes the rest of the screen (salescore.ui.meeting.show)
top = st.columns([3, 3, 3, 2, 3], vertical_alignment="center")
options = top[3].popover(t("meeting.options"), icon=":material/tune:", width="stretch")
options.caption(t("meeting.caption", period=period.label, scope=scope.team or t("meeting.all_teams"),
                  date=ctx.as_of.isoformat()))
if report.left_out(user):  # a viewer: no pay or retention slide, here and in the deck
    options.caption(t("meeting.access.left_out", role=t(f"access.role.{user.role}")))
anonymize = options.toggle(t("meeting.anonymize"), key="meeting_anonymize", help=t("meeting.anonymize_help"))
rep_safe = options.toggle(t("meeting.rep_safe"), key="meeting_rep_safe", help=t("meeting.rep_safe_help"))
top[4].download_button(
    t("meeting.download_pptx"), key="meeting_pptx", icon=":material/slideshow:", width="stretch",
    data=deck.pptx_builder(period, ctx.lang, scope, ctx.as_of, anonymize, rep_safe),
    file_name=report.deck_file_name(period, ctx.lang),
    mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
    on_click="ignore", help=t("meeting.download_pptx_help"))

keys = report.slide_keys(rep_safe, user)
index = deck.current(len(keys))
# every query behind the slide goes through the page cache (shared with Overview, Goals, ...)
slide = report.slide(ui.con(), keys[index], period, ctx.lang, scope=scope, anonymize=anonymize,
                     when=ctx.as_of, call=ui.query)

top[0].button(t("meeting.prev"), key="meeting_prev", icon=":material/arrow_back:", width="stretch",
              help=t("meeting.prev_help"), shortcut="Left", disabled=index == 0,
              on_click=deck.move, args=(-1, len(keys)))
top[1].markdown(f"<div style='text-align:center'>{t('meeting.counter', n=index + 1, total=len(keys))}</div>",
                unsafe_allow_html=True)
top[2].button(t("meeting.next"), key="meeting_next", icon=":material/arrow_forward:", width="stretch",
              help=t("meeting.next_help"), shortcut="Right", disabled=index == len(keys) - 1,
              on_click=deck.move, args=(1, len(keys)))
if slide.chart is not None:
    options.download_button(t("meeting.download_png"), key=f"meeting_png_{slide.key}", icon=":material/image:",
                            data=deck.png_builder(slide), file_name=f"{slide.key}_{period.label}.png",
                            mime="image/png", on_click="ignore", width="stretch")
options.caption(t("meeting.fullscreen_tip"))

deck.show(slide)
