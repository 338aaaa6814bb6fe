"""A moving average of the generator's weights: the generator we show, score and save.

With a large step size G's weights never settle; they keep circling around good values, and
each evaluation catches them somewhere on that circle. The average of the recent iterations'
weights sits nearer the middle (Yazici et al. 2019, "The Unusual Effectiveness of Averaging in
GAN Training"); in gan_mnist's default run it scores better at every evaluation (README).
Training itself is unchanged: D still plays against the live G.
"""

import keras
import tensorflow as tf


def average_copy(g_model):
    """A second generator of the same shape, starting with G's weights."""
    g_average = keras.models.clone_model(g_model)
    g_average.set_weights(g_model.get_weights())
    return g_average


def updater(g_average, g_model, decay: float):
    """A function `update(iteration)` that moves the average towards G's weights (one that
    does nothing when g_average is None, a run without an average):
    average = k * average + (1 - k) * G, with k = decay, or less in the first iterations
    ((1 + i) / (10 + i)), so that the random starting weights are soon forgotten.

    Every weight is averaged, BatchNorm's moving statistics included.
    """
    if g_average is None:
        return lambda iteration: None
    pairs = list(zip(g_average.weights, g_model.weights))

    @tf.function
    def move(k):
        for average, weight in pairs:
            average.assign(k * average + (1.0 - k) * weight)

    def update(iteration: int) -> None:
        # A tensor, not a Python float: a new float would trace the function again.
        move(tf.constant(min(decay, (1 + iteration) / (10 + iteration)), tf.float32))

    return update
