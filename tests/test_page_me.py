"""AppTest: pages/me.py, a rep's own results, on the demo (English names): the rep signs in,
lands on My results and sees their own revenue, the company leaderboard and their statement:
the manager's statement (salescore/ui/statement.py) in the rep's language, with its downloads."""
from __future__ import annotations

import math
import re

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from salescore import access, db, fmt, lockout, metrics
from salescore.scope import Scope

APP = "../app.py"
PAGE = "pages/me.py"
REP, PASSWORD = "Ava Collins", "ava-pass-01"


@pytest.fixture
def rep_db(tmp_path, demo_copy, monkeypatch):
    path = demo_copy(tmp_path / "me.duckdb", "en")
    con = db.connect(path)
    access.add_user(con, "boss", "admin", password="boss-pass-1")
    access.add_user(con, REP, "rep", password=PASSWORD)   # users exist: everyone signs in
    con.close()
    monkeypatch.setenv("SALESCORE_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    lockout.FAILURES.clear()
    yield path
    st.cache_resource.clear()


def _signed_in(lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["lang"] = lang
    at.run()
    at.text_input(key="auth_name").set_value(REP)
    at.text_input(key="auth_password").set_value(PASSWORD)
    return at.button(key="auth_submit").click().run()


def _own_figures(path, period):
    st.cache_resource.clear()   # release the file so it can be opened here
    con = db.connect(path)
    try:
        rep_id = metrics.rep_id_by_name(con, REP)
        return (metrics.kpis(con, period.start, period.end, Scope(rep_id=rep_id)),
                fmt.symbol(db.reporting_currency(con)))
    finally:
        con.close()


def test_my_results_shows_my_own_revenue_and_statement(rep_db):
    at = _signed_in()
    assert not at.exception
    assert at.title[0].value == f"My results · {REP}", at.title[0].value
    period = at.session_state["_context"].period
    cards = {}
    for m in at.metric:                 # the KPI cards first; the statement repeats some labels
        cards.setdefault(m.label, m.value)
    mine, symbol = _own_figures(rep_db, period)
    assert cards["Revenue won"] == fmt.money(mine["revenue_won"], "en", wan=True, currency=symbol)
    assert cards["Win rate"] == fmt.pct(mine["win_rate"])
    board = at.dataframe[0].value                       # the leaderboard: no salary, no payout
    assert not {"base_salary", "total", "commission"} & set(board.columns)
    subheads = [s.value for s in at.subheader]
    assert subheads[0] == "Leaderboard (top 10)" and subheads[1].startswith("My statement · ")


def test_my_results_in_chinese_on_its_own_page(rep_db):
    at = _signed_in("zh")
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.title[0].value == f"我的业绩 · {REP}"
    labels = [m.label for m in at.metric]
    assert labels[:3] == ["成交金额", "目标达成率", "赢单率"] and "应发奖金" in labels
    assert [s.value for s in at.subheader][1].startswith("我的奖金明细")


#: What a statement must never show a rep: the engine's names and missing-value spellings.
INTERNAL = {"component", "deal_id", "day", "basis", "rate", "multiplier", "amount", "detail", "base_bonus",
            "commission", "accelerator_extra", "decelerator_cut", "spiffs", "clawback", "carried_balance",
            "rounding", "new_customer_deal", "period_champion", "None", "NaN", "NaT", "nan", "<NA>"}
MONEY = re.compile(r"^-?¥\d{1,3}(,\d{3})*\.\d\d$")


def _texts(frame: pd.DataFrame) -> set[str]:
    return {str(c) for c in frame.columns} | {str(v) for v in frame.to_numpy().ravel()}


def _statement_tables(at: AppTest) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The statement's summary and lines tables (after the leaderboard)."""
    frames = [d.value for d in at.dataframe]
    assert len(frames) == 3, [list(f.columns) for f in frames]
    return frames[1], frames[2]


@pytest.mark.parametrize(("lang", "total", "rate"), [("en", "Total payout", "Rate"), ("zh", "应发奖金", "比例")])
def test_my_statement_is_the_formatted_statement_in_my_language(rep_db, lang, total, rate):
    at = _signed_in(lang)
    assert not at.exception
    summary, lines = _statement_tables(at)
    for frame in (summary, lines):
        shown = _texts(frame)
        assert not INTERNAL & shown, INTERNAL & shown
        assert not any("00:00:00" in v for v in shown)
    amounts = list(summary.iloc[:, 1])
    assert all(MONEY.match(a) for a in amounts), amounts           # separators, cents, the currency
    assert summary.iloc[-1, 0] == total
    parts = [float(re.sub(r"[^\d.-]", "", a)) for a in amounts]
    assert round(math.fsum(parts[:-1]), 2) == parts[-1]           # the lines add up to the total
    card = next(m.value for m in at.metric if m.label == total)
    assert card == amounts[-1]
    rates = [r for r in lines[rate] if r]
    assert rates and all(re.fullmatch(r"\d+\.\d\d%", r) for r in rates)   # 8.00%, not 0.08
    days = [d for d in lines.iloc[:, 2] if d]
    assert days and all(re.fullmatch(r"\d{4}-\d\d-\d\d", d) for d in days)
    assert {b.label for b in at.get("download_button")} >= {
        "Download this statement (XLSX)" if lang == "en" else "下载本人明细（XLSX）",
        "Printable view (HTML)" if lang == "en" else "打印版（HTML）"}
    assert at.download_button(key="me_dl_xlsx") and at.download_button(key="me_statement_html")


def test_a_published_plan_is_read_and_acknowledged_by_the_rep(rep_db):
    """Issue 20: the admin publishes the plan version to the reps; the rep sees it in words on
    My results, acknowledges it (written for their own rep only), and the admin's status says
    so; the audit log has both steps."""
    from salescore import audit, incentives

    con = db.connect(rep_db)
    plan_id = con.execute("select min(plan_id) from plans").fetchall()[0][0]
    version = int(con.execute("select max(version) from plans where plan_id = $p", {"p": plan_id}).fetchall()[0][0])
    added = incentives.acks.publish(con, plan_id, user="boss")
    reps = con.execute("select count(*) from reps where coalesce(active, true)").fetchall()[0][0]
    assert added == reps and incentives.acks.publish(con, plan_id) == 0      # once per rep
    con.close()
    at = _signed_in()
    assert not at.exception
    texts = [m.value for m in at.markdown]
    assert any(f"version {version}" in x for x in texts), texts
    assert any("Base bonus: 20% of your base salary" in x for x in texts), texts
    at.button(key=f"ack_{plan_id}_{version}").click().run()
    assert not at.exception
    assert any(f"version {version} acknowledged" in s.value for s in at.success), ([s.value for s in at.success], [e.value for e in at.error])
    st.cache_resource.clear()
    con = db.connect(rep_db)
    status = incentives.acks.status(con, plan_id, version)
    done = status[status["acknowledged_at"].notna()]
    assert done["rep"].tolist() == [REP] and done["acknowledged_by"].tolist() == [REP]
    assert incentives.acks.pending(con, metrics.rep_id_by_name(con, REP)) == []
    actions = audit.events(con)["action"].tolist()
    assert "plan_publish" in actions and "plan_ack" in actions
    con.close()


def test_a_rep_questions_a_line_and_the_manager_accepts_it(rep_db):
    """Issue 20: the rep questions their largest statement line on My results (the amount it
    should pay and why); the admin sees the dispute counted on Incentives and accepts it; the
    difference is paid in the next open period and the rep reads the answer."""
    from salescore import audit, incentives

    at = _signed_in()
    line = at.selectbox(key="dsp_line")
    assert line.options, "the statement's lines are offered"
    at.button(key="dsp_send").click().run()                      # no amount, no reason: a sentence
    assert any("Give the amount" in e.value or "Say why" in e.value for e in at.error), [e.value for e in at.error]
    at.number_input(key="dsp_claimed").set_value(123456.0)
    at.text_area(key="dsp_reason").set_value("The signed contract is larger")
    at.button(key="dsp_send").click().run()
    assert not at.exception
    assert any("Dispute 1 sent" in s.value for s in at.success), [e.value for e in at.error]
    st.cache_resource.clear()
    con = db.connect(rep_db)
    row = incentives.disputes.get(con, 1)
    con.close()
    assert (row["rep"], row["status"], row["claimed_amount"], row["raised_by"]) == (REP, "open", 123456.0, REP)

    boss = AppTest.from_file(APP, default_timeout=90)   # in Chinese: AppTest calls the page's
    boss.run()                                            # format_funcs outside the session
    boss.text_input(key="auth_name").set_value("boss")
    boss.text_input(key="auth_password").set_value("boss-pass-1")
    boss.button(key="auth_submit").click().run()
    boss.switch_page("pages/incentives.py").run()
    assert not boss.exception
    assert any("有 1 条申诉等待您答复" in i.value for i in boss.info), [i.value for i in boss.info]
    boss.button(key="dsp_accept_1").click().run()
    assert not boss.exception
    done = next(s.value for s in boss.success if "申诉 1 已接受" in s.value)
    st.cache_resource.clear()
    con = db.connect(rep_db)
    row = incentives.disputes.get(con, 1)
    assert row["status"] == "accepted" and row["amount"] == round(123456.0 - row["line_amount"], 2)
    actions = audit.events(con)["action"].tolist()
    assert row["paid_in"] in done and {"dispute_raise", "dispute_accept"} <= set(actions)
    con.close()
