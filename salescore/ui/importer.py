"""The import workflow of the Data page: upload, check, map, validate, import, undo, templates.

The only part of the importer that imports streamlit; every rule lives in salescore.ingest.
Session keys start with ``data_``. Reading and validating a file is done once per upload and
choice (sheet, kind, mapping, dates, year) and database version, and kept in the session:
a click elsewhere on the page redraws from it instead of reading the file again.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from salescore import db, fmt
from salescore.errors import ImportRejected, SalesCoreError
from salescore.fmt import md_escape
from salescore.history import import_diff as diff_of
from salescore.i18n import error_text, t, tn
from salescore.ingest import (CURRENCIES, history, load, peek, prepare, rejected_xlsx, sheets,
                              template_xlsx, undo)
from salescore.ingest.export import reason_text
from salescore.ingest.fields import FIELD_TYPES, KINDS
from salescore.ui import import_diff

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPES = ["csv", "tsv", "txt", "xlsx", "xlsm", "xls", "ods"]
AUTO = "__auto__"
#: deals.status values, shown in the user's words in the preview (stored as they are)
STATUSES = ("won", "lost", "open")
# the notices that say what a rule of DESIGN.md sections 3-4 did, repeated after the import
RULE_NOTICES = {f"ingest.warn.{key}" for key in (
    "unpaid", "refunded", "credits", "orders_grouped", "orders_reused", "paid_net", "paid_gross",
    "currency_sign", "currency_header", "currency_column", "currency_mixed", "reached_stage")}


def render(con: duckdb.DuckDBPyConnection, lang: str) -> None:
    """Draw the whole import workflow on the current page."""
    st.subheader(t("ingest.title", lang))
    files = st.file_uploader(t("ingest.upload", lang), key="data_upload",
                             accept_multiple_files=True, type=TYPES,
                             help=t("ingest.upload_help", lang))
    live = set()
    for i, upload in enumerate(files or []):
        data = upload.getvalue()
        live.add(_key(i, upload.name, data))
        with st.container(border=True):
            try:
                _one_file(con, lang, i, upload.name, data)
            except SalesCoreError as err:
                st.error(error_text(err, lang))
    _forget_removed(live)
    _history(con, lang)
    _templates(lang)


def _key(i: int, name: str, data: bytes) -> str:
    return f"data_{i}_{hashlib.sha1(name.encode() + data[:4096]).hexdigest()[:8]}"


def _once(k: str, what: str, key: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()``, or what it returned (or raised) when last called for the same ``key``
    on this upload: kept in the session under ``{k}_cache_{what}``."""
    slot = f"{k}_cache_{what}"
    kept = st.session_state.get(slot)
    if kept is None or kept[0] != key:
        try:
            kept = (key, compute(), None)
        except SalesCoreError as err:
            kept = (key, None, err)
        st.session_state[slot] = kept
    if kept[2] is not None:
        raise kept[2]
    return kept[1]


def _forget_removed(live: set[str]) -> None:
    """Drop what was kept for files no longer uploaded (a prepared 1M-row file is large)."""
    for slot in [s for s in st.session_state
                 if str(s).startswith("data_") and "_cache_" in str(s)]:
        if str(slot).split("_cache_")[0] not in live:
            del st.session_state[slot]


def _one_file(con, lang: str, i: int, name: str, data: bytes) -> None:
    k = _key(i, name, data)
    st.markdown(f"**{t('ingest.file_header', lang, file=md_escape(name))}**")
    done = st.session_state.get(f"{k}_done")
    if done:
        st.success(done)
    digest = hashlib.sha256(data).hexdigest()

    sheet = None
    names = _once(k, "sheets", (digest,), lambda: sheets(data, name))
    cols = st.columns(2)
    if len(names) > 1 or names[0]:
        sheet = cols[0].selectbox(t("ingest.sheet", lang), names, key=f"{k}_sheet")
    kind_options = [AUTO, *KINDS]
    chosen = cols[1].selectbox(
        t("ingest.kind_label", lang), kind_options, key=f"{k}_kind",
        format_func=lambda x: "—" if x == AUTO else t(f"ingest.kind.{x}", lang))
    kind = None if chosen == AUTO else chosen
    mapping = st.session_state.get(f"{k}_mapping_{chosen}_{sheet}")
    dayfirst = st.session_state.get(f"{k}_dayfirst")
    year = st.session_state.get(f"{k}_year")
    team_from = bool(st.session_state.get(f"{k}_team_from", True))

    choices = (digest, sheet, kind, tuple(sorted((mapping or {}).items())), dayfirst, year,
               team_from, db.data_version(con))   # remembered mappings, stored names: in the db
    try:
        prepared = _once(k, "prepared", choices, lambda: prepare(
            data, name, sheet=sheet, kind=kind, mapping=mapping,
            dayfirst=None if dayfirst is None else dayfirst == "d", year=year, con=con,
            team_from=team_from))
    except ImportRejected as err:
        if err.key == "ingest.error.ambiguous_dates":
            st.warning(t("ingest.ambiguous_question", lang, **err.params))
            st.radio(t("ingest.ambiguous_question", lang, **err.params), ["d", "m"], index=None,
                     key=f"{k}_dayfirst", label_visibility="collapsed",
                     format_func=lambda x: t("ingest.dayfirst" if x == "d" else
                                             "ingest.monthfirst", lang))
            return
        if err.key == "ingest.error.need_year":
            st.warning(error_text(err, lang))
            st.number_input(t("ingest.year_question", lang), min_value=2000, max_value=2100,
                            value=None, step=1, key=f"{k}_year")
            return
        st.error(error_text(err, lang))
        if err.key == "ingest.error.no_columns" and kind:
            _, headers = _once(k, "peek", (digest, sheet), lambda: peek(data, name, sheet))
            _mapping_editor(lang, k, chosen, sheet, kind, headers, {})
        return

    if prepared.extra.get("remembered"):
        st.caption(t("ingest.remembered", lang))
    st.caption(t("ingest.header_row", lang, row=prepared.header_row)
               + " " + t(f"ingest.kind.{prepared.kind}", lang))
    a, b, c = st.columns(3)
    a.metric(t("ingest.metric_rows_in", lang), fmt.number(prepared.rows_in))
    b.metric(t("ingest.metric_rows_ok", lang), fmt.number(prepared.rows_ok))
    c.metric(t("ingest.metric_rows_rejected", lang), fmt.number(prepared.rows_rejected))
    _team_from(lang, k, prepared)

    if prepared.rows_ok == 0 and prepared.rows_rejected:
        _nothing_ok(lang, prepared)
    else:
        st.markdown(f"**{t('ingest.preview', lang)}**")
        _preview(lang, prepared.frame.head(8))

    with st.expander(t("ingest.mapping", lang), expanded=bool(prepared.unmapped)):
        _mapping_editor(lang, k, chosen, sheet, prepared.kind, list(prepared.columns),
                        prepared.mapping)

    if prepared.rows_rejected:
        st.markdown(f"**{t('ingest.reasons_title', lang)}**")
        reasons = prepared.reasons()
        first_value = prepared.rejected.groupby(["reason", "column"], sort=False)["value"].first()
        table = pd.DataFrame({
            t("ingest.col.reason", lang): [reason_text(r, lang, first_value.get((r, c)))
                                           for r, c in zip(reasons["reason"], reasons["column"])],
            t("ingest.col.column", lang): reasons["column"],
            t("ingest.col.rows", lang): reasons["rows"],
            t("ingest.col.examples", lang): reasons["examples"]})
        st.dataframe(table, hide_index=True)
        st.download_button(t("ingest.download_rejected", lang),
                           data=lambda: rejected_xlsx(prepared, lang), file_name=f"rejected-{name}.xlsx",
                           mime=XLSX, key=f"{k}_rejected_dl", on_click="ignore")
    if prepared.warnings:
        st.markdown(f"**{t('ingest.warnings_title', lang)}**")
        for w in prepared.warnings:
            st.info(md_escape(w.text(lang)))   # they quote the file's names and headers

    if prepared.rows_ok == 0:
        return
    as_of = None
    if prepared.kind == "deals":
        as_of = import_diff.export_day(lang, k, prepared, date.today())
        import_diff.show(lang, _once(k, "diff", choices, lambda: diff_of(con, prepared)))
    currency = _currency_question(con, lang, k, prepared)
    label = t("ingest.import_button", lang) if not prepared.rows_rejected else \
        tn("ingest.import_remaining", lang, prepared.rows_ok, n=fmt.number(prepared.rows_ok),
           bad=fmt.number(prepared.rows_rejected))
    if st.button(label, key=f"{k}_import", type="primary"):
        with st.status(t("ingest.importing", lang, file=name)) as status:
            result = load(con, prepared, skip_bad_rows=True, file_name=name, currency=currency,
                          as_of=as_of)
            status.update(state="complete")
        msg = t("ingest.imported", lang, file=md_escape(name), new=result.new, updated=result.updated,
                unchanged=result.unchanged)
        if any(result.derived.values()):
            parts = [tn(f"ingest.derived_{what}", lang, n, n=fmt.number(n))
                     for what in ("reps", "customers", "products", "deal_credits")
                     if (n := result.derived.get(what, 0))]
            msg += " " + t("ingest.derived", lang, parts=t("ingest.list_sep", lang).join(parts))
        if result.as_of is not None:
            msg += " " + t("ingest.imported_as_of", lang, day=result.as_of.isoformat(),
                           history=fmt.number(result.history))
        if result.kept:
            msg += " " + tn("ingest.kept", lang, result.kept, n=fmt.number(result.kept))
        # what each rule did (DESIGN.md section 3-4), and the currency the user chose
        rules = [w.text(lang) for w in prepared.warnings if w.key in RULE_NOTICES]
        if currency:
            rules.append(t("ingest.currency_stored", lang, currency=currency))
        if rules:
            msg += "  \n" + "  \n".join(md_escape(r) for r in rules)
        st.session_state[f"{k}_done"] = msg
        st.cache_data.clear()
        st.rerun()  # redraw the whole page: its counts and the other pages' caches are stale


def _preview(lang: str, preview: pd.DataFrame) -> None:
    """The first good rows under the fields' names: dates as dates, amounts with thousands
    separators, a status in the user's words (the stored value stays won/lost/open), a
    missing value blank."""
    if "status" in preview:
        preview = preview.assign(status=preview["status"].map(
            lambda s: t(f"ingest.status.{s}", lang) if s in STATUSES else s))
    names = {f: t(f"ingest.field.{f}", lang) for f in preview.columns if f != "source_row"}
    names["source_row"] = t("ingest.col.row", lang)
    config: dict[str, Any] = {}
    for f in preview.columns:
        if pd.api.types.is_datetime64_any_dtype(preview[f]):
            config[names[f]] = st.column_config.DateColumn(names[f], format="YYYY-MM-DD")
        elif FIELD_TYPES.get(f) == "money":
            config[names[f]] = st.column_config.NumberColumn(names[f], format="%,.2f")
    st.dataframe(preview.rename(columns=names), hide_index=True, column_config=config,
                 placeholder="")


def _nothing_ok(lang: str, prepared) -> None:
    """No good row: one sentence naming the column and the first rows of the commonest
    reason (a text "call me" in the amount column), then those rows as they are in the file."""
    reasons = prepared.reasons().sort_values("rows", ascending=False, kind="stable")
    top = reasons.iloc[0]
    bad = prepared.rejected[(prepared.rejected["reason"] == top["reason"])
                            & (prepared.rejected["column"] == top["column"])]
    st.warning(t("ingest.nothing_ok", lang, column=md_escape(top["column"]),
                 reason=md_escape(reason_text(top["reason"], lang, bad["value"].iloc[0])),
                 rows=top["examples"]))
    st.markdown(f"**{t('ingest.rejected_preview', lang)}**")
    rows = prepared.rejected_rows.head(8)
    st.dataframe(rows.rename(columns={"row": t("ingest.col.row", lang)}), hide_index=True,
                 placeholder="")


def _team_from(lang: str, k: str, prepared) -> None:
    """A roster without a team column takes its region (else manager) as the team: say so in
    one sentence, with a tick the user can take off (prepare(team_from=False))."""
    column = prepared.extra.get("team_stand_in")
    if not column:
        return
    field = prepared.mapping.get(column)
    values = []
    if field in prepared.frame:
        values = [str(v) for v in prepared.frame[field].dropna().unique()[:4]]
        if prepared.frame[field].nunique() > 4:
            values.append("…")
    st.checkbox(t("ingest.team_from", lang, column=md_escape(column),
                  values=md_escape(", ".join(values))), value=True, key=f"{k}_team_from")


def _currency_question(con, lang: str, k: str, prepared) -> str | None:
    """When a deals file shows no currency on some rows: which is it? (prefilled with the
    reporting currency, else CNY; DESIGN.md section 4). None for other files."""
    missing = (prepared.extra.get("currency") or {}).get("missing") if prepared.kind == "deals" else 0
    if not missing:
        return None
    default = db.reporting_currency(con) or "CNY"
    options = list(CURRENCIES) if default in CURRENCIES else [default, *CURRENCIES]
    return st.selectbox(t("ingest.currency_question", lang), options,
                        index=options.index(default), key=f"{k}_currency")


def _mapping_editor(lang: str, k: str, chosen: str, sheet: Any, kind: str, headers: list[str],
                    current: dict[str, str]) -> None:
    st.caption(t("ingest.mapping_help", lang))
    fields = ["", *KINDS[kind].fields]
    state_key = f"{k}_mapping_{chosen}_{sheet}"
    grid = st.columns(4)
    chosen_map: dict[str, str] = {}
    for j, header in enumerate(headers):
        value = current.get(header, "")
        picked = grid[j % 4].selectbox(
            header, fields, index=fields.index(value) if value in fields else 0,
            key=f"{state_key}_{j}",
            format_func=lambda f: t("ingest.ignore", lang) if not f else t(f"ingest.field.{f}", lang))
        chosen_map[header] = picked
    if chosen_map != {h: current.get(h, "") for h in headers}:
        st.session_state[state_key] = chosen_map
        st.rerun()


def _history(con, lang: str) -> None:
    st.subheader(t("ingest.history", lang))
    hist = history(con)
    if hist.empty:
        st.caption(t("ingest.history_empty", lang))
        return
    st.dataframe(history_frame(hist, lang), hide_index=True, placeholder="")
    if st.session_state.pop("data_undone", None):
        st.success(st.session_state.pop("data_undone_msg", ""))
    live = hist[hist["status"] == "loaded"]
    if live.empty:
        return
    last = live.iloc[0]
    if st.button(t("ingest.undo_button", lang), key="data_undo"):
        st.session_state["data_undo_confirm"] = int(last["batch_id"])
    if st.session_state.get("data_undo_confirm") == int(last["batch_id"]):
        st.warning(t("ingest.undo_warning", lang, batch=int(last["batch_id"])))
        if st.button(t("ingest.undo_confirm", lang, batch=int(last["batch_id"]),
                       file=source_name(last["file_name"], last["kind"], lang)), key="data_undo_yes",
                       type="primary"):
            try:
                batch = undo(con, int(last["batch_id"]))
            except SalesCoreError as err:
                st.error(error_text(err, lang))
                return
            st.session_state.pop("data_undo_confirm", None)
            for key in [s for s in st.session_state if str(s).endswith("_done")]:
                del st.session_state[key]
            st.session_state["data_undone"] = True
            st.session_state["data_undone_msg"] = t("ingest.undone", lang, batch=batch)
            st.cache_data.clear()
            st.rerun()


def source_name(file_name: Any, kind: Any, lang: str) -> str:
    """What a batch came from: its file, or (no file) the rate table typed on this page."""
    if not fmt.missing(file_name):
        return str(file_name)
    return t("fx.typed_source", lang) if kind == "fx" else ""


def history_frame(hist: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The import history as the user reads it: columns named in ``lang`` (not batch_id,
    loaded_at), kind and status in words (not loaded), counts with thousands separators,
    the time to the minute, and a blank where there is nothing (not None or NaT)."""
    def count(v: Any) -> str:
        return "" if fmt.missing(v) else fmt.number(v)

    def when(v: Any) -> str:
        return "" if fmt.missing(v) else pd.Timestamp(v).strftime("%Y-%m-%d %H:%M")

    shown = pd.DataFrame({
        "batch_id": hist["batch_id"].map(lambda b: "" if fmt.missing(b) else str(int(b))),
        "file_name": [source_name(f, k, lang) for f, k in zip(hist["file_name"], hist["kind"])],
        "sheet": hist["sheet"].map(lambda v: "" if fmt.missing(v) else str(v)),
        "kind": hist["kind"].map(lambda v: "" if fmt.missing(v) else t(f"ingest.kind.{v}", lang)),
        "rows_in": hist["rows_in"].map(count),
        "rows_loaded": hist["rows_loaded"].map(count),
        "rows_rejected": hist["rows_rejected"].map(count),
        "loaded_at": hist["loaded_at"].map(when),
        "as_of": hist["as_of"].map(lambda v: "" if fmt.missing(v) else pd.Timestamp(v).strftime("%Y-%m-%d"))
        if "as_of" in hist else "",
        "status": hist["status"].map(
            lambda v: "" if fmt.missing(v) else t(f"ingest.history_status.{v}", lang))})
    return shown.rename(columns={c: t(f"ingest.history_col.{c}", lang) for c in shown.columns})


def _templates(lang: str) -> None:
    with st.expander(t("ingest.templates", lang)):
        st.caption(t("ingest.templates_help", lang))
        cols = st.columns(3)
        for j, kind in enumerate(KINDS):
            for tl in ("zh", "en"):
                cols[j % 3].download_button(
                    t("ingest.template_button", lang, kind=t(f"ingest.kind.{kind}", lang),
                      lang="中文" if tl == "zh" else "English"),
                    data=lambda kind=kind, tl=tl: template_xlsx(kind, tl),
                    file_name=f"template-{kind}-{tl}.xlsx", mime=XLSX,
                    key=f"data_tpl_{kind}_{tl}", on_click="ignore")
