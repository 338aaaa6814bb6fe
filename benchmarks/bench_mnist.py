"""Print how long one training iteration of gan_mnist.py takes on this machine, for the
tutorial's architecture and for the script's defaults. A benchmark prints; no test times.

    python benchmarks/bench_mnist.py [--steps 5]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import gan_mnist  # noqa: E402
from common import training  # noqa: E402
from common.sampling import generate_latent_points  # noqa: E402

# (name, D filters, G filters, batch size)
SETUPS = [
    ("tutorial architecture, batch 256", 64, 128, 256),
    ("tutorial architecture, batch 64", 64, 128, 64),
    ("gan_mnist.py defaults", gan_mnist.D_FILTERS, gan_mnist.G_FILTERS, gan_mnist.BATCH_SIZE),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=5, help="timed steps per setup")
    args = parser.parse_args()
    devices = [d.device_type for d in tf.config.list_logical_devices()]
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, devices {devices}, "
          f"{os.cpu_count()} CPU cores")
    rng = np.random.default_rng(0)
    x, _ = gan_mnist.load_npz(gan_mnist.BUNDLED_SAMPLE)
    images = gan_mnist.scale(x)
    for name, d_filters, g_filters, batch in SETUPS:
        keras.utils.set_random_seed(0)
        d = gan_mnist.define_discriminator(d_filters, 2e-4, 0.5)
        g = gan_mnist.define_generator(gan_mnist.LATENT_DIM, g_filters)
        gan = gan_mnist.define_gan(g, d, 2e-4, 0.5)
        draw, half = training.fakes_as_the_composite_sees_them(g), batch // 2
        y_d = np.concatenate([np.ones((half, 1)), np.zeros((half, 1))]).astype(np.float32)
        y_g = np.ones((batch, 1), np.float32)

        def step():
            x_real, _ = gan_mnist.generate_real_samples(images, half, rng)
            training.train_step(d, gan, x_real,
                                draw(generate_latent_points(gan_mnist.LATENT_DIM, half, rng)),
                                generate_latent_points(gan_mnist.LATENT_DIM, batch, rng),
                                y_d, y_g)

        step(), step()  # warm up: tracing
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        seconds = (time.perf_counter() - start) / args.steps
        print(f"{name:36s} D {d_filters:3d} G {g_filters:3d} batch {batch:3d}: "
              f"{1000 * seconds:7.0f} ms/iteration, {batch / seconds:6.0f} images/s")


if __name__ == "__main__":
    main()
