"""Read the bytes of an uploaded file into a raw grid: no header, every cell as the user typed it.

CSV-like text is decoded (UTF-8, UTF-8 with BOM, UTF-16, GB18030 which covers GBK) and its
delimiter sniffed; spreadsheets go through python-calamine (DESIGN.md section 3), read so that
no file can crash the process (workbook.py). Lines end at LF (CRLF), and at CR too in an old
Mac file (CR only) or where a CR stands outside quotes, as Arrow splits them. Large CSV
files are parsed by Arrow's multi-threaded CSV reader into columns DuckDB scans in place:
a UTF-8 file as its own bytes (validated by Arrow, never decoded in Python), anything else
transcoded to UTF-8 first. A workbook sheet is parsed once and handed to DuckDB as Arrow
columns. Both report which columns need the cleaning's regular expressions (spaces to trim
or collapse, full-width characters), so clean columns skip them.
"""
from __future__ import annotations

import codecs
import csv
import gc
import io
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from salescore.errors import ImportRejected
from salescore.ingest import guard, workbook

TEXT_EXT = (".csv", ".tsv", ".txt")
SHEET_EXT = (".xlsx", ".xlsm", ".xls", ".ods", ".xlsb")
SAMPLE_ROWS = 40
# CSV files above this size are parsed by Arrow (fast); smaller ones by Python's csv module,
# which keeps exact line numbers for the report. Tests lower it to exercise both paths.
FAST_CSV_BYTES = 2_000_000

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")


@dataclass
class TextSource:
    """A decoded delimited text file."""

    text: str | None          # decoded text (small files)
    raw_utf8: bytes | memoryview | None    # UTF-8 bytes without BOM (for Arrow)
    delimiter: str
    encoding: str
    verified: bool = True     # False: only the head was checked to be UTF-8
    file_name: str = ""       # for the sentences of a refusal


class NotUtf8(Exception):
    """A file whose head read as UTF-8 is not UTF-8 further on: read it again, decoding all
    of it (prepare does)."""


def _reject(message: str, key: str, **params) -> ImportRejected:
    return ImportRejected(message, key=key, **params)


def file_format(data: bytes, file_name: str) -> str:
    """'text' or 'sheet', trusting the bytes over the extension (a .csv that is really xlsx)."""
    if not data or (not data[:4096].strip() and not data.strip()):  # no copy of big files
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
    return workbook.sheets(data, file_name)


def convert_cell(value: Any) -> Any:
    """A calamine cell as pandas' calamine reader gives it: whole floats as int, dates as
    datetime, '' as None."""
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


def sheet_body(rows: list[list[Any]], start: int, width: int) -> tuple[pa.Table, set[str]]:
    """Rows ``start``.. of a sheet as an Arrow table c0..c{width-1} + _row (sheet row number),
    and the names of the text columns that hold whitespace or full-width characters.

    A column of text cells goes to Arrow as it is (no per-cell Python work); a column with
    numbers or dates is typed the way pandas would type it (int, float, datetime, else text).
    """
    body = rows[start:]
    gc_was_on = gc.isenabled()
    gc.disable()  # cells of number columns become objects: no collector passes meanwhile
    try:
        return _sheet_body(body, start, width)
    finally:
        if gc_was_on:
            gc.enable()


def _sheet_body(body: list[list[Any]], start: int, width: int) -> tuple[pa.Table, set[str]]:
    n = len(body)
    columns = list(zip(*body)) if n else []
    arrays: dict[str, pa.Array] = {}
    for i in range(width):
        col = columns[i] if i < len(columns) else (None,) * n
        if set(map(type, col)) <= {str}:
            arrays[f"c{i}"] = pa.array(col, pa.string())
            continue
        series = pd.Series([convert_cell(v) for v in col], dtype=object).infer_objects()
        if series.dtype == object:
            series = series.astype("str")
        arrays[f"c{i}"] = pa.Array.from_pandas(series)
    arrays["_row"] = pa.array(range(start + 1, start + 1 + n), pa.int64())
    table = pa.table(arrays)
    return table, dirty_columns(table)


def frame_body(frame: pd.DataFrame, width: int) -> tuple[pa.Table, set[str]]:
    """A text grid's body (index = line number - 1) as an Arrow table like :func:`sheet_body`."""
    arrays: dict[str, pa.Array] = {}
    for i in range(width):
        if i < frame.shape[1]:
            arrays[f"c{i}"] = pa.array(frame.iloc[:, i].to_numpy(dtype=object, na_value=None),
                                       pa.string())
        else:
            arrays[f"c{i}"] = pa.nulls(len(frame), pa.string())
    arrays["_row"] = pa.array(frame.index.to_numpy() + 1, pa.int64())
    table = pa.table(arrays)
    return table, dirty_columns(table)


_CELL_DIRTY = (r"^\s|\s$|\s\s|[\t\n\r\x0b\x0c\x{00A0}\x{3000}\x{FEFF}\x{FF04}\x{FF05}"
               r"\x{FF08}-\x{FF1A}\x{FFE5}]")


def dirty_columns(table: pa.Table) -> set[str]:
    """Text columns with a cell the cleaning would change (spaces to trim or collapse,
    full-width characters). Arrow's RE2 over each column, no Python per cell."""
    out = set()
    for name in table.column_names:
        col = table.column(name)
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            continue
        if pc.any(pc.match_substring_regex(col, _CELL_DIRTY)).as_py():
            out.add(name)
    return out


def read_text_sample(data: bytes, file_name: str, *,
                     trust_head: bool = False) -> tuple[TextSource, list[list[str]]]:
    """Decode the file, sniff the delimiter and parse the first rows (for header detection).

    A large UTF-8 file is not decoded into Python text: its bytes are handed to Arrow as
    they are; only the head is decoded for the sample. They are validated first, unless
    ``trust_head``: then only the head is, Arrow's CSV reader validates the rest as it
    parses, and :func:`arrow_csv` / :func:`text_grid` raise :class:`NotUtf8` if it is not.

    Before any of that, a file with a line longer than guard.MAX_LINE_BYTES is refused, and
    after it one whose first rows have more than guard.MAX_COLUMNS cells.
    """
    guard.check_line_length(data, file_name)
    fast = _utf8_bytes(data, head_only=trust_head) if len(data) > FAST_CSV_BYTES else None
    if fast is not None:
        text = None
        head = bytes(fast[:400_000])
        cut = _last_line_end(head)
        sample = head[: cut + 1 if cut > 0 else len(head)].decode("utf-8", errors="ignore")
        encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    else:
        text, encoding = decode(data, file_name)
        text = text.replace("\x00", "")
        sample = text[:200_000]
    delim = sniff_delimiter(sample, file_name)
    rows = []
    for newline in _line_ends(sample):
        rows = []
        try:
            for row in csv.reader(io.StringIO(sample, newline=newline), delimiter=delim):
                rows.append(row)
                if len(rows) >= SAMPLE_ROWS:
                    break
        except csv.Error as exc:
            if _lone_cr(exc, newline):
                continue
        break
    guard.check_columns(file_name, max((len(r) for r in rows), default=0))
    raw = None
    if fast is not None:
        raw = fast
    elif len(data) > FAST_CSV_BYTES:
        raw = data[3:] if encoding == "utf-8-sig" else data if encoding == "utf-8" \
            else text.encode("utf-8")
    return TextSource(text=text, raw_utf8=raw, delimiter=delim, encoding=encoding,
                      verified=fast is None or not trust_head, file_name=file_name), rows


def _line_ends(text: str) -> tuple[str, ...]:
    """How to split ``text`` into lines, in the order to try (io.StringIO's ``newline``):
    at LF (and CRLF) when it has any LF, so a quoted CR stays inside its line; at CR, LF
    and CRLF (as Arrow does) for an old Mac file, or when a CR outside quotes shows that
    CR ends lines there too."""
    return ("\n", "") if "\n" in text else ("",)


def _lone_cr(exc: csv.Error, newline: str) -> bool:
    """The csv module met a CR outside quotes while splitting at LF only."""
    return newline == "\n" and "new-line character" in str(exc)


def _last_line_end(head: bytes) -> int:
    """Where the last whole line of ``head`` ends (LF; CR in a file without LF)."""
    cut = head.rfind(b"\n")
    return cut if cut >= 0 else head.rfind(b"\r")


def line_count(raw: bytes | memoryview) -> int:
    """Lines in ``raw``, trailing blank lines (and the last line break) not counted, as
    :func:`text_grid` numbers them: at LF, or at CR in a file without any LF (old Mac
    files). -1 for a file with LFs and a CR that is not part of a CRLF: whether that CR
    ends a line depends on the quotes around it, which only the csv module follows."""
    end = len(raw)
    while end and raw[end - 1] in (10, 13):
        end -= 1
    if not end:
        return 0
    data = raw.obj if isinstance(raw, memoryview) else raw
    start = len(data) - len(raw)  # a BOM dropped from the front of the view
    end += start
    if data.find(b"\n", start, end) < 0:
        return data.count(b"\r", start, end) + 1
    crs = data.count(b"\r", start, end)
    if crs and crs != data.count(b"\r\n", start, end):
        return -1
    return data.count(b"\n", start, end) + 1


def _utf8_bytes(data: bytes, head_only: bool = False) -> memoryview | None:
    """The file's UTF-8 bytes (BOM dropped) when the whole file (``head_only``: its first
    lines) is valid UTF-8 without NULs.

    Validation runs in Arrow (C++), far faster than decoding to a Python str.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        return None
    view = memoryview(data)[3:] if data.startswith(codecs.BOM_UTF8) else memoryview(data)
    if head_only:
        head = bytes(view[:400_000])
        cut = _last_line_end(head)
        try:
            head[: cut + 1 if cut > 0 else len(head)].decode("utf-8")
        except UnicodeDecodeError:
            return None
        return view
    arr = pa.Array.from_buffers(pa.large_string(), 1, [
        None, pa.array([0, len(view)], pa.int64()).buffers()[1], pa.py_buffer(view)])
    try:
        arr.validate(full=True)
    except pa.ArrowInvalid:
        return None
    return view


# Anything the cell cleaning (trim, whitespace runs, full-width characters) would change.
_DIRTY_CLASS = r"\x0b\x0c\x{00A0}\x{3000}\x{FEFF}\x{FF04}\x{FF05}\x{FF08}-\x{FF1A}\x{FFE5}"
_RE2_DELIM = {",": ",", ";": ";", "\t": r"\t", "|": r"\|"}
# A byte every dirty cell holds: space, tab, \r, \x0b, \x0c, and the lead bytes of U+00A0
# (C2), U+3000 (E3) and U+FEFF / the full-width forms (EF). Space first: in most files that
# have one, it comes early and ends the search.
_TRIGGERS = b" \t\r\x0b\x0c\xc2\xe3\xef"


def text_is_clean(src: TextSource) -> bool:
    """True when no cell of the file can have spaces to trim or collapse, or full-width
    characters: the cleaning SQL can then skip its regular expressions.

    Every such cell holds one of a few bytes (a space, a control character, or the first
    byte of a no-break, ideographic or full-width character): when none of them occurs in
    the file (memchr, ~0.01 s per 100 MB each) it is clean. Otherwise one RE2 scan over the
    whole UTF-8 buffer (Arrow) decides, about 0.15 s per 100 MB.
    """
    if src.raw_utf8 is None or src.delimiter not in _RE2_DELIM:
        return False
    whole = src.raw_utf8.obj if isinstance(src.raw_utf8, memoryview) else src.raw_utf8
    if src.delimiter == "\t" and b'"' in whole:
        return False  # a quoted cell may hold a tab, which the cleaning turns into a space
    start = len(whole) - len(src.raw_utf8)   # past a BOM
    triggers = _TRIGGERS if src.delimiter != "\t" else _TRIGGERS.replace(b"\t", b"")
    if all(whole.find(bytes([b]), start) < 0 for b in triggers):
        return True
    d = _RE2_DELIM[src.delimiter]
    tab = "" if src.delimiter == "\t" else r"\t"
    pattern = (rf"(?m)  |^ | $| \r|\r[^\n]|[{tab}{_DIRTY_CLASS}]| {d}|{d} |"
               r'" | "')
    view = src.raw_utf8
    arr = pa.Array.from_buffers(pa.large_string(), 1, [
        None, pa.array([0, len(view)], pa.int64()).buffers()[1], pa.py_buffer(view)])
    return not pc.any(pc.match_substring_regex(arr, pattern)).as_py()


def text_grid(src: TextSource) -> pd.DataFrame:
    """The whole text file as a header-less frame of strings; index = line number - 1.

    Uses Python's csv module so the index matches the line the user sees (blank lines kept).
    Lines end as :func:`_line_ends` says; a line break inside quotes stays in its cell (the
    cleaning makes it a space). A row wider than guard.MAX_COLUMNS is refused as soon as it
    is read.
    """
    text = src.text
    if text is None:
        try:
            text = bytes(src.raw_utf8 or b"").decode("utf-8")
        except UnicodeDecodeError:
            raise NotUtf8("not UTF-8 after its first lines") from None
    for newline in _line_ends(text):
        try:
            rows, index = _parse(text, newline, src)
            break
        except csv.Error as exc:
            if not _lone_cr(exc, newline):
                raise _unparsable(exc, src) from None
    width = max((len(r) for r in rows), default=0)
    frame = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], index=index,
                         dtype="str")
    frame.columns = range(width)
    return frame


def _parse(text: str, newline: str, src: TextSource) -> tuple[list[list[str]], list[int]]:
    """(rows, line number - 1 of each) by the csv module; a row wider than
    guard.MAX_COLUMNS is refused as soon as it is read."""
    reader = csv.reader(io.StringIO(text, newline=newline), delimiter=src.delimiter)
    rows: list[list[str]] = []
    index: list[int] = []
    try:
        for row in reader:
            if len(row) > guard.MAX_COLUMNS:
                raise guard.too_wide(src.file_name, len(row))
            rows.append(row)
            index.append(reader.line_num - 1)
    except csv.Error as exc:
        exc.line = reader.line_num   # type: ignore[attr-defined]
        raise
    return rows, index


def _unparsable(exc: csv.Error, src: TextSource) -> ImportRejected:
    """The sentence for a file the csv module cannot read."""
    if "field larger than field limit" in str(exc):
        line, limit = getattr(exc, "line", 0), csv.field_size_limit()
        return _reject(f"{src.file_name}: line {line:,} has a cell longer than {limit:,} "
                       "characters.", "ingest.error.cell_too_long", file=src.file_name,
                       line=line, limit=limit)
    return _reject(f"the text file cannot be parsed as a table: {exc}",
                   "ingest.error.unparsable", detail=str(exc))


def arrow_csv(src: TextSource, skip: int, width: int,
              lines: Callable[[], int] | None = None) -> pa.Table:
    """The rows after ``skip`` lines as an Arrow table of strings c0..cN plus ``_row`` (the
    line number as the user sees it), parsed by Arrow's multi-threaded CSV reader straight
    from the UTF-8 bytes (no copy, no temporary file).

    Raises ValueError when the rows do not map one-to-one onto lines (a row with more or
    fewer cells than the header, blank lines, line breaks inside cells): the caller then
    takes the line-exact csv-module path. ``lines`` gives the file's line count when it is
    being counted elsewhere (in a thread, while Arrow parses).
    """
    assert src.raw_utf8 is not None
    names = [f"c{i}" for i in range(width)]
    try:
        table = pcsv.read_csv(
            pa.py_buffer(src.raw_utf8),
            read_options=pcsv.ReadOptions(skip_rows=skip, column_names=names,
                                          block_size=8 << 20),
            parse_options=pcsv.ParseOptions(delimiter=src.delimiter, quote_char='"',
                                             double_quote=True, newlines_in_values=True,
                                             ignore_empty_lines=True),
            convert_options=pcsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, null_values=[""],
                strings_can_be_null=True, quoted_strings_can_be_null=True))
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        if not src.verified and "UTF8" in str(exc):
            raise NotUtf8(str(exc)) from None
        raise ValueError(str(exc)) from None
    if skip + table.num_rows != (lines() if lines else line_count(src.raw_utf8)):
        raise ValueError("line numbers would drift")  # blank lines or breaks inside cells
    rows = pa.array(np.arange(skip + 1, skip + 1 + table.num_rows, dtype=np.int64))
    return table.append_column("_row", rows)


_POOL: ThreadPoolExecutor | None = None


def background(fn: Callable[..., Any], *args: Any) -> Future:
    """Run ``fn`` in a helper thread: hashing and Arrow's regex scan release the GIL, so they
    overlap with calamine or DuckDB reading the same file."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="salescore-ingest")
    try:
        return _POOL.submit(fn, *args)
    except RuntimeError:   # no thread can start (out of memory, shutting down): do it here
        done: Future = Future()
        try:
            done.set_result(fn(*args))
        except BaseException as exc:  # handed to the caller, as a pool thread would
            done.set_exception(exc)
        return done
