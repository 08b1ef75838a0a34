"""Effective-dated plan assignments and team moves (DESIGN.md section 10).

- A **plan assignment** (rep, plan, from, to) puts a rep on a plan for a window of days (``to``
  empty: until further notice). A plan that has no assignment pays every rep (as before
  assignments existed); once it has one, it pays only the reps assigned to it, and only for
  their windows: deals closed outside the window are not the plan's, and the target bonus and
  each month's quota are prorated by the working days the rep was both employed and assigned
  (section 5). A rep is on one plan at a time: assigning a rep from a day ends their open
  assignment on another plan the day before (a transfer); any other overlap is refused.
- A **team move** (rep, team, manager, from) records that the rep works in that team, under that
  manager, from that day. The history (table ``reps_history``) keeps each span; the day before
  the first move the rep was in the team the reps sheet named. The engine takes a rep's team at
  the end of the period (scope, the team's champion, a what-if on a team's quota), and a
  manager's override counts the deals a rep closed while reporting to them and the rep's quota
  in the share of the period's working days they did.

Adding and removing either are in the audit log; ``reps.team`` / ``reps.manager`` follow a move
that has begun, so the other pages show the rep where they work now.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from salescore import audit, db, sql
from salescore.errors import SalesCoreError
from salescore.periods import working_days

ASSIGNMENT_COLUMNS = ["assignment_id", "rep_id", "rep", "team", "plan_id", "plan", "from_date",
                      "to_date", "created_at", "created_by"]
MOVE_COLUMNS = ["move_id", "rep_id", "rep", "team", "manager", "from_date", "to_date",
                "created_at", "created_by"]


def _error(message: str, key: str, **params: Any) -> SalesCoreError:
    return SalesCoreError(message, key=f"assign.error.{key}", **params)


def _day(value: Any) -> date | None:
    if value is None or (not isinstance(value, date) and pd.isna(value)) or value == "":
        return None
    try:
        return pd.Timestamp(value).date()
    except (TypeError, ValueError) as exc:
        raise _error(f"{value!r} is not a date (use YYYY-MM-DD).", "date", value=str(value)) from exc


def _rep(cur: Any, rep_id: str) -> tuple[str, str | None, str | None]:
    rows = cur.execute("select name, team, manager from reps where rep_id = $r", {"r": rep_id}).fetchall()
    if not rows:
        raise _error(f"There is no rep {rep_id}.", "rep", rep=rep_id)
    return rows[0]


def plan_key(con: Any, plan_name: str) -> str | None:
    """The plan id whose assignments rule the plan named ``plan_name`` (the plan of that name
    saved last, as :func:`salescore.incentives.store.save_plan` continues it), or None when that
    plan has no assignment: it pays every rep."""
    rows = sql.rows(con, """
        select p.plan_id from plans p
        where p.name = $n and exists (select 1 from plan_assignments a where a.plan_id = p.plan_id)
        order by p.created_at desc, p.version desc limit 1""", {"n": plan_name})
    return str(rows[0][0]) if rows else None


def plan_id_of(con: Any, text: str) -> str:
    """The id of the saved plan with id or name ``text`` (the one saved last of that name)."""
    rows = sql.rows(con, "select plan_id from plans where plan_id = $p or name = $p "
                    "order by plan_id = $p desc, created_at desc limit 1", {"p": str(text)})
    if not rows:
        raise _error(f"There is no saved plan {text}.", "plan", plan=str(text))
    return str(rows[0][0])


def assign(con: Any, rep_id: str, plan_id: str, from_date: Any, to_date: Any = None,
           *, user: str | None = None) -> int:
    """Put ``rep_id`` on ``plan_id`` from ``from_date`` (to ``to_date`` inclusive, None: open);
    returns the assignment's number. Ends the rep's open assignment to another plan that began
    earlier on the day before (a transfer)."""
    start, end = _day(from_date), _day(to_date)
    if start is None:
        raise _error("Give the day the assignment starts.", "start")
    if end is not None and end < start:
        raise _error("The assignment ends on or after the day it starts.", "dates")
    who = user or audit.actor()
    with db.transaction(con) as cur:
        name = _rep(cur, rep_id)[0]
        if not cur.execute("select count(*) from plans where plan_id = $p", {"p": plan_id}).fetchall()[0][0]:
            raise _error(f"There is no saved plan {plan_id}.", "plan", plan=plan_id)
        far = date(9999, 12, 31)
        rows = cur.execute("""
            select assignment_id, plan_id, from_date, to_date from plan_assignments
            where rep_id = $r and from_date <= $b and coalesce(to_date, $far) >= $a
            order by from_date""", {"r": rep_id, "a": start, "b": end or far, "far": far}).fetchall()
        ended = None
        for number, other, begun, until in rows:
            if until is None and begun < start:
                ended = (number, other)      # the open assignment: it ends the day before
                continue
            span = f"{begun} – {until or ''}".strip()
            raise _error(f"{name} is already on plan {other} for {span}: end or take back that "
                         "assignment first.", "overlap", rep=name, plan=other, span=span)
        if ended:
            cur.execute("update plan_assignments set to_date = $d where assignment_id = $n",
                        {"d": start - timedelta(days=1), "n": ended[0]})
        number = int(cur.execute("select coalesce(max(assignment_id), 0) + 1 from plan_assignments").fetchall()[0][0])
        cur.execute("insert into plan_assignments (assignment_id, rep_id, plan_id, from_date, to_date, created_by) "
                    "values ($n, $r, $p, $a, $b, $u)",
                    {"n": number, "r": rep_id, "p": plan_id, "a": start, "b": end, "u": who})
        audit.record(cur, "plan_assignment", {"assignment_id": number, "rep_id": rep_id, "plan_id": plan_id,
                                              "from": str(start), "to": str(end or ""),
                                              "ended": ended[0] if ended else None}, user=who)
    return number


def unassign(con: Any, assignment_id: int, *, user: str | None = None) -> None:
    """Take an assignment back (the audit log keeps it)."""
    rows = assignments(con, assignment_id=int(assignment_id))
    if rows.empty:
        raise _error(f"There is no plan assignment {assignment_id}.", "unknown", number=int(assignment_id))
    who = user or audit.actor()
    with db.transaction(con) as cur:
        cur.execute("delete from plan_assignments where assignment_id = $n", {"n": int(assignment_id)})
        audit.record(cur, "plan_assignment_removed", {"assignment_id": int(assignment_id),
                                                      "rep_id": str(rows["rep_id"].iloc[0]),
                                                      "plan_id": str(rows["plan_id"].iloc[0])}, user=who)


def assignments(con: Any, *, plan_id: str | None = None, rep_id: str | None = None,
                assignment_id: int | None = None) -> pd.DataFrame:
    """The assignments (ASSIGNMENT_COLUMNS; plan = the plan's latest name), by rep then day."""
    return sql.run(con, """
        select a.assignment_id, a.rep_id, coalesce(r.name, a.rep_id) as rep, coalesce(r.team, '') as team,
               a.plan_id, coalesce((select p.name from plans p where p.plan_id = a.plan_id
                                    order by p.version desc limit 1), a.plan_id) as plan,
               a.from_date, a.to_date, a.created_at, a.created_by
        from plan_assignments a left join reps r on r.rep_id = a.rep_id
        where ($p::VARCHAR is null or a.plan_id = $p) and ($r::VARCHAR is null or a.rep_id = $r)
          and ($n::BIGINT is null or a.assignment_id = $n)
        order by rep, a.from_date, a.assignment_id""", {"p": plan_id, "r": rep_id, "n": assignment_id})


def assigned_days(con: Any, key: str | None, reps: pd.DataFrame, start: date, end: date) -> pd.Series:
    """Working days from ``start`` to ``end`` each rep of ``reps`` (rep_id, hire_date,
    leave_date) was employed and, under plan ``key`` (None: every rep, every day), assigned."""
    windows: dict[str, list[tuple[date, date]]] = {}
    if key is not None:
        frame = sql.run(con, "select rep_id, from_date, to_date from plan_assignments where plan_id = $p "
                        "and from_date <= $b and coalesce(to_date, $b) >= $a", {"p": key, "a": start, "b": end})
        for rep_id, a, b in frame.itertuples(index=False):
            windows.setdefault(str(rep_id), []).append(
                (max(start, pd.Timestamp(a).date()), end if pd.isna(b) else min(end, pd.Timestamp(b).date())))
    out = []
    hires = reps["hire_date"] if "hire_date" in reps else [None] * len(reps)
    leaves = reps["leave_date"] if "leave_date" in reps else [None] * len(reps)
    for rep_id, hire, leave in zip(reps["rep_id"], hires, leaves):
        first = start if hire is None or pd.isna(hire) else max(start, pd.Timestamp(hire).date())
        last = end if leave is None or pd.isna(leave) else min(end, pd.Timestamp(leave).date())
        spans = [(first, last)] if key is None else [(max(first, a), min(last, b)) for a, b in windows.get(str(rep_id), [])]
        out.append(sum(working_days(a, b) for a, b in spans if a <= b))
    return pd.Series(out, index=reps.index, dtype="float64")


def move(con: Any, rep_id: str, team: str, from_date: Any, manager: str | None = None,
         *, user: str | None = None, today: date | None = None) -> int:
    """Record that ``rep_id`` works in ``team`` (under ``manager``; None: the team's manager stays
    as it was) from ``from_date``; returns the move's number. The rep's earlier span ends the day
    before; a move before the rep's latest one is refused."""
    start = _day(from_date)
    if start is None:
        raise _error("Give the day the move takes effect.", "move_start")
    team = " ".join(str(team or "").split())
    if not team:
        raise _error("Name the team the rep moves to.", "team")
    who = user or audit.actor()
    with db.transaction(con) as cur:
        _, old_team, old_manager = _rep(cur, rep_id)
        boss = " ".join(str(manager).split()) if manager not in (None, "") else None
        latest = cur.execute("select move_id, from_date from reps_history where rep_id = $r and to_date is null",
                             {"r": rep_id}).fetchall()
        if latest and latest[0][1] is not None and latest[0][1] >= start:
            raise _error(f"{rep_id} already moved on {latest[0][1]}: a move must come after it "
                         "(remove that move first).", "order", rep=rep_id, start=str(latest[0][1]))
        nxt = int(cur.execute("select coalesce(max(move_id), 0) + 1 from reps_history").fetchall()[0][0])
        if latest:
            cur.execute("update reps_history set to_date = $d where move_id = $n",
                        {"d": start - timedelta(days=1), "n": latest[0][0]})
        else:   # the span before the first move: the team the reps sheet named
            cur.execute("insert into reps_history (move_id, rep_id, team, manager, from_date, to_date, created_by) "
                        "values ($n, $r, $t, $m, null, $d, $u)",
                        {"n": nxt, "r": rep_id, "t": old_team, "m": old_manager,
                         "d": start - timedelta(days=1), "u": who})
            nxt += 1
        boss = boss if boss is not None else old_manager
        cur.execute("insert into reps_history (move_id, rep_id, team, manager, from_date, to_date, created_by) "
                    "values ($n, $r, $t, $m, $a, null, $u)",
                    {"n": nxt, "r": rep_id, "t": team, "m": boss, "a": start, "u": who})
        if start <= (today or date.today()):
            cur.execute("update reps set team = $t, manager = $m where rep_id = $r",
                        {"t": team, "m": boss, "r": rep_id})
        audit.record(cur, "team_move", {"move_id": nxt, "rep_id": rep_id, "from_team": old_team,
                                        "team": team, "manager": boss, "from": str(start)}, user=who)
    return nxt


def remove_move(con: Any, move_id: int, *, user: str | None = None) -> None:
    """Take back the rep's latest move (the span before it is open again, and reps.team /
    reps.manager return to it); only the latest move of a rep can be taken back."""
    who = user or audit.actor()
    with db.transaction(con) as cur:
        rows = cur.execute("select rep_id, from_date, to_date from reps_history where move_id = $n",
                           {"n": int(move_id)}).fetchall()
        if not rows or rows[0][1] is None:
            raise _error(f"There is no team move {move_id}.", "unknown", number=int(move_id))
        rep_id, start, until = rows[0]
        if until is not None:
            raise _error(f"Move {move_id} is not {rep_id}'s latest: take the later ones back first.",
                         "not_latest", number=int(move_id), rep=rep_id)
        cur.execute("delete from reps_history where move_id = $n", {"n": int(move_id)})
        before = cur.execute("select move_id, team, manager, from_date from reps_history where rep_id = $r "
                             "order by from_date desc nulls last limit 1", {"r": rep_id}).fetchall()
        if before:
            cur.execute("update reps_history set to_date = null where move_id = $n", {"n": before[0][0]})
            cur.execute("update reps set team = $t, manager = $m where rep_id = $r",
                        {"t": before[0][1], "m": before[0][2], "r": rep_id})
            if before[0][3] is None:   # only the span before the first move is left: no history
                cur.execute("delete from reps_history where move_id = $n", {"n": before[0][0]})
        audit.record(cur, "team_move_removed", {"move_id": int(move_id), "rep_id": rep_id,
                                                "from": str(start)}, user=who)


def moves(con: Any, *, rep_id: str | None = None) -> pd.DataFrame:
    """Every rep's spans (MOVE_COLUMNS; from_date empty: since before the first move), by rep
    then day."""
    return sql.run(con, """
        select h.move_id, h.rep_id, coalesce(r.name, h.rep_id) as rep, coalesce(h.team, '') as team,
               h.manager, h.from_date, h.to_date, h.created_at, h.created_by
        from reps_history h left join reps r on r.rep_id = h.rep_id
        where ($r::VARCHAR is null or h.rep_id = $r)
        order by rep, h.from_date nulls first, h.move_id""", {"r": rep_id})
