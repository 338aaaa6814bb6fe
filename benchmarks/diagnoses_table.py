"""Break runs on purpose, and run healthy ones, on several seeds; replay the diagnoses
(common/diagnoses.py) and the verdict (common/verdicts.py) on each run's history as the run
does after each evaluation; rebuild docs/diagnoses.md's tables (provocation x seed: what
fired, when) between its two `table` markers.

    python benchmarks/diagnoses_table.py --keep runs/diag             # every run: about 1.5 h
    python benchmarks/diagnoses_table.py --keep runs/diag --only gan_1d.py --jobs 2
    python benchmarks/diagnoses_table.py --keep runs/diag --table-only  # after a rule changed

A run whose folder under --keep is finished is not run again: change a threshold, then
rebuild the tables in seconds. Healthy runs are evaluated often (every 250 iterations, every
epoch); their default-frequency history is rebuilt from those rows (the losses are means over
the interval: the mean of equal intervals' means), so one run shows both.
"""

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from common import diagnoses, verdicts

DOC = os.path.join(ROOT, "docs", "diagnoses.md")
START, END = "<!-- table: start -->", "<!-- table: end -->"
TUTORIAL_1D = ("--pack 1 --d-layers 1 --g-layers 1 --latent-dim 5 --d-hidden 25 --g-hidden 15 "
               "--learning-rate 0.001 --beta-1 0.9 --no-lr-decay --batch-size 128 "
               "--iterations 10000 --eval-every 2000")
# (what it provokes, script, flags). The lab sheet's rows first.
PROVOKED = [
    ("G too weak", "gan_1d.py", "--g-hidden 1"),
    ("mode dropping", "gan_1d.py",
     "--target gaussian --pack 1 --d-layers 2 --d-hidden 128 --g-hidden 32"),
    ("stalled", "gan_1d.py", "--activation tanh --g-output tanh"),
    ("a NaN", "gan_1d.py", "--learning-rate 1e30"),
    ("steps 25 times too big", "gan_1d.py", "--learning-rate 0.05"),
    ("steps 100 times too small", "gan_1d.py", "--learning-rate 0.00002"),
    ("poly without its preset", "gan_1d.py",
     "--target poly --d-layers 1 --d-hidden 512 --iterations 5000 --eval-every 1000"),
    ("the tutorial's settings on poly", "gan_1d.py", "--target poly " + TUTORIAL_1D),
    ("steps 10 times too big", "gan_mnist.py", "--learning-rate 0.01 --epochs 8 --eval-every 2"),
    ("G too weak", "gan_mnist.py", "--g-filters 1 --epochs 8 --eval-every 2"),
]
# Per script: the clock of its history rows, its diagnoses, and its verdict (final, history,
# warnings).
SCRIPTS = {
    "gan_1d.py": ("iteration", diagnoses.curve_troubles, verdicts.curve),
    "gan_mnist.py": ("epoch", diagnoses.digit_troubles, lambda final, history, warnings:
                     verdicts.digits(final, history, warnings, final["real_reference"],
                                     [str(k) for k in range(10)])),
}
# A warning's short name in the tables, by how it begins.
NAMES = (("D has won", "won"), ("G covers only part", "part"), ("stalled", "stalled"),
         ("G's images barely differ", "alike"))
# (name, script, flags: each target's own command, evaluated often; the default evaluation
# interval, whose history is rebuilt from the frequent one)
HEALTHY = [(t, "gan_1d.py", f"--target {t} --eval-every 250", 1000)
           for t in ("x2", "sine", "gaussian", "cubic")] + [
    ("poly", "gan_1d.py", "--target poly --eval-every 750", 3000),
    ("digits", "gan_mnist.py", "--eval-every 1", 4),
    ("--conditional", "gan_mnist.py", "--conditional --eval-every 1", 4),
]


def folder_name(script: str, flags: str, seed: int) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "_", f"{script[:-3]} {flags}").strip("_") + f"-{seed}"


def one_run(keep: str, script: str, flags: str, seed: int) -> str:
    """Run the command unless its folder already holds the finished run; return the folder
    (with run.log: its stdout and stderr, and exit status)."""
    out = os.path.join(keep, folder_name(script, flags, seed))
    log = os.path.join(out, "run.log")
    if os.path.exists(log):
        return out
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(keep):  # the digit classifier, trained once for all the runs
        if name.startswith("classifier_"):
            shutil.copy(os.path.join(keep, name), out)
    result = subprocess.run([sys.executable, os.path.join(ROOT, script), *flags.split(),
                             "--seed", str(seed), "--output-dir", out, "--no-tensorboard"],
                            capture_output=True, text=True, cwd=ROOT)
    with open(log + ".tmp", "w", encoding="utf-8") as f:
        f.write(result.stdout + result.stderr + f"\nexit status {result.returncode}\n")
    os.replace(log + ".tmp", log)
    for name in os.listdir(out):
        if name.startswith("classifier_") and not os.path.exists(os.path.join(keep, name)):
            shutil.copy(os.path.join(out, name), keep)
    return out


def read_run(out: str) -> dict:
    """The run's history rows (numbers), final metrics (None: it stopped) and log; None if
    it has not run."""
    if not os.path.exists(os.path.join(out, "run.log")):
        return None
    with open(os.path.join(out, "run.log"), encoding="utf-8") as f:
        log = f.read()
    history, final = [], None
    path = os.path.join(out, "001", "history.csv")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            history = [{k: float(v) if v not in ("", None) else None for k, v in row.items()}
                       for row in csv.DictReader(f)]
    if os.path.exists(os.path.join(out, "001", "metrics.json")):
        with open(os.path.join(out, "001", "metrics.json"), encoding="utf-8") as f:
            final = json.load(f)
    return {"history": history, "final": final, "log": log}


def coarser(history: list, key: str, every: int) -> list:
    """The history the run would have had evaluating every `every` (iterations or epochs):
    the rows at multiples of it (and the last), with the losses averaged over the interval."""
    rows, block = [], []
    for row in history:
        block.append(row)
        if row[key] % every == 0 or row is history[-1]:
            rows.append({**row, **{k: sum(r[k] for r in block) / len(block)
                                   for k in ("d_loss", "g_loss")}})
            block = []
    return rows


def replay(script: str, history: list) -> list:
    """[(when, message)] of each warning, as the run printed them after each evaluation."""
    key, diagnose, _ = SCRIPTS[script]
    fired = []
    for n in range(1, len(history) + 1):
        for message in diagnose(history[:n]):
            fired.append((int(history[n - 1][key]), message))
    return fired


def said(fired: list) -> str:
    """'won 2000-5000, part 4000': each trouble, from when (to when, if it lasted)."""
    spans = {}
    for when, message in fired:
        name = next(name for start, name in NAMES if message.startswith(start))
        spans.setdefault(name, []).append(when)
    return ", ".join(f"{name} {w[0]}" + (f"-{w[-1]}" if len(w) > 1 else "")
                     for name, w in spans.items()) or "none"


def cell(script: str, run: dict, history: list) -> str:
    """One table cell: the warnings (when), then the verdict in short, or the error."""
    if run is None:
        return "not run"
    if run["final"] is None:
        stop = re.search(r"^error: (.+? at iteration \d+)", run["log"], re.M)
        return f"stopped: {stop[1]}" if stop else "no result"
    key, _, verdict = SCRIPTS[script]
    fired = replay(script, history)
    warnings = [f"{key} {when}: {message}" for when, message in fired]
    return f"{said(fired)}; {short(verdict(run['final'], history, warnings))}"


def short(result: str) -> str:
    """The verdict in a few words: 'learned', or 'not learned: its cause'."""
    if not result.startswith("not learned"):
        return result.split(":")[0]
    for marker in ("likely cause, in the warnings above: ", "likely cause: "):
        if marker in result:
            return "not learned: " + result.split(marker)[1].split(" (")[0]
    return "not learned: " + result.rsplit("; ", 1)[1]


def table(keep: str, seeds: list, only: str) -> list:
    lines = ["### Provoked failures", "",
             "Each cell: the warnings, by name, and the evaluations they were printed at "
             "(iteration or epoch); then the verdict (`result:`) in short.", "",
             "| provokes | command | " + " | ".join(f"seed {s}" for s in seeds) + " |",
             "|---|---|" + "---|" * len(seeds)]
    for label, script, flags in PROVOKED:
        if only and script != only:
            continue
        cells = []
        for seed in seeds:
            run = read_run(os.path.join(keep, folder_name(script, flags, seed)))
            cells.append(cell(script, run, run and run["history"]))
        lines.append(f"| {label} | `python {script} {flags}` | " + " | ".join(cells) + " |")
    lines += ["", "### Healthy runs", "",
              "Each target's own command (and the MNIST runs, shorter), evaluated often; "
              "first at that frequency, then at the default one (rebuilt from the same rows).",
              "", "| run | command | evaluated | " + " | ".join(f"seed {s}" for s in seeds)
              + " |", "|---|---|---|" + "---|" * len(seeds)]
    for label, script, flags, default in HEALTHY:
        if only and script != only:
            continue
        key = SCRIPTS[script][0]
        runs = [read_run(os.path.join(keep, folder_name(script, flags, s))) for s in seeds]
        often = flags.split("--eval-every ")[1].split()[0]
        for every, rows in ((often, lambda r: r["history"]),
                            (str(default), lambda r: coarser(r["history"], key, default))):
            lines.append(f"| {label} | `python {script} {flags}` | every {every} | " + " | ".join(
                cell(script, r, r and rows(r)) for r in runs) + " |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", required=True, metavar="DIR", help="the runs' folders")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("--only", choices=["gan_1d.py", "gan_mnist.py"])
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time (gan_1d.py's)")
    parser.add_argument("--table-only", action="store_true", help="run nothing new")
    args = parser.parse_args()
    commands = [(script, flags) for _, script, flags, _ in HEALTHY] + [
        (script, flags) for _, script, flags in PROVOKED]
    commands = [c for c in commands if not args.only or c[0] == args.only]
    if not args.table_only:
        jobs = [(script, flags, seed) for script, flags in commands for seed in args.seeds]
        for script in ("gan_1d.py", "gan_mnist.py"):  # MNIST runs use both cores: one at a time
            mine = [j for j in jobs if j[0] == script]
            with ThreadPoolExecutor(args.jobs if script == "gan_1d.py" else 1) as pool:
                for out in pool.map(lambda job: one_run(args.keep, *job), mine):
                    print("done:", out, flush=True)
    lines = table(args.keep, args.seeds, args.only)
    print("\n".join(lines))
    if not args.only:
        with open(DOC, encoding="utf-8") as f:
            text = f.read()
        before, rest = text.split(START)
        text = before + START + "\n" + "\n".join(lines) + "\n" + END + rest.split(END)[1]
        with open(DOC, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
