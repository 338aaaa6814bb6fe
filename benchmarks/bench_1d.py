"""Print how fast gan_1d.py trains on this machine, all in one run (the machine's speed
drifts), with the default models:
- ms per iteration of the script's own train() with and without TensorBoard logging, and
  the floor, two bare train_on_batch calls on the same models;
- what D's view costs: drawing a frame with it and without it;
- with --whole-runs N: the default command's wall time against that of the script at
  another commit (--baseline), N runs of each, taking turns.
A benchmark prints figures; no test times anything.

    python benchmarks/bench_1d.py [--iterations 3000] [--whole-runs 3 --baseline 164ef09]
"""

import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # the scripts and common/ (pyproject.toml allows imports below this)

import gan_1d  # first: it loads TensorFlow quietly
import keras
import numpy as np
import tensorflow as tf

from common import cli, plotting
from common.clock import Clock
from common.record import Record
from common.sampling import generate_latent_points


def default_models():
    keras.utils.set_random_seed(0)
    return gan_1d.define_models(cli.hyperparameter_defaults(gan_1d))


def loop_figures(n: int, batch: int) -> None:
    d, g, gan = default_models()
    rng, pack, latent_dim = np.random.default_rng(0), gan_1d.PACK, gan_1d.LATENT_DIM
    cfg = {"TARGET": "x2", "LATENT_DIM": latent_dim, "PACK": pack, "BATCH_SIZE": batch,
           "N_PLOT": 100}
    eval_real, _ = gan_1d.generate_real_samples("x2", 1000, rng)
    eval_latent = generate_latent_points(latent_dim, 1000, rng)

    with contextlib.redirect_stdout(io.StringIO()), tempfile.TemporaryDirectory() as tmp:
        def loop(iterations: int, tensorboard: bool) -> float:
            """ms per iteration of gan_1d.train, evaluations excluded (as its history says),
            evaluating and logging as often as gan_1d.py does."""
            folder = tempfile.mkdtemp(dir=tmp)
            record = Record(folder, iterations, min(iterations, gan_1d.EVAL_EVERY),
                            tensorboard=tensorboard)
            clock = Clock(record, "bench", cfg, (d, g, gan), rng)
            history = gan_1d.train(g, d, gan, clock, record, cfg, rng, eval_real, eval_latent)
            return 1000 * history[-1]["train_seconds"] / iterations

        x_d = gan_1d.in_packs(gan_1d.generate_real_samples("x2", batch, rng)[0], pack)
        y_d = np.concatenate([np.ones((batch // 2, 1)), np.zeros((batch // 2, 1))])
        y_d, y_g = y_d[::pack].astype(np.float32), np.ones((batch // pack, 1), np.float32)
        z = gan_1d.in_packs(generate_latent_points(latent_dim, batch, rng), pack)

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

        # One frame with D's view and one without, in turn, ten times each.
        fake = np.asarray(g(eval_latent))
        company, curve = eval_real[:pack - 1], plotting.curve(*gan_1d.TARGETS["x2"][:2])
        with_view, without = [], []
        for _ in range(10):
            start = time.perf_counter()
            view = plotting.discriminator_view(d, curve, company, gan_1d.VIEW_SIZE)
            plotting.plot_scatter(os.path.join(tmp, "a.png"), eval_real, fake, curve, "x2", 500,
                                  d_view=view)
            middle = time.perf_counter()
            plotting.plot_scatter(os.path.join(tmp, "b.png"), eval_real, fake, curve, "x2", 500)
            with_view.append(middle - start)
            without.append(time.perf_counter() - middle)
    on, off, bare = np.median(on), np.median(off), np.median(bare)
    print(f"{'two bare train_on_batch calls':44s}{bare:8.3f} ms/iteration")
    print(f"{'gan_1d.train, no TensorBoard logging':44s}{off:8.3f} ms/iteration "
          f"({off / bare:.2f}x the bare calls)")
    print(f"{'gan_1d.train, TensorBoard logging (default)':44s}{on:8.3f} ms/iteration "
          f"({on / bare:.2f}x the bare calls; logging {100 * (on / off - 1):+.1f} %)")
    extra = np.median(with_view) - np.median(without)
    evaluations = gan_1d.ITERATIONS // gan_1d.EVAL_EVERY + 1  # the GIF's frames
    print(f"{'a frame without D view / with it':44s}{1000 * np.median(without):8.1f} / "
          f"{1000 * np.median(with_view):.1f} ms: D's view adds {1000 * extra:.1f} ms a "
          f"frame, {evaluations * extra:.2f} s in a default run of "
          f"{gan_1d.ITERATIONS * on / 1000:.1f} s of training")


def whole_runs(n: int, baseline: str) -> None:
    """The default command, now and at `baseline`, n times each in turn; median wall times."""
    with tempfile.TemporaryDirectory() as tmp:
        old = os.path.join(tmp, "baseline")
        os.makedirs(old)
        archive = subprocess.run(["git", "-C", ROOT, "archive", baseline], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", old], input=archive, check=True)
        walls = {"now": [], baseline: []}
        for i in range(n):
            for name, folder in (("now", ROOT), (baseline, old)):
                start = time.perf_counter()
                subprocess.run([sys.executable, "gan_1d.py", "--output-dir",
                                os.path.join(tmp, f"{name}-{i}")], cwd=folder, check=True,
                               capture_output=True)
                walls[name].append(time.perf_counter() - start)
    now, then = np.median(walls["now"]), np.median(walls[baseline])
    print(f"python gan_1d.py, median of {n} runs each: {now:.1f} s now, {then:.1f} s at "
          f"{baseline}: {now / then:.2f}x (every run: now {np.round(walls['now'], 1)}, "
          f"then {np.round(walls[baseline], 1)})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=gan_1d.BATCH_SIZE)
    parser.add_argument("--whole-runs", type=int, default=0)
    parser.add_argument("--baseline", default="164ef09",
                        help="the commit to compare the default run with")
    args = parser.parse_args()
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPU cores, "
          f"batch {args.batch_size}, pack {gan_1d.PACK}, {args.iterations} iterations a figure")
    loop_figures(args.iterations, args.batch_size)
    if args.whole_runs:
        whole_runs(args.whole_runs, args.baseline)


if __name__ == "__main__":
    main()
