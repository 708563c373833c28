"""What a reader can work out about hidden cells, by linear programming over every relation.

Used by the suppression (metrics/suppression.py) as its last check: given the shown cells, the
hidden cells' reasons and the relations, which hidden cells can a reader narrow below the room
they need? One program per period, counts and numerators together (a rate's numerator is at
most its n), solved with HiGHS and re-solved with new objectives: a few random ones first (any
cell whose values across those solutions already differ by its room is safe), then the lowest
and highest value of the cells still unsettled, one per independent part at a time (parts share
no relation, so one program serves them all). The duals of those programs name the relations
that bind each cell found too narrow.
"""

from __future__ import annotations

import os
import sys
import threading

import numpy as np

RANDOM_OBJECTIVES = 4


def too_narrow(
    hidden: np.ndarray,
    quantities: list,
    interval: int,
    coupled: bool,
    seen: dict | None = None,
    certify: bool = True,
) -> list:
    """Per quantity: the hidden cells a reader can narrow below their room, by how much, and
    the (relation, cell) pairs where a relation binds such a cell.

    `seen`, kept by the caller from one check to the next of the same cells, holds per quantity
    the lowest and highest value each cell took in a solution found so far. Hiding more cells
    only adds variables whose true value is feasible, so an earlier solution, extended by the
    new variables' true values, is still a solution: a cell an earlier check settled stays
    settled, and the next check solves only for the cells it did not."""
    from districtpm.metrics.suppression import room_needed

    k = len(hidden)
    needs = [room_needed(q, hidden, interval) for q in quantities]
    variables = np.flatnonzero(hidden)
    if not len(variables) or not any((need[variables] > 0).any() for need in needs):
        return [(np.zeros(k, dtype=bool), need, None) for need in needs]
    low, high, binding = _ranges(hidden, quantities, needs, coupled, seen, certify)
    out = []
    for q_index, need in enumerate(needs):
        width = high[q_index] - low[q_index]
        lacking = hidden & (width < need - 1e-6)
        rel, cell = binding[q_index]
        out.append((lacking, need - width, (rel, cell)))
    return out


def _ranges(hidden, quantities, needs, coupled, seen=None, certify=True):
    variables = np.flatnonzero(hidden)
    v = len(variables)
    column = np.full(len(hidden), -1)
    column[variables] = np.arange(v)
    rows_all, cols_all, coefs_all, rhs_all = [], [], [], []
    # each row's quantity and relation (−1 for the rows that tie a numerator to its n)
    owner_q, owner_rel = [], []
    lows, highs, trues = [], [], []
    offset_row = 0
    for q_index, q in enumerate(quantities):
        r = q.rels
        member_hidden = hidden[r.cell]
        touched = np.bincount(r.rel, weights=member_hidden, minlength=r.count) > 0
        keep = touched[r.rel]
        shown = keep & ~member_hidden
        rhs = -np.bincount(
            r.rel[shown], weights=r.sign[shown] * q.x[r.cell[shown]], minlength=r.count
        )
        used = np.flatnonzero(touched)
        row = np.full(r.count, -1)
        row[used] = np.arange(len(used))
        var = keep & member_hidden
        rows_all.append(row[r.rel[var]] + offset_row)
        cols_all.append(column[r.cell[var]] + q_index * v)
        coefs_all.append(r.sign[var])
        rhs_all.append((rhs[used], rhs[used]))
        owner_q.append(np.full(len(used), q_index))
        owner_rel.append(used)
        offset_row += len(used)
        cap = 10 * float(np.nanmax(np.abs(q.x))) + 1000
        lows.append(np.maximum(q.lo[variables], -cap))
        highs.append(np.minimum(q.hi[variables], cap))
        trues.append(np.nan_to_num(q.x[variables]))
    names = [q.name for q in quantities]
    if coupled and "numerator" in names:
        # a numerator counted in students is at most its cell's n: numerator − n ≤ 0
        qn, qv = names.index("n"), names.index("numerator")
        idx = np.arange(v)
        rows_all.append(np.repeat(idx + offset_row, 2))
        cols_all.append(np.column_stack([qv * v + idx, qn * v + idx]).ravel())
        coefs_all.append(np.tile([1.0, -1.0], v))
        rhs_all.append((np.full(v, -np.inf), np.zeros(v)))
        owner_q.append(np.full(v, -1))
        owner_rel.append(np.full(v, -1))
        offset_row += v
    rows = np.concatenate(rows_all)
    owner_q, owner_rel = np.concatenate(owner_q), np.concatenate(owner_rel)
    cols = np.concatenate(cols_all)
    coefs = np.concatenate(coefs_all)
    row_lo = np.concatenate([a for a, _ in rhs_all])
    row_hi = np.concatenate([b for _, b in rhs_all])
    lo, hi, true = np.concatenate(lows), np.concatenate(highs), np.concatenate(trues)
    want = np.concatenate([need[variables] for need in needs])
    n_vars = len(true)

    import highspy

    model = _model()
    model.addVars(n_vars, lo, hi)
    order = np.lexsort([cols, rows])
    rows, cols, coefs = rows[order], cols[order], coefs[order]
    starts = np.searchsorted(rows, np.arange(offset_row))
    row_lo = np.where(np.isinf(row_lo), -highspy.kHighsInf, row_lo)
    model.addRows(
        offset_row,
        row_lo,
        row_hi,
        len(coefs),
        starts.astype(np.int32),
        cols.astype(np.int32),
        coefs.astype(np.float64),
    )
    everything = np.arange(n_vars, dtype=np.int32)

    def solve(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        model.changeColsCost(n_vars, everything, cost.astype(np.float64))
        model.run()
        if model.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"the reader's program did not solve: {model.getModelStatus()}")
        # The first solve starts cold, where dual simplex is fastest; every later one changes
        # only the objective, so the last basis stays feasible and primal simplex goes on from
        # it (several times faster than the dual, which starts over).
        model.setOptionValue("simplex_strategy", 4)
        solution = model.getSolution()
        return np.asarray(solution.col_value), np.asarray(solution.row_dual)

    rng = np.random.default_rng(n_vars)
    seen_lo, seen_hi = true.copy(), true.copy()
    if seen:
        # what earlier checks of these cells found (shown cells then: their true values)
        seen_lo = np.minimum(seen_lo, np.concatenate([lo_q[variables] for lo_q, _ in seen["q"]]))
        seen_hi = np.maximum(seen_hi, np.concatenate([hi_q[variables] for _, hi_q in seen["q"]]))
    else:
        for _ in range(RANDOM_OBJECTIVES):
            x, _ = solve(rng.choice([-1.0, 1.0], size=n_vars))
            seen_lo, seen_hi = np.minimum(seen_lo, x), np.maximum(seen_hi, x)
    part = _parts(rows, cols, offset_row, n_vars)
    row_part = np.full(offset_row, -1)
    row_part[rows] = part[cols]
    pairs: list[list[tuple[int, int]]] = [[] for _ in quantities]
    unsettled = np.flatnonzero((want > 0) & (seen_hi - seen_lo < want - 1e-6))
    # then random objectives over the unsettled cells only, while they settle some
    for _ in range(2 * RANDOM_OBJECTIVES):
        if not len(unsettled):
            break
        cost = np.zeros(n_vars)
        cost[unsettled] = rng.choice([-1.0, 1.0], size=len(unsettled))
        x, _ = solve(cost)
        seen_lo, seen_hi = np.minimum(seen_lo, x), np.maximum(seen_hi, x)
        still = unsettled[seen_hi[unsettled] - seen_lo[unsettled] < want[unsettled] - 1e-6]
        if len(still) > 0.9 * len(unsettled):
            unsettled = still
            break
        unsettled = still
    unsettled = _push(solve, unsettled, want, seen_lo, seen_hi, n_vars)
    exact_lo, exact_hi = seen_lo.copy(), seen_hi.copy()
    done = np.zeros(n_vars, dtype=bool)
    certified = (
        _certify_pinned(solve, unsettled, lo, seen_lo, seen_hi, rows, cols, n_vars)
        if certify
        else None
    )
    if certified is not None:
        cells, bind_rows, bind_cols = certified
        for b, c in zip(bind_rows.tolist(), bind_cols.tolist(), strict=True):
            if owner_q[b] >= 0:
                pairs[int(owner_q[b])].append((int(owner_rel[b]), int(variables[c % v])))
        exact_lo[cells] = exact_hi[cells] = lo[cells]
        done[cells] = True
        unsettled = unsettled[~done[unsettled]]
    while len(unsettled):
        _, first = np.unique(part[unsettled], return_index=True)
        chosen = unsettled[first]
        cost = np.zeros(n_vars)
        cost[chosen] = 1.0
        # the highest first; the lowest only for the cells that reaching it did not settle
        x_hi, dual_hi = solve(-cost)
        seen_lo, seen_hi = np.minimum(seen_lo, x_hi), np.maximum(seen_hi, x_hi)
        done[chosen] = True
        exact_lo[chosen], exact_hi[chosen] = seen_lo[chosen], seen_hi[chosen]
        left = chosen[seen_hi[chosen] - seen_lo[chosen] < want[chosen] - 1e-6]
        # A cell whose highest value is within its room of the lowest its reason allows is
        # narrow whatever its lowest value: the max's duals name the relations that bind it, and
        # its range is taken from its reason's bound down (no narrower than it is). Most cells
        # found narrow are such (a count of events pinned to 0), so this spares a program each.
        sure = x_hi[left] - lo[left] < want[left] - 1e-6
        exact_lo[left[sure]], exact_hi[left[sure]] = lo[left[sure]], x_hi[left[sure]]
        narrow = left[sure]
        left = left[~sure]
        dual_lo = np.zeros_like(dual_hi)
        if len(left):
            cost = np.zeros(n_vars)
            cost[left] = 1.0
            x_lo, dual_lo = solve(cost)
            seen_lo, seen_hi = np.minimum(seen_lo, x_lo), np.maximum(seen_hi, x_lo)
            exact_lo[left], exact_hi[left] = x_lo[left], x_hi[left]
            narrow = np.concatenate(
                [narrow, left[exact_hi[left] - exact_lo[left] < want[left] - 1e-6]]
            )
        if len(narrow):
            # a binding row belongs to one part: it binds that part's chosen cell
            by_part = dict(zip(part[narrow].tolist(), narrow.tolist(), strict=True))
            bind = (np.abs(dual_lo) > 1e-7) | (np.abs(dual_hi) > 1e-7)
            for b in np.flatnonzero(bind):
                target = by_part.get(int(row_part[b]))
                q_index, rel = int(owner_q[b]), int(owner_rel[b])
                if target is not None and q_index >= 0:
                    # the pair is stated in the quantity whose relation binds it
                    pairs[q_index].append((rel, int(variables[target % v])))
        unsettled = unsettled[
            ~done[unsettled] & (seen_hi[unsettled] - seen_lo[unsettled] < want[unsettled] - 1e-6)
        ]
    if seen is not None:
        seen["q"] = [
            _spread(
                hidden, variables, q.x, seen_lo[i * v : (i + 1) * v], seen_hi[i * v : (i + 1) * v]
            )
            for i, q in enumerate(quantities)
        ]
    low = np.where(done, exact_lo, seen_lo)
    high = np.where(done, exact_hi, seen_hi)
    lows_q, highs_q = [], []
    for q_index in range(len(quantities)):
        a = np.zeros(len(hidden))
        b = np.zeros(len(hidden))
        a[variables] = low[q_index * v : (q_index + 1) * v]
        b[variables] = high[q_index * v : (q_index + 1) * v]
        lows_q.append(a)
        highs_q.append(b)
    binding = [
        (np.array([p[0] for p in ps], dtype=np.int64), np.array([p[1] for p in ps], dtype=np.int64))
        for ps in pairs
    ]
    return lows_q, highs_q, binding


def _certify_pinned(solve, unsettled, lo, seen_lo, seen_hi, rows, cols, n_vars, rounds=8):
    """Unsettled cells never seen above the lowest value their reason allows (most often a
    count of events pinned to 0 by what is shown) are tested together: when the highest sum
    of a set of cells is the sum of their lowest values, each cell is at its lowest in every
    solution (its highest is at most the sum less the others' lowest), so its range is that
    one value, proved by one program for the whole set instead of one or two per cell. A cell
    that rises leaves the set, and the rest are tried again.

    Returns the cells proved pinned that a binding relation names as a member, with those
    (row, variable) entries of the program, or None. The others stay unsettled, for the
    programs cell by cell. Updates the seen ranges in place."""
    batch = unsettled[seen_hi[unsettled] <= lo[unsettled] + 1e-6]
    for _ in range(rounds):
        if len(batch) < 2:
            return None
        cost = np.zeros(n_vars)
        cost[batch] = -1.0
        x, dual = solve(cost)
        np.minimum(seen_lo, x, out=seen_lo)
        np.maximum(seen_hi, x, out=seen_hi)
        risen = x[batch] > lo[batch] + 1e-6
        if risen.any():
            batch = batch[~risen]
            continue
        member = np.zeros(n_vars, dtype=bool)
        member[batch] = True
        binding = np.abs(dual) > 1e-7
        entries = binding[rows] & member[cols]
        named = np.zeros(n_vars, dtype=bool)
        named[cols[entries]] = True
        return batch[named[batch]], rows[entries], cols[entries]
    return None


def _spread(hidden, variables, x, lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """Per cell of the block, the values seen: the true one for a shown cell."""
    a, b = np.nan_to_num(x).copy(), np.nan_to_num(x).copy()
    a[variables], b[variables] = lo, hi
    return a, b


_first = threading.Lock()
_quiet = False


def _push(solve, unsettled, want, seen_lo, seen_hi, n_vars, rounds: int = 60):
    """Raise every unsettled cell at once, then lower them all, then push them in random
    directions (cells whose sum is fixed only move apart under opposite signs), while that
    settles at least two cells a round: most cells left by the first random objectives move
    far enough this way, at one program a round instead of up to two per cell (a round still
    settled about a tenth of what was left after twelve, so the rounds go on while they pay).
    Updates the seen ranges in place; returns the cells left."""
    rng = np.random.default_rng(len(unsettled))
    for round_ in range(rounds):
        if not len(unsettled):
            break
        signs = [-1.0, 1.0] if round_ == 0 else [rng.choice([-1.0, 1.0], size=len(unsettled))]
        for sign in signs:
            cost = np.zeros(n_vars)
            cost[unsettled] = sign
            x = solve(cost)
            x = x[0] if isinstance(x, tuple) else x
            np.minimum(seen_lo, x, out=seen_lo)
            np.maximum(seen_hi, x, out=seen_hi)
        still = unsettled[seen_hi[unsettled] - seen_lo[unsettled] < want[unsettled] - 1e-6]
        if len(unsettled) - len(still) < 2:
            unsettled = still
            break
        unsettled = still
    return unsettled


def _model():
    """A silent HiGHS model. The first construction in a process prints a banner to the
    standard output, which a command's output has no place for: that one is made with the
    output sent to /dev/null (once, under a lock, so no thread's output is lost)."""
    global _quiet
    import highspy

    with _first:
        if not _quiet:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "w") as devnull:
                    os.dup2(devnull.fileno(), 1)
                    highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _quiet = True
    model = highspy.Highs()
    model.setOptionValue("output_flag", False)
    # The reader's programs are small and sparse: presolve costs more than it saves.
    model.setOptionValue("presolve", "off")
    return model


def _parts(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> np.ndarray:
    """A label per variable: variables linked through a row share it."""
    label = np.arange(n_cols, dtype=np.int64)
    while True:
        by_row = np.full(n_rows, n_cols, dtype=np.int64)
        np.minimum.at(by_row, rows, label[cols])
        new = label.copy()
        np.minimum.at(new, cols, by_row[rows])
        if np.array_equal(new, label):
            return label
        label = new
