"""AppTest of salescore.ui.importer.render on a tiny page script (the Data page may not exist
yet): upload, see the report, import, see the counts in the database, undo."""
from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from salescore import db

SCRIPT = """
import os
import streamlit as st
from salescore import db
from salescore.ui import importer

@st.cache_resource(on_release=lambda c: c.close())
def get_con(path):
    return db.connect(path)

importer.render(get_con(os.environ["SALESCORE_DB"]), os.environ.get("TEST_LANG", "en"))
"""

CSV = ("销售员,客户名称,金额,阶段,成交日期\n张伟,甲公司,1000,赢单,2026-01-05\n"
       "李娜,乙公司,2.5万,赢单,2026-01-06\n王强,丙公司,abc,赢单,2026-01-07\n").encode()


@pytest.fixture
def app(tmp_path, monkeypatch):
    path = tmp_path / "ui.duckdb"
    monkeypatch.setenv("SALESCORE_DB", str(path))
    script = tmp_path / "page.py"
    script.write_text(SCRIPT, encoding="utf-8")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(script), default_timeout=60).run()
    yield at, path
    st.cache_resource.clear()


def test_upload_report_import_undo(app):
    at, path = app
    assert not at.exception
    at.file_uploader(key="data_upload").set_value([("deals.csv", CSV, "text/csv")]).run()
    assert not at.exception, at.exception
    assert not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"rows read": "3", "rows OK": "2", "rows rejected": "1"}
    reasons = at.dataframe[1].value
    assert reasons.iloc[0].tolist()[:3] == ["“abc” is not an amount", "金额", 1]
    button = [b for b in at.button if b.key and b.key.endswith("_import")][0]
    assert button.label == "Import the 2 good rows, skip 1 rejected"
    button.click().run()
    assert not at.exception
    assert "deals.csv: 2 new, 0 updated, 0 unchanged." in at.success[0].value.replace("\\", "")  # markdown-escaped name
    con = db_con(at)
    assert con.execute("select count(*), sum(amount) from deals").fetchall()[0][0] == 2
    assert float(con.execute("select sum(amount) from deals").fetchall()[0][0]) == 26000.0
    hist = at.dataframe[-1].value
    assert hist["rows_loaded"].tolist() == [2]
    assert hist[["kind", "status", "sheet"]].values.tolist() == [["Deals / orders", "Imported", ""]]
    at.button(key="data_undo").click().run()
    at.button(key="data_undo_yes").click().run()
    assert not at.exception
    assert any("Import #1 undone." in s.value for s in at.success)
    assert con.execute("select count(*) from deals").fetchall()[0][0] == 0


def db_con(at):
    """The app's own cached connection (the file is locked to it while the app runs)."""
    import os

    return db.connect(os.environ["SALESCORE_DB"])


def test_bad_file_shows_error_not_traceback(app):
    at, _ = app
    at.file_uploader(key="data_upload").set_value([("x.xlsx", b"\x00garbage" * 50, "x")]).run()
    assert not at.exception
    assert "not a readable spreadsheet" in at.error[0].value


def test_ambiguous_dates_question(app, monkeypatch):
    at, _ = app
    data = "销售员,金额,阶段,成交日期\n张伟,1,赢单,01/02/2026\n张伟,1,赢单,03/04/2026\n".encode()
    at.file_uploader(key="data_upload").set_value([("d.csv", data, "text/csv")]).run()
    radio = at.radio[0]
    radio.set_value("d").run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["rows OK"] == "2"


def test_currency_asked_when_the_file_shows_none(app):
    """Plain numbers: the preview asks (prefilled with CNY when the database has no
    reporting currency); the answer is stored on the rows and said in the result."""
    at, _ = app
    data = "销售员,金额,阶段,成交日期\n张伟,1000,赢单,2026-01-05\n张伟,-200,赢单,2026-01-06\n".encode()
    at.file_uploader(key="data_upload").set_value([("usd.csv", data, "text/csv")]).run()
    assert not at.exception
    assert any("1 credits (negative amounts)" in i.value.replace("\\", "") for i in at.info)
    box = next(s for s in at.selectbox if s.key and s.key.endswith("_currency"))
    assert box.label == "The amounts show no currency. Which is it?" and box.value == "CNY"
    box.set_value("USD").run()
    [b for b in at.button if b.key and b.key.endswith("_import")][0].click().run()
    assert not at.exception
    done = at.success[0].value.replace("\\", "")   # markdown-escaped
    assert "Amounts stored in USD." in done and "1 credits (negative amounts)" in done
    con = db_con(at)
    assert con.execute("select currency, count(*) from deals group by 1").fetchall() == [("USD", 2)]


def test_no_currency_question_when_the_signs_say_it(app):
    at, _ = app
    data = "销售员,金额,阶段,成交日期\n张伟,¥1000,赢单,2026-01-05\n".encode()
    at.file_uploader(key="data_upload").set_value([("cny.csv", data, "text/csv")]).run()
    assert not at.exception
    assert not [s for s in at.selectbox if s.key and s.key.endswith("_currency")]
    assert any("Currency: CNY (from the currency signs of the amounts)" in i.value.replace("\\", "") for i in at.info)
