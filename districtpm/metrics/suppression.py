"""Small-n suppression, primary and complementary, applied before any value can be seen.

Primary: a cell whose n is below the metric's minimum is hidden.
Complementary: a hidden cell must not be recoverable from its neighbours. Where a total is shown
and exactly one of its parts is hidden, the part is total minus the others — so the smallest
other part is hidden too. The parts of a total are (a) the values of one student-group
dimension within an entity (yes/no, or each race), and (b) the child entities of a parent:
schools of a network, networks of the district, grades of a school. Both rules are applied until
nothing changes.
"""

from __future__ import annotations

import pandas as pd

PARENT = {"school": "network", "network": "district", "grade": "school"}


def suppress(values: pd.DataFrame, min_n: int, school_networks: dict[str, str]) -> pd.DataFrame:
    """Mark `suppressed` and blank value, numerator and denominator of every hidden cell."""
    df = values.copy().reset_index(drop=True)
    df["suppressed"] = df["n"] < min_n
    df["_parent"] = ""
    is_school = df["level"] == "school"
    df.loc[is_school, "_parent"] = df.loc[is_school, "entity_code"].map(school_networks).fillna("")
    df.loc[df["level"] == "network", "_parent"] = "district"
    df.loc[df["level"] == "grade", "_parent"] = df.loc[df["level"] == "grade", "entity_code"]

    # (a) within a dimension: the other groups of the same entity, period and dimension
    group_keys = ["level", "entity_code", "grade", "period", "group_dim"]
    # (b) across entities: the siblings under one parent, same period and group
    sibling_keys = ["level", "_parent", "period", "group_dim", "group_value"]
    groups_only = df["group_dim"] != "all"
    with_parent = df["level"] != "district"
    for _ in range(20):
        changed = _complement(df, groups_only, group_keys)
        changed |= _complement(df, with_parent, sibling_keys)
        if not changed:
            break
    hidden = df["suppressed"]
    df.loc[hidden, ["value", "numerator", "denominator"]] = float("nan")
    df["n"] = df["n"].where(~hidden, pd.NA).astype("Int64")
    return df.drop(columns="_parent")


def _complement(df: pd.DataFrame, scope: pd.Series, keys: list[str]) -> bool:
    """In each set of parts with exactly one hidden, hide the smallest visible part too."""
    part = df[scope]
    if part.empty:
        return False
    hidden_count = part.groupby(keys, dropna=False)["suppressed"].transform("sum")
    sizes = part.groupby(keys, dropna=False)["suppressed"].transform("size")
    lonely = part[(hidden_count == 1) & (sizes > 1) & ~part["suppressed"]]
    if lonely.empty:
        return False
    # Ties on n are broken by the cell itself, not by row order, which the engine does not fix:
    # the same data must hide the same cells on every run.
    order = ["n", "level", "entity_code", "grade", "period", "group_dim", "group_value"]
    ordered = lonely.sort_values(order, kind="mergesort", na_position="last")
    smallest = ordered.groupby(keys, dropna=False).head(1).index
    df.loc[smallest, "suppressed"] = True
    return True
