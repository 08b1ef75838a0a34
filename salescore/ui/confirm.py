"""A typed confirmation for what cannot be undone ("Reset to empty", restoring a backup;
issue 17 item 10): the user types a word shown on screen before the button is enabled.

A checkbox is one click, and one click can be stolen (a page that frames the app, a stray
click during a demo); a typed word cannot. The word is in the user's language (RESET,
重置 ...); the English word is accepted too, since every keyboard types it without an input
method. Case, full-width letters and surrounding spaces do not matter (NFKC, casefold).
The button's callback checks the word again: a disabled button is a display, not a rule.
"""
from __future__ import annotations

import unicodedata

import streamlit as st

from salescore.errors import SalesCoreError
from salescore.i18n import t


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def matches(typed: str | None, word_key: str, lang: str) -> bool:
    """Whether ``typed`` is the word ``word_key`` in ``lang`` or in English."""
    if not typed:
        return False
    return _plain(typed) in {_plain(t(word_key, lang)), _plain(t(word_key, "en"))}


def word_input(key: str, label_key: str, word_key: str, lang: str) -> bool:
    """Draw the text box ("Type RESET to ...") and say whether it holds the word."""
    st.text_input(t(label_key, lang, word=t(word_key, lang)), key=key, max_chars=40,
                  autocomplete="off")
    return matches(st.session_state.get(key), word_key, lang)


def require(key: str, word_key: str, lang: str) -> None:
    """In the button's callback: refuse (nothing done) unless the box holds the word; the box
    is emptied either way, so the next destructive click needs the word typed again."""
    typed = st.session_state.get(key)
    st.session_state[key] = ""
    if not matches(typed, word_key, lang):
        raise SalesCoreError("Type the word shown to confirm: nothing was changed.",
                             key="data.confirm_wrong", word=t(word_key, lang))
