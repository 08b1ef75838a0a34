"""Chart pictures: an Altair chart as PNG bytes through vl-convert (system fonts, CJK
included). Used by the deck, the SWOT board download and the chart-image buttons."""
from __future__ import annotations

from functools import lru_cache
from typing import Any


def sized(chart: Any, width: int, height: int) -> Any:
    """The chart drawn to exactly ``width`` x ``height`` pixels (legend and axes included)."""
    import altair as alt

    return chart.properties(width=width, height=height,
                            autosize=alt.AutoSizeParams(type="fit", contains="padding"))


def chart_png(chart: Any, scale: float = 2, *, width: int | None = None,
              height: int | None = None) -> bytes:
    """The chart as PNG bytes; with ``width`` and ``height`` the image is exactly
    (width x scale) x (height x scale) pixels. The first call warms the engine (~1 s)."""
    if width and height:
        chart = sized(chart, width, height)
    return _png(chart.to_json(), float(scale))


@lru_cache(maxsize=64)
def _png(spec: str, scale: float) -> bytes:
    """One rendering per chart spec (with its data) and scale: a deck built again, or the same
    chart downloaded twice, is not drawn twice (~0.1-1 s each; 64 pictures of ~100 KB at most)."""
    import vl_convert

    return vl_convert.vegalite_to_png(spec, scale=scale)
