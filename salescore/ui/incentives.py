"""Widgets of the Incentives page (pages/incentives.py): plan editor, lever sliders, tables,
budget solver, statements and recognition. Figures come from salescore.incentives; this
module only draws them. Session keys start with ``sim_``."""
from __future__ import annotations

import json
import re
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from salescore import access, charts, fmt, incentives, periods
from salescore import ui
from salescore.errors import SalesCoreError
from salescore.incentives import Plan
from salescore.periods import Period, parse
from salescore.scope import Scope
from salescore.ui import t
from salescore.ui.statement import statement_panel

_RESET_PREFIXES = ("sim_f_", "sim_ed_", "sim_lv_")
_KINDS = ("month", "quarter", "year")


# --- which plan ----------------------------------------------------------------------------

def sources(saved: pd.DataFrame) -> dict[str, str]:
    """Options for the plan to start from: saved plans (latest version) then the templates."""
    out = {f"saved:{r.plan_id}": t("incentives.saved_plan", name=r.name, version=int(r.version))
           for r in saved.itertuples()}
    for key in incentives.TEMPLATES:
        out[f"template:{key}"] = t("incentives.template_label", name=t(f"incentives.template.{key}"))
    return out


def source_plan(key: str) -> Plan:
    kind, _, ident = key.partition(":")
    if kind == "saved":
        return ui.query(incentives.load_plan, ident)
    return incentives.template(ident, name=t(f"incentives.template.{ident}"))


def reset_working() -> None:
    """A new starting plan: forget the edited copy and every editor/slider value."""
    for key in list(st.session_state):
        if key in ("sim_spec", "sim_base") or str(key).startswith(_RESET_PREFIXES):
            del st.session_state[key]


def remember_base(saved: pd.DataFrame) -> None:
    """Note which version of the chosen saved plan this browser started editing from (once per
    choice), so that a save made after someone else's is refused instead of overwriting it."""
    source = st.session_state.get("sim_source", "")
    if not source.startswith("saved:") or st.session_state.get("sim_base", (None,))[0] == source:
        return
    rows = saved[saved["plan_id"] == source.partition(":")[2]]
    if len(rows):
        st.session_state["sim_base"] = (source, int(rows["version"].max()))


def working_plan(reference: Plan) -> Plan:
    spec = st.session_state.get("sim_spec")
    if spec is None:
        return reference
    try:
        return Plan.from_dict(spec)
    except SalesCoreError:
        return reference


def _set_working(plan: Plan) -> None:
    for key in list(st.session_state):
        if str(key).startswith(_RESET_PREFIXES):
            del st.session_state[key]
    st.session_state["sim_spec"] = plan.to_dict()


def save(plan: Plan, period: Period) -> None:
    """Store the working plan as a new version of the chosen saved plan (or a new plan)."""
    source = st.session_state.get("sim_source", "")
    plan_id = source.partition(":")[2] if source.startswith("saved:") else None
    base = st.session_state.get("sim_base", (None, None))
    plan_id, version = incentives.save_plan(ui.con(), plan, plan_id=plan_id, effective_from=period.start,
                                            base_version=base[1] if base[0] == source else None)
    st.session_state["sim_source"] = f"saved:{plan_id}"
    st.session_state["sim_base"] = (f"saved:{plan_id}", version)
    st.session_state.pop("sim_spec", None)
    ui.flash("success", t("incentives.saved", name=plan.name, version=version))


def versions(saved: pd.DataFrame) -> str:
    source = st.session_state.get("sim_source", "")
    if not source.startswith("saved:"):
        return ""
    row = saved[saved["plan_id"] == source.partition(":")[2]]
    if row.empty:
        return ""
    r = row.iloc[0]
    effective = r["effective_from"]
    count = int(r["versions"])
    date = "—" if pd.isna(effective) else pd.Timestamp(effective).date().isoformat()
    if count == 1:
        return t("incentives.versions_one", date=date)
    return t("incentives.versions", count=count, date=date)


def writable() -> bool:
    """Whether the signed-in user may save plans (access.can_write): read-only roles see the
    save button disabled, with why (read_only_help), instead of a refusal after the click."""
    return access.can_write(ui.user())


def save_button(plan: Plan, period: Period) -> None:
    allowed = writable()
    st.button(t("incentives.save"), key="sim_save", type="primary", disabled=not allowed,
              help=None if allowed else t("incentives.read_only"),
              on_click=ui.guarded(lambda: save(plan, period)))
    if not allowed:
        st.caption(t("incentives.read_only"))


def period_picker(where: Any, chosen: Period | None, as_of: Any, kind: str) -> Period:
    """The pay period selectbox: it opens on periods.default_pay_period for the sidebar's
    period (the last complete pay period while the sidebar's one runs) and follows the sidebar
    when that changes; a running pay period is named "provisional"."""
    default = periods.default_pay_period(chosen, as_of, kind)
    options = [p.label for p in periods.recent(as_of, kind, 12)]
    if default.label not in options:
        options.append(default.label)
    if (st.session_state.get("sim_period_default") != (kind, default.label)
            or st.session_state.get("sim_period") not in options):
        st.session_state["sim_period"] = default.label
        st.session_state["sim_period_default"] = (kind, default.label)
    names = {o: t("incentives.provisional_option", period=o) if periods.is_running(parse(o), as_of) else o
             for o in options}
    kinds = {k: t(f"period.{k}") for k in _KINDS}
    where.selectbox(t("incentives.pay_period", kind=kinds[kind]), options, format_func=names.__getitem__,
                    key="sim_period")
    return parse(st.session_state["sim_period"])


def period_note(chosen: Period | None, period: Period, as_of: Any, lang: str) -> None:
    """A running pay period is provisional (said so, with the last complete one); the default
    one, when the sidebar's pay period still runs, says why the page opened on it."""
    if periods.is_running(period, as_of):
        st.warning(t("incentives.period_running", period=period.label, date=as_of.isoformat(),
                     complete=periods.latest_complete(as_of, period.kind).label))
        return
    if chosen is None:
        return
    running = periods.containing(periods.to_date_end(chosen, as_of), period.kind)
    if running != period and periods.is_running(running, as_of) \
            and period == periods.default_pay_period(chosen, as_of, period.kind):
        st.caption(t("incentives.period_settled", sidebar=periods.period_label(chosen, as_of, lang),
                     period=period.label, running=running.label))


def apply_json() -> None:
    plan = Plan.from_json(st.session_state.get("sim_json_in", ""))
    _set_working(plan)
    ui.flash("success", t("incentives.applied"))


# --- the editor ----------------------------------------------------------------------------

def plan_editor(plan: Plan) -> None:
    """A form for every component; on submit the working plan becomes the edited one."""
    d = plan.to_dict()
    tables = incentives.plan_tables(plan)
    rewards = tables["non_cash"]   # a template's reward in the reader's words (kept on Apply)
    tables["non_cash"] = rewards.assign(reward=pd.Series(   # text even when empty (the editor)
        [incentives.reward_text(r, ui.lang()) for r in rewards["reward"]], index=rewards.index, dtype="string"))
    bb = d.get("base_bonus") or {"pct_of_salary": 0.2, "gate": 0.8, "cap": 1.5}
    comm = d.get("commission") or {"basis": "revenue", "default_rate": 0.08}
    dec = d.get("decelerator") or {"below_attainment": 1.0, "multiplier": 0.8}
    kinds = {k: t(f"period.{k}") for k in _KINDS}
    bases = {b: t(f"incentives.basis.{b}") for b in incentives.BASES}
    with st.form("sim_form"):
        c = st.columns([2, 1])
        name = c[0].text_input(t("incentives.f.name"), value=d["name"], key="sim_f_name")
        period = c[1].selectbox(t("incentives.f.period"), _KINDS, index=_KINDS.index(d["period"]),
                                format_func=kinds.__getitem__, key="sim_f_period")
        st.markdown(f"**{t('incentives.f.base_bonus')}**")
        c = st.columns(4)
        bb_on = c[0].toggle(t("incentives.f.on"), value="base_bonus" in d, key="sim_f_bb_on")
        pct = c[1].number_input(t("incentives.f.pct_of_salary"), 0.0, 100.0, round(bb["pct_of_salary"] * 100, 4),
                                1.0, key="sim_f_pct", help=t("incentives.f.pct_help"))
        gate = c[2].number_input(t("incentives.f.gate"), 0.0, 300.0, round(bb["gate"] * 100, 4), 5.0, key="sim_f_gate")
        cap = c[3].number_input(t("incentives.f.cap"), 0.0, 500.0, round((bb["cap"] or 0) * 100, 4), 5.0,
                                key="sim_f_cap", help=t("incentives.f.cap_help"))
        st.markdown(f"**{t('incentives.f.commission')}**")
        c = st.columns(4)
        comm_on = c[0].toggle(t("incentives.f.on"), value="commission" in d, key="sim_f_comm_on")
        basis = c[1].selectbox(t("incentives.f.basis"), incentives.BASES,
                               index=incentives.BASES.index(comm["basis"]), format_func=bases.__getitem__,
                               key="sim_f_basis")
        rate = c[2].number_input(t("incentives.f.default_rate"), 0.0, 100.0,
                                 round(comm["default_rate"] * 100, 4), 0.5, key="sim_f_rate")
        st.caption(t("incentives.f.tiers"))
        tiers = st.data_editor(tables["tiers"], num_rows="dynamic", key="sim_ed_tiers", width="stretch",
                               column_config={"min_margin": st.column_config.NumberColumn(
                                   t("incentives.f.min_margin"), format="percent", min_value=0.0,
                                   max_value=1.0, step=0.01),
                                   "rate": st.column_config.NumberColumn(
                                       t("incentives.f.rate"), format="percent", min_value=0.0,
                                       max_value=1.0, step=0.005)})
        st.markdown(f"**{t('incentives.f.accelerators')}**")
        accs = st.data_editor(tables["accelerators"], num_rows="dynamic", key="sim_ed_acc", width="stretch",
                              column_config={"above_attainment": st.column_config.NumberColumn(
                                  t("incentives.f.above_attainment"), format="percent", min_value=0.0,
                                  max_value=5.0, step=0.05),
                                  "multiplier": st.column_config.NumberColumn(
                                      t("incentives.f.multiplier"), min_value=1.0, max_value=10.0,
                                      step=0.1, format="%.2f×")})
        st.markdown(f"**{t('incentives.f.decelerator')}**")
        c = st.columns(4)
        dec_on = c[0].toggle(t("incentives.f.on"), value="decelerator" in d, key="sim_f_dec_on")
        below = c[1].number_input(t("incentives.f.below_attainment"), 0.0, 300.0,
                                  round(dec["below_attainment"] * 100, 4), 5.0, key="sim_f_below")
        dmult = c[2].number_input(t("incentives.f.decel_multiplier"), 0.0, 1.0, float(dec["multiplier"]), 0.05,
                                  key="sim_f_dmult")
        st.markdown(f"**{t('incentives.f.spiffs')}**")
        spiff_kinds = {k: t(f"incentives.spiff_kind.{k}") for k in incentives.SPIFF_KINDS}
        spiffs = st.data_editor(tables["spiffs"], num_rows="dynamic", key="sim_ed_spiffs", width="stretch",
                                placeholder="",
                                column_config={
                                    "kind": st.column_config.SelectboxColumn(t("incentives.f.kind"),
                                                                             options=list(spiff_kinds), required=True,
                                                                             format_func=spiff_kinds.get),
                                    "min_amount": st.column_config.NumberColumn(t("incentives.f.min_amount"),
                                                                                min_value=0.0, format=ui.money_pattern(0)),
                                    "rank": st.column_config.NumberColumn(t("incentives.f.rank"), min_value=1,
                                                                          step=1, format="%d"),
                                    "min_attainment": st.column_config.NumberColumn(
                                        t("incentives.f.champion_min_attainment"), format="percent",
                                        min_value=0.0, max_value=5.0, step=0.05),
                                    "bonus": st.column_config.NumberColumn(t("incentives.f.bonus"),
                                                                           min_value=0.0, format=ui.money_pattern(0))})
        st.caption(t("incentives.f.spiff_help"))
        c = st.columns([1, 1, 1, 1, 1.35])   # the carry toggle's label stays whole at 1280 px
        claw_on = c[0].toggle(t("incentives.f.clawback"), value=d.get("clawback_days") is not None,
                              key="sim_f_claw_on")
        claw = c[1].number_input(t("incentives.f.clawback_days"), 0, 3650, int(d.get("clawback_days") or 90), 15,
                                 key="sim_f_claw")
        cap_on = c[2].toggle(t("incentives.f.payout_cap"), value=d.get("payout_cap") is not None,
                             key="sim_f_cap_on")
        pcap = c[3].number_input(t("incentives.f.payout_cap_amount"), 0.0, 1e9, float(d.get("payout_cap") or 100000),
                                 5000.0, key="sim_f_pcap")
        carry = c[4].toggle(t("incentives.f.carry_negative"), value=d.get("carry_negative", True),
                            key="sim_f_carry", help=t("incentives.f.carry_negative_help"))
        o = st.columns([2, 1, 2])   # the toggle label and its help icon stay whole at 1280 px
        over_on = o[0].toggle(t("incentives.f.override"), value=d.get("override") is not None,
                              key="sim_f_over_on", help=t("incentives.f.override_help"))
        over = o[1].number_input(t("incentives.f.override_rate"), 0.0, 100.0,
                                 float((d.get("override") or {}).get("rate", 0.02)) * 100, 0.5, key="sim_f_over")
        w, dd = st.columns([2, 1, 1.3, 1.7]), d.get("draw") or {}
        draw_on = w[0].toggle(t("incentives.f.draw"), value=bool(dd), key="sim_f_draw_on", help=t("incentives.f.draw_help"))
        draw_amt = w[1].number_input(t("incentives.f.draw_amount"), 0.0, 1e8, float(dd.get("amount", 5000)), 500.0,
                                     key="sim_f_draw")
        draw_rec = w[2].toggle(t("incentives.f.draw_recoverable"), value=dd.get("recoverable", True), key="sim_f_draw_rec")
        draw_m = w[3].number_input(t("incentives.f.draw_months"), 0, 120, int(dd.get("months") or 0), 1,
                                   key="sim_f_draw_m")
        st.markdown(f"**{t('incentives.f.non_cash')}**")
        rewards = st.data_editor(tables["non_cash"], num_rows="dynamic", key="sim_ed_rewards", width="stretch",
                                 column_config={"min_attainment": st.column_config.NumberColumn(
                                     t("incentives.f.min_attainment"), format="percent", min_value=0.0,
                                     max_value=5.0, step=0.05),
                                     "reward": st.column_config.TextColumn(t("incentives.f.reward"))})
        submitted = st.form_submit_button(t("incentives.f.apply"))
    if submitted:
        fields = {"name": name, "period": period, "base_bonus_on": bb_on, "pct_of_salary": pct / 100,
                  "gate": gate / 100, "cap": cap / 100 if cap else None, "commission_on": comm_on,
                  "basis": basis, "default_rate": rate / 100, "decelerator_on": dec_on,
                  "below_attainment": below / 100, "decel_multiplier": dmult, "clawback_on": claw_on,
                  "clawback_days": claw, "carry_negative": carry, "payout_cap_on": cap_on, "payout_cap": pcap,
                  "override_on": over_on, "override_rate": over / 100, "draw_on": draw_on,
                  "draw_amount": draw_amt, "draw_recoverable": draw_rec, "draw_months": draw_m}
        try:
            plan = incentives.plan_from_form(fields, {"tiers": tiers, "accelerators": accs, "spiffs": spiffs,
                                                      "non_cash": rewards})
        except SalesCoreError as err:
            ui.show_error(err)
            return
        _set_working(plan)
        ui.flash("success", t("incentives.applied"))
        st.rerun()


# --- what-if -------------------------------------------------------------------------------

def _label(key: str) -> str:
    """'commission.tiers.0.rate' -> the translated 'Tier 1 rate'."""
    index = re.findall(r"\.(\d+)\.", key)
    name = re.sub(r"\.\d+\.", ".", key).replace(".", "_")
    return t(f"incentives.lever.{name}", n=int(index[0]) + 1 if index else "")


def lever_labels(keys: pd.Series) -> list[str]:
    return [_label(k) for k in keys]


def _signature(plan: Plan) -> str:
    return json.dumps(plan.to_dict(), sort_keys=True)


def lever_sliders(plan: Plan) -> Plan:
    """A slider per lever of ``plan``; returns the plan with the sliders' values."""
    if st.session_state.get("sim_lv_sig") != _signature(plan):
        for key in [k for k in st.session_state if str(k).startswith("sim_lv_")]:
            del st.session_state[key]
        st.session_state["sim_lv_sig"] = _signature(plan)
    moved = plan
    items = incentives.levers(plan)
    cols = st.columns(3)
    for i, lever in enumerate(items):
        percent = lever.kind in ("rate", "attainment")
        k = 100.0 if percent else 1.0
        fmt_ = "%.1f%%" if percent else ("%.2f×" if lever.kind == "multiplier" else ui.money_pattern(0))
        with cols[i % 3]:
            value = st.slider(_label(lever.key), round(lever.low * k, 4), round(lever.high * k, 4),
                              round(lever.value * k, 4), round(lever.step * k, 4), format=fmt_,
                              key=f"sim_lv_{lever.key}")
        if abs(value / k - lever.value) > 1e-9:
            try:
                moved = incentives.with_lever(moved, lever.key, value / k)
            except SalesCoreError as err:
                ui.show_error(err)
    return moved


@st.fragment
def whatif_panel(working: Plan, reference: Plan, period: Period, scope: Scope, lang: str) -> None:
    """The what-if tab: a slider per lever, the moved plan's cost against the saved one, who
    gains and who loses, the per-rep table. A fragment: moving a slider reruns this panel
    only, not the page's other tabs."""
    st.caption(t("incentives.whatif_help"))
    whatif = lever_sliders(working)
    base = ui.query(incentives.payouts, working, period, scope)
    try:
        moved = ui.query(incentives.payouts, whatif, period, scope)
    except SalesCoreError as err:
        ui.show_error(err)
        moved = base
    ref = ui.query(incentives.payouts, reference, period, scope)
    now = incentives.summary(moved)
    moved_by = incentives.versus(incentives.summary(ref), now)["change"]
    # a row that wraps: four cards side by side where they fit (1920 px), two or three a row
    # on a 1280 px screen with the sidebar open, each card as wide as its value needs
    cards = st.container(horizontal=True, gap="small", key="sim_whatif_cards")
    cards.metric(t("incentives.total"), ui.money(now["total"]),
                 delta=t("incentives.vs_saved", change=ui.money(moved_by)),
                 delta_color="inverse" if abs(moved_by) >= 0.005 else "off",
                 delta_arrow="auto" if abs(moved_by) >= 0.005 else "off", border=True)
    cards.metric(t("incentives.cost_revenue"), fmt.pct(now["cost_of_sales"]),
                 help=t("incentives.cost_revenue_help"), border=True)
    cards.metric(t("incentives.cost_margin"), fmt.pct(now["cost_of_margin"]),
                 help=t("incentives.cost_margin_help"), border=True)
    cards.metric(t("incentives.pay_rate"),
                 f"{fmt.pct(now['pay_rate_top'])} / {fmt.pct(now['pay_rate_bottom'])}",
                 help=t("incentives.pay_rate_help"), border=True)
    change = incentives.compare(ref, moved)
    left, right = st.columns([1, 1])
    with left:
        st.subheader(t("incentives.distribution"))
        ui.chart(charts.payout_distribution(moved, lang, currency=ui.currency()), width="stretch")
    with right:
        st.subheader(t("incentives.gainers_losers"))
        gainers_losers(change)
    st.subheader(t("incentives.per_rep"))
    payout_table(moved, change)


def gainers_losers(change: pd.DataFrame) -> None:
    gains, losses = incentives.movers(change)
    if gains.empty and losses.empty:
        st.caption(t("incentives.nobody_changes"))
        return
    cols = st.columns(2)
    for col, frame, title in ((cols[0], gains, t("incentives.gainers")), (cols[1], losses, t("incentives.losers"))):
        with col:
            st.caption(title)
            st.dataframe(frame[["rep", "change"]], hide_index=True, width="stretch",
                         column_config={"rep": t("metric.rep"),
                                        "change": st.column_config.NumberColumn(t("incentives.change"),
                                                                                format="%+,.0f")})


_MONEY_COLS = ("quota", "revenue_won", "base_bonus", "commission", "accelerator_extra", "decelerator_cut",
               "spiffs", "override", "clawback", "carried_balance", "adjustment", "draw", "draw_recovered",
               "total", "carried_forward", "draw_balance")


#: Streamlit's own currency formats put the minus before the symbol (-¥59,883) where a printf
#: pattern cannot (¥-59,883): the preset that draws the data's symbol (fmt.symbol), when one does.
_PRESETS = {"¥": "yen", "$": "dollar", "€": "euro"}


def _money_column(label: str) -> Any:
    """A money column in the reporting currency (¥ whole units; $ and € to the cent):
    deductions read -¥59,883."""
    preset = _PRESETS.get(ui.currency())
    if preset:
        return st.column_config.NumberColumn(label, format=preset)   # (a step would truncate)
    return st.column_config.NumberColumn(label, format=ui.money_pattern(0))


def column_config() -> dict[str, Any]:
    config: dict[str, Any] = {c: _money_column(t(f"incentives.col.{c}")) for c in _MONEY_COLS}
    config.update({
        "rep": t("metric.rep"), "team": t("sidebar.team"),
        "attainment": st.column_config.NumberColumn(t("metric.attainment"), format="percent"),
        "cost_of_sales": st.column_config.NumberColumn(t("incentives.col.cost_of_sales"), format="percent"),
        "change": st.column_config.NumberColumn(t("incentives.change"), format="%+,.0f"),
        "flag": t("incentives.col.flag"), "non_cash": t("incentives.col.non_cash"),
    })
    return config


def rewards_text(values: pd.Series) -> list[str]:
    """Each row's non-cash rewards, a template's in the reader's words (incentives.reward_text)."""
    lang = ui.lang()
    return ["; ".join(incentives.reward_text(r, lang) for r in v) for v in values]


def with_flags(frame: pd.DataFrame) -> pd.DataFrame:
    labels = {f: t(f"incentives.flag.{f}") for f in ("no_quota", "capped", "shortfall")}
    out = frame.copy()
    out["flag"] = [", ".join(labels.get(f, f) for f in str(v).split(",") if f) for v in out["flag"]]
    if "non_cash" in out:
        out["non_cash"] = rewards_text(out["non_cash"])
    return out


def payout_table(frame: pd.DataFrame, change: pd.DataFrame) -> None:
    shown = with_flags(frame).merge(change[["rep_id", "change"]], on="rep_id", how="left")
    cols = ["rep", "team", "attainment", "base_bonus", "commission", "accelerator_extra", "decelerator_cut",
            "spiffs", "override", "clawback", "carried_balance", "adjustment", "draw", "draw_recovered",
            "total", "carried_forward", "draw_balance", "change", "cost_of_sales", "non_cash", "flag"]
    for col in ("adjustment", "override", "draw", "draw_recovered", "draw_balance"):   # only when used
        if not shown[col].fillna(0.0).any():
            cols.remove(col)
    # deductions negative, as on every statement (incentives.DEDUCTIONS)
    st.dataframe(incentives.signed(shown[cols]), hide_index=True, width="stretch", placeholder="",
                 column_config=column_config())


def retention_risk(diff: pd.DataFrame) -> None:
    _, drops = incentives.movers(diff)
    if drops.empty:
        st.success(t("incentives.no_drops"))
        return
    st.dataframe(drops[["rep", "team", "attainment", "total_a", "total_b", "change", "change_pct"]],
                 hide_index=True, width="stretch", placeholder="",
                 column_config={**column_config(),
                                "total_a": st.column_config.NumberColumn(t("incentives.total_a"),
                                                                         format=ui.money_pattern(0)),
                                "total_b": st.column_config.NumberColumn(t("incentives.total_b"),
                                                                         format=ui.money_pattern(0)),
                                "change_pct": st.column_config.NumberColumn(t("incentives.change_pct"),
                                                                            format="percent")})


def pay_the_same(diff: pd.DataFrame) -> bool:
    """Whether plan A and plan B pay every rep the same (incentives.compare's change)."""
    return bool((diff["change"].abs() < 0.005).all())


# --- budget --------------------------------------------------------------------------------

def budget_solver(plan: Plan, period: Period, scope: Scope, totals: dict[str, Any]) -> None:
    kinds = {"absolute": t("incentives.budget_absolute"), "revenue": t("incentives.budget_revenue"),
             "margin": t("incentives.budget_margin")}
    groups = {g: t(f"incentives.group.{g}") for g in incentives.SCALABLE}
    with st.form("sim_budget_form"):
        c = st.columns([1, 1, 2])
        kind = c[0].radio(t("incentives.budget_kind"), list(kinds), format_func=kinds.__getitem__,
                          key="sim_budget_kind")
        value = c[1].number_input(t("incentives.budget_value"), min_value=0.0, value=incentives.default_budget(totals),
                                  step=10000.0, key="sim_budget_value", help=t("incentives.budget_value_help"))
        chosen = c[2].multiselect(t("incentives.budget_levers"), list(groups), default=["commission"],
                                  format_func=groups.__getitem__, key="sim_budget_groups")
        submitted = st.form_submit_button(t("incentives.solve"))
    if submitted:
        st.session_state.pop("sim_budget_result", None)
        amount = incentives.budget_amount(totals, kind, value if kind == "absolute" else value / 100)
        if amount is None or not chosen:
            st.warning(t("incentives.budget_missing"))
            return
        result = ui.query(incentives.solve_budget, plan, period, amount, tuple(chosen), scope)
        # kept for the reruns that follow (the Apply button's click is one)
        st.session_state["sim_budget_result"] = {
            "for": _budget_for(plan, period, scope), "met": result["met"], "reason": result["reason"],
            "factor": result["factor"], "total": result["total"], "budget": amount,
            "plan": result["plan"].to_dict()}
    budget_result(plan, period, scope)


def _budget_for(plan: Plan, period: Period, scope: Scope) -> str:
    """What a solver result was found for: it is shown only while these stay the same."""
    return json.dumps([plan.to_dict(), period.label, scope.team], sort_keys=True)


def _lever_value(kind: str, value: float) -> str:
    if kind in ("rate", "attainment"):
        return fmt.pct(value)
    if kind == "multiplier":
        return f"{value:.2f}×"
    return ui.money(value)


def _md(text: str) -> str:
    """Text for a markdown element: a $ amount is not a formula."""
    return text.replace("$", "\\$")


def budget_changes(before: Plan, after: Plan) -> list[str]:
    """What the solver changed, one line per lever: 'Commission rate: 8.0% → 7.1%'."""
    return [t("incentives.budget_change", lever=_label(lever.key), before=_lever_value(lever.kind, lever.value),
              after=_lever_value(lever.kind, value))
            for lever, value in incentives.lever_changes(before, after)]


def apply_budget(spec: dict[str, Any], factor: float) -> None:
    """Make the solver's plan the plan being edited (a what-if: saving stays the user's step)."""
    _set_working(Plan.from_dict(spec))
    st.session_state.pop("sim_budget_result", None)
    ui.flash("success", t("incentives.budget_applied", factor=fmt.pct(factor)))


def budget_result(plan: Plan, period: Period, scope: Scope) -> None:
    """The solver's last answer, in words, with the button that applies it to the plan being
    edited (shown while the plan, period and team it was found for stay the same)."""
    found = st.session_state.get("sim_budget_result")
    if not found or found["for"] != _budget_for(plan, period, scope):
        return
    budget, total = ui.money(found["budget"]), ui.money(found["total"])
    if not found["met"]:
        st.warning(_md(t(f"incentives.budget_{found['reason']}", total=total, budget=budget)))
        return
    scaled = Plan.from_dict(found["plan"])
    changes = budget_changes(plan, scaled)
    if not changes:
        st.info(_md(t("incentives.budget_unchanged", total=total, budget=budget)))
        return
    st.success(_md(t("incentives.budget_met", factor=fmt.pct(found["factor"]), total=total, budget=budget)))
    st.markdown("\n".join(f"- {_md(line)}" for line in changes))
    st.button(t("incentives.budget_apply"), key="sim_budget_apply", type="primary",
              help=t("incentives.budget_apply_help"),
              on_click=ui.guarded(partial(apply_budget, found["plan"], found["factor"])))


# --- statements ----------------------------------------------------------------------------

def statements(plan: Plan, period: Period, scope: Scope, frame: pd.DataFrame) -> None:
    """One rep's statement (the panel My results shows a rep too), and every rep's in a zip."""
    names = dict(zip(frame["rep_id"], frame["rep"] + " · " + frame["team"]))
    rep_id = st.selectbox(t("metric.rep"), list(names), format_func=names.get, key="sim_stmt_rep")
    row = frame[frame["rep_id"] == rep_id].iloc[0].to_dict()
    lines = ui.query(incentives.explain, plan, period, rep_id)
    labels = tuple(incentives.statement_labels(ui.lang()).items())
    # every rep's workbook takes seconds at 2,000 reps: built only when the user clicks
    connection = ui.con()

    def every_statement() -> None:
        st.download_button(t("incentives.download_zip"),
                           lambda: incentives.statements_archive(connection, plan, period, scope, labels),
                           file_name=f"statements_{period.label}.zip", key="sim_dl_zip", mime="application/zip",
                           on_click="ignore")

    statement_panel(row, lines, title=t("incentives.statement_title", rep=row["rep"], period=period.label),
                    plan_name=plan.name, period_label=period.label, prefix="sim_", extra=every_statement)
    draw_ledger(plan, period, scope, rep_id)


def draw_ledger(plan: Plan, period: Period, scope: Scope, rep_id: str) -> None:
    """Under a statement, for a plan with a draw: the rep's draw ledger, period by period."""
    if plan.draw is None:
        return
    ledger = ui.query(incentives.draw_ledger, plan, period, scope)
    ledger_table(ledger[ledger["rep_id"] == rep_id], _money_column)


def ledger_table(mine: pd.DataFrame, money: Any) -> None:
    """A rep's draw ledger (incentives.draw_ledger rows) in an expander; ``money``: label ->
    the money column config."""
    with st.expander(ui.tn("incentives.ledger_title", len(mine), count=len(mine))):
        if mine.empty:
            st.caption(t("incentives.ledger_none"))
            return
        st.dataframe(mine.drop(columns=["rep_id", "rep"]), hide_index=True, width="stretch", column_config={
            "period": t("closing.col_period"), "earned": money(t("incentives.ledger_earned")),
            "draw": money(t("incentives.col.draw")),
            "draw_recovered": money(t("incentives.col.draw_recovered")),
            "draw_balance": money(t("incentives.col.draw_balance"))})
