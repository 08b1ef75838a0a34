"""salescore: the router. Page config, language, sidebar, and st.navigation over pages/."""
from __future__ import annotations

import streamlit as st

from salescore import ui

st.set_page_config(page_title="salescore", page_icon="📈", layout="wide",
                   initial_sidebar_state="expanded")

PAGES = [
    # (file, i18n key, icon, url path) in DESIGN.md section 7 order
    ("pages/overview.py", "nav.overview", ":material/dashboard:", "overview"),
    ("pages/data.py", "nav.data", ":material/upload_file:", "data"),
    ("pages/goals.py", "goals.nav", ":material/flag:", "goals"),
    ("pages/team.py", "team.nav", ":material/groups:", "team"),
    ("pages/incentives.py", "incentives.nav", ":material/payments:", "incentives"),
    ("pages/retention.py", "retention.nav", ":material/favorite:", "retention"),
    ("pages/funnel.py", "funnel.nav", ":material/filter_alt:", "funnel"),
    ("pages/customers.py", "customers.nav", ":material/handshake:", "customers"),
    ("pages/review.py", "review.nav", ":material/checklist:", "review"),
    ("pages/meeting.py", "meeting.nav", ":material/co_present:", "meeting"),
]

navigation = st.navigation([
    st.Page(path, title=ui.t(key), icon=icon, url_path=url, default=(url == "overview"))
    for path, key, icon, url in PAGES
])
try:
    ui.set_context(ui.sidebar())
    navigation.run()
except Exception as err:  # a page must never show a traceback: one sentence instead
    ui.show_error(err)
