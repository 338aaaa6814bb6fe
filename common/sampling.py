"""The tutorial's sampling helpers that do not depend on the problem: latent points, fakes."""

import numpy as np
import tensorflow as tf


def generate_latent_points(latent_dim: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points of the latent space, standard normal, as float32 (what the generator eats)."""
    return rng.standard_normal((n, latent_dim), dtype=np.float32)


def random_streams(seed: int) -> tuple:
    """Two random generators from one seed: training's draws, and the draws of the fixed
    evaluation sets, so that training never shifts what the evaluations measure."""
    train_seed, eval_seed = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(train_seed), np.random.default_rng(eval_seed)


def as_the_composite_sees_it(g_model):
    """G in training mode, compiled once: what the loop draws D's fakes with.

    The composite model trains G in training mode (BatchNorm uses the batch's statistics);
    `predict()` or a plain call would run it in inference mode (moving averages), so D would
    learn to reject fakes that G is never trained on, and G collapses. D must see the fakes
    the composite sees. Compiled for G's input shapes, any batch size: a direct call in
    training mode costs about 1 ms more, a tf.function's dispatch about 0.1 ms more.
    """
    specs = [tf.TensorSpec(x.shape, x.dtype) for x in g_model.inputs]
    draw = tf.function(lambda latent_points: g_model(latent_points, training=True))
    return draw.get_concrete_function(specs if len(specs) > 1 else specs[0])


def generate_fake_samples(generator, latent_points) -> tuple:
    """Generated samples for the given latent points, with class label 0.

    `generator` is G (inference mode, for evaluations and pictures) or
    as_the_composite_sees_it(G) (for training). The tutorial draws the latent points inside;
    here the caller does, so that evaluations reuse the same fixed points and pictures
    compare. For a conditional G, `latent_points` is [points, digits] and the samples are
    [images, digits], as a conditional D takes them.
    """
    # A direct call, not predict_on_batch(): that one traces a tf.function for each new
    # batch shape (the evaluation set, the grid) and TensorFlow then warns about retracing.
    x = np.asarray(generator(latent_points))
    label = np.zeros((len(x), 1), dtype=np.float32)
    return ([x, latent_points[1]], label) if isinstance(latent_points, list) else (x, label)


def concatenate(a, b):
    """Two batches of samples one after the other: arrays, or [images, digits] lists."""
    if isinstance(a, list):
        return [np.concatenate([x, y]) for x, y in zip(a, b)]
    return np.concatenate([a, b])
