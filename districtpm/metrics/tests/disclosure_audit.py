"""What a reader can work out about hidden cells from everything shown: an attacker's audit.

For one metric, the reader sees every shown cell (n, numerator, denominator) at every level and
group, knows which cells are hidden and why ("small": 1 to min_n − 1 students; "complement": at
least min_n), and knows how the numbers add up: the relations of metrics/suppression.py that hold
in the data. For every hidden cell and every additive quantity, a linear program (HiGHS, the
solver behind scipy's linprog, through its own interface so that each program re-solves warm)
over all those relations at once, numerators and counts together (a rate's numerator is at most
its n), finds the lowest and highest value the cell can take. A cell
fails when that range is narrower than the protection interval (or than what its reason alone
allows, when that is narrower still).

Hidden cells are split into independent parts (cells linked through a relation they share), and
each part is first solved with a few random objectives: a cell whose values across those
solutions already differ by the interval passes without its own two programs.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix, csr_matrix, hstack
from scipy.sparse.csgraph import connected_components

from districtpm.metrics.reader import _model, _push
from districtpm.metrics.suppression import (
    CELL_KEYS,
    UNBOUNDED,
    Quantity,
    bounds,
    layout_width,
    protection_interval,
    relations,
    room,
    zero_by_shown_zeros,
)

RANDOM_OBJECTIVES = 6


@dataclass
class Finding:
    cell: dict
    quantity: str
    true: float
    low: float
    high: float
    need: float

    def __str__(self) -> str:
        where = " ".join(str(self.cell[k]) for k in CELL_KEYS)
        return (
            f"{where}: {self.quantity} {self.true:g} can be narrowed to "
            f"[{self.low:g}, {self.high:g}] (its range must be at least {self.need:g} wide)"
        )


@dataclass
class Report:
    cells: int = 0
    hidden: int = 0
    programs: int = 0
    findings: list[Finding] | None = None

    def __post_init__(self) -> None:
        self.findings = self.findings or []

    def add(self, other: Report) -> None:
        self.cells += other.cells
        self.hidden += other.hidden
        self.programs += other.programs
        self.findings += other.findings


def audit(
    raw: pd.DataFrame,
    hidden: np.ndarray,
    small: np.ndarray,
    min_n: int,
    school_networks: dict[str, str],
    measure: str | None,
    protection: int | None = None,
    seed: int = 0,
) -> Report:
    """Audit one metric: `raw` its unsuppressed cells, `hidden` and `small` per row."""
    raw = raw.reset_index(drop=True)
    report = Report()
    for _, block in raw.groupby("period", sort=True):
        rows = block.index.to_numpy()
        report.add(
            _audit_block(
                block.reset_index(drop=True),
                np.asarray(hidden)[rows],
                np.asarray(small)[rows],
                min_n,
                school_networks,
                measure,
                protection_interval(min_n) if protection is None else protection,
                np.random.default_rng(seed),
            )
        )
    return report


def _audit_block(raw, hidden, small, min_n, networks, measure, interval, rng) -> Report:
    report = Report(cells=len(raw), hidden=int(hidden.sum()))
    if not hidden.any():
        return report
    every = relations(raw, networks)
    hidden_rows = np.flatnonzero(hidden)
    position = np.full(len(raw), -1)
    position[hidden_rows] = np.arange(len(hidden_rows))
    k = len(hidden_rows)

    # one variable per hidden cell and quantity
    names, values, lows, highs, equations, exempt = [], [], [], [], [], []
    for name, (lo, hi) in bounds(raw, small, min_n, measure).items():
        x = raw[name].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        if name != "n" and np.isnan(x).all():
            continue
        q = len(names)
        names.append(name)
        values.append(x[hidden_rows])
        lows.append(lo[hidden_rows])
        highs.append(hi[hidden_rows])
        r = every.only(every.holding(x))
        if name != "n" and (lo >= 0).all():
            forced = zero_by_shown_zeros(hidden, Quantity(name, x, lo, hi, small, r))
        else:
            forced = np.zeros(len(x), dtype=bool)
        exempt.append(forced[hidden_rows])
        if name == "n":
            layout = layout_width(Quantity(name, x, lo, hi, small, r))[hidden_rows]
        member_hidden = hidden[r.cell]
        touched = np.bincount(r.rel, weights=member_hidden, minlength=r.count) > 0
        keep = touched[r.rel]
        shown = keep & ~member_hidden
        rhs = -np.bincount(
            r.rel[shown], weights=r.sign[shown] * x[r.cell[shown]], minlength=r.count
        )
        used = np.flatnonzero(touched)
        renumber = np.full(r.count, -1)
        renumber[used] = np.arange(len(used))
        var = keep & member_hidden
        equations.append(
            (renumber[r.rel[var]], q * k + position[r.cell[var]], r.sign[var], rhs[used])
        )
    count = len(names) * k
    rows, cols, coefs, rhs, offset = [], [], [], [], 0
    for eq_rows, eq_cols, eq_coefs, eq_rhs in equations:
        rows.append(eq_rows + offset)
        cols.append(eq_cols)
        coefs.append(eq_coefs)
        rhs.append(eq_rhs)
        offset += len(eq_rhs)
    a_eq = csr_matrix(
        (np.concatenate(coefs), (np.concatenate(rows), np.concatenate(cols))),
        shape=(offset, count),
    )
    b_eq = np.concatenate(rhs)
    true = np.concatenate(values)
    lo = np.concatenate(lows)
    # a finite box keeps every program bounded; far above anything the data holds
    cap = 10 * np.nanmax(np.abs(true)) + 1000 if len(true) else 1000
    hi = np.minimum(np.concatenate(highs), cap)
    lo = np.maximum(lo, -cap)
    # a numerator measured in students is at most its cell's n
    a_ub = None
    if "numerator" in names and (measure in ("rate", "count")):
        qn, qv = names.index("n"), names.index("numerator")
        idx = np.arange(k)
        a_ub = csr_matrix(
            (
                np.concatenate([np.ones(k), -np.ones(k)]),
                (np.concatenate([idx, idx]), np.concatenate([qv * k + idx, qn * k + idx])),
            ),
            shape=(k, count),
        )
        coupling = coo_matrix(
            (np.ones(2 * k), (np.concatenate([qv * k + idx, qn * k + idx]), np.tile(idx, 2))),
            shape=(count, k),
        )
    else:
        coupling = None

    # parts: variables linked through an equation (or a numerator's bound on its n)
    incidence = coo_matrix(
        (np.ones(a_eq.nnz), (a_eq.tocoo().col, a_eq.tocoo().row)), shape=(count, offset)
    ).tocsr()
    blocks = [incidence] + ([coupling.tocsr()] if coupling is not None else [])
    graph = hstack(blocks).tocsr()
    square = (graph @ graph.T).tocsr()
    _, label = connected_components(square, directed=False)

    small_var = np.tile(small[hidden_rows], len(names))
    # as in the suppression: a small cell keeps `interval` possible values (or all its reason
    # allows), a complement cell is never worked out exactly
    need = np.concatenate(
        [
            room(
                q,
                small_var[i * k : (i + 1) * k],
                lo[i * k : (i + 1) * k],
                hi[i * k : (i + 1) * k],
                interval,
            )
            for i, q in enumerate(names)
        ]
    )
    # and a zero that shown zeros imply whatever is hidden is no finding, nor what the layout
    # and the reasons alone tell of a count (eight grade rows under a small cell: 8 or 9)
    need = np.where(np.concatenate(exempt), 0.0, need)
    need[:k] = np.minimum(need[:k], layout)

    report.programs += _solve(label, a_eq, b_eq, a_ub, lo, hi, true, need, rng, report)
    for f in report.findings:
        q, i = divmod(f.cell, k)
        f.quantity = names[q]
        f.cell = raw.iloc[hidden_rows[i]][CELL_KEYS].to_dict()
    return report


def _solve(label, a_eq, b_eq, a_ub, lo, hi, true, need, rng, report) -> int:
    """Bound every variable; add a finding for each too narrow. Returns the number of programs.

    Parts share no equation, so one program optimises every part at once: a few with random
    objectives first, then, for the variables still unsettled, one per part at a time."""
    model = _model()
    model.addVars(len(true), lo.astype(np.float64), hi.astype(np.float64))
    for matrix, lower, upper in (
        (a_eq, b_eq, b_eq),
        *(
            [(a_ub, np.full(a_ub.shape[0], -highspy.kHighsInf), np.zeros(a_ub.shape[0]))]
            if a_ub is not None
            else []
        ),
    ):
        m = csr_matrix(matrix)
        if m.shape[0]:
            model.addRows(
                m.shape[0],
                np.asarray(lower, dtype=np.float64),
                np.asarray(upper, dtype=np.float64),
                m.nnz,
                m.indptr[:-1].astype(np.int32),
                m.indices.astype(np.int32),
                m.data.astype(np.float64),
            )
    everything = np.arange(len(true), dtype=np.int32)
    solved = 0

    def solve(c):
        nonlocal solved
        solved += 1
        model.changeColsCost(len(true), everything, np.asarray(c, dtype=np.float64))
        model.run()
        if model.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise AssertionError(f"the audit's program failed: {model.getModelStatus()}")
        return np.asarray(model.getSolution().col_value)

    seen_lo, seen_hi = true.copy(), true.copy()
    for _ in range(RANDOM_OBJECTIVES):
        x = solve(rng.choice([-1.0, 1.0], size=len(true)))
        seen_lo, seen_hi = np.minimum(seen_lo, x), np.maximum(seen_hi, x)
    open_ = np.flatnonzero(seen_hi - seen_lo < need - 1e-6)
    open_ = _push(solve, open_, need, seen_lo, seen_hi, len(true))
    while len(open_):
        # one unsettled variable of each part
        _, first = np.unique(label[open_], return_index=True)
        chosen = open_[first]
        c = np.zeros(len(true))
        c[chosen] = 1.0
        x_low, x_high = solve(c), solve(-c)
        seen_lo = np.minimum(seen_lo, np.minimum(x_low, x_high))
        seen_hi = np.maximum(seen_hi, np.maximum(x_low, x_high))
        low, high = x_low[chosen], x_high[chosen]
        for j, a, b in zip(chosen, low, high, strict=True):
            if b - a < need[j] - 1e-6:
                report.findings.append(Finding(int(j), "", true[j], a, b, need[j]))
        open_ = np.setdiff1d(open_[seen_hi[open_] - seen_lo[open_] < need[open_] - 1e-6], chosen)
    return solved


__all__ = ["Report", "Finding", "audit", "UNBOUNDED"]
