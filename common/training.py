"""The tutorial's alternating training loop, correct on Keras 3.

Each iteration updates the discriminator D on a batch that is half real, half fake, then the
generator G through the composite model G -> D, whose D part must stay frozen.

The trap: Keras 3 reads `trainable` when a model's training function is first traced (its
first `train_on_batch`, and again whenever a new input shape makes it retrace), not at
`compile()`. Set D frozen once, as the tutorial does, and D's own updates are traced frozen
too: D never learns, and only a warning says so. So we set `D.trainable` right before every
update, to what that update needs. It costs about 0.1 ms and causes no retracing.
"""

import contextlib
import os
import signal
import sys
import time
from typing import Callable, Optional

import keras
import numpy as np
import tensorflow as tf

from common import averaging, checkpoint, cli, summaries
from common.sampling import generate_latent_points


def fakes_as_the_composite_sees_them(g_model) -> Callable:
    """The generator in training mode, compiled once.

    The composite model trains G in training mode (BatchNorm uses batch statistics);
    `predict()` would run it in inference mode (moving averages), so D would learn to
    reject fakes that G is never trained on. D must see the fakes the composite sees.
    """
    return tf.function(lambda z: g_model(z, training=True))


def train_step(d_model, gan_model, x_real: np.ndarray, x_fake: np.ndarray, z_gan: np.ndarray,
               y_d: np.ndarray, y_gan: np.ndarray) -> tuple:
    """One iteration: D on real + fake, then G through the composite. Returns (d_loss, g_loss).

    `x_fake` must come from fakes_as_the_composite_sees_them(G).
    """
    x = np.concatenate([x_real, x_fake])
    d_model.trainable = True   # D learns from its own update...
    d_loss = d_model.train_on_batch(x, y_d)
    d_model.trainable = False  # ...and is frozen while G learns to fool it.
    g_loss = gan_model.train_on_batch(z_gan, y_gan)
    return float(d_loss), float(g_loss)


def learning_rate(initial: float, decay: bool, iterations: int):
    """A constant Adam step size, or one that decays to zero along a cosine over the run:
    big steps early, small ones at the end, so the players settle instead of wobbling."""
    if not decay:
        return initial
    return keras.optimizers.schedules.CosineDecay(initial, iterations)


def d_accuracies(d_model, x_real, x_fake) -> tuple:
    """The shares of real and of fake samples D labels right (the tutorial's accuracies)."""
    real = np.asarray(d_model(x_real, training=False)) > 0.5
    fake = np.asarray(d_model(x_fake, training=False)) <= 0.5
    return float(np.mean(real)), float(np.mean(fake))


def format_row(row: dict) -> str:
    """One summary line: 'iteration 2000: d_loss=0.69 ... ms_per_iteration=3.9'."""
    parts = [f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
             for k, v in row.items() if k != "iteration"]
    return f"iteration {row['iteration']}: " + " ".join(parts)


def train(d_model, g_model, gan_model, generate_real_samples: Callable, latent_dim: int,
          iterations: int, batch_size: int, eval_every: int,
          summarize_performance: Callable, rng: np.random.Generator, checkpoint_path: str,
          run_info: dict, resume: bool = False, log_dir: Optional[str] = None,
          g_average=None, average_decay: float = 0.999) -> list:
    """Run the loop; every `eval_every` iterations and at the end, evaluate and record a row.

    `generate_real_samples(n)` returns (x, y) real samples; `summarize_performance(i)` returns
    a dict of metrics for iteration i. Returns the history: one row per evaluation, with the
    mean losses since the previous evaluation and the training time (evaluations excluded).

    After every evaluation, and when Ctrl-C, SIGTERM or SIGHUP arrives (at the end of the
    iteration under way), the whole state goes to `checkpoint_path` with `run_info` (the
    script and its configuration). `resume=True` starts from that checkpoint, exactly where it
    stopped. A loss that is not a finite number ends the run (exit status 1), keeping the
    checkpoint.

    With `log_dir`, TensorBoard logs go there: D's and G's losses and D's accuracy on its
    batch about 100 times per evaluation interval, and every number of each evaluation.

    With `g_average` (from averaging.average_copy(G)), its weights follow a moving average of
    G's with `average_decay` after every iteration; it is checkpointed with the rest.
    """
    half = batch_size // 2
    y_d = np.concatenate([np.ones((half, 1)), np.zeros((half, 1))]).astype(np.float32)
    y_gan = np.ones((batch_size, 1), dtype=np.float32)  # G wants D to say "real"
    draw_fakes = fakes_as_the_composite_sees_them(g_model)
    update_average = averaging.updater(g_average, g_model, average_decay) if g_average else None
    state = {"iteration": 0, "history": [], "loss_sums": [0.0, 0.0], "count": 0,
             "interval_seconds": 0.0}
    if resume:
        try:
            state = checkpoint.restore(checkpoint_path, d_model, gan_model, g_average)
        except Exception as e:  # damaged after its state was read, or made for other models
            cli.fail(f"--resume: cannot restore {checkpoint_path} ({e})".splitlines()[0])
        rng.bit_generator.state = state["rng"]
        print(f"resuming from {checkpoint_path} after iteration {state['iteration']} "
              f"of {iterations}", flush=True)
    history, saved_at = state["history"], state["iteration"]
    train_seconds = history[-1]["train_seconds"] if history else 0.0
    loss_sums, count = np.array(state["loss_sums"]), state["count"]
    started = time.perf_counter() - state["interval_seconds"]

    def save_checkpoint(i: int) -> None:
        nonlocal saved_at
        try:
            checkpoint.save(checkpoint_path, d_model, gan_model, g_average, {
                **run_info, "iteration": i, "history": history,
                "rng": rng.bit_generator.state, "loss_sums": loss_sums.tolist(),
                "count": count, "interval_seconds": time.perf_counter() - started})
        except checkpoint.NotFinite as e:
            diverged(i, f"a weight ({e})")
        saved_at = i

    def diverged(i: int, what: str) -> None:
        kept = (f"the last good checkpoint (iteration {saved_at}) is kept in {checkpoint_path}"
                if saved_at else "no checkpoint had been saved yet")
        cli.fail(f"training diverged at iteration {i}: {what} is not a finite number, most "
                 f"likely because the learning rate is too high; {kept}. Start again with a "
                 f"smaller --learning-rate and --overwrite", 1)

    stop = []

    def request_stop(signum, frame):
        stop.append(signum)
        signal.signal(signum, previous[signum])  # a second Ctrl-C quits without waiting
        try:
            print("\nstopping: finishing this iteration and saving a checkpoint",
                  file=sys.stderr, flush=True)
        except OSError:  # the terminal is gone (SIGHUP): save the checkpoint all the same
            pass

    # Ctrl-C, `kill`, and a closed terminal.
    previous = {s: signal.signal(s, request_stop)
                for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    progbar = keras.utils.Progbar(iterations, verbose=1 if sys.stdout.isatty() else 2,
                                  stateful_metrics=["d_loss", "g_loss"])
    log_every = max(1, eval_every // 100)
    writer = tf.summary.create_file_writer(log_dir) if log_dir else None
    try:
        # The default writer: summarize_performance's figures go to the same log.
        with writer.as_default() if writer else contextlib.nullcontext():
            for i in range(state["iteration"] + 1, iterations + 1):
                x_real, _ = generate_real_samples(half)
                x_fake = draw_fakes(generate_latent_points(latent_dim, half, rng))
                losses = train_step(d_model, gan_model, x_real, x_fake,
                                    generate_latent_points(latent_dim, batch_size, rng),
                                    y_d, y_gan)
                if not np.isfinite(losses).all():
                    diverged(i, f"the loss (d_loss={losses[0]:.3g}, g_loss={losses[1]:.3g})")
                if update_average:
                    update_average(i)
                if writer and i % log_every == 0:
                    summaries.log_scalars(i, {
                        "loss/d": losses[0], "loss/g": losses[1],
                        # Both halves are the same size: the batch's accuracy is the mean.
                        "accuracy/d": np.mean(d_accuracies(d_model, x_real, x_fake))})
                loss_sums += losses
                count += 1
                d_loss, g_loss = loss_sums / count
                progbar.update(i, [("d_loss", d_loss), ("g_loss", g_loss)])
                if i % eval_every == 0 or i == iterations:
                    seconds = time.perf_counter() - started
                    train_seconds += seconds
                    row = {"iteration": i, "d_loss": float(d_loss), "g_loss": float(g_loss),
                           "ms_per_iteration": 1000 * seconds / count,
                           "train_seconds": train_seconds}
                    row.update(summarize_performance(i))
                    summaries.log_scalars(i, row, prefix="eval/")
                    history.append(row)
                    print(("\n" if progbar.verbose == 1 else "") + format_row(row), flush=True)
                    loss_sums, count, started = np.zeros(2), 0, time.perf_counter()
                    save_checkpoint(i)
                if stop:
                    if saved_at != i:
                        save_checkpoint(i)
                    print(f"interrupted after iteration {i}: checkpoint saved in "
                          f"{checkpoint_path}; go on with: python {run_info['script']} --resume "
                          f"--output-dir {os.path.dirname(checkpoint_path) or '.'}",
                          file=sys.stderr, flush=True)
                    sys.exit(128 + stop[0])
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if writer:
            writer.close()
    return history
