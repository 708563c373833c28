"""Metric definitions are checked when loaded; the filter language accepts nothing unsafe."""

from __future__ import annotations

import pytest

from districtpm.metrics.definitions import DefinitionError, load_all, parse_definition
from districtpm.metrics.expressions import ExpressionError, parse

COLUMNS = ["subject", "grade", "score", "swd"]


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('echo hi')",
        "subject.upper() == 'ELA'",
        "score ** 2 > 4",
        "[x for x in grade]",
        "lambda: 1",
        "subject[0] == 'e'",
        "open('f')",
        "shoe == 1",
        "score if swd else 0",
        "",
    ],
)
def test_unsafe_or_unknown_expressions_are_refused(text):
    with pytest.raises(ExpressionError):
        parse(text, COLUMNS)


@pytest.mark.parametrize(
    "text",
    [
        'subject == "ela" and not swd',
        "score / 2 >= 3.5",
        'grade in ["9", "10"]',
        "score != null",
        "1 <= score < 4",
        'grade not in ["K"] or swd == true',
    ],
)
def test_the_filter_language_reads(text):
    parse(text, COLUMNS)


def test_a_bad_definition_lists_every_problem():
    with pytest.raises(DefinitionError) as error:
        parse_definition(
            {
                "id": "Bad Id",
                "source": "nowhere",
                "measure": {"kind": "mode"},
                "direction": "up",
                "min_n": 3,
                "colour": "red",
            },
            "bad.yaml",
            10,
        )
    text = str(error.value)
    for problem in (
        "unknown field(s): colour",
        "id must be lower-case",
        "name is required",
        "direction must be 'higher' or 'lower'",
        "min_n may not be below",
        "source must be one of",
        "measure.kind must be one of",
    ):
        assert problem in text, problem


def test_a_filter_naming_a_missing_column_is_refused():
    with pytest.raises(DefinitionError) as error:
        parse_definition(
            {
                "id": "x_rate",
                "name": "X",
                "source": "assessments",
                "filter": "shoe_size > 3",
                "measure": {"kind": "rate", "condition": "performance_level >= 3"},
            },
            "x.yaml",
            10,
        )
    assert "Unknown column 'shoe_size'" in str(error.value)


def test_folder_problems_are_reported_together(tmp_path):
    (tmp_path / "a.yaml").write_text(
        "id: a_rate\nname: A\nsource: assessments\nmeasure: {kind: rate}\n"
    )
    (tmp_path / "b.yaml").write_text(
        "id: b_gap\nname: B\ndirection: lower\n"
        "gap: {metric: nothing, dimension: ell, focal: true, reference: false}\n"
    )
    (tmp_path / "c.yaml").write_text("id: [unclosed\n")
    with pytest.raises(DefinitionError) as error:
        load_all(tmp_path)
    problems = error.value.problems
    assert any("a rate needs measure.condition" in p for p in problems)
    assert any("gap metric nothing is not defined" in p for p in problems)
    assert any("c.yaml: not valid YAML" in p for p in problems)


CHRONIC = {
    "id": "chronic_x",
    "name": "Chronic",
    "source": "attendance",
    "params": {"absent_percent": 10, "min_days_enrolled": 10},
    "rollup": {"days_enrolled": "sum", "days_present": "sum"},
    "rollup_filter": "days_enrolled >= min_days_enrolled",
    "measure": {
        "kind": "rate",
        "condition": "(days_enrolled - days_present) * 100 >= absent_percent * days_enrolled",
    },
}


def test_parameters_are_read_into_the_definition():
    d = parse_definition(CHRONIC, "c.yaml", 10)
    assert d.params == {"absent_percent": 10, "min_days_enrolled": 10}
    assert d.rollup_filter == "days_enrolled >= min_days_enrolled"


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"params": {"absent_percent": 10, "min_days_enrolled": 10, "spare": 3}}, "params.spare"),
        ({"params": {"days_present": 3}}, "is also a column of the source"),
        ({"params": {"absent_percent": "ten", "min_days_enrolled": 10}}, "measure.condition"),
        ({"params": {"absent_percent": [10], "min_days_enrolled": 10}}, "params.absent_percent"),
        ({"params": {"absent_percent": 1e999, "min_days_enrolled": 10}}, "finite number"),
        ({"params": {"Bad Name": 1}}, "lower-case letters"),
        ({"params": [10]}, "params maps names"),
        ({"rollup_filter": "days_enrolled >= shoe_size"}, "Unknown column 'shoe_size'"),
        ({"rollup_filter": 'grade != "K"'}, "rollup_filter"),  # grade is not rolled up
        ({"rollup": {}}, "rollup_filter needs a rollup"),
    ],
)
def test_parameters_and_the_rollup_filter_are_checked(change, problem):
    with pytest.raises(DefinitionError) as error:
        parse_definition({**CHRONIC, **change}, "c.yaml", 10)
    assert problem in str(error.value)


def test_a_gap_takes_no_parameters():
    with pytest.raises(DefinitionError) as error:
        parse_definition(
            {
                "id": "a_gap",
                "name": "A gap",
                "params": {"x": 1},
                "gap": {"metric": "m", "dimension": "ell", "focal": True, "reference": False},
            },
            "g.yaml",
            10,
        )
    assert "remove params" in str(error.value)


def test_a_parameter_is_a_literal_in_both_compilers():
    import ibis
    import pandas as pd

    from districtpm.metrics.expressions import compile_to_ibis, compile_to_pandas

    frame = pd.DataFrame({"days_enrolled": [180, 180, 30, 9], "days_present": [162, 163, 27, 0]})
    text = "(days_enrolled - days_present) * 100 >= absent_percent * days_enrolled"
    params = {"absent_percent": 10}
    assert compile_to_pandas(text, frame, params).tolist() == [True, False, True, True]
    table = ibis.memtable(frame)
    kept = table.mutate(_keep=compile_to_ibis(text, table, params)).to_pandas()
    assert kept["_keep"].tolist() == [True, False, True, True]
    with pytest.raises(ExpressionError, match="both a parameter and a column"):
        compile_to_pandas(text, frame, {"absent_percent": 10, "days_present": 1})
