"""Never lose a run: Ctrl-C writes a checkpoint, --resume ends exactly where an uninterrupted
run ends, a crash while saving keeps the previous checkpoint, a diverging run stops."""

import csv
import errno
import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from conftest import ROOT, run_script
import gan_1d
import gan_mnist
from common import checkpoint, cli, saving, training

TIMING = {"ms_per_iteration", "train_seconds"}
# Long enough that a Ctrl-C sent after the first evaluation lands mid-run.
RUN_1D = ["--iterations", "900", "--eval-every", "300", "--batch-size", "32",
          "--n-eval", "400", "--n-plot", "100", "--seed", "5"]


def history_without_timing(out) -> list:
    with open(out / "history.csv") as f:
        return [{k: v for k, v in row.items() if k not in TIMING} for row in csv.DictReader(f)]


def weights(path) -> list:
    return keras.models.load_model(path).get_weights()


def assert_same_weights(a, b):
    wa, wb = weights(a), weights(b)
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb):
        np.testing.assert_array_equal(x, y)


def interrupted(script: str, args: list, started_file,
                signum=signal.SIGINT) -> subprocess.CompletedProcess:
    """Run a script, send it a real SIGINT (Ctrl-C, or `signum`) a moment after
    `started_file` appears (so it lands between two evaluations)."""
    process = subprocess.Popen([sys.executable, os.path.join(ROOT, script), *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not started_file.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_gan_1d_interrupted_by_ctrl_c_and_resumed_ends_like_an_uninterrupted_run(tmp_path):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert run_script("gan_1d.py", *RUN_1D, "--output-dir", str(whole)).returncode == 0

    stopped = interrupted("gan_1d.py", [*RUN_1D, "--output-dir", str(parts)],
                          parts / "scatter_000300.png")
    assert stopped.returncode == 130, stopped.stderr
    assert "--resume" in stopped.stderr.splitlines()[-1]
    state = checkpoint.read_state(str(parts / "checkpoint.npz"))
    assert 300 <= state["iteration"] < 900  # stopped mid-run, and said where
    assert f"interrupted after iteration {state['iteration']}" in stopped.stderr

    resumed = run_script("gan_1d.py", "--resume", "--output-dir", str(parts))
    assert resumed.returncode == 0, resumed.stderr
    assert f"after iteration {state['iteration']} of 900" in resumed.stdout
    assert_same_weights(whole / "generator.keras", parts / "generator.keras")
    assert_same_weights(whole / "discriminator.keras", parts / "discriminator.keras")
    assert history_without_timing(whole) == history_without_timing(parts)


def test_gan_mnist_interrupted_by_ctrl_c_and_resumed_ends_like_an_uninterrupted_run(tmp_path):
    x, y = gan_mnist.load_npz(gan_mnist.BUNDLED_SAMPLE)
    np.savez(tmp_path / "tiny.npz", x_train=x[::20], y_train=y[::20])  # 250 images
    args = ["--data", str(tmp_path / "tiny.npz"), "--epochs", "12", "--eval-every", "4",
            "--batch-size", "16", "--n-eval", "100", "--d-filters", "4", "--g-filters", "4",
            "--latent-dim", "8"]
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert run_script("gan_mnist.py", *args, "--output-dir", str(whole)).returncode == 0

    stopped = interrupted("gan_mnist.py", [*args, "--output-dir", str(parts)],
                          parts / "grid_epoch_004.png")
    assert stopped.returncode == 130, stopped.stderr
    iteration = checkpoint.read_state(str(parts / "checkpoint.npz"))["iteration"]
    assert 56 <= iteration < 168  # 14 batches per epoch: after epoch 4, before epoch 12

    resumed = run_script("gan_mnist.py", "--resume", "--output-dir", str(parts))
    assert resumed.returncode == 0, resumed.stderr
    assert_same_weights(whole / "generator.keras", parts / "generator.keras")
    assert_same_weights(whole / "discriminator.keras", parts / "discriminator.keras")
    assert history_without_timing(whole) == history_without_timing(parts)
    final = [{k: v for k, v in json.loads((out / "metrics.json").read_text()).items()
              if k not in TIMING} for out in (whole, parts)]
    assert final[0] == final[1]


def tiny_1d_models():
    keras.utils.set_random_seed(0)
    d = gan_1d.define_discriminator(8, 0.002, 0.5)
    g = gan_1d.define_generator(2, 8)
    return d, g, gan_1d.define_gan(g, d, 0.002, 0.5)


def run_loop(d, g, gan, path, iterations, rng, resume=False, evaluate=lambda i: {}):
    return training.train(d, g, gan, lambda n: gan_1d.generate_real_samples("x2", n, rng), 2,
                          iterations=iterations, batch_size=16, eval_every=10,
                          summarize_performance=evaluate, rng=rng, checkpoint_path=str(path),
                          run_info={"script": "test", "config": {}}, resume=resume)


def test_a_crash_in_the_middle_of_a_checkpoint_write_leaves_the_previous_one(tmp_path,
                                                                             monkeypatch):
    path = tmp_path / "checkpoint.npz"
    d, g, gan = tiny_1d_models()
    run_loop(d, g, gan, path, 10, np.random.default_rng(0))
    good = path.read_bytes()
    at_10 = [w.copy() for w in g.get_weights()]

    real_open = open

    class HalfWritten:
        """A file whose write stops halfway, like a kill or a full disk mid-save."""
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            self.f.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device", self.f.name)

    monkeypatch.setattr(saving, "open", lambda p, mode: HalfWritten(real_open(p, mode)),
                        raising=False)
    with pytest.raises(OSError):
        run_loop(d, g, gan, path, 20, np.random.default_rng(0), resume=True)
    monkeypatch.undo()

    assert path.read_bytes() == good
    assert checkpoint.read_state(str(path))["iteration"] == 10
    d2, g2, gan2 = tiny_1d_models()
    checkpoint.restore(str(path), d2, gan2)
    for a, b in zip(g2.get_weights(), at_10):
        np.testing.assert_array_equal(a, b)


def test_a_full_disk_while_saving_is_one_line_exit_1_and_keeps_the_checkpoint(
        tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    cfg = gan_1d.parse_args(["--iterations", "40", "--eval-every", "20", "--batch-size", "16",
                             "--n-eval", "200", "--n-plot", "50", "--output-dir", str(out)])
    real_write = saving.write_atomically
    checkpoints = []

    def disk_fills_at_the_second_checkpoint(path, data):
        if path.endswith(checkpoint.NAME):
            checkpoints.append(path)
            if len(checkpoints) == 2:
                raise OSError(errno.ENOSPC, "No space left on device", path + ".tmp")
        real_write(path, data)

    monkeypatch.setattr(saving, "write_atomically", disk_fills_at_the_second_checkpoint)
    with pytest.raises(SystemExit) as stop:
        cli.run_main(gan_1d.main, cfg)
    assert stop.value.code == 1
    err = capsys.readouterr().err
    assert err == (f"error: No space left on device ({out}/checkpoint.npz.tmp); "
                   f"the files saved before are kept\n")
    assert checkpoint.read_state(str(out / "checkpoint.npz"))["iteration"] == 20


def test_a_diverging_run_stops_names_the_iteration_and_keeps_the_last_good_checkpoint(tmp_path):
    path = tmp_path / "checkpoint.npz"
    d, g, gan = tiny_1d_models()

    def absurd_learning_rate_after_the_first_evaluation(i):
        gan.optimizer.learning_rate.assign(1e30)
        d.optimizer.learning_rate.assign(1e30)
        return {}

    with pytest.raises(SystemExit) as stop:
        run_loop(d, g, gan, path, 100, np.random.default_rng(0),
                 evaluate=absurd_learning_rate_after_the_first_evaluation)
    assert stop.value.code == 1
    state = checkpoint.read_state(str(path))
    assert state["iteration"] == 10
    d2, g2, gan2 = tiny_1d_models()
    checkpoint.restore(str(path), d2, gan2)
    assert all(np.isfinite(w).all() for w in g2.get_weights() + d2.get_weights())


def test_an_absurd_learning_rate_stops_with_a_message_and_exit_1(tmp_path):
    out = tmp_path / "run"
    result = run_script("gan_1d.py", "--learning-rate", "1e30", "--iterations", "50",
                        "--eval-every", "25", "--output-dir", str(out))
    assert result.returncode == 1
    assert result.stderr.startswith("error: training diverged at iteration 1: ")
    assert "learning rate is too high" in result.stderr and "--overwrite" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (out / "generator.keras").exists()


def test_a_closed_terminal_sighup_also_saves_a_checkpoint(tmp_path):
    out = tmp_path / "run"
    stopped = interrupted("gan_1d.py", [*RUN_1D, "--output-dir", str(out)],
                          out / "scatter_000300.png", signal.SIGHUP)
    assert stopped.returncode == 129, stopped.stderr
    assert 300 <= checkpoint.read_state(str(out / "checkpoint.npz"))["iteration"] < 900
