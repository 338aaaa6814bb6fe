"""The image-quality numbers of common/metrics.py on inputs whose answer is known."""

import numpy as np
import pytest

from common import metrics


def test_classifier_score_is_the_number_of_classes_for_sure_balanced_answers():
    probs = np.eye(10)[np.arange(1000) % 10]
    assert metrics.classifier_score(probs) == pytest.approx(10, rel=1e-6)


def test_classifier_score_is_one_for_unsure_or_collapsed_answers():
    assert metrics.classifier_score(np.full((100, 10), 0.1)) == pytest.approx(1, rel=1e-6)
    assert metrics.classifier_score(np.eye(10)[np.zeros(100, int)]) == pytest.approx(1, rel=1e-6)


def test_frechet_distance_is_zero_for_the_same_set_and_grows_with_a_shift():
    features = np.random.default_rng(0).standard_normal((2000, 8))
    assert metrics.frechet_distance(features, features) == pytest.approx(0, abs=1e-6)
    shifted = features + np.array([3.0] + [0.0] * 7)
    assert metrics.frechet_distance(features, shifted) == pytest.approx(9, rel=1e-6)


def test_frechet_distance_sees_a_different_spread():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((20_000, 2)), 2 * rng.standard_normal((20_000, 2))
    # Same mean; covariances I and 4I: 2 + 8 - 2 * tr(sqrt(4I)) = 10 - 8 = 2
    assert metrics.frechet_distance(a, b) == pytest.approx(2, rel=0.05)


def test_class_shares_and_confident_share():
    probs = np.array([[0.95, 0.05], [0.6, 0.4], [0.1, 0.9]])
    np.testing.assert_allclose(metrics.class_shares(probs), [2 / 3, 1 / 3])
    assert metrics.confident_share(probs) == pytest.approx(2 / 3)
