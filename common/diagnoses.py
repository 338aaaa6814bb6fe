"""One-line diagnoses of a run's trouble, from the numbers every evaluation already measures.

Each function takes the history so far (one row per evaluation, the newest last) and returns
zero or more messages: the likely cause and the one flag to try. `Run` prints them under the
evaluation line as `warning: ...` and keeps them; a diagnosis never stops a run. The
thresholds were chosen on measured runs, healthy and provoked: docs/diagnoses.md lists them.
"""

import math

# A trouble is named when it shows at this many evaluations in a row: early in a healthy run
# one evaluation can look like trouble, and pass.
IN_A_ROW = 2
# D has won when it calls this share of G's samples fake (it spots nearly every one)...
D_WINS = 0.95
# ...and this share of real ones real (so it is not calling everything fake)...
D_RIGHT = 0.75
# ...and its steps were too big when its loss is this close to 0 (it saturated).
SATURATED = 0.01
# gan_1d: G covers only part of the curve when the points' x is this far from uniform (KS)...
KS_PART = 0.12
# ...while the points lie this close to the curve (mean |y - f(x)|): they trace it, partly.
MAE_ON_CURVE = 0.02
# gan_1d: training has stalled when D says 0.5 everywhere, so that G gets no direction: its
# verdict varies less than this over its whole view...
FLAT = 0.05
# ...its loss is this close to ln 2, the loss of saying 0.5 (not a D that says "real" to all
# but a spot the view misses, as when D has won against a G that makes one point)...
UNDECIDED = 0.02
# ...while the points lie this far from the curve (mean |y - f(x)|).
MAE_OFF_CURVE = 0.03
# gan_mnist: G's images are all alike when their features vary less than this share of real
# images' (spread).
ALIKE = 0.15


def in_a_row(history: list, trouble) -> bool:
    """Whether `trouble` (a row -> bool) holds at the last IN_A_ROW evaluations."""
    return len(history) >= IN_A_ROW and all(trouble(row) for row in history[-IN_A_ROW:])


def discriminator_won(history: list, weak_g_flag: str) -> list:
    """D spots G's samples almost always, and is right on most real ones, evaluation after
    evaluation: G's gradient vanishes and G stops learning. With D's loss near 0, D saturated
    at once: the steps are too big; otherwise G is too weak for D or its steps are too big
    (`weak_g_flag`: what grows G in the script)."""
    if not in_a_row(history, lambda row: row["acc_fake"] >= D_WINS and row["acc_real"] >= D_RIGHT):
        return []
    row = history[-1]
    remedy = "the steps are too big, try a smaller --learning-rate" \
        if row["d_loss"] < SATURATED else (f"try a larger {weak_g_flag} (G too weak) or a "
                                           f"smaller --learning-rate (steps too big)")
    return [f"D has won (accuracy {row['acc_real']:.2f} real, {row['acc_fake']:.2f} fake): "
            f"G's gradient vanishes; {remedy}"]


def curve_troubles(history: list) -> list:
    """gan_1d.py's diagnoses: D has won; G covers part of the curve; training stalled."""
    row = history[-1]
    troubles = discriminator_won(history, "--g-hidden")
    if in_a_row(history, lambda row: row["ks"] >= KS_PART and row["mae"] <= MAE_ON_CURVE):
        troubles.append(f"G covers only part of the curve (ks {row['ks']:.2f}, mae "
                        f"{row['mae']:.3f}): mode dropping, see D's view; try --pack 2 "
                        f"--d-layers 1")
    if in_a_row(history, lambda row: row["d_range"] < FLAT and row["mae"] >= MAE_OFF_CURVE
                and abs(row["d_loss"] - math.log(2)) < UNDECIDED):
        troubles.append(f"stalled: D says 0.5 everywhere (d_range {row['d_range']:.3f}) though "
                        f"G's points are off the curve (mae {row['mae']:.3f}); try --activation "
                        f"relu or a larger --learning-rate")
    return troubles


def digit_troubles(history: list) -> list:
    """gan_mnist.py's diagnoses: D has won; G's images are all alike (mode collapse)."""
    row = history[-1]
    troubles = discriminator_won(history, "--g-filters")
    if in_a_row(history, lambda row: row.get("spread", ALIKE) < ALIKE):  # none: unlabelled
        # When D has won too, its line already names the flag to try.
        troubles.append(f"G's images barely differ from each other (spread {row['spread']:.2f}): "
                        "mode collapse" + ("" if troubles else "; try a smaller --learning-rate"))
    return troubles

