"""The header row of a sheet: where it is, its names made unique, and its signature.

Title rows, blank rows and merged banner rows above the header are passed over
(DESIGN.md section 3).
"""
from __future__ import annotations

import hashlib
import re
from typing import Any

import pandas as pd

from salescore.ingest.fields import match_header, nfkc, norm_header, wide_month


def signature(headers: list[str]) -> str:
    """A stable id of a header row (normalised names in order), for remembered mappings."""
    text = "\x1f".join(norm_header(h) for h in headers)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def cell_text(value: Any) -> str | None:
    """A cell as trimmed, NFKC-normalised text (None when blank)."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    text = nfkc(str(value)).strip()
    return text or None


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d,.]+%?", text))


def find_header(rows: list[list[Any]]) -> int:
    """Index of the header row among the first rows: most cells naming a known field or month.

    Title rows, blank rows and merged banners (a single filled cell) score low. With no known
    name anywhere, the first row whose cells are all text and fill most of the width.
    """
    best, best_score = -1, 0
    widest = 0
    for i, row in enumerate(rows):
        cells = [cell_text(v) for v in row]
        filled = [c for c in cells if c]
        widest = max(widest, len(filled))
        hits = sum(1 for c in filled if match_header(c)) + sum(
            1 for v in row if _month_header(v))
        if len(filled) >= 2 and hits > best_score:
            best, best_score = i, hits
    if best >= 0:
        return best
    for i, row in enumerate(rows):
        filled = [c for c in (cell_text(v) for v in row) if c]
        if len(filled) >= max(2, widest * 0.6) and not any(_is_number(c) for c in filled):
            return i
    return 0


def _month_header(value: Any) -> bool:
    """A cell that reads as a month column header (3月, 2026-07, a first-of-month date)."""
    if hasattr(value, "day") and not isinstance(value, str):
        return getattr(value, "day", 0) == 1
    text = cell_text(value)
    return bool(text) and not re.search(r"\d{4}\D\d{1,2}\D\d{1,2}", text) \
        and bool(wide_month(text, 2000))


def unique_headers(cells: list[Any]) -> list[str]:
    """The header cells as names: blank ones named by their column letter, "(A)"; repeats
    numbered, "金额 (2)"; a date header as its month."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, value in enumerate(cells):
        text = cell_text(value)
        if hasattr(value, "year") and hasattr(value, "month") and not isinstance(value, str):
            text = f"{value.year:04d}-{value.month:02d}"
        if not text:
            text = f"({col_letter(i)})"
        text = text.replace("\n", " ")
        if text in seen:
            seen[text] += 1
            text = f"{text} ({seen[text]})"
        else:
            seen[text] = 1
        out.append(text)
    return out


def col_letter(i: int) -> str:
    """The spreadsheet letter of 0-based column ``i`` (0 -> A, 26 -> AA)."""
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def year_hint(texts: list[str]) -> int | None:
    """The first year (20xx) named in ``texts`` (title rows, sheet and file name)."""
    for text in texts:
        m = re.search(r"(20\d\d)\s*年?", nfkc(text or ""))
        if m:
            return int(m.group(1))
    return None


def header_row_number(grid: pd.DataFrame | None, h: int) -> int:
    """The header row as the user numbers it (1-based, blank lines of a text file counted)."""
    if grid is None:
        return h + 1
    return int(grid.index[h]) + 1 if h < len(grid.index) else h + 1
