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


def money(value: Any, lang: str = "zh", *, wan: bool = False, currency: str = CURRENCY) -> str:
    """¥1,234,568 (whole units); short (``wan``): zh ¥4.6万 / ¥1,193万 / ¥1.23亿, en ¥45.6k /
    ¥1.23M. Missing -> '—'."""
    if missing(value):
        return "—"
    amount = float(Decimal(str(value)))
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if wan and lang == "zh":
        if amount >= 1e8:
            return f"{sign}{currency}{amount / 1e8:,.2f}亿"
        if amount >= 1e6:
            return f"{sign}{currency}{amount / 1e4:,.0f}万"
        if amount >= 1e4:
            return f"{sign}{currency}{amount / 1e4:,.1f}万"
    if wan and lang != "zh":
        if amount >= 1e6:
            return f"{sign}{currency}{amount / 1e6:,.2f}M"
        if amount >= 1e3:
            return f"{sign}{currency}{amount / 1e3:,.1f}k"
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
