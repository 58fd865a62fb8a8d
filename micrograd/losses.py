"""Loss functions, each a `Value` averaged over the batch and built from engine ops only,
so `loss.backward()` reaches every score.

Each names what it builds as the notebooks do: the loss is ``C``, and a target given as a
number is ``y`` (``y[1]``, ``y[2]``… for several), so step tables read ``y → a - y``
rather than ``1 → …``, and the mean's factor is ``1/n``. A label you set (on a target Value,
or on the loss afterwards) wins.

>>> from micrograd import Value
>>> s = [Value(2.0), Value(-0.5)]
>>> hinge(s, [1, 1]).data          # mean of relu(1 - y*s): (0 + 1.5) / 2
0.75
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Sequence

from micrograd._errors import _brief
from micrograd.engine import Value, _lift
from micrograd.notation import role

__all__ = ["binary_cross_entropy", "cross_entropy", "hinge", "mse"]

Scalar = Value | float


def _scalar(x, what: str, i: int) -> Value:
    v = _lift(x)
    if v is None:
        raise TypeError(f"{what}[{i}] must be a number or a Value, got {type(x).__name__} {_brief(x)}")
    return v


def _number(x, what: str, i: int) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{what}[{i}] must be a number, got {type(x).__name__} {_brief(x)}")
    try:
        value = float(x)
    except OverflowError:  # an int beyond the float range
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(f"{what}[{i}] must be a finite number, got {_brief(x)}")
    return value


def _same_length(name: str, a: Sequence, a_name: str, b: Sequence, b_name: str) -> None:
    for seq, seq_name in ((a, a_name), (b, b_name)):
        if isinstance(seq, (str, bytes, Value)) or not hasattr(seq, "__len__"):
            raise TypeError(f"{name}: {seq_name} must be a sequence, got {type(seq).__name__}")
    if len(a) != len(b):
        raise ValueError(f"{name}: {len(a)} {a_name} but {len(b)} {b_name}")
    if not a:
        raise ValueError(f"{name}: the batch is empty")


def _target(x, i: int, n: int) -> Value:
    """Target `i` of `n` as a Value: a number becomes a leaf named ``y`` (``y[i+1]`` of several)."""
    v = _scalar(x, "targets", i)
    if v is not x:
        v.label = "y" if n == 1 else role("y", i + 1)
    return v


def _mean(terms: list[Value]) -> Value:
    # Summed left to right from the first term, then scaled by 1/n: the same numbers as
    # micrograd's sum(losses) * (1.0 / len(losses)).
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    cost = total * Value(1.0 / len(terms), label="1/n")  # named: a bare 0.01 says nothing in a table
    cost.label = "C"
    return cost


def mse(preds: Sequence[Scalar], targets: Sequence[Scalar]) -> Value:
    """Mean squared error: mean of (pred - target)².

    >>> mse([Value(1.0), Value(3.0)], [0.0, 1.0]).data
    2.5
    """
    _same_length("mse", preds, "predictions", targets, "targets")
    return _mean(
        [(_scalar(p, "preds", i) - _target(t, i, len(targets))) ** 2 for i, (p, t) in enumerate(zip(preds, targets))]
    )


def hinge(scores: Sequence[Scalar], labels: Sequence[int]) -> Value:
    """micrograd's max-margin loss: mean of relu(1 - y·s), labels y = -1 or +1.

    A score on the right side of 0 by a margin of at least 1 costs nothing; anything
    else costs linearly. For 0/1 labels pass ``[2 * y - 1 for y in labels]``.
    """
    _same_length("hinge", scores, "scores", labels, "labels")
    terms = []
    for i, (s, y) in enumerate(zip(scores, labels)):
        if y not in (-1, 1) or isinstance(y, bool):
            raise ValueError(
                f"hinge: labels must be -1 or +1, got {_brief(y)} at index {i} (for 0/1 labels use 2*y - 1)"
            )
        label = _lift(y)
        label.label = "y" if len(labels) == 1 else role("y", i + 1)
        terms.append(_hinge_term(_scalar(s, "scores", i), label))
    return _mean(terms)


def _hinge_term(score: Value, y: int | Value) -> Value:
    """One sample's hinge loss (`micrograd.compile` records it with the label as an input)."""
    return (1 - y * score).relu()


def _softplus(x: Value) -> Value:
    """log(1 + exp(x)) without overflow and to full relative precision, with the right
    derivative everywhere.

    Which formula to use is decided on the data (a constant), and each is smooth:
    for x >= 0, x + log1p(exp(-x)); for x < 0, log1p(exp(x)). exp() only ever sees
    a number <= 0, so logits in the thousands are fine; log1p keeps a tiny result
    (x = -40 gives 4.25e-18, where log(1 + exp(x)) would round to 0); at x = 0 the slope
    is 1/2. (relu(x) + log1p(exp(-|x|)) is the same function, but its kinks at 0 would
    give slope 0 there instead of 1/2.)
    """
    if x.data >= 0:
        return x + (-x).exp().log1p()
    return x.exp().log1p()


def binary_cross_entropy(logits: Sequence[Scalar], labels: Sequence[float]) -> Value:
    """Mean of -[y·log σ(x) + (1-y)·log(1-σ(x))], from logits x and labels y in [0, 1].

    Computed as y·softplus(-x) + (1-y)·softplus(x): stable for logits of any size (no
    exp of a large number, no log of 0), and with no subtraction, so a confident right
    answer keeps its tiny loss to full relative precision (softplus(x) - y·x would
    cancel it to 0).

    >>> round(binary_cross_entropy([Value(0.0)], [1]).data, 6)   # log 2
    0.693147
    """
    _same_length("binary_cross_entropy", logits, "logits", labels, "labels")
    terms = []
    for i, (x, y) in enumerate(zip(logits, labels)):
        y = _number(y, "labels", i)
        if not 0.0 <= y <= 1.0:
            raise ValueError(
                f"binary_cross_entropy: labels must be 0 or 1 (or in between), got {_brief(y)} at index {i}"
            )
        x = _scalar(x, "logits", i)
        if y == 1:
            terms.append(_softplus(-x))
        elif y == 0:
            terms.append(_softplus(x))
        else:
            terms.append(y * _softplus(-x) + (1 - y) * _softplus(x))
    return _mean(terms)


def class_index(y, n_classes: int, i: int, where: str = "cross_entropy") -> int:
    """Label `y` (sample `i`) as a class number 0..n_classes-1, or a clear error from `where`."""
    try:
        if isinstance(y, bool):
            raise TypeError
        k = operator.index(y)
    except TypeError:
        raise TypeError(f"{where}: labels must be ints, got {type(y).__name__} {_brief(y)} at index {i}") from None
    if not 0 <= k < n_classes:
        raise ValueError(
            f"{where}: label {_brief(k)} at index {i} is not a class of 0..{n_classes - 1} (one per output)"
        )
    return k


def cross_entropy(logits: Sequence[Sequence[Scalar]], labels: Sequence[int]) -> Value:
    """Softmax cross-entropy: mean of -log softmax(row)[label], one row of logits per sample.

    log-sum-exp is taken after subtracting the row's largest logit, as a constant (its
    data): the result is the same, exp() never overflows, and the gradient is unchanged
    because log-sum-exp does not depend on the shift.

    >>> round(cross_entropy([[Value(1.0), Value(1.0)]], [0]).data, 6)  # log 2
    0.693147
    """
    _same_length("cross_entropy", logits, "rows of logits", labels, "labels")
    width = None
    terms = []
    for i, (row, y) in enumerate(zip(logits, labels)):
        if isinstance(row, (Value, str, bytes)) or not hasattr(row, "__len__"):
            raise TypeError(f"cross_entropy: logits[{i}] must be a list of class scores, got {type(row).__name__}")
        if width is None:
            width = len(row)
            if width < 2:
                raise ValueError(f"cross_entropy: needs at least 2 classes, logits[0] has {width}")
        elif len(row) != width:
            raise ValueError(f"cross_entropy: logits[{i}] has {len(row)} classes but logits[0] has {width}")
        k = class_index(y, width, i)
        row = [_scalar(z, f"logits[{i}]", j) for j, z in enumerate(row)]
        terms.append(_cross_entropy_term(row, k, max(z.data for z in row)))
    return _mean(terms)


def _cross_entropy_term(row: list[Value], k: int, shift: float | Value) -> Value:
    """-log softmax(row)[k] = log Σⱼ exp(zⱼ - m) - (z_k - m), with the shift m = max(row) as a
    constant (`micrograd.compile` passes m as a leaf it computes on the data at run time).

    The sum is written log1p(expm1(z_k - m) + Σ_{j≠k} exp(zⱼ - m)): the same number, but when
    the right class leads (z_k = m) it is log1p of the small rest, so a confident prediction
    keeps its tiny loss, which log(1 + tiny) would round to 0. One formula for every row keeps
    the graph's shape independent of the data, as compiling needs.
    """
    total = (row[k] - shift).expm1()
    for j, z in enumerate(row):
        if j != k:
            total = total + (z - shift).exp()
    return total.log1p() - (row[k] - shift)
