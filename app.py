"""salescore: the router. Page config, language, sidebar, and st.navigation over pages/.

Streamlit runs this file as the script of every page (``__name__ == "__main__"``). Before
that, ``streamlit run app.py`` imports it once to look for an ``st.App`` to serve: the only
moment this file runs in the server process before the first visitor, so that is where
Streamlit's legacy pages/ folder mode is switched off (see salescore/ui/serve.py), and where
the routes that set and clear the signed session cookie are added (salescore/session_cookie.py).
"""
from __future__ import annotations

import streamlit as st

if __name__ != "__main__":
    # the import by `streamlit run app.py` (and `python -m salescore serve`): without this, a
    # pages/ folder next to this file makes the process's first script run take the old
    # folder-discovery mode, which runs a first deep link such as /data without this router
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    from salescore import framing          # frame-ancestors 'self' on every HTTP response
    from salescore import session_cookie   # a signed session survives a reload (issue 18)

    app = st.App(__file__, routes=session_cookie.routes(st.get_option("server.baseUrlPath")),
                 middleware=framing.MIDDLEWARE)
else:
    from salescore import access, audit, files, ui
    from salescore.ui import auth

    files.keep_private()   # also under a bare `streamlit run app.py`: files this server creates are 0600

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

    # None when sign-in is off; stops at the sign-in form when it is needed, every page
    # registered under it with the menu hidden (a deep link opens its page after sign-in)
    user = auth.gate([st.Page("pages/me.py", title=ui.t("access.nav_me"), icon=":material/person:",
                              url_path="me")]
                     + [st.Page(path, title=ui.t(key), icon=icon, url_path=url)
                        for path, key, icon, url in PAGES])
    audit.set_actor(user.name if user else None)  # who the audit log names for this run's writes
    # every page stays registered (links between pages keep working); a role's other pages are
    # hidden from the menu and refused below (salescore.access.may_open)
    mine = [st.Page("pages/me.py", title=ui.t("access.nav_me"), icon=":material/person:", url_path="me",
                    default=True)] if access.may_open(user, "me") else []
    navigation = st.navigation(mine + [
        st.Page(path, title=ui.t(key), icon=icon, url_path=url, default=(url == "overview" and not mine),
                visibility="visible" if access.may_open(user, url) else "hidden")
        for path, key, icon, url in PAGES
    ])
    try:
        ui.set_context(ui.sidebar())
        auth.sidebar_user(user)
        if access.may_open(user, navigation.url_path or ("me" if mine else "overview")):
            navigation.run()
        else:
            auth.not_allowed()
    except Exception as err:  # a page must never show a traceback: one sentence instead
        ui.show_error(err)
