"""Money, percentages and counts formatted per language (used by the UI, CLI and deck)."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any


def missing(value: Any) -> bool:
    """True for a value that is not there: None, NaN (float or numpy), NaT or pandas' NA."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):   # pandas NA refuses bool(); arrays are never "missing"
        return type(value).__name__ == "NAType"


#: The symbol of the demo company's currency (CNY), the default of the formatters below. The
#: app passes the data's own currency (db.reporting_currency -> :func:`symbol`).
CURRENCY = "¥"

#: Symbols of the currencies the importer recognises (ISO 4217 code -> what is shown).
SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "JP¥", "HKD": "HK$",
           "TWD": "NT$", "SGD": "S$", "AUD": "A$", "CAD": "C$", "KRW": "₩", "INR": "₹"}


def symbol(code: str | None) -> str:
    """What amounts in currency ``code`` are shown with: ¥ for CNY, $ for USD ...; an
    unlisted code is shown as itself ("CHF "); no currency known: no symbol at all (never a
    guessed ¥, DESIGN.md section 4)."""
    if not code:
        return ""
    code = str(code).upper()
    return SYMBOLS.get(code, f"{code} ")


#: The scale words of short figures per language, largest first: (size, word). One set per
#: language for every place that shortens a figure: the cards (:func:`money` with ``wan``)
#: and the chart axes (salescore.charts.common.short_axis). Chinese counts in 万 and 亿,
#: English in k and M.
SCALE_WORDS: dict[str, tuple[tuple[float, str], ...]] = {
    "zh": ((1e8, "亿"), (1e4, "万")),
    "en": ((1e6, "M"), (1e3, "k")),
}


def scale_words(lang: str) -> tuple[tuple[float, str], ...]:
    """:data:`SCALE_WORDS` of ``lang`` (English for any language but Chinese)."""
    return SCALE_WORDS["zh" if lang == "zh" else "en"]


def money(value: Any, lang: str = "zh", *, wan: bool = False, currency: str = CURRENCY) -> str:
    """¥1,234,568 (whole units); short (``wan``, the words of :data:`SCALE_WORDS`): zh ¥4.6万 /
    ¥1,193万 / ¥1.23亿, en ¥45.6k / ¥1.23M. Missing -> '—'."""
    if missing(value):
        return "—"
    amount = float(Decimal(str(value)))
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if wan:
        (top, _), *_ = words = scale_words(lang)
        for size, word in words:
            if amount >= size:
                # the largest word to the cent of its unit; 万 whole from 100万 (¥1,193万)
                digits = 2 if size == top else 0 if lang == "zh" and amount >= 100 * size else 1
                return f"{sign}{currency}{amount / size:,.{digits}f}{word}"
    return f"{sign}{currency}{amount:,.0f}"


def cents(value: Any, currency: str = CURRENCY) -> str:
    """¥1,234.56 (to the cent, as paid); missing -> '—'."""
    if missing(value):
        return "—"
    amount = round(float(value), 2)
    return f"{'-' if amount < 0 else ''}{currency}{abs(amount):,.2f}"


def money_pattern(digits: int = 0, currency: str = CURRENCY) -> str:
    """The printf pattern a table column shows money with ('¥%,.0f'), for Streamlit's
    NumberColumn(format=...)."""
    return f"{currency.replace('%', '%%')}%,.{digits}f"


def pct(value: Any, digits: int = 1) -> str:
    """0.1234 -> '12.3%'. Missing -> '—'."""
    if missing(value):
        return "—"
    return f"{float(value) * 100:.{digits}f}%"


def number(value: Any, digits: int = 0) -> str:
    """1234.5 -> '1,235'. Missing -> '—'."""
    if missing(value):
        return "—"
    return f"{float(value):,.{digits}f}"


def days(value: Any, lang: str = "zh") -> str:
    """Days, one decimal: '42.5 天' / '42.5 days'."""
    if missing(value):
        return "—"
    return f"{float(value):,.1f} 天" if lang == "zh" else f"{float(value):,.1f} days"


def points(value: Any, lang: str = "zh", *, short: bool = False) -> str:
    """A change in a rate, in percentage points: '+3.2 pts' / '+3.2 个百分点' ('+3.2pt' short)."""
    if missing(value):
        return "—"
    v = float(value) * 100
    if short:
        return f"{v:+.1f}pt"
    return f"{v:+.1f} 个百分点" if lang == "zh" else f"{v:+.1f} pts"


def dates_only(frame: Any) -> Any:
    """``frame`` (a DataFrame) with each timestamp column that holds no time of day as plain
    dates (missing ones None), so a table shows 2026-12-31, not 2026-12-31 00:00:00; the
    frame itself when there is none. Columns with real times are left as they are."""
    stamps = [c for c in frame.columns if str(frame[c].dtype).startswith("datetime64")]
    whole = [c for c in stamps if (frame[c].dropna() == frame[c].dropna().dt.normalize()).all()]
    if not whole:
        return frame
    return frame.assign(**{c: [None if missing(v) else v.date() for v in frame[c]] for c in whole})


_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>~$:"})


def md_escape(text: Any) -> str:
    """``text`` with every markdown/HTML-significant character backslash-escaped, so a name
    like ``**x** ![img](http://...)`` shows as typed in st.markdown, st.warning, captions."""
    return str(text).translate(_MARKDOWN)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[-+]?\d+(\.\d+)?$")


def safe_cell(value: Any, *, keep_numbers: bool = False) -> Any:
    """A value safe for a spreadsheet cell (CSV/formula injection, OWASP): text starting with
    = + - @, a tab or CR gets a leading apostrophe. ``keep_numbers`` leaves plain-number text
    such as "-100" as it is (the importer's rejected-rows sheet shows cells as the user typed
    them). Anything that is not text is returned unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        if keep_numbers and _PLAIN_NUMBER.match(value.strip()):
            return value
        return "'" + value
    return value
