"""Measure kinds: one enum whose behaviour every backend reads."""

from __future__ import annotations

from districtpm.metrics.definitions import MEASURE_KINDS, Measure
from districtpm.metrics.measures import BEHAVIOUR, MeasureKind


def test_every_kind_has_its_behaviour_and_the_additive_kinds_are_unchanged():
    assert set(BEHAVIOUR) == set(MeasureKind)
    assert MEASURE_KINDS == tuple(k.value for k in MeasureKind)
    assert {k.value for k in MeasureKind if k.additive} == {
        "rate",
        "mean",
        "count",
        "sum",
        "ratio_of_sums",
    }
    assert {k.value for k in MeasureKind if k.is_ratio} == {"rate", "mean", "ratio_of_sums"}


def test_quantile_fractions_and_a_kind_given_as_text():
    assert MeasureKind.MEDIAN.fraction(None) == 0.5
    assert MeasureKind.PERCENTILE.fraction(90) == 0.9
    assert Measure(kind="percentile", column="scale_score", p=90).kind is MeasureKind.PERCENTILE
