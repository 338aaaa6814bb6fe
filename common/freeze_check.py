"""The freeze check: on the first iteration of a run (fresh or resumed), the weights themselves
say whether D learned from its own update, stayed bit-identical through the composite's
update, and whether G learned in it. Keras 3 reads `trainable` when it first traces a model's
update (its first train_on_batch), not at compile(), so the tutorial's order (freeze D, then
compile the composite) leaves D frozen in its own update too, and only a warning says so.

Nothing in these scripts retraces an update later: every batch of a run has the same shape.
So one check, on the first iteration, costs one copy of the weights and then nothing.
"""

import numpy as np

from common.errors import RunError

WHY = "Keras 3 reads `trainable` when it traces a model's update, at its first train_on_batch"
PROBLEMS = {
    "d_frozen": "D's own update left D's weights unchanged: D was frozen when its update was "
                f"first traced ({WHY}). Fix: set d_model.trainable = True right before "
                "d_model.train_on_batch",
    "d_in_gan": "the composite's update changed D's weights: D was trainable when the "
                f"composite's update was first traced ({WHY}). Fix: set d_model.trainable = "
                "False right before gan_model.train_on_batch",
    "g_frozen": "the composite's update left G's weights unchanged: G was frozen when the "
                f"composite's update was first traced ({WHY}). Fix: leave g_model.trainable "
                "True; only D is frozen in the composite",
}


class FreezeCheckFailed(RunError):
    """A model learned where it must not, or did not where it must: exit status 1."""


def snapshot(model) -> list:
    """Copies of all of a model's weights."""
    return [np.copy(w.numpy()) for w in model.weights]


def same(a: list, b: list) -> bool:
    """Whether two snapshots are bit-identical."""
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def fail(problem: str, iteration: int) -> None:
    raise FreezeCheckFailed(f"freeze check, iteration {iteration}: {PROBLEMS[problem]}")
