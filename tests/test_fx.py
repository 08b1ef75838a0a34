"""Multi-currency (DESIGN.md section 10): a USD deal in a CNY report, worked by hand. Real DuckDB,
the real importer.

Export (amounts in each deal's own currency): D1 Ann won 10,000 CNY closed 2026-07-10; D2 Ann
won 1,000 USD closed 2026-08-05; D3 Bob won 5,000 CNY closed 2026-09-20; D4 Bob open 2,000 USD
expected 2026-10-15. Rates (汇率 sheet): USD 2026-07 7.10, 2026-08 7.20 (September and October
take August's).
  D2 = 1,000 x 7.20 = 7,200 CNY; D4 = 2,000 x 7.20 = 14,400 CNY.
  Q3 revenue won: Ann 10,000 + 7,200 = 17,200; Bob 5,000; team 22,200.
  Plan: quarterly, 10% commission: Ann 1,720.00 (D2's line 720.00), Bob 500.00.
A rate typed later for 2026-08 (7.00) converts again: D2 7,000, Ann's commission 1,700.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from salescore import db, fx, ingest, metrics
from salescore import incentives as inc
from salescore.errors import SalesCoreError
from salescore.periods import parse
from salescore.scope import Scope

pytestmark = pytest.mark.backends

EXPORT = """Deal ID,Sales Agent,Team,Stage,Amount,Currency,Created Date,Close Date,Expected Close
D1,Ann,East,Won,10000,CNY,2026-07-01,2026-07-10,
D2,Ann,East,Won,1000,USD,2026-07-15,2026-08-05,
D3,Bob,East,Won,5000,CNY,2026-08-01,2026-09-20,
D4,Bob,East,Proposal,2000,USD,2026-09-01,,2026-10-15
"""
RATES = "汇率表（财务部）\n币种,月份,汇率\n美元,2026年7月,7.10\nUSD,2026-08,7.2\n"
Q3 = parse("2026-Q3")


def _load(con, text: str, name: str) -> None:
    ingest.load(con, ingest.prepare(text.encode(), name, con=con), file_name=name)


def _amounts(con) -> dict[str, float]:
    return {d: float(a) for d, a in con.execute("select deal_id, amount from deals").fetchall()}


@pytest.fixture
def con(tmp_path):
    con = db.connect(tmp_path / "fx.duckdb")
    _load(con, EXPORT, "deals.csv")
    yield con
    con.close()


def test_a_usd_deal_is_reported_in_cny_at_its_months_rate(con):
    assert db.reporting_currency(con) == "CNY"                     # the currency of most deals
    assert fx.missing(con) == ["USD"]
    prepared = ingest.prepare(RATES.encode(), "rates.csv", con=con)
    assert prepared.kind == "fx" and prepared.rows_ok == 2
    ingest.load(con, prepared, file_name="rates.csv")
    assert fx.rates(con).values.tolist() == [["USD", "2026-07", 7.1], ["USD", "2026-08", 7.2]]
    assert _amounts(con) == {"D1": 10000.0, "D2": 7200.0, "D3": 5000.0, "D4": 14400.0}
    assert db.get_setting(con, "reporting_currency") == "CNY"      # fixed once rates exist
    assert fx.missing(con) == []
    local = dict(con.execute("select deal_id, amount_local::FLOAT8 from deals").fetchall())
    assert local == {"D1": 10000.0, "D2": 1000.0, "D3": 5000.0, "D4": 2000.0}   # kept as given

    by_rep = metrics.by_group(con, Q3.start, Q3.end, "rep", Scope()).set_index("rep")
    assert by_rep.loc["Ann", "revenue_won"] == 17200.0 and by_rep.loc["Bob", "revenue_won"] == 5000.0
    assert metrics.kpis(con, Q3.start, Q3.end, Scope())["revenue_won"] == 22200.0

    plan = inc.Plan.from_dict({"name": "FX", "period": "quarter", "commission": {"default_rate": 0.10}})
    pay = inc.payouts(con, plan, Q3).set_index("rep")
    assert pay.loc["Ann", "commission"] == 1720.0 and pay.loc["Bob", "commission"] == 500.0
    lines = inc.explain(con, plan, Q3, pay.loc["Ann", "rep_id"])
    d2 = lines[lines["deal_id"] == "D2"].iloc[0]
    assert (d2["basis"], d2["amount"]) == (7200.0, 720.0)

    # the history the movement reads is in CNY too
    history = dict(con.execute("select deal_id, amount::FLOAT8 from deal_history").fetchall())
    assert history["D2"] == 7200.0 and history["D4"] == 14400.0

    # a rate typed on the Data page replaces the table and converts again
    fx.save_rates(con, pd.DataFrame({"currency": ["usd", "USD"], "month": ["2026-07", "2026-08"],
                                     "rate_to_reporting": [7.1, 7.0]}))
    assert _amounts(con)["D2"] == 7000.0
    assert inc.payouts(con, plan, Q3).set_index("rep").loc["Ann", "commission"] == 1700.0
    assert fx.currencies(con).set_index("currency").loc["USD", "amount"] == 21000.0


def test_a_reimport_keeps_the_conversion_and_counts_nothing_as_changed(con):
    _load(con, RATES, "rates.csv")
    result = ingest.load(con, ingest.prepare(EXPORT.encode(), "deals.csv", con=con), file_name="deals.csv")
    assert (result.new, result.updated) == (0, 0)                  # 1,000 USD is still 1,000 USD
    assert _amounts(con)["D2"] == 7200.0
    changed = EXPORT.replace("1000,USD", "1500,USD")
    _load(con, changed, "deals2.csv")
    assert _amounts(con)["D2"] == 10800.0                          # 1,500 x 7.20
    ingest.undo(con)
    assert _amounts(con)["D2"] == 7200.0
    ingest.undo(con)                                               # the unchanged re-import
    ingest.undo(con)                                               # the rates import taken back
    assert _amounts(con)["D2"] == 1000.0 and fx.rates(con).empty


def test_bad_rates_get_a_sentence_and_change_nothing(con):
    _load(con, RATES, "rates.csv")
    before = _amounts(con)
    cases = {
        "currency": pd.DataFrame({"currency": ["dollars?"], "month": ["2026-07"], "rate_to_reporting": [7.0]}),
        "month": pd.DataFrame({"currency": ["USD"], "month": ["July"], "rate_to_reporting": [7.0]}),
        "rate": pd.DataFrame({"currency": ["USD"], "month": ["2026-07"], "rate_to_reporting": [0.0]}),
        "twice": pd.DataFrame({"currency": ["USD", "usd"], "month": ["2026-07", "2026-07"],
                               "rate_to_reporting": [7.0, 7.1]}),
        "reporting": pd.DataFrame({"currency": ["CNY"], "month": ["2026-07"], "rate_to_reporting": [1.0]}),
    }
    for key, frame in cases.items():
        with pytest.raises(SalesCoreError) as err:
            fx.save_rates(con, frame)
        assert err.value.key == f"fx.error.{key}", key
    with pytest.raises(SalesCoreError, match="not a currency"):
        _load(con, "币种,月份,汇率\n火星币,2026-07,3\n", "bad.csv")
    with pytest.raises(SalesCoreError) as err:
        fx.set_reporting(con, "USD")
    assert err.value.key == "fx.error.rates_exist"
    assert _amounts(con) == before and len(fx.rates(con)) == 2


def test_the_command_line_imports_rates_and_reports_converted_figures(con, tmp_path):
    path = tmp_path / "fx.duckdb"
    con.close()
    rates = tmp_path / "汇率.csv"
    rates.write_text(RATES, encoding="utf-8")
    run = [sys.executable, "-m", "salescore"]
    out = subprocess.run([*run, "import", str(rates), "--kind", "fx", "--db", str(path)], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    figures = json.loads(subprocess.run([*run, "metrics", "--db", str(path), "--from", "2026-07-01", "--to",
                                         "2026-09-30", "--json"],
                                        capture_output=True, text=True, check=True).stdout)
    assert figures["totals"]["revenue_won"] == 22200.0
    revenue = {r["rep"]: r["revenue_won"] for r in figures["by_rep"]}
    assert revenue == {"Ann": 17200.0, "Bob": 5000.0}


def test_the_data_page_shows_currencies_and_the_missing_rate(tmp_path, monkeypatch):
    """AppTest: the Data page's currency panel on the export above, before any rate: the
    reporting currency, the deals per currency, the sentence naming USD; in both languages."""
    import streamlit as st

    from tests.conftest import open_page

    path = tmp_path / "page.duckdb"
    con = db.connect(path)
    _load(con, EXPORT, "deals.csv")
    con.close()
    try:
        for lang, title, warning in (("zh", "币种与汇率", "USD 的商机没有折算为 CNY 的汇率"),
                                     ("en", "Currencies and exchange rates", "Deals in USD have no exchange rate to CNY")):
            at = open_page(path, monkeypatch, "pages/data.py")
            if lang == "en":
                at.session_state["lang"] = "en"
                at.run()
            assert not at.exception
            assert title in [s.value for s in at.subheader]
            assert any(warning in w.value for w in at.warning), [w.value for w in at.warning]
            assert at.selectbox(key="fx_reporting").value == "CNY"
            table = next(d.value for d in at.dataframe if "currency" in d.value.columns and "needs_rate" in d.value.columns)
            assert table.set_index("currency").loc["USD", "deals"] == 2
    finally:
        st.cache_resource.clear()


def test_a_typed_rate_table_is_undone_like_an_import_before_the_rates_file(con):
    """The rate table edited on the Data page after a rates import is a batch of its own: undo
    takes the typed table back (D2 at 7.20 again), then the rates file (D2 1,000 as the file
    gave it); the history names the typed batch in the reader's language."""
    from salescore.ui.importer import history_frame

    _load(con, RATES, "rates.csv")
    typed = fx.rates(con).assign(rate_to_reporting=[7.1, 7.0])
    fx.save_rates(con, typed[["currency", "month", "rate_to_reporting"]])
    assert _amounts(con)["D2"] == 7000.0
    hist = ingest.history(con)
    assert hist["kind"].tolist()[:2] == ["fx", "fx"] and hist["file_name"].isna().tolist()[0]
    assert "在数据页填写的汇率" in history_frame(hist, "zh").iloc[0].tolist()
    ingest.undo(con)
    assert _amounts(con)["D2"] == 7200.0 and len(fx.rates(con)) == 2
    ingest.undo(con)
    assert _amounts(con)["D2"] == 1000.0 and fx.rates(con).empty


def test_an_older_export_without_amounts_is_converted_once_in_history(tmp_path):
    """Exports imported out of order after the rates: the newer one (11-20) has amounts; the
    older one (11-13) has no amount column and shows D2 still open (no close date: its created
    month, July, 7.10). History's row for 11-13 keeps D2's 1,000 USD, converted once: 7,100 CNY
    (not the stored 7,200 CNY taken for dollars and converted again)."""
    from datetime import date

    con = db.connect(tmp_path / "older.duckdb")
    try:
        ingest.load(con, ingest.prepare(EXPORT.encode(), "deals.csv", con=con), file_name="deals.csv",
                    as_of=date(2026, 11, 20))
        _load(con, RATES, "rates.csv")
        older = "Deal ID,Sales Agent,Team,Stage,Created Date,Close Date\nD2,Ann,East,Proposal,2026-07-15,\n"
        ingest.load(con, ingest.prepare(older.encode(), "old.csv", con=con), file_name="old.csv",
                    as_of=date(2026, 11, 13))
        rows = con.execute("select amount, amount_local, stage from deal_history where deal_id = 'D2' "
                           "and seen_at = DATE '2026-11-13'").fetchall()
        assert rows == [(7100.0, 1000.0, "Proposal")]
        assert _amounts(con)["D2"] == 7200.0
    finally:
        con.close()


def test_cash_collected_on_a_usd_deal_is_converted_at_the_month_paid(con):
    """A payments sheet for D2 (1,000 USD): 600 paid 2026-07-28 (7.10), 400 paid 2026-08-12
    (7.20). Stored: 4,260 + 2,880 = 7,140 CNY; amount_local keeps 600 and 400. Under a
    10% commission on cash collected (回款), Ann's Q3 line for D2 pays 714.00. A re-import of
    the same sheet changes nothing."""
    _load(con, RATES, "rates.csv")
    cash = "Payment ID,Deal ID,Paid Date,Amount\nP1,D2,2026-07-28,600\nP2,D2,2026-08-12,400\n"
    _load(con, cash, "cash.csv")
    rows = con.execute("select payment_id, amount, amount_local from payments order by 1").fetchall()
    assert [(p, float(a), float(b)) for p, a, b in rows] == [("P1", 4260.0, 600.0), ("P2", 2880.0, 400.0)]
    again = ingest.load(con, ingest.prepare(cash.encode(), "cash.csv", con=con), file_name="cash.csv")
    assert (again.new, again.updated) == (0, 0)
    plan = inc.Plan.from_dict({"name": "Cash", "period": "quarter",
                               "commission": {"default_rate": 0.10, "basis": "collected"}})
    ann = inc.payouts(con, plan, Q3).set_index("rep").loc["Ann"]
    assert ann["commission"] == 714.0
