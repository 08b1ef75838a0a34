"""Deal history from weekly exports (DESIGN.md section 8): three hand-made exports of the same
deals a week apart, each movement bucket worked out by hand, time in stage, slippage, an older
export imported again, undo, and the export's date read from the file name."""
from __future__ import annotations

import json
from datetime import date

import pytest

from salescore import db, history, ingest
from salescore.ingest.header import export_date
from salescore import periods

HEAD = "Deal ID,Sales Agent,Stage,Amount,Created Date,Expected Close Date,Close Date\n"
W1 = HEAD + """D1,Ann,Prospecting,100,2026-10-01,2026-12-15,
D2,Ann,Negotiation,200,2026-10-01,2026-11-30,
D3,Bob,Proposal,300,2026-10-01,2026-12-20,
D4,Bob,Proposal,400,2026-10-01,2027-01-15,
D5,Cai,Negotiation,500,2026-10-01,2026-11-20,
D6,Cai,Prospecting,600,2026-10-01,2026-12-01,
"""
W2 = HEAD + """D1,Ann,Qualification,150,2026-10-01,2026-12-15,
D2,Ann,Won,200,2026-10-01,2026-11-30,2026-11-06
D3,Bob,Proposal,300,2026-10-01,2027-02-01,
D4,Bob,Proposal,400,2026-10-01,2026-12-10,
D5,Cai,Lost,500,2026-10-01,2026-11-20,2026-11-08
D6,Cai,Prospecting,450,2026-10-01,2026-12-01,
D7,Ann,Prospecting,700,2026-11-05,2026-12-31,
D8,Bob,Won,80,2026-11-03,2026-11-07,2026-11-07
"""
W3 = HEAD + """D1,Ann,Won,150,2026-10-01,2026-12-15,2026-11-14
D2,Ann,Won,200,2026-10-01,2026-11-30,2026-11-06
D3,Bob,Proposal,300,2026-10-01,2027-02-01,
D4,Bob,Negotiation,420,2026-10-01,2026-12-10,
D5,Cai,Lost,500,2026-10-01,2026-11-20,2026-11-08
D6,Cai,Prospecting,450,2026-10-01,2026-12-01,
D7,Ann,Qualification,700,2026-11-05,2027-01-10,
D8,Bob,Won,80,2026-11-03,2026-11-07,2026-11-07
"""
MON1, MON2, MON3 = date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)
Q4 = periods.parse("2026-Q4")


def _import(con, text: str, name: str, **kw) -> ingest.ImportResult:
    prepared = ingest.prepare(text.encode(), name, con=con)
    return ingest.load(con, prepared, file_name=name, **kw)


@pytest.fixture
def weekly(con):
    for text, day in ((W1, MON1), (W2, MON2), (W3, MON3)):
        result = _import(con, text, f"pipeline_{day.isoformat()}.csv")
        assert result.as_of == day                     # the date in the file name
    return con


def _figures(m: history.Movement) -> dict[str, tuple[int, float]]:
    return {k: (v["deals"], v["amount"]) for k, v in m.buckets.items()}


@pytest.mark.backends
def test_movement_week_one_to_two_in_the_quarter(weekly):
    m = history.movement(weekly, MON1, MON2, Q4)
    assert _figures(m) == {
        "start": (5, 1700.0),      # D1 100, D2 200, D3 300, D5 500, D6 600 (D4 closes in 2027)
        "created": (2, 780.0),     # D7 700, D8 80 (created and won in the week)
        "pulled_in": (1, 400.0),   # D4: expected close 2027-01-15 -> 2026-12-10
        "increased": (1, 50.0),    # D1 100 -> 150
        "decreased": (1, 150.0),   # D6 600 -> 450
        "pushed_out": (1, 300.0),  # D3: 2026-12-20 -> 2027-02-01
        "lost": (1, 500.0),        # D5
        "won": (2, 280.0),         # D2 200, D8 80
        "end": (4, 1700.0),        # D1 150, D4 400, D6 450, D7 700
    }
    assert m.balanced()
    assert set(m.deals.loc[m.deals["bucket"] == "won", "deal_id"]) == {"D2", "D8"}
    assert m.deals.loc[m.deals["bucket"] == "pushed_out", "rep"].tolist() == ["Bob"]


@pytest.mark.backends
def test_movement_week_two_to_three_and_across_both_weeks(weekly):
    m = history.movement(weekly, MON2, MON3, Q4)
    assert _figures(m) == {
        "start": (4, 1700.0), "created": (0, 0.0), "pulled_in": (0, 0.0),
        "increased": (1, 20.0),     # D4 400 -> 420
        "decreased": (0, 0.0),
        "pushed_out": (1, 700.0),   # D7: 2026-12-31 -> 2027-01-10
        "lost": (0, 0.0), "won": (1, 150.0),   # D1
        "end": (2, 870.0),          # D4 420, D6 450
    }
    both = history.movement(weekly, MON1, MON3, Q4)
    assert _figures(both) == {
        "start": (5, 1700.0),
        "created": (1, 80.0),       # D8 (D7 came and went out of the quarter: in no bucket)
        "pulled_in": (1, 420.0),    # D4 at its end amount
        "increased": (1, 50.0),     # D1 100 -> 150, then won
        "decreased": (1, 150.0),    # D6
        "pushed_out": (1, 300.0),   # D3
        "lost": (1, 500.0),         # D5
        "won": (3, 430.0),          # D1 150, D2 200, D8 80
        "end": (2, 870.0),
    }
    assert m.balanced() and both.balanced()


@pytest.mark.backends
def test_movement_without_a_period_is_the_whole_open_pipeline(weekly):
    m = history.movement(weekly, MON1, MON2)
    assert _figures(m) == {
        "start": (6, 2100.0), "created": (2, 780.0), "pulled_in": (0, 0.0),
        "increased": (1, 50.0), "decreased": (1, 150.0), "pushed_out": (0, 0.0),
        "lost": (1, 500.0), "won": (2, 280.0),
        "end": (5, 2000.0),         # D1 150, D3 300, D4 400, D6 450, D7 700
    }
    assert m.balanced()
    # the days may be given either way round; before the first export nothing was open
    assert _figures(history.movement(weekly, MON2, MON1)) == _figures(m)
    early = history.movement(weekly, date(2026, 10, 1), MON1)
    assert early.buckets["start"] == {"deals": 0, "amount": 0.0}
    assert early.buckets["created"] == {"deals": 6, "amount": 2100.0} and early.balanced()


@pytest.mark.backends
def test_json_names_every_bucket_and_lists_deals_when_asked(weekly):
    out = history.movement(weekly, MON1, MON2, Q4).as_json(with_deals=True)
    assert list(out) == list(history.BUCKETS)
    assert out["lost"]["deals_list"] == [{"deal_id": "D5", "deal": "D5", "rep": "Cai", "amount": 500.0}]


@pytest.mark.backends
def test_an_older_export_imported_again_changes_neither_history_nor_deals(weekly):
    before = _figures(history.movement(weekly, MON1, MON3, Q4))
    deals = weekly.execute("select * from deals order by deal_id").fetchall()
    rows = weekly.execute("select count(*) from deal_history").fetchall()[0][0]
    again = _import(weekly, W1, f"pipeline_{MON1.isoformat()}.csv")
    assert again.kept == 6 and again.history == 0 and again.updated == 0
    assert weekly.execute("select * from deals order by deal_id").fetchall() == deals
    assert weekly.execute("select count(*) from deal_history").fetchall()[0][0] == rows
    assert _figures(history.movement(weekly, MON1, MON3, Q4)) == before
    ingest.undo(weekly)
    assert weekly.execute("select * from deals order by deal_id").fetchall() == deals
    assert _figures(history.movement(weekly, MON1, MON3, Q4)) == before


def test_a_missed_week_imported_late_fills_the_history_in_between(tmp_path):
    con = db.connect(tmp_path / "late.duckdb")
    _import(con, W1, "pipeline_2026-11-02.csv")
    _import(con, W3, "pipeline_2026-11-16.csv")
    deals = con.execute("select * exclude (batch_id) from deals order by deal_id").fetchall()
    late = _import(con, W2, "crm export.csv", as_of=MON2)    # no date in the name: given
    assert late.as_of == MON2 and late.kept == 8           # every deal stays as on 11-16
    assert late.history == 8                               # each differs from 11-02 (or is new)
    assert con.execute("select * exclude (batch_id) from deals order by deal_id").fetchall() == deals
    # the same history as the exports imported in order
    con_in_order = db.connect(tmp_path / "in_order.duckdb")
    for text, day in ((W1, MON1), (W2, MON2), (W3, MON3)):
        _import(con_in_order, text, f"pipeline_{day.isoformat()}.csv")
    for a, b in ((MON1, MON2), (MON2, MON3), (MON1, MON3)):
        assert _figures(history.movement(con, a, b, Q4)) == \
            _figures(history.movement(con_in_order, a, b, Q4))
    con_in_order.close()
    con.close()


@pytest.mark.backends
def test_undo_of_the_last_export_removes_its_history(weekly):
    rows = weekly.execute("select count(*) from deal_history where seen_at = $d", {"d": MON3}).fetchall()[0][0]
    assert rows == 3                     # one row per deal that changed: D1 won, D4, D7
    ingest.undo(weekly)
    assert weekly.execute("select count(*) from deal_history where seen_at = $d", {"d": MON3}).fetchall() == [(0,)]
    assert history.snapshot_dates(weekly) == [MON1, MON2]


@pytest.mark.backends
def test_time_in_stage_counts_stays_whose_both_ends_were_seen(weekly):
    stays = history.time_in_stage(weekly)
    got = {(r.stage, r.rep): (r.stays, r.median_days) for r in stays.itertuples()}
    # D1 in Qualification from 11-09 to 11-16; D7 created 11-05, in Prospecting until 11-16.
    # D1's Prospecting and D4's Proposal began before the first export: not measured.
    assert got == {("Qualification", "Ann"): (1, 7.0), ("Prospecting", "Ann"): (1, 11.0)}
    assert list(history.stage_medians(weekly)["stage"]) == ["Prospecting", "Qualification"]


@pytest.mark.backends
def test_slippage_names_who_keeps_pushing(weekly):
    slip = history.slippage(weekly, MON1, MON3)
    got = {r.rep: (r.deals, r.pushes, r.days_pushed, r.amount) for r in slip.itertuples()}
    assert got == {"Bob": (1, 1, 43, 300.0), "Ann": (1, 1, 10, 700.0)}


@pytest.mark.parametrize("texts, day", [
    (["pipeline_2026-11-30.csv"], date(2026, 11, 30)),
    (["商机导出 2026年11月30日", "x.xlsx"], date(2026, 11, 30)),
    (["Opportunities as of Nov 30, 2026"], date(2026, 11, 30)),
    (["Period 2026-01-01 to 2026-03-31, exported 2026-04-02"], date(2026, 4, 2)),
    (["2026-01-01 至 2026-03-31 订单"], None),            # a period, not an export date
    (["11/30/2026 snapshot"], date(2026, 11, 30)),
    (["05/06/2026 snapshot"], None),                     # day and month cannot be told apart
    (["sales_pipeline.csv"], None), (["orders_2020-02.csv"], None),
    (["pipeline_2027-01-05.csv"], None),                 # after today
])
def test_export_date_from_title_or_file_name(texts, day):
    assert export_date(texts, today=date(2026, 12, 4)) == day


def test_cli_import_as_of_and_history_json(tmp_path):
    from tests.test_cli import run

    db_path = tmp_path / "cli.duckdb"
    files = []
    for text, name in ((W1, "crm.csv"), (W2, "crm_2026-11-09.csv")):
        files.append(tmp_path / name)
        files[-1].write_text(text, encoding="utf-8")
    done = run("import", str(files[0]), "--db", str(db_path), "--as-of", "2026-11-02")
    assert done.returncode == 0, done.stderr
    assert "export of 2026-11-02" in done.stdout
    done = run("import", str(files[1]), "--db", str(db_path))
    assert "export of 2026-11-09" in done.stdout               # from the file name
    done = run("history", "--db", str(db_path), "--period", "2026-Q4", "--json")   # last two exports
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["start"] == {"deals": 5, "amount": 1700.0} and out["won"] == {"deals": 2, "amount": 280.0}
    assert out["pulled_in"] == {"deals": 1, "amount": 400.0} and out["end"]["amount"] == 1700.0
    listed = json.loads(run("history", "--db", str(db_path), "--from", "2026-11-02", "--to",
                            "2026-11-09", "--list", "--json").stdout)
    assert [d["deal_id"] for d in listed["won"]["deals_list"]] == ["D2", "D8"]
    bad = run("history", "--db", str(db_path), "--period", "Q9")
    assert bad.returncode == 2 and "is not a period" in bad.stderr and not bad.stdout
    empty = run("history", "--db", str(tmp_path / "none.duckdb"))
    assert empty.returncode == 2 and "No deal history yet" in empty.stderr


DIFF = HEAD + """D1,Ann,Qualification,100,2026-10-01,2026-12-15,
D2,Ann,Won,250,2026-10-01,2026-11-30,2026-10-20
D3,Bob,Proposal,300,2026-10-01,2026-12-20,
D4,Bob,Prospecting,400,2026-10-01,2027-01-15,
D6,Cai,Prospecting,600,2026-10-01,2026-12-01,
D9,Cai,Won,90,2026-10-01,2026-10-15,2026-10-15
"""


def test_import_diff_before_storing(tmp_path):
    con = db.connect(tmp_path / "diff.duckdb")
    _import(con, W1, "pipeline_2026-11-02.csv")
    con.execute("insert into settings values ('stage_order', "
                "'[\"Prospecting\", \"Qualification\", \"Proposal\", \"Negotiation\"]')")
    before = con.execute("select count(*) from deals").fetchall()
    diff = history.import_diff(con, ingest.prepare(DIFF.encode(), "next.csv", con=con))
    assert diff.compared
    ids = {k: list(v["deal_id"]) for k, v in diff.parts.items()}
    assert ids == {"new": ["D9"],                   # not stored yet
                   "amounts": ["D2"],               # 200 -> 250
                   "regressions": ["D4"],           # Proposal -> Prospecting
                   "backdated": ["D9", "D2"],       # closed 10-15 and 10-20, before the 11-02 export
                   "missing": ["D5"]}               # open, and not in the file
    row = diff.parts["amounts"].iloc[0]
    assert (row["before"], row["after"], row["change"]) == (200.0, 250.0, 50.0)
    assert con.execute("select count(*) from deals").fetchall() == before     # nothing stored
    # a won deal the next export shows lost is a regression (its pay is clawed back)
    _import(con, W2, "pipeline_2026-11-09.csv")
    lost = W2.replace("D2,Ann,Won,200,2026-10-01,2026-11-30,2026-11-06",
                      "D2,Ann,Lost,200,2026-10-01,2026-11-30,2026-11-12")
    diff = history.import_diff(con, ingest.prepare(lost.encode(), "x.csv", con=con))
    assert list(diff.parts["regressions"]["deal_id"]) == ["D2"]
    assert diff.counts == {"new": 0, "amounts": 0, "regressions": 1, "backdated": 0, "missing": 0}
    # nothing to compare with: an empty database, or a file without deal ids
    assert not history.import_diff(db.connect(tmp_path / "empty.duckdb"),
                                   ingest.prepare(W1.encode(), "a.csv")).compared
    no_ids = "Sales Agent,Stage,Amount,Close Date\nAnn,Won,5,2026-11-01\n"
    assert not history.import_diff(con, ingest.prepare(no_ids.encode(), "b.csv", con=con)).compared
    con.close()


def test_cli_dry_run_shows_the_diff_and_stores_nothing(tmp_path):
    from tests.test_cli import run

    db_path = tmp_path / "dry.duckdb"
    (tmp_path / "w1.csv").write_text(W1, encoding="utf-8")
    (tmp_path / "next_2026-11-09.csv").write_text(DIFF, encoding="utf-8")
    assert run("import", str(tmp_path / "w1.csv"), "--db", str(db_path), "--as-of", "2026-11-02").returncode == 0
    con = db.connect(db_path)
    before = con.execute("select count(*) from deal_history").fetchall()
    con.close()
    done = run("import", str(tmp_path / "next_2026-11-09.csv"), "--db", str(db_path), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "export of 2026-11-09 (the file)" in done.stdout
    assert "new deals: 1 - D9" in done.stdout and "open deals not in the file: 1 - D5" in done.stdout
    assert "back-dated: 2 - D9, D2" in done.stdout
    con = db.connect(db_path)
    assert con.execute("select count(*) from deal_history").fetchall() == before
    con.close()


def test_forecast_category_column_is_read_and_kept_in_history(tmp_path):
    con = db.connect(tmp_path / "fc.duckdb")
    head = "Opportunity ID,Sales Agent,Stage,Amount,Forecast Category,Close Date\n"
    first = head + ("A,Ann,Prospecting,5,Best Case,\nB,Ann,Proposal,6,Commit,\nC,Ann,Prospecting,7,?,\n"
                    "D,Ann,Won,8,Closed,2026-01-01\nE,Ann,Proposal,9,忽略,\nF,Ann,Proposal,9,pipeline,\n")
    prepared = ingest.prepare(first.encode(), "sf_2026-11-02.csv", con=con)
    warned = [n for n in prepared.warnings if n.key == "ingest.warn.forecast_category"]
    assert len(warned) == 1 and warned[0].count == 1          # "?" (row C); Closed is not warned
    ingest.load(con, prepared, file_name="sf_2026-11-02.csv")
    got = dict(con.execute("select deal_id, forecast_category from deals").fetchall())
    # Salesforce's ForecastCategoryName values and the Chinese names; Closed or unknown: none
    assert got == {"A": "best_case", "B": "commit", "C": None, "D": None, "E": "omitted", "F": "pipeline"}
    _import(con, first.replace("A,Ann,Prospecting,5,Best Case", "A,Ann,Prospecting,5,Commit"),
            "sf_2026-11-09.csv")
    rows = con.execute("select seen_at, forecast_category from deal_history where deal_id = 'A' "
                       "order by seen_at").fetchall()
    assert rows == [(MON1, "best_case"), (MON2, "commit")]
    con.close()


# --- forecast categories (DESIGN.md section 8) ------------------------------------------------------

def test_forecast_categories_roll_up_and_accuracy(tmp_path):
    """W3 on 2026-11-16 with a forecast category column for D3 (Commit) and D4 (Omitted); the
    other deals get theirs from the win probability of their stage and the default bands.
    Q4 deals still open and expected in the quarter: D4 (420, Dec 10) and D6 (450, Dec 1)."""
    from salescore.history import forecast as fc

    con = db.connect(tmp_path / "f.duckdb")
    head = HEAD.strip() + ",Forecast Category\n"
    rows = [line + ("," + {"D3": "Commit", "D4": "Omitted"}.get(line.split(",")[0], "")) for line in W3.splitlines()[1:]]
    _import(con, head + "\n".join(rows) + "\n", "pipeline_2026-11-16.csv")
    q4 = periods.parse("2026-Q4")
    deals = fc.category_deals(con, q4, MON3).set_index("deal_id")
    # D3 expects 2027-02-01 and D7 2027-01-10: not in Q4; D4 (420, Dec 10) and D6 (450, Dec 1) are
    assert sorted(deals.index) == ["D4", "D6"]
    assert (deals.loc["D4", "category"], deals.loc["D4", "source"]) == ("omitted", "crm")
    assert deals.loc["D6", "source"] == "band"
    assert deals.loc["D6", "category"] == fc.category_of(deals.loc["D6", "win_probability"], fc.bands(con))
    frame = fc.rollup(con, q4, MON3)
    top = frame.iloc[0]
    # won in Q4 by 11-16: D2 200 (Ann), D8 80 (Bob), D1 150 (Ann, 11-14) = 430
    assert top["won"] == 430.0 and top["omitted"] == 420.0
    assert top["commit_call"] == 430.0 + top["commit"]
    bob = frame[(frame["level"] == "rep") & (frame["name"] == "Bob")].iloc[0]
    assert (bob["won"], bob["omitted"], bob["commit_call"]) == (80.0, 420.0, 80.0)
    # a manager's call for Bob replaces his, and the company adds it up
    fc.adjust(con, q4, "rep", bob["scope_id"], 500.0, 600.0, "D4 is back in play")
    again = fc.rollup(con, q4, MON3)
    assert again.iloc[0]["commit_call"] == top["commit_call"] - 80.0 + 500.0
    with pytest.raises(Exception, match="cannot be below"):
        fc.adjust(con, q4, "rep", bob["scope_id"], 500.0, 100.0)
    number = fc.submit(con, q4, MON3, note="first call")
    acc = fc.accuracy(con, date(2026, 11, 20))
    assert number == 1 and len(acc) == 1
    assert acc.iloc[0]["actual"] == 430.0 and not acc.iloc[0]["finished"]
    assert acc.iloc[0]["commit_error"] == pytest.approx(again.iloc[0]["commit_call"] / 430.0 - 1)
    with pytest.raises(Exception, match="go down"):
        fc.save_bands(con, {"commit": 0.3, "best_case": 0.5, "pipeline": 0.1})
    con.close()


@pytest.mark.backends
def test_cli_forecast_json_and_submit(weekly, tmp_path):
    import subprocess
    import sys

    path = getattr(weekly, "url", None) or tmp_path / "test.duckdb"   # the con fixture's
    weekly.close()
    done = subprocess.run([sys.executable, "-m", "salescore", "forecast", "--db", str(path), "--period",
                           "2026-Q4", "--as-of", "2026-11-16", "--submit", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["period"] == "2026-Q4" and out["submitted"] == 1
    assert set(out) >= {"bands", "categories", "company", "teams", "reps", "submissions"}
    assert out["company"]["won"] == 430.0 and out["submissions"][0]["actual"] == 430.0
