"""The interface language and the page's words: :func:`lang`, :func:`t`, :func:`tx`, :func:`money`."""
from __future__ import annotations

from typing import Any

import streamlit as st

from salescore import db, fmt, i18n
from salescore.ui import cache


def lang() -> str:
    """The interface language: the sidebar choice, else the browser locale, else Chinese.

    The choice is mirrored in a plain session key: Streamlit drops a widget's key after a run
    that did not draw it (an interrupted run, a fragment), and a server-side rerun carries no
    browser locale, so reseeding from the locale alone could switch an English session to
    the Chinese default in the middle of a page."""
    state = st.session_state
    if "lang" not in state:
        state["lang"] = state.get("_lang") or i18n.normalise(st.context.locale)
    state["_lang"] = state["lang"]
    return state["lang"]


def t(key: str, **params: Any) -> str:
    return i18n.t(key, lang(), **params)


def tx(key: str, **params: Any) -> str:
    """:func:`t` for markdown places (captions, alerts, st.markdown): text values — names of
    reps, teams, customers, files, plans — are escaped so they show as typed, never as markup."""
    safe = {k: fmt.md_escape(v) if isinstance(v, str) else v for k, v in params.items()}
    return i18n.t(key, lang(), **safe)


def currency() -> str:
    """The symbol amounts are shown with: the data's reporting currency (db.reporting_currency),
    none while it is not known."""
    return fmt.symbol(cache.query(db.reporting_currency))


def money(value: Any, *, wan: bool | None = None) -> str:
    """An amount in the reporting currency; short (万 / k) when the sidebar asks for it."""
    short = bool(st.session_state.get("wan", False)) if wan is None else wan
    return fmt.money(value, lang(), wan=short, currency=currency())


def money_pattern(digits: int = 0) -> str:
    """The NumberColumn format of an amount in the reporting currency ('¥%,.0f')."""
    return fmt.money_pattern(digits, currency=currency())
