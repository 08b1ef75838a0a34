"""Plan assignments and team moves in the app (DESIGN.md section 10): under the plan editor,
"Who this plan pays" puts reps on the saved plan from a day (a transfer ends their other plan
the day before); on Team › Role mix, "Team moves" records a rep moving team (and manager) from a
day. Figures and rules come from salescore.incentives.assignments; session keys start with
``as_`` (assignments) and ``mv_`` (moves)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from salescore import access, incentives, metrics
from salescore import ui
from salescore.errors import SalesCoreError
from salescore.ui import cache, t

for _name in ("assignments", "moves"):
    cache.register(f"incentives.assignments.{_name}", getattr(incentives.assignments, _name))


def _reps() -> dict[str, str]:
    frame = ui.query(metrics.rep_options)
    return dict(zip(frame["rep_id"].astype(str), frame["rep"].astype(str)))


def _assign(plan_id: str, reps: dict[str, str]) -> None:
    rep_id = st.session_state.get("as_rep")
    if rep_id not in reps:
        raise SalesCoreError("Choose the rep.", key="assign.error.choose")
    start, end = st.session_state.get("as_from"), st.session_state.get("as_to")
    if start is None:
        raise SalesCoreError("Give the day the assignment starts.", key="assign.error.start")
    number = incentives.assignments.assign(ui.con(), rep_id, plan_id, start, end)
    ui.flash("success", t("assign.added", number=number, rep=reps[rep_id]))


def _unassign() -> None:
    number = st.session_state.get("as_remove")
    if number is not None:
        incentives.assignments.unassign(ui.con(), int(number))
        ui.flash("success", t("assign.removed", number=int(number)))


def _dates(cols: list[str]) -> dict[str, object]:
    return {c: st.column_config.DateColumn(t(f"assign.{c}"), format="YYYY-MM-DD") for c in cols}


def plan_panel(saved: pd.DataFrame) -> None:
    """Under the plan editor, for a saved plan: its assignments (none: it pays every rep) and
    (admins) the form putting a rep on it from a day, or taking an assignment back."""
    source = str(st.session_state.get("sim_source", ""))
    plan_id = source.partition(":")[2] if source.startswith("saved:") else None
    if plan_id is None or plan_id not in set(saved["plan_id"].astype(str)):
        st.caption(t("assign.save_first"))
        return
    frame = ui.query(incentives.assignments.assignments)
    mine = frame[frame["plan_id"] == plan_id]
    with st.expander(t("assign.title", count=mine["rep_id"].nunique())):
        st.caption(t("assign.help_some") if len(mine) else t("assign.help_none"))
        if len(mine):
            st.dataframe(mine[["assignment_id", "rep", "team", "from_date", "to_date", "created_by"]],
                         hide_index=True, width="stretch", column_config={
                             "assignment_id": st.column_config.NumberColumn("#", format="%d"),
                             "rep": t("metric.rep"), "team": t("sidebar.team"),
                             **_dates(["from_date", "to_date"]), "created_by": t("assign.by")})
        elsewhere = frame[(frame["plan_id"] != plan_id) & frame["to_date"].isna()]
        if len(elsewhere):
            st.caption(t("assign.elsewhere", reps=", ".join(
                f"{r} ({p})" for r, p in zip(elsewhere["rep"], elsewhere["plan"]))))
        if not access.can_write(ui.user()):
            st.caption(t("assign.read_only"))
            return
        reps = _reps()
        if not reps:
            return
        cols = st.columns([2, 1, 1])
        cols[0].selectbox(t("metric.rep"), list(reps), format_func=reps.__getitem__, key="as_rep")
        cols[1].date_input(t("assign.from_date"), value=None, key="as_from")
        cols[2].date_input(t("assign.to_date"), value=None, key="as_to", help=t("assign.to_help"))
        st.button(t("assign.add"), key="as_add", on_click=ui.guarded(lambda: _assign(plan_id, reps)))
        if len(mine):
            left, right = st.columns([2, 1])
            names = mine.set_index("assignment_id")["rep"]
            left.selectbox(t("assign.remove_which"), mine["assignment_id"].tolist(), key="as_remove",
                           format_func=lambda n: f"#{n} {names.loc[n]}")
            right.button(t("assign.remove"), key="as_remove_btn", on_click=ui.guarded(_unassign))


def _move(reps: dict[str, str]) -> None:
    rep_id = st.session_state.get("mv_rep")
    if rep_id not in reps:
        raise SalesCoreError("Choose the rep.", key="assign.error.choose")
    number = incentives.assignments.move(ui.con(), rep_id, str(st.session_state.get("mv_team") or ""),
                                         st.session_state.get("mv_from"),
                                         str(st.session_state.get("mv_manager") or "") or None)
    st.session_state["mv_team"] = ""
    ui.flash("success", t("assign.moved", number=number, rep=reps[rep_id]))


def _unmove() -> None:
    number = st.session_state.get("mv_remove")
    if number is not None:
        incentives.assignments.remove_move(ui.con(), int(number))
        ui.flash("success", t("assign.move_removed", number=int(number)))


def moves_panel() -> None:
    """On Team › Role mix: every rep's team spans and (admins) the form recording a move."""
    frame = ui.query(incentives.assignments.moves)
    moved = frame[frame["from_date"].notna()]
    with st.expander(t("assign.moves_title", count=len(moved))):
        st.caption(t("assign.moves_help"))
        if len(frame):
            st.dataframe(frame[["move_id", "rep", "team", "manager", "from_date", "to_date", "created_by"]],
                         hide_index=True, width="stretch", column_config={
                             "move_id": st.column_config.NumberColumn("#", format="%d"),
                             "rep": t("metric.rep"), "team": t("sidebar.team"), "manager": t("assign.manager"),
                             **_dates(["from_date", "to_date"]), "created_by": t("assign.by")})
        if not access.can_write(ui.user()):
            st.caption(t("assign.read_only"))
            return
        reps = _reps()
        if not reps:
            return
        cols = st.columns([2, 2, 2, 1])
        cols[0].selectbox(t("metric.rep"), list(reps), format_func=reps.__getitem__, key="mv_rep")
        cols[1].text_input(t("assign.new_team"), key="mv_team", max_chars=80)
        cols[2].text_input(t("assign.new_manager"), key="mv_manager", max_chars=80,
                           placeholder=t("assign.manager_hint"))
        cols[3].date_input(t("assign.effective"), value=None, key="mv_from")
        st.button(t("assign.move"), key="mv_add", on_click=ui.guarded(lambda: _move(reps)))
        latest = frame[frame["from_date"].notna() & frame["to_date"].isna()]
        if len(latest):
            left, right = st.columns([2, 1])
            names = latest.set_index("move_id")
            left.selectbox(t("assign.move_remove_which"), latest["move_id"].tolist(), key="mv_remove",
                           format_func=lambda n: f"#{n} {names.loc[n, 'rep']} → {names.loc[n, 'team']}")
            right.button(t("assign.move_remove"), key="mv_remove_btn", on_click=ui.guarded(_unmove))
