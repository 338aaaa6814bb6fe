"""The loop's clock: which iterations are left, and what keeps them safe. It goes on from where
a checkpoint left off, saves one after each evaluation, ends the loop cleanly on Ctrl-C, `kill`
or a closed terminal, and checks the freeze on the first iteration."""

import os
import signal
import sys

import keras
import numpy as np

from common import checkpoint, freeze_check
from common.errors import BadInput, Interrupted

# Keras before 3.15 (the one Python 3.10 gets) returns from train_on_batch the mean loss since
# the model's metrics were last reset, not the batch's; 3.15 resets them at every call.
RESET_METRICS = tuple(int(part) for part in keras.__version__.split(".")[:2]) < (3, 15)
# Ctrl-C, `kill`, a closed terminal: those of them the platform has (Windows has no SIGHUP).
SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                if hasattr(signal, name))


class Clock:
    """The iterations of `record`'s run (its folder, length and evaluations). A checkpoint
    there restores the `models` (D, G, the composite), their optimizers, `g_average` (G's
    moving average, or None), `rng` and the record: the run goes on exactly where it stopped.
    `script` and `config` (the hyperparameters) go in every checkpoint, for --resume."""

    def __init__(self, record, script: str, config: dict, models: tuple,
                 rng: np.random.Generator, g_average=None):
        self.record, self.rng, self.iteration = record, rng, 0
        self.d_model, self.g_model, self.gan_model = models
        self.path = os.path.join(record.folder, checkpoint.NAME)
        self.info = {"script": script, "config": config}
        self.variables = lambda: checkpoint.model_variables(*models, g_average)
        self.d_before = self.g_before = None  # the freeze check's copies of the weights
        self.stop_signals, self.previous_handlers = [], {}  # set by iterations()
        if os.path.exists(self.path):
            checkpoint.build_optimizers(self.d_model, self.gan_model)
            try:
                state = checkpoint.restore(self.path, self.variables())
            except Exception as e:  # damaged after its state was read, or for other models
                raise BadInput(f"--resume: cannot restore {self.path} ({e})".splitlines()[0])
            self.rng.bit_generator.state = state["rng"]
            self.iteration = state["iteration"]
            record.restore(state)
            print(f"resuming {record.folder} after iteration {self.iteration} of "
                  f"{record.total}", flush=True)

    def iterations(self):
        """Yield the iteration numbers still to run; save a checkpoint after each evaluation.
        After a stop signal, save one and raise Interrupted (a second Ctrl-C quits at once)."""
        self.previous_handlers = {s: signal.signal(s, self._request_stop) for s in SIGNALS}
        self.record.begin()
        self.d_before = freeze_check.snapshot(self.d_model)  # for the freeze check
        try:
            for i in range(self.iteration + 1, self.record.total + 1):
                self.iteration = i
                yield i
                if RESET_METRICS:  # so that the next train_on_batch returns its batch's loss
                    self.d_model.reset_metrics()
                    self.gan_model.reset_metrics()
                if self.evaluating(i) or self.stop_signals:
                    self._save_checkpoint()
                if self.stop_signals:
                    raise Interrupted(
                        f"interrupted after iteration {i}: checkpoint saved in {self.path}; go "
                        f"on with: python {self.info['script']} --resume {self.record.folder}",
                        self.stop_signals[0])
        finally:  # at the end, or on the way out of an error: the signals go back
            for signum, handler in self.previous_handlers.items():
                signal.signal(signum, handler)
            self.record.close()

    def evaluating(self, i: int) -> bool:
        """Whether iteration i ends an evaluation interval (every eval_every, and the last)."""
        return i % self.record.eval_every == 0 or i == self.record.total

    def check_d_learned(self) -> None:
        """Right after D's update, on the first iteration of this process (a fresh run's or a
        resumed one's): raise FreezeCheckFailed unless D's weights changed. Later: nothing."""
        if self.d_before is None:
            return
        d_after = freeze_check.snapshot(self.d_model)
        if freeze_check.same(self.d_before, d_after):
            freeze_check.fail("d_frozen", self.iteration)
        self.d_before, self.g_before = d_after, freeze_check.snapshot(self.g_model)

    def check_only_g_learned(self) -> None:
        """Right after the composite's update, on the same first iteration: raise
        FreezeCheckFailed unless D's weights stayed bit-identical and G's changed."""
        if self.d_before is None:
            return
        d_before, self.d_before = self.d_before, None  # checked once: no cost afterwards
        if not freeze_check.same(d_before, freeze_check.snapshot(self.d_model)):
            freeze_check.fail("d_in_gan", self.iteration)
        if freeze_check.same(self.g_before, freeze_check.snapshot(self.g_model)):
            freeze_check.fail("g_frozen", self.iteration)

    def _request_stop(self, signum, frame) -> None:
        self.stop_signals.append(signum)
        signal.signal(signum, self.previous_handlers[signum])  # a second one quits at once
        try:
            print("\nstopping: finishing this iteration and saving a checkpoint",
                  file=sys.stderr, flush=True)
        except OSError:  # the terminal is gone (SIGHUP): save the checkpoint all the same
            pass

    def _save_checkpoint(self) -> None:
        try:
            checkpoint.save(self.path, self.variables(), {
                **self.info, "iteration": self.iteration, "rng": self.rng.bit_generator.state,
                **self.record.state()})
        except checkpoint.NotFinite as e:
            raise checkpoint.diverged(self.record.folder, self.iteration, f"a weight ({e})")
