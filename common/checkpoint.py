"""Checkpoints: everything a run needs to go on exactly where it stopped, in one file.

`checkpoint.npz` in the run's folder holds every variable of D, G, G's moving average (when
the run keeps one) and both Adam optimizers (weights, BatchNorm statistics, the dropout
layers' random state, Adam's moments and step counter) and, as JSON, the iteration, the
history so far, the training random generator's state and the run's configuration. It is
written to a temporary file and renamed into place (common/saving.py), so a kill at any
moment leaves the previous checkpoint whole. Its JSON part reads without the models.
"""

import io
import json
import os

import numpy as np

from common import saving
from common.errors import Diverged

NAME = "checkpoint.npz"


class NotFinite(ValueError):
    """A model's weights hold NaN or infinity: training diverged, nothing worth saving."""


def model_variables(d_model, g_model, gan_model, g_average=None) -> dict:
    """Every variable the rest of the run depends on, in a fixed order, by group."""
    return {"d": d_model.variables, "g": g_model.variables,
            "g_average": g_average.variables if g_average else [],
            "d_optimizer": d_model.optimizer.variables,
            "gan_optimizer": gan_model.optimizer.variables}


def build_optimizers(d_model, gan_model) -> None:
    """Make Adam's moment variables now, so that a checkpoint's values have somewhere to go
    (Keras makes them at a model's first update). Each optimizer gets the variables its
    update trains, which depends on D.trainable as it does at the update itself: all of D
    for D's optimizer, only G for the composite's. The flag is put back as it was."""
    trainable = d_model.trainable
    d_model.trainable = True
    if not d_model.optimizer.built:
        d_model.optimizer.build(d_model.trainable_variables)
    d_model.trainable = False
    if not gan_model.optimizer.built:
        gan_model.optimizer.build(gan_model.trainable_variables)
    d_model.trainable = trainable


def save(path: str, variables: dict, state: dict) -> None:
    """Write `variables` (from model_variables) and `state` (JSON-able) atomically.

    Raises NotFinite, and writes nothing, when a weight is NaN or infinite.
    """
    arrays = {}
    for group, group_variables in variables.items():
        for i, variable in enumerate(group_variables):
            value = np.asarray(variable.numpy())
            if value.dtype.kind == "f" and not np.isfinite(value).all():
                raise NotFinite(f"{variable.path} is not finite")
            arrays[f"{group}/{i:04d}"] = value
    arrays["state"] = np.array(json.dumps(state))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    saving.write_atomically(path, buffer.getvalue())


def read_state(path: str) -> dict:
    """The JSON part of a checkpoint. Raises ValueError saying what is wrong with the file."""
    try:
        with np.load(path, allow_pickle=False) as loaded:  # never unpickle: files carry code
            state = json.loads(str(loaded["state"]))
    except Exception as e:  # missing, truncated, not a zip, no state: numpy raises many kinds
        reason = (str(e).splitlines() or [type(e).__name__])[0]
        raise ValueError(f"{path} is not a readable checkpoint ({reason})")
    if not isinstance(state, dict) or not {"script", "config", "iteration"} <= set(state):
        raise ValueError(f"{path} is not a checkpoint of these scripts")
    return state


def restore(path: str, variables: dict) -> dict:
    """Load a checkpoint's values into `variables` (from model_variables, optimizers built);
    return its state. Raises ValueError when the file does not fit these models.
    """
    with np.load(path, allow_pickle=False) as loaded:
        for group, group_variables in variables.items():
            names = sorted(k for k in loaded.files if k.startswith(group + "/"))
            if len(names) != len(group_variables):
                raise ValueError(f"{path} holds {len(names)} {group} variables, these "
                                 f"models have {len(group_variables)}")
            for name, variable in zip(names, group_variables):
                value = loaded[name]
                if tuple(value.shape) != tuple(variable.shape):
                    raise ValueError(f"{path}: {variable.path} has shape {value.shape} there, "
                                     f"{tuple(variable.shape)} here")
                variable.assign(value)
        return json.loads(str(loaded["state"]))


def diverged(folder: str, iteration: int, what: str) -> Diverged:
    """The error that stops a run whose `what` is no longer a finite number, saying which
    checkpoint in `folder` is kept (the last good one: a weight not finite is never saved)."""
    path = os.path.join(folder, NAME)
    try:
        kept = f"the last good checkpoint (iteration {read_state(path)['iteration']}) is kept " \
               f"in {path}"
    except ValueError:
        kept = "no checkpoint had been saved"
    return Diverged(f"training diverged at iteration {iteration}: {what} is not a finite "
                    f"number, most likely because the learning rate is too high; {kept}. "
                    f"Start a new run with a smaller --learning-rate")
