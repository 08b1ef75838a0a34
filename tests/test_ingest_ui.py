"""AppTest of salescore.ui.importer.render on a tiny page script (the Data page may not exist
yet): upload, see the report, import, see the counts in the database, undo."""
from __future__ import annotations

from datetime import date
from pathlib import Path

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
    assert metrics == {"Rows read": "3", "Rows OK": "2", "Rows rejected": "1"}
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
    assert hist["Imported"].tolist() == ["2"]
    assert hist[["Kind of data", "Status", "Sheet"]].values.tolist() == [
        ["Deals / orders", "Imported", ""]]
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
    assert {m.label: m.value for m in at.metric}["Rows OK"] == "2"


def test_currency_asked_when_the_file_shows_none(app):
    """Plain numbers: the preview asks (prefilled with CNY when the database has no
    reporting currency); the answer is stored on the rows and said in the result."""
    at, _ = app
    data = "销售员,金额,阶段,成交日期\n张伟,1000,赢单,2026-01-05\n张伟,-200,赢单,2026-01-06\n".encode()
    at.file_uploader(key="data_upload").set_value([("usd.csv", data, "text/csv")]).run()
    assert not at.exception
    assert any("1 credit (a negative amount) imported" in i.value.replace("\\", "") for i in at.info)
    box = next(s for s in at.selectbox if s.key and s.key.endswith("_currency"))
    assert box.label == "The amounts show no currency. Which is it?" and box.value == "CNY"
    box.set_value("USD").run()
    [b for b in at.button if b.key and b.key.endswith("_import")][0].click().run()
    assert not at.exception
    done = at.success[0].value.replace("\\", "")   # markdown-escaped
    assert "Amounts stored in USD." in done and "1 credit (a negative amount)" in done
    assert "Also created: 1 rep." in done                   # the singular, and no "0 products"
    con = db_con(at)
    assert con.execute("select currency, count(*) from deals group by 1").fetchall() == [("USD", 2)]


def test_no_currency_question_when_the_signs_say_it(app):
    at, _ = app
    data = "销售员,金额,阶段,成交日期\n张伟,¥1000,赢单,2026-01-05\n".encode()
    at.file_uploader(key="data_upload").set_value([("cny.csv", data, "text/csv")]).run()
    assert not at.exception
    assert not [s for s in at.selectbox if s.key and s.key.endswith("_currency")]
    assert any("Currency: CNY (from the currency signs of the amounts)" in i.value.replace("\\", "") for i in at.info)


def _upload(at, name: str, data: bytes):
    at.file_uploader(key="data_upload").set_value([(name, data, "text/csv")]).run()
    assert not at.exception, at.exception
    return at


def _import(at):
    [b for b in at.button if b.key and b.key.endswith("_import")][0].click().run()
    assert not at.exception, at.exception


def test_chinese_preview_counts_and_statuses(app, monkeypatch):
    """zh: the counts carry their numbers ("共读取 行" was garbled), the statuses are in
    Chinese in the grid (stored as won/lost/open)."""
    at, path = app
    monkeypatch.setenv("TEST_LANG", "zh")
    data = CSV + "赵六,丁公司,300,输单,2026-01-08\n".encode()
    _upload(at, "deals.csv", data)
    assert {m.label: m.value for m in at.metric} == {"读取行数": "4", "可导入行数": "3",
                                                    "有问题行数": "1"}
    grid = at.dataframe[0].value
    assert grid["状态"].tolist() == ["赢单", "赢单", "输单"]
    assert not {"won", "lost", "open"} & set(grid.astype(str).values.ravel())
    _import(at)
    con = db_con(at)
    assert sorted(r[0] for r in con.execute("select status from deals").fetchall()) == [
        "lost", "won", "won"]


@pytest.mark.parametrize("lang, words", [
    ("en", ("No row can be imported", "“amount”", "“abc” is not an amount", "rows 2, 3")),
    ("zh", ("没有可以导入的行", "“amount”列", "“abc”不是金额", "第 2, 3 行"))])
def test_text_in_the_amount_column(app, monkeypatch, lang, words):
    """Every amount is text: one sentence names the column and the first rows, and the
    rows are shown as they are in the file (not an empty grid)."""
    at, _ = app
    monkeypatch.setenv("TEST_LANG", lang)
    data = b"rep,customer,amount,stage,close date\nAnn,Acme,abc,Won,2026-01-05\n" \
           b"Bob,Beta,call me,Won,2026-01-06\n"
    _upload(at, "text.csv", data)
    sentence = at.warning[0].value.replace("\\", "")
    assert all(w in sentence for w in words), sentence
    shown = at.dataframe[0].value
    assert shown["amount"].tolist() == ["abc", "call me"] and len(shown) == 2
    assert not [b for b in at.button if b.key and b.key.endswith("_import")]


def test_import_history_in_words(app, monkeypatch):
    """The history: column names in words (no batch_id, loaded_at), no None/NaT, the time to
    the minute, counts with separators; zh too."""
    import re

    at, _ = app
    rows = "".join(f"张伟,客户{i},{1000 + i},赢单,2026-01-05\n" for i in range(1200))
    _upload(at, "big.csv", ("销售员,客户名称,金额,阶段,成交日期\n" + rows).encode())
    _import(at)
    hist = at.dataframe[-1].value
    assert list(hist.columns) == ["#", "File", "Sheet", "Kind of data", "Rows in the file",
                                  "Imported", "Rejected", "When", "Export date", "Status"]
    row = hist.iloc[0].tolist()
    assert row[:7] == ["1", "big.csv", "", "Deals / orders", "1,200", "1,200", "0"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row[7]) and row[9] == "Imported"
    assert row[8] == date.today().isoformat()     # no date in the file: taken as of today
    monkeypatch.setenv("TEST_LANG", "zh")
    at.run()
    hist = at.dataframe[-1].value
    assert "导入时间" in hist.columns and hist["状态"].tolist() == ["已导入"]
    text = " ".join(map(str, [*hist.columns, *hist.values.ravel()]))
    for bad in ("None", "NaT", "nan", "batch_id", "loaded", "rows_"):
        assert bad not in text


MAVEN_TEAMS = Path("/work/shared/data/public/maven_crm_sales_opportunities/sales_teams.csv")


@pytest.mark.skipif(not MAVEN_TEAMS.is_file(), reason="public datasets not available")
@pytest.mark.parametrize("lang, sentence", [
    ("en", "The file has no team column, so each rep's team is taken from “regional_office” "
           "(Central, East, West); untick to leave the team empty."),
    ("zh", "文件没有团队列，每位销售的团队取自“regional_office”（Central, East, West）；"
           "取消勾选则不设团队。")])
def test_maven_roster_team_from_regional_office(app, monkeypatch, lang, sentence):
    """Maven's roster: the preview says in one sentence that the regional office serves as the
    team (ticked, the grid shows the team); untick it and the reps are imported without."""
    at, _ = app
    monkeypatch.setenv("TEST_LANG", lang)
    _upload(at, "sales_teams.csv", MAVEN_TEAMS.read_bytes())
    box = next(c for c in at.checkbox if c.key and c.key.endswith("_team_from"))
    assert box.value is True and box.label.replace("\\", "") == sentence
    team = "团队" if lang == "zh" else "Team"
    assert at.dataframe[0].value[team].tolist()[:2] == ["Central", "Central"]
    box.uncheck().run()
    assert not at.exception
    assert team not in at.dataframe[0].value.columns
    _import(at)
    con = db_con(at)
    assert con.execute("select count(*), count(team) from reps").fetchall()[0] == (35, 0)


def test_weekly_exports_show_their_date_and_what_they_change(app):
    """A deals export's date comes from its file name (or is typed); the next week's export
    shows what it changes before it is stored, and the import says which export it was."""
    from salescore import history
    from tests.test_history import W1, W2

    at, path = app
    _upload(at, "pipeline_2026-11-02.csv", W1.encode())
    key = next(d.key for d in at.date_input if d.key.endswith("_as_of"))
    assert at.date_input(key=key).value == date(2026, 11, 2)
    assert not [m for m in at.metric if m.label == "New deals"]     # nothing stored to compare
    _import(at)
    # the next export, without a date in its name: the user types the date
    _upload(at, "pipeline.csv", W2.encode())
    cards = {m.label: m.value for m in at.metric}
    assert (cards["New deals"], cards["Amounts changed"], cards["Not in the file"]) == ("2", "2", "0")
    key = next(d.key for d in at.date_input if d.key.endswith("_as_of"))
    at.date_input(key=key).set_value(date(2026, 11, 9)).run()
    _import(at)
    assert any("Export of 2026-11-09" in s.value for s in at.success)
    st.cache_resource.clear()
    con = db.connect(path)
    try:
        assert history.snapshot_dates(con) == [date(2026, 11, 2), date(2026, 11, 9)]
        assert history.movement(con, date(2026, 11, 2), date(2026, 11, 9)).balanced()
    finally:
        con.close()
