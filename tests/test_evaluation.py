"""Evaluation statistics: bootstrap difference in means, difference-in-differences, verdicts."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salescore import evaluation
from salescore.errors import SalesCoreError
from salescore.evaluation import Estimate


def test_excludes_zero_and_verdict():
    assert evaluation.verdict(Estimate(0.1, 0.02, 0.2, 10)) == "up"
    assert evaluation.verdict(Estimate(-0.1, -0.2, -0.01, 10)) == "down"
    assert evaluation.verdict(Estimate(0.05, -0.01, 0.12, 10)) == "noise"
    assert evaluation.verdict(Estimate(0.0, 0.0, 0.1, 10)) == "noise"      # touching 0 is not excluding it
    assert evaluation.verdict(Estimate(np.nan, np.nan, np.nan, 0)) == "noise"
    assert Estimate(1, 0.5, 2, 3).excludes_zero


def test_bootstrap_mean_diff_hand_worked():
    # mean(a) - mean(b) = 2 - 0 = 2. Every resample of a has a mean in [1, 3] and b's is 0,
    # so the interval lies within [1, 3].
    est = evaluation.bootstrap_mean_diff([1, 2, 3], [0, 0, 0], n_boot=500, seed=1)
    assert est.estimate == pytest.approx(2.0)
    assert 1.0 <= est.low < 2.0 < est.high <= 3.0
    assert est.n == 6 and est.level == 0.95
    again = evaluation.bootstrap_mean_diff([1, 2, 3], [0, 0, 0], n_boot=500, seed=1)
    assert again == est                                                    # seeded: reproducible
    other = evaluation.bootstrap_mean_diff([1, 2, 3], [0, 0, 0], n_boot=500, seed=2)
    assert other.estimate == est.estimate and (other.low, other.high) != (est.low, est.high)


def test_bootstrap_ignores_nan_and_rejects_too_few():
    est = evaluation.bootstrap_mean_diff([1.0, np.nan, 3.0], [1.0, 1.0], n_boot=200)
    assert est.estimate == pytest.approx(1.0) and est.n == 4
    with pytest.raises(SalesCoreError) as err:
        evaluation.bootstrap_mean_diff([1.0], [1.0, 2.0])
    assert err.value.key == "evaluation.error.too_few"
    assert err.value.params == {"a": 1, "b": 2, "min": 2}


def test_unit_changes_averages_rows_and_drops_incomplete_units():
    frame = pd.DataFrame([
        # unit, group, period, value
        ("A", "yes", "before", 0.2), ("A", "yes", "before", 0.4), ("A", "yes", "after", 0.5),
        ("B", "no", "before", 0.3), ("B", "no", "after", 0.1),
        ("C", "no", "before", 0.9),                              # no after: dropped
        ("D", "no", "during", 0.9), ("D", "no", "after", 0.9),   # 'during' is not a window
    ], columns=["rep", "trained", "when", "win_rate"])
    units = evaluation.unit_changes(frame, unit="rep", group="trained", period="when",
                                    value="win_rate", treated="yes")
    assert list(units["unit"]) == ["A", "B"]
    # A: before = (0.2 + 0.4) / 2 = 0.3, after 0.5, change +0.2; B: 0.3 -> 0.1, change -0.2
    assert units["before"].tolist() == pytest.approx([0.3, 0.3])
    assert units["change"].tolist() == pytest.approx([0.2, -0.2])
    assert units["treated"].tolist() == [True, False]
    assert len(frame) == 8                                        # the input is not modified


def _panel(treated_changes, control_changes, base=0.3):
    rows = []
    for i, c in enumerate(treated_changes):
        rows += [(f"T{i}", True, "before", base), (f"T{i}", True, "after", base + c)]
    for i, c in enumerate(control_changes):
        rows += [(f"C{i}", False, "before", base + 0.05), (f"C{i}", False, "after", base + 0.05 + c)]
    return pd.DataFrame(rows, columns=["unit", "group", "period", "value"])


def test_diff_in_diff_constructed_effect():
    # treated changes 0.10, 0.12, 0.08 (mean 0.10); control 0.01, -0.01, 0.00 (mean 0.00):
    # DiD = 0.10 - 0.00 = 0.10. Resampled treated means lie in [0.08, 0.12] and control means
    # in [-0.01, 0.01], so the interval lies in [0.07, 0.13]: it excludes 0.
    did = evaluation.diff_in_diff(_panel([0.10, 0.12, 0.08], [0.01, -0.01, 0.0]), seed=3)
    assert did.estimate == pytest.approx(0.10)
    assert 0.07 <= did.low <= 0.10 <= did.high <= 0.13
    assert (did.n, did.n_treated, did.n_control) == (6, 3, 3)
    assert did.treated_change == pytest.approx(0.10) and did.control_change == pytest.approx(0.0)
    assert did.treated_before == pytest.approx(0.30) and did.control_before == pytest.approx(0.35)
    assert evaluation.verdict(did) == "up"


def test_diff_in_diff_no_effect_covers_zero():
    # both groups change by the same amounts on average: DiD = 0 - 0 = 0
    did = evaluation.diff_in_diff(_panel([0.05, -0.05, 0.02, -0.02], [0.04, -0.04, 0.01, -0.01]), seed=0)
    assert did.estimate == pytest.approx(0.0)
    assert did.low < 0 < did.high
    assert evaluation.verdict(did) == "noise"


def test_diff_in_diff_random_null_and_random_effect():
    rng = np.random.default_rng(7)
    common = rng.normal(0.02, 0.05, 60)          # everybody drifts by the same law
    null = evaluation.diff_in_diff(_panel(common[:30], common[30:]), seed=0)
    assert null.low < 0 < null.high
    lifted = evaluation.diff_in_diff(_panel(common[:30] + 0.08, common[30:]), seed=0)
    assert lifted.estimate == pytest.approx(null.estimate + 0.08)
    assert lifted.low > 0 and evaluation.verdict(lifted) == "up"


def test_diff_in_diff_needs_two_units_per_group():
    with pytest.raises(SalesCoreError) as err:
        evaluation.diff_in_diff(_panel([0.1], [0.0, 0.1]))
    assert err.value.params["a"] == 1 and err.value.params["b"] == 2


def test_bootstrap_mean_hand_worked_and_no_effect():
    # mean(0.1, 0.2, 0.3) = 0.2; every resample's mean lies in [0.1, 0.3]
    est = evaluation.bootstrap_mean([0.1, 0.2, 0.3, np.nan], n_boot=500, seed=4)
    assert est.estimate == pytest.approx(0.2) and est.n == 3
    assert 0.1 <= est.low < 0.2 < est.high <= 0.3 and evaluation.verdict(est) == "up"
    # changes symmetric around 0: the interval covers 0
    flat = evaluation.bootstrap_mean([-0.1, 0.0, 0.1, -0.05, 0.05], seed=0)
    assert flat.estimate == pytest.approx(0.0) and flat.low < 0 < flat.high
    with pytest.raises(SalesCoreError):
        evaluation.bootstrap_mean([1.0])


def test_did_from_units_equals_diff_in_diff():
    # the Plan & review page computes unit changes once and reuses them: same figures
    panel = _panel([0.10, 0.12, 0.08, 0.02], [0.01, -0.01, 0.0])
    units = evaluation._window_units(
        panel.rename(columns={"period": "bucket"}).assign(
            group=lambda f: np.where(f["group"], "treated", "control")), "value")
    assert units["unit"].tolist() == evaluation.unit_changes(panel)["unit"].tolist()
    fast = evaluation._did_from_units(units, n_boot=800, level=0.95, seed=5)
    slow = evaluation.diff_in_diff(panel, n_boot=800, seed=5)
    assert fast == slow
