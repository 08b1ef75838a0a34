"""Credit splits from a splits sheet (DESIGN.md section 10): ``import --kind credits`` with a
deal id, a rep and a share (0.6 or 60%) per row, optionally a kind (revenue, the default, or
overlay).

A file replaces the splits of every deal it names (the rows it replaces are kept for undo).
Per deal the revenue shares add up to 100%: when they add up to less and the deal's owner is
not listed, the owner keeps the rest. A file naming a deal that is not imported, a share
outside 0-100%, an unknown kind or revenue shares that do not add up is refused whole, with
the deals and their sums named.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from salescore import sql
from salescore.errors import ImportRejected
from salescore.ingest.staging import stage

#: How kinds are written (lower case, spaces removed) -> the stored kind.
KIND_WORDS = {"revenue": "revenue", "split": "revenue", "quota": "revenue", "收入": "revenue",
              "业绩": "revenue", "分成": "revenue", "业绩分成": "revenue", "overlay": "overlay",
              "叠加": "overlay", "叠加业绩": "overlay", "协同": "overlay", "支持": "overlay",
              "specialist": "overlay"}
_TOLERANCE = 0.001


def _kind_sql(have: set[str]) -> str:
    if "credit_kind" not in have:
        return "'revenue'"
    cases = " ".join(f"when '{word}' then '{kind}'" for word, kind in KIND_WORDS.items())
    return (f"case when credit_kind is null then 'revenue' else "
            f"case lower(regexp_replace(credit_kind, '\\s+', '', 'g')) {cases} end end")


def _refuse(message: str, key: str, problems: list[dict[str, Any]], **params: Any) -> ImportRejected:
    return ImportRejected(message, key=f"ingest.error.{key}",
                          problems=pd.DataFrame(problems), **params)


def load_credits(cur: Any, work: Any, have: set[str], rep_id: str,
                 batch: int) -> tuple[int, int, int]:
    """Store the splits of ``inc`` (the import's rows on cursor ``work``, ``rep_id`` the SQL
    of their rep id) through the transaction cursor ``cur``: (new, updated, unchanged) rows."""
    stage(work, cur, "_cr", f"""
        select deal_id, {rep_id} as rep_id, share::FLOAT8 as share, {_kind_sql(have)} as kind,
               {'credit_kind' if 'credit_kind' in have else 'null::VARCHAR'} as written
        from inc""")
    unknown = cur.execute("select distinct written from _cr where kind is null limit 5").fetchall()
    if unknown:
        words = ", ".join(str(r[0]) for r in unknown)
        raise _refuse(f"Unknown credit kind {words}: write revenue (a share of the deal) or overlay "
                      "(credit on top); nothing was stored.", "credit_kind",
                      [{"column": "credit_kind", "value": r[0]} for r in unknown], words=words)
    bad = cur.execute("select deal_id, share from _cr where share is null or share <= 0 "
                      "or share > 1 + 1e-9 limit 5").fetchall()
    if bad:
        listed = ", ".join(f"{d} ({s})" for d, s in bad)
        raise _refuse(f"A share is between 0% and 100% (0.6 or 60%): {listed}; nothing was stored.",
                      "credit_share", [{"deal_id": d, "column": "share", "value": s} for d, s in bad],
                      deals=listed)
    return store_credits(cur, batch)


def deal_sheet_splits(cur: Any, work: Any, deal_id: str, rep_id: str, rep_2_id: str,
                      share: str | None, batch: int) -> int:
    """A deal sheet with a second rep column (销售员2, optionally 分成比例 = the first rep's
    share, default 50%; 0: the second rep takes the whole deal): those deals split between the
    two reps, as a splits sheet would say. A row of the sheet that names one rep (销售员2 empty
    or the same rep, or the first rep's share 100%) says the deal is not split: its revenue
    shares stored before go (kept for undo); overlay credits stay. Deals this export shows older
    than history (``_older``) keep their splits. ``deal_id``, ``rep_id``, ``rep_2_id`` and
    ``share`` are SQL over the import's rows (``inc``, on cursor ``work``). Returns the deals
    split."""
    first = f"coalesce({share}, 0.5)" if share else "0.5"
    older = _has_temp(cur, "_older")
    rows = f"""
        select * from (select {deal_id} as deal_id, {rep_id} as r1, {rep_2_id} as r2,
                              {first}::FLOAT8 as s from inc)   -- ids over every row first
        where deal_id is not null"""
    if work is cur:
        cur.execute(f"""create or replace temp table _rows as {rows}
        {'and deal_id not in (select deal_id from _older)' if older else ''}""")
    else:
        stage(work, cur, "_rows", rows)
        if older:
            cur.execute("delete from _rows where deal_id in (select deal_id from _older)")
    cur.execute("""create or replace temp table _cr as
        with r as (select * from _rows where r2 is not null)
        select deal_id, r1 as rep_id, s as share, 'revenue' as kind, null::VARCHAR as written from r
        where r1 is not null and s > 0 and s < 1 and r2 <> r1
        union all
        select deal_id, r2, case when r1 is null then 1.0 else 1 - s end, 'revenue', null from r
        where (r1 is null or (s >= 0 and s < 1)) and r2 is distinct from r1""")
    # the rows naming one rep: no split any more
    whole = "select deal_id from _rows where deal_id not in (select deal_id from _cr)"
    cur.execute(f"""insert into import_undo select $b, 'deal_credits', to_json(t) from deal_credits t
                    where kind = 'revenue' and deal_id in ({whole})""", {"b": batch})
    cur.execute(f"delete from deal_credits where kind = 'revenue' and deal_id in ({whole})")
    cur.execute("drop table _rows")
    if not cur.execute("select count(*) from _cr").fetchall()[0][0]:
        cur.execute("drop table _cr")
        return 0
    store_credits(cur, batch)
    return int(cur.execute("select count(distinct deal_id) from deal_credits where batch_id = $b",
                           {"b": batch}).fetchall()[0][0])


def _has_temp(cur: Any, name: str) -> bool:
    """Whether this cursor has made temp table ``name`` (the catalogs differ)."""
    if sql.dialect(cur) == "postgres":
        return bool(cur.execute("select to_regclass('pg_temp.' || $n) is not null",
                                {"n": name}).fetchall()[0][0])
    return bool(cur.execute("select count(*) from duckdb_tables() where table_name = $n "
                            "and temporary", {"n": name}).fetchall()[0][0])


def store_credits(cur: Any, batch: int) -> tuple[int, int, int]:
    """Store the splits in temp table ``_cr`` (deal_id, rep_id, share, kind): checked, the owner
    given what the revenue shares leave, each named deal's splits replaced; (new, updated,
    unchanged) rows."""
    missing = cur.execute("select distinct c.deal_id from _cr c left join deals d on d.deal_id = c.deal_id "
                          "where d.deal_id is null order by 1 limit 5").fetchall()
    if missing:
        listed = ", ".join(str(r[0]) for r in missing)
        raise _refuse(f"These deals are not imported: {listed}. Import the deals first, then their "
                      "splits; nothing was stored.", "credit_deal",
                      [{"deal_id": r[0], "column": "deal_id"} for r in missing], deals=listed)
    # the owner keeps what the listed revenue shares leave
    cur.execute("""insert into _cr
        select s.deal_id, d.rep_id, 1 - s.total, 'revenue', null
        from (select deal_id, sum(share) as total from _cr where kind = 'revenue' group by 1) s
        join deals d on d.deal_id = s.deal_id
        where s.total < 1 - $tol and d.rep_id is not null
          and not exists (select 1 from _cr c where c.deal_id = s.deal_id and c.kind = 'revenue'
                          and c.rep_id = d.rep_id)""", {"tol": _TOLERANCE})
    off = cur.execute("""select deal_id, sum(share) as total from _cr where kind = 'revenue'
                         group by 1 having abs(sum(share) - 1) > $tol order by 1 limit 5""",
                      {"tol": _TOLERANCE}).fetchall()
    if off:
        listed = ", ".join(f"{d} {t:.0%}" for d, t in off)
        raise _refuse(f"The revenue shares of a deal add up to 100%: {listed}; nothing was stored.",
                      "credit_sum", [{"deal_id": d, "column": "share", "value": t} for d, t in off],
                      deals=listed)
    cur.execute("""create or replace temp table _crk as
        select deal_id, rep_id, kind, sum(share) as share from _cr group by 1, 2, 3""")
    # per deal: unchanged when the stored splits are the same rows (both sides have one row
    # per rep and kind: the same count, all of them matched)
    cur.execute("""create or replace temp table _crd as
        with now as (select deal_id, count(*) as n from _crk group by 1),
             was as (select deal_id, count(*) as n from deal_credits
                     where deal_id in (select deal_id from now) group by 1),
             matched as (select k.deal_id, count(*) as n from _crk k
                         join deal_credits c on c.deal_id = k.deal_id and c.rep_id = k.rep_id
                          and c.kind = k.kind and round(c.share, 9) = round(k.share, 9)
                         group by 1)
        select n.deal_id, n.n, w.deal_id is not null as existed,
               coalesce(w.n = n.n and m.n = n.n, false) as same
        from now n left join was w on w.deal_id = n.deal_id
        left join matched m on m.deal_id = n.deal_id""")
    cur.execute("""insert into import_undo select $b, 'deal_credits', to_json(t) from deal_credits t
                   where deal_id in (select deal_id from _crd where not same)""", {"b": batch})
    cur.execute("delete from deal_credits where deal_id in (select deal_id from _crd where not same)")
    cur.execute("""insert into deal_credits (deal_id, rep_id, share, kind, batch_id)
                   select deal_id, rep_id, share, kind, $b from _crk
                   where deal_id in (select deal_id from _crd where not same)""", {"b": batch})
    new, updated, unchanged = cur.execute("""select
        coalesce(sum(n) filter (where not existed), 0), coalesce(sum(n) filter (where existed and not same), 0),
        coalesce(sum(n) filter (where same), 0) from _crd""").fetchall()[0]
    for table in ("_cr", "_crk", "_crd"):
        cur.execute(f"drop table {table}")
    return int(new), int(updated), int(unchanged)
