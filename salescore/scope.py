"""Whose figures: the company, one team or one rep (DESIGN.md section 1)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from salescore import sql


@dataclass(frozen=True)
class Scope:
    """Whose deals: the whole company, one team, or one rep."""

    team: str | None = None
    rep_id: str | None = None

    @property
    def level(self) -> str:
        return "rep" if self.rep_id else "team" if self.team else "company"

    @property
    def params(self) -> dict[str, Any]:
        """``$team`` and ``$rep`` for :func:`salescore.sql.in_scope`."""
        return {"team": self.team, "rep": self.rep_id}


def teams(con: Any) -> list[str]:
    """The team names of the reps table, sorted (blank and missing teams left out)."""
    return [r[0] for r in sql.rows(con, "select distinct team from reps where team is not null "
                                        "and team <> '' order by team")]
