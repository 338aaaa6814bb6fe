"""The freeze discipline of common/training.py, proven by comparing weights."""

import warnings

import keras
import numpy as np
import pytest

from conftest import same, snapshot, watched_train_step
import gan_1d
from common import averaging, checkpoint, training
from common.sampling import generate_latent_points

LATENT_DIM = 5


def make_models(seed: int = 0):
    keras.utils.set_random_seed(seed)
    d = gan_1d.define_discriminator(hidden=25, learning_rate=0.01, beta_1=0.9)
    g = gan_1d.define_generator(LATENT_DIM, hidden=15)
    gan = gan_1d.define_gan(g, d, learning_rate=0.01, beta_1=0.9)
    return d, g, gan


def one_step(d, g, gan, batch_size: int, rng):
    x_real, _ = gan_1d.generate_real_samples("x2", batch_size // 2, rng)
    return watched_train_step(d, g, gan, x_real, LATENT_DIM, rng)


@pytest.mark.parametrize("batch_sizes", [(16,), (16, 32, 8)], ids=["one size", "size changes"])
def test_d_learns_from_its_update_is_frozen_in_the_composite_and_g_learns(batch_sizes):
    d, g, gan = make_models()
    rng = np.random.default_rng(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for batch_size in batch_sizes:  # a new batch size retraces Keras' train functions
            d_start, g_start = snapshot(d), snapshot(g)
            losses, seen = one_step(d, g, gan, batch_size, rng)
            assert all(np.isfinite(losses))
            assert not same(d_start, seen["d_before"]), "D did not learn from its own update"
            assert same(g_start, seen["g_before"]), "D's update changed G"
            assert same(seen["d_before"], seen["d_after"]), "the composite update changed D"
            assert not same(seen["g_before"], seen["g_after"]), "G did not learn"
    messages = [str(w.message) for w in caught]
    assert not any("does not have any trainable weights" in m for m in messages), messages


def test_the_tutorials_freeze_order_alone_leaves_d_frozen_forever():
    """The trap this project avoids: without re-setting trainable, D's first update is traced
    with D frozen. This proves the test above can tell the difference."""
    d, g, gan = make_models()
    rng = np.random.default_rng(0)
    x_real, y_real = gan_1d.generate_real_samples("x2", 16, rng)
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
    drawn = np.asarray(training.fakes_as_the_composite_sees_them(g)(z))
    np.testing.assert_allclose(drawn, np.asarray(g(z, training=True)), rtol=1e-5, atol=1e-6)
    assert not np.allclose(drawn, g.predict_on_batch(z), atol=1e-3)


def test_train_records_one_row_per_evaluation_including_the_last_iteration(tmp_path):
    d, g, gan = make_models()
    rng = np.random.default_rng(0)
    evaluated = []
    history = training.train(
        d, g, gan, lambda n: gan_1d.generate_real_samples("x2", n, rng), LATENT_DIM,
        iterations=25, batch_size=8, eval_every=10,
        summarize_performance=lambda i: evaluated.append(i) or {"metric": float(i)}, rng=rng,
        checkpoint_path=str(tmp_path / "checkpoint.npz"), run_info={"script": "test"})
    assert evaluated == [10, 20, 25]
    assert [row["iteration"] for row in history] == [10, 20, 25]
    assert [row["metric"] for row in history] == [10.0, 20.0, 25.0]
    for row in history:
        assert np.isfinite(row["d_loss"]) and np.isfinite(row["g_loss"])
        assert row["ms_per_iteration"] > 0
    assert history[0]["train_seconds"] < history[-1]["train_seconds"]


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


def test_train_updates_the_average_and_its_checkpoint_restores_it(tmp_path):
    d, g, gan = make_models()
    g_average = averaging.average_copy(g)
    start = snapshot(g)
    rng = np.random.default_rng(0)
    path = tmp_path / "checkpoint.npz"
    training.train(d, g, gan, lambda n: gan_1d.generate_real_samples("x2", n, rng),
                   LATENT_DIM, iterations=30, batch_size=8, eval_every=30,
                   summarize_performance=lambda i: {}, rng=rng, checkpoint_path=str(path),
                   run_info={"script": "test"}, g_average=g_average, average_decay=0.999)
    averaged = snapshot(g_average)
    assert not same(averaged, start), "the average did not move"
    assert not same(averaged, snapshot(g)), "the average is G itself"
    d2, g2, gan2 = make_models(seed=1)
    g_average2 = averaging.average_copy(g2)
    checkpoint.restore(str(path), d2, gan2, g_average2)
    assert same(snapshot(g_average2), averaged)
    assert same(snapshot(g2), snapshot(g))
