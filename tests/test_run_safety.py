"""Never lose a run: a rerun gets its own folder, Ctrl-C writes a checkpoint, --resume ends
exactly where an uninterrupted run ends, a crash while saving keeps the previous checkpoint, a
diverging run stops."""

import csv
import errno
import json
import shutil
import signal

import keras
import numpy as np
import pytest

from conftest import RUN_1D, TIMING, assert_same_weights, history_without_timing, interrupted
from conftest import run_folder, run_in_process, train_1d
import gan_1d
from common import checkpoint, cli, errors, saving


def fingerprint(folder) -> dict:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_same_command_twice_keeps_both_runs_and_changes_nothing_of_the_first(tmp_path):
    args = ["--iterations", "60", "--eval-every", "30", "--batch-size", "32", "--n-eval", "400",
            "--n-plot", "100", "--output-dir", str(tmp_path)]
    first = run_in_process("gan_1d.py", *args)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0].startswith(f"{tmp_path}/001: a new run")
    assert first.stdout.splitlines()[-2].startswith(f"{tmp_path}/001: done")
    before = fingerprint(tmp_path / "001")
    second = run_in_process("gan_1d.py", *args)
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines()[0].startswith(f"{tmp_path}/002: a new run")
    assert second.stdout.splitlines()[-2].startswith(f"{tmp_path}/002: done")
    assert fingerprint(tmp_path / "001") == before
    for run in ("001", "002"):
        assert (tmp_path / run / "generator.keras").stat().st_size > 0
    # The same seed: the second run is the first again, in its own folder.
    assert_same_weights(tmp_path / "001" / "generator.keras", tmp_path / "002" / "generator.keras")


@pytest.mark.smoke
def test_gan_1d_interrupted_by_ctrl_c_and_resumed_ends_like_an_uninterrupted_run(tmp_path,
                                                                                 whole_1d_run):
    whole, parts = whole_1d_run, tmp_path / "parts"
    shutil.copytree(whole, parts / "001")  # a finished run: --resume passes it by
    stopped = interrupted("gan_1d.py", [*RUN_1D, "--output-dir", str(parts)],
                          parts / "002" / "scatter_000300.png")
    assert stopped.returncode == 130, stopped.stderr
    assert stopped.stderr.splitlines()[-1].endswith(f"--resume {parts}/002")
    state = checkpoint.read_state(str(parts / "002" / "checkpoint.npz"))
    assert 300 <= state["iteration"] < 900  # stopped mid-run, and said where
    assert f"interrupted after iteration {state['iteration']}" in stopped.stderr
    # history.csv is written at every evaluation: there after Ctrl-C, as the checkpoint has it.
    stopped_rows = history_without_timing(parts / "002")
    assert [int(row["iteration"]) for row in stopped_rows] == \
        [row["iteration"] for row in state["history"]] and stopped_rows

    # No run named: the newest unfinished one, 002 (001 has finished).
    resumed = run_in_process("gan_1d.py", "--resume", "--output-dir", str(parts))
    assert resumed.returncode == 0, resumed.stderr
    assert f"{parts}/002 after iteration {state['iteration']} of 900" in resumed.stdout
    for run in (parts / "001", parts / "002"):
        assert_same_weights(whole / "generator.keras", run / "generator.keras")
        assert_same_weights(whole / "discriminator.keras", run / "discriminator.keras")
        assert history_without_timing(whole) == history_without_timing(run)
    assert sorted(p.name for p in parts.iterdir()) == ["001", "002"]


def test_gan_mnist_interrupted_by_ctrl_c_and_resumed_ends_like_an_uninterrupted_run(
        tmp_path, tiny_digits, tiny_mnist_run):
    args = ["--data", str(tiny_digits), "--epochs", "6", "--eval-every", "3",
            "--batch-size", "16", "--n-eval", "100", "--d-filters", "4", "--g-filters", "4",
            "--latent-dim", "8"]
    resume_like_whole(tmp_path, args, tiny_mnist_run[0])


def resume_like_whole(tmp_path, args: list, classifier_from) -> None:
    """gan_mnist with `args`: interrupted after epoch 3 and resumed by name, it ends like an
    uninterrupted run, bit for bit. Both in one OUTPUT_DIR, so they share its classifier,
    copied from `classifier_from` (a run on the same images)."""
    out = tmp_path / "out"
    shutil.copytree(classifier_from.parent, out, ignore=shutil.ignore_patterns("[0-9]*"))
    assert run_in_process("gan_mnist.py", *args, "--output-dir", str(out)).returncode == 0

    stopped = interrupted("gan_mnist.py", [*args, "--output-dir", str(out)],
                          out / "002" / "grid_epoch_003.png")
    assert stopped.returncode == 130, stopped.stderr
    iteration = checkpoint.read_state(str(out / "002" / "checkpoint.npz"))["iteration"]
    assert 42 <= iteration < 84  # 14 batches per epoch: after epoch 3, before epoch 6

    resumed = run_in_process("gan_mnist.py", "--resume", "002", "--output-dir", str(out))
    assert resumed.returncode == 0, resumed.stderr
    whole, parts = run_folder(out, 1), run_folder(out, 2)
    assert_same_weights(whole / "generator.keras", parts / "generator.keras")
    assert_same_weights(whole / "discriminator.keras", parts / "discriminator.keras")
    assert history_without_timing(whole) == history_without_timing(parts)
    final = [{k: v for k, v in json.loads((out / "metrics.json").read_text()).items()
              if k not in TIMING} for out in (whole, parts)]
    assert final[0] == final[1]


def test_a_conditional_gan_mnist_interrupted_and_resumed_ends_like_an_uninterrupted_run(
        tmp_path, tiny_digits, tiny_mnist_run):
    resume_like_whole(tmp_path, ["--conditional", "--data", str(tiny_digits), "--epochs", "6",
                                 "--eval-every", "3", "--batch-size", "16", "--n-eval", "100",
                                 "--d-filters", "4", "--g-filters", "4", "--latent-dim", "8"],
                      tiny_mnist_run[0])


def tiny_1d_models():
    keras.utils.set_random_seed(0)
    d = gan_1d.define_discriminator(2, 2, 8, "relu", 0.002, 0.5)
    g = gan_1d.define_generator(2, 2, 8, "relu", "linear")
    return d, g, gan_1d.define_gan(g, d, 0.002, 0.5)


def run_loop(d, g, gan, folder, iterations, rng):
    """gan_1d.train with a clock and record in `folder`, evaluating every 10 iterations."""
    cfg = {"TARGET": "x2", "LATENT_DIM": 2, "PACK": 2, "BATCH_SIZE": 16, "N_PLOT": 50,
           "ITERATIONS": iterations, "EVAL_EVERY": 10}
    return train_1d(folder, cfg, (d, g, gan), rng, n_eval=100).history


def test_a_crash_in_the_middle_of_a_checkpoint_write_leaves_the_previous_one(tmp_path,
                                                                             monkeypatch):
    path = tmp_path / "checkpoint.npz"
    d, g, gan = tiny_1d_models()
    run_loop(d, g, gan, tmp_path, 10, np.random.default_rng(0))
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
        run_loop(d, g, gan, tmp_path, 20, np.random.default_rng(0))
    monkeypatch.undo()

    assert path.read_bytes() == good
    assert checkpoint.read_state(str(path))["iteration"] == 10
    d2, g2, gan2 = tiny_1d_models()
    checkpoint.build_optimizers(d2, gan2)
    checkpoint.restore(str(path), checkpoint.model_variables(d2, g2, gan2))
    for a, b in zip(g2.get_weights(), at_10):
        np.testing.assert_array_equal(a, b)


def test_a_full_disk_while_saving_is_one_line_exit_1_and_keeps_the_checkpoint(
        tmp_path, monkeypatch, capsys):
    args = gan_1d.parse_args(["--iterations", "40", "--eval-every", "20", "--batch-size", "16",
                              "--n-eval", "200", "--n-plot", "50", "--output-dir", str(tmp_path)])
    out = tmp_path / "001"
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
        cli.run_main(gan_1d.main, args)
    assert stop.value.code == 1
    err = capsys.readouterr().err
    assert err == (f"error: No space left on device ({out}/checkpoint.npz.tmp); "
                   f"the files saved before are kept\n")
    assert checkpoint.read_state(str(out / "checkpoint.npz"))["iteration"] == 20


def test_a_diverging_run_raises_names_the_iteration_and_keeps_the_last_good_checkpoint(
        tmp_path, monkeypatch):
    d, g, gan = tiny_1d_models()
    real_summarize = gan_1d.summarize_performance

    def absurd_learning_rate_after_the_first_evaluation(*args):
        gan.optimizer.learning_rate.assign(1e30)
        d.optimizer.learning_rate.assign(1e30)
        return real_summarize(*args)

    monkeypatch.setattr(gan_1d, "summarize_performance",
                        absurd_learning_rate_after_the_first_evaluation)
    ctrl_c_before = signal.getsignal(signal.SIGINT)  # a background job's is SIG_IGN
    # An exception, not an exit: a notebook that calls train() keeps its kernel.
    with pytest.raises(errors.Diverged) as stop:
        run_loop(d, g, gan, tmp_path, 100, np.random.default_rng(0))
    assert stop.value.status == 1 and "iteration 11" in str(stop.value)
    state = checkpoint.read_state(str(tmp_path / "checkpoint.npz"))
    assert state["iteration"] == 10
    assert [row["iteration"] for row in csv.DictReader(open(tmp_path / "history.csv"))] == ["10"]
    d2, g2, gan2 = tiny_1d_models()
    checkpoint.build_optimizers(d2, gan2)
    checkpoint.restore(str(tmp_path / "checkpoint.npz"), checkpoint.model_variables(d2, g2, gan2))
    assert all(np.isfinite(w).all() for w in g2.get_weights() + d2.get_weights())
    assert signal.getsignal(signal.SIGINT) is ctrl_c_before, \
        "the Ctrl-C handler was not given back"


def test_an_absurd_learning_rate_stops_with_a_message_and_exit_1(tmp_path):
    result = run_in_process("gan_1d.py", "--learning-rate", "1e30", "--iterations", "50",
                        "--eval-every", "25", "--output-dir", str(tmp_path))
    out = tmp_path / "001"
    assert result.returncode == 1
    assert result.stderr.startswith("error: training diverged at iteration 1: ")
    assert "learning rate is too high" in result.stderr and "new run" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (out / "generator.keras").exists()


def test_a_closed_terminal_sighup_also_saves_a_checkpoint(tmp_path):
    out = tmp_path / "001"
    stopped = interrupted("gan_1d.py", [*RUN_1D, "--output-dir", str(tmp_path)],
                          out / "scatter_000300.png", signal.SIGHUP)
    assert stopped.returncode == 129, stopped.stderr
    assert 300 <= checkpoint.read_state(str(out / "checkpoint.npz"))["iteration"] < 900
