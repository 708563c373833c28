"""A small, safe expression language for metric filters and conditions.

    subject == "ela" and test == "state"
    performance_level >= 3
    days_present / days_enrolled < 0.9
    race in ["Black", "Hispanic"] and not swd
    (days_enrolled - days_present) * 100 >= absent_percent * days_enrolled

A definition may name parameters (`params:`), numbers, text or true/false that its expressions
use by name like literals (`absent_percent` above); they are checked and folded like literals.

Parsed with Python's `ast` module and checked node by node against a whitelist: column names,
literals, comparisons, `and`/`or`/`not`, `in` lists, `is null`-style `== null`, and + - * /.
Nothing is ever evaluated as Python and no SQL text from a user reaches the engine: the tree is
compiled to an Ibis expression.

Checking also gives every part of the expression a kind (number, text, true/false, date) and
folds the parts made only of literals, so that everything that could fail or grow without bound
when the metric is computed (text repeated a billion times, division by zero, a number too large
for the engine, nesting too deep to compile) is refused while the definition is validated.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

# Bounds of the language (documented in docs/metrics.md).
MAX_LENGTH = 500  # characters in one expression
MAX_DEPTH = 32  # nesting of operations, brackets aside
MAX_LITERAL_CHARS = 30  # characters in one numeric literal
MAX_MAGNITUDE = 10**15  # largest number a literal or a constant part may be (exact in float64)


class ExpressionError(ValueError):
    """An expression that is not valid in the filter language, with a message for people."""


_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_ARITH: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_LITERALS = {"true": True, "false": False, "null": None}
_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.List,
    ast.Tuple,
    ast.Load,
    ast.Not,
    ast.USub,
    ast.In,
    ast.NotIn,
    *_COMPARE,
    *_ARITH,
)

# Kinds of values; ANY is a column whose type the caller did not say.
NUMBER, TEXT, BOOLEAN, DATE, NULL, ANY = "number", "text", "true/false", "date", "null", "any"
_KIND_OF_TYPE = {
    "int64": NUMBER,
    "int32": NUMBER,
    "float64": NUMBER,
    "decimal": NUMBER,
    "string": TEXT,
    "boolean": BOOLEAN,
    "date": DATE,
}
_ORDERED = {NUMBER, TEXT, DATE, ANY}
_NOT_CONSTANT = object()


def kind_of_type(type_name: str) -> str:
    """The filter-language kind of a schema type name (int64, string, ...); ANY if unknown."""
    return _KIND_OF_TYPE.get(type_name, ANY)


Params = Mapping[str, Any]


def parse(
    text: str, columns: Iterable[str] | Mapping[str, str], params: Params | None = None
) -> ast.Expression:
    """Parse and check an expression; raise ExpressionError saying what is wrong.

    `columns` is the column names, or a mapping of names to kinds (see kind_of_type) so that
    the kinds of values can be checked too. `params` are the definition's parameters, names
    the expression may use in place of literals."""
    tree, _ = _checked(text, columns, params)
    return tree


def names_in(text: str) -> set[str]:
    """The names (columns and parameters) a checked expression uses."""
    tree = ast.parse(text.strip(), mode="eval")
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def param_kind(value: Any) -> str:
    """The kind of a parameter's value; ExpressionError unless it is a number, text or
    true/false (a list or a mapping is not a value an expression can hold)."""
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int | float):
        # The size first: math.isfinite cannot convert a huge whole number to a float.
        if abs(value) > MAX_MAGNITUDE or not math.isfinite(value):
            shown = repr(value) if len(repr(value)) <= MAX_LITERAL_CHARS else "The number"
            raise ExpressionError(
                f"{shown} is not a finite number between -{MAX_MAGNITUDE:,} and {MAX_MAGNITUDE:,}."
            )
        return NUMBER
    if isinstance(value, str):
        if len(value) > MAX_LENGTH:
            raise ExpressionError(f"Text parameters have at most {MAX_LENGTH} characters.")
        return TEXT
    raise ExpressionError("A parameter must be a number, text, or true/false.")


def _checked(
    text: str, columns: Iterable[str] | Mapping[str, str], params: Params | None = None
) -> tuple[ast.Expression, dict[int, Any]]:
    """The checked tree and the values of its constant parts, by node id."""
    if not isinstance(text, str):
        raise ExpressionError("The expression must be text.")
    if not text.strip():
        raise ExpressionError("The expression is empty.")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"The expression is longer than {MAX_LENGTH} characters.")
    source = text.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"Cannot read the expression {text!r}: {exc.msg}.") from exc
    except (ValueError, RecursionError, MemoryError) as exc:
        # Null bytes, or nesting the parser itself cannot hold.
        raise ExpressionError(f"Cannot read the expression {text!r}.") from exc
    _check_depth(tree)
    kinds: dict[str, str] = (
        dict(columns) if isinstance(columns, Mapping) else dict.fromkeys(columns, ANY)
    )
    params = dict(params or {})
    both = sorted(set(params) & (set(kinds) | set(_LITERALS)))
    if both:
        raise ExpressionError(
            f"{', '.join(both)} is both a parameter and a column (or true, false, null); "
            "rename the parameter."
        )
    _check_nodes(tree, kinds, params)
    folded: dict[int, Any] = {}
    kind = _Checker(source, kinds, folded, params).check(tree.body)
    if kind not in (BOOLEAN, ANY):
        raise ExpressionError(
            f"The expression must be a condition, true or false for each row (like score >= 3); "
            f"this one gives a {kind}."
        )
    return tree, folded


def _check_depth(tree: ast.AST) -> None:
    """Refuse nesting deeper than MAX_DEPTH, without recursing (so no RecursionError)."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(
                f"The expression is nested more than {MAX_DEPTH} levels deep; simplify it."
            )
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _check_nodes(tree: ast.AST, kinds: Mapping[str, str], params: Params) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in kinds and node.id not in _LITERALS and node.id not in params:
                named = f"; the parameters are: {', '.join(sorted(params))}" if params else ""
                raise ExpressionError(
                    f"Unknown column {node.id!r}; the columns are: {', '.join(sorted(kinds))}"
                    f"{named}."
                )
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, str | int | float | bool) and node.value is not None:
                raise ExpressionError(f"Literal {node.value!r} is not allowed.")
        elif isinstance(node, ast.Compare):
            for op in node.ops:
                if type(op) not in _COMPARE and not isinstance(op, ast.In | ast.NotIn):
                    raise ExpressionError(f"The comparison {type(op).__name__} is not allowed.")
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _ARITH:
                raise ExpressionError("Only + - * / are allowed in arithmetic.")
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.Not | ast.USub):
                raise ExpressionError("Only 'not' and unary minus are allowed.")
        elif not isinstance(node, _ALLOWED):
            raise ExpressionError(
                f"{type(node).__name__} is not part of the filter language "
                "(use columns, literals, comparisons, and/or/not, in [...], + - * /)."
            )


class _Checker:
    """Gives each node its kind and folds constant parts, refusing what cannot be computed."""

    def __init__(
        self,
        source: str,
        kinds: Mapping[str, str],
        folded: dict[int, Any],
        params: Params | None = None,
    ) -> None:
        self.source = source
        self.kinds = kinds
        self.folded = folded
        self.params = params or {}

    def show(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.source, node) or ""
        return segment if len(segment) <= 60 else segment[:57] + "..."

    def constant(self, node: ast.AST) -> Any:
        return self.folded.get(id(node), _NOT_CONSTANT)

    def fold(self, node: ast.AST, value: Any) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
                raise ExpressionError(
                    f"{self.show(node)} is too large a number; numbers in expressions must lie "
                    f"between -{MAX_MAGNITUDE:,} and {MAX_MAGNITUDE:,}."
                )
        self.folded[id(node)] = value

    def check(self, node: ast.AST) -> str:
        if isinstance(node, ast.Name):
            if node.id in _LITERALS:
                value = _LITERALS[node.id]
                self.fold(node, value)
                return NULL if value is None else BOOLEAN
            if node.id in self.params:
                # A parameter is a literal written once in the definition: folded like one.
                value = self.params[node.id]
                kind = param_kind(value)
                self.fold(node, value)
                return kind
            return self.kinds[node.id]
        if isinstance(node, ast.Constant):
            return self.literal(node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.BinOp):
            return self.arithmetic(node)
        if isinstance(node, ast.BoolOp):
            return self.boolean(node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.List | ast.Tuple):
            raise ExpressionError(
                f'A list may only follow in or not in, like grade in ["9", "10"]; '
                f"{self.show(node)} does not."
            )
        raise ExpressionError(f"{type(node).__name__} is not part of the filter language.")

    def literal(self, node: ast.Constant) -> str:
        value = node.value
        if isinstance(value, bool):
            self.fold(node, value)
            return BOOLEAN
        if isinstance(value, str):
            self.fold(node, value)
            return TEXT
        if len(self.show(node)) > MAX_LITERAL_CHARS:
            raise ExpressionError(
                f"The number {self.show(node)} is longer than {MAX_LITERAL_CHARS} characters."
            )
        self.fold(node, value)
        return NUMBER

    def need(self, node: ast.AST, kind: str, wanted: str, what: str) -> None:
        if kind not in (wanted, ANY):
            raise ExpressionError(f"{what}, but {self.show(node)} is {_article(kind)}.")

    def unary(self, node: ast.UnaryOp) -> str:
        kind = self.check(node.operand)
        value = self.constant(node.operand)
        if isinstance(node.op, ast.Not):
            self.need(node.operand, kind, BOOLEAN, "'not' needs a condition")
            if value is not _NOT_CONSTANT:
                self.fold(node, not value)
            return BOOLEAN
        self.need(node.operand, kind, NUMBER, "Unary minus needs a number")
        if value is not _NOT_CONSTANT:
            self.fold(node, -value)
        return NUMBER

    def arithmetic(self, node: ast.BinOp) -> str:
        for side in (node.left, node.right):
            kind = self.check(side)
            # Only numbers: this is what refuses text repetition ("a" * 99999999).
            self.need(side, kind, NUMBER, "Arithmetic (+ - * /) works on numbers only")
        left, right = self.constant(node.left), self.constant(node.right)
        if isinstance(node.op, ast.Div) and right is not _NOT_CONSTANT and right == 0:
            raise ExpressionError(
                f"Division by zero: {self.show(node.right)} is always zero, "
                f"so {self.show(node)} cannot be computed."
            )
        if left is not _NOT_CONSTANT and right is not _NOT_CONSTANT:
            # Both operands are bounded by MAX_MAGNITUDE, so the result is at most 10**30.
            self.fold(node, _ARITH[type(node.op)](left, right))
        return NUMBER

    def boolean(self, node: ast.BoolOp) -> str:
        values = []
        for part in node.values:
            self.need(part, self.check(part), BOOLEAN, "'and' and 'or' join conditions")
            values.append(self.constant(part))
        if all(v is not _NOT_CONSTANT for v in values):
            self.fold(node, all(values) if isinstance(node.op, ast.And) else any(values))
        return BOOLEAN

    def compare(self, node: ast.Compare) -> str:
        left_node, left_kind = node.left, self.check(node.left)
        results = []
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            left = self.constant(left_node)
            if isinstance(op, ast.In | ast.NotIn):
                values = self.literal_list(right_node, left_kind, left_node)
                right_kind = left_kind
                if left is not _NOT_CONSTANT:
                    results.append((left in values) == isinstance(op, ast.In))
                else:
                    results.append(_NOT_CONSTANT)
            else:
                right_kind = self.check(right_node)
                right = self.constant(right_node)
                if NULL in (left_kind, right_kind):
                    if not isinstance(op, ast.Eq | ast.NotEq):
                        raise ExpressionError("null can only be compared with == or !=.")
                    if left is not _NOT_CONSTANT and right is not _NOT_CONSTANT:
                        raise ExpressionError(
                            f"null can only be compared with a column, like score == null; "
                            f"{self.show(left_node)} is not one."
                        )
                    results.append(_NOT_CONSTANT)
                else:
                    self.comparable(op, left_node, left_kind, right_node, right_kind)
                    if left is not _NOT_CONSTANT and right is not _NOT_CONSTANT:
                        results.append(_COMPARE[type(op)](left, right))
                    else:
                        results.append(_NOT_CONSTANT)
            left_node, left_kind = right_node, right_kind
        if all(r is not _NOT_CONSTANT for r in results):
            self.fold(node, all(results))
        return BOOLEAN

    def comparable(
        self, op: ast.cmpop, left: ast.AST, left_kind: str, right: ast.AST, right_kind: str
    ) -> None:
        kinds = {left_kind, right_kind} - {ANY}
        if kinds == {DATE, TEXT} and (
            self.constant(left) is not _NOT_CONSTANT or self.constant(right) is not _NOT_CONSTANT
        ):
            return  # a date column with a date written as text, like entry_date >= "2024-09-01"
        if len(kinds) > 1:
            raise ExpressionError(
                f"Cannot compare {self.show(left)} ({_article(left_kind)}) "
                f"with {self.show(right)} ({_article(right_kind)})."
            )
        if kinds and not isinstance(op, ast.Eq | ast.NotEq) and not kinds <= _ORDERED:
            raise ExpressionError(
                f"Only numbers, text and dates can be ordered; {self.show(left)} is "
                f"{_article(left_kind)}."
            )

    def literal_list(self, node: ast.AST, kind: str, left: ast.AST) -> list[Any]:
        if kind == NULL:
            raise ExpressionError("null cannot be looked for in a list; use == null.")
        if not isinstance(node, ast.List | ast.Tuple):
            raise ExpressionError('\'in\' needs a list, like grade in ["9", "10"].')
        if not node.elts:
            raise ExpressionError("The list after 'in' is empty.")
        values = []
        for element in node.elts:
            element_kind = self.check(element)
            value = self.constant(element)
            if value is _NOT_CONSTANT or element_kind == NULL:
                raise ExpressionError("Lists may only hold literals (and not null).")
            if kind != ANY and element_kind != kind and {kind, element_kind} != {DATE, TEXT}:
                raise ExpressionError(
                    f"{self.show(left)} is {_article(kind)}, but the list holds "
                    f"{self.show(element)}."
                )
            values.append(value)
        self.folded[id(node)] = values
        return values


def _article(kind: str) -> str:
    names = {NUMBER: "a number", TEXT: "text", BOOLEAN: "a condition (true/false)", DATE: "a date"}
    return names.get(kind, "null (no value)" if kind == NULL else kind)


def _ibis_kind(dtype: Any) -> str:
    if dtype.is_boolean():
        return BOOLEAN
    if dtype.is_numeric():
        return NUMBER
    if dtype.is_string():
        return TEXT
    if dtype.is_date():
        return DATE
    return ANY


def _pandas_kind(dtype: Any) -> str:
    import pandas as pd

    if pd.api.types.is_bool_dtype(dtype):
        return BOOLEAN
    if pd.api.types.is_numeric_dtype(dtype):
        return NUMBER
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return TEXT
    return ANY


def compile_to_ibis(text: str, table: ir.Table, params: Params | None = None) -> ir.BooleanValue:
    """The expression as an Ibis boolean over `table`'s columns, with the definition's
    parameters in place of their names."""
    schema = table.schema()
    kinds = {name: _ibis_kind(schema[name]) for name in table.columns}
    tree, folded = _checked(text, kinds, params)
    result = _compile(tree.body, table, folded)
    return result if isinstance(result, ir.Value) else ibis.literal(bool(result))


def _compile(node: ast.AST, table: Any, folded: dict[int, Any]) -> Any:
    if id(node) in folded:
        return folded[id(node)]
    if isinstance(node, ast.BoolOp):
        values = [_compile(v, table, folded) for v in node.values]
        result = values[0]
        for value in values[1:]:
            result = (result & value) if isinstance(node.op, ast.And) else (result | value)
        return result
    if isinstance(node, ast.UnaryOp):
        operand = _compile(node.operand, table, folded)
        return ~operand if isinstance(node.op, ast.Not) else -operand
    if isinstance(node, ast.Name):
        return table[node.id]
    if isinstance(node, ast.BinOp):
        left = _compile(node.left, table, folded)
        right = _compile(node.right, table, folded)
        if isinstance(node.op, ast.Div):
            return left.cast("float64") / right if hasattr(left, "cast") else left / right
        return _ARITH[type(node.op)](left, right)
    if isinstance(node, ast.Compare):
        left_node = node.left
        result = None
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            left = _compile(left_node, table, folded)
            if isinstance(op, ast.In | ast.NotIn):
                part = left.isin(folded[id(right_node)])
                part = ~part if isinstance(op, ast.NotIn) else part
            else:
                right = _compile(right_node, table, folded)
                if right is None or left is None:
                    column = left if right is None else right
                    part = column.isnull() if isinstance(op, ast.Eq) else column.notnull()
                else:
                    part = _COMPARE[type(op)](left, right)
            result = part if result is None else (result & part)
            left_node = right_node
        return result
    raise ExpressionError(f"{type(node).__name__} is not part of the filter language.")


def compile_to_pandas(text: str, frame: Any, params: Params | None = None) -> Any:
    """The same expression on a pandas DataFrame (for the reference implementation): the
    compiler only indexes columns and uses operators and isin/isnull/notnull, which pandas
    Series share with Ibis columns."""
    import pandas as pd

    kinds = {name: _pandas_kind(frame[name].dtype) for name in frame.columns}
    tree, folded = _checked(text, kinds, params)
    result = _compile(tree.body, frame, folded)
    return result if isinstance(result, pd.Series) else pd.Series(bool(result), index=frame.index)
