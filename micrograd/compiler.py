"""Compile a recorded graph to straight-line Python: the forward pass and `backward()` as code.

`compile(f, example_inputs)` runs `f` once on Values, takes the graph it recorded, and
writes it out as one Python function on plain floats: one line per forward op, then one
``g_parent += local * g_child`` line per edge, in `backward()`'s own order. A value used
by several ops visibly receives several ``+=`` lines: the sum over paths, as code.

>>> compiled = compile(lambda a, b: (a * b + a).tanh(), [0.5, -1.0])
>>> print(compiled.source)
def forward_backward(a, b):
    v2 = a * b  # *
    v3 = v2 + a  # +
    v4 = _tanh(v3)  # tanh
    _check = v2 + v3  # inf/nan from any line above shows here
    # backward: one line per edge, in backward()'s order
    g_a = g_b = 0.0
    g_v4 = 1.0
    g_v2 = g_v3 = 0.0
    g_v3 += (1 - v4 * v4) * g_v4
    g_v2 += 1.0 * g_v3
    g_a += 1.0 * g_v3
    g_a += b * g_v2
    g_b += a * g_v2
    return v4, [g_a, g_b], _check
>>> value, grads = compiled(0.5, -1.0)
>>> value, grads
(0.0, [0.0, 0.5])

How each op becomes code comes from the op table itself (`micrograd.engine.Op`), one
place per op: an op's local-derivative rule is plain arithmetic, so evaluating it on
symbols instead of floats writes its code (tanh's ``1 - out * out`` above). An op whose
rules branch on the data gives the same rules as source templates (relu:
``1.0 if x > 0 else 0.0``, so the branch is taken at run time, on the new inputs). Any
other rule (a domain check, a library function) is called by reference, the very function
the engine calls. Numbers are written with `repr`, which reads back to the same float, and
the lines do the engine's arithmetic in the engine's order, so results agree with
`backward()` bit for bit. Nothing from the user reaches the code but identifiers made from
labels (ASCII letters, digits and underscores only): numbers are written by the compiler
(never by a number's own ``repr``), and the comment after a line names one of micrograd's
own ops, or else the op's name made into such an identifier (an op's name may hold a
newline, which would end the comment). An op whose name holds a NUL, or whose source
templates are not one expression each, is refused with a ``ValueError`` naming it.

Errors: the compiled function never returns inf or NaN, and raises where `backward()`
raises. When a line overflows or raises (log of a negative number, division by zero...),
the same graph is replayed on the engine, which raises its own error with its own message.
Edges into constants get no ``+=`` line (nobody reads a constant's gradient), but
`backward()` computes them and raises where one overflows (``x * 1e-300 * 1e200`` at
1e200: the constant 1e-300's gradient is 1e400), so one line adds up a bound on what they
carry; where it is inf the engine is asked too.
"""

from __future__ import annotations

import ast
import builtins
import contextvars
import inspect
import itertools
import keyword
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence

from micrograd.engine import WEIGHTED_SUM, Op, Value, _binary, _checked, _leaf, _unary, _weighted_sum_node
from micrograd.engine import topological_order as _topological_order

__all__ = ["Compiled", "compile"]

_ATOM, _POWER, _UNARY, _PRODUCT, _SUM, _LOWEST = 9, 4, 3, 2, 1, 0  # Python's precedence, tightest first


# --------------------------------------------------------------------------- rules evaluated on symbols


class _DataDependent(TypeError):
    """A rule compared or branched on its arguments: it has no single expression."""


def _arithmetic(symbol: str, prec: int):
    """`code op other` and `other op code` for an infix operator: both write code."""

    def forward(self, other):
        return _infix(symbol, prec, self, other)

    def reflected(self, other):
        return _infix(symbol, prec, other, self)

    return forward, reflected


class _Code:
    """Python source standing for a float, with its precedence. Arithmetic on it writes code,
    so an op's rule evaluated on `_Code`s returns the rule's code."""

    __slots__ = ("depth", "prec", "text")

    def __init__(self, text: str, prec: int = _ATOM, depth: int = 0) -> None:
        self.text = text
        self.prec = prec
        self.depth = depth  # operators nested in `text`: CPython's compiler recurses that deep

    def wrapped(self, need: int) -> str:
        return self.text if self.prec >= need else f"({self.text})"

    __add__, __radd__ = _arithmetic("+", _SUM)
    __sub__, __rsub__ = _arithmetic("-", _SUM)
    __mul__, __rmul__ = _arithmetic("*", _PRODUCT)
    __truediv__, __rtruediv__ = _arithmetic("/", _PRODUCT)
    __pow__, __rpow__ = _arithmetic("**", _POWER)

    def __neg__(self):
        return _spilled(_Code(f"-{self.wrapped(_UNARY)}", _UNARY, self.depth + 1))

    def _data_dependent(self, *_):
        raise _DataDependent("a rule that looks at the data has no single expression")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __bool__ = _data_dependent
    __hash__ = None


def _code(x) -> _Code:
    """`x` as code: a `_Code` itself, or a number written so that it reads back exactly."""
    if isinstance(x, _Code):
        return x
    # The base class's repr, never a subclass's own __repr__: only digits we wrote reach the code.
    if isinstance(x, float) and math.isfinite(x):
        text = float.__repr__(x)
    elif isinstance(x, int) and not isinstance(x, bool) and -(2**64) < x < 2**64:
        text = int.__repr__(x)
    else:  # anything else (a huge int, inf, a str) is left to the rule itself, called by reference
        raise _DataDependent("only finite floats and small ints are written as numbers")
    return _Code(text, _UNARY if text.startswith("-") else _ATOM)


def _infix(symbol: str, prec: int, left, right) -> _Code:
    left, right = _code(left), _code(right)
    if symbol == "**":  # right-associative: (a ** b) ** c needs its parentheses, a ** b ** c not
        text = f"{left.wrapped(prec + 1)} ** {right.wrapped(prec)}"
    else:
        # Left-associative; the right operand keeps its parentheses even for + and *, because
        # float arithmetic is not associative: a + (b + c) is not (a + b) + c.
        text = f"{left.wrapped(prec)} {symbol} {right.wrapped(prec + 1)}"
    return _spilled(_Code(text, prec, max(left.depth, right.depth) + 1))


# Where a long expression (a weighted sum of 784 pixels) goes: into a temporary, written
# before the line that uses it. The arithmetic is the same; CPython's compiler, which
# recurses once per nested operator, only ever sees short expressions.
_MAX_DEPTH = 100
_SPILL: contextvars.ContextVar[tuple[list[str], Iterator[int]] | None] = contextvars.ContextVar("_SPILL", default=None)


def _spilled(code: _Code) -> _Code:
    spill = _SPILL.get()
    if code.depth < _MAX_DEPTH or spill is None:
        return code
    lines, numbers = spill
    name = f"_part{next(numbers)}"
    lines.append(f"{name} = {code.text}")
    return _Code(name)


def _symbolic(rule: Callable, *args):
    """The rule evaluated on code, or None if it needs real numbers (a branch, math.tanh)."""
    try:
        return rule(*args)
    except TypeError:
        return None


# --------------------------------------------------------------------------- names


_HELPER = re.compile(r"[^0-9A-Za-z]+")
_SYMBOL_WORDS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}


def _identifier(label: str) -> str | None:
    """A label as a safe Python identifier (ASCII letters, digits, underscores), or None.

    Names starting with ``g_`` and ``d_`` are kept for gradients and local derivatives,
    and names starting with ``_`` for the compiler's own helpers.
    """
    text = re.sub(r"[^0-9A-Za-z_]+", "_", label).strip("_")
    if not text or text[0].isdigit():
        return None
    if keyword.iskeyword(text):
        return text + "_"
    return "v_" + text if text.startswith(("g_", "d_")) else text


def _op_word(op: Op) -> str:
    """The op's name as an ASCII identifier-like word (``_tanh`` calls it ``tanh``)."""
    return _SYMBOL_WORDS.get(op) or _HELPER.sub("_", op.replace("**", "pow").replace("-", "m")).strip("_") or "op"


def _comment(op: Op) -> str:
    """What the comment after an op's line says: the name of one of micrograd's own ops,
    else the op's name made into a word (ASCII letters, digits, underscores), never the
    name itself: a user's op name with a newline in it would end the comment and run."""
    name = str(op)
    if op._rebuild is not None and name.isprintable():  # the engine's own table (and its ** ops)
        return name
    return f"op {_op_word(op)}"


def _checked_op(op: Op, arity: int) -> None:
    """Refuse, naming the op, what generated code could not hold: a NUL in its name, or
    source templates (`Op.code`) that are not one expression each."""
    if "\0" in op:
        raise ValueError(f"compile: the op {str(op)!r} has a NUL character in its name; name it without one")
    if op.code is not None:
        templates = [op.code[0], *op.code[1]]
        for template in templates:
            try:
                text = template.format(*(f"_a{i}" for i in range(arity)))
                if "\n" in text or "\r" in text or "\0" in text:
                    raise SyntaxError("more than one line")
                ast.parse(text, mode="eval")
            except (SyntaxError, ValueError, IndexError, KeyError, AttributeError, TypeError) as error:
                raise ValueError(
                    f"compile: the op {str(op)!r} has a source template that is not one Python expression "
                    f"on one line ({template!r}: {error})"
                ) from None


class _Writer:
    """Writes the lines of a program over recorded graphs, naming every value once.

    Values are named as the drawings number them (``v0``, ``v1``… in topological order),
    or by their label made into an identifier.
    """

    def __init__(self, order: Sequence[Value], inputs: Iterable[Value], wrt: Iterable[Value]) -> None:
        self.inputs = set(inputs)
        self.wrt = list(wrt)
        self.names: dict[Value, str] = {}
        taken: set[str] = set()
        for i, node in enumerate(order):
            base = _identifier(node.label) or f"v{i}"
            name, k = base, 2
            while name in taken:
                name, k = f"{base}_{k}", k + 1
            taken.add(name)
            self.names[node] = name
        self.code: dict[Value, _Code] = {}  # how later lines refer to each value
        self.helpers: dict[str, Callable] = {}  # name in the generated code -> function
        self.runtime_max: dict[Value, list[Value]] = {}  # a constant computed as max(...) at run time
        self.reaches_wrt: dict[Value, bool] = {}
        self.checked: list[str] = []  # values from inline arithmetic, which may overflow silently
        self.parts = itertools.count(1)  # numbers the temporaries of long expressions
        # Terms bounding what backward() adds into constants (None: not asked for).
        self.constant_edges: list[str] | None = None
        self.amplification: dict[Value, float] = {}
        self.invariant: set[str] = set()  # names whose values never change in a loop (a batch's parameters)
        self.hoisted: list[str] | None = None  # bounds computed once, before the loop, from `invariant` alone

    def helper(self, function: Callable, op: Op, kind: str) -> str:
        """The name under which generated code calls `function` (an op's own rule)."""
        stem = f"_{_op_word(op)}{kind}"
        name, k = stem, 2
        while self.helpers.get(name, function) is not function:
            name, k = f"{stem}{k}", k + 1
        self.helpers[name] = function
        return name

    # -- forward

    def forward(self, order: Sequence[Value], lines: list[str], indent: str) -> None:
        """One line per op of `order` not written yet (constants are written inline)."""
        for node in order:  # a run-time constant's values are written before (a model's outputs)
            if node in self.code:
                continue
            name = self.names[node]
            if node.is_leaf():
                if node in self.runtime_max:
                    sources = ", ".join(self.code[z].text for z in self.runtime_max[node])
                    self.helpers["_max"] = max
                    lines.append(f"{indent}{name} = _max({sources})  # a constant, computed on the data")
                    self.code[node] = _Code(name)
                elif node in self.inputs:
                    self.code[node] = _Code(name)
                else:
                    self.code[node] = _code(node.data)
                continue
            op = node.op
            _checked_op(op, len(node.parents))
            args = [self.code[p] for p in node.parents]
            if op.code is not None:
                text = op.code[0].format(*(a.wrapped(_ATOM) for a in args))
            else:
                result = self._symbolic(op.forward, args, lines, indent)
                if result is None:
                    text = f"{self.helper(op.forward, op, '')}({', '.join(a.text for a in args)})"
                else:
                    text = _code(result).text
                    self.checked.append(name)
            lines.append(f"{indent}{name} = {text}  # {_comment(op)}")
            self.code[node] = _Code(name)

    # -- backward

    def needs_grad(self, order: Sequence[Value]) -> None:
        wrt = set(self.wrt)
        for node in order:
            if node not in self.reaches_wrt:
                self.reaches_wrt[node] = node in wrt or any(self.reaches_wrt[p] for p in node.parents)

    def backward(self, order: Sequence[Value], seed: str, lines: list[str], indent: str) -> None:
        """`backward()` of `order[-1]` as lines: the seed, zeroed interior grads, one line per edge.

        Edges into values no input depends on (constants) are left out: their grads are
        never read. But backward() computes them, and raises where one overflows (a
        local derivative, or a gradient reaching a constant); with `constant_edges` set,
        a bound on each such edge's contribution is collected there (see `_amplification`).
        The grads of `wrt` are accumulated, as leaves accumulate in backward().
        """
        self.needs_grad(order)
        root = order[-1]
        wrt = set(self.wrt)
        g = {node: "g_" + self.names[node] for node in order if self.reaches_wrt[node]}
        if root not in g:
            return
        lines.append(f"{indent}{g[root]} = {seed}")
        lines += _zeroed([node for node in order if node in g and node is not root and node not in wrt], self, indent)
        for node in reversed(order):
            if node.is_leaf() or node not in g:
                continue
            locals_ = self._locals(node, lines, indent)
            edges = [(g[parent], local) for parent, local in zip(node.parents, locals_) if parent in g]
            if self.constant_edges is not None:
                self._bound_constant_edges(node, locals_, g[node], g)
            inner = indent
            if len(edges) > 2:  # a neuron's z: skipped when its grad is 0, as backward() skips it
                lines.append(f"{indent}if {g[node]}:")
                inner = indent + "    "
            lines += [f"{inner}{grad} += {local.wrapped(_ATOM)} * {g[node]}" for grad, local in edges]

    def _bound_constant_edges(self, node: Value, locals_: list[_Code], grad: str, g: dict) -> None:
        """A term no smaller than what `node`'s edges into constants add to any constant's grad.

        |local| * |grad| on the edge, times how much the constant's own graph can multiply
        it on the way to its leaves (at least 1: the constant's grad itself), written as
        ``bound * grad * grad``: never smaller where it matters (an overflow needs |grad|
        near 1 or above) and never negative, so terms cannot cancel. An overflowing or NaN
        local derivative makes the term inf or NaN too. Never written as a ``+=`` line:
        these edges carry no gradient anyone reads; the term only tells when to let the
        engine say what overflowed.
        """
        factors = []
        for parent, local in zip(node.parents, locals_):
            if parent in g:
                continue
            a = _amplification(parent, self.amplification)
            factor = f"_abs({local.text})"
            if a != 1.0:
                factor = f"{_code(a).text if math.isfinite(a) else '_inf'} * {factor}"
            factors.append(factor)
        if factors:
            self.helpers["_abs"] = abs
            self.helpers["_inf"] = math.inf
            bound = factors[0] if len(factors) == 1 else f"({' + '.join(factors)})"
            if self.hoisted is not None and all(
                local.text in self.invariant or _is_number(local.text)
                for parent, local in zip(node.parents, locals_)
                if parent not in g
            ):  # a neuron's edges into the pixels: their locals are its weights, fixed for a whole batch
                line = next((line for line in self.hoisted if line.endswith(f" = {bound}")), None)
                if line is None:
                    line = f"_bound{len(self.hoisted) + 1} = {bound}"
                    self.hoisted.append(line)
                bound = line.split(" = ", 1)[0]
            # |local| * |grad| is no larger than bound * grad * grad once |grad| >= 1, and below 1
            # neither can overflow with a finite bound: the same alarm without another call.
            self.constant_edges.append(f"{bound} * {grad} * {grad}")

    def _locals(self, node: Value, lines: list[str], indent: str) -> list[_Code]:
        op = node.op
        out = self.code[node]
        args = [self.code[p] for p in node.parents]
        if op.code is not None:
            return [_Code(t.format(*(a.wrapped(_ATOM) for a in args)), _LOWEST) for t in op.code[1]]
        rule = self._symbolic(op.local, [out, *args], lines, indent)
        if rule is not None:
            return [_code(x) for x in rule]
        name = "d_" + self.names[node]
        call = f"{self.helper(op.local, op, '_local')}({', '.join(a.text for a in (out, *args))})"
        lines.append(f"{indent}{name} = {call}")
        return [_Code(f"{name}[{i}]") for i in range(len(args))]

    def _symbolic(self, rule: Callable, args: list[_Code], lines: list[str], indent: str):
        """`rule` on code; the temporaries of long expressions are written to `lines` first."""
        spilled: list[str] = []
        token = _SPILL.set((spilled, self.parts))
        try:
            result = _symbolic(rule, *args)
        finally:
            _SPILL.reset(token)
        if result is not None:
            lines += [indent + line for line in spilled]
        return result

    def check_lines(
        self, indent: str, target: str = "_check", op: str = "=", why: str = "inf/nan from any line above shows here"
    ) -> list[str]:
        """`target` = the sum of the values from inline arithmetic: inf or NaN if any of them is."""
        terms = self.checked or ["0.0"]
        lines = []
        for k in range(0, len(terms), 50):  # short lines keep the expressions shallow
            lines.append(f"{indent}{target} {op if k == 0 else '+='} {' + '.join(terms[k : k + 50])}")
        lines[0] += f"  # {why}"
        return lines


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _constant_edge_lines(terms: list[str], indent: str) -> list[str]:
    """``_check = _check + 2.0 * (...)``: the bounds on the edges into constants, 20 a line.
    2.0: room for rounding (a false alarm only asks the engine, which then says it is fine)."""
    lines = []
    for k in range(0, len(terms), 20):
        why = "  # and from the edges into constants, as backward() checks them" if k == 0 else ""
        lines.append(f"{indent}_check = _check + 2.0 * ({' + '.join(terms[k : k + 20])}){why}")
    return lines


def _amplification(node: Value, known: dict[Value, float]) -> float:
    """For a constant `node`: at least 1, and no less than the factor by which backward()'s
    sweep through the constant's own graph can multiply a gradient reaching it, on the way
    to any value in that graph (the sum over paths of the product of |local derivative|)."""
    order = [n for n in _topological_order(node) if n not in known]
    for n in order:  # parents first
        total = 0.0
        for parent, local in zip(n.parents, n.local_grads):
            total += abs(local) * known[parent]
        known[n] = max(1.0, total)
    return known[node]


def _zeroed(nodes: Sequence[Value], writer: _Writer, indent: str) -> list[str]:
    """``g_a = g_b = ... = 0.0`` for `nodes`, eight names a line (long graphs stay readable)."""
    names = ["g_" + writer.names[node] for node in nodes]
    return [f"{indent}{' = '.join(names[k : k + 8])} = 0.0" for k in range(0, len(names), 8)]


def _build(lines: list[str], helpers: dict[str, Callable], name: str) -> tuple[str, Callable]:
    source = "\n".join(lines)
    namespace = dict(helpers)
    exec(builtins.compile(source, f"<micrograd.compile {name}>", "exec"), namespace)  # our own lines only
    return source, namespace[name]


# --------------------------------------------------------------------------- replay on the engine


def _structure(order: Sequence[Value], inputs: Sequence[Value]) -> list:
    """The graph as data: per value, its op and parents' positions (or a constant's number)."""
    position = {node: i for i, node in enumerate(order)}
    where = {x: k for k, x in enumerate(inputs)}
    shape = []
    for node in order:
        if node in where:
            shape.append(("input", where[node]))
        elif node.is_leaf():
            shape.append(("constant", node.data))
        else:
            shape.append((node.op, tuple(position[p] for p in node.parents)))
    return shape


def _replay(structure: list, xs: Sequence[float]) -> tuple[Value, list[Value]]:
    """Build the recorded graph again on the engine, at new inputs: the engine's checks and messages."""
    inputs: list[Value] = [_leaf(x) for x in xs]
    return _rebuild(structure, inputs), inputs


def _rebuild(structure: list, inputs: Sequence[Value]) -> Value:
    """The graph `_structure` recorded, built again on the engine over these input Values."""
    nodes: list[Value] = []
    for op, how in structure:
        if op == "input":
            nodes.append(inputs[how])
        elif op == "constant":
            nodes.append(_leaf(how))
        else:
            parents = [nodes[i] for i in how]
            if op is WEIGHTED_SUM:
                n = len(parents) >> 1
                xs_ = parents[n:-1]
                nodes.append(_weighted_sum_node(parents[:n], xs_, parents[-1], [x.data for x in xs_]))
            elif len(parents) == 1:
                nodes.append(_unary(op, parents[0]))
            else:
                nodes.append(_binary(op, *parents))
    return nodes[-1]


# --------------------------------------------------------------------------- compile


class Compiled:
    """A graph recorded once, as a Python function of floats. Call it: ``value, grads = compiled(*xs)``.

    Attributes:
        source: the generated code (forward lines, then one line per edge).
        input_names: the names of its inputs in `source`.
    """

    def __init__(self, source: str, function: Callable, input_names: list[str], structure: list) -> None:
        self.source = source
        self.input_names = input_names
        self._function = function
        self._structure = structure

    def __call__(self, *xs: float) -> tuple[float, list[float]]:
        """The output and one gradient per input, at `xs` (numbers, one per input)."""
        if len(xs) != len(self.input_names):
            raise TypeError(f"the compiled function takes {len(self.input_names)} inputs, got {len(xs)}")
        xs = [x if type(x) is float and math.isfinite(x) else _checked(x) for x in xs]
        try:
            value, grads, check = self._function(*xs)
            if math.isfinite(check) and math.isfinite(value) and all(map(math.isfinite, grads)):
                return value, grads
        except (ArithmeticError, ValueError):
            pass
        # Something overflowed or left its domain: the engine says what, in its own words.
        root, inputs = _replay(self._structure, xs)
        root.backward()  # raises GradientOverflowError, naming the edge, where a sum overflows
        return root.data, [x.grad for x in inputs]

    def __repr__(self) -> str:
        lines = self.source.count("\n")
        return f"Compiled({', '.join(self.input_names)}: {lines} lines)"


def _input_names(f: Callable, n: int) -> list[str]:
    """Labels for the traced inputs: f's own parameter names where it has them, else x0, x1…"""
    try:
        params = [
            p.name
            for p in inspect.signature(f).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    return params[:n] if len(params) >= n else [f"x{i}" for i in range(n)]


def _trace(f: Callable, xs: Sequence[float], labels: Sequence[str]) -> tuple[Value, list[Value]]:
    inputs = [Value(x, label=label) for x, label in zip(xs, labels)]
    out = f(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"compile: f must return a Value, got {type(out).__name__} {out!r}")
    return out, inputs


def _nearby(x: float) -> float:
    return x + (abs(x) + 1.0) * 2.0**-12


def compile(f: Callable[..., Value], example_inputs: Iterable[float]) -> Compiled:
    """Record `f` once at `example_inputs` and return it as straight-line Python.

    `f` takes one `Value` per input and returns a `Value` (as `gradcheck` takes). The result
    is called with floats and returns ``(value, grads)``: f's output and one gradient per
    input, equal to what `backward()` gives, bit for bit, with no `Value` created.

    The graph is recorded once, so it must not depend on the data: relu and abs branch at
    run time, but a Python ``if`` on ``.data``, or a number read from ``.data`` and used as
    a constant, is fixed at the example inputs. `compile` records f a second time at
    nearby inputs and raises ``ValueError`` if the two graphs differ (a branch that both
    points take the same way cannot be seen, as in any tracing compiler).

    >>> square = compile(lambda x: x * x, [3.0])
    >>> square(4.0)
    (16.0, [8.0])
    """
    xs = [_checked(x) for x in example_inputs]
    if not xs:
        raise ValueError("compile: example_inputs is empty; f needs at least one input")
    labels = _input_names(f, len(xs))
    root, inputs = _trace(f, xs, labels)
    order = _topological_order(root)
    structure = _structure(order, inputs)
    _check_data_independent(f, xs, labels, structure)

    recorded = set(order)
    writer = _Writer(order + [x for x in inputs if x not in recorded], inputs, inputs)  # unused inputs too
    writer.constant_edges = []  # backward() computes the constants' grads too, and raises where they overflow
    names = [writer.names[x] for x in inputs]
    lines = [f"def forward_backward({', '.join(names)}):"]
    writer.forward(order, lines, "    ")
    lines += writer.check_lines("    ")
    writer.needs_grad(order)
    lines.append("    # backward: one line per edge, in backward()'s order")
    lines += _zeroed([x for x in inputs if writer.reaches_wrt.get(x)], writer, "    ")
    writer.backward(order, "1.0", lines, "    ")
    lines += _constant_edge_lines(writer.constant_edges, "    ")
    grads = ", ".join("g_" + name if writer.reaches_wrt.get(x) else "0.0" for x, name in zip(inputs, names))
    lines.append(f"    return {writer.code[root].text}, [{grads}], _check")
    source, function = _build(lines, writer.helpers, "forward_backward")
    return Compiled(source, function, names, structure)


def _check_data_independent(f: Callable, xs: list[float], labels: list[str], structure: list) -> None:
    try:
        root, inputs = _trace(f, [_nearby(x) for x in xs], labels)
    except (ArithmeticError, ValueError):
        return  # f is not defined nearby (a domain edge): nothing to compare
    other = _structure(_topological_order(root), inputs)
    if other == structure:
        return
    k = next((i for i, (here, there) in enumerate(zip(structure, other)) if here != there), len(structure))
    raise ValueError(
        f"compile: the graph f records depends on its inputs' values (value v{k} of the graph differs "
        "between the example inputs and nearby ones): a Python branch on .data, or a number read "
        "from .data, is fixed when the graph is recorded. Use ops that branch at run time "
        "(relu, abs), or compile for each case."
    )


# --------------------------------------------------------------------------- a model's training step


class TrainingProgram:
    """A model's forward, per-sample loss and backward, compiled once for a whole batch.

    Called as ``program(params, batch, seed)`` with the parameters' data, a list of
    ``(x, label)`` pairs and the gradient of the loss with respect to each sample's term
    (``1 / len(batch)`` for a mean). It loops over the samples in the compiled code and
    returns ``(terms, outputs, grads, check)``: each sample's loss term, each sample's
    model output (a float, or a tuple per class), the parameters' gradients accumulated
    over the batch in `backward()`'s order, and a number that is inf or NaN if anything
    overflowed (then the caller runs the step on the engine instead, for its error).

    The loss's graph depends on the label (hinge multiplies by it, cross-entropy picks the
    label's logit), so the code has one block per label value, each recorded once.

    `backward()` also sends gradients into the pixels and the loss's constants, and raises
    where one overflows; those edges get no lines here, but `check` includes a bound on
    each (a neuron's is its weights' sizes, computed once per batch, times its gradient),
    so the step then goes to the engine too and raises the engine's error.
    """

    def __init__(self, source: str, function: Callable) -> None:
        self.source = source
        self._function = function

    def __call__(self, params: Sequence[float], batch: Sequence[tuple[Sequence[float], int]], seed: float):
        return self._function(params, batch, seed)

    def __repr__(self) -> str:
        return f"TrainingProgram({self.source.count(chr(10)) + 1} lines)"


def compile_training(model: Callable, loss: str, example: Sequence[float], labels: Iterable[int]) -> TrainingProgram:
    """Compile `model` with the "hinge" or "cross_entropy" loss for samples like `example`.

    `labels` are the label values the batches will hold (-1/+1 for hinge, class indices for
    cross-entropy). The model's graph must not depend on the data (an `MLP`'s does not):
    it is recorded at `example` and at a nearby point, and a difference is a ``ValueError``.
    """
    from micrograd import losses  # a layer above the engine, as this function is

    if loss not in ("hinge", "cross_entropy"):
        raise ValueError(f"compile=True supports the 'hinge' and 'cross_entropy' losses, not {loss!r}")
    params = list(model.parameters())
    xs = [Value(_checked(v), label=f"x{i}") for i, v in enumerate(example)]
    out = model(xs)
    row = [out] if isinstance(out, Value) else list(out)
    _check_model_data_independent(model, example, params, xs, row)

    writer_order: list[Value] = list(params)
    network = _joint_order(row)
    tails: dict[int, list[Value]] = {}
    runtime_max: dict[Value, list[Value]] = {}
    for label in sorted(set(labels), key=repr):
        if loss == "hinge":
            if isinstance(label, bool) or label not in (-1, 1):
                raise ValueError(f"hinge needs labels -1 or +1, got {label!r}")
            label = -1 if label == -1 else 1  # written into the code as our own int, never repr(label)
            term = losses._hinge_term(row[0], label)
        else:
            label = losses.class_index(label, len(row), 0)
            shift = Value(0.0, label="shift")
            runtime_max[shift] = row
            term = losses._cross_entropy_term(row, label, shift)
        tails[label] = _topological_order(term)
    seen = set(writer_order)
    for order in [network, *tails.values()]:
        for node in order:
            if node not in seen:
                seen.add(node)
                writer_order.append(node)

    writer = _Writer(writer_order, [*params, *xs], params)
    writer.runtime_max = runtime_max
    writer.code.update({p: _Code(writer.names[p]) for p in params})
    names = [writer.names[p] for p in params]
    writer.invariant = set(names)
    writer.hoisted = []
    lines = ["def train_batch(_params, _batch, _seed):", f"    {', '.join(names)}, = _params"]
    lines += _zeroed(params, writer, "    ")
    lines += ["    _terms = []", "    _outputs = []", "    _check = 0.0"]
    loop = len(lines)  # the bounds on the edges into the pixels go here, once per batch
    lines.append("    for _x, _y in _batch:")
    lines.append(f"        {', '.join(writer.names[x] for x in xs)}, = _x")
    writer.forward(network, lines, "        ")
    outputs = [writer.code[z].text for z in row]
    shown = outputs[0] if isinstance(out, Value) else f"({', '.join(outputs)},)"
    lines.append(f"        _outputs.append({shown})")
    lines += writer.check_lines("        ", op="+=")
    for k, (label, order) in enumerate(tails.items()):
        lines.append(f"        {'if' if k == 0 else 'elif'} _y == {int.__repr__(label)}:")
        writer.checked = []
        writer.forward(order, lines, "            ")
        lines += writer.check_lines("            ", op="+=")
        writer.constant_edges = []  # backward() reaches the pixels and the loss's constants too
        writer.backward(order, "_seed", lines, "            ")
        lines += _constant_edge_lines(writer.constant_edges, "            ")
        lines.append(f"            _terms.append({writer.code[order[-1]].text})")
    lines += ["        else:", "            raise _unknown_label(_y)"]
    grads = ", ".join("g_" + name if writer.reaches_wrt.get(p) else "0.0" for p, name in zip(params, names))
    lines.append(f"    return _terms, _outputs, [{grads}], _check")
    lines[loop:loop] = ["    " + line for line in writer.hoisted]
    writer.helpers["_unknown_label"] = lambda y: ValueError(f"label {y!r} was not among the labels compiled for")
    source, function = _build(lines, writer.helpers, "train_batch")
    return TrainingProgram(source, function)


def _joint_order(outputs: Sequence[Value]) -> list[Value]:
    """Every value the outputs depend on, each after its parents (one topological order)."""
    order: list[Value] = []
    seen: set[Value] = set()
    for z in outputs:
        for node in _topological_order(z):
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


def _check_model_data_independent(model, example, params, xs, row) -> None:
    nearby = [Value(_nearby(_checked(v))) for v in example]
    try:
        out = model(nearby)
    except (ArithmeticError, ValueError):
        return  # the model is not defined nearby (it overflows there): nothing to compare, as in compile()
    other = [out] if isinstance(out, Value) else list(out)
    here = _structure(_joint_order(row), [*params, *xs])
    there = _structure(_joint_order(other), [*params, *nearby])
    if here != there:
        raise ValueError(
            "compile: the model's graph depends on its inputs' values; compile=True needs a model "
            "whose graph is the same for every input (as an MLP's is)"
        )
