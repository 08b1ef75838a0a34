"""AppTest: the Customers page on demo data, in both languages, against salescore."""
from __future__ import annotations

import pytest
import streamlit as st

from salescore import customers, db, fmt, metrics

from tests.conftest import app_test

APP = "../app.py"
PAGE = "pages/customers.py"


def _open(path, fn):
    st.cache_resource.clear()
    con = db.connect(path)
    try:
        return fn(con)
    finally:
        con.close()


@pytest.mark.parametrize("lang, labels", [
    ("zh", ("新客户数", "前 10 大客户占比", "复购率", "待跟进客户")),
    ("en", ("New customers", "Top 10 customers' share", "Repeat purchase rate", "Customers to contact"))])
def test_customers_page_figures(at, demo_db, lang, labels):
    at.run()
    at.radio(key="lang").set_value(lang).run()
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error
    assert at.title[0].value == ("客户" if lang == "zh" else "Customers")
    ctx = at.session_state["_context"]
    period = ctx.period
    cards = {m.label: m.value for m in at.metric}

    def figures(con):
        return (metrics.kpis(con, period.start, period.end),
                customers.concentration(con, period.start, period.end),
                customers.follow_up(con, ctx.as_of, 30))

    k, conc, due = _open(demo_db, figures)
    new, top10, repeat, follow = labels
    assert cards[new] == fmt.number(k["new_customers"])
    assert cards[top10] == fmt.pct(conc["top_share"])
    assert cards[repeat] == fmt.pct(k["repeat_rate"])
    assert cards[follow] == fmt.number(len(due))
    # the demo plants unhappy customers with open deals and lapsed customers
    assert len(at.warning) >= 2
    assert len(at.get("vega_lite_chart")) >= 6
    assert len(at.get("download_button")) == 4     # follow-up list and lapsed customers


def test_follow_up_days_change_the_list(at, demo_db):
    at.run()
    at.switch_page(PAGE).run()
    at.number_input(key="customers_follow_days").set_value(60).run()
    assert not at.exception
    as_of = at.session_state["_context"].as_of
    due = _open(demo_db, lambda con: customers.follow_up(con, as_of, 60))
    assert {m.label: m.value for m in at.metric}["待跟进客户"] == fmt.number(len(due))


def test_missing_activities_and_surveys_are_named(tmp_path, monkeypatch, demo_copy):
    path = tmp_path / "bare.duckdb"
    con = db.connect(demo_copy(path, "zh"))
    with db.transaction(con) as cur:
        cur.execute("delete from activities")
        cur.execute("delete from satisfaction")
    con.close()
    at = app_test(path, monkeypatch, timeout=60).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    texts = " ".join(i.value for i in at.info)
    assert "跟进记录" in texts and "满意度" in texts
    assert len(at.get("page_link")) >= 2
    st.cache_resource.clear()
