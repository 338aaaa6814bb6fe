"""Images as PNG files: grids of G's images (gray, dark on white), and single images."""

import io

import matplotlib.pyplot as plt
import numpy as np

from common.plotting import save_figure
from common.saving import write_atomically


def plot_image_grid(path: str, images: np.ndarray, columns: int, title: str = "",
                    column_names: list = None) -> None:
    """Grey images in [0, 1], shape (n, h, w[, 1]), laid out `columns` to a row, no axes;
    `column_names` above the columns; one picture, not 100 axes (1.4 s -> 0.2 s a grid)."""
    rows, gap = -(-len(images) // columns), 2
    height = rows * 0.8 + 0.4
    fig = plt.figure(figsize=(max(columns, 4) * 0.8, height))
    top = 1 - ((0.35 if title else 0.05) + (0.2 if column_names else 0)) / height
    ax = fig.add_axes((0.01, 0.01, 0.98, top - 0.01), anchor="N")  # the images under the title
    ax.imshow(tile_images(images, columns, gap=gap), cmap="gray", vmin=0, vmax=255)
    ax.axis("off")
    width = images.shape[2] + gap  # a cell: the image and the white gap after it
    for c, name in enumerate((column_names or [])[:columns]):
        ax.text((c + 0.5) * width - gap, -gap, name[:12], fontsize=7, ha="center", va="bottom")
    if title:
        fig.suptitle(title, fontsize=9)
    save_figure(fig, path)


def tile_images(images: np.ndarray, columns: int, scale: int = 1, gap: int = 0) -> np.ndarray:
    """Grey images in [0, 1], shape (n, h, w[, 1]), tiled `columns` to a row as one uint8
    image, dark digits on white as in the grids, `gap` white pixels between them, each pixel
    `scale` x `scale`."""
    images = np.squeeze(images, axis=-1) if images.ndim == 4 else images
    n, h, w = images.shape
    rows = -(-n // columns)
    canvas = np.zeros((rows * (h + gap) - gap, columns * (w + gap) - gap), dtype=np.float32)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        canvas[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = image
    canvas = np.kron(canvas, np.ones((scale, scale), dtype=np.float32))
    return np.round(255 * (1 - np.clip(canvas, 0, 1))).astype(np.uint8)


def save_grey_png(path: str, image: np.ndarray) -> None:
    """One grey image in [0, 1] as an 8-bit PNG at its own size (white digit on black)."""
    buffer = io.BytesIO()
    plt.imsave(buffer, np.squeeze(image), cmap="gray", vmin=0.0, vmax=1.0, format="png")
    write_atomically(path, buffer.getvalue())
