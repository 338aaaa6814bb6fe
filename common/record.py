"""The run's record: each interval's losses, each evaluation's row (history.csv, the terminal,
TensorBoard), the diagnoses' warnings, metrics.json with the verdict. Training never reads it."""

import math
import os
import sys
import time

import keras

from common import checkpoint, saving, summaries


class Record:
    """The record of a run of `iterations` in `folder`, evaluated every `eval_every`. `show`
    names the numbers of a row the printed line shows; `diagnose` (history -> messages,
    common/diagnoses.py) names a run's trouble after each evaluation."""

    def __init__(self, folder: str, iterations: int, eval_every: int, show: tuple = (),
                 diagnose=lambda history: [], tensorboard: bool = True):
        self.folder, self.total, self.eval_every = folder, iterations, eval_every
        self.show, self.diagnose = show, diagnose
        self.history, self.warnings = [], []
        self.loss_sums, self.count, self.seconds = [0.0, 0.0], 0, 0.0
        # About 100 points per interval on TensorBoard's curves and the progress bar: a
        # summary costs about 0.3 ms, as much as a tenth of a small model's iteration.
        self.log_every = max(1, eval_every // 100)
        self.writer = summaries.writer(os.path.join(folder, "tensorboard")) if tensorboard \
            else None

    def state(self) -> dict:
        """What a checkpoint keeps of the record, for restore()."""
        return {"history": self.history, "warnings": self.warnings,
                "loss_sums": self.loss_sums, "count": self.count,
                "interval_seconds": self.last - self.started}

    def restore(self, state: dict) -> None:
        self.history, self.warnings = state["history"], state.get("warnings", [])
        self.loss_sums, self.count = state["loss_sums"], state["count"]
        self.seconds = state["interval_seconds"]

    def begin(self) -> None:
        """Start the clock of the interval and the progress bar (on a terminal only: in a
        log file the evaluation lines say enough)."""
        self.progbar = keras.utils.Progbar(self.total, verbose=1 if sys.stdout.isatty() else 0,
                                           stateful_metrics=["d_loss", "g_loss"])
        self.started = self.last = time.perf_counter() - self.seconds

    def losses(self, iteration: int, d_loss: float, g_loss: float) -> None:
        """Add one iteration's losses; raise Diverged if one is not a finite number."""
        d_loss, g_loss = float(d_loss), float(g_loss)  # Keras 3.12 returns numpy scalars
        if not (math.isfinite(d_loss) and math.isfinite(g_loss)):
            raise checkpoint.diverged(self.folder, iteration, f"the loss (d_loss={d_loss:.3g}, "
                                                              f"g_loss={g_loss:.3g})")
        self.loss_sums = [self.loss_sums[0] + d_loss, self.loss_sums[1] + g_loss]
        self.count += 1
        self.last = time.perf_counter()  # training time ends here; an evaluation may follow
        if iteration % self.log_every == 0:
            if self.writer:
                summaries.log_scalars(self.writer, iteration, {"loss/d": d_loss, "loss/g": g_loss})
            self.progbar.update(iteration, [("d_loss", self.loss_sums[0] / self.count),
                                            ("g_loss", self.loss_sums[1] / self.count)])

    def evaluation(self, iteration: int, row: dict, picture: str = None) -> None:
        """Close the interval with an evaluation's `row` of numbers (and its PNG, for
        TensorBoard): add the history row and rewrite history.csv with it (atomically, so
        that it is there during a run, after Ctrl-C or a NaN stop), print one short line and
        a warning for each trouble the diagnoses see."""
        seconds = self.last - self.started
        train_seconds = (self.history[-1]["train_seconds"] if self.history else 0.0) + seconds
        row = {"iteration": iteration, "d_loss": self.loss_sums[0] / self.count,
               "g_loss": self.loss_sums[1] / self.count,
               "ms_per_iteration": 1000 * seconds / self.count,
               "train_seconds": train_seconds, **row}
        self.history.append(row)
        saving.save_history_csv(os.path.join(self.folder, "history.csv"), self.history)
        if self.writer:
            summaries.log_scalars(self.writer, iteration, row, prefix="eval/")
            if picture:
                summaries.log_png(self.writer, iteration, "samples", picture)
        print(("\n" if self.progbar.verbose == 1 else "") + self.line(row), flush=True)
        for message in self.diagnose(self.history):  # never stops the run: only says
            print(f"warning: {message}", flush=True)
            self.warnings.append(f"iteration {iteration}: {message}")
            if self.writer:
                summaries.log_text(self.writer, iteration, "warnings", message)
        self.loss_sums, self.count = [0.0, 0.0], 0
        self.started = self.last = time.perf_counter()

    def line(self, row: dict) -> str:
        """'iteration 1000/5000: d_loss 0.693 g_loss 0.694 mae 0.0035 ks 0.022, 2.8 ms/it'"""
        numbers = " ".join(f"{k} {row[k]}" if isinstance(row[k], int) else f"{k} {row[k]:.3g}"
                           for k in ("d_loss", "g_loss", *self.show))
        ms = row["ms_per_iteration"]
        ms = f"{ms:.3g}" if ms < 100 else f"{ms:.0f}"  # 2.84, 97.2, 1461: never 1.46e+03
        return f"iteration {row['iteration']}/{self.total}: {numbers}, {ms} ms/it"

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

    def close(self) -> None:  # TensorBoard's log, at the end of the loop or on the way out
        if self.writer:
            self.writer.close()
