"""Arithmetic expressions typed as text, turned into a recorded graph of `Value`s.

``parse("a*b + exp(a)", {"a": 2, "b": 3})`` reads the text with Python's own parser
(`ast`), accepts only a small whitelist of syntax, and builds the graph by calling the
engine's operations: nothing is ever ``eval``ed. Allowed: numbers, the given input names,
``+ - * / **``, unary ``-`` and ``+``, parentheses, and calls with one argument to
``exp log tanh sigmoid relu abs sqrt``. Sizes are bounded (length, syntax nodes, nesting,
constants, exponents) so that no input can make it hang or exhaust memory.

Every rejection is an `ExpressionError` (a `ValueError`) with a one-line message naming
what was wrong and where: ``attribute access is not allowed at column 1: 'a.__class__'``.

Each value the expression computes is labelled with the text that computes it (``a*b``),
so tables and drawings name values the way the user wrote them. A text longer than 30
characters is shortened in the middle, keeping the end that says what the value is: a
sum's last term and its ``+`` (``tanh(a*b + c*a) * sig… + a*a*b``), a call's closing
parenthesis.

>>> e = parse("a*b + a", {"a": 2, "b": 3})
>>> e.output.data, e.output.label
(8.0, 'a*b + a')
>>> e.output.backward()
>>> {name: x.grad for name, x in e.inputs.items()}
{'a': 4.0, 'b': 2.0}
"""

from __future__ import annotations

import ast
import keyword
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from micrograd.engine import Value, enable_grad

__all__ = [
    "FUNCTIONS",
    "MAX_CONSTANT",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_NODES",
    "Expression",
    "ExpressionError",
    "parse",
    "read_as",
]

FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "exp": Value.exp,
    "log": Value.log,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "abs": Value.abs,
    "sqrt": Value.sqrt,
}

MAX_LENGTH = 1000  # characters of text
MAX_NODES = 300  # numbers, names, operators and calls
MAX_DEPTH = 100  # nesting of operations (a chain a+a+…+a nests one level per +)
MAX_CONSTANT = 1e6  # magnitude of a number written in the text
MAX_EXPONENT = 100  # magnitude of any exponent, written or computed
_LABEL_WIDTH = 30  # longer sub-expressions are labelled by their beginning and their end
_LABEL_HEAD = 8  # at least this much of the beginning stays in a shortened label

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNSUPPORTED_BINARY = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
}
_UNSUPPORTED_UNARY = {ast.Not: "not", ast.Invert: "~"}

# How to name a forbidden piece of syntax in a message; anything unlisted is named by its
# ast class, which is still rejected: the checks below accept only what they know.
_FORBIDDEN = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Slice: "slicing",
    ast.Lambda: "lambda",
    ast.IfExp: "a conditional expression (if/else)",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.Compare: "a comparison",
    ast.BoolOp: "and/or",
    ast.NamedExpr: "assignment (:=)",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.Starred: "unpacking (*)",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


class ExpressionError(ValueError):
    """An expression or its inputs were rejected; the message is one line.

    Attributes:
        column: 1-based column in the expression text of the offending part (or None).
        snippet: the offending text (or None).
    """

    def __init__(self, problem: str, column: int | None = None, snippet: str | None = None) -> None:
        self.problem = problem
        self.column = column
        self.snippet = snippet
        where = ""
        if column is not None:
            where = f" at column {column}" + (f": {_shorten(snippet)!r}" if snippet else "")
        super().__init__(" ".join(f"{problem}{where}".split()))  # always exactly one line


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its text, the `Value` it computes, and its inputs by name."""

    text: str
    output: Value
    inputs: dict[str, Value]


def parse(text: str, inputs: Mapping[str, float | Value] | None = None) -> Expression:
    """Build the graph of `text` over `inputs` (numbers or `Value`s, by name).

    Numbers become leaf `Value`s labelled with their name; a `Value` is used as it is, so
    gradients land on it. A name used twice is the same leaf (``a*a`` has parents
    ``(a, a)``). The graph is recorded even inside ``no_grad()``.

    >>> e = parse("sigmoid(2*x) - x**2", {"x": 0.0})
    >>> e.output.data
    0.5
    >>> parse("x.__class__", {"x": 1})
    Traceback (most recent call last):
    ...
    micrograd.expression.ExpressionError: attribute access is not allowed at column 1: 'x.__class__'
    """
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be a str, got {type(text).__name__}")
    leaves = _inputs(inputs or {})
    text = _checked_text(text)
    tree = _syntax_tree(text)
    _validate(tree.body, text, leaves)
    with enable_grad():
        output = _Builder(text, leaves).build(tree.body)
    return Expression(text, output, leaves)


# --------------------------------------------------------------------------- inputs and text


def _inputs(inputs: Mapping[str, float | Value]) -> dict[str, Value]:
    if not isinstance(inputs, Mapping):
        raise ExpressionError(f"inputs must map names to numbers, got {type(inputs).__name__}")
    leaves: dict[str, Value] = {}
    for name, value in inputs.items():
        key = _checked_name(name)
        if key in leaves:
            raise ExpressionError(f"input {name!r} is given twice")
        if isinstance(value, Value):
            leaves[key] = value
            continue
        try:
            leaves[key] = Value(value, label=key)
        except (TypeError, ValueError) as error:
            raise ExpressionError(f"input {key!r}: {error}") from None
    return leaves


def read_as(name: str) -> str:
    """A name as the parser reads it: Python compares identifiers in NFKC form, so the
    full-width ``ａ`` is ``a``, the ligature ``ﬁ`` is ``fi`` and ``x₁`` is ``x1``.

    >>> read_as("ﬁt"), read_as("x₁")
    ('fit', 'x1')
    """
    return unicodedata.normalize("NFKC", name)


def _checked_name(name) -> str:
    if not isinstance(name, str):
        raise ExpressionError(f"input names must be str, got {type(name).__name__} {name!r}")
    key = read_as(name)
    if not key.isidentifier() or keyword.iskeyword(key):
        raise ExpressionError(f"input name {name!r} is not a valid name (letters, digits and _, not a Python keyword)")
    if key in FUNCTIONS:
        raise ExpressionError(f"input name {name!r} is taken by the function {key}()")
    return key


def _checked_text(text: str) -> str:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    for i, ch in enumerate(text):
        if ch in "\n\r" or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            raise ExpressionError(f"the expression must be one line of printable text, found {ch!r}", i + 1)
    text = text.strip()
    if not text:
        raise ExpressionError("the expression is empty")
    return text


def _syntax_tree(text: str) -> ast.Expression:
    try:
        with warnings.catch_warnings():  # "invalid escape sequence" and the like: not ours to print
            warnings.simplefilter("ignore")
            return ast.parse(text, mode="eval")
    except SyntaxError as error:
        problem = (error.msg or "invalid syntax").split(" - ")[0]
        column = error.offset if error.offset and error.offset > 0 else None
        snippet = text[column - 1 :] if column else None
        raise ExpressionError(f"cannot parse the expression: {problem}", column, snippet) from None
    except (RecursionError, MemoryError, ValueError) as error:
        raise ExpressionError(f"cannot parse the expression: {type(error).__name__}") from None


# --------------------------------------------------------------------------- the whitelist


def _column(text: str, node: ast.AST) -> int:
    """The 1-based character column of `node` (ast counts UTF-8 bytes)."""
    return len(text.encode("utf-8")[: node.col_offset].decode("utf-8", "ignore")) + 1


def _segment(text: str, node: ast.AST) -> str:
    return ast.get_source_segment(text, node) or ""


def _shorten(snippet: str, width: int = 40) -> str:
    snippet = " ".join(snippet.split())
    return snippet if len(snippet) <= width else snippet[: width - 1] + "…"


def _squeezed(text: str) -> str:
    """`text` with each run of spaces made one (a space at the start is kept, as one)."""
    return (" " if text[:1].isspace() else "") + " ".join(text.split())


def _label_for(text: str, node: ast.AST, width: int = _LABEL_WIDTH) -> str:
    """The text that computes `node`, shortened in the middle to `width` characters if longer.

    What is kept whole is the end that names the value: for ``x op y``, the operator and
    the last operand (``tanh(a*b + c*a) * sig… + a*a*b``: a sum of which ``a*a*b`` is the
    last term), when that leaves room for a beginning; otherwise as much of the end as of
    the beginning (``tanh(a*b + c…b + c*a*b)``).
    """
    full = _squeezed(_segment(text, node))
    if len(full) <= width:
        return full
    if isinstance(node, ast.BinOp):
        # From the end of the left operand: the operator, the right operand, and a ")" that
        # closes a parenthesised left operand (a part of what the top operation is).
        start = len(text.encode("utf-8")[: node.left.end_col_offset].decode("utf-8", "ignore"))
        end = len(text.encode("utf-8")[: node.end_col_offset].decode("utf-8", "ignore"))
        tail = _squeezed(text[start:end])
        if len(tail) <= width - 1 - _LABEL_HEAD:
            return full[: width - 1 - len(tail)].rstrip() + "…" + tail
    head = width // 2
    return full[:head].rstrip() + "…" + full[-(width - 1 - head) :].lstrip()


def _reject(problem: str, text: str, node: ast.AST) -> ExpressionError:
    return ExpressionError(problem, _column(text, node), _segment(text, node))


def _constant_exponent(node: ast.AST) -> float | None:
    """The number an exponent is written as (``2``, ``-0.5``), or None if it is not one."""
    sign = 1
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return sign * node.value
    return None


def _validate(root: ast.AST, text: str, leaves: dict[str, Value]) -> None:
    """Accept only whitelisted syntax, within the size limits; reject the first offence.

    An explicit stack rather than recursion: the tree can be deeper than the limit we
    are about to enforce.
    """
    stack = [(root, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(f"the expression has more than {MAX_NODES} parts; the limit is {MAX_NODES}")
        if depth > MAX_DEPTH:
            raise _reject(f"the expression is nested more than {MAX_DEPTH} operations deep", text, node)
        stack.extend((child, depth + 1) for child in _checked_children(node, text, leaves))


def _checked_children(node: ast.AST, text: str, leaves: dict[str, Value]) -> list[ast.AST]:
    """Check one node; return the sub-expressions still to check."""
    if isinstance(node, ast.Constant):
        _check_constant(node, text)
        return []
    if isinstance(node, ast.Name):
        _check_name(node, text, leaves)
        return []
    if isinstance(node, ast.UnaryOp):
        if type(node.op) in _UNSUPPORTED_UNARY:
            raise _reject(f"operator {_UNSUPPORTED_UNARY[type(node.op)]!r} is not supported", text, node)
        return [node.operand]
    if isinstance(node, ast.BinOp):
        _check_operator(node, text)
        return [node.left, node.right]
    if isinstance(node, ast.Call):
        _check_call(node, text)
        return [node.args[0]]
    what = _FORBIDDEN.get(type(node), type(node).__name__)
    raise _reject(f"{what} is not allowed", text, node)


def _check_constant(node: ast.Constant, text: str) -> None:
    value = node.value
    if type(value) not in (int, float):
        kind = {str: "a string", bytes: "bytes", bool: "True/False", complex: "a complex number"}
        raise _reject(f"{kind.get(type(value), repr(value))} is not allowed, only real numbers", text, node)
    if abs(value) > MAX_CONSTANT:
        raise _reject(f"the number is too large (at most {MAX_CONSTANT:,.0f} in magnitude)", text, node)


def _check_name(node: ast.Name, text: str, leaves: dict[str, Value]) -> None:
    if node.id in leaves:
        return
    if node.id in FUNCTIONS:
        raise _reject(f"{node.id} is a function: call it as {node.id}(...)", text, node)
    given = f"the inputs are {', '.join(leaves)}" if leaves else "no inputs were given"
    raise _reject(f"unknown name {node.id!r} ({given}; give it a value as {node.id}=...)", text, node)


def _check_operator(node: ast.BinOp, text: str) -> None:
    op = type(node.op)
    if op in _UNSUPPORTED_BINARY:
        symbol = _UNSUPPORTED_BINARY[op]
        hint = " (for powers use **)" if symbol == "^" else ""
        raise _reject(f"operator {symbol!r} is not supported, only + - * / **{hint}", text, node)
    if op is ast.Pow:
        exponent = _constant_exponent(node.right)
        if exponent is not None and abs(exponent) > MAX_EXPONENT:
            raise _reject(f"the exponent is too large (at most {MAX_EXPONENT} in magnitude)", text, node.right)


def _check_call(node: ast.Call, text: str) -> None:
    if not isinstance(node.func, ast.Name):
        raise _reject(f"only the functions {', '.join(FUNCTIONS)} can be called", text, node)
    name = node.func.id
    if name not in FUNCTIONS:
        raise _reject(f"unknown function {name!r} (available: {', '.join(FUNCTIONS)})", text, node.func)
    if node.keywords:
        raise _reject(f"{name}() takes no keyword arguments", text, node)
    if len(node.args) != 1:
        raise _reject(f"{name}() takes exactly one argument, got {len(node.args)}", text, node)
    if isinstance(node.args[0], ast.Starred):
        raise _reject("unpacking (*) is not allowed", text, node.args[0])


# --------------------------------------------------------------------------- building the graph


class _Builder:
    """Turns a validated tree into Values; domain errors are reported where they happen."""

    def __init__(self, text: str, leaves: dict[str, Value]) -> None:
        self.text = text
        self.leaves = leaves

    def build(self, node: ast.AST) -> Value:
        # Recursion is safe here: _validate has bounded the depth by MAX_DEPTH.
        constant = _constant_exponent(node)
        if constant is not None:  # a number, signs folded in: -2 is one leaf, not neg(2)
            return Value(constant)
        if isinstance(node, ast.Name):
            return self.leaves[node.id]
        try:
            value = self._operation(node)
        except ExpressionError:
            raise
        except (ValueError, ArithmeticError) as error:
            raise _reject(str(error), self.text, node) from error
        if value.op and not value.label:
            value.label = _label_for(self.text, node)
        return value

    def _operation(self, node: ast.AST) -> Value:
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Call):
            return FUNCTIONS[node.func.id](self.build(node.args[0]))
        assert isinstance(node, ast.BinOp)  # _validate let nothing else through
        left = self.build(node.left)
        op = type(node.op)
        if op is ast.Pow:
            return left ** self._exponent(node.right)
        right = self.build(node.right)
        if op is ast.Add:
            return left + right
        if op is ast.Sub:
            return left - right
        if op is ast.Mult:
            return left * right
        return left / right

    def _exponent(self, node: ast.AST) -> float | int | Value:
        """A written exponent stays a number (``x**2`` is one op with a constant power,
        and works for negative x); a computed one is a Value, bounded like written ones."""
        constant = _constant_exponent(node)
        if constant is not None:
            return int(constant) if float(constant).is_integer() else float(constant)
        exponent = self.build(node)
        if abs(exponent.data) > MAX_EXPONENT:
            raise _reject(
                f"the exponent evaluates to {exponent.data:g}, too large (at most {MAX_EXPONENT} in magnitude)",
                self.text,
                node,
            )
        return exponent
