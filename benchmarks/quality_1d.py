"""Run gan_1d.py at its defaults for several targets and seeds; print a markdown table of the
final numbers and wall times (the README's per-seed table comes from here).

    python benchmarks/quality_1d.py --targets x2 --seeds 1 2 3 4 5
    python benchmarks/quality_1d.py --targets sine gaussian cubic poly --seeds 1 2 3
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", nargs="+", default=["x2"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("extra", nargs=argparse.REMAINDER,
                        help="further gan_1d.py flags, after --")
    args = parser.parse_args()
    extra = [a for a in args.extra if a != "--"]
    print("| target | seed | final mae | final ks | wall s |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for target in args.targets:
            for seed in args.seeds:
                out = os.path.join(tmp, f"{target}-{seed}")
                start = time.perf_counter()
                subprocess.run([sys.executable, os.path.join(ROOT, "gan_1d.py"), "--target",
                                target, "--seed", str(seed), "--output-dir", out, *extra],
                               check=True, capture_output=True)
                wall = time.perf_counter() - start
                with open(os.path.join(out, "metrics.json")) as f:
                    m = json.load(f)
                print(f"| {target} | {seed} | {m['mae']:.4f} | {m['ks']:.4f} | {wall:.0f} |",
                      flush=True)


if __name__ == "__main__":
    main()
