"""The SWOT board as files: an XLSX workbook (through salescore.xlsx) and a PNG picture."""
from __future__ import annotations

import re

import pandas as pd

from salescore import charts, i18n, images, xlsx
from salescore.team.auto_swot import QUADRANTS


def swot_xlsx(content: pd.DataFrame, lang: str, title: str) -> bytes:
    """The board as an XLSX workbook: sheet 1 the 2x2 grid (S|W over O|T), sheet 2 the list
    (quadrant, text, origin). ``content`` is :func:`board`'s frame. Text is escaped
    (fmt.safe_cell) and written as strings (never formulas)."""
    book = xlsx.Workbook()
    head = book.style(bold=True, font_size=12, bg_color="#e2e8f0", border=1)
    wrap = book.style(text_wrap=True, valign="top", border=1)
    big = book.style(bold=True, font_size=14)
    grid = book.sheet("SWOT")
    grid.set_column(0, 1, 60)
    book.write(grid, 0, 0, title, big)
    names = {q: i18n.t(f"team.quadrant.{q}", lang) for q in QUADRANTS}
    row = 2
    for left, right in (("S", "W"), ("O", "T")):
        book.row(grid, row, [names[left], names[right]], head)
        lines_l = ["• " + t for t in content.loc[content["quadrant"] == left, "text"]]
        lines_r = ["• " + t for t in content.loc[content["quadrant"] == right, "text"]]
        book.row(grid, row + 1, ["\n".join(lines_l), "\n".join(lines_r)], wrap)
        grid.set_row(row + 1, max(60, 18 * max(len(lines_l), len(lines_r), 1)))
        row += 3
    sheet = book.sheet(i18n.t("team.xlsx_list", lang))
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 80)
    sheet.set_column(2, 2, 10)
    book.row(sheet, 0, [i18n.t(f"team.col.{col}", lang) for col in ("quadrant", "text", "origin")], head)
    for i, rec in enumerate(content.to_dict("records"), start=1):
        book.row(sheet, i, [names[rec["quadrant"]], str(rec["text"]),
                            i18n.t(f"team.origin.{rec['origin']}", lang)])
    return book.close()


def swot_png(content: pd.DataFrame, lang: str, title: str) -> bytes:
    """The board as a PNG picture (1600 px wide): :func:`salescore.charts.swot_board` rendered
    by vl-convert with the system CJK font. ``content`` is :func:`board`'s frame."""
    return images.chart_png(charts.swot_board(content, lang, title), scale=2)


def swot_file_name(subject_id: str, period_label: str, ext: str) -> str:
    """``swot-<subject>-<period>.<ext>``, with characters a file system rejects replaced by _."""
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", str(subject_id)).strip("._") or "board"
    return f"swot-{safe}-{period_label}.{ext}"
