"""AppTest: a page file run on its own, without app.py's router (what Streamlit's old
pages-folder mode does on a first deep link), checks the signed-in role itself
(salescore.ui.context.context: access.may_open for the page being run)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from salescore import access, db
from salescore.i18n import t

ROOT = Path(__file__).resolve().parents[1]
USERS = {  # name: (role, team, password)
    "boss": ("admin", None, "boss-pass-1"),
    "east": ("manager", "East", "east-pass-1"),
    "look": ("viewer", None, "look-pass-1"),
    "Ava Collins": ("rep", None, "ava-pass-01"),
}


@pytest.fixture
def shared_db(tmp_path, demo_copy, monkeypatch):
    """The English demo with one user per role (users exist: sign-in is required)."""
    path = demo_copy(tmp_path / "shared.duckdb", "en")
    con = db.connect(path)
    for name, (role, team, password) in USERS.items():
        access.add_user(con, name, role, team=team, password=password)
    con.close()
    monkeypatch.setenv("SALESCORE_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_resource.clear()


def _page_alone(page: str, name: str) -> AppTest:
    """``page`` run as the main script (no router), signed in through its own sign-in form."""
    at = AppTest.from_file(f"../{page}", default_timeout=90)
    at.session_state["lang"] = "en"
    at.run()
    assert at.title[0].value == "Sign in to salescore"
    at.text_input(key="auth_name").set_value(name)
    at.text_input(key="auth_password").set_value(USERS[name][2])
    return at.button(key="auth_submit").click().run()


def _digest(path: Path) -> str:
    st.cache_resource.clear()   # closes the app's connection: the file is checkpointed
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("page", "name"), [
    ("pages/data.py", "east"),          # imports are writes: no Data page for a manager
    ("pages/data.py", "look"),
    ("pages/incentives.py", "look"),    # pay figures: not for a viewer
    ("pages/retention.py", "look"),
    ("pages/meeting.py", "Ava Collins"),  # a rep has their own page only
    ("pages/me.py", "east"),
])
def test_a_page_run_on_its_own_refuses_a_role_that_may_not_open_it(shared_db, page, name):
    at = _page_alone(page, name)
    assert not at.exception
    assert [w.value for w in at.warning] == [t("access.not_allowed", "en")]
    assert [x.value for x in at.title] == []          # the page drew nothing of its own
    assert not at.metric and not at.dataframe and not at.get("file_uploader")
    before = _digest(shared_db)
    at.run()                                           # refused again on a rerun, no write
    assert [w.value for w in at.warning] == [t("access.not_allowed", "en")]
    assert _digest(shared_db) == before


@pytest.mark.parametrize(("page", "name", "title"), [
    ("pages/data.py", "boss", "data.title"),
    ("pages/overview.py", "east", "overview.title"),
    ("pages/incentives.py", "east", "incentives.title"),
    ("pages/overview.py", "look", "overview.title"),
])
def test_a_page_run_on_its_own_opens_for_a_role_that_may(shared_db, page, name, title):
    at = _page_alone(page, name)
    assert not at.exception
    assert at.title[0].value == t(title, "en")
    assert t("access.not_allowed", "en") not in [w.value for w in at.warning]
