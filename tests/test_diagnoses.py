"""Is this normal? The freeze check stops a script whose edits break the Keras 3 freeze, naming
which of its three conditions failed; the diagnoses name a failing run's trouble in a warning,
fire on provoked failures and stay silent on healthy runs."""

import importlib.util
import json
import os
import re
import subprocess
import sys

import keras
import numpy as np
import pytest

from conftest import ROOT, TINY_1D, TINY_MNIST, gan_1d_config
import gan_1d
from common import diagnoses, freeze_check, image_data
from common.freeze_check import FreezeCheckFailed
from common.run import Run
from test_gan_mnist import tiny_models, train_mnist
from test_watching import logged

# Edits a learner makes, as (pattern, replacement) pairs on the script's source, and the
# problem each one causes.
EDITS = {
    # The tutorial's order: D frozen once, before the composite is compiled, and never again.
    "d_frozen": [(r"^ {8}d_model\.trainable = True.*\n", ""),
                 (r"^ {8}d_model\.trainable = False.*\n", "")],
    # D unfrozen for its own update and left so for the composite's.
    "d_in_gan": [(r"^ {8}d_model\.trainable = False.*\n", "")],
    # The composite freezes the wrong player.
    "g_frozen": [(r"^ {4}d_model\.trainable = False", "    g_model.trainable = False")],
}


def edited_copy(script: str, problem: str, folder) -> str:
    """A copy of `script` with the edits that cause `problem`, in `folder`."""
    source = open(os.path.join(ROOT, script), encoding="utf-8").read()
    for pattern, replacement in EDITS[problem]:
        source, n = re.subn(pattern, replacement, source, flags=re.M)
        assert n >= 1, (script, pattern)
    path = folder / script
    path.write_text(source, encoding="utf-8")
    return str(path)


def imported(path: str, name: str):
    """The edited copy at `path` as a module (its command line does not run)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_copy(path: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, path, *args], cwd=os.path.dirname(path),
                          env={**os.environ, "PYTHONPATH": ROOT}, capture_output=True,
                          text=True, timeout=600)


def assert_stopped_by_the_check(result, problem: str, out) -> None:
    """Exit 1 with one error line naming the problem, on iteration 1, before any evaluation."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 1, result.stderr
    assert errors == [f"error: freeze check, iteration 1: {freeze_check.PROBLEMS[problem]}"]
    assert "Traceback" not in result.stderr and "iteration 1/" not in result.stdout
    assert not (out / "001" / "checkpoint.npz").exists()


# --- The freeze check ------------------------------------------------------------------------

@pytest.mark.parametrize("problem", list(EDITS))
def test_gan_1d_edited_to_break_the_freeze_stops_on_iteration_1_naming_why(problem, tmp_path):
    out = tmp_path / "out"
    result = run_copy(edited_copy("gan_1d.py", problem, tmp_path), *TINY_1D, "--output-dir",
                      str(out))
    assert_stopped_by_the_check(result, problem, out)


def test_gan_mnist_in_the_tutorials_order_stops_on_iteration_1_naming_why(tmp_path,
                                                                             tiny_digits):
    out = tmp_path / "out"
    result = run_copy(edited_copy("gan_mnist.py", "d_frozen", tmp_path), "--data",
                      str(tiny_digits), "--output-dir", str(out), *TINY_MNIST)
    assert_stopped_by_the_check(result, "d_frozen", out)


@pytest.mark.parametrize("conditional", [False, True], ids=["unconditional", "conditional"])
@pytest.mark.parametrize("problem", list(EDITS))
def test_gan_mnist_train_edited_to_break_the_freeze_raises_naming_why(problem, conditional,
                                                                      sample, tmp_path):
    script = imported(edited_copy("gan_mnist.py", problem, tmp_path), f"edited_{problem}")
    d, g, gan = tiny_models(conditional=conditional, script=script)
    dataset = image_data.scale(sample[0][::50]), sample[1][::50]
    with pytest.raises(FreezeCheckFailed, match=re.escape(freeze_check.PROBLEMS[problem])):
        train_mnist(d, g, gan, tmp_path / "run", dataset, 16, np.random.default_rng(0),
                    conditional, script=script)


def test_the_check_is_silent_on_the_scripts_as_they_are(tiny_1d_run, tiny_mnist_run,
                                                       tiny_conditional_run):
    for _, result in (tiny_1d_run, tiny_mnist_run, tiny_conditional_run):
        assert result.returncode == 0 and "freeze check" not in result.stderr


def short_1d_run(folder, cfg: dict, iterations: int, eval_every: int, train=gan_1d.train,
                 seed: int = 1):
    """gan_1d's train() as main() calls it, with the diagnoses, on 2,000 evaluation points;
    returns the Run."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    d, g, gan = gan_1d.define_models(cfg)
    eval_real, _ = gan_1d.generate_real_samples(cfg["TARGET"], 2000, np.random.default_rng(0))
    eval_latent = np.random.default_rng(1).standard_normal((2000, 1)).astype(np.float32)
    run = Run({"run_dir": str(folder), "TENSORBOARD": False}, "test", (d, g, gan), rng,
              iterations, eval_every, diagnose=diagnoses.curve_troubles)
    train(g, d, gan, run, cfg, rng, eval_real, eval_latent)
    return run


def test_a_resumed_run_checks_its_first_iteration_again(tmp_path):
    """A run that was healthy, resumed by an edited script, stops on its first new
    iteration."""
    cfg = gan_1d_config(ITERATIONS=4, BATCH_SIZE=32, N_PLOT=10)
    short_1d_run(tmp_path, cfg, 2, 2)  # checkpoint after iteration 2
    edited = imported(edited_copy("gan_1d.py", "d_frozen", tmp_path), "edited_1d")
    with pytest.raises(FreezeCheckFailed, match="iteration 3: D's own update left D"):
        short_1d_run(tmp_path, cfg, 4, 2, train=edited.train)


# --- The diagnoses: on short runs, provoked and healthy --------------------------------------

def warned(run) -> list:
    """The warnings' messages, each with the iteration of its evaluation."""
    return [(int(w.split(":")[0].split()[1]), w.split(": ", 1)[1]) for w in run.warnings]


# Each provoked with its README command's flags, in a shorter run (seed 1; the numbers in
# docs/diagnoses.md): (flags, iterations, the warning's first words, evaluations it fires at).
PROVOKED_1D = {
    "D has won": ({"G_HIDDEN": 1}, 2000, [1500, 2000]),
    "G covers only part of the curve": (
        {"TARGET": "gaussian", "PACK": 1, "D_LAYERS": 2, "D_HIDDEN": 128, "G_HIDDEN": 32},
        3000, [2000, 2500, 3000]),
    "stalled": ({"ACTIVATION": "tanh", "G_OUTPUT": "tanh"}, 3000, [1500, 2000, 2500, 3000]),
}


@pytest.mark.parametrize("trouble", list(PROVOKED_1D))
def test_each_1d_diagnosis_fires_on_its_provoked_failure_and_never_stops_the_run(trouble,
                                                                               tmp_path):
    changes, iterations, fires_at = PROVOKED_1D[trouble]
    run = short_1d_run(tmp_path, gan_1d_config(ITERATIONS=iterations, **changes), iterations,
                       500)
    assert len(run.history) == iterations // 500  # the run went on to its last iteration
    assert [(i, m.split(" (")[0].split(":")[0]) for i, m in warned(run)] == \
        [(i, trouble) for i in fires_at]
    assert all(len(m) <= 150 and "--" in m for _, m in warned(run))  # short, with a flag


def test_the_warnings_are_printed_under_the_evaluation_and_kept(tmp_path):
    """Through the command line: each warning right under its evaluation line, all of them in
    metrics.json and TensorBoard's text."""
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, os.path.join(ROOT, "gan_1d.py"), "--g-hidden", "1",
                             "--iterations", "2000", "--eval-every", "500", "--output-dir",
                             str(out)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line]
    at = [i for i, line in enumerate(lines) if line.startswith("warning: D has won")]
    assert [lines[i - 1].split(":")[0] for i in at] == ["iteration 1500/2000",
                                                        "iteration 2000/2000"]
    metrics = json.loads((out / "001" / "metrics.json").read_text())
    assert metrics["warnings"] == [f"iteration {n}: {lines[i][len('warning: '):]}"
                                   for n, i in zip((1500, 2000), at)]
    assert logged(out / "001")["warnings"] == ("text", 2)


def test_a_resumed_run_keeps_the_warnings_already_given(tmp_path):
    cfg = gan_1d_config(ITERATIONS=2000, G_HIDDEN=1)
    first = short_1d_run(tmp_path, cfg, 1500, 500)
    assert len(first.warnings) == 1
    resumed = short_1d_run(tmp_path, cfg, 2000, 500)
    assert resumed.warnings[0] == first.warnings[0] and len(resumed.warnings) == 2


# --- The diagnoses: on recorded numbers -------------------------------------------------------

def rows_1d(*rows) -> list:
    keys = ("acc_real", "acc_fake", "mae", "ks", "d_range", "d_loss", "g_loss")
    return [dict(zip(keys, row)) for row in rows]


def test_healthy_1d_histories_that_look_troubled_once_get_no_warning():
    """Recorded evaluations of a healthy sine run (seed 1, --eval-every 100;
    docs/diagnoses.md): at 400 D's verdict was the least varied of the run while the points
    were still off the curve; at 2,000 and 2,100, the losses at ln 2 and the points off the
    curve."""
    sine = rows_1d((0.5894, 0.4418, 0.0536, 0.1423, 0.0929, 0.6951, 0.6987),
                   (0.585, 0.496, 0.0969, 0.1598, 0.118, 0.6948, 0.7207),
                   (0.5928, 0.4664, 0.037, 0.0834, 0.1995, 0.6916, 0.6976),
                   (0.513, 0.5238, 0.0344, 0.0707, 0.1806, 0.6922, 0.6963))
    assert all(diagnoses.curve_troubles(sine[:n]) == [] for n in range(1, 5))
    # The same rows, had D said the same everywhere: stalled, at the second in a row only.
    flat = [{**row, "d_range": 0.01} for row in sine]
    assert diagnoses.curve_troubles(flat[:1]) == []
    assert diagnoses.curve_troubles(flat[:2])[0].startswith("stalled: D says 0.5 everywhere")


def digit_rows(*rows) -> list:
    """History rows from (d_loss, acc_real, acc_fake, spread, the ten class shares)."""
    return [{"d_loss": d_loss, "acc_real": acc_real, "acc_fake": acc_fake, "spread": spread,
             **{f"class_{k}": share for k, share in enumerate(shares)}}
            for d_loss, acc_real, acc_fake, spread, shares in rows]


# Epochs 1 and 2 of recorded runs (seed 1, --eval-every 1 or 2; docs/diagnoses.md).
HEALTHY = digit_rows(  # the default run: G's average still near its start at epoch 1
    (0.565, 0.27, 1.0, 0.016, [0.004, 0.107, 0.059, 0.005, 0.037, 0.389, 0.002, 0.397, 0, 0]),
    (0.64, 0.798, 0.99, 0.341, [0.078, 0.127, 0.133, 0.111, 0.138, 0.128, 0.022, 0.21, 0.043,
                                0.01]))
STEPS_TOO_BIG = digit_rows(  # --learning-rate 0.01
    (2.585, 1.0, 1.0, 0.0, [0, 0, 0, 0, 0, 0, 0, 1.0, 0, 0]),
    (0.0, 1.0, 1.0, 0.0, [0, 0, 0, 0, 0, 0, 0, 1.0, 0, 0]))
G_TOO_WEAK = digit_rows(  # --g-filters 1
    (0.022, 0.998, 1.0, 0.001, [0.001, 0.038, 0.032, 0.089, 0.048, 0.345, 0.002, 0.43, 0.015,
                                0]),
    (0.106, 0.992, 1.0, 0.121, [0.038, 0.051, 0.086, 0.073, 0.236, 0.094, 0.098, 0.208, 0.078,
                                0.038]))


def test_mnist_diagnoses_on_recorded_rows():
    assert diagnoses.digit_troubles(HEALTHY[:1]) == diagnoses.digit_troubles(HEALTHY) == []
    assert diagnoses.digit_troubles(STEPS_TOO_BIG[:1]) == []  # once may be a swing...
    assert diagnoses.digit_troubles(STEPS_TOO_BIG) == [  # ...twice is not
        "D has won (accuracy 1.00 real, 1.00 fake): G's gradient vanishes; the steps are too "
        "big, try a smaller --learning-rate",
        "G's images barely differ from each other (spread 0.00): mode collapse"]
    assert diagnoses.digit_troubles(G_TOO_WEAK) == [
        "D has won (accuracy 0.99 real, 1.00 fake): G's gradient vanishes; G is too weak, try "
        "a larger --g-filters",
        "G's images barely differ from each other (spread 0.12): mode collapse"]
    # Alike without D winning: the collapse line names the flag itself.
    alike = [{**row, "acc_real": 0.8} for row in STEPS_TOO_BIG]
    assert diagnoses.digit_troubles(alike) == [
        "G's images barely differ from each other (spread 0.00): mode collapse; try a smaller "
        "--learning-rate"]
