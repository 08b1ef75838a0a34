"""The Funnel page's "Pipeline movement" tab (DESIGN.md section 8): how the open pipeline
moved between two exports, as a waterfall whose buckets open to their deals; whose close
dates keep slipping; how long deals sit in each stage."""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from salescore import charts, fmt, history
from salescore import ui
from salescore.ui import t
from salescore.ui.funnel import downloads
from salescore.ui.widgets import table, tn, with_team_names

def bucket_labels() -> dict[str, str]:
    return {k: t(f"history.bucket.{k}") for k in history.BUCKETS}


def show(ctx) -> None:
    """The tab on the page's period and scope."""
    period, scope = ctx.period, ctx.scope
    days = ui.query(history.snapshot_dates)
    if len(days) < 2:
        st.info(tn("history.needs_two", len(days), count=fmt.number(len(days)),
                   day=days[-1].isoformat() if days else "—"))
        st.page_link("pages/data.py", label=t("common.go_to_data"), icon=":material/upload_file:")
        return
    left, middle, right = st.columns([1, 1, 2], vertical_alignment="bottom")
    ends = days[::-1]
    end = middle.selectbox(t("history.to"), ends, format_func=date.isoformat, key="history_to")
    starts = [d for d in ends if d < end] or [days[0]]
    first = history.default_start(days, end)
    start = left.selectbox(t("history.from"), starts, format_func=date.isoformat,
                           index=starts.index(first) if first in starts else 0, key="history_from")
    period, switched = history.followed_period(period, start, end)
    only = right.toggle(t("history.only_period", period=period.label), value=True,
                        key="history_only_period", help=t("history.only_period_help"))
    if switched and only:
        st.caption(t("history.period_switched", chosen=ctx.period.label, period=period.label))
    moved = ui.query(history.movement, start, end, period if only else None, scope, deals=False)
    b = moved.buckets
    names = bucket_labels()
    cards = st.columns(4)
    cards[0].metric(t("history.card_start", day=start.strftime("%m-%d")),
                    ui.money(b["start"]["amount"], wan=True), border=True,
                    help=tn("history.deals_open", b["start"]["deals"], count=fmt.number(b["start"]["deals"]),
                            day=start.isoformat()))
    change = b["end"]["amount"] - b["start"]["amount"]
    cards[1].metric(t("history.card_end", day=end.strftime("%m-%d")), ui.money(b["end"]["amount"], wan=True),
                    delta=("+" if change >= 0 else "-") + ui.money(abs(change), wan=True), border=True,
                    help=tn("history.deals_open", b["end"]["deals"], count=fmt.number(b["end"]["deals"]),
                            day=end.isoformat()))
    cards[2].metric(names["won"], ui.money(b["won"]["amount"], wan=True), border=True,
                    help=tn("history.deals_n", b["won"]["deals"], count=fmt.number(b["won"]["deals"])))
    cards[3].metric(names["pushed_out"] if only else names["lost"],
                    ui.money(b["pushed_out" if only else "lost"]["amount"], wan=True), border=True,
                    help=tn("history.deals_n", b["pushed_out" if only else "lost"]["deals"],
                            count=fmt.number(b["pushed_out" if only else "lost"]["deals"])))
    steps = charts.waterfall_frame(b, names, history.SIGNS, history.BUCKETS)
    ui.chart(charts.movement_waterfall(steps, ctx.lang, currency=ui.currency()), width="stretch")
    st.caption(t("history.identity"))
    shown = [k for k in history.BUCKETS if k not in ("start", "end") and b[k]["deals"]]
    if shown:
        choice = st.segmented_control(
            t("history.show_deals"), shown, default=shown[0], key="history_bucket",
            format_func=lambda k: f"{names[k]} ({fmt.number(b[k]['deals'])})") or shown[0]
        _deals(ui.query(history.movement_deals, start, end, period if only else None, scope, choice),
               names[choice], start, end)
    else:
        st.caption(t("history.no_moves", start=start.isoformat(), end=end.isoformat()))
    _slippage(start, end, scope)
    _stages(scope)


def _deals(frame: pd.DataFrame, bucket: str, start: date, end: date) -> None:
    cols = {"deal": t("funnel.deal"), "rep": t("metric.rep"), "team": t("sidebar.team"),
            "amount": t("history.col.amount"), "stage_start": t("history.col.stage_start"),
            "stage_end": t("history.col.stage_end"), "amount_start": t("history.col.amount_start"),
            "amount_end": t("history.col.amount_end"), "close_start": t("history.col.close_start"),
            "close_end": t("history.col.close_end")}
    view = with_team_names(frame)[list(cols)].rename(columns=cols)
    money = st.column_config.NumberColumn(format=ui.money_pattern())
    table(view, column_config={cols[c]: money for c in ("amount", "amount_start", "amount_end")})
    downloads(view, t("history.file", bucket=bucket, start=start.isoformat(), end=end.isoformat()),
              "history_deals")


def _slippage(start: date, end: date, scope) -> None:
    st.subheader(t("history.slip_title"))
    slip = ui.query(history.slippage, start, end, scope)
    if slip.empty:
        st.success(t("history.no_slip", start=start.isoformat(), end=end.isoformat()))
        return
    top = slip.iloc[0]
    st.info(tn("history.slip_top", int(top["pushes"]), rep=top["rep"], pushes=fmt.number(top["pushes"]),
               deals=fmt.number(top["deals"]), days=fmt.number(top["days_pushed"])))
    cols = {"rep": t("metric.rep"), "team": t("sidebar.team"), "deals": t("history.col.slip_deals"),
            "pushes": t("history.col.pushes"), "days_pushed": t("history.col.days_pushed"),
            "amount": t("history.col.slip_amount")}
    table(with_team_names(slip)[list(cols)].rename(columns=cols), column_config={
        cols["amount"]: st.column_config.NumberColumn(format=ui.money_pattern()),
        cols["days_pushed"]: st.column_config.NumberColumn(format="%d")})


def _stages(scope) -> None:
    st.subheader(t("history.stage_title"))
    medians = ui.query(history.stage_medians, scope)
    if medians.empty:
        st.caption(t("history.no_stays"))
        return
    st.caption(t("history.stage_help"))
    left, right = st.columns([2, 3])
    with left:
        table(medians.rename(columns={"stage": t("funnel.stage"), "stays": t("history.col.stays"),
                                      "median_days": t("history.col.median_days")}),
              column_config={t("history.col.median_days"): st.column_config.NumberColumn(format="%.1f")})
    with right:
        per_rep = ui.query(history.time_in_stage, scope)
        slower = per_rep.assign(vs_team=per_rep["median_days"] - per_rep["team_median_days"])
        cols = {"stage": t("funnel.stage"), "rep": t("metric.rep"), "team": t("sidebar.team"),
                "stays": t("history.col.stays"), "median_days": t("history.col.rep_median"),
                "team_median_days": t("history.col.team_median"), "vs_team": t("history.col.vs_team")}
        table(with_team_names(slower)[list(cols)].rename(columns=cols), column_config={
            cols[c]: st.column_config.NumberColumn(format="%.1f")
            for c in ("median_days", "team_median_days")} | {
            cols["vs_team"]: st.column_config.NumberColumn(format="%+.1f")})
