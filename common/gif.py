"""GIFs: a run's per-evaluation frames as progress.gif, or any sequence of frames."""

import imageio.v3 as iio
import numpy as np

from common.saving import write_atomically


def make_gif(frame_paths: list, gif_path: str, seconds_per_frame: float = 0.8) -> None:
    """One GIF frame per PNG, in order, looping forever."""
    frames = np.stack([iio.imread(p)[..., :3] for p in frame_paths])  # GIF has no alpha
    write_gif(frames, gif_path, seconds_per_frame)


def write_gif(frames: np.ndarray, gif_path: str, seconds_per_frame: float) -> None:
    """A looping GIF of uint8 frames, shape (n, height, width[, 3])."""
    data = iio.imwrite("<bytes>", frames, extension=".gif",
                       duration=int(seconds_per_frame * 1000), loop=0)
    write_atomically(gif_path, data)
