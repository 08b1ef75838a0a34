"""Closed pay periods on the Incentives page (DESIGN.md section 8): the banner saying a period
is closed (or that adjustments for closed periods are paid in it), and the close / reopen panel
of the Statements tab. Figures and rules come from salescore.incentives.closing; session keys
start with ``sim_close_``."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from salescore import access, incentives
from salescore import ui
from salescore.errors import SalesCoreError
from salescore.incentives import Plan
from salescore.periods import Period, parse
from salescore.ui import t


def _saved_source() -> str | None:
    """The plan_id of the saved plan the page started from, None for a template."""
    source = str(st.session_state.get("sim_source", ""))
    return source.partition(":")[2] if source.startswith("saved:") else None


def banner(working: Plan, period: Period, frame: pd.DataFrame) -> None:
    """Under the period picker: whether ``period`` is closed (stored statements, or a what-if
    of another plan), or how many reps are paid adjustments for closed periods in it."""
    record = ui.query(incentives.closed, period)
    if record is not None:
        if working.to_dict() == ui.query(incentives.load_plan, record.plan_id, record.version).to_dict():
            st.info(t("closing.closed", period=record.period, date=f"{record.closed_at:%Y-%m-%d}",
                      user=record.closed_by, plan=f"{record.name} v{record.version}"), icon=":material/lock:")
        else:
            st.warning(t("closing.closed_other", period=record.period, plan=f"{record.name} v{record.version}"))
        return
    adjusted = frame[frame["adjustment"].abs() >= 0.005] if "adjustment" in frame else frame.iloc[0:0]
    if len(adjusted):
        key = "closing.adjusted_one" if len(adjusted) == 1 else "closing.adjusted"
        st.caption(t(key, count=len(adjusted), period=period.label,
                     total=ui.money(float(adjusted["adjustment"].sum()))))


def _close(plan_id: str, version: int, period: Period) -> None:
    record = incentives.close_period(ui.con(), plan_id, version, period)
    ui.flash("success", t("closing.done", period=record.period, reps=record.reps, total=ui.money(record.total)))


def _reopen(period: Period) -> None:
    reason = str(st.session_state.get("sim_close_reason", "")).strip()
    if not reason:
        raise SalesCoreError("Say why the period is reopened.", key="closing.reason_needed")
    incentives.reopen_period(ui.con(), period, reason)
    st.session_state["sim_close_reason"] = ""
    ui.flash("success", t("closing.reopened", period=period.label))


def panel(working: Plan, reference: Plan, period: Period, saved: pd.DataFrame, frame: pd.DataFrame) -> None:
    """The Statements tab's "Close the pay period": close (after a confirmation naming the reps
    and the total), or reopen the latest closed period with a reason; the closed periods."""
    st.subheader(t("closing.title"))
    access_ok = access.can_write(ui.user())
    record = ui.query(incentives.closed, period)
    if record is not None:
        later = [c.period for c in ui.query(incentives.closed_periods)
                 if parse(c.period).kind == period.kind and parse(c.period).start > period.start]
        if later:
            st.caption(t("closing.reopen_later", later=later[-1], period=period.label))
        elif not access_ok:
            st.caption(t("closing.read_only"))
        else:
            with st.popover(t("closing.reopen", period=period.label)):
                st.write(t("closing.reopen_confirm", period=period.label))
                st.text_input(t("closing.reopen_reason"), key="sim_close_reason", max_chars=300)
                st.button(t("closing.reopen_yes", period=period.label), key="sim_close_reopen",
                          disabled=not str(st.session_state.get("sim_close_reason", "")).strip(),
                          on_click=ui.guarded(lambda: _reopen(period)))
    else:
        plan_id = _saved_source()
        rows = saved[saved["plan_id"] == plan_id] if plan_id else saved.iloc[0:0]
        why = None
        if not incentives.closing.has_ended(period):
            why = t("closing.running", period=period.label, end=period.end.isoformat())
        elif not access_ok:
            why = t("closing.read_only")
        elif rows.empty or working != reference:
            why = t("closing.unsaved")
        allowed = why is None
        st.caption(why or t("closing.help", period=period.label))
        if allowed:
            version = int(rows["version"].max())
            with st.popover(t("closing.button", period=period.label), type="primary"):
                st.write(t("closing.confirm", period=period.label, reps=len(frame),
                           total=ui.money(float(frame["total"].sum()))))
                st.button(t("closing.confirm_yes", period=period.label), key="sim_close_yes", type="primary",
                          on_click=ui.guarded(lambda: _close(str(plan_id), version, period)))
    closed = ui.query(incentives.closed_periods)
    if closed:
        with st.expander(t("closing.list")):
            table = pd.DataFrame([{"period": c.period, "plan": f"{c.name} v{c.version}", "reps": c.reps,
                                   "total": c.total, "closed_at": c.closed_at, "closed_by": c.closed_by}
                                  for c in reversed(closed)])
            st.dataframe(table, hide_index=True, width="stretch", column_config={
                "period": t("closing.col_period"), "plan": t("closing.col_plan"), "reps": t("closing.col_reps"),
                "total": st.column_config.NumberColumn(t("closing.col_total"), format=ui.money_pattern(0)),
                "closed_at": st.column_config.DatetimeColumn(t("closing.col_closed_at"), format="YYYY-MM-DD HH:mm"),
                "closed_by": t("closing.col_closed_by")})

