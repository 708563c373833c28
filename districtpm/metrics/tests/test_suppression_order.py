"""The same values hide the same cells whatever order the engine returns them in."""

from __future__ import annotations

import pandas as pd

from districtpm.metrics.suppression import suppress


def _cell(value: str, n: int) -> dict:
    return {
        "level": "school",
        "entity_code": "S",
        "grade": "",
        "period": "p",
        "group_dim": "race",
        "group_value": value,
        "n": n,
        "numerator": float(n // 2),
        "denominator": float(n),
        "value": (n // 2) / n,
    }


def test_ties_on_n_hide_the_same_cell_in_any_row_order():
    # One group under the minimum; three others tie for the smallest visible n.
    rows = [_cell("a", 4), _cell("b", 30), _cell("c", 30), _cell("d", 30), _cell("e", 80)]
    total = {**_cell("", 174), "group_dim": "all", "group_value": "all"}
    hidden_sets = set()
    for order in ([0, 1, 2, 3, 4, 5], [5, 3, 2, 1, 0, 4], [4, 2, 5, 0, 3, 1], [1, 3, 0, 5, 4, 2]):
        frame = pd.DataFrame([(rows + [total])[i] for i in order])
        out = suppress(frame, 10, {"S": "N"})
        hidden_sets.add(frozenset(out.loc[out["suppressed"], "group_value"]))
    assert len(hidden_sets) == 1
    (hidden,) = hidden_sets
    assert "a" in hidden and len(hidden) == 2  # the small group and exactly one complement
