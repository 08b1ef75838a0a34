"""The interface language and the page's words: :func:`lang`, :func:`t`, :func:`tx`, :func:`money`."""
from __future__ import annotations

from typing import Any

import streamlit as st

from salescore import fmt, i18n


def lang() -> str:
    """The interface language: the sidebar choice, else the browser locale, else Chinese."""
    if "lang" not in st.session_state:
        st.session_state["lang"] = i18n.normalise(st.context.locale)
    return st.session_state["lang"]


def t(key: str, **params: Any) -> str:
    return i18n.t(key, lang(), **params)


def tx(key: str, **params: Any) -> str:
    """:func:`t` for markdown places (captions, alerts, st.markdown): text values — names of
    reps, teams, customers, files, plans — are escaped so they show as typed, never as markup."""
    safe = {k: fmt.md_escape(v) if isinstance(v, str) else v for k, v in params.items()}
    return i18n.t(key, lang(), **safe)


def money(value: Any) -> str:
    return fmt.money(value, lang(), wan=bool(st.session_state.get("wan", False)))
