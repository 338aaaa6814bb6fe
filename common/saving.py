"""Writing a run's files: config, history, metrics, models. Every write is atomic: beside its
final name, then renamed into place, so an interrupted run never leaves a half-written file."""

import csv
import io
import json
import os


def write_atomically(path: str, data: bytes) -> None:
    """Write `data` to `path` through a temporary file and a rename."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save_json(path: str, obj: dict) -> None:
    write_atomically(path, (json.dumps(obj, indent=2) + "\n").encode())


def save_config(folder: str, config: dict, from_preset: list = (), classes: list = None) -> None:
    """config.json: the run's hyperparameters and, under "from_preset", those a preset set
    (gan_1d's TARGETS); and classes.json, the class names of the images, when there are."""
    save_json(os.path.join(folder, "config.json"),
              {**config, **({"from_preset": from_preset} if from_preset else {})})
    if classes:
        save_json(os.path.join(folder, "classes.json"), classes)


def save_history_csv(path: str, history: list) -> None:
    """One row per evaluation; columns in the order the first row has them."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(history[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    write_atomically(path, out.getvalue().encode())


def save_model(model, path: str) -> None:
    """Save a native .keras file atomically (Keras insists the name ends in .keras)."""
    tmp = path[: -len(".keras")] + ".tmp.keras"
    model.save(tmp)
    os.replace(tmp, path)


def save_models(folder: str, g_model, d_model, suffix: str = "") -> None:
    """generator{suffix}.keras and discriminator{suffix}.keras in `folder`."""
    save_model(g_model, os.path.join(folder, f"generator{suffix}.keras"))
    save_discriminator(d_model, os.path.join(folder, f"discriminator{suffix}.keras"))


def save_discriminator(d_model, path: str) -> None:
    """Save D trainable, as a standalone discriminator ready to train.

    After a composite update D is frozen; saved so, it would load frozen. The flag is put
    back as it was, so this is safe mid-run too.
    """
    trainable, d_model.trainable = d_model.trainable, True
    save_model(d_model, path)
    d_model.trainable = trainable
