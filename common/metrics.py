"""Objective numbers: D's accuracies, and for generated images, numbers from a classifier's
outputs and features."""

import numpy as np


def d_accuracies(d_model, x_real, x_fake) -> tuple:
    """The shares of real and of fake samples D labels right (the tutorial's accuracies)."""
    real = np.asarray(d_model(x_real, training=False)) > 0.5
    fake = np.asarray(d_model(x_fake, training=False)) <= 0.5
    return float(np.mean(real)), float(np.mean(fake))


def mean_abs_error(points: np.ndarray, f) -> float:
    """Mean |y - f(x)| of the points (n, 2): 0 when every point lies on the curve y = f(x)."""
    return float(np.mean(np.abs(points[:, 1] - f(points[:, 0]))))


def ks_to_uniform(x: np.ndarray, lo: float, hi: float) -> float:
    """Kolmogorov-Smirnov distance between the values x and the uniform law on [lo, hi].

    0 when x covers the interval evenly; near 1 when x sits in one spot or outside it.
    """
    x = np.sort(x)
    n = len(x)
    cdf = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return float(max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n)))


def classifier_score(probs: np.ndarray) -> float:
    """exp(E_x KL(p(y|x) || p(y))): the Inception Score's formula with our digit classifier.

    1 when every image gets the same blurred answer; the number of classes (10) when each image
    is one confident class and the classes are equally frequent.
    """
    p_y = probs.mean(axis=0, keepdims=True)
    kl = np.sum(probs * (np.log(probs + 1e-12) - np.log(p_y + 1e-12)), axis=1)
    return float(np.exp(kl.mean()))


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (the FID's formula).

    tr(sqrt(Ca Cb)) is computed as tr(sqrt(Sa Cb Sa)) with Sa = sqrt(Ca), both symmetric, so
    numpy's eigh is enough.
    """
    mu_a, mu_b = features_a.mean(axis=0), features_b.mean(axis=0)
    cov_a = np.cov(features_a, rowvar=False)
    cov_b = np.cov(features_b, rowvar=False)
    values, vectors = np.linalg.eigh(cov_a)
    sqrt_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(sqrt_a @ cov_b @ sqrt_a), 0, None)).sum()
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)


def spread(features: np.ndarray, reference: np.ndarray) -> float:
    """How much the features vary, as a share of how much the reference features vary (the
    ratio of their total variances): about 1 for images as varied as real ones, near 0 when
    the images are all alike (mode collapse), whatever their classes."""
    return float(features.var(axis=0).sum() / reference.var(axis=0).sum())


def class_shares(probs: np.ndarray) -> np.ndarray:
    """The share of images the classifier puts in each class (a mode-collapse detector)."""
    return np.bincount(probs.argmax(axis=1), minlength=probs.shape[1]) / len(probs)


def confident_share(probs: np.ndarray, threshold: float = 0.9) -> float:
    """The share of images the classifier is at least `threshold` sure of."""
    return float(np.mean(probs.max(axis=1) >= threshold))
