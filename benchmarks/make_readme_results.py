"""Run the scripts as a user would and rebuild the README's results section from what they
wrote: pictures in docs/results/, commands, machine, wall times and final numbers. Run it
after changing the code, so the README never shows what the code no longer does.

    python benchmarks/make_readme_results.py          # the real runs: about 20 min on 2 cores
    python benchmarks/make_readme_results.py --only-1d  # gan_1d.py's part only: minutes
    python benchmarks/make_readme_results.py --tiny   # seconds; what the test suite runs

Everything between the two `results` markers in the README is replaced; nothing else.
"""

import argparse
import contextlib
import datetime
import importlib
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
START, END = "<!-- results: start -->", "<!-- results: end -->"
MNIST_PART = "<!-- gan_mnist.py results -->"  # where --only-1d keeps the rest as it was

# Every target from its own one command, `--target T` (poly with its preset, gan_1d's TARGETS).
RUNS_1D = ["x2", "sine", "gaussian", "cubic", "poly"]
# A run that drops part of its curve, for "D's view": the tutorial's one point at a time, with
# two hidden layers each (docs/trials.md).
DROPPING = ["--target", "gaussian", "--pack", "1", "--d-layers", "2", "--d-hidden", "128",
            "--g-hidden", "32"]
INTERPOLATE_FRAMES = 48
TINY_1D = ["--iterations", "40", "--eval-every", "20", "--batch-size", "32", "--n-eval", "200",
           "--n-plot", "50"]
TINY_MNIST = ["--epochs", "1", "--eval-every", "1", "--batch-size", "32", "--n-eval", "50",
              "--d-filters", "4", "--g-filters", "4", "--latent-dim", "8"]


def run(script: str, args: list, tiny: bool = False) -> tuple:
    """Run `python script args` from the repository root; return wall seconds and stdout.
    (Each training command writes its run to the first numbered folder, 001, of its
    --output-dir.) Tiny runs, whose wall times mean nothing, run in this process: a new
    process spends seconds loading TensorFlow."""
    start, out, err = time.perf_counter(), io.StringIO(), io.StringIO()
    if tiny:
        module, status = importlib.import_module(script[:-len(".py")]), 0
        from common import cli
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli.run_main(lambda: module.main(module.parse_args(args)))
            except SystemExit as e:
                status = e.code
        result = subprocess.CompletedProcess(script, status, out.getvalue(), err.getvalue())
    else:
        result = subprocess.run([sys.executable, script, *args], cwd=ROOT, capture_output=True,
                                text=True)
    if result.returncode != 0:
        sys.exit(f"error: python {script} {' '.join(args)} failed:\n{result.stderr}")
    return time.perf_counter() - start, result.stdout


def machine() -> str:
    """One line: CPU model and cores (or the GPU TensorFlow would use), Python, TensorFlow."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = re.search(r"model name\s*:\s*(.+)", f.read())[1].strip()
    except (OSError, TypeError):
        pass
    from common.quiet_tensorflow import tf  # loaded once here: tiny runs reuse it
    gpus = len(tf.config.list_physical_devices("GPU"))
    device = f"{gpus} GPU(s)" if gpus else "no GPU"
    return (f"{cpu}, {os.cpu_count()} cores, {device}; Python {platform.python_version()}, "
            f"TensorFlow {tf.__version__}")


def command(script: str, args: list) -> str:
    return " ".join(["python", script, *args])


def run_1d(args: list, tmp: str, tiny: bool) -> tuple:
    """Run gan_1d.py; return its wall seconds, its run folder and its final metrics."""
    parent = tempfile.mkdtemp(dir=tmp)
    seconds, _ = run("gan_1d.py", [*args, *(TINY_1D if tiny else []), "--output-dir", parent],
                     tiny)
    out = os.path.join(parent, "001")
    with open(os.path.join(out, "metrics.json")) as f:
        return seconds, out, json.load(f)


def section_1d(docs: str, tmp: str, tiny: bool, when: str) -> list:
    lines = ["### gan_1d.py", "", f"Made {when}.", "",
             "| command | wall time | final mae | final ks | the last frame | progress |",
             "|---|---|---|---|---|---|"]
    commands = [["--target", target] for target in RUNS_1D] + [DROPPING]
    # One run at a time, so that each wall time is a lone run's.
    results = [run_1d(args, tmp, tiny) for args in commands]
    for target, args, (seconds, out, final) in zip(RUNS_1D, commands, results):
        png, gif = f"gan_1d_{target}.png", f"gan_1d_{target}_progress.gif"
        shutil.copy(os.path.join(out, f"scatter_{final['iteration']:06d}.png"),
                    os.path.join(docs, png))
        shutil.copy(os.path.join(out, "progress.gif"), os.path.join(docs, gif))
        if target == "x2":  # the README's picture of D's view: an early frame
            first = 20 if tiny else 1000
            shutil.copy(os.path.join(out, f"scatter_{first:06d}.png"),
                        os.path.join(docs, "gan_1d_view.png"))
        lines.append(f"| `{command('gan_1d.py', args)}` | {seconds:.0f} s | {final['mae']:.4f} "
                     f"| {final['ks']:.4f} | ![{target}](docs/results/{png}) "
                     f"| [GIF](docs/results/{gif}) |")
    _, out, final = results[-1]
    shutil.copy(os.path.join(out, f"scatter_{final['iteration']:06d}.png"),
                os.path.join(docs, "gan_1d_dropping.png"))
    lines += ["", "mae: mean |y − f(x)| of the generated points (0 is perfect); ks: how "
              "unevenly their x covers the domain (0 is perfect); the bar is mae ≤ 0.005 and "
              "ks ≤ 0.05. Wall time includes TensorFlow's import.", "",
              f"Mode dropping, for comparison: `{command('gan_1d.py', DROPPING)}` (the "
              f"tutorial's D, judging one point at a time, with two hidden layers each) ends "
              f"with mae {final['mae']:.4f} and ks {final['ks']:.4f}: "
              f"[its last frame](docs/results/gan_1d_dropping.png).", ""]
    return lines


# gan_mnist.py --conditional's goals (README, "Choose the digit"): (number, at least?, bound).
GOALS = [("label_accuracy", True, 0.95), ("score", True, 8.8), ("fd", False, 8.0),
         ("min_class_share", True, 0.08)]


def goals(final: dict, unconditional_seconds: float) -> str:
    """One sentence: each goal of the conditional mode, the number reached, met or not."""
    said = []
    for key, at_least, bound in GOALS:
        met = final[key] >= bound if at_least else final[key] <= bound
        said.append(f"{key} {'≥' if at_least else '≤'} {bound:g}: {final[key]:.3g}, "
                    f"{'met' if met else 'not met'}")
    ratio = final["train_seconds"] / unconditional_seconds
    said.append(f"training time ≤ 1.3× the unconditional run's above: {ratio:.2f}×, "
                f"{'met' if ratio <= 1.3 else 'not met'}")
    return "Goals of this mode: " + "; ".join(said) + "."


def section_mnist(docs: str, tmp: str, tiny: bool, conditional: bool,
                  unconditional_seconds: float = 0.0) -> tuple:
    """The README lines of one gan_mnist.py run, and its training seconds."""
    name = "gan_mnist_conditional" if conditional else "gan_mnist"
    args = ["--conditional"] if conditional else []
    if tiny:
        import numpy as np
        with np.load(os.path.join(ROOT, "data", "mnist_5k.npz")) as sample:
            np.savez(os.path.join(tmp, "tiny.npz"), x_train=sample["x_train"][::25],
                     y_train=sample["y_train"][::25])
        args += ["--data", os.path.join(tmp, "tiny.npz"), *TINY_MNIST]
    parent = os.path.join(tmp, name)
    seconds, stdout = run("gan_mnist.py", [*args, "--output-dir", parent], tiny)
    data = re.search(r"^data: (.+)$", stdout, re.M)[1]  # which images it found
    run("gan_mnist.py", ["--interpolate", str(INTERPOLATE_FRAMES), "--output-dir", parent],
        tiny)
    out = os.path.join(parent, "001")
    with open(os.path.join(out, "metrics.json")) as f:
        final = json.load(f)
    shutil.copy(os.path.join(out, f"grid_epoch_{final['epoch']:03d}.png"),
                os.path.join(docs, f"{name}_grid.png"))
    for file in ("progress.gif", "interpolation.gif", "history.csv"):
        shutil.copy(os.path.join(out, file), os.path.join(docs, f"{name}_{file}"))
    real = final["real_reference"]
    columns = ["score", "fd", "confident", "min_class_share"] + \
        (["label_accuracy"] if conditional else [])
    heads = {"score": "score (10 best)", "fd": "fd (0 best)", "confident": "confident",
             "min_class_share": "smallest digit's share", "label_accuracy": "label accuracy"}
    walk = "one handwriting, the digits 0 to 9" if conditional else \
        "a walk through the latent space"
    lines = [f"### {command('gan_mnist.py', args)}", "",
             f"{seconds / 60:.1f} min wall, training {final['train_seconds'] / 60:.1f} min, on "
             f"{data}; then `python gan_mnist.py --interpolate {INTERPOLATE_FRAMES}`. Every "
             f"evaluation's numbers: [{name}_history.csv](docs/results/{name}_history.csv).", "",
             "| | " + " | ".join(heads[c] for c in columns) + " |",
             "|---" * (len(columns) + 1) + "|",
             f"| generated, epoch {final['epoch']} | " +
             " | ".join(f"{final[c]:.3g}" for c in columns) + " |",
             "| real images, same classifier | " +
             " | ".join(f"{real[c]:.3g}" for c in columns) + " |", "",
             *([goals(final, unconditional_seconds), ""] if conditional else []),
             f"| the last grid | training, one frame per evaluation | {walk} |",
             "|---|---|---|",
             f"| ![digits](docs/results/{name}_grid.png) "
             f"| ![progress](docs/results/{name}_progress.gif) "
             f"| ![walk](docs/results/{name}_interpolation.gif) |", ""]
    return lines, final["train_seconds"]


def markers_checked(readme_path: str) -> str:
    """The README's text; exits if it lacks exactly one pair of results markers."""
    with open(readme_path, encoding="utf-8") as f:
        readme = f.read()
    if readme.count(START) != 1 or readme.count(END) != 1:
        sys.exit(f"error: {readme_path} needs one '{START}' and one '{END}' line")
    return readme


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="tiny settings (for the tests)")
    parser.add_argument("--only-1d", action="store_true",
                        help="rebuild the gan_1d.py part only; keep the gan_mnist.py parts")
    parser.add_argument("--readme", default=os.path.join(ROOT, "README.md"))
    parser.add_argument("--docs", default=os.path.join(ROOT, "docs", "results"))
    args = parser.parse_args()
    old = markers_checked(args.readme).split(START)[1].split(END)[0]  # before the runs
    if args.only_1d and MNIST_PART not in old:
        sys.exit(f"error: --only-1d: {args.readme} has no gan_mnist.py results to keep")
    os.makedirs(args.docs, exist_ok=True)
    when = (f"by `python benchmarks/make_readme_results.py` on "
            f"{datetime.date.today().isoformat()}{' (tiny settings)' if args.tiny else ''}"
            f", on {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        body = [START, ""]
        body += section_1d(args.docs, tmp, args.tiny, when)
        if args.only_1d:
            body += [MNIST_PART + old.split(MNIST_PART, 1)[1].rstrip("\n"), ""]
        else:
            body += [MNIST_PART, "", f"Made {when}.", ""]
            lines, seconds = section_mnist(args.docs, tmp, args.tiny, False)
            body += lines
            body += section_mnist(args.docs, tmp, args.tiny, True, seconds)[0]
    body.append(END)
    # Read now, not before the runs: the README may have been edited in the meantime.
    readme = markers_checked(args.readme)
    head, rest = readme.split(START)
    readme = head + "\n".join(body) + rest.split(END, 1)[1]
    with open(args.readme, "w", encoding="utf-8") as f:
        f.write(readme)
    print(f"{args.readme}: results section rebuilt; pictures in {args.docs}/")


if __name__ == "__main__":
    main()
