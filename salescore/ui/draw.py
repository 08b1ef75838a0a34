"""Drawing an Altair chart (built by salescore.charts) without Altair's schema validation."""
from __future__ import annotations

import hashlib
import os
import threading
from typing import Any

import streamlit as st

_CHART_LOCK = threading.Lock()   # Altair's theme and data-transformer switches are global
# Altair checks every finished spec against the Vega-Lite JSON schema: a quarter of a chart
# page's rerun at 1M deals, for charts our own code builds. The tests switch it back on
# (tests/conftest.py), so a chart that breaks the schema still fails CI.
VALIDATE_CHARTS = os.environ.get("SALESCORE_VALIDATE_CHARTS") == "1"


def chart(altair_chart: Any, *, where: Any = None, **kwargs: Any) -> Any:
    """``st.altair_chart`` without the schema validation: the spec is made here, each data
    frame travels as Arrow under a content-hash name (as Streamlit does), and
    ``st.vega_lite_chart`` draws it. ``where``: the container (default ``st``); ``kwargs``
    go to ``vega_lite_chart`` (width, height, key ...)."""
    import altair as alt
    from streamlit.dataframe_util import convert_anything_to_arrow_bytes

    datasets: dict[str, bytes] = {}

    def named(data: Any) -> dict[str, str]:
        body = convert_anything_to_arrow_bytes(data)
        name = hashlib.md5(body, usedforsecurity=False).hexdigest()
        datasets[name] = body
        return {"name": name}

    alt.data_transformers.register("salescore_named", lambda data: named(data))
    with _CHART_LOCK, alt.theme.enable("none"), alt.data_transformers.enable("salescore_named"):
        spec = altair_chart.to_dict(validate=VALIDATE_CHARTS)
    spec["datasets"] = {**(spec.get("datasets") or {}), **datasets}
    return (where or st).vega_lite_chart(_fit_width(spec), **kwargs)


def _fit_width(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` sized to the container's width only. Streamlit gives a single or layered chart
    autosize "fit", which also squeezes axes and legends into the chart's ``height``: a bar
    chart sized for 24 px per bar (charts.common.BAR_STEP) then gets ~17 and Vega-Lite drops
    every other name. With "fit-x" the height is the plot's, as in the deck's PNGs. Facet and
    concatenated charts keep Streamlit's own choice."""
    if "autosize" in spec or any(k in spec for k in ("facet", "hconcat", "vconcat", "concat", "repeat")):
        return spec
    return {**spec, "autosize": {"type": "fit-x", "contains": "padding"}}
