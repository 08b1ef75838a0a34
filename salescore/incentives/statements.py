"""Payout statements (DESIGN.md section 5): one rep's statement as XLSX (:func:`statement_xlsx`)
or as a printable HTML page (:func:`statement_html`), every rep's in one zip, all from one
engine computation so the statement and the payouts table agree to the cent."""
from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Mapping
from html import escape
from typing import Any

import duckdb
import pandas as pd

from salescore import db, fmt, i18n, xlsx
from salescore.incentives.engine import _compute, _period, _with_rounding, payouts_from
from salescore.incentives.plan import Plan
from salescore.periods import Period
from salescore.scope import Scope

Con = duckdb.DuckDBPyConnection


def statement_xlsx(row: Mapping[str, Any], lines: pd.DataFrame, labels: Mapping[str, str],
                   period: str, plan_name: str, currency: str = "") -> bytes:
    """One rep's statement as an XLSX workbook: a summary block (the payouts row) and the
    explanation lines. ``labels`` maps column/component names to the user's language. Money
    and rates are numbers (money formatted with the ``currency`` symbol, none when not known);
    the day is ISO text (2026-07-10), as the statement always showed it."""
    book = xlsx.Workbook()
    sheet = book.sheet(labels.get("statement", "Statement"))
    bold = book.style(bold=True)
    symbol = currency.replace('"', "")
    money = book.style(num_format=(f'"{symbol}"' if symbol else "") + "#,##0.00")
    pct = book.style(num_format="0.0%")
    book.write(sheet, 0, 0, f"{row['rep']} · {row['team']} · {period}", bold)
    book.write(sheet, 1, 0, str(plan_name))
    r = 3
    for key in SUMMARY_KEYS:
        book.write(sheet, r, 0, str(labels.get(key, key)))
        book.write(sheet, r, 1, row.get(key), pct if key in ("attainment", "cost_of_sales") else money)
        r += 1
    rewards = row.get("non_cash") or []
    book.write(sheet, r, 0, str(labels.get("non_cash", "non_cash")))
    book.write(sheet, r, 1, "; ".join(rewards))
    r += 2
    cols = ["component", "deal_id", "day", "basis", "rate", "multiplier", "amount", "detail"]
    book.row(sheet, r, [str(labels.get(name, name)) for name in cols], bold)
    for rec in lines[cols].to_dict("records"):
        r += 1
        for c, name in enumerate(cols):
            value = xlsx.plain(rec[name])
            if value is None:
                continue
            if name == "component":
                book.write(sheet, r, c, str(labels.get(str(value), str(value))))
            elif name == "detail":
                book.write(sheet, r, c, line_detail(rec["component"], str(value), labels))
            elif name == "day":
                book.write(sheet, r, c, pd.Timestamp(value).date().isoformat())
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                book.write(sheet, r, c, value, money if name in ("basis", "amount") else None)
            else:
                book.write(sheet, r, c, str(value))
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 7, 14)
    return book.close()


#: The figures of a statement's summary block, in order (payouts columns).
SUMMARY_KEYS = ("quota", "revenue_won", "attainment", "base_bonus", "commission", "accelerator_extra",
                "decelerator_cut", "spiffs", "clawback", "carried_balance", "total", "carried_forward",
                "cost_of_sales")
#: Words of an explanation line's detail (``incentives.reason.<key>``).
REASON_KEYS = ("refund", "credit", "lost", "paid_in", "carried_from", "carried_into", "not_carried")


def line_detail(component: str, detail: Any, labels: Mapping[str, str]) -> str:
    """An explanation line's detail in the user's words (``labels`` from
    :func:`statement_labels`): a clawback's reason, the period that paid the deal and the
    refund or credit row; where a carried balance came from or a shortfall goes."""
    if _blank(detail):
        return ""
    detail = str(detail)

    def word(key: str, **values: str) -> str:
        template = labels.get(f"reason.{key}", key + (" {period}" if values else ""))
        return template.format(**values) if values else template

    if component == "clawback":
        reason, *rest = detail.split(" · ")
        out = [word(reason)] if reason in REASON_KEYS else [reason]
        if rest:
            out.append(word("paid_in", period=rest[0]))
        return " · ".join(out + rest[1:])
    if component == "carried_balance":
        return word("carried_from", period=detail)
    if component == "shortfall":
        return word("not_carried") if detail == "not_carried" else word("carried_into", period=detail)
    return detail


#: Keys of the printable statement's own words (``incentives.print.<key>`` in the catalogues).
PRINT_KEYS = ("title", "rep", "team", "period", "plan", "attainment", "summary", "lines", "note",
              "sign_rep", "sign_manager", "sign_date", "print_hint", "none")


def statement_labels(lang: str) -> dict[str, str]:
    """Every word a statement needs in ``lang``: column and component names (``incentives.col``),
    flags (``flag.<name>``) and the printable view's own words (``print.<key>``)."""
    names = ("quota", "revenue_won", "base_bonus", "commission", "accelerator_extra", "decelerator_cut",
             "spiffs", "clawback", "carried_balance", "total", "carried_forward", "shortfall",
             "cost_of_sales", "non_cash", "flag", "payout_cap", "rounding",
             "deal_id", "day", "basis", "rate", "multiplier", "amount", "detail", "component")
    out = {n: i18n.t(f"incentives.col.{n}", lang) for n in names}
    out.update({f"flag.{f}": i18n.t(f"incentives.flag.{f}", lang) for f in ("no_quota", "capped", "shortfall")})
    out.update({f"reason.{k}": i18n.t(f"incentives.reason.{k}", lang) for k in REASON_KEYS})
    out.update({f"print.{k}": i18n.t(f"incentives.print.{k}", lang) for k in PRINT_KEYS})
    out.update({"attainment": i18n.t("metric.attainment", lang),
                "statement": i18n.t("incentives.statement", lang)})
    return out


_blank = fmt.missing


_PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans SC", "PingFang SC", "Microsoft YaHei", "Helvetica Neue", Arial, sans-serif;
       font-size: 10.5pt; color: #111; margin: 0 auto; max-width: 190mm; padding: 12px; }
h1 { font-size: 16pt; margin: 0 0 2mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #999; padding-bottom: 1mm; }
table { width: 100%; border-collapse: collapse; }
th, td { padding: 1.2mm 2mm; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
th { background: #f2f2f2; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.head td { border: none; padding: 0.6mm 2mm 0.6mm 0; }
table.head td.k { color: #555; width: 22%; }
tr.total td { font-weight: 700; border-top: 2px solid #111; border-bottom: 2px solid #111; }
.hint { color: #666; font-size: 9pt; margin-bottom: 4mm; }
.signs { display: flex; gap: 12mm; margin-top: 14mm; page-break-inside: avoid; break-inside: avoid; }
.sign { flex: 1; border-top: 1px solid #111; padding-top: 1.5mm; }
.sign span { display: block; color: #555; margin-top: 7mm; }
@media print {
  body { padding: 0; max-width: none; }
  .hint { display: none; }
  thead { display: table-header-group; }
  tr { page-break-inside: avoid; break-inside: avoid; }
  th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def statement_html(row: Mapping[str, Any], lines: pd.DataFrame, labels: Mapping[str, str],
                   period_label: str, plan_name: str, lang: str, currency: str = "") -> str:
    """One rep's statement as a self-contained, print-friendly HTML document (A4, no scripts, no
    external resources): header (rep, team, period, plan, quota, revenue won, attainment), the
    component summary of the payouts ``row`` (cuts and clawbacks negative; a payout-cap or
    rounding line when the components do not add up to the total by themselves; what is
    carried into the next period), the explanation ``lines`` of :func:`explain` and signature
    lines. Every value is HTML-escaped. ``labels`` overrides the words of
    :func:`statement_labels` (``lang``); money is shown with ``currency`` (the symbol of the
    reporting currency: fmt.symbol(db.reporting_currency(con)); none when not known)."""
    text = {**statement_labels(lang), **labels}

    def money(value: Any) -> str:
        return fmt.cents(value, currency=currency)

    def e(value: Any) -> str:
        return escape("—" if _blank(value) else str(value), quote=True)

    def w(key: str) -> str:
        return e(text.get(key, key))

    head = [("print.rep", row.get("rep")), ("print.team", row.get("team")), ("print.period", period_label),
            ("print.plan", plan_name), ("quota", money(row.get("quota"))),
            ("revenue_won", money(row.get("revenue_won"))),
            ("print.attainment", "—" if _blank(row.get("attainment")) else f"{float(row['attainment']) * 100:.1f}%")]
    flags = [f for f in str(row.get("flag") or "").split(",") if f]
    if flags:
        head.append(("print.note", "; ".join(text.get(f"flag.{f}", f) for f in flags)))
    head_html = "".join(f"<tr><td class=\"k\">{w(k)}</td><td>{e(v)}</td></tr>" for k, v in head)

    signs = {"decelerator_cut": -1.0, "clawback": -1.0, "carried_balance": -1.0}
    parts = [(c, signs.get(c, 1.0) * float(row.get(c) or 0.0))
             for c in ("base_bonus", "commission", "accelerator_extra", "decelerator_cut", "spiffs", "clawback")]
    if float(row.get("carried_balance") or 0.0):
        parts.append(("carried_balance", -float(row["carried_balance"])))
    total = float(row.get("total") or 0.0)
    rest = round(total - math.fsum(v for _, v in parts), 2)
    if abs(rest) >= 0.005:
        parts.append(("payout_cap" if "capped" in flags else "shortfall" if "shortfall" in flags
                      else "rounding", rest))
    summary_rows = "".join(f"<tr><td>{w(c)}</td><td class=\"num\">{e(money(v))}</td></tr>"
                           for c, v in parts)
    summary_rows += (f"<tr class=\"total\"><td>{w('total')}</td>"
                     f"<td class=\"num\">{e(money(total))}</td></tr>")
    if float(row.get("carried_forward") or 0.0):
        summary_rows += (f"<tr><td>{w('carried_forward')}</td>"
                         f"<td class=\"num\">{e(money(row['carried_forward']))}</td></tr>")
    rewards = list(row.get("non_cash") or [])
    summary_rows += (f"<tr><td>{w('non_cash')}</td>"
                     f"<td>{e('; '.join(map(str, rewards)) if rewards else text.get('print.none', '—'))}</td></tr>")

    cols = ["component", "deal_id", "day", "basis", "rate", "multiplier", "amount", "detail"]
    numeric = {"basis", "rate", "multiplier", "amount"}
    line_head = "".join(f"<th class=\"num\">{w(c)}</th>" if c in numeric else f"<th>{w(c)}</th>" for c in cols)
    body = []
    for rec in lines.to_dict("records"):
        cells = []
        for c in cols:
            v = rec.get(c)
            if _blank(v):
                shown = ""
            elif c == "component":
                shown = text.get(str(v), str(v))
            elif c == "day":
                shown = pd.Timestamp(v).date().isoformat()
            elif c in ("basis", "amount"):
                shown = money(v)
            elif c == "rate":
                shown = f"{float(v) * 100:.2f}%"
            elif c == "multiplier":
                shown = f"{float(v):.3f}"
            elif c == "detail":
                shown = line_detail(str(rec.get("component")), v, text)
            else:
                shown = str(v)
            cells.append(f"<td class=\"num\">{escape(shown)}</td>" if c in numeric else f"<td>{escape(shown)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    line_total = math.fsum(float(a) for a in lines["amount"]) if len(lines) else 0.0
    body.append(f"<tr class=\"total\"><td colspan=\"6\">{w('total')}</td>"
                f"<td class=\"num\">{e(money(line_total))}</td><td></td></tr>")

    title = f"{text.get('print.title', 'Statement')} · {row.get('rep', '')} · {period_label}"
    html_lang = "zh-CN" if lang == "zh" else "en"
    return f"""<!DOCTYPE html>
<html lang="{html_lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
<style>{_PRINT_CSS}</style>
</head>
<body>
<p class="hint">{w('print.print_hint')}</p>
<h1>{w('print.title')}</h1>
<table class="head">{head_html}</table>
<h2>{w('print.summary')}</h2>
<table class="summary"><thead><tr><th>{w('component')}</th><th class="num">{w('amount')}</th></tr></thead>
<tbody>{summary_rows}</tbody></table>
<h2>{w('print.lines')}</h2>
<table class="lines"><thead><tr>{line_head}</tr></thead>
<tbody>{''.join(body)}</tbody></table>
<div class="signs">
<div class="sign">{w('print.sign_rep')}<span>{w('print.sign_date')}</span></div>
<div class="sign">{w('print.sign_manager')}<span>{w('print.sign_date')}</span></div>
</div>
</body>
</html>
"""


def statement_page(con: Con, plan: Plan, period: Period | str, rep_id: str,
                   labels: tuple[tuple[str, str], ...], lang: str) -> str:
    """One rep's printable statement (see :func:`statement_html`), from one computation."""
    p = _period(plan, period)
    out, lines = _compute(con, plan, p, Scope(rep_id=rep_id))
    row = payouts_from(out).to_dict("records")[0]
    mine = _with_rounding(lines[lines["rep_id"] == rep_id].drop(columns="rep_id"), row["total"])
    return statement_html(row, mine, dict(labels), p.label, plan.name, lang,
                          currency=fmt.symbol(db.reporting_currency(con)))


def statements(con: Con, plan: Plan, period: Period | str, scope: Scope = Scope()) -> dict[str, tuple[dict, pd.DataFrame]]:
    """Every rep's (payouts row, explanation lines) in one computation, keyed by rep_id."""
    out, lines = _compute(con, plan, period, scope)
    frame = payouts_from(out)
    result = {}
    grouped = dict(tuple(lines.groupby("rep_id"))) if len(lines) else {}
    for row in frame.to_dict("records"):
        mine = grouped.get(row["rep_id"], lines.iloc[0:0]).drop(columns="rep_id")
        result[row["rep_id"]] = (row, _with_rounding(mine, row["total"]))
    return result


def statements_zip(items: Mapping[str, tuple[dict, pd.DataFrame]], labels: Mapping[str, str],
                   period: str, plan_name: str, currency: str = "") -> bytes:
    """All statements as one zip of XLSX files named after the reps."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for rep_id, (row, lines) in items.items():
            name = re.sub(r"[\\/:*?\"<>|]+", "_", f"{row['rep']}_{rep_id}_{period}.xlsx")
            archive.writestr(name, statement_xlsx(row, lines, labels, period, plan_name, currency))
    return buf.getvalue()


def statements_archive(con: Con, plan: Plan, period: Period | str, scope: Scope,
                       labels: tuple[tuple[str, str], ...]) -> bytes:
    """Every rep's statement as XLSX files in one zip (``labels`` as (name, text) pairs)."""
    p = _period(plan, period)
    return statements_zip(statements(con, plan, p, scope), dict(labels), p.label, plan.name,
                          fmt.symbol(db.reporting_currency(con)))


def statement_file(con: Con, plan: Plan, period: Period | str, rep_id: str,
                   labels: tuple[tuple[str, str], ...]) -> bytes:
    """One rep's statement as XLSX bytes (see :func:`statement_xlsx`)."""
    p = _period(plan, period)
    out, lines = _compute(con, plan, p, Scope(rep_id=rep_id))
    row = payouts_from(out).to_dict("records")[0]
    mine = _with_rounding(lines[lines["rep_id"] == rep_id].drop(columns="rep_id"), row["total"])
    return statement_xlsx(row, mine, dict(labels), p.label, plan.name, fmt.symbol(db.reporting_currency(con)))
