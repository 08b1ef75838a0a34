"""Incentive plans (DESIGN.md section 5) and the payout engine.

A :class:`Plan` is a frozen dataclass built from the §5 JSON (``Plan.from_dict``) and validated
with :class:`PlanError` messages a manager understands. :func:`payouts` returns one row per rep;
:func:`explain` the per-deal and per-component lines that add up to a rep's total. Both come
from one set of lines computed in DuckDB SQL over the whole deals/payments tables
(:func:`lines`), so the table and the explanation can never disagree.

Rules that DESIGN §5 leaves to the engine (stated here so statements can be checked by hand):

- Ordering: a rep's won deals in a period are taken in (close_date, deal_id) order.
- Thresholds are inclusive where §5 says "at": attainment exactly at the gate earns the base
  bonus; exactly at ``below_attainment`` is not cut; a non-cash reward at exactly
  ``min_attainment`` is earned. Revenue exactly at quota x above_attainment is not yet
  accelerated (only revenue *beyond* it). Comparisons allow 1e-9 of float noise.
- Accelerator bands: band k runs from quota x threshold_k to the next threshold; its
  multiplier is the highest multiplier among the thresholds passed (so a lower multiplier
  listed at a higher threshold never lowers pay). accelerator_extra = commission of the part
  in the band x (multiplier - 1).
- Basis ``collected`` (回款): commission is paid on positive payments dated in the period for a
  won deal (any close date), at the deal's tier rate; a payment row with no deal_id pays the
  default rate to the payment's rep. Accelerators apply to cash in proportion to where the
  deal sat in *its own* close period (quota x threshold of that period), so a deal won above
  quota in June and paid in July earns the accelerated rate in July. Payments of open or lost
  deals earn nothing.
- Clawback (the data has no reversal date, so a refund is the reversal): a *refund* is a
  payment row with a negative amount for a deal that had closed (status won, or lost when it
  was marked lost after collection) dated 0..clawback_days days after the deal's close_date.
  It takes back rate(deal) x the refunded amount (x margin_rate under basis ``margin``;
  capped at the deal amount) from the deal's rep in the period of the refund's paid_date.
  Accelerator extra and SPIFFs already paid are not clawed back. Refunds later than
  clawback_days, and deals marked lost with no refund row, are not clawed back (and under
  ``collected`` a refund never reduces the commission basis itself). A plan without
  ``clawback_days`` claws nothing back.
- SPIFFs: every entry pays independently (a 1M first deal can earn a 500k and a 1M SPIFF).
  period_champion ranks reps with revenue_won > 0 within their team (competition ranking:
  1, 1, 3), over all reps even when the scope is one team or one rep.
- total is cut to payout_cap when above it (a ``payout_cap`` line records the cut); a total
  may be negative when clawbacks exceed the rest. Every component is summed unrounded and
  rounded to cents (half up) only in :func:`payouts`; :func:`explain` adds a ``rounding`` line
  so its amounts add up to the rounded total.
- A rep with no quota (no revenue target, or a zero one): attainment NaN, no base bonus, no
  accelerator, no decelerator, flag ``no_quota``; commission and SPIFFs still pay.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from html import escape
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from salescore import audit, db, fmt, i18n, metrics
from salescore.errors import PlanError
from salescore.metrics import Scope
from salescore.periods import Period, containing, parse

Con = duckdb.DuckDBPyConnection

PERIOD_KINDS = ("month", "quarter", "year")
BASES = ("revenue", "margin", "collected")
SPIFF_KINDS = ("new_customer_deal", "period_champion")
EPS = 1e-9

#: Columns of :func:`payouts`, in order.
PAYOUT_COLUMNS = ["rep_id", "rep", "team", "quota", "revenue_won", "margin_won", "attainment",
                  "base_bonus", "commission", "accelerator_extra", "decelerator_cut", "spiffs",
                  "clawback", "total", "non_cash", "cost_of_sales", "flag"]
#: The money components, as explain() names them, in statement order.
COMPONENTS = ("base_bonus", "commission", "accelerator_extra", "decelerator_cut", "spiffs",
              "clawback", "payout_cap", "rounding")
#: What the command line prints per rep (DESIGN §6: the §5 outputs plus "rep").
CLI_FIELDS = ["rep", "rep_id", "team", "quota", "revenue_won", "attainment", "base_bonus",
              "commission", "accelerator_extra", "decelerator_cut", "spiffs", "clawback", "total",
              "non_cash", "cost_of_sales", "flag"]


# --- the plan model ----------------------------------------------------------------------

def _fail(code: str, message: str, **params: Any) -> PlanError:
    return PlanError(message, key=f"error.plans.{code}", **params)


def _num(value: Any, where: str, *, required: bool = True) -> float | None:
    if value is None:
        if required:
            raise _fail("missing", f"{where} is required.", field=where)
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail("number", f"{where} must be a number, not {value!r}.", field=where, value=str(value))
    return float(value)


def _rate(value: Any, where: str) -> float:
    out = _num(value, where)
    if not 0 <= out <= 1:
        raise _fail("rate", f"{where} is {out:g}: a rate must be between 0 and 1 (write 15% as 0.15).",
                    field=where, value=f"{out:g}")
    return out


def _nonneg(value: Any, where: str, *, required: bool = True) -> float | None:
    out = _num(value, where, required=required)
    if out is not None and out < 0:
        raise _fail("negative", f"{where} cannot be negative ({out:g}).", field=where, value=f"{out:g}")
    return out


def _obj(value: Any, where: str, allowed: Iterable[str]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail("object", f"{where} must be a JSON object ({{...}}).", field=where)
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise _fail("unknown_key", f"{where} has an unknown setting {unknown[0]!r}: check the spelling.",
                    field=where, setting=unknown[0])
    return dict(value)


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise _fail("list", f"{where} must be a list ([...]).", field=where)
    return list(value)


def _clean_num(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() and abs(value) >= 1 and abs(value) < 1e15 else value


@dataclass(frozen=True)
class BaseBonus:
    """target_bonus = pct_of_salary x base_salary x months; 0 below ``gate`` attainment, else
    target_bonus x min(attainment, cap)."""

    pct_of_salary: float
    gate: float = 0.0
    cap: float | None = None

    @classmethod
    def from_dict(cls, data: Any) -> BaseBonus:
        d = _obj(data, "base_bonus", ("pct_of_salary", "gate", "cap"))
        out = cls(_rate(d.get("pct_of_salary"), "base_bonus.pct_of_salary"),
                  _nonneg(d.get("gate", 0.0), "base_bonus.gate") or 0.0,
                  _nonneg(d.get("cap"), "base_bonus.cap", required=False))
        if out.cap is not None and out.cap < out.gate:
            raise _fail("cap_below_gate", f"The base bonus cap {out.cap:g} is below its gate {out.gate:g}.",
                        cap=f"{out.cap:g}", gate=f"{out.gate:g}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"pct_of_salary": self.pct_of_salary, "gate": self.gate, "cap": self.cap}


@dataclass(frozen=True)
class Tier:
    """Deals whose product margin_rate >= min_margin pay ``rate`` (the highest such tier wins)."""

    min_margin: float
    rate: float

    def to_dict(self) -> dict[str, Any]:
        return {"min_margin": self.min_margin, "rate": self.rate}


@dataclass(frozen=True)
class Commission:
    """rate(deal) x basis; basis = revenue (amount), margin (amount x margin_rate) or collected (回款)."""

    basis: str = "revenue"
    default_rate: float = 0.0
    tiers: tuple[Tier, ...] = ()

    @classmethod
    def from_dict(cls, data: Any) -> Commission:
        d = _obj(data, "commission", ("basis", "default_rate", "tiers"))
        basis = d.get("basis", "revenue")
        if basis not in BASES:
            raise _fail("basis", f"Commission basis {basis!r} is unknown: use revenue, margin or collected.",
                        value=str(basis))
        tiers = []
        for i, raw in enumerate(_list(d.get("tiers"), "commission.tiers")):
            t = _obj(raw, f"commission.tiers[{i + 1}]", ("min_margin", "rate"))
            tiers.append(Tier(_rate(t.get("min_margin"), f"commission.tiers[{i + 1}].min_margin"),
                              _rate(t.get("rate"), f"commission.tiers[{i + 1}].rate")))
        seen: set[float] = set()
        for tier in tiers:
            if tier.min_margin in seen:
                raise _fail("tiers_overlap",
                            f"Two commission tiers start at the same margin {tier.min_margin:g}: "
                            "keep one rate per margin level.", value=f"{tier.min_margin:g}")
            seen.add(tier.min_margin)
        return cls(basis, _rate(d.get("default_rate", 0.0), "commission.default_rate"),
                   tuple(sorted(tiers, key=lambda t: t.min_margin)))

    def to_dict(self) -> dict[str, Any]:
        return {"basis": self.basis, "default_rate": self.default_rate,
                "tiers": [t.to_dict() for t in self.tiers]}


@dataclass(frozen=True)
class Accelerator:
    """Revenue beyond quota x above_attainment earns its commission x multiplier."""

    above_attainment: float
    multiplier: float

    def to_dict(self) -> dict[str, Any]:
        return {"above_attainment": self.above_attainment, "multiplier": self.multiplier}


@dataclass(frozen=True)
class Decelerator:
    """Attainment below ``below_attainment``: commission x multiplier (cut = commission x (1 - m))."""

    below_attainment: float
    multiplier: float

    def to_dict(self) -> dict[str, Any]:
        return {"below_attainment": self.below_attainment, "multiplier": self.multiplier}


@dataclass(frozen=True)
class Spiff:
    """A special reward: ``new_customer_deal`` (min_amount) or ``period_champion`` (rank)."""

    kind: str
    bonus: float
    min_amount: float | None = None
    rank: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == "new_customer_deal":
            out["min_amount"] = _clean_num(self.min_amount or 0.0)
        else:
            out["rank"] = self.rank
        out["bonus"] = _clean_num(self.bonus)
        return out


@dataclass(frozen=True)
class NonCash:
    """A reward that is listed, never added to cash, from ``min_attainment``."""

    min_attainment: float
    reward: str

    def to_dict(self) -> dict[str, Any]:
        return {"min_attainment": self.min_attainment, "reward": self.reward}


_PLAN_KEYS = ("name", "period", "base_bonus", "commission", "accelerators", "decelerator", "spiffs",
              "clawback_days", "payout_cap", "non_cash")


@dataclass(frozen=True)
class Plan:
    """An incentive plan (DESIGN §5). Every component but name and period is optional."""

    name: str
    period: str = "quarter"
    base_bonus: BaseBonus | None = None
    commission: Commission | None = None
    accelerators: tuple[Accelerator, ...] = ()
    decelerator: Decelerator | None = None
    spiffs: tuple[Spiff, ...] = ()
    clawback_days: int | None = None
    payout_cap: float | None = None
    non_cash: tuple[NonCash, ...] = field(default=())

    @classmethod
    def from_dict(cls, data: Any) -> Plan:
        """Build and validate a plan from the §5 JSON object; raises PlanError."""
        d = _obj(data, "plan", _PLAN_KEYS)
        name = d.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _fail("name", "The plan needs a name.")
        period = d.get("period")
        if period not in PERIOD_KINDS:
            raise _fail("period", f"Plan period {period!r} is unknown: use month, quarter or year.",
                        value=str(period))
        accels = []
        for i, raw in enumerate(_list(d.get("accelerators"), "accelerators")):
            a = _obj(raw, f"accelerators[{i + 1}]", ("above_attainment", "multiplier"))
            acc = Accelerator(_nonneg(a.get("above_attainment"), f"accelerators[{i + 1}].above_attainment"),
                              _num(a.get("multiplier"), f"accelerators[{i + 1}].multiplier"))
            if acc.multiplier < 1:
                raise _fail("multiplier_low",
                            f"Accelerator multiplier {acc.multiplier:g} is below 1: an accelerator "
                            "raises pay (use the decelerator to lower it).", value=f"{acc.multiplier:g}")
            if acc.multiplier > 10:
                raise _fail("multiplier_high", f"Accelerator multiplier {acc.multiplier:g} is above 10.",
                            value=f"{acc.multiplier:g}")
            if any(x.above_attainment == acc.above_attainment for x in accels):
                raise _fail("accel_overlap",
                            f"Two accelerators start at the same attainment {acc.above_attainment:g}.",
                            value=f"{acc.above_attainment:g}")
            accels.append(acc)
        decel = None
        if d.get("decelerator") is not None:
            dd = _obj(d["decelerator"], "decelerator", ("below_attainment", "multiplier"))
            decel = Decelerator(_nonneg(dd.get("below_attainment"), "decelerator.below_attainment"),
                                _rate(dd.get("multiplier"), "decelerator.multiplier"))
        spiffs = []
        for i, raw in enumerate(_list(d.get("spiffs"), "spiffs")):
            where = f"spiffs[{i + 1}]"
            kind = raw.get("kind") if isinstance(raw, Mapping) else None
            if kind not in SPIFF_KINDS:
                raise _fail("spiff_kind", f"Unknown SPIFF kind {kind!r}: use new_customer_deal or "
                            "period_champion.", value=str(kind))
            if kind == "new_customer_deal":
                s = _obj(raw, where, ("kind", "min_amount", "bonus"))
                spiffs.append(Spiff(kind, _nonneg(s.get("bonus"), f"{where}.bonus"),
                                    min_amount=_nonneg(s.get("min_amount", 0), f"{where}.min_amount")))
            else:
                s = _obj(raw, where, ("kind", "rank", "bonus"))
                rank = s.get("rank", 1)
                if isinstance(rank, bool) or not isinstance(rank, (int, float)) or rank < 1 or rank != int(rank):
                    raise _fail("rank", f"Champion rank must be a whole number from 1 ({rank!r}).",
                                value=str(rank))
                spiffs.append(Spiff(kind, _nonneg(s.get("bonus"), f"{where}.bonus"), rank=int(rank)))
        claw = _nonneg(d.get("clawback_days"), "clawback_days", required=False)
        if claw is not None and claw != int(claw):
            raise _fail("whole_days", f"clawback_days must be a whole number of days ({claw:g}).",
                        value=f"{claw:g}")
        rewards = []
        for i, raw in enumerate(_list(d.get("non_cash"), "non_cash")):
            n = _obj(raw, f"non_cash[{i + 1}]", ("min_attainment", "reward"))
            reward = n.get("reward")
            if not isinstance(reward, str) or not reward.strip():
                raise _fail("reward", "Each non-cash reward needs a description.")
            rewards.append(NonCash(_nonneg(n.get("min_attainment"), f"non_cash[{i + 1}].min_attainment"),
                                   reward.strip()))
        return cls(
            name=name.strip(), period=period,
            base_bonus=BaseBonus.from_dict(d["base_bonus"]) if d.get("base_bonus") is not None else None,
            commission=Commission.from_dict(d["commission"]) if d.get("commission") is not None else None,
            accelerators=tuple(sorted(accels, key=lambda a: a.above_attainment)),
            decelerator=decel, spiffs=tuple(spiffs),
            clawback_days=None if claw is None else int(claw),
            payout_cap=_nonneg(d.get("payout_cap"), "payout_cap", required=False),
            non_cash=tuple(rewards))

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Parse the §5 JSON text; invalid JSON is a PlanError too."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, TypeError) as exc:
            detail = f"line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
            raise _fail("json", f"The plan is not valid JSON ({detail}).", detail=detail) from None
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The §5 JSON object (absent components are left out, payout_cap and clawback_days kept)."""
        out: dict[str, Any] = {"name": self.name, "period": self.period}
        if self.base_bonus:
            out["base_bonus"] = self.base_bonus.to_dict()
        if self.commission:
            out["commission"] = self.commission.to_dict()
        if self.accelerators:
            out["accelerators"] = [a.to_dict() for a in self.accelerators]
        if self.decelerator:
            out["decelerator"] = self.decelerator.to_dict()
        if self.spiffs:
            out["spiffs"] = [s.to_dict() for s in self.spiffs]
        out["clawback_days"] = self.clawback_days
        out["payout_cap"] = _clean_num(self.payout_cap)
        if self.non_cash:
            out["non_cash"] = [n.to_dict() for n in self.non_cash]
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


# --- templates ---------------------------------------------------------------------------

TEMPLATES: dict[str, dict[str, Any]] = {
    # DESIGN §5 example, verbatim
    "standard": {
        "name": "Standard", "period": "quarter",
        "base_bonus": {"pct_of_salary": 0.20, "gate": 0.80, "cap": 1.50},
        "commission": {"basis": "revenue", "default_rate": 0.08,
                       "tiers": [{"min_margin": 0.40, "rate": 0.15}]},
        "accelerators": [{"above_attainment": 1.00, "multiplier": 1.5},
                         {"above_attainment": 1.20, "multiplier": 2.0}],
        "decelerator": {"below_attainment": 1.00, "multiplier": 0.8},
        "spiffs": [{"kind": "new_customer_deal", "min_amount": 500000, "bonus": 5000},
                   {"kind": "period_champion", "rank": 1, "bonus": 10000}],
        "clawback_days": 90, "payout_cap": None,
        "non_cash": [{"min_attainment": 1.20, "reward": "2 extra paid leave days"}],
    },
    # common local rule: commission on cash collected (回款), x0.8 under 100%
    "local": {
        "name": "Local practice", "period": "quarter",
        "base_bonus": {"pct_of_salary": 0.20, "gate": 0.80, "cap": 1.20},
        "commission": {"basis": "collected", "default_rate": 0.06,
                       "tiers": [{"min_margin": 0.40, "rate": 0.10}]},
        "decelerator": {"below_attainment": 1.00, "multiplier": 0.8},
        "spiffs": [{"kind": "period_champion", "rank": 1, "bonus": 8000}],
        "clawback_days": 180, "payout_cap": None,
        "non_cash": [{"min_attainment": 1.00, "reward": "Team dinner with the general manager"}],
    },
    # new-account heavy: low base, steep accelerators, big first-deal SPIFFs
    "hunter": {
        "name": "Hunter plan", "period": "quarter",
        "base_bonus": {"pct_of_salary": 0.10, "gate": 0.90, "cap": 1.50},
        "commission": {"basis": "revenue", "default_rate": 0.10,
                       "tiers": [{"min_margin": 0.40, "rate": 0.16}]},
        "accelerators": [{"above_attainment": 1.00, "multiplier": 1.8},
                         {"above_attainment": 1.20, "multiplier": 2.5}],
        "spiffs": [{"kind": "new_customer_deal", "min_amount": 200000, "bonus": 6000},
                   {"kind": "new_customer_deal", "min_amount": 1000000, "bonus": 15000},
                   {"kind": "period_champion", "rank": 1, "bonus": 10000}],
        "clawback_days": 90, "payout_cap": None,
        "non_cash": [{"min_attainment": 1.20, "reward": "Incentive trip"}],
    },
    # retention heavy: high base bonus, commission on margin, long clawback
    "farmer": {
        "name": "Farmer plan", "period": "quarter",
        "base_bonus": {"pct_of_salary": 0.30, "gate": 0.70, "cap": 1.30},
        "commission": {"basis": "margin", "default_rate": 0.12,
                       "tiers": [{"min_margin": 0.40, "rate": 0.18}]},
        "accelerators": [{"above_attainment": 1.10, "multiplier": 1.3}],
        "decelerator": {"below_attainment": 0.90, "multiplier": 0.9},
        "spiffs": [{"kind": "period_champion", "rank": 1, "bonus": 6000}],
        "clawback_days": 180, "payout_cap": None,
        "non_cash": [{"min_attainment": 1.00, "reward": "1 extra paid leave day"}],
    },
}


def template(key: str, name: str | None = None) -> Plan:
    """A template plan (standard, local, hunter, farmer), optionally renamed."""
    if key not in TEMPLATES:
        raise _fail("template", f"Unknown plan template {key!r}.", value=key)
    spec = dict(TEMPLATES[key])
    if name:
        spec["name"] = name
    return Plan.from_dict(spec)


# --- the engine --------------------------------------------------------------------------

def _period(plan: Plan, period: Period | str) -> Period:
    p = parse(period) if isinstance(period, str) else period
    if p.kind != plan.period:
        example = containing(p.start, plan.period).label
        raise _fail("period_kind", f"This plan pays per {plan.period}: choose a {plan.period} "
                    f"(such as {example}), not {p.label}.", kind=plan.period, value=p.label,
                    example=example)
    return p


def _bands(plan: Plan) -> list[tuple[float, float | None, float]]:
    """(lower threshold, upper threshold or None, multiplier) per accelerator band; the band's
    multiplier is the highest of the thresholds passed (running max)."""
    out, best = [], 1.0
    accs = list(plan.accelerators)
    for i, acc in enumerate(accs):
        best = max(best, acc.multiplier)
        upper = accs[i + 1].above_attainment if i + 1 < len(accs) else None
        out.append((acc.above_attainment, upper, best))
    return [b for b in out if b[2] > 1.0]


def _lines_sql(plan: Plan, params: dict[str, Any]) -> str:
    """The SQL that yields every money line of every rep for one period (see module doc).

    Only fixed text and numbered ``$parameters`` are pasted in: plan values are bound.
    """
    comm = plan.commission
    basis = comm.basis if comm else "revenue"
    kind = plan.period  # validated: month / quarter / year
    # rate(deal): the tier with the largest min_margin <= margin_rate, else default_rate
    rate = "$default_rate"
    params["default_rate"] = comm.default_rate if comm else 0.0
    for i, tier in enumerate(comm.tiers if comm else ()):
        params[f"tier_min_{i}"], params[f"tier_rate_{i}"] = tier.min_margin, tier.rate
    cases = " ".join(f"when p.margin_rate >= $tier_min_{i} - 1e-12 then $tier_rate_{i}"
                     for i in reversed(range(len(comm.tiers) if comm else 0)))
    if cases:
        rate = f"case {cases} else $default_rate end"

    parts: list[str] = []
    if comm:
        # commission lines: one per deal (revenue, margin) or per payment (collected)
        if basis == "collected":
            parts.append("""
            select w.rep_id, 'commission' as component, w.deal_id, c.paid_date as day,
                   c.amount as basis, w.rate, 1.0 as multiplier, w.rate * c.amount as amount,
                   c.payment_id as detail
            from cash c join won w on w.deal_id = c.deal_id
            union all
            select c.rep_id, 'commission', null, c.paid_date, c.amount, $default_rate, 1.0,
                   $default_rate * c.amount, c.payment_id
            from cash c where c.deal_id is null and c.rep_id is not null""")
        else:
            b = "w.amount" if basis == "revenue" else "w.amount * coalesce(w.margin, 0)"
            parts.append(f"""
            select w.rep_id, 'commission', w.deal_id, w.close_date, {b}, w.rate, 1.0, w.rate * {b},
                   null
            from won w where w.pstart = $pstart""")
        # accelerator lines: the part of each deal beyond quota x threshold, per band
        for i, (lo, hi, mult) in enumerate(_bands(plan)):
            params[f"band_lo_{i}"], params[f"band_mult_{i}"] = lo, mult
            upper = ("w.cum_before + w.amount" if hi is None
                     else f"least(w.cum_before + w.amount, w.quota * $band_hi_{i})")
            if hi is not None:
                params[f"band_hi_{i}"] = hi
            part = f"greatest({upper} - greatest(w.cum_before, w.quota * $band_lo_{i}), 0)"
            if basis == "collected":
                parts.append(f"""
                select w.rep_id, 'accelerator_extra', w.deal_id, c.paid_date,
                       c.amount * ({part}) / w.amount, w.rate, $band_mult_{i},
                       w.rate * c.amount * ({part}) / w.amount * ($band_mult_{i} - 1), 'band_{i}'
                from cash c join pos w on w.deal_id = c.deal_id
                where w.quota > 0 and {part} > 0""")
            else:
                pb = part if basis == "revenue" else f"({part}) * coalesce(w.margin, 0)"
                parts.append(f"""
                select w.rep_id, 'accelerator_extra', w.deal_id, w.close_date, {pb}, w.rate,
                       $band_mult_{i}, w.rate * {pb} * ($band_mult_{i} - 1), 'band_{i}'
                from pos w where w.quota > 0 and {part} > 0""")
    # SPIFFs
    for i, spiff in enumerate(plan.spiffs):
        params[f"spiff_bonus_{i}"] = spiff.bonus
        if spiff.kind == "new_customer_deal":
            params[f"spiff_min_{i}"] = spiff.min_amount or 0.0
            parts.append(f"""
            select w.rep_id, 'spiffs', w.deal_id, w.close_date, w.amount, null, null,
                   $spiff_bonus_{i}, 'new_customer_deal'
            from won w where w.pstart = $pstart and w.amount >= $spiff_min_{i} and w.first_won""")
        else:
            params[f"spiff_rank_{i}"] = spiff.rank
            parts.append(f"""
            select s.rep_id, 'spiffs', null, $end, s.revenue_won, null, null, $spiff_bonus_{i},
                   'period_champion:' || s.team_rank
            from standing s where s.team_rank = $spiff_rank_{i}""")
    # clawback: refunds (negative payments) within clawback_days of the deal's close
    if comm and plan.clawback_days is not None:
        params["claw_days"] = plan.clawback_days
        b = "least(-r.amount, d.amount)"
        if basis == "margin":
            b = f"{b} * coalesce(d.margin, 0)"
        parts.append(f"""
        select d.rep_id, 'clawback', d.deal_id, r.paid_date, {b}, d.rate, null, -d.rate * {b},
               r.payment_id
        from payments r join closed d on d.deal_id = r.deal_id
        where r.amount < 0 and r.paid_date between $start and $end
          and r.paid_date - d.close_date between 0 and $claw_days""")

    # deals whose position vs quota matters: this period's (and, under collected, those paid now)
    relevant = "pstart = $pstart"
    if basis == "collected":
        relevant += " or deal_id in (select deal_id from cash)"
    # the earliest close date that matters: refunds look back clawback_days, cash any time
    params["lo"] = params["start"]
    if comm and plan.clawback_days is not None:
        params["lo"] = params["start"] - timedelta(days=plan.clawback_days)
    lo = "$lo"
    if basis == "collected":
        lo = (f"least($lo, coalesce((select date_trunc('{kind}', min(d.close_date))::DATE "
              "from payments y join deals d "
              "on d.deal_id = y.deal_id where y.paid_date between $start and $end and y.amount > 0), $lo))")
    news = [s.min_amount or 0.0 for s in plan.spiffs if s.kind == "new_customer_deal"]
    params["news_min"] = min(news) if news else 0.0
    firsts = "select null::VARCHAR as deal_id where false"
    if news:   # each customer's first won deal ever, among this period's big enough deals
        firsts = """select c.deal_id from closed c
            where c.status = 'won' and c.pstart = $pstart and c.customer_id is not null
              and c.amount >= $news_min
              and not exists (select 1 from deals e where e.customer_id = c.customer_id
                              and e.status = 'won' and e.close_date is not null
                              and (e.close_date < c.close_date
                                   or (e.close_date = c.close_date and e.deal_id < c.deal_id)))"""
    union = "\nunion all\n".join(parts) or \
        "select null::VARCHAR, null::VARCHAR, null::VARCHAR, null::DATE, 0.0, 0.0, 0.0, 0.0, null::VARCHAR where false"
    return f"""
    with
    quota as (    -- the rep's quota per period; a what-if quota replaces one rep's for $pstart
        select rep_id, pstart, sum(quota) as quota from (
            select scope_id as rep_id,
                   date_trunc('{kind}', strptime(period || '-01', '%Y-%m-%d'))::DATE as pstart,
                   value::DOUBLE as quota, false as what_if
            from targets where scenario = $scenario and scope = 'rep' and metric = 'revenue'
              and period >= strftime(date_trunc('{kind}', {lo})::DATE, '%Y-%m')  -- older: unused
            union all
            select $qo_rep, $pstart, $qo_value, true where $qo_rep::VARCHAR is not null
        ) t
        where what_if or not coalesce(rep_id = $qo_rep and pstart = $pstart, false)
        group by rep_id, pstart
    ),
    closed as (   -- every closed deal with its rate (clawbacks look back)
        select d.deal_id, d.rep_id, d.customer_id, d.amount::DOUBLE as amount, d.close_date,
               d.status, date_trunc('{kind}', d.close_date)::DATE as pstart,
               p.margin_rate as margin, ({rate})::DOUBLE as rate
        from deals d left join products p on p.product_id = d.product_id
        where d.status in ('won', 'lost') and d.amount is not null
          and d.close_date between {lo} and $end
    ),
    firsts as ({firsts}),
    won as (
        select c.*, c.deal_id in (select deal_id from firsts) as first_won
        from closed c where c.status = 'won'
    ),
    cash as (      -- positive payments (回款) in the period
        select payment_id, deal_id, rep_id, paid_date, amount::DOUBLE as amount from payments
        where paid_date between $start and $end and amount > 0
    ),
    pos as (       -- position of each relevant won deal in its rep's period, vs that quota
        select w.*, q.quota,
               coalesce(sum(w.amount) over (partition by w.rep_id, w.pstart order by w.close_date, w.deal_id
                        rows between unbounded preceding and 1 preceding), 0) as cum_before
        from won w
        join (select distinct rep_id, pstart from won where {relevant}) k
          on k.rep_id = w.rep_id and k.pstart = w.pstart
        left join quota q on q.rep_id = w.rep_id and q.pstart = w.pstart
    ),
    standing as (  -- revenue_won rank within the team (ties share: 1, 1, 3)
        select w.rep_id, sum(w.amount) as revenue_won,
               rank() over (partition by coalesce(r.team, '') order by sum(w.amount) desc) as team_rank
        from won w left join reps r on r.rep_id = w.rep_id
        where w.pstart = $pstart group by w.rep_id, coalesce(r.team, '')
        having sum(w.amount) > 0
    )
    select rep_id, component, deal_id, day, basis::DOUBLE as basis, rate::DOUBLE as rate,
           multiplier::DOUBLE as multiplier, amount::DOUBLE as amount, detail
    from ({union}) x(rep_id, component, deal_id, day, basis, rate, multiplier, amount, detail)
    """


_REPS_SQL = """
with quota as (
    select scope_id as rep_id, sum(value)::DOUBLE as quota from targets
    where scenario = $scenario and scope = 'rep' and metric = 'revenue' and list_contains($months, period)
      and not coalesce(scope_id = $qo_rep, false)
    group by 1
    union all
    select $qo_rep, $qo_value where $qo_rep::VARCHAR is not null
),
revenue as (
    select d.rep_id, sum(d.amount)::DOUBLE as revenue_won,
           sum(d.amount * p.margin_rate)::DOUBLE as margin_won
    from deals d left join products p on p.product_id = d.product_id
    where d.status = 'won' and d.close_date between $start and $end group by 1
)
select r.rep_id, r.name as rep, coalesce(r.team, '') as team, r.base_salary::DOUBLE as base_salary,
       r.active, q.quota, coalesce(v.revenue_won, 0) as revenue_won, coalesce(v.margin_won, 0) as margin_won
from reps r left join quota q using (rep_id) left join revenue v using (rep_id)
where ($team::VARCHAR is null or r.team = $team) and ($rep::VARCHAR is null or r.rep_id = $rep)
"""


def _run(con: Con, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    used = set(re.findall(r"\$(\w+)", sql))
    with con.cursor() as cur:
        return cur.execute(sql, {k: v for k, v in params.items() if k in used}).df()


def _cents(value: float) -> float:
    """Round half up to cents (after trimming float noise below 1e-9)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return value
    return float(cents(pd.Series([float(value)])).iloc[0])


def cents(values: pd.Series) -> pd.Series:
    """Money rounded half up (away from zero) to cents, vectorised; float noise below 1e-6
    of a cent is trimmed first so 1.005 becomes 1.01."""
    x = values.astype("float64").to_numpy()
    scaled = np.round(np.abs(x) * 100, 6)
    return pd.Series(np.sign(x) * np.floor(scaled + 0.5) / 100 + 0.0, index=values.index)


def _run_memo(con: Con, sql: str, params: dict[str, Any], memo: dict | None) -> pd.DataFrame:
    """:func:`_run`, remembered in ``memo`` by statement and bound values (a copy is returned:
    callers change the frames). Several plans that differ only in rep-level numbers share it."""
    if memo is None:
        return _run(con, sql, params)
    used = sorted(set(re.findall(r"\$(\w+)", sql)))
    key = (sql, tuple((k, tuple(params[k]) if isinstance(params[k], list) else params[k]) for k in used))
    if key not in memo:
        memo[key] = _run(con, sql, params)
    return memo[key].copy()


def _compute(con: Con, plan: Plan, period: Period | str, scope: Scope,
             quota: tuple[str, float] | None = None,
             memo: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-rep frame before rounding, every line of the reps in scope); ``quota`` =
    (rep_id, value) replaces that rep's quota for the period (a what-if; nothing is stored).
    ``memo``: a dict shared by several runs over the same data (sensitivity, budget solver)."""
    p = _period(plan, period)
    base_params: dict[str, Any] = {"scenario": metrics.active_scenario(con), "start": p.start,
                                   "end": p.end, "pstart": p.start, "months": p.months,
                                   "team": scope.team, "rep": scope.rep_id,
                                   "qo_rep": quota[0] if quota else None,
                                   "qo_value": float(quota[1]) if quota else None}
    params = dict(base_params)
    deal_lines = _run_memo(con, _lines_sql(plan, params), params, memo)
    reps = _run_memo(con, _REPS_SQL, base_params, memo)
    # a deal line whose rep is missing from reps still gets a row (name = id)
    if not deal_lines.empty and scope.team is None and scope.rep_id is None:
        orphans = sorted(set(deal_lines["rep_id"].dropna().unique()) - set(reps["rep_id"]))
        if orphans:
            reps = pd.concat([reps, pd.DataFrame({"rep_id": orphans, "rep": orphans, "team": "",
                                                  "active": True, "revenue_won": 0.0,
                                                  "margin_won": 0.0})], ignore_index=True)
    deal_lines = deal_lines.merge(reps[["rep_id"]], on="rep_id")  # inner: keeps the line order
    reps["quota"] = reps["quota"].where(reps["quota"] > 0)
    reps["attainment"] = reps["revenue_won"] / reps["quota"]
    att = reps["attainment"]
    has_quota = att.notna()
    rep_lines = []
    # base bonus: pct x salary x months x min(attainment, cap), from the gate
    if plan.base_bonus:
        bb = plan.base_bonus
        mult = att.clip(upper=bb.cap) if bb.cap is not None else att
        earned = has_quota & (att >= bb.gate - EPS)
        basis = reps["base_salary"].fillna(0.0) * p.n_months
        rep_lines.append(pd.DataFrame({
            "rep_id": reps["rep_id"], "component": "base_bonus", "deal_id": None, "day": pd.Timestamp(p.end),
            "basis": basis, "rate": bb.pct_of_salary, "multiplier": mult.where(earned, 0.0),
            "amount": (basis * bb.pct_of_salary * mult).where(earned, 0.0),
            "detail": None})[has_quota])
    # decelerator: every commission line x (1 - multiplier) when attainment ends below
    if plan.decelerator and not deal_lines.empty:
        dc = plan.decelerator
        below = reps.loc[has_quota & (att < dc.below_attainment - EPS), ["rep_id"]]
        comm = deal_lines[deal_lines["component"] == "commission"].merge(below, on="rep_id")
        if len(comm):
            rep_lines.append(pd.DataFrame({
                "rep_id": comm["rep_id"], "component": "decelerator_cut", "deal_id": comm["deal_id"],
                "day": comm["day"], "basis": comm["amount"], "rate": 1.0 - dc.multiplier,
                "multiplier": dc.multiplier, "amount": -comm["amount"] * (1.0 - dc.multiplier),
                "detail": comm["detail"]}))
    # accelerators need a quota: drop accelerator lines of reps without one (SQL gives none)
    frames = [f for f in [deal_lines, *rep_lines] if len(f)]
    lines = pd.concat(frames, ignore_index=True) if frames else deal_lines
    lines["rep_id"] = lines["rep_id"].astype("str")
    # one row per rep: reps active, or with a quota or a line in the period
    sums = (lines.groupby(["rep_id", "component"])["amount"].sum().unstack("component")
            if len(lines) else pd.DataFrame(index=pd.Index([], name="rep_id")))
    out = reps.merge(sums, left_on="rep_id", right_index=True, how="left")
    for comp in COMPONENTS[:6]:
        if comp not in out:
            out[comp] = 0.0
        out[comp] = out[comp].astype("float64").fillna(0.0)
    keep = (out["active"].fillna(True).astype(bool) | out["quota"].notna()
            | out["rep_id"].isin(lines["rep_id"].unique()))
    out = out[keep].copy()
    for comp in ("decelerator_cut", "clawback"):
        out[comp] = 0.0 - out[comp]  # reported as positive amounts (0.0 - x: no -0.0)
    out["total"] = (out["base_bonus"] + out["commission"] + out["accelerator_extra"] + out["spiffs"]
                    - out["decelerator_cut"] - out["clawback"])
    if plan.payout_cap is not None:
        over = out["total"] > plan.payout_cap
        if over.any():
            capped = out[over]
            lines = pd.concat([lines, pd.DataFrame({
                "rep_id": capped["rep_id"], "component": "payout_cap", "deal_id": None,
                "day": pd.Timestamp(p.end), "basis": capped["total"], "rate": None,
                "multiplier": None, "amount": plan.payout_cap - capped["total"],
                "detail": None})], ignore_index=True)
            out.loc[over, "total"] = plan.payout_cap
    out["non_cash"] = [
        [n.reward for n in plan.non_cash if not math.isnan(a) and a >= n.min_attainment - EPS]
        for a in out["attainment"].astype("float64")]
    flags = pd.Series("", index=out.index)
    flags = flags.where(out["quota"].notna(), "no_quota")
    if plan.payout_cap is not None:
        capped_ids = lines.loc[lines["component"] == "payout_cap", "rep_id"].unique()
        flags = flags.where(~out["rep_id"].isin(capped_ids), (flags + ",capped").str.lstrip(","))
    out["flag"] = flags
    return out, lines


def payouts(con: Con, plan: Plan, period: Period | str, scope: Scope = Scope(),
            quota: tuple[str, float] | None = None) -> pd.DataFrame:
    """One row per rep for ``period`` (its kind must be the plan's period).

    Columns: PAYOUT_COLUMNS = rep_id, rep, team, quota (NaN without one), revenue_won,
    margin_won (revenue x product margin), attainment (NaN without quota), base_bonus,
    commission, accelerator_extra, decelerator_cut, spiffs, clawback (cut and clawback as
    positive amounts), total, non_cash (list of rewards), cost_of_sales = total / revenue_won,
    flag ('' or 'no_quota', 'capped', comma-joined). Money rounded to cents; sorted by team,
    then total (highest first). ``quota`` = (rep_id, value): that rep's quota for the period
    is taken as ``value`` instead of the stored target (what-if; nothing is written).
    """
    out, _ = _compute(con, plan, period, scope, quota)
    return payouts_from(out)


def payouts_from(out: pd.DataFrame) -> pd.DataFrame:
    """Round the engine's per-rep frame to cents and order it (see :func:`payouts`)."""
    out = out.copy()
    for col in ("base_bonus", "commission", "accelerator_extra", "decelerator_cut", "spiffs",
                "clawback", "total"):
        out[col] = cents(out[col])
    out["cost_of_sales"] = out["total"] / out["revenue_won"].where(out["revenue_won"] > 0)
    out = out.sort_values(["team", "total", "rep_id"], ascending=[True, False, True])
    return out[PAYOUT_COLUMNS].reset_index(drop=True)


def explain(con: Con, plan: Plan, period: Period | str, rep_id: str) -> pd.DataFrame:
    """The lines behind one rep's total: columns component (COMPONENTS), deal_id, day, basis,
    rate, multiplier, amount (signed: cuts and clawbacks negative), detail.

    Amounts are unrounded; the last line (``rounding``) makes them add up to the total of
    :func:`payouts` to the cent. Ordered by component, then day and deal.
    """
    out, lines = _compute(con, plan, period, Scope(rep_id=rep_id))
    total = float(payouts_from(out)["total"].iloc[0]) if len(out) else 0.0
    return _with_rounding(lines[lines["rep_id"] == rep_id].drop(columns="rep_id"), total)


def _with_rounding(mine: pd.DataFrame, total: float) -> pd.DataFrame:
    raw = math.fsum(mine["amount"].astype("float64"))
    rounding = pd.DataFrame({"component": ["rounding"], "deal_id": [None], "day": [None],
                             "basis": [raw], "rate": [None], "multiplier": [None],
                             "amount": [total - raw], "detail": [None]})
    mine = pd.concat([mine, rounding], ignore_index=True) if len(mine) else rounding
    order = {c: i for i, c in enumerate(COMPONENTS)}
    mine["_o"] = mine["component"].map(order)
    mine = mine.sort_values(["_o", "day", "deal_id"], na_position="last", kind="stable")
    return mine.drop(columns="_o").reset_index(drop=True)


def summary(frame: pd.DataFrame) -> dict[str, Any]:
    """Totals of a payouts frame: total, revenue_won, margin_won, cost_of_sales (of revenue),
    cost_of_margin, reps, reps_paid, and the effective pay rate (total / revenue) of the top and
    bottom quartiles of reps by revenue_won (pay_rate_top, pay_rate_bottom)."""
    total = float(frame["total"].sum())
    revenue = float(frame["revenue_won"].sum())
    margin = float(frame["margin_won"].sum())
    ranked = frame.sort_values("revenue_won", ascending=False)
    q = max(1, len(ranked) // 4)
    top, bottom = ranked.head(q), ranked.tail(q)

    def rate(part: pd.DataFrame) -> float | None:
        rev = float(part["revenue_won"].sum())
        return float(part["total"].sum()) / rev if rev > 0 else None

    return {"total": total, "revenue_won": revenue, "margin_won": margin,
            "cost_of_sales": total / revenue if revenue > 0 else None,
            "cost_of_margin": total / margin if margin > 0 else None,
            "reps": int(len(frame)), "reps_paid": int((frame["total"] > 0).sum()),
            "pay_rate_top": rate(top) if len(frame) else None,
            "pay_rate_bottom": rate(bottom) if len(frame) else None}


def compare(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Per-rep difference of two payouts frames (plan A -> plan B): rep_id, rep, team,
    revenue_won, attainment, total_a, total_b, change (= total_b - total_a), change_pct
    (NaN when total_a is 0). Sorted by change, biggest drop first."""
    keys = ["rep_id", "rep", "team"]
    left = a[keys + ["revenue_won", "attainment", "total"]].rename(columns={"total": "total_a"})
    right = b[keys + ["total"]].rename(columns={"total": "total_b"})
    out = left.merge(right, on=keys, how="outer")
    out[["total_a", "total_b"]] = out[["total_a", "total_b"]].fillna(0.0)
    out["change"] = (out["total_b"] - out["total_a"]).round(2)
    out["change_pct"] = out["change"] / out["total_a"].where(out["total_a"].abs() > 0)
    return out.sort_values(["change", "rep_id"]).reset_index(drop=True)


def payouts_json(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The command line's list (DESIGN §6): per rep the §5 output names plus rep, plain numbers
    (NaN -> null), non_cash a list of rewards, flag null when empty."""
    out = []
    for record in frame[CLI_FIELDS].to_dict("records"):
        row: dict[str, Any] = {}
        for key, value in record.items():
            if key == "non_cash":
                row[key] = list(value)
            elif key == "flag":
                row[key] = value or None
            else:
                row[key] = metrics._clean(value)
        out.append(row)
    return out


# --- stored plans ------------------------------------------------------------------------

def _plan_id(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:40] or "plan-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]


def save_plan(con: Con, plan: Plan, plan_id: str | None = None,
              effective_from: date | None = None) -> tuple[str, int]:
    """Store ``plan`` as a new version (history is never overwritten); returns (plan_id, version).

    Without ``plan_id`` the plan of the same name is continued, or a new id made from the name.
    """
    with db.transaction(con) as cur:
        if plan_id is None:
            rows = cur.execute("select plan_id from plans where name = $n order by created_at desc, "
                               "version desc limit 1", {"n": plan.name}).fetchall()
            plan_id = rows[0][0] if rows else _plan_id(plan.name)
        version = cur.execute("select coalesce(max(version), 0) + 1 from plans where plan_id = $p",
                              {"p": plan_id}).fetchall()[0][0]
        cur.execute("insert into plans (plan_id, version, name, spec, effective_from) "
                    "values ($p, $v, $n, $s, $e)",
                    {"p": plan_id, "v": version, "n": plan.name,
                     "s": json.dumps(plan.to_dict(), ensure_ascii=False), "e": effective_from})
        audit.record(cur, "plan_edit", {"plan_id": plan_id, "version": int(version),
                                        "name": plan.name, "effective_from": effective_from})
    return plan_id, int(version)


def list_plans(con: Con, all_versions: bool = False) -> pd.DataFrame:
    """Stored plans: plan_id, version, name, effective_from, created_at, versions (count);
    the latest version of each plan unless ``all_versions``. Newest first."""
    sql = """
    select plan_id, version, name, effective_from, created_at,
           count(*) over (partition by plan_id) as versions,
           version = max(version) over (partition by plan_id) as latest
    from plans
    """
    with con.cursor() as cur:
        frame = cur.execute(sql).df()
    if not all_versions:
        frame = frame[frame["latest"]]
    frame = frame.drop(columns="latest").sort_values(["created_at", "plan_id", "version"],
                                                     ascending=[False, True, False])
    return frame.reset_index(drop=True)


def load_plan(con: Con, plan_id: str, version: int | None = None) -> Plan:
    """A stored plan (the latest version unless ``version``); PlanError when there is none."""
    with con.cursor() as cur:
        rows = cur.execute(
            "select spec from plans where plan_id = $p and ($v::INTEGER is null or version = $v) "
            "order by version desc limit 1", {"p": plan_id, "v": version}).fetchall()
    if not rows:
        raise _fail("not_found", f"No saved plan {plan_id!r}" + (f" version {version}" if version else "") + ".",
                    plan_id=plan_id, version=version or "")
    spec = rows[0][0]
    return Plan.from_dict(json.loads(spec) if isinstance(spec, str) else spec)


# --- what-if levers, budget solver, sensitivity --------------------------------------------

@dataclass(frozen=True)
class Lever:
    """One number of a plan a slider can move: ``key`` is its path in the §5 JSON
    (``commission.tiers.0.rate``); ``kind`` is rate (0..1), attainment, multiplier or money."""

    key: str
    kind: str
    value: float
    low: float
    high: float
    step: float


def levers(plan: Plan) -> list[Lever]:
    """The plan's movable numbers, in form order, with slider ranges."""
    out: list[Lever] = []
    d = plan.to_dict()

    def add(key: str, kind: str, value: float) -> None:
        ranges = {"rate": (0.0, 1.0, 0.005), "attainment": (0.0, 3.0, 0.01),
                  "multiplier": (1.0, 5.0, 0.05), "money": (0.0, max(100000.0, value * 3), 500.0)}
        low, high, step = ranges[kind]
        out.append(Lever(key, kind, float(value), low, max(high, float(value)), step))

    if "base_bonus" in d:
        add("base_bonus.pct_of_salary", "rate", d["base_bonus"]["pct_of_salary"])
        add("base_bonus.gate", "attainment", d["base_bonus"]["gate"])
    if "commission" in d:
        add("commission.default_rate", "rate", d["commission"]["default_rate"])
        for i, tier in enumerate(d["commission"]["tiers"]):
            add(f"commission.tiers.{i}.rate", "rate", tier["rate"])
    for i, acc in enumerate(d.get("accelerators", [])):
        add(f"accelerators.{i}.multiplier", "multiplier", acc["multiplier"])
        add(f"accelerators.{i}.above_attainment", "attainment", acc["above_attainment"])
    if "decelerator" in d:
        add("decelerator.multiplier", "rate", d["decelerator"]["multiplier"])
        add("decelerator.below_attainment", "attainment", d["decelerator"]["below_attainment"])
    for i, spiff in enumerate(d.get("spiffs", [])):
        add(f"spiffs.{i}.bonus", "money", spiff["bonus"])
    return out


def with_lever(plan: Plan, key: str, value: float) -> Plan:
    """A copy of ``plan`` with the number at ``key`` (a Lever key) set to ``value``; validated."""
    d = json.loads(json.dumps(plan.to_dict()))
    node: Any = d
    parts = key.split(".")
    try:
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    except (KeyError, IndexError, ValueError):
        raise _fail("lever", f"The plan has no setting {key}.", value=key) from None
    return Plan.from_dict(d)


#: What the budget solver can scale: rates x s (at most 1), multipliers 1 + (m - 1) x s,
#: money (SPIFF bonuses) x s.
SCALABLE = ("base_bonus", "commission", "accelerators", "spiffs")


def scale(plan: Plan, groups: Iterable[str], factor: float) -> Plan:
    """``plan`` with the chosen lever groups (SCALABLE) scaled by ``factor`` (>= 0)."""
    groups = set(groups)
    bb, comm = plan.base_bonus, plan.commission
    if "base_bonus" in groups and bb:
        bb = replace(bb, pct_of_salary=min(1.0, bb.pct_of_salary * factor))
    if "commission" in groups and comm:
        comm = replace(comm, default_rate=min(1.0, comm.default_rate * factor),
                       tiers=tuple(replace(t, rate=min(1.0, t.rate * factor)) for t in comm.tiers))
    accs = plan.accelerators
    if "accelerators" in groups:
        accs = tuple(replace(a, multiplier=min(10.0, 1 + (a.multiplier - 1) * factor)) for a in accs)
    spiffs = plan.spiffs
    if "spiffs" in groups:
        spiffs = tuple(replace(s, bonus=s.bonus * factor) for s in spiffs)
    return replace(plan, base_bonus=bb, commission=comm, accelerators=accs, spiffs=spiffs)


def budget_amount(totals: Mapping[str, Any], kind: str, value: float) -> float | None:
    """A budget as money: ``kind`` absolute (value is money), revenue or margin (value is a
    share of the period's revenue_won / margin_won in ``totals`` from :func:`summary`)."""
    if kind == "absolute":
        return float(value)
    base = totals.get("revenue_won" if kind == "revenue" else "margin_won")
    return float(value) * float(base) if base else None


def solve_budget(con: Con, plan: Plan, period: Period | str, budget: float,
                 groups: Iterable[str] = SCALABLE, scope: Scope = Scope(),
                 high: float = 4.0, tolerance: float = 1.0) -> dict[str, Any]:
    """Find the scale of ``groups`` whose total payout meets ``budget`` (bisection; pay never
    falls when a lever rises, so the total is monotone in the scale).

    Returns {met (bool), reason (None, 'below_fixed' when even scale 0 costs more, 'above_max'
    when scale ``high`` still costs less), factor, total, plan (the scaled Plan)}; when not met,
    factor/plan are the closest end.
    """
    groups = tuple(groups)
    memo: dict = {}

    def total(f: float) -> float:
        out, _ = _compute(con, scale(plan, groups, f), period, scope, memo=memo)
        return float(payouts_from(out)["total"].sum())

    lo_total = total(0.0)
    if lo_total > budget + tolerance:
        return {"met": False, "reason": "below_fixed", "factor": 0.0, "total": lo_total,
                "plan": scale(plan, groups, 0.0)}
    hi_total = total(high)
    if hi_total < budget - tolerance:
        return {"met": False, "reason": "above_max", "factor": high, "total": hi_total,
                "plan": scale(plan, groups, high)}
    lo, hi, best = 0.0, high, (0.0, lo_total)
    for _ in range(40):
        mid = (lo + hi) / 2
        t = total(mid)
        if t <= budget:
            lo, best = mid, (mid, t)
        else:
            hi = mid
        if budget - best[1] <= tolerance or hi - lo < 1e-6:
            break
    return {"met": True, "reason": None, "factor": best[0], "total": best[1],
            "plan": scale(plan, groups, best[0])}


def sensitivity(con: Con, plan: Plan, period: Period | str, scope: Scope = Scope()) -> pd.DataFrame:
    """What +1 point costs on each lever (tornado): columns lever (Lever key), kind, step
    (+0.01 on rates, thresholds and multipliers; +1% on money), total (plan total after the
    step), change (vs the plan's total). Sorted by the size of the change, largest first."""
    memo: dict = {}   # levers on rep-level numbers (base bonus, decelerator) reuse the lines

    def total(p: Plan) -> float:
        out, _ = _compute(con, p, period, scope, memo=memo)
        return float(payouts_from(out)["total"].sum())

    base = total(plan)
    rows = []
    for lever in levers(plan):
        step = lever.value * 0.01 if lever.kind == "money" else 0.01
        value = lever.value + step
        if lever.kind == "rate":
            value = min(1.0, value)
        try:
            moved = with_lever(plan, lever.key, value)
        except PlanError:
            continue
        t = total(moved)
        rows.append({"lever": lever.key, "kind": lever.kind, "step": step, "total": t,
                     "change": round(t - base, 2)})
    frame = pd.DataFrame(rows, columns=["lever", "kind", "step", "total", "change"])
    return frame.reindex(frame["change"].abs().sort_values(ascending=False).index).reset_index(drop=True)


# --- plan form tables ----------------------------------------------------------------------

def plan_tables(plan: Plan) -> dict[str, pd.DataFrame]:
    """The plan's lists as editable tables: tiers (min_margin, rate), accelerators
    (above_attainment, multiplier), spiffs (kind, min_amount, rank, bonus), non_cash
    (min_attainment, reward)."""
    comm = plan.commission
    return {
        "tiers": pd.DataFrame([t.to_dict() for t in (comm.tiers if comm else ())],
                              columns=["min_margin", "rate"], dtype="float64"),
        "accelerators": pd.DataFrame([a.to_dict() for a in plan.accelerators],
                                     columns=["above_attainment", "multiplier"], dtype="float64"),
        "spiffs": pd.DataFrame({"kind": pd.Series([s.kind for s in plan.spiffs], dtype="object"),
                                "min_amount": pd.Series([s.min_amount for s in plan.spiffs], dtype="float64"),
                                "rank": pd.Series([s.rank for s in plan.spiffs], dtype="float64"),
                                "bonus": pd.Series([s.bonus for s in plan.spiffs], dtype="float64")}),
        "non_cash": pd.DataFrame({"min_attainment": pd.Series([n.min_attainment for n in plan.non_cash],
                                                              dtype="float64"),
                                  "reward": pd.Series([n.reward for n in plan.non_cash], dtype="object")}),
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Table rows -> JSON-ish dicts: blank rows dropped, NaN cells left out."""
    out = []
    for record in frame.to_dict("records"):
        row = {k: (v.item() if hasattr(v, "item") else v) for k, v in record.items()
               if v is not None and not (isinstance(v, float) and math.isnan(v)) and v != ""}
        if row:
            out.append(row)
    return out


def plan_from_form(fields: Mapping[str, Any], tables: Mapping[str, pd.DataFrame]) -> Plan:
    """Build (and validate) a plan from the editor: ``fields`` holds name, period, and per
    component an on/off flag plus its numbers (base_bonus_on, pct_of_salary, gate, cap;
    commission_on, basis, default_rate; decelerator_on, below_attainment, decel_multiplier;
    clawback_on, clawback_days; payout_cap_on, payout_cap); ``tables`` as from plan_tables."""
    f = dict(fields)
    spec: dict[str, Any] = {"name": f.get("name", ""), "period": f.get("period")}
    if f.get("base_bonus_on"):
        spec["base_bonus"] = {"pct_of_salary": f.get("pct_of_salary"), "gate": f.get("gate"),
                              "cap": f.get("cap")}
    if f.get("commission_on"):
        spec["commission"] = {"basis": f.get("basis"), "default_rate": f.get("default_rate"),
                              "tiers": _records(tables["tiers"])}
    spec["accelerators"] = _records(tables["accelerators"])
    if f.get("decelerator_on"):
        spec["decelerator"] = {"below_attainment": f.get("below_attainment"),
                               "multiplier": f.get("decel_multiplier")}
    spiffs = []
    for row in _records(tables["spiffs"]):
        if row.get("kind") == "new_customer_deal":
            row.pop("rank", None)
        elif row.get("kind") == "period_champion":
            row.pop("min_amount", None)
            if "rank" in row:
                row["rank"] = int(row["rank"]) if float(row["rank"]).is_integer() else row["rank"]
        spiffs.append(row)
    spec["spiffs"] = spiffs
    spec["clawback_days"] = int(f["clawback_days"]) if f.get("clawback_on") else None
    spec["payout_cap"] = f.get("payout_cap") if f.get("payout_cap_on") else None
    spec["non_cash"] = _records(tables["non_cash"])
    return Plan.from_dict(spec)


# --- statements and recognition ------------------------------------------------------------

def _safe(value: Any) -> Any:
    """Spreadsheet formula injection: see fmt.safe_cell."""
    return fmt.safe_cell(value)


def statement_xlsx(row: Mapping[str, Any], lines: pd.DataFrame, labels: Mapping[str, str],
                   period: str, plan_name: str) -> bytes:
    """One rep's statement as an XLSX workbook: a summary block (the payouts row) and the
    explanation lines. ``labels`` maps column/component names to the user's language."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet(str(_safe(labels.get("statement", "Statement")))[:31])
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    pct = book.add_format({"num_format": "0.0%"})
    sheet.write_string(0, 0, _safe(f"{row['rep']} · {row['team']} · {period}"), bold)
    sheet.write_string(1, 0, _safe(plan_name))
    r = 3
    for key in ("quota", "revenue_won", "attainment", "base_bonus", "commission", "accelerator_extra",
                "decelerator_cut", "spiffs", "clawback", "total", "cost_of_sales"):
        sheet.write_string(r, 0, _safe(labels.get(key, key)))
        value = row.get(key)
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            sheet.write_number(r, 1, float(value), pct if key in ("attainment", "cost_of_sales") else money)
        r += 1
    rewards = row.get("non_cash") or []
    sheet.write_string(r, 0, _safe(labels.get("non_cash", "non_cash")))
    sheet.write_string(r, 1, _safe("; ".join(rewards)))
    r += 2
    cols = ["component", "deal_id", "day", "basis", "rate", "multiplier", "amount", "detail"]
    for c, name in enumerate(cols):
        sheet.write_string(r, c, _safe(labels.get(name, name)), bold)
    for rec in lines[cols].to_dict("records"):
        r += 1
        for c, name in enumerate(cols):
            value = rec[name]
            if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
                continue
            if name == "component":
                sheet.write_string(r, c, _safe(labels.get(str(value), str(value))))
            elif name == "day":
                sheet.write_string(r, c, pd.Timestamp(value).date().isoformat())
            elif isinstance(value, (int, float)):
                sheet.write_number(r, c, float(value), money if name in ("basis", "amount") else None)
            else:
                sheet.write_string(r, c, _safe(str(value)))
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 7, 14)
    book.close()
    return buf.getvalue()


#: Keys of the printable statement's own words (``incentives.print.<key>`` in the catalogues).
PRINT_KEYS = ("title", "rep", "team", "period", "plan", "attainment", "summary", "lines", "note",
              "sign_rep", "sign_manager", "sign_date", "print_hint", "none")


def statement_labels(lang: str) -> dict[str, str]:
    """Every word a statement needs in ``lang``: column and component names (``incentives.col``),
    flags (``flag.<name>``) and the printable view's own words (``print.<key>``)."""
    names = ("quota", "revenue_won", "base_bonus", "commission", "accelerator_extra", "decelerator_cut",
             "spiffs", "clawback", "total", "cost_of_sales", "non_cash", "flag", "payout_cap", "rounding",
             "deal_id", "day", "basis", "rate", "multiplier", "amount", "detail", "component")
    out = {n: i18n.t(f"incentives.col.{n}", lang) for n in names}
    out.update({f"flag.{f}": i18n.t(f"incentives.flag.{f}", lang) for f in ("no_quota", "capped")})
    out.update({f"print.{k}": i18n.t(f"incentives.print.{k}", lang) for k in PRINT_KEYS})
    out.update({"attainment": i18n.t("metric.attainment", lang),
                "statement": i18n.t("incentives.statement", lang)})
    return out


def _blank(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _cents_text(value: Any) -> str:
    """¥1,234.56 (to the cent, as paid); missing -> '—'."""
    if _blank(value):
        return "—"
    amount = round(float(value), 2)
    return f"{'-' if amount < 0 else ''}¥{abs(amount):,.2f}"


_PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans SC", "PingFang SC", "Microsoft YaHei", "Helvetica Neue", Arial, sans-serif;
       font-size: 10.5pt; color: #111; margin: 0 auto; max-width: 190mm; padding: 12px; }
h1 { font-size: 16pt; margin: 0 0 2mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #999; padding-bottom: 1mm; }
table { width: 100%; border-collapse: collapse; }
th, td { padding: 1.2mm 2mm; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
th { background: #f2f2f2; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.head td { border: none; padding: 0.6mm 2mm 0.6mm 0; }
table.head td.k { color: #555; width: 22%; }
tr.total td { font-weight: 700; border-top: 2px solid #111; border-bottom: 2px solid #111; }
.hint { color: #666; font-size: 9pt; margin-bottom: 4mm; }
.signs { display: flex; gap: 12mm; margin-top: 14mm; page-break-inside: avoid; break-inside: avoid; }
.sign { flex: 1; border-top: 1px solid #111; padding-top: 1.5mm; }
.sign span { display: block; color: #555; margin-top: 7mm; }
@media print {
  body { padding: 0; max-width: none; }
  .hint { display: none; }
  thead { display: table-header-group; }
  tr { page-break-inside: avoid; break-inside: avoid; }
  th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def statement_html(row: Mapping[str, Any], lines: pd.DataFrame, labels: Mapping[str, str],
                   period_label: str, plan_name: str, lang: str) -> str:
    """One rep's statement as a self-contained, print-friendly HTML document (A4, no scripts, no
    external resources): header (rep, team, period, plan, quota, revenue won, attainment), the
    component summary of the payouts ``row`` (cuts and clawbacks negative; a payout-cap or
    rounding line when the components do not add up to the total by themselves), the
    explanation ``lines`` of :func:`explain` and signature lines. Every value is HTML-escaped.
    ``labels`` overrides the words of :func:`statement_labels` (``lang``)."""
    text = {**statement_labels(lang), **labels}

    def e(value: Any) -> str:
        return escape("—" if _blank(value) else str(value), quote=True)

    def w(key: str) -> str:
        return e(text.get(key, key))

    head = [("print.rep", row.get("rep")), ("print.team", row.get("team")), ("print.period", period_label),
            ("print.plan", plan_name), ("quota", _cents_text(row.get("quota"))),
            ("revenue_won", _cents_text(row.get("revenue_won"))),
            ("print.attainment", "—" if _blank(row.get("attainment")) else f"{float(row['attainment']) * 100:.1f}%")]
    flags = [f for f in str(row.get("flag") or "").split(",") if f]
    if flags:
        head.append(("print.note", "; ".join(text.get(f"flag.{f}", f) for f in flags)))
    head_html = "".join(f"<tr><td class=\"k\">{w(k)}</td><td>{e(v)}</td></tr>" for k, v in head)

    signs = {"decelerator_cut": -1.0, "clawback": -1.0}
    parts = [(c, signs.get(c, 1.0) * float(row.get(c) or 0.0))
             for c in ("base_bonus", "commission", "accelerator_extra", "decelerator_cut", "spiffs", "clawback")]
    total = float(row.get("total") or 0.0)
    rest = round(total - math.fsum(v for _, v in parts), 2)
    if abs(rest) >= 0.005:
        parts.append(("payout_cap" if "capped" in flags else "rounding", rest))
    summary_rows = "".join(f"<tr><td>{w(c)}</td><td class=\"num\">{e(_cents_text(v))}</td></tr>"
                           for c, v in parts)
    summary_rows += (f"<tr class=\"total\"><td>{w('total')}</td>"
                     f"<td class=\"num\">{e(_cents_text(total))}</td></tr>")
    rewards = list(row.get("non_cash") or [])
    summary_rows += (f"<tr><td>{w('non_cash')}</td>"
                     f"<td>{e('; '.join(map(str, rewards)) if rewards else text.get('print.none', '—'))}</td></tr>")

    cols = ["component", "deal_id", "day", "basis", "rate", "multiplier", "amount", "detail"]
    numeric = {"basis", "rate", "multiplier", "amount"}
    line_head = "".join(f"<th class=\"num\">{w(c)}</th>" if c in numeric else f"<th>{w(c)}</th>" for c in cols)
    body = []
    for rec in lines.to_dict("records"):
        cells = []
        for c in cols:
            v = rec.get(c)
            if _blank(v):
                shown = ""
            elif c == "component":
                shown = text.get(str(v), str(v))
            elif c == "day":
                shown = pd.Timestamp(v).date().isoformat()
            elif c in ("basis", "amount"):
                shown = _cents_text(v)
            elif c == "rate":
                shown = f"{float(v) * 100:.2f}%"
            elif c == "multiplier":
                shown = f"{float(v):.3f}"
            else:
                shown = str(v)
            cells.append(f"<td class=\"num\">{escape(shown)}</td>" if c in numeric else f"<td>{escape(shown)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    line_total = math.fsum(float(a) for a in lines["amount"]) if len(lines) else 0.0
    body.append(f"<tr class=\"total\"><td colspan=\"6\">{w('total')}</td>"
                f"<td class=\"num\">{e(_cents_text(line_total))}</td><td></td></tr>")

    title = f"{text.get('print.title', 'Statement')} · {row.get('rep', '')} · {period_label}"
    html_lang = "zh-CN" if lang == "zh" else "en"
    return f"""<!DOCTYPE html>
<html lang="{html_lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
<style>{_PRINT_CSS}</style>
</head>
<body>
<p class="hint">{w('print.print_hint')}</p>
<h1>{w('print.title')}</h1>
<table class="head">{head_html}</table>
<h2>{w('print.summary')}</h2>
<table class="summary"><thead><tr><th>{w('component')}</th><th class="num">{w('amount')}</th></tr></thead>
<tbody>{summary_rows}</tbody></table>
<h2>{w('print.lines')}</h2>
<table class="lines"><thead><tr>{line_head}</tr></thead>
<tbody>{''.join(body)}</tbody></table>
<div class="signs">
<div class="sign">{w('print.sign_rep')}<span>{w('print.sign_date')}</span></div>
<div class="sign">{w('print.sign_manager')}<span>{w('print.sign_date')}</span></div>
</div>
</body>
</html>
"""


def statement_page(con: Con, plan: Plan, period: Period | str, rep_id: str,
                   labels: tuple[tuple[str, str], ...], lang: str) -> str:
    """One rep's printable statement (see :func:`statement_html`), from one computation."""
    p = _period(plan, period)
    out, lines = _compute(con, plan, p, Scope(rep_id=rep_id))
    row = payouts_from(out).to_dict("records")[0]
    mine = _with_rounding(lines[lines["rep_id"] == rep_id].drop(columns="rep_id"), row["total"])
    return statement_html(row, mine, dict(labels), p.label, plan.name, lang)


def statements(con: Con, plan: Plan, period: Period | str, scope: Scope = Scope()) -> dict[str, tuple[dict, pd.DataFrame]]:
    """Every rep's (payouts row, explanation lines) in one computation, keyed by rep_id."""
    out, lines = _compute(con, plan, period, scope)
    frame = payouts_from(out)
    result = {}
    grouped = dict(tuple(lines.groupby("rep_id"))) if len(lines) else {}
    for row in frame.to_dict("records"):
        mine = grouped.get(row["rep_id"], lines.iloc[0:0]).drop(columns="rep_id")
        result[row["rep_id"]] = (row, _with_rounding(mine, row["total"]))
    return result


def statements_zip(items: Mapping[str, tuple[dict, pd.DataFrame]], labels: Mapping[str, str],
                   period: str, plan_name: str) -> bytes:
    """All statements as one zip of XLSX files named after the reps."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for rep_id, (row, lines) in items.items():
            name = re.sub(r"[\\/:*?\"<>|]+", "_", f"{row['rep']}_{rep_id}_{period}.xlsx")
            archive.writestr(name, statement_xlsx(row, lines, labels, period, plan_name))
    return buf.getvalue()


def recognition(frame: pd.DataFrame) -> pd.DataFrame:
    """The 销售明星榜 from a payouts frame: rank (company, by revenue_won, ties share),
    team_rank, champion (rank 1 in the team with revenue > 0), rep_id, rep, team, revenue_won,
    attainment, non_cash. Reps with revenue only; best first."""
    board = frame[frame["revenue_won"] > 0].copy()
    board["rank"] = board["revenue_won"].rank(method="min", ascending=False).astype("int64")
    board["team_rank"] = board.groupby("team")["revenue_won"].rank(method="min", ascending=False).astype("int64")
    board["champion"] = board["team_rank"] == 1
    cols = ["rank", "team_rank", "champion", "rep_id", "rep", "team", "revenue_won", "attainment", "non_cash"]
    return board.sort_values(["rank", "rep"])[cols].reset_index(drop=True)


def _attainment_by_period(con: Con, periods: list[Period], scope: Scope) -> pd.DataFrame:
    """The rows of metrics.by_group(..., "rep", scope) for each period, attainment only:
    columns rep_id, rep, team, attainment, period (label). Same rules: revenue_won of the
    scope's deals closed won in the period, target = the rep's revenue targets of the active
    scenario over the period's months, attainment NaN without a target > 0; reps listed when
    active, with revenue or with a target."""
    spans = pd.DataFrame({"period": [p.label for p in periods], "pstart": [p.start for p in periods],
                          "pend": [p.end for p in periods]})
    months = pd.DataFrame([(p.label, m) for p in periods for m in p.months], columns=["period", "month"])
    sql = """
    with won as (
        select s.period, d.rep_id, sum(d.amount)::DOUBLE as revenue_won
        from deals d join spans s on d.close_date between s.pstart and s.pend
        left join reps r on r.rep_id = d.rep_id
        where d.status = 'won'
          and ($team::VARCHAR is null or r.team = $team) and ($rep::VARCHAR is null or d.rep_id = $rep)
        group by all
    ),
    goal as (
        select m.period, t.scope_id as rep_id, sum(t.value)::DOUBLE as target
        from targets t join span_months m on m.month = t.period
        where t.scenario = $scenario and t.metric = 'revenue' and t.scope = 'rep'
        group by all having sum(t.value) is not null
    )
    select s.period, r.rep_id, coalesce(r.name, r.rep_id) as rep, coalesce(r.team, '') as team,
           coalesce(w.revenue_won, 0) as revenue_won, g.target
    from spans s cross join reps r
    left join won w on w.period = s.period and w.rep_id = r.rep_id
    left join goal g on g.period = s.period and g.rep_id = r.rep_id
    where ($team::VARCHAR is null or r.team = $team) and ($rep::VARCHAR is null or r.rep_id = $rep)
      and (r.active or coalesce(w.revenue_won, 0) > 0 or g.target is not null)
    """
    params = {"scenario": metrics.active_scenario(con), "team": scope.team, "rep": scope.rep_id}
    with con.cursor() as cur:
        cur.register("spans", spans)
        cur.register("span_months", months)
        frame = cur.execute(sql, params).df()
    frame["target"] = frame["target"].astype("float64")
    frame["attainment"] = frame["revenue_won"].astype("float64") / frame["target"].where(frame["target"] > 0)
    order = {p.label: i for i, p in enumerate(periods)}   # periods in the order given
    frame = frame.assign(_o=frame["period"].map(order)).sort_values(["_o", "rep_id"], kind="stable")
    return frame[["rep_id", "rep", "team", "attainment", "period"]].reset_index(drop=True)


def promotion_ready(con: Con, period: Period, min_attainment: float, count: int,
                    scope: Scope = Scope()) -> pd.DataFrame:
    """Reps whose attainment was >= ``min_attainment`` in each of the ``count`` periods ending
    with ``period`` (same kind). Columns: rep_id, rep, team, periods (labels), min_attainment
    (their lowest), mean_attainment. Attainment as in metrics.by_group (revenue_won over the
    rep's revenue target of the period's months), for every period in one query."""
    frames = []
    p = period
    for _ in range(max(1, count)):
        frames.append(p)
        p = p.previous()
    allp = _attainment_by_period(con, frames, scope)
    frames = [allp[allp["period"] == q.label] for q in frames]
    allp["ok"] = (allp["attainment"] >= min_attainment - EPS).astype("int64")
    agg = allp.groupby(["rep_id", "rep", "team"], as_index=False).agg(
        n=("ok", "sum"),
        min_attainment=("attainment", "min"), mean_attainment=("attainment", "mean"))
    ready = agg[agg["n"] >= max(1, count)].copy()
    ready["periods"] = ", ".join(sorted({f["period"].iloc[0] for f in frames if len(f)}))
    return ready.sort_values("min_attainment", ascending=False)[
        ["rep_id", "rep", "team", "periods", "min_attainment", "mean_attainment"]].reset_index(drop=True)


def movers(change: pd.DataFrame, n: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From :func:`compare`: the ``n`` reps who gain most (change > 0, largest first) and the
    ``n`` who lose most (change < 0, largest drop first)."""
    gains = change[change["change"] > 0].sort_values(["change", "rep_id"], ascending=[False, True]).head(n)
    losses = change[change["change"] < 0].sort_values(["change", "rep_id"]).head(n)
    return gains.reset_index(drop=True), losses.reset_index(drop=True)


def statements_archive(con: Con, plan: Plan, period: Period | str, scope: Scope,
                       labels: tuple[tuple[str, str], ...]) -> bytes:
    """Every rep's statement as XLSX files in one zip (``labels`` as (name, text) pairs)."""
    p = _period(plan, period)
    return statements_zip(statements(con, plan, p, scope), dict(labels), p.label, plan.name)


def statement_file(con: Con, plan: Plan, period: Period | str, rep_id: str,
                   labels: tuple[tuple[str, str], ...]) -> bytes:
    """One rep's statement as XLSX bytes (see :func:`statement_xlsx`)."""
    p = _period(plan, period)
    out, lines = _compute(con, plan, p, Scope(rep_id=rep_id))
    row = payouts_from(out).to_dict("records")[0]
    mine = _with_rounding(lines[lines["rep_id"] == rep_id].drop(columns="rep_id"), row["total"])
    return statement_xlsx(row, mine, dict(labels), p.label, plan.name)
