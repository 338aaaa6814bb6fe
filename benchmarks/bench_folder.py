"""How long a folder of small images takes to read as --data, and how much memory it takes:
writes N PNGs (the bundled sample's digits, over and over) into a temporary folder, then
reads it in a fresh process, as gan_mnist.py does before TensorFlow loads, and prints the
wall time and the process's peak memory.

    python benchmarks/bench_folder.py                # 60,000 images
    python benchmarks/bench_folder.py --images 5000
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from common.mnist import image_data

READ = """
import resource, sys, time
sys.path.insert(0, {root!r})
from common.mnist import image_data
start = time.perf_counter()
x, y, names = image_data.read({folder!r})
print(len(x), time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=60_000)
    args = parser.parse_args()
    digits, _ = image_data.load_npz(image_data.BUNDLED_SAMPLE)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for i in range(args.images):
            Image.fromarray(digits[i % len(digits)]).save(os.path.join(tmp, f"{i:06d}.png"))
        written = time.perf_counter() - start
        size = sum(e.stat().st_size for e in os.scandir(tmp))
        out = subprocess.run([sys.executable, "-c", READ.format(root=ROOT, folder=tmp)],
                             capture_output=True, text=True, check=True).stdout.split()
    n, seconds, peak_kb = int(out[0]), float(out[1]), int(out[2])
    print(f"wrote {args.images:,} PNGs ({size / 1e6:.0f} MB) in {written:.0f} s; read {n:,} "
          f"as --data in {seconds:.1f} s ({1e6 * seconds / n:.0f} µs an image); peak memory "
          f"of the reading process {peak_kb / 1024:.0f} MB (images: "
          f"{n * 28 * 28 / 2 ** 20:.0f} MB)")


if __name__ == "__main__":
    main()
