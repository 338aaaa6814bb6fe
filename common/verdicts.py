"""The verdict at the end of a run: one line, `result: learned ...` or `result: not learned
...`, from the saved generator's numbers against the script's bar, in words a learner can read;
when the bar is missed, by how much, what the pictures show and the likely cause. It is printed
after the run's `done;` line and kept in metrics.json ("result"); it never changes training.
docs/diagnoses.md shows it on provoked and healthy runs, several seeds each."""

import math

from common import diagnoses

# gan_1d: the bar. Every target, from its own command, meets it on seeds 1 to 5.
MAE_BAR = 0.005  # mean |y - f(x)|: the points lie on the curve
KS_BAR = 0.05    # KS distance of their x to the uniform domain: they cover all of it
# gan_mnist: the bar, as shares of the real images' own numbers (the same classifier on real
# images): the classifier's score at least this share of real images'...
SCORE_SHARE = 0.6
# ...every class drawn at least this share as often as the rarest class of the real images...
RAREST_SHARE = 0.5
# ...and (--conditional) the class asked for at least this share as often as real images.
LABEL_SHARE = 0.9
# A missed bar's numbers that still improved by this share or more from the evaluation before
# the last to the last (on average: the geometric mean of their ratios): the run stopped while
# it was still learning.
IMPROVING = 0.2
# D's loss this close to ln 2 at the end (what saying 0.5 to everything costs) while G misses
# the bar: D no longer tells G's samples from real ones. Healthy runs pass through this state
# on their way to the bar, so it is a verdict, at the end, never a warning during the run.
UNDECIDED = 0.03


def improving(history: list, numbers: tuple) -> bool:
    """Whether `numbers` (lower is better) fell by IMPROVING or more from the evaluation
    before the last to the last, on average (the geometric mean of their ratios)."""
    if len(history) < 2:
        return False
    ratios = [history[-1][k] / max(history[-2][k], 1e-12) for k in numbers]
    return math.prod(ratios) ** (1 / len(ratios)) <= 1 - IMPROVING


def causes(warnings: list, history: list, key: str, numbers: tuple, flags: dict) -> str:
    """The likely cause of a missed bar: the warnings of the last evaluation (else the run's
    last one); else, when `numbers` (lower is better) improved lately, that the run was cut
    short; else a D that no longer tells G's samples from real ones; else a D that spots
    them. `flags`: the script's flags for "longer", "stronger_d" and "weak_g"."""
    last = [w for w in warnings if w.startswith(f"{key} {history[-1][key]:g}:")] or warnings[-1:]
    if last:
        names = "; ".join(w.split(": ", 1)[1].split(" (")[0] for w in last)
        return f"likely cause, in the warnings above: {names}"
    if improving(history, numbers):
        return f"still improving when it stopped: try {flags['longer']}"
    if abs(history[-1]["d_loss"] - math.log(2)) < UNDECIDED:
        return (f"likely cause: D cannot tell G's samples from real ones (D's loss "
                f"{history[-1]['d_loss']:.3f}, ln 2 = 0.693: it says 0.5) though they miss the "
                f"bar: D is too weak or too slow to see what is wrong; try {flags['stronger_d']},"
                f" a larger --learning-rate or {flags['longer']}")
    if history[-1]["acc_fake"] >= diagnoses.D_WINS:  # at the end only: no warning had it twice
        return (f"likely cause: D spots G's samples (accuracy {history[-1]['acc_fake']:.2f} on "
                f"them): try a larger {flags['weak_g']} (G too weak) or a smaller "
                f"--learning-rate (steps too big)")
    return "no rule names the cause: compare the last pictures with the README's lab sheet"


def curve(final: dict, history: list, warnings: list) -> str:
    """gan_1d's verdict: the bar is mae <= MAE_BAR and ks <= KS_BAR."""
    mae, ks = final["mae"], final["ks"]
    if mae <= MAE_BAR and ks <= KS_BAR:
        return f"learned: mae {mae:.4f} <= {MAE_BAR} and ks {ks:.4f} <= {KS_BAR}"
    missed = [f"{name} {value:.4f} is {value / bar:.1f} times its bar {bar}"
              for name, value, bar in (("mae", mae, MAE_BAR), ("ks", ks, KS_BAR)) if value > bar]
    shows = {(True, False): "G's points lie off the curve",
             (False, True): "G's points lie on the curve but cover part of it",
             (True, True): "G's points lie off the curve and cover part of the domain"}[
        mae > MAE_BAR, ks > KS_BAR]
    return (f"not learned: {', '.join(missed)}; {shows}; "
            + causes(warnings, history, "iteration", ("mae", "ks"),
                     {"longer": "more --iterations", "stronger_d": "a deeper D (--d-layers 2)",
                      "weak_g": "--g-hidden"}))


def digits(final: dict, history: list, warnings: list, real: dict, classes) -> str:
    """gan_mnist's verdict: the classifier's numbers beside the real images' own (`real`, the
    reference); the bar is shares of those. No classifier (unlabelled images): no verdict."""
    if "score" not in final:
        return "no verdict: unlabelled images have no classifier to judge them by; see the grids"
    noun = "digit" if list(classes) == [str(k) for k in range(10)] else "class"
    low_score = final["score"] < SCORE_SHARE * real["score"]
    too_rare = final["min_class_share"] < RAREST_SHARE * real["min_class_share"]
    parts = [  # (words, whether they miss the bar)
        (f"G's images score {final['score']:.2f} (real ones: {real['score']:.2f}; 10 at best)"
         + (f", under {SCORE_SHARE:.0%} of theirs" if low_score else ""), low_score),
        (f"the rarest {noun} in {final['min_class_share']:.1%} of them (real: "
         f"{real['min_class_share']:.1%})" + (", under half as often" if too_rare else ""),
         too_rare)]
    if "label_accuracy" in final:  # --conditional
        accuracy, real_accuracy = final["label_accuracy"], real["label_accuracy"]
        parts.append((f"the {noun} asked for in {accuracy:.0%} (real: {real_accuracy:.0%})",
                      accuracy < LABEL_SHARE * real_accuracy))
    parts += [(f"fd {final['fd']:.1f} (real: {real['fd']:.1f}; 0 at best)", False),
              (f"the classifier reads {final['confident']:.0%} of G's images as one {noun} "
               f"(real: {real['confident']:.0%})", False)]
    words = "; ".join(text for text, missed in sorted(parts, key=lambda part: not part[1]))
    if not any(missed for _, missed in parts):
        return f"learned {'digits' if noun == 'digit' else 'the classes'}: {words}"
    return f"not learned: {words}; " + causes(
        warnings, history, "epoch", ("fd",),
        {"longer": "more --epochs", "stronger_d": "a larger --d-filters", "weak_g": "--g-filters"})

