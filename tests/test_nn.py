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

from micrograd.engine import Value
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
