"""Payout statements (DESIGN.md section 5): one rep's statement as XLSX (:func:`statement_xlsx`)
or as a printable HTML page (:func:`statement_html`), every rep's in one zip, all from one
engine computation so the statement and the payouts table agree to the cent."""
from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from html import escape
from typing import Any

import duckdb
import pandas as pd

from salescore import db, fmt, i18n, xlsx
from salescore.incentives.closing import ADJUST_REASONS
from salescore.incentives.engine import _period, _run, _with_rounding, payouts_from
from salescore.incentives.plan import Plan
from salescore.periods import Period
from salescore.scope import Scope

Con = duckdb.DuckDBPyConnection


#: The components a statement's payout summary lists, in order (payouts columns); a balance
#: carried in is listed only when there is one.
SUMMARY_PARTS = ("base_bonus", "commission", "accelerator_extra", "decelerator_cut", "spiffs", "override",
                 "clawback", "carried_balance", "adjustment", "draw", "draw_recovered")
#: What a payouts row reports as positive amounts (DESIGN §5) and every statement, table and
#: download shows negative: the deductions from the pay, and the balance a period below zero
#: leaves to be recovered from the next one.
DEDUCTIONS = ("decelerator_cut", "clawback", "carried_balance", "carried_forward", "draw_recovered",
              "draw_balance")
#: The explanation lines' columns, in order, and those that hold figures.
LINE_COLUMNS = ("component", "deal_id", "day", "basis", "rate", "multiplier", "amount", "detail")
NUMERIC_COLUMNS = frozenset({"basis", "rate", "multiplier", "amount"})
#: Words of an explanation line's detail (``incentives.reason.<key>``).
REASON_KEYS = ("refund", "credit", "lost", "paid_in", "carried_from", "carried_into", "not_carried",
               "new_customer_deal", "period_champion", "adjust", "share", "share_overlay", "override_team",
               "prorated", "draw_recoverable", "draw_guaranteed")
#: The non-cash rewards of the template plans (``incentives.reward.<key>``): a stored reward that
#: reads as one of them in any language is shown in the reader's (see :func:`reward_text`).
REWARD_KEYS = ("leave_days_2", "leave_day_1", "gm_dinner", "trip")


def signed(frame: pd.DataFrame) -> pd.DataFrame:
    """A payouts frame as tables show it: the DEDUCTIONS columns negative (a copy)."""
    out = frame.copy()
    for col in DEDUCTIONS:
        if col in out:
            out[col] = 0.0 - out[col].astype("float64")   # 0.0 - x: no -0.0
    return out


def _flags(row: Mapping[str, Any]) -> list[str]:
    return [f for f in str(row.get("flag") or "").split(",") if f]


def summary_lines(row: Mapping[str, Any]) -> list[tuple[str, float]]:
    """A payouts ``row``'s summary as every statement shows it: (component, amount) pairs that
    add up to row["total"] to the cent, deductions negative. SUMMARY_PARTS first, then what
    they do not explain by themselves: the payout cap's cut (negative), the shortfall of a
    total below zero that pays 0 (positive: it brings the total back up to 0; what is carried
    into the next period is shown after the total) or rounding."""
    parts = []
    for name in SUMMARY_PARTS:
        value = float(row.get(name) or 0.0)
        if name in ("carried_balance", "adjustment", "override", "draw", "draw_recovered") and not value:
            continue
        parts.append((name, 0.0 - value if name in DEDUCTIONS else value))
    rest = round(float(row.get("total") or 0.0) - math.fsum(v for _, v in parts), 2)
    if abs(rest) >= 0.005:
        flags = _flags(row)
        parts.append(("payout_cap" if "capped" in flags else "shortfall" if "shortfall" in flags
                      else "rounding", rest))
    return parts


@cache
def _reward_index() -> dict[str, str]:
    """Every language's text of each template reward (case-folded) -> its key."""
    return {i18n.t(f"incentives.reward.{k}", lang).strip().casefold(): k
            for k in REWARD_KEYS for lang in i18n.LANGS}


def reward_text(text: Any, lang: str) -> str:
    """A non-cash reward in ``lang``: a template's reward (stored in whichever language the plan
    was made in) in the reader's words; any other text as the manager typed it."""
    key = _reward_index().get(str(text).strip().casefold())
    return i18n.t(f"incentives.reward.{key}", lang) if key else str(text)


def _rewards(rewards: Any, labels: Mapping[str, str]) -> list[str]:
    """A row's non_cash list in the words of ``labels`` (``reward.<key>``, see reward_text)."""
    out = []
    for reward in list(rewards if rewards is not None else []):
        key = _reward_index().get(str(reward).strip().casefold())
        out.append(labels.get(f"reward.{key}", str(reward)) if key else str(reward))
    return out


def statement_xlsx(row: Mapping[str, Any], lines: pd.DataFrame, labels: Mapping[str, str],
                   period: str, plan_name: str, currency: str = "") -> bytes:
    """One rep's statement as an XLSX workbook: the rep's figures (quota, revenue won,
    attainment, cost of sales), the payout summary of :func:`summary_lines` (deductions
    negative) down to the total it adds up to, what is carried into the next period (negative)
    and the non-cash rewards, then the explanation lines. ``labels`` maps column/component
    names to the user's language. Money and rates are numbers (money formatted with the
    ``currency`` symbol, none when not known); days are dates."""
    book = xlsx.Workbook()
    sheet = book.sheet(labels.get("statement", "Statement"))
    bold = book.style(bold=True)
    symbol = currency.replace('"', "")
    money_format = (f'"{symbol}"' if symbol else "") + "#,##0.00"
    money, total_money = book.style(num_format=money_format), book.style(num_format=money_format, bold=True)
    pct, rate, mult = book.style(num_format="0.0%"), book.style(num_format="0.00%"), book.style(num_format="0.000")

    def word(key: str) -> str:
        return str(labels.get(key, key))

    book.write(sheet, 0, 0, f"{row['rep']} · {row['team']} · {period}", bold)
    book.write(sheet, 1, 0, str(plan_name))
    r = 3
    for key in ("quota", "revenue_won", "attainment", "cost_of_sales"):
        book.write(sheet, r, 0, word(key))
        book.write(sheet, r, 1, row.get(key), pct if key in ("attainment", "cost_of_sales") else money)
        r += 1
    flags = _flags(row)
    if flags:
        book.write(sheet, r, 0, str(labels.get("print.note", "Note")))
        book.write(sheet, r, 1, "; ".join(labels.get(f"flag.{f}", f) for f in flags))
        r += 1
    r += 1
    book.row(sheet, r, [word("component"), word("amount")], bold)
    for name, value in summary_lines(row):
        r += 1
        book.write(sheet, r, 0, word(name))
        book.write(sheet, r, 1, value, money)
    r += 1
    book.write(sheet, r, 0, word("total"), bold)
    book.write(sheet, r, 1, row.get("total"), total_money)
    if float(row.get("carried_forward") or 0.0):
        r += 1
        book.write(sheet, r, 0, word("carried_forward"))
        book.write(sheet, r, 1, 0.0 - float(row["carried_forward"]), money)
    r += 1
    book.write(sheet, r, 0, word("non_cash"))
    book.write(sheet, r, 1, "; ".join(_rewards(row.get("non_cash"), labels)))
    r += 2
    book.row(sheet, r, [word(name) for name in LINE_COLUMNS], bold)
    styles = {"basis": money, "amount": money, "rate": rate, "multiplier": mult}
    for rec in lines[list(LINE_COLUMNS)].to_dict("records"):
        r += 1
        for c, name in enumerate(LINE_COLUMNS):
            value = xlsx.plain(rec[name])
            if value is None:
                continue
            if name == "component":
                book.write(sheet, r, c, word(str(value)))
            elif name == "detail":
                book.write(sheet, r, c, line_detail(rec["component"], value, labels))
            elif name == "day":   # a date cell (xlsx.Workbook.write), never its text
                book.write(sheet, r, c, pd.Timestamp(value).date())
            elif name in styles:
                book.write(sheet, r, c, float(value), styles[name])
            else:
                book.write(sheet, r, c, str(value))
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 7, 14)
    return book.close()


def line_detail(component: str, detail: Any, labels: Mapping[str, str]) -> str:
    """An explanation line's detail in the user's words (``labels`` from
    :func:`statement_labels`): a clawback's reason, the period that paid the deal and the
    refund or credit row; where a carried balance came from or a shortfall goes; which special
    reward a SPIFF line is."""
    if _blank(detail):
        return ""
    detail = str(detail)

    def word(key: str, **values: str) -> str:
        template = labels.get(f"reason.{key}")
        if template is None:
            return " ".join([key, *values.values()])
        return template.format(**values) if values else template

    if component == "clawback":
        reason, *rest = detail.split(" · ")
        out = [word(reason)] if reason in REASON_KEYS else [reason]
        if rest:
            out.append(word("paid_in", period=rest[0]))
        return " · ".join(out + rest[1:])
    if component == "carried_balance":
        return word("carried_from", period=detail)
    if component == "base_bonus" and detail.startswith("prorated:"):   # a hire or a leaver
        _, days, total = (detail.split(":") + ["", ""])[:3]
        return word("prorated", days=days, total=total)
    if component == "draw":
        return word("draw_recoverable" if detail == "recoverable" else "draw_guaranteed")
    if component == "override" and detail.startswith("team:"):
        return word("override_team", reps=detail.partition(":")[2])
    if component == "commission" and detail.startswith("share:"):   # a split deal (section 10)
        _, share, kind = (detail.split(":") + ["", ""])[:3]
        try:
            pct = f"{float(share) * 100:.4g}%"
        except ValueError:
            return detail
        return word("share_overlay" if kind == "overlay" else "share", share=pct)
    if component == "adjustment":     # 'closed period · component · reason' (closing.py)
        period, _, rest = detail.partition(" · ")
        part, _, why = rest.partition(" · ")
        if why.startswith("dispute:"):   # an answered dispute (disputes.py)
            reason = labels.get("adjust.dispute", "dispute {number}").format(number=why.partition(":")[2])
        else:
            reason = labels.get(f"adjust.{why}", why)
        return word("adjust", period=period, component=labels.get(part, part), reason=reason)
    if component == "shortfall":
        return word("not_carried") if detail == "not_carried" else word("carried_into", period=detail)
    if component == "spiffs":
        kind, _, rank = detail.partition(":")
        if kind == "period_champion":
            return word(kind, rank=rank)
        return word(kind) if kind in REASON_KEYS else detail
    return detail


#: Keys of the printable statement's own words (``incentives.print.<key>`` in the catalogues).
PRINT_KEYS = ("title", "rep", "team", "period", "plan", "attainment", "summary", "lines", "note",
              "sign_rep", "sign_manager", "sign_date", "print_hint", "none")


def statement_labels(lang: str) -> dict[str, str]:
    """Every word a statement needs in ``lang``: column and component names (``incentives.col``),
    flags (``flag.<name>``), line details (``reason.<key>``), template rewards
    (``reward.<key>``) and the printable view's own words (``print.<key>``)."""
    names = ("quota", "revenue_won", "base_bonus", "commission", "accelerator_extra", "decelerator_cut",
             "spiffs", "override", "clawback", "carried_balance", "adjustment", "draw", "draw_recovered",
             "draw_balance", "total", "carried_forward", "shortfall",
             "cost_of_sales", "non_cash", "flag", "payout_cap", "rounding",
             "deal_id", "day", "basis", "rate", "multiplier", "amount", "detail", "component")
    out = {n: i18n.t(f"incentives.col.{n}", lang) for n in names}
    out.update({f"flag.{f}": i18n.t(f"incentives.flag.{f}", lang) for f in ("no_quota", "capped", "shortfall")})
    out.update({f"reason.{k}": i18n.t(f"incentives.reason.{k}", lang) for k in REASON_KEYS})
    out.update({f"adjust.{k}": i18n.t(f"incentives.adjust.{k}", lang) for k in (*ADJUST_REASONS, "dispute")})
    out.update({f"reward.{k}": i18n.t(f"incentives.reward.{k}", lang) for k in REWARD_KEYS})
    out.update({f"print.{k}": i18n.t(f"incentives.print.{k}", lang) for k in PRINT_KEYS})
    out.update({"attainment": i18n.t("metric.attainment", lang),
                "statement": i18n.t("incentives.statement", lang)})
    return out


_blank = fmt.missing
_NUM = ' class="num"'


@dataclass(frozen=True)
class StatementText:
    """A statement in the reader's words, every figure as it is shown: ``head`` (key, label,
    text) triples (print.rep, print.team, print.period, print.plan, quota, revenue_won,
    print.attainment, and print.note for flags), ``summary`` (label, amount) pairs of
    :func:`summary_lines` that add up to ``total``, ``after`` (carried into the next period
    when anything is, the non-cash rewards), ``columns`` (the explanation lines' headers,
    LINE_COLUMNS in words) and ``lines`` (one tuple of cell texts per line: money to the cent
    with separators, rates as %, ISO dates, blank where a line has no value)."""

    head: tuple[tuple[str, str, str], ...]
    summary: tuple[tuple[str, str], ...]
    total: tuple[str, str]
    after: tuple[tuple[str, str], ...]
    columns: tuple[str, ...]
    lines: tuple[tuple[str, ...], ...]


def _cell(name: str, rec: Mapping[str, Any], text: Mapping[str, str], currency: str) -> str:
    value = rec.get(name)
    if _blank(value):
        return ""
    if name == "component":
        return text.get(str(value), str(value))
    if name == "day":
        return pd.Timestamp(value).date().isoformat()
    if name in ("basis", "amount"):
        return fmt.cents(value, currency=currency)
    if name == "rate":
        return f"{float(value) * 100:.2f}%"
    if name == "multiplier":
        return f"{float(value):.3f}"
    if name == "detail":
        return line_detail(str(rec.get("component")), value, text)
    return str(value)


def statement_text(row: Mapping[str, Any], lines: pd.DataFrame, text: Mapping[str, str],
                   period_label: str, plan_name: str, currency: str = "") -> StatementText:
    """One rep's statement (payouts ``row``, explanation ``lines``) in the words of ``text``
    (:func:`statement_labels`), money shown with ``currency``: what the printable view and
    both pages' statement (Incentives, My results) show, from this one function."""
    def money(value: Any) -> str:
        return fmt.cents(value, currency=currency)

    def dash(value: Any) -> str:
        return "—" if _blank(value) else str(value)

    head = [("print.rep", dash(row.get("rep"))), ("print.team", dash(row.get("team"))),
            ("print.period", period_label), ("print.plan", str(plan_name)),
            ("quota", money(row.get("quota"))), ("revenue_won", money(row.get("revenue_won"))),
            ("print.attainment", fmt.pct(row.get("attainment")))]
    flags = _flags(row)
    if flags:
        head.append(("print.note", "; ".join(text.get(f"flag.{f}", f) for f in flags)))
    summary = tuple((text.get(name, name), money(value)) for name, value in summary_lines(row))
    after = []
    if float(row.get("carried_forward") or 0.0):
        after.append((text.get("carried_forward", "carried_forward"), money(0.0 - float(row["carried_forward"]))))
    rewards = _rewards(row.get("non_cash"), text)
    after.append((text.get("non_cash", "non_cash"), "; ".join(rewards) if rewards else text.get("print.none", "—")))
    cells = tuple(tuple(_cell(name, rec, text, currency) for name in LINE_COLUMNS)
                  for rec in lines.to_dict("records"))
    return StatementText(head=tuple((key, text.get(key, key), value) for key, value in head),
                         summary=summary, total=(text.get("total", "total"), money(row.get("total"))),
                         after=tuple(after), columns=tuple(text.get(name, name) for name in LINE_COLUMNS),
                         lines=cells)


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
    external resources): the :func:`statement_text` of the payouts ``row`` and the explanation
    ``lines`` of :func:`explain` (header; payout summary, deductions negative, adding up to the
    total; what is carried into the next period; the lines and their total), then signature
    lines. Every value is HTML-escaped. ``labels`` overrides the words of
    :func:`statement_labels` (``lang``); money is shown with ``currency`` (the symbol of the
    reporting currency: fmt.symbol(db.reporting_currency(con)); none when not known)."""
    text = {**statement_labels(lang), **labels}
    view = statement_text(row, lines, text, period_label, plan_name, currency)

    def e(value: Any) -> str:
        return escape("—" if _blank(value) else str(value), quote=True)

    def w(key: str) -> str:
        return e(text.get(key, key))

    head_html = "".join(f"<tr><td class=\"k\">{e(k)}</td><td>{e(v)}</td></tr>" for _, k, v in view.head)
    summary_rows = "".join(f"<tr><td>{e(k)}</td><td class=\"num\">{e(v)}</td></tr>" for k, v in view.summary)
    summary_rows += f"<tr class=\"total\"><td>{e(view.total[0])}</td><td class=\"num\">{e(view.total[1])}</td></tr>"
    money_after = {text.get("carried_forward", "carried_forward")}   # the rewards are words
    summary_rows += "".join(f"<tr><td>{e(k)}</td><td{_NUM if k in money_after else ''}>{e(v)}</td></tr>"
                            for k, v in view.after)

    numeric = [name in NUMERIC_COLUMNS for name in LINE_COLUMNS]
    line_head = "".join(f"<th class=\"num\">{e(c)}</th>" if n else f"<th>{e(c)}</th>"
                        for c, n in zip(view.columns, numeric))
    body = ["<tr>" + "".join(f"<td class=\"num\">{escape(c)}</td>" if n else f"<td>{escape(c)}</td>"
                             for c, n in zip(cells, numeric)) + "</tr>" for cells in view.lines]
    line_total = math.fsum(float(a) for a in lines["amount"]) if len(lines) else 0.0
    body.append(f"<tr class=\"total\"><td colspan=\"6\">{w('total')}</td>"
                f"<td class=\"num\">{e(fmt.cents(line_total, currency=currency))}</td><td></td></tr>")

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
    out, lines = _run(con, plan, p, Scope(rep_id=rep_id))
    row = payouts_from(out).to_dict("records")[0]
    mine = _with_rounding(lines[lines["rep_id"] == rep_id].drop(columns="rep_id"), row["total"])
    return statement_html(row, mine, dict(labels), p.label, plan.name, lang,
                          currency=fmt.symbol(db.reporting_currency(con)))


def statements(con: Con, plan: Plan, period: Period | str, scope: Scope = Scope()) -> dict[str, tuple[dict, pd.DataFrame]]:
    """Every rep's (payouts row, explanation lines) in one computation, keyed by rep_id."""
    out, lines = _run(con, plan, period, scope)
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
    out, lines = _run(con, plan, p, Scope(rep_id=rep_id))
    row = payouts_from(out).to_dict("records")[0]
    mine = _with_rounding(lines[lines["rep_id"] == rep_id].drop(columns="rep_id"), row["total"])
    return statement_xlsx(row, mine, dict(labels), p.label, plan.name, fmt.symbol(db.reporting_currency(con)))
