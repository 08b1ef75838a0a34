"""The incentive plan model (DESIGN.md section 5): a :class:`Plan` is a frozen dataclass built
from the §5 JSON (``Plan.from_dict`` / ``Plan.from_json``) and validated with
:class:`PlanError` messages a manager understands; plus the template plans.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from salescore.errors import PlanError

PERIOD_KINDS = ("month", "quarter", "year")
BASES = ("revenue", "margin", "collected")
SPIFF_KINDS = ("new_customer_deal", "period_champion")
EPS = 1e-9


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


#: The most entries a plan's lists may hold (a pasted plan with hundreds of accelerators once
#: kept the Incentives page busy for 91 s), and the longest plan JSON accepted.
MAX_ITEMS = {"commission.tiers": 20, "accelerators": 10, "spiffs": 20, "non_cash": 20}
MAX_JSON_CHARS = 64_000


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise _fail("list", f"{where} must be a list ([...]).", field=where)
    most = MAX_ITEMS.get(where)
    if most is not None and len(value) > most:
        raise _fail("too_many", f"{where} has {len(value)} entries: a plan may have at most {most}.",
                    field=where, count=len(value), most=most)
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
    """A special reward: ``new_customer_deal`` (min_amount) or ``period_champion`` (rank, and
    optionally min_attainment: no champion prize below it)."""

    kind: str
    bonus: float
    min_amount: float | None = None
    rank: int | None = None
    min_attainment: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == "new_customer_deal":
            out["min_amount"] = _clean_num(self.min_amount or 0.0)
        else:
            out["rank"] = self.rank
            if self.min_attainment is not None:
                out["min_attainment"] = self.min_attainment
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
              "clawback_days", "carry_negative", "payout_cap", "non_cash", "override", "draw")


@dataclass(frozen=True)
class Draw:
    """A draw (DESIGN §10): the rep is paid at least ``amount`` a month while in the draw window
    (the first ``months`` months from the hire date; every month when None); a recoverable
    draw's top-up is an advance recovered from later earnings above the draw."""

    amount: float
    recoverable: bool = True
    months: int | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Draw:
        d = _obj(data, "draw", ("amount", "recoverable", "months"))
        months = _nonneg(d.get("months"), "draw.months", required=False)
        if months is not None and (months != int(months) or months < 1):
            raise _fail("draw_months", f"draw.months must be a whole number of months from 1 ({months:g}).",
                        value=f"{months:g}")
        recoverable = d.get("recoverable", True)
        if not isinstance(recoverable, bool):
            raise _fail("draw_recoverable", "draw.recoverable must be true or false.", value=str(recoverable))
        return cls(_nonneg(d.get("amount"), "draw.amount"), recoverable,
                   None if months is None else int(months))

    def to_dict(self) -> dict[str, Any]:
        return {"amount": self.amount, "recoverable": self.recoverable, "months": self.months}


@dataclass(frozen=True)
class Override:
    """A manager's override (DESIGN §10): ``rate`` x the revenue won by the reps whose
    manager they are (reps.manager names them); their summed quota is the manager's quota."""

    rate: float

    def to_dict(self) -> dict[str, Any]:
        return {"rate": self.rate}


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
    #: a period total below zero is carried into the next period (recovered from later
    #: earnings); False: it pays 0 and nothing is carried
    carry_negative: bool = True
    override: Override | None = None
    draw: Draw | None = None

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
                s = _obj(raw, where, ("kind", "rank", "bonus", "min_attainment"))
                rank = s.get("rank", 1)
                if isinstance(rank, bool) or not isinstance(rank, (int, float)) or rank < 1 or rank != int(rank):
                    raise _fail("rank", f"Champion rank must be a whole number from 1 ({rank!r}).",
                                value=str(rank))
                spiffs.append(Spiff(kind, _nonneg(s.get("bonus"), f"{where}.bonus"), rank=int(rank),
                                    min_attainment=_nonneg(s.get("min_attainment"), f"{where}.min_attainment",
                                                           required=False)))
        claw = _nonneg(d.get("clawback_days"), "clawback_days", required=False)
        if claw is not None and claw != int(claw):
            raise _fail("whole_days", f"clawback_days must be a whole number of days ({claw:g}).",
                        value=f"{claw:g}")
        carry = d.get("carry_negative", True)
        if carry is None:
            carry = True
        if not isinstance(carry, bool):
            raise _fail("carry_negative", "carry_negative must be true (a negative period total is "
                        f"recovered from later earnings) or false (it is not), not {carry!r}.",
                        value=str(carry))
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
            non_cash=tuple(rewards), carry_negative=carry,
            override=Override(_rate(_obj(d["override"], "override", ("rate",)).get("rate"), "override.rate"))
            if d.get("override") is not None else None,
            draw=Draw.from_dict(d["draw"]) if d.get("draw") is not None else None)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Parse the §5 JSON text; invalid or oversized JSON is a PlanError too."""
        if isinstance(text, (str, bytes)) and len(text) > MAX_JSON_CHARS:
            raise _fail("too_long", f"The plan text is {len(text):,} characters long: a plan may "
                        f"have at most {MAX_JSON_CHARS:,}.", size=f"{len(text):,}",
                        most=f"{MAX_JSON_CHARS:,}")
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, TypeError) as exc:
            detail = f"line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
            raise _fail("json", f"The plan is not valid JSON ({detail}).", detail=detail) from None
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The §5 JSON object (absent components are left out; clawback_days, carry_negative and
        payout_cap always written)."""
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
        out["carry_negative"] = self.carry_negative
        out["payout_cap"] = _clean_num(self.payout_cap)
        if self.non_cash:
            out["non_cash"] = [n.to_dict() for n in self.non_cash]
        if self.override:
            out["override"] = self.override.to_dict()
        if self.draw:
            out["draw"] = self.draw.to_dict()
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


