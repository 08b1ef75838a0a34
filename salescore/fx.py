"""Multi-currency (DESIGN.md section 10): deals keep their own currency; every figure is in the
reporting currency at the month's rate.

``fx_rates(currency, month, rate_to_reporting)`` says what one unit of ``currency`` is worth in
the reporting currency in a month (YYYY-MM): imported (``import --kind fx``: currency, month,
rate) or typed on the Data page. A month without its own row takes the latest earlier one; a
month before the first row takes the first.

``deals.amount_local`` is the amount as the file gave it, in ``deals.currency``;
``deals.amount`` (what every figure reads) is amount_local x the rate of the deal's month (its
close date, else its expected close date, else its created date), rounded to the cent. A deal
in the reporting currency, or without a currency, keeps its amount; a currency without any
rate is counted as it is, and :func:`missing` names it. deal_history follows the same rule.
Conversion runs in the database over whole tables whenever the rates change, and over the
imported rows on each deals import.
"""
from __future__ import annotations

import re
from typing import Any

import pandas as pd

from salescore import audit, db, sql
from salescore.errors import SalesCoreError
from salescore.ingest.rules import currency_code   # the codes the importer reads

COLUMNS = ["currency", "month", "rate_to_reporting"]
#: A month as typed: 2026-07, 2026/7, 2026.07, 2026年7月, 2026-07-01.
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*月)?(?:[-/.]\d{1,2}(?:\s.*)?)?$")

# the factor of a row (alias r: its currency and month m) into the reporting currency: the
# month's rate (a: as of the month), else the currency's first rate (e), else 1
_FACTOR = """
    case when r.currency is null or r.currency = $rep then 1.0
         else coalesce(a.rate_to_reporting, e.rate, 1.0) end"""
_EARLIEST = ("(select currency, rate_to_reporting as rate from fx_rates f "
             "where month = (select min(month) from fx_rates g where g.currency = f.currency))")
# a: the latest rate of the row's currency in or before its month m. DuckDB's ASOF join; on
# PostgreSQL (no ASOF) one index probe per row (fx_rates' key is currency, month)
_AS_OF = {
    "duckdb": "asof left join fx_rates a on a.currency = r.currency and r.m >= a.month",
    "postgres": ("left join lateral (select f.rate_to_reporting from fx_rates f "
                 "where f.currency = r.currency and f.month <= r.m "
                 "order by f.month desc limit 1) a on true"),
}

_DEALS_SQL = f"""
update deals set amount = x.converted from (
    select r.deal_id, round(r.amount_local * {_FACTOR}, 2) as converted
    from (select *, strftime(coalesce(close_date, expected_close_date, created_date), '%Y-%m') as m
          from deals where amount_local is not null and ($b::BIGINT is null or batch_id = $b)) r
    {{as_of}}
    left join {_EARLIEST} e on e.currency = r.currency) x
where deals.deal_id = x.deal_id and deals.amount is distinct from x.converted"""

_HISTORY_SQL = f"""
update deal_history set amount = x.converted from (
    select r.deal_id, r.seen_at, r.batch_id, round(r.amount_local * {_FACTOR}, 2) as converted
    from (select h.*, strftime(coalesce(h.close_date, h.expected_close_date, c.created_date), '%Y-%m') as m,
                 c.currency
          from deal_history h join deals c on c.deal_id = h.deal_id
          where h.amount_local is not null and ($b::BIGINT is null or h.batch_id = $b)) r
    {{as_of}}
    left join {_EARLIEST} e on e.currency = r.currency) x
where deal_history.deal_id = x.deal_id and deal_history.seen_at = x.seen_at
  and deal_history.batch_id is not distinct from x.batch_id
  and deal_history.amount is distinct from x.converted"""


# a payment (回款) is in its deal's currency, at the rate of the month it was paid; the rows of
# the batch, or those of the deals the batch wrote (their currency may have changed)
_PAYMENTS_SQL = f"""
update payments set amount = x.converted from (
    select r.payment_id, round(r.amount_local * {_FACTOR}, 2) as converted
    from (select y.payment_id, y.amount_local, d.currency, strftime(y.paid_date, '%Y-%m') as m
          from payments y join deals d on d.deal_id = y.deal_id
          where y.amount_local is not null
            and ($b::BIGINT is null or y.batch_id = $b or d.batch_id = $b)) r
    {{as_of}}
    left join {_EARLIEST} e on e.currency = r.currency) x
where payments.payment_id = x.payment_id and payments.amount is distinct from x.converted"""


def _error(message: str, key: str, **params: Any) -> SalesCoreError:
    return SalesCoreError(message, key=f"fx.error.{key}", **params)


def apply(cur: Any, batch: int | None = None) -> None:
    """Convert amount_local to amount at the month's rate (see the module docstring): the rows
    of import ``batch``, or every row when None (after the rates or the reporting currency
    changed). Runs inside the caller's transaction."""
    if batch is not None and not cur.execute("select count(*) from fx_rates").fetchall()[0][0]:
        return        # no rate: an import's amounts stay as the file gave them
    rep = db.reporting_currency(cur)
    for table in ("deals", "deal_history", "payments"):
        cur.execute(f"update {table} set amount_local = amount "   # rows from before schema 8 / 9
                    "where amount_local is null and amount is not null")
    join = _AS_OF[sql.dialect(cur)]
    for text in (_DEALS_SQL, _HISTORY_SQL, _PAYMENTS_SQL):
        cur.execute(text.replace("{as_of}", join), {"b": batch, "rep": rep})


def _fix_reporting(cur: Any, codes: list[str]) -> str:
    """The reporting currency, kept in settings from the first rate on (rates are relative to
    it); a rate given for it, or no currency to report in, is refused."""
    rep = db.reporting_currency(cur)
    if rep is None:
        raise _error("Choose the reporting currency first (Data page, or a deals file with "
                     "amounts in it): the rates say what one unit of each currency is worth in it.",
                     "no_reporting")
    if rep in codes:
        raise _error(f"{rep} is the reporting currency: it needs no rate; nothing was stored.",
                     "reporting", currency=rep)
    cur.execute("insert into settings (key, value) values ('reporting_currency', to_json($c::VARCHAR)) "
                "on conflict (key) do nothing", {"c": rep})
    return rep


def rates_imported(cur: Any) -> None:
    """After ``import --kind fx`` (inside its transaction): the reporting currency fixed, every
    amount converted at the new rates."""
    codes = [str(r[0]) for r in cur.execute("select distinct currency from fx_rates").fetchall()]
    _fix_reporting(cur, codes)
    apply(cur)


def rates(con: Any) -> pd.DataFrame:
    """The rate table (COLUMNS), by currency and month."""
    return sql.run(con, "select currency, month, rate_to_reporting from fx_rates order by 1, 2")


def currencies(con: Any) -> pd.DataFrame:
    """Per currency of the deals: deals, amount as the files gave it, amount in the reporting
    currency, and whether it needs a rate that is missing (``needs_rate``); the reporting
    currency first."""
    rep = db.reporting_currency(con)
    return sql.run(con, """
        select coalesce(d.currency, '') as currency, count(*) as deals,
               sum(coalesce(d.amount_local, d.amount))::FLOAT8 as amount_local,
               sum(d.amount)::FLOAT8 as amount,
               d.currency is not null and d.currency is distinct from $rep
                   and d.currency not in (select currency from fx_rates) as needs_rate
        from deals d group by d.currency
        order by d.currency is distinct from $rep, count(*) desc, 1""", {"rep": rep})


def missing(con: Any) -> list[str]:
    """The deals' currencies other than the reporting one that have no rate at all."""
    frame = currencies(con)
    return [str(c) for c in frame.loc[frame["needs_rate"].fillna(False).astype(bool), "currency"]]


def _checked(frame: pd.DataFrame) -> pd.DataFrame:
    """The typed table as rows to store: codes upper case, months YYYY-MM, rates above zero;
    a sentence naming the first bad row otherwise."""
    rows = []
    seen: set[tuple[str, str]] = set()
    for number, row in enumerate(frame.to_dict("records"), start=1):
        cur, month, rate = row.get("currency"), row.get("month"), row.get("rate_to_reporting")
        if all(v is None or (isinstance(v, float) and v != v) or str(v).strip() == "" for v in (cur, month, rate)):
            continue                                                  # an empty row of the editor
        try:
            code = currency_code(str(cur or ""))
        except SalesCoreError:
            raise _error(f"Row {number}: “{cur}” is not a currency: give a code such as USD.", "currency",
                         row=number, value=str(cur)) from None
        text = str(month or "").strip()
        found = _MONTH.match(text)
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise _error(f"Row {number}: “{text}” is not a month: write 2026-07.", "month", row=number, value=text)
        label = f"{found.group(1)}-{int(found.group(2)):02d}"
        try:
            value = float(rate)
        except (TypeError, ValueError):
            value = float("nan")
        if not value > 0:
            raise _error(f"Row {number}: the rate of {code} is a number above 0 (7.1 means 1 {code} = 7.1 "
                         "of the reporting currency).", "rate", row=number, currency=code)
        key = (code, label)
        if key in seen:
            raise _error(f"Row {number}: {code} {key[1]} is in the table twice.", "twice", row=number,
                         currency=code, month=key[1])
        seen.add(key)
        rows.append({"currency": code, "month": key[1], "rate_to_reporting": value})
    return pd.DataFrame(rows, columns=COLUMNS)


def save_rates(con: Any, frame: pd.DataFrame, *, user: str | None = None) -> int:
    """Replace the rate table by ``frame`` (COLUMNS, as typed) and convert every amount again;
    the reporting currency is fixed in settings from then on (rates are relative to it).
    Returns the rows stored. Nothing changes when a row is wrong."""
    clean = _checked(frame)
    with db.transaction(con) as cur:
        rep = _fix_reporting(cur, clean["currency"].tolist()) if len(clean) else db.reporting_currency(cur)
        # a batch of its own, as an import: "undo the last import" takes the typed table back
        # exactly (and an earlier rates import can only be undone after it)
        batch = db.next_batch(cur)
        cur.execute("insert into import_undo select $b, 'fx_rates', to_json(t) from fx_rates t", {"b": batch})
        cur.execute("delete from fx_rates")
        if len(clean):
            cur.register("_fx_in", clean)
            cur.execute("insert into fx_rates (currency, month, rate_to_reporting, batch_id) "
                        "select currency, month, rate_to_reporting, $b from _fx_in", {"b": batch})
            cur.unregister("_fx_in")
        cur.execute("insert into imports (batch_id, file_name, kind, rows_in, rows_loaded, rows_rejected, status) "
                    "values ($b, null, 'fx', $n, $n, 0, 'loaded')", {"b": batch, "n": len(clean)})
        apply(cur)
        audit.record(cur, "fx_rates", {"rows": len(clean), "reporting": rep}, user=user)
    return len(clean)


def set_reporting(con: Any, code: str, *, user: str | None = None) -> str:
    """Report every figure in ``code`` (an ISO code, or what the importer reads as one). Refused
    while rates exist: they are worth-in-the-old-currency figures."""
    chosen = currency_code(code)
    if chosen == db.reporting_currency(con) and db.get_setting(con, "reporting_currency"):
        return chosen
    if sql.scalar(con, "select count(*) from fx_rates"):
        raise _error("The exchange rates are relative to the reporting currency: clear them (or "
                     "replace them by rates to the new currency) before changing it.", "rates_exist")
    with db.transaction(con) as cur:
        cur.execute("insert into settings (key, value) values ('reporting_currency', to_json($c::VARCHAR)) "
                    "on conflict (key) do update set value = excluded.value", {"c": chosen})
        apply(cur)
        audit.record(cur, "settings", {"reporting_currency": chosen}, user=user)
    return chosen
