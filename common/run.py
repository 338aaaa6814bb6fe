"""The bookkeeping of a training run, kept beside the loop so the loop stays the tutorial's.

The script's train() talks to a Run in six places, and main() in one more:

    for i in run.iterations():          # the next iteration: from 1, or where a checkpoint
        ...D's update...                #   left off; Ctrl-C / SIGTERM / SIGHUP end it cleanly
        run.check_d_learned()           # the freeze check, on the first iteration only
        ...the composite's update...
        run.check_only_g_learned()      # ...its second half
        run.record(d_loss, g_loss)      # sums the losses, stops on NaN, logs, progress bar
        if run.evaluating(i):           # every eval_every iterations, and at the last
            run.end_of_interval(row)    # history row (and history.csv), a line, warnings
                                        #   (diagnoses), checkpoint
    final = run.finish(numbers, verdict)  # after the loop: metrics.json, the `result:` line

Nothing here calls back into a script: data flows from the loop to the Run to files.
"""

import math
import os
import signal
import sys
import time

import keras
import numpy as np

from common import checkpoint, freeze_check, saving, summaries
from common.errors import BadInput, Diverged, Interrupted

# Keras before 3.15 (the one Python 3.10 gets) returns from train_on_batch the mean loss since
# the model's metrics were last reset, not the batch's; 3.15 resets them at every call.
RESET_METRICS = tuple(int(part) for part in keras.__version__.split(".")[:2]) < (3, 15)
# Ctrl-C, `kill`, a closed terminal: those of them the platform has (Windows has no SIGHUP).
SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                if hasattr(signal, name))


class Run:
    """One run in its folder: the iteration counter, the losses of the current interval,
    the history of evaluations, the checkpoint, TensorBoard and the progress bar.

    The run's folder is cfg["run_dir"]; when it holds a checkpoint, the `models` (D, G, the
    composite), their optimizers, `g_average` (G's moving average, or None) and `rng` are
    restored from it and the run goes on exactly where it stopped. `script` and cfg's
    hyperparameters are saved with every checkpoint; TensorBoard logs are written when
    cfg["TENSORBOARD"] says so. `show` names the row's numbers that the printed line shows.
    `diagnose` (history -> short messages, common/diagnoses.py) names a run's trouble after
    each evaluation; its messages are printed as warnings and kept in `warnings`.
    """

    def __init__(self, cfg: dict, script: str, models: tuple, rng: np.random.Generator,
                 iterations: int, eval_every: int, show: tuple = (), g_average=None,
                 diagnose=lambda history: []):
        d_model, g_model, gan_model = models
        folder = self.folder = cfg["run_dir"]
        self.total, self.eval_every, self.show = iterations, eval_every, show
        self.info = {"script": script, "config": {k: v for k, v in cfg.items() if k.isupper()}}
        self.rng, self.diagnose = rng, diagnose
        self.d_model, self.g_model, self.gan_model = d_model, g_model, gan_model
        self.d_before = self.g_before = None  # the freeze check's copies of the weights
        self.checkpoint_path = os.path.join(folder, checkpoint.NAME)
        self.history_path = os.path.join(folder, "history.csv")
        self.variables = lambda: checkpoint.model_variables(d_model, g_model, gan_model,
                                                            g_average)
        self.iteration, self.history, self.saved_at, self.warnings = 0, [], 0, []
        self.loss_sums, self.count, self.seconds = [0.0, 0.0], 0, 0.0
        if os.path.exists(self.checkpoint_path):
            self._restore(d_model, gan_model)
        self.train_seconds = self.history[-1]["train_seconds"] if self.history else 0.0
        # About 100 points per interval on TensorBoard's curves and the progress bar: a
        # summary costs about 0.3 ms, as much as a tenth of a small model's iteration.
        self.log_every = max(1, eval_every // 100)
        self.writer = summaries.writer(os.path.join(folder, "tensorboard")) \
            if cfg["TENSORBOARD"] else None
        self.stop_signals, self.previous_handlers = [], {}

    def _restore(self, d_model, gan_model) -> None:
        checkpoint.build_optimizers(d_model, gan_model)
        try:
            state = checkpoint.restore(self.checkpoint_path, self.variables())
        except Exception as e:  # damaged after its state was read, or made for other models
            raise BadInput(f"--resume: cannot restore {self.checkpoint_path} ({e})"
                           .splitlines()[0])
        self.rng.bit_generator.state = state["rng"]
        self.iteration, self.history = state["iteration"], state["history"]
        self.warnings = state.get("warnings", [])
        self.saved_at = self.iteration
        self.loss_sums, self.count = state["loss_sums"], state["count"]
        self.seconds = state["interval_seconds"]
        print(f"resuming {self.folder} after iteration {self.iteration} of {self.total}",
              flush=True)

    def iterations(self):
        """Yield the iteration numbers still to run. After each, if a stop signal came, save
        a checkpoint and raise Interrupted (a second Ctrl-C quits at once)."""
        self.previous_handlers = {s: signal.signal(s, self._request_stop) for s in SIGNALS}
        # On a terminal only: in a log file the evaluation lines say enough.
        self.progbar = keras.utils.Progbar(self.total, verbose=1 if sys.stdout.isatty() else 0,
                                           stateful_metrics=["d_loss", "g_loss"])
        self.started = self.last = time.perf_counter() - self.seconds
        self.d_before = freeze_check.snapshot(self.d_model)  # for the freeze check
        try:
            for i in range(self.iteration + 1, self.total + 1):
                self.iteration = i
                yield i
                if self.stop_signals:
                    self._save_checkpoint()
                    raise Interrupted(
                        f"interrupted after iteration {i}: checkpoint saved in "
                        f"{self.checkpoint_path}; go on with: python {self.info['script']} "
                        f"--resume {self.folder}", self.stop_signals[0])
        finally:
            self._close()

    def _request_stop(self, signum, frame) -> None:
        self.stop_signals.append(signum)
        signal.signal(signum, self.previous_handlers[signum])  # a second one quits at once
        try:
            print("\nstopping: finishing this iteration and saving a checkpoint",
                  file=sys.stderr, flush=True)
        except OSError:  # the terminal is gone (SIGHUP): save the checkpoint all the same
            pass

    def _close(self) -> None:
        """Give the signals back and close the log: at the end, or on the way out of an
        error (the loop's exception may keep this generator alive in its traceback)."""
        for signum, handler in self.previous_handlers.items():
            signal.signal(signum, handler)
        self.previous_handlers = {}
        if self.writer:
            self.writer.close()

    def check_d_learned(self) -> None:
        """Right after D's update, on the first iteration of this process (a fresh run's or a
        resumed one's): raise FreezeCheckFailed unless D's weights changed. Later: nothing."""
        if self.d_before is None:
            return
        if freeze_check.same(self.d_before, self.d_model):
            freeze_check.fail("d_frozen", self.iteration)
        self.d_before = freeze_check.snapshot(self.d_model)
        self.g_before = freeze_check.snapshot(self.g_model)

    def check_only_g_learned(self) -> None:
        """Right after the composite's update, on the same first iteration: raise
        FreezeCheckFailed unless D's weights stayed bit-identical and G's changed."""
        if self.d_before is None:
            return
        d_before, self.d_before = self.d_before, None  # checked once: no cost afterwards
        if not freeze_check.same(d_before, self.d_model):
            freeze_check.fail("d_in_gan", self.iteration)
        if freeze_check.same(self.g_before, self.g_model):
            freeze_check.fail("g_frozen", self.iteration)

    def record(self, d_loss: float, g_loss: float) -> None:
        """Add one iteration's losses; raise Diverged if one is not a finite number."""
        d_loss, g_loss = float(d_loss), float(g_loss)  # Keras 3.12 returns numpy scalars
        if RESET_METRICS:  # so that the next train_on_batch returns its own batch's loss
            self.d_model.reset_metrics()
            self.gan_model.reset_metrics()
        if not (math.isfinite(d_loss) and math.isfinite(g_loss)):
            self._diverged(f"the loss (d_loss={d_loss:.3g}, g_loss={g_loss:.3g})")
        self.loss_sums[0] += d_loss
        self.loss_sums[1] += g_loss
        self.count += 1
        self.last = time.perf_counter()  # training time ends here; an evaluation may follow
        if self.iteration % self.log_every == 0:
            if self.writer:
                summaries.log_scalars(self.writer, self.iteration,
                                      {"loss/d": d_loss, "loss/g": g_loss})
            self.progbar.update(self.iteration, [("d_loss", self.loss_sums[0] / self.count),
                                                 ("g_loss", self.loss_sums[1] / self.count)])

    def evaluating(self, i: int) -> bool:
        """Whether iteration i ends an evaluation interval (every eval_every, and the last)."""
        return i % self.eval_every == 0 or i == self.total

    def end_of_interval(self, row: dict, picture: str = None) -> None:
        """Close the interval with an evaluation's `row` of numbers (and the path of its PNG,
        for TensorBoard): add the history row, rewrite history.csv with it (atomically, so it
        is there during a run, after Ctrl-C or a NaN stop, and a resumed run goes on with
        it), print one short line and a line for each trouble the diagnoses see, save a
        checkpoint."""
        seconds = self.last - self.started
        self.train_seconds += seconds
        row = {"iteration": self.iteration, "d_loss": self.loss_sums[0] / self.count,
               "g_loss": self.loss_sums[1] / self.count,
               "ms_per_iteration": 1000 * seconds / self.count,
               "train_seconds": self.train_seconds, **row}
        self.history.append(row)
        saving.save_history_csv(self.history_path, self.history)
        if self.writer:
            summaries.log_scalars(self.writer, self.iteration, row, prefix="eval/")
            if picture:
                summaries.log_png(self.writer, self.iteration, "samples", picture)
        print(("\n" if self.progbar.verbose == 1 else "") + self.line(row), flush=True)
        for message in self.diagnose(self.history):  # never stops the run: only says
            print(f"warning: {message}", flush=True)
            self.warnings.append(f"iteration {self.iteration}: {message}")
            if self.writer:
                summaries.log_text(self.writer, self.iteration, "warnings", message)
        self.loss_sums, self.count = [0.0, 0.0], 0
        self._save_checkpoint()
        self.started = self.last = time.perf_counter()

    def finish(self, numbers: dict, verdict, **extra) -> dict:
        """The final numbers (measured on the saved generator), with the last iteration, the
        training time, `extra`, the warnings and the verdict ("result": `verdict`(final,
        history, warnings), common/verdicts.py), written to metrics.json, which a finished run
        is known by. Prints the verdict, the run's last line, and returns them."""
        final = {"iteration": self.history[-1]["iteration"], **numbers,
                 "train_seconds": self.history[-1]["train_seconds"], **extra,
                 "warnings": self.warnings}
        final["result"] = verdict(final, self.history, self.warnings)
        saving.save_json(os.path.join(self.folder, "metrics.json"), final)
        print(f"result: {final['result']}", flush=True)
        return final

    def line(self, row: dict) -> str:
        """'iteration 1000/5000: d_loss 0.693 g_loss 0.694 mae 0.0035 ks 0.022, 2.8 ms/it'"""
        numbers = " ".join(f"{k} {row[k]}" if isinstance(row[k], int) else f"{k} {row[k]:.3g}"
                           for k in ("d_loss", "g_loss", *self.show))
        ms = row["ms_per_iteration"]
        ms = f"{ms:.3g}" if ms < 100 else f"{ms:.0f}"  # 2.84, 97.2, 1461: never 1.46e+03
        return f"iteration {row['iteration']}/{self.total}: {numbers}, {ms} ms/it"

    def _save_checkpoint(self) -> None:
        if self.saved_at == self.iteration:
            return
        try:
            checkpoint.save(self.checkpoint_path, self.variables(), {
                **self.info, "iteration": self.iteration, "history": self.history,
                "warnings": self.warnings,
                "rng": self.rng.bit_generator.state, "loss_sums": self.loss_sums,
                "count": self.count, "interval_seconds": self.last - self.started})
        except checkpoint.NotFinite as e:
            self._diverged(f"a weight ({e})")
        self.saved_at = self.iteration

    def _diverged(self, what: str) -> None:
        self._close()
        kept = (f"the last good checkpoint (iteration {self.saved_at}) is kept in "
                f"{self.checkpoint_path}" if self.saved_at else "no checkpoint had been saved")
        raise Diverged(f"training diverged at iteration {self.iteration}: {what} is not a "
                       f"finite number, most likely because the learning rate is too high; "
                       f"{kept}. Start a new run with a smaller --learning-rate")
