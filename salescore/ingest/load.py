"""Load a prepared sheet into the database in one transaction; undo a batch; history.

Ids are stable hashes (md5 in SQL) of normalised natural keys, so the same rep, customer or
deal gets the same id in every file. Rows are upserted on their keys; a row an import
overwrites is kept (as JSON) in ``import_undo`` so that undoing the batch restores it
exactly (DESIGN.md sections 2 and 3). Column names in SQL come from fixed lists here, and
values from files arrive as a registered Arrow table, never as SQL text.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from salescore import audit, db, fx
from salescore.errors import ImportRejected, SalesCoreError
from salescore.ingest.credits import deal_sheet_splits, load_credits
from salescore.ingest.export import reason_text
from salescore.ingest.fields import FORECAST_SQL
from salescore.ingest.guard import MEMORY_ERRORS, memory_refusal
from salescore.ingest.result import Prepared
from salescore.ingest.rules import currency_code
from salescore.ingest.snapshot import write_history
from salescore.ingest.merge import TABLES, _insert_missing, _upsert
from salescore.ingest.staging import work_cursor as _work_cursor

try:   # PostgreSQL's errors (salescore/pg.py), when psycopg is installed
    from psycopg import Error as _PgError
except ImportError:   # pragma: no cover
    _PgError = duckdb.Error
_STORE_ERRORS = (duckdb.Error, _PgError)

@dataclass(frozen=True)
class ImportResult:
    """What one load did: counts for the sheet's table, plus entities derived from it."""

    batch_id: int
    kind: str
    table: str
    new: int
    updated: int
    unchanged: int
    rejected: int
    derived: dict[str, int] = field(default_factory=dict)   # table -> new rows created
    as_of: date | None = None     # deals: the export's date (deal_history.seen_at)
    history: int = 0              # deals: deal_history rows written (deals new or changed)
    kept: int = 0                 # deals: left as a newer export shows them (older export)

    @property
    def rows_loaded(self) -> int:
        return self.new + self.updated + self.unchanged


def key_sql(expr: str) -> str:
    """SQL normalising a name for identity: lower case, no whitespace."""
    # Spaces are dropped altogether: 'GTX Pro' and 'GTXPro', '张 三' and '张三' are one name.
    return (f"lower(regexp_replace(cast({expr} as varchar), "
            f"'[\\s\\x{{3000}}\\x{{00A0}}]+', '', 'g'))")


def id_sql(prefix: str, expr: str) -> str:
    """A stable id: prefix + 16 hex digits of md5 of the normalised key (NULL stays NULL)."""
    return f"case when {expr} is null then null else '{prefix}' || substr(md5({key_sql(expr)}), 1, 16) end"


def rep_id_of(name: str) -> str:
    """The rep_id the importer gives a rep named ``name`` (same normalisation as the SQL)."""
    with duckdb.connect() as con:
        return con.execute(f"select {id_sql('r', '$n')}", {"n": name}).fetchall()[0][0]


def load(con: duckdb.DuckDBPyConnection, prepared: Prepared, *, skip_bad_rows: bool = False,
         file_name: str | None = None, sha256: str | None = None,
         remember: bool = True, currency: str | None = None,
         as_of: date | None = None) -> ImportResult:
    """Store the good rows of ``prepared`` in one transaction, or nothing (see :func:`_load`).

    ``currency`` (an ISO code, or what :func:`rules.currency_code` reads as one) is stored on
    the deals whose file showed no currency; ``as_of`` is the export's date (the
    deal_history rows' seen_at): given, else the one its file name or title row names
    (prepare's extra["as_of"]), else today. An export older than what deal_history already
    holds for a deal adds to its history and leaves the deal as the newer export shows it.

    A database error while storing (a key conflict DuckDB only reports at commit, a value out
    of a column's range) rolls the whole file back and becomes an ImportRejected sentence.
    """
    if currency and prepared.kind == "deals":
        prepared = _with_currency(prepared, currency_code(currency))
    if as_of is None and prepared.kind == "deals" and prepared.extra.get("as_of"):
        as_of = date.fromisoformat(prepared.extra["as_of"])   # the file's own date
    try:
        return _load(con, prepared, skip_bad_rows=skip_bad_rows, file_name=file_name,
                     sha256=sha256, remember=remember, as_of=as_of or date.today())
    except MEMORY_ERRORS:
        raise memory_refusal(file_name or prepared.file_name) from None
    except _STORE_ERRORS as exc:
        name = file_name or prepared.file_name
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ImportRejected(f"{name}: the rows could not be stored ({detail}); "
                             f"nothing was stored.", key="ingest.error.store", file=name,
                             detail=detail) from None


def _with_currency(prepared: Prepared, code: str) -> Prepared:
    """``prepared`` with ``code`` as the currency of every row that has none."""
    table = prepared.table
    filled = pa.array([code] * table.num_rows, pa.string())
    if "currency" in table.column_names:
        filled = pc.fill_null(table["currency"], code)
        table = table.drop_columns(["currency"])
    return dataclasses.replace(prepared, table=table.append_column("currency", filled))


def _load(con: duckdb.DuckDBPyConnection, prepared: Prepared, *, skip_bad_rows: bool = False,
         file_name: str | None = None, sha256: str | None = None,
         remember: bool = True, as_of: date | None = None) -> ImportResult:
    """Store the good rows of ``prepared`` in one transaction, or nothing.

    Refuses (ImportRejected, nothing stored) when rows were rejected and ``skip_bad_rows`` is
    False, or when no row is left. Records an ``imports`` row and remembers the mapping under
    the header signature.
    """
    file_name = file_name or prepared.file_name
    if prepared.rows_rejected and not skip_bad_rows:
        first = prepared.rejected.iloc[0]
        raise ImportRejected(
            f"{file_name}: {prepared.rows_rejected} row(s) cannot be imported (first: row "
            f"{first['row']}, column {first['column']}: "
            f"{reason_text(str(first['reason']), 'en', first['value'])}); nothing was stored. "
            f"Fix the rows or use --skip-bad-rows.",
            problems=prepared.rejected, key="ingest.error.rejected_rows", file=file_name,
            rows=prepared.rows_rejected, row=int(first["row"]), column=str(first["column"]),
            reason=str(first["reason"]))
    if prepared.rows_ok == 0:
        raise ImportRejected(f"{file_name}: no row can be imported; nothing was stored.",
                             key="ingest.error.no_rows", file=file_name)
    with db.transaction(con) as cur, _work_cursor(cur) as work:
        if work is cur:
            # This cursor's inserts may write row groups in any order: DuckDB then compresses
            # them as it writes, instead of leaving a 0.4-1.2 s rewrite to the next checkpoint
            # (1M rows). Row order in a table means nothing to salescore (every query says
            # ORDER BY).
            cur.execute("set session preserve_insertion_order = false")
        batch = db.next_batch(cur)
        work.register("inc_src", prepared.table)
        n_ids = 0
        try:
            n_ids = _with_ids(work, _cols(prepared))
            scenario = _setting(cur, "active_scenario") or "base"
            main_table, counts, derived = _load_kind(cur, work, prepared, batch, str(scenario),
                                                     as_of or date.today())
            history = kept = 0
            if main_table == "deals":
                history, kept = write_history(cur, batch, as_of or date.today())
                fx.apply(cur, batch)        # this import's amounts into the reporting currency
            elif main_table == "payments":
                fx.apply(cur, batch)        # cash in its deal's currency, at the month paid
            elif main_table == "fx_rates":
                fx.rates_imported(cur)      # every amount at the new rates
        except BaseException:
            # After a failed statement DuckDB accepts only ROLLBACK (which also removes the
            # helper tables): cleaning up here would fail and hide the first error.
            with contextlib.suppress(duckdb.Error):
                work.unregister("inc_src")
            raise
        work.execute("drop view if exists inc")
        for j in range(n_ids):
            work.execute(f"drop table if exists _ids{j}")
        work.unregister("inc_src")
        sha256 = sha256 or prepared.sha256   # hashed alongside the insert, asked for last
        cur.execute(
            "insert into imports (batch_id, file_name, sha256, sheet, kind, rows_in, "
            "rows_loaded, rows_rejected, status, as_of) values ($b, $f, $s, $sh, $k, $ri, $rl, "
            "$rr, 'loaded', $a)",
            {"b": batch, "f": file_name, "s": sha256, "sh": prepared.sheet, "k": prepared.kind,
             "ri": prepared.rows_in, "rl": sum(counts), "rr": prepared.rows_rejected,
             "a": (as_of or date.today()) if main_table == "deals" else None})
        audit.record(cur, "import", {"batch": batch, "file": file_name, "sheet": prepared.sheet,
                                     "kind": prepared.kind, "new": counts[0], "updated": counts[1],
                                     "unchanged": counts[2], "rejected": prepared.rows_rejected})
        if remember:
            cur.execute("insert into settings (key, value) values ($k, $v) on conflict (key) "
                        "do update set value = excluded.value",
                        {"k": f"ingest.mapping.{prepared.signature}",
                         "v": json.dumps({"kind": prepared.kind, "mapping": prepared.mapping},
                                         ensure_ascii=False)})
    new, updated, unchanged = counts
    return ImportResult(batch, prepared.kind, main_table, new, updated, unchanged,
                        prepared.rows_rejected, derived,
                        as_of=(as_of or date.today()) if main_table == "deals" else None,
                        history=history, kept=kept)


def _setting(cur, key: str):
    rows = cur.execute("select value from settings where key = $k", {"k": key}).fetchall()
    return json.loads(rows[0][0]) if rows and rows[0][0] is not None else None


def _cols(prepared: Prepared) -> set[str]:
    return set(prepared.table.column_names)


def _f(have: set[str], name: str, cast: str | None = None) -> str:
    """Column ``name`` of inc when the sheet has it, else NULL (typed when asked)."""
    if name in have:
        return name
    return f"cast(null as {cast})" if cast else "null"


def _entity_keys(have: set[str]) -> list[tuple[str, str, str]]:
    """(source column, id column, id prefix) for the reps/customers/products a sheet names."""
    out = []
    for code, name, id_col, prefix in (("rep_code", "rep", "_rep_id", "r"),
                                       ("customer_code", "customer", "_cust_id", "c"),
                                       ("product_code", "product", "_prod_id", "p")):
        key = code if code in have else name
        if key in have:
            out.append((key, id_col, prefix))
    return out


def _with_ids(cur, have: set[str]) -> int:
    """Temp view inc = the incoming rows plus their entity ids; returns the number of id
    tables (_ids0 ..) to drop afterwards.

    Ids are hashed once per distinct name (a few hundred), then joined to the rows, instead
    of hashing a million cells. inc is a view: the rows are not copied. Each _ids table also
    keeps the first row naming its key, so entities named by their key alone are derived
    from it without another pass over the rows.
    """
    joins, cols = [], []
    for j, (key, id_col, prefix) in enumerate(_entity_keys(have)):
        cur.execute(f"create or replace temp table _ids{j} as select k, {id_sql(prefix, 'k')} "
                    f"as id, first_row from (select {key} as k, min(source_row) as first_row "
                    f"from inc_src group by all)")
        joins.append(f"left join _ids{j} on _ids{j}.k = s.{key}")
        cols.append(f"_ids{j}.id as {id_col}")
    extra = (", " + ", ".join(cols)) if cols else ""
    cur.execute(f"create or replace temp view inc as select s.*{extra} from inc_src s "
                + " ".join(joins))
    return len(joins)


def _load_kind(cur, work, prepared: Prepared, batch: int, scenario: str, as_of: date):
    kind = prepared.kind
    have = _cols(prepared)
    derived: dict[str, int] = {}
    rep_key = "rep_code" if "rep_code" in have else "rep"
    rep_id = "_rep_id" if rep_key in have else "null"
    cust_key = "customer_code" if "customer_code" in have else "customer"
    cust_id = "_cust_id" if cust_key in have else "null"
    prod_key = "product_code" if "product_code" in have else "product"
    prod_id = "_prod_id" if prod_key in have else "null"

    def derive_reps(extra_cols: dict[str, str] | None = None) -> None:
        if rep_key not in have:
            return
        cols = {"name": f"coalesce({_f(have, 'rep')}, {rep_key})"}
        cols.update(extra_cols or {})
        derived["reps"] = _insert_missing(cur, work, "reps", "rep_id", rep_id, cols, batch,
                                          _entity_rows(have, "_rep_id", not extra_cols))

    def derive_customers(extra_cols: dict[str, str] | None = None) -> None:
        if cust_key not in have:
            return
        cols = {"name": f"coalesce({_f(have, 'customer')}, {cust_key})"}
        cols.update(extra_cols or {})
        derived["customers"] = _insert_missing(cur, work, "customers", "customer_id", cust_id, cols,
                                               batch, _entity_rows(have, "_cust_id",
                                                                   not extra_cols))

    if kind == "deals":
        derive_reps({c: c for c in ("team",) if c in have})
        derive_customers({c: c for c in ("segment", "industry", "region") if c in have})
        if prod_key in have:
            cols = {"name": f"coalesce({_f(have, 'product')}, {prod_key})"}
            if "category" in have:
                cols["category"] = "category"
            derived["products"] = _insert_missing(cur, work, "products", "product_id", prod_id, cols,
                                                  batch, _entity_rows(have, "_prod_id",
                                                                      len(cols) == 1))
        use_id = "deal_id" in have and not prepared.extra.get("id_lines")
        # (an order-line file's order number sits where its deal_id column used to be: the
        # ids of files imported before order_id existed stay the same)
        hashed = _natural_id("d", have, (rep_key, cust_key, prod_key), "created_date",
                             ("deal_name", "deal_id", "order_id"))
        # ids known distinct: the file's own ids after prepare's duplicate check, or hashes
        # numbered within their natural key
        unique = not use_id
        if use_id and prepared.table.column("deal_id").null_count == 0:
            ident = "deal_id"        # no hashing or window needed
            unique = tuple(prepared.extra.get("file_key") or ()) == ("deal_id",)
        else:
            ident = f"coalesce(deal_id, {hashed})" if use_id else hashed
        cols = {"deal_id": ident, "rep_id": rep_id, "customer_id": cust_id,
                "product_id": prod_id, "status": "status", "created_date": "created_date",
                "close_date": "close_date"}
        optional = {"name": "deal_name", "amount": "amount", "stage": "stage",
                    "expected_close_date": "expected_close_date", "channel": "channel",
                    "lost_reason": "lost_reason", "is_new_customer": "is_new_customer",
                    "order_id": "order_key" if "order_key" in have else "order_id",
                    "reached_stage": "reached_stage", "currency": "currency"}
        for col, src in optional.items():
            if src in have:
                cols[col] = src
        if "amount" in cols:
            cols["amount_local"] = cols["amount"]   # as the file gave it; fx.apply converts amount
        if "forecast_category" in have:
            cols["forecast_category"] = FORECAST_SQL
        if "currency" in cols and prepared.table["currency"].null_count == prepared.rows_ok:
            del cols["currency"]   # the file does not say: a currency stored before stays
        if cust_key not in have:
            cols.pop("customer_id")
        if prod_key not in have:
            cols.pop("product_id")
        counts = _upsert(cur, work, "deals", cols, batch, unique, as_of=as_of)
        if "rep_2" in have:      # 销售员2 (and 分成比例): the deal split between two reps
            named = _reps_named(cur, work)
            rep_2 = f"coalesce((select min(rep_id) from {named} where name = inc.rep_2), {id_sql('r', 'rep_2')})"
            derived["reps"] = derived.get("reps", 0) + _insert_missing(cur, work, "reps", "rep_id", rep_2,
                                                                       {"name": "rep_2"}, batch)
            derived["deal_credits"] = deal_sheet_splits(cur, work, cols["deal_id"], rep_id, rep_2,
                                                        "share" if "share" in have else None, batch)
            if named != "reps":
                work.execute(f"drop table {named}")
        return "deals", counts, derived

    if kind == "reps":
        cols = {"rep_id": rep_id, "name": f"coalesce({_f(have, 'rep')}, {rep_key})"}
        for c in ("team", "region", "role", "manager", "hire_date", "base_salary", "active"):
            if c in have:
                cols[c] = c
        return "reps", _upsert(cur, work, "reps", cols, batch), derived

    if kind == "customers":
        cols = {"customer_id": cust_id, "name": f"coalesce({_f(have, 'customer')}, {cust_key})"}
        for c in ("segment", "industry", "region", "source", "first_purchase_date"):
            if c in have:
                cols[c] = c
        return "customers", _upsert(cur, work, "customers", cols, batch), derived

    if kind == "products":
        cols = {"product_id": prod_id, "name": f"coalesce({_f(have, 'product')}, {prod_key})"}
        for c in ("category", "margin_rate"):
            if c in have:
                cols[c] = c
        return "products", _upsert(cur, work, "products", cols, batch), derived

    if kind == "activities":
        derive_reps()
        derive_customers()
        hashed = _natural_id("a", have, (rep_key, cust_key, "deal_id", "activity_kind"),
                             "activity_date")
        cols = {"activity_id": f"coalesce({_f(have, 'activity_id')}, {hashed})",
                "activity_date": "activity_date"}
        if rep_key in have:
            cols["rep_id"] = rep_id
        if cust_key in have:
            cols["customer_id"] = cust_id
        for col, src in (("deal_id", "deal_id"), ("kind", "activity_kind"),
                         ("outcome", "outcome")):
            if src in have:
                cols[col] = src
        if "kind" in cols:
            cols["kind"] = _activity_kind("activity_kind")
        return "activities", _upsert(cur, work, "activities", cols, batch), derived

    if kind == "satisfaction":
        derive_customers()
        if "rep" in have:
            derive_reps()
        scale = ("case when max(score) over () > 5 or min(score) over () < 1 then 'nps10' "
                 "else 'csat5' end")
        if "scale" in have:
            scale = (f"case when lower(scale) like '%nps%' or scale like '%10%' then 'nps10' "
                     f"when lower(scale) like '%csat%' or scale like '%5%' then 'csat5' "
                     f"else {scale} end")
        cols = {"customer_id": cust_id, "survey_date": "survey_date", "score": "score",
                "scale": scale}
        if "rep" in have:
            cols["rep_id"] = rep_id
        return "satisfaction", _upsert(cur, work, "satisfaction", cols, batch), derived

    if kind == "trainings":
        derive_reps()
        cols = {"rep_id": rep_id, "course": "course", "start_date": "start_date"}
        if "topic" in have:
            cols["topic"] = ("case when lower(topic) similar to '.*(产品|product).*' then 'product' "
                             "when lower(topic) similar to '.*(技能|技巧|skill).*' then 'skills' "
                             "when lower(topic) similar to '.*(客户|customer).*' then 'customer' "
                             "else 'other' end")
        for c in ("hours", "score"):
            if c in have:
                cols[c] = c
        return "trainings", _upsert(cur, work, "trainings", cols, batch), derived

    if kind == "fx":
        # currency words and signs (美元, US$, rmb) as the codes the deals carry
        codes = work.execute("select distinct currency from inc where currency is not null").fetchall()
        pairs = [(str(c), _code_or_none(str(c))) for (c,) in codes]
        bad = [c for c, code in pairs if code is None]
        if bad:
            raise ImportRejected(f"“{bad[0]}” is not a currency: write a code such as USD; nothing was stored.",
                                 key="ingest.error.currency", value=bad[0])
        work.execute("create or replace temp table _fxc (written VARCHAR, code VARCHAR)")
        work.executemany("insert into _fxc values (?, ?)", pairs)
        cols = {"currency": "(select code from _fxc where written = inc.currency)", "month": "month",
                "rate_to_reporting": "fx_rate::FLOAT8"}
        return "fx_rates", _upsert(cur, work, "fx_rates", cols, batch), derived

    if kind == "credits":
        derive_reps()
        return "deal_credits", load_credits(cur, work, have, rep_id, batch), derived

    if kind == "payments":
        derive_reps()
        derive_customers()
        hashed = _natural_id("y", have, ("deal_id", cust_key, rep_key), "paid_date")
        cols = {"payment_id": f"coalesce({_f(have, 'payment_id')}, {hashed})",
                "paid_date": "paid_date", "amount": "amount",
                "amount_local": "amount"}   # in the deal's currency; fx.apply converts amount
        if "deal_id" in have:
            cols["deal_id"] = "deal_id"
        if cust_key in have:
            cols["customer_id"] = cust_id
        if rep_key in have:
            cols["rep_id"] = rep_id
        return "payments", _upsert(cur, work, "payments", cols, batch), derived

    if kind == "targets":
        team = _f(have, "team")
        rep_present = rep_key in have
        if rep_present:
            derive_reps({"team": "team"} if "team" in have else None)
        scope = (f"case when {rep_key} is not null then 'rep' else 'team' end" if rep_present
                 else "'team'")
        scope_id = f"coalesce({rep_id}, {team})" if rep_present else team
        work.execute("create or replace temp table _scn as select $s as s", {"s": scenario})
        cols = {"scenario": "(select s from _scn)", "period": "month", "scope": scope,
                "scope_id": scope_id, "metric": "metric", "value": "target"}
        return "targets", _upsert(cur, work, "targets", cols, batch), derived

    raise SalesCoreError(f"Unknown kind {kind!r}.", key="ingest.error.kind", kind=kind,
                         kinds=", ".join(TABLES))


def _reps_named(cur, work) -> str:
    """The table the second-rep column's names are looked up in: ``reps`` itself on DuckDB;
    on PostgreSQL the stored reps of those names, copied into the work DuckDB."""
    if work is cur:
        return "reps"
    names = [r[0] for r in work.execute(
        "select distinct rep_2 from inc_src where rep_2 is not null").fetchall()]
    found = cur.execute("select name, min(rep_id) as rep_id from reps "
                        "where name = any($n::varchar[]) group by name", {"n": names}).fetchall()
    work.register("_reps_named_src", pa.table({"name": pa.array([r[0] for r in found], pa.string()),
                                               "rep_id": pa.array([r[1] for r in found], pa.string())}))
    work.execute("create or replace temp table _reps_named as select * from _reps_named_src")
    work.unregister("_reps_named_src")
    return "_reps_named"


def _code_or_none(text: str) -> str | None:
    try:
        return currency_code(text)
    except SalesCoreError:
        return None


def _natural_id(prefix: str, have: set[str], names: tuple[str, ...], day: str,
                after: tuple[str, ...] = ()) -> str:
    """SQL: an id for rows without one, stable across files: ``prefix`` + 16 hex digits of
    md5 of the row's natural key (the normalised ``names`` the sheet has, the ``day``, then
    the ``after`` names), numbered in sheet order within that key so that two identical
    lines stay two rows."""
    parts = [key_sql(c) for c in names if c in have] + [f"cast({day} as varchar)"]
    parts += [key_sql(c) for c in after if c in have]
    nk = "concat_ws('|', " + ", ".join(f"coalesce({p}, '')" for p in parts) + ")"
    return (f"'{prefix}' || substr(md5({nk} || '#' || cast(row_number() over (partition by {nk} "
            f"order by source_row) as varchar)), 1, 16)")


def _activity_kind(col: str) -> str:
    return (f"case when lower({col}) similar to '.*(电话|call|phone).*' then 'call' "
            f"when lower({col}) similar to '.*(拜访|visit|上门).*' then 'visit' "
            f"when lower({col}) similar to '.*(邮件|email|mail).*' then 'email' "
            f"when lower({col}) similar to '.*(会议|meeting|会面).*' then 'meeting' "
            f"else {col} end")


def _entity_rows(have: set[str], id_col: str, name_only: bool = False) -> str:
    """The incoming rows joined to one entity's ids only (rows naming no entity dropped).

    ``name_only``: the entity takes nothing but its name; when the sheet names it by name
    (no code column), the first row of each name is all that is needed, and the ids table
    has it (a few thousand rows instead of every incoming row).
    """
    for j, (key, col, _) in enumerate(_entity_keys(have)):
        if col != id_col:
            continue
        if name_only and key in ("rep", "customer", "product"):
            return (f"(select k as {key}, id as {id_col}, first_row as source_row "
                    f"from _ids{j} where k is not null)")
        return (f"(select s.*, _ids{j}.id as {id_col} from inc_src s "
                f"join _ids{j} on _ids{j}.k = s.{key})")
    return "inc"
