"""gan_1d.py end to end: it learns, writes every output, and repeats itself exactly."""

import csv
import json

import imageio.v3 as iio
import keras
import numpy as np
import pytest

from conftest import TINY_1D, run_folder, run_script
import gan_1d
from common.run import Run

EVALUATIONS = [25, 50, 60]  # every 25 iterations, and the last one
TIMING = {"ms_per_iteration", "train_seconds"}


def test_a_short_training_run_brings_generated_points_close_to_the_curve(tmp_path):
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    d = gan_1d.define_discriminator(hidden=25, learning_rate=0.002, beta_1=0.5)
    g = gan_1d.define_generator(latent_dim=5, hidden=15)
    gan = gan_1d.define_gan(g, d, learning_rate=0.002, beta_1=0.5)
    eval_real, _ = gan_1d.generate_real_samples("x2", 2000, np.random.default_rng(0))
    eval_latent = np.random.default_rng(1).standard_normal((2000, 5)).astype(np.float32)
    before, _ = gan_1d.measure(g, d, "x2", eval_real, eval_latent)
    run = Run(str(tmp_path), d, g, gan, rng, 1000, 1000, {"script": "test"}, tensorboard=False)
    gan_1d.train(g, d, gan, run, {"TARGET": "x2", "LATENT_DIM": 5, "BATCH_SIZE": 128,
                                  "N_PLOT": 100}, rng, eval_real, eval_latent)
    after, _ = gan_1d.measure(g, d, "x2", eval_real, eval_latent)
    assert after["mae"] < 0.25 * before["mae"], (before, after)


def read_history(path) -> list:
    with open(path) as f:
        return list(csv.DictReader(f))


def test_a_cli_run_writes_every_output_file(tiny_1d_run):
    out, result = tiny_1d_run
    for i in EVALUATIONS:
        assert f"iteration {i}/60: " in result.stdout
        assert iio.imread(out / f"scatter_{i:06d}.png").ndim == 3
    assert iio.imread(out / "curves.png").ndim == 3
    gif = iio.imread(out / "progress.gif", index=None)
    assert gif.shape[0] == len(EVALUATIONS)

    history = read_history(out / "history.csv")
    assert [int(row["iteration"]) for row in history] == EVALUATIONS
    for column in ["d_loss", "g_loss", "acc_real", "acc_fake", "mae", "ks"]:
        assert all(np.isfinite(float(row[column])) for row in history), column

    config = json.loads((out / "config.json").read_text())
    assert config["ITERATIONS"] == 60 and config["BATCH_SIZE"] == 32 and config["SEED"] == 7
    assert config["OUTPUT_DIR"] == str(out.parent)

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["iteration"] == 60
    assert 0 <= metrics["ks"] <= 1 and metrics["mae"] >= 0

    g = keras.models.load_model(out / "generator.keras")
    d = keras.models.load_model(out / "discriminator.keras")
    assert g.input_shape == (None, config["LATENT_DIM"]) and g.output_shape == (None, 2)
    assert d.input_shape == (None, 2) and d.output_shape == (None, 1)
    # The final metrics are those of the saved generator, on the same fixed evaluation points.
    assert metrics["mae"] == pytest.approx(float(history[-1]["mae"]), rel=1e-6)
    assert not list(out.glob("*.tmp*")), "a temporary file was left behind"


def test_the_same_seed_gives_the_same_run(tiny_1d_run, tmp_path):
    out, _ = tiny_1d_run
    result = run_script("gan_1d.py", *TINY_1D, "--output-dir", str(tmp_path))
    again = run_folder(tmp_path)
    assert result.returncode == 0, result.stderr
    first, second = read_history(out / "history.csv"), read_history(again / "history.csv")
    assert len(first) == len(second) == len(EVALUATIONS)
    for a, b in zip(first, second):
        assert {k: v for k, v in a.items() if k not in TIMING} == \
               {k: v for k, v in b.items() if k not in TIMING}
    m1, m2 = (json.loads((p / "metrics.json").read_text()) for p in (out, again))
    assert {k: v for k, v in m1.items() if k not in TIMING} == \
           {k: v for k, v in m2.items() if k not in TIMING}
