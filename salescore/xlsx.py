"""The one spreadsheet writer: every XLSX and CSV salescore hands a user goes through here.

Cells are formula-safe (fmt.safe_cell: text starting with = + - @ gets an apostrophe, and
xlsxwriter never turns strings into formulas, numbers or links), dates are real dates, and a
missing value is a blank cell.
"""
from __future__ import annotations

import csv
import io
import math
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import xlsxwriter

from salescore import fmt

#: xlsxwriter options: text stays text (no formulas, numbers or links made from strings).
OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
           "strings_to_numbers": False}
DATE_FORMAT = "yyyy-mm-dd"
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def plain(value: Any) -> Any:
    """numpy/pandas scalars as plain Python; NaN/NaT as None; timestamps as dates."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if type(value).__name__ in ("NaTType", "NAType"):
        return None
    if hasattr(value, "to_pydatetime"):          # pandas Timestamp
        stamp = value.to_pydatetime()
        return stamp.date() if stamp.time() == datetime.min.time() else stamp
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):   # numpy scalar
        return plain(value.item())
    return value


def sheet_name(text: str) -> str:
    """``text`` as a valid worksheet name: no []:*?/\\, no leading apostrophe or formula
    character (a sheet name may not start with an apostrophe, so the cell escape cannot be
    used), at most 31 characters."""
    name = _SHEET_BAD.sub("-", str(text)).lstrip("'=+-@\t\r ")
    return name[:31] or "Sheet"


class Workbook:
    """An in-memory workbook: ``sheet()``, ``style()``, ``write()``, then ``close()`` for the
    bytes. ``keep_numbers`` keeps number-looking text such as "-100" as typed (the importer's
    rejected rows show cells as the user had them)."""

    def __init__(self, *, keep_numbers: bool = False) -> None:
        self._buf = io.BytesIO()
        self.book = xlsxwriter.Workbook(self._buf, OPTIONS)
        self._date = self.book.add_format({"num_format": DATE_FORMAT})
        self._keep_numbers = keep_numbers

    def sheet(self, name: str) -> Any:
        return self.book.add_worksheet(sheet_name(name))

    def style(self, **props: Any) -> Any:
        return self.book.add_format(props)

    def text(self, value: Any) -> str:
        """``value`` as formula-safe cell text."""
        return fmt.safe_cell(str(value), keep_numbers=self._keep_numbers)

    def write(self, sheet: Any, row: int, col: int, value: Any, style: Any = None) -> None:
        """One cell: blank for a missing value, a number, a date (as a date), or safe text."""
        value = plain(value)
        if value is None:
            return
        if isinstance(value, bool):
            sheet.write_boolean(row, col, value, style)
        elif isinstance(value, (int, float, Decimal)):
            sheet.write_number(row, col, float(value), style)
        elif isinstance(value, datetime):
            sheet.write_datetime(row, col, value, style or self._date)
        elif isinstance(value, date):
            sheet.write_datetime(row, col, datetime(value.year, value.month, value.day),
                                 style or self._date)
        else:
            sheet.write_string(row, col, self.text(value), style)

    def row(self, sheet: Any, row: int, values: list[Any], style: Any = None, col: int = 0) -> None:
        for j, value in enumerate(values):
            self.write(sheet, row, col + j, value, style)

    def close(self) -> bytes:
        self.book.close()
        return self._buf.getvalue()


def table_bytes(frame: Any, kind: str = "csv", sheet: str = "data") -> bytes:
    """A table as CSV (UTF-8 with BOM, so Excel reads Chinese) or XLSX bytes, every text cell
    formula-safe and missing values blank. ``frame`` is a DataFrame."""
    header = [fmt.safe_cell(str(c)) for c in frame.columns]
    rows = [[plain(v) for v in row] for row in frame.itertuples(index=False)]
    if kind == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([["" if v is None else fmt.safe_cell(v) for v in row] for row in rows])
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
    if kind != "xlsx":
        raise ValueError(kind)
    book = Workbook()
    ws = book.sheet(sheet)
    book.row(ws, 0, header, book.style(bold=True))
    for i, row in enumerate(rows, start=1):
        book.row(ws, i, row)
    ws.freeze_panes(1, 0)
    return book.close()
