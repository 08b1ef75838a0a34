"""The team-meeting pack: slides built from the library, as a PPTX deck and PNG charts.

:func:`slides` turns the figures other modules compute (metrics, goals, incentives, retention,
evaluation) into a list of :class:`Slide` objects; nothing is recomputed here, the slides only
choose, label and format. The Meeting page draws them one at a time; :func:`deck_pptx` writes
the same slides to a 16:9 PowerPoint file (charts as PNG pictures rendered by vl-convert,
tables as real PowerPoint tables); :func:`chart_png` renders one chart.

Options: ``anonymize`` replaces every sales rep's name by initials (``Emma Carter`` -> ``E.C.``,
``张伟`` -> ``张某``) in figures, tables, notes and charts alike; ``rep_safe`` leaves out the
manager-only slides (the retention watch-list and individual payouts).

Fonts: chart PNGs use the system fonts (Debian ``fonts-noto-cjk`` for Chinese); the deck names
an East Asian typeface (``a:ea``) on every text run so PowerPoint picks a CJK font.
"""
from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

import altair as alt
import duckdb
import pandas as pd

from salescore import charts, evaluation, fmt, goals, incentives, metrics, retention
from salescore.errors import SalesCoreError
from salescore.i18n import t
from salescore.metrics import Scope
from salescore.periods import Period

Con = duckdb.DuckDBPyConnection
#: ``call(fn, *args, **kwargs)`` -> ``fn(con, *args, **kwargs)``, e.g. the page's cached ui.query.
Call = Callable[..., Any]

#: The slides in meeting order (DESIGN §7 "Meeting"); MANAGER_ONLY are left out when rep-safe.
SLIDE_KEYS = ("kpis", "leaderboard", "pacing", "funnel", "incentives", "payouts", "retention", "actions")
MANAGER_ONLY = frozenset({"payouts", "retention"})
#: Layouts a slide can have (what the page and the deck draw, top to bottom / left to right).
KINDS = ("figures", "chart", "table", "chart_table", "text")

#: Rows at most in one slide table (a projector shows ~15 readable rows).
MAX_ROWS = {"leaderboard": 10, "retention": 12, "actions": 12, "payouts": 24}

#: Deck geometry (inches): 16:9 and the content box under the title.
SLIDE_W, SLIDE_H = 12192000 / 914400, 7.5   # PowerPoint's own 16:9 (12,192,000 EMU)
MARGIN = 0.45
#: Chart pixels per inch of slide (72: a 12 px chart label shows as 12 pt); PNGs are rendered
#: at this size x scale (2 = sharp on a 4K projector).
PX_PER_IN = 72
#: East Asian and Latin typefaces named on every run of the deck.
EA_FONT = "Microsoft YaHei"
LATIN_FONT = "Calibri"


@dataclass(frozen=True)
class Figure:
    """One big number: label, value (formatted), delta (formatted or None), delta_color
    ('normal' = up is good, 'inverse' = down is good, 'off'), help."""

    label: str
    value: str
    delta: str | None = None
    delta_color: str = "normal"
    help: str | None = None


@dataclass(frozen=True, eq=False)
class Slide:
    """One meeting slide, in the chosen language and with the anonymity already applied.

    key (SLIDE_KEYS), title, subtitle, kind (KINDS), figures ({code name: Figure}, in display
    order), table (display-ready: translated headers, formatted text; None without one), chart
    (an Altair chart or None), manager_only, notes (sentences shown under the slide).
    """

    key: str
    title: str
    subtitle: str
    kind: str
    figures: dict[str, Figure] = field(default_factory=dict)
    table: pd.DataFrame | None = None
    chart: alt.TopLevelMixin | None = None
    manager_only: bool = False
    notes: tuple[str, ...] = ()


# --- names -----------------------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
                      "令狐", "夏侯", "司徒", "宇文", "端木", "南宫")
_DUPLICATE_MARKS = "甲乙丙丁戊己庚辛壬癸"


def initials(name: str) -> str:
    """A name shortened for an all-hands slide: Latin names to their initials (``Emma Carter``
    -> ``E.C.``), Chinese names to the surname + 某 (``张伟`` -> ``张某``, ``欧阳娜娜`` -> ``欧阳某``)."""
    text = str(name).strip()
    if not text:
        return text
    if _CJK.match(text):
        surname = next((s for s in _COMPOUND_SURNAMES if text.startswith(s) and len(text) > 2), text[0])
        return surname + "某"
    words = [w for w in re.split(r"[\s._\-]+", text) if w]
    return "".join(w[0].upper() + "." for w in words)


def aliases(names: list[str]) -> dict[str, str]:
    """name -> a unique alias (:func:`initials`; repeats get 甲/乙/... for Chinese, (2), (3) ...
    otherwise), in the order given (so the same list always gives the same aliases)."""
    out: dict[str, str] = {}
    seen: dict[str, int] = {}
    for name in dict.fromkeys(str(n) for n in names if n is not None and str(n).strip()):
        base = initials(name)
        n = seen.get(base, 0)
        seen[base] = n + 1
        if n == 0:
            out[name] = base
        elif base.endswith("某") and n < len(_DUPLICATE_MARKS):
            out[name] = base + _DUPLICATE_MARKS[n]
        else:
            out[name] = f"{base} ({n + 1})"
    return out


def rep_names(con: Con) -> list[str]:
    """Every rep's name (active or not), by rep_id: what anonymizing must cover."""
    with con.cursor() as cur:
        rows = cur.execute("select name from reps where name is not null order by rep_id").fetchall()
    return [r[0] for r in rows]


# --- the figures behind the slides -------------------------------------------------------------

class _Build:
    """The library calls for one meeting (period, scope, language), each made at most once, with
    rep names already replaced when anonymizing."""

    def __init__(self, con: Con, period: Period, lang: str, scope: Scope, when: date | None,
                 anonymize: bool, call: Call | None = None) -> None:
        self.con, self.period, self.lang, self.scope, self.call = con, period, lang, scope, call
        self.when = when or self.q(metrics.as_of)
        if self.when is None:
            raise SalesCoreError("There is no sales data yet: load the demo or import your files first.",
                                 key="common.no_data")
        self.alias = aliases(self.q(rep_names)) if anonymize else {}

    def q(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(con, *args, **kwargs)``, through ``call`` when given (the page's cache)."""
        if self.call is not None:
            return self.call(fn, *args, **kwargs)
        return fn(self.con, *args, **kwargs)

    # names
    def name(self, value: Any) -> Any:
        return self.alias.get(value, value) if isinstance(value, str) else value

    def scrub(self, text: Any) -> Any:
        """Free text (an action's title) with every rep name in it replaced by its alias."""
        if not self.alias or not isinstance(text, str):
            return text
        for name in sorted(self.alias, key=len, reverse=True):
            text = text.replace(name, self.alias[name])
        return text

    def names(self, frame: pd.DataFrame, *cols: str) -> pd.DataFrame:
        if not self.alias or frame.empty:
            return frame
        out = frame.copy()
        for col in cols:
            if col in out:
                out[col] = out[col].map(self.name)
        return out

    def txt(self, key: str, **params: Any) -> str:
        return t(f"meeting.{key}", self.lang, **params)

    def money(self, value: Any) -> str:
        return fmt.money(value, self.lang, wan=True)

    @property
    def scope_label(self) -> str:
        return self.scope.team or self.txt("all_teams")

    # figures
    @cached_property
    def previous(self) -> Period:
        return self.period.previous()

    @cached_property
    def now(self) -> dict[str, Any]:
        return self.q(metrics.kpis, self.period.start, self.period.end, self.scope)

    @cached_property
    def before(self) -> dict[str, Any]:
        return self.q(metrics.kpis, self.previous.start, self.previous.end, self.scope)

    @cached_property
    def share(self) -> float:
        return metrics.pace(self.period, self.when)

    @cached_property
    def reps(self) -> pd.DataFrame:
        frame = self.q(metrics.by_group, self.period.start, self.period.end, "rep", self.scope)
        return self.names(frame, "rep")

    @cached_property
    def teams(self) -> pd.DataFrame:
        return self.q(metrics.by_group, self.period.start, self.period.end, "team", self.scope)

    @cached_property
    def trend(self) -> pd.DataFrame:
        start = self.period.end.replace(day=1)
        start = start.replace(year=start.year - 1) if self.period.kind != "year" else self.period.start
        return self.q(metrics.monthly, start, self.period.end, self.scope)

    @cached_property
    def active(self) -> retention.ActivePlan | None:
        return self.q(retention.active_plan, min(self.period.end, self.when))

    @cached_property
    def plan(self) -> tuple[incentives.Plan, str]:
        """The plan in force (the Standard template when none is saved) and its display name."""
        if self.active is not None:
            return self.active.plan, self.active.name
        plan = incentives.template("standard")
        return plan, plan.name

    @cached_property
    def pay_period(self) -> Period:
        """The pay period shown: the plan's kind, containing the meeting period, or the latest
        complete one when that is still running (as the Retention page)."""
        return retention.default_period(self.when, self.period, self.plan[0].period)

    @cached_property
    def payouts(self) -> pd.DataFrame:
        frame = self.q(incentives.payouts, self.plan[0], self.pay_period, self.scope)
        return self.names(frame, "rep")

    @cached_property
    def pacing(self) -> pd.DataFrame:
        return self.q(goals.pacing, self.period, self.when, self.scope)

    @cached_property
    def funnel(self) -> pd.DataFrame:
        return self.q(metrics.funnel_compare, self.period.start, self.period.end, self.scope, None)

    @cached_property
    def quadrant(self) -> pd.DataFrame:
        frame = self.q(retention.quadrant, self.plan[0], self.pay_period, self.scope)
        return self.names(frame, "rep")


# --- formatting helpers ----------------------------------------------------------------------

def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _change(now: Any, before: Any) -> float | None:
    if _missing(now) or _missing(before) or not before:
        return None
    return float(now) / float(before) - 1


def _table(rows: list[dict[str, str]], columns: Mapping[str, str]) -> pd.DataFrame:
    """Display rows (code name -> text) as a frame with translated headers, in ``columns`` order."""
    frame = pd.DataFrame(rows, columns=list(columns), dtype="object")
    return frame.rename(columns=dict(columns)).reset_index(drop=True)


def _cols(b: _Build, *codes: str) -> dict[str, str]:
    return {c: b.txt(f"col.{c}") for c in codes}


def _pct0(value: Any) -> str:
    """A share as a whole percentage ('113%'), '—' when missing: table cells on a projector."""
    return fmt.pct(value, 0)


# --- the slides ------------------------------------------------------------------------------

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
                 "figures", figs, None, charts.revenue_trend(b.trend, lang), notes=tuple(notes))


def _leaderboard(b: _Build) -> Slide:
    lang = b.lang
    # recognition() marks each team's champion; with the plan's own period the non-cash rewards
    # earned come along, otherwise the period's rep figures stand in (no rewards to show)
    same = b.pay_period == b.period
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
             "recognition": joiner.join(([star] if r.champion else []) + [str(x) for x in r.non_cash])}
            for r in top.itertuples()]
    table = _table(rows, _cols(b, "rank", "rep", "team", "revenue_won", "attainment", "win_rate", "recognition"))
    champs = board[board["champion"]].sort_values(["team", "rep"])
    sep = "；" if lang == "zh" else "; "
    notes = [b.txt("note.champions", names=sep.join(f"{r.team} {r.rep} ({b.money(r.revenue_won)})"
                                                     for r in champs.itertuples()))]
    chart = charts.leaderboard(top[["rep", "revenue_won", "team"]], lang)
    return Slide("leaderboard", b.txt("slide.leaderboard"), b.txt("sub.leaderboard", period=b.period.label),
                 "chart_table", {}, table, chart, notes=tuple(notes))


def _pacing(b: _Build) -> Slide:
    lang = b.lang
    teams = b.pacing[b.pacing["level"] == "team"].reset_index(drop=True)
    elapsed, total = goals.time_elapsed(b.period, b.when)
    light_label = {k: b.txt(f"light.{k}") for k in goals.LIGHTS}
    figs = {
        "time": Figure(b.txt("fig.time_elapsed"), fmt.pct(elapsed / total if total else 1.0, 0),
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
    chart = charts.funnel_stages(frame.assign(stage_label=frame["stage"].map(label)), lang)
    return Slide("funnel", title, sub, "chart_table", figs, table, chart, notes=tuple(notes))


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
                     "value": b.txt("term.non_cash_text", reward=reward.reward,
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
    chart = charts.payout_distribution(pay, b.lang) if len(pay) else None
    return Slide("incentives", b.txt("slide.incentives"), b.txt("sub.incentives", plan=name, period=b.pay_period.label),
                 "chart_table" if chart is not None else "table", figs, table, chart, notes=tuple(notes))


def _payouts(b: _Build) -> Slide:
    _, name = b.plan
    pay = b.payouts.sort_values(["total", "rep"], ascending=[False, True])
    shown = pay.head(MAX_ROWS["payouts"])
    rows = [{"rep": r.rep, "team": r.team, "attainment": _pct0(r.attainment),
             "base_bonus": fmt.money(r.base_bonus, b.lang), "commission": fmt.money(r.commission, b.lang),
             "accelerator_extra": fmt.money(r.accelerator_extra, b.lang),
             "decelerator_cut": fmt.money(-r.decelerator_cut if r.decelerator_cut else 0, b.lang),
             "spiffs": fmt.money(r.spiffs, b.lang), "total": fmt.money(r.total, b.lang),
             "cost_of_sales": _pct0(r.cost_of_sales)} for r in shown.itertuples()]
    table = _table(rows, _cols(b, "rep", "team", "attainment", "base_bonus", "commission", "accelerator_extra",
                               "decelerator_cut", "spiffs", "total", "cost_of_sales"))
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
             "quadrant": b.txt(f"quadrant.{r.quadrant}"),
             "difficulty": _pct0(r.difficulty), "reward": _pct0(r.reward),
             "attainment": _pct0(r.attainment), "action": b.txt(f"action.{r.action}")}
            for r in shown.itertuples()]
    table = _table(rows, _cols(b, "rep", "team", "quadrant", "difficulty", "reward", "attainment", "action"))
    notes = [b.txt("note.retention_how", star=star)]
    if len(risky) > len(shown):
        notes.insert(0, b.txt("note.more_rows", n=len(risky) - len(shown)))
    return Slide("retention", b.txt("slide.retention"), sub, "table", figs, table, None,
                 manager_only=True, notes=tuple(notes))


def _progress_long(b: _Build, progress: pd.DataFrame, rule_label: Mapping[str, str]) -> pd.DataFrame:
    """evaluation.progress_by_rule as one row per (rule, state): done, open on time, overdue.
    Columns: rule_label, state, state_label, count."""
    parts = {"done": progress["done"], "overdue": progress["overdue"],
             "open": progress["total"] - progress["done"] - progress["overdue"]}
    frames = [pd.DataFrame({"rule_label": progress["rule"].map(rule_label), "state": state,
                            "state_label": b.txt(f"state.{state}"), "count": counts.astype("int64")})
              for state, counts in parts.items()]
    return pd.concat(frames, ignore_index=True)


def _actions(b: _Build) -> Slide:
    items = b.q(evaluation.list_actions, b.when)
    title, sub = b.txt("slide.actions"), b.txt("sub.actions", date=b.when.isoformat())
    if items.empty:
        return Slide("actions", title, sub, "text", notes=(b.txt("note.no_actions"),))
    live = items[items["status"].fillna("") != "dropped"]
    done = int((live["status"] == "done").sum())
    overdue = int(items["overdue"].sum())
    figs = {"total": Figure(b.txt("fig.actions"), str(len(live))),
            "done": Figure(b.txt("fig.done"), f"{done} ({fmt.pct(done / len(live) if len(live) else None, 0)})"),
            "overdue": Figure(b.txt("fig.overdue"), str(overdue), delta_color="inverse")}
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
    "incentives": _incentives, "payouts": _payouts, "retention": _retention, "actions": _actions,
}


def slide_keys(rep_safe: bool = False) -> tuple[str, ...]:
    """The slide keys in meeting order; without MANAGER_ONLY ones when ``rep_safe``."""
    return tuple(k for k in SLIDE_KEYS if not (rep_safe and k in MANAGER_ONLY))


def slide(con: Con, key: str, period: Period, lang: str, *, scope: Scope = Scope(),
          anonymize: bool = False, when: date | None = None, call: Call | None = None) -> Slide:
    """One slide (``key`` from SLIDE_KEYS) for ``period`` and ``scope``; ``when`` is the data's
    "today" (default: its last date). With ``call`` every library query goes through it (the
    Meeting page passes its cache, shared with the pages that make the same calls)."""
    if key not in _BUILDERS:
        raise SalesCoreError(f"Unknown slide {key!r}.", key="error.generic")
    return _BUILDERS[key](_Build(con, period, lang, scope, when, anonymize, call))


def slides(con: Con, period: Period, lang: str, *, scope: Scope = Scope(), anonymize: bool = False,
           rep_safe: bool = False, when: date | None = None) -> list[Slide]:
    """Every slide of the meeting in order (see :func:`slide`); shared figures are computed once."""
    build = _Build(con, period, lang, scope, when, anonymize)
    return [_BUILDERS[k](build) for k in slide_keys(rep_safe)]


# --- PNG ---------------------------------------------------------------------------------------

def sized(chart: alt.TopLevelMixin, width: int, height: int) -> alt.TopLevelMixin:
    """The chart drawn to exactly ``width`` x ``height`` pixels (legend and axes included)."""
    return chart.properties(width=width, height=height,
                            autosize=alt.AutoSizeParams(type="fit", contains="padding"))


def chart_png(chart: alt.TopLevelMixin, scale: float = 2, *, width: int | None = None,
              height: int | None = None) -> bytes:
    """The chart as PNG bytes (vl-convert, system fonts); with ``width`` and ``height`` the image
    is exactly (width x scale) x (height x scale) pixels. The first call warms the engine (~1 s)."""
    import vl_convert

    if width and height:
        chart = sized(chart, width, height)
    return vl_convert.vegalite_to_png(chart.to_json(), scale=scale)


def _units(text: Any) -> int:
    """Text width in half-em units: CJK characters and symbols such as ★ count 2, others 1."""
    value = str(text)
    return len(value) + sum(1 for ch in value if ord(ch) >= 0x2000 and ch not in "—–→≥≤")


#: Inches per half-em unit at 1 pt (an average Latin glyph is ~0.55 em; 0.62 leaves room for wider
#: substitutes of the named fonts), cell padding, line gap.
_UNIT_IN, _CELL_PAD, _LINE = 0.62 / 72, 0.14, 1.25
_TABLE_SIZES = (14, 13, 12, 11, 10, 9, 8)
#: A column wider than this (half-em units) wraps its text instead of widening the table.
_WRAP_UNITS = 24


def _measure(frame: pd.DataFrame) -> tuple[list[list[str]], list[list[int]], list[int]]:
    """Per column: its cells as text (header first), their widths in units, and the column's
    width in units. A bold header is ~10 % wider than body text and may wrap between words (CJK
    anywhere), so a column is as wide as its body text or its header's longest word."""
    cells = [[str(c)] + ["" if _missing(v) else str(v) for v in frame[c]] for c in frame.columns]
    units = [[max(1, math.ceil(_units(v) * (1.1 if i == 0 else 1))) for i, v in enumerate(col)] for col in cells]
    header_min = [max([math.ceil(_units(w) * 1.1) for w in col[0].split()] + [1]) for col in cells]
    header_min = [min(h, 8) if _CJK.search(col[0]) else h for h, col in zip(header_min, cells)]
    return cells, units, [max(u[1:] + [header_min[j]]) for j, u in enumerate(units)]


def _table_layout(frame: pd.DataFrame, width: float, height: float) -> tuple[int, list[float], list[float]]:
    """(font size in pt, column widths, row heights) in inches for ``frame`` as a table in a
    ``width`` x ``height`` box: the largest size at which every column fits (long text columns
    wrap) and all rows fit in the height; 8 pt at worst."""
    cells, units, widest = _measure(frame)
    for size in _TABLE_SIZES:
        unit = _UNIT_IN * size
        natural = [w * unit + _CELL_PAD for w in widest]
        widths = list(natural)
        if sum(natural) > width:  # wrap the long text columns into what the short ones leave
            fixed = [j for j, w in enumerate(widest) if w <= _WRAP_UNITS]
            flex = [j for j in range(len(widest)) if j not in fixed]
            room = width - sum(natural[j] for j in fixed)
            flex_total = sum(natural[j] for j in flex)
            if not flex or room < len(flex) * (8 * unit + _CELL_PAD):
                continue
            for j in flex:
                widths[j] = room * natural[j] / flex_total
        else:  # spread the spare width in proportion
            widths = [w * width / sum(natural) for w in natural]
        lines = [max(-(-int(units[j][i] * unit * 1000) // int(max(widths[j] - _CELL_PAD, 0.01) * 1000))
                     for j in range(len(units))) for i in range(len(cells[0]))]
        rows = [n * size / 72 * _LINE + 0.06 for n in lines]
        if sum(rows) <= height:
            return size, widths, rows
    return _TABLE_SIZES[-1], widths, rows


def _note_lines(notes: tuple[str, ...], width: float, size: float = 13) -> int:
    per_line = width / (_UNIT_IN * size)
    return sum(max(1, -(-_units("• " + n) // int(per_line))) for n in notes[:3])


def _boxes(s: Slide) -> dict[str, tuple[float, float, float, float]]:
    """Where each part of a slide goes on the 16:9 page: name -> (left, top, width, height) in
    inches, for figures / chart / table / notes. Beside a chart, a table gets the width its
    text needs at 14 pt (between 38 % and 60 % of the page)."""
    top, bottom = 1.45, SLIDE_H - 0.4
    out: dict[str, tuple[float, float, float, float]] = {}
    full = SLIDE_W - 2 * MARGIN
    if s.figures:
        out["figures"] = (MARGIN, top, full, 1.15)
        top += 1.35
    has_chart, has_table = s.chart is not None, s.table is not None and not s.table.empty
    if s.notes and not (has_chart or has_table):  # a text slide: the notes are the content
        out["notes"] = (MARGIN, top + 0.2, full, bottom - top - 0.2)
        return out
    if s.notes:
        height = 0.27 * _note_lines(s.notes, full) + 0.1
        out["notes"] = (MARGIN, bottom - height, full, height)
        bottom -= height + 0.1
    height = max(1.0, bottom - top)
    if has_chart and has_table:
        needed = sum(w * _UNIT_IN * 14 + _CELL_PAD for w in _measure(s.table)[2])
        table_w = min(max(needed, 0.38 * full), 0.60 * full)
        chart_w = full - table_w - 0.25
        out["chart"] = (MARGIN, top, chart_w, height)
        out["table"] = (MARGIN + chart_w + 0.25, top, table_w, height)
    elif has_chart:
        out["chart"] = (MARGIN, top, full, height)
    elif has_table:
        out["table"] = (MARGIN, top, full, height)
    return out


def slide_png(s: Slide, scale: float = 2) -> bytes | None:
    """The slide's chart as PNG at the size it has in the deck (None without a chart)."""
    if s.chart is None:
        return None
    _, _, w, h = _boxes(s)["chart"]
    return chart_png(s.chart, scale, width=int(w * PX_PER_IN), height=int(h * PX_PER_IN))


# --- PPTX --------------------------------------------------------------------------------------

_NUMERIC = re.compile(r"^[\s+\-−¥$€%.,\d万亿kM×/()—]+$")


def _fonts(run: Any) -> None:
    """Name a Latin and an East Asian typeface on ``run`` (a:latin, a:ea) so Chinese renders
    in a CJK font in PowerPoint, Keynote and LibreOffice alike."""
    from pptx.oxml.ns import qn

    run.font.name = LATIN_FONT
    rpr = run._r.get_or_add_rPr()
    ea = rpr.find(qn("a:ea"))
    if ea is None:
        ea = rpr.makeelement(qn("a:ea"), {})
        rpr.find(qn("a:latin")).addnext(ea)  # schema order: latin, ea, cs, ...
    ea.set("typeface", EA_FONT)


def _text(frame: Any, lines: list[str] | str, size: float, *, bold: bool = False, color: str = "111827",
          align: Any = None) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    frame.word_wrap = True
    lines = [lines] if isinstance(lines, str) else lines
    for i, line in enumerate(lines):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        if i == 0:
            for r in list(para.runs):
                r._r.getparent().remove(r._r)
        if align is not None:
            para.alignment = align
        # the end-of-paragraph size sets an empty cell's height (default 18 pt otherwise)
        para._p.get_or_add_endParaRPr().set("sz", str(int(size * 100)))
        if not line:
            continue
        run = para.add_run()
        run.text = line
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = RGBColor.from_string(color)
        _fonts(run)


def _textbox(page: Any, box: tuple[float, float, float, float], lines: list[str] | str, size: float,
             **kw: Any) -> Any:
    from pptx.util import Inches

    shape = page.shapes.add_textbox(*(Inches(v) for v in box))
    _text(shape.text_frame, lines, size, **kw)
    return shape


def _title(page: Any, text: str, subtitle: str) -> None:
    from pptx.util import Inches

    shape = page.shapes.title
    shape.left, shape.top, shape.width, shape.height = Inches(MARGIN), Inches(0.3), Inches(SLIDE_W - 2 * MARGIN), Inches(0.75)
    _text(shape.text_frame, text, 30, bold=True)
    from pptx.enum.text import PP_ALIGN
    shape.text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT
    _textbox(page, (MARGIN, 1.0, SLIDE_W - 2 * MARGIN, 0.4), subtitle, 14, color="64748B")


def _figures(page: Any, box: tuple[float, float, float, float], figures: Mapping[str, Figure]) -> None:
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches, Pt

    left, top, width, height = box
    n = len(figures)
    gap = 0.2
    w = (width - gap * (n - 1)) / n
    for i, fig in enumerate(figures.values()):
        x = left + i * (w + gap)
        card = page.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, Inches(x), Inches(top), Inches(w), Inches(height))
        card.adjustments[0] = 0.08
        card.fill.solid()
        card.fill.fore_color.rgb = RGBColor.from_string("F8FAFC")
        card.line.color.rgb = RGBColor.from_string("CBD5E1")
        card.line.width = Pt(0.75)
        card.shadow.inherit = False
        tf = card.text_frame
        tf.margin_left = tf.margin_right = Inches(0.12)
        tf.margin_top = tf.margin_bottom = Inches(0.05)
        _text(tf, fig.label, 12, color="475569", align=PP_ALIGN.CENTER)
        para = tf.add_paragraph()
        para.alignment = PP_ALIGN.CENTER
        run = para.add_run()
        run.text = fig.value
        run.font.size = Pt(26 if n <= 4 else 22)
        run.font.bold = True
        run.font.color.rgb = RGBColor.from_string("111827")
        _fonts(run)
        if fig.delta:
            para = tf.add_paragraph()
            para.alignment = PP_ALIGN.CENTER
            run = para.add_run()
            run.text = fig.delta
            run.font.size = Pt(11)
            negative = fig.delta.lstrip().startswith(("-", "−"))
            good = (not negative) if fig.delta_color == "normal" else negative
            color = "64748B" if fig.delta_color == "off" else ("16A34A" if good else "DC2626")
            run.font.color.rgb = RGBColor.from_string(color)
            _fonts(run)


def _table_shape(page: Any, box: tuple[float, float, float, float], frame: pd.DataFrame) -> None:
    """``frame`` as a real PowerPoint table: header row bold on the theme colour, numbers
    right-aligned, font size and column widths from :func:`_table_layout`."""
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches

    left, top, width, height = box
    size, widths, heights = _table_layout(frame, width, height)
    rows, cols = len(frame) + 1, len(frame.columns)
    shape = page.shapes.add_table(rows, cols, Inches(left), Inches(top), Inches(sum(widths)), Inches(sum(heights)))
    table = shape.table
    for j, w in enumerate(widths):
        table.columns[j].width = Inches(w)
    for i, h in enumerate(heights):
        table.rows[i].height = Inches(h)
    numeric = [len(frame) > 0 and all(_NUMERIC.match(str(v)) for v in frame[c] if str(v)) for c in frame.columns]
    for j, col in enumerate(frame.columns):
        values = [str(col)] + ["" if _missing(v) else str(v) for v in frame[col]]
        for i, value in enumerate(values):
            cell = table.cell(i, j)
            cell.margin_left = cell.margin_right = Inches(_CELL_PAD / 2)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            _text(cell.text_frame, value, size, bold=(i == 0), color="FFFFFF" if i == 0 else "111827",
                  align=PP_ALIGN.RIGHT if numeric[j] and i > 0 else None)


def _page(prs: Any, s: Slide, lang: str, number: int, total: int) -> None:
    from pptx.util import Inches

    page = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only": a real title placeholder
    _title(page, s.title, s.subtitle)
    boxes = _boxes(s)
    if "figures" in boxes:
        _figures(page, boxes["figures"], s.figures)
    if "chart" in boxes:
        left, top, w, h = boxes["chart"]
        png = chart_png(s.chart, 2, width=int(w * PX_PER_IN), height=int(h * PX_PER_IN))
        page.shapes.add_picture(io.BytesIO(png), Inches(left), Inches(top), Inches(w), Inches(h))
    if "table" in boxes:
        _table_shape(page, boxes["table"], s.table)
    if "notes" in boxes:
        text_slide = "chart" not in boxes and "table" not in boxes
        _textbox(page, boxes["notes"], [f"• {n}" for n in s.notes[:3]], 22 if text_slide else 13,
                 color="334155")
    footer = t("meeting.footer", lang, n=number, total=total)
    if s.manager_only:
        footer = t("meeting.manager_only", lang) + " · " + footer
    _textbox(page, (SLIDE_W - MARGIN - 4.0, SLIDE_H - 0.4, 4.0, 0.3), footer, 10, color="94A3B8")
    if s.notes:  # all notes also as speaker notes (the slide shows three at most)
        page.notes_slide.notes_text_frame.text = "\n".join(s.notes)


def pptx_bytes(items: list[Slide], lang: str, title: str, subtitle: str) -> bytes:
    """A 16:9 deck: a title slide, then one slide per item (charts as PNG pictures, tables as
    PowerPoint tables, East Asian font named on every run)."""
    from pptx import Presentation
    from pptx.util import Emu, Inches

    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Inches(SLIDE_H)
    first = prs.slides.add_slide(prs.slide_layouts[0])
    head = first.shapes.title
    head.left, head.top, head.width, head.height = Inches(1), Inches(2.3), Inches(SLIDE_W - 2), Inches(1.4)
    _text(head.text_frame, title, 40, bold=True)
    sub = first.placeholders[1]
    sub.left, sub.top, sub.width, sub.height = Inches(1), Inches(3.9), Inches(SLIDE_W - 2), Inches(1.4)
    _text(sub.text_frame, subtitle.split("\n"), 18, color="475569")
    for i, s in enumerate(items, start=1):
        _page(prs, s, lang, i, len(items))
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def deck_pptx(con: Con, period: Period, lang: str, *, anonymize: bool = False, rep_safe: bool = False,
              scope: Scope = Scope(), when: date | None = None) -> bytes:
    """The meeting deck (PPTX bytes) for ``period``: a title slide and every slide of
    :func:`slides` in ``lang``."""
    items = slides(con, period, lang, scope=scope, anonymize=anonymize, rep_safe=rep_safe, when=when)
    day = when or metrics.as_of(con)
    title = t("meeting.deck_title", lang)
    subtitle = t("meeting.deck_subtitle", lang, period=period.label,
                 scope=scope.team or t("meeting.all_teams", lang), date=day.isoformat() if day else "—")
    if rep_safe:
        subtitle += "\n" + t("meeting.deck_rep_safe", lang)
    return pptx_bytes(items, lang, title, subtitle)


def deck_file_name(period: Period, lang: str) -> str:
    """A file name for the deck: salescore_meeting_<period>_<lang>.pptx."""
    return f"salescore_meeting_{period.label}_{lang}.pptx"
