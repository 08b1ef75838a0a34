"""What every page needs: the :class:`Context` (language, period, scope, the data's 'today'),
the sidebar that chooses it, and the top of a figure page (:func:`page`, :func:`no_data`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from salescore import access, db, i18n, metrics, scope
from salescore.periods import Period, containing, default_for, is_running, parse, period_label
from salescore.scope import Scope
from salescore.ui import auth, cache
from salescore.ui.connection import user
from salescore.ui.feedback import show_flash
from salescore.ui.text import lang, t

PERIOD_KINDS = ("month", "quarter", "year")

#: The teams of the reps table, sorted (the sidebar's team filter).
teams_list = scope.teams


@dataclass(frozen=True)
class Context:
    """What every page needs: language, the chosen period and scope, and the data's 'today'."""

    lang: str
    period: Period | None
    scope: Scope
    as_of: date | None
    has_data: bool

    @property
    def running(self) -> bool:
        """Whether the chosen period is still running on the data's as-of date (periods.is_running)."""
        return self.period is not None and is_running(self.period, self.as_of)

    @property
    def period_text(self) -> str:
        """The chosen period as pages name it: "2026-Q3", or "2026-Q4 to date (through
        2026-11-20)" / "2026-Q4 截至 11-20" while it runs (periods.period_label)."""
        return "" if self.period is None else period_label(self.period, self.as_of, self.lang)


def _period_options(first: date, last: date, kind: str) -> list[Period]:
    out, current = [], containing(last, kind)
    floor = containing(first, kind)
    while current >= floor and len(out) < 120:
        out.append(current)
        current = current.previous()
    return out


def sidebar() -> Context:
    """Language switch, period picker and team filter; returns the page context."""
    with st.sidebar:
        lang()  # seeds session_state["lang"] from the browser locale on the first run
        st.radio(i18n.t("sidebar.language", lang()), list(i18n.LANGS), horizontal=True,
                 format_func=lambda c: {"zh": "中文", "en": "English"}[c], key="lang")
        first, last = cache.query(metrics.data_range)
        if last is None:
            st.caption(t("sidebar.no_data"))
            return Context(lang(), None, Scope(), None, False)
        # format functions capture their labels now: widgets re-format old values with them
        kind_labels = {k: t(f"period.{k}") for k in PERIOD_KINDS}
        kind = st.segmented_control(t("sidebar.period_kind"), PERIOD_KINDS, default="month",
                                    format_func=kind_labels.__getitem__, key="period_kind") or "month"
        options = _period_options(first, last, kind)
        default = default_for(first, last, kind)
        labels = [p.label for p in options]
        index = labels.index(default.label) if default.label in labels else 0
        label = st.selectbox(t("sidebar.period"), labels, index=index, key=f"period_{kind}")
        teams = cache.query(teams_list)
        all_teams = t("sidebar.all_teams")
        team = st.selectbox(t("sidebar.team"), [""] + teams,
                            format_func=lambda v: v or all_teams, key="team")
        st.toggle(t("sidebar.wan"), key="wan", help=t("sidebar.wan_help"))
        st.caption(t("sidebar.as_of", date=last.isoformat()))
        code = cache.query(db.reporting_currency)   # what every amount is shown in (ui.currency)
        st.caption(t("sidebar.currency", code=code) if code else t("sidebar.currency_unknown"))
    return Context(lang(), parse(label), Scope(team=team or None), last, True)


def set_context(ctx: Context) -> None:
    st.session_state["_context"] = ctx


def page_path() -> str:
    """The url path of the page this run draws: its file's name (pages/data.py -> "data"),
    the path app.py registers it under (tests/test_pages.py keeps the two equal). Under the
    router that is st.navigation's current page; a page file run on its own (Streamlit's old
    pages-folder mode, a test) is the main script itself."""
    run = get_script_run_ctx(suppress_warning=True)
    if run is None:
        return ""
    manager = run.pages_manager
    current = manager.get_pages().get(manager.current_page_script_hash) or {}
    return Path(current.get("script_path") or manager.main_script_path).stem


def context() -> Context:
    """The context the router computed for this run (language, period, scope).

    Every page starts here, so the role check is repeated here for the page being run: a
    page reached without app.py's router (run on its own, or by Streamlit's old pages-folder
    mode) refuses a role that may not open it (access.may_open) and stops with one sentence.
    """
    ctx = st.session_state.get("_context")
    if ctx is None:  # a page run on its own: sign-in first, as app.py does
        auth.gate()
        ctx = sidebar()
        set_context(ctx)
    if not access.may_open(user(), page_path()):
        auth.not_allowed()
        st.stop()
    return ctx


def page(title_key: str) -> Context:
    """The top of a page that shows figures: its context (sidebar), its title, a pending
    flash message; with no data yet, a sentence and a link to the Data page, and the page
    stops there."""
    ctx = context()
    st.title(t(title_key))
    if not ctx.has_data:
        no_data()
        st.stop()
    show_flash()
    return ctx


def no_data(page_key: str = "") -> None:
    """Say plainly that there is no data yet, with a link to the Data page."""
    st.info(t("common.no_data"))
    if access.may_open(user(), "data"):  # the Data page is hidden from read-only roles
        st.page_link("pages/data.py", label=t("common.go_to_data"), icon=":material/upload_file:")
