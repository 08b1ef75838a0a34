"""The server process's database connection, restricted to the signed-in user."""
from __future__ import annotations

from typing import Any

import duckdb
import streamlit as st

from salescore import access, db


@st.cache_resource(on_release=lambda c: c.close(), show_spinner=False)
def get_con(path: str) -> duckdb.DuckDBPyConnection:
    """One connection per server process (TECH_NOTES §2); each call takes its own cursor."""
    return db.connect(path)


def db_path() -> str:
    return str(db.default_path())


def user() -> access.User | None:
    """The signed-in user (salescore.ui.auth puts it here); None when sign-in is off."""
    return st.session_state.get("auth_user")


def con() -> Any:
    """The process's connection to the database chosen by $SALESCORE_DB, restricted to what
    the signed-in user may see (salescore.access; read-only unless admin)."""
    return access.restricted(get_con(db_path()), user())
