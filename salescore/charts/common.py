"""What every chart shares: the font, the palette, the theme and a few recurring encodings."""
from __future__ import annotations

import json

import altair as alt
import pandas as pd

from salescore import fmt

FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
PALETTE = {"actual": "#2563eb", "target": "#f59e0b", "good": "#16a34a", "bad": "#dc2626",
           "neutral": "#64748b"}


#: A wrapped line holds this many half-em units by default: 40 Latin characters or 20 Chinese.
LINE_WRAP = 40
#: The labelExpr of an axis whose labels are :func:`wrapped`: one line per newline.
LINES = "split(datum.label, '\\n')"
_NO_LINE_START = set("，。、；：！？）》」』】”’,.;:!?)]}%")


def _wide(ch: str) -> bool:
    """A full-width character (CJK, full-width punctuation; curly quotes, which the CJK font
    draws full-width): two half-em units."""
    return (ord(ch) >= 0x2E80 and not 0xFF61 <= ord(ch) <= 0xFFDC) or ch in "“”‘’"


def wrap_text(text: str, width: int = LINE_WRAP) -> list[str]:
    """``text`` in lines of at most ``width`` half-em units (a CJK character counts 2). Latin
    words stay whole (a word longer than a line is cut); CJK text breaks between any two
    characters, but closing punctuation (，。） ...) never starts a line. Joined without the
    break spaces, the lines give back the text (whitespace runs become one space)."""
    tokens: list[str] = []          # words (with their trailing space) and single CJK chars
    words = str(text).split()
    for word in (w + " " if k < len(words) - 1 else w for k, w in enumerate(words)):
        buf = ""
        for ch in word:
            if _wide(ch):
                if buf:
                    tokens.append(buf)
                    buf = ""
                tokens.append(ch)
            else:
                buf += ch
        if buf:
            tokens.append(buf)
    lines, line, used = [], "", 0
    for tok in tokens:
        size = sum(2 if _wide(c) else 1 for c in tok.rstrip())
        if line and used + size > width and tok[0] not in _NO_LINE_START:
            lines.append(line.rstrip())
            line, used = "", 0
        while not line and size > width:            # an over-long Latin word: cut it
            lines.append(tok[:width])
            tok = tok[width:]
            size = len(tok.rstrip())
        line += tok
        used += size + (len(tok) - len(tok.rstrip()))
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def wrapped(text: str, width: int) -> str:
    """``text`` in lines of ``width`` half-em units (:func:`wrap_text`) joined by newlines, for
    an axis whose labelExpr is :data:`LINES`."""
    return "\n".join(wrap_text(text, width))


#: Height of one bar of a bar chart (px of the plot area; salescore.ui.draw makes a chart's
#: height its plot's). Vega-Lite hides band labels that would overlap, and a 12 px CJK label
#: needs ~18 px: at 24 px every name of a 23-rep chart shows.
BAR_STEP = 24
#: Longest band label before Vega-Lite cuts it with "…" (its default is 180 px).
LABEL_LIMIT = 320


def bar_height(bars: int, step: int = BAR_STEP, minimum: int = 120) -> int:
    """The plot height of a chart of ``bars`` horizontal bars (or heatmap rows): ``step`` px
    each, never under ``minimum``."""
    return max(minimum, step * int(bars))


def band_axis(**kwargs) -> alt.Axis:
    """The axis of bar names (reps, customers, levers): every label, none cut short."""
    return alt.Axis(labelLimit=LABEL_LIMIT, labelOverlap=False, **kwargs)


def short_expr(lang: str, currency: str | None = None, field: str = "datum.value",
               spec: str = ",~f") -> str:
    """A Vega expression that writes the figure ``field`` with the scale words of the cards
    (fmt.SCALE_WORDS: 250万 / 1.5亿 in Chinese, 250k / 1.5M in English), a minus sign first
    and then ``currency`` (a symbol; None: the figure is not money). ``spec``: the d3 format
    of the scaled figure (",.3~r" for three significant digits on a bar's label)."""
    symbol = json.dumps(currency or "", ensure_ascii=False)
    size = f"abs({field})"
    sign = f"({field} < 0 ? '-' : '')"
    text = f"format({size}, '{spec}')"
    for unit, word in reversed(fmt.scale_words(lang)):
        scaled = f"format({size} / {unit:g}, '{spec}') + {json.dumps(word, ensure_ascii=False)}"
        text = f"{size} >= {unit:g} ? {scaled} : {text}"
    return f"{sign} + {symbol} + ({text})"


def short_axis(lang: str, currency: str | None = None, **kwargs) -> alt.Axis:
    """The axis of an amount or a count: labels with the cards' scale words (:func:`short_expr`),
    the currency symbol when ``currency`` is not None."""
    return alt.Axis(labelExpr=short_expr(lang, currency), **kwargs)


def money_format(spec: str, currency: str | None) -> str:
    """The d3 format of an amount on a chart that shows money (``currency`` not None):
    ``spec`` with d3's currency slot ('$,.0f', '+$,.0f'), which prints the symbol of the
    chart's locale (:func:`theme`); ``spec`` unchanged when the figure is not money."""
    if currency is None:
        return spec
    sign = spec[0] if spec[:1] in ("+", "-", "(", " ") else ""
    return f"{sign}${spec[len(sign):]}"


def number_locale(currency: str) -> alt.Locale:
    """The chart locale whose currency is ``currency`` (the reporting currency's symbol, ''
    while it is not known: then money shows without a symbol, never a guessed one)."""
    return alt.Locale(number=alt.NumberLocale(decimal=".", thousands=",", grouping=[3],
                                              currency=[currency, ""]))


def theme(chart: alt.TopLevelMixin, currency: str | None = None) -> alt.TopLevelMixin:
    """``chart`` with the shared font, axis, legend and view configuration; a chart that
    shows money names its ``currency`` (the symbol :func:`money_format` prints)."""
    extra = {} if currency is None else {"locale": number_locale(currency)}
    return (chart.configure(font=FONT, **extra)
            .configure_axis(labelFontSize=12, titleFontSize=12, grid=True, gridOpacity=0.4)
            .configure_legend(orient="top", title=None, labelFontSize=12)
            .configure_view(strokeWidth=0))


def month_x() -> alt.X:
    """The month axis of every monthly chart: column ``month``, ordinal, labels slanted."""
    return alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-45))


def updown(up_good: bool = True) -> alt.Scale:
    """Colours of a True/False column saying "went up": green for good, red for bad
    (``up_good`` False for a cost, where up is bad)."""
    good, bad = PALETTE["good"], PALETTE["bad"]
    return alt.Scale(domain=[True, False], range=[good, bad] if up_good else [bad, good])


def pace_rule(pace: float) -> alt.Chart:
    """A dashed vertical rule at ``pace`` (the share of the period elapsed) on an x scale."""
    return alt.Chart(pd.DataFrame({"pace": [pace]})).mark_rule(
        color=PALETTE["neutral"], strokeDash=[4, 4]).encode(x="pace:Q")
