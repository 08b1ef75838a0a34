"""The meeting pack: slides from a hand-worked history, anonymity, rep-safe, PNG and PPTX."""
from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn

from salescore import access, db, fmt, report
from salescore.i18n import t
from salescore.periods import parse
from tests.conftest import insert

ROOT = Path(__file__).resolve().parents[1]
MARCH = parse("2026-03")
WHEN = date(2026, 3, 31)
NAMES = ("Ann Lee", "Bob Stone", "张伟", "张敏")


@pytest.fixture
def shop(con):
    """Four reps in two teams; March 2026 against February, worked by hand in the tests."""
    insert(con, "reps", [
        {"rep_id": "R1", "name": "Ann Lee", "team": "East", "base_salary": 10000, "active": True},
        {"rep_id": "R2", "name": "Bob Stone", "team": "East", "base_salary": 8000, "active": True},
        {"rep_id": "R3", "name": "张伟", "team": "华北", "base_salary": 9000, "active": True},
        {"rep_id": "R4", "name": "张敏", "team": "华北", "base_salary": 9000, "active": True},
    ])
    insert(con, "customers", [{"customer_id": f"C{i}", "name": f"Cust {i}"} for i in range(1, 6)])
    d = date
    deals = [  # id, rep, customer, amount, stage, status, created, closed
        ("D1", "R1", "C1", 1000, "Won", "won", d(2026, 3, 1), d(2026, 3, 10)),
        ("D2", "R2", "C2", 500, "Won", "won", d(2026, 3, 2), d(2026, 3, 12)),
        ("D3", "R3", "C3", 1500, "Won", "won", d(2026, 3, 1), d(2026, 3, 20)),
        ("D4", "R2", "C4", None, "Lead", "lost", d(2026, 3, 5), d(2026, 3, 15)),
        ("D5", "R4", "C5", 200, "Won", "won", d(2026, 3, 3), d(2026, 3, 25)),
        ("D6", "R1", "C1", 800, "Won", "won", d(2026, 2, 1), d(2026, 2, 10)),
        ("D7", "R3", "C2", None, "Proposal", "lost", d(2026, 2, 2), d(2026, 2, 20)),
    ]
    insert(con, "deals", [
        {"deal_id": i, "rep_id": r, "customer_id": c, "amount": a, "stage": s, "status": st,
         "created_date": cd, "close_date": cl} for i, r, c, a, s, st, cd, cl in deals])
    insert(con, "targets", [
        {"scenario": "base", "period": "2026-03", "scope": "rep", "scope_id": rep, "metric": "revenue",
         "value": 1000} for rep in ("R1", "R2", "R3", "R4")])
    db.set_setting(con, "stage_order", ["Lead", "Qualified", "Proposal", "Negotiation"])
    return con


def _texts(slide: report.Slide) -> list[str]:
    """Every string a slide shows, its chart's spec included."""
    out = [slide.title, slide.subtitle, *slide.notes]
    for fig in slide.figures.values():
        out += [fig.label, fig.value, fig.delta or "", fig.help or ""]
    if slide.table is not None:
        out += [str(c) for c in slide.table.columns]
        out += [str(v) for v in slide.table.to_numpy().ravel()]
    if slide.chart is not None:
        out.append(json.dumps(json.loads(slide.chart.to_json()), ensure_ascii=False))
    return out


# --- names ------------------------------------------------------------------------------------

def test_initials_latin_and_chinese():
    assert report.initials("Emma Carter") == "E.C."
    assert report.initials("jean-luc picard") == "J.L.P."
    assert report.initials("张伟") == "张某"
    assert report.initials("欧阳娜娜") == "欧阳某"   # compound surname kept whole
    assert report.initials("欧阳") == "欧某"         # two characters: a surname of one


def test_aliases_are_unique_and_stable():
    names = ["张伟", "Emma Carter", "张敏", "Eric Chen", "张伟"]
    assert report.aliases(names) == {"张伟": "张某", "Emma Carter": "E.C.", "张敏": "张某乙",
                                     "Eric Chen": "E.C. (2)"}


# --- slides from the hand-worked history -------------------------------------------------------

def test_slide_keys_rep_safe_drops_manager_only():
    assert report.slide_keys() == report.SLIDE_KEYS
    safe = report.slide_keys(rep_safe=True)
    assert "retention" not in safe and "payouts" not in safe
    assert len(safe) == len(report.SLIDE_KEYS) - 2


def test_kpi_slide_figures(shop):
    s = report.slide(shop, "kpis", MARCH, "en", when=WHEN)
    figs = s.figures
    # March: won 1000 + 500 + 1500 + 200 = 3200 against targets 4 x 1000 = 4000; the deals
    # carry no currency, so no symbol (DESIGN §4: never a guessed ¥)
    assert figs["revenue_won"].value == "3.2k"
    assert figs["target"].value == "4.0k"
    assert figs["attainment"].value == "80.0%"
    # February won 800: 3200 / 800 - 1 = +300 %
    assert figs["revenue_won"].delta == "+300.0% vs 2026-02"
    # win rate: 4 won of 5 closed = 80 %; February 1 of 2 = 50 %: +30 points
    assert figs["win_rate"].value == "80.0%"
    assert figs["win_rate"].delta == "+30.0pt vs 2026-02"
    assert s.title == "Results vs target" and s.kind == "figures" and s.chart is not None
    # attainment R2 500/1000 = 50 %, R4 200/1000 = 20 % are below 70 % of a full pace
    assert any("张敏" in n and "Bob Stone" in n for n in s.notes)


def test_leaderboard_and_champions(shop):
    s = report.slide(shop, "leaderboard", MARCH, "zh", when=WHEN)
    table = s.table
    assert list(table.columns) == ["排名", "销售", "团队", "成交金额", "目标达成率", "赢单率", "表彰"]
    assert list(table["销售"]) == ["张伟", "Ann Lee", "Bob Stone", "张敏"]       # 1500, 1000, 500, 200
    assert list(table["排名"]) == ["1", "2", "3", "4"]
    champion = t("meeting.champion", "zh")
    assert list(table["表彰"]) == [champion, champion, "", ""]                  # best of 华北 and East
    assert list(table["赢单率"]) == ["100%", "100%", "50%", "100%"]              # Bob: 1 won, 1 lost
    assert s.title == "销售明星榜与表彰" and s.chart is not None


def test_pacing_by_team(shop):
    s = report.slide(shop, "pacing", MARCH, "en", when=WHEN)
    rows = s.table.set_index("Team")
    # East 1000 + 500 of 2000 = 75 %; 华北 1500 + 200 of 2000 = 85 %
    assert rows.loc["East", "Attainment"] == "75%"
    assert rows.loc["华北", "Attainment"] == "85%"
    assert s.figures["on_track"].value == "0 / 2"


def test_pace_is_working_days_on_every_slide(shop):
    # 13 March 2026 (a Friday): March has 22 working days (2-6, 9-13, 16-20, 23-27, 30-31),
    # 10 of them gone -> 10 / 22 = 45 % (calendar days would say 13 / 31 = 42 %)
    friday = date(2026, 3, 13)
    pacing = report.slide(shop, "pacing", MARCH, "en", when=friday)
    assert pacing.figures["time"].value == "45%"
    assert pacing.figures["time"].delta == "10 of 22 working days"
    kpis = report.slide(shop, "kpis", MARCH, "en", when=friday)
    assert kpis.figures["attainment"].help.endswith("45% of the period has elapsed.")


def test_kpi_trend_is_the_twelve_month_window(shop):
    # periods.trend_start: the 12 months ending with March 2026 start in April 2025
    insert(shop, "deals", [
        {"deal_id": "OLD", "rep_id": "R1", "customer_id": "C1", "amount": 300, "stage": "Won", "status": "won",
         "created_date": date(2025, 3, 1), "close_date": date(2025, 3, 20)},
        {"deal_id": "APR", "rep_id": "R1", "customer_id": "C1", "amount": 400, "stage": "Won", "status": "won",
         "created_date": date(2025, 4, 1), "close_date": date(2025, 4, 20)}])
    chart = report.slide(shop, "kpis", MARCH, "en", when=WHEN).chart.to_dict()
    rows = [r for data in chart["datasets"].values() for r in data if "month" in r]
    months = sorted({r["month"] for r in rows})
    assert months[0] == "2025-04" and months[-1] == "2026-03" and len(months) == 12
    assert {r["month"]: r["revenue_won"] for r in rows}["2025-04"] == 400


def test_funnel_bottleneck_names_the_weakest_step(shop):
    s = report.slide(shop, "funnel", MARCH, "en", when=WHEN)
    # created in March: D1..D5 (5); won 4 -> 80 %; every deal but the lost lead reached the later
    # stages, so the weakest step is Lead -> Qualified at 4/5
    assert s.figures["created"].value == "5"
    assert s.figures["overall"].value == "80.0%"
    assert s.figures["bottleneck"].label == "Lead → Qualified"
    assert s.figures["bottleneck"].value == "80.0%"
    assert s.table.iloc[-1]["Stage"] == "Won"


def test_actions_slide_empty_then_with_items(shop):
    empty = report.slide(shop, "actions", MARCH, "en", when=WHEN)
    assert empty.kind == "text" and empty.notes == (t("meeting.note.no_actions", "en"),)
    insert(shop, "actions", [
        {"title": "Coach Bob Stone on proposals", "rule": "training", "owner": "Ann Lee",
         "start_date": date(2026, 3, 1), "due_date": date(2026, 3, 15), "status": "in_progress"},
        {"title": "Import targets", "rule": "data", "owner": "Ann Lee",
         "start_date": date(2026, 3, 1), "due_date": date(2026, 3, 20), "status": "done"},
    ])
    s = report.slide(shop, "actions", MARCH, "en", when=WHEN, anonymize=True)
    assert s.figures["total"].value == "2"
    assert s.figures["done"].value == "1 (50%)"
    assert s.figures["overdue"].value == "1"                # due 15 March, still in progress on the 31st
    assert list(s.table["Action item"]) == ["Coach B.S. on proposals"]     # open items only
    assert list(s.table["Owner"]) == ["A.L."]
    assert list(s.table["Status"]) == ["In progress · Overdue"]
    assert s.chart is not None


def test_anonymize_replaces_every_rep_name(shop):
    plain = report.slides(shop, MARCH, "zh", when=WHEN)
    hidden = report.slides(shop, MARCH, "zh", when=WHEN, anonymize=True)
    shown = " ".join(x for s in plain for x in _texts(s))
    assert all(name in shown for name in NAMES)              # the check below can fail
    text = " ".join(x for s in hidden for x in _texts(s))
    assert [n for n in NAMES if n in text] == []
    assert "张某乙" in text and "A.L." in text


def test_rep_safe_slides(shop):
    every = report.slides(shop, MARCH, "en", when=WHEN)
    safe = report.slides(shop, MARCH, "en", when=WHEN, rep_safe=True)
    assert [s.key for s in every] == list(report.SLIDE_KEYS)
    assert [s.key for s in safe] == list(report.slide_keys(rep_safe=True))
    assert {s.key for s in every if s.manager_only} == set(report.MANAGER_ONLY)
    assert not any(s.manager_only for s in safe)
    assert all(s.kind in report.KINDS for s in every)


def test_empty_database_is_a_sentence(con):
    with pytest.raises(report.SalesCoreError) as err:
        report.slides(con, MARCH, "en")
    assert err.value.key == "common.no_data"


# --- PNG ---------------------------------------------------------------------------------------

def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_chart_png_has_the_asked_size(shop):
    chart = report.slide(shop, "leaderboard", MARCH, "zh", when=WHEN).chart
    assert _png_size(report.chart_png(chart, scale=2, width=300, height=200)) == (600, 400)
    assert _png_size(report.chart_png(chart, scale=1, width=320, height=180)) == (320, 180)


def test_slide_png_matches_its_place_in_the_deck(shop):
    s = report.slide(shop, "kpis", MARCH, "en", when=WHEN)
    _, _, w, h = report._boxes(s)["chart"]
    assert _png_size(report.slide_png(s)) == (2 * int(w * report.PX_PER_IN), 2 * int(h * report.PX_PER_IN))
    assert report.slide_png(report.slide(shop, "actions", MARCH, "en", when=WHEN)) is None


# --- PPTX on the demo company --------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_con(tmp_path_factory, demo_copy):
    connection = db.connect(demo_copy(tmp_path_factory.mktemp("deck") / "demo.duckdb", "zh"))
    yield connection
    connection.close()


def _shape_texts(shape) -> list[str]:
    out = []
    if shape.has_text_frame:
        out.append(shape.text_frame.text)
    if getattr(shape, "has_table", False) and shape.has_table:
        out += [cell.text for row in shape.table.rows for cell in row.cells]
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_deck_reads_back(demo_con, lang):
    period = parse("2026-10")
    items = report.slides(demo_con, period, lang)
    prs = Presentation(io.BytesIO(report.deck_pptx(demo_con, period, lang)))
    assert prs.slide_width * 9 == prs.slide_height * 16                     # 16:9
    pages = list(prs.slides)
    assert pages[0].shapes.title.text == t("meeting.deck_title", lang)
    # a table longer than DECK_ROWS goes on over "(continued)" slides, the table alone
    expected = []
    for s in items:
        rows = 0 if s.table is None else len(s.table)
        parts = max(1, -(-rows // report.DECK_ROWS))
        expected += [(s, 0)] + [(s, k) for k in range(1, parts)]
    assert [p.shapes.title.text for p in pages[1:]] == [
        s.title if k == 0 else t("report.continued", lang, title=s.title) for s, k in expected]
    payouts = [p for p in pages if p.shapes.title.text.startswith(t("meeting.slide.payouts", lang))]
    assert len(payouts) == 2                                                # 23 reps: 12 + 11
    for page, (s, k) in zip(pages[1:], expected):
        pictures = [sh for sh in page.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
        tables = [sh for sh in page.shapes if sh.has_table]
        faces = len(s.faces) if k == 0 else 0                      # the star board's pictures
        assert len(pictures) == (1 if s.chart is not None and k == 0 else 0) + faces, s.key
        if s.table is not None and not s.table.empty:
            assert len(tables) == 1, s.key
            grid = tables[0].table
            assert [c.text for c in grid.rows[0].cells] == [str(c) for c in s.table.columns]
            assert 2 <= len(grid.rows) <= report.DECK_ROWS + 1, s.key
            sizes = {r.font.size.pt for row in grid.rows for c in row.cells
                     for para in c.text_frame.paragraphs for r in para.runs}
            assert min(sizes) >= 11, (s.key, sizes)                         # readable from the back
        else:
            assert tables == [], s.key
    # every table row of every slide is on the deck once, in order
    for s in items:
        if s.table is not None and not s.table.empty:
            grids = [sh.table for p, (x, _) in zip(pages[1:], expected) if x is s for sh in p.shapes if sh.has_table]
            body = [[c.text for c in row.cells] for g in grids for row in list(g.rows)[1:]]
            assert body == [[str(v) for v in r] for r in s.table.itertuples(index=False)], s.key
    # no empty placeholder: every placeholder of every slide holds text
    empty = [(i, ph.placeholder_format.type) for i, p in enumerate(pages) for ph in p.placeholders
             if not (ph.has_text_frame and ph.text_frame.text.strip())]
    assert empty == []
    assert sum(1 for s in items if s.chart is not None) >= 5
    # every run names the East Asian typeface, so Chinese renders in a CJK font
    runs = [r for p in pages for sh in p.shapes for r in sh._element.iter(qn("a:r"))]
    assert runs and all(r.find(qn("a:rPr")).find(qn("a:ea")).get("typeface") == report.EA_FONT for r in runs)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_deck_uses_the_apps_names(demo_con, lang):
    """Rewards in the reader's words (incentives.reward_text, as the statement), quadrants as on
    the Retention page, deductions negative (incentives.signed)."""
    from salescore import incentives
    period = parse("2026-10")
    _, text = _deck_text(report.deck_pptx(demo_con, period, lang))
    other = "en" if lang == "zh" else "zh"
    for key in incentives.REWARD_KEYS:
        if t(f"incentives.reward.{key}", other) != t(f"incentives.reward.{key}", lang):
            assert t(f"incentives.reward.{key}", other) not in text, key   # "2 extra paid leave days"
    assert t("incentives.reward.leave_days_2", lang) in text
    retention = report.slide(demo_con, "retention", period, lang)
    col = t("meeting.col.quadrant", lang)
    assert set(retention.table[col]) <= {t(f"retention.quadrant.{q}", lang) for q in ("fair", "loyalty", "avoid",
                                                                                       "exploited")}
    payouts = report.slide(demo_con, "payouts", period, lang).table
    cut = payouts[t("incentives.col.decelerator_cut", lang)]
    assert any(v.startswith("-") for v in cut)                              # a deduction reads negative


def test_rep_safe_anonymized_deck_has_no_names(demo_con):
    with demo_con.cursor() as cur:
        names = [r[0] for r in cur.execute("select name from reps").fetchall()]
    period = parse("2026-10")
    plain = Presentation(io.BytesIO(report.deck_pptx(demo_con, period, "zh")))
    text = " ".join(x for p in plain.slides for sh in p.shapes for x in _shape_texts(sh))
    assert sum(n in text for n in names) >= 10                               # names are on the slides
    prs = Presentation(io.BytesIO(report.deck_pptx(demo_con, period, "zh", anonymize=True, rep_safe=True)))
    assert len(prs.slides) == 1 + len(report.slide_keys(rep_safe=True))
    text = " ".join(x for p in prs.slides for sh in p.shapes for x in _shape_texts(sh))
    notes = " ".join(p.notes_slide.notes_text_frame.text for p in prs.slides if p.has_notes_slide)
    assert [n for n in names if n in text or n in notes] == []
    assert t("meeting.slide.retention", "zh") not in text


# --- command line ----------------------------------------------------------------------------------

def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "salescore", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_cli_deck_writes_a_deck(tmp_path, demo_copy):
    path = tmp_path / "demo.duckdb"
    connection = db.connect(demo_copy(path, "en"))
    connection.close()
    out = tmp_path / "meeting.pptx"
    done = _cli("deck", "--db", str(path), "--period", "2026-Q3", "--lang", "en", "--out", str(out))
    assert done.returncode == 0, done.stderr
    prs = Presentation(str(out))
    titles = [p.shapes.title.text for p in prs.slides]
    # a title slide, every slide key, the payouts of 23 reps over two slides (12 + 11)
    assert len(titles) == 1 + len(report.SLIDE_KEYS) + 1
    assert titles[1] == "Results vs target" and "Payouts by sales rep (continued)" in titles
    bad = _cli("deck", "--db", str(path), "--period", "2026-13", "--out", str(tmp_path / "bad.pptx"))
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "2026-13" in bad.stderr
    assert not (tmp_path / "bad.pptx").exists()


def test_every_query_can_go_through_the_page_cache(shop):
    """With ``call`` the slides never touch the connection themselves (the Meeting page's cache,
    shared with the other pages, then serves every query)."""
    calls = []

    def call(fn, *args, **kwargs):
        calls.append(fn.__name__)
        return fn(shop, *args, **kwargs)

    for key in report.SLIDE_KEYS:
        direct = report.slide(shop, key, MARCH, "en", when=WHEN, anonymize=True)
        cached = report.slide(None, key, MARCH, "en", when=WHEN, anonymize=True, call=call)
        assert _texts(cached) == _texts(direct), key
    assert {"kpis", "by_group", "payouts", "pacing", "quadrant", "list_actions", "rep_names"} <= set(calls)


# --- who sees what (salescore.access) ------------------------------------------------------------

PAY_SLIDES = ("incentives", "payouts", "retention")


def _deck_text(data: bytes) -> tuple[list[str], str]:
    """(slide titles, every text of the deck: shapes, tables and speaker notes)."""
    prs = Presentation(io.BytesIO(data))
    titles = [p.shapes.title.text for p in prs.slides]
    text = [x for p in prs.slides for sh in p.shapes for x in _shape_texts(sh)]
    text += [p.notes_slide.notes_text_frame.text for p in prs.slides if p.has_notes_slide]
    return titles, "\n".join(text)


def _payout_figures(con, period, lang) -> set[str]:
    """Every rep's non-zero commission and total as the admin's payouts slide shows them."""
    table = report.slide(con, "payouts", period, lang).table
    cols = [t("incentives.col.commission", lang), t("incentives.col.total", lang)]
    figures = {str(v) for col in cols for v in table[col]}
    return {f for f in figures if any(ch in "123456789" for ch in f)}


def test_slide_keys_follow_the_role():
    viewer = access.User("look", "viewer")
    manager = access.User("east", "manager", team="East")
    assert report.slide_keys(user=None) == report.SLIDE_KEYS
    assert report.slide_keys(user=manager) == report.SLIDE_KEYS        # a manager sees their team's pay
    assert report.slide_keys(user=viewer) == tuple(k for k in report.SLIDE_KEYS if k not in PAY_SLIDES)
    assert report.left_out(viewer) == PAY_SLIDES and report.left_out(manager) == ()
    assert report.slide_keys(True, viewer) == ("kpis", "leaderboard", "pacing", "funnel", "movement", "actions")


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_viewers_deck_has_no_pay_or_retention(demo_con, lang):
    period = parse("2026-10")
    viewer = access.restricted(demo_con, access.User("look", "viewer"))
    figures = _payout_figures(demo_con, period, lang)
    assert len(figures) >= 10                                   # the demo pays most reps
    titles, text = _deck_text(report.deck_pptx(demo_con, period, lang))
    assert {t(f"meeting.slide.{k}", lang) for k in PAY_SLIDES} <= set(titles)
    assert figures <= {f for f in figures if f in text}        # the admin's deck shows every figure

    titles, text = _deck_text(report.deck_pptx(viewer, period, lang))
    assert titles[1:] == [t(f"meeting.slide.{k}", lang) for k in report.slide_keys(user=viewer.user)]
    assert [f for f in figures if f in text] == []              # no rep's payout, anywhere
    for key in ("incentives.col.commission", "incentives.col.base_bonus", "meeting.fig.total_payout",
                "meeting.fig.at_risk", "meeting.term.commission"):
        assert t(key, lang) not in text, key
    assert t("meeting.access.left_out", lang, role=t("access.role.viewer", lang)) in text
    with pytest.raises(report.SalesCoreError) as err:           # not one slide by its key either
        report.slide(viewer, "payouts", period, lang)
    assert err.value.key == "meeting.access.not_for_role"


@pytest.mark.slow
def test_a_managers_deck_pays_their_team_only(demo_con):
    period = parse("2026-10")
    with demo_con.cursor() as cur:
        team, = cur.execute("select min(team) from reps").fetchone()
        mine = {r[0] for r in cur.execute("select name from reps where team = $t", {"t": team}).fetchall()}
    manager = access.restricted(demo_con, access.User("boss-of-team", "manager", team=team))
    assert [s.key for s in report.slides(manager, period, "en")] == list(report.SLIDE_KEYS)
    payouts = report.slide(manager, "payouts", period, "en").table
    assert set(payouts[t("meeting.col.rep", "en")]) == mine
    titles, text = _deck_text(report.deck_pptx(manager, period, "en"))
    assert t("meeting.slide.payouts", "en") in titles
    assert t("meeting.access.left_out", "en", role=t("access.role.manager", "en")) not in text


def test_star_board_shows_the_best_reps_faces_and_the_anonymized_deck_none(demo_con):
    """The leaderboard slide carries the three best reps with a picture (initials in a circle
    where no photo is stored, the stored photo once there is one); anonymized, it has none."""
    from PIL import Image

    from salescore import photos

    period = parse("2026-10")
    board = {s.key: s for s in report.slides(demo_con, period, "en")}["leaderboard"]
    assert [f.name for f in board.faces] == list(board.table[t("meeting.col.rep", "en")][:3])
    first = board.faces[0]
    assert Image.open(io.BytesIO(first.png)).size == (photos.SIZE, photos.SIZE)
    assert first.caption in set(board.table[t("meeting.col.revenue_won", "en")])
    anonymous = {s.key: s for s in report.slides(demo_con, period, "en", anonymize=True)}["leaderboard"]
    assert anonymous.faces == ()
    prs = Presentation(io.BytesIO(report.deck_pptx(demo_con, period, "en", anonymize=True)))
    title = t("meeting.slide.leaderboard", "en")
    page = next(p for p in prs.slides if p.shapes.title.text == title)
    assert len([sh for sh in page.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]) == 1  # the chart


def test_movement_slide_is_the_last_week_of_exports(demo_con):
    from salescore import history

    s = report.slide(demo_con, "movement", parse("2026-10"), "zh")
    days = history.snapshot_dates(demo_con)
    # October was over before the last two exports: the slide follows November's deals
    moved = history.movement(demo_con, days[-2], days[-1], parse("2026-11"))
    assert days[-2].isoformat() in s.subtitle and "2026-11" in s.subtitle
    assert s.figures["start"].value == fmt.money(moved.buckets["start"]["amount"], "zh", wan=True, currency="¥")
    assert s.figures["won"].value == fmt.money(moved.buckets["won"]["amount"], "zh", wan=True, currency="¥")
    assert list(s.table["变化"]) == [t(f"history.bucket.{k}", "zh") for k in history.BUCKETS]
    assert list(s.table["商机数"]) == [fmt.number(moved.buckets[k]["deals"]) for k in history.BUCKETS]
    assert s.chart is not None and s.notes[-1] == t("meeting.note.identity", "zh")
    slipped = history.slippage(demo_con, days[-2], days[-1])
    hidden = report.slide(demo_con, "movement", parse("2026-10"), "zh", anonymize=True)
    assert str(slipped["rep"].iloc[0]) in s.notes[0] and str(slipped["rep"].iloc[0]) not in hidden.notes[0]


def test_movement_slide_without_two_exports_says_what_it_needs(con):
    insert(con, "reps", [{"rep_id": "R1", "name": "Ann"}])
    insert(con, "deals", [{"deal_id": "D1", "rep_id": "R1", "status": "won", "amount": 5,
                           "close_date": date(2026, 3, 1), "created_date": date(2026, 2, 1)}])
    s = report.slide(con, "movement", parse("2026-03"), "en", when=date(2026, 3, 31))
    assert s.kind == "text" and s.notes == (t("meeting.note.needs_two", "en"),)
