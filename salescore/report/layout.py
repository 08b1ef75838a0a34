"""Text fitting and placement on the 16:9 page: how wide text is, the table font size and
column widths that fit a box, and where each part of a slide goes."""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from salescore.images import chart_png
from salescore.report.model import MARGIN, PX_PER_IN, SLIDE_H, SLIDE_W, Slide, _missing
from salescore.report.names import _CJK


def _units(text: Any) -> int:
    """Text width in half-em units: CJK characters and symbols such as ★ count 2, others 1."""
    value = str(text)
    return len(value) + sum(1 for ch in value if ord(ch) >= 0x2000 and ch not in "—–→≥≤")


#: Inches per half-em unit at 1 pt (an average Latin glyph is ~0.55 em; 0.62 leaves room for wider
#: substitutes of the named fonts), cell padding, line gap.
_UNIT_IN, _CELL_PAD, _LINE = 0.62 / 72, 0.14, 1.25
_TABLE_SIZES = (14, 13, 12, 11, 10, 9, 8)
#: A column wider than this (half-em units) wraps its text instead of widening the table.
_WRAP_UNITS = 24


def _measure(frame: pd.DataFrame) -> tuple[list[list[str]], list[list[int]], list[int]]:
    """Per column: its cells as text (header first), their widths in units, and the column's
    width in units. A bold header is ~10 % wider than body text and may wrap between words (CJK
    anywhere), so a column is as wide as its body text or its header's longest word."""
    cells = [[str(c)] + ["" if _missing(v) else str(v) for v in frame[c]] for c in frame.columns]
    units = [[max(1, math.ceil(_units(v) * (1.1 if i == 0 else 1))) for i, v in enumerate(col)] for col in cells]
    header_min = [max([math.ceil(_units(w) * 1.1) for w in col[0].split()] + [1]) for col in cells]
    header_min = [min(h, 8) if _CJK.search(col[0]) else h for h, col in zip(header_min, cells)]
    return cells, units, [max(u[1:] + [header_min[j]]) for j, u in enumerate(units)]


def _table_layout(frame: pd.DataFrame, width: float, height: float) -> tuple[int, list[float], list[float]]:
    """(font size in pt, column widths, row heights) in inches for ``frame`` as a table in a
    ``width`` x ``height`` box: the largest size at which every column fits (long text columns
    wrap) and all rows fit in the height; 8 pt at worst."""
    cells, units, widest = _measure(frame)
    for size in _TABLE_SIZES:
        unit = _UNIT_IN * size
        natural = [w * unit + _CELL_PAD for w in widest]
        widths = list(natural)
        if sum(natural) > width:  # wrap the long text columns into what the short ones leave
            fixed = [j for j, w in enumerate(widest) if w <= _WRAP_UNITS]
            flex = [j for j in range(len(widest)) if j not in fixed]
            room = width - sum(natural[j] for j in fixed)
            flex_total = sum(natural[j] for j in flex)
            if not flex or room < len(flex) * (8 * unit + _CELL_PAD):
                continue
            for j in flex:
                widths[j] = room * natural[j] / flex_total
        else:  # spread the spare width in proportion
            widths = [w * width / sum(natural) for w in natural]
        lines = [max(-(-int(units[j][i] * unit * 1000) // int(max(widths[j] - _CELL_PAD, 0.01) * 1000))
                     for j in range(len(units))) for i in range(len(cells[0]))]
        rows = [n * size / 72 * _LINE + 0.06 for n in lines]
        if sum(rows) <= height:
            return size, widths, rows
    return _TABLE_SIZES[-1], widths, rows


def _note_lines(notes: tuple[str, ...], width: float, size: float = 13) -> int:
    per_line = width / (_UNIT_IN * size)
    return sum(max(1, -(-_units("• " + n) // int(per_line))) for n in notes[:3])


def _boxes(s: Slide) -> dict[str, tuple[float, float, float, float]]:
    """Where each part of a slide goes on the 16:9 page: name -> (left, top, width, height) in
    inches, for figures / chart / table / notes. Beside a chart, a table gets the width its
    text needs at 14 pt (between 38 % and 60 % of the page)."""
    top, bottom = 1.45, SLIDE_H - 0.4
    out: dict[str, tuple[float, float, float, float]] = {}
    full = SLIDE_W - 2 * MARGIN
    if s.figures:
        out["figures"] = (MARGIN, top, full, 1.15)
        top += 1.35
    if s.faces:                                   # the star board's pictures, in a band
        out["faces"] = (MARGIN, top, full, 0.9)
        top += 1.05
    has_chart, has_table = s.chart is not None, s.table is not None and not s.table.empty
    if s.notes and not (has_chart or has_table):  # a text slide: the notes are the content
        out["notes"] = (MARGIN, top + 0.2, full, bottom - top - 0.2)
        return out
    if s.notes:
        height = 0.27 * _note_lines(s.notes, full) + 0.1
        out["notes"] = (MARGIN, bottom - height, full, height)
        bottom -= height + 0.1
    height = max(1.0, bottom - top)
    if has_chart and has_table:
        needed = sum(w * _UNIT_IN * 14 + _CELL_PAD for w in _measure(s.table)[2])
        table_w = min(max(needed, 0.38 * full), 0.60 * full)
        chart_w = full - table_w - 0.25
        out["chart"] = (MARGIN, top, chart_w, height)
        out["table"] = (MARGIN + chart_w + 0.25, top, table_w, height)
    elif has_chart:
        out["chart"] = (MARGIN, top, full, height)
    elif has_table:
        out["table"] = (MARGIN, top, full, height)
    return out


def slide_png(s: Slide, scale: float = 2) -> bytes | None:
    """The slide's chart as PNG at the size it has in the deck (None without a chart)."""
    if s.chart is None:
        return None
    _, _, w, h = _boxes(s)["chart"]
    return chart_png(s.chart, scale, width=int(w * PX_PER_IN), height=int(h * PX_PER_IN))

