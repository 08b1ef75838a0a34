"""AppTest: every page renders on demo data in both languages and shows the right figures."""
from __future__ import annotations

import re

import pytest
import streamlit as st

from salescore import db, fmt, metrics

from tests.conftest import app_test

APP = "../app.py"


def _kpis(path, period):
    con = db.connect(path)
    try:
        return metrics.kpis(con, period.start, period.end), metrics.default_period(con)
    finally:
        con.close()


def _symbol(path):
    """The reporting currency's symbol the pages show amounts with ("" while not known)."""
    con = db.connect(path)
    try:
        return fmt.symbol(db.reporting_currency(con))
    finally:
        con.close()


def test_overview_zh_matches_metrics(at, demo_db):
    at.run()
    assert not at.exception
    assert at.title[0].value == "总览"
    period = at.session_state["_context"].period
    st.cache_resource.clear()  # release the file so the check below can open it
    k, default = _kpis(demo_db, period)
    assert period == default  # the latest complete month in the data
    cards = {m.label: m.value for m in at.metric}
    assert cards["成交金额"] == fmt.money(k["revenue_won"], "zh", wan=True, currency=_symbol(demo_db))
    assert cards["赢单率"] == fmt.pct(k["win_rate"])
    assert cards["目标达成率"] == fmt.pct(k["attainment"])
    assert len(at.get("vega_lite_chart")) >= 2
    board = at.dataframe[0].value
    assert len(board) == 10 and board["revenue_won"].is_monotonic_decreasing


def test_switch_to_english_and_back(at):
    at.run()
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert "Revenue won" in [m.label for m in at.metric]
    at.radio(key="lang").set_value("zh").run()
    assert at.title[0].value == "总览"


def test_quarter_and_team_filters(at, demo_db):
    at.run()
    at.session_state["period_kind"] = "quarter"
    at.run()
    ctx = at.session_state["_context"]
    assert ctx.period.kind == "quarter"
    team = at.selectbox(key="team").options[1]
    at.selectbox(key="team").set_value(team).run()
    assert not at.exception
    ctx = at.session_state["_context"]
    assert ctx.scope.team == team
    st.cache_resource.clear()
    con = db.connect(demo_db)
    try:
        k = metrics.kpis(con, ctx.period.start, ctx.period.end, metrics.Scope(team=team))
        symbol = fmt.symbol(db.reporting_currency(con))
    finally:
        con.close()
    assert {m.label: m.value for m in at.metric}["成交金额"] == fmt.money(k["revenue_won"], "zh", wan=True,
                                                                       currency=symbol)


def test_data_page_shows_counts(at, demo_db):
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert at.title[0].value == "数据"
    st.cache_resource.clear()
    con = db.connect(demo_db)
    try:
        counts = db.table_counts(con)
        first, last = metrics.data_range(con)
    finally:
        con.close()
    assert at.metric[0].value == fmt.number(counts["deals"])
    # the last card holds the data's last day (a range did not fit a card at 1280x720):
    # the first day is said under the cards
    assert (at.metric[3].label, at.metric[3].value) == ("数据截至", f"{last:%Y-%m-%d}")
    assert f"{first} 至 {last}" in at.caption[1].value


def test_empty_database_says_what_is_missing(tmp_path, monkeypatch):
    at = app_test(tmp_path / "empty.duckdb", monkeypatch, timeout=60).run()
    assert not at.exception
    assert any("示例数据" in i.value for i in at.info)
    at.switch_page("pages/data.py").run()
    assert at.metric[0].value == "0"
    st.cache_resource.clear()


def test_load_demo_then_reset_from_data_page(tmp_path, monkeypatch):
    at = app_test(tmp_path / "fresh.duckdb", monkeypatch, timeout=60).run()
    at.switch_page("pages/data.py").run()
    at.button(key="data_demo").click().run()
    assert not at.exception
    assert at.metric[0].value != "0"
    assert at.success
    assert at.button(key="data_reset").disabled
    at.text_input(key="data_reset_confirm").set_value("清空").run()   # the typed word (zh)
    at.button(key="data_reset").click().run()
    assert at.metric[0].value == "0"
    st.cache_resource.clear()


def test_data_page_import_then_undo(tmp_path, monkeypatch):
    """The Data page's import workflow end to end: upload, report, import, counts, undo."""
    at = app_test(tmp_path / "import.duckdb", monkeypatch, timeout=60).run()
    at.radio(key="lang").set_value("en").run()
    at.switch_page("pages/data.py").run()
    assert at.metric[0].value == "0"
    csv = ("Sales Rep,Account Name,Amount,Stage,Close Date\nAnn,Acme,1000,Won,2026-01-05\n"
           "Bob,Beta,\"2,500\",Closed Won,2026-01-06\nAnn,Acme,oops,Won,2026-01-07\n").encode()
    at.file_uploader(key="data_upload").set_value([("deals.csv", csv, "text/csv")]).run()
    assert not at.exception
    report = {m.label: m.value for m in at.metric}
    assert (report["Rows OK"], report["Rows rejected"]) == ("2", "1")
    [b for b in at.button if b.key and b.key.endswith("_import")][0].click().run()
    assert not at.exception
    assert at.metric[0].value == "2"  # the Data page's own count of deals
    at.button(key="data_undo").click().run()
    at.button(key="data_undo_yes").click().run()
    assert not at.exception
    assert at.metric[0].value == "0"
    log = [d.value for d in at.dataframe if "What" in d.value.columns][0]
    assert list(log["What"][:2]) == ["undo", "import"]   # the audit log, newest first
    st.cache_resource.clear()


def test_overview_of_an_order_list_says_why_there_is_no_win_rate(tmp_path, monkeypatch):
    """A list of orders (only won rows, DESIGN §4): no 100% win rate, no 0-day cycle; dollars
    are shown as dollars."""
    from datetime import date

    from tests.conftest import insert

    path = tmp_path / "orders.duckdb"
    con = db.connect(path)
    insert(con, "reps", [{"rep_id": "R1", "name": "Ann"}])
    insert(con, "deals", [{"deal_id": f"O{i}", "rep_id": "R1", "amount": 100 * i, "status": "won",
                           "currency": "USD", "created_date": date(2026, 1, 5 + i),
                           "close_date": date(2026, 1, 5 + i)} for i in range(1, 4)])
    con.close()
    at = app_test(path, monkeypatch, timeout=60).run()
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    cards = {m.label: m for m in at.metric}
    assert cards["Win rate"].value == "No lost deals"
    assert "no win rate" in cards["Win rate"].help
    assert cards["Sales cycle"].value == "—"
    assert cards["Revenue won"].value == "$600"
    st.cache_resource.clear()


def test_every_page_is_registered_under_its_file_name():
    """salescore.ui.context.page_path knows the page being run by its file name (a page file
    run without the router has nothing else): app.py must register each page under it."""
    import ast
    from pathlib import Path

    from salescore.ui.context import page_path

    root = Path(__file__).resolve().parents[1]
    tree = ast.parse((root / "app.py").read_text(encoding="utf-8"))
    pages = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PAGES":
            pages.update((e.elts[0].value, e.elts[3].value) for e in node.value.elts)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page" and node.args \
                and isinstance(node.args[0], ast.Constant):
            url = next((k.value.value for k in node.keywords if k.arg == "url_path"), None)
            if url is not None:
                pages[node.args[0].value] = url
    assert pages["pages/me.py"] == "me" and len(pages) == len(list((root / "pages").glob("*.py")))
    assert {path: Path(path).stem for path in pages} == pages
    assert page_path() == ""            # outside a script run there is no page


@pytest.mark.slow
def test_overview_running_quarter_says_to_date_and_compares_the_same_days(at, demo_db):
    """The demo's data ends 2026-11-20: 2026-Q4 is running (day 51). Its cards compare with
    2026-07-01..2026-08-20 (days 1-51 of Q3), not with the whole Q3 (the old "−28.5% vs
    previous" in red), and the colours follow the one light rule (metrics.lights)."""
    from datetime import date

    from streamlit.proto.Metric_pb2 import Metric as MetricProto

    from salescore import periods

    at.run()
    at.radio(key="lang").set_value("en").run()
    at.session_state["period_kind"] = "quarter"
    at.run()
    at.selectbox(key="period_quarter").set_value("2026-Q4").run()
    assert not at.exception
    ctx = at.session_state["_context"]
    assert (ctx.period.label, ctx.as_of) == ("2026-Q4", date(2026, 11, 20))
    assert periods.comparable_previous(ctx.period, ctx.as_of) == (date(2026, 7, 1), date(2026, 8, 20))
    caption = " ".join(c.value for c in at.caption).replace("\\", "")    # markdown escapes
    assert "2026-Q4 to date (through 2026-11-20)" in caption
    assert "2026-Q3 through 2026-08-20 (the same first 51 days)" in caption
    st.cache_resource.clear()
    con = db.connect(demo_db)
    try:
        now = metrics.kpis(con, ctx.period.start, ctx.period.end)
        before = metrics.kpis(con, date(2026, 7, 1), date(2026, 8, 20))
        whole_q3 = metrics.kpis(con, date(2026, 7, 1), date(2026, 9, 30))
        share = periods.pace(ctx.period, ctx.as_of)
    finally:
        con.close()
    change = now["revenue_won"] / before["revenue_won"] - 1
    assert now["revenue_won"] / whole_q3["revenue_won"] - 1 < -0.2      # the misleading figure
    cards = {m.label: m for m in at.metric}
    revenue = cards["Revenue won"]
    assert revenue.proto.delta == f"{change:+.1%} vs same days before"
    color = MetricProto.MetricColor.Name
    light_color = {"green": "GREEN", "amber": "ORANGE", "red": "RED", "none": "GRAY"}
    assert color(revenue.proto.color) == light_color[metrics.change_light(now["revenue_won"], before["revenue_won"])]
    attainment = cards["Attainment"]
    assert color(attainment.proto.color) == light_color[metrics.pace_light(
        now["attainment"], share, now["target"], now["revenue_won"], now["pipeline_coverage"])]
    # the alerts name exactly the red teams of the team chart
    text = " ".join(w.value for w in at.warning)
    con = db.connect(demo_db)
    try:
        teams = metrics.by_group(con, ctx.period.start, ctx.period.end, "team")
    finally:
        con.close()
    red = {team for team, light in zip(teams["team"], metrics.pace_lights(teams, share)) if light == "red"}
    assert red and set(re.findall(r"(\S+) is \d+% behind pace", text)) == red
    for element in [*at.caption, *at.warning, *at.success, *at.info, *at.markdown]:
        assert not any(bad in element.value for bad in ("None", "NaN", "NaT"))


def test_overview_running_month_in_chinese_says_jiezhi(at):
    at.run()
    at.selectbox(key="period_month").set_value("2026-11").run()
    assert not at.exception
    caption = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "2026-11 截至 11-20" in caption and "2026-10 同期（前 20 天，截至 10-20）" in caption
    assert all("环比同期" in m.proto.delta for m in at.metric if m.proto.delta
               and "时间进度" not in m.proto.delta)
