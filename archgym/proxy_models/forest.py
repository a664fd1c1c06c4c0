"""A fitted scikit-learn tree ensemble packed into flat arrays and walked by one Numba loop.

scikit-learn predicts tree by tree from Python, paying a few microseconds per tree per call:
for a proxy answering one design with a hundred trees per metric, that overhead is
the whole cost. Packed, every tree of a forest is walked in one compiled call, with the
same float32 comparisons scikit-learn makes, so predictions agree to the last bit.

Example:
    >>> import numpy as np
    >>> from sklearn.ensemble import ExtraTreesRegressor
    >>> X = np.random.default_rng(0).uniform(size=(50, 2))
    >>> forest = ExtraTreesRegressor(n_estimators=5, random_state=0).fit(X, X[:, 0])
    >>> packed = PackedForest.from_sklearn(forest)
    >>> bool(np.allclose(packed.per_tree(X).mean(0), forest.predict(X)))
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np


@numba.njit(cache=True)
def _walk(
    X: np.ndarray,
    roots: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    value: np.ndarray,
) -> np.ndarray:  # pragma: no cover - compiled
    n, trees = X.shape[0], roots.shape[0]
    out = np.empty((trees, n))
    for j in range(trees):
        for i in range(n):
            node = roots[j]
            while left[node] >= 0:
                # float32 input against a float64 threshold, exactly as scikit-learn compares.
                if np.float64(X[i, feature[node]]) <= threshold[node]:
                    node = left[node]
                else:
                    node = right[node]
            out[j, i] = value[node]
    return out


@dataclass(frozen=True)
class PackedForest:
    """Every tree's nodes in shared arrays; children are global node indices, -1 at leaves."""

    roots: np.ndarray
    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    value: np.ndarray

    @classmethod
    def from_sklearn(cls, forest: Any) -> PackedForest:
        """Pack a fitted single-output ``RandomForestRegressor`` / ``ExtraTreesRegressor``."""
        roots, left, right, feature, threshold, value = [], [], [], [], [], []
        offset = 0
        for est in forest.estimators_:
            t = est.tree_
            roots.append(offset)
            is_leaf = t.children_left < 0
            left.append(np.where(is_leaf, -1, t.children_left + offset))
            right.append(np.where(is_leaf, -1, t.children_right + offset))
            feature.append(np.where(is_leaf, 0, t.feature))
            threshold.append(t.threshold)
            value.append(t.value.reshape(t.node_count, -1)[:, 0])
            offset += t.node_count
        return cls(
            np.asarray(roots, dtype=np.int64),
            np.concatenate(left).astype(np.int64),
            np.concatenate(right).astype(np.int64),
            np.concatenate(feature).astype(np.int64),
            np.concatenate(threshold).astype(np.float64),
            np.concatenate(value).astype(np.float64),
        )

    def per_tree(self, X: np.ndarray) -> np.ndarray:
        """Predictions of every tree, shape ``(trees, designs)``."""
        X32 = np.ascontiguousarray(X, dtype=np.float32)
        return _walk(
            X32, self.roots, self.left, self.right, self.feature, self.threshold, self.value
        )
