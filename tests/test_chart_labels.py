"""Charts keep every label on a 1280 px screen (issue 18): rendered to SVG by vl-convert as
salescore.ui.draw sends them (container width, autosize fit-x), then the label texts and
their positions are read back. Also: one scale word per language on axes and cards, and the
pacing light on the Overview's team chart."""
from __future__ import annotations

import json
import re
from html import unescape

import pandas as pd
import pytest

from salescore import charts, fmt, goals
from salescore.charts.team import DARK_Z
from salescore.ui.draw import _fit_width

#: The chart column of a 1280 px screen with the sidebar open (wide layout, full width).
WIDTH = 820


def _texts(chart, width: int = WIDTH) -> list[tuple[float, float, str]]:
    """(x, y, text) of every visible text of ``chart`` drawn ``width`` px wide."""
    import vl_convert

    spec = _fit_width({**chart.to_dict(), "width": width})
    svg = vl_convert.vegalite_to_svg(json.dumps(spec))
    out = []
    for attrs, body in re.findall(r"<text([^>]*)>(.*?)</text>", svg, re.S):
        if 'opacity="0"' in attrs:
            continue
        x, y = (float(v) for v in re.search(r"translate\(([-\d.e]+),\s*([-\d.e]+)\)", attrs).groups())
        lines = re.findall(r"<tspan[^>]*>(.*?)</tspan>", body, re.S) or [body]
        out.append((x, y, unescape(" ".join(lines))))
    return out


def _labels(chart, names) -> dict[str, float]:
    """The y position of each of ``names`` among the chart's texts (missing: not drawn)."""
    return {text: y for _, y, text in _texts(chart) if text in set(names)}


NAMES = [f"销售{i:02d}号" for i in range(23)]


def test_ui_draw_sizes_the_plot_not_the_whole_chart():
    bars = charts.team_training_hours(
        pd.DataFrame({"rep": NAMES, "topic_label": "技能", "hours": range(1, 24)}), "zh")
    assert _fit_width(bars.to_dict())["autosize"]["type"] == "fit-x"
    ys = sorted(_labels(bars, NAMES).values())
    assert len(ys) == 23                                     # every rep named (was 12 of 23)
    assert min(b - a for a, b in zip(ys, ys[1:])) >= charts.BAR_STEP - 0.5


@pytest.mark.parametrize("build", [
    lambda f, lang: charts.payout_change(f.rename(columns={"value": "change"}), lang, "¥"),
    lambda f, lang: charts.top_customers(
        f.rename(columns={"name": "customer"}).assign(share=f["value"] / 100, revenue_won=f["value"]), lang, "¥"),
    lambda f, lang: charts.leaderboard(f[["rep"]].assign(revenue_won=f["value"].abs(), team="A"), lang, "¥"),
], ids=["payout_change", "top_customers", "leaderboard"])
def test_bar_charts_name_every_bar(build):
    frame = pd.DataFrame({"name": NAMES, "rep": NAMES, "value": [float(i * 1000 - 9000) for i in range(23)]})
    assert len(_labels(build(frame, "zh"), NAMES)) == 23


def test_identical_plans_draw_an_axis_without_nan():
    frame = pd.DataFrame({"rep": ["Ann", "Bob"], "change": [0.0, 0.0]})
    texts = [t for _, _, t in _texts(charts.payout_change(frame, "en", "¥"))]
    assert "Ann" in texts and not any("NaN" in t for t in texts)


def test_long_lever_names_are_not_cut():
    long = "Commission rate on new-customer revenue (+1 pt)"
    frame = pd.DataFrame({"label": [long, "Accelerator above 100%"], "change": [12000.0, -3000.0]})
    texts = [t for _, _, t in _texts(charts.lever_tornado(frame, "en", "¥"))]
    assert long in texts and not any(t.endswith("…") for t in texts)


def _heatmap(lang: str) -> tuple[pd.DataFrame, list[str]]:
    labels = {"en": ["Win rate", "Average deal size", "Sales cycle", "New-customer share",
                     "Repeat-revenue share", "Activities", "Products won", "Satisfaction (CSAT)",
                     "Attainment"],
              "zh": ["赢单率", "平均客单价", "销售周期", "新客户收入占比", "老客户复购收入占比", "跟进活动数",
                     "成交产品数", "客户满意度（CSAT）", "目标达成率"]}[lang]
    rows = [{"rep": rep, "metric_label": m, "better_z": z, "value_text": f"{z:+.1f}", "median_text": "0"}
            for rep, z0 in (("张伟", -2.6), ("刘洋", 0.2), ("杨帆", 2.4)) for m, z in
            ((m, z0 if k % 2 else -z0) for k, m in enumerate(labels))]
    return pd.DataFrame(rows), labels


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_heatmap_names_every_column(lang):
    frame, labels = _heatmap(lang)
    drawn = " ".join(t for _, _, t in _texts(charts.team_z_heatmap(frame, lang)))
    # a name may wrap onto lines: every word of every column name is on the chart
    assert all(word in drawn for label in labels for word in charts.wrapped(label, 12).split())


def test_heatmap_text_is_white_on_dark_cells():
    frame, _ = _heatmap("en")
    spec = charts.team_z_heatmap(frame, "en").to_dict()
    colour = spec["layer"][1]["encoding"]["color"]
    assert colour["condition"]["value"] == "white" and colour["value"] == "#111827"
    assert colour["condition"]["test"] == f"abs(datum.shown) >= {DARK_Z}"
    # the demo's darkest cells (|z| >= 2.4 here) get white text, the pale middle ones dark text
    assert 0 < DARK_Z < 2.4


@pytest.mark.parametrize("lang, value, axis, card", [
    ("zh", 2_500_000, "¥250万", "¥250万"), ("zh", 120_000_000, "¥1.2亿", "¥1.20亿"),
    ("zh", 45_000, "¥4.5万", "¥4.5万"), ("en", 2_500_000, "¥2.5M", "¥2.50M"), ("en", 45_000, "¥45k", "¥45.0k"),
    ("en", -30_000, "-¥30k", "-¥30.0k")])
def test_axes_and_cards_use_the_same_scale_word(lang, value, axis, card):
    chart = charts.stacked_months(pd.DataFrame({"month": ["2026-01"], "kind": ["a"], "amount": [float(value)]}),
                                  lang, "amount", "kind", "营收", currency="¥")
    spec = chart.to_dict()
    expr = spec["encoding"]["y"]["axis"]["labelExpr"]
    assert expr == charts.short_expr(lang, "¥")
    assert fmt.money(value, lang, wan=True) == card
    import vl_convert

    probe = {"data": {"values": [{"v": value}]}, "mark": "text",
             "encoding": {"text": {"field": "label"}},
             "transform": [{"calculate": charts.short_expr(lang, "¥", "datum.v"), "as": "label"}]}
    svg = vl_convert.vegalite_to_svg(json.dumps(probe))
    assert axis in unescape(svg)
    word = re.sub(r"[-¥\d.,]", "", axis)
    assert word == re.sub(r"[-¥\d.,]", "", card)              # the card's word is the axis's word
    assert word in {w for _, w in fmt.scale_words(lang)}


def test_team_chart_colours_attainment_by_the_pacing_light():
    """97% of target at the end of the period: amber on the Overview, as on Goals › Pacing."""
    frame = pd.DataFrame({"team": ["华东", "华北", "华南"], "attainment": [0.97, 1.02, 0.6],
                          "revenue_won": [97.0, 102.0, 60.0], "target": [100.0, 100.0, 100.0],
                          "pipeline_coverage": [None, None, 0.5]})
    lights = charts.pace_lights(frame, 1.0)
    assert lights == [goals.light(0.97, 3.0, None), "green", "red"] == ["amber", "green", "red"]
    spec = charts.team_attainment(frame, "zh", 1.0).to_dict()
    scale = spec["layer"][0]["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"]))["amber"] == charts.LIGHT_COLORS["amber"]


def test_dates_only_drops_midnight_times_and_keeps_blanks():
    frame = pd.DataFrame({"d": pd.to_datetime(["2026-12-31", None]), "t": pd.to_datetime(["2026-12-31 09:30", None]),
                          "x": [1, 2]})
    out = fmt.dates_only(frame)
    assert [str(v) for v in out["d"]] == ["2026-12-31", "None"]
    assert str(out["t"].dtype).startswith("datetime64") and list(out["x"]) == [1, 2]
    assert str(frame["d"].dtype).startswith("datetime64")       # the input is not changed
    plain = frame[["x"]]
    assert fmt.dates_only(plain) is plain
