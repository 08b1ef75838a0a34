"""The merge of an import into its target table (salescore.ingest.load): the entities a
sheet names that the table lacks, and the upsert of its rows with their undo copies. On
PostgreSQL the rows come staged from the private work DuckDB (salescore.ingest.staging);
on DuckDB the work cursor is the transaction's own. Table and column names come from the
fixed TABLES here and the calling module's own lists."""
from __future__ import annotations

from datetime import date

from salescore.ingest.snapshot import set_aside_older
from salescore.ingest.staging import stage as _stage

# table -> (key columns, every other column except batch_id)
TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "reps": (("rep_id",), ("name", "team", "region", "role", "manager", "hire_date",
                           "base_salary", "active")),
    "customers": (("customer_id",), ("name", "segment", "industry", "region", "source",
                                     "first_purchase_date")),
    "products": (("product_id",), ("name", "category", "margin_rate")),
    "deals": (("deal_id",), ("name", "rep_id", "customer_id", "product_id", "amount", "stage",
                             "status", "created_date", "close_date", "expected_close_date",
                             "channel", "lost_reason", "is_new_customer", "order_id",
                             "currency", "reached_stage", "forecast_category")),
    "activities": (("activity_id",), ("rep_id", "customer_id", "deal_id", "activity_date",
                                      "kind", "outcome")),
    "satisfaction": (("customer_id", "survey_date"), ("score", "scale", "rep_id")),
    "trainings": (("rep_id", "course", "start_date"), ("topic", "hours", "score")),
    "payments": (("payment_id",), ("deal_id", "customer_id", "rep_id", "paid_date", "amount")),
    "targets": (("scenario", "period", "scope", "scope_id", "metric"), ("value",)),
    "fx_rates": (("currency", "month"), ("rate_to_reporting",)),
}



def _insert_missing(cur, work, table: str, key: str, key_expr: str, cols: dict[str, str],
                    batch: int, rows: str = "inc") -> int:
    """Create the entities a sheet names that the table lacks (first row wins); count them.

    One grouped pass over ``rows``: each new id takes the values of its first row.
    """
    names = ", ".join(cols)
    exprs = ", ".join(f"{e} as {c}" for c, e in cols.items())
    firsts = ", ".join(f"arg_min_null({c}, source_row) as {c}" for c in cols)
    if work is not cur:   # PostgreSQL: the first rows from the work DuckDB, the merge here
        _stage(work, cur, "_new", f"select {key}, {firsts} from (select {key_expr} as {key}, "
               f"{exprs}, source_row from {rows}) where {key} is not null group by {key}",
               like=table)
        n = cur.execute(f"insert into {table} ({key}, {names}, batch_id) select {key}, {names}, "
                        f"$b from _new where {key} not in (select {key} from {table})",
                        {"b": batch}).fetchall()
        cur.execute("drop table _new")
        return int(n[0][0]) if n else 0
    n = cur.execute(
        f"insert into {table} ({key}, {names}, batch_id) select {key}, {names}, $b from ("
        f"select {key}, {firsts} from (select {key_expr} as {key}, {exprs}, source_row "
        f"from {rows}) where {key} is not null group by {key}) "
        f"where {key} not in (select {key} from {table})", {"b": batch}).fetchall()
    return int(n[0][0]) if n else 0


def _upsert(cur, work, table: str, cols: dict[str, str], batch: int,
            unique: bool = False, as_of: date | None = None) -> tuple[int, int, int]:
    """Upsert inc (through the ``cols`` expressions) into ``table``: (new, updated, unchanged).

    Only the columns the sheet provides are compared and updated. Rows about to be
    overwritten are saved to import_undo first. ``unique``: the caller knows the keys of inc
    are distinct (no collapsing needed); into a table that is still empty the rows then go
    in one insert, without staging. Deals (``as_of`` given) that deal_history has seen after
    ``as_of`` are not updated: what this older export says of them goes to temp table
    ``_older`` (deal_id and the tracked columns) for snapshot.write_history, and they count
    as unchanged.
    """
    keys, _ = TABLES[table]
    exprs = ", ".join(f"{e} as {c}" for c, e in cols.items())
    key_list = ", ".join(keys)
    names = ", ".join(cols)
    server = work is not cur    # PostgreSQL: the rows computed in the work DuckDB, copied here
    if unique:
        stage = f"(select {exprs} from inc)"
        if not cur.execute(f"select count(*) from (select 1 from {table} limit 1) x"
                           ).fetchall()[0][0]:
            if server:   # into an empty table: the rows go straight in, by COPY
                return cur.copy_in(table, work.sql(
                    f"select {names}, $b::BIGINT as batch_id from {stage}",
                    params={"b": batch}).to_arrow_table()), 0, 0
            n = cur.execute(f"insert into {table} ({names}, batch_id) select {names}, $b "
                            f"from {stage}", {"b": batch}).fetchall()
            return int(n[0][0]) if n else 0, 0, 0
        total = int(work.execute("select count(*) from inc_src").fetchall()[0][0])
        if server:
            _stage(work, cur, "_stage", f"select {exprs} from inc", like=table)
            stage = "_stage"
    else:
        # collapse exact repeats of a key (the first row wins)
        _stage(work, cur, "_stage", f"select * exclude (rn) from ("
               f"select *, row_number() over (partition by {key_list}) as rn from ("
               f"select {exprs} from inc)) where rn = 1", like=table if server else None)
        stage = "_stage"
        total = int(cur.execute("select count(*) from _stage").fetchall()[0][0])
    others = [c for c in cols if c not in keys]
    join = " and ".join(f"t.{k} = s.{k}" for k in keys)
    # a deal's amount is compared as the file gives it (amount_local): the stored amount is
    # in the reporting currency (salescore/fx.py)
    compared = [c for c in others if not (c == "amount" and "amount_local" in cols)]
    differs = " or ".join(f"s.{c} is distinct from coalesce(t.amount_local, t.amount)" if c == "amount_local"
                          else f"s.{c} is distinct from t.{c}" for c in compared) or "false"
    cur.execute(f"create or replace temp table _chg as select s.*, t.{keys[0]} is null as _is_new "
                f"from {stage} s left join {table} t on {join} "
                f"where t.{keys[0]} is null or ({differs})")
    if table == "deals" and as_of is not None:
        set_aside_older(cur, stage, cols, as_of)
    new, changed = cur.execute("select count(*) filter (where _is_new), "
                               "count(*) filter (where not _is_new) from _chg").fetchall()[0]
    new, changed = int(new or 0), int(changed or 0)
    if changed:
        cur.execute(f"insert into import_undo select $b, $t, to_json(t) from {table} t "
                    f"where exists (select 1 from _chg s where not s._is_new and {join})",
                    {"b": batch, "t": table})
    if new:
        cur.execute(f"insert into {table} ({names}, batch_id) select {names}, $b from _chg "
                    f"where _is_new", {"b": batch})
    if changed:  # an UPDATE by key: deals has no primary key to say ON CONFLICT against
        updates = ", ".join(f"{c} = s.{c}" for c in others)
        cur.execute(f"update {table} t set {updates}{', ' if updates else ''}batch_id = $b "
                    f"from _chg s where not s._is_new and {join}", {"b": batch})
    cur.execute("drop table _chg")
    if stage == "_stage":
        cur.execute("drop table _stage")
    return new, changed, total - new - changed
