"""Images as PNG files: grids of G's images (gray, dark on white), and single images."""

import io

import matplotlib.pyplot as plt
import numpy as np

from common.plotting import save_figure
from common.saving import write_atomically


def plot_image_grid(path: str, images: np.ndarray, columns: int, title: str = "",
                    column_names: list = None) -> None:
    """Grey images in [0, 1], shape (n, h, w[, 1]), laid out `columns` to a row, no axes;
    `column_names` above the columns."""
    rows = int(np.ceil(len(images) / columns))
    height = rows * 0.8 + 0.4
    fig, axes = plt.subplots(rows, columns, figsize=(max(columns, 4) * 0.8, height))
    for i, ax in enumerate(np.atleast_1d(axes).ravel()):
        ax.axis("off")
        if i < len(images):
            ax.imshow(np.squeeze(images[i]), cmap="gray_r", vmin=0.0, vmax=1.0)
        if column_names and i < columns:
            ax.set_title(column_names[i][:12], fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout(pad=0.2, rect=(0, 0, 1, 1 - 0.25 / height if title else 1))
    save_figure(fig, path)


def tile_images(images: np.ndarray, columns: int, scale: int = 1) -> np.ndarray:
    """Grey images in [0, 1], shape (n, h, w[, 1]), tiled `columns` to a row as one uint8
    image, dark digits on white as in the grids, each pixel `scale` x `scale`."""
    images = np.squeeze(images, axis=-1) if images.ndim == 4 else images
    n, h, w = images.shape
    rows = -(-n // columns)
    canvas = np.zeros((rows * h, columns * w), dtype=np.float32)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        canvas[r * h:(r + 1) * h, c * w:(c + 1) * w] = image
    canvas = np.kron(canvas, np.ones((scale, scale), dtype=np.float32))
    return np.round(255 * (1 - np.clip(canvas, 0, 1))).astype(np.uint8)


def save_grey_png(path: str, image: np.ndarray) -> None:
    """One grey image in [0, 1] as an 8-bit PNG at its own size (white digit on black)."""
    buffer = io.BytesIO()
    plt.imsave(buffer, np.squeeze(image), cmap="gray", vmin=0.0, vmax=1.0, format="png")
    write_atomically(path, buffer.getvalue())
