"""The import batches: :func:`undo` takes the last one back exactly, :func:`history` lists
them (every import is one batch, salescore.ingest.load)."""
from __future__ import annotations

import duckdb
import pandas as pd

from salescore import audit, db, fx
from salescore.errors import SalesCoreError


def undo(con: duckdb.DuckDBPyConnection, batch_id: int | None = None) -> int:
    """Undo the last loaded import (or ``batch_id``, which must be the last); returns its id.

    Deletes the rows the batch wrote and puts back the rows it overwrote, exactly.
    """
    with db.transaction(con) as cur:
        last = cur.execute("select max(batch_id) from imports where status = 'loaded'"
                           ).fetchall()[0][0]
        if last is None:
            raise SalesCoreError("There is no import to undo.", key="ingest.error.nothing_to_undo")
        if batch_id is None:
            batch_id = int(last)
        elif int(batch_id) != int(last):
            raise SalesCoreError(
                f"Import {batch_id} is not the last one; undo the later imports first.",
                key="ingest.error.undo_order", batch=batch_id)
        for table in reversed(db.DATA_TABLES):
            cur.execute(f"delete from {table} where batch_id = $b", {"b": batch_id})
        for table in db.DATA_TABLES:
            cols = cur.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_name = $t and table_schema = current_schema() order by ordinal_position",
                {"t": table}).fetchall()
            names = ", ".join(c for c, _ in cols)
            exprs = ", ".join(f"cast(row_data ->> '{c}' as {typ})" for c, typ in cols)
            cur.execute(f"insert into {table} ({names}) select {exprs} from import_undo "
                        f"where batch_id = $b and table_name = $t", {"b": batch_id, "t": table})
        cur.execute("delete from import_undo where batch_id = $b", {"b": batch_id})
        kind = cur.execute("select kind from imports where batch_id = $b", {"b": batch_id}).fetchall()
        if (kind and kind[0][0] == "fx") or cur.execute("select count(*) from fx_rates").fetchall()[0][0]:
            fx.apply(cur)      # restored rows (or rates) at the rates that hold now
        audit.record(cur, "undo", {"batch": batch_id})
        cur.execute("update imports set status = 'undone' where batch_id = $b", {"b": batch_id})
    return int(batch_id)


def history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Imports, newest first: batch_id, file_name, sheet, kind, rows_in, rows_loaded,
    rows_rejected, loaded_at, as_of (a deals export's date), status."""
    with con.cursor() as cur:
        return cur.execute(
            "select batch_id, file_name, sheet, kind, rows_in, rows_loaded, rows_rejected, "
            "loaded_at, as_of, status from imports order by batch_id desc").df()
