"""Per-page server figures for ``python -m salescore bench`` (issue 9 "Scale").

Runs every page of the app with Streamlit's AppTest against one database file, in one
process, the way the server does:

- ``first_ms``: the page's first load with empty caches (every ``ui.query`` call runs its
  salescore function, in the order the page makes them, and metrics.first_won is rebuilt),
  the whole script run;
- ``rerun_ms``: the same page run again (what a widget change that touches no query costs:
  cache lookups plus building the page's elements);
- ``queries``: each ``ui.query`` call of the first load with its own time;
- ``whatif_ms``: the Incentives what-if panel after moving one of its sliders (a fragment:
  the server reruns only it; one uncached payout run plus the cached rest), and
  ``whatif_page_ms`` the whole page run AppTest makes for it; ``budget_tab_ms``: choosing its
  Budget tab, whose lever sensitivity runs only then.

``rss_mb`` is the process's peak RSS (VmHWM) after every page was visited: the server's memory
with the database loaded. Run it in its own process (``python -m bench.pages DB`` from the
checkout) so the figure is not the bench's own.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from salescore import i18n, metrics, ui
from salescore.ui import cache
from salescore.ui import incentives as sim

PAGES = ("overview", "data", "goals", "team", "incentives", "retention", "funnel", "customers",
         "review", "meeting")
APP = Path(__file__).resolve().parents[1] / "app.py"


def _no_pages_folder() -> None:
    """The real server decides once per process not to use the pages/ folder discovery;
    AppTest re-decides on every run (see tests/conftest.py), so pin the same decision."""
    original = PagesManager.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init  # type: ignore[method-assign]


def run(path: str | Path, pages: tuple[str, ...] = PAGES, reruns: int = 3) -> dict[str, Any]:
    """Figures per page (see the module doc) for the database at ``path``; one JSON-able dict."""
    os.environ["SALESCORE_DB"] = str(path)
    _no_pages_folder()
    calls: list[tuple[str, float]] = []
    original_query = ui.query

    def timed_query(fn: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original_query(fn, *args, **kwargs)
        finally:
            calls.append((cache.name_of(fn),
                          round((time.perf_counter() - start) * 1000, 1)))

    # pages and salescore.ui.* call ui.query through the package, the sidebar through ui.cache
    ui.query = cache.query = timed_query
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(APP), default_timeout=600)
    at.run()                                   # opens the connection, warms imports
    out: dict[str, Any] = {}
    try:
        for page in pages:
            st.cache_data.clear()
            metrics._FIRST_WON.clear()   # the per-version first-won table counts as first-load work
            calls.clear()
            start = time.perf_counter()
            at.switch_page(f"pages/{page}.py").run()
            first = (time.perf_counter() - start) * 1000
            if at.exception:
                out[page] = {"error": str(at.exception[0].value)[:300]}
                continue
            queries = list(calls)
            runs = []
            for _ in range(reruns):
                start = time.perf_counter()
                at.run()
                runs.append((time.perf_counter() - start) * 1000)
            out[page] = {"first_ms": round(first, 1), "rerun_ms": round(statistics.median(runs), 1),
                         "query_ms": round(sum(ms for _, ms in queries), 1), "queries": queries}
            if page == "incentives":
                out[page].update(_whatif(at) or {})
                out[page]["budget_tab_ms"] = _open_tab(at, "sim_tab", "incentives.tab_budget")
    finally:
        ui.query = cache.query = original_query
        st.cache_resource.clear()
    return {"pages": out, "rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the process image (a child
    started by the bench does not inherit the bench's peak, as ru_maxrss does across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _open_tab(at: Any, key: str, label_key: str) -> float:
    """Open a tab whose content runs only when it is chosen (its first, uncached run), ms."""
    at.session_state[key] = i18n.t(label_key, at.session_state["lang"])
    start = time.perf_counter()
    at.run()
    return round((time.perf_counter() - start) * 1000, 1)


def _whatif(at: Any) -> dict[str, float] | None:
    """Move the first what-if slider of the Incentives page a few steps (median ms).

    ``whatif_ms``: the what-if panel's own run, which is what the server does when a slider
    moves (the panel is an ``st.fragment``: only it reruns). AppTest always reruns the whole
    script, so the panel is timed from inside that run; ``whatif_page_ms`` is the whole run.
    """
    sliders = [s for s in at.slider if str(s.key or "").startswith("sim_lv_")]
    if not sliders:
        return None
    slider = sliders[0]
    panel = sim.whatif_panel
    spent: list[float] = []

    def timed_panel(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return panel(*args, **kwargs)
        finally:
            spent.append((time.perf_counter() - start) * 1000)

    sim.whatif_panel = timed_panel
    pages, panels = [], []
    try:
        for step in (1, 2, 3):
            value = min(slider.max, slider.value + step * slider.step) \
                if hasattr(slider, "step") else slider.value
            spent.clear()
            start = time.perf_counter()
            at.slider(key=slider.key).set_value(value).run()
            pages.append((time.perf_counter() - start) * 1000)
            panels.append(sum(spent))
    finally:
        sim.whatif_panel = panel
    return {"whatif_ms": round(statistics.median(panels), 1),
            "whatif_page_ms": round(statistics.median(pages), 1)}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    pages = tuple(argv[1:]) or PAGES
    print(json.dumps(run(argv[0], pages), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
