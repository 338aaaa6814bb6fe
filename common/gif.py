"""Turning a run's per-evaluation frames into progress.gif."""

import imageio.v3 as iio
import numpy as np

from common.saving import write_atomically


def make_gif(frame_paths: list, gif_path: str, seconds_per_frame: float = 0.8) -> None:
    """One GIF frame per PNG, in order, looping forever."""
    frames = np.stack([iio.imread(p)[..., :3] for p in frame_paths])  # GIF has no alpha
    data = iio.imwrite("<bytes>", frames, extension=".gif",
                       duration=int(seconds_per_frame * 1000), loop=0)
    write_atomically(gif_path, data)
