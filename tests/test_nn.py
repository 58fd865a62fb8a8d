"""micrograd.nn: shapes, micrograd 0.1.0 compatibility, seeding, activations, save/load."""

from __future__ import annotations

import json
import os
import random
import re
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import json_values

from micrograd.engine import Value, topological_order
from micrograd.nn import ACTIVATIONS, MLP, Layer, Module, Neuron, from_dict, load

# --------------------------------------------------------------------------- shapes and calls


def test_mlp_of_micrograd_demo_has_337_parameters_and_returns_a_value():
    model = MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == 337
    out = model([Value(1.0), Value(-0.5)])
    assert isinstance(out, Value)


def test_several_outputs_come_back_as_a_list_of_values():
    out = MLP(3, [4, 5], seed=0)([1.0, 2.0, 3.0])
    assert isinstance(out, list) and len(out) == 5 and all(isinstance(o, Value) for o in out)


def test_hidden_layers_of_width_1_work():
    model = MLP(2, [1, 1, 3], seed=0)
    assert len(model([0.5, 0.5])) == 3
    assert isinstance(MLP(1, [1, 1], seed=0)(2.0), Value)


def test_floats_values_and_tuples_give_the_same_output_bit_for_bit():
    model = MLP(2, [8, 8, 1], activation="tanh", seed=3)
    a = model([0.25, -1.5]).data
    assert model([Value(0.25), Value(-1.5)]).data == a
    assert model((0.25, -1.5)).data == a
    assert model([Value(0.25), -1.5]).data == a


def test_a_lone_number_is_the_input_of_a_one_input_model():
    model = MLP(1, [3, 1], seed=0)
    assert model(0.5).data == model([0.5]).data


def test_backward_through_an_mlp_reaches_every_parameter_and_the_inputs():
    model = MLP(2, [4, 1], activation="tanh", seed=1)
    x = [Value(0.3), Value(-0.7)]
    model(x).backward()
    assert all(p.grad != 0 for p in model.parameters())
    assert all(xi.grad != 0 for xi in x)


def test_zero_grad_resets_every_parameter():
    model = MLP(2, [3, 1], activation="tanh", seed=1)
    model([1.0, 2.0]).backward()
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert Module().parameters() == []


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: MLP(0, [1]), ValueError),
        (lambda: MLP(2, []), ValueError),
        (lambda: MLP(2, [4, 0]), ValueError),
        (lambda: MLP(2, [1], activation="swish"), ValueError),  # no hidden layer, still checked
        (lambda: MLP(2, [3, 1], output_activation="softmax"), ValueError),
        (lambda: MLP(2, [3], seed="7"), TypeError),
        (lambda: MLP(True, [3]), ValueError),
        (lambda: Neuron(2, activation="gelu"), ValueError),
        (lambda: Layer(2, 0), ValueError),
    ],
)
def test_bad_construction_arguments_are_clear_errors(make, error):
    with pytest.raises(error):
        make()


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        ([1.0], ValueError, "expected 2 inputs, got 1"),
        ([1.0, 2.0, 3.0], ValueError, "expected 2 inputs, got 3"),
        ([Value(1.0)], ValueError, "expected 2 inputs, got 1"),
        (["a", 1.0], TypeError, "str"),
        ([None, 1.0], TypeError, "NoneType"),
        ([True, 1.0], TypeError, "bool"),
        ("ab", TypeError, "sequence"),
        ([float("nan"), 1.0], ValueError, "finite"),
    ],
)
def test_bad_inputs_are_clear_errors_at_every_entry_point(x, error, match):
    model = MLP(2, [3, 1], seed=0)
    for call in (model, model.layers[0], model.layers[0].neurons[0]):
        with pytest.raises(error, match=match):
            call(x)


# --------------------------------------------------------------------------- micrograd 0.1.0


def test_without_a_seed_weights_come_from_the_global_random_in_micrograd_order():
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    random.seed(1337)
    expected = []
    for nin, nout in [(2, 16), (16, 16), (16, 1)]:
        for _ in range(nout):
            expected += [random.uniform(-1, 1) for _ in range(nin)] + [0.0]  # w..., then b = 0
    assert [p.data for p in model.parameters()] == expected


def test_micrograd_names_and_defaults():
    n = Neuron(3)
    assert n.nonlin and n.activation == "relu" and len(n.w) == 3 and n.b.data == 0.0
    assert not Neuron(3, nonlin=False).nonlin
    assert all(-1 <= w.data <= 1 for w in n.w)
    layer = Layer(2, 1)
    assert isinstance(layer([1.0, 2.0]), Value)
    assert isinstance(Layer(2, 3)([1.0, 2.0]), list)
    model = MLP(2, [2, 1])
    assert repr(model) == ("MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]")
    assert [n.nonlin for layer in model.layers for n in layer.neurons] == [True, True, False]


def test_relu_neuron_is_relu_of_the_weighted_sum():
    n = Neuron(2, seed=0)
    out = n([1.0, 2.0])
    z = n.w[0].data * 1.0 + n.w[1].data * 2.0 + n.b.data
    assert out.data == max(z, 0.0)


# --------------------------------------------------------------------------- seeds and activations


def test_the_same_seed_gives_the_same_weights_and_leaves_random_alone():
    random.seed(5)
    before = random.getstate()
    a, b = MLP(2, [5, 3], seed=42), MLP(2, [5, 3], seed=42)
    assert random.getstate() == before
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in MLP(2, [5, 3], seed=43).parameters()]


def test_a_random_instance_is_accepted_as_seed():
    rng = random.Random(9)
    a = MLP(2, [3], seed=rng)
    b = MLP(2, [3], seed=random.Random(9))
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_each_activation_is_one_op_applied_to_the_weighted_sum(activation):
    model = MLP(2, [3, 1], activation=activation, seed=0)
    hidden = model.layers[0].neurons[0]([0.5, -0.25])
    if activation == "linear":
        assert hidden.op == "Σwx+b"
    else:
        assert hidden.op == activation
        (z,) = hidden.parents
        assert z.op == "Σwx+b"
    assert model.layers[-1].neurons[0].activation == "linear"


def test_output_activation_changes_only_the_last_layer():
    model = MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    assert [layer.neurons[0].activation for layer in model.layers] == ["tanh", "sigmoid"]
    assert 0 < model([1.0, 1.0]).data < 1


# --------------------------------------------------------------------------- names by role


def test_a_2332_network_names_its_values_as_the_notebooks_do():
    # Nielsen's count, as notebook 3: the input is layer 1, layers 2 and 3 hidden, 4 the output.
    model = MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=1)
    first, last = model.layers[0].neurons[0], model.layers[2].neurons[1]
    assert [w.label for w in first.w] == ["w[2,1,1]", "w[2,1,2]"] and first.b.label == "b[2,1]"
    assert model.layers[1].neurons[2].w[0].label == "w[3,3,1]"  # into neuron 3 of layer 3, from a²₁
    assert [w.label for w in last.w] == ["w[4,2,1]", "w[4,2,2]", "w[4,2,3]"] and last.b.label == "b[4,2]"
    out = model([0.5, -1.0])
    assert [a.label for a in out] == ["a[4,1]", "a[4,2]"]
    z = out[1].parents[0]
    assert z.label == "z[4,2]" and [p.label for p in z.parents[3:6]] == ["a[3,1]", "a[3,2]", "a[3,3]"]
    leaves = {v.label for v in topological_order(out[0]) if v.is_leaf()}  # all but output neuron 2's
    other_neuron = {"w[4,2,1]", "w[4,2,2]", "w[4,2,3]", "b[4,2]"}
    assert leaves == {p.label for p in model.parameters()} - other_neuron | {"x[1]", "x[2]"}
    assert len({p.label for p in model.parameters()}) == len(model.parameters())  # no two alike


def test_micrographs_2_16_16_1_names_a_linear_output_by_its_z():
    model = MLP(2, [16, 16, 1], seed=1337)
    out = model([1.0, -0.5])
    assert out.label == "z[4,1]" and out.parents[0].label == "w[4,1,1]" and out.parents[-1].label == "b[4,1]"
    hidden = out.parents[16]
    assert hidden.label == "a[3,1]" and hidden.op == "relu" and hidden.parents[0].label == "z[3,1]"
    assert model.layers[0].neurons[15].w[1].label == "w[2,16,2]"
    labels = [p.label for p in model.parameters()]
    assert len(set(labels)) == 337 and all(label[0] in "wb" for label in labels)


def test_a_label_you_set_wins_over_the_role_name():
    model = MLP(2, [2, 1], seed=0)
    model.layers[0].neurons[0].w[0].label = "mine"
    x = [Value(1.0, label="height"), Value(2.0)]
    out = model(x)
    z = out.parents[2].parents[0]  # a[2,1] -> z[2,1]
    assert z.parents[0].label == "mine" and z.parents[2] is x[0] and x[0].label == "height"
    assert x[1].label == ""  # a Value of yours is never renamed, even one without a label
    out.label = "score"
    assert out.label == "score"


def test_numbers_given_as_inputs_become_x_k():
    model = MLP(3, [2], seed=0)
    out = model([1.0, 2.0, 3.0])
    assert [p.label for p in out[0].parents[3:6]] == ["x[1]", "x[2]", "x[3]"]
    assert MLP(1, [1], seed=0)(2.0).parents[1].label == "x[1]"


def test_a_neuron_or_layer_on_its_own_names_nothing():
    out = Layer(2, 2, seed=0)([1.0, 2.0])
    assert all(v.label == "" for o in out for v in [o, *o.parents[0].parents])


def test_a_loaded_model_has_the_same_names(tmp_path):
    model = MLP(2, [3, 1], seed=0)
    model.save(tmp_path / "m.json")
    loaded = load(tmp_path / "m.json")
    assert [p.label for p in loaded.parameters()] == [p.label for p in model.parameters()]
    assert from_dict(model.to_dict())([1.0, 2.0]).label == "z[3,1]"


# --------------------------------------------------------------------------- save / load


def outputs(model, x):
    out = model(x)
    return [o.data for o in out] if isinstance(out, list) else [out.data]


architectures = st.tuples(
    st.integers(1, 4),
    st.lists(st.integers(1, 5), min_size=1, max_size=3),
    st.sampled_from(list(ACTIVATIONS)),
    st.sampled_from(list(ACTIVATIONS)),
    st.integers(0, 2**32),
)


@settings(max_examples=40, deadline=None)
@given(architectures, st.lists(st.floats(-3, 3), min_size=4, max_size=4))
def test_save_then_load_gives_the_same_outputs_bit_for_bit(tmp_path_factory, arch, xs):
    nin, nouts, hidden, last = arch[:4]
    model = MLP(nin, nouts, activation=hidden, output_activation=last, seed=arch[4])
    for p in model.parameters():  # biases too, and awkward floats
        p.data = p.data * 1.2345678901234567 + 1e-17
    path = tmp_path_factory.mktemp("save") / "model.json"
    model.save(path)
    loaded = load(path)
    assert [p.data for p in loaded.parameters()] == [p.data for p in model.parameters()]
    assert [[n.activation for n in layer.neurons] for layer in loaded.layers] == [
        [n.activation for n in layer.neurons] for layer in model.layers
    ]
    assert outputs(loaded, xs[:nin]) == outputs(model, xs[:nin])
    assert type(loaded([0.0] * nin)) is type(model([0.0] * nin))


def test_to_dict_is_the_saved_file_and_from_dict_reads_it_back(tmp_path):
    model = MLP(2, [3, 2], activation="sigmoid", seed=4)
    path = tmp_path / "m.json"
    model.save(path)
    assert model.to_dict() == json.loads(path.read_text())
    again = from_dict(model.to_dict())
    assert [v.data for v in again([0.3, -1.2])] == [v.data for v in model([0.3, -1.2])]


@pytest.mark.parametrize("doc", [None, [], {"format": "micrograd-mlp"}, {**MLP(2, [1], seed=0).to_dict(), "nin": 0}])
def test_from_dict_names_its_source_and_the_problem(doc):
    with pytest.raises(ValueError, match=r"cannot load a model from the upload: "):
        from_dict(doc, "the upload")


def test_saved_file_is_readable_json_with_architecture_and_weights(tmp_path):
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    path = tmp_path / "m.json"
    model.save(str(path))
    doc = json.loads(path.read_text())
    assert doc["format"] == "micrograd-mlp" and doc["version"] == 1
    assert doc["nin"] == 2 and doc["nouts"] == [3, 1]
    assert doc["activations"] == ["tanh", "linear"]
    assert doc["layers"][0]["weights"][1] == [w.data for w in model.layers[0].neurons[1].w]
    assert doc["layers"][1]["biases"] == [0.0]


def test_load_leaves_the_global_random_state_alone(tmp_path):
    MLP(2, [3, 1], seed=0).save(tmp_path / "m.json")
    random.seed(3)
    state = random.getstate()
    load(tmp_path / "m.json")
    assert random.getstate() == state


def test_save_replaces_the_file_in_one_step_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "m.json"
    path.write_text("old")
    MLP(2, [3, 1], seed=0).save(path)
    assert load(path) is not None
    assert sorted(os.listdir(tmp_path)) == ["m.json"]


def test_a_failed_save_leaves_the_old_file_untouched(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(path)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="simulated"):
        MLP(2, [3, 1], seed=1).save(path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.json"]


def test_saved_file_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        MLP(2, [1], seed=0).save(tmp_path / "m.json")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "m.json").st_mode) == 0o644


def test_a_layer_mixing_activations_cannot_be_saved(tmp_path):
    model = MLP(2, [2, 1], seed=0)
    model.layers[0].neurons[1] = Neuron(2, activation="tanh", seed=0)
    with pytest.raises(ValueError, match="mixes activations"):
        model.save(tmp_path / "m.json")


def test_loading_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.json")


def test_loading_a_directory_is_an_os_error(tmp_path):
    with pytest.raises(OSError):
        load(tmp_path)


def saved_text(tmp_path) -> str:
    path = tmp_path / "good.json"
    MLP(2, [3, 2], seed=0).save(path)
    return path.read_text()


def test_every_truncation_of_a_saved_file_is_a_value_error_naming_the_file(tmp_path):
    text = saved_text(tmp_path)
    path = tmp_path / "cut.json"
    for end in range(len(text.rstrip())):
        path.write_text(text[:end])
        with pytest.raises(ValueError, match=r"cut\.json") as info:
            load(path)
        assert "empty" in str(info.value) or "JSON" in str(info.value), end


def mutate(doc: dict, change) -> dict:
    doc = json.loads(json.dumps(doc))
    change(doc)
    return doc


def _set(*keys_and_value):
    *keys, value = keys_and_value

    def change(doc):
        target = doc
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value

    return change


def _delete(key):
    return lambda doc: doc.pop(key)


CORRUPTIONS = {
    "format": (_set("format", "pickle"), "'format'"),
    "no format": (_delete("format"), "'format'"),
    "future version": (_set("version", 2), "newer"),
    "bad version": (_set("version", "1"), "version"),
    "missing nin": (_delete("nin"), "'nin' is missing"),
    "missing layers": (_delete("layers"), "'layers' is missing"),
    "nin zero": (_set("nin", 0), "'nin'"),
    "nin bool": (_set("nin", True), "'nin'"),
    "nouts empty": (_set("nouts", []), "'nouts'"),
    "nouts float": (_set("nouts", [3, 2.0]), "'nouts'"),
    "too few activations": (_set("activations", ["relu"]), "'activations'"),
    "unknown activation": (_set("activations", ["relu", "swish"]), "activations\\[1\\]"),
    "missing layer": (lambda d: d["layers"].pop(), "'layers' must hold 2"),
    "layers not a list": (_set("layers", {}), "'layers'"),
    "layer not an object": (_set("layers", 0, [1, 2]), "layers\\[0\\]"),
    "missing row": (lambda d: d["layers"][0]["weights"].pop(), "layers\\[0\\].weights must hold 3 rows"),
    "short row": (lambda d: d["layers"][1]["weights"][0].pop(), "layers\\[1\\].weights\\[0\\] must hold 3"),
    "long row": (lambda d: d["layers"][0]["weights"][2].append(0.5), "layers\\[0\\].weights\\[2\\] must hold 2"),
    "missing bias": (lambda d: d["layers"][1]["biases"].pop(), "layers\\[1\\].biases must hold 2"),
    "string weight": (_set("layers", 0, "weights", 0, 1, "0.5"), "layers\\[0\\].weights\\[0\\]\\[1\\]"),
    "bool weight": (_set("layers", 0, "weights", 0, 0, False), "weights\\[0\\]\\[0\\] must be a finite number"),
    "null bias": (_set("layers", 1, "biases", 0, None), "layers\\[1\\].biases\\[0\\]"),
    "huge int": (_set("layers", 1, "biases", 1, 10**400), "biases\\[1\\] must be a finite number"),
    "not an object": (lambda d: None, None),  # replaced below by a list document
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_each_wrongly_shaped_file_is_a_value_error_naming_file_and_field(tmp_path, case):
    change, match = CORRUPTIONS[case]
    doc = json.loads(saved_text(tmp_path))
    bad = [doc] if case == "not an object" else mutate(doc, change)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(ValueError, match=r"bad\.json") as info:
        load(path)
    if match:
        assert re.search(match, str(info.value)), str(info.value)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "empty"),
        (b"  \n\t", "empty"),
        (b"{", "not valid JSON"),
        (b"model", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "UTF-8"),
        (b"[1, 2", "not valid JSON"),
    ],
)
def test_empty_garbage_and_binary_files_are_value_errors(tmp_path, content, match):
    path = tmp_path / "weird.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as info:
        load(path)
    assert "weird.json" in str(info.value)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_weights_are_refused(tmp_path, constant):
    text = saved_text(tmp_path).replace("0.0", constant, 1)
    path = tmp_path / "inf.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="finite"):
        load(path)


def test_a_model_pickles_and_deep_copies_to_an_equal_independent_model():
    import copy
    import pickle

    model = MLP(2, [3, 1], activation="tanh", seed=0)
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert clone([0.5, -1.0]).data == model([0.5, -1.0]).data
        assert not {id(p) for p in clone.parameters()} & {id(p) for p in model.parameters()}


# --------------------------------------------------------------------------- hostile model files
# Every file below is refused with the documented ValueError naming the file, before any
# weight is built; none raises anything else, recurses without bound or allocates much.


def write(tmp_path, content, name="hostile.json"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def refused(path, match: str | None = None) -> str:
    with pytest.raises(ValueError, match=re.escape(path.name)) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message and len(message) < 300, message
    if match:
        assert re.search(match, message), message
    return message


def header(**fields) -> str:
    doc = {"format": "micrograd-mlp", "version": 1, "activations": ["linear"], "layers": []}
    return json.dumps({**doc, **fields})


def test_a_utf8_byte_order_mark_is_accepted_not_reported_as_truncation(tmp_path):
    text = saved_text(tmp_path)
    model = load(write(tmp_path, b"\xef\xbb\xbf" + text.encode("utf-8")))
    assert [p.data for p in model.parameters()] == [p.data for p in load(tmp_path / "good.json").parameters()]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_files_are_named_as_such(tmp_path, encoding):
    content = saved_text(tmp_path).encode(encoding)
    if encoding != "utf-16":  # no BOM: just not UTF-8 text
        refused(write(tmp_path, content), "UTF-8|JSON")
    else:
        refused(write(tmp_path, content), "UTF-16")


# A 148-byte file declaring a trillion inputs allocated gigabytes before it was refused.
HUGE_DECLARATIONS = {
    "nin 1e12": dict(nin=10**12, nouts=[1]),
    "wide layer": dict(nin=1, nouts=[10**9]),
    "many layers of 1000": dict(nin=1000, nouts=[1000] * 2),
    "nin 2**63": dict(nin=2**63, nouts=[2**63]),
    "thousands of digits": dict(nin=10**4000, nouts=[1]),
    "a count past the str() digit limit": dict(nin=10**4000, nouts=[10**400, 10**400]),
    "two absurd sizes": dict(nin=10**4000, nouts=[10**4000]),
}


@pytest.mark.parametrize("case", sorted(HUGE_DECLARATIONS))
def test_a_huge_declared_model_is_refused_before_anything_is_allocated(tmp_path, case):
    import tracemalloc

    path = write(tmp_path, header(**HUGE_DECLARATIONS[case]))
    tracemalloc.start()
    try:
        refused(path, "parameters; load reads at most 1,000,000")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, peak


def test_the_parameter_limit_is_exact(tmp_path, monkeypatch):
    import micrograd.nn as nn

    path = tmp_path / "m.json"
    MLP(2, [3, 2], seed=0).save(path)  # 9 + 8 = 17 parameters
    monkeypatch.setattr(nn, "MAX_PARAMETERS", 17)
    assert len(load(path).parameters()) == 17
    monkeypatch.setattr(nn, "MAX_PARAMETERS", 16)
    refused(path, "17 parameters; load reads at most 16")


def test_nothing_is_built_until_the_whole_file_is_checked(tmp_path, monkeypatch):
    import micrograd.nn as nn

    def built_too_early(*args, **kwargs):
        raise AssertionError("a layer was built before the file was checked")

    doc = json.loads(saved_text(tmp_path))
    doc["layers"][-1]["biases"][-1] = "last"  # the very last number is wrong
    path = write(tmp_path, json.dumps(doc))
    monkeypatch.setattr(nn, "Layer", built_too_early)
    refused(path, r"layers\[1\]\.biases\[1\]")


@pytest.mark.parametrize("limit", [100, 1000])
def test_a_file_larger_than_the_limit_is_refused_without_reading_it_all(tmp_path, monkeypatch, limit):
    import micrograd.nn as nn

    monkeypatch.setattr(nn, "MAX_FILE_BYTES", limit)
    refused(write(tmp_path, " " * limit + "{}"), "larger than")
    if os.path.exists("/dev/zero"):  # endless: only a bounded read ever returns
        with pytest.raises(ValueError, match="larger than"):
            load("/dev/zero")


def test_a_named_pipe_is_refused_instead_of_waiting_for_a_writer(tmp_path):
    path = tmp_path / "pipe.json"
    os.mkfifo(path)
    refused(path, "named pipe")


def test_a_number_with_too_many_digits_for_python_is_a_value_error(tmp_path):
    refused(write(tmp_path, header(nin=1, nouts=[1]).replace('"nin": 1', '"nin": 1' + "0" * 5000)), "digits")


DEEP = 100_000


@pytest.mark.parametrize(
    "where",
    ["document", "format", "version", "nin", "nouts", "activation", "layer", "weight", "bias"],
)
def test_deeply_nested_json_anywhere_is_the_documented_value_error(tmp_path, where):
    doc = json.loads(saved_text(tmp_path))
    marker = "DEEP"
    targets = {
        "format": ("format",),
        "version": ("version",),
        "nin": ("nin",),
        "nouts": ("nouts",),
        "activation": ("activations", 0),
        "layer": ("layers", 0),
        "weight": ("layers", 0, "weights", 0, 1),
        "bias": ("layers", 1, "biases", 0),
    }
    if where == "document":
        text = json.dumps(marker)
    else:
        _set(*targets[where], marker)(doc)
        text = json.dumps(doc)
    for depth in (DEEP, 500):  # too deep for the reader; readable but still not a number
        path = write(tmp_path, text.replace(json.dumps(marker), "[" * depth + "]" * depth))
        refused(path)


UNHASHABLE = [[], ["relu"], {}, {"relu": 1}, [[["deep"]]]]


@pytest.mark.parametrize("value", UNHASHABLE, ids=repr)
@pytest.mark.parametrize("field", ["format", "version", "nin", "nouts", "activation", "layers"])
def test_unhashable_values_in_any_field_are_value_errors_not_type_errors(tmp_path, value, field):
    doc = json.loads(saved_text(tmp_path))
    key = {"activation": ("activations", 1)}.get(field, (field,))
    _set(*key, value)(doc)
    refused(write(tmp_path, json.dumps(doc)))


def paths_into(doc) -> list[tuple]:
    """Every position in a parsed JSON document, as a tuple of keys and indices."""
    found, stack = [], [((), doc)]
    while stack:
        where, value = stack.pop()
        found.append(where)
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        stack.extend((where + (k,), v) for k, v in items)
    return found


def loads_or_is_refused(path) -> MLP | None:
    try:
        return load(path)
    except ValueError as error:
        assert path.name in str(error) and "\n" not in str(error) and len(str(error)) < 300
        return None


GOOD = json.loads(
    json.dumps(
        {
            "format": "micrograd-mlp",
            "version": 1,
            "nin": 2,
            "nouts": [3, 2],
            "activations": ["relu", "linear"],
            "layers": [
                {"weights": [[0.5, -1.0], [2.0, 0.25], [1e-300, -1e300]], "biases": [0.0, 1.0, -2.0]},
                {"weights": [[1.0, 2.0, 3.0], [-1.0, -2.0, -3.0]], "biases": [0.5, -0.5]},
            ],
        }
    )
)
GOOD_TEXT = json.dumps(GOOD, indent=1)
HOSTILE_EXAMPLES = 300  # per property below


@settings(max_examples=HOSTILE_EXAMPLES, deadline=None)
@given(json_values())
def test_any_json_document_loads_or_is_the_documented_value_error(tmp_path_factory, value):
    path = tmp_path_factory.mktemp("hostile") / "any.json"
    path.write_text(json.dumps(value))
    assert loads_or_is_refused(path) is None  # nothing without the format tag is a model


@settings(max_examples=HOSTILE_EXAMPLES, deadline=None)
@given(st.data())
def test_a_model_with_any_part_replaced_loads_consistently_or_is_refused(tmp_path_factory, data):
    where = data.draw(st.sampled_from(paths_into(GOOD)[1:]), label="where")
    value = data.draw(json_values(), label="value")
    doc = json.loads(GOOD_TEXT)
    _set(*where, value)(doc)
    path = tmp_path_factory.mktemp("hostile") / "replaced.json"
    path.write_text(json.dumps(doc))
    model = loads_or_is_refused(path)
    if model is not None:  # then what was written is what was read
        assert [len(layer.neurons) for layer in model.layers] == doc["nouts"]
        weights = [w for layer in doc["layers"] for row, b in zip(layer["weights"], layer["biases"]) for w in row + [b]]
        assert [p.data for p in model.parameters()] == [float(w) for w in weights]


@settings(max_examples=HOSTILE_EXAMPLES, deadline=None)
@given(st.data())
def test_a_model_file_with_bytes_cut_inserted_or_changed_loads_or_is_refused(tmp_path_factory, data):
    raw = bytearray(GOOD_TEXT.encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        at = data.draw(st.integers(0, len(raw)), label="at")
        edit = data.draw(st.sampled_from(["cut", "insert", "change"]), label="edit")
        byte = data.draw(st.sampled_from(b'[]{}",:-.e0129 \x00\xff\xef\xbb\xbf\n\\'), label="byte")
        if edit == "cut":
            del raw[at : at + data.draw(st.integers(1, 50))]
        elif edit == "insert":
            raw[at:at] = bytes([byte]) * data.draw(st.integers(1, 3000))
        elif at < len(raw):
            raw[at] = byte
    path = tmp_path_factory.mktemp("hostile") / "edited.json"
    path.write_bytes(bytes(raw))
    loads_or_is_refused(path)


# ------------------------------------------------- memory bounded by the model a file can describe


@pytest.mark.parametrize(
    "content, match",
    [
        ("[" + "[]," * 21_000_000 + "[]]", "arrays and objects"),  # 63 MB of tiny containers: 1.6 GB parsed
        ('{"format": "micrograd-mlp", "x": [' + "0," * 20_000_000 + "0]}", "values"),  # 40 MB of small ints
        ('{"format": "micrograd-mlp", "x": ' + "[" * 6 + "]" * 6 + "}", "nested more than 5"),
    ],
    ids=["21M containers", "20M values", "depth 7"],
)
def test_json_no_model_file_can_be_is_refused_before_it_is_parsed(tmp_path, monkeypatch, content, match):
    import time

    import micrograd.nn as nn

    def no_parsing(*args, **kwargs):
        raise AssertionError("the file was parsed before its size was checked")

    path = write(tmp_path, content)
    monkeypatch.setattr(nn.json, "loads", no_parsing)
    started = time.perf_counter()
    refused(path, match)
    assert time.perf_counter() - started < 5.0


def test_the_skeleton_check_is_cheap_in_memory(tmp_path):
    import tracemalloc

    path = write(tmp_path, "[" + "[[]]," * 1_500_000 + "[]]")  # 3 million containers, 7.5 MB
    tracemalloc.start()
    try:
        refused(path, "arrays and objects")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * path.stat().st_size, peak  # the text and one copy, not a parsed tree


def test_brackets_and_commas_inside_strings_are_not_structure(tmp_path, monkeypatch):
    import micrograd.nn as nn

    monkeypatch.setattr(nn, "MAX_PARAMETERS", 17)
    doc = json.loads(saved_text(tmp_path))
    doc["note"] = '[[[[[[[[{{{{,,,,"]]]]' * 100 + "\\"
    model = load(write(tmp_path, json.dumps(doc)))
    assert len(model.parameters()) == 17


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6),
    st.lists(st.integers(1, 5), min_size=1, max_size=12),
)
def test_no_loadable_model_is_refused_by_the_skeleton_check(tmp_path_factory, nin, nouts):
    """The bound is sound: with MAX_PARAMETERS exactly the model's size, its own file loads
    (long chains of one-neuron layers are the most containers per parameter)."""
    import micrograd.nn as nn

    model = MLP(nin, nouts, seed=0)
    path = tmp_path_factory.mktemp("models") / "m.json"
    model.save(path)
    count = len(model.parameters())
    saved = nn.MAX_PARAMETERS
    nn.MAX_PARAMETERS = count
    try:
        assert len(load(path).parameters()) == count
        compact = json.dumps(json.loads(path.read_text()), separators=(",", ":"))
        assert len(load(write(path.parent, compact, "compact.json")).parameters()) == count
    finally:
        nn.MAX_PARAMETERS = saved


def test_a_chain_of_one_neuron_layers_is_the_most_containers_and_still_loads(tmp_path, monkeypatch):
    import micrograd.nn as nn

    model = MLP(1, [1] * 300, seed=0)  # 600 parameters, 4 + 4·300 containers
    path = tmp_path / "chain.json"
    model.save(path)
    monkeypatch.setattr(nn, "MAX_PARAMETERS", 600)
    assert len(load(path).parameters()) == 600
    monkeypatch.setattr(nn, "MAX_PARAMETERS", 599)
    refused(path)


@pytest.mark.parametrize("digits", [640, 4000, 4299])
def test_an_absurd_integer_gets_loads_own_message_under_any_digit_limit(tmp_path, monkeypatch, digits):
    import sys

    path = write(tmp_path, header(nin=1, nouts=[1]).replace('"nin": 1', '"nin": 1' + "0" * (digits - 1)))
    for limit in (0, 640, 4300):  # 0: no limit; 640: the lowest Python allows
        monkeypatch.setattr(sys, "get_int_max_str_digits", sys.get_int_max_str_digits)
        old = sys.get_int_max_str_digits()
        sys.set_int_max_str_digits(limit)
        try:
            message = refused(path, "digits|parameters")
            assert "Exceeds the limit" not in message and "int_max_str_digits" not in message
            with pytest.raises(ValueError, match="a test") as info:
                from_dict(
                    {
                        "format": "micrograd-mlp",
                        "version": 1,
                        "nin": 10**digits,
                        "nouts": [10**digits],
                        "activations": ["linear"],
                        "layers": [],
                    },
                    "a test",
                )
            assert "Exceeds the limit" not in str(info.value)
        finally:
            sys.set_int_max_str_digits(old)
