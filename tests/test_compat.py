"""Compatibility with karpathy's micrograd 0.1.0: its README, its tests, its demo notebook.

The expected numbers are derived here by hand (closed forms), not taken from PyTorch: the
suite must not depend on it. Where micrograd 0.1.0 itself is importable from an isolated
folder (`make bench` installs it into benchmarks/.micrograd-0.1.0), the same programs
also run under it in a subprocess and must give the same numbers.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from micrograd.engine import Value
from micrograd.nn import MLP, Layer, Module, Neuron

# --------------------------------------------------------------------------- README


def test_readme_example_prints_its_own_numbers(capsys):
    # micrograd's README, verbatim.
    a = Value(-4.0)
    b = Value(2.0)
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
    print(f"{g.data:.4f}")  # prints 24.7041, the outcome of this forward pass
    g.backward()
    print(f"{a.grad:.4f}")  # prints 138.8338, i.e. the numerical value of dg/da
    print(f"{b.grad:.4f}")  # prints 645.5773, i.e. the numerical value of dg/db
    assert capsys.readouterr().out.split() == ["24.7041", "138.8338", "645.5773"]


def _more_ops_expected() -> tuple[float, float, float]:
    """g, dg/da, dg/db of micrograd's README/test_more_ops expression at a=-4, b=2, exactly.

    With relu(b + a) = relu(-2) = 0 and relu(b - a) = b - a at this point:
    c = 3a + 4b + 3, d = 12(ab + b³) + b - a, e = c - d = 4a + 3b + 3 - 12ab - 12b³,
    g = e²/2 + 10/e², so dg/de = e - 20/e³, de/da = 4 - 12b, de/db = 3 - 12a - 36b².
    """
    a, b = Fraction(-4), Fraction(2)
    e = 4 * a + 3 * b + 3 - 12 * a * b - 12 * b**3
    g = e**2 / 2 + 10 / e**2
    dg_de = e - 20 / e**3
    return float(g), float(dg_de * (4 - 12 * b)), float(dg_de * (3 - 12 * a - 36 * b**2))


# --------------------------------------------------------------------------- micrograd's test file


def test_sanity_check():
    # micrograd's test/test_engine.py::test_sanity_check, expressions verbatim.
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xmg, ymg = x, y
    # z = 3x + 2 = -10 < 0, so relu(z) = 0 and y = z² + zx + zx²:
    # y = 100 + 40 - 160 = -20, dy/dx = 6z + (6x + 2) + (9x² + 4x) = -60 - 22 + 128 = 46.
    # Every intermediate is a small integer, so float arithmetic is exact.
    assert ymg.data == -20.0
    assert xmg.grad == 46.0


def test_more_ops():
    # micrograd's test/test_engine.py::test_more_ops, expressions verbatim.
    a = Value(-4.0)
    b = Value(2.0)
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
    g.backward()
    amg, bmg, gmg = a, b, g
    tol = 1e-6
    g_exact, dg_da, dg_db = _more_ops_expected()
    assert abs(gmg.data - g_exact) < tol
    assert abs(amg.grad - dg_da) < tol
    assert abs(bmg.grad - dg_db) < tol
    assert math.isclose(gmg.data, g_exact, rel_tol=1e-14)  # and much closer than micrograd asks


# --------------------------------------------------------------------------- the demo notebook


def _moons(n: int, noise: float, seed: int) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles, labels 0/1 (our own, so the test needs neither
    sklearn nor micrograd.data)."""
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        t = math.pi * (i // 2) / (n // 2 - 1)
        if i % 2:
            X.append([1 - math.cos(t) + rng.gauss(0, noise), 0.5 - math.sin(t) + rng.gauss(0, noise)])
        else:
            X.append([math.cos(t) + rng.gauss(0, noise), math.sin(t) + rng.gauss(0, noise)])
        y.append(i % 2)
    return X, y


def test_demo_notebook_training_loop_runs_unchanged_and_learns_moons():
    # micrograd's demo.ipynb with its numpy arrays replaced by lists; the loop is verbatim.
    random.seed(1337)
    X, y = _moons(100, noise=0.1, seed=1337)
    y = [yi * 2 - 1 for yi in y]  # make y be -1 or 1
    model = MLP(2, [16, 16, 1])  # 2-layer neural network
    assert len(model.parameters()) == 337

    # loss function
    def loss(batch_size=None):
        # inline DataLoader :)
        if batch_size is None:
            Xb, yb = X, y
        else:
            ri = random.sample(range(len(X)), batch_size)
            Xb, yb = [X[i] for i in ri], [y[i] for i in ri]
        inputs = [list(map(Value, xrow)) for xrow in Xb]

        # forward the model to get scores
        scores = list(map(model, inputs))

        # svm "max-margin" loss
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        # L2 regularization
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss

        # also get accuracy
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    history = []
    for k in range(100):
        # forward
        total_loss, acc = loss()

        # backward
        model.zero_grad()
        total_loss.backward()

        # update (sgd)
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad

        history.append((total_loss.data, acc))

    assert history[-1][0] < 0.25 * history[0][0]
    assert history[-1][1] >= 0.95
    batch_loss, batch_acc = loss(batch_size=10)
    assert isinstance(batch_loss, Value) and 0.0 <= batch_acc <= 1.0


def test_demo_notebook_loss_accepts_numpy_arrays_and_scalars():
    # The notebook feeds numpy rows (np.float64) and labels (np.int64) straight into Values.
    np = pytest.importorskip("numpy")
    np.random.seed(1337)
    random.seed(1337)
    X_list, y_list = _moons(20, noise=0.1, seed=0)
    X, y = np.array(X_list), np.array(y_list) * 2 - 1
    model = MLP(2, [16, 16, 1])
    ri = np.random.permutation(X.shape[0])[:10]
    Xb, yb = X[ri], y[ri]
    inputs = [list(map(Value, xrow)) for xrow in Xb]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    assert isinstance(data_loss, Value)
    data_loss.backward()
    expected = sum(max(0.0, 1 - float(yi) * s.data) for yi, s in zip(yb, scores)) / len(scores)
    assert math.isclose(data_loss.data, expected, rel_tol=1e-12)
    assert any(p.grad != 0 for p in model.parameters())


# --------------------------------------------------------------------------- nn: same calls, same weights


def test_random_seed_1337_gives_the_same_weights_as_micrograd():
    # micrograd: each Neuron draws random.uniform(-1, 1) per weight, in order, bias Value(0).
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    random.seed(1337)
    expected = []
    for nin, nout in [(2, 16), (16, 16), (16, 1)]:
        for _ in range(nout):
            expected += [random.uniform(-1, 1) for _ in range(nin)] + [0.0]
    assert [p.data for p in model.parameters()] == expected


def test_modules_have_micrograds_attributes_and_reprs():
    random.seed(0)
    model = MLP(2, [3, 1])
    assert isinstance(model, Module)
    assert [len(layer.neurons) for layer in model.layers] == [3, 1]
    neuron = model.layers[0].neurons[0]
    assert len(neuron.w) == 2 and isinstance(neuron.b, Value) and neuron.b.data == 0.0
    assert [n.nonlin for layer in model.layers for n in layer.neurons] == [True, True, True, False]
    assert repr(model) == (
        "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(3)]]"
    )
    assert neuron.parameters() == neuron.w + [neuron.b]
    assert model.parameters() == [p for layer in model.layers for p in layer.parameters()]


def test_neuron_layer_and_mlp_calls_return_what_micrograd_returns():
    random.seed(0)
    x = [Value(1.0), Value(-2.0)]
    assert isinstance(Neuron(2)(x), Value)
    assert isinstance(Neuron(2, nonlin=False)(x), Value)
    assert isinstance(Layer(2, 1)(x), Value)  # one neuron: a Value
    outs = Layer(2, 3)(x)
    assert isinstance(outs, list) and len(outs) == 3
    assert isinstance(MLP(2, [4, 1])(x), Value)
    assert len(MLP(2, [4, 2])(x)) == 2
    assert isinstance(MLP(2, [4, 1])([1.0, -2.0]), Value)  # plain numbers, as in micrograd


def test_neuron_computes_relu_of_sum_w_x_plus_b_like_micrograd():
    random.seed(3)
    n = Neuron(3)
    x = [0.5, -1.5, 2.0]
    expected = sum((wi.data * xi for wi, xi in zip(n.w, x)), n.b.data)
    assert n(x).data == max(expected, 0.0)
    linear = Neuron(3, nonlin=False)
    assert linear(x).data == sum((wi.data * xi for wi, xi in zip(linear.w, x)), linear.b.data)


def test_zero_grad_resets_every_parameter():
    random.seed(0)
    model = MLP(2, [3, 1])
    model([1.0, 2.0]).backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


@pytest.mark.parametrize("nouts", [[1, 1, 1], [1, 4, 1], [3, 1, 2]])
def test_hidden_layers_of_width_one_work(nouts):
    # micrograd's Layer returns a bare Value for one neuron, and the next layer's zip()
    # over it fails; here layers pass lists between them.
    random.seed(0)
    model = MLP(1, nouts)
    out = model([0.7])
    if nouts[-1] == 1:
        out.backward()
        assert isinstance(out, Value)
    else:
        sum(out).backward()
        assert len(out) == nouts[-1]
    assert all(math.isfinite(p.grad) for p in model.parameters())


def test_width_one_mlp_equals_its_scalar_formula():
    random.seed(0)
    model = MLP(1, [1, 1, 1])
    (n1,), (n2,), (n3,) = (layer.neurons for layer in model.layers)
    x = 0.7
    h1 = max(n1.w[0].data * x + n1.b.data, 0.0)
    h2 = max(n2.w[0].data * h1 + n2.b.data, 0.0)
    assert model([x]).data == n3.w[0].data * h2 + n3.b.data


# --------------------------------------------------------------------------- against micrograd 0.1.0 itself

MICROGRAD_010 = Path(__file__).resolve().parent.parent / "benchmarks" / ".micrograd-0.1.0"

# Runs under either implementation: whichever `micrograd` is first on sys.path.
PROGRAM = r"""
import json, random, sys
from micrograd.engine import Value
from micrograd.nn import MLP

data = json.load(sys.stdin)
out = {}

a = Value(-4.0); b = Value(2.0)
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
g.backward()
out["readme"] = [g.data, a.grad, b.grad]

x = Value(-4.0)
z = 2 * x + 2 + x
q = z.relu() + z * x
h = (z * z).relu()
y = h + q + q * x
y.backward()
out["sanity"] = [y.data, x.grad]

random.seed(1337)
model = MLP(2, [16, 16, 1])
out["weights"] = [p.data for p in model.parameters()]
X, Y = data["X"], data["y"]
steps = []
for k in range(data["steps"]):
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(Y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum((p*p for p in model.parameters()))
    total_loss = data_loss + reg_loss
    model.zero_grad()
    total_loss.backward()
    steps.append({
        "scores": [s.data for s in scores],
        "loss": total_loss.data,
        "grads": [p.grad for p in model.parameters()],
    })
    learning_rate = 1.0 - 0.9*k/100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
out["steps"] = steps
print(json.dumps(out))
"""


def _run(prepend: Path | None, data: dict) -> dict:
    """PROGRAM in a fresh interpreter, with `prepend` (if any) first on sys.path."""
    setup = "import sys\n" + (f"sys.path.insert(0, {str(prepend)!r})\n" if prepend else "")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", setup + "import micrograd; print(micrograd.__file__, file=sys.stderr)\n" + PROGRAM],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parent,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return {"result": json.loads(done.stdout), "module": done.stderr.strip()}


@pytest.mark.skipif(
    not (MICROGRAD_010 / "micrograd" / "engine.py").is_file(),
    reason="micrograd 0.1.0 is not installed in benchmarks/.micrograd-0.1.0 (`make bench` puts it there)",
)
def test_same_numbers_as_micrograd_010_itself():
    X, y = _moons(40, noise=0.1, seed=7)
    data = {"X": X, "y": [yi * 2 - 1 for yi in y], "steps": 3}
    theirs = _run(MICROGRAD_010, data)
    ours = _run(None, data)
    assert theirs["module"].startswith(str(MICROGRAD_010)), theirs["module"]
    assert not ours["module"].startswith(str(MICROGRAD_010)), ours["module"]
    theirs, ours = theirs["result"], ours["result"]

    assert ours["readme"] == pytest.approx(theirs["readme"], rel=1e-14)
    assert ours["sanity"] == theirs["sanity"]
    assert ours["weights"] == theirs["weights"]  # same draws, same order
    for k, (mine, ref) in enumerate(zip(ours["steps"], theirs["steps"])):
        # Forward sums run in micrograd's order, so scores and loss agree to the bit at the
        # first step; backward may add a node's incoming edges in another order, so grads
        # (and the weights after an update) agree to rounding.
        if k == 0:
            assert mine["scores"] == ref["scores"]
            assert mine["loss"] == ref["loss"]
        assert mine["scores"] == pytest.approx(ref["scores"], rel=1e-9, abs=1e-12)
        assert mine["loss"] == pytest.approx(ref["loss"], rel=1e-9)
        assert mine["grads"] == pytest.approx(ref["grads"], rel=1e-9, abs=1e-12)
