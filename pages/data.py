"""Data: what is loaded, import spreadsheets, undo, templates, demo data and reset."""
from __future__ import annotations

import streamlit as st

from salescore import audit, db, demo, fmt, metrics
from salescore import ui
from salescore.ui import backup as backup_ui
from salescore.ui import confirm
from salescore.ui import fx as fx_ui
from salescore.ui import importer, t
from salescore.ui import photos as photos_ui
from salescore.ui import users as users_ui

ctx = ui.context()
st.title(t("data.title"))
st.caption(t("data.caption"))
ui.show_flash()

con = ui.con()
counts = ui.query(db.table_counts)
first, last = ui.query(metrics.data_range)
latest = ui.query(db.last_import)

cols = st.columns([1, 1, 1, 1.4])
cols[0].metric(t("data.deals"), fmt.number(counts["deals"]), border=True)
cols[1].metric(t("data.reps"), fmt.number(counts["reps"]), border=True)
cols[2].metric(t("data.customers"), fmt.number(counts["customers"]), border=True)
cols[3].metric(t("data.through"), f"{last:%Y-%m-%d}" if last else "—", border=True,
               help=ui.tx("data.range_help", first=first, last=last) if first else None)
if first:
    st.caption(ui.tx("data.range_caption", first=first, last=last))
if latest:
    st.caption(ui.tn("data.last_import", latest["rows_loaded"], file=latest["file_name"], rows=fmt.number(latest["rows_loaded"]),
                 at=str(latest["loaded_at"])[:16]))

with st.expander(t("data.tables"), expanded=counts["deals"] == 0):
    st.dataframe(ui.table_counts_frame(counts), hide_index=True, width="content")

importer.render(con, ctx.lang)
fx_ui.panel()
backup_ui.render(con, ctx.lang)
photos_ui.panel(con)

st.subheader(t("data.demo_title"))
st.write(t("data.demo_text"))


def _load_demo() -> None:
    loaded = demo.load(con, lang=ctx.lang)
    st.cache_data.clear()
    ui.flash("success", t("data.demo_done", deals=fmt.number(loaded["deals"]),
                          reps=fmt.number(loaded["reps"])))


def _reset() -> None:
    confirm.require("data_reset_confirm", "data.reset_word", ctx.lang)  # typed, not one click
    db.reset(con)
    st.cache_data.clear()
    ui.flash("success", t("data.reset_done"))


left, right = st.columns(2)
with left:
    confirm_demo = counts["deals"] == 0 or st.checkbox(t("data.demo_confirm"), key="data_demo_confirm")
    st.button(t("data.demo_button"), type="primary", disabled=not confirm_demo, key="data_demo",
              on_click=ui.guarded(_load_demo))
with right:
    confirm_reset = confirm.word_input("data_reset_confirm", "data.reset_confirm", "data.reset_word",
                                       ctx.lang)
    st.button(t("data.reset_button"), disabled=not confirm_reset, key="data_reset", on_click=ui.guarded(_reset))


st.subheader(t("data.security_title"))
users_ui.render(con, ui.user())
with st.expander(t("data.audit_title")):
    log = ui.query(audit.events, 500)
    if log.empty:
        st.caption(t("data.audit_empty"))
    else:
        st.dataframe(log.rename(columns={c: t(f"data.audit_col.{c}") for c in log.columns}),
                     hide_index=True, width="stretch")
        st.download_button(t("data.audit_download"), data=lambda: audit.export_csv(con),
                           file_name="salescore-audit-log.csv", mime="text/csv",
                           key="data_audit_dl", on_click="ignore")
