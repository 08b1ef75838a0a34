"""The importer's limits on untrusted files, checked before the heavy read (issue 17).

A spreadsheet reader sizes its grid from the cell positions a file *claims*: one cell at
XFD1048576 in a 5 KB .xlsx made python-calamine ask for 512 GiB and abort the process (the
whole Streamlit server with it). So before a workbook is read in this process its sheets'
XML is scanned, as a stream, for the furthest cell; a file whose XML is not in the plain form
every spreadsheet program writes is read in a child process with a memory limit instead
(salescore/ingest/workbook.py). Text files get a cap on columns and line length, so a
60 KB CSV with 5,000 columns or a 1 GB single line is refused in milliseconds instead of
taking minutes and gigabytes. Memory errors that still happen become a sentence.
"""
from __future__ import annotations

import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from salescore.errors import ImportRejected

MAX_COLUMNS = 1_000              # a sheet or text file wider than this is refused
MAX_LINE_BYTES = 1 << 20          # one line of a text file (1 MiB)
MAX_SHEET_ROWS = 1_048_576        # Excel's own limit
MAX_SHEET_CELLS = 10_000_000      # rows x columns of a workbook sheet (~2.5 GB to read)
MAX_UNZIPPED_BYTES = 1 << 30      # everything in an .xlsx, unpacked (1 GiB)


def _child_memory() -> int:
    """The address space of the child process that reads unchecked workbooks: half the
    machine's memory, between 1 and 4 GiB (a sheet of MAX_SHEET_CELLS takes ~2.5 GB)."""
    try:
        physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        physical = 8 << 30
    return max(1 << 30, min(4 << 30, physical // 2))


CHILD_MEMORY_BYTES = _child_memory()

#: What running out of memory raises in the libraries the importer uses.
MEMORY_ERRORS = (MemoryError, pa.ArrowMemoryError, pa.ArrowCapacityError,
                 duckdb.OutOfMemoryException)


def memory_refusal(file_name: str) -> ImportRejected:
    """The sentence for a file that needed more memory than there was."""
    return ImportRejected(f"{file_name}: the file is too large to import with the memory "
                          "available; split it into smaller files.",
                          key="ingest.error.memory", file=file_name)


def too_wide(file_name: str, columns: int) -> ImportRejected:
    return ImportRejected(
        f"{file_name}: the file has {columns:,} columns; the importer reads at most "
        f"{MAX_COLUMNS:,}. Delete the columns you do not need and try again.",
        key="ingest.error.too_many_columns", file=file_name, columns=columns,
        limit=MAX_COLUMNS)


def check_columns(file_name: str, columns: int) -> None:
    """Refuse a row (header or data) wider than :data:`MAX_COLUMNS`."""
    if columns > MAX_COLUMNS:
        raise too_wide(file_name, columns)


def check_line_length(data: bytes | memoryview, file_name: str) -> None:
    """Refuse a text file with a line longer than :data:`MAX_LINE_BYTES`.

    Lines end at LF, or at CR in a file without any LF (old Mac files). The check jumps a
    whole window at a time (the last line break in the next MAX_LINE_BYTES + 1 bytes), so it
    makes one ``rfind`` per mebibyte: about a hundred calls for a 100 MB file.
    """
    whole = data.obj if isinstance(data, memoryview) else data
    start = len(whole) - len(data)          # past a BOM dropped from the view
    end = len(whole)
    sep = b"\n" if whole.find(b"\n", start) >= 0 else b"\r"
    pos = start
    while end - pos > MAX_LINE_BYTES:
        last = whole.rfind(sep, pos, pos + MAX_LINE_BYTES + 1)
        if last < 0:
            line = whole.count(sep, start, pos) + 1
            raise ImportRejected(
                f"{file_name}: line {line:,} is longer than {MAX_LINE_BYTES // (1 << 20)} MB, "
                "which no table row is. Is it a text table at all?",
                key="ingest.error.line_too_long", file=file_name, line=line,
                limit=MAX_LINE_BYTES // (1 << 20))
        pos = last + 1


# --- workbooks: how far do the cells of each sheet reach? ----------------------------------

@dataclass(frozen=True)
class Reach:
    """The furthest cell of one sheet part of a workbook: last row and column (1-based)."""

    part: str
    rows: int
    cols: int

    @property
    def ref(self) -> str:
        """The cell as Excel names it (XFD1048576)."""
        return f"{column_letters(self.cols)}{self.rows}"


def column_letters(n: int) -> str:
    """1 -> A, 27 -> AA, 16384 -> XFD."""
    out = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out or "A"


def column_number(letters: bytes) -> int:
    """b'A' -> 1, b'xfd' -> 16384 (calamine reads both cases)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _within(reach: Reach) -> bool:
    return (reach.cols <= MAX_COLUMNS and reach.rows <= MAX_SHEET_ROWS
            and reach.rows * reach.cols <= MAX_SHEET_CELLS)


def check_reach(file_name: str, reach: Reach) -> None:
    """Refuse a sheet whose cells reach beyond the limits, naming the furthest cell."""
    if not _within(reach):
        raise too_big(file_name, reach)


def too_big(file_name: str, reach: Reach) -> ImportRejected:
    return ImportRejected(
        f"{file_name}: a sheet has a cell at {reach.ref} ({reach.rows:,} rows × {reach.cols:,} "
        f"columns); the importer reads at most {MAX_SHEET_ROWS:,} rows, {MAX_COLUMNS:,} "
        f"columns and {MAX_SHEET_CELLS:,} cells per sheet. Delete what lies beyond the table, "
        "or save the sheet as CSV.", key="ingest.error.sheet_too_big", file=file_name,
        cell=reach.ref, rows=reach.rows, cols=reach.cols, max_rows=MAX_SHEET_ROWS,
        max_cols=MAX_COLUMNS, max_cells=MAX_SHEET_CELLS)


_CHUNK = 4 << 20
_MAX_TAIL = 1 << 20
# A cell starts as <c followed by XML whitespace (_S) or '>', with or without a namespace
# prefix (quick-xml, calamine's parser, matches on the local name). In the plain form its
# first attribute is r="A1" after one whitespace character; an r attribute anywhere else (a
# second one, single quotes, spaces around '=', another element) is not plain. RE2 patterns
# (Arrow), which scan a sheet's XML at several hundred MB/s.
_S = r"[\t\n\r ]"
_CELL = rf"[<:]c(?:{_S}|>)"
_NOT_PLAIN = (rf'[<:]c(?:>|{_S}(?:[^r]|r[^=]|r=[^"]))'
              rf"|(?:[^cw]|[^<:]c|[^o]w|[^r]ow|[^<:]row){_S}r{_S}*=")
_REF = rf'[<:]c{_S}r="'
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="(?:[A-Za-z]+\d+:)?([A-Za-z]+)(\d+)"')
_ENCODING = re.compile(rb'^<\?xml[^>]*encoding="([^"]*)"')
_EXACT = re.compile(_REF.encode() + rb'([A-Za-z]+)(\d+)"([^<>]*)>')


class _Unsure(Exception):
    """The XML is not in the plain form the fast scan vouches for: read in a child."""


def workbook_reach(data: bytes, file_name: str) -> list[Reach] | None:
    """How far the cells of each sheet of an .xlsx reach, from its XML alone; None when the
    scan cannot vouch for the file (XML not in the plain form, not UTF-8, a member
    compressed in a way zipfile does not know): read it in a child process then.

    Every member is unpacked as a stream (a zip bomb stops at :data:`MAX_UNZIPPED_BYTES`).
    In the plain form every cell position the reader will use is a ref the scan sees. A
    sheet's ``<dimension ref>`` is taken as a claim, checked by one regular expression for a
    ref beyond it; a missing or lying dimension costs one exact pass over the refs.
    """
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        infos = book.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ImportRejected(f"{file_name}: this is not a readable spreadsheet ({exc}).",
                             key="ingest.error.unreadable", file=file_name) from None
    budget = [MAX_UNZIPPED_BYTES]
    reaches = []
    try:
        for info in infos:
            reach = _part_reach(book, info, budget, file_name)
            if reach is not None:
                reaches.append(reach)
    except _Unsure:
        return None
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError,
            EOFError, zlib.error):
        return None   # damaged or unusual compression: calamine says what it makes of it
    return reaches


def _matches(buf: bytes, pattern: str) -> bool:
    """RE2 ``pattern`` occurs in ``buf`` (Arrow, no copy of the bytes)."""
    arr = pa.Array.from_buffers(pa.binary(), 1, [
        None, pa.array([0, len(buf)], pa.int32()).buffers()[1], pa.py_buffer(buf)])
    return bool(pc.match_substring_regex(arr, pattern)[0].as_py())


def _chunks(book: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int], file_name: str):
    """The member's bytes in pieces that end just before a '<', so that no tag is split
    between two pieces."""
    carry = b""
    with book.open(info) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise ImportRejected(
                    f"{file_name}: the workbook unpacks to more than "
                    f"{MAX_UNZIPPED_BYTES >> 20:,} MB; the importer does not read it.",
                    key="ingest.error.unzipped_too_big", file=file_name,
                    limit=MAX_UNZIPPED_BYTES >> 20)
            if not chunk:
                if carry:
                    yield carry
                return
            buf = carry + chunk
            cut = buf.rfind(b"<")
            if cut < 0:     # text without a tag: what it holds is no cell, split it anywhere
                cut = len(buf)
            elif len(buf) - cut > _MAX_TAIL:
                raise _Unsure("a tag (or text after it) longer than the scan keeps")
            yield buf[:cut]
            carry = buf[cut:]


def _part_reach(book: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int],
                file_name: str) -> Reach | None:
    """The furthest cell of one member (None when it holds no cell tag)."""
    claim: Reach | None = None
    suspect = _NOT_PLAIN        # a match: not plain, or (with a claim) a ref beyond it
    has_cells = exceeded = not_plain = False
    first = True
    for buf in _chunks(book, info, budget, file_name):
        if first and buf:
            first = False
            _check_encoding(buf, info.filename)
            found = _DIMENSION.search(buf, 0, 1 << 16)   # it comes before the cells
            if found:
                claim = Reach(info.filename, int(found.group(2)), column_number(found.group(1)))
                if _within(claim):
                    suspect = _NOT_PLAIN + "|" + _beyond(found.group(1).decode().upper(),
                                                         found.group(2).decode())
        has_cells = has_cells or _matches(buf, _CELL)
        if not (exceeded or not_plain) and _matches(buf, suspect):
            not_plain = _matches(buf, _NOT_PLAIN)
            exceeded = not not_plain
    if not has_cells:
        return None       # a theme, styles, strings ...: r attributes there place no cell
    if not_plain:
        raise _Unsure(f"{info.filename}: cells without a plain r attribute")
    if claim is not None and _within(claim) and not exceeded:
        return claim
    return _exact_reach(book, info, file_name)


def _check_encoding(head: bytes, part: str) -> None:
    """The scan reads bytes as UTF-8 (or ASCII): a UTF-16 part, or one that declares another
    encoding, goes to the child."""
    if b"\x00" in head[:4096] or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Unsure(f"{part}: UTF-16")
    declared = _ENCODING.search(head.lstrip(b"\xef\xbb\xbf"))
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        raise _Unsure(f"{part}: encoding {declared.group(1)!r}")


def _exact_reach(book: zipfile.ZipFile, info: zipfile.ZipInfo, file_name: str) -> Reach:
    """The furthest cell from every ref (self-closing cells, which hold no value and which
    the reader skips, do not count). Only for a sheet without a trustworthy dimension."""
    max_row = max_col = 0
    budget = [MAX_UNZIPPED_BYTES]          # the member was already counted once
    for buf in _chunks(book, info, budget, file_name):
        letters, digits = set(), set()
        for col, row, rest in _EXACT.findall(buf):
            if not rest.endswith(b"/"):
                letters.add(col)
                digits.add(row)
        if letters:
            max_col = max(max_col, max(column_number(c) for c in letters))
            max_row = max(max_row, max(int(d) for d in digits))
    return Reach(info.filename, max_row, max_col)


def _greater(claim: str, classes: list[str], symbols: str) -> list[str]:
    """Regex alternatives for the strings as long as ``claim`` that sort after it (symbols
    in order; ``classes`` the regex class that matches each symbol in any case)."""
    out = []
    for i, ch in enumerate(claim):
        above = symbols[symbols.index(ch) + 1:]
        if not above:
            continue
        prefix = "".join(classes[symbols.index(c)] for c in claim[:i])
        bigger = "[" + "".join(classes[symbols.index(c)][1:-1] for c in above) + "]"
        rest = len(claim) - i - 1
        out.append(prefix + bigger + (f"{classes[-1]}{{{rest}}}" if rest else ""))
    return out


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LETTER_CLASSES = [f"[{c}{c.lower()}]" for c in _LETTERS] + ["[A-Za-z]"]
_DIGITS = "0123456789"
_DIGIT_CLASSES = [f"[{d}]" for d in _DIGITS] + ["[0-9]"]


def _beyond(letters: str, digits: str) -> str:
    """A cell ref beyond the claimed last column ``letters`` or last row ``digits``: more
    letters or digits (leading zeros included, which only sends the file to the exact pass),
    or as many that sort after the claim."""
    cols = [f"[A-Za-z]{{{len(letters) + 1}}}"] + [
        f"{alt}[0-9]" for alt in _greater(letters, _LETTER_CLASSES, _LETTERS)]
    rows = [f"[0-9]{{{len(digits) + 1}}}"] + [
        f"{alt}\"" for alt in _greater(digits, _DIGIT_CLASSES, _DIGITS)]
    return f'{_REF}(?:{"|".join(cols)}|[A-Za-z]+(?:{"|".join(rows)}))'
