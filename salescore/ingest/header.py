"""The header row of a sheet: where it is, its names made unique, and its signature.

Title rows, blank rows and merged banner rows above the header are passed over
(DESIGN.md section 3).
"""
from __future__ import annotations

import hashlib
import re
from datetime import date
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


_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
# 2026-11-30, 2026_11_30, 2026.11.30, 2026/11/30, 2026年11月30日, 20261130
_YMD = re.compile(r"(?<!\d)(20\d\d)(?:[-_./]|\s*年\s*)?(\d{1,2})(?:[-_./]|\s*月\s*)?(\d{1,2})(?!\d)")
# 30 Nov 2026, Nov 30, 2026, November 30 2026
_DMY_WORD = re.compile(r"(?<!\d)(\d{1,2})[\s-]+([a-z]{3})[a-z]*\.?[\s-]+(20\d\d)(?!\d)")
_MDY_WORD = re.compile(r"\b([a-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(20\d\d)(?!\d)")
# 11/30/2026 or 30/11/2026: taken only when the day is the part over 12
_XY_YEAR = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](20\d\d)(?!\d)")
# the words that say "this is the export's date" (a title may also name the period covered)
_AS_OF_WORDS = re.compile(r"(as of|as at|exported|export|generated|snapshot|run on|截至|截止|"
                          r"导出|生成|快照|日期)")


def _dates_in(text: str) -> list[tuple[int, date]]:
    """(position, day) of every calendar date written in ``text``."""
    low = nfkc(text).lower()
    found: list[tuple[int, date]] = []

    def add(pos: int, y: int, m: int, d: int) -> None:
        try:
            found.append((pos, date(y, m, d)))
        except ValueError:
            pass

    for m in _YMD.finditer(low):
        if len(m.group(0)) == 8 or not m.group(0).isdigit():   # 20261130, never 2026113
            add(m.start(), int(m.group(1)), int(m.group(2)), int(m.group(3)))
    for m in _DMY_WORD.finditer(low):
        if m.group(2) in _MONTHS:
            add(m.start(), int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)))
    for m in _MDY_WORD.finditer(low):
        if m.group(1) in _MONTHS:
            add(m.start(), int(m.group(3)), _MONTHS[m.group(1)], int(m.group(2)))
    for m in _XY_YEAR.finditer(low):
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if a > 12 >= b:
            add(m.start(), y, b, a)
        elif b > 12 >= a:
            add(m.start(), y, a, b)
    return sorted(found)


def export_date(texts: list[str], today: date | None = None) -> date | None:
    """The export's date written in ``texts`` (title rows, then sheet and file name): a date
    next to "as of" / "exported" / 导出 / 截至 and the like, else the only date a text names.
    A text naming several dates without such a word (a period "2026-01-01 to 2026-03-31")
    gives none; a date after ``today`` is never an export's."""
    today = today or date.today()
    for text in texts:
        if not text:
            continue
        days = [(p, d) for p, d in _dates_in(text) if d <= today]
        if not days:
            continue
        words = [m.end() for m in _AS_OF_WORDS.finditer(nfkc(text).lower())]
        for w in words:
            after = [d for p, d in days if p >= w]
            if after:
                return after[0]
        if len({d for _, d in days}) == 1:
            return days[0][1]
    return None


def header_row_number(grid: pd.DataFrame | None, h: int) -> int:
    """The header row as the user numbers it (1-based, blank lines of a text file counted)."""
    if grid is None:
        return h + 1
    return int(grid.index[h]) + 1 if h < len(grid.index) else h + 1
