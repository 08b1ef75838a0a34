"""ui.chart draws what st.altair_chart draws (same spec, same Arrow data), without the
schema validation in the app; tests switch the validation on (conftest)."""
from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest


def _script(use_helper: bool) -> None:
    import altair as alt
    import pandas as pd
    import streamlit as st

    from salescore import ui

    frame = pd.DataFrame({"month": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"]),
                          "team": ["华东", "华北", "华东"], "revenue": [120.5, 80.0, 99.9]})
    bars = alt.Chart(frame).mark_bar().encode(x="month:T", y="revenue:Q", color="team:N")
    rule = alt.Chart(pd.DataFrame({"y": [100.0]})).mark_rule().encode(y="y:Q")
    chart = (bars + rule).properties(title="营收")
    if use_helper:
        ui.chart(chart, width="stretch")
    else:
        st.altair_chart(chart, width="stretch")


def _drawn(use_helper: bool) -> tuple[dict, dict]:
    at = AppTest.from_function(_script, args=(use_helper,)).run()
    assert not at.exception
    proto = at.get("vega_lite_chart")[0].proto
    data = {d.name: d.data.data for d in proto.datasets}
    text = proto.spec
    for name, body in data.items():   # the dataset names are content hashes of each library's own
        text = text.replace(name, f"data-{sorted(data.values()).index(body)}")
    return json.loads(text), sorted(data.values())


def test_helper_sends_the_same_chart_as_streamlit():
    spec_helper, data_helper = _drawn(True)
    spec_st, data_st = _drawn(False)
    # one difference: the height is the plot's (fit-x), not plot + axes + legend (Streamlit's
    # "fit"), so a bar chart sized at charts.common.BAR_STEP per bar keeps every name
    assert spec_helper.pop("autosize") == {"type": "fit-x", "contains": "padding"}
    assert spec_st.pop("autosize") == {"type": "fit", "contains": "padding"}
    assert spec_helper == spec_st
    assert data_helper == data_st and len(data_helper) == 2


def test_facet_charts_keep_streamlits_sizing():
    from salescore.ui.draw import _fit_width

    facet = {"facet": {"field": "m"}, "spec": {"mark": "line"}}
    assert "autosize" not in _fit_width(facet)
    own = {"mark": "bar", "autosize": {"type": "pad"}}
    assert _fit_width(own) == own


def test_schema_checked_in_tests(monkeypatch):
    import altair as alt
    import pytest

    from salescore import ui

    assert ui.VALIDATE_CHARTS
    broken = alt.Chart({"values": [{"a": 1}]}).mark_bar().encode(x=alt.X("a:Q", bin="yes"))
    with pytest.raises(Exception):
        ui.chart(broken)
