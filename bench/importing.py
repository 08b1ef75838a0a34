"""Import benchmark: our end-to-end import against DuckDB's bare read_csv of the same file,
and a 100k-row xlsx against python-calamine's bare read (issue 3 "Performance").

Run through ``python -m salescore bench --rows N``. Tests never run 1M rows.
"""
from __future__ import annotations

import io
import random
import resource
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from salescore import db
from salescore.ingest import load, prepare

STAGES = ["赢单", "输单", "方案报价", "需求确认", "商务谈判"]


def make_deals_csv(path: Path, rows: int, seed: int = 1) -> None:
    """A deals CSV with Chinese headers, money with separators and both date styles."""
    rnd = random.Random(seed)
    reps = [f"销售{i:03d}" for i in range(200)]
    customers = [f"客户{i:05d}有限公司" for i in range(20000)]
    products = [f"产品{i:02d}" for i in range(40)]
    start = date(2024, 1, 1)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("商机编号,销售员,客户名称,产品,金额,阶段,创建日期,成交日期\n")
        lines = []
        for i in range(rows):
            created = start + timedelta(days=rnd.randrange(700))
            stage = STAGES[rnd.randrange(5)]
            close = (created + timedelta(days=rnd.randrange(1, 120))).isoformat() \
                if stage in ("赢单", "输单") else ""
            amount = rnd.randrange(100, 5_000_000) / 100
            lines.append(f"D{i:08d},{reps[rnd.randrange(200)]},{customers[rnd.randrange(20000)]},"
                         f"{products[rnd.randrange(40)]},\"{amount:,.2f}\",{stage},"
                         f"{created.isoformat()},{close}\n")
            if len(lines) >= 100_000:
                fh.writelines(lines)
                lines = []
        fh.writelines(lines)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(rows: int = 1_000_000, tmpdir: str | Path | None = None,
        xlsx_rows: int = 100_000) -> dict:
    """Time bare reads and our imports; returns seconds, ratios and peak RSS (MB)."""
    if tmpdir is None:
        with tempfile.TemporaryDirectory(prefix="salescore-bench-") as scratch:
            return run(rows, scratch, xlsx_rows)
    tmp = Path(tmpdir)
    csv_path = tmp / "deals.csv"
    make_deals_csv(csv_path, rows)
    out: dict = {"rows": rows, "csv_mb": round(csv_path.stat().st_size / 1e6, 1)}

    # Side by side, three rounds (the machine is shared: single timings move by +-15%):
    # DuckDB's bare read_csv into an in-memory table (the target's yardstick), the same into a
    # database file (for scale), then our import (read the bytes, prepare, load into a new
    # database file, checkpoint); the medians are compared.
    bare_s, bare_file_s, ours, ratios = [], [], [], []
    for round_no in range(3):
        t0 = time.perf_counter()
        with duckdb.connect() as bare:
            bare.execute("create table t as select * from read_csv($p)", {"p": str(csv_path)})
            n = bare.execute("select count(*) from t").fetchall()[0][0]
        bare_s.append(time.perf_counter() - t0)
        assert n == rows
        # for scale, not the target: the same read_csv stored in a database file
        t0 = time.perf_counter()
        with duckdb.connect(str(tmp / f"bare{round_no}.duckdb")) as bare:
            bare.execute("create table t as select * from read_csv($p)", {"p": str(csv_path)})
            bare.execute("checkpoint")
        bare_file_s.append(time.perf_counter() - t0)
        con = db.connect(tmp / f"bench{round_no}.duckdb")
        t0 = time.perf_counter()
        data = csv_path.read_bytes()
        prepared = prepare(data, csv_path.name)
        t1 = time.perf_counter()
        result = load(con, prepared)
        t2 = time.perf_counter()
        con.execute("checkpoint")
        t3 = time.perf_counter()
        ours.append((t1 - t0, t2 - t1, t3 - t2, t3 - t0))
        ratios.append(round((t3 - t0) / bare_s[-1], 2))
        rejected = prepared.rows_rejected
        del data, prepared
        if round_no < 2:
            con.close()
    out["duckdb_read_csv_s"] = round(statistics.median(bare_s), 3)
    out.update(prepare_s=round(statistics.median(o[0] for o in ours), 3),
               load_s=round(statistics.median(o[1] for o in ours), 3),
               checkpoint_s=round(statistics.median(o[2] for o in ours), 3),
               import_s=round(statistics.median(o[3] for o in ours), 3),
               rows_loaded=result.rows_loaded, rejected=rejected, csv_ratio_rounds=ratios)
    out["csv_ratio"] = round(out["import_s"] / out["duckdb_read_csv_s"], 2)
    out["duckdb_read_csv_to_file_s"] = round(statistics.median(bare_file_s), 3)
    out["csv_ratio_to_file"] = round(out["import_s"] / out["duckdb_read_csv_to_file_s"], 2)
    t0 = time.perf_counter()
    again = load(con, prepare(csv_path.read_bytes(), csv_path.name))
    out["reimport_s"] = round(time.perf_counter() - t0, 3)
    out["reimport_unchanged"] = again.unchanged
    con.close()

    if xlsx_rows:
        frame = pd.read_csv(csv_path, nrows=xlsx_rows, dtype=str, keep_default_na=False)
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="xlsxwriter") as xw:
            frame.to_excel(xw, index=False, sheet_name="商机")
        xdata = buf.getvalue()
        t0 = time.perf_counter()
        pd.read_excel(io.BytesIO(xdata), engine="calamine", header=None)
        out["calamine_read_s"] = round(time.perf_counter() - t0, 3)
        con = db.connect(tmp / "bench_x.duckdb")
        t0 = time.perf_counter()
        load(con, prepare(xdata, "deals.xlsx"))
        out["xlsx_import_s"] = round(time.perf_counter() - t0, 3)
        out["xlsx_rows"] = xlsx_rows
        out["xlsx_ratio"] = round(out["xlsx_import_s"] / out["calamine_read_s"], 2)
        con.close()
    out["peak_rss_mb"] = round(_peak_rss_mb(), 0)
    return out

