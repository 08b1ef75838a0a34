"""Disputes in the app (DESIGN.md section 10): on My results a rep questions a line of their
statement and reads the answers; on Incentives the open ones are counted at the top and
answered on the Statements tab (accept, change the amount, reject, with a reply). Figures and
rules come from salescore.incentives.disputes; session keys start with ``dsp_``."""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from salescore import access, fmt, incentives
from salescore import ui
from salescore.access import User
from salescore.errors import SalesCoreError
from salescore.ui import cache, t

for _name in ("listing", "open_count"):
    cache.register(f"incentives.disputes.{_name}", getattr(incentives.disputes, _name))

_SHOWN = 20          # open disputes answered on the page at once (the oldest first)


def _line_name(component: str, deal_id: Any, labels: dict[str, str]) -> str:
    name = labels.get(str(component), str(component))
    return f"{name} · {deal_id}" if isinstance(deal_id, str) and deal_id else name


def _status(value: str) -> str:
    return t(f"disputes.status.{value}")


# --- the rep ----------------------------------------------------------------------------------

def _raise(user: User, plan_id: str, period: Any, choices: pd.DataFrame) -> None:
    index = st.session_state.get("dsp_line")
    if index is None or index not in choices.index:
        raise SalesCoreError("Choose the line you question.", key="disputes.error.line")
    line = choices.loc[index]
    # a rep's own connection is read-only: the dispute is written for the signed-in rep only
    # (their rep_id from the session, never from the page)
    number = incentives.disputes.raise_dispute(
        ui.get_con(ui.db_path()), period=period, plan_id=plan_id, rep_id=str(user.rep_id),
        component=str(line["component"]), deal_id=line["deal_id"] if isinstance(line["deal_id"], str) else None,
        line_amount=float(line["amount"]), claimed_amount=st.session_state.get("dsp_claimed"),
        reason=str(st.session_state.get("dsp_reason", "")), user=user.name)
    st.session_state["dsp_reason"] = ""
    ui.flash("success", t("disputes.sent", number=number))


def rep_panel(user: User, plan_id: str, period: Any, lines: pd.DataFrame) -> None:
    """Under the rep's own statement: question one of its lines (the amount it should be and
    why), and every dispute the rep raised with the manager's answer."""
    labels = incentives.statement_labels(ui.lang())
    choices = lines[~lines["component"].isin(["rounding"])].reset_index(drop=True)
    st.subheader(t("disputes.rep_title"))
    if len(choices):
        with st.expander(t("disputes.question")):
            st.selectbox(t("disputes.line"), list(choices.index), key="dsp_line",
                         format_func=lambda i: f"{_line_name(choices.loc[i, 'component'], choices.loc[i, 'deal_id'], labels)}"
                                               f" · {ui.money(float(choices.loc[i, 'amount']))}")
            st.number_input(t("disputes.claimed"), value=None, step=100.0, key="dsp_claimed",
                            placeholder=t("disputes.claimed_hint"))
            st.text_area(t("disputes.reason"), key="dsp_reason", max_chars=2000, height=80,
                         placeholder=t("disputes.reason_hint"))
            st.button(t("disputes.send"), key="dsp_send", type="primary",
                      on_click=ui.guarded(lambda: _raise(user, plan_id, period, choices)))
    mine = ui.query(incentives.disputes.listing, rep_id=str(user.rep_id))
    if mine.empty:
        st.caption(t("disputes.none_mine"))
        return
    _table(mine, labels, with_rep=False)


# --- the manager ------------------------------------------------------------------------------

def notice() -> None:
    """At the top of Incentives: how many disputes wait for an answer."""
    count = ui.query(incentives.disputes.open_count) if access.can_write(ui.user()) else 0
    if count:
        st.info(t("disputes.waiting_one" if count == 1 else "disputes.waiting", count=count),
                icon=":material/flag:")


def _answer(number: int, action: str) -> None:
    reply = str(st.session_state.get(f"dsp_reply_{number}", ""))
    amount = st.session_state.get(f"dsp_amount_{number}") if action == "change" else None
    done = incentives.disputes.resolve(ui.con(), number, action, reply=reply, amount=amount)
    paid = (t("disputes.paid_in", amount=ui.money(float(done["amount"])), period=done["paid_in"])
            if done["paid_in"] else t("disputes.nothing_paid"))
    ui.flash("success", t("disputes.answered", number=number, status=_status(done["status"]), paid=paid))


def manager_panel() -> None:
    """The Statements tab's "Disputes": each open one with accept / change / reject and a reply
    (admins; others read them), then the answered ones."""
    st.subheader(t("disputes.title"))
    every = ui.query(incentives.disputes.listing)
    if every.empty:
        st.caption(t("disputes.none"))
        return
    labels = incentives.statement_labels(ui.lang())
    waiting = every[every["status"] == "open"].sort_values("dispute_id")
    writable = access.can_write(ui.user())
    if not writable and len(waiting):
        st.caption(t("disputes.read_only"))
    for row in waiting.head(_SHOWN).to_dict("records"):
        number = int(row["dispute_id"])
        with st.container(border=True):
            st.markdown(t("disputes.card", number=number, rep=fmt.md_escape(str(row["rep"])), period=row["period"],
                          line=fmt.md_escape(_line_name(row["component"], row["deal_id"], labels)),
                          paid=ui.money(float(row["line_amount"])), claimed=ui.money(float(row["claimed_amount"]))))
            st.caption(f"“{fmt.md_escape(str(row['reason']))}”")
            if writable:
                cols = st.columns([2, 3])
                cols[0].number_input(t("disputes.amount"), value=float(row["claimed_amount"]), step=100.0,
                                     key=f"dsp_amount_{number}")
                cols[1].text_input(t("disputes.reply"), key=f"dsp_reply_{number}", max_chars=2000)
                buttons = st.columns(3)
                for col, action, kind in zip(buttons, ("accept", "change", "reject"),
                                             ("primary", "secondary", "secondary")):
                    col.button(t(f"disputes.{action}"), key=f"dsp_{action}_{number}", type=kind,
                               width="stretch", on_click=ui.guarded(lambda n=number, a=action: _answer(n, a)))
    if len(waiting) > _SHOWN:
        st.caption(t("disputes.more", count=len(waiting) - _SHOWN))
    answered = every[every["status"] != "open"]
    if len(answered):
        with st.expander(t("disputes.answered_list", count=len(answered))):
            _table(answered, labels, with_rep=True)


def _table(frame: pd.DataFrame, labels: dict[str, str], *, with_rep: bool) -> None:
    shown = pd.DataFrame({
        "dispute_id": frame["dispute_id"], "period": frame["period"],
        "rep": frame["rep"],
        "line": [_line_name(c, d, labels) for c, d in zip(frame["component"], frame["deal_id"])],
        "line_amount": frame["line_amount"], "claimed_amount": frame["claimed_amount"],
        "reason": frame["reason"], "status": [_status(s) for s in frame["status"]],
        "amount": frame["amount"], "paid_in": frame["paid_in"], "reply": frame["reply"]})
    if not with_rep:
        shown = shown.drop(columns="rep")
    money = ui.money_pattern(0)
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        "dispute_id": st.column_config.NumberColumn("#", format="%d"),
        "period": t("disputes.col.period"), "rep": t("metric.rep"), "line": t("disputes.col.line"),
        "line_amount": st.column_config.NumberColumn(t("disputes.col.line_amount"), format=money),
        "claimed_amount": st.column_config.NumberColumn(t("disputes.col.claimed_amount"), format=money),
        "reason": t("disputes.col.reason"), "status": t("disputes.col.status"),
        "amount": st.column_config.NumberColumn(t("disputes.col.amount"), format=money),
        "paid_in": t("disputes.col.paid_in"), "reply": t("disputes.col.reply")})
