"""The meeting slides, one builder per key of SLIDE_KEYS: they choose, label and format the
figures of :class:`~salescore.report.build._Build`; nothing is recomputed here."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import pandas as pd

from salescore import (access, charts, evaluation, fmt, goals, history, incentives, metrics, periods, photos,
                       retention)
from salescore.errors import SalesCoreError
from salescore.i18n import t
from salescore.periods import Period
from salescore.report.build import _Build, _change, _cols, _pct0, _table, audience, may_show
from salescore.report.model import (FACES, MANAGER_ONLY, MAX_ROWS, SLIDE_KEYS, Call, Con, Face, Figure, Slide,
                                    _missing)
from salescore.scope import Scope


def _kpis(b: _Build) -> Slide:
    now, before, lang = b.now, b.before, b.lang
    prev = b.previous.label
    figs: dict[str, Figure] = {}
    rev = _change(now["revenue_won"], before["revenue_won"])
    figs["revenue_won"] = Figure(
        t("metric.revenue_won", lang), b.money(now["revenue_won"]),
        None if rev is None else b.txt("vs_prev", change=f"{rev:+.1%}", previous=prev))
    figs["target"] = Figure(t("metric.target", lang), b.money(now["target"]) if now["target"] else "—")
    att = now["attainment"]
    figs["attainment"] = Figure(
        t("metric.attainment", lang), fmt.pct(att),
        None if att is None else b.txt("vs_pace", change=fmt.points(att - b.share, lang, short=True)),
        help=b.txt("pace_help", pace=fmt.pct(b.share, 0)))
    diff = None if now["win_rate"] is None or before["win_rate"] is None else now["win_rate"] - before["win_rate"]
    figs["win_rate"] = Figure(t("metric.win_rate", lang), fmt.pct(now["win_rate"]),
                              None if diff is None else b.txt("vs_prev", change=fmt.points(diff, lang, short=True),
                                                              previous=prev))
    size = _change(now["avg_deal_size"], before["avg_deal_size"])
    figs["avg_deal_size"] = Figure(t("metric.avg_deal_size", lang), b.money(now["avg_deal_size"]),
                                   None if size is None else b.txt("vs_prev", change=f"{size:+.1%}", previous=prev))
    new = now["new_customers"] - before["new_customers"]
    figs["new_customers"] = Figure(t("metric.new_customers", lang), fmt.number(now["new_customers"]),
                                   b.txt("vs_prev", change=f"{new:+d}", previous=prev))
    notes = []
    for item in metrics.alerts_from(b.teams, b.reps, now, before, b.share, prev):
        notes.append(metrics.alert_text(item, lang))
    if not now["target"]:
        notes.append(b.txt("note.no_targets"))
    return Slide("kpis", b.txt("slide.kpis"), b.txt("sub.kpis", period=b.period.label, scope=b.scope_label,
                                                   previous=prev),
                 "figures", figs, None, charts.revenue_trend(b.trend, lang, b.currency), notes=tuple(notes))


def _leaderboard(b: _Build) -> Slide:
    lang = b.lang
    # recognition() marks each team's champion; with the plan's own period the non-cash rewards
    # earned come along, otherwise (or for a role that sees no pay) the period's rep figures
    # stand in (no rewards to show)
    same = b.shows_pay and b.pay_period == b.period
    source = b.payouts if same else b.reps.assign(non_cash=[() for _ in range(len(b.reps))])
    board = incentives.recognition(source)
    if board.empty:
        return Slide("leaderboard", b.txt("slide.leaderboard"), b.txt("sub.leaderboard", period=b.period.label),
                     "text", notes=(b.txt("note.no_wins"),))
    win_rate = b.reps.set_index("rep_id")["win_rate"]
    top = board.head(MAX_ROWS["leaderboard"])
    star, joiner = b.txt("champion"), "、" if lang == "zh" else ", "
    rows = [{"rank": str(r.rank), "rep": r.rep, "team": r.team, "revenue_won": b.money(r.revenue_won),
             "attainment": _pct0(r.attainment), "win_rate": _pct0(win_rate.get(r.rep_id)),
             "recognition": joiner.join(([star] if r.champion else [])
                                           + [incentives.reward_text(x, lang) for x in r.non_cash])}
            for r in top.itertuples()]
    table = _table(rows, _cols(b, "rank", "rep", "team", "revenue_won", "attainment", "win_rate", "recognition"))
    champs = board[board["champion"]].sort_values(["team", "rep"])
    sep = "；" if lang == "zh" else "; "
    notes = [b.txt("note.champions", names=sep.join(f"{r.team} {r.rep} ({b.money(r.revenue_won)})"
                                                     for r in champs.itertuples()))]
    chart = charts.leaderboard(top[["rep", "revenue_won", "team"]], lang, b.currency)
    return Slide("leaderboard", b.txt("slide.leaderboard"), b.txt("sub.leaderboard", period=b.period.label),
                 "chart_table", {}, table, chart, notes=tuple(notes), faces=_faces(b, top.head(FACES)))


def _faces(b: _Build, best: pd.DataFrame) -> tuple[Face, ...]:
    """The star board's best reps with their picture (photos.avatars: the photo the viewer's
    role may see, else initials in a circle); none on an anonymized slide (no face, and no
    initials that name the rep)."""
    if b.anonymize or best.empty:
        return ()
    ids = tuple(str(r) for r in best["rep_id"])
    pictures = b.q(photos.avatars, ids, tuple(str(n) for n in best["rep"]), photos.SIZE)
    return tuple(Face(str(r.rep), b.money(r.revenue_won), pictures[str(r.rep_id)])
                 for r in best.itertuples())


def _pacing(b: _Build) -> Slide:
    lang = b.lang
    teams = b.pacing[b.pacing["level"] == "team"].reset_index(drop=True)
    elapsed, total = periods.time_elapsed(b.period, b.when)
    light_label = {k: b.txt(f"light.{k}") for k in goals.LIGHTS}
    figs = {
        "time": Figure(b.txt("fig.time_elapsed"), fmt.pct(b.share, 0),
                       b.txt("fig.working_days", elapsed=elapsed, total=total), "off"),
        "attainment": Figure(t("metric.attainment", lang), fmt.pct(b.now["attainment"])),
        "on_track": Figure(b.txt("fig.teams_on_track"),
                           f"{int((teams['light'] == 'green').sum())} / {int(teams['target'].notna().sum())}"),
    }
    rows = [{"team": r.team, "target": b.money(r.target), "actual": b.money(r.actual),
             "attainment": _pct0(r.attainment), "pace_index": _pct0(r.pace_index),
             "forecast": b.money(r.forecast), "light": light_label[r.light]} for r in teams.itertuples()]
    table = _table(rows, _cols(b, "team", "target", "actual", "attainment", "pace_index", "forecast", "light"))
    notes: list[str] = []
    chart = None
    if teams["attainment"].notna().any():
        data = teams.assign(light_label=teams["light"].map(light_label))
        chart = charts.goals_pacing(data, lang, float(teams["time_share"].iloc[0]))
        notes.append(b.txt("note.pace_line", pace=fmt.pct(float(teams["time_share"].iloc[0]), 0)))
    else:
        notes.append(b.txt("note.no_targets"))
    return Slide("pacing", b.txt("slide.pacing"), b.txt("sub.pacing", period=b.period.label, date=b.when.isoformat()),
                 "chart_table" if chart is not None else "table", figs, table, chart, notes=tuple(notes))


def _funnel(b: _Build) -> Slide:
    lang = b.lang
    frame = b.funnel
    found = metrics.funnel_findings(frame)
    title, sub = b.txt("slide.funnel"), b.txt("sub.funnel", period=b.period.label, scope=b.scope_label)
    if frame.empty or int(frame["reached"].iloc[0]) == 0:
        return Slide("funnel", title, sub, "text", notes=(b.txt("note.no_funnel"),))
    won = b.txt("won_stage")

    def label(stage: Any) -> str:
        return won if stage == "won" else str(stage)

    drop = found["drop"]
    figs = {"created": Figure(b.txt("fig.deals_created"), fmt.number(frame["reached"].iloc[0])),
            "overall": Figure(b.txt("fig.overall_conversion"), fmt.pct(found["overall_conversion"]))}
    notes = [b.txt("note.overall", conversion=fmt.pct(found["overall_conversion"]))]
    if drop is not None:
        step = {"from": label(drop["from"]), "to": label(drop["to"])}
        figs["bottleneck"] = Figure(b.txt("fig.bottleneck", **step), fmt.pct(drop["conversion"]))
        notes.insert(0, b.txt("note.drop", conversion=fmt.pct(drop["conversion"]), **step))
    rows = [{"stage": label(r.stage), "reached": fmt.number(r.reached), "value": b.money(r.value),
             "conversion": "" if _missing(r.conversion_to_next) else fmt.pct(r.conversion_to_next)}
            for r in frame.itertuples()]
    table = _table(rows, _cols(b, "stage", "reached", "value", "conversion"))
    chart = charts.funnel_stages(frame.assign(stage_label=frame["stage"].map(label)), lang, currency=b.currency)
    return Slide("funnel", title, sub, "chart_table", figs, table, chart, notes=tuple(notes))


def _movement(b: _Build) -> Slide:
    """The pipeline's movement over the last week of exports up to the meeting's day (the
    Funnel page's "Pipeline movement" tab at its defaults)."""
    title = b.txt("slide.movement")
    days = [d for d in b.q(history.snapshot_dates) if d <= b.when]
    if len(days) < 2:
        return Slide("movement", title, b.txt("sub.movement_none"), "text",
                     notes=(b.txt("note.needs_two"),))
    end = days[-1]
    start = history.default_start(days, end)
    period, _ = history.followed_period(b.period, start, end)
    moved = b.q(history.movement, start, end, period, b.scope, deals=False)
    k = moved.buckets
    names = {key: t(f"history.bucket.{key}", b.lang) for key in history.BUCKETS}
    change = k["end"]["amount"] - k["start"]["amount"]
    figs = {"start": Figure(names["start"], b.money(k["start"]["amount"])),
            "end": Figure(names["end"], b.money(k["end"]["amount"]),
                          ("+" if change >= 0 else "-") + b.money(abs(change))),
            "won": Figure(names["won"], b.money(k["won"]["amount"])),
            "pushed_out": Figure(names["pushed_out"], b.money(k["pushed_out"]["amount"]),
                                 delta_color="off")}
    rows = [{"bucket": names[key], "deals": fmt.number(k[key]["deals"]),
             "amount": ("−" if history.SIGNS[key] < 0 and k[key]["amount"] else "") + b.money(k[key]["amount"])}
            for key in history.BUCKETS]
    table = _table(rows, _cols(b, "bucket", "deals", "amount"))
    steps = charts.waterfall_frame(k, names, history.SIGNS, history.BUCKETS)
    notes = [b.txt("note.identity")]
    slip = b.q(history.slippage, start, end, b.scope)
    if not slip.empty:
        top = slip.iloc[0]
        key = "history.slip_top_one" if int(top["pushes"]) == 1 else "history.slip_top"
        notes.insert(0, b.scrub(t(key, b.lang, rep=b.name(str(top["rep"])),
                                  pushes=fmt.number(top["pushes"]), deals=fmt.number(top["deals"]),
                                  days=fmt.number(top["days_pushed"]))))
    sub = b.txt("sub.movement", start=start.isoformat(), end=end.isoformat(), period=period.label,
                scope=b.scope_label)
    return Slide("movement", title, sub, "chart_table", figs, table,
                 charts.movement_waterfall(steps, b.lang, currency=b.currency, height=260),
                 notes=tuple(notes))


def _plan_terms(b: _Build, plan: incentives.Plan) -> list[dict[str, str]]:
    """The plan in a few lines a rep understands (item, value)."""
    rows = []
    if plan.base_bonus:
        bb = plan.base_bonus
        rows.append({"item": b.txt("term.base_bonus"),
                     "value": b.txt("term.base_bonus_text", pct=fmt.pct(bb.pct_of_salary, 0),
                                    gate=fmt.pct(bb.gate, 0), cap=fmt.pct(bb.cap, 0))})
    if plan.commission:
        comm = plan.commission
        text = b.txt("term.commission_text", rate=fmt.pct(comm.default_rate), basis=b.txt(f"basis.{comm.basis}"))
        for tier in comm.tiers:
            text += b.txt("term.tier_text", rate=fmt.pct(tier.rate), margin=fmt.pct(tier.min_margin, 0))
        rows.append({"item": b.txt("term.commission"), "value": text})
    if plan.accelerators:
        sep = "；" if b.lang == "zh" else "; "
        rows.append({"item": b.txt("term.accelerators"),
                     "value": sep.join(b.txt("term.accelerator_text", multiplier=f"{a.multiplier:g}",
                                             attainment=fmt.pct(a.above_attainment, 0))
                                       for a in plan.accelerators)})
    if plan.decelerator:
        rows.append({"item": b.txt("term.decelerator"),
                     "value": b.txt("term.decelerator_text", multiplier=f"{plan.decelerator.multiplier:g}",
                                    attainment=fmt.pct(plan.decelerator.below_attainment, 0))})
    for spiff in plan.spiffs:
        if spiff.kind == "new_customer_deal":
            value = b.txt("term.spiff_new_text", bonus=b.money(spiff.bonus), amount=b.money(spiff.min_amount))
        else:
            value = b.txt("term.spiff_champion_text", bonus=b.money(spiff.bonus), rank=int(spiff.rank or 1))
        rows.append({"item": b.txt("term.spiff"), "value": value})
    if plan.clawback_days:
        rows.append({"item": b.txt("term.clawback"), "value": b.txt("term.clawback_text", days=plan.clawback_days)})
    if plan.payout_cap:
        rows.append({"item": b.txt("term.payout_cap"), "value": b.money(plan.payout_cap)})
    for reward in plan.non_cash:
        rows.append({"item": b.txt("term.non_cash"),
                     "value": b.txt("term.non_cash_text", reward=incentives.reward_text(reward.reward, b.lang),
                                    attainment=fmt.pct(reward.min_attainment, 0))})
    return rows


def _incentives(b: _Build) -> Slide:
    plan, name = b.plan
    pay = b.payouts
    total = incentives.summary(pay)
    figs = {
        "total": Figure(b.txt("fig.total_payout"), b.money(total["total"])),
        "cost_of_sales": Figure(b.txt("fig.cost_of_sales"), fmt.pct(total["cost_of_sales"])),
        "revenue_won": Figure(t("metric.revenue_won", b.lang), b.money(total["revenue_won"])),
        "reps_paid": Figure(b.txt("fig.reps_paid"), f"{total['reps_paid']} / {total['reps']}"),
    }
    notes = []
    if b.active is None:
        notes.append(b.txt("note.template_plan"))
    elif not b.active.in_force:
        notes.append(b.txt("note.plan_not_in_force", plan=name))
    if b.pay_period != b.period:
        notes.append(b.txt("note.pay_period", kind=b.txt(f"kind.{plan.period}"), period=b.pay_period.label,
                            meeting=b.period.label))
    table = _table(_plan_terms(b, plan), {"item": b.txt("col.item"), "value": b.txt("col.value_text")})
    chart = charts.payout_distribution(pay, b.lang, b.currency) if len(pay) else None
    return Slide("incentives", b.txt("slide.incentives"), b.txt("sub.incentives", plan=name, period=b.pay_period.label),
                 "chart_table" if chart is not None else "table", figs, table, chart, notes=tuple(notes))


#: The payouts slide's amount columns, in the Incentives page's order and words
#: (incentives.col.*); carried_balance and adjustment only when a rep has one.
_PAY_COLUMNS = ("base_bonus", "commission", "accelerator_extra", "decelerator_cut", "spiffs", "override",
                "clawback", "carried_balance", "adjustment", "total")


def _payouts(b: _Build) -> Slide:
    _, name = b.plan
    pay = b.payouts.sort_values(["total", "rep"], ascending=[False, True])
    shown = pay.head(MAX_ROWS["payouts"])
    # deductions negative, as on the Incentives page and every statement (incentives.signed)
    signed = incentives.signed(shown)
    money = [c for c in _PAY_COLUMNS if c in signed
             and (c not in ("carried_balance", "adjustment", "override") or signed[c].fillna(0).any())]
    rows = [{"rep": r["rep"], "team": r["team"], "attainment": _pct0(r["attainment"]),
             **{c: b.amount(r[c] if not _missing(r[c]) else 0.0) for c in money},
             "cost_of_sales": _pct0(r["cost_of_sales"])} for r in signed.to_dict("records")]
    columns = {"rep": b.txt("col.rep"), "team": b.txt("col.team"), "attainment": b.txt("col.attainment"),
               **{c: t(f"incentives.col.{c}", b.lang) for c in money},
               "cost_of_sales": t("incentives.col.cost_of_sales", b.lang)}
    table = _table(rows, columns)
    notes = [b.txt("note.more_rows", n=len(pay) - len(shown))] if len(pay) > len(shown) else []
    notes.append(b.txt("note.confidential"))
    return Slide("payouts", b.txt("slide.payouts"), b.txt("sub.incentives", plan=name, period=b.pay_period.label),
                 "table", {}, table, None, manager_only=True, notes=tuple(notes))


def _retention(b: _Build) -> Slide:
    frame = b.quadrant
    risky = retention.at_risk(frame)
    climate = retention.climate(frame)
    figs = {"at_risk": Figure(b.txt("fig.at_risk"), str(climate["at_risk"])),
            "top_at_risk": Figure(b.txt("fig.top_at_risk"), str(int(risky["top_performer"].sum()))),
            "placed": Figure(b.txt("fig.placed"), f"{climate['placed']} / {climate['reps']}")}
    sub = b.txt("sub.retention", plan=b.plan[1], period=b.pay_period.label)
    if risky.empty:
        return Slide("retention", b.txt("slide.retention"), sub, "text", figs, manager_only=True,
                     notes=(b.txt("note.no_risk"),))
    shown = risky.head(MAX_ROWS["retention"])
    star = b.txt("top_performer")
    rows = [{"rep": r.rep + (f" {star}" if r.top_performer else ""), "team": r.team,
             "quadrant": t(f"retention.quadrant.{r.quadrant}", b.lang),
             "difficulty": _pct0(r.difficulty), "reward": _pct0(r.reward),
             "attainment": _pct0(r.attainment), "action": t(f"retention.action.{r.action}", b.lang)}
            for r in shown.itertuples()]
    table = _table(rows, _cols(b, "rep", "team", "quadrant", "difficulty", "reward", "attainment", "action"))
    notes = [b.txt("note.retention_how", star=star)]
    if len(risky) > len(shown):
        notes.insert(0, b.txt("note.more_rows", n=len(risky) - len(shown)))
    return Slide("retention", b.txt("slide.retention"), sub, "table", figs, table, None,
                 manager_only=True, notes=tuple(notes))


def _progress_long(b: _Build, progress: pd.DataFrame, rule_label: Mapping[str, str]) -> pd.DataFrame:
    """evaluation.progress_states with labels: rule_label, state, state_label, count."""
    long = evaluation.progress_states(progress)
    return pd.DataFrame({"rule_label": long["rule"].map(rule_label), "state": long["state"],
                         "state_label": long["state"].map(lambda s: b.txt(f"state.{s}")),
                         "count": long["count"]})


def _actions(b: _Build) -> Slide:
    items = b.q(evaluation.list_actions, b.when)
    title, sub = b.txt("slide.actions"), b.txt("sub.actions", date=b.when.isoformat())
    if items.empty:
        return Slide("actions", title, sub, "text", notes=(b.txt("note.no_actions"),))
    count = evaluation.action_counts(items)
    figs = {"total": Figure(b.txt("fig.actions"), str(count["total"])),
            "done": Figure(b.txt("fig.done"), f"{count['done']} ({fmt.pct(count['share_done'], 0)})"),
            "overdue": Figure(b.txt("fig.overdue"), str(count["overdue"]), delta_color="inverse")}
    progress = b.q(evaluation.progress_by_rule, b.when)
    rule_label = {r: b.txt(f"rule.{r}") if r in evaluation.RULES else (r or "—") for r in progress["rule"]}
    chart = charts.meeting_actions(_progress_long(b, progress, rule_label), b.lang) if len(progress) else None
    # open items first, overdue on top (list_actions is by due date)
    open_items = items[~items["status"].fillna("").isin(evaluation.CLOSED_STATUSES)]
    open_items = open_items.sort_values("overdue", ascending=False, kind="stable")
    shown = open_items.head(MAX_ROWS["actions"])
    status_label = {s: b.txt(f"status.{s}") for s in evaluation.STATUSES}
    overdue_label = b.txt("state.overdue")
    rows = [{"title": b.scrub(str(r.title)),
             "rule": b.txt(f"rule.{r.rule}") if r.rule in evaluation.RULES else (r.rule or "—"),
             "owner": b.scrub(r.owner) if isinstance(r.owner, str) and r.owner else "—",
             "due_date": r.due_date.isoformat() if r.due_date else "—",
             "status": status_label.get(r.status, r.status or "—") + (f" · {overdue_label}" if r.overdue else "")}
            for r in shown.itertuples()]
    table = _table(rows, _cols(b, "title", "rule", "owner", "due_date", "status"))
    notes = []
    if len(open_items) > len(shown):
        notes.append(b.txt("note.more_rows", n=len(open_items) - len(shown)))
    if open_items.empty:
        notes.append(b.txt("note.all_closed"))
    kind = "chart_table" if chart is not None else "table"
    return Slide("actions", title, sub, kind, figs, table, chart, notes=tuple(notes))


_BUILDERS: dict[str, Callable[[_Build], Slide]] = {
    "kpis": _kpis, "leaderboard": _leaderboard, "pacing": _pacing, "funnel": _funnel,
    "movement": _movement, "incentives": _incentives, "payouts": _payouts, "retention": _retention, "actions": _actions,
}


def slide_keys(rep_safe: bool = False, user: access.User | None = None) -> tuple[str, ...]:
    """The slide keys in meeting order; without MANAGER_ONLY ones when ``rep_safe``, and
    without those whose page ``user`` may not open (SLIDE_PAGES; None: everything)."""
    return tuple(k for k in SLIDE_KEYS if not (rep_safe and k in MANAGER_ONLY) and may_show(user, k))


def left_out(user: access.User | None) -> tuple[str, ...]:
    """The slides ``user``'s role does not get (a viewer: incentives, payouts, retention)."""
    return tuple(k for k in SLIDE_KEYS if not may_show(user, k))


def slide(con: Con, key: str, period: Period, lang: str, *, scope: Scope = Scope(),
          anonymize: bool = False, when: date | None = None, call: Call | None = None) -> Slide:
    """One slide (``key`` from SLIDE_KEYS) for ``period`` and ``scope``; ``when`` is the data's
    "today" (default: its last date). With ``call`` every library query goes through it (the
    Meeting page passes its cache, shared with the pages that make the same calls)."""
    if key not in _BUILDERS:
        raise SalesCoreError(f"Unknown slide {key!r}.", key="error.generic")
    if not may_show(audience(con), key):
        raise SalesCoreError("This slide is not shown to your role.", key="meeting.access.not_for_role")
    return _BUILDERS[key](_Build(con, period, lang, scope, when, anonymize, call))


def slides(con: Con, period: Period, lang: str, *, scope: Scope = Scope(), anonymize: bool = False,
           rep_safe: bool = False, when: date | None = None) -> list[Slide]:
    """Every slide of the meeting in order (see :func:`slide`); shared figures are computed once."""
    build = _Build(con, period, lang, scope, when, anonymize)
    return [_BUILDERS[k](build) for k in slide_keys(rep_safe, build.user)]

