"""Every user-visible string exists in English and Chinese, and every key used exists."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from salescore import fmt, i18n

ROOT = Path(__file__).resolve().parents[1]


def test_same_keys_in_both_languages():
    en, zh = i18n.catalogue("en"), i18n.catalogue("zh")
    assert sorted(set(en) - set(zh)) == []
    assert sorted(set(zh) - set(en)) == []


def test_placeholders_match():
    en, zh = i18n.catalogue("en"), i18n.catalogue("zh")
    for key in en:
        assert set(re.findall(r"{(\w+)}", en[key])) == set(re.findall(r"{(\w+)}", zh[key])), key


def test_no_empty_strings():
    for lang in i18n.LANGS:
        assert [k for k, v in i18n.catalogue(lang).items() if not v.strip()] == []


# Literal keys passed to t("...") / i18n.t("...") anywhere in the code must exist.
_LITERAL = re.compile(r"""\b(?:t|tx)\(\s*["']([a-z_]+\.[a-z_.]+)["']""")


@pytest.mark.parametrize("path", sorted(
    [*ROOT.glob("pages/*.py"), ROOT / "app.py", *ROOT.glob("salescore/**/*.py")]), ids=lambda p: p.name)
def test_literal_keys_exist(path):
    keys = set(_LITERAL.findall(path.read_text(encoding="utf-8")))
    missing = sorted(k for k in keys if not i18n.has(k, "en") or not i18n.has(k, "zh"))
    assert missing == [], f"{path.name} uses keys missing from the catalogues"


def test_normalise_and_fallback():
    assert i18n.normalise("zh-CN") == "zh"
    assert i18n.normalise("en-GB") == "en"
    assert i18n.normalise(None) == "zh"
    assert i18n.t("nav.overview", "zh") == "总览"
    assert i18n.t("alert.team_behind", "en", team="North", gap="18%") == "North is 18% behind pace."
    assert i18n.t("no.such.key", "en") == "no.such.key"


def test_money_and_percent_formats():
    assert fmt.money(1234567.4, "en") == "¥1,234,567"
    assert fmt.money(1234567, "zh", wan=True) == "¥123万"
    assert fmt.money(45678, "zh", wan=True) == "¥4.6万"
    assert fmt.money(312_000_000, "zh", wan=True) == "¥3.12亿"
    assert fmt.money(1234567, "en", wan=True) == "¥1.23M"
    assert fmt.money(-5000, "en") == "-¥5,000"
    assert fmt.money(None, "en") == "—"
    assert fmt.pct(0.1234) == "12.3%"
    assert fmt.pct(float("nan")) == "—"
    assert fmt.points(0.032, "en") == "+3.2 pts"
    assert fmt.days(42.46, "zh") == "42.5 天"
