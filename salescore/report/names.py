"""Rep names for an all-hands slide: initials (``Emma Carter`` -> ``E.C.``, ``张伟`` -> ``张某``)
and unique aliases for a whole roster."""
from __future__ import annotations

import re

from salescore import sql
from salescore.report.model import Con

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
    return [r[0] for r in sql.rows(con, "select name from reps where name is not null order by rep_id")]

