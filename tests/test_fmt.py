"""salescore.fmt: money (whole, short 万/亿 and k/M, negative), cents, the column pattern,
percentages, counts, days, points and the two escapes (markdown, spreadsheet formulas)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from salescore import fmt


@pytest.mark.parametrize("value, expected", [
    (1234567.4, "¥1,234,567"),
    (0, "¥0"),
    (-1500, "-¥1,500"),
    (Decimal("1234.56"), "¥1,235"),
    (None, "—"),
    (float("nan"), "—"),
])
def test_money_whole_units(value, expected):
    assert fmt.money(value) == expected == fmt.money(value, "en")


@pytest.mark.parametrize("value, zh, en", [
    (45_678, "¥4.6万", "¥45.7k"),
    (11_930_000, "¥1,193万", "¥11.93M"),
    (123_000_000, "¥1.23亿", "¥123.00M"),
    (9_999, "¥9,999", "¥10.0k"),           # under 1万: whole yuan in Chinese
    (999, "¥999", "¥999"),
    (-45_678, "-¥4.6万", "-¥45.7k"),
    (-1_230_000, "-¥123万", "-¥1.23M"),
])
def test_money_short(value, zh, en):
    assert fmt.money(value, "zh", wan=True) == zh
    assert fmt.money(value, "en", wan=True) == en


def test_money_other_currency():
    assert fmt.money(1234, currency="$") == "$1,234"
    assert fmt.CURRENCY == "¥"


@pytest.mark.parametrize("value, expected", [
    (1234.5, "¥1,234.50"), (0.005, "¥0.01"), (-0.5, "-¥0.50"), (Decimal("99.99"), "¥99.99"),
    (None, "—"), (float("nan"), "—")])
def test_cents(value, expected):
    assert fmt.cents(value) == expected


def test_money_pattern():
    assert fmt.money_pattern() == "¥%,.0f"
    assert fmt.money_pattern(2) == "¥%,.2f"
    assert fmt.money_pattern(currency="%") == "%%%,.0f"     # a literal % is doubled for printf


def test_pct_number_days_points():
    assert fmt.pct(0.1234) == "12.3%" and fmt.pct(0.5, 0) == "50%" and fmt.pct(-0.05) == "-5.0%"
    assert fmt.pct(None) == "—"
    assert fmt.number(1234.6) == "1,235" and fmt.number(3.14159, 2) == "3.14" and fmt.number(None) == "—"
    assert fmt.days(42.46, "zh") == "42.5 天" and fmt.days(1, "en") == "1.0 days" and fmt.days(None) == "—"
    assert fmt.points(0.032, "zh") == "+3.2 个百分点"
    assert fmt.points(-0.032, "en") == "-3.2 pts"
    assert fmt.points(0.032, "en", short=True) == "+3.2pt" == fmt.points(0.032, "zh", short=True)
    assert fmt.points(None) == "—"


def test_md_escape():
    assert fmt.md_escape("**x** ![a](b)") == r"\*\*x\*\* \!\[a\]\(b\)"
    assert fmt.md_escape("<b>hi</b>") == r"\<b\>hi\</b\>"
    assert fmt.md_escape("Ann Lee") == "Ann Lee"
    assert fmt.md_escape("张三") == "张三"
    assert fmt.md_escape(12) == "12"


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+86 123", "'+86 123"), ("-100", "'-100"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("abc", "abc"), ("a=b", "a=b"), ("", ""),
    (5, 5), (-3.5, -3.5), (None, None)])
def test_safe_cell(value, expected):
    assert fmt.safe_cell(value) == expected


def test_safe_cell_keep_numbers():
    assert fmt.safe_cell("-100", keep_numbers=True) == "-100"
    assert fmt.safe_cell("+1.5", keep_numbers=True) == "+1.5"
    assert fmt.safe_cell("-x", keep_numbers=True) == "'-x"
    assert fmt.safe_cell("=1", keep_numbers=True) == "'=1"
