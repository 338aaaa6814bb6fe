"""gan_1d.py end to end: it learns, writes every output, and repeats itself exactly."""

import csv
import json
import os

import imageio.v3 as iio
import keras
import numpy as np
import pytest

from conftest import ROOT, TIMING, TINY_1D, gan_1d_config, models_txt, run_folder
from conftest import run_in_process, train_1d
import gan_1d

EVALUATIONS = [25, 50, 60]  # every 25 iterations, and the last one


# After 2,000 iterations at the defaults (seed 1; a full run has 5,000): measured 0.003 to
# 0.016 mae and 0.03 to 0.04 ks on the four smooth targets; poly, the hardest, 0.08 and 0.07.
# A G that misses the curve or drops half of it (ks near 0.5) fails these bounds.
SHORT_RUN_BOUNDS = {"x2": (0.04, 0.1), "sine": (0.04, 0.1), "gaussian": (0.04, 0.1),
                    "cubic": (0.04, 0.1), "poly": (0.15, 0.2)}


@pytest.mark.parametrize("target", [t for t in gan_1d.TARGETS if t != "x2"])  # x2: its
def test_a_short_run_at_the_defaults_brings_the_points_onto_the_whole_curve(target, tmp_path):
    # verdict, from 2,500 iterations (test_diagnoses.py), holds it to the bar itself.
    record = train_1d(tmp_path, gan_1d_config(TARGET=target, ITERATIONS=2000, EVAL_EVERY=500))
    after = record.history[-1]
    mae_bound, ks_bound = SHORT_RUN_BOUNDS[target]
    assert after["mae"] < mae_bound and after["ks"] < ks_bound, after
    assert record.warnings == []  # a healthy run: no diagnosis fires


def test_each_knob_reaches_the_models(tmp_path):
    args = gan_1d.parse_args(["--pack", "4", "--d-layers", "3", "--d-hidden", "16",
                              "--g-layers", "1", "--g-hidden", "8", "--activation", "tanh",
                              "--g-output", "tanh", "--latent-dim", "3",
                              "--output-dir", str(tmp_path)])
    d, g, gan = gan_1d.define_models(args.config)
    assert d.input_shape == (None, 4, 2) and d.output_shape == (None, 1)
    assert g.input_shape == (None, 3) and g.output_shape == (None, 2)
    assert gan.input_shape == (None, 4, 3) and gan.output_shape == (None, 1)
    d_dense = [layer for layer in d.layers if isinstance(layer, keras.layers.Dense)]
    g_dense = [layer for layer in g.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in d_dense] == [16, 16, 16, 1]
    assert [layer.units for layer in g_dense] == [8, 2]
    assert [layer.activation.__name__ for layer in d_dense] == ["tanh"] * 3 + ["sigmoid"]
    assert [layer.activation.__name__ for layer in g_dense] == ["tanh", "tanh"]
    # The defaults: relu hidden layers, a linear output, pairs.
    d, g, _ = gan_1d.define_models(gan_1d_config())
    assert d.input_shape == (None, gan_1d.PACK, 2) == (None, 2, 2)
    assert [layer.activation.__name__ for layer in g.layers] == ["relu", "relu", "linear"]
    leaky = gan_1d.define_models(gan_1d_config(ACTIVATION="leaky_relu"))[1]
    assert leaky.layers[0].activation.__name__ == "leaky_relu"


def frame_colours(path) -> dict:
    """The shares of a PNG's pixels that are clearly green (D: real) and clearly purple (D:
    fake), the two ends of the frames' colour map."""
    rgb = iio.imread(path)[..., :3].astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return {"green": float(np.mean((g > r + 40) & (g > b + 40))),
            "purple": float(np.mean((r > g + 40) & (b > g + 40)))}


def a_discriminator_that_always_says(verdict: float, pack: int):
    """D with zero weights and the bias that makes its output `verdict` everywhere."""
    d = gan_1d.define_discriminator(pack, 1, 4, "relu", 0.001, 0.5)
    for layer in d.layers:
        layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    last = d.layers[-1]
    last.set_weights([last.get_weights()[0], np.full((1,), np.log(verdict / (1 - verdict)),
                                                     dtype=np.float32)])
    return d


def test_each_frame_draws_d_s_verdict_over_the_whole_plot(tmp_path, monkeypatch):
    g = gan_1d.define_generator(1, 1, 8, "relu", "linear")
    eval_real, _ = gan_1d.generate_real_samples("x2", 200, np.random.default_rng(0))
    eval_latent = np.random.default_rng(1).standard_normal((200, 1)).astype(np.float32)
    # The view handed to the plot is D's output on the grid, point by point.
    keras.utils.set_random_seed(0)
    d = gan_1d.define_discriminator(2, 1, 8, "relu", 0.001, 0.5)
    views = []
    plot = gan_1d.plotting.plot_scatter
    monkeypatch.setattr(gan_1d.plotting, "plot_scatter",
                        lambda *args, d_view, **kw: views.append(d_view) or plot(
                            *args, d_view=d_view, **kw))
    gan_1d.summarize_performance(1, g, d, "x2", eval_real, eval_latent, 100, str(tmp_path))
    curve = gan_1d.plotting.curve(*gan_1d.TARGETS["x2"][:2])
    grid = gan_1d.plotting.grid_points(*gan_1d.plotting.scatter_limits(curve), gan_1d.VIEW_SIZE)
    pairs = np.stack([grid, np.broadcast_to(eval_real[0], grid.shape)], axis=1)
    assert views[0].shape == (gan_1d.VIEW_SIZE, gan_1d.VIEW_SIZE)
    np.testing.assert_allclose(views[0].ravel(), np.asarray(d(pairs)).ravel(), rtol=1e-5)
    # The saved PNG: green behind the points where D says real, purple where it says fake.
    colours = {}
    for verdict in (0.98, 0.02):
        folder = tmp_path / str(verdict)
        folder.mkdir()
        d = a_discriminator_that_always_says(verdict, 2)
        gan_1d.summarize_performance(5, g, d, "x2", eval_real, eval_latent, 100, str(folder))
        colours[verdict] = frame_colours(folder / "scatter_000005.png")
    assert colours[0.98]["green"] > 0.3 and colours[0.98]["purple"] < 0.05, colours
    assert colours[0.02]["purple"] > 0.3 and colours[0.02]["green"] < 0.05, colours


def test_the_readme_shows_the_loop_as_train_has_it():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    snippet = readme.split("```python\n")[1].split("```")[0].splitlines()
    source = [line.strip() for line in open(gan_1d.__file__, encoding="utf-8")]
    # Every line as it stands in gan_1d.py, but the one that leaves arguments out.
    missing = [line for line in snippet if "(i, ...)" not in line and line.strip() not in source]
    assert not missing, missing


def read_history(path) -> list:
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.mark.smoke
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
    assert config["OUTPUT_DIR"] == result.args[result.args.index("--output-dir") + 1]

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["iteration"] == 60
    assert 0 <= metrics["ks"] <= 1 and metrics["mae"] >= 0

    g = keras.models.load_model(out / "generator.keras")
    d = keras.models.load_model(out / "discriminator.keras")
    assert g.input_shape == (None, config["LATENT_DIM"]) and g.output_shape == (None, 2)
    assert d.input_shape == (None, config["PACK"], 2) and d.output_shape == (None, 1)
    # The final metrics are those of the saved generator, on the same fixed evaluation points.
    assert metrics["mae"] == pytest.approx(float(history[-1]["mae"]), rel=1e-6)
    assert not list(out.glob("*.tmp*")), "a temporary file was left behind"


def test_the_same_seed_gives_the_same_run(tiny_1d_run, tmp_path):
    out, _ = tiny_1d_run
    result = run_in_process("gan_1d.py", *TINY_1D, "--output-dir", str(tmp_path))
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


def test_models_txt_shows_each_model_as_it_is_trained(tiny_1d_run):
    """The three summaries, D's weights trainable in D's own and frozen in the composite's."""
    out, result = tiny_1d_run
    d, g, gan = models_txt(out).values()
    assert d["trainable"] == d["total"] > 0
    assert gan == {"total": d["total"] + g["total"], "trainable": g["total"],
                   "non-trainable": d["total"]}
    assert f"D {d['total']:,} parameters, G {g['total']:,}" in result.stdout
