"""micrograd.mistakes: each wrong backward pass gives the numbers worked out by hand, agrees
with the learner's code written out literally on ``.grad``, and is compared step by step."""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, find, given, settings
from hypothesis import strategies as st
from strategies import STEPS, Expression, expressions, floats_between

from micrograd import Value, backward_steps, topological_order
from micrograd.exercises.watch_backward import overwriting_backward
from micrograd.mistakes import (
    LEARNER_CODE,
    MAX_APPLICATIONS,
    NAMES,
    Comparison,
    backward_pass,
    compare,
    wrong_gradients,
)


def doubled():
    """The classic counter-example: a = 1; b = a + a; c = b + b (∂c/∂a = 4)."""
    a = Value(1.0, label="a")
    b = a + a
    b.label = "b"
    c = b + b
    c.label = "c"
    return a, b, c


def shared():
    """x = 2a; y = 3x; z = x + y: x has two consumers at different depths (∂z/∂a = 8)."""
    a = Value(2.0, label="a")
    x = a * 2
    x.label = "x"
    y = x * 3
    y.label = "y"
    z = x + y
    z.label = "z"
    return a, x, y, z


def by_label(grads: dict) -> dict:
    return {node.label: g for node, g in grads.items() if node.label}


# --------------------------------------------------------------------------- the names


def test_the_fixed_names_are_all_there():
    assert set(NAMES) >= {
        "overwrite", "no_topological_order", "recursion_without_visited", "no_zero_grad",
        "backward_twice", "set_of_parents", "wrong_local",
    }  # fmt: skip
    assert set(LEARNER_CODE) == set(NAMES)


# --------------------------------------------------------------------------- hand-worked numbers


def test_overwrite_keeps_only_the_last_path():
    # c → b twice, each writing 1 × 1 = 1 over what is there; then b → a twice, 1 × 1 = 1.
    _a, _b, c = doubled()
    assert by_label(wrong_gradients(c, "overwrite")) == {"a": 1.0, "b": 1.0, "c": 1.0}


def test_no_topological_order_passes_b_on_before_its_second_term():
    # backward(c): b += 1 (b = 1), recurse into b: a += 1·1, a += 1·1 (a = 2); back in c: b += 1 (b = 2).
    _a, _b, c = doubled()
    assert by_label(wrong_gradients(c, "no_topological_order")) == {"a": 2.0, "b": 2.0, "c": 1.0}
    report = compare(c, "no_topological_order")
    assert report.first_divergence == 3  # step 3 is b → a's first edge, which needs b = 2
    assert "before b →₁ c had added its term" in report.explanation


def test_no_topological_order_on_a_value_used_at_two_depths():
    # backward(z): x += 1, recurse: a += 2·1 = 2 (x is only 1 yet), then y += 1, x += 3·1 (x = 4), x visited.
    _a, _x, _y, z = shared()
    grads = by_label(wrong_gradients(z, "no_topological_order"))
    assert grads == {"a": 2.0, "x": 4.0, "y": 1.0, "z": 1.0}


def test_recursion_without_visited_counts_each_path_and_the_work():
    # backward(c): b = 2; backward(b) twice, each adding 2 + 2 to a: a = 8. Calls: c once, b twice, a 4 times.
    _a, _b, c = doubled()
    report = compare(c, "recursion_without_visited")
    assert by_label(report.wrong) == {"a": 8.0, "b": 2.0, "c": 1.0}
    assert (report.calls, report.applications, len(report.steps)) == (7, 6, 4)
    assert report.first_divergence == 3
    assert "applied again" in report.explanation and "7 calls" in report.explanation


def test_recursion_without_visited_work_doubles_with_each_level():
    for n in (1, 5, 10):
        x = Value(1.0, label="x")
        for _ in range(n):
            x = x + x
        report = compare(x, "recursion_without_visited")
        assert report.calls == 2 ** (n + 1) - 1
        assert report.applications == 2 ** (n + 1) - 2
        assert len(report.steps) == 2 * n
        assert report.wrong == literal(x, "recursion_without_visited")[0]


def test_recursion_without_visited_refuses_exponential_work_saying_how_much():
    x = Value(1.0)
    for _ in range(20):
        x = x + x
    with pytest.raises(ValueError, match=r"would apply 2,097,150 edges in 2,097,151 calls.*backward\(\) takes 40"):
        wrong_gradients(x, "recursion_without_visited")
    assert MAX_APPLICATIONS < 2_097_150


def test_backward_twice_micrograd_010_against_ours():
    # First call: c = 1, b = 2, a = 4 everywhere. Second, 0.1.0: c = 1, b = 2 + 1 + 1 = 4, a = 4 + 4 + 4 = 12.
    # Ours resets interior values: b = 2 again, and the leaf accumulates: a = 4 + 4 = 8.
    a, b, c = doubled()
    report = compare(c, "backward_twice")
    assert by_label(report.wrong) == {"a": 12.0, "b": 4.0, "c": 1.0}
    assert by_label(report.right) == {"a": 8.0, "b": 2.0, "c": 1.0}
    c.backward()
    c.backward()
    assert (a.grad, b.grad, c.grad) == (8.0, 2.0, 1.0)  # what ours really does
    assert report.first_divergence == 1


def test_backward_twice_agrees_where_only_leaves_receive():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    report = compare(a * b, "backward_twice")
    assert report.first_divergence is None
    assert by_label(report.wrong) == {"a": 6.0, "b": 4.0}


def test_no_zero_grad_second_step_carries_the_first():
    # L = a·a at a = 1: step 1 gives 2, a becomes 1 - 0.1·2 = 0.8, step 2 gives 1.6, plus the 2 left: 3.6.
    a = Value(1.0, label="a")
    loss = a * a
    report = compare(loss, "no_zero_grad")
    assert report.right[a] == pytest.approx(1.6)
    assert report.wrong[a] == pytest.approx(3.6)
    assert report.first_divergence == 1
    assert "left in a.grad by the first step" in report.explanation
    # with lr = 0 the second step is at the same point: twice the gradient
    assert wrong_gradients(loss, "no_zero_grad", lr=0)[a] == 4.0
    assert a.data == 1.0 and a.grad == 0.0  # the graph given is not moved, no grad touched


def test_no_zero_grad_only_parameters_carry():
    w, x = Value(2.0, label="w"), Value(3.0, label="x")
    loss = w * x
    grads = wrong_gradients(loss, "no_zero_grad", params=[w], lr=0.5)
    # step 1: ∂/∂w = 3, ∂/∂x = 2; w becomes 2 - 1.5 = 0.5; step 2: ∂/∂w = 3 (+3 carried), ∂/∂x = 0.5
    assert grads[w] == 6.0 and grads[x] == 0.5


def test_set_of_parents_loses_the_second_edge():
    a = Value(3.0, label="a")
    square = a * a
    assert wrong_gradients(square, "set_of_parents")[a] == 3.0  # right: 6
    a, _b, c = doubled()
    assert by_label(wrong_gradients(c, "set_of_parents")) == {"a": 1.0, "b": 1.0, "c": 1.0}
    report = compare(c, "set_of_parents")
    assert report.first_divergence == 2 and report.explanation.startswith("b →₁ c is lost")


def test_wrong_local_tanh_from_the_input_and_relu_from_the_output():
    x = Value(0.5, label="x")
    assert wrong_gradients(x.tanh(), "wrong_local")[x] == 1 - 0.5**2  # right: 1 - tanh(0.5)²
    assert compare(x.tanh(), "wrong_local").right[x] == pytest.approx(1 - math.tanh(0.5) ** 2)
    y = Value(3.0, label="y")
    assert wrong_gradients(y.relu(), "wrong_local")[y] == 3.0  # right: 1
    s = Value(0.5, label="s")
    assert wrong_gradients(s.sigmoid(), "wrong_local")[s] == 0.25  # right: σ(0.5)(1 - σ(0.5)) ≈ 0.235
    # where the wrong rule happens to give the right number
    for value, op in ((0.0, "tanh"), (-2.0, "relu"), (1.0, "relu")):
        v = Value(value, label="v")
        assert compare(getattr(v, op)(), "wrong_local").first_divergence is None


# --------------------------------------------------------------------------- right where it does not matter


def test_overwrite_is_right_on_a_tree():
    a, b, c, d = (Value(x, label=n) for x, n in ((2.0, "a"), (-3.0, "b"), (0.5, "c"), (4.0, "d")))
    out = (a * b).tanh() + (c - d).exp()
    report = compare(out, "overwrite")
    assert report.first_divergence is None and not report.wrong_values()
    assert report.wrong == report.right


def test_no_topological_order_is_right_on_a_chain():
    a = Value(0.3, label="a")
    out = ((a * 2).tanh().exp() + 1).log().sigmoid()
    for name in ("no_topological_order", "recursion_without_visited", "overwrite", "set_of_parents"):
        report = compare(out, name)
        assert report.first_divergence is None, name
        assert report.wrong == report.right


def test_a_leaf_output():
    a = Value(2.0, label="a")
    for name in NAMES:
        assert wrong_gradients(a, name)[a] in (1.0, 2.0)
    assert compare(a, "overwrite").first_divergence is None


# --------------------------------------------------------------------------- the learner's code, literally


def fresh(output: Value) -> tuple[Value, list[Value], list[Value]]:
    """A copy of the graph with every grad 0: (copy, its order, the original order)."""
    order = topological_order(output)
    twin = copy.deepcopy(output)
    twin_order = topological_order(twin)
    for node in twin_order:
        node.grad = 0.0
    return twin, twin_order, order


def literal(output: Value, name: str) -> tuple[dict[Value, float], list[tuple[Value, int, float]]]:
    """Run the learner's wrong code on a copy's .grad; the grads (by original value) and every
    write (child, argument, parent's grad after it), in the copy's nodes mapped back."""
    twin, twin_order, order = fresh(output)
    back = dict(zip(twin_order, order))
    log = []

    def add(child, j, amount, assign=False):
        parent = child.parents[j]
        parent.grad = amount if assign else parent.grad + amount
        log.append((back[child], j, parent.grad))

    if name == "overwrite":
        twin.grad = 1.0
        for node in reversed(twin_order):
            for j, local in enumerate(node.local_grads):
                add(node, j, local * node.grad, assign=True)
    elif name == "no_topological_order":

        def visit(node, visited):
            visited.add(node)
            for j, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
                add(node, j, local * node.grad)
                if parent not in visited:
                    visit(parent, visited)

        twin.grad = 1.0
        visit(twin, set())
    elif name == "recursion_without_visited":

        def visit(node):
            for j, local in enumerate(node.local_grads):
                add(node, j, local * node.grad)
            for parent in node.parents:
                visit(parent)

        twin.grad = 1.0
        visit(twin)
    elif name == "backward_twice":
        twin.backward()  # the first call: a fresh graph, so every engine agrees
        twin.grad = 1.0  # micrograd 0.1.0: self.grad = 1, nothing reset
        for node in reversed(twin_order):
            for j, local in enumerate(node.local_grads):
                add(node, j, local * node.grad)
    elif name == "set_of_parents":
        twin.grad = 1.0
        for node in reversed(twin_order):
            local_of = dict(zip(node.parents, node.local_grads))
            seen = set()
            for j, parent in enumerate(node.parents):
                if parent in seen:
                    log.append((back[node], j, parent.grad))  # nothing written: the edge is not there
                    continue
                seen.add(parent)
                add(node, j, local_of[parent] * node.grad)
    elif name == "wrong_local":
        twin.grad = 1.0
        for node in reversed(twin_order):
            for j, local in enumerate(node.local_grads):
                if node.op == "tanh":
                    local = 1 - node.parents[0].data ** 2
                elif node.op == "sigmoid":
                    local = node.parents[0].data * (1 - node.parents[0].data)
                elif node.op == "relu":
                    local = node.data
                add(node, j, local * node.grad)
    else:
        raise AssertionError(name)
    return {back[node]: node.grad for node in twin_order}, log


LITERAL = [name for name in NAMES if name != "no_zero_grad"]


def close_or_equal(x: float, y: float) -> bool:
    return x == y or math.isclose(x, y, rel_tol=1e-9, abs_tol=0.0)  # as micrograd.mistakes tells rounding apart


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(max_steps=8), st.sampled_from(LITERAL))
def test_each_mistake_is_the_learner_code_on_random_graphs(expr: Expression, name: str):
    output = expr(*[Value(x, label=f"x{k}") for k, x in enumerate(expr.inputs)])
    if name == "recursion_without_visited":
        from micrograd.mistakes import _recursion_work

        assume(_recursion_work(topological_order(output))[1] <= 5000)
    grads, _ = literal(output, name)
    wrong = wrong_gradients(output, name)
    assert set(wrong) == set(grads)
    for node, g in grads.items():
        assert close_or_equal(wrong[node], g), (name, node, wrong[node], g)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(max_steps=8), st.sampled_from(LITERAL))
def test_first_divergence_is_where_a_replay_first_differs(expr: Expression, name: str):
    """Replay backward_steps and the learner's code side by side; the first step that writes a
    different number is first_divergence."""
    output = expr(*[Value(x, label=f"x{k}") for k, x in enumerate(expr.inputs)])
    if name == "recursion_without_visited":
        from micrograd.mistakes import _recursion_work

        assume(_recursion_work(topological_order(output))[1] <= 5000)
    steps = backward_steps(output)
    _, log = literal(output, name)
    report = compare(output, name)
    if name == "backward_twice":
        # the right pass is our second call: interior values from 0, leaves from the first call
        order = topological_order(output)
        first = steps.grads_after()
        grads = {node: first[node] for node in order if node.is_leaf()}
        grads[output] = 1.0
        expected = None
        for step, (_, _, after) in zip(steps, log):
            right = grads.get(step.parent, 0.0) + (step.local * grads[step.child] if grads[step.child] else 0.0)
            grads[step.parent] = right
            if not close_or_equal(after, right):
                expected = step.number
                break
    elif name in ("no_topological_order", "recursion_without_visited"):
        number = {(s.child, s.argument): s for s in steps}
        right_grads = steps.grads_after()
        seen, expected = set(), None
        running = {output: 1.0}
        for child, j, after in log:
            step = number[child, j]
            upstream = running.get(child, 0.0)
            running[step.parent] = after
            if (child, j) in seen or not close_or_equal(step.local * upstream, step.local * right_grads[child]):
                expected = step.number
                break
            seen.add((child, j))
    else:
        expected = next(
            (s.number for s, (child, j, after) in zip(steps, log) if not close_or_equal(after, s.after)), None
        )
        assert all((s.child, s.argument) == (child, j) for s, (child, j, _) in zip(steps, log))
    assert report.first_divergence == expected
    if expected is None:
        assert report.divergent is None
    else:
        assert report.divergent.step == expected
        assert report.explanation.startswith(steps.edge_text(steps[expected - 1])) or name in ("backward_twice",)


# the steps that use each operand once (div's a / (1 + b*b) uses b twice: not a tree)
TREE_STEPS = ["add", "sub", "mul", "neg", "square", "cube", "rsub", "rpow", "exp", "tanh", "sigmoid", "relu", "abs",
              "weighted_sum"]  # fmt: skip


@st.composite
def trees(draw):
    """Random expression graphs in which no value is used twice: every operand is taken from
    a pool of values nobody has used yet, and the output sums what is left."""
    n = draw(st.integers(1, 5))
    pool = [Value(draw(floats_between(-2, 2)), label=f"x{k}") for k in range(n)]
    for _ in range(draw(st.integers(0, 8))):
        name = draw(st.sampled_from([s for s in TREE_STEPS if STEPS[s][0] <= len(pool)]))
        arity = STEPS[name][0]
        picks = draw(st.lists(st.integers(0, len(pool) - 1), min_size=arity, max_size=arity, unique=True))
        operands = [pool[k] for k in picks]
        pool = [v for k, v in enumerate(pool) if k not in picks]
        pool.append(STEPS[name][1](*operands))
    out = pool[0]
    for v in pool[1:]:
        out = out + v
    return out


def uses(output: Value) -> dict[Value, int]:
    count = dict.fromkeys(topological_order(output), 0)
    for node in count:
        for parent in node.parents:
            count[parent] += 1
    return count


@settings(max_examples=150)
@given(trees())
def test_overwrite_equals_backward_wherever_no_value_has_two_consumers(output: Value):
    assume(max(uses(output).values(), default=0) <= 1)  # STEPS such as a*a/2 reuse an operand
    wrong = wrong_gradients(output, "overwrite")
    output.backward()
    for node, g in wrong.items():
        assert g == node.grad


def test_overwrite_differs_on_some_graph_where_a_value_has_two_consumers():
    def differs(expr: Expression) -> bool:
        out = expr(*[Value(x) for x in expr.inputs])
        if max(uses(out).values()) < 2:
            return False
        return compare(out, "overwrite").first_divergence is not None

    example = find(expressions(max_steps=4), differs, settings=settings(database=None, max_examples=500))
    out = example(*[Value(x) for x in example.inputs])
    assert compare(out, "overwrite").wrong_values()


@settings(max_examples=40)
@given(expressions(max_steps=6), st.sampled_from(NAMES))
def test_no_grad_is_touched(expr: Expression, name: str):
    output = expr(*[Value(x, label=f"x{k}") for k, x in enumerate(expr.inputs)])
    order = topological_order(output)
    for k, node in enumerate(order):
        node.grad = float(k)
    data = [node.data for node in order]
    try:
        compare(output, name)
    except ValueError as error:  # recursion_without_visited on a graph with too many paths
        assert "recursion_without_visited" in str(error)
    assert [node.grad for node in order] == [float(k) for k in range(len(order))]
    assert [node.data for node in order] == data


def test_overwrite_matches_notebook_10s_overwriting_backward():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = a * b + a * a
    wrong = wrong_gradients(out, "overwrite")
    overwriting_backward(out)
    assert {node: node.grad for node in topological_order(out)} == wrong


# --------------------------------------------------------------------------- the report


def test_the_table_marks_the_wrong_values():
    _a, _b, c = doubled()
    report = compare(c, "overwrite")
    assert isinstance(report, Comparison)
    text = str(report)
    assert text.splitlines()[0] == "overwrite on c: 2 of 3 gradients wrong; first wrong at step 2 of 4 (b →₁ c)"
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines()[2:5]}
    assert rows == {"c": ["1", "1"], "b": ["2", "1", "✗"], "a": ["4", "1", "✗"]}
    assert report.explanation == (
        "b →₁ c wrote 1 over the 1 already there: the path through b →₀ c is lost (backward() adds them: 1 + 1 = 2)."
    )
    assert text.endswith(report.explanation)
    assert "first_divergence=2" in repr(report)
    assert report.divergent_edge == "b →₁ c"
    assert compare(Value(1.0) * Value(2.0), "overwrite").divergent_edge is None


def test_the_html_table_marks_wrong_cells_and_escapes_labels():
    a = Value(1.0, label="<a&>")
    b = a + a
    b.label = "<script>"
    report = compare(b, "overwrite")
    page = report._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;a&amp;&gt;" in page
    assert page.count("class='wrong'") == 1
    assert "✗" in page


def test_network_names_in_the_report():
    from micrograd.nn import MLP

    model = MLP(2, [3, 3, 2], seed=1)
    x = [Value(0.5, label="x[1]"), Value(-1.0, label="x[2]")]
    outputs = model(x)
    loss = sum((o - t) ** 2 for o, t in zip(outputs, (1.0, 0.0)))
    loss.label = "C"
    report = compare(loss, "overwrite")
    assert report.first_divergence is not None
    assert "∂C/∂value" in str(report)
    assert "w²₁₁" in str(report)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("function", [wrong_gradients, compare])
def test_bad_input_is_a_clear_error(function):
    a = Value(1.0)
    with pytest.raises(TypeError, match=r"needs a Value \(the output\), got float 1.0"):
        function(1.0, "overwrite")
    with pytest.raises(ValueError, match=r"unknown mistake 'overwrites'; the mistakes are overwrite, no_topological"):
        function(a, "overwrites")
    with pytest.raises(TypeError, match=r"the mistake must be a name \(a str\), got int 3"):
        function(a, 3)
    with pytest.raises(TypeError, match=r"unexpected option lr= for 'overwrite' \(it takes no options\)"):
        function(a, "overwrite", lr=0.1)
    with pytest.raises(TypeError, match=r"no_zero_grad: lr must be a finite number, got str"):
        function(a * a, "no_zero_grad", lr="fast")
    with pytest.raises(TypeError, match=r"unexpected option rate= for 'no_zero_grad' \(it takes only lr and params\)"):
        function(a * a, "no_zero_grad", rate=0.1)
    with pytest.raises(ValueError, match=r"the parameter .* is not a leaf of this graph"):
        function(a * a, "no_zero_grad", params=[Value(2.0)])


def test_no_zero_grad_step_out_of_the_domain_is_a_clear_error():
    a = Value(0.5, label="a")
    loss = a.log()  # ∂/∂a = 2: a step of lr = 1 moves a to -1.5, where log is undefined
    with pytest.raises(
        ValueError, match=r"no_zero_grad: after the first step \(lr=1.0\) the graph cannot be evaluated"
    ):
        wrong_gradients(loss, "no_zero_grad", lr=1.0)


def test_backward_pass_writes_the_wrong_gradients():
    a, b, c = doubled()
    backward_pass("overwrite")(c)
    assert (a.grad, b.grad, c.grad) == (1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="unknown mistake 'nope'"):
        backward_pass("nope")


# --------------------------------------------------------------------------- micrograd 0.1.0 itself

MICROGRAD_010 = Path(__file__).resolve().parent.parent / "benchmarks" / ".micrograd-0.1.0"

# Only operations that make the same nodes in both engines (0.1.0 builds a - b as a + (-1 * b),
# a / b as a * b**-1), since the second call's error depends on every interior value.
SAME_GRAPH = """
def same_graph(a, b):
    c = a * b + b**3
    d = c * c + (c + a).relu()
    e = d * c + d**2
    return e * e + e
"""

TWICE_PROGRAM = """
import json, sys
from micrograd.engine import Value

a = Value(1.0); b = a + a; c = b + b
c.backward(); c.backward()
doubled = {"a": a.grad, "b": b.grad, "c": c.grad}
x, y = Value(0.5), Value(-1.5)
g = same_graph(x, y)
g.backward(); g.backward()
print(json.dumps({"module": sys.modules["micrograd.engine"].__file__, "doubled": doubled, "graph": [x.grad, y.grad]}))
"""


@pytest.mark.skipif(
    not (MICROGRAD_010 / "micrograd" / "engine.py").is_file(),
    reason="micrograd 0.1.0 is not installed in benchmarks/.micrograd-0.1.0 (`make bench` puts it there)",
)
def test_backward_twice_is_what_micrograd_010_itself_leaves():
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", SAME_GRAPH + TWICE_PROGRAM],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(MICROGRAD_010), "PATH": os.environ.get("PATH", "")},
        cwd=MICROGRAD_010,  # python -c puts the working folder first on sys.path: not this checkout
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)
    assert theirs["module"].startswith(str(MICROGRAD_010))
    *_, c = doubled()
    assert by_label(wrong_gradients(c, "backward_twice")) == theirs["doubled"]  # 12, 4, 1
    scope: dict = {}
    exec(SAME_GRAPH, scope)
    x, y = Value(0.5, label="x"), Value(-1.5, label="y")
    g = scope["same_graph"](x, y)
    ours = wrong_gradients(g, "backward_twice")
    assert [ours[x], ours[y]] == pytest.approx(theirs["graph"], rel=1e-12)
    right = compare(g, "backward_twice").right  # our backward() twice: leaves hold twice their gradient
    g.backward()
    assert [right[x], right[y]] == [2 * x.grad, 2 * y.grad]
    assert [ours[x], ours[y]] != pytest.approx([right[x], right[y]])


@pytest.mark.parametrize("name", NAMES)
def test_frames_of_both_passes_end_at_their_gradients(name):
    _, _, c = doubled()
    report = compare(c, name)
    assert report.wrong_after() == report.wrong
    assert report.right_after() == report.right
    assert report.wrong_after(0) == {c: report.wrong[c]}
    if name not in ("backward_twice", "no_zero_grad"):
        steps = backward_steps(c)
        assert all(report.right_after(k) == steps.grads_after(k) for k in range(len(steps) + 1))
    with pytest.raises(ValueError, match="k must be an int from 0 to"):
        report.wrong_after(len(report.wrong_writes) + 1)


def test_a_long_table_says_what_it_leaves_out():
    x = Value(0.5, label="x")
    out = x
    for _ in range(40):
        out = out * 0.5 + x  # x used 41 times: 121 values
    report = compare(out, "overwrite")
    text = str(report)
    assert len(text.splitlines()) == 2 + report.max_rows + 2 + bool(report.steps.names_note())
    hidden = len(report.order) - report.max_rows
    wrong_hidden = sum(1 for node in report.wrong_values() if node in report.order[:hidden])
    assert f"… {hidden} more values not shown, {wrong_hidden} of them wrong …" in text
    assert f"… {hidden} more values not shown" in report._repr_html_()


def test_every_explanation_is_about_its_own_step_on_random_graphs():
    @settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])
    @given(expressions(max_steps=8), st.sampled_from(NAMES))
    def run(expr: Expression, name: str):
        output = expr(*[Value(x, label=f"x{k}") for k, x in enumerate(expr.inputs)])
        try:
            report = compare(output, name)
        except ValueError:
            return  # recursion_without_visited past its limit
        assert report.explanation.endswith(".")
        if report.first_divergence is not None:
            assert report.explanation.startswith(report.divergent_edge)

    run()
