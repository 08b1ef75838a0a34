"""Money is shown in the data's currency (DESIGN.md section 4): a small US-dollar company shows
"$" and never "¥" on every figure page, in the deck and in the evaluation wording; deals with
no currency show amounts without a symbol; the demo company, reporting in CNY, shows "¥"."""
from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
import streamlit as st
from google.protobuf import text_format
from pptx import Presentation

from salescore import charts, db, evaluation, fmt, report
from salescore.periods import parse
from tests.conftest import insert, open_page

MARCH = parse("2026-03")
WHEN = date(2026, 4, 2)
PAGES = ("pages/overview.py", "pages/goals.py", "pages/team.py", "pages/retention.py",
         "pages/review.py", "pages/meeting.py")


def _company(path, currency: str | None) -> None:
    """Four reps in two teams, won, lost and open deals from March 2025 to April 2026, monthly
    revenue targets for 2026; every deal in ``currency`` (None: the file said nothing)."""
    con = db.connect(path)
    try:
        insert(con, "reps", [
            {"rep_id": "R1", "name": "Ann Lee", "team": "East", "base_salary": 10000, "active": True},
            {"rep_id": "R2", "name": "Bob Stone", "team": "East", "base_salary": 8000, "active": True},
            {"rep_id": "R3", "name": "Cai Wu", "team": "West", "base_salary": 9000, "active": True},
            {"rep_id": "R4", "name": "Dee Park", "team": "West", "base_salary": 9000, "active": True},
        ])
        insert(con, "customers", [{"customer_id": f"C{i}", "name": f"Cust {i}", "segment": "SMB"}
                                  for i in range(1, 9)])
        d, rows, n = date, [], 0
        for month in ((2025, 3), (2025, 6), (2025, 12), (2026, 1), (2026, 2), (2026, 3)):
            for k, rep in enumerate(("R1", "R2", "R3", "R4")):
                n += 1
                rows.append({"deal_id": f"W{n}", "rep_id": rep, "customer_id": f"C{1 + n % 8}",
                             "amount": 10_000 + 2_500 * k + 100 * n, "stage": "Won", "status": "won",
                             "created_date": d(*month, 1), "close_date": d(*month, 10 + k)})
                rows.append({"deal_id": f"L{n}", "rep_id": rep, "customer_id": f"C{1 + (n + 3) % 8}",
                             "amount": 7_000, "stage": "Proposal", "status": "lost",
                             "created_date": d(*month, 2), "close_date": d(*month, 20)})
        for k, rep in enumerate(("R1", "R2", "R3", "R4")):
            rows.append({"deal_id": f"O{k}", "rep_id": rep, "customer_id": f"C{k + 1}", "amount": 20_000,
                         "stage": "Proposal", "status": "open", "created_date": d(2026, 3, 5 + k),
                         "expected_close_date": d(2026, 4, 20)})
        rows.append({"deal_id": "O9", "rep_id": "R1", "customer_id": "C5", "amount": 5_000, "stage": "Lead",
                     "status": "open", "created_date": WHEN, "expected_close_date": d(2026, 5, 5)})
        for row in rows:
            row["currency"] = currency
        insert(con, "deals", rows)
        insert(con, "targets", [
            {"scenario": "base", "period": f"2026-{m:02d}", "scope": "rep", "scope_id": rep,
             "metric": "revenue", "value": 15_000}
            for m in range(1, 5) for rep in ("R1", "R2", "R3", "R4")])
        insert(con, "actions", [{"action_id": 1, "title": "Bigger deals", "rule": "process", "owner": "Ann Lee",
                                 "start_date": d(2026, 3, 1), "due_date": d(2026, 6, 30), "status": "planned",
                                 "kpi": "avg_deal_size", "baseline": 12_000, "target": 15_000}])
        db.set_setting(con, "stage_order", ["Lead", "Qualified", "Proposal", "Negotiation"])
    finally:
        con.close()


@pytest.fixture(scope="module")
def usd(tmp_path_factory):
    path = tmp_path_factory.mktemp("usd") / "usd.duckdb"
    _company(path, "USD")
    return path


@pytest.fixture(scope="module")
def unknown(tmp_path_factory):
    path = tmp_path_factory.mktemp("unknown") / "unknown.duckdb"
    _company(path, None)
    return path


def _nodes(node):
    yield node
    for child in (getattr(node, "children", None) or {}).values():
        yield from _nodes(child)


def _shown(at) -> tuple[str, str]:
    """(the words and formats a reader sees: metrics, text, table cells and column formats;
    everything the page sent, chart specs and data included)."""
    seen, sent = [], []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "DESCRIPTOR"):
            sent.append(text_format.MessageToString(proto, as_utf8=True))
        for attr in ("label", "value", "body"):
            value = getattr(node, attr, None) if getattr(node, "type", "") != "arrow_data_frame" else None
            if isinstance(value, str):
                seen.append(value)
    for frame in at.dataframe:
        seen.append(frame.value.to_string())
        seen.append(frame.proto.columns)          # column_config JSON: NumberColumn formats
    return "\n".join(seen), "\n".join(sent)


def _deck_text(data: bytes) -> str:
    out = []
    for page in Presentation(io.BytesIO(data)).slides:
        for shape in page.shapes:
            if shape.has_text_frame:
                out.append(shape.text_frame.text)
            if getattr(shape, "has_table", False) and shape.has_table:
                out.extend(cell.text for row in shape.table.rows for cell in row.cells)
    return "\n".join(out)


@pytest.mark.parametrize("page", PAGES)
def test_dollar_company_pages_show_dollars_never_yuan(usd, monkeypatch, page):
    at = open_page(usd, monkeypatch, page)
    try:
        assert not at.exception, at.exception
        seen, sent = _shown(at)
        assert "$" in seen, f"{page} shows no amount in dollars"
        assert "¥" not in sent, f"{page} shows ¥ for dollar data"
        assert "Amounts in USD" in seen or "金额币种：USD" in seen      # the sidebar says so
    finally:
        st.cache_resource.clear()


def test_dollar_company_deck_and_slides(usd):
    con = db.connect(usd)
    try:
        assert db.reporting_currency(con) == "USD"
        text = _deck_text(report.deck_pptx(con, MARCH, "en", when=WHEN))
        shown = report.slides(con, MARCH, "zh", when=WHEN)
        kpis = con.execute("select sum(amount) from deals where status = 'won' "
                           "and close_date between '2026-03-01' and '2026-03-31'").fetchone()[0]
    finally:
        con.close()
    assert "$" in text and "¥" not in text
    # 10,000..17,500 + 100 x (21..24): 4 deals = 55,000 + 9,000 = 64,000 -> $6.4万 in Chinese
    assert float(kpis) == 64_000
    assert shown[0].figures["revenue_won"].value == "$6.4万"
    spec = shown[0].chart.to_dict()
    assert spec["config"]["locale"]["number"]["currency"] == ["$", ""]
    axis = spec["layer"][0]["encoding"]["y"]["axis"]   # the cards' scale words, the dollar sign
    assert '"$"' in axis.get("labelExpr", "") or "$" in axis.get("format", "")


def test_no_currency_shows_amounts_without_a_symbol(unknown, monkeypatch):
    con = db.connect(unknown)
    try:
        assert db.reporting_currency(con) is None
        text = _deck_text(report.deck_pptx(con, MARCH, "en", when=WHEN))
        shown = report.slides(con, MARCH, "en", when=WHEN)
    finally:
        con.close()
    assert "¥" not in text and "$" not in text
    assert shown[0].figures["revenue_won"].value == "64.0k"
    assert shown[0].chart.to_dict()["config"]["locale"]["number"]["currency"] == ["", ""]
    at = open_page(unknown, monkeypatch, "pages/goals.py")
    try:
        assert not at.exception
        seen, sent = _shown(at)
        assert "¥" not in sent and "$" not in seen
        assert "Currency not known yet" in seen or "尚不知道币种" in seen
    finally:
        st.cache_resource.clear()


def test_demo_reporting_in_cny_shows_yuan(demo_copy, tmp_path, monkeypatch):
    path = demo_copy(tmp_path / "demo.duckdb")
    con = db.connect(path)
    try:
        db.set_setting(con, "reporting_currency", "CNY")
        shown = report.slide(con, "kpis", parse("2026-09"), "zh")
    finally:
        con.close()
    assert shown.figures["revenue_won"].value.startswith("¥")
    at = open_page(path, monkeypatch, "pages/meeting.py")
    try:
        assert not at.exception
        cards = {m.label: m.value for m in at.metric}
        assert cards["成交金额"].startswith("¥")
    finally:
        st.cache_resource.clear()


# --- the evaluation wording of an amount ---------------------------------------------------------

@pytest.mark.backends
def test_avg_deal_size_change_in_dollars(con):
    """6 treated reps (T) and 6 others (K), 4 won deals a month, Jan-Jun 2026, all in USD. Treated
    deals are $100 before April and $150 after; the others' stay $100: average deal size moved
    +$50 ($100 -> $150) against +$0, an effect of +$50."""
    insert(con, "reps", [{"rep_id": f"{g}{i}", "name": f"{g}{i}", "team": "Tt" if g == "T" else "Kk"}
                         for g in "TK" for i in range(6)])
    insert(con, "deals", [
        {"deal_id": f"{g}{i}-{m}-{k}", "rep_id": f"{g}{i}", "currency": "USD", "status": "won",
         "amount": 150 if g == "T" and m >= 4 else 100, "created_date": date(2026, m, 1),
         "close_date": date(2026, m, 10)}
        for g in "TK" for i in range(6) for m in range(1, 7) for k in range(4)])
    money = fmt.symbol(db.reporting_currency(con))
    assert money == "$"
    treated, control = evaluation.resolve_groups(con, teams=["Tt"], compare="others")
    eff = evaluation.evaluate_change(con, "avg_deal_size", date(2026, 4, 1), treated, control, 3, 3)
    assert eff.treated_before == pytest.approx(100) and eff.treated_after == pytest.approx(150)
    words = evaluation.render_change(eff, "en", money)
    assert "+$50 ($100 → $150)" in words["headline"] and "¥" not in " ".join(
        [words["headline"], words["verdict"], *words["caveats"]])
    assert "+$0" in words["headline"]                       # the comparison group
    assert evaluation.format_change("avg_deal_size", 4_600, "en", money) == "+$4.6k"
    assert evaluation.format_change("avg_deal_size", -46_000, "zh", money) == "-$4.6万"
    assert evaluation.format_value("avg_deal_size", 1_234_567, "en", money) == "$1.23M"
    assert evaluation.format_value("avg_deal_size", 4_600, "en", "") == "4.6k"   # currency not known
    goal = pd.DataFrame({"kpi": ["avg_deal_size"], "baseline": [12_000.0], "target": [15_000.0]})
    assert list(evaluation.action_goal(goal, "en", money)) == ["$12.0k → $15.0k"]


# --- charts: the locale carries the symbol ------------------------------------------------------

def test_money_charts_print_the_given_symbol():
    import vl_convert

    frame = pd.DataFrame({"rep": ["Ann", "Bob"], "revenue_won": [1_200_000.0, 300_000.0], "team": ["A", "B"]})
    for symbol, shown in (("$", "$"), ("€", "€"), ("", None)):
        svg = vl_convert.vegalite_to_svg(charts.leaderboard(frame, "en", symbol).to_json())
        labels = [part.split(">")[-1] for part in svg.split("</text>")]
        ticks = [x for x in labels if any(c.isdigit() for c in x)]
        assert ticks, svg[:200]
        if shown:
            assert all(x.lstrip("−-").startswith(shown) for x in ticks), ticks
        else:
            assert not any("$" in x or "¥" in x for x in ticks), ticks
    assert charts.money_format("+,.0f", "$") == "+$,.0f"
    assert charts.money_format("~s", None) == "~s"
