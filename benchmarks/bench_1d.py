"""Print how fast gan_1d.py trains on this machine, all in one run (the machine's speed
drifts): ms per iteration of the script's own train() with and without TensorBoard logging,
and the floor, two bare train_on_batch calls on the same models. A benchmark prints figures;
no test times anything.

    python benchmarks/bench_1d.py [--iterations 3000] [--batch-size 512]
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
from common.run import Run  # noqa: E402
from common.sampling import generate_latent_points  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=gan_1d.BATCH_SIZE)
    args = parser.parse_args()
    n, batch = args.iterations, args.batch_size
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPU cores, "
          f"batch {batch}, {n} iterations per figure")
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    d = gan_1d.define_discriminator(gan_1d.D_HIDDEN, gan_1d.LEARNING_RATE, gan_1d.BETA_1)
    g = gan_1d.define_generator(gan_1d.LATENT_DIM, gan_1d.G_HIDDEN)
    gan = gan_1d.define_gan(g, d, gan_1d.LEARNING_RATE, gan_1d.BETA_1)
    cfg = {"TARGET": "x2", "LATENT_DIM": gan_1d.LATENT_DIM, "BATCH_SIZE": batch, "N_PLOT": 100}
    eval_real, _ = gan_1d.generate_real_samples("x2", 1000, rng)
    eval_latent = generate_latent_points(gan_1d.LATENT_DIM, 1000, rng)

    with contextlib.redirect_stdout(io.StringIO()), tempfile.TemporaryDirectory() as tmp:
        def loop(iterations: int, tensorboard: bool) -> float:
            """ms per iteration of gan_1d.train, evaluations excluded (as its history says),
            evaluating and logging as often as gan_1d.py does."""
            folder = tempfile.mkdtemp(dir=tmp)
            run = Run(folder, d, g, gan, rng, iterations, min(iterations, gan_1d.EVAL_EVERY),
                      {"script": "bench"}, tensorboard=tensorboard)
            history = gan_1d.train(g, d, gan, run, cfg, rng, eval_real, eval_latent)
            return 1000 * history[-1]["train_seconds"] / iterations

        x_d, _ = gan_1d.generate_real_samples("x2", batch, rng)  # any batch of its shape
        y_d = np.concatenate([np.ones((batch // 2, 1)), np.zeros((batch // 2, 1))])
        y_d, y_g = y_d.astype(np.float32), np.ones((batch, 1), np.float32)
        z = generate_latent_points(gan_1d.LATENT_DIM, batch, rng)

        def floor(iterations: int) -> float:
            """ms per pair of bare updates: D's (D trainable), the composite's (D frozen)."""
            start = time.perf_counter()
            for _ in range(iterations):
                d.train_on_batch(x_d, y_d)
                gan.train_on_batch(z, y_g)
            return 1000 * (time.perf_counter() - start) / iterations

        loop(200, True), loop(200, False)  # warm up: tracing
        # All three in turn, three times: the machine's speed drifts from minute to minute.
        on, off, bare = [], [], []
        for _ in range(3):
            on.append(loop(n, True))
            off.append(loop(n, False))
            d.trainable = True  # as the loop has it for D's update; the composite's was
            bare.append(floor(n))  # traced with D frozen and keeps that
            d.trainable = False
    on, off, bare = np.median(on), np.median(off), np.median(bare)
    print(f"{'two bare train_on_batch calls':44s}{bare:8.3f} ms/iteration")
    print(f"{'gan_1d.train, no TensorBoard logging':44s}{off:8.3f} ms/iteration "
          f"({off / bare:.2f}x the bare calls)")
    print(f"{'gan_1d.train, TensorBoard logging (default)':44s}{on:8.3f} ms/iteration "
          f"({on / bare:.2f}x the bare calls; logging {100 * (on / off - 1):+.1f} %)")
    start = time.perf_counter()
    for _ in range(20):
        g.predict(z, verbose=0)
    print(f"{'for scale: one G.predict(), as the tutorial':44s}"
          f"{1000 * (time.perf_counter() - start) / 20:8.3f} ms")


if __name__ == "__main__":
    main()
