"""Print how fast gan_1d.py trains on this machine: ms per iteration of the real loop, and
what one iteration is made of. A benchmark prints figures; no test times anything.

    python benchmarks/bench_1d.py [--iterations 3000] [--batch-size 128]
"""

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import gan_1d  # noqa: E402
from common import training  # noqa: E402
from common.sampling import generate_latent_points  # noqa: E402


def ms_per_call(fn, n: int) -> float:
    for _ in range(min(n, 100)):  # warm up: tracing, caches
        fn()
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return 1000 * (time.perf_counter() - start) / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=gan_1d.BATCH_SIZE)
    args = parser.parse_args()
    n, batch, half, latent = args.iterations, args.batch_size, args.batch_size // 2, 5
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPU cores, "
          f"batch {batch}, {n} iterations per figure")

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    d = gan_1d.define_discriminator(gan_1d.D_HIDDEN, gan_1d.LEARNING_RATE, gan_1d.BETA_1)
    g = gan_1d.define_generator(latent, gan_1d.G_HIDDEN)
    gan = gan_1d.define_gan(g, d, gan_1d.LEARNING_RATE, gan_1d.BETA_1)

    def real(k):
        return gan_1d.generate_real_samples("x2", k, rng)

    with contextlib.redirect_stdout(io.StringIO()), tempfile.TemporaryDirectory() as tmp:
        ckpt, info = os.path.join(tmp, "checkpoint.npz"), {"script": "bench", "config": {}}

        def loop(iterations, log_dir=None):
            """ms per iteration over the last evaluation interval (as gan_1d.py's, so
            TensorBoard logs as often as there: about 100 times per interval)."""
            every = min(iterations, gan_1d.EVAL_EVERY)
            return training.train(d, g, gan, real, latent, iterations, batch, every,
                                  lambda i: {}, rng, ckpt, info, log_dir=log_dir)[-1]

        loop(200), loop(200, os.path.join(tmp, "tb"))  # warm up: tracing
        # Off and on in turn, twice: this machine's speed drifts from one minute to the next.
        off, on = [], []
        for _ in range(2):
            off.append(loop(n)["ms_per_iteration"])
            on.append(loop(n, os.path.join(tmp, "tb"))["ms_per_iteration"])
    off, on = np.mean(off), np.mean(on)
    print(f"{'training loop (common/training.py)':40s}{off:8.3f} ms/iteration")
    print(f"{'  the same with TensorBoard logging':40s}{on:8.3f} ms/iteration "
          f"({100 * (on / off - 1):+.1f} %)")

    draw = training.fakes_as_the_composite_sees_them(g)
    x_d = np.concatenate([real(half)[0], np.asarray(draw(generate_latent_points(latent, half, rng)))])
    y_d = np.concatenate([np.ones((half, 1)), np.zeros((half, 1))]).astype(np.float32)
    z = generate_latent_points(latent, batch, rng)
    y_g = np.ones((batch, 1), np.float32)
    d.trainable = True
    parts = {
        "  D train_on_batch (real + fake)": lambda: d.train_on_batch(x_d, y_d),
        "  composite train_on_batch": lambda: gan.train_on_batch(z, y_g),
        "  drawing D's fakes (tf.function)": lambda: draw(z[:half]),
        "  setting D.trainable twice": lambda: (setattr(d, "trainable", False),
                                                setattr(d, "trainable", True)),
        "  sampling real and latent points": lambda: (real(half), generate_latent_points(
            latent, half + batch, rng)),
    }
    for name, fn in parts.items():
        print(f"{name:40s}{ms_per_call(fn, n):8.3f} ms")
    d.trainable = False
    tutorial = ms_per_call(lambda: g.predict(z, verbose=0), 30)
    print(f"{'  for scale: G.predict(), as the tutorial':40s}{tutorial:8.3f} ms")


if __name__ == "__main__":
    main()
