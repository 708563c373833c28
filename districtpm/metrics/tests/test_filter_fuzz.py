"""Fuzzing the filter language: whatever the text, checking and compiling either succeed or raise
the language's own ExpressionError, and what compiles selects the same rows in pandas and in Ibis
on DuckDB (hardening, finding 11). Bounded: every test sets max_examples and a deadline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import ibis
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from districtpm.metrics.expressions import (
    ExpressionError,
    compile_to_ibis,
    compile_to_pandas,
    parse,
)

# A small frame: ints (a), floats (b), a divisor that is never zero (d), text (s), booleans (f).
FRAME = pd.DataFrame(
    {
        "a": [-3, 0, 1, 2, 5, 7, 0, -1],
        "b": [0.5, -1.25, 2.0, 3.75, 0.0, 10.5, -0.5, 1.0],
        "d": [1, 2, 3, 4, 5, 6, 7, 9],
        "s": ["ela", "math", "", "K", "9", "10", "ela", "b"],
        "f": [True, False, True, True, False, False, True, False],
    }
)
COLUMNS = {"a": "number", "b": "number", "d": "number", "s": "text", "f": "true/false"}
FUZZ = settings(
    max_examples=150,
    deadline=timedelta(seconds=5),
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.too_slow],
)

_duckdb: dict[str, Any] = {}


def _table() -> Any:
    """The frame as a table of one in-memory DuckDB, made once for the module."""
    if not _duckdb:
        con = ibis.duckdb.connect()
        _duckdb["table"] = con.create_table("fuzz", ibis.memtable(FRAME))
    return _duckdb["table"]


# --- Random text -----------------------------------------------------------------------------

TOKENS = [
    *COLUMNS,
    "true", "false", "null", "and", "or", "not", "in", "is", "if", "else", "lambda",
    "+", "-", "*", "/", "**", "%", "//", "@", "==", "!=", "<", "<=", ">", ">=", "=", ":=",
    "(", ")", "[", "]", "{", "}", ",", ".", ":", ";", "'", '"',
    "0", "1", "-0", "0.0", "1e999", "99999999", "1e15", "10000000000000000", "3.5", "1j",
    '"a"', '"ela"', "'K'", "__import__", "upper()", "\\x00", "\n", "\t", " ",
]  # fmt: skip


def _outcome(text: str) -> None:
    """Check and compile `text`; only the language's own error may come out."""
    try:
        parse(text, COLUMNS)
    except ExpressionError as exc:
        assert str(exc) and "Traceback" not in str(exc)
        return
    result = compile_to_pandas(text, FRAME)
    assert result.dtype == bool and len(result) == len(FRAME)
    assert compile_to_ibis(text, _table()).type().is_boolean()


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25).map(" ".join))
def test_token_soup_gives_a_result_or_the_languages_error(text):
    _outcome(text)


@settings(FUZZ, max_examples=100)
@given(st.text(max_size=80))
def test_any_text_gives_a_result_or_the_languages_error(text):
    _outcome(text)


# --- Random trees, typed or not --------------------------------------------------------------


def _binary(children: st.SearchStrategy[str], ops: list[str]) -> st.SearchStrategy[str]:
    return st.tuples(children, st.sampled_from(ops), children).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    )


ANY_LEAF = st.one_of(
    st.sampled_from([*COLUMNS, "true", "false", "null"]),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=False).map(repr),
    st.sampled_from(["1e999", "0", "0.0", '"a"', '""', '"ela"', "[1, 2]", '["a", 1]']),
)
ANY_TREE = st.recursive(
    ANY_LEAF,
    lambda kids: st.one_of(
        _binary(kids, ["+", "-", "*", "/", "==", "!=", "<", ">=", "and", "or", "in", "not in"]),
        kids.map(lambda k: f"not {k}"),
        kids.map(lambda k: f"-{k}"),
        kids.map(lambda k: f"-({k})"),
        st.tuples(kids, st.lists(kids, max_size=3)).map(lambda t: f"{t[0]} in [{', '.join(t[1])}]"),
    ),
    max_leaves=12,
)


@FUZZ
@given(ANY_TREE)
def test_untyped_trees_give_a_result_or_the_languages_error(text):
    _outcome(text)


# Well-kinded trees. Integers stay small so no product of eight leaves overflows int64 (an
# overflow is a property of the data, not of the language), and divisors are the column d or
# non-zero literals, so no row divides by zero (pandas gives inf where SQL engines give null).
SMALL_INT = st.integers(-20, 20).map(str)
SMALL_FLOAT = st.sampled_from(["0.5", "1.25", "2.0", "-3.5", "0.1", "10.0"])
DIVISOR = st.one_of(
    st.just("d"), st.integers(1, 9).map(str), st.sampled_from(["0.5", "-2", "(1 + 1)"])
)
NUMBER = st.recursive(
    st.one_of(st.sampled_from(["a", "b", "d"]), SMALL_INT, SMALL_FLOAT),
    lambda kids: st.one_of(
        _binary(kids, ["+", "-", "*"]),
        st.tuples(kids, DIVISOR).map(lambda t: f"({t[0]} / {t[1]})"),
        kids.map(lambda k: f"-{k}"),
    ),
    max_leaves=8,
)
TEXT = st.sampled_from(['"ela"', '"math"', '""', '"K"', '"9"', '"b"', '"zz"'])
COMPARE = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
CONDITION_LEAF = st.one_of(
    st.sampled_from(["f", "true", "false", "f == true", "f != false"]),
    st.tuples(NUMBER, COMPARE, NUMBER).map(" ".join),
    st.tuples(NUMBER, COMPARE, NUMBER, COMPARE, NUMBER).map(" ".join),
    st.tuples(TEXT, COMPARE, TEXT).map(" ".join),
    st.tuples(st.just("s"), COMPARE, TEXT).map(" ".join),
    st.tuples(st.sampled_from(["s in", "s not in"]), st.lists(TEXT, min_size=1, max_size=3)).map(
        lambda t: f"{t[0]} [{', '.join(t[1])}]"
    ),
    st.tuples(
        st.sampled_from(["a", "d", "a + 1", "3"]),
        st.sampled_from(["in", "not in"]),
        st.lists(SMALL_INT, min_size=1, max_size=3),
    ).map(lambda t: f"{t[0]} {t[1]} [{', '.join(t[2])}]"),
    st.tuples(st.sampled_from(["a", "b", "s", "f"]), st.sampled_from(["==", "!="])).map(
        lambda t: f"{t[0]} {t[1]} null"
    ),
)
CONDITION = st.recursive(
    CONDITION_LEAF,
    lambda kids: st.one_of(
        _binary(kids, ["and", "or"]),
        kids.map(lambda k: f"not ({k})"),
    ),
    max_leaves=6,
)


@FUZZ
@given(CONDITION)
def test_what_compiles_selects_the_same_rows_in_pandas_and_duckdb(text):
    try:
        parse(text, COLUMNS)
    except ExpressionError as exc:
        # Only the language's bounds may refuse a well-kinded tree: its length or its depth.
        assert "longer than" in str(exc) or "nested more than" in str(exc), (text, exc)
        return
    with_pandas = compile_to_pandas(text, FRAME).tolist()
    table = _table()
    rows = table.mutate(_keep=compile_to_ibis(text, table)).order_by("d").to_pandas()
    assert rows["_keep"].astype(bool).tolist() == with_pandas, text


def test_the_fuzzed_frame_is_what_the_trees_assume():
    # The trees rely on d never being zero and on small values; fail loudly if FRAME changes.
    assert (FRAME["d"] > 0).all() and FRAME["d"].is_monotonic_increasing
    assert FRAME[["a", "b", "d"]].abs().max().max() < 20
    assert parse("a / (d - d) > 1", COLUMNS)  # a column may be zero: not known while checking
    with pytest.raises(ExpressionError):
        parse("a / (2 - 2 + 0) > 1", COLUMNS)
