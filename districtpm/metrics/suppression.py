"""Small-n suppression that holds against a reader who knows how the numbers add up.

Primary: a cell whose n is below the metric's minimum is hidden ("small").

Complementary: every shown number is a term of some sums a reader can write down. Within an
entity, the groups of one dimension add up to the entity's all-students cell; across the
hierarchy, the grades of a school add up to the school, the schools of a network to the network,
the networks to the district, for every group. A relation is such a sum with its total as one of
its members. A reader who knows them all can bound every hidden cell by linear programming, so
hiding a cell is not enough: its relations must leave it room.

The method is hierarchical complementary suppression in the manner of the statistical disclosure
control tools (tau-argus), greedy rather than optimal, period by period:

- A reader knows the shown cells exactly and the hidden ones within what their reasons tell (a
  "small" cell has 1 to min_n − 1 students, a "complement" cell at least min_n). A small cell's
  count must keep `protection_interval` possible values (3 at the usual 10); any other hidden
  number at least two. This is checked for n and for every additive numerator.
- First bounds are carried through the relations (cheap); then a reader's linear program over
  all relations at once (metrics/reader.py) finds what combinations of them reveal. A cell left
  too little room gets a shown member of a relation that binds it hidden too (all-students cells
  last, the district's only when nothing else can), and the checks run again until none is
  short. A relation with exactly one hidden member always falls short.

Relations are taken from the data: a sum that does not hold exactly in the unsuppressed values
(a published total that is not the sum of its rows) protects nothing and is not used. The test
suite audits the result with a linear program over every relation at once
(metrics/tests/disclosure_audit.py); docs/suppression.md explains the method and its limits.
"""

from __future__ import annotations

import math
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from districtpm.metrics import reader

LEVEL_RANK = {"grade": 0, "school": 1, "network": 2, "district": 3}
CELL_KEYS = ["period", "level", "entity_code", "grade", "group_dim", "group_value"]
# Measures whose numerator adds up across cells, and how low and high it can be for a hidden
# cell: "n" means between 0 and the cell's n.
ADDITIVE_NUMERATOR = {
    "rate": "n",
    "count": "n",
    "sum": "nonnegative",
    "ratio_of_sums": "nonnegative",
    "mean": "free",
}
UNBOUNDED = 1e12
# measures whose numerator counts students: at most the cell's n
COUPLED = {"rate", "count"}


def protection_interval(min_n: int) -> int:
    """How many values, at least, a reader must still see as possible for a small cell's
    count: three tenths of the minimum n, rounded up (3 at the usual 10: a count of 9 shown to
    be 7, 8 or 9 is as far as a reader may get)."""
    return max(2, math.ceil(0.3 * min_n))


@dataclass
class Relations:
    """Each relation's members: `cell` (row position), `rel` (relation number) and `sign`
    (+1 a part, −1 the total), so that Σ sign × value = 0 over a relation's members."""

    cell: np.ndarray
    rel: np.ndarray
    sign: np.ndarray
    count: int
    _by_rel: tuple[np.ndarray, np.ndarray] | None = None

    def residual(self, x: np.ndarray) -> np.ndarray:
        return np.bincount(self.rel, weights=self.sign * x[self.cell], minlength=self.count)

    def holding(self, x: np.ndarray) -> np.ndarray:
        """Per relation: whether it holds exactly in these values (no member unknown)."""
        known = ~np.isnan(x[self.cell])
        complete = np.bincount(self.rel, weights=~known, minlength=self.count) == 0
        scale = np.bincount(
            self.rel, weights=np.abs(np.nan_to_num(x[self.cell])), minlength=self.count
        )
        residual = np.abs(self.residual(np.nan_to_num(x)))
        return complete & (residual <= 1e-9 * np.maximum(scale, 1.0))

    def members_of(self, rels: np.ndarray, tags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every member of each relation in `rels`, with the tag given beside that relation."""
        if self._by_rel is None:
            order = np.argsort(self.rel, kind="stable")
            bounds = np.searchsorted(self.rel[order], np.arange(self.count + 1))
            self._by_rel = (self.cell[order], bounds)
        cells, bounds = self._by_rel
        first, sizes = bounds[rels], bounds[rels + 1] - bounds[rels]
        offsets = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        return cells[np.repeat(first, sizes) + offsets], np.repeat(tags, sizes)

    def within(self, a: int, b: int) -> Relations:
        """The relations among rows a..b−1 (each relation lies within one period), for
        rows renumbered from 0."""
        member = (self.cell >= a) & (self.cell < b)
        keep = np.zeros(self.count, dtype=bool)
        keep[self.rel[member]] = True
        sub = self.only(keep)
        sub.cell = sub.cell - a
        return sub

    def only(self, keep: np.ndarray) -> Relations:
        """The relations marked in `keep`, renumbered."""
        number = np.cumsum(keep) - 1
        member = keep[self.rel]
        return Relations(
            self.cell[member], number[self.rel[member]], self.sign[member], int(keep.sum())
        )


def relations(values: pd.DataFrame, school_networks: dict[str, str]) -> Relations:
    """Every sum the rows of `values` (one metric, any periods, positions 0..len-1) take part in."""
    df = values[CELL_KEYS].reset_index(drop=True).astype(str)
    df["_row"] = np.arange(len(df))
    if df.empty:
        return Relations(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), 0)
    levels = set(df["level"])
    pieces: list[pd.DataFrame] = []

    # (a) the groups of one dimension add up to the entity's all-students cell
    groups = df[df["group_dim"] != "all"]
    totals = df[df["group_dim"] == "all"]
    entity = ["period", "level", "entity_code", "grade"]
    relation = groups[entity + ["group_dim"]].drop_duplicates()
    rel_totals = relation.merge(totals[entity + ["_row"]], on=entity)
    key = entity + ["group_dim"]
    pieces.append(_members(groups, rel_totals, key, 0))

    # (b) children add up to their parent, for every group (the all-students cell included)
    children = df[df["level"] != "district"].copy()
    parent_level, parent_entity, parent_grade = [], [], []
    for level, code in zip(children["level"], children["entity_code"], strict=True):
        if level == "grade":
            up = ("school", code, "")
        elif level == "school" and "network" in levels and school_networks.get(code):
            up = ("network", school_networks[code], "")
        else:
            up = ("district", "district", "")
        parent_level.append(up[0])
        parent_entity.append(up[1])
        parent_grade.append(up[2])
    children["p_level"], children["p_entity"], children["p_grade"] = (
        parent_level,
        parent_entity,
        parent_grade,
    )
    parents = df.rename(columns={"level": "p_level", "entity_code": "p_entity", "grade": "p_grade"})
    key = ["period", "p_level", "p_entity", "p_grade", "group_dim", "group_value"]
    rel_totals = children[key].drop_duplicates().merge(parents[key + ["_row"]], on=key)
    first = int(pieces[0]["_rel"].max()) + 1 if len(pieces[0]) else 0
    pieces.append(_members(children, rel_totals, key, first))

    members = pd.concat(pieces, ignore_index=True)
    return Relations(
        members["_row"].to_numpy(dtype=np.int64),
        members["_rel"].to_numpy(dtype=np.int64),
        members["_sign"].to_numpy(dtype=np.float64),
        int(members["_rel"].max()) + 1 if len(members) else 0,
    )


def _members(parts: pd.DataFrame, totals: pd.DataFrame, key: list[str], first: int) -> pd.DataFrame:
    """Parts (sign +1) and totals (sign −1) of the relations named by `key`, numbered from
    `first`; only relations whose total is a row."""
    parts = parts.merge(totals[key], on=key)
    both = pd.concat(
        [parts[key + ["_row"]].assign(_sign=1.0), totals[key + ["_row"]].assign(_sign=-1.0)],
        ignore_index=True,
    )
    both["_rel"] = both.groupby(key, sort=False).ngroup() + first
    return both[["_rel", "_row", "_sign"]]


@dataclass
class Quantity:
    """One additive number of every cell, with what a reader knows of it when it is hidden."""

    name: str
    x: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    small: np.ndarray
    rels: Relations
    layout: np.ndarray | None = None


def bounds(
    values: pd.DataFrame, small: np.ndarray, min_n: int, measure: str | None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """What a reader knows of each quantity of a hidden cell from its reason alone."""
    count = len(values)
    n_lo = np.where(small, 1.0, float(min_n))
    n_hi = np.where(small, float(min_n - 1), UNBOUNDED)
    known = {"n": (n_lo, n_hi)}
    kind = ADDITIVE_NUMERATOR.get(measure or "")
    if kind == "n":
        known["numerator"] = (np.zeros(count), n_hi)
    elif kind == "nonnegative":
        known["numerator"] = (np.zeros(count), np.full(count, UNBOUNDED))
    elif kind == "free":
        known["numerator"] = (np.full(count, -UNBOUNDED), np.full(count, UNBOUNDED))
    if measure == "ratio_of_sums":
        known["denominator"] = (np.zeros(count), np.full(count, UNBOUNDED))
    return known


def suppress(
    values: pd.DataFrame,
    min_n: int,
    school_networks: dict[str, str],
    measure: str | None = None,
    protection: int | None = None,
) -> pd.DataFrame:
    """Mark `suppressed` and `suppressed_reason` ("small" or "complement"), and blank value,
    numerator, denominator and n of every hidden cell.

    `measure` is the metric's measure kind: it says which numerators add up (all do but
    medians and percentiles). The result does not depend on the order of the rows."""
    df = values.reset_index(drop=True)
    # Work in the cells' own order, so that ties are broken the same way on every run.
    order = np.lexsort([df[k].astype(str).to_numpy() for k in reversed(CELL_KEYS)])
    df = df.iloc[order].reset_index(drop=True)
    n = df["n"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    small = np.nan_to_num(n, nan=float(min_n)) < min_n
    hidden = small.copy()
    interval = protection_interval(min_n) if protection is None else protection
    if hidden.any():
        every = relations(df, school_networks)
        known = bounds(df, small, min_n, measure)
        columns = {
            name: df[name].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            for name in known
        }
        # the order in which shown cells are given up: the groups of grades and schools first,
        # then those of networks and the district, then all-students cells from the grade up
        # (a school's, a network's and the district's figures are the ones people look for)
        level = df["level"].map(LEVEL_RANK).to_numpy()
        everyone = (df["group_dim"] == "all").to_numpy()
        rank = np.where(everyone, 1 + level, np.where(level >= LEVEL_RANK["network"], 1, 0))
        # each period on its own: no sum crosses periods
        periods = df["period"].astype(str).to_numpy()
        starts = np.flatnonzero(np.r_[True, periods[1:] != periods[:-1]])
        for a, b in zip(starts, np.r_[starts[1:], len(df)], strict=True):
            if not small[a:b].any():
                continue
            rels = every.within(a, b)
            quantities = []
            for name, (lo, hi) in known.items():
                x = columns[name][a:b]
                if name != "n" and np.isnan(x).all():
                    continue
                q = Quantity(name, x, lo[a:b], hi[a:b], small[a:b], rels.only(rels.holding(x)))
                quantities.append(q)
            hidden[a:b] = _complement(
                hidden[a:b], quantities, n[a:b], rank[a:b], interval, measure in COUPLED
            )
    out = df.copy()
    out["suppressed"] = hidden
    out["suppressed_reason"] = np.where(hidden, np.where(small, "small", "complement"), "")
    out.loc[hidden, ["value", "numerator", "denominator"]] = float("nan")
    out["n"] = out["n"].where(~hidden, pd.NA).astype("Int64")
    # Back to the caller's order.
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return out.iloc[back].reset_index(drop=True)


# Below this many cells in all, suppressing in this process is quicker than starting others.
PARALLEL_CELLS = 100_000


@dataclass
class Job:
    """One metric's values to suppress, with its minimum n and measure kind."""

    values: pd.DataFrame
    min_n: int
    measure: str | None = None


def suppress_many(
    jobs: dict[str, Job], school_networks: dict[str, str], workers: int = 1
) -> dict[str, pd.DataFrame]:
    """`suppress` for each job, school year by school year (no sum crosses a period, and a
    period lies in one school year), the years spread over `workers` processes when there is
    enough to do. The linear programs and array work of one year take the interpreter most of
    the time, so threads would share one core; processes use them all.

    The result is the same whichever way it runs."""
    blocks: list[tuple[str, np.ndarray]] = []
    spans: dict[str, list[int]] = {key: [] for key in jobs}  # each job's blocks, in order
    for key, job in jobs.items():
        frame = job.values
        years = (
            frame["school_year"].astype(str).to_numpy()
            if "school_year" in frame.columns
            else np.full(len(frame), "")
        )
        for year in pd.unique(years):
            spans[key].append(len(blocks))
            blocks.append((key, np.flatnonzero(years == year)))
    tasks = [
        (jobs[key].values.iloc[rows], jobs[key].min_n, school_networks, jobs[key].measure)
        for key, rows in blocks
    ]
    cells = sum(len(rows) for _, rows in blocks)
    if workers > 1 and cells >= PARALLEL_CELLS and len(tasks) > 1:
        context = _process_context()
        # the largest first, so that no process is left with a long one at the end
        order = sorted(range(len(tasks)), key=lambda i: -len(blocks[i][1]))
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            done = dict(
                zip(order, pool.map(_suppress_task, [tasks[i] for i in order]), strict=True)
            )
        parts = [done[i] for i in range(len(tasks))]
    else:
        parts = [_suppress_task(task) for task in tasks]
    out = {}
    for key, job in jobs.items():
        mine = spans[key]
        if not mine:
            out[key] = suppress(job.values, job.min_n, school_networks, job.measure)
            continue
        rows = np.concatenate([blocks[i][1] for i in mine])
        joined = pd.concat([parts[i] for i in mine], ignore_index=True)
        back = np.empty_like(rows)
        back[rows] = np.arange(len(rows))
        out[key] = joined.iloc[back].reset_index(drop=True)
    return out


def _process_context() -> multiprocessing.context.BaseContext:
    """Fork this process when it runs one thread (a command, the demo build); when it runs
    several (a web worker's request threads, whose locks a fork would copy mid-use), fork from
    multiprocessing's forkserver, a clean process started once for the purpose."""
    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["districtpm.metrics.suppression"])
    return context


def _suppress_task(task: tuple) -> pd.DataFrame:
    values, min_n, school_networks, measure = task
    return suppress(values, min_n, school_networks, measure)


def _complement(
    hidden: np.ndarray,
    quantities: list[Quantity],
    n: np.ndarray,
    rank: np.ndarray,
    interval: int,
    coupled: bool,
) -> np.ndarray:
    """Hide shown cells until every hidden cell keeps its room.

    Bounds carried through the relations first, n before the numerators, one repair at a time
    (cheap, and hiding a cell for one quantity often gives room in the others); then, once they
    hold everywhere, a reader's linear program over all relations and quantities at once
    (metrics/reader.py), which also combines relations, repaired through the relations its
    duals name."""
    hidden = hidden.copy()
    n_order = np.nan_to_num(n, nan=np.inf)
    seen: dict = {}
    for _ in range(10_000):
        picks = np.zeros(0, dtype=np.int64)
        for q in quantities:
            lacking, deficit, _ = _too_narrow(hidden, q, interval)
            picks = _pick(lacking, deficit, hidden, q, n_order, rank)
            if len(picks):
                break
        # The reader's check proves cells pinned to their lowest value in one program for
        # many (reader._certify_pinned), naming the relations that bind them less exactly
        # than a program per cell: when none of those relations has a shown member to give
        # up, the check runs again cell by cell.
        for certify in (True, False):
            if len(picks):
                break
            found = reader.too_narrow(hidden, quantities, interval, coupled, seen, certify)
            lacking = np.logical_or.reduce([f[0] for f in found])
            if not lacking.any():
                return hidden
            deficit = np.maximum.reduce([np.where(f[0], f[1], 0.0) for f in found])
            picks = np.unique(
                np.concatenate(
                    [
                        _pick(lacking, deficit, hidden, q, n_order, rank, via)
                        for q, (_, _, via) in zip(quantities, found, strict=True)
                    ]
                )
            )
        if not len(picks):
            return hidden
        hidden[picks] = True
    raise RuntimeError("complementary suppression did not settle")


def narrowed(hidden: np.ndarray, q: Quantity, rounds: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """The range of each cell a reader can work out by carrying bounds through the relations
    (each relation in turn, until nothing moves): shown cells exactly, hidden ones from their
    reasons onwards. A linear program can narrow further; this is what the method checks."""
    r = q.rels
    lo = np.where(hidden, q.lo, q.x)
    hi = np.where(hidden, q.hi, q.x)
    if not r.count:
        return lo, hi
    part = r.sign > 0
    for _ in range(rounds):
        mlo, mhi = lo[r.cell], hi[r.cell]
        parts_lo = np.bincount(r.rel, weights=np.where(part, mlo, 0.0), minlength=r.count)
        parts_hi = np.bincount(r.rel, weights=np.where(part, mhi, 0.0), minlength=r.count)
        total_lo = np.bincount(r.rel, weights=np.where(part, 0.0, mlo), minlength=r.count)
        total_hi = np.bincount(r.rel, weights=np.where(part, 0.0, mhi), minlength=r.count)
        # a part is the total less the other parts; the total is the sum of the parts
        new_lo = np.where(part, total_lo[r.rel] - (parts_hi[r.rel] - mhi), parts_lo[r.rel])
        new_hi = np.where(part, total_hi[r.rel] - (parts_lo[r.rel] - mlo), parts_hi[r.rel])
        next_lo, next_hi = lo.copy(), hi.copy()
        np.maximum.at(next_lo, r.cell, new_lo)
        np.minimum.at(next_hi, r.cell, new_hi)
        next_lo = np.where(hidden, next_lo, q.x)
        next_hi = np.where(hidden, next_hi, q.x)
        moved = np.any(next_lo > lo + 1e-9) or np.any(next_hi < hi - 1e-9)
        lo, hi = next_lo, next_hi
        if not moved:
            break
    return lo, hi


def room_needed(q: Quantity, hidden: np.ndarray, interval: int) -> np.ndarray:
    """How wide each cell's range must stay: a small cell's count at least `interval` (or all
    its reason and the table's layout allow); any other hidden number is never worked out exactly, except a zero
    that shown zeros imply whatever is hidden (no suspension at a school: none in any of its
    groups)."""
    need = room(q.name, q.small, q.lo, q.hi, interval)
    if q.name == "n":
        need = np.minimum(need, layout_width(q))
    elif (q.lo >= 0).all():
        need = np.where(zero_by_shown_zeros(hidden, q), 0.0, need)
    return need


def layout_width(q: Quantity) -> np.ndarray:
    """How wide each cell's range is from the table's layout and reasons alone, with no number
    shown: a small cell with eight grade rows under it has 8 or 9 students whatever is hidden.
    (Carried through the relations, so never narrower than a linear program would find.)"""
    if q.layout is None:
        lo, hi = narrowed(np.ones(len(q.x), dtype=bool), q)
        q.layout = hi - lo
    return q.layout


def zero_by_shown_zeros(hidden: np.ndarray, q: Quantity) -> np.ndarray:
    """Hidden cells of a quantity that cannot be negative that lie, directly or through hidden
    zeros, under a shown total of 0: every part of a zero is zero, whatever is hidden."""
    r = q.rels
    forced = np.zeros(len(hidden), dtype=bool)
    if not r.count:
        return forced
    zero = ~hidden & (q.x == 0)
    total = r.sign < 0
    while True:
        zero_total = np.zeros(r.count, dtype=bool)
        zero_total[r.rel[total & (zero | forced)[r.cell]]] = True
        under = np.zeros(len(hidden), dtype=bool)
        under[r.cell[~total & zero_total[r.rel]]] = True
        now = hidden & under
        if np.array_equal(now, forced):
            return forced
        forced = now


def room(name: str, small: np.ndarray, lo: np.ndarray, hi: np.ndarray, interval: int):
    """The width each hidden cell's range must keep: `interval` values for a small cell's
    count (or all its reason allows), two values for any other hidden number."""
    if name == "n":
        return np.where(small, np.minimum(interval - 1, hi - lo), 1.0)
    return np.minimum(1.0, hi - lo)


def _too_narrow(hidden, q: Quantity, interval: int):
    """Hidden cells whose range, carried through the relations, is narrower than needed."""
    if not q.rels.count:
        return np.zeros(len(hidden), dtype=bool), np.zeros(len(hidden)), None
    lo, hi = narrowed(hidden, q)
    need = room_needed(q, hidden, interval)
    return hidden & (hi - lo < need - 1e-9), need - (hi - lo), None


def _pick(lacking, deficit, hidden, q: Quantity, n_order, rank, via=None) -> np.ndarray:
    """For each hidden cell left too little room, one shown cell to hide with it, from one of
    the relations that bind it (`via`: relation and cell pairs; by default all the cell's
    own). Preferred, in turn: a cell low in `rank`; one that gives enough room; one that
    leaves none of its own relations with a single hidden member (each such relation would
    need a complement of its own); the smallest."""
    r = q.rels
    if not lacking.any() or not r.count:
        return np.zeros(0, dtype=np.int64)
    # (relation, lacking cell) pairs, then every shown member of those relations
    if via is None:
        mine = lacking[r.cell]
        short_rel, short = r.rel[mine], r.cell[mine]
    else:
        mine = lacking[via[1]]
        short_rel, short = via[0][mine], via[1][mine]
    cell, short_cell = r.members_of(short_rel, short)
    keep = ~hidden[cell]
    cell, short_cell = cell[keep], short_cell[keep]
    if not len(cell):
        return np.zeros(0, dtype=np.int64)
    # hiding a shown cell lets the others move by its distance from what its reason
    # ("complement") would tell: n − min_n, or its numerator above 0
    room = np.nan_to_num(np.maximum(q.x[cell] - q.lo[cell], 0.0))
    enough = room >= deficit[short_cell] - 1e-9
    hidden_in = np.bincount(r.rel, weights=hidden[r.cell], minlength=r.count)
    # relations hiding the cell would open (none hidden yet) less those it would close (one
    # hidden, which needs a partner)
    opens = np.bincount(r.cell, weights=hidden_in[r.rel] == 0, minlength=len(hidden))
    closes = np.bincount(r.cell, weights=hidden_in[r.rel] == 1, minlength=len(hidden))
    alone = (opens - closes)[cell]
    size = np.where(enough, n_order[cell], -room)
    order = np.lexsort([cell, size, ~enough, alone, rank[cell], short_cell])
    first = np.unique(short_cell[order], return_index=True)[1]
    return np.unique(cell[order][first])
