"""What kind of data a sheet holds, which column is which field, and the rules of each kind.

A sheet's headers are matched to generic fields by synonym (fields.py), the generic fields
read per kind (a roster's 姓名 is the rep), and the kind with the best fit wins. Each kind
brings its row rules as SQL over the parsed table: what a row needs, what earns a warning,
and (for deals) the status rule and the orders rule of DESIGN.md section 3.
"""
from __future__ import annotations

from salescore.errors import ImportRejected
from salescore.ingest.fields import FORECAST_SQL, KINDS, match_header, wide_month

# How a generic field reads in a given kind (a roster's 姓名 is the rep; a product list's
# 编号 is the product code).
REMAP: dict[str, dict[str, str]] = {
    "deals": {"name": "deal_name"},
    "reps": {"name": "rep", "deal_id": "rep_code"},
    "customers": {"name": "customer", "deal_id": "customer_code"},
    "products": {"name": "product", "deal_id": "product_code"},
    "targets": {"name": "rep", "deal_id": "rep_code"},
    "trainings": {"name": "rep"},
    "activities": {"name": "customer", "order_id": "deal_id"},
    "satisfaction": {"name": "customer"},
    "payments": {"name": "customer", "order_id": "deal_id", "paid_amount": "amount"},
    "credits": {"name": "rep", "order_id": "deal_id"},
}

# Fields whose values must be unique within one file (after trimming and lower-casing);
# rows that repeat a key with different values are rejected, exact repeats collapsed.
FILE_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    # first alternative whose fields are all mapped wins
    "reps": (("rep_code",), ("rep",)),
    "customers": (("customer_code",), ("customer",)),
    "products": (("product_code",), ("product",)),
    "targets": (("rep", "team", "month", "metric"),),
    "satisfaction": (("customer_code", "survey_date"), ("customer", "survey_date")),
    "trainings": (("rep", "course", "start_date"),),
    "payments": (("payment_id",),),
    "activities": (("activity_id",),),
    "credits": (("deal_id", "rep_code", "credit_kind"), ("deal_id", "rep", "credit_kind"),
                ("deal_id", "rep_code"), ("deal_id", "rep")),
    "fx": (("currency", "month"),),
}


def guess_fields(headers: list[str]) -> dict[str, str | None]:
    """Header -> generic field by synonym (None when unknown)."""
    return {h: match_header(h) for h in headers}


def kind_fields(kind: str, raw: dict[str, str | None]) -> dict[str, str]:
    """Generic guesses turned into this kind's fields; first column wins for a field."""
    spec = KINDS[kind]
    remap = REMAP.get(kind, {})
    out: dict[str, str] = {}
    used: set[str] = set()
    for header, fld in raw.items():
        if not fld:
            continue
        fld = remap.get(fld, fld)
        if fld in spec.fields and fld not in used:
            out[header] = fld
            used.add(fld)
    if kind == "deals" and not used & {"paid_amount", "refund_amount"}:
        # a payment time means something to a deal only in a paid/refund order file; without
        # those columns the sheet is more likely a payments (回款) list
        out = {hd: f for hd, f in out.items() if f != "paid_date"}
    return out


def detect_kind(raw: dict[str, str | None], n_wide_months: int) -> str | None:
    """The most likely kind for these headers, or None when nothing fits."""
    if n_wide_months >= 2:
        fields = set(kind_fields("targets", raw).values())
        if fields & {"rep", "team", "rep_code"}:
            return "targets"
    best, best_score = None, 0
    for name, spec in KINDS.items():
        present = set(kind_fields(name, raw).values())
        if not all(present & set(alt) for alt in spec.required):
            continue
        if name == "deals" and not present & {"rep", "customer", "product", "deal_id",
                                               "deal_name", "customer_code", "product_code",
                                               "order_id"}:
            continue
        sig = set(spec.signature)
        score = 3 * len(present & sig) + len(present)
        if score > best_score:
            best, best_score = name, score
    return best



def choose(headers: list[str], file_name: str, *, kind: str | None,
           mapping: dict[str, str] | None,
           year: int | None) -> tuple[str, dict[str, str], dict[str, str], str]:
    """(kind, mapping header -> field, wide month columns header -> 'YYYY-MM', layout).

    ``mapping`` (header -> field, '' to ignore) replaces the synonym guesses; ``kind`` None
    is detected. Layout is 'wide' for targets with one column per month, else 'long' (and
    no month columns). Raises ImportRejected when no kind fits or wide months lack a year.
    """
    raw_fields = guess_fields(headers)
    if mapping is not None:
        raw_fields = {hd: (mapping.get(hd) or None) for hd in headers}
    months = {hd: wide_month(hd, year) for hd in headers if not raw_fields.get(hd)}
    months = {hd: m for hd, m in months.items() if m}
    if kind is None:
        kind = detect_kind(raw_fields, len(months))
    if kind is None:
        shown = ", ".join(str(hd)[:30] for hd in headers[:8])   # a garbage "header" stays short
        raise ImportRejected(
            f"{file_name}: no column was recognised (headers: {shown}); "
            "choose the kind of data and map the columns.",
            key="ingest.error.no_columns", file=file_name, headers=shown)
    if mapping is not None:
        fmap = {hd: f for hd, f in raw_fields.items() if f and f in KINDS[kind].fields}
    else:
        fmap = kind_fields(kind, raw_fields)
    layout = "long"
    if kind == "targets" and "target" not in fmap.values() and len(months) >= 2:
        layout = "wide"
        if any(m.startswith("?") for m in months.values()):
            raise ImportRejected(
                f"{file_name}: the month columns have no year; put the year in the title or "
                "sheet name (2026年销售目标) or give it.", key="ingest.error.need_year",
                file=file_name)
    else:
        months = {}
    return kind, fmap, months, layout


def file_key(kind: str, present: set[str]) -> tuple[str, ...] | None:
    """The fields whose values must be unique within one file, given the mapped fields
    (None: no such key; an id-less deal list may repeat rows)."""
    if kind == "targets":
        return tuple(f for f in ("rep", "rep_code", "team", "month", "metric") if f in present)
    if kind == "deals":
        return ("deal_id",) if "deal_id" in present and present & {"stage", "status"} else None
    for alt in FILE_KEYS.get(kind, ()):
        if all(f in present for f in alt):
            return alt
    return None


def kind_rules(kind: str, present: set[str], paid_net: bool = True
               ) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, dict]],
                          dict[str, str], dict[str, str]]:
    """(reject rules, warning rules, output expressions, derived columns) as SQL over the
    parsed table.

    Output expressions replace or add canonical columns of the good rows (a deal's final
    status, close date under the orders rule, 'unassigned' rep; a target's metric). Derived
    columns are computed once per row before the rules read them. ``paid_net``: a deals
    sheet's paid column is already net of refunds (see :func:`paid_is_net_sql`).
    """
    rules: list[tuple[str, str, str]] = []
    notes: list[tuple[str, str, dict]] = []
    outputs: dict[str, str] = {}
    derived: dict[str, str] = {}
    spec = KINDS[kind]
    if kind == "deals":
        return _deal_rules(present, paid_net)
    for alt in spec.required:
        have = [f for f in alt if f in present]
        if not have:
            continue  # detection guarantees one; with a forced kind the column is missing
        cond = " and ".join(f"{f} is null" for f in have)
        rules.append((have[0], "missing_required", cond))
    if kind == "targets":
        rules.append(("rep" if "rep" in present else "team", "missing_required",
                      " and ".join(f"{f} is null" for f in ("rep", "team", "rep_code")
                                   if f in present) or "true"))
    if kind == "satisfaction" and "score" in present:
        rules.append(("score", "bad_score", "score < 0 or score > 10"))
    if kind == "products" and "margin_rate" in present:
        rules.append(("margin_rate", "bad_rate", "margin_rate < -1 or margin_rate > 1"))
    if kind == "credits" and "share" in present:
        rules.append(("share", "bad_rate", "share <= 0 or share > 1"))
    if kind == "fx" and "fx_rate" in present:
        rules.append(("fx_rate", "bad_number", "fx_rate <= 0"))
    if kind == "payments" and "amount" in present:
        notes.append(("ingest.warn.negative_amount", "amount < 0", {}))
    if kind == "targets":
        metric = "sc_metric(metric)" if "metric" in present else "'revenue'"
        if "metric" in present:
            rules.append(("metric", "bad_metric", "metric is not null and sc_metric(metric) is null"))
        outputs["metric"] = f"coalesce({metric}, 'revenue')"
    return rules, notes, outputs, derived


def missing_required(kind: str, mapping: dict[str, str]) -> list[str]:
    """Required field groups this mapping lacks (each as 'a/b'), for the mapping editor."""
    present = set(mapping.values())
    out = []
    for alt in KINDS[kind].required:
        if not present & set(alt):
            out.append("/".join(alt))
    return out


def paid_is_net_sql(present: set[str]) -> str | None:
    """SQL (one aggregate over the parsed rows, to be followed by the rows' subquery) telling
    whether a paid/refund order file's paid column is already net of refunds.

    Only orders with a refund tell the two readings apart: net when paid + refund = total on
    at least as many of them as paid = total (Tmall: on every one); without a total column,
    a refund larger than the paid amount proves it net. None when the sheet has no paid and
    refund columns (nothing to decide)."""
    if "paid_amount" not in present or "refund_amount" not in present:
        return None
    paid, refund = "coalesce(paid_amount, 0)", "coalesce(refund_amount, 0)"
    if "amount" in present:
        # cents rounded one by one may differ by one cent
        net_fit = f"abs({paid} + {refund} - amount) <= 0.01"
        gross_fit = f"abs({paid} - amount) <= 0.01"
        return (f"select count(*) filter (where {net_fit}) >= count(*) filter (where "
                f"{gross_fit}) from (select * from {{rows}}) where {refund} > 0 "
                f"and amount is not null")
    return f"select coalesce(bool_or({refund} > {paid}), false) from {{rows}}"


def _deal_rules(present: set[str], paid_net: bool):
    """The rules of a deals sheet (DESIGN.md sections 3 and 4): status from a status or stage
    column, else the orders rule (every row won, closed on its order date); a paid/refund
    order file's won amount is what the customer kept paid, an order never paid is lost
    ('unpaid'), one refunded in full is lost ('refunded'); a won row with a negative amount
    is a credit."""
    rules: list[tuple[str, str, str]] = []
    notes: list[tuple[str, str, dict]] = []
    outputs: dict[str, str] = {}
    derived: dict[str, str] = {}
    has_status = bool(present & {"status", "stage"})
    status_parts = [f"sc_status({f})" for f in ("status", "stage") if f in present]
    status = "'won'"
    if status_parts:
        derived["_status"] = f"coalesce({', '.join(status_parts)})"
        status = "_status"
    amount = "amount" if "amount" in present else "null"
    if "paid_amount" in present:
        first = f"coalesce({', '.join(status_parts)})" if status_parts else "'won'"
        paid = "coalesce(paid_amount, 0)"
        refund = "coalesce(refund_amount, 0)" if "refund_amount" in present else "0"
        net = paid if paid_net else f"{paid} - {refund}"
        unpaid = f"{paid} = 0 and {refund} = 0"
        if "paid_date" in present:
            unpaid = f"paid_date is null and {unpaid}"
        derived["_pay"] = (f"case when {first} = 'won' then case when {unpaid} then 'unpaid' "
                           f"when {net} <= 0 then 'refunded' end end")
        derived["_net"] = f"cast({net} as decimal(18,2))"
        status = f"(case when _pay is not null then 'lost' else {status} end)"
        outputs["amount"] = (f"case when _pay is null and {first} = 'won' then _net "
                             f"else {amount} end")
        amount = outputs["amount"]
        outputs["lost_reason"] = ("coalesce(_pay, lost_reason)" if "lost_reason" in present
                                  else "_pay")
        notes.append(("ingest.warn.unpaid", "_pay = 'unpaid'", {}))
        notes.append(("ingest.warn.refunded", "_pay = 'refunded'", {}))
    close = "close_date" if "close_date" in present else "null"
    if not has_status:
        close = "coalesce(" + ", ".join(
            f for f in ("close_date", "order_date", "created_date") if f in present) + ")" \
            if present & {"close_date", "order_date", "created_date"} else "null"
    if has_status:
        rules.append(("stage" if "stage" in present else "status", "missing_status",
                      f"{status} is null"))
    rules.append(("amount" if "amount" in present or "paid_amount" not in present
                  else "paid_amount", "won_needs_amount",
                  f"{status} = 'won' and ({amount}) is null"))
    rules.append(("close_date" if "close_date" in present else
                  ("order_date" if "order_date" in present else "close_date"),
                  "won_needs_close_date", f"{status} = 'won' and {close} is null"))
    rep = "rep" if "rep" in present else "null"
    notes.append(("ingest.warn.unassigned", f"{rep} is null", {}))
    if present & {"amount", "paid_amount"}:
        # a won row with a negative amount is a credit (红冲/退款), kept as it is (DESIGN §4)
        notes.append(("ingest.warn.credits", f"{status} = 'won' and ({amount}) < 0", {}))
        notes.append(("ingest.warn.negative_amount", f"{status} <> 'won' and ({amount}) < 0",
                      {}))
    if "forecast_category" in present:
        # a category the importer does not know is kept as none (Closed / 已关闭 mean closed)
        notes.append(("ingest.warn.forecast_category",
                      f"forecast_category is not null and ({FORECAST_SQL}) is null and lower("
                      "regexp_replace(forecast_category, '[\\s_-]+', '', 'g')) not in "
                      "('closed', 'closedwon', 'closedlost', 'won', 'lost', '已关闭', '关闭', '赢单', '输单')", {}))
    cust = "customer" if "customer" in present else (
        "customer_code" if "customer_code" in present else "null")
    notes.append(("ingest.warn.no_customer", f"{status} = 'won' and {cust} is null", {}))
    if "created_date" in present and "close_date" in present:
        notes.append(("ingest.warn.close_before_created", "close_date < created_date", {}))
    outputs["status"] = status
    outputs["close_date"] = close
    # A list of orders has no creation date: its order date is the close date, and a cycle
    # of 0 days would be made up (DESIGN §4 sales_cycle_days). Beside a status or stage, an
    # order date stands in for a missing creation date.
    created = [f for f in ("created_date", "order_date") if f in present
               and (f == "created_date" or has_status)]
    outputs["created_date"] = (created[0] if len(created) == 1 else
                               f"coalesce({', '.join(created)})" if created else "null")
    outputs["rep"] = "coalesce(rep, 'unassigned')" if "rep" in present else "'unassigned'"
    return rules, notes, outputs, derived
