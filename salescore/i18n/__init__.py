"""User-visible strings in English and Chinese (en.toml, zh.toml: the same keys).

``t("overview.title", "zh")`` returns the sentence; ``{name}`` placeholders are filled from
keyword arguments. A missing key is a bug caught by tests/test_i18n.py, so at run time it falls
back to English and then to the key itself rather than crashing a page.
"""
from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, full + "."))
        else:
            out[full] = str(value)
    return out


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every key of one language, dotted (``overview.title``)."""
    text = resources.files("salescore.i18n").joinpath(f"{lang}.toml").read_text(encoding="utf-8")
    return _flatten(tomllib.loads(text))


def normalise(lang: str | None) -> str:
    """'zh', 'zh-CN', 'en-US' ... -> 'zh' or 'en'; anything else -> the default."""
    if lang:
        head = str(lang).strip().lower()[:2]
        if head in LANGS:
            return head
    return DEFAULT_LANG


def t(key: str, lang: str, /, **params: Any) -> str:
    """The string for ``key`` in ``lang`` with ``{placeholders}`` filled in."""
    lang = normalise(lang)
    text = catalogue(lang).get(key) or catalogue("en").get(key) or key
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def has(key: str, lang: str) -> bool:
    return key in catalogue(normalise(lang))


def plural_key(key: str, lang: str, count: Any) -> str:
    """``key`` + "_one" when ``count`` is 1 and ``lang`` has that form ("1 row", not "1 rows");
    else ``key``. Chinese needs no second form: its catalogue simply has none."""
    try:
        one = float(str(count).replace(",", "")) == 1
    except ValueError:
        one = False
    return f"{key}_one" if one and has(f"{key}_one", lang) else key


def tn(key: str, lang: str, count: Any, /, **params: Any) -> str:
    """:func:`t` for a sentence about ``count`` things, in the right singular or plural form."""
    return t(plural_key(key, lang, count), lang, **params)


def error_text(err: Exception, lang: str) -> str:
    """A SalesCoreError in the user's language (its English message when no key matches)."""
    key = getattr(err, "key", None)
    params = getattr(err, "params", {}) or {}
    if key and has(key, lang):
        return t(key, lang, **params)
    return str(err)
