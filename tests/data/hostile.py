"""Hostile files for the importer (issue 17 items 3, 4, 14, 15), generated on demand: each
function returns the bytes of one file shape. Used by tests/test_ingest_hostile.py and
tests/test_fuzz.py; nothing here is committed as a file. All are small (a few KB to a few MB)
and take milliseconds to build, except where a docstring says otherwise.
"""
from __future__ import annotations

import io
import re
import zipfile

import xlsxwriter

HEADER = ["销售员", "金额", "阶段", "成交日期"]
ROW = ["张三", "100", "赢单", "2026-01-01"]


def xlsx_with_cell_at(row: int, col: int) -> bytes:
    """A deals sheet of two rows and one more cell at (row, col), 0-based: at
    (1048575, 16383), cell XFD1048576, it is a 5 KB file whose grid is 512 GiB."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet("数据")
    for j, (h, v) in enumerate(zip(HEADER, ROW)):
        sheet.write_string(0, j, h)
        sheet.write_string(1, j, v)
    sheet.write_string(row, col, "x")
    book.close()
    return buf.getvalue()


def _rewrite_sheet(data: bytes, change) -> bytes:
    """``data`` (an .xlsx) with its first sheet's XML passed through ``change``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = change(body)
            z.writestr(info.filename, body)
    return out.getvalue()


def xlsx_rows(rows: int) -> bytes:
    """A cell in column A of row ``rows`` (xlsxwriter stops at Excel's 1,048,576; the XML
    is rewritten): 8,000,000 rows of four columns is 32 million cells."""
    return _rewrite_sheet(xlsx_with_cell_at(1048575, 16383), lambda x: x.replace(
        b"XFD1048576", f"A{rows}".encode()).replace(b'r="1048576"', f'r="{rows}"'.encode()))


def xlsx_lying_dimension() -> bytes:
    """XFD1048576 present, but <dimension ref> says A1:D2."""
    return _rewrite_sheet(xlsx_with_cell_at(1048575, 16383),
                          lambda x: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:D2"', x))


def xlsx_without_dimension() -> bytes:
    """XFD1048576 present and no <dimension> element at all."""
    return _rewrite_sheet(xlsx_with_cell_at(1048575, 16383),
                          lambda x: re.sub(rb"<dimension [^>]*/>", b"", x))


def xlsx_single_quoted_refs() -> bytes:
    """XFD1048576 written with single-quoted attributes (valid XML, not the plain form the
    scan vouches for): read in the child process, where calamine's 512 GiB request fails."""
    return _rewrite_sheet(xlsx_with_cell_at(1048575, 16383),
                          lambda x: x.replace(b'r="XFD1048576"', b"r='XFD1048576'"))


def xlsx_cells_without_refs(n: int) -> bytes:
    """A second row of ``n`` cells without r attributes (their columns are counted)."""
    cells = b'<c t="inlineStr"><is><t>x</t></is></c>' * n

    def change(x: bytes) -> bytes:
        x = re.sub(rb"<dimension [^>]*/>", b"", x)
        return re.sub(rb'<row r="1048576".*?</row>', b'<row r="3">' + cells + b"</row>", x)
    return _rewrite_sheet(xlsx_with_cell_at(1048575, 16383), change)


def xlsx_zip_bomb(megabytes: int) -> bytes:
    """A workbook whose shared strings unpack to ``megabytes`` MB of spaces (a few KB)."""
    good = xlsx_with_cell_at(2, 0)
    src = zipfile.ZipFile(io.BytesIO(good))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            if info.filename == "xl/sharedStrings.xml":
                with z.open(info.filename, "w", force_zip64=True) as fh:
                    fh.write(src.read(info.filename)[:-len(b"</sst>")])
                    for _ in range(megabytes):
                        fh.write(b" " * (1 << 20))
                    fh.write(b"</sst>")
            else:
                z.writestr(info.filename, src.read(info.filename))
    return out.getvalue()


def ods(rows_repeated: int, cols_repeated: int) -> bytes:
    """An OpenDocument sheet: a header row, then one row of text cells repeated (a 1 KB file
    can claim 17 billion cells)."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="S"><table:table-row>'
        + "".join(f'<table:table-cell office:value-type="string"><text:p>{h}</text:p>'
                  "</table:table-cell>" for h in HEADER)
        + f'</table:table-row><table:table-row table:number-rows-repeated="{rows_repeated}">'
        f'<table:table-cell table:number-columns-repeated="{cols_repeated}" '
        'office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>'
        "</table:table></office:spreadsheet></office:body></office:document-content>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>"), compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def wide_csv(columns: int) -> bytes:
    """A deals file with ``columns`` columns (5,000 make 39 KB)."""
    extra = columns - len(HEADER)
    head = ",".join(HEADER + [f"c{i}" for i in range(extra)])
    row = ",".join(ROW + [""] * extra)
    return (head + "\n" + row + "\n" + row + "\n").encode()


def wide_row_csv(columns: int, rows: int = 3) -> bytes:
    """A narrow deals file whose last row has ``columns`` cells."""
    lines = [",".join(HEADER)] + [",".join(ROW)] * rows + [",".join(ROW + ["x"] * (columns - 4))]
    return ("\n".join(lines) + "\n").encode()


def long_line_csv(megabytes: float) -> bytes:
    """A deals file with one line of ``megabytes`` MB (no line break, no delimiter)."""
    return ((",".join(HEADER) + "\n" + ",".join(ROW) + "\n").encode()
            + b"x" * int(megabytes * (1 << 20)) + b"\n")


def long_cell_csv(chars: int) -> bytes:
    """A deals file whose customer cell holds ``chars`` characters on one line (a quoted
    note pasted in a cell)."""
    return (",".join(HEADER + ["客户名称"]) + "\n" + ",".join(ROW) + ',"' + "y" * chars
            + '"\n').encode()


def cr_only_csv(rows: int = 3) -> bytes:
    """Old Mac line endings: CR only; one cell holds a quoted CR, another a quoted LF."""
    lines = [",".join(HEADER + ["客户名称"])]
    for i in range(rows):
        customer = '"甲\r公司"' if i == 0 else '"乙\n公司"' if i == 1 else f"客户{i}"
        lines.append(",".join([f"张{i}", str(100 + i), "赢单", "2026-01-01", customer]))
    return ("\r".join(lines) + "\r").encode()


def quoted_cr_csv(rows: int = 3, newline: str = "\r\n") -> bytes:
    """CRLF (or LF) rows; the customer of the first row holds a quoted CR."""
    lines = [",".join(HEADER + ["客户名称"])]
    for i in range(rows):
        customer = '"甲\r公司"' if i == 0 else f"客户{i}"
        lines.append(",".join([f"张{i}", str(100 + i), "赢单", "2026-01-01", customer]))
    return (newline.join(lines) + newline).encode()


#: One person typed five ways, and a Cyrillic look-alike (row numbers as the user sees them).
LOOKALIKE_REPS = [
    ("Anna", 2), ("Ａｎｎａ", 3),                 # full-width letters
    ("An\u200bna", 4), ("\u200fAnna", 5),        # zero-width space, right-to-left mark
    ("Anna\u00ad", 6),                             # soft hyphen
    ("\u0410nna", 7),                              # Cyrillic А: a different name
]


def lookalike_csv() -> bytes:
    lines = [",".join(HEADER)] + [f"{name},100,赢单,2026-01-0{i}" for i, (name, _) in
                                  enumerate(LOOKALIKE_REPS, 1)]
    return ("\n".join(lines) + "\n").encode()
