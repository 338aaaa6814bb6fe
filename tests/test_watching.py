"""Watching training: TensorBoard logs, the latent-space walk, the README's results script."""

import glob
import os
import re
import subprocess
import sys

import imageio.v3 as iio
import numpy as np
import pytest
import tensorflow as tf

from conftest import ROOT, TINY_1D, logged, run_in_process
from common.mnist.saved_generator import latent_walk
from common.record import Record


def test_gan_1d_logs_losses_metrics_and_the_scatter_plot(tiny_1d_run):
    tags = logged(tiny_1d_run[0])
    for tag in ["loss/d", "loss/g"]:
        assert tags[tag] == ("scalars", 60)  # 60 iterations, one record each at this size
    for tag in ["eval/mae", "eval/ks", "eval/acc_real", "eval/acc_fake", "eval/d_loss"]:
        assert tags[tag] == ("scalars", 3)  # evaluations at 25, 50, 60
    assert tags["samples"] == ("images", 3)


def test_a_long_interval_logs_the_losses_about_100_times_not_every_iteration(tmp_path):
    result = run_in_process("gan_1d.py", "--iterations", "400", "--eval-every", "400",
                        "--batch-size", "16", "--n-eval", "100", "--n-plot", "50",
                        "--output-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    tags = logged(tmp_path / "001")
    assert tags["loss/d"] == ("scalars", 100)  # every 4th of 400 iterations
    assert "accuracy/d" not in tags  # no extra forward passes of D for the log


def test_gan_1d_logged_image_is_the_scatter_plot_png(tiny_1d_run):
    out = tiny_1d_run[0]
    path = glob.glob(os.path.join(out, "tensorboard", "events.out.tfevents.*"))[0]
    images = [(e.step, v.tensor.string_val) for e in tf.compat.v1.train.summary_iterator(path)
              for v in e.summary.value if v.tag == "samples"]
    step, (width, height, png) = images[-1]
    assert step == 60 and png == (out / "scatter_000060.png").read_bytes()
    assert iio.imread(png).shape[:2] == (int(height), int(width))


def test_gan_mnist_logs_scores_and_the_digit_grid(tiny_mnist_run):
    tags = logged(tiny_mnist_run[0])
    assert tags["eval/score"] == ("scalars", 2) and tags["eval/fd"] == ("scalars", 2)
    assert tags["samples"] == ("images", 2)
    assert tags["loss/g"][0] == "scalars" and tags["eval/acc_real"][0] == "scalars"


def test_evaluation_lines_are_short(tiny_1d_run, tiny_mnist_run, tiny_conditional_run):
    for _, result in (tiny_1d_run, tiny_mnist_run, tiny_conditional_run):
        lines = [line for line in result.stdout.splitlines() if line.startswith("iteration ")]
        assert len(lines) in (2, 3)
        assert max(map(len, lines)) <= 160, lines
    # Full-size numbers (four-digit iterations, wide ms figures) are no longer.
    record = Record("unused", 1400, 70, show=("epoch", "acc_real", "acc_fake", "score", "fd",
                                              "min_class_share", "label_accuracy"),
                    tensorboard=False)
    row = {"iteration": 1400, "d_loss": 0.58312, "g_loss": 1.10341, "epoch": 20,
           "acc_real": 0.62213, "acc_fake": 0.83212, "score": 8.21999, "fd": 17.91234,
           "min_class_share": 0.0812, "label_accuracy": 0.88123, "ms_per_iteration": 1461.2}
    assert len(record.line(row)) <= 160, record.line(row)


def test_no_tensorboard_writes_no_logs_and_trains_the_same(tiny_1d_run, tmp_path):
    out = tmp_path / "001"
    result = run_in_process("gan_1d.py", *TINY_1D, "--no-tensorboard", "--output-dir",
                            str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (out / "history.csv").exists() and not (out / "tensorboard").exists()
    # Logging only watches: the models come out the same with and without it.
    assert (out / "metrics.json").read_text().split('"train_seconds"')[0] == \
        (tiny_1d_run[0] / "metrics.json").read_text().split('"train_seconds"')[0]


def test_interpolate_writes_a_gif_with_the_requested_number_of_frames(tiny_mnist_run):
    out = tiny_mnist_run[0]
    result = run_in_process("gan_mnist.py", "--interpolate", "12", "--output-dir", str(out.parent))
    assert result.returncode == 0, result.stderr
    frames = iio.imread(out / "interpolation.gif", index=None)
    assert frames.shape == (12, 4 * 28 * 3, 4 * 28 * 3, 3)
    assert len({frame.tobytes() for frame in frames}) > 1  # it moves


def test_the_latent_walk_starts_at_the_first_stop_and_glides_on_a_sphere():
    stops = np.random.default_rng(0).standard_normal((4, 3, 100)).astype(np.float32)
    walk = latent_walk(stops, 40)
    assert walk.shape == (40, 3, 100) and walk.dtype == np.float32
    np.testing.assert_allclose(walk[0], stops[0], atol=1e-5)
    np.testing.assert_allclose(walk[10], stops[1], atol=1e-5)  # 10 frames per stop
    # Small steps, and no dip toward the origin (a straight line's midpoint would be shorter).
    steps = np.linalg.norm(np.diff(np.concatenate([walk, walk[:1]]), axis=0), axis=-1)
    assert steps.max() < 0.5 * np.linalg.norm(stops, axis=-1).min()
    norms = np.linalg.norm(walk, axis=-1)
    assert norms.min() > 0.9 * np.linalg.norm(stops, axis=-1).min()


@pytest.fixture
def readme_copy(tmp_path):
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    path = tmp_path / "README.md"
    path.write_text(text, encoding="utf-8")
    return path, text


START, END = "<!-- results: start -->", "<!-- results: end -->"


def make_readme_results(*flags) -> None:
    result = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks",
                                                          "make_readme_results.py"),
                             "--tiny", *flags], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr


def test_the_readme_results_script_rebuilds_only_its_section(readme_copy, tmp_path):
    path, before = readme_copy
    docs = tmp_path / "docs"
    make_readme_results("--readme", str(path), "--docs", str(docs))
    after = path.read_text(encoding="utf-8")
    start, end = START, END
    assert after.split(start)[0] == before.split(start)[0]
    assert after.split(end)[1] == before.split(end)[1]
    section = after.split(start)[1].split(end)[0]
    assert "(tiny settings)" in section and "python gan_mnist.py --data" in section
    # The conditional mode's goals are stated with the numbers reached, met or not.
    goals = re.search(r"Goals of this mode: (.+)\.$", section, re.M)[1].split("; ")
    assert [g.split(" ")[0] for g in goals] == ["label_accuracy", "score", "fd",
                                                "min_class_share", "training"]
    assert all(g.endswith((", met", ", not met")) for g in goals)
    for target in ("x2", "sine", "gaussian", "cubic", "poly"):
        assert f"python gan_1d.py --target {target}" in section
        assert iio.imread(docs / f"gan_1d_{target}.png").ndim == 3
    assert section.count("| `python gan_1d.py --target ") == 5  # one plain command a target
    for picture in ("gan_1d_view.png", "gan_1d_dropping.png"):  # the README links them
        assert iio.imread(docs / picture).ndim == 3
    for run in ("gan_mnist", "gan_mnist_conditional"):
        for name in ("grid.png", "progress.gif", "interpolation.gif", "history.csv"):
            path = f"{run}_{name}"
            assert f"docs/results/{path}" in section and (docs / path).stat().st_size > 0
        assert iio.imread(docs / f"{run}_interpolation.gif", index=None).shape[0] == 48
    assert "python gan_mnist.py --conditional --data" in section
    assert "label accuracy" in section


def test_the_readme_results_script_can_rebuild_the_1d_part_alone(readme_copy, tmp_path):
    """--only-1d rebuilds the gan_1d.py part and keeps the gan_mnist.py part to the byte."""
    path, before = readme_copy
    make_readme_results("--only-1d", "--readme", str(path), "--docs", str(tmp_path / "docs"))
    after = path.read_text(encoding="utf-8")
    assert after.split(START)[0] == before.split(START)[0]
    assert after.split(END)[1] == before.split(END)[1]
    old, new = (text.split(START)[1].split(END)[0].split("<!-- gan_mnist.py results -->")
                for text in (before, after))
    assert new[1] == old[1] and new[0] != old[0]
    assert "(tiny settings)" in new[0] and "python gan_1d.py --target poly" in new[0]
    assert iio.imread(tmp_path / "docs" / "gan_1d_poly.png").ndim == 3
