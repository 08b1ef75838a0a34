"""The plan editor's tables: a plan's lists as editable frames (:func:`plan_tables`) and the
plan built back from the form's fields and tables (:func:`plan_from_form`)."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from salescore.incentives.plan import Plan


def plan_tables(plan: Plan) -> dict[str, pd.DataFrame]:
    """The plan's lists as editable tables: tiers (min_margin, rate), accelerators
    (above_attainment, multiplier), spiffs (kind, min_amount, rank, min_attainment (a
    champion's), bonus), non_cash (min_attainment, reward)."""
    comm = plan.commission
    return {
        "tiers": pd.DataFrame([t.to_dict() for t in (comm.tiers if comm else ())],
                              columns=["min_margin", "rate"], dtype="float64"),
        "accelerators": pd.DataFrame([a.to_dict() for a in plan.accelerators],
                                     columns=["above_attainment", "multiplier"], dtype="float64"),
        "spiffs": pd.DataFrame({"kind": pd.Series([s.kind for s in plan.spiffs], dtype="string"),
                                "min_amount": pd.Series([s.min_amount for s in plan.spiffs], dtype="float64"),
                                "rank": pd.Series([s.rank for s in plan.spiffs], dtype="float64"),
                                "min_attainment": pd.Series([s.min_attainment for s in plan.spiffs],
                                                            dtype="float64"),
                                "bonus": pd.Series([s.bonus for s in plan.spiffs], dtype="float64")}),
        "non_cash": pd.DataFrame({"min_attainment": pd.Series([n.min_attainment for n in plan.non_cash],
                                                              dtype="float64"),
                                  "reward": pd.Series([n.reward for n in plan.non_cash], dtype="string")}),
    }


def _blank(value: Any) -> bool:
    """An empty cell: None, NaN, pd.NA (a text column's) or ''."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return True
    return isinstance(value, str) and not value.strip()


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Table rows -> JSON-ish dicts: blank rows dropped, NaN cells left out."""
    out = []
    for record in frame.to_dict("records"):
        row = {k: (v.item() if hasattr(v, "item") else v) for k, v in record.items()
               if not _blank(v)}
        if row:
            out.append(row)
    return out


def plan_from_form(fields: Mapping[str, Any], tables: Mapping[str, pd.DataFrame]) -> Plan:
    """Build (and validate) a plan from the editor: ``fields`` holds name, period, and per
    component an on/off flag plus its numbers (base_bonus_on, pct_of_salary, gate, cap;
    commission_on, basis, default_rate; decelerator_on, below_attainment, decel_multiplier;
    clawback_on, clawback_days; carry_negative (default on); payout_cap_on, payout_cap;
    override_on, override_rate; draw_on, draw_amount, draw_recoverable, draw_months (0: always));
    ``tables`` as from plan_tables."""
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
            row.pop("min_attainment", None)
        elif row.get("kind") == "period_champion":
            row.pop("min_amount", None)
            if "rank" in row:
                row["rank"] = int(row["rank"]) if float(row["rank"]).is_integer() else row["rank"]
        spiffs.append(row)
    spec["spiffs"] = spiffs
    spec["clawback_days"] = int(f["clawback_days"]) if f.get("clawback_on") else None
    spec["carry_negative"] = bool(f.get("carry_negative", True))
    spec["payout_cap"] = f.get("payout_cap") if f.get("payout_cap_on") else None
    spec["non_cash"] = _records(tables["non_cash"])
    if f.get("override_on"):
        spec["override"] = {"rate": f.get("override_rate")}
    if f.get("draw_on"):
        spec["draw"] = {"amount": f.get("draw_amount"), "recoverable": bool(f.get("draw_recoverable", True)),
                        "months": int(f["draw_months"]) if f.get("draw_months") else None}
    return Plan.from_dict(spec)
