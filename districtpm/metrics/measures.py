"""The kinds of measure a metric can take, and what each kind means, in one place.

Every kind is computed from the same parts per group: n (rows, or values of the measured column),
a numerator, a denominator and a value (their ratio, the numerator alone, or a quantile of the
column). The engine, the hand-written SQL baseline and the pandas reference each translate these
parts once; none of them names a kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# What n counts
ROWS = "rows"  # every row of the group
VALUES = "values"  # the rows where the measured column has a value
# What the numerator adds up (ROWS: one per row)
CONDITION = "condition"  # rows meeting measure.condition
COLUMN = "column"  # the measured column
NUMERATOR = "numerator"  # the column named by measure.numerator
# What the denominator adds up (ROWS, VALUES as for n)
DENOMINATOR = "denominator"  # the column named by measure.denominator
# How the value follows
RATIO = "ratio"  # numerator / denominator
TOTAL = "total"  # the numerator itself
QUANTILE = "quantile"  # a quantile of the measured column (no numerator or denominator)


@dataclass(frozen=True)
class Behaviour:
    """How one kind of measure is computed and whether its parts add up across groups."""

    n: str
    numerator: str | None
    denominator: str | None
    value: str
    # A quantile's fraction; None for a percentile, whose fraction is measure.p / 100.
    fraction: float | None = None

    @property
    def additive(self) -> bool:
        """Numerator and denominator sum across schools and grades, so rollups can be checked."""
        return self.value != QUANTILE

    @property
    def needs_column(self) -> bool:
        return self.n == VALUES or self.numerator == COLUMN

    @property
    def needs_p(self) -> bool:
        return self.value == QUANTILE and self.fraction is None


class MeasureKind(StrEnum):
    """A kind of measure, as written in a metric definition's `measure.kind`."""

    RATE = "rate"
    MEAN = "mean"
    MEDIAN = "median"
    PERCENTILE = "percentile"
    COUNT = "count"
    SUM = "sum"
    RATIO_OF_SUMS = "ratio_of_sums"

    @property
    def behaviour(self) -> Behaviour:
        return BEHAVIOUR[self]

    @property
    def additive(self) -> bool:
        return self.behaviour.additive

    @property
    def is_ratio(self) -> bool:
        return self.behaviour.value == RATIO

    def fraction(self, p: float | None) -> float:
        """The quantile a median or percentile takes (p is measure.p)."""
        fixed = self.behaviour.fraction
        return fixed if fixed is not None else float(p) / 100  # type: ignore[arg-type]


BEHAVIOUR: dict[MeasureKind, Behaviour] = {
    MeasureKind.RATE: Behaviour(ROWS, CONDITION, ROWS, RATIO),
    MeasureKind.MEAN: Behaviour(VALUES, COLUMN, VALUES, RATIO),
    MeasureKind.MEDIAN: Behaviour(VALUES, None, None, QUANTILE, fraction=0.5),
    MeasureKind.PERCENTILE: Behaviour(VALUES, None, None, QUANTILE),
    MeasureKind.COUNT: Behaviour(ROWS, ROWS, None, TOTAL),
    MeasureKind.SUM: Behaviour(ROWS, COLUMN, None, TOTAL),
    MeasureKind.RATIO_OF_SUMS: Behaviour(ROWS, NUMERATOR, DENOMINATOR, RATIO),
}
