"""The filter language refuses, while definitions are validated, what it cannot compute: division
by a constant zero, text repetition, numbers too large, nesting too deep (hardening, finding 11)."""

from __future__ import annotations

import pandas as pd
import pytest
from django.core.management import call_command

from districtpm.metrics.definitions import DefinitionError, load_all, parse_definition
from districtpm.metrics.expressions import (
    ExpressionError,
    compile_to_ibis,
    compile_to_pandas,
    parse,
)

# Columns of the survey_responses source, with their kinds, for direct checks.
SURVEY = {"score": "number", "construct": "text", "school_year": "text"}


def survey_rate(filter_text: str, condition: str = "score >= 4") -> dict:
    return {
        "id": "survey_hardening",
        "name": "Survey hardening",
        "source": "survey_responses",
        "filter": filter_text,
        "measure": {"kind": "rate", "condition": condition},
    }


REFUSED = {
    # The two cases the issue reports.
    "score > 1 / 0": "Division by zero",
    '"a" * 99999999 * 99999999 == construct': "Arithmetic (+ - * /) works on numbers only",
    # Division by a constant expression equal to zero.
    "score / (2 - 2) > 1": "Division by zero",
    "score / 0.0 > 1": "Division by zero",
    "score / -0 > 1": "Division by zero",
    # Text is never repeated nor added, even a little.
    'construct == "ab" * 3': "works on numbers only",
    'construct + "x" == "belongingx"': "works on numbers only",
    # Numbers must be finite and bounded, literals and constant parts alike.
    "score > 1e999": "too large a number",
    "score > 10000000000000000000000": "too large a number",
    "score > 99999999 * 99999999": "too large a number",
    "score > 1000000 * 1000000 * 1000000 * 1000000": "too large a number",
    "score > 0.0000000000000000000000000000000001": "longer than 30 characters",
    # Nesting is bounded and refused without a RecursionError.
    "-" * 100 + "score > 1": "nested more than",
    "not " * 60 + "score > 1": "nested more than",
    " + ".join(["score"] * 60) + " > 1": "nested more than",
    # Kinds that would fail only when computed.
    "construct > 3": "Cannot compare",
    "score": "must be a condition",
    "score + 1": "must be a condition",
    'score in [-1, "x"]': "the list holds",
    "score in []": "empty",
    "null == null": "null can only be compared with a column",
    "score + null > 1": "works on numbers only",
    "not score": "'not' needs a condition",
}


@pytest.mark.parametrize("text", list(REFUSED))
def test_validation_refuses_what_cannot_be_computed(text):
    with pytest.raises(DefinitionError) as error:
        parse_definition(survey_rate(text), "survey_hardening.yaml", 10)
    message = str(error.value)
    assert REFUSED[text] in message
    # The message names the metric and the expression, and is not a traceback.
    assert "metric survey_hardening" in message
    assert "Traceback" not in message


@pytest.mark.parametrize(
    "text",
    [
        "(" * 100_000 + "score" + ")" * 100_000 + " > 1",
        "(" * 240 + "score" + ")" * 240,
        "score\x00 > 1",
        "-" * 490 + "1 < score",
        "[" * 240 + "]" * 240,
    ],
)
def test_hostile_text_gives_the_languages_own_error(text):
    with pytest.raises(ExpressionError):
        parse(text, SURVEY)


def test_a_measure_condition_is_checked_the_same_way():
    with pytest.raises(DefinitionError) as error:
        parse_definition(survey_rate('construct == "belonging"', "score > 4 / (1 - 1)"), "s.yaml")
    assert "measure.condition: metric survey_hardening" in str(error.value)
    assert "Division by zero" in str(error.value)


def test_group_columns_are_text_in_a_measure_condition():
    # The engine turns group columns into yes/no/unknown before it evaluates the condition.
    definition = survey_rate('construct == "belonging"', "score >= 4")
    definition["source"] = "student_discipline"
    definition.pop("filter")
    definition["measure"] = {"kind": "rate", "condition": "swd == true"}
    with pytest.raises(DefinitionError) as error:
        parse_definition(definition, "d.yaml", 10)
    assert "Cannot compare swd (text)" in str(error.value)
    definition["measure"] = {"kind": "rate", "condition": 'swd == "yes" and oss_incidents > 0'}
    assert parse_definition(definition, "d.yaml", 10).measure.condition


@pytest.mark.parametrize(
    "text",
    [
        "score / 2 >= 3.5",
        "-score < -3",
        "1 <= score < 4",
        "score * 1000000 > 1000000 * 3",
        'construct in ["belonging", "climate"] and score != null',
        "score > 1 / 4",
        "true",
    ],
)
def test_bounded_expressions_still_validate(text):
    assert parse_definition(survey_rate(text), "s.yaml", 10).filter == text


def _write(folder, name: str, filter_text: str) -> None:
    (folder / f"{name}.yaml").write_text(
        f"id: {name}\nname: {name}\nsource: survey_responses\nfilter: '{filter_text}'\n"
        "measure: {kind: rate, condition: score >= 4}\n"
    )


def test_data_validate_reports_them_with_every_other_problem(tmp_path, capsys):
    _write(tmp_path, "divides_by_zero", "score > 1 / 0")
    _write(tmp_path, "repeats_text", '"a" * 99999999 * 99999999 == construct')
    (tmp_path / "no_condition.yaml").write_text(
        "id: no_condition\nname: N\nsource: assessments\nmeasure: {kind: rate}\n"
    )
    with pytest.raises(DefinitionError) as error:
        load_all(tmp_path)
    problems = error.value.problems
    assert any("metric divides_by_zero" in p and "Division by zero" in p for p in problems)
    assert any("metric repeats_text" in p and "numbers only" in p for p in problems)
    assert any("a rate needs measure.condition" in p for p in problems)

    with pytest.raises(SystemExit) as exit_:
        call_command("data", "validate", str(tmp_path))
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "score > 1 / 0" in err and "Division by zero" in err
    assert "numbers only" in err
    assert str(tmp_path) not in err


def test_constant_parts_compile_to_the_same_rows_in_pandas_and_ibis():
    import ibis

    frame = pd.DataFrame({"score": [1.0, 3.0, 5.0], "construct": ["a", "b", "c"]})
    table = ibis.memtable(frame)
    for text, expected in [
        ("not true or score > 4", [False, False, True]),
        ("not (1 > 2) and score < 4", [True, True, False]),
        ("1 < 2", [True, True, True]),
        ("score > 4 or -1 in [-1]", [True, True, True]),
    ]:
        assert compile_to_pandas(text, frame).tolist() == expected, text
        with_ibis = table.mutate(_keep=compile_to_ibis(text, table)).to_pandas()
        assert with_ibis["_keep"].tolist() == expected, text


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        # passed validation, then compute ended in OverflowError storing the version
        ({"version": 10**29}, "version must be a whole number from 1 to"),
        ({"version": True}, "version must be a whole number"),
        ({"min_n": 10**20}, "min_n must be a whole number"),
        ({"name": "n" * 200_000}, "name may have at most 200 characters"),
    ],
)
def test_fields_the_app_database_cannot_hold_are_refused(changes, problem):
    with pytest.raises(DefinitionError) as error:
        parse_definition({**survey_rate("score >= 0"), **changes}, "hardening.yaml", 10)
    assert any(problem in p for p in error.value.problems)


def test_an_empty_or_unreadable_definition_file_is_a_problem(tmp_path):
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(DefinitionError) as error:
        load_all(tmp_path)
    problems = error.value.problems
    assert any(p.startswith("empty.yaml:") and "no definition" in p for p in problems)
    assert any(p.startswith("latin1.yaml:") and "UTF-8" in p for p in problems)
