"""Whole-number splits: largest-remainder rounding and rebalancing around overrides, so that
children always sum exactly to their parent."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from salescore.goals.core import _err, _num, _whole


def _lr_rows(totals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise largest remainder: whole ``totals`` (n,) split by ``weights`` (n, m) >= 0.

    Returns int64 (n, m) whose rows sum exactly to ``totals``. Each cell gets the floor of its
    exact quota, then the units left go to the largest fractional parts (ties: leftmost
    first). A row of zero weights is split equally.
    """
    totals = np.asarray(totals, dtype="int64")
    w = np.asarray(weights, dtype="float64")
    n, m = w.shape
    if m == 0:
        return np.zeros((n, 0), dtype="int64")
    sums = w.sum(axis=1)
    zero = sums <= 0
    if zero.any():
        w = w.copy()
        w[zero] = 1.0
        sums = w.sum(axis=1)
    quotas = totals[:, None].astype("float64") * (w / sums[:, None])
    floors = np.floor(quotas)
    out = floors.astype("int64")
    rem = totals - out.sum(axis=1)             # 0 <= rem <= m (floors never exceed quotas)
    order = np.argsort(-(quotas - floors), axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(m), (n, m)), axis=1)
    out += ranks < np.clip(rem, 0, m)[:, None]
    # float error on huge totals could leave a unit or two: put it on the largest cell
    left = totals - out.sum(axis=1)
    if left.any():
        rows = np.nonzero(left)[0]
        out[rows, np.argmax(w[rows], axis=1)] += left[rows]
    return out


def largest_remainder(total: int, weights: Sequence[float] | np.ndarray) -> np.ndarray:
    """Split the whole number ``total`` in proportion to ``weights`` into whole numbers that sum
    exactly to ``total`` (largest-remainder method; all-zero weights split equally).

    Raises SalesCoreError for a negative total or weight, or a total with nowhere to go.
    """
    w = np.asarray(weights, dtype="float64")
    total = int(total)
    if total < 0:
        raise _err(f"A target cannot be negative ({_num(total)}).", "negative", value=_num(total))
    if len(w) == 0:
        if total:
            raise _err("There is nobody to give the target to.", "nobody")
        return np.zeros(0, dtype="int64")
    if not np.isfinite(w).all() or (w < 0).any():
        raise _err("Split weights must be zero or positive.", "weights")
    return _lr_rows(np.array([total]), w[None, :])[0]


def rebalance(weights: Sequence[float] | np.ndarray, parent: int, fixed: Mapping[int, int],
              what: str = "") -> np.ndarray:
    """The children of ``parent`` after overrides: positions in ``fixed`` keep their value, the
    others share what is left in proportion to ``weights`` (largest remainder), so the result
    sums exactly to ``parent``.

    Raises SalesCoreError when the overrides add up to more than the parent, when every child
    is fixed but they do not add up to it, or for a negative override. ``what`` names the
    parent in the message.
    """
    w = np.asarray(weights, dtype="float64")
    out = np.zeros(len(w), dtype="int64")
    free = np.ones(len(w), dtype=bool)
    for pos, value in fixed.items():
        value = _whole(value)
        if value < 0:
            raise _err(f"A target cannot be negative ({_num(value)}).", "negative", value=_num(value))
        out[pos] = value
        free[pos] = False
    rest = int(parent) - int(out.sum())
    if rest < 0:
        raise _err(f"The changed targets add up to {_num(out.sum())}, more than the "
                   f"{_num(parent)} of {what}.", "override_too_big",
                   overrides=_num(out.sum()), parent=_num(parent), what=what)
    if not free.any():
        if rest:
            raise _err(f"Every target under {what} was changed and they add up to "
                       f"{_num(out.sum())}, not {_num(parent)}: leave at least one free.",
                       "all_fixed", overrides=_num(out.sum()), parent=_num(parent), what=what)
        return out
    out[free] = largest_remainder(rest, w[free])
    return out
