"""The query cache: salescore function results per (database, data version, user, arguments).

A cached function is known by an explicit name, the one callers write (``metrics.kpis``),
not by where it happens to be defined: results stay keyed the same when a package moves a
function between its modules, and two functions can never share a cache slot because they
share a ``__qualname__``. :data:`PACKAGES` lists what pages may query; a function outside
it is registered with :func:`register`.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

import streamlit as st

from salescore import (access, audit, customers, db, evaluation, goals, history, incentives, me,
                       metrics, photos, report, retention, scope, team)
from salescore.ui.connection import db_path, get_con, user

_FUNCTIONS: dict[str, Callable[..., Any]] = {}    # name -> function
_NAMES: dict[Callable[..., Any], str] = {}        # function -> name

#: The packages whose public functions pages and panels query, under the names callers use.
PACKAGES: dict[str, ModuleType] = {
    "audit": audit, "customers": customers, "db": db, "evaluation": evaluation, "goals": goals,
    "history": history,
    "incentives": incentives, "me": me, "metrics": metrics, "photos": photos, "report": report,
    "retention": retention, "scope": scope, "team": team,
}


def register(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Cache ``fn`` under ``name``. A function keeps its first name; a name is never reused
    for another function (ValueError)."""
    known = _FUNCTIONS.get(name)
    if known is not None and known is not fn:
        raise ValueError(f"ui.query name {name!r} is already taken by {known!r}")
    _FUNCTIONS[name] = fn
    _NAMES.setdefault(fn, name)
    return fn


def _public_functions(module: ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:   # a plain module: the functions it defines itself
        names = [n for n, v in vars(module).items()
                 if not n.startswith("_") and inspect.isfunction(v) and v.__module__ == module.__name__]
    return [n for n in names if inspect.isfunction(getattr(module, n, None))]


for _prefix, _module in PACKAGES.items():
    for _name in _public_functions(_module):
        register(f"{_prefix}.{_name}", getattr(_module, _name))


def name_of(fn: Callable[..., Any]) -> str:
    """The cache name of ``fn``; LookupError for a function nobody registered."""
    try:
        return _NAMES[fn]
    except (KeyError, TypeError):
        raise LookupError(f"{fn!r} is not registered for ui.query: export it from one of "
                          f"{sorted(PACKAGES)} or register it (salescore.ui.cache.register)") from None


@st.cache_data(ttl=3600, max_entries=2048, show_spinner=False)
def _cached(name: str, path: str, version: int, args: tuple, kwargs: tuple,
            who: access.User | None = None) -> Any:
    return _FUNCTIONS[name](access.restricted(get_con(path), who), *args, **dict(kwargs))


def query(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(con, *args, **kwargs)``, cached per (database, data version, user, arguments).

    Any committed write bumps the data version, so imports and edits are never served stale.
    The user (name, role, team, rep) is part of the key: two users never share a result.
    """
    name = name_of(fn)
    path = db_path()
    return _cached(name, path, db.data_version(get_con(path), path), args,
                   tuple(sorted(kwargs.items())), user())
