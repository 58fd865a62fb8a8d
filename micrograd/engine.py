"""The scalar autograd engine: `Value`, its operations, and `backward()`.

Every `Value` made by an operation records its parents and the local derivative of
itself with respect to each parent, evaluated at the forward pass. `backward()` walks
the graph from the output towards the leaves and adds ``local * out.grad`` into every
parent, so a value reached along several paths receives the sum over all of them.

Each operation is one `Op`: its name, its forward function on floats and its local
derivatives, side by side in the table below. The local-derivative rules use plain
arithmetic, so the same rule evaluated on `Value`s instead of floats builds the graph of
the derivative (used by `micrograd.grad(..., create_graph=True)`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache, reduce
from operator import add, attrgetter, mul

from micrograd._errors import GradientOverflowError, _brief, _edge_overflow, _reverse_overflow, _shown

__all__ = [
    "GradientOverflowError",
    "Op",
    "Value",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
    "weighted_sum",
]


# --------------------------------------------------------------------------- grad mode

# A context variable, not a thread-local: every thread AND every asyncio task has its own
# mode, so a task awaiting inside no_grad() never switches recording off for another.
_recording: ContextVar[bool] = ContextVar("micrograd_grad_enabled", default=True)
_grad_enabled = _recording.get  # called once per op: a bound C method is the fastest read


@contextmanager
def _grad_recording(enabled: bool) -> Iterator[None]:
    token = _recording.set(enabled)
    try:
        yield
    finally:
        _recording.reset(token)


def enable_grad():
    """Within this block operations record their parents again, even inside `no_grad()`."""
    return _grad_recording(True)


def no_grad():
    """Within this block operations record no parents (results are parentless leaves).

    Use it to evaluate a model without building a graph, e.g. to draw a decision
    boundary. It affects only the thread, or the asyncio task, that enters it (the mode
    is a `contextvars.ContextVar`).

    >>> with no_grad():
    ...     y = Value(2.0) * 3
    >>> y.parents
    ()
    """
    return _grad_recording(False)


def is_grad_enabled() -> bool:
    """True unless the current thread or task is inside `no_grad()`."""
    return _grad_enabled()


# --------------------------------------------------------------------------- operations


class Op(str):
    """An operation: its name (it *is* that string, so ``node.op == "*"`` holds), the
    forward function on floats, and ``local(out, *args)`` returning the local derivative
    of the result with respect to each argument.

    ``local`` is written with plain arithmetic so that it works on floats (the ordinary
    forward pass) and on `Value`s (derivatives of derivatives).

    ``code``, for an op whose rules branch on the data (relu), is the same forward and
    local rules as Python source templates (``{0}``, ``{1}``… the arguments), so that
    `micrograd.compile` can write them inline. Ops without it are compiled by evaluating
    their rules on symbols (plain arithmetic) or, failing that, by calling them.
    """

    forward: Callable[..., float]
    local: Callable[..., tuple]
    kink: float | None  # where the local derivative jumps (relu, abs: at 0), if anywhere
    code: tuple[str, tuple[str, ...]] | None
    _rebuild: tuple | None = None  # (function, args) that give this op back: how it pickles

    def __reduce__(self):
        # By name, never by its functions (lambdas do not pickle): unpickling gives back
        # the engine's own op, so `node.op is MUL` still holds.
        if self._rebuild is None:
            raise TypeError(f"cannot pickle the op {str(self)!r}: only micrograd's own ops pickle (by name)")
        return self._rebuild

    def __new__(
        cls,
        name: str,
        forward: Callable[..., float],
        local: Callable[..., tuple],
        kink: float | None = None,
        code: tuple[str, tuple[str, ...]] | None = None,
    ) -> Op:
        op = super().__new__(cls, name)
        op.forward = forward
        op.local = local
        op.kink = kink
        op.code = code
        return op

    def __call__(self, *args) -> Value:
        """Apply this op to one or two arguments (numbers become leaves): how a new op is used.

        >>> cube = Op("cube", lambda x: x**3, lambda out, x: (3 * x * x,))
        >>> x = Value(2.0)
        >>> y = cube(x)
        >>> y.backward()
        >>> y.data, x.grad
        (8.0, 12.0)
        """
        if len(args) == 1:
            return _unary(self, _lift_or_raise(args[0]))
        if len(args) == 2:
            return _binary(self, _lift_or_raise(args[0]), _lift_or_raise(args[1]))
        raise TypeError(f"op {str(self)!r} takes one or two arguments, got {len(args)}")


def _number(x) -> float:
    """The float inside `x`, whether `x` is a float or a `Value` (rules run on both)."""
    return x.data if type(x) is Value else x


def _domain_error(op: str, *args: float, why: str) -> ValueError:
    return ValueError(f"{op}({_shown(args)}): {why}")


def _log(x: float) -> float:
    if x <= 0:
        raise _domain_error("log", x, why="log is defined only for positive numbers")
    return math.log(x)


def _log1p(x: float) -> float:
    if x <= -1:
        raise _domain_error("log1p", x, why="log1p is defined only above -1")
    return math.log1p(x)


def _exp(x: float, name: str = "exp", exp: Callable[[float], float] = math.exp) -> float:
    try:
        return exp(x)
    except OverflowError:
        raise OverflowError(f"{name}({x!r}) overflows a float (the largest is about {name}(709.78))") from None


def _expm1(x: float) -> float:
    return _exp(x, "expm1", math.expm1)


def _sqrt(x: float) -> float:
    if x < 0:
        raise _domain_error("sqrt", x, why="sqrt of a negative number is not real")
    return math.sqrt(x)


def _sqrt_local(out, x) -> tuple:
    if _number(out) == 0:
        raise _domain_error("sqrt", 0.0, why="the derivative is infinite at 0")
    return (0.5 / out,)


def _sigmoid(x: float) -> float:
    # Two branches so that exp() is only ever taken of a non-positive number: no overflow.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _relu(x: float) -> float:
    # x > 0 is False for NaN too: a NaN written into .data is passed on (to be reported), not made 0.
    return x if x > 0 else 0.0 if x <= 0 else x


def _div(a: float, b: float) -> float:
    if b == 0:
        raise ZeroDivisionError(f"/({_shown((a, b))}): division by zero")
    return a / b


def _power(base: float, exponent: float) -> float:
    """base ** exponent on floats, refusing what has no real finite answer."""
    if base != base or exponent != exponent:  # NaN written into .data: nan ** 0 would be 1.0
        return math.nan
    if base == 0 and exponent < 0:
        raise ZeroDivisionError(f"**({_shown((base, exponent))}): 0 cannot be raised to a negative power")
    if base < 0 and exponent != int(exponent):
        raise _domain_error("**", base, exponent, why="a negative base needs an integer exponent")
    try:
        return float(base**exponent)
    except OverflowError:
        raise OverflowError(f"**({_shown((base, exponent))}) overflows a float") from None


# Beyond 2**53 a float holds neither every integer nor its parity: (-1.0) ** (2**53 + 1)
# would come out +1, and the derivative's n - 1 would round back to n.
EXACT_INTEGERS = 2**53


@lru_cache(maxsize=256)
def power_op(exponent: float) -> Op:
    """The op ``x ** exponent`` for a constant exponent, named like micrograd's (``**2``).

    An integer exponent must be below 2**53 in magnitude, where floats hold every integer
    (and so its parity, and n - 1 for the derivative); larger ones are a ``ValueError``.
    """
    if exponent == int(exponent) and abs(exponent) >= EXACT_INTEGERS:
        raise ValueError(
            f"**{_brief(exponent)}: an integer exponent must be below 2**53 in magnitude; "
            "beyond that a float cannot hold its parity (the sign of a negative base's power) or n - 1"
        )

    def local(out, x):
        if exponent == 0:
            return (0.0,)
        if exponent < 1 and _number(x) == 0:
            raise _domain_error(f"**{exponent}", 0.0, why="the derivative is infinite at 0")
        return (exponent * x ** (exponent - 1),)

    op = Op(f"**{exponent}", lambda x: _power(x, exponent), local)
    op._rebuild = (power_op, (exponent,))
    return op


@lru_cache(maxsize=256)
def exponential_op(base: float) -> Op:
    """The op ``base ** x`` for a constant base (``2 ** v``), named ``2**``.

    The base is part of the op, not a leaf: its derivative (which can overflow where the
    result does not, as in ``2 ** Value(1023.9)``) is never needed.
    """

    def local(out, x):
        # d(b**x)/dx = b**x log b; at b = 0 the result is 0 (x > 0) and so is its slope.
        return (out * math.log(base),) if base else (0.0,)

    name = int(base) if base.is_integer() and abs(base) < EXACT_INTEGERS else base
    op = Op(f"{name}**", lambda x: _value_power(base, x), local)
    op._rebuild = (exponential_op, (base,))
    return op


def _value_power_local(out, base, exponent) -> tuple:
    # d(b**e)/db = e * b**(e-1); d(b**e)/de = b**e * log(b), which tends to 0 as b -> 0+.
    if _number(base) == 0:
        if _number(exponent) < 1:
            raise _domain_error("**", 0.0, _number(exponent), why="the derivative is infinite at base 0")
        return (exponent * base ** (exponent - 1), 0.0)
    log_base = base.log() if type(base) is Value else math.log(base)
    return (exponent * base ** (exponent - 1), out * log_base)


def _value_power(base: float, exponent: float) -> float:
    if base < 0:
        raise _domain_error("**", base, exponent, why="a negative base needs a constant integer exponent")
    return _power(base, exponent)


def _dot_plus(weights, inputs, bias: float) -> float:
    # Added left to right starting from the bias: the order of micrograd's sum(w*x, b), so
    # results agree with micrograd bit for bit.
    return reduce(add, map(mul, weights, inputs), bias)


def _weighted_sum(*args: float) -> float:
    n = len(args) >> 1  # args = (w_1..w_n, x_1..x_n, b)
    return _dot_plus(args[:n], args[n:-1], args[-1])


def _weighted_sum_local(out, *args) -> tuple:
    n = len(args) >> 1
    return (*args[n:-1], *args[:n], 1.0)  # dz/dw_i = x_i, dz/dx_i = w_i, dz/db = 1


# Kinks follow PyTorch: relu'(0) = 0 and abs'(0) = 0.
ADD = Op("+", add, lambda out, a, b: (1.0, 1.0))
SUB = Op("-", lambda a, b: a - b, lambda out, a, b: (1.0, -1.0))
MUL = Op("*", mul, lambda out, a, b: (b, a))
DIV = Op("/", _div, lambda out, a, b: (1 / b, -out / b))
NEG = Op("neg", lambda x: -x, lambda out, x: (-1.0,))
POW = Op("**", _value_power, _value_power_local)
EXP = Op("exp", _exp, lambda out, x: (out,))
LOG = Op("log", _log, lambda out, x: (1 / x,))
LOG1P = Op("log1p", _log1p, lambda out, x: (1 / (1 + x),))  # log(1 + x), exact for tiny x
EXPM1 = Op("expm1", _expm1, lambda out, x: (out + 1,))  # exp(x) - 1, exact for tiny x
SQRT = Op("sqrt", _sqrt, _sqrt_local)
TANH = Op("tanh", math.tanh, lambda out, x: (1 - out * out,))
SIGMOID = Op("sigmoid", _sigmoid, lambda out, x: (out * (1 - out),))
RELU = Op(
    "relu",
    _relu,
    lambda out, x: (1.0 if _number(x) > 0 else 0.0,),
    kink=0.0,
    code=("{0} if {0} > 0 else 0.0", ("1.0 if {0} > 0 else 0.0",)),  # the same rules, as source
)
ABS = Op("abs", abs, lambda out, x: (math.copysign(1.0, _number(x)) if _number(x) else 0.0,), kink=0.0)
WEIGHTED_SUM = Op("Σwx+b", _weighted_sum, _weighted_sum_local)

OPS = {
    op: op
    for op in (ADD, SUB, MUL, DIV, NEG, POW, EXP, EXPM1, LOG, LOG1P, SQRT, TANH, SIGMOID, RELU, ABS, WEIGHTED_SUM)
}


def _op_named(name: str) -> Op:
    return OPS[name]


for _op in OPS:
    _op._rebuild = (_op_named, (str(_op),))


# --------------------------------------------------------------------------- Value


def _checked(data) -> float:
    """`data` as a float, if it is a finite real number; otherwise a clear error."""
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        raise TypeError(f"Value needs a finite real number, got {type(data).__name__} {_brief(data)}")
    try:
        value = float(data)
    except OverflowError:  # an int (or Fraction) beyond the largest float
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(f"Value needs a finite real number, got {_brief(data)}")
    return value


def _operator(op: Op):
    """`value op other` and `other op value` for a binary op; numbers become leaves."""

    def forward(self, other):
        other = _lift(other)
        return NotImplemented if other is None else _binary(op, self, other)

    def reflected(self, other):
        other = _lift(other)
        return NotImplemented if other is None else _binary(op, other, self)

    return forward, reflected


class Value:
    """A scalar in a computation graph: its `data`, its `grad`, and how it was made.

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b + a
    >>> c.backward()
    >>> c.data, a.grad, b.grad
    (-4.0, -2.0, 2.0)

    Attributes:
        data: the number, a finite float.
        grad: d(output)/d(self) after ``output.backward()``.
        parents: the values this one was computed from, in order, duplicates kept
            (``a * a`` has parents ``(a, a)``).
        local_grads: d(self)/d(parents[i]) at the forward pass, one float per parent.
        op: the operation that made it (``""`` for a leaf).
        label: a name for drawings and tables.
    """

    # Almost every op has one or two parents, so they and their local derivatives sit in
    # slots of the node itself: `_a`, `_la` (and `_b`, `_lb` for a second parent). Then a
    # recorded op is one object for the cyclic garbage collector to track instead of two,
    # and takes under a fifth of micrograd's memory. A node with more parents (a neuron's
    # weighted sum) keeps a tuple of parents in `_a` and a tuple of local derivatives in
    # `_la`. A leaf has `_a = None`. `parents` and `local_grads` give the uniform view.
    __slots__ = ("_a", "_b", "_la", "_lb", "data", "grad", "label", "op")

    def __init__(self, data: float, label: str = "") -> None:
        if type(data) is Value:
            raise TypeError(f"Value needs a number, got another Value ({data!r}); use it directly or .detach() it")
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__} {_brief(label)}")
        self.data = _checked(data)
        self.grad = 0.0
        self.op = ""
        self.label = label
        self._a = None

    # -- the recorded graph

    @property
    def parents(self) -> tuple[Value, ...]:
        a = self._a
        if a is None:
            return ()
        if type(a) is tuple:
            return a
        return (a,) if self._b is None else (a, self._b)

    @property
    def local_grads(self) -> tuple[float, ...]:
        a = self._a
        if a is None:
            return ()
        if type(a) is tuple:
            return self._la
        return (self._la,) if self._b is None else (self._la, self._lb)

    @property
    def _prev(self) -> set[Value]:  # micrograd's name: its children, as a set
        return set(self.parents)

    @property
    def _op(self) -> str:  # micrograd's name
        return self.op

    def _backward(self) -> None:
        """Apply this node's chain rule once, as micrograd's lecture does by hand."""
        g = self.grad
        for j, (parent, local) in enumerate(zip(self.parents, self.local_grads)):
            before = parent.grad
            after = before + local * g
            if not _isfinite(after):
                raise _edge_overflow("_backward()", "gradient", parent, [(parent, self, j, local, g)], before)
            parent.grad = after

    def is_leaf(self) -> bool:
        """True for a value that no recorded op made (an input, a parameter, a constant)."""
        return self._a is None

    def detach(self) -> Value:
        """A parentless copy with the same data and label."""
        return _leaf(self.data, self.label)

    # -- arithmetic (numbers on either side become parentless leaves, as in micrograd)

    __add__, __radd__ = _operator(ADD)
    __sub__, __rsub__ = _operator(SUB)
    __mul__, __rmul__ = _operator(MUL)
    __truediv__, __rtruediv__ = _operator(DIV)

    def __pow__(self, exponent):
        if type(exponent) is Value:
            return _binary(POW, self, exponent)
        if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real):
            return NotImplemented
        exponent = int(exponent) if isinstance(exponent, numbers.Integral) else _checked(exponent)
        return _unary(power_op(exponent), self)

    def __rpow__(self, base):
        # A number base is part of the op (``2**``), like a number exponent in ``x ** 2``.
        if isinstance(base, bool) or not isinstance(base, numbers.Real):
            return NotImplemented
        return _unary(exponential_op(_checked(base)), self)

    def __neg__(self) -> Value:
        return _unary(NEG, self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _unary(ABS, self)

    # -- functions

    def exp(self) -> Value:
        return _unary(EXP, self)

    def log(self) -> Value:
        """Natural logarithm; ``ValueError`` for data <= 0."""
        return _unary(LOG, self)

    def log1p(self) -> Value:
        """log(1 + x), accurate for tiny x (where 1 + x rounds to 1); ``ValueError`` for x <= -1."""
        return _unary(LOG1P, self)

    def expm1(self) -> Value:
        """exp(x) - 1, to full relative precision for tiny x (where exp(x) - 1 cancels)."""
        return _unary(EXPM1, self)

    def sqrt(self) -> Value:
        """Square root; ``ValueError`` for data < 0, and at 0 when recording (infinite slope)."""
        return _unary(SQRT, self)

    def tanh(self) -> Value:
        return _unary(TANH, self)

    def sigmoid(self) -> Value:
        """1 / (1 + exp(-x)), computed without overflow for any finite x."""
        return _unary(SIGMOID, self)

    def relu(self) -> Value:
        """max(x, 0). At the kink x = 0 the local derivative is 0, as in PyTorch."""
        return _unary(RELU, self)

    def abs(self) -> Value:
        """|x|. At the kink x = 0 the local derivative is 0, as in PyTorch."""
        return _unary(ABS, self)

    # -- backpropagation

    def backward(self) -> None:
        """Fill in ``.grad`` of every value this one depends on: d(self)/d(value).

        Seeds ``self.grad = 1.0`` and visits the graph in reverse topological order
        (iteratively, so graphs of any depth work), adding ``local * grad`` into each
        parent. Interior values get fresh gradients on every call; leaves *accumulate*,
        as in PyTorch (a leaf's own ``backward()`` adds 1), so call ``zero_grad()`` (or
        set ``.grad = 0``) between steps.

        A gradient that overflows a float is a `GradientOverflowError` naming the value
        and the edge where the sum overflowed, never an inf or NaN handed back silently
        (the grads of that pass are then incomplete and may hold one: ``zero_grad()``).
        """
        order = topological_order(self)
        for node in order:
            if node._a is not None:
                node.grad = 0.0
        self.grad = self.grad + 1.0 if self._a is None else 1.0
        for node in reversed(order):
            a = node._a
            g = node.grad
            if a is None:
                # An inf or NaN anywhere flows on into some leaf (inf * 0 is NaN), so checking
                # the leaves alone catches every one; g - g is 0.0 exactly when g is finite.
                if g - g:
                    raise _reverse_overflow("backward()", order, _grad_of)
                continue
            if not g:  # a zero gradient adds nothing
                continue
            if type(a) is tuple:
                for parent, local in zip(a, node._la):
                    parent.grad += local * g
            else:
                a.grad += node._la * g
                b = node._b
                if b is not None:
                    b.grad += node._lb * g

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"

    # -- copying and pickling

    def __reduce__(self):
        """How `pickle` and `copy.deepcopy` take a value apart: a leaf as its data, label
        and grad; a computed value as its whole graph, one flat record per node in
        topological order (no recursion, so a chain of any depth pickles). The leaves in
        it stay objects, so parameters pickled beside a loss remain the same objects."""
        if self._a is None:
            return _restored_leaf, (self.data, self.label, self.grad)
        order = topological_order(self)
        index = {node: i for i, node in enumerate(order)}
        records = [
            node
            if node._a is None
            else (node.op, tuple(index[p] for p in node.parents), node.local_grads, node.data, node.grad, node.label)
            for node in order
        ]
        return _restored_graph, (records,)

    def __copy__(self) -> Value:
        """`copy.copy`: a new value with the same data, grad, label, op and parents."""
        node = _restored_leaf(self.data, self.label, self.grad)
        if self._a is not None:
            _attach(node, self.op, self.parents, self.local_grads)
        return node


_new_value = object.__new__


def _restored_leaf(data: float, label: str, grad: float) -> Value:
    node = _leaf(data, label)
    node.grad = grad
    return node


def _attach(node: Value, op: Op, parents: Sequence[Value], local_grads: Sequence[float]) -> None:
    """Record `parents` in `node`'s slots, as the op that made it would have."""
    node.op = op
    if op == WEIGHTED_SUM or len(parents) > 2:
        node._a, node._b, node._la = tuple(parents), None, tuple(local_grads)
    elif len(parents) == 1:
        node._a, node._b, node._la = parents[0], None, local_grads[0]
    else:
        (node._a, node._b), (node._la, node._lb) = parents, local_grads


def _restored_graph(records: list) -> Value:
    nodes: list[Value] = []
    for record in records:
        if type(record) is not Value:
            op, parents, local_grads, data, grad, label = record
            node = _restored_leaf(data, label, grad)
            _attach(node, op, [nodes[i] for i in parents], local_grads)
            record = node
        nodes.append(record)
    return nodes[-1]


def _leaf(data: float, label: str = "") -> Value:
    node = _new_value(Value)
    node.data = data
    node.grad = 0.0
    node.op = ""
    node.label = label
    node._a = None
    return node


def _lift(x) -> Value | None:
    """`x` as a Value: a Value itself, a number wrapped as a leaf, or None if neither."""
    if type(x) is Value:
        return x
    if type(x) is float and _isfinite(x):
        return _leaf(x)
    if isinstance(x, Value):
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return None
    try:
        return _leaf(_checked(x))
    except ValueError:
        raise ValueError(f"cannot compute with {_brief(x)}: only finite numbers are allowed") from None


def _overflow(op: Op, args) -> Exception:
    if not all(map(_isfinite, args)):  # a NaN or inf written into .data by hand
        return ValueError(f"{op}({_shown(args)}): an argument is not a finite number (was .data set to it?)")
    return OverflowError(f"{op}({_shown(args)}) overflows a float")


# grad(create_graph=True) records a derivative graph whose nodes' own local derivatives
# may overflow where the derivative itself does not (log at 1e-160: 1/x is a float, its
# slope -1/x² is not). There, and only there, such a local is kept as inf instead of
# refused: the derivative is computed, and a pass that would use the inf raises a
# GradientOverflowError naming the edge (every pass checks its sums).
_keep_overflowing_locals: ContextVar[bool] = ContextVar("micrograd_keep_overflowing_locals", default=False)


@contextmanager
def _keeping_overflowing_locals() -> Iterator[None]:
    token = _keep_overflowing_locals.set(True)
    try:
        yield
    finally:
        _keep_overflowing_locals.reset(token)


def _overflowing_local(op: Op, args) -> float:
    """inf for a local derivative that overflowed, where that is allowed; else the error."""
    if _keep_overflowing_locals.get():
        return math.inf
    raise OverflowError(f"{op}({_shown(args)}): the local derivative overflows a float")


_isfinite = math.isfinite


def _unary(op: Op, parent: Value) -> Value:
    """Compute `op` on one parent's data and record the result as a new node."""
    x = parent.data
    data = op.forward(x)
    if not _isfinite(data):
        raise _overflow(op, (x,))
    node = _new_value(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    if _grad_enabled():
        try:
            (local,) = op.local(data, x)
        except OverflowError:
            local = _overflowing_local(op, (x,))
        if not _isfinite(local):
            _overflowing_local(op, (x,))
        node.op = op
        node._a = parent
        node._b = None
        node._la = local
    else:
        node.op = ""
        node._a = None
    return node


def _binary(op: Op, left: Value, right: Value) -> Value:
    """Compute `op` on two parents' data and record the result as a new node."""
    x = left.data
    y = right.data
    data = op.forward(x, y)
    if not _isfinite(data):
        raise _overflow(op, (x, y))
    node = _new_value(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    if _grad_enabled():
        try:
            local_left, local_right = op.local(data, x, y)
        except OverflowError:
            local_left = local_right = _overflowing_local(op, (x, y))
        if not (_isfinite(local_left) and _isfinite(local_right)):
            _overflowing_local(op, (x, y))
        node.op = op
        node._a = left
        node._b = right
        node._la = local_left
        node._lb = local_right
    else:
        node.op = ""
        node._a = None
    return node


_data_of = attrgetter("data")
_grad_of = attrgetter("grad")


def weighted_sum(weights: Sequence[Value], inputs: Sequence[Value | float], bias: Value) -> Value:
    """z = Σ wᵢxᵢ + b as ONE node with parents (w₁…wₙ, x₁…xₙ, b).

    Its local derivatives are (x₁…xₙ, w₁…wₙ, 1): exactly Nielsen's weighted input z of a
    neuron. One node instead of 2n keeps networks fast and their drawings readable, and
    it is still an exact scalar function of its parents. Numbers among the arguments
    become parentless leaves.
    """
    if len(weights) != len(inputs):
        raise ValueError(f"weighted_sum: {len(weights)} weights but {len(inputs)} inputs")
    weights = [_lift_or_raise(w) for w in weights]
    inputs = [_lift_or_raise(x) for x in inputs]
    return _weighted_sum_node(weights, inputs, _lift_or_raise(bias), list(map(_data_of, inputs)))


def _weighted_sum_node(weights: list[Value], inputs: list[Value], bias: Value, input_data: list[float]) -> Value:
    """`weighted_sum` of Values, given the inputs' data. A layer reads its inputs' data once
    and shares it among its neurons: this is the hot path of every network."""
    wd = list(map(_data_of, weights))
    bd = bias.data
    data = _dot_plus(wd, input_data, bd)
    if not _isfinite(data):
        raise _overflow(WEIGHTED_SUM, [*wd, *input_data, bd])
    node = _new_value(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    if _grad_enabled():
        # The local derivatives are the other factors' data: finite already, no check.
        node.op = WEIGHTED_SUM
        node._a = (*weights, *inputs, bias)
        node._b = None
        node._la = (*input_data, *wd, 1.0)
    else:
        node.op = ""
        node._a = None
    return node


def _lift_or_raise(x) -> Value:
    value = _lift(x)
    if value is None:
        raise TypeError(f"expected a number or a Value, got {type(x).__name__} {_brief(x)}")
    return value


# --------------------------------------------------------------------------- graph order


def topological_order(root: Value) -> list[Value]:
    """Every value `root` depends on, each after all of its parents (root last).

    Iterative depth-first search, so graphs of any depth work.
    """
    order = []
    placed = set()
    expanded = set()
    stack = [root]
    push, pop = stack.append, stack.pop
    while stack:
        node = pop()
        if node in placed:
            continue
        a = node._a
        if a is None or node in expanded:  # a leaf, or all of its parents are placed
            placed.add(node)
            order.append(node)
            continue
        expanded.add(node)
        push(node)  # comes back after its parents
        if type(a) is tuple:
            for parent in a:
                if parent not in placed:
                    push(parent)
        else:
            if a not in placed:
                push(a)
            b = node._b
            if b is not None and b not in placed:
                push(b)
    return order
