"""Errors and messages as sentences: :func:`show_error`, :func:`flash`, :func:`guarded`."""
from __future__ import annotations

import traceback
from collections.abc import Callable

import streamlit as st

from salescore import i18n
from salescore.errors import SalesCoreError
from salescore.ui.text import lang, t


def show_error(err: Exception) -> None:
    """A SalesCoreError as a sentence in the user's language; anything else as a short
    apology (the traceback goes to the server log, never to the browser)."""
    if isinstance(err, SalesCoreError):
        st.error(i18n.error_text(err, lang()))
    else:
        traceback.print_exception(err)
        st.error(t("error.unexpected"))


def flash(level: str, text: str) -> None:
    """Keep a message for the next run (set in a button callback, shown by show_flash)."""
    st.session_state["_flash"] = (level, text)


def show_flash() -> None:
    level, text = st.session_state.pop("_flash", (None, None))
    if text:
        {"success": st.success, "warning": st.warning, "error": st.error}.get(level, st.info)(text)


def guarded(callback: Callable[[], None]) -> Callable[[], None]:
    """Wrap a widget callback so an error becomes a flashed sentence, never a traceback
    (callbacks run before the page script, outside app.py's error guard)."""
    def run() -> None:
        try:
            callback()
        except SalesCoreError as err:
            flash("error", i18n.error_text(err, lang()))
        except Exception as err:  # noqa: BLE001 - the user gets a sentence, the log the trace
            traceback.print_exception(err)
            flash("error", t("error.unexpected"))
    return run
