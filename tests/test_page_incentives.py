"""AppTest: the Incentives page on demo data (what-if slider, plan A vs B, statements)."""
from __future__ import annotations

import pytest
import streamlit as st

from salescore import db, demo, fmt, incentives
from salescore.periods import parse

from tests.conftest import open_page

APP = "../app.py"
PAGE = "pages/incentives.py"


@pytest.fixture
def at(demo_db, monkeypatch):
    yield open_page(demo_db, monkeypatch, PAGE)
    st.cache_resource.clear()


def _totals(path, plan, period):
    st.cache_resource.clear()  # release the file so it can be opened here
    con = db.connect(path)
    try:
        return float(incentives.payouts(con, plan, period)["total"].sum())
    finally:
        con.close()


def _money(path, value):
    """``value`` as the page shows it: in the demo's reporting currency (never a guessed ¥)."""
    st.cache_resource.clear()
    con = db.connect(path)
    try:
        return fmt.money(value, "zh", currency=fmt.symbol(db.reporting_currency(con)))
    finally:
        con.close()


def _metric(at, label):
    return next(m for m in at.metric if m.label == label)


def test_page_renders_the_saved_plan(at, demo_db):
    assert not at.exception
    assert at.title[0].value == "激励方案"
    period = parse(at.session_state["sim_period"])
    plan = incentives.Plan.from_dict(demo.PLAN_SPEC | {"name": "标准方案 2027"})
    expected = _totals(demo_db, plan, period)
    assert _metric(at, "应发奖金合计").value == _money(demo_db, expected)
    assert at.get("vega_lite_chart")


def test_slider_moves_the_total_by_what_salescore_says(at, demo_db):
    period = parse(at.session_state["sim_period"])
    at.slider(key="sim_lv_commission.default_rate").set_value(10.0).run()
    assert not at.exception
    plan = incentives.Plan.from_dict(demo.PLAN_SPEC | {"name": "标准方案 2027"})
    before = _totals(demo_db, plan, period)
    after = _totals(demo_db, incentives.with_lever(plan, "commission.default_rate", 0.10), period)
    assert after > before
    card = _metric(at, "应发奖金合计")
    assert card.value == _money(demo_db, after)
    assert _money(demo_db, after - before) in card.delta


def test_lever_sensitivity_only_on_the_budget_tab(at, monkeypatch):
    from salescore import ui

    asked = []
    query = ui.query
    monkeypatch.setattr(ui, "query", lambda fn, *a, **k: (asked.append(fn.__name__),
                                                           query(fn, *a, **k))[1])
    at.run()
    assert "sensitivity" not in asked              # the Plan tab is open: no tornado computed
    charts_before = len(at.get("vega_lite_chart"))
    at.session_state["sim_tab"] = "预算"
    at.run()
    assert not at.exception
    assert "sensitivity" in asked
    assert len(at.get("vega_lite_chart")) == charts_before + 1


def test_plan_a_vs_b_and_statement_download(at):
    at.selectbox(key="sim_plan_b").set_value("template:local").run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert "方案 A 合计" in labels and "方案 B 合计" in labels
    assert at.download_button(key="sim_dl_xlsx").label == "下载本人明细（XLSX）"
    assert at.download_button(key="sim_dl_zip")
    # issue 6: the printable view, built on click (a deferred download) for the chosen rep
    assert at.download_button(key="sim_statement_html").label == "打印版（HTML）"
    assert any(e.label == "预览打印版奖金明细" for e in at.expander)
    assert not at.get("html")                       # the preview is built only when opened
    at.session_state["sim_statement_preview"] = True
    at.run()
    assert not at.exception
    assert "奖金结算单" in at.get("html")[0].proto.body


def test_switch_template_and_english(at):
    at.selectbox(key="sim_source").set_value("template:hunter").run()
    assert not at.exception
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Incentives"


def test_plan_form_sets_carry_negative_and_the_table_shows_balances(at):
    """The editor's carry_negative toggle reaches the working plan; the per-rep table has the
    carried balance columns (DESIGN §5 outputs)."""
    assert at.toggle(key="sim_f_carry").value is True
    at.toggle(key="sim_f_carry").set_value(False)
    next(b for b in at.button if b.label == "应用修改").click().run()
    assert not at.exception
    assert at.session_state["sim_spec"]["carry_negative"] is False
    shown = [frame.value for frame in at.dataframe if "carried_balance" in frame.value.columns]
    assert shown and "carried_forward" in shown[0].columns


def test_a_stale_save_is_refused_on_the_page(writable):
    """This browser opened the saved plan; someone else saved a newer version meanwhile: the
    Save button refuses with a sentence and the other version stays the latest (issue 17)."""
    from tests.conftest import with_db

    at, path = writable
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    source = at.session_state["sim_source"]
    assert source.startswith("saved:")
    plan_id = source.partition(":")[2]

    def someone_else_saves(con):
        plan = incentives.load_plan(con, plan_id)
        richer = incentives.Plan.from_dict(plan.to_dict() | {"payout_cap": 123456})
        return incentives.save_plan(con, richer, plan_id=plan_id)[1]

    theirs = with_db(path, someone_else_saves)
    at.run()
    at.button(key="sim_save").click().run()
    assert not at.exception
    assert any("已有他人修改" in e.value for e in at.error), [e.value for e in at.error]
    latest = with_db(path, lambda con: incentives.load_plan(con, plan_id))
    assert latest.payout_cap == 123456
    assert with_db(path, lambda con: int(incentives.list_plans(con)["version"].max())) == theirs
