"""One sign convention and one sum on every statement (issue 18): the screen's summary
(incentives.statement_text, what salescore/ui/statement.py draws on Incentives and My results),
the printable HTML's and the XLSX's (read back with python-calamine) each add up to the total
payout to the cent, deductions negative in all three; XLSX days are dates; the words are the
reader's (template rewards, special-reward lines, no internal keys)."""
from __future__ import annotations

import io
import math
import re
from datetime import date

import pytest
from python_calamine import CalamineWorkbook

from salescore import db, fmt, i18n, retention
from salescore import incentives as inc
from tests.test_clawbacks import PLAN as CLAW_PLAN
from tests.test_clawbacks import claw  # noqa: F401  (the fixture: carried balances by hand)
from tests.test_incentives import _tables

pytestmark = pytest.mark.backends

_MONEY = re.compile(r"^-?[^\d\s-]*\d{1,3}(,\d{3})*\.\d\d$")


def _amount(text: str) -> float:
    """'-¥59,882.80' -> -59882.8 (the screen and the HTML show money like that)."""
    assert _MONEY.match(text), text
    return float(re.sub(r"[^\d.-]", "", text))


def _screen(view: inc.StatementText) -> tuple[dict[str, float], float]:
    return {label: _amount(v) for label, v in view.summary}, _amount(view.total[1])


def _html(page: str, labels: dict) -> tuple[dict[str, float], float]:
    rows = _tables(page)["summary"]
    assert rows[0] == [labels["component"], labels["amount"]]
    at = [r[0] for r in rows].index(labels["total"])
    return {k: _amount(v) for k, v in rows[1:at]}, _amount(rows[at][1])


def _xlsx(data: bytes, labels: dict) -> tuple[dict[str, float], float, list[list]]:
    """(summary, total, explanation lines) of a statement workbook, as calamine reads it."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = book.get_sheet_by_name(labels["statement"]).to_python()
    start = rows.index([labels["component"], labels["amount"], *[""] * (len(rows[0]) - 2)])
    end = next(i for i in range(start, len(rows)) if rows[i][0] == labels["total"])
    summary = {r[0]: r[1] for r in rows[start + 1:end]}
    assert all(isinstance(v, float) for v in summary.values()), summary
    head = [labels[c] for c in inc.LINE_COLUMNS]
    first = next(i for i, r in enumerate(rows) if r[:len(head)] == head)
    return summary, rows[end][1], rows[first + 1:]


def _sums_to(summary: dict[str, float], total: float) -> bool:
    return round(math.fsum(summary.values()), 2) == round(total, 2)


@pytest.fixture(scope="module")
def demo(demo_copy, tmp_path_factory):
    con = db.connect(demo_copy(tmp_path_factory.mktemp("statements") / "demo.duckdb", "zh"))
    yield con
    con.close()


@pytest.mark.parametrize("period", ["2026-Q3", "2026-Q4"])
def test_every_demo_statement_adds_up_the_same_on_screen_in_html_and_in_xlsx(demo, period):
    lang = "zh"
    plan = retention.active_plan(demo, date(2026, 12, 31)).plan
    labels = inc.statement_labels(lang)
    currency = fmt.symbol(db.reporting_currency(demo))
    cut = labels["decelerator_cut"]
    items = inc.statements(demo, plan, period)
    assert len(items) == 23
    cuts = 0
    for rep_id, (row, lines) in items.items():
        screen = _screen(inc.statement_text(row, lines, labels, period, plan.name, currency))
        html = _html(inc.statement_html(row, lines, {}, period, plan.name, lang, currency), labels)
        summary, total, shown = _xlsx(inc.statement_xlsx(row, lines, labels, period, plan.name, currency), labels)
        for where, (parts, shown_total) in {"screen": screen, "html": html, "xlsx": (summary, total)}.items():
            assert shown_total == row["total"], (rep_id, where)
            assert _sums_to(parts, shown_total), (rep_id, where, parts, shown_total)
        assert screen[0] == html[0] == summary, rep_id          # the same lines, the same signs
        # the components themselves add up: nothing but a cent of rounding is made up
        made_up = {k: v for k, v in summary.items() if k not in {labels[n] for n in inc.SUMMARY_PARTS}}
        assert set(made_up) <= {labels["rounding"]} and all(abs(v) <= 0.011 for v in made_up.values()), made_up
        if row["decelerator_cut"]:
            cuts += 1
            assert summary[cut] == -row["decelerator_cut"] < 0, rep_id
        assert len(shown) == len(lines)
        assert all(isinstance(r[2], date) for r in shown if r[0] != labels["rounding"]), rep_id
    assert cuts >= 5                                             # the demo has under-target reps


def test_the_q4_cut_of_the_issue_is_negative_everywhere(demo):
    """The under-target cut the issue saw as +59,882.80 (screen, XLSX) and -¥59,882.80 (HTML)."""
    plan = retention.active_plan(demo, date(2026, 12, 31)).plan
    labels = inc.statement_labels("en")
    row, lines = next(v for v in inc.statements(demo, plan, "2026-Q4").values() if v[0]["decelerator_cut"] == 59882.8)
    view = inc.statement_text(row, lines, labels, "2026-Q4", plan.name, "¥")
    assert dict(view.summary)["Under-target cut"] == "-¥59,882.80"
    assert dict(_tables(inc.statement_html(row, lines, {}, "2026-Q4", plan.name, "en", "¥"))["summary"][1:])[
        "Under-target cut"] == "-¥59,882.80"
    assert _xlsx(inc.statement_xlsx(row, lines, labels, "2026-Q4", plan.name, "¥"), labels)[0][
        "Under-target cut"] == -59882.8
    # the per-rep table shows the same sign (incentives.signed); the payouts frame keeps DESIGN §5's
    frame = inc.payouts(demo, plan, "2026-Q4")
    assert (inc.signed(frame)["decelerator_cut"] == -frame["decelerator_cut"]).all()
    assert frame["decelerator_cut"].max() == 59882.8


def test_shortfall_carried_forward_and_balance_recovered_add_up(claw):  # noqa: F811
    """A in tests/test_clawbacks.py: 2026-Q4 commission 5,000, cut 1,000, clawback 5,000: pays 0
    and carries 1,000 into 2027-Q1, which recovers it from 3,000."""
    labels = inc.statement_labels("en")
    items = inc.statements(claw, CLAW_PLAN, "2026-Q4")
    row, lines = items["A"]
    view = inc.statement_text(row, lines, labels, "2026-Q4", "Claw", "¥")
    assert view.summary == (("Base bonus", "¥0.00"), ("Commission", "¥5,000.00"), ("Accelerator extra", "¥0.00"),
                            ("Under-target cut", "-¥1,000.00"), ("Special rewards", "¥0.00"),
                            ("Clawback", "-¥5,000.00"), ("Shortfall (pays 0)", "¥1,000.00"))
    assert view.total == ("Total payout", "¥0.00")
    assert view.after[0] == ("Carried into next period", "-¥1,000.00")
    summary, total, shown = _xlsx(inc.statement_xlsx(row, lines, labels, "2026-Q4", "Claw", "¥"), labels)
    assert _sums_to(summary, total) and total == 0 and summary["Clawback"] == -5000
    assert ["carried into 2027-Q1"] == [r[7] for r in shown if r[0] == "Shortfall (pays 0)"]
    row, lines = inc.statements(claw, CLAW_PLAN, "2027-Q1")["A"]
    for parts, total in (_screen(inc.statement_text(row, lines, labels, "2027-Q1", "Claw", "¥")),
                         _html(inc.statement_html(row, lines, {}, "2027-Q1", "Claw", "en", "¥"), labels)):
        assert parts["Carried balance (recovered)"] == -1000 and total == 2000 and _sums_to(parts, total)


def test_template_rewards_and_special_rewards_in_the_readers_words(demo):
    plan = retention.active_plan(demo, date(2026, 12, 31)).plan
    assert [n.reward for n in plan.non_cash] == ["2 extra paid leave days"]   # stored by the demo
    assert inc.reward_text("2 extra paid leave days", "zh") == "额外带薪假 2 天"
    assert inc.reward_text("额外带薪假 2 天", "en") == "2 extra paid leave days"
    assert inc.reward_text("A signed football", "zh") == "A signed football"   # typed: as typed
    for key in inc.TEMPLATES:                                   # every template reward translates
        for reward in inc.template(key).non_cash:
            assert inc.reward_text(reward.reward, "zh") != reward.reward, (key, reward.reward)
    items = inc.statements(demo, plan, "2026-Q3")
    row, lines = next(v for v in items.values() if v[0]["non_cash"])
    zh = inc.statement_labels("zh")
    view = inc.statement_text(row, lines, zh, "2026-Q3", plan.name, "¥")
    assert view.after[-1] == ("非物质激励", "额外带薪假 2 天")
    details = {cells[-1] for cells in view.lines if cells[0] == zh["spiffs"]}
    assert details and details <= {"新客户首单", "团队第 1 名"}, details
    raw = {"new_customer_deal", "period_champion", "base_bonus", "decelerator_cut", "None", "NaN", "NaT"}
    cells = {c for r in view.lines for c in r} | {c for _, _, c in view.head} | set(view.columns)
    assert not raw & cells and not any("00:00:00" in c for c in cells)


def test_line_detail_never_shows_a_key():
    en = inc.statement_labels("en")
    assert inc.line_detail("spiffs", "period_champion:2", en) == "rank 2 in the team"
    assert inc.line_detail("spiffs", "new_customer_deal", en) == "first deal of a new customer"
    assert inc.line_detail("shortfall", "not_carried", en) == "not carried (the plan does not carry a negative total)"
    assert "carry_negative" not in i18n.t("incentives.reason.not_carried", "zh")
    assert inc.line_detail("spiffs", "period_champion:1", {}) == "period_champion 1"   # no words: no crash
