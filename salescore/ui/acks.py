"""Plan acknowledgement in the app (DESIGN.md section 10): on Incentives › Plan the manager
publishes the saved plan version to the reps and sees who has acknowledged it; on My results a
rep reads the plan in words and acknowledges it. Figures from salescore.incentives.acks; session
keys start with ``ack_``."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from salescore import access, fmt, incentives
from salescore import ui
from salescore.access import User
from salescore.incentives import Plan
from salescore.ui import cache, t

for _name in ("status", "pending"):
    cache.register(f"incentives.acks.{_name}", getattr(incentives.acks, _name))


def plan_in_words(plan: Plan) -> list[str]:
    """The plan as a rep reads it: one markdown line per component, in the reader's language
    (the manager's own words, the non-cash rewards, escaped)."""
    pct, money = fmt.pct, ui.money
    out = []
    if plan.base_bonus:
        bb = plan.base_bonus
        out.append(t("acks.w.base_bonus", pct=pct(bb.pct_of_salary, 0), gate=pct(bb.gate, 0),
                     cap=pct(bb.cap, 0) if bb.cap is not None else "—"))
    if plan.commission:
        c = plan.commission
        out.append(t(f"acks.w.commission_{c.basis}", rate=pct(c.default_rate)))
        out += [t("acks.w.tier", margin=pct(x.min_margin, 0), rate=pct(x.rate)) for x in c.tiers]
    out += [t("acks.w.accelerator", above=pct(a.above_attainment, 0), mult=f"×{a.multiplier:g}")
            for a in plan.accelerators]
    if plan.decelerator:
        d = plan.decelerator
        out.append(t("acks.w.decelerator", below=pct(d.below_attainment, 0), mult=f"×{d.multiplier:g}"))
    for s in plan.spiffs:
        if s.kind == "new_customer_deal":
            out.append(t("acks.w.spiff_new", bonus=money(s.bonus), min=money(s.min_amount or 0)))
        else:
            out.append(t("acks.w.spiff_champion", bonus=money(s.bonus), rank=s.rank))
    if plan.override:
        out.append(t("acks.w.override", rate=pct(plan.override.rate)))
    if plan.clawback_days is not None:
        out.append(t("acks.w.clawback", days=plan.clawback_days))
    if plan.payout_cap is not None:
        out.append(t("acks.w.cap", cap=money(plan.payout_cap)))
    out += [t("acks.w.non_cash", above=pct(n.min_attainment, 0),       # typed by a manager: escaped
              reward=fmt.md_escape(incentives.reward_text(n.reward, ui.lang()))) for n in plan.non_cash]
    return out


def _publish(plan_id: str, version: int) -> None:
    added = incentives.acks.publish(ui.con(), plan_id, version)
    ui.flash("success", t("acks.published", count=added, version=version))


def publish_panel(saved: pd.DataFrame, unchanged: bool) -> None:
    """Under the plan editor: publish the saved plan's latest version, and who acknowledged it."""
    source = str(st.session_state.get("sim_source", ""))
    if not source.startswith("saved:"):
        return
    plan_id = source.partition(":")[2]
    rows = saved[saved["plan_id"] == plan_id]
    if rows.empty:
        return
    version = int(rows["version"].max())
    frame = ui.query(incentives.acks.status, plan_id, version)
    writable = access.can_write(ui.user())
    if frame.empty:
        st.caption(t("acks.not_published", version=version))
    else:
        done = int(frame["acknowledged_at"].notna().sum())
        first = pd.Timestamp(frame["published_at"].min())
        st.caption(t("acks.status", version=version, date=f"{first:%Y-%m-%d}", done=done, reps=len(frame)))
        waiting = frame[frame["acknowledged_at"].isna()]
        if len(waiting):
            with st.expander(t("acks.waiting", count=len(waiting))):
                st.dataframe(waiting[["rep", "team"]], hide_index=True, width="stretch",
                             column_config={"rep": t("metric.rep"), "team": t("sidebar.team")})
    if writable and unchanged:
        st.button(t("acks.publish", version=version), key="ack_publish",
                  on_click=ui.guarded(lambda: _publish(plan_id, version)),
                  help=t("acks.publish_help"))


def _acknowledge(user: User, plan_id: str, version: int) -> None:
    # a rep's own connection is read-only: the acknowledgement is written for the signed-in
    # rep only (their rep_id from the session, never from the page)
    incentives.acks.acknowledge(ui.get_con(ui.db_path()), plan_id, version, str(user.rep_id), user=user.name)
    ui.flash("success", t("acks.thanks", version=version))


def pending_panel(user: User) -> None:
    """On My results: each plan version published to the rep and not acknowledged yet."""
    for item in ui.query(incentives.acks.pending, str(user.rep_id)):
        plan = ui.query(incentives.load_plan, item["plan_id"], int(item["version"]))
        with st.container(border=True):
            st.markdown(f"**{t('acks.to_read', plan=fmt.md_escape(str(item['name'])), version=int(item['version']))}**")
            st.caption(t("acks.published_on", date=f"{pd.Timestamp(item['published_at']):%Y-%m-%d}"))
            st.markdown("\n".join(f"- {line}" for line in plan_in_words(plan)))
            st.button(t("acks.acknowledge"), key=f"ack_{item['plan_id']}_{item['version']}", type="primary",
                      on_click=ui.guarded(lambda i=item: _acknowledge(user, i["plan_id"], int(i["version"]))))
