"""The freeze discipline of the loop as the scripts write it, proven by comparing weights; the
moving average of G; the clock and the record (common/clock.py, common/record.py)."""

import warnings

import keras
import numpy as np
import pytest

from conftest import assert_freeze_discipline, same, snapshot, spy_on_updates, train_1d
import gan_1d
from common import checkpoint
from common.mnist import averaging
from common.sampling import as_the_composite_sees_it, generate_latent_points

LATENT_DIM = 5
CFG_1D = {"TARGET": "x2", "LATENT_DIM": LATENT_DIM, "PACK": gan_1d.PACK, "N_PLOT": 50}


def make_models(seed: int = 0):
    keras.utils.set_random_seed(seed)
    # The script's own layer counts, activation and pack, small widths.
    d = gan_1d.define_discriminator(gan_1d.PACK, gan_1d.D_LAYERS, 25, gan_1d.ACTIVATION,
                                    learning_rate=0.01, beta_1=0.9)
    g = gan_1d.define_generator(LATENT_DIM, gan_1d.G_LAYERS, 15, gan_1d.ACTIVATION,
                                gan_1d.G_OUTPUT)
    gan = gan_1d.define_gan(g, d, learning_rate=0.01, beta_1=0.9)
    return d, g, gan


def train_briefly(models, folder, iterations: int, batch_size: int, rng, eval_every=None):
    """gan_1d.train on `models`, as main() calls it, with a clock and record in `folder`."""
    cfg = {**CFG_1D, "BATCH_SIZE": batch_size, "ITERATIONS": iterations,
           "EVAL_EVERY": eval_every or iterations}
    return train_1d(folder, cfg, models, rng, n_eval=200).history


@pytest.mark.parametrize("batch_sizes", [(16,), (16, 32, 8)], ids=["one size", "size changes"])
def test_in_gan_1d_train_d_learns_is_frozen_in_the_composite_and_g_learns(batch_sizes,
                                                                          tmp_path):
    d, g, gan = make_models()
    rng = np.random.default_rng(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for batch_size in batch_sizes:  # a new batch size retraces Keras' train functions
            records = spy_on_updates(d, g, gan)
            train_briefly((d, g, gan), tmp_path / str(batch_size), 2, batch_size, rng)
            assert len(records) == 4
            assert_freeze_discipline(records)
            # D's batch: half real, half fake, in packs
            assert len(records[0][1]) * gan_1d.PACK == batch_size
    messages = [str(w.message) for w in caught]
    assert not any("does not have any trainable weights" in m for m in messages), messages


def test_the_tutorials_freeze_order_alone_leaves_d_frozen_forever():
    """The trap this project avoids: without re-setting trainable, D's first update is traced
    with D frozen. This proves the test above can tell the difference."""
    d, g, gan = make_models()
    rng = np.random.default_rng(0)
    x_real, y_real = gan_1d.generate_real_samples("x2", 16, rng)
    x_real, y_real = gan_1d.in_packs(x_real, gan_1d.PACK), y_real[::gan_1d.PACK]
    before = snapshot(d)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d.train_on_batch(x_real, y_real)  # D.trainable is still False from define_gan
    assert same(before, snapshot(d))
    assert any("does not have any trainable weights" in str(w.message) for w in caught)


def test_fakes_for_d_come_from_the_generator_in_training_mode():
    """With BatchNorm, training mode (batch statistics) and inference mode (moving averages)
    give different fakes; D must get the training-mode ones the composite trains G on."""
    keras.utils.set_random_seed(0)
    g = keras.Sequential([keras.Input((LATENT_DIM,)), keras.layers.Dense(8),
                          keras.layers.BatchNormalization(), keras.layers.Dense(2)])
    z = generate_latent_points(LATENT_DIM, 32, np.random.default_rng(0)) * 3 + 1
    drawn = np.asarray(as_the_composite_sees_it(g)(z))
    np.testing.assert_allclose(drawn, np.asarray(g(z, training=True)), rtol=1e-5, atol=1e-6)
    assert not np.allclose(drawn, g.predict_on_batch(z), atol=1e-3)


def test_train_records_one_row_per_evaluation_including_the_last_iteration(tmp_path):
    d, g, gan = make_models()
    history = train_briefly((d, g, gan), tmp_path, 25, 8, np.random.default_rng(0), 10)
    assert [row["iteration"] for row in history] == [10, 20, 25]
    for row in history:
        assert np.isfinite(row["d_loss"]) and np.isfinite(row["g_loss"])
        assert row["ms_per_iteration"] > 0 and 0 <= row["mae"] and 0 <= row["ks"] <= 1
    assert history[0]["train_seconds"] < history[-1]["train_seconds"]
    assert checkpoint.read_state(str(tmp_path / checkpoint.NAME))["iteration"] == 25
    assert (tmp_path / "scatter_000025.png").exists()


def test_a_run_folder_with_a_checkpoint_goes_on_where_it_stopped(tmp_path):
    """Two runs in one folder, 10 then 20 iterations, end where one run of 20 ends."""
    d, g, gan = make_models()
    whole = train_briefly((d, g, gan), tmp_path / "whole", 20, 8, np.random.default_rng(0), 10)
    at_20 = snapshot(g)
    d, g, gan = make_models()
    rng = np.random.default_rng(0)
    train_briefly((d, g, gan), tmp_path / "parts", 10, 8, rng, 10)
    d, g, gan = make_models(seed=5)  # other weights: the checkpoint must replace them all
    rng = np.random.default_rng(123)  # another state: the checkpoint's must replace it
    parts = train_briefly((d, g, gan), tmp_path / "parts", 20, 8, rng, 10)
    assert same(snapshot(g), at_20)
    timing = {"ms_per_iteration", "train_seconds"}
    assert [{k: v for k, v in row.items() if k not in timing} for row in whole] == \
        [{k: v for k, v in row.items() if k not in timing} for row in parts]


def test_the_average_moves_towards_g_by_the_formula_and_forgets_its_start_quickly():
    keras.utils.set_random_seed(0)
    g = keras.Sequential([keras.Input((LATENT_DIM,)), keras.layers.Dense(4),
                          keras.layers.BatchNormalization()])
    g_average = averaging.average_copy(g)
    assert same(snapshot(g), snapshot(g_average))
    update = averaging.updater(g_average, g, decay=0.9)
    start = snapshot(g_average)
    g.set_weights([w + 1.0 for w in start])  # BatchNorm's moving statistics included
    update(1000)  # late: k = decay = 0.9
    for a, w in zip(snapshot(g_average), start):
        np.testing.assert_allclose(a, w + 0.1, rtol=1e-5, atol=1e-6)
    update(0)  # the first iteration: k = (1 + 0) / (10 + 0) = 0.1
    for a, w in zip(snapshot(g_average), start):
        np.testing.assert_allclose(a, 0.1 * (w + 0.1) + 0.9 * (w + 1.0), rtol=1e-5, atol=1e-6)


def test_a_checkpoint_holds_the_average_and_restores_it(tmp_path):
    d, g, gan = make_models()
    g_average = averaging.average_copy(g)
    update = averaging.updater(g_average, g, 0.999)
    train_briefly((d, g, gan), tmp_path, 5, 8, np.random.default_rng(0))
    update(5)
    averaged = snapshot(g_average)
    assert not same(averaged, snapshot(g)), "the average is G itself"
    path = str(tmp_path / "ckpt.npz")
    checkpoint.save(path, checkpoint.model_variables(d, g, gan, g_average), {"x": 1})
    d2, g2, gan2 = make_models(seed=1)
    g_average2 = averaging.average_copy(g2)
    checkpoint.build_optimizers(d2, gan2)
    assert checkpoint.restore(path, checkpoint.model_variables(d2, g2, gan2, g_average2)) == \
        {"x": 1}
    assert same(snapshot(g_average2), averaged) and same(snapshot(g2), snapshot(g))
    assert same(snapshot(d2), snapshot(d))
    assert not d2.trainable, "restoring changed D.trainable"
