"""The manager's SWOT notes (table swot_notes): stored per team or rep, edited on the board,
auto items saved as notes, and the board's content (stored notes, then unsaved auto items)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from salescore import db, fmt, sql
from salescore.errors import SalesCoreError
from salescore.team.core import Con
from salescore.team.auto_swot import QUADRANTS, SwotItem, render

NOTE_SCOPES = ("team", "rep")
MAX_NOTE = 500


def _check_note(scope: str, quadrant: Any, text: Any) -> str:
    if scope not in NOTE_SCOPES:
        raise ValueError(scope)
    if quadrant not in QUADRANTS:
        raise SalesCoreError(f"{quadrant!r} is not a SWOT quadrant (S, W, O or T).",
                             key="team.error.quadrant", value=str(quadrant))
    clean = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text).strip()
    if not clean:
        raise SalesCoreError("A note needs some text: delete the row instead of emptying it.",
                             key="team.error.empty_note")
    if len(clean) > MAX_NOTE:
        raise SalesCoreError(f"A note can hold {MAX_NOTE} characters at most.",
                             key="team.error.long_note", max=MAX_NOTE)
    return clean


def notes(con: Con, scope: str, scope_id: str) -> pd.DataFrame:
    """The stored notes of one subject: note_id, quadrant, text, origin (in S/W/O/T order,
    then the order they were written)."""
    frame = sql.run(con, "select note_id, quadrant, text, origin from swot_notes "
                         "where scope = $scope and scope_id = $sid "
                         "order by position(quadrant in 'SWOT'), note_id",
                    {"scope": scope, "sid": scope_id})
    frame["note_id"] = frame["note_id"].astype("int64")
    return frame


def _insert(cur: Con, scope: str, scope_id: str, quadrant: str, text: str, origin: str) -> int:
    """Insert one checked note on the transaction's cursor; returns its note_id."""
    return int(cur.execute(
        "insert into swot_notes (scope, scope_id, quadrant, text, origin) "
        "values ($scope, $sid, $q, $text, $origin) returning note_id",
        {"scope": scope, "sid": scope_id, "q": quadrant, "text": text, "origin": origin}
    ).fetchall()[0][0])


def add_note(con: Con, scope: str, scope_id: str, quadrant: str, text: str,
             origin: str = "manual") -> int:
    """Store one note; returns its note_id."""
    clean = _check_note(scope, quadrant, text)
    if origin not in ("auto", "manual"):
        raise ValueError(origin)
    with db.transaction(con) as cur:
        return _insert(cur, scope, scope_id, quadrant, clean, origin)


def update_note(con: Con, note_id: int, text: str, quadrant: str | None = None) -> None:
    """Change a note's text (and quadrant); an edited auto note stays marked auto."""
    rows = sql.rows(con, "select scope, quadrant from swot_notes where note_id = $id",
                    {"id": int(note_id)})
    if not rows:
        raise SalesCoreError(f"Note {note_id} no longer exists.", key="team.error.no_note")
    scope, old_q = rows[0]
    q = quadrant or old_q
    clean = _check_note(scope, q, text)
    with db.transaction(con) as cur:
        cur.execute("update swot_notes set text = $text, quadrant = $q where note_id = $id",
                    {"text": clean, "q": q, "id": int(note_id)})


def delete_note(con: Con, note_id: int) -> None:
    """Remove one note (nothing happens when it is already gone)."""
    with db.transaction(con) as cur:
        cur.execute("delete from swot_notes where note_id = $id", {"id": int(note_id)})


def sync_notes(con: Con, scope: str, scope_id: str, edited: pd.DataFrame) -> dict[str, int]:
    """Make the stored notes of one subject equal to ``edited`` (the board's editor table:
    note_id — blank for new rows —, quadrant, text), in one transaction.

    Stored notes missing from ``edited`` are deleted, changed ones updated, new rows added as
    manual notes (new rows with no text are ignored). Every row is checked before anything
    is written. Returns counts: added, updated, deleted.
    """
    current = notes(con, scope, scope_id).set_index("note_id")
    keep, changes, new = set(), [], []
    for row in edited.to_dict("records"):
        nid = row.get("note_id")
        is_new = nid is None or (isinstance(nid, float) and math.isnan(nid)) or pd.isna(nid)
        if is_new:
            text = row.get("text")
            if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
                continue
            new.append((row.get("quadrant"), _check_note(scope, row.get("quadrant"), text)))
            continue
        nid = int(nid)
        if nid not in current.index:
            continue
        keep.add(nid)
        clean = _check_note(scope, row.get("quadrant"), row.get("text"))
        old = current.loc[nid]
        if clean != old["text"] or row.get("quadrant") != old["quadrant"]:
            changes.append((nid, row.get("quadrant"), clean))
    gone = [int(n) for n in current.index if int(n) not in keep]
    with db.transaction(con) as cur:
        for nid in gone:
            cur.execute("delete from swot_notes where note_id = $id", {"id": nid})
        for nid, q, text in changes:
            cur.execute("update swot_notes set quadrant = $q, text = $text where note_id = $id",
                        {"q": q, "text": text, "id": nid})
        for q, text in new:
            _insert(cur, scope, scope_id, q, text, "manual")
    return {"added": len(new), "updated": len(changes), "deleted": len(gone)}


def save_auto(con: Con, scope: str, scope_id: str, items: list[SwotItem], lang: str,
              currency: str | None = None) -> int:
    """Store the rendered text of auto items as origin 'auto' notes, skipping items whose
    text is already on the board. Money is written with ``currency`` (default: the symbol of
    the reporting currency, as on the board). Returns how many were added."""
    if currency is None:
        currency = fmt.symbol(db.reporting_currency(con))
    stored = notes(con, scope, scope_id)
    existing = set(zip(stored["quadrant"], stored["text"]))
    rows = []
    for item in items:
        text = render(item, lang, currency)
        if (item.quadrant, text) not in existing:
            existing.add((item.quadrant, text))
            rows.append((item.quadrant, _check_note(scope, item.quadrant, text)))
    if rows:
        with db.transaction(con) as cur:
            for q, text in rows:
                _insert(cur, scope, scope_id, q, text, "auto")
    return len(rows)


def board(stored: pd.DataFrame, items: list[SwotItem], lang: str,
          currency: str = fmt.CURRENCY) -> pd.DataFrame:
    """The 2x2 board's content: stored notes first, then auto items not stored yet (rendered
    with ``currency``, the reporting currency's symbol).

    Columns: quadrant, text, origin (auto/manual), saved (bool), note_id (NaN when unsaved).
    """
    saved = stored.assign(saved=True)[["quadrant", "text", "origin", "saved", "note_id"]]
    have = set(zip(saved["quadrant"], saved["text"]))
    extra = [{"quadrant": i.quadrant, "text": render(i, lang, currency), "origin": "auto", "saved": False,
              "note_id": np.nan} for i in items]
    extra = [e for e in extra if (e["quadrant"], e["text"]) not in have]
    out = pd.concat([saved.astype({"note_id": "float64"}),
                     pd.DataFrame(extra, columns=saved.columns)], ignore_index=True)
    out["order"] = out["quadrant"].map({q: i for i, q in enumerate(QUADRANTS)})
    out = out.sort_values(["order", "saved"], ascending=[True, False], kind="stable")
    return out.drop(columns="order").reset_index(drop=True)
