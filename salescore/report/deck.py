"""The PPTX deck: slides as a 16:9 PowerPoint file (charts as PNG pictures, tables as real
PowerPoint tables, an East Asian typeface named on every run)."""
from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd

from salescore import fmt, metrics
from salescore.i18n import t
from salescore.images import chart_png
from salescore.periods import Period
from salescore.report.layout import _CELL_PAD, _boxes, _table_layout
from salescore.report.model import (DECK_ROWS, EA_FONT, LATIN_FONT, MARGIN, PX_PER_IN, SLIDE_H, SLIDE_W, Con,
                                    Figure, Slide, _missing)
from salescore.report.build import audience
from salescore.report.slides import left_out, slides
from salescore.scope import Scope


_NUMERIC = re.compile(r"^[\s+\-−%.,\d万亿kM×/()—]+$")
#: Currency symbols a figure may carry (longest first: "HK$" before "$"), any of fmt.SYMBOLS
#: or an ISO code shown as itself ("CHF 1,234").
_SYMBOLS = re.compile("|".join(re.escape(s) for s in sorted(set(fmt.SYMBOLS.values()) | {"$", "€"},
                                                              key=len, reverse=True)) + r"|\b[A-Z]{3} ")


def _numeric(text: str) -> bool:
    """Whether a table cell is a figure (right-aligned): digits, signs, units and at most the
    currency symbols of amounts."""
    return bool(_NUMERIC.match(_SYMBOLS.sub("", text)))


def _fonts(run: Any) -> None:
    """Name a Latin and an East Asian typeface on ``run`` (a:latin, a:ea) so Chinese renders
    in a CJK font in PowerPoint, Keynote and LibreOffice alike."""
    from pptx.oxml.ns import qn

    run.font.name = LATIN_FONT
    rpr = run._r.get_or_add_rPr()
    ea = rpr.find(qn("a:ea"))
    if ea is None:
        ea = rpr.makeelement(qn("a:ea"), {})
        rpr.find(qn("a:latin")).addnext(ea)  # schema order: latin, ea, cs, ...
    ea.set("typeface", EA_FONT)


def _text(frame: Any, lines: list[str] | str, size: float, *, bold: bool = False, color: str = "111827",
          align: Any = None) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    frame.word_wrap = True
    lines = [lines] if isinstance(lines, str) else lines
    for i, line in enumerate(lines):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        if i == 0:
            for r in list(para.runs):
                r._r.getparent().remove(r._r)
        if align is not None:
            para.alignment = align
        # the end-of-paragraph size sets an empty cell's height (default 18 pt otherwise)
        para._p.get_or_add_endParaRPr().set("sz", str(int(size * 100)))
        if not line:
            continue
        run = para.add_run()
        run.text = line
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = RGBColor.from_string(color)
        _fonts(run)


def _textbox(page: Any, box: tuple[float, float, float, float], lines: list[str] | str, size: float,
             **kw: Any) -> Any:
    from pptx.util import Inches

    shape = page.shapes.add_textbox(*(Inches(v) for v in box))
    _text(shape.text_frame, lines, size, **kw)
    return shape


def _title(page: Any, text: str, subtitle: str) -> None:
    from pptx.util import Inches

    shape = page.shapes.title
    shape.left, shape.top, shape.width, shape.height = Inches(MARGIN), Inches(0.3), Inches(SLIDE_W - 2 * MARGIN), Inches(0.75)
    _text(shape.text_frame, text, 30, bold=True)
    from pptx.enum.text import PP_ALIGN
    shape.text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT
    _textbox(page, (MARGIN, 1.0, SLIDE_W - 2 * MARGIN, 0.4), subtitle, 14, color="64748B")


def _figures(page: Any, box: tuple[float, float, float, float], figures: Mapping[str, Figure]) -> None:
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches, Pt

    left, top, width, height = box
    n = len(figures)
    gap = 0.2
    w = (width - gap * (n - 1)) / n
    for i, fig in enumerate(figures.values()):
        x = left + i * (w + gap)
        card = page.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, Inches(x), Inches(top), Inches(w), Inches(height))
        card.adjustments[0] = 0.08
        card.fill.solid()
        card.fill.fore_color.rgb = RGBColor.from_string("F8FAFC")
        card.line.color.rgb = RGBColor.from_string("CBD5E1")
        card.line.width = Pt(0.75)
        card.shadow.inherit = False
        tf = card.text_frame
        tf.margin_left = tf.margin_right = Inches(0.12)
        tf.margin_top = tf.margin_bottom = Inches(0.05)
        _text(tf, fig.label, 12, color="475569", align=PP_ALIGN.CENTER)
        para = tf.add_paragraph()
        para.alignment = PP_ALIGN.CENTER
        run = para.add_run()
        run.text = fig.value
        run.font.size = Pt(26 if n <= 4 else 22)
        run.font.bold = True
        run.font.color.rgb = RGBColor.from_string("111827")
        _fonts(run)
        if fig.delta:
            para = tf.add_paragraph()
            para.alignment = PP_ALIGN.CENTER
            run = para.add_run()
            run.text = fig.delta
            run.font.size = Pt(11)
            negative = fig.delta.lstrip().startswith(("-", "−"))
            good = (not negative) if fig.delta_color == "normal" else negative
            color = "64748B" if fig.delta_color == "off" else ("16A34A" if good else "DC2626")
            run.font.color.rgb = RGBColor.from_string(color)
            _fonts(run)


def _table_shape(page: Any, box: tuple[float, float, float, float], frame: pd.DataFrame) -> None:
    """``frame`` as a real PowerPoint table: header row bold on the theme colour, numbers
    right-aligned, font size and column widths from :func:`_table_layout`."""
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches

    left, top, width, height = box
    size, widths, heights = _table_layout(frame, width, height)
    rows, cols = len(frame) + 1, len(frame.columns)
    shape = page.shapes.add_table(rows, cols, Inches(left), Inches(top), Inches(sum(widths)), Inches(sum(heights)))
    table = shape.table
    for j, w in enumerate(widths):
        table.columns[j].width = Inches(w)
    for i, h in enumerate(heights):
        table.rows[i].height = Inches(h)
    numeric = [len(frame) > 0 and all(_numeric(str(v)) for v in frame[c] if str(v)) for c in frame.columns]
    for j, col in enumerate(frame.columns):
        values = [str(col)] + ["" if _missing(v) else str(v) for v in frame[col]]
        for i, value in enumerate(values):
            cell = table.cell(i, j)
            cell.margin_left = cell.margin_right = Inches(_CELL_PAD / 2)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            _text(cell.text_frame, value, size, bold=(i == 0), color="FFFFFF" if i == 0 else "111827",
                  align=PP_ALIGN.RIGHT if numeric[j] and i > 0 else None)


def _page(prs: Any, s: Slide, lang: str, number: int, total: int) -> None:
    from pptx.util import Inches

    page = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only": a real title placeholder
    _title(page, s.title, s.subtitle)
    boxes = _boxes(s)
    if "figures" in boxes:
        _figures(page, boxes["figures"], s.figures)
    if "faces" in boxes:
        _faces(page, boxes["faces"], s)
    if "chart" in boxes:
        left, top, w, h = boxes["chart"]
        png = chart_png(s.chart, 2, width=int(w * PX_PER_IN), height=int(h * PX_PER_IN))
        page.shapes.add_picture(io.BytesIO(png), Inches(left), Inches(top), Inches(w), Inches(h))
    if "table" in boxes:
        _table_shape(page, boxes["table"], s.table)
    if "notes" in boxes:
        text_slide = "chart" not in boxes and "table" not in boxes
        _textbox(page, boxes["notes"], [f"• {n}" for n in s.notes[:3]], 22 if text_slide else 13,
                 color="334155")
    footer = t("meeting.footer", lang, n=number, total=total)
    if s.manager_only:
        footer = t("meeting.manager_only", lang) + " · " + footer
    _textbox(page, (SLIDE_W - MARGIN - 4.0, SLIDE_H - 0.4, 4.0, 0.3), footer, 10, color="94A3B8")
    if s.notes:  # all notes also as speaker notes (the slide shows three at most)
        page.notes_slide.notes_text_frame.text = "\n".join(s.notes)


def _faces(page: Any, box: tuple[float, float, float, float], s: Slide) -> None:
    """The star board's reps side by side: the round picture, then name and revenue."""
    from pptx.util import Inches

    left, top, width, height = box
    each = width / len(s.faces)
    for i, face in enumerate(s.faces):
        x = left + i * each
        page.shapes.add_picture(io.BytesIO(face.png), Inches(x), Inches(top), Inches(height), Inches(height))
        _textbox(page, (x + height + 0.15, top + 0.1, each - height - 0.3, height - 0.1),
                 [face.name, face.caption], 16, color="111827")


def _parts(s: Slide, lang: str) -> list[Slide]:
    """``s`` as deck pages: one, or for a table longer than DECK_ROWS rows as many pages of
    (nearly) equal parts, the later ones titled "(continued)" with the table alone (the
    figures and the chart stay on the first); every part keeps the notes."""
    if s.table is None or len(s.table) <= DECK_ROWS:
        return [s]
    count = -(-len(s.table) // DECK_ROWS)
    size = -(-len(s.table) // count)
    out = [dataclasses.replace(s, table=s.table.iloc[:size].reset_index(drop=True))]
    more = t("report.continued", lang, title=s.title)
    for start in range(size, len(s.table), size):
        part = s.table.iloc[start:start + size].reset_index(drop=True)
        out.append(dataclasses.replace(s, title=more, kind="table", figures={}, chart=None, table=part,
                                       faces=()))
    return out


def pptx_bytes(items: list[Slide], lang: str, title: str, subtitle: str) -> bytes:
    """A 16:9 deck: a title slide, then one slide per item, a long table over several (see
    :func:`_parts`; charts as PNG pictures, tables as PowerPoint tables, East Asian font named
    on every run)."""
    from pptx import Presentation
    from pptx.util import Emu, Inches

    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Inches(SLIDE_H)
    first = prs.slides.add_slide(prs.slide_layouts[0])
    head = first.shapes.title
    head.left, head.top, head.width, head.height = Inches(1), Inches(2.3), Inches(SLIDE_W - 2), Inches(1.4)
    _text(head.text_frame, title, 40, bold=True)
    sub = first.placeholders[1]
    sub.left, sub.top, sub.width, sub.height = Inches(1), Inches(3.9), Inches(SLIDE_W - 2), Inches(1.4)
    _text(sub.text_frame, subtitle.split("\n"), 18, color="475569")
    pages = [part for s in items for part in _parts(s, lang)]
    for i, s in enumerate(pages, start=1):
        _page(prs, s, lang, i, len(pages))
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def deck_pptx(con: Con, period: Period, lang: str, *, anonymize: bool = False, rep_safe: bool = False,
              scope: Scope = Scope(), when: date | None = None) -> bytes:
    """The meeting deck (PPTX bytes) for ``period``: a title slide and every slide of
    :func:`slides` in ``lang`` (for ``con``'s user: a viewer's deck has no pay or retention
    slide, and its title slide says so)."""
    items = slides(con, period, lang, scope=scope, anonymize=anonymize, rep_safe=rep_safe, when=when)
    day = when or metrics.as_of(con)
    title = t("meeting.deck_title", lang)
    subtitle = t("meeting.deck_subtitle", lang, period=period.label,
                 scope=scope.team or t("meeting.all_teams", lang), date=day.isoformat() if day else "—")
    if rep_safe:
        subtitle += "\n" + t("meeting.deck_rep_safe", lang)
    user = audience(con)
    if user is not None and left_out(user):
        subtitle += "\n" + t("meeting.access.left_out", lang, role=t(f"access.role.{user.role}", lang))
    return pptx_bytes(items, lang, title, subtitle)


def deck_file_name(period: Period, lang: str) -> str:
    """A file name for the deck: salescore_meeting_<period>_<lang>.pptx."""
    return f"salescore_meeting_{period.label}_{lang}.pptx"

