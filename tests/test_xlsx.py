"""salescore.xlsx: the one spreadsheet writer, read back with python-calamine."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from salescore import xlsx


def _sheet(data: bytes, name: str) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(name).to_python()


def _no_formulas(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name).decode("utf-8")
                assert "<f>" not in xml and "<f " not in xml, name


def test_workbook_writes_numbers_dates_blanks_and_safe_text():
    book = xlsx.Workbook()
    ws = book.sheet("数据")
    book.row(ws, 0, [1, 2.5, Decimal("3.25"), np.int64(7), np.float64(0.5), True])
    book.row(ws, 1, [date(2026, 7, 1), datetime(2026, 7, 1, 9, 30), pd.Timestamp("2026-07-02"),
                     None, float("nan"), pd.NaT])
    book.row(ws, 2, ["=1+1", "+86 123", "-100", "@SUM(A1)", "http://x.example", "普通文本"])
    data = book.close()
    rows = _sheet(data, "数据")
    assert rows[0] == [1.0, 2.5, 3.25, 7.0, 0.5, True]
    assert rows[1][:3] == [date(2026, 7, 1), datetime(2026, 7, 1, 9, 30), date(2026, 7, 2)]
    assert rows[1][3:] == ["", "", ""]                                    # blank cells
    assert rows[2] == ["'=1+1", "'+86 123", "'-100", "'@SUM(A1)", "http://x.example", "普通文本"]
    _no_formulas(data)


def test_keep_numbers_keeps_number_text_as_typed():
    book = xlsx.Workbook(keep_numbers=True)
    ws = book.sheet("rejected")
    book.row(ws, 0, ["-100", "=1+1", "007"])
    assert _sheet(book.close(), "rejected")[0] == ["-100", "'=1+1", "007"]   # text stays text


def test_sheet_names_are_made_valid():
    assert xlsx.sheet_name("a/b:c*d?[e]") == "a-b-c-d--e-"
    assert len(xlsx.sheet_name("x" * 40)) == 31
    assert xlsx.sheet_name("") == "Sheet"
    book = xlsx.Workbook()
    book.sheet("张三 (华东)")
    assert CalamineWorkbook.from_filelike(io.BytesIO(book.close())).sheet_names == ["张三 (华东)"]


def test_a_formula_like_sheet_name_is_still_a_valid_sheet():
    book = xlsx.Workbook()
    book.sheet("=evil")            # e.g. a rep or team named like a formula
    names = CalamineWorkbook.from_filelike(io.BytesIO(book.close())).sheet_names
    assert len(names) == 1 and not names[0].startswith(("=", "+", "-", "@"))


def test_plain_values():
    assert xlsx.plain(np.int64(3)) == 3 and type(xlsx.plain(np.int64(3))) is int
    assert xlsx.plain(float("nan")) is None and xlsx.plain(pd.NaT) is None and xlsx.plain(None) is None
    assert xlsx.plain(pd.Timestamp("2026-07-02")) == date(2026, 7, 2)
    assert xlsx.plain(pd.Timestamp("2026-07-02 08:00")) == datetime(2026, 7, 2, 8, 0)
    assert xlsx.plain("x") == "x"


FRAME = pd.DataFrame({"姓名": ["张三", "=HYPERLINK(\"x\")", None], "金额": [1234.5, None, -3.0],
                      "日期": [date(2026, 7, 1), None, date(2026, 7, 3)]})


def test_table_bytes_csv_has_a_bom_and_safe_cells():
    data = xlsx.table_bytes(FRAME, "csv")
    assert data.startswith("\ufeff".encode("utf-8"))
    text = data.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == "姓名,金额,日期"
    assert lines[1] == "张三,1234.5,2026-07-01"
    assert lines[2] == "\"'=HYPERLINK(\"\"x\"\")\",,"                   # escaped, blanks for None/NaN
    assert lines[3] == ",-3.0,2026-07-03"


def test_table_bytes_xlsx_reads_back():
    data = xlsx.table_bytes(FRAME, "xlsx", sheet="表")
    rows = _sheet(data, "表")
    assert rows[0] == ["姓名", "金额", "日期"]
    assert rows[1] == ["张三", 1234.5, date(2026, 7, 1)]
    assert rows[2] == ["'=HYPERLINK(\"x\")", "", ""]
    assert rows[3] == ["", -3.0, date(2026, 7, 3)]
    _no_formulas(data)


def test_table_bytes_refuses_other_kinds():
    with pytest.raises(ValueError):
        xlsx.table_bytes(FRAME, "pdf")
