"""AppTest: the Team page renders on demo data in both languages and shows salescore's figures."""
from __future__ import annotations


import streamlit as st
from streamlit.testing.v1 import AppTest

from salescore import db, fmt, team
from salescore.scope import Scope

from tests.conftest import app_test, with_db

APP = "../app.py"
PAGE = "pages/team.py"




def _open_page(at: AppTest) -> AppTest:
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def test_team_page_zh_matches_salescore(at, demo_db):
    _open_page(at)
    assert at.title[0].value == "团队"
    ctx = at.session_state["_context"]
    rep_id = at.selectbox(key="team_rep").value
    profile, effect, items, money = with_db(demo_db, lambda con: (
        team.profiles(con, ctx.period.start, ctx.period.end, ctx.scope),
        team.programme_effect(con, "顾问式销售训练营", 12, Scope()),
        team.swot(con, ctx.period, "team", "华东", "previous"),
        fmt.symbol(db.reporting_currency(con))))            # ¥: the demo reports in CNY
    row = profile.set_index("rep_id").loc[rep_id]
    cards = {m.label: m.value for m in at.metric}
    assert cards["赢单率"] == team.format_value("win_rate", row["win_rate"], "zh")
    assert cards["跟进活动数"] == team.format_value("activities", row["activities"], "zh")
    # the training effect: the demo's bootcamp lifts win rate by about 8 points, beyond noise
    assert cards["对赢单率的影响"] == fmt.points(effect.did.estimate, "zh", short=True)   # whole in its card
    assert 0.05 < effect.did.estimate < 0.12 and effect.did.low > 0
    assert any("区间不含 0" in s.value for s in at.success)
    # the SWOT board (first subject: team 华东) shows the auto items in Chinese
    board = "\n".join(m.value for m in at.markdown)
    assert items and all(team.render(i, "zh", money) in board for i in items)
    assert "竞品" in board                       # the demo's rising competitor losses
    assert len(at.get("vega_lite_chart")) >= 4
    # the board downloads as XLSX and as a picture (built only on click: AppTest sees the button)
    assert at.download_button(key="team_swot_xlsx").label == "下载看板（XLSX）"
    assert at.download_button(key="team_swot_png").label == "下载看板图片（PNG）"


def test_team_page_english(at):
    _open_page(at)
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Team"
    labels = [m.label for m in at.metric]
    assert "Win rate" in labels and "Effect on win rate" in labels
    assert any("distinguishable from noise" in s.value for s in at.success)
    board = "\n".join(m.value for m in at.markdown)
    assert "Strengths" in board and "Competitor" not in board   # zh demo: reasons stay as data
    assert at.download_button(key="team_swot_png").label == "Download the board (PNG)"
    assert any("Next hire for" in i.value for i in at.info)


def test_team_filter_and_quarter(at, demo_db):
    _open_page(at)
    at.session_state["period_kind"] = "quarter"
    at.run()
    team_name = at.selectbox(key="team").options[1]
    at.selectbox(key="team").set_value(team_name).run()
    assert not at.exception
    ctx = at.session_state["_context"]
    assert ctx.period.kind == "quarter" and ctx.scope.team == team_name
    subjects = at.selectbox(key="team_subject").options
    assert subjects[0] == team_name                             # only this team and its reps
    at.selectbox(key="team_subject").set_value(subjects[1]).run()  # a rep's SWOT
    assert not at.exception


def test_save_auto_items_and_edit_notes(writable):
    at, path = writable
    _open_page(at)
    at.button(key="team_save_auto").click().run()
    assert not at.exception
    assert any("已保存" in s.value for s in at.success)
    stored = with_db(path, lambda con: team.notes(con, "team", "华东"))
    assert len(stored) > 0 and set(stored["origin"]) == {"auto"}
    _open_page(at)
    key = "team_notes_team:华东_0"
    at.session_state[key] = {"edited_rows": {}, "added_rows": [{"quadrant": "O", "text": "=招一位渠道经理"}],
                             "deleted_rows": [0]}
    at.run()
    at.button(key="team_save_notes").click().run()
    assert not at.exception
    after = with_db(path, lambda con: team.notes(con, "team", "华东"))
    assert len(after) == len(stored)                           # one removed, one added
    assert "=招一位渠道经理" in after["text"].tolist()
    assert after.set_index("text").loc["=招一位渠道经理", "origin"] == "manual"


def test_empty_database(tmp_path, monkeypatch):
    at = app_test(tmp_path / "empty.duckdb", monkeypatch, timeout=90)
    _open_page(at)
    assert any("示例数据" in i.value for i in at.info)
    st.cache_resource.clear()


def test_missing_data_is_explained(tmp_path, monkeypatch):
    """Deals only: no activities, surveys, targets or trainings. The page says so, in English."""
    from datetime import date

    from tests.conftest import insert
    path = tmp_path / "thin.duckdb"
    con = db.connect(path)
    insert(con, "reps", [{"rep_id": f"R{i}", "name": f"Rep {i}", "team": "A"} for i in range(3)])
    insert(con, "deals", [
        {"deal_id": f"D{i}", "rep_id": f"R{i % 3}", "customer_id": f"C{i}", "amount": 100 + i,
         "status": "won" if i % 2 else "lost", "stage": "x", "created_date": date(2026, 1, 1),
         "close_date": date(2026, 2, 1 + i)} for i in range(12)])
    con.close()
    at = app_test(path, monkeypatch, timeout=90)
    at.run()
    at.radio(key="lang").set_value("en").run()
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error
    infos = " ".join(i.value for i in at.info)
    for text in ("No activities are recorded", "No satisfaction (CSAT) surveys",
                 "No revenue targets for this period", "No training records yet"):
        assert text in infos
    st.cache_resource.clear()


def _no_team_csv() -> bytes:
    """Deals of three reps over two months, as a file without a team column."""
    lines = ["销售员,客户名称,金额,阶段,创建日期,成交日期"]
    for i in range(36):
        rep = ("张伟", "李娜", "王强")[i % 3]
        stage = "赢单" if i % 4 else "输单"
        day = f"2026-{3 + i // 18:02d}-{1 + i % 18:02d}"
        lines.append(f"{rep},客户{i % 7},{1000 + 10 * i},{stage},2026-02-01,{day}")
    return ("\n".join(lines) + "\n").encode()


def _texts(at: AppTest) -> list[str]:
    out = [e.value for kind in ("markdown", "info", "warning", "caption", "success", "subheader")
           for e in getattr(at, kind)]
    out += [f"{m.label} {m.value}" for m in at.metric]
    for box in at.selectbox:
        out += [str(o) for o in box.options]          # as the user reads them (formatted)
    return out


def test_imported_without_a_team_column(tmp_path, monkeypatch):
    """Deals imported from a file with no team column: the page names the empty team
    "(no team)" / "（未分团队）" or leaves the bracket out: no "张伟 ()", "Next hire for :",
    "None" or an empty/NaN team on the role-mix axis."""
    import json

    from salescore.ingest import load, prepare
    path = tmp_path / "noteam.duckdb"
    con = db.connect(path)
    prepared = prepare(_no_team_csv(), "deals.csv")
    assert "team" not in prepared.mapping.values()
    load(con, prepared)
    assert con.execute("select count(*) from reps where team is not null").fetchall()[0][0] == 0
    con.close()
    at = app_test(path, monkeypatch, timeout=90)
    _open_page(at)
    for lang, no_team in (("zh", "（未分团队）"), ("en", "(no team)")):
        if lang == "en":
            at.radio(key="lang").set_value("en").run()
            assert not at.exception and at.title[0].value == "Team"
        texts = _texts(at)
        joined = "\n".join(texts)
        for bad in ("()", "（）", " for :", "None", "NaN", "nan"):
            assert bad not in joined, (lang, bad, [s for s in texts if bad in s])
        assert at.selectbox(key="team_subject").options[0] == no_team
        # the lone group is the company: not flagged for relying on new customers more than itself
        assert not any("开拓型" in w.value or "hunter" in w.value for w in at.warning)
        assert "张伟" in at.selectbox(key="team_rep").options
        # the role-mix chart's team axis: the empty team by name, never blank or NaN
        teams = set()
        for chart in at.get("vega_lite_chart"):
            spec = json.loads(chart.proto.spec)
            if '"team:N"' in json.dumps(spec.get("encoding", {})) or \
                    "team" in json.dumps(spec.get("encoding", {}).get("y", {})):
                import pyarrow as pa
                for ds in chart.proto.datasets:
                    frame = pa.ipc.open_stream(ds.data.data).read_all().to_pandas()
                    if "team" in frame:
                        teams |= set(frame["team"])
        assert teams == {no_team}, teams
    st.cache_resource.clear()


def test_a_team_move_is_recorded_on_the_role_mix_tab(writable):
    """Issue 20: Team › Role mix › Team moves: a rep moved to a new team from a day is listed
    with the span before it, and reps.team follows; without a team it is a sentence."""
    from datetime import date

    from salescore import incentives
    from tests.conftest import with_db

    at, path = writable
    at.run()
    at.switch_page("pages/team.py").run()
    rep_id = at.selectbox(key="mv_rep").value
    at.date_input(key="mv_from").set_value(date(2026, 9, 1)).run()
    at.button(key="mv_add").click().run()
    assert any("调入的团队" in e.value for e in at.error), [e.value for e in at.error]
    at.text_input(key="mv_team").set_value("新区").run()
    at.button(key="mv_add").click().run()
    assert not at.exception
    assert any("团队调动" in s.value for s in at.success), [e.value for e in at.error]
    spans = with_db(path, lambda con: incentives.assignments.moves(con, rep_id=rep_id))
    assert spans["team"].tolist()[-1] == "新区" and spans["from_date"].notna().tolist() == [False, True]
    assert with_db(path, lambda con: con.execute("select team from reps where rep_id = $r",
                                                 {"r": rep_id}).fetchall()) == [("新区",)]
