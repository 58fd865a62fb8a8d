"""`micrograd train`: a short run writes the model and both pictures; bad arguments get one line."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from signals import child_with_default_signals

pytest.importorskip("matplotlib")

from micrograd.cli import main
from micrograd.data import make_moons, make_spiral
from micrograd.nn import load
from micrograd.train import accuracy

PNG = b"\x89PNG\r\n\x1a\n"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "micrograd", "train", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_a_short_run_writes_model_and_pictures(tmp_path):
    out = tmp_path / "run"
    result = run_cli("--steps", "3", "--hidden", "4", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(os.listdir(out)) == ["decision_boundary.png", "loss.png", "model.json"]
    assert (out / "loss.png").read_bytes().startswith(PNG)
    assert (out / "decision_boundary.png").read_bytes().startswith(PNG)
    assert "training accuracy" in result.stdout
    assert str(out / "decision_boundary.png") in result.stdout and str(out / "loss.png") in result.stdout
    assert "step 3/3" in result.stderr  # progress as lines when stderr is not a terminal
    model = load(out / "model.json")
    assert [len(layer.neurons) for layer in model.layers] == [4, 1]


def test_the_default_run_is_micrograds_demo_and_reaches_full_accuracy(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "MLP(2, [16, 16, 1]) relu, 337 parameters | hinge loss + 0.0001 L2 | SGD lr 1 -> 0.1, 100 steps" in out
    assert "training accuracy 100.0% (100/100)" in out
    X, y = make_moons(100, seed=1337)
    assert accuracy(load(tmp_path / "model.json"), X, y) == 1.0


def test_multiclass_datasets_train_with_cross_entropy(tmp_path, capsys):
    assert main(["train", "--dataset", "spiral", "--steps", "5", "--hidden", "8", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "cross-entropy loss" in out and "Adam" in out
    model = load(tmp_path / "model.json")
    X, _ = make_spiral(100, seed=1337)
    assert len(model(X[0])) == 3


def test_options_reach_the_model_and_the_optimiser(tmp_path, capsys):
    args = ["train", "--dataset", "circles", "--samples", "30", "--steps", "2", "--hidden", "3,2"]
    args += ["--activation", "tanh", "--optimizer", "adam", "--lr", "0.01", "--batch-size", "8", "--seed", "4"]
    assert main([*args, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "circles: 30 points" in out and "MLP(2, [3, 2, 1]) tanh" in out and "Adam lr 0.01 -> 0.001" in out
    model = load(tmp_path / "model.json")
    assert [layer.neurons[0].activation for layer in model.layers] == ["tanh", "tanh", "linear"]


def test_the_output_folder_is_created_and_files_are_replaced(tmp_path, capsys):
    out = tmp_path / "a" / "b"
    for _ in range(2):
        assert main(["train", "--steps", "1", "--hidden", "2", "--out", str(out)]) == 0
    assert sorted(os.listdir(out)) == ["decision_boundary.png", "loss.png", "model.json"]  # no temporary files


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--steps", "0"], "argument --steps: expected a number of at least 1, got 0"),
        (["--steps", "ten"], "argument --steps: expected a whole number, got 'ten'"),
        (["--steps"], "argument --steps: expected one argument"),
        (["--hidden", "16,x"], "argument --hidden: expected layer sizes separated by commas"),
        (["--hidden", "16,0"], "argument --hidden: every hidden layer needs at least 1 neuron"),
        (["--activation", "swish"], "argument --activation: invalid choice: 'swish'"),
        (["--dataset", "mnist"], "argument --dataset: invalid choice: 'mnist'"),
        (["--lr", "-1"], "argument --lr: expected a positive number"),
        (["--lr", "nan"], "argument --lr: expected a positive number"),
        (["--l2", "-0.1"], "argument --l2: expected a non-negative number"),
        (["--seed", "1.5"], "argument --seed: invalid int value"),
        (["--optimizer", "rmsprop"], "argument --optimizer: invalid choice"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--samples", "1"], "--samples must be at least 2 for moons, got 1"),
        (["--dataset", "spiral", "--samples", "2"], "--samples must be at least 3 for spiral"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_and_no_traceback(tmp_path, args, message):
    short = [] if "--steps" in args else ["--steps", "1"]  # in case the arguments were accepted
    result = run_cli(*short, *args, "--out", str(tmp_path / "never"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("micrograd train: error: ") and message in lines[0]
    assert not (tmp_path / "never").exists()


def test_an_out_path_that_is_a_file_is_one_line(tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert main(["train", "--steps", "1", "--out", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not a folder" in err[0]


def test_divergence_is_one_line_that_suggests_a_smaller_learning_rate(tmp_path, capsys):
    args = ["train", "--dataset", "blobs", "--optimizer", "sgd", "--lr", "1e6", "--steps", "30"]
    assert main([*args, "--out", str(tmp_path)]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("step")]
    assert len(err) == 1 and "training diverged at step" in err[0] and "smaller learning rate" in err[0]


def run_without_matplotlib(*args: str) -> subprocess.CompletedProcess:
    """`micrograd train ARGS` in a process where importing matplotlib fails."""
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"  # as if it were not installed
        "from micrograd.cli import main\n"
        "raise SystemExit(main(['train', *sys.argv[1:]]))"
    )
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=60)


def test_without_matplotlib_the_command_says_how_to_install_it_or_skip_plots_before_training(tmp_path):
    result = run_without_matplotlib("--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "micrograd train: error: the pictures need matplotlib: pip install 'micrograd-paths[plot]', "
        "or train without them: --no-plots"
    ]
    assert result.stdout == "" and not (tmp_path / "x").exists()


def test_no_plots_trains_and_saves_the_model_without_matplotlib(tmp_path):
    out = tmp_path / "run"
    result = run_without_matplotlib("--steps", "3", "--hidden", "4", "--no-plots", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(out)) == ["model.json"]
    lines = result.stdout.splitlines()
    assert lines[1].startswith("trained in ") and lines[2:] == [f"model:             {out / 'model.json'}"]
    assert [len(layer.neurons) for layer in load(out / "model.json").layers] == [4, 1]


# --------------------------------------------------------------------------- writing the results


def test_an_unwritable_out_folder_fails_before_training_naming_no_temporary_file(unwritable_folder, capsys):
    assert main(["train", "--out", unwritable_folder]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # not even the header: nothing was trained
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"micrograd train: error: --out {unwritable_folder}: cannot write")
    assert ".tmp" not in err[0]


def test_a_folder_in_place_of_the_model_file_fails_before_training(tmp_path, capsys):
    (tmp_path / "model.json").mkdir()
    assert main(["train", "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "model.json: Is a directory" in captured.err


def test_an_empty_out_is_one_line(capsys):
    assert main(["train", "--out", ""]) == 2
    assert capsys.readouterr().err == "micrograd train: error: --out needs a folder name, like --out out\n"


def test_an_out_folder_that_cannot_be_created_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["train", "--out", str(tmp_path / "file" / "sub")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot create the folder" in err[0]


TRAIN_KILLS = 4  # runs of `micrograd train` stopped by SIGTERM or SIGINT while writing results


def test_a_run_stopped_while_writing_its_results_leaves_no_temporary_file(tmp_path):
    rng = random.Random(13)
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    for k in range(TRAIN_KILLS):
        out = tmp_path / f"run{k}"
        args = ["train", "--steps", "1", "--samples", "10", "--hidden", "2", "--out", str(out)]
        process = child_with_default_signals(
            [sys.executable, "-m", "micrograd", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        for line in process.stdout:
            if line.startswith("trained in"):  # what follows is writing the three files
                break
        time.sleep(rng.uniform(0, 0.2))
        process.send_signal(signal.SIGTERM if k % 2 == 0 else signal.SIGINT)
        try:
            process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("micrograd train did not stop")
        assert [name for name in os.listdir(out) if name.endswith(".tmp")] == []
        if (out / "model.json").exists():
            assert load(out / "model.json") is not None


def test_digits_end_to_end_on_a_short_run(tmp_path):
    out = tmp_path / "digits"
    env_steps = {"MICROGRAD_STEPS": "40"}
    result = subprocess.run(
        [sys.executable, "-m", "micrograd", "train", "--dataset", "digits", "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, **env_steps, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "digits: 1438 training and 359 test images, 10 classes | MLP(64, [32, 10]) relu, 2410 parameters | "
        "cross-entropy loss + 0.0001 L2 | Adam lr 0.01 -> 0.001, batches of 32, 40 steps"
    )
    test_line = next(line for line in lines if line.startswith("test accuracy "))
    right = int(test_line.split("(")[1].split("/")[0])
    assert right > 0.25 * 359  # 40 steps already beat guessing (10%) by far
    for name in ("model.json", "loss.png", "test_digits.png"):
        assert (out / name).exists()
    assert (out / "test_digits.png").read_bytes().startswith(PNG)
    assert [len(layer.neurons) for layer in load(out / "model.json").layers] == [32, 10]


def test_no_compile_trains_to_the_same_numbers(tmp_path, capsys):
    outputs = []
    for flag in ([], ["--no-compile"]):
        assert main(["train", "--steps", "5", "--batch-size", "20", *flag, "--out", str(tmp_path)]) == 0
        printed = capsys.readouterr().out
        outputs.append([line.split(": ", 1)[1] for line in printed.splitlines() if line.startswith("trained in")])
    assert outputs[0] == outputs[1]
