"""Shared hypothesis strategies and numerical helpers for the test suite.

    from strategies import backward_grads, central_difference, expressions

    @given(expressions())
    def test_backward_matches_finite_differences(expr):
        _, grads = backward_grads(expr, expr.inputs)
        ...  # compare grads[i] with central_difference(expr, expr.inputs, i)

`expressions()` draws random expression graphs over a few inputs in which later steps may
reuse any earlier node, so sub-expressions are shared and the same node is reached along
several paths (the case where backward() must *sum*). Every step maps [-2, 2] into
[-2, 2], so graphs of any depth stay finite and no step leaves its domain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hypothesis import strategies as st

from micrograd import Value, weighted_sum

__all__ = [
    "STEPS",
    "Expression",
    "backward_grads",
    "central_difference",
    "close",
    "expressions",
    "floats_between",
    "json_values",
]


def micrograd_readme_expression(a: Value, b: Value) -> Value:
    """The expression of micrograd's README as a function of its two inputs (a=-4, b=2 there)."""
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


def floats_between(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Finite floats in [lo, hi], without subnormals (they only test the FPU)."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def central_difference(f: Callable[..., Value], xs: Sequence[float], i: int, eps: float = 1e-6) -> float:
    """(f(x + eps·eᵢ) - f(x - eps·eᵢ)) / step, where f takes Values and returns a Value.

    The divisor is the step actually taken after rounding (x ± eps is rarely exact), which
    removes an error of up to ulp(x)/eps from the estimate.
    """
    below, above = list(xs), list(xs)
    below[i] -= eps
    above[i] += eps
    f_above = f(*[Value(x) for x in above]).data
    f_below = f(*[Value(x) for x in below]).data
    return (f_above - f_below) / (above[i] - below[i])


def backward_grads(f: Callable[..., Value], xs: Sequence[float]) -> tuple[Value, list[float]]:
    """The output of f at xs and what backward() puts into each input's grad."""
    values = [Value(x) for x in xs]
    out = f(*values)
    out.backward()
    return out, [v.grad for v in values]


def close(actual: float, expected: float, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    """|actual - expected| <= atol + rtol·|expected|."""
    return abs(actual - expected) <= atol + rtol * abs(expected)


# --------------------------------------------------------------------------- expressions

# name -> (arity, function of Values). Each maps arguments in [-2, 2] to a result in
# [-2, 2] (the bound is noted on the right), so steps compose without overflow or domain
# errors, while covering every op, numbers on either side and duplicate parents.
STEPS: dict[str, tuple[int, Callable[..., Value]]] = {
    "add": (2, lambda a, b: (a + b) / 2),  # |·| <= 2
    "sub": (2, lambda a, b: (a - b) / 2),
    "mul": (2, lambda a, b: a * b / 2),
    "div": (2, lambda a, b: a / (1 + b * b)),
    "rsub": (1, lambda a: (1 - a) / 1.5),  # in [-2/3, 2]
    "rdiv": (1, lambda a: 3 / (2 + a * a)),  # in [0.5, 1.5]
    "neg": (1, lambda a: -a),
    "square": (1, lambda a: a**2 / 2),
    "cube": (1, lambda a: a**3 / 4),
    "pow float": (1, lambda a: (1 + a * a / 4) ** 1.5 / 2),  # base in [1, 2]
    "pow value": (2, lambda a, b: (1 + a * a / 4) ** (b / 2)),  # base in [1, 2], exponent in [-1, 1]
    "rpow": (1, lambda a: 2**a / 2),  # in [1/8, 2]
    "exp": (1, lambda a: a.exp() / 4),  # <= e²/4
    "log": (1, lambda a: (1 + a * a).log()),  # <= log 5
    "log1p": (1, lambda a: (a * a / 4).log1p()),  # <= log 2
    "sqrt": (1, lambda a: (1 + a * a).sqrt() - 1),  # <= √5 - 1
    "tanh": (1, lambda a: a.tanh()),
    "sigmoid": (1, lambda a: a.sigmoid()),
    "relu": (1, lambda a: a.relu()),
    "abs": (1, lambda a: abs(a)),
    "weighted_sum": (5, lambda a, b, c, d, e: weighted_sum([a, b], [c, d], e) / 5),  # <= (4 + 4 + 2) / 5
}

KINKED = frozenset({"relu", "abs"})


@dataclass
class Expression:
    """A random expression graph: `steps` applied in order, each to earlier nodes.

    Node k < len(inputs) is input k; node len(inputs) + s is the result of step s. The
    output is the sum of every step's result, so every step is reachable and nodes used
    by several steps are reached along several paths.
    """

    inputs: list[float]
    steps: list[tuple[str, tuple[int, ...]]]
    kink_arguments: list[float] = field(default_factory=list, repr=False)

    def __call__(self, *xs: Value) -> Value:
        """Build the graph on `xs`; record the argument of every relu/abs in `kink_arguments`."""
        nodes = list(xs)
        self.kink_arguments = []
        for name, args in self.steps:
            operands = [nodes[k] for k in args]
            if name in KINKED:
                self.kink_arguments.append(operands[0].data)
            nodes.append(STEPS[name][1](*operands))
        out = nodes[len(xs)]
        for node in nodes[len(xs) + 1 :]:
            out = out + node
        return out

    def kink_crossed(self, i: int, eps: float) -> bool:
        """Whether moving input i by ± eps moves some relu/abs argument across 0 (or off it).

        Then a central difference there measures an average of two slopes, not a derivative.
        """

        def sides(point: list[float]) -> list[int]:
            self(*[Value(x) for x in point])
            return [(a > 0) - (a < 0) for a in self.kink_arguments]

        below, above = list(self.inputs), list(self.inputs)
        below[i] -= eps
        above[i] += eps
        return not sides(below) == sides(self.inputs) == sides(above)

    def __str__(self) -> str:
        names = [f"x{k}" for k in range(len(self.inputs))]
        lines = [f"x{k} = {x!r}" for k, x in enumerate(self.inputs)]
        for s, (name, args) in enumerate(self.steps):
            names.append(f"v{s}")
            lines.append(f"v{s} = {name}({', '.join(names[k] for k in args)})")
        return "\n".join(lines)


@st.composite
def expressions(
    draw: st.DrawFn,
    min_inputs: int = 1,
    max_inputs: int = 4,
    max_steps: int = 12,
    ops: Sequence[str] = tuple(STEPS),
) -> Expression:
    """Random `Expression`s. Operands are drawn from all earlier nodes, so sharing (and
    the same node twice in one step, as in ``a * a``) is common."""
    n = draw(st.integers(min_inputs, max_inputs))
    inputs = draw(st.lists(floats_between(-2.0, 2.0), min_size=n, max_size=n))
    steps = []
    for s in range(draw(st.integers(1, max_steps))):
        name = draw(st.sampled_from(list(ops)))
        arity = STEPS[name][0]
        steps.append((name, tuple(draw(st.integers(0, n + s - 1)) for _ in range(arity))))
    return Expression(inputs, steps)


def json_values(max_leaves: int = 20) -> st.SearchStrategy:
    """Any JSON value a hostile file could hold: NaN and infinities, integers far beyond
    a float, odd strings, and arrays and objects nested inside each other."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.sampled_from([0, -1, 10**12, 2**63, 10**400, -(10**400)])
        | st.floats()
        | st.text(max_size=12)
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=max_leaves,
    )
