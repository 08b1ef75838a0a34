"""AppTest: the statement parts of pages/incentives.py on the Chinese demo (issue 18): a rep's
statement is the formatted one My results draws too (salescore/ui/statement.py), the per-rep
table shows deductions negative, template rewards and special rewards are in the reader's
words, and no table shows a raw key, None or NaN."""
from __future__ import annotations

import pandas as pd
import pytest
import streamlit as st

from salescore import db, fmt, incentives
from salescore.periods import parse
from tests.conftest import open_page, with_db

PAGE = "pages/incentives.py"
RAW = {"new_customer_deal", "period_champion", "base_bonus", "decelerator_cut", "deal_id", "None", "NaN", "NaT",
       "nan", "<NA>"}


@pytest.fixture
def at(demo_db, monkeypatch):
    yield open_page(demo_db, monkeypatch, PAGE)
    st.cache_resource.clear()


def _plan(at, path):
    source = at.session_state["sim_source"]
    return with_db(path, lambda con: incentives.load_plan(con, source.partition(":")[2]))


def _frame(at, columns) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if list(d.value.columns) == list(columns))


def _texts(frame: pd.DataFrame) -> set[str]:
    return {str(c) for c in frame.columns} | {str(v) for v in frame.to_numpy().ravel()}


def test_the_statement_tab_shows_the_statement_as_printed(at, demo_db):
    plan = _plan(at, demo_db)
    period = parse(at.session_state["sim_period"])

    def statement(con):
        frame = incentives.payouts(con, plan, period)
        row = frame.loc[frame["decelerator_cut"].idxmax()].to_dict()     # a rep with an under-target cut
        lines = incentives.explain(con, plan, period, row["rep_id"])
        view = incentives.statement_text(row, lines, incentives.statement_labels("zh"), period.label, plan.name,
                                         fmt.symbol(db.reporting_currency(con)))
        return row, view

    row, view = with_db(demo_db, statement)
    assert row["decelerator_cut"] > 0
    at.selectbox(key="sim_stmt_rep").set_value(row["rep_id"]).run()
    assert not at.exception
    summary = _frame(at, ["项目", "金额"])
    assert [tuple(r) for r in summary.itertuples(index=False)] == [*view.summary, view.total]
    assert dict(view.summary)["未达标折算"].startswith("-")                  # a deduction: negative
    lines = _frame(at, view.columns)
    assert [tuple(r) for r in lines.itertuples(index=False)] == list(view.lines)
    for frame in (summary, lines):
        assert not RAW & _texts(frame) and not any("00:00:00" in v for v in _texts(frame))
    assert at.metric[[m.label for m in at.metric].index("应发奖金")].value == view.total[1]
    assert at.download_button(key="sim_dl_xlsx") and at.download_button(key="sim_dl_zip")


def test_the_per_rep_table_shows_deductions_negative(at, demo_db):
    plan = _plan(at, demo_db)
    period = parse(at.session_state["sim_period"])
    frame = with_db(demo_db, lambda con: incentives.payouts(con, plan, period))
    shown = next(d.value for d in at.dataframe if "decelerator_cut" in d.value.columns)
    assert frame["decelerator_cut"].max() > 0
    assert sorted(shown["decelerator_cut"]) == sorted(0.0 - frame["decelerator_cut"])
    assert (shown["carried_forward"] <= 0).all() and (shown["clawback"] <= 0).all()


def test_rewards_and_special_rewards_in_the_readers_words(at):
    earned = at.session_state["sim_period"]
    boards = [d.value for d in at.dataframe if "non_cash" in d.value.columns]
    rewards = {r for board in boards for v in board["non_cash"] for r in str(v).split("; ") if r}
    assert rewards == {"额外带薪假 2 天"}, (earned, rewards)          # the demo stores the English text
    assert "销售明星榜" in [s.value for s in at.subheader]
    help_text = next(c.value for c in at.caption if "新客户首单" in c.value)
    assert "new_customer_deal" not in help_text and "period_champion" not in help_text
    assert any(c.value.startswith("已保存 1 个版本") for c in at.caption)
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert "Sales star board" in [s.value for s in at.subheader]
    assert any(c.value.startswith("1 version saved;") for c in at.caption)
    boards = [d.value for d in at.dataframe if "non_cash" in d.value.columns]
    assert {r for b in boards for v in b["non_cash"] for r in str(v).split("; ") if r} == {"2 extra paid leave days"}
