"""Run gan_1d.py for several targets and seeds, as a user would; print a markdown table of the
final numbers (from each run's saved generator, on its 10,000 evaluation points), whether
they meet the bar (mae <= 0.005 and ks <= 0.05), the warnings the run printed (its
diagnoses, common/diagnoses.py), and wall times. docs/trials.md's tables
come from here.

    python benchmarks/quality_1d.py                                  # 5 targets x seeds 1-5
    python benchmarks/quality_1d.py --targets x2 --seeds 1 2 3 -- --pack 1 --d-layers 1
    python benchmarks/quality_1d.py --jobs 2      # two runs at a time (wall times then rise)
    python benchmarks/quality_1d.py --keep runs/  # keep each run's folder (runs/x2-1/001 ...)
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from gan_1d import TARGETS  # the table (TensorFlow loads with it: a few seconds)
from common.verdicts import KS_BAR, MAE_BAR  # the bar the runs' verdicts use


def one_run(target: str, seed: int, extra: list, tmp: str) -> tuple:
    """Train once; return the final metrics and the wall time in seconds."""
    out = os.path.join(tmp, f"{target}-{seed}")
    start = time.perf_counter()
    subprocess.run([sys.executable, os.path.join(ROOT, "gan_1d.py"), "--target", target,
                    "--seed", str(seed), "--output-dir", out, "--no-tensorboard", *extra],
                   check=True, capture_output=True)
    wall = time.perf_counter() - start
    with open(os.path.join(out, "001", "metrics.json")) as f:
        return json.load(f), wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time")
    parser.add_argument("--keep", metavar="DIR",
                        help="keep the runs' folders here (default: a temporary folder)")
    parser.add_argument("extra", nargs=argparse.REMAINDER,
                        help="further gan_1d.py flags, after --")
    args = parser.parse_args()
    extra = [a for a in args.extra if a != "--"]
    print(f"`python benchmarks/quality_1d.py --targets {' '.join(args.targets)} --seeds "
          f"{' '.join(map(str, args.seeds))} --jobs {args.jobs}"
          + (f" -- {' '.join(extra)}`" if extra else "`"), "\n")
    print("| target | seed | final mae | final ks | bar met | warnings | wall s |")
    print("|---|---|---|---|---|---|---|")
    jobs = [(t, s) for t in args.targets for s in args.seeds]
    met = {t: 0 for t in args.targets}
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.jobs) as pool:
        tmp = args.keep or tmp
        results = pool.map(lambda job: one_run(*job, extra, tmp), jobs)
        for (target, seed), (m, wall) in zip(jobs, results):
            ok = m["mae"] <= MAE_BAR and m["ks"] <= KS_BAR
            met[target] += ok
            print(f"| {target} | {seed} | {m['mae']:.4f} | {m['ks']:.4f} | "
                  f"{'yes' if ok else 'no'} | {'<br>'.join(m['warnings']) or 'none'} | "
                  f"{wall:.0f} |", flush=True)
    print("\nbar met: " + ", ".join(f"{t} {n} of {len(args.seeds)}" for t, n in met.items()))


if __name__ == "__main__":
    main()
