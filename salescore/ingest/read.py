"""Read the bytes of an uploaded file into a raw grid: no header, every cell as the user typed it.

CSV-like text is decoded (UTF-8, UTF-8 with BOM, UTF-16, GB18030 which covers GBK) and its
delimiter sniffed; spreadsheets go through python-calamine (DESIGN.md section 3). Large CSV
files are read by DuckDB's multi-threaded ``read_csv`` straight into the working database.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
from dataclasses import dataclass

import duckdb
import pandas as pd

from salescore.errors import ImportRejected

TEXT_EXT = (".csv", ".tsv", ".txt")
SHEET_EXT = (".xlsx", ".xlsm", ".xls", ".ods", ".xlsb")
SAMPLE_ROWS = 40
# CSV files above this size are parsed by DuckDB (fast); smaller ones by Python's csv module,
# which keeps exact line numbers for the report. Tests lower it to exercise both paths.
DUCKDB_CSV_BYTES = 2_000_000

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")


@dataclass
class TextSource:
    """A decoded delimited text file."""

    text: str | None          # decoded text (small files)
    raw_utf8: bytes | None    # UTF-8 bytes without BOM (for DuckDB)
    delimiter: str
    encoding: str


def _reject(message: str, key: str, **params) -> ImportRejected:
    return ImportRejected(message, key=key, **params)


def file_format(data: bytes, file_name: str) -> str:
    """'text' or 'sheet', trusting the bytes over the extension (a .csv that is really xlsx)."""
    if not data or not data.strip():
        raise _reject(f"{file_name}: the file is empty.", "ingest.error.empty", file=file_name)
    head = data[:8]
    if head.startswith(_OLE):
        if _ENCRYPTED in data[:200_000] or b"EncryptedPackage" in data[:200_000] \
                or "EncryptedPackage".encode("utf-16-le") in data[:200_000]:
            raise _reject(f"{file_name}: the workbook is password-protected; save a copy "
                          "without a password and import that.", "ingest.error.encrypted",
                          file=file_name)
        return "sheet"
    if head.startswith(_ZIP):
        return "sheet"
    ext = os.path.splitext(file_name.lower())[1]
    if ext in SHEET_EXT:
        # An .xlsx that is not a zip (truncated, renamed text, random bytes).
        if _looks_binary(data):
            raise _reject(f"{file_name}: this is not a readable spreadsheet (damaged or not "
                          "an Excel file).", "ingest.error.unreadable", file=file_name)
        return "text"
    if _looks_binary(data):
        raise _reject(f"{file_name}: this is not a spreadsheet or a text table.",
                      "ingest.error.binary", file=file_name)
    return "text"


def _looks_binary(data: bytes) -> bool:
    head = data[:4096]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > len(head) * 0.05


def decode(data: bytes, file_name: str) -> tuple[str, str]:
    """(text, encoding). UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise _reject(f"{file_name}: the text encoding is not UTF-8 or GBK; save the file as "
                      "UTF-8 CSV and try again.", "ingest.error.encoding", file=file_name) from None


def sniff_delimiter(sample: str, file_name: str) -> str:
    """The delimiter (',', ';', tab or '|') that splits the sample's lines most consistently."""
    lines = [ln for ln in sample.splitlines()[:60] if ln.strip()]
    if file_name.lower().endswith(".tsv"):
        return "\t"
    best, best_score = ",", (0, 0)
    for delim in (",", "\t", ";", "|"):
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=delim)]
        except csv.Error:
            continue
        if not counts:
            continue
        mode = max(set(counts), key=lambda c: (counts.count(c), c))
        score = (counts.count(mode) if mode > 1 else 0, mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def sheets(data: bytes, file_name: str) -> list[str]:
    """The sheet names of a workbook; a text file has one unnamed sheet ('')."""
    if file_format(data, file_name) == "text":
        return [""]
    return _workbook(data, file_name).sheet_names


def _workbook(data: bytes, file_name: str):
    import python_calamine

    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise _reject(f"{file_name}: this is not a readable spreadsheet ({_short(exc)}).",
                      "ingest.error.unreadable", file=file_name) from None


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


def read_sheet(data: bytes, file_name: str, sheet: str | None) -> tuple[str, pd.DataFrame]:
    """(sheet name, grid): the sheet as a header-less frame, index = sheet row - 1."""
    book = _workbook(data, file_name)
    names = book.sheet_names
    if not names:
        raise _reject(f"{file_name}: the workbook has no sheets.", "ingest.error.empty",
                      file=file_name)
    if sheet is None:
        sheet = _first_nonempty(book, names)
    elif sheet not in names:
        raise _reject(f"{file_name}: there is no sheet named {sheet!r}.",
                      "ingest.error.no_sheet", file=file_name, sheet=sheet)
    try:
        grid = pd.read_excel(io.BytesIO(data), engine="calamine", header=None, sheet_name=sheet)
    except Exception as exc:
        raise _reject(f"{file_name}: this is not a readable spreadsheet ({_short(exc)}).",
                      "ingest.error.unreadable", file=file_name) from None
    grid.columns = range(grid.shape[1])
    return sheet, grid


def _first_nonempty(book, names: list[str]) -> str:
    for name in names:
        try:
            if book.get_sheet_by_name(name).height > 1:
                return name
        except Exception:
            continue
    return names[0]


def read_text_sample(data: bytes, file_name: str) -> tuple[TextSource, list[list[str]]]:
    """Decode the file, sniff the delimiter and parse the first rows (for header detection)."""
    text, encoding = decode(data, file_name)
    text = text.replace("\x00", "")
    sample = text[:200_000]
    delim = sniff_delimiter(sample, file_name)
    rows = []
    reader = csv.reader(io.StringIO(sample), delimiter=delim)
    try:
        for row in reader:
            rows.append(row)
            if len(rows) >= SAMPLE_ROWS:
                break
    except csv.Error:
        pass
    raw = None
    if len(data) > DUCKDB_CSV_BYTES:
        raw = data[3:] if encoding == "utf-8-sig" else data if encoding == "utf-8" \
            else text.encode("utf-8")
    return TextSource(text=text, raw_utf8=raw, delimiter=delim, encoding=encoding), rows


def text_grid(src: TextSource) -> pd.DataFrame:
    """The whole text file as a header-less frame of strings; index = line number - 1.

    Uses Python's csv module so the index matches the line the user sees (blank lines kept).
    """
    reader = csv.reader(io.StringIO(src.text or ""), delimiter=src.delimiter)
    rows: list[list[str]] = []
    index: list[int] = []
    try:
        for row in reader:
            rows.append(row)
            index.append(reader.line_num - 1)
    except csv.Error as exc:
        raise _reject(f"the text file cannot be parsed as a table: {exc}",
                      "ingest.error.unparsable", detail=str(exc)) from None
    width = max((len(r) for r in rows), default=0)
    frame = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], index=index,
                         dtype="str")
    frame.columns = range(width)
    return frame


def duckdb_csv(cur: duckdb.DuckDBPyConnection, src: TextSource, skip: int, width: int,
               table: str) -> int:
    """Load the rows after ``skip`` lines into ``table`` (c0..cN VARCHAR, _row = line number).

    Returns the number of rows. Raises ValueError when DuckDB cannot parse the file, so the
    caller can fall back to the csv module.
    """
    assert src.raw_utf8 is not None
    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as fh:
        fh.write(src.raw_utf8)
        path = fh.name
    try:
        columns = {f"c{i}": "VARCHAR" for i in range(width)}
        cur.execute(
            f"create or replace table {table} as select * from read_csv($path, delim=$delim, "
            "header=false, skip=$skip, columns=$columns, quote='\"', escape='\"', "
            "null_padding=true, auto_detect=false, strict_mode=false)",
            {"path": path, "delim": src.delimiter, "skip": skip, "columns": columns})
        n = cur.execute(f"select count(*) from {table}").fetchall()[0][0]
    except duckdb.Error as exc:
        raise ValueError(str(exc)) from None
    finally:
        os.unlink(path)
    return int(n)
