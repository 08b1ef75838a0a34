"""The team-meeting pack: slides built from the library, as a PPTX deck and PNG charts.

:func:`slides` turns the figures other modules compute (metrics, goals, incentives, retention,
evaluation) into a list of :class:`Slide` objects; nothing is recomputed here, the slides only
choose, label and format. The Meeting page draws them one at a time; :func:`deck_pptx` writes
the same slides to a 16:9 PowerPoint file (charts as PNG pictures rendered by vl-convert,
tables as real PowerPoint tables); :func:`chart_png` renders one chart.

Options: ``anonymize`` replaces every sales rep's name by initials (``Emma Carter`` -> ``E.C.``,
``张伟`` -> ``张某``) in figures, tables, notes and charts alike; ``rep_safe`` leaves out the
manager-only slides (the retention watch-list and individual payouts).

Who sees what: the slides follow the connection's user (salescore.access). A slide showing
the figures of a page the user may not open (SLIDE_PAGES, access.may_open) is left out, and
no plan is used for them: a viewer's deck has no incentives, payouts or retention slide, no
rewards on the leaderboard, and the template plan never stands in for the plan they cannot see.

Fonts: chart PNGs use the system fonts (Debian ``fonts-noto-cjk`` for Chinese); the deck names
an East Asian typeface (``a:ea``) on every text run so PowerPoint picks a CJK font.

- :mod:`.model`   Figure, Slide, slide keys, deck geometry
- :mod:`.names`   initials and aliases for anonymized slides
- :mod:`.build`   the library calls behind one meeting
- :mod:`.slides`  one builder per slide
- :mod:`.layout`  text fitting and where each part of a slide goes
- :mod:`.deck`    the PPTX writer
"""
from __future__ import annotations

from salescore.errors import SalesCoreError
from salescore.images import chart_png, sized
from salescore.report.model import (DECK_ROWS, EA_FONT, KINDS, LATIN_FONT, MANAGER_ONLY, MARGIN, MAX_ROWS, PX_PER_IN,
                                    SLIDE_H, SLIDE_KEYS, SLIDE_PAGES, SLIDE_W, Call, Con, Face, Figure, Slide)
from salescore.report.names import aliases, initials, rep_names
from salescore.report.build import may_show
from salescore.report.slides import left_out, slide, slide_keys, slides
from salescore.report.layout import _boxes, slide_png
from salescore.report.deck import deck_file_name, deck_pptx, pptx_bytes

__all__ = [
    "DECK_ROWS", "EA_FONT", "KINDS", "LATIN_FONT", "MANAGER_ONLY", "MARGIN", "MAX_ROWS", "PX_PER_IN", "SLIDE_H",
    "SLIDE_KEYS", "SLIDE_PAGES", "SLIDE_W", "Call", "Con", "Face", "Figure", "SalesCoreError", "Slide", "_boxes",
    "aliases", "chart_png", "deck_file_name", "deck_pptx", "initials", "left_out", "may_show",
    "pptx_bytes", "rep_names", "sized", "slide", "slide_keys", "slide_png", "slides",
]
