"""AppTest: the Incentives page on demo data (what-if slider, plan A vs B, statements)."""
from __future__ import annotations

import json

import pytest
import streamlit as st

from salescore import audit, db, demo, fmt, incentives
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


# --- issue 18: projector-ready Incentives ------------------------------------------------------

def test_identical_plans_get_a_sentence_not_an_empty_chart(at):
    """The page opens with plan A = the plan being edited and plan B = the same template: one
    sentence says they pay the same (no chart with a NaN axis, no "↑ ¥0"); choosing another
    plan brings the cards and the chart back."""
    from salescore.i18n import t

    same = t("incentives.same_pay", "zh", total="X", period="Y").split("（")[0]
    assert any(i.value.startswith(same) for i in at.info), [i.value for i in at.info]
    assert "方案 B 合计" not in [m.label for m in at.metric]
    charts_same = len(at.get("vega_lite_chart"))
    at.selectbox(key="sim_plan_b").set_value("template:hunter").run()
    assert not at.exception
    assert not any(i.value.startswith(same) for i in at.info)
    assert "方案 B 合计" in [m.label for m in at.metric]
    assert len(at.get("vega_lite_chart")) == charts_same + 1


def _solve(at, budget):
    at.session_state["sim_tab"] = "预算"
    at.run()
    at.number_input(key="sim_budget_value").set_value(budget)
    next(b for b in at.button if b.label == "求出满足预算的方案").click().run()
    assert not at.exception


def test_budget_solver_says_the_result_in_words_and_applies_it(at, demo_db):
    """The solver's answer is a sentence and one line per changed rate (no "x0.885", no JSON);
    Apply makes the scaled plan the plan being edited, nothing is saved."""
    period = parse(at.session_state["sim_period"])
    plan = incentives.Plan.from_dict(demo.PLAN_SPEC | {"name": "标准方案 2027"})
    total = _totals(demo_db, plan, period)
    budget = round(total * 0.9)
    source = at.session_state["sim_source"]
    _solve(at, float(budget))
    done = [s.value for s in at.success if s.value.startswith("要控制在")]   # not the quota what-if's
    assert done and done[0].startswith(f"要控制在 {_money(demo_db, budget)} 以内"), done
    assert "×" not in done[0]                       # no "×0.885"
    assert len(at.code) == 1                        # the Plan tab's JSON view only: no JSON answer
    lines = [m.value for m in at.markdown if "→" in m.value]
    rate = plan.commission.default_rate
    assert lines and f"{fmt.pct(rate)} → " in lines[0], lines
    at.button(key="sim_budget_apply").click().run()
    assert not at.exception
    spec = at.session_state["sim_spec"]
    assert spec["commission"]["default_rate"] < rate
    assert at.session_state["sim_source"] == source    # a what-if: still editing the same saved plan
    assert any("杠杆已调整为当前的" in s.value for s in at.success)
    assert any(c.value == "有尚未保存的修改：模拟结果与起始方案对比。" for c in at.caption)
    moved = _totals(demo_db, incentives.Plan.from_dict(spec), period)
    assert moved <= budget + 1


def test_incentives_opens_on_the_last_complete_pay_period(at):
    """Sidebar 2026-10 (demo data through 2026-11-20): the quarterly plan's pay period 2026-Q4
    still runs, so the page opens on 2026-Q3, says why, and marks 2026-Q4 provisional."""
    from salescore.periods import default_pay_period

    ctx = at.session_state["_context"]
    expected = default_pay_period(ctx.period, ctx.as_of, "quarter")
    assert expected.label == "2026-Q3" and at.session_state["sim_period"] == "2026-Q3"
    assert any("奖金按完整的发放周期结算" in c.value for c in at.caption)
    picker = at.selectbox(key="sim_period")
    assert picker.options[0] == "2026-Q4（暂定）" and "2026-Q3" in picker.options
    picker.set_value("2026-Q4").run()
    assert not at.exception
    assert any(w.value.startswith("暂定：2026-Q4 尚未结束") for w in at.warning)
    assert not any("奖金按完整的发放周期结算" in c.value for c in at.caption)


def test_the_carry_negative_label_is_short_with_its_detail_in_help(at):
    toggle = at.toggle(key="sim_f_carry")
    assert toggle.label == "负数结转" and "下期" in toggle.help


def test_read_only_manager_sees_save_disabled_with_why(demo_copy, tmp_path, monkeypatch):
    """A manager (read-only) sees Save disabled with the reason, before any click; an admin
    sees it enabled; the budget's Apply (a what-if, no write) stays enabled for both."""
    from streamlit.testing.v1 import AppTest

    from salescore import access
    from salescore.i18n import t

    path = demo_copy(tmp_path / "shared.duckdb", "en")
    con = db.connect(path)
    access.add_user(con, "boss", "admin", password="boss-pass-1")
    access.add_user(con, "east", "manager", team="East", password="east-pass-1")
    con.close()
    monkeypatch.setenv("SALESCORE_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    note = t("incentives.read_only", "en")
    try:
        for name, password, writable in (("east", "east-pass-1", False), ("boss", "boss-pass-1", True)):
            app = AppTest.from_file(APP, default_timeout=60)
            app.session_state["lang"] = "en"
            app.run()
            app.text_input(key="auth_name").set_value(name)
            app.text_input(key="auth_password").set_value(password)
            app.button(key="auth_submit").click().run()
            app.switch_page(PAGE).run()
            assert not app.exception
            save = app.button(key="sim_save")
            assert save.disabled is not writable
            assert (save.help == note) is not writable
            assert (note in [c.value for c in app.caption]) is not writable
    finally:
        st.cache_resource.clear()


def test_lever_changes_name_what_the_solver_scaled():
    plan = incentives.Plan.from_dict(demo.PLAN_SPEC)
    scaled = incentives.scale(plan, ["commission"], 0.5)
    changed = {lever.key: (lever.value, value) for lever, value in incentives.lever_changes(plan, scaled)}
    rate = plan.commission.default_rate
    assert changed["commission.default_rate"] == (rate, rate * 0.5)
    assert all(key.startswith("commission.") for key in changed)
    assert incentives.lever_changes(plan, plan) == []


# --- issue 19: closing a pay period --------------------------------------------------------------

def test_close_the_pay_period_then_reopen_it_with_a_reason(writable):
    """Statements tab: "关账 2026-Q3" closes the last complete quarter with the saved plan; the
    page then says it shows the stored statements; reopening needs a reason and is audited."""
    from tests.conftest import with_db

    at, path = writable
    at.run()
    at.switch_page(PAGE).run()
    period = at.session_state["sim_period"]
    assert not at.exception and "sim_close_yes" in [b.key for b in at.button]
    total = sum(float(v) for v in with_db(path, lambda con: incentives.payouts(
        con, incentives.load_plan(con, at.session_state["sim_source"].partition(":")[2]), period)["total"]))
    at.button(key="sim_close_yes").click().run()
    assert not at.exception
    assert any(f"{period} 已关账：保存了 23 份结算单" in s.value for s in at.success), [s.value for s in at.success]
    assert any(f"{period} 已关账（" in i.value and "保存的结算单" in i.value for i in at.info)
    closed = with_db(path, incentives.closed_periods)
    assert [(c.period, c.reps, round(c.total, 2)) for c in closed] == [(period, 23, round(total, 2))]

    reopen = at.button(key="sim_close_reopen")
    assert reopen.disabled                                   # no reason yet
    at.text_input(key="sim_close_reason").input("D-1 belongs to another rep").run()
    at.button(key="sim_close_reopen").click().run()
    assert not at.exception
    assert any(f"{period} 已重新打开" in s.value for s in at.success)
    assert with_db(path, incentives.closed_periods) == []
    events = with_db(path, lambda con: audit.events(con, action="period_reopen"))
    assert "D-1 belongs to another rep" in events["detail"].iloc[0]


def test_the_quota_what_if_moves_the_share_at_quota(at, demo_db):
    """What-if tab: every team's quotas 20% lower puts more reps at quota and costs more."""
    from tests.conftest import with_db

    at.run()
    period = at.session_state["sim_period"]
    plan_id = at.session_state["sim_source"].partition(":")[2]
    cards = {m.label: m.value for m in at.metric}
    now = with_db(demo_db, lambda con: incentives.attainment_distribution(
        incentives.payouts(con, incentives.load_plan(con, plan_id), period)))
    assert cards["达成指标的销售占比"] == fmt.pct(now["share_at_quota"], 0)
    at.slider(key="sim_q_pct").set_value(-20).run()
    assert not at.exception
    cards = {m.label: m for m in at.metric}
    teams = tuple(sorted(with_db(demo_db, lambda con: con.execute(
        "select distinct coalesce(team, '') from reps").fetchall())))
    lower = with_db(demo_db, lambda con: incentives.payouts(
        con, incentives.load_plan(con, plan_id), period, quota_scale=tuple((t[0], 0.8) for t in teams)))
    after = incentives.attainment_distribution(lower)
    assert after["share_at_quota"] > now["share_at_quota"]
    assert cards["达成指标的销售占比"].value == fmt.pct(after["share_at_quota"], 0)
    assert cards["奖金成本"].delta.startswith("+")


def test_publishing_the_plan_to_the_reps_shows_who_has_acknowledged(writable):
    from tests.conftest import with_db

    at, path = writable
    at.run()
    at.switch_page(PAGE).run()
    assert any("has not been published" in c.value or "尚未发布" in c.value for c in at.caption)
    at.button(key="ack_publish").click().run()
    assert not at.exception
    assert any("已发布给另外" in s.value for s in at.success), [s.value for s in at.success]
    reps = with_db(path, lambda con: con.execute("select count(*) from reps where coalesce(active, true)").fetchall()[0][0])
    assert any(f"名销售中已有 0 人确认" in c.value and str(reps) in c.value for c in at.caption)
    with pytest.raises(Exception, match="not published"):
        with_db(path, lambda con: incentives.acks.acknowledge(con, "no-such-plan", 1, "R01"))


def test_quota_relief_is_added_on_the_statements_tab_and_the_quota_follows(writable):
    """Issue 20: a relief entry typed in the Statements tab (a rep, the whole pay period, 50%,
    a reason) halves that rep's quota in the payouts; without a reason it is a sentence."""
    from tests.conftest import with_db

    at, path = writable
    at.run()
    at.switch_page(PAGE).run()
    period = parse(at.session_state["sim_period"])
    rep_id = at.selectbox(key="rl_rep").value
    plan_id = at.session_state["sim_source"].partition(":")[2]

    def quota():
        frame = with_db(path, lambda con: incentives.payouts(con, incentives.load_plan(con, plan_id), period))
        return float(frame.set_index("rep_id").loc[rep_id, "quota"])

    before = quota()
    at.number_input(key="rl_share").set_value(50)
    at.button(key="rl_add").click().run()
    assert any("原因" in e.value for e in at.error), [e.value for e in at.error]
    at.text_input(key="rl_reason").set_value("产假")
    at.button(key="rl_add").click().run()
    assert not at.exception
    assert any("指标减免 1" in s.value for s in at.success), [e.value for e in at.error]
    assert quota() == pytest.approx(before * 0.5, abs=0.01)
    entries = with_db(path, lambda con: incentives.relief.listing(con))
    assert entries[["rep_id", "share", "reason"]].values.tolist() == [[rep_id, 0.5, "产假"]]


def test_a_plan_with_a_draw_shows_the_reps_draw_ledger(at, demo_db):
    """Issue 20: a plan pasted as JSON with a recoverable draw (every month, no window) shows,
    under the chosen rep's statement, the draw ledger the engine computes."""
    from tests.conftest import with_db

    at.run()
    spec = demo.PLAN_SPEC | {"name": "Draw", "draw": {"amount": 200000, "recoverable": True}}
    at.text_area(key="sim_json_in").set_value(json.dumps(spec))
    at.button(key="sim_json_apply").click().run()
    assert not at.exception
    period = parse(at.session_state["sim_period"])
    rep_id = at.selectbox(key="sim_stmt_rep").value
    ledger = with_db(demo_db, lambda con: incentives.draw_ledger(con, incentives.Plan.from_dict(spec), period))
    mine = ledger[ledger["rep_id"] == rep_id]
    assert len(mine) and mine["draw"].sum() > 0
    title = next(e.label for e in at.expander if e.label.startswith("保底台账"))
    assert title == f"保底台账（{len(mine)} 期）" or (len(mine) == 1 and title == "保底台账（1 期）")
    table = next(d.value for d in at.dataframe if {"period", "earned", "draw_balance"} <= set(d.value.columns))
    assert table["period"].tolist() == mine["period"].tolist()


def test_assigning_a_rep_to_the_saved_plan_makes_it_pay_only_them(writable):
    """Issue 20: under the plan editor, "Who this plan pays": assigning one rep from the middle
    of the pay period leaves the payouts with that rep alone, the bonus prorated; taking it back
    pays every rep again. A start day is needed (a sentence, nothing stored)."""
    from tests.conftest import with_db

    at, path = writable
    at.run()
    at.switch_page(PAGE).run()
    period = parse(at.session_state["sim_period"])
    plan_id = at.session_state["sim_source"].partition(":")[2]
    rep_id = at.selectbox(key="as_rep").value

    def pay():
        return with_db(path, lambda con: incentives.payouts(con, incentives.load_plan(con, plan_id), period))

    everyone = pay()
    assert len(everyone) > 1
    at.button(key="as_add").click().run()
    assert any("开始日期" in e.value for e in at.error), [e.value for e in at.error]
    assert with_db(path, lambda con: incentives.assignments.assignments(con)).empty
    middle = period.start + (period.end - period.start) / 2
    at.date_input(key="as_from").set_value(middle).run()
    at.button(key="as_add").click().run()
    assert not at.exception
    assert any("方案分配 1" in s.value for s in at.success), [e.value for e in at.error]
    only = pay()
    assert only["rep_id"].tolist() == [rep_id]
    lines = with_db(path, lambda con: incentives.explain(con, incentives.load_plan(con, plan_id), period, rep_id))
    bonus = lines[lines["component"] == "base_bonus"]
    assert bonus.empty or str(bonus["detail"].iloc[0]).startswith("prorated:")
    assert float(only["quota"].iloc[0]) < float(everyone.set_index("rep_id").loc[rep_id, "quota"])
    at.button(key="as_remove_btn").click().run()
    assert len(pay()) == len(everyone)


def test_a_plan_without_spiffs_or_rewards_opens_in_the_editor(at):
    """A plan with no SPIFF and no non-cash reward (empty tables) used to stop the page: the
    empty reward column was taken for numbers by the table editor."""
    at.run()
    at.text_area(key="sim_json_in").set_value(json.dumps(
        {"name": "Bare", "period": "quarter", "commission": {"default_rate": 0.05}}))
    at.button(key="sim_json_apply").click().run()
    assert not at.exception, at.exception
    assert at.session_state["sim_spec"]["name"] == "Bare" and not at.session_state["sim_spec"].get("non_cash")
