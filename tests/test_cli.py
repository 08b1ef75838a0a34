"""The command line per DESIGN §6, run as a real subprocess."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, env_db: Path | None = None) -> subprocess.CompletedProcess:
    import os
    env = dict(os.environ)
    env.pop("SALESCORE_DB", None)
    if env_db is not None:
        env["SALESCORE_DB"] = str(env_db)
    return subprocess.run([sys.executable, "-m", "salescore", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "demo.duckdb"
    done = run("demo", "--db", str(path), "--lang", "en")
    assert done.returncode == 0, done.stderr
    return path


def test_metrics_json_does_not_load_pandas(demo_file):
    """metrics --json is built from DuckDB rows: pandas (a third of its run at 1M deals,
    issue "Scale") stays unimported."""
    code = ("import contextlib, io, sys\n"
            "from salescore import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    assert cli.main(['metrics', '--json', '--db', {str(demo_file)!r}]) == 0\n"
            "print('pandas' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_metrics_json_matches_direct_sql(demo_file):
    done = run("metrics", "--db", str(demo_file), "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    con = duckdb.connect(str(demo_file), read_only=True)
    try:
        won, revenue = con.execute(
            "select count(*), sum(amount) from deals where status = 'won'").fetchall()[0]
        lost = con.execute("select count(*) from deals where status = 'lost'").fetchall()[0][0]
        reps = con.execute("select count(*) from reps").fetchall()[0][0]
        per_rep = dict(con.execute(
            "select r.name, sum(d.amount) from deals d join reps r using (rep_id) "
            "where d.status = 'won' group by 1").fetchall())
    finally:
        con.close()
    totals = out["totals"]
    assert totals["deals_won"] == won
    assert totals["revenue_won"] == pytest.approx(float(revenue))
    assert totals["win_rate"] == pytest.approx(won / (won + lost))
    assert len(out["by_rep"]) <= reps
    for row in out["by_rep"]:
        assert row["revenue_won"] == pytest.approx(float(per_rep.get(row["rep"], 0)))
    assert out["funnel"][0]["reached"] >= out["funnel"][-1]["reached"] == won


def test_metrics_with_dates_and_env_db(demo_file):
    done = run("metrics", "--from", "2026-07-01", "--to", "2026-09-30", "--json", env_db=demo_file)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["from"] == "2026-07-01" and out["totals"]["attainment"] is not None


def test_metrics_text_output(demo_file):
    done = run("metrics", "--db", str(demo_file), "--from", "2026-10-01", "--to", "2026-10-31")
    assert done.returncode == 0
    assert "revenue_won" in done.stdout and "win_rate" in done.stdout


@pytest.mark.parametrize("args, message", [
    (["metrics", "--from", "2026-13-01"], "is not a date"),
    (["metrics", "--from", "2026-10-01", "--to", "2026-01-01"], "is after"),
    (["metrics", "--rep", "Nobody Atall"], "No sales rep called"),
])
def test_bad_input_exits_2_with_one_line(demo_file, args, message):
    done = run(*args, "--db", str(demo_file))
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_demo_if_missing_keeps_existing_file(demo_file):
    done = run("demo", "--db", str(demo_file), "--if-missing")
    assert done.returncode == 0 and "exists" in done.stdout


def test_busy_database_is_a_sentence(demo_file):
    holder = duckdb.connect(str(demo_file))
    try:
        done = run("metrics", "--db", str(demo_file), "--json")
    finally:
        holder.close()
    assert done.returncode == 2
    assert "open in another salescore window" in done.stderr


def test_bench_without_its_folder_is_one_sentence(monkeypatch, tmp_path, capsys):
    """An installed salescore without the checkout's bench/ folder: exit 2, one sentence."""
    from salescore import cli
    from salescore.cli import figures

    monkeypatch.setattr(figures, "BENCH_DIR", tmp_path / "bench")
    assert cli.main(["bench", "--rows", "1000", "--skip-import", "--skip-pages"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bench" in err and str(tmp_path / "bench") in err


def test_bench_folder_is_found_next_to_the_package():
    from salescore import cli

    assert (cli.BENCH_DIR / "server.py").is_file() and cli.BENCH_DIR.parent == ROOT


def test_metrics_text_shows_the_datas_currency(demo_file, tmp_path):
    """The demo reports in CNY (¥); a database of dollar deals shows $; one whose deals have
    no currency shows no symbol at all (never a guessed ¥)."""
    done = run("metrics", "--db", str(demo_file))
    assert done.returncode == 0, done.stderr
    assert "revenue_won" in done.stdout and "¥" in done.stdout and "$" not in done.stdout
    data = tmp_path / "deals.csv"
    data.write_text("opportunity_id,sales_agent,deal_stage,close_date,close_value\n"
                    "O1,Ann,Won,2017-03-01,1200\nO2,Ann,Lost,2017-03-02,0\n", encoding="utf-8")
    db_path = tmp_path / "usd.duckdb"
    done = run("import", str(data), "--db", str(db_path))
    assert done.returncode == 0, done.stderr
    assert "rows show no currency" in done.stdout
    done = run("metrics", "--db", str(db_path))
    line = next(ln for ln in done.stdout.splitlines() if ln.strip().startswith("revenue_won"))
    assert line.split()[-1] == "1,200"
    done = run("import", str(data), "--db", str(db_path), "--currency", "usd")
    assert done.returncode == 0, done.stderr
    assert "stored in USD (--currency)" in done.stdout
    done = run("metrics", "--db", str(db_path))
    line = next(ln for ln in done.stdout.splitlines() if ln.strip().startswith("revenue_won"))
    assert line.split()[-1] == "$1,200"


def test_import_bad_currency_exits_2_database_unchanged(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("销售员,金额,阶段,成交日期\n张伟,100,赢单,2026-03-01\n", encoding="utf-8")
    db_path = tmp_path / "x.duckdb"
    done = run("import", str(data), "--db", str(db_path), "--currency", "dollars")
    assert done.returncode == 2
    assert "“dollars” is not a currency" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not db_path.exists()


def test_import_report_says_what_each_rule_did(tmp_path):
    data = tmp_path / "orders.csv"
    data.write_text("订单编号,总金额,买家实际支付金额,订单创建时间,订单付款时间,退款金额\n"
                    "1,100,100,2020-02-01,2020-02-01,0\n2,70,0,2020-02-03,,0\n"
                    "3,40,0,2020-02-04,2020-02-04,40\n", encoding="utf-8")
    done = run("import", str(data), "--db", str(tmp_path / "o.duckdb"), "--currency", "CNY")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "1 unpaid order imported as lost" in out
    assert "1 fully refunded order imported as lost" in out
    assert "3 rows without a currency of their own stored in CNY" in out
