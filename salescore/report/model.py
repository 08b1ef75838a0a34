"""What a meeting slide is: the Figure and Slide records, the slide keys and the deck's
geometry and fonts (shared by the slide builders, the page and the PPTX writer)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import duckdb
import pandas as pd

from salescore import fmt

Con = duckdb.DuckDBPyConnection
#: ``call(fn, *args, **kwargs)`` -> ``fn(con, *args, **kwargs)``, e.g. the page's cached ui.query.
Call = Callable[..., Any]

#: The slides in meeting order (DESIGN §7 "Meeting"); MANAGER_ONLY are left out when rep-safe.
SLIDE_KEYS = ("kpis", "leaderboard", "pacing", "funnel", "movement", "incentives", "payouts", "retention",
              "actions")
MANAGER_ONLY = frozenset({"payouts", "retention"})
#: The page whose figures a slide shows (app.py's url paths): a user who may not open that page
#: (salescore.access.may_open) gets no such slide, and no plan stands in for the one they
#: cannot see (a viewer: no pay, no retention watch-list).
SLIDE_PAGES = {"incentives": "incentives", "payouts": "incentives", "retention": "retention"}
#: Layouts a slide can have (what the page and the deck draw, top to bottom / left to right).
KINDS = ("figures", "chart", "table", "chart_table", "text")

#: Rows at most in one slide table; the deck splits a longer table over "(continued)"
#: slides of DECK_ROWS rows each (a projector shows ~12 rows readable from the back).
MAX_ROWS = {"leaderboard": 10, "retention": 12, "actions": 12, "payouts": 36}
DECK_ROWS = 12

#: Deck geometry (inches): 16:9 and the content box under the title.
SLIDE_W, SLIDE_H = 12192000 / 914400, 7.5   # PowerPoint's own 16:9 (12,192,000 EMU)
MARGIN = 0.45
#: Chart pixels per inch of slide (72: a 12 px chart label shows as 12 pt); PNGs are rendered
#: at this size x scale (2 = sharp on a 4K projector).
PX_PER_IN = 72
#: East Asian and Latin typefaces named on every run of the deck.
EA_FONT = "Microsoft YaHei"
LATIN_FONT = "Calibri"


@dataclass(frozen=True)
class Figure:
    """One big number: label, value (formatted), delta (formatted or None), delta_color
    ('normal' = up is good, 'inverse' = down is good, 'off'), help."""

    label: str
    value: str
    delta: str | None = None
    delta_color: str = "normal"
    help: str | None = None


@dataclass(frozen=True)
class Face:
    """A rep on the star board: name, a caption (revenue won), a round picture (PNG: the
    photo, or the initials in a circle)."""

    name: str
    caption: str
    png: bytes


#: How many of the best reps a star board shows with their picture.
FACES = 3


@dataclass(frozen=True, eq=False)
class Slide:
    """One meeting slide, in the chosen language and with the anonymity already applied.

    key (SLIDE_KEYS), title, subtitle, kind (KINDS), figures ({code name: Figure}, in display
    order), table (display-ready: translated headers, formatted text; None without one), chart
    (an Altair chart or None), manager_only, notes (sentences shown under the slide).
    """

    key: str
    title: str
    subtitle: str
    kind: str
    figures: dict[str, Figure] = field(default_factory=dict)
    table: pd.DataFrame | None = None
    chart: alt.TopLevelMixin | None = None
    manager_only: bool = False
    notes: tuple[str, ...] = ()
    faces: tuple[Face, ...] = ()       # the star board's best reps (none when anonymized)



_missing = fmt.missing
