"""Sampling helpers: shapes, labels, ranges; every target's real samples lie on its curve."""

import numpy as np
import pytest

import gan_1d
from common.metrics import ks_to_uniform, mean_abs_error
from common.sampling import generate_fake_samples, generate_latent_points


def test_latent_points_are_standard_normal_float32():
    z = generate_latent_points(5, 20_000, np.random.default_rng(0))
    assert z.shape == (20_000, 5) and z.dtype == np.float32
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02


def test_fake_samples_have_the_generators_shape_and_label_zero():
    g = gan_1d.define_generator(latent_dim=5, n_layers=1, hidden=15, activation="relu",
                                output="linear")
    z = generate_latent_points(5, 64, np.random.default_rng(0))
    x, y = generate_fake_samples(g, z)
    assert x.shape == (64, 2) and y.shape == (64, 1)
    assert (y == 0).all()
    np.testing.assert_allclose(x, g(z, training=False), rtol=1e-6)


@pytest.mark.parametrize("target", list(gan_1d.TARGETS))
def test_real_samples_lie_on_the_curve_and_cover_the_domain(target):
    f, (lo, hi), _ = gan_1d.TARGETS[target]
    x, y = gan_1d.generate_real_samples(target, 10_000, np.random.default_rng(1))
    assert x.shape == (10_000, 2) and x.dtype == np.float32
    assert y.shape == (10_000, 1) and (y == 1).all()
    assert lo <= x[:, 0].min() and x[:, 0].max() <= hi
    np.testing.assert_allclose(x[:, 1], f(x[:, 0]), rtol=1e-6, atol=1e-7)
    assert mean_abs_error(x, gan_1d.TARGETS[target][0]) < 1e-6
    assert ks_to_uniform(x[:, 0], lo, hi) < 0.02  # ~1.36/sqrt(n) at 95%


def test_ks_distance_sees_collapse_and_points_outside_the_domain():
    assert ks_to_uniform(np.zeros(1000), -0.5, 0.5) == pytest.approx(0.5, abs=1e-3)
    assert ks_to_uniform(np.full(1000, 3.0), -0.5, 0.5) == pytest.approx(1.0)
    half_domain = np.random.default_rng(0).uniform(0, 0.5, 10_000)
    assert ks_to_uniform(half_domain, -0.5, 0.5) == pytest.approx(0.5, abs=0.02)


def test_mean_abs_error_measures_distance_to_the_curve():
    points = np.array([[0.0, 0.1], [0.5, 0.25], [-0.5, 0.0]])
    assert mean_abs_error(points, gan_1d.TARGETS["x2"][0]) == pytest.approx((0.1 + 0 + 0.25) / 3)
