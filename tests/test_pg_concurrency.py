"""Two imports into one PostgreSQL database at the same time (DESIGN.md section 9): each is one
transaction under salescore's advisory lock, so both land whole and the result is the one the
two files give imported one after the other, in the order the server took them."""
from __future__ import annotations

import subprocess
import sys

import pytest

from salescore import db

pytestmark = pytest.mark.slow

HEAD = "Deal ID,Sales Agent,Customer,Stage,Amount,Created Date,Close Date\n"


def _deals(prefix: str, n: int, amount: int, shared: int = 0) -> str:
    """``n`` deals ``prefix``1.., plus ``shared`` deals S1.. that both files name."""
    rows = [f"{prefix}{i},Rep {i % 7},Cust {i % 50},Won,{amount + i},2026-01-{1 + i % 28:02d},"
            f"2026-03-{1 + i % 28:02d}" for i in range(1, n + 1)]
    rows += [f"S{i},Rep {i % 5},Cust {i % 30},Negotiation,{amount * 2 + i},2026-02-01,"
             for i in range(1, shared + 1)]
    return HEAD + "\n".join(rows) + "\n"


def _import(url: str, path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "salescore", "import", str(path), "--db", url,
                             "--as-of", "2026-04-01"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _state(con) -> dict[str, list[tuple]]:
    with con.cursor() as cur:
        return {
            "deals": cur.execute("select deal_id, name, rep_id, customer_id, amount, stage, status, "
                                 "created_date, close_date from deals order by deal_id").fetchall(),
            "reps": cur.execute("select rep_id, name from reps order by rep_id").fetchall(),
            "customers": cur.execute("select customer_id, name from customers order by 1").fetchall(),
            "history": cur.execute("select deal_id, seen_at, stage, status, amount from deal_history "
                                   "order by 1, 2, 3, 4, 5").fetchall(),
        }


def test_two_imports_at_once_lose_nothing(pg_database, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(_deals("A", 3000, 100, shared=400), encoding="utf-8")
    b.write_text(_deals("B", 3000, 5000, shared=400), encoding="utf-8")
    url = pg_database()
    db.connect(url).close()                    # the schema first: both imports then only load
    jobs = [_import(url, a), _import(url, b)]
    outs = [job.communicate(timeout=300) for job in jobs]
    for job, (out, err) in zip(jobs, outs):
        assert job.returncode == 0, err
    con = db.connect(url)
    try:
        imports = con.execute("select file_name, status, rows_loaded from imports "
                              "order by batch_id").fetchall()
        assert sorted(r[0] for r in imports) == ["a.csv", "b.csv"]
        assert all(r[1] == "loaded" and r[2] == 3400 for r in imports)
        got = _state(con)
    finally:
        con.close()
    assert len(got["deals"]) == 6400                    # A1.., B1.. and the shared S1..S400 once
    assert len({d[0] for d in got["deals"]}) == 6400
    # the same rows as the two files imported one after the other, in the server's order
    order = [a if name == "a.csv" else b for name, _, _ in imports]
    url2 = pg_database()
    for path in order:
        job = _import(url2, path)
        out, err = job.communicate(timeout=300)
        assert job.returncode == 0, err
    con = db.connect(url2)
    try:
        assert _state(con) == got
    finally:
        con.close()
    # the later file's amounts won on the deals both name
    later = 5000 if order[-1] == b else 100
    shared = {d[0]: d[4] for d in got["deals"] if d[0].startswith("S")}
    assert shared["S1"] == later * 2 + 1
