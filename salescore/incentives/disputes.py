"""Disputes (DESIGN.md section 10): a rep questions a line of their statement; the manager
accepts it, changes the amount or rejects it, with a reply.

A rep flags one line (period, plan, component, deal) with the amount they believe it should
be and a reason; one open dispute per line. The manager then

- **accepts**: the difference (the rep's amount - the line's amount) is paid,
- **changes**: the difference to the amount the manager gives is paid (with a reply),
- **rejects**: nothing is paid (with a reply).

An accepted or changed dispute is paid as an ``adjustment`` line in the first open pay period
after the disputed one (``paid_in``), detail 'period · component · dispute:N'; once that
period is closed the line is part of its stored statements. Every step is in the audit log;
table ``disputes`` (schema 8).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from salescore import audit, db, sql
from salescore.errors import SalesCoreError
from salescore.incentives import closing
from salescore.periods import Period, parse

STATUSES = ("open", "accepted", "changed", "rejected")
ACTIONS = {"accept": "accepted", "change": "changed", "reject": "rejected"}
COLUMNS = ["dispute_id", "period", "plan_id", "rep_id", "rep", "team", "component", "deal_id",
           "line_amount", "claimed_amount", "reason", "status", "amount", "paid_in", "reply",
           "raised_at", "raised_by", "resolved_at", "resolved_by"]
_MAX_TEXT = 2000
TAG = closing.DISPUTE_TAG


def _error(message: str, key: str, **params: Any) -> SalesCoreError:
    return SalesCoreError(message, key=f"disputes.error.{key}", **params)


def _text(value: str | None) -> str:
    return " ".join(str(value or "").split())[:_MAX_TEXT]


def raise_dispute(con: Any, *, period: Period | str, plan_id: str, rep_id: str, component: str,
                  deal_id: str | None, line_amount: float, claimed_amount: float, reason: str,
                  user: str | None = None) -> int:
    """``rep_id`` questions the ``component`` line of ``deal_id`` (None: a line of the rep, such
    as the base bonus) on their ``period`` statement: it paid ``line_amount``, they believe
    ``claimed_amount``. Returns the dispute's number."""
    label = parse(period).label if isinstance(period, str) else period.label
    why = _text(reason)
    if not why:
        raise _error("Say why the line is wrong: the reason is what your manager reads.", "reason")
    if claimed_amount is None or not np.isfinite(float(claimed_amount)):
        raise _error("Give the amount you believe the line should be.", "claimed")
    if abs(float(claimed_amount) - float(line_amount)) < 0.005:
        raise _error("The amount you give is what the line pays already: give the amount you "
                     "believe is right.", "same")
    who = user or audit.actor()
    with db.transaction(con) as cur:
        taken = cur.execute(
            "select dispute_id from disputes where period = $p and plan_id = $plan and rep_id = $r "
            "and component = $c and deal_id is not distinct from $d and status = 'open'",
            {"p": label, "plan": plan_id, "r": rep_id, "c": component, "d": deal_id}).fetchall()
        if taken:
            raise _error(f"This line is questioned already (dispute {taken[0][0]}): wait for the reply.",
                         "open", number=int(taken[0][0]))
        number = int(cur.execute("select coalesce(max(dispute_id), 0) + 1 from disputes").fetchall()[0][0])
        cur.execute("""insert into disputes (dispute_id, period, plan_id, rep_id, component, deal_id,
                           line_amount, claimed_amount, reason, status, raised_by)
                       values ($n, $p, $plan, $r, $c, $d, $line, $claim, $why, 'open', $u)""",
                    {"n": number, "p": label, "plan": plan_id, "r": rep_id, "c": component,
                     "d": deal_id, "line": round(float(line_amount), 2),
                     "claim": round(float(claimed_amount), 2), "why": why, "u": who})
        audit.record(cur, "dispute_raise", {"dispute_id": number, "period": label, "rep_id": rep_id,
                                            "component": component, "deal_id": deal_id,
                                            "line_amount": round(float(line_amount), 2),
                                            "claimed_amount": round(float(claimed_amount), 2)}, user=who)
    return number


def resolve(con: Any, dispute_id: int, action: str, *, reply: str = "", amount: float | None = None,
            user: str | None = None) -> dict[str, Any]:
    """The manager's answer to an open dispute: ``action`` accept, change (``amount`` = what
    the line should pay) or reject; a reply is needed to change or reject. Returns the
    dispute (COLUMNS) as stored."""
    if action not in ACTIONS:
        raise _error(f"Unknown answer {action}: accept, change or reject.", "action", action=action)
    row = get(con, dispute_id)
    if row["status"] != "open":
        raise _error(f"Dispute {dispute_id} is answered already.", "answered", number=int(dispute_id))
    words = _text(reply)
    if action != "accept" and not words:
        raise _error("Write a reply: the rep reads why their line was changed or rejected.", "reply")
    if action == "change":
        if amount is None or not np.isfinite(float(amount)):
            raise _error("Give the amount the line should pay.", "amount")
        pay = round(float(amount) - row["line_amount"], 2)
    elif action == "accept":
        pay = round(row["claimed_amount"] - row["line_amount"], 2)
    else:
        pay = 0.0
    paid_in = closing.first_open_after(con, parse(row["period"])).label if pay else None
    who = user or audit.actor()
    with db.transaction(con) as cur:
        done = cur.execute("""update disputes set status = $s, amount = $a, paid_in = $in, reply = $reply,
                                  resolved_at = current_timestamp, resolved_by = $u
                              where dispute_id = $n and status = 'open' returning dispute_id""",
                           {"s": ACTIONS[action], "a": pay, "in": paid_in, "reply": words or None,
                            "u": who, "n": int(dispute_id)}).fetchall()
        if not done:   # another answer came first (it stands; nothing is written here)
            raise _error(f"Dispute {dispute_id} is answered already.", "answered", number=int(dispute_id))
        audit.record(cur, f"dispute_{action}", {"dispute_id": int(dispute_id), "amount": pay,
                                                "paid_in": paid_in, "reply": words or None}, user=who)
    return get(con, dispute_id)


def get(con: Any, dispute_id: int) -> dict[str, Any]:
    """One dispute (COLUMNS), or the sentence for a number that does not exist."""
    rows = listing(con, dispute_id=int(dispute_id)).to_dict("records")
    if not rows:
        raise _error(f"There is no dispute {dispute_id}.", "unknown", number=int(dispute_id))
    return rows[0]


def listing(con: Any, *, rep_id: str | None = None, status: str | None = None,
            dispute_id: int | None = None) -> pd.DataFrame:
    """The disputes (COLUMNS), open ones first, then the newest: all, one rep's, one status's."""
    return sql.run(con, """
        select d.dispute_id, d.period, d.plan_id, d.rep_id, coalesce(r.name, d.rep_id) as rep,
               coalesce(r.team, '') as team, d.component, d.deal_id, d.line_amount,
               d.claimed_amount, d.reason, d.status, d.amount, d.paid_in, d.reply,
               d.raised_at, d.raised_by, d.resolved_at, d.resolved_by
        from disputes d left join reps r on r.rep_id = d.rep_id
        where ($r::VARCHAR is null or d.rep_id = $r) and ($s::VARCHAR is null or d.status = $s)
          and ($n::BIGINT is null or d.dispute_id = $n)
        order by d.status <> 'open', d.raised_at desc, d.dispute_id desc""",
                   {"r": rep_id, "s": status, "n": dispute_id})


def open_count(con: Any) -> int:
    """How many disputes wait for the manager's answer."""
    return int(sql.scalar(con, "select count(*) from disputes where status = 'open'") or 0)


def lines(con: Any, period: Period, plan_name: str | None = None) -> pd.DataFrame:
    """The adjustment lines the answered disputes pay in ``period`` (engine line columns): those
    raised on a statement of the plan called ``plan_name`` (any saved version of it; None:
    every plan's)."""
    frame = sql.run(con, """
        select rep_id, deal_id, period, component, dispute_id, line_amount + amount as basis, amount
        from disputes where paid_in = $p and status in ('accepted', 'changed') and amount <> 0
          and ($n::VARCHAR is null or plan_id in (select plan_id from plans where name = $n))
        order by dispute_id""", {"p": period.label, "n": plan_name})
    return pd.DataFrame({
        "rep_id": frame["rep_id"].astype("str"), "component": "adjustment",
        "deal_id": frame["deal_id"], "day": pd.Timestamp(period.start),
        "basis": frame["basis"].astype("float64"), "rate": np.nan, "multiplier": np.nan,
        "amount": frame["amount"].astype("float64"),
        "detail": [f"{p} · {c} · {TAG}{n}" for p, c, n in
                   zip(frame["period"], frame["component"], frame["dispute_id"])]})
