"""Print how long one training iteration of gan_mnist.py takes on this machine: its own
train() at the defaults, unconditional and --conditional, timed in turn in one run (the
machine's speed drifts), and the tutorial's wider architecture for scale. A benchmark prints;
no test times anything.

    python benchmarks/bench_mnist.py [--iterations 40]
"""

import argparse
import contextlib
import io
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import gan_mnist as gm  # first: it loads TensorFlow quietly
import keras
import numpy as np
import tensorflow as tf

from common import cli
from common.clock import Clock
from common.mnist import digit_classifier, image_data
from common.mnist.evaluation import Evaluation
from common.record import Record

# (name, conditional, D filters, G filters, batch size)
SETUPS = [
    ("gan_mnist.py defaults", False, gm.D_FILTERS, gm.G_FILTERS, gm.BATCH_SIZE),
    ("gan_mnist.py --conditional", True, gm.D_FILTERS, gm.G_FILTERS, gm.BATCH_SIZE),
    ("tutorial architecture, batch 64", False, 64, 128, 64),
]


def ms_per_iteration(conditional: bool, d_filters: int, g_filters: int, batch: int,
                     iterations: int, images: image_data.Images, tmp: str) -> float:
    """gan_mnist.train for `iterations` (after 3 to trace), as main() runs it, with the moving
    average; ms per iteration from its history (the one evaluation at the end excluded)."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    cfg = {**cli.hyperparameter_defaults(gm), "BATCH_SIZE": batch, "N_EVAL": 100,
           "CONDITIONAL": conditional, "D_FILTERS": d_filters, "G_FILTERS": g_filters}
    d, g, gan = gm.define_models(cfg, iterations, images.classes)
    g_average = keras.models.clone_model(g)
    evaluation = Evaluation(cfg, images, rng, classifier=digit_classifier.define_classifier())
    total = 0.0
    for n in (3, iterations):  # the first run traces; the second is timed
        record = Record(tempfile.mkdtemp(dir=tmp), n, n)
        clock = Clock(record, "bench", cfg, (d, g, gan), rng, g_average)
        total = gm.train(g, d, gan, g_average, clock, record, cfg, images, rng, evaluation,
                         n)[-1]["train_seconds"]
    return 1000 * total / iterations


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=40, help="timed iterations a setup")
    args = parser.parse_args()
    devices = [d.device_type for d in tf.config.list_logical_devices()]
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, devices {devices}, "
          f"{os.cpu_count()} CPU cores, {args.iterations} iterations a figure")
    images = image_data.load_images((*image_data.load_npz(image_data.BUNDLED_SAMPLE),
                                     image_data.CLASS_NAMES["mnist"]))
    images = images._replace(x=image_data.scale(images.x), x_held=image_data.scale(images.x_held))
    times = {}
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        for _ in range(2):  # in turn, twice: the machine's speed drifts
            for setup in SETUPS:
                times.setdefault(setup[0], []).append(
                    ms_per_iteration(*setup[1:], args.iterations, images, tmp))
    for name, _, d_filters, g_filters, batch in SETUPS:
        ms = np.mean(times[name])
        print(f"{name:34s} D {d_filters:3d} G {g_filters:3d} batch {batch:3d}: "
              f"{ms:7.0f} ms/iteration, {batch / ms * 1000:6.0f} images/s")
    ratio = np.mean(times[SETUPS[1][0]]) / np.mean(times[SETUPS[0][0]])
    print(f"--conditional / unconditional: {ratio:.2f}x")


if __name__ == "__main__":
    main()
