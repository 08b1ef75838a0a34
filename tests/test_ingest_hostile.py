"""The importer under hostile files (issue 17 items 3, 4, 14 and the CSV half of 15).

3: a workbook that claims a huge sheet (one cell at XFD1048576: 512 GiB) is refused with a
sentence before calamine sizes its grid, or read in a child process whose crash is a
sentence; the process (CLI, Streamlit server) lives on. 4: columns, line length, cells and
unpacked size are capped before the heavy read, running out of memory is a sentence, and the
Data page prepares a file once per upload and choice. 14: look-alike names. 15: CR line
endings. Files that crash today's importer are tried in a child Python, so that a failure
is a failed test, not a dead pytest. The files come from tests/data/hostile.py.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from salescore import db
from salescore.errors import ImportRejected
from salescore.i18n import error_text
from salescore.ingest import guard, load, prepare
from salescore.ingest import read as ingest_read

ROOT = Path(__file__).resolve().parents[1]
prepare_module = importlib.import_module("salescore.ingest.prepare")  # the module, not prepare()
_spec = importlib.util.spec_from_file_location("hostile", ROOT / "tests" / "data" / "hostile.py")
hostile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hostile)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def refused(data: bytes, name: str, key: str, **kwargs) -> ImportRejected:
    """prepare() refuses ``data`` with ``key``, in a sentence in both languages."""
    with pytest.raises(ImportRejected) as info:
        prepare(data, name, **kwargs)
    assert info.value.key == key, (info.value.key, str(info.value))
    for lang in ("en", "zh"):
        text = error_text(info.value, lang)
        assert "{" not in text and "ingest." not in text, text
    return info.value


# --- 3. workbooks that claim a huge sheet ---------------------------------------------------

CRASHERS = {   # name -> (bytes, what the refusal must say)
    "xfd1048576.xlsx": (lambda: hostile.xlsx_with_cell_at(1048575, 16383), "XFD1048576"),
    "lying-dimension.xlsx": (hostile.xlsx_lying_dimension, "XFD1048576"),
    "no-dimension.xlsx": (hostile.xlsx_without_dimension, "XFD1048576"),
    "single-quoted.xlsx": (hostile.xlsx_single_quoted_refs, "GB of memory"),
    "eight-million-rows.xlsx": (lambda: hostile.xlsx_rows(8_000_000), "8,000,000 rows"),
    "refless-cells.xlsx": (lambda: hostile.xlsx_cells_without_refs(1500), "1,500 columns"),
    "repeated.ods": (lambda: hostile.ods(3, 1500), "1,500 columns"),
}


def _write(folder: Path, names) -> list[Path]:
    paths = []
    for name in names:
        path = folder / name
        path.write_bytes(CRASHERS[name][0]())
        paths.append(path)
    return paths


def test_huge_workbooks_are_refused_in_a_sentence_not_a_crash(tmp_path):
    """In a child Python (today's importer aborts the process on the first one): every
    shape is refused with ImportRejected, none takes the process down."""
    paths = _write(tmp_path, CRASHERS)
    script = textwrap.dedent("""
        import json, sys
        from salescore.errors import ImportRejected
        from salescore.ingest import prepare, sheets
        out = {}
        for path in sys.argv[1:]:
            data = open(path, "rb").read()
            try:
                prepare(data, path.rsplit("/", 1)[-1])
                out[path] = "prepared"
            except ImportRejected as err:
                out[path] = [err.key, str(err)]
        print(json.dumps(out))
    """)
    done = subprocess.run([sys.executable, "-c", script, *map(str, paths)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    answers = json.loads(done.stdout)
    for path in paths:
        key, sentence = answers[str(path)]
        assert key in ("ingest.error.sheet_too_big", "ingest.error.sheet_memory"), sentence
        assert CRASHERS[path.name][1] in sentence, sentence


def test_cli_refuses_the_512_gib_workbook_and_leaves_the_database(tmp_path):
    """The CLI exits 2 with one line (SIGABRT today), the database byte for byte as it was."""
    base = tmp_path / "sales.duckdb"
    con = db.connect(base)
    load(con, prepare(hostile.quoted_cr_csv(), "seed.csv"))
    con.close()
    before = hashlib.sha256(base.read_bytes()).hexdigest()
    path = _write(tmp_path, ["xfd1048576.xlsx"])[0]
    done = subprocess.run([sys.executable, "-m", "salescore", "import", "--db", str(base),
                           str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert done.stderr.startswith("error: xfd1048576.xlsx: a sheet has a cell at XFD1048576")
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
    assert hashlib.sha256(base.read_bytes()).hexdigest() == before


APP = """
import os, sys, json
import streamlit as st
from salescore import db
from salescore.ui import importer

@st.cache_resource(on_release=lambda c: c.close())
def get_con(path):
    return db.connect(path)

importer.render(get_con(os.environ["SALESCORE_DB"]), os.environ.get("TEST_LANG", "en"))
"""


@pytest.mark.slow
def test_data_page_shows_a_sentence_for_each_hostile_workbook(tmp_path):
    """The importer page (AppTest, in a child Python since today's server dies on the first
    file) gets every shape at once and shows one error per file, no exception."""
    paths = _write(tmp_path, CRASHERS)
    (tmp_path / "page.py").write_text(APP, encoding="utf-8")
    script = textwrap.dedent("""
        import json, os, sys
        from streamlit.testing.v1 import AppTest
        folder = sys.argv[1]
        os.environ["SALESCORE_DB"] = os.path.join(folder, "ui.duckdb")
        at = AppTest.from_file(os.path.join(folder, "page.py"), default_timeout=120).run()
        files = [(p.rsplit("/", 1)[-1], open(p, "rb").read(), "x") for p in sys.argv[2:]]
        at.file_uploader(key="data_upload").set_value(files).run()
        print(json.dumps({"exception": [str(e.value) for e in at.exception],
                          "errors": [e.value for e in at.error]}))
    """)
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path), *map(str, paths)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown["exception"] == []
    assert len(shown["errors"]) == len(paths)
    for path, error in zip(paths, shown["errors"]):
        assert path.name.replace(".", "\\.") in error or path.name in error, error
        assert CRASHERS[path.name][1] in error, error


def test_scan_reads_the_reach_of_a_normal_workbook():
    """The scan's claim for an ordinary workbook is its real size, from the dimension."""
    data = hostile.xlsx_with_cell_at(41, 25)          # Z42
    reaches = guard.workbook_reach(data, "z.xlsx")
    assert [(r.rows, r.cols, r.ref) for r in reaches] == [(42, 26, "Z42")]
    assert [guard.column_letters(n) for n in (1, 26, 27, 1000, 16384)] == \
        ["A", "Z", "AA", "ALL", "XFD"]
    assert guard.column_number(b"xfd") == 16384


@pytest.mark.parametrize("ref, beyond", [
    ("H100001", False), ("A99999", False), ("h100001", False), ("I5", True), ("h100002", True),
    ("AA1", True), ("A1000000", True), ("A0100001", True), ("a200000", True)])
def test_a_ref_beyond_the_dimension_is_seen(ref, beyond):
    import re

    pattern = re.compile(guard._beyond("H", "100001").encode())
    assert bool(pattern.search(f'<c r="{ref}" t="s">'.encode())) is beyond
    assert bool(pattern.search(f'<x:c r="{ref}">'.encode())) is beyond


def test_child_memory_limit_turns_a_failed_allocation_into_a_sentence(monkeypatch):
    """A 1 KB .ods that claims 12 million cells: the child reading it under a 256 MB limit
    dies when calamine allocates its grid; the importer says so in a sentence."""
    monkeypatch.setattr(guard, "CHILD_MEMORY_BYTES", 256 << 20)
    err = refused(hostile.ods(3000, 4000), "claims.ods", "ingest.error.sheet_memory")
    assert "needs more than 0.25 GB of memory" in str(err)
    assert "0.25 GB" in error_text(err, "zh")


def test_zip_bomb_is_refused_while_unpacking(monkeypatch):
    monkeypatch.setattr(guard, "MAX_UNZIPPED_BYTES", 4 << 20)
    refused(hostile.xlsx_zip_bomb(8), "bomb.xlsx", "ingest.error.unzipped_too_big")


def test_unusual_xml_still_imports_through_the_child():
    """A workbook in valid but unusual XML (single quotes) is read in the child: same rows."""
    plain = hostile.xlsx_with_cell_at(2, 0)
    quoted = hostile._rewrite_sheet(plain, lambda x: x.replace(b'r="A3"', b"r='A3'"))
    assert guard.workbook_reach(quoted, "q.xlsx") is None
    a, b = prepare(plain, "p.xlsx"), prepare(quoted, "q.xlsx")
    assert a.frame.equals(b.frame) and a.rejected.equals(b.rejected)
    assert (a.rows_ok, a.rows_rejected) == (b.rows_ok, b.rows_rejected) == (1, 1)


# --- 4. text files: columns, line length, cells ---------------------------------------------

@pytest.mark.parametrize("columns, key", [(5_000, "ingest.error.too_many_columns"),
                                          (200_000, "ingest.error.line_too_long")])
def test_thousands_of_columns_are_refused_at_once(columns, key):
    """39 s and 760 MB for 5,000 columns, 150 s+ for 200,000, before the caps."""
    data = hostile.wide_csv(columns)
    start = time.perf_counter()
    refused(data, "wide.csv", key)
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("fast", [False, True], ids=["small-file", "arrow-path"])
def test_a_wide_row_below_a_narrow_header_is_refused(fast, monkeypatch):
    if fast:
        monkeypatch.setattr(ingest_read, "FAST_CSV_BYTES", 10)
    err = refused(hostile.wide_row_csv(1_200), "row.csv", "ingest.error.too_many_columns")
    assert err.params["columns"] == 1_200


@pytest.mark.slow
def test_a_thousand_columns_still_import():
    """At the cap: about 4 s, nearly all of it DuckDB planning the 1,000-column views."""
    prepared = prepare(hostile.wide_csv(guard.MAX_COLUMNS), "wide.csv")
    assert prepared.rows_ok == 2 and len(prepared.columns) == guard.MAX_COLUMNS


@pytest.mark.parametrize("megabytes", [1.5, 3])
def test_a_line_longer_than_a_megabyte_is_refused_before_reading(megabytes):
    err = refused(hostile.long_line_csv(megabytes), "line.csv", "ingest.error.line_too_long")
    assert err.params["line"] == 3


def test_a_cell_longer_than_the_csv_limit_is_a_sentence():
    """Today: 'field larger than field limit (131072)', Python's words."""
    err = refused(hostile.long_cell_csv(200_000), "cell.csv", "ingest.error.cell_too_long")
    assert err.params["line"] == 2


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads Linux's /proc")
def test_out_of_memory_is_a_sentence_with_exit_2(tmp_path):
    """The CLI importing 1M rows with ~200 MB of address space left (after warming up the
    threads it needs): today a DuckDB OutOfMemoryException traceback."""
    base = tmp_path / "mem.duckdb"
    db.connect(base).close()
    before = hashlib.sha256(base.read_bytes()).hexdigest()
    script = textwrap.dedent("""
        import os, resource, sys
        from salescore import cli
        from salescore.ingest import prepare
        head = "商机编号,销售员,客户名称,产品,金额,阶段,创建日期,成交日期\\n".encode()
        row = 'D1,张三,甲公司,标准版,"1,200.50",赢单,2026-01-05,2026-02-01\\n'.encode()
        prepare(head + row * 60_000, "warm.csv")   # DuckDB's, Arrow's and the pool's threads
        path = os.path.join(sys.argv[1], "big.csv")
        with open(path, "wb") as fh:
            fh.write(head + row * 1_000_000)
        used = int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (used + (200 << 20), resource.RLIM_INFINITY))
        sys.exit(cli.main(["import", "--db", sys.argv[2], path]))
    """)
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path), str(base)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr[-3000:]
    assert done.stderr == ("error: big.csv: the file is too large to import with the memory "
                           "available; split it into smaller files.\n")
    assert hashlib.sha256(base.read_bytes()).hexdigest() == before



# --- 4. the Data page prepares a file once --------------------------------------------------

@pytest.fixture
def page(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESCORE_DB", str(tmp_path / "ui.duckdb"))
    script = tmp_path / "page.py"
    script.write_text(APP, encoding="utf-8")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(script), default_timeout=60).run()
    yield at
    st.cache_resource.clear()


def test_unrelated_reruns_do_not_read_the_file_again(page, monkeypatch):
    """The reader runs once for the upload; reruns (any click elsewhere on the page) reuse
    the preparation; changing the kind of data prepares it again."""
    calls = []
    real = prepare_module.read_text_sample

    def counting(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(prepare_module, "read_text_sample", counting)
    page.file_uploader(key="data_upload").set_value(
        [("reps.csv", hostile.lookalike_csv(), "text/csv")]).run()
    assert not page.exception and calls == ["reps.csv"]
    metrics = {m.label: m.value for m in page.metric}
    page.run()
    page.run()
    assert calls == ["reps.csv"]
    assert {m.label: m.value for m in page.metric} == metrics
    kind = next(s for s in page.selectbox if s.key and s.key.endswith("_kind"))
    kind.set_value("deals").run()
    assert calls == ["reps.csv", "reps.csv"]


def test_preview_warns_about_look_alike_names(page):
    page.file_uploader(key="data_upload").set_value(
        [("reps.csv", hostile.lookalike_csv(), "text/csv")]).run()
    assert not page.exception
    infos = [i.value.replace("\\", "") for i in page.info]
    lookalike = [i for i in infos if "look the same" in i]
    assert len(lookalike) == 1, infos
    assert "“Anna” (rows 2, 3, 4)" in lookalike[0] and "“\u0410nna” (rows 7)" in lookalike[0]
    assert "Cyrillic “\u0410” U+0410" in lookalike[0]


# --- 14. look-alike names -------------------------------------------------------------------

def test_invisible_and_full_width_spellings_are_one_rep(con):
    prepared = prepare(hostile.lookalike_csv(), "reps.csv")
    assert sorted(prepared.frame["rep"].unique()) == ["Anna", "\u0410nna"]
    load(con, prepared)
    reps = sorted(r[0] for r in con.execute("select name from reps").fetchall())
    assert reps == ["Anna", "\u0410nna"]                    # stored cleaned: no U+200B, U+200F
    warning = [w for w in prepared.warnings if w.key == "ingest.warn.lookalike"]
    assert len(warning) == 1
    assert warning[0].rows == (2, 3, 4, 7)
    zh = warning[0].text("zh")
    assert "“Anna”（第 2, 3, 4 行）" in zh and "西里尔字母“А”U+0410" in zh


def test_a_look_alike_of_a_stored_name_is_warned(con):
    load(con, prepare(("销售员,金额,阶段,成交日期\nAnna,1,赢单,2026-01-01\n").encode(), "a.csv"))
    later = prepare("销售员,金额,阶段,成交日期\n\u0410nna,1,赢单,2026-02-01\n".encode(), "b.csv",
                    con=con)
    [warning] = [w for w in later.warnings if w.key == "ingest.warn.lookalike"]
    text = warning.text("en")
    assert "“\u0410nna” (rows 2) and “Anna” (already in the database)" in text


def test_teams_and_customers_are_cleaned_too():
    data = ("销售员,团队,客户名称,金额,阶段,成交日期\n"
            "张三,华东\u200b,甲公司\ufeff,1,赢单,2026-01-01\n"
            "李四,华东,ＡＢＣ公司,1,赢单,2026-01-02\n").encode()
    frame = prepare(data, "t.csv").frame
    assert frame["customer"].tolist() == ["甲公司", "ABC公司"]
    assert prepare(("姓名,团队\n张三,华东\u200b\n李四,华东\n").encode(),
                   "r.csv").frame["team"].tolist() == ["华东", "华东"]


def test_cli_dry_run_prints_the_look_alike_warning(tmp_path):
    path = tmp_path / "reps.csv"
    path.write_bytes(hostile.lookalike_csv())
    done = subprocess.run([sys.executable, "-m", "salescore", "import", "--dry-run", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "warning: Sales rep: “Anna” (rows 2, 3, 4) and “\u0410nna” (rows 7) look the same" \
        in done.stdout


# --- 15. carriage returns -------------------------------------------------------------------

@pytest.mark.parametrize("fast", [False, True], ids=["small-file", "arrow-path"])
def test_old_mac_line_endings_split_into_rows(fast, monkeypatch):
    """CR only; a quoted CR and a quoted LF stay in their cells (as a space once cleaned).
    A row is numbered by the line it ends on, as for any cell holding a line break."""
    if fast:
        monkeypatch.setattr(ingest_read, "FAST_CSV_BYTES", 10)
    prepared = prepare(hostile.cr_only_csv(4), "mac.csv")
    frame = prepared.frame
    assert frame["source_row"].tolist() == [3, 5, 6, 7]
    assert frame["customer"].tolist() == ["甲 公司", "乙 公司", "客户2", "客户3"]
    assert frame["rep"].tolist() == ["张0", "张1", "张2", "张3"]


@pytest.mark.parametrize("newline", ["\r\n", "\n"], ids=["crlf", "lf"])
@pytest.mark.parametrize("fast", [False, True], ids=["small-file", "arrow-path"])
def test_a_quoted_carriage_return_stays_in_its_cell(newline, fast, monkeypatch):
    if fast:
        monkeypatch.setattr(ingest_read, "FAST_CSV_BYTES", 10)
    frame = prepare(hostile.quoted_cr_csv(3, newline), "q.csv").frame
    assert frame["customer"].tolist() == ["甲 公司", "客户1", "客户2"]
    assert frame["source_row"].tolist() == [2, 3, 4]
