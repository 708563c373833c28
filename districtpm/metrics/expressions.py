"""A small, safe expression language for metric filters and conditions.

    subject == "ela" and test == "state"
    performance_level >= 3
    days_present / days_enrolled < 0.9
    race in ["Black", "Hispanic"] and not swd

Parsed with Python's `ast` module and checked node by node against a whitelist: column names,
literals, comparisons, `and`/`or`/`not`, `in` lists, `is null`-style `== null`, and + - * /.
Nothing is ever evaluated as Python and no SQL text from a user reaches the engine: the tree is
compiled to an Ibis expression.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable
from typing import Any

import ibis.expr.types as ir


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


def parse(text: str, columns: Iterable[str]) -> ast.Expression:
    """Parse and check an expression; raise ExpressionError saying what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("The expression is empty.")
    if len(text) > 500:
        raise ExpressionError("The expression is longer than 500 characters.")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"Cannot read the expression {text!r}: {exc.msg}.") from exc
    known = set(columns)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in known and node.id not in _LITERALS:
                raise ExpressionError(
                    f"Unknown column {node.id!r}; the columns are: {', '.join(sorted(known))}."
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
    return tree


def compile_to_ibis(text: str, table: ir.Table) -> ir.BooleanValue:
    """The expression as an Ibis boolean over `table`'s columns."""
    tree = parse(text, table.columns)
    return _compile(tree.body, table)


def _literal_list(node: ast.AST) -> list[Any]:
    if not isinstance(node, ast.List | ast.Tuple):
        raise ExpressionError('\'in\' needs a list, like grade in ["9", "10"].')
    values = []
    for element in node.elts:
        if not isinstance(element, ast.Constant):
            raise ExpressionError("Lists may only hold literals.")
        values.append(element.value)
    return values


def _compile(node: ast.AST, table: Any) -> Any:
    if isinstance(node, ast.BoolOp):
        values = [_compile(v, table) for v in node.values]
        result = values[0]
        for value in values[1:]:
            result = (result & value) if isinstance(node.op, ast.And) else (result | value)
        return result
    if isinstance(node, ast.UnaryOp):
        operand = _compile(node.operand, table)
        return ~operand if isinstance(node.op, ast.Not) else -operand
    if isinstance(node, ast.Name):
        if node.id in _LITERALS:
            return _LITERALS[node.id]
        return table[node.id]
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.BinOp):
        left, right = _compile(node.left, table), _compile(node.right, table)
        if isinstance(node.op, ast.Div):
            return left.cast("float64") / right if hasattr(left, "cast") else left / right
        return _ARITH[type(node.op)](left, right)
    if isinstance(node, ast.Compare):
        left_node = node.left
        result = None
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            left = _compile(left_node, table)
            if isinstance(op, ast.In | ast.NotIn):
                values = _literal_list(right_node)
                part = left.isin(values)
                part = ~part if isinstance(op, ast.NotIn) else part
            else:
                right = _compile(right_node, table)
                if right is None or left is None:
                    column = left if right is None else right
                    if not isinstance(op, ast.Eq | ast.NotEq):
                        raise ExpressionError("null can only be compared with == or !=.")
                    part = column.isnull() if isinstance(op, ast.Eq) else column.notnull()
                else:
                    part = _COMPARE[type(op)](left, right)
            result = part if result is None else (result & part)
            left_node = right_node
        return result
    raise ExpressionError(f"{type(node).__name__} is not part of the filter language.")


def compile_to_pandas(text: str, frame: Any) -> Any:
    """The same expression on a pandas DataFrame (for the reference implementation): the
    compiler only indexes columns and uses operators and isin/isnull/notnull, which pandas
    Series share with Ibis columns."""
    tree = parse(text, frame.columns)
    return _compile(tree.body, frame)
