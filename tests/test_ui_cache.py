"""The query cache knows every function by an explicit name (salescore.ui.cache)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from salescore import metrics, ui
from salescore.ui import cache

ROOT = Path(__file__).resolve().parents[1]


def _query_targets() -> list[tuple[str, int, str]]:
    """(file, line, dotted name) of the first argument of every ui.query / cache.query /
    Builder.q call in app.py, pages/ and salescore/ (the deck queries through the page's cache)."""
    out = []
    files = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "salescore").rglob("*.py")]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called not in ("query", "q"):
                continue
            first = node.args[0]
            if isinstance(first, (ast.Attribute, ast.Name)):
                out.append((str(path.relative_to(ROOT)), node.lineno, ast.unparse(first)))
    return out


def test_every_queried_function_has_a_name():
    namespace = {**cache.PACKAGES, "ui": ui}
    names = {}
    found = _query_targets()
    assert len(found) > 60                          # the scan sees the pages' queries
    for where, line, dotted in found:
        if dotted in ("fn", "self"):                # generic wrappers passing a function on
            continue
        head, _, rest = dotted.partition(".")
        if head not in namespace:                   # a name imported into the page itself
            continue
        fn = namespace[head]
        for part in rest.split(".") if rest else []:
            fn = getattr(fn, part)
        names[dotted] = cache.name_of(fn)           # LookupError names the culprit
    assert names["metrics.kpis"] == "metrics.kpis"
    assert names["ui.teams_list"] == "scope.teams"


def test_names_are_the_public_ones_and_unique():
    assert cache.name_of(metrics.kpis) == "metrics.kpis"       # defined in metrics/kpis.py
    assert len(set(cache._FUNCTIONS)) == len(cache._FUNCTIONS)
    assert all(cache._FUNCTIONS[cache._NAMES[fn]] is fn for fn in cache._NAMES)


def test_an_unregistered_function_is_refused_and_a_name_is_never_reused():
    def local(con):
        return 1

    with pytest.raises(LookupError, match="not registered"):
        cache.name_of(local)
    with pytest.raises(LookupError):
        cache.name_of(lambda con: 2)
    with pytest.raises(ValueError, match="already taken"):
        cache.register("metrics.kpis", local)
