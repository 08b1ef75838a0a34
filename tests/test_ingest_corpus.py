"""The bad-file corpus (tests/data/make_corpus.py): each file is refused or handled with a
clear message, and the database is left exactly as it was."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from salescore.errors import ImportRejected
from salescore.i18n import error_text, t
from salescore.ingest import load, prepare
from salescore.ingest.export import reason_text

_spec = importlib.util.spec_from_file_location(
    "make_corpus", Path(__file__).parent / "data" / "make_corpus.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)
FILES = corpus.build()


def snapshot(con) -> dict[str, list]:
    """Every row of every table, sorted: the full contents to compare before/after."""
    out = {}
    with con.cursor() as cur:
        tables = [r[0] for r in cur.execute(
            "select table_name from information_schema.tables where table_schema = 'main' "
            "order by 1").fetchall()]
        for table in tables:
            rows = cur.execute(f"select * from {table}").fetchall()
            out[table] = sorted(rows, key=repr)
    return out


@pytest.fixture
def seeded(con):
    """A database that already holds one import, so 'unchanged' is a real claim."""
    data = ("销售员,客户名称,金额,阶段,成交日期\n老王,老客户,500,赢单,2025-12-01\n").encode()
    load(con, prepare(data, "seed.csv"))
    return con


def test_corpus_is_big_enough():
    assert len(FILES) >= 30
    assert sum(1 for o in corpus.CASES.values() if o != "loaded") >= 30


@pytest.mark.parametrize("name", sorted(FILES))
def test_bad_file(seeded, name):
    data, outcome = FILES[name]
    before = snapshot(seeded)
    what, _, detail = outcome.partition(":")
    if what == "refused":
        with pytest.raises(ImportRejected) as info:
            prepare(data, name, con=seeded)
        assert info.value.key == detail
        for lang in ("en", "zh"):
            text = error_text(info.value, lang)
            assert text and "{" not in text and "ingest." not in text
        assert snapshot(seeded) == before
    elif what == "rejected":
        prepared = prepare(data, name, con=seeded)
        assert detail in set(prepared.rejected["reason"])
        assert prepared.rows_rejected >= 1
        # every reason reads as a sentence in both languages, with the row number
        for rec in prepared.rejected.itertuples():
            assert rec.row >= 2
            for lang in ("en", "zh"):
                assert "ingest." not in reason_text(rec.reason, lang, rec.value)
        with pytest.raises(ImportRejected) as info:
            load(seeded, prepared)
        assert info.value.key == "ingest.error.rejected_rows"
        assert str(info.value.params["row"]) in error_text(info.value, "zh")
        assert snapshot(seeded) == before
    else:
        prepared = prepare(data, name, con=seeded)
        assert prepared.rows_rejected == 0
        result = load(seeded, prepared)
        assert result.new >= 1


def test_formula_and_markup_names_are_stored_as_plain_text(seeded):
    data, _ = FILES["formula_names.csv"]
    load(seeded, prepare(data, "f.csv"))
    names = {r[0] for r in seeded.execute("select name from reps").fetchall()}
    assert '=HYPERLINK("http://x.test","click")' in names
    data, _ = FILES["html_names.csv"]
    load(seeded, prepare(data, "h.csv"))
    names = {r[0] for r in seeded.execute("select name from customers").fetchall()}
    assert "**粗体** 公司" in names


def test_all_rows_bad_even_with_skip_stores_nothing(seeded):
    data, _ = FILES["all_amounts_text.csv"]
    before = snapshot(seeded)
    prepared = prepare(data, "all.csv")
    assert prepared.rows_ok == 0
    with pytest.raises(ImportRejected) as info:
        load(seeded, prepared, skip_bad_rows=True)
    assert info.value.key == "ingest.error.no_rows"
    assert snapshot(seeded) == before


def test_rejected_rows_reported_with_row_column_and_reason(seeded):
    data, _ = FILES["impossible_dates.csv"]
    prepared = prepare(data, "d.csv")
    rej = prepared.rejected.sort_values("row")
    assert rej[["row", "column", "reason", "value"]].values.tolist() == [
        [3, "成交日期", "bad_date", "2026-02-30"],
        [4, "创建日期", "bad_date", "2026-13-01"]]
    assert t("ingest.reason.bad_date", "en", value="x") == "“x” is not a date"
    assert prepared.reasons()["rows"].sum() == 2
