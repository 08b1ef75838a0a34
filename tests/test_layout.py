"""The layering of DESIGN.md section 1, checked on the source text with ``ast`` (nothing of the
project is imported, so a broken module cannot hide a broken rule, and the file runs in a
fraction of a second):

(i)   no import cycles among salescore modules (imports inside functions count too);
(ii)  only salescore/ui/** imports streamlit inside the package (app.py and pages/ are above it);
(iii) nothing in salescore/, pages/ or app.py imports the benchmarks (bench/);
(iv)  no module in salescore/ is longer than 600 lines;
(v)   no function-level import of a salescore module in salescore/ (every ``from salescore``
      at the top), except the short list below, each with its reason;
(vi)  access (L2) imports none of metrics, incentives, retention.

Each failure names the file and line of the offending import.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "salescore"
MAX_LINES = 600

#: Function-level imports of salescore modules that stay, and why. (file, imported module)
LAZY_ALLOWED = {
    # `python -m salescore metrics --json` must not import pandas (a third of its run at 1M
    # deals; tests/test_cli.py::test_metrics_json_does_not_load_pandas): the modules that load
    # pandas (and streamlit, for serve) are imported inside the command that needs them.
    **{(f"salescore/cli/{part}.py", f"salescore.{name}"): "pandas kept out of metrics --json"
       for part, names in (("data", ("demo", "backup", "access", "ingest", "ingest.export", "history")),
                           ("figures", ("incentives", "report")),
                           ("time", ("history", "history.forecast", "retention", "incentives")))
       for name in names},
    ("salescore/cli/figures.py", "salescore.ui.serve"): "streamlit and pandas kept out of the other commands",
}


@dataclass(frozen=True)
class Import:
    source: str          # the importing file, relative to the repository root
    line: int
    target: str          # the module imported (salescore.x.y), or a third-party top name
    top_level: bool      # at module level (not inside a function)

    def where(self) -> str:
        return f"{self.source}:{self.line}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    """salescore module name -> file."""
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str) -> str:
    """``name`` as the longest salescore module it names (an attribute import resolves to its
    module: salescore.ui.t -> salescore.ui)."""
    modules = _modules()
    parts = name.split(".")
    while parts and ".".join(parts) not in modules:
        parts.pop()
    return ".".join(parts) or name


def _imports(path: Path) -> list[Import]:
    source = str(path.relative_to(ROOT))
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=source)
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    out: list[Import] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    out.append(Import(source, child.lineno, _target(alias.name), top))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - (child.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in child.names:
                    out.append(Import(source, child.lineno, _target(f"{base}.{alias.name}", base), top))
            visit(child, inside)

    visit(tree, True)
    return out


def _target(name: str, base: str | None = None) -> str:
    if name.split(".")[0] != "salescore":
        return (base or name).split(".")[0]
    return _resolve(name)


@cache
def _all_imports() -> tuple[Import, ...]:
    files = [*sorted(PACKAGE.rglob("*.py")), ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    return tuple(i for path in files for i in _imports(path))


def _package_imports() -> list[Import]:
    return [i for i in _all_imports() if i.source.startswith("salescore/")]


# --- (i) no import cycles -------------------------------------------------------------------

def _cycles(edges: dict[str, dict[str, Import]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), or a self-import."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1 or v in edges.get(v, {}):
                found.append(sorted(part))

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return found


def _one_loop(edges: dict[str, dict[str, Import]], part: list[str]) -> list[Import]:
    """One concrete loop through the component, as the imports that make it."""
    members = set(part)
    start = part[0]
    path: list[Import] = []
    seen: set[str] = set()

    def walk(v: str) -> bool:
        for w, imp in sorted(edges.get(v, {}).items()):
            if w not in members:
                continue
            path.append(imp)
            if w == start:
                return True
            if w not in seen:
                seen.add(w)
                if walk(w):
                    return True
            path.pop()
        return False

    walk(start)
    return path


def test_no_import_cycles():
    modules = _modules()
    edges: dict[str, dict[str, Import]] = {}
    for imp in _package_imports():
        here = _module_name(ROOT / imp.source)
        if imp.target in modules and imp.target != here:
            edges.setdefault(here, {}).setdefault(imp.target, imp)
    problems = []
    for part in _cycles(edges):
        loop = _one_loop(edges, part)
        steps = " -> ".join(f"{i.where()} imports {i.target}"
                            + ("" if i.top_level else " (inside a function)") for i in loop)
        problems.append(f"cycle among {', '.join(part)}: {steps}")
    assert not problems, "\n".join(problems)


# --- (ii) streamlit only in salescore/ui -----------------------------------------------------

def test_only_ui_imports_streamlit():
    bad = [f"{i.where()} imports streamlit (only salescore/ui/** may)" for i in _package_imports()
           if i.target == "streamlit" and not i.source.startswith("salescore/ui/")]
    assert not bad, "\n".join(bad)


# --- (iii) nothing imports the benchmarks ----------------------------------------------------

def test_nothing_imports_bench():
    bad = [f"{i.where()} imports bench (benchmarks live outside the app; the CLI loads them "
           "from the checkout at call time)" for i in _all_imports() if i.target == "bench"]
    assert not bad, "\n".join(bad)


# --- (iv) module size ------------------------------------------------------------------------

def test_no_module_over_600_lines():
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            long.append(f"{path.relative_to(ROOT)}: {lines} lines (limit {MAX_LINES}: split it "
                        "along its seams into a package)")
    assert not long, "\n".join(long)


# --- (v) salescore imports at the top --------------------------------------------------------

def test_no_function_level_salescore_imports():
    bad = [f"{i.where()} imports {i.target} inside a function (move it to the top of the module)"
           for i in _package_imports()
           if not i.top_level and i.target.startswith("salescore")
           and (i.source, i.target) not in LAZY_ALLOWED]
    assert not bad, "\n".join(bad)


def test_lazy_allowed_list_is_current():
    """Every exception above is still needed (a stale entry would hide a new lazy import)."""
    used = {(i.source, i.target) for i in _package_imports() if not i.top_level}
    stale = sorted(f"{src}: {target}" for src, target in LAZY_ALLOWED if (src, target) not in used)
    assert not stale, "no longer imported lazily, drop from LAZY_ALLOWED: " + "; ".join(stale)


# --- (vi) access stays below metrics, incentives, retention ---------------------------------

def test_access_does_not_import_metrics_incentives_retention():
    above = ("salescore.metrics", "salescore.incentives", "salescore.retention")
    bad = [f"{i.where()} imports {i.target} (access is below it: DESIGN.md section 1)"
           for i in _package_imports()
           if _module_name(ROOT / i.source).startswith("salescore.access")
           and any(i.target == a or i.target.startswith(a + ".") for a in above)]
    assert not bad, "\n".join(bad)


# --- the checker itself ----------------------------------------------------------------------

def test_checker_sees_relative_attribute_and_function_imports(tmp_path):
    imports = {(i.target, i.top_level) for i in _imports(PACKAGE / "ui" / "__init__.py")}
    assert ("salescore.ui.cache", True) in imports          # from salescore.ui.cache import query
    cli = {(i.target, i.top_level) for i in _imports(PACKAGE / "cli" / "data.py")}
    assert ("salescore.db", True) in cli and ("salescore.demo", False) in cli
    assert _resolve("salescore.ui.t") == "salescore.ui"
    edges = {"a": {"b": Import("a.py", 1, "b", True)}, "b": {"a": Import("b.py", 2, "a", False)}}
    assert _cycles(edges) == [["a", "b"]]
    assert [i.where() for i in _one_loop(edges, ["a", "b"])] == ["a.py:1", "b.py:2"]
